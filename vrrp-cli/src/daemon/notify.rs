//! Notify scripts (`notify_master`, `notify_backup`, `notify_fault`, `notify_stop`,
//! `notify`), run in order on a worker thread so the event loop never waits for them.

use std::collections::HashMap;
use std::sync::mpsc::{self, Sender};
use std::time::Duration;

use vrrp_core::router::State;

use super::scripts::{run_once, RunAs};
use crate::config::{Notify, NotifyScript};

/// Notify scripts are killed after this long, so a hung one cannot hold up the rest.
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(30);

struct Job {
    argv: Vec<String>,
    run_as: Option<RunAs>,
}

/// Runs notify scripts on one worker thread, in the order of the state changes.
pub struct Notifier {
    scripts: HashMap<String, (Notify, Option<RunAs>)>,
    tx: Sender<Job>,
}

impl Notifier {
    /// `scripts`: each instance's notify settings and the user to run them as.
    pub fn new(scripts: HashMap<String, (Notify, Option<RunAs>)>) -> Notifier {
        let (tx, rx) = mpsc::channel::<Job>();
        let _ = std::thread::Builder::new()
            .name("notify".into())
            .spawn(move || {
                for job in rx {
                    run_once(&job.argv, NOTIFY_TIMEOUT, job.run_as);
                }
            });
        Notifier { scripts, tx }
    }

    /// Queues the scripts for `instance` entering `state` with `priority`.
    ///
    /// As keepalived: the state-specific script runs as written; `notify` gets
    /// `INSTANCE <name> <MASTER|BACKUP|FAULT|STOP> <priority>` appended.
    pub fn state_changed(&self, instance: &str, state: State, priority: u8) {
        let Some((notify, run_as)) = self.scripts.get(instance) else {
            return;
        };
        let (specific, word) = match state {
            State::Master => (&notify.master, "MASTER"),
            State::Backup => (&notify.backup, "BACKUP"),
            State::Fault => (&notify.fault, "FAULT"),
            State::Initialize => (&notify.stop, "STOP"),
        };
        let user = |s: &NotifyScript| {
            s.user
                .as_ref()
                .and_then(super::scripts::resolve_user)
                .or(*run_as)
        };
        if let Some(s) = specific {
            let _ = self.tx.send(Job {
                argv: s.command.argv.clone(),
                run_as: user(s),
            });
        }
        if let Some(s) = &notify.any {
            let mut argv = s.command.argv.clone();
            argv.extend([
                "INSTANCE".to_owned(),
                instance.to_owned(),
                word.to_owned(),
                priority.to_string(),
            ]);
            let _ = self.tx.send(Job {
                argv,
                run_as: user(s),
            });
        }
    }
}
