//! Virtual routes and rules (keepalived's `virtual_routes` / `virtual_rules`) over rtnetlink.
//!
//! A [`VirtualRoute`] is one line of `ip route add`, a [`VirtualRule`] one line of
//! `ip rule add`; both print themselves in that syntax ([`fmt::Display`]), for logs and
//! errors. [`VirtualRoute::validate`] and [`VirtualRule::validate`] refuse what the kernel
//! would refuse, with a [`RouteSpecError`] that says why; the [`Netlink`] methods
//! [`add_route`](Netlink::add_route), [`del_route`](Netlink::del_route),
//! [`add_rule`](Netlink::add_rule) and [`del_rule`](Netlink::del_rule) validate first and
//! then install or remove, idempotently like the virtual addresses: adding what is
//! already there is [`AddOutcome::AlreadyPresent`], removing what is gone
//! [`DelOutcome::NotPresent`].
//!
//! As keepalived does, routes and rules are installed with protocol 18 (`proto
//! keepalived` in `ip route` / `ip rule`) unless a route says otherwise, and removed only
//! when that protocol matches: an administrator's own identical route (`proto boot` or
//! `static`) is never removed.
//!
//! ```no_run
//! use vrrp_io::netlink::{AddOutcome, Netlink};
//! use vrrp_io::route::{Prefix, VirtualRoute};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut nl = Netlink::open()?;
//! let mut route = VirtualRoute::new("192.168.110.0/24".parse::<Prefix>()?);
//! route.via = Some("192.168.200.254".parse()?);
//! route.dev = Some("eth1".to_owned());
//! if nl.add_route(&route, None)? == AddOutcome::AlreadyPresent {
//!     println!("{route} was already there");
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteHeader, RouteMessage,
    RouteProtocol as NlProtocol, RouteScope as NlScope, RouteType as NlType,
};
use netlink_packet_route::rule::{RuleAction as NlAction, RuleAttribute, RuleMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use vrrp_core::Family;

use crate::error::{Error, Result};
use crate::netlink::{validate_ifname, AddOutcome, DelOutcome, Netlink};

/// The routing table `main` (254): where routes go when no table is given.
pub const TABLE_MAIN: u32 = 254;
/// The routing table `local` (255): the kernel's local and broadcast routes.
pub const TABLE_LOCAL: u32 = 255;
/// The routing table `default` (253): consulted last by the default rules.
pub const TABLE_DEFAULT: u32 = 253;

/// The route and rule protocol keepalived uses (RTPROT_KEEPALIVED, `proto keepalived`);
/// ours too, so that a host moving from keepalived to vrrp keeps recognising its routes.
pub const PROTOCOL_KEEPALIVED: u8 = 18;

/// The names iproute2 gives to table numbers (`/etc/iproute2/rt_tables` may add more;
/// those are not read).
const TABLE_NAMES: &[(&str, u32)] = &[
    ("default", TABLE_DEFAULT),
    ("main", TABLE_MAIN),
    ("local", TABLE_LOCAL),
];

/// iproute2's `rt_protos` names; keepalived's own list calls 0 `none`.
const PROTOCOL_NAMES: &[(&str, u8)] = &[
    ("unspec", 0),
    ("none", 0),
    ("redirect", 1),
    ("kernel", 2),
    ("boot", 3),
    ("static", 4),
    ("gated", 8),
    ("ra", 9),
    ("mrt", 10),
    ("zebra", 11),
    ("bird", 12),
    ("dnrouted", 13),
    ("xorp", 14),
    ("ntk", 15),
    ("dhcp", 16),
    ("keepalived", PROTOCOL_KEEPALIVED),
    ("babel", 42),
    ("openr", 99),
    ("bgp", 186),
    ("isis", 187),
    ("ospf", 188),
    ("rip", 189),
    ("eigrp", 192),
];

/// The table number of a name iproute2 always knows (`local`, `main`, `default`).
pub fn table_by_name(name: &str) -> Option<u32> {
    TABLE_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, id)| *id)
}

/// The name of table `id`, if it has one of the built-in names.
pub fn table_name(id: u32) -> Option<&'static str> {
    TABLE_NAMES.iter().find(|(_, t)| *t == id).map(|(n, _)| *n)
}

/// The protocol number of a name in iproute2's `rt_protos` (`static`, `bird`, ...).
pub fn protocol_by_name(name: &str) -> Option<u8> {
    PROTOCOL_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, id)| *id)
}

/// The name iproute2 prints for protocol `id`, if it has one.
pub fn protocol_name(id: u8) -> Option<&'static str> {
    // `unspec` before `none`: what `ip` prints.
    PROTOCOL_NAMES
        .iter()
        .find(|(_, p)| *p == id)
        .map(|(n, _)| *n)
}

/// Why a route or rule cannot be installed as written. Each is refused before the
/// kernel is asked, because the kernel would refuse it with a bare errno.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RouteSpecError {
    /// The text is not `ADDR` or `ADDR/LEN`.
    #[error("{text:?} is not an IP prefix (write ADDR or ADDR/LEN, e.g. 192.168.1.0/24)")]
    NotAPrefix {
        /// The text.
        text: String,
    },

    /// The prefix length does not fit the address family.
    #[error(
        "prefix length {prefix_len} is too long for {addr} (at most 32 for IPv4, 128 for IPv6)"
    )]
    PrefixTooLong {
        /// The address.
        addr: IpAddr,
        /// The length given.
        prefix_len: u8,
    },

    /// A prefix with bits set after its length: `10.0.0.1/8`. The kernel refuses such an
    /// IPv4 route and `ip` refuses the prefix, so it is refused here too rather than
    /// masked silently: it is usually a typo for a host route or for another length.
    #[error("{addr}/{prefix_len} has host bits set; the network is {network}")]
    HostBitsSet {
        /// The address as written.
        addr: IpAddr,
        /// The length as written.
        prefix_len: u8,
        /// The prefix with the host bits cleared.
        network: Prefix,
    },

    /// An address of the other family than the route's or rule's.
    #[error("{what} {addr} is {}, but the {of} is {family}", Family::of(addr))]
    FamilyMismatch {
        /// Which address (`via`, `src`, `from`, `to`).
        what: &'static str,
        /// The address.
        addr: IpAddr,
        /// `route` or `rule`.
        of: &'static str,
        /// The family of the route or rule.
        family: Family,
    },

    /// A unicast route with neither a gateway nor a device: the kernel cannot tell where
    /// its packets go.
    #[error("route {destination} has neither a gateway (via) nor a device (dev)")]
    NoNextHop {
        /// The route's destination.
        destination: Prefix,
    },

    /// A blackhole / unreachable / prohibit / throw route with a gateway, device or
    /// `onlink`: it sends nothing anywhere, and the kernel refuses them.
    #[error("a {kind} route takes no gateway (via), device (dev) or onlink")]
    NextHopNotAllowed {
        /// The route type.
        kind: RouteType,
    },

    /// `onlink` without a gateway: it says the gateway is on the link.
    #[error("onlink needs a gateway (via): it declares the gateway reachable on the device")]
    OnlinkWithoutGateway,

    /// `onlink` without a device: the kernel needs the link the gateway is on.
    #[error("onlink needs a device (dev): the link the gateway is on")]
    OnlinkWithoutDevice,

    /// Table 0 (RT_TABLE_UNSPEC) is not a table: the kernel reads it as `main` for
    /// routes and refuses it for rules.
    #[error("table 0 is not a routing table; write `table main` or leave the table out")]
    TableZero,

    /// A `goto` to a preference at or before the rule's own: the kernel only jumps
    /// forward.
    #[error(
        "goto {target} from preference {preference}: a rule can only jump to a higher preference"
    )]
    GotoBackwards {
        /// The rule's preference.
        preference: u32,
        /// The target preference.
        target: u32,
    },

    /// The interface name (dev, iif, oif) cannot be a Linux interface name.
    #[error("{name:?} is not a valid interface name: {reason}")]
    InterfaceName {
        /// The name.
        name: String,
        /// Why it was rejected.
        reason: &'static str,
    },
}

/// An IP prefix: an address and a length, with no bits set after the length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Prefix {
    addr: IpAddr,
    len: u8,
}

impl Prefix {
    /// `addr/len`, refused if `len` is longer than the family allows or `addr` has bits
    /// set after `len` ([`RouteSpecError::HostBitsSet`]).
    pub fn new(addr: IpAddr, len: u8) -> Result<Self, RouteSpecError> {
        let family = Family::of(&addr);
        if len > family.max_prefix_len() {
            return Err(RouteSpecError::PrefixTooLong {
                addr,
                prefix_len: len,
            });
        }
        let network = Prefix {
            addr: mask(addr, len),
            len,
        };
        if network.addr != addr {
            return Err(RouteSpecError::HostBitsSet {
                addr,
                prefix_len: len,
                network,
            });
        }
        Ok(network)
    }

    /// The single address `addr` (/32 or /128).
    pub fn host(addr: IpAddr) -> Self {
        let len = Family::of(&addr).max_prefix_len();
        Prefix { addr, len }
    }

    /// Everything: `0.0.0.0/0` or `::/0`, the default route's destination.
    pub const fn any(family: Family) -> Self {
        let addr = match family {
            Family::Ipv4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            Family::Ipv6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        };
        Prefix { addr, len: 0 }
    }

    /// The network address.
    pub const fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    pub const fn prefix_len(&self) -> u8 {
        self.len
    }

    /// The address family.
    pub const fn family(&self) -> Family {
        Family::of(&self.addr)
    }

    /// True for `0.0.0.0/0` and `::/0`.
    pub const fn is_any(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl FromStr for Prefix {
    type Err = RouteSpecError;

    /// `ADDR/LEN`, or `ADDR` alone for a host prefix.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let not_a_prefix = || RouteSpecError::NotAPrefix {
            text: text.to_owned(),
        };
        match text.split_once('/') {
            None => text.parse().map(Prefix::host).map_err(|_| not_a_prefix()),
            Some((addr, len)) => {
                let addr: IpAddr = addr.parse().map_err(|_| not_a_prefix())?;
                if !len.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(not_a_prefix());
                }
                let len = len.parse::<u8>().map_err(|_| not_a_prefix())?;
                Prefix::new(addr, len)
            }
        }
    }
}

/// `addr` with the bits after `len` cleared.
fn mask(addr: IpAddr, len: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let keep = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & keep))
        }
        IpAddr::V6(a) => {
            let keep = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & keep))
        }
    }
}

/// What a route does with the packets it matches (`ip route add TYPE ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RouteType {
    /// Forward them, to a gateway or directly on a device.
    #[default]
    Unicast,
    /// Drop them silently.
    Blackhole,
    /// Drop them with ICMP unreachable.
    Unreachable,
    /// Drop them with ICMP administratively prohibited.
    Prohibit,
    /// Stop looking in this table: the next rule's table decides.
    Throw,
}

impl RouteType {
    const ALL: [RouteType; 5] = [
        RouteType::Unicast,
        RouteType::Blackhole,
        RouteType::Unreachable,
        RouteType::Prohibit,
        RouteType::Throw,
    ];

    /// The word `ip route` uses.
    pub const fn name(self) -> &'static str {
        match self {
            RouteType::Unicast => "unicast",
            RouteType::Blackhole => "blackhole",
            RouteType::Unreachable => "unreachable",
            RouteType::Prohibit => "prohibit",
            RouteType::Throw => "throw",
        }
    }

    /// The type called `name` in `ip route` (`blackhole`, ...).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// True for the types that forward packets, and so take a gateway and a device.
    pub const fn forwards(self) -> bool {
        matches!(self, RouteType::Unicast)
    }

    fn netlink(self) -> NlType {
        match self {
            RouteType::Unicast => NlType::Unicast,
            RouteType::Blackhole => NlType::BlackHole,
            RouteType::Unreachable => NlType::Unreachable,
            RouteType::Prohibit => NlType::Prohibit,
            RouteType::Throw => NlType::Throw,
        }
    }
}

impl fmt::Display for RouteType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How far a route's destination is (IPv4; IPv6 routes ignore it). `nowhere` is not
/// here: the kernel refuses it for a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteScope {
    /// Anywhere (`global`, also called `universe`; 0): the kernel's default.
    Global,
    /// Inside the site (200).
    Site,
    /// On the link (253): what `ip` gives a route without a gateway.
    Link,
    /// On this host (254).
    Host,
}

impl RouteScope {
    const ALL: [RouteScope; 4] = [
        RouteScope::Global,
        RouteScope::Site,
        RouteScope::Link,
        RouteScope::Host,
    ];

    /// The word `ip route` prints.
    pub const fn name(self) -> &'static str {
        match self {
            RouteScope::Global => "global",
            RouteScope::Site => "site",
            RouteScope::Link => "link",
            RouteScope::Host => "host",
        }
    }

    /// The value in the route message (RT_SCOPE_*).
    pub const fn number(self) -> u8 {
        match self {
            RouteScope::Global => 0,
            RouteScope::Site => 200,
            RouteScope::Link => 253,
            RouteScope::Host => 254,
        }
    }

    /// The scope called `name` (`global` or `universe`, `site`, `link`, `host`).
    pub fn from_name(name: &str) -> Option<Self> {
        if name == "universe" {
            return Some(RouteScope::Global);
        }
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The scope with value `number`, if it is one a route can have.
    pub fn from_number(number: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.number() == number)
    }

    fn netlink(self) -> NlScope {
        match self {
            RouteScope::Global => NlScope::Universe,
            RouteScope::Site => NlScope::Site,
            RouteScope::Link => NlScope::Link,
            RouteScope::Host => NlScope::Host,
        }
    }
}

impl fmt::Display for RouteScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One route of `virtual_routes`: installed while the instance is master.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VirtualRoute {
    /// Where the route leads (`0.0.0.0/0` / `::/0` for a default route).
    pub destination: Prefix,
    /// What it does with the packets (unicast unless given).
    pub kind: RouteType,
    /// `src`: the preferred source address for packets this host sends along it.
    pub src: Option<IpAddr>,
    /// `via`: the gateway (of the destination's family).
    pub via: Option<IpAddr>,
    /// `dev`: the outgoing interface, by name.
    pub dev: Option<String>,
    /// `table`: the routing table; `None` is `main` ([`TABLE_MAIN`]).
    pub table: Option<u32>,
    /// `metric` (keepalived also says `priority` or `preference`): lower wins. `None`
    /// is the kernel's default (0 for IPv4, 1024 for IPv6).
    pub metric: Option<u32>,
    /// `scope` (IPv4); `None` is `global`, as keepalived installs every route.
    pub scope: Option<RouteScope>,
    /// `onlink`: the gateway is on the device's link even if no address says so.
    pub onlink: bool,
    /// `protocol`: who installed the route; `None` is [`PROTOCOL_KEEPALIVED`].
    pub protocol: Option<u8>,
    /// `no_track` (keepalived): the instance does not leave master state when the route
    /// disappears; it comes back at the next transition to master.
    pub no_track: bool,
}

impl VirtualRoute {
    /// A unicast route to `destination` in table `main`, with nothing else set.
    pub fn new(destination: Prefix) -> Self {
        VirtualRoute {
            destination,
            kind: RouteType::Unicast,
            src: None,
            via: None,
            dev: None,
            table: None,
            metric: None,
            scope: None,
            onlink: false,
            protocol: None,
            no_track: false,
        }
    }

    /// The address family (the destination's).
    pub const fn family(&self) -> Family {
        self.destination.family()
    }

    /// The protocol it is installed with.
    pub fn protocol_or_default(&self) -> u8 {
        self.protocol.unwrap_or(PROTOCOL_KEEPALIVED)
    }

    /// True when the kernel needs a device for this route and none is given: a unicast
    /// route without a gateway, or with `onlink`. A caller with a sensible default (the
    /// instance's interface) fills it in.
    pub fn needs_device(&self) -> bool {
        self.dev.is_none() && self.kind.forwards() && (self.via.is_none() || self.onlink)
    }

    /// Checks what the kernel would refuse: addresses of the other family, a next hop
    /// on a route type that sends nothing, no next hop on a unicast route, `onlink`
    /// without gateway or device, table 0, a bad interface name.
    pub fn validate(&self) -> Result<(), RouteSpecError> {
        let family = self.family();
        for (what, addr) in [("via", self.via), ("src", self.src)] {
            if let Some(addr) = addr {
                if Family::of(&addr) != family {
                    return Err(RouteSpecError::FamilyMismatch {
                        what,
                        addr,
                        of: "route",
                        family,
                    });
                }
            }
        }
        if self.table == Some(0) {
            return Err(RouteSpecError::TableZero);
        }
        if let Some(dev) = &self.dev {
            check_ifname(dev)?;
        }
        if !self.kind.forwards() {
            if self.via.is_some() || self.dev.is_some() || self.onlink {
                return Err(RouteSpecError::NextHopNotAllowed { kind: self.kind });
            }
            return Ok(());
        }
        if self.onlink && self.via.is_none() {
            return Err(RouteSpecError::OnlinkWithoutGateway);
        }
        if self.onlink && self.dev.is_none() {
            return Err(RouteSpecError::OnlinkWithoutDevice);
        }
        if self.via.is_none() && self.dev.is_none() {
            return Err(RouteSpecError::NoNextHop {
                destination: self.destination,
            });
        }
        Ok(())
    }
}

impl fmt::Display for VirtualRoute {
    /// The arguments of `ip route add` for this route (the protocol only when it is not
    /// the default, `no_track` not at all: it is not `ip`'s).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind != RouteType::Unicast {
            write!(f, "{} ", self.kind)?;
        }
        write!(f, "{}", self.destination)?;
        if let Some(via) = self.via {
            write!(f, " via {via}")?;
        }
        if let Some(dev) = &self.dev {
            write!(f, " dev {dev}")?;
        }
        if let Some(src) = self.src {
            write!(f, " src {src}")?;
        }
        if let Some(table) = self.table {
            write!(f, " table {}", TableName(table))?;
        }
        if let Some(metric) = self.metric {
            write!(f, " metric {metric}")?;
        }
        if let Some(scope) = self.scope {
            write!(f, " scope {scope}")?;
        }
        if let Some(protocol) = self.protocol {
            match protocol_name(protocol) {
                Some(name) => write!(f, " proto {name}")?,
                None => write!(f, " proto {protocol}")?,
            }
        }
        if self.onlink {
            f.write_str(" onlink")?;
        }
        Ok(())
    }
}

/// A table number, printed by name where it has one.
struct TableName(u32);

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match table_name(self.0) {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

/// A firewall mark to match (`fwmark MARK[/MASK]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fwmark {
    /// The mark.
    pub mark: u32,
    /// Which bits of the packet's mark are compared; `None` is all of them.
    pub mask: Option<u32>,
}

impl fmt::Display for Fwmark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.mark)?;
        if let Some(mask) = self.mask {
            write!(f, "/{mask:#x}")?;
        }
        Ok(())
    }
}

/// What a rule does with the packets it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleAction {
    /// `lookup TABLE` (also `table TABLE`): route by this table.
    Lookup(u32),
    /// `blackhole`: drop silently.
    Blackhole,
    /// `unreachable`: drop with ICMP unreachable.
    Unreachable,
    /// `prohibit`: drop with ICMP administratively prohibited.
    Prohibit,
    /// `goto PREF`: continue with the rule of that preference.
    Goto(u32),
}

impl fmt::Display for RuleAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleAction::Lookup(table) => write!(f, "lookup {}", TableName(*table)),
            RuleAction::Blackhole => f.write_str("blackhole"),
            RuleAction::Unreachable => f.write_str("unreachable"),
            RuleAction::Prohibit => f.write_str("prohibit"),
            RuleAction::Goto(target) => write!(f, "goto {target}"),
        }
    }
}

/// One rule of `virtual_rules`: installed while the instance is master.
///
/// The preference is required: without one the kernel numbers each new rule before the
/// others, so the order would depend on the order of transitions, and adding it twice
/// would make two rules. (keepalived numbers rules without one itself; its parser does
/// the same here.)
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VirtualRule {
    /// The address family it applies to.
    pub family: Family,
    /// `from`: the source prefix matched; `None` is any (`from all`).
    pub from: Option<Prefix>,
    /// `to`: the destination prefix matched; `None` is any.
    pub to: Option<Prefix>,
    /// `preference` (also `priority`, `order`, `pref`): rules are tried in increasing
    /// preference.
    pub preference: u32,
    /// `iif` (also `dev`): the incoming interface matched, by name. The kernel keeps
    /// names, so the interface need not exist yet.
    pub iif: Option<String>,
    /// `oif`: the outgoing interface matched (sockets bound to it), by name.
    pub oif: Option<String>,
    /// `fwmark`: the firewall mark matched.
    pub fwmark: Option<Fwmark>,
    /// `tos` (also `dsfield`): the TOS / traffic class byte matched.
    pub tos: Option<u8>,
    /// What it does.
    pub action: RuleAction,
    /// `no_track` (keepalived): the instance does not leave master state when the rule
    /// disappears; it comes back at the next transition to master.
    pub no_track: bool,
}

impl VirtualRule {
    /// A rule of `family` at `preference` that matches everything and does `action`.
    pub fn new(family: Family, preference: u32, action: RuleAction) -> Self {
        VirtualRule {
            family,
            from: None,
            to: None,
            preference,
            iif: None,
            oif: None,
            fwmark: None,
            tos: None,
            action,
            no_track: false,
        }
    }

    /// Checks what the kernel would refuse: prefixes of the other family, table 0, a
    /// backward `goto`, a bad interface name.
    pub fn validate(&self) -> Result<(), RouteSpecError> {
        for (what, prefix) in [("from", self.from), ("to", self.to)] {
            if let Some(prefix) = prefix {
                if prefix.family() != self.family {
                    return Err(RouteSpecError::FamilyMismatch {
                        what,
                        addr: prefix.addr(),
                        of: "rule",
                        family: self.family,
                    });
                }
            }
        }
        match self.action {
            RuleAction::Lookup(0) => return Err(RouteSpecError::TableZero),
            RuleAction::Goto(target) if target <= self.preference => {
                return Err(RouteSpecError::GotoBackwards {
                    preference: self.preference,
                    target,
                })
            }
            _ => {}
        }
        for name in [&self.iif, &self.oif].into_iter().flatten() {
            check_ifname(name)?;
        }
        Ok(())
    }
}

impl fmt::Display for VirtualRule {
    /// The arguments of `ip rule add` for this rule. An IPv6 rule without `from` says
    /// `from ::/0` rather than `from all`, so that the family shows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.from, self.family) {
            (Some(from), _) => write!(f, "from {from}")?,
            (None, Family::Ipv4) => f.write_str("from all")?,
            (None, Family::Ipv6) => write!(f, "from {}", Prefix::any(Family::Ipv6))?,
        }
        if let Some(to) = self.to {
            write!(f, " to {to}")?;
        }
        if let Some(tos) = self.tos {
            write!(f, " tos {tos:#04x}")?;
        }
        if let Some(fwmark) = self.fwmark {
            write!(f, " fwmark {fwmark}")?;
        }
        if let Some(iif) = &self.iif {
            write!(f, " iif {iif}")?;
        }
        if let Some(oif) = &self.oif {
            write!(f, " oif {oif}")?;
        }
        write!(f, " pref {} {}", self.preference, self.action)
    }
}

fn check_ifname(name: &str) -> Result<(), RouteSpecError> {
    match validate_ifname(name) {
        Ok(()) => Ok(()),
        Err(Error::InvalidInterfaceName { name, reason }) => {
            Err(RouteSpecError::InterfaceName { name, reason })
        }
        // validate_ifname has no other error; keep the name if that ever changes.
        Err(_) => Err(RouteSpecError::InterfaceName {
            name: name.to_owned(),
            reason: "refused",
        }),
    }
}

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
enum Request {
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

fn route_message(route: &VirtualRoute, oif: Option<u32>, request: Request) -> RouteMessage {
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

fn rule_message(rule: &VirtualRule) -> RuleMessage {
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

#[cfg(test)]
mod tests {
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
}
