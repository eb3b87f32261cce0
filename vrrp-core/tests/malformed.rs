//! Malformed packets: each is refused with the exact `DecodeError` that names its fault,
//! a message a person can act on, and the statistics counter it is counted under.
//!
//! The packets start from real ones (keepalived's VRRPv3 advert from the vectors, and
//! VRRPv2 / VRRPv3-IPv6 adverts built like keepalived's) and change one thing. Where the
//! fault sits behind the checksum in RFC 9568 section 7.1's order (type, VRID, interval,
//! auth), the checksum is recomputed so that the check under test is the one that fires.

// Tests may unwrap: a panic here is a failed test, with the value in the message.
#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use vrrp_core::wire::{
    self, AddressList, AdvertRepr, Auth, ChecksumForm, ChecksumMode, DecodeError, Packet, Password,
    RxMeta,
};
use vrrp_core::{Centiseconds, Family, Priority, Version, Vrid};

const SRC4: Ipv4Addr = Ipv4Addr::new(192, 168, 100, 10);
const VIP4: [Ipv4Addr; 1] = [Ipv4Addr::new(192, 168, 100, 12)];
const SRC6: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0xdc0f, 0x23ff, 0xfec8, 0x9dfb);
const VIP6: [Ipv6Addr; 2] = [
    Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 1, 0x12),
    Ipv6Addr::new(0xfd00, 0x100, 0, 0, 0, 0, 0, 0x12),
];

/// keepalived 2.2.7, VRRPv3 over IPv4 (tests/data/keepalived-v3-ipv4.pcap).
const KEEPALIVED_V3: [u8; 12] = [
    0x31, 0x33, 0x65, 0x01, 0x00, 0x0a, 0x3f, 0xca, 192, 168, 100, 12,
];

fn meta4() -> RxMeta {
    RxMeta::v4(SRC4, wire::VRRP_MULTICAST_V4, 255)
}

fn meta6() -> RxMeta {
    RxMeta::v6(SRC6, wire::VRRP_MULTICAST_V6, 255)
}

fn password() -> Password {
    Password::new("mynginx").unwrap()
}

/// keepalived's VRRPv2 advert with password "mynginx".
fn v2() -> Vec<u8> {
    let repr = AdvertRepr {
        version: Version::V2,
        vrid: Vrid::new(51).unwrap(),
        priority: Priority(101),
        max_advert_interval: Centiseconds(100),
        addresses: AddressList::ipv4(&VIP4),
        auth: Auth::Simple(password()),
    };
    emit(&repr, meta4())
}

/// keepalived's VRRPv3 advert over IPv6.
fn v3_ipv6() -> Vec<u8> {
    let repr = AdvertRepr {
        version: Version::V3,
        vrid: Vrid::new(52).unwrap(),
        priority: Priority(150),
        max_advert_interval: Centiseconds(100),
        addresses: AddressList::ipv6(&VIP6),
        auth: Auth::None,
    };
    emit(&repr, meta6())
}

fn emit(repr: &AdvertRepr<'_>, meta: RxMeta) -> Vec<u8> {
    let mut buf = vec![0u8; repr.buffer_len()];
    let len = repr
        .emit(&mut buf, meta.src, meta.dst, ChecksumMode::default())
        .unwrap();
    assert_eq!(len, buf.len());
    buf
}

/// `bytes` changed by `edit`, with the checksum recomputed for `meta` afterwards.
fn edited(mut bytes: Vec<u8>, meta: RxMeta, edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    edit(&mut bytes);
    let family = meta.family();
    let mut packet = Packet::new_unchecked(&mut bytes[..], family);
    let form = ChecksumForm::for_sending(
        packet.version_number() == 3,
        family == Family::Ipv6,
        ChecksumMode::default(),
    );
    assert!(packet.fill_checksum(form, meta.src, meta.dst));
    bytes
}

/// `bytes` changed by `edit`, checksum left as it was.
fn raw(mut bytes: Vec<u8>, edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    edit(&mut bytes);
    bytes
}

struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    meta: RxMeta,
    error: DecodeError,
    counter: &'static str,
}

fn case(
    name: &'static str,
    bytes: Vec<u8>,
    meta: RxMeta,
    error: DecodeError,
    counter: &'static str,
) -> Case {
    Case {
        name,
        bytes,
        meta,
        error,
        counter,
    }
}

const LENGTH: &str = "vrrpv3StatisticsPacketLengthErrors";
const VERSION: &str = "vrrpv3StatisticsVersionErrors";
const CHECKSUM: &str = "vrrpv3StatisticsChecksumErrors";

fn decode_cases() -> Vec<Case> {
    let v3 = KEEPALIVED_V3.to_vec();
    let hop = |ttl| RxMeta {
        hop_limit: ttl,
        ..meta4()
    };
    vec![
        case(
            "empty",
            vec![],
            meta4(),
            DecodeError::TooShort { len: 0 },
            LENGTH,
        ),
        case(
            "7 bytes, one short of a header",
            v3[..7].to_vec(),
            meta4(),
            DecodeError::TooShort { len: 7 },
            LENGTH,
        ),
        case(
            "version 4",
            raw(v3.clone(), |b| b[0] = 0x41),
            meta4(),
            DecodeError::BadVersion(4),
            VERSION,
        ),
        case(
            "version 0",
            raw(v3.clone(), |b| b[0] = 0x01),
            meta4(),
            DecodeError::BadVersion(0),
            VERSION,
        ),
        case(
            "version 1 (RFC 2338 never defined it on the wire)",
            raw(v3.clone(), |b| b[0] = 0x11),
            meta4(),
            DecodeError::BadVersion(1),
            VERSION,
        ),
        case(
            "VRRPv2 over IPv6",
            v2(),
            meta6(),
            DecodeError::V2OverIpv6,
            VERSION,
        ),
        case(
            "type 2 (not ADVERTISEMENT)",
            edited(v3.clone(), meta4(), |b| b[0] = 0x32),
            meta4(),
            DecodeError::BadType(2),
            "vrrpv3StatisticsInvalidTypePktsRcvd",
        ),
        case(
            "type 0",
            edited(v3.clone(), meta4(), |b| b[0] = 0x30),
            meta4(),
            DecodeError::BadType(0),
            "vrrpv3StatisticsInvalidTypePktsRcvd",
        ),
        case(
            "VRRPv2 type 15",
            edited(v2(), meta4(), |b| b[0] = 0x2f),
            meta4(),
            DecodeError::BadType(15),
            "vrrpv3StatisticsInvalidTypePktsRcvd",
        ),
        case(
            "VRID 0",
            edited(v3.clone(), meta4(), |b| b[1] = 0),
            meta4(),
            DecodeError::VridZero,
            "vrrpv3StatisticsVrIdErrors",
        ),
        case(
            "one byte longer than the count implies",
            raw(v3.clone(), |b| b.push(0)),
            meta4(),
            DecodeError::LengthMismatch {
                len: 13,
                count: 1,
                family: Family::Ipv4,
                expected: 12,
            },
            LENGTH,
        ),
        case(
            "one byte shorter than the count implies",
            v3[..11].to_vec(),
            meta4(),
            DecodeError::LengthMismatch {
                len: 11,
                count: 1,
                family: Family::Ipv4,
                expected: 12,
            },
            LENGTH,
        ),
        case(
            "count says 2, one address present",
            raw(v3.clone(), |b| b[3] = 2),
            meta4(),
            DecodeError::LengthMismatch {
                len: 12,
                count: 2,
                family: Family::Ipv4,
                expected: 16,
            },
            LENGTH,
        ),
        case(
            "count says 0, one address present",
            raw(v3.clone(), |b| b[3] = 0),
            meta4(),
            DecodeError::LengthMismatch {
                len: 12,
                count: 0,
                family: Family::Ipv4,
                expected: 8,
            },
            LENGTH,
        ),
        case(
            "VRRPv2 without its 8 bytes of auth data",
            raw(v2(), |b| b.truncate(12)),
            meta4(),
            DecodeError::LengthMismatch {
                len: 12,
                count: 1,
                family: Family::Ipv4,
                expected: 20,
            },
            LENGTH,
        ),
        case(
            "IPv6 advert with an IPv4-sized address list",
            raw(v3_ipv6(), |b| b.truncate(8 + 2 * 4)),
            meta6(),
            DecodeError::LengthMismatch {
                len: 16,
                count: 2,
                family: Family::Ipv6,
                expected: 40,
            },
            LENGTH,
        ),
        case(
            "IPv4 advert read as IPv6",
            v3.clone(),
            meta6(),
            DecodeError::LengthMismatch {
                len: 12,
                count: 1,
                family: Family::Ipv6,
                expected: 24,
            },
            LENGTH,
        ),
        case(
            "IPv6 advert read as IPv4",
            v3_ipv6(),
            meta4(),
            DecodeError::LengthMismatch {
                len: 40,
                count: 2,
                family: Family::Ipv4,
                expected: 16,
            },
            LENGTH,
        ),
        case(
            "IPv4 source with an IPv6 destination: no checksum form fits",
            v3.clone(),
            RxMeta {
                src: IpAddr::V4(SRC4),
                dst: IpAddr::V6(wire::VRRP_MULTICAST_V6),
                hop_limit: 255,
            },
            DecodeError::BadChecksum { found: 0x3fca },
            CHECKSUM,
        ),
        case(
            "VRRPv3/IPv4 checksum off by one",
            raw(v3.clone(), |b| b[7] ^= 1),
            meta4(),
            DecodeError::BadChecksum { found: 0x3fcb },
            CHECKSUM,
        ),
        case(
            "VRRPv3/IPv4 from another source (pseudo-header covers it)",
            v3.clone(),
            RxMeta::v4(
                Ipv4Addr::new(192, 168, 100, 11),
                wire::VRRP_MULTICAST_V4,
                255,
            ),
            DecodeError::BadChecksum { found: 0x3fca },
            CHECKSUM,
        ),
        case(
            "VRRPv2 with the priority changed after checksumming",
            raw(v2(), |b| b[2] = 102),
            meta4(),
            DecodeError::BadChecksum { found: 0x96c5 },
            CHECKSUM,
        ),
        case(
            "VRRPv2 with the password changed after checksumming (auth data is covered)",
            raw(v2(), |b| b[19] = b'!'),
            meta4(),
            DecodeError::BadChecksum { found: 0x96c5 },
            CHECKSUM,
        ),
        case(
            "VRRPv3/IPv6 with a zero checksum",
            raw(v3_ipv6(), |b| b[6..8].copy_from_slice(&[0, 0])),
            meta6(),
            DecodeError::BadChecksum { found: 0 },
            CHECKSUM,
        ),
        case(
            "VRRPv3 interval 0",
            edited(v3.clone(), meta4(), |b| b[4..6].copy_from_slice(&[0, 0])),
            meta4(),
            DecodeError::IntervalZero,
            "vrrpv3StatisticsAdvIntervalErrors",
        ),
        case(
            "VRRPv3 interval 0 with the reserved bits set (they are ignored)",
            edited(v3.clone(), meta4(), |b| b[4..6].copy_from_slice(&[0xf0, 0])),
            meta4(),
            DecodeError::IntervalZero,
            "vrrpv3StatisticsAdvIntervalErrors",
        ),
        case(
            "VRRPv2 interval 0",
            edited(v2(), meta4(), |b| b[5] = 0),
            meta4(),
            DecodeError::IntervalZero,
            "vrrpv3StatisticsAdvIntervalErrors",
        ),
        case(
            "VRRPv2 auth type 2 (IP AH)",
            edited(v2(), meta4(), |b| b[4] = 2),
            meta4(),
            DecodeError::AuthIpAhUnsupported,
            "vrrpStatsInvalidAuthType",
        ),
        case(
            "VRRPv2 auth type 3",
            edited(v2(), meta4(), |b| b[4] = 3),
            meta4(),
            DecodeError::UnknownAuthType(3),
            "vrrpStatsInvalidAuthType",
        ),
        case(
            "VRRPv2 auth type 255",
            edited(v2(), meta4(), |b| b[4] = 255),
            meta4(),
            DecodeError::UnknownAuthType(255),
            "vrrpStatsInvalidAuthType",
        ),
        case(
            "TTL 254: forwarded by a router",
            v3.clone(),
            hop(254),
            DecodeError::BadHopLimit(254),
            "vrrpv3StatisticsIpTtlErrors",
        ),
        case(
            "TTL 64",
            v3.clone(),
            hop(64),
            DecodeError::BadHopLimit(64),
            "vrrpv3StatisticsIpTtlErrors",
        ),
        case(
            "IPv6 hop limit 1",
            v3_ipv6(),
            RxMeta {
                hop_limit: 1,
                ..meta6()
            },
            DecodeError::BadHopLimit(1),
            "vrrpv3StatisticsIpTtlErrors",
        ),
        // RFC 9568 section 7.1 order: TTL, then length/version, then checksum, then
        // the fields. Each of these packets has two faults; the earlier check wins.
        case(
            "TTL 254 and truncated: the TTL is checked first",
            v3[..3].to_vec(),
            hop(254),
            DecodeError::BadHopLimit(254),
            "vrrpv3StatisticsIpTtlErrors",
        ),
        case(
            "bad type and bad checksum: the checksum is checked first",
            raw(v3.clone(), |b| b[0] = 0x32),
            meta4(),
            DecodeError::BadChecksum { found: 0x3fca },
            CHECKSUM,
        ),
        case(
            "VRID 0 and interval 0: the VRID is checked first",
            edited(v3.clone(), meta4(), |b| {
                b[1] = 0;
                b[4..6].copy_from_slice(&[0, 0]);
            }),
            meta4(),
            DecodeError::VridZero,
            "vrrpv3StatisticsVrIdErrors",
        ),
    ]
}

fn check_error_text(name: &str, error: &DecodeError, counter: &str) {
    let text = error.to_string();
    assert!(!text.trim().is_empty(), "{name}: empty Display");
    assert_eq!(error.counter_name(), counter, "{name}: counter");
}

#[test]
fn each_malformed_packet_is_refused_with_its_own_error() {
    let cases = decode_cases();
    for c in &cases {
        let got = wire::decode(&c.bytes, &c.meta);
        assert_eq!(got.err(), Some(c.error), "{}", c.name);
        check_error_text(c.name, &c.error, c.counter);
    }
}

#[test]
fn the_unchanged_base_packets_are_accepted() {
    // Without this the table above could pass by refusing everything.
    let (repr, form) = wire::decode(&KEEPALIVED_V3, &meta4()).unwrap();
    assert_eq!(
        (repr.vrid.get(), form),
        (51, ChecksumForm::V3Ipv4PseudoHeader)
    );
    let bytes = v2();
    let (repr, form) = wire::decode(&bytes, &meta4()).unwrap();
    assert_eq!((repr.vrid.get(), form), (51, ChecksumForm::V2));
    let bytes = v3_ipv6();
    let (repr, form) = wire::decode(&bytes, &meta6()).unwrap();
    assert_eq!((repr.vrid.get(), form), (52, ChecksumForm::V3Ipv6));
    // And a recomputed checksum alone changes nothing.
    let same = edited(KEEPALIVED_V3.to_vec(), meta4(), |_| {});
    assert_eq!(same, KEEPALIVED_V3);
}

#[test]
fn the_reserved_bits_are_ignored_on_receipt() {
    // RFC 9568 section 5.2.5: sent as zero, ignored on receipt.
    let bytes = edited(KEEPALIVED_V3.to_vec(), meta4(), |b| b[4] |= 0xf0);
    let (repr, _) = wire::decode(&bytes, &meta4()).unwrap();
    assert_eq!(repr.max_advert_interval, Centiseconds(10));
}

/// RFC 3768 section 7.1: the auth type must match the configured one, and for simple
/// text authentication the password too. The router applies this after `decode`.
#[test]
fn auth_verify_refuses_mismatched_type_and_password() {
    let simple = Auth::Simple(password());
    let with_password = v2();
    let without_password = edited(v2(), meta4(), |b| {
        b[4] = 0;
        b[12..20].fill(0);
    });
    let wrong_password = edited(v2(), meta4(), |b| b[12..20].copy_from_slice(b"mynginy\0"));
    let longer_password = edited(v2(), meta4(), |b| b[12..20].copy_from_slice(b"mynginx2"));
    let ip_ah = edited(v2(), meta4(), |b| b[4] = 2);
    let unknown = edited(v2(), meta4(), |b| b[4] = 7);

    // (what, configured auth, received packet, verdict, counter of the error)
    type AuthCase<'a> = (&'a str, Auth, &'a [u8], Result<(), DecodeError>, &'a str);
    let cases: Vec<AuthCase<'_>> = vec![
        ("same password", simple, &with_password, Ok(()), ""),
        (
            "none configured, none received",
            Auth::None,
            &without_password,
            Ok(()),
            "",
        ),
        (
            "password configured, none received",
            simple,
            &without_password,
            Err(DecodeError::AuthTypeMismatch {
                received: 0,
                expected: 1,
            }),
            "vrrpStatsAuthTypeMismatch",
        ),
        (
            "none configured, password received",
            Auth::None,
            &with_password,
            Err(DecodeError::AuthTypeMismatch {
                received: 1,
                expected: 0,
            }),
            "vrrpStatsAuthTypeMismatch",
        ),
        (
            "password differs in its last character",
            simple,
            &wrong_password,
            Err(DecodeError::AuthFailure),
            "vrrpStatsAuthFailures",
        ),
        (
            "received password has one more character",
            simple,
            &longer_password,
            Err(DecodeError::AuthFailure),
            "vrrpStatsAuthFailures",
        ),
        (
            "auth type 2 received",
            simple,
            &ip_ah,
            Err(DecodeError::AuthIpAhUnsupported),
            "vrrpStatsInvalidAuthType",
        ),
        (
            "auth type 7 received",
            Auth::None,
            &unknown,
            Err(DecodeError::UnknownAuthType(7)),
            "vrrpStatsInvalidAuthType",
        ),
    ];
    for (name, configured, bytes, expected, counter) in cases {
        let packet = Packet::new_checked(bytes, Family::Ipv4).unwrap();
        assert_eq!(configured.verify(&packet), expected, "{name}");
        if let Err(e) = expected {
            check_error_text(name, &e, counter);
        }
    }
    // The mismatching passwords are otherwise valid packets: decode accepts them, so it
    // is `Auth::verify` that has to refuse them.
    assert!(wire::decode(&wrong_password, &meta4()).is_ok());
    assert!(wire::decode(&without_password, &meta4()).is_ok());
}

#[test]
fn version_mismatch_has_a_message_and_a_counter() {
    // Not produced by `decode` (which takes both versions) but by a router that runs one.
    let e = DecodeError::VersionMismatch {
        received: Version::V2,
        expected: Version::V3,
    };
    check_error_text("version mismatch", &e, VERSION);
    assert!(e.to_string().contains("VRRPv2") && e.to_string().contains("VRRPv3"));
}

#[test]
fn checksum_errors_report_the_received_value_in_hex() {
    let bytes = raw(KEEPALIVED_V3.to_vec(), |b| {
        b[6..8].copy_from_slice(&[0xbe, 0xef])
    });
    let e = wire::decode(&bytes, &meta4()).unwrap_err();
    assert!(e.to_string().contains("0xbeef"), "{e}");
}
