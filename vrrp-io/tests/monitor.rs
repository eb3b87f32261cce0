//! NetlinkMonitor: link and address notifications inside network namespaces (root only).
//!
//! Every wait is bounded: events are collected with `poll(2)` and a deadline, never with a
//! blocking read.

mod common;

use std::net::IpAddr;
use std::os::fd::{AsFd, AsRawFd};
use std::time::{Duration, Instant};

use common::{Lab, Netns};
use vrrp_io::netlink::{InterfaceAddress, Link, Netlink, OperState};
use vrrp_io::{NetEvent, NetlinkMonitor};

/// The longest any expected event may take to arrive.
const WAIT: Duration = Duration::from_secs(5);

/// How long "nothing happens" is watched.
const QUIET: Duration = Duration::from_millis(300);

fn ip(s: &str) -> IpAddr {
    s.parse().expect("an IP address")
}

fn monitor_in(ns: &Netns) -> NetlinkMonitor {
    ns.run(|| NetlinkMonitor::open().expect("open the monitor"))
}

fn netlink_in(ns: &Netns) -> Netlink {
    ns.run(|| Netlink::open().expect("netlink"))
}

fn ifindex_in(ns: &Netns, ifname: &'static str) -> u32 {
    ns.run(move || {
        Netlink::open()
            .expect("netlink")
            .ifindex(ifname)
            .expect("interface")
    })
}

/// Waits at most `timeout` for the descriptor to become readable.
fn readable(fd: impl AsFd, timeout: Duration) -> bool {
    let mut pfd = libc::pollfd {
        fd: fd.as_fd().as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: one valid pollfd, live for the call.
    let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
    rc > 0 && pfd.revents & libc::POLLIN != 0
}

/// Collects events until `done` holds for what was collected, or [`WAIT`] has passed;
/// returns everything collected either way (the caller asserts).
fn collect_until(
    monitor: &mut NetlinkMonitor,
    mut done: impl FnMut(&[NetEvent]) -> bool,
) -> Vec<NetEvent> {
    let deadline = Instant::now() + WAIT;
    let mut events = Vec::new();
    loop {
        monitor.recv(&mut events).expect("recv");
        let now = Instant::now();
        if done(&events) || now >= deadline {
            return events;
        }
        readable(&*monitor, deadline - now);
    }
}

fn link_event(events: &[NetEvent], pred: impl Fn(&Link) -> bool) -> Option<&Link> {
    events.iter().find_map(|e| match e {
        NetEvent::Link(l) if pred(l) => Some(l),
        _ => None,
    })
}

fn added(events: &[NetEvent], addr: IpAddr) -> Option<&InterfaceAddress> {
    events.iter().find_map(|e| match e {
        NetEvent::AddressAdded(a) if a.addr == addr => Some(a),
        _ => None,
    })
}

fn removed(events: &[NetEvent], addr: IpAddr) -> Option<&InterfaceAddress> {
    events.iter().find_map(|e| match e {
        NetEvent::AddressRemoved(a) if a.addr == addr => Some(a),
        _ => None,
    })
}

#[test]
fn link_down_then_up_gives_link_events_with_the_state() {
    require_root!();
    let lab = Lab::new();
    let va = ifindex_in(&lab.a, "va");
    let mut monitor = monitor_in(&lab.a);

    lab.a.ip(&["link", "set", "va", "down"]);
    let events = collect_until(&mut monitor, |ev| {
        link_event(ev, |l| l.index == va && !l.state.admin_up).is_some()
    });
    let down = link_event(&events, |l| l.index == va && !l.state.admin_up)
        .unwrap_or_else(|| panic!("no Link event for va down: {events:?}"));
    assert_eq!(down.name, "va");
    assert!(!down.state.is_up());
    assert_eq!(down.state.oper, OperState::Down);

    lab.a.ip(&["link", "set", "va", "up"]);
    // Carrier and operational state follow the administrative state a moment later
    // (the kernel's link watcher), each in its own notification.
    let events = collect_until(&mut monitor, |ev| {
        link_event(ev, |l| {
            l.index == va && l.state.is_up() && l.state.oper == OperState::Up
        })
        .is_some()
    });
    let up = link_event(&events, |l| l.index == va && l.state.is_up())
        .unwrap_or_else(|| panic!("no Link event for va up: {events:?}"));
    assert_eq!(up.name, "va");
    assert!(up.state.admin_up && up.state.carrier);
    assert!(
        link_event(&events, |l| l.index == va && l.state.oper == OperState::Up).is_some(),
        "{events:?}"
    );
    assert!(
        !events.contains(&NetEvent::Overrun),
        "no overrun in a quiet lab: {events:?}"
    );
}

#[test]
fn ipv4_address_added_and_deleted_gives_events_with_prefix_and_label() {
    require_root!();
    let lab = Lab::new();
    let va = ifindex_in(&lab.a, "va");
    let mut monitor = monitor_in(&lab.a);
    let vip = ip("192.0.2.100");

    lab.a.ip(&[
        "addr",
        "add",
        "192.0.2.100/28",
        "dev",
        "va",
        "label",
        "va:vip",
    ]);
    let events = collect_until(&mut monitor, |ev| added(ev, vip).is_some());
    let a = added(&events, vip).unwrap_or_else(|| panic!("no AddressAdded: {events:?}"));
    assert_eq!(a.ifindex, va);
    assert_eq!(a.prefix_len, 28);
    assert_eq!(a.label.as_deref(), Some("va:vip"));
    assert!(a.is_usable());
    assert!(removed(&events, vip).is_none());

    lab.a.ip(&["addr", "del", "192.0.2.100/28", "dev", "va"]);
    let events = collect_until(&mut monitor, |ev| removed(ev, vip).is_some());
    let r = removed(&events, vip).unwrap_or_else(|| panic!("no AddressRemoved: {events:?}"));
    assert_eq!(r.ifindex, va);
    assert_eq!(r.prefix_len, 28);
    assert_eq!(r.label.as_deref(), Some("va:vip"));
    assert!(
        removed(&events, ip(common::A_V4)).is_none(),
        "the primary stays: {events:?}"
    );
}

#[test]
fn ipv6_address_added_and_deleted_gives_events_with_prefix() {
    require_root!();
    let lab = Lab::new();
    let va = ifindex_in(&lab.a, "va");
    let mut monitor = monitor_in(&lab.a);
    let vip = ip("fd00:db8::100");

    lab.a
        .ip(&["addr", "add", "fd00:db8::100/64", "dev", "va", "nodad"]);
    let events = collect_until(&mut monitor, |ev| added(ev, vip).is_some());
    let a = added(&events, vip).unwrap_or_else(|| panic!("no AddressAdded: {events:?}"));
    assert_eq!(a.ifindex, va);
    assert_eq!(a.prefix_len, 64);
    assert_eq!(a.label, None, "IPv6 addresses have no label");
    assert!(a.nodad);
    assert!(a.is_usable());

    lab.a.ip(&["addr", "del", "fd00:db8::100/64", "dev", "va"]);
    let events = collect_until(&mut monitor, |ev| removed(ev, vip).is_some());
    let r = removed(&events, vip).unwrap_or_else(|| panic!("no AddressRemoved: {events:?}"));
    assert_eq!(r.ifindex, va);
    assert_eq!(r.prefix_len, 64);
}

#[test]
fn a_veth_deleted_and_recreated_gives_link_removed_then_a_link_with_a_new_index() {
    require_root!();
    let ns = Netns::new();
    ns.ip(&["link", "add", "mx0", "type", "veth", "peer", "name", "mx1"]);
    let old = ifindex_in(&ns, "mx0");
    let mut monitor = monitor_in(&ns);

    ns.ip(&["link", "del", "mx0"]);
    ns.ip(&["link", "add", "mx0", "type", "veth", "peer", "name", "mx1"]);
    let new = ifindex_in(&ns, "mx0");
    assert_ne!(new, old, "the kernel gives a re-created link a new index");

    let events = collect_until(&mut monitor, |ev| {
        link_event(ev, |l| l.index == new && l.name == "mx0").is_some()
    });
    let removed_at = events
        .iter()
        .position(|e| {
            *e == NetEvent::LinkRemoved {
                index: old,
                name: "mx0".into(),
            }
        })
        .unwrap_or_else(|| panic!("no LinkRemoved for the old mx0: {events:?}"));
    let created_at = events
        .iter()
        .position(|e| matches!(e, NetEvent::Link(l) if l.index == new && l.name == "mx0"))
        .unwrap_or_else(|| panic!("no Link for the new mx0: {events:?}"));
    assert!(removed_at < created_at, "removal first: {events:?}");
    // The peer went and came back too.
    assert!(
        events
            .iter()
            .any(|e| matches!(e, NetEvent::LinkRemoved { name, .. } if name == "mx1")),
        "{events:?}"
    );
    // No event names the old index after its removal.
    assert!(
        !events[removed_at + 1..]
            .iter()
            .any(|e| matches!(e, NetEvent::Link(l) if l.index == old)),
        "{events:?}"
    );
}

#[test]
fn nothing_arrives_when_nothing_changes_and_the_descriptor_wakes_on_a_change() {
    require_root!();
    let lab = Lab::new();
    let mut monitor = monitor_in(&lab.a);

    assert!(
        !readable(&monitor, QUIET),
        "readable although nothing changed"
    );
    let mut events = Vec::new();
    assert_eq!(monitor.recv(&mut events).expect("recv"), 0);
    assert!(events.is_empty(), "{events:?}");

    lab.a.ip(&["addr", "add", "192.0.2.101/32", "dev", "va"]);
    assert!(readable(&monitor, WAIT), "not readable after a change");
    let n = monitor.recv(&mut events).expect("recv");
    assert!(n > 0 && n == events.len(), "{n} {events:?}");
    assert!(added(&events, ip("192.0.2.101")).is_some(), "{events:?}");
}

#[test]
fn changes_in_another_namespace_are_not_seen() {
    require_root!();
    let lab = Lab::new();
    let mut monitor = monitor_in(&lab.a);

    lab.b.ip(&["addr", "add", "192.0.2.102/32", "dev", "vb"]);
    lab.b.ip(&["link", "set", "vb", "down"]);
    // vb going down takes va's carrier away: that one is a's business. Wait for it, then
    // check that none of b's own changes came along.
    let events = collect_until(&mut monitor, |ev| {
        link_event(ev, |l| l.name == "va" && !l.state.carrier).is_some()
    });
    assert!(
        link_event(&events, |l| l.name == "va" && !l.state.carrier).is_some(),
        "no carrier loss on va: {events:?}"
    );
    assert!(
        added(&events, ip("192.0.2.102")).is_none(),
        "b's address seen in a: {events:?}"
    );
    assert!(
        link_event(&events, |l| l.name == "vb").is_none(),
        "b's link seen in a: {events:?}"
    );
}

#[test]
fn snapshot_lists_lo_and_the_links_and_their_addresses() {
    require_root!();
    let lab = Lab::new();
    let va = ifindex_in(&lab.a, "va");
    let link_local = lab.a.run(|| common::wait_for_link_local("va"));
    let _monitor = monitor_in(&lab.a); // first the monitor, then the snapshot
    let mut nl = netlink_in(&lab.a);
    let events = NetlinkMonitor::snapshot(&mut nl).expect("snapshot");

    let lo = link_event(&events, |l| l.name == "lo").unwrap_or_else(|| panic!("no lo: {events:?}"));
    assert!(lo.loopback);
    assert!(lo.state.admin_up);
    let va_link =
        link_event(&events, |l| l.name == "va").unwrap_or_else(|| panic!("no va: {events:?}"));
    assert_eq!(va_link.index, va);
    assert!(va_link.state.is_up());
    assert!(va_link.mac.is_some());
    assert!(
        link_event(&events, |l| l.name == "vb").is_none(),
        "vb lives in the other namespace"
    );

    let on = |addr: &str, ifindex: u32, prefix_len: u8| {
        let a = added(&events, ip(addr)).unwrap_or_else(|| panic!("no {addr}: {events:?}"));
        assert_eq!((a.ifindex, a.prefix_len), (ifindex, prefix_len), "{a:?}");
    };
    on("127.0.0.1", lo.index, 8);
    on("::1", lo.index, 128);
    on(common::A_V4, va, 24);
    on(common::A_V6, va, 64);
    on(&link_local.to_string(), va, 64);

    // Links first, then addresses; nothing but the state.
    let first_address = events
        .iter()
        .position(|e| matches!(e, NetEvent::AddressAdded(_)))
        .expect("addresses");
    assert!(events[..first_address]
        .iter()
        .all(|e| matches!(e, NetEvent::Link(_))));
    assert!(events[first_address..]
        .iter()
        .all(|e| matches!(e, NetEvent::AddressAdded(_))));
}

#[test]
fn a_storm_is_read_in_bounded_batches() {
    require_root!();
    let lab = Lab::new();
    let mut monitor = monitor_in(&lab.a);
    const COUNT: u8 = 200;
    lab.a.run(|| {
        let mut nl = Netlink::open().expect("netlink");
        let va = nl.ifindex("va").expect("va");
        for i in 0..COUNT {
            let addr = IpAddr::from([198, 51, 100, i]);
            nl.add_address_unchecked(va, addr, 32, None).expect("add");
        }
    });

    // Every notification is queued already (each add waited for its ACK).
    let mut events = Vec::new();
    let first = monitor.recv(&mut events).expect("recv");
    assert_eq!(first, NetlinkMonitor::MAX_DATAGRAMS_PER_RECV);
    let deadline = Instant::now() + WAIT;
    while monitor.recv(&mut events).expect("recv") > 0 {
        assert!(Instant::now() < deadline, "recv kept returning events");
    }
    assert!(
        !events.contains(&NetEvent::Overrun),
        "the buffer holds a burst"
    );
    let seen = (0..COUNT)
        .filter(|&i| added(&events, IpAddr::from([198, 51, 100, i])).is_some())
        .count();
    assert_eq!(seen, usize::from(COUNT));
    assert!(!readable(&monitor, Duration::ZERO), "drained");
}

#[test]
fn an_overflowing_queue_gives_overrun_and_a_snapshot_recovers() {
    require_root!();
    let lab = Lab::new();
    let mut monitor = monitor_in(&lab.a);
    // Shrink the receive buffer to the kernel's minimum (a few KiB).
    let tiny: libc::c_int = 1;
    // SAFETY: a valid socket and a live c_int of the stated size.
    let rc = unsafe {
        libc::setsockopt(
            monitor.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&tiny as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "{}", std::io::Error::last_os_error());
    const COUNT: u8 = 100;
    lab.a.run(|| {
        let mut nl = Netlink::open().expect("netlink");
        let va = nl.ifindex("va").expect("va");
        for i in 0..COUNT {
            let addr = IpAddr::from([198, 51, 100, i]);
            nl.add_address_unchecked(va, addr, 32, None).expect("add");
        }
    });

    let deadline = Instant::now() + WAIT;
    let mut overrun = false;
    while !overrun {
        assert!(Instant::now() < deadline, "no Overrun");
        let mut batch = Vec::new();
        monitor.recv(&mut batch).expect("recv");
        if let Some(at) = batch.iter().position(|e| *e == NetEvent::Overrun) {
            assert_eq!(at, batch.len() - 1, "Overrun ends its call: {batch:?}");
            overrun = true;
        }
    }
    // The queue was discarded with the Overrun; the snapshot covers it.
    let mut rest = Vec::new();
    assert_eq!(monitor.recv(&mut rest).expect("recv"), 0, "{rest:?}");
    let mut nl = netlink_in(&lab.a);
    let snapshot = NetlinkMonitor::snapshot(&mut nl).expect("snapshot");
    let seen = (0..COUNT)
        .filter(|&i| added(&snapshot, IpAddr::from([198, 51, 100, i])).is_some())
        .count();
    assert_eq!(seen, usize::from(COUNT));
}

#[test]
fn route_and_rule_deletions_are_reported_but_not_additions_nor_routing_daemons_routes() {
    require_root!();
    let lab = Lab::new();
    let mut monitor = monitor_in(&lab.a);
    let keepalived = NetEvent::RouteRemoved { protocol: 18 };

    // Additions never reach the monitor; neither do a routing daemon's deletions (the
    // socket filter drops them in the kernel).
    lab.a
        .ip(&["route", "add", "10.66.0.0/16", "dev", "va", "proto", "bgp"]);
    lab.a
        .ip(&["route", "del", "10.66.0.0/16", "dev", "va", "proto", "bgp"]);
    lab.a.ip(&[
        "route",
        "add",
        "10.77.0.0/16",
        "dev",
        "va",
        "proto",
        "keepalived",
    ]);
    assert!(
        !readable(&monitor, QUIET),
        "route additions and BGP's deletion must not wake the monitor"
    );
    // Nor do the kernel's own routes, which come and go with an address.
    lab.a.ip(&["addr", "add", "192.0.2.50/24", "dev", "va"]);
    lab.a.ip(&["addr", "del", "192.0.2.50/24", "dev", "va"]);
    let events = collect_until(&mut monitor, |ev| removed(ev, ip("192.0.2.50")).is_some());
    assert!(removed(&events, ip("192.0.2.50")).is_some(), "{events:?}");
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, NetEvent::RouteRemoved { .. })),
        "the kernel's routes of the address: {events:?}"
    );

    lab.a.ip(&[
        "route",
        "del",
        "10.77.0.0/16",
        "dev",
        "va",
        "proto",
        "keepalived",
    ]);
    let events = collect_until(&mut monitor, |ev| ev.contains(&keepalived));
    assert!(events.contains(&keepalived), "{events:?}");
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, NetEvent::RouteRemoved { protocol: 186 })),
        "{events:?}"
    );

    for verb in ["add", "del"] {
        lab.a.ip(&[
            "rule",
            verb,
            "pref",
            "1000",
            "table",
            "100",
            "protocol",
            "keepalived",
        ]);
    }
    let rule = NetEvent::RuleRemoved { protocol: 18 };
    let events = collect_until(&mut monitor, |ev| ev.contains(&rule));
    assert!(events.contains(&rule), "{events:?}");
}
