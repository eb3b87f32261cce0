//! `virtual_routes { ... }` and `virtual_rules { ... }` of `vrrp_instance`: one route or
//! rule per line, in keepalived's grammar (the words of `ip route add` / `ip rule add`,
//! unabbreviated, with keepalived's synonyms and `no_track`), into
//! [`VirtualRoute`] / [`VirtualRule`].
//!
//! Options keepalived knows and we do not implement (multipath `nexthop`, `or`,
//! `realms`, `mtu` and the other metrics, ...) are errors, not skipped: a route installed
//! without them would route differently from what the line says.

// One job per module: a `virtual_routes` line (`route_line`), a `virtual_rules` line
// (`rule_line`), and the values and checks both kinds of line share (`values`).

mod route_line;
mod rule_line;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
mod values;

use vrrp_io::route::{VirtualRoute, VirtualRule};

use super::instance::RawInstance;
use super::Parser;
use crate::config::tree::Stmt;

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
}
