//! What a virtual router is told, and what is wrong with it when it cannot run.

use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use core::time::Duration;

use crate::types::{Centiseconds, Family, Priority, Version, Vrid};
use crate::vip::{Label, VirtualAddress};
use crate::wire::{Auth, ChecksumMode};

/// Identifies a tracked object (check script, interface, ...) of one router. The embedder
/// picks the numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TrackId(pub u32);

/// How a tracked object changes the priority, with keepalived's semantics.
///
/// - `weight > 0`: added to the priority while the object is up;
/// - `weight < 0`: added (so subtracted) while the object is down;
/// - `weight == 0`: the router goes to Fault while the object is down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TrackConfig {
    /// The embedder's name for the object.
    pub id: TrackId,
    /// keepalived's weight, -254..=254.
    pub weight: i16,
    /// State before the first [`crate::router::VirtualRouter::set_track`] call.
    pub initially_up: bool,
}

/// Gratuitous ARP / unsolicited NA settings (keepalived's garp_master_*).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AnnounceConfig {
    /// Announcements per address in each burst (garp_master_repeat, default 5).
    pub repeat: u8,
    /// Delay before the second burst after becoming master (garp_master_delay, default
    /// 5 s); `Duration::ZERO` for none.
    pub second_burst_delay: Duration,
    /// Re-announce periodically while master (garp_master_refresh); `None` for never.
    pub refresh: Option<Duration>,
}

impl Default for AnnounceConfig {
    fn default() -> Self {
        AnnounceConfig {
            repeat: 5,
            second_burst_delay: Duration::from_secs(5),
            refresh: None,
        }
    }
}

/// The wait of a router that starts (or leaves Initialize) before it may take over when it
/// hears no master: Master_Down_Interval plus `delay` plus `spread × (255 −
/// priority) / 255`.
///
/// RFC 9568 has every router start as Backup and take over after Master_Down_Interval.
/// Two routers started together then race: the lower priority wins whenever it started
/// more than the difference of their Skew_Times earlier (19.5 ms between priorities 150
/// and 100 at 100 ms adverts), and sends adverts as master until the other preempts it.
/// The spread makes a higher priority wait less by a margin that covers start-up skew
/// (with 1 s: 196 ms between 150 and 100), so the best router takes over first and the
/// others hear it. It only lengthens a start-up with no master on the link, never a
/// failover. The default is the RFC's behaviour (no spread, no delay); `vrrp run` uses
/// [`StartupWait::RACE_FREE`]. `delay` is keepalived's `vrrp_startup_delay`: a flat wait
/// for links and routes to settle after boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct StartupWait {
    /// Added to every router's first wait (keepalived's `vrrp_startup_delay`; default 0).
    pub delay: Duration,
    /// Scaled by how far the priority is below 255 (default zero: the RFC's plain
    /// Master_Down_Interval).
    pub spread: Duration,
}

impl StartupWait {
    /// A spread of 1 s and no delay: routers started within ~0.2 s of each other with
    /// priorities 50 apart (~4 ms per priority point) never race.
    pub const RACE_FREE: StartupWait = StartupWait {
        delay: Duration::ZERO,
        spread: Duration::from_secs(1),
    };

    /// The wait added to Master_Down_Interval at start-up for `priority`.
    pub fn extra(&self, priority: crate::types::Priority) -> Duration {
        let below = u32::from(255 - priority.get());
        self.delay + self.spread * below / 255
    }
}

/// Everything one virtual router (interface, family, VRID) needs to run.
///
/// Build one with [`RouterConfig::new`] and adjust the public fields;
/// [`crate::router::VirtualRouter::new`] validates it.
///
/// ```
/// use vrrp_core::router::RouterConfig;
/// use vrrp_core::{Priority, Version, Vrid};
/// use core::net::{IpAddr, Ipv4Addr};
///
/// let mut config = RouterConfig::new(
///     Vrid::new(51).unwrap(),
///     IpAddr::V4(Ipv4Addr::new(192, 168, 100, 10)),
///     vec![IpAddr::V4(Ipv4Addr::new(192, 168, 100, 12))],
/// );
/// config.priority = Priority(101);
/// config.version = Version::V2;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterConfig {
    /// The virtual router identifier.
    pub vrid: Vrid,
    /// VRRPv2 or VRRPv3 (default).
    pub version: Version,
    /// Configured priority, 1..=255; 255 means this router owns the virtual addresses.
    pub priority: Priority,
    /// Advertisement_Interval. VRRPv2: whole seconds; VRRPv3: 1..=4095 cs. Default 1 s.
    pub advert_interval: Centiseconds,
    /// Whether a higher-priority backup takes over from a lower-priority master
    /// (default true). `false` is keepalived's `nopreempt`, and it holds whatever initial
    /// state a configuration names.
    pub preempt: bool,
    /// After start-up (or leaving Fault), tolerate a lower-priority master this long
    /// before preempting it (keepalived's `preempt_delay`).
    pub preempt_delay: Duration,
    /// How the first Master_Down_Interval after start-up is stretched, so that routers
    /// started together do not race: see [`StartupWait`].
    pub startup: StartupWait,
    /// RFC 9568 Accept_Mode (section 6.1): whether a master that is not the address
    /// owner accepts packets addressed to its virtual addresses. The adapter enforces it
    /// (vrrp-io drops such packets with nftables while the router holds them); the
    /// election does not use it. Default true, as keepalived (RFC 9568's default is
    /// false: set it for the RFC's behaviour).
    pub accept_mode: bool,
    /// Our primary address on the interface: the source of our adverts and the tie-breaker
    /// between equal priorities. For IPv6 this is a link-local address.
    pub primary_address: IpAddr,
    /// The virtual addresses, all of the family of `primary_address`, each at most once,
    /// with the prefix length and (IPv4) label they are added with.
    pub virtual_addresses: Vec<VirtualAddress>,
    /// Addresses held with the virtual addresses while master (added, announced and
    /// removed with them) but not advertised: keepalived's `virtual_ipaddress_excluded`,
    /// for long lists or for the other address family. Each at most once, and none of
    /// them also in `virtual_addresses`.
    pub excluded_addresses: Vec<VirtualAddress>,
    /// VRRPv2 authentication (none or a simple password). Must be `Auth::None` for VRRPv3.
    pub auth: Auth,
    /// The VRRPv3-over-IPv4 checksum form we send.
    pub checksum_mode: ChecksumMode,
    /// Send adverts to these addresses instead of the multicast group (keepalived's
    /// `unicast_peer`).
    pub unicast_peers: Vec<IpAddr>,
    /// With unicast peers: drop adverts whose source is not one of them (keepalived's
    /// `check_unicast_src`), so that a stray or spoofed sender on a shared network cannot
    /// take part in the election.
    pub check_unicast_source: bool,
    /// Gratuitous ARP / unsolicited NA settings.
    pub announce: AnnounceConfig,
    /// Tracked objects and their weights.
    pub tracks: Vec<TrackConfig>,
}

impl RouterConfig {
    /// A configuration with the protocol defaults: VRRPv3, priority 100, 1 s adverts,
    /// preempt on, no auth, keepalived-compatible checksums, multicast.
    ///
    /// `virtual_addresses` takes [`VirtualAddress`]es or plain addresses (which become
    /// host addresses, /32 or /128, without a label).
    pub fn new(
        vrid: Vrid,
        primary_address: IpAddr,
        virtual_addresses: impl IntoIterator<Item = impl Into<VirtualAddress>>,
    ) -> Self {
        let virtual_addresses = virtual_addresses.into_iter().map(Into::into).collect();
        RouterConfig {
            vrid,
            version: Version::V3,
            priority: Priority::DEFAULT,
            advert_interval: Centiseconds(100),
            preempt: true,
            preempt_delay: Duration::ZERO,
            startup: StartupWait::default(),
            accept_mode: true,
            primary_address,
            virtual_addresses,
            excluded_addresses: Vec::new(),
            auth: Auth::None,
            checksum_mode: ChecksumMode::default(),
            unicast_peers: Vec::new(),
            check_unicast_source: false,
            announce: AnnounceConfig::default(),
            tracks: Vec::new(),
        }
    }

    /// The address family, from the primary address.
    pub fn family(&self) -> Family {
        Family::of(&self.primary_address)
    }

    /// Every address a master holds: the virtual addresses, then the excluded ones.
    pub fn held_addresses(&self) -> impl Iterator<Item = &VirtualAddress> + '_ {
        self.virtual_addresses
            .iter()
            .chain(&self.excluded_addresses)
    }

    /// Checks everything [`crate::router::VirtualRouter::new`] relies on.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let family = self.family();
        if self.priority.is_shutdown() {
            return Err(ConfigError::PriorityZero);
        }
        if self.virtual_addresses.is_empty() {
            return Err(ConfigError::NoVirtualAddresses);
        }
        if self.virtual_addresses.len() > 255 {
            return Err(ConfigError::TooManyVirtualAddresses(
                self.virtual_addresses.len(),
            ));
        }
        if let Some(&addr) = self
            .virtual_addresses
            .iter()
            .map(|v| &v.addr)
            .chain(&self.unicast_peers)
            .find(|a| Family::of(a) != family)
        {
            return Err(ConfigError::FamilyMismatch {
                address: addr,
                family,
            });
        }
        for (i, v) in self.virtual_addresses.iter().enumerate() {
            if v.prefix_len > family.max_prefix_len() {
                return Err(ConfigError::PrefixTooLong {
                    address: v.addr,
                    prefix_len: v.prefix_len,
                });
            }
            if let (IpAddr::V6(address), Some(label)) = (v.addr, v.label) {
                return Err(ConfigError::LabelOnIpv6 { address, label });
            }
            if self.virtual_addresses[..i].iter().any(|o| o.addr == v.addr) {
                return Err(ConfigError::DuplicateVirtualAddress(v.addr));
            }
        }
        let held: Vec<&VirtualAddress> = self.held_addresses().collect();
        for (i, v) in held.iter().enumerate().skip(self.virtual_addresses.len()) {
            let own_family = Family::of(&v.addr);
            if v.prefix_len > own_family.max_prefix_len() {
                return Err(ConfigError::PrefixTooLong {
                    address: v.addr,
                    prefix_len: v.prefix_len,
                });
            }
            if let (IpAddr::V6(address), Some(label)) = (v.addr, v.label) {
                return Err(ConfigError::LabelOnIpv6 { address, label });
            }
            if held[..i].iter().any(|o| o.addr == v.addr) {
                return Err(ConfigError::DuplicateVirtualAddress(v.addr));
            }
        }
        if self.version == Version::V2 && family == Family::Ipv6 {
            return Err(ConfigError::V2OverIpv6);
        }
        if !self.version.can_carry(self.advert_interval) {
            return Err(ConfigError::IntervalOutOfRange {
                version: self.version,
                interval: self.advert_interval,
            });
        }
        if self.version == Version::V3 && self.auth != Auth::None {
            return Err(ConfigError::AuthWithV3);
        }
        if is_unspecified(&self.primary_address) {
            return Err(ConfigError::UnspecifiedPrimaryAddress);
        }
        // Only the address owner (RFC 9568 section 1.6: priority 255) advertises from an
        // address it lists as virtual; anyone else would remove its own source address
        // whenever it is backup.
        if !self.priority.is_owner()
            && self
                .held_addresses()
                .any(|v| v.addr == self.primary_address)
        {
            return Err(ConfigError::VirtualAddressIsPrimary(self.primary_address));
        }
        if let IpAddr::V6(a) = self.primary_address {
            // RFC 9568 section 5.1.2.1: IPv6 adverts come from the link-local address.
            if !is_link_local(a) {
                return Err(ConfigError::PrimaryNotLinkLocal(a));
            }
        }
        for (i, t) in self.tracks.iter().enumerate() {
            if !(-254..=254).contains(&t.weight) {
                return Err(ConfigError::TrackWeightOutOfRange {
                    id: t.id,
                    weight: t.weight,
                });
            }
            if self.tracks[..i].iter().any(|o| o.id == t.id) {
                return Err(ConfigError::DuplicateTrack(t.id));
            }
        }
        Ok(())
    }
}

fn is_unspecified(addr: &IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => *a == Ipv4Addr::UNSPECIFIED,
        IpAddr::V6(a) => *a == Ipv6Addr::UNSPECIFIED,
    }
}

fn is_link_local(a: Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}

/// Why a [`RouterConfig`] cannot run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Priority 0 is reserved for the "master is leaving" advert.
    #[error("priority 0 is reserved for shutdown adverts; use 1..=255")]
    PriorityZero,
    /// A router needs at least one virtual address.
    #[error("no virtual addresses: a virtual router needs at least one")]
    NoVirtualAddresses,
    /// More than 255 addresses do not fit the count field.
    #[error("{0} virtual addresses; an advert carries at most 255")]
    TooManyVirtualAddresses(usize),
    /// A virtual address's prefix length is longer than its family allows.
    #[error("{address}/{prefix_len}: the prefix length is at most 32 for IPv4 and 128 for IPv6")]
    PrefixTooLong {
        /// The virtual address.
        address: IpAddr,
        /// Its prefix length.
        prefix_len: u8,
    },
    /// Address labels exist for IPv4 addresses only.
    #[error("{address} has label {label}, but only IPv4 addresses take a label; remove it")]
    LabelOnIpv6 {
        /// The virtual address.
        address: Ipv6Addr,
        /// The label it was given.
        label: Label,
    },
    /// One address is listed twice (with whatever prefix or label).
    #[error("virtual address {0} is listed twice; list each address once")]
    DuplicateVirtualAddress(IpAddr),
    /// A virtual address or unicast peer of the other family.
    #[error("{address} is not an {family} address like the router's primary address")]
    FamilyMismatch {
        /// The offending address.
        address: IpAddr,
        /// The router's family.
        family: Family,
    },
    /// VRRPv2 is IPv4-only.
    #[error("VRRPv2 runs over IPv4 only; use VRRPv3 for IPv6")]
    V2OverIpv6,
    /// The interval cannot be sent in this version's field.
    #[error("advert interval {interval} is not valid for {version}: VRRPv2 needs whole seconds 1..=255, VRRPv3 10 ms..=40.95 s")]
    IntervalOutOfRange {
        /// The configured version.
        version: Version,
        /// The configured interval.
        interval: Centiseconds,
    },
    /// VRRPv3 removed authentication.
    #[error("VRRPv3 has no authentication; remove it or use VRRPv2")]
    AuthWithV3,
    /// The primary address is 0.0.0.0 or ::.
    #[error("the primary address is unspecified; use the interface's own address")]
    UnspecifiedPrimaryAddress,
    /// A router that is not the address owner lists its own primary address as virtual.
    #[error("virtual address {0} is this router's own address (the source of its adverts); only the address owner (priority 255) may list it, anyone else would remove it as backup")]
    VirtualAddressIsPrimary(IpAddr),
    /// IPv6 adverts must come from a link-local address.
    #[error("IPv6 primary address {0} is not link-local (fe80::/10), as RFC 9568 requires")]
    PrimaryNotLinkLocal(Ipv6Addr),
    /// Two tracks with one id.
    #[error("track {0:?} is listed twice")]
    DuplicateTrack(TrackId),
    /// keepalived weights are -254..=254.
    #[error("track {id:?} has weight {weight}; weights are -254..=254")]
    TrackWeightOutOfRange {
        /// The track.
        id: TrackId,
        /// Its weight.
        weight: i16,
    },
}

/// Why [`crate::router::VirtualRouter::reconfigure`] refused a configuration. Nothing
/// changed; a different VRID, version or family is another router: create it anew.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReconfigureError {
    /// The new configuration cannot run at all.
    #[error(transparent)]
    Invalid(#[from] ConfigError),
    /// The VRID differs.
    #[error("the VRID changed from {running} to {new}: that is another virtual router")]
    VridChanged {
        /// The running router's VRID.
        running: Vrid,
        /// The new configuration's.
        new: Vrid,
    },
    /// The protocol version differs.
    #[error("the version changed from {running} to {new}: that is another virtual router")]
    VersionChanged {
        /// The running router's version.
        running: Version,
        /// The new configuration's.
        new: Version,
    },
    /// The address family differs.
    #[error("the address family changed from {running} to {new}: that is another virtual router")]
    FamilyChanged {
        /// The running router's family.
        running: Family,
        /// The new configuration's.
        new: Family,
    },
}
