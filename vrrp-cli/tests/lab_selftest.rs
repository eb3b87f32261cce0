//! Proves the namespace LAN harness (`tests/lab/`) with keepalived on both routers: the
//! classic nginx pair as VRRPv3 with 100 ms adverts. The VIP is on the master only; when
//! the master's port goes down the VIP moves to the backup and the client reaches it;
//! when the port comes back the master preempts. Needs root and keepalived; otherwise
//! prints `SKIPPED: ...` and passes.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod lab;

use std::net::IpAddr;
use std::time::Duration;

use lab::{secs, wait_until, Lab, Pair, VIP4};

#[test]
fn keepalived_pair_fails_over_and_preempts() {
    require_root!();
    require_tools!("keepalived", "tcpdump", "ping");

    let mut lab = Lab::new(2);
    let pair = Pair::v3("0.1");
    let (p0, p1) = (pair.healthy_priority(0), pair.healthy_priority(1));
    let (r0, r1): (IpAddr, IpAddr) = (Lab::router_v4(0).into(), Lab::router_v4(1).into());

    // Router 0 first, so that the election does not depend on start-up order.
    lab.start_keepalived(0, &pair.conf(&lab, 0));
    assert!(
        lab.wait_sole_holder(0, VIP4, Duration::from_secs(10)),
        "router 0 never took the VIP; holders: {:?}",
        lab.holders(VIP4)
    );
    let capture = lab.start_capture();
    lab.start_keepalived(1, &pair.conf(&lab, 1));
    // Router 1 hears priority 103 > 102 and stays backup: a few Master_Down_Intervals.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(lab.holders(VIP4), [0], "VIP on the master only");
    assert!(
        wait_until(Duration::from_secs(5), || lab.client_ping(VIP4)),
        "client cannot reach the VIP on the master"
    );

    // The master dies (its port goes down): router 1 takes over.
    lab.link_down(0);
    assert!(
        lab.wait_sole_holder(1, VIP4, Duration::from_secs(5)),
        "VIP did not move to router 1; holders: {:?}",
        lab.holders(VIP4)
    );
    // No neighbour flush: the gratuitous ARPs must redirect the client.
    assert!(
        wait_until(Duration::from_secs(5), || lab.client_ping(VIP4)),
        "client cannot reach the VIP on router 1"
    );
    let down = lab.capture_snapshot(&capture);

    // The master comes back and preempts.
    lab.link_up(0);
    assert!(
        lab.wait_sole_holder(0, VIP4, Duration::from_secs(5)),
        "router 0 did not preempt; holders: {:?}",
        lab.holders(VIP4)
    );
    assert!(
        wait_until(Duration::from_secs(5), || lab.client_ping(VIP4)),
        "client cannot reach the VIP after preemption"
    );
    let trace = lab.stop_capture(capture);

    // What the client saw: router 0's adverts at 103, router 1's at 102 after router 0's
    // last one, within a generous bound of Master_Down_Interval (361 ms), and router 1's
    // gratuitous ARPs for the VIP.
    assert!(
        down.adverts.iter().all(|a| a.error.is_none()),
        "undecodable adverts:\n{}",
        down.summary()
    );
    assert!(down.adverts_from(r0).all(|a| a.priority == p0));
    let first1 = down
        .adverts_from(r1)
        .next()
        .unwrap_or_else(|| panic!("no advert from router 1:\n{}", down.summary()));
    assert_eq!(first1.priority, p1);
    let last0 = down
        .last_from_before(r0, first1.t)
        .unwrap_or_else(|| panic!("no advert from router 0:\n{}", down.summary()));
    let gap = first1.t - last0.t;
    eprintln!("takeover gap {} (Master_Down_Interval 0.361 s)", secs(gap));
    assert!(
        gap >= Duration::from_millis(250) && gap < Duration::from_secs(2),
        "takeover gap {} far from Master_Down_Interval:\n{}",
        secs(gap),
        down.summary()
    );
    let vip: std::net::Ipv4Addr = VIP4.parse().unwrap();
    let garp = down
        .first_garp_after(vip, first1.t)
        .unwrap_or_else(|| panic!("no gratuitous ARP from router 1:\n{}", down.summary()));
    assert_eq!(garp.mac, lab.router_mac(1));
    // After preemption router 0 advertises again and announces the VIP.
    let back = trace
        .first_from_after(r0, first1.t)
        .unwrap_or_else(|| panic!("router 0 never came back:\n{}", trace.summary()));
    let mac0 = lab.router_mac(0);
    assert!(
        trace
            .garps
            .iter()
            .any(|g| g.ip == vip && g.t >= back.t && g.mac == mac0),
        "no gratuitous ARP from router 0 after preemption:\n{}",
        trace.summary()
    );
}
