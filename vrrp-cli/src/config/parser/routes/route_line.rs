//! One line of `virtual_routes`: the route options we read and those we refuse.

use vrrp_core::Family;
use vrrp_io::route::{Prefix, RouteSpecError, RouteType, VirtualRoute, PROTOCOL_KEEPALIVED};

use super::values::FamilySeen;
use crate::config::parser::Parser;
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
pub(super) const ROUTE_REFUSED: &[(&str, &str)] = &[
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

/// True if `word` is meant as an address or prefix rather than an option.
fn looks_like_prefix(word: &str) -> bool {
    matches!(word, "default" | "any" | "all" | "default6")
        || word.starts_with(|c: char| c.is_ascii_digit())
        || word.contains(':')
}

/// What a route line gives as its destination.
enum Destination {
    /// `default`, `any` or `all`: of the family the rest of the line says (IPv4 if none).
    Any,
    /// A prefix, with its family.
    Prefix(Prefix),
}

impl Parser<'_> {
    /// One line of `virtual_routes`, or `None` after reporting what is wrong with it.
    pub(in crate::config::parser) fn virtual_route(&mut self, line: &Stmt) -> Option<VirtualRoute> {
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
}
