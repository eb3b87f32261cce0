//! Fake routers for the servers of `vrrp run` (status socket, metrics) tested without an
//! event loop: a status source and the track names that go with it.
#![allow(dead_code)]
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::net::IpAddr;
use std::time::Duration;

use vrrp_cli::daemon::status::{SharedTrackNames, TrackKind, TrackNames};
use vrrp_core::router::{DropCounters, Reason, State, Statistics, TrackId, TrackShare};
use vrrp_core::wire::ChecksumForm;
use vrrp_core::{Centiseconds, Family, Priority, Vrid};
use vrrp_io::RouterStatus;

/// Router `i` (master if 0, else backup) with a tracked script `check_nginx` and `vips`
/// virtual addresses (to make replies big).
pub fn router(i: usize, vips: usize) -> RouterStatus {
    let vrid = u8::try_from(i % 255 + 1).unwrap();
    RouterStatus {
        name: format!("VI_{i}"),
        interface: "eth0".into(),
        family: Family::Ipv4,
        vrid: Vrid::new(vrid).unwrap(),
        state: if i == 0 { State::Master } else { State::Backup },
        base_priority: Priority(100),
        effective_priority: Priority(100),
        tracks: vec![TrackShare {
            id: TrackId(1000),
            weight: -20,
            up: true,
            contribution: 0,
        }],
        master: Some(("192.0.2.1".parse().unwrap(), Priority(100))),
        last_transition: Some((Duration::from_secs(3), Reason::Startup)),
        master_adver_interval: Centiseconds(100),
        peer_checksum_forms: vec![("192.0.2.2".parse().unwrap(), ChecksumForm::V2)],
        statistics: Statistics {
            adverts_sent: 40,
            drops: DropCounters {
                ip_ttl_errors: 2,
                ..DropCounters::default()
            },
            ..Statistics::default()
        },
        virtual_addresses: (0..vips)
            .map(|v| IpAddr::from([10, (v >> 8) as u8, v as u8, vrid]))
            .collect(),
        demoted: false,
        handing_over: false,
    }
}

/// `n` routers with `vips` addresses each, and their track names.
pub fn routers(n: usize, vips: usize) -> (Vec<RouterStatus>, SharedTrackNames) {
    let fake: Vec<RouterStatus> = (0..n).map(|i| router(i, vips)).collect();
    let mut names = TrackNames::default();
    for r in &fake {
        names.insert(
            &r.name,
            TrackId(1000),
            "check_nginx".into(),
            TrackKind::Script,
        );
    }
    (fake, SharedTrackNames::new(names))
}
