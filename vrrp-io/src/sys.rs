//! The few system calls that socket2 does not wrap. All of the crate's `unsafe` lives
//! here, each block small and with its SAFETY argument.

use std::io;
use std::mem;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr;

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

/// `getsockopt(fd, level, name)` of an `int` option.
pub(crate) fn getsockopt_int(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
) -> io::Result<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` and `len` are live and exclusively borrowed for the call; the kernel
    // writes at most `len` bytes into `value` and the length it wrote into `len`. `fd` is
    // a valid open descriptor.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&mut value as *mut libc::c_int).cast::<libc::c_void>(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    if len as usize != mem::size_of::<libc::c_int>() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "getsockopt: not an int option",
        ));
    }
    Ok(value)
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

/// The most messages one `recvmmsg` / `sendmmsg` call handles: the kernel caps `vlen` at
/// UIO_MAXIOV (1024) and silently ignores the rest.
pub(crate) const MAX_MMSG: usize = 1024;

/// An empty `mmsghdr`: null pointers, zero lengths.
fn empty_mmsghdr() -> libc::mmsghdr {
    // SAFETY: mmsghdr is { msghdr, c_uint }, and msghdr holds only raw pointers and
    // integers (plus, on some libcs, private integer padding): all zero is valid.
    unsafe { mem::zeroed() }
}

/// An empty `sockaddr_storage` (family AF_UNSPEC).
fn empty_sockaddr_storage() -> libc::sockaddr_storage {
    // SAFETY: sockaddr_storage is plain integers; all zero is valid (AF_UNSPEC).
    unsafe { mem::zeroed() }
}

/// The IP address in `storage` if it holds an AF_INET / AF_INET6 address of at least
/// `len` bytes (as the kernel reported writing).
fn sockaddr_ip(storage: &libc::sockaddr_storage, len: libc::socklen_t) -> Option<IpAddr> {
    let len = len as usize;
    let base = (storage as *const libc::sockaddr_storage).cast::<u8>();
    match libc::c_int::from(storage.ss_family) {
        libc::AF_INET if len >= mem::size_of::<libc::sockaddr_in>() => {
            // SAFETY: sockaddr_storage is larger than and at least as aligned as
            // sockaddr_in (it is designed to hold any socket address), every byte of it
            // is initialised (it was created zeroed and the kernel writes only bytes),
            // and sockaddr_in is plain integers, so reading one from its start copies
            // valid values.
            let sin: libc::sockaddr_in = unsafe { ptr::read(base.cast()) };
            Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                sin.sin_addr.s_addr,
            ))))
        }
        libc::AF_INET6 if len >= mem::size_of::<libc::sockaddr_in6>() => {
            // SAFETY: as above, for sockaddr_in6 (also smaller than sockaddr_storage and
            // no more aligned).
            let sin6: libc::sockaddr_in6 = unsafe { ptr::read(base.cast()) };
            Some(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)))
        }
        _ => None,
    }
}

/// Reusable message headers for `recvmmsg(2)`.
///
/// The headers hold raw pointers into the caller's buffers only while
/// [`RecvMmsg::recv`] runs; they are rewritten before every call and never dereferenced
/// by Rust code.
pub(crate) struct RecvMmsg {
    h: MmsgHeaders,
    names: Vec<libc::sockaddr_storage>,
    /// Messages the last call received.
    count: usize,
    /// Control buffer size per message in the last call.
    control_len: usize,
}

/// The headers and I/O vectors of one `recvmmsg` / `sendmmsg` call, reused: message `i`
/// owns the I/O vectors `i * per_msg..(i + 1) * per_msg`.
struct MmsgHeaders {
    hdrs: Vec<libc::mmsghdr>,
    iovs: Vec<libc::iovec>,
}

// SAFETY: the raw pointers inside `hdrs` and `iovs` are scratch space: set from live,
// exclusively borrowed buffers at the start of `recv` / `send`, used by the kernel during
// that call only, and never read through afterwards. Moving or sharing the struct between
// threads therefore shares no memory behind those pointers.
unsafe impl Send for MmsgHeaders {}
// SAFETY: as for Send; `&MmsgHeaders` only reads the integer fields of the headers.
unsafe impl Sync for MmsgHeaders {}

impl MmsgHeaders {
    /// For `n` messages (at least 1, at most [`MAX_MMSG`]) of up to `per_msg` buffers.
    fn new(n: usize, per_msg: usize) -> Self {
        let n = n.clamp(1, MAX_MMSG);
        MmsgHeaders {
            hdrs: (0..n).map(|_| empty_mmsghdr()).collect(),
            iovs: (0..n * per_msg)
                .map(|_| libc::iovec {
                    iov_base: ptr::null_mut(),
                    iov_len: 0,
                })
                .collect(),
        }
    }
}

impl std::fmt::Debug for RecvMmsg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecvMmsg")
            .field("capacity", &self.h.hdrs.len())
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl RecvMmsg {
    /// Headers for `n` messages (at least 1, at most [`MAX_MMSG`]).
    pub(crate) fn new(n: usize) -> Self {
        let h = MmsgHeaders::new(n, 1);
        RecvMmsg {
            names: (0..h.hdrs.len())
                .map(|_| empty_sockaddr_storage())
                .collect(),
            h,
            count: 0,
            control_len: 0,
        }
    }

    /// One `recvmmsg(2)` with the given `MSG_*` flags. Message `i` goes to
    /// `bufs[i * buf_len..][..buf_len]` with its ancillary data in
    /// `controls[i * control_len..][..control_len]` (no control buffer when
    /// `control_len` is 0); as many messages as the headers, `bufs` and `controls` have
    /// room for. Returns how many were received (at least 1); [`RecvMmsg::received`]
    /// describes each.
    pub(crate) fn recv(
        &mut self,
        fd: BorrowedFd<'_>,
        bufs: &mut [u8],
        buf_len: usize,
        controls: &mut [u8],
        control_len: usize,
        flags: libc::c_int,
    ) -> io::Result<usize> {
        self.count = 0;
        self.control_len = control_len;
        let Some(fit) = bufs.len().checked_div(buf_len) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "recvmmsg: empty receive buffers",
            ));
        };
        let mut n = self.h.hdrs.len().min(fit);
        if let Some(fit) = controls.len().checked_div(control_len) {
            n = n.min(fit);
        }
        let buf_base = bufs.as_mut_ptr();
        let control_base = controls.as_mut_ptr();
        for (i, iov) in self.h.iovs.iter_mut().take(n).enumerate() {
            iov.iov_base = buf_base.wrapping_add(i * buf_len).cast();
            iov.iov_len = buf_len;
        }
        for name in self.names.iter_mut().take(n) {
            name.ss_family = libc::AF_UNSPEC as libc::sa_family_t;
        }
        // Raw pointers into the vectors, taken once so that no later reborrow of a
        // vector invalidates them.
        let iov_base = self.h.iovs.as_mut_ptr();
        let name_base = self.names.as_mut_ptr();
        for (i, hdr) in self.h.hdrs.iter_mut().take(n).enumerate() {
            let msg = &mut hdr.msg_hdr;
            msg.msg_name = name_base.wrapping_add(i).cast();
            msg.msg_namelen = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            msg.msg_iov = iov_base.wrapping_add(i);
            msg.msg_iovlen = 1;
            if control_len > 0 {
                msg.msg_control = control_base.wrapping_add(i * control_len).cast();
                msg.msg_controllen = control_len as _;
            } else {
                msg.msg_control = ptr::null_mut();
                msg.msg_controllen = 0;
            }
            msg.msg_flags = 0;
            hdr.msg_len = 0;
        }
        // SAFETY: for each of the first `n` headers: `msg_name` points to its own
        // sockaddr_storage in `self.names` with its size as length; `msg_iov` to one
        // iovec in `self.h.iovs` covering `buf_len` bytes of `bufs` at `i * buf_len`, which
        // lie within `bufs` because `n <= bufs.len() / buf_len`; `msg_control` is null
        // with length 0, or covers `control_len` bytes of `controls` at
        // `i * control_len`, within `controls` because `n <= controls.len() / control_len`.
        // The regions do not overlap. `bufs`, `controls` and `self` stay exclusively
        // borrowed and alive for the whole call, the pointers were all derived after the
        // last reborrow of their vectors, and the kernel writes only within the given
        // lengths. `n` is at most MAX_MMSG, so it fits a c_uint. A null timeout means
        // none.
        let rc = unsafe {
            libc::recvmmsg(
                fd.as_raw_fd(),
                self.h.hdrs.as_mut_ptr(),
                n as libc::c_uint,
                flags as _,
                ptr::null_mut(),
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        self.count = (rc as usize).min(n);
        Ok(self.count)
    }

    /// What the last [`RecvMmsg::recv`] got as its `i`-th message, and the sender's IP
    /// address (if the kernel gave an AF_INET / AF_INET6 one).
    pub(crate) fn received(&self, i: usize) -> Option<(Received, Option<IpAddr>)> {
        if i >= self.count {
            return None;
        }
        let hdr = self.h.hdrs.get(i)?;
        let msg = &hdr.msg_hdr;
        #[allow(clippy::unnecessary_cast)] // size_t on glibc, socklen_t on musl
        let control_len = msg.msg_controllen as usize;
        let received = Received {
            len: hdr.msg_len as usize,
            control_len: control_len.min(self.control_len),
            truncated: msg.msg_flags & libc::MSG_TRUNC != 0,
            control_truncated: msg.msg_flags & libc::MSG_CTRUNC != 0,
        };
        let src = sockaddr_ip(self.names.get(i)?, msg.msg_namelen);
        Some((received, src))
    }
}

/// One message for [`SendMmsg::send`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct OutMsg<'a> {
    /// Destination.
    pub addr: &'a SockAddr,
    /// Bytes sent before the payload, in the same datagram (may be empty): an IP header
    /// on a packet socket.
    pub header: &'a [u8],
    /// The datagram (after `header`).
    pub payload: &'a [u8],
    /// Ancillary data (may be empty).
    pub control: &'a [u8],
}

/// Reusable message headers for `sendmmsg(2)`; see [`RecvMmsg`] for the pointers.
pub(crate) struct SendMmsg {
    h: MmsgHeaders,
    /// Messages the last call sent.
    count: usize,
}

impl std::fmt::Debug for SendMmsg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendMmsg")
            .field("capacity", &self.h.hdrs.len())
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl SendMmsg {
    /// Headers for `n` messages (at least 1, at most [`MAX_MMSG`]).
    pub(crate) fn new(n: usize) -> Self {
        SendMmsg {
            h: MmsgHeaders::new(n, 2),
            count: 0,
        }
    }

    /// One `sendmmsg(2)` of the first messages of `msgs` (as many as there are
    /// headers) with the given `MSG_*` flags. Returns how many the kernel sent (at least
    /// 1 unless `msgs` is empty); [`SendMmsg::sent_len`] gives each one's byte count.
    pub(crate) fn send<'a>(
        &mut self,
        fd: BorrowedFd<'_>,
        msgs: impl IntoIterator<Item = OutMsg<'a>>,
        flags: libc::c_int,
    ) -> io::Result<usize> {
        self.count = 0;
        let mut n = 0;
        let slots = self.h.iovs.chunks_exact_mut(2).zip(self.h.hdrs.iter_mut());
        for (msg, (iov, hdr)) in msgs.into_iter().zip(slots) {
            // The header (if any), then the payload. The kernel only reads from a send
            // buffer; the iovec type is shared with receiving, hence the mutable pointers.
            let mut used: usize = 0;
            for buffer in [msg.header, msg.payload] {
                if let (false, Some(slot)) = (buffer.is_empty(), iov.get_mut(used)) {
                    slot.iov_base = buffer.as_ptr().cast_mut().cast();
                    slot.iov_len = buffer.len();
                    used += 1;
                }
            }
            hdr.msg_hdr.msg_iovlen = used as _;
            hdr.msg_hdr.msg_name = msg.addr.as_ptr().cast_mut().cast();
            hdr.msg_hdr.msg_namelen = msg.addr.len();
            if msg.control.is_empty() {
                hdr.msg_hdr.msg_control = ptr::null_mut();
                hdr.msg_hdr.msg_controllen = 0;
            } else {
                hdr.msg_hdr.msg_control = msg.control.as_ptr().cast_mut().cast();
                hdr.msg_hdr.msg_controllen = msg.control.len() as _;
            }
            hdr.msg_hdr.msg_flags = 0;
            hdr.msg_len = 0;
            n += 1;
        }
        if n == 0 {
            return Ok(0);
        }
        let iov_base = self.h.iovs.as_mut_ptr();
        for (i, hdr) in self.h.hdrs.iter_mut().take(n).enumerate() {
            hdr.msg_hdr.msg_iov = iov_base.wrapping_add(2 * i);
        }
        // SAFETY: for each of the first `n` headers, `msg_name` points to a SockAddr of
        // `msg_namelen` bytes; `msg_iov` to its own two iovecs in `self.h.iovs` (at
        // `2 * i`, within the vector, which holds two per header), of which the first
        // `msg_iovlen` (0 to 2) cover a header or payload slice of `iov_len` bytes; and
        // `msg_control` to a control slice of `msg_controllen` bytes (or is null with
        // length 0). All of them are borrowed for 'a, which outlives this call, and the
        // kernel only reads them. The iovec pointers were derived after the last reborrow
        // of `self.h.iovs`. `n` is at most MAX_MMSG, so it fits a c_uint.
        let rc = unsafe {
            libc::sendmmsg(
                fd.as_raw_fd(),
                self.h.hdrs.as_mut_ptr(),
                n as libc::c_uint,
                flags as _,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        self.count = (rc as usize).min(n);
        Ok(self.count)
    }

    /// Bytes the last [`SendMmsg::send`] sent of its `i`-th message.
    pub(crate) fn sent_len(&self, i: usize) -> Option<usize> {
        if i >= self.count {
            return None;
        }
        self.h.hdrs.get(i).map(|h| h.msg_len as usize)
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

/// The hardware type (`ARPHRD_*`) of the interface in an AF_PACKET socket's address, as
/// `getsockname` on a bound packet socket reports it.
pub(crate) fn packet_sockaddr_hatype(addr: SockAddr) -> Option<u16> {
    // getsockname reports the address up to the end of the hardware address it holds:
    // less than a whole sockaddr_ll, but always the fixed fields before `sll_addr`.
    const FIXED_LEN: usize = mem::offset_of!(libc::sockaddr_ll, sll_addr);
    if addr.family() != libc::AF_PACKET as libc::sa_family_t || (addr.len() as usize) < FIXED_LEN {
        return None;
    }
    let storage = addr.as_storage();
    // SAFETY: an AF_PACKET address at the start of a sockaddr_storage, which is larger
    // and at least as aligned as sockaddr_ll and was zero-initialised before the kernel
    // wrote into it, so every byte of the sockaddr_ll read is initialised; plain integers.
    let sll: libc::sockaddr_ll =
        unsafe { std::ptr::read((&storage as *const libc::sockaddr_storage).cast()) };
    Some(sll.sll_hatype)
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

/// Registers a socket this crate owns (a [`crate::VrrpSocket`] or
/// [`crate::NetlinkMonitor`]) with tokio's reactor for readability.
#[cfg(feature = "tokio")]
pub(crate) fn register_readable<T: AsRawFd>(inner: T) -> io::Result<tokio::io::unix::AsyncFd<T>> {
    // SAFETY: the types passed here own their descriptor (an OwnedFd inside a socket2 or
    // netlink-sys socket) and never close or replace it while they live, so the
    // descriptor stays open and the same for the AsyncFd's whole life, as
    // register_with_interest requires.
    unsafe {
        tokio::io::unix::AsyncFd::register_with_interest(inner, tokio::io::Interest::READABLE)
            .map_err(io::Error::from)
    }
}

/// A new epoll instance (close-on-exec).
pub(crate) fn epoll_create() -> io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: epoll_create1 takes no pointers; a non-negative result is a new descriptor
    // that nobody else owns.
    let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: see above.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

/// Registers `fd` with `epoll` for readability (level-triggered), tagged `token`.
pub(crate) fn epoll_add(
    epoll: BorrowedFd<'_>,
    fd: std::os::fd::RawFd,
    token: u64,
) -> io::Result<()> {
    let mut event = libc::epoll_event {
        events: libc::EPOLLIN as u32,
        u64: token,
    };
    // SAFETY: `event` is a valid epoll_event for the duration of the call.
    let rc = unsafe { libc::epoll_ctl(epoll.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut event) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Removes `fd` from `epoll` (an error if it was not registered, which callers ignore).
pub(crate) fn epoll_del(epoll: BorrowedFd<'_>, fd: std::os::fd::RawFd) -> io::Result<()> {
    // SAFETY: EPOLL_CTL_DEL ignores the event pointer (null is allowed since Linux 2.6.9).
    let rc = unsafe {
        libc::epoll_ctl(
            epoll.as_raw_fd(),
            libc::EPOLL_CTL_DEL,
            fd,
            std::ptr::null_mut(),
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The tokens of the descriptors ready now (no waiting), into `events`; returns how many.
pub(crate) fn epoll_ready(
    epoll: BorrowedFd<'_>,
    events: &mut [libc::epoll_event],
) -> io::Result<usize> {
    let max = libc::c_int::try_from(events.len()).unwrap_or(libc::c_int::MAX);
    // SAFETY: `events` is an exclusively borrowed array of `max` epoll_event structs that
    // the kernel fills; timeout 0 returns at once.
    let rc = unsafe { libc::epoll_wait(epoll.as_raw_fd(), events.as_mut_ptr(), max, 0) };
    if rc < 0 {
        let err = io::Error::last_os_error();
        if err.kind() == io::ErrorKind::Interrupted {
            return Ok(0);
        }
        return Err(err);
    }
    Ok(rc as usize)
}

/// An empty epoll event buffer entry.
pub(crate) fn epoll_event_zero() -> libc::epoll_event {
    libc::epoll_event { events: 0, u64: 0 }
}

/// Attaches a classic BPF program to `fd` (`SO_ATTACH_FILTER`): the kernel runs it on
/// every datagram before queueing it, and drops those it returns 0 for.
pub(crate) fn attach_filter(fd: BorrowedFd<'_>, program: &[libc::sock_filter]) -> io::Result<()> {
    let len =
        u16::try_from(program.len()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let prog = libc::sock_fprog {
        len,
        // The kernel copies the instructions during the call and only reads them.
        filter: program.as_ptr().cast_mut(),
    };
    // SAFETY: `prog` points at `len` live instructions for the whole call; the kernel
    // copies them (and validates the program) before returning. `fd` is open.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            (&prog as *const libc::sock_fprog).cast::<libc::c_void>(),
            mem::size_of::<libc::sock_fprog>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{SocketAddr, UdpSocket};
    use std::os::fd::AsFd;

    fn loopback_pair() -> (UdpSocket, UdpSocket) {
        let rx = UdpSocket::bind("127.0.0.1:0").expect("bind");
        rx.set_nonblocking(true).expect("non-blocking");
        let tx = UdpSocket::bind("127.0.0.1:0").expect("bind");
        (rx, tx)
    }

    #[test]
    fn sockaddr_ip_reads_v4_and_v6_and_refuses_short_lengths() {
        let v4: SocketAddr = "192.0.2.1:0".parse().expect("v4");
        let v6: SocketAddr = "[fe80::a]:0".parse().expect("v6");
        for addr in [v4, v6] {
            let sa = SockAddr::from(addr);
            let len = sa.len();
            let storage = sa.as_storage();
            assert_eq!(sockaddr_ip(&storage, len), Some(addr.ip()));
            assert_eq!(sockaddr_ip(&storage, len - 1), None);
        }
        assert_eq!(sockaddr_ip(&empty_sockaddr_storage(), 128), None);
    }

    #[test]
    fn sendmmsg_and_recvmmsg_move_several_datagrams_per_call() {
        let (rx, tx) = loopback_pair();
        let to = SockAddr::from(rx.local_addr().expect("addr"));
        let payloads: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 10 + usize::from(i)]).collect();
        let mut send = SendMmsg::new(8);
        let msgs = payloads.iter().map(|p| OutMsg {
            addr: &to,
            header: &[],
            payload: p,
            control: &[],
        });
        assert_eq!(send.send(tx.as_fd(), msgs, 0).expect("sendmmsg"), 5);
        for (i, p) in payloads.iter().enumerate() {
            assert_eq!(send.sent_len(i), Some(p.len()));
        }
        assert_eq!(send.sent_len(5), None);

        let mut recv = RecvMmsg::new(8);
        let mut bufs = vec![0u8; 8 * 64];
        let mut controls = vec![0u8; 8 * 32];
        let n = recv
            .recv(
                rx.as_fd(),
                &mut bufs,
                64,
                &mut controls,
                32,
                libc::MSG_DONTWAIT,
            )
            .expect("recvmmsg");
        assert_eq!(n, 5);
        let from = tx.local_addr().expect("addr").ip();
        for (i, p) in payloads.iter().enumerate() {
            let (r, src) = recv.received(i).expect("received");
            assert_eq!((r.len, r.truncated, src), (p.len(), false, Some(from)));
            assert_eq!(&bufs[i * 64..i * 64 + r.len], &p[..]);
        }
        assert!(recv.received(5).is_none());
        let empty = recv.recv(
            rx.as_fd(),
            &mut bufs,
            64,
            &mut controls,
            32,
            libc::MSG_DONTWAIT,
        );
        assert_eq!(empty.map_err(|e| e.kind()), Err(io::ErrorKind::WouldBlock));
    }

    #[test]
    fn sendmmsg_sends_header_and_payload_as_one_datagram() {
        let (rx, tx) = loopback_pair();
        let to = SockAddr::from(rx.local_addr().expect("addr"));
        let mut send = SendMmsg::new(4);
        let msgs = [
            (&b"head"[..], &b"-one"[..]),
            (&b""[..], &b"two"[..]),
            (&b"three"[..], &b""[..]),
        ]
        .map(|(header, payload)| OutMsg {
            addr: &to,
            header,
            payload,
            control: &[],
        });
        assert_eq!(send.send(tx.as_fd(), msgs, 0).expect("sendmmsg"), 3);
        assert_eq!(
            (send.sent_len(0), send.sent_len(1), send.sent_len(2)),
            (Some(8), Some(3), Some(5))
        );
        let mut buf = [0u8; 16];
        for expected in [&b"head-one"[..], b"two", b"three"] {
            let n = rx.recv(&mut buf).expect("datagram");
            assert_eq!(&buf[..n], expected);
        }
    }

    #[test]
    fn getsockopt_int_reads_back_what_setsockopt_set() {
        let (rx, _) = loopback_pair();
        setsockopt(rx.as_fd(), libc::IPPROTO_IP, libc::IP_TTL, &77).expect("set");
        assert_eq!(
            getsockopt_int(rx.as_fd(), libc::IPPROTO_IP, libc::IP_TTL).expect("get"),
            77
        );
    }

    #[test]
    fn recvmmsg_reads_no_more_than_its_headers_and_flags_truncation() {
        let (rx, tx) = loopback_pair();
        let to = rx.local_addr().expect("addr");
        for _ in 0..3 {
            tx.send_to(&[7u8; 100], to).expect("send");
        }
        let mut recv = RecvMmsg::new(2);
        let mut bufs = vec![0u8; 8 * 16];
        let n = recv
            .recv(rx.as_fd(), &mut bufs, 16, &mut [], 0, libc::MSG_DONTWAIT)
            .expect("recvmmsg");
        assert_eq!(n, 2, "two headers, two datagrams");
        let (r, _) = recv.received(0).expect("received");
        assert!(r.truncated);
        assert_eq!(r.control_len, 0);
        assert_eq!(
            recv.recv(rx.as_fd(), &mut bufs, 16, &mut [], 0, libc::MSG_DONTWAIT)
                .expect("the third"),
            1
        );
        // No room for even one datagram: refused rather than read into nothing.
        assert!(recv
            .recv(rx.as_fd(), &mut bufs, 0, &mut [], 0, libc::MSG_DONTWAIT)
            .is_err());
    }
}
