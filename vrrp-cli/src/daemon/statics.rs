//! keepalived's static items (`static_ipaddress`, `static_routes`, `static_rules`):
//! installed when the daemon starts, whatever the instances' states, brought in line with
//! the file at every reload, put back when deleted behind our back, removed when it stops,
//! as keepalived does. Failures are logged: a static item does not decide whether the
//! routers run.

use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use vrrp_io::{NetEvent, Netlink, NetlinkMonitor};

use crate::config::{Statics, VirtualAddress};

/// What the daemon installed.
#[derive(Debug, Default)]
pub(super) struct StaticItems {
    installed: Statics,
    /// A thread watches for deletions (started with the first static item).
    watching: bool,
}

/// How long after a deletion the items are checked, so that a burst makes one check.
const CHECK_DELAY: Duration = Duration::from_millis(50);

/// Starts the thread that puts static items back when they are deleted, once there are
/// any. The netlink monitor is opened here, in the caller's network namespace.
pub(super) fn ensure_watch(items: &Arc<Mutex<StaticItems>>) {
    let mut guard = items.lock().unwrap_or_else(|e| e.into_inner());
    if guard.watching || guard.installed == Statics::default() {
        return;
    }
    let monitor = match NetlinkMonitor::open() {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!("static items will not be put back if deleted: {e}");
            return;
        }
    };
    let watched = items.clone();
    match std::thread::Builder::new()
        .name("statics".into())
        .spawn(move || watch(monitor, &watched))
    {
        Ok(_) => guard.watching = true,
        Err(e) => tracing::warn!("static items will not be put back if deleted: {e}"),
    }
}

/// Waits for notifications for the daemon's life; after one that may concern a static
/// item, puts back whatever is missing.
fn watch(mut monitor: NetlinkMonitor, items: &Mutex<StaticItems>) {
    let mut events = Vec::new();
    loop {
        let mut pfd = libc::pollfd {
            fd: monitor.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, live for the call; no timeout: nothing runs while
        // nothing changes.
        if unsafe { libc::poll(&mut pfd, 1, -1) } < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            tracing::warn!("static items are no longer watched: {e}");
            return;
        }
        events.clear();
        if let Err(e) = monitor.recv(&mut events) {
            tracing::warn!("static items are no longer watched: {e}");
            return;
        }
        let concerns = |events: &[NetEvent]| {
            let items = items.lock().unwrap_or_else(|e| e.into_inner());
            events.iter().any(|e| items.concerns(e))
        };
        if !concerns(&events) {
            continue;
        }
        std::thread::sleep(CHECK_DELAY);
        while matches!(monitor.recv(&mut events), Ok(n) if n > 0) {}
        match Netlink::open() {
            Ok(mut netlink) => items
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .restore(&mut netlink),
            Err(e) => tracing::warn!("static items not checked: {e}"),
        }
    }
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

    /// Whether `event` may mean a static item is gone.
    fn concerns(&self, event: &NetEvent) -> bool {
        let items = &self.installed;
        match event {
            NetEvent::AddressRemoved(a) => items
                .addresses
                .iter()
                .any(|(v, _)| v.addr == a.addr && v.prefix_len == a.prefix_len),
            NetEvent::RouteRemoved { protocol } => items
                .routes
                .iter()
                .any(|(r, _)| !r.no_track && r.protocol_or_default() == *protocol),
            NetEvent::RuleRemoved { protocol } => {
                *protocol == vrrp_io::route::PROTOCOL_KEEPALIVED
                    && items.rules.iter().any(|(r, _)| !r.no_track)
            }
            // A link coming back brings none of its addresses or routes with it.
            NetEvent::Link(_) | NetEvent::Overrun => *items != Statics::default(),
            NetEvent::LinkRemoved { .. } | NetEvent::AddressAdded(_) => false,
        }
    }

    /// Adds back every installed item that is missing, but for routes and rules marked
    /// `no_track` (as keepalived), and says which.
    fn restore(&mut self, netlink: &mut Netlink) {
        let items = &self.installed;
        // `no_track` on an address is not applied (the parser says so): like a VIP, it
        // is always put back.
        for (addr, _) in &items.addresses {
            if let Ok(true) = add_address(netlink, addr) {
                tracing::warn!("static_ipaddress {addr} was deleted behind our back; restored");
            }
        }
        for (route, _) in items.routes.iter().filter(|(r, _)| !r.no_track) {
            if let Ok(vrrp_io::netlink::AddOutcome::Added) = netlink.add_route(route, None) {
                tracing::warn!("static_routes {route} was deleted behind our back; restored");
            }
        }
        for (rule, _) in items.rules.iter().filter(|(r, _)| !r.no_track) {
            if let Ok(vrrp_io::netlink::AddOutcome::Added) = netlink.add_rule(rule) {
                tracing::warn!("static_rules {rule} was deleted behind our back; restored");
            }
        }
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

/// Adds a static address; true when it was missing.
fn add_address(netlink: &mut Netlink, addr: &VirtualAddress) -> Result<bool, vrrp_io::Error> {
    // The parser requires `dev` on a static address.
    let dev = addr.dev.as_deref().unwrap_or_default();
    let ifindex = netlink.ifindex(dev)?;
    netlink
        .add_address_unchecked(ifindex, addr.addr, addr.prefix_len, addr.label.as_deref())
        .map(|outcome| outcome == vrrp_io::netlink::AddOutcome::Added)
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
