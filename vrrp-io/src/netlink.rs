//! Interfaces and addresses over rtnetlink, synchronously: look up interfaces, read their
//! state and addresses, add and remove virtual addresses.
//!
//! One [`Netlink`] handle owns one `NETLINK_ROUTE` socket and asks one question at a time,
//! waiting (at most [`Netlink::TIMEOUT`]) for the kernel's answer. Adding an address that
//! is already there and removing one that is not are successes that say so
//! ([`AddOutcome::AlreadyPresent`], [`DelOutcome::NotPresent`]), so a daemon that
//! restarts or retries converges instead of failing.
//!
//! ```no_run
//! use vrrp_io::netlink::{AddOutcome, Netlink};
//! # fn main() -> Result<(), vrrp_io::Error> {
//! let mut nl = Netlink::open()?;
//! let eth0 = nl.ifindex("eth0")?;
//! let vip = "192.168.100.12".parse().expect("an address");
//! match nl.add_address(eth0, vip, 32, Some("eth0:vip"))? {
//!     AddOutcome::Added => println!("added {vip}"),
//!     AddOutcome::AlreadyPresent => println!("{vip} was already there"),
//! }
//! # Ok(()) }
//! ```

use std::io;
use std::net::IpAddr;
use std::time::Duration;

use netlink_packet_core::{
    NetlinkBuffer, NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE,
    NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST,
};
use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage, AddressScope,
};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage, State};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

use crate::error::{Error, Result};
use crate::mac::MacAddr;

/// Longest interface name Linux accepts (IFNAMSIZ - 1).
pub const IFNAME_MAX: usize = 15;

/// Receive buffer for one netlink datagram; the kernel's dump messages stay below 32 KiB.
const RECV_BUF_LEN: usize = 64 * 1024;

/// What [`Netlink::add_address`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddOutcome {
    /// The address was added.
    Added,
    /// The interface already had the address (the kernel said EEXIST); nothing changed.
    AlreadyPresent,
}

/// What [`Netlink::del_address`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DelOutcome {
    /// The address was removed.
    Removed,
    /// The interface did not have the address (the kernel said EADDRNOTAVAIL); nothing
    /// changed.
    NotPresent,
}

/// RFC 2863 operational state of a link, as the kernel reports it (IFLA_OPERSTATE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperState {
    /// The driver does not report a state (common for virtual links such as `lo`).
    Unknown,
    /// The link is missing.
    NotPresent,
    /// Down.
    Down,
    /// Down because a link it depends on is down.
    LowerLayerDown,
    /// In test mode.
    Testing,
    /// Waiting for an external event.
    Dormant,
    /// Up and able to pass packets.
    Up,
}

/// Whether a link can carry VRRP traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkState {
    /// Administratively up (`ip link set X up`, IFF_UP).
    pub admin_up: bool,
    /// The lower layer has a carrier (cable plugged, veth peer up; IFF_LOWER_UP).
    pub carrier: bool,
    /// The operational state.
    pub oper: OperState,
}

impl LinkState {
    /// True when the link is administratively up and has a carrier: what interface
    /// tracking (keepalived's `track_interface`) calls "up".
    pub fn is_up(&self) -> bool {
        self.admin_up && self.carrier
    }
}

/// One network interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Interface index.
    pub index: u32,
    /// Interface name.
    pub name: String,
    /// Hardware address, if the link has a 6-byte one (Ethernet, veth, macvlan, bridge).
    pub mac: Option<MacAddr>,
    /// Up/down and carrier.
    pub state: LinkState,
    /// MTU, if reported.
    pub mtu: Option<u32>,
    /// A loopback interface.
    pub loopback: bool,
}

/// One address of an interface.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InterfaceAddress {
    /// The interface that holds it.
    pub ifindex: u32,
    /// The address (IFA_LOCAL for IPv4, IFA_ADDRESS for IPv6).
    pub addr: IpAddr,
    /// Prefix length.
    pub prefix_len: u8,
    /// IPv4 label (`eth0:vip`), if any.
    pub label: Option<String>,
    /// IPv6: duplicate address detection is still running; the address cannot be used as
    /// a source yet.
    pub tentative: bool,
    /// IPv6: duplicate address detection failed; the address is unusable.
    pub dad_failed: bool,
    /// IPv4: a secondary address of its subnet.
    pub secondary: bool,
    /// Added without duplicate address detection (IFA_F_NODAD).
    pub nodad: bool,
}

impl InterfaceAddress {
    /// True if the address can be used as a source address now (not tentative, DAD did
    /// not fail).
    pub fn is_usable(&self) -> bool {
        !self.tentative && !self.dad_failed
    }
}

/// A synchronous rtnetlink client. See the [module documentation](self).
#[derive(Debug)]
pub struct Netlink {
    socket: Socket,
    seq: u32,
    buf: Vec<u8>,
}

impl Netlink {
    /// How long a request waits for the kernel's answer before failing.
    pub const TIMEOUT: Duration = Duration::from_secs(5);

    /// Opens a `NETLINK_ROUTE` socket in the calling thread's network namespace.
    pub fn open() -> Result<Self> {
        let mut socket = Socket::new(NETLINK_ROUTE)
            .map_err(|e| Error::netlink("open NETLINK_ROUTE socket", e))?;
        socket
            .bind_auto()
            .map_err(|e| Error::netlink("bind NETLINK_ROUTE socket", e))?;
        socket
            .connect(&SocketAddr::new(0, 0))
            .map_err(|e| Error::netlink("connect NETLINK_ROUTE socket", e))?;
        // Errors then carry only the request's header, not the whole request.
        let _ = socket.set_cap_ack(true);
        socket2::SockRef::from(&socket)
            .set_read_timeout(Some(Self::TIMEOUT))
            .map_err(|e| Error::netlink("set NETLINK_ROUTE receive timeout", e))?;
        Ok(Netlink {
            socket,
            seq: 0,
            buf: vec![0; RECV_BUF_LEN],
        })
    }

    /// The index of the interface called `name`.
    pub fn ifindex(&mut self, name: &str) -> Result<u32> {
        self.link_by_name(name).map(|link| link.index)
    }

    /// The interface called `name`.
    pub fn link_by_name(&mut self, name: &str) -> Result<Link> {
        validate_ifname(name)?;
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_owned()));
        let replies = self
            .request(RouteNetlinkMessage::GetLink(msg), 0, "get link")
            .map_err(|e| match e.raw_os_error() {
                Some(libc::ENODEV) => Error::InterfaceNotFound {
                    name: name.to_owned(),
                },
                _ => e,
            })?;
        first_link(replies, "get link")
    }

    /// The interface with index `ifindex`.
    pub fn link(&mut self, ifindex: u32) -> Result<Link> {
        let mut msg = LinkMessage::default();
        msg.header.index = ifindex;
        let replies = self
            .request(RouteNetlinkMessage::GetLink(msg), 0, "get link")
            .map_err(|e| match e.raw_os_error() {
                Some(libc::ENODEV) => Error::InterfaceIndexNotFound { ifindex },
                _ => e,
            })?;
        first_link(replies, "get link")
    }

    /// Up/down and carrier of the interface with index `ifindex`.
    pub fn link_state(&mut self, ifindex: u32) -> Result<LinkState> {
        self.link(ifindex).map(|link| link.state)
    }

    /// Every interface of the network namespace.
    pub fn links(&mut self) -> Result<Vec<Link>> {
        let replies = self.request(
            RouteNetlinkMessage::GetLink(LinkMessage::default()),
            NLM_F_DUMP,
            "list links",
        )?;
        Ok(replies
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewLink(link) => Some(parse_link(&link)),
                _ => None,
            })
            .collect())
    }

    /// The addresses (both families) of the interface with index `ifindex`. An unknown
    /// index gives an empty list.
    pub fn interface_addresses(&mut self, ifindex: u32) -> Result<Vec<InterfaceAddress>> {
        let mut all = self.all_addresses()?;
        all.retain(|a| a.ifindex == ifindex);
        Ok(all)
    }

    /// Every address of every interface of the network namespace.
    pub fn all_addresses(&mut self) -> Result<Vec<InterfaceAddress>> {
        let replies = self.request(
            RouteNetlinkMessage::GetAddress(AddressMessage::default()),
            NLM_F_DUMP,
            "list addresses",
        )?;
        Ok(replies
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewAddress(a) => parse_address(&a),
                _ => None,
            })
            .collect())
    }

    /// Adds `addr/prefix_len` to the interface `ifindex`, like
    /// `ip addr add ADDR/PREFIX dev IF [label LABEL]`, with IFA_F_NODAD for IPv6 so the
    /// address is usable at once (as keepalived does: a VIP is by design on one router
    /// at a time, and DAD would delay the takeover by a second or more).
    ///
    /// - Already on this interface: [`AddOutcome::AlreadyPresent`].
    /// - Already on another interface of this host: [`Error::AddressInUse`] (link-local
    ///   addresses are exempt, being per-link).
    /// - `label` is IPv4 only, at most 15 bytes; Linux tools expect it to start with the
    ///   interface name (`eth0:vip`).
    pub fn add_address(
        &mut self,
        ifindex: u32,
        addr: IpAddr,
        prefix_len: u8,
        label: Option<&str>,
    ) -> Result<AddOutcome> {
        self.check_not_elsewhere(ifindex, addr)?;
        self.add_address_unchecked(ifindex, addr, prefix_len, label)
    }

    /// Fails with [`Error::AddressInUse`] if `addr` sits on an interface other than
    /// `ifindex` (link-local addresses are exempt, being per-link). One address dump.
    pub fn check_not_elsewhere(&mut self, ifindex: u32, addr: IpAddr) -> Result<()> {
        if is_link_local(addr) {
            return Ok(());
        }
        let holder = self
            .all_addresses()?
            .into_iter()
            .find(|a| a.addr == addr && a.ifindex != ifindex);
        match holder {
            Some(other) => {
                let ifname = self.link(other.ifindex).map(|l| l.name).unwrap_or_default();
                Err(Error::AddressInUse {
                    addr,
                    ifindex: other.ifindex,
                    ifname,
                })
            }
            None => Ok(()),
        }
    }

    /// [`Netlink::add_address`] without the [`Netlink::check_not_elsewhere`] dump: one
    /// netlink round trip, for the takeover path of a caller that checked at start-up.
    pub fn add_address_unchecked(
        &mut self,
        ifindex: u32,
        addr: IpAddr,
        prefix_len: u8,
        label: Option<&str>,
    ) -> Result<AddOutcome> {
        validate_prefix(addr, prefix_len)?;
        if let Some(label) = label {
            validate_label(addr, label)?;
        }
        let mut msg = address_message(ifindex, addr, prefix_len);
        if let Some(label) = label {
            msg.attributes
                .push(AddressAttribute::Label(label.to_owned()));
        }
        if addr.is_ipv6() {
            msg.header.flags = AddressHeaderFlags::Nodad;
            msg.attributes
                .push(AddressAttribute::Flags(AddressFlags::Nodad));
        }
        match self.request(
            RouteNetlinkMessage::NewAddress(msg),
            NLM_F_CREATE | NLM_F_EXCL,
            "add address",
        ) {
            Ok(_) => Ok(AddOutcome::Added),
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => Ok(AddOutcome::AlreadyPresent),
            Err(e) => Err(map_ifindex_error(e, ifindex)),
        }
    }

    /// Removes `addr/prefix_len` from the interface `ifindex`, like
    /// `ip addr del ADDR/PREFIX dev IF`. Not there: [`DelOutcome::NotPresent`].
    ///
    /// Address and prefix length must both match (no "wildcard" deletion): an
    /// administrator's own `192.168.1.5/24` is never removed by a VIP `192.168.1.5/32`.
    pub fn del_address(
        &mut self,
        ifindex: u32,
        addr: IpAddr,
        prefix_len: u8,
    ) -> Result<DelOutcome> {
        validate_prefix(addr, prefix_len)?;
        let msg = address_message(ifindex, addr, prefix_len);
        match self.request(RouteNetlinkMessage::DelAddress(msg), 0, "remove address") {
            Ok(_) => Ok(DelOutcome::Removed),
            Err(e) if e.raw_os_error() == Some(libc::EADDRNOTAVAIL) => Ok(DelOutcome::NotPresent),
            Err(e) => Err(map_ifindex_error(e, ifindex)),
        }
    }

    /// Sends one request and collects the answers: until the ACK for a plain request,
    /// until NLMSG_DONE for a dump. A non-zero error code becomes an [`Error`] whose
    /// [`Error::raw_os_error`] is the errno.
    pub(crate) fn request(
        &mut self,
        message: RouteNetlinkMessage,
        extra_flags: u16,
        what: &'static str,
    ) -> Result<Vec<RouteNetlinkMessage>> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let dump = extra_flags & NLM_F_DUMP == NLM_F_DUMP;
        let mut packet =
            NetlinkMessage::new(NetlinkHeader::default(), NetlinkPayload::from(message));
        packet.header.flags = NLM_F_REQUEST | extra_flags | if dump { 0 } else { NLM_F_ACK };
        packet.header.sequence_number = seq;
        packet.finalize();
        let mut out = vec![0u8; packet.buffer_len()];
        packet.serialize(&mut out);
        self.socket
            .send(&out, 0)
            .map_err(|e| Error::netlink(what, e))?;

        let mut replies = Vec::new();
        loop {
            let len = match self.socket.recv(&mut &mut self.buf[..], 0) {
                Ok(len) => len.min(self.buf.len()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(Error::NetlinkProtocol {
                        what,
                        detail: format!("no answer within {} s", Self::TIMEOUT.as_secs()),
                    })
                }
                Err(e) => return Err(Error::netlink(what, e)),
            };
            let mut offset = 0;
            while offset < len {
                let bytes = &self.buf[offset..len];
                let frame_len = match NetlinkBuffer::new_checked(bytes) {
                    Ok(b) => b.length() as usize,
                    Err(e) => {
                        return Err(Error::NetlinkProtocol {
                            what,
                            detail: e.to_string(),
                        })
                    }
                };
                if frame_len == 0 || frame_len > bytes.len() {
                    return Err(Error::NetlinkProtocol {
                        what,
                        detail: format!(
                            "message length {frame_len} in a {}-byte datagram",
                            bytes.len()
                        ),
                    });
                }
                // Messages are 4-byte aligned in the datagram.
                offset += (frame_len + 3) & !3;
                let frame = &bytes[..frame_len];
                let parsed = NetlinkMessage::<RouteNetlinkMessage>::deserialize(frame);
                let msg = match parsed {
                    Ok(msg) => msg,
                    // One unparseable entry of a dump (a kind of link this crate version
                    // does not know, say) must not hide the others.
                    Err(_) if dump => continue,
                    Err(e) => {
                        return Err(Error::NetlinkProtocol {
                            what,
                            detail: e.to_string(),
                        })
                    }
                };
                if msg.header.sequence_number != seq {
                    continue; // a late answer to an earlier, timed-out request
                }
                match msg.payload {
                    NetlinkPayload::InnerMessage(inner) => replies.push(inner),
                    NetlinkPayload::Done(_) => return Ok(replies),
                    NetlinkPayload::Error(err) => match err.code {
                        None => return Ok(replies), // the ACK
                        Some(code) => {
                            return Err(Error::netlink(
                                what,
                                io::Error::from_raw_os_error(code.get().saturating_abs()),
                            ))
                        }
                    },
                    _ => {}
                }
            }
        }
    }
}

/// The address a router on `ifname` advertises from: for IPv4 the interface's first
/// primary (non-secondary) address that is not one of `vips`; for IPv6 its usable
/// link-local address (RFC 9568 section 5.1.2.1).
pub fn primary_address(
    netlink: &mut Netlink,
    ifname: &str,
    family: vrrp_core::Family,
    vips: &[IpAddr],
) -> Result<IpAddr> {
    let ifindex = netlink.ifindex(ifname)?;
    let addrs = netlink.interface_addresses(ifindex)?;
    let pick = addrs
        .iter()
        .filter(|a| a.is_usable() && !vips.contains(&a.addr))
        .find(|a| match (family, a.addr) {
            (vrrp_core::Family::Ipv4, IpAddr::V4(_)) => !a.secondary,
            (vrrp_core::Family::Ipv6, IpAddr::V6(v6)) => is_link_local(IpAddr::V6(v6)),
            _ => false,
        });
    pick.map(|a| a.addr).ok_or_else(|| Error::NoPrimaryAddress {
        ifname: ifname.to_owned(),
        family,
    })
}

fn first_link(replies: Vec<RouteNetlinkMessage>, what: &'static str) -> Result<Link> {
    replies
        .into_iter()
        .find_map(|m| match m {
            RouteNetlinkMessage::NewLink(link) => Some(parse_link(&link)),
            _ => None,
        })
        .ok_or(Error::NetlinkProtocol {
            what,
            detail: "no link in the answer".to_owned(),
        })
}

fn map_ifindex_error(e: Error, ifindex: u32) -> Error {
    match e.raw_os_error() {
        Some(libc::ENODEV) => Error::InterfaceIndexNotFound { ifindex },
        _ => e,
    }
}

fn address_message(ifindex: u32, addr: IpAddr, prefix_len: u8) -> AddressMessage {
    let mut msg = AddressMessage::default();
    msg.header.index = ifindex;
    msg.header.prefix_len = prefix_len;
    msg.header.family = match addr {
        IpAddr::V4(_) => AddressFamily::Inet,
        IpAddr::V6(_) => AddressFamily::Inet6,
    };
    msg.header.scope = match addr {
        IpAddr::V4(a) if a.is_loopback() => AddressScope::Host,
        IpAddr::V6(a) if a.is_loopback() => AddressScope::Host,
        a if is_link_local(a) => AddressScope::Link,
        _ => AddressScope::Universe,
    };
    msg.attributes.push(AddressAttribute::Local(addr));
    msg.attributes.push(AddressAttribute::Address(addr));
    msg
}

fn is_link_local(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => a.is_link_local(),
        IpAddr::V6(a) => (a.segments()[0] & 0xffc0) == 0xfe80,
    }
}

fn validate_prefix(addr: IpAddr, prefix_len: u8) -> Result<()> {
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if prefix_len > max {
        return Err(Error::InvalidPrefixLength { addr, prefix_len });
    }
    Ok(())
}

fn validate_label(addr: IpAddr, label: &str) -> Result<()> {
    let reason = if addr.is_ipv6() {
        "labels exist for IPv4 addresses only"
    } else if label.is_empty() {
        "empty"
    } else if label.len() > IFNAME_MAX {
        "longer than 15 bytes"
    } else if label.bytes().any(|b| b == 0) {
        "contains a NUL byte"
    } else {
        return Ok(());
    };
    Err(Error::InvalidLabel {
        label: label.to_owned(),
        reason,
    })
}

/// Checks that `name` can be a Linux interface name (`dev_valid_name` in the kernel).
pub fn validate_ifname(name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        "empty"
    } else if name.len() > IFNAME_MAX {
        "longer than 15 bytes"
    } else if name == "." || name == ".." {
        "reserved"
    } else if name
        .bytes()
        .any(|b| b == b'/' || b == 0 || b.is_ascii_whitespace() || b == b':')
    {
        "contains '/', ':', a NUL byte or white space"
    } else {
        return Ok(());
    };
    Err(Error::InvalidInterfaceName {
        name: name.to_owned(),
        reason,
    })
}

pub(crate) fn parse_link(msg: &LinkMessage) -> Link {
    let flags = msg.header.flags;
    let mut link = Link {
        index: msg.header.index,
        name: String::new(),
        mac: None,
        state: LinkState {
            admin_up: flags.contains(LinkFlags::Up),
            carrier: flags.contains(LinkFlags::LowerUp),
            oper: OperState::Unknown,
        },
        mtu: None,
        loopback: flags.contains(LinkFlags::Loopback),
    };
    for attr in &msg.attributes {
        match attr {
            LinkAttribute::IfName(name) => link.name.clone_from(name),
            LinkAttribute::Address(bytes) => link.mac = MacAddr::from_slice(bytes),
            LinkAttribute::Mtu(mtu) => link.mtu = Some(*mtu),
            LinkAttribute::Carrier(c) => link.state.carrier = *c != 0,
            LinkAttribute::OperState(state) => {
                link.state.oper = match state {
                    State::NotPresent => OperState::NotPresent,
                    State::Down => OperState::Down,
                    State::LowerLayerDown => OperState::LowerLayerDown,
                    State::Testing => OperState::Testing,
                    State::Dormant => OperState::Dormant,
                    State::Up => OperState::Up,
                    _ => OperState::Unknown,
                }
            }
            _ => {}
        }
    }
    link
}

pub(crate) fn parse_address(msg: &AddressMessage) -> Option<InterfaceAddress> {
    let mut local = None;
    let mut address = None;
    let mut label = None;
    let mut flags = AddressFlags::from_bits_retain(u32::from(msg.header.flags.bits()));
    for attr in &msg.attributes {
        match attr {
            AddressAttribute::Local(a) => local = Some(*a),
            AddressAttribute::Address(a) => address = Some(*a),
            AddressAttribute::Label(l) => label = Some(l.clone()),
            // IFA_FLAGS holds all 32 bits; the header only the low 8.
            AddressAttribute::Flags(f) => flags = *f,
            _ => {}
        }
    }
    // IFA_LOCAL is the interface's own address (it differs from IFA_ADDRESS only on
    // point-to-point links); IPv6 usually sends IFA_ADDRESS alone.
    let addr = local.or(address)?;
    Some(InterfaceAddress {
        ifindex: msg.header.index,
        addr,
        prefix_len: msg.header.prefix_len,
        label,
        tentative: flags.contains(AddressFlags::Tentative),
        dad_failed: flags.contains(AddressFlags::Dadfailed),
        secondary: flags.contains(AddressFlags::Secondary),
        nodad: flags.contains(AddressFlags::Nodad),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn interface_names_are_checked_like_the_kernel() {
        assert!(validate_ifname("eth0").is_ok());
        assert!(validate_ifname("vrrp4-2-51").is_ok());
        assert!(validate_ifname("a-very-long-name0").is_err());
        assert!(validate_ifname("").is_err());
        assert!(validate_ifname("a/b").is_err());
        assert!(validate_ifname("..").is_err());
        match validate_ifname("eth 0") {
            Err(Error::InvalidInterfaceName { name, .. }) => assert_eq!(name, "eth 0"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn prefix_lengths_fit_the_family() {
        let v4 = IpAddr::V4(Ipv4Addr::new(192, 168, 100, 12));
        let v6 = IpAddr::V6(Ipv6Addr::new(0xfd00, 0x100, 0, 0, 0, 0, 0, 0x12));
        assert!(validate_prefix(v4, 32).is_ok());
        assert!(validate_prefix(v4, 33).is_err());
        assert!(validate_prefix(v6, 128).is_ok());
        assert!(validate_prefix(v6, 129).is_err());
    }

    #[test]
    fn labels_are_ipv4_only_and_short() {
        let v4 = IpAddr::V4(Ipv4Addr::new(192, 168, 100, 12));
        let v6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
        assert!(validate_label(v4, "eth0:vip").is_ok());
        assert!(validate_label(v4, "eth0:far-too-long").is_err());
        assert!(validate_label(v6, "eth0:vip").is_err());
    }

    #[test]
    fn link_local_scope() {
        assert!(is_link_local("fe80::1:12".parse().expect("v6")));
        assert!(is_link_local("169.254.1.1".parse().expect("v4")));
        assert!(!is_link_local("fd00:100::12".parse().expect("v6")));
        let msg = address_message(2, "fe80::1:12".parse().expect("v6"), 64);
        assert_eq!(msg.header.scope, AddressScope::Link);
        let msg = address_message(2, "192.168.100.12".parse().expect("v4"), 32);
        assert_eq!(msg.header.scope, AddressScope::Universe);
        assert_eq!(msg.header.family, AddressFamily::Inet);
    }

    #[test]
    fn address_messages_round_trip_through_the_parser() {
        let mut msg = address_message(7, "192.168.100.12".parse().expect("v4"), 24);
        msg.attributes
            .push(AddressAttribute::Label("eth0:vip".into()));
        let parsed = parse_address(&msg).expect("an address");
        assert_eq!(parsed.ifindex, 7);
        assert_eq!(parsed.prefix_len, 24);
        assert_eq!(parsed.label.as_deref(), Some("eth0:vip"));
        assert!(parsed.is_usable());
    }

    #[test]
    fn link_state_needs_admin_up_and_carrier() {
        let s = LinkState {
            admin_up: true,
            carrier: false,
            oper: OperState::LowerLayerDown,
        };
        assert!(!s.is_up());
        let s = LinkState {
            admin_up: true,
            carrier: true,
            oper: OperState::Up,
        };
        assert!(s.is_up());
    }
}
