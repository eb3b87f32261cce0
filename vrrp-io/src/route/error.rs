//! [`RouteSpecError`]: why a route or rule cannot be installed as written.

use std::net::IpAddr;

use vrrp_core::Family;

use super::{Prefix, RouteType};

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
