//! `virtual_routes`, `virtual_rules` and `virtual_ipaddress_excluded` on running daemons:
//! installed on the master only, moved to the backup when it takes over, put back when
//! deleted by hand, removed by a stopped daemon; static items likewise while the daemon
//! runs.
//!
//! Needs root (prints `SKIPPED` otherwise).

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod lab;

use std::time::Duration;

use lab::{wait_until, Lab, VIP4};

const EVIP: &str = "192.168.100.60";

fn conf(priority: u8) -> String {
    format!(
        "global_defs {{\n    vrrp_version 3\n}}\n\
         vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 51\n    priority {priority}\n    advert_int 0.1\n\
         \x20   virtual_ipaddress {{\n        {VIP4}/24\n    }}\n\
         \x20   virtual_ipaddress_excluded {{\n        {EVIP}/24\n        fd00:100::60/64\n    }}\n\
         \x20   virtual_routes {{\n        10.9.0.0/16 via 192.168.100.100 dev eth0 table 100 metric 7\n        blackhole 10.8.0.0/16\n        src {VIP4} 10.7.0.0/16 via 192.168.100.100\n    }}\n\
         \x20   virtual_rules {{\n        from {VIP4} table 100 preference 1000\n    }}\n}}\n"
    )
}

/// What router `k` has installed of the configuration's routes, rules and eVIPs.
fn installed(lab: &Lab, k: usize) -> [bool; 5] {
    let ns = lab.router_ns(k);
    let all = lab.ip(&ns, &["route", "show", "table", "all"]);
    let main = lab.ip(&ns, &["route", "show"]);
    let rules = lab.ip(&ns, &["rule", "show"]);
    let addrs = lab.ip(&ns, &["addr", "show", "dev", "eth0"]);
    [
        all.lines().any(|l| {
            l.starts_with("10.9.0.0/16 via 192.168.100.100 dev eth0 table 100")
                && l.contains("metric 7")
        }),
        main.contains("blackhole 10.8.0.0/16"),
        main.contains(&format!(
            "10.7.0.0/16 via 192.168.100.100 dev eth0 proto keepalived src {VIP4}"
        )) || main.contains(&format!(
            "10.7.0.0/16 via 192.168.100.100 dev eth0 proto 18 src {VIP4}"
        )),
        rules.contains(&format!("1000:\tfrom {VIP4} lookup 100")),
        addrs.contains(&format!("{EVIP}/24")) && addrs.contains("fd00:100::60/64"),
    ]
}

#[test]
fn routes_rules_and_excluded_addresses_follow_mastership() {
    require_root!();
    let mut lab = Lab::new(2);
    let r0 = lab.start_vrrp(0, &conf(150));
    let r1 = lab.start_vrrp(1, &conf(100));
    assert!(
        wait_until(Duration::from_secs(10), || installed(&lab, 0) == [true; 5]
            && installed(&lab, 1) == [false; 5]),
        "r0 {:?} r1 {:?}\n{}\n{}\n{}",
        installed(&lab, 0),
        installed(&lab, 1),
        lab.ip(&lab.router_ns(0), &["route", "show", "table", "all"]),
        lab.log(r0),
        lab.log(r1)
    );
    lab.stop(r0);
    assert!(
        wait_until(Duration::from_secs(10), || installed(&lab, 1) == [true; 5]),
        "r1 {:?}\n{}",
        installed(&lab, 1),
        lab.log(r1)
    );
    assert_eq!(
        installed(&lab, 0),
        [false; 5],
        "a stopped daemon removes them"
    );
    assert!(lab.has_address(1, VIP4));
}

/// Routes and a rule of the master deleted by hand (`ip route del`, `ip rule del`, an
/// administrator's mistake or another tool's cleanup) are put back within a second, and
/// the master says so; the backup installs nothing.
#[test]
fn a_masters_routes_and_rules_deleted_by_hand_are_put_back() {
    require_root!();
    let mut lab = Lab::new(2);
    let r0 = lab.start_vrrp(0, &conf(150));
    let r1 = lab.start_vrrp(1, &conf(100));
    assert!(
        wait_until(Duration::from_secs(10), || installed(&lab, 0) == [true; 5]),
        "r0 {:?}\n{}",
        installed(&lab, 0),
        lab.log(r0)
    );
    let ns = lab.router_ns(0);
    lab.ip(&ns, &["route", "del", "10.9.0.0/16", "table", "100"]);
    lab.ip(&ns, &["route", "del", "blackhole", "10.8.0.0/16"]);
    lab.ip(&ns, &["rule", "del", "preference", "1000"]);
    assert_ne!(installed(&lab, 0), [true; 5], "deleted");
    assert!(
        wait_until(Duration::from_secs(1), || installed(&lab, 0) == [true; 5]),
        "not put back within a second: {:?}\n{}",
        installed(&lab, 0),
        lab.log(r0)
    );
    assert!(
        wait_until(Duration::from_secs(2), || lab
            .log(r0)
            .contains("were deleted behind our back; restored")),
        "no log line:\n{}",
        lab.log(r0)
    );
    assert_eq!(installed(&lab, 1), [false; 5], "the backup holds none");
    assert_eq!(lab.vrrp_state(r0, "VI_1").as_deref(), Some("master"));
    assert_eq!(lab.vrrp_state(r1, "VI_1").as_deref(), Some("backup"));
}

#[test]
fn static_items_stay_while_the_daemon_runs_and_a_track_group_follows_their_interface() {
    require_root!();
    let mut lab = Lab::new(1);
    let ns = lab.router_ns(0);
    // A second link in the router for the static items.
    lab.add_router_link(0, "st0", "st1", None);
    let conf = format!(
        "global_defs {{\n    vrrp_version 3\n}}\n\
         track_group TG {{\n    group {{\n        VI_1\n    }}\n}}\n\
         static_ipaddress {{\n    10.99.0.1/24 dev st0 track_group TG\n}}\n\
         static_routes {{\n    10.97.0.0/16 via 10.99.0.254 dev st0\n}}\n\
         static_rules {{\n    from 10.99.0.1 table 10 preference 500\n}}\n\
         vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 51\n    priority 100\n    advert_int 0.1\n\
         \x20   virtual_ipaddress {{\n        {VIP4}/24\n    }}\n}}\n"
    );
    let r0 = lab.start_vrrp(0, &conf);
    let statics = |lab: &Lab| {
        let addrs = lab.ip(&ns, &["addr", "show", "dev", "st0"]);
        let routes = lab.ip(&ns, &["route", "show"]);
        let rules = lab.ip(&ns, &["rule", "show"]);
        [
            addrs.contains("10.99.0.1/24"),
            routes.contains("10.97.0.0/16 via 10.99.0.254 dev st0"),
            rules.contains("500:\tfrom 10.99.0.1 lookup 10"),
        ]
    };
    assert!(
        wait_until(Duration::from_secs(10), || statics(&lab) == [true; 3]
            && lab.has_address(0, VIP4)),
        "{:?}\n{}",
        statics(&lab),
        lab.log(r0)
    );
    // The group's instance tracks the static address's link: down is a fault.
    lab.ip(&ns, &["link", "set", "st0", "down"]);
    assert!(
        wait_until(Duration::from_secs(5), || !lab.has_address(0, VIP4)),
        "{}",
        lab.log(r0)
    );
    assert_eq!(lab.vrrp_state(r0, "VI_1").as_deref(), Some("fault"));
    lab.ip(&ns, &["link", "set", "st0", "up"]);
    assert!(
        wait_until(Duration::from_secs(5), || lab.has_address(0, VIP4)),
        "{}",
        lab.log(r0)
    );
    // The route went with the link and is back with it.
    assert!(
        wait_until(Duration::from_secs(1), || statics(&lab) == [true; 3]),
        "{:?}\n{}",
        statics(&lab),
        lab.log(r0)
    );
    // Deleted by hand: put back within a second, and said so.
    lab.ip(&ns, &["rule", "del", "preference", "500"]);
    lab.ip(&ns, &["route", "del", "10.97.0.0/16"]);
    lab.ip(&ns, &["addr", "del", "10.99.0.1/24", "dev", "st0"]);
    assert!(
        wait_until(Duration::from_secs(1), || statics(&lab) == [true; 3]),
        "not put back: {:?}\n{}",
        statics(&lab),
        lab.log(r0)
    );
    let log = lab.log(r0);
    for item in ["static_ipaddress", "static_routes", "static_rules"] {
        assert!(
            log.lines()
                .any(|l| l.contains(item) && l.contains("deleted behind our back; restored")),
            "{item}:\n{log}"
        );
    }
    lab.stop(r0);
    assert_eq!(statics(&lab), [false; 3], "removed at stop, not put back");
}
