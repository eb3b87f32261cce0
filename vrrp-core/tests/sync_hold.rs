//! What a sync group asks of one router: takeovers held until released, and stepping
//! down from Master on the group's word.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

#[path = "common/pair.rs"]
mod pair;

use pair::*;
use vrrp_core::router::{Event, Output, Reason, State, VirtualRouter};
use vrrp_core::Instant;

#[test]
fn a_held_router_waits_past_its_down_timer_and_takes_over_when_released() {
    let mut vr = VirtualRouter::new(config(2, 100), Instant::ZERO).unwrap();
    vr.hold_takeover(Instant::ZERO, true);
    let down = vr.poll_timeout().unwrap();
    vr.handle_timeout(down);
    let outs = drain(&mut vr);
    assert_eq!(vr.state(), State::Backup);
    assert!(vr.wants_master());
    assert!(outs
        .iter()
        .any(|o| matches!(o, Output::Event(Event::TakeoverHeld))));
    assert!(adverts(&outs).is_empty(), "no advert while held");
    // Nothing more to wake up for until released.
    assert_eq!(vr.poll_timeout(), None);
    let later = at(down.as_micros() + 30 * SECOND);
    vr.hold_takeover(later, false);
    let outs = drain(&mut vr);
    assert_eq!(vr.state(), State::Master);
    assert_eq!(adverts(&outs), vec![100]);
    assert!(outs.iter().any(|o| matches!(
        o,
        Output::Event(Event::StateChanged {
            reason: Reason::MasterDown { .. },
            ..
        })
    )));
}

#[test]
fn a_master_heard_while_held_cancels_the_takeover() {
    let (mut master, mut backup, now) = pair(150, 100);
    backup.hold_takeover(now, true);
    // The master goes quiet: the backup's timer fires, held.
    let down = backup.poll_timeout().unwrap();
    backup.handle_timeout(down);
    drain(&mut backup);
    assert!(backup.wants_master());
    // The master is heard again: the backup is no longer ready, and a release
    // changes nothing.
    let t = master.poll_timeout().unwrap().max(down);
    master.handle_timeout(t);
    let outs = drain(&mut master);
    deliver(&outs, &master, &mut backup, t);
    assert!(!backup.wants_master());
    backup.hold_takeover(t, false);
    assert_eq!(backup.state(), State::Backup);
    assert!(backup.poll_timeout().is_some(), "down timer running again");
}

#[test]
fn step_down_says_priority_zero_releases_the_addresses_and_waits_as_backup() {
    let (mut master, mut backup, now) = pair(150, 100);
    master.step_down(now);
    let outs = drain(&mut master);
    assert_eq!(master.state(), State::Backup);
    assert_eq!(adverts(&outs), vec![0]);
    assert_eq!(address_work(&outs), vec![('-', vec![(vip(1), 32)])]);
    assert!(outs.iter().any(|o| matches!(
        o,
        Output::Event(Event::StateChanged {
            from: State::Master,
            to: State::Backup,
            reason: Reason::SyncGroup
        })
    )));
    // Its peer takes over after Skew_Time, not Master_Down_Interval.
    deliver(&outs, &master, &mut backup, now);
    let takeover = backup.poll_timeout().unwrap();
    assert_eq!(
        takeover.as_micros() - now.as_micros(),
        backup.skew_time_micros()
    );
    // A backup is left alone.
    let before = backup.state();
    backup.step_down(now);
    assert_eq!(backup.state(), before);
}
