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

/// A configured script user (or its group) that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("script user {0:?} (or its group) does not exist; the script will not run")]
pub struct UnknownUser(pub String);

/// Who a script runs as: its own `user`, else global_defs' `script_user`, else the
/// daemon's own user. An unknown user is an error, never a silent fall-back to root.
pub fn run_as_for(
    own: Option<&ScriptUser>,
    global: Option<&ScriptUser>,
) -> Result<Option<RunAs>, UnknownUser> {
    match own.or(global) {
        None => Ok(None),
        Some(user) => resolve_user(user)
            .map(Some)
            .ok_or_else(|| UnknownUser(user.user.clone())),
    }
}

/// Runs `argv` once, killing it (and its process group) at `timeout`.
pub fn run_once(argv: &[String], timeout: Duration, run_as: Option<RunAs>) -> Outcome {
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
    wait_with_timeout(&mut child, timeout)
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Outcome {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                return if status.success() {
                    Outcome::Success
                } else {
                    Outcome::Failure
                };
            }
            Ok(None) if Instant::now() >= deadline => {
                // SAFETY: kill(2) with a negative pid signals the process group we created.
                unsafe {
                    libc::kill(-(child.id() as i32), libc::SIGKILL);
                }
                let _ = child.kill();
                let _ = child.wait();
                return Outcome::TimedOut;
            }
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(20));
            }
            Err(_) => return Outcome::Failure,
        }
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
                    let outcome = run_once(&script.script.argv, timeout, run_as);
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

    /// The state to carry over to `script` after a reload: this checker's, if it runs
    /// the very same definition as the same user (keepalived keeps a script's state over
    /// a reload); `None` when the script is another one and must be run afresh.
    pub fn carried_state(&self, script: &VrrpScript, run_as: Option<RunAs>) -> Option<bool> {
        (self.script == *script && self.run_as == run_as).then(|| self.is_up())
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
    fn an_unknown_script_user_is_an_error_not_root() {
        let user = |name: &str| ScriptUser {
            user: name.into(),
            group: None,
        };
        let nobody = user("no-such-user-vrrp");
        assert_eq!(
            run_as_for(Some(&nobody), None),
            Err(UnknownUser("no-such-user-vrrp".into()))
        );
        // The script's own user wins over the global one, also when it is unknown.
        assert!(run_as_for(Some(&nobody), Some(&user("root"))).is_err());
        assert_eq!(
            run_as_for(None, Some(&user("root"))),
            Ok(Some(RunAs { uid: 0, gid: 0 }))
        );
        assert_eq!(run_as_for(None, None), Ok(None));
    }

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
        assert_eq!(run_once(&["true".into()], t, None), Outcome::Success);
        assert_eq!(run_once(&["false".into()], t, None), Outcome::Failure);
        assert_eq!(
            run_once(&["/nonexistent/check".into()], t, None),
            Outcome::NotStarted
        );
    }

    #[test]
    fn hung_script_is_killed_at_its_timeout() {
        let started = Instant::now();
        let outcome = run_once(
            &["sleep".into(), "30".into()],
            Duration::from_millis(200),
            None,
        );
        assert_eq!(outcome, Outcome::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
