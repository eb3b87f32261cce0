//! Virtual routes and rules over rtnetlink, inside network namespaces (root only): what
//! is added is what `ip route` / `ip rule` show, adding twice and removing twice are
//! fine, and only our own routes and rules are ever removed.

mod common;

use std::net::IpAddr;

use common::Netns;
use vrrp_io::netlink::{AddOutcome, DelOutcome, Netlink};
use vrrp_io::route::{
    Fwmark, Prefix, RouteScope, RouteSpecError, RouteType, RuleAction, VirtualRoute, VirtualRule,
};
use vrrp_io::vrrp_core::Family;
use vrrp_io::Error;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("an IP address")
}

fn prefix(s: &str) -> Prefix {
    s.parse().expect("a prefix")
}

/// A namespace with a veth pair `va` (192.0.2.1/24, fd00:db8::1/64) / `vb`, both up,
/// and a netlink handle inside it. The namespace, and all in it, goes when dropped.
fn lab() -> (Netns, Netlink) {
    let ns = Netns::new();
    ns.ip(&["link", "add", "va", "type", "veth", "peer", "name", "vb"]);
    ns.ip(&["addr", "add", "192.0.2.1/24", "dev", "va"]);
    ns.ip(&["addr", "add", "fd00:db8::1/64", "dev", "va", "nodad"]);
    ns.ip(&["link", "set", "va", "up"]);
    ns.ip(&["link", "set", "vb", "up"]);
    let nl = ns.run(|| Netlink::open().expect("netlink"));
    (ns, nl)
}

/// The lines of `ip [-6] route show table all`, trimmed.
fn routes_shown(ns: &Netns, family: Family) -> Vec<String> {
    let flag = match family {
        Family::Ipv4 => "-4",
        Family::Ipv6 => "-6",
    };
    lines(&ns.ip(&[flag, "route", "show", "table", "all"]))
}

/// The lines of `ip [-6] rule show`, trimmed.
fn rules_shown(ns: &Netns, family: Family) -> Vec<String> {
    let flag = match family {
        Family::Ipv4 => "-4",
        Family::Ipv6 => "-6",
    };
    lines(&ns.ip(&[flag, "rule", "show"]))
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(|l| l.trim().to_owned()).collect()
}

/// Adds `route` twice and removes it twice, checking each outcome and that
/// `ip route show table all` has the line `shown` exactly while it is installed.
fn route_round_trip(ns: &Netns, nl: &mut Netlink, route: &VirtualRoute, shown: &str) {
    let family = route.family();
    assert_eq!(
        nl.add_route(route, None).expect("add"),
        AddOutcome::Added,
        "{route}"
    );
    let table = routes_shown(ns, family);
    assert!(
        table.iter().any(|l| l == shown),
        "{route}: {shown:?} not in {table:#?}"
    );
    assert_eq!(
        nl.add_route(route, None).expect("add again"),
        AddOutcome::AlreadyPresent,
        "{route}"
    );
    let table = routes_shown(ns, family);
    assert_eq!(
        table.iter().filter(|l| *l == shown).count(),
        1,
        "{route}: once"
    );
    assert_eq!(
        nl.del_route(route, None).expect("del"),
        DelOutcome::Removed,
        "{route}"
    );
    let table = routes_shown(ns, family);
    assert!(
        !table.iter().any(|l| l == shown),
        "{route}: still in {table:#?}"
    );
    assert_eq!(
        nl.del_route(route, None).expect("del again"),
        DelOutcome::NotPresent,
        "{route}"
    );
}

/// As [`route_round_trip`], for a rule and `ip rule show`.
fn rule_round_trip(ns: &Netns, nl: &mut Netlink, rule: &VirtualRule, shown: &str) {
    assert_eq!(nl.add_rule(rule).expect("add"), AddOutcome::Added, "{rule}");
    let list = rules_shown(ns, rule.family);
    assert!(
        list.iter().any(|l| l == shown),
        "{rule}: {shown:?} not in {list:#?}"
    );
    assert_eq!(
        nl.add_rule(rule).expect("add again"),
        AddOutcome::AlreadyPresent,
        "{rule}"
    );
    let list = rules_shown(ns, rule.family);
    assert_eq!(
        list.iter().filter(|l| *l == shown).count(),
        1,
        "{rule}: once"
    );
    assert_eq!(
        nl.del_rule(rule).expect("del"),
        DelOutcome::Removed,
        "{rule}"
    );
    let list = rules_shown(ns, rule.family);
    assert!(
        !list.iter().any(|l| l == shown),
        "{rule}: still in {list:#?}"
    );
    assert_eq!(
        nl.del_rule(rule).expect("del again"),
        DelOutcome::NotPresent,
        "{rule}"
    );
}

fn route(dest: &str) -> VirtualRoute {
    VirtualRoute::new(prefix(dest))
}

#[test]
fn ipv4_routes_of_each_kind_are_added_once_and_removed_once() {
    require_root!();
    let (ns, mut nl) = lab();

    let mut via = route("198.51.100.0/24");
    via.via = Some(ip("192.0.2.254"));
    via.dev = Some("va".into());
    route_round_trip(
        &ns,
        &mut nl,
        &via,
        "198.51.100.0/24 via 192.0.2.254 dev va proto keepalived",
    );

    let mut dev = route("198.51.101.0/24");
    dev.dev = Some("va".into());
    route_round_trip(
        &ns,
        &mut nl,
        &dev,
        "198.51.101.0/24 dev va proto keepalived",
    );

    let mut default = route("0.0.0.0/0");
    default.via = Some(ip("192.0.2.254"));
    default.table = Some(100);
    default.metric = Some(5);
    route_round_trip(
        &ns,
        &mut nl,
        &default,
        "default via 192.0.2.254 dev va table 100 proto keepalived metric 5",
    );

    let mut blackhole = route("198.51.102.0/24");
    blackhole.kind = RouteType::Blackhole;
    route_round_trip(
        &ns,
        &mut nl,
        &blackhole,
        "blackhole 198.51.102.0/24 proto keepalived",
    );

    let mut unreachable = route("198.51.103.0/24");
    unreachable.kind = RouteType::Unreachable;
    unreachable.table = Some(1000);
    route_round_trip(
        &ns,
        &mut nl,
        &unreachable,
        "unreachable 198.51.103.0/24 table 1000 proto keepalived",
    );

    let mut prohibit = route("198.51.103.0/24");
    prohibit.kind = RouteType::Prohibit;
    route_round_trip(
        &ns,
        &mut nl,
        &prohibit,
        "prohibit 198.51.103.0/24 proto keepalived",
    );

    let mut throw = route("10.0.0.0/8");
    throw.kind = RouteType::Throw;
    throw.table = Some(100);
    route_round_trip(
        &ns,
        &mut nl,
        &throw,
        "throw 10.0.0.0/8 table 100 proto keepalived",
    );

    let mut scoped = route("198.51.104.0/24");
    scoped.dev = Some("va".into());
    scoped.src = Some(ip("192.0.2.1"));
    scoped.scope = Some(RouteScope::Link);
    route_round_trip(
        &ns,
        &mut nl,
        &scoped,
        "198.51.104.0/24 dev va proto keepalived scope link src 192.0.2.1",
    );

    // A gateway outside every subnet of the link, declared on it.
    let mut onlink = route("198.51.105.0/24");
    onlink.via = Some(ip("203.0.113.1"));
    onlink.dev = Some("va".into());
    onlink.onlink = true;
    route_round_trip(
        &ns,
        &mut nl,
        &onlink,
        "198.51.105.0/24 via 203.0.113.1 dev va proto keepalived onlink",
    );

    let mut host = route("198.51.106.7");
    host.dev = Some("va".into());
    host.protocol = Some(4);
    host.no_track = true;
    route_round_trip(&ns, &mut nl, &host, "198.51.106.7 dev va proto static");
}

#[test]
fn ipv6_routes_of_each_kind_are_added_once_and_removed_once() {
    require_root!();
    let (ns, mut nl) = lab();

    let mut via = route("fd00:1::/64");
    via.via = Some(ip("fd00:db8::fe"));
    via.dev = Some("va".into());
    route_round_trip(
        &ns,
        &mut nl,
        &via,
        "fd00:1::/64 via fd00:db8::fe dev va proto keepalived metric 1024 pref medium",
    );

    let mut blackhole = route("fd00:2::/64");
    blackhole.kind = RouteType::Blackhole;
    route_round_trip(
        &ns,
        &mut nl,
        &blackhole,
        "blackhole fd00:2::/64 dev lo proto keepalived metric 1024 pref medium",
    );

    let mut default = route("::/0");
    default.via = Some(ip("fd00:db8::fe"));
    default.table = Some(100);
    default.metric = Some(5);
    route_round_trip(
        &ns,
        &mut nl,
        &default,
        "default via fd00:db8::fe dev va table 100 proto keepalived metric 5 pref medium",
    );

    let mut dev = route("fd00:3::/64");
    dev.dev = Some("va".into());
    dev.metric = Some(7);
    route_round_trip(
        &ns,
        &mut nl,
        &dev,
        "fd00:3::/64 dev va proto keepalived metric 7 pref medium",
    );
}

#[test]
fn a_route_by_its_gateway_alone_gets_the_gateway_s_device() {
    require_root!();
    let (ns, mut nl) = lab();
    let mut r = route("198.51.100.0/24");
    r.via = Some(ip("192.0.2.254"));
    route_round_trip(
        &ns,
        &mut nl,
        &r,
        "198.51.100.0/24 via 192.0.2.254 dev va proto keepalived",
    );
}

#[test]
fn a_device_index_given_is_used_as_is() {
    require_root!();
    let (ns, mut nl) = lab();
    let vb = nl.ifindex("vb").expect("vb");
    // The name says va; the caller's index (vb) wins.
    let mut r = route("198.51.101.0/24");
    r.dev = Some("va".into());
    assert_eq!(nl.add_route(&r, Some(vb)).expect("add"), AddOutcome::Added);
    let shown = routes_shown(&ns, Family::Ipv4);
    assert!(
        shown
            .iter()
            .any(|l| l == "198.51.101.0/24 dev vb proto keepalived"),
        "{shown:#?}"
    );
    assert_eq!(
        nl.del_route(&r, Some(vb)).expect("del"),
        DelOutcome::Removed
    );
}

#[test]
fn unknown_devices_fail_on_add_and_count_as_gone_on_delete() {
    require_root!();
    let (_ns, mut nl) = lab();
    let mut r = route("198.51.101.0/24");
    r.dev = Some("nosuch0".into());
    match nl.add_route(&r, None) {
        Err(Error::InterfaceNotFound { name }) => assert_eq!(name, "nosuch0"),
        other => panic!("expected InterfaceNotFound, got {other:?}"),
    }
    assert_eq!(nl.del_route(&r, None).expect("del"), DelOutcome::NotPresent);
    assert!(matches!(
        nl.add_route(&r, Some(9999)),
        Err(Error::InterfaceIndexNotFound { ifindex: 9999 })
    ));
    assert_eq!(
        nl.del_route(&r, Some(9999)).expect("del"),
        DelOutcome::NotPresent
    );
}

#[test]
fn an_unreachable_gateway_is_the_kernel_s_error_with_its_errno() {
    require_root!();
    let (_ns, mut nl) = lab();
    let mut r = route("198.51.100.0/24");
    r.via = Some(ip("203.0.113.1"));
    r.dev = Some("va".into());
    let e = nl.add_route(&r, None).expect_err("no route to the gateway");
    assert_eq!(e.raw_os_error(), Some(libc::ENETUNREACH), "{e}");
}

#[test]
fn an_administrator_s_identical_route_is_never_removed() {
    require_root!();
    let (ns, mut nl) = lab();
    ns.ip(&[
        "route",
        "add",
        "198.51.100.0/24",
        "via",
        "192.0.2.254",
        "dev",
        "va",
    ]);
    let mut r = route("198.51.100.0/24");
    r.via = Some(ip("192.0.2.254"));
    r.dev = Some("va".into());
    assert_eq!(nl.del_route(&r, None).expect("del"), DelOutcome::NotPresent);
    // Ours goes in beside it (another protocol), and only ours goes out. (`ip` does not
    // print the administrator's `proto boot`.)
    assert_eq!(nl.add_route(&r, None).expect("add"), AddOutcome::Added);
    assert_eq!(nl.del_route(&r, None).expect("del"), DelOutcome::Removed);
    let shown = routes_shown(&ns, Family::Ipv4);
    assert!(
        shown
            .iter()
            .any(|l| l == "198.51.100.0/24 via 192.0.2.254 dev va"),
        "{shown:#?}"
    );
}

#[test]
fn rules_of_each_kind_are_added_once_and_removed_once() {
    require_root!();
    let (ns, mut nl) = lab();

    let mut from = VirtualRule::new(Family::Ipv4, 100, RuleAction::Lookup(1));
    from.from = Some(prefix("192.168.2.0/24"));
    rule_round_trip(
        &ns,
        &mut nl,
        &from,
        "100:\tfrom 192.168.2.0/24 lookup 1 proto keepalived",
    );

    let mut to = VirtualRule::new(Family::Ipv4, 101, RuleAction::Lookup(1000));
    to.to = Some(prefix("192.168.3.0/24"));
    to.fwmark = Some(Fwmark {
        mark: 0x18,
        mask: Some(0xff),
    });
    to.iif = Some("va".into());
    to.oif = Some("vb".into());
    to.tos = Some(0x10);
    rule_round_trip(
        &ns,
        &mut nl,
        &to,
        "101:\tfrom all to 192.168.3.0/24 tos 0x10 fwmark 0x18/0xff iif va oif vb lookup 1000 proto keepalived",
    );

    let mut marked = VirtualRule::new(Family::Ipv4, 102, RuleAction::Lookup(100));
    marked.fwmark = Some(Fwmark {
        mark: 7,
        mask: None,
    });
    rule_round_trip(
        &ns,
        &mut nl,
        &marked,
        "102:\tfrom all fwmark 0x7 lookup 100 proto keepalived",
    );

    for (action, word) in [
        (RuleAction::Blackhole, "blackhole"),
        (RuleAction::Unreachable, "unreachable"),
        (RuleAction::Prohibit, "prohibit"),
    ] {
        let rule = VirtualRule::new(Family::Ipv4, 103, action);
        rule_round_trip(
            &ns,
            &mut nl,
            &rule,
            &format!("103:\tfrom all {word} proto keepalived"),
        );
    }

    let goto = VirtualRule::new(Family::Ipv4, 104, RuleAction::Goto(32766));
    rule_round_trip(
        &ns,
        &mut nl,
        &goto,
        "104:\tfrom all goto 32766 proto keepalived",
    );

    let mut v6 = VirtualRule::new(Family::Ipv6, 100, RuleAction::Lookup(5));
    v6.from = Some(prefix("fd00::/8"));
    rule_round_trip(
        &ns,
        &mut nl,
        &v6,
        "100:\tfrom fd00::/8 lookup 5 proto keepalived",
    );
}

#[test]
fn a_rule_for_an_interface_not_there_yet_is_accepted_detached() {
    require_root!();
    let (ns, mut nl) = lab();
    let mut rule = VirtualRule::new(Family::Ipv4, 110, RuleAction::Lookup(100));
    rule.iif = Some("later0".into());
    rule_round_trip(
        &ns,
        &mut nl,
        &rule,
        "110:\tfrom all iif later0 [detached] lookup 100 proto keepalived",
    );
}

#[test]
fn an_administrator_s_identical_rule_is_never_removed() {
    require_root!();
    let (ns, mut nl) = lab();
    ns.ip(&[
        "rule",
        "add",
        "from",
        "10.0.0.0/8",
        "table",
        "5",
        "pref",
        "300",
    ]);
    let mut rule = VirtualRule::new(Family::Ipv4, 300, RuleAction::Lookup(5));
    rule.from = Some(prefix("10.0.0.0/8"));
    assert_eq!(nl.del_rule(&rule).expect("del"), DelOutcome::NotPresent);
    let shown = rules_shown(&ns, Family::Ipv4);
    assert!(
        shown.iter().any(|l| l == "300:\tfrom 10.0.0.0/8 lookup 5"),
        "{shown:#?}"
    );
}

#[test]
fn invalid_routes_and_rules_are_refused_before_the_kernel_sees_them() {
    require_root!();
    let (_ns, mut nl) = lab();
    let mut r = route("198.51.100.0/24");
    r.via = Some(ip("fd00:db8::fe"));
    match nl.add_route(&r, None) {
        Err(e @ Error::InvalidRoute(RouteSpecError::FamilyMismatch { .. })) => assert_eq!(
            e.to_string(),
            "invalid route or rule: via fd00:db8::fe is IPv6, but the route is IPv4"
        ),
        other => panic!("expected InvalidRoute, got {other:?}"),
    }
    let mut r = route("198.51.100.0/24");
    r.kind = RouteType::Blackhole;
    r.dev = Some("va".into());
    assert!(matches!(
        nl.del_route(&r, None),
        Err(Error::InvalidRoute(
            RouteSpecError::NextHopNotAllowed { .. }
        ))
    ));
    let rule = VirtualRule::new(Family::Ipv4, 50, RuleAction::Goto(10));
    assert!(matches!(
        nl.add_rule(&rule),
        Err(Error::InvalidRoute(RouteSpecError::GotoBackwards { .. }))
    ));
}
