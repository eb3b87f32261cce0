//! `VirtualRouter::reconfigure`: a reload applied in place. What a keepalived user relies
//! on: a reload never fails over by itself, only the addresses that changed move, and the
//! election afterwards follows the RFC's rules with the new values.
//!
//! Two VRRPv3 routers on 10.0.0.1 and 10.0.0.2 (VIPs 10.0.1.x, 1 s adverts) talk
//! directly: each advert one sends is handed to the other.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

#[path = "common/pair.rs"]
mod pair;

use std::net::IpAddr;

use pair::*;
use vrrp_core::router::{
    ConfigError, Event, Output, Reason, ReconfigureError, RouterConfig, State, TrackConfig, TrackId,
};
use vrrp_core::{Centiseconds, Family, Priority, Version, VirtualAddress, Vrid};

const SCRIPT: TrackId = TrackId(1000);

#[test]
fn an_unchanged_configuration_changes_nothing_and_says_nothing() {
    let (mut master, now) = lone_master(config(1, 100));
    let sent = master.statistics().adverts_sent;
    master.reconfigure(now, config(1, 100)).unwrap();
    assert!(drain(&mut master).is_empty());
    assert_eq!(master.state(), State::Master);
    assert_eq!(master.statistics().adverts_sent, sent);
}

#[test]
fn a_master_whose_priority_changes_stays_master_and_advertises_it_at_once() {
    let (mut master, mut backup, now) = pair(100, 50);
    let transitions = master.statistics().master_transitions;
    master.reconfigure(now, config(1, 90)).unwrap();
    let outs = drain(&mut master);
    assert_eq!(state_changes(&outs), vec![]);
    assert_eq!(adverts(&outs), vec![90]);
    assert!(address_work(&outs).is_empty(), "{outs:?}");
    assert!(outs.iter().any(|o| matches!(
        o,
        Output::Event(Event::PriorityChanged {
            from: Priority(100),
            to: Priority(90)
        })
    )));
    deliver(&outs, &master, &mut backup, now);
    assert_eq!(backup.current_master(), Some((host(1), Priority(90))));
    // Counters carry over: the reload is not a restart.
    assert_eq!(master.statistics().master_transitions, transitions);
    run(&mut master, &mut backup, now, 10);
    assert_eq!(
        (master.state(), backup.state()),
        (State::Master, State::Backup)
    );
}

#[test]
fn a_master_lowered_below_a_preempting_backup_loses_by_the_rfc_rules() {
    let (mut master, mut backup, now) = pair(100, 50);
    master.reconfigure(now, config(1, 40)).unwrap();
    let outs = drain(&mut master);
    assert_eq!(state_changes(&outs), vec![]);
    deliver(&outs, &master, &mut backup, now);
    // The backup ignores a lower master (preempt) and takes over when its down timer
    // ends; the old master hears the higher priority and steps down.
    run(&mut master, &mut backup, now, 5);
    assert_eq!(
        (master.state(), backup.state()),
        (State::Backup, State::Master)
    );
}

#[test]
fn a_backup_raised_above_the_master_preempts_it() {
    let (mut master, mut backup, now) = pair(100, 50);
    backup.reconfigure(now, config(2, 150)).unwrap();
    assert_eq!(state_changes(&drain(&mut backup)), vec![]);
    assert_eq!(backup.state(), State::Backup);
    run(&mut master, &mut backup, now, 5);
    assert_eq!(
        (master.state(), backup.state()),
        (State::Backup, State::Master)
    );
}

#[test]
fn a_backup_without_preempt_raised_above_the_master_stays_backup() {
    let (mut master, mut backup, now) = pair(100, 50);
    let mut raised = config(2, 150);
    raised.preempt = false;
    backup.reconfigure(now, raised).unwrap();
    run(&mut master, &mut backup, now, 10);
    assert_eq!(
        (master.state(), backup.state()),
        (State::Master, State::Backup)
    );
}

#[test]
fn a_master_adds_and_releases_only_the_addresses_that_changed() {
    let mut before = config(1, 100);
    before.virtual_addresses = vec![vip(1).into(), vip(2).into()];
    let (mut master, now) = lone_master(before);
    let mut after = config(1, 100);
    after.virtual_addresses = vec![vip(2).into(), vip(3).into()];
    master.reconfigure(now, after).unwrap();
    let outs = drain(&mut master);
    assert_eq!(
        address_work(&outs),
        vec![
            ('+', vec![(vip(3), 32)]),
            ('!', vec![(vip(3), 32)]),
            ('-', vec![(vip(1), 32)]),
        ]
    );
    // The advert carries the new list, sent at once so backups do not report a mismatch.
    assert_eq!(adverts(&outs), vec![100]);
    let Some(Output::Transmit(t)) = outs.iter().find(|o| matches!(o, Output::Transmit(_))) else {
        unreachable!()
    };
    assert_eq!(t.payload[3], 2, "address count");
    assert_eq!(state_changes(&outs), vec![]);
    // A later takeover adds the whole new list.
    master.shutdown(now);
    let outs = drain(&mut master);
    assert_eq!(
        address_work(&outs),
        vec![('-', vec![(vip(2), 32), (vip(3), 32)])]
    );
}

#[test]
fn a_changed_prefix_adds_the_new_form_before_releasing_the_old() {
    let (mut master, now) = lone_master(config(1, 100));
    let mut after = config(1, 100);
    after.virtual_addresses = vec![VirtualAddress::with_prefix(vip(1), 24)];
    master.reconfigure(now, after).unwrap();
    assert_eq!(
        address_work(&drain(&mut master)),
        vec![
            ('+', vec![(vip(1), 24)]),
            ('!', vec![(vip(1), 24)]),
            ('-', vec![(vip(1), 32)]),
        ]
    );
}

#[test]
fn a_backup_touches_no_address_when_its_list_changes() {
    let (_master, mut backup, now) = pair(100, 50);
    let mut after = config(2, 50);
    after.virtual_addresses.push(vip(9).into());
    backup.reconfigure(now, after).unwrap();
    let outs = drain(&mut backup);
    assert!(address_work(&outs).is_empty(), "{outs:?}");
    assert!(adverts(&outs).is_empty());
}

#[test]
fn a_track_keeps_its_state_through_a_reload_of_the_same_file() {
    // The file says the script starts up; it has failed since. Reloading the same file
    // must not bring its weight back (keepalived keeps script states over a reload).
    let with_script = |up| {
        let mut c = config(1, 100);
        c.tracks = vec![TrackConfig {
            id: SCRIPT,
            weight: -20,
            initially_up: up,
        }];
        c
    };
    let (mut master, now) = lone_master(with_script(true));
    master.set_track(now, SCRIPT, false);
    drain(&mut master);
    assert_eq!(master.effective_priority(), Priority(80));
    master.reconfigure(now, with_script(true)).unwrap();
    assert!(drain(&mut master).is_empty());
    assert_eq!(master.effective_priority(), Priority(80));
}

#[test]
fn track_weights_and_new_tracks_apply_and_a_removed_track_stops_counting() {
    let track = |weight, up| TrackConfig {
        id: SCRIPT,
        weight,
        initially_up: up,
    };
    let mut c = config(1, 100);
    c.tracks = vec![track(-20, false)];
    let (mut master, now) = lone_master(c.clone());
    assert_eq!(master.effective_priority(), Priority(80));
    c.tracks = vec![track(-30, true)]; // `initially_up` of a kept track is ignored
    master.reconfigure(now, c.clone()).unwrap();
    assert_eq!(master.effective_priority(), Priority(70));
    c.tracks.clear();
    master.reconfigure(now, c).unwrap();
    assert_eq!(master.effective_priority(), Priority(100));
    assert_eq!(master.state(), State::Master);
}

#[test]
fn a_new_weight_zero_track_that_is_down_faults_and_removing_it_recovers() {
    let (mut master, now) = lone_master(config(1, 100));
    let mut c = config(1, 100);
    c.tracks = vec![TrackConfig {
        id: SCRIPT,
        weight: 0,
        initially_up: false,
    }];
    master.reconfigure(now, c).unwrap();
    let outs = drain(&mut master);
    assert_eq!(master.state(), State::Fault);
    assert_eq!(
        adverts(&outs),
        vec![0],
        "priority 0: the backup takes over at once"
    );
    assert_eq!(address_work(&outs), vec![('-', vec![(vip(1), 32)])]);
    master.reconfigure(now, config(1, 100)).unwrap();
    assert_eq!(master.state(), State::Backup);
    assert_eq!(
        state_changes(&drain(&mut master)),
        vec![(State::Fault, State::Backup)]
    );
}

#[test]
fn a_backup_that_becomes_the_address_owner_takes_over_at_once() {
    let (_master, mut backup, now) = pair(100, 50);
    backup.reconfigure(now, config(2, 255)).unwrap();
    assert_eq!(backup.state(), State::Master);
    let outs = drain(&mut backup);
    assert_eq!(adverts(&outs), vec![255]);
    assert!(matches!(
        backup.last_transition(),
        Some((_, Reason::AddressOwner))
    ));
}

#[test]
fn an_interval_change_is_advertised_and_used_at_once() {
    let (mut master, mut backup, now) = pair(100, 50);
    let mut fast = config(1, 100);
    fast.advert_interval = Centiseconds(10);
    master.reconfigure(now, fast).unwrap();
    let outs = drain(&mut master);
    assert_eq!(adverts(&outs), vec![100]);
    deliver(&outs, &master, &mut backup, now);
    // A VRRPv3 backup learns the master's interval from its advert.
    assert_eq!(backup.master_adver_interval(), Centiseconds(10));
    let next = master.poll_timeout().unwrap();
    assert!(next - now <= std::time::Duration::from_millis(100));
    run(&mut master, &mut backup, now, 3);
    assert_eq!(
        (master.state(), backup.state()),
        (State::Master, State::Backup)
    );
    assert!(master.statistics().adverts_sent > 25);
}

#[test]
fn another_vrid_version_or_family_is_refused_and_changes_nothing() {
    let (mut master, now) = lone_master(config(1, 100));
    let mut other = config(1, 100);
    other.vrid = Vrid::new(52).unwrap();
    assert!(matches!(
        master.reconfigure(now, other),
        Err(ReconfigureError::VridChanged { .. })
    ));
    let mut other = config(1, 100);
    other.version = Version::V2;
    assert!(matches!(
        master.reconfigure(now, other),
        Err(ReconfigureError::VersionChanged { .. })
    ));
    let other = RouterConfig::new(
        Vrid::new(51).unwrap(),
        "fe80::1".parse::<IpAddr>().unwrap(),
        vec!["2001:db8::1".parse::<IpAddr>().unwrap()],
    );
    assert_eq!(
        master.reconfigure(now, other),
        Err(ReconfigureError::FamilyChanged {
            running: Family::Ipv4,
            new: Family::Ipv6
        })
    );
    let mut invalid = config(1, 100);
    invalid.virtual_addresses.clear();
    assert_eq!(
        master.reconfigure(now, invalid),
        Err(ReconfigureError::Invalid(ConfigError::NoVirtualAddresses))
    );
    assert!(drain(&mut master).is_empty());
    assert_eq!(master.config(), &config(1, 100));
    assert_eq!(master.state(), State::Master);
}

#[test]
fn a_reload_mid_election_keeps_the_backup_timer() {
    // A backup that has heard its master keeps the master-down deadline the master's last
    // advert set: a reload must not postpone a takeover nor cause one.
    let (_master, mut backup, now) = pair(100, 50);
    let deadline = backup.poll_timeout().unwrap();
    backup
        .reconfigure(at(now.as_micros() + SECOND / 2), config(2, 60))
        .unwrap();
    assert_eq!(backup.poll_timeout(), Some(deadline));
}
