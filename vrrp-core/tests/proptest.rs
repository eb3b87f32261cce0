//! Properties of the codec over generated adverts and bytes:
//!
//! - emit then decode is the identity, for VRRPv2/IPv4, VRRPv3/IPv4 (both checksum modes)
//!   and VRRPv3/IPv6, with 0 to 255 addresses;
//! - no input makes `decode`, the `Packet` accessors, `verify_checksum`, `parse`, `Display`
//!   or `Auth::verify` panic;
//! - a single flipped bit in an emitted advert never decodes to the advert that was sent
//!   in the form it was sent in.

// Tests may unwrap: a panic here is a failed test, with the value in the message.
#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use vrrp_core::wire::{
    self, AddressList, AdvertRepr, Auth, ChecksumForm, ChecksumMode, DecodeError, Packet, Password,
    RxMeta,
};
use vrrp_core::{Centiseconds, Family, Priority, Version, Vrid};

/// An advert in owned form (the repr borrows its addresses from here).
#[derive(Debug, Clone)]
struct Advert {
    version: Version,
    vrid: u8,
    priority: u8,
    interval: u16,
    v4: Vec<Ipv4Addr>,
    v6: Vec<Ipv6Addr>,
    family: Family,
    password: Option<Vec<u8>>,
    src: IpAddr,
    dst: IpAddr,
    mode: ChecksumMode,
}

impl Advert {
    fn repr(&self) -> AdvertRepr<'_> {
        AdvertRepr {
            version: self.version,
            vrid: Vrid::new(self.vrid).expect("strategy yields 1..=255"),
            priority: Priority(self.priority),
            max_advert_interval: Centiseconds(self.interval),
            addresses: match self.family {
                Family::Ipv4 => AddressList::ipv4(&self.v4),
                Family::Ipv6 => AddressList::ipv6(&self.v6),
            },
            auth: match &self.password {
                Some(p) => Auth::Simple(Password::from_slice(p).expect("at most 8 bytes")),
                None => Auth::None,
            },
        }
    }

    fn meta(&self) -> RxMeta {
        RxMeta {
            src: self.src,
            dst: self.dst,
            hop_limit: 255,
        }
    }

    fn emit(&self) -> Vec<u8> {
        let repr = self.repr();
        let mut buf = vec![0u8; repr.buffer_len()];
        let len = repr
            .emit(&mut buf, self.src, self.dst, self.mode)
            .expect("a generated advert is emittable");
        assert_eq!(len, buf.len(), "emit writes buffer_len bytes");
        buf
    }

    /// The form the emitted checksum was computed in.
    fn sent_form(&self) -> ChecksumForm {
        ChecksumForm::for_sending(
            self.version == Version::V3,
            self.family == Family::Ipv6,
            self.mode,
        )
    }
}

fn vrid() -> impl Strategy<Value = u8> {
    1..=255u8
}

fn ipv4() -> impl Strategy<Value = Ipv4Addr> {
    any::<[u8; 4]>().prop_map(Ipv4Addr::from)
}

fn ipv6() -> impl Strategy<Value = Ipv6Addr> {
    any::<[u8; 16]>().prop_map(Ipv6Addr::from)
}

/// Destination: mostly the VRRP group, sometimes a unicast peer (keepalived's
/// `unicast_peer`).
fn dst4() -> impl Strategy<Value = Ipv4Addr> {
    prop_oneof![3 => Just(wire::VRRP_MULTICAST_V4), 1 => ipv4()]
}

fn dst6() -> impl Strategy<Value = Ipv6Addr> {
    prop_oneof![3 => Just(wire::VRRP_MULTICAST_V6), 1 => ipv6()]
}

/// Address counts: the whole range 0..=255, with the small counts real configs use more
/// likely than not.
fn count() -> impl Strategy<Value = usize> {
    prop_oneof![3 => 0..=4usize, 1 => 0..=255usize]
}

fn v2_ipv4() -> impl Strategy<Value = Advert> {
    (
        vrid(),
        any::<u8>(),
        1..=255u16,
        count().prop_flat_map(|n| proptest::collection::vec(ipv4(), n)),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..=8)),
        ipv4(),
        dst4(),
    )
        .prop_map(|(vrid, priority, secs, v4, password, src, dst)| Advert {
            version: Version::V2,
            vrid,
            priority,
            interval: secs * 100,
            v4,
            v6: Vec::new(),
            family: Family::Ipv4,
            password,
            src: src.into(),
            dst: dst.into(),
            mode: ChecksumMode::default(),
        })
}

fn mode() -> impl Strategy<Value = ChecksumMode> {
    prop_oneof![
        Just(ChecksumMode::Ipv4PseudoHeader),
        Just(ChecksumMode::Rfc9568)
    ]
}

fn v3_ipv4() -> impl Strategy<Value = Advert> {
    (
        vrid(),
        any::<u8>(),
        1..=4095u16,
        count().prop_flat_map(|n| proptest::collection::vec(ipv4(), n)),
        ipv4(),
        dst4(),
        mode(),
    )
        .prop_map(|(vrid, priority, interval, v4, src, dst, mode)| Advert {
            version: Version::V3,
            vrid,
            priority,
            interval,
            v4,
            v6: Vec::new(),
            family: Family::Ipv4,
            password: None,
            src: src.into(),
            dst: dst.into(),
            mode,
        })
}

fn v3_ipv6() -> impl Strategy<Value = Advert> {
    (
        vrid(),
        any::<u8>(),
        1..=4095u16,
        count().prop_flat_map(|n| proptest::collection::vec(ipv6(), n)),
        ipv6(),
        dst6(),
        mode(),
    )
        .prop_map(|(vrid, priority, interval, v6, src, dst, mode)| Advert {
            version: Version::V3,
            vrid,
            priority,
            interval,
            v4: Vec::new(),
            v6,
            family: Family::Ipv6,
            password: None,
            src: src.into(),
            dst: dst.into(),
            // Irrelevant for IPv6 (always the pseudo-header): emitting must ignore it.
            mode,
        })
}

fn any_advert() -> impl Strategy<Value = Advert> {
    prop_oneof![v2_ipv4(), v3_ipv4(), v3_ipv6()]
}

/// The form `decode` reports for a packet sent in `sent`. When the IPv4 pseudo-header
/// sums to zero in one's complement (one source/destination pair in 65535), the two
/// VRRPv3/IPv4 forms give the same checksum and nobody can tell them apart; the receiver
/// then reports the pseudo-header form, which it tries first.
fn expected_form(advert: &Advert, bytes: &[u8]) -> ChecksumForm {
    let sent = advert.sent_form();
    if sent != ChecksumForm::V3Ipv4Rfc9568 {
        return sent;
    }
    let packet = Packet::new_checked(bytes, advert.family).expect("emitted packet");
    let with = packet.compute_checksum(ChecksumForm::V3Ipv4PseudoHeader, advert.src, advert.dst);
    let without = packet.compute_checksum(ChecksumForm::V3Ipv4Rfc9568, advert.src, advert.dst);
    if with == without {
        ChecksumForm::V3Ipv4PseudoHeader
    } else {
        sent
    }
}

fn check_roundtrip(advert: &Advert) -> Result<(), TestCaseError> {
    let repr = advert.repr();
    let bytes = advert.emit();
    prop_assert_eq!(bytes.len(), repr.buffer_len());

    // The view: every field reads back.
    let packet = Packet::new_checked(&bytes[..], advert.family)
        .map_err(|e| TestCaseError::fail(format!("new_checked: {e}")))?;
    prop_assert_eq!(packet.version(), Some(advert.version));
    prop_assert_eq!(packet.kind(), 1);
    prop_assert_eq!(packet.vrid(), advert.vrid);
    prop_assert_eq!(packet.priority(), advert.priority);
    prop_assert_eq!(usize::from(packet.count()), repr.addresses.len());
    if advert.version == Version::V3 {
        prop_assert_eq!(packet.v3_reserved(), 0);
    }

    // decode: the same repr, in the form it was sent in.
    let (decoded, form) = wire::decode(&bytes, &advert.meta())
        .map_err(|e| TestCaseError::fail(format!("decode: {e}")))?;
    prop_assert_eq!(decoded, repr);
    prop_assert_eq!(form, expected_form(advert, &bytes));
    // A router configured like the sender accepts its authentication.
    if advert.version == Version::V2 {
        prop_assert_eq!(repr.auth.verify(&packet), Ok(()));
    }
    // And emitting what was decoded gives the same bytes again.
    let mut again = vec![0u8; decoded.buffer_len()];
    decoded
        .emit(&mut again, advert.src, advert.dst, advert.mode)
        .map_err(|e| TestCaseError::fail(format!("re-emit: {e}")))?;
    prop_assert_eq!(again, bytes);
    Ok(())
}

proptest! {
    // Each case takes microseconds; four times proptest's default of 256 costs nothing.
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn v2_ipv4_emit_then_decode_is_identity(advert in v2_ipv4()) {
        check_roundtrip(&advert)?;
    }

    #[test]
    fn v3_ipv4_emit_then_decode_is_identity(advert in v3_ipv4()) {
        check_roundtrip(&advert)?;
    }

    #[test]
    fn v3_ipv6_emit_then_decode_is_identity(advert in v3_ipv6()) {
        check_roundtrip(&advert)?;
    }

    /// A one-bit change anywhere never yields the original advert in the original form.
    ///
    /// One's-complement arithmetic guarantees that flipping one bit changes the sum by
    /// +-2^k (mod 0xffff), never by 0, so the checksum of the form the packet was sent in
    /// always fails. With a single form (VRRPv2, VRRPv3/IPv6) that means an error, always.
    /// VRRPv3/IPv4 accepts more than one form: if the pseudo-header of the packet's
    /// addresses happens to sum to +-2^k, the flipped packet is a valid packet of
    /// *another* form (see `flipped_bit_can_land_in_another_checksum_form` below). Then
    /// it must be reported as that other form.
    #[test]
    fn a_flipped_bit_is_never_taken_for_the_original(
        advert in any_advert(),
        bit in any::<prop::sample::Index>(),
    ) {
        let original = advert.repr();
        let sent = advert.emit();
        let sent_form = expected_form(&advert, &sent);
        let mut bytes = sent.clone();
        let bit = bit.index(bytes.len() * 8);
        bytes[bit / 8] ^= 1 << (bit % 8);

        match wire::decode(&bytes, &advert.meta()) {
            Err(_) => {}
            Ok((repr, form)) => {
                prop_assert!(
                    advert.version == Version::V3 && advert.family == Family::Ipv4,
                    "single-form packet accepted after a bit flip: {repr}"
                );
                prop_assert_ne!(form, sent_form);
                prop_assert!(
                    !(repr == original && form == advert.sent_form()),
                    "flipped packet decoded as the original"
                );
            }
        }
    }

    /// Random bytes, random metadata: never a panic, and every accepted packet is
    /// self-consistent.
    #[test]
    fn random_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        meta in any_meta(),
    ) {
        exercise(&bytes, &meta)?;
    }

    /// Random bodies behind a plausible header (version 2 or 3, type 1, a count that
    /// matches the length), so that the checks behind the length check are reached.
    #[test]
    fn plausible_headers_never_panic(
        header in (prop_oneof![Just(0x21u8), Just(0x31u8), any::<u8>()], any::<u8>(), any::<u8>()),
        count in 0..=8u8,
        body in proptest::collection::vec(any::<u8>(), 4 + 8 * 16),
        meta in any_meta(),
    ) {
        let (ver_type, vrid, priority) = header;
        let family = meta.family();
        let version = if ver_type >> 4 == 2 { Version::V2 } else { Version::V3 };
        let len = wire::message_len(version, family, usize::from(count));
        let mut bytes = vec![ver_type, vrid, priority, count];
        bytes.extend_from_slice(&body[..len.saturating_sub(4).min(body.len())]);
        exercise(&bytes, &meta)?;
    }
}

fn any_meta() -> impl Strategy<Value = RxMeta> {
    prop_oneof![
        (ipv4(), dst4(), prop_oneof![Just(255u8), any::<u8>()])
            .prop_map(|(s, d, h)| RxMeta::v4(s, d, h)),
        (ipv6(), dst6(), prop_oneof![Just(255u8), any::<u8>()])
            .prop_map(|(s, d, h)| RxMeta::v6(s, d, h)),
    ]
}

/// Calls everything a receiver may call on untrusted bytes.
fn exercise(bytes: &[u8], meta: &RxMeta) -> Result<(), TestCaseError> {
    let decoded = wire::decode(bytes, meta);
    if let Ok((repr, _)) = &decoded {
        let _ = repr.to_string();
    }
    if let Err(e) = &decoded {
        prop_assert!(!e.to_string().is_empty());
    }
    for family in [Family::Ipv4, Family::Ipv6] {
        // parse checks the length itself, even on an unchecked view.
        let unchecked = Packet::new_unchecked(bytes, family);
        let parsed = AdvertRepr::parse(&unchecked);
        let Ok(packet) = Packet::new_checked(bytes, family) else {
            prop_assert!(parsed.is_err(), "parse accepted what new_checked refused");
            continue;
        };
        let _ = (
            packet.version(),
            packet.version_number(),
            packet.kind(),
            packet.vrid(),
            packet.priority(),
            packet.count(),
            packet.v2_auth_type(),
            packet.v2_adver_int(),
            packet.v3_reserved(),
            packet.v3_max_adver_interval(),
            packet.checksum(),
            packet.v2_auth_data(),
        );
        for i in 0..=usize::from(packet.count()) {
            let _ = (packet.ipv4_address(i), packet.ipv6_address(i));
        }
        prop_assert_eq!(
            packet.address_bytes().len(),
            usize::from(packet.count()) * family.addr_len()
        );
        let verified = packet.verify_checksum(meta.src, meta.dst);
        let _ = Auth::None.verify(&packet);
        let _ = Auth::Simple(Password::new("mynginx").expect("8 bytes")).verify(&packet);
        if let Ok(repr) = parsed {
            let _ = repr.to_string();
            prop_assert_eq!(repr.addresses.len(), usize::from(packet.count()));
            prop_assert_eq!(repr.addresses.iter().count(), repr.addresses.len());
            // Whatever parses can be written back, with a checksum that verifies.
            let (src, dst) = match family {
                Family::Ipv4 => (
                    IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
                    IpAddr::V4(wire::VRRP_MULTICAST_V4),
                ),
                Family::Ipv6 => (
                    IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1)),
                    IpAddr::V6(wire::VRRP_MULTICAST_V6),
                ),
            };
            let mut out = vec![0u8; repr.buffer_len()];
            repr.emit(&mut out, src, dst, ChecksumMode::default())
                .map_err(|e| TestCaseError::fail(format!("emit of a parsed repr: {e}")))?;
            let (again, _) = wire::decode(
                &out,
                &RxMeta {
                    src,
                    dst,
                    hop_limit: 255,
                },
            )
            .map_err(|e| TestCaseError::fail(format!("decode of re-emitted: {e}")))?;
            prop_assert_eq!(again, repr);
            // When the whole receive path accepted it, it did so with this family's view.
            if meta.family() == family {
                if let Ok((d, _)) = &decoded {
                    prop_assert_eq!(*d, repr);
                    prop_assert!(verified.is_ok());
                }
            }
        }
    }
    Ok(())
}

/// The address pair for which the IPv4 pseudo-header of a 12-byte VRRPv3 message sums to
/// 1: 10.0.21.114 -> 224.0.0.18 (0x0a00 + 0x1572 + 0xe000 + 0x0012 + 112 + 12 = 0x10000,
/// which folds to 0x0001).
#[test]
fn flipped_bit_can_land_in_another_checksum_form() {
    let src = Ipv4Addr::new(10, 0, 21, 114);
    let meta = RxMeta::v4(src, wire::VRRP_MULTICAST_V4, 255);
    let vips = [Ipv4Addr::new(10, 0, 21, 1)];
    // VRID 50: flipping the low bit of the VRID byte adds exactly 1 to the sum.
    let sent = AdvertRepr {
        version: Version::V3,
        vrid: Vrid::new(50).unwrap(),
        priority: Priority(100),
        max_advert_interval: Centiseconds(100),
        addresses: AddressList::ipv4(&vips),
        auth: Auth::None,
    };
    let mut bytes = [0u8; 12];
    sent.emit(
        &mut bytes,
        meta.src,
        meta.dst,
        ChecksumMode::Ipv4PseudoHeader,
    )
    .unwrap();
    assert_eq!(
        wire::decode(&bytes, &meta).unwrap(),
        (sent, ChecksumForm::V3Ipv4PseudoHeader)
    );

    bytes[1] ^= 1;
    let (repr, form) = wire::decode(&bytes, &meta).unwrap();
    // A valid RFC 9568-form advert for VRID 51: not what was sent, and reported as the
    // other form, which a router logs and counts (a peer switching checksum style).
    assert_eq!(repr.vrid.get(), 51);
    assert_eq!(form, ChecksumForm::V3Ipv4Rfc9568);
    assert_ne!((repr, form), (sent, ChecksumForm::V3Ipv4PseudoHeader));
}

/// When the pseudo-header sums to zero (one's complement), both VRRPv3/IPv4 forms give
/// the same checksum: the packet verifies in both and is reported as the pseudo-header
/// form. 10.0.21.113 -> 224.0.0.18 with 12 bytes sums to 0xffff.
#[test]
fn forms_coincide_when_the_pseudo_header_sums_to_zero() {
    let src = Ipv4Addr::new(10, 0, 21, 113);
    let meta = RxMeta::v4(src, wire::VRRP_MULTICAST_V4, 255);
    let vips = [Ipv4Addr::new(10, 0, 21, 1)];
    let repr = AdvertRepr {
        version: Version::V3,
        vrid: Vrid::new(50).unwrap(),
        priority: Priority(100),
        max_advert_interval: Centiseconds(100),
        addresses: AddressList::ipv4(&vips),
        auth: Auth::None,
    };
    let mut with = [0u8; 12];
    let mut without = [0u8; 12];
    repr.emit(
        &mut with,
        meta.src,
        meta.dst,
        ChecksumMode::Ipv4PseudoHeader,
    )
    .unwrap();
    repr.emit(&mut without, meta.src, meta.dst, ChecksumMode::Rfc9568)
        .unwrap();
    assert_eq!(with, without);
    assert_eq!(
        wire::decode(&without, &meta).unwrap().1,
        ChecksumForm::V3Ipv4PseudoHeader
    );
}

/// Not every error is a checksum error: make sure the bit-flip property above is not
/// satisfied vacuously by a decoder that refuses everything.
#[test]
fn bit_flips_in_a_real_advert_are_each_refused() {
    // keepalived's VRRPv3/IPv4 advert: every one of its 96 single-bit corruptions fails,
    // and a flip in the checksum field is reported as a checksum error.
    let bytes = [
        0x31, 0x33, 0x65, 0x01, 0x00, 0x0a, 0x3f, 0xca, 192, 168, 100, 12,
    ];
    let meta = RxMeta::v4(
        Ipv4Addr::new(192, 168, 100, 10),
        wire::VRRP_MULTICAST_V4,
        255,
    );
    assert!(wire::decode(&bytes, &meta).is_ok());
    for bit in 0..bytes.len() * 8 {
        let mut flipped = bytes;
        flipped[bit / 8] ^= 1 << (bit % 8);
        let result = wire::decode(&flipped, &meta);
        assert!(result.is_err(), "bit {bit}: {result:?}");
        if (48..64).contains(&bit) {
            assert!(
                matches!(result, Err(DecodeError::BadChecksum { .. })),
                "bit {bit}"
            );
        }
    }
}
