//! Virtual addresses as the embedder configures them on the interface: address, prefix
//! length and (IPv4) label. The protocol itself only carries the address; the prefix and
//! label say how the adapter adds it.

use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use core::str::FromStr;

use crate::types::Family;

/// An IPv4 address label (`ip address add ... label eth0:vip`): 1..=15 bytes without a
/// NUL byte, as the kernel's `IFA_LABEL` (at most `IFNAMSIZ - 1` bytes) requires.
///
/// Stored inline: no allocation, `Copy`.
///
/// ```
/// use vrrp_core::{Label, LabelError};
/// let label = Label::new("eth0:vip")?;
/// assert_eq!(label.as_str(), "eth0:vip");
/// assert_eq!(label.to_string(), "eth0:vip");
/// assert_eq!(Label::new(""), Err(LabelError::Empty));
/// assert_eq!(Label::new("eth0:far-too-long"), Err(LabelError::TooLong { len: 17 }));
/// # Ok::<(), LabelError>(())
/// ```
#[derive(Clone, Copy)]
pub struct Label {
    /// The label's bytes, zero-padded after `len`.
    bytes: [u8; Label::MAX_LEN],
    len: u8,
}

impl Label {
    /// The longest label, in bytes (`IFNAMSIZ - 1`).
    pub const MAX_LEN: usize = 15;

    /// Checks `label` and stores it.
    pub const fn new(label: &str) -> Result<Label, LabelError> {
        let src = label.as_bytes();
        if src.is_empty() {
            return Err(LabelError::Empty);
        }
        if src.len() > Label::MAX_LEN {
            return Err(LabelError::TooLong { len: src.len() });
        }
        let mut bytes = [0u8; Label::MAX_LEN];
        let mut i = 0;
        while i < src.len() {
            if src[i] == 0 {
                return Err(LabelError::ContainsNul { at: i });
            }
            bytes[i] = src[i];
            i += 1;
        }
        Ok(Label {
            bytes,
            len: src.len() as u8,
        })
    }

    /// The label as text.
    pub const fn as_str(&self) -> &str {
        let (used, _) = self.bytes.split_at(self.len as usize);
        // The bytes are a whole `&str` copied in `new`, so they are UTF-8.
        match core::str::from_utf8(used) {
            Ok(s) => s,
            Err(_) => "",
        }
    }

    /// The label's bytes, without padding.
    pub const fn as_bytes(&self) -> &[u8] {
        self.bytes.split_at(self.len as usize).0
    }
}

impl PartialEq for Label {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Label {}

impl Hash for Label {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for Label {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Label {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Label {
    type Err = LabelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Label::new(s)
    }
}

impl AsRef<str> for Label {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// Why a [`Label`] cannot be made from a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum LabelError {
    /// The label is empty.
    #[error("an address label cannot be empty")]
    Empty,
    /// The label is longer than [`Label::MAX_LEN`] bytes.
    #[error("an address label has at most 15 bytes, this one has {len}")]
    TooLong {
        /// The label's length in bytes.
        len: usize,
    },
    /// The label contains a NUL byte, which would end it early in the kernel.
    #[error("an address label cannot contain a NUL byte (found at byte {at})")]
    ContainsNul {
        /// Offset of the first NUL byte.
        at: usize,
    },
}

/// A virtual address with the prefix length and label it gets on the interface.
///
/// VRRP adverts carry only [`VirtualAddress::addr`]; `prefix_len` and `label` are for the
/// adapter that adds the address (`ip address add ADDR/PREFIX label LABEL`).
///
/// ```
/// use vrrp_core::{Label, VirtualAddress};
/// use core::net::{IpAddr, Ipv4Addr};
///
/// let addr = IpAddr::V4(Ipv4Addr::new(192, 168, 100, 12));
/// assert_eq!(VirtualAddress::new(addr).prefix_len, 32);
/// let vip = VirtualAddress::with_prefix(addr, 24).with_label(Label::new("eth0:vip")?);
/// assert_eq!(vip.to_string(), "192.168.100.12/24 label eth0:vip");
/// assert_eq!(VirtualAddress::from(addr), VirtualAddress::new(addr));
/// # Ok::<(), vrrp_core::LabelError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VirtualAddress {
    /// The address, as carried in adverts.
    pub addr: IpAddr,
    /// The prefix length it is added with: at most 32 for IPv4, 128 for IPv6.
    pub prefix_len: u8,
    /// The IPv4 address label; IPv6 addresses have none.
    pub label: Option<Label>,
}

impl VirtualAddress {
    /// `addr` as a host address (/32 or /128), without a label.
    pub const fn new(addr: IpAddr) -> Self {
        VirtualAddress {
            addr,
            prefix_len: Family::of(&addr).max_prefix_len(),
            label: None,
        }
    }

    /// `addr/prefix_len`, without a label. The prefix length is checked by
    /// `RouterConfig::validate` (feature `alloc`).
    pub const fn with_prefix(addr: IpAddr, prefix_len: u8) -> Self {
        VirtualAddress {
            addr,
            prefix_len,
            label: None,
        }
    }

    /// The same address with `label` (IPv4 only, checked by
    /// `RouterConfig::validate` (feature `alloc`)).
    #[must_use]
    pub const fn with_label(self, label: Label) -> Self {
        VirtualAddress {
            label: Some(label),
            ..self
        }
    }

    /// The address family.
    pub const fn family(&self) -> Family {
        Family::of(&self.addr)
    }
}

impl From<IpAddr> for VirtualAddress {
    fn from(addr: IpAddr) -> Self {
        VirtualAddress::new(addr)
    }
}

impl From<Ipv4Addr> for VirtualAddress {
    fn from(addr: Ipv4Addr) -> Self {
        VirtualAddress::new(IpAddr::V4(addr))
    }
}

impl From<Ipv6Addr> for VirtualAddress {
    fn from(addr: Ipv6Addr) -> Self {
        VirtualAddress::new(IpAddr::V6(addr))
    }
}

impl fmt::Display for VirtualAddress {
    /// As `ip address` writes it: `192.168.1.10/24 label eth0:1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix_len)?;
        if let Some(label) = &self.label {
            write!(f, " label {label}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn a_label_of_fifteen_bytes_fits() {
        let l = Label::new("abcdefghijklmno").unwrap();
        assert_eq!(l.as_str(), "abcdefghijklmno");
        assert_eq!(l.as_bytes().len(), Label::MAX_LEN);
    }

    #[test]
    fn each_label_error_names_its_cause() {
        assert_eq!(Label::new(""), Err(LabelError::Empty));
        assert_eq!(
            Label::new("abcdefghijklmnop"),
            Err(LabelError::TooLong { len: 16 })
        );
        assert_eq!(
            Label::new("eth0\0x"),
            Err(LabelError::ContainsNul { at: 4 })
        );
        assert!(LabelError::TooLong { len: 16 }
            .to_string()
            .contains("at most 15 bytes"));
    }

    #[test]
    fn labels_compare_by_text() {
        let a = Label::new("eth0:a").unwrap();
        let b = Label::new("eth0:ab").unwrap();
        assert!(a < b);
        assert_eq!(a, "eth0:a".parse().unwrap());
        assert_eq!(std::format!("{a:?}"), "\"eth0:a\"");
    }

    #[test]
    fn a_multibyte_label_keeps_its_text() {
        let l = Label::new("vip:é").unwrap();
        assert_eq!(l.as_str(), "vip:é");
    }

    #[test]
    fn new_gives_the_host_prefix_of_each_family() {
        let v4 = VirtualAddress::from(Ipv4Addr::new(10, 0, 0, 1));
        let v6 = VirtualAddress::from(Ipv6Addr::LOCALHOST);
        assert_eq!((v4.prefix_len, v4.label), (32, None));
        assert_eq!((v6.prefix_len, v6.label), (128, None));
        assert_eq!(v6.to_string(), "::1/128");
    }
}
