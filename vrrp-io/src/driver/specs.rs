//! The driver's bookkeeping of router specs: checking a spec against the host, starting
//! a router from one, applying a changed one in place (reload), and forgetting one.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;

use vrrp_core::router::{State, TrackId, VipList, VirtualRouter};
use vrrp_core::{Instant, InterfaceId, RouterKey, VirtualAddress};

use super::pacing::PacingKey;
use super::types::{Action, RouterSpec};
use super::{needs_filter, Driver, Entry};
use crate::error::{Error, Result};

impl Driver {
    /// Checks that `spec` can run on this host; `ours` are VIPs our own routers hold
    /// (moving between instances on reload is fine).
    pub(super) fn check(&self, spec: &RouterSpec, ours: &HashSet<IpAddr>) -> Result<()> {
        crate::netlink::validate_ifname(&spec.interface)?;
        spec.config.validate()?;
        if let Some(name) = &spec.address_interface {
            crate::netlink::validate_ifname(name)?;
        }
        for (_, name) in &spec.vip_interfaces {
            crate::netlink::validate_ifname(name)?;
        }
        let vip_ifname = spec.address_interface.as_ref().unwrap_or(&spec.interface);
        for name in [&spec.interface, vip_ifname] {
            if self.host.link(name).is_none() {
                return Err(Error::InterfaceNotFound { name: name.clone() });
            }
        }
        for vip in spec.config.held_addresses() {
            let name = spec_vip_ifname(spec, vip.addr);
            let link = self
                .host
                .link(name)
                .ok_or_else(|| Error::InterfaceNotFound {
                    name: name.to_owned(),
                })?;
            if ours.contains(&vip.addr) {
                continue;
            }
            if let Some((ifindex, ifname)) = self.host.holder_elsewhere(vip.addr, link.ifindex) {
                return Err(Error::AddressInUse {
                    addr: vip.addr,
                    ifindex,
                    ifname,
                });
            }
        }
        Ok(())
    }

    pub(super) fn insert(&mut self, now: Instant, spec: RouterSpec) -> Result<RouterKey> {
        // Every VIP's link, in the order of the VIPs.
        let links =
            spec.config
                .held_addresses()
                .map(|vip| {
                    let name = spec_vip_ifname(&spec, vip.addr);
                    self.host.link(name).map(|l| l.ifindex).ok_or_else(|| {
                        Error::InterfaceNotFound {
                            name: name.to_owned(),
                        }
                    })
                })
                .collect::<Result<Vec<u32>>>()?;
        let interface = self.interface_id(&spec.interface);
        // Tracked links start in the state the kernel reported, not a guess.
        let mut config = spec.config.clone();
        for (id, ifname) in &spec.tracked_interfaces {
            let up = self.host.is_up(ifname);
            if let Some(t) = config.tracks.iter_mut().find(|t| t.id == *id) {
                t.initially_up = up;
            }
        }
        let name: Arc<str> = Arc::from(spec.name.as_str());
        // Leftovers of an earlier run go before the router can add them as master.
        let mut stale: Vec<(u32, Vec<VirtualAddress>)> = Vec::new();
        for (vip, &ifindex) in config.held_addresses().zip(&links) {
            if !self
                .host
                .addresses(ifindex)
                .contains(&(vip.addr, vip.prefix_len))
            {
                continue;
            }
            match stale.iter_mut().find(|(i, _)| *i == ifindex) {
                Some((_, list)) => list.push(*vip),
                None => stale.push((ifindex, vec![*vip])),
            }
        }
        let router = VirtualRouter::new(config, now)?;
        let key = self.routers.insert(interface, router)?;
        for (ifindex, vips) in stale {
            self.address_work.push_back(Action::RemoveVips {
                router: name.clone(),
                ifindex,
                vips: VipList::from(vips),
            });
        }
        let tracked = self.register(key, &spec);
        self.sync.assign(key, spec.sync_group.as_deref());
        self.by_name.insert(name.clone(), key);
        let address_interface = spec
            .address_interface
            .as_deref()
            .map(|n| self.interface_id(n));
        let routing = (!spec.routing.is_empty()).then(|| Arc::new(spec.routing.clone()));
        let vip_interfaces = self.vip_interface_ids(&spec);
        self.entries.insert(
            key,
            Entry {
                name,
                tracked,
                address_interface,
                vip_interfaces,
                routing,
                pacing: pacing_of(&spec),
                ip_stack_adverts: spec.adverts_through_ip_stack,
            },
        );
        self.socket_generation += 1;
        Ok(key)
    }

    /// The running router `spec` can be applied to in place: same interface, family,
    /// VRID and version.
    pub(super) fn running_key(&self, spec: &RouterSpec) -> Option<RouterKey> {
        let key = RouterKey {
            interface: self.interface_id_of(&spec.interface)?,
            family: spec.config.family(),
            vrid: spec.config.vrid,
        };
        let router = self.routers.get(&key)?;
        (router.config().version == spec.config.version).then_some(key)
    }

    /// Applies `spec` to the running router `key` in place (its name was released from
    /// `by_name` by the caller). True if anything changed.
    pub(super) fn update(
        &mut self,
        now: Instant,
        key: RouterKey,
        spec: RouterSpec,
    ) -> Result<bool> {
        let changed = !self.runs(&key, &spec);
        let name: Arc<str> = Arc::from(spec.name.as_str());
        if changed {
            let mut config = spec.config.clone();
            for (id, ifname) in &spec.tracked_interfaces {
                let up = self.host.is_up(ifname);
                if let Some(t) = config.tracks.iter_mut().find(|t| t.id == *id) {
                    t.initially_up = up;
                }
            }
            let old_vips: Vec<IpAddr> = self
                .routers
                .get(&key)
                .map(|r| r.config().held_addresses().map(|v| v.addr).collect())
                .unwrap_or_default();
            let before = self.routers.get(&key).map(|r| {
                (
                    needs_filter(r),
                    r.state() == State::Master,
                    r.config().clone(),
                )
            });
            self.routers
                .with_router(&key, |vr| vr.reconfigure(now, config))
                .transpose()
                .map_err(Error::Reconfigure)?;
            if let Some((was_filtered, true, old)) = before {
                self.refilter(key, was_filtered, &old);
            }
            // A link tracked under a kept id may now be another link: the kernel's word
            // counts, not the state the id had.
            for (id, ifname) in &spec.tracked_interfaces {
                let up = self.host.is_up(ifname);
                self.routers
                    .with_router(&key, |vr| vr.set_track(now, *id, up));
            }
            // A master's VIPs that the new spec puts on another interface move there.
            let moved: Vec<(String, String, VirtualAddress)> = match self.routers.get(&key) {
                Some(r) if r.state() == State::Master => r
                    .config()
                    .held_addresses()
                    .filter(|v| old_vips.contains(&v.addr))
                    .filter_map(|v| {
                        let old = self.vip_ifname_for(&key, v.addr);
                        let new = spec_vip_ifname(&spec, v.addr);
                        (old != new).then(|| (old.to_owned(), new.to_owned(), *v))
                    })
                    .collect(),
                _ => Vec::new(),
            };
            self.forget_trackers(key);
            for addr in old_vips {
                self.forget_vip_owner(addr, key);
            }
            let tracked = self.register(key, &spec);
            let address_interface = spec
                .address_interface
                .as_deref()
                .map(|n| self.interface_id(n));
            let master = self
                .routers
                .get(&key)
                .is_some_and(|r| r.state() == State::Master);
            let vip_interfaces = self.vip_interface_ids(&spec);
            if let Some(entry) = self.entries.get_mut(&key) {
                entry.tracked = tracked;
                entry.address_interface = address_interface;
                entry.vip_interfaces = vip_interfaces;
                entry.pacing = pacing_of(&spec);
                entry.ip_stack_adverts = spec.adverts_through_ip_stack;
                let old = entry
                    .routing
                    .take()
                    .map(|r| (*r).clone())
                    .unwrap_or_default();
                if !spec.routing.is_empty() {
                    entry.routing = Some(Arc::new(spec.routing.clone()));
                }
                if master && old != spec.routing {
                    // A master swaps only what changed.
                    for (install, routing) in [
                        (false, old.minus(&spec.routing)),
                        (true, spec.routing.minus(&old)),
                    ] {
                        if !routing.is_empty() {
                            self.address_work.push_back(Action::Routing {
                                router: entry.name.clone(),
                                install,
                                routing: Arc::new(routing),
                            });
                        }
                    }
                }
            }
            for (old, new, vip) in moved {
                self.move_vip(now, key, &old, &new, vip);
            }
            self.sync.assign(key, spec.sync_group.as_deref());
            if spec.sync_group.is_none() {
                // Out of its group: nothing holds its takeovers any more.
                self.routers
                    .with_router(&key, |vr| vr.hold_takeover(now, false));
            }
            // The sockets' VIP sets and group membership follow the router's config.
            self.socket_generation += 1;
        }
        if let Some(entry) = self.entries.get_mut(&key) {
            entry.name = name.clone();
        }
        self.by_name.insert(name, key);
        Ok(changed)
    }

    /// After a master's reconfiguration that turned accept mode on or off: the
    /// addresses it held under the old config are unblocked if they were filtered, and
    /// the ones it keeps are blocked if they must be now (the added ones are blocked, and
    /// the released ones unblocked, as the router's own address work is queued).
    pub(super) fn refilter(
        &mut self,
        key: RouterKey,
        was_filtered: bool,
        old: &vrrp_core::router::RouterConfig,
    ) {
        let (Some(router), Some(entry)) = (self.routers.get(&key), self.entries.get(&key)) else {
            return;
        };
        let filtered = needs_filter(router);
        if filtered == was_filtered {
            return;
        }
        let (block, vips): (bool, Vec<VirtualAddress>) = if was_filtered {
            (false, old.held_addresses().copied().collect())
        } else {
            let now_held: Vec<&VirtualAddress> = router.config().held_addresses().collect();
            (
                true,
                old.held_addresses()
                    .filter(|v| now_held.contains(v))
                    .copied()
                    .collect(),
            )
        };
        let name = entry.name.clone();
        for (interface, vips) in self.vips_by_interface(&key, &VipList::from(vips)) {
            self.address_work.push_back(Action::Filter {
                router: name.clone(),
                interface,
                block,
                vips,
            });
        }
    }

    /// Moves a master's VIP from interface `old` to `new` (a reload changed where it
    /// goes): removed there, added and announced here, with the accept-mode filter
    /// following it.
    fn move_vip(
        &mut self,
        now: Instant,
        key: RouterKey,
        old: &str,
        new: &str,
        vip: VirtualAddress,
    ) {
        let (Some(entry), Some(router)) = (self.entries.get(&key), self.routers.get(&key)) else {
            return;
        };
        let name = entry.name.clone();
        let filtered = needs_filter(router);
        let vips = VipList::from(vec![vip]);
        let filter = |interface: &str, block: bool| Action::Filter {
            router: name.clone(),
            interface: interface.to_owned(),
            block,
            vips: vips.clone(),
        };
        if let Some(link) = self.host.link(old) {
            self.address_work.push_back(Action::RemoveVips {
                router: name.clone(),
                ifindex: link.ifindex,
                vips: vips.clone(),
            });
            if filtered {
                self.address_work.push_back(filter(old, false));
            }
        }
        if let Some(ifindex) = self.host.link(new).map(|l| l.ifindex) {
            if filtered {
                self.address_work.push_back(filter(new, true));
            }
            self.add_and_announce(now, key, ifindex, vip);
        }
    }

    /// A spec's [`RouterSpec::vip_interfaces`] by interface id.
    fn vip_interface_ids(&mut self, spec: &RouterSpec) -> Box<[(IpAddr, InterfaceId)]> {
        spec.vip_interfaces
            .iter()
            .map(|(addr, name)| (*addr, self.interface_id(name)))
            .collect()
    }

    /// Files router `key` under the links it tracks and the VIPs it holds; returns its
    /// tracked interfaces by id.
    pub(super) fn register(
        &mut self,
        key: RouterKey,
        spec: &RouterSpec,
    ) -> Box<[(TrackId, InterfaceId)]> {
        for (id, ifname) in &spec.tracked_interfaces {
            self.trackers
                .entry(ifname.clone())
                .or_default()
                .push((key, *id));
        }
        for vip in spec.config.held_addresses() {
            self.vip_owners.entry(vip.addr).or_default().push(key);
        }
        spec.tracked_interfaces
            .iter()
            .map(|(id, ifname)| (*id, self.interface_id(ifname)))
            .collect()
    }

    /// Removes router `key` from the trackers of every link.
    pub(super) fn forget_trackers(&mut self, key: RouterKey) {
        self.trackers.retain(|_, list| {
            list.retain(|(k, _)| *k != key);
            !list.is_empty()
        });
    }

    pub(super) fn forget_vip_owner(&mut self, addr: IpAddr, key: RouterKey) {
        if let Some(list) = self.vip_owners.get_mut(&addr) {
            list.retain(|k| *k != key);
            if list.is_empty() {
                self.vip_owners.remove(&addr);
            }
        }
    }

    pub(super) fn remove_entry(&mut self, key: RouterKey) {
        let router = self.routers.remove(&key);
        let Some(entry) = self.entries.remove(&key) else {
            return;
        };
        if self.by_name.get(&entry.name) == Some(&key) {
            self.by_name.remove(&entry.name);
        }
        self.forget_trackers(key);
        self.sync.leave(key);
        let vips: Option<Vec<VirtualAddress>> =
            router.map(|r| r.config().held_addresses().cloned().collect());
        for vip in vips.iter().flatten() {
            self.forget_vip_owner(vip.addr, key);
        }
        self.socket_generation += 1;
    }

    /// Whether the router `key` runs `spec` unchanged. A kept track's `initially_up` is
    /// not a change: the running router knows the track's real state (links as the
    /// kernel reported them, scripts as they last ran).
    pub(super) fn runs(&self, key: &RouterKey, spec: &RouterSpec) -> bool {
        let (Some(entry), Some(router)) = (self.entries.get(key), self.routers.get(key)) else {
            return false;
        };
        if *entry.name != *spec.name
            || self.ifname(key) != spec.interface
            || entry
                .address_interface
                .and_then(|i| self.interfaces.get(i.0 as usize))
                .map(String::as_str)
                != spec.address_interface.as_deref()
            || entry.vip_interfaces.len() != spec.vip_interfaces.len()
            || entry
                .vip_interfaces
                .iter()
                .zip(&spec.vip_interfaces)
                .any(|((a, i), (sa, sname))| {
                    a != sa || self.interfaces.get(i.0 as usize) != Some(sname)
                })
            || entry
                .routing
                .as_deref()
                .map_or(!spec.routing.is_empty(), |r| *r != spec.routing)
            || entry.pacing != pacing_of(spec)
            || entry.ip_stack_adverts != spec.adverts_through_ip_stack
            || self.sync.group_of(key).map(|g| &**g) != spec.sync_group.as_deref()
            || entry.tracked.len() != spec.tracked_interfaces.len()
            || entry
                .tracked
                .iter()
                .zip(&spec.tracked_interfaces)
                .any(|((id, i), (sid, sname))| {
                    id != sid || self.interfaces.get(i.0 as usize) != Some(sname)
                })
        {
            return false;
        }
        let running = router.config();
        let mut config = spec.config.clone();
        // Only a start reads it; a running router has started already.
        config.startup = running.startup;
        for t in &mut config.tracks {
            if let Some(r) = running.tracks.iter().find(|r| r.id == t.id) {
                t.initially_up = r.initially_up;
            }
        }
        config == *running
    }
}

/// The interface the VIP `addr` of `spec` goes on.
fn spec_vip_ifname(spec: &RouterSpec, addr: IpAddr) -> &str {
    spec.vip_interfaces
        .iter()
        .find(|(a, _)| *a == addr)
        .map(|(_, name)| name)
        .or(spec.address_interface.as_ref())
        .unwrap_or(&spec.interface)
}

/// A spec's pacing, if it paces anything.
pub(super) fn pacing_of(spec: &RouterSpec) -> Option<PacingKey> {
    spec.announce_pacing
        .as_ref()
        .filter(|p| !p.is_unpaced())
        .map(PacingKey::from)
}
