//! keepalived's static items (`static_ipaddress`, `static_routes`, `static_rules`):
//! installed when the daemon starts, whatever the instances' states, brought in line with
//! the file at every reload, removed when it stops, as keepalived does. Failures are
//! logged: a static item does not decide whether the routers run.

use vrrp_io::Netlink;

use crate::config::{Statics, VirtualAddress};

/// What the daemon installed.
#[derive(Debug, Default)]
pub(super) struct StaticItems {
    installed: Statics,
}

impl StaticItems {
    /// Installs what `wanted` has and is not installed, and removes what is installed and
    /// `wanted` no longer has.
    pub fn apply(&mut self, wanted: &Statics, netlink: &mut Netlink) {
        let gone = minus(&self.installed, wanted);
        let new = minus(wanted, &self.installed);
        remove(&gone, netlink);
        for (addr, _) in &new.addresses {
            if let Err(e) = add_address(netlink, addr) {
                tracing::warn!("static_ipaddress {addr}: {e}");
            }
        }
        for (route, _) in &new.routes {
            if let Err(e) = netlink.add_route(route, None) {
                tracing::warn!("static_routes {route}: {e}");
            }
        }
        for (rule, _) in &new.rules {
            if let Err(e) = netlink.add_rule(rule) {
                tracing::warn!("static_rules {rule}: {e}");
            }
        }
        self.installed = wanted.clone();
    }

    /// Removes everything installed (daemon stop).
    pub fn remove_all(&mut self) {
        let all = std::mem::take(&mut self.installed);
        if all == Statics::default() {
            return;
        }
        match Netlink::open() {
            Ok(mut netlink) => remove(&all, &mut netlink),
            Err(e) => tracing::warn!("static items not removed: {e}"),
        }
    }
}

/// Rules first, then routes, then addresses: the reverse of the order they went in.
fn remove(items: &Statics, netlink: &mut Netlink) {
    for (rule, _) in &items.rules {
        if let Err(e) = netlink.del_rule(rule) {
            tracing::warn!("removing static_rules {rule}: {e}");
        }
    }
    for (route, _) in &items.routes {
        if let Err(e) = netlink.del_route(route, None) {
            tracing::warn!("removing static_routes {route}: {e}");
        }
    }
    for (addr, _) in &items.addresses {
        let removed = addr
            .dev
            .as_deref()
            .ok_or_else(|| "no dev".to_owned())
            .and_then(|dev| netlink.ifindex(dev).map_err(|e| e.to_string()))
            .and_then(|ifindex| {
                netlink
                    .del_address(ifindex, addr.addr, addr.prefix_len)
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = removed {
            tracing::warn!("removing static_ipaddress {addr}: {e}");
        }
    }
}

fn add_address(netlink: &mut Netlink, addr: &VirtualAddress) -> Result<(), vrrp_io::Error> {
    // The parser requires `dev` on a static address.
    let dev = addr.dev.as_deref().unwrap_or_default();
    let ifindex = netlink.ifindex(dev)?;
    netlink
        .add_address_unchecked(ifindex, addr.addr, addr.prefix_len, addr.label.as_deref())
        .map(|_| ())
}

/// The items of `a` that `b` does not have (the track group does not count).
fn minus(a: &Statics, b: &Statics) -> Statics {
    Statics {
        addresses: not_in(&a.addresses, &b.addresses),
        routes: not_in(&a.routes, &b.routes),
        rules: not_in(&a.rules, &b.rules),
    }
}

fn not_in<T: PartialEq + Clone, G: Clone>(a: &[(T, G)], b: &[(T, G)]) -> Vec<(T, G)> {
    a.iter()
        .filter(|x| !b.iter().any(|y| y.0 == x.0))
        .cloned()
        .collect()
}
