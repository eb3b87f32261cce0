//! The typed form of a status reply: what the daemon serializes, what `vrrp status` parses
//! and renders. The field names are the JSON keys documented in `docs/status.md`; they
//! are a public interface (scripts and the namespace tests read them), so rename nothing.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};
use vrrp_core::router::{Reason, TrackId};
use vrrp_io::{RouterSpec, RouterStatus};

use crate::daemon::spec;

/// What kind of object a track follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackKind {
    /// A `vrrp_script` of the instance's `track_script`.
    Script,
    /// An interface of the instance's `track_interface`.
    Interface,
    /// The instance's own interface (track id 0): the router is in Fault while it is down.
    OwnInterface,
    /// A `vrrp_track_process` of the instance's `track_process`.
    Process,
    /// A `track_file` of the instance's `track_file`.
    File,
    /// The instance's `vrrp_sync_group`: down while another member is in Fault.
    SyncGroup,
    /// An id the daemon has no name for (a reply from an older daemon, or a status taken
    /// while a reload was switching configurations).
    #[default]
    #[serde(other)]
    Unknown,
}

impl TrackKind {
    /// How the text status names the kind ("script", "interface", "own interface").
    pub const fn as_text(self) -> &'static str {
        match self {
            TrackKind::Script => "script",
            TrackKind::Interface => "interface",
            TrackKind::OwnInterface => "own interface",
            TrackKind::Process => "process",
            TrackKind::File => "file",
            TrackKind::SyncGroup => "sync group",
            TrackKind::Unknown => "track",
        }
    }
}

/// The name and kind of every tracked object of every router, by track id: the event loop
/// only knows numbers, the configuration knows names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackNames {
    by_router: HashMap<String, HashMap<TrackId, (String, TrackKind)>>,
}

impl TrackNames {
    /// The names of a planned configuration: each router's tracked interfaces (id 0, its
    /// own link, as [`TrackKind::OwnInterface`]) and its tracked scripts.
    pub fn from_plan(plan: &spec::Plan) -> Self {
        let mut names = TrackNames::default();
        for r in &plan.routers {
            for (id, interface) in &r.tracked_interfaces {
                let kind = if *id == RouterSpec::OWN_INTERFACE {
                    TrackKind::OwnInterface
                } else {
                    TrackKind::Interface
                };
                names.insert(&r.name, *id, interface.clone(), kind);
            }
            if let Some(group) = &r.sync_group {
                names.insert(
                    &r.name,
                    RouterSpec::SYNC_GROUP,
                    group.clone(),
                    TrackKind::SyncGroup,
                );
            }
        }
        for t in &plan.script_tracks {
            names.insert(&t.instance, t.id, t.script.clone(), TrackKind::Script);
        }
        for t in &plan.process_tracks {
            names.insert(&t.instance, t.id, t.script.clone(), TrackKind::Process);
        }
        for t in &plan.file_tracks {
            names.insert(&t.instance, t.id, t.script.clone(), TrackKind::File);
        }
        names
    }

    /// Names track `id` of `router` (replacing an earlier name).
    pub fn insert(&mut self, router: &str, id: TrackId, name: String, kind: TrackKind) {
        self.by_router
            .entry(router.to_owned())
            .or_default()
            .insert(id, (name, kind));
    }

    /// The name and kind of track `id` of `router`, if known.
    pub fn get(&self, router: &str, id: TrackId) -> Option<(&str, TrackKind)> {
        let (name, kind) = self.by_router.get(router)?.get(&id)?;
        Some((name, *kind))
    }

    /// A state change's reason in words, a track that went down named rather than
    /// numbered: "own interface eth0 is down (weight 0)".
    pub fn describe(&self, router: &str, reason: Reason) -> String {
        reason_text(reason, router, self)
    }

    /// The name and kind, or a placeholder naming the id when unknown.
    fn label(&self, router: &str, id: TrackId) -> (String, TrackKind) {
        match self.get(router, id) {
            Some((name, kind)) => (name.to_owned(), kind),
            None => (format!("id {}", id.0), TrackKind::Unknown),
        }
    }
}

/// [`TrackNames`] shared between the status server and the daemon, which replaces them
/// when a reload changes the configuration. Cloning shares the same names.
#[derive(Debug, Clone, Default)]
pub struct SharedTrackNames(Arc<RwLock<TrackNames>>);

impl SharedTrackNames {
    /// Shares `names`.
    pub fn new(names: TrackNames) -> Self {
        SharedTrackNames(Arc::new(RwLock::new(names)))
    }

    /// Replaces the names, for every clone: call it right after a reload succeeded.
    pub fn replace(&self, names: TrackNames) {
        // A panic while holding the lock cannot leave `TrackNames` half-written (the
        // assignment is the only write), so a poisoned lock is still good to use.
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = names;
    }

    /// Runs `f` with the current names.
    pub fn with<R>(&self, f: impl FnOnce(&TrackNames) -> R) -> R {
        f(&self.0.read().unwrap_or_else(|e| e.into_inner()))
    }
}

/// One virtual router in a status reply: one element of the JSON array that
/// `vrrp status --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouterReport {
    /// The `vrrp_instance` name.
    pub name: String,
    /// The interface it runs on.
    pub interface: String,
    /// "IPv4" or "IPv6".
    pub family: String,
    /// The virtual router id, 1..=255.
    pub vrid: u8,
    /// "initialize", "backup", "master" or "fault".
    pub state: String,
    /// The configured priority.
    pub base_priority: u8,
    /// The priority advertised now: base plus every track's contribution, 1..=254 (255
    /// for an address owner).
    pub effective_priority: u8,
    /// Each tracked object and its share of the priority.
    #[serde(default)]
    pub tracks: Vec<TrackReport>,
    /// The current master (this router's own address when it is master), if known.
    pub master: Option<IpAddr>,
    /// The master's priority, if known.
    pub master_priority: Option<u8>,
    /// The last state change, if any.
    pub last_transition: Option<Transition>,
    /// The advertisement interval in force, in centiseconds.
    #[serde(default)]
    pub advert_interval_cs: u16,
    /// Peers heard recently and the checksum form their adverts use.
    #[serde(default)]
    pub peers: Vec<PeerReport>,
    /// The virtual addresses, without prefix length.
    #[serde(default)]
    pub virtual_addresses: Vec<IpAddr>,
    /// Counters since the router started.
    #[serde(default)]
    pub counters: Counters,
    /// Demoted by `vrrp handover`: advertises priority 1 (never preempts, still the last
    /// resort) until `vrrp resume`.
    #[serde(default)]
    pub demoted: bool,
    /// A handover in progress: a master waiting for its successor.
    #[serde(default)]
    pub handing_over: bool,
}

/// The line the daemon sends instead of the array when it will not answer: too many
/// connections at once, or a request over the size limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReply {
    /// Why, in words.
    pub error: String,
}

/// A request that changes state: `handover [NAME...]` or `resume [NAME...]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlVerb {
    /// Hand the masters over to their best backups and stay demoted.
    HandOver,
    /// End the demotion.
    Resume,
}

impl ControlVerb {
    /// The request word.
    pub const fn as_str(self) -> &'static str {
        match self {
            ControlVerb::HandOver => "handover",
            ControlVerb::Resume => "resume",
        }
    }

    /// The verb a request word names.
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "handover" => Some(ControlVerb::HandOver),
            "resume" => Some(ControlVerb::Resume),
            _ => None,
        }
    }
}

/// The reply to a [`ControlVerb`] request: one result per instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlReply {
    /// Per instance, in the order asked (by name when all were).
    pub results: Vec<ControlResult>,
}

/// What a control request did to one instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlResult {
    /// The instance.
    pub name: String,
    /// "handing over", "demoted", "resumed" or "not demoted"; absent on error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Why nothing was done; absent on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One tracked object of a router.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackReport {
    /// The router's number for the object (0: its own interface).
    pub id: u32,
    /// The script or interface name ("check_nginx", "eth1"); "id N" when unknown.
    #[serde(default)]
    pub name: String,
    /// What the object is.
    #[serde(default)]
    pub kind: TrackKind,
    /// keepalived's weight, -254..=254; 0: Fault while down.
    pub weight: i16,
    /// Whether the object is up (for a `reverse` script: whether it fails).
    pub up: bool,
    /// What it adds to the base priority now.
    pub contribution: i32,
}

impl TrackReport {
    /// "script check_nginx", "interface eth1", "own interface eth0".
    pub fn label(&self) -> String {
        format!("{} {}", self.kind.as_text(), self.name)
    }
}

/// The last state change of a router.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// How long ago, in seconds.
    pub seconds_ago: f64,
    /// Why, in words.
    pub reason: String,
}

/// A peer heard recently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerReport {
    /// Its source address.
    pub address: IpAddr,
    /// The checksum form of its adverts ("v2", "v3-ipv4-pseudo-header", ...).
    pub checksum_form: String,
}

/// Declares [`Counters`] and [`Counters::iter`] from one list, so the JSON keys and the
/// text output cannot drift apart.
macro_rules! counters {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// A router's counters; the names follow the VRRP MIB where it has one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
        pub struct Counters {
            $($(#[$doc])* #[serde(default)] pub $name: u64,)*
        }

        impl Counters {
            /// Every counter with its JSON name, in declaration order.
            pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> {
                [$((stringify!($name), self.$name),)*].into_iter()
            }
        }
    };
}

counters! {
    /// Adverts that passed every check.
    adverts_received,
    /// Adverts sent.
    adverts_sent,
    /// Priority-0 adverts received (a master leaving).
    priority_zero_received,
    /// Priority-0 adverts sent.
    priority_zero_sent,
    /// Transitions to master.
    master_transitions,
    /// Adverts whose address list differs from ours.
    address_list_errors,
    /// Dropped: TTL / hop limit not 255.
    ip_ttl_errors,
    /// Dropped: too short, or length not matching the address count.
    packet_length_errors,
    /// Dropped: unknown version or not ours.
    version_errors,
    /// Dropped: type not ADVERTISEMENT.
    invalid_type,
    /// Dropped: checksum matches no accepted form.
    checksum_errors,
    /// Dropped: VRID 0 or not ours.
    vrid_errors,
    /// Dropped: interval 0, or (VRRPv2) not ours.
    interval_errors,
    /// Dropped: unknown authentication type.
    invalid_auth_type,
    /// Dropped: authentication type differs from ours.
    auth_type_mismatch,
    /// Dropped: wrong password.
    auth_failures,
    /// Dropped: an advert for addresses we own (priority 255) from someone else.
    address_owner,
    /// Dropped: unicast advert from an address not among the peers.
    unknown_unicast_source,
    /// Dropped: an advert whose addresses have none in common with ours (another
    /// cluster on our VRID, or a forgery).
    unrelated_addresses,
}

impl RouterReport {
    /// The report of `r`, its tracks named from `names`.
    pub fn new(r: &RouterStatus, names: &TrackNames) -> Self {
        let s = &r.statistics;
        let d = &s.drops;
        RouterReport {
            name: r.name.clone(),
            interface: r.interface.clone(),
            family: r.family.to_string(),
            vrid: r.vrid.get(),
            state: r.state.as_str().to_owned(),
            demoted: r.demoted,
            handing_over: r.handing_over,
            base_priority: r.base_priority.get(),
            effective_priority: r.effective_priority.get(),
            tracks: r
                .tracks
                .iter()
                .map(|t| {
                    let (name, kind) = names.label(&r.name, t.id);
                    TrackReport {
                        id: t.id.0,
                        name,
                        kind,
                        weight: t.weight,
                        up: t.up,
                        contribution: t.contribution,
                    }
                })
                .collect(),
            master: r.master.map(|(a, _)| a),
            master_priority: r.master.map(|(_, p)| p.get()),
            last_transition: r.last_transition.map(|(ago, reason)| Transition {
                seconds_ago: ago.as_secs_f64(),
                reason: reason_text(reason, &r.name, names),
            }),
            advert_interval_cs: r.master_adver_interval.get(),
            peers: r
                .peer_checksum_forms
                .iter()
                .map(|(a, f)| PeerReport {
                    address: *a,
                    checksum_form: f.as_str().to_owned(),
                })
                .collect(),
            virtual_addresses: r.virtual_addresses.clone(),
            counters: Counters {
                adverts_received: s.adverts_received,
                adverts_sent: s.adverts_sent,
                priority_zero_received: s.priority_zero_received,
                priority_zero_sent: s.priority_zero_sent,
                master_transitions: s.master_transitions,
                address_list_errors: s.address_list_errors,
                ip_ttl_errors: d.ip_ttl_errors,
                packet_length_errors: d.packet_length_errors,
                version_errors: d.version_errors,
                invalid_type: d.invalid_type,
                checksum_errors: d.checksum_errors,
                vrid_errors: d.vrid_errors,
                interval_errors: d.interval_errors,
                invalid_auth_type: d.invalid_auth_type,
                auth_type_mismatch: d.auth_type_mismatch,
                auth_failures: d.auth_failures,
                address_owner: d.address_owner,
                unknown_unicast_source: d.unknown_unicast_source,
                unrelated_addresses: d.unrelated_addresses,
            },
        }
    }
}

/// The reason in words; a track that went down is named, not numbered.
fn reason_text(reason: Reason, router: &str, names: &TrackNames) -> String {
    match reason {
        Reason::TrackDown(id) => match names.get(router, id) {
            Some((name, TrackKind::SyncGroup)) => {
                format!("another member of sync group {name} is in fault")
            }
            Some((name, kind)) => format!("{} {name} is down (weight 0)", kind.as_text()),
            None => reason.to_string(),
        },
        other => other.to_string(),
    }
}
