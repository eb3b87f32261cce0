//! What both shells share: starting a driver from the host's state, keeping the VRRP
//! sockets as the driver wants them, and carrying out its actions.

use vrrp_core::router::TrackId;
use vrrp_core::{Instant, UnattributedStatistics};

use crate::driver::{
    Driver, HandoverResult, ReloadSummary, ResumeResult, RouterSpec, RouterStatus, SocketKey,
    SocketSpec,
};
use crate::error::Result;
use crate::socket::{SocketConfig, VrrpSocket};

/// Sends a reply back to a handle; `std::sync::mpsc` for the blocking shell, tokio's
/// `oneshot` for the async one.
pub(crate) trait Reply<T> {
    /// Sends `value`; a handle that stopped waiting is no error.
    fn reply(self, value: T);
}

impl<T> Reply<T> for std::sync::mpsc::Sender<T> {
    fn reply(self, value: T) {
        let _ = self.send(value);
    }
}

#[cfg(feature = "tokio")]
impl<T> Reply<T> for ::tokio::sync::oneshot::Sender<T> {
    fn reply(self, value: T) {
        let _ = self.send(value);
    }
}

/// A shell's kind of reply channel.
pub(crate) trait Replies {
    /// The channel that carries a `T` back.
    type Sender<T>: Reply<T>;
}

/// What a handle asks of the driver: the same in both shells, whose own commands
/// (subscribe, shut down) come beside it.
pub(crate) enum Request<R: Replies> {
    SetTrack {
        name: String,
        id: TrackId,
        up: bool,
    },
    SetTrackValue {
        name: String,
        id: TrackId,
        value: i64,
    },
    Reload(Vec<RouterSpec>, R::Sender<Result<ReloadSummary>>),
    Status(R::Sender<Vec<RouterStatus>>),
    Unattributed(R::Sender<UnattributedStatistics>),
    HandOver(Vec<String>, R::Sender<Vec<(String, HandoverResult)>>),
    Resume(Vec<String>, R::Sender<Vec<(String, ResumeResult)>>),
}

/// What [`Request::apply`] needs of a shell.
pub(crate) trait Shell {
    fn driver(&mut self) -> &mut Driver;
    fn now(&self) -> Instant;
    /// Carries out the driver's pending actions.
    fn flush_actions(&mut self);
}

impl<R: Replies> Request<R> {
    /// Carries the request out. What changes routers is flushed before the reply goes,
    /// so that a caller told "done" finds the adverts sent (a reload's goodbyes, a
    /// handover's priority 0).
    pub(crate) fn apply(self, shell: &mut impl Shell) {
        let now = shell.now();
        match self {
            Request::SetTrack { name, id, up } => {
                shell.driver().set_track(now, &name, id, up);
            }
            Request::SetTrackValue { name, id, value } => {
                shell.driver().set_track_value(now, &name, id, value);
            }
            Request::Reload(specs, reply) => {
                let unknown = specs
                    .iter()
                    .flat_map(|s| {
                        std::iter::once(&s.interface)
                            .chain(s.tracked_interfaces.iter().map(|(_, i)| i))
                    })
                    .any(|i| !shell.driver().knows_link(i));
                if unknown {
                    // An interface created just before the reload (a macvlan for
                    // `use_vmac`, say) may not have reached us as a notification yet:
                    // read the host again rather than refuse it.
                    if let Ok(snapshot) = crate::Netlink::open()
                        .and_then(|mut nl| crate::NetlinkMonitor::snapshot(&mut nl))
                    {
                        shell.driver().resync(now, &snapshot);
                    }
                }
                let result = shell.driver().reload(now, specs);
                shell.flush_actions();
                reply.reply(result);
            }
            Request::Status(reply) => reply.reply(shell.driver().status(now)),
            Request::Unattributed(reply) => reply.reply(shell.driver().unattributed_statistics()),
            Request::HandOver(names, reply) => {
                let result = shell.driver().hand_over(now, &names);
                shell.flush_actions();
                reply.reply(result);
            }
            Request::Resume(names, reply) => {
                let result = shell.driver().resume(now, &names);
                shell.flush_actions();
                reply.reply(result);
            }
        }
    }
}

/// Receive buffer of each VRRP socket: room for a burst of adverts from every VRID of a
/// peer (255 small datagrams take about 200 KiB of kernel memory, the usual default cap).
pub(crate) const RECV_SOCKET_BUFFER: usize = 2 << 20;

/// Opens the socket `spec` describes.
pub(crate) fn open(spec: &SocketSpec) -> Result<VrrpSocket> {
    let mut config = SocketConfig::multicast(spec.key.family, &spec.interface);
    config.join_group = spec.join_group;
    config.recv_buffer_size = Some(RECV_SOCKET_BUFFER);
    config.virtual_addresses = spec.virtual_addresses.clone();
    config.link_layer_multicast = spec.link_layer_multicast;
    VrrpSocket::open_with(&config, spec.ifindex, spec.own_addresses.iter().copied())
}

/// Brings an open socket in line with `spec` (same interface index).
pub(crate) fn update(socket: &mut VrrpSocket, spec: &SocketSpec) -> Result<()> {
    socket.set_join_group(spec.join_group)?;
    socket.set_virtual_addresses(spec.virtual_addresses.iter().copied());
    socket.set_own_addresses(spec.own_addresses.iter().copied());
    Ok(())
}

/// Makes `current` match `desired`: sockets no longer wanted, or whose interface came
/// back under a new index, are closed; new ones opened; the rest updated. `inner` gives
/// the [`VrrpSocket`] inside a shell's wrapper, `wrap` makes one. Failures go to
/// `on_error` and the socket is left out (retried at the next change).
pub(crate) fn reconcile<S>(
    current: &mut Vec<(SocketKey, S)>,
    desired: &[SocketSpec],
    inner: impl Fn(&mut S) -> &mut VrrpSocket,
    mut wrap: impl FnMut(VrrpSocket) -> std::io::Result<S>,
    mut on_error: impl FnMut(crate::Error),
) {
    // A socket whose interface came back under a new index, or that sends link-layer
    // frames where the IP stack is now wanted, is opened again.
    current.retain_mut(|(key, s)| {
        desired.iter().any(|d| {
            let socket = inner(s);
            d.key == *key
                && d.ifindex == socket.ifindex()
                && (d.link_layer_multicast || !socket.link_layer_multicast())
        })
    });
    for spec in desired {
        match current.iter_mut().find(|(k, _)| *k == spec.key) {
            Some((_, s)) => {
                if let Err(e) = update(inner(s), spec) {
                    on_error(e);
                }
            }
            None => match open(spec).and_then(|sock| {
                wrap(sock).map_err(|source| crate::Error::Io {
                    what: "register VRRP socket with the event loop",
                    source,
                })
            }) {
                Ok(s) => current.push((spec.key, s)),
                Err(e) => on_error(e),
            },
        }
    }
}

/// Reconciles `current` with the driver's sockets if they changed since `seen` (the
/// driver's [`crate::Driver::socket_generation`] last time); returns what failed.
pub(crate) fn reconcile_if_changed<S>(
    current: &mut Vec<(SocketKey, S)>,
    driver: &crate::Driver,
    seen: &mut u64,
    inner: impl Fn(&mut S) -> &mut VrrpSocket,
    wrap: impl FnMut(VrrpSocket) -> std::io::Result<S>,
) -> Vec<crate::Error> {
    let mut errors = Vec::new();
    if driver.socket_generation() != *seen {
        *seen = driver.socket_generation();
        reconcile(current, &driver.sockets(), inner, wrap, |e| errors.push(e));
    }
    errors
}

/// Adverts queued for one socket, sent with as few `sendmmsg` calls as possible.
pub(crate) struct Outbox {
    batch: crate::socket::SendBatch,
    socket: Option<SocketKey>,
}

impl Outbox {
    pub fn new(capacity: usize) -> Self {
        Outbox {
            batch: crate::socket::SendBatch::new(capacity),
            socket: None,
        }
    }

    /// Carries out every pending action of `driver`: adverts here, batched per socket;
    /// address work through `work`; notifications through `notify` (which also hears of
    /// I/O errors). `inner` gives the socket inside a shell's wrapper.
    pub fn dispatch<S>(
        &mut self,
        driver: &mut crate::Driver,
        clock: &vrrp_core::Clock,
        sockets: &mut [(SocketKey, S)],
        inner: impl Fn(&mut S) -> &mut VrrpSocket,
        mut work: impl FnMut(crate::driver::Action) -> Option<crate::DriverEvent>,
        mut notify: impl FnMut(crate::DriverEvent),
    ) {
        use crate::driver::Action;
        while let Some(action) = driver.poll_action(clock.now()) {
            match action {
                Action::Send {
                    socket,
                    src,
                    dst,
                    payload,
                } => {
                    if self.socket.is_some_and(|s| s != socket) || self.batch.is_full() {
                        self.send(sockets, &inner, &mut notify);
                    }
                    self.socket = Some(socket);
                    if let Err(e) = self.batch.push(&payload, src, dst) {
                        notify(io_error(None, e));
                    }
                }
                Action::Notify(event) => {
                    self.send(sockets, &inner, &mut notify);
                    notify(event);
                }
                other => {
                    self.send(sockets, &inner, &mut notify);
                    if let Some(event) = work(other) {
                        notify(event);
                    }
                }
            }
        }
        self.send(sockets, &inner, &mut notify);
    }

    fn send<S>(
        &mut self,
        sockets: &mut [(SocketKey, S)],
        inner: &impl Fn(&mut S) -> &mut VrrpSocket,
        notify: &mut impl FnMut(crate::DriverEvent),
    ) {
        let Some(key) = self.socket.take() else {
            return;
        };
        match sockets.iter_mut().find(|(k, _)| *k == key) {
            Some((_, socket)) => {
                if let Err(e) = inner(socket).send_batch(&mut self.batch) {
                    notify(io_error(None, e));
                }
            }
            // The interface is gone: nothing to send on (its routers are in Fault).
            None => self.batch.clear(),
        }
    }
}

/// The event that reports a failed action.
pub(crate) fn io_error(
    router: Option<std::sync::Arc<str>>,
    error: crate::Error,
) -> crate::DriverEvent {
    crate::DriverEvent::IoError {
        router,
        error: std::sync::Arc::new(error),
    }
}

/// Carries out an address action with `worker`; the failure as an event.
pub(crate) fn execute(
    worker: &mut crate::worker::AddressWorker,
    action: &crate::driver::Action,
) -> Option<crate::DriverEvent> {
    use crate::driver::Action;
    if let Action::RestoreRouting { router, routing } = action {
        return match worker.restore_routing(routing) {
            Ok((0, 0)) => None,
            Ok((routes, rules)) => Some(crate::DriverEvent::RoutingRestored {
                router: router.clone(),
                routes,
                rules,
            }),
            Err(e) => Some(io_error(Some(router.clone()), e)),
        };
    }
    let error = worker.execute(action).err()?;
    let router = match action {
        Action::AddVips { router, .. }
        | Action::RemoveVips { router, .. }
        | Action::Filter { router, .. }
        | Action::Routing { router, .. }
        | Action::RestoreRouting { router, .. }
        | Action::Announce { router, .. } => Some(router.clone()),
        Action::Send { .. } | Action::Notify(_) => None,
    };
    Some(io_error(router, error))
}

/// A driver started on this host's links and addresses, with what it needs to run.
pub(crate) struct Start {
    pub monitor: crate::NetlinkMonitor,
    pub worker: crate::worker::AddressWorker,
    pub clock: vrrp_core::Clock,
    pub driver: crate::Driver,
}

/// Opens the netlink monitor, then reads the host's links and addresses (in that order,
/// so that no change in between is lost) and adds every router of `specs`.
pub(crate) fn start(specs: Vec<crate::RouterSpec>) -> Result<Start> {
    let monitor = crate::NetlinkMonitor::open()?;
    let mut worker = crate::worker::AddressWorker::open()?;
    let snapshot = crate::NetlinkMonitor::snapshot(worker.netlink())?;
    let clock = vrrp_core::Clock::new();
    let mut driver = crate::Driver::new();
    let now = clock.now();
    for event in &snapshot {
        driver.handle_net(now, event);
    }
    for spec in specs {
        driver.add(now, spec)?;
    }
    Ok(Start {
        monitor,
        worker,
        clock,
        driver,
    })
}
