//! Link and address changes as the kernel announces them, instead of polling.
//!
//! A [`NetlinkMonitor`] owns a non-blocking `NETLINK_ROUTE` socket subscribed to the
//! kernel's link, IPv4-address and IPv6-address notifications (the multicast groups
//! `RTNLGRP_LINK`, `RTNLGRP_IPV4_IFADDR`, `RTNLGRP_IPV6_IFADDR`) of the calling thread's
//! network namespace, and to route and rule deletions (`RTNLGRP_IPV4_ROUTE`,
//! `RTNLGRP_IPV6_ROUTE`, `RTNLGRP_IPV4_RULE`, `RTNLGRP_IPV6_RULE`), with a socket filter
//! that keeps route additions and the kernel's and routing daemons' routes out. An event
//! loop waits for its descriptor to become readable
//! ([`AsFd`] / [`AsRawFd`]: `ppoll(2)`, or tokio's `AsyncFd`) and then calls
//! [`NetlinkMonitor::recv`], which turns the queued notifications into [`NetEvent`]s.
//!
//! Notifications only say what *changed*. To know the state, a caller starts from a
//! snapshot, [`NetlinkMonitor::snapshot`], taken **after** opening the monitor, so that
//! no change can fall between the two: a change made meanwhile shows up in the snapshot,
//! as an event, or both, and applying an event twice is harmless (a [`NetEvent::Link`]
//! carries the whole state of the link, addresses are added and removed idempotently).
//!
//! When the kernel had to drop notifications because the socket's queue was full, the
//! monitor says so with [`NetEvent::Overrun`]: the caller's view may then be wrong and
//! must be rebuilt from a fresh snapshot.
//!
//! ```no_run
//! use std::collections::HashMap;
//! use std::os::fd::AsRawFd;
//! use vrrp_io::netlink::{Link, Netlink};
//! use vrrp_io::{NetEvent, NetlinkMonitor};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // First subscribe, then read the current state: nothing is missed in between.
//! let mut monitor = NetlinkMonitor::open()?;
//! let mut nl = Netlink::open()?;
//! let mut events = NetlinkMonitor::snapshot(&mut nl)?;
//! let mut links: HashMap<u32, Link> = HashMap::new();
//! loop {
//!     for event in std::mem::take(&mut events) {
//!         match event {
//!             NetEvent::Link(link) => {
//!                 println!("{}: {}", link.name, if link.state.is_up() { "up" } else { "down" });
//!                 links.insert(link.index, link);
//!             }
//!             NetEvent::LinkRemoved { index, name } => {
//!                 println!("{name} (index {index}) is gone");
//!                 links.remove(&index);
//!             }
//!             NetEvent::AddressAdded(a) => println!("{}/{} on {}", a.addr, a.prefix_len, a.ifindex),
//!             NetEvent::AddressRemoved(a) => println!("{}/{} gone", a.addr, a.prefix_len),
//!             NetEvent::RouteRemoved { protocol } => println!("a route ({protocol}) went"),
//!             NetEvent::RuleRemoved { .. } => println!("a policy rule went"),
//!             NetEvent::Overrun => {
//!                 // Notifications were lost: start again from the current state.
//!                 links.clear();
//!                 events.extend(NetlinkMonitor::snapshot(&mut nl)?);
//!             }
//!         }
//!     }
//!     if !events.is_empty() {
//!         continue; // a fresh snapshot to apply
//!     }
//!     // Level-triggered wait: poll(2) reports the socket readable while anything is queued.
//!     let mut pfd = libc::pollfd { fd: monitor.as_raw_fd(), events: libc::POLLIN, revents: 0 };
//!     // SAFETY: one valid pollfd, live for the call.
//!     if unsafe { libc::poll(&mut pfd, 1, -1) } < 0 {
//!         continue; // EINTR
//!     }
//!     monitor.recv(&mut events)?;
//! }
//! # }
//! ```

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use netlink_packet_core::{NetlinkBuffer, NetlinkMessage, NetlinkPayload};
use netlink_packet_route::link::{LinkAttribute, LinkMessage};
use netlink_packet_route::rule::RuleAttribute;
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

use crate::error::{Error, Result};
use crate::netlink::{parse_address, parse_link, InterfaceAddress, Link, Netlink};
use crate::sys;

/// One change of the network namespace's links, addresses, routes or rules, or the news
/// that some were lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetEvent {
    /// A link appeared or changed (up/down, carrier, operational state, name, MTU,
    /// hardware address). It carries the link's whole new state, and may repeat a state
    /// already reported: the kernel also announces changes this type does not show.
    Link(Link),
    /// The link with this index was deleted (or moved to another network namespace). A
    /// link re-created with the same name gets a new index.
    LinkRemoved {
        /// The index the link had.
        index: u32,
        /// The name the link had.
        name: String,
    },
    /// An address appeared, or its flags changed (an IPv6 address that finished
    /// duplicate address detection is announced again, no longer tentative).
    AddressAdded(InterfaceAddress),
    /// An address was removed.
    AddressRemoved(InterfaceAddress),
    /// A route was deleted. Routes of the kernel's own protocol (those that come and go
    /// with addresses) and of routing daemons' (BGP, OSPF, IS-IS, RIP, EIGRP, Babel,
    /// Open/R, zebra, BIRD) are normally not reported: the kernel filters them out before
    /// they reach the monitor, so a mass failover or a full routing table coming and going
    /// costs nothing here (where a sandbox refuses socket filters they are reported, with
    /// their protocol). Additions are not reported.
    RouteRemoved {
        /// The route's protocol (`proto` in `ip route`; keepalived's is 18).
        protocol: u8,
    },
    /// A policy rule was deleted. Additions are not reported.
    RuleRemoved {
        /// The rule's protocol (`protocol` in `ip rule`; 0 when the kernel has none).
        protocol: u8,
    },
    /// The kernel dropped notifications because the socket's queue was full (`ENOBUFS`),
    /// or one did not fit the receive buffer. What the caller knows may be wrong: it must
    /// take a fresh [`NetlinkMonitor::snapshot`] (after this [`NetlinkMonitor::recv`]
    /// returns) and replace its view with it. It is always the last event of the call.
    Overrun,
}

/// A subscription to the link, address, route and rule notifications of the calling
/// thread's network namespace. See the [module documentation](self).
#[derive(Debug)]
pub struct NetlinkMonitor {
    socket: Socket,
    buf: Vec<u8>,
}

impl NetlinkMonitor {
    /// At most this many datagrams that yield events are read by one
    /// [`NetlinkMonitor::recv`], so that a storm of changes cannot starve the caller's
    /// other work. (The kernel sends one notification per datagram.)
    pub const MAX_DATAGRAMS_PER_RECV: usize = 64;

    /// At most this many datagrams, whatever they hold, are read by one
    /// [`NetlinkMonitor::recv`]: the bound for a queue full of messages that are not
    /// events (bridge-port and wireless notifications, say).
    const MAX_READS_PER_RECV: usize = 16 * Self::MAX_DATAGRAMS_PER_RECV;

    /// The socket's receive buffer, asked for with `SO_RCVBUFFORCE` (with
    /// CAP_NET_ADMIN) or else `SO_RCVBUF` (capped by `net.core.rmem_max`), so that a
    /// burst of changes (a VIP takeover, an interface with many addresses going down)
    /// fits without [`NetEvent::Overrun`].
    pub const RECEIVE_BUFFER_BYTES: usize = 1 << 20;

    /// Room for one datagram; notifications are a few KiB at most.
    const DATAGRAM_BUF_LEN: usize = 64 * 1024;

    /// Opens a non-blocking `NETLINK_ROUTE` socket in the calling thread's network
    /// namespace, subscribed to link, IPv4-address and IPv6-address notifications and
    /// route and rule deletions (filtered: see [`NetEvent::RouteRemoved`]).
    ///
    /// Needs no privilege; with CAP_NET_ADMIN the receive buffer can exceed
    /// `net.core.rmem_max`. The socket is connected to the kernel, so other processes
    /// cannot send to it.
    pub fn open() -> Result<Self> {
        let mut socket = Socket::new(NETLINK_ROUTE)
            .map_err(|e| Error::netlink("open NETLINK_ROUTE socket", e))?;
        socket
            .bind_auto()
            .map_err(|e| Error::netlink("bind NETLINK_ROUTE socket", e))?;
        // Routes are filtered in the kernel before the subscriptions start: no route
        // notification we do not want is ever queued. The filter only saves work (the
        // events say the protocol, and nobody acts on others'): where a sandbox refuses
        // it, the monitor works without.
        let _ = sys::attach_filter(socket.as_fd(), &route_filter());
        for group in [
            libc::RTNLGRP_LINK,
            libc::RTNLGRP_IPV4_IFADDR,
            libc::RTNLGRP_IPV6_IFADDR,
            libc::RTNLGRP_IPV4_ROUTE,
            libc::RTNLGRP_IPV6_ROUTE,
            libc::RTNLGRP_IPV4_RULE,
            libc::RTNLGRP_IPV6_RULE,
        ] {
            socket.add_membership(group).map_err(|e| {
                Error::netlink(
                    "subscribe to link, address, route and rule notifications",
                    e,
                )
            })?;
        }
        // Multicast delivery ignores the peer; unicast from anyone but the kernel is
        // refused (ECONNREFUSED to the sender).
        socket
            .connect(&SocketAddr::new(0, 0))
            .map_err(|e| Error::netlink("connect NETLINK_ROUTE socket", e))?;
        set_receive_buffer(socket.as_fd(), Self::RECEIVE_BUFFER_BYTES)?;
        socket
            .set_non_blocking(true)
            .map_err(|e| Error::netlink("make NETLINK_ROUTE socket non-blocking", e))?;
        Ok(NetlinkMonitor {
            socket,
            buf: vec![0; Self::DATAGRAM_BUF_LEN],
        })
    }

    /// Reads the queued notifications and appends their events to `out`, in the order
    /// the kernel sent them; returns how many it appended.
    ///
    /// Never blocks. Reads until the kernel has nothing more queued, but at most
    /// [`NetlinkMonitor::MAX_DATAGRAMS_PER_RECV`] datagrams with events, so `Ok(n)`
    /// with `n > 0` may leave notifications queued. Either call again while it returns
    /// more than 0, or wait with level-triggered readiness (`ppoll(2)` reports the socket
    /// readable again at once). With an edge-triggered waiter (tokio's `AsyncFd`), clear
    /// the readiness only when it returns `Ok(0)`.
    ///
    /// `Ok(0)`: nothing was queued (or, in the pathological case of hundreds of queued
    /// kernel messages none of which is an event, the reading stopped at its bound; a
    /// level-triggered waiter wakes again at once, an edge-triggered one at the next
    /// notification).
    ///
    /// Messages not from the kernel, messages that are not link, address, route-deletion
    /// or rule-deletion notifications (bridge-port and wireless notifications, say) and
    /// messages that cannot be parsed are skipped. After [`NetEvent::Overrun`], which
    /// ends the call, the notifications still queued are discarded (up to the bound):
    /// the snapshot the caller takes next covers them.
    ///
    /// # Errors
    /// An error of `recv(2)` other than `EAGAIN`, `EINTR` and `ENOBUFS` (which is
    /// [`NetEvent::Overrun`]); none is expected on a working socket. Events appended
    /// before the error stay in `out`.
    pub fn recv(&mut self, out: &mut Vec<NetEvent>) -> io::Result<usize> {
        let start = out.len();
        let mut with_events = 0;
        let mut reads = 0;
        while with_events < Self::MAX_DATAGRAMS_PER_RECV && reads < Self::MAX_READS_PER_RECV {
            reads += 1;
            match self.recv_datagram() {
                Ok(Datagram::FromKernel(len)) => {
                    let before = out.len();
                    parse_datagram(&self.buf[..len], out);
                    if out.len() > before {
                        with_events += 1;
                    }
                }
                Ok(Datagram::NotFromKernel) => {}
                Ok(Datagram::Truncated) => {
                    self.overrun(reads, out);
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    self.overrun(reads, out);
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out.len() - start)
    }

    /// The current links and addresses of `netlink`'s network namespace, as events: a
    /// [`NetEvent::Link`] per link, then a [`NetEvent::AddressAdded`] per address.
    ///
    /// For start-up and after [`NetEvent::Overrun`]. Open the monitor *before* taking
    /// the snapshot (with a `netlink` of the same namespace), so that no change falls
    /// between the two.
    pub fn snapshot(netlink: &mut Netlink) -> Result<Vec<NetEvent>> {
        let links = netlink.links()?;
        let addresses = netlink.all_addresses()?;
        let mut events = Vec::with_capacity(links.len() + addresses.len());
        events.extend(links.into_iter().map(NetEvent::Link));
        events.extend(addresses.into_iter().map(NetEvent::AddressAdded));
        Ok(events)
    }

    /// Reads one datagram into `self.buf`.
    fn recv_datagram(&mut self) -> io::Result<Datagram> {
        // MSG_TRUNC: the real length, even when it exceeds the buffer.
        let (len, from) = self
            .socket
            .recv_from(&mut &mut self.buf[..], libc::MSG_TRUNC)?;
        Ok(if from.port_number() != 0 {
            Datagram::NotFromKernel
        } else if len > self.buf.len() {
            Datagram::Truncated
        } else {
            Datagram::FromKernel(len)
        })
    }

    /// Discards what is queued (within the call's bound, `reads` datagrams being read
    /// already) and appends [`NetEvent::Overrun`].
    fn overrun(&mut self, mut reads: usize, out: &mut Vec<NetEvent>) {
        while reads < Self::MAX_READS_PER_RECV {
            reads += 1;
            match self.recv_datagram() {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // A second ENOBUFS says the same as the first.
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {}
                Err(_) => break,
            }
        }
        out.push(NetEvent::Overrun);
    }
}

impl AsFd for NetlinkMonitor {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

impl AsRawFd for NetlinkMonitor {
    fn as_raw_fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }
}

/// What [`NetlinkMonitor::recv_datagram`] read.
enum Datagram {
    /// A datagram of this many bytes from the kernel, whole in the buffer.
    FromKernel(usize),
    /// A datagram from a process; not a notification.
    NotFromKernel,
    /// A datagram from the kernel that did not fit the buffer.
    Truncated,
}

/// Sets the receive buffer to `bytes`: `SO_RCVBUFFORCE` if allowed (CAP_NET_ADMIN), else
/// `SO_RCVBUF`, which the kernel caps at `net.core.rmem_max`.
fn set_receive_buffer(fd: BorrowedFd<'_>, bytes: usize) -> Result<()> {
    let value = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    match sys::setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, &value) {
        Ok(()) => Ok(()),
        Err(e) if matches!(e.raw_os_error(), Some(libc::EPERM) | Some(libc::EACCES)) => {
            sys::setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, &value).map_err(|source| {
                Error::Io {
                    what: "set NETLINK_ROUTE receive buffer",
                    source,
                }
            })
        }
        Err(source) => Err(Error::Io {
            what: "set NETLINK_ROUTE receive buffer",
            source,
        }),
    }
}

/// Appends the events of the netlink messages in `datagram` to `out`, skipping every
/// message that is malformed or not a notification of ours. Never panics.
///
/// The messages' sequence numbers and port ids are not checked: a notification caused
/// by a request carries the requester's (`ip addr add` sets both), so they do not tell
/// notifications apart. The sender (the kernel) is checked by the caller instead.
fn parse_datagram(datagram: &[u8], out: &mut Vec<NetEvent>) {
    let mut offset = 0;
    while offset < datagram.len() {
        let bytes = &datagram[offset..];
        let Ok(frame_len) = NetlinkBuffer::new_checked(bytes).map(|b| b.length() as usize) else {
            return; // too short for a header, or a length beyond the datagram
        };
        if frame_len == 0 || frame_len > bytes.len() {
            return;
        }
        // Messages are 4-byte aligned in the datagram.
        offset = offset.saturating_add((frame_len + 3) & !3);
        let Ok(msg) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&bytes[..frame_len])
        else {
            continue;
        };
        if let NetlinkPayload::InnerMessage(inner) = msg.payload {
            if let Some(event) = event_of(inner) {
                out.push(event);
            }
        }
    }
}

/// The event a route message announces, if it is a link or address notification or a
/// route or rule deletion.
fn event_of(msg: RouteNetlinkMessage) -> Option<NetEvent> {
    match msg {
        RouteNetlinkMessage::NewLink(link) if is_link_notification(&link) => {
            Some(NetEvent::Link(parse_link(&link)))
        }
        RouteNetlinkMessage::DelLink(link) if is_link_notification(&link) => {
            let link = parse_link(&link);
            Some(NetEvent::LinkRemoved {
                index: link.index,
                name: link.name,
            })
        }
        RouteNetlinkMessage::NewAddress(a) => parse_address(&a).map(NetEvent::AddressAdded),
        RouteNetlinkMessage::DelAddress(a) => parse_address(&a).map(NetEvent::AddressRemoved),
        RouteNetlinkMessage::DelRoute(r) => Some(NetEvent::RouteRemoved {
            protocol: u8::from(r.header.protocol),
        }),
        RouteNetlinkMessage::DelRule(r) => Some(NetEvent::RuleRemoved {
            protocol: r
                .attributes
                .iter()
                .find_map(|a| match a {
                    RuleAttribute::Protocol(p) => Some(u8::from(*p)),
                    _ => None,
                })
                .unwrap_or(0),
        }),
        _ => None,
    }
}

/// The classic BPF program the monitor's socket runs on every notification: route
/// additions are dropped, and so are deletions of routes whose protocol is the kernel's
/// own (the local and subnet routes of every address, which go with it: thousands in a
/// mass failover) or a routing daemon's (which come and go by the thousand on a router
/// with a full table); everything else passes. A notification is one netlink message per
/// datagram, so offsets are the message's: `nlmsg_type` at 4 (host order), then
/// `struct rtmsg` from 16 with `rtm_protocol` at 21.
fn route_filter() -> [libc::sock_filter; 12] {
    const LDH_ABS: u16 = 0x28; // BPF_LD | BPF_H | BPF_ABS
    const LDB_ABS: u16 = 0x30; // BPF_LD | BPF_B | BPF_ABS
    const JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
    const JGT_K: u16 = 0x25; // BPF_JMP | BPF_JGT | BPF_K
    const JGE_K: u16 = 0x35; // BPF_JMP | BPF_JGE | BPF_K
    const RET_K: u16 = 0x06; // BPF_RET | BPF_K

    // BPF loads halfwords in network order; the kernel writes nlmsg_type in host order.
    let msg_type = |t: u16| u32::from(u16::from_be_bytes(t.to_ne_bytes()));
    let op = |code, jt, jf, k| libc::sock_filter { code, jt, jf, k };
    // Jumps count the instructions skipped: from index i to index t is t - i - 1.
    [
        /* 0 */ op(LDH_ABS, 0, 0, 4),
        /* 1 */ op(JEQ_K, 9, 0, msg_type(libc::RTM_NEWROUTE)), // -> 11 drop
        /* 2 */ op(JEQ_K, 0, 7, msg_type(libc::RTM_DELROUTE)), // else -> 10 accept
        /* 3 */ op(LDB_ABS, 0, 0, 21),
        /* 4 */
        op(JGE_K, 6, 0, 186), // BGP 186, IS-IS 187, OSPF 188, RIP 189, EIGRP 192
        /* 5 */ op(JGT_K, 0, 5, 2), // unspec 0, redirect 1, kernel 2
        /* 6 */ op(JEQ_K, 4, 0, 11), // zebra
        /* 7 */ op(JEQ_K, 3, 0, 12), // BIRD
        /* 8 */ op(JEQ_K, 2, 0, 42), // Babel
        /* 9 */ op(JEQ_K, 1, 0, 99), // Open/R
        /* 10 */ op(RET_K, 0, 0, u32::MAX),
        /* 11 */ op(RET_K, 0, 0, 0),
    ]
}

/// True for the kernel's announcements of a link's state. The same group also carries
/// bridge-port notifications (family AF_BRIDGE; a DELLINK of those means "left the
/// bridge", not "deleted") and wireless-extension events (IFLA_WIRELESS, without the
/// link's state), which are not.
fn is_link_notification(link: &LinkMessage) -> bool {
    link.header.interface_family == AddressFamily::Unspec
        && !link
            .attributes
            .iter()
            .any(|a| matches!(a, LinkAttribute::Wireless(_)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_core::NetlinkHeader;
    use netlink_packet_route::address::{AddressAttribute, AddressMessage};
    use netlink_packet_route::link::{LinkFlags, WirelessEvent};
    use std::net::IpAddr;

    fn encode(message: RouteNetlinkMessage, seq: u32, port: u32) -> Vec<u8> {
        let mut packet =
            NetlinkMessage::new(NetlinkHeader::default(), NetlinkPayload::from(message));
        packet.header.sequence_number = seq;
        packet.header.port_number = port;
        packet.finalize();
        let mut out = vec![0u8; packet.buffer_len()];
        packet.serialize(&mut out);
        out
    }

    fn link_message(index: u32, name: &str, up: bool) -> LinkMessage {
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        if up {
            msg.header.flags = LinkFlags::Up | LinkFlags::LowerUp;
        }
        msg.attributes.push(LinkAttribute::IfName(name.to_owned()));
        msg
    }

    fn address_message(index: u32, addr: &str, prefix_len: u8) -> AddressMessage {
        let addr: IpAddr = addr.parse().expect("an address");
        let mut msg = AddressMessage::default();
        msg.header.index = index;
        msg.header.prefix_len = prefix_len;
        msg.header.family = if addr.is_ipv4() {
            AddressFamily::Inet
        } else {
            AddressFamily::Inet6
        };
        msg.attributes.push(AddressAttribute::Address(addr));
        msg
    }

    fn events(datagram: &[u8]) -> Vec<NetEvent> {
        let mut out = Vec::new();
        parse_datagram(datagram, &mut out);
        out
    }

    #[test]
    fn link_notifications_carry_the_state() {
        let got = events(&encode(
            RouteNetlinkMessage::NewLink(link_message(3, "eth0", true)),
            0,
            0,
        ));
        match got.as_slice() {
            [NetEvent::Link(link)] => {
                assert_eq!((link.index, link.name.as_str()), (3, "eth0"));
                assert!(link.state.is_up());
            }
            other => panic!("unexpected {other:?}"),
        }
        let got = events(&encode(
            RouteNetlinkMessage::DelLink(link_message(3, "eth0", false)),
            0,
            0,
        ));
        assert_eq!(
            got,
            [NetEvent::LinkRemoved {
                index: 3,
                name: "eth0".into()
            }]
        );
    }

    #[test]
    fn notifications_caused_by_a_request_carry_its_sequence_number_and_are_kept() {
        // `ip addr add` sets seq and its port id; the kernel copies both into the
        // notification it multicasts.
        let got = events(&encode(
            RouteNetlinkMessage::NewAddress(address_message(2, "192.0.2.7", 24)),
            1_700_000_000,
            4242,
        ));
        match got.as_slice() {
            [NetEvent::AddressAdded(a)] => {
                assert_eq!(a.addr, "192.0.2.7".parse::<IpAddr>().expect("v4"));
                assert_eq!((a.ifindex, a.prefix_len), (2, 24));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn several_messages_in_one_datagram_are_all_read_in_order() {
        let mut datagram = encode(
            RouteNetlinkMessage::NewAddress(address_message(2, "fd00::7", 64)),
            0,
            0,
        );
        datagram.extend(encode(
            RouteNetlinkMessage::DelAddress(address_message(2, "fd00::7", 64)),
            0,
            0,
        ));
        let got = events(&datagram);
        assert!(
            matches!(
                got.as_slice(),
                [NetEvent::AddressAdded(a), NetEvent::AddressRemoved(b)] if a == b && a.prefix_len == 64
            ),
            "{got:?}"
        );
    }

    #[test]
    fn bridge_port_and_wireless_notifications_are_not_link_events() {
        let mut port = link_message(4, "veth0", false);
        port.header.interface_family = AddressFamily::Bridge;
        assert!(events(&encode(RouteNetlinkMessage::DelLink(port.clone()), 0, 0)).is_empty());
        assert!(events(&encode(RouteNetlinkMessage::NewLink(port), 0, 0)).is_empty());
        let mut wireless = link_message(5, "wlan0", true);
        wireless
            .attributes
            .push(LinkAttribute::Wireless(WirelessEvent::Other(vec![0; 8])));
        assert!(!is_link_notification(&wireless));
        assert!(is_link_notification(&link_message(5, "wlan0", true)));
    }

    #[test]
    fn other_messages_are_skipped() {
        let mut msg = address_message(2, "192.0.2.7", 24);
        msg.attributes.clear(); // no address at all
        assert!(events(&encode(RouteNetlinkMessage::NewAddress(msg), 0, 0)).is_empty());
        assert!(events(&encode(
            RouteNetlinkMessage::GetLink(LinkMessage::default()),
            0,
            0
        ))
        .is_empty());
        // NLMSG_DONE and NLMSG_NOOP.
        let mut done = encode(
            RouteNetlinkMessage::NewLink(link_message(1, "lo", true)),
            0,
            0,
        );
        done[4] = 3;
        assert!(events(&done).is_empty());
        done[4] = 1;
        assert!(events(&done).is_empty());
    }

    #[test]
    fn garbage_never_panics_and_a_bad_message_does_not_hide_the_next() {
        let good = encode(
            RouteNetlinkMessage::NewLink(link_message(7, "vb", true)),
            0,
            0,
        );
        // Every truncation of a valid message.
        for len in 0..good.len() {
            let _ = events(&good[..len]);
        }
        // Lengths that lie.
        for bad_len in [0u32, 1, 15, 16, 17, u32::MAX, good.len() as u32 + 4] {
            let mut bytes = good.clone();
            bytes[..4].copy_from_slice(&bad_len.to_ne_bytes());
            let _ = events(&bytes);
        }
        // Every single-byte corruption.
        for i in 0..good.len() {
            for value in [0x00, 0x7f, 0xff] {
                let mut bytes = good.clone();
                bytes[i] = value;
                let _ = events(&bytes);
            }
        }
        // An unknown message type in front of a good one.
        let mut bytes = good.clone();
        bytes[4] = 0xee;
        bytes.extend_from_slice(&good);
        assert!(
            matches!(events(&bytes).as_slice(), [NetEvent::Link(l)] if l.index == 7),
            "{:?}",
            events(&bytes)
        );
    }
}
