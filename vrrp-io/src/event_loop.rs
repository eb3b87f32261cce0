//! The blocking shell: one thread that drives every virtual router of the process.
//!
//! [`EventLoop`] carries out a [`Driver`]'s actions and feeds it its inputs. It sleeps
//! in `epoll` until a VRRP socket is readable, netlink reports a link or address
//! change, a command arrives, or the earliest router deadline passes: nothing runs while
//! nothing changes. Other threads talk to it through a cloneable [`Handle`]: tracking
//! changes (check scripts), reloads, status requests, event subscriptions and shutdown.
//!
//! ```no_run
//! use vrrp_io::{EventLoop, RouterSpec};
//! use vrrp_core::router::RouterConfig;
//! use vrrp_core::Vrid;
//! # fn main() -> Result<(), vrrp_io::Error> {
//! let config = RouterConfig::new(
//!     Vrid::new(51).unwrap(),
//!     "192.168.100.10".parse().unwrap(),
//!     vec!["192.168.100.12".parse::<std::net::IpAddr>().unwrap()],
//! );
//! let event_loop = EventLoop::new(vec![RouterSpec::new("VI_1", "eth0", config)])?;
//! let handle = event_loop.handle();
//! let events = handle.subscribe();
//! std::thread::spawn(move || for event in events { println!("{event}") });
//! event_loop.run() // until handle.shutdown()
//! # }
//! ```

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::time::Duration;

use vrrp_core::router::TrackId;
use vrrp_core::{Clock, Instant};

use crate::driver::{Driver, DriverEvent, ReloadSummary, RouterSpec, RouterStatus, SocketKey};
use crate::driver::{HandoverResult, ResumeResult};
use crate::error::{Error, Result};
use crate::monitor::{NetEvent, NetlinkMonitor};
use crate::shell::{self, Outbox, Replies, Request, Shell};
use crate::socket::{RecvBatch, VrrpSocket};
use crate::sys;
use crate::worker::AddressWorker;
use vrrp_core::UnattributedStatistics;

/// Datagrams read per socket and wake-up at most (in batches), so that a flood on one
/// link cannot starve the others or the timers; the rest waits for the next wake-up.
const RECV_BUDGET_BATCHES: usize = 8;

/// epoll tokens: the wake-up pipe, the netlink monitor, then socket `i` as FIRST + i.
const TOKEN_WAKE: u64 = 0;
const TOKEN_NETLINK: u64 = 1;
const TOKEN_FIRST_SOCKET: u64 = 2;

/// Datagrams per recvmmsg / sendmmsg call.
const BATCH: usize = 32;

/// Receives every event of every router, on the loop thread. Keep it quick (spawn
/// processes, log, send to a channel); never block.
pub type Observer = Box<dyn FnMut(&DriverEvent) + Send>;

/// The blocking shell's reply channels.
struct Blocking;

impl Replies for Blocking {
    type Sender<T> = Sender<T>;
}

enum Command {
    Driver(Request<Blocking>),
    Subscribe(Sender<DriverEvent>),
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
        self.send(Command::Driver(Request::SetTrack {
            name: name.to_owned(),
            id,
            up,
        }));
    }

    /// Reports the number a tracked object of router `name` reads (a `track_file`):
    /// `value × weight` counts; see `VirtualRouter::set_track_value`.
    pub fn set_track_value(&self, name: &str, id: TrackId, value: i64) {
        self.send(Command::Driver(Request::SetTrackValue {
            name: name.to_owned(),
            id,
            value,
        }));
    }

    /// Replaces the configuration without failing over: changed specs are applied to the
    /// running routers in place, removed ones shut down gracefully, new ones (and those
    /// whose interface, family, VRID or version changed) start. A set that cannot run is
    /// refused as a whole and the running one stays. See [`Driver::reload`].
    pub fn reload(&self, specs: Vec<RouterSpec>) -> Result<ReloadSummary> {
        let (tx, rx) = mpsc::channel();
        if !self.send(Command::Driver(Request::Reload(specs, tx))) {
            return Err(Error::Stopped);
        }
        rx.recv().unwrap_or(Err(Error::Stopped))
    }

    /// A snapshot of every router, or `None` if the loop has stopped.
    pub fn status(&self) -> Option<Vec<RouterStatus>> {
        let (tx, rx) = mpsc::channel();
        if !self.send(Command::Driver(Request::Status(tx))) {
            return None;
        }
        rx.recv_timeout(Duration::from_secs(5)).ok()
    }

    /// Hands the routers called `names` (all when empty) over to their best backups
    /// without losing a packet, keeping them demoted until [`Handle::resume`]; see
    /// [`crate::Driver::hand_over`].
    pub fn hand_over(&self, names: Vec<String>) -> Result<Vec<(String, HandoverResult)>> {
        let (tx, rx) = mpsc::channel();
        if !self.send(Command::Driver(Request::HandOver(names, tx))) {
            return Err(Error::Stopped);
        }
        rx.recv_timeout(Duration::from_secs(5))
            .map_err(|_| Error::Stopped)
    }

    /// Ends the demotion of the routers called `names` (all when empty).
    pub fn resume(&self, names: Vec<String>) -> Result<Vec<(String, ResumeResult)>> {
        let (tx, rx) = mpsc::channel();
        if !self.send(Command::Driver(Request::Resume(names, tx))) {
            return Err(Error::Stopped);
        }
        rx.recv_timeout(Duration::from_secs(5))
            .map_err(|_| Error::Stopped)
    }

    /// Counters of packets that reached no router (unknown VRIDs, VRID 0, too short),
    /// or `None` if the loop has stopped.
    pub fn unattributed_statistics(&self) -> Option<UnattributedStatistics> {
        let (tx, rx) = mpsc::channel();
        if !self.send(Command::Driver(Request::Unattributed(tx))) {
            return None;
        }
        rx.recv_timeout(Duration::from_secs(5)).ok()
    }

    /// Every event from now on: state changes with their reasons, VIPs restored, links
    /// up and down, I/O errors. The channel ends when the loop stops.
    pub fn subscribe(&self) -> Receiver<DriverEvent> {
        let (tx, rx) = mpsc::channel();
        self.send(Command::Subscribe(tx));
        rx
    }

    /// Asks the loop to shut every router down gracefully (priority 0, VIPs removed) and
    /// return from [`EventLoop::run`].
    pub fn shutdown(&self) {
        self.send(Command::Shutdown);
    }
}

/// The blocking shell. Build it with [`EventLoop::new`], take a [`Handle`], then call
/// [`EventLoop::run`] on the thread that should do the work.
pub struct EventLoop {
    clock: Clock,
    driver: Driver,
    monitor: NetlinkMonitor,
    worker: AddressWorker,
    sockets: Vec<(SocketKey, VrrpSocket)>,
    socket_generation: u64,
    commands: Receiver<Command>,
    wake_rx: File,
    handle: Handle,
    observer: Option<Observer>,
    subscribers: Vec<Sender<DriverEvent>>,
    recv_batch: RecvBatch,
    outbox: Outbox,
    net_events: Vec<NetEvent>,
}

impl Shell for EventLoop {
    fn driver(&mut self) -> &mut Driver {
        &mut self.driver
    }

    fn now(&self) -> Instant {
        self.clock.now()
    }

    fn flush_actions(&mut self) {
        self.flush();
    }
}

impl EventLoop {
    /// Reads the host's links and addresses, then starts every router of `specs`
    /// (removing VIPs left over from an earlier run). Fails on the first router that
    /// cannot run: a missing interface, a VIP held elsewhere, missing privileges.
    pub fn new(specs: Vec<RouterSpec>) -> Result<Self> {
        let (wake_rx, wake_tx) = sys::pipe().map_err(|source| Error::Io {
            what: "creating the wake-up pipe",
            source,
        })?;
        let (tx, commands) = mpsc::channel();
        let shell::Start {
            monitor,
            worker,
            clock,
            driver,
        } = shell::start(specs)?;
        let mut this = EventLoop {
            clock,
            driver,
            monitor,
            worker,
            sockets: Vec::new(),
            socket_generation: u64::MAX,
            commands,
            wake_rx: File::from(wake_rx),
            handle: Handle {
                tx,
                wake: Arc::new(File::from(wake_tx)),
            },
            observer: None,
            subscribers: Vec::new(),
            recv_batch: RecvBatch::new(BATCH),
            outbox: Outbox::new(BATCH),
            net_events: Vec::new(),
        };
        if let Some(error) = this.reconcile_sockets().into_iter().next() {
            return Err(error);
        }
        Ok(this)
    }

    /// Calls `observer` with every event, on the loop thread, from the first one on
    /// (including those of start-up, which [`Handle::subscribe`] would miss).
    pub fn with_observer(mut self, observer: Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    /// A remote control for this loop.
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Runs until [`Handle::shutdown`]; then every router is shut down gracefully.
    pub fn run(mut self) -> Result<()> {
        // epoll, so that a wake-up costs the same with 2 or 32 sockets (ppoll over every
        // descriptor was a third of a backup's CPU with 16 interfaces); waited on with
        // ppoll for its nanosecond timeout (epoll_wait rounds to milliseconds, which
        // would add up to one to every takeover).
        let epoll = sys::epoll_create().map_err(|source| Error::Io {
            what: "create epoll instance",
            source,
        })?;
        let io = |source| Error::Io {
            what: "register with epoll",
            source,
        };
        sys::epoll_add(epoll.as_fd(), self.wake_rx.as_raw_fd(), TOKEN_WAKE).map_err(io)?;
        sys::epoll_add(epoll.as_fd(), self.monitor.as_raw_fd(), TOKEN_NETLINK).map_err(io)?;
        let mut registered: Vec<RawFd> = Vec::new();
        let mut registered_generation = u64::MAX;
        let mut ready = vec![sys::epoll_event_zero(); 64];
        let mut waiting = [sys::poll_readable(epoll.as_raw_fd())];
        loop {
            self.flush();
            for error in self.reconcile_sockets() {
                self.notify(&DriverEvent::IoError {
                    router: None,
                    error: Arc::new(error),
                });
            }
            // Registrations follow the sockets (rare: start-up, reload, link changes).
            if registered_generation != self.socket_generation {
                registered_generation = self.socket_generation;
                for fd in registered.drain(..) {
                    // A closed socket has left the set already.
                    let _ = sys::epoll_del(epoll.as_fd(), fd);
                }
                for (i, (_, socket)) in self.sockets.iter().enumerate() {
                    let fd = socket.as_raw_fd();
                    sys::epoll_add(epoll.as_fd(), fd, TOKEN_FIRST_SOCKET + i as u64).map_err(io)?;
                    registered.push(fd);
                }
            }
            let wait = self
                .driver
                .poll_timeout()
                .map(|deadline| self.clock.until(deadline));
            sys::ppoll(&mut waiting, wait).map_err(|source| Error::Io {
                what: "waiting for packets",
                source,
            })?;
            let n = sys::epoll_ready(epoll.as_fd(), &mut ready).map_err(|source| Error::Io {
                what: "waiting for packets",
                source,
            })?;
            let mut stop = false;
            for event in &ready[..n] {
                match event.u64 {
                    TOKEN_WAKE => stop |= self.handle_commands(),
                    TOKEN_NETLINK => self.read_netlink(),
                    token => self.receive((token - TOKEN_FIRST_SOCKET) as usize),
                }
            }
            if stop {
                break;
            }
            let now = self.clock.now();
            self.driver.handle_timeout(now);
        }
        let now = self.clock.now();
        self.driver.shutdown(now);
        self.flush();
        Ok(())
    }

    fn receive(&mut self, index: usize) {
        let Some((key, socket)) = self.sockets.get_mut(index) else {
            return;
        };
        let key = *key;
        for _ in 0..RECV_BUDGET_BATCHES {
            match socket.recv_batch(&mut self.recv_batch) {
                Ok(_) => {
                    let now = self.clock.now();
                    for datagram in self.recv_batch.iter() {
                        self.driver
                            .handle_packet(now, key, &datagram.meta, datagram.payload);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(source) => {
                    let error = Error::Io {
                        what: "receive VRRP datagrams",
                        source,
                    };
                    self.notify(&DriverEvent::IoError {
                        router: None,
                        error: Arc::new(error),
                    });
                    return;
                }
            }
        }
    }

    fn read_netlink(&mut self) {
        let mut events = std::mem::take(&mut self.net_events);
        loop {
            events.clear();
            match self.monitor.recv(&mut events) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(source) => {
                    self.notify(&DriverEvent::IoError {
                        router: None,
                        error: Arc::new(Error::Io {
                            what: "read netlink notifications",
                            source,
                        }),
                    });
                    break;
                }
            }
            let now = self.clock.now();
            for event in &events {
                match event {
                    NetEvent::Overrun => self.resync(),
                    NetEvent::LinkRemoved { index, .. } => {
                        self.worker.forget(*index);
                        self.driver.handle_net(now, event);
                    }
                    _ => self.driver.handle_net(now, event),
                }
            }
        }
        self.net_events = events;
    }

    /// Notifications were lost: read the whole picture again.
    fn resync(&mut self) {
        match NetlinkMonitor::snapshot(self.worker.netlink()) {
            Ok(snapshot) => {
                let now = self.clock.now();
                self.driver.resync(now, &snapshot);
            }
            Err(e) => self.notify(&DriverEvent::IoError {
                router: None,
                error: Arc::new(e),
            }),
        }
    }

    /// Returns true when asked to shut down.
    fn handle_commands(&mut self) -> bool {
        let mut sink = [0u8; 64];
        while matches!(self.wake_rx.read(&mut sink), Ok(n) if n > 0) {}
        while let Ok(cmd) = self.commands.try_recv() {
            match cmd {
                Command::Driver(request) => request.apply(self),
                Command::Subscribe(tx) => self.subscribers.push(tx),
                Command::Shutdown => return true,
            }
        }
        false
    }

    /// Opens, updates and closes sockets as the driver wants them; returns what failed.
    fn reconcile_sockets(&mut self) -> Vec<Error> {
        shell::reconcile_if_changed(
            &mut self.sockets,
            &self.driver,
            &mut self.socket_generation,
            |s| s,
            Ok,
        )
    }

    /// Carries out every pending action: adverts (batched per socket), then address
    /// work, then notifications.
    fn flush(&mut self) {
        let worker = &mut self.worker;
        let observer = &mut self.observer;
        let subscribers = &mut self.subscribers;
        self.outbox.dispatch(
            &mut self.driver,
            &self.clock,
            &mut self.sockets,
            |s| s,
            |work| shell::execute(worker, &work),
            |event| deliver(observer, subscribers, &event),
        );
    }

    fn notify(&mut self, event: &DriverEvent) {
        deliver(&mut self.observer, &mut self.subscribers, event);
    }
}

/// Hands an event to the observer and every live subscriber.
fn deliver(
    observer: &mut Option<Observer>,
    subscribers: &mut Vec<Sender<DriverEvent>>,
    event: &DriverEvent,
) {
    if let Some(observer) = observer {
        observer(event);
    }
    subscribers.retain(|tx| tx.send(event.clone()).is_ok());
}
