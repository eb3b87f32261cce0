//! Two VRRPv3 routers on 10.0.0.1 and 10.0.0.2 (VIPs 10.0.1.x, 1 s adverts) that talk
//! directly: each advert one sends is handed to the other at once. For tests of what a
//! pair does over time (reloads, handovers) without the simulator's machinery.
//! Included by path (not through `common`, which the fuzz seed also includes without the
//! `alloc` feature).
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};

use vrrp_core::router::{Event, Output, RouterConfig, State, VirtualRouter};
use vrrp_core::wire::{RxMeta, REQUIRED_HOP_LIMIT};
use vrrp_core::{Instant, Priority, VirtualAddress, Vrid};

pub const SECOND: u64 = 1_000_000;

pub fn vip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 1, last))
}

pub fn host(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
}

pub fn config(host_last: u8, priority: u8) -> RouterConfig {
    let mut c = RouterConfig::new(Vrid::new(51).unwrap(), host(host_last), vec![vip(1)]);
    c.priority = Priority(priority);
    c
}

pub fn at(micros: u64) -> Instant {
    Instant::from_micros(micros)
}

pub fn drain(vr: &mut VirtualRouter) -> Vec<Output> {
    std::iter::from_fn(|| vr.poll_output()).collect()
}

pub fn state_changes(outs: &[Output]) -> Vec<(State, State)> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Event(Event::StateChanged { from, to, .. }) => Some((*from, *to)),
            _ => None,
        })
        .collect()
}

/// Priority bytes of the adverts in `outs`.
pub fn adverts(outs: &[Output]) -> Vec<u8> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Transmit(t) => Some(t.payload[2]),
            _ => None,
        })
        .collect()
}

/// Address work in `outs`, in order: ('+', added), ('-', removed), ('!', announced).
pub fn address_work(outs: &[Output]) -> Vec<(char, Vec<(IpAddr, u8)>)> {
    let list = |v: &[VirtualAddress]| v.iter().map(|v| (v.addr, v.prefix_len)).collect();
    outs.iter()
        .filter_map(|o| match o {
            Output::AddVips(v) => Some(('+', list(v))),
            Output::RemoveVips(v) => Some(('-', list(v))),
            Output::Announce(a) => Some(('!', list(&a.addresses))),
            _ => None,
        })
        .collect()
}

/// Delivers every advert in `outs` (sent by `from`) to `to` at `now`.
pub fn deliver(outs: &[Output], from: &VirtualRouter, to: &mut VirtualRouter, now: Instant) {
    for o in outs {
        if let Output::Transmit(t) = o {
            let (IpAddr::V4(src), IpAddr::V4(dst)) = (t.src, t.dst) else {
                panic!("IPv4 fixtures");
            };
            assert_eq!(t.src, from.config().primary_address);
            to.handle_packet(now, &RxMeta::v4(src, dst, REQUIRED_HOP_LIMIT), &t.payload);
        }
    }
}

/// A router that became master on its own down timer; returns it and that instant.
pub fn lone_master(config: RouterConfig) -> (VirtualRouter, Instant) {
    let mut vr = VirtualRouter::new(config, Instant::ZERO).unwrap();
    let deadline = vr.poll_timeout().unwrap();
    vr.handle_timeout(deadline);
    assert_eq!(vr.state(), State::Master);
    drain(&mut vr);
    (vr, deadline)
}

/// Master 10.0.0.1 (priority `p_master`) and backup 10.0.0.2 (`p_backup`) that has
/// heard the master's advert; returns both and the current time.
pub fn pair(p_master: u8, p_backup: u8) -> (VirtualRouter, VirtualRouter, Instant) {
    let (mut master, now) = lone_master(config(1, p_master));
    let mut backup = VirtualRouter::new(config(2, p_backup), now).unwrap();
    drain(&mut backup);
    let now = master.poll_timeout().unwrap();
    master.handle_timeout(now);
    let outs = drain(&mut master);
    deliver(&outs, &master, &mut backup, now);
    assert_eq!(backup.state(), State::Backup);
    assert_eq!(backup.current_master().map(|m| m.0), Some(host(1)));
    drain(&mut backup);
    (master, backup, now)
}

/// Runs the pair for `seconds`, delivering adverts both ways at each deadline.
pub fn run(a: &mut VirtualRouter, b: &mut VirtualRouter, from: Instant, seconds: u64) -> Instant {
    let end = from + std::time::Duration::from_secs(seconds);
    run_collect(a, b, from, end);
    end
}

/// Feeds the pair's deadlines up to `until`, delivering adverts both ways, and returns
/// every output of `a` with its time.
pub fn run_collect(
    a: &mut VirtualRouter,
    b: &mut VirtualRouter,
    from: Instant,
    until: Instant,
) -> Vec<(Instant, Output)> {
    let mut seen = Vec::new();
    let mut now = from;
    loop {
        let next = [a.poll_timeout(), b.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        match next {
            Some(t) if t <= until => now = t.max(now),
            _ => return seen,
        }
        a.handle_timeout(now);
        let outs = drain(a);
        deliver(&outs, a, b, now);
        seen.extend(outs.into_iter().map(|o| (now, o)));
        b.handle_timeout(now);
        let outs = drain(b);
        deliver(&outs, b, a, now);
        seen.extend(drain(a).into_iter().map(|o| (now, o)));
    }
}
