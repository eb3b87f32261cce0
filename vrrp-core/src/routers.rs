//! Many virtual routers behind one receive path and one timer queue.
//!
//! A host may run every VRID (1..=255) on each interface and family. [`Routers`] decodes a
//! packet once, hands it to the router of its VRID through a direct table, and keeps the
//! routers' deadlines in a heap, so neither a packet nor a timer costs more with 255
//! routers than with one.

use alloc::boxed::Box;
use alloc::collections::{BinaryHeap, VecDeque};
use alloc::vec::Vec;
use core::cmp::Reverse;
use core::net::IpAddr;

use crate::router::{DropCounters, DropReason, Output, VirtualRouter};
use crate::time::Instant;
use crate::types::{Family, Vrid};
use crate::wire::{self, RxMeta};

/// The embedder's name for an interface (typically its ifindex).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InterfaceId(pub u32);

/// Identifies a virtual router among many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RouterKey {
    /// The interface it runs on.
    pub interface: InterfaceId,
    /// Its address family.
    pub family: Family,
    /// Its VRID.
    pub vrid: Vrid,
}

/// Why a router could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InsertError {
    /// A router with the same interface, family and VRID exists.
    #[error("VRID {} ({:?}) already runs on interface {}", .0.vrid, .0.family, .0.interface.0)]
    Duplicate(RouterKey),
}

/// Counters for packets that reached no router.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UnattributedStatistics {
    /// Valid adverts for a VRID not configured here (RFC 6527's router-wide
    /// vrrpv3RouterVrIdErrors).
    pub unknown_vrid: u64,
    /// Packets refused by the codec before their VRID could be trusted (VRID 0, too
    /// short to carry one, or naming no router here).
    pub drops: DropCounters,
}

/// A packet that reached no router, for the embedder to log (see
/// [`Routers::poll_unattributed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnattributedDrop {
    /// Where it arrived.
    pub interface: InterfaceId,
    /// Its source.
    pub from: IpAddr,
    /// Why it was dropped; an advert for a VRID not configured here is
    /// [`DropReason::VridMismatch`].
    pub reason: DropReason,
}

/// Unattributed drops waiting for [`Routers::poll_unattributed`]: a flood is counted in
/// full but queued only this far, so it cannot grow the queue.
const UNATTRIBUTED_QUEUE: usize = 64;

const NO_ROUTER: u32 = u32::MAX;

struct Slot {
    key: RouterKey,
    router: VirtualRouter,
    /// Bumped when the slot is reused, so heap entries of a removed router go stale.
    generation: u32,
    /// The earliest deadline this router has in the heap.
    scheduled: Option<Instant>,
    /// Whether the slot is in `ready`.
    ready: bool,
}

struct LinkTable {
    interface: InterfaceId,
    family: Family,
    by_vrid: Box<[u32; 256]>,
}

/// A set of virtual routers sharing one receive path and one timer queue.
///
/// ```
/// use vrrp_core::router::{RouterConfig, State, VirtualRouter};
/// use vrrp_core::{Instant, InterfaceId, Routers, Vrid};
/// use core::net::{IpAddr, Ipv4Addr};
///
/// let mut routers = Routers::new();
/// let now = Instant::ZERO;
/// for vrid in 1..=255u8 {
///     let config = RouterConfig::new(
///         Vrid::new(vrid).unwrap(),
///         IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
///         vec![IpAddr::V4(Ipv4Addr::new(10, 0, 1, vrid))],
///     );
///     routers.insert(InterfaceId(2), VirtualRouter::new(config, now).unwrap()).unwrap();
/// }
/// // Everyone is Backup; the first deadline is the highest-priority down timer.
/// let deadline = routers.poll_timeout().unwrap();
/// routers.handle_timeout(deadline);
/// while let Some((_key, _output)) = routers.poll_output() {}
/// assert!(routers.iter().all(|(_, vr)| vr.state() == State::Master));
/// ```
#[derive(Default)]
pub struct Routers {
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    links: Vec<LinkTable>,
    heap: BinaryHeap<Reverse<(Instant, u32, u32)>>,
    ready: Vec<u32>,
    unattributed: UnattributedStatistics,
    unattributed_queue: VecDeque<UnattributedDrop>,
    next_generation: u32,
}

impl Routers {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a (started) router on `interface`.
    pub fn insert(
        &mut self,
        interface: InterfaceId,
        router: VirtualRouter,
    ) -> Result<RouterKey, InsertError> {
        let config = router.config();
        let key = RouterKey {
            interface,
            family: config.family(),
            vrid: config.vrid,
        };
        let table = self.table_mut(interface, key.family);
        let entry = &mut table.by_vrid[key.vrid.get() as usize];
        if *entry != NO_ROUTER {
            return Err(InsertError::Duplicate(key));
        }
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        };
        self.table_mut(interface, key.family).by_vrid[key.vrid.get() as usize] = index;
        self.next_generation = self.next_generation.wrapping_add(1);
        self.slots[index as usize] = Some(Slot {
            key,
            router,
            generation: self.next_generation,
            scheduled: None,
            ready: false,
        });
        self.touched(index);
        Ok(key)
    }

    /// Removes a router and returns it (its pending outputs are not delivered).
    pub fn remove(&mut self, key: &RouterKey) -> Option<VirtualRouter> {
        let index = self.index_of(key)?;
        self.table_mut(key.interface, key.family).by_vrid[key.vrid.get() as usize] = NO_ROUTER;
        let slot = self.slots.get_mut(index as usize)?.take()?;
        self.ready.retain(|&i| i != index);
        self.free.push(index);
        Some(slot.router)
    }

    /// The router with this key.
    pub fn get(&self, key: &RouterKey) -> Option<&VirtualRouter> {
        let index = self.index_of(key)?;
        self.slots.get(index as usize)?.as_ref().map(|s| &s.router)
    }

    /// Calls `f` on the router with this key (then reschedules it), and returns what `f`
    /// returned; `None` if there is no such router.
    pub fn with_router<R>(
        &mut self,
        key: &RouterKey,
        f: impl FnOnce(&mut VirtualRouter) -> R,
    ) -> Option<R> {
        let index = self.index_of(key)?;
        let slot = self.slots.get_mut(index as usize)?.as_mut()?;
        let result = f(&mut slot.router);
        self.touched(index);
        Some(result)
    }

    /// All routers.
    pub fn iter(&self) -> impl Iterator<Item = (&RouterKey, &VirtualRouter)> {
        self.slots.iter().flatten().map(|s| (&s.key, &s.router))
    }

    /// Number of routers.
    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// True if there are no routers.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Packets that reached no router.
    pub fn unattributed_statistics(&self) -> &UnattributedStatistics {
        &self.unattributed
    }

    /// Decodes a packet received on `interface` once and hands it to the router of its
    /// VRID. Drops are counted on that router when its VRID byte names one, else in
    /// [`Routers::unattributed_statistics`].
    pub fn handle_packet(
        &mut self,
        now: Instant,
        interface: InterfaceId,
        meta: &RxMeta,
        bytes: &[u8],
    ) {
        let family = meta.family();
        match wire::decode(bytes, meta) {
            Ok((repr, form)) => {
                let index = self.lookup(interface, family, repr.vrid.get());
                match self.slot_mut(index) {
                    Some(slot) => slot.router.handle_advert(now, meta, &repr, form),
                    None => {
                        self.unattributed.unknown_vrid += 1;
                        let reason = DropReason::VridMismatch(repr.vrid.get());
                        self.queue_unattributed(interface, meta.src, reason);
                        return;
                    }
                }
                self.touched(index);
            }
            Err(error) => {
                let index = match bytes.get(1) {
                    Some(&vrid) => self.lookup(interface, family, vrid),
                    None => NO_ROUTER,
                };
                match self.slot_mut(index) {
                    Some(slot) => slot.router.record_drop(meta.src, error),
                    None => {
                        let reason = DropReason::Decode(error);
                        self.unattributed.drops.record(&reason);
                        self.queue_unattributed(interface, meta.src, reason);
                        return;
                    }
                }
                self.touched(index);
            }
        }
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        // Every router moves its deadline past `now` when it handles a timeout, so each
        // entry due now is seen once; the bound only guards the caller's loop against a
        // router that broke that rule (what is left is handled on the next call).
        let mut budget = self.heap.len() + self.slots.len();
        while let Some(&Reverse((at, index, generation))) = self.heap.peek() {
            if at > now || budget == 0 {
                break;
            }
            budget -= 1;
            self.heap.pop();
            let Some(slot) = self.slot_mut(index) else {
                continue;
            };
            if slot.generation != generation || slot.scheduled != Some(at) {
                continue; // superseded by an earlier entry
            }
            slot.scheduled = None;
            slot.router.handle_timeout(now);
            self.touched(index);
        }
    }

    /// The earliest deadline of any router.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        loop {
            let &Reverse((at, index, generation)) = self.heap.peek()?;
            let Some(slot) = self.slots.get_mut(index as usize).and_then(Option::as_mut) else {
                self.heap.pop();
                continue;
            };
            if slot.generation != generation || slot.scheduled != Some(at) {
                self.heap.pop();
                continue;
            }
            let actual = slot.router.poll_timeout();
            if actual == Some(at) {
                return Some(at);
            }
            // The deadline moved later (a backup heard its master) since it was pushed:
            // entries are only pushed when a deadline moves earlier, so fix it up here,
            // once per expiry rather than once per packet.
            self.heap.pop();
            slot.scheduled = actual;
            if let Some(actual) = actual {
                self.heap.push(Reverse((actual, index, generation)));
            }
        }
    }

    /// The next output of any router that has one, with the router's key.
    pub fn poll_output(&mut self) -> Option<(RouterKey, Output)> {
        let index = loop {
            let &index = self.ready.last()?;
            match self.slots.get_mut(index as usize).and_then(Option::as_mut) {
                Some(slot) if slot.router.has_output() => break index,
                Some(slot) => {
                    slot.ready = false;
                    self.ready.pop();
                }
                None => {
                    self.ready.pop();
                }
            }
        };
        let slot = self.slots.get_mut(index as usize)?.as_mut()?;
        let key = slot.key;
        slot.router.poll_output().map(|o| (key, o))
    }

    /// The next packet that reached no router (an unknown VRID, VRID 0, too short to
    /// name one), oldest first. Counted in [`Routers::unattributed_statistics`] whether
    /// or not anyone polls; at most a few dozen wait here.
    pub fn poll_unattributed(&mut self) -> Option<UnattributedDrop> {
        self.unattributed_queue.pop_front()
    }

    fn queue_unattributed(&mut self, interface: InterfaceId, from: IpAddr, reason: DropReason) {
        if self.unattributed_queue.len() < UNATTRIBUTED_QUEUE {
            self.unattributed_queue.push_back(UnattributedDrop {
                interface,
                from,
                reason,
            });
        }
    }

    /// Shuts every router down (priority-0 adverts from masters).
    pub fn shutdown_all(&mut self, now: Instant) {
        for index in 0..self.slots.len() as u32 {
            if let Some(slot) = self.slot_mut(index) {
                slot.router.shutdown(now);
                self.touched(index);
            }
        }
    }

    fn index_of(&self, key: &RouterKey) -> Option<u32> {
        let index = self.lookup(key.interface, key.family, key.vrid.get());
        (index != NO_ROUTER).then_some(index)
    }

    #[inline]
    fn lookup(&self, interface: InterfaceId, family: Family, vrid: u8) -> u32 {
        for table in &self.links {
            if table.interface == interface && table.family == family {
                return table.by_vrid[vrid as usize];
            }
        }
        NO_ROUTER
    }

    #[inline]
    fn slot_mut(&mut self, index: u32) -> Option<&mut Slot> {
        self.slots.get_mut(index as usize).and_then(Option::as_mut)
    }

    fn table_mut(&mut self, interface: InterfaceId, family: Family) -> &mut LinkTable {
        let pos = match self
            .links
            .iter()
            .position(|t| t.interface == interface && t.family == family)
        {
            Some(pos) => pos,
            None => {
                self.links.push(LinkTable {
                    interface,
                    family,
                    by_vrid: Box::new([NO_ROUTER; 256]),
                });
                self.links.len() - 1
            }
        };
        &mut self.links[pos]
    }

    /// After any input to a router: queue it for output and make sure the heap holds an
    /// entry no later than its deadline.
    #[inline]
    fn touched(&mut self, index: u32) {
        let Some(slot) = self.slots.get_mut(index as usize).and_then(Option::as_mut) else {
            return;
        };
        if !slot.ready {
            slot.ready = true;
            self.ready.push(index);
        }
        if let Some(deadline) = slot.router.poll_timeout() {
            if slot.scheduled.is_none_or(|s| deadline < s) {
                slot.scheduled = Some(deadline);
                self.heap.push(Reverse((deadline, index, slot.generation)));
            }
        }
    }
}
