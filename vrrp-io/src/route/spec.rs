//! [`VirtualRoute`]: one route of `virtual_routes`, and what the kernel would refuse in it.

use std::fmt;
use std::net::IpAddr;

use vrrp_core::Family;

use super::names::TableName;
use super::{protocol_name, Prefix, RouteScope, RouteSpecError, RouteType, PROTOCOL_KEEPALIVED};
use crate::error::Error;
use crate::netlink::validate_ifname;

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
    /// `table`: the routing table; `None` is `main` ([`TABLE_MAIN`](super::TABLE_MAIN)).
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

pub(super) fn check_ifname(name: &str) -> Result<(), RouteSpecError> {
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
