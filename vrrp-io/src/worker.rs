//! Carries out the driver's address work: VIPs over rtnetlink, gratuitous ARP and
//! unsolicited NA over packet sockets. The blocking shell runs it on its own thread
//! between adverts; the tokio shell on a dedicated thread, so that netlink never blocks
//! the runtime.

use std::collections::HashMap;

use crate::accept::{AcceptFilter, TableName};
use crate::driver::Action;
use crate::error::{Error, Result};
use crate::netlink::Netlink;
use crate::Announcer;

/// Netlink, one announcer per interface (opened when first needed) and the accept-mode
/// filter (nftables, touched only when a router needs it).
pub(crate) struct AddressWorker {
    netlink: Netlink,
    announcers: HashMap<u32, Announcer>,
    accept: AcceptFilter,
}

impl AddressWorker {
    pub fn open() -> Result<Self> {
        let table = TableName::default();
        // A run that crashed while filtering left its table behind: it would drop the
        // traffic to VIPs this run holds with accept mode on. Without nft (or without
        // the right to use it) no table of ours can be there, or nothing can be done.
        let _ = AcceptFilter::remove_stale(&table);
        Ok(AddressWorker {
            netlink: Netlink::open()?,
            announcers: HashMap::new(),
            accept: AcceptFilter::new(table),
        })
    }

    /// The netlink handle (for snapshots).
    pub fn netlink(&mut self) -> &mut Netlink {
        &mut self.netlink
    }

    /// Forgets the announcer of an interface that is gone (a re-created interface has a
    /// new index and perhaps a new MAC).
    pub fn forget(&mut self, ifindex: u32) {
        self.announcers.remove(&ifindex);
    }

    /// Carries out one address action; others are ignored. Adding a VIP that is there
    /// and removing one that is not are successes (a restart or retry converges).
    pub fn execute(&mut self, action: &Action) -> Result<()> {
        match action {
            Action::AddVips { ifindex, vips, .. } => vips.iter().try_for_each(|v| {
                self.netlink
                    .add_address_unchecked(
                        *ifindex,
                        v.addr,
                        v.prefix_len,
                        v.label.as_ref().map(|l| l.as_str()),
                    )
                    .map(|_| ())
            }),
            Action::RemoveVips { ifindex, vips, .. } => vips.iter().try_for_each(|v| {
                self.netlink
                    .del_address(*ifindex, v.addr, v.prefix_len)
                    .map(|_| ())
            }),
            Action::Announce {
                ifindex,
                vips,
                count,
                ..
            } => {
                let announcer = match self.announcers.entry(*ifindex) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(Announcer::open(&mut self.netlink, *ifindex)?)
                    }
                };
                let result = (0..*count)
                    .try_for_each(|_| vips.iter().try_for_each(|v| announcer.announce(v.addr)));
                if let Err(Error::Io { source, .. }) = &result {
                    if matches!(source.raw_os_error(), Some(libc::ENODEV | libc::ENXIO)) {
                        self.announcers.remove(ifindex);
                    }
                }
                result
            }
            Action::Filter {
                interface,
                block,
                vips,
                ..
            } => {
                let addrs: Vec<std::net::IpAddr> = vips.addrs().collect();
                if *block {
                    self.accept.block(interface, &addrs)
                } else {
                    self.accept.unblock(interface, &addrs)
                }
            }
            Action::Routing {
                install, routing, ..
            } => self.routing(*install, routing),
            Action::RestoreRouting { routing, .. } => self.restore_routing(routing).map(|_| ()),
            Action::Send { .. } | Action::Notify(_) => Ok(()),
        }
    }

    /// Adds whatever of `routing` is missing, routes first; returns how many routes and
    /// rules it added. Every one is tried; the first failure is returned.
    pub fn restore_routing(&mut self, routing: &crate::driver::Routing) -> Result<(usize, usize)> {
        let mut first_error = None;
        let mut added = |r: Result<crate::netlink::AddOutcome>| match r {
            Ok(crate::netlink::AddOutcome::Added) => 1,
            Ok(_) => 0,
            Err(e) => {
                first_error.get_or_insert(e);
                0
            }
        };
        let routes = routing
            .routes
            .iter()
            .map(|route| added(self.netlink.add_route(route, None)))
            .sum();
        let rules = routing
            .rules
            .iter()
            .map(|rule| added(self.netlink.add_rule(rule)))
            .sum();
        first_error.map_or(Ok((routes, rules)), Err)
    }

    /// Installs or removes routes and rules: every one is tried, the first failure is
    /// returned (one unreachable gateway must not keep the other routes out).
    fn routing(&mut self, install: bool, routing: &crate::driver::Routing) -> Result<()> {
        let mut first_error = None;
        let mut note = |r: Result<()>| {
            if let Err(e) = r {
                first_error.get_or_insert(e);
            }
        };
        if install {
            for route in &routing.routes {
                note(self.netlink.add_route(route, None).map(|_| ()));
            }
            for rule in &routing.rules {
                note(self.netlink.add_rule(rule).map(|_| ()));
            }
        } else {
            for rule in &routing.rules {
                note(self.netlink.del_rule(rule).map(|_| ()));
            }
            for route in &routing.routes {
                note(self.netlink.del_route(route, None).map(|_| ()));
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

impl Drop for AddressWorker {
    /// Our nftables table goes with us: the shell has released every VIP by now.
    fn drop(&mut self) {
        let _ = self.accept.clear();
    }
}
