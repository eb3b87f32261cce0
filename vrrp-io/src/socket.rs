//! Raw VRRP sockets (IP protocol 112) for IPv4 and IPv6 on one interface.
//!
//! One [`VrrpSocket`] per (interface, family) serves every virtual router there. It is
//! bound to its interface (SO_BINDTODEVICE), joins 224.0.0.18 or ff02::12 there while
//! any of those routers uses multicast ([`SocketConfig::join_group`],
//! [`VrrpSocket::set_join_group`]), sends with TTL / hop limit 255 and never loops its
//! own multicast back (IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP off). Received datagrams
//! come with the [`RxMeta`] that `vrrp_core::wire::decode` needs: source, destination
//! and the TTL / hop limit as received (from the IPv4 header, or from IPV6_HOPLIMIT /
//! IPV6_PKTINFO ancillary data).
//!
//! # Receiving
//! The socket is non-blocking, and its descriptor ([`AsFd`]) is what an event loop
//! polls. [`VrrpSocket::recv`] returns the next datagram, or `Err` of kind
//! [`io::ErrorKind::WouldBlock`] exactly when the kernel has nothing more queued — the
//! contract of readiness-based runtimes (tokio's `AsyncFd::try_io` clears readiness on
//! that error, and only then). Datagrams the socket drops itself (see below) are
//! counted and skipped, never reported as "nothing queued".
//!
//! [`VrrpSocket::recv_batch`] reads up to a [`RecvBatch`]'s capacity with one
//! recvmmsg(2). The work per call is bounded, so a flood on one link cannot starve the
//! others; it returns how many datagrams it kept, which may be 0 when it dropped every
//! one it read (that is not "would block": call again).
//!
//! # Sending
//! [`VrrpSocket::send`] sends one message, [`VrrpSocket::send_advert`] encodes and sends
//! one advert to a list of destinations, and [`VrrpSocket::send_batch`] sends a
//! [`SendBatch`] (the adverts of many routers that took over at once) with as few
//! sendmmsg(2) calls as possible.
//!
//! # Multicast adverts as link-layer frames
//! Adverts to the group from one of the interface's own addresses go out through an
//! AF_PACKET socket on Ethernet interfaces ([`SocketConfig::link_layer_multicast`], on by
//! default): the socket writes the IP header itself and hands the kernel the whole IP
//! packet with the group's MAC (01:00:5e:00:00:12 / 33:33:00:00:00:12; the kernel adds
//! the interface's current MAC as source). That skips the route lookup, IP output and the
//! netfilter hooks the raw socket's path runs for every datagram: about 40 % of the
//! kernel's work per advert sent (`examples/send_cost.rs`). The IP packet is the one the
//! raw socket would send: TTL / hop limit 255, protocol 112, the same source,
//! destination and TOS / traffic class, IPv4 DF as the kernel would set it, no options,
//! a valid header checksum; only the per-packet values the kernel picks itself differ
//! (the IPv4 identification: a counter of the socket's; the IPv6 flow label: a hash of
//! source and destination under a key of the socket's, 0 if the kernel would send none).
//!
//! What the kernel's IP output path would have done to these adverts no longer happens:
//! netfilter OUTPUT / POSTROUTING rules (iptables, nftables `ip`/`ip6`/`inet` tables) and
//! IPsec policies do not see them, cgroup egress programs do not run; queueing
//! disciplines, `tc` egress and nftables `netdev` egress hooks still apply, and packet
//! captures on the host still show them. Unicast adverts, adverts from an address the
//! socket does not know as the interface's, interfaces that are not Ethernet (no MAC, or
//! another link layer) and datagrams larger than the MTU (which the IP layer
//! fragments) keep the raw socket's path, as does everything when the option is off.
//!
//! # Own packets
//! With the multicast loop off the kernel does not deliver our own multicast adverts
//! back to us. Our packets can still come back from the wire (a switch port in hairpin
//! mode, a bridge loop, a unicast peer list that names ourselves), and the state machine
//! must never mistake its own advert for a peer's. So the socket also keeps a set of
//! *own addresses* — the interface's addresses of the socket's family — and drops
//! datagrams whose source is one of them (counted in [`SocketStats::own_dropped`]). The
//! virtual addresses of every router on the link are never own addresses
//! ([`SocketConfig::virtual_addresses`], [`VrrpSocket::set_virtual_addresses`]): a peer
//! may legitimately send from a VIP (FRR's IPv6 adverts come from the virtual
//! link-local), and while we hold the VIP too, that advert is exactly what resolves the
//! split brain.
//!
//! # Unicast peers
//! A router with keepalived's `unicast_peer` sends to its peers instead of the group.
//! The socket, shared by every router on the link, keeps no destination list: the
//! caller names the destination of every send ([`VrrpSocket::send_advert`] takes the
//! router's list; [`VrrpSocket::multicast_group`] is the group). Datagrams addressed to
//! any of our unicast addresses are received like multicast ones. A link where every
//! router is unicast-only need not join the group ([`SocketConfig::unicast`]).
//!
//! ```no_run
//! use std::io;
//! use vrrp_io::socket::{RecvBatch, SocketConfig, VrrpSocket, RECV_BUFFER_LEN};
//! use vrrp_core::Family;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut sock = VrrpSocket::open(&SocketConfig::multicast(Family::Ipv4, "eth0"))?;
//!
//! // One datagram at a time, until the kernel has nothing more queued.
//! let mut buf = [0u8; RECV_BUFFER_LEN];
//! loop {
//!     match sock.recv(&mut buf) {
//!         Ok(datagram) => match datagram.decode() {
//!             Ok((advert, form)) => println!("{advert:?} ({form})"),
//!             Err(e) => println!("dropped: {e}"),
//!         },
//!         Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
//!         Err(e) => return Err(e.into()),
//!     }
//! }
//!
//! // Or up to 32 per system call.
//! let mut batch = RecvBatch::new(32);
//! loop {
//!     match sock.recv_batch(&mut batch) {
//!         Ok(_kept) => {
//!             for datagram in batch.iter() {
//!                 println!("{} -> {}", datagram.meta.src, datagram.meta.dst);
//!             }
//!         }
//!         Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
//!         Err(e) => return Err(e.into()),
//!     }
//! }
//! # Ok(()) }
//! ```

use std::collections::hash_map::RandomState;
use std::collections::HashSet;
use std::hash::BuildHasher;
use std::io::{self, IoSlice};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use socket2::{Domain, InterfaceIndexOrAddress, MsgHdr, Protocol, SockAddr, Socket, Type};
use vrrp_core::wire::{
    self, checksum_finish, checksum_sum, AdvertRepr, ChecksumForm, ChecksumMode, DecodeError,
    RxMeta, IP_PROTOCOL_VRRP, VRRP_MULTICAST_V4, VRRP_MULTICAST_V6,
};
use vrrp_core::Family;

use crate::cmsg;
use crate::error::{Error, Result};
use crate::mac::MacAddr;
use crate::netlink::{validate_ifname, Netlink};
use crate::packet::{ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use crate::sys;

/// A receive buffer of this size holds any VRRP datagram: an IPv4 header with options (60)
/// plus a VRRPv2 message with 255 addresses (1,036), or a VRRPv3/IPv6 message with 255
/// addresses (4,088; raw IPv6 sockets deliver no IP header).
pub const RECV_BUFFER_LEN: usize = 4096;

/// IP precedence "internetwork control" (0xc0), the TOS / traffic class keepalived
/// sends VRRP with.
const TOS_INTERNETWORK_CONTROL: u32 = 0xc0;

/// Control buffer of one outgoing message: an IP_PKTINFO or IPV6_PKTINFO message.
const SEND_CONTROL_LEN: usize = cmsg::space(cmsg::IN6_PKTINFO_LEN);

/// An IPv4 header without options.
const IPV4_HEADER_LEN: usize = 20;
/// An IPv6 header; also room for either header.
const IPV6_HEADER_LEN: usize = 40;
/// The TTL / hop limit of every advert (RFC 9568 section 5.1.1.3 / 5.1.2.3).
const VRRP_TTL: u8 = 255;

/// How a [`VrrpSocket`] is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketConfig {
    /// IPv4 or IPv6.
    pub family: Family,
    /// The interface name, e.g. `eth0`.
    pub interface: String,
    /// Join the VRRP multicast group (224.0.0.18 / ff02::12) on the interface: true when
    /// any router on the link uses multicast, false when every one of them is
    /// unicast-only. Changed later with [`VrrpSocket::set_join_group`].
    pub join_group: bool,
    /// The virtual addresses of every router on this interface: never treated as own
    /// addresses (see the [module documentation](self)). Replaced later with
    /// [`VrrpSocket::set_virtual_addresses`].
    pub virtual_addresses: Vec<IpAddr>,
    /// SO_RCVBUF in bytes; `None` keeps the system default.
    pub recv_buffer_size: Option<usize>,
    /// Send adverts to the group as link-layer frames through an AF_PACKET socket, with
    /// an IP header of our own, where the interface allows (see the
    /// [module documentation](self)); `false` sends everything through the raw IP
    /// socket. On by default.
    pub link_layer_multicast: bool,
}

impl SocketConfig {
    /// A socket for multicast routers of `family` on `interface`: joins the VRRP group.
    pub fn multicast(family: Family, interface: &str) -> Self {
        SocketConfig {
            family,
            interface: interface.to_owned(),
            join_group: true,
            virtual_addresses: Vec::new(),
            recv_buffer_size: None,
            link_layer_multicast: true,
        }
    }

    /// A socket for unicast-only routers (keepalived's `unicast_peer`) of `family` on
    /// `interface`: does not join the group. The peers are named per send.
    pub fn unicast(family: Family, interface: &str) -> Self {
        SocketConfig {
            join_group: false,
            ..SocketConfig::multicast(family, interface)
        }
    }
}

/// Counters of a [`VrrpSocket`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SocketStats {
    /// Datagrams handed to the caller.
    pub received: u64,
    /// Datagrams sent.
    pub sent: u64,
    /// Dropped because their source is one of our own addresses.
    pub own_dropped: u64,
    /// Dropped because they did not fit the receive buffer.
    pub truncated: u64,
    /// Dropped because the IP header or ancillary data made no sense.
    pub malformed: u64,
    /// Dropped because they arrived on another interface.
    pub wrong_interface: u64,
}

/// One received VRRP datagram: the IP-level facts and the VRRP message bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Datagram<'a> {
    /// Source, destination, TTL / hop limit.
    pub meta: RxMeta,
    /// The VRRP message (the IP header removed).
    pub payload: &'a [u8],
}

impl<'a> Datagram<'a> {
    /// Runs `vrrp_core::wire::decode` on the datagram: every receiver-independent check of
    /// RFC 9568 section 7.1, TTL / hop limit 255 included.
    pub fn decode(&self) -> Result<(AdvertRepr<'a>, ChecksumForm), DecodeError> {
        wire::decode(self.payload, &self.meta)
    }
}

/// Reusable buffers for [`VrrpSocket::recv_batch`]: room for `n` datagrams of
/// [`RECV_BUFFER_LEN`] bytes with their ancillary data (about `n` × 4.2 KiB), and the
/// datagrams the last call kept.
pub struct RecvBatch {
    bufs: Vec<u8>,
    controls: Vec<u8>,
    kept: Vec<Kept>,
    mmsg: sys::RecvMmsg,
}

/// A datagram kept by the last [`VrrpSocket::recv_batch`]: its metadata and where its
/// payload lies in the batch's buffers.
#[derive(Debug, Clone, Copy)]
struct Kept {
    meta: RxMeta,
    slot: usize,
    start: usize,
    end: usize,
}

impl RecvBatch {
    /// The batch size the crate's event loops use.
    pub const DEFAULT_LEN: usize = 32;

    /// Buffers for `n` datagrams per call; `n` is clamped to 1..=1024 (the kernel's
    /// UIO_MAXIOV, beyond which recvmmsg ignores the rest).
    pub fn new(n: usize) -> Self {
        let n = n.clamp(1, sys::MAX_MMSG);
        RecvBatch {
            bufs: vec![0; n * RECV_BUFFER_LEN],
            controls: vec![0; n * cmsg::RECV_CONTROL_LEN],
            kept: Vec::with_capacity(n),
            mmsg: sys::RecvMmsg::new(n),
        }
    }

    /// Datagrams one call reads at most.
    pub fn capacity(&self) -> usize {
        self.bufs.len() / RECV_BUFFER_LEN
    }

    /// Datagrams the last [`VrrpSocket::recv_batch`] kept.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    /// True when the last [`VrrpSocket::recv_batch`] kept nothing (or failed).
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// The datagrams the last [`VrrpSocket::recv_batch`] kept, in the order received.
    pub fn iter(&self) -> impl Iterator<Item = Datagram<'_>> + '_ {
        self.kept.iter().filter_map(move |k| {
            let base = k.slot * RECV_BUFFER_LEN;
            self.bufs
                .get(base + k.start..base + k.end)
                .map(|payload| Datagram {
                    meta: k.meta,
                    payload,
                })
        })
    }
}

impl Default for RecvBatch {
    fn default() -> Self {
        RecvBatch::new(RecvBatch::DEFAULT_LEN)
    }
}

impl std::fmt::Debug for RecvBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecvBatch")
            .field("capacity", &self.capacity())
            .field("kept", &self.kept.len())
            .finish_non_exhaustive()
    }
}

/// Reusable messages for [`VrrpSocket::send_batch`]: up to `n` datagrams, each a copy of
/// its payload with its source and destination. All of one family.
#[derive(Debug)]
pub struct SendBatch {
    /// Slots in use: `..len`; the rest keep their allocations for reuse.
    slots: Vec<SendSlot>,
    len: usize,
    capacity: usize,
    mmsg: sys::SendMmsg,
}

/// One queued datagram. `addr` and `control` (raw socket), or `header` (link layer), are
/// filled in when it is sent: they depend on the socket.
#[derive(Debug)]
struct SendSlot {
    payload: Vec<u8>,
    src: IpAddr,
    dst: IpAddr,
    addr: SockAddr,
    control: [u8; SEND_CONTROL_LEN],
    control_len: usize,
    /// The IP header when the datagram goes out as a link-layer frame; `header_len` 0
    /// when it goes through the raw socket.
    header: [u8; IPV6_HEADER_LEN],
    header_len: usize,
}

impl SendBatch {
    /// The batch size the crate's event loops use.
    pub const DEFAULT_LEN: usize = 32;

    /// Room for `n` datagrams; `n` is clamped to 1..=1024 (the kernel's UIO_MAXIOV).
    pub fn new(n: usize) -> Self {
        let n = n.clamp(1, sys::MAX_MMSG);
        SendBatch {
            slots: Vec::with_capacity(n),
            len: 0,
            capacity: n,
            mmsg: sys::SendMmsg::new(n),
        }
    }

    /// Queues a copy of `payload` (a VRRP message as emitted by `AdvertRepr::emit`) to
    /// be sent from `src` to `dst`; see [`VrrpSocket::send`] for what they mean.
    ///
    /// Errors: [`Error::FamilyMismatch`] when `src` and `dst`, or they and the datagrams
    /// already queued, are of different families; [`Error::BatchFull`] when the batch
    /// holds its capacity (send it first).
    pub fn push(&mut self, payload: &[u8], src: IpAddr, dst: IpAddr) -> Result<()> {
        let family = self.family().unwrap_or(Family::of(&src));
        check_family(family, src)?;
        check_family(family, dst)?;
        if self.len >= self.capacity {
            return Err(Error::BatchFull {
                capacity: self.capacity,
            });
        }
        if let Some(slot) = self.slots.get_mut(self.len) {
            slot.payload.clear();
            slot.payload.extend_from_slice(payload);
            slot.src = src;
            slot.dst = dst;
            slot.control_len = 0;
            slot.header_len = 0;
        } else {
            self.slots.push(SendSlot {
                payload: payload.to_vec(),
                src,
                dst,
                addr: SockAddr::from(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)),
                control: [0; SEND_CONTROL_LEN],
                control_len: 0,
                header: [0; IPV6_HEADER_LEN],
                header_len: 0,
            });
        }
        self.len += 1;
        Ok(())
    }

    /// The family of the queued datagrams; `None` when empty.
    pub fn family(&self) -> Option<Family> {
        self.queued().first().map(|s| Family::of(&s.dst))
    }

    /// Datagrams queued.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when the batch holds its capacity: [`SendBatch::push`] would fail.
    pub fn is_full(&self) -> bool {
        self.len >= self.capacity
    }

    /// Datagrams the batch holds at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Forgets the queued datagrams (keeping the buffers for reuse).
    pub fn clear(&mut self) {
        self.len = 0;
    }

    fn queued(&self) -> &[SendSlot] {
        self.slots.get(..self.len).unwrap_or(&[])
    }
}

impl Default for SendBatch {
    fn default() -> Self {
        SendBatch::new(SendBatch::DEFAULT_LEN)
    }
}

/// A raw VRRP socket on one interface. See the [module documentation](self).
#[derive(Debug)]
pub struct VrrpSocket {
    socket: Socket,
    /// Multicast adverts as link-layer frames; `None`: everything through `socket`.
    link: Option<LinkSender>,
    family: Family,
    interface: String,
    ifindex: u32,
    joined: bool,
    rx: RxFilter,
    stats: SocketStats,
}

impl VrrpSocket {
    /// Opens the socket: looks the interface up and reads its addresses (the own-address
    /// set) over a netlink socket of its own, then does what [`VrrpSocket::open_with`]
    /// does.
    ///
    /// Errors: [`Error::InterfaceNotFound`], [`Error::NeedsCapNetRaw`].
    pub fn open(config: &SocketConfig) -> Result<Self> {
        validate_ifname(&config.interface)?;
        let mut netlink = Netlink::open()?;
        let ifindex = netlink.ifindex(&config.interface)?;
        let own = netlink
            .interface_addresses(ifindex)?
            .into_iter()
            .map(|a| a.addr);
        VrrpSocket::open_with(config, ifindex, own)
    }

    /// Opens the socket on the interface `config.interface` whose index is `ifindex`,
    /// with `own_addresses` (addresses of the other family are ignored) as the
    /// own-address set: creates the raw socket and sets every option described in the
    /// [module documentation](self). Opens no netlink socket, for callers that already
    /// know the interface (an event loop serving many links); the name and index must
    /// belong to the same interface.
    ///
    /// Errors: [`Error::InterfaceNotFound`] (no interface of that name),
    /// [`Error::InterfaceIndexNotFound`] (an index of 0 or beyond the kernel's range),
    /// [`Error::NeedsCapNetRaw`].
    pub fn open_with(
        config: &SocketConfig,
        ifindex: u32,
        own_addresses: impl IntoIterator<Item = IpAddr>,
    ) -> Result<Self> {
        validate_ifname(&config.interface)?;
        if ifindex == 0 {
            return Err(Error::InterfaceIndexNotFound { ifindex });
        }
        let socket = open_raw(config, ifindex)?;
        // Without it (no Ethernet interface, AF_PACKET refused) the raw socket sends all.
        let link = if config.link_layer_multicast {
            LinkSender::open(&socket, config.family, ifindex)
                .ok()
                .flatten()
        } else {
            None
        };
        let mut sock = VrrpSocket {
            socket,
            link,
            family: config.family,
            interface: config.interface.clone(),
            ifindex,
            joined: config.join_group,
            rx: RxFilter::default(),
            stats: SocketStats::default(),
        };
        sock.set_virtual_addresses(config.virtual_addresses.iter().copied());
        sock.set_own_addresses(own_addresses);
        Ok(sock)
    }

    /// The address family.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The interface name.
    pub fn interface(&self) -> &str {
        &self.interface
    }

    /// The interface index.
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// The VRRP multicast group of the socket's family: 224.0.0.18 or ff02::12.
    pub fn multicast_group(&self) -> IpAddr {
        match self.family {
            Family::Ipv4 => IpAddr::V4(VRRP_MULTICAST_V4),
            Family::Ipv6 => IpAddr::V6(VRRP_MULTICAST_V6),
        }
    }

    /// True while the socket is a member of the VRRP multicast group.
    pub fn joined_group(&self) -> bool {
        self.joined
    }

    /// True when adverts to the group go out as link-layer frames: asked for with
    /// [`SocketConfig::link_layer_multicast`], and the interface is Ethernet.
    pub fn link_layer_multicast(&self) -> bool {
        self.link.is_some()
    }

    /// Joins (`true`) or leaves (`false`) the VRRP multicast group on the interface, as
    /// routers that use multicast come to or leave the link. Doing what is already done
    /// is a success, and so is leaving after the interface went away (the kernel dropped
    /// the membership then).
    pub fn set_join_group(&mut self, join: bool) -> Result<()> {
        if join == self.joined {
            return Ok(());
        }
        set_membership(&self.socket, self.family, self.ifindex, join)?;
        self.joined = join;
        Ok(())
    }

    /// The own-address set less the virtual addresses: datagrams from these sources are
    /// dropped.
    pub fn own_addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.rx
            .own
            .iter()
            .copied()
            .filter(|a| !self.rx.virtual_addresses.contains(a))
    }

    /// Replaces the own-address set (after an address change on the interface, say).
    /// Addresses of the other family are ignored; virtual addresses are never own.
    pub fn set_own_addresses(&mut self, addrs: impl IntoIterator<Item = IpAddr>) {
        let family = self.family;
        self.rx.own = addrs
            .into_iter()
            .filter(|a| Family::of(a) == family)
            .collect();
    }

    /// The virtual addresses of the routers on the link: never own addresses.
    pub fn virtual_addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.rx.virtual_addresses.iter().copied()
    }

    /// Replaces the virtual addresses of the routers on the link (as routers are added
    /// or removed): from now on, datagrams from them are received even if they are
    /// also among the interface's addresses.
    pub fn set_virtual_addresses(&mut self, addrs: impl IntoIterator<Item = IpAddr>) {
        self.rx.virtual_addresses = addrs.into_iter().collect();
    }

    /// Re-reads the interface's addresses of this family into the own-address set
    /// (after an address change on the interface, say).
    pub fn refresh_own_addresses(&mut self, netlink: &mut Netlink) -> Result<()> {
        let addrs = netlink.interface_addresses(self.ifindex)?;
        self.set_own_addresses(addrs.into_iter().map(|a| a.addr));
        Ok(())
    }

    /// Counters since the socket was opened.
    pub fn stats(&self) -> SocketStats {
        self.stats
    }

    /// Receives the next VRRP datagram into `buf` (use [`RECV_BUFFER_LEN`] bytes) and
    /// returns it with its IP metadata.
    ///
    /// Returns `Err` of kind [`io::ErrorKind::WouldBlock`] exactly when the kernel has
    /// nothing more queued; other errors are the kernel's. Datagrams from our own
    /// addresses, truncated ones, ones with a nonsensical IP header or ancillary data,
    /// and ones that arrived on another interface are dropped, counted in
    /// [`VrrpSocket::stats`] and skipped: the call goes on to the next one. Nothing from
    /// the network can make this panic. The VRRP message itself is not checked here:
    /// call [`Datagram::decode`].
    ///
    /// Under a flood of dropped datagrams this reads until the queue is empty; to bound
    /// the work per call use [`VrrpSocket::recv_batch`].
    pub fn recv<'b>(&mut self, buf: &'b mut [u8]) -> io::Result<Datagram<'b>> {
        let mut control = [0u8; cmsg::RECV_CONTROL_LEN];
        let control_cap = match self.family {
            Family::Ipv4 => 0,
            Family::Ipv6 => control.len(),
        };
        loop {
            let (received, from) = match sys::recvmsg(
                self.socket.as_fd(),
                buf,
                &mut control[..control_cap],
                libc::MSG_DONTWAIT,
            ) {
                Ok(r) => r,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let parsed = match self.family {
                Family::Ipv4 => parse_v4(&received, buf),
                Family::Ipv6 => parse_v6(
                    &received,
                    from.as_socket().map(|a| a.ip()),
                    &control,
                    buf.len(),
                    self.ifindex,
                ),
            };
            if let Some((meta, start, end)) = self.rx.admit(parsed, &mut self.stats) {
                // The parsers return ranges within `buf`; checked again so that this can
                // never panic.
                if start <= end && end <= buf.len() {
                    return Ok(Datagram {
                        meta,
                        payload: &buf[start..end],
                    });
                }
            }
        }
    }

    /// Receives up to `batch.capacity()` datagrams with one recvmmsg(2) and keeps those
    /// that pass the checks of [`VrrpSocket::recv`]; [`RecvBatch::iter`] gives them.
    ///
    /// Returns `Err` of kind [`io::ErrorKind::WouldBlock`] when nothing was queued, and
    /// otherwise the number of datagrams kept — 0 when every datagram read was dropped,
    /// which is not "would block": more may be queued. One call reads one batch at most,
    /// so a flood cannot starve the caller.
    pub fn recv_batch(&mut self, batch: &mut RecvBatch) -> io::Result<usize> {
        batch.kept.clear();
        let control_len = match self.family {
            Family::Ipv4 => 0,
            Family::Ipv6 => cmsg::RECV_CONTROL_LEN,
        };
        let n = loop {
            match batch.mmsg.recv(
                self.socket.as_fd(),
                &mut batch.bufs,
                RECV_BUFFER_LEN,
                &mut batch.controls,
                control_len,
                libc::MSG_DONTWAIT,
            ) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        for slot in 0..n {
            let Some((received, src)) = batch.mmsg.received(slot) else {
                continue;
            };
            let buf = batch
                .bufs
                .get(slot * RECV_BUFFER_LEN..(slot + 1) * RECV_BUFFER_LEN)
                .unwrap_or(&[]);
            let parsed = match self.family {
                Family::Ipv4 => parse_v4(&received, buf),
                Family::Ipv6 => {
                    let control = batch
                        .controls
                        .get(slot * control_len..(slot + 1) * control_len)
                        .unwrap_or(&[]);
                    parse_v6(&received, src, control, buf.len(), self.ifindex)
                }
            };
            if let Some((meta, start, end)) = self.rx.admit(parsed, &mut self.stats) {
                batch.kept.push(Kept {
                    meta,
                    slot,
                    start,
                    end,
                });
            }
        }
        Ok(batch.kept.len())
    }

    /// Encodes `repr` for each of `destinations` (the VRRPv3 checksum covers the
    /// destination) and sends it from `src`. Stops at the first error.
    ///
    /// The destinations are one router's: `[sock.multicast_group()]`, or its unicast
    /// peers. A socket serves every router on its link and keeps no list of its own.
    pub fn send_advert(
        &mut self,
        repr: &AdvertRepr<'_>,
        src: IpAddr,
        destinations: &[IpAddr],
        mode: ChecksumMode,
    ) -> Result<()> {
        let mut buf = [0u8; RECV_BUFFER_LEN];
        for &dst in destinations {
            let len = repr.emit(&mut buf, src, dst, mode)?;
            let payload = buf.get(..len).unwrap_or(&[]);
            self.send(payload, src, dst)?;
        }
        Ok(())
    }

    /// Sends one VRRP message (`payload`, as emitted by `AdvertRepr::emit`) from `src` to
    /// `dst` on the socket's interface, with TTL / hop limit 255. Through the raw socket
    /// the kernel builds the IP header, `src` is chosen with IP_PKTINFO / IPV6_PKTINFO and
    /// must be an address of this host (for IPv6 normally the interface's link-local, RFC
    /// 9568 section 5.1.2.1), and an unspecified `src` (0.0.0.0, ::) lets the kernel
    /// choose; adverts to the group from one of the interface's addresses may go out as
    /// link-layer frames instead (see the [module documentation](self)).
    pub fn send(&mut self, payload: &[u8], src: IpAddr, dst: IpAddr) -> Result<()> {
        let mut header = [0u8; IPV6_HEADER_LEN];
        if let Some(len) = self.link_header(src, dst, payload.len(), &mut header) {
            if let Some(link) = &self.link {
                match link.send(header.get(..len).unwrap_or(&[]), payload) {
                    Ok(()) => {
                        self.stats.sent += 1;
                        return Ok(());
                    }
                    // Dropped by the queueing discipline: not an error on the raw socket
                    // either (without IP_RECVERR), and the next advert follows.
                    Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                        self.stats.sent += 1;
                        return Ok(());
                    }
                    // Beyond the MTU: the raw socket's IP layer fragments it.
                    Err(e) if e.raw_os_error() == Some(libc::EMSGSIZE) => {}
                    Err(e) => return Err(Error::socket("send VRRP advertisement", e)),
                }
            }
        }
        let mut control = [0u8; SEND_CONTROL_LEN];
        let (addr, control_len) = destination(self.family, self.ifindex, src, dst, &mut control)?;
        let control = control.get(..control_len).unwrap_or(&[]);
        let iov = [IoSlice::new(payload)];
        let msg = MsgHdr::new()
            .with_addr(&addr)
            .with_buffers(&iov)
            .with_control(control);
        loop {
            match self.socket.sendmsg(&msg, 0) {
                Ok(n) if n == payload.len() => {
                    self.stats.sent += 1;
                    return Ok(());
                }
                Ok(_) => {
                    return Err(Error::Io {
                        what: "send VRRP advertisement",
                        source: partial_send(),
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::socket("send VRRP advertisement", e)),
            }
        }
    }

    /// Sends every datagram queued in `batch`, in order, with as few sendmmsg(2) calls
    /// as possible (the kernel may take a batch in several parts; EINTR is retried),
    /// then clears the batch. Returns how many were sent: all of them.
    ///
    /// On the first datagram the kernel refuses it stops with [`Error::BatchSend`], which
    /// says how many went out before (`sent`); the refused one and the rest are dropped
    /// with the batch (adverts are periodic: the next interval sends fresh ones). Any
    /// other error ([`Error::FamilyMismatch`] for a batch of the other family) means
    /// nothing was sent.
    pub fn send_batch(&mut self, batch: &mut SendBatch) -> Result<usize> {
        let result = self.send_queued(batch);
        batch.clear();
        result
    }

    fn send_queued(&mut self, batch: &mut SendBatch) -> Result<usize> {
        let queued = batch.len;
        let SendBatch { slots, mmsg, .. } = batch;
        let slots = slots.get_mut(..queued).unwrap_or(&mut []);
        for slot in slots.iter_mut() {
            slot.header_len = self
                .link_header(slot.src, slot.dst, slot.payload.len(), &mut slot.header)
                .unwrap_or(0);
            if slot.header_len == 0 {
                self.prepare_raw(slot)?;
            }
        }
        // Runs of datagrams of the same path, in order: one sendmmsg each (or more, as
        // the kernel takes them).
        let mut sent = 0;
        while sent < queued {
            let rest = slots.get(sent..).unwrap_or(&[]);
            let link = rest.first().is_some_and(|s| s.header_len > 0);
            let run = rest
                .iter()
                .take_while(|s| (s.header_len > 0) == link)
                .count();
            let rest = rest.get(..run).unwrap_or(&[]);
            let result = match (&self.link, link) {
                (Some(l), true) => {
                    let msgs = rest.iter().map(|s| sys::OutMsg {
                        addr: &l.group,
                        header: s.header.get(..s.header_len).unwrap_or(&[]),
                        payload: &s.payload,
                        control: &[],
                    });
                    mmsg.send(l.socket.as_fd(), msgs, 0)
                }
                _ => {
                    let msgs = rest.iter().map(|s| sys::OutMsg {
                        addr: &s.addr,
                        header: &[],
                        payload: &s.payload,
                        control: s.control.get(..s.control_len).unwrap_or(&[]),
                    });
                    mmsg.send(self.socket.as_fd(), msgs, 0)
                }
            };
            let error = match result {
                Ok(n) if n > 0 => {
                    let whole = rest
                        .iter()
                        .take(n)
                        .enumerate()
                        .take_while(|(i, s)| {
                            mmsg.sent_len(*i) == Some(s.header_len + s.payload.len())
                        })
                        .count();
                    sent += whole;
                    self.stats.sent += whole as u64;
                    if whole == n {
                        continue;
                    }
                    partial_send()
                }
                Ok(_) => io::Error::new(io::ErrorKind::WriteZero, "sendmmsg sent nothing"),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // As in `send`: a frame the queueing discipline dropped counts as sent,
                // one beyond the MTU goes through the raw socket.
                Err(e) if link && e.raw_os_error() == Some(libc::ENOBUFS) => {
                    sent += 1;
                    self.stats.sent += 1;
                    continue;
                }
                Err(e) if link && e.raw_os_error() == Some(libc::EMSGSIZE) => {
                    if let Some(slot) = slots.get_mut(sent) {
                        slot.header_len = 0;
                        self.prepare_raw(slot)?;
                    }
                    continue;
                }
                Err(e) => e,
            };
            return Err(Error::BatchSend {
                sent,
                queued,
                source: error,
            });
        }
        Ok(sent)
    }

    /// Fills in the destination address and IP_PKTINFO / IPV6_PKTINFO of a datagram for
    /// the raw socket.
    fn prepare_raw(&self, slot: &mut SendSlot) -> Result<()> {
        let (addr, control_len) = destination(
            self.family,
            self.ifindex,
            slot.src,
            slot.dst,
            &mut slot.control,
        )?;
        slot.addr = addr;
        slot.control_len = control_len;
        Ok(())
    }

    /// Writes into `out` the IP header for sending `payload_len` bytes from `src` to
    /// `dst` as a link-layer frame and returns its length; `None` when the datagram takes
    /// the raw socket (see the [module documentation](self)).
    fn link_header(
        &mut self,
        src: IpAddr,
        dst: IpAddr,
        payload_len: usize,
        out: &mut [u8; IPV6_HEADER_LEN],
    ) -> Option<usize> {
        // An address the kernel may not accept as a source (not, or no longer, the
        // interface's) is left to the raw socket, which checks.
        if dst != self.multicast_group() || !self.rx.own.contains(&src) {
            return None;
        }
        let link = self.link.as_mut()?;
        link.headers.write(src, dst, payload_len, out)
    }
}

impl AsFd for VrrpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

impl AsRawFd for VrrpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }
}

/// The sending half of link-layer multicast: an AF_PACKET datagram socket on the
/// interface (the kernel adds the Ethernet header: the group's MAC, the interface's
/// current MAC, the EtherType) and what the raw socket's IP headers carry.
#[derive(Debug)]
struct LinkSender {
    /// SOCK_DGRAM, protocol 0 (it receives nothing), bound to the interface.
    socket: Socket,
    /// The interface, the EtherType and the group's MAC.
    group: SockAddr,
    headers: HeaderTemplate,
}

/// What the IP headers of link-layer adverts carry besides addresses and length: the raw
/// socket's settings, and stand-ins for the per-packet values the kernel picks.
#[derive(Debug)]
struct HeaderTemplate {
    /// IPv4 TOS / IPv6 traffic class, as set on the raw socket.
    tos: u8,
    /// IPv4 DF, as the kernel sets it for the raw socket (path MTU discovery).
    dont_fragment: bool,
    /// Key of the IPv6 flow labels; `None` sends 0, as the kernel does when automatic
    /// flow labels are off.
    flow_labels: Option<RandomState>,
    /// The next IPv4 identification.
    next_id: u16,
}

impl LinkSender {
    /// A sender for `ifindex`, copying the raw socket's header fields; `Ok(None)` when
    /// the interface is not Ethernet.
    fn open(raw: &Socket, family: Family, ifindex: u32) -> io::Result<Option<LinkSender>> {
        let socket = Socket::new(Domain::PACKET, Type::DGRAM, None)?;
        socket.set_nonblocking(true)?;
        socket.bind(&sys::packet_sockaddr(ifindex, 0, MacAddr::ZERO)?)?;
        let hatype = sys::packet_sockaddr_hatype(socket.local_addr()?);
        if hatype != Some(libc::ARPHRD_ETHER) {
            return Ok(None);
        }
        let (ethertype, mac, tos) = match family {
            Family::Ipv4 => (
                ETHERTYPE_IPV4,
                MacAddr::ipv4_multicast(VRRP_MULTICAST_V4),
                raw.tos()?,
            ),
            Family::Ipv6 => (
                ETHERTYPE_IPV6,
                MacAddr::ipv6_multicast(VRRP_MULTICAST_V6),
                raw.tclass_v6()?,
            ),
        };
        // The kernel sets DF for path MTU discovery: modes "want", "do" and "probe"
        // (net.ipv4.ip_no_pmtu_disc makes it "dont").
        let dont_fragment = family == Family::Ipv4
            && matches!(
                sys::getsockopt_int(raw.as_fd(), libc::IPPROTO_IP, libc::IP_MTU_DISCOVER)?,
                libc::IP_PMTUDISC_WANT | libc::IP_PMTUDISC_DO | libc::IP_PMTUDISC_PROBE
            );
        let flow_labels = (family == Family::Ipv6
            && sys::getsockopt_int(raw.as_fd(), libc::IPPROTO_IPV6, libc::IPV6_AUTOFLOWLABEL)
                .is_ok_and(|on| on != 0))
        .then(RandomState::new);
        Ok(Some(LinkSender {
            socket,
            group: sys::packet_sockaddr(ifindex, ethertype, mac)?,
            headers: HeaderTemplate {
                tos: u8::try_from(tos).unwrap_or(0),
                dont_fragment,
                flow_labels,
                next_id: RandomState::new().hash_one(ifindex) as u16,
            },
        }))
    }

    /// Sends one IP packet (`header`, then `payload`) to the group.
    fn send(&self, header: &[u8], payload: &[u8]) -> io::Result<()> {
        let iov = [IoSlice::new(header), IoSlice::new(payload)];
        let msg = MsgHdr::new().with_addr(&self.group).with_buffers(&iov);
        loop {
            match self.socket.sendmsg(&msg, 0) {
                Ok(n) if n == header.len() + payload.len() => return Ok(()),
                Ok(_) => return Err(partial_send()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

impl HeaderTemplate {
    /// Writes the IP header of a `payload_len`-byte VRRP message from `src` to `dst` into
    /// `out`; returns its length, or `None` when the datagram is too long for one.
    fn write(
        &mut self,
        src: IpAddr,
        dst: IpAddr,
        payload_len: usize,
        out: &mut [u8; IPV6_HEADER_LEN],
    ) -> Option<usize> {
        match (src, dst) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => {
                let total_len = u16::try_from(IPV4_HEADER_LEN + payload_len).ok()?;
                let h = &mut out[..IPV4_HEADER_LEN];
                h[0] = 0x45; // version 4, 5 words: no options
                h[1] = self.tos;
                h[2..4].copy_from_slice(&total_len.to_be_bytes());
                h[4..6].copy_from_slice(&self.next_id.to_be_bytes());
                let flags: u16 = if self.dont_fragment { 0x4000 } else { 0 };
                h[6..8].copy_from_slice(&flags.to_be_bytes());
                h[8] = VRRP_TTL;
                h[9] = IP_PROTOCOL_VRRP;
                h[10..12].fill(0);
                h[12..16].copy_from_slice(&src.octets());
                h[16..20].copy_from_slice(&dst.octets());
                let checksum = checksum_finish(checksum_sum(0, h));
                h[10..12].copy_from_slice(&checksum.to_be_bytes());
                self.next_id = self.next_id.wrapping_add(1);
                Some(IPV4_HEADER_LEN)
            }
            (IpAddr::V6(src), IpAddr::V6(dst)) => {
                let payload_len = u16::try_from(payload_len).ok()?;
                // A flow's label is stable and non-zero, like the kernel's automatic one.
                let label = self
                    .flow_labels
                    .as_ref()
                    .map_or(0, |key| (key.hash_one((src, dst)) as u32 & 0xf_ffff).max(1));
                let first = (6 << 28) | (u32::from(self.tos) << 20) | label;
                out[0..4].copy_from_slice(&first.to_be_bytes());
                out[4..6].copy_from_slice(&payload_len.to_be_bytes());
                out[6] = IP_PROTOCOL_VRRP;
                out[7] = VRRP_TTL;
                out[8..24].copy_from_slice(&src.octets());
                out[24..40].copy_from_slice(&dst.octets());
                Some(IPV6_HEADER_LEN)
            }
            _ => None,
        }
    }
}

/// Why a datagram was dropped before reaching the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Discard {
    Truncated,
    Malformed,
    WrongInterface,
}

/// A received datagram's metadata and payload range, or why it was discarded.
type Parsed = std::result::Result<(RxMeta, usize, usize), Discard>;

/// The receive-side checks that need more than the datagram: own addresses.
#[derive(Debug, Default)]
struct RxFilter {
    /// The interface's addresses of the socket's family.
    own: HashSet<IpAddr>,
    /// The routers' virtual addresses: never own.
    virtual_addresses: HashSet<IpAddr>,
}

impl RxFilter {
    fn is_own(&self, src: &IpAddr) -> bool {
        self.own.contains(src) && !self.virtual_addresses.contains(src)
    }

    /// Passes a parsed datagram on, or counts why it is dropped.
    fn admit(&self, parsed: Parsed, stats: &mut SocketStats) -> Option<(RxMeta, usize, usize)> {
        match parsed {
            Ok((meta, ..)) if self.is_own(&meta.src) => {
                stats.own_dropped += 1;
                None
            }
            Ok(ok) => {
                stats.received += 1;
                Some(ok)
            }
            Err(Discard::Truncated) => {
                stats.truncated += 1;
                None
            }
            Err(Discard::Malformed) => {
                stats.malformed += 1;
                None
            }
            Err(Discard::WrongInterface) => {
                stats.wrong_interface += 1;
                None
            }
        }
    }
}

/// A datagram from an IPv4 raw socket, which delivers the IP header too: `buf` holds it.
fn parse_v4(received: &sys::Received, buf: &[u8]) -> Parsed {
    if received.truncated {
        return Err(Discard::Truncated);
    }
    let bytes = buf.get(..received.len).ok_or(Discard::Truncated)?;
    parse_ipv4(bytes).ok_or(Discard::Malformed)
}

/// A datagram from an IPv6 raw socket: the payload only (`len` bytes in a buffer of
/// `buf_len`), the source from the socket address, the rest from the ancillary data in
/// `control`. It must have arrived on `ifindex`.
fn parse_v6(
    received: &sys::Received,
    src: Option<IpAddr>,
    control: &[u8],
    buf_len: usize,
    ifindex: u32,
) -> Parsed {
    if received.truncated {
        return Err(Discard::Truncated);
    }
    if received.control_truncated || received.len > buf_len {
        return Err(Discard::Malformed);
    }
    let control = control.get(..received.control_len).unwrap_or(control);
    let info = cmsg::parse_ipv6_rx(control);
    let (Some(IpAddr::V6(src)), Some(hop_limit), Some((dst, arrived_on))) =
        (src, info.hop_limit, info.pktinfo)
    else {
        return Err(Discard::Malformed);
    };
    if arrived_on != ifindex {
        return Err(Discard::WrongInterface);
    }
    Ok((RxMeta::v6(src, dst, hop_limit), 0, received.len))
}

fn check_family(family: Family, addr: IpAddr) -> Result<()> {
    if Family::of(&addr) == family {
        Ok(())
    } else {
        Err(Error::FamilyMismatch { family, addr })
    }
}

fn partial_send() -> io::Error {
    io::Error::new(io::ErrorKind::WriteZero, "datagram sent partially")
}

/// The socket address of `dst` and, written into `control`, the IP_PKTINFO /
/// IPV6_PKTINFO message that sends from `src` on `ifindex`; returns the address and the
/// control bytes used.
fn destination(
    family: Family,
    ifindex: u32,
    src: IpAddr,
    dst: IpAddr,
    control: &mut [u8; SEND_CONTROL_LEN],
) -> Result<(SockAddr, usize)> {
    check_family(family, src)?;
    check_family(family, dst)?;
    let (addr, control_len) = match (src, dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => (
            SockAddr::from(SocketAddrV4::new(dst, 0)),
            cmsg::ip_pktinfo(control, ifindex, src),
        ),
        (IpAddr::V6(src), IpAddr::V6(dst)) => {
            let scope = if needs_scope(dst) { ifindex } else { 0 };
            (
                SockAddr::from(SocketAddrV6::new(dst, 0, 0, scope)),
                cmsg::ipv6_pktinfo(control, ifindex, src),
            )
        }
        _ => return Err(Error::FamilyMismatch { family, addr: dst }),
    };
    // The buffer is sized for the larger message, so writing it cannot fail.
    Ok((addr, control_len.unwrap_or(0)))
}

/// Link-local unicast and link-scope multicast destinations need the interface as
/// scope id.
fn needs_scope(dst: Ipv6Addr) -> bool {
    let first = dst.segments()[0];
    (first & 0xffc0) == 0xfe80 || (dst.is_multicast() && (first & 0x000f) <= 2)
}

/// Joins or leaves the VRRP group of `family` on `ifindex`. Already being in the state
/// asked for is a success, and so is leaving a group the kernel already dropped (the
/// interface went away).
fn set_membership(socket: &Socket, family: Family, ifindex: u32, join: bool) -> Result<()> {
    let interface = InterfaceIndexOrAddress::Index(ifindex);
    let (result, what) = match (family, join) {
        (Family::Ipv4, true) => (
            socket.join_multicast_v4_n(&VRRP_MULTICAST_V4, &interface),
            "join 224.0.0.18",
        ),
        (Family::Ipv4, false) => (
            socket.leave_multicast_v4_n(&VRRP_MULTICAST_V4, &interface),
            "leave 224.0.0.18",
        ),
        (Family::Ipv6, true) => (
            socket.join_multicast_v6(&VRRP_MULTICAST_V6, ifindex),
            "join ff02::12",
        ),
        (Family::Ipv6, false) => (
            socket.leave_multicast_v6(&VRRP_MULTICAST_V6, ifindex),
            "leave ff02::12",
        ),
    };
    match result {
        Ok(()) => Ok(()),
        Err(e) if join && e.raw_os_error() == Some(libc::EADDRINUSE) => Ok(()),
        Err(e)
            if !join
                && matches!(
                    e.raw_os_error(),
                    Some(libc::EADDRNOTAVAIL | libc::ENOENT | libc::ENODEV)
                ) =>
        {
            Ok(())
        }
        Err(e) => Err(Error::socket(what, e)),
    }
}

/// Creates the raw socket and sets its options.
fn open_raw(config: &SocketConfig, ifindex: u32) -> Result<Socket> {
    let (domain, what) = match config.family {
        Family::Ipv4 => (Domain::IPV4, "open IPv4 VRRP socket (raw, protocol 112)"),
        Family::Ipv6 => (Domain::IPV6, "open IPv6 VRRP socket (raw, protocol 112)"),
    };
    let socket = Socket::new(
        domain,
        Type::RAW,
        Some(Protocol::from(i32::from(IP_PROTOCOL_VRRP))),
    )
    .map_err(|e| Error::socket(what, e))?;
    socket
        .set_nonblocking(true)
        .map_err(|e| Error::socket("set VRRP socket non-blocking", e))?;
    socket
        .bind_device(Some(config.interface.as_bytes()))
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ENODEV) => Error::InterfaceNotFound {
                name: config.interface.clone(),
            },
            _ => Error::socket("bind VRRP socket to interface (SO_BINDTODEVICE)", e),
        })?;
    if let Some(size) = config.recv_buffer_size {
        // SO_RCVBUFFORCE (CAP_NET_ADMIN) may exceed net.core.rmem_max, which a burst of
        // adverts from hundreds of routers can; without the capability fall back to the
        // capped SO_RCVBUF.
        let value = libc::c_int::try_from(size).unwrap_or(libc::c_int::MAX);
        if sys::setsockopt(
            socket.as_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            &value,
        )
        .is_err()
        {
            socket
                .set_recv_buffer_size(size)
                .map_err(|e| Error::socket("set VRRP socket receive buffer", e))?;
        }
    }
    let opt = |what: &'static str| move |e: io::Error| Error::socket(what, e);
    match config.family {
        Family::Ipv4 => {
            socket.set_ttl(255).map_err(opt("set IP_TTL 255"))?;
            socket
                .set_multicast_ttl_v4(255)
                .map_err(opt("set IP_MULTICAST_TTL 255"))?;
            socket
                .set_multicast_loop_v4(false)
                .map_err(opt("clear IP_MULTICAST_LOOP"))?;
            // Only the groups this socket joined, not every group any socket joined.
            socket
                .set_multicast_all_v4(false)
                .map_err(opt("clear IP_MULTICAST_ALL"))?;
            // Kernel interface indexes are positive ints; 0 would mean "any interface".
            let ifindex_c =
                i32::try_from(ifindex).map_err(|_| Error::InterfaceIndexNotFound { ifindex })?;
            let mreqn = libc::ip_mreqn {
                imr_multiaddr: libc::in_addr { s_addr: 0 },
                imr_address: libc::in_addr { s_addr: 0 },
                imr_ifindex: ifindex_c,
            };
            sys::setsockopt(
                socket.as_fd(),
                libc::IPPROTO_IP,
                libc::IP_MULTICAST_IF,
                &mreqn,
            )
            .map_err(opt("set IP_MULTICAST_IF"))?;
            let _ = socket.set_tos(TOS_INTERNETWORK_CONTROL);
        }
        Family::Ipv6 => {
            socket
                .set_unicast_hops_v6(255)
                .map_err(opt("set IPV6_UNICAST_HOPS 255"))?;
            socket
                .set_multicast_hops_v6(255)
                .map_err(opt("set IPV6_MULTICAST_HOPS 255"))?;
            socket
                .set_multicast_loop_v6(false)
                .map_err(opt("clear IPV6_MULTICAST_LOOP"))?;
            socket
                .set_multicast_if_v6(ifindex)
                .map_err(opt("set IPV6_MULTICAST_IF"))?;
            // IPV6_MULTICAST_ALL exists since Linux 4.20; older kernels deliver every
            // joined group, which the VRRP checks tolerate.
            let _ = socket.set_multicast_all_v6(false);
            socket
                .set_recv_hoplimit_v6(true)
                .map_err(opt("set IPV6_RECVHOPLIMIT"))?;
            sys::setsockopt(
                socket.as_fd(),
                libc::IPPROTO_IPV6,
                libc::IPV6_RECVPKTINFO,
                &1,
            )
            .map_err(opt("set IPV6_RECVPKTINFO"))?;
            let _ = socket.set_tclass_v6(TOS_INTERNETWORK_CONTROL);
        }
    }
    if config.join_group {
        set_membership(&socket, config.family, ifindex, true)?;
    }
    Ok(socket)
}

/// Parses the IPv4 header a raw socket delivers and returns the metadata and the byte
/// range of the VRRP message. `None` for anything that is not a sane IPv4 / protocol 112
/// header: too short, wrong version, IHL below 5 or beyond the data, total length beyond
/// the data.
pub(crate) fn parse_ipv4(bytes: &[u8]) -> Option<(RxMeta, usize, usize)> {
    let header = bytes.get(..20)?;
    if header[0] >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(header[0] & 0x0f) * 4;
    if ihl < 20 || ihl > bytes.len() {
        return None;
    }
    let total_len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    if total_len < ihl || total_len > bytes.len() {
        return None;
    }
    if header[9] != IP_PROTOCOL_VRRP {
        return None;
    }
    let ttl = header[8];
    let src = Ipv4Addr::new(header[12], header[13], header[14], header[15]);
    let dst = Ipv4Addr::new(header[16], header[17], header[18], header[19]);
    // Bytes past total_len (link-layer padding) are not part of the message.
    Some((RxMeta::v4(src, dst, ttl), ihl, total_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first advert of keepalived-v3-ipv4.pcap (shared/vectors), Ethernet header
    /// removed: what an IPv4 raw socket delivers.
    const KEEPALIVED_V3_IPV4: [u8; 32] = [
        0x45, 0xc0, 0x00, 0x20, 0x00, 0x2c, 0x00, 0x00, 0xff, 0x70, 0xb5, 0xbc, 0xc0, 0xa8, 0x64,
        0x0a, 0xe0, 0x00, 0x00, 0x12, 0x31, 0x33, 0x65, 0x01, 0x00, 0x0a, 0x3f, 0xca, 0xc0, 0xa8,
        0x64, 0x0c,
    ];

    #[test]
    fn ipv4_header_gives_ttl_src_dst_and_payload() {
        let (meta, start, end) = parse_ipv4(&KEEPALIVED_V3_IPV4).expect("valid");
        assert_eq!(
            meta,
            RxMeta::v4(Ipv4Addr::new(192, 168, 100, 10), VRRP_MULTICAST_V4, 255)
        );
        assert_eq!((start, end), (20, 32));
        let (repr, form) = wire::decode(&KEEPALIVED_V3_IPV4[start..end], &meta).expect("decodes");
        assert_eq!(repr.vrid.get(), 51);
        assert_eq!(form, ChecksumForm::V3Ipv4PseudoHeader);
    }

    #[test]
    fn ipv4_header_options_are_skipped_by_ihl() {
        // IHL 6: one 4-byte option (router alert) before the VRRP message.
        let mut pkt = Vec::new();
        pkt.extend_from_slice(&[0x46, 0xc0, 0x00, 0x24]);
        pkt.extend_from_slice(&KEEPALIVED_V3_IPV4[4..20]);
        pkt.extend_from_slice(&[0x94, 0x04, 0x00, 0x00]);
        pkt.extend_from_slice(&KEEPALIVED_V3_IPV4[20..]);
        let (_, start, end) = parse_ipv4(&pkt).expect("valid");
        assert_eq!((start, end), (24, 36));
        assert_eq!(&pkt[start..end], &KEEPALIVED_V3_IPV4[20..]);
    }

    #[test]
    fn ipv4_trailing_padding_is_cut_by_total_length() {
        let mut pkt = KEEPALIVED_V3_IPV4.to_vec();
        pkt.extend_from_slice(&[0; 14]);
        assert_eq!(parse_ipv4(&pkt).map(|(_, s, e)| (s, e)), Some((20, 32)));
    }

    #[test]
    fn ipv4_ttl_is_reported_as_received() {
        let mut pkt = KEEPALIVED_V3_IPV4;
        pkt[8] = 254;
        let (meta, start, end) = parse_ipv4(&pkt).expect("valid");
        assert_eq!(meta.hop_limit, 254);
        assert!(matches!(
            wire::decode(&pkt[start..end], &meta),
            Err(DecodeError::BadHopLimit(254))
        ));
    }

    #[test]
    fn nonsense_ipv4_headers_are_rejected_not_panicked_on() {
        let good = KEEPALIVED_V3_IPV4;
        for n in 0..good.len() {
            let _ = parse_ipv4(&good[..n]);
        }
        let mut bad = good;
        bad[0] = 0x44; // IHL 4
        assert!(parse_ipv4(&bad).is_none());
        bad[0] = 0x4f; // IHL 15: 60 bytes, more than we have
        assert!(parse_ipv4(&bad).is_none());
        bad[0] = 0x65; // version 6
        assert!(parse_ipv4(&bad).is_none());
        let mut bad = good;
        bad[3] = 0x40; // total length 64 > 32
        assert!(parse_ipv4(&bad).is_none());
        let mut bad = good;
        bad[3] = 0x10; // total length 16 < IHL
        assert!(parse_ipv4(&bad).is_none());
        let mut bad = good;
        bad[9] = 17; // UDP
        assert!(parse_ipv4(&bad).is_none());
        // Every single-byte corruption of the header is handled.
        for i in 0..20 {
            for v in [0u8, 0x0f, 0x45, 0xff] {
                let mut p = good;
                p[i] = v;
                let _ = parse_ipv4(&p);
            }
        }
    }

    #[test]
    fn ipv6_scope_is_needed_for_link_local_and_link_scope_multicast() {
        assert!(needs_scope(VRRP_MULTICAST_V6));
        assert!(needs_scope("fe80::1".parse().expect("v6")));
        assert!(!needs_scope("fd00:100::12".parse().expect("v6")));
        assert!(!needs_scope("ff05::12".parse().expect("v6")));
    }

    #[test]
    fn family_mismatch_is_an_error() {
        let err = check_family(Family::Ipv4, "fe80::1".parse().expect("v6"));
        assert!(matches!(
            err,
            Err(Error::FamilyMismatch {
                family: Family::Ipv4,
                ..
            })
        ));
    }

    #[test]
    fn multicast_config_joins_the_group_and_unicast_does_not() {
        let m = SocketConfig::multicast(Family::Ipv4, "eth0");
        assert!(m.join_group);
        assert_eq!(m.interface, "eth0");
        let u = SocketConfig::unicast(Family::Ipv6, "eth0");
        assert!(!u.join_group);
        assert_eq!(u.family, Family::Ipv6);
        assert!(
            m.link_layer_multicast && u.link_layer_multicast,
            "on by default"
        );
    }

    fn template(tos: u8, dont_fragment: bool, next_id: u16) -> HeaderTemplate {
        HeaderTemplate {
            tos,
            dont_fragment,
            flow_labels: None,
            next_id,
        }
    }

    #[test]
    fn ipv4_header_is_keepalived_s_byte_for_byte() {
        // keepalived's header has identification 0x002c and no DF.
        let mut t = template(0xc0, false, 0x2c);
        let mut out = [0u8; IPV6_HEADER_LEN];
        let src = IpAddr::V4(Ipv4Addr::new(192, 168, 100, 10));
        let len = t.write(src, IpAddr::V4(VRRP_MULTICAST_V4), 12, &mut out);
        assert_eq!(len, Some(IPV4_HEADER_LEN));
        assert_eq!(out[..20], KEEPALIVED_V3_IPV4[..20]);
        // The next one gets the next identification and its own checksum.
        t.write(src, IpAddr::V4(VRRP_MULTICAST_V4), 12, &mut out);
        assert_eq!(&out[4..6], &[0x00, 0x2d]);
        assert_eq!(checksum_finish(checksum_sum(0, &out[..20])), 0);
        let (meta, start, end) = {
            let mut packet = out[..20].to_vec();
            packet.extend_from_slice(&KEEPALIVED_V3_IPV4[20..]);
            parse_ipv4(&packet).expect("parses")
        };
        assert_eq!((meta.hop_limit, start, end), (255, 20, 32));
    }

    #[test]
    fn ipv4_header_sets_df_when_the_kernel_would_and_wraps_the_identification() {
        let mut t = template(0, true, u16::MAX);
        let mut out = [0u8; IPV6_HEADER_LEN];
        let src = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        t.write(src, IpAddr::V4(VRRP_MULTICAST_V4), 1028, &mut out);
        assert_eq!(
            &out[..12],
            &[0x45, 0, 0x04, 0x18, 0xff, 0xff, 0x40, 0, 255, 112, out[10], out[11]]
        );
        assert_eq!(checksum_finish(checksum_sum(0, &out[..20])), 0);
        assert_eq!(t.next_id, 0);
        // Too long for the 16-bit total length, or of mixed families: not built.
        assert_eq!(
            t.write(src, IpAddr::V4(VRRP_MULTICAST_V4), 65_516, &mut out),
            None
        );
        assert_eq!(
            t.write(src, IpAddr::V6(VRRP_MULTICAST_V6), 12, &mut out),
            None
        );
    }

    #[test]
    fn ipv6_header_carries_traffic_class_hop_limit_and_a_stable_flow_label() {
        let src = IpAddr::V6(LL_A);
        let dst = IpAddr::V6(VRRP_MULTICAST_V6);
        let mut out = [0u8; IPV6_HEADER_LEN];
        let mut t = template(0xc0, false, 0);
        assert_eq!(t.write(src, dst, 8, &mut out), Some(IPV6_HEADER_LEN));
        let mut expected = vec![0x6c, 0x00, 0x00, 0x00, 0x00, 0x08, 112, 255];
        expected.extend_from_slice(&LL_A.octets());
        expected.extend_from_slice(&VRRP_MULTICAST_V6.octets());
        assert_eq!(
            out.to_vec(),
            expected,
            "no flow label when the kernel sets none"
        );
        t.flow_labels = Some(RandomState::new());
        t.write(src, dst, 8, &mut out);
        let label = u32::from_be_bytes([0, out[1] & 0x0f, out[2], out[3]]);
        assert_ne!(label, 0);
        assert_eq!((out[0], out[1] & 0xf0), (0x6c, 0x00), "traffic class kept");
        let mut again = [0u8; IPV6_HEADER_LEN];
        t.write(src, dst, 8, &mut again);
        assert_eq!(again, out, "one flow, one label");
        assert_eq!(t.write(src, dst, 65_536, &mut out), None);
    }

    fn received(len: usize, control_len: usize) -> sys::Received {
        sys::Received {
            len,
            control_len,
            truncated: false,
            control_truncated: false,
        }
    }

    #[test]
    fn ipv4_datagram_is_parsed_from_the_received_bytes_only() {
        let mut buf = [0xaau8; 64];
        buf[..32].copy_from_slice(&KEEPALIVED_V3_IPV4);
        let (meta, start, end) = parse_v4(&received(32, 0), &buf).expect("valid");
        assert_eq!(meta.hop_limit, 255);
        assert_eq!((start, end), (20, 32));
        // Fewer bytes received than the header claims: malformed, not read past.
        assert_eq!(parse_v4(&received(30, 0), &buf), Err(Discard::Malformed));
        // A length beyond the buffer cannot be trusted.
        assert_eq!(parse_v4(&received(65, 0), &buf), Err(Discard::Truncated));
        let mut r = received(32, 0);
        r.truncated = true;
        assert_eq!(parse_v4(&r, &buf), Err(Discard::Truncated));
    }

    const LL_A: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0xa);

    /// Ancillary data as the kernel writes it for an IPv6 raw socket.
    fn ipv6_control(hop_limit: Option<i32>, pktinfo: Option<(Ipv6Addr, u32)>) -> Vec<u8> {
        let mut out = vec![0u8; cmsg::RECV_CONTROL_LEN];
        let mut n = 0;
        if let Some(h) = hop_limit {
            n += cmsg::ipv6_hop_limit(&mut out[n..], h).expect("fits");
        }
        if let Some((dst, ifindex)) = pktinfo {
            n += cmsg::ipv6_pktinfo(&mut out[n..], ifindex, dst).expect("fits");
        }
        out.truncate(n);
        out
    }

    #[test]
    fn ipv6_datagram_takes_hop_limit_and_destination_from_ancillary_data() {
        let control = ipv6_control(Some(255), Some((VRRP_MULTICAST_V6, 7)));
        let r = received(40, control.len());
        let parsed = parse_v6(&r, Some(IpAddr::V6(LL_A)), &control, 4096, 7);
        assert_eq!(
            parsed,
            Ok((RxMeta::v6(LL_A, VRRP_MULTICAST_V6, 255), 0, 40))
        );
        // The hop limit is reported as received, for decode to reject.
        let control = ipv6_control(Some(64), Some((VRRP_MULTICAST_V6, 7)));
        let r = received(40, control.len());
        let (meta, ..) = parse_v6(&r, Some(IpAddr::V6(LL_A)), &control, 4096, 7).expect("ok");
        assert_eq!(meta.hop_limit, 64);
    }

    #[test]
    fn ipv6_datagram_from_another_interface_is_dropped() {
        let control = ipv6_control(Some(255), Some((VRRP_MULTICAST_V6, 8)));
        let r = received(40, control.len());
        assert_eq!(
            parse_v6(&r, Some(IpAddr::V6(LL_A)), &control, 4096, 7),
            Err(Discard::WrongInterface)
        );
    }

    #[test]
    fn ipv6_datagram_without_the_facts_decode_needs_is_malformed() {
        let src = Some(IpAddr::V6(LL_A));
        let no_hop = ipv6_control(None, Some((VRRP_MULTICAST_V6, 7)));
        let no_info = ipv6_control(Some(255), None);
        let good = ipv6_control(Some(255), Some((VRRP_MULTICAST_V6, 7)));
        for control in [&no_hop, &no_info] {
            let r = received(40, control.len());
            assert_eq!(parse_v6(&r, src, control, 4096, 7), Err(Discard::Malformed));
        }
        let r = received(40, good.len());
        // No sender address, or one of the wrong family.
        assert_eq!(parse_v6(&r, None, &good, 4096, 7), Err(Discard::Malformed));
        let v4 = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
        assert_eq!(parse_v6(&r, v4, &good, 4096, 7), Err(Discard::Malformed));
        // Ancillary data cut short by the kernel, or a length beyond the buffer.
        let mut cut = r;
        cut.control_truncated = true;
        assert_eq!(parse_v6(&cut, src, &good, 4096, 7), Err(Discard::Malformed));
        assert_eq!(parse_v6(&r, src, &good, 39, 7), Err(Discard::Malformed));
        // Only the control bytes the kernel reported are read.
        let short = received(40, 0);
        assert_eq!(
            parse_v6(&short, src, &good, 4096, 7),
            Err(Discard::Malformed)
        );
        let mut truncated = r;
        truncated.truncated = true;
        assert_eq!(
            parse_v6(&truncated, src, &good, 4096, 7),
            Err(Discard::Truncated)
        );
    }

    #[test]
    fn garbage_ancillary_data_never_panics() {
        let src = Some(IpAddr::V6(LL_A));
        let good = ipv6_control(Some(255), Some((VRRP_MULTICAST_V6, 7)));
        for n in 0..=good.len() {
            let r = received(40, n);
            let _ = parse_v6(&r, src, &good[..n], 4096, 7);
            // A control length beyond the bytes given is clamped, not trusted.
            let r = received(40, good.len() + 100);
            let _ = parse_v6(&r, src, &good[..n], 4096, 7);
        }
        let mut junk = good.clone();
        for i in 0..junk.len() {
            junk[i] ^= 0xff;
            let _ = parse_v6(&received(40, junk.len()), src, &junk, 4096, 7);
        }
    }

    #[test]
    fn own_sources_are_dropped_but_virtual_addresses_never_are() {
        let own = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
        let vip = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100));
        let peer = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let filter = RxFilter {
            own: [own, vip].into_iter().collect(),
            virtual_addresses: [vip].into_iter().collect(),
        };
        let meta = |src: IpAddr| match src {
            IpAddr::V4(s) => RxMeta::v4(s, VRRP_MULTICAST_V4, 255),
            IpAddr::V6(_) => unreachable!(),
        };
        let mut stats = SocketStats::default();
        assert_eq!(filter.admit(Ok((meta(own), 20, 32)), &mut stats), None);
        assert_eq!(
            filter.admit(Ok((meta(vip), 20, 32)), &mut stats),
            Some((meta(vip), 20, 32)),
            "a peer sending from a VIP we also hold is heard"
        );
        assert!(filter.admit(Ok((meta(peer), 20, 32)), &mut stats).is_some());
        assert_eq!(filter.admit(Err(Discard::Truncated), &mut stats), None);
        assert_eq!(filter.admit(Err(Discard::Malformed), &mut stats), None);
        assert_eq!(filter.admit(Err(Discard::Malformed), &mut stats), None);
        assert_eq!(filter.admit(Err(Discard::WrongInterface), &mut stats), None);
        assert_eq!(
            stats,
            SocketStats {
                received: 2,
                sent: 0,
                own_dropped: 1,
                truncated: 1,
                malformed: 2,
                wrong_interface: 1,
            }
        );
    }

    #[test]
    fn destination_v4_sets_source_and_interface_with_ip_pktinfo() {
        let mut control = [0u8; SEND_CONTROL_LEN];
        let src = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let dst = IpAddr::V4(VRRP_MULTICAST_V4);
        let (addr, n) = destination(Family::Ipv4, 3, src, dst, &mut control).expect("ok");
        assert_eq!(addr.as_socket(), Some(std::net::SocketAddr::new(dst, 0)));
        assert_eq!(n, cmsg::space(cmsg::IN_PKTINFO_LEN));
        let data = cmsg::space(0); // the cmsghdr
        assert_eq!(&control[data..data + 4], &3i32.to_ne_bytes(), "ipi_ifindex");
        assert_eq!(
            &control[data + 4..data + 8],
            &[192, 0, 2, 1],
            "ipi_spec_dst"
        );
    }

    #[test]
    fn destination_v6_link_scope_gets_the_interface_as_scope_id() {
        let mut control = [0u8; SEND_CONTROL_LEN];
        let src = IpAddr::V6(LL_A);
        for (dst, scope) in [
            (VRRP_MULTICAST_V6, 5),
            ("fe80::b".parse().expect("v6"), 5),
            ("fd00:db8::2".parse().expect("v6"), 0),
        ] {
            let (addr, n) =
                destination(Family::Ipv6, 5, src, IpAddr::V6(dst), &mut control).expect("ok");
            let a = addr.as_socket_ipv6().expect("v6");
            assert_eq!((*a.ip(), a.scope_id()), (dst, scope));
            let info = cmsg::parse_ipv6_rx(&control[..n]);
            assert_eq!(info.pktinfo, Some((LL_A, 5)));
        }
        let err = destination(
            Family::Ipv6,
            5,
            src,
            IpAddr::V4(VRRP_MULTICAST_V4),
            &mut control,
        );
        assert!(matches!(err, Err(Error::FamilyMismatch { .. })));
    }

    #[test]
    fn send_batch_holds_copies_of_one_family_up_to_its_capacity() {
        let mut batch = SendBatch::new(2);
        assert_eq!(batch.capacity(), 2);
        assert_eq!(batch.family(), None);
        let a = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let g = IpAddr::V4(VRRP_MULTICAST_V4);
        let mut payload = vec![1u8, 2, 3];
        batch.push(&payload, a, g).expect("push");
        payload[0] = 9;
        assert_eq!(batch.queued()[0].payload, [1, 2, 3], "a copy");
        assert_eq!(batch.family(), Some(Family::Ipv4));
        // Source and destination of different families, or a family other than the
        // batch's, are refused.
        let ll = IpAddr::V6(LL_A);
        assert!(matches!(
            batch.push(&payload, a, ll),
            Err(Error::FamilyMismatch { .. })
        ));
        assert!(matches!(
            batch.push(&payload, ll, IpAddr::V6(VRRP_MULTICAST_V6)),
            Err(Error::FamilyMismatch {
                family: Family::Ipv4,
                ..
            })
        ));
        batch.push(&[4, 5], a, g).expect("push");
        assert!(batch.is_full());
        assert!(matches!(
            batch.push(&[6], a, g),
            Err(Error::BatchFull { capacity: 2 })
        ));
        assert_eq!(batch.len(), 2);
        // Cleared, the slots are reused and any family goes again.
        batch.clear();
        assert!(batch.is_empty());
        batch
            .push(&[7], ll, IpAddr::V6(VRRP_MULTICAST_V6))
            .expect("push");
        assert_eq!(batch.queued()[0].payload, [7]);
        assert_eq!(batch.family(), Some(Family::Ipv6));
    }

    #[test]
    fn a_refused_batch_says_how_many_went_out_and_keeps_the_errno() {
        let e = Error::BatchSend {
            sent: 3,
            queued: 10,
            source: io::Error::from_raw_os_error(libc::EPERM),
        };
        assert!(e
            .to_string()
            .starts_with("send VRRP advertisements: 3 of 10 sent, then the kernel refused: "));
        assert_eq!(e.raw_os_error(), Some(libc::EPERM));
    }

    #[test]
    fn batch_sizes_are_clamped_to_what_the_kernel_takes() {
        assert_eq!(RecvBatch::new(0).capacity(), 1);
        assert_eq!(RecvBatch::new(5000).capacity(), 1024);
        assert_eq!(RecvBatch::default().capacity(), RecvBatch::DEFAULT_LEN);
        assert_eq!(SendBatch::new(0).capacity(), 1);
        assert_eq!(SendBatch::new(5000).capacity(), 1024);
        let batch = RecvBatch::new(4);
        assert!(batch.is_empty());
        assert_eq!(batch.iter().count(), 0);
    }

    #[test]
    fn recv_batch_iterates_the_kept_payloads_in_their_slots() {
        let mut batch = RecvBatch::new(3);
        let meta = RxMeta::v4(Ipv4Addr::new(192, 0, 2, 1), VRRP_MULTICAST_V4, 255);
        batch.bufs[RECV_BUFFER_LEN * 2 + 20..RECV_BUFFER_LEN * 2 + 24].copy_from_slice(b"vrrp");
        batch.kept.push(Kept {
            meta,
            slot: 2,
            start: 20,
            end: 24,
        });
        let got: Vec<_> = batch.iter().collect();
        assert_eq!(
            got,
            vec![Datagram {
                meta,
                payload: b"vrrp"
            }]
        );
    }
}
