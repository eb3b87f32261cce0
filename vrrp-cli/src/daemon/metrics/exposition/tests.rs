#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::Duration;

use vrrp_core::router::{
    DropCounter, DropCounters, Reason, State, Statistics, TrackId, TrackShare,
};
use vrrp_core::wire::ChecksumForm;
use vrrp_core::{Centiseconds, Family, Priority, Vrid};
use vrrp_io::{RouterSpec, RouterStatus};

use super::*;
use crate::daemon::status::TrackNames;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn share(id: u32, weight: i16, up: bool) -> TrackShare {
    TrackShare {
        id: TrackId(id),
        weight,
        up,
        contribution: if up { 0 } else { i32::from(weight) },
    }
}

fn status(name: &str, state: State, vrid: u8) -> RouterStatus {
    RouterStatus {
        name: name.into(),
        interface: "eth0".into(),
        family: Family::Ipv4,
        vrid: Vrid::new(vrid).unwrap(),
        state,
        base_priority: Priority(100),
        effective_priority: Priority(90),
        tracks: vec![share(0, 0, true), share(1000, -10, false)],
        master: Some((ip("192.0.2.1"), Priority(110))),
        last_transition: Some((Duration::from_secs(3), Reason::Startup)),
        master_adver_interval: Centiseconds(100),
        peer_checksum_forms: vec![(ip("192.0.2.1"), ChecksumForm::V2)],
        statistics: Statistics {
            adverts_sent: 7,
            adverts_received: 12,
            master_transitions: 2,
            drops: DropCounters {
                ip_ttl_errors: 4,
                checksum_errors: 3,
                ..DropCounters::default()
            },
            ..Statistics::default()
        },
        virtual_addresses: vec![ip("192.0.2.100")],
        demoted: false,
        handing_over: false,
    }
}

fn report(name: &str, state: State, vrid: u8) -> RouterReport {
    let mut names = TrackNames::default();
    names.insert(
        name,
        RouterSpec::OWN_INTERFACE,
        "eth0".into(),
        TrackKind::OwnInterface,
    );
    names.insert(name, TrackId(1000), "check_nginx".into(), TrackKind::Script);
    RouterReport::new(&status(name, state, vrid), &names)
}

/// Each sample line as (name, labels, value); panics on a line that is not one.
fn samples(text: &str) -> Vec<(String, BTreeMap<String, String>, f64)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| parse_sample(l).unwrap_or_else(|| panic!("not a sample: {l:?}")))
        .collect()
}

/// `name{k="v",...} value`, label values unescaped.
fn parse_sample(line: &str) -> Option<(String, BTreeMap<String, String>, f64)> {
    let name_end = line.find(['{', ' '])?;
    let name = &line[..name_end];
    let valid_name = |s: &str| {
        s.chars().enumerate().all(|(i, c)| {
            c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
        })
    };
    if name.is_empty() || !valid_name(name) {
        return None;
    }
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(inner) = rest.strip_prefix('{') {
        let mut chars = inner.char_indices();
        let mut key = String::new();
        loop {
            let (_, c) = chars.next()?;
            match c {
                '}' if key.is_empty() => break,
                '=' => {
                    if chars.next()?.1 != '"' {
                        return None;
                    }
                    let mut value = String::new();
                    loop {
                        match chars.next()?.1 {
                            '\\' => match chars.next()?.1 {
                                '\\' => value.push('\\'),
                                '"' => value.push('"'),
                                'n' => value.push('\n'),
                                _ => return None,
                            },
                            '"' => break,
                            '\n' => return None,
                            c => value.push(c),
                        }
                    }
                    if !valid_name(&key) || labels.insert(key.clone(), value).is_some() {
                        return None;
                    }
                    key.clear();
                    match chars.next()? {
                        (_, ',') => {}
                        (i, '}') => {
                            rest = &inner[i + 1..];
                            break;
                        }
                        _ => return None,
                    }
                }
                c => key.push(c),
            }
        }
    }
    let value = rest.strip_prefix(' ')?.parse().ok()?;
    Some((name.to_owned(), labels, value))
}

/// `# HELP` and `# TYPE` lines: family name to type.
fn types(text: &str) -> BTreeMap<String, String> {
    let helps: BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# HELP ")?.split(' ').next())
        .collect();
    let types: BTreeMap<String, String> = text
        .lines()
        .filter_map(|l| {
            let mut parts = l.strip_prefix("# TYPE ")?.split(' ');
            Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
        })
        .collect();
    assert_eq!(
        helps,
        types.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        "every family has one HELP and one TYPE line"
    );
    types
}

fn sample<'a>(
    all: &'a [(String, BTreeMap<String, String>, f64)],
    name: &str,
    extra: &[(&str, &str)],
) -> Vec<&'a (String, BTreeMap<String, String>, f64)> {
    all.iter()
        .filter(|(n, labels, _)| {
            n == name
                && extra
                    .iter()
                    .all(|(k, v)| labels.get(*k).map(String::as_str) == Some(v))
        })
        .collect()
}

#[test]
fn every_family_has_help_and_type_and_every_sample_a_family() {
    let text = render(&[report("VI_1", State::Master, 51)]);
    let types = types(&text);
    for (name, _, _) in samples(&text) {
        assert!(
            types.contains_key(&name),
            "{name} has no TYPE line:\n{text}"
        );
    }
    let expected = [
        ("vrrp_state", "gauge"),
        ("vrrp_base_priority", "gauge"),
        ("vrrp_effective_priority", "gauge"),
        ("vrrp_demoted", "gauge"),
        ("vrrp_master_info", "gauge"),
        ("vrrp_master_transitions_total", "counter"),
        ("vrrp_adverts_sent_total", "counter"),
        ("vrrp_adverts_received_total", "counter"),
        ("vrrp_priority_zero_sent_total", "counter"),
        ("vrrp_priority_zero_received_total", "counter"),
        ("vrrp_address_list_errors_total", "counter"),
        ("vrrp_dropped_total", "counter"),
        ("vrrp_track_up", "gauge"),
        ("vrrp_track_weight", "gauge"),
        ("vrrp_peer_checksum_form_info", "gauge"),
    ];
    let expected: BTreeMap<String, String> = expected
        .iter()
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect();
    assert_eq!(types, expected);
}

#[test]
fn counters_end_in_total_and_gauges_do_not() {
    let text = render(&[report("VI_1", State::Backup, 51)]);
    for (name, kind) in types(&text) {
        assert!(name.starts_with("vrrp_"), "{name}");
        assert_eq!(
            name.ends_with("_total"),
            kind == "counter",
            "{name} is a {kind}"
        );
    }
}

#[test]
fn the_state_is_one_hot() {
    let all = samples(&render(&[
        report("VI_1", State::Master, 51),
        report("VI_2", State::Fault, 52),
    ]));
    for (router, state) in [("VI_1", "master"), ("VI_2", "fault")] {
        let series = sample(&all, "vrrp_state", &[(INSTANCE_LABEL, router)]);
        assert_eq!(series.len(), 4, "{series:?}");
        for (_, labels, value) in series {
            let expected = if labels["state"] == state { 1.0 } else { 0.0 };
            assert_eq!(*value, expected, "{labels:?}");
        }
    }
}

#[test]
fn every_router_series_carries_the_identifying_labels() {
    let all = samples(&render(&[report("VI_1", State::Backup, 51)]));
    for (name, labels, _) in &all {
        assert_eq!(labels[INSTANCE_LABEL], "VI_1", "{name}");
        assert_eq!(labels["interface"], "eth0", "{name}");
        assert_eq!(labels["vrid"], "51", "{name}");
        assert_eq!(labels["family"], "ipv4", "{name}");
    }
}

#[test]
fn one_series_per_drop_reason_under_its_mib_name() {
    let all = samples(&render(&[report("VI_1", State::Backup, 51)]));
    let drops = sample(&all, "vrrp_dropped_total", &[]);
    let reasons: BTreeSet<&str> = drops.iter().map(|(_, l, _)| l["reason"].as_str()).collect();
    assert_eq!(drops.len(), DropCounter::ALL.len());
    assert_eq!(reasons, DropCounter::ALL.iter().map(|c| c.name()).collect());
    assert_eq!(
        sample(&all, "vrrp_dropped_total", &[("reason", "ip_ttl_errors")])[0].2,
        4.0
    );
    assert_eq!(
        sample(&all, "vrrp_dropped_total", &[("reason", "checksum_errors")])[0].2,
        3.0
    );
    assert_eq!(
        sample(&all, "vrrp_dropped_total", &[("reason", "vrid_errors")])[0].2,
        0.0
    );
}

#[test]
fn every_status_counter_is_exported_once() {
    // A counter added to the status would otherwise be missing from the metrics unnoticed.
    let drops: BTreeSet<&str> = DropCounter::ALL.iter().map(|c| c.name()).collect();
    let own: BTreeSet<&str> = COUNTER_FAMILIES
        .iter()
        .map(|(field, _, _)| *field)
        .collect();
    assert!(drops.is_disjoint(&own));
    let exported: BTreeSet<&str> = drops.union(&own).copied().collect();
    let status: BTreeSet<&str> = Counters::default().iter().map(|(n, _)| n).collect();
    assert_eq!(exported, status);
}

#[test]
fn counters_priorities_master_tracks_and_peers_have_their_values() {
    let all = samples(&render(&[report("VI_1", State::Backup, 51)]));
    let value = |name: &str, extra: &[(&str, &str)]| {
        let found = sample(&all, name, extra);
        assert_eq!(found.len(), 1, "{name} {extra:?}: {found:?}");
        found[0].2
    };
    assert_eq!(value("vrrp_adverts_sent_total", &[]), 7.0);
    assert_eq!(value("vrrp_adverts_received_total", &[]), 12.0);
    assert_eq!(value("vrrp_master_transitions_total", &[]), 2.0);
    assert_eq!(value("vrrp_base_priority", &[]), 100.0);
    assert_eq!(value("vrrp_effective_priority", &[]), 90.0);
    assert_eq!(value("vrrp_master_info", &[("master", "192.0.2.1")]), 1.0);
    let nginx = [("track", "check_nginx"), ("kind", "script")];
    assert_eq!(value("vrrp_track_up", &nginx), 0.0);
    assert_eq!(value("vrrp_track_weight", &nginx), -10.0);
    let own = [("track", "eth0"), ("kind", "own_interface")];
    assert_eq!(value("vrrp_track_up", &own), 1.0);
    assert_eq!(
        value(
            "vrrp_peer_checksum_form_info",
            &[("peer", "192.0.2.1"), ("form", "v2")]
        ),
        1.0
    );
}

#[test]
fn an_unknown_master_has_no_info_series() {
    let mut r = report("VI_1", State::Initialize, 51);
    r.master = None;
    let all = samples(&render(&[r]));
    assert!(sample(&all, "vrrp_master_info", &[]).is_empty());
}

#[test]
fn label_values_are_escaped() {
    let name = "VI \"quoted\" back\\slash\nnewline";
    let mut r = report(name, State::Master, 51);
    r.tracks[1].name = "check \"x\"".into();
    let text = render(&[r]);
    assert!(
        text.contains(r#"vrrp_instance="VI \"quoted\" back\\slash\nnewline""#),
        "{text}"
    );
    // And every line still parses, the value round-tripping through the escapes.
    let all = samples(&text);
    assert!(all.iter().all(|(_, l, _)| l[INSTANCE_LABEL] == name));
    assert_eq!(
        sample(&all, "vrrp_track_up", &[("track", "check \"x\"")]).len(),
        1
    );
}

#[test]
fn ipv6_routers_are_labelled_ipv6_and_no_routers_give_only_descriptors() {
    let mut r = report("VI_6", State::Backup, 7);
    r.family = "IPv6".into();
    let all = samples(&render(&[r]));
    assert!(all.iter().all(|(_, l, _)| l["family"] == "ipv6"));
    let empty = render(&[]);
    assert!(samples(&empty).is_empty(), "{empty}");
    assert_eq!(types(&empty).len(), 15);
}

#[test]
fn the_hosts_unattributed_drops_are_their_own_families() {
    let u = vrrp_core::UnattributedStatistics {
        unknown_vrid: 7,
        drops: vrrp_core::router::DropCounters {
            packet_length_errors: 3,
            ..Default::default()
        },
    };
    let text = super::render_with_host(&[], Some(&u));
    assert!(
        text.contains("# TYPE vrrp_unknown_vrid_total counter"),
        "{text}"
    );
    assert!(text.contains("\nvrrp_unknown_vrid_total 7\n"), "{text}");
    assert!(
        text.contains("vrrp_unattributed_dropped_total{reason=\"packet_length_errors\"} 3"),
        "{text}"
    );
    assert_eq!(
        text.matches("vrrp_unattributed_dropped_total{").count(),
        vrrp_core::router::DropCounter::ALL.len()
    );
    // Without host counters (an embedder's source), the families are not there.
    assert!(!render(&[]).contains("vrrp_unknown_vrid"));
}
