//! keepalived's static items and track groups: `static_ipaddress`, `static_routes`,
//! `static_rules` (installed while the daemon runs, not moved by VRRP) and
//! `track_group NAME { group { ... } }` (instances that track the interfaces of the
//! static items naming the group).

use super::instance::RawInstance;
use super::Parser;
use crate::config::diag::Pos;
use crate::config::model::{TrackGroup, TrackInterface, VrrpInstance};
use crate::config::tree::{Stmt, Word};

/// What the parser keeps of the static blocks until the instances are known.
#[derive(Default)]
pub(super) struct RawStatics {
    pub statics: crate::config::model::Statics,
    /// Where each item's `track_group` name was written, in item order per kind.
    pub group_refs: Vec<(String, Pos, Option<String>)>,
    /// Holds the static rules read so far, so that rules without a preference are
    /// numbered as keepalived numbers them (with the instances' rules).
    pub rules_holder: Option<RawInstance>,
    pub track_groups: Vec<(TrackGroup, Vec<Pos>)>,
}

/// A line without its `track_group NAME` words, and the name with where it was written.
fn split_track_group(line: &Stmt) -> (Stmt, Option<(String, Pos)>, Option<Pos>) {
    let mut words: Vec<Word> = Vec::with_capacity(line.words.len());
    let mut group = None;
    let mut missing = None;
    let mut iter = line.words.iter();
    while let Some(w) = iter.next() {
        if w.text == "track_group" {
            match iter.next() {
                Some(name) => group = Some((name.text.clone(), name.pos.clone())),
                None => missing = Some(w.pos.clone()),
            }
        } else {
            words.push(w.clone());
        }
    }
    (
        Stmt {
            words,
            block: line.block.clone(),
        },
        group,
        missing,
    )
}

impl Parser<'_> {
    /// `static_ipaddress { ADDR[/LEN] dev IF [label L] [track_group G] ... }`.
    pub(super) fn static_addresses(&mut self, st: &Stmt) {
        let Some(block) = self.block(st, "static_ipaddress { 192.168.1.1/24 dev eth0 }") else {
            return;
        };
        for line in &block.stmts {
            let Some((line, group)) = self.static_line(line) else {
                continue;
            };
            let Some(addr) = self.virtual_address(&line) else {
                continue;
            };
            if addr.dev.is_none() {
                self.error(
                    line.pos(),
                    format!("static address {}: which interface? add `dev IF`", addr.addr),
                    "write e.g. `192.168.1.1/24 dev eth0` (keepalived would use its default_interface)",
                );
                continue;
            }
            self.note_group(&group, addr.dev.clone());
            self.statics
                .statics
                .addresses
                .push((addr, group.map(|g| g.0)));
        }
    }

    /// `static_routes { ... }`, as `virtual_routes` plus `track_group G`.
    pub(super) fn static_routes(&mut self, st: &Stmt) {
        let Some(block) = self.block(
            st,
            "static_routes { 192.168.2.0/24 via 192.168.1.100 dev eth0 }",
        ) else {
            return;
        };
        for line in &block.stmts {
            let Some((line, group)) = self.static_line(line) else {
                continue;
            };
            let Some(route) = self.virtual_route(&line) else {
                continue;
            };
            if route.needs_device() && route.dev.is_none() {
                self.error(
                    line.pos(),
                    "this static route needs `dev IF` (no gateway, or onlink): no instance's interface to default to",
                    "add the route's `dev`",
                );
                continue;
            }
            if group.is_some() && route.dev.is_none() {
                self.error(
                    line.pos(),
                    "a static route with track_group needs `dev IF`: the group tracks that interface",
                    "add the route's `dev`",
                );
                continue;
            }
            self.note_group(&group, route.dev.clone());
            self.statics
                .statics
                .routes
                .push((route, group.map(|g| g.0)));
        }
    }

    /// `static_rules { ... }`, as `virtual_rules` plus `track_group G`.
    pub(super) fn static_rules(&mut self, st: &Stmt) {
        let Some(block) = self.block(
            st,
            "static_rules { from 192.168.2.0/24 table 1 preference 100 }",
        ) else {
            return;
        };
        let mut holder =
            self.statics.rules_holder.take().unwrap_or_else(|| {
                RawInstance::new("static_rules".into(), st.keyword().pos.clone())
            });
        for line in &block.stmts {
            let Some((line, group)) = self.static_line(line) else {
                continue;
            };
            let Some(raw) = self.virtual_rule(&holder, &line) else {
                continue;
            };
            let dev = raw.rule.iif.clone().or_else(|| raw.rule.oif.clone());
            if group.is_some() && dev.is_none() {
                self.error(
                    line.pos(),
                    "a static rule with track_group needs `iif` or `oif`: the group tracks that interface",
                    "add the rule's `iif IF`",
                );
                continue;
            }
            self.note_group(&group, dev);
            self.statics
                .statics
                .rules
                .push((raw.rule.clone(), group.map(|g| g.0)));
            holder.virtual_rules.push(raw);
        }
        self.statics.rules_holder = Some(holder);
    }

    /// `track_group NAME { group { VI_1 VI_2 } }`.
    pub(super) fn track_group(&mut self, st: &Stmt) {
        let kw = st.keyword();
        let Some(name) = self.block_name(st) else {
            return;
        };
        let Some(block) = self.block_after(st, 1, "track_group G1 { group { VI_1 VI_2 } }") else {
            return;
        };
        let mut members = Vec::new();
        let mut positions = Vec::new();
        for inner in &block.stmts {
            let ikw = inner.keyword();
            if ikw.text != "group" {
                self.unknown(ikw, "track_group", &[&["group"]]);
                continue;
            }
            let words: Vec<&Word> = match &inner.block {
                Some(b) => b.stmts.iter().flat_map(|m| m.words.iter()).collect(),
                None => inner.args().iter().collect(),
            };
            for w in words {
                members.push(w.text.clone());
                positions.push(w.pos.clone());
            }
        }
        if self
            .statics
            .track_groups
            .iter()
            .any(|(g, _)| g.name == name)
        {
            self.error(
                &kw.pos,
                format!("track_group `{name}` is defined twice"),
                "give each track_group its own name",
            );
            return;
        }
        self.statics.track_groups.push((
            TrackGroup {
                name,
                members,
                location: kw.pos.location(),
            },
            positions,
        ));
    }

    /// A static line without its `track_group`, or `None` after an error.
    fn static_line(&mut self, line: &Stmt) -> Option<(Stmt, Option<(String, Pos)>)> {
        let (stripped, group, missing) = split_track_group(line);
        if let Some(pos) = missing {
            self.error(
                &pos,
                "track_group needs a group name",
                "write `track_group G1`",
            );
            return None;
        }
        if stripped.words.is_empty() {
            self.error(
                line.pos(),
                "nothing but a track_group",
                "write the item before it",
            );
            return None;
        }
        Some((stripped, group))
    }

    fn note_group(&mut self, group: &Option<(String, Pos)>, interface: Option<String>) {
        if let Some((name, pos)) = group {
            self.statics
                .group_refs
                .push((name.clone(), pos.clone(), interface));
        }
    }

    /// Checks the track groups against the instances and gives each member a weight-0
    /// track of every interface its group's static items use.
    pub(super) fn apply_track_groups(
        &mut self,
        instances: &mut [(VrrpInstance, Pos)],
    ) -> Vec<TrackGroup> {
        let groups = std::mem::take(&mut self.statics.track_groups);
        let refs = std::mem::take(&mut self.statics.group_refs);
        for (name, pos, _) in &refs {
            if !groups.iter().any(|(g, _)| &g.name == name) {
                self.error(
                    pos,
                    format!("track_group `{name}` is not defined"),
                    format!("define it: `track_group {name} {{ group {{ VI_1 }} }}`"),
                );
            }
        }
        let mut out = Vec::new();
        for (mut group, positions) in groups {
            let mut members = Vec::new();
            for (member, pos) in group.members.iter().zip(&positions) {
                let Some((inst, _)) = instances.iter_mut().find(|(i, _)| i.name == *member) else {
                    self.error(
                        pos,
                        format!(
                            "track_group `{}`: no vrrp_instance is called `{member}`",
                            group.name
                        ),
                        "name a vrrp_instance defined in this file",
                    );
                    continue;
                };
                for (_, _, interface) in refs.iter().filter(|(n, _, _)| *n == group.name) {
                    let Some(interface) = interface else { continue };
                    if !inst.track_interfaces.iter().any(|t| &t.name == interface) {
                        inst.track_interfaces.push(TrackInterface {
                            name: interface.clone(),
                            weight: Some(0),
                            reverse: false,
                        });
                    }
                }
                members.push(member.clone());
            }
            group.members = members;
            out.push(group);
        }
        out
    }
}
