//! Faults our daemon (`vrrp run`) must repair by itself, on a LAN of network namespaces
//! (`tests/lab/`) with two routers and a client (issue 9):
//!
//! - someone deletes the VIP from the master's interface (`ip addr del`): the master puts
//!   it back within a second, says so in its log and announces it again; the backup never
//!   notices;
//! - the master's interface is deleted and re-created under the same name (a new ifindex,
//!   a new MAC): while it is gone the peer takes over; once it is back the daemon binds to
//!   the new interface, the higher-priority router preempts, and the daemon stops failing
//!   with "No such device".
//!
//! Contract used: `vrrp run -f FILE --status-socket PATH` and
//! `vrrp status --socket PATH --json`. Needs root (prints `SKIPPED: needs root`
//! otherwise), tcpdump and ping.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod lab;

use std::net::{IpAddr, Ipv4Addr};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lab::{run_with_timeout, secs, wait_until, Lab, Pair, ProcId, RUN_TIMEOUT};

/// The instance name in [`Pair::conf`].
const NAME: &str = "VI_1";

/// Wall-clock time, comparable with capture timestamps.
fn epoch_now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap()
}

/// Builds a lab, starts router 0 and waits until it is master with the VIP, then router 1
/// and waits until it is backup and has heard router 0. Returns the lab, the daemons and
/// when router 0 was first seen holding the VIP.
fn start_pair(pair: &Pair) -> (Lab, [ProcId; 2], Instant) {
    let mut lab = Lab::new(2);
    let vip = pair.vip_addr();
    let bound = pair.election_bound();
    let r0 = lab.start_vrrp(0, &pair.conf(&lab, 0));
    assert!(
        lab.wait_sole_holder(0, vip, bound),
        "router 0 did not take the VIP within {bound:?}; holders {:?}, status {:?}",
        lab.holders(vip),
        lab.vrrp_status(r0)
    );
    let master_since = Instant::now();
    assert!(
        wait_until(Duration::from_secs(5), || {
            lab.vrrp_state(r0, NAME).as_deref() == Some("master")
        }),
        "router 0 holds the VIP but is not master; status {:?}",
        lab.vrrp_status(r0)
    );
    let r1 = lab.start_vrrp(1, &pair.conf(&lab, 1));
    let heard = wait_until(bound, || {
        lab.vrrp_status(r1)
            .and_then(|s| s.into_iter().find(|r| r.name == NAME))
            .is_some_and(|r| r.state == "backup" && !r.raw["master"].is_null())
    });
    assert!(
        heard,
        "router 1 did not settle as backup of router 0; status {:?}",
        lab.vrrp_status(r1)
    );
    assert_eq!(lab.holders(vip), [0], "VIP on the master only");
    (lab, [r0, r1], master_since)
}

/// The addresses (with prefix lengths) on router `k`'s eth0, or `None` while there is no
/// eth0 (unlike [`Lab::addresses`], which panics then).
fn eth0_addresses(lab: &Lab, k: usize) -> Option<Vec<(IpAddr, u8)>> {
    let mut cmd = Command::new("ip");
    cmd.args(["-n", &lab.router_ns(k), "-j", "addr", "show", "dev", "eth0"]);
    let out = run_with_timeout(cmd, RUN_TIMEOUT).ok()?;
    if !out.status.success() {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    Some(
        json.as_array()?
            .iter()
            .flat_map(|link| link["addr_info"].as_array().cloned().unwrap_or_default())
            .filter_map(|a| {
                let addr = a["local"].as_str()?.parse().ok()?;
                let len = u8::try_from(a["prefixlen"].as_u64()?).ok()?;
                Some((addr, len))
            })
            .collect(),
    )
}

/// The routers whose eth0 (if it exists) carries `addr`.
fn holders(lab: &Lab, addr: &str) -> Vec<usize> {
    let want: IpAddr = addr.parse().unwrap();
    (0..lab.routers())
        .filter(|&k| {
            eth0_addresses(lab, k).is_some_and(|list| list.iter().any(|(a, _)| *a == want))
        })
        .collect()
}

/// The prefix length router `k` holds `addr` with.
fn prefix_len(lab: &Lab, k: usize, addr: &str) -> Option<u8> {
    let want: IpAddr = addr.parse().unwrap();
    eth0_addresses(lab, k)?
        .into_iter()
        .find(|(a, _)| *a == want)
        .map(|(_, len)| len)
}

/// A router's `counters.master_transitions` from `vrrp status --json`.
fn master_transitions(lab: &Lab, id: ProcId) -> Option<u64> {
    lab.vrrp_status(id)?
        .into_iter()
        .find(|r| r.name == NAME)?
        .raw["counters"]["master_transitions"]
        .as_u64()
}

/// The lines of `text` that contain `needle`, ignoring case.
fn lines_with<'a>(text: &'a str, needle: &str) -> Vec<&'a str> {
    let needle = needle.to_lowercase();
    text.lines()
        .filter(|l| l.to_lowercase().contains(&needle))
        .collect()
}

/// Deletes router `k`'s eth0 (a veth: its bridge port `rK` goes with it) and waits until
/// both ends are gone.
fn delete_router_link(lab: &Lab, k: usize) {
    let ns = lab.router_ns(k);
    lab.ip(&ns, &["link", "del", "eth0"]);
    let port = format!("r{k}");
    let sw = lab.switch_ns();
    let gone = wait_until(Duration::from_secs(5), || {
        let mut cmd = Command::new("ip");
        cmd.args(["-n", &sw, "link", "show", "dev", &port]);
        run_with_timeout(cmd, RUN_TIMEOUT).is_ok_and(|out| !out.status.success())
    });
    assert!(
        gone,
        "bridge port {port} still exists after deleting {ns}'s eth0"
    );
}

/// Re-creates router `k`'s eth0 exactly as [`Lab::new`] builds it: a veth pair made in the
/// switch namespace, `rK` enslaved to br0 and up, `eth0` moved into the router's
/// namespace with its IPv4 /24 and IPv6 /64 (no DAD; the namespace's default has DAD off
/// too), then up, and a usable IPv6 link-local. The lab sets no MAC, so the new eth0 gets
/// a new random one (and a link-local derived from it).
fn recreate_router_link(lab: &Lab, k: usize) {
    let ns = lab.router_ns(k);
    let sw = lab.switch_ns();
    let port = format!("r{k}");
    let v4 = format!("{}/24", Lab::router_v4(k));
    let v6 = format!("{}/64", Lab::router_v6(k));
    lab.ip(
        &sw,
        &[
            "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", &ns,
        ],
    );
    lab.ip(&sw, &["link", "set", &port, "master", "br0", "up"]);
    lab.ip(&ns, &["addr", "add", &v4, "dev", "eth0"]);
    lab.ip(&ns, &["addr", "add", &v6, "dev", "eth0", "nodad"]);
    lab.ip(&ns, &["link", "set", "eth0", "up"]);
    let link_local = wait_until(Duration::from_secs(5), || {
        eth0_addresses(lab, k).is_some_and(|list| {
            list.iter()
                .any(|(a, _)| matches!(a, IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80))
        })
    });
    assert!(
        link_local,
        "{ns}: the re-created eth0 has no IPv6 link-local within 5 s"
    );
}

#[test]
fn a_vip_deleted_behind_the_masters_back_is_restored_within_a_second() {
    require_root!();
    require_tools!("tcpdump", "ping");
    // The classic pair (VRRPv2, 1 s adverts): a repair that waited for the next advert
    // could take up to a second; it must follow the kernel's notification instead.
    let pair = Pair::classic();
    let (mut lab, ids, master_since) = start_pair(&pair);
    let vip = pair.vip_addr();
    assert!(
        wait_until(Duration::from_secs(5), || lab.client_ping(vip)),
        "client cannot reach the VIP on the master"
    );
    let prefix = prefix_len(&lab, 0, vip).unwrap();
    let transitions1 = master_transitions(&lab, ids[1]);
    assert_eq!(transitions1, Some(0), "router 1 was master before the test");

    let capture = lab.start_capture();
    // The second burst of announcements comes 5 s after becoming master: wait it out, so
    // that announcements seen after the deletion come from the repair.
    let quiet = master_since + Duration::from_secs(7);
    if let Some(rest) = quiet.checked_duration_since(Instant::now()) {
        std::thread::sleep(rest);
    }
    let mac0 = lab.router_mac(0);
    let vip4: Ipv4Addr = vip.parse().unwrap();
    let t_del = epoch_now();
    lab.ip(
        &lab.router_ns(0),
        &["addr", "del", &format!("{vip}/{prefix}"), "dev", "eth0"],
    );
    let t0 = Instant::now();

    // Poll every 50 ms; keep polling past the 1 s bound to report how late a repair was.
    let mut restored_after = None;
    while t0.elapsed() < Duration::from_secs(3) {
        let now = holders(&lab, vip);
        assert!(
            !now.contains(&1),
            "router 1 took the VIP {} after it was deleted on router 0; status {:?}",
            secs(t0.elapsed()),
            lab.vrrp_status(ids[1])
        );
        if now == [0] {
            restored_after = Some(t0.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let restored_after = restored_after.unwrap_or_else(|| {
        panic!(
            "router 0 did not restore the VIP within 3 s; status {:?}\n{}",
            lab.vrrp_status(ids[0]),
            lab.log(ids[0])
        )
    });
    eprintln!(
        "VIP restored on router 0 {} after its deletion",
        secs(restored_after)
    );
    assert!(
        restored_after < Duration::from_secs(1),
        "the VIP came back only after {}",
        secs(restored_after)
    );
    assert_eq!(
        prefix_len(&lab, 0, vip),
        Some(prefix),
        "restored with another prefix length"
    );

    assert!(
        wait_until(Duration::from_secs(2), || !lines_with(
            &lab.log(ids[0]),
            "restor"
        )
        .is_empty()),
        "router 0's log does not mention the restore:\n{}",
        lab.log(ids[0])
    );
    eprintln!(
        "router 0 logged: {}",
        lines_with(&lab.log(ids[0]), "restor").join("\n")
    );

    // A gratuitous ARP from router 0 after the deletion: the repair re-announced the VIP.
    let garp = wait_until(Duration::from_secs(2), || {
        lab.capture_snapshot(&capture)
            .garps
            .iter()
            .any(|g| g.ip == vip4 && g.t >= t_del && g.mac == mac0)
    });
    let trace = lab.capture_snapshot(&capture);
    assert!(
        garp,
        "no gratuitous ARP for the VIP from router 0 ({mac0}) after the restore:\n{}",
        trace.summary()
    );
    if let Some(g) = trace.first_garp_after(vip4, t_del) {
        eprintln!(
            "first gratuitous ARP {} after the deletion",
            secs(g.t.saturating_sub(t_del))
        );
    }

    // Two more seconds: the VIP stays on router 0 alone, router 1 stays backup.
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        assert_eq!(holders(&lab, vip), [0], "the VIP left router 0 again");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(lab.vrrp_state(ids[0], NAME).as_deref(), Some("master"));
    assert_eq!(lab.vrrp_state(ids[1], NAME).as_deref(), Some("backup"));
    assert_eq!(
        master_transitions(&lab, ids[1]),
        Some(0),
        "router 1 became master at some point; status {:?}",
        lab.vrrp_status(ids[1])
    );
    assert_eq!(master_transitions(&lab, ids[0]), Some(1));
    assert!(
        wait_until(Duration::from_secs(5), || lab.client_ping(vip)),
        "client cannot reach the VIP after the restore"
    );
    lab.stop_capture(capture);
}

#[test]
fn an_interface_deleted_and_recreated_is_rebound_and_the_pair_recovers() {
    require_root!();
    require_tools!("tcpdump", "ping");
    let pair = Pair {
        check: None,
        ..Pair::v3("0.1")
    };
    let (mut lab, ids, _) = start_pair(&pair);
    let vip = pair.vip_addr();
    let bound = pair.election_bound();
    let capture = lab.start_capture();
    let old_mac = lab.router_mac(0);

    // The interface goes away: router 0 loses it (and the VIP with it), router 1 takes over.
    delete_router_link(&lab, 0);
    let t_gone = Instant::now();
    assert!(
        wait_until(bound, || holders(&lab, vip) == [1]),
        "router 1 did not become the sole holder within {bound:?} of router 0's eth0 going; \
         holders {:?}, status {:?} / {:?}",
        holders(&lab, vip),
        lab.vrrp_status(ids[0]),
        lab.vrrp_status(ids[1])
    );
    eprintln!(
        "router 1 took the VIP {} after router 0's eth0 was deleted",
        secs(t_gone.elapsed())
    );
    assert!(
        wait_until(Duration::from_secs(5), || lab
            .vrrp_state(ids[1], NAME)
            .as_deref()
            == Some("master")),
        "router 1 holds the VIP but is not master; status {:?}",
        lab.vrrp_status(ids[1])
    );
    // Let router 0 live without its interface for a while (several advert intervals).
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        lab.is_running(ids[0]),
        "router 0's daemon exited when its interface went away:\n{}",
        lab.log(ids[0])
    );
    eprintln!("router 0 without eth0: {:?}", lab.vrrp_state(ids[0], NAME));
    assert_eq!(holders(&lab, vip), [1]);

    // The interface comes back: same name and addresses, new ifindex and MAC.
    recreate_router_link(&lab, 0);
    let t_back = Instant::now();
    let t_back_epoch = epoch_now();
    let new_mac = lab.router_mac(0);
    eprintln!("eth0 re-created on router 0 (MAC {old_mac} -> {new_mac})");
    let recovered = wait_until(Duration::from_secs(10), || {
        holders(&lab, vip) == [0]
            && lab.vrrp_state(ids[0], NAME).as_deref() == Some("master")
            && lab.vrrp_state(ids[1], NAME).as_deref() == Some("backup")
    });
    assert!(
        recovered,
        "the pair did not recover within 10 s of eth0 coming back; holders {:?}, \
         status {:?} / {:?}",
        holders(&lab, vip),
        lab.vrrp_status(ids[0]),
        lab.vrrp_status(ids[1])
    );
    eprintln!(
        "router 0 master again with the VIP {} after eth0 was re-created",
        secs(t_back.elapsed())
    );

    // Steady for a second, and nothing in that second about a missing device.
    let log_before = lab.log(ids[0]).len();
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        assert_eq!(holders(&lab, vip), [0], "the VIP left router 0 again");
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = lab.log(ids[0]);
    let recent = log.get(log_before..).unwrap_or_default();
    let errors = lines_with(recent, "No such device");
    assert!(
        errors.is_empty(),
        "router 0 still fails on the old interface a second after recovering:\n{}",
        errors.join("\n")
    );
    let total = lines_with(&log, "No such device").len();
    eprintln!("router 0 logged {total} \"No such device\" line(s) in all");
    assert_eq!(lab.vrrp_state(ids[0], NAME).as_deref(), Some("master"));
    assert_eq!(lab.vrrp_state(ids[1], NAME).as_deref(), Some("backup"));

    // The client reaches the VIP through router 0's new MAC: the takeover announced it.
    assert!(
        wait_until(Duration::from_secs(5), || lab.client_ping(vip)),
        "client cannot reach the VIP on the recovered router 0; its neighbour entry {:?} \
         (router 0 {new_mac}, router 1 {})",
        lab.client_neighbour(vip),
        lab.router_mac(1)
    );
    let trace = lab.stop_capture(capture);
    let vip4: Ipv4Addr = vip.parse().unwrap();
    assert!(
        trace
            .garps
            .iter()
            .any(|g| g.ip == vip4 && g.t >= t_back_epoch && g.mac == new_mac),
        "no gratuitous ARP for the VIP from router 0's new MAC {new_mac}:\n{}",
        trace.summary()
    );
}
