use std::net::IpAddr;

use vrrp_core::Family;
use vrrp_io::route::{
    Fwmark, Prefix, RouteScope, RouteType, RuleAction, VirtualRoute, VirtualRule, TABLE_LOCAL,
    TABLE_MAIN,
};

use super::values::c_number;
use crate::config::{parse_str, Diagnostic, Parsed, Severity};

/// An instance on eth0 with `block` (whole lines, `virtual_routes { ... }` etc.)
/// after its address. Block lines start at line 7.
fn parse(block: &str) -> Parsed {
    let text = format!(
        "vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {{\n        192.168.100.12\n    }}\n{block}}}\n"
    );
    parse_str(&text, "test.conf")
}

/// The routes of one `virtual_routes` block with `lines` (each at line 8 onwards,
/// column 9), and the diagnostics.
fn routes(lines: &[&str]) -> (Vec<VirtualRoute>, Vec<Diagnostic>) {
    let body: String = lines.iter().map(|l| format!("        {l}\n")).collect();
    let parsed = parse(&format!("    virtual_routes {{\n{body}    }}\n"));
    let routes = parsed
        .config
        .instances
        .first()
        .map(|i| i.virtual_routes.clone())
        .unwrap_or_default();
    (routes, parsed.diagnostics)
}

fn rules(lines: &[&str]) -> (Vec<VirtualRule>, Vec<Diagnostic>) {
    let body: String = lines.iter().map(|l| format!("        {l}\n")).collect();
    let parsed = parse(&format!("    virtual_rules {{\n{body}    }}\n"));
    let rules = parsed
        .config
        .instances
        .first()
        .map(|i| i.virtual_rules.clone())
        .unwrap_or_default();
    (rules, parsed.diagnostics)
}

/// The one route of `line`, which must parse without any diagnostic.
fn route(line: &str) -> VirtualRoute {
    let (mut routes, diags) = routes(&[line]);
    assert!(diags.is_empty(), "{line}: {diags:#?}");
    assert_eq!(routes.len(), 1);
    routes.remove(0)
}

fn rule(line: &str) -> VirtualRule {
    let (mut rules, diags) = rules(&[line]);
    assert!(diags.is_empty(), "{line}: {diags:#?}");
    assert_eq!(rules.len(), 1);
    rules.remove(0)
}

/// The one error of `line`, at line 8: its column and message.
fn route_error(line: &str) -> (u32, String) {
    one_error(routes(&[line]).1)
}

fn rule_error(line: &str) -> (u32, String) {
    one_error(rules(&[line]).1)
}

fn one_error(diags: Vec<Diagnostic>) -> (u32, String) {
    let errors: Vec<&Diagnostic> = diags.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{diags:#?}");
    let e = errors[0];
    assert_eq!(e.line, 8, "{e}");
    assert!(!e.hint.is_empty(), "{e}");
    (e.column, e.message.clone())
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn prefix(text: &str) -> Prefix {
    text.parse().unwrap()
}

// ----- routes: keepalived's manual, line by line ----------------------------------

#[test]
fn route_with_src_to_via_and_dev() {
    let r = route("src 192.168.100.1 to 192.168.109.0/24 via 192.168.200.254 dev eth1");
    assert_eq!(r.destination, prefix("192.168.109.0/24"));
    assert_eq!(r.src, Some(ip("192.168.100.1")));
    assert_eq!(r.via, Some(ip("192.168.200.254")));
    assert_eq!(r.dev.as_deref(), Some("eth1"));
    assert_eq!(
        (r.kind, r.table, r.metric, r.scope, r.protocol, r.onlink, r.no_track),
        (RouteType::Unicast, None, None, None, None, false, false)
    );
}

#[test]
fn route_via_a_gateway_on_a_device() {
    let r = route("192.168.110.0/24 via 192.168.200.254 dev eth1");
    assert_eq!(
        r.to_string(),
        "192.168.110.0/24 via 192.168.200.254 dev eth1"
    );
}

#[test]
fn route_via_a_gateway_alone_keeps_no_device() {
    // The kernel finds the device by the gateway, as keepalived leaves it.
    let r = route("192.168.112.0/24 via 192.168.100.254");
    assert_eq!(r.dev, None);
}

#[test]
fn blackhole_route() {
    let r = route("blackhole 192.168.114.0/24");
    assert_eq!(r.kind, RouteType::Blackhole);
    assert_eq!(r.destination, prefix("192.168.114.0/24"));
    assert_eq!(r.dev, None, "a blackhole takes no device");
    for (text, kind) in [
        ("unreachable", RouteType::Unreachable),
        ("prohibit", RouteType::Prohibit),
        ("throw", RouteType::Throw),
        ("unicast", RouteType::Unicast),
    ] {
        let r = route(&format!("{text} 10.9.0.0/16 table 100"));
        assert_eq!(r.kind, kind, "{text}");
    }
}

#[test]
fn default_route_with_deprecated_gw_into_a_table() {
    let (routes, diags) = routes(&["0.0.0.0/0 gw 192.168.0.1 table 100"]);
    assert_eq!(routes.len(), 1);
    let r = &routes[0];
    assert!(r.destination.is_any());
    assert_eq!(r.via, Some(ip("192.168.0.1")));
    assert_eq!(r.table, Some(100));
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    assert_eq!((d.severity, d.line, d.column), (Severity::Warning, 8, 19));
    assert_eq!(
        d.message,
        "`gw` is deprecated (keepalived says so too); it means `via`"
    );
}

#[test]
fn route_on_a_device_not_tracked() {
    let r = route("192.168.111.0/24 dev eth2 no_track");
    assert_eq!(r.dev.as_deref(), Some("eth2"));
    assert!(r.no_track);
}

#[test]
fn route_without_gateway_or_device_goes_on_the_instance_interface() {
    let r = route("192.168.115.0/24");
    assert_eq!(r.dev.as_deref(), Some("eth0"));
    let r = route("192.168.116.0/24 via 10.1.1.1 onlink");
    assert_eq!(r.dev.as_deref(), Some("eth0"), "onlink needs the link");
}

#[test]
fn default_routes_take_their_family_from_the_line() {
    assert_eq!(
        route("default via 10.0.0.1").destination,
        prefix("0.0.0.0/0")
    );
    assert_eq!(route("default via fd00::1").destination, prefix("::/0"));
    assert_eq!(route("inet6 any dev eth1").destination, prefix("::/0"));
    assert_eq!(route("all dev eth1").destination, prefix("0.0.0.0/0"));
    let r = route("to default via inet6 fd00::1");
    assert_eq!(
        (r.destination, r.via),
        (prefix("::/0"), Some(ip("fd00::1")))
    );
}

#[test]
fn every_supported_option_of_a_route() {
    let r = route(
        "192.168.1.0/24 via 10.0.0.1 oif eth3 onlink scope link metric 0x10 table local protocol static no_track prepend",
    );
    assert_eq!(r.dev.as_deref(), Some("eth3"));
    assert!(r.onlink);
    assert_eq!(r.scope, Some(RouteScope::Link));
    assert_eq!(r.metric, Some(16));
    assert_eq!(r.table, Some(TABLE_LOCAL));
    assert_eq!(r.protocol, Some(4));
    for (line, metric) in [
        ("10.0.0.0/8 dev eth1 priority 7", 7),
        ("10.0.0.0/8 dev eth1 preference 010", 8),
    ] {
        assert_eq!(route(line).metric, Some(metric), "{line}");
    }
    assert_eq!(
        route("10.0.0.0/8 dev eth1 table main").table,
        Some(TABLE_MAIN)
    );
    assert_eq!(
        route("10.0.0.0/8 dev eth1 scope 254").scope,
        Some(RouteScope::Host)
    );
    assert_eq!(
        route("10.0.0.0/8 dev eth1 scope universe").scope,
        Some(RouteScope::Global)
    );
    let r = route("fd00:114::/64 dev eth1 metric 1024");
    assert_eq!(r.family(), Family::Ipv6);
    assert_eq!(
        route("192.168.1.7 dev eth1").destination,
        prefix("192.168.1.7/32")
    );
}

#[test]
fn tracked_routes_keep_protocol_keepalived_as_in_keepalived() {
    let (routes, diags) = routes(&["10.0.0.0/8 dev eth1 protocol bird"]);
    assert_eq!(routes[0].protocol, None);
    assert_eq!(diags.len(), 1);
    assert_eq!(
        (diags[0].severity, diags[0].column),
        (Severity::Warning, 38)
    );
    assert_eq!(
        route("10.0.0.0/8 dev eth1 protocol keepalived").protocol,
        Some(18)
    );
}

#[test]
fn blocks_repeat_and_add_up() {
    let parsed = parse(
        "    virtual_routes {\n        10.1.0.0/16 dev eth1\n    }\n    virtual_routes {\n        10.2.0.0/16 dev eth1\n    }\n",
    );
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    assert_eq!(parsed.config.instances[0].virtual_routes.len(), 2);
}

// ----- routes: errors, each where it is ---------------------------------------------

#[test]
fn unsupported_route_options_are_errors_naming_the_option() {
    for (line, column, option) in [
        ("10.0.0.0/8 dev eth1 mtu 1400", 29, "mtu"),
        (
            "10.0.0.0/8 nexthop via 10.1.1.1 dev eth1 nexthop via 10.1.1.2 dev eth1",
            20,
            "nexthop",
        ),
        ("10.0.0.0/8 via 10.1.1.1 or 10.1.1.2 dev eth1", 33, "or"),
        ("10.0.0.0/8 dev eth1 realms 1/2", 29, "realms"),
        ("10.0.0.0/8 dev eth1 append", 29, "append"),
        ("10.0.0.0/8 dev eth1 track_group G", 29, "track_group"),
        ("fd00::/64 from fd01::/64 dev eth1", 19, "from"),
        ("local 10.0.0.1 dev eth1", 9, "local"),
    ] {
        let (col, message) = route_error(line);
        assert_eq!(
            (col, message.as_str()),
            (
                column,
                format!("route option `{option}` is not supported").as_str()
            ),
            "{line}"
        );
    }
}

#[test]
fn unknown_route_option_suggests_the_nearest() {
    let (routes, diags) = routes(&["10.0.0.0/8 dev eth1 metrik 5"]);
    assert!(routes.is_empty());
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].column, 29);
    assert_eq!(diags[0].message, "unknown route option `metrik`");
    assert_eq!(diags[0].hint, "did you mean `metric`?");
}

#[test]
fn bad_route_values_are_errors_where_they_are() {
    for (line, column, message) in [
        ("10.0.0.0/8 dev eth1 metric x", 36, "metric must be a number 0..=4294967295, got `x`"),
        ("10.0.0.0/8 dev eth1 metric 4294967296", 36, "metric must be a number 0..=4294967295, got `4294967296`"),
        ("10.0.0.1/8 dev eth1", 9, "route destination: 10.0.0.1/8 has host bits set; the network is 10.0.0.0/8"),
        ("10.0.0.0/33 dev eth1", 9, "route destination: prefix length 33 is too long for 10.0.0.0 (at most 32 for IPv4, 128 for IPv6)"),
        ("10.0.0.0/8 via 10.1.1", 24, "route gateway must be an IP address, got `10.1.1`"),
        ("10.0.0.0/8 via 10.1.1.1/32", 24, "route gateway must be an IP address, got `10.1.1.1/32`"),
        ("10.0.0.0/8 dev eth1 table mytable", 35, "unknown routing table `mytable`"),
        ("10.0.0.0/8 dev eth1 table 0", 35, "table 0 is not a routing table"),
        ("10.0.0.0/8 dev eth1 scope nowhere", 35, "`nowhere` is not a route scope"),
        ("10.0.0.0/8 dev eth1 protocol nope", 38, "unknown route protocol `nope`"),
        ("10.0.0.0/8 dev eth1 protocol 256", 38, "unknown route protocol `256`"),
        ("10.0.0.0/8 dev a/b", 24, "\"a/b\" is not a valid interface name: contains '/', ':', a NUL byte or white space"),
        ("10.0.0.0/8 via", 20, "`via` needs a value: a gateway"),
        ("blackhole", 9, "`blackhole` needs a value: a destination"),
    ] {
        assert_eq!(route_error(line), (column, message.to_owned()), "{line}");
    }
}

#[test]
fn mixed_families_in_a_route_are_an_error() {
    let (column, message) = route_error("10.0.0.0/8 via fd00::1");
    assert_eq!(column, 24);
    assert_eq!(
        message,
        "cannot mix IPv4 and IPv6 in one route: `fd00::1` is IPv6, but `10.0.0.0/8` made it IPv4"
    );
    let (column, _) = route_error("inet6 10.0.0.0/8 dev eth1");
    assert_eq!(column, 15);
}

#[test]
fn a_route_has_one_destination_and_one_type() {
    assert_eq!(
        route_error("via 10.1.1.1 dev eth1"),
        (9, "the route has no destination".to_owned())
    );
    assert_eq!(
        route_error("10.1.0.0/16 10.2.0.0/16 dev eth1"),
        (
            21,
            "the route already has the destination `10.1.0.0/16`; `10.2.0.0/16` is a second one"
                .to_owned()
        )
    );
    assert_eq!(
        route_error("blackhole 10.1.0.0/16 unreachable 10.2.0.0/16").0,
        31
    );
}

#[test]
fn routes_that_send_nothing_refuse_a_next_hop() {
    assert_eq!(
        route_error("blackhole 192.168.114.0/24 dev eth1"),
        (9, "route `blackhole 192.168.114.0/24 dev eth1`: a blackhole route takes no gateway (via), device (dev) or onlink".to_owned())
    );
    let (column, message) = route_error("10.0.0.0/8 dev eth1 onlink");
    assert_eq!(column, 29);
    assert!(
        message.ends_with(
            "onlink needs a gateway (via): it declares the gateway reachable on the device"
        ),
        "{message}"
    );
}

#[test]
fn a_route_line_takes_no_block() {
    let parsed = parse("    virtual_routes {\n        10.0.0.0/8 dev eth1 {\n        }\n    }\n");
    assert_eq!(parsed.errors().count(), 1, "{:#?}", parsed.diagnostics);
}

// ----- rules ------------------------------------------------------------------------

#[test]
fn rule_from_a_prefix_to_a_table_gets_keepalived_s_preference() {
    let (rules, diags) = rules(&[
        "from 192.168.2.0/24 table 1",
        "to 192.168.2.0/24 table 1 no_track",
    ]);
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].from, Some(prefix("192.168.2.0/24")));
    assert_eq!(rules[0].action, RuleAction::Lookup(1));
    assert_eq!(rules[0].preference, 16384);
    assert_eq!(rules[1].to, Some(prefix("192.168.2.0/24")));
    assert_eq!(rules[1].preference, 16383);
    assert!(rules[1].no_track);
    assert_eq!(diags.len(), 2);
    assert!(diags
        .iter()
        .all(|d| d.severity == Severity::Warning && d.column == 9));
    assert!(
        diags[0]
            .message
            .starts_with("the rule has no preference: it gets 16384"),
        "{}",
        diags[0]
    );
}

#[test]
fn assigned_preferences_count_per_family_across_instances() {
    let text = "vrrp_instance A {\n    interface eth0\n    virtual_router_id 1\n    virtual_ipaddress {\n        10.0.0.1\n    }\n    virtual_rules {\n        from 10.1.0.0/16 table 10\n        inet6 to fd00::/8 table 10\n    }\n}\n\
                vrrp_instance B {\n    interface eth0\n    virtual_router_id 2\n    virtual_ipaddress {\n        10.0.0.2\n    }\n    virtual_rules {\n        from 10.2.0.0/16 table 10\n        from 10.3.0.0/16 table 10 preference 5\n        inet6 from fd01::/16 table 10\n    }\n}\n";
    let parsed = parse_str(text, "test.conf");
    assert!(!parsed.has_errors(), "{:#?}", parsed.diagnostics);
    let prefs = |i: usize| -> Vec<u32> {
        parsed.config.instances[i]
            .virtual_rules
            .iter()
            .map(|r| r.preference)
            .collect()
    };
    assert_eq!(prefs(0), vec![16384, 16384]);
    assert_eq!(prefs(1), vec![16383, 5, 16383]);
}

#[test]
fn every_supported_option_of_a_rule() {
    let r = rule("from 192.168.28.0/24 to 192.168.29.0/26 lookup 100 iif eth0 oif eth1 tos 0x10 fwmark 24/12 preference 39");
    assert_eq!(r.family, Family::Ipv4);
    assert_eq!(r.from, Some(prefix("192.168.28.0/24")));
    assert_eq!(r.to, Some(prefix("192.168.29.0/26")));
    assert_eq!(r.action, RuleAction::Lookup(100));
    assert_eq!(
        (r.iif.as_deref(), r.oif.as_deref()),
        (Some("eth0"), Some("eth1"))
    );
    assert_eq!(r.tos, Some(0x10));
    assert_eq!(
        r.fwmark,
        Some(Fwmark {
            mark: 24,
            mask: Some(12)
        })
    );
    assert_eq!(r.preference, 39);
    let r = rule("inet6 preference 100 blackhole");
    assert_eq!(
        (r.family, r.action, r.from),
        (Family::Ipv6, RuleAction::Blackhole, None)
    );
    let r = rule("from all fwmark 0x10 priority 200 type unreachable");
    assert_eq!(
        r.fwmark,
        Some(Fwmark {
            mark: 16,
            mask: None
        })
    );
    assert_eq!((r.action, r.from), (RuleAction::Unreachable, None));
    assert_eq!(
        rule("dev eth2 order 3 prohibit").iif.as_deref(),
        Some("eth2")
    );
    assert_eq!(rule("pref 10 goto 20").action, RuleAction::Goto(20));
    assert_eq!(rule("to fd00::/8 table main pref 1").family, Family::Ipv6);
    assert_eq!(
        rule("to fd00::/8 table main pref 1").action,
        RuleAction::Lookup(TABLE_MAIN)
    );
}

#[test]
fn bad_rules_are_errors_where_they_are() {
    for (line, column, message) in [
        ("goto 20 from 10.0.0.0/8", 9, "a rule with `goto` needs a preference (it may only jump forward from it)"),
        ("preference 20 goto 20", 23, "rule `from all pref 20 goto 20`: goto 20 from preference 20: a rule can only jump to a higher preference"),
        ("from 10.0.0.0/8 preference 1", 9, "the rule has no action"),
        ("table 1 blackhole preference 1", 17, "the rule already has the action `table`"),
        ("table 0 preference 1", 15, "table 0 is not a routing table"),
        ("not from 10.0.0.0/8 table 1 preference 1", 9, "rule option `not` is not supported"),
        ("uidrange 1-2 table 1 preference 1", 9, "rule option `uidrange` is not supported"),
        ("realms 1 table 1 preference 1", 9, "rule option `realms` is not supported"),
        ("nop preference 1", 9, "rule option `nop` is not supported"),
        ("throw preference 1", 9, "`throw` is not a rule action"),
        ("fwmark 24/ table 1 preference 1", 16, "fwmark must be MARK or MARK/MASK, numbers 0..=4294967295, got `24/`"),
        ("tos 300 table 1 preference 1", 13, "tos must be a number 0..=255, got `300`"),
        ("from 10.0.0.0/8 to fd00::/8 table 1 preference 1", 28, "cannot mix IPv4 and IPv6 in one rule: `fd00::/8` is IPv6, but `10.0.0.0/8` made it IPv4"),
        ("from 10.0.0.1/8 table 1 preference 1", 14, "rule `from`: 10.0.0.1/8 has host bits set; the network is 10.0.0.0/8"),
        ("form 10.0.0.0/8 table 1 preference 1", 9, "unknown rule option `form`"),
        ("table 1 preference", 17, "`preference` needs a value: a number"),
    ] {
        assert_eq!(rule_error(line), (column, message.to_owned()), "{line}");
    }
}

#[test]
fn keywords_are_supported_now() {
    use crate::config::keywords;
    for word in ["virtual_routes", "virtual_rules"] {
        assert!(keywords::INSTANCE_SUPPORTED.contains(&word));
        assert!(!keywords::INSTANCE_UNSUPPORTED.contains(&word));
    }
}

#[test]
fn c_numbers() {
    assert_eq!(c_number("100"), Some(100));
    assert_eq!(c_number("0x1f"), Some(31));
    assert_eq!(c_number("010"), Some(8));
    assert_eq!(c_number("0"), Some(0));
    assert_eq!(c_number("09"), None);
    assert_eq!(c_number("-1"), None);
    assert_eq!(c_number("0x"), None);
    assert_eq!(c_number(""), None);
}
