//! What one multicast VRRP advert costs the sender in CPU, by send path (root only).
//!
//! Builds a lab like `scripts/bench-vs-keepalived.sh`'s: namespaces `sc<pid>s` (bridge
//! br0, no STP, no multicast snooping), `sc<pid>a` (eth0 192.168.77.1/24) and `sc<pid>b`
//! (eth0 192.168.77.2/24, a VRRP socket that joined 224.0.0.18 and reads everything, as a
//! backup peer does), IPv6 off. A thread in `a` sends VRRPv3 adverts of VRIDs 1..=255 to
//! 224.0.0.18 at `--rate` adverts/s in batches of `--batch`, for `--secs` seconds, through
//! each path in turn, `--runs` times:
//!
//! - `raw`: [`VrrpSocket`] with [`SocketConfig::link_layer_multicast`] off: the raw IP
//!   socket (kernel-built IP header, route lookup, IP output, netfilter hooks);
//! - `link`: [`VrrpSocket`] with it on: the IP packet built by the socket and handed to
//!   an AF_PACKET socket with the group's MAC.
//!
//! With `--no-peer` the veth peer of `a` leaves the bridge before measuring: what remains
//! is the sender's own cost (on veth the receivers' softirq work is charged to the
//! sender; a real NIC sends asynchronously and the receivers are other machines).
//!
//! For each run it prints the sender thread's CPU per advert: inside the send calls
//! (CLOCK_THREAD_CPUTIME_ID around each sendmmsg batch; on this kernel's tick accounting
//! that includes the softirq work done in the sender's context: bridge forwarding and
//! delivery to `b`), and over the whole run (getrusage(RUSAGE_THREAD) utime and stime,
//! wake-ups included), and the peer thread's CPU per advert received (its own: wake-ups,
//! recvmmsg) with adverts per wake-up; then the median per path. Before measuring it captures one advert
//! of each path in `b` and checks that they are identical from the IP header on (but for
//! the identification, which the kernel picks per packet, and so the header checksum,
//! which must be valid).
//!
//! ```text
//! cargo build --release -p vrrp-io --example send_cost
//! sudo target/release/examples/send_cost --rate 4000 --batch 32 --secs 5 --runs 5 \
//!     [--paths raw,link] [--no-peer]
//! ```

use std::error::Error;
use std::fs::File;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use vrrp_core::wire::{AddressList, AdvertRepr, Auth, ChecksumMode, VRRP_MULTICAST_V4};
use vrrp_core::{Centiseconds, Family, Priority, Version, Vrid};
use vrrp_io::packet::{PacketSocket, ETHERNET_HEADER_LEN, ETHERTYPE_IPV4};
use vrrp_io::socket::{RecvBatch, SendBatch, SocketConfig, VrrpSocket};
use vrrp_io::Netlink;

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

const SRC: Ipv4Addr = Ipv4Addr::new(192, 168, 77, 1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    /// The raw IP socket.
    Raw,
    /// Link-layer frames through AF_PACKET.
    Link,
}

impl Path {
    fn name(self) -> &'static str {
        match self {
            Path::Raw => "raw",
            Path::Link => "link",
        }
    }

    fn parse(s: &str) -> Option<Path> {
        [Path::Raw, Path::Link].into_iter().find(|p| p.name() == s)
    }
}

struct Options {
    rate: u32,
    batch: usize,
    secs: f64,
    runs: usize,
    paths: Vec<Path>,
    /// Take the veth peer of `a` out of the bridge: the sender's own cost only.
    no_peer: bool,
}

fn options() -> Res<Options> {
    let mut o = Options {
        rate: 4000,
        batch: 32,
        secs: 5.0,
        runs: 5,
        paths: vec![Path::Raw, Path::Link],
        no_peer: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--rate" => o.rate = value()?.parse()?,
            "--batch" => o.batch = value()?.parse()?,
            "--secs" => o.secs = value()?.parse()?,
            "--runs" => o.runs = value()?.parse()?,
            "--no-peer" => o.no_peer = true,
            "--paths" => {
                o.paths = value()?
                    .split(',')
                    .map(|p| Path::parse(p).ok_or(format!("unknown path {p}")))
                    .collect::<Result<_, _>>()?
            }
            _ => return Err(format!("unknown argument {a}").into()),
        }
    }
    if o.rate == 0 || o.batch == 0 || o.secs <= 0.0 {
        return Err("--rate, --batch and --secs must be positive".into());
    }
    Ok(o)
}

/// The namespaces, deleted on drop.
struct Lab {
    prefix: String,
}

fn ip(args: &[&str]) -> Res<()> {
    let out = Command::new("ip").args(args).output()?;
    if !out.status.success() {
        return Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(())
}

impl Lab {
    fn new() -> Res<Lab> {
        let lab = Lab {
            prefix: format!("sc{}", std::process::id()),
        };
        let [s, a, b] = [lab.ns('s'), lab.ns('a'), lab.ns('b')];
        for ns in [&s, &a, &b] {
            ip(&["netns", "add", ns])?;
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
            ip(&[
                "netns",
                "exec",
                ns,
                "sysctl",
                "-qw",
                "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1",
            ])?;
        }
        ip(&[
            "-n",
            &s,
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
        ])?;
        ip(&["-n", &s, "link", "set", "br0", "up"])?;
        for (h, ns, addr, mac) in [
            ("a", &a, "192.168.77.1/24", "02:00:00:77:00:01"),
            ("b", &b, "192.168.77.2/24", "02:00:00:77:00:02"),
        ] {
            let port = format!("p{h}");
            ip(&[
                "-n", &s, "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", ns,
            ])?;
            ip(&["-n", &s, "link", "set", &port, "master", "br0"])?;
            ip(&["-n", &s, "link", "set", &port, "up"])?;
            ip(&["-n", ns, "link", "set", "eth0", "address", mac])?;
            ip(&["-n", ns, "addr", "add", addr, "dev", "eth0"])?;
            ip(&["-n", ns, "link", "set", "eth0", "up"])?;
        }
        thread::sleep(Duration::from_millis(500));
        Ok(lab)
    }

    fn ns(&self, host: char) -> String {
        format!("{}{host}", self.prefix)
    }

    /// Runs `f` on a new thread in namespace `host`.
    fn spawn<T: Send + 'static>(
        &self,
        host: char,
        f: impl FnOnce() -> Res<T> + Send + 'static,
    ) -> thread::JoinHandle<Res<T>> {
        let path = format!("/run/netns/{}", self.ns(host));
        thread::spawn(move || {
            let file = File::open(&path)?;
            // SAFETY: an open network-namespace file; setns changes this thread only.
            if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
                return Err(io::Error::last_os_error().into());
            }
            f()
        })
    }

    fn run<T: Send + 'static>(
        &self,
        host: char,
        f: impl FnOnce() -> Res<T> + Send + 'static,
    ) -> Res<T> {
        self.spawn(host, f).join().map_err(|_| "thread panicked")?
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for h in ['a', 'b', 's'] {
            let _ = ip(&["netns", "del", &self.ns(h)]);
        }
    }
}

/// The advert of `vrid` from [`SRC`] to 224.0.0.18, one VIP.
fn advert(vrid: u8) -> Res<Vec<u8>> {
    let vips = [Ipv4Addr::new(10, 10, 0, vrid)];
    let repr = AdvertRepr {
        version: Version::V3,
        vrid: Vrid::new(vrid).ok_or("VRID 0")?,
        priority: Priority(150),
        max_advert_interval: Centiseconds(100),
        addresses: AddressList::ipv4(&vips),
        auth: Auth::None,
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    let len = repr.emit(
        &mut buf,
        IpAddr::V4(SRC),
        IpAddr::V4(VRRP_MULTICAST_V4),
        ChecksumMode::default(),
    )?;
    buf.truncate(len);
    Ok(buf)
}

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for clock_gettime to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// utime and stime of the calling thread.
fn thread_rusage() -> (Duration, Duration) {
    // SAFETY: an all-zero rusage is valid; getrusage fills it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid rusage for getrusage to fill.
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    (tv(ru.ru_utime), tv(ru.ru_stime))
}

/// A socket of `path` and a batch.
struct Sender {
    sock: VrrpSocket,
    batch: SendBatch,
}

impl Sender {
    fn open(path: Path, batch: usize) -> Res<Sender> {
        let mut config = SocketConfig::multicast(Family::Ipv4, "eth0");
        config.link_layer_multicast = path == Path::Link;
        let sock = VrrpSocket::open(&config)?;
        if sock.link_layer_multicast() != (path == Path::Link) {
            return Err(format!("{}: not the path asked for", path.name()).into());
        }
        Ok(Sender {
            sock,
            batch: SendBatch::new(batch),
        })
    }

    /// Sends `adverts` in one batch.
    fn send(&mut self, adverts: &[Vec<u8>]) -> Res<usize> {
        for a in adverts {
            self.batch
                .push(a, IpAddr::V4(SRC), IpAddr::V4(VRRP_MULTICAST_V4))?;
        }
        Ok(self.sock.send_batch(&mut self.batch)?)
    }
}

/// The first protocol-112 frame `b` captures after `send` runs in `a`.
fn capture_one(lab: &Lab, path: Path) -> Res<Vec<u8>> {
    let capture = lab.run('b', || {
        let ifindex = Netlink::open()?.ifindex("eth0")?;
        let cap = PacketSocket::capture(ifindex, Some(ETHERTYPE_IPV4))?;
        cap.set_read_timeout(Some(Duration::from_secs(2)))?;
        Ok(cap)
    })?;
    let adverts = vec![advert(51)?];
    lab.run('a', move || Sender::open(path, 1)?.send(&adverts))?;
    let mut buf = [0u8; 2048];
    loop {
        let frame = capture.recv_frame(&mut buf)?.ok_or("nothing captured")?;
        let f = &buf[..frame.len];
        if f.get(ETHERNET_HEADER_LEN + 9) == Some(&112) {
            return Ok(f.to_vec());
        }
    }
}

/// The one's-complement sum of an IPv4 header, checksum included: 0 when it is valid.
fn ipv4_checksum(header: &[u8]) -> u16 {
    let mut sum = 0u32;
    for w in header.chunks(2) {
        sum += u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An IPv4 packet with its identification and header checksum zeroed.
fn mask_id(packet: &[u8]) -> Vec<u8> {
    let mut p = packet.to_vec();
    p[4..6].fill(0);
    p[10..12].fill(0);
    p
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// What the peer's thread counts: adverts received, wake-ups with something to read, and
/// its CPU time.
#[derive(Default)]
struct Peer {
    received: AtomicU64,
    wakeups: AtomicU64,
    cpu_ns: AtomicU64,
}

impl Peer {
    fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.received.load(Ordering::Relaxed),
            self.wakeups.load(Ordering::Relaxed),
            self.cpu_ns.load(Ordering::Relaxed),
        )
    }

    fn since(&self, (r, w, c): (u64, u64, u64)) -> (u64, u64, u64) {
        let (r1, w1, c1) = self.snapshot();
        (r1 - r, w1 - w, c1 - c)
    }
}

struct Sample {
    in_send_us: f64,
    utime_us: f64,
    stime_us: f64,
    sent: usize,
}

fn measure(lab: &Lab, path: Path, o: &Options) -> Res<Sample> {
    let adverts: Vec<Vec<u8>> = (1..=255u8).map(advert).collect::<Res<_>>()?;
    let (rate, batch, secs) = (o.rate, o.batch, o.secs);
    lab.run('a', move || {
        let mut s = Sender::open(path, batch)?;
        let period = Duration::from_secs_f64(batch as f64 / f64::from(rate));
        let total = (f64::from(rate) * secs) as usize;
        let mut in_send = Duration::ZERO;
        let (u0, s0) = thread_rusage();
        let mut next = Instant::now();
        let (mut sent, mut vrid) = (0, 0usize);
        while sent < total {
            let n = batch.min(255 - vrid).min(total - sent);
            let c0 = thread_cpu();
            let done = s.send(adverts.get(vrid..vrid + n).ok_or("range")?)?;
            in_send += thread_cpu() - c0;
            if done != n {
                return Err(format!("{path:?}: sent {done} of {n}").into());
            }
            sent += n;
            vrid = (vrid + n) % 255;
            next += period.mul_f64(n as f64 / batch as f64);
            if let Some(wait) = next.checked_duration_since(Instant::now()) {
                thread::sleep(wait);
            }
        }
        let (u1, s1) = thread_rusage();
        let per = |d: Duration| d.as_secs_f64() * 1e6 / sent as f64;
        Ok(Sample {
            in_send_us: per(in_send),
            utime_us: per(u1 - u0),
            stime_us: per(s1 - s0),
            sent,
        })
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() -> Res<()> {
    let o = options()?;
    let lab = Lab::new()?;

    // The peer: a backup's VRRP socket in b, reading everything.
    let stop = Arc::new(AtomicBool::new(false));
    let peer = Arc::new(Peer::default());
    let receiver = {
        let (stop, peer) = (stop.clone(), peer.clone());
        lab.spawn('b', move || {
            let mut config = SocketConfig::multicast(Family::Ipv4, "eth0");
            config.recv_buffer_size = Some(2 << 20);
            let mut sock = VrrpSocket::open(&config)?;
            let mut batch = RecvBatch::new(32);
            while !stop.load(Ordering::Relaxed) {
                let mut pfd = libc::pollfd {
                    fd: sock.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one valid pollfd for the call.
                if unsafe { libc::poll(&mut pfd, 1, 100) } > 0 {
                    peer.wakeups.fetch_add(1, Ordering::Relaxed);
                }
                loop {
                    match sock.recv_batch(&mut batch) {
                        Ok(n) => peer.received.fetch_add(n as u64, Ordering::Relaxed),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => return Err(e.into()),
                    };
                }
                let cpu = thread_cpu().as_nanos() as u64;
                peer.cpu_ns.store(cpu, Ordering::Relaxed);
            }
            Ok(())
        })
    };
    thread::sleep(Duration::from_millis(200));

    // The paths must put the same IP packet on the wire.
    let mut first: Option<Vec<u8>> = None;
    for &path in &o.paths {
        let frame = capture_one(&lab, path)?;
        println!(
            "{:<14} eth {}  ip {}",
            path.name(),
            hex(&frame[..ETHERNET_HEADER_LEN]),
            hex(&frame[ETHERNET_HEADER_LEN..ETHERNET_HEADER_LEN + 20])
        );
        if ipv4_checksum(&frame[ETHERNET_HEADER_LEN..ETHERNET_HEADER_LEN + 20]) != 0 {
            return Err(format!("{}: bad IPv4 header checksum", path.name()).into());
        }
        // The identification (and so the checksum) differs per packet: the kernel picks
        // it for the raw socket; the rest must be the same.
        let masked = mask_id(&frame[ETHERNET_HEADER_LEN..]);
        match &first {
            None => first = Some(masked),
            Some(f) if *f == masked => {}
            Some(_) => return Err(format!("{}: IP packet differs", path.name()).into()),
        }
    }

    if o.no_peer {
        ip(&["-n", &lab.ns('s'), "link", "set", "pa", "nomaster"])?;
    }
    println!(
        "rate {}/s, batch {}, {} s per run{}; us per advert",
        o.rate,
        o.batch,
        o.secs,
        if o.no_peer {
            ", a's veth peer out of the bridge"
        } else {
            ""
        }
    );
    println!(
        "{:<14} {:>4} {:>10} {:>8} {:>8} {:>10} {:>12} {:>10} {:>10}",
        "path", "run", "in-send", "utime", "stime", "u+s", "received", "peer cpu", "peer/wake"
    );
    let mut results: Vec<(Path, Vec<Sample>)> = o.paths.iter().map(|&p| (p, vec![])).collect();
    for run in 1..=o.runs {
        for (path, samples) in results.iter_mut() {
            let p0 = peer.snapshot();
            let s = measure(&lab, *path, &o)?;
            thread::sleep(Duration::from_millis(200));
            let (got, wakeups, cpu_ns) = peer.since(p0);
            println!(
                "{:<14} {:>4} {:>10.2} {:>8.2} {:>8.2} {:>10.2} {:>12} {:>10.2} {:>10.1}",
                path.name(),
                run,
                s.in_send_us,
                s.utime_us,
                s.stime_us,
                s.utime_us + s.stime_us,
                format!("{got}/{}", s.sent),
                cpu_ns as f64 / 1e3 / got.max(1) as f64,
                got as f64 / wakeups.max(1) as f64,
            );
            samples.push(s);
        }
    }
    println!("median over {} runs:", o.runs);
    let base = results
        .first()
        .map(|(_, s)| median(s.iter().map(|x| x.in_send_us).collect()));
    for (path, samples) in &results {
        let in_send = median(samples.iter().map(|x| x.in_send_us).collect());
        let total = median(samples.iter().map(|x| x.utime_us + x.stime_us).collect());
        let rel = base.map_or(String::new(), |b| {
            format!("  in-send {:+.0} %", (in_send / b - 1.0) * 100.0)
        });
        println!(
            "{:<14} in-send {in_send:.2} us, utime+stime {total:.2} us{rel}",
            path.name()
        );
    }
    stop.store(true, Ordering::Relaxed);
    receiver.join().map_err(|_| "receiver panicked")??;
    Ok(())
}
