//! Interop with keepalived 2.2.7 on a LAN of network namespaces (`tests/lab/`): our
//! daemon and keepalived as the two routers of the classic pair, each way round.
//!
//! For VRRPv2 with PASS authentication (1 s adverts: v2 intervals are whole seconds),
//! VRRPv3 over IPv4 and VRRPv3 over IPv6 (100 ms adverts), with ours as master and
//! keepalived as backup and the reverse, [`failover_scenario`] checks start-up without
//! flapping, failover when the master's link goes down, preemption when it comes back,
//! and the priority-0 handover after about Skew_Time when the master gets SIGTERM. On the
//! way our `vrrp status --json` must count no checksum / auth / interval / version error
//! and list keepalived with its checksum form (v2, v3-ipv4-pseudo-header,
//! v3-ipv6-pseudo-header), and keepalived's log must hold none of the lines its
//! `vrrp_in_chk` writes for a dropped packet ("Invalid VRRPv3 checksum", "received an
//! invalid passwd!", "advertisement interval mismatch ...", ...).
//!
//! The mixed case: ours sending RFC 9568's VRRPv3/IPv4 checksum (`vrrp_v3_checksum
//! rfc9568`) is refused by keepalived 2.2.7 ("Invalid VRRPv3 checksum"), which then
//! becomes master too: the visible failure mode. We still accept keepalived's form, and
//! Wireshark calls our checksum Good under `vrrp.v3_checksum_as_in_v2:TRUE`.
//!
//! Needs root, keepalived, tcpdump and ping; otherwise prints `SKIPPED: ...` and passes
//! (without tshark the mixed case skips its Wireshark part, saying so).

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod lab;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use lab::peers::{
    error_lines, failover_scenario, keepalived_state, nonzero_error_counters, peer_forms,
    tshark_checksum_status, Kind, INSTANCE, KEEPALIVED_ERRORS,
};
use lab::{secs, wait_until, Lab, Pair, VIP4, VIP6};

/// The classic pair as it is (VRRPv2, 1 s, PASS `mynginx`) without its check script:
/// router 0 priority 101, router 1 priority 100.
fn v2_pass() -> Pair {
    Pair {
        check: None,
        ..Pair::classic()
    }
}

/// VRRPv3 over IPv4, 100 ms adverts.
fn v3_ipv4() -> Pair {
    Pair {
        check: None,
        ..Pair::v3("0.1")
    }
}

/// VRRPv3 over IPv6, 100 ms adverts.
fn v3_ipv6() -> Pair {
    Pair {
        check: None,
        vip: format!("{VIP6}/64"),
        ..Pair::v3("0.1")
    }
}

#[test]
fn v2_pass_ours_master_keepalived_backup() {
    require_keepalived!();
    failover_scenario(&v2_pass(), [Kind::Vrrp, Kind::Keepalived]);
}

#[test]
fn v2_pass_keepalived_master_ours_backup() {
    require_keepalived!();
    failover_scenario(&v2_pass(), [Kind::Keepalived, Kind::Vrrp]);
}

#[test]
fn v3_ipv4_ours_master_keepalived_backup() {
    require_keepalived!();
    failover_scenario(&v3_ipv4(), [Kind::Vrrp, Kind::Keepalived]);
}

#[test]
fn v3_ipv4_keepalived_master_ours_backup() {
    require_keepalived!();
    failover_scenario(&v3_ipv4(), [Kind::Keepalived, Kind::Vrrp]);
}

#[test]
fn v3_ipv6_ours_master_keepalived_backup() {
    require_keepalived!();
    failover_scenario(&v3_ipv6(), [Kind::Vrrp, Kind::Keepalived]);
}

#[test]
fn v3_ipv6_keepalived_master_ours_backup() {
    require_keepalived!();
    failover_scenario(&v3_ipv6(), [Kind::Keepalived, Kind::Vrrp]);
}

/// Ours (router 0, priority 101) sends RFC 9568's VRRPv3/IPv4 checksum; keepalived
/// (router 1, priority 100) only knows the pseudo-header form.
#[test]
fn v3_rfc9568_checksum_is_refused_by_keepalived() {
    require_keepalived!();
    let pair = v3_ipv4();
    let mut lab = Lab::new(2);
    // Generous: adding a VIP waits for the kernel's RTNL lock, which namespace churn of
    // concurrent tests can hold for seconds.
    let bound = Duration::from_secs(15);
    let conf0 = pair.conf(&lab, 0).replacen(
        "global_defs {\n",
        "global_defs {\n    vrrp_v3_checksum rfc9568\n",
        1,
    );
    assert!(conf0.contains("vrrp_v3_checksum rfc9568"));
    let ours = lab.start_vrrp(0, &conf0);
    assert!(
        wait_until(bound, || lab.vrrp_state(ours, INSTANCE).as_deref()
            == Some("master")
            && lab.has_address(0, VIP4)),
        "ours did not become master; status {:?}",
        lab.vrrp_status(ours)
    );
    let capture = lab.start_capture();
    let pcap = capture.path.clone();
    let ka = lab.start_keepalived(1, &pair.conf(&lab, 1));

    // keepalived drops every advert of ours, so it takes over after its
    // Master_Down_Interval although ours has the higher priority.
    let t = Instant::now();
    let refused = format!("({INSTANCE}) Invalid VRRPv3 checksum");
    assert!(
        wait_until(bound, || {
            let log = lab.log(ka);
            log.contains(&refused)
                && keepalived_state(&log, INSTANCE).as_deref() == Some("master")
                && lab.has_address(1, VIP4)
        }),
        "keepalived did not refuse our RFC 9568 checksum and become master:\n{}",
        lab.log(ka)
    );
    eprintln!(
        "keepalived refused our adverts and became master after {}",
        secs(t.elapsed())
    );
    // Both masters, and it stays so: ours hears keepalived's lower priority and keeps
    // mastership; keepalived never hears ours.
    let until = Instant::now() + Duration::from_secs(1);
    while Instant::now() < until {
        assert_eq!(lab.holders(VIP4), [0, 1], "both routers hold the VIP");
        assert_eq!(
            lab.vrrp_state(ours, INSTANCE).as_deref(),
            Some("master"),
            "ours stays master"
        );
        assert_eq!(
            keepalived_state(&lab.log(ka), INSTANCE).as_deref(),
            Some("master"),
            "keepalived stays master"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Ours accepts keepalived's form and says which it is; no error counted.
    let status = lab.vrrp_router(ours).unwrap();
    let ka_src: IpAddr = Lab::router_v4(1).into();
    let forms = peer_forms(&status);
    assert!(
        forms
            .iter()
            .any(|(a, f)| *a == ka_src && f == "v3-ipv4-pseudo-header"),
        "our status should list keepalived {ka_src} as v3-ipv4-pseudo-header: {forms:?}"
    );
    assert!(status.raw["counters"]["adverts_received"].as_u64() > Some(0));
    let bad = nonzero_error_counters(&status);
    assert!(bad.is_empty(), "ours counts errors: {bad:?}");
    // keepalived's only complaint is the checksum.
    let log = lab.log(ka);
    let other: Vec<&str> = error_lines(&log, KEEPALIVED_ERRORS)
        .into_iter()
        .filter(|l| !l.contains(&refused))
        .collect();
    assert!(other.is_empty(), "other keepalived errors: {other:?}");

    // Wireshark: our packets are Good with the RFC 9568 preference and Bad without it
    // (its default is the pseudo-header form); keepalived's are Good by default. (There
    // may be only one of keepalived's: as master, keepalived 2.2.7 re-arms its advert
    // timer after every packet it receives, refused ones included (`vrrp_dispatcher_read`
    // calls `vrrp_init_instance_sands`), so our 100 ms adverts keep it silent.)
    let trace = lab.stop_capture(capture);
    let ours_src = Lab::router_v4(0);
    assert!(
        trace
            .adverts_from(ours_src.into())
            .all(|a| a.error.is_none()),
        "our codec refuses our own adverts:\n{}",
        trace.summary()
    );
    // Our decoder names each side's form.
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_vrrp"));
    cmd.arg("decode").arg(&pcap);
    let out = lab::run_with_timeout(cmd, Duration::from_secs(10)).unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let advert_lines = |src: &str| -> Vec<&str> {
        text.lines()
            .filter(|l| l.contains(&format!(" {src} > 224.0.0.18")))
            .collect()
    };
    let ours_lines = advert_lines(&ours_src.to_string());
    let ka_lines = advert_lines(&ka_src.to_string());
    assert!(
        out.status.success()
            && !ours_lines.is_empty()
            && ours_lines.iter().all(|l| l.contains("(v3-ipv4-rfc9568)"))
            && !ka_lines.is_empty()
            && ka_lines
                .iter()
                .all(|l| l.contains("(v3-ipv4-pseudo-header)")),
        "vrrp decode should show ours as v3-ipv4-rfc9568 and keepalived as \
         v3-ipv4-pseudo-header:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if !lab::have("tshark") {
        eprintln!("SKIPPED: tshark not installed (the Wireshark part of this test)");
        return;
    }
    let ours_filter = format!("vrrp && ip.src == {ours_src}");
    let rfc = tshark_checksum_status(&pcap, &["vrrp.v3_checksum_as_in_v2:TRUE"], &ours_filter)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!rfc.is_empty(), "tshark found none of our adverts");
    assert!(
        rfc.iter().all(|s| s == "1"),
        "vrrp.checksum.status of our adverts with v3_checksum_as_in_v2 (1 = Good): {rfc:?}"
    );
    let default = tshark_checksum_status(&pcap, &[], &ours_filter).unwrap();
    assert!(
        !default.is_empty() && default.iter().all(|s| s == "0"),
        "our RFC 9568 adverts should be Bad (0) under tshark's pseudo-header default: {default:?}"
    );
    let theirs =
        tshark_checksum_status(&pcap, &[], &format!("vrrp && ip.src == {ka_src}")).unwrap();
    assert!(
        !theirs.is_empty() && theirs.iter().all(|s| s == "1"),
        "keepalived's adverts under tshark's default: {theirs:?}"
    );
    eprintln!(
        "tshark: {} of our adverts Good with v3_checksum_as_in_v2, {} of keepalived's Good by default",
        rfc.len(),
        theirs.len()
    );
}
