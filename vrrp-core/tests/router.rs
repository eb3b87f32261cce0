//! The election state machine as a specification: one named test per RFC rule or per
//! behaviour a user relies on.
//!
//! Two ways to drive it:
//! - a [`VirtualRouter`] alone, fed adverts built with [`AdvertRepr::emit`] at exact
//!   instants, its outputs collected with `poll_output`;
//! - the deterministic [`Sim`] with a zero-delay link, so that takeover instants can be
//!   asserted to the microsecond against the adverts it records.
//!
//! Timer values used throughout (RFC 3768 section 6.1, VRRPv2, 1 s adverts):
//! Skew_Time = (256 - Priority) / 256 s and Master_Down_Interval = 3 s + Skew_Time, so
//! priority 100 gives 3 s + 156/256 s = 3.609375 s, and priority 101 gives
//! 3 s + 155/256 s = 3.60546875 s (3_605_468 us, rounded down to the microsecond).
//! The classic keepalived pair: host A 192.168.100.10 priority 101, host B
//! 192.168.100.13 priority 100, VIP 192.168.100.12, VRID 51, `auth_pass mynginx`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use vrrp_core::router::{
    master_down_interval_micros, skew_time_micros, ConfigError, DropCounter, DropCounters,
    DropReason, Event, Output, Reason, RouterConfig, State, TrackConfig, TrackId, VipList,
    VirtualRouter,
};
use vrrp_core::sim::{LinkModel, NodeId, Sim, Transition};
use vrrp_core::wire::{
    self, AddressList, AdvertRepr, Auth, ChecksumForm, ChecksumMode, DecodeError, Packet, Password,
    RxMeta,
};
use vrrp_core::{
    Centiseconds, Family, Instant, InterfaceId, Label, Priority, RouterKey, Routers, Version,
    VirtualAddress, Vrid,
};

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

const VRID: u8 = 51;
const HOST_A: Ipv4Addr = Ipv4Addr::new(192, 168, 100, 10);
const HOST_B: Ipv4Addr = Ipv4Addr::new(192, 168, 100, 13);
const VIP: Ipv4Addr = Ipv4Addr::new(192, 168, 100, 12);
const GROUP: Ipv4Addr = wire::VRRP_MULTICAST_V4;

/// Master_Down_Interval of the classic pair's backup (v2, priority 100, 1 s).
const MDI_V2_P100: u64 = 3_609_375;
/// Master_Down_Interval of the classic pair's master (v2, priority 101, 1 s).
const MDI_V2_P101: u64 = 3_605_468;
/// Skew_Time of the classic pair's backup (v2, priority 100): 156/256 s.
const SKEW_V2_P100: u64 = 609_375;
const SECOND: u64 = 1_000_000;

fn vrid() -> Vrid {
    Vrid::new(VRID).expect("51 is a VRID")
}

/// The first instant after `t` on the grid of `interval` (microseconds): when a master
/// that advertised at `t` sends its next periodic advert.
fn next_slot(t: u64, interval: u64) -> Instant {
    at((t / interval + 1) * interval)
}

fn at(micros: u64) -> Instant {
    Instant::from_micros(micros)
}

fn mynginx() -> Auth {
    Auth::Simple(Password::new("mynginx").expect("7 bytes fit"))
}

/// One host of the classic keepalived pair: VRRPv2, 1 s adverts, PASS auth "mynginx".
fn classic(addr: Ipv4Addr, priority: u8) -> RouterConfig {
    let mut c = RouterConfig::new(vrid(), IpAddr::V4(addr), vec![IpAddr::V4(VIP)]);
    c.version = Version::V2;
    c.priority = Priority(priority);
    c.advert_interval = Centiseconds(100);
    c.auth = mynginx();
    c
}

/// A VRRPv3 router on 10.0.0.x with VIP 10.0.1.1.
fn v3_config(last: u8, priority: u8, interval_cs: u16) -> RouterConfig {
    let mut c = RouterConfig::new(
        vrid(),
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)),
        vec![IpAddr::V4(Ipv4Addr::new(10, 0, 1, 1))],
    );
    c.priority = Priority(priority);
    c.advert_interval = Centiseconds(interval_cs);
    c
}

/// An IPv4 advert as a peer would send it.
struct Advert {
    version: Version,
    vrid: u8,
    priority: u8,
    interval_cs: u16,
    vips: Vec<Ipv4Addr>,
    auth: Auth,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    mode: ChecksumMode,
}

impl Advert {
    /// What host A of the classic pair sends.
    fn classic(priority: u8) -> Self {
        Advert {
            version: Version::V2,
            vrid: VRID,
            priority,
            interval_cs: 100,
            vips: vec![VIP],
            auth: mynginx(),
            src: HOST_A,
            dst: GROUP,
            mode: ChecksumMode::default(),
        }
    }

    /// A VRRPv3 advert from 10.0.0.`last` for [`v3_config`] routers.
    fn v3(last: u8, priority: u8, interval_cs: u16) -> Self {
        Advert {
            version: Version::V3,
            vrid: VRID,
            priority,
            interval_cs,
            vips: vec![Ipv4Addr::new(10, 0, 1, 1)],
            auth: Auth::None,
            src: Ipv4Addr::new(10, 0, 0, last),
            dst: GROUP,
            mode: ChecksumMode::default(),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let repr = AdvertRepr {
            version: self.version,
            vrid: Vrid::new(self.vrid).expect("test VRIDs are nonzero"),
            priority: Priority(self.priority),
            max_advert_interval: Centiseconds(self.interval_cs),
            addresses: AddressList::ipv4(&self.vips),
            auth: self.auth,
        };
        let mut buf = vec![0u8; repr.buffer_len()];
        let len = repr
            .emit(
                &mut buf,
                IpAddr::V4(self.src),
                IpAddr::V4(self.dst),
                self.mode,
            )
            .expect("test adverts are valid");
        assert_eq!(len, buf.len());
        buf
    }

    fn meta(&self) -> RxMeta {
        RxMeta::v4(self.src, self.dst, wire::REQUIRED_HOP_LIMIT)
    }
}

/// An IPv6 VRRPv3 advert from `src` for VIP 2001:db8::`vrid`.
fn advert_v6(src: Ipv6Addr, vrid: u8, priority: u8) -> (RxMeta, Vec<u8>) {
    let vips = [vip_v6(vrid)];
    let repr = AdvertRepr {
        version: Version::V3,
        vrid: Vrid::new(vrid).expect("nonzero"),
        priority: Priority(priority),
        max_advert_interval: Centiseconds(100),
        addresses: AddressList::ipv6(&vips),
        auth: Auth::None,
    };
    let dst = wire::VRRP_MULTICAST_V6;
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(
        &mut buf,
        IpAddr::V6(src),
        IpAddr::V6(dst),
        ChecksumMode::default(),
    )
    .expect("valid");
    (RxMeta::v6(src, dst, 255), buf)
}

fn vip_v6(vrid: u8) -> Ipv6Addr {
    Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, vrid as u16)
}

/// Rewrites one field of an encoded advert and fixes its checksum, so that the packet
/// fails exactly the check under test and no earlier one.
fn tamper(bytes: &mut [u8], src: Ipv4Addr, dst: Ipv4Addr, f: impl FnOnce(&mut Packet<&mut [u8]>)) {
    let mut packet = Packet::new_unchecked(bytes, Family::Ipv4);
    f(&mut packet);
    let form = if packet.version_number() == 3 {
        ChecksumForm::V3Ipv4PseudoHeader
    } else {
        ChecksumForm::V2
    };
    assert!(packet.fill_checksum(form, IpAddr::V4(src), IpAddr::V4(dst)));
}

/// An [`Output`] reduced to what most tests assert on (bare addresses, bytes as a `Vec`).
#[derive(Debug, Clone, PartialEq)]
enum Out {
    Transmit { dst: IpAddr, payload: Vec<u8> },
    AddVips(Vec<IpAddr>),
    RemoveVips(Vec<IpAddr>),
    Announce { addresses: Vec<IpAddr>, count: u8 },
    Event(Event),
}

impl From<Output> for Out {
    fn from(o: Output) -> Self {
        match o {
            Output::Transmit(t) => Out::Transmit {
                dst: t.dst,
                payload: t.payload.to_vec(),
            },
            Output::AddVips(v) => Out::AddVips(v.addrs().collect()),
            Output::RemoveVips(v) => Out::RemoveVips(v.addrs().collect()),
            Output::Announce(a) => Out::Announce {
                addresses: a.addresses.addrs().collect(),
                count: a.count,
            },
            Output::Event(e) => Out::Event(e),
        }
    }
}

fn drain(vr: &mut VirtualRouter) -> Vec<Out> {
    let mut outs = Vec::new();
    while let Some(o) = vr.poll_output() {
        outs.push(o.into());
    }
    outs
}

/// (destination, priority byte) of every advert in `outs`.
fn sent(outs: &[Out]) -> Vec<(IpAddr, u8)> {
    outs.iter()
        .filter_map(|o| match o {
            Out::Transmit { dst, payload } => Some((*dst, payload[2])),
            _ => None,
        })
        .collect()
}

fn state_changes(outs: &[Out]) -> Vec<(State, State, Reason)> {
    outs.iter()
        .filter_map(|o| match o {
            Out::Event(Event::StateChanged { from, to, reason }) => Some((*from, *to, *reason)),
            _ => None,
        })
        .collect()
}

fn has_announce(outs: &[Out]) -> bool {
    outs.iter().any(|o| matches!(o, Out::Announce { .. }))
}

/// A router that has become master through its own down timer (nobody else around).
fn master(config: RouterConfig) -> VirtualRouter {
    let mut vr = VirtualRouter::new(config, Instant::ZERO).expect("valid config");
    let deadline = vr.poll_timeout().expect("backup has a down timer");
    vr.handle_timeout(deadline);
    assert_eq!(vr.state(), State::Master);
    drain(&mut vr);
    vr
}

// ----- simulator helpers -----

fn zero_delay() -> LinkModel {
    LinkModel {
        loss: 0.0,
        duplication: 0.0,
        min_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
    }
}

/// The classic pair on a zero-delay LAN, both started at t = 0, adverts recorded.
fn classic_sim(preempt: bool) -> (Sim, NodeId, NodeId) {
    let mut sim = Sim::new(7);
    sim.set_link_model(zero_delay());
    sim.record_adverts(true);
    let a = sim.add_node();
    let b = sim.add_node();
    let mut ca = classic(HOST_A, 101);
    let mut cb = classic(HOST_B, 100);
    ca.preempt = preempt;
    cb.preempt = preempt;
    sim.add_router(a, ca).expect("valid");
    sim.add_router(b, cb).expect("valid");
    (sim, a, b)
}

/// Instants at which `node` sent an advert with `priority`, in order.
fn adverts_of(sim: &Sim, node: NodeId) -> Vec<(Instant, u8)> {
    sim.adverts()
        .iter()
        .filter(|s| s.node == node && s.vrid == vrid())
        .map(|s| (s.at, s.priority.get()))
        .collect()
}

/// The last advert `node` put on the wire strictly before `t`.
fn last_advert_before(sim: &Sim, node: NodeId, t: Instant) -> Instant {
    adverts_of(sim, node)
        .into_iter()
        .map(|(when, _)| when)
        .rfind(|&when| when < t)
        .expect("an advert before t")
}

fn transitions_to(sim: &Sim, node: NodeId, to: State) -> Vec<Transition> {
    sim.transitions()
        .iter()
        .filter(|t| t.node == node && t.to == to)
        .copied()
        .collect()
}

fn transitions_since(sim: &Sim, since: Instant) -> Vec<Transition> {
    sim.transitions()
        .iter()
        .filter(|t| t.at >= since)
        .copied()
        .collect()
}

fn ip(a: Ipv4Addr) -> IpAddr {
    IpAddr::V4(a)
}

// ---------------------------------------------------------------------------------------
// Timer formulas
// ---------------------------------------------------------------------------------------

/// RFC 3768 section 6.1: the VRRPv2 timers of the classic pair, to the microsecond.
#[test]
fn v2_timers_of_the_classic_pair() {
    let v2 = |p| master_down_interval_micros(Version::V2, Priority(p), Centiseconds(100));
    assert_eq!(v2(100), MDI_V2_P100);
    assert_eq!(v2(101), MDI_V2_P101);
    assert_eq!(
        skew_time_micros(Version::V2, Priority(100), Centiseconds(100)),
        SKEW_V2_P100
    );
    // VRRPv2's skew does not scale with the interval (RFC 3768: (256 - Priority) / 256 s).
    assert_eq!(
        skew_time_micros(Version::V2, Priority(100), Centiseconds(300)),
        SKEW_V2_P100
    );
    assert_eq!(
        master_down_interval_micros(Version::V2, Priority(100), Centiseconds(300)),
        9 * SECOND + SKEW_V2_P100
    );
}

/// RFC 9568 section 6.1: VRRPv3 Skew_Time scales with Master_Adver_Interval.
#[test]
fn v3_timers_scale_with_the_interval() {
    // 100 ms adverts, priority 100: 3 * 100 ms + 156/256 * 100 ms = 360.9375 ms.
    assert_eq!(
        master_down_interval_micros(Version::V3, Priority(100), Centiseconds(10)),
        360_937
    );
    // 2 s adverts, priority 200: 6 s + 56/256 * 2 s = 6.4375 s.
    assert_eq!(
        master_down_interval_micros(Version::V3, Priority(200), Centiseconds(200)),
        6_437_500
    );
}

// ---------------------------------------------------------------------------------------
// The classic pair
// ---------------------------------------------------------------------------------------

/// Both hosts start as Backup (RFC 9568 section 6.4.1); the higher priority's shorter
/// Master_Down_Interval makes it master first, and its advert keeps the other in Backup.
#[test]
fn classic_pair_starts_with_the_higher_priority_as_master() {
    let (mut sim, a, b) = classic_sim(true);
    sim.run_for(Duration::from_secs(30));
    assert_eq!(sim.masters(vrid()), vec![a]);
    assert_eq!(sim.state(b, vrid()), Some(State::Backup));
    let became = transitions_to(&sim, a, State::Master);
    assert_eq!(became.len(), 1);
    assert_eq!(became[0].at, at(MDI_V2_P101));
    assert_eq!(became[0].reason, Reason::MasterDown { last_master: None });
    assert!(transitions_to(&sim, b, State::Master).is_empty());
    assert!(sim.holds_vips(a, vrid()));
    assert!(!sim.holds_vips(b, vrid()));
    // The master advertises when it takes over, then every second on the second grid:
    // never more than a second apart.
    let adverts = adverts_of(&sim, a);
    assert_eq!(adverts[0], (at(MDI_V2_P101), 101));
    assert_eq!(adverts[1].0, next_slot(MDI_V2_P101, SECOND));
    for w in adverts[1..].windows(2) {
        assert_eq!(w[1].0.as_micros() - w[0].0.as_micros(), SECOND);
    }
    assert!(adverts_of(&sim, b).is_empty(), "a backup never advertises");
    let stats = sim.router(b, vrid()).expect("b runs").statistics();
    assert_eq!(stats.adverts_received, adverts.len() as u64);
    assert_eq!(stats.drops.total(), 0);
}

/// RFC 3768 section 6.4.2: the backup takes over when Master_Down_Timer fires, exactly
/// Master_Down_Interval after the last advert it heard — whether the master's cable is
/// pulled or the master crashes.
#[test]
fn backup_takes_over_exactly_master_down_interval_after_the_last_advert() {
    for crash in [false, true] {
        let (mut sim, a, b) = classic_sim(true);
        sim.run_until(at(10_300_000));
        let cut = sim.now();
        if crash {
            sim.crash(a);
        } else {
            sim.set_link(a, false);
        }
        sim.run_for(Duration::from_secs(10));
        let last = last_advert_before(&sim, a, cut);
        let took_over = transitions_to(&sim, b, State::Master);
        assert_eq!(took_over.len(), 1, "crash={crash}");
        assert_eq!(took_over[0].at, at(last.as_micros() + MDI_V2_P100));
        // a's adverts fall on the whole seconds; the last before the cut at 10.3 s.
        assert_eq!(took_over[0].at, at(10_000_000 + 3_609_375));
        assert_eq!(
            took_over[0].reason,
            Reason::MasterDown {
                last_master: Some(ip(HOST_A))
            }
        );
        assert!(sim.holds_vips(b, vrid()));
        // Its first advert goes out at the instant it takes over.
        assert_eq!(adverts_of(&sim, b)[0], (took_over[0].at, 100));
        let stats = sim.router(b, vrid()).expect("b runs").statistics();
        assert_eq!(stats.master_transitions, 1);
        assert_eq!(stats.last_master_reason, Some(took_over[0].reason));
    }
}

/// The master whose link comes back is still master (it never heard anyone): the first
/// advert either side sends resolves the two masters, and the lower priority steps down
/// (RFC 3768 section 6.4.3).
#[test]
fn master_whose_link_returns_preempts_at_the_first_advert() {
    let (mut sim, a, b) = classic_sim(true);
    sim.run_until(at(10_300_000));
    sim.set_link(a, false);
    sim.run_for(Duration::from_secs(10));
    assert_eq!(sim.state(a, vrid()), Some(State::Master));
    assert_eq!(sim.state(b, vrid()), Some(State::Master));
    let back = at(20_700_000);
    sim.run_until(back);
    sim.set_link(a, true);
    sim.run_for(Duration::from_secs(10));
    let first_advert_after = sim
        .adverts()
        .iter()
        .map(|s| s.at)
        .filter(|&t| t >= back)
        .min()
        .expect("someone advertises");
    let stepped_down = transitions_to(&sim, b, State::Backup);
    let last = stepped_down.last().expect("b stepped down");
    assert_eq!(last.at, first_advert_after);
    assert_eq!(
        last.reason,
        Reason::HigherPriority {
            master: ip(HOST_A),
            priority: Priority(101)
        }
    );
    assert_eq!(sim.masters(vrid()), vec![a]);
    assert!(!sim.holds_vips(b, vrid()));
}

/// A restarted higher-priority router with preempt on ignores the lower master's adverts
/// (RFC 3768 section 6.4.2: "Preempt_Mode is True and the Priority in the ADVERTISEMENT
/// is less than the local Priority: discard") and takes over when its own
/// Master_Down_Timer fires, Master_Down_Interval after its start.
#[test]
fn restarted_higher_priority_master_preempts_after_its_master_down_interval() {
    let (mut sim, a, b) = classic_sim(true);
    sim.run_until(at(10_300_000));
    sim.crash(a);
    sim.run_until(at(30_200_000));
    assert_eq!(sim.masters(vrid()), vec![b]);
    let restart = sim.now();
    sim.restart(a);
    sim.run_for(Duration::from_secs(20));
    let took_over = transitions_to(&sim, a, State::Master);
    let last = took_over.last().expect("a became master again");
    assert_eq!(last.at, at(restart.as_micros() + MDI_V2_P101));
    assert_eq!(
        last.reason,
        Reason::PreemptedLowerMaster {
            master: ip(HOST_B),
            priority: Priority(100)
        }
    );
    let stepped_down = transitions_to(&sim, b, State::Backup);
    let b_down = stepped_down.last().expect("b stepped down");
    assert_eq!(b_down.at, last.at);
    assert_eq!(
        b_down.reason,
        Reason::HigherPriority {
            master: ip(HOST_A),
            priority: Priority(101)
        }
    );
    assert_eq!(sim.masters(vrid()), vec![a]);
    assert!(sim.holds_vips(a, vrid()));
    assert!(!sim.holds_vips(b, vrid()));
}

/// nopreempt (preempt = false) on both: the original master, back after a crash, stays
/// Backup while the other master lives.
///
/// keepalived silently ignores `nopreempt` when `state MASTER` is configured; vrrp-core has
/// no initial-state setting at all (a configured state is a hint the daemon may log), so
/// `preempt = false` holds whatever the configuration file said.
#[test]
fn nopreempt_returning_master_does_not_preempt() {
    let (mut sim, a, b) = classic_sim(false);
    sim.run_until(at(10_300_000));
    let cut = sim.now();
    sim.crash(a);
    sim.run_until(at(30_200_000));
    let last = last_advert_before(&sim, a, cut);
    let took_over = transitions_to(&sim, b, State::Master);
    assert_eq!(took_over.len(), 1);
    assert_eq!(took_over[0].at, at(last.as_micros() + MDI_V2_P100));
    let restart = sim.now();
    sim.restart(a);
    sim.run_for(Duration::from_secs(300));
    assert_eq!(sim.masters(vrid()), vec![b]);
    assert_eq!(sim.state(a, vrid()), Some(State::Backup));
    assert!(!sim.holds_vips(a, vrid()));
    // The only transition since the restart is A's start-up into Backup.
    let since: Vec<_> = transitions_since(&sim, restart)
        .iter()
        .map(|t| (t.node, t.to, t.reason))
        .collect();
    assert_eq!(since, vec![(a, State::Backup, Reason::Startup)]);
    // A hears and accepts B's adverts (priority 100 < 101).
    let stats = sim.router(a, vrid()).expect("a runs").statistics();
    assert!(stats.adverts_received >= 299);
    assert_eq!(
        sim.router(a, vrid()).and_then(|r| r.current_master()),
        Some((ip(HOST_B), Priority(100)))
    );
}

/// RFC 3768 section 6.4.2: a backup accepts an advert whose priority is *greater than or
/// equal to* its own, preempt or not: an equal-priority master keeps its mastership even
/// when the backup has the higher address (the address only breaks ties between masters).
#[test]
fn backup_accepts_a_master_of_equal_priority() {
    let mut b = VirtualRouter::new(classic(HOST_B, 101), Instant::ZERO).expect("valid");
    assert!(b.config().preempt);
    assert!(HOST_B > HOST_A);
    for k in 1..=10u64 {
        let adv = Advert::classic(101);
        b.handle_packet(at(k * SECOND), &adv.meta(), &adv.bytes());
        assert_eq!(b.poll_timeout(), Some(at(k * SECOND + MDI_V2_P101)));
        b.handle_timeout(at(k * SECOND + SECOND / 2));
    }
    assert_eq!(b.state(), State::Backup);
    assert_eq!(b.current_master(), Some((ip(HOST_A), Priority(101))));
    // One lower: discarded, the timer runs on from the last accepted advert.
    let adv = Advert::classic(100);
    b.handle_packet(at(10 * SECOND + 1), &adv.meta(), &adv.bytes());
    assert_eq!(b.poll_timeout(), Some(at(10 * SECOND + MDI_V2_P101)));
}

/// nopreempt also holds against a backup whose priority is higher from the start.
#[test]
fn nopreempt_backup_with_higher_priority_tolerates_the_master() {
    let mut vr = VirtualRouter::new(
        {
            let mut c = classic(HOST_B, 200);
            c.preempt = false;
            c
        },
        Instant::ZERO,
    )
    .expect("valid");
    for k in 0..100u64 {
        let adv = Advert::classic(100);
        vr.handle_packet(at(k * SECOND), &adv.meta(), &adv.bytes());
        vr.handle_timeout(at(k * SECOND + SECOND / 2));
        assert_eq!(vr.state(), State::Backup);
        assert_eq!(
            vr.poll_timeout(),
            Some(at(k * SECOND + 3 * SECOND + 56 * SECOND / 256))
        );
    }
    assert_eq!(vr.statistics().adverts_received, 100);
}

// ---------------------------------------------------------------------------------------
// Graceful shutdown (priority 0)
// ---------------------------------------------------------------------------------------

/// RFC 3768 section 6.4.2: on a priority-0 advert the backup sets Master_Down_Timer to
/// Skew_Time, so it takes over 156/256 s later instead of 3.6 s.
#[test]
fn graceful_shutdown_hands_over_after_skew_time() {
    let (mut sim, a, b) = classic_sim(true);
    sim.run_until(at(10_300_000));
    let bye = sim.now();
    sim.shutdown(a);
    sim.run_for(Duration::from_secs(5));
    assert!(adverts_of(&sim, a).contains(&(bye, 0)), "a sent priority 0");
    let took_over = transitions_to(&sim, b, State::Master);
    assert_eq!(took_over.len(), 1);
    assert_eq!(took_over[0].at, at(bye.as_micros() + SKEW_V2_P100));
    assert_eq!(
        took_over[0].reason,
        Reason::MasterShutdown { master: ip(HOST_A) }
    );
    assert!(!sim.holds_vips(a, vrid()));
    assert!(sim.holds_vips(b, vrid()));
    let stats = sim.router(b, vrid()).expect("b runs").statistics();
    assert_eq!(stats.priority_zero_received, 1);
    assert_eq!(stats.last_master_reason, Some(took_over[0].reason));
}

/// The same handover between two routers driven by hand: the master's shutdown emits one
/// priority-0 advert and removes the VIPs; the backup counts it and arms Skew_Time.
#[test]
fn shutdown_sends_priority_zero_and_counts_it() {
    let mut a = master(classic(HOST_A, 101));
    let mut b = VirtualRouter::new(classic(HOST_B, 100), Instant::ZERO).expect("valid");
    drain(&mut b);
    let t = at(5 * SECOND);
    a.shutdown(t);
    let outs = drain(&mut a);
    assert_eq!(sent(&outs), vec![(ip(GROUP), 0)]);
    assert!(outs.contains(&Out::RemoveVips(vec![ip(VIP)])));
    assert_eq!(
        state_changes(&outs),
        vec![(State::Master, State::Initialize, Reason::Shutdown)]
    );
    assert_eq!(a.state(), State::Initialize);
    assert_eq!(a.poll_timeout(), None);
    assert_eq!(a.statistics().priority_zero_sent, 1);

    let Some(Out::Transmit { payload, .. }) =
        outs.iter().find(|o| matches!(o, Out::Transmit { .. }))
    else {
        unreachable!("checked above")
    };
    b.handle_packet(t, &RxMeta::v4(HOST_A, GROUP, 255), payload);
    assert_eq!(b.statistics().priority_zero_received, 1);
    assert_eq!(b.statistics().adverts_received, 1);
    assert_eq!(b.poll_timeout(), Some(at(t.as_micros() + SKEW_V2_P100)));
    b.handle_timeout(at(t.as_micros() + SKEW_V2_P100 - 1));
    assert_eq!(b.state(), State::Backup);
    b.handle_timeout(at(t.as_micros() + SKEW_V2_P100));
    assert_eq!(b.state(), State::Master);
    let outs = drain(&mut b);
    assert_eq!(
        state_changes(&outs),
        vec![(
            State::Backup,
            State::Master,
            Reason::MasterShutdown { master: ip(HOST_A) }
        )]
    );

    // A backup that shuts down sends nothing.
    let mut c = VirtualRouter::new(classic(HOST_B, 100), Instant::ZERO).expect("valid");
    drain(&mut c);
    c.shutdown(t);
    let outs = drain(&mut c);
    assert!(sent(&outs).is_empty());
    assert_eq!(
        state_changes(&outs),
        vec![(State::Backup, State::Initialize, Reason::Shutdown)]
    );
    assert_eq!(c.statistics().priority_zero_sent, 0);
}

/// With three routers the backup with the highest priority has the shortest Skew_Time
/// and wins the handover; the other hears it in time and stays Backup.
#[test]
fn priority_zero_handover_goes_to_the_highest_backup() {
    let mut sim = Sim::new(3);
    sim.set_link_model(zero_delay());
    let nodes: Vec<NodeId> = (0..3).map(|_| sim.add_node()).collect();
    for (i, (&n, p)) in nodes.iter().zip([200u8, 150, 100]).enumerate() {
        sim.add_router(n, v3_config(i as u8 + 1, p, 100))
            .expect("valid");
    }
    sim.run_for(Duration::from_secs(10));
    assert_eq!(sim.masters(vrid()), vec![nodes[0]]);
    let bye = sim.now();
    sim.shutdown(nodes[0]);
    sim.run_for(Duration::from_secs(10));
    let skew = skew_time_micros(Version::V3, Priority(150), Centiseconds(100));
    let after: Vec<_> = transitions_since(&sim, bye)
        .iter()
        .map(|t| (t.at, t.node, t.to))
        .collect();
    assert_eq!(
        after,
        vec![
            (bye, nodes[0], State::Initialize),
            (at(bye.as_micros() + skew), nodes[1], State::Master)
        ]
    );
}

// ---------------------------------------------------------------------------------------
// VRRPv3 timers and VRRPv2 interval checks
// ---------------------------------------------------------------------------------------

/// RFC 9568 section 6.4.2: a backup sets Master_Adver_Interval to the advert's interval
/// and recomputes Master_Down_Interval from it; as master it advertises its own interval.
#[test]
fn v3_backup_adopts_the_masters_interval() {
    let mut b = VirtualRouter::new(v3_config(2, 100, 100), Instant::ZERO).expect("valid");
    assert_eq!(b.poll_timeout(), Some(at(3 * SECOND + 609_375)));
    let t = at(SECOND);
    let adv = Advert::v3(1, 200, 50);
    b.handle_packet(t, &adv.meta(), &adv.bytes());
    assert_eq!(b.master_adver_interval(), Centiseconds(50));
    // 3 * 500 ms + 156/256 * 500 ms.
    let mdi = 1_500_000 + 304_687;
    assert_eq!(b.master_down_interval_micros(), mdi);
    assert_eq!(b.poll_timeout(), Some(at(SECOND + mdi)));

    // A master that speeds up to 20 cs: the backup follows.
    let t2 = at(SECOND + 500_000);
    let adv = Advert::v3(1, 200, 20);
    b.handle_packet(t2, &adv.meta(), &adv.bytes());
    assert_eq!(b.master_adver_interval(), Centiseconds(20));
    assert_eq!(
        b.poll_timeout(),
        Some(at(t2.as_micros() + 600_000 + 121_875))
    );

    // The master goes silent: the backup takes over and sends its configured 1 s.
    let deadline = b.poll_timeout().expect("armed");
    b.handle_timeout(deadline);
    assert_eq!(b.state(), State::Master);
    assert_eq!(b.master_adver_interval(), Centiseconds(100));
    let outs = drain(&mut b);
    let Some(Out::Transmit { payload, .. }) =
        outs.iter().find(|o| matches!(o, Out::Transmit { .. }))
    else {
        panic!("the new master advertises")
    };
    let packet = Packet::new_checked(&payload[..], Family::Ipv4).expect("well formed");
    assert_eq!(packet.v3_max_adver_interval(), 100);
    assert_eq!(
        b.poll_timeout(),
        Some(next_slot(deadline.as_micros(), SECOND))
    );
}

/// A VRRPv3 priority-0 advert arms Skew_Time computed from the departing master's
/// interval, not ours.
#[test]
fn v3_skew_time_after_priority_zero_uses_the_masters_interval() {
    let mut b = VirtualRouter::new(v3_config(2, 100, 100), Instant::ZERO).expect("valid");
    let adv = Advert::v3(1, 200, 10);
    b.handle_packet(at(SECOND), &adv.meta(), &adv.bytes());
    let bye = Advert::v3(1, 0, 10);
    b.handle_packet(at(SECOND + 100_000), &bye.meta(), &bye.bytes());
    assert_eq!(b.poll_timeout(), Some(at(SECOND + 100_000 + 60_937)));
}

/// RFC 3768 section 7.1: a VRRPv2 advert whose interval differs from ours is discarded
/// (intervals are configured, not learned) and counted; it does not reset the timer.
#[test]
fn v2_advert_with_another_interval_is_dropped() {
    let mut b = VirtualRouter::new(classic(HOST_B, 100), Instant::ZERO).expect("valid");
    drain(&mut b);
    let before = b.poll_timeout();
    let mut adv = Advert::classic(101);
    adv.interval_cs = 200;
    b.handle_packet(at(SECOND), &adv.meta(), &adv.bytes());
    assert_eq!(b.statistics().drops.interval_errors, 1);
    assert_eq!(b.statistics().adverts_received, 0);
    assert_eq!(b.poll_timeout(), before);
    assert_eq!(b.master_adver_interval(), Centiseconds(100));
    let outs = drain(&mut b);
    assert!(outs.contains(&Out::Event(Event::Dropped {
        from: ip(HOST_A),
        reason: DropReason::IntervalMismatch {
            received: Centiseconds(200),
            configured: Centiseconds(100)
        }
    })));
}

// ---------------------------------------------------------------------------------------
// Tracking (keepalived weights)
// ---------------------------------------------------------------------------------------

const CHECK: TrackId = TrackId(1);

fn tracked(mut c: RouterConfig, weight: i16, initially_up: bool) -> RouterConfig {
    c.tracks = vec![TrackConfig {
        id: CHECK,
        weight,
        initially_up,
    }];
    c
}

/// A check with weight -2 failing on the 101 master makes it 99 < 100: the backup, which
/// preempts, stops accepting its adverts and takes over Master_Down_Interval after the
/// last advert it accepted; the old master steps down at once. When the check recovers,
/// 101 > 100 and the original master takes it back.
#[test]
fn failing_check_with_negative_weight_hands_over_and_back() {
    let mut sim = Sim::new(11);
    sim.set_link_model(zero_delay());
    sim.record_adverts(true);
    sim.record_events(true);
    let a = sim.add_node();
    let b = sim.add_node();
    sim.add_router(a, tracked(classic(HOST_A, 101), -2, true))
        .expect("valid");
    sim.add_router(b, classic(HOST_B, 100)).expect("valid");
    sim.run_until(at(10_300_000));
    assert_eq!(sim.masters(vrid()), vec![a]);

    let fail = sim.now();
    sim.set_track(a, vrid(), CHECK, false);
    assert_eq!(
        sim.router(a, vrid()).map(VirtualRouter::effective_priority),
        Some(Priority(99))
    );
    assert!(sim.events().iter().any(|&(t, n, e)| t == fail
        && n == a
        && e == Event::PriorityChanged {
            from: Priority(101),
            to: Priority(99)
        }));
    sim.run_for(Duration::from_secs(10));
    // The master keeps advertising, now with 99.
    assert!(adverts_of(&sim, a)
        .iter()
        .any(|&(t, p)| t > fail && p == 99));
    let last_101 = adverts_of(&sim, a)
        .into_iter()
        .filter(|&(t, p)| t < fail && p == 101)
        .map(|(t, _)| t)
        .next_back()
        .expect("a advertised 101");
    let b_master = transitions_to(&sim, b, State::Master);
    assert_eq!(b_master.len(), 1);
    assert_eq!(b_master[0].at, at(last_101.as_micros() + MDI_V2_P100));
    assert_eq!(
        b_master[0].reason,
        Reason::PreemptedLowerMaster {
            master: ip(HOST_A),
            priority: Priority(99)
        }
    );
    let a_down = transitions_to(&sim, a, State::Backup);
    let a_down = a_down.last().expect("a stepped down");
    assert_eq!(a_down.at, b_master[0].at);
    assert_eq!(
        a_down.reason,
        Reason::HigherPriority {
            master: ip(HOST_B),
            priority: Priority(100)
        }
    );
    assert_eq!(sim.masters(vrid()), vec![b]);

    // Recovery: a is 101 again and ignores b's 100 from now on; it takes over no later
    // than Master_Down_Interval after the last advert it accepted.
    sim.run_until(at(30_300_000));
    let recover = sim.now();
    sim.set_track(a, vrid(), CHECK, true);
    sim.run_for(Duration::from_secs(10));
    let last_accepted = last_advert_before(&sim, b, recover);
    let a_master = transitions_to(&sim, a, State::Master);
    let back = a_master.last().expect("a is master again");
    assert!(back.at > recover);
    assert!(
        back.at.as_micros()
            <= last_accepted.as_micros()
                + master_down_interval_micros(Version::V2, Priority(99), Centiseconds(100))
    );
    assert_eq!(
        back.reason,
        Reason::PreemptedLowerMaster {
            master: ip(HOST_B),
            priority: Priority(100)
        }
    );
    assert_eq!(sim.masters(vrid()), vec![a]);
    assert!(sim.holds_vips(a, vrid()) && !sim.holds_vips(b, vrid()));
}

/// Weight 0: the master goes to Fault at once, sends priority 0 and releases the VIPs, so
/// the backup takes over after Skew_Time; on recovery it re-enters Backup and, with its
/// higher priority and preempt, becomes master Master_Down_Interval later.
#[test]
fn failing_check_with_weight_zero_faults_and_recovers() {
    let mut sim = Sim::new(12);
    sim.set_link_model(zero_delay());
    sim.record_adverts(true);
    let a = sim.add_node();
    let b = sim.add_node();
    sim.add_router(a, tracked(classic(HOST_A, 101), 0, true))
        .expect("valid");
    sim.add_router(b, classic(HOST_B, 100)).expect("valid");
    sim.run_until(at(10_300_000));
    let fail = sim.now();
    sim.set_track(a, vrid(), CHECK, false);
    assert_eq!(sim.state(a, vrid()), Some(State::Fault));
    assert!(!sim.holds_vips(a, vrid()));
    assert!(adverts_of(&sim, a).contains(&(fail, 0)));
    let a_fault = transitions_to(&sim, a, State::Fault);
    assert_eq!(a_fault.len(), 1);
    assert_eq!(a_fault[0].from, State::Master);
    assert_eq!(a_fault[0].reason, Reason::TrackDown(CHECK));
    sim.run_for(Duration::from_secs(20));
    let b_master = transitions_to(&sim, b, State::Master);
    assert_eq!(b_master.len(), 1);
    assert_eq!(b_master[0].at, at(fail.as_micros() + SKEW_V2_P100));
    assert_eq!(sim.state(a, vrid()), Some(State::Fault), "a stays in Fault");
    assert!(
        adverts_of(&sim, a).iter().all(|&(t, _)| t <= fail),
        "a router in Fault is silent"
    );
    let fault_stats = *sim.router(a, vrid()).expect("a runs").statistics();
    assert_eq!(fault_stats.priority_zero_sent, 1);

    let recover = sim.now();
    sim.set_track(a, vrid(), CHECK, true);
    assert_eq!(sim.state(a, vrid()), Some(State::Backup));
    sim.run_for(Duration::from_secs(10));
    let a_master = transitions_to(&sim, a, State::Master);
    let back = a_master.last().expect("a master again");
    assert_eq!(back.at, at(recover.as_micros() + MDI_V2_P101));
    let a_backup = transitions_to(&sim, a, State::Backup);
    assert_eq!(
        a_backup.last().map(|t| (t.from, t.reason)),
        Some((State::Fault, Reason::TrackUp))
    );
    assert_eq!(sim.masters(vrid()), vec![a]);
}

/// A backup whose weight-0 check fails goes to Fault silently and comes back as Backup.
#[test]
fn weight_zero_on_a_backup_faults_without_sending() {
    let mut b =
        VirtualRouter::new(tracked(classic(HOST_B, 100), 0, true), Instant::ZERO).expect("valid");
    drain(&mut b);
    b.set_track(at(SECOND), CHECK, false);
    let outs = drain(&mut b);
    assert!(sent(&outs).is_empty());
    assert!(!outs.iter().any(|o| matches!(o, Out::RemoveVips(_))));
    assert_eq!(
        state_changes(&outs),
        vec![(State::Backup, State::Fault, Reason::TrackDown(CHECK))]
    );
    assert_eq!(b.poll_timeout(), None, "no timer runs in Fault");
    // Adverts are ignored in Fault: nothing arms a timer.
    let adv = Advert::classic(101);
    b.handle_packet(at(2 * SECOND), &adv.meta(), &adv.bytes());
    assert_eq!(b.state(), State::Fault);
    assert_eq!(b.poll_timeout(), None);

    b.set_track(at(3 * SECOND), CHECK, true);
    let outs = drain(&mut b);
    assert_eq!(
        state_changes(&outs),
        vec![(State::Fault, State::Backup, Reason::TrackUp)]
    );
    assert_eq!(b.poll_timeout(), Some(at(3 * SECOND + MDI_V2_P100)));

    // Starting with the check down starts in Fault.
    let c =
        VirtualRouter::new(tracked(classic(HOST_B, 100), 0, false), Instant::ZERO).expect("valid");
    assert_eq!(c.state(), State::Fault);
}

/// The effective priority is clamped to 1..=254: tracking can neither make a router
/// leave with priority 0 nor claim to be the owner.
#[test]
fn effective_priority_is_clamped_to_1_through_254() {
    let low =
        VirtualRouter::new(tracked(classic(HOST_B, 2), -10, false), Instant::ZERO).expect("valid");
    assert_eq!(low.effective_priority(), Priority(1));
    let high =
        VirtualRouter::new(tracked(classic(HOST_B, 250), 10, true), Instant::ZERO).expect("valid");
    assert_eq!(high.effective_priority(), Priority(254));

    // Through set_track, with the event that says so.
    let mut vr =
        VirtualRouter::new(tracked(classic(HOST_B, 5), -100, true), Instant::ZERO).expect("valid");
    drain(&mut vr);
    vr.set_track(at(1), CHECK, false);
    assert_eq!(vr.effective_priority(), Priority(1));
    let outs = drain(&mut vr);
    assert!(outs.contains(&Out::Event(Event::PriorityChanged {
        from: Priority(5),
        to: Priority(1)
    })));
    // Master_Down_Interval follows the effective priority.
    assert_eq!(
        vr.master_down_interval_micros(),
        3 * SECOND + 255 * SECOND / 256
    );
    // And a master advertises it.
    let mut m = master(tracked(classic(HOST_A, 250), 10, true));
    m.handle_timeout(m.poll_timeout().expect("advert timer"));
    assert_eq!(sent(&drain(&mut m)), vec![(ip(GROUP), 254)]);
}

/// The address owner's priority is 255 whatever its tracks say.
#[test]
fn owner_priority_is_never_adjusted() {
    let mut owner =
        VirtualRouter::new(tracked(classic(HOST_A, 255), -50, true), Instant::ZERO).expect("valid");
    drain(&mut owner);
    owner.set_track(at(1), CHECK, false);
    assert_eq!(owner.effective_priority(), Priority::OWNER);
    let outs = drain(&mut owner);
    assert!(!outs
        .iter()
        .any(|o| matches!(o, Out::Event(Event::PriorityChanged { .. }))));
    assert_eq!(owner.state(), State::Master);
    owner.handle_timeout(owner.poll_timeout().expect("advert timer"));
    assert_eq!(sent(&drain(&mut owner)), vec![(ip(GROUP), 255)]);
}

/// Positive weights add while the object is up, and only then.
#[test]
fn positive_weight_adds_while_up() {
    let mut vr =
        VirtualRouter::new(tracked(classic(HOST_B, 100), 20, true), Instant::ZERO).expect("valid");
    assert_eq!(vr.effective_priority(), Priority(120));
    let shares: Vec<_> = vr.track_shares().collect();
    assert_eq!(shares.len(), 1);
    assert_eq!(shares[0].contribution, 20);
    vr.set_track(at(1), CHECK, false);
    assert_eq!(vr.effective_priority(), Priority(100));
    assert_eq!(vr.track_shares().next().map(|s| s.contribution), Some(0));
    vr.set_track(at(2), CHECK, true);
    assert_eq!(vr.effective_priority(), Priority(120));
    // Negative weights subtract while down, and only then.
    let mut neg =
        VirtualRouter::new(tracked(classic(HOST_B, 100), -20, true), Instant::ZERO).expect("valid");
    assert_eq!(neg.effective_priority(), Priority(100));
    neg.set_track(at(1), CHECK, false);
    assert_eq!(neg.effective_priority(), Priority(80));
    // Several tracks add up.
    let mut c = classic(HOST_B, 100);
    c.tracks = vec![
        TrackConfig {
            id: TrackId(1),
            weight: 10,
            initially_up: true,
        },
        TrackConfig {
            id: TrackId(2),
            weight: -30,
            initially_up: false,
        },
        TrackConfig {
            id: TrackId(3),
            weight: 5,
            initially_up: false,
        },
    ];
    let multi = VirtualRouter::new(c, Instant::ZERO).expect("valid");
    assert_eq!(multi.effective_priority(), Priority(80));
}

// ---------------------------------------------------------------------------------------
// The address owner
// ---------------------------------------------------------------------------------------

/// RFC 9568 section 6.4.1: priority 255 becomes Master at start-up, at once: it
/// advertises, adds and announces the VIPs without waiting for any timer.
#[test]
fn owner_becomes_master_at_startup() {
    let t = at(42);
    let mut owner = VirtualRouter::new(classic(HOST_A, 255), t).expect("valid");
    assert_eq!(owner.state(), State::Master);
    let outs = drain(&mut owner);
    assert_eq!(sent(&outs), vec![(ip(GROUP), 255)]);
    assert!(outs.contains(&Out::AddVips(vec![ip(VIP)])));
    assert!(has_announce(&outs));
    assert_eq!(
        state_changes(&outs),
        vec![(State::Initialize, State::Master, Reason::AddressOwner)]
    );
    assert_eq!(owner.poll_timeout(), Some(next_slot(42, SECOND)));
    assert_eq!(owner.statistics().master_transitions, 1);
}

/// RFC 9568 section 7.1: the owner discards every advert; another router claiming 255 is
/// reported as a conflict.
#[test]
fn owner_receiving_another_owner_reports_a_conflict() {
    let mut owner = VirtualRouter::new(classic(HOST_B, 255), Instant::ZERO).expect("valid");
    drain(&mut owner);
    let before = owner.poll_timeout();
    let adv = Advert::classic(255);
    owner.handle_packet(at(SECOND / 2), &adv.meta(), &adv.bytes());
    let outs = drain(&mut owner);
    assert!(outs.contains(&Out::Event(Event::OwnerConflict { from: ip(HOST_A) })));
    assert!(outs.contains(&Out::Event(Event::Dropped {
        from: ip(HOST_A),
        reason: DropReason::AddressOwner
    })));
    assert_eq!(owner.statistics().drops.address_owner, 1);
    assert_eq!(owner.statistics().adverts_received, 0);
    assert_eq!(owner.state(), State::Master);
    assert_eq!(owner.poll_timeout(), before);
    assert!(sent(&outs).is_empty());
    // A lower advert is discarded too, without a conflict.
    let adv = Advert::classic(100);
    owner.handle_packet(at(SECOND / 2 + 1), &adv.meta(), &adv.bytes());
    let outs = drain(&mut owner);
    assert!(!outs
        .iter()
        .any(|o| matches!(o, Out::Event(Event::OwnerConflict { .. }))));
    assert_eq!(owner.statistics().drops.address_owner, 2);
}

// ---------------------------------------------------------------------------------------
// Master receives an advert
// ---------------------------------------------------------------------------------------

/// RFC 9568 section 6.4.3: equal priority, the sender's primary address is greater: the
/// master steps down.
#[test]
fn master_steps_down_for_equal_priority_from_a_higher_address() {
    let mut low = master(v3_config(1, 100, 100));
    let t = at(10 * SECOND);
    let adv = Advert::v3(2, 100, 100);
    low.handle_packet(t, &adv.meta(), &adv.bytes());
    assert_eq!(low.state(), State::Backup);
    let outs = drain(&mut low);
    assert!(outs.contains(&Out::RemoveVips(vec![ip(Ipv4Addr::new(10, 0, 1, 1))])));
    assert!(sent(&outs).is_empty());
    assert_eq!(
        state_changes(&outs),
        vec![(
            State::Master,
            State::Backup,
            Reason::HigherAddress {
                master: ip(Ipv4Addr::new(10, 0, 0, 2))
            }
        )]
    );
    assert_eq!(
        low.poll_timeout(),
        Some(at(t.as_micros()
            + master_down_interval_micros(
                Version::V3,
                Priority(100),
                Centiseconds(100)
            )))
    );
}

/// ... and with the lower address the master keeps mastership and tells the other at
/// once (the other then steps down, see above).
#[test]
fn master_keeps_mastership_for_equal_priority_from_a_lower_address() {
    let mut high = master(v3_config(2, 100, 100));
    let t = at(10 * SECOND);
    let adv = Advert::v3(1, 100, 100);
    high.handle_packet(t, &adv.meta(), &adv.bytes());
    assert_eq!(high.state(), State::Master);
    let outs = drain(&mut high);
    assert_eq!(sent(&outs), vec![(ip(GROUP), 100)]);
    assert!(state_changes(&outs).is_empty());
}

/// Both routers with equal priority started at the same instant: their timers fire
/// together, both become master, and the higher address wins the tie.
#[test]
fn equal_priorities_started_together_elect_the_higher_address() {
    let mut sim = Sim::new(5);
    sim.set_link_model(LinkModel {
        min_delay: Duration::from_micros(100),
        max_delay: Duration::from_micros(100),
        ..zero_delay()
    });
    let a = sim.add_node();
    let b = sim.add_node();
    sim.add_router(a, v3_config(1, 100, 100)).expect("valid");
    sim.add_router(b, v3_config(2, 100, 100)).expect("valid");
    sim.run_for(Duration::from_secs(30));
    assert_eq!(sim.masters(vrid()), vec![b]);
    let a_down = transitions_to(&sim, a, State::Backup);
    assert_eq!(
        a_down.last().map(|t| t.reason),
        Some(Reason::HigherAddress {
            master: ip(Ipv4Addr::new(10, 0, 0, 2))
        })
    );
}

/// A master hearing a lower priority (a split brain healing) re-advertises at once and
/// announces the VIPs again, so that hosts that followed the other master come back.
#[test]
fn master_hearing_a_lower_priority_readvertises_and_announces() {
    let mut m = master(classic(HOST_B, 150));
    let t = at(5_500_000);
    let adv = Advert::classic(100);
    m.handle_packet(t, &adv.meta(), &adv.bytes());
    assert_eq!(m.state(), State::Master);
    let outs = drain(&mut m);
    assert_eq!(sent(&outs), vec![(ip(GROUP), 150)]);
    assert!(outs.contains(&Out::Announce {
        addresses: vec![ip(VIP)],
        count: 5
    }));
    // The periodic adverts keep their grid: at most one interval after the immediate one.
    assert_eq!(m.poll_timeout(), Some(next_slot(t.as_micros(), SECOND)));
    assert_eq!(m.statistics().adverts_received, 1);
}

/// RFC 9568 section 6.4.3: a master receiving priority 0 sends an advert at once.
#[test]
fn master_hearing_priority_zero_advertises_at_once() {
    let mut m = master(classic(HOST_B, 150));
    let t = at(5_500_000);
    let adv = Advert::classic(0);
    m.handle_packet(t, &adv.meta(), &adv.bytes());
    assert_eq!(m.state(), State::Master);
    let outs = drain(&mut m);
    assert_eq!(sent(&outs), vec![(ip(GROUP), 150)]);
    assert!(state_changes(&outs).is_empty());
    assert_eq!(m.statistics().priority_zero_received, 1);
    assert_eq!(m.poll_timeout(), Some(next_slot(t.as_micros(), SECOND)));
}

/// A master hearing a higher priority steps down, releases the VIPs and watches the new
/// master.
#[test]
fn master_steps_down_for_a_higher_priority() {
    let mut m = master(classic(HOST_B, 100));
    let t = at(9 * SECOND);
    let adv = Advert::classic(101);
    m.handle_packet(t, &adv.meta(), &adv.bytes());
    let outs = drain(&mut m);
    assert_eq!(
        state_changes(&outs),
        vec![(
            State::Master,
            State::Backup,
            Reason::HigherPriority {
                master: ip(HOST_A),
                priority: Priority(101)
            }
        )]
    );
    assert!(outs.contains(&Out::RemoveVips(vec![ip(VIP)])));
    assert_eq!(m.current_master(), Some((ip(HOST_A), Priority(101))));
    assert_eq!(m.poll_timeout(), Some(at(t.as_micros() + MDI_V2_P100)));
}

// ---------------------------------------------------------------------------------------
// Preemption
// ---------------------------------------------------------------------------------------

/// Adds host A (priority 101, `preempt_delay`) at `start` while B (100) is master.
fn late_higher_backup(preempt_delay: Duration) -> (Sim, NodeId, NodeId, Instant) {
    let mut sim = Sim::new(13);
    sim.set_link_model(zero_delay());
    sim.record_adverts(true);
    let a = sim.add_node();
    let b = sim.add_node();
    sim.add_router(b, classic(HOST_B, 100)).expect("valid");
    sim.run_until(at(20_300_000));
    assert_eq!(sim.masters(vrid()), vec![b]);
    let start = sim.now();
    let mut ca = classic(HOST_A, 101);
    ca.preempt_delay = preempt_delay;
    sim.add_router(a, ca).expect("valid");
    sim.run_for(Duration::from_secs(30));
    (sim, a, b, start)
}

/// Preempt on, no delay: a higher-priority backup ignores the lower master from its start
/// and takes over Master_Down_Interval later.
#[test]
fn higher_priority_backup_preempts_a_lower_master() {
    let (sim, a, b, start) = late_higher_backup(Duration::ZERO);
    let became = transitions_to(&sim, a, State::Master);
    assert_eq!(became.len(), 1);
    assert_eq!(became[0].at, at(start.as_micros() + MDI_V2_P101));
    assert_eq!(
        became[0].reason,
        Reason::PreemptedLowerMaster {
            master: ip(HOST_B),
            priority: Priority(100)
        }
    );
    assert_eq!(sim.masters(vrid()), vec![a]);
    assert_eq!(
        transitions_to(&sim, b, State::Backup).last().map(|t| t.at),
        Some(became[0].at)
    );
}

/// preempt_delay: the lower master is tolerated (its adverts accepted) for the delay after
/// start; after it, they are ignored and the down timer armed by the last accepted one
/// fires.
#[test]
fn preempt_delay_tolerates_a_lower_master_for_the_delay() {
    let delay = Duration::from_secs(10);
    let (sim, a, b, start) = late_higher_backup(delay);
    let allowed = start + delay;
    let became = transitions_to(&sim, a, State::Master);
    assert_eq!(became.len(), 1);
    assert!(became[0].at > allowed);
    let last_accepted = last_advert_before(&sim, b, allowed);
    assert!(last_accepted > start);
    assert_eq!(became[0].at, at(last_accepted.as_micros() + MDI_V2_P101));
    assert_eq!(
        became[0].reason,
        Reason::PreemptedLowerMaster {
            master: ip(HOST_B),
            priority: Priority(100)
        }
    );
    assert_eq!(sim.masters(vrid()), vec![a]);
}

// ---------------------------------------------------------------------------------------
// Receive checks: every drop has its counter (RFC 3768 / RFC 9568 section 7.1)
// ---------------------------------------------------------------------------------------

/// Feeds one bad packet to a fresh router of `config` at t = 1 s and checks that it was
/// dropped with exactly one counter, an event, and no effect on the election.
fn assert_dropped(
    config: RouterConfig,
    meta: RxMeta,
    bytes: &[u8],
    counter: fn(&DropCounters) -> u64,
    reason: impl Fn(&DropReason) -> bool,
) {
    let mut vr = VirtualRouter::new(config, Instant::ZERO).expect("valid");
    drain(&mut vr);
    let state = vr.state();
    let deadline = vr.poll_timeout();
    vr.handle_packet(at(SECOND), &meta, bytes);
    let stats = vr.statistics();
    assert_eq!(counter(&stats.drops), 1, "{:?}", stats.drops);
    assert_eq!(stats.drops.total(), 1, "{:?}", stats.drops);
    assert_eq!(stats.adverts_received, 0);
    assert_eq!(stats.address_list_errors, 0);
    assert_eq!(vr.state(), state);
    assert_eq!(
        vr.poll_timeout(),
        deadline,
        "a dropped advert changes no timer"
    );
    let outs = drain(&mut vr);
    let dropped: Vec<DropReason> = outs
        .iter()
        .filter_map(|o| match o {
            Out::Event(Event::Dropped { from, reason }) => {
                assert_eq!(*from, meta.src);
                Some(*reason)
            }
            _ => None,
        })
        .collect();
    assert_eq!(dropped.len(), 1, "{outs:?}");
    assert!(reason(&dropped[0]), "{:?}", dropped[0]);
    assert!(sent(&outs).is_empty());
}

fn backup_b() -> RouterConfig {
    classic(HOST_B, 100)
}

/// RFC 3768 section 7.1: "MUST verify that the IP TTL is 255".
#[test]
fn drop_ttl_not_255() {
    let adv = Advert::classic(101);
    let meta = RxMeta::v4(HOST_A, GROUP, 254);
    assert_dropped(
        backup_b(),
        meta,
        &adv.bytes(),
        |c| c.ip_ttl_errors,
        |r| *r == DropReason::Decode(DecodeError::BadHopLimit(254)),
    );
}

#[test]
fn drop_too_short() {
    let adv = Advert::classic(101);
    assert_dropped(
        backup_b(),
        adv.meta(),
        &adv.bytes()[..6],
        |c| c.packet_length_errors,
        |r| matches!(r, DropReason::Decode(DecodeError::TooShort { len: 6 })),
    );
}

/// The length must match the address count.
#[test]
fn drop_length_not_matching_the_count() {
    let adv = Advert::classic(101);
    let mut bytes = adv.bytes();
    bytes.extend_from_slice(&[0, 0, 0, 0]);
    assert_dropped(
        backup_b(),
        adv.meta(),
        &bytes,
        |c| c.packet_length_errors,
        |r| matches!(r, DropReason::Decode(DecodeError::LengthMismatch { .. })),
    );
}

#[test]
fn drop_unknown_version() {
    let adv = Advert::classic(101);
    let mut bytes = adv.bytes();
    tamper(&mut bytes, HOST_A, GROUP, |p| p.set_version_type_raw(0x41));
    assert_dropped(
        backup_b(),
        adv.meta(),
        &bytes,
        |c| c.version_errors,
        |r| *r == DropReason::Decode(DecodeError::BadVersion(4)),
    );
}

/// A VRRPv3 advert reaching a VRRPv2 router (a mixed-version LAN) is a version error,
/// not an advert.
#[test]
fn drop_v3_advert_at_a_v2_router() {
    let mut adv = Advert::classic(101);
    adv.version = Version::V3;
    adv.auth = Auth::None;
    assert_dropped(
        backup_b(),
        adv.meta(),
        &adv.bytes(),
        |c| c.version_errors,
        |r| {
            *r == DropReason::Decode(DecodeError::VersionMismatch {
                received: Version::V3,
                expected: Version::V2,
            })
        },
    );
}

#[test]
fn drop_v2_advert_at_a_v3_router() {
    let mut adv = Advert::v3(1, 101, 100);
    adv.version = Version::V2;
    assert_dropped(
        v3_config(2, 100, 100),
        adv.meta(),
        &adv.bytes(),
        |c| c.version_errors,
        |r| {
            *r == DropReason::Decode(DecodeError::VersionMismatch {
                received: Version::V2,
                expected: Version::V3,
            })
        },
    );
}

#[test]
fn drop_invalid_type() {
    let adv = Advert::classic(101);
    let mut bytes = adv.bytes();
    tamper(&mut bytes, HOST_A, GROUP, |p| p.set_version_type_raw(0x22));
    assert_dropped(
        backup_b(),
        adv.meta(),
        &bytes,
        |c| c.invalid_type,
        |r| *r == DropReason::Decode(DecodeError::BadType(2)),
    );
}

#[test]
fn drop_bad_checksum() {
    let adv = Advert::classic(101);
    let mut bytes = adv.bytes();
    bytes[7] ^= 0x01;
    assert_dropped(
        backup_b(),
        adv.meta(),
        &bytes,
        |c| c.checksum_errors,
        |r| matches!(r, DropReason::Decode(DecodeError::BadChecksum { .. })),
    );
}

#[test]
fn drop_other_vrid() {
    let mut adv = Advert::classic(101);
    adv.vrid = 52;
    assert_dropped(
        backup_b(),
        adv.meta(),
        &adv.bytes(),
        |c| c.vrid_errors,
        |r| *r == DropReason::VridMismatch(52),
    );
}

#[test]
fn drop_vrid_zero() {
    let adv = Advert::classic(101);
    let mut bytes = adv.bytes();
    tamper(&mut bytes, HOST_A, GROUP, |p| p.set_vrid(0));
    assert_dropped(
        backup_b(),
        adv.meta(),
        &bytes,
        |c| c.vrid_errors,
        |r| *r == DropReason::Decode(DecodeError::VridZero),
    );
}

#[test]
fn drop_v2_interval_mismatch() {
    let mut adv = Advert::classic(101);
    adv.interval_cs = 300;
    assert_dropped(
        backup_b(),
        adv.meta(),
        &adv.bytes(),
        |c| c.interval_errors,
        |r| matches!(r, DropReason::IntervalMismatch { .. }),
    );
}

/// RFC 9568: a Max Adver Interval of 0 could never time out; it is refused.
#[test]
fn drop_v3_interval_zero() {
    let adv = Advert::v3(1, 101, 100);
    let mut bytes = adv.bytes();
    tamper(&mut bytes, adv.src, adv.dst, |p| {
        p.set_v3_max_adver_interval(0)
    });
    assert_dropped(
        v3_config(2, 100, 100),
        adv.meta(),
        &bytes,
        |c| c.interval_errors,
        |r| *r == DropReason::Decode(DecodeError::IntervalZero),
    );
}

/// RFC 3768 section 5.3.6: auth type 2 (IP AH) was removed; it is refused with its own
/// counter.
#[test]
fn drop_auth_type_ip_ah() {
    let adv = Advert::classic(101);
    let mut bytes = adv.bytes();
    tamper(&mut bytes, HOST_A, GROUP, |p| p.set_v2_auth_type(2));
    assert_dropped(
        backup_b(),
        adv.meta(),
        &bytes,
        |c| c.invalid_auth_type,
        |r| *r == DropReason::Decode(DecodeError::AuthIpAhUnsupported),
    );
}

#[test]
fn drop_unknown_auth_type() {
    let adv = Advert::classic(101);
    let mut bytes = adv.bytes();
    tamper(&mut bytes, HOST_A, GROUP, |p| p.set_v2_auth_type(7));
    assert_dropped(
        backup_b(),
        adv.meta(),
        &bytes,
        |c| c.invalid_auth_type,
        |r| *r == DropReason::Decode(DecodeError::UnknownAuthType(7)),
    );
}

/// RFC 3768 section 7.1: the auth type must be the one configured.
#[test]
fn drop_auth_type_mismatch() {
    let mut adv = Advert::classic(101);
    adv.auth = Auth::None;
    assert_dropped(
        backup_b(),
        adv.meta(),
        &adv.bytes(),
        |c| c.auth_type_mismatch,
        |r| {
            *r == DropReason::Decode(DecodeError::AuthTypeMismatch {
                received: 0,
                expected: 1,
            })
        },
    );
    // And the other way round: a router without auth refuses a password.
    let mut c = backup_b();
    c.auth = Auth::None;
    let adv = Advert::classic(101);
    assert_dropped(
        c,
        adv.meta(),
        &adv.bytes(),
        |c| c.auth_type_mismatch,
        |r| {
            *r == DropReason::Decode(DecodeError::AuthTypeMismatch {
                received: 1,
                expected: 0,
            })
        },
    );
}

#[test]
fn drop_wrong_password() {
    let mut adv = Advert::classic(101);
    adv.auth = Auth::Simple(Password::new("mynginy").expect("fits"));
    assert_dropped(
        backup_b(),
        adv.meta(),
        &adv.bytes(),
        |c| c.auth_failures,
        |r| *r == DropReason::Decode(DecodeError::AuthFailure),
    );
}

#[test]
fn drop_at_the_address_owner() {
    let adv = Advert::classic(101);
    assert_dropped(
        classic(HOST_B, 255),
        adv.meta(),
        &adv.bytes(),
        |c| c.address_owner,
        |r| *r == DropReason::AddressOwner,
    );
}

/// A list that differs from ours in part is a peer half-way through a reload: dropping it
/// would make two masters. It is counted and reported, and the advert still counts.
#[test]
fn address_list_mismatch_is_reported_and_the_advert_still_processed() {
    let mut b = VirtualRouter::new(backup_b(), Instant::ZERO).expect("valid");
    drain(&mut b);
    let mut adv = Advert::classic(101);
    adv.vips = vec![VIP, Ipv4Addr::new(192, 168, 100, 99)];
    b.handle_packet(at(SECOND), &adv.meta(), &adv.bytes());
    let stats = b.statistics();
    assert_eq!(stats.address_list_errors, 1);
    assert_eq!(stats.drops.total(), 0);
    assert_eq!(stats.adverts_received, 1);
    assert_eq!(
        b.poll_timeout(),
        Some(at(SECOND + MDI_V2_P100)),
        "timer reset"
    );
    assert_eq!(b.current_master(), Some((ip(HOST_A), Priority(101))));
    let outs = drain(&mut b);
    assert!(outs.contains(&Out::Event(Event::AddressListMismatch { from: ip(HOST_A) })));
    assert!(!outs
        .iter()
        .any(|o| matches!(o, Out::Event(Event::Dropped { .. }))));

    // The same addresses in another order are the same list.
    let mut c = backup_b();
    let other = Ipv4Addr::new(192, 168, 100, 20);
    c.virtual_addresses = vec![ip(VIP).into(), ip(other).into()];
    let mut vr = VirtualRouter::new(c, Instant::ZERO).expect("valid");
    let mut adv = Advert::classic(101);
    adv.vips = vec![other, VIP];
    vr.handle_packet(at(SECOND), &adv.meta(), &adv.bytes());
    assert_eq!(vr.statistics().address_list_errors, 0);
    assert_eq!(vr.statistics().adverts_received, 1);
}

/// A list with no address in common with ours is not our virtual router (another cluster
/// on our VRID, or a forgery): dropped, so it moves neither a backup's timer nor a master.
#[test]
fn an_advert_for_unrelated_addresses_is_dropped() {
    let unrelated: Vec<Ipv4Addr> = (1..=255).map(|i| Ipv4Addr::new(10, 9, 9, i)).collect();
    let mut b = VirtualRouter::new(backup_b(), Instant::ZERO).expect("valid");
    drain(&mut b);
    let deadline = b.poll_timeout();
    let mut adv = Advert::classic(101);
    adv.vips = unrelated.clone();
    b.handle_packet(at(SECOND), &adv.meta(), &adv.bytes());
    assert_eq!(b.poll_timeout(), deadline, "timer not reset");
    assert_eq!(b.current_master(), None);
    let stats = b.statistics();
    assert_eq!(
        (
            stats.adverts_received,
            stats.address_list_errors,
            stats.drops.unrelated_addresses
        ),
        (0, 1, 1)
    );
    assert!(drain(&mut b).contains(&Out::Event(Event::Dropped {
        from: ip(HOST_A),
        reason: DropReason::UnrelatedAddresses
    })));

    // A master hearing a higher priority for unrelated addresses stays master.
    let mut m = master(classic(HOST_B, 100));
    let mut adv = Advert::classic(200);
    adv.vips = unrelated;
    m.handle_packet(at(10 * SECOND), &adv.meta(), &adv.bytes());
    assert_eq!(m.state(), State::Master);
    assert_eq!(m.statistics().drops.unrelated_addresses, 1);
}

/// Our own adverts looped back by the network are neither adverts nor drops.
#[test]
fn own_adverts_are_ignored() {
    let mut m = master(classic(HOST_A, 101));
    let adv = Advert::classic(101);
    m.handle_packet(at(4 * SECOND), &adv.meta(), &adv.bytes());
    assert_eq!(m.statistics().adverts_received, 0);
    assert_eq!(m.statistics().drops.total(), 0);
    assert!(drain(&mut m).is_empty());
}

// ---------------------------------------------------------------------------------------
// Unicast peers
// ---------------------------------------------------------------------------------------

/// keepalived's `unicast_peer`: every advert goes to each peer, never to the group, with
/// a checksum valid for that destination.
#[test]
fn unicast_peers_receive_adverts_instead_of_the_group() {
    let peers = [Ipv4Addr::new(10, 0, 0, 2), Ipv4Addr::new(10, 0, 0, 3)];
    let mut c = v3_config(1, 150, 100);
    c.unicast_peers = peers.iter().map(|&p| ip(p)).collect();
    let mut vr = VirtualRouter::new(c, Instant::ZERO).expect("valid");
    vr.handle_timeout(vr.poll_timeout().expect("armed"));
    let outs = drain(&mut vr);
    let src = Ipv4Addr::new(10, 0, 0, 1);
    let dsts: Vec<IpAddr> = sent(&outs).iter().map(|&(d, _)| d).collect();
    assert_eq!(dsts, vec![ip(peers[0]), ip(peers[1])]);
    for o in &outs {
        if let Out::Transmit {
            dst: IpAddr::V4(dst),
            payload,
        } = o
        {
            let (repr, form) = wire::decode(payload, &RxMeta::v4(src, *dst, 255))
                .expect("valid for its destination");
            assert_eq!(repr.priority, Priority(150));
            assert_eq!(form, ChecksumForm::V3Ipv4PseudoHeader);
        }
    }
    // Periodic adverts and the priority-0 goodbye too.
    vr.handle_timeout(vr.poll_timeout().expect("advert timer"));
    assert_eq!(
        sent(&drain(&mut vr)),
        vec![(ip(peers[0]), 150), (ip(peers[1]), 150)]
    );
    vr.shutdown(at(5 * SECOND));
    assert_eq!(
        sent(&drain(&mut vr)),
        vec![(ip(peers[0]), 0), (ip(peers[1]), 0)]
    );
    assert_eq!(vr.statistics().priority_zero_sent, 2);
}

/// On a LAN, a router that is not a unicast peer hears nothing of the pair.
#[test]
fn unicast_adverts_reach_only_the_peers() {
    let mut sim = Sim::new(17);
    sim.set_link_model(zero_delay());
    let a = sim.add_node();
    let b = sim.add_node();
    let c = sim.add_node();
    let mut ca = v3_config(1, 150, 100);
    ca.unicast_peers = vec![ip(Ipv4Addr::new(10, 0, 0, 2))];
    let mut cb = v3_config(2, 100, 100);
    cb.unicast_peers = vec![ip(Ipv4Addr::new(10, 0, 0, 1))];
    sim.add_router(a, ca).expect("valid");
    sim.add_router(b, cb).expect("valid");
    sim.add_router(c, v3_config(3, 50, 100)).expect("valid");
    sim.run_for(Duration::from_secs(60));
    let rx = |n| {
        sim.router(n, vrid())
            .expect("runs")
            .statistics()
            .adverts_received
    };
    assert!(rx(b) >= 55, "b hears a");
    assert_eq!(rx(c), 0, "c is no peer: it hears nothing");
    assert_eq!(sim.state(b, vrid()), Some(State::Backup));
    // c, hearing no one, is master of its own (multicast) world; a hears c and
    // re-asserts itself to its peers only.
    assert_eq!(sim.state(c, vrid()), Some(State::Master));
    assert_eq!(sim.state(a, vrid()), Some(State::Master));
}

// ---------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------

/// The checksum form of a peer is reported when first seen and when it changes — once
/// per change, not once per packet, even with several peers talking.
#[test]
fn peer_checksum_form_reported_once_per_change() {
    let mut b = VirtualRouter::new(v3_config(9, 100, 100), Instant::ZERO).expect("valid");
    drain(&mut b);
    let forms = |outs: &[Out]| -> Vec<(IpAddr, ChecksumForm)> {
        outs.iter()
            .filter_map(|o| match o {
                Out::Event(Event::PeerChecksumForm { from, form }) => Some((*from, *form)),
                _ => None,
            })
            .collect()
    };
    let p = Advert::v3(1, 200, 100);
    let mut q = Advert::v3(2, 150, 100);
    q.mode = ChecksumMode::Rfc9568;
    let mut t = 0;
    let mut feed = |b: &mut VirtualRouter, adv: &Advert| {
        t += 1000;
        b.handle_packet(at(t), &adv.meta(), &adv.bytes());
        drain(b)
    };
    let pip = ip(p.src);
    let qip = ip(q.src);
    assert_eq!(
        forms(&feed(&mut b, &p)),
        vec![(pip, ChecksumForm::V3Ipv4PseudoHeader)]
    );
    for _ in 0..5 {
        assert!(forms(&feed(&mut b, &p)).is_empty());
    }
    assert_eq!(
        b.peer_checksum_form(),
        Some((pip, ChecksumForm::V3Ipv4PseudoHeader))
    );
    // The peer switches to the RFC 9568 form (say, after an upgrade).
    let mut p2 = Advert::v3(1, 200, 100);
    p2.mode = ChecksumMode::Rfc9568;
    assert_eq!(
        forms(&feed(&mut b, &p2)),
        vec![(pip, ChecksumForm::V3Ipv4Rfc9568)]
    );
    assert!(forms(&feed(&mut b, &p2)).is_empty());
    // Two peers talking at once (two masters during a split brain): each is reported once.
    assert_eq!(
        forms(&feed(&mut b, &q)),
        vec![(qip, ChecksumForm::V3Ipv4Rfc9568)]
    );
    for _ in 0..5 {
        assert!(forms(&feed(&mut b, &p2)).is_empty(), "p2 already reported");
        assert!(forms(&feed(&mut b, &q)).is_empty(), "q already reported");
    }
}

// ---------------------------------------------------------------------------------------
// Routers: many virtual routers behind one decode
// ---------------------------------------------------------------------------------------

const IF1: InterfaceId = InterfaceId(1);
const OUR_V6: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
const PEER_V6: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2);

fn v4_router(vrid: u8, now: Instant) -> VirtualRouter {
    let mut c = RouterConfig::new(
        Vrid::new(vrid).expect("nonzero"),
        ip(Ipv4Addr::new(10, 0, 0, 1)),
        vec![ip(Ipv4Addr::new(10, 0, 1, vrid))],
    );
    // Priorities differ so that deadlines differ.
    c.priority = Priority(1 + vrid % 254);
    VirtualRouter::new(c, now).expect("valid")
}

fn v6_router(vrid: u8, now: Instant) -> VirtualRouter {
    let mut c = RouterConfig::new(
        Vrid::new(vrid).expect("nonzero"),
        IpAddr::V6(OUR_V6),
        vec![IpAddr::V6(vip_v6(vrid))],
    );
    c.priority = Priority(254 - vrid % 254);
    VirtualRouter::new(c, now).expect("valid")
}

fn v4_advert(vrid: u8, priority: u8) -> (RxMeta, Vec<u8>) {
    let adv = Advert {
        vrid,
        vips: vec![Ipv4Addr::new(10, 0, 1, vrid)],
        src: Ipv4Addr::new(10, 0, 0, 2),
        ..Advert::v3(2, priority, 100)
    };
    (adv.meta(), adv.bytes())
}

fn key(family: Family, vrid: u8) -> RouterKey {
    RouterKey {
        interface: IF1,
        family,
        vrid: Vrid::new(vrid).expect("nonzero"),
    }
}

/// Every VRID in both families on one interface.
fn full_house(now: Instant) -> Routers {
    let mut routers = Routers::new();
    for v in 1..=255u8 {
        routers.insert(IF1, v4_router(v, now)).expect("new key");
        routers.insert(IF1, v6_router(v, now)).expect("new key");
    }
    while routers.poll_output().is_some() {}
    routers
}

fn earliest(routers: &Routers) -> Option<Instant> {
    routers.iter().filter_map(|(_, vr)| vr.poll_timeout()).min()
}

/// 255 VRIDs x 2 families on one interface: a packet reaches exactly the router of its
/// family and VRID.
#[test]
fn routers_dispatch_by_family_and_vrid() {
    let mut routers = full_house(Instant::ZERO);
    assert_eq!(routers.len(), 510);
    assert_eq!(
        routers.insert(IF1, v4_router(7, Instant::ZERO)).err(),
        Some(vrrp_core::InsertError::Duplicate(key(Family::Ipv4, 7)))
    );
    let t = at(SECOND);
    let (meta, bytes) = advert_v6(PEER_V6, 200, 254);
    routers.handle_packet(t, IF1, &meta, &bytes);
    let (meta, bytes) = v4_advert(7, 254);
    routers.handle_packet(t, IF1, &meta, &bytes);
    for (k, vr) in routers.iter() {
        let expected = u64::from(*k == key(Family::Ipv6, 200) || *k == key(Family::Ipv4, 7));
        assert_eq!(vr.statistics().adverts_received, expected, "{k:?}");
        assert_eq!(vr.statistics().drops.total(), 0, "{k:?}");
    }
    let v6 = routers.get(&key(Family::Ipv6, 200)).expect("present");
    assert_eq!(
        v6.current_master(),
        Some((IpAddr::V6(PEER_V6), Priority(254)))
    );
    assert_eq!(
        v6.poll_timeout(),
        Some(at(SECOND + v6.master_down_interval_micros()))
    );
    // The events come out under the right keys.
    let mut keys = Vec::new();
    while let Some((k, out)) = routers.poll_output() {
        if let Output::Event(Event::PeerChecksumForm { .. }) = out {
            keys.push(k);
        }
    }
    keys.sort();
    assert_eq!(keys, vec![key(Family::Ipv4, 7), key(Family::Ipv6, 200)]);
    assert_eq!(routers.unattributed_statistics().unknown_vrid, 0);
}

/// A drop whose VRID byte names a router is counted on that router; anything else lands in
/// the unattributed counters.
#[test]
fn routers_count_unknown_vrids_and_drops() {
    let mut routers = full_house(Instant::ZERO);
    let t = at(SECOND);
    // Another interface: no router there.
    let (meta, bytes) = v4_advert(7, 254);
    routers.handle_packet(t, InterfaceId(2), &meta, &bytes);
    assert_eq!(routers.unattributed_statistics().unknown_vrid, 1);
    // A removed VRID.
    let removed = routers.remove(&key(Family::Ipv4, 77)).expect("present");
    assert_eq!(removed.config().vrid.get(), 77);
    assert_eq!(routers.len(), 509);
    let (meta, bytes) = v4_advert(77, 254);
    routers.handle_packet(t, IF1, &meta, &bytes);
    assert_eq!(routers.unattributed_statistics().unknown_vrid, 2);
    assert!(routers
        .iter()
        .all(|(_, vr)| vr.statistics().adverts_received == 0));
    // A bad checksum for a known VRID is that router's; for an unknown one, unattributed.
    let (meta, mut bytes) = v4_advert(8, 254);
    bytes[7] ^= 1;
    routers.handle_packet(t, IF1, &meta, &bytes);
    let r8 = routers.get(&key(Family::Ipv4, 8)).expect("present");
    assert_eq!(r8.statistics().drops.checksum_errors, 1);
    let (meta, mut bytes) = v4_advert(77, 254);
    bytes[7] ^= 1;
    routers.handle_packet(t, IF1, &meta, &bytes);
    assert_eq!(routers.unattributed_statistics().drops.checksum_errors, 1);
    // Too short to even name a VRID.
    routers.handle_packet(t, IF1, &meta, &[0x31]);
    assert_eq!(
        routers.unattributed_statistics().drops.packet_length_errors,
        1
    );
    // Each is also handed out once, for logging, with where and why.
    let drops: Vec<(InterfaceId, DropReason)> = std::iter::from_fn(|| routers.poll_unattributed())
        .map(|d| (d.interface, d.reason))
        .collect();
    assert_eq!(drops.len(), 4, "{drops:?}");
    assert_eq!(drops[0], (InterfaceId(2), DropReason::VridMismatch(7)));
    assert_eq!(drops[1], (IF1, DropReason::VridMismatch(77)));
    assert_eq!(drops[2].1.counter(), DropCounter::ChecksumErrors);
    assert_eq!(drops[3].1.counter(), DropCounter::PacketLengthErrors);
    // A flood is counted in full but queued only so far.
    for _ in 0..10_000 {
        routers.handle_packet(t, IF1, &meta, &[0x31]);
    }
    assert_eq!(
        routers.unattributed_statistics().drops.packet_length_errors,
        10_001
    );
    assert!(std::iter::from_fn(|| routers.poll_unattributed()).count() <= 64);
}

/// Every drop reason is counted under the counter its name says, and the names are the
/// status and metrics keys.
#[test]
fn drop_counters_are_named_and_enumerable() {
    let mut vr = VirtualRouter::new(backup_b(), Instant::ZERO).expect("valid");
    let mut adv = Advert::classic(101);
    adv.auth = Auth::None;
    vr.handle_packet(at(SECOND), &adv.meta(), &adv.bytes());
    let drops = vr.statistics().drops;
    assert_eq!(drops.get(DropCounter::AuthTypeMismatch), 1);
    assert_eq!(drops.total(), 1);
    let names: Vec<&str> = drops.iter().map(|(c, _)| c.name()).collect();
    assert_eq!(names.len(), DropCounter::ALL.len());
    assert!(names.contains(&"auth_type_mismatch") && names.contains(&"unrelated_addresses"));
}

/// The timer heap answers the true earliest deadline after any mix of packets (which move
/// deadlines later or earlier), timeouts and state changes.
#[test]
fn routers_poll_timeout_is_the_true_earliest_deadline() {
    let mut routers = full_house(Instant::ZERO);
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut now = Instant::ZERO;
    let mut masters_seen = 0;
    for step in 0..4000 {
        let r = next();
        match r % 8 {
            0..=4 => {
                let vrid = (r >> 8) as u8 % 255 + 1;
                // Mostly higher priorities (a master keeping us backup), some lower (a
                // preempted master), some zero (a master leaving).
                let priority = match (r >> 16) % 8 {
                    0 => 0,
                    1 | 2 => 1,
                    _ => 254,
                };
                let (meta, bytes) = if r & (1 << 30) == 0 {
                    v4_advert(vrid, priority)
                } else {
                    advert_v6(PEER_V6, vrid, priority)
                };
                routers.handle_packet(now, IF1, &meta, &bytes);
            }
            5 | 6 => {
                // Jump to the next deadline, as an event loop does.
                if let Some(d) = routers.poll_timeout() {
                    now = now.max(d);
                    routers.handle_timeout(now);
                    for (_, vr) in routers.iter() {
                        assert!(
                            vr.poll_timeout().is_none_or(|t| t > now),
                            "step {step}: a due timer was not fired"
                        );
                    }
                }
            }
            _ => now = now.add_micros((r >> 20) % 50_000),
        }
        while routers.poll_output().is_some() {}
        assert_eq!(routers.poll_timeout(), earliest(&routers), "step {step}");
        masters_seen = masters_seen.max(
            routers
                .iter()
                .filter(|(_, vr)| vr.state() == State::Master)
                .count(),
        );
    }
    assert!(masters_seen > 10, "the mix exercised master timers too");
}

/// A removed router's timers are forgotten, and a router reinserted under the same key is
/// scheduled afresh.
#[test]
fn routers_remove_then_reinsert() {
    let mut routers = Routers::new();
    let t0 = Instant::ZERO;
    // VRID 253 has the highest priority in v4_router, so the earliest deadline.
    for v in [10u8, 253, 100] {
        routers.insert(IF1, v4_router(v, t0)).expect("new");
    }
    let first = routers.poll_timeout().expect("deadline");
    let k = key(Family::Ipv4, 253);
    assert_eq!(
        Some(first),
        routers.get(&k).and_then(VirtualRouter::poll_timeout)
    );
    let removed = routers.remove(&k).expect("present");
    assert_eq!(removed.config().vrid.get(), 253);
    assert!(routers.get(&k).is_none());
    assert!(routers.remove(&k).is_none());
    assert_eq!(routers.poll_timeout(), earliest(&routers));
    assert!(routers.poll_timeout() > Some(first));

    // Reinserted later: its deadline is later than the forgotten one.
    let t1 = at(2 * SECOND);
    routers
        .insert(IF1, v4_router(253, t1))
        .expect("key is free again");
    assert_eq!(routers.len(), 3);
    let fresh = routers
        .get(&k)
        .and_then(VirtualRouter::poll_timeout)
        .expect("armed");
    assert!(fresh > first);
    assert_eq!(routers.poll_timeout(), earliest(&routers));
    // Packets reach the new router.
    let (meta, bytes) = v4_advert(253, 254);
    routers.handle_packet(t1, IF1, &meta, &bytes);
    assert_eq!(
        routers.get(&k).map(|vr| vr.statistics().adverts_received),
        Some(1)
    );
    // And its timer fires at its own deadline.
    let d = routers
        .get(&k)
        .and_then(VirtualRouter::poll_timeout)
        .expect("armed");
    while let Some(next) = routers.poll_timeout() {
        if next > d {
            break;
        }
        routers.handle_timeout(next);
    }
    assert_eq!(
        routers.get(&k).map(VirtualRouter::state),
        Some(State::Master)
    );
    let mut became = Vec::new();
    while let Some((key, out)) = routers.poll_output() {
        if let Output::Event(Event::StateChanged {
            to: State::Master, ..
        }) = out
        {
            became.push(key);
        }
    }
    assert!(became.contains(&k));
}

/// Masters with the same interval advertise at the same instants, whenever each took
/// over, so a host with many routers wakes once per interval; no gap between two adverts
/// of one master exceeds the interval.
#[test]
fn masters_with_one_interval_share_one_advert_grid() {
    let mut routers: Vec<VirtualRouter> = [(13, 1_234), (14, 77_777), (15, 999_999)]
        .into_iter()
        .map(|(host, start)| {
            let mut c = classic(Ipv4Addr::new(192, 168, 100, host), 255);
            c.vrid = Vrid::new(host).expect("nonzero");
            VirtualRouter::new(c, at(start)).expect("valid")
        })
        .collect();
    let mut sends: Vec<Vec<u64>> = vec![Vec::new(); routers.len()];
    let mut now = at(0);
    while now < at(10 * SECOND) {
        now = routers
            .iter()
            .filter_map(VirtualRouter::poll_timeout)
            .min()
            .expect("masters have timers");
        for (vr, log) in routers.iter_mut().zip(&mut sends) {
            vr.handle_timeout(now);
            for out in drain(vr) {
                if matches!(out, Out::Transmit { .. }) {
                    log.push(now.as_micros());
                }
            }
        }
    }
    for log in &sends {
        assert!(log.windows(2).all(|w| w[1] - w[0] <= SECOND), "{log:?}");
        // After the first advert at start-up, every advert is on the whole second.
        assert!(log[1..].iter().all(|t| t % SECOND == 0), "{log:?}");
    }
    assert_eq!(sends[0][1..], sends[1][1..sends[0].len()]);
    assert_eq!(sends[1][1..], sends[2][1..sends[1].len()]);
}

/// keepalived's `check_unicast_src`: with unicast peers and source checking, an advert
/// from anyone else is dropped and counted; a configured peer is heard as usual.
#[test]
fn unicast_source_check_drops_strangers_only() {
    let unicast_backup = |check: bool| {
        let mut c = backup_b();
        c.unicast_peers = vec![ip(HOST_A)];
        c.check_unicast_source = check;
        c
    };
    let stranger = Ipv4Addr::new(192, 168, 100, 66);
    let mut adv = Advert::classic(101);
    adv.src = stranger;
    adv.dst = HOST_B;
    assert_dropped(
        unicast_backup(true),
        adv.meta(),
        &adv.bytes(),
        |c| c.unknown_unicast_source,
        |r| *r == DropReason::UnknownUnicastSource,
    );
    // Without the check (keepalived's default) the stranger is heard.
    let mut open = VirtualRouter::new(unicast_backup(false), Instant::ZERO).expect("valid");
    open.handle_packet(at(SECOND), &adv.meta(), &adv.bytes());
    assert_eq!(open.statistics().adverts_received, 1);
    // With it, the configured peer is heard.
    let mut peer = Advert::classic(101);
    peer.dst = HOST_B;
    let mut checked = VirtualRouter::new(unicast_backup(true), Instant::ZERO).expect("valid");
    checked.handle_packet(at(SECOND), &peer.meta(), &peer.bytes());
    assert_eq!(checked.statistics().adverts_received, 1);
    assert_eq!(checked.statistics().drops.total(), 0);
}

/// A zero re-announce period (keepalived's `garp_master_refresh 0`) means "never", not a
/// timer that is always due and would spin the caller's loop.
#[test]
fn zero_refresh_period_means_no_refresh() {
    let mut c = classic(HOST_A, 255);
    c.announce.second_burst_delay = Duration::ZERO;
    c.announce.refresh = Some(Duration::ZERO);
    let t = at(5);
    let mut owner = VirtualRouter::new(c, t).expect("valid");
    drain(&mut owner);
    assert_eq!(owner.state(), State::Master);
    assert_eq!(owner.poll_timeout(), Some(next_slot(5, SECOND)));
    owner.handle_timeout(next_slot(5, SECOND));
    let outs = drain(&mut owner);
    assert!(!has_announce(&outs));
    assert_eq!(owner.poll_timeout(), Some(at(2 * SECOND)));
}

// ---------------------------------------------------------------------------------------
// Virtual addresses: prefix, label, one shared list
// ---------------------------------------------------------------------------------------

fn eth0_vip() -> Label {
    Label::new("eth0:vip").expect("a valid label")
}

/// The classic pair's host A, its VIP added as 192.168.100.12/24 with label eth0:vip.
fn labelled_classic() -> RouterConfig {
    let mut c = classic(HOST_A, 101);
    c.virtual_addresses = vec![VirtualAddress::with_prefix(ip(VIP), 24).with_label(eth0_vip())];
    c
}

/// `RouterConfig::new` takes plain addresses (host prefix, no label) as well as
/// `VirtualAddress`es.
#[test]
fn router_config_new_takes_plain_or_virtual_addresses() {
    let plain = RouterConfig::new(vrid(), ip(HOST_A), [ip(VIP)]);
    assert_eq!(plain.virtual_addresses, vec![VirtualAddress::new(ip(VIP))]);
    assert_eq!(plain.virtual_addresses[0].prefix_len, 32);
    let vip = VirtualAddress::with_prefix(ip(VIP), 24).with_label(eth0_vip());
    let full = RouterConfig::new(vrid(), ip(HOST_A), vec![vip]);
    assert_eq!(full.virtual_addresses, vec![vip]);
}

/// The adapter is told the prefix and label to add each VIP with.
#[test]
fn a_master_adds_its_vips_with_their_prefix_and_label() {
    let vip = VirtualAddress::with_prefix(ip(VIP), 24).with_label(eth0_vip());
    let mut vr = VirtualRouter::new(labelled_classic(), Instant::ZERO).expect("valid");
    vr.handle_timeout(at(MDI_V2_P101));
    let mut added = None;
    while let Some(out) = vr.poll_output() {
        if let Output::AddVips(list) = out {
            added = Some(list);
        }
    }
    let added = added.expect("the new master adds its VIPs");
    assert_eq!(added.as_slice(), &[vip]);
    assert_eq!(added.addrs().collect::<Vec<_>>(), vec![ip(VIP)]);
}

/// Adding, announcing and removing name the one list the router built at start-up: each
/// output costs a reference count, not a copy.
#[test]
fn every_output_naming_the_vips_shares_one_list() {
    let mut vr = VirtualRouter::new(labelled_classic(), Instant::ZERO).expect("valid");
    vr.handle_timeout(at(MDI_V2_P101)); // master: add, announce
    vr.handle_timeout(at(MDI_V2_P101 + 5 * SECOND)); // the second announcement burst
    vr.shutdown(at(MDI_V2_P101 + 6 * SECOND)); // remove
    let mut outputs = Vec::new();
    while let Some(out) = vr.poll_output() {
        outputs.push(out);
    }
    let mut lists: Vec<VipList> = Vec::new();
    for out in &outputs {
        match out {
            Output::AddVips(l) | Output::RemoveVips(l) => lists.push(l.clone()),
            Output::Announce(a) => lists.push(a.addresses.clone()),
            _ => {}
        }
    }
    // add, announce, second announce, remove
    assert_eq!(lists.len(), 4, "{outputs:?}");
    assert!(lists.iter().all(|l| VipList::ptr_eq(l, &lists[0])));
}

/// Outputs own their data: they can be kept while the router goes on, and sent to another
/// thread (an async task, a worker).
#[test]
fn outputs_can_be_kept_and_sent_to_another_thread() {
    let mut routers = Routers::new();
    let key = routers
        .insert(
            InterfaceId(1),
            VirtualRouter::new(classic(HOST_A, 255), Instant::ZERO).expect("valid"),
        )
        .expect("first router");
    let mut kept = Vec::new();
    while let Some(out) = routers.poll_output() {
        kept.push(out);
    }
    // The router moves on while the earlier outputs are still held.
    routers.handle_timeout(at(SECOND));
    while let Some(out) = routers.poll_output() {
        kept.push(out);
    }
    let adverts = std::thread::spawn(move || {
        kept.iter()
            .filter(|(k, o)| *k == key && matches!(o, Output::Transmit(_)))
            .count()
    })
    .join()
    .expect("no panic");
    assert_eq!(adverts, 2, "the owner's first advert and the periodic one");
}

/// RFC 9568 section 5.2.9: adverts carry bare addresses. The prefix and label are local.
#[test]
fn adverts_carry_the_bare_addresses_whatever_the_prefix_and_label() {
    let mut c = labelled_classic();
    c.priority = Priority::OWNER;
    let mut vr = VirtualRouter::new(c, Instant::ZERO).expect("valid");
    let Some(Output::Transmit(t)) = vr.poll_output() else {
        panic!("the owner advertises first");
    };
    let (repr, _) = wire::decode(&t.payload, &RxMeta::v4(HOST_A, GROUP, 255)).expect("decodes");
    assert_eq!(repr.addresses.iter().collect::<Vec<_>>(), vec![ip(VIP)]);
    assert_eq!(&t.payload[..], &Advert::classic(255).bytes()[..]);
}

/// A backup whose VIP has a prefix and a label hears the bare address list of its master
/// as its own.
#[test]
fn received_lists_are_compared_by_address_only() {
    let mut c = labelled_classic();
    c.primary_address = ip(HOST_B);
    c.priority = Priority(100);
    let mut b = VirtualRouter::new(c, Instant::ZERO).expect("valid");
    let adv = Advert::classic(101);
    b.handle_packet(at(SECOND), &adv.meta(), &adv.bytes());
    assert_eq!(b.statistics().adverts_received, 1);
    assert_eq!(b.statistics().address_list_errors, 0);
}

/// An advert that repeats one of our addresses in place of another does not list our
/// addresses, though it has as many.
#[test]
fn a_received_list_repeating_an_address_is_a_mismatch() {
    let other = Ipv4Addr::new(192, 168, 100, 20);
    let mut c = classic(HOST_B, 100);
    c.virtual_addresses = vec![ip(VIP).into(), ip(other).into()];
    let mut b = VirtualRouter::new(c, Instant::ZERO).expect("valid");
    let mut adv = Advert::classic(101);
    adv.vips = vec![VIP, VIP];
    b.handle_packet(at(SECOND), &adv.meta(), &adv.bytes());
    assert_eq!(b.statistics().address_list_errors, 1);
}

/// Prefix lengths are at most 32 (IPv4) and 128 (IPv6).
#[test]
fn a_prefix_longer_than_the_family_allows_is_refused() {
    let mut c = classic(HOST_A, 101);
    c.virtual_addresses = vec![VirtualAddress::with_prefix(ip(VIP), 33)];
    assert_eq!(
        c.validate(),
        Err(ConfigError::PrefixTooLong {
            address: ip(VIP),
            prefix_len: 33
        })
    );
    c.virtual_addresses = vec![VirtualAddress::with_prefix(ip(VIP), 32)];
    assert_eq!(c.validate(), Ok(()));

    let vip6 = IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 12));
    let mut c6 = RouterConfig::new(
        vrid(),
        IpAddr::V6(OUR_V6),
        [VirtualAddress::with_prefix(vip6, 129)],
    );
    assert_eq!(
        c6.validate(),
        Err(ConfigError::PrefixTooLong {
            address: vip6,
            prefix_len: 129
        })
    );
    c6.virtual_addresses[0].prefix_len = 64;
    assert_eq!(c6.validate(), Ok(()));
}

/// Linux address labels exist for IPv4 only.
#[test]
fn a_label_on_an_ipv6_address_is_refused() {
    let vip6 = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 12);
    let c = RouterConfig::new(
        vrid(),
        IpAddr::V6(OUR_V6),
        [VirtualAddress::new(IpAddr::V6(vip6)).with_label(eth0_vip())],
    );
    let err = c.validate().expect_err("a label on IPv6");
    assert_eq!(
        err,
        ConfigError::LabelOnIpv6 {
            address: vip6,
            label: eth0_vip()
        }
    );
    assert!(err.to_string().contains("only IPv4"), "{err}");
}

/// Each address once: the same address twice is refused, whatever its prefix or label.
#[test]
fn an_address_listed_twice_is_refused() {
    let mut c = classic(HOST_A, 101);
    c.virtual_addresses = vec![
        VirtualAddress::with_prefix(ip(VIP), 24),
        VirtualAddress::new(ip(VIP)).with_label(eth0_vip()),
    ];
    assert_eq!(
        VirtualRouter::new(c, Instant::ZERO).map(|_| ()),
        Err(ConfigError::DuplicateVirtualAddress(ip(VIP)))
    );
}

/// Only the address owner lists its own address as virtual: a backup would remove its own
/// advert source.
#[test]
fn a_non_owner_listing_its_own_address_is_refused() {
    let mut c = classic(HOST_A, 101);
    c.virtual_addresses = vec![ip(HOST_A).into()];
    assert_eq!(
        c.validate(),
        Err(ConfigError::VirtualAddressIsPrimary(ip(HOST_A)))
    );
    c.priority = Priority::OWNER;
    assert_eq!(c.validate(), Ok(()));
}

/// A numeric track (keepalived's `track_file`): the value times the weight counts; with
/// weight 0 any value but 0 faults, and a product below -253 faults.
#[test]
fn a_tracked_value_counts_value_times_weight_and_can_fault() {
    let file = TrackId(3000);
    let with = |weight| {
        let mut c = classic(HOST_A, 100);
        c.tracks.push(TrackConfig {
            id: file,
            weight,
            initially_up: true,
        });
        VirtualRouter::new(c, Instant::ZERO).expect("valid")
    };
    let mut vr = with(5);
    vr.set_track_value(Instant::ZERO, file, 4);
    assert_eq!(vr.effective_priority(), Priority(120));
    vr.set_track_value(Instant::ZERO, file, -10);
    assert_eq!(vr.effective_priority(), Priority(50));
    assert_eq!(vr.state(), State::Backup);
    vr.set_track_value(Instant::ZERO, file, -51); // -255 < -253
    assert_eq!(vr.state(), State::Fault);
    vr.set_track_value(Instant::ZERO, file, 0);
    assert_eq!(vr.state(), State::Backup);
    assert_eq!(vr.effective_priority(), Priority(100));

    let mut zero = with(0);
    zero.set_track_value(Instant::ZERO, file, 0);
    assert_eq!(zero.state(), State::Backup);
    zero.set_track_value(Instant::ZERO, file, 2);
    assert_eq!(zero.state(), State::Fault);
    assert_eq!(zero.effective_priority(), Priority(100));
}
