//! `virtual_routes { ... }` and `virtual_rules { ... }` of `vrrp_instance`: one route or
//! rule per line, in keepalived's grammar (the words of `ip route add` / `ip rule add`,
//! unabbreviated, with keepalived's synonyms and `no_track`), into
//! [`VirtualRoute`] / [`VirtualRule`].
//!
//! Options keepalived knows and we do not implement (multipath `nexthop`, `or`,
//! `realms`, `mtu` and the other metrics, ...) are errors, not skipped: a route installed
//! without them would route differently from what the line says.

use vrrp_core::Family;
use vrrp_io::netlink::validate_ifname;
use vrrp_io::route::{
    protocol_by_name, table_by_name, Fwmark, Prefix, RouteScope, RouteSpecError, RouteType,
    RuleAction, VirtualRoute, VirtualRule, PROTOCOL_KEEPALIVED,
};

use super::instance::RawInstance;
use super::Parser;
use crate::config::diag::Pos;
use crate::config::suggest::nearest;
use crate::config::tree::{Stmt, Word};

/// The route options we read.
const ROUTE_OPTIONS: &[&str] = &[
    "src",
    "to",
    "via",
    "gw",
    "dev",
    "oif",
    "table",
    "protocol",
    "scope",
    "metric",
    "priority",
    "preference",
    "onlink",
    "no_track",
    "inet",
    "inet6",
    "prepend",
    "unicast",
    "blackhole",
    "unreachable",
    "prohibit",
    "throw",
];

/// keepalived's route options and types that we refuse, with what to do instead.
const ROUTE_REFUSED: &[(&str, &str)] = &[
    ("nexthop", "write one route per gateway, with different metrics: multipath routes are not implemented"),
    ("or", "write one route per gateway, with different metrics: `or` is keepalived's deprecated two-gateway form"),
    ("from", "use a virtual_rules line with `from` and a table: source-specific routes are not implemented"),
    ("tos", "use a virtual_rules line with `tos` and a table: routes by TOS are not implemented"),
    ("dsfield", "use a virtual_rules line with `tos` and a table: routes by TOS are not implemented"),
    ("add", "remove it: routes are always prepended, keepalived's default"),
    ("append", "remove it: routes are always prepended, keepalived's default"),
    ("vrf", "give the VRF's table with `table` instead"),
    ("track_group", "remove it: track_group applies to static_routes only"),
    ("as", "remove it: MPLS is not implemented"),
    ("encap", "remove it: encapsulation is not implemented"),
    ("expires", "remove it: expiring routes are not implemented"),
    ("realms", "remove it: realms are not implemented"),
    ("mtu", "remove it: per-route path attributes (mtu, hoplimit, advmss, rtt, windows, ...) are not implemented"),
    ("hoplimit", "remove it: per-route path attributes (mtu, hoplimit, advmss, rtt, windows, ...) are not implemented"),
    ("advmss", "remove it: per-route path attributes (mtu, hoplimit, advmss, rtt, windows, ...) are not implemented"),
    ("rtt", "remove it: per-route path attributes (mtu, hoplimit, advmss, rtt, windows, ...) are not implemented"),
    ("rttvar", "remove it: per-route path attributes (mtu, hoplimit, advmss, rtt, windows, ...) are not implemented"),
    ("reordering", "remove it: per-route path attributes (mtu, hoplimit, advmss, rtt, windows, ...) are not implemented"),
    ("window", "remove it: per-route path attributes (mtu, hoplimit, advmss, rtt, windows, ...) are not implemented"),
    ("cwnd", "remove it: per-route path attributes (mtu, hoplimit, advmss, rtt, windows, ...) are not implemented"),
    ("ssthresh", "remove it: per-route path attributes (mtu, hoplimit, advmss, rtt, windows, ...) are not implemented"),
    ("rto_min", "remove it: per-route path attributes (mtu, hoplimit, advmss, rtt, windows, ...) are not implemented"),
    ("initcwnd", "remove it: per-route path attributes (mtu, hoplimit, advmss, rtt, windows, ...) are not implemented"),
    ("initrwnd", "remove it: per-route path attributes (mtu, hoplimit, advmss, rtt, windows, ...) are not implemented"),
    ("features", "remove it: per-route path attributes (mtu, hoplimit, advmss, rtt, windows, ...) are not implemented"),
    ("quickack", "remove it: per-route path attributes (mtu, hoplimit, advmss, rtt, windows, ...) are not implemented"),
    ("congctl", "remove it: per-route path attributes (mtu, hoplimit, advmss, rtt, windows, ...) are not implemented"),
    ("fastopen_no_cookie", "remove it: per-route path attributes (mtu, hoplimit, advmss, rtt, windows, ...) are not implemented"),
    ("pref", "remove it: the IPv6 router preference is not implemented"),
    ("ttl-propagate", "remove it: MPLS is not implemented"),
    ("local", "use unicast, blackhole, unreachable, prohibit or throw"),
    ("broadcast", "use unicast, blackhole, unreachable, prohibit or throw"),
    ("brd", "use unicast, blackhole, unreachable, prohibit or throw"),
    ("anycast", "use unicast, blackhole, unreachable, prohibit or throw"),
    ("multicast", "use unicast, blackhole, unreachable, prohibit or throw"),
    ("nat", "use unicast, blackhole, unreachable, prohibit or throw"),
    ("xresolve", "use unicast, blackhole, unreachable, prohibit or throw"),
];

/// The rule options we read.
const RULE_OPTIONS: &[&str] = &[
    "from",
    "to",
    "table",
    "lookup",
    "preference",
    "priority",
    "order",
    "pref",
    "tos",
    "dsfield",
    "fwmark",
    "dev",
    "iif",
    "oif",
    "no_track",
    "inet",
    "inet6",
    "type",
    "goto",
    "blackhole",
    "unreachable",
    "prohibit",
];

/// keepalived's rule options that we refuse, with what to do instead.
const RULE_REFUSED: &[(&str, &str)] = &[
    ("not", "remove it: inverted rules are not implemented"),
    ("nop", "use another action: `nop` is not implemented"),
    ("realms", "remove it: realms are not implemented"),
    (
        "suppress_prefixlength",
        "remove it: suppressors are not implemented",
    ),
    ("sup_pl", "remove it: suppressors are not implemented"),
    (
        "suppress_ifgroup",
        "remove it: suppressors are not implemented",
    ),
    ("sup_group", "remove it: suppressors are not implemented"),
    (
        "tunnel-id",
        "remove it: matching the tunnel id is not implemented",
    ),
    (
        "uidrange",
        "remove it: matching user ids is not implemented",
    ),
    ("l3mdev", "remove it: l3mdev rules are not implemented"),
    (
        "protocol",
        "remove it: rules are installed with protocol keepalived",
    ),
    (
        "ipproto",
        "remove it: matching the IP protocol is not implemented",
    ),
    ("sport", "remove it: matching ports is not implemented"),
    ("dport", "remove it: matching ports is not implemented"),
    (
        "track_group",
        "remove it: track_group applies to static_rules only",
    ),
];

/// The preference keepalived gives the first rule of each family written without one;
/// each next one gets one less, so that rules keep the order of the file whatever the
/// order of transitions.
const FIRST_ASSIGNED_PREFERENCE: u32 = 16384;

/// A `virtual_rules` line as read.
pub(super) struct RawRule {
    /// The rule.
    pub(super) rule: VirtualRule,
    /// No preference was written: it was numbered as keepalived numbers such rules.
    pub(super) numbered: bool,
}

/// The routes of an instance with a device where the kernel needs one and the line
/// names none (a route without a gateway, or with `onlink`): the instance's interface.
///
/// keepalived's manual says such routes default to `default_interface`, but its code
/// sends them without a device, which the kernel refuses for a route without a gateway.
/// The instance's interface is the one the instance is master on. A route with a
/// gateway and no `dev` stays without one, as keepalived sends it: the kernel finds the
/// device by the gateway, which may be on another interface.
pub(super) fn with_instance_device(
    routes: Vec<VirtualRoute>,
    interface: &str,
) -> Vec<VirtualRoute> {
    routes
        .into_iter()
        .map(|mut route| {
            if route.needs_device() {
                route.dev = Some(interface.to_owned());
            }
            route
        })
        .collect()
}

/// A number as keepalived reads most of these (C's `strtoul` base 0): `0x` hexadecimal,
/// a leading `0` octal, else decimal. No sign.
fn c_number(text: &str) -> Option<u64> {
    let (digits, radix) = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None if text.len() > 1 && text.starts_with('0') => (&text[1..], 8),
        None => (text, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// True if `word` is meant as an address or prefix rather than an option.
fn looks_like_prefix(word: &str) -> bool {
    matches!(word, "default" | "any" | "all" | "default6")
        || word.starts_with(|c: char| c.is_ascii_digit())
        || word.contains(':')
}

/// The address family of a line, once a word has said it, and which word did.
#[derive(Default)]
struct FamilySeen {
    seen: Option<(Family, String)>,
}

impl FamilySeen {
    fn get(&self) -> Option<Family> {
        self.seen.as_ref().map(|(f, _)| *f)
    }
}

/// What a route line gives as its destination.
enum Destination {
    /// `default`, `any` or `all`: of the family the rest of the line says (IPv4 if none).
    Any,
    /// A prefix, with its family.
    Prefix(Prefix),
}

impl Parser<'_> {
    /// A `virtual_routes` block: one route per line.
    pub(super) fn instance_routes(&mut self, inst: &mut RawInstance, st: &Stmt) {
        let Some(block) = self.block(
            st,
            "virtual_routes { 192.168.110.0/24 via 192.168.200.254 dev eth1 }",
        ) else {
            return;
        };
        for line in &block.stmts {
            if let Some(route) = self.virtual_route(line) {
                inst.virtual_routes.push(route);
            }
        }
    }

    /// A `virtual_rules` block: one rule per line.
    pub(super) fn instance_rules(&mut self, inst: &mut RawInstance, st: &Stmt) {
        let Some(block) = self.block(
            st,
            "virtual_rules { from 192.168.2.0/24 table 100 preference 100 }",
        ) else {
            return;
        };
        for line in &block.stmts {
            if let Some(raw) = self.virtual_rule(inst, line) {
                inst.virtual_rules.push(raw);
            }
        }
    }

    /// One line of `virtual_routes`, or `None` after reporting what is wrong with it.
    pub(super) fn virtual_route(&mut self, line: &Stmt) -> Option<VirtualRoute> {
        self.no_line_block(line, "route");
        let mut words = line.words.iter();
        let mut family = FamilySeen::default();
        let mut destination: Option<(Destination, &Word)> = None;
        let mut kind: Option<&Word> = None;
        let mut onlink: Option<&Word> = None;
        let mut protocol: Option<&Word> = None;
        // The destination is set once the line is read (its family may come last).
        let mut route = VirtualRoute::new(Prefix::any(Family::Ipv4));
        while let Some(w) = words.next() {
            match w.text.as_str() {
                "inet" => self.line_family(&mut family, Family::Ipv4, w, "route")?,
                "inet6" => self.line_family(&mut family, Family::Ipv6, w, "route")?,
                "src" => {
                    let v = self.value(&mut words, w, "an address", "src 192.168.100.1")?;
                    let addr = self.plain_address(v, "route src")?;
                    self.line_family(&mut family, Family::of(&addr), v, "route")?;
                    route.src = Some(addr);
                }
                "via" | "gw" => {
                    if w.text == "gw" {
                        self.warn(
                            &w.pos,
                            "`gw` is deprecated (keepalived says so too); it means `via`",
                            "write `via` instead of `gw`",
                        );
                    }
                    let mut v = self.value(&mut words, w, "a gateway", "via 192.168.200.254")?;
                    // keepalived allows the gateway's family before it: `via inet6 ADDR`.
                    if let marker @ ("inet" | "inet6") = v.text.as_str() {
                        let said = if marker == "inet" {
                            Family::Ipv4
                        } else {
                            Family::Ipv6
                        };
                        self.line_family(&mut family, said, v, "route")?;
                        v = self.value(&mut words, v, "a gateway", "via inet6 fd00::1")?;
                    }
                    let addr = self.plain_address(v, "route gateway")?;
                    self.line_family(&mut family, Family::of(&addr), v, "route")?;
                    route.via = Some(addr);
                }
                "dev" | "oif" => {
                    let v = self.value(&mut words, w, "an interface", "dev eth1")?;
                    self.interface_name(v)?;
                    route.dev = Some(v.text.clone());
                }
                "table" => {
                    let v = self.value(&mut words, w, "a table", "table 100")?;
                    route.table = Some(self.table(v)?);
                }
                "protocol" => {
                    let v = self.value(&mut words, w, "a protocol", "protocol static")?;
                    route.protocol = Some(self.protocol(v)?);
                    protocol = Some(v);
                }
                "scope" => {
                    let v = self.value(&mut words, w, "a scope", "scope link")?;
                    route.scope = Some(self.scope(v)?);
                }
                "metric" | "priority" | "preference" => {
                    let v = self.value(&mut words, w, "a number", "metric 100")?;
                    route.metric = Some(self.u32_value(v, &w.text)?);
                }
                "onlink" => {
                    route.onlink = true;
                    onlink = Some(w);
                }
                "no_track" => route.no_track = true,
                // keepalived's default, and ours.
                "prepend" => {}
                "to" => {
                    let v = self.value(&mut words, w, "a destination", "to 192.168.109.0/24")?;
                    self.route_destination(&mut destination, v, &mut family)?;
                }
                other => {
                    if let Some(t) = RouteType::from_name(other) {
                        if let Some(first) = kind {
                            self.error(
                                &w.pos,
                                format!("the route already has the type `{}`", first.text),
                                "give one type, before the destination: e.g. `blackhole 192.168.114.0/24`",
                            );
                            return None;
                        }
                        kind = Some(w);
                        route.kind = t;
                        let mut v = self.value(
                            &mut words,
                            w,
                            "a destination",
                            "blackhole 192.168.114.0/24",
                        )?;
                        if v.text == "to" {
                            v = self.value(
                                &mut words,
                                v,
                                "a destination",
                                "blackhole to 192.168.114.0/24",
                            )?;
                        }
                        self.route_destination(&mut destination, v, &mut family)?;
                    } else if let Some((_, why)) = ROUTE_REFUSED.iter().find(|(o, _)| *o == other) {
                        self.error(
                            &w.pos,
                            format!("route option `{other}` is not supported"),
                            *why,
                        );
                        return None;
                    } else if looks_like_prefix(other) {
                        self.route_destination(&mut destination, w, &mut family)?;
                    } else {
                        self.unknown_option(w, "route", ROUTE_OPTIONS);
                        return None;
                    }
                }
            }
        }
        let Some((dest, _)) = destination else {
            self.error(
                line.pos(),
                "the route has no destination",
                "write the destination prefix, e.g. `192.168.110.0/24 via 192.168.200.254 dev eth1` or `0.0.0.0/0 via 192.168.0.1 table 100`",
            );
            return None;
        };
        route.destination = match dest {
            Destination::Any => Prefix::any(family.get().unwrap_or(Family::Ipv4)),
            Destination::Prefix(p) => p,
        };
        if let (Some(word), false) = (protocol, route.no_track) {
            if route.protocol != Some(PROTOCOL_KEEPALIVED) {
                // keepalived watches its tracked routes by their protocol, and resets it.
                self.warn(
                    &word.pos,
                    format!(
                        "`protocol {}` is replaced by `keepalived` because the route is tracked, as keepalived does",
                        word.text
                    ),
                    "add `no_track` to keep the protocol",
                );
                route.protocol = None;
            }
        }
        match route.validate() {
            Ok(()) => Some(route),
            // Filled in with the instance's interface once it is known.
            Err(RouteSpecError::NoNextHop { .. } | RouteSpecError::OnlinkWithoutDevice)
                if route.needs_device() =>
            {
                Some(route)
            }
            Err(e) => {
                let (pos, hint) = match &e {
                    RouteSpecError::NextHopNotAllowed { kind: t } => (
                        kind.map_or(line.pos(), |w| &w.pos),
                        format!("remove via, dev and onlink: a {t} route sends packets nowhere"),
                    ),
                    RouteSpecError::OnlinkWithoutGateway => (
                        onlink.map_or(line.pos(), |w| &w.pos),
                        "add the gateway (`via ADDR`), or remove onlink".to_owned(),
                    ),
                    _ => (
                        line.pos(),
                        "check the line against keepalived.conf(5), virtual_routes".to_owned(),
                    ),
                };
                let pos = pos.clone();
                self.error(&pos, format!("route `{route}`: {e}"), hint);
                None
            }
        }
    }

    /// The destination of a route line (after `to` or a type, or alone).
    fn route_destination<'w>(
        &mut self,
        destination: &mut Option<(Destination, &'w Word)>,
        w: &'w Word,
        family: &mut FamilySeen,
    ) -> Option<()> {
        if let Some((_, first)) = destination {
            let first = first.text.clone();
            self.error(
                &w.pos,
                format!(
                    "the route already has the destination `{first}`; `{}` is a second one",
                    w.text
                ),
                "write one route per line",
            );
            return None;
        }
        let dest = match w.text.as_str() {
            "default" | "any" | "all" => Destination::Any,
            "default6" => {
                self.warn(
                    &w.pos,
                    "`default6` is deprecated (keepalived says so too); it means `inet6 default`",
                    "write `inet6 default`",
                );
                self.line_family(family, Family::Ipv6, w, "route")?;
                Destination::Any
            }
            text => {
                let prefix = self.prefix(w, text, "route destination")?;
                self.line_family(family, prefix.family(), w, "route")?;
                Destination::Prefix(prefix)
            }
        };
        *destination = Some((dest, w));
        Some(())
    }

    /// One line of `virtual_rules`, or `None` after reporting what is wrong with it.
    pub(super) fn virtual_rule(&mut self, inst: &RawInstance, line: &Stmt) -> Option<RawRule> {
        self.no_line_block(line, "rule");
        let mut words = line.words.iter();
        let mut family = FamilySeen::default();
        let mut from: Option<Option<Prefix>> = None;
        let mut to: Option<Option<Prefix>> = None;
        let mut action: Option<(RuleAction, &Word)> = None;
        let mut preference: Option<u32> = None;
        let mut iif = None;
        let mut oif = None;
        let mut fwmark = None;
        let mut tos = None;
        let mut no_track = false;
        while let Some(w) = words.next() {
            let mut new_action = None;
            match w.text.as_str() {
                "inet" => self.line_family(&mut family, Family::Ipv4, w, "rule")?,
                "inet6" => self.line_family(&mut family, Family::Ipv6, w, "rule")?,
                "from" | "to" => {
                    let v =
                        self.value(&mut words, w, "a prefix or `all`", "from 192.168.2.0/24")?;
                    let prefix = match v.text.as_str() {
                        "all" | "any" | "default" => None,
                        text => {
                            let p = self.prefix(v, text, &format!("rule `{}`", w.text))?;
                            self.line_family(&mut family, p.family(), v, "rule")?;
                            Some(p)
                        }
                    };
                    if w.text == "from" {
                        from = Some(prefix);
                    } else {
                        to = Some(prefix);
                    }
                }
                "table" | "lookup" => {
                    let v = self.value(&mut words, w, "a table", "table 100")?;
                    new_action = Some(RuleAction::Lookup(self.table(v)?));
                }
                "preference" | "priority" | "order" | "pref" => {
                    let v = self.value(&mut words, w, "a number", "preference 100")?;
                    preference = Some(self.u32_value(v, &w.text)?);
                }
                "tos" | "dsfield" => {
                    let v = self.value(&mut words, w, "a number 0..=255", "tos 0x10")?;
                    match c_number(&v.text).and_then(|n| u8::try_from(n).ok()) {
                        Some(n) => tos = Some(n),
                        None => {
                            self.error(
                                &v.pos,
                                format!("{} must be a number 0..=255, got `{}`", w.text, v.text),
                                "write the value as a number, e.g. `tos 0x10` (names from /etc/iproute2/rt_dsfield are not read)",
                            );
                            return None;
                        }
                    }
                }
                "fwmark" => {
                    let v = self.value(&mut words, w, "MARK[/MASK]", "fwmark 0x10/0xff")?;
                    fwmark = Some(self.fwmark(v)?);
                }
                "dev" | "iif" => {
                    let v = self.value(&mut words, w, "an interface", "iif eth0")?;
                    self.interface_name(v)?;
                    iif = Some(v.text.clone());
                }
                "oif" => {
                    let v = self.value(&mut words, w, "an interface", "oif eth1")?;
                    self.interface_name(v)?;
                    oif = Some(v.text.clone());
                }
                "no_track" => no_track = true,
                other => {
                    // `type ACTION` is the same as `ACTION`.
                    let a = if other == "type" {
                        self.value(&mut words, w, "an action", "type blackhole")?
                    } else {
                        w
                    };
                    match a.text.as_str() {
                        "goto" => {
                            let v = self.value(&mut words, a, "a preference", "goto 200")?;
                            new_action = Some(RuleAction::Goto(self.u32_value(v, "goto")?));
                        }
                        "blackhole" => new_action = Some(RuleAction::Blackhole),
                        "unreachable" => new_action = Some(RuleAction::Unreachable),
                        "prohibit" => new_action = Some(RuleAction::Prohibit),
                        text => {
                            if let Some((_, why)) = RULE_REFUSED.iter().find(|(o, _)| *o == text) {
                                self.error(
                                    &a.pos,
                                    format!("rule option `{text}` is not supported"),
                                    *why,
                                );
                            } else if RouteType::from_name(text).is_some()
                                || ROUTE_REFUSED.iter().any(|(o, _)| *o == text)
                            {
                                self.error(
                                    &a.pos,
                                    format!("`{text}` is not a rule action"),
                                    "a rule does one of: table N (lookup N), goto N, blackhole, unreachable, prohibit",
                                );
                            } else {
                                self.unknown_option(a, "rule", RULE_OPTIONS);
                            }
                            return None;
                        }
                    }
                }
            }
            if let Some(new) = new_action {
                if let Some((_, first)) = action {
                    self.error(
                        &w.pos,
                        format!("the rule already has the action `{}`", first.text),
                        "give one of: table N (lookup N), goto N, blackhole, unreachable, prohibit",
                    );
                    return None;
                }
                action = Some((new, w));
            }
        }
        let Some((action, action_word)) = action else {
            self.error(
                line.pos(),
                "the rule has no action",
                "add one of: table N (lookup N), goto N, blackhole, unreachable, prohibit; e.g. `from 192.168.2.0/24 table 100 preference 100`",
            );
            return None;
        };
        let family = family.get().unwrap_or(Family::Ipv4);
        let numbered = preference.is_none();
        let preference = match (preference, action) {
            (Some(p), _) => p,
            (None, RuleAction::Goto(_)) => {
                self.error(
                    &action_word.pos,
                    "a rule with `goto` needs a preference (it may only jump forward from it)",
                    "add e.g. `preference 100`",
                );
                return None;
            }
            (None, _) => {
                let taken = self
                    .instances
                    .iter()
                    .flat_map(|i| i.virtual_rules.iter())
                    .chain(inst.virtual_rules.iter())
                    .filter(|r| r.numbered && r.rule.family == family)
                    .count();
                let assigned = u32::try_from(taken)
                    .ok()
                    .and_then(|n| FIRST_ASSIGNED_PREFERENCE.checked_sub(n))
                    .unwrap_or(0);
                self.warn(
                    line.pos(),
                    format!("the rule has no preference: it gets {assigned}, as keepalived numbers such rules ({FIRST_ASSIGNED_PREFERENCE} for the first of each family, one less for each next)"),
                    "give each rule a preference, e.g. `preference 100`, so that their order is the one you mean",
                );
                assigned
            }
        };
        let mut rule = VirtualRule::new(family, preference, action);
        rule.from = from.flatten();
        rule.to = to.flatten();
        rule.iif = iif;
        rule.oif = oif;
        rule.fwmark = fwmark;
        rule.tos = tos;
        rule.no_track = no_track;
        if let Err(e) = rule.validate() {
            let (pos, hint) = match e {
                RouteSpecError::GotoBackwards { .. } => (
                    &action_word.pos,
                    "jump to a preference above the rule's own",
                ),
                _ => (
                    line.pos(),
                    "check the line against keepalived.conf(5), virtual_rules",
                ),
            };
            let pos = pos.clone();
            self.error(&pos, format!("rule `{rule}`: {e}"), hint);
            return None;
        }
        Some(RawRule { rule, numbered })
    }

    /// A route or rule line has no block.
    fn no_line_block(&mut self, line: &Stmt, what: &str) {
        if let Some(block) = &line.block {
            self.error(
                &block.open,
                format!("a {what} does not take a `{{ ... }}` block"),
                format!("write one {what} per line"),
            );
        }
    }

    /// The word after option `opt`, or an error that says what it needs.
    fn value<'a>(
        &mut self,
        words: &mut std::slice::Iter<'a, Word>,
        opt: &Word,
        what: &str,
        example: &str,
    ) -> Option<&'a Word> {
        let value = words.next();
        if value.is_none() {
            self.error(
                &opt.pos,
                format!("`{}` needs a value: {what}", opt.text),
                format!("write e.g. `{example}`"),
            );
        }
        value
    }

    /// Records the family `word` says; an error if another word said the other one.
    fn line_family(
        &mut self,
        seen: &mut FamilySeen,
        family: Family,
        word: &Word,
        what: &str,
    ) -> Option<()> {
        match &seen.seen {
            None => {
                seen.seen = Some((family, word.text.clone()));
                Some(())
            }
            Some((f, _)) if *f == family => Some(()),
            Some((f, by)) => {
                let message = format!(
                    "cannot mix IPv4 and IPv6 in one {what}: `{}` is {family}, but `{by}` made it {f}",
                    word.text
                );
                self.error(
                    &word.pos,
                    message,
                    format!("a {what}'s addresses are all IPv4 or all IPv6 (a gateway of the other family is not supported); `inet6` makes a {what} IPv6 where nothing else says so"),
                );
                None
            }
        }
    }

    /// An address without a prefix length (`src`, `via`).
    fn plain_address(&mut self, w: &Word, what: &str) -> Option<std::net::IpAddr> {
        match w.text.parse() {
            Ok(addr) => Some(addr),
            Err(_) => {
                self.error(
                    &w.pos,
                    format!("{what} must be an IP address, got `{}`", w.text),
                    "write an address without a prefix length, e.g. 192.168.200.254 or fd00::1",
                );
                None
            }
        }
    }

    /// `ADDR[/LEN]` as a prefix: no host bits, as ip and the kernel require.
    fn prefix(&mut self, w: &Word, text: &str, what: &str) -> Option<Prefix> {
        match text.parse::<Prefix>() {
            Ok(prefix) => Some(prefix),
            Err(e) => {
                let hint = match &e {
                    RouteSpecError::HostBitsSet { network, .. } => format!(
                        "write the network, `{network}`, or the one address with /32 (/128 for IPv6)"
                    ),
                    _ => "write ADDR/LEN, e.g. 192.168.110.0/24 or fd00:110::/64, or `default`"
                        .to_owned(),
                };
                self.error(&w.pos, format!("{what}: {e}"), hint);
                None
            }
        }
    }

    /// An interface name the kernel could have.
    fn interface_name(&mut self, w: &Word) -> Option<()> {
        match validate_ifname(&w.text) {
            Ok(()) => Some(()),
            Err(e) => {
                self.error(
                    &w.pos,
                    e.to_string(),
                    "write the name `ip link` shows, e.g. `dev eth1`",
                );
                None
            }
        }
    }

    /// `table`: a number, or `local`, `main`, `default`.
    fn table(&mut self, w: &Word) -> Option<u32> {
        let table = table_by_name(&w.text)
            .or_else(|| c_number(&w.text).and_then(|n| u32::try_from(n).ok()));
        match table {
            Some(0) => {
                self.error(
                    &w.pos,
                    "table 0 is not a routing table",
                    "write `table main` (what the kernel makes of 0) or another table",
                );
                None
            }
            Some(table) => Some(table),
            None => {
                self.error(
                    &w.pos,
                    format!("unknown routing table `{}`", w.text),
                    "write a number 1..=4294967295 or local, main, default (names from /etc/iproute2/rt_tables are not read)",
                );
                None
            }
        }
    }

    /// `protocol`: a number 0..=255 or a name from iproute2's rt_protos.
    fn protocol(&mut self, w: &Word) -> Option<u8> {
        let protocol = protocol_by_name(&w.text)
            .or_else(|| c_number(&w.text).and_then(|n| u8::try_from(n).ok()));
        if protocol.is_none() {
            self.error(
                &w.pos,
                format!("unknown route protocol `{}`", w.text),
                "write a number 0..=255 or a name iproute2 knows (static, boot, bird, keepalived, ...)",
            );
        }
        protocol
    }

    /// `scope`: global (universe), site, link, host or their numbers.
    fn scope(&mut self, w: &Word) -> Option<RouteScope> {
        let scope = RouteScope::from_name(&w.text).or_else(|| {
            c_number(&w.text)
                .and_then(|n| u8::try_from(n).ok())
                .and_then(RouteScope::from_number)
        });
        if scope.is_none() {
            self.error(
                &w.pos,
                format!("`{}` is not a route scope", w.text),
                "write global, site, link or host (the kernel refuses nowhere for a route)",
            );
        }
        scope
    }

    /// A number 0..=4294967295 (keepalived reads it as C does: 0x hex, leading 0 octal).
    fn u32_value(&mut self, w: &Word, what: &str) -> Option<u32> {
        let n = c_number(&w.text).and_then(|n| u32::try_from(n).ok());
        if n.is_none() {
            self.error(
                &w.pos,
                format!("{what} must be a number 0..=4294967295, got `{}`", w.text),
                format!("write e.g. `{what} 100`"),
            );
        }
        n
    }

    /// `fwmark MARK[/MASK]`.
    fn fwmark(&mut self, w: &Word) -> Option<Fwmark> {
        let number = |t: &str| c_number(t).and_then(|n| u32::try_from(n).ok());
        let parsed = match w.text.split_once('/') {
            None => number(&w.text).map(|mark| Fwmark { mark, mask: None }),
            Some((mark, mask)) => number(mark).zip(number(mask)).map(|(mark, mask)| Fwmark {
                mark,
                mask: Some(mask),
            }),
        };
        if parsed.is_none() {
            self.error(
                &w.pos,
                format!(
                    "fwmark must be MARK or MARK/MASK, numbers 0..=4294967295, got `{}`",
                    w.text
                ),
                "write e.g. `fwmark 0x10` or `fwmark 0x10/0xff`",
            );
        }
        parsed
    }

    /// An option of a route or rule line that nobody knows.
    fn unknown_option(&mut self, w: &Word, what: &str, known: &[&str]) {
        let hint = match nearest(&w.text, known.iter().copied()) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!(
                "check the {what} against keepalived.conf(5); its options are {}",
                known.join(", ")
            ),
        };
        let pos: Pos = w.pos.clone();
        self.error(&pos, format!("unknown {what} option `{}`", w.text), hint);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::{parse_str, Diagnostic, Parsed, Severity};
    use std::net::IpAddr;
    use vrrp_io::route::{TABLE_LOCAL, TABLE_MAIN};

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
            (21, "the route already has the destination `10.1.0.0/16`; `10.2.0.0/16` is a second one".to_owned())
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
        let parsed =
            parse("    virtual_routes {\n        10.0.0.0/8 dev eth1 {\n        }\n    }\n");
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
}
