//! Check scripts (`vrrp_script`): run periodically, off the event loop, with a timeout.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::{ScriptUser, VrrpScript};

/// How a script run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit status 0.
    Success,
    /// Non-zero exit, or killed by a signal.
    Failure,
    /// Still running at the timeout: killed.
    TimedOut,
    /// Could not be started.
    NotStarted,
}

/// A user and group to run scripts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunAs {
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

/// Looks up `script_user USER [GROUP]` in the system's user database.
pub fn resolve_user(user: &ScriptUser) -> Option<RunAs> {
    let name = std::ffi::CString::new(user.user.as_str()).ok()?;
    // SAFETY: getpwnam returns NULL or a pointer to a static passwd record that is valid
    // until the next getpw* call; we copy the two ids out at once. The daemon resolves
    // users on one thread at start-up and reload.
    let (uid, mut gid) = unsafe {
        let pw = libc::getpwnam(name.as_ptr());
        if pw.is_null() {
            return None;
        }
        ((*pw).pw_uid, (*pw).pw_gid)
    };
    if let Some(group) = &user.group {
        let gname = std::ffi::CString::new(group.as_str()).ok()?;
        // SAFETY: as above, for the group database.
        gid = unsafe {
            let gr = libc::getgrnam(gname.as_ptr());
            if gr.is_null() {
                return None;
            }
            (*gr).gr_gid
        };
    }
    Some(RunAs { uid, gid })
}

/// What happens to processes a script leaves behind in its process group when it exits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leftovers {
    /// Killed: a check script runs every few seconds, and whatever it forks must not
    /// pile up.
    Kill,
    /// Left alone: a notify script may start something on purpose. (At the timeout the
    /// whole group is killed either way.)
    Keep,
}

/// Runs `argv` once in its own process group, killing the group at `timeout`, and after
/// the script exits too when `leftovers` says so.
pub fn run_once(
    argv: &[String],
    timeout: Duration,
    run_as: Option<RunAs>,
    leftovers: Leftovers,
) -> Outcome {
    let Some((program, args)) = argv.split_first() else {
        return Outcome::NotStarted;
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    use std::os::unix::process::CommandExt;
    // Its own process group, so that a timeout kills the script's children too.
    cmd.process_group(0);
    if let Some(r) = run_as {
        cmd.uid(r.uid).gid(r.gid);
    }
    let Ok(mut child) = cmd.spawn() else {
        return Outcome::NotStarted;
    };
    wait_with_timeout(&mut child, timeout, leftovers)
}

fn wait_with_timeout(child: &mut Child, timeout: Duration, leftovers: Leftovers) -> Outcome {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    let group = child.id() as libc::pid_t;
    loop {
        match has_exited(child) {
            Ok(true) => {
                if leftovers == Leftovers::Kill {
                    // The script is a zombie until reaped below, so its process group id
                    // cannot have been reused: this reaches only what it left behind.
                    kill_group(group);
                }
                return match child.wait() {
                    Ok(status) if status.success() => Outcome::Success,
                    _ => Outcome::Failure,
                };
            }
            Ok(false) if Instant::now() >= deadline => {
                kill_group(group);
                let _ = child.kill();
                let _ = child.wait();
                return Outcome::TimedOut;
            }
            Ok(false) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(20));
            }
            Err(_) => {
                kill_group(group);
                let _ = child.wait();
                return Outcome::Failure;
            }
        }
    }
}

/// Whether the child has exited, without reaping it (so its pid, which is its process
/// group's id, stays reserved).
fn has_exited(child: &Child) -> std::io::Result<bool> {
    // SAFETY: an all-zero siginfo_t is a valid value for waitid to fill in.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: `info` is a valid, writable siginfo_t; the pid is our own unreaped child.
    let rc = unsafe {
        libc::waitid(
            libc::P_PID,
            child.id() as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: waitid filled `info`; si_pid is 0 when no child has changed state.
    Ok(unsafe { info.si_pid() } != 0)
}

fn kill_group(group: libc::pid_t) {
    // SAFETY: kill(2) with a negative pid signals the process group we created.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
}

/// keepalived's rise/fall filter: the state changes after `rise` successes in a row
/// (down -> up) or `fall` failures in a row (up -> down).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RiseFall {
    up: bool,
    streak: u32,
    rise: u32,
    fall: u32,
}

impl RiseFall {
    /// Starts in state `up`.
    pub fn new(up: bool, rise: u32, fall: u32) -> Self {
        RiseFall {
            up,
            streak: 0,
            rise: rise.max(1),
            fall: fall.max(1),
        }
    }

    /// Feeds one result; returns the new state if it changed.
    pub fn feed(&mut self, success: bool) -> Option<bool> {
        if success == self.up {
            self.streak = 0;
            return None;
        }
        self.streak += 1;
        let needed = if success { self.rise } else { self.fall };
        if self.streak >= needed {
            self.up = success;
            self.streak = 0;
            Some(success)
        } else {
            None
        }
    }

    /// The current state.
    pub fn is_up(&self) -> bool {
        self.up
    }
}

/// A script's timeout: its own, else its interval (as keepalived).
pub fn timeout_of(script: &VrrpScript) -> Duration {
    script
        .timeout
        .unwrap_or(script.interval)
        .max(Duration::from_millis(10))
}

/// A running checker thread; told to stop on drop.
pub struct Checker {
    stop: Arc<AtomicBool>,
    /// The state rise/fall last settled on, for a reload to carry over.
    up: Arc<AtomicBool>,
    script: VrrpScript,
    run_as: Option<RunAs>,
}

impl Checker {
    /// Runs `script` every interval from its thread, starting in state `initially_up`, and
    /// calls `report(up)` whenever rise/fall says the state changed.
    pub fn spawn(
        script: VrrpScript,
        run_as: Option<RunAs>,
        initially_up: bool,
        report: impl Fn(bool) + Send + 'static,
    ) -> Checker {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let up = Arc::new(AtomicBool::new(initially_up));
        let state = up.clone();
        let name = script.name.clone();
        let definition = script.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("check {}", script.name))
            .spawn(move || {
                let mut filter = RiseFall::new(initially_up, script.rise, script.fall);
                let timeout = timeout_of(&script);
                let mut next = Instant::now() + script.interval;
                while !flag.load(Ordering::Relaxed) {
                    let now = Instant::now();
                    if now < next {
                        std::thread::sleep((next - now).min(Duration::from_millis(100)));
                        continue;
                    }
                    next = now + script.interval;
                    let outcome = run_once(&script.script.argv, timeout, run_as, Leftovers::Kill);
                    if outcome == Outcome::TimedOut {
                        tracing::warn!(script = %script.name, "check script timed out after {timeout:?}; killed");
                    }
                    if flag.load(Ordering::Relaxed) {
                        break; // stopped while the check ran: its result is stale
                    }
                    if let Some(up) = filter.feed(outcome == Outcome::Success) {
                        tracing::info!(script = %script.name, "check script is now {}", if up { "up" } else { "down" });
                        state.store(up, Ordering::Relaxed);
                        report(up);
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!(script = %name, "cannot start the check thread: {e}");
        }
        Checker {
            stop,
            up,
            script: definition,
            run_as,
        }
    }

    /// The script's state as rise/fall last settled it.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// What a reload needs to know of this checker: its script, user and state.
    pub fn state(&self) -> ScriptState {
        ScriptState {
            script: self.script.clone(),
            run_as: self.run_as,
            up: self.is_up(),
        }
    }
}

/// A running check script's definition and state, kept over a reload.
#[derive(Debug, Clone)]
pub struct ScriptState {
    script: VrrpScript,
    run_as: Option<RunAs>,
    up: bool,
}

impl ScriptState {
    /// The state to carry over to `script` after a reload: this one's, if it is the very
    /// same definition run as the same user (keepalived keeps a script's state over a
    /// reload); `None` when the script is another one and must be run afresh.
    pub fn carried_state(&self, script: &VrrpScript, run_as: Option<RunAs>) -> Option<bool> {
        (self.script == *script && self.run_as == run_as).then_some(self.up)
    }
}

impl Drop for Checker {
    /// Tells the thread to stop without waiting for it: a check still running finishes
    /// (or is killed at its timeout) on its own, and shutdown or reload never waits for it.
    /// Its result, if any, is no longer reported.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rise_and_fall_need_streaks() {
        let mut f = RiseFall::new(true, 2, 3);
        assert_eq!(f.feed(false), None);
        assert_eq!(f.feed(false), None);
        assert_eq!(f.feed(true), None, "a success breaks the failure streak");
        assert_eq!(f.feed(false), None);
        assert_eq!(f.feed(false), None);
        assert_eq!(f.feed(false), Some(false));
        assert_eq!(f.feed(true), None);
        assert_eq!(f.feed(true), Some(true));
    }

    #[test]
    fn exit_status_decides() {
        let t = Duration::from_secs(5);
        let run = |argv: &[&str]| {
            let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
            run_once(&argv, t, None, Leftovers::Kill)
        };
        assert_eq!(run(&["true"]), Outcome::Success);
        assert_eq!(run(&["false"]), Outcome::Failure);
        assert_eq!(run(&["/nonexistent/check"]), Outcome::NotStarted);
    }

    #[test]
    fn hung_script_is_killed_at_its_timeout() {
        let started = Instant::now();
        let outcome = run_once(
            &["sleep".into(), "30".into()],
            Duration::from_millis(200),
            None,
            Leftovers::Keep,
        );
        assert_eq!(outcome, Outcome::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    /// A check script that forks a long-lived child and exits: the child goes with it,
    /// so a script run every second cannot pile up processes. A notify script's is kept.
    #[test]
    fn what_a_check_script_leaves_behind_is_killed() {
        let dir = tempfile::tempdir().unwrap();
        for (leftovers, survives) in [(Leftovers::Kill, false), (Leftovers::Keep, true)] {
            let pid_file = dir.path().join(format!("{leftovers:?}.pid"));
            let argv: Vec<String> = [
                "sh",
                "-c",
                &format!("sleep 30 & echo $! > {}", pid_file.display()),
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            let outcome = run_once(&argv, Duration::from_secs(5), None, leftovers);
            assert_eq!(outcome, Outcome::Success);
            let pid: i32 = std::fs::read_to_string(&pid_file)
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            // The orphan is reparented and reaped by init once killed; poll briefly.
            let alive = || {
                std::path::Path::new(&format!("/proc/{pid}")).exists()
                    && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
                        .unwrap_or_default()
                        .contains(") Z ")
            };
            let deadline = Instant::now() + Duration::from_secs(5);
            while alive() && !survives && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            assert_eq!(alive(), survives, "{leftovers:?}");
            // SAFETY: kill(2) on the pid we read; it is our test's own sleep.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}
