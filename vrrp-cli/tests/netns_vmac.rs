//! `use_vmac` on running daemons: the VIP lives on a macvlan with the virtual MAC, so the
//! client's neighbour entry for it is 00:00:5e:00:01:VRID before and after a failover,
//! and pings flow; a stopped daemon removes its macvlan.
//!
//! Needs root (prints `SKIPPED` otherwise).

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod lab;

use std::time::Duration;

use lab::{wait_until, Lab, VIP4, VIP6};

const VMAC: &str = "00:00:5e:00:01:33";
const VMAC6: &str = "00:00:5e:00:02:33";

fn conf(priority: u8) -> String {
    format!(
        "global_defs {{\n    vrrp_version 3\n}}\n\
         vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 51\n    priority {priority}\n    advert_int 0.1\n\
         \x20   use_vmac\n    virtual_ipaddress {{\n        {VIP4}/24\n    }}\n}}\n"
    )
}

fn vip_device(lab: &Lab, k: usize) -> Option<String> {
    lab.device_of(k, VIP4)
}

/// Only router `k` holds the VIP, on its macvlan.
fn sole_holder_on_vmac(lab: &Lab, k: usize) -> bool {
    (0..2).all(|j| {
        let dev = vip_device(lab, j);
        if j == k {
            dev.as_deref() == Some("vrrp.51")
        } else {
            dev.is_none()
        }
    })
}

fn has_link(lab: &Lab, k: usize, name: &str) -> bool {
    let out = lab.ip(&lab.router_ns(k), &["-j", "link", "show"]);
    out.contains(&format!("\"ifname\":\"{name}\""))
}

#[test]
fn the_client_sees_only_the_virtual_mac_before_and_after_a_failover() {
    require_root!();
    let mut lab = Lab::new(2);
    let r0 = lab.start_vrrp(0, &conf(150));
    let r1 = lab.start_vrrp(1, &conf(100));
    assert!(
        wait_until(Duration::from_secs(10), || sole_holder_on_vmac(&lab, 0)),
        "{}\n{}",
        lab.log(r0),
        lab.log(r1)
    );
    assert!(has_link(&lab, 1, "vrrp.51"), "the backup's macvlan waits");
    assert!(
        wait_until(Duration::from_secs(5), || lab.client_ping(VIP4)),
        "{}",
        lab.log(r0)
    );
    assert_eq!(
        lab.client_neighbour(VIP4).as_deref(),
        Some(VMAC),
        "r0 {} r1 {}\n{}\n{}",
        lab.router_mac(0),
        lab.router_mac(1),
        lab.ip(&lab.router_ns(0), &["-d", "link"]),
        lab.exec(
            &lab.router_ns(0),
            &[
                "sh",
                "-c",
                "grep . /proc/sys/net/ipv4/conf/*/arp_ignore /proc/sys/net/ipv4/conf/*/arp_filter"
            ],
            Duration::from_secs(5)
        )
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
    );

    // The master goes: the backup takes the VIP, and the client's entry is still right
    // without it asking again (the MAC moved with the VIP).
    lab.stop(r0);
    assert!(
        wait_until(Duration::from_secs(5), || sole_holder_on_vmac(&lab, 1)),
        "{}",
        lab.log(r1)
    );
    assert!(
        !has_link(&lab, 0, "vrrp.51"),
        "a stopped daemon removes its macvlan"
    );
    assert!(
        wait_until(Duration::from_secs(5), || lab.client_ping(VIP4)),
        "{}",
        lab.log(r1)
    );
    assert_eq!(lab.client_neighbour(VIP4).as_deref(), Some(VMAC));
    // Asked afresh, only the virtual MAC answers.
    lab.client_flush_neighbours();
    assert!(lab.client_ping(VIP4));
    assert_eq!(lab.client_neighbour(VIP4).as_deref(), Some(VMAC));
}

#[test]
fn with_vmac_xmit_base_adverts_stay_on_the_parent_and_the_vip_keeps_the_virtual_mac() {
    require_root!();
    let mut lab = Lab::new(2);
    let conf =
        |priority: u8| conf(priority).replace("use_vmac\n", "use_vmac\n    vmac_xmit_base\n");
    let r0 = lab.start_vrrp(0, &conf(150));
    let r1 = lab.start_vrrp(1, &conf(100));
    assert!(
        wait_until(Duration::from_secs(10), || sole_holder_on_vmac(&lab, 0)),
        "{}\n{}",
        lab.log(r0),
        lab.log(r1)
    );
    assert!(wait_until(Duration::from_secs(5), || lab.client_ping(VIP4)));
    assert_eq!(lab.client_neighbour(VIP4).as_deref(), Some(VMAC));
    // The adverts leave from the parent, with its MAC.
    let out = lab
        .exec(
            &lab.client_ns(),
            &[
                "timeout", "5", "tcpdump", "-e", "-n", "-c", "3", "-i", "eth0", "vrrp",
            ],
            Duration::from_secs(10),
        )
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let parent = lab.router_mac(0);
    let sources: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(sources.len(), 3, "{text}");
    assert!(sources.iter().all(|m| *m == parent), "{parent}: {text}");
    lab.stop(r0);
    assert!(
        wait_until(Duration::from_secs(5), || sole_holder_on_vmac(&lab, 1)),
        "{}",
        lab.log(r1)
    );
    assert!(wait_until(Duration::from_secs(5), || lab.client_ping(VIP4)));
    assert_eq!(lab.client_neighbour(VIP4).as_deref(), Some(VMAC));
}

#[test]
fn an_ipv6_vip_keeps_the_ipv6_virtual_mac_over_a_failover() {
    require_root!();
    let mut lab = Lab::new(2);
    let conf = |priority: u8| {
        format!(
            "vrrp_instance VI_6 {{\n    interface eth0\n    virtual_router_id 51\n    priority {priority}\n    advert_int 0.1\n\
             \x20   use_vmac\n    virtual_ipaddress {{\n        {VIP6}/64\n    }}\n}}\n"
        )
    };
    let on_vmac = |lab: &Lab, k: usize| {
        let out = lab.ip(&lab.router_ns(k), &["-j", "-6", "addr", "show", "to", VIP6]);
        out.contains("\"ifname\":\"vrrp.51\"")
    };
    let r0 = lab.start_vrrp(0, &conf(150));
    let r1 = lab.start_vrrp(1, &conf(100));
    assert!(
        wait_until(Duration::from_secs(10), || on_vmac(&lab, 0)
            && !on_vmac(&lab, 1)),
        "{}\n{}",
        lab.log(r0),
        lab.log(r1)
    );
    assert!(
        wait_until(Duration::from_secs(5), || lab.client_ping(VIP6)),
        "{}",
        lab.log(r0)
    );
    assert_eq!(lab.client_neighbour(VIP6).as_deref(), Some(VMAC6));
    lab.stop(r0);
    assert!(
        wait_until(Duration::from_secs(5), || on_vmac(&lab, 1)),
        "{}",
        lab.log(r1)
    );
    assert!(wait_until(Duration::from_secs(5), || lab.client_ping(VIP6)));
    assert_eq!(lab.client_neighbour(VIP6).as_deref(), Some(VMAC6));
}
