//! The election state machine of RFC 9568 section 6 (VRRPv3) and RFC 3768 section 6
//! (VRRPv2), sans-IO.
//!
//! A [`VirtualRouter`] is driven by three inputs — received packets, timeouts and
//! tracking changes — each with the current time, and answers with [`Output`]s that the
//! caller polls: bytes to send, addresses to add or remove, announcements to make, events
//! to log. Outputs own their data (`Send + 'static`): keep them across an `.await` or hand
//! them to another thread; the address lists in them share one allocation ([`VipList`]).
//!
//! ```
//! use vrrp_core::router::{Output, RouterConfig, State, VirtualRouter};
//! use vrrp_core::{Instant, Priority, Vrid};
//! use core::net::{IpAddr, Ipv4Addr};
//!
//! let config = RouterConfig::new(
//!     Vrid::new(51).unwrap(),
//!     IpAddr::V4(Ipv4Addr::new(192, 168, 100, 10)),
//!     vec![IpAddr::V4(Ipv4Addr::new(192, 168, 100, 12))],
//! );
//! let start = Instant::ZERO;
//! let mut vr = VirtualRouter::new(config, start).unwrap();
//! assert_eq!(vr.state(), State::Backup);
//!
//! // Nobody else is on the link: at Master_Down_Interval we take over.
//! let deadline = vr.poll_timeout().unwrap();
//! vr.handle_timeout(deadline);
//! assert_eq!(vr.state(), State::Master);
//! let mut sent = 0;
//! while let Some(out) = vr.poll_output() {
//!     match out {
//!         Output::Transmit(t) => { sent += 1; assert_eq!(t.payload.len(), 12); }
//!         Output::AddVips(vips) => assert_eq!(vips.len(), 1),
//!         _ => {}
//!     }
//! }
//! assert_eq!(sent, 1);
//! ```

mod config;
mod event;
mod output;
mod stats;
mod timers;

pub use config::{
    AnnounceConfig, ConfigError, ReconfigureError, RouterConfig, StartupWait, TrackConfig, TrackId,
};
pub use event::{DropReason, Event, Reason, State};
pub use output::{Announce, Output, Payload, Transmit, VipList};
pub use stats::{DropCounter, DropCounters, Statistics};
pub use timers::{master_down_interval_micros, skew_time_micros};

use alloc::collections::VecDeque;
use alloc::vec;
use alloc::vec::Vec;
use core::net::IpAddr;

use core::time::Duration;

use crate::time::Instant;
use crate::types::{Centiseconds, Family, Priority, Version};
use crate::vip::VirtualAddress;
use crate::wire::{self, AddressList, AdvertRepr, Auth, ChecksumForm, DecodeError, Packet, RxMeta};

/// How many peers' checksum forms a router remembers (more than ever talk at once).
const PEER_FORM_SLOTS: usize = 4;

/// Work queued for [`VirtualRouter::poll_output`]. Address work carries its list: a
/// reconfiguration between queueing and polling must not change what is released.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    Advert { priority: Priority, dst: IpAddr },
    AddVips(VipList),
    RemoveVips(VipList),
    Announce { addresses: VipList, count: u8 },
    Event(Event),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TrackState {
    config: TrackConfig,
    up: bool,
    /// A value tracked by number rather than up/down (keepalived's `track_file`), once
    /// one is set: it counts `value × weight`.
    value: Option<i64>,
}

/// The lowest `value × weight` a numeric track may reach before the router faults
/// (keepalived's rule for `track_file`: below -253 no priority is left).
const LOWEST_TRACK_VALUE: i64 = -253;

impl TrackState {
    /// This track's share of the effective priority (keepalived semantics).
    fn contribution(&self) -> i32 {
        let w = self.config.weight as i32;
        if let Some(v) = self.value {
            // Bounded so that the sum of every track cannot overflow; the priority is
            // clamped to 1..=254 anyway.
            return v.saturating_mul(i64::from(w)).clamp(-100_000, 100_000) as i32;
        }
        match (self.up, w > 0) {
            (true, true) => w,
            (false, false) => w,
            _ => 0,
        }
    }

    fn faults(&self) -> bool {
        match self.value {
            // Weight 0: any value but 0 is a failure.
            Some(v) if self.config.weight == 0 => v != 0,
            Some(v) => v.saturating_mul(i64::from(self.config.weight)) < LOWEST_TRACK_VALUE,
            None => self.config.weight == 0 && !self.up,
        }
    }
}

/// How long a handing-over master keeps its addresses after the new master's first
/// advert. The new master announces the addresses (gratuitous ARP / unsolicited NA) right
/// after that advert, as soon as it has added them; until the clients have heard that,
/// their packets still come here and must be answered. A few milliseconds suffice on a
/// LAN; this leaves room for a busy host.
pub const HANDOVER_RELEASE_DELAY: Duration = Duration::from_millis(50);

/// A planned handover in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handover {
    /// Priority 0 sent; waiting for a backup to advertise as master.
    Waiting { give_up_at: Instant },
    /// `to` advertised as master; our addresses go at `release_at`.
    Releasing {
        to: IpAddr,
        priority: Priority,
        release_at: Instant,
    },
}

/// What [`VirtualRouter::hand_over`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandoverStart {
    /// A master: it sent priority 0 and hands over to the best backup.
    HandingOver,
    /// Not master: demoted only, so it will not take over while a backup can.
    Demoted,
}

/// Why [`VirtualRouter::hand_over`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandoverError {
    /// The address owner (priority 255) is master whenever it runs (RFC 9568 section
    /// 6.4.1); it cannot step aside.
    #[error("the address owner (priority 255) cannot hand over; lower its priority first")]
    AddressOwner,
}

/// How a received address list compares with ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AddressMatch {
    Same,
    /// Some addresses in common (a peer half-way through a reload).
    Overlapping,
    /// Nothing in common: not our virtual router.
    Disjoint,
}

/// One tracked object's share of the effective priority, for status output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackShare {
    /// The object.
    pub id: TrackId,
    /// Its configured weight.
    pub weight: i16,
    /// Whether it is up.
    pub up: bool,
    /// What it adds to (or takes from) the base priority now.
    pub contribution: i32,
}

/// One virtual router: an (interface, address family, VRID) instance of the protocol.
#[derive(Debug, Clone)]
pub struct VirtualRouter {
    config: RouterConfig,
    state: State,
    effective_priority: Priority,
    tracks: Vec<TrackState>,
    /// Master_Adver_Interval: learned from the master in VRRPv3, configured in VRRPv2.
    master_adver_interval: Centiseconds,
    /// Backup: when the master is declared down.
    master_down_at: Option<Instant>,
    /// Master: when the next advert is due.
    advert_at: Option<Instant>,
    /// Master: when the next announcement burst is due.
    announce_at: Option<Instant>,
    /// Until then, a lower-priority master is tolerated (preempt_delay).
    preempt_allowed_at: Instant,
    /// The last master we accepted an advert from.
    current_master: Option<(IpAddr, Priority)>,
    /// Set when the master announced its departure (priority 0).
    departed_master: Option<IpAddr>,
    /// A lower-priority master whose adverts we ignored (preempt on).
    ignored_lower_master: Option<(IpAddr, Priority)>,
    last_peer_form: Option<(IpAddr, ChecksumForm)>,
    /// The form each recently heard peer used, so that several peers talking at once
    /// (two masters, two clusters sharing a VRID) are each reported once, not per packet.
    peer_forms: [Option<(IpAddr, ChecksumForm)>; PEER_FORM_SLOTS],
    /// Where the next new peer goes in `peer_forms` (round robin).
    next_peer_slot: usize,
    last_transition: Option<(Instant, Reason)>,
    /// Demoted by [`VirtualRouter::hand_over`]: advertises priority 1 until
    /// [`VirtualRouter::resume`].
    demoted: bool,
    /// A planned handover in progress (Master only).
    handover: Option<Handover>,
    /// Set by [`VirtualRouter::hold_takeover`]: a master-down timer that fires does not
    /// take over.
    takeover_held: bool,
    /// Backup, held, and the master-down timer has fired: becomes master with this
    /// reason when the hold is released.
    ready: Option<Reason>,
    stats: Statistics,
    queue: VecDeque<Pending>,
    /// Our advert, encoded once; priority and checksum are patched per send.
    advert: Vec<u8>,
    /// Our virtual addresses in wire form, to compare with received lists.
    vip_wire: Vec<u8>,
    /// Our virtual addresses, shared by every output that names them.
    vips: VipList,
}

impl VirtualRouter {
    /// Validates `config` and starts the router at `now` (RFC 9568 section 6.4.1):
    /// an address owner becomes Master at once, everyone else Backup.
    pub fn new(config: RouterConfig, now: Instant) -> Result<Self, ConfigError> {
        config.validate()?;
        let (advert, vip_wire) = encode_advert(&config)?;
        let tracks = config
            .tracks
            .iter()
            .map(|&t| TrackState {
                config: t,
                up: t.initially_up,
                value: None,
            })
            .collect();
        let vips = held_list(&config);
        let mut vr = VirtualRouter {
            master_adver_interval: config.advert_interval,
            effective_priority: config.priority,
            config,
            state: State::Initialize,
            tracks,
            master_down_at: None,
            advert_at: None,
            announce_at: None,
            preempt_allowed_at: now,
            current_master: None,
            departed_master: None,
            ignored_lower_master: None,
            last_peer_form: None,
            peer_forms: [None; PEER_FORM_SLOTS],
            next_peer_slot: 0,
            last_transition: None,
            demoted: false,
            handover: None,
            takeover_held: false,
            ready: None,
            stats: Statistics::default(),
            queue: VecDeque::new(),
            advert,
            vip_wire,
            vips,
        };
        vr.effective_priority = vr.compute_priority();
        vr.start(now);
        Ok(vr)
    }

    /// Starts a router that was shut down (RFC 9568 section 6.4.1, Startup event).
    /// Does nothing unless the state is Initialize.
    pub fn start(&mut self, now: Instant) {
        if self.state != State::Initialize {
            return;
        }
        self.preempt_allowed_at = now + self.config.preempt_delay;
        if let Some(id) = self.faulty_track() {
            self.transition(now, State::Fault, Reason::TrackDown(id));
        } else if self.config.priority.is_owner() {
            self.become_master(now, Reason::AddressOwner);
        } else {
            self.enter_backup(now, Reason::Startup);
            // No master heard yet: give better routers started at about the same time
            // the first word (see `StartupWait`).
            let extra = self.config.startup.extra(self.effective_priority);
            self.master_down_at = self.master_down_at.map(|t| t + extra);
        }
    }

    /// Applies a new configuration to the running router in place, as a reload should:
    /// the state, the master it follows, its timers, its counters and the states of
    /// tracks it keeps (matched by [`TrackId`]) all carry over.
    ///
    /// - A master stays master unless the new configuration makes it lose the election
    ///   by the RFC's rules (a backup with a now higher priority preempts it on our next
    ///   advert). When anything in its advert changed (priority, interval, addresses,
    ///   authentication, source, peers) it advertises at once, so that backups learn it.
    /// - Only the virtual addresses that changed are released or added (added ones are
    ///   announced); an address whose prefix or label changed counts as both.
    /// - Tracks that disappear no longer count; new ones start in their
    ///   `initially_up` state; the effective priority, and Fault, follow.
    /// - A backup that becomes the address owner (priority 255) takes over at once
    ///   (RFC 9568 section 6.4.2: the owner is master whenever it runs).
    ///
    /// A different VRID, version or address family is another router: refused, with
    /// nothing changed, as is a configuration that fails [`RouterConfig::validate`].
    ///
    /// ```
    /// use vrrp_core::router::{Output, RouterConfig, State, VirtualRouter};
    /// use vrrp_core::{Instant, Priority, Vrid};
    /// use core::net::{IpAddr, Ipv4Addr};
    ///
    /// let vip = |last| IpAddr::V4(Ipv4Addr::new(192, 168, 100, last));
    /// let config = RouterConfig::new(Vrid::new(51).unwrap(), vip(10), vec![vip(12)]);
    /// let mut vr = VirtualRouter::new(config.clone(), Instant::ZERO).unwrap();
    /// let deadline = vr.poll_timeout().unwrap();
    /// vr.handle_timeout(deadline);
    /// while vr.poll_output().is_some() {}
    ///
    /// // A reload that lowers the priority and adds a VIP: still master, one VIP added.
    /// let mut changed = config.clone();
    /// changed.priority = Priority(90);
    /// changed.virtual_addresses.push(vip(13).into());
    /// vr.reconfigure(deadline, changed).unwrap();
    /// assert_eq!(vr.state(), State::Master);
    /// assert_eq!(vr.effective_priority(), Priority(90));
    /// let added: Vec<_> = std::iter::from_fn(|| vr.poll_output())
    ///     .filter_map(|o| match o { Output::AddVips(v) => Some(v), _ => None })
    ///     .collect();
    /// assert_eq!(added.len(), 1);
    /// assert_eq!(added[0].addrs().collect::<Vec<_>>(), vec![vip(13)]);
    /// ```
    pub fn reconfigure(
        &mut self,
        now: Instant,
        config: RouterConfig,
    ) -> Result<(), ReconfigureError> {
        config.validate()?;
        let current = &self.config;
        if config.vrid != current.vrid {
            return Err(ReconfigureError::VridChanged {
                running: current.vrid,
                new: config.vrid,
            });
        }
        if config.version != current.version {
            return Err(ReconfigureError::VersionChanged {
                running: current.version,
                new: config.version,
            });
        }
        if config.family() != current.family() {
            return Err(ReconfigureError::FamilyChanged {
                running: current.family(),
                new: config.family(),
            });
        }
        let (advert, vip_wire) = encode_advert(&config)?;
        let advert_changed = advert != self.advert || config.unicast_peers != current.unicast_peers;
        let refresh_changed = config.announce.refresh != current.announce.refresh;
        let old = core::mem::replace(&mut self.config, config);
        self.advert = advert;
        self.vip_wire = vip_wire;

        let tracks = self
            .config
            .tracks
            .iter()
            .map(|&t| {
                let kept = self.tracks.iter().find(|o| o.config.id == t.id);
                TrackState {
                    config: t,
                    up: kept.map_or(t.initially_up, |o| o.up),
                    value: kept.and_then(|o| o.value),
                }
            })
            .collect();
        self.tracks = tracks;

        let was_held: Vec<&VirtualAddress> = old.held_addresses().collect();
        let added: Vec<VirtualAddress> = self
            .config
            .held_addresses()
            .filter(|v| !was_held.contains(v))
            .cloned()
            .collect();
        let released: Vec<VirtualAddress> = was_held
            .iter()
            .filter(|v| !self.config.held_addresses().any(|n| n == **v))
            .map(|v| **v)
            .collect();
        if !added.is_empty() || !released.is_empty() {
            self.vips = held_list(&self.config);
        }

        match self.state {
            State::Master => {
                // New addresses first: a changed prefix adds the new form before the old
                // one goes, so the address never disappears.
                if !added.is_empty() {
                    let added = VipList::from(added);
                    self.queue.push_back(Pending::AddVips(added.clone()));
                    self.queue.push_back(Pending::Announce {
                        addresses: added,
                        count: self.config.announce.repeat,
                    });
                }
                if !released.is_empty() {
                    self.queue
                        .push_back(Pending::RemoveVips(VipList::from(released)));
                }
                self.master_adver_interval = self.config.advert_interval;
                if refresh_changed {
                    self.announce_at = self.next_refresh(now);
                }
            }
            State::Backup => {
                // VRRPv2 intervals are configured; a VRRPv3 backup keeps the interval it
                // learned from the master, and until it hears one uses its own.
                if self.config.version == Version::V2 || self.current_master.is_none() {
                    self.master_adver_interval = self.config.advert_interval;
                }
            }
            State::Initialize | State::Fault => {}
        }
        let priority_before = self.effective_priority;
        self.tracks_changed(now);
        match self.state {
            State::Master if advert_changed || self.effective_priority != priority_before => {
                self.queue_advert(self.effective_priority);
                self.advert_at = Some(self.next_advert_slot(now));
            }
            State::Backup if self.config.priority.is_owner() => {
                self.become_master(now, Reason::AddressOwner);
            }
            _ => {}
        }
        Ok(())
    }

    /// Hands the master role over without losing a packet, for maintenance: sends
    /// priority 0 (every RFC-conformant backup, keepalived and FRR included, takes over
    /// after its Skew_Time) but keeps the addresses, answering for them, until the new
    /// master has advertised and [`HANDOVER_RELEASE_DELAY`] has passed for its
    /// announcements to reach the clients; then releases them and becomes Backup.
    ///
    /// The router stays *demoted* (it advertises priority 1, so it never preempts a
    /// backup, yet still takes over if no one else is left) until
    /// [`VirtualRouter::resume`]. A router that is not master is demoted only. If no
    /// backup takes over within Master_Down_Interval the router stays master, demoted,
    /// and says so ([`Event::HandoverUnanswered`]).
    ///
    /// ```
    /// use vrrp_core::router::{HandoverStart, RouterConfig, State, VirtualRouter};
    /// use vrrp_core::{Instant, Vrid};
    /// use core::net::{IpAddr, Ipv4Addr};
    ///
    /// let ip = |last| IpAddr::V4(Ipv4Addr::new(192, 168, 100, last));
    /// let config = RouterConfig::new(Vrid::new(51).unwrap(), ip(10), vec![ip(12)]);
    /// let mut vr = VirtualRouter::new(config, Instant::ZERO).unwrap();
    /// let now = vr.poll_timeout().unwrap();
    /// vr.handle_timeout(now);
    /// while vr.poll_output().is_some() {}
    /// assert_eq!(vr.hand_over(now), Ok(HandoverStart::HandingOver));
    /// assert!(vr.is_demoted());
    /// assert_eq!(vr.state(), State::Master); // until a backup has taken over
    /// ```
    pub fn hand_over(&mut self, now: Instant) -> Result<HandoverStart, HandoverError> {
        if self.config.priority.is_owner() {
            return Err(HandoverError::AddressOwner);
        }
        self.demoted = true;
        self.tracks_changed(now);
        if self.state != State::Master {
            return Ok(HandoverStart::Demoted);
        }
        if self.handover.is_none() {
            // Long enough for the slowest backup: Master_Down_Interval at priority 1.
            let wait = master_down_interval_micros(
                self.config.version,
                Priority(1),
                self.config.advert_interval,
            );
            self.handover = Some(Handover::Waiting {
                give_up_at: now.add_micros(wait),
            });
            self.queue_advert(Priority::SHUTDOWN);
            self.advert_at = Some(self.next_advert_slot(now));
        }
        Ok(HandoverStart::HandingOver)
    }

    /// Ends a demotion ([`VirtualRouter::hand_over`]): the configured priority counts
    /// again, and the election follows the RFC (with preempt on, a backup that is now
    /// the best takes over again). A handover still in progress is cancelled.
    pub fn resume(&mut self, now: Instant) {
        if !self.demoted {
            return;
        }
        self.demoted = false;
        self.tracks_changed(now);
        if self.state == State::Master {
            self.handover = None;
            self.queue_advert(self.effective_priority);
            self.advert_at = Some(self.next_advert_slot(now));
        }
    }

    /// Whether the router is demoted ([`VirtualRouter::hand_over`]).
    pub fn is_demoted(&self) -> bool {
        self.demoted
    }

    /// Whether a handover is in progress (a master waiting for its successor).
    pub fn is_handing_over(&self) -> bool {
        self.handover.is_some()
    }

    // ----- inputs -----

    /// Handles a received VRRP message (the IP payload) with what the IP layer saw.
    /// Runs every check of RFC 9568 / RFC 3768 section 7.1; drops are counted.
    pub fn handle_packet(&mut self, now: Instant, meta: &RxMeta, bytes: &[u8]) {
        match wire::decode(bytes, meta) {
            Ok((repr, form)) => self.handle_advert(now, meta, &repr, form),
            Err(e) => self.drop_packet(meta.src, DropReason::Decode(e)),
        }
    }

    /// Handles an advert that the caller has already decoded with [`wire::decode`]
    /// (which did the receiver-independent checks). Used by [`crate::Routers`] to decode
    /// once and dispatch.
    pub(crate) fn handle_advert(
        &mut self,
        now: Instant,
        meta: &RxMeta,
        repr: &AdvertRepr<'_>,
        form: ChecksumForm,
    ) {
        if repr.vrid != self.config.vrid {
            return self.drop_packet(meta.src, DropReason::VridMismatch(repr.vrid.get()));
        }
        if self.config.check_unicast_source
            && !self.config.unicast_peers.is_empty()
            && !self.config.unicast_peers.contains(&meta.src)
        {
            return self.drop_packet(meta.src, DropReason::UnknownUnicastSource);
        }
        if meta.src == self.config.primary_address {
            // Our own advert looped back: not a peer.
            return;
        }
        if repr.version != self.config.version {
            let e = DecodeError::VersionMismatch {
                received: repr.version,
                expected: self.config.version,
            };
            return self.drop_packet(meta.src, DropReason::Decode(e));
        }
        self.note_peer_form(meta.src, form);
        // RFC 9568 section 7.1: the address owner discards adverts.
        if self.config.priority.is_owner() {
            if repr.priority.is_owner() {
                self.push_event(Event::OwnerConflict { from: meta.src });
            }
            return self.drop_packet(meta.src, DropReason::AddressOwner);
        }
        if self.config.version == Version::V2 {
            if let Err(e) = check_auth(&self.config.auth, &repr.auth) {
                return self.drop_packet(meta.src, DropReason::Decode(e));
            }
            // RFC 3768 section 7.1: VRRPv2 intervals are configured, and must agree.
            if repr.max_advert_interval != self.config.advert_interval {
                let reason = DropReason::IntervalMismatch {
                    received: repr.max_advert_interval,
                    configured: self.config.advert_interval,
                };
                return self.drop_packet(meta.src, reason);
            }
        }
        match self.compare_addresses(&repr.addresses) {
            AddressMatch::Same => {}
            // RFC 9568 section 7.1 (RFC 3768 too) lets a receiver verify the address
            // list and then requires it to drop a non-owner's advert that fails. We
            // verify only that the lists overlap: a peer whose list differs in part is
            // our peer in the middle of a reload (one VIP added on one host first), and
            // dropping its adverts would make two masters until the other host reloads
            // too. A list with nothing in common is not our virtual router: another
            // cluster using the same VRID by mistake, or a forgery, which must not make
            // a master step down or a backup follow it. (Priority 255 is not exempt:
            // an owner of unrelated addresses is still not ours.)
            AddressMatch::Overlapping => {
                self.stats.address_list_errors += 1;
                self.push_event(Event::AddressListMismatch { from: meta.src });
            }
            AddressMatch::Disjoint => {
                self.stats.address_list_errors += 1;
                return self.drop_packet(meta.src, DropReason::UnrelatedAddresses);
            }
        }
        self.stats.adverts_received += 1;
        if repr.priority.is_shutdown() {
            self.stats.priority_zero_received += 1;
        }
        match self.state {
            State::Backup => self.backup_receive(now, meta.src, repr),
            State::Master => self.master_receive(now, meta.src, repr),
            State::Initialize | State::Fault => {}
        }
    }

    /// Fires whatever timers are due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.state {
            State::Backup => {
                if self.master_down_at.is_some_and(|t| t <= now) {
                    let reason = if let Some(master) = self.departed_master {
                        Reason::MasterShutdown { master }
                    } else if let Some((master, priority)) = self.ignored_lower_master {
                        Reason::PreemptedLowerMaster { master, priority }
                    } else {
                        Reason::MasterDown {
                            last_master: self.current_master.map(|m| m.0),
                        }
                    };
                    if self.takeover_held {
                        self.master_down_at = None;
                        if self.ready.replace(reason).is_none() {
                            self.push_event(Event::TakeoverHeld);
                        }
                    } else {
                        self.become_master(now, reason);
                    }
                }
            }
            State::Master => {
                match self.handover {
                    Some(Handover::Releasing {
                        to,
                        priority,
                        release_at,
                    }) if release_at <= now => {
                        self.queue.push_back(Pending::RemoveVips(self.vips.clone()));
                        self.transition(now, State::Backup, Reason::HandedOver { to });
                        self.current_master = Some((to, priority));
                        self.master_adver_interval = self.config.advert_interval;
                        self.master_down_at =
                            Some(now.add_micros(self.master_down_interval_micros()));
                        return;
                    }
                    Some(Handover::Waiting { give_up_at }) if give_up_at <= now => {
                        self.handover = None;
                        self.push_event(Event::HandoverUnanswered);
                        self.queue_advert(self.effective_priority);
                        self.advert_at = Some(self.next_advert_slot(now));
                        return;
                    }
                    _ => {}
                }
                if let Some(due) = self.advert_at.filter(|&t| t <= now) {
                    // While handing over, keep saying priority 0 until a successor answers.
                    let priority = if self.handover.is_some() {
                        Priority::SHUTDOWN
                    } else {
                        self.effective_priority
                    };
                    self.queue_advert(priority);
                    let next = due + self.config.advert_interval.to_duration();
                    // Stay on the grid unless we were called very late.
                    self.advert_at = Some(if next > now {
                        next
                    } else {
                        self.next_advert_slot(now)
                    });
                }
                if self.announce_at.is_some_and(|t| t <= now) {
                    self.queue.push_back(Pending::Announce {
                        addresses: self.vips.clone(),
                        count: self.config.announce.repeat,
                    });
                    self.announce_at = self.next_refresh(now);
                }
            }
            State::Initialize | State::Fault => {}
        }
    }

    /// Reports that tracked object `id` is up or down; the effective priority, and
    /// perhaps the state (Fault), follow keepalived's weight semantics.
    /// Unknown ids are ignored.
    pub fn set_track(&mut self, now: Instant, id: TrackId, up: bool) {
        let Some(track) = self.tracks.iter_mut().find(|t| t.config.id == id) else {
            return;
        };
        if track.up == up {
            return;
        }
        track.up = up;
        self.tracks_changed(now);
    }

    /// Reports the number a tracked object reads now (keepalived's `track_file`): it
    /// counts `value × weight` towards the priority; with weight 0 any value but 0, and
    /// otherwise a product below -253, puts the router in Fault. Unknown ids are ignored.
    ///
    /// ```
    /// use vrrp_core::router::{RouterConfig, TrackConfig, TrackId, VirtualRouter};
    /// use vrrp_core::{Instant, Priority, Vrid};
    /// use core::net::{IpAddr, Ipv4Addr};
    ///
    /// let ip = |last| IpAddr::V4(Ipv4Addr::new(192, 168, 100, last));
    /// let mut config = RouterConfig::new(Vrid::new(51).unwrap(), ip(10), vec![ip(12)]);
    /// config.tracks.push(TrackConfig { id: TrackId(3000), weight: -10, initially_up: true });
    /// let mut vr = VirtualRouter::new(config, Instant::ZERO).unwrap();
    /// vr.set_track_value(Instant::ZERO, TrackId(3000), 3);
    /// assert_eq!(vr.effective_priority(), Priority(70));
    /// ```
    pub fn set_track_value(&mut self, now: Instant, id: TrackId, value: i64) {
        let Some(track) = self.tracks.iter_mut().find(|t| t.config.id == id) else {
            return;
        };
        if track.value == Some(value) {
            return;
        }
        track.value = Some(value);
        track.up = !track.faults();
        self.tracks_changed(now);
    }

    /// Follows a change of the tracks' states or weights (or of the base priority): the
    /// effective priority, and Fault entered or left.
    fn tracks_changed(&mut self, now: Instant) {
        let before = self.effective_priority;
        self.effective_priority = self.compute_priority();
        if before != self.effective_priority {
            self.push_event(Event::PriorityChanged {
                from: before,
                to: self.effective_priority,
            });
        }
        match (self.faulty_track(), self.state) {
            (Some(id), State::Master) => {
                self.queue_advert(Priority::SHUTDOWN);
                self.queue.push_back(Pending::RemoveVips(self.vips.clone()));
                self.transition(now, State::Fault, Reason::TrackDown(id));
            }
            (Some(id), State::Backup) => self.transition(now, State::Fault, Reason::TrackDown(id)),
            (None, State::Fault) => {
                self.preempt_allowed_at = now + self.config.preempt_delay;
                if self.config.priority.is_owner() {
                    self.become_master(now, Reason::TrackUp);
                } else {
                    self.enter_backup(now, Reason::TrackUp);
                }
            }
            _ => {}
        }
    }

    /// Holds or releases this router's takeovers, for a group of routers that must
    /// change state together (keepalived's `vrrp_sync_group`).
    ///
    /// While held, a Backup whose master-down timer fires does not become Master: it
    /// reports [`Event::TakeoverHeld`] and waits, ready ([`VirtualRouter::wants_master`]).
    /// Releasing the hold makes a ready router Master at once, with the reason its timer
    /// had; an advert from a master that it would accept (priority at least ours, or
    /// preempt off) first cancels the readiness and restarts the timer. A Master is not
    /// affected: to make one leave, see [`VirtualRouter::step_down`].
    ///
    /// The group's rule, as keepalived's: hold every member while some other member
    /// does not want to be master, so that the group takes over only when all of its
    /// members would.
    ///
    /// ```
    /// use vrrp_core::router::{RouterConfig, State, VirtualRouter};
    /// use vrrp_core::{Instant, Vrid};
    /// use core::net::{IpAddr, Ipv4Addr};
    ///
    /// let ip = |last| IpAddr::V4(Ipv4Addr::new(192, 168, 100, last));
    /// let config = RouterConfig::new(Vrid::new(51).unwrap(), ip(10), vec![ip(12)]);
    /// let mut vr = VirtualRouter::new(config, Instant::ZERO).unwrap();
    /// vr.hold_takeover(Instant::ZERO, true);
    /// let down = vr.poll_timeout().unwrap();
    /// vr.handle_timeout(down);
    /// assert_eq!(vr.state(), State::Backup);
    /// assert!(vr.wants_master());
    /// vr.hold_takeover(down, false);
    /// assert_eq!(vr.state(), State::Master);
    /// ```
    pub fn hold_takeover(&mut self, now: Instant, held: bool) {
        self.takeover_held = held;
        if held || self.state != State::Backup {
            return;
        }
        if let Some(reason) = self.ready.take() {
            self.become_master(now, reason);
        }
    }

    /// Whether takeovers are held ([`VirtualRouter::hold_takeover`]).
    pub fn is_takeover_held(&self) -> bool {
        self.takeover_held
    }

    /// Master, or a held Backup whose master-down timer has fired: what a sync group
    /// asks of each member before the group takes over.
    pub fn wants_master(&self) -> bool {
        self.state == State::Master || self.ready.is_some()
    }

    /// Leaves Master because the group the router belongs to does
    /// ([`Reason::SyncGroup`]): a priority-0 advert, so that the backup takes over after
    /// Skew_Time rather than Master_Down_Interval (RFC 9568 section 6.4.3), the addresses
    /// released, and Backup with the down timer started. Not Master: nothing happens.
    pub fn step_down(&mut self, now: Instant) {
        if self.state != State::Master {
            return;
        }
        self.queue_advert(Priority::SHUTDOWN);
        self.queue.push_back(Pending::RemoveVips(self.vips.clone()));
        self.enter_backup(now, Reason::SyncGroup);
    }

    /// Leaves the protocol: a master sends a priority-0 advert and releases its
    /// addresses (RFC 9568 section 6.4.3, Shutdown event). The router stays in
    /// Initialize until [`VirtualRouter::start`].
    pub fn shutdown(&mut self, now: Instant) {
        match self.state {
            State::Initialize => return,
            State::Master => {
                self.queue_advert(Priority::SHUTDOWN);
                self.queue.push_back(Pending::RemoveVips(self.vips.clone()));
            }
            State::Backup | State::Fault => {}
        }
        self.transition(now, State::Initialize, Reason::Shutdown);
    }

    // ----- outputs -----

    /// The next thing to do, or `None` when there is nothing. Call until `None` after
    /// every input.
    pub fn poll_output(&mut self) -> Option<Output> {
        let pending = self.queue.pop_front()?;
        Some(match pending {
            Pending::Advert { priority, dst } => {
                self.stats.adverts_sent += 1;
                if priority.is_shutdown() {
                    self.stats.priority_zero_sent += 1;
                }
                let src = self.config.primary_address;
                let form = ChecksumForm::for_sending(
                    self.config.version == Version::V3,
                    self.config.family() == Family::Ipv6,
                    self.config.checksum_mode,
                );
                let mut packet = Packet::new_unchecked(&mut self.advert[..], self.config.family());
                packet.set_priority(priority.get());
                packet.fill_checksum(form, src, dst);
                Output::Transmit(Transmit {
                    src,
                    dst,
                    payload: Payload::from(&self.advert[..]),
                })
            }
            Pending::AddVips(vips) => Output::AddVips(vips),
            Pending::RemoveVips(vips) => Output::RemoveVips(vips),
            Pending::Announce { addresses, count } => {
                Output::Announce(Announce { addresses, count })
            }
            Pending::Event(e) => Output::Event(e),
        })
    }

    /// Whether [`VirtualRouter::poll_output`] has something.
    pub fn has_output(&self) -> bool {
        !self.queue.is_empty()
    }

    /// When [`VirtualRouter::handle_timeout`] must next be called, if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Backup => self.master_down_at,
            State::Master => {
                let handover = match self.handover {
                    Some(Handover::Waiting { give_up_at }) => Some(give_up_at),
                    Some(Handover::Releasing { release_at, .. }) => Some(release_at),
                    None => None,
                };
                [self.advert_at, self.announce_at, handover]
                    .into_iter()
                    .flatten()
                    .min()
            }
            State::Initialize | State::Fault => None,
        }
    }

    // ----- status -----

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The configuration.
    pub fn config(&self) -> &RouterConfig {
        &self.config
    }

    /// The priority we advertise now: the configured one adjusted by tracking.
    pub fn effective_priority(&self) -> Priority {
        self.effective_priority
    }

    /// The tracked objects that put the router in Fault now (weight 0 and down, or a
    /// number below the floor).
    pub fn faulty_tracks(&self) -> impl Iterator<Item = TrackId> + '_ {
        self.tracks
            .iter()
            .filter(|t| t.faults())
            .map(|t| t.config.id)
    }

    /// Each tracked object's share of the effective priority.
    pub fn track_shares(&self) -> impl Iterator<Item = TrackShare> + '_ {
        self.tracks.iter().map(|t| TrackShare {
            id: t.config.id,
            weight: t.config.weight,
            up: t.up,
            contribution: t.contribution(),
        })
    }

    /// The master we last accepted an advert from (in Backup), with its priority.
    pub fn current_master(&self) -> Option<(IpAddr, Priority)> {
        match self.state {
            State::Master => Some((self.config.primary_address, self.effective_priority)),
            State::Backup => self.current_master,
            State::Initialize | State::Fault => None,
        }
    }

    /// Master_Adver_Interval now in force.
    pub fn master_adver_interval(&self) -> Centiseconds {
        self.master_adver_interval
    }

    /// When and why the state last changed.
    pub fn last_transition(&self) -> Option<(Instant, Reason)> {
        self.last_transition
    }

    /// The checksum form each recently heard peer uses (up to a few peers).
    pub fn peer_checksum_forms(&self) -> impl Iterator<Item = (IpAddr, ChecksumForm)> + '_ {
        self.peer_forms.iter().flatten().copied()
    }

    /// The checksum form the last peer's adverts used.
    pub fn peer_checksum_form(&self) -> Option<(IpAddr, ChecksumForm)> {
        self.last_peer_form
    }

    /// RFC 9568 Accept_Mode, for the adapter.
    pub fn accept_mode(&self) -> bool {
        self.config.accept_mode
    }

    /// Counters.
    pub fn statistics(&self) -> &Statistics {
        &self.stats
    }

    /// Skew_Time for our current priority and Master_Adver_Interval, in microseconds.
    pub fn skew_time_micros(&self) -> u64 {
        skew_time_micros(
            self.config.version,
            self.effective_priority,
            self.master_adver_interval,
        )
    }

    /// Master_Down_Interval for our current priority, in microseconds.
    pub fn master_down_interval_micros(&self) -> u64 {
        master_down_interval_micros(
            self.config.version,
            self.effective_priority,
            self.master_adver_interval,
        )
    }

    // ----- the state machine -----

    /// RFC 9568 section 6.4.2, Backup receives an advert.
    fn backup_receive(&mut self, now: Instant, src: IpAddr, repr: &AdvertRepr<'_>) {
        if repr.priority.is_shutdown() {
            // The master is leaving: take over after Skew_Time only, so that the
            // highest-priority backup (shortest skew) wins.
            self.departed_master = Some(src);
            self.master_down_at = Some(now.add_micros(self.skew_time_micros()));
            return;
        }
        let preempting = self.config.preempt && now >= self.preempt_allowed_at;
        if !preempting || repr.priority >= self.effective_priority {
            if self.config.version == Version::V3 {
                // VRRPv3 backups adopt the master's interval.
                self.master_adver_interval = repr.max_advert_interval;
            }
            self.current_master = Some((src, repr.priority));
            self.departed_master = None;
            self.ignored_lower_master = None;
            // A master is alive after all: a held takeover is off.
            self.ready = None;
            self.master_down_at = Some(now.add_micros(self.master_down_interval_micros()));
        } else {
            // Preempt: ignore the lower master; our down timer will fire.
            self.ignored_lower_master = Some((src, repr.priority));
        }
    }

    /// RFC 9568 section 6.4.3, Master receives an advert.
    fn master_receive(&mut self, now: Instant, src: IpAddr, repr: &AdvertRepr<'_>) {
        match self.handover {
            // The successor advertises as master: give it time to announce the
            // addresses, then release them.
            Some(Handover::Waiting { .. }) if !repr.priority.is_shutdown() => {
                self.handover = Some(Handover::Releasing {
                    to: src,
                    priority: repr.priority,
                    release_at: now + HANDOVER_RELEASE_DELAY,
                });
                self.advert_at = None;
                return;
            }
            Some(_) => return,
            None => {}
        }
        let ours = self.effective_priority;
        if repr.priority.is_shutdown() {
            // Another master is leaving: assert ourselves at once.
            self.queue_advert(ours);
            self.advert_at = Some(self.next_advert_slot(now));
        } else if repr.priority > ours
            || (repr.priority == ours && src > self.config.primary_address)
        {
            if self.config.version == Version::V3 {
                self.master_adver_interval = repr.max_advert_interval;
            }
            self.current_master = Some((src, repr.priority));
            self.departed_master = None;
            self.ignored_lower_master = None;
            self.queue.push_back(Pending::RemoveVips(self.vips.clone()));
            let reason = if repr.priority > ours {
                Reason::HigherPriority {
                    master: src,
                    priority: repr.priority,
                }
            } else {
                Reason::HigherAddress { master: src }
            };
            self.transition(now, State::Backup, reason);
            self.master_down_at = Some(now.add_micros(self.master_down_interval_micros()));
        } else {
            // A lower master exists (a split brain healing): tell it at once so it steps
            // down, and re-announce so that hosts which followed it come back.
            self.queue_advert(ours);
            self.queue.push_back(Pending::Announce {
                addresses: self.vips.clone(),
                count: self.config.announce.repeat,
            });
            self.advert_at = Some(self.next_advert_slot(now));
        }
    }

    /// When the next periodic advert is due after one sent at `now`: the next multiple of
    /// Advertisement_Interval counted from the epoch of `now`, so at most one interval
    /// away.
    ///
    /// Every master with the same interval thus advertises at the same instants: a host
    /// running hundreds of routers wakes once per interval instead of once per router. The
    /// gap between adverts never exceeds the interval, which is what backups rely on
    /// (RFC 9568 section 6.4.3); only the first gap after a state change or an immediate
    /// advert is shorter.
    fn next_advert_slot(&self, now: Instant) -> Instant {
        let interval = self.config.advert_interval.as_micros().max(1);
        let slot = (now.as_micros() / interval).saturating_add(1);
        Instant::from_micros(slot.saturating_mul(interval))
    }

    /// When the next periodic re-announcement is due; a zero refresh period means none
    /// (as keepalived's `garp_master_refresh 0`), never a timer that is always due.
    fn next_refresh(&self, now: Instant) -> Option<Instant> {
        self.config
            .announce
            .refresh
            .filter(|r| !r.is_zero())
            .map(|r| now + r)
    }

    fn become_master(&mut self, now: Instant, reason: Reason) {
        self.queue_advert(self.effective_priority);
        self.queue.push_back(Pending::AddVips(self.vips.clone()));
        self.queue.push_back(Pending::Announce {
            addresses: self.vips.clone(),
            count: self.config.announce.repeat,
        });
        self.advert_at = Some(self.next_advert_slot(now));
        let second_burst = self.config.announce.second_burst_delay;
        self.announce_at = if second_burst.is_zero() {
            self.next_refresh(now)
        } else {
            Some(now + second_burst)
        };
        self.master_adver_interval = self.config.advert_interval;
        self.stats.master_transitions += 1;
        self.stats.last_master_reason = Some(reason);
        self.transition(now, State::Master, reason);
    }

    fn enter_backup(&mut self, now: Instant, reason: Reason) {
        self.master_adver_interval = self.config.advert_interval;
        self.current_master = None;
        self.departed_master = None;
        self.ignored_lower_master = None;
        self.transition(now, State::Backup, reason);
        self.master_down_at = Some(now.add_micros(self.master_down_interval_micros()));
    }

    fn transition(&mut self, now: Instant, to: State, reason: Reason) {
        let from = self.state;
        self.state = to;
        self.handover = None;
        self.ready = None;
        self.master_down_at = None;
        if to != State::Master {
            self.advert_at = None;
            self.announce_at = None;
        }
        self.last_transition = Some((now, reason));
        self.push_event(Event::StateChanged { from, to, reason });
    }

    fn queue_advert(&mut self, priority: Priority) {
        if self.config.unicast_peers.is_empty() {
            let dst = multicast_group(self.config.family());
            self.queue.push_back(Pending::Advert { priority, dst });
        } else {
            for &dst in &self.config.unicast_peers {
                self.queue.push_back(Pending::Advert { priority, dst });
            }
        }
    }

    /// Reports a peer's checksum form when the peer is new or its form changed.
    fn note_peer_form(&mut self, src: IpAddr, form: ChecksumForm) {
        self.last_peer_form = Some((src, form));
        match self
            .peer_forms
            .iter_mut()
            .flatten()
            .find(|(a, _)| *a == src)
        {
            Some((_, known)) if *known == form => return,
            Some((_, known)) => *known = form,
            None => {
                self.peer_forms[self.next_peer_slot] = Some((src, form));
                self.next_peer_slot = (self.next_peer_slot + 1) % PEER_FORM_SLOTS;
            }
        }
        self.push_event(Event::PeerChecksumForm { from: src, form });
    }

    fn push_event(&mut self, event: Event) {
        self.queue.push_back(Pending::Event(event));
    }

    fn drop_packet(&mut self, from: IpAddr, reason: DropReason) {
        self.stats.drops.record(&reason);
        self.push_event(Event::Dropped { from, reason });
    }

    /// Records a drop that happened before the packet could be handed to a router
    /// (e.g. a bad checksum seen by [`crate::Routers`]).
    pub(crate) fn record_drop(&mut self, from: IpAddr, error: DecodeError) {
        self.drop_packet(from, DropReason::Decode(error));
    }

    fn faulty_track(&self) -> Option<TrackId> {
        self.tracks.iter().find(|t| t.faults()).map(|t| t.config.id)
    }

    fn compute_priority(&self) -> Priority {
        if self.config.priority.is_owner() {
            // The owner's priority is never adjusted.
            return Priority::OWNER;
        }
        if self.demoted {
            // Below every backup (priority 0 would mean "leaving").
            return Priority(1);
        }
        let sum: i32 = self.tracks.iter().map(TrackState::contribution).sum();
        let p = (self.config.priority.get() as i32 + sum).clamp(1, 254);
        Priority(p as u8)
    }

    fn compare_addresses(&self, received: &AddressList<'_>) -> AddressMatch {
        if let Some(bytes) = received.as_wire_bytes() {
            if bytes == self.vip_wire.as_slice() {
                return AddressMatch::Same;
            }
        }
        // Order may differ between implementations: compare as sets.
        // Only the advertised addresses: excluded ones are never in an advert.
        let advertised = || self.config.virtual_addresses.iter().map(|v| v.addr);
        let ours = |a: IpAddr| advertised().any(|v| v == a);
        let common = received.iter().filter(|&a| ours(a)).count();
        if common == 0 {
            AddressMatch::Disjoint
        } else if common == received.len() && advertised().all(|v| received.iter().any(|a| a == v))
        {
            AddressMatch::Same
        } else {
            AddressMatch::Overlapping
        }
    }
}

/// What a master holds: the virtual addresses, then the excluded ones.
fn held_list(config: &RouterConfig) -> VipList {
    if config.excluded_addresses.is_empty() {
        VipList::from(config.virtual_addresses.as_slice())
    } else {
        VipList::from(config.held_addresses().cloned().collect::<Vec<_>>())
    }
}

/// Our advert (priority and checksum patched per send) and our addresses in wire form,
/// for a configuration that passed [`RouterConfig::validate`].
fn encode_advert(config: &RouterConfig) -> Result<(Vec<u8>, Vec<u8>), ConfigError> {
    let family = config.family();
    let mut vip_wire = Vec::with_capacity(config.virtual_addresses.len() * family.addr_len());
    for v in &config.virtual_addresses {
        match v.addr {
            IpAddr::V4(a) => vip_wire.extend_from_slice(&a.octets()),
            IpAddr::V6(a) => vip_wire.extend_from_slice(&a.octets()),
        }
    }
    let addresses =
        AddressList::from_wire(family, &vip_wire).ok_or(ConfigError::NoVirtualAddresses)?;
    let repr = AdvertRepr {
        version: config.version,
        vrid: config.vrid,
        priority: config.priority,
        max_advert_interval: config.advert_interval,
        addresses,
        auth: config.auth,
    };
    let mut advert = vec![0u8; repr.buffer_len()];
    let dst = multicast_group(family);
    // validate() has ruled out every emit error; map one anyway rather than panic.
    repr.emit(
        &mut advert,
        config.primary_address,
        dst,
        config.checksum_mode,
    )
    .map_err(|_| ConfigError::IntervalOutOfRange {
        version: config.version,
        interval: config.advert_interval,
    })?;
    Ok((advert, vip_wire))
}

/// RFC 3768 section 7.1: the auth type must be ours, and for type 1 the password too
/// (compared in constant time).
fn check_auth(configured: &Auth, received: &Auth) -> Result<(), DecodeError> {
    match (configured, received) {
        (Auth::None, Auth::None) => Ok(()),
        (Auth::Simple(ours), Auth::Simple(theirs)) => {
            if ours.matches(theirs.as_bytes()) {
                Ok(())
            } else {
                Err(DecodeError::AuthFailure)
            }
        }
        (c, r) => Err(DecodeError::AuthTypeMismatch {
            received: r.type_number(),
            expected: c.type_number(),
        }),
    }
}

/// The VRRP multicast group of a family.
fn multicast_group(family: Family) -> IpAddr {
    match family {
        Family::Ipv4 => IpAddr::V4(wire::VRRP_MULTICAST_V4),
        Family::Ipv6 => IpAddr::V6(wire::VRRP_MULTICAST_V6),
    }
}
