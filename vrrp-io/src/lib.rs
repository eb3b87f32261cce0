//! # vrrp-io
//!
//! The Linux adapter for [`vrrp_core`]: one driver for every virtual router of a process,
//! in two shells. All protocol decisions stay in `vrrp-core`; this crate acts on them.
//!
//! - [`driver`]: [`Driver`], the pure part: routers, their specs, reload diffing, link
//!   and address events in, [`driver::Action`]s out (adverts first, then addresses, then
//!   notifications). No I/O; tested without root.
//! - [`event_loop`]: [`EventLoop`], the blocking shell: one thread in `ppoll(2)` on the
//!   VRRP sockets, netlink notifications and the earliest deadline; a [`Handle`] for
//!   other threads.
//! - `tokio` (feature `tokio`): `tokio::Runner`, the async shell with the same API.
//! - [`socket`]: [`VrrpSocket`], raw IPv4 / IPv6 VRRP sockets on one interface, with
//!   batched receive and send (`recvmmsg` / `sendmmsg`).
//! - [`monitor`]: [`NetlinkMonitor`], link and address changes as the kernel announces
//!   them.
//! - [`netlink`]: [`Netlink`], interfaces and addresses; VIPs added and removed
//!   idempotently.
//! - [`announce`]: [`Announcer`], gratuitous ARP and unsolicited NA frames built by hand.
//! - [`packet`]: [`PacketSocket`], AF_PACKET frames in and out of one interface.
//! - [`Error`]: one error type, with a text that says what to do (missing CAP_NET_RAW /
//!   CAP_NET_ADMIN, unknown interface, address in use, ...).
//!
//! Everything works in the network namespace of the calling *thread*, so one process can
//! serve (or test) several namespaces from different threads.
#![warn(missing_docs)]

pub mod accept;
pub mod announce;
mod cmsg;
pub mod driver;
mod error;
pub mod event_loop;
mod mac;
pub mod monitor;
pub mod netlink;
pub mod packet;
pub mod route;
mod shell;
pub mod socket;
mod sys;
#[cfg(feature = "tokio")]
pub mod tokio;
pub mod vmac;
mod worker;

pub use announce::Announcer;
pub use driver::{Driver, DriverEvent, RouterSpec, RouterStatus};
pub use error::{Error, Result};
pub use event_loop::{EventLoop, Handle};
pub use mac::MacAddr;
pub use monitor::{NetEvent, NetlinkMonitor};
pub use netlink::{primary_address, Netlink};
pub use packet::PacketSocket;
pub use socket::{Datagram, SocketConfig, VrrpSocket};
pub use vrrp_core;
