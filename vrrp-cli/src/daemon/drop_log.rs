//! Which dropped (or suspicious) packets are worth a log line: the first of each (peer,
//! reason) in a minute. Every drop is counted (status, metrics); the log says that
//! something is wrong and who sends it, and a flood of forged or malformed packets
//! cannot fill it. Reasons are named by their counter (`DropCounter::name`, or
//! `address_list_errors` and the like for what is counted but not dropped).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// A (peer, reason) is logged at most once per this period.
pub const PERIOD: Duration = Duration::from_secs(60);

/// The (peer, reason) pairs remembered at once. A flood from many forged sources would
/// otherwise grow the map without bound; beyond this, one line a minute says so.
const MAX_TRACKED: usize = 1024;

/// What to do with one drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The first of its kind from this peer this minute: log it.
    Log,
    /// Seen recently: count it only.
    Quiet,
    /// Too many distinct senders to follow: log one line saying so (once a minute).
    TooManySources,
}

/// The rate limiter. Time is passed in, so it is tested without waiting.
#[derive(Debug, Default)]
pub struct DropLog {
    last: HashMap<(IpAddr, &'static str), Instant>,
    overflow_noted: Option<Instant>,
}

impl DropLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decides about a packet from `from` counted under `counter`, at `now`.
    pub fn admit(&mut self, now: Instant, from: IpAddr, counter: &'static str) -> Verdict {
        let key = (from, counter);
        if let Some(&at) = self.last.get(&key) {
            if now.saturating_duration_since(at) < PERIOD {
                return Verdict::Quiet;
            }
        } else if self.last.len() >= MAX_TRACKED {
            self.last
                .retain(|_, at| now.saturating_duration_since(*at) < PERIOD);
            if self.last.len() >= MAX_TRACKED {
                let note_due = self
                    .overflow_noted
                    .is_none_or(|at| now.saturating_duration_since(at) >= PERIOD);
                if note_due {
                    self.overflow_noted = Some(now);
                    return Verdict::TooManySources;
                }
                return Verdict::Quiet;
            }
        }
        self.last.insert(key, now);
        Verdict::Log
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vrrp_core::router::DropCounter;

    fn peer(i: u32) -> IpAddr {
        IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i))
    }

    #[test]
    fn one_line_per_peer_and_reason_a_minute() {
        let mut log = DropLog::new();
        let t0 = Instant::now();
        let ttl = DropCounter::IpTtlErrors.name();
        assert_eq!(log.admit(t0, peer(1), ttl), Verdict::Log);
        assert_eq!(log.admit(t0, peer(1), ttl), Verdict::Quiet);
        // Another reason or another peer is news.
        assert_eq!(
            log.admit(t0, peer(1), DropCounter::AuthFailures.name()),
            Verdict::Log
        );
        assert_eq!(log.admit(t0, peer(2), ttl), Verdict::Log);
        assert_eq!(
            log.admit(t0 + Duration::from_secs(59), peer(1), ttl),
            Verdict::Quiet
        );
        assert_eq!(log.admit(t0 + PERIOD, peer(1), ttl), Verdict::Log);
    }

    #[test]
    fn a_flood_from_forged_sources_is_bounded_and_said_once_a_minute() {
        let mut log = DropLog::new();
        let t0 = Instant::now();
        let c = DropCounter::VridErrors.name();
        let verdicts: Vec<Verdict> = (0..10_000).map(|i| log.admit(t0, peer(i), c)).collect();
        let count = |v| verdicts.iter().filter(|&&x| x == v).count();
        assert_eq!(count(Verdict::Log), MAX_TRACKED);
        assert_eq!(count(Verdict::TooManySources), 1, "said once");
        assert!(log.last.len() <= MAX_TRACKED);
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(log.admit(t1, peer(20_000), c), Verdict::Quiet);
        // A minute on, the old entries make room again.
        assert_eq!(log.admit(t0 + PERIOD, peer(30_000), c), Verdict::Log);
    }
}
