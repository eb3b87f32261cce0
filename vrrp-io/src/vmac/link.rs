//! Is this link our macvlan? The [`Netlink`] methods that create, take over and remove
//! it, and give it its IPv6 link-local address.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::link::{
    AfSpecInet6, AfSpecUnspec, In6AddrGenMode, InfoData, InfoKind, InfoMacVlan, LinkAttribute,
    LinkFlags, LinkInfo, LinkMessage, MacVlanMode,
};
use netlink_packet_route::RouteNetlinkMessage;

use super::validate_vmac_name;
use crate::error::{Error, Result};
use crate::mac::MacAddr;
use crate::netlink::Netlink;

/// IFLA_MACVLAN_MODE of a private macvlan (MACVLAN_MODE_PRIVATE in `linux/if_link.h`).
pub(super) const MACVLAN_MODE_PRIVATE: u32 = 1;

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
pub(super) struct LinkDetails {
    pub(super) index: u32,
    pub(super) kind: Option<InfoKind>,
    pub(super) macvlan_mode: Option<u32>,
    /// IFLA_LINK: for a macvlan, the interface it sits on.
    pub(super) lower: Option<u32>,
    /// IFLA_LINK_NETNSID was present: `lower` indexes another network namespace.
    pub(super) lower_elsewhere: bool,
    pub(super) mac: Option<MacAddr>,
    /// IFLA_GROUP, copied from the parent to the macvlan.
    pub(super) group: Option<u32>,
}

impl LinkDetails {
    pub(super) fn parse(msg: &LinkMessage) -> LinkDetails {
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
    pub(super) fn macvlan_lower(&self) -> u32 {
        match (&self.kind, self.lower) {
            (Some(InfoKind::MacVlan), Some(lower)) if !self.lower_elsewhere => lower,
            _ => self.index,
        }
    }

    /// `None` if this is a private macvlan on `lower` with `mac`, else what it is instead.
    pub(super) fn mismatch(&self, lower: u32, mac: MacAddr) -> Option<VmacMismatch> {
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
pub(super) fn create_message(
    parent: u32,
    name: &str,
    mac: MacAddr,
    group: Option<u32>,
) -> LinkMessage {
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
pub(super) fn eui64_link_local(mac: MacAddr) -> Ipv6Addr {
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
    /// [module documentation](super) for why not bridge mode), keeps the kernel from giving
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

pub(super) fn conflict(name: &str, parent: &str, mac: MacAddr, found: VmacMismatch) -> Error {
    Error::VmacConflict {
        name: name.to_owned(),
        parent: parent.to_owned(),
        mac,
        found,
    }
}
