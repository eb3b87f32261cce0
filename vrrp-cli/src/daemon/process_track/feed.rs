//! Where the process tracker's reports go: the event loop's routers that track each
//! `vrrp_track_process`. The tracker starts before the event loop (the routers start with
//! the states it found), so reports that come before the loop exists wait here.

use vrrp_io::Handle;

use crate::daemon::spec::ScriptTrack;

/// The routers tracking processes, once they run.
#[derive(Default)]
pub struct ProcessFeed {
    handle: Option<Handle>,
    tracks: Vec<ScriptTrack>,
    pending: Vec<(String, bool)>,
}

impl ProcessFeed {
    /// Tells every router tracking `name` that it is up or down (or keeps it for
    /// [`ProcessFeed::attach`]).
    pub fn report(&mut self, name: &str, up: bool) {
        let Some(handle) = &self.handle else {
            self.pending.push((name.to_owned(), up));
            return;
        };
        for t in self.tracks.iter().filter(|t| t.script == name) {
            handle.set_track(&t.instance, t.id, up != t.reverse);
        }
    }

    /// The routers now running and what they track (at start, and after each reload);
    /// reports that waited are delivered.
    pub fn attach(&mut self, handle: Handle, tracks: Vec<ScriptTrack>) {
        self.handle = Some(handle);
        self.tracks = tracks;
        for (name, up) in std::mem::take(&mut self.pending) {
            self.report(&name, up);
        }
    }
}
