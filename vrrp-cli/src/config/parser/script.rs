//! `vrrp_script`: the health checks that instances track.

use std::time::Duration;

use super::{Parser, Seen};
use crate::config::keywords::{self, Class};
use crate::config::model::{Command, VrrpScript};
use crate::config::tree::Stmt;

impl Parser<'_> {
    /// A `vrrp_script NAME { ... }` block.
    pub(super) fn vrrp_script(&mut self, st: &Stmt) {
        let kw = st.keyword();
        let Some(name) = self.block_name(st) else {
            return;
        };
        let Some(block) =
            self.block_after(st, 1, "vrrp_script chk { script \"/usr/local/bin/chk\" }")
        else {
            return;
        };
        if let Some(prev) = self.scripts.iter().find(|s| s.name == name) {
            let line = prev.location.line;
            self.error(
                &kw.pos,
                format!("vrrp_script `{name}` is defined twice (first at line {line})"),
                "give each vrrp_script its own name",
            );
            return;
        }
        let mut script: Option<Command> = None;
        let mut s = VrrpScript {
            name: name.clone(),
            script: Command {
                line: String::new(),
                argv: Vec::new(),
            },
            interval: Duration::from_secs(1),
            timeout: None,
            weight: 0,
            weight_reverse: false,
            rise: 1,
            fall: 1,
            user: None,
            location: kw.pos.location(),
        };
        let mut seen = Seen::default();
        for inner in &block.stmts {
            self.script_stmt(&mut s, &mut script, &mut seen, inner);
        }
        match script {
            Some(c) => s.script = c,
            None => {
                if !seen.0.contains_key("script") {
                    self.error(
                        &kw.pos,
                        format!("vrrp_script `{name}` has no `script`"),
                        "add e.g. `script \"/etc/keepalived/check_nginx.sh\"`",
                    );
                }
                return;
            }
        }
        self.scripts.push(s);
    }

    /// One line of a `vrrp_script` block, into `s` (the command into `script`).
    fn script_stmt(
        &mut self,
        s: &mut VrrpScript,
        script: &mut Option<Command>,
        seen: &mut Seen,
        inner: &Stmt,
    ) {
        let ikw = inner.keyword();
        match ikw.text.as_str() {
            "script" => {
                seen.check(self.sink, ikw);
                self.no_block(inner);
                if inner.args().is_empty() {
                    self.error(
                        &ikw.pos,
                        "`script` needs the command to run",
                        "write e.g. `script \"/etc/keepalived/check_nginx.sh\"`",
                    );
                } else {
                    *script = self.command(inner.args());
                }
            }
            "interval" => {
                seen.check(self.sink, ikw);
                if let Some(d) = self.duration(inner, 86_400, "interval 2") {
                    if d.is_zero() {
                        self.error(
                            &ikw.pos,
                            "interval must be more than 0 seconds, got 0",
                            "write e.g. `interval 2`",
                        );
                    } else {
                        s.interval = d;
                    }
                }
            }
            "timeout" => {
                seen.check(self.sink, ikw);
                if let Some(d) = self.duration(inner, 86_400, "timeout 5") {
                    s.timeout = (!d.is_zero()).then_some(d);
                }
            }
            "weight" => {
                seen.check(self.sink, ikw);
                self.no_block(inner);
                if let Some((w, reverse)) = self.weight(inner, inner.args()) {
                    s.weight = w;
                    s.weight_reverse = reverse;
                }
            }
            "rise" | "fall" => {
                seen.check(self.sink, ikw);
                let example = format!("{} 2", ikw.text);
                if let Some(n) = self.number(
                    inner,
                    1,
                    i64::from(u32::MAX),
                    &example,
                    "the number of results in a row that change the script's state",
                ) {
                    if ikw.text == "rise" {
                        s.rise = n as u32;
                    } else {
                        s.fall = n as u32;
                    }
                }
            }
            "user" => {
                seen.check(self.sink, ikw);
                self.no_block(inner);
                s.user = self.user(inner, inner.args());
            }
            word if keywords::SCRIPT_UNSUPPORTED.contains(&word) => {
                self.skipped(ikw, Class::Unsupported, "vrrp_script")
            }
            _ => self.unknown(
                ikw,
                "vrrp_script",
                &[keywords::SCRIPT_SUPPORTED, keywords::SCRIPT_UNSUPPORTED],
            ),
        }
    }
}
