//! The Internet checksum (RFC 1071) and the checksum forms VRRP peers use.

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IP protocol number of VRRP.
pub const IP_PROTOCOL_VRRP: u8 = 112;

/// Which VRRPv3-over-IPv4 checksum form to put into adverts we send.
///
/// RFC 9568 section 5.2.8 computes the VRRPv3/IPv4 checksum over the VRRP message alone;
/// keepalived and FRR include an IPv4 pseudo-header (and accept only that form by default).
/// VRRPv2 never uses a pseudo-header and VRRPv3/IPv6 always does, whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChecksumMode {
    /// VRRPv3/IPv4 with the IPv4 pseudo-header (keepalived, FRR). The default.
    #[default]
    Ipv4PseudoHeader,
    /// VRRPv3/IPv4 without a pseudo-header, as RFC 9568 says (Cisco, Juniper).
    Rfc9568,
}

/// The checksum form a received packet matched. Logged and counted so that a peer's
/// style is visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumForm {
    /// VRRPv2: over the VRRP message only.
    V2,
    /// VRRPv3 over IPv6: with the IPv6 pseudo-header (the only form).
    V3Ipv6,
    /// VRRPv3 over IPv4 with the IPv4 pseudo-header (keepalived, FRR).
    V3Ipv4PseudoHeader,
    /// VRRPv3 over IPv4 without a pseudo-header (RFC 9568, Cisco, Juniper).
    V3Ipv4Rfc9568,
    /// VRRPv3 over IPv4 with a pseudo-header naming 224.0.0.18 as destination although the
    /// packet was unicast (old keepalived unicast variant).
    V3Ipv4PseudoHeaderMulticastDst,
}

impl ChecksumForm {
    /// The form a router configured with `mode` sends for this version and family.
    pub const fn for_sending(v3: bool, ipv6: bool, mode: ChecksumMode) -> Self {
        match (v3, ipv6, mode) {
            (false, _, _) => ChecksumForm::V2,
            (true, true, _) => ChecksumForm::V3Ipv6,
            (true, false, ChecksumMode::Ipv4PseudoHeader) => ChecksumForm::V3Ipv4PseudoHeader,
            (true, false, ChecksumMode::Rfc9568) => ChecksumForm::V3Ipv4Rfc9568,
        }
    }

    /// A short name for logs and status output.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChecksumForm::V2 => "v2",
            ChecksumForm::V3Ipv6 => "v3-ipv6-pseudo-header",
            ChecksumForm::V3Ipv4PseudoHeader => "v3-ipv4-pseudo-header",
            ChecksumForm::V3Ipv4Rfc9568 => "v3-ipv4-rfc9568",
            ChecksumForm::V3Ipv4PseudoHeaderMulticastDst => "v3-ipv4-pseudo-header-224.0.0.18",
        }
    }
}

impl fmt::Display for ChecksumForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Adds `data` to a running one's-complement sum, as big-endian 16-bit words
/// (RFC 1071). An odd trailing byte is padded with zero.
#[inline]
pub fn sum_words(acc: u32, data: &[u8]) -> u32 {
    // Sum in 64 bits so no carry is lost before folding.
    let mut wide = acc as u64;
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        wide += u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as u64;
    }
    let rest = chunks.remainder();
    let mut i = 0;
    while i + 1 < rest.len() {
        wide += u16::from_be_bytes([rest[i], rest[i + 1]]) as u64;
        i += 2;
    }
    if i < rest.len() {
        wide += (rest[i] as u64) << 8;
    }
    // Fold 64 -> 32 bits keeping carries; the 16-bit fold happens in `finish`.
    while wide > 0xffff_ffff {
        wide = (wide & 0xffff_ffff) + (wide >> 32);
    }
    wide as u32
}

/// One's-complement addition of two running sums (end-around carry).
#[inline]
pub const fn add(a: u32, b: u32) -> u32 {
    let (sum, carry) = a.overflowing_add(b);
    sum + carry as u32
}

/// Folds a running sum to 16 bits and returns its one's complement: the value that goes
/// into a checksum field, or 0 when verifying a message that contains a correct checksum.
#[inline]
pub fn finish(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// Sum of the IPv4 pseudo-header (src, dst, zero, protocol 112, length).
#[inline]
pub fn ipv4_pseudo_header(src: Ipv4Addr, dst: Ipv4Addr, len: usize) -> u32 {
    let mut acc = sum_words(0, &src.octets());
    acc = sum_words(acc, &dst.octets());
    add(acc, IP_PROTOCOL_VRRP as u32 + len as u32)
}

/// Sum of the IPv6 pseudo-header (RFC 8200 section 8.1: src, dst, 32-bit length,
/// next header 112).
#[inline]
pub fn ipv6_pseudo_header(src: Ipv6Addr, dst: Ipv6Addr, len: usize) -> u32 {
    let mut acc = sum_words(0, &src.octets());
    acc = sum_words(acc, &dst.octets());
    let len = len as u32;
    add(acc, (len >> 16) + (len & 0xffff) + IP_PROTOCOL_VRRP as u32)
}

/// The pseudo-header sum for a given form, or `None` when the pair of addresses does not
/// fit the form (an IPv6 form with IPv4 addresses, say).
#[inline]
pub(crate) fn pseudo_header_for(
    form: ChecksumForm,
    src: IpAddr,
    dst: IpAddr,
    len: usize,
) -> Option<u32> {
    match (form, src, dst) {
        (ChecksumForm::V2 | ChecksumForm::V3Ipv4Rfc9568, IpAddr::V4(_), IpAddr::V4(_)) => Some(0),
        (ChecksumForm::V3Ipv4PseudoHeader, IpAddr::V4(s), IpAddr::V4(d)) => {
            Some(ipv4_pseudo_header(s, d, len))
        }
        (ChecksumForm::V3Ipv4PseudoHeaderMulticastDst, IpAddr::V4(s), IpAddr::V4(_)) => {
            Some(ipv4_pseudo_header(s, super::VRRP_MULTICAST_V4, len))
        }
        (ChecksumForm::V3Ipv6, IpAddr::V6(s), IpAddr::V6(d)) => Some(ipv6_pseudo_header(s, d, len)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to 0xddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(finish(sum_words(0, &data)), !0xddf2);
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(
            finish(sum_words(0, &[0x12, 0x34, 0x56])),
            !(0x1234u16 + 0x5600)
        );
    }

    #[test]
    fn readme_example_both_forms() {
        // ../shared/vectors/README.md: v3/IPv4 from 192.168.100.10 to 224.0.0.18.
        let mut msg = [
            0x31, 0x33, 0x65, 0x01, 0x00, 0x0a, 0x00, 0x00, 0xc0, 0xa8, 0x64, 0x0c,
        ];
        let src = Ipv4Addr::new(192, 168, 100, 10);
        let dst = Ipv4Addr::new(224, 0, 0, 18);
        let with = finish(sum_words(ipv4_pseudo_header(src, dst, msg.len()), &msg));
        assert_eq!(with, 0x3fca);
        let without = finish(sum_words(0, &msg));
        assert_eq!(without, 0x450c);
        msg[6..8].copy_from_slice(&with.to_be_bytes());
        assert_eq!(
            finish(sum_words(ipv4_pseudo_header(src, dst, msg.len()), &msg)),
            0
        );
    }
}
