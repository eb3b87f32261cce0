//! Per-router counters, named after the RFC 6527 VRRPv3 MIB where it has a name.

use super::event::{DropReason, Reason};
use crate::wire::DecodeError;

/// Statistics of one virtual router.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Statistics {
    /// Adverts that passed every check (vrrpv3StatisticsRcvdAdvertisements).
    pub adverts_received: u64,
    /// Adverts sent.
    pub adverts_sent: u64,
    /// Priority-0 adverts received (vrrpv3StatisticsRcvdPriZeroPackets).
    pub priority_zero_received: u64,
    /// Priority-0 adverts sent (vrrpv3StatisticsSentPriZeroPackets).
    pub priority_zero_sent: u64,
    /// Transitions to Master (vrrpv3StatisticsMasterTransitions).
    pub master_transitions: u64,
    /// Why we last became master (vrrpv3StatisticsNewMasterReason).
    pub last_master_reason: Option<Reason>,
    /// Adverts whose address list differed from ours (vrrpv3StatisticsAddressListErrors).
    pub address_list_errors: u64,
    /// Drops, one counter per reason.
    pub drops: DropCounters,
}

/// One counter per reason an advert is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DropCounters {
    /// TTL / hop limit not 255 (vrrpv3StatisticsIpTtlErrors).
    pub ip_ttl_errors: u64,
    /// Shorter than a header, or length not matching the count (vrrpv3StatisticsPacketLengthErrors).
    pub packet_length_errors: u64,
    /// Unknown version, or not the version we run (vrrpv3StatisticsVersionErrors).
    pub version_errors: u64,
    /// Type not ADVERTISEMENT (vrrpv3StatisticsInvalidTypePktsRcvd).
    pub invalid_type: u64,
    /// Checksum matches no accepted form (vrrpv3StatisticsChecksumErrors).
    pub checksum_errors: u64,
    /// VRID 0 or not ours (vrrpv3StatisticsVrIdErrors).
    pub vrid_errors: u64,
    /// Interval 0, or (VRRPv2) not our interval (vrrpv3StatisticsAdvIntervalErrors).
    pub interval_errors: u64,
    /// Auth type 2 or unknown (vrrpStatsInvalidAuthType).
    pub invalid_auth_type: u64,
    /// Auth type differs from ours (vrrpStatsAuthTypeMismatch).
    pub auth_type_mismatch: u64,
    /// Wrong password (vrrpStatsAuthFailures).
    pub auth_failures: u64,
    /// Discarded because we own the addresses.
    pub address_owner: u64,
    /// Unicast mode with source checking: sender not a configured peer.
    pub unknown_unicast_source: u64,
    /// Address list with no address in common with ours (also counted in
    /// vrrpv3StatisticsAddressListErrors).
    pub unrelated_addresses: u64,
}

/// One drop counter of [`DropCounters`]: what a [`DropReason`] is counted under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DropCounter {
    /// [`DropCounters::ip_ttl_errors`].
    IpTtlErrors,
    /// [`DropCounters::packet_length_errors`].
    PacketLengthErrors,
    /// [`DropCounters::version_errors`].
    VersionErrors,
    /// [`DropCounters::invalid_type`].
    InvalidType,
    /// [`DropCounters::checksum_errors`].
    ChecksumErrors,
    /// [`DropCounters::vrid_errors`].
    VridErrors,
    /// [`DropCounters::interval_errors`].
    IntervalErrors,
    /// [`DropCounters::invalid_auth_type`].
    InvalidAuthType,
    /// [`DropCounters::auth_type_mismatch`].
    AuthTypeMismatch,
    /// [`DropCounters::auth_failures`].
    AuthFailures,
    /// [`DropCounters::address_owner`].
    AddressOwner,
    /// [`DropCounters::unknown_unicast_source`].
    UnknownUnicastSource,
    /// [`DropCounters::unrelated_addresses`].
    UnrelatedAddresses,
}

impl DropCounter {
    /// Every counter, in [`DropCounters`]' field order.
    pub const ALL: [DropCounter; 13] = [
        DropCounter::IpTtlErrors,
        DropCounter::PacketLengthErrors,
        DropCounter::VersionErrors,
        DropCounter::InvalidType,
        DropCounter::ChecksumErrors,
        DropCounter::VridErrors,
        DropCounter::IntervalErrors,
        DropCounter::InvalidAuthType,
        DropCounter::AuthTypeMismatch,
        DropCounter::AuthFailures,
        DropCounter::AddressOwner,
        DropCounter::UnknownUnicastSource,
        DropCounter::UnrelatedAddresses,
    ];

    /// The counter's field name (`vrid_errors`): the name logs, the status JSON and
    /// metrics use.
    pub const fn name(self) -> &'static str {
        match self {
            DropCounter::IpTtlErrors => "ip_ttl_errors",
            DropCounter::PacketLengthErrors => "packet_length_errors",
            DropCounter::VersionErrors => "version_errors",
            DropCounter::InvalidType => "invalid_type",
            DropCounter::ChecksumErrors => "checksum_errors",
            DropCounter::VridErrors => "vrid_errors",
            DropCounter::IntervalErrors => "interval_errors",
            DropCounter::InvalidAuthType => "invalid_auth_type",
            DropCounter::AuthTypeMismatch => "auth_type_mismatch",
            DropCounter::AuthFailures => "auth_failures",
            DropCounter::AddressOwner => "address_owner",
            DropCounter::UnknownUnicastSource => "unknown_unicast_source",
            DropCounter::UnrelatedAddresses => "unrelated_addresses",
        }
    }
}

impl DropReason {
    /// The counter this drop is counted under.
    pub fn counter(&self) -> DropCounter {
        match self {
            DropReason::Decode(e) => match e {
                DecodeError::BadHopLimit(_) => DropCounter::IpTtlErrors,
                DecodeError::TooShort { .. } | DecodeError::LengthMismatch { .. } => {
                    DropCounter::PacketLengthErrors
                }
                DecodeError::BadVersion(_)
                | DecodeError::V2OverIpv6
                | DecodeError::VersionMismatch { .. } => DropCounter::VersionErrors,
                DecodeError::BadType(_) => DropCounter::InvalidType,
                DecodeError::BadChecksum { .. } => DropCounter::ChecksumErrors,
                DecodeError::VridZero => DropCounter::VridErrors,
                DecodeError::IntervalZero => DropCounter::IntervalErrors,
                DecodeError::AuthIpAhUnsupported | DecodeError::UnknownAuthType(_) => {
                    DropCounter::InvalidAuthType
                }
                DecodeError::AuthTypeMismatch { .. } => DropCounter::AuthTypeMismatch,
                DecodeError::AuthFailure => DropCounter::AuthFailures,
            },
            DropReason::IntervalMismatch { .. } => DropCounter::IntervalErrors,
            DropReason::AddressOwner => DropCounter::AddressOwner,
            DropReason::VridMismatch(_) => DropCounter::VridErrors,
            DropReason::UnknownUnicastSource => DropCounter::UnknownUnicastSource,
            DropReason::UnrelatedAddresses => DropCounter::UnrelatedAddresses,
        }
    }
}

impl DropCounters {
    /// Counts one drop.
    pub(crate) fn record(&mut self, reason: &DropReason) {
        *self.get_mut(reason.counter()) += 1;
    }

    /// The value of one counter.
    pub fn get(&self, counter: DropCounter) -> u64 {
        let mut copy = *self;
        *copy.get_mut(counter)
    }

    /// Every counter with its name, in field order.
    pub fn iter(&self) -> impl Iterator<Item = (DropCounter, u64)> + '_ {
        DropCounter::ALL.into_iter().map(|c| (c, self.get(c)))
    }

    fn get_mut(&mut self, counter: DropCounter) -> &mut u64 {
        match counter {
            DropCounter::IpTtlErrors => &mut self.ip_ttl_errors,
            DropCounter::PacketLengthErrors => &mut self.packet_length_errors,
            DropCounter::VersionErrors => &mut self.version_errors,
            DropCounter::InvalidType => &mut self.invalid_type,
            DropCounter::ChecksumErrors => &mut self.checksum_errors,
            DropCounter::VridErrors => &mut self.vrid_errors,
            DropCounter::IntervalErrors => &mut self.interval_errors,
            DropCounter::InvalidAuthType => &mut self.invalid_auth_type,
            DropCounter::AuthTypeMismatch => &mut self.auth_type_mismatch,
            DropCounter::AuthFailures => &mut self.auth_failures,
            DropCounter::AddressOwner => &mut self.address_owner,
            DropCounter::UnknownUnicastSource => &mut self.unknown_unicast_source,
            DropCounter::UnrelatedAddresses => &mut self.unrelated_addresses,
        }
    }

    /// Sum of all drop counters.
    pub fn total(&self) -> u64 {
        self.iter().map(|(_, n)| n).sum()
    }
}
