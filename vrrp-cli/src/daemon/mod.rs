//! `vrrp run`: the daemon. Reads keepalived.conf, runs every instance on one event-loop
//! thread, runs check scripts on their own threads, notify scripts on a worker, answers
//! `vrrp status` on a Unix socket, and handles SIGTERM / SIGINT (graceful shutdown) and
//! SIGHUP (reload keeping unchanged routers' state).

pub mod control;
pub mod drop_log;
pub mod file_track;
mod load;
pub mod metrics;
pub mod notify;
pub mod notify_fifo;
pub mod process_track;
pub mod script_security;
pub mod scripts;
pub mod spec;
mod statics;
pub mod status;
mod vmacs;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use vrrp_core::router::{Event, VirtualRouter};
use vrrp_core::Instant;
use vrrp_io::{DriverEvent, EventLoop, Handle};

use crate::config::{self, Diagnostic};
use load::{load, load_guarded, LoadContext, Loaded, SharedFeed};
use notify::Notifier;
use process_track::ProcessTracker;
use scripts::Checker;

/// Options of `vrrp run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The keepalived.conf to run.
    pub config: PathBuf,
    /// Where to answer `vrrp status`.
    pub status_socket: PathBuf,
    /// The host's network namespace (a namespace file), where the kernel delivers the
    /// process events `vrrp_track_process` follows when the daemon runs in another.
    pub host_netns: PathBuf,
    /// Where to serve Prometheus metrics over HTTP (`http://ADDR:PORT/metrics`, see
    /// [`metrics`]); `None`: no metrics endpoint.
    pub metrics: Option<std::net::SocketAddr>,
}

/// Why the daemon could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The configuration file cannot be read.
    #[error(transparent)]
    Load(#[from] config::LoadError),
    /// The configuration has errors.
    #[error("{} error(s) in the configuration:\n{}", .0.len(), render(.0))]
    Config(Vec<Diagnostic>),
    /// An instance cannot start (missing interface, address, privileges).
    #[error(transparent)]
    Plan(#[from] spec::PlanError),
    /// The I/O layer failed.
    #[error(transparent)]
    Io(#[from] vrrp_io::Error),
    /// The status socket could not be created (the error names the path).
    #[error("status socket: {0}")]
    StatusBind(#[from] status::BindError),
    /// The status socket could not be served.
    #[error("status socket {}: {source}", path.display())]
    StatusSocket {
        /// Its path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The metrics endpoint (`--metrics`) could not be opened.
    #[error("cannot serve metrics on {addr} (--metrics): {source}")]
    Metrics {
        /// The address and port it was to listen on.
        addr: std::net::SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Signal handlers could not be installed.
    #[error("installing signal handlers: {0}")]
    Signals(std::io::Error),
}

fn render(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("  {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn start_checkers(loaded: &Loaded, handle: &Handle) -> Vec<Checker> {
    loaded
        .config
        .scripts
        .iter()
        .filter_map(|script| {
            let tracks: Vec<_> = loaded
                .plan
                .script_tracks
                .iter()
                .filter(|t| t.script == script.name)
                .cloned()
                .collect();
            if tracks.is_empty() {
                return None; // defined but tracked by no instance
            }
            let run_as = *loaded.run_as.get(&script.name)?;
            let up = loaded.initial.get(&script.name).copied().unwrap_or(false);
            let handle = handle.clone();
            Some(Checker::spawn(script.clone(), run_as, up, move |up| {
                for t in &tracks {
                    handle.set_track(&t.instance, t.id, up != t.reverse);
                }
            }))
        })
        .collect()
}

/// Runs the daemon until SIGTERM / SIGINT.
pub fn run(opts: &RunOptions) -> Result<(), DaemonError> {
    limit_heap_retention();
    let feed = SharedFeed::default();
    let vmacs = Arc::new(Mutex::new(vmacs::Vmacs::default()));
    let static_items = Arc::new(Mutex::new(statics::StaticItems::default()));
    let loaded = load(
        &opts.config,
        &LoadContext {
            carried: &|_, _| None,
            feed: &feed,
            host_netns: &opts.host_netns,
            vmacs: &vmacs,
            statics: &static_items,
        },
    );
    let mut loaded = match loaded {
        Ok(l) => l,
        Err(e) => {
            // Macvlans and static items made for a configuration that cannot run go
            // again.
            vmacs.lock().unwrap_or_else(|e| e.into_inner()).remove_all();
            static_items
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove_all();
            return Err(e);
        }
    };
    statics::ensure_watch(&static_items);
    // Claim the status socket before touching any address: a second daemon with the same
    // socket (most likely the same configuration) must stop here.
    let status_error = |source| DaemonError::StatusSocket {
        path: opts.status_socket.clone(),
        source,
    };
    let status_socket = status::bind(&opts.status_socket)?;
    let mut notifier = Notifier::new(loaded.notify.clone());
    notifier.set_group_scripts(loaded.group_notify.clone());
    notifier.set_fifos(std::mem::take(&mut loaded.fifos));
    for r in &loaded.plan.routers {
        if notifier.wants_priority(&r.name) {
            // The priority the router starts with: tracks that start down count.
            if let Ok(vr) = VirtualRouter::new(r.config.clone(), Instant::ZERO) {
                notifier.set_priority(&r.name, vr.effective_priority().get());
            }
        }
    }
    let notifier = Arc::new(Mutex::new(notifier));
    let track_names = status::SharedTrackNames::new(status::TrackNames::from_plan(&loaded.plan));
    let observer = make_observer(notifier.clone(), track_names.clone());
    let event_loop = EventLoop::new(loaded.plan.routers.clone())?.with_observer(observer);
    let handle = event_loop.handle();
    if let Ok(mut f) = feed.lock() {
        f.attach(
            handle.clone(),
            loaded.plan.process_tracks.clone(),
            loaded.plan.file_tracks.clone(),
        );
    }
    let running = Arc::new(Running {
        handle: handle.clone(),
        checkers: Mutex::new(start_checkers(&loaded, &handle)),
        notifier,
        track_names: track_names.clone(),
        feed,
        processes: Mutex::new(loaded.processes.take()),
        files: Mutex::new(loaded.files.take()),
        vmacs: vmacs.clone(),
        statics: static_items.clone(),
    });
    status::serve(
        &status_socket,
        control::DaemonBackend(handle.clone()),
        track_names.clone(),
    )
    .map_err(status_error)?;
    if let Some(addr) = opts.metrics {
        let metrics_error = |source| DaemonError::Metrics { addr, source };
        let listener = std::net::TcpListener::bind(addr).map_err(metrics_error)?;
        metrics::serve(
            listener,
            control::DaemonBackend(handle.clone()),
            track_names.clone(),
        )
        .map_err(metrics_error)?;
    }

    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGHUP,
    ])
    .map_err(DaemonError::Signals)?;
    {
        let path = opts.config.clone();
        let host_netns = opts.host_netns.clone();
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                for sig in signals.forever() {
                    if sig == signal_hook::consts::SIGHUP {
                        reload(&path, &host_netns, &running);
                    } else {
                        tracing::info!("signal {sig}: shutting down (priority 0, VIPs removed)");
                        running.handle.shutdown();
                        if let Ok(mut c) = running.checkers.lock() {
                            c.clear();
                        }
                        if let Ok(mut p) = running.processes.lock() {
                            p.take();
                        }
                        if let Ok(mut f) = running.files.lock() {
                            f.take();
                        }
                    }
                }
            })
            .map_err(DaemonError::Signals)?;
    }
    tracing::info!(
        "running {} virtual router(s) from {}",
        loaded.plan.routers.len(),
        opts.config.display()
    );
    // The parsed file and the plan were copied where they are needed; with thousands of
    // routers they are most of the heap, so give that memory back.
    drop(loaded);
    return_free_memory();
    raise_scheduling_priority();
    let result = event_loop.run();
    // The routers are gone and their VIPs released: their macvlans can go too.
    vmacs.lock().unwrap_or_else(|e| e.into_inner()).remove_all();
    static_items
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove_all();
    // Removes the socket file unless another daemon has taken the path over since.
    drop(status_socket);
    result?;
    tracing::info!("stopped");
    Ok(())
}

/// Makes glibc hand large freed blocks (the parser's token list, the queues of a mass
/// takeover) straight back to the system instead of raising its mmap threshold and
/// keeping them in the heap: a daemon with thousands of routers then stays at the size of
/// what it really holds.
fn limit_heap_retention() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning parameters; called before any other
    // thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Returns freed heap memory to the system (glibc keeps it otherwise): after start-up the
/// parser's and planner's allocations are gone for good.
fn return_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's own arenas; it
    // has no preconditions and touches no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Gives the event-loop thread (the calling thread; Linux niceness is per thread) a
/// better CPU share than ordinary work, as keepalived's `vrrp_priority` does: adverts
/// that leave late on a busy host cause needless takeovers. Check and notify scripts run
/// from threads started earlier and keep the default niceness.
///
/// The thread is also SCHED_BATCH: a packet or timer that wakes it does not preempt the
/// task running on that CPU, it waits for that task's time slice (well under a
/// millisecond on an idle host, a few on a loaded one, against a Master_Down_Interval of
/// at least 30 ms). Without it, every advert a peer sends preempts whatever runs here:
/// measured with 200 VRIDs at 100 ms on one host pair, the backup woke ~860 times a second
/// (one wake-up per few adverts) and interrupted the sender as often; with it, ~40 times,
/// and the backup's CPU fell from 0.7 % to 0.3 % of a core.
fn raise_scheduling_priority() {
    const EVENT_LOOP_NICE: libc::c_int = -10;
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: `param` is a valid sched_param for the call; pid 0 is this thread.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_BATCH, &param) } != 0 {
        tracing::debug!(
            "could not make the event loop SCHED_BATCH: {}",
            std::io::Error::last_os_error()
        );
    }
    // SAFETY: setpriority has no memory-safety preconditions; `who` 0 is this thread.
    let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, EVENT_LOOP_NICE) };
    if rc != 0 {
        tracing::debug!(
            "could not raise the event loop's priority: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// What runs, and what a reload replaces or updates.
struct Running {
    handle: Handle,
    checkers: Mutex<Vec<Checker>>,
    notifier: Arc<Mutex<Notifier>>,
    track_names: status::SharedTrackNames,
    feed: SharedFeed,
    processes: Mutex<Option<ProcessTracker>>,
    files: Mutex<Option<file_track::FileTracker>>,
    vmacs: Arc<Mutex<vmacs::Vmacs>>,
    statics: Arc<Mutex<statics::StaticItems>>,
}

fn reload(path: &Path, host_netns: &Path, running: &Running) {
    let Running {
        handle,
        checkers,
        notifier,
        track_names,
        feed,
        processes,
        files,
        vmacs,
        statics,
    } = running;
    tracing::info!("SIGHUP: reloading {}", path.display());
    let states: Vec<scripts::ScriptState> = checkers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(Checker::state)
        .collect();
    let mut loaded = match load_guarded(path, host_netns, states, feed, vmacs, statics) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("reload failed, keeping the running configuration: {e}");
            return;
        }
    };
    // vrrp_startup_delay is for the daemon's start (links and routes settling after
    // boot), not for instances a reload adds.
    let mut routers = loaded.plan.routers.clone();
    for r in &mut routers {
        r.config.startup.delay = Duration::ZERO;
    }
    match handle.reload(routers) {
        Ok(summary) => tracing::info!(
            "reload: {} router(s) unchanged, {} reconfigured in place, {} stopped, {} started",
            summary.kept,
            summary.reconfigured,
            summary.removed,
            summary.started
        ),
        Err(e) => {
            // The routers run the old configuration: so do its checkers and notifiers.
            tracing::error!("reload failed, keeping the running configuration: {e}");
            return;
        }
    }
    // A reload may bring the first static items.
    statics::ensure_watch(statics);
    // Routers of macvlans no longer configured have shut down: remove those.
    vmacs
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(&loaded.config);
    track_names.replace(status::TrackNames::from_plan(&loaded.plan));
    if let Ok(mut f) = feed.lock() {
        f.attach(
            handle.clone(),
            loaded.plan.process_tracks.clone(),
            loaded.plan.file_tracks.clone(),
        );
    }
    if let Ok(mut p) = processes.lock() {
        // The new trackers scanned afresh; dropping the old ones stops them.
        *p = loaded.processes.take();
    }
    if let Ok(mut f) = files.lock() {
        *f = loaded.files.take();
    }
    // A router kept over the reload knows its tracks' last states; the checkers start
    // from `initial`, so make the two agree (no-ops when they already do).
    for t in &loaded.plan.script_tracks {
        let up = loaded.initial.get(&t.script).copied().unwrap_or(false);
        handle.set_track(&t.instance, t.id, up != t.reverse);
    }
    // Likewise for processes, from the new tracker's scan.
    for t in &loaded.plan.process_tracks {
        let up = loaded
            .plan
            .routers
            .iter()
            .find(|r| r.name == t.instance)
            .and_then(|r| r.config.tracks.iter().find(|k| k.id == t.id))
            .map(|k| k.initially_up);
        if let Some(up) = up {
            handle.set_track(&t.instance, t.id, up);
        }
    }
    let priorities: Vec<(String, u8)> = handle
        .status()
        .unwrap_or_default()
        .into_iter()
        .map(|r| (r.name, r.effective_priority.get()))
        .collect();
    if let Ok(mut n) = notifier.lock() {
        n.set_fifos(std::mem::take(&mut loaded.fifos));
        n.set_scripts(loaded.notify.clone());
        n.set_group_scripts(loaded.group_notify.clone());
        for (name, priority) in &priorities {
            n.set_priority(name, *priority);
        }
    }
    if let Ok(mut c) = checkers.lock() {
        // Dropping the old checkers stops them; the new ones start where they left off.
        *c = start_checkers(&loaded, handle);
    }
    tracing::info!("reloaded: {} virtual router(s)", loaded.plan.routers.len());
}

fn make_observer(
    notifier: Arc<Mutex<Notifier>>,
    track_names: status::SharedTrackNames,
) -> vrrp_io::event_loop::Observer {
    let mut peer_forms = std::collections::HashSet::new();
    let mut drops = drop_log::DropLog::new();
    // The first of each (peer, reason) a minute at warning level, the rest at debug.
    let mut note = move |from: IpAddr, counter: &'static str, line: &dyn std::fmt::Display| {
        match drops.admit(std::time::Instant::now(), from, counter) {
            drop_log::Verdict::Log => tracing::warn!(
                "{line} (counted as {counter}; more of these from {from} are logged at most once a minute)"
            ),
            drop_log::Verdict::TooManySources => tracing::warn!(
                "{line} (packets to drop come from too many senders to log each; see the counters in `vrrp status`)"
            ),
            drop_log::Verdict::Quiet => tracing::debug!("{line}"),
        }
    };
    Box::new(move |event: &DriverEvent| match event {
        DriverEvent::Router {
            router: name,
            event,
        } => match event {
            Event::StateChanged { from, to, reason } => {
                let reason = track_names.with(|names| names.describe(name, *reason));
                tracing::info!("{name}: {from} -> {to}: {reason}");
                if let Ok(n) = notifier.lock() {
                    n.state_changed(name, *to);
                }
            }
            Event::PriorityChanged { from, to } => {
                tracing::info!("{name}: effective priority {from} -> {to}");
                if let Ok(mut n) = notifier.lock() {
                    n.set_priority(name, to.get());
                }
            }
            Event::Dropped { from, reason } => note(
                *from,
                reason.counter().name(),
                &format_args!("{name}: {event}"),
            ),
            // One line per peer and form, not one per router: a peer with 255 VRIDs on a
            // link would otherwise say the same thing 255 times.
            Event::PeerChecksumForm { from, form } => {
                if peer_forms.insert((*from, *form)) {
                    tracing::info!("{name}: {event}");
                } else {
                    tracing::debug!("{name}: {event}");
                }
            }
            Event::HandoverUnanswered => tracing::warn!("{name}: {event}"),
            Event::TakeoverHeld => tracing::info!("{name}: {event}"),
            Event::OwnerConflict { from } => {
                note(*from, "owner_conflict", &format_args!("{name}: {event}"))
            }
            Event::AddressListMismatch { from } => note(
                *from,
                "address_list_errors",
                &format_args!("{name}: {event}"),
            ),
        },
        DriverEvent::Dropped { from, reason, .. } => note(*from, reason.counter().name(), &event),
        DriverEvent::VipRestored { .. } | DriverEvent::RoutingRestored { .. } => {
            tracing::warn!("{event}")
        }
        DriverEvent::Link { .. } => tracing::info!("{event}"),
        DriverEvent::SyncGroup { group, to, .. } => {
            tracing::info!("{event}");
            if let Ok(n) = notifier.lock() {
                n.group_changed(group, *to);
            }
        }
        DriverEvent::IoError { .. } => tracing::warn!("{event}"),
    })
}
