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

impl DropCounters {
    /// Counts one drop.
    pub(crate) fn record(&mut self, reason: &DropReason) {
        let counter = match reason {
            DropReason::Decode(e) => match e {
                DecodeError::BadHopLimit(_) => &mut self.ip_ttl_errors,
                DecodeError::TooShort { .. } | DecodeError::LengthMismatch { .. } => {
                    &mut self.packet_length_errors
                }
                DecodeError::BadVersion(_)
                | DecodeError::V2OverIpv6
                | DecodeError::VersionMismatch { .. } => &mut self.version_errors,
                DecodeError::BadType(_) => &mut self.invalid_type,
                DecodeError::BadChecksum { .. } => &mut self.checksum_errors,
                DecodeError::VridZero => &mut self.vrid_errors,
                DecodeError::IntervalZero => &mut self.interval_errors,
                DecodeError::AuthIpAhUnsupported | DecodeError::UnknownAuthType(_) => {
                    &mut self.invalid_auth_type
                }
                DecodeError::AuthTypeMismatch { .. } => &mut self.auth_type_mismatch,
                DecodeError::AuthFailure => &mut self.auth_failures,
            },
            DropReason::IntervalMismatch { .. } => &mut self.interval_errors,
            DropReason::AddressOwner => &mut self.address_owner,
            DropReason::VridMismatch(_) => &mut self.vrid_errors,
            DropReason::UnknownUnicastSource => &mut self.unknown_unicast_source,
            DropReason::UnrelatedAddresses => &mut self.unrelated_addresses,
        };
        *counter += 1;
    }

    /// Sum of all drop counters.
    pub fn total(&self) -> u64 {
        self.ip_ttl_errors
            + self.packet_length_errors
            + self.version_errors
            + self.invalid_type
            + self.checksum_errors
            + self.vrid_errors
            + self.interval_errors
            + self.invalid_auth_type
            + self.auth_type_mismatch
            + self.auth_failures
            + self.address_owner
            + self.unknown_unicast_source
            + self.unrelated_addresses
    }
}
