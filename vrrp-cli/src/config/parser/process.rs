//! `vrrp_track_process`: processes that instances track, as keepalived 2.2.7 reads them.

use std::time::Duration;

use super::{Parser, Seen};
use crate::config::keywords;
use crate::config::model::TrackProcess;
use crate::config::tree::Stmt;
use crate::daemon::process_track::{ParamMatch, ProcessSpec};

impl Parser<'_> {
    /// A `vrrp_track_process NAME { ... }` block.
    pub(super) fn vrrp_track_process(&mut self, st: &Stmt) {
        let kw = st.keyword();
        let Some(name) = self.block_name(st) else {
            return;
        };
        let Some(block) = self.block_after(st, 1, "vrrp_track_process nginx { process nginx }")
        else {
            return;
        };
        if let Some(prev) = self.track_processes.iter().find(|p| p.name == name) {
            let line = prev.location.line;
            self.error(
                &kw.pos,
                format!("vrrp_track_process `{name}` is defined twice (first at line {line})"),
                "give each vrrp_track_process its own name",
            );
            return;
        }
        let mut p = TrackProcess {
            name: name.clone(),
            spec: ProcessSpec::new(&name, ""),
            weight: 0,
            weight_reverse: false,
            location: kw.pos.location(),
        };
        let mut seen = Seen::default();
        for inner in &block.stmts {
            self.process_stmt(&mut p, &mut seen, inner);
        }
        if p.spec.process.is_empty() {
            if !seen.0.contains_key("process") {
                self.error(
                    &kw.pos,
                    format!("vrrp_track_process `{name}` has no `process`"),
                    "add e.g. `process nginx`",
                );
            }
            return;
        }
        if p.spec.quorum > p.spec.quorum_max {
            self.error(
                &kw.pos,
                format!(
                    "vrrp_track_process `{name}`: quorum {} is above quorum_max {}",
                    p.spec.quorum, p.spec.quorum_max
                ),
                "quorum is the fewest processes for success, quorum_max the most",
            );
            return;
        }
        self.track_processes.push(p);
    }

    /// One line of a `vrrp_track_process` block.
    fn process_stmt(&mut self, p: &mut TrackProcess, seen: &mut Seen, inner: &Stmt) {
        let ikw = inner.keyword();
        let delay = |parser: &mut Self| parser.duration(inner, 3_600, "fork_delay 0.5");
        match ikw.text.as_str() {
            "process" => {
                seen.check(self.sink, ikw);
                self.no_block(inner);
                match inner.args().split_first() {
                    Some((first, params)) if !first.text.is_empty() => {
                        p.spec.process = first.text.clone();
                        p.spec.params = params.iter().map(|w| w.text.clone()).collect();
                    }
                    _ => self.error(
                        &ikw.pos,
                        "`process` needs the process name (and optionally its parameters)",
                        "write e.g. `process nginx` or `process /usr/sbin/haproxy -f /etc/haproxy`",
                    ),
                }
            }
            "param_match" => {
                seen.check(self.sink, ikw);
                let Some(word) = self.one_arg(inner, "initial or partial", "param_match partial")
                else {
                    return;
                };
                p.spec.param_match = match word.text.as_str() {
                    "initial" => Some(ParamMatch::Initial),
                    "partial" => Some(ParamMatch::Partial),
                    "exact" => Some(ParamMatch::Exact),
                    other => {
                        self.error(
                            &word.pos,
                            format!("param_match must be initial or partial, got `{other}`"),
                            "write `param_match partial` (the first parameters match) or `param_match initial` (the last may be longer)",
                        );
                        return;
                    }
                };
            }
            "weight" => {
                seen.check(self.sink, ikw);
                self.no_block(inner);
                if let Some((w, reverse)) = self.weight(inner, inner.args()) {
                    p.weight = w;
                    p.weight_reverse = reverse;
                }
            }
            "quorum" | "quorum_max" => {
                seen.check(self.sink, ikw);
                let example = format!("{} 1", ikw.text);
                if let Some(n) = self.number(
                    inner,
                    0,
                    i64::from(u32::MAX),
                    &example,
                    "a number of processes",
                ) {
                    if ikw.text == "quorum" {
                        p.spec.quorum = n as u32;
                    } else {
                        p.spec.quorum_max = n as u32;
                    }
                }
            }
            "fork_delay" => {
                seen.check(self.sink, ikw);
                if let Some(d) = delay(self) {
                    p.spec.fork_delay = d;
                }
            }
            "terminate_delay" => {
                seen.check(self.sink, ikw);
                if let Some(d) = delay(self) {
                    p.spec.terminate_delay = d;
                }
            }
            "delay" => {
                seen.check(self.sink, ikw);
                if let Some(d) = delay(self) {
                    set_both(&mut p.spec, d);
                }
            }
            "full_command" => {
                seen.check(self.sink, ikw);
                p.spec.full_command = self.flag(inner);
            }
            _ => self.unknown(ikw, "vrrp_track_process", &[keywords::PROCESS_SUPPORTED]),
        }
    }
}

/// `delay`: both `fork_delay` and `terminate_delay`.
fn set_both(spec: &mut ProcessSpec, d: Duration) {
    spec.fork_delay = d;
    spec.terminate_delay = d;
}
