//! Sync groups: routers that change state together (keepalived's `vrrp_sync_group`).
//!
//! A sync group's routers share one fate, for a gateway whose inside and outside
//! addresses must be on the same host. The rules, as keepalived applies them:
//! - a member in Fault for a reason of its own puts every other member in Fault (a
//!   weight-0 track, [`RouterSpec::SYNC_GROUP`], that each member carries);
//! - a member that leaves Master (a higher priority heard, a handover) makes the other
//!   masters step down ([`VirtualRouter::step_down`]: priority 0, so their backups take
//!   over after Skew_Time);
//! - a member takes over only when every other member wants to as well (its down timer
//!   fired, or it is master already): until then its takeover is held
//!   ([`VirtualRouter::hold_takeover`]), so a group never ends up split across hosts
//!   because one member's peer is still alive.
//!
//! The group's own state, for its notifications: Fault while a member is in Fault,
//! Master while every member is, Backup otherwise.

use std::collections::HashMap;
use std::sync::Arc;

use vrrp_core::router::{Reason, State, VirtualRouter};
use vrrp_core::{Instant, RouterKey, Routers};

use super::types::RouterSpec;

/// One group: its members and the state last reported.
#[derive(Debug, Default)]
struct Group {
    members: Vec<RouterKey>,
    reported: Option<State>,
    /// A member left Master for a reason of its own since the last evaluation.
    left_master: bool,
    dirty: bool,
}

/// Every sync group of a driver.
#[derive(Debug, Default)]
pub(crate) struct SyncGroups {
    groups: HashMap<Arc<str>, Group>,
    member_of: HashMap<RouterKey, Arc<str>>,
}

impl SyncGroups {
    /// Whether there is any group at all (the usual case is none: nothing to do).
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Puts router `key` in `group` (or in none), leaving its previous group.
    pub fn assign(&mut self, key: RouterKey, group: Option<&str>) {
        if self.member_of.get(&key).map(|g| &**g) == group {
            return;
        }
        self.leave(key);
        let Some(name) = group else {
            return;
        };
        let name: Arc<str> = self
            .groups
            .get_key_value(name)
            .map_or_else(|| Arc::from(name), |(k, _)| k.clone());
        let g = self.groups.entry(name.clone()).or_default();
        g.members.push(key);
        g.dirty = true;
        self.member_of.insert(key, name);
    }

    /// Takes router `key` out of its group; a group left empty is forgotten.
    pub fn leave(&mut self, key: RouterKey) {
        let Some(name) = self.member_of.remove(&key) else {
            return;
        };
        if let Some(g) = self.groups.get_mut(&name) {
            g.members.retain(|k| *k != key);
            g.dirty = true;
            if g.members.is_empty() {
                self.groups.remove(&name);
            }
        }
    }

    /// The group router `key` belongs to.
    pub fn group_of(&self, key: &RouterKey) -> Option<&Arc<str>> {
        self.member_of.get(key)
    }

    /// Notes a state change of router `key`, so that its group is looked at again.
    pub fn state_changed(&mut self, key: RouterKey, from: State, reason: Reason) {
        let Some(g) = self
            .member_of
            .get(&key)
            .and_then(|n| self.groups.get_mut(n))
        else {
            return;
        };
        g.dirty = true;
        // Leaving for Fault is the Fault rule's business; leaving because the group does
        // must not start another round.
        if from == State::Master
            && !matches!(
                reason,
                Reason::SyncGroup | Reason::TrackDown(_) | Reason::Shutdown
            )
        {
            g.left_master = true;
        }
    }

    /// Notes that router `key` is ready to take over but held.
    pub fn became_ready(&mut self, key: RouterKey) {
        if let Some(g) = self
            .member_of
            .get(&key)
            .and_then(|n| self.groups.get_mut(n))
        {
            g.dirty = true;
        }
    }

    /// Applies the rules to every group that changed; returns the groups whose own
    /// state changed, with the state they had and have. The routers' outputs are left
    /// for the caller to drain (and to call this again: a rule's effect can change the
    /// group once more, and the rules settle within two rounds).
    pub fn evaluate(&mut self, now: Instant, routers: &mut Routers) -> Vec<GroupChange> {
        let mut changes = Vec::new();
        for (name, g) in &mut self.groups {
            if !g.dirty {
                continue;
            }
            g.dirty = false;
            apply_rules(now, g, routers);
            let state = group_state(g.members.iter().filter_map(|k| routers.get(k)));
            if g.reported != Some(state) {
                changes.push(GroupChange {
                    group: name.clone(),
                    from: g.reported,
                    to: state,
                });
                g.reported = Some(state);
            }
        }
        changes
    }

    /// Whether any group waits for [`SyncGroups::evaluate`].
    pub fn has_dirty(&self) -> bool {
        self.groups.values().any(|g| g.dirty)
    }
}

/// A group whose state changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupChange {
    pub group: Arc<str>,
    pub from: Option<State>,
    pub to: State,
}

fn apply_rules(now: Instant, g: &mut Group, routers: &mut Routers) {
    let own_fault: Vec<bool> = g
        .members
        .iter()
        .map(|k| {
            routers
                .get(k)
                .is_some_and(|vr| vr.faulty_tracks().any(|id| id != RouterSpec::SYNC_GROUP))
        })
        .collect();
    for (i, key) in g.members.iter().enumerate() {
        let others_faulty = own_fault.iter().enumerate().any(|(j, &f)| j != i && f);
        routers.with_router(key, |vr| {
            vr.set_track(now, RouterSpec::SYNC_GROUP, !others_faulty)
        });
    }
    if std::mem::take(&mut g.left_master) {
        for key in &g.members {
            routers.with_router(key, |vr| vr.step_down(now));
        }
    }
    let wants: Vec<bool> = g
        .members
        .iter()
        .map(|k| routers.get(k).is_some_and(VirtualRouter::wants_master))
        .collect();
    for (i, key) in g.members.iter().enumerate() {
        let held = wants.iter().enumerate().any(|(j, &w)| j != i && !w);
        routers.with_router(key, |vr| vr.hold_takeover(now, held));
    }
}

/// Fault while a member is in Fault, Master while every member is, Backup otherwise.
fn group_state<'a>(members: impl Iterator<Item = &'a VirtualRouter>) -> State {
    let mut all_master = true;
    for vr in members {
        match vr.state() {
            State::Fault => return State::Fault,
            State::Master => {}
            _ => all_master = false,
        }
    }
    if all_master {
        State::Master
    } else {
        State::Backup
    }
}
