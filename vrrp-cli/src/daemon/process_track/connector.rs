//! The kernel's process events (the proc connector, `NETLINK_CONNECTOR` /
//! `CN_IDX_PROC`): a process exec'd, changed its name, or exited, as it happens, without
//! polling /proc. Needs CAP_NET_ADMIN (root), as keepalived's `vrrp_track_process` does.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::time::Duration;

const NETLINK_CONNECTOR: libc::c_int = 11;
const CN_IDX_PROC: u32 = 1;
const CN_VAL_PROC: u32 = 1;
const PROC_CN_MCAST_LISTEN: u32 = 1;
const NLMSG_DONE: u16 = 3;
const NLMSG_HDRLEN: usize = 16;
/// `struct cn_msg`: id (idx, val), seq, ack, len (u16), flags (u16).
const CN_MSG_LEN: usize = 20;
const PROC_EVENT_EXEC: u32 = 0x0000_0002;
const PROC_EVENT_COMM: u32 = 0x0000_0200;
const PROC_EVENT_EXIT: u32 = 0x8000_0000;

/// What happened to a process (thread-group leaders only: threads are not processes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcEvent {
    /// `pid` exec'd a new program, or changed its name: look at it again.
    Changed(u32),
    /// `pid` exited.
    Exited(u32),
    /// Events were lost (the socket's buffer overflowed): rescan /proc.
    Lost,
}

/// A subscribed proc connector socket.
pub struct ProcConnector {
    fd: OwnedFd,
}

impl ProcConnector {
    /// Opens the socket, joins the process-event group and asks the kernel to send.
    ///
    /// The kernel answers process-event requests in the host's first network namespace
    /// only (elsewhere the request is refused). A daemon in another one (`ip netns exec`,
    /// a container) opens the socket from a thread that has entered `host_netns` (a
    /// namespace file such as /proc/1/ns/net); a socket keeps the namespace it was
    /// created in.
    pub fn open(host_netns: &Path) -> io::Result<Self> {
        match Self::open_here() {
            Err(e) if e.raw_os_error() == Some(libc::ECONNREFUSED) => std::thread::scope(|s| {
                s.spawn(|| {
                    enter_netns(host_netns).map_err(|e| {
                        io::Error::new(
                            e.kind(),
                            format!(
                                "process events are only delivered in the host's network namespace, and entering it ({}) failed: {e}",
                                host_netns.display()
                            ),
                        )
                    })?;
                    Self::open_here()
                })
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the opening thread panicked")))
            }),
            other => other,
        }
    }

    fn open_here() -> io::Result<Self> {
        // SAFETY: plain socket(2) call; the result is checked before use.
        let raw = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                NETLINK_CONNECTOR,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: an all-zero sockaddr_nl is valid; the fields set below are its own.
        let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        addr.nl_groups = CN_IDX_PROC;
        // SAFETY: `addr` is a valid sockaddr_nl of the given length.
        let rc = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        let mut msg = [0u8; NLMSG_HDRLEN + CN_MSG_LEN + 4];
        let len = msg.len() as u32;
        msg[0..4].copy_from_slice(&len.to_ne_bytes());
        msg[4..6].copy_from_slice(&NLMSG_DONE.to_ne_bytes());
        msg[12..16].copy_from_slice(&std::process::id().to_ne_bytes());
        let cn = NLMSG_HDRLEN;
        msg[cn..cn + 4].copy_from_slice(&CN_IDX_PROC.to_ne_bytes());
        msg[cn + 4..cn + 8].copy_from_slice(&CN_VAL_PROC.to_ne_bytes());
        msg[cn + 16..cn + 18].copy_from_slice(&4u16.to_ne_bytes());
        msg[cn + CN_MSG_LEN..].copy_from_slice(&PROC_CN_MCAST_LISTEN.to_ne_bytes());
        // SAFETY: `msg` is a valid buffer of its length; the socket is bound.
        let sent = unsafe { libc::send(fd.as_raw_fd(), msg.as_ptr().cast(), msg.len(), 0) };
        if sent < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(ProcConnector { fd })
    }

    /// Waits up to `timeout` for events; appends them to `out`. An empty result after the
    /// timeout is not an error.
    pub fn recv(&self, timeout: Duration, out: &mut Vec<ProcEvent>) -> io::Result<()> {
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&mut pfd, 1, ms) };
        if ready < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::Interrupted {
                Ok(())
            } else {
                Err(e)
            };
        }
        if ready == 0 {
            return Ok(());
        }
        let mut buf = [0u8; 8192];
        loop {
            // SAFETY: `buf` is valid for writing its length.
            let n = unsafe {
                libc::recv(
                    self.fd.as_raw_fd(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    libc::MSG_DONTWAIT,
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                return match e.raw_os_error() {
                    Some(libc::EAGAIN) => Ok(()),
                    Some(libc::EINTR) => continue,
                    Some(libc::ENOBUFS) => {
                        out.push(ProcEvent::Lost);
                        continue;
                    }
                    _ => Err(e),
                };
            }
            parse(&buf[..n as usize], out);
        }
    }
}

/// Moves the calling thread (only) into the network namespace of the file `path`.
fn enter_netns(path: &Path) -> io::Result<()> {
    let ns = std::fs::File::open(path)?;
    // SAFETY: setns(2) on a namespace descriptor we opened; it affects this thread only,
    // which ends right after opening the socket.
    if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The events in one datagram: netlink messages each carrying a `cn_msg` and a
/// `proc_event` (what, cpu, timestamp, then the event's data). Anything short or of
/// another kind is skipped.
fn parse(mut bytes: &[u8], out: &mut Vec<ProcEvent>) {
    const EVENT_DATA: usize = NLMSG_HDRLEN + CN_MSG_LEN + 16;
    let u32_at = |b: &[u8], at: usize| -> Option<u32> {
        Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
    };
    while let Some(len) = u32_at(bytes, 0) {
        if bytes.len() < NLMSG_HDRLEN {
            break;
        }
        // A length the datagram cannot hold is cut to it; one below a header is a header.
        let len = (len as usize).max(NLMSG_HDRLEN).min(bytes.len());
        let msg = &bytes[..len];
        if let (Some(what), Some(pid), Some(tgid)) = (
            u32_at(msg, NLMSG_HDRLEN + CN_MSG_LEN),
            u32_at(msg, EVENT_DATA),
            u32_at(msg, EVENT_DATA + 4),
        ) {
            if pid == tgid {
                match what {
                    PROC_EVENT_EXEC | PROC_EVENT_COMM => out.push(ProcEvent::Changed(tgid)),
                    PROC_EVENT_EXIT => out.push(ProcEvent::Exited(tgid)),
                    _ => {}
                }
            }
        }
        // Netlink messages are 4-byte aligned.
        let next = (len + 3) & !3;
        if next >= bytes.len() {
            break;
        }
        bytes = &bytes[next..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(what: u32, pid: u32, tgid: u32) -> Vec<u8> {
        let mut m = vec![0u8; NLMSG_HDRLEN + CN_MSG_LEN + 16 + 16];
        let len = m.len() as u32;
        m[0..4].copy_from_slice(&len.to_ne_bytes());
        let ev = NLMSG_HDRLEN + CN_MSG_LEN;
        m[ev..ev + 4].copy_from_slice(&what.to_ne_bytes());
        m[ev + 16..ev + 20].copy_from_slice(&pid.to_ne_bytes());
        m[ev + 20..ev + 24].copy_from_slice(&tgid.to_ne_bytes());
        m
    }

    #[test]
    fn exec_comm_and_exit_of_processes_are_read_and_threads_ignored() {
        let mut bytes = message(PROC_EVENT_EXEC, 10, 10);
        bytes.extend(message(PROC_EVENT_EXIT, 11, 11));
        bytes.extend(message(PROC_EVENT_EXIT, 13, 12)); // a thread
        bytes.extend(message(PROC_EVENT_COMM, 14, 14));
        bytes.extend(message(0x1, 15, 15)); // fork: the exec that follows matters
        let mut out = Vec::new();
        parse(&bytes, &mut out);
        assert_eq!(
            out,
            vec![
                ProcEvent::Changed(10),
                ProcEvent::Exited(11),
                ProcEvent::Changed(14)
            ]
        );
    }

    #[test]
    fn short_and_garbled_datagrams_are_skipped() {
        let mut out = Vec::new();
        parse(&[], &mut out);
        parse(&[1, 2, 3], &mut out);
        parse(&[0xff; 7], &mut out);
        let mut m = message(PROC_EVENT_EXEC, 10, 10);
        m.truncate(30);
        parse(&m, &mut out);
        assert!(out.is_empty());
    }
}
