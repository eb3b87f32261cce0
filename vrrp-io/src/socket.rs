//! Raw VRRP sockets (IP protocol 112) for IPv4 and IPv6 on one interface.
//!
//! A [`VrrpSocket`] is bound to its interface (SO_BINDTODEVICE) and, in multicast mode,
//! joins 224.0.0.18 or ff02::12 there. It sends with TTL / hop limit 255 and never loops
//! its own multicast back. Received datagrams come with the [`RxMeta`] that
//! `vrrp_core::wire::decode` needs: source, destination and the TTL / hop limit as
//! received (from the IPv4 header, or from IPV6_HOPLIMIT / IPV6_PKTINFO ancillary data).
//!
//! The socket is non-blocking: [`VrrpSocket::recv`] returns `Ok(None)` when nothing is
//! queued, and the socket's descriptor ([`AsFd`]) is what an event loop polls.
//!
//! # Own packets
//! With IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP off the kernel does not deliver our own
//! multicast adverts back to us. Our packets can still come back from the wire (a switch
//! port in hairpin mode, a bridge loop, a unicast peer list that names ourselves), and the
//! state machine must never mistake its own advert for a peer's. So the socket also keeps
//! a set of *own addresses* — the interface's addresses of the socket's family, read
//! over netlink when it opens — and drops datagrams whose source is one of them (counted
//! in [`SocketStats::own_dropped`]). The virtual addresses are left out of that set
//! ([`SocketConfig::virtual_addresses`]): a peer may legitimately send from a VIP (FRR's
//! IPv6 adverts come from the virtual link-local), and while we hold the VIP too, that
//! advert is exactly what resolves the split brain.
//!
//! # Unicast peers
//! With [`SocketConfig::unicast_peers`] (keepalived's `unicast_peer`) the socket does not
//! join the group; [`VrrpSocket::destinations`] lists the peers instead, and datagrams
//! addressed to any of our unicast addresses are received like multicast ones.
//!
//! ```no_run
//! use vrrp_io::socket::{SocketConfig, VrrpSocket, RECV_BUFFER_LEN};
//! use vrrp_core::Family;
//! # fn main() -> Result<(), vrrp_io::Error> {
//! let mut sock = VrrpSocket::open(&SocketConfig::multicast(Family::Ipv4, "eth0"))?;
//! let mut buf = [0u8; RECV_BUFFER_LEN];
//! while let Some(datagram) = sock.recv(&mut buf)? {
//!     match datagram.decode() {
//!         Ok((advert, form)) => println!("{advert:?} ({form})"),
//!         Err(e) => println!("dropped: {e}"),
//!     }
//! }
//! # Ok(()) }
//! ```

use std::collections::HashSet;
use std::io::{self, IoSlice};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use socket2::{Domain, InterfaceIndexOrAddress, MsgHdr, Protocol, SockAddr, Socket, Type};
use vrrp_core::wire::{
    self, AdvertRepr, ChecksumForm, ChecksumMode, DecodeError, RxMeta, IP_PROTOCOL_VRRP,
    VRRP_MULTICAST_V4, VRRP_MULTICAST_V6,
};
use vrrp_core::Family;

use crate::cmsg;
use crate::error::{Error, Result};
use crate::netlink::{validate_ifname, Netlink};
use crate::sys;

/// A receive buffer of this size holds any VRRP datagram: an IPv4 header with options (60)
/// plus a VRRPv2 message with 255 addresses (1,036), or a VRRPv3/IPv6 message with 255
/// addresses (4,088; raw IPv6 sockets deliver no IP header).
pub const RECV_BUFFER_LEN: usize = 4096;

/// IP precedence "internetwork control" (0xc0), the TOS / traffic class keepalived
/// sends VRRP with.
const TOS_INTERNETWORK_CONTROL: u32 = 0xc0;

/// At most this many datagrams are dropped (own, malformed) in one [`VrrpSocket::recv`]
/// call before it returns `Ok(None)`, so a flood cannot starve the event loop.
const MAX_DROPS_PER_RECV: usize = 64;

/// How a [`VrrpSocket`] is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketConfig {
    /// IPv4 or IPv6.
    pub family: Family,
    /// The interface name, e.g. `eth0`.
    pub interface: String,
    /// keepalived's `unicast_peer`: send to these addresses instead of the multicast
    /// group, and do not join the group. Empty: multicast.
    pub unicast_peers: Vec<IpAddr>,
    /// The virtual addresses of the routers on this interface: never treated as own
    /// addresses (see the [module documentation](self)).
    pub virtual_addresses: Vec<IpAddr>,
    /// SO_RCVBUF in bytes; `None` keeps the system default.
    pub recv_buffer_size: Option<usize>,
}

impl SocketConfig {
    /// Multicast to the VRRP group of `family` on `interface`.
    pub fn multicast(family: Family, interface: &str) -> Self {
        SocketConfig {
            family,
            interface: interface.to_owned(),
            unicast_peers: Vec::new(),
            virtual_addresses: Vec::new(),
            recv_buffer_size: None,
        }
    }

    /// Unicast to `peers` on `interface`.
    pub fn unicast(family: Family, interface: &str, peers: Vec<IpAddr>) -> Self {
        SocketConfig {
            unicast_peers: peers,
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

/// A raw VRRP socket on one interface. See the [module documentation](self).
#[derive(Debug)]
pub struct VrrpSocket {
    socket: Socket,
    family: Family,
    interface: String,
    ifindex: u32,
    destinations: Vec<IpAddr>,
    virtual_addresses: HashSet<IpAddr>,
    own: HashSet<IpAddr>,
    stats: SocketStats,
}

impl VrrpSocket {
    /// Opens the socket: looks the interface up, reads its addresses (the own-address
    /// set), creates the raw socket and sets every option described in the
    /// [module documentation](self).
    ///
    /// Errors: [`Error::InterfaceNotFound`], [`Error::NeedsCapNetRaw`],
    /// [`Error::FamilyMismatch`] for a unicast peer of the other family.
    pub fn open(config: &SocketConfig) -> Result<Self> {
        validate_ifname(&config.interface)?;
        for &peer in &config.unicast_peers {
            check_family(config.family, peer)?;
        }
        let mut netlink = Netlink::open()?;
        let ifindex = netlink.ifindex(&config.interface)?;
        let socket = open_raw(config, ifindex)?;
        let destinations = if config.unicast_peers.is_empty() {
            vec![match config.family {
                Family::Ipv4 => IpAddr::V4(VRRP_MULTICAST_V4),
                Family::Ipv6 => IpAddr::V6(VRRP_MULTICAST_V6),
            }]
        } else {
            config.unicast_peers.clone()
        };
        let mut sock = VrrpSocket {
            socket,
            family: config.family,
            interface: config.interface.clone(),
            ifindex,
            destinations,
            virtual_addresses: config.virtual_addresses.iter().copied().collect(),
            own: HashSet::new(),
            stats: SocketStats::default(),
        };
        sock.refresh_own_addresses(&mut netlink)?;
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

    /// Where adverts go: the VRRP multicast group, or the unicast peers.
    ///
    /// A VRRPv3 checksum covers the destination address, so emit the advert once per
    /// destination: `for dst in sock.destinations() { repr.emit(buf, src, dst, mode); sock.send(..) }`.
    pub fn destinations(&self) -> &[IpAddr] {
        &self.destinations
    }

    /// True when sending to unicast peers rather than the multicast group.
    pub fn is_unicast(&self) -> bool {
        !self.destinations.iter().any(|d| d.is_multicast())
    }

    /// The own-address set: datagrams from these sources are dropped.
    pub fn own_addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.own.iter().copied()
    }

    /// Replaces the own-address set (virtual addresses are left out).
    pub fn set_own_addresses(&mut self, addrs: impl IntoIterator<Item = IpAddr>) {
        self.own = addrs
            .into_iter()
            .filter(|a| !self.virtual_addresses.contains(a))
            .collect();
    }

    /// Re-reads the interface's addresses of this family into the own-address set
    /// (after an address change on the interface, say).
    pub fn refresh_own_addresses(&mut self, netlink: &mut Netlink) -> Result<()> {
        let family = self.family;
        let addrs = netlink.interface_addresses(self.ifindex)?;
        self.set_own_addresses(
            addrs
                .into_iter()
                .map(|a| a.addr)
                .filter(|a| Family::of(a) == family),
        );
        Ok(())
    }

    /// Counters since the socket was opened.
    pub fn stats(&self) -> SocketStats {
        self.stats
    }

    /// Receives the next VRRP datagram into `buf` (use [`RECV_BUFFER_LEN`] bytes) and
    /// returns it with its IP metadata; `Ok(None)` when nothing is queued.
    ///
    /// Datagrams from our own addresses, truncated ones and ones with a nonsensical IP
    /// header are dropped and counted in [`VrrpSocket::stats`]; nothing from the network
    /// can make this panic. The VRRP message itself is not checked here: call
    /// [`Datagram::decode`].
    pub fn recv<'b>(&mut self, buf: &'b mut [u8]) -> Result<Option<Datagram<'b>>> {
        let mut drops = 0;
        let (meta, start, end) = loop {
            if drops >= MAX_DROPS_PER_RECV {
                return Ok(None);
            }
            let received = match self.family {
                Family::Ipv4 => self.recv_v4(buf),
                Family::Ipv6 => self.recv_v6(buf),
            };
            match received {
                Ok(Ok((meta, start, end))) => {
                    if self.own.contains(&meta.src) {
                        self.stats.own_dropped += 1;
                        drops += 1;
                        continue;
                    }
                    break (meta, start, end);
                }
                Ok(Err(discard)) => {
                    match discard {
                        Discard::Truncated => self.stats.truncated += 1,
                        Discard::Malformed => self.stats.malformed += 1,
                        Discard::WrongInterface => self.stats.wrong_interface += 1,
                    }
                    drops += 1;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) => return Err(Error::socket("receive VRRP datagram", e)),
            }
        };
        self.stats.received += 1;
        Ok(buf
            .get(start..end)
            .map(|payload| Datagram { meta, payload }))
    }

    /// One datagram from an IPv4 raw socket, which delivers the IP header too.
    fn recv_v4(&mut self, buf: &mut [u8]) -> io::Result<Parsed> {
        let (received, _from) =
            sys::recvmsg(self.socket.as_fd(), buf, &mut [], libc::MSG_DONTWAIT)?;
        if received.truncated {
            return Ok(Err(Discard::Truncated));
        }
        let Some(bytes) = buf.get(..received.len) else {
            return Ok(Err(Discard::Truncated));
        };
        Ok(parse_ipv4(bytes).ok_or(Discard::Malformed))
    }

    /// One datagram from an IPv6 raw socket: payload only, the rest from ancillary data.
    fn recv_v6(&mut self, buf: &mut [u8]) -> io::Result<Parsed> {
        let mut control = [0u8; cmsg::RECV_CONTROL_LEN];
        let (received, from) =
            sys::recvmsg(self.socket.as_fd(), buf, &mut control, libc::MSG_DONTWAIT)?;
        if received.truncated {
            return Ok(Err(Discard::Truncated));
        }
        if received.control_truncated || received.len > buf.len() {
            return Ok(Err(Discard::Malformed));
        }
        let info = cmsg::parse_ipv6_rx(&control[..received.control_len]);
        let (Some(src), Some(hop_limit), Some((dst, ifindex))) = (
            from.as_socket_ipv6().map(|a| *a.ip()),
            info.hop_limit,
            info.pktinfo,
        ) else {
            return Ok(Err(Discard::Malformed));
        };
        if ifindex != self.ifindex {
            return Ok(Err(Discard::WrongInterface));
        }
        Ok(Ok((RxMeta::v6(src, dst, hop_limit), 0, received.len)))
    }

    /// Encodes `repr` for each of [`VrrpSocket::destinations`] (the VRRPv3 checksum covers
    /// the destination) and sends it from `src`. Stops at the first error.
    pub fn send_advert(
        &mut self,
        repr: &AdvertRepr<'_>,
        src: IpAddr,
        mode: ChecksumMode,
    ) -> Result<()> {
        let mut buf = [0u8; RECV_BUFFER_LEN];
        for i in 0..self.destinations.len() {
            let dst = self.destinations[i];
            let len = repr.emit(&mut buf, src, dst, mode)?;
            let payload = buf.get(..len).unwrap_or(&[]);
            self.send(payload, src, dst)?;
        }
        Ok(())
    }

    /// Sends one VRRP message (`payload`, as emitted by `AdvertRepr::emit`) from `src` to
    /// `dst` on the socket's interface. The kernel builds the IP header (TTL / hop limit
    /// 255); `src` is chosen with IP_PKTINFO / IPV6_PKTINFO and must be an address of
    /// this host (for IPv6 normally the interface's link-local, RFC 9568 section 5.1.2.1).
    /// An unspecified `src` (0.0.0.0, ::) lets the kernel choose.
    pub fn send(&mut self, payload: &[u8], src: IpAddr, dst: IpAddr) -> Result<()> {
        check_family(self.family, src)?;
        check_family(self.family, dst)?;
        let mut control = [0u8; cmsg::space(cmsg::IN6_PKTINFO_LEN)];
        let (addr, control_len) = match (src, dst) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => (
                SockAddr::from(SocketAddrV4::new(dst, 0)),
                cmsg::ip_pktinfo(&mut control, self.ifindex, src),
            ),
            (IpAddr::V6(src), IpAddr::V6(dst)) => {
                let scope = if needs_scope(dst) { self.ifindex } else { 0 };
                (
                    SockAddr::from(SocketAddrV6::new(dst, 0, 0, scope)),
                    cmsg::ipv6_pktinfo(&mut control, self.ifindex, src),
                )
            }
            _ => {
                return Err(Error::FamilyMismatch {
                    family: self.family,
                    addr: dst,
                })
            }
        };
        let control = control_len.and_then(|n| control.get(..n)).unwrap_or(&[]);
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
                        source: io::Error::new(io::ErrorKind::WriteZero, "datagram sent partially"),
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::socket("send VRRP advertisement", e)),
            }
        }
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

/// Why a datagram was dropped before reaching the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Discard {
    Truncated,
    Malformed,
    WrongInterface,
}

/// A received datagram's metadata and payload range, or why it was discarded.
type Parsed = std::result::Result<(RxMeta, usize, usize), Discard>;

fn check_family(family: Family, addr: IpAddr) -> Result<()> {
    if Family::of(&addr) == family {
        Ok(())
    } else {
        Err(Error::FamilyMismatch { family, addr })
    }
}

/// Link-local unicast and link-scope multicast destinations need the interface as
/// scope id.
fn needs_scope(dst: Ipv6Addr) -> bool {
    let first = dst.segments()[0];
    (first & 0xffc0) == 0xfe80 || (dst.is_multicast() && (first & 0x000f) <= 2)
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
    let join = config.unicast_peers.is_empty();
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
            if join {
                socket
                    .join_multicast_v4_n(
                        &VRRP_MULTICAST_V4,
                        &InterfaceIndexOrAddress::Index(ifindex),
                    )
                    .map_err(opt("join 224.0.0.18"))?;
            }
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
            if join {
                socket
                    .join_multicast_v6(&VRRP_MULTICAST_V6, ifindex)
                    .map_err(opt("join ff02::12"))?;
            }
        }
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
    fn unicast_config_keeps_peers() {
        let peers = vec![IpAddr::V4(Ipv4Addr::new(192, 168, 100, 13))];
        let c = SocketConfig::unicast(Family::Ipv4, "eth0", peers.clone());
        assert_eq!(c.unicast_peers, peers);
        assert_eq!(c.interface, "eth0");
    }
}
