//! The VRRP packet codec: VRRPv2 (RFC 3768 section 5) and VRRPv3 (RFC 9568 section 5),
//! over IPv4 and IPv6.
//!
//! Two layers, as in smoltcp: [`Packet`] is a zero-copy view over bytes with field getters
//! and setters and checksum verification; [`AdvertRepr`] is the validated, typed form with
//! `parse` and `emit`. Nothing here allocates.
//!
//! Receiving, in the order of RFC 9568 section 7.1:
//!
//! ```
//! use vrrp_core::wire::{self, AdvertRepr, ChecksumForm, Packet, RxMeta};
//! use vrrp_core::Family;
//! use core::net::Ipv4Addr;
//!
//! let bytes = [0x31, 0x33, 0x65, 0x01, 0x00, 0x0a, 0x3f, 0xca, 192, 168, 100, 12];
//! let meta = RxMeta::v4(Ipv4Addr::new(192, 168, 100, 10), wire::VRRP_MULTICAST_V4, 255);
//! let (repr, form) = wire::decode(&bytes, &meta).unwrap();
//! assert_eq!(form, ChecksumForm::V3Ipv4PseudoHeader);
//! assert_eq!(repr.vrid.get(), 51);
//! ```

mod checksum;
mod error;
mod packet;
mod repr;

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub use checksum::{
    add as checksum_add, finish as checksum_finish, ipv4_pseudo_header, ipv6_pseudo_header,
    sum_words as checksum_sum, ChecksumForm, ChecksumMode, IP_PROTOCOL_VRRP,
};
pub use error::{DecodeError, EmitError};
pub use packet::{message_len, Packet, AUTH_DATA_LEN, HEADER_LEN};
pub use repr::{
    AddressList, Addresses, AdvertRepr, Auth, Password, AUTH_TYPE_IP_AH, AUTH_TYPE_NONE,
    AUTH_TYPE_SIMPLE,
};

use crate::types::Family;

/// The IPv4 multicast group of VRRP (RFC 9568 section 5.1.1.2).
pub const VRRP_MULTICAST_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// The IPv6 multicast group of VRRP (RFC 9568 section 5.1.2.2).
pub const VRRP_MULTICAST_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
/// The TTL / hop limit every VRRP packet is sent with and must arrive with.
pub const REQUIRED_HOP_LIMIT: u8 = 255;

/// What the IP layer knows about a received VRRP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RxMeta {
    /// IP source address.
    pub src: IpAddr,
    /// IP destination address (the multicast group, or ours for unicast).
    pub dst: IpAddr,
    /// IPv4 TTL or IPv6 hop limit as received.
    pub hop_limit: u8,
}

impl RxMeta {
    /// Metadata of an IPv4 packet.
    pub const fn v4(src: Ipv4Addr, dst: Ipv4Addr, ttl: u8) -> Self {
        RxMeta {
            src: IpAddr::V4(src),
            dst: IpAddr::V4(dst),
            hop_limit: ttl,
        }
    }

    /// Metadata of an IPv6 packet.
    pub const fn v6(src: Ipv6Addr, dst: Ipv6Addr, hop_limit: u8) -> Self {
        RxMeta {
            src: IpAddr::V6(src),
            dst: IpAddr::V6(dst),
            hop_limit,
        }
    }

    /// The address family of the packet.
    pub const fn family(&self) -> Family {
        Family::of(&self.src)
    }
}

/// RFC 9568 section 7.1 / RFC 3768 section 7.1: the TTL or hop limit must be 255, which
/// proves the packet was not forwarded by a router.
#[inline]
pub fn check_hop_limit(meta: &RxMeta) -> Result<(), DecodeError> {
    if meta.hop_limit == REQUIRED_HOP_LIMIT {
        Ok(())
    } else {
        Err(DecodeError::BadHopLimit(meta.hop_limit))
    }
}

/// Runs every receiver-independent check of RFC 9568 / RFC 3768 section 7.1 in order —
/// hop limit, length and version, checksum, type, VRID, interval — and returns the advert
/// and the checksum form it used. Router-specific checks (auth, owner, interval mismatch)
/// are the state machine's.
pub fn decode<'a>(
    bytes: &'a [u8],
    meta: &RxMeta,
) -> Result<(AdvertRepr<'a>, ChecksumForm), DecodeError> {
    check_hop_limit(meta)?;
    let packet = Packet::new_checked(bytes, meta.family())?;
    let form = packet.verify_checksum(meta.src, meta.dst)?;
    let repr = AdvertRepr::parse(&packet)?;
    Ok((repr, form))
}
