//! Golden vectors: traffic captured from keepalived 2.2.7 and FRR 8.4.4 (plus one synthetic
//! RFC 9568-checksum packet), see `tests/data/README.md`.
//!
//! For every VRRP packet of every capture: `decode` accepts it with the TTL / addresses it
//! arrived with, reports the checksum form that peer uses, yields the fields the capture's
//! description states, and `AdvertRepr::emit` writes the very same bytes back. The
//! failover captures are also read as a story: who was master when, the priority-0
//! handover, and a takeover after Skew_Time.

// Tests may unwrap: a panic here is a failed test, with the value in the message.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use common::{data_pcaps, read_capture, virtual_mac, Capture, VrrpFrame};
use vrrp_core::wire::{
    self, Auth, ChecksumForm, ChecksumMode, Packet, Password, RxMeta, AUTH_DATA_LEN,
};
use vrrp_core::{Centiseconds, Family, Priority, Version};

/// What the vectors README says about one capture.
struct Expect {
    file: &'static str,
    /// Frames in the file, VRRP or not.
    total_frames: usize,
    /// Frames that carry VRRP.
    vrrp_frames: usize,
    version: Version,
    vrid: u8,
    /// Every priority that occurs (one for a steady master; several for a failover story).
    priorities: &'static [u8],
    interval: Centiseconds,
    addresses: &'static [&'static str],
    /// The configured VRRPv2 password, `None` for auth type 0 (and for VRRPv3).
    password: Option<&'static str>,
    /// Every IP source that occurs.
    sources: &'static [&'static str],
    /// The checksum form every packet must verify in.
    form: ChecksumForm,
    /// Ethernet source, when the capture's description states it (FRR sends from the
    /// virtual MAC).
    eth_src: Option<[u8; 6]>,
}

const KEEPALIVED_V4_VIP: &[&str] = &["192.168.100.12"];

const EXPECTATIONS: &[Expect] = &[
    Expect {
        file: "keepalived-v2-pass.pcap",
        total_frames: 3,
        vrrp_frames: 3,
        version: Version::V2,
        vrid: 51,
        priorities: &[101],
        interval: Centiseconds(100),
        addresses: KEEPALIVED_V4_VIP,
        password: Some("mynginx"),
        sources: &["192.168.100.10"],
        form: ChecksumForm::V2,
        eth_src: None,
    },
    Expect {
        file: "keepalived-v3-ipv4.pcap",
        total_frames: 3,
        vrrp_frames: 3,
        version: Version::V3,
        vrid: 51,
        priorities: &[101],
        interval: Centiseconds(10),
        addresses: KEEPALIVED_V4_VIP,
        password: None,
        sources: &["192.168.100.10"],
        form: ChecksumForm::V3Ipv4PseudoHeader,
        eth_src: None,
    },
    Expect {
        file: "keepalived-v3-ipv6.pcap",
        total_frames: 2,
        vrrp_frames: 2,
        version: Version::V3,
        vrid: 52,
        priorities: &[150],
        interval: Centiseconds(100),
        addresses: &["fe80::1:12", "fd00:100::12"],
        password: None,
        // The interface's own link-local address (RFC 9568 section 5.1.2.1).
        sources: &["fe80::dc0f:23ff:fec8:9dfb"],
        form: ChecksumForm::V3Ipv6,
        eth_src: None,
    },
    Expect {
        file: "keepalived-v2-failover-sequence.pcap",
        total_frames: 46,
        vrrp_frames: 21,
        version: Version::V2,
        vrid: 51,
        priorities: &[101, 0, 100],
        interval: Centiseconds(100),
        addresses: KEEPALIVED_V4_VIP,
        password: Some("mynginx"),
        sources: &["192.168.100.10", "192.168.100.13"],
        form: ChecksumForm::V2,
        eth_src: None,
    },
    Expect {
        file: "keepalived-v3-failover-sequence.pcap",
        total_frames: 258,
        vrrp_frames: 228,
        version: Version::V3,
        vrid: 51,
        priorities: &[101, 0, 100],
        interval: Centiseconds(10),
        addresses: KEEPALIVED_V4_VIP,
        password: None,
        sources: &["192.168.100.10", "192.168.100.13"],
        form: ChecksumForm::V3Ipv4PseudoHeader,
        eth_src: None,
    },
    Expect {
        file: "frr-v3-ipv4.pcap",
        total_frames: 57,
        vrrp_frames: 57,
        version: Version::V3,
        vrid: 51,
        priorities: &[150],
        interval: Centiseconds(10),
        addresses: &["192.168.200.12"],
        password: None,
        sources: &["192.168.200.10"],
        form: ChecksumForm::V3Ipv4PseudoHeader,
        eth_src: Some([0x00, 0x00, 0x5e, 0x00, 0x01, 0x33]),
    },
    Expect {
        file: "frr-v3-ipv6.pcap",
        total_frames: 56,
        vrrp_frames: 56,
        version: Version::V3,
        vrid: 52,
        priorities: &[150],
        interval: Centiseconds(10),
        addresses: &["fe80::1:12", "fd00:200::12"],
        password: None,
        sources: &["fe80::1:12"],
        form: ChecksumForm::V3Ipv6,
        eth_src: Some([0x00, 0x00, 0x5e, 0x00, 0x02, 0x34]),
    },
    Expect {
        file: "frr-v2-noauth.pcap",
        total_frames: 3,
        vrrp_frames: 3,
        version: Version::V2,
        vrid: 53,
        priorities: &[150],
        interval: Centiseconds(100),
        addresses: &["192.168.200.13"],
        password: None,
        sources: &["192.168.200.10"],
        form: ChecksumForm::V2,
        eth_src: Some([0x00, 0x00, 0x5e, 0x00, 0x01, 0x35]),
    },
    Expect {
        file: "synthetic-v3-ipv4-rfc9568-checksum.pcap",
        total_frames: 1,
        vrrp_frames: 1,
        version: Version::V3,
        vrid: 51,
        priorities: &[150],
        interval: Centiseconds(10),
        addresses: &["192.168.200.12"],
        password: None,
        sources: &["192.168.200.10"],
        form: ChecksumForm::V3Ipv4Rfc9568,
        eth_src: Some([0x00, 0x00, 0x5e, 0x00, 0x01, 0x33]),
    },
];

/// Captures of FRR's address announcements: no VRRP in them, the reader must skip them.
const NON_VRRP_CAPTURES: &[(&str, usize)] = &[("frr-garp.pcap", 2), ("frr-unsolicited-na.pcap", 2)];

fn expectation(file: &str) -> &'static Expect {
    EXPECTATIONS
        .iter()
        .find(|e| e.file == file)
        .unwrap_or_else(|| panic!("no expectation for {file}"))
}

fn load(file: &str) -> Capture {
    read_capture(&common::data_dir().join(file))
}

fn ip(text: &str) -> IpAddr {
    text.parse()
        .unwrap_or_else(|e| panic!("{text:?} in the test table: {e}"))
}

/// The mode a router must be configured with to send a packet in `form`.
fn mode_for(form: ChecksumForm) -> ChecksumMode {
    match form {
        ChecksumForm::V3Ipv4Rfc9568 => ChecksumMode::Rfc9568,
        _ => ChecksumMode::Ipv4PseudoHeader,
    }
}

/// Decodes, checks and re-encodes every VRRP frame of `expect.file`; returns the capture.
fn check_capture(expect: &Expect) -> Capture {
    let capture = load(expect.file);
    let file = expect.file;
    assert_eq!(capture.total_frames, expect.total_frames, "{file}: frames");
    assert_eq!(
        capture.vrrp.len(),
        expect.vrrp_frames,
        "{file}: VRRP frames"
    );

    let addresses: Vec<IpAddr> = expect.addresses.iter().map(|a| ip(a)).collect();
    let sources: Vec<IpAddr> = expect.sources.iter().map(|a| ip(a)).collect();
    let expected_auth = match expect.password {
        Some(p) => Auth::Simple(Password::new(p).expect("test password fits 8 bytes")),
        None => Auth::None,
    };
    for frame in &capture.vrrp {
        let at = format!("{file} frame {}", frame.number);
        let family = match frame.src {
            IpAddr::V4(_) => Family::Ipv4,
            IpAddr::V6(_) => Family::Ipv6,
        };

        // The IP layer: link-local multicast, TTL 255, a source the story knows.
        assert_eq!(frame.hop_limit, 255, "{at}: TTL / hop limit");
        let group: IpAddr = match family {
            Family::Ipv4 => wire::VRRP_MULTICAST_V4.into(),
            Family::Ipv6 => wire::VRRP_MULTICAST_V6.into(),
        };
        assert_eq!(frame.dst, group, "{at}: destination");
        assert!(sources.contains(&frame.src), "{at}: source {}", frame.src);
        if let Some(mac) = expect.eth_src {
            assert_eq!(frame.eth_src, mac, "{at}: Ethernet source");
            assert_eq!(
                mac,
                virtual_mac(family == Family::Ipv6, expect.vrid),
                "{at}: FRR sends from the virtual MAC of its VRID"
            );
        }

        // Decode, in the order of RFC 9568 section 7.1, and verify the checksum form.
        let (repr, form) = wire::decode(&frame.payload, &frame.meta())
            .unwrap_or_else(|e| panic!("{at}: decode failed: {e}"));
        assert_eq!(form, expect.form, "{at}: checksum form");
        assert_eq!(repr.version, expect.version, "{at}: version");
        assert_eq!(repr.vrid.get(), expect.vrid, "{at}: VRID");
        assert!(
            expect.priorities.contains(&repr.priority.get()),
            "{at}: priority {}",
            repr.priority
        );
        assert_eq!(repr.max_advert_interval, expect.interval, "{at}: interval");
        assert_eq!(repr.addresses.family(), family, "{at}: address family");
        assert_eq!(
            repr.addresses.iter().collect::<Vec<_>>(),
            addresses,
            "{at}: addresses"
        );
        assert_eq!(repr.auth, expected_auth, "{at}: auth");

        // The zero-copy view agrees with the repr.
        let packet =
            Packet::new_checked(&frame.payload[..], family).unwrap_or_else(|e| panic!("{at}: {e}"));
        assert_eq!(packet.version(), Some(expect.version), "{at}");
        assert_eq!(packet.kind(), 1, "{at}: type ADVERTISEMENT");
        assert_eq!(packet.vrid(), expect.vrid, "{at}");
        assert_eq!(packet.priority(), repr.priority.get(), "{at}");
        assert_eq!(usize::from(packet.count()), addresses.len(), "{at}");
        if expect.version == Version::V3 {
            assert_eq!(packet.v3_reserved(), 0, "{at}: reserved bits");
            assert_eq!(
                packet.v3_max_adver_interval(),
                expect.interval.get(),
                "{at}"
            );
        } else {
            assert_eq!(
                u16::from(packet.v2_adver_int()) * 100,
                expect.interval.get(),
                "{at}"
            );
            // A router configured like the sender accepts the packet (RFC 3768 7.1).
            expected_auth
                .verify(&packet)
                .unwrap_or_else(|e| panic!("{at}: auth: {e}"));
            if expected_auth == Auth::None {
                assert_eq!(packet.v2_auth_data(), &[0u8; AUTH_DATA_LEN], "{at}");
            }
        }

        // Re-encode: the same bytes, checksum included, in the peer's checksum form.
        assert_eq!(repr.buffer_len(), frame.payload.len(), "{at}: buffer_len");
        let mut buf = [0u8; 512];
        let len = repr
            .emit(&mut buf, frame.src, frame.dst, mode_for(form))
            .unwrap_or_else(|e| panic!("{at}: emit failed: {e}"));
        assert_eq!(&buf[..len], &frame.payload[..], "{at}: re-encoded bytes");
    }
    capture
}

#[test]
fn every_capture_in_tests_data_has_an_expectation() {
    let mut known: Vec<&str> = EXPECTATIONS.iter().map(|e| e.file).collect();
    known.extend(NON_VRRP_CAPTURES.iter().map(|(f, _)| *f));
    known.sort_unstable();
    let present: Vec<String> = data_pcaps()
        .iter()
        .map(|p| {
            p.file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        present, known,
        "tests/data and the expectation table differ"
    );
}

#[test]
fn every_vrrp_capture_decodes_verifies_and_reencodes_byte_for_byte() {
    for expect in EXPECTATIONS {
        check_capture(expect);
    }
}

#[test]
fn reader_skips_gratuitous_arp_and_unsolicited_na() {
    for &(file, total) in NON_VRRP_CAPTURES {
        let capture = load(file);
        assert_eq!(capture.total_frames, total, "{file}");
        assert!(capture.vrrp.is_empty(), "{file}: no VRRP expected");
    }
}

#[test]
fn keepalived_v2_simple_password() {
    let capture = check_capture(expectation("keepalived-v2-pass.pcap"));
    let frame = &capture.vrrp[0];
    let (repr, _) = wire::decode(&frame.payload, &frame.meta()).unwrap();
    assert_eq!(
        Packet::new_checked(&frame.payload[..], Family::Ipv4)
            .unwrap()
            .v2_auth_data(),
        b"mynginx\0"
    );
    assert_eq!(
        repr.to_string(),
        "VRRPv2 Advertisement, vrid 51, prio 101, intvl 1s, authtype simple, auth \"mynginx\", \
         addrs(1): 192.168.100.12"
    );
}

#[test]
fn keepalived_v3_ipv4_uses_the_ipv4_pseudo_header() {
    let capture = check_capture(expectation("keepalived-v3-ipv4.pcap"));
    let frame = &capture.vrrp[0];
    // The README's worked example, byte for byte.
    assert_eq!(
        frame.payload,
        [0x31, 0x33, 0x65, 0x01, 0x00, 0x0a, 0x3f, 0xca, 192, 168, 100, 12]
    );
    let packet = Packet::new_checked(&frame.payload[..], Family::Ipv4).unwrap();
    assert_eq!(packet.checksum(), 0x3fca);
    // 0x450c is what the RFC 9568 form would be: keepalived does not send it.
    assert_eq!(
        packet.compute_checksum(ChecksumForm::V3Ipv4Rfc9568, frame.src, frame.dst),
        Some(0x450c)
    );
    let (repr, _) = wire::decode(&frame.payload, &frame.meta()).unwrap();
    assert_eq!(
        repr.to_string(),
        "VRRPv3 Advertisement, vrid 51, prio 101, intvl 10cs, addrs(1): 192.168.100.12"
    );
}

#[test]
fn keepalived_v3_ipv6_from_link_local_source() {
    let capture = check_capture(expectation("keepalived-v3-ipv6.pcap"));
    let frame = &capture.vrrp[0];
    match frame.src {
        IpAddr::V6(a) => assert_eq!(a.segments()[0] & 0xffc0, 0xfe80, "link-local source"),
        IpAddr::V4(_) => panic!("IPv6 capture"),
    }
    let (repr, form) = wire::decode(&frame.payload, &frame.meta()).unwrap();
    assert_eq!(form, ChecksumForm::V3Ipv6);
    assert_eq!(
        repr.to_string(),
        "VRRPv3 Advertisement, vrid 52, prio 150, intvl 100cs, addrs(2): fe80::1:12,fd00:100::12"
    );
    // The IPv6 pseudo-header covers the source: the same bytes from another address fail.
    let other = RxMeta::v6(
        "fe80::dc0f:23ff:fec8:9dfc".parse().unwrap(),
        wire::VRRP_MULTICAST_V6,
        255,
    );
    assert!(matches!(
        wire::decode(&frame.payload, &other),
        Err(wire::DecodeError::BadChecksum { found: 0xa0bc })
    ));
}

#[test]
fn frr_v3_ipv4_checksum_matches_the_readme() {
    let capture = check_capture(expectation("frr-v3-ipv4.pcap"));
    for frame in &capture.vrrp {
        let packet = Packet::new_checked(&frame.payload[..], Family::Ipv4).unwrap();
        assert_eq!(packet.checksum(), 0x46c9, "frame {}", frame.number);
    }
}

#[test]
fn frr_v3_ipv6_from_the_virtual_link_local_address() {
    let capture = check_capture(expectation("frr-v3-ipv6.pcap"));
    // FRR sources its IPv6 adverts from the first VIP, fe80::1:12.
    assert!(capture
        .vrrp
        .iter()
        .all(|f| f.src == IpAddr::V6("fe80::1:12".parse().unwrap())));
}

#[test]
fn frr_v2_without_authentication() {
    let capture = check_capture(expectation("frr-v2-noauth.pcap"));
    let frame = &capture.vrrp[0];
    let packet = Packet::new_checked(&frame.payload[..], Family::Ipv4).unwrap();
    assert_eq!(packet.v2_auth_type(), wire::AUTH_TYPE_NONE);
    // A router configured with a password refuses FRR's unauthenticated adverts.
    let configured = Auth::Simple(Password::new("mynginx").unwrap());
    assert_eq!(
        configured.verify(&packet),
        Err(wire::DecodeError::AuthTypeMismatch {
            received: 0,
            expected: 1
        })
    );
}

#[test]
fn synthetic_rfc9568_packet_differs_from_frr_only_in_the_checksum() {
    check_capture(expectation("synthetic-v3-ipv4-rfc9568-checksum.pcap"));
    let frr = &load("frr-v3-ipv4.pcap").vrrp[0];
    let rfc = &load("synthetic-v3-ipv4-rfc9568-checksum.pcap").vrrp[0];
    assert_eq!(frr.meta(), rfc.meta());
    assert_eq!(frr.payload[..6], rfc.payload[..6]);
    assert_eq!(frr.payload[8..], rfc.payload[8..]);
    assert_eq!(rfc.payload[6..8], [0xb0, 0x0b]);

    let (frr_repr, frr_form) = wire::decode(&frr.payload, &frr.meta()).unwrap();
    let (rfc_repr, rfc_form) = wire::decode(&rfc.payload, &rfc.meta()).unwrap();
    assert_eq!(frr_repr, rfc_repr, "the same advert in two checksum styles");
    assert_eq!(frr_form, ChecksumForm::V3Ipv4PseudoHeader);
    assert_eq!(rfc_form, ChecksumForm::V3Ipv4Rfc9568);

    // One setting switches our output between the two.
    let mut buf = [0u8; 64];
    let len = frr_repr
        .emit(&mut buf, frr.src, frr.dst, ChecksumMode::default())
        .unwrap();
    assert_eq!(&buf[..len], &frr.payload[..], "the default is FRR's form");
    let len = frr_repr
        .emit(&mut buf, frr.src, frr.dst, ChecksumMode::Rfc9568)
        .unwrap();
    assert_eq!(&buf[..len], &rfc.payload[..]);
}

#[test]
fn keepalived_unicast_with_multicast_pseudo_header_is_recognised() {
    // Old keepalived unicast peers put 224.0.0.18 into the pseudo-header even when the
    // packet went to the peer's own address. The same captured bytes, received unicast:
    let frame = &load("keepalived-v3-ipv4.pcap").vrrp[0];
    let unicast = RxMeta::v4(
        Ipv4Addr::new(192, 168, 100, 10),
        Ipv4Addr::new(192, 168, 100, 13),
        255,
    );
    let (repr, form) = wire::decode(&frame.payload, &unicast).unwrap();
    assert_eq!(form, ChecksumForm::V3Ipv4PseudoHeaderMulticastDst);
    assert_eq!(repr.vrid.get(), 51);
    // Sent to the group, the same bytes are the ordinary pseudo-header form.
    let (_, form) = wire::decode(&frame.payload, &frame.meta()).unwrap();
    assert_eq!(form, ChecksumForm::V3Ipv4PseudoHeader);
}

/// Runs of consecutive adverts from the same (source, priority).
fn runs(frames: &[VrrpFrame]) -> Vec<(IpAddr, Priority, usize)> {
    let mut out: Vec<(IpAddr, Priority, usize)> = Vec::new();
    for frame in frames {
        let (repr, _) = wire::decode(&frame.payload, &frame.meta()).unwrap();
        match out.last_mut() {
            Some((src, prio, n)) if *src == frame.src && *prio == repr.priority => *n += 1,
            _ => out.push((frame.src, repr.priority, 1)),
        }
    }
    out
}

/// RFC 9568 section 6.1 (and RFC 3768 section 6.1 for v2): a backup that hears a
/// priority-0 advert takes over after Skew_Time = ((256 - Priority) * Master_Adver_Interval)
/// / 256.
fn skew_time(priority: Priority, master_adver_interval: Centiseconds) -> Duration {
    let micros = (256 - u64::from(priority.get())) * master_adver_interval.as_micros() / 256;
    Duration::from_micros(micros)
}

/// The failover story of the vectors README, read back from the decoded adverts.
fn check_failover_story(file: &str) {
    let capture = check_capture(expectation(file));
    let r1 = ip("192.168.100.10");
    let r2 = ip("192.168.100.13");
    let story: Vec<(IpAddr, Priority)> = runs(&capture.vrrp)
        .into_iter()
        .map(|(src, prio, _)| (src, prio))
        .collect();
    assert_eq!(
        story,
        [
            (r1, Priority(101)),      // r1 starts and becomes master
            (r1, Priority::SHUTDOWN), // r1 is stopped: one priority-0 advert
            (r2, Priority(100)),      // r2 takes over
            (r1, Priority(101)),      // r1 returns and preempts (101 > 100)
        ],
        "{file}: (source, priority) runs"
    );
    let shutdowns: Vec<&VrrpFrame> = capture
        .vrrp
        .iter()
        .filter(|f| {
            wire::decode(&f.payload, &f.meta())
                .unwrap()
                .0
                .priority
                .is_shutdown()
        })
        .collect();
    assert_eq!(shutdowns.len(), 1, "{file}: exactly one priority-0 advert");
    let shutdown = shutdowns[0];

    // r2's first advert comes Skew_Time after the priority-0 advert, computed from what
    // r2 advertises (its priority) and what r1 advertised (the interval).
    let first_r2 = capture
        .vrrp
        .iter()
        .find(|f| f.src == r2)
        .expect("r2 advertises");
    assert!(first_r2.number > shutdown.number);
    let (r2_repr, _) = wire::decode(&first_r2.payload, &first_r2.meta()).unwrap();
    let (r1_repr, _) = wire::decode(&shutdown.payload, &shutdown.meta()).unwrap();
    let skew = skew_time(r2_repr.priority, r1_repr.max_advert_interval);
    let took = first_r2.timestamp - shutdown.timestamp;
    let diff = took.abs_diff(skew);
    assert!(
        diff <= Duration::from_millis(5),
        "{file}: takeover after {took:?}, Skew_Time is {skew:?}"
    );
}

#[test]
fn keepalived_v2_failover_story() {
    check_failover_story("keepalived-v2-failover-sequence.pcap");
}

#[test]
fn keepalived_v3_failover_story() {
    check_failover_story("keepalived-v3-failover-sequence.pcap");
}

#[test]
fn received_address_list_equals_the_configured_one() {
    // A router compares the addresses it hears with its own configuration (RFC 9568
    // section 7.1): a list read from the wire equals the same list given as a slice.
    let frame = &load("frr-v3-ipv6.pcap").vrrp[0];
    let (repr, _) = wire::decode(&frame.payload, &frame.meta()).unwrap();
    let expected: [Ipv6Addr; 2] = [
        "fe80::1:12".parse().unwrap(),
        "fd00:200::12".parse().unwrap(),
    ];
    assert_eq!(repr.addresses, wire::AddressList::ipv6(&expected));
    assert_eq!(repr.addresses.get(2), None);
    let reversed = [expected[1], expected[0]];
    assert_ne!(repr.addresses, wire::AddressList::ipv6(&reversed));
    assert_ne!(repr.addresses, wire::AddressList::ipv6(&expected[..1]));
}
