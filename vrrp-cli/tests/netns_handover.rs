//! `vrrp handover`: our daemon, master of a VRRPv3 pair (100 ms adverts), hands over to
//! its backup while a client pings the VIP every 10 ms, and not one ping is lost. The
//! backup is our daemon, then keepalived 2.2.7: an RFC-conformant peer takes over the
//! same way (it only sees a master sending priority 0). Then `vrrp resume` gives the
//! master role back (preempt).
//!
//! Needs root, ping and tcpdump; keepalived for the second case (prints `SKIPPED`
//! otherwise).

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod lab;

use std::process::Command;
use std::time::Duration;

use lab::{Impl, Lab, Pair, ProcId};

const NAME: &str = "VI_1";
/// Pings one every 10 ms: covers the handover with room before and after.
const PINGS: u32 = 600;

fn status_field(lab: &Lab, id: ProcId, field: &str) -> Option<serde_json::Value> {
    let r = lab.vrrp_status(id)?.into_iter().find(|r| r.name == NAME)?;
    Some(r.raw[field].clone())
}

/// `vrrp handover|resume --socket S` for router `id`: (exit code, stdout).
fn control(lab: &Lab, id: ProcId, verb: &str) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vrrp"));
    cmd.args([verb, "--socket", lab.status_socket(id).to_str().unwrap()]);
    let out = lab::run_with_timeout(cmd, Duration::from_secs(40)).unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn hand_over_without_loss(backup: Impl) {
    let mut lab = Lab::new(2);
    let pair = Pair {
        check: None,
        priorities: [150, 100],
        ..Pair::v3("0.1")
    };
    let vip = pair.vip_addr().to_string();
    let bound = pair.election_bound();
    let r0 = lab.start_vrrp(0, &pair.conf(&lab, 0));
    assert!(
        lab.wait_sole_holder(0, &vip, bound),
        "router 0 did not take the VIP:\n{}",
        lab.log(r0)
    );
    let r1 = lab.start_impl(backup, 1, &pair.conf(&lab, 1));
    // The backup has settled once it has heard a few adverts.
    std::thread::sleep(pair.master_down_interval() * 2);
    assert_eq!(lab.holders(&vip), [0]);
    assert!(lab.client_ping(&vip), "the VIP does not answer");

    let ping = lab.start_client_pings(&vip, PINGS);
    std::thread::sleep(Duration::from_secs(1));
    let (code, out) = control(&lab, r0, "handover");
    assert_eq!(code, Some(0), "{out}\n{}", lab.log(r0));
    assert!(out.contains("VI_1: handing over"), "{out}");
    assert!(out.contains("VI_1: BACKUP, master 192.168.100."), "{out}");
    assert!(
        lab.wait_sole_holder(1, &vip, Duration::from_secs(5)),
        "the VIP did not end on router 1 alone: {:?}",
        lab.holders(&vip)
    );
    assert_eq!(status_field(&lab, r0, "demoted"), Some(true.into()));
    assert_eq!(status_field(&lab, r0, "effective_priority"), Some(1.into()));

    assert!(
        lab.wait_exit(ping, Duration::from_secs(30)).is_some(),
        "ping did not finish"
    );
    let ping_log = lab.log(ping);
    let (sent, received) =
        lab::ping_summary(&ping_log).unwrap_or_else(|| panic!("no ping summary:\n{ping_log}"));
    assert_eq!(sent, PINGS, "{ping_log}");
    assert_eq!(
        received,
        sent,
        "pings lost in the handover:\n{ping_log}\n{}\n{}",
        lab.log(r0),
        lab.log(r1)
    );

    // Demoted: stays backup. Resumed: preempts the lower-priority master again.
    std::thread::sleep(pair.master_down_interval() * 2);
    assert_eq!(lab.holders(&vip), [1]);
    let (code, out) = control(&lab, r0, "resume");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("VI_1: resumed"), "{out}");
    assert!(
        lab.wait_sole_holder(0, &vip, pair.election_bound()),
        "router 0 did not take the VIP back: {:?}\n{}",
        lab.holders(&vip),
        lab.log(r0)
    );
    assert_eq!(status_field(&lab, r0, "demoted"), Some(false.into()));
}

#[test]
fn handover_to_our_daemon_loses_no_ping() {
    require_root!();
    require_tools!("ping", "tcpdump");
    hand_over_without_loss(Impl::Vrrp);
}

#[test]
fn handover_to_keepalived_loses_no_ping() {
    require_root!();
    require_tools!("ping", "tcpdump", "keepalived");
    hand_over_without_loss(Impl::Keepalived);
}
