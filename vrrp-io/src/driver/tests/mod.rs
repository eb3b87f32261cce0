//! The driver's behaviour, without root: link and address events in, actions out.

use std::net::IpAddr;

use vrrp_core::router::{Event, Reason, RouterConfig, State};
use vrrp_core::wire::RxMeta;
use vrrp_core::{Instant, Priority, VirtualAddress, Vrid};

use super::*;
use crate::netlink::{InterfaceAddress, Link, LinkState, OperState};

fn link(index: u32, name: &str, up: bool) -> NetEvent {
    NetEvent::Link(Link {
        index,
        name: name.into(),
        mac: None,
        state: LinkState {
            admin_up: up,
            carrier: up,
            oper: if up { OperState::Up } else { OperState::Down },
        },
        mtu: Some(1500),
        loopback: false,
    })
}

fn address(ifindex: u32, addr: &str, prefix_len: u8) -> InterfaceAddress {
    InterfaceAddress {
        ifindex,
        addr: addr.parse().expect("address"),
        prefix_len,
        label: None,
        tentative: false,
        dad_failed: false,
        secondary: false,
        nodad: false,
    }
}

fn added(ifindex: u32, addr: &str, prefix_len: u8) -> NetEvent {
    NetEvent::AddressAdded(address(ifindex, addr, prefix_len))
}

fn removed(ifindex: u32, addr: &str, prefix_len: u8) -> NetEvent {
    NetEvent::AddressRemoved(address(ifindex, addr, prefix_len))
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

/// A host with eth0 (index 2, 192.168.100.10/24) and eth1 (index 3, 10.0.0.10/24), up.
fn host() -> Driver {
    let mut d = Driver::new();
    for e in [
        link(2, "eth0", true),
        added(2, "192.168.100.10", 24),
        link(3, "eth1", true),
        added(3, "10.0.0.10", 24),
    ] {
        d.handle_net(Instant::ZERO, &e);
    }
    d
}

fn spec(name: &str, interface: &str, vrid: u8, vip: &str) -> RouterSpec {
    let primary = if interface == "eth0" {
        "192.168.100.10"
    } else {
        "10.0.0.10"
    };
    let config = RouterConfig::new(
        Vrid::new(vrid).expect("vrid"),
        ip(primary),
        vec![VirtualAddress::new(ip(vip))],
    );
    RouterSpec::new(name, interface, config)
}

fn drain(d: &mut Driver, now: Instant) -> Vec<Action> {
    std::iter::from_fn(|| d.poll_action(now)).collect()
}

/// Runs the routers until `t`, returning every action.
fn run_until(d: &mut Driver, t: Instant) -> Vec<Action> {
    let mut actions = Vec::new();
    while let Some(deadline) = d.poll_timeout().filter(|&x| x <= t) {
        d.handle_timeout(deadline);
        actions.extend(drain(d, deadline));
    }
    actions.extend(drain(d, t));
    actions
}

fn secs(s: u64) -> Instant {
    Instant::from_micros(s * 1_000_000)
}

fn kind(a: &Action) -> &'static str {
    match a {
        Action::Send { .. } => "send",
        Action::AddVips { .. } => "add",
        Action::RemoveVips { .. } => "remove",
        Action::Announce { .. } => "announce",
        Action::Filter { block: true, .. } => "block",
        Action::Filter { block: false, .. } => "unblock",
        Action::Routing { install: true, .. } => "route+",
        Action::Routing { install: false, .. } => "route-",
        Action::RestoreRouting { .. } => "route!",
        Action::Notify(_) => "notify",
    }
}

fn state_changes(actions: &[Action]) -> Vec<(String, State, State)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Notify(DriverEvent::Router {
                router,
                event: Event::StateChanged { from, to, .. },
            }) => Some((router.to_string(), *from, *to)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_router_on_an_unknown_interface_is_refused_by_name() {
    let mut d = host();
    match d.add(Instant::ZERO, spec("VI_1", "eth9", 51, "192.168.100.12")) {
        Err(Error::InterfaceNotFound { name }) => assert_eq!(name, "eth9"),
        other => panic!("unexpected {other:?}"),
    }
    assert!(d.is_empty());
}

#[test]
fn a_vip_held_by_another_interface_is_refused() {
    let mut d = host();
    d.handle_net(Instant::ZERO, &added(3, "192.168.100.12", 32));
    match d.add(Instant::ZERO, spec("VI_1", "eth0", 51, "192.168.100.12")) {
        Err(Error::AddressInUse { ifname, .. }) => assert_eq!(ifname, "eth1"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_vip_left_over_from_an_earlier_run_is_removed_before_anything_else() {
    let mut d = host();
    d.handle_net(Instant::ZERO, &added(2, "192.168.100.12", 32));
    d.add(Instant::ZERO, spec("VI_1", "eth0", 51, "192.168.100.12"))
        .expect("starts");
    let actions = drain(&mut d, Instant::ZERO);
    match &actions[0] {
        Action::RemoveVips { ifindex, vips, .. } => {
            assert_eq!(*ifindex, 2);
            assert_eq!(vips[0].addr, ip("192.168.100.12"));
        }
        other => panic!("expected the stale VIP removed first, got {other:?}"),
    }
    assert_eq!(d.state("VI_1"), Some(State::Backup));
}

#[test]
fn takeover_sends_every_advert_before_any_address_work_and_notifies_last() {
    let mut d = host();
    for vrid in 1..=3u8 {
        let vip = format!("192.168.100.{}", 100 + vrid);
        d.add(
            Instant::ZERO,
            spec(&format!("VI_{vrid}"), "eth0", vrid, &vip),
        )
        .expect("starts");
    }
    drain(&mut d, Instant::ZERO);
    let deadline = d.poll_timeout().expect("down timer");
    d.handle_timeout(deadline);
    let kinds: Vec<&str> = drain(&mut d, deadline).iter().map(kind).collect();
    let last_send = kinds.iter().rposition(|k| *k == "send").expect("sends");
    let first_add = kinds.iter().position(|k| *k == "add").expect("adds");
    let first_notify = kinds.iter().position(|k| *k == "notify").expect("notices");
    let last_address = kinds
        .iter()
        .rposition(|k| matches!(*k, "add" | "announce"))
        .expect("address work");
    assert_eq!(kinds.iter().filter(|k| **k == "send").count(), 3);
    assert!(last_send < first_add, "{kinds:?}");
    assert!(last_address < first_notify, "{kinds:?}");
}

#[test]
fn a_timer_due_during_address_work_sends_its_advert_before_the_rest() {
    let mut d = host();
    // VI_1 has the higher priority (shorter skew): its down timer fires first.
    let mut first = spec("VI_1", "eth0", 1, "192.168.100.101");
    first.config.priority = Priority(200);
    d.add(Instant::ZERO, first).expect("starts");
    d.add(Instant::ZERO, spec("VI_2", "eth0", 2, "192.168.100.102"))
        .expect("starts");
    drain(&mut d, Instant::ZERO);
    let t1 = d.poll_timeout().expect("VI_1's timer");
    d.handle_timeout(t1);
    assert!(matches!(d.poll_action(t1), Some(Action::Send { .. })));
    // The shell is slow: by the time it asks for more, VI_2's timer is due too.
    let late = t1.add_micros(1_000_000);
    match d.poll_action(late) {
        Some(Action::Send { .. }) => {}
        other => panic!("VI_2's advert should come before VI_1's address work: {other:?}"),
    }
    assert_eq!(d.state("VI_2"), Some(State::Master));
}

#[test]
fn own_link_down_faults_the_router_at_once_and_up_brings_it_back() {
    let mut d = host();
    d.add(Instant::ZERO, spec("VI_1", "eth0", 51, "192.168.100.12"))
        .expect("starts");
    run_until(&mut d, secs(5));
    assert_eq!(d.state("VI_1"), Some(State::Master));
    d.handle_net(secs(5), &link(2, "eth0", false));
    let actions = drain(&mut d, secs(5));
    assert_eq!(d.state("VI_1"), Some(State::Fault));
    let kinds: Vec<&str> = actions.iter().map(kind).collect();
    assert_eq!(kinds.first(), Some(&"send"), "priority 0 first: {kinds:?}");
    assert!(kinds.contains(&"remove"), "{kinds:?}");
    assert!(actions.iter().any(|a| matches!(
        a,
        Action::Notify(DriverEvent::Link {
            up: false,
            present: true,
            ..
        })
    )));
    d.handle_net(secs(6), &link(2, "eth0", true));
    drain(&mut d, secs(6));
    assert_eq!(d.state("VI_1"), Some(State::Backup));
}

#[test]
fn an_interface_deleted_and_created_again_is_rebound_and_its_routers_resume() {
    let mut d = host();
    d.add(Instant::ZERO, spec("VI_1", "eth0", 51, "192.168.100.12"))
        .expect("starts");
    run_until(&mut d, secs(5));
    let generation = d.socket_generation();
    d.handle_net(
        secs(5),
        &NetEvent::LinkRemoved {
            index: 2,
            name: "eth0".into(),
        },
    );
    let actions = drain(&mut d, secs(5));
    assert_eq!(d.state("VI_1"), Some(State::Fault));
    assert!(d.sockets().is_empty(), "no socket on a missing interface");
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::RemoveVips { .. })),
        "the kernel removed the addresses with the interface"
    );
    // Same name, new index, same address.
    d.handle_net(secs(7), &link(9, "eth0", true));
    d.handle_net(secs(7), &added(9, "192.168.100.10", 24));
    drain(&mut d, secs(7));
    assert_ne!(d.socket_generation(), generation);
    let sockets = d.sockets();
    assert_eq!(sockets.len(), 1);
    assert_eq!(sockets[0].ifindex, 9);
    assert_eq!(d.state("VI_1"), Some(State::Backup));
    // Nobody else is there: it takes over again, on the new index.
    let actions = run_until(&mut d, secs(12));
    assert_eq!(d.state("VI_1"), Some(State::Master));
    assert!(actions
        .iter()
        .any(|a| matches!(a, Action::AddVips { ifindex: 9, .. })));
}

#[test]
fn a_vip_removed_behind_a_masters_back_is_restored_and_announced() {
    let mut d = host();
    d.add(Instant::ZERO, spec("VI_1", "eth0", 51, "192.168.100.12"))
        .expect("starts");
    run_until(&mut d, secs(5));
    d.handle_net(secs(5), &added(2, "192.168.100.12", 32));
    drain(&mut d, secs(5));
    // Between two adverts (they go out on whole seconds here).
    let t = secs(5).add_micros(500_000);
    d.handle_net(t, &removed(2, "192.168.100.12", 32));
    let actions = drain(&mut d, t);
    let kinds: Vec<&str> = actions.iter().map(kind).collect();
    assert_eq!(kinds, ["add", "announce", "notify"]);
    assert!(matches!(
        &actions[2],
        Action::Notify(DriverEvent::VipRestored { vip, .. }) if vip.addr == ip("192.168.100.12")
    ));
}

#[test]
fn a_vip_removed_from_a_backup_or_with_another_prefix_is_left_alone() {
    let mut d = host();
    d.add(Instant::ZERO, spec("VI_1", "eth0", 51, "192.168.100.12"))
        .expect("starts");
    drain(&mut d, Instant::ZERO);
    d.handle_net(Instant::ZERO, &added(2, "192.168.100.12", 32));
    d.handle_net(Instant::ZERO, &removed(2, "192.168.100.12", 32));
    assert!(
        drain(&mut d, Instant::ZERO).is_empty(),
        "backup: not ours to restore"
    );
    run_until(&mut d, secs(5));
    d.handle_net(secs(5), &added(2, "192.168.100.12", 24));
    d.handle_net(secs(5), &removed(2, "192.168.100.12", 24));
    assert!(
        drain(&mut d, secs(5)).is_empty(),
        "an admin's /24 is not our /32"
    );
}

#[test]
fn reload_reconfigures_changed_routers_in_place_without_a_state_change() {
    let mut d = host();
    d.add(Instant::ZERO, spec("VI_1", "eth0", 51, "192.168.100.12"))
        .expect("starts");
    d.add(Instant::ZERO, spec("VI_2", "eth0", 52, "192.168.100.13"))
        .expect("starts");
    run_until(&mut d, secs(5));
    let mut changed = spec("VI_2", "eth0", 52, "192.168.100.13");
    changed.config.priority = Priority(150);
    changed
        .config
        .virtual_addresses
        .push(ip("192.168.100.14").into());
    let summary = d
        .reload(
            secs(5),
            vec![spec("VI_1", "eth0", 51, "192.168.100.12"), changed],
        )
        .expect("reloads");
    assert_eq!(
        summary,
        ReloadSummary {
            kept: 1,
            reconfigured: 1,
            removed: 0,
            started: 0
        }
    );
    let actions = drain(&mut d, secs(5));
    assert_eq!(state_changes(&actions), vec![]);
    assert_eq!(d.state("VI_1"), Some(State::Master));
    assert_eq!(d.state("VI_2"), Some(State::Master));
    // VI_2 advertised its new priority at once and added only the new VIP.
    assert!(matches!(&actions[0], Action::Send { payload, .. } if payload[2] == 150));
    let added: Vec<IpAddr> = actions
        .iter()
        .filter_map(|a| match a {
            Action::AddVips { vips, .. } => Some(vips.addrs()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(added, vec![ip("192.168.100.14")]);
    assert!(!actions.iter().any(|a| kind(a) == "remove"), "{actions:?}");
    // The sockets now count the new VIP as a VIP, not as an own address.
    let sockets = d.sockets();
    assert!(sockets[0].virtual_addresses.contains(&ip("192.168.100.14")));
}

#[test]
fn reload_replaces_a_router_whose_identity_changed_and_renames_in_place() {
    let mut d = host();
    d.add(Instant::ZERO, spec("VI_1", "eth0", 51, "192.168.100.12"))
        .expect("starts");
    d.add(Instant::ZERO, spec("VI_2", "eth0", 52, "192.168.100.13"))
        .expect("starts");
    run_until(&mut d, secs(5));
    let mut v2 = spec("VI_2", "eth0", 52, "192.168.100.13");
    v2.config.version = vrrp_core::Version::V2;
    let summary = d
        .reload(secs(5), vec![spec("web", "eth0", 51, "192.168.100.12"), v2])
        .expect("reloads");
    assert_eq!(
        summary,
        ReloadSummary {
            kept: 0,
            reconfigured: 1,
            removed: 1,
            started: 1
        }
    );
    let actions = drain(&mut d, secs(5));
    // The renamed router kept its state and its VIP.
    assert_eq!(d.state("web"), Some(State::Master));
    assert_eq!(d.state("VI_1"), None);
    let changes = state_changes(&actions);
    assert!(!changes.iter().any(|(n, _, _)| n == "web"), "{changes:?}");
    // The VRRPv2 VI_2 is another router: the old one said goodbye with priority 0 and
    // released its VIP, the new one starts as backup.
    assert!(changes.contains(&("VI_2".into(), State::Master, State::Initialize)));
    assert!(matches!(&actions[0], Action::Send { payload, .. } if payload[2] == 0));
    assert!(actions.iter().any(|a| kind(a) == "remove"));
    assert_eq!(d.state("VI_2"), Some(State::Backup));
    assert!(d.set_track(secs(5), "web", TrackId(0), false));
    assert_eq!(d.state("web"), Some(State::Fault));
}

#[test]
fn reload_of_the_same_specs_touches_nothing() {
    let mut d = host();
    d.add(Instant::ZERO, spec("VI_1", "eth0", 51, "192.168.100.12"))
        .expect("starts");
    run_until(&mut d, secs(5));
    let generation = d.socket_generation();
    let summary = d
        .reload(secs(5), vec![spec("VI_1", "eth0", 51, "192.168.100.12")])
        .expect("reloads");
    assert_eq!(summary.kept, 1);
    assert!(drain(&mut d, secs(5)).is_empty());
    assert_eq!(d.socket_generation(), generation, "no socket rebuild");
}

#[test]
fn a_bad_reload_changes_nothing() {
    let mut d = host();
    d.add(Instant::ZERO, spec("VI_1", "eth0", 51, "192.168.100.12"))
        .expect("starts");
    run_until(&mut d, secs(5));
    let bad = vec![
        spec("VI_1", "eth0", 52, "192.168.100.12"),
        spec("VI_2", "eth9", 53, "192.168.100.13"),
    ];
    assert!(matches!(
        d.reload(secs(5), bad),
        Err(Error::InterfaceNotFound { .. })
    ));
    let duplicate = vec![
        spec("VI_1", "eth0", 51, "192.168.100.12"),
        spec("VI_1", "eth0", 53, "192.168.100.13"),
    ];
    assert!(matches!(
        d.reload(secs(5), duplicate),
        Err(Error::DuplicateName { .. })
    ));
    assert!(drain(&mut d, secs(5)).is_empty());
    assert_eq!(d.state("VI_1"), Some(State::Master));
    assert_eq!(d.len(), 1);
}

#[test]
fn one_socket_per_link_joins_the_group_if_any_router_there_is_multicast() {
    let mut d = host();
    let mut unicast = spec("U", "eth0", 1, "192.168.100.101");
    unicast.config.unicast_peers = vec![ip("192.168.100.11")];
    d.add(Instant::ZERO, unicast).expect("starts");
    assert!(!d.sockets()[0].join_group, "unicast only: no group");
    let generation = d.socket_generation();
    d.add(Instant::ZERO, spec("M", "eth0", 2, "192.168.100.102"))
        .expect("starts");
    assert_ne!(d.socket_generation(), generation);
    let sockets = d.sockets();
    assert_eq!(sockets.len(), 1);
    assert!(sockets[0].join_group, "a multicast router joined later");
    assert_eq!(
        sockets[0].virtual_addresses,
        vec![ip("192.168.100.101"), ip("192.168.100.102")],
        "every router's VIPs, not only the first's"
    );
    assert_eq!(sockets[0].own_addresses, vec![ip("192.168.100.10")]);
}

#[test]
fn a_vip_on_our_interface_is_not_an_own_address() {
    let mut d = host();
    d.add(Instant::ZERO, spec("VI_1", "eth0", 51, "192.168.100.12"))
        .expect("starts");
    d.handle_net(Instant::ZERO, &added(2, "192.168.100.12", 32));
    assert_eq!(d.sockets()[0].own_addresses, vec![ip("192.168.100.10")]);
}

#[test]
fn tracked_links_start_as_the_kernel_reports_them() {
    let mut d = host();
    d.handle_net(Instant::ZERO, &link(3, "eth1", false));
    let mut s = spec("VI_1", "eth0", 51, "192.168.100.12");
    s.config.tracks.push(vrrp_core::router::TrackConfig {
        id: TrackId(1),
        weight: 0,
        initially_up: true,
    });
    s.tracked_interfaces.push((TrackId(1), "eth1".into()));
    d.add(Instant::ZERO, s).expect("starts");
    assert_eq!(d.state("VI_1"), Some(State::Fault));
    d.handle_net(Instant::ZERO, &link(3, "eth1", true));
    let actions = drain(&mut d, Instant::ZERO);
    assert_eq!(d.state("VI_1"), Some(State::Backup));
    assert!(actions.iter().any(|a| matches!(
        a,
        Action::Notify(DriverEvent::Router {
            event: Event::StateChanged {
                reason: Reason::TrackUp,
                ..
            },
            ..
        })
    )));
}

#[test]
fn set_track_names_the_router() {
    let mut d = host();
    d.add(Instant::ZERO, spec("VI_1", "eth0", 51, "192.168.100.12"))
        .expect("starts");
    assert!(!d.set_track(Instant::ZERO, "nope", TrackId(0), false));
    assert!(d.set_track(Instant::ZERO, "VI_1", RouterSpec::OWN_INTERFACE, false));
    assert_eq!(d.state("VI_1"), Some(State::Fault));
}

#[test]
fn resync_after_an_overrun_restores_missing_vips_and_reports_link_changes() {
    let mut d = host();
    d.add(Instant::ZERO, spec("VI_1", "eth0", 51, "192.168.100.12"))
        .expect("starts");
    run_until(&mut d, secs(5));
    // Notifications were lost; the snapshot shows the VIP missing.
    let snapshot = [
        link(2, "eth0", true),
        added(2, "192.168.100.10", 24),
        link(3, "eth1", true),
    ];
    d.resync(secs(5), &snapshot);
    let kinds: Vec<&str> = drain(&mut d, secs(5)).iter().map(kind).collect();
    assert_eq!(kinds, ["add", "announce", "notify"]);
}

#[test]
fn shutdown_sends_priority_zero_and_releases_the_vips() {
    let mut d = host();
    d.add(Instant::ZERO, spec("VI_1", "eth0", 51, "192.168.100.12"))
        .expect("starts");
    run_until(&mut d, secs(5));
    d.shutdown(secs(5));
    let actions = drain(&mut d, secs(5));
    assert!(matches!(&actions[0], Action::Send { payload, .. } if payload[2] == 0));
    assert!(matches!(&actions[1], Action::RemoveVips { .. }));
    assert_eq!(d.state("VI_1"), Some(State::Initialize));
}

#[test]
fn two_routers_with_one_name_or_one_vrid_on_a_link_are_refused() {
    let mut d = host();
    d.add(Instant::ZERO, spec("VI_1", "eth0", 51, "192.168.100.12"))
        .expect("starts");
    assert!(matches!(
        d.add(Instant::ZERO, spec("VI_1", "eth1", 52, "10.0.0.12")),
        Err(Error::DuplicateName { .. })
    ));
    let same_vrid = vec![
        spec("VI_1", "eth0", 51, "192.168.100.12"),
        spec("VI_2", "eth0", 51, "192.168.100.13"),
    ];
    assert!(matches!(
        d.reload(Instant::ZERO, same_vrid),
        Err(Error::DuplicateRouter(_))
    ));
    assert_eq!(d.len(), 1);
}

#[test]
fn a_packet_for_no_router_here_is_counted_and_reported_with_its_interface() {
    let mut d = host();
    d.add(Instant::ZERO, spec("VI_1", "eth0", 51, "192.168.100.12"))
        .expect("starts");
    drain(&mut d, Instant::ZERO);
    let socket = d.sockets()[0].key;
    let meta = RxMeta::v4(
        "192.168.100.99".parse().unwrap(),
        vrrp_core::wire::VRRP_MULTICAST_V4,
        255,
    );
    // Too short to name a VRID.
    d.handle_packet(secs(1), socket, &meta, &[0x31]);
    let actions = drain(&mut d, secs(1));
    assert!(
        actions.iter().any(|a| matches!(
            a,
            Action::Notify(DriverEvent::Dropped { interface, from, reason })
                if interface == "eth0"
                    && *from == ip("192.168.100.99")
                    && reason.counter() == vrrp_core::router::DropCounter::PacketLengthErrors
        )),
        "{actions:?}"
    );
    assert_eq!(d.unattributed_statistics().drops.packet_length_errors, 1);
}

#[test]
fn hand_over_by_name_demotes_and_resume_restores() {
    let mut d = host();
    d.add(Instant::ZERO, spec("VI_1", "eth0", 51, "192.168.100.12"))
        .expect("starts");
    d.add(Instant::ZERO, spec("VI_2", "eth0", 52, "192.168.100.13"))
        .expect("starts");
    run_until(&mut d, secs(5));
    let results = d.hand_over(secs(5), &["VI_2".to_owned(), "nope".to_owned()]);
    assert_eq!(
        results,
        vec![
            (
                "VI_2".to_owned(),
                Ok(vrrp_core::router::HandoverStart::HandingOver)
            ),
            (
                "nope".to_owned(),
                Err(HandoverRefusal::UnknownRouter("nope".into()))
            ),
        ]
    );
    let actions = drain(&mut d, secs(5));
    assert!(matches!(&actions[0], Action::Send { payload, .. } if payload[2] == 0));
    assert!(!actions.iter().any(|a| kind(a) == "remove"), "VIP kept");
    let status = d.status(secs(5));
    let vi2 = status.iter().find(|s| s.name == "VI_2").unwrap();
    assert!(vi2.demoted && vi2.handing_over);
    assert!(!status.iter().find(|s| s.name == "VI_1").unwrap().demoted);
    // All, by default.
    let resumed = d.resume(secs(5), &[]);
    assert_eq!(
        resumed,
        vec![
            ("VI_1".to_owned(), Ok(false)),
            ("VI_2".to_owned(), Ok(true))
        ]
    );
}

#[test]
fn a_socket_sends_through_the_ip_stack_when_any_of_its_routers_asks() {
    let mut d = host();
    d.add(Instant::ZERO, spec("VI_1", "eth0", 51, "192.168.100.12"))
        .expect("starts");
    d.add(Instant::ZERO, spec("VI_3", "eth1", 53, "10.0.0.12"))
        .expect("starts");
    let mut asks = spec("VI_2", "eth0", 52, "192.168.100.13");
    asks.adverts_through_ip_stack = true;
    d.add(Instant::ZERO, asks).expect("starts");
    let link_layer: Vec<(String, bool)> = d
        .sockets()
        .into_iter()
        .map(|s| (s.interface, s.link_layer_multicast))
        .collect();
    assert_eq!(
        link_layer,
        [("eth0".to_owned(), false), ("eth1".to_owned(), true)]
    );
}

mod gateway;
