//! Pacing of gratuitous ARPs and unsolicited NAs (keepalived's `vrrp_garp_interval`,
//! `vrrp_gna_interval` and `garp_group`), for switches that drop or choke on a burst.
//!
//! Routers whose specs name the same [`AnnouncePacing::key`] share one budget per address
//! family: each announcement leaves at least the interval after the previous one. The
//! first leaves at once. Adverts are never paced: they are not address work.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use vrrp_core::router::VipList;
use vrrp_core::{Family, Instant};

use super::types::Action;

/// How far apart the announcements of the routers sharing `key` leave.
///
/// ```
/// use std::time::Duration;
/// use vrrp_io::driver::AnnouncePacing;
///
/// // keepalived's `garp_group { garp_interval 0.05 interfaces { eth0 eth1 } }`: one
/// // budget for both interfaces (they share a switch).
/// let pacing = AnnouncePacing {
///     key: "garp_group eth0 eth1".into(),
///     arp_interval: Duration::from_millis(50),
///     na_interval: Duration::ZERO,
/// };
/// assert!(!pacing.is_unpaced());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AnnouncePacing {
    /// Routers with the same key share the budget: an interface's name for a limit per
    /// interface, a group's name for a limit across several interfaces (one switch).
    pub key: String,
    /// Between two gratuitous ARPs.
    pub arp_interval: Duration,
    /// Between two unsolicited neighbour advertisements.
    pub na_interval: Duration,
}

impl AnnouncePacing {
    /// No interval at all: announcements go out back to back, as without pacing.
    pub fn is_unpaced(&self) -> bool {
        self.arp_interval.is_zero() && self.na_interval.is_zero()
    }
}

/// Announcements waiting for their turn.
#[derive(Debug, Default)]
pub(crate) struct Pacer {
    /// When the next announcement of a (key, family) may leave.
    next_free: HashMap<(Arc<str>, Family), Instant>,
    due: BinaryHeap<Reverse<(Instant, u64)>>,
    waiting: HashMap<u64, Action>,
    seq: u64,
}

impl Pacer {
    /// Splits an announcement into one per address and repeat, each given its slot.
    pub fn schedule(
        &mut self,
        now: Instant,
        pacing: &PacingKey,
        router: &Arc<str>,
        ifindex: u32,
        vips: &VipList,
        count: u8,
    ) {
        for _ in 0..count.max(1) {
            for vip in vips.iter() {
                let family = Family::of(&vip.addr);
                let interval = match family {
                    Family::Ipv4 => pacing.arp_interval,
                    Family::Ipv6 => pacing.na_interval,
                };
                let free = self
                    .next_free
                    .entry((pacing.key.clone(), family))
                    .or_insert(now);
                let at = (*free).max(now);
                *free = at + interval;
                self.seq += 1;
                self.due.push(Reverse((at, self.seq)));
                self.waiting.insert(
                    self.seq,
                    Action::Announce {
                        router: router.clone(),
                        ifindex,
                        vips: VipList::from(vec![*vip]),
                        count: 1,
                    },
                );
            }
        }
    }

    /// Drops the waiting announcements of `router` for any of `vips`: it no longer holds
    /// them, and announcing an address it does not hold would pull its traffic here.
    pub fn cancel(&mut self, router: &str, vips: &VipList) {
        if self.waiting.is_empty() {
            return;
        }
        self.waiting.retain(|_, action| match action {
            Action::Announce {
                router: r,
                vips: waiting,
                ..
            } => !(&**r == router && waiting.addrs().any(|a| vips.addrs().any(|v| v == a))),
            _ => true,
        });
    }

    /// The next announcement's time.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.due.peek().map(|Reverse((at, _))| *at)
    }

    /// The announcements whose time has come, in order.
    pub fn release(&mut self, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        while let Some(Reverse((at, seq))) = self.due.peek().copied() {
            if at > now {
                break;
            }
            self.due.pop();
            out.extend(self.waiting.remove(&seq));
        }
        if self.due.is_empty() {
            // Budgets in the past are spent: forget them, so the map does not grow with
            // every key ever seen.
            self.next_free.retain(|_, free| *free > now);
        }
        out
    }
}

/// An [`AnnouncePacing`] as the driver keeps it: the key shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PacingKey {
    pub key: Arc<str>,
    pub arp_interval: Duration,
    pub na_interval: Duration,
}

impl From<&AnnouncePacing> for PacingKey {
    fn from(p: &AnnouncePacing) -> Self {
        PacingKey {
            key: Arc::from(p.key.as_str()),
            arp_interval: p.arp_interval,
            na_interval: p.na_interval,
        }
    }
}
