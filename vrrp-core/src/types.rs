//! Small value types that make invalid protocol values unrepresentable.

use core::fmt;
use core::num::NonZeroU8;
use core::time::Duration;

/// A Virtual Router Identifier, 1..=255 (RFC 9568 section 5.2.3). Zero is not a VRID.
///
/// ```
/// use vrrp_core::Vrid;
/// let vrid = Vrid::new(51).unwrap();
/// assert_eq!(vrid.get(), 51);
/// assert!(Vrid::new(0).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Vrid(NonZeroU8);

impl Vrid {
    /// The VRID `value`, or `None` for 0.
    #[inline]
    pub const fn new(value: u8) -> Option<Self> {
        match NonZeroU8::new(value) {
            Some(v) => Some(Vrid(v)),
            None => None,
        }
    }

    /// The numeric value, 1..=255.
    #[inline]
    pub const fn get(self) -> u8 {
        self.0.get()
    }
}

impl fmt::Display for Vrid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.get())
    }
}

/// A router's priority (RFC 9568 section 5.2.4).
///
/// 255 means the router owns the virtual addresses, 0 means the master is leaving,
/// 1..=254 are ordinary backup priorities (default 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Priority(pub u8);

impl Priority {
    /// Sent by a master that stops being master: backups take over after Skew_Time.
    pub const SHUTDOWN: Priority = Priority(0);
    /// The address owner; it is master whenever it is up.
    pub const OWNER: Priority = Priority(255);
    /// The default priority of a backup router.
    pub const DEFAULT: Priority = Priority(100);

    /// The numeric value.
    #[inline]
    pub const fn get(self) -> u8 {
        self.0
    }

    /// True for 255, the IP address owner.
    #[inline]
    pub const fn is_owner(self) -> bool {
        self.0 == 255
    }

    /// True for 0, the "I am leaving" advertisement.
    #[inline]
    pub const fn is_shutdown(self) -> bool {
        self.0 == 0
    }
}

impl Default for Priority {
    fn default() -> Self {
        Priority::DEFAULT
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The VRRP protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// VRRPv2, RFC 3768: IPv4 only, intervals in whole seconds, optional simple password.
    V2,
    /// VRRPv3, RFC 9568: IPv4 and IPv6, intervals in centiseconds, no authentication.
    V3,
}

impl Version {
    /// Whether an advert of this version can carry `interval`: VRRPv2 whole seconds
    /// 1..=255, VRRPv3 1..=4095 centiseconds.
    ///
    /// ```
    /// use vrrp_core::{Centiseconds, Version};
    /// assert!(Version::V2.can_carry(Centiseconds(100)));
    /// assert!(!Version::V2.can_carry(Centiseconds(10)));
    /// assert!(Version::V3.can_carry(Centiseconds(10)));
    /// assert!(!Version::V3.can_carry(Centiseconds(0)));
    /// ```
    pub const fn can_carry(self, interval: Centiseconds) -> bool {
        let cs = interval.0;
        match self {
            Version::V2 => cs % 100 == 0 && cs >= 100 && cs <= 25_500,
            Version::V3 => cs >= 1 && cs <= Centiseconds::V3_MAX.0,
        }
    }

    /// The value of the 4-bit version field.
    #[inline]
    pub const fn number(self) -> u8 {
        match self {
            Version::V2 => 2,
            Version::V3 => 3,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VRRPv{}", self.number())
    }
}

/// The IP address family a virtual router runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// IPv4: addresses are 4 bytes, adverts go to 224.0.0.18.
    Ipv4,
    /// IPv6: addresses are 16 bytes, adverts go to ff02::12.
    Ipv6,
}

impl Family {
    /// The family of an address.
    #[inline]
    pub const fn of(addr: &core::net::IpAddr) -> Self {
        match addr {
            core::net::IpAddr::V4(_) => Family::Ipv4,
            core::net::IpAddr::V6(_) => Family::Ipv6,
        }
    }

    /// Length in bytes of one address of this family.
    #[inline]
    pub const fn addr_len(self) -> usize {
        match self {
            Family::Ipv4 => 4,
            Family::Ipv6 => 16,
        }
    }

    /// The longest prefix length of this family: 32 for IPv4, 128 for IPv6.
    #[inline]
    pub const fn max_prefix_len(self) -> u8 {
        match self {
            Family::Ipv4 => 32,
            Family::Ipv6 => 128,
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::Ipv4 => "IPv4",
            Family::Ipv6 => "IPv6",
        })
    }
}

/// A time interval in centiseconds (hundredths of a second), the unit of the VRRPv3
/// Max Adver Interval field.
///
/// Kept distinct from seconds and from [`Duration`] so that the 10x/100x unit bugs of
/// mixing them cannot compile.
///
/// ```
/// use vrrp_core::Centiseconds;
/// use core::time::Duration;
/// assert_eq!(Centiseconds(100).to_duration(), Duration::from_secs(1));
/// assert_eq!(Centiseconds::from_secs(2), Centiseconds(200));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Centiseconds(pub u16);

impl Centiseconds {
    /// The largest interval a VRRPv3 advert can carry (12 bits): 40.95 s.
    pub const V3_MAX: Centiseconds = Centiseconds(0x0fff);

    /// `secs` whole seconds (saturating at `u16::MAX` centiseconds).
    #[inline]
    pub const fn from_secs(secs: u16) -> Self {
        Centiseconds(secs.saturating_mul(100))
    }

    /// The value in centiseconds.
    #[inline]
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The interval in microseconds.
    #[inline]
    pub const fn as_micros(self) -> u64 {
        self.0 as u64 * 10_000
    }

    /// The interval as a [`Duration`].
    #[inline]
    pub const fn to_duration(self) -> Duration {
        Duration::from_micros(self.as_micros())
    }
}

impl fmt::Display for Centiseconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}cs", self.0)
    }
}
