//! What a virtual router asks its embedder to do. Every output is owned (`'static`,
//! `Send`), so it can be kept across an `.await` or handed to another thread.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::net::IpAddr;
use core::ops::Deref;

use smallvec::SmallVec;

use super::event::Event;
use crate::vip::VirtualAddress;

/// Adverts up to this size (an IPv4 advert with up to 14 addresses, IPv6 with 3) are held
/// without a heap allocation.
const INLINE_PAYLOAD: usize = 64;

/// The bytes of one VRRP message: the IP payload, checksum included.
///
/// Dereferences to `[u8]`. Small adverts (the common case) are stored inline.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Payload(SmallVec<[u8; INLINE_PAYLOAD]>);

impl Payload {
    /// The bytes as a slice.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl Deref for Payload {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Payload {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<&[u8]> for Payload {
    fn from(bytes: &[u8]) -> Self {
        Payload(SmallVec::from_slice(bytes))
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Payload(")?;
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// A router's virtual addresses, shared: cloning is a reference-count increment, so every
/// [`Output`] that names the addresses points at the one list the router built when it
/// started.
///
/// Dereferences to `[VirtualAddress]`.
///
/// ```
/// use vrrp_core::router::VipList;
/// use vrrp_core::VirtualAddress;
/// use core::net::{IpAddr, Ipv4Addr};
///
/// let vip = IpAddr::V4(Ipv4Addr::new(192, 168, 100, 12));
/// let list = VipList::from(vec![VirtualAddress::with_prefix(vip, 24)]);
/// let copy = list.clone();
/// assert!(VipList::ptr_eq(&list, &copy));
/// assert_eq!(list.addrs().collect::<Vec<_>>(), vec![vip]);
/// assert_eq!(list[0].prefix_len, 24);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VipList(Arc<[VirtualAddress]>);

impl VipList {
    /// The addresses with their prefix and label.
    #[inline]
    pub fn iter(&self) -> core::slice::Iter<'_, VirtualAddress> {
        self.0.iter()
    }

    /// The bare addresses, as adverts carry them.
    #[inline]
    pub fn addrs(&self) -> impl ExactSizeIterator<Item = IpAddr> + '_ {
        self.0.iter().map(|v| v.addr)
    }

    /// The list as a slice.
    #[inline]
    pub fn as_slice(&self) -> &[VirtualAddress] {
        &self.0
    }

    /// Whether two lists are the same shared allocation (not merely equal).
    #[inline]
    pub fn ptr_eq(a: &VipList, b: &VipList) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }
}

impl Deref for VipList {
    type Target = [VirtualAddress];

    #[inline]
    fn deref(&self) -> &[VirtualAddress] {
        &self.0
    }
}

impl AsRef<[VirtualAddress]> for VipList {
    #[inline]
    fn as_ref(&self) -> &[VirtualAddress] {
        &self.0
    }
}

impl<'a> IntoIterator for &'a VipList {
    type Item = &'a VirtualAddress;
    type IntoIter = core::slice::Iter<'a, VirtualAddress>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl From<Vec<VirtualAddress>> for VipList {
    fn from(list: Vec<VirtualAddress>) -> Self {
        VipList(list.into())
    }
}

impl From<&[VirtualAddress]> for VipList {
    fn from(list: &[VirtualAddress]) -> Self {
        VipList(list.into())
    }
}

impl FromIterator<VirtualAddress> for VipList {
    fn from_iter<I: IntoIterator<Item = VirtualAddress>>(iter: I) -> Self {
        VipList(iter.into_iter().collect())
    }
}

impl fmt::Debug for VipList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

/// An advert ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Source address to send from (our primary address).
    pub src: IpAddr,
    /// Destination: the VRRP multicast group or a unicast peer.
    pub dst: IpAddr,
    /// The VRRP message (IP payload), checksum included. Send with TTL / hop limit 255.
    pub payload: Payload,
}

/// Announce the virtual addresses on the link: gratuitous ARP for IPv4, unsolicited
/// neighbour advertisements for IPv6.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announce {
    /// Addresses to announce.
    pub addresses: VipList,
    /// How many announcements to send per address, back to back.
    pub count: u8,
}

/// What the caller must do, polled with [`crate::router::VirtualRouter::poll_output`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send this advert.
    Transmit(Transmit),
    /// Add these virtual addresses to the interface (becoming master).
    AddVips(VipList),
    /// Remove these virtual addresses (leaving master).
    RemoveVips(VipList),
    /// Announce the addresses (after adding them).
    Announce(Announce),
    /// Something happened.
    Event(Event),
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv4Addr;

    fn assert_owned<T: Send + Sync + 'static>() {}

    #[test]
    fn outputs_are_owned_and_cross_threads() {
        assert_owned::<Output>();
        assert_owned::<Payload>();
        assert_owned::<VipList>();
    }

    #[test]
    fn payload_debug_prints_hex() {
        let p = Payload::from(&[0x31u8, 0x0a][..]);
        assert_eq!(std::format!("{p:?}"), "Payload(31 0a)");
        assert_eq!(&*p, &[0x31, 0x0a]);
    }

    #[test]
    fn vip_lists_compare_by_content() {
        let v = VirtualAddress::from(Ipv4Addr::new(10, 0, 0, 1));
        let a = VipList::from(alloc::vec![v]);
        let b: VipList = [v].into_iter().collect();
        assert_eq!(a, b);
        assert!(!VipList::ptr_eq(&a, &b));
        assert_eq!(std::format!("{a:?}"), std::format!("[{v:?}]"));
    }
}
