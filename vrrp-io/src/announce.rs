//! Telling the LAN where a virtual address now lives: gratuitous ARP for IPv4,
//! unsolicited neighbour advertisements for IPv6 (RFC 9568 section 6.4.1: a new master
//! "for each IPv4 address ... broadcast a gratuitous ARP request", "for each IPv6
//! address ... send an Unsolicited Neighbor Advertisement").
//!
//! The frames are built by hand ([`garp_frame`], [`unsolicited_na_frame`]) and sent over
//! an AF_PACKET socket, as keepalived and FRR do; the unit tests compare them byte for byte
//! with frames captured from FRR 8.4.4 and keepalived 2.2.7.
//!
//! # Gratuitous ARP
//! An ARP *request* (opcode 1) to ff:ff:ff:ff:ff:ff with sender MAC = the interface MAC
//! and sender IP = target IP = the VIP. The target MAC is ff:ff:ff:ff:ff:ff: that is what
//! both keepalived (`memset(ar_tha, 0xff)`) and FRR put on the wire (see
//! `tests/data/*.pcap`); RFC 5227's ARP Announcement would use zero there, and receivers
//! ignore the field either way.
//!
//! # Unsolicited neighbour advertisement
//! ICMPv6 type 136 from the VIP itself to ff02::1 (all nodes), hop limit 255, flags S=0
//! (unsolicited) O=1 (override existing cache entries: the point of the exercise), with a
//! target link-layer address option carrying the interface MAC. Sending from the VIP is
//! what keepalived and FRR do.
//!
//! The R (router) flag is a statement about this *host*, and RFC 4861 section 7.2.5 makes
//! hosts act on it: an advertisement with R=0 removes the sender from their default
//! router list, one with R=1 marks it as a router. FRR always sets R=1 (vrrpd runs on
//! routers); for the classic "two nginx boxes share one VIP" setup that would be a lie.
//! We therefore do what keepalived does and tell the truth by default:
//! [`RouterFlag::FromForwarding`] sets R=1 exactly when IPv6 forwarding is on for the
//! interface (`/proc/sys/net/ipv6/conf/IF/forwarding`, read at each send from a file the
//! [`Announcer`] opened in its own network namespace); [`RouterFlag::Always`] and
//! [`RouterFlag::Never`] override it.

use std::fs::{self, File};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::FileExt;

use vrrp_core::wire::{checksum_add, checksum_finish, checksum_sum};

use crate::error::{Error, Result};
use crate::mac::MacAddr;
use crate::netlink::Netlink;
use crate::packet::{
    PacketSocket, ETHERNET_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6,
};

/// Length of a gratuitous ARP frame: Ethernet header and the 28-byte ARP payload (no
/// padding; the NIC pads to the 60-byte minimum).
pub const GARP_FRAME_LEN: usize = ETHERNET_HEADER_LEN + 28;
/// Length of an unsolicited NA frame: Ethernet, IPv6 (40), ICMPv6 NA (24), target
/// link-layer address option (8).
pub const NA_FRAME_LEN: usize = ETHERNET_HEADER_LEN + IPV6_HEADER_LEN + NA_LEN;
/// ff02::1, all nodes on the link.
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
/// ICMPv6 type of a neighbour advertisement.
pub const ICMPV6_NEIGHBOR_ADVERTISEMENT: u8 = 136;

const IPV6_HEADER_LEN: usize = 40;
/// NA message (type, code, checksum, flags, target) plus one 8-byte option.
const NA_LEN: usize = 24 + 8;
const IPPROTO_ICMPV6: u8 = 58;
const ND_OPT_TARGET_LL_ADDR: u8 = 2;
const NA_FLAG_ROUTER: u8 = 0x80;
const NA_FLAG_SOLICITED: u8 = 0x40;
const NA_FLAG_OVERRIDE: u8 = 0x20;

/// The gratuitous ARP request that announces `vip` at `mac`.
///
/// ```
/// use vrrp_io::announce::garp_frame;
/// use vrrp_io::MacAddr;
/// let frame = garp_frame(MacAddr::vrrp_v4(51), "192.168.200.12".parse().unwrap());
/// assert_eq!(&frame[..6], &[0xff; 6]); // broadcast
/// assert_eq!(&frame[20..22], &[0, 1]); // opcode 1, request
/// ```
pub fn garp_frame(mac: MacAddr, vip: Ipv4Addr) -> [u8; GARP_FRAME_LEN] {
    let mut f = [0u8; GARP_FRAME_LEN];
    // Ethernet: broadcast, from the interface, ARP.
    f[0..6].copy_from_slice(&MacAddr::BROADCAST.0);
    f[6..12].copy_from_slice(&mac.0);
    f[12..14].copy_from_slice(&ETHERTYPE_ARP.to_be_bytes());
    // ARP (RFC 826): Ethernet (1) / IPv4, lengths 6 and 4, request.
    f[14..16].copy_from_slice(&1u16.to_be_bytes());
    f[16..18].copy_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
    f[18] = 6;
    f[19] = 4;
    f[20..22].copy_from_slice(&1u16.to_be_bytes());
    f[22..28].copy_from_slice(&mac.0); // sender hardware address
    f[28..32].copy_from_slice(&vip.octets()); // sender protocol address
    f[32..38].copy_from_slice(&MacAddr::BROADCAST.0); // target hardware address, as keepalived/FRR
    f[38..42].copy_from_slice(&vip.octets()); // target protocol address
    f
}

/// The unsolicited neighbour advertisement that announces `target` at `mac`, sent from
/// `src` (normally `target` itself) to ff02::1, with the given R flag, S=0 and O=1.
///
/// ```
/// use vrrp_io::announce::unsolicited_na_frame;
/// use vrrp_io::MacAddr;
/// let vip = "fd00:200::12".parse().unwrap();
/// let frame = unsolicited_na_frame(MacAddr::vrrp_v6(52), vip, vip, false);
/// assert_eq!(frame[21], 255); // hop limit
/// assert_eq!(frame[54], 136); // ICMPv6 neighbour advertisement
/// assert_eq!(frame[58], 0x20); // R=0 S=0 O=1
/// ```
pub fn unsolicited_na_frame(
    mac: MacAddr,
    src: Ipv6Addr,
    target: Ipv6Addr,
    router: bool,
) -> [u8; NA_FRAME_LEN] {
    let mut f = [0u8; NA_FRAME_LEN];
    // Ethernet: to the all-nodes group's MAC (RFC 2464 section 7).
    f[0..6].copy_from_slice(&MacAddr::ipv6_multicast(ALL_NODES).0);
    f[6..12].copy_from_slice(&mac.0);
    f[12..14].copy_from_slice(&ETHERTYPE_IPV6.to_be_bytes());
    // IPv6 header: version 6, no traffic class or flow label.
    let ip = ETHERNET_HEADER_LEN;
    f[ip] = 0x60;
    f[ip + 4..ip + 6].copy_from_slice(&(NA_LEN as u16).to_be_bytes());
    f[ip + 6] = IPPROTO_ICMPV6;
    f[ip + 7] = 255; // RFC 4861 section 7.1.2: hop limit must be 255
    f[ip + 8..ip + 24].copy_from_slice(&src.octets());
    f[ip + 24..ip + 40].copy_from_slice(&ALL_NODES.octets());
    // ICMPv6 neighbour advertisement (RFC 4861 section 4.4).
    let na = ip + IPV6_HEADER_LEN;
    f[na] = ICMPV6_NEIGHBOR_ADVERTISEMENT;
    f[na + 1] = 0; // code
    f[na + 4] = if router { NA_FLAG_ROUTER } else { 0 } | NA_FLAG_OVERRIDE;
    debug_assert_eq!(f[na + 4] & NA_FLAG_SOLICITED, 0);
    f[na + 8..na + 24].copy_from_slice(&target.octets());
    // Target link-layer address option: type 2, length 1 (x 8 bytes), the MAC.
    f[na + 24] = ND_OPT_TARGET_LL_ADDR;
    f[na + 25] = 1;
    f[na + 26..na + 32].copy_from_slice(&mac.0);
    let checksum = icmpv6_checksum(src, ALL_NODES, &f[na..]);
    f[na + 2..na + 4].copy_from_slice(&checksum.to_be_bytes());
    f
}

/// The ICMPv6 checksum of `message` (its checksum field zero, or holding the checksum to
/// verify: then the result is 0) sent from `src` to `dst` (RFC 4443 section 2.3, with the
/// RFC 8200 section 8.1 pseudo-header).
pub fn icmpv6_checksum(src: Ipv6Addr, dst: Ipv6Addr, message: &[u8]) -> u16 {
    let mut acc = checksum_sum(0, &src.octets());
    acc = checksum_sum(acc, &dst.octets());
    let len = message.len() as u32;
    acc = checksum_add(
        acc,
        (len >> 16) + (len & 0xffff) + u32::from(IPPROTO_ICMPV6),
    );
    acc = checksum_sum(acc, message);
    checksum_finish(acc)
}

/// How the R (router) flag of unsolicited neighbour advertisements is chosen. See the
/// [module documentation](self) for why the default asks the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RouterFlag {
    /// R=1 exactly when IPv6 forwarding is enabled on the interface (keepalived's rule).
    #[default]
    FromForwarding,
    /// Always R=1 (FRR's choice, right for a router).
    Always,
    /// Always R=0 (right for a host that serves the VIP, never routes).
    Never,
}

/// Whether IPv6 forwarding is on for `ifname`, from
/// `/proc/sys/net/ipv6/conf/IFNAME/forwarding` of the calling thread's network namespace.
pub fn ipv6_forwarding(ifname: &str) -> io::Result<bool> {
    Ok(fs::read_to_string(forwarding_path(ifname)?)?.trim() != "0")
}

fn forwarding_path(ifname: &str) -> io::Result<String> {
    crate::netlink::validate_ifname(ifname)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
    Ok(format!("/proc/sys/net/ipv6/conf/{ifname}/forwarding"))
}

/// Reads a sysctl file opened earlier. A /proc/sys file stays tied to the network
/// namespace it was opened in, whichever thread reads it later.
fn read_flag(file: &File) -> io::Result<bool> {
    let mut buf = [0u8; 16];
    let n = file.read_at(&mut buf, 0)?;
    Ok(buf
        .get(..n)
        .is_some_and(|b| b.iter().any(|&c| c.is_ascii_digit() && c != b'0')))
}

/// Sends gratuitous ARP and unsolicited NAs on one interface.
///
/// Repetition (keepalived's 5 now and 5 after 5 s, `garp_master_repeat` ...) is the
/// caller's schedule: each call sends one frame.
#[derive(Debug)]
pub struct Announcer {
    socket: PacketSocket,
    ifindex: u32,
    ifname: String,
    mac: MacAddr,
    router_flag: RouterFlag,
    /// `/proc/sys/net/ipv6/conf/IF/forwarding`, opened in the announcer's namespace;
    /// `None` where IPv6 is disabled.
    forwarding: Option<File>,
}

impl Announcer {
    /// An announcer for the interface `ifindex`, reading its name and MAC over netlink.
    pub fn open(netlink: &mut Netlink, ifindex: u32) -> Result<Self> {
        let link = netlink.link(ifindex)?;
        let mac = link.mac.ok_or(Error::NoHardwareAddress { ifindex })?;
        Self::with_mac(ifindex, &link.name, mac)
    }

    /// An announcer for the interface `ifindex` called `ifname`, announcing `mac` (the
    /// interface's own MAC, or a virtual MAC the interface carries). Like every socket, it
    /// belongs to the calling thread's network namespace.
    pub fn with_mac(ifindex: u32, ifname: &str, mac: MacAddr) -> Result<Self> {
        let forwarding = forwarding_path(ifname).and_then(File::open).ok();
        Ok(Announcer {
            socket: PacketSocket::sender(ifindex)?,
            ifindex,
            ifname: ifname.to_owned(),
            mac,
            router_flag: RouterFlag::default(),
            forwarding,
        })
    }

    /// Chooses how the R flag of neighbour advertisements is set.
    pub fn set_router_flag(&mut self, flag: RouterFlag) {
        self.router_flag = flag;
    }

    /// The MAC address being announced.
    pub fn mac(&self) -> MacAddr {
        self.mac
    }

    /// The interface index.
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// The interface name.
    pub fn ifname(&self) -> &str {
        &self.ifname
    }

    /// The R flag the next neighbour advertisement will carry.
    pub fn router_flag_now(&self) -> bool {
        match self.router_flag {
            RouterFlag::Always => true,
            RouterFlag::Never => false,
            // Unreadable (IPv6 disabled on the link, say): a host is the safe assumption.
            RouterFlag::FromForwarding => self
                .forwarding
                .as_ref()
                .is_some_and(|f| read_flag(f).unwrap_or(false)),
        }
    }

    /// Announces `vip`: a gratuitous ARP for IPv4, an unsolicited NA for IPv6.
    pub fn announce(&self, vip: IpAddr) -> Result<()> {
        match vip {
            IpAddr::V4(v4) => self.gratuitous_arp(v4),
            IpAddr::V6(v6) => self.unsolicited_na(v6),
        }
    }

    /// Sends one gratuitous ARP request for `vip`.
    pub fn gratuitous_arp(&self, vip: Ipv4Addr) -> Result<()> {
        self.socket.send_frame(&garp_frame(self.mac, vip))
    }

    /// Sends one unsolicited neighbour advertisement for `vip`, from `vip`.
    pub fn unsolicited_na(&self, vip: Ipv6Addr) -> Result<()> {
        let router = self.router_flag_now();
        self.socket
            .send_frame(&unsolicited_na_frame(self.mac, vip, vip, router))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Ethernet frames of a classic pcap file (the captures in tests/data).
    fn frames(pcap: &[u8]) -> Vec<Vec<u8>> {
        let reader = pcap_file::pcap::PcapReader::new(pcap).expect("a pcap file");
        let mut out = Vec::new();
        let mut reader = reader;
        while let Some(packet) = reader.next_packet() {
            out.push(packet.expect("a packet").data.into_owned());
        }
        out
    }

    const FRR_GARP: &[u8] = include_bytes!("../tests/data/frr-garp.pcap");
    const FRR_NA: &[u8] = include_bytes!("../tests/data/frr-unsolicited-na.pcap");
    const KEEPALIVED_V2: &[u8] =
        include_bytes!("../tests/data/keepalived-v2-failover-sequence.pcap");

    #[test]
    fn garp_matches_frr_capture_byte_for_byte() {
        // FRR 8.4.4, VRID 51 and 53 on macvlans with the virtual MAC.
        let captured = frames(FRR_GARP);
        assert_eq!(captured.len(), 2);
        let cases = [
            (MacAddr::vrrp_v4(0x33), Ipv4Addr::new(192, 168, 200, 12)),
            (MacAddr::vrrp_v4(0x35), Ipv4Addr::new(192, 168, 200, 13)),
        ];
        for (frame, (mac, vip)) in captured.iter().zip(cases) {
            let built = garp_frame(mac, vip);
            assert_eq!(&built[..], &frame[..], "GARP for {vip}");
        }
    }

    #[test]
    fn garp_fields_match_keepalived_capture() {
        // keepalived 2.2.7 becoming master: interface MAC, VIP 192.168.100.12.
        let arp: Vec<Vec<u8>> = frames(KEEPALIVED_V2)
            .into_iter()
            .filter(|f| f.get(12..14) == Some(&[0x08, 0x06][..]))
            .collect();
        assert!(!arp.is_empty(), "the capture holds gratuitous ARPs");
        let captured = &arp[0];
        let mac = MacAddr::from_slice(&captured[6..12]).expect("a MAC");
        let built = garp_frame(mac, Ipv4Addr::new(192, 168, 100, 12));
        let fields: [(&str, std::ops::Range<usize>); 12] = [
            ("destination MAC", 0..6),
            ("source MAC", 6..12),
            ("EtherType", 12..14),
            ("hardware type", 14..16),
            ("protocol type", 16..18),
            ("hardware length", 18..19),
            ("protocol length", 19..20),
            ("opcode", 20..22),
            ("sender MAC", 22..28),
            ("sender IP", 28..32),
            ("target MAC", 32..38),
            ("target IP", 38..42),
        ];
        for (name, range) in fields {
            assert_eq!(built[range.clone()], captured[range], "{name}");
        }
        assert_eq!(built.len(), captured.len());
    }

    #[test]
    fn na_with_router_flag_matches_frr_capture_byte_for_byte() {
        // FRR 8.4.4 (R=1 S=0 O=1) from each VIP, virtual MAC 00:00:5e:00:02:34.
        let captured = frames(FRR_NA);
        assert_eq!(captured.len(), 2);
        let mac = MacAddr::vrrp_v6(0x34);
        let vips: [Ipv6Addr; 2] = [
            "fe80::1:12".parse().expect("v6"),
            "fd00:200::12".parse().expect("v6"),
        ];
        for (frame, vip) in captured.iter().zip(vips) {
            let built = unsolicited_na_frame(mac, vip, vip, true);
            assert_eq!(&built[..], &frame[..], "NA for {vip}");
        }
    }

    #[test]
    fn na_fields_match_frr_capture_and_checksum_verifies() {
        let captured = frames(FRR_NA);
        let vip: Ipv6Addr = "fd00:200::12".parse().expect("v6");
        let built = unsolicited_na_frame(MacAddr::vrrp_v6(0x34), vip, vip, false);
        let frame = &captured[1];
        let fields: [(&str, std::ops::Range<usize>); 13] = [
            ("destination MAC", 0..6),
            ("source MAC", 6..12),
            ("EtherType", 12..14),
            ("version/class/flow", 14..18),
            ("payload length", 18..20),
            ("next header", 20..21),
            ("hop limit", 21..22),
            ("source", 22..38),
            ("destination", 38..54),
            ("ICMPv6 type and code", 54..56),
            ("reserved", 59..62),
            ("target", 62..78),
            ("target link-layer option", 78..86),
        ];
        for (name, range) in fields {
            assert_eq!(built[range.clone()], frame[range], "{name}");
        }
        // Only the R flag (and so the checksum) differs.
        assert_eq!(frame[58], 0xa0, "FRR: R=1 O=1");
        assert_eq!(built[58], 0x20, "ours here: R=0 O=1");
        let all_nodes = ALL_NODES;
        assert_eq!(
            icmpv6_checksum(vip, all_nodes, &built[54..]),
            0,
            "our checksum verifies"
        );
        assert_eq!(
            icmpv6_checksum(vip, all_nodes, &frame[54..]),
            0,
            "FRR's checksum verifies"
        );
    }

    #[test]
    fn na_can_be_sent_from_the_link_local() {
        let src: Ipv6Addr = "fe80::dc0f:23ff:fec8:9dfb".parse().expect("v6");
        let vip: Ipv6Addr = "fd00:100::12".parse().expect("v6");
        let f = unsolicited_na_frame(
            MacAddr([0xde, 0x0f, 0x23, 0xc8, 0x9d, 0xfb]),
            src,
            vip,
            false,
        );
        assert_eq!(&f[22..38], &src.octets());
        assert_eq!(&f[62..78], &vip.octets());
        assert_eq!(icmpv6_checksum(src, ALL_NODES, &f[54..]), 0);
    }

    #[test]
    fn forwarding_rejects_path_tricks() {
        assert!(ipv6_forwarding("../all").is_err());
    }
}
