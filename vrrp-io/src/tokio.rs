//! The async shell (feature `tokio`): the [`Driver`] on a tokio task.
//!
//! [`Runner::start`] spawns one task that waits on the VRRP sockets and the netlink
//! notifications with `AsyncFd`, and on the earliest router deadline with a tokio
//! timer. Adverts go out from the task (raw sockets never block); address work —
//! netlink round trips, gratuitous ARP / unsolicited NA — runs in order on a dedicated
//! thread, so the runtime never waits for the kernel. The API is the blocking
//! [`crate::Handle`]'s: set a track, subscribe, reload, status, shut down.
//!
//! ```no_run
//! use vrrp_io::tokio::Runner;
//! use vrrp_io::RouterSpec;
//! use vrrp_core::router::RouterConfig;
//! use vrrp_core::Vrid;
//!
//! # async fn example() -> Result<(), vrrp_io::Error> {
//! let config = RouterConfig::new(
//!     Vrid::new(51).unwrap(),
//!     "192.168.100.10".parse().unwrap(),
//!     vec!["192.168.100.12".parse::<std::net::IpAddr>().unwrap()],
//! );
//! let vrrp = Runner::start(vec![RouterSpec::new("VI_1", "eth0", config)]).await?;
//! let mut events = vrrp.subscribe();
//! tokio::spawn(async move {
//!     while let Ok(event) = events.recv().await {
//!         println!("{event}");
//!     }
//! });
//! vrrp.shutdown().await // priority 0, VIPs released
//! # }
//! ```

use std::io;
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::task::{Context, Poll};

use ::tokio::io::unix::AsyncFd;
use ::tokio::sync::{broadcast, mpsc, oneshot};
use vrrp_core::router::TrackId;
use vrrp_core::Clock;

use crate::driver::{
    Action, Driver, DriverEvent, HandoverResult, ReloadSummary, ResumeResult, RouterSpec,
    RouterStatus, SocketKey,
};
use crate::error::{Error, Result};
use crate::monitor::{NetEvent, NetlinkMonitor};
use crate::shell::{self, Outbox, Replies, Request, Shell};
use crate::socket::{RecvBatch, VrrpSocket};
use crate::sys;
use crate::worker::AddressWorker;

/// Datagrams per recvmmsg / sendmmsg call.
const BATCH: usize = 32;

/// Batches read per socket and wake-up at most: a flood on one link cannot starve the
/// rest.
const RECV_BUDGET_BATCHES: usize = 8;

/// Events buffered for a slow subscriber before it sees `RecvError::Lagged`.
const EVENT_CAPACITY: usize = 4096;

/// The async shell's reply channels.
struct Async;

impl Replies for Async {
    type Sender<T> = oneshot::Sender<T>;
}

enum Command {
    Driver(Request<Async>),
    Shutdown(oneshot::Sender<()>),
}

/// A running set of routers on a tokio task. Cloneable; every clone controls the same
/// task. See the [module documentation](self).
#[derive(Clone)]
pub struct Runner {
    commands: mpsc::UnboundedSender<Command>,
    events: broadcast::Sender<DriverEvent>,
}

impl Runner {
    /// Reads the host's links and addresses, starts every router of `specs` (removing
    /// VIPs left over from an earlier run) and spawns the task that drives them. Fails
    /// on the first router that cannot run. Call from within a tokio runtime; sockets
    /// are created in the calling thread's network namespace.
    pub async fn start(specs: Vec<RouterSpec>) -> Result<Runner> {
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        let (commands_tx, commands) = mpsc::unbounded_channel();
        let shell::Start {
            monitor,
            worker,
            clock,
            driver,
        } = shell::start(specs)?;
        let (errors_tx, errors) = mpsc::unbounded_channel();
        let work = spawn_worker(worker, errors_tx)?;
        let mut task = Task {
            clock,
            driver,
            monitor: sys::register_readable(monitor).map_err(|source| Error::Io {
                what: "register netlink monitor with tokio",
                source,
            })?,
            sockets: Vec::new(),
            socket_generation: u64::MAX,
            work,
            events: events.clone(),
            recv_batch: RecvBatch::new(BATCH),
            outbox: Outbox::new(BATCH),
            net_events: Vec::new(),
        };
        if let Some(error) = task.reconcile_sockets().into_iter().next() {
            return Err(error);
        }
        ::tokio::spawn(task.run(commands, errors));
        Ok(Runner {
            commands: commands_tx,
            events,
        })
    }

    /// Reports a tracked object of router `name` as up or down.
    pub fn set_track(&self, name: &str, id: TrackId, up: bool) {
        let _ = self.commands.send(Command::Driver(Request::SetTrack {
            name: name.to_owned(),
            id,
            up,
        }));
    }

    /// Reports the number a tracked object of router `name` reads (a `track_file`):
    /// `value × weight` counts; see `VirtualRouter::set_track_value`.
    pub fn set_track_value(&self, name: &str, id: TrackId, value: i64) {
        let _ = self.commands.send(Command::Driver(Request::SetTrackValue {
            name: name.to_owned(),
            id,
            value,
        }));
    }

    /// Every event from now on: state changes with their reasons, VIPs restored, links
    /// up and down, I/O errors.
    pub fn subscribe(&self) -> broadcast::Receiver<DriverEvent> {
        self.events.subscribe()
    }

    /// Replaces the configuration; see [`Driver::reload`].
    pub async fn reload(&self, specs: Vec<RouterSpec>) -> Result<ReloadSummary> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Driver(Request::Reload(specs, tx)))
            .map_err(|_| Error::Stopped)?;
        rx.await.unwrap_or(Err(Error::Stopped))
    }

    /// A snapshot of every router.
    pub async fn status(&self) -> Result<Vec<RouterStatus>> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Driver(Request::Status(tx)))
            .map_err(|_| Error::Stopped)?;
        rx.await.map_err(|_| Error::Stopped)
    }

    /// Hands the routers called `names` (all when empty) over to their best backups
    /// without losing a packet; see [`Driver::hand_over`].
    pub async fn hand_over(&self, names: Vec<String>) -> Result<Vec<(String, HandoverResult)>> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Driver(Request::HandOver(names, tx)))
            .map_err(|_| Error::Stopped)?;
        rx.await.map_err(|_| Error::Stopped)
    }

    /// Ends the demotion of the routers called `names` (all when empty).
    pub async fn resume(&self, names: Vec<String>) -> Result<Vec<(String, ResumeResult)>> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Driver(Request::Resume(names, tx)))
            .map_err(|_| Error::Stopped)?;
        rx.await.map_err(|_| Error::Stopped)
    }

    /// Counters of packets that reached no router (unknown VRIDs, VRID 0, too short).
    pub async fn unattributed_statistics(&self) -> Result<vrrp_core::UnattributedStatistics> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Driver(Request::Unattributed(tx)))
            .map_err(|_| Error::Stopped)?;
        rx.await.map_err(|_| Error::Stopped)
    }

    /// Shuts every router down gracefully (priority 0, VIPs removed) and waits until
    /// that is done.
    pub async fn shutdown(&self) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Shutdown(tx))
            .map_err(|_| Error::Stopped)?;
        rx.await.map_err(|_| Error::Stopped)
    }
}

/// The address worker thread: actions in, failures out, in order.
struct Work {
    tx: Option<std_mpsc::Sender<Action>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn spawn_worker(
    mut worker: AddressWorker,
    errors: mpsc::UnboundedSender<DriverEvent>,
) -> Result<Work> {
    let (tx, rx) = std_mpsc::channel::<Action>();
    let thread = std::thread::Builder::new()
        .name("vrrp-addresses".into())
        .spawn(move || {
            for action in rx {
                if let Some(event) = shell::execute(&mut worker, &action) {
                    let _ = errors.send(event);
                }
            }
        })
        .map_err(|source| Error::Io {
            what: "start the address worker thread",
            source,
        })?;
    Ok(Work {
        tx: Some(tx),
        thread: Some(thread),
    })
}

struct Task {
    clock: Clock,
    driver: Driver,
    monitor: AsyncFd<NetlinkMonitor>,
    sockets: Vec<(SocketKey, AsyncFd<VrrpSocket>)>,
    socket_generation: u64,
    work: Work,
    events: broadcast::Sender<DriverEvent>,
    recv_batch: RecvBatch,
    outbox: Outbox,
    net_events: Vec<NetEvent>,
}

enum Wake {
    Command(Option<Command>),
    Ready,
    Error(DriverEvent),
    Timer,
}

impl Shell for Task {
    fn driver(&mut self) -> &mut Driver {
        &mut self.driver
    }

    fn now(&self) -> vrrp_core::Instant {
        self.clock.now()
    }

    fn flush_actions(&mut self) {
        self.flush();
    }
}

impl Task {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut errors: mpsc::UnboundedReceiver<DriverEvent>,
    ) {
        let done = loop {
            self.flush();
            for error in self.reconcile_sockets() {
                self.notify(DriverEvent::IoError {
                    router: None,
                    error: Arc::new(error),
                });
            }
            let deadline = self
                .driver
                .poll_timeout()
                .map(|d| ::tokio::time::Instant::from_std(self.clock.to_std(d)));
            let sleep = async {
                match deadline {
                    Some(d) => ::tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            let wake = ::tokio::select! {
                biased;
                cmd = commands.recv() => Wake::Command(cmd),
                () = std::future::poll_fn(|cx| self.poll_io(cx)) => Wake::Ready,
                Some(e) = errors.recv() => Wake::Error(e),
                () = sleep => Wake::Timer,
            };
            match wake {
                Wake::Command(None) => break None,
                Wake::Command(Some(cmd)) => {
                    if let Some(reply) = self.command(cmd) {
                        break Some(reply);
                    }
                }
                Wake::Error(e) => self.notify(e),
                Wake::Ready | Wake::Timer => {}
            }
            let now = self.clock.now();
            self.driver.handle_timeout(now);
        };
        let now = self.clock.now();
        self.driver.shutdown(now);
        self.flush();
        // Let the worker finish the goodbyes (VIPs removed) before replying.
        drop(self.work.tx.take());
        if let Some(thread) = self.work.thread.take() {
            let _ = ::tokio::task::spawn_blocking(move || thread.join()).await;
        }
        while let Ok(e) = errors.try_recv() {
            self.notify(e);
        }
        if let Some(reply) = done {
            let _ = reply.send(());
        }
    }

    /// Returns the shutdown reply channel when asked to stop.
    fn command(&mut self, cmd: Command) -> Option<oneshot::Sender<()>> {
        match cmd {
            Command::Driver(request) => request.apply(self),
            Command::Shutdown(reply) => return Some(reply),
        }
        None
    }

    /// Reads whatever the monitor and the sockets have; ready when anything was read.
    fn poll_io(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut progress = false;
        if let Poll::Ready(Ok(mut guard)) = self.monitor.poll_read_ready_mut(cx) {
            let mut events = std::mem::take(&mut self.net_events);
            events.clear();
            let mut failure = None;
            match guard.try_io(|m| m.get_mut().recv(&mut events)) {
                // Nothing was queued: wait for the next notification.
                Ok(Ok(0)) => guard.clear_ready(),
                Ok(Ok(_)) => progress = true,
                Ok(Err(e)) => {
                    progress = true;
                    failure = Some(e);
                }
                Err(_would_block) => {}
            }
            drop(guard);
            if let Some(source) = failure {
                self.notify(DriverEvent::IoError {
                    router: None,
                    error: Arc::new(Error::Io {
                        what: "read netlink notifications",
                        source,
                    }),
                });
            }
            let now = self.clock.now();
            for event in &events {
                match event {
                    NetEvent::Overrun => {
                        // A blocking dump, rare (the kernel dropped notifications).
                        match crate::netlink::Netlink::open()
                            .and_then(|mut nl| NetlinkMonitor::snapshot(&mut nl))
                        {
                            Ok(snapshot) => self.driver.resync(now, &snapshot),
                            Err(e) => self.notify(DriverEvent::IoError {
                                router: None,
                                error: Arc::new(e),
                            }),
                        }
                    }
                    _ => self.driver.handle_net(now, event),
                }
            }
            self.net_events = events;
        }
        for i in 0..self.sockets.len() {
            let (key, fd) = &mut self.sockets[i];
            let key = *key;
            let Poll::Ready(Ok(mut guard)) = fd.poll_read_ready_mut(cx) else {
                continue;
            };
            for _ in 0..RECV_BUDGET_BATCHES {
                match guard.try_io(|s| s.get_mut().recv_batch(&mut self.recv_batch)) {
                    Ok(Ok(_)) => {
                        progress = true;
                        let now = self.clock.now();
                        for datagram in self.recv_batch.iter() {
                            self.driver
                                .handle_packet(now, key, &datagram.meta, datagram.payload);
                        }
                    }
                    Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                    Ok(Err(source)) => {
                        progress = true;
                        let _ = self.events.send(DriverEvent::IoError {
                            router: None,
                            error: Arc::new(Error::Io {
                                what: "receive VRRP datagrams",
                                source,
                            }),
                        });
                        break;
                    }
                    // Readiness cleared: the socket is drained.
                    Err(_would_block) => break,
                }
            }
        }
        if progress {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    fn reconcile_sockets(&mut self) -> Vec<Error> {
        shell::reconcile_if_changed(
            &mut self.sockets,
            &self.driver,
            &mut self.socket_generation,
            AsyncFd::get_mut,
            sys::register_readable,
        )
    }

    /// Carries out every pending action: adverts here (batched per socket), address work
    /// on the worker thread, notifications to the subscribers.
    fn flush(&mut self) {
        let work = &self.work;
        let events = &self.events;
        self.outbox.dispatch(
            &mut self.driver,
            &self.clock,
            &mut self.sockets,
            AsyncFd::get_mut,
            |action| {
                if let Some(tx) = &work.tx {
                    let _ = tx.send(action);
                }
                None
            },
            // No subscriber is not an error.
            |event| {
                let _ = events.send(event);
            },
        );
    }

    fn notify(&mut self, event: DriverEvent) {
        // No subscriber is not an error.
        let _ = self.events.send(event);
    }
}
