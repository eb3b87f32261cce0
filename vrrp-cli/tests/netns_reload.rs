//! A reload never fails over: our daemon as master of a VRRPv3 pair (100 ms adverts)
//! gets a SIGHUP of each kind while a client pings the VIP every 10 ms, and not one ping
//! is lost, nor does any router change state.
//!
//! The kinds (issue: keepalived users' most frequent complaint is a reload that fails
//! over): the same file; the same file after a tracked script's state changed; a new
//! priority; a VIP added; a VIP removed.
//!
//! Also: a reload may name an interface created after the daemon started.
//!
//! Needs root, ping and tcpdump (prints `SKIPPED` otherwise).

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod lab;

use std::time::Duration;

use lab::{wait_until, Impl, Lab, Pair, ProcId};

const NAME: &str = "VI_1";
/// A second VIP added and removed by reloads.
const EXTRA_VIP: &str = "192.168.100.52";
/// Pings the client sends, one every 10 ms: longer than the whole reload sequence.
const PINGS: u32 = 3000;

fn status_field(lab: &Lab, id: ProcId, field: &str) -> Option<serde_json::Value> {
    let r = lab.vrrp_status(id)?.into_iter().find(|r| r.name == NAME)?;
    Some(r.raw[field].clone())
}

fn effective_priority(lab: &Lab, id: ProcId) -> Option<u64> {
    status_field(lab, id, "effective_priority")?.as_u64()
}

fn master_transitions(lab: &Lab, id: ProcId) -> Option<u64> {
    status_field(lab, id, "counters")?["master_transitions"].as_u64()
}

/// Rewrites router 0's file, sends SIGHUP, waits for the daemon to say it reloaded and
/// returns that log line.
fn reload(lab: &Lab, id: ProcId, conf: &str) -> String {
    let path = lab.proc_dir(id).join("keepalived.conf");
    std::fs::write(&path, conf).unwrap();
    let before = lab.log(id).matches("reloaded:").count();
    lab::send_signal(lab.pid(id), libc::SIGHUP);
    assert!(
        wait_until(Duration::from_secs(10), || lab
            .log(id)
            .matches("reloaded:")
            .count()
            > before),
        "no reload logged:\n{}",
        lab.log(id)
    );
    let log = lab.log(id);
    log.lines()
        .rfind(|l| l.contains("reload: "))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn no_kind_of_reload_loses_a_ping_or_changes_a_state() {
    require_root!();
    require_tools!("ping", "tcpdump");
    let mut lab = Lab::new(2);
    let pair = Pair {
        // 150 + 2 while the check passes: losing the check (150) or lowering the priority
        // to 140 (142) keeps router 0 above router 1's 102.
        priorities: [150, 100],
        ..Pair::v3("0.1")
    };
    let vip = pair.vip_addr().to_string();
    let bound = pair.election_bound();
    let conf = pair.conf(&lab, 0);
    let r0 = lab.start_holder(Impl::Vrrp, 0, &conf, &vip, bound);
    let r1 = lab.start_vrrp(1, &pair.conf(&lab, 1));
    assert!(
        wait_until(bound, || {
            status_field(&lab, r1, "master").is_some_and(|m| !m.is_null())
        }),
        "router 1 did not hear router 0: {:?}",
        lab.vrrp_status(r1)
    );
    assert!(lab.client_ping(&vip), "the VIP does not answer");
    assert_eq!(effective_priority(&lab, r0), Some(152));

    let ping = lab.start_client_pings(&vip, PINGS);
    std::thread::sleep(Duration::from_millis(500));

    // 1. The same file.
    let line = reload(&lab, r0, &conf);
    assert!(line.contains("1 router(s) unchanged"), "{line}");

    // 2. The same file after the check script failed (152 -> 150): the router keeps the
    //    script's state and its priority.
    std::fs::remove_file(Pair::health_file(&lab, 0)).unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || effective_priority(&lab, r0)
            == Some(150)),
        "the check did not fail: {:?}",
        lab.vrrp_status(r0)
    );
    reload(&lab, r0, &conf);
    assert_eq!(effective_priority(&lab, r0), Some(150));
    std::fs::write(Pair::health_file(&lab, 0), "ok\n").unwrap();
    assert!(wait_until(Duration::from_secs(10), || effective_priority(
        &lab, r0
    ) == Some(152)));

    // 3. A new priority, applied in place.
    let lower = conf.replace("priority 150", "priority 140");
    let line = reload(&lab, r0, &lower);
    assert!(line.contains("1 reconfigured in place"), "{line}");
    assert_eq!(effective_priority(&lab, r0), Some(142));

    // 4. A VIP added: only it is added.
    let with_extra = lower.replace(
        &format!("        {vip}\n"),
        &format!("        {vip}\n        {EXTRA_VIP}\n"),
    );
    assert_ne!(with_extra, lower);
    reload(&lab, r0, &with_extra);
    assert!(
        wait_until(Duration::from_secs(5), || lab.has_address(0, EXTRA_VIP)),
        "the added VIP is missing"
    );
    assert!(lab.has_address(0, &vip));

    // 5. A VIP removed: only it goes.
    reload(&lab, r0, &lower);
    assert!(
        wait_until(Duration::from_secs(5), || !lab.has_address(0, EXTRA_VIP)),
        "the removed VIP is still there"
    );

    assert!(
        lab.wait_exit(ping, Duration::from_secs(60)).is_some(),
        "ping did not finish"
    );
    let ping_log = lab.log(ping);
    let (sent, received) =
        lab::ping_summary(&ping_log).unwrap_or_else(|| panic!("no ping summary:\n{ping_log}"));
    assert_eq!(sent, PINGS, "{ping_log}");
    assert_eq!(
        received,
        sent,
        "pings lost through the reloads:\n{ping_log}\n{}",
        lab.log(r0)
    );
    assert_eq!(lab.holders(&vip), [0]);
    assert_eq!(master_transitions(&lab, r0), Some(1));
    assert_eq!(master_transitions(&lab, r1), Some(0));
    let log = lab.log(r0);
    assert!(!log.contains("VI_1: master ->"), "{log}");
}

/// The addresses on `dev` in router `k`'s namespace.
fn addresses_on(lab: &Lab, k: usize, dev: &str) -> String {
    lab.ip(&lab.router_ns(k), &["-o", "addr", "show", "dev", dev])
}

/// A reload may name an interface that did not exist when the daemon started (a LAN
/// plugged into a running router): the daemon reads the host again instead of refusing
/// the file, the new instance runs there and takes its VIP, and the running one is left
/// alone.
#[test]
fn a_reload_may_name_an_interface_created_after_start() {
    require_root!();
    let mut lab = Lab::new(1);
    let pair = Pair::v3("0.1");
    let vip = pair.vip_addr().to_string();
    let conf = pair.conf(&lab, 0);
    let r0 = lab.start_holder(Impl::Vrrp, 0, &conf, &vip, pair.election_bound());
    let transitions = master_transitions(&lab, r0);

    // The new LAN: a veth pair inside the router's namespace, made after the start.
    lab.add_router_link(0, "lan1", "lan1p", Some("10.99.0.1/24"));
    let second = "vrrp_instance VI_2 {\n    state BACKUP\n    interface lan1\n    \
                  virtual_router_id 77\n    priority 150\n    advert_int 0.1\n    \
                  virtual_ipaddress {\n        10.99.0.77/32\n    }\n}\n";
    let line = reload(&lab, r0, &format!("{conf}{second}"));
    assert!(
        line.contains(", 1 started"),
        "VI_2 started by the reload: {line}"
    );
    assert!(
        wait_until(Duration::from_secs(5), || {
            lab.vrrp_state(r0, "VI_2").as_deref() == Some("master")
                && addresses_on(&lab, 0, "lan1").contains("10.99.0.77/32")
        }),
        "VI_2 on the new interface is not master with its VIP: {:?}\n{}",
        lab.vrrp_state(r0, "VI_2"),
        lab.log(r0)
    );
    assert_eq!(lab.vrrp_state(r0, NAME).as_deref(), Some("master"));
    assert_eq!(
        master_transitions(&lab, r0),
        transitions,
        "VI_1 was left alone"
    );
    assert!(lab.has_address(0, &vip), "VI_1's VIP stays");
}
