//! The [`Netlink`] methods that add and remove routes and rules, and the rtnetlink
//! messages they send.

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteHeader, RouteMessage,
    RouteProtocol as NlProtocol, RouteScope as NlScope,
};
use netlink_packet_route::rule::{RuleAction as NlAction, RuleAttribute, RuleMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use vrrp_core::Family;

use super::{RuleAction, VirtualRoute, VirtualRule, PROTOCOL_KEEPALIVED, TABLE_MAIN};
use crate::error::{Error, Result};
use crate::netlink::{AddOutcome, DelOutcome, Netlink};

impl Netlink {
    /// Installs `route`, like `ip route prepend` (keepalived's default): a route with
    /// the same destination and metric but another next hop is kept, after this one.
    ///
    /// `ifindex` is the route's device when the caller has resolved `route.dev` already
    /// (a cache, say); `None` looks `route.dev` up by name here, or sends no device if
    /// the route has none.
    ///
    /// - The identical route is there already: [`AddOutcome::AlreadyPresent`].
    /// - Invalid as written: [`Error::InvalidRoute`], before the kernel is asked.
    /// - `route.dev` does not exist: [`Error::InterfaceNotFound`]; `ifindex` does not:
    ///   [`Error::InterfaceIndexNotFound`].
    /// - Anything else the kernel refuses (a gateway it cannot reach: ENETUNREACH; a
    ///   device that is down: ENETDOWN) is an [`Error::Netlink`] with the errno.
    pub fn add_route(&mut self, route: &VirtualRoute, ifindex: Option<u32>) -> Result<AddOutcome> {
        route.validate()?;
        let oif = match (ifindex, &route.dev) {
            (Some(index), _) => Some(index),
            (None, Some(name)) => Some(self.ifindex(name)?),
            (None, None) => None,
        };
        let msg = route_message(route, oif, Request::Add);
        // Without NLM_F_EXCL the kernel adds the route unless the identical one exists,
        // and says EEXIST only then (with it, any route to the destination would do).
        match self.request(
            RouteNetlinkMessage::NewRoute(msg),
            NLM_F_CREATE,
            "add route",
        ) {
            Ok(_) => Ok(AddOutcome::Added),
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => Ok(AddOutcome::AlreadyPresent),
            Err(e) => Err(match (e.raw_os_error(), oif) {
                (Some(libc::ENODEV), Some(ifindex)) => Error::InterfaceIndexNotFound { ifindex },
                _ => e,
            }),
        }
    }

    /// Removes `route`, like `ip route del`, matching its destination, table, type,
    /// protocol and whatever else it gives (device, gateway, metric, scope, source):
    /// a route of another protocol, such as an administrator's identical one, stays.
    ///
    /// `ifindex` as for [`Netlink::add_route`]. Not there, or its device gone (which
    /// took the route with it): [`DelOutcome::NotPresent`].
    pub fn del_route(&mut self, route: &VirtualRoute, ifindex: Option<u32>) -> Result<DelOutcome> {
        route.validate()?;
        let oif = match (ifindex, &route.dev) {
            (Some(index), _) => Some(index),
            (None, Some(name)) => match self.ifindex(name) {
                Ok(index) => Some(index),
                Err(Error::InterfaceNotFound { .. }) => return Ok(DelOutcome::NotPresent),
                Err(e) => return Err(e),
            },
            (None, None) => None,
        };
        let msg = route_message(route, oif, Request::Delete);
        match self.request(RouteNetlinkMessage::DelRoute(msg), 0, "remove route") {
            Ok(_) => Ok(DelOutcome::Removed),
            // ESRCH: no such route (or table); ENODEV: the device, and so its routes,
            // went away.
            Err(e) if matches!(e.raw_os_error(), Some(libc::ESRCH | libc::ENODEV)) => {
                Ok(DelOutcome::NotPresent)
            }
            Err(e) => Err(e),
        }
    }

    /// Installs `rule`, like `ip rule add`, with protocol `keepalived`. The identical
    /// rule is there already: [`AddOutcome::AlreadyPresent`].
    ///
    /// `iif` and `oif` go to the kernel as names, which it resolves itself: a rule for
    /// an interface that does not exist (yet) is accepted and stays inactive until the
    /// interface appears, so there is nothing to look up here.
    pub fn add_rule(&mut self, rule: &VirtualRule) -> Result<AddOutcome> {
        rule.validate()?;
        let msg = rule_message(rule);
        match self.request(
            RouteNetlinkMessage::NewRule(msg),
            NLM_F_CREATE | NLM_F_EXCL,
            "add rule",
        ) {
            Ok(_) => Ok(AddOutcome::Added),
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => Ok(AddOutcome::AlreadyPresent),
            Err(e) => Err(e),
        }
    }

    /// Removes `rule`, like `ip rule del`, matching all it gives and the protocol
    /// `keepalived`. Not there: [`DelOutcome::NotPresent`].
    pub fn del_rule(&mut self, rule: &VirtualRule) -> Result<DelOutcome> {
        rule.validate()?;
        let msg = rule_message(rule);
        match self.request(RouteNetlinkMessage::DelRule(msg), 0, "remove rule") {
            Ok(_) => Ok(DelOutcome::Removed),
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(DelOutcome::NotPresent),
            Err(e) => Err(e),
        }
    }
}

/// Which request a route message is for: they differ in what is left as a wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Request {
    Add,
    Delete,
}

fn address_family(family: Family) -> AddressFamily {
    match family {
        Family::Ipv4 => AddressFamily::Inet,
        Family::Ipv6 => AddressFamily::Inet6,
    }
}

/// The table in the header's 8-bit field when it fits (older kernels read only that),
/// and always in RTA_TABLE / FRA_TABLE, as iproute2 sends it.
fn header_table(table: u32) -> u8 {
    u8::try_from(table).unwrap_or(RouteHeader::RT_TABLE_UNSPEC)
}

pub(super) fn route_message(
    route: &VirtualRoute,
    oif: Option<u32>,
    request: Request,
) -> RouteMessage {
    let table = route.table.unwrap_or(TABLE_MAIN);
    let mut msg = RouteMessage::default();
    let header = &mut msg.header;
    header.address_family = address_family(route.family());
    header.destination_prefix_length = route.destination.prefix_len();
    header.table = header_table(table);
    header.protocol = NlProtocol::from(route.protocol_or_default());
    header.kind = route.kind.netlink();
    // On delete, no scope (RT_SCOPE_NOWHERE) matches any; on add the kernel's default
    // is global, which keepalived uses for every route.
    header.scope = match (route.scope, request) {
        (Some(scope), _) => scope.netlink(),
        (None, Request::Add) => NlScope::Universe,
        (None, Request::Delete) => NlScope::NoWhere,
    };
    if route.onlink {
        header.flags = RouteFlags::Onlink;
    }
    let attrs = &mut msg.attributes;
    attrs.push(RouteAttribute::Table(table));
    if !route.destination.is_any() {
        attrs.push(RouteAttribute::Destination(RouteAddress::from(
            route.destination.addr(),
        )));
    }
    if let Some(via) = route.via {
        attrs.push(RouteAttribute::Gateway(RouteAddress::from(via)));
    }
    if let Some(oif) = oif {
        attrs.push(RouteAttribute::Oif(oif));
    }
    if let Some(src) = route.src {
        attrs.push(RouteAttribute::PrefSource(RouteAddress::from(src)));
    }
    if let Some(metric) = route.metric {
        attrs.push(RouteAttribute::Priority(metric));
    }
    msg
}

pub(super) fn rule_message(rule: &VirtualRule) -> RuleMessage {
    let mut msg = RuleMessage::default();
    let header = &mut msg.header;
    header.family = address_family(rule.family);
    header.tos = rule.tos.unwrap_or(0);
    header.action = match rule.action {
        RuleAction::Lookup(_) => NlAction::ToTable,
        RuleAction::Blackhole => NlAction::Blackhole,
        RuleAction::Unreachable => NlAction::Unreachable,
        RuleAction::Prohibit => NlAction::Prohibit,
        RuleAction::Goto(_) => NlAction::Goto,
    };
    let attrs = &mut msg.attributes;
    if let Some(from) = rule.from.filter(|p| !p.is_any()) {
        header.src_len = from.prefix_len();
        attrs.push(RuleAttribute::Source(from.addr()));
    }
    if let Some(to) = rule.to.filter(|p| !p.is_any()) {
        header.dst_len = to.prefix_len();
        attrs.push(RuleAttribute::Destination(to.addr()));
    }
    match rule.action {
        RuleAction::Lookup(table) => {
            header.table = header_table(table);
            attrs.push(RuleAttribute::Table(table));
        }
        RuleAction::Goto(target) => attrs.push(RuleAttribute::Goto(target)),
        _ => {}
    }
    attrs.push(RuleAttribute::Priority(rule.preference));
    if let Some(fwmark) = rule.fwmark {
        attrs.push(RuleAttribute::FwMark(fwmark.mark));
        if let Some(mask) = fwmark.mask {
            attrs.push(RuleAttribute::FwMask(mask));
        }
    }
    if let Some(iif) = &rule.iif {
        attrs.push(RuleAttribute::Iifname(iif.clone()));
    }
    if let Some(oif) = &rule.oif {
        attrs.push(RuleAttribute::Oifname(oif.clone()));
    }
    // keepalived leaves the protocol out for no_track rules; always sending it lets a
    // delete match only our rules, never an administrator's identical one.
    attrs.push(RuleAttribute::Protocol(NlProtocol::from(
        PROTOCOL_KEEPALIVED,
    )));
    msg
}
