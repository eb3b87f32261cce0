//! `vrrp decode`: print the VRRP packets of a capture (classic pcap or pcapng) or of a
//! live interface, one line each, like `tcpdump -vv`, including which checksum form each
//! VRRPv3 packet uses.
//!
//! ```text
//! 2025-11-25T02:47:06.812731Z 192.168.100.10 > 224.0.0.18: VRRPv3, Advertisement, vrid 51, prio 101, intvl 10cs, length 12, addrs: 192.168.100.12, ttl 255, checksum 0x3fca (v3-ipv4-pseudo-header)
//! ```
//!
//! A packet the codec refuses gets a line with the reason instead
//! (`VRRP, malformed: bad checksum 0x1234: ...`). With `--all`, gratuitous ARPs and
//! unsolicited neighbour advertisements are printed too (who claims which address after
//! a failover). With `--json`, each line is a JSON object instead.

mod file;
pub mod frame;
pub mod live;
mod printer;
mod record;
mod render;

pub use file::{decode_file, decode_stream, FileError};
pub use printer::{Printer, Stats};
pub use record::{interpret, ArpRecord, MalformedRecord, NaRecord, Outcome, Record, VrrpRecord};
pub use render::rfc3339;

/// What to print.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Also print gratuitous ARPs and unsolicited neighbour advertisements.
    pub all: bool,
    /// One JSON object per line instead of text.
    pub json: bool,
    /// Stop after this many printed lines.
    pub count: Option<u64>,
}
