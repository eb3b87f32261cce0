//! `vrrp_sync_group`: instances that change state together.
//!
//! Read as keepalived reads it: `group { VI_1 VI_2 }`, the group's notify scripts, and
//! tracked objects at group level (`track_script`, `track_process`, `track_file`,
//! `track_interface`) that apply to every member. Unless `sync_group_tracking_weight` is
//! set, a member's tracked objects count with weight 0 (any failure is a Fault), because
//! members whose priorities drift apart would split the group across hosts; keepalived
//! forces the same and warns, as we do.

use super::Parser;
use crate::config::diag::Pos;
use crate::config::keywords;
use crate::config::model::{Notify, SyncGroup, TrackScript, VrrpInstance};
use crate::config::tree::Stmt;

/// A parsed group with the positions of its member names, for the checks against the
/// instances at the end.
pub(super) struct RawSyncGroup {
    pub group: SyncGroup,
    pub members: Vec<Pos>,
    pub pos: Pos,
}

impl Parser<'_> {
    /// A `vrrp_sync_group NAME { ... }` block.
    pub(super) fn sync_group(&mut self, st: &Stmt) {
        let kw = st.keyword();
        let Some(name) = self.block_name(st) else {
            return;
        };
        let Some(block) = self.block_after(st, 1, "vrrp_sync_group VG_1 { group { VI_1 VI_2 } }")
        else {
            return;
        };
        let mut group = SyncGroup {
            name,
            members: Vec::new(),
            notify: Notify::default(),
            track_scripts: Vec::new(),
            track_processes: Vec::new(),
            track_files: Vec::new(),
            track_interfaces: Vec::new(),
            tracking_weight: false,
            location: kw.pos.location(),
        };
        let mut member_pos = Vec::new();
        let (mut scripts, mut processes, mut files) = (Vec::new(), Vec::new(), Vec::new());
        for inner in &block.stmts {
            let ikw = inner.keyword();
            match ikw.text.as_str() {
                "group" => {
                    let words: Vec<_> = match &inner.block {
                        Some(b) => b.stmts.iter().flat_map(|m| m.words.iter()).collect(),
                        None => inner.args().iter().collect(),
                    };
                    for w in words {
                        if group.members.contains(&w.text) {
                            self.warn(
                                &w.pos,
                                format!("`{}` is listed twice in the group", w.text),
                                "list each instance once",
                            );
                            continue;
                        }
                        group.members.push(w.text.clone());
                        member_pos.push(w.pos.clone());
                    }
                }
                "notify_master" | "notify_backup" | "notify_fault" | "notify_stop" | "notify" => {
                    self.notify_into(&mut group.notify, inner)
                }
                "track_script" => {
                    let t = self.tracked_names(inner, "track_script { check_http }");
                    group.track_scripts.extend(t.iter().map(|(t, _)| t.clone()));
                    scripts.extend(t);
                }
                "track_process" => {
                    let t = self.tracked_names(inner, "track_process { nginx }");
                    group
                        .track_processes
                        .extend(t.iter().map(|(t, _)| t.clone()));
                    processes.extend(t);
                }
                "track_file" => {
                    let t = self.tracked_names(inner, "track_file { state_file }");
                    group.track_files.extend(t.iter().map(|(t, _)| t.clone()));
                    files.extend(t);
                }
                "track_interface" => {
                    let lines = self.track_interface_lines(inner);
                    group.track_interfaces.extend(lines);
                }
                "sync_group_tracking_weight" => {
                    self.no_block(inner);
                    group.tracking_weight = true;
                }
                "global_tracking" => {
                    self.no_block(inner);
                    group.tracking_weight = true;
                    self.warn(
                        &ikw.pos,
                        "`global_tracking` is deprecated (as in keepalived): read as `sync_group_tracking_weight`",
                        "write `sync_group_tracking_weight`, or put the tracked objects on the group",
                    );
                }
                "smtp_alert" => self.warn(
                    &ikw.pos,
                    "`smtp_alert` skipped: not VRRP (vrrp sends no e-mail)",
                    "use the group's notify script to send alerts",
                ),
                word if keywords::SYNC_GROUP_KNOWN.contains(&word) => self.warn(
                    &ikw.pos,
                    format!("`{word}` in a vrrp_sync_group is not supported: skipped"),
                    "see docs/keepalived-migration.md for what a sync group supports",
                ),
                _ => self.unknown(ikw, "vrrp_sync_group", &[keywords::SYNC_GROUP_KNOWN]),
            }
        }
        self.check_track_scripts(&scripts);
        self.check_track_processes(&processes);
        self.check_track_files(&files);
        if group.members.is_empty() {
            self.error(
                &kw.pos,
                format!("vrrp_sync_group `{}` has no members", group.name),
                "list its instances: `group { VI_1 VI_2 }`",
            );
        }
        self.sync_groups.push(RawSyncGroup {
            group,
            members: member_pos,
            pos: kw.pos.clone(),
        });
    }

    /// Checks the groups against the instances and applies them to their members:
    /// members must exist and belong to one group only; the group's tracked objects are
    /// added to each member; without `sync_group_tracking_weight` every tracked object
    /// of a member counts with weight 0.
    pub(super) fn apply_sync_groups(
        &mut self,
        instances: &mut [(VrrpInstance, Pos)],
    ) -> Vec<SyncGroup> {
        let raws = std::mem::take(&mut self.sync_groups);
        let mut groups = Vec::new();
        let mut taken: Vec<(String, String)> = Vec::new();
        for raw in raws {
            let mut group = raw.group;
            let mut members = Vec::new();
            for (member, pos) in group.members.iter().zip(&raw.members) {
                let Some((inst, _)) = instances.iter_mut().find(|(i, _)| i.name == *member) else {
                    let names = instances.iter().map(|(i, _)| i.name.as_str());
                    let hint = match crate::config::suggest::nearest(member, names) {
                        Some(near) => format!("did you mean `{near}`?"),
                        None => "name a vrrp_instance defined in this file".to_owned(),
                    };
                    self.error(
                        pos,
                        format!(
                            "vrrp_sync_group `{}`: no vrrp_instance is called `{member}`",
                            group.name
                        ),
                        hint,
                    );
                    continue;
                };
                if let Some((_, other)) = taken.iter().find(|(m, _)| m == member) {
                    self.error(
                        pos,
                        format!(
                            "vrrp_instance `{member}` is already in vrrp_sync_group `{other}`; an instance can be in one group only"
                        ),
                        "remove it from one of the groups",
                    );
                    continue;
                }
                taken.push((member.clone(), group.name.clone()));
                self.apply_group_tracking(&group, inst, pos);
                members.push(member.clone());
            }
            if members.len() == 1 {
                self.warn(
                    &raw.pos,
                    format!(
                        "vrrp_sync_group `{}` has only one instance; a group of one changes nothing",
                        group.name
                    ),
                    "add the instances that must move with it, or remove the group",
                );
            }
            group.members = members;
            groups.push(group);
        }
        groups
    }

    /// The group's tracked objects join the member's; weights become 0 unless the group
    /// keeps them.
    fn apply_group_tracking(&mut self, group: &SyncGroup, inst: &mut VrrpInstance, pos: &Pos) {
        inst.track_scripts
            .extend(group.track_scripts.iter().cloned());
        inst.track_processes
            .extend(group.track_processes.iter().cloned());
        inst.track_files.extend(group.track_files.iter().cloned());
        inst.track_interfaces
            .extend(group.track_interfaces.iter().cloned());
        if group.tracking_weight {
            return;
        }
        let mut weighted: Vec<String> = Vec::new();
        let script_weight = |name: &str| {
            self.scripts
                .iter()
                .find(|s| s.name == name)
                .map(|s| s.weight)
        };
        let process_weight = |name: &str| {
            self.track_processes
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.weight)
        };
        let file_weight = |name: &str| {
            self.track_files
                .iter()
                .find(|f| f.name == name)
                .map(|f| f.weight)
        };
        let zero = |list: &mut Vec<TrackScript>,
                    own: &dyn Fn(&str) -> Option<i32>,
                    weighted: &mut Vec<String>| {
            for t in list {
                if t.weight.or_else(|| own(&t.name)).unwrap_or(0) != 0 {
                    weighted.push(t.name.clone());
                }
                t.weight = Some(0);
            }
        };
        zero(&mut inst.track_scripts, &script_weight, &mut weighted);
        zero(&mut inst.track_processes, &process_weight, &mut weighted);
        zero(&mut inst.track_files, &file_weight, &mut weighted);
        for t in &mut inst.track_interfaces {
            if t.weight.unwrap_or(0) != 0 {
                weighted.push(t.name.clone());
            }
            t.weight = Some(0);
        }
        if !weighted.is_empty() {
            self.warn(
                pos,
                format!(
                    "vrrp_instance `{}` is in vrrp_sync_group `{}`: the weights of {} are ignored (weight 0: a failure is a fault), as keepalived does",
                    inst.name,
                    group.name,
                    weighted.join(", ")
                ),
                "set `sync_group_tracking_weight` in the group to keep them (the group's members may then disagree)",
            );
        }
    }
}
