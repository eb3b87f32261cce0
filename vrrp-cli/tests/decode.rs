//! `vrrp decode` on the captures of keepalived and FRR traffic in
//! `vrrp-core/tests/data/` (golden vectors from `../shared/vectors/`, captured from
//! keepalived 2.2.7 and FRR 8.4.4 on Debian 12), run through the built binary.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapReader, PcapWriter};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::DataLink;

/// A capture in `vrrp-core/tests/data/`, relative to the repository.
fn vector(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vrrp-core/tests/data")
        .join(name)
}

fn vrrp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vrrp"))
        .args(args)
        .output()
        .expect("run vrrp")
}

fn decode(args: &[&str]) -> (Vec<String>, String, Option<i32>) {
    let mut full = vec!["decode"];
    full.extend_from_slice(args);
    let out = vrrp(&full);
    let stdout = String::from_utf8_lossy(&out.stdout);
    (
        stdout.lines().map(str::to_owned).collect(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

fn decode_ok(args: &[&str]) -> Vec<String> {
    let (lines, stderr, code) = decode(args);
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    lines
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The frames of a classic pcap vector.
fn frames(name: &str) -> Vec<(Duration, Vec<u8>)> {
    let file = std::fs::File::open(vector(name)).unwrap();
    let mut reader = PcapReader::new(file).unwrap();
    let mut out = Vec::new();
    while let Some(p) = reader.next_packet() {
        let p = p.unwrap();
        out.push((p.timestamp, p.data.into_owned()));
    }
    out
}

#[test]
fn keepalived_v3_ipv4_uses_the_pseudo_header() {
    let lines = decode_ok(&[path(&vector("keepalived-v3-ipv4.pcap"))]);
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert_eq!(
        lines[0],
        "2026-11-25T02:47:06.812731Z 192.168.100.10 > 224.0.0.18: VRRPv3, Advertisement, vrid 51, prio 101, intvl 10cs, length 12, addrs: 192.168.100.12, ttl 255, checksum 0x3fca (v3-ipv4-pseudo-header)"
    );
}

#[test]
fn keepalived_v2_with_password() {
    let lines = decode_ok(&[path(&vector("keepalived-v2-pass.pcap"))]);
    assert!(!lines.is_empty());
    for line in &lines {
        assert!(line.contains("192.168.100.10 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 101, authtype simple, intvl 1s, length 20, addrs: 192.168.100.12, auth \"mynginx\", ttl 255, checksum 0x"), "{line}");
        assert!(line.ends_with("(v2)"), "{line}");
    }
}

#[test]
fn keepalived_v3_ipv6() {
    let lines = decode_ok(&[path(&vector("keepalived-v3-ipv6.pcap"))]);
    assert!(lines[0].contains(
        "fe80::dc0f:23ff:fec8:9dfb > ff02::12: VRRPv3, Advertisement, vrid 52, prio 150, intvl 100cs, length 40, addrs: fe80::1:12,fd00:100::12, ttl 255"
    ), "{}", lines[0]);
    assert!(
        lines[0].ends_with("(v3-ipv6-pseudo-header)"),
        "{}",
        lines[0]
    );
}

#[test]
fn frr_vectors() {
    let v3 = decode_ok(&[path(&vector("frr-v3-ipv4.pcap"))]);
    assert!(v3[0].contains("vrid 51, prio 150, intvl 10cs"), "{}", v3[0]);
    assert!(
        v3[0].ends_with("checksum 0x46c9 (v3-ipv4-pseudo-header)"),
        "{}",
        v3[0]
    );

    let v6 = decode_ok(&[path(&vector("frr-v3-ipv6.pcap"))]);
    assert!(v6[0].contains("fe80::1:12 > ff02::12: VRRPv3, Advertisement, vrid 52, prio 150, intvl 10cs, length 40, addrs: fe80::1:12,fd00:200::12"), "{}", v6[0]);
    assert!(v6[0].ends_with("(v3-ipv6-pseudo-header)"));

    let v2 = decode_ok(&[path(&vector("frr-v2-noauth.pcap"))]);
    assert!(v2[0].contains("VRRPv2, Advertisement, vrid 53, prio 150, authtype none, intvl 1s, length 20, addrs: 192.168.200.13, ttl 255"), "{}", v2[0]);
    assert!(!v2[0].contains("auth \""));
}

#[test]
fn rfc9568_checksum_form_is_recognised() {
    let lines = decode_ok(&[path(&vector("synthetic-v3-ipv4-rfc9568-checksum.pcap"))]);
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].ends_with("checksum 0xb00b (v3-ipv4-rfc9568)"),
        "{}",
        lines[0]
    );
}

#[test]
fn failover_sequence_shows_priority_0_and_takeover() {
    let lines = decode_ok(&[path(&vector("keepalived-v2-failover-sequence.pcap"))]);
    assert!(
        lines.iter().all(|l| l.contains("VRRPv2")),
        "ARP is hidden without --all"
    );
    assert!(lines
        .iter()
        .any(|l| l.contains("192.168.100.10 > 224.0.0.18") && l.contains("prio 0,")));
    assert!(lines
        .iter()
        .any(|l| l.contains("192.168.100.13 > 224.0.0.18") && l.contains("prio 100,")));

    let all = decode_ok(&[
        "--all",
        path(&vector("keepalived-v3-failover-sequence.pcap")),
    ]);
    let garps: Vec<&String> = all
        .iter()
        .filter(|l| l.contains("ARP, gratuitous"))
        .collect();
    assert!(!garps.is_empty());
    assert!(
        garps[0].ends_with("ARP, gratuitous request, 192.168.100.12 is-at 8a:5f:29:2d:56:53"),
        "{}",
        garps[0]
    );
}

#[test]
fn gratuitous_arp_and_unsolicited_na_only_with_all() {
    assert!(decode_ok(&[path(&vector("frr-garp.pcap"))]).is_empty());
    assert!(decode_ok(&[path(&vector("frr-unsolicited-na.pcap"))]).is_empty());

    let garp = decode_ok(&["--all", path(&vector("frr-garp.pcap"))]);
    assert_eq!(garp.len(), 2);
    assert!(
        garp[0].ends_with("ARP, gratuitous request, 192.168.200.12 is-at 00:00:5e:00:01:33"),
        "{}",
        garp[0]
    );

    let na = decode_ok(&["--all", path(&vector("frr-unsolicited-na.pcap"))]);
    assert!(na[0].ends_with("fe80::1:12 > ff02::1: ICMP6, unsolicited neighbor advertisement, tgt fe80::1:12 is-at 00:00:5e:00:02:34, flags [router, override]"), "{}", na[0]);
}

#[test]
fn json_lines() {
    let lines = decode_ok(&["--json", path(&vector("keepalived-v2-pass.pcap"))]);
    let v: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(v["type"], "vrrp");
    assert_eq!(v["version"], 2);
    assert_eq!(v["vrid"], 51);
    assert_eq!(v["priority"], 101);
    assert_eq!(v["interval_cs"], 100);
    assert_eq!(v["addrs"][0], "192.168.100.12");
    assert_eq!(v["auth_type"], "simple");
    assert_eq!(v["auth"], "mynginx");
    assert_eq!(v["checksum_form"], "v2");
    assert_eq!(v["src_mac"], "de:0f:23:c8:9d:fb");

    let na = decode_ok(&["--json", "--all", path(&vector("frr-unsolicited-na.pcap"))]);
    let v: serde_json::Value = serde_json::from_str(&na[0]).unwrap();
    assert_eq!(v["type"], "unsolicited_na");
    assert_eq!(v["target_mac"], "00:00:5e:00:02:34");
}

#[test]
fn count_and_several_files() {
    let lines = decode_ok(&[
        "-c",
        "2",
        path(&vector("keepalived-v3-ipv4.pcap")),
        path(&vector("frr-v3-ipv4.pcap")),
    ]);
    assert_eq!(lines.len(), 2);
    let lines = decode_ok(&[
        path(&vector("keepalived-v3-ipv4.pcap")),
        path(&vector("synthetic-v3-ipv4-rfc9568-checksum.pcap")),
    ]);
    assert_eq!(lines.len(), 4);
}

#[test]
fn pcapng_with_microsecond_and_nanosecond_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    for (resolution, scale) in [(None, 1_000u64), (Some(9u8), 1)] {
        let file = dir.path().join(format!("cap-{scale}.pcapng"));
        let mut writer = PcapNgWriter::new(std::fs::File::create(&file).unwrap()).unwrap();
        let mut options = Vec::new();
        if let Some(r) = resolution {
            options.push(InterfaceDescriptionOption::IfTsResol(r));
        }
        writer
            .write_pcapng_block(InterfaceDescriptionBlock {
                linktype: DataLink::ETHERNET,
                snaplen: 0xffff,
                options,
            })
            .unwrap();
        for (ts, data) in frames("keepalived-v3-ipv6.pcap") {
            // pcap-file writes the Duration's nanoseconds as the raw timestamp: scale it
            // to the units the interface declares.
            let raw = ts.as_nanos() as u64 / scale;
            writer
                .write_pcapng_block(EnhancedPacketBlock {
                    interface_id: 0,
                    timestamp: Duration::from_nanos(raw),
                    original_len: data.len() as u32,
                    data: Cow::Owned(data),
                    options: vec![],
                })
                .unwrap();
        }
        drop(writer);
        let lines = decode_ok(&[path(&file)]);
        assert_eq!(lines.len(), 2, "{lines:#?}");
        assert!(
            lines[0].starts_with(
                "2026-11-25T02:52:45.472039Z fe80::dc0f:23ff:fec8:9dfb > ff02::12: VRRPv3"
            ),
            "{}",
            lines[0]
        );
    }
}

/// Rewrites an Ethernet capture as Linux cooked v1 or v2.
fn cooked(name: &str, v2: bool, out: &Path) {
    let header = PcapHeader {
        datalink: if v2 {
            DataLink::LINUX_SLL2
        } else {
            DataLink::LINUX_SLL
        },
        ..PcapHeader::default()
    };
    let mut writer = PcapWriter::with_header(std::fs::File::create(out).unwrap(), header).unwrap();
    for (ts, eth) in frames(name) {
        let (src, ethertype, payload) = (&eth[6..12], &eth[12..14], &eth[14..]);
        let mut f = Vec::new();
        if v2 {
            f.extend_from_slice(ethertype);
            f.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 1, 0, 6]); // reserved, ifindex 2, ARPHRD_ETHER, pkttype 0, halen 6
            f.extend_from_slice(src);
            f.extend_from_slice(&[0, 0]);
        } else {
            f.extend_from_slice(&[0, 0, 0, 1, 0, 6]); // pkttype, ARPHRD_ETHER, halen 6
            f.extend_from_slice(src);
            f.extend_from_slice(&[0, 0]);
            f.extend_from_slice(ethertype);
        }
        f.extend_from_slice(payload);
        writer
            .write_packet(&PcapPacket::new(ts, f.len() as u32, &f))
            .unwrap();
    }
}

#[test]
fn linux_cooked_captures() {
    let dir = tempfile::tempdir().unwrap();
    for v2 in [false, true] {
        let file = dir
            .path()
            .join(format!("sll{}.pcap", if v2 { "2" } else { "" }));
        cooked("frr-v3-ipv4.pcap", v2, &file);
        let lines = decode_ok(&["--json", path(&file)]);
        assert!(!lines.is_empty());
        let v: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(v["vrid"], 51);
        assert_eq!(v["src_mac"], "00:00:5e:00:01:33");
        assert_eq!(v["checksum_form"], "v3-ipv4-pseudo-header");
    }
}

#[test]
fn malformed_packets_get_a_line_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.pcap");
    let mut writer = PcapWriter::new(std::fs::File::create(&file).unwrap()).unwrap();
    let (ts, good) = frames("keepalived-v3-ipv4.pcap").remove(0);
    // The VRRP message starts after 14 bytes of Ethernet and 20 of IPv4.
    let mut bad_sum = good.clone();
    bad_sum[14 + 20 + 7] ^= 0xff;
    let mut bad_version = good.clone();
    bad_version[14 + 20] = 0x41;
    let mut low_ttl = good.clone();
    low_ttl[14 + 8] = 64;
    for f in [&bad_sum, &bad_version, &low_ttl] {
        writer
            .write_packet(&PcapPacket::new(ts, f.len() as u32, f))
            .unwrap();
    }
    drop(writer);
    let lines = decode_ok(&[path(&file)]);
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(lines[0].contains("192.168.100.10 > 224.0.0.18: VRRP, malformed: bad checksum 0x3f35: matches no accepted checksum form, vrid 51, length 12, ttl 255"), "{}", lines[0]);
    assert!(
        lines[1].contains("VRRP, malformed: unsupported VRRP version 4 (expected 2 or 3)"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2]
            .contains("ttl 64, checksum 0x3fca (v3-ipv4-pseudo-header), error: TTL/hop limit 64"),
        "{}",
        lines[2]
    );

    let json = decode_ok(&["--json", path(&file)]);
    let v: serde_json::Value = serde_json::from_str(&json[0]).unwrap();
    assert_eq!(v["type"], "malformed");
    assert_eq!(v["counter"], "vrrpv3StatisticsChecksumErrors");
}

#[test]
fn ipv6_extension_header_that_cannot_be_read_gives_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("esp.pcap");
    let mut writer = PcapWriter::new(std::fs::File::create(&file).unwrap()).unwrap();
    let (ts, mut frame) = frames("keepalived-v3-ipv6.pcap").remove(0);
    frame[14 + 6] = 50; // IPv6 next header: ESP
    writer
        .write_packet(&PcapPacket::new(ts, frame.len() as u32, &frame))
        .unwrap();
    drop(writer);
    let (lines, stderr, code) = decode(&[path(&file)]);
    assert_eq!(code, Some(0));
    assert!(lines.is_empty());
    assert_eq!(
        stderr.trim_end(),
        format!(
            "note: {}: packet 1: fe80::dc0f:23ff:fec8:9dfb > ff02::12: IPv6 extension header ESP (50) cannot be looked past; skipped",
            file.display()
        )
    );
}

#[test]
fn truncated_capture_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(vector("keepalived-v3-ipv4.pcap")).unwrap();
    let file = dir.path().join("cut.pcap");
    std::fs::write(&file, &bytes[..bytes.len() - 5]).unwrap();
    let (lines, stderr, code) = decode(&[path(&file)]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(lines.len(), 2, "the packets before the damage are printed");
    assert!(
        stderr.starts_with(&format!(
            "vrrp: error: {}: damaged or truncated after 2 packets",
            file.display()
        )),
        "{stderr}"
    );
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("garbage.pcap");
    std::fs::write(&file, b"this is not a capture at all\n").unwrap();
    let (lines, stderr, code) = decode(&[path(&file)]);
    assert_eq!(code, Some(1));
    assert!(lines.is_empty());
    assert!(
        stderr.starts_with(&format!(
            "vrrp: error: {}: not a pcap or pcapng file",
            file.display()
        )),
        "{stderr}"
    );

    let short = dir.path().join("short.pcap");
    std::fs::write(&short, [0xd4, 0xc3]).unwrap();
    let (_, stderr, code) = decode(&[path(&short)]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("only 2 bytes long"), "{stderr}");

    // A valid header with a garbage packet record.
    let bytes = std::fs::read(vector("frr-v2-noauth.pcap")).unwrap();
    let mut broken = bytes[..24].to_vec();
    broken.extend_from_slice(&[0xff; 40]);
    let file = dir.path().join("broken.pcap");
    std::fs::write(&file, &broken).unwrap();
    let (_, stderr, code) = decode(&[path(&file)]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("damaged or truncated after 0 packets"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn missing_file_exits_2() {
    let (_, stderr, code) = decode(&["/nonexistent/capture.pcap"]);
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr.trim_end(),
        "vrrp: error: cannot read /nonexistent/capture.pcap: No such file or directory"
    );
}

#[test]
fn live_capture_on_a_missing_interface() {
    let (_, stderr, code) = decode(&["-i", "nosuchif0", "--timeout", "0.1"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.starts_with("vrrp: error: no such interface `nosuchif0`"),
        "{stderr}"
    );
}

#[test]
fn live_capture_on_loopback_ends_at_the_timeout() {
    // Passive: nothing is sent. As root this captures (and probably sees nothing) for
    // 0.2 s; without CAP_NET_RAW it must say so.
    let (_, stderr, code) = decode(&["-i", "lo", "--timeout", "0.2"]);
    match code {
        Some(0) => assert!(!stderr.contains("error"), "{stderr}"),
        Some(1) => assert!(
            stderr.contains("needs CAP_NET_RAW: run as root"),
            "{stderr}"
        ),
        other => panic!("exit {other:?}: {stderr}"),
    }
}

#[test]
fn decode_needs_files_or_an_interface() {
    let out = vrrp(&["decode", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("vrrp: error: "), "{stderr}");
}

/// Mutated captures never crash the decoder (a small deterministic fuzz run through the
/// library, without a process per case).
#[test]
fn mutated_captures_never_panic() {
    use vrrp_cli::decode::{decode_stream, Options, Printer};
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for name in [
        "keepalived-v2-pass.pcap",
        "keepalived-v3-ipv6.pcap",
        "frr-unsolicited-na.pcap",
        "frr-garp.pcap",
    ] {
        inputs.push(std::fs::read(vector(name)).unwrap());
    }
    for round in 0..2_000 {
        let mut data = inputs[round % inputs.len()].clone();
        for _ in 0..1 + next() % 8 {
            let i = (next() as usize) % data.len();
            data[i] = next() as u8;
        }
        if next() % 4 == 0 {
            let keep = (next() as usize) % data.len();
            data.truncate(keep);
        }
        let mut out = Vec::new();
        let mut notes = Vec::new();
        let mut printer = Printer::new(
            &mut out,
            &mut notes,
            Options {
                all: round % 2 == 0,
                json: round % 3 == 0,
                count: None,
            },
        );
        let _ = decode_stream(Path::new("mutated.pcap"), &data[..], &mut printer);
    }
}
