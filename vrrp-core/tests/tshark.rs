//! An independent second opinion on what we emit: Wireshark's VRRP dissector.
//!
//! Each test writes our adverts into a pcap (Ethernet + IPv4/IPv6 header with a correct
//! header checksum + the VRRP message from `AdvertRepr::emit`), runs `tshark` over it, and
//! requires tshark to read back every field we wrote and to call the checksum Good.
//!
//! Wireshark checks VRRPv3/IPv4 checksums with the IPv4 pseudo-header by default (like
//! keepalived and FRR); its preference `vrrp.v3_checksum_as_in_v2` switches to RFC 9568's
//! form. So each of our two `ChecksumMode`s is Good under exactly one setting, and Bad
//! under the other.
//!
//! Without tshark installed the tests print "SKIPPED: tshark not installed" and pass
//! (`./ci.sh test` installs it).

// Tests may unwrap: a panic here is a failed test, with the value in the message.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::process::Command;

use common::{build_frame, parse_ethernet, virtual_mac, write_pcap};
use vrrp_core::wire::{
    self, AddressList, AdvertRepr, Auth, ChecksumMode, Packet, Password, AUTH_TYPE_NONE,
    AUTH_TYPE_SIMPLE,
};
use vrrp_core::{Centiseconds, Family, Priority, Version, Vrid};

/// tshark's `*.checksum.status` values (Wireshark's `proto_checksum_enum_e`).
const STATUS_BAD: &str = "0";
const STATUS_GOOD: &str = "1";

/// The fields we ask for, in this order (`tshark -G fields | grep vrrp`).
const FIELDS: &[&str] = &[
    "vrrp.version",
    "vrrp.type",
    "vrrp.virt_rtr_id",
    "vrrp.prio",
    "vrrp.addr_count",
    "vrrp.auth_type",
    "vrrp.adver_int",
    "vrrp.short_adver_int",
    "vrrp.checksum",
    "vrrp.checksum.status",
    "vrrp.ip_addr",
    "vrrp.ipv6_addr",
    "vrrp.auth_string",
    "ip.checksum.status",
    "ip.ttl",
    "ipv6.hlim",
];

/// tshark's reading of one frame, keyed like [`FIELDS`].
#[derive(Debug)]
struct Dissected(Vec<String>);

impl Dissected {
    fn get(&self, field: &str) -> &str {
        let i = FIELDS
            .iter()
            .position(|f| *f == field)
            .unwrap_or_else(|| panic!("{field} not requested"));
        self.0.get(i).map_or("", String::as_str)
    }
}

/// False (after saying so on stderr) when tshark is not installed.
fn tshark_available() -> bool {
    match Command::new("tshark").arg("--version").output() {
        Ok(out) if out.status.success() => true,
        Ok(out) => panic!("tshark --version failed: {:?}", out.status),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("SKIPPED: tshark not installed (apt-get install tshark, or ./ci.sh test)");
            false
        }
        Err(e) => panic!("cannot run tshark: {e}"),
    }
}

/// Writes `frames` to `name` under the target's temp dir and returns tshark's reading of
/// each frame, with `prefs` as extra `-o` preferences.
fn dissect(name: &str, frames: &[Vec<u8>], prefs: &[&str]) -> Vec<Dissected> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("tshark");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{name}-{}.pcap", std::process::id()));
    write_pcap(&path, frames);

    let mut cmd = Command::new("tshark");
    cmd.arg("-n")
        .arg("-r")
        .arg(&path)
        // Verify the IPv4 header checksum too: proves the frames are what a NIC would send.
        .args(["-o", "ip.check_checksum:TRUE"]);
    for pref in prefs {
        cmd.args(["-o", pref]);
    }
    cmd.args(["-T", "fields", "-E", "separator=/t", "-E", "occurrence=a"])
        .args(["-E", "aggregator=,"]);
    for field in FIELDS {
        cmd.args(["-e", field]);
    }
    let out = cmd.output().expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8(out.stdout).expect("tshark prints UTF-8");
    let rows: Vec<Dissected> = stdout
        .lines()
        .map(|line| Dissected(line.split('\t').map(str::to_owned).collect()))
        .collect();
    assert_eq!(rows.len(), frames.len(), "one line per frame:\n{stdout}");
    rows
}

/// One advert we send, with the IP addresses it goes between.
struct Case {
    name: &'static str,
    repr: AdvertRepr<'static>,
    src: IpAddr,
    dst: IpAddr,
    mode: ChecksumMode,
}

impl Case {
    fn payload(&self) -> Vec<u8> {
        let mut buf = vec![0u8; self.repr.buffer_len()];
        let len = self
            .repr
            .emit(&mut buf, self.src, self.dst, self.mode)
            .unwrap_or_else(|e| panic!("{}: {e}", self.name));
        assert_eq!(len, buf.len());
        buf
    }

    fn frame(&self) -> Vec<u8> {
        let ipv6 = self.repr.addresses.family() == Family::Ipv6;
        let mac = virtual_mac(ipv6, self.repr.vrid.get());
        let frame = build_frame(mac, self.src, self.dst, 255, &self.payload());
        // Our own reader takes the frame apart again into what we put in.
        let back = parse_ethernet(&frame)
            .expect("well-formed frame")
            .expect("VRRP frame");
        assert_eq!(
            (back.src, back.dst, back.hop_limit),
            (self.src, self.dst, 255)
        );
        assert_eq!(back.payload, self.payload());
        frame
    }
}

static VIPS4_1: [Ipv4Addr; 1] = [Ipv4Addr::new(192, 168, 100, 12)];
static VIPS4_3: [Ipv4Addr; 3] = [
    Ipv4Addr::new(192, 168, 100, 12),
    Ipv4Addr::new(192, 168, 100, 13),
    Ipv4Addr::new(10, 20, 30, 40),
];
static VIPS6_2: [Ipv6Addr; 2] = [
    Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 1, 0x12),
    Ipv6Addr::new(0xfd00, 0x100, 0, 0, 0, 0, 0, 0x12),
];
static VIPS6_1: [Ipv6Addr; 1] = [Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x99)];

fn src4() -> IpAddr {
    Ipv4Addr::new(192, 168, 100, 10).into()
}

fn group4() -> IpAddr {
    wire::VRRP_MULTICAST_V4.into()
}

fn src6() -> IpAddr {
    Ipv6Addr::new(0xfe80, 0, 0, 0, 0xdc0f, 0x23ff, 0xfec8, 0x9dfb).into()
}

fn group6() -> IpAddr {
    wire::VRRP_MULTICAST_V6.into()
}

fn repr(
    version: Version,
    vrid: u8,
    priority: u8,
    interval: Centiseconds,
    addresses: AddressList<'static>,
    auth: Auth,
) -> AdvertRepr<'static> {
    AdvertRepr {
        version,
        vrid: Vrid::new(vrid).expect("non-zero VRID"),
        priority: Priority(priority),
        max_advert_interval: interval,
        addresses,
        auth,
    }
}

fn v2_cases() -> Vec<Case> {
    let pass = Auth::Simple(Password::new("mynginx").expect("fits"));
    let full = Auth::Simple(Password::new("12345678").expect("fits"));
    let v4 = |name, vrid, prio, secs, addrs, auth| Case {
        name,
        repr: repr(
            Version::V2,
            vrid,
            prio,
            Centiseconds::from_secs(secs),
            AddressList::ipv4(addrs),
            auth,
        ),
        src: src4(),
        dst: group4(),
        mode: ChecksumMode::default(),
    };
    vec![
        v4("v2 no auth", 53, 150, 1, &VIPS4_1[..], Auth::None),
        v4("v2 PASS", 51, 101, 1, &VIPS4_1[..], pass),
        v4("v2 PASS 8 chars, 3 VIPs", 1, 255, 255, &VIPS4_3[..], full),
        v4("v2 priority 0, no VIPs", 255, 0, 3, &[][..], Auth::None),
    ]
}

fn v3_ipv4_cases(mode: ChecksumMode) -> Vec<Case> {
    let v4 = |name, vrid, prio, cs, addrs| Case {
        name,
        repr: repr(
            Version::V3,
            vrid,
            prio,
            Centiseconds(cs),
            AddressList::ipv4(addrs),
            Auth::None,
        ),
        src: src4(),
        dst: group4(),
        mode,
    };
    let mut cases = vec![
        v4("v3/IPv4 keepalived-like", 51, 101, 10, &VIPS4_1[..]),
        v4("v3/IPv4 3 VIPs, max interval", 200, 254, 4095, &VIPS4_3[..]),
        v4("v3/IPv4 priority 0", 7, 0, 1, &VIPS4_1[..]),
    ];
    // Unicast to a peer (keepalived's unicast_peer): the pseudo-header holds the peer.
    cases.push(Case {
        name: "v3/IPv4 unicast",
        dst: Ipv4Addr::new(192, 168, 100, 13).into(),
        ..v4("", 51, 100, 100, &VIPS4_1[..])
    });
    cases
}

fn v3_ipv6_cases() -> Vec<Case> {
    let v6 = |name, vrid, prio, cs, addrs| Case {
        name,
        repr: repr(
            Version::V3,
            vrid,
            prio,
            Centiseconds(cs),
            AddressList::ipv6(addrs),
            Auth::None,
        ),
        src: src6(),
        dst: group6(),
        mode: ChecksumMode::default(),
    };
    vec![
        v6("v3/IPv6 keepalived-like", 52, 150, 100, &VIPS6_2[..]),
        v6("v3/IPv6 one VIP", 9, 255, 1, &VIPS6_1[..]),
        v6("v3/IPv6 no VIPs", 52, 0, 4095, &[][..]),
    ]
}

/// Asserts that tshark read back every field of `case`.
fn assert_fields(case: &Case, got: &Dissected) {
    let name = case.name;
    let r = &case.repr;
    let payload = case.payload();
    let checksum = Packet::new_checked(&payload[..], r.addresses.family())
        .expect("emitted packet")
        .checksum();
    assert_eq!(
        got.get("vrrp.version"),
        r.version.number().to_string(),
        "{name}"
    );
    assert_eq!(got.get("vrrp.type"), "1", "{name}");
    assert_eq!(got.get("vrrp.virt_rtr_id"), r.vrid.to_string(), "{name}");
    assert_eq!(got.get("vrrp.prio"), r.priority.to_string(), "{name}");
    assert_eq!(
        got.get("vrrp.addr_count"),
        r.addresses.len().to_string(),
        "{name}"
    );
    assert_eq!(
        got.get("vrrp.checksum"),
        format!("{checksum:#06x}"),
        "{name}"
    );
    let addrs: Vec<String> = r.addresses.iter().map(|a| a.to_string()).collect();
    let (v4_field, v6_field) = match r.addresses.family() {
        Family::Ipv4 => (addrs.join(","), String::new()),
        Family::Ipv6 => (String::new(), addrs.join(",")),
    };
    assert_eq!(got.get("vrrp.ip_addr"), v4_field, "{name}");
    assert_eq!(got.get("vrrp.ipv6_addr"), v6_field, "{name}");
    match r.version {
        Version::V2 => {
            assert_eq!(
                got.get("vrrp.adver_int"),
                (r.max_advert_interval.get() / 100).to_string(),
                "{name}"
            );
            let (auth_type, auth_string) = match r.auth {
                Auth::None => (AUTH_TYPE_NONE, String::new()),
                Auth::Simple(p) => (
                    AUTH_TYPE_SIMPLE,
                    String::from_utf8(p.as_bytes().to_vec())
                        .expect("ASCII test password")
                        .trim_end_matches('\0')
                        .to_owned(),
                ),
            };
            assert_eq!(got.get("vrrp.auth_type"), auth_type.to_string(), "{name}");
            assert_eq!(got.get("vrrp.auth_string"), auth_string, "{name}");
            assert_eq!(got.get("vrrp.short_adver_int"), "", "{name}");
        }
        Version::V3 => {
            assert_eq!(
                got.get("vrrp.short_adver_int"),
                r.max_advert_interval.get().to_string(),
                "{name}"
            );
            assert_eq!(got.get("vrrp.auth_type"), "", "{name}");
        }
    }
    match r.addresses.family() {
        Family::Ipv4 => {
            assert_eq!(
                got.get("ip.checksum.status"),
                STATUS_GOOD,
                "{name}: IP header"
            );
            assert_eq!(got.get("ip.ttl"), "255", "{name}");
        }
        Family::Ipv6 => assert_eq!(got.get("ipv6.hlim"), "255", "{name}"),
    }
}

/// Dissects `cases` with `prefs` and asserts every field and the expected checksum status.
fn check(file: &str, cases: &[Case], prefs: &[&str], status: &str) {
    let frames: Vec<Vec<u8>> = cases.iter().map(Case::frame).collect();
    let rows = dissect(file, &frames, prefs);
    for (case, row) in cases.iter().zip(&rows) {
        assert_fields(case, row);
        assert_eq!(
            row.get("vrrp.checksum.status"),
            status,
            "{}: VRRP checksum status with prefs {prefs:?}",
            case.name
        );
    }
}

const RFC9568_PREF: &str = "vrrp.v3_checksum_as_in_v2:TRUE";

#[test]
fn tshark_reads_our_v2_adverts_with_and_without_password() {
    if !tshark_available() {
        return;
    }
    check("v2", &v2_cases(), &[], STATUS_GOOD);
}

#[test]
fn tshark_accepts_our_default_v3_ipv4_checksum_as_keepalived_and_frr_do() {
    if !tshark_available() {
        return;
    }
    let cases = v3_ipv4_cases(ChecksumMode::Ipv4PseudoHeader);
    check("v3-ipv4-pseudo", &cases, &[], STATUS_GOOD);
    // The RFC 9568 reading disagrees: the pseudo-header is in our checksum.
    check("v3-ipv4-pseudo-as-rfc", &cases, &[RFC9568_PREF], STATUS_BAD);
}

#[test]
fn tshark_accepts_our_rfc9568_v3_ipv4_checksum_only_in_rfc9568_mode() {
    if !tshark_available() {
        return;
    }
    let cases = v3_ipv4_cases(ChecksumMode::Rfc9568);
    check("v3-ipv4-rfc", &cases, &[RFC9568_PREF], STATUS_GOOD);
    // Without the preference Wireshark expects the pseudo-header, as keepalived and FRR
    // do: such peers would drop these packets.
    check("v3-ipv4-rfc-as-pseudo", &cases, &[], STATUS_BAD);
}

#[test]
fn tshark_reads_our_v3_ipv6_adverts() {
    if !tshark_available() {
        return;
    }
    let cases = v3_ipv6_cases();
    check("v3-ipv6", &cases, &[], STATUS_GOOD);
    // The IPv6 form has a pseudo-header whatever the IPv4 preference says.
    check("v3-ipv6-pref", &cases, &[RFC9568_PREF], STATUS_GOOD);
}

#[test]
fn tshark_sees_a_corrupted_checksum_as_bad() {
    // The harness itself can fail: a frame whose VRRP checksum we break is reported Bad.
    if !tshark_available() {
        return;
    }
    let case = &v2_cases()[1];
    let mut payload = case.payload();
    payload[7] ^= 0x01;
    let frame = build_frame(virtual_mac(false, 51), case.src, case.dst, 255, &payload);
    let rows = dissect("corrupt", &[frame], &[]);
    assert_eq!(rows[0].get("vrrp.checksum.status"), STATUS_BAD);
}
