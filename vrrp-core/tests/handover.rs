//! `VirtualRouter::hand_over` and `resume`: a planned handover that loses nothing. The
//! old master keeps its addresses until its successor has advertised and had
//! `HANDOVER_RELEASE_DELAY` to announce them, then stays demoted until resumed.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

#[path = "common/pair.rs"]
mod pair;

use std::time::Duration;

use pair::*;
use vrrp_core::router::{
    Event, HandoverError, HandoverStart, Output, Reason, State, HANDOVER_RELEASE_DELAY,
};
use vrrp_core::Priority;

#[test]
fn the_old_master_keeps_the_addresses_until_its_successor_has_announced_them() {
    let (mut old, mut new, now) = pair(150, 100);
    assert_eq!(old.hand_over(now), Ok(HandoverStart::HandingOver));
    let outs = drain(&mut old);
    assert_eq!(
        adverts(&outs),
        vec![0],
        "priority 0: backups take over after Skew_Time"
    );
    assert!(address_work(&outs).is_empty(), "addresses kept: {outs:?}");
    assert_eq!(old.state(), State::Master);
    deliver(&outs, &old, &mut new, now);

    // The backup takes over after its Skew_Time and advertises at once.
    let takeover = new.poll_timeout().unwrap();
    assert_eq!(
        takeover - now,
        Duration::from_micros(new.skew_time_micros())
    );
    new.handle_timeout(takeover);
    let outs = drain(&mut new);
    assert_eq!(new.state(), State::Master);
    deliver(&outs, &new, &mut old, takeover);
    // Still master with its addresses: the successor's announcements are under way.
    assert_eq!(old.state(), State::Master);
    let outs = drain(&mut old);
    assert!(
        address_work(&outs).is_empty() && adverts(&outs).is_empty(),
        "{outs:?}"
    );
    assert_eq!(old.poll_timeout(), Some(takeover + HANDOVER_RELEASE_DELAY));
    old.handle_timeout(takeover + HANDOVER_RELEASE_DELAY);
    let outs = drain(&mut old);
    assert_eq!(address_work(&outs), vec![('-', vec![(vip(1), 32)])]);
    assert_eq!(state_changes(&outs), vec![(State::Master, State::Backup)]);
    assert!(matches!(
        old.last_transition(),
        Some((_, Reason::HandedOver { to })) if to == host(2)
    ));
    assert!(old.is_demoted());
    assert_eq!(old.effective_priority(), Priority(1));
}

#[test]
fn a_demoted_router_does_not_preempt_until_resumed_then_does() {
    let (mut old, mut new, now) = pair(150, 100);
    old.hand_over(now).unwrap();
    run_collect(&mut old, &mut new, now, now + Duration::from_secs(10));
    let later = now + Duration::from_secs(10);
    assert_eq!((old.state(), new.state()), (State::Backup, State::Master));
    // Demoted: priority 1, so the master's adverts (100) are never preempted.
    run_collect(&mut old, &mut new, later, later + Duration::from_secs(10));
    assert_eq!((old.state(), new.state()), (State::Backup, State::Master));
    let later = later + Duration::from_secs(10);
    old.resume(later);
    assert!(!old.is_demoted());
    assert_eq!(old.effective_priority(), Priority(150));
    run_collect(&mut old, &mut new, later, later + Duration::from_secs(10));
    assert_eq!((old.state(), new.state()), (State::Master, State::Backup));
}

#[test]
fn a_demoted_router_still_takes_over_when_no_one_else_is_left() {
    let (mut old, mut new, now) = pair(150, 100);
    old.hand_over(now).unwrap();
    run_collect(&mut old, &mut new, now, now + Duration::from_secs(5));
    assert_eq!(old.state(), State::Backup);
    // The new master dies silently: the demoted router is the last one standing.
    let later = now + Duration::from_secs(5);
    let deadline = old.poll_timeout().unwrap();
    assert!(deadline > later);
    old.handle_timeout(deadline);
    assert_eq!(old.state(), State::Master);
    assert_eq!(adverts(&drain(&mut old)), vec![1]);
}

#[test]
fn a_handover_no_backup_answers_leaves_a_demoted_master() {
    let (mut lone, now) = lone_master(config(1, 150));
    lone.hand_over(now).unwrap();
    drain(&mut lone);
    let mut t = now;
    let mut events = Vec::new();
    while t < now + Duration::from_secs(10) {
        t = lone.poll_timeout().unwrap();
        lone.handle_timeout(t);
        events.extend(drain(&mut lone));
    }
    assert_eq!(lone.state(), State::Master);
    assert!(!lone.is_handing_over());
    assert!(events
        .iter()
        .any(|o| matches!(o, Output::Event(Event::HandoverUnanswered))));
    // Priority 0 until it gave up, then priority 1 (demoted): a backup that appears
    // takes over.
    let sent = adverts(&events);
    let first_one = sent.iter().position(|&p| p == 1).unwrap();
    assert!(sent[..first_one].iter().all(|&p| p == 0), "{sent:?}");
    assert!(sent[first_one..].iter().all(|&p| p == 1), "{sent:?}");
}

#[test]
fn a_backup_is_demoted_only_and_the_owner_cannot_hand_over() {
    let (_master, mut backup, now) = pair(150, 100);
    assert_eq!(backup.hand_over(now), Ok(HandoverStart::Demoted));
    assert_eq!(backup.state(), State::Backup);
    assert_eq!(backup.effective_priority(), Priority(1));
    let (mut owner, now) = lone_master(config(1, 255));
    assert_eq!(owner.hand_over(now), Err(HandoverError::AddressOwner));
    assert!(!owner.is_demoted());
}

#[test]
fn resume_cancels_a_handover_in_progress() {
    let (mut old, _new, now) = pair(150, 100);
    old.hand_over(now).unwrap();
    drain(&mut old);
    old.resume(now);
    let outs = drain(&mut old);
    assert_eq!(adverts(&outs), vec![150]);
    assert!(!old.is_handing_over());
    assert_eq!(old.state(), State::Master);
}
