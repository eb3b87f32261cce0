//! The driver's gateway features, without root: sync groups, accept mode, virtual routes
//! and rules, announcement pacing.

use std::net::IpAddr;

use vrrp_core::router::State;
use vrrp_core::wire::RxMeta;
use vrrp_core::{Instant, Priority, VirtualAddress, Vrid};

use super::*;

// ----- sync groups -----

/// A peer's advert for `vrid` listing `vip`, from 192.168.100.20 or 10.0.0.20.
fn peer_advert(vrid: u8, vip: &str, priority: u8) -> (RxMeta, Vec<u8>) {
    use vrrp_core::wire::{AddressList, AdvertRepr, Auth, ChecksumMode};
    let vip: std::net::Ipv4Addr = vip.parse().expect("IPv4 VIP");
    let src: std::net::Ipv4Addr = if vip.octets()[0] == 10 {
        "10.0.0.20"
    } else {
        "192.168.100.20"
    }
    .parse()
    .expect("address");
    let vips = [vip];
    let repr = AdvertRepr {
        version: vrrp_core::Version::V3,
        vrid: Vrid::new(vrid).expect("vrid"),
        priority: Priority(priority),
        max_advert_interval: vrrp_core::Centiseconds::from_secs(1),
        addresses: AddressList::ipv4(&vips),
        auth: Auth::None,
    };
    let mut buf = vec![0; repr.buffer_len()];
    let group = vrrp_core::wire::VRRP_MULTICAST_V4;
    repr.emit(
        &mut buf,
        IpAddr::V4(src),
        IpAddr::V4(group),
        ChecksumMode::default(),
    )
    .expect("emits");
    (RxMeta::v4(src, group, 255), buf)
}

/// Two routers of group GW: VI_IN on eth0 (VRID 51), VI_OUT on eth1 (VRID 52).
fn gateway() -> Driver {
    let mut d = host();
    for s in [
        spec("VI_IN", "eth0", 51, "192.168.100.1").in_sync_group("GW"),
        spec("VI_OUT", "eth1", 52, "10.0.0.1").in_sync_group("GW"),
    ] {
        d.add(Instant::ZERO, s).expect("starts");
    }
    d
}

fn socket_of(d: &Driver, interface: &str) -> SocketKey {
    d.sockets()
        .into_iter()
        .find(|s| s.interface == interface)
        .expect("socket")
        .key
}

fn group_changes(actions: &[Action]) -> Vec<(Option<State>, State)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Notify(DriverEvent::SyncGroup { group, from, to }) => {
                assert_eq!(&**group, "GW");
                Some((*from, *to))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_sync_group_takes_over_together_and_reports_once() {
    let mut d = gateway();
    let actions = run_until(&mut d, secs(5));
    assert_eq!(d.state("VI_IN"), Some(State::Master));
    assert_eq!(d.state("VI_OUT"), Some(State::Master));
    assert_eq!(
        group_changes(&actions),
        vec![(None, State::Backup), (Some(State::Backup), State::Master)]
    );
}

#[test]
fn a_member_that_hears_a_better_master_takes_the_group_to_backup() {
    let mut d = gateway();
    run_until(&mut d, secs(5));
    // The peer preempts VI_IN only (its check on the outside failed, say).
    let (meta, advert) = peer_advert(51, "192.168.100.1", 200);
    d.handle_packet(secs(5), socket_of(&d, "eth0"), &meta, &advert);
    let actions = drain(&mut d, secs(5));
    assert_eq!(d.state("VI_IN"), Some(State::Backup));
    assert_eq!(d.state("VI_OUT"), Some(State::Backup), "{actions:?}");
    // VI_OUT said goodbye with priority 0 so that its backup takes over at once.
    assert!(actions.iter().any(|a| matches!(
        a,
        Action::Send { socket, payload, .. } if *socket == socket_of(&d, "eth1") && payload[2] == 0
    )));
    assert!(state_changes(&actions).contains(&("VI_OUT".into(), State::Master, State::Backup)));
    assert_eq!(
        group_changes(&actions),
        vec![(Some(State::Master), State::Backup)]
    );
    // VI_OUT hears nothing on its link, but stays backup while VI_IN has a master.
    let mut t = secs(5);
    for _ in 0..10 {
        t = Instant::from_micros(t.as_micros() + 1_000_000);
        let (meta, advert) = peer_advert(51, "192.168.100.1", 200);
        d.handle_packet(t, socket_of(&d, "eth0"), &meta, &advert);
        run_until(&mut d, t);
    }
    assert_eq!(d.state("VI_OUT"), Some(State::Backup));
    // The peer goes quiet: the whole group takes over again, together.
    let actions = run_until(&mut d, Instant::from_micros(t.as_micros() + 5_000_000));
    assert_eq!(d.state("VI_IN"), Some(State::Master));
    assert_eq!(d.state("VI_OUT"), Some(State::Master));
    assert_eq!(
        group_changes(&actions),
        vec![(Some(State::Backup), State::Master)]
    );
}

#[test]
fn a_member_in_fault_takes_the_others_to_fault_and_back() {
    let mut d = gateway();
    run_until(&mut d, secs(5));
    // eth1 goes down: VI_OUT faults for its own link, VI_IN for the group.
    d.handle_net(secs(5), &link(3, "eth1", false));
    let actions = drain(&mut d, secs(5));
    assert_eq!(d.state("VI_OUT"), Some(State::Fault));
    assert_eq!(d.state("VI_IN"), Some(State::Fault), "{actions:?}");
    assert!(actions.iter().any(|a| matches!(
        a,
        Action::RemoveVips { router, .. } if &**router == "VI_IN"
    )));
    assert_eq!(
        group_changes(&actions),
        vec![(Some(State::Master), State::Fault)]
    );
    // Back up: both leave Fault, and take over together again.
    d.handle_net(secs(6), &link(3, "eth1", true));
    let mut actions = drain(&mut d, secs(6));
    actions.extend(run_until(&mut d, secs(12)));
    assert_eq!(d.state("VI_IN"), Some(State::Master));
    assert_eq!(d.state("VI_OUT"), Some(State::Master));
    assert_eq!(
        group_changes(&actions),
        vec![
            (Some(State::Fault), State::Backup),
            (Some(State::Backup), State::Master)
        ]
    );
}

#[test]
fn routers_outside_a_group_are_not_held_by_it() {
    let mut d = host();
    d.add(
        Instant::ZERO,
        spec("VI_IN", "eth0", 51, "192.168.100.1").in_sync_group("GW"),
    )
    .expect("starts");
    d.add(Instant::ZERO, spec("VI_OUT", "eth1", 52, "10.0.0.1"))
        .expect("starts");
    run_until(&mut d, secs(5));
    let (meta, advert) = peer_advert(51, "192.168.100.1", 200);
    d.handle_packet(secs(5), socket_of(&d, "eth0"), &meta, &advert);
    drain(&mut d, secs(5));
    assert_eq!(d.state("VI_IN"), Some(State::Backup));
    assert_eq!(d.state("VI_OUT"), Some(State::Master));
}

#[test]
fn a_reload_can_move_routers_into_and_out_of_a_group() {
    let mut d = host();
    let plain = vec![
        spec("VI_IN", "eth0", 51, "192.168.100.1"),
        spec("VI_OUT", "eth1", 52, "10.0.0.1"),
    ];
    d.reload(Instant::ZERO, plain.clone()).expect("loads");
    run_until(&mut d, secs(5));
    let grouped: Vec<RouterSpec> = plain
        .iter()
        .cloned()
        .map(|s| s.in_sync_group("GW"))
        .collect();
    let summary = d.reload(secs(5), grouped).expect("reloads");
    assert_eq!(summary.reconfigured, 2);
    let actions = drain(&mut d, secs(5));
    assert!(state_changes(&actions).is_empty(), "no flap: {actions:?}");
    let (meta, advert) = peer_advert(51, "192.168.100.1", 200);
    d.handle_packet(secs(5), socket_of(&d, "eth0"), &meta, &advert);
    drain(&mut d, secs(5));
    assert_eq!(d.state("VI_OUT"), Some(State::Backup), "grouped now");
    // Out of the group again: VI_OUT takes over on its own.
    d.reload(secs(6), plain).expect("reloads");
    for t in 6..=10 {
        let (meta, advert) = peer_advert(51, "192.168.100.1", 200);
        d.handle_packet(secs(t), socket_of(&d, "eth0"), &meta, &advert);
        run_until(&mut d, secs(t));
    }
    assert_eq!(d.state("VI_OUT"), Some(State::Master));
    assert_eq!(d.state("VI_IN"), Some(State::Backup));
}

// ----- accept mode -----

fn no_accept(mut s: RouterSpec) -> RouterSpec {
    s.config.accept_mode = false;
    s
}

#[test]
fn accept_mode_off_blocks_before_adding_and_unblocks_after_removing() {
    let mut d = host();
    d.add(
        Instant::ZERO,
        no_accept(spec("VI_1", "eth0", 51, "192.168.100.12")),
    )
    .expect("starts");
    let actions = run_until(&mut d, secs(5));
    let work: Vec<&str> = actions
        .iter()
        .map(kind)
        .filter(|k| *k != "send" && *k != "notify")
        .collect();
    assert_eq!(work, ["block", "add", "announce"]);
    assert!(actions.iter().any(|a| matches!(
        a,
        Action::Filter { interface, vips, .. }
            if interface == "eth0" && vips.addrs().eq([ip("192.168.100.12")])
    )));
    d.shutdown(secs(5));
    let work: Vec<&str> = drain(&mut d, secs(5))
        .iter()
        .map(kind)
        .filter(|k| *k != "send" && *k != "notify")
        .collect();
    assert_eq!(work, ["remove", "unblock"]);
}

#[test]
fn the_owner_and_accept_mode_on_are_never_filtered() {
    let mut d = host();
    let mut owner = no_accept(spec("VI_1", "eth0", 51, "192.168.100.10"));
    owner.config.priority = Priority::OWNER;
    d.add(Instant::ZERO, owner).expect("starts");
    d.add(Instant::ZERO, spec("VI_2", "eth0", 52, "192.168.100.13"))
        .expect("starts");
    let actions = run_until(&mut d, secs(5));
    assert_eq!(d.state("VI_1"), Some(State::Master));
    assert_eq!(d.state("VI_2"), Some(State::Master));
    assert!(
        !actions.iter().any(|a| matches!(a, Action::Filter { .. })),
        "{actions:?}"
    );
}

#[test]
fn a_reload_that_turns_accept_mode_off_on_a_master_blocks_what_it_holds() {
    let mut d = host();
    let on = spec("VI_1", "eth0", 51, "192.168.100.12");
    d.reload(Instant::ZERO, vec![on.clone()]).expect("loads");
    run_until(&mut d, secs(5));
    let address_work = |actions: Vec<Action>| -> Vec<&'static str> {
        actions.iter().map(kind).filter(|k| *k != "send").collect()
    };
    d.reload(secs(5), vec![no_accept(on.clone())])
        .expect("reloads");
    assert_eq!(address_work(drain(&mut d, secs(5))), ["block"]);
    d.reload(secs(6), vec![on]).expect("reloads");
    assert_eq!(address_work(drain(&mut d, secs(6))), ["unblock"]);
    assert_eq!(d.state("VI_1"), Some(State::Master));
}

// ----- virtual routes and rules -----

fn with_routes(mut s: RouterSpec) -> RouterSpec {
    use crate::route::{Prefix, RuleAction, VirtualRoute, VirtualRule};
    let mut route = VirtualRoute::new("10.9.0.0/16".parse::<Prefix>().expect("prefix"));
    route.via = Some(ip("192.168.100.1"));
    s.routing.routes.push(route);
    s.routing.rules.push(VirtualRule::new(
        vrrp_core::Family::Ipv4,
        100,
        RuleAction::Lookup(100),
    ));
    s
}

#[test]
fn routes_follow_mastership_after_the_vips() {
    let mut d = host();
    d.add(
        Instant::ZERO,
        with_routes(spec("VI_1", "eth0", 51, "192.168.100.12")),
    )
    .expect("starts");
    let actions = run_until(&mut d, secs(5));
    let work: Vec<&str> = actions
        .iter()
        .map(kind)
        .filter(|k| *k != "send" && *k != "notify")
        .collect();
    assert_eq!(work, ["add", "announce", "route+"]);
    d.shutdown(secs(5));
    let work: Vec<&str> = drain(&mut d, secs(5))
        .iter()
        .map(kind)
        .filter(|k| *k != "send" && *k != "notify")
        .collect();
    assert_eq!(work, ["remove", "route-"]);
}

#[test]
fn a_reload_swaps_only_the_routes_that_changed_on_a_master() {
    use crate::route::{Prefix, VirtualRoute};
    let mut d = host();
    let first = with_routes(spec("VI_1", "eth0", 51, "192.168.100.12"));
    d.reload(Instant::ZERO, vec![first.clone()]).expect("loads");
    run_until(&mut d, secs(5));
    let mut second = first.clone();
    second.routing.routes[0] = VirtualRoute::new("10.8.0.0/16".parse::<Prefix>().expect("prefix"));
    d.reload(secs(5), vec![second]).expect("reloads");
    let routing: Vec<(bool, usize, usize)> = drain(&mut d, secs(5))
        .iter()
        .filter_map(|a| match a {
            Action::Routing {
                install, routing, ..
            } => Some((*install, routing.routes.len(), routing.rules.len())),
            _ => None,
        })
        .collect();
    assert_eq!(routing, [(false, 1, 0), (true, 1, 0)], "the rule stays");
    assert_eq!(d.state("VI_1"), Some(State::Master));
}

/// The routing checks (`route!`) among the actions up to `t`.
fn restores(d: &mut Driver, t: Instant) -> Vec<String> {
    run_until(d, t)
        .iter()
        .filter_map(|a| match a {
            Action::RestoreRouting { router, .. } => Some(router.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_deleted_route_or_rule_of_ours_makes_the_masters_put_theirs_back_once() {
    use crate::route::PROTOCOL_KEEPALIVED;
    let mut d = host();
    let master = with_routes(spec("VI_1", "eth0", 51, "192.168.100.12"));
    let mut backup = with_routes(spec("VI_2", "eth0", 52, "192.168.100.22"));
    backup.config.priority = vrrp_core::Priority(100);
    d.reload(Instant::ZERO, vec![master, backup])
        .expect("loads");
    run_until(&mut d, secs(5));
    // VI_2 hears a better master and stays backup.
    let (meta, advert) = peer_advert(52, "192.168.100.22", 200);
    let socket = socket_of(&d, "eth0");
    d.handle_packet(secs(5), socket, &meta, &advert);
    assert_eq!(d.state("VI_1"), Some(State::Master));
    assert_eq!(d.state("VI_2"), Some(State::Backup));

    // A burst of deletions: one check, shortly after, for the master only.
    for _ in 0..3 {
        d.handle_net(
            secs(6),
            &NetEvent::RouteRemoved {
                protocol: PROTOCOL_KEEPALIVED,
            },
        );
    }
    assert!(restores(&mut d, secs(6)).is_empty(), "not at once");
    assert_eq!(restores(&mut d, secs(7)), ["VI_1"]);
    assert!(restores(&mut d, secs(8)).is_empty(), "once");

    // A rule of ours too.
    d.handle_net(
        secs(8),
        &NetEvent::RuleRemoved {
            protocol: PROTOCOL_KEEPALIVED,
        },
    );
    assert_eq!(restores(&mut d, secs(9)), ["VI_1"]);

    // Routes of other protocols (a routing daemon's, the kernel's) are none of ours.
    for protocol in [186, 2] {
        d.handle_net(secs(9), &NetEvent::RouteRemoved { protocol });
    }
    d.handle_net(secs(9), &NetEvent::RuleRemoved { protocol: 0 });
    assert!(restores(&mut d, secs(10)).is_empty());
}

#[test]
fn no_track_routes_and_rules_are_left_for_the_next_mastership() {
    use crate::route::{Prefix, VirtualRoute, PROTOCOL_KEEPALIVED};
    let mut d = host();
    let mut s = with_routes(spec("VI_1", "eth0", 51, "192.168.100.12"));
    s.routing.rules[0].no_track = true;
    let mut kept = VirtualRoute::new("10.5.0.0/16".parse::<Prefix>().expect("prefix"));
    kept.no_track = true;
    s.routing.routes.push(kept);
    d.add(Instant::ZERO, s).expect("starts");
    run_until(&mut d, secs(5));
    assert_eq!(d.state("VI_1"), Some(State::Master));
    d.handle_net(
        secs(5),
        &NetEvent::RuleRemoved {
            protocol: PROTOCOL_KEEPALIVED,
        },
    );
    assert!(
        restores(&mut d, secs(6)).is_empty(),
        "its only rule is no_track"
    );
    d.handle_net(
        secs(6),
        &NetEvent::RouteRemoved {
            protocol: PROTOCOL_KEEPALIVED,
        },
    );
    let put_back: Vec<(usize, usize)> = run_until(&mut d, secs(7))
        .iter()
        .filter_map(|a| match a {
            Action::RestoreRouting { routing, .. } => {
                Some((routing.routes.len(), routing.rules.len()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(put_back, [(1, 0)], "the tracked route only");
}

#[test]
fn routers_without_routing_never_check() {
    let mut d = host();
    d.add(Instant::ZERO, spec("VI_1", "eth0", 51, "192.168.100.12"))
        .expect("starts");
    run_until(&mut d, secs(5));
    assert_eq!(d.state("VI_1"), Some(State::Master));
    d.handle_net(
        secs(5),
        &NetEvent::RouteRemoved {
            protocol: crate::route::PROTOCOL_KEEPALIVED,
        },
    );
    assert!(restores(&mut d, secs(6)).is_empty());
}

// ----- announcement pacing -----

fn paced(mut s: RouterSpec, ms: u64) -> RouterSpec {
    s.config
        .virtual_addresses
        .push(VirtualAddress::new(ip("192.168.100.13")));
    s.config.announce.repeat = 2;
    s.config.announce.second_burst_delay = std::time::Duration::ZERO;
    s.announce_pacing = Some(AnnouncePacing {
        key: "eth0".into(),
        arp_interval: std::time::Duration::from_millis(ms),
        na_interval: std::time::Duration::ZERO,
    });
    s
}

/// The announcements in `actions`, one address each: (address, when).
fn announced(actions: &[(Instant, Action)]) -> Vec<(IpAddr, u64)> {
    actions
        .iter()
        .filter_map(|(t, a)| match a {
            Action::Announce { vips, count, .. } => {
                assert_eq!((vips.len(), *count), (1, 1), "one at a time");
                Some((vips[0].addr, t.as_micros()))
            }
            _ => None,
        })
        .collect()
}

/// Like [`run_until`], with the time of each action.
fn run_timed(d: &mut Driver, t: Instant) -> Vec<(Instant, Action)> {
    let mut out = Vec::new();
    while let Some(deadline) = d.poll_timeout().filter(|&x| x <= t) {
        d.handle_timeout(deadline);
        out.extend(drain(d, deadline).into_iter().map(|a| (deadline, a)));
    }
    out
}

#[test]
fn paced_announcements_leave_one_interval_apart() {
    let mut d = host();
    d.add(
        Instant::ZERO,
        paced(spec("VI_1", "eth0", 51, "192.168.100.12"), 100),
    )
    .expect("starts");
    let actions = run_timed(&mut d, secs(5));
    let takeover = actions
        .iter()
        .find(|(_, a)| matches!(a, Action::Send { .. }))
        .map(|(t, _)| t.as_micros())
        .expect("an advert");
    let got = announced(&actions);
    let expected: Vec<(IpAddr, u64)> = [12, 13, 12, 13]
        .iter()
        .enumerate()
        .map(|(i, last)| {
            (
                ip(&format!("192.168.100.{last}")),
                takeover + i as u64 * 100_000,
            )
        })
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn a_router_that_leaves_master_cancels_its_waiting_announcements() {
    let mut d = host();
    d.add(
        Instant::ZERO,
        paced(spec("VI_1", "eth0", 51, "192.168.100.12"), 1_000),
    )
    .expect("starts");
    let deadline = d.poll_timeout().expect("down timer");
    d.handle_timeout(deadline);
    let first = drain(&mut d, deadline);
    assert_eq!(first.iter().filter(|a| kind(a) == "announce").count(), 1);
    d.shutdown(deadline);
    drain(&mut d, deadline);
    let later = run_until(&mut d, secs(10));
    assert!(
        !later.iter().any(|a| kind(a) == "announce"),
        "no announcement of released addresses: {later:?}"
    );
}

// ----- VIPs on another interface (keepalived's `dev`) -----

/// VI_1 on eth0 with 192.168.100.12 there and 10.0.0.12 on eth1.
fn split_spec() -> RouterSpec {
    let mut s = spec("VI_1", "eth0", 51, "192.168.100.12");
    s.config
        .virtual_addresses
        .push(VirtualAddress::new(ip("10.0.0.12")));
    s.vip_interfaces.push((ip("10.0.0.12"), "eth1".into()));
    s
}

/// The address work of `actions`: kind, interface index, addresses.
fn address_work(actions: &[Action]) -> Vec<(&'static str, u32, Vec<IpAddr>)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::AddVips { ifindex, vips, .. } => {
                Some(("add", *ifindex, vips.iter().map(|v| v.addr).collect()))
            }
            Action::RemoveVips { ifindex, vips, .. } => {
                Some(("remove", *ifindex, vips.iter().map(|v| v.addr).collect()))
            }
            Action::Announce { ifindex, vips, .. } => {
                Some(("announce", *ifindex, vips.iter().map(|v| v.addr).collect()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_vip_named_for_another_interface_is_added_announced_and_removed_there() {
    let mut d = host();
    d.add(Instant::ZERO, split_spec()).expect("starts");
    let work = address_work(&run_until(&mut d, secs(5)));
    assert_eq!(
        work,
        [
            ("add", 2, vec![ip("192.168.100.12")]),
            ("add", 3, vec![ip("10.0.0.12")]),
            ("announce", 2, vec![ip("192.168.100.12")]),
            ("announce", 3, vec![ip("10.0.0.12")]),
        ]
    );
    // The kernel reports the additions; removed behind our back from eth1: put back on
    // eth1.
    d.handle_net(secs(5), &added(2, "192.168.100.12", 32));
    d.handle_net(secs(5), &added(3, "10.0.0.12", 32));
    d.handle_net(secs(5), &removed(3, "10.0.0.12", 32));
    let work = address_work(&drain(&mut d, secs(5)));
    assert_eq!(work[0], ("add", 3, vec![ip("10.0.0.12")]));
    // The same address added to and removed from eth0 is none of the router's business.
    d.handle_net(secs(5), &added(2, "10.0.0.12", 32));
    d.handle_net(secs(5), &removed(2, "10.0.0.12", 32));
    assert!(address_work(&drain(&mut d, secs(5))).is_empty());
    d.shutdown(secs(5));
    let work = address_work(&drain(&mut d, secs(5)));
    assert_eq!(
        work,
        [
            ("remove", 2, vec![ip("192.168.100.12")]),
            ("remove", 3, vec![ip("10.0.0.12")]),
        ]
    );
}

#[test]
fn a_vip_named_for_a_missing_interface_is_refused() {
    let mut d = host();
    let mut s = split_spec();
    s.vip_interfaces[0].1 = "eth9".into();
    let err = d.add(Instant::ZERO, s).expect_err("no eth9");
    assert!(err.to_string().contains("eth9"), "{err}");
}

#[test]
fn a_reload_that_moves_a_masters_vip_to_another_interface_moves_it() {
    let mut d = host();
    let mut first = split_spec();
    first.vip_interfaces.clear(); // both VIPs on eth0 at first
    d.reload(Instant::ZERO, vec![first]).expect("loads");
    run_until(&mut d, secs(5));
    assert_eq!(d.state("VI_1"), Some(State::Master));
    d.reload(secs(5), vec![split_spec()]).expect("reloads");
    let work = address_work(&drain(&mut d, secs(5)));
    assert_eq!(
        work,
        [
            ("remove", 2, vec![ip("10.0.0.12")]),
            ("add", 3, vec![ip("10.0.0.12")]),
            ("announce", 3, vec![ip("10.0.0.12")]),
        ]
    );
    assert_eq!(d.state("VI_1"), Some(State::Master), "no failover");
    // The same spec again changes nothing.
    d.reload(secs(6), vec![split_spec()]).expect("reloads");
    assert!(address_work(&drain(&mut d, secs(6))).is_empty());
}
