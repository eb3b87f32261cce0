//! Properties of the election on the deterministic simulator.
//!
//! Random LANs of 2-5 routers (VRRPv2 or VRRPv3, random priorities with or without ties,
//! random addresses, preempt flags and intervals) go through random loss, delay,
//! duplication, partitions, link failures, crashes and graceful shutdowns for a few
//! virtual minutes. Then everything heals, and after two Master_Down_Intervals and a few
//! adverts there must be exactly one master, the one the rules name, and it must stay
//! master for as long as nothing else happens.
//!
//! What "the rules name" means, precisely (RFC 9568 sections 6.4.2 and 6.4.3):
//! - a Backup with preempt on ignores adverts of a lower priority and takes over when its
//!   down timer fires, so no preempting Backup may outrank the master; when every router
//!   preempts, the master has the highest priority;
//! - a Backup accepts an advert of *equal* priority whatever the addresses, so between
//!   equal priorities the higher address wins only when both are master at once (both
//!   started together, or a healed split brain); after an arbitrary history the master is
//!   *some* router of the highest priority, not necessarily the highest address;
//! - with nopreempt, any single master is stable.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use vrrp_core::router::{
    master_down_interval_micros, skew_time_micros, RouterConfig, State, VirtualRouter,
};
use vrrp_core::sim::{LinkModel, NodeId, Sim};
use vrrp_core::{Centiseconds, Instant, Priority, Version, Vrid};

const VRID: u8 = 7;

fn vrid() -> Vrid {
    Vrid::new(VRID).expect("nonzero")
}

#[derive(Debug, Clone)]
struct RouterSpec {
    last_octet: u8,
    priority: u8,
    preempt: bool,
    interval_cs: u16,
}

#[derive(Debug, Clone)]
struct Topology {
    version: Version,
    routers: Vec<RouterSpec>,
}

impl Topology {
    fn config(&self, i: usize) -> RouterConfig {
        let r = &self.routers[i];
        let mut c = RouterConfig::new(
            vrid(),
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, r.last_octet)),
            vec![IpAddr::V4(Ipv4Addr::new(10, 0, 1, 1))],
        );
        c.version = self.version;
        c.priority = Priority(r.priority);
        c.preempt = r.preempt;
        c.advert_interval = Centiseconds(r.interval_cs);
        c
    }

    fn max_interval_us(&self) -> u64 {
        self.routers
            .iter()
            .map(|r| Centiseconds(r.interval_cs).as_micros())
            .max()
            .unwrap_or(0)
    }

    /// Long enough after healing for any down timer to fire and any pair of masters to
    /// meet: two Master_Down_Intervals (each < 4 intervals) and a few adverts.
    fn settle(&self) -> Duration {
        Duration::from_micros(12 * self.max_interval_us() + 10_000)
    }

    fn max_priority(&self) -> u8 {
        self.routers.iter().map(|r| r.priority).max().unwrap_or(0)
    }

    fn all_preempt(&self) -> bool {
        self.routers.iter().all(|r| r.preempt)
    }

    fn same_interval(&self) -> bool {
        self.routers
            .windows(2)
            .all(|w| w[0].interval_cs == w[1].interval_cs)
    }

    /// The highest priority among `among`, ties broken by the highest address.
    fn best_of(&self, among: impl Iterator<Item = usize>) -> Option<usize> {
        among.max_by_key(|&i| (self.routers[i].priority, self.routers[i].last_octet))
    }
}

fn topology() -> impl Strategy<Value = Topology> {
    (2usize..=5, any::<bool>()).prop_flat_map(|(n, v3)| {
        let priorities = prop_oneof![
            // Distinct priorities.
            proptest::sample::subsequence((1u8..=254).collect::<Vec<_>>(), n).prop_shuffle(),
            // Ties are likely.
            proptest::collection::vec(
                proptest::sample::select(vec![1u8, 100, 100, 101, 200, 254]),
                n
            ),
        ];
        let addresses =
            proptest::sample::subsequence((1u8..=254).collect::<Vec<_>>(), n).prop_shuffle();
        let preempt = prop_oneof![
            Just(vec![true; n]),
            Just(vec![false; n]),
            proptest::collection::vec(any::<bool>(), n),
        ];
        // VRRPv2 routers must share one interval (RFC 3768 section 7.1 drops the others);
        // VRRPv3 backups learn the master's.
        let intervals = if v3 {
            proptest::collection::vec(proptest::sample::select(vec![10u16, 20, 50, 100, 200]), n)
                .boxed()
        } else {
            proptest::sample::select(vec![100u16, 200])
                .prop_map(move |i| vec![i; n])
                .boxed()
        };
        (priorities, addresses, preempt, intervals).prop_map(move |(p, a, pre, int)| Topology {
            version: if v3 { Version::V3 } else { Version::V2 },
            routers: (0..n)
                .map(|i| RouterSpec {
                    last_octet: a[i],
                    priority: p[i],
                    preempt: pre[i],
                    interval_cs: int[i],
                })
                .collect(),
        })
    })
}

#[derive(Debug, Clone)]
enum Op {
    /// Loss in percent.
    Loss(u8),
    /// Group of each node.
    Partition(Vec<u8>),
    Heal,
    LinkDown(usize),
    LinkUp(usize),
    Crash(usize),
    Shutdown(usize),
    Restart(usize),
}

fn op(n: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..=30).prop_map(Op::Loss),
        proptest::collection::vec(0u8..3, n).prop_map(Op::Partition),
        Just(Op::Heal),
        (0..n).prop_map(Op::LinkDown),
        (0..n).prop_map(Op::LinkUp),
        (0..n).prop_map(Op::Crash),
        (0..n).prop_map(Op::Shutdown),
        (0..n).prop_map(Op::Restart),
    ]
}

/// Random delay (0-0.5 ms, plus up to 2 ms of jitter) and up to 10 % duplication.
fn link_model() -> impl Strategy<Value = LinkModel> {
    (0u64..500, 0u64..2000, 0u8..10).prop_map(|(min, jitter, dup)| LinkModel {
        loss: 0.0,
        duplication: dup as f64 / 100.0,
        min_delay: Duration::from_micros(min),
        max_delay: Duration::from_micros(min + jitter),
    })
}

/// Starts every router of `topo` at t = 0.
fn start(topo: &Topology, seed: u64, link: LinkModel) -> (Sim, Vec<NodeId>) {
    let mut sim = Sim::new(seed);
    sim.set_link_model(link);
    let nodes: Vec<NodeId> = topo.routers.iter().map(|_| sim.add_node()).collect();
    for (i, &n) in nodes.iter().enumerate() {
        sim.add_router(n, topo.config(i)).expect("valid config");
    }
    (sim, nodes)
}

/// Exactly one master, which alone holds the VIPs, and which no preempting backup
/// outranks. Returns its index.
fn check_one_master(sim: &Sim, topo: &Topology, nodes: &[NodeId]) -> Result<usize, TestCaseError> {
    let masters = sim.masters(vrid());
    prop_assert_eq!(masters.len(), 1, "masters: {:?}", masters);
    let m = nodes
        .iter()
        .position(|&n| n == masters[0])
        .expect("a node of ours");
    for (i, &n) in nodes.iter().enumerate() {
        prop_assert_eq!(sim.holds_vips(n, vrid()), i == m, "VIPs on node {}", i);
        if i != m {
            prop_assert_eq!(sim.state(n, vrid()), Some(State::Backup));
            let r = &topo.routers[i];
            prop_assert!(
                !r.preempt || r.priority <= topo.routers[m].priority,
                "backup {} (priority {}, preempt) outranks master {} (priority {})",
                i,
                r.priority,
                m,
                topo.routers[m].priority
            );
        }
    }
    if topo.all_preempt() {
        prop_assert_eq!(topo.routers[m].priority, topo.max_priority());
    }
    Ok(m)
}

fn run_chaos(
    topo: &Topology,
    link: LinkModel,
    steps: &[(u64, Op)],
    seed: u64,
) -> Result<(), TestCaseError> {
    let (mut sim, nodes) = start(topo, seed, link);
    let mut stopped = vec![false; nodes.len()];
    for (wait_ms, op) in steps {
        sim.run_for(Duration::from_millis(*wait_ms));
        match op {
            Op::Loss(pct) => sim.set_link_model(LinkModel {
                loss: *pct as f64 / 100.0,
                ..link
            }),
            Op::Partition(groups) => {
                let members: Vec<Vec<NodeId>> = (0..3u8)
                    .map(|g| {
                        nodes
                            .iter()
                            .zip(groups)
                            .filter(|(_, &gi)| gi == g)
                            .map(|(&n, _)| n)
                            .collect()
                    })
                    .collect();
                let refs: Vec<&[NodeId]> = members.iter().map(Vec::as_slice).collect();
                sim.partition(&refs);
            }
            Op::Heal => sim.heal(),
            Op::LinkDown(i) => sim.set_link(nodes[*i], false),
            Op::LinkUp(i) => sim.set_link(nodes[*i], true),
            Op::Crash(i) => {
                sim.crash(nodes[*i]);
                stopped[*i] = true;
            }
            Op::Shutdown(i) => {
                if !stopped[*i] {
                    sim.shutdown(nodes[*i]);
                    stopped[*i] = true;
                }
            }
            Op::Restart(i) => {
                if stopped[*i] {
                    sim.restart(nodes[*i]);
                    stopped[*i] = false;
                }
            }
        }
    }
    // Heal everything.
    sim.heal();
    sim.set_link_model(LinkModel { loss: 0.0, ..link });
    for (i, &n) in nodes.iter().enumerate() {
        sim.set_link(n, true);
        if stopped[i] {
            sim.restart(n);
        }
    }
    sim.run_for(topo.settle());
    let m = check_one_master(&sim, topo, &nodes)?;
    if topo.all_preempt() {
        let top: Vec<usize> = (0..nodes.len())
            .filter(|&i| topo.routers[i].priority == topo.max_priority())
            .collect();
        if top.len() == 1 {
            prop_assert_eq!(m, top[0]);
        }
    }
    // No master change without a cause: nothing happens on a quiet LAN.
    let converged = sim.transitions().len();
    sim.run_for(Duration::from_secs(60));
    prop_assert_eq!(
        &sim.transitions()[converged..],
        &[][..],
        "transitions on a quiet, converged LAN"
    );
    prop_assert_eq!(check_one_master(&sim, topo, &nodes)?, m);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// After any history of loss, partitions, link failures, crashes and shutdowns, once
    /// everything heals: exactly one master, the one the rules name, and it stays.
    #[test]
    fn one_master_after_healing(
        (topo, steps) in topology().prop_flat_map(|t| {
            let n = t.routers.len();
            (Just(t), proptest::collection::vec((0u64..30_000, op(n)), 1..16))
        }),
        link in link_model(),
        seed in any::<u64>(),
    ) {
        run_chaos(&topo, link, &steps, seed)?;
    }

    /// Started together on a quiet LAN: the election settles once and nothing changes
    /// afterwards. With one interval for all, the timers fire in priority order, so the
    /// highest priority wins, and between equal priorities, which become master at the
    /// same instant, the highest address (RFC 9568 section 6.4.3).
    #[test]
    fn start_up_elects_once_and_stays(topo in topology(), link in link_model(), seed in any::<u64>()) {
        let (mut sim, nodes) = start(&topo, seed, link);
        sim.run_for(topo.settle());
        let m = check_one_master(&sim, &topo, &nodes)?;
        if topo.same_interval() {
            prop_assert_eq!(Some(m), topo.best_of(0..nodes.len()));
        }
        let converged = sim.transitions().len();
        sim.run_for(Duration::from_secs(120));
        prop_assert_eq!(&sim.transitions()[converged..], &[][..]);
        let stats = sim.router(nodes[m], vrid()).expect("runs").statistics();
        prop_assert_eq!(stats.master_transitions, 1);
    }

    /// The master crashes: the highest remaining router (ties: both fire together, the
    /// higher address stays) becomes master exactly Master_Down_Interval after the last
    /// advert reached it (one link delay after it was sent). In VRRPv3 that interval is
    /// computed from the crashed master's advertised interval.
    #[test]
    fn crash_is_taken_over_at_master_down_interval(
        topo in topology(),
        delay_us in 0u64..1000,
        offset_us in 0u64..2_000_000,
        seed in any::<u64>(),
    ) {
        let link = LinkModel {
            min_delay: Duration::from_micros(delay_us),
            max_delay: Duration::from_micros(delay_us),
            ..LinkModel::default()
        };
        let (mut sim, nodes) = start(&topo, seed, link);
        sim.record_adverts(true);
        sim.run_for(topo.settle() + Duration::from_micros(offset_us));
        let m = check_one_master(&sim, &topo, &nodes)?;
        let crash_at = sim.now();
        let last = sim
            .adverts()
            .iter()
            // An advert sent at the crash instant is on the wire already.
            .filter(|a| a.node == nodes[m] && a.at <= crash_at)
            .map(|a| a.at)
            .max()
            .expect("the master advertised");
        sim.crash(nodes[m]);
        sim.run_for(topo.settle());
        let next = topo.best_of((0..nodes.len()).filter(|&i| i != m)).expect("two routers or more");
        let master_interval = Centiseconds(topo.routers[m].interval_cs);
        let mdi = master_down_interval_micros(
            topo.version,
            Priority(topo.routers[next].priority),
            master_interval,
        );
        let first = sim
            .transitions()
            .iter()
            .find(|t| t.at >= crash_at && t.to == State::Master)
            .copied()
            .expect("someone took over");
        prop_assert_eq!(first.at, Instant::from_micros(last.as_micros() + delay_us + mdi));
        prop_assert_eq!(
            topo.routers[nodes.iter().position(|&n| n == first.node).expect("ours")].priority,
            topo.routers[next].priority
        );
        prop_assert_eq!(sim.masters(vrid()), vec![nodes[next]]);
    }

    /// The master shuts down gracefully: the highest remaining router takes over Skew_Time
    /// after the priority-0 advert reaches it.
    #[test]
    fn shutdown_is_taken_over_after_skew_time(
        topo in topology(),
        delay_us in 0u64..1000,
        offset_us in 0u64..2_000_000,
        seed in any::<u64>(),
    ) {
        let link = LinkModel {
            min_delay: Duration::from_micros(delay_us),
            max_delay: Duration::from_micros(delay_us),
            ..LinkModel::default()
        };
        let (mut sim, nodes) = start(&topo, seed, link);
        sim.run_for(topo.settle() + Duration::from_micros(offset_us));
        let m = check_one_master(&sim, &topo, &nodes)?;
        let bye = sim.now();
        sim.shutdown(nodes[m]);
        sim.run_for(topo.settle());
        let next = topo.best_of((0..nodes.len()).filter(|&i| i != m)).expect("two routers or more");
        let skew = skew_time_micros(
            topo.version,
            Priority(topo.routers[next].priority),
            Centiseconds(topo.routers[m].interval_cs),
        );
        let first = sim
            .transitions()
            .iter()
            .find(|t| t.at >= bye && t.to == State::Master)
            .copied()
            .expect("someone took over");
        prop_assert_eq!(first.at, Instant::from_micros(bye.as_micros() + delay_us + skew));
        prop_assert_eq!(sim.masters(vrid()), vec![nodes[next]]);
        let stats = sim.router(nodes[next], vrid()).expect("runs").statistics();
        prop_assert_eq!(stats.priority_zero_received, 1);
    }
}

// ---------------------------------------------------------------------------------------
// Many VRIDs
// ---------------------------------------------------------------------------------------

/// Two hosts with the same `count` VRIDs; for each VRID one host has `high(v)`, the other
/// 50 less, alternating so that each host should master half.
fn two_hosts(count: u8, interval_cs: u16, high: impl Fn(u8) -> u8) -> (Sim, NodeId, NodeId) {
    let mut sim = Sim::new(99);
    sim.record_adverts(true);
    let a = sim.add_node();
    let b = sim.add_node();
    for v in 1..=count {
        for (node, last, wins) in [(a, 1u8, v % 2 == 0), (b, 2, v % 2 == 1)] {
            let mut c = RouterConfig::new(
                Vrid::new(v).expect("nonzero"),
                IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)),
                vec![IpAddr::V4(Ipv4Addr::new(10, 1, v, 1))],
            );
            c.advert_interval = Centiseconds(interval_cs);
            c.priority = Priority(if wins { high(v) } else { high(v) - 50 });
            sim.add_router(node, c).expect("valid");
        }
    }
    (sim, a, b)
}

/// keepalived with 200 VRIDs at 100 ms on two hosts took about 15 s and thousands of
/// spurious transitions to settle. Here: each VRID becomes master exactly once, on the
/// right host, exactly at its Master_Down_Interval, and nothing else happens.
#[test]
fn two_hundred_vrids_start_without_a_spurious_transition() {
    let high = |v: u8| 150 + v % 100;
    let (mut sim, a, b) = two_hosts(200, 10, high);
    sim.run_for(Duration::from_secs(60));
    let masters: Vec<_> = sim
        .transitions()
        .iter()
        .filter(|t| t.to == State::Master)
        .copied()
        .collect();
    assert_eq!(
        masters.len(),
        200,
        "one master transition per VRID, no more"
    );
    for v in 1..=200u8 {
        let vrid = Vrid::new(v).expect("nonzero");
        let winner = if v % 2 == 0 { a } else { b };
        let mine: Vec<_> = masters.iter().filter(|t| t.vrid == vrid).collect();
        assert_eq!(mine.len(), 1, "VRID {v}");
        assert_eq!(mine[0].node, winner, "VRID {v}");
        let mdi = master_down_interval_micros(Version::V3, Priority(high(v)), Centiseconds(10));
        assert_eq!(mine[0].at, Instant::from_micros(mdi), "VRID {v}");
        assert_eq!(sim.masters(vrid), vec![winner]);
    }
    // Converged within the slowest winner's Master_Down_Interval: nothing happens later.
    let slowest = master_down_interval_micros(Version::V3, Priority(150), Centiseconds(10));
    let last = sim.transitions().iter().map(|t| t.at).max();
    assert_eq!(last, Some(Instant::from_micros(slowest)));
    // Only start-ups and the 200 takeovers, ever.
    assert_eq!(sim.transitions().len(), 400 + 200);
    assert_eq!(
        sim.transitions()
            .iter()
            .filter(|t| t.to == State::Backup && t.from != State::Initialize)
            .count(),
        0
    );
}

/// With 255 VRIDs at 10 ms, each backup takes over exactly Master_Down_Interval after the
/// last advert reached it when the other host crashes.
#[test]
fn takeover_at_the_bound_with_255_vrids_at_10ms() {
    let high = |v: u8| 150 + v % 100;
    let (mut sim, a, b) = two_hosts(255, 1, high);
    sim.run_for(Duration::from_millis(500));
    let crash_at = sim.now();
    sim.crash(a);
    sim.run_for(Duration::from_millis(500));
    let delay = LinkModel::default().min_delay.as_micros() as u64;
    for v in (2..=255u8).step_by(2) {
        let vrid = Vrid::new(v).expect("nonzero");
        let last = sim
            .adverts()
            .iter()
            .filter(|s| s.node == a && s.vrid == vrid && s.at <= crash_at)
            .map(|s| s.at)
            .max()
            .expect("a was master");
        let took: Vec<_> = sim
            .transitions()
            .iter()
            .filter(|t| t.vrid == vrid && t.node == b && t.to == State::Master)
            .collect();
        assert_eq!(took.len(), 1, "VRID {v}");
        let mdi = master_down_interval_micros(Version::V3, Priority(high(v) - 50), Centiseconds(1));
        assert_eq!(
            took[0].at.as_micros(),
            last.as_micros() + delay + mdi,
            "VRID {v}"
        );
    }
    assert!((1..=255u8).all(|v| sim.masters(Vrid::new(v).expect("nonzero")) == vec![b]));
}

/// Three routers at 100 ms adverts for one virtual hour: the benchmark `router/sim_hour`
/// times it; here it must simply stay quiet: one master from start-up on, every advert
/// sent on time.
#[test]
fn one_virtual_hour_of_three_routers() {
    let mut sim = Sim::new(1);
    let nodes: Vec<NodeId> = (0..3).map(|_| sim.add_node()).collect();
    for (i, (&n, p)) in nodes.iter().zip([150u8, 100, 50]).enumerate() {
        let mut c = RouterConfig::new(
            vrid(),
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, i as u8 + 1)),
            vec![IpAddr::V4(Ipv4Addr::new(10, 0, 1, 1))],
        );
        c.priority = Priority(p);
        c.advert_interval = Centiseconds(10);
        sim.add_router(n, c).expect("valid");
    }
    let hour = 3_600_000_000u64;
    sim.run_for(Duration::from_micros(hour));
    // Let the advert sent at the hour's last instant arrive (the link delay is 50 us).
    sim.run_for(Duration::from_millis(1));
    assert_eq!(sim.masters(vrid()), vec![nodes[0]]);
    let became = master_down_interval_micros(Version::V3, Priority(150), Centiseconds(10));
    // One advert on taking over, then one on each 100 ms grid point up to the hour.
    let expected_adverts = 1 + (hour / 100_000 - became / 100_000);
    let master: &VirtualRouter = sim.router(nodes[0], vrid()).expect("runs");
    assert_eq!(master.statistics().adverts_sent, expected_adverts);
    for &n in &nodes[1..] {
        let s = sim.router(n, vrid()).expect("runs").statistics();
        assert_eq!(s.adverts_received, expected_adverts);
        assert_eq!(s.master_transitions, 0);
    }
    assert_eq!(
        sim.transitions().len(),
        3 + 1,
        "three start-ups and one takeover"
    );
}
