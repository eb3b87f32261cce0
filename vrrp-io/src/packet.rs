//! AF_PACKET sockets: whole Ethernet frames in and out of one interface.
//!
//! Gratuitous ARP and unsolicited neighbour advertisements are sent as frames built by
//! hand (see [`crate::announce`]) so that nothing in the kernel's IP stack (source address
//! selection, DAD state of the VIP, neighbour cache) can change or delay them. A capturing
//! socket is what `vrrp decode` on a live interface and the namespace tests read with.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use crate::error::{Error, Result};
use crate::mac::MacAddr;
use crate::sys;

/// Length of an Ethernet header without VLAN tag: destination, source, EtherType.
pub const ETHERNET_HEADER_LEN: usize = 14;
/// EtherType of ARP.
pub const ETHERTYPE_ARP: u16 = 0x0806;
/// EtherType of IPv4.
pub const ETHERTYPE_IPV4: u16 = 0x0800;
/// EtherType of IPv6.
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
/// `ETH_P_ALL`: every protocol.
const ETH_P_ALL: u16 = 0x0003;

/// A frame read by a capturing [`PacketSocket`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    /// Bytes of the frame in the buffer (Ethernet header included).
    pub len: usize,
    /// The EtherType the kernel saw.
    pub ethertype: u16,
    /// The frame was sent by this host (PACKET_OUTGOING), not received.
    pub outgoing: bool,
}

/// An AF_PACKET raw socket tied to one interface.
#[derive(Debug)]
pub struct PacketSocket {
    socket: Socket,
    ifindex: u32,
}

impl PacketSocket {
    /// A socket that only sends: opened with protocol 0, so the kernel delivers no
    /// frames to it and it costs nothing on the receive path.
    pub fn sender(ifindex: u32) -> Result<Self> {
        let socket = Socket::new(Domain::PACKET, Type::RAW, None)
            .map_err(|e| Error::socket("open packet socket", e))?;
        Ok(PacketSocket { socket, ifindex })
    }

    /// A socket that receives every frame of `ethertype` (all frames with `None`) seen on
    /// the interface, in both directions. Blocking; see [`PacketSocket::set_read_timeout`]
    /// and [`PacketSocket::set_nonblocking`].
    pub fn capture(ifindex: u32, ethertype: Option<u16>) -> Result<Self> {
        let proto = ethertype.unwrap_or(ETH_P_ALL);
        let socket = Socket::new(
            Domain::PACKET,
            Type::RAW,
            Some(Protocol::from(i32::from(proto.to_be()))),
        )
        .map_err(|e| Error::socket("open capturing packet socket", e))?;
        let addr = sys::packet_sockaddr(ifindex, proto, MacAddr::ZERO)
            .map_err(|e| Error::socket("bind packet socket", e))?;
        socket.bind(&addr).map_err(|e| match e.raw_os_error() {
            Some(libc::ENODEV) => Error::InterfaceIndexNotFound { ifindex },
            _ => Error::socket("bind packet socket to interface", e),
        })?;
        Ok(PacketSocket { socket, ifindex })
    }

    /// The interface index.
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// Sends one whole Ethernet frame. Its first 6 bytes (destination) and bytes 12..14
    /// (EtherType) also address the frame for the kernel.
    pub fn send_frame(&self, frame: &[u8]) -> Result<()> {
        let (Some(dst), Some(ethertype)) = (frame.get(..6), frame.get(12..14)) else {
            return Err(Error::Io {
                what: "send frame",
                source: io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "shorter than an Ethernet header",
                ),
            });
        };
        let dst = MacAddr::from_slice(dst).unwrap_or(MacAddr::BROADCAST);
        let ethertype = u16::from_be_bytes([ethertype[0], ethertype[1]]);
        let addr = sys::packet_sockaddr(self.ifindex, ethertype, dst)
            .map_err(|e| Error::socket("send frame", e))?;
        loop {
            match self.socket.send_to(frame, &addr) {
                Ok(n) if n == frame.len() => return Ok(()),
                Ok(_) => {
                    return Err(Error::Io {
                        what: "send frame",
                        source: io::Error::new(io::ErrorKind::WriteZero, "frame sent partially"),
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(match e.raw_os_error() {
                        Some(libc::ENODEV | libc::ENXIO) => Error::InterfaceIndexNotFound {
                            ifindex: self.ifindex,
                        },
                        _ => Error::socket("send frame", e),
                    })
                }
            }
        }
    }

    /// Reads one frame into `buf`. `Ok(None)` when nothing arrived (non-blocking socket,
    /// or the read timeout passed). Frames longer than `buf` are cut to its length.
    pub fn recv_frame(&self, buf: &mut [u8]) -> Result<Option<Frame>> {
        loop {
            let (received, from) = match sys::recvmsg(self.socket.as_fd(), buf, &mut [], 0) {
                Ok(r) => r,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(None)
                }
                Err(e) => return Err(Error::socket("receive frame", e)),
            };
            let Some((ifindex, ethertype, outgoing)) = sys::packet_sockaddr_info(from) else {
                continue;
            };
            // Frames from other interfaces can slip in between socket() and bind().
            if ifindex != self.ifindex {
                continue;
            }
            return Ok(Some(Frame {
                len: received.len.min(buf.len()),
                ethertype,
                outgoing,
            }));
        }
    }

    /// How long [`PacketSocket::recv_frame`] waits on a blocking socket (`None`: forever).
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> Result<()> {
        self.socket
            .set_read_timeout(timeout)
            .map_err(|e| Error::socket("set packet socket timeout", e))
    }

    /// Makes [`PacketSocket::recv_frame`] return at once when nothing is queued.
    pub fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
        self.socket
            .set_nonblocking(nonblocking)
            .map_err(|e| Error::socket("set packet socket non-blocking", e))
    }
}

impl AsFd for PacketSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

impl AsRawFd for PacketSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }
}
