//! Link layer and IP: from a captured frame to the VRRP message inside it (or an ARP /
//! neighbour advertisement, or nothing of interest). Never panics: every slice is checked.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use vrrp_core::wire::IP_PROTOCOL_VRRP;

/// The link-layer header a capture's frames start with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkType {
    /// Ethernet II (DLT_EN10MB), with optional 802.1Q / 802.1ad tags.
    Ethernet,
    /// Linux cooked capture v1 (`tcpdump -i any`, DLT_LINUX_SLL).
    LinuxSll,
    /// Linux cooked capture v2 (DLT_LINUX_SLL2).
    LinuxSll2,
    /// Raw IPv4 or IPv6 without a link header (DLT_RAW, DLT_IPV4, DLT_IPV6).
    RawIp,
    /// BSD loopback: a 4-byte address family, then IP (DLT_NULL, DLT_LOOP).
    Null,
}

impl LinkType {
    /// The link type of a pcap / pcapng data link number, if we can read it.
    pub fn from_dlt(dlt: u32) -> Option<Self> {
        match dlt {
            1 => Some(LinkType::Ethernet),
            113 => Some(LinkType::LinuxSll),
            276 => Some(LinkType::LinuxSll2),
            12 | 14 | 101 | 228 | 229 => Some(LinkType::RawIp),
            0 | 108 => Some(LinkType::Null),
            _ => None,
        }
    }
}

/// A 6-byte hardware address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mac(pub [u8; 6]);

impl std::fmt::Display for Mac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

/// A VRRP message and what the IP header said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrrpFrame {
    /// Link-layer source address, if the link has one.
    pub src_mac: Option<Mac>,
    /// IP source.
    pub src: IpAddr,
    /// IP destination.
    pub dst: IpAddr,
    /// TTL / hop limit.
    pub hop_limit: u8,
    /// The VRRP message (the IP payload) as captured.
    pub payload: Vec<u8>,
    /// The payload length the IP header announces (more than `payload.len()` if the
    /// capture was cut short by its snap length).
    pub ip_payload_len: usize,
}

/// An ARP packet whose sender and target protocol addresses are equal: a gratuitous
/// ARP, as sent by a new master for each virtual IPv4 address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GratuitousArp {
    /// Link-layer source of the frame.
    pub src_mac: Option<Mac>,
    /// ARP operation: 1 request, 2 reply.
    pub op: u16,
    /// Sender hardware address: the MAC the address now lives at.
    pub sender_mac: Mac,
    /// Sender (= target) IPv4 address.
    pub ip: Ipv4Addr,
}

/// An ICMPv6 neighbour advertisement with the Solicited flag clear: an unsolicited NA,
/// as sent by a new master for each virtual IPv6 address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsolicitedNa {
    /// Link-layer source of the frame.
    pub src_mac: Option<Mac>,
    /// IPv6 source.
    pub src: Ipv6Addr,
    /// IPv6 destination (usually ff02::1).
    pub dst: Ipv6Addr,
    /// The address advertised.
    pub target: Ipv6Addr,
    /// The target link-layer address option, if present.
    pub target_mac: Option<Mac>,
    /// R flag: the sender is a router.
    pub router: bool,
    /// O flag: override existing cache entries.
    pub override_flag: bool,
}

/// What a frame holds, as far as `vrrp decode` cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dissected {
    /// An IP packet with protocol / next header 112.
    Vrrp(VrrpFrame),
    /// A gratuitous ARP.
    Arp(GratuitousArp),
    /// An unsolicited neighbour advertisement.
    Na(UnsolicitedNa),
    /// Something that may be VRRP but could not be looked into, with the reason.
    Note(String),
    /// Anything else.
    Other,
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_ARP: u16 = 0x0806;
const ETHERTYPE_VLAN: [u16; 3] = [0x8100, 0x88a8, 0x9100];

fn be16(data: &[u8], at: usize) -> Option<u16> {
    let b = data.get(at..at + 2)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

fn mac_at(data: &[u8], at: usize) -> Option<Mac> {
    let b = data.get(at..at + 6)?;
    let mut m = [0u8; 6];
    m.copy_from_slice(b);
    Some(Mac(m))
}

/// Looks into one captured frame.
pub fn dissect(link: LinkType, frame: &[u8]) -> Dissected {
    let (src_mac, ethertype, rest) = match link {
        LinkType::Ethernet => {
            let Some(mut ethertype) = be16(frame, 12) else {
                return Dissected::Other;
            };
            let mut offset = 14;
            let mut tags = 0;
            while ETHERTYPE_VLAN.contains(&ethertype) && tags < 3 {
                let Some(inner) = be16(frame, offset + 2) else {
                    return Dissected::Other;
                };
                ethertype = inner;
                offset += 4;
                tags += 1;
            }
            (mac_at(frame, 6), ethertype, frame.get(offset..))
        }
        LinkType::LinuxSll => {
            let (Some(hatype), Some(addr_len), Some(proto)) =
                (be16(frame, 2), be16(frame, 4), be16(frame, 14))
            else {
                return Dissected::Other;
            };
            let mac = if hatype == 1 && addr_len == 6 {
                mac_at(frame, 6)
            } else {
                None
            };
            (mac, proto, frame.get(16..))
        }
        LinkType::LinuxSll2 => {
            let (Some(proto), Some(hatype), Some(&addr_len)) =
                (be16(frame, 0), be16(frame, 8), frame.get(11))
            else {
                return Dissected::Other;
            };
            let mac = if hatype == 1 && addr_len == 6 {
                mac_at(frame, 12)
            } else {
                None
            };
            (mac, proto, frame.get(20..))
        }
        LinkType::RawIp => match frame.first().map(|b| b >> 4) {
            Some(4) => (None, ETHERTYPE_IPV4, Some(frame)),
            Some(6) => (None, ETHERTYPE_IPV6, Some(frame)),
            _ => return Dissected::Other,
        },
        LinkType::Null => match frame.get(4).map(|b| b >> 4) {
            Some(4) => (None, ETHERTYPE_IPV4, frame.get(4..)),
            Some(6) => (None, ETHERTYPE_IPV6, frame.get(4..)),
            _ => return Dissected::Other,
        },
    };
    let Some(rest) = rest else {
        return Dissected::Other;
    };
    match ethertype {
        ETHERTYPE_IPV4 => ipv4(src_mac, rest),
        ETHERTYPE_IPV6 => ipv6(src_mac, rest),
        ETHERTYPE_ARP => arp(src_mac, rest),
        _ => Dissected::Other,
    }
}

fn ipv4(src_mac: Option<Mac>, data: &[u8]) -> Dissected {
    let Some(&ver_ihl) = data.first() else {
        return Dissected::Other;
    };
    if ver_ihl >> 4 != 4 {
        return Dissected::Other;
    }
    let header_len = usize::from(ver_ihl & 0x0f) * 4;
    let (Some(total_len), Some(&ttl), Some(&proto), Some(flags_frag)) =
        (be16(data, 2), data.get(8), data.get(9), be16(data, 6))
    else {
        return Dissected::Other;
    };
    if proto != IP_PROTOCOL_VRRP {
        return Dissected::Other;
    }
    let (Some(src), Some(dst)) = (data.get(12..16), data.get(16..20)) else {
        return Dissected::Note("IPv4 header cut short by the capture".into());
    };
    let src = Ipv4Addr::new(src[0], src[1], src[2], src[3]);
    let dst = Ipv4Addr::new(dst[0], dst[1], dst[2], dst[3]);
    let total_len = usize::from(total_len);
    if header_len < 20 || total_len < header_len {
        return Dissected::Note(format!(
            "{src} > {dst}: bad IPv4 header (header length {header_len}, total length {total_len}); skipped"
        ));
    }
    let more_fragments = flags_frag & 0x2000 != 0;
    let offset = flags_frag & 0x1fff;
    if more_fragments || offset != 0 {
        return Dissected::Note(format!(
            "{src} > {dst}: fragment of an IPv4 VRRP packet (offset {}); fragments are not reassembled",
            usize::from(offset) * 8
        ));
    }
    let end = total_len.min(data.len());
    let payload = data.get(header_len..end).unwrap_or_default().to_vec();
    Dissected::Vrrp(VrrpFrame {
        src_mac,
        src: IpAddr::V4(src),
        dst: IpAddr::V4(dst),
        hop_limit: ttl,
        payload,
        ip_payload_len: total_len - header_len,
    })
}

fn ipv6(src_mac: Option<Mac>, data: &[u8]) -> Dissected {
    if data.first().map(|b| b >> 4) != Some(6) {
        return Dissected::Other;
    }
    let (Some(payload_len), Some(&first_next), Some(&hop_limit), Some(s), Some(d)) = (
        be16(data, 4),
        data.get(6),
        data.get(7),
        data.get(8..24),
        data.get(24..40),
    ) else {
        return Dissected::Other;
    };
    let mut src = [0u8; 16];
    src.copy_from_slice(s);
    let mut dst = [0u8; 16];
    dst.copy_from_slice(d);
    let (src, dst) = (Ipv6Addr::from(src), Ipv6Addr::from(dst));
    // Payload length 0 means a jumbogram: take what was captured.
    let announced = if payload_len == 0 {
        data.len() - 40
    } else {
        usize::from(payload_len)
    };
    let end = (40 + announced).min(data.len());
    let payload = &data[40..end];

    // Walk the extension headers to the upper-layer protocol.
    let mut next = first_next;
    let mut at = 0usize;
    for _ in 0..16 {
        match next {
            IP_PROTOCOL_VRRP => {
                let vrrp = payload.get(at..).unwrap_or_default();
                return Dissected::Vrrp(VrrpFrame {
                    src_mac,
                    src: IpAddr::V6(src),
                    dst: IpAddr::V6(dst),
                    hop_limit,
                    payload: vrrp.to_vec(),
                    ip_payload_len: announced.saturating_sub(at),
                });
            }
            58 => return icmpv6(src_mac, src, dst, payload.get(at..).unwrap_or_default()),
            // Hop-by-hop, routing, destination options, mobility, HIP, shim6, experiments:
            // length in 8-octet units, not counting the first 8.
            0 | 43 | 60 | 135 | 139 | 140 | 253 | 254 => {
                let (Some(&n), Some(&len)) = (payload.get(at), payload.get(at + 1)) else {
                    return Dissected::Other;
                };
                next = n;
                at += (usize::from(len) + 1) * 8;
            }
            // Authentication header: length in 4-octet units, not counting the first 2.
            51 => {
                let (Some(&n), Some(&len)) = (payload.get(at), payload.get(at + 1)) else {
                    return Dissected::Other;
                };
                next = n;
                at += (usize::from(len) + 2) * 4;
            }
            44 => {
                let (Some(&n), Some(frag)) = (payload.get(at), be16(payload, at + 2)) else {
                    return Dissected::Other;
                };
                if frag & 0xfff9 != 0 {
                    // Offset or More Fragments set: only atomic fragments are read. The
                    // first fragment names the protocol; later ones cannot be told apart.
                    if n == IP_PROTOCOL_VRRP && frag & 0xfff8 == 0 {
                        return Dissected::Note(format!(
                            "{src} > {dst}: fragmented IPv6 VRRP packet; fragments are not reassembled, skipped"
                        ));
                    }
                    return Dissected::Other;
                }
                next = n;
                at += 8;
            }
            50 => {
                return Dissected::Note(format!(
                    "{src} > {dst}: IPv6 extension header ESP (50) cannot be looked past; skipped"
                ))
            }
            _ => return Dissected::Other,
        }
    }
    Dissected::Note(format!(
        "{src} > {dst}: more than 16 IPv6 extension headers; skipped"
    ))
}

fn icmpv6(src_mac: Option<Mac>, src: Ipv6Addr, dst: Ipv6Addr, msg: &[u8]) -> Dissected {
    // Neighbour advertisement: type 136, code 0, 24 bytes plus options (RFC 4861 4.4).
    if msg.first() != Some(&136) || msg.get(1) != Some(&0) {
        return Dissected::Other;
    }
    let (Some(&flags), Some(t)) = (msg.get(4), msg.get(8..24)) else {
        return Dissected::Other;
    };
    if flags & 0x40 != 0 {
        // Solicited: an answer to a neighbour solicitation, not an announcement.
        return Dissected::Other;
    }
    let mut target = [0u8; 16];
    target.copy_from_slice(t);
    let mut target_mac = None;
    let mut at = 24;
    while let (Some(&kind), Some(&len)) = (msg.get(at), msg.get(at + 1)) {
        if len == 0 {
            break;
        }
        if kind == 2 && len == 1 {
            target_mac = mac_at(msg, at + 2);
        }
        at += usize::from(len) * 8;
    }
    Dissected::Na(UnsolicitedNa {
        src_mac,
        src,
        dst,
        target: Ipv6Addr::from(target),
        target_mac,
        router: flags & 0x80 != 0,
        override_flag: flags & 0x20 != 0,
    })
}

fn arp(src_mac: Option<Mac>, data: &[u8]) -> Dissected {
    // Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4.
    if be16(data, 0) != Some(1)
        || be16(data, 2) != Some(0x0800)
        || data.get(4) != Some(&6)
        || data.get(5) != Some(&4)
    {
        return Dissected::Other;
    }
    let (Some(op), Some(sender_mac), Some(spa), Some(tpa)) = (
        be16(data, 6),
        mac_at(data, 8),
        data.get(14..18),
        data.get(24..28),
    ) else {
        return Dissected::Other;
    };
    if spa != tpa || !(op == 1 || op == 2) {
        return Dissected::Other;
    }
    Dissected::Arp(GratuitousArp {
        src_mac,
        op,
        sender_mac,
        ip: Ipv4Addr::new(spa[0], spa[1], spa[2], spa[3]),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0xff; 6];
        f.extend_from_slice(&[0, 0, 0x5e, 0, 1, 0x33]);
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    fn ipv4_vrrp(vrrp: &[u8], ttl: u8) -> Vec<u8> {
        let total = (20 + vrrp.len()) as u16;
        let mut h = vec![0x45, 0xc0];
        h.extend_from_slice(&total.to_be_bytes());
        h.extend_from_slice(&[0, 1, 0, 0, ttl, 112, 0, 0]);
        h.extend_from_slice(&[192, 168, 100, 10, 224, 0, 0, 18]);
        h.extend_from_slice(vrrp);
        h
    }

    const V3: [u8; 12] = [
        0x31, 0x33, 0x65, 0x01, 0x00, 0x0a, 0x3f, 0xca, 192, 168, 100, 12,
    ];

    #[test]
    fn ethernet_ipv4_vrrp_with_padding() {
        let mut frame = eth(ETHERTYPE_IPV4, &ipv4_vrrp(&V3, 255));
        frame.extend_from_slice(&[0; 14]); // Ethernet minimum-size padding
        match dissect(LinkType::Ethernet, &frame) {
            Dissected::Vrrp(v) => {
                assert_eq!(v.payload, V3);
                assert_eq!(v.hop_limit, 255);
                assert_eq!(v.src_mac, Some(Mac([0, 0, 0x5e, 0, 1, 0x33])));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn vlan_tag_is_skipped() {
        let mut inner = vec![0x00, 0x64];
        inner.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
        inner.extend_from_slice(&ipv4_vrrp(&V3, 255));
        let frame = eth(0x8100, &inner);
        assert!(matches!(
            dissect(LinkType::Ethernet, &frame),
            Dissected::Vrrp(_)
        ));
    }

    #[test]
    fn ipv4_fragment_is_a_note() {
        let mut ip = ipv4_vrrp(&V3, 255);
        ip[6] = 0x20; // More Fragments
        assert!(matches!(dissect(LinkType::RawIp, &ip), Dissected::Note(_)));
    }

    #[test]
    fn every_prefix_of_a_frame_is_safe() {
        let frame = eth(ETHERTYPE_IPV4, &ipv4_vrrp(&V3, 255));
        for link in [
            LinkType::Ethernet,
            LinkType::LinuxSll,
            LinkType::LinuxSll2,
            LinkType::RawIp,
            LinkType::Null,
        ] {
            for n in 0..frame.len() {
                let _ = dissect(link, &frame[..n]);
            }
        }
    }

    #[test]
    fn ipv6_hop_by_hop_then_vrrp() {
        let vrrp = [0u8; 8];
        let mut ip = vec![0x60, 0, 0, 0];
        ip.extend_from_slice(&((8 + vrrp.len()) as u16).to_be_bytes());
        ip.extend_from_slice(&[0, 255]); // next header hop-by-hop, hop limit 255
        ip.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        ip.extend_from_slice(&[0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12]);
        ip.extend_from_slice(&[112, 0, 1, 4, 0, 0, 0, 0]); // HBH: next VRRP, len 0, PadN
        ip.extend_from_slice(&vrrp);
        match dissect(LinkType::RawIp, &ip) {
            Dissected::Vrrp(v) => assert_eq!(v.payload.len(), 8),
            other => panic!("{other:?}"),
        }
    }
}
