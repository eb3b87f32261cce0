//! Reading a configuration into what the daemon runs: the parsed file, its vetted
//! scripts (each tracked check run once), the process tracker, and the router specs;
//! and the guarded form a reload uses.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use vrrp_io::netlink::Netlink;

use super::file_track::{self, FileTracker};
use super::notify::InstanceNotify;
use super::notify_fifo::NotifyFifo;
use super::process_track::{ProcessFeed, ProcessSpec, ProcessTracker};
use super::scripts::{self, RunAs};
use super::statics::StaticItems;
use super::vmacs::Vmacs;
use super::{script_security, spec, DaemonError};
use crate::config::{self, Config};

/// What a loaded configuration needs besides the router specs.
pub(super) struct Loaded {
    pub(super) config: Config,
    pub(super) plan: spec::Plan,
    pub(super) initial: HashMap<String, bool>,
    /// Each instance's notify scripts that passed vetting.
    pub(super) notify: HashMap<String, InstanceNotify>,
    /// Each sync group's notify scripts that passed vetting.
    pub(super) group_notify: HashMap<String, InstanceNotify>,
    /// Who each check script that passed vetting runs as. A refused one never runs and
    /// is not tracked (as keepalived: its weight does not count).
    pub(super) run_as: HashMap<String, Option<RunAs>>,
    /// The `notify_fifo`s, open.
    pub(super) fifos: Vec<NotifyFifo>,
    /// Follows the `track_file` blocks (reporting to the feed), if any.
    pub(super) files: Option<FileTracker>,
    /// Follows the `vrrp_track_process` blocks (reporting to the feed), if any.
    pub(super) processes: Option<ProcessTracker>,
}

/// The process tracker's reports, shared with whoever attaches the routers.
pub(super) type SharedFeed = Arc<Mutex<ProcessFeed>>;

/// The state a script keeps over a reload, if it runs unchanged (see
/// [`scripts::ScriptState::carried_state`]); `None`: run it once now.
pub(super) type CarriedState<'a> = &'a dyn Fn(&config::VrrpScript, Option<RunAs>) -> Option<bool>;

/// What [`load`] needs besides the file.
pub(super) struct LoadContext<'a> {
    pub(super) carried: CarriedState<'a>,
    pub(super) feed: &'a SharedFeed,
    pub(super) host_netns: &'a Path,
    /// The `use_vmac` macvlans: created here, before the routers that run on them.
    pub(super) vmacs: &'a Mutex<Vmacs>,
    /// The static addresses, routes and rules: brought in line with the file here.
    pub(super) statics: &'a Mutex<StaticItems>,
}

pub(super) fn load(path: &Path, cx: &LoadContext<'_>) -> Result<Loaded, DaemonError> {
    let LoadContext {
        carried,
        feed,
        host_netns,
        vmacs,
        statics,
    } = *cx;
    let parsed = config::load(path)?;
    let (config, warnings) = parsed.into_result().map_err(DaemonError::Config)?;
    for w in &warnings {
        tracing::warn!("{w}");
    }
    let vetted = script_security::vet_config(&config);
    for (_, w) in &vetted.warnings {
        tracing::warn!("{w}");
    }
    for r in &vetted.refused {
        tracing::error!("{r}");
    }
    let run_as = vetted.checks;
    // Run every tracked check once before starting, so routers start with the right
    // priority instead of flapping a few seconds later. On reload, an unchanged script
    // keeps the state its checker had.
    let initial: HashMap<String, bool> = std::thread::scope(|s| {
        let jobs: Vec<_> = config
            .scripts
            .iter()
            .filter_map(|script| {
                let run_as = *run_as.get(&script.name)?;
                if let Some(up) = carried(script, run_as) {
                    return Some(s.spawn(move || (script.name.clone(), up)));
                }
                Some(s.spawn(move || {
                    let outcome = scripts::run_once(
                        &script.script.argv,
                        scripts::timeout_of(script),
                        run_as,
                        scripts::Leftovers::Kill,
                    );
                    (script.name.clone(), outcome == scripts::Outcome::Success)
                }))
            })
            .collect();
        jobs.into_iter().filter_map(|j| j.join().ok()).collect()
    });
    let (processes, process_states) = track_processes(&config, feed, host_netns);
    let files = track_files(&config, feed);
    let mut netlink = Netlink::open()?;
    // The macvlans first: the routers run on them, and an IPv6 router's advert source is
    // the link-local address given to its macvlan.
    vmacs
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .ensure(&config, &mut netlink)?;
    // Static items do not depend on the routers' states; a reload may change them.
    statics
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .apply(&config.statics, &mut netlink);
    // A refused script is not tracked at all (`None`), nor a process tracker that could
    // not start.
    let plan = spec::plan(
        &config,
        &mut netlink,
        &|name| initial.get(name).copied(),
        &|name| process_states.get(name).copied(),
    )?;
    let notify = vetted.notify;
    let group_notify = vetted.group_notify;
    let fifos = config
        .global
        .notify_fifos
        .iter()
        .filter_map(|path| match NotifyFifo::open(path) {
            Ok(f) => Some(f),
            Err(e) => {
                tracing::error!(
                    "notify_fifo {}: {e}; no transitions go there",
                    path.display()
                );
                None
            }
        })
        .collect();
    Ok(Loaded {
        files,
        fifos,
        config,
        plan,
        initial,
        notify,
        group_notify,
        run_as,
        processes,
    })
}

/// Initialises and starts following the configuration's `track_file` blocks; their
/// numbers go to the feed (pending until the routers run).
fn track_files(config: &Config, feed: &SharedFeed) -> Option<FileTracker> {
    if config.track_files.is_empty() {
        return None;
    }
    for f in &config.track_files {
        if let Some((value, overwrite)) = f.init {
            if let Err(e) = file_track::init_file(&f.file, value, overwrite) {
                tracing::error!("track_file {}: init_file {}: {e}", f.name, f.file.display());
            }
        }
    }
    let files: Vec<(String, std::path::PathBuf)> = config
        .track_files
        .iter()
        .map(|f| (f.name.clone(), f.file.clone()))
        .collect();
    let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    let reports = feed.clone();
    match FileTracker::spawn(files, move |name, value| {
        if let Ok(mut feed) = reports.lock() {
            feed.report_value(name, value);
        }
    }) {
        Ok((tracker, values)) => {
            if let Ok(mut f) = feed.lock() {
                for (name, value) in names.iter().zip(values) {
                    f.report_value(name, value);
                }
            }
            Some(tracker)
        }
        Err(e) => {
            tracing::error!("track_file: cannot watch the files ({e}); tracked files are ignored");
            None
        }
    }
}

/// Starts following the configuration's `vrrp_track_process` blocks; their states now,
/// by name. Without CAP_NET_ADMIN (the kernel's process events need it) they are logged
/// and not tracked, as refused scripts are.
fn track_processes(
    config: &Config,
    feed: &SharedFeed,
    host_netns: &Path,
) -> (Option<ProcessTracker>, HashMap<String, bool>) {
    if config.track_processes.is_empty() {
        return (None, HashMap::new());
    }
    let specs: Vec<ProcessSpec> = config
        .track_processes
        .iter()
        .map(|p| ProcessSpec {
            name: p.name.clone(),
            ..p.spec.clone()
        })
        .collect();
    let names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
    let reports = feed.clone();
    match ProcessTracker::spawn(specs, host_netns, move |name, up| {
        if let Ok(mut feed) = reports.lock() {
            feed.report(name, up);
        }
    }) {
        Ok((tracker, states)) => (Some(tracker), names.into_iter().zip(states).collect()),
        Err(e) => {
            tracing::error!(
                "vrrp_track_process: cannot follow the kernel's process events ({e}); \
                 tracked processes are ignored"
            );
            (None, HashMap::new())
        }
    }
}

/// How long a reload may take to read, check and plan the new file (its scripts run once
/// within it, each bounded by its timeout) before the daemon gives up on it.
const RELOAD_DEADLINE: Duration = Duration::from_secs(60);

/// A reload's reading and checking runs on its own thread with a large stack and a
/// deadline, so that no file can take the daemon down or stall the thread that handles
/// signals (a later SIGTERM must still work): a panic or a file that never ends (a FIFO,
/// a device) costs that thread only, and the running configuration stays.
pub(super) fn load_guarded(
    path: &Path,
    host_netns: &Path,
    running: Vec<scripts::ScriptState>,
    feed: &SharedFeed,
    vmacs: &Arc<Mutex<Vmacs>>,
    statics: &Arc<Mutex<StaticItems>>,
) -> Result<Loaded, String> {
    const LOAD_STACK: usize = 16 * 1024 * 1024;
    let (tx, rx) = std::sync::mpsc::channel();
    let path = path.to_path_buf();
    let feed = feed.clone();
    let vmacs = vmacs.clone();
    let statics = statics.clone();
    let host_netns = host_netns.to_path_buf();
    std::thread::Builder::new()
        .name("reload".into())
        .stack_size(LOAD_STACK)
        .spawn(move || {
            let carried = |script: &config::VrrpScript, run_as: Option<RunAs>| {
                running.iter().find_map(|s| s.carried_state(script, run_as))
            };
            let cx = LoadContext {
                carried: &carried,
                feed: &feed,
                host_netns: &host_netns,
                vmacs: &vmacs,
                statics: &statics,
            };
            let _ = tx.send(load(&path, &cx).map_err(|e| e.to_string()));
        })
        .map_err(|e| format!("cannot start the reload thread: {e}"))?;
    match rx.recv_timeout(RELOAD_DEADLINE) {
        Ok(result) => result,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(format!(
            "reading and checking the file took more than {}s (a FIFO or a device in an include?)",
            RELOAD_DEADLINE.as_secs()
        )),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            Err("the reload failed with an internal error (see the log above)".to_owned())
        }
    }
}
