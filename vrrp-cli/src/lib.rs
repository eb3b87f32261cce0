//! # vrrp-cli
//!
//! The library half of the `vrrp` binary, so that its parts can be tested and reused:
//!
//! - [`config`]: the VRRP part of keepalived.conf, parsed into typed values with
//!   diagnostics (file:line:column, message, hint).
//! - [`check`]: `vrrp check`, printing those diagnostics like a compiler.
//! - [`decode`]: `vrrp decode`, printing the VRRP packets of a pcap / pcapng file or of a
//!   live interface, like `tcpdump -vv`, with the checksum form each packet uses.
//! - [`daemon`]: `vrrp run` and `vrrp status`: keepalived.conf to running routers, check
//!   and notify scripts, signals, the status socket.
//! - [`demo`]: `vrrp demo`, the classic pair failing over in the simulator.
//! - [`handover`]: `vrrp handover` / `vrrp resume`, a planned handover without loss.
//! - [`preflight`]: what `vrrp run` would refuse, checked by `vrrp check`.

pub mod check;
pub mod config;
pub mod daemon;
pub mod decode;
pub mod demo;
pub mod handover;
pub mod preflight;
