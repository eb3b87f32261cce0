//! Notify scripts (`notify_master`, `notify_backup`, `notify_fault`, `notify_stop`,
//! `notify`), run in order on a worker thread so the event loop never waits for them.

use std::collections::HashMap;
use std::sync::mpsc::{self, Sender};
use std::time::Duration;

use vrrp_core::router::State;

use super::notify_fifo::NotifyFifo;
use super::script_security::{self, Refusal};
use super::scripts::{run_once, Leftovers, RunAs};
use crate::config::{Notify, NotifyScript, ScriptUser};

/// Notify scripts are killed after this long, so a hung one cannot hold up the rest.
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(30);

struct Job {
    argv: Vec<String>,
    run_as: Option<RunAs>,
}

/// A notify script that passed [`script_security::vet`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runnable {
    argv: Vec<String>,
    run_as: Option<RunAs>,
}

/// A refused notify script: (directive, command as written, why).
pub type RefusedNotify = (&'static str, String, Refusal);

/// The notify scripts of one instance that may run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceNotify {
    master: Option<Runnable>,
    backup: Option<Runnable>,
    fault: Option<Runnable>,
    stop: Option<Runnable>,
    any: Option<Runnable>,
}

impl InstanceNotify {
    /// Vets each of an instance's notify scripts (see [`script_security`]). Refused ones
    /// are left out and returned as (directive, command, why); unsafe ones tolerated
    /// without `enable_script_security` come back as warnings.
    pub fn vet(
        notify: &Notify,
        global_user: Option<&ScriptUser>,
        security: bool,
    ) -> (InstanceNotify, Vec<RefusedNotify>, Vec<String>) {
        let mut refused = Vec::new();
        let mut warnings = Vec::new();
        let mut vet_one = |directive: &'static str, script: &Option<NotifyScript>| {
            let script = script.as_ref()?;
            let vetted = script_security::run_as(script.user.as_ref(), global_user, security)
                .and_then(|run_as| script_security::vet(&script.command.argv, run_as, security));
            match vetted {
                Ok(v) => {
                    if let Some(w) = v.warning {
                        warnings.push(format!(
                            "{directive} `{}`: unsafe permissions: {w}; enable_script_security would refuse it",
                            script.command.line
                        ));
                    }
                    Some(Runnable {
                        argv: script.command.argv.clone(),
                        run_as: v.run_as,
                    })
                }
                Err(e) => {
                    refused.push((directive, script.command.line.clone(), e));
                    None
                }
            }
        };
        let vetted = InstanceNotify {
            master: vet_one("notify_master", &notify.master),
            backup: vet_one("notify_backup", &notify.backup),
            fault: vet_one("notify_fault", &notify.fault),
            stop: vet_one("notify_stop", &notify.stop),
            any: vet_one("notify", &notify.any),
        };
        (vetted, refused, warnings)
    }

    /// Who each script runs as.
    pub fn run_as_all(&self) -> impl Iterator<Item = Option<RunAs>> + '_ {
        [
            &self.master,
            &self.backup,
            &self.fault,
            &self.stop,
            &self.any,
        ]
        .into_iter()
        .flatten()
        .map(|s| s.run_as)
    }

    /// Whether any script is left.
    pub fn is_empty(&self) -> bool {
        [
            &self.master,
            &self.backup,
            &self.fault,
            &self.stop,
            &self.any,
        ]
        .iter()
        .all(|s| s.is_none())
    }
}

/// Runs notify scripts on one worker thread, in the order of the state changes, and
/// keeps the effective priority of the instances that have them (the `notify` script's
/// last argument).
pub struct Notifier {
    scripts: HashMap<String, InstanceNotify>,
    /// Each `vrrp_sync_group`'s own notify scripts.
    group_scripts: HashMap<String, InstanceNotify>,
    priorities: HashMap<String, u8>,
    /// `notify_fifo` / `vrrp_notify_fifo`: every instance's transitions, in order.
    fifos: Vec<NotifyFifo>,
    tx: Sender<Job>,
}

impl Notifier {
    /// `scripts`: each instance's vetted notify scripts.
    pub fn new(scripts: HashMap<String, InstanceNotify>) -> Notifier {
        let (tx, rx) = mpsc::channel::<Job>();
        let _ = std::thread::Builder::new()
            .name("notify".into())
            .spawn(move || {
                for job in rx {
                    run_once(&job.argv, NOTIFY_TIMEOUT, job.run_as, Leftovers::Keep);
                }
            });
        Notifier {
            scripts,
            group_scripts: HashMap::new(),
            priorities: HashMap::new(),
            fifos: Vec::new(),
            tx,
        }
    }

    /// Replaces the scripts after a reload. The worker and its queue stay: scripts for
    /// transitions before the reload still run first, in order.
    pub fn set_scripts(&mut self, scripts: HashMap<String, InstanceNotify>) {
        self.scripts = scripts;
        let fifos = !self.fifos.is_empty();
        let scripts = &self.scripts;
        self.priorities
            .retain(|name, _| fifos || scripts.contains_key(name));
    }

    /// Replaces the sync groups' notify scripts (at start and after a reload).
    pub fn set_group_scripts(&mut self, scripts: HashMap<String, InstanceNotify>) {
        self.group_scripts = scripts;
    }

    /// Replaces the notification FIFOs (at start and after a reload).
    pub fn set_fifos(&mut self, fifos: Vec<NotifyFifo>) {
        self.fifos = fifos;
    }

    /// Whether `instance`'s effective priority is needed: it has notify scripts, or
    /// transitions go to a FIFO.
    pub fn wants_priority(&self, instance: &str) -> bool {
        !self.fifos.is_empty() || self.scripts.contains_key(instance)
    }

    /// Records `instance`'s effective priority, passed to its next `notify` script.
    pub fn set_priority(&mut self, instance: &str, priority: u8) {
        if let Some(p) = self.priorities.get_mut(instance) {
            *p = priority;
        } else if self.wants_priority(instance) {
            self.priorities.insert(instance.to_owned(), priority);
        }
    }

    /// Queues the scripts for `instance` entering `state`.
    ///
    /// As keepalived: the state-specific script runs as written; `notify` gets
    /// `INSTANCE <name> <MASTER|BACKUP|FAULT|STOP> <priority>` appended, with the
    /// effective priority last given to [`Notifier::set_priority`].
    pub fn state_changed(&self, instance: &str, state: State) {
        let priority = self.priorities.get(instance).copied().unwrap_or(0);
        self.notify(Subject::Instance, instance, state, priority);
    }

    /// Queues the scripts for sync group `group` entering `state`: as for an instance,
    /// with `GROUP <name> <state> 0` for `notify` and the FIFO (keepalived's words).
    pub fn group_changed(&self, group: &str, state: State) {
        self.notify(Subject::Group, group, state, 0);
    }

    fn notify(&self, subject: Subject, name: &str, state: State, priority: u8) {
        // The FIFO first: it is written at once, in the order of the transitions; the
        // scripts run after, in the same order, on the worker.
        for fifo in &self.fifos {
            fifo.write(subject, name, state, priority);
        }
        let scripts = match subject {
            Subject::Instance => &self.scripts,
            Subject::Group => &self.group_scripts,
        };
        let Some(scripts) = scripts.get(name) else {
            return;
        };
        let (specific, word) = match state {
            State::Master => (&scripts.master, "MASTER"),
            State::Backup => (&scripts.backup, "BACKUP"),
            State::Fault => (&scripts.fault, "FAULT"),
            State::Initialize => (&scripts.stop, "STOP"),
        };
        if let Some(s) = specific {
            let _ = self.tx.send(Job {
                argv: s.argv.clone(),
                run_as: s.run_as,
            });
        }
        if let Some(s) = &scripts.any {
            let mut argv = s.argv.clone();
            argv.extend([
                subject.word().to_owned(),
                name.to_owned(),
                word.to_owned(),
                priority.to_string(),
            ]);
            let _ = self.tx.send(Job {
                argv,
                run_as: s.run_as,
            });
        }
    }
}

/// What a notification is about: keepalived's first word of a `notify` script's
/// arguments and of a FIFO line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A `vrrp_instance`.
    Instance,
    /// A `vrrp_sync_group`.
    Group,
}

impl Subject {
    /// `INSTANCE` or `GROUP`.
    pub const fn word(self) -> &'static str {
        match self {
            Subject::Instance => "INSTANCE",
            Subject::Group => "GROUP",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Command, NotifyScript};
    use std::time::Instant;

    fn script(argv: &[&str]) -> Option<NotifyScript> {
        Some(NotifyScript {
            command: Command {
                line: argv.join(" "),
                argv: argv.iter().map(|s| s.to_string()).collect(),
            },
            user: None,
        })
    }

    #[test]
    fn notify_gets_keepalived_arguments_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let record = dir.path().join("record.sh");
        std::fs::write(
            &record,
            format!("#!/bin/sh\necho \"$@\" >> {}\n", log.display()),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&record, std::fs::Permissions::from_mode(0o755)).unwrap();
        let r = record.to_str().unwrap();
        let notify = Notify {
            master: script(&[r, "became-master"]),
            backup: None,
            fault: script(&[r, "fault"]),
            stop: None,
            any: script(&[r]),
        };
        let (vetted, refused, _) = InstanceNotify::vet(&notify, None, false);
        assert!(refused.is_empty(), "{refused:?}");
        let mut n = Notifier::new(HashMap::from([("VI_1".to_owned(), vetted.clone())]));
        n.set_priority("VI_1", 101);
        n.set_priority("OTHER", 1);
        n.state_changed("VI_1", State::Master);
        n.set_priority("VI_1", 100);
        n.state_changed("VI_1", State::Backup);
        n.state_changed("OTHER", State::Master);
        // A reload keeps the worker, the order and the priority of an instance it keeps.
        n.set_scripts(HashMap::from([("VI_1".to_owned(), vetted)]));
        n.state_changed("VI_1", State::Fault);
        let expected = "became-master\nINSTANCE VI_1 MASTER 101\nINSTANCE VI_1 BACKUP 100\nfault\nINSTANCE VI_1 FAULT 100\n";
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut got = String::new();
        while Instant::now() < deadline {
            got = std::fs::read_to_string(&log).unwrap_or_default();
            if got.len() >= expected.len() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(got, expected);
    }
}
