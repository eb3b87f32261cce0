//! A LAN of network namespaces for end-to-end tests of VRRP routers.
//!
//! [`Lab::new`]`(n)` builds, with nothing outside the namespaces it creates:
//!
//! ```text
//!  <prefix>-sw    bridge br0 (no STP, no forward delay, no multicast snooping)
//!     ports r0, r1, ..., c: veth pairs whose other ends are `eth0` in
//!  <prefix>-rK    router K (K = 0..n): 192.168.100.(10+K)/24 and fd00:100::(10+K)/64
//!                 plus an IPv6 link-local; .12 / ::12 are skipped (the tests' VIP), so
//!                 router 2 is .13, router 3 is .14, ... (see [`Lab::router_v4`])
//!  <prefix>-c     the client: 192.168.100.100/24 and fd00:100::100/64
//! ```
//!
//! `<prefix>` is `vl<pid in hex>n<counter>`, unique per test process and per lab, short
//! enough for every name to stay well under 15 characters. IPv6 DAD is off in every
//! namespace so addresses are usable at once.
//!
//! Processes started with [`Lab::spawn`] (keepalived, our daemon, tcpdump) run inside a
//! namespace with their output in a log file; they are stopped on drop (SIGTERM, up to
//! 5 s, then SIGKILL) and get SIGTERM if the test thread dies. Drop also kills whatever is
//! left in the lab's namespaces, deletes macvlans (FRR leaves them behind) and deletes
//! every namespace, also when the test panics; a panicking test prints the tail of every
//! log first. Every wait in here is bounded.
//!
//! Used by several test files through `mod lab;`, so not every helper is used by each.
#![allow(dead_code)]
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::fs::{self, File};
use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use vrrp_core::wire::{self, RxMeta};

/// The virtual router ID of the classic pair.
pub const VRID: u8 = 51;
/// The classic pair's IPv4 virtual address.
pub const VIP4: &str = "192.168.100.12";
/// The IPv6 virtual address used by the IPv6 tests.
pub const VIP6: &str = "fd00:100::12";
/// The client's IPv4 address.
pub const CLIENT4: &str = "192.168.100.100";
/// The client's IPv6 address.
pub const CLIENT6: &str = "fd00:100::100";

/// Upper bound for one helper command (`ip`, `ping`, `vrrp status`).
pub const RUN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a stopped process gets between SIGTERM and SIGKILL.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// True when running as root (namespaces, raw sockets and addresses need it).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// True when `program` is an executable path or found in `PATH`.
pub fn have(program: &str) -> bool {
    let is_exec = |p: &Path| {
        p.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    };
    if program.contains('/') {
        return is_exec(Path::new(program));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .any(|dir| is_exec(&dir.join(program)))
}

/// Returns from the test with `SKIPPED: needs root` on stderr unless running as root.
#[macro_export]
macro_rules! require_root {
    () => {
        if !$crate::lab::is_root() {
            eprintln!("SKIPPED: needs root");
            return;
        }
    };
}

/// Returns from the test with `SKIPPED: <tool> not installed` unless every tool is there.
#[macro_export]
macro_rules! require_tools {
    ($($tool:expr),+ $(,)?) => {
        for tool in [$($tool),+] {
            if !$crate::lab::have(tool) {
                eprintln!("SKIPPED: {tool} not installed");
                return;
            }
        }
    };
}

/// Returns from the test with `SKIPPED: ...` unless running as root with keepalived,
/// tcpdump and ping.
#[macro_export]
macro_rules! require_keepalived {
    () => {
        $crate::require_root!();
        $crate::require_tools!("keepalived", "tcpdump", "ping");
    };
}

/// Returns from the test with `SKIPPED: ...` unless running as root with FRR (zebra,
/// vrrpd, vtysh, user frr), tcpdump and ping.
#[macro_export]
macro_rules! require_frr {
    () => {
        $crate::require_root!();
        if let Some(why) = $crate::lab::peers::frr_missing() {
            eprintln!("SKIPPED: {why}");
            return;
        }
        $crate::require_tools!("tcpdump", "ping");
    };
}

/// Polls `cond` every 20 ms until it is true (returns true) or `timeout` has passed
/// (returns false).
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs a command with a time limit; its output is collected. On timeout the command is
/// killed and an error returned.
pub fn run_with_timeout(mut cmd: Command, timeout: Duration) -> Result<Output, String> {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    // Read both pipes on threads so that a chatty command cannot block on a full pipe.
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out_pipe.read_to_end(&mut v);
        v
    });
    let err_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err_pipe.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{what} did not finish within {timeout:?}"));
            }
            Err(e) => return Err(format!("waiting for {what}: {e}")),
        }
    };
    let stdout = out_thread.join().unwrap_or_default();
    let stderr = err_thread.join().unwrap_or_default();
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

/// Runs `program args...` (bounded by [`RUN_TIMEOUT`]) and returns its stdout; panics
/// with its stderr when it fails.
pub fn run(program: &str, args: &[&str]) -> String {
    let mut cmd = Command::new(program);
    cmd.args(args);
    let out = run_with_timeout(cmd, RUN_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{program} {} failed ({}): {}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Like [`run`] but never panics: for cleanup paths.
fn run_quiet(program: &str, args: &[&str]) -> Option<String> {
    let mut cmd = Command::new(program);
    cmd.args(args);
    match run_with_timeout(cmd, RUN_TIMEOUT) {
        Ok(out) if out.status.success() => Some(String::from_utf8_lossy(&out.stdout).into_owned()),
        _ => None,
    }
}

/// Sends a signal to a process.
pub fn send_signal(pid: u32, signal: i32) {
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(pid as libc::pid_t, signal);
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A process started in the lab with [`Lab::spawn`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProcId(usize);

struct Proc {
    name: String,
    ns: String,
    log: PathBuf,
    dir: PathBuf,
    child: Child,
    exit: Option<ExitStatus>,
}

/// Which VRRP implementation a router runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Impl {
    /// keepalived 2.2.x from the distribution.
    Keepalived,
    /// This repository's `vrrp run`.
    Vrrp,
}

/// A running tcpdump on the client; see [`Lab::start_capture`].
#[derive(Debug)]
pub struct Capture {
    /// The process.
    pub id: ProcId,
    /// The pcap file it writes.
    pub path: PathBuf,
}

/// The namespace LAN; see the module documentation.
pub struct Lab {
    prefix: String,
    routers: usize,
    /// Namespaces created so far, in creation order (deleted in reverse).
    namespaces: Vec<String>,
    dir: tempfile::TempDir,
    procs: Vec<Proc>,
}

impl Lab {
    /// Builds the switch, `routers` router namespaces and the client. Panics (after
    /// cleaning up what it made) if any step fails.
    pub fn new(routers: usize) -> Lab {
        assert!(routers <= 80, "at most 80 routers");
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        if n == 0 {
            delete_stale_namespaces();
        }
        let prefix = format!("vl{:x}n{n}", std::process::id());
        let dir = tempfile::Builder::new()
            .prefix(&format!("{prefix}-"))
            .tempdir()
            .expect("temporary directory");
        let mut lab = Lab {
            prefix,
            routers,
            namespaces: Vec::new(),
            dir,
            procs: Vec::new(),
        };
        // From here on a panic drops `lab`, which deletes what was created.
        let sw = lab.switch_ns();
        lab.add_ns(&sw);
        lab.ip(
            &sw,
            &[
                "link",
                "add",
                "br0",
                "type",
                "bridge",
                "stp_state",
                "0",
                "forward_delay",
                "0",
                "mcast_snooping",
                "0",
            ],
        );
        lab.ip(&sw, &["link", "set", "br0", "up"]);
        let mut hosts: Vec<(String, String, String, String)> = (0..routers)
            .map(|k| {
                (
                    lab.router_ns(k),
                    format!("r{k}"),
                    format!("{}/24", Lab::router_v4(k)),
                    format!("{}/64", Lab::router_v6(k)),
                )
            })
            .collect();
        hosts.push((
            lab.client_ns(),
            "c".to_string(),
            format!("{CLIENT4}/24"),
            format!("{CLIENT6}/64"),
        ));
        for (ns, port, v4, v6) in &hosts {
            lab.add_ns(ns);
            run(
                "ip",
                &[
                    "netns",
                    "exec",
                    ns,
                    "sysctl",
                    "-qw",
                    "net.ipv6.conf.all.accept_dad=0",
                    "net.ipv6.conf.default.accept_dad=0",
                ],
            );
            lab.ip(
                &sw,
                &[
                    "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns,
                ],
            );
            lab.ip(&sw, &["link", "set", port, "master", "br0", "up"]);
            lab.ip(ns, &["addr", "add", v4, "dev", "eth0"]);
            lab.ip(ns, &["addr", "add", v6, "dev", "eth0", "nodad"]);
            lab.ip(ns, &["link", "set", "eth0", "up"]);
        }
        for k in 0..routers {
            fs::create_dir_all(lab.router_dir(k)).expect("router directory");
            let ns = lab.router_ns(k);
            assert!(
                wait_until(Duration::from_secs(5), || lab.link_local(&ns).is_some()),
                "{ns}: no usable IPv6 link-local address on eth0 within 5 s"
            );
        }
        lab
    }

    fn add_ns(&mut self, name: &str) {
        run("ip", &["netns", "add", name]);
        self.namespaces.push(name.to_string());
        self.ip(name, &["link", "set", "lo", "up"]);
    }

    /// The prefix of every namespace of this lab.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Number of routers.
    pub fn routers(&self) -> usize {
        self.routers
    }

    /// Namespace of router `k`.
    pub fn router_ns(&self, k: usize) -> String {
        format!("{}-r{k}", self.prefix)
    }

    /// Namespace of the client.
    pub fn client_ns(&self) -> String {
        format!("{}-c", self.prefix)
    }

    /// Namespace holding the bridge.
    pub fn switch_ns(&self) -> String {
        format!("{}-sw", self.prefix)
    }

    /// The lab's temporary directory (deleted on drop).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A directory for router `k`'s files (configs, check scripts, health files).
    pub fn router_dir(&self, k: usize) -> PathBuf {
        self.dir.path().join(format!("r{k}"))
    }

    fn host_octet(k: usize) -> u8 {
        // .12 / ::12 is the VIP of the classic pair: never a router's own address.
        let octet = 10 + k;
        let octet = if octet >= 12 { octet + 1 } else { octet };
        u8::try_from(octet).expect("router index")
    }

    /// Router `k`'s IPv4 address: 192.168.100.10, .11, .13, .14, ...
    pub fn router_v4(k: usize) -> Ipv4Addr {
        Ipv4Addr::new(192, 168, 100, Lab::host_octet(k))
    }

    /// Router `k`'s global IPv6 address: fd00:100::10, ::11, ::13, ... (the last group
    /// has the same digits as the IPv4 host part).
    pub fn router_v6(k: usize) -> Ipv6Addr {
        let digits = format!("{}", Lab::host_octet(k));
        Ipv6Addr::new(
            0xfd00,
            0x100,
            0,
            0,
            0,
            0,
            0,
            u16::from_str_radix(&digits, 16).unwrap(),
        )
    }

    /// Router `k`'s IPv6 link-local address (the source of its VRRPv3 adverts).
    pub fn router_ll(&self, k: usize) -> Ipv6Addr {
        self.link_local(&self.router_ns(k))
            .unwrap_or_else(|| panic!("router {k} has no link-local address"))
    }

    fn link_local(&self, ns: &str) -> Option<Ipv6Addr> {
        let out = run_quiet("ip", &["-n", ns, "-6", "-j", "addr", "show", "dev", "eth0"])?;
        let json: serde_json::Value = serde_json::from_str(&out).ok()?;
        json.as_array()?
            .iter()
            .flat_map(|link| link["addr_info"].as_array().cloned().unwrap_or_default())
            .filter(|a| a["scope"] == "link" && a.get("tentative").is_none())
            .find_map(|a| a["local"].as_str()?.parse().ok())
    }

    /// `ip -n NS ARGS...`; panics on failure.
    pub fn ip(&self, ns: &str, args: &[&str]) -> String {
        let mut full = vec!["-n", ns];
        full.extend_from_slice(args);
        run("ip", &full)
    }

    /// The device carrying IPv4 address `addr` in router `k`'s namespace, if any.
    pub fn device_of(&self, k: usize, addr: &str) -> Option<String> {
        let out = self.ip(
            &self.router_ns(k),
            &["-j", "-4", "addr", "show", "to", addr],
        );
        let json: serde_json::Value = serde_json::from_str(&out).ok()?;
        json.as_array()?
            .first()
            .and_then(|l| l["ifname"].as_str().map(str::to_owned))
    }

    /// A second link inside router `k`'s namespace: a veth pair `name` / `peer`, both up,
    /// with `addr` (`a.b.c.d/len`) on `name` if given. It goes with the namespace.
    pub fn add_router_link(&self, k: usize, name: &str, peer: &str, addr: Option<&str>) {
        let ns = self.router_ns(k);
        self.ip(
            &ns,
            &["link", "add", name, "type", "veth", "peer", "name", peer],
        );
        if let Some(addr) = addr {
            self.ip(&ns, &["addr", "add", addr, "dev", name]);
        }
        self.ip(&ns, &["link", "set", peer, "up"]);
        self.ip(&ns, &["link", "set", name, "up"]);
    }

    /// Runs a command inside a namespace (`ip netns exec NS ...`) with a time limit. The
    /// exit status is not checked; a timeout is an `Err`.
    pub fn exec(&self, ns: &str, argv: &[&str], timeout: Duration) -> Result<Output, String> {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns]).args(argv);
        run_with_timeout(cmd, timeout)
    }

    /// Every address on router `k`'s eth0, from `ip -j addr`.
    pub fn addresses(&self, k: usize) -> Vec<IpAddr> {
        let ns = self.router_ns(k);
        let out = self.ip(&ns, &["-j", "addr", "show", "dev", "eth0"]);
        let json: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("ip -j addr in {ns}: {e}: {out}"));
        json.as_array()
            .into_iter()
            .flatten()
            .flat_map(|link| link["addr_info"].as_array().cloned().unwrap_or_default())
            .filter_map(|a| a["local"].as_str()?.parse().ok())
            .collect()
    }

    /// True when router `k`'s eth0 carries `addr` (e.g. "192.168.100.12", "fd00:100::12";
    /// a "/len" suffix is ignored).
    pub fn has_address(&self, k: usize, addr: &str) -> bool {
        let want = parse_ip(addr);
        self.addresses(k).contains(&want)
    }

    /// The routers whose eth0 carries `addr`.
    pub fn holders(&self, addr: &str) -> Vec<usize> {
        (0..self.routers)
            .filter(|&k| self.has_address(k, addr))
            .collect()
    }

    /// Waits until exactly router `k` holds `addr`.
    pub fn wait_sole_holder(&self, k: usize, addr: &str, timeout: Duration) -> bool {
        wait_until(timeout, || self.holders(addr) == [k])
    }

    /// Takes router `k`'s port on the bridge down: to the LAN the router is dead (and its
    /// own eth0 loses carrier).
    pub fn link_down(&self, k: usize) {
        self.ip(
            &self.switch_ns(),
            &["link", "set", &format!("r{k}"), "down"],
        );
    }

    /// Brings router `k`'s bridge port back up.
    pub fn link_up(&self, k: usize) {
        self.ip(&self.switch_ns(), &["link", "set", &format!("r{k}"), "up"]);
    }

    /// Starts the client pinging the IPv4 address `addr` `count` times, one every 10 ms
    /// (each reply awaited up to 1 s), in the background; read the outcome with
    /// [`ping_summary`] on its log once it has exited.
    pub fn start_client_pings(&mut self, addr: &str, count: u32) -> ProcId {
        let client = self.client_ns();
        let count = count.to_string();
        self.spawn(
            &client,
            "ping",
            &[
                "ping", "-4", "-n", "-q", "-i", "0.01", "-W", "1", "-c", &count, "-I", CLIENT4,
                addr,
            ],
        )
    }

    /// One ping from the client with a 1 s deadline. Link-local targets go out of eth0.
    pub fn client_ping(&self, addr: &str) -> bool {
        let ip = parse_ip(addr);
        let target = match ip {
            IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80 => format!("{v6}%eth0"),
            other => other.to_string(),
        };
        let family = if ip.is_ipv6() { "-6" } else { "-4" };
        match self.exec(
            &self.client_ns(),
            &[
                "ping", family, "-n", "-q", "-c", "1", "-W", "1", "-w", "1", &target,
            ],
            Duration::from_secs(5),
        ) {
            Ok(out) => out.status.success(),
            Err(_) => false,
        }
    }

    /// Flushes the client's ARP and IPv6 neighbour caches.
    pub fn client_flush_neighbours(&self) {
        let c = self.client_ns();
        self.ip(&c, &["-4", "neigh", "flush", "dev", "eth0"]);
        self.ip(&c, &["-6", "neigh", "flush", "dev", "eth0"]);
    }

    /// The client's neighbour entry for `addr` (the MAC it would send to), if any.
    pub fn client_neighbour(&self, addr: &str) -> Option<String> {
        let out = self.ip(
            &self.client_ns(),
            &["-j", "neigh", "show", "dev", "eth0", "to", addr],
        );
        let json: serde_json::Value = serde_json::from_str(&out).ok()?;
        json.as_array()?
            .iter()
            .find_map(|n| n["lladdr"].as_str().map(str::to_string))
    }

    /// Router `k`'s eth0 MAC address.
    pub fn router_mac(&self, k: usize) -> String {
        let out = self.ip(&self.router_ns(k), &["-j", "link", "show", "dev", "eth0"]);
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        json[0]["address"].as_str().unwrap().to_string()
    }

    // ---- processes ----

    /// Starts `argv` inside namespace `ns` (`ip netns exec`), stdout and stderr into a log
    /// file in a private directory. The process gets its own process group and SIGTERM
    /// if the test thread dies; it is stopped when the lab is dropped.
    pub fn spawn(&mut self, ns: &str, name: &str, argv: &[&str]) -> ProcId {
        let dir = self.proc_dir_for(name);
        self.spawn_in_dir(ns, name, argv, dir)
    }

    fn proc_dir_for(&self, name: &str) -> PathBuf {
        let i = self.procs.len();
        let dir = self.dir.path().join(format!("p{i}-{name}"));
        fs::create_dir_all(&dir).expect("process directory");
        dir
    }

    fn spawn_in_dir(&mut self, ns: &str, name: &str, argv: &[&str], dir: PathBuf) -> ProcId {
        let log = dir.join("log");
        let file = File::create(&log).expect("log file");
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns])
            .args(argv)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            .process_group(0);
        // SAFETY: the closure only calls prctl(2), which is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                // `ip netns exec` execs the program, which keeps this setting.
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({argv:?}) in {ns}: {e}"));
        self.procs.push(Proc {
            name: name.to_string(),
            ns: ns.to_string(),
            log,
            dir,
            child,
            exit: None,
        });
        ProcId(self.procs.len() - 1)
    }

    /// The pid of a process.
    pub fn pid(&self, id: ProcId) -> u32 {
        self.procs[id.0].child.id()
    }

    /// The private directory of a process (its log, pid files, sockets).
    pub fn proc_dir(&self, id: ProcId) -> PathBuf {
        self.procs[id.0].dir.clone()
    }

    /// Everything the process wrote to stdout and stderr so far.
    pub fn log(&self, id: ProcId) -> String {
        fs::read(&self.procs[id.0].log)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// Sends `signal` (e.g. `libc::SIGHUP`) to a process that is still running.
    pub fn signal(&mut self, id: ProcId, signal: i32) {
        if self.is_running(id) {
            send_signal(self.pid(id), signal);
        }
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self, id: ProcId) -> bool {
        let p = &mut self.procs[id.0];
        if p.exit.is_none() {
            if let Ok(Some(status)) = p.child.try_wait() {
                p.exit = Some(status);
            }
        }
        p.exit.is_none()
    }

    /// Waits at most `timeout` for the process to exit; its status if it did.
    pub fn wait_exit(&mut self, id: ProcId, timeout: Duration) -> Option<ExitStatus> {
        wait_until(timeout, || !self.is_running(id));
        self.procs[id.0].exit
    }

    /// SIGTERM, wait up to [`STOP_TIMEOUT`], then SIGKILL (the process group). Returns the
    /// exit status. Never panics.
    pub fn stop(&mut self, id: ProcId) -> Option<ExitStatus> {
        if !self.is_running(id) {
            return self.procs[id.0].exit;
        }
        send_signal(self.pid(id), libc::SIGTERM);
        if let Some(status) = self.wait_exit(id, STOP_TIMEOUT) {
            return Some(status);
        }
        let p = &mut self.procs[id.0];
        eprintln!(
            "lab: {} (pid {}) ignored SIGTERM for {STOP_TIMEOUT:?}: SIGKILL",
            p.name,
            p.child.id()
        );
        // SAFETY: killpg(2) has no memory-safety preconditions; the group is the one
        // this process was started in (process_group(0)), and it has not been reaped.
        unsafe {
            libc::killpg(p.child.id() as libc::pid_t, libc::SIGKILL);
        }
        // SIGKILL cannot be ignored; bound the wait anyway.
        wait_until(Duration::from_secs(5), || !self.is_running(id));
        self.procs[id.0].exit
    }

    // ---- VRRP implementations ----

    /// Writes a config file into `dir` and returns its path.
    fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        fs::write(&path, text).expect("write file");
        path
    }

    /// Starts keepalived (VRRP only, foreground, private pid files) in router `k`'s
    /// namespace with the given configuration text.
    pub fn start_keepalived(&mut self, k: usize, conf: &str) -> ProcId {
        let name = format!("keepalived-r{k}");
        let dir = self.proc_dir_for(&name);
        let conf = Lab::write_file(&dir, "keepalived.conf", conf);
        let ka_pid = dir.join("ka.pid");
        let vrrp_pid = dir.join("vrrp.pid");
        let ns = self.router_ns(k);
        self.spawn_in_dir(
            &ns,
            &name,
            &[
                "keepalived",
                "-n",
                "-l",
                // No syslog: without /dev/log keepalived falls back to /dev/console, a
                // serial port on these VMs, and can stall the whole machine.
                "-G",
                "-D",
                "-P",
                "-f",
                conf.to_str().unwrap(),
                "-p",
                ka_pid.to_str().unwrap(),
                "-r",
                vrrp_pid.to_str().unwrap(),
            ],
            dir,
        )
    }

    /// Starts our daemon (`vrrp -v run -f CONF --status-socket DIR/vrrp.sock`) in router
    /// `k`'s namespace. The socket path is [`Lab::status_socket`].
    pub fn start_vrrp(&mut self, k: usize, conf: &str) -> ProcId {
        self.start_vrrp_with(k, conf, &[])
    }

    /// [`Lab::start_vrrp`] with more arguments to `vrrp run` (e.g. `--metrics ADDR`).
    pub fn start_vrrp_with(&mut self, k: usize, conf: &str, extra: &[&str]) -> ProcId {
        let name = format!("vrrp-r{k}");
        let dir = self.proc_dir_for(&name);
        let conf = Lab::write_file(&dir, "keepalived.conf", conf);
        let socket = dir.join("vrrp.sock");
        let ns = self.router_ns(k);
        let mut argv = vec![
            env!("CARGO_BIN_EXE_vrrp"),
            "-v",
            "run",
            "-f",
            conf.to_str().unwrap(),
            "--status-socket",
            socket.to_str().unwrap(),
        ];
        argv.extend_from_slice(extra);
        self.spawn_in_dir(&ns, &name, &argv, dir)
    }

    /// Starts `which` in router `k`.
    pub fn start_impl(&mut self, which: Impl, k: usize, conf: &str) -> ProcId {
        match which {
            Impl::Keepalived => self.start_keepalived(k, conf),
            Impl::Vrrp => self.start_vrrp(k, conf),
        }
    }

    /// Starts `which` in router `k` and waits until router `k` alone holds `vip` (within
    /// `bound`); panics with the daemon's log if it does not.
    pub fn start_holder(
        &mut self,
        which: Impl,
        k: usize,
        conf: &str,
        vip: &str,
        bound: Duration,
    ) -> ProcId {
        let id = self.start_impl(which, k, conf);
        assert!(
            self.wait_sole_holder(k, vip, bound),
            "router {k} did not take the VIP:\n{}",
            self.log(id)
        );
        id
    }

    /// The status socket of a daemon started with [`Lab::start_vrrp`].
    pub fn status_socket(&self, id: ProcId) -> PathBuf {
        self.procs[id.0].dir.join("vrrp.sock")
    }

    /// `vrrp status --socket PATH --json` for a daemon started with [`Lab::start_vrrp`];
    /// `None` while the socket does not answer (or the output is not a JSON array).
    pub fn vrrp_status(&self, id: ProcId) -> Option<Vec<RouterStatus>> {
        let socket = self.status_socket(id);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vrrp"));
        cmd.args(["status", "--socket", socket.to_str().unwrap(), "--json"]);
        let out = run_with_timeout(cmd, RUN_TIMEOUT).ok()?;
        if !out.status.success() {
            return None;
        }
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        Some(
            json.as_array()?
                .iter()
                .map(|r| RouterStatus {
                    name: r["name"].as_str().unwrap_or_default().to_string(),
                    state: r["state"].as_str().unwrap_or_default().to_string(),
                    effective_priority: r["effective_priority"]
                        .as_u64()
                        .and_then(|p| u8::try_from(p).ok()),
                    raw: r.clone(),
                })
                .collect(),
        )
    }

    /// The state ("master", "backup", "fault", "initialize") of the daemon's router
    /// `name`, if the status socket answers.
    pub fn vrrp_state(&self, id: ProcId, name: &str) -> Option<String> {
        self.vrrp_status(id)?
            .into_iter()
            .find(|r| r.name == name)
            .map(|r| r.state)
    }

    // ---- capture ----

    /// Starts tcpdump on the client's eth0 (VRRP, ARP and ICMPv6) writing a pcap in the
    /// lab directory; returns once tcpdump says it is listening (at most 5 s).
    pub fn start_capture(&mut self) -> Capture {
        let dir = self.proc_dir_for("tcpdump");
        let path = dir.join("client.pcap");
        let ns = self.client_ns();
        let id = self.spawn_in_dir(
            &ns,
            "tcpdump",
            &[
                "tcpdump",
                "-i",
                "eth0",
                "-nn",
                "-tt",
                "-U",
                // Deliver packets at once instead of in TPACKET_V3 blocks, so that a
                // capture stopped right after an event holds the event.
                "--immediate-mode",
                // Keep root: the file is in a directory only root may write.
                "-Z",
                "root",
                "-w",
                path.to_str().unwrap(),
                "ip proto 112 or ip6 proto 112 or arp or icmp6",
            ],
            dir,
        );
        let listening = wait_until(Duration::from_secs(5), || {
            self.log(id).contains("listening on")
        });
        assert!(
            listening,
            "tcpdump did not start within 5 s: {}",
            self.log(id)
        );
        Capture { id, path }
    }

    /// What the capture holds so far (tcpdump keeps running).
    pub fn capture_snapshot(&self, capture: &Capture) -> Trace {
        parse_pcap(&capture.path)
    }

    /// Stops tcpdump (after a short grace period for packets in flight) and parses the
    /// capture.
    pub fn stop_capture(&mut self, capture: Capture) -> Trace {
        std::thread::sleep(Duration::from_millis(100));
        self.stop(capture.id);
        parse_pcap(&capture.path)
    }

    // ---- reporting and cleanup ----

    /// Prints the last lines of every process log to stderr.
    pub fn dump_logs(&self) {
        for p in &self.procs {
            if p.name == "tcpdump" {
                continue;
            }
            let text = fs::read(&p.log)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(80)..];
            eprintln!(
                "---- {} in {} ({}), last {} lines ----",
                p.name,
                p.ns,
                p.log.display(),
                tail.len()
            );
            for line in tail {
                eprintln!("{line}");
            }
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if std::thread::panicking() || std::env::var_os("VRRP_LAB_LOGS").is_some() {
            self.dump_logs();
        }
        for i in (0..self.procs.len()).rev() {
            self.stop(ProcId(i));
        }
        for ns in self.namespaces.iter().rev() {
            // Anything still running in the namespace was started by this lab (e.g. a
            // keepalived child whose parent was killed, a check script).
            if let Some(pids) = run_quiet("ip", &["netns", "pids", ns]) {
                for pid in pids
                    .split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok())
                {
                    send_signal(pid, libc::SIGKILL);
                }
            }
            // FRR's vrrpd leaves its macvlans (with the VIPs) behind.
            if let Some(out) = run_quiet("ip", &["-n", ns, "-j", "link", "show", "type", "macvlan"])
            {
                if let Ok(serde_json::Value::Array(links)) = serde_json::from_str(&out) {
                    for link in links {
                        if let Some(name) = link["ifname"].as_str() {
                            let _ = run_quiet("ip", &["-n", ns, "link", "del", name]);
                        }
                    }
                }
            }
            if run_quiet("ip", &["netns", "del", ns]).is_none() {
                eprintln!("lab: could not delete namespace {ns}");
            }
        }
        if std::thread::panicking() && std::env::var_os("VRRP_LAB_KEEP").is_some() {
            let dir = std::mem::replace(
                &mut self.dir,
                tempfile::tempdir().expect("temporary directory"),
            );
            eprintln!("lab: kept {}", dir.keep().display());
        }
    }
}

/// Deletes namespaces left by labs of test processes that no longer exist (killed before
/// their `Drop` ran): names `vl<hex pid>n<counter>-...` whose pid is gone. Processes in
/// them are left alone (they got SIGTERM when their test died).
fn delete_stale_namespaces() {
    let Some(list) = run_quiet("ip", &["netns", "list"]) else {
        return;
    };
    for name in list.lines().filter_map(|l| l.split_whitespace().next()) {
        let Some(rest) = name.strip_prefix("vl") else {
            continue;
        };
        let Some((pid_hex, tail)) = rest.split_once('n') else {
            continue;
        };
        let Some((counter, _role)) = tail.split_once('-') else {
            continue;
        };
        let Ok(pid) = u32::from_str_radix(pid_hex, 16) else {
            continue;
        };
        if counter.is_empty() || !counter.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            eprintln!("lab: deleting stale namespace {name} (pid {pid} is gone)");
            let _ = run_quiet("ip", &["netns", "del", name]);
        }
    }
}

/// One router as reported by `vrrp status --json`.
#[derive(Debug, Clone)]
pub struct RouterStatus {
    /// Instance name (`VI_1`).
    pub name: String,
    /// "master", "backup", "fault" or "initialize".
    pub state: String,
    /// Priority after tracking.
    pub effective_priority: Option<u8>,
    /// The whole JSON object.
    pub raw: serde_json::Value,
}

fn parse_ip(addr: &str) -> IpAddr {
    let bare = addr.split('/').next().unwrap_or(addr);
    let bare = bare.split('%').next().unwrap_or(bare);
    bare.parse()
        .unwrap_or_else(|e| panic!("not an IP address: {addr}: {e}"))
}

// ---- configuration ----

/// A `vrrp_script` that succeeds while a file exists (the test deletes the file to make
/// the check fail).
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// keepalived weight: > 0 added while up, < 0 subtracted while down.
    pub weight: i32,
    /// Seconds between runs.
    pub interval: u32,
    /// Failures before down.
    pub fall: u32,
    /// Successes before up.
    pub rise: u32,
}

/// The classic two-router pair (router 0: `state MASTER`, priority 101; router 1:
/// `state BACKUP`, priority 100), rendered as keepalived.conf for either router.
#[derive(Debug, Clone)]
pub struct Pair {
    /// `vrrp_version` in global_defs (`None`: not written, keepalived's default 2).
    pub version: Option<u8>,
    /// `advert_int` as written in the file ("1", "0.1").
    pub advert_int: String,
    /// `auth_pass` of a PASS authentication block (written only for VRRPv2).
    pub auth_pass: Option<String>,
    /// The virtual address as written in `virtual_ipaddress`.
    pub vip: String,
    /// `nopreempt` on both routers.
    pub nopreempt: bool,
    /// A track script on both routers, each checking a file in its own directory.
    pub check: Option<Check>,
    /// `unicast_src_ip` / `unicast_peer` instead of multicast.
    pub unicast: bool,
    /// Configured priorities of router 0 and router 1.
    pub priorities: [u8; 2],
    /// `virtual_router_id`.
    pub vrid: u8,
}

impl Pair {
    /// The VIP without its prefix length.
    pub fn vip_addr(&self) -> &str {
        self.vip.split('/').next().unwrap_or(&self.vip)
    }

    /// Master_Down_Interval of router 1 as backup of router 0.
    pub fn master_down_interval(&self) -> Duration {
        let interval: f64 = self.advert_int.parse().unwrap_or(1.0);
        let skew = f64::from(256 - u32::from(self.healthy_priority(1))) / 256.0;
        // v2: Skew_Time = (256 - Priority) / 256 s; v3: scaled by the advert interval.
        let skew = if self.version == Some(3) {
            skew * interval
        } else {
            skew
        };
        Duration::from_secs_f64(3.0 * interval + skew)
    }

    /// A generous bound for one election: twice Master_Down_Interval plus 5 s.
    pub fn election_bound(&self) -> Duration {
        self.master_down_interval() * 2 + Duration::from_secs(5)
    }

    /// Exactly the classic nginx pair: VRRPv2, 1 s adverts, PASS `mynginx`,
    /// 192.168.100.12, a check script every 2 s with weight 2.
    pub fn classic() -> Pair {
        Pair {
            version: None,
            advert_int: "1".into(),
            auth_pass: Some("mynginx".into()),
            vip: VIP4.into(),
            nopreempt: false,
            check: Some(Check {
                weight: 2,
                interval: 2,
                fall: 1,
                rise: 1,
            }),
            unicast: false,
            priorities: [101, 100],
            vrid: VRID,
        }
    }

    /// The classic pair as VRRPv3 with `advert_int` (authentication dropped: v3 has none).
    pub fn v3(advert_int: &str) -> Pair {
        Pair {
            version: Some(3),
            advert_int: advert_int.into(),
            auth_pass: None,
            ..Pair::classic()
        }
    }

    /// Effective priority of router `k` while its check passes.
    pub fn healthy_priority(&self, k: usize) -> u8 {
        let p = i32::from(self.priorities[k]);
        let w = self.check.map_or(0, |c| c.weight.max(0));
        u8::try_from(p + w).unwrap()
    }

    /// The health file router `k`'s check script tests for.
    pub fn health_file(lab: &Lab, k: usize) -> PathBuf {
        lab.router_dir(k).join("healthy")
    }

    /// Renders router `k`'s keepalived.conf; writes its check script and (healthy) health
    /// file when there is a check.
    pub fn conf(&self, lab: &Lab, k: usize) -> String {
        assert!(k < 2, "a pair has routers 0 and 1");
        let mut s = String::new();
        s.push_str("global_defs {\n");
        s.push_str(&format!("    router_id {}-r{k}\n", lab.prefix()));
        if let Some(v) = self.version {
            s.push_str(&format!("    vrrp_version {v}\n"));
        }
        s.push_str("    script_user root\n");
        s.push_str("}\n");
        if let Some(check) = self.check {
            let script = lab.router_dir(k).join("check.sh");
            let health = Pair::health_file(lab, k);
            fs::write(
                &script,
                format!("#!/bin/sh\ntest -e '{}'\n", health.display()),
            )
            .expect("check script");
            fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).expect("chmod");
            fs::write(&health, "ok\n").expect("health file");
            s.push_str(&format!(
                "vrrp_script check_http {{\n    script \"{}\"\n    interval {}\n    weight {}\n    fall {}\n    rise {}\n}}\n",
                script.display(),
                check.interval,
                check.weight,
                check.fall,
                check.rise
            ));
        }
        s.push_str("vrrp_instance VI_1 {\n");
        s.push_str(if k == 0 {
            "    state MASTER\n"
        } else {
            "    state BACKUP\n"
        });
        s.push_str("    interface eth0\n");
        s.push_str(&format!("    virtual_router_id {}\n", self.vrid));
        s.push_str(&format!("    priority {}\n", self.priorities[k]));
        s.push_str(&format!("    advert_int {}\n", self.advert_int));
        if self.nopreempt {
            s.push_str("    nopreempt\n");
        }
        if let (Some(pass), None | Some(2)) = (&self.auth_pass, self.version) {
            s.push_str(&format!(
                "    authentication {{\n        auth_type PASS\n        auth_pass {pass}\n    }}\n"
            ));
        }
        if self.unicast {
            let v6 = parse_ip(&self.vip).is_ipv6();
            let addr = |k: usize| -> String {
                if v6 {
                    Lab::router_v6(k).to_string()
                } else {
                    Lab::router_v4(k).to_string()
                }
            };
            s.push_str(&format!("    unicast_src_ip {}\n", addr(k)));
            s.push_str(&format!(
                "    unicast_peer {{\n        {}\n    }}\n",
                addr(1 - k)
            ));
        }
        s.push_str(&format!(
            "    virtual_ipaddress {{\n        {}\n    }}\n",
            self.vip
        ));
        if self.check.is_some() {
            s.push_str("    track_script {\n        check_http\n    }\n");
        }
        s.push_str("}\n");
        s
    }
}

// ---- pcap parsing ----

/// A VRRP advertisement seen by the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advert {
    /// Capture timestamp (since the epoch).
    pub t: Duration,
    /// IP source.
    pub src: IpAddr,
    /// IP destination (224.0.0.18, ff02::12, or a unicast peer).
    pub dst: IpAddr,
    /// VRRP version (2 or 3).
    pub version: u8,
    /// Virtual router ID.
    pub vrid: u8,
    /// Advertised priority (0: the master is leaving).
    pub priority: u8,
    /// Why `vrrp_core::wire::decode` refused it (the fields are then read raw).
    pub error: Option<String>,
}

/// A gratuitous ARP (sender address = target address) seen by the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Garp {
    /// Capture timestamp.
    pub t: Duration,
    /// The address announced.
    pub ip: Ipv4Addr,
    /// The sender hardware address, `aa:bb:...`.
    pub mac: String,
}

/// An unsolicited neighbour advertisement (to ff02::1) seen by the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Na {
    /// Capture timestamp.
    pub t: Duration,
    /// The target address announced.
    pub target: Ipv6Addr,
    /// IPv6 source.
    pub src: Ipv6Addr,
}

/// The VRRP-relevant content of a client capture.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// VRRP adverts, in capture order.
    pub adverts: Vec<Advert>,
    /// Gratuitous ARPs, in capture order.
    pub garps: Vec<Garp>,
    /// Unsolicited neighbour advertisements, in capture order.
    pub nas: Vec<Na>,
}

impl Trace {
    /// Adverts from `src`.
    pub fn adverts_from(&self, src: IpAddr) -> impl Iterator<Item = &Advert> + '_ {
        self.adverts.iter().filter(move |a| a.src == src)
    }

    /// The first advert from `src` at or after `t`.
    pub fn first_from_after(&self, src: IpAddr, t: Duration) -> Option<&Advert> {
        self.adverts_from(src).find(|a| a.t >= t)
    }

    /// The last advert from `src` at or before `t`.
    pub fn last_from_before(&self, src: IpAddr, t: Duration) -> Option<&Advert> {
        self.adverts_from(src).filter(|a| a.t <= t).last()
    }

    /// The first gratuitous ARP for `ip` at or after `t`.
    pub fn first_garp_after(&self, ip: Ipv4Addr, t: Duration) -> Option<&Garp> {
        self.garps.iter().find(|g| g.ip == ip && g.t >= t)
    }

    /// The first unsolicited NA for `target` at or after `t`.
    pub fn first_na_after(&self, target: Ipv6Addr, t: Duration) -> Option<&Na> {
        self.nas.iter().find(|n| n.target == target && n.t >= t)
    }

    /// One line per event, for failure messages.
    pub fn summary(&self) -> String {
        let mut lines: Vec<(Duration, String)> = Vec::new();
        for a in &self.adverts {
            lines.push((
                a.t,
                format!(
                    "vrrp v{} vrid {} prio {:3} {} > {}{}",
                    a.version,
                    a.vrid,
                    a.priority,
                    a.src,
                    a.dst,
                    a.error
                        .as_deref()
                        .map(|e| format!(" ({e})"))
                        .unwrap_or_default()
                ),
            ));
        }
        for g in &self.garps {
            lines.push((g.t, format!("garp {} from {}", g.ip, g.mac)));
        }
        for n in &self.nas {
            lines.push((n.t, format!("unsolicited na {} from {}", n.target, n.src)));
        }
        lines.sort_by_key(|(t, _)| *t);
        lines
            .into_iter()
            .map(|(t, s)| format!("{}.{:06} {s}\n", t.as_secs(), t.subsec_micros()))
            .collect()
    }
}

/// Reads a pcap file (Ethernet) into VRRP adverts, gratuitous ARPs and unsolicited NAs.
/// A truncated last record (tcpdump still writing) ends the parse; a missing or empty
/// file is an empty trace.
pub fn parse_pcap(path: &Path) -> Trace {
    let mut trace = Trace::default();
    let Ok(bytes) = fs::read(path) else {
        return trace;
    };
    let Ok(mut reader) = pcap_file::pcap::PcapReader::new(&bytes[..]) else {
        return trace;
    };
    while let Some(Ok(packet)) = reader.next_packet() {
        parse_frame(packet.timestamp, &packet.data, &mut trace);
    }
    trace
}

fn parse_frame(t: Duration, frame: &[u8], trace: &mut Trace) {
    if frame.len() < 14 {
        return;
    }
    let mut ethertype = u16::from_be_bytes([frame[12], frame[13]]);
    let mut payload = &frame[14..];
    if ethertype == 0x8100 && payload.len() >= 4 {
        ethertype = u16::from_be_bytes([payload[2], payload[3]]);
        payload = &payload[4..];
    }
    match ethertype {
        0x0800 => parse_ipv4(t, payload, trace),
        0x86dd => parse_ipv6(t, payload, trace),
        0x0806 => parse_arp(t, payload, trace),
        _ => {}
    }
}

fn parse_ipv4(t: Duration, p: &[u8], trace: &mut Trace) {
    if p.len() < 20 || p[0] >> 4 != 4 || p[9] != wire::IP_PROTOCOL_VRRP {
        return;
    }
    let ihl = usize::from(p[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([p[2], p[3]])).min(p.len());
    if ihl < 20 || total < ihl {
        return;
    }
    let src = Ipv4Addr::new(p[12], p[13], p[14], p[15]);
    let dst = Ipv4Addr::new(p[16], p[17], p[18], p[19]);
    let meta = RxMeta::v4(src, dst, p[8]);
    push_advert(t, &meta, &p[ihl..total], trace);
}

fn parse_ipv6(t: Duration, p: &[u8], trace: &mut Trace) {
    if p.len() < 40 || p[0] >> 4 != 6 {
        return;
    }
    let plen = usize::from(u16::from_be_bytes([p[4], p[5]]));
    let body = &p[40..(40 + plen).min(p.len())];
    let src = Ipv6Addr::from(<[u8; 16]>::try_from(&p[8..24]).unwrap());
    let dst = Ipv6Addr::from(<[u8; 16]>::try_from(&p[24..40]).unwrap());
    match p[6] {
        next if next == wire::IP_PROTOCOL_VRRP => {
            let meta = RxMeta::v6(src, dst, p[7]);
            push_advert(t, &meta, body, trace);
        }
        // ICMPv6 neighbour advertisement to all nodes: unsolicited.
        58 if body.len() >= 24
            && body[0] == 136
            && dst == Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1) =>
        {
            let target = Ipv6Addr::from(<[u8; 16]>::try_from(&body[8..24]).unwrap());
            trace.nas.push(Na { t, target, src });
        }
        _ => {}
    }
}

fn push_advert(t: Duration, meta: &RxMeta, vrrp: &[u8], trace: &mut Trace) {
    let advert = match wire::decode(vrrp, meta) {
        Ok((repr, _form)) => Advert {
            t,
            src: meta.src,
            dst: meta.dst,
            version: vrrp[0] >> 4,
            vrid: repr.vrid.get(),
            priority: repr.priority.get(),
            error: None,
        },
        Err(e) if vrrp.len() >= 3 => Advert {
            t,
            src: meta.src,
            dst: meta.dst,
            version: vrrp[0] >> 4,
            vrid: vrrp[1],
            priority: vrrp[2],
            error: Some(format!("{e:?}")),
        },
        Err(_) => return,
    };
    trace.adverts.push(advert);
}

fn parse_arp(t: Duration, p: &[u8], trace: &mut Trace) {
    // Ethernet / IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4.
    if p.len() < 28 || p[0..6] != [0, 1, 8, 0, 6, 4] {
        return;
    }
    let spa = Ipv4Addr::new(p[14], p[15], p[16], p[17]);
    let tpa = Ipv4Addr::new(p[24], p[25], p[26], p[27]);
    if spa != tpa || spa.is_unspecified() {
        return;
    }
    let mac = p[8..14]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":");
    trace.garps.push(Garp { t, ip: spa, mac });
}

/// Seconds with millisecond precision, for messages.
pub fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}
pub mod peers;

/// `ping`'s summary line in `log`: (transmitted, received).
pub fn ping_summary(log: &str) -> Option<(u32, u32)> {
    let line = log.lines().find(|l| l.contains("packets transmitted"))?;
    let mut numbers = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .map(|w| w.parse::<u32>().ok());
    Some((numbers.next()??, numbers.next()??))
}
