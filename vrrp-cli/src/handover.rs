//! `vrrp handover` and `vrrp resume`: ask the daemon to hand masters over to their best
//! backups without losing a packet (and keep them demoted), or to end the demotion.
//! `handover` then waits until each handover is done and says where each instance ended.

use std::io::{self, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::daemon::status::{self, ControlVerb, RouterReport};

/// How often `vrrp handover` looks whether its handovers are done.
const POLL: Duration = Duration::from_millis(100);

/// Sends `verb` for `names` (all instances when empty) to the daemon at `socket`, prints
/// one line per instance and returns the exit status: 0 when every instance did what
/// was asked, 1 otherwise. `wait` bounds how long `handover` waits for the successors.
pub fn run(
    socket: &Path,
    verb: ControlVerb,
    names: &[String],
    wait: Duration,
    out: &mut dyn Write,
) -> io::Result<u8> {
    let results = match status::control(socket, verb, names) {
        Ok(r) => r,
        Err(e) => {
            writeln!(out, "vrrp: error: {e}")?;
            return Ok(1);
        }
    };
    let mut failed = false;
    let mut handing_over = Vec::new();
    for r in &results {
        match (&r.outcome, &r.error) {
            (_, Some(error)) => {
                failed = true;
                writeln!(out, "{}: {error}", r.name)?;
            }
            (Some(outcome), None) => {
                writeln!(out, "{}: {outcome}", r.name)?;
                if outcome == "handing over" {
                    handing_over.push(r.name.clone());
                }
            }
            (None, None) => writeln!(out, "{}: done", r.name)?,
        }
    }
    if verb == ControlVerb::HandOver && !handing_over.is_empty() {
        failed |= !wait_for_successors(socket, &handing_over, wait, out)?;
    }
    Ok(u8::from(failed))
}

/// Waits until none of `names` is handing over any more, then says where each ended.
/// False if one is still master (no backup took over) or the wait ran out.
fn wait_for_successors(
    socket: &Path,
    names: &[String],
    wait: Duration,
    out: &mut dyn Write,
) -> io::Result<bool> {
    let deadline = Instant::now() + wait;
    let ours = |routers: Vec<RouterReport>| -> Vec<RouterReport> {
        routers
            .into_iter()
            .filter(|r| names.contains(&r.name))
            .collect()
    };
    loop {
        let routers = match status::query(socket) {
            Ok(r) => ours(r),
            Err(e) => {
                writeln!(out, "vrrp: error: {e}")?;
                return Ok(false);
            }
        };
        let pending = routers.iter().any(|r| r.handing_over);
        if !pending || Instant::now() >= deadline {
            let mut all_done = true;
            for r in &routers {
                let done = r.state != "master" && !r.handing_over;
                all_done &= done;
                let master = r
                    .master
                    .map(|m| format!(", master {m}"))
                    .unwrap_or_default();
                let note = if r.handing_over {
                    " — still handing over: no backup has taken over yet".to_owned()
                } else if r.state == "master" {
                    " — no backup took over; still master, demoted".to_owned()
                } else {
                    " (demoted until `vrrp resume`)".to_owned()
                };
                writeln!(out, "{}: {}{master}{note}", r.name, r.state.to_uppercase())?;
            }
            return Ok(all_done);
        }
        std::thread::sleep(POLL);
    }
}
