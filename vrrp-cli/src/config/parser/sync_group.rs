//! `vrrp_sync_group`: read and kept, but not run yet (its instances run independently).

use super::Parser;
use crate::config::keywords;
use crate::config::model::SyncGroup;
use crate::config::tree::Stmt;

impl Parser<'_> {
    /// A `vrrp_sync_group NAME { group { ... } }` block, with a warning that it is not
    /// supported yet.
    pub(super) fn sync_group(&mut self, st: &Stmt) {
        let kw = st.keyword();
        let Some(name) = self.block_name(st) else {
            return;
        };
        let Some(block) = self.block_after(st, 1, "vrrp_sync_group VG_1 { group { VI_1 VI_2 } }")
        else {
            return;
        };
        let mut members = Vec::new();
        for inner in &block.stmts {
            let ikw = inner.keyword();
            match ikw.text.as_str() {
                "group" => {
                    if let Some(b) = &inner.block {
                        for m in &b.stmts {
                            members.extend(m.words.iter().map(|w| w.text.clone()));
                        }
                    } else {
                        members.extend(inner.args().iter().map(|w| w.text.clone()));
                    }
                }
                word if keywords::SYNC_GROUP_KNOWN.contains(&word) => {}
                _ => self.unknown(ikw, "vrrp_sync_group", &[keywords::SYNC_GROUP_KNOWN]),
            }
        }
        self.warn(
            &kw.pos,
            format!("vrrp_sync_group `{name}` is not supported yet; its instances run independently"),
            "the instances of a sync group can change state one by one; keep them on one link with the same priorities to stay together",
        );
        self.sync_groups.push(SyncGroup {
            name,
            members,
            location: kw.pos.location(),
        });
    }
}
