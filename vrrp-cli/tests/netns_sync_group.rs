//! `vrrp_sync_group` on running daemons: two instances of a group move together when
//! one member's check fails, and back when it passes again; the group's notify script
//! runs once per group transition.
//!
//! Needs root (prints `SKIPPED` otherwise).

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod lab;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use lab::{wait_until, Lab, VIP4};

/// The second instance's VIP.
const VIP_B: &str = "192.168.100.50";

fn conf(priority: u8, check: &str, notify: &str) -> String {
    format!(
        "global_defs {{\n    vrrp_version 3\n}}\n\
         vrrp_script chk_front {{\n    script \"{check}\"\n    interval 0.2\n    fall 1\n    rise 1\n}}\n\
         vrrp_sync_group GW {{\n    group {{\n        VI_FRONT\n        VI_BACK\n    }}\n    notify \"{notify}\"\n}}\n\
         vrrp_instance VI_FRONT {{\n    interface eth0\n    virtual_router_id 51\n    priority {priority}\n    advert_int 0.1\n\
         \x20   virtual_ipaddress {{\n        {VIP4}/24\n    }}\n    track_script {{\n        chk_front\n    }}\n}}\n\
         vrrp_instance VI_BACK {{\n    interface eth0\n    virtual_router_id 52\n    priority {priority}\n    advert_int 0.1\n\
         \x20   virtual_ipaddress {{\n        {VIP_B}/24\n    }}\n}}\n"
    )
}

#[test]
fn a_failed_check_moves_the_whole_group_and_a_pass_brings_it_back() {
    require_root!();
    let mut lab = Lab::new(2);
    let down = lab.dir().join("front-down");
    let check = lab.dir().join("check.sh");
    std::fs::write(&check, format!("#!/bin/sh\ntest ! -e {}\n", down.display())).unwrap();
    let log = lab.dir().join("group.log");
    let notify = lab.dir().join("notify.sh");
    std::fs::write(
        &notify,
        format!("#!/bin/sh\necho \"$@\" >> {}\n", log.display()),
    )
    .unwrap();
    for f in [&check, &notify] {
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let (check, notify) = (check.to_str().unwrap(), notify.to_str().unwrap());
    let r0 = lab.start_vrrp(0, &conf(150, check, notify));
    let r1 = lab.start_vrrp(1, &conf(100, "/bin/true", "/bin/true"));
    let both_on = |lab: &Lab, k: usize| lab.holders(VIP4) == [k] && lab.holders(VIP_B) == [k];
    assert!(
        wait_until(Duration::from_secs(10), || both_on(&lab, 0)),
        "{}\n{}",
        lab.log(r0),
        lab.log(r1)
    );

    // Only VI_FRONT tracks the check, but the group goes as one.
    std::fs::write(&down, "").unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || both_on(&lab, 1)),
        "{:?}\n{}\n{}",
        lab.vrrp_status(r0),
        lab.log(r0),
        lab.log(r1)
    );
    assert_eq!(lab.vrrp_state(r0, "VI_FRONT").as_deref(), Some("fault"));
    assert_eq!(lab.vrrp_state(r0, "VI_BACK").as_deref(), Some("fault"));
    let back = lab
        .vrrp_status(r0)
        .unwrap()
        .into_iter()
        .find(|r| r.name == "VI_BACK")
        .unwrap();
    assert!(
        back.raw["tracks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["kind"] == "sync_group" && t["name"] == "GW" && t["up"] == false),
        "{}",
        back.raw
    );

    std::fs::remove_file(&down).unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || both_on(&lab, 0)),
        "{:?}\n{}\n{}",
        lab.vrrp_status(r0),
        lab.log(r0),
        lab.log(r1)
    );
    // Once per group transition, in order (the notify worker runs them one by one).
    let expected = "GROUP GW BACKUP 0\nGROUP GW MASTER 0\nGROUP GW FAULT 0\nGROUP GW BACKUP 0\nGROUP GW MASTER 0\n";
    assert!(
        wait_until(Duration::from_secs(5), || std::fs::read_to_string(&log)
            .unwrap_or_default()
            == expected),
        "{:?}\n{}",
        std::fs::read_to_string(&log),
        lab.log(r0)
    );
}
