//! A deterministic simulator: virtual clock, virtual LAN, real routers.
//!
//! Hosts ([`NodeId`]) each run a [`Routers`] set on one interface. Adverts travel over a
//! simulated link with configurable loss, delay, duplication and partitions; links go up
//! and down and hosts crash and restart. Nothing sleeps: the simulator jumps from one
//! deadline or delivery to the next, so hours of protocol time run in milliseconds, and a
//! seed makes every run repeatable.
//!
//! ```
//! use vrrp_core::router::{RouterConfig, State};
//! use vrrp_core::sim::Sim;
//! use vrrp_core::{Priority, Vrid};
//! use core::net::{IpAddr, Ipv4Addr};
//! use core::time::Duration;
//!
//! let vip = IpAddr::V4(Ipv4Addr::new(192, 168, 100, 12));
//! let host = |last: u8, priority: u8| {
//!     let mut c = RouterConfig::new(Vrid::new(51).unwrap(), IpAddr::V4(Ipv4Addr::new(192, 168, 100, last)), vec![vip]);
//!     c.priority = Priority(priority);
//!     c
//! };
//! let mut sim = Sim::new(1);
//! let a = sim.add_node();
//! let b = sim.add_node();
//! sim.add_router(a, host(10, 101)).unwrap();
//! sim.add_router(b, host(13, 100)).unwrap();
//! sim.run_for(Duration::from_secs(10));
//! assert_eq!(sim.masters(Vrid::new(51).unwrap()), vec![a]);
//!
//! sim.set_link(a, false); // the master's cable is pulled
//! sim.run_for(Duration::from_secs(10));
//! assert_eq!(sim.state(b, Vrid::new(51).unwrap()), Some(State::Master));
//! ```

use alloc::collections::BinaryHeap;
use alloc::vec::Vec;
use core::cmp::Reverse;
use core::net::IpAddr;
use core::time::Duration;

use crate::router::{
    ConfigError, Event, Output, Payload, Reason, RouterConfig, State, VirtualRouter,
};
use crate::routers::{InsertError, InterfaceId, RouterKey, Routers};
use crate::time::Instant;
use crate::types::{Priority, Vrid};
use crate::wire::{RxMeta, REQUIRED_HOP_LIMIT};

/// A simulated host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub usize);

/// The one interface every simulated host has.
pub const SIM_INTERFACE: InterfaceId = InterfaceId(1);

/// A state change seen in the simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// When.
    pub at: Instant,
    /// Where.
    pub node: NodeId,
    /// Which router.
    pub vrid: Vrid,
    /// From.
    pub from: State,
    /// To.
    pub to: State,
    /// Why.
    pub reason: Reason,
}

/// An advert put on the wire (recorded when [`Sim::record_adverts`] is on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentAdvert {
    /// When.
    pub at: Instant,
    /// By whom.
    pub node: NodeId,
    /// Which router.
    pub vrid: Vrid,
    /// With what priority.
    pub priority: Priority,
}

/// Error adding a router to a simulated host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The VRID already runs on that host.
    #[error(transparent)]
    Insert(#[from] InsertError),
    /// No such node.
    #[error("no node {0}")]
    NoSuchNode(usize),
}

struct Node {
    routers: Routers,
    configs: Vec<RouterConfig>,
    link_up: bool,
    running: bool,
    partition: u32,
    /// VIPs this host has added and not removed, per VRID.
    holds_vips: Vec<Vrid>,
}

struct Delivery {
    to: usize,
    meta: RxMeta,
    payload: Payload,
}

/// Link behaviour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkModel {
    /// Probability that a copy of a packet is lost, 0.0..=1.0.
    pub loss: f64,
    /// Probability that a packet is delivered twice.
    pub duplication: f64,
    /// Smallest one-way delay.
    pub min_delay: Duration,
    /// Largest one-way delay (uniformly distributed between).
    pub max_delay: Duration,
}

impl Default for LinkModel {
    fn default() -> Self {
        LinkModel {
            loss: 0.0,
            duplication: 0.0,
            min_delay: Duration::from_micros(50),
            max_delay: Duration::from_micros(50),
        }
    }
}

/// The simulator. See the [module documentation](self).
pub struct Sim {
    now: Instant,
    nodes: Vec<Node>,
    in_flight: BinaryHeap<Reverse<(Instant, u64, usize)>>,
    deliveries: Vec<Option<Delivery>>,
    free_deliveries: Vec<usize>,
    seq: u64,
    rng: u64,
    link: LinkModel,
    transitions: Vec<Transition>,
    events: Vec<(Instant, NodeId, Event)>,
    record_events: bool,
    adverts: Vec<SentAdvert>,
    record_adverts: bool,
}

impl Sim {
    /// An empty LAN at time zero; `seed` drives loss, delay and duplication.
    pub fn new(seed: u64) -> Self {
        Sim {
            now: Instant::ZERO,
            nodes: Vec::new(),
            in_flight: BinaryHeap::new(),
            deliveries: Vec::new(),
            free_deliveries: Vec::new(),
            seq: 0,
            rng: seed ^ 0x9e37_79b9_7f4a_7c15,
            link: LinkModel::default(),
            transitions: Vec::new(),
            events: Vec::new(),
            record_events: false,
            adverts: Vec::new(),
            record_adverts: false,
        }
    }

    /// Adds a host with no routers, link up.
    pub fn add_node(&mut self) -> NodeId {
        self.nodes.push(Node {
            routers: Routers::new(),
            configs: Vec::new(),
            link_up: true,
            running: true,
            partition: 0,
            holds_vips: Vec::new(),
        });
        NodeId(self.nodes.len() - 1)
    }

    /// Starts a router on a host, now.
    pub fn add_router(
        &mut self,
        node: NodeId,
        config: RouterConfig,
    ) -> Result<RouterKey, SimError> {
        let now = self.now;
        let n = self
            .nodes
            .get_mut(node.0)
            .ok_or(SimError::NoSuchNode(node.0))?;
        let router = VirtualRouter::new(config.clone(), now)?;
        let key = n.routers.insert(SIM_INTERFACE, router)?;
        n.configs.push(config);
        self.drain(node.0);
        Ok(key)
    }

    /// Sets the link model for all future packets.
    pub fn set_link_model(&mut self, model: LinkModel) {
        self.link = model;
    }

    /// Records every advert sent, for timing assertions.
    pub fn record_adverts(&mut self, on: bool) {
        self.record_adverts = on;
    }

    /// Records every event (drops, checksum forms, ...), not only state changes.
    pub fn record_events(&mut self, on: bool) {
        self.record_events = on;
    }

    /// Splits the LAN: hosts in different groups no longer hear each other. Hosts not
    /// named stay in group 0.
    pub fn partition(&mut self, groups: &[&[NodeId]]) {
        for n in &mut self.nodes {
            n.partition = 0;
        }
        for (g, members) in groups.iter().enumerate() {
            for m in *members {
                if let Some(n) = self.nodes.get_mut(m.0) {
                    n.partition = g as u32 + 1;
                }
            }
        }
    }

    /// Heals every partition.
    pub fn heal(&mut self) {
        for n in &mut self.nodes {
            n.partition = 0;
        }
    }

    /// Takes a host's link down or up. Down: it neither sends nor receives, but keeps
    /// running (and, alone, becomes master: that is what a real host does).
    pub fn set_link(&mut self, node: NodeId, up: bool) {
        if let Some(n) = self.nodes.get_mut(node.0) {
            n.link_up = up;
        }
    }

    /// Kills a host without a goodbye (no priority-0 advert): a crash or power loss.
    pub fn crash(&mut self, node: NodeId) {
        if let Some(n) = self.nodes.get_mut(node.0) {
            n.running = false;
            n.routers = Routers::new();
            n.holds_vips.clear();
        }
    }

    /// Shuts a host down gracefully: its masters send priority 0.
    pub fn shutdown(&mut self, node: NodeId) {
        let now = self.now;
        if let Some(n) = self.nodes.get_mut(node.0) {
            n.routers.shutdown_all(now);
        }
        self.drain(node.0);
        if let Some(n) = self.nodes.get_mut(node.0) {
            n.running = false;
            n.routers = Routers::new();
        }
    }

    /// Starts a crashed or shut-down host again with its routers' configurations.
    pub fn restart(&mut self, node: NodeId) {
        let now = self.now;
        let Some(n) = self.nodes.get_mut(node.0) else {
            return;
        };
        n.routers = Routers::new();
        n.running = true;
        for config in &n.configs {
            // Configs were validated when first added.
            if let Ok(router) = VirtualRouter::new(config.clone(), now) {
                let _ = n.routers.insert(SIM_INTERFACE, router);
            }
        }
        self.drain(node.0);
    }

    /// Reports a tracked object's state to one router.
    pub fn set_track(&mut self, node: NodeId, vrid: Vrid, id: crate::router::TrackId, up: bool) {
        let now = self.now;
        let Some(n) = self.nodes.get_mut(node.0) else {
            return;
        };
        let Some(family) = n
            .configs
            .iter()
            .find(|c| c.vrid == vrid)
            .map(RouterConfig::family)
        else {
            return;
        };
        let key = RouterKey {
            interface: SIM_INTERFACE,
            family,
            vrid,
        };
        n.routers.with_router(&key, |vr| vr.set_track(now, id, up));
        self.drain(node.0);
    }

    /// Virtual now.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Runs until virtual time `until`.
    pub fn run_until(&mut self, until: Instant) {
        while let Some(next) = self.next_deadline() {
            if next > until {
                break;
            }
            self.now = next;
            self.step();
        }
        self.now = self.now.max(until);
    }

    /// Runs for `duration` of virtual time.
    pub fn run_for(&mut self, duration: Duration) {
        self.run_until(self.now + duration);
    }

    /// The hosts that are master for `vrid`.
    pub fn masters(&self, vrid: Vrid) -> Vec<NodeId> {
        (0..self.nodes.len())
            .map(NodeId)
            .filter(|&n| self.state(n, vrid) == Some(State::Master))
            .collect()
    }

    /// A router's state, `None` if the host runs no such router.
    pub fn state(&self, node: NodeId, vrid: Vrid) -> Option<State> {
        self.router(node, vrid).map(VirtualRouter::state)
    }

    /// A host's router for `vrid`.
    pub fn router(&self, node: NodeId, vrid: Vrid) -> Option<&VirtualRouter> {
        let n = self.nodes.get(node.0)?;
        n.routers
            .iter()
            .find(|(k, _)| k.vrid == vrid)
            .map(|(_, vr)| vr)
    }

    /// Whether a host has `vrid`'s virtual addresses configured (added, not removed).
    pub fn holds_vips(&self, node: NodeId, vrid: Vrid) -> bool {
        self.nodes
            .get(node.0)
            .is_some_and(|n| n.holds_vips.contains(&vrid))
    }

    /// Every state change so far.
    pub fn transitions(&self) -> &[Transition] {
        &self.transitions
    }

    /// Every event so far (when [`Sim::record_events`] is on).
    pub fn events(&self) -> &[(Instant, NodeId, Event)] {
        &self.events
    }

    /// Every advert put on the wire so far (when [`Sim::record_adverts`] is on); adverts
    /// of a host whose link is down are not on the wire and not listed.
    pub fn adverts(&self) -> &[SentAdvert] {
        &self.adverts
    }

    fn next_deadline(&mut self) -> Option<Instant> {
        let mut next = self.in_flight.peek().map(|Reverse((t, _, _))| *t);
        for n in &mut self.nodes {
            if let Some(t) = n.routers.poll_timeout() {
                next = Some(next.map_or(t, |x| x.min(t)));
            }
        }
        next
    }

    fn step(&mut self) {
        let now = self.now;
        while let Some(&Reverse((at, _, id))) = self.in_flight.peek() {
            if at > now {
                break;
            }
            self.in_flight.pop();
            let Some(d) = self.deliveries.get_mut(id).and_then(Option::take) else {
                continue;
            };
            self.free_deliveries.push(id);
            let n = &mut self.nodes[d.to];
            if n.running && n.link_up {
                n.routers
                    .handle_packet(now, SIM_INTERFACE, &d.meta, &d.payload);
            }
            self.drain(d.to);
        }
        for i in 0..self.nodes.len() {
            if self.nodes[i]
                .routers
                .poll_timeout()
                .is_some_and(|t| t <= now)
            {
                self.nodes[i].routers.handle_timeout(now);
                self.drain(i);
            }
        }
    }

    fn drain(&mut self, from: usize) {
        let now = self.now;
        let mut sends: Vec<(RxMeta, Payload)> = Vec::new();
        {
            let node = &mut self.nodes[from];
            while let Some((key, out)) = node.routers.poll_output() {
                match out {
                    Output::Transmit(t) => {
                        // Only what reaches the wire: a host with its link down sends
                        // into the void.
                        if self.record_adverts && node.link_up && node.running {
                            self.adverts.push(SentAdvert {
                                at: now,
                                node: NodeId(from),
                                vrid: key.vrid,
                                priority: Priority(t.payload.get(2).copied().unwrap_or(0)),
                            });
                        }
                        let meta = RxMeta {
                            src: t.src,
                            dst: t.dst,
                            hop_limit: REQUIRED_HOP_LIMIT,
                        };
                        sends.push((meta, t.payload));
                    }
                    Output::AddVips(_) => {
                        if !node.holds_vips.contains(&key.vrid) {
                            node.holds_vips.push(key.vrid);
                        }
                    }
                    Output::RemoveVips(_) => node.holds_vips.retain(|v| *v != key.vrid),
                    Output::Announce(_) => {}
                    Output::Event(event) => {
                        if let Event::StateChanged {
                            from: f,
                            to,
                            reason,
                        } = event
                        {
                            self.transitions.push(Transition {
                                at: now,
                                node: NodeId(from),
                                vrid: key.vrid,
                                from: f,
                                to,
                                reason,
                            });
                        }
                        if self.record_events {
                            self.events.push((now, NodeId(from), event));
                        }
                    }
                }
            }
        }
        for (meta, payload) in sends {
            self.transmit(from, meta, payload);
        }
    }

    fn transmit(&mut self, from: usize, meta: RxMeta, payload: Payload) {
        let sender = &self.nodes[from];
        if !sender.link_up {
            return;
        }
        let partition = sender.partition;
        let multicast = match meta.dst {
            IpAddr::V4(a) => a.is_multicast(),
            IpAddr::V6(a) => a.is_multicast(),
        };
        for to in 0..self.nodes.len() {
            let n = &self.nodes[to];
            if to == from || !n.link_up || n.partition != partition {
                continue;
            }
            if !multicast && !n.configs.iter().any(|c| c.primary_address == meta.dst) {
                continue;
            }
            let copies = if self.chance(self.link.duplication) {
                2
            } else {
                1
            };
            for _ in 0..copies {
                if self.chance(self.link.loss) {
                    continue;
                }
                let delay = self.delay();
                self.schedule(
                    self.now + delay,
                    Delivery {
                        to,
                        meta,
                        payload: payload.clone(),
                    },
                );
            }
        }
    }

    fn schedule(&mut self, at: Instant, delivery: Delivery) {
        let id = match self.free_deliveries.pop() {
            Some(id) => {
                self.deliveries[id] = Some(delivery);
                id
            }
            None => {
                self.deliveries.push(Some(delivery));
                self.deliveries.len() - 1
            }
        };
        // The sequence number delivers packets due at the same time in send order.
        self.seq += 1;
        self.in_flight.push(Reverse((at, self.seq, id)));
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*: small, fast, and plenty for a link model.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn chance(&mut self, p: f64) -> bool {
        if p <= 0.0 {
            return false;
        }
        (self.next_random() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    fn delay(&mut self) -> Duration {
        let min = self.link.min_delay.as_micros() as u64;
        let max = self.link.max_delay.as_micros() as u64;
        if max <= min {
            return Duration::from_micros(min);
        }
        Duration::from_micros(min + self.next_random() % (max - min + 1))
    }
}
