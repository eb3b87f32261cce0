//! `vrrp decode -i IFACE`: capture from a live interface through an AF_PACKET socket.

use std::io::{self, Read};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::frame::LinkType;
use super::Printer;

/// ETH_P_ALL: every protocol (linux/if_ether.h).
const ETH_P_ALL: u16 = 0x0003;
/// PACKET_IGNORE_OUTGOING (linux/if_packet.h, Linux 4.20).
const PACKET_IGNORE_OUTGOING: libc::c_int = 23;
/// ARPHRD_LOOPBACK (linux/if_arp.h).
const ARPHRD_LOOPBACK: u32 = 772;

/// Why a live capture failed.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The interface does not exist.
    #[error("no such interface `{0}` (see `ip link`)")]
    NoSuchInterface(String),
    /// Packet sockets need CAP_NET_RAW.
    #[error("capturing on {0} needs CAP_NET_RAW: run as root (or grant the capability: setcap cap_net_raw+ep $(command -v vrrp))")]
    Permission(String),
    /// Any other socket error.
    #[error("capture on {interface} failed: {source}")]
    Io {
        /// The interface.
        interface: String,
        /// What failed.
        #[source]
        source: io::Error,
    },
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Output(#[source] io::Error),
}

/// Reads a small number from `/sys/class/net/IFACE/ATTR`.
fn sys_net_number(interface: &str, attr: &str) -> Option<u32> {
    std::fs::read_to_string(format!("/sys/class/net/{interface}/{attr}"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The interface index, from sysfs (no need for ioctls).
fn interface_index(interface: &str) -> Result<u32, LiveError> {
    let valid = !interface.is_empty()
        && interface.len() < 16
        && !interface.contains('/')
        && interface != "."
        && interface != "..";
    match sys_net_number(interface, "ifindex") {
        Some(index) if valid && index > 0 => Ok(index),
        _ => Err(LiveError::NoSuchInterface(interface.to_owned())),
    }
}

/// The link-layer header frames of this interface carry on a packet socket.
fn link_type(interface: &str) -> LinkType {
    match sys_net_number(interface, "type") {
        // ARPHRD_NONE (tun, wireguard), ARPHRD_TUNNEL / TUNNEL6 / IPGRE: bare IP.
        Some(65534 | 768 | 769 | 778) => LinkType::RawIp,
        // ARPHRD_ETHER, ARPHRD_LOOPBACK and everything else we might meet on a VRRP
        // link: an Ethernet header.
        _ => LinkType::Ethernet,
    }
}

fn packet_socket(interface: &str, index: u32) -> Result<Socket, LiveError> {
    let io_error = |source| LiveError::Io {
        interface: interface.to_owned(),
        source,
    };
    // Protocol 0 at creation: the socket receives nothing until it is bound to the
    // interface with ETH_P_ALL below, so no frame of another interface slips in between.
    let socket = Socket::new(Domain::PACKET, Type::RAW, Some(Protocol::from(0))).map_err(|e| {
        if e.kind() == io::ErrorKind::PermissionDenied || e.raw_os_error() == Some(libc::EPERM) {
            LiveError::Permission(interface.to_owned())
        } else {
            io_error(e)
        }
    })?;
    let sll = libc::sockaddr_ll {
        sll_family: libc::AF_PACKET as u16,
        sll_protocol: ETH_P_ALL.to_be(),
        sll_ifindex: i32::try_from(index)
            .map_err(|_| LiveError::NoSuchInterface(interface.to_owned()))?,
        sll_hatype: 0,
        sll_pkttype: 0,
        sll_halen: 0,
        sll_addr: [0; 8],
    };
    // SAFETY: sockaddr_storage is plain old data, valid when zeroed; it is larger than
    // sockaddr_ll and aligned for every socket address type, so writing a sockaddr_ll at
    // its start is in bounds and aligned, and the length passed says exactly that much of
    // it is initialised as a sockaddr_ll.
    let addr = unsafe {
        let mut storage: libc::sockaddr_storage = std::mem::zeroed();
        std::ptr::write(
            (&mut storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr_ll>(),
            sll,
        );
        SockAddr::new(
            storage,
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    socket.bind(&addr).map_err(io_error)?;
    if sys_net_number(interface, "type") == Some(ARPHRD_LOOPBACK) {
        // On loopback every packet is seen twice, leaving and arriving; keep one, as
        // tcpdump does.
        ignore_outgoing(&socket);
    }
    Ok(socket)
}

fn ignore_outgoing(socket: &Socket) {
    use std::os::fd::AsRawFd;
    let one: libc::c_int = 1;
    // SAFETY: the file descriptor is open for the lifetime of `socket`; the option value
    // points to a c_int that lives across the call and its exact size is passed.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_PACKET,
            PACKET_IGNORE_OUTGOING,
            (&one as *const libc::c_int).cast::<libc::c_void>(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        tracing::debug!(
            "PACKET_IGNORE_OUTGOING: {} (kernel older than 4.20?); loopback packets show twice",
            io::Error::last_os_error()
        );
    }
}

/// Captures on `interface` until `printer` has printed its `--count`, `timeout` has
/// passed, or an error occurs.
pub fn capture(
    interface: &str,
    timeout: Option<Duration>,
    printer: &mut Printer<'_>,
) -> Result<(), LiveError> {
    let index = interface_index(interface)?;
    let link = link_type(interface);
    let socket = packet_socket(interface, index)?;
    tracing::info!("capturing on {interface} (index {index}, {link:?})");
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut buf = vec![0u8; 65_536];
    while !printer.done() {
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            socket
                .set_read_timeout(Some(left))
                .map_err(|source| LiveError::Io {
                    interface: interface.to_owned(),
                    source,
                })?;
        }
        let n = match (&socket).read(&mut buf) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                continue
            }
            Err(source) => {
                return Err(LiveError::Io {
                    interface: interface.to_owned(),
                    source,
                })
            }
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let frame = buf.get(..n).unwrap_or_default();
        printer
            .frame(link, frame, now, &|| interface.to_owned())
            .map_err(LiveError::Output)?;
        printer.flush().map_err(LiveError::Output)?;
    }
    Ok(())
}
