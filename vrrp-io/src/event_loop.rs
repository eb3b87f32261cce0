//! One thread that drives every virtual router of the process.
//!
//! The loop owns a [`Routers`] set, one [`VrrpSocket`] per (interface, family), one
//! [`Announcer`] per interface and a [`Netlink`] handle. It sleeps in `ppoll(2)` until a
//! socket is readable, a command arrives, or the earliest router deadline passes — no
//! thread per router, no periodic tick for the protocol. Other threads talk to it through
//! a cloneable [`Handle`]: tracking changes (check scripts), reloads, status requests and
//! shutdown.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Write};
use std::net::IpAddr;
use std::os::fd::AsRawFd;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::time::Duration;

use vrrp_core::router::{
    Event, Output, Reason, RouterConfig, State, Statistics, TrackId, TrackShare, VirtualRouter,
};
use vrrp_core::wire::ChecksumForm;
use vrrp_core::{Centiseconds, Family, Instant, InterfaceId, Priority, RouterKey, Routers, Vrid};

use crate::error::{Error, Result};
use crate::netlink::Netlink;
use crate::socket::{SocketConfig, VrrpSocket, RECV_BUFFER_LEN};
use crate::sys::{self, PollFd};
use crate::Announcer;

/// Receive buffer of each VRRP socket: room for a burst of adverts from every VRID of a
/// peer (255 small datagrams take about 200 KiB of kernel memory, the usual default cap).
const RECV_SOCKET_BUFFER: usize = 2 << 20;

/// How often tracked interfaces' link state is read.
const LINK_CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// A virtual address as the kernel should hold it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VipSpec {
    /// The address.
    pub addr: IpAddr,
    /// Its prefix length (keepalived's default is /32 or /128).
    pub prefix_len: u8,
    /// An IPv4 label such as `eth0:vip`.
    pub label: Option<String>,
}

/// Everything the loop needs to run one virtual router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterSpec {
    /// A name for logs and status (keepalived's instance name).
    pub name: String,
    /// The interface it runs on.
    pub interface: String,
    /// The protocol configuration (its `virtual_addresses` are the VIP addresses).
    pub config: RouterConfig,
    /// The VIPs with prefix and label, in the order of `config.virtual_addresses`.
    pub vips: Vec<VipSpec>,
    /// Interfaces whose link state is a tracked object of this router (keepalived's
    /// `track_interface`, and the router's own interface, which faults it when down).
    pub tracked_interfaces: Vec<(TrackId, String)>,
}

/// A router's state for `vrrp status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterStatus {
    /// Instance name.
    pub name: String,
    /// Interface.
    pub interface: String,
    /// Family.
    pub family: Family,
    /// VRID.
    pub vrid: Vrid,
    /// Current state.
    pub state: State,
    /// Configured priority.
    pub base_priority: Priority,
    /// Priority advertised now.
    pub effective_priority: Priority,
    /// Each tracked object's share.
    pub tracks: Vec<TrackShare>,
    /// The master (ourselves when master), with its priority.
    pub master: Option<(IpAddr, Priority)>,
    /// Time since the last state change, and its reason.
    pub last_transition: Option<(Duration, Reason)>,
    /// The advert interval in force.
    pub master_adver_interval: Centiseconds,
    /// The peers heard recently and the checksum form each one's adverts use.
    pub peer_checksum_forms: Vec<(IpAddr, ChecksumForm)>,
    /// Counters.
    pub statistics: Statistics,
    /// VIPs.
    pub virtual_addresses: Vec<IpAddr>,
}

/// What an [`Observer`] is told.
#[derive(Debug)]
pub enum Notice<'a> {
    /// A router's event (state change, drop, ...).
    Event(&'a Event),
    /// An I/O action failed (sending, adding a VIP, ...). The protocol goes on.
    IoError(&'a Error),
}

/// Receives every event of every router, on the loop thread. Keep it quick (spawn
/// processes, log, send to a channel); never block.
pub type Observer = Box<dyn FnMut(&str, Notice<'_>) + Send>;

enum Command {
    SetTrack { name: String, id: TrackId, up: bool },
    Reload(Vec<RouterSpec>, Sender<Result<()>>),
    Status(Sender<Vec<RouterStatus>>),
    Shutdown,
}

/// A cloneable remote control for a running [`EventLoop`].
#[derive(Clone)]
pub struct Handle {
    tx: Sender<Command>,
    wake: Arc<File>,
}

impl Handle {
    fn send(&self, cmd: Command) -> bool {
        if self.tx.send(cmd).is_err() {
            return false;
        }
        // A full pipe already wakes the loop; nothing else can go wrong here.
        let _ = (&*self.wake).write(&[1]);
        true
    }

    /// Reports a tracked object of router `name` as up or down.
    pub fn set_track(&self, name: &str, id: TrackId, up: bool) {
        self.send(Command::SetTrack {
            name: name.to_owned(),
            id,
            up,
        });
    }

    /// Replaces the configuration: routers whose spec did not change keep their state,
    /// removed ones shut down gracefully, changed and new ones start fresh.
    pub fn reload(&self, specs: Vec<RouterSpec>) -> Result<()> {
        // The loop has stopped if it cannot take the command or drops the reply.
        let stopped = || Error::Io {
            what: "reload",
            source: std::io::ErrorKind::BrokenPipe.into(),
        };
        let (tx, rx) = mpsc::channel();
        if !self.send(Command::Reload(specs, tx)) {
            return Err(stopped());
        }
        rx.recv().unwrap_or_else(|_| Err(stopped()))
    }

    /// A snapshot of every router, or `None` if the loop has stopped.
    pub fn status(&self) -> Option<Vec<RouterStatus>> {
        let (tx, rx) = mpsc::channel();
        if !self.send(Command::Status(tx)) {
            return None;
        }
        rx.recv_timeout(Duration::from_secs(5)).ok()
    }

    /// Asks the loop to shut every router down gracefully (priority 0, VIPs removed) and
    /// return from [`EventLoop::run`].
    pub fn shutdown(&self) {
        self.send(Command::Shutdown);
    }
}

struct LinkIo {
    ifindex: u32,
    family: Family,
    socket: VrrpSocket,
}

struct RouterIo {
    spec: RouterSpec,
    ifindex: u32,
}

/// The event loop. Build it with [`EventLoop::new`], take a [`Handle`], then call
/// [`EventLoop::run`] on the thread that should do the work.
pub struct EventLoop {
    epoch: std::time::Instant,
    routers: Routers,
    by_key: HashMap<RouterKey, RouterIo>,
    by_name: HashMap<String, RouterKey>,
    links: Vec<LinkIo>,
    announcers: HashMap<u32, Announcer>,
    netlink: Netlink,
    commands: Receiver<Command>,
    wake_rx: File,
    handle: Handle,
    observer: Observer,
    next_link_check: std::time::Instant,
    /// Reused buffer for [`EventLoop::flush`]'s second pass.
    deferred: Vec<(RouterKey, AddressWork)>,
}

impl EventLoop {
    /// Opens netlink and starts every router of `specs` (opening sockets, removing VIPs
    /// left over from an earlier run). Fails on the first router that cannot run: a
    /// missing interface or address, missing privileges.
    pub fn new(specs: Vec<RouterSpec>, observer: Observer) -> Result<Self> {
        let (wake_rx, wake_tx) = sys::pipe().map_err(|source| Error::Io {
            what: "creating the wake-up pipe",
            source,
        })?;
        let (tx, commands) = mpsc::channel();
        let epoch = std::time::Instant::now();
        let mut this = EventLoop {
            epoch,
            routers: Routers::new(),
            by_key: HashMap::new(),
            by_name: HashMap::new(),
            links: Vec::new(),
            announcers: HashMap::new(),
            netlink: Netlink::open()?,
            commands,
            wake_rx: File::from(wake_rx),
            handle: Handle {
                tx,
                wake: Arc::new(File::from(wake_tx)),
            },
            observer,
            next_link_check: epoch,
            deferred: Vec::new(),
        };
        for spec in specs {
            this.add_router(spec)?;
        }
        this.flush();
        Ok(this)
    }

    /// A remote control for this loop.
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Runs until [`Handle::shutdown`]; then every router is shut down gracefully.
    pub fn run(mut self) -> Result<()> {
        let mut buf = vec![0u8; RECV_BUFFER_LEN];
        let mut fds: Vec<PollFd> = Vec::new();
        loop {
            self.flush();
            let now = self.now();
            let mut wait = self.routers.poll_timeout().map(|d| d - now);
            if !self.by_key.is_empty() {
                let link = self
                    .next_link_check
                    .saturating_duration_since(std::time::Instant::now());
                wait = Some(wait.map_or(link, |w| w.min(link)));
            }
            // Rebuilt only when sockets come or go (reload), not per wake-up.
            if fds.len() != self.links.len() + 1 {
                fds = std::iter::once(self.wake_rx.as_raw_fd())
                    .chain(self.links.iter().map(|l| l.socket.as_raw_fd()))
                    .map(sys::poll_readable)
                    .collect();
            }
            sys::ppoll(&mut fds, wait).map_err(|source| Error::Io {
                what: "waiting for packets",
                source,
            })?;

            for (i, fd) in fds.iter().enumerate().skip(1) {
                if sys::is_readable(fd) {
                    self.receive(i - 1, &mut buf);
                }
            }
            if sys::is_readable(&fds[0]) && self.handle_commands() {
                break;
            }
            if std::time::Instant::now() >= self.next_link_check {
                self.check_links();
            }
            let now = self.now();
            self.routers.handle_timeout(now);
        }
        let now = self.now();
        self.routers.shutdown_all(now);
        self.flush();
        Ok(())
    }

    fn now(&self) -> Instant {
        Instant::from_micros(self.epoch.elapsed().as_micros() as u64)
    }

    fn receive(&mut self, link: usize, buf: &mut [u8]) {
        loop {
            let Some(l) = self.links.get_mut(link) else {
                return;
            };
            let interface = InterfaceId(l.ifindex);
            match l.socket.recv(buf) {
                Ok(Some(datagram)) => {
                    let now = Instant::from_micros(self.epoch.elapsed().as_micros() as u64);
                    self.routers
                        .handle_packet(now, interface, &datagram.meta, datagram.payload);
                }
                Ok(None) => return,
                Err(e) => {
                    (self.observer)("", Notice::IoError(&e));
                    return;
                }
            }
        }
    }

    /// Returns true when asked to shut down.
    fn handle_commands(&mut self) -> bool {
        let mut sink = [0u8; 64];
        while matches!(self.wake_rx.read(&mut sink), Ok(n) if n > 0) {}
        while let Ok(cmd) = self.commands.try_recv() {
            match cmd {
                Command::SetTrack { name, id, up } => {
                    let now = self.now();
                    if let Some(key) = self.by_name.get(&name).copied() {
                        self.routers
                            .with_router(&key, |vr| vr.set_track(now, id, up));
                    }
                }
                Command::Reload(specs, reply) => {
                    let result = self.reload(specs);
                    let _ = reply.send(result);
                }
                Command::Status(reply) => {
                    let _ = reply.send(self.status());
                }
                Command::Shutdown => return true,
            }
        }
        false
    }

    fn reload(&mut self, specs: Vec<RouterSpec>) -> Result<()> {
        let now = self.now();
        // Shut down routers that are gone or changed, and deliver their goodbyes.
        let stale: Vec<RouterKey> = self
            .by_key
            .iter()
            .filter(|(_, io)| !specs.contains(&io.spec))
            .map(|(k, _)| *k)
            .collect();
        for key in &stale {
            self.routers.with_router(key, |vr| vr.shutdown(now));
        }
        self.flush();
        for key in stale {
            self.routers.remove(&key);
            if let Some(io) = self.by_key.remove(&key) {
                self.by_name.remove(&io.spec.name);
            }
        }
        for spec in specs {
            if !self.by_key.values().any(|io| io.spec == spec) {
                self.add_router(spec)?;
            }
        }
        self.flush();
        Ok(())
    }

    fn status(&self) -> Vec<RouterStatus> {
        let now = self.now();
        let mut out: Vec<RouterStatus> = self
            .routers
            .iter()
            .filter_map(|(key, vr)| {
                let io = self.by_key.get(key)?;
                Some(RouterStatus {
                    name: io.spec.name.clone(),
                    interface: io.spec.interface.clone(),
                    family: key.family,
                    vrid: key.vrid,
                    state: vr.state(),
                    base_priority: vr.config().priority,
                    effective_priority: vr.effective_priority(),
                    tracks: vr.track_shares().collect(),
                    master: vr.current_master(),
                    last_transition: vr.last_transition().map(|(at, r)| (now - at, r)),
                    master_adver_interval: vr.master_adver_interval(),
                    peer_checksum_forms: vr.peer_checksum_forms().collect(),
                    statistics: *vr.statistics(),
                    virtual_addresses: vr.config().virtual_addresses.clone(),
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    fn add_router(&mut self, spec: RouterSpec) -> Result<()> {
        let ifindex = self.netlink.ifindex(&spec.interface)?;
        let family = spec.config.family();
        // A VIP left behind by a crashed run would answer for an address we do not
        // master yet: start clean, as a backup.
        for vip in &spec.vips {
            self.netlink
                .del_address(ifindex, vip.addr, vip.prefix_len)?;
            // Checked once here, so that a takeover costs one netlink round trip per VIP.
            self.netlink.check_not_elsewhere(ifindex, vip.addr)?;
        }
        if !self
            .links
            .iter()
            .any(|l| l.ifindex == ifindex && l.family == family)
        {
            let mut config = SocketConfig::multicast(family, &spec.interface);
            config.recv_buffer_size = Some(RECV_SOCKET_BUFFER);
            config.virtual_addresses = spec.config.virtual_addresses.clone();
            if !spec.config.unicast_peers.is_empty() {
                config.unicast_peers = spec.config.unicast_peers.clone();
            }
            let socket = VrrpSocket::open(&config)?;
            self.links.push(LinkIo {
                ifindex,
                family,
                socket,
            });
        }
        if let std::collections::hash_map::Entry::Vacant(e) = self.announcers.entry(ifindex) {
            e.insert(Announcer::open(&mut self.netlink, ifindex)?);
        }
        let now = self.now();
        let router = VirtualRouter::new(spec.config.clone(), now).map_err(Error::Config)?;
        let key = self
            .routers
            .insert(InterfaceId(ifindex), router)
            .map_err(Error::DuplicateRouter)?;
        self.by_name.insert(spec.name.clone(), key);
        self.by_key.insert(key, RouterIo { spec, ifindex });
        // Read tracked links at once rather than a tick later.
        self.next_link_check = std::time::Instant::now();
        Ok(())
    }

    fn check_links(&mut self) {
        self.next_link_check = std::time::Instant::now() + LINK_CHECK_INTERVAL;
        let now = self.now();
        let mut updates: Vec<(RouterKey, TrackId, bool)> = Vec::new();
        let mut cache: HashMap<String, bool> = HashMap::new();
        for (key, io) in &self.by_key {
            for (id, ifname) in &io.spec.tracked_interfaces {
                let up = match cache.get(ifname) {
                    Some(&up) => up,
                    None => {
                        let up = self
                            .netlink
                            .link_by_name(ifname)
                            .map(|l| l.state.is_up())
                            .unwrap_or(false);
                        cache.insert(ifname.clone(), up);
                        up
                    }
                };
                updates.push((*key, *id, up));
            }
        }
        for (key, id, up) in updates {
            self.routers
                .with_router(&key, |vr| vr.set_track(now, id, up));
        }
    }

    /// Carries out every pending output of every router.
    fn flush(&mut self) {
        // Adverts first, for every router, then the slower address work: when many
        // routers become master at once, a peer must hear all of them within its skew
        // margin, not after a netlink round trip per earlier router.
        let mut deferred = std::mem::take(&mut self.deferred);
        while let Some((key, output)) = self.routers.poll_output() {
            let Some(io) = self.by_key.get(&key) else {
                continue;
            };
            let result = match output {
                Output::Transmit(t) => match self
                    .links
                    .iter_mut()
                    .find(|l| l.ifindex == io.ifindex && l.family == key.family)
                {
                    Some(link) => link.socket.send(t.payload, t.src, t.dst),
                    None => Ok(()),
                },
                Output::AddVips(_) => {
                    deferred.push((key, AddressWork::Add));
                    Ok(())
                }
                Output::RemoveVips(_) => {
                    deferred.push((key, AddressWork::Remove));
                    Ok(())
                }
                Output::Announce(a) => {
                    deferred.push((key, AddressWork::Announce(a.count)));
                    Ok(())
                }
                Output::Event(event) => {
                    // Logging and notify scripts wait too: a log line written between
                    // two adverts delays every later one.
                    deferred.push((key, AddressWork::Notify(event)));
                    Ok(())
                }
            };
            if let Err(e) = result {
                (self.observer)(&io.spec.name, Notice::IoError(&e));
            }
        }
        for (key, work) in deferred.drain(..) {
            let Some(io) = self.by_key.get(&key) else {
                continue;
            };
            let result = match work {
                AddressWork::Add => io.spec.vips.iter().try_for_each(|v| {
                    self.netlink
                        .add_address_unchecked(io.ifindex, v.addr, v.prefix_len, v.label.as_deref())
                        .map(|_| ())
                }),
                AddressWork::Remove => io.spec.vips.iter().try_for_each(|v| {
                    self.netlink
                        .del_address(io.ifindex, v.addr, v.prefix_len)
                        .map(|_| ())
                }),
                AddressWork::Notify(event) => {
                    (self.observer)(&io.spec.name, Notice::Event(&event));
                    Ok(())
                }
                AddressWork::Announce(count) => match self.announcers.get(&io.ifindex) {
                    Some(announcer) => (0..count).try_for_each(|_| {
                        io.spec
                            .vips
                            .iter()
                            .try_for_each(|vip| announcer.announce(vip.addr))
                    }),
                    None => Ok(()),
                },
            };
            if let Err(e) = result {
                (self.observer)(&io.spec.name, Notice::IoError(&e));
            }
        }
        self.deferred = deferred;
    }
}

/// Address changes, announcements and events, carried out in order after every pending
/// advert is sent.
#[derive(Debug, Clone, Copy)]
enum AddressWork {
    Add,
    Remove,
    Announce(u8),
    Notify(Event),
}

/// The address a router on `ifname` advertises from: for IPv4 the interface's first
/// primary (non-secondary) address that is not one of `vips`; for IPv6 its usable
/// link-local address (RFC 9568 section 5.1.2.1).
pub fn primary_address(
    netlink: &mut Netlink,
    ifname: &str,
    family: Family,
    vips: &[IpAddr],
) -> Result<IpAddr> {
    let ifindex = netlink.ifindex(ifname)?;
    let addrs = netlink.interface_addresses(ifindex)?;
    let pick = addrs
        .iter()
        .filter(|a| a.is_usable() && !vips.contains(&a.addr))
        .find(|a| match (family, a.addr) {
            (Family::Ipv4, IpAddr::V4(_)) => !a.secondary,
            (Family::Ipv6, IpAddr::V6(v6)) => v6.segments()[0] & 0xffc0 == 0xfe80,
            _ => false,
        });
    pick.map(|a| a.addr).ok_or_else(|| Error::NoPrimaryAddress {
        ifname: ifname.to_owned(),
        family,
    })
}
