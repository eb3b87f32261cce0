//! A zero-copy view of a VRRP advertisement.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::checksum::{self, ChecksumForm};
use super::error::DecodeError;
use crate::types::{Family, Version};

/// Byte offsets of the VRRP header fields (RFC 3768 section 5.1, RFC 9568 section 5.1).
mod field {
    /// Version (high nibble) and type (low nibble).
    pub const VER_TYPE: usize = 0;
    pub const VRID: usize = 1;
    pub const PRIORITY: usize = 2;
    pub const COUNT: usize = 3;
    /// v2: authentication type.
    pub const V2_AUTH_TYPE: usize = 4;
    /// v2: advertisement interval in seconds.
    pub const V2_ADVER_INT: usize = 5;
    /// v3: 4 reserved bits and the 12-bit Max Adver Interval in centiseconds.
    pub const V3_RSVD_INTERVAL: core::ops::Range<usize> = 4..6;
    pub const CHECKSUM: core::ops::Range<usize> = 6..8;
    /// Start of the address list.
    pub const ADDRESSES: usize = 8;
    /// v2: trailing authentication data.
    pub const V2_AUTH_DATA_LEN: usize = 8;
}

/// Length of the fixed VRRP header.
pub const HEADER_LEN: usize = field::ADDRESSES;
/// Length of the VRRPv2 authentication data.
pub const AUTH_DATA_LEN: usize = field::V2_AUTH_DATA_LEN;

/// The length of a VRRP message of `version` carrying `count` addresses of `family`.
#[inline]
pub const fn message_len(version: Version, family: Family, count: usize) -> usize {
    let auth = match version {
        Version::V2 => AUTH_DATA_LEN,
        Version::V3 => 0,
    };
    HEADER_LEN + count * family.addr_len() + auth
}

/// A read/write view of a VRRP message (the IP payload), over any byte buffer.
///
/// The address family is not in the VRRP header; it comes from the IP layer, so the view
/// carries it.
///
/// ```
/// use vrrp_core::wire::Packet;
/// use vrrp_core::Family;
/// // keepalived, VRRPv3 over IPv4, VRID 51, priority 101, 10 cs, VIP 192.168.100.12.
/// let bytes = [0x31, 0x33, 0x65, 0x01, 0x00, 0x0a, 0x3f, 0xca, 192, 168, 100, 12];
/// let packet = Packet::new_checked(&bytes[..], Family::Ipv4).unwrap();
/// assert_eq!(packet.vrid(), 51);
/// assert_eq!(packet.priority(), 101);
/// assert_eq!(packet.v3_max_adver_interval(), 10);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
    family: Family,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it. Accessors may panic if it is malformed; use
    /// [`Packet::new_checked`] for anything that came from the network.
    #[inline]
    pub const fn new_unchecked(buffer: T, family: Family) -> Self {
        Packet { buffer, family }
    }

    /// Wraps a buffer after [`Packet::check_len`]: no accessor can panic afterwards.
    #[inline]
    pub fn new_checked(buffer: T, family: Family) -> Result<Self, DecodeError> {
        let packet = Self::new_unchecked(buffer, family);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the buffer holds exactly one VRRP message of a known version: at least
    /// the header, version 2 or 3 (2 only over IPv4), and exactly the length the address
    /// count implies.
    pub fn check_len(&self) -> Result<(), DecodeError> {
        let data = self.buffer.as_ref();
        if data.len() < HEADER_LEN {
            return Err(DecodeError::TooShort { len: data.len() });
        }
        let version = match data[field::VER_TYPE] >> 4 {
            2 => Version::V2,
            3 => Version::V3,
            other => return Err(DecodeError::BadVersion(other)),
        };
        if version == Version::V2 && self.family == Family::Ipv6 {
            return Err(DecodeError::V2OverIpv6);
        }
        let count = data[field::COUNT];
        let expected = message_len(version, self.family, count as usize);
        if data.len() != expected {
            return Err(DecodeError::LengthMismatch {
                len: data.len(),
                count,
                family: self.family,
                expected,
            });
        }
        Ok(())
    }

    /// Unwraps the buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The address family the view was created for.
    #[inline]
    pub fn family(&self) -> Family {
        self.family
    }

    /// The whole message.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// The raw version nibble.
    #[inline]
    pub fn version_number(&self) -> u8 {
        self.buffer.as_ref()[field::VER_TYPE] >> 4
    }

    /// The version, if it is 2 or 3 (always, after [`Packet::check_len`]).
    #[inline]
    pub fn version(&self) -> Option<Version> {
        match self.version_number() {
            2 => Some(Version::V2),
            3 => Some(Version::V3),
            _ => None,
        }
    }

    /// The type nibble (1 = ADVERTISEMENT).
    #[inline]
    pub fn kind(&self) -> u8 {
        self.buffer.as_ref()[field::VER_TYPE] & 0x0f
    }

    /// The Virtual Router Identifier field (0 is invalid but representable here).
    #[inline]
    pub fn vrid(&self) -> u8 {
        self.buffer.as_ref()[field::VRID]
    }

    /// The priority field.
    #[inline]
    pub fn priority(&self) -> u8 {
        self.buffer.as_ref()[field::PRIORITY]
    }

    /// The Count IPvX Addr field.
    #[inline]
    pub fn count(&self) -> u8 {
        self.buffer.as_ref()[field::COUNT]
    }

    /// VRRPv2 authentication type (meaningless for v3).
    #[inline]
    pub fn v2_auth_type(&self) -> u8 {
        self.buffer.as_ref()[field::V2_AUTH_TYPE]
    }

    /// VRRPv2 advertisement interval in seconds (meaningless for v3).
    #[inline]
    pub fn v2_adver_int(&self) -> u8 {
        self.buffer.as_ref()[field::V2_ADVER_INT]
    }

    /// VRRPv3 reserved bits (top 4 bits of bytes 4..6); must be sent as 0, ignored on receipt.
    #[inline]
    pub fn v3_reserved(&self) -> u8 {
        self.buffer.as_ref()[field::V3_RSVD_INTERVAL.start] >> 4
    }

    /// VRRPv3 Max Adver Interval in centiseconds (12 bits; meaningless for v2).
    #[inline]
    pub fn v3_max_adver_interval(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::V3_RSVD_INTERVAL];
        u16::from_be_bytes([b[0], b[1]]) & 0x0fff
    }

    /// The checksum field.
    #[inline]
    pub fn checksum(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::CHECKSUM];
        u16::from_be_bytes([b[0], b[1]])
    }

    /// The raw address list (count x 4 or 16 bytes).
    #[inline]
    pub fn address_bytes(&self) -> &[u8] {
        let end = field::ADDRESSES + self.count() as usize * self.family.addr_len();
        &self.buffer.as_ref()[field::ADDRESSES..end]
    }

    /// The `index`th address as IPv4, if the view is IPv4 and `index < count`.
    #[inline]
    pub fn ipv4_address(&self, index: usize) -> Option<Ipv4Addr> {
        if self.family != Family::Ipv4 {
            return None;
        }
        let bytes = self.address_bytes().get(index * 4..index * 4 + 4)?;
        Some(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))
    }

    /// The `index`th address as IPv6, if the view is IPv6 and `index < count`.
    #[inline]
    pub fn ipv6_address(&self, index: usize) -> Option<Ipv6Addr> {
        if self.family != Family::Ipv6 {
            return None;
        }
        let bytes = self.address_bytes().get(index * 16..index * 16 + 16)?;
        let mut octets = [0u8; 16];
        octets.copy_from_slice(bytes);
        Some(Ipv6Addr::from(octets))
    }

    /// The 8 bytes of VRRPv2 authentication data (the last 8 bytes of a v2 message).
    #[inline]
    pub fn v2_auth_data(&self) -> &[u8] {
        let data = self.buffer.as_ref();
        &data[data.len() - AUTH_DATA_LEN..]
    }

    /// The checksum this message would have in `form`, computed over the message with the
    /// checksum field taken as zero. `None` if the addresses do not fit the form.
    pub fn compute_checksum(&self, form: ChecksumForm, src: IpAddr, dst: IpAddr) -> Option<u16> {
        let data = self.buffer.as_ref();
        let pseudo = checksum::pseudo_header_for(form, src, dst, data.len())?;
        // Sum everything but the checksum field itself.
        let acc = checksum::sum_words(pseudo, &data[..field::CHECKSUM.start]);
        let acc = checksum::sum_words(acc, &data[field::CHECKSUM.end..]);
        Some(checksum::finish(acc))
    }

    /// Verifies the checksum against every form valid for this version and family and
    /// returns the one that matched.
    ///
    /// `src` and `dst` are the IP addresses of the packet as received (they enter the
    /// pseudo-header of VRRPv3). For VRRPv3 over IPv4 the RFC 9568 form and the
    /// pseudo-header forms (keepalived, FRR) are all accepted; which one matched is
    /// returned so that a caller can log or refuse a peer's style.
    pub fn verify_checksum(&self, src: IpAddr, dst: IpAddr) -> Result<ChecksumForm, DecodeError> {
        let data = self.buffer.as_ref();
        let candidates: &[ChecksumForm] = match (self.version(), self.family) {
            (Some(Version::V2), _) => &[ChecksumForm::V2],
            (Some(Version::V3), Family::Ipv6) => &[ChecksumForm::V3Ipv6],
            (Some(Version::V3), Family::Ipv4) => &[
                ChecksumForm::V3Ipv4PseudoHeader,
                ChecksumForm::V3Ipv4Rfc9568,
                ChecksumForm::V3Ipv4PseudoHeaderMulticastDst,
            ],
            (None, _) => return Err(DecodeError::BadVersion(self.version_number())),
        };
        // Sum the message once; each form only adds its pseudo-header.
        let body = checksum::sum_words(0, data);
        for &form in candidates {
            if form == ChecksumForm::V3Ipv4PseudoHeaderMulticastDst
                && dst == super::VRRP_MULTICAST_V4
            {
                // Same bytes as the plain pseudo-header form, already tried.
                continue;
            }
            if let Some(pseudo) = checksum::pseudo_header_for(form, src, dst, data.len()) {
                if cfg!(fuzzing) || checksum::finish(checksum::add(body, pseudo)) == 0 {
                    return Ok(form);
                }
            }
        }
        Err(DecodeError::BadChecksum {
            found: self.checksum(),
        })
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    #[inline]
    fn data_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }

    /// Sets version and type (type is always 1, ADVERTISEMENT).
    #[inline]
    pub fn set_version(&mut self, version: Version) {
        self.data_mut()[field::VER_TYPE] = (version.number() << 4) | 1;
    }

    /// Sets the raw version/type byte.
    #[inline]
    pub fn set_version_type_raw(&mut self, value: u8) {
        self.data_mut()[field::VER_TYPE] = value;
    }

    /// Sets the VRID field.
    #[inline]
    pub fn set_vrid(&mut self, value: u8) {
        self.data_mut()[field::VRID] = value;
    }

    /// Sets the priority field.
    #[inline]
    pub fn set_priority(&mut self, value: u8) {
        self.data_mut()[field::PRIORITY] = value;
    }

    /// Sets the Count IPvX Addr field.
    #[inline]
    pub fn set_count(&mut self, value: u8) {
        self.data_mut()[field::COUNT] = value;
    }

    /// Sets the VRRPv2 authentication type.
    #[inline]
    pub fn set_v2_auth_type(&mut self, value: u8) {
        self.data_mut()[field::V2_AUTH_TYPE] = value;
    }

    /// Sets the VRRPv2 advertisement interval (seconds).
    #[inline]
    pub fn set_v2_adver_int(&mut self, value: u8) {
        self.data_mut()[field::V2_ADVER_INT] = value;
    }

    /// Sets the VRRPv3 Max Adver Interval (centiseconds, 12 bits) and clears the reserved bits.
    #[inline]
    pub fn set_v3_max_adver_interval(&mut self, value: u16) {
        self.data_mut()[field::V3_RSVD_INTERVAL].copy_from_slice(&(value & 0x0fff).to_be_bytes());
    }

    /// Sets the checksum field.
    #[inline]
    pub fn set_checksum(&mut self, value: u16) {
        self.data_mut()[field::CHECKSUM].copy_from_slice(&value.to_be_bytes());
    }

    /// The address list, writable.
    #[inline]
    pub fn address_bytes_mut(&mut self) -> &mut [u8] {
        let end = field::ADDRESSES + self.count() as usize * self.family.addr_len();
        &mut self.data_mut()[field::ADDRESSES..end]
    }

    /// The VRRPv2 authentication data, writable.
    #[inline]
    pub fn v2_auth_data_mut(&mut self) -> &mut [u8] {
        let data = self.data_mut();
        let len = data.len();
        &mut data[len - AUTH_DATA_LEN..]
    }

    /// Computes the checksum in `form` and writes it. Returns `false` (and writes nothing)
    /// if `src`/`dst` do not fit the form.
    pub fn fill_checksum(&mut self, form: ChecksumForm, src: IpAddr, dst: IpAddr) -> bool {
        match self.compute_checksum(form, src, dst) {
            Some(sum) => {
                self.set_checksum(sum);
                true
            }
            None => false,
        }
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for Packet<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}
