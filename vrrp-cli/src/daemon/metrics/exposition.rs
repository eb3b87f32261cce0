//! The Prometheus text exposition (format 0.0.4) of the routers' status, built from the
//! [`RouterReport`]s that `vrrp status` prints: names, track kinds and counters are the
//! same in both. Every family and label is documented in `docs/metrics.md`.

use std::fmt;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{prometheus_text, DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use vrrp_core::router::{DropCounter, State};
use vrrp_core::UnattributedStatistics;

use crate::daemon::status::{Counters, RouterReport, TrackKind};

/// The `Content-Type` of [`render`]'s output.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// The label naming the `vrrp_instance`. Not `instance`: Prometheus gives every scraped
/// series an `instance` label naming the target (`host:port`) and would rename ours to
/// `exported_instance`.
pub const INSTANCE_LABEL: &str = "vrrp_instance";

/// The states of `vrrp_state`, one series each.
const STATES: [State; 4] = [
    State::Initialize,
    State::Backup,
    State::Master,
    State::Fault,
];

/// The counters of [`Counters`] that get a family of their own (every other one is a drop
/// reason of `vrrp_dropped_total`): the field, the family name without `_total`, its help.
const COUNTER_FAMILIES: [(&str, &str, &str); 6] = [
    (
        "master_transitions",
        "vrrp_master_transitions",
        "Transitions to master since the router started.",
    ),
    ("adverts_sent", "vrrp_adverts_sent", "Advertisements sent."),
    (
        "adverts_received",
        "vrrp_adverts_received",
        "Advertisements received that passed every check.",
    ),
    (
        "priority_zero_sent",
        "vrrp_priority_zero_sent",
        "Priority-0 advertisements sent (this router leaving the master role).",
    ),
    (
        "priority_zero_received",
        "vrrp_priority_zero_received",
        "Priority-0 advertisements received (the master leaving).",
    ),
    (
        "address_list_errors",
        "vrrp_address_list_errors",
        "Advertisements whose address list differs from ours (vrrpv3StatisticsAddressListErrors).",
    ),
];

/// The Prometheus text (format 0.0.4, [`CONTENT_TYPE`]) of `reports`: a `# HELP` and a
/// `# TYPE` line for every family, then one series per router (and per state, drop
/// reason, track or peer where the family has such a label), in the order of `reports`.
pub fn render(reports: &[RouterReport]) -> String {
    render_with_host(reports, None)
}

/// [`render`], and the host's counters of packets that reached no router (RFC 6527's
/// router-wide statistics) when known.
pub fn render_with_host(
    reports: &[RouterReport],
    unattributed: Option<&UnattributedStatistics>,
) -> String {
    let mut registry = Registry::default();
    // The collector is asked once, right below; it owns a copy because the registry
    // wants `'static` collectors.
    registry.register_collector(Box::new(Snapshot(reports.to_vec(), unattributed.copied())));
    let mut out = String::new();
    match prometheus_text::encode(&mut out, &registry) {
        Ok(()) => out,
        // Not expected: a String never refuses a write and the collector only passes on
        // the encoder's errors. Still, half an exposition would read as missing series.
        Err(e) => {
            tracing::error!("metrics: encoding the exposition failed: {e}");
            String::new()
        }
    }
}

/// The labels of one series.
type Labels = Vec<(&'static str, String)>;

/// One scrape's reports, and the host's unattributed counters.
#[derive(Debug)]
struct Snapshot(Vec<RouterReport>, Option<UnattributedStatistics>);

impl Collector for Snapshot {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> fmt::Result {
        let routers = &self.0;
        gauges(
            &mut encoder,
            "vrrp_state",
            "The router's state: 1 for the state it is in, 0 for the others.",
            routers.iter().flat_map(|r| {
                STATES.iter().map(move |s| {
                    let labels = with(r, [("state", s.as_str().to_owned())]);
                    (labels, i64::from(r.state == s.as_str()))
                })
            }),
        )?;
        gauges(
            &mut encoder,
            "vrrp_base_priority",
            "The configured priority.",
            routers
                .iter()
                .map(|r| (base(r), i64::from(r.base_priority))),
        )?;
        gauges(
            &mut encoder,
            "vrrp_effective_priority",
            "The priority advertised now: base priority plus every track's contribution.",
            routers
                .iter()
                .map(|r| (base(r), i64::from(r.effective_priority))),
        )?;
        gauges(
            &mut encoder,
            "vrrp_demoted",
            "1 while the router is demoted by `vrrp handover` (advertising priority 1) until `vrrp resume`.",
            routers.iter().map(|r| (base(r), i64::from(r.demoted))),
        )?;
        gauges(
            &mut encoder,
            "vrrp_master_info",
            "The current master's address (this router's own when it is master); absent while unknown.",
            routers.iter().filter_map(|r| {
                let master = r.master?;
                Some((with(r, [("master", master.to_string())]), 1))
            }),
        )?;
        for (field, name, help) in COUNTER_FAMILIES {
            counters(
                &mut encoder,
                name,
                help,
                routers
                    .iter()
                    .map(|r| (base(r), counter(&r.counters, field))),
            )?;
        }
        counters(
            &mut encoder,
            "vrrp_dropped",
            "Advertisements dropped, by reason (named after the VRRP MIB statistics, RFC 6527).",
            routers.iter().flat_map(|r| {
                DropCounter::ALL.iter().map(move |c| {
                    let labels = with(r, [("reason", c.name().to_owned())]);
                    (labels, counter(&r.counters, c.name()))
                })
            }),
        )?;
        gauges(
            &mut encoder,
            "vrrp_track_up",
            "Whether a tracked script or interface is up (for a reverse script: whether it fails).",
            tracks(routers).map(|(labels, t)| (labels, i64::from(t.up))),
        )?;
        gauges(
            &mut encoder,
            "vrrp_track_weight",
            "The track's weight: what it adds to the priority while up (positive) or down (negative); 0 puts the router in fault while down.",
            tracks(routers).map(|(labels, t)| (labels, i64::from(t.weight))),
        )?;
        gauges(
            &mut encoder,
            "vrrp_peer_checksum_form_info",
            "A peer heard recently and the checksum form of its advertisements.",
            routers.iter().flat_map(|r| {
                r.peers.iter().map(move |p| {
                    let labels = with(
                        r,
                        [
                            ("peer", p.address.to_string()),
                            ("form", p.checksum_form.clone()),
                        ],
                    );
                    (labels, 1)
                })
            }),
        )?;
        if let Some(u) = &self.1 {
            counters(
                &mut encoder,
                "vrrp_unknown_vrid",
                "Valid advertisements for a VRID not configured on the interface they arrived on (vrrpv3RouterVrIdErrors).",
                std::iter::once((Labels::new(), u.unknown_vrid)),
            )?;
            counters(
                &mut encoder,
                "vrrp_unattributed_dropped",
                "Packets dropped before any router could be named (VRID 0, too short, bad checksum for no router here), by reason.",
                DropCounter::ALL
                    .iter()
                    .map(|c| (vec![("reason", c.name().to_owned())], u.drops.get(*c))),
            )?;
        }
        Ok(())
    }
}

/// The labels every series of router `r` carries.
fn base(r: &RouterReport) -> Labels {
    vec![
        (INSTANCE_LABEL, r.name.clone()),
        ("interface", r.interface.clone()),
        ("vrid", r.vrid.to_string()),
        // "IPv4" in the status; label values are lower case by convention.
        ("family", r.family.to_ascii_lowercase()),
    ]
}

/// [`base`] and `extra`.
fn with<const N: usize>(r: &RouterReport, extra: [(&'static str, String); N]) -> Labels {
    let mut labels = base(r);
    labels.extend(extra);
    labels
}

/// Every track of every router, labelled by name and kind.
fn tracks(
    routers: &[RouterReport],
) -> impl Iterator<Item = (Labels, &crate::daemon::status::TrackReport)> {
    routers.iter().flat_map(|r| {
        r.tracks.iter().map(move |t| {
            let labels = with(
                r,
                [
                    ("track", t.name.clone()),
                    ("kind", kind_label(t.kind).to_owned()),
                ],
            );
            (labels, t)
        })
    })
}

/// The kind as the status JSON spells it (`own_interface`): label values without spaces.
fn kind_label(kind: TrackKind) -> &'static str {
    match kind {
        TrackKind::Script => "script",
        TrackKind::Interface => "interface",
        TrackKind::OwnInterface => "own_interface",
        TrackKind::Process => "process",
        TrackKind::File => "file",
        TrackKind::SyncGroup => "sync_group",
        TrackKind::Unknown => "unknown",
    }
}

/// The counter named `field` (its JSON name); 0 for a name [`Counters`] does not have,
/// which the tests rule out for every name used here.
fn counter(counters: &Counters, field: &str) -> u64 {
    counters
        .iter()
        .find_map(|(name, value)| (name == field).then_some(value))
        .unwrap_or(0)
}

/// A gauge family: its HELP and TYPE lines, then its series.
fn gauges(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    series: impl Iterator<Item = (Labels, i64)>,
) -> fmt::Result {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for (labels, value) in series {
        family.encode_family(&labels)?.encode_gauge(&value)?;
    }
    Ok(())
}

/// A counter family; `name` without `_total`, which the encoder appends.
fn counters(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    series: impl Iterator<Item = (Labels, u64)>,
) -> fmt::Result {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (labels, value) in series {
        family
            .encode_family(&labels)?
            .encode_counter::<NoLabelSet, _, u64>(&value, None)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
