//! Start-up without the RFC's race: two daemons started together with 200 VRIDs each
//! (VRRPv3, 100 ms adverts), the lower priority (100) 100 ms before the higher (150), as
//! two hosts booted together may. With the plain Master_Down_Interval the first started
//! wins whenever it leads by more than 19.5 ms and advertises as master until preempted
//! (checked: with `vrrp_startup_spread 0` this test fails); with
//! `vrrp_startup_spread` (default 1 s) the capture on the LAN holds no advert at all from
//! the lower-priority host, and every VIP ends on the higher one.
//!
//! Needs root and tcpdump (prints `SKIPPED` otherwise).

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod lab;

use std::net::IpAddr;
use std::time::Duration;

use lab::{wait_until, Lab};

const VRIDS: u8 = 200;

/// 200 instances on eth0, VIPs 10.200.0.1..=200.
fn conf(lab: &Lab, k: usize, priority: u8) -> String {
    let mut s = format!(
        "global_defs {{\n    router_id {}-r{k}\n    vrrp_version 3\n}}\n",
        lab.prefix()
    );
    for vrid in 1..=VRIDS {
        s.push_str(&format!(
            "vrrp_instance VI_{vrid} {{\n    interface eth0\n    virtual_router_id {vrid}\n    priority {priority}\n    advert_int 0.1\n    virtual_ipaddress {{\n        10.200.0.{vrid}/32\n    }}\n}}\n"
        ));
    }
    s
}

#[test]
fn routers_started_together_do_not_race() {
    require_root!();
    require_tools!("tcpdump");
    let mut lab = Lab::new(2);
    let capture = lab.start_capture();
    let low = lab.start_vrrp(1, &conf(&lab, 1, 100));
    std::thread::sleep(Duration::from_millis(100));
    let high = lab.start_vrrp(0, &conf(&lab, 0, 150));
    let all_on_high = wait_until(Duration::from_secs(15), || {
        (1..=VRIDS).all(|v| lab.has_address(0, &format!("10.200.0.{v}")))
    });
    assert!(
        all_on_high,
        "not every VIP on the higher priority:\n{}\n{}",
        lab.log(high),
        lab.log(low)
    );
    std::thread::sleep(Duration::from_secs(1));
    let trace = lab.stop_capture(capture);
    let low_src: IpAddr = Lab::router_v4(1).into();
    let high_src: IpAddr = Lab::router_v4(0).into();
    let from_low: Vec<u8> = trace.adverts_from(low_src).map(|a| a.vrid).collect();
    assert!(
        from_low.is_empty(),
        "the lower priority advertised for {} VRID(s): {:?}",
        {
            let mut v = from_low.clone();
            v.sort_unstable();
            v.dedup();
            v.len()
        },
        &from_low[..from_low.len().min(20)]
    );
    let mut heard: Vec<u8> = trace.adverts_from(high_src).map(|a| a.vrid).collect();
    heard.sort_unstable();
    heard.dedup();
    assert_eq!(heard.len(), usize::from(VRIDS), "adverts from the master");
    assert!((1..=VRIDS).all(|v| !lab.has_address(1, &format!("10.200.0.{v}"))));
}
