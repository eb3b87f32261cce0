//! The few system calls that socket2 does not wrap. All of the crate's `unsafe` lives
//! here, each block small and with its SAFETY argument.

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, BorrowedFd};

use socket2::SockAddr;

use crate::mac::MacAddr;

/// Marker for plain C structs that may be passed to `setsockopt` by pointer: fixed size,
/// every byte initialised (no padding).
///
/// # Safety
/// Implementors must have no padding bytes and no pointers.
pub(crate) unsafe trait SockOptValue: Copy {}

// SAFETY: a c_int is 4 initialised bytes.
unsafe impl SockOptValue for libc::c_int {}
// SAFETY: ip_mreqn is { in_addr (4), in_addr (4), c_int (4) }: 12 bytes, no padding.
unsafe impl SockOptValue for libc::ip_mreqn {}

/// `setsockopt(fd, level, name, &value, sizeof value)`.
pub(crate) fn setsockopt<T: SockOptValue>(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
) -> io::Result<()> {
    let len = mem::size_of::<T>() as libc::socklen_t;
    // SAFETY: `value` is a live, fully initialised T (SockOptValue) of `len` bytes for the
    // whole call; the kernel only reads from it. `fd` is a valid open descriptor.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (value as *const T).cast::<libc::c_void>(),
            len,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// What `recvmsg` reported besides the sender address.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Received {
    /// Bytes of the datagram (may exceed the buffer when `truncated`).
    pub len: usize,
    /// Bytes of ancillary data written into the control buffer.
    pub control_len: usize,
    /// MSG_TRUNC: the datagram did not fit the buffer.
    pub truncated: bool,
    /// MSG_CTRUNC: the ancillary data did not fit the control buffer.
    pub control_truncated: bool,
}

/// `recvmsg(2)` with one data buffer and one control buffer and the given `MSG_*` flags.
/// Returns what was received and the sender's address.
pub(crate) fn recvmsg(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    control: &mut [u8],
    flags: libc::c_int,
) -> io::Result<(Received, SockAddr)> {
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast::<libc::c_void>(),
        iov_len: buf.len(),
    };
    let control_ptr = if control.is_empty() {
        std::ptr::null_mut()
    } else {
        control.as_mut_ptr().cast::<libc::c_void>()
    };
    let control_cap = control.len();
    // SAFETY: `try_init` hands us a zeroed sockaddr_storage and its size; recvmsg writes at
    // most `msg_namelen` bytes there and we report back the length it set. The iovec
    // points to `buf` and the control pointer to `control` (or is null with length 0);
    // both stay mutably borrowed and alive for the whole call, and recvmsg writes only
    // within the lengths given. An all-zero msghdr is a valid value (null pointers, zero
    // lengths) that we then fill in.
    unsafe {
        SockAddr::try_init(|storage, storage_len| {
            let mut msg: libc::msghdr = mem::zeroed();
            msg.msg_name = storage.cast::<libc::c_void>();
            msg.msg_namelen = *storage_len;
            msg.msg_iov = &mut iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control_ptr;
            msg.msg_controllen = control_cap as _;
            let n = libc::recvmsg(fd.as_raw_fd(), &mut msg, flags);
            if n < 0 {
                return Err(io::Error::last_os_error());
            }
            *storage_len = msg.msg_namelen;
            Ok(Received {
                len: n as usize,
                control_len: (msg.msg_controllen as usize).min(control_cap),
                truncated: msg.msg_flags & libc::MSG_TRUNC != 0,
                control_truncated: msg.msg_flags & libc::MSG_CTRUNC != 0,
            })
        })
    }
}

/// A `sockaddr_ll` for an AF_PACKET socket: interface, EtherType (host order) and
/// destination hardware address.
pub(crate) fn packet_sockaddr(ifindex: u32, ethertype: u16, dst: MacAddr) -> io::Result<SockAddr> {
    let ifindex = i32::try_from(ifindex)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "interface index too large"))?;
    let mut sll_addr = [0u8; 8];
    sll_addr[..6].copy_from_slice(&dst.0);
    let sll = libc::sockaddr_ll {
        sll_family: libc::AF_PACKET as libc::c_ushort,
        sll_protocol: ethertype.to_be(),
        sll_ifindex: ifindex,
        sll_hatype: 0,
        sll_pkttype: 0,
        sll_halen: 6,
        sll_addr,
    };
    // SAFETY: `try_init` passes a zeroed sockaddr_storage, which is larger than and at
    // least as aligned as sockaddr_ll (both are C socket address types; storage is
    // designed to hold any of them). We write one fully initialised sockaddr_ll at its
    // start and report exactly its size as the address length.
    let ((), addr) = unsafe {
        SockAddr::try_init(|storage, len| {
            storage.cast::<libc::sockaddr_ll>().write(sll);
            *len = mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
            Ok(())
        })
    }?;
    Ok(addr)
}

/// The interface index and EtherType (host order) of a received packet's `sockaddr_ll`,
/// and whether the kernel marked it as one we sent (PACKET_OUTGOING).
pub(crate) fn packet_sockaddr_info(addr: SockAddr) -> Option<(u32, u16, bool)> {
    if addr.family() != libc::AF_PACKET as libc::sa_family_t
        || (addr.len() as usize) < mem::size_of::<libc::sockaddr_ll>()
    {
        return None;
    }
    let storage = addr.as_storage();
    // SAFETY: the family is AF_PACKET and the kernel wrote a whole sockaddr_ll (length
    // checked above) at the start of the storage, which is large and aligned enough for
    // it; reading it by value copies plain integers.
    let sll: libc::sockaddr_ll =
        unsafe { std::ptr::read((&storage as *const libc::sockaddr_storage).cast()) };
    Some((
        u32::try_from(sll.sll_ifindex).ok()?,
        u16::from_be(sll.sll_protocol),
        sll.sll_pkttype == libc::PACKET_OUTGOING,
    ))
}

/// One descriptor to wait on with [`ppoll`].
pub(crate) type PollFd = libc::pollfd;

/// A [`PollFd`] waiting for `fd` to become readable.
pub(crate) fn poll_readable(fd: std::os::fd::RawFd) -> PollFd {
    libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    }
}

/// Whether [`ppoll`] found the descriptor readable (or in error, which a read reports).
pub(crate) fn is_readable(p: &PollFd) -> bool {
    p.revents & (libc::POLLIN | libc::POLLERR | libc::POLLHUP) != 0
}

/// Waits until one of `fds` is readable or `timeout` passes (`None`: forever), with
/// nanosecond resolution (poll(2) and epoll_wait(2) round to milliseconds, which would
/// add up to a millisecond to every takeover). EINTR counts as a timeout.
pub(crate) fn ppoll(fds: &mut [PollFd], timeout: Option<std::time::Duration>) -> io::Result<()> {
    for p in fds.iter_mut() {
        p.revents = 0;
    }
    let ts = timeout.map(|t| libc::timespec {
        tv_sec: t.as_secs().min(i64::MAX as u64) as libc::time_t,
        tv_nsec: t.subsec_nanos() as libc::c_long,
    });
    let ts_ptr = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: `fds` is a valid, exclusively borrowed array of `fds.len()` pollfd structs
    // for the duration of the call; `ts_ptr` is null or points to `ts`, alive for the
    // call; a null sigmask leaves the signal mask unchanged.
    let rc = unsafe {
        libc::ppoll(
            fds.as_mut_ptr(),
            fds.len() as libc::nfds_t,
            ts_ptr,
            std::ptr::null(),
        )
    };
    if rc < 0 {
        let err = io::Error::last_os_error();
        if err.kind() == io::ErrorKind::Interrupted {
            return Ok(());
        }
        return Err(err);
    }
    Ok(())
}

/// A non-blocking, close-on-exec pipe: (read end, write end).
pub(crate) fn pipe() -> io::Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)> {
    use std::os::fd::FromRawFd;
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded, so both descriptors are open and owned by nobody else.
    Ok(unsafe {
        (
            std::os::fd::OwnedFd::from_raw_fd(fds[0]),
            std::os::fd::OwnedFd::from_raw_fd(fds[1]),
        )
    })
}
