//! Virtual routes and rules (keepalived's `virtual_routes` / `virtual_rules`) over rtnetlink.
//!
//! A [`VirtualRoute`] is one line of `ip route add`, a [`VirtualRule`] one line of
//! `ip rule add`; both print themselves in that syntax ([`fmt::Display`]), for logs and
//! errors. [`VirtualRoute::validate`] and [`VirtualRule::validate`] refuse what the kernel
//! would refuse, with a [`RouteSpecError`] that says why; the [`Netlink`] methods
//! [`add_route`], [`del_route`], [`add_rule`] and [`del_rule`] validate first and then
//! install or remove, idempotently like the virtual addresses: adding what is already
//! there is [`AddOutcome::AlreadyPresent`], removing what is gone
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
//!
//! [`fmt::Display`]: std::fmt::Display
//! [`Netlink`]: crate::netlink::Netlink
//! [`add_route`]: crate::netlink::Netlink::add_route
//! [`del_route`]: crate::netlink::Netlink::del_route
//! [`add_rule`]: crate::netlink::Netlink::add_rule
//! [`del_rule`]: crate::netlink::Netlink::del_rule
//! [`AddOutcome::AlreadyPresent`]: crate::netlink::AddOutcome::AlreadyPresent
//! [`DelOutcome::NotPresent`]: crate::netlink::DelOutcome::NotPresent

// One job per module: the names of tables and protocols (`names`), `Prefix` (`prefix`),
// `RouteType` and `RouteScope` (`kind`), `VirtualRoute` and its checks (`spec`),
// `VirtualRule` (`rule`), `RouteSpecError` (`error`), and the rtnetlink messages with
// the `Netlink` methods that send them (`message`).

mod error;
mod kind;
mod message;
mod names;
mod prefix;
mod rule;
mod spec;
#[cfg(test)]
mod tests;

pub use error::RouteSpecError;
pub use kind::{RouteScope, RouteType};
pub use names::{
    protocol_by_name, protocol_name, table_by_name, table_name, PROTOCOL_KEEPALIVED, TABLE_DEFAULT,
    TABLE_LOCAL, TABLE_MAIN,
};
pub use prefix::Prefix;
pub use rule::{Fwmark, RuleAction, VirtualRule};
pub use spec::VirtualRoute;
