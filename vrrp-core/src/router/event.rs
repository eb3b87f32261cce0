//! What a virtual router tells its embedder.

use core::fmt;
use core::net::IpAddr;

use super::config::TrackId;
use crate::types::{Centiseconds, Priority};
use crate::wire::{ChecksumForm, DecodeError};

/// The states of RFC 9568 section 6.4, plus Fault for tracking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Not running (before start-up and after shutdown).
    Initialize,
    /// Watching the master, ready to take over.
    Backup,
    /// Forwarding for the virtual addresses and advertising.
    Master,
    /// A tracked object with weight 0 is down: not participating.
    Fault,
}

impl State {
    /// Lower-case name, as keepalived's notify scripts print it (upper-case there).
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Initialize => "initialize",
            State::Backup => "backup",
            State::Master => "master",
            State::Fault => "fault",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a state change happened, in terms a person can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Started with priority below 255: wait for a master.
    Startup,
    /// Started as the address owner (priority 255): master at once.
    AddressOwner,
    /// No advert from a master for Master_Down_Interval.
    MasterDown {
        /// The last master heard from, if any.
        last_master: Option<IpAddr>,
    },
    /// The master sent priority 0 and we took over after Skew_Time.
    MasterShutdown {
        /// The master that left.
        master: IpAddr,
    },
    /// We ignored a lower-priority master's adverts (preempt on) and took over.
    PreemptedLowerMaster {
        /// The master we preempted.
        master: IpAddr,
        /// Its priority.
        priority: Priority,
    },
    /// A master stepped down for an advert of higher priority.
    HigherPriority {
        /// The new master.
        master: IpAddr,
        /// Its priority.
        priority: Priority,
    },
    /// A master stepped down for an equal-priority advert from a higher address.
    HigherAddress {
        /// The new master.
        master: IpAddr,
    },
    /// A weight-0 tracked object went down.
    TrackDown(TrackId),
    /// Every weight-0 tracked object is up again.
    TrackUp,
    /// [`crate::router::VirtualRouter::shutdown`] was called.
    Shutdown,
    /// A planned handover ([`crate::router::VirtualRouter::hand_over`]) completed: the
    /// new master advertised, and the addresses were released after it had announced
    /// them.
    HandedOver {
        /// The new master.
        to: IpAddr,
    },
    /// Another member of the router's sync group left Master, so this one left too
    /// ([`crate::router::VirtualRouter::step_down`]): the group's routers move together.
    SyncGroup,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Startup => f.write_str("started, waiting for a master"),
            Reason::AddressOwner => f.write_str("address owner (priority 255) started"),
            Reason::MasterDown {
                last_master: Some(m),
            } => {
                write!(f, "master {m} silent for Master_Down_Interval")
            }
            Reason::MasterDown { last_master: None } => {
                f.write_str("no master heard within Master_Down_Interval")
            }
            Reason::MasterShutdown { master } => {
                write!(f, "master {master} sent priority 0 (shutting down)")
            }
            Reason::PreemptedLowerMaster { master, priority } => {
                write!(
                    f,
                    "preempted lower-priority master {master} (priority {priority})"
                )
            }
            Reason::HigherPriority { master, priority } => {
                write!(f, "higher priority {priority} advertised by {master}")
            }
            Reason::HigherAddress { master } => {
                write!(f, "equal priority advertised by higher address {master}")
            }
            Reason::TrackDown(id) => write!(f, "tracked object {} is down (weight 0)", id.0),
            Reason::TrackUp => f.write_str("all weight-0 tracked objects are up"),
            Reason::Shutdown => f.write_str("shut down"),
            Reason::HandedOver { to } => write!(f, "handed over to {to} (demoted)"),
            Reason::SyncGroup => f.write_str("another member of its sync group left master"),
        }
    }
}

/// Why a received advert was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The codec refused it.
    Decode(DecodeError),
    /// VRRPv2: the advert interval differs from ours (RFC 3768 section 7.1).
    IntervalMismatch {
        /// Interval in the advert.
        received: Centiseconds,
        /// Our interval.
        configured: Centiseconds,
    },
    /// We own the addresses (priority 255) and discard all adverts (RFC 9568 section 7.1).
    AddressOwner,
    /// The advert's VRID is not this router's.
    VridMismatch(u8),
    /// Unicast mode with source checking: the sender is not a configured peer.
    UnknownUnicastSource,
    /// The advert's addresses have none in common with ours: not our virtual router
    /// (another cluster on the same VRID, or a forgery), see `VirtualRouter`'s
    /// address-list rule.
    UnrelatedAddresses,
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DropReason::Decode(e) => fmt::Display::fmt(e, f),
            DropReason::IntervalMismatch {
                received,
                configured,
            } => write!(
                f,
                "advert interval {}s differs from the configured {}s",
                received.get() / 100,
                configured.get() / 100
            ),
            DropReason::AddressOwner => {
                f.write_str("we are the address owner; adverts are ignored")
            }
            DropReason::VridMismatch(v) => write!(f, "VRID {v} is not configured here"),
            DropReason::UnknownUnicastSource => {
                f.write_str("the sender is not one of the configured unicast peers")
            }
            DropReason::UnrelatedAddresses => {
                f.write_str("its virtual addresses have none in common with ours")
            }
        }
    }
}

/// Something the embedder may want to log, count or act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The router changed state.
    StateChanged {
        /// Previous state.
        from: State,
        /// New state.
        to: State,
        /// Why.
        reason: Reason,
    },
    /// The effective priority changed (tracking).
    PriorityChanged {
        /// Before.
        from: Priority,
        /// After.
        to: Priority,
    },
    /// An advert listed other virtual addresses than ours (a misconfiguration; the advert
    /// is still processed).
    AddressListMismatch {
        /// Sender.
        from: IpAddr,
    },
    /// Another router claims to own our addresses (priority 255) while we do too.
    OwnerConflict {
        /// Sender.
        from: IpAddr,
    },
    /// A peer was first seen using a checksum form, or changed form.
    PeerChecksumForm {
        /// Sender.
        from: IpAddr,
        /// The form its adverts verify in.
        form: ChecksumForm,
    },
    /// An advert was dropped (also counted in the statistics).
    Dropped {
        /// Sender.
        from: IpAddr,
        /// Why.
        reason: DropReason,
    },
    /// A planned handover found no backup to take over: still master (demoted, so any
    /// backup that appears takes over).
    HandoverUnanswered,
    /// The master-down timer fired while the router's takeover was held
    /// ([`crate::router::VirtualRouter::hold_takeover`]): it will become master as soon
    /// as the hold is released, unless a master is heard first.
    TakeoverHeld,
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::StateChanged { from, to, reason } => write!(f, "{from} -> {to}: {reason}"),
            Event::PriorityChanged { from, to } => write!(f, "effective priority {from} -> {to}"),
            Event::AddressListMismatch { from } => {
                write!(
                    f,
                    "advert from {from} lists other virtual addresses than ours"
                )
            }
            Event::OwnerConflict { from } => {
                write!(f, "{from} also claims to own the addresses (priority 255)")
            }
            Event::PeerChecksumForm { from, form } => {
                write!(f, "peer {from} uses checksum form {form}")
            }
            Event::Dropped { from, reason } => write!(f, "dropped advert from {from}: {reason}"),
            Event::TakeoverHeld => f.write_str(
                "ready to take over; held until the rest of its sync group is ready too",
            ),
            Event::HandoverUnanswered => f.write_str(
                "handover: no backup took over within Master_Down_Interval; still master (demoted)",
            ),
        }
    }
}
