//! Benchmarks of the election state machine, the many-router container and the simulator.
//!
//! - `router/backup_handle_packet`: a backup receives its master's advert (decode, checks,
//!   timer reset): the steady-state work of every backup, once per advert interval.
//! - `router/master_timeout`: a master's advert timer fires and the advert is drained
//!   (priority patched, checksum filled).
//! - `router/routers_dispatch/{1,255}`: the same advert through [`Routers::handle_packet`]
//!   (decode once, dispatch by VRID, reschedule) with 1 and with 255 routers on the
//!   interface; the cost must not grow with the number of routers.
//! - `router/sim_hour`: one virtual hour of three routers at 100 ms adverts in the
//!   simulator.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use vrrp_core::router::{RouterConfig, State, VirtualRouter};
use vrrp_core::sim::Sim;
use vrrp_core::wire::{self, AddressList, AdvertRepr, Auth, ChecksumMode, RxMeta};
use vrrp_core::{Centiseconds, Instant, InterfaceId, Priority, Routers, Version, Vrid};

const OURS: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const PEER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
const IF: InterfaceId = InterfaceId(1);

fn vip(vrid: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 1, vrid, 1)
}

/// A VRRPv3 router for `vrid` on 10.0.0.1, priority 100, 1 s adverts.
fn config(vrid: u8, priority: u8) -> RouterConfig {
    let mut c = RouterConfig::new(
        Vrid::new(vrid).expect("nonzero"),
        IpAddr::V4(OURS),
        vec![IpAddr::V4(vip(vrid))],
    );
    c.priority = Priority(priority);
    c
}

/// The master's advert for `vrid` (priority 200, keepalived's checksum form), as received.
fn master_advert(vrid: u8) -> (RxMeta, Vec<u8>) {
    let vips = [vip(vrid)];
    let repr = AdvertRepr {
        version: Version::V3,
        vrid: Vrid::new(vrid).expect("nonzero"),
        priority: Priority(200),
        max_advert_interval: Centiseconds(100),
        addresses: AddressList::ipv4(&vips),
        auth: Auth::None,
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(
        &mut buf,
        IpAddr::V4(PEER),
        IpAddr::V4(wire::VRRP_MULTICAST_V4),
        ChecksumMode::default(),
    )
    .expect("valid advert");
    (
        RxMeta::v4(PEER, wire::VRRP_MULTICAST_V4, wire::REQUIRED_HOP_LIMIT),
        buf,
    )
}

fn drain(vr: &mut VirtualRouter) {
    while let Some(out) = vr.poll_output() {
        black_box(out);
    }
}

fn backup_handle_packet(c: &mut Criterion) {
    let mut vr = VirtualRouter::new(config(51, 100), Instant::ZERO).expect("valid");
    let (meta, bytes) = master_advert(51);
    vr.handle_packet(Instant::ZERO, &meta, &bytes);
    drain(&mut vr);
    let mut now = 0u64;
    c.bench_function("router/backup_handle_packet", |b| {
        b.iter(|| {
            now += 1;
            vr.handle_packet(Instant::from_micros(now), &meta, black_box(&bytes));
            drain(&mut vr);
        })
    });
    assert_eq!(vr.state(), State::Backup);
    assert_eq!(vr.statistics().drops.total(), 0);
}

fn master_timeout(c: &mut Criterion) {
    let mut vr = VirtualRouter::new(config(51, 100), Instant::ZERO).expect("valid");
    let deadline = vr.poll_timeout().expect("down timer");
    vr.handle_timeout(deadline);
    drain(&mut vr);
    c.bench_function("router/master_timeout", |b| {
        b.iter(|| {
            let t = vr.poll_timeout().expect("a master always has a timer");
            vr.handle_timeout(black_box(t));
            drain(&mut vr);
        })
    });
    assert_eq!(vr.state(), State::Master);
}

fn routers_dispatch(c: &mut Criterion) {
    let mut group = c.benchmark_group("router/routers_dispatch");
    for count in [1u8, 255] {
        let mut routers = Routers::new();
        for v in 1..=count {
            routers
                .insert(
                    IF,
                    VirtualRouter::new(config(v, 100), Instant::ZERO).expect("valid"),
                )
                .expect("distinct VRIDs");
        }
        while routers.poll_output().is_some() {}
        // One VRID's advert, accepted by its router in Backup.
        let target = count / 2 + 1;
        let (meta, bytes) = master_advert(target);
        let mut now = 0u64;
        group.bench_function(count.to_string(), |b| {
            b.iter(|| {
                now += 1;
                routers.handle_packet(Instant::from_micros(now), IF, &meta, black_box(&bytes));
                while let Some(out) = routers.poll_output() {
                    black_box(out);
                }
            })
        });
        let key = routers
            .iter()
            .find(|(k, _)| k.vrid.get() == target)
            .map(|(k, _)| *k)
            .expect("present");
        let vr = routers.get(&key).expect("present");
        assert_eq!(vr.state(), State::Backup);
        assert!(vr.statistics().adverts_received > 0);
        assert_eq!(vr.statistics().drops.total(), 0);
    }
    group.finish();
}

/// Three routers (150, 100, 50) at 100 ms adverts on the default simulated LAN.
fn three_routers() -> Sim {
    let mut sim = Sim::new(1);
    for (i, p) in [150u8, 100, 50].into_iter().enumerate() {
        let node = sim.add_node();
        let mut c = RouterConfig::new(
            Vrid::new(1).expect("nonzero"),
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, i as u8 + 1)),
            vec![IpAddr::V4(vip(1))],
        );
        c.priority = Priority(p);
        c.advert_interval = Centiseconds(10);
        sim.add_router(node, c).expect("valid");
    }
    sim
}

fn sim_hour(c: &mut Criterion) {
    let mut group = c.benchmark_group("router");
    group.sample_size(10);
    group.bench_function("sim_hour", |b| {
        b.iter(|| {
            let mut sim = three_routers();
            sim.run_for(Duration::from_secs(3600));
            black_box(sim.masters(Vrid::new(1).expect("nonzero")))
        })
    });
    group.finish();
}

/// criterion's macros generate undocumented public items.
mod harness {
    #![allow(missing_docs)]
    use super::*;

    criterion_group!(
        benches,
        backup_handle_packet,
        master_timeout,
        routers_dispatch,
        sim_hour
    );
}
criterion_main!(harness::benches);
