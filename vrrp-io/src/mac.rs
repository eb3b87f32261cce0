//! Ethernet (EUI-48) hardware addresses.

use std::fmt;

/// A 6-byte Ethernet MAC address.
///
/// ```
/// use vrrp_io::MacAddr;
/// let mac = MacAddr([0x00, 0x00, 0x5e, 0x00, 0x01, 0x33]);
/// assert_eq!(mac.to_string(), "00:00:5e:00:01:33");
/// assert_eq!(MacAddr::vrrp_v4(51), mac);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// ff:ff:ff:ff:ff:ff.
    pub const BROADCAST: MacAddr = MacAddr([0xff; 6]);
    /// 00:00:00:00:00:00.
    pub const ZERO: MacAddr = MacAddr([0; 6]);

    /// A MAC address from a link-layer address of exactly 6 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 6]>::try_from(bytes).ok().map(MacAddr)
    }

    /// The VRRP virtual MAC of an IPv4 virtual router, 00:00:5e:00:01:{vrid}
    /// (RFC 9568 section 7.3).
    pub const fn vrrp_v4(vrid: u8) -> Self {
        MacAddr([0x00, 0x00, 0x5e, 0x00, 0x01, vrid])
    }

    /// The VRRP virtual MAC of an IPv6 virtual router, 00:00:5e:00:02:{vrid}
    /// (RFC 9568 section 7.3).
    pub const fn vrrp_v6(vrid: u8) -> Self {
        MacAddr([0x00, 0x00, 0x5e, 0x00, 0x02, vrid])
    }

    /// The Ethernet multicast address of an IPv4 multicast group, 01:00:5e followed by the
    /// group's last 23 bits (RFC 1112 section 6.4).
    pub const fn ipv4_multicast(group: std::net::Ipv4Addr) -> Self {
        let o = group.octets();
        MacAddr([0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]])
    }

    /// The Ethernet multicast address of an IPv6 multicast group, 33:33 followed by the
    /// group's last 32 bits (RFC 2464 section 7).
    pub const fn ipv6_multicast(group: std::net::Ipv6Addr) -> Self {
        let o = group.octets();
        MacAddr([0x33, 0x33, o[12], o[13], o[14], o[15]])
    }

    /// The six bytes.
    pub const fn octets(self) -> [u8; 6] {
        self.0
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

impl From<[u8; 6]> for MacAddr {
    fn from(bytes: [u8; 6]) -> Self {
        MacAddr(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    #[test]
    fn all_nodes_multicast_mac_is_33_33_00_00_00_01() {
        assert_eq!(
            MacAddr::ipv6_multicast(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1)),
            MacAddr([0x33, 0x33, 0, 0, 0, 1])
        );
    }

    #[test]
    fn vrrp_groups_map_to_their_ethernet_multicast_addresses() {
        assert_eq!(
            MacAddr::ipv4_multicast(std::net::Ipv4Addr::new(224, 0, 0, 18)).to_string(),
            "01:00:5e:00:00:12"
        );
        // Only the last 23 bits: 239.128.1.2 and 224.0.1.2 share a MAC.
        assert_eq!(
            MacAddr::ipv4_multicast(std::net::Ipv4Addr::new(239, 128, 1, 2)),
            MacAddr([0x01, 0x00, 0x5e, 0x00, 0x01, 0x02])
        );
        assert_eq!(
            MacAddr::ipv6_multicast(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12)).to_string(),
            "33:33:00:00:00:12"
        );
    }

    #[test]
    fn from_slice_needs_six_bytes() {
        assert_eq!(
            MacAddr::from_slice(&[1, 2, 3, 4, 5, 6]),
            Some(MacAddr([1, 2, 3, 4, 5, 6]))
        );
        assert_eq!(MacAddr::from_slice(&[1, 2, 3, 4, 5]), None);
        assert_eq!(MacAddr::from_slice(&[0; 20]), None);
    }
}
