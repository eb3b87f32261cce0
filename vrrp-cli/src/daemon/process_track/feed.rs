//! Where the process and file trackers' reports go: the event loop's routers that track
//! each `vrrp_track_process` or `track_file`. The trackers start before the event loop
//! (the routers start with the states they found), so reports that come before the loop
//! exists wait here.

use vrrp_io::Handle;

use crate::daemon::spec::ScriptTrack;

/// One report.
#[derive(Debug, Clone)]
enum Report {
    /// A process block is up or down.
    Process(String, bool),
    /// A file holds a number.
    File(String, i64),
}

/// The routers tracking processes and files, once they run.
#[derive(Default)]
pub struct ProcessFeed {
    handle: Option<Handle>,
    processes: Vec<ScriptTrack>,
    files: Vec<ScriptTrack>,
    pending: Vec<Report>,
}

impl ProcessFeed {
    /// Tells every router tracking process block `name` that it is up or down (or keeps
    /// it for [`ProcessFeed::attach`]).
    pub fn report(&mut self, name: &str, up: bool) {
        self.deliver(Report::Process(name.to_owned(), up));
    }

    /// Tells every router tracking file `name` the number it holds.
    pub fn report_value(&mut self, name: &str, value: i64) {
        self.deliver(Report::File(name.to_owned(), value));
    }

    fn deliver(&mut self, report: Report) {
        let Some(handle) = &self.handle else {
            self.pending.push(report);
            return;
        };
        match &report {
            Report::Process(name, up) => {
                for t in self.processes.iter().filter(|t| t.script == *name) {
                    handle.set_track(&t.instance, t.id, *up != t.reverse);
                }
            }
            Report::File(name, value) => {
                // `reverse` is in the track's weight already (negated).
                for t in self.files.iter().filter(|t| t.script == *name) {
                    handle.set_track_value(&t.instance, t.id, *value);
                }
            }
        }
    }

    /// The routers now running and what they track (at start, and after each reload);
    /// reports that waited are delivered.
    pub fn attach(&mut self, handle: Handle, processes: Vec<ScriptTrack>, files: Vec<ScriptTrack>) {
        self.handle = Some(handle);
        self.processes = processes;
        self.files = files;
        for report in std::mem::take(&mut self.pending) {
            self.deliver(report);
        }
    }
}
