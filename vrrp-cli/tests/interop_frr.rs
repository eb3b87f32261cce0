//! Interop with FRR 8.4's vrrpd on a LAN of network namespaces (`tests/lab/`): our daemon
//! and FRR (zebra + vrrpd, see `Lab::start_frr` in `tests/lab/peers.rs`) as the two
//! routers of a pair, each way round.
//!
//! VRRPv3 over IPv4 and over IPv6 with 100 ms adverts, and VRRPv2 (no authentication:
//! vrrpd drops packets that carry any) with 1 s adverts. For each, with ours as master and
//! FRR as backup and the reverse, [`failover_scenario`] checks start-up without flapping,
//! failover when the master's link goes down, preemption when it comes back, and the
//! priority-0 handover after about Skew_Time when the master gets SIGTERM (FRR: vrrpd).
//! On the way our `vrrp status --json` must count no error and list vrrpd with its
//! checksum form, and vrrpd (running with `debug vrrp packets` and `debug vrrp protocol`)
//! must log every advert of ours as received and none as invalid ("Datagram invalid: Bad
//! VRRP checksum ...", "... advertisement interval ... unequal ..."). `show vrrp json` has
//! no error counters in 8.4; its `adverRx` must grow.
//!
//! FRR's peculiarities the scenario copes with: it serves the VIP from a macvlan with the
//! virtual MAC (operational only while master: vrrpd sets protodown as backup), its IPv6
//! adverts come from the macvlan's link-local, and after vrrpd stops the macvlan stays,
//! admin up with the VIP but in protodown (the scenario deletes it; the lab deletes every
//! macvlan on drop).
//!
//! The mixed case: ours sending RFC 9568's VRRPv3/IPv4 checksum (`vrrp_v3_checksum
//! rfc9568`) is refused by vrrpd 8.4 ("Bad VRRP checksum"), which becomes master too;
//! we still accept vrrpd's pseudo-header form.
//!
//! Needs root, FRR (`/usr/lib/frr/zebra`, `/usr/lib/frr/vrrpd`, `vtysh`, user `frr`),
//! tcpdump and ping; otherwise prints `SKIPPED: ...` and passes.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod lab;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use lab::peers::{
    error_lines, failover_scenario, nonzero_error_counters, peer_forms, FrrConf, Kind, FRR_ERRORS,
    INSTANCE,
};
use lab::{secs, wait_until, Lab, Pair, VIP4, VIP6};

/// VRRPv3 over IPv4, 100 ms adverts, router 0 priority 101, router 1 priority 100.
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

/// VRRPv2 without authentication, 1 s adverts (v2 intervals are whole seconds).
fn v2_no_auth() -> Pair {
    Pair {
        check: None,
        auth_pass: None,
        ..Pair::classic()
    }
}

#[test]
fn v3_ipv4_ours_master_frr_backup() {
    require_frr!();
    failover_scenario(&v3_ipv4(), [Kind::Vrrp, Kind::Frr]);
}

#[test]
fn v3_ipv4_frr_master_ours_backup() {
    require_frr!();
    failover_scenario(&v3_ipv4(), [Kind::Frr, Kind::Vrrp]);
}

#[test]
fn v3_ipv6_ours_master_frr_backup() {
    require_frr!();
    failover_scenario(&v3_ipv6(), [Kind::Vrrp, Kind::Frr]);
}

#[test]
fn v3_ipv6_frr_master_ours_backup() {
    require_frr!();
    failover_scenario(&v3_ipv6(), [Kind::Frr, Kind::Vrrp]);
}

#[test]
fn v2_ours_master_frr_backup() {
    require_frr!();
    failover_scenario(&v2_no_auth(), [Kind::Vrrp, Kind::Frr]);
}

#[test]
fn v2_frr_master_ours_backup() {
    require_frr!();
    failover_scenario(&v2_no_auth(), [Kind::Frr, Kind::Vrrp]);
}

/// Ours (router 0, priority 101) sends RFC 9568's VRRPv3/IPv4 checksum; vrrpd (router 1,
/// priority 100) only knows the pseudo-header form (with 224.0.0.18 as destination).
#[test]
fn v3_rfc9568_checksum_is_refused_by_frr() {
    require_frr!();
    let pair = v3_ipv4();
    let mut lab = Lab::new(2);
    // Generous: adding a VIP waits for the kernel's RTNL lock.
    let bound = Duration::from_secs(15);
    let conf0 = pair.conf(&lab, 0).replacen(
        "global_defs {\n",
        "global_defs {\n    vrrp_v3_checksum rfc9568\n",
        1,
    );
    let ours = lab.start_vrrp(0, &conf0);
    assert!(
        wait_until(bound, || lab.vrrp_state(ours, INSTANCE).as_deref()
            == Some("master")
            && lab.has_address(0, VIP4)),
        "ours did not become master; status {:?}",
        lab.vrrp_status(ours)
    );
    let t = Instant::now();
    let frr = lab.start_frr(1, &FrrConf::from_pair(&pair, 1));
    assert!(
        wait_until(bound, || {
            lab.log(frr.vrrpd).contains("Bad VRRP checksum")
                && lab.frr_state(&frr).as_deref() == Some("master")
                && lab.frr_macvlan_up(&frr)
        }),
        "vrrpd did not refuse our RFC 9568 checksum and become master; state {:?}:\n{}",
        lab.frr_state(&frr),
        lab.log(frr.vrrpd)
    );
    eprintln!(
        "vrrpd refused our adverts and became master {} after its start",
        secs(t.elapsed())
    );
    let until = Instant::now() + Duration::from_secs(1);
    while Instant::now() < until {
        assert_eq!(lab.vrrp_state(ours, INSTANCE).as_deref(), Some("master"));
        assert_eq!(lab.frr_state(&frr).as_deref(), Some("master"));
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = lab.log(frr.vrrpd);
    assert!(
        !log.contains(&format!(
            "Received VRRP Advertisement from {}:",
            Lab::router_v4(0)
        )),
        "vrrpd accepted an RFC 9568 advert of ours"
    );
    let complaints = error_lines(&log, FRR_ERRORS);
    assert!(
        complaints.iter().all(|l| l.contains("Bad VRRP checksum")),
        "other vrrpd complaints: {complaints:?}"
    );
    let status = lab.vrrp_router(ours).unwrap();
    let frr_src: IpAddr = Lab::router_v4(1).into();
    let forms = peer_forms(&status);
    assert!(
        forms
            .iter()
            .any(|(a, f)| *a == frr_src && f == "v3-ipv4-pseudo-header"),
        "our status should list vrrpd {frr_src} as v3-ipv4-pseudo-header: {forms:?}"
    );
    let bad = nonzero_error_counters(&status);
    assert!(bad.is_empty(), "ours counts errors: {bad:?}");
}
