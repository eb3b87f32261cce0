//! The driver: every router of a process and what it knows of the host, with no I/O.
//!
//! A [`Driver`] owns the [`Routers`], the specs they were built from, and a picture of
//! the host's links and addresses kept current from netlink notifications
//! ([`NetEvent`]). Inputs arrive with the time: packets, timeouts, link and address
//! events, tracking changes, reloads. Out come [`Action`]s, always in this order:
//! adverts first, then address work (VIPs added and removed, gratuitous ARP /
//! unsolicited NA), then notifications. The shells — [`crate::EventLoop`] (a blocking
//! thread) and, with the `tokio` feature, `vrrp_io::tokio::Runner` — only carry the
//! actions out and feed the inputs in, so everything here is tested without root.
//!
//! What the driver does that an embedder would otherwise have to know:
//! - at start-up, VIPs left on the interface by an earlier run are removed (a backup
//!   must not answer for them), and a VIP held by another interface is refused once, so
//!   a takeover costs one netlink round trip per VIP;
//! - a tracked link going down reaches its routers as soon as the kernel reports it;
//!   an interface deleted and created again under the same name gets its sockets back
//!   and its routers resume;
//! - a VIP removed behind a master's back is added again and announced;
//! - a reload applies changed specs to the running routers in place, so it never fails
//!   over by itself, and checks the whole new set before touching anything, so a bad
//!   reload changes nothing.
//!
//! ```
//! use vrrp_io::driver::{Action, Driver, RouterSpec};
//! use vrrp_io::monitor::NetEvent;
//! use vrrp_io::netlink::{Link, LinkState, OperState};
//! use vrrp_core::router::{RouterConfig, State};
//! use vrrp_core::{Instant, Vrid};
//!
//! let mut driver = Driver::new();
//! let now = Instant::ZERO;
//! // What a shell learns from netlink at start-up.
//! driver.handle_net(now, &NetEvent::Link(Link {
//!     index: 2, name: "eth0".into(), mac: None, mtu: None, loopback: false,
//!     state: LinkState { admin_up: true, carrier: true, oper: OperState::Up },
//! }));
//! let config = RouterConfig::new(
//!     Vrid::new(51).unwrap(),
//!     "192.168.100.10".parse().unwrap(),
//!     vec!["192.168.100.12".parse::<std::net::IpAddr>().unwrap()],
//! );
//! driver.add(now, RouterSpec::new("VI_1", "eth0", config)).unwrap();
//! assert_eq!(driver.sockets().len(), 1);
//!
//! // Nobody else advertises: at Master_Down_Interval the router takes over.
//! let deadline = driver.poll_timeout().unwrap();
//! driver.handle_timeout(deadline);
//! let first = driver.poll_action(deadline).unwrap();
//! assert!(matches!(first, Action::Send { .. }));
//! while let Some(_action) = driver.poll_action(deadline) {}
//! assert_eq!(driver.state("VI_1"), Some(State::Master));
//! ```

mod host;
mod outputs;
mod pacing;
mod specs;
mod sync;
mod types;

#[cfg(test)]
mod tests;

pub use pacing::AnnouncePacing;
pub use types::{
    Action, DriverEvent, HandoverRefusal, HandoverResult, ResumeResult, RouterSpec, RouterStatus,
    Routing, SocketKey, SocketSpec,
};

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use vrrp_core::router::{State, TrackId, VipList, VirtualRouter};
use vrrp_core::wire::RxMeta;
use vrrp_core::{
    Family, Instant, InterfaceId, RouterKey, Routers, UnattributedStatistics, VirtualAddress,
};

use crate::error::{Error, Result};
use crate::monitor::NetEvent;
use host::{HostChange, HostState};
use outputs::needs_filter;
use pacing::{Pacer, PacingKey};
use sync::SyncGroups;

/// What the driver keeps of a spec besides the router (which holds the config): small,
/// because a host may run thousands of routers.
struct Entry {
    name: Arc<str>,
    /// The spec's tracked interfaces, by interface id.
    tracked: Box<[(TrackId, InterfaceId)]>,
    /// [`RouterSpec::address_interface`], by interface id.
    address_interface: Option<InterfaceId>,
    /// [`RouterSpec::vip_interfaces`], by interface id.
    vip_interfaces: Box<[(IpAddr, InterfaceId)]>,
    /// [`RouterSpec::routing`], if any.
    routing: Option<Arc<Routing>>,
    /// [`RouterSpec::announce_pacing`], if it paces anything.
    pacing: Option<PacingKey>,
    /// [`RouterSpec::adverts_through_ip_stack`].
    ip_stack_adverts: bool,
}

/// Every router of a process, with no I/O. See the [module documentation](self).
#[derive(Default)]
pub struct Driver {
    routers: Routers,
    entries: HashMap<RouterKey, Entry>,
    by_name: HashMap<Arc<str>, RouterKey>,
    /// Interface names by [`InterfaceId`]: an id stays with its name for the driver's
    /// life, whatever the kernel's index.
    interfaces: Vec<String>,
    host: HostState,
    /// Which routers track which interface, by name.
    trackers: HashMap<String, Vec<(RouterKey, TrackId)>>,
    /// Which routers have which VIP.
    vip_owners: HashMap<IpAddr, Vec<RouterKey>>,
    sends: VecDeque<Action>,
    address_work: VecDeque<Action>,
    notices: VecDeque<Action>,
    socket_generation: u64,
    sync: SyncGroups,
    pacer: Pacer,
    /// When to check that every master's routes and rules are in place: set when one
    /// of their kind was deleted, a little later so that a burst of deletions (ours, as
    /// masters step down, or an administrator's flush) makes one check.
    routing_check_at: Option<Instant>,
}

/// How long after a route or rule deletion the masters' routing is checked.
const ROUTING_CHECK_DELAY: Duration = Duration::from_millis(50);

impl Driver {
    /// A driver with no routers and no knowledge of the host yet: feed it the host's
    /// links and addresses ([`crate::monitor::NetlinkMonitor::snapshot`]) before adding routers.
    pub fn new() -> Self {
        Self::default()
    }

    // ----- routers -----

    /// Adds a router. Its interface must be known (from a [`NetEvent::Link`]); VIPs
    /// already on that interface are removed first (left over from an earlier run: we
    /// start as backup); a VIP held by another interface is an error.
    pub fn add(&mut self, now: Instant, spec: RouterSpec) -> Result<RouterKey> {
        let own_vips = HashSet::new();
        self.check(&spec, &own_vips)?;
        if self.by_name.contains_key(spec.name.as_str()) {
            return Err(Error::DuplicateName { name: spec.name });
        }
        let key = self.insert(now, spec)?;
        // A new sync group member is held before its first timer can fire.
        self.drain(now);
        Ok(key)
    }

    /// Replaces the set of routers, as a reload should: without failing over.
    ///
    /// A spec for a router that already runs (same interface, family and VRID, and same
    /// version) is applied to it in place with [`VirtualRouter::reconfigure`]: its state,
    /// timers, counters and track states carry over, a master stays master unless the
    /// new values make it lose the election by the RFC's rules, and only the VIPs that
    /// changed are added or released. Its name may change too. Only a change of identity
    /// (interface, family, VRID, version) replaces a router: the old one shuts down (a
    /// master sends priority 0 and releases its VIPs) and the new one starts. Routers no
    /// spec names shut down. The whole new set is checked first: on error nothing changes.
    pub fn reload(&mut self, now: Instant, specs: Vec<RouterSpec>) -> Result<ReloadSummary> {
        let own_vips: HashSet<IpAddr> = self.vip_owners.keys().copied().collect();
        let mut names = HashSet::new();
        let mut keys = HashSet::new();
        for spec in &specs {
            if !names.insert(spec.name.as_str()) {
                return Err(Error::DuplicateName {
                    name: spec.name.clone(),
                });
            }
            self.check(spec, &own_vips)?;
            let key = (
                spec.interface.as_str(),
                spec.config.family(),
                spec.config.vrid,
            );
            if !keys.insert(key) {
                return Err(Error::DuplicateRouter(vrrp_core::InsertError::Duplicate(
                    RouterKey {
                        interface: self
                            .interface_id_of(&spec.interface)
                            .unwrap_or(InterfaceId(0)),
                        family: key.1,
                        vrid: key.2,
                    },
                )));
            }
        }
        let (in_place, fresh): (Vec<_>, Vec<_>) = specs
            .into_iter()
            .map(|spec| (self.running_key(&spec), spec))
            .partition(|(key, _)| key.is_some());
        let stale: Vec<RouterKey> = self
            .entries
            .keys()
            .filter(|k| !in_place.iter().any(|(key, _)| *key == Some(**k)))
            .copied()
            .collect();
        let mut summary = ReloadSummary {
            removed: stale.len(),
            ..ReloadSummary::default()
        };
        for key in &stale {
            self.routers.with_router(key, |vr| vr.shutdown(now));
        }
        // Their goodbyes (priority 0, VIPs released) are queued before they go.
        self.drain(now);
        for key in stale {
            self.remove_entry(key);
        }
        // Names may move between running routers: release them all before taking them.
        for (key, _) in &in_place {
            if let Some(entry) = key.and_then(|k| self.entries.get(&k)) {
                self.by_name.remove(&entry.name);
            }
        }
        for (key, spec) in in_place {
            let key = key.expect("partitioned on Some");
            if self.update(now, key, spec)? {
                summary.reconfigured += 1;
            } else {
                summary.kept += 1;
            }
        }
        for (_, spec) in fresh {
            self.insert(now, spec)?;
            summary.started += 1;
        }
        self.drain(now);
        Ok(summary)
    }

    /// Removes the router called `name` gracefully (priority 0 if master, VIPs
    /// released). False if there is none.
    pub fn remove(&mut self, now: Instant, name: &str) -> bool {
        let Some(&key) = self.by_name.get(name) else {
            return false;
        };
        self.routers.with_router(&key, |vr| vr.shutdown(now));
        self.drain(now);
        self.remove_entry(key);
        true
    }

    /// Reports a tracked object of router `name` (a check script, say) as up or down.
    /// False if there is no such router.
    pub fn set_track(&mut self, now: Instant, name: &str, id: TrackId, up: bool) -> bool {
        let Some(key) = self.by_name.get(name).copied() else {
            return false;
        };
        self.routers
            .with_router(&key, |vr| vr.set_track(now, id, up));
        true
    }

    /// Reports the number a tracked object of router `name` reads (a `track_file`); see
    /// [`VirtualRouter::set_track_value`]. False if there is no such router.
    pub fn set_track_value(&mut self, now: Instant, name: &str, id: TrackId, value: i64) -> bool {
        let Some(key) = self.by_name.get(name).copied() else {
            return false;
        };
        self.routers
            .with_router(&key, |vr| vr.set_track_value(now, id, value));
        true
    }

    /// Hands the routers called `names` (all when empty) over to their best backups
    /// without losing a packet, and keeps them demoted until [`Driver::resume`]: see
    /// [`VirtualRouter::hand_over`]. One result per router, in the order asked (sorted
    /// by name for all).
    pub fn hand_over(&mut self, now: Instant, names: &[String]) -> Vec<(String, HandoverResult)> {
        self.each_named(names, |vr| vr.hand_over(now).map_err(HandoverRefusal::from))
    }

    /// Ends the demotion of the routers called `names` (all when empty): see
    /// [`VirtualRouter::resume`]. `Ok(true)` for a router that was demoted.
    pub fn resume(&mut self, now: Instant, names: &[String]) -> Vec<(String, ResumeResult)> {
        self.each_named(names, |vr| {
            let was = vr.is_demoted();
            vr.resume(now);
            Ok(was)
        })
    }

    fn each_named<T>(
        &mut self,
        names: &[String],
        mut f: impl FnMut(&mut VirtualRouter) -> std::result::Result<T, HandoverRefusal>,
    ) -> Vec<(String, std::result::Result<T, HandoverRefusal>)> {
        let names: Vec<String> = if names.is_empty() {
            let mut all: Vec<String> = self.names().map(str::to_owned).collect();
            all.sort();
            all
        } else {
            names.to_vec()
        };
        names
            .into_iter()
            .map(|name| {
                let result = match self.by_name.get(name.as_str()).copied() {
                    Some(key) => self
                        .routers
                        .with_router(&key, &mut f)
                        .unwrap_or_else(|| Err(HandoverRefusal::UnknownRouter(name.clone()))),
                    None => Err(HandoverRefusal::UnknownRouter(name.clone())),
                };
                (name, result)
            })
            .collect()
    }

    /// Shuts every router down gracefully: masters send priority 0 and release their
    /// VIPs. Drain [`Driver::poll_action`] afterwards.
    pub fn shutdown(&mut self, now: Instant) {
        self.routers.shutdown_all(now);
    }

    // ----- inputs from the network -----

    /// A VRRP datagram received on `socket`.
    pub fn handle_packet(
        &mut self,
        now: Instant,
        socket: SocketKey,
        meta: &RxMeta,
        payload: &[u8],
    ) {
        self.routers
            .handle_packet(now, socket.interface, meta, payload);
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.routers.handle_timeout(now);
        if self.routing_check_at.is_some_and(|t| t <= now) {
            self.routing_check_at = None;
            self.restore_routing();
        }
    }

    /// The earliest deadline: a router's, a paced announcement's, or the routing check's.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        [
            self.routers.poll_timeout(),
            self.pacer.poll_timeout(),
            self.routing_check_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// A link, address, route or rule change reported by netlink (or one entry of a
    /// snapshot).
    pub fn handle_net(&mut self, now: Instant, event: &NetEvent) {
        match *event {
            NetEvent::RouteRemoved { protocol } => {
                return self.routing_removed(now, protocol, false)
            }
            NetEvent::RuleRemoved { protocol } => return self.routing_removed(now, protocol, true),
            _ => {}
        }
        match self.host.apply(event) {
            HostChange::None => {}
            HostChange::Link { name, up, rebound } => {
                if rebound && self.is_used(&name) {
                    self.socket_generation += 1;
                }
                self.link_changed(now, &name, up, true);
            }
            HostChange::LinkGone { name } => {
                if self.is_used(&name) {
                    self.socket_generation += 1;
                }
                self.link_changed(now, &name, false, false);
            }
            HostChange::Address {
                name,
                addr,
                prefix_len,
                added,
            } => {
                // The own-address set of the interface's sockets changed, unless the
                // address is a VIP (never an own address): a mass takeover adding
                // thousands of VIPs does not rebuild the sockets' sets thousands of times.
                if !self.vip_owners.contains_key(&addr) && self.is_used(&name) {
                    self.socket_generation += 1;
                }
                if !added {
                    self.address_removed(now, &name, addr, prefix_len);
                }
            }
        }
    }

    /// Replaces what the driver knows of the host with a fresh snapshot (after
    /// [`NetEvent::Overrun`]: notifications were lost). Links that changed are handled
    /// as if notified, and every master's VIPs are checked and restored if missing.
    pub fn resync(&mut self, now: Instant, snapshot: &[NetEvent]) {
        let before: Vec<(String, bool)> = self
            .trackers
            .keys()
            .map(|name| (name.clone(), self.host.is_up(name)))
            .collect();
        self.host.clear();
        for event in snapshot {
            self.host.apply(event);
        }
        self.socket_generation += 1;
        for (name, was_up) in before {
            let link = self.host.link(&name);
            let up = link.is_some_and(|l| l.up);
            if up != was_up {
                self.link_changed(now, &name, up, link.is_some());
            }
        }
        let masters: Vec<RouterKey> = self
            .entries
            .keys()
            .filter(|k| {
                self.routers
                    .get(k)
                    .is_some_and(|r| r.state() == State::Master)
            })
            .copied()
            .collect();
        // Deletions of routes and rules may have been among the lost notifications.
        self.routing_check_at.get_or_insert(now);
        for key in masters {
            let Some(config) = self.routers.get(&key).map(VirtualRouter::config) else {
                continue;
            };
            let missing: Vec<(u32, VirtualAddress)> = config
                .held_addresses()
                .filter_map(|v| {
                    let link = self.host.link(self.vip_ifname_for(&key, v.addr))?;
                    let present = self.host.addresses(link.ifindex);
                    (!present.contains(&(v.addr, v.prefix_len))).then_some((link.ifindex, *v))
                })
                .collect();
            for (ifindex, vip) in missing {
                self.restore(now, key, ifindex, vip);
            }
        }
    }

    /// A route (`rule` false) or policy rule of `protocol` was deleted: if a master has
    /// one of that kind, check the masters' routing shortly.
    fn routing_removed(&mut self, now: Instant, protocol: u8, rule: bool) {
        if self.routing_check_at.is_some() {
            return; // a check is coming anyway
        }
        let ours = self.entries.iter().any(|(key, entry)| {
            entry.routing.as_ref().is_some_and(|routing| {
                let kind = if rule {
                    // Rules are always installed with keepalived's protocol.
                    protocol == crate::route::PROTOCOL_KEEPALIVED
                        && routing.rules.iter().any(|r| !r.no_track)
                } else {
                    routing
                        .routes
                        .iter()
                        .any(|r| !r.no_track && r.protocol_or_default() == protocol)
                };
                kind && self.is_master(key)
            })
        });
        if ours {
            self.routing_check_at
                .get_or_insert(now + ROUTING_CHECK_DELAY);
        }
    }

    /// Asks the shell to put back whatever of every master's routing is missing, but
    /// for what is marked `no_track`: as keepalived, that comes back at the next
    /// transition to master only.
    fn restore_routing(&mut self) {
        for (key, entry) in &self.entries {
            let Some(routing) = &entry.routing else {
                continue;
            };
            if !self.is_master(key) {
                continue;
            }
            let tracked = Routing {
                routes: routing
                    .routes
                    .iter()
                    .filter(|r| !r.no_track)
                    .cloned()
                    .collect(),
                rules: routing
                    .rules
                    .iter()
                    .filter(|r| !r.no_track)
                    .cloned()
                    .collect(),
            };
            if !tracked.is_empty() {
                self.address_work.push_back(Action::RestoreRouting {
                    router: entry.name.clone(),
                    routing: Arc::new(tracked),
                });
            }
        }
    }

    fn is_master(&self, key: &RouterKey) -> bool {
        self.routers
            .get(key)
            .is_some_and(|r| r.state() == State::Master)
    }

    // ----- outputs -----

    /// The next thing to do: adverts first, then address work, then notifications.
    ///
    /// Before handing out slow work, timers due at `now` are fired, so that a router
    /// whose down timer expires while others' VIPs are being added sends its advert
    /// first: with hundreds of routers taking over together, the last one's advert is
    /// not delayed by everyone else's netlink round trips.
    pub fn poll_action(&mut self, now: Instant) -> Option<Action> {
        self.drain(now);
        if let Some(send) = self.sends.pop_front() {
            return Some(send);
        }
        if !(self.address_work.is_empty() && self.notices.is_empty())
            && self.routers.poll_timeout().is_some_and(|d| d <= now)
        {
            self.routers.handle_timeout(now);
            self.drain(now);
            if let Some(send) = self.sends.pop_front() {
                return Some(send);
            }
        }
        let next = self
            .address_work
            .pop_front()
            .or_else(|| self.notices.pop_front());
        if next.is_none() {
            self.shrink_queues();
        }
        next
    }

    /// After a burst (thousands of routers taking over at once) the queues are empty but
    /// keep their size; give that memory back.
    fn shrink_queues(&mut self) {
        const KEEP: usize = 64;
        for queue in [&mut self.sends, &mut self.address_work, &mut self.notices] {
            if queue.capacity() > 4 * KEEP {
                queue.shrink_to(KEEP);
            }
        }
    }

    /// The sockets the routers need now, one per (interface, family) with routers on a
    /// present interface. Compare [`Driver::socket_generation`] to know when to look.
    pub fn sockets(&self) -> Vec<SocketSpec> {
        let mut specs: Vec<SocketSpec> = Vec::new();
        for key in self.entries.keys() {
            let Some(config) = self.routers.get(key).map(VirtualRouter::config) else {
                continue;
            };
            let Some(link) = self.host.link(self.ifname(key)) else {
                continue;
            };
            let socket = SocketKey {
                interface: key.interface,
                family: key.family,
            };
            let i = match specs.iter().position(|s| s.key == socket) {
                Some(i) => i,
                None => {
                    specs.push(SocketSpec {
                        key: socket,
                        interface: self.ifname(key).to_owned(),
                        ifindex: link.ifindex,
                        join_group: false,
                        virtual_addresses: Vec::new(),
                        own_addresses: self
                            .host
                            .addresses(link.ifindex)
                            .iter()
                            .map(|(a, _)| *a)
                            .filter(|a| Family::of(a) == key.family)
                            .collect(),
                        link_layer_multicast: true,
                    });
                    specs.len() - 1
                }
            };
            let spec = &mut specs[i];
            spec.join_group |= config.unicast_peers.is_empty();
            spec.link_layer_multicast &= !self.entries.get(key).is_some_and(|e| e.ip_stack_adverts);
            spec.virtual_addresses
                .extend(config.held_addresses().map(|v| v.addr));
        }
        for spec in &mut specs {
            spec.virtual_addresses.sort_unstable();
            spec.virtual_addresses.dedup();
            spec.own_addresses
                .retain(|a| spec.virtual_addresses.binary_search(a).is_err());
        }
        specs.sort_by_key(|s| s.key);
        specs
    }

    /// Changes whenever [`Driver::sockets`] may have changed.
    pub fn socket_generation(&self) -> u64 {
        self.socket_generation
    }

    // ----- status -----

    /// Whether the host has a link called `name`, as far as the driver has been told.
    pub fn knows_link(&self, name: &str) -> bool {
        self.host.link(name).is_some()
    }

    /// The state of router `name`.
    pub fn state(&self, name: &str) -> Option<State> {
        let key = self.by_name.get(name)?;
        self.routers.get(key).map(VirtualRouter::state)
    }

    /// The router called `name`.
    pub fn router(&self, name: &str) -> Option<&VirtualRouter> {
        self.routers.get(self.by_name.get(name)?)
    }

    /// Number of routers.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True without routers.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The names of every router, in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.values().map(|e| &*e.name)
    }

    /// Counters of packets that reached no router: adverts for VRIDs not configured
    /// here, and packets refused before their VRID could be trusted.
    pub fn unattributed_statistics(&self) -> UnattributedStatistics {
        *self.routers.unattributed_statistics()
    }

    /// A snapshot of every router, sorted by name.
    pub fn status(&self, now: Instant) -> Vec<RouterStatus> {
        let mut out: Vec<RouterStatus> = self
            .routers
            .iter()
            .filter_map(|(key, vr)| {
                let entry = self.entries.get(key)?;
                Some(RouterStatus {
                    name: entry.name.to_string(),
                    interface: self.ifname(key).to_owned(),
                    family: key.family,
                    vrid: key.vrid,
                    state: vr.state(),
                    base_priority: vr.config().priority,
                    effective_priority: vr.effective_priority(),
                    tracks: vr.track_shares().collect(),
                    master: vr.current_master(),
                    last_transition: vr.last_transition().map(|(at, r)| (now - at, r)),
                    master_adver_interval: vr.master_adver_interval(),
                    peer_checksum_forms: vr.peer_checksum_forms().collect(),
                    statistics: *vr.statistics(),
                    virtual_addresses: vr
                        .config()
                        .virtual_addresses
                        .iter()
                        .map(|v| v.addr)
                        .collect(),
                    demoted: vr.is_demoted(),
                    handing_over: vr.is_handing_over(),
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    // ----- internals -----

    /// The name of the interface a router runs on.
    fn ifname(&self, key: &RouterKey) -> &str {
        self.interfaces
            .get(key.interface.0 as usize)
            .map_or("", String::as_str)
    }

    /// The name of the interface a router's VIPs go on: its own unless the spec names
    /// another ([`RouterSpec::address_interface`]).
    fn vip_ifname(&self, key: &RouterKey) -> &str {
        match self.entries.get(key).and_then(|e| e.address_interface) {
            Some(id) => self
                .interfaces
                .get(id.0 as usize)
                .map_or("", String::as_str),
            None => self.ifname(key),
        }
    }

    /// The name of the interface the VIP `addr` of a router goes on: the one its spec
    /// names for it ([`RouterSpec::vip_interfaces`]), else the router's VIP interface.
    fn vip_ifname_for(&self, key: &RouterKey, addr: IpAddr) -> &str {
        let named = self
            .entries
            .get(key)
            .and_then(|e| e.vip_interfaces.iter().find(|(a, _)| *a == addr))
            .and_then(|(_, id)| self.interfaces.get(id.0 as usize));
        match named {
            Some(name) => name,
            None => self.vip_ifname(key),
        }
    }

    /// `vips` of a router by the interface each goes on, in order of first appearance
    /// (one group unless its spec puts some elsewhere).
    fn vips_by_interface(&self, key: &RouterKey, vips: &VipList) -> Vec<(String, VipList)> {
        if self
            .entries
            .get(key)
            .is_none_or(|e| e.vip_interfaces.is_empty())
        {
            // The usual case: one interface, the list shared as it is.
            return vec![(self.vip_ifname(key).to_owned(), vips.clone())];
        }
        let mut groups: Vec<(String, Vec<VirtualAddress>)> = Vec::new();
        for vip in vips {
            let name = self.vip_ifname_for(key, vip.addr);
            match groups.iter_mut().find(|(n, _)| n == name) {
                Some((_, list)) => list.push(*vip),
                None => groups.push((name.to_owned(), vec![*vip])),
            }
        }
        groups
            .into_iter()
            .map(|(name, list)| (name, VipList::from(list)))
            .collect()
    }

    fn interface_id(&mut self, name: &str) -> InterfaceId {
        match self.interface_id_of(name) {
            Some(id) => id,
            None => {
                self.interfaces.push(name.to_owned());
                InterfaceId((self.interfaces.len() - 1) as u32)
            }
        }
    }

    fn interface_id_of(&self, name: &str) -> Option<InterfaceId> {
        self.interfaces
            .iter()
            .position(|n| n == name)
            .map(|i| InterfaceId(i as u32))
    }

    /// Whether a router runs on the interface called `name`.
    fn is_used(&self, name: &str) -> bool {
        self.interface_id_of(name)
            .is_some_and(|id| self.entries.keys().any(|k| k.interface == id))
    }

    fn link_changed(&mut self, now: Instant, name: &str, up: bool, present: bool) {
        let Some(trackers) = self.trackers.get(name) else {
            return;
        };
        for (key, id) in trackers.clone() {
            self.routers
                .with_router(&key, |vr| vr.set_track(now, id, up));
        }
        self.notices.push_back(Action::Notify(DriverEvent::Link {
            interface: name.to_owned(),
            up,
            present,
        }));
    }
}

/// What [`Driver::reload`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReloadSummary {
    /// Routers whose spec did not change: untouched.
    pub kept: usize,
    /// Running routers whose spec changed, reconfigured in place (state kept).
    pub reconfigured: usize,
    /// Routers no spec names any more, or whose identity (interface, family, VRID,
    /// version) changed: shut down.
    pub removed: usize,
    /// Routers new or whose identity changed: started.
    pub started: usize,
}
