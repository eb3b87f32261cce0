//! [`RouteType`] and [`RouteScope`]: what a route does and how far its destination is.

use std::fmt;

use netlink_packet_route::route::{RouteScope as NlScope, RouteType as NlType};

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

    pub(super) fn netlink(self) -> NlType {
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

    pub(super) fn netlink(self) -> NlScope {
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
