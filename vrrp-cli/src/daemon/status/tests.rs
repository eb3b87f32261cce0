use std::net::IpAddr;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::Duration;

use vrrp_core::router::{
    DropCounters, Reason, RouterConfig, State, Statistics, TrackId, TrackShare,
};
use vrrp_core::wire::ChecksumForm;
use vrrp_core::{Centiseconds, Family, Priority, Vrid};
use vrrp_io::{RouterSpec, RouterStatus};

use super::*;
use crate::daemon::spec::{Plan, ScriptTrack};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// VI_1 on eth0: its own link up, eth1 (weight 10) up, check_nginx (weight -2) down.
fn vi_1() -> RouterStatus {
    let statistics = Statistics {
        adverts_received: 12,
        drops: DropCounters {
            checksum_errors: 3,
            ..DropCounters::default()
        },
        ..Statistics::default()
    };
    RouterStatus {
        name: "VI_1".into(),
        interface: "eth0".into(),
        family: Family::Ipv4,
        vrid: Vrid::new(51).unwrap(),
        state: State::Backup,
        base_priority: Priority(100),
        effective_priority: Priority(108),
        tracks: vec![
            share(0, 0, true, 0),
            share(1, 10, true, 10),
            share(1000, -2, false, -2),
        ],
        master: Some((ip("192.168.100.10"), Priority(110))),
        last_transition: Some((Duration::from_millis(12_500), Reason::Startup)),
        master_adver_interval: Centiseconds(100),
        peer_checksum_forms: vec![(ip("192.168.100.10"), ChecksumForm::V2)],
        statistics,
        virtual_addresses: vec![ip("192.168.100.12")],
        demoted: false,
        handing_over: false,
    }
}

fn share(id: u32, weight: i16, up: bool, contribution: i32) -> TrackShare {
    TrackShare {
        id: TrackId(id),
        weight,
        up,
        contribution,
    }
}

fn vi_1_plan() -> Plan {
    let config = RouterConfig::new(
        Vrid::new(51).unwrap(),
        ip("192.168.100.2"),
        [ip("192.168.100.12")],
    );
    let mut spec = RouterSpec::new("VI_1", "eth0", config);
    spec.tracked_interfaces.push((TrackId(1), "eth1".into()));
    Plan {
        routers: vec![spec],
        script_tracks: vec![ScriptTrack {
            script: "check_nginx".into(),
            instance: "VI_1".into(),
            id: TrackId(1000),
            reverse: false,
        }],
        process_tracks: vec![ScriptTrack {
            script: "nginx_running".into(),
            instance: "VI_1".into(),
            id: TrackId(2000),
            reverse: false,
        }],
        file_tracks: Vec::new(),
    }
}

fn vi_1_report() -> RouterReport {
    RouterReport::new(&vi_1(), &TrackNames::from_plan(&vi_1_plan()))
}

#[test]
fn track_names_come_from_the_plan() {
    let names = TrackNames::from_plan(&vi_1_plan());
    assert_eq!(
        names.get("VI_1", TrackId(2000)),
        Some(("nginx_running", TrackKind::Process))
    );
    assert_eq!(
        names.get("VI_1", TrackId(0)),
        Some(("eth0", TrackKind::OwnInterface))
    );
    assert_eq!(
        names.get("VI_1", TrackId(1)),
        Some(("eth1", TrackKind::Interface))
    );
    assert_eq!(
        names.get("VI_1", TrackId(1000)),
        Some(("check_nginx", TrackKind::Script))
    );
    assert_eq!(names.get("VI_2", TrackId(0)), None);
}

#[test]
fn json_keeps_every_existing_field_and_names_the_tracks() {
    let json = serde_json::to_value(vi_1_report()).unwrap();
    assert_eq!(json["name"], "VI_1");
    assert_eq!(json["interface"], "eth0");
    assert_eq!(json["family"], "IPv4");
    assert_eq!(json["vrid"], 51);
    assert_eq!(json["state"], "backup");
    assert_eq!(json["base_priority"], 100);
    assert_eq!(json["effective_priority"], 108);
    assert_eq!(json["master"], "192.168.100.10");
    assert_eq!(json["master_priority"], 110);
    assert_eq!(json["last_transition"]["seconds_ago"], 12.5);
    assert_eq!(
        json["last_transition"]["reason"],
        "started, waiting for a master"
    );
    assert_eq!(json["advert_interval_cs"], 100);
    assert_eq!(json["peers"][0]["address"], "192.168.100.10");
    assert_eq!(json["peers"][0]["checksum_form"], "v2");
    assert_eq!(json["virtual_addresses"][0], "192.168.100.12");
    assert_eq!(json["counters"]["adverts_received"], 12);
    assert_eq!(json["counters"]["checksum_errors"], 3);
    assert_eq!(json["counters"]["unknown_unicast_source"], 0);
    let tracks = json["tracks"].as_array().unwrap();
    assert_eq!(
        tracks[0],
        serde_json::json!({"id": 0, "name": "eth0", "kind": "own_interface",
                           "weight": 0, "up": true, "contribution": 0})
    );
    assert_eq!(tracks[1]["name"], "eth1");
    assert_eq!(tracks[1]["kind"], "interface");
    assert_eq!(tracks[2]["name"], "check_nginx");
    assert_eq!(tracks[2]["kind"], "script");
    assert_eq!(tracks[2]["contribution"], -2);
}

#[test]
fn a_master_without_peers_reports_nulls_not_missing_keys() {
    let mut r = vi_1();
    r.master = None;
    r.last_transition = None;
    let json = serde_json::to_value(RouterReport::new(&r, &TrackNames::default())).unwrap();
    assert!(json["master"].is_null() && json.get("master").is_some());
    assert!(json["master_priority"].is_null() && json.get("master_priority").is_some());
    assert!(json["last_transition"].is_null() && json.get("last_transition").is_some());
}

#[test]
fn the_json_round_trips() {
    let report = vi_1_report();
    let text = serde_json::to_string(&[&report]).unwrap();
    let back: Vec<RouterReport> = serde_json::from_str(&text).unwrap();
    assert_eq!(back, [report]);
}

#[test]
fn a_reply_without_track_names_still_parses() {
    // What a daemon before track names sent.
    let old = r#"[{"name":"VI_1","interface":"eth0","family":"IPv4","vrid":51,
        "state":"master","base_priority":100,"effective_priority":100,
        "tracks":[{"id":1000,"weight":-2,"up":true,"contribution":0}],
        "master":"10.0.0.1","master_priority":100,"last_transition":null,
        "advert_interval_cs":100,"peers":[],"virtual_addresses":["10.0.0.9"],
        "counters":{"adverts_sent":7,"a_future_counter":1}}]"#;
    let routers: Vec<RouterReport> = serde_json::from_str(old).unwrap();
    assert_eq!(routers[0].tracks[0].kind, TrackKind::Unknown);
    assert_eq!(routers[0].counters.adverts_sent, 7);
    let later = r#"{"id":1,"name":"x","kind":"bgp_session","weight":0,"up":true,"contribution":0}"#;
    let t: TrackReport = serde_json::from_str(later).unwrap();
    assert_eq!(
        t.kind,
        TrackKind::Unknown,
        "an unknown kind is not an error"
    );
}

#[test]
fn counters_list_every_json_key_once() {
    let json = serde_json::to_value(Counters::default()).unwrap();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    let listed: Vec<&str> = Counters::default().iter().map(|(k, _)| k).collect();
    assert_eq!(keys.len(), 19);
    assert_eq!(listed.len(), keys.len());
    for k in keys {
        assert!(listed.contains(&k.as_str()), "{k} is not printed");
    }
}

#[test]
fn a_track_that_faults_the_router_is_named_in_the_reason() {
    let mut r = vi_1();
    r.state = State::Fault;
    r.tracks[1] = share(1, 0, false, 0);
    r.last_transition = Some((Duration::from_secs(1), Reason::TrackDown(TrackId(1))));
    let report = RouterReport::new(&r, &TrackNames::from_plan(&vi_1_plan()));
    let reason = &report.last_transition.unwrap().reason;
    assert_eq!(reason, "interface eth1 is down (weight 0)");
}

#[test]
fn text_status_names_tracks_and_explains_priority() {
    let mut r = vi_1();
    r.tracks.push(share(2, 0, false, 0));
    let mut names = TrackNames::from_plan(&vi_1_plan());
    names.insert("VI_1", TrackId(2), "eth2".into(), TrackKind::Interface);
    let mut out = Vec::new();
    render_text(&[RouterReport::new(&r, &names)], &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    for line in [
        "VI_1 (eth0 IPv4 VRID 51): BACKUP",
        "  priority 108 = base 100 +10 (interface eth1 up, weight 10) \
         -2 (script check_nginx down, weight -2) [FAULT: interface eth2 down]",
        "  track own interface eth0: up, weight 0 (fault while down)",
        "  track interface eth1: up, weight +10, counts +10",
        "  track script check_nginx: down, weight -2, counts -2",
        "  track interface eth2: down, weight 0 (fault while down)",
        "  master 192.168.100.10 (priority 110)",
        "  last change 12.5s ago: started, waiting for a master",
        "  peer 192.168.100.10 checksum form v2",
        "  counters adverts_received=12 checksum_errors=3",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "no line {line:?} in:\n{text}"
        );
    }
    assert!(!text.contains("1000"), "no bare track ids: {text}");
}

#[test]
fn an_unnamed_track_is_labelled_with_its_id() {
    let report = RouterReport::new(&vi_1(), &TrackNames::default());
    assert_eq!(report.tracks[2].name, "id 1000");
    assert_eq!(report.tracks[2].kind, TrackKind::Unknown);
}

#[test]
fn no_routers_say_so() {
    let mut out = Vec::new();
    render_text(&[], &mut out).unwrap();
    assert_eq!(out, b"no virtual routers\n");
}

#[test]
fn json_output_is_one_array_on_one_line() {
    let mut out = Vec::new();
    write_json(&[vi_1_report()], &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 1);
    assert!(text.starts_with("[{") && text.ends_with("}]\n"), "{text}");
}

#[test]
fn shared_names_are_replaced_for_every_clone() {
    let shared = SharedTrackNames::new(TrackNames::default());
    let server_side = shared.clone();
    shared.replace(TrackNames::from_plan(&vi_1_plan()));
    let found = server_side.with(|n| n.get("VI_1", TrackId(1000)).map(|(n, _)| n.to_owned()));
    assert_eq!(found.as_deref(), Some("check_nginx"));
}

#[test]
fn the_default_socket_depends_on_the_named_network_namespace() {
    assert_eq!(
        default_socket_for(None),
        std::path::Path::new(DEFAULT_SOCKET)
    );
    assert_eq!(
        default_socket_for(Some("blue")),
        std::path::Path::new("/run/vrrp/netns/blue.sock")
    );
}

#[test]
fn the_namespace_name_is_the_entry_with_the_same_inode() {
    // Stand-ins for /run/netns/{blue,red} and /proc/self/ns/net: plain files, compared by
    // device and inode as `ip netns identify` does.
    let dir = tempfile::tempdir().unwrap();
    let netns = dir.path().join("netns");
    std::fs::create_dir(&netns).unwrap();
    std::fs::write(netns.join("blue"), "").unwrap();
    std::fs::write(netns.join("red"), "").unwrap();
    let own = dir.path().join("own");
    std::fs::hard_link(netns.join("red"), &own).unwrap();
    assert_eq!(socket::netns_name(&own, &netns).as_deref(), Some("red"));
    let elsewhere = dir.path().join("elsewhere");
    std::fs::write(&elsewhere, "").unwrap();
    assert_eq!(socket::netns_name(&elsewhere, &netns), None);
    assert_eq!(socket::netns_name(&own, &dir.path().join("missing")), None);
}

#[test]
fn a_live_status_socket_is_refused_and_a_stale_one_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run").join("vrrp.sock");
    let live = bind(&path).expect("creates the directory and the socket");
    let err = bind(&path).expect_err("a running daemon answers there");
    assert!(matches!(err, BindError::InUse { .. }), "{err}");
    assert_eq!(
        std::io::Error::from(err).kind(),
        std::io::ErrorKind::AddrInUse
    );
    assert!(
        UnixStream::connect(&path).is_ok(),
        "the live socket still works"
    );
    drop(live);
    assert!(!path.exists(), "a daemon removes its own socket");
    // A daemon that died without cleaning up leaves a socket nobody answers on.
    drop(UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let socket = bind(&path).expect("a stale socket file is replaced");
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777,
        0o660
    );
    assert!(socket.remove_if_ours().unwrap());
}

#[test]
fn a_file_that_is_not_a_socket_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("precious.txt");
    std::fs::write(&path, "keep me").unwrap();
    let err = bind(&path).expect_err("a regular file is not a stale socket");
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "{} exists and is not a socket; refusing to replace it",
            path.display()
        )),
        "{text}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
    let link = dir.path().join("link.sock");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    assert!(matches!(bind(&link), Err(BindError::NotASocket { .. })));
}

#[test]
fn a_socket_replaced_by_someone_else_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vrrp.sock");
    let ours = bind(&path).unwrap();
    // Someone deleted ours and another daemon bound the same path.
    std::fs::remove_file(&path).unwrap();
    let theirs = UnixListener::bind(&path).unwrap();
    assert!(!ours.remove_if_ours().unwrap());
    assert!(path.exists(), "the other daemon's socket stays");
    drop(theirs);
}

#[test]
fn permission_errors_name_the_way_out() {
    let err = BindError::CreateDir {
        dir: "/run/vrrp".into(),
        source: std::io::ErrorKind::PermissionDenied.into(),
    };
    let text = err.to_string();
    assert!(text.contains("/run/vrrp"), "{text}");
    assert!(
        text.contains("pass --status-socket PATH in a directory you can write, e.g. "),
        "{text}"
    );
    assert!(text.contains("vrrp.sock"), "{text}");
}
