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

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io;
use std::net::{IpAddr, Ipv6Addr};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::link::{
    AfSpecInet6, AfSpecUnspec, In6AddrGenMode, InfoData, InfoKind, InfoMacVlan, LinkAttribute,
    LinkFlags, LinkInfo, LinkMessage, MacVlanMode,
};
use netlink_packet_route::RouteNetlinkMessage;
use vrrp_core::{Family, Vrid};

use crate::error::{Error, Result};
use crate::mac::MacAddr;
use crate::netlink::{validate_ifname, Netlink};

/// IFLA_MACVLAN_MODE of a private macvlan (MACVLAN_MODE_PRIVATE in `linux/if_link.h`).
const MACVLAN_MODE_PRIVATE: u32 = 1;

/// Prefix of keepalived's default vmac names (its `vmac_prefix` default).
const DEFAULT_PREFIX: &str = "vrrp";

// ---------------------------------------------------------------------------------------
// What to create
// ---------------------------------------------------------------------------------------

/// The virtual router MAC of `vrid`: 00:00:5e:00:01:VRID for IPv4, 00:00:5e:00:02:VRID for
/// IPv6 (RFC 9568 section 7.3; RFC 3768 section 7.3 for VRRPv2).
///
/// ```
/// use vrrp_io::vmac::virtual_mac;
/// use vrrp_io::vrrp_core::{Family, Vrid};
/// let vrid = Vrid::new(51).expect("1..=255");
/// assert_eq!(virtual_mac(Family::Ipv4, vrid).to_string(), "00:00:5e:00:01:33");
/// assert_eq!(virtual_mac(Family::Ipv6, vrid).to_string(), "00:00:5e:00:02:33");
/// ```
pub fn virtual_mac(family: Family, vrid: Vrid) -> MacAddr {
    match family {
        Family::Ipv4 => MacAddr::vrrp_v4(vrid.get()),
        Family::Ipv6 => MacAddr::vrrp_v6(vrid.get()),
    }
}

/// keepalived's name for the macvlan of a `use_vmac` without a name: `vrrp.VRID`, for
/// both families. See [`default_names`] for the names it falls back to when that one is
/// taken.
pub fn default_name(vrid: Vrid) -> String {
    format!("{DEFAULT_PREFIX}.{vrid}")
}

/// keepalived's default names in the order it tries them, the first not used by another
/// instance winning: `vrrp.VRID`, then `vrrp1.VRID`, `vrrp2.VRID` ... for IPv4, and
/// `vrrp.VRID`, `vrrp6.VRID`, `vrrp1.VRID` ... (skipping `vrrp6` the second time) for
/// IPv6, so that the IPv6 instance of a dual-stack pair with one VRID gets `vrrp6.VRID`.
/// Finite (65,536 names), each at most 15 bytes.
///
/// ```
/// use vrrp_io::vmac::default_names;
/// use vrrp_io::vrrp_core::{Family, Vrid};
/// let vrid = Vrid::new(51).expect("1..=255");
/// let v6: Vec<String> = default_names(Family::Ipv6, vrid).take(3).collect();
/// assert_eq!(v6, ["vrrp.51", "vrrp6.51", "vrrp1.51"]);
/// ```
pub fn default_names(family: Family, vrid: Vrid) -> impl Iterator<Item = String> {
    // keepalived (create_vmac_name): IPv6 tries number 6 right after the plain name, then
    // counts up from 1 and skips 6; IPv4 simply counts up from 1.
    let numbers: Box<dyn Iterator<Item = u16>> = match family {
        Family::Ipv4 => Box::new(1..=u16::MAX),
        Family::Ipv6 => Box::new(std::iter::once(6).chain((1..=u16::MAX).filter(|&n| n != 6))),
    };
    std::iter::once(default_name(vrid))
        .chain(numbers.map(move |n| format!("{DEFAULT_PREFIX}{n}.{vrid}")))
}

/// Checks that `name` can be the macvlan of `parent`: a valid interface name
/// ([`validate_ifname`]) other than the parent's own.
pub fn validate_vmac_name(name: &str, parent: &str) -> Result<()> {
    validate_ifname(name)?;
    validate_ifname(parent)?;
    if name == parent {
        return Err(Error::InvalidInterfaceName {
            name: name.to_owned(),
            reason: "it is the name of the parent interface; the macvlan needs its own",
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Is this link our macvlan?
// ---------------------------------------------------------------------------------------

/// Why an existing interface is not the macvlan [`Netlink::ensure_vmac`] would create
/// (see [`Error::VmacConflict`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VmacMismatch {
    /// Not a macvlan.
    NotMacvlan {
        /// Its kind (`veth`, `bridge`, ...); `None` for an interface without one, such
        /// as a physical NIC.
        kind: Option<String>,
    },
    /// A macvlan on another interface.
    OtherParent {
        /// The index of the interface it sits on; `None` when that one is in another
        /// network namespace.
        lower_ifindex: Option<u32>,
    },
    /// A macvlan on the parent, with another MAC address.
    OtherMac {
        /// Its MAC, if it has a 6-byte one.
        mac: Option<MacAddr>,
    },
    /// A macvlan on the parent with the MAC, but not in private mode.
    OtherMode {
        /// Its IFLA_MACVLAN_MODE (2 vepa, 4 bridge, 8 passthru, 16 source).
        mode: u32,
    },
}

impl fmt::Display for VmacMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VmacMismatch::NotMacvlan { kind: Some(kind) } => {
                write!(f, "it is a {kind} interface, not a macvlan")
            }
            VmacMismatch::NotMacvlan { kind: None } => {
                write!(
                    f,
                    "it is not a macvlan (it has no link kind: a physical interface?)"
                )
            }
            VmacMismatch::OtherParent {
                lower_ifindex: Some(ifindex),
            } => write!(f, "it is a macvlan on the interface with index {ifindex}"),
            VmacMismatch::OtherParent {
                lower_ifindex: None,
            } => write!(
                f,
                "it is a macvlan on an interface of another network namespace"
            ),
            VmacMismatch::OtherMac { mac: Some(mac) } => write!(f, "its MAC is {mac}"),
            VmacMismatch::OtherMac { mac: None } => write!(f, "it has no Ethernet MAC"),
            VmacMismatch::OtherMode { mode } => {
                write!(f, "it is in macvlan mode {}, not private", mode_name(*mode))
            }
        }
    }
}

fn mode_name(mode: u32) -> String {
    match mode {
        1 => "private".to_owned(),
        2 => "vepa".to_owned(),
        4 => "bridge".to_owned(),
        8 => "passthru".to_owned(),
        16 => "source".to_owned(),
        other => other.to_string(),
    }
}

/// The facts of a link that tell our macvlan from anything else.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LinkDetails {
    index: u32,
    kind: Option<InfoKind>,
    macvlan_mode: Option<u32>,
    /// IFLA_LINK: for a macvlan, the interface it sits on.
    lower: Option<u32>,
    /// IFLA_LINK_NETNSID was present: `lower` indexes another network namespace.
    lower_elsewhere: bool,
    mac: Option<MacAddr>,
    /// IFLA_GROUP, copied from the parent to the macvlan.
    group: Option<u32>,
}

impl LinkDetails {
    fn parse(msg: &LinkMessage) -> LinkDetails {
        let mut details = LinkDetails {
            index: msg.header.index,
            kind: None,
            macvlan_mode: None,
            lower: None,
            lower_elsewhere: false,
            mac: None,
            group: None,
        };
        for attr in &msg.attributes {
            match attr {
                LinkAttribute::LinkInfo(infos) => {
                    for info in infos {
                        match info {
                            LinkInfo::Kind(kind) => details.kind = Some(kind.clone()),
                            LinkInfo::Data(InfoData::MacVlan(data)) => {
                                details.macvlan_mode = data.iter().find_map(|d| match d {
                                    InfoMacVlan::Mode(mode) => Some(u32::from(*mode)),
                                    _ => None,
                                });
                            }
                            _ => {}
                        }
                    }
                }
                LinkAttribute::Link(lower) => details.lower = Some(*lower),
                LinkAttribute::LinkNetNsId(_) => details.lower_elsewhere = true,
                LinkAttribute::Address(bytes) => details.mac = MacAddr::from_slice(bytes),
                LinkAttribute::Group(group) => details.group = Some(*group),
                _ => {}
            }
        }
        details
    }

    /// The interface a macvlan created with this link as parent ends up on: a macvlan's
    /// own lower device (the kernel never stacks macvlans), else the link itself.
    fn macvlan_lower(&self) -> u32 {
        match (&self.kind, self.lower) {
            (Some(InfoKind::MacVlan), Some(lower)) if !self.lower_elsewhere => lower,
            _ => self.index,
        }
    }

    /// `None` if this is a private macvlan on `lower` with `mac`, else what it is instead.
    fn mismatch(&self, lower: u32, mac: MacAddr) -> Option<VmacMismatch> {
        if self.kind != Some(InfoKind::MacVlan) {
            return Some(VmacMismatch::NotMacvlan {
                kind: self.kind.as_ref().map(ToString::to_string),
            });
        }
        if self.lower_elsewhere || self.lower != Some(lower) {
            return Some(VmacMismatch::OtherParent {
                lower_ifindex: self.lower.filter(|_| !self.lower_elsewhere),
            });
        }
        if self.mac != Some(mac) {
            return Some(VmacMismatch::OtherMac { mac: self.mac });
        }
        match self.macvlan_mode {
            Some(MACVLAN_MODE_PRIVATE) => None,
            // A macvlan always reports its mode; none at all is as foreign as a wrong one.
            other => Some(VmacMismatch::OtherMode {
                mode: other.unwrap_or(0),
            }),
        }
    }
}

/// What [`Netlink::remove_vmac`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RemoveOutcome {
    /// The macvlan was deleted.
    Removed,
    /// No interface had the name (already removed, or gone with its parent).
    AlreadyGone,
}

/// The RTM_NEWLINK request that creates a private macvlan `name` on `parent` with `mac`.
fn create_message(parent: u32, name: &str, mac: MacAddr, group: Option<u32>) -> LinkMessage {
    let mut msg = LinkMessage::default();
    msg.attributes.push(LinkAttribute::IfName(name.to_owned()));
    msg.attributes.push(LinkAttribute::Link(parent));
    msg.attributes
        .push(LinkAttribute::Address(mac.octets().to_vec()));
    // keepalived copies the parent's group so that firewall rules matching on it
    // (iptables devgroup, nftables iifgroup / oifgroup) keep working with use_vmac.
    if let Some(group) = group {
        msg.attributes.push(LinkAttribute::Group(group));
    }
    msg.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::MacVlan),
        LinkInfo::Data(InfoData::MacVlan(vec![InfoMacVlan::Mode(
            MacVlanMode::Private,
        )])),
    ]));
    msg
}

/// The EUI-64 link-local address of a MAC (RFC 4291 appendix A): what keepalived gives a
/// vmac whose parent has no link-local address of its own.
fn eui64_link_local(mac: MacAddr) -> Ipv6Addr {
    let [a, b, c, d, e, f] = mac.octets();
    Ipv6Addr::new(
        0xfe80,
        0,
        0,
        0,
        u16::from_be_bytes([a ^ 0x02, b]),
        u16::from_be_bytes([c, 0xff]),
        u16::from_be_bytes([0xfe, d]),
        u16::from_be_bytes([e, f]),
    )
}

impl Netlink {
    /// Creates the macvlan `name` on `parent` with `mac` in private mode (see the
    /// [module documentation](self) for why not bridge mode), keeps the kernel from giving
    /// it an IPv6 link-local address of its own, brings it up, and returns its index.
    ///
    /// - `name` exists and is a private macvlan on `parent` with `mac` (left behind by a
    ///   run that crashed): it is reused and brought up.
    /// - `name` exists and is anything else: [`Error::VmacConflict`], naming what it is;
    ///   the interface is not touched.
    /// - `parent` does not exist: [`Error::InterfaceNotFound`].
    ///
    /// No automatic link-local address (IFLA_INET6_ADDR_GEN_MODE none, as keepalived
    /// sets): RFC 9568 section 7.4 forbids interface identifiers made from the virtual
    /// router MAC, which every router's macvlan shares, so all would get the same address
    /// and the adverts' sources could not tell the routers apart. IPv6 routers get theirs
    /// from [`Netlink::add_vmac_link_local`].
    pub fn ensure_vmac(&mut self, parent: &str, name: &str, mac: MacAddr) -> Result<u32> {
        validate_vmac_name(name, parent)?;
        let parent_link = self
            .link_details(parent)?
            .ok_or_else(|| Error::InterfaceNotFound {
                name: parent.to_owned(),
            })?;
        let lower = parent_link.macvlan_lower();
        if let Some(existing) = self.link_details(name)? {
            return self.reuse_vmac(&existing, parent, name, mac, lower);
        }
        let create = create_message(parent_link.index, name, mac, parent_link.group);
        match self.request(
            RouteNetlinkMessage::NewLink(create),
            NLM_F_CREATE | NLM_F_EXCL,
            "create macvlan",
        ) {
            Ok(_) => {}
            // Created by someone else between our look and our request: judge that one.
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {
                let existing =
                    self.link_details(name)?
                        .ok_or_else(|| Error::InterfaceNotFound {
                            name: name.to_owned(),
                        })?;
                return self.reuse_vmac(&existing, parent, name, mac, lower);
            }
            Err(e) => return Err(e),
        }
        let created = self
            .link_details(name)?
            .ok_or_else(|| Error::InterfaceNotFound {
                name: name.to_owned(),
            })?;
        if let Err(e) = self.prepare_and_bring_up(created.index) {
            // Ours and half set up: do not leave it behind.
            let _ = self.delete_link(created.index);
            return Err(e);
        }
        Ok(created.index)
    }

    /// Deletes the macvlan `name` if it is the one [`Netlink::ensure_vmac`] would have
    /// created on `parent` with `mac`; [`RemoveOutcome::AlreadyGone`] if there is no
    /// interface of that name. Anything else of that name is left alone:
    /// [`Error::VmacConflict`].
    pub fn remove_vmac(&mut self, name: &str, parent: &str, mac: MacAddr) -> Result<RemoveOutcome> {
        validate_vmac_name(name, parent)?;
        let Some(existing) = self.link_details(name)? else {
            return Ok(RemoveOutcome::AlreadyGone);
        };
        // Without the parent, compare with index 0, which is no interface's: the kernel
        // deletes a macvlan with its parent, so whatever carries the name now is not ours.
        let lower = self
            .link_details(parent)?
            .map_or(0, |parent_link| parent_link.macvlan_lower());
        if let Some(found) = existing.mismatch(lower, mac) {
            return Err(conflict(name, parent, mac, found));
        }
        match self.delete_link(existing.index) {
            Ok(()) => Ok(RemoveOutcome::Removed),
            Err(e) if e.raw_os_error() == Some(libc::ENODEV) => Ok(RemoveOutcome::AlreadyGone),
            Err(e) => Err(e),
        }
    }

    /// Gives the macvlan `vmac_ifindex` the IPv6 link-local address its adverts are sent
    /// from, and returns it: the parent's own usable link-local address, or the EUI-64
    /// address of the parent's MAC if it has none (keepalived's choice, so that adverts
    /// leave with the virtual MAC but from an address that is this router's alone).
    /// Added without DAD, like a VIP; already there is fine.
    ///
    /// Not needed when adverts go out on the parent (`vmac_xmit_base`). A router with an
    /// explicit source address (`unicast_src_ip`) adds that one instead with
    /// [`Netlink::add_address`].
    pub fn add_vmac_link_local(&mut self, vmac_ifindex: u32, parent: &str) -> Result<Ipv6Addr> {
        let parent_link = self.link_by_name(parent)?;
        let own = self
            .interface_addresses(parent_link.index)?
            .into_iter()
            .find_map(|a| match a.addr {
                IpAddr::V6(v6) if a.is_usable() && (v6.segments()[0] & 0xffc0) == 0xfe80 => {
                    Some(v6)
                }
                _ => None,
            });
        let link_local = match own {
            Some(v6) => v6,
            None => eui64_link_local(parent_link.mac.ok_or(Error::NoHardwareAddress {
                ifindex: parent_link.index,
            })?),
        };
        self.add_address_unchecked(vmac_ifindex, IpAddr::V6(link_local), 64, None)?;
        Ok(link_local)
    }

    /// The details of the link called `name`; `None` if there is none.
    fn link_details(&mut self, name: &str) -> Result<Option<LinkDetails>> {
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_owned()));
        let replies = match self.request(RouteNetlinkMessage::GetLink(msg), 0, "get link") {
            Ok(replies) => replies,
            Err(e) if e.raw_os_error() == Some(libc::ENODEV) => return Ok(None),
            Err(e) => return Err(e),
        };
        replies
            .iter()
            .find_map(|m| match m {
                RouteNetlinkMessage::NewLink(link) => Some(Some(LinkDetails::parse(link))),
                _ => None,
            })
            .ok_or(Error::NetlinkProtocol {
                what: "get link",
                detail: "no link in the answer".to_owned(),
            })
    }

    /// Takes over `existing` if it is our macvlan, else refuses.
    fn reuse_vmac(
        &mut self,
        existing: &LinkDetails,
        parent: &str,
        name: &str,
        mac: MacAddr,
        lower: u32,
    ) -> Result<u32> {
        if let Some(found) = existing.mismatch(lower, mac) {
            return Err(conflict(name, parent, mac, found));
        }
        self.prepare_and_bring_up(existing.index)?;
        Ok(existing.index)
    }

    /// Turns off automatic IPv6 link-local addresses, then brings the link up. Two
    /// requests after the creation, in this order: the kernel refuses IPv6 settings in a
    /// creation request (EAFNOSUPPORT: the link has no IPv6 state yet), and a link
    /// brought up first would get its EUI-64 address at once.
    fn prepare_and_bring_up(&mut self, ifindex: u32) -> Result<()> {
        let mut msg = LinkMessage::default();
        msg.header.index = ifindex;
        msg.attributes
            .push(LinkAttribute::AfSpecUnspec(vec![AfSpecUnspec::Inet6(
                vec![AfSpecInet6::AddrGenMode(In6AddrGenMode::None)],
            )]));
        match self.request(
            RouteNetlinkMessage::SetLink(msg),
            0,
            "set IPv6 address generation mode of macvlan",
        ) {
            // A kernel without IPv6 (ipv6.disable=1) has no link-local addresses to avoid.
            Err(e) if e.raw_os_error() != Some(libc::EAFNOSUPPORT) => return Err(e),
            _ => {}
        }
        let mut msg = LinkMessage::default();
        msg.header.index = ifindex;
        msg.header.flags = LinkFlags::Up;
        msg.header.change_mask = LinkFlags::Up;
        self.request(RouteNetlinkMessage::SetLink(msg), 0, "bring macvlan up")?;
        Ok(())
    }

    fn delete_link(&mut self, ifindex: u32) -> Result<()> {
        let mut msg = LinkMessage::default();
        msg.header.index = ifindex;
        self.request(RouteNetlinkMessage::DelLink(msg), 0, "delete macvlan")?;
        Ok(())
    }
}

fn conflict(name: &str, parent: &str, mac: MacAddr, found: VmacMismatch) -> Error {
    Error::VmacConflict {
        name: name.to_owned(),
        parent: parent.to_owned(),
        mac,
        found,
    }
}

// ---------------------------------------------------------------------------------------
// Sysctls
// ---------------------------------------------------------------------------------------

/// Where the per-interface IPv4 settings live; `all` and `default` sit beside the
/// interfaces.
const IPV4_CONF: &str = "/proc/sys/net/ipv4/conf";

/// What the macvlan of an IPv4 router needs (keepalived's vmac_sysctl). Set on an
/// interface we created, so never restored: they go with it.
const VMAC_IPV4: [(&str, u32); 4] = [
    // Answer ARP only for addresses on the macvlan itself (the VIPs), never for the
    // parent's addresses: a peer that learnt the virtual MAC for the host's own address
    // would lose it at the next failover.
    ("arp_ignore", 1),
    // Hear VRRP routers on this host itself (another router of the same virtual router
    // on another interface, as in test set-ups): their adverts come from a local
    // address, which the kernel otherwise drops as a martian source.
    ("accept_local", 1),
    // A backup's macvlan has no address and the peers' adverts come from addresses routed
    // through the parent: strict reverse-path filtering would drop every one of them.
    ("rp_filter", 0),
    // Removing the VIP that is the primary address of its subnet must not take the other
    // VIPs of that subnet (its secondaries) with it.
    ("promote_secondaries", 1),
];

/// What the macvlan of an IPv6 router needs (keepalived's vmac_sysctl_6): the same ARP
/// rule, for IPv4 addresses put on it as excluded VIPs.
const VMAC_IPV6: [(&str, u32); 1] = [("arp_ignore", 1)];

/// The network namespace of the calling thread, as the device and inode of its
/// `/proc/thread-self/ns/net`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NetnsId {
    dev: u64,
    ino: u64,
}

fn current_netns() -> Result<NetnsId> {
    let meta = fs::metadata("/proc/thread-self/ns/net").map_err(|source| Error::Io {
        what: "identify the calling thread's network namespace (/proc/thread-self/ns/net)",
        source,
    })?;
    Ok(NetnsId {
        dev: meta.dev(),
        ino: meta.ino(),
    })
}

fn conf_path(ifname: &str, key: &str) -> PathBuf {
    Path::new(IPV4_CONF).join(ifname).join(key)
}

fn read_value(path: &Path) -> Result<u32> {
    let text = fs::read_to_string(path).map_err(|source| sysctl_error("read", path, source))?;
    text.trim().parse().map_err(|_| {
        sysctl_error(
            "read",
            path,
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not a number: {:?}", text.trim()),
            ),
        )
    })
}

fn write_value(path: &Path, value: u32) -> Result<()> {
    fs::write(path, value.to_string()).map_err(|source| sysctl_error("write", path, source))
}

fn sysctl_error(action: &'static str, path: &Path, source: io::Error) -> Error {
    Error::Sysctl {
        action,
        path: path.display().to_string(),
        source,
    }
}

fn is_not_found(e: &Error) -> bool {
    matches!(e, Error::Sysctl { source, .. } if source.kind() == io::ErrorKind::NotFound)
}

/// Reads `key` of interface `ifname`; a missing interface directory becomes
/// [`Error::InterfaceNotFound`].
fn read_conf(ifname: &str, key: &str) -> Result<u32> {
    read_value(&conf_path(ifname, key)).map_err(|e| {
        if is_not_found(&e) {
            Error::InterfaceNotFound {
                name: ifname.to_owned(),
            }
        } else {
            e
        }
    })
}

/// One value we changed: written back at restore if nobody changed it since.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Saved {
    path: PathBuf,
    previous: u32,
    written: u32,
}

/// Sysctl values changed for macvlans, to be put back: the parent's ARP settings and the
/// namespace-wide `rp_filter` (the macvlan's own settings go with the macvlan).
///
/// [`SysctlRestore::restore`] writes a value back only where it is still what we wrote,
/// so a change made by someone else meanwhile stays. Dropping it without restoring
/// leaves the values as they are (as a crash would).
#[derive(Debug, Default)]
#[must_use = "the parent's sysctls stay changed unless this is restored"]
pub struct SysctlRestore {
    netns: Option<NetnsId>,
    saved: Vec<Saved>,
}

impl SysctlRestore {
    fn new(netns: NetnsId) -> Self {
        SysctlRestore {
            netns: Some(netns),
            saved: Vec::new(),
        }
    }

    /// True if nothing was changed, so there is nothing to put back.
    pub fn is_empty(&self) -> bool {
        self.saved.is_empty()
    }

    /// Puts the saved values back, newest first, and forgets them. A value someone changed
    /// since is left as it is; an interface that is gone is skipped. The first failure is
    /// returned after trying all.
    ///
    /// Must run on a thread in the network namespace the values were saved in, where
    /// the same names mean the same interfaces; anywhere else it writes nothing and
    /// returns [`Error::WrongNetworkNamespace`] (the values stay saved for a retry).
    pub fn restore(&mut self) -> Result<()> {
        if self.saved.is_empty() {
            return Ok(());
        }
        if self.netns != Some(current_netns()?) {
            return Err(Error::WrongNetworkNamespace {
                what: "restore sysctls changed for a virtual MAC",
            });
        }
        let mut first_error = None;
        while let Some(saved) = self.saved.pop() {
            let outcome = match read_value(&saved.path) {
                Ok(now) if now == saved.written => write_value(&saved.path, saved.previous),
                Ok(_) => Ok(()),
                Err(e) if is_not_found(&e) => Ok(()),
                Err(e) => Err(e),
            };
            if let Err(e) = outcome {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Sets `path` to `value` unless it is already; remembers the old value if it
    /// changed.
    fn set(&mut self, path: PathBuf, value: u32) -> Result<()> {
        let previous = read_value(&path)?;
        if previous != value {
            write_value(&path, value)?;
            self.saved.push(Saved {
                path,
                previous,
                written: value,
            });
        }
        Ok(())
    }

    /// Moves the values of `later` (saved in the same namespace) behind ours.
    fn absorb(&mut self, mut later: SysctlRestore) {
        self.netns = self.netns.or(later.netns);
        self.saved.append(&mut later.saved);
    }

    /// Runs `steps`, which save into `self`; if they fail, puts back what they changed
    /// before returning the error, so a failed apply leaves nothing half done.
    fn all_or_nothing(&mut self, steps: impl FnOnce(&mut Self) -> Result<()>) -> Result<()> {
        let before = self.saved.len();
        steps(self).inspect_err(|_| {
            let mut partial = SysctlRestore {
                netns: self.netns,
                saved: self.saved.split_off(before),
            };
            let _ = partial.restore();
        })
    }
}

/// Sets the sysctls one macvlan needs, as keepalived does, and returns what it changed
/// outside the macvlan. IPv4 (`family` is the router's):
///
/// - the macvlan `name`: `arp_ignore=1`, `accept_local=1`, `rp_filter=0`,
///   `promote_secondaries=1` (the reasons are in the source);
/// - the parent: `arp_ignore=1` (unless already 1, 2 or 8, which are as strict) and
///   `arp_filter=1`, so that it does not answer ARP for the VIPs on the macvlan with its
///   own MAC; and `arp_announce=2` (beyond keepalived), so that it does not ask with a
///   VIP as the sender either, which would teach clients its own MAC for the VIP;
/// - if `net.ipv4.conf.all.rp_filter` is on, which would override the macvlan's 0:
///   `default` and every interface are raised to its value, then `all` set to 0
///   (keepalived's way; no interface filters less than before).
///
/// IPv6: only `arp_ignore=1` on the macvlan; the parent needs nothing, since Linux
/// answers neighbour solicitations only for addresses of the receiving interface.
///
/// Call it once the macvlan exists ([`Netlink::ensure_vmac`]). For several macvlans use
/// [`VmacSysctls`], which restores a parent's values only when its last macvlan goes.
/// Writes through `/proc/sys` of the calling thread's network namespace. On failure,
/// what was changed is put back.
pub fn apply_vmac_sysctls(parent: &str, name: &str, family: Family) -> Result<SysctlRestore> {
    validate_vmac_name(name, parent)?;
    let mut restore = SysctlRestore::new(current_netns()?);
    restore.all_or_nothing(|restore| {
        if family == Family::Ipv4 {
            relax_all_rp_filter(restore, name)?;
        }
        set_vmac_own(name, family)?;
        if family == Family::Ipv4 {
            set_parent(restore, parent)?;
        }
        Ok(())
    })?;
    Ok(restore)
}

/// The macvlan's own values ([`VMAC_IPV4`] / [`VMAC_IPV6`]), not saved.
fn set_vmac_own(name: &str, family: Family) -> Result<()> {
    let wanted: &[(&str, u32)] = match family {
        Family::Ipv4 => &VMAC_IPV4,
        Family::Ipv6 => &VMAC_IPV6,
    };
    for &(key, value) in wanted {
        if read_conf(name, key)? != value {
            write_value(&conf_path(name, key), value)?;
        }
    }
    Ok(())
}

/// The parent's values (keepalived's parent_sysctl), saved.
fn set_parent(restore: &mut SysctlRestore, parent: &str) -> Result<()> {
    // Answer ARP only for addresses of the interface the request came in on: without it
    // the parent answers for the VIPs on the macvlan too, with its own MAC, and peers
    // keep sending to this host after a failover. 2 (same subnet too) and 8 (never) are
    // at least as strict and stay.
    let arp_ignore = read_conf(parent, "arp_ignore")?;
    if !matches!(arp_ignore, 1 | 2 | 8) {
        restore.set(conf_path(parent, "arp_ignore"), 1)?;
    }
    // Answer only when the reply would be routed out of the parent itself: a second
    // guard for VIPs whose prefix routes their subnet through the macvlan.
    read_conf(parent, "arp_filter")?;
    restore.set(conf_path(parent, "arp_filter"), 1)?;
    // Ask (ARP requests) from the parent's own address, never from a VIP: a master
    // answering a client from its VIP resolves the client out of the parent, and a
    // request with the VIP as sender would teach the client the parent's MAC for the VIP
    // (RFC 5227 section 2.6: hosts update their cache from requests they receive).
    // keepalived leaves this alone, and its clients end up with the parent's MAC after a
    // failover. 2 is the strictest value.
    read_conf(parent, "arp_announce")?;
    restore.set(conf_path(parent, "arp_announce"), 2)
}

/// keepalived's clear_rp_filter: the effective rp_filter of an interface is the larger of
/// its own and `all`'s, so the macvlan's 0 only counts with `all` at 0. To get there
/// without any interface filtering less than before, `default` (for interfaces created
/// later) and every interface except `skip` (the macvlan) are first raised to `all`'s
/// value. Everything is saved.
fn relax_all_rp_filter(restore: &mut SysctlRestore, skip: &str) -> Result<()> {
    let all_path = conf_path("all", "rp_filter");
    let all = read_value(&all_path)?;
    if all == 0 {
        return Ok(());
    }
    let default_path = conf_path("default", "rp_filter");
    if read_value(&default_path)? < all {
        restore.set(default_path, all)?;
    }
    let entries = fs::read_dir(IPV4_CONF)
        .map_err(|source| sysctl_error("read", Path::new(IPV4_CONF), source))?;
    for entry in entries {
        let entry = entry.map_err(|source| sysctl_error("read", Path::new(IPV4_CONF), source))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if matches!(name, "all" | "default") || name == skip {
            continue;
        }
        let path = conf_path(name, "rp_filter");
        match read_value(&path) {
            Ok(value) if value < all => restore.set(path, all)?,
            Ok(_) => {}
            // Deleted while we looked.
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(e),
        }
    }
    restore.set(all_path, 0)
}

/// The sysctls of every macvlan of one network namespace: set when a macvlan is added,
/// and put back when the last macvlan that needed them is removed (a parent's values
/// with the last IPv4 macvlan on it, the namespace-wide `rp_filter` with the last IPv4
/// macvlan at all), as keepalived does. See [`apply_vmac_sysctls`] for the values.
///
/// Use it from threads of one network namespace; calls from another are refused with
/// [`Error::WrongNetworkNamespace`].
#[derive(Debug, Default)]
pub struct VmacSysctls {
    netns: Option<NetnsId>,
    /// Macvlan name -> (parent, family).
    vmacs: BTreeMap<String, (String, Family)>,
    /// Parent -> what was changed on it.
    parents: BTreeMap<String, SysctlRestore>,
    /// `all`, `default` and per-interface rp_filter.
    rp_filter: SysctlRestore,
}

impl VmacSysctls {
    /// An empty set: nothing changed yet.
    pub fn new() -> Self {
        VmacSysctls::default()
    }

    /// Sets the sysctls for the macvlan `name` on `parent` of a `family` router (again, if
    /// it was added before). On failure, what this call changed is put back.
    pub fn add(&mut self, parent: &str, name: &str, family: Family) -> Result<()> {
        validate_vmac_name(name, parent)?;
        let netns = self.check_netns("set sysctls for a virtual MAC")?;
        let mut rp_filter = SysctlRestore::new(netns);
        let mut on_parent = SysctlRestore::new(netns);
        rp_filter.all_or_nothing(|rp_filter| {
            if family == Family::Ipv4 {
                relax_all_rp_filter(rp_filter, name)?;
            }
            set_vmac_own(name, family)?;
            if family == Family::Ipv4 {
                on_parent.all_or_nothing(|on_parent| set_parent(on_parent, parent))?;
            }
            Ok(())
        })?;
        self.rp_filter.absorb(rp_filter);
        if family == Family::Ipv4 {
            self.parents
                .entry(parent.to_owned())
                .or_default()
                .absorb(on_parent);
        }
        self.vmacs
            .insert(name.to_owned(), (parent.to_owned(), family));
        Ok(())
    }

    /// Forgets the macvlan `name` and puts back what no remaining macvlan needs. Unknown
    /// names are fine.
    pub fn remove(&mut self, name: &str) -> Result<()> {
        let Some((parent, family)) = self.vmacs.get(name).cloned() else {
            return Ok(());
        };
        self.check_netns("restore sysctls changed for a virtual MAC")?;
        self.vmacs.remove(name);
        let mut result = Ok(());
        if family == Family::Ipv4 && !self.any_ipv4(|p| p == parent) {
            if let Some(mut saved) = self.parents.remove(&parent) {
                result = saved.restore();
            }
        }
        if family == Family::Ipv4 && !self.any_ipv4(|_| true) {
            let rp = self.rp_filter.restore();
            result = result.and(rp);
        }
        result
    }

    /// Puts everything back and forgets every macvlan (daemon shutdown).
    pub fn restore_all(&mut self) -> Result<()> {
        if self.parents.values().all(SysctlRestore::is_empty) && self.rp_filter.is_empty() {
            self.vmacs.clear();
            return Ok(());
        }
        self.check_netns("restore sysctls changed for a virtual MAC")?;
        let mut result = Ok(());
        for (_, mut saved) in std::mem::take(&mut self.parents) {
            let outcome = saved.restore();
            result = result.and(outcome);
        }
        let outcome = self.rp_filter.restore();
        self.vmacs.clear();
        result.and(outcome)
    }

    /// True if an IPv4 macvlan on a parent matching `parent` is still registered.
    fn any_ipv4(&self, parent: impl Fn(&str) -> bool) -> bool {
        self.vmacs
            .values()
            .any(|(p, f)| *f == Family::Ipv4 && parent(p))
    }

    /// The calling thread's namespace, which must be the one of earlier calls.
    fn check_netns(&mut self, what: &'static str) -> Result<NetnsId> {
        let now = current_netns()?;
        match self.netns {
            Some(netns) if netns != now => Err(Error::WrongNetworkNamespace { what }),
            _ => {
                self.netns = Some(now);
                Ok(now)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_core::{Emitable, Parseable};

    fn vrid(n: u8) -> Vrid {
        Vrid::new(n).expect("1..=255")
    }

    const VMAC: MacAddr = MacAddr::vrrp_v4(51);

    fn macvlan(index: u32, lower: u32, mac: MacAddr, mode: u32) -> LinkDetails {
        LinkDetails {
            index,
            kind: Some(InfoKind::MacVlan),
            macvlan_mode: Some(mode),
            lower: Some(lower),
            lower_elsewhere: false,
            mac: Some(mac),
            group: Some(0),
        }
    }

    #[test]
    fn virtual_macs_follow_rfc_9568_section_7_3() {
        assert_eq!(
            virtual_mac(Family::Ipv4, vrid(1)),
            MacAddr([0, 0, 0x5e, 0, 1, 1])
        );
        assert_eq!(
            virtual_mac(Family::Ipv6, vrid(255)),
            MacAddr([0, 0, 0x5e, 0, 2, 0xff])
        );
    }

    #[test]
    fn default_name_is_keepalived_s_vrrp_dot_vrid() {
        assert_eq!(default_name(vrid(51)), "vrrp.51");
        assert_eq!(default_name(vrid(255)), "vrrp.255");
    }

    #[test]
    fn fallback_names_follow_keepalived_per_family() {
        let v4: Vec<_> = default_names(Family::Ipv4, vrid(51)).take(4).collect();
        assert_eq!(v4, ["vrrp.51", "vrrp1.51", "vrrp2.51", "vrrp3.51"]);
        let v6: Vec<_> = default_names(Family::Ipv6, vrid(51)).take(9).collect();
        assert_eq!(
            v6,
            [
                "vrrp.51", "vrrp6.51", "vrrp1.51", "vrrp2.51", "vrrp3.51", "vrrp4.51", "vrrp5.51",
                "vrrp7.51", "vrrp8.51"
            ]
        );
        assert_eq!(default_names(Family::Ipv4, vrid(255)).count(), 65_536);
        assert!(default_names(Family::Ipv6, vrid(255)).all(|n| validate_ifname(&n).is_ok()));
    }

    #[test]
    fn vmac_names_are_interface_names_other_than_the_parent() {
        assert!(validate_vmac_name("vrrp.51", "eth0").is_ok());
        assert!(validate_vmac_name("eth0", "eth0").is_err());
        assert!(validate_vmac_name("vrrp 51", "eth0").is_err());
        assert!(validate_vmac_name("a-very-long-vmac-name", "eth0").is_err());
        assert!(validate_vmac_name("vrrp.51", "").is_err());
    }

    #[test]
    fn our_macvlan_is_private_on_the_parent_with_the_mac() {
        assert_eq!(
            macvlan(9, 2, VMAC, MACVLAN_MODE_PRIVATE).mismatch(2, VMAC),
            None
        );
    }

    #[test]
    fn anything_else_is_named_for_what_it_is() {
        let mut veth = macvlan(9, 2, VMAC, MACVLAN_MODE_PRIVATE);
        veth.kind = Some(InfoKind::Veth);
        assert_eq!(
            veth.mismatch(2, VMAC),
            Some(VmacMismatch::NotMacvlan {
                kind: Some("veth".into())
            })
        );
        let mut nic = veth.clone();
        nic.kind = None;
        assert_eq!(
            nic.mismatch(2, VMAC),
            Some(VmacMismatch::NotMacvlan { kind: None })
        );
        assert_eq!(
            macvlan(9, 3, VMAC, MACVLAN_MODE_PRIVATE).mismatch(2, VMAC),
            Some(VmacMismatch::OtherParent {
                lower_ifindex: Some(3)
            })
        );
        let mut elsewhere = macvlan(9, 2, VMAC, MACVLAN_MODE_PRIVATE);
        elsewhere.lower_elsewhere = true;
        assert_eq!(
            elsewhere.mismatch(2, VMAC),
            Some(VmacMismatch::OtherParent {
                lower_ifindex: None
            })
        );
        let other_mac = MacAddr::vrrp_v4(52);
        assert_eq!(
            macvlan(9, 2, other_mac, MACVLAN_MODE_PRIVATE).mismatch(2, VMAC),
            Some(VmacMismatch::OtherMac {
                mac: Some(other_mac)
            })
        );
        assert_eq!(
            macvlan(9, 2, VMAC, 4).mismatch(2, VMAC),
            Some(VmacMismatch::OtherMode { mode: 4 })
        );
    }

    #[test]
    fn a_macvlan_parent_means_its_lower_device() {
        // The kernel puts a macvlan created on a macvlan onto the latter's lower device.
        assert_eq!(macvlan(9, 2, VMAC, 4).macvlan_lower(), 2);
        let mut veth = macvlan(9, 2, VMAC, 4);
        veth.kind = Some(InfoKind::Veth);
        assert_eq!(veth.macvlan_lower(), 9);
    }

    #[test]
    fn the_create_request_describes_our_macvlan() {
        let msg = create_message(2, "vrrp.51", VMAC, Some(7));
        let mut bytes = vec![0u8; msg.buffer_len()];
        msg.emit(&mut bytes);
        let parsed = LinkMessage::parse(&bytes[..]).expect("parses");
        let details = LinkDetails::parse(&parsed);
        assert_eq!(details.mismatch(2, VMAC), None);
        assert_eq!(details.group, Some(7));
        assert!(parsed
            .attributes
            .contains(&LinkAttribute::IfName("vrrp.51".into())));
    }

    #[test]
    fn conflicts_say_what_where_and_what_to_do() {
        let e = conflict(
            "vrrp.51",
            "eth0",
            VMAC,
            VmacMismatch::NotMacvlan {
                kind: Some("veth".into()),
            },
        );
        assert_eq!(
            e.to_string(),
            "interface vrrp.51 exists but is not the VRRP macvlan on eth0 with MAC \
             00:00:5e:00:01:33: it is a veth interface, not a macvlan; it is left \
             untouched: remove or rename it, or choose another use_vmac name"
        );
        let mode = VmacMismatch::OtherMode { mode: 4 };
        assert_eq!(
            mode.to_string(),
            "it is in macvlan mode bridge, not private"
        );
    }

    #[test]
    fn eui64_link_local_flips_the_universal_local_bit() {
        let mac = MacAddr([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
        assert_eq!(
            eui64_link_local(mac),
            "fe80::5054:ff:fe12:3456".parse::<Ipv6Addr>().expect("v6")
        );
    }

    #[test]
    fn sysctl_errors_name_the_file() {
        let e = read_value(Path::new("/proc/sys/net/ipv4/conf/no-such-if0/arp_ignore"))
            .expect_err("no such file");
        assert!(is_not_found(&e));
        assert!(e
            .to_string()
            .starts_with("cannot read /proc/sys/net/ipv4/conf/no-such-if0/arp_ignore: "));
        assert!(matches!(
            read_conf("no-such-if0", "arp_ignore"),
            Err(Error::InterfaceNotFound { name }) if name == "no-such-if0"
        ));
    }

    #[test]
    fn an_empty_restore_is_a_no_op_anywhere() {
        let mut restore = SysctlRestore::default();
        assert!(restore.is_empty());
        assert!(restore.restore().is_ok());
        let mut all = VmacSysctls::new();
        assert!(all.remove("vrrp.51").is_ok());
        assert!(all.restore_all().is_ok());
    }
}
