//! Why a packet was dropped.

use crate::types::{Family, Version};

/// Every reason the codec refuses a packet, one variant per cause.
///
/// Each variant maps to a statistics counter; [`DecodeError::counter_name`] gives the
/// RFC 6527 (VRRPv3 MIB) object name where one exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Fewer bytes than the fixed 8-byte VRRP header.
    #[error("packet too short: {len} bytes, a VRRP header needs at least 8")]
    TooShort {
        /// Bytes received.
        len: usize,
    },
    /// The version nibble is neither 2 nor 3.
    #[error("unsupported VRRP version {0} (expected 2 or 3)")]
    BadVersion(u8),
    /// VRRPv2 exists only over IPv4 (RFC 3768).
    #[error("VRRPv2 received over IPv6; VRRPv2 is IPv4-only (RFC 3768)")]
    V2OverIpv6,
    /// The version of the packet is not the one this router runs.
    #[error("received {received} but this router runs {expected}")]
    VersionMismatch {
        /// What the packet says.
        received: Version,
        /// What the router is configured for.
        expected: Version,
    },
    /// The type nibble is not 1 (ADVERTISEMENT), the only type defined.
    #[error("unknown VRRP packet type {0} (only 1, ADVERTISEMENT, is defined)")]
    BadType(u8),
    /// The VRID field is 0, which no virtual router can have.
    #[error("VRID 0 is not a valid virtual router identifier")]
    VridZero,
    /// The packet length does not match what the address count implies.
    #[error(
        "length {len} bytes does not match {count} {family} address(es): expected {expected} bytes"
    )]
    LengthMismatch {
        /// Bytes received.
        len: usize,
        /// The Count IPvX Addr field.
        count: u8,
        /// The address family the packet arrived over.
        family: Family,
        /// The length implied by version, family and count.
        expected: usize,
    },
    /// The checksum matches none of the accepted forms.
    #[error("bad checksum {found:#06x}: matches no accepted checksum form")]
    BadChecksum {
        /// The checksum field as received.
        found: u16,
    },
    /// A VRRPv3 advert with Max Adver Interval 0 (nothing could time out against it).
    #[error("advertisement interval is 0")]
    IntervalZero,
    /// VRRPv2 authentication type 2 (IP Authentication Header) was removed by RFC 3768.
    #[error(
        "VRRPv2 auth type 2 (IP Authentication Header) is not supported (removed in RFC 3768)"
    )]
    AuthIpAhUnsupported,
    /// An authentication type other than 0, 1 or 2.
    #[error("unknown VRRPv2 authentication type {0}")]
    UnknownAuthType(u8),
    /// The authentication type differs from the one configured.
    #[error("authentication type mismatch: received {received}, configured {expected}")]
    AuthTypeMismatch {
        /// Auth type of the packet.
        received: u8,
        /// Auth type this router uses.
        expected: u8,
    },
    /// The simple password does not match the configured one.
    #[error("authentication failure: the password does not match")]
    AuthFailure,
    /// An IPv4 TTL or IPv6 hop limit other than 255: the packet may have been routed
    /// (RFC 9568 section 7.1).
    #[error("TTL/hop limit {0} (must be 255: the packet may come from off the link)")]
    BadHopLimit(u8),
}

impl DecodeError {
    /// A stable identifier for the statistics counter of this drop reason.
    ///
    /// Uses the RFC 6527 VRRP-V3-MIB object name where one exists.
    pub const fn counter_name(&self) -> &'static str {
        match self {
            DecodeError::TooShort { .. } => "vrrpv3StatisticsPacketLengthErrors",
            DecodeError::LengthMismatch { .. } => "vrrpv3StatisticsPacketLengthErrors",
            DecodeError::BadVersion(_) => "vrrpv3StatisticsVersionErrors",
            DecodeError::V2OverIpv6 => "vrrpv3StatisticsVersionErrors",
            DecodeError::VersionMismatch { .. } => "vrrpv3StatisticsVersionErrors",
            DecodeError::BadType(_) => "vrrpv3StatisticsInvalidTypePktsRcvd",
            DecodeError::VridZero => "vrrpv3StatisticsVrIdErrors",
            DecodeError::BadChecksum { .. } => "vrrpv3StatisticsChecksumErrors",
            DecodeError::IntervalZero => "vrrpv3StatisticsAdvIntervalErrors",
            DecodeError::AuthIpAhUnsupported => "vrrpStatsInvalidAuthType",
            DecodeError::UnknownAuthType(_) => "vrrpStatsInvalidAuthType",
            DecodeError::AuthTypeMismatch { .. } => "vrrpStatsAuthTypeMismatch",
            DecodeError::AuthFailure => "vrrpStatsAuthFailures",
            DecodeError::BadHopLimit(_) => "vrrpv3StatisticsIpTtlErrors",
        }
    }
}

/// Why a [`crate::wire::AdvertRepr`] could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmitError {
    /// The output buffer is smaller than [`crate::wire::AdvertRepr::buffer_len`].
    #[error("buffer of {len} bytes is too small, {needed} needed")]
    BufferTooSmall {
        /// Bytes available.
        len: usize,
        /// Bytes needed.
        needed: usize,
    },
    /// More than 255 addresses.
    #[error("{0} addresses do not fit the 8-bit count field (at most 255)")]
    TooManyAddresses(usize),
    /// The interval cannot be expressed in this version's field.
    #[error("interval {0} cannot be sent: VRRPv2 needs whole seconds 1..=255, VRRPv3 1..=4095 cs")]
    IntervalNotRepresentable(crate::types::Centiseconds),
    /// VRRPv2 addresses must be IPv4; source and destination must be of the same family.
    #[error("address family mismatch: VRRPv2 is IPv4-only and all addresses must share a family")]
    FamilyMismatch,
    /// VRRPv3 has no authentication (RFC 9568 removed it).
    #[error("VRRPv3 carries no authentication")]
    AuthInV3,
}
