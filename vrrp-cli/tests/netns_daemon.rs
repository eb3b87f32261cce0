//! Our daemon (`vrrp run`) on a LAN of network namespaces (`tests/lab/`): two routers
//! running the classic nginx pair and a client that pings the VIP and captures what is on
//! the wire.
//!
//! - classic pair (VRRPv2, PASS auth, 1 s adverts, check script weight 2): VIP on the
//!   master only; master's port down -> the VIP moves and the client reaches it; port up
//!   -> the master preempts;
//! - `nopreempt` on both (and `state MASTER` on the first): no preemption;
//! - SIGTERM on the master: priority-0 advert, the backup takes over after Skew_Time;
//! - a failing check script (weight -2: 101 -> 99 < 100) hands over;
//! - the classic scenario as VRRPv3 over IPv6 and with unicast peers.
//!
//! Contract used: `vrrp run -f FILE --status-socket PATH` and
//! `vrrp status --socket PATH --json`. Needs root (prints `SKIPPED: needs root`
//! otherwise), tcpdump and ping.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod lab;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use lab::{secs, wait_until, Check, Lab, Pair, ProcId, Trace, VIP6};

/// The instance name in [`Pair::conf`].
const NAME: &str = "VI_1";

/// The source address of router `k`'s adverts.
fn advert_src(lab: &Lab, pair: &Pair, k: usize) -> IpAddr {
    if pair.vip_addr().contains(':') {
        if pair.unicast {
            Lab::router_v6(k).into()
        } else {
            lab.router_ll(k).into()
        }
    } else {
        Lab::router_v4(k).into()
    }
}

/// Builds a lab, starts router 0 and waits until it is master with the VIP, then router 1
/// and waits until it is backup and has heard router 0. Starting one after the other
/// makes the election independent of start-up order (with `nopreempt` it would not be).
fn start_pair(pair: &Pair) -> (Lab, [ProcId; 2]) {
    let mut lab = Lab::new(2);
    let vip = pair.vip_addr();
    let bound = pair.election_bound();
    let r0 = lab.start_vrrp(0, &pair.conf(&lab, 0));
    assert!(
        lab.wait_sole_holder(0, vip, bound)
            && wait_until(Duration::from_secs(5), || {
                lab.vrrp_state(r0, NAME).as_deref() == Some("master")
            }),
        "router 0 did not become master with the VIP within {bound:?}; holders {:?}, status {:?}",
        lab.holders(vip),
        lab.vrrp_status(r0)
    );
    let r1 = lab.start_vrrp(1, &pair.conf(&lab, 1));
    let heard = wait_until(bound, || {
        lab.vrrp_status(r1)
            .and_then(|s| s.into_iter().find(|r| r.name == NAME))
            .is_some_and(|r| r.state == "backup" && !r.raw["master"].is_null())
    });
    assert!(
        heard,
        "router 1 did not settle as backup of router 0; status {:?}",
        lab.vrrp_status(r1)
    );
    assert_eq!(lab.holders(vip), [0], "VIP on the master only");
    (lab, [r0, r1])
}

/// Effective priority of the daemon's router.
fn effective_priority(lab: &Lab, id: ProcId) -> Option<u8> {
    lab.vrrp_status(id)?
        .into_iter()
        .find(|r| r.name == NAME)?
        .effective_priority
}

/// Checks the takeover in a capture: router 1's first advert comes Master_Down_Interval
/// (within generous bounds) after router 0's last, at router 1's priority. Returns the
/// time of router 1's first advert.
fn check_takeover_gap(lab: &Lab, pair: &Pair, trace: &Trace) -> Duration {
    let (src0, src1) = (advert_src(lab, pair, 0), advert_src(lab, pair, 1));
    assert!(
        trace.adverts.iter().all(|a| a.error.is_none()),
        "adverts our codec refuses:\n{}",
        trace.summary()
    );
    let version = pair.version.unwrap_or(2);
    assert!(trace
        .adverts
        .iter()
        .all(|a| a.version == version && a.vrid == pair.vrid));
    let first1 = trace
        .adverts_from(src1)
        .next()
        .unwrap_or_else(|| panic!("no advert from router 1 ({src1}):\n{}", trace.summary()));
    assert_eq!(first1.priority, pair.healthy_priority(1));
    let last0 = trace
        .last_from_before(src0, first1.t)
        .unwrap_or_else(|| panic!("no advert from router 0 ({src0}):\n{}", trace.summary()));
    assert_eq!(last0.priority, pair.healthy_priority(0));
    let gap = first1.t - last0.t;
    let mdi = pair.master_down_interval();
    eprintln!(
        "takeover gap {} (Master_Down_Interval {})",
        secs(gap),
        secs(mdi)
    );
    assert!(
        gap >= mdi.mul_f64(0.8) && gap <= mdi.mul_f64(1.5) + Duration::from_millis(500),
        "takeover gap {} is far from Master_Down_Interval {}:\n{}",
        secs(gap),
        secs(mdi),
        trace.summary()
    );
    first1.t
}

/// The classic scenario on a started pair: the master's port goes down, the VIP moves to
/// router 1 and the client reaches it (no neighbour flush: the announcements must
/// redirect it); the port comes back and router 0 preempts. Returns the capture up to the
/// takeover and the whole capture.
fn fail_over_and_preempt(lab: &mut Lab, ids: [ProcId; 2], pair: &Pair) -> (Trace, Trace) {
    let vip = pair.vip_addr();
    let bound = pair.election_bound();
    assert!(
        wait_until(Duration::from_secs(5), || lab.client_ping(vip)),
        "client cannot reach the VIP on the master"
    );
    let capture = lab.start_capture();
    // The capture must hold router 0's last advert before the link goes down (with
    // unicast peers the bridge need not flood them to the client).
    if !pair.unicast {
        let src0 = advert_src(lab, pair, 0);
        assert!(
            wait_until(Duration::from_secs(4), || lab
                .capture_snapshot(&capture)
                .adverts_from(src0)
                .next()
                .is_some()),
            "the client does not see router 0's adverts"
        );
    }

    lab.link_down(0);
    let t0 = Instant::now();
    assert!(
        wait_until(bound, || lab.has_address(1, vip)),
        "VIP did not move to router 1 within {bound:?}; status {:?}",
        lab.vrrp_status(ids[1])
    );
    eprintln!(
        "router 1 took the VIP {} after the link went down; router 0 is {:?}",
        secs(t0.elapsed()),
        lab.vrrp_state(ids[0], NAME)
    );
    assert_eq!(lab.vrrp_state(ids[1], NAME).as_deref(), Some("master"));
    assert!(
        wait_until(Duration::from_secs(5), || lab.client_ping(vip)),
        "client cannot reach the VIP on router 1"
    );
    let down = lab.capture_snapshot(&capture);

    lab.link_up(0);
    assert!(
        lab.wait_sole_holder(0, vip, bound),
        "router 0 did not preempt within {bound:?}; holders {:?}, status {:?} / {:?}",
        lab.holders(vip),
        lab.vrrp_status(ids[0]),
        lab.vrrp_status(ids[1])
    );
    assert!(
        wait_until(Duration::from_secs(5), || {
            lab.vrrp_state(ids[0], NAME).as_deref() == Some("master")
                && lab.vrrp_state(ids[1], NAME).as_deref() == Some("backup")
        }),
        "states after preemption: {:?} / {:?}",
        lab.vrrp_status(ids[0]),
        lab.vrrp_status(ids[1])
    );
    assert!(
        wait_until(Duration::from_secs(5), || lab.client_ping(vip)),
        "client cannot reach the VIP after preemption"
    );
    let all = lab.stop_capture(capture);
    (down, all)
}

#[test]
fn classic_pair_fails_over_and_preempts() {
    require_root!();
    require_tools!("tcpdump", "ping");
    let pair = Pair::classic();
    let (mut lab, ids) = start_pair(&pair);
    // The check script passes on both: 101 + 2 and 100 + 2.
    assert!(wait_until(Duration::from_secs(5), || {
        effective_priority(&lab, ids[0]) == Some(103)
            && effective_priority(&lab, ids[1]) == Some(102)
    }));

    let (down, all) = fail_over_and_preempt(&mut lab, ids, &pair);
    let first1 = check_takeover_gap(&lab, &pair, &down);
    let vip: Ipv4Addr = pair.vip_addr().parse().unwrap();
    let mac1 = lab.router_mac(1);
    assert!(
        down.garps
            .iter()
            .any(|g| g.ip == vip && g.t >= first1 && g.mac == mac1),
        "no gratuitous ARP for the VIP from router 1:\n{}",
        down.summary()
    );
    let mac0 = lab.router_mac(0);
    let back = all
        .first_from_after(advert_src(&lab, &pair, 0), first1)
        .unwrap_or_else(|| panic!("router 0 never advertised again:\n{}", all.summary()));
    assert!(
        all.garps
            .iter()
            .any(|g| g.ip == vip && g.t >= back.t && g.mac == mac0),
        "no gratuitous ARP for the VIP from router 0 after preempting:\n{}",
        all.summary()
    );
}

#[test]
fn nopreempt_keeps_the_new_master() {
    require_root!();
    require_tools!("tcpdump", "ping");
    // nopreempt together with state MASTER: keepalived clears it, we do not.
    let pair = Pair {
        nopreempt: true,
        ..Pair::classic()
    };
    let (lab, ids) = start_pair(&pair);
    let vip = pair.vip_addr();
    let bound = pair.election_bound();

    lab.link_down(0);
    assert!(
        wait_until(bound, || lab.has_address(1, vip)),
        "VIP did not move to router 1 within {bound:?}; status {:?}",
        lab.vrrp_status(ids[1])
    );
    assert!(wait_until(Duration::from_secs(5), || lab.client_ping(vip)));

    lab.link_up(0);
    assert!(
        wait_until(bound, || lab.vrrp_state(ids[0], NAME).as_deref()
            == Some("backup")),
        "router 0 did not come back as backup; status {:?}",
        lab.vrrp_status(ids[0])
    );
    // A preempting router 0 would take over within one Master_Down_Interval of hearing
    // router 1; watch for well over that.
    let watch = pair.master_down_interval() + Duration::from_secs(2);
    let deadline = Instant::now() + watch;
    while Instant::now() < deadline {
        assert_eq!(
            lab.holders(vip),
            [1],
            "router 0 preempted despite nopreempt; status {:?}",
            lab.vrrp_status(ids[0])
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(lab.vrrp_state(ids[0], NAME).as_deref(), Some("backup"));
    assert_eq!(lab.vrrp_state(ids[1], NAME).as_deref(), Some("master"));
    assert!(wait_until(Duration::from_secs(5), || lab.client_ping(vip)));
}

#[test]
fn sigterm_hands_over_after_skew_time() {
    require_root!();
    require_tools!("tcpdump", "ping");
    // Without the check script: the backup's priority is 100, Skew_Time 0.609 s.
    let pair = Pair {
        check: None,
        ..Pair::classic()
    };
    let (mut lab, ids) = start_pair(&pair);
    let vip = pair.vip_addr();
    let capture = lab.start_capture();
    // Let at least one ordinary advert into the capture.
    std::thread::sleep(Duration::from_millis(1200));

    lab.signal(ids[0], libc::SIGTERM);
    let status = lab.wait_exit(ids[0], Duration::from_secs(5));
    assert!(
        status.is_some_and(|s| s.success()),
        "router 0 did not exit cleanly within 5 s of SIGTERM: {status:?}\n{}",
        lab.log(ids[0])
    );
    assert!(
        !lab.has_address(0, vip),
        "router 0 left the VIP behind on shutdown"
    );
    assert!(
        wait_until(Duration::from_secs(5), || lab.has_address(1, vip)),
        "router 1 did not take over within 5 s of SIGTERM"
    );
    assert!(wait_until(Duration::from_secs(5), || lab.client_ping(vip)));
    let trace = lab.stop_capture(capture);

    let (src0, src1) = (advert_src(&lab, &pair, 0), advert_src(&lab, &pair, 1));
    let bye = trace
        .adverts_from(src0)
        .find(|a| a.priority == 0)
        .unwrap_or_else(|| panic!("no priority-0 advert from router 0:\n{}", trace.summary()));
    let first1 = trace
        .first_from_after(src1, bye.t)
        .unwrap_or_else(|| panic!("no advert from router 1:\n{}", trace.summary()));
    assert_eq!(first1.priority, 100);
    let gap = first1.t - bye.t;
    eprintln!(
        "priority 0 -> new master's first advert: {} (Skew_Time 0.609 s)",
        secs(gap)
    );
    assert!(
        gap < Duration::from_secs(1),
        "takeover after priority 0 took {} (Skew_Time 0.609 s):\n{}",
        secs(gap),
        trace.summary()
    );
}

#[test]
fn failing_check_script_hands_over() {
    require_root!();
    require_tools!("tcpdump", "ping");
    let pair = Pair {
        check: Some(Check {
            weight: -2,
            interval: 1,
            fall: 1,
            rise: 1,
        }),
        ..Pair::classic()
    };
    let (lab, ids) = start_pair(&pair);
    let vip = pair.vip_addr();
    assert_eq!(effective_priority(&lab, ids[0]), Some(101));

    std::fs::remove_file(Pair::health_file(&lab, 0)).unwrap();
    assert!(
        wait_until(Duration::from_secs(6), || effective_priority(&lab, ids[0])
            == Some(99)),
        "the failing check did not lower router 0 to 99; status {:?}",
        lab.vrrp_status(ids[0])
    );
    let bound = pair.election_bound();
    assert!(
        lab.wait_sole_holder(1, vip, bound),
        "router 1 (100) did not take over from router 0 (99) within {bound:?}; holders {:?}, status {:?}",
        lab.holders(vip),
        lab.vrrp_status(ids[1])
    );
    assert!(wait_until(Duration::from_secs(5), || {
        lab.vrrp_state(ids[0], NAME).as_deref() == Some("backup")
            && lab.vrrp_state(ids[1], NAME).as_deref() == Some("master")
    }));
    assert!(wait_until(Duration::from_secs(5), || lab.client_ping(vip)));
}

#[test]
fn ipv6_v3_fails_over_and_preempts() {
    require_root!();
    require_tools!("tcpdump", "ping");
    let pair = Pair {
        vip: format!("{VIP6}/64"),
        ..Pair::v3("0.1")
    };
    let (mut lab, ids) = start_pair(&pair);
    let (down, all) = fail_over_and_preempt(&mut lab, ids, &pair);
    let first1 = check_takeover_gap(&lab, &pair, &down);
    assert!(down.adverts.iter().all(|a| a.dst.is_multicast()));
    let vip: Ipv6Addr = VIP6.parse().unwrap();
    assert!(
        down.first_na_after(vip, first1).is_some(),
        "no unsolicited neighbour advertisement for the VIP from router 1:\n{}",
        down.summary()
    );
    let back = all
        .first_from_after(advert_src(&lab, &pair, 0), first1)
        .unwrap_or_else(|| panic!("router 0 never advertised again:\n{}", all.summary()));
    assert!(all.first_na_after(vip, back.t).is_some());
}

#[test]
fn unicast_peers_fail_over_and_preempt() {
    require_root!();
    require_tools!("tcpdump", "ping");
    let pair = Pair {
        unicast: true,
        ..Pair::classic()
    };
    let (mut lab, ids) = start_pair(&pair);
    let (_down, all) = fail_over_and_preempt(&mut lab, ids, &pair);
    // The bridge may or may not flood the unicast adverts to the client; whatever it
    // saw must be unicast between the two routers.
    let routers = [advert_src(&lab, &pair, 0), advert_src(&lab, &pair, 1)];
    assert!(
        all.adverts
            .iter()
            .all(|a| routers.contains(&a.src) && routers.contains(&a.dst) && a.src != a.dst),
        "multicast or stray adverts with unicast peers:\n{}",
        all.summary()
    );
}

/// Adds a second instance (VRID 52, VIP 192.168.100.52) to a rendered configuration.
fn with_second_instance(conf: &str, priority: u8) -> String {
    format!(
        "{conf}vrrp_instance VI_2 {{\n    interface eth0\n    virtual_router_id 52\n    priority {priority}\n    advert_int 0.1\n    virtual_ipaddress {{\n        192.168.100.52\n    }}\n}}\n"
    )
}

fn master_transitions(lab: &Lab, id: ProcId, name: &str) -> Option<u64> {
    lab.vrrp_status(id)?
        .into_iter()
        .find(|r| r.name == name)?
        .raw["counters"]["master_transitions"]
        .as_u64()
}

#[test]
fn sighup_reload_keeps_unchanged_routers_in_their_state() {
    require_root!();
    require_tools!("tcpdump", "ping");
    let pair = Pair {
        check: None,
        ..Pair::v3("0.1")
    };
    let (lab, ids) = start_pair(&pair);
    let vip = pair.vip_addr();
    let conf0 = lab.proc_dir(ids[0]).join("keepalived.conf");
    let original = std::fs::read_to_string(&conf0).unwrap();
    assert_eq!(master_transitions(&lab, ids[0], NAME), Some(1));

    // Add an instance and reload: VI_1 is untouched, VI_2 starts and (alone) takes over.
    std::fs::write(&conf0, with_second_instance(&original, 150)).unwrap();
    lab::send_signal(lab.pid(ids[0]), libc::SIGHUP);
    assert!(
        wait_until(Duration::from_secs(10), || lab
            .has_address(0, "192.168.100.52")),
        "the added instance did not start; status {:?}\n{}",
        lab.vrrp_status(ids[0]),
        lab.log(ids[0])
    );
    // Remove it again: its VIP goes, VI_1 still untouched.
    std::fs::write(&conf0, &original).unwrap();
    lab::send_signal(lab.pid(ids[0]), libc::SIGHUP);
    assert!(
        wait_until(Duration::from_secs(10), || !lab
            .has_address(0, "192.168.100.52")),
        "the removed instance kept its VIP"
    );
    let names: Vec<String> = lab
        .vrrp_status(ids[0])
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, [NAME]);

    // Through both reloads VI_1 stayed master: no new transition on either router, the
    // VIP never left router 0.
    assert_eq!(lab.vrrp_state(ids[0], NAME).as_deref(), Some("master"));
    assert_eq!(master_transitions(&lab, ids[0], NAME), Some(1));
    assert_eq!(master_transitions(&lab, ids[1], NAME), Some(0));
    assert_eq!(lab.holders(vip), [0]);
    assert!(
        !lab.log(ids[0]).contains("VI_1: master ->"),
        "{}",
        lab.log(ids[0])
    );
}

#[test]
fn a_broken_config_on_sighup_keeps_the_running_one() {
    require_root!();
    require_tools!("tcpdump", "ping");
    let pair = Pair {
        check: None,
        ..Pair::v3("0.1")
    };
    let (lab, ids) = start_pair(&pair);
    let conf0 = lab.proc_dir(ids[0]).join("keepalived.conf");
    let original = std::fs::read_to_string(&conf0).unwrap();
    std::fs::write(&conf0, original.replace("priority 101", "priorty 101")).unwrap();
    lab::send_signal(lab.pid(ids[0]), libc::SIGHUP);
    assert!(
        wait_until(Duration::from_secs(10), || lab
            .log(ids[0])
            .contains("reload failed")),
        "no reload error logged:\n{}",
        lab.log(ids[0])
    );
    let log = lab.log(ids[0]);
    assert!(
        log.contains("priorty") && log.contains("did you mean"),
        "{log}"
    );
    assert_eq!(lab.vrrp_state(ids[0], NAME).as_deref(), Some("master"));
    assert_eq!(master_transitions(&lab, ids[0], NAME), Some(1));
    assert_eq!(lab.holders(pair.vip_addr()), [0]);
}
