use std::net::{IpAddr, Ipv4Addr};

use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteProtocol as NlProtocol, RouteScope as NlScope,
    RouteType as NlType,
};
use netlink_packet_route::rule::{RuleAction as NlAction, RuleAttribute};
use netlink_packet_route::AddressFamily;
use vrrp_core::Family;

use super::message::{route_message, rule_message, Request};
use super::*;

fn prefix(text: &str) -> Prefix {
    text.parse().expect("a prefix")
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("an address")
}

fn via_route() -> VirtualRoute {
    let mut r = VirtualRoute::new(prefix("192.168.110.0/24"));
    r.via = Some(ip("192.168.200.254"));
    r.dev = Some("eth1".into());
    r
}

#[test]
fn prefixes_refuse_host_bits_and_long_lengths() {
    assert_eq!(prefix("10.0.0.0/8").to_string(), "10.0.0.0/8");
    assert_eq!(prefix("10.0.0.1").to_string(), "10.0.0.1/32");
    assert_eq!(prefix("fd00::/8").to_string(), "fd00::/8");
    assert!(prefix("0.0.0.0/0").is_any());
    assert_eq!(Prefix::any(Family::Ipv6), prefix("::/0"));
    match "10.0.0.1/8".parse::<Prefix>() {
        Err(e @ RouteSpecError::HostBitsSet { .. }) => assert_eq!(
            e.to_string(),
            "10.0.0.1/8 has host bits set; the network is 10.0.0.0/8"
        ),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        "fd00::1/64".parse::<Prefix>(),
        Err(RouteSpecError::HostBitsSet { .. })
    ));
    assert!(matches!(
        "10.0.0.0/33".parse::<Prefix>(),
        Err(RouteSpecError::PrefixTooLong { prefix_len: 33, .. })
    ));
    for bad in [
        "10.0.0.0/",
        "10.0.0.0/x",
        "10.0.0.0/999",
        "eth0",
        "10.0.0/8",
    ] {
        assert!(bad.parse::<Prefix>().is_err(), "{bad}");
    }
}

#[test]
fn names_of_tables_protocols_types_and_scopes() {
    assert_eq!(table_by_name("main"), Some(254));
    assert_eq!(table_by_name("local"), Some(255));
    assert_eq!(table_by_name("default"), Some(253));
    assert_eq!(table_by_name("100"), None, "numbers are the caller's");
    assert_eq!(table_name(100), None);
    assert_eq!(protocol_by_name("keepalived"), Some(18));
    assert_eq!(protocol_by_name("none"), Some(0));
    assert_eq!(protocol_name(0), Some("unspec"));
    assert_eq!(RouteType::from_name("throw"), Some(RouteType::Throw));
    assert_eq!(RouteType::from_name("local"), None);
    assert_eq!(RouteScope::from_name("universe"), Some(RouteScope::Global));
    assert_eq!(RouteScope::from_number(253), Some(RouteScope::Link));
    assert_eq!(RouteScope::from_number(255), None, "nowhere");
}

#[test]
fn routes_print_as_ip_route_takes_them() {
    assert_eq!(
        via_route().to_string(),
        "192.168.110.0/24 via 192.168.200.254 dev eth1"
    );
    let mut r = VirtualRoute::new(prefix("0.0.0.0/0"));
    r.via = Some(ip("192.168.0.1"));
    r.table = Some(100);
    r.metric = Some(5);
    r.src = Some(ip("192.168.0.2"));
    r.scope = Some(RouteScope::Link);
    r.protocol = Some(4);
    r.onlink = true;
    r.dev = Some("eth0".into());
    assert_eq!(
        r.to_string(),
        "0.0.0.0/0 via 192.168.0.1 dev eth0 src 192.168.0.2 table 100 metric 5 scope link proto static onlink"
    );
    let mut r = VirtualRoute::new(prefix("fd00:114::/64"));
    r.kind = RouteType::Blackhole;
    r.table = Some(TABLE_LOCAL);
    assert_eq!(r.to_string(), "blackhole fd00:114::/64 table local");
}

#[test]
fn rules_print_as_ip_rule_takes_them() {
    let mut r = VirtualRule::new(Family::Ipv4, 100, RuleAction::Lookup(1));
    r.from = Some(prefix("192.168.2.0/24"));
    assert_eq!(r.to_string(), "from 192.168.2.0/24 pref 100 lookup 1");
    let mut r = VirtualRule::new(Family::Ipv4, 39, RuleAction::Goto(40));
    r.to = Some(prefix("192.168.29.0/26"));
    r.tos = Some(0x10);
    r.fwmark = Some(Fwmark {
        mark: 24,
        mask: Some(12),
    });
    r.iif = Some("eth0".into());
    r.oif = Some("eth1".into());
    assert_eq!(
        r.to_string(),
        "from all to 192.168.29.0/26 tos 0x10 fwmark 0x18/0xc iif eth0 oif eth1 pref 39 goto 40"
    );
    let r = VirtualRule::new(Family::Ipv6, 7, RuleAction::Lookup(TABLE_MAIN));
    assert_eq!(r.to_string(), "from ::/0 pref 7 lookup main");
    let r = VirtualRule::new(Family::Ipv4, 7, RuleAction::Unreachable);
    assert_eq!(r.to_string(), "from all pref 7 unreachable");
}

#[test]
fn routes_with_a_gateway_of_the_other_family_are_refused() {
    let mut r = via_route();
    r.via = Some(ip("fd00::1"));
    let e = r.validate().expect_err("mixed families");
    assert_eq!(e.to_string(), "via fd00::1 is IPv6, but the route is IPv4");
    let mut r = via_route();
    r.src = Some(ip("fd00::1"));
    assert!(matches!(
        r.validate(),
        Err(RouteSpecError::FamilyMismatch { what: "src", .. })
    ));
}

#[test]
fn routes_that_send_nothing_take_no_next_hop() {
    let mut r = VirtualRoute::new(prefix("192.168.114.0/24"));
    r.kind = RouteType::Blackhole;
    assert_eq!(r.validate(), Ok(()));
    assert!(!r.needs_device());
    r.dev = Some("eth0".into());
    assert_eq!(
        r.validate(),
        Err(RouteSpecError::NextHopNotAllowed {
            kind: RouteType::Blackhole
        })
    );
}

#[test]
fn unicast_routes_need_a_next_hop_and_onlink_needs_both() {
    let mut r = VirtualRoute::new(prefix("192.168.111.0/24"));
    assert!(r.needs_device());
    assert!(matches!(
        r.validate(),
        Err(RouteSpecError::NoNextHop { .. })
    ));
    r.dev = Some("eth2".into());
    assert_eq!(r.validate(), Ok(()));
    r.onlink = true;
    assert_eq!(r.validate(), Err(RouteSpecError::OnlinkWithoutGateway));
    let mut r = VirtualRoute::new(prefix("192.168.111.0/24"));
    r.via = Some(ip("10.1.1.1"));
    assert!(
        !r.needs_device(),
        "the kernel finds the device by the gateway"
    );
    r.onlink = true;
    assert!(r.needs_device());
    assert_eq!(r.validate(), Err(RouteSpecError::OnlinkWithoutDevice));
}

#[test]
fn table_zero_and_bad_names_are_refused() {
    let mut r = via_route();
    r.table = Some(0);
    assert_eq!(r.validate(), Err(RouteSpecError::TableZero));
    let mut r = via_route();
    r.dev = Some("a-name-far-too-long".into());
    assert!(matches!(
        r.validate(),
        Err(RouteSpecError::InterfaceName { .. })
    ));
    let r = VirtualRule::new(Family::Ipv4, 10, RuleAction::Lookup(0));
    assert_eq!(r.validate(), Err(RouteSpecError::TableZero));
}

#[test]
fn rules_jump_forward_only_and_match_their_family() {
    let r = VirtualRule::new(Family::Ipv4, 40, RuleAction::Goto(40));
    assert_eq!(
        r.validate(),
        Err(RouteSpecError::GotoBackwards {
            preference: 40,
            target: 40
        })
    );
    let mut r = VirtualRule::new(Family::Ipv6, 10, RuleAction::Blackhole);
    r.to = Some(prefix("10.0.0.0/8"));
    assert_eq!(
        r.validate().map_err(|e| e.to_string()),
        Err("to 10.0.0.0 is IPv4, but the rule is IPv6".to_owned())
    );
}

#[test]
fn route_messages_carry_what_the_route_says() {
    let mut r = via_route();
    r.table = Some(1000);
    r.metric = Some(7);
    let msg = route_message(&r, Some(3), Request::Add);
    assert_eq!(msg.header.address_family, AddressFamily::Inet);
    assert_eq!(msg.header.destination_prefix_length, 24);
    assert_eq!(msg.header.table, RouteHeader::RT_TABLE_UNSPEC, "1000 > 255");
    assert_eq!(msg.header.protocol, NlProtocol::KeepAlived);
    assert_eq!(msg.header.scope, NlScope::Universe);
    assert_eq!(msg.header.kind, NlType::Unicast);
    let attrs = &msg.attributes;
    assert!(attrs.contains(&RouteAttribute::Table(1000)));
    assert!(attrs.contains(&RouteAttribute::Oif(3)));
    assert!(attrs.contains(&RouteAttribute::Priority(7)));
    assert!(
        attrs.contains(&RouteAttribute::Gateway(RouteAddress::Inet(Ipv4Addr::new(
            192, 168, 200, 254
        ))))
    );
    // A delete leaves the scope open unless the route gives one.
    let msg = route_message(&r, Some(3), Request::Delete);
    assert_eq!(msg.header.scope, NlScope::NoWhere);
}

#[test]
fn default_routes_have_no_destination_attribute() {
    let mut r = VirtualRoute::new(Prefix::any(Family::Ipv6));
    r.kind = RouteType::Unreachable;
    r.table = Some(100);
    let msg = route_message(&r, None, Request::Add);
    assert_eq!(msg.header.address_family, AddressFamily::Inet6);
    assert_eq!(msg.header.destination_prefix_length, 0);
    assert_eq!(msg.header.table, 100);
    assert_eq!(msg.header.kind, NlType::Unreachable);
    assert!(!msg
        .attributes
        .iter()
        .any(|a| matches!(a, RouteAttribute::Destination(_))));
}

#[test]
fn rule_messages_carry_what_the_rule_says() {
    let mut r = VirtualRule::new(Family::Ipv4, 100, RuleAction::Lookup(300));
    r.from = Some(prefix("192.168.2.0/24"));
    r.fwmark = Some(Fwmark {
        mark: 0x18,
        mask: Some(0xff),
    });
    r.iif = Some("eth0".into());
    let msg = rule_message(&r);
    assert_eq!(msg.header.family, AddressFamily::Inet);
    assert_eq!(msg.header.src_len, 24);
    assert_eq!(msg.header.dst_len, 0);
    assert_eq!(msg.header.action, NlAction::ToTable);
    assert_eq!(msg.header.table, 0, "300 > 255");
    let attrs = &msg.attributes;
    assert!(attrs.contains(&RuleAttribute::Source(ip("192.168.2.0"))));
    assert!(attrs.contains(&RuleAttribute::Table(300)));
    assert!(attrs.contains(&RuleAttribute::Priority(100)));
    assert!(attrs.contains(&RuleAttribute::FwMark(0x18)));
    assert!(attrs.contains(&RuleAttribute::FwMask(0xff)));
    assert!(attrs.contains(&RuleAttribute::Iifname("eth0".into())));
    assert!(attrs.contains(&RuleAttribute::Protocol(NlProtocol::KeepAlived)));
    let msg = rule_message(&VirtualRule::new(Family::Ipv6, 5, RuleAction::Goto(9)));
    assert_eq!(msg.header.action, NlAction::Goto);
    assert!(msg.attributes.contains(&RuleAttribute::Goto(9)));
}
