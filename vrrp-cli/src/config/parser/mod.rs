//! From the statement tree to a typed [`Config`](crate::config::Config), with diagnostics.
//!
//! This module holds the [`Parser`], the top-level dispatch and the helpers every block
//! shares (diagnostics, unknown and skipped directives, block shapes). The rest has a
//! module each:
//! - the values of directives (numbers, durations, addresses, users, ...) in [`values`];
//! - `global_defs` in [`global`], `vrrp_script` in [`script`], `vrrp_sync_group` in
//!   [`sync_group`];
//! - `vrrp_instance` in [`instance`], into a raw instance as written, with its blocks
//!   and notify scripts in [`instance_blocks`];
//! - raw instances into [`VrrpInstance`](crate::config::VrrpInstance)s (defaults and
//!   cross-checks) in [`resolve`].

mod file;
mod garp_group;
mod global;
mod instance;
mod instance_blocks;
mod process;
mod resolve;
mod routes;
mod script;
mod statics;
mod strict;
mod sync_group;
mod values;
mod vmac;

use std::collections::HashMap;

use super::diag::{Pos, Severity, Sink};
use super::keywords::{self, Class};
use super::model::{GarpGroup, GlobalDefs, TrackFile, TrackProcess, VrrpScript};
use super::suggest::nearest;
use super::tree::{Block, Stmt, Word};
use instance::RawInstance;

/// Parses the statement tree one top-level statement at a time, so that the tree of the
/// whole file never has to exist at once: `new`, `top` for each statement, `finish`.
pub(crate) struct Parser<'s> {
    sink: &'s mut Sink,
    global: GlobalDefs,
    global_pos: Option<Pos>,
    scripts: Vec<VrrpScript>,
    track_processes: Vec<TrackProcess>,
    track_files: Vec<TrackFile>,
    instances: Vec<RawInstance>,
    sync_groups: Vec<sync_group::RawSyncGroup>,
    garp_groups: Vec<GarpGroup>,
    statics: statics::RawStatics,
}

impl<'s> Parser<'s> {
    pub(crate) fn new(sink: &'s mut Sink) -> Self {
        Parser {
            sink,
            global: GlobalDefs::default(),
            global_pos: None,
            scripts: Vec::new(),
            track_processes: Vec::new(),
            track_files: Vec::new(),
            instances: Vec::new(),
            sync_groups: Vec::new(),
            garp_groups: Vec::new(),
            statics: statics::RawStatics::default(),
        }
    }

    /// The sink, for whoever builds the next statement.
    pub(crate) fn sink(&mut self) -> &mut Sink {
        self.sink
    }
}

/// Which directives of a block were seen, to warn about repeated ones.
#[derive(Default)]
struct Seen(HashMap<String, Pos>);

impl Seen {
    fn check(&mut self, sink: &mut Sink, kw: &Word) {
        if let Some(first) = self.0.insert(kw.text.clone(), kw.pos.clone()) {
            sink.warn(
                &kw.pos,
                format!(
                    "`{}` is given again (first at line {}); this later value is used, as keepalived does",
                    kw.text, first.line
                ),
                "remove one of the two lines",
            );
        }
    }
}

/// keepalived's conditional-configuration and parameter syntax, which we do not support.
fn unsupported_syntax(word: &str) -> Option<(&'static str, &'static str)> {
    if word.starts_with('@') {
        Some((
            "keepalived's conditional configuration (`@HOST` prefixes) is not supported",
            "write the lines for this host without the `@` prefix",
        ))
    } else if word.starts_with('$') {
        Some((
            "keepalived's parameter definitions and substitutions (`$NAME`) are not supported",
            "write the values out",
        ))
    } else if word.starts_with('~') {
        Some((
            "keepalived's `~SEQ(...)` sequences are not supported",
            "write the lines out",
        ))
    } else {
        None
    }
}

impl Parser<'_> {
    fn error(&mut self, pos: &Pos, message: impl Into<String>, hint: impl Into<String>) {
        self.sink.error(pos, message, hint);
    }

    fn warn(&mut self, pos: &Pos, message: impl Into<String>, hint: impl Into<String>) {
        self.sink.warn(pos, message, hint);
    }

    /// An unknown directive in `context`, with the nearest known word.
    fn unknown(&mut self, kw: &Word, context: &str, known: &[&[&str]]) {
        if let Some((message, hint)) = unsupported_syntax(&kw.text) {
            self.error(&kw.pos, message, hint);
            return;
        }
        if !self.sink.keeps(Severity::Error) {
            // Only counted: spare the suggestion's cost (a file of a million bad lines).
            self.error(&kw.pos, "unknown directive", "");
            return;
        }
        let candidates = known.iter().flat_map(|list| list.iter().copied());
        let hint = match nearest(&kw.text, candidates) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("remove it, or check the spelling against the directives of {context} in keepalived.conf(5)"),
        };
        self.error(
            &kw.pos,
            format!("unknown directive `{}` in {context}", kw.text),
            hint,
        );
    }

    /// A directive that must not have a block.
    fn no_block(&mut self, st: &Stmt) {
        if let Some(block) = &st.block {
            self.error(
                &block.open,
                format!("`{}` does not take a `{{ ... }}` block", st.keyword().text),
                "remove the block, or put its contents on the directive's line",
            );
        }
    }

    /// A block-only directive's block, or an error.
    fn block<'a>(&mut self, st: &'a Stmt, example: &str) -> Option<&'a Block> {
        self.block_after(st, 0, example)
    }

    /// A block-only directive's block after `names` words (a block's name), or an error.
    fn block_after<'a>(&mut self, st: &'a Stmt, names: usize, example: &str) -> Option<&'a Block> {
        match &st.block {
            Some(b) => {
                if let Some(extra) = st.args().get(names) {
                    self.warn(
                        &extra.pos,
                        format!("`{}` before the block is ignored", extra.text),
                        format!("write e.g. `{example}`"),
                    );
                }
                Some(b)
            }
            None => {
                let kw = st.keyword();
                self.error(
                    &kw.pos,
                    format!("`{}` needs a `{{ ... }}` block", kw.text),
                    format!("write e.g. `{example}`"),
                );
                None
            }
        }
    }

    /// A directive that keepalived knows but we skip.
    fn skipped(&mut self, kw: &Word, class: Class, context: &str) {
        match class {
            Class::Supported => {}
            Class::NotVrrp => self.warn(
                &kw.pos,
                format!("`{}` skipped: not VRRP", kw.text),
                "vrrp implements only keepalived's VRRP part; this line can stay for keepalived",
            ),
            Class::Unsupported => self.warn(
                &kw.pos,
                format!("`{}` in {context} is not supported yet; skipped", kw.text),
                "remove it, or check that vrrp behaves as you need without it",
            ),
        }
    }

    /// One top-level statement.
    pub(crate) fn top(&mut self, st: &Stmt) {
        let kw = st.keyword();
        match kw.text.as_str() {
            "global_defs" => self.global_defs(st),
            "vrrp_script" => self.vrrp_script(st),
            "vrrp_track_process" => self.vrrp_track_process(st),
            "track_file" | "vrrp_track_file" => self.track_file(st),
            "vrrp_instance" => self.vrrp_instance(st),
            "vrrp_sync_group" => self.sync_group(st),
            "garp_group" => self.garp_group(st),
            "static_ipaddress" => self.static_addresses(st),
            "static_routes" => self.static_routes(st),
            "static_rules" => self.static_rules(st),
            "track_group" => self.track_group(st),
            word if keywords::TOP_NOT_VRRP.contains(&word) => {
                self.skipped(kw, Class::NotVrrp, "the top level")
            }
            word if keywords::TOP_UNSUPPORTED.contains(&word) => {
                self.skipped(kw, Class::Unsupported, "the top level")
            }
            _ => self.unknown(
                kw,
                "the top level",
                &[
                    keywords::TOP_SUPPORTED,
                    keywords::TOP_NOT_VRRP,
                    keywords::TOP_UNSUPPORTED,
                ],
            ),
        }
    }

    /// The name after `vrrp_instance` / `vrrp_script` / `vrrp_sync_group`.
    fn block_name(&mut self, st: &Stmt) -> Option<String> {
        let kw = st.keyword();
        match st.args() {
            [] => {
                self.error(
                    &kw.pos,
                    format!("`{}` needs a name", kw.text),
                    format!("write e.g. `{} VI_1 {{`", kw.text),
                );
                None
            }
            [name, ..] => Some(name.text.clone()),
        }
    }
}
