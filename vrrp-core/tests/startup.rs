//! Start-up without the RFC's race (`StartupWait`): two routers started 50 ms apart, the
//! lower priority first. With the plain Master_Down_Interval the lower one takes over
//! first (the intervals differ by 19.5 ms) and advertises until preempted; with the race-
//! free spread it never advertises at all.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

#[path = "common/pair.rs"]
mod pair;

use std::time::Duration;

use pair::*;
use vrrp_core::router::{Output, RouterConfig, StartupWait, State, VirtualRouter};
use vrrp_core::{Centiseconds, Instant, Priority};

fn at_100ms(host_last: u8, priority: u8, startup: StartupWait) -> RouterConfig {
    let mut c = config(host_last, priority);
    c.advert_interval = Centiseconds(10);
    c.startup = startup;
    c
}

/// Starts the low router at 0 and the high one 50 ms later, runs both for 3 s, and
/// returns how many adverts the low one sent and both states.
fn start_together(startup: StartupWait) -> (usize, State, State) {
    let mut low = VirtualRouter::new(at_100ms(1, 100, startup), Instant::ZERO).unwrap();
    drain(&mut low);
    let skew = Instant::ZERO + Duration::from_millis(50);
    let mut high = VirtualRouter::new(at_100ms(2, 150, startup), skew).unwrap();
    drain(&mut high);
    let mut low_adverts = 0;
    let end = Instant::ZERO + Duration::from_secs(3);
    loop {
        let next = [low.poll_timeout(), high.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        let Some(now) = next.filter(|&t| t <= end) else {
            break;
        };
        low.handle_timeout(now);
        let outs = drain(&mut low);
        low_adverts += outs
            .iter()
            .filter(|o| matches!(o, Output::Transmit(_)))
            .count();
        deliver(&outs, &low, &mut high, now);
        high.handle_timeout(now);
        let outs = drain(&mut high);
        deliver(&outs, &high, &mut low, now);
        low_adverts += drain(&mut low)
            .iter()
            .filter(|o| matches!(o, Output::Transmit(_)))
            .count();
    }
    (low_adverts, low.state(), high.state())
}

#[test]
fn with_the_plain_interval_the_first_started_lower_router_advertises() {
    let (low_adverts, low, high) = start_together(StartupWait::default());
    assert!(low_adverts > 0, "the race this guards against");
    assert_eq!((low, high), (State::Backup, State::Master));
}

#[test]
fn with_the_spread_the_lower_router_never_advertises() {
    let (low_adverts, low, high) = start_together(StartupWait::RACE_FREE);
    assert_eq!(low_adverts, 0);
    assert_eq!((low, high), (State::Backup, State::Master));
}

#[test]
fn the_wait_is_the_delay_plus_the_spread_scaled_by_priority() {
    let wait = StartupWait {
        delay: Duration::from_secs(2),
        spread: Duration::from_millis(2550),
    };
    assert_eq!(wait.extra(Priority(255)), Duration::from_secs(2));
    assert_eq!(wait.extra(Priority(155)), Duration::from_secs(3));
    let mut lone = VirtualRouter::new(at_100ms(1, 155, wait), Instant::ZERO).unwrap();
    let mdi = Duration::from_micros(lone.master_down_interval_micros());
    assert_eq!(
        lone.poll_timeout(),
        Some(Instant::ZERO + mdi + Duration::from_secs(3))
    );
    drain(&mut lone);
}
