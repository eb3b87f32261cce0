//! The owned, validated form of an advertisement.

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::checksum::{ChecksumForm, ChecksumMode};
use super::error::{DecodeError, EmitError};
use super::packet::{message_len, Packet, AUTH_DATA_LEN, HEADER_LEN};
use crate::types::{Centiseconds, Family, Priority, Version, Vrid};

/// VRRPv2 authentication type 0: none.
pub const AUTH_TYPE_NONE: u8 = 0;
/// VRRPv2 authentication type 1: simple text password.
pub const AUTH_TYPE_SIMPLE: u8 = 1;
/// VRRPv2 authentication type 2: IP Authentication Header (removed by RFC 3768).
pub const AUTH_TYPE_IP_AH: u8 = 2;

/// A VRRPv2 simple-text password: 8 bytes, NUL padded (RFC 2338 section 5.3.6.1).
///
/// ```
/// use vrrp_core::wire::Password;
/// let p = Password::new("mynginx").unwrap();
/// assert_eq!(p.as_bytes(), b"mynginx\0");
/// assert!(Password::new("far too long").is_none());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Password([u8; AUTH_DATA_LEN]);

impl Password {
    /// A password of at most 8 bytes; `None` if longer.
    pub fn new(text: &str) -> Option<Self> {
        Self::from_slice(text.as_bytes())
    }

    /// A password from at most 8 raw bytes, NUL padded.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        if bytes.len() > AUTH_DATA_LEN {
            return None;
        }
        let mut data = [0u8; AUTH_DATA_LEN];
        data[..bytes.len()].copy_from_slice(bytes);
        Some(Password(data))
    }

    /// The 8 bytes as sent.
    pub fn as_bytes(&self) -> &[u8; AUTH_DATA_LEN] {
        &self.0
    }

    /// Compares with received auth data in time independent of where they differ.
    pub fn matches(&self, received: &[u8]) -> bool {
        if received.len() != AUTH_DATA_LEN {
            return false;
        }
        let mut diff = 0u8;
        for (a, b) in self.0.iter().zip(received) {
            diff |= a ^ b;
        }
        // black_box keeps the optimiser from turning the fold into an early exit.
        core::hint::black_box(diff) == 0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print a secret into logs.
        f.write_str("Password(***)")
    }
}

/// VRRPv2 authentication (RFC 3768 section 5.2.6). VRRPv3 has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Auth {
    /// Type 0. The 8 auth bytes are sent as zero and ignored on receipt.
    #[default]
    None,
    /// Type 1, simple text password.
    Simple(Password),
}

impl Auth {
    /// The auth type number.
    pub const fn type_number(&self) -> u8 {
        match self {
            Auth::None => AUTH_TYPE_NONE,
            Auth::Simple(_) => AUTH_TYPE_SIMPLE,
        }
    }

    /// Checks a received VRRPv2 packet against this (configured) authentication
    /// (RFC 3768 section 7.1: auth type must match; for type 1, the password too).
    pub fn verify<T: AsRef<[u8]>>(&self, packet: &Packet<T>) -> Result<(), DecodeError> {
        let received = packet.v2_auth_type();
        match received {
            AUTH_TYPE_NONE | AUTH_TYPE_SIMPLE => {}
            AUTH_TYPE_IP_AH => return Err(DecodeError::AuthIpAhUnsupported),
            other => return Err(DecodeError::UnknownAuthType(other)),
        }
        if received != self.type_number() {
            return Err(DecodeError::AuthTypeMismatch {
                received,
                expected: self.type_number(),
            });
        }
        match self {
            Auth::None => Ok(()),
            Auth::Simple(password) if password.matches(packet.v2_auth_data()) => Ok(()),
            Auth::Simple(_) => Err(DecodeError::AuthFailure),
        }
    }
}

#[derive(Clone, Copy)]
enum AddressStorage<'a> {
    /// Addresses as they sit in a received packet: `family.addr_len()` bytes each.
    Wire {
        family: Family,
        bytes: &'a [u8],
    },
    /// Addresses given by the application.
    V4(&'a [Ipv4Addr]),
    V6(&'a [Ipv6Addr]),
}

/// The list of virtual addresses in an advert, borrowed either from received bytes or
/// from the caller's slice, so that neither parsing nor emitting allocates.
///
/// ```
/// use vrrp_core::wire::AddressList;
/// use core::net::Ipv4Addr;
/// let vips = [Ipv4Addr::new(192, 168, 100, 12)];
/// let list = AddressList::ipv4(&vips);
/// assert_eq!(list.len(), 1);
/// assert_eq!(list.iter().next(), Some(vips[0].into()));
/// ```
#[derive(Clone, Copy)]
pub struct AddressList<'a>(AddressStorage<'a>);

impl<'a> AddressList<'a> {
    /// A list of IPv4 addresses.
    pub const fn ipv4(addrs: &'a [Ipv4Addr]) -> Self {
        AddressList(AddressStorage::V4(addrs))
    }

    /// A list of IPv6 addresses.
    pub const fn ipv6(addrs: &'a [Ipv6Addr]) -> Self {
        AddressList(AddressStorage::V6(addrs))
    }

    /// A list over raw wire bytes (`len` must be a multiple of the address length).
    pub fn from_wire(family: Family, bytes: &'a [u8]) -> Option<Self> {
        (bytes.len() % family.addr_len() == 0)
            .then_some(AddressList(AddressStorage::Wire { family, bytes }))
    }

    /// The family of the addresses.
    pub fn family(&self) -> Family {
        match self.0 {
            AddressStorage::Wire { family, .. } => family,
            AddressStorage::V4(_) => Family::Ipv4,
            AddressStorage::V6(_) => Family::Ipv6,
        }
    }

    /// Number of addresses.
    pub fn len(&self) -> usize {
        match self.0 {
            AddressStorage::Wire { family, bytes } => bytes.len() / family.addr_len(),
            AddressStorage::V4(a) => a.len(),
            AddressStorage::V6(a) => a.len(),
        }
    }

    /// True if the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `index`th address.
    pub fn get(&self, index: usize) -> Option<IpAddr> {
        match self.0 {
            AddressStorage::Wire {
                family: Family::Ipv4,
                bytes,
            } => {
                let b = bytes.get(index * 4..index * 4 + 4)?;
                Some(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])))
            }
            AddressStorage::Wire {
                family: Family::Ipv6,
                bytes,
            } => {
                let b = bytes.get(index * 16..index * 16 + 16)?;
                let mut octets = [0u8; 16];
                octets.copy_from_slice(b);
                Some(IpAddr::V6(Ipv6Addr::from(octets)))
            }
            AddressStorage::V4(a) => a.get(index).map(|&a| IpAddr::V4(a)),
            AddressStorage::V6(a) => a.get(index).map(|&a| IpAddr::V6(a)),
        }
    }

    /// The addresses in wire form, if the list was parsed from a packet.
    pub fn as_wire_bytes(&self) -> Option<&'a [u8]> {
        match self.0 {
            AddressStorage::Wire { bytes, .. } => Some(bytes),
            _ => None,
        }
    }

    /// Iterates over the addresses in order.
    pub fn iter(&self) -> Addresses<'a> {
        Addresses {
            list: *self,
            next: 0,
        }
    }

    /// Writes the addresses in wire form into `out` (exactly `len() * addr_len` bytes).
    fn write(&self, out: &mut [u8]) {
        match self.0 {
            AddressStorage::Wire { bytes, .. } => out.copy_from_slice(bytes),
            AddressStorage::V4(addrs) => {
                for (chunk, a) in out.chunks_exact_mut(4).zip(addrs) {
                    chunk.copy_from_slice(&a.octets());
                }
            }
            AddressStorage::V6(addrs) => {
                for (chunk, a) in out.chunks_exact_mut(16).zip(addrs) {
                    chunk.copy_from_slice(&a.octets());
                }
            }
        }
    }
}

impl PartialEq for AddressList<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.family() == other.family() && self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for AddressList<'_> {}

impl fmt::Debug for AddressList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Iterator over an [`AddressList`].
#[derive(Clone)]
pub struct Addresses<'a> {
    list: AddressList<'a>,
    next: usize,
}

impl Iterator for Addresses<'_> {
    type Item = IpAddr;

    fn next(&mut self) -> Option<IpAddr> {
        let item = self.list.get(self.next)?;
        self.next += 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.list.len().saturating_sub(self.next);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Addresses<'_> {}

/// A validated VRRP advertisement.
///
/// `parse` checks everything that can be checked without knowing the receiving router
/// (version, type, VRID, interval, auth type); `emit` writes a complete message with its
/// checksum. Neither allocates.
///
/// ```
/// use vrrp_core::wire::{AddressList, AdvertRepr, Auth, ChecksumMode, Packet};
/// use vrrp_core::{Centiseconds, Family, Priority, Version, Vrid};
/// use core::net::{IpAddr, Ipv4Addr};
///
/// let vips = [Ipv4Addr::new(192, 168, 100, 12)];
/// let repr = AdvertRepr {
///     version: Version::V3,
///     vrid: Vrid::new(51).unwrap(),
///     priority: Priority(101),
///     max_advert_interval: Centiseconds(10),
///     addresses: AddressList::ipv4(&vips),
///     auth: Auth::None,
/// };
/// let src = IpAddr::V4(Ipv4Addr::new(192, 168, 100, 10));
/// let dst = IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18));
/// let mut buf = [0u8; 64];
/// let len = repr.emit(&mut buf, src, dst, ChecksumMode::default()).unwrap();
/// // Byte for byte what keepalived 2.2.7 sends.
/// assert_eq!(&buf[..len], &[0x31, 0x33, 0x65, 0x01, 0x00, 0x0a, 0x3f, 0xca, 192, 168, 100, 12]);
///
/// let packet = Packet::new_checked(&buf[..len], Family::Ipv4).unwrap();
/// assert_eq!(AdvertRepr::parse(&packet).unwrap(), repr);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdvertRepr<'a> {
    /// Protocol version.
    pub version: Version,
    /// Virtual router identifier.
    pub vrid: Vrid,
    /// Sender's priority.
    pub priority: Priority,
    /// Advertisement interval. VRRPv2 carries whole seconds (so a multiple of 100 cs);
    /// VRRPv3 carries 1..=4095 centiseconds.
    pub max_advert_interval: Centiseconds,
    /// The virtual addresses.
    pub addresses: AddressList<'a>,
    /// VRRPv2 authentication; always [`Auth::None`] for VRRPv3.
    pub auth: Auth,
}

impl<'a> AdvertRepr<'a> {
    /// Parses a length-checked packet. The checksum is not verified here (it needs the IP
    /// addresses): call [`Packet::verify_checksum`] first.
    pub fn parse(packet: &Packet<&'a [u8]>) -> Result<Self, DecodeError> {
        packet.check_len()?;
        let version = packet
            .version()
            .ok_or(DecodeError::BadVersion(packet.version_number()))?;
        if packet.kind() != 1 {
            return Err(DecodeError::BadType(packet.kind()));
        }
        let vrid = Vrid::new(packet.vrid()).ok_or(DecodeError::VridZero)?;
        let (interval, auth) = match version {
            Version::V2 => {
                let auth = match packet.v2_auth_type() {
                    AUTH_TYPE_NONE => Auth::None,
                    AUTH_TYPE_SIMPLE => {
                        // 8 bytes always fit; from_slice cannot fail here.
                        Auth::Simple(
                            Password::from_slice(packet.v2_auth_data())
                                .ok_or(DecodeError::AuthFailure)?,
                        )
                    }
                    AUTH_TYPE_IP_AH => return Err(DecodeError::AuthIpAhUnsupported),
                    other => return Err(DecodeError::UnknownAuthType(other)),
                };
                (Centiseconds::from_secs(packet.v2_adver_int() as u16), auth)
            }
            Version::V3 => (Centiseconds(packet.v3_max_adver_interval()), Auth::None),
        };
        if interval.get() == 0 {
            return Err(DecodeError::IntervalZero);
        }
        // Borrow the addresses for 'a, not for the lifetime of `packet`.
        let bytes: &'a [u8] = packet.into_inner();
        let family = packet.family();
        let count = packet.count() as usize;
        let length_error = DecodeError::LengthMismatch {
            len: bytes.len(),
            count: packet.count(),
            family,
            expected: message_len(version, family, count),
        };
        let addr_bytes = bytes
            .get(HEADER_LEN..HEADER_LEN + count * family.addr_len())
            .ok_or(length_error)?;
        let addresses = AddressList::from_wire(family, addr_bytes).ok_or(length_error)?;
        Ok(AdvertRepr {
            version,
            vrid,
            priority: Priority(packet.priority()),
            max_advert_interval: interval,
            addresses,
            auth,
        })
    }

    /// Length of the VRRP message this repr emits.
    pub fn buffer_len(&self) -> usize {
        message_len(self.version, self.addresses.family(), self.addresses.len())
    }

    /// Writes the message into the start of `buf`, checksum included, and returns its
    /// length. `src` and `dst` are the IP addresses it will be sent with (VRRPv3 checksums
    /// cover them); `mode` picks the VRRPv3/IPv4 checksum form.
    pub fn emit(
        &self,
        buf: &mut [u8],
        src: IpAddr,
        dst: IpAddr,
        mode: ChecksumMode,
    ) -> Result<usize, EmitError> {
        let family = self.addresses.family();
        let count = self.addresses.len();
        if count > 255 {
            return Err(EmitError::TooManyAddresses(count));
        }
        let addr_family_ok = match (family, src, dst) {
            (Family::Ipv4, IpAddr::V4(_), IpAddr::V4(_)) => true,
            (Family::Ipv6, IpAddr::V6(_), IpAddr::V6(_)) => self.version == Version::V3,
            _ => false,
        };
        if !addr_family_ok {
            return Err(EmitError::FamilyMismatch);
        }
        let interval = self.max_advert_interval.get();
        if !self.version.can_carry(self.max_advert_interval) {
            return Err(EmitError::IntervalNotRepresentable(
                self.max_advert_interval,
            ));
        }
        if self.version == Version::V3 && self.auth != Auth::None {
            return Err(EmitError::AuthInV3);
        }
        let len = self.buffer_len();
        let available = buf.len();
        let out = buf.get_mut(..len).ok_or(EmitError::BufferTooSmall {
            len: available,
            needed: len,
        })?;
        let mut packet = Packet::new_unchecked(out, family);
        packet.set_version(self.version);
        packet.set_vrid(self.vrid.get());
        packet.set_priority(self.priority.get());
        packet.set_count(count as u8);
        match self.version {
            Version::V2 => {
                packet.set_v2_auth_type(self.auth.type_number());
                packet.set_v2_adver_int((interval / 100) as u8);
                let auth = match &self.auth {
                    Auth::None => &[0u8; AUTH_DATA_LEN],
                    Auth::Simple(p) => p.as_bytes(),
                };
                packet.v2_auth_data_mut().copy_from_slice(auth);
            }
            Version::V3 => packet.set_v3_max_adver_interval(interval),
        }
        packet.set_checksum(0);
        self.addresses.write(packet.address_bytes_mut());
        let form =
            ChecksumForm::for_sending(self.version == Version::V3, family == Family::Ipv6, mode);
        // The family check above guarantees the addresses fit the form.
        packet.fill_checksum(form, src, dst);
        Ok(len)
    }
}

impl fmt::Display for AdvertRepr<'_> {
    /// One line, like a sniffer:
    /// `VRRPv3 Advertisement, vrid 51, prio 101, intvl 10cs, addrs(1): 192.168.100.12`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} Advertisement, vrid {}, prio {}, ",
            self.version, self.vrid, self.priority
        )?;
        match self.version {
            Version::V2 => {
                write!(f, "intvl {}s, ", self.max_advert_interval.get() / 100)?;
                match self.auth {
                    Auth::None => f.write_str("authtype none, ")?,
                    Auth::Simple(p) => {
                        f.write_str("authtype simple, auth \"")?;
                        for &b in p.as_bytes().iter().take_while(|&&b| b != 0) {
                            if b.is_ascii_graphic() || b == b' ' {
                                write!(f, "{}", b as char)?;
                            } else {
                                write!(f, "\\x{b:02x}")?;
                            }
                        }
                        f.write_str("\", ")?;
                    }
                }
            }
            Version::V3 => write!(f, "intvl {}cs, ", self.max_advert_interval.get())?,
        }
        write!(f, "addrs({}):", self.addresses.len())?;
        for (i, a) in self.addresses.iter().enumerate() {
            write!(f, "{}{}", if i == 0 { " " } else { "," }, a)?;
        }
        Ok(())
    }
}
