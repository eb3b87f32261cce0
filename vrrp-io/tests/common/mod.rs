//! Network-namespace test harness.
//!
//! Every test builds its own namespaces (`vio-<pid>-<n>`), joined by a veth pair, and
//! runs the code under test inside them: [`Netns::run`] executes a closure on a fresh
//! thread that has entered the namespace with `setns(2)` (each thread has its own network
//! namespace). Sockets and netlink handles keep the namespace they were created in, so a
//! closure can create them and hand them back to the test thread. Namespaces are deleted
//! by `Drop`, also when the test panics. Nothing here touches the host's interfaces.
#![allow(dead_code)]

use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// True when running as root (namespaces, raw sockets and address changes need it).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Returns from the test with a note on stderr unless running as root.
#[macro_export]
macro_rules! require_root {
    () => {
        if !common::is_root() {
            eprintln!("SKIPPED: needs root");
            return;
        }
    };
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Runs a command and panics with its output if it fails.
pub fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A network namespace created for one test, deleted on drop.
pub struct Netns {
    pub name: String,
}

impl Netns {
    /// Creates `vio-<pid>-<n>` with its loopback up.
    pub fn new() -> Netns {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("vio-{}-{}", std::process::id(), n);
        run("ip", &["netns", "add", &name]);
        let ns = Netns { name };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// `ip -n NAME ARGS...`
    pub fn ip(&self, args: &[&str]) -> String {
        let mut full = vec!["-n", self.name.as_str()];
        full.extend_from_slice(args);
        run("ip", &full)
    }

    /// `sysctl -qw KEY=VALUE` inside the namespace.
    pub fn sysctl(&self, key_value: &str) {
        run(
            "ip",
            &["netns", "exec", &self.name, "sysctl", "-qw", key_value],
        );
    }

    /// Runs `f` on a thread that has entered this namespace, and returns its result.
    /// A panic in `f` is re-raised here.
    pub fn run<T, F>(&self, f: F) -> T
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let path = format!("/run/netns/{}", self.name);
        let handle = std::thread::spawn(move || {
            let file = File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"));
            // SAFETY: the descriptor is an open network-namespace file; setns only changes
            // the calling thread's namespace.
            let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns {path}: {}", std::io::Error::last_os_error());
            f()
        });
        match handle.join() {
            Ok(v) => v,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// Two namespaces joined by a veth pair: `va` in `a` (192.0.2.1/24, fd00:db8::1/64)
/// and `vb` in `b` (192.0.2.2/24, fd00:db8::2/64), both up, without IPv6 DAD so the
/// link-local addresses are usable at once.
pub struct Lab {
    pub a: Netns,
    pub b: Netns,
}

pub const A_V4: &str = "192.0.2.1";
pub const B_V4: &str = "192.0.2.2";
pub const A_V6: &str = "fd00:db8::1";
pub const B_V6: &str = "fd00:db8::2";

impl Lab {
    pub fn new() -> Lab {
        let a = Netns::new();
        let b = Netns::new();
        a.ip(&[
            "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", &b.name,
        ]);
        a.sysctl("net.ipv6.conf.va.accept_dad=0");
        b.sysctl("net.ipv6.conf.vb.accept_dad=0");
        a.ip(&["addr", "add", &format!("{A_V4}/24"), "dev", "va"]);
        b.ip(&["addr", "add", &format!("{B_V4}/24"), "dev", "vb"]);
        a.ip(&["addr", "add", &format!("{A_V6}/64"), "dev", "va", "nodad"]);
        b.ip(&["addr", "add", &format!("{B_V6}/64"), "dev", "vb", "nodad"]);
        a.ip(&["link", "set", "va", "up"]);
        b.ip(&["link", "set", "vb", "up"]);
        let lab = Lab { a, b };
        lab.a.run(|| wait_for_link_local("va"));
        lab.b.run(|| wait_for_link_local("vb"));
        lab
    }
}

/// Waits (at most 5 s) until `ifname` has a usable IPv6 link-local address; returns it.
pub fn wait_for_link_local(ifname: &str) -> std::net::Ipv6Addr {
    let mut nl = vrrp_io::Netlink::open().expect("netlink");
    let ifindex = nl.ifindex(ifname).expect("interface");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let found = nl
            .interface_addresses(ifindex)
            .expect("addresses")
            .into_iter()
            .find_map(|a| match a.addr {
                std::net::IpAddr::V6(v6) if v6.segments()[0] == 0xfe80 && a.is_usable() => Some(v6),
                _ => None,
            });
        if let Some(ll) = found {
            return ll;
        }
        assert!(
            Instant::now() < deadline,
            "{ifname}: no usable link-local within 5 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Polls `f` every 5 ms until it returns `Some`, for at most `timeout`.
pub fn poll_until<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Drops every capability of the calling thread (capabilities are per thread), so that
/// code run after it sees what an unprivileged user would. Use inside [`Netns::run`].
pub fn drop_all_capabilities() {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    // _LINUX_CAPABILITY_VERSION_3: two 32-bit words of each set.
    let header = Header {
        version: 0x2008_0522,
        pid: 0,
    };
    let data = [Data {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: capset reads one header and two data structs of the v3 layout, both live
    // for the call; pid 0 means the calling thread only.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &header as *const Header, data.as_ptr()) };
    assert_eq!(rc, 0, "capset: {}", std::io::Error::last_os_error());
}

/// Waits (at most `timeout`) until `fd` is readable, then a little longer, so that a burst
/// sent just before has been queued completely (veth delivers in the sender's softirq;
/// the pause covers a deferral to ksoftirqd). False if it never became readable.
pub fn wait_until_queued(fd: &impl std::os::fd::AsRawFd, timeout: Duration) -> bool {
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: one valid pollfd, exclusively borrowed for the call.
    let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
    if rc <= 0 {
        return false;
    }
    std::thread::sleep(Duration::from_millis(100));
    true
}

/// Emits a VRRPv3 advert for `vrid` (priority 150, 1 s) with `vips` from `src` to `dst`.
pub fn v3_advert(
    vrid: u8,
    vips: vrrp_core::wire::AddressList<'_>,
    src: std::net::IpAddr,
    dst: std::net::IpAddr,
) -> Vec<u8> {
    use vrrp_core::wire::{AdvertRepr, Auth, ChecksumMode};
    use vrrp_core::{Centiseconds, Priority, Version, Vrid};
    let repr = AdvertRepr {
        version: Version::V3,
        vrid: Vrid::new(vrid).expect("vrid"),
        priority: Priority(150),
        max_advert_interval: Centiseconds(100),
        addresses: vips,
        auth: Auth::None,
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    let len = repr
        .emit(&mut buf, src, dst, ChecksumMode::default())
        .expect("emit");
    buf.truncate(len);
    buf
}

/// Reads `sock` in batches until `want` datagrams arrived or `timeout` passed; returns
/// what arrived (metadata and payload), in order. The caller asserts the count.
pub fn recv_datagrams(
    sock: &mut vrrp_io::VrrpSocket,
    want: usize,
    timeout: Duration,
) -> Vec<(vrrp_core::wire::RxMeta, Vec<u8>)> {
    let mut rx = vrrp_io::socket::RecvBatch::new(32);
    let mut got = Vec::new();
    poll_until(timeout, || {
        match sock.recv_batch(&mut rx) {
            Ok(_) => got.extend(rx.iter().map(|d| (d.meta, d.payload.to_vec()))),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("recv_batch: {e}"),
        }
        (got.len() >= want).then_some(())
    });
    got
}
