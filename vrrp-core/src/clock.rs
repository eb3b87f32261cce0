//! A bridge between the standard library's clock and the core's [`Instant`] (feature
//! `std`).

use core::time::Duration;
use std::time::Instant as StdInstant;

use crate::time::Instant;

/// Converts between [`std::time::Instant`] and the core's [`Instant`]: the core counts
/// microseconds from an epoch, and a `Clock` holds that epoch as a `std` instant.
///
/// Copy it wherever time is read; all copies agree.
///
/// ```
/// use std::time::Duration;
/// use vrrp_core::router::{RouterConfig, VirtualRouter};
/// use vrrp_core::{Clock, Vrid};
/// use core::net::{IpAddr, Ipv4Addr};
///
/// let clock = Clock::new();
/// let config = RouterConfig::new(
///     Vrid::new(51).unwrap(),
///     IpAddr::V4(Ipv4Addr::new(192, 168, 100, 10)),
///     [IpAddr::V4(Ipv4Addr::new(192, 168, 100, 12))],
/// );
/// let mut vr = VirtualRouter::new(config, clock.now()).unwrap();
///
/// // An event loop sleeps until the router's next deadline (or until a packet arrives).
/// let deadline = vr.poll_timeout().unwrap();
/// let sleep = clock.until(deadline);
/// assert!(sleep <= Duration::from_micros(3_609_375)); // Master_Down_Interval
/// // ... wake up, then hand the router the time:
/// vr.handle_timeout(clock.now());
///
/// // Conversions both ways are exact to the microsecond.
/// assert_eq!(clock.instant_of(clock.to_std(deadline)), deadline);
/// // Times before the epoch saturate at the epoch.
/// let before = clock.epoch().checked_sub(Duration::from_secs(1));
/// if let Some(before) = before {
///     assert_eq!(clock.instant_of(before), vrrp_core::Instant::ZERO);
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Clock {
    epoch: StdInstant,
}

impl Clock {
    /// A clock whose epoch ([`Instant::ZERO`]) is now.
    pub fn new() -> Self {
        Clock {
            epoch: StdInstant::now(),
        }
    }

    /// A clock whose epoch ([`Instant::ZERO`]) is `epoch`.
    pub const fn with_epoch(epoch: StdInstant) -> Self {
        Clock { epoch }
    }

    /// The `std` instant that is [`Instant::ZERO`].
    pub const fn epoch(&self) -> StdInstant {
        self.epoch
    }

    /// The current time.
    pub fn now(&self) -> Instant {
        self.instant_of(StdInstant::now())
    }

    /// `t` as a core [`Instant`], truncated to the microsecond; [`Instant::ZERO`] for times
    /// before the epoch.
    pub fn instant_of(&self, t: StdInstant) -> Instant {
        let micros = t.saturating_duration_since(self.epoch).as_micros();
        Instant::from_micros(u64::try_from(micros).unwrap_or(u64::MAX))
    }

    /// `t` as a `std` instant. A time too far in the future for the platform's clock
    /// (such as [`Instant::FAR_FUTURE`]) becomes the latest instant it can represent near
    /// that, rather than a panic.
    pub fn to_std(&self, t: Instant) -> StdInstant {
        let mut offset = Duration::from_micros(t.as_micros());
        loop {
            if let Some(at) = self.epoch.checked_add(offset) {
                return at;
            }
            // Only for offsets of centuries; halving finds a representable one quickly.
            offset /= 2;
        }
    }

    /// How long from now until `deadline`; zero if it has passed. Rounded so that sleeping
    /// this long never wakes before the deadline.
    pub fn until(&self, deadline: Instant) -> Duration {
        deadline.saturating_duration_since(self.now())
    }
}

impl Default for Clock {
    /// The same as [`Clock::new`]: the epoch is now.
    fn default() -> Self {
        Clock::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_convert_both_ways() {
        let epoch = StdInstant::now();
        let clock = Clock::with_epoch(epoch);
        let t = Instant::from_micros(1_234_567);
        assert_eq!(clock.to_std(t), epoch + Duration::from_micros(1_234_567));
        assert_eq!(
            clock.instant_of(epoch + Duration::from_nanos(1_999)),
            Instant::from_micros(1)
        );
    }

    #[test]
    fn the_far_future_does_not_panic() {
        let clock = Clock::new();
        assert!(clock.to_std(Instant::FAR_FUTURE) > clock.epoch());
        assert!(clock.until(Instant::FAR_FUTURE) > Duration::from_secs(1_000_000));
    }

    #[test]
    fn a_past_deadline_is_due_now() {
        let clock = Clock::with_epoch(StdInstant::now() - Duration::from_millis(10));
        assert_eq!(clock.until(Instant::ZERO), Duration::ZERO);
        assert!(clock.now() >= Instant::from_micros(10_000));
    }
}
