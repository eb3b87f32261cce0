//! Virtual MAC interfaces (keepalived's `use_vmac`): macvlan links over rtnetlink and the
//! sysctls they need.
//!
//! With `use_vmac` a virtual router does not answer for its VIPs with the host's MAC but
//! with the virtual router MAC of RFC 9568 section 7.3 (00:00:5e:00:01:VRID for IPv4,
//! 00:00:5e:00:02:VRID for IPv6): a macvlan interface with that MAC is created on the
//! configured (parent) interface, the VIPs go on it, and adverts, gratuitous ARP and
//! unsolicited NAs leave from it. After a failover the peers' ARP / neighbour entries stay
//! right, because the MAC moved with the VIPs.
//!
//! The pieces, in the order a daemon uses them:
//!
//! 1. [`virtual_mac`] and [`default_names`]: what to create.
//! 2. [`Netlink::ensure_vmac`]: creates the macvlan (or takes over the one a crashed run
//!    left behind) and brings it up; refuses any other interface of that name.
//! 3. [`VmacSysctls::add`] (or [`apply_vmac_sysctls`] for a single macvlan): the sysctls
//!    on the macvlan and its parent, so that only the macvlan answers ARP for the VIPs.
//! 4. IPv6 only, unless adverts go out on the parent (`vmac_xmit_base`):
//!    [`Netlink::add_vmac_link_local`], the source address of the adverts.
//! 5. On stop: [`Netlink::remove_vmac`], then [`VmacSysctls::remove`] to put the parent's
//!    values back.
//!
//! ## Why private mode
//! The macvlan is created in *private* mode, as keepalived does, not in bridge mode. The
//! master's adverts carry the virtual MAC as their source, the same MAC as the backup's own
//! macvlan; the kernel takes a broadcast or multicast frame from outside whose source is a
//! local bridge-mode macvlan for that macvlan's own echo, and does not deliver it to it. A
//! backup on a bridge-mode macvlan would never hear the master and would become master too.
//! In private mode such a frame is delivered to the macvlan that owns the source MAC.
//!
//! ## Namespaces
//! Netlink requests act in the namespace of the [`Netlink`] handle; the sysctls are written
//! through `/proc/sys`, which shows the network namespace of the *calling thread*. Saved
//! values remember their namespace and are only written back from a thread inside it.
//!
//! ```no_run
//! use vrrp_io::vmac::{default_name, virtual_mac, VmacSysctls};
//! use vrrp_io::vrrp_core::{Family, Vrid};
//! use vrrp_io::Netlink;
//! # fn main() -> Result<(), vrrp_io::Error> {
//! let vrid = Vrid::new(51).expect("1..=255");
//! let (name, mac) = (default_name(vrid), virtual_mac(Family::Ipv4, vrid));
//! let mut nl = Netlink::open()?;
//! let mut sysctls = VmacSysctls::new();
//! let ifindex = nl.ensure_vmac("eth0", &name, mac)?;
//! sysctls.add("eth0", &name, Family::Ipv4)?;
//! // ... run the router on `name` (index `ifindex`) ...
//! nl.remove_vmac(&name, "eth0", mac)?;
//! sysctls.remove(&name)?;
//! # let _ = ifindex; Ok(()) }
//! ```
//!
//! [`Netlink`]: crate::netlink::Netlink
//! [`Netlink::ensure_vmac`]: crate::netlink::Netlink::ensure_vmac
//! [`Netlink::add_vmac_link_local`]: crate::netlink::Netlink::add_vmac_link_local
//! [`Netlink::remove_vmac`]: crate::netlink::Netlink::remove_vmac

// One job per module: what to create (`names`), whether a link is our macvlan and the
// `Netlink` methods that create and remove it (`link`), and the sysctls (`sysctl`).

mod link;
mod names;
mod sysctl;
#[cfg(test)]
mod tests;

pub use link::{RemoveOutcome, VmacMismatch};
pub use names::{default_name, default_names, validate_vmac_name, virtual_mac};
pub use sysctl::{apply_vmac_sysctls, SysctlRestore, VmacSysctls};
