//! The input format shared by the fuzz targets and the seed-corpus builder.
//!
//! A fuzz input is a small IP-layer prefix followed by the VRRP message:
//!
//! ```text
//! byte 0      flags: bit 0 = IPv6, bit 1 = a hop-limit byte follows (else 255),
//!             bit 2 = the destination is the VRRP group (else it follows the source)
//! then        source address (4 or 16 bytes)
//! then        destination address (4 or 16 bytes), unless flag bit 2
//! then        hop limit (1 byte), if flag bit 1
//! rest        the VRRP message
//! ```
//!
//! so that the fuzzer explores both families, unicast and multicast destinations, and the
//! TTL check, while a seed built from a capture starts out as a packet that decodes.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use vrrp_core::wire::{RxMeta, VRRP_MULTICAST_V4, VRRP_MULTICAST_V6};

const FLAG_IPV6: u8 = 1;
const FLAG_HOP_LIMIT: u8 = 2;
const FLAG_GROUP_DST: u8 = 4;

/// Splits a fuzz input into the IP metadata and the VRRP message; `None` if the input is
/// too short for its own prefix.
pub fn split(data: &[u8]) -> Option<(RxMeta, &[u8])> {
    let (&flags, mut rest) = data.split_first()?;
    let ipv6 = flags & FLAG_IPV6 != 0;
    let mut take = |n: usize| -> Option<&[u8]> {
        let (head, tail) = rest.split_at_checked(n)?;
        rest = tail;
        Some(head)
    };
    let addr = |bytes: &[u8]| -> IpAddr {
        match <[u8; 16]>::try_from(bytes) {
            Ok(b) => Ipv6Addr::from(b).into(),
            Err(_) => {
                let mut b = [0u8; 4];
                b.copy_from_slice(bytes);
                Ipv4Addr::from(b).into()
            }
        }
    };
    let len = if ipv6 { 16 } else { 4 };
    let src = addr(take(len)?);
    let dst = if flags & FLAG_GROUP_DST != 0 {
        if ipv6 {
            VRRP_MULTICAST_V6.into()
        } else {
            VRRP_MULTICAST_V4.into()
        }
    } else {
        addr(take(len)?)
    };
    let hop_limit = if flags & FLAG_HOP_LIMIT != 0 {
        take(1)?[0]
    } else {
        255
    };
    Some((
        RxMeta {
            src,
            dst,
            hop_limit,
        },
        rest,
    ))
}

/// The fuzz input that [`split`]s into `meta` and `message`.
pub fn join(meta: &RxMeta, message: &[u8]) -> Vec<u8> {
    let mut flags = 0;
    let mut out = vec![0];
    let octets = |a: IpAddr| match a {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    };
    if meta.src.is_ipv6() {
        flags |= FLAG_IPV6;
    }
    out.extend(octets(meta.src));
    let group: IpAddr = if meta.src.is_ipv6() {
        VRRP_MULTICAST_V6.into()
    } else {
        VRRP_MULTICAST_V4.into()
    };
    if meta.dst == group {
        flags |= FLAG_GROUP_DST;
    } else {
        out.extend(octets(meta.dst));
    }
    if meta.hop_limit != 255 {
        flags |= FLAG_HOP_LIMIT;
        out.push(meta.hop_limit);
    }
    out[0] = flags;
    out.extend_from_slice(message);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_then_split_is_identity() {
        let metas = [
            RxMeta::v4(Ipv4Addr::new(192, 168, 100, 10), VRRP_MULTICAST_V4, 255),
            RxMeta::v4(Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2), 64),
            RxMeta::v6(Ipv6Addr::LOCALHOST, VRRP_MULTICAST_V6, 255),
            RxMeta::v6(Ipv6Addr::LOCALHOST, Ipv6Addr::UNSPECIFIED, 1),
        ];
        for meta in metas {
            let input = join(&meta, &[0x31, 0x33]);
            assert_eq!(split(&input), Some((meta, &[0x31, 0x33][..])));
        }
        assert_eq!(split(&[]), None);
        assert_eq!(split(&[FLAG_IPV6, 1, 2, 3]), None);
    }
}
