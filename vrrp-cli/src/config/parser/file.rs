//! `track_file` (`vrrp_track_file`): files holding a number that instances track.

use super::{Parser, Seen};
use crate::config::keywords;
use crate::config::model::TrackFile;
use crate::config::tree::Stmt;
use crate::config::value;

impl Parser<'_> {
    /// A `track_file NAME { ... }` block.
    pub(super) fn track_file(&mut self, st: &Stmt) {
        let kw = st.keyword();
        let Some(name) = self.block_name(st) else {
            return;
        };
        let Some(block) = self.block_after(st, 1, "track_file state { file /run/state }") else {
            return;
        };
        if let Some(prev) = self.track_files.iter().find(|f| f.name == name) {
            let line = prev.location.line;
            self.error(
                &kw.pos,
                format!("track_file `{name}` is defined twice (first at line {line})"),
                "give each track_file its own name",
            );
            return;
        }
        let mut f = TrackFile {
            name: name.clone(),
            file: Default::default(),
            weight: 1,
            weight_reverse: false,
            init: None,
            location: kw.pos.location(),
        };
        let mut seen = Seen::default();
        for inner in &block.stmts {
            let ikw = inner.keyword();
            match ikw.text.as_str() {
                "file" => {
                    seen.check(self.sink, ikw);
                    if let Some(w) = self.one_arg(inner, "the file's path", "file /run/vrrp/state")
                    {
                        f.file = w.text.clone().into();
                    }
                }
                "weight" => {
                    seen.check(self.sink, ikw);
                    self.no_block(inner);
                    if let Some((w, reverse)) = self.weight(inner, inner.args()) {
                        f.weight = w;
                        f.weight_reverse = reverse;
                    }
                }
                "init_file" => {
                    seen.check(self.sink, ikw);
                    self.no_block(inner);
                    let mut value = 0;
                    let mut overwrite = false;
                    for w in inner.args() {
                        match (w.text.as_str(), value::int(&w.text)) {
                            ("overwrite", _) => overwrite = true,
                            (_, Some(n)) => value = n,
                            _ => self.error(
                                &w.pos,
                                format!(
                                    "init_file takes a number and `overwrite`, got `{}`",
                                    w.text
                                ),
                                "write e.g. `init_file 0 overwrite`",
                            ),
                        }
                    }
                    f.init = Some((value, overwrite));
                }
                _ => self.unknown(ikw, "track_file", &[keywords::FILE_SUPPORTED]),
            }
        }
        if f.file.as_os_str().is_empty() {
            if !seen.0.contains_key("file") {
                self.error(
                    &kw.pos,
                    format!("track_file `{name}` has no `file`"),
                    "add e.g. `file /run/vrrp/state`",
                );
            }
            return;
        }
        self.track_files.push(f);
    }
}
