//! The protocol's timer formulas, in integer microseconds.
//!
//! RFC 9568 section 6.1 (VRRPv3) computes Skew_Time from the master's advertised interval;
//! RFC 3768 section 6.1 (VRRPv2) uses a fixed one-second base. Microseconds keep the
//! fractions exact for every priority: (256 - p) * 10_000 * cs / 256 has no rounding for
//! the intervals people use, and keepalived computes in microseconds too.

use crate::types::{Centiseconds, Priority, Version};

const MICROS_PER_SECOND: u64 = 1_000_000;

/// Skew_Time in microseconds.
///
/// - VRRPv3: `((256 - Priority) * Master_Adver_Interval) / 256`.
/// - VRRPv2: `(256 - Priority) / 256` seconds, whatever the advert interval.
///
/// ```
/// use vrrp_core::router::skew_time_micros;
/// use vrrp_core::{Centiseconds, Priority, Version};
/// // VRRPv3, priority 100, 100 ms adverts: 60.9375 ms.
/// assert_eq!(skew_time_micros(Version::V3, Priority(100), Centiseconds(10)), 60_937);
/// // VRRPv2, priority 100: 156/256 s.
/// assert_eq!(skew_time_micros(Version::V2, Priority(100), Centiseconds(100)), 609_375);
/// ```
pub fn skew_time_micros(
    version: Version,
    priority: Priority,
    master_adver_interval: Centiseconds,
) -> u64 {
    let weight = 256 - priority.get() as u64;
    match version {
        Version::V3 => weight * master_adver_interval.as_micros() / 256,
        Version::V2 => weight * MICROS_PER_SECOND / 256,
    }
}

/// Master_Down_Interval in microseconds: `3 * Master_Adver_Interval + Skew_Time`.
///
/// ```
/// use vrrp_core::router::master_down_interval_micros;
/// use vrrp_core::{Centiseconds, Priority, Version};
/// // The classic pair's backup (VRRPv2, priority 100, 1 s adverts): 3 s + 156/256 s.
/// assert_eq!(master_down_interval_micros(Version::V2, Priority(100), Centiseconds(100)), 3_609_375);
/// ```
pub fn master_down_interval_micros(
    version: Version,
    priority: Priority,
    master_adver_interval: Centiseconds,
) -> u64 {
    3 * master_adver_interval.as_micros()
        + skew_time_micros(version, priority, master_adver_interval)
}
