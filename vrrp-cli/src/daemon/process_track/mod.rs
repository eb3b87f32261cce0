//! `vrrp_track_process`: whether enough processes of a kind run, from the kernel's process
//! events rather than a script forked every few seconds (the nginx pair's
//! `killall -0 nginx` check becomes `vrrp_track_process nginx { process nginx }`).
//!
//! The tracker scans /proc once at start (after subscribing, so nothing falls between),
//! then follows exec, name changes and exits as the kernel reports them, and rescans if
//! events were lost. A change of state is reported once it has lasted `fork_delay` (up) or
//! `terminate_delay` (down), so a restart does not bounce the instance.

mod connector;
mod feed;
mod matcher;

pub use feed::ProcessFeed;
pub use matcher::{ParamMatch, ProcessSpec};

use std::collections::HashSet;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use connector::{ProcConnector, ProcEvent};

/// The host's network namespace as process 1 sees it: where the kernel delivers process
/// events, entered briefly by a daemon started in another namespace.
pub const HOST_NETNS: &str = "/proc/1/ns/net";

/// How often the tracker thread looks at its delays and its stop flag.
const TICK: Duration = Duration::from_millis(100);

/// One tracked kind of process.
struct Tracked {
    spec: ProcessSpec,
    pids: HashSet<u32>,
    /// The state last reported.
    up: bool,
    /// A different state seen since `.1`, to report once it has lasted its delay.
    pending: Option<(bool, Instant)>,
}

impl Tracked {
    /// Updates the pending change after the count changed; returns the state to report
    /// now, if one is due.
    fn settle(&mut self, now: Instant) -> Option<bool> {
        let up = self.spec.is_up(self.pids.len() as u32);
        if up == self.up {
            self.pending = None;
            return None;
        }
        let since = match self.pending {
            Some((state, since)) if state == up => since,
            _ => {
                self.pending = Some((up, now));
                now
            }
        };
        if now.duration_since(since) >= self.spec.delay_to(up) {
            self.up = up;
            self.pending = None;
            return Some(up);
        }
        None
    }
}

/// The running tracker; stops its thread when dropped.
pub struct ProcessTracker {
    stop: Arc<AtomicBool>,
}

impl Drop for ProcessTracker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl ProcessTracker {
    /// Subscribes to process events, counts the matching processes now and starts
    /// following them on a thread, calling `report(name, up)` whenever a spec's state
    /// changes (after its delay). Returns the tracker and each spec's state now, in
    /// order, for the routers to start with.
    /// `host_netns` names the host's network namespace, for a daemon running in
    /// another (see [`HOST_NETNS`]).
    pub fn spawn(
        specs: Vec<ProcessSpec>,
        host_netns: &std::path::Path,
        report: impl Fn(&str, bool) + Send + 'static,
    ) -> io::Result<(ProcessTracker, Vec<bool>)> {
        let connector = ProcConnector::open(host_netns)?;
        let mut tracked: Vec<Tracked> = specs
            .into_iter()
            .map(|spec| Tracked {
                spec,
                pids: HashSet::new(),
                up: false,
                pending: None,
            })
            .collect();
        rescan(&mut tracked);
        for t in &mut tracked {
            t.up = t.spec.is_up(t.pids.len() as u32);
        }
        let initial = tracked.iter().map(|t| t.up).collect();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("track-process".into())
            .spawn(move || follow(connector, tracked, &flag, report))?;
        Ok((ProcessTracker { stop }, initial))
    }
}

fn follow(
    connector: ProcConnector,
    mut tracked: Vec<Tracked>,
    stop: &AtomicBool,
    report: impl Fn(&str, bool),
) {
    let mut events = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        events.clear();
        if let Err(e) = connector.recv(TICK, &mut events) {
            tracing::error!("vrrp_track_process: process events failed: {e}; tracking stops");
            return;
        }
        for event in &events {
            match *event {
                ProcEvent::Changed(pid) => look_at(&mut tracked, pid),
                ProcEvent::Exited(pid) => {
                    for t in &mut tracked {
                        t.pids.remove(&pid);
                    }
                }
                ProcEvent::Lost => {
                    tracing::warn!(
                        "vrrp_track_process: process events were lost; rescanning /proc"
                    );
                    rescan(&mut tracked);
                }
            }
        }
        let now = Instant::now();
        for t in &mut tracked {
            if let Some(up) = t.settle(now) {
                tracing::info!(
                    "vrrp_track_process {}: {} (now {} matching)",
                    t.spec.name,
                    if up { "up" } else { "down" },
                    t.pids.len()
                );
                report(&t.spec.name, up);
            }
        }
    }
}

/// Counts from scratch: every process in /proc.
fn rescan(tracked: &mut [Tracked]) {
    for t in tracked.iter_mut() {
        t.pids.clear();
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        if let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) {
            look_at(tracked, pid);
        }
    }
}

/// Reads what `pid` is now and counts it (or not) for each spec.
fn look_at(tracked: &mut [Tracked], pid: u32) {
    let Some((comm, argv)) = read_process(pid) else {
        for t in tracked.iter_mut() {
            t.pids.remove(&pid);
        }
        return;
    };
    for t in tracked.iter_mut() {
        if t.spec.matches(&comm, &argv) {
            t.pids.insert(pid);
        } else {
            t.pids.remove(&pid);
        }
    }
}

/// A process's name and command line; `None` once it is gone (or a kernel thread
/// without a command line, which then has an empty one).
fn read_process(pid: u32) -> Option<(String, Vec<String>)> {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let argv = cmdline
        .split(|&b| b == 0)
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect::<Vec<_>>();
    let argv = match argv.split_last() {
        // cmdline ends with a NUL: drop the empty word after it.
        Some((last, rest)) if last.is_empty() => rest.to_vec(),
        _ => argv,
    };
    Some((comm.trim_end_matches('\n').to_owned(), argv))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracked(fork: u64, terminate: u64) -> Tracked {
        let mut spec = ProcessSpec::new("w", "worker");
        spec.fork_delay = Duration::from_millis(fork);
        spec.terminate_delay = Duration::from_millis(terminate);
        Tracked {
            spec,
            pids: HashSet::new(),
            up: false,
            pending: None,
        }
    }

    #[test]
    fn a_change_is_reported_once_it_has_lasted_its_delay() {
        let mut t = tracked(500, 1000);
        let t0 = Instant::now();
        t.pids.insert(1);
        assert_eq!(t.settle(t0), None);
        assert_eq!(t.settle(t0 + Duration::from_millis(499)), None);
        assert_eq!(t.settle(t0 + Duration::from_millis(500)), Some(true));
        assert_eq!(t.settle(t0 + Duration::from_millis(600)), None);
        // A restart shorter than terminate_delay does not bounce.
        t.pids.clear();
        assert_eq!(t.settle(t0 + Duration::from_secs(1)), None);
        t.pids.insert(2);
        assert_eq!(t.settle(t0 + Duration::from_millis(1500)), None);
        t.pids.clear();
        assert_eq!(t.settle(t0 + Duration::from_secs(2)), None);
        assert_eq!(t.settle(t0 + Duration::from_secs(3)), Some(false));
    }

    #[test]
    fn this_test_process_is_found_by_name_and_command_line() {
        let me = std::process::id();
        let (comm, argv) = read_process(me).unwrap();
        let mut by_name = vec![Tracked {
            spec: ProcessSpec::new("me", &comm),
            pids: HashSet::new(),
            up: false,
            pending: None,
        }];
        let mut full = ProcessSpec::new("me-full", &argv[0]);
        full.full_command = true;
        by_name.push(Tracked {
            spec: full,
            pids: HashSet::new(),
            up: false,
            pending: None,
        });
        rescan(&mut by_name);
        assert!(by_name.iter().all(|t| t.pids.contains(&me)));
        assert!(read_process(u32::MAX).is_none());
    }

    /// The kernel's events, end to end (root only: the proc connector needs
    /// CAP_NET_ADMIN): a process started and killed is reported up and down.
    #[test]
    fn a_process_started_and_killed_is_reported_up_then_down() {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("SKIPPED: needs root");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let name = format!("trk{}", std::process::id());
        let program = dir.path().join(&name);
        std::fs::copy("/bin/sleep", &program).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let (_tracker, initial) = ProcessTracker::spawn(
            vec![ProcessSpec::new("t", &name)],
            HOST_NETNS.as_ref(),
            move |n, up| {
                let _ = tx.send((n.to_owned(), up));
            },
        )
        .unwrap();
        assert_eq!(initial, vec![false]);
        let mut child = std::process::Command::new(&program)
            .arg("30")
            .spawn()
            .unwrap();
        let wait = Duration::from_secs(5);
        assert_eq!(rx.recv_timeout(wait), Ok(("t".to_owned(), true)));
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(rx.recv_timeout(wait), Ok(("t".to_owned(), false)));
    }
}
