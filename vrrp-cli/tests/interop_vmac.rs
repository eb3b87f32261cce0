//! `use_vmac` interop: our daemon and keepalived 2.2.7, and our daemon and FRR 8.4's
//! vrrpd, as the two routers of a VRRPv3 / IPv4 pair (VRID 51, 100 ms adverts), each
//! serving the VIP from a macvlan with the virtual MAC 00:00:5e:00:01:33.
//!
//! Each test runs router 0 (priority 150) and router 1 (priority 100) through: router 0
//! master; router 0 stopped with SIGTERM (router 1 takes over); router 0 started again
//! (it preempts). At each of the three stages:
//!
//! - exactly one router serves the VIP, the master, and from a macvlan on eth0 with the
//!   virtual MAC (ours: `vrrp.51`; keepalived: its vmac, found with `ip addr show to`;
//!   FRR: its `vrrp4-<ifindex>-51`, which vrrpd keeps the VIP on as backup too, under
//!   protodown, so "serves" means the macvlan is operational);
//! - the client reaches the VIP and its neighbour entry for it is the virtual MAC; also
//!   after the client's and the master's neighbour caches are flushed and the client
//!   pings again (the client must ask with ARP, and the master must ask for the client:
//!   the step that teaches the client the parent's MAC when the master asks with the VIP
//!   as sender, see below);
//!
//! and a stopped router leaves no macvlan behind (ours and keepalived remove theirs;
//! vrrpd 8.4, stopped as master, leaves its own behind with the VIP on it, admin up but in
//! protodown; the test deletes it, as the FRR interop scenario does). A capture on the
//! client checks the cause as well as the effect: every ARP packet the client sees with
//! the VIP as sender address comes from, and names, the virtual MAC.
//!
//! arp_announce: our daemon sets `arp_announce=2` on the parent, so that the master asks
//! for the client with the parent's own address. keepalived 2.2.7 does not, nor does
//! vrrpd; the master then asks from eth0 with the VIP as the sender address, and the
//! client, which is the target, overwrites its entry for the VIP with the master's parent
//! MAC. The tests set `net.ipv4.conf.eth0.arp_announce=2` in keepalived's and FRR's
//! namespaces before starting them (the lab already sets `arp_ignore=1` for FRR), and
//! [`keepalived_without_arp_announce_teaches_the_client_its_parent_mac`] shows the
//! failure without it.
//!
//! Needs root, keepalived (or FRR: `/usr/lib/frr/zebra`, `/usr/lib/frr/vrrpd`, `vtysh`,
//! user `frr`), tcpdump and ping; otherwise prints `SKIPPED: ...` and passes.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod lab;

use std::fs;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::{Duration, Instant};

use lab::peers::{FrrConf, Kind, Node};
use lab::{secs, wait_until, Capture, Lab, VIP4, VRID};

/// The IPv4 virtual router MAC of VRID 51.
const VMAC: &str = "00:00:5e:00:01:33";
/// The macvlan our daemon creates for VRID 51.
const OUR_VMAC_DEV: &str = "vrrp.51";
/// Router 0's priority (the preferred master).
const HIGH: u8 = 150;
/// Router 1's priority.
const LOW: u8 = 100;
/// Bound for one election: Master_Down_Interval is ~0.3 s, but adding or removing a VIP
/// waits for the kernel's RTNL lock, which namespace churn of concurrent tests can hold
/// for seconds.
const BOUND: Duration = Duration::from_secs(15);

#[test]
fn ours_master_keepalived_backup() {
    require_keepalived!();
    vmac_failover([Kind::Vrrp, Kind::Keepalived]);
}

#[test]
fn keepalived_master_ours_backup() {
    require_keepalived!();
    vmac_failover([Kind::Keepalived, Kind::Vrrp]);
}

#[test]
fn ours_master_frr_backup() {
    require_frr!();
    vmac_failover([Kind::Vrrp, Kind::Frr]);
}

#[test]
fn frr_master_ours_backup() {
    require_frr!();
    vmac_failover([Kind::Frr, Kind::Vrrp]);
}

/// keepalived alone, master with `use_vmac` and eth0's `arp_announce` left at 0: once it
/// has to ask for the client (its cache flushed) while answering the client's ping, it
/// asks from eth0 with the VIP as the sender address, and the client's entry for the VIP
/// becomes keepalived's eth0 MAC. This is why the other tests set `arp_announce=2` for
/// keepalived, and why our daemon sets it.
#[test]
fn keepalived_without_arp_announce_teaches_the_client_its_parent_mac() {
    require_keepalived!();
    let mut lab = Lab::new(1);
    let capture = lab.start_capture();
    let id = lab.start_keepalived(0, &conf(&lab, 0, HIGH));
    let node = Node::Keepalived { k: 0, id };
    let nodes = [&node];
    wait_for(&lab, &nodes, "keepalived master", || {
        lab.is_master(&node) && sole_server(&lab, &nodes, 0).is_ok()
    });
    assert_eq!(sysctl(&lab, 0, "eth0", "arp_announce"), "0");
    lab.client_flush_neighbours();
    flush_router_neighbours(&lab, 0);
    assert!(
        wait_until(Duration::from_secs(5), || lab.client_ping(VIP4)),
        "client cannot reach the VIP\n{}",
        diagnostics(&lab, &nodes)
    );
    let parent = lab.router_mac(0);
    // The ping's reply waits for keepalived's ARP request and the client's reply; the
    // client updated its entry on receiving the request, before it answered.
    assert_eq!(
        lab.client_neighbour(VIP4).as_deref(),
        Some(parent.as_str()),
        "expected keepalived's eth0 MAC {parent}\n{}",
        diagnostics(&lab, &nodes)
    );
    let arps = stop_arp_capture(&mut lab, capture);
    assert!(
        arps.iter()
            .any(|a| a.op == 1 && a.spa == vip() && a.sha == parent && a.eth_src == parent),
        "no ARP request from keepalived's eth0 with the VIP as sender:\n{}",
        arp_summary(&arps)
    );
}

/// The scenario of the module documentation, `kinds[0]` on router 0 (priority 150) and
/// `kinds[1]` on router 1 (priority 100).
fn vmac_failover(kinds: [Kind; 2]) {
    let mut lab = Lab::new(2);
    let started = Instant::now();
    let capture = lab.start_capture();

    // 1. router 0 master, router 1 backup
    let n0 = start(&mut lab, kinds[0], 0, HIGH);
    wait_for(&lab, &[&n0], "router 0 master on its macvlan", || {
        lab.is_master(&n0) && sole_server(&lab, &[&n0], 0).is_ok()
    });
    let n1 = start(&mut lab, kinds[1], 1, LOW);
    wait_for(&lab, &[&n0, &n1], "router 1 backup", || lab.is_backup(&n1));
    // No flapping while router 1 learns router 0 (ten advert intervals).
    let until = Instant::now() + Duration::from_secs(1);
    while Instant::now() < until {
        assert!(
            lab.is_master(&n0) && lab.is_backup(&n1),
            "not settled: states {:?} / {:?}\n{}",
            lab.node_state(&n0),
            lab.node_state(&n1),
            diagnostics(&lab, &[&n0, &n1])
        );
        assert_sole_server(&lab, &[&n0, &n1], 0, "after start-up");
        std::thread::sleep(Duration::from_millis(100));
    }
    if kinds[1] == Kind::Vrrp {
        assert!(
            link(&lab, 1, OUR_VMAC_DEV).is_some(),
            "our backup's macvlan waits, without the VIP"
        );
    }
    check_client(&lab, &[&n0, &n1], 0, "router 0 master");

    // 2. router 0 stops (SIGTERM: priority 0): router 1 takes over
    stop_node(&mut lab, &n0);
    wait_for(
        &lab,
        &[&n0, &n1],
        "router 1 master after router 0 stopped",
        || lab.is_master(&n1) && sole_server(&lab, &[&n1], 1).is_ok(),
    );
    assert_sole_server(&lab, &[&n0, &n1], 1, "after router 0 stopped");
    let left = macvlans(&lab, 0);
    assert!(
        left.is_empty(),
        "router 0 ({:?}) left macvlans behind: {left:?}",
        kinds[0]
    );
    // The client's entry is right without asking again: the MAC moved with the VIP.
    assert!(
        wait_until(Duration::from_secs(5), || lab.client_ping(VIP4)),
        "client cannot reach the VIP on router 1 without asking again\n{}",
        diagnostics(&lab, &[&n0, &n1])
    );
    assert_neighbour_is_vmac(&lab, &[&n0, &n1], "router 1 master, before any flush");
    check_client(&lab, &[&n0, &n1], 1, "router 1 master");

    // 3. router 0 comes back and preempts
    let n0 = start(&mut lab, kinds[0], 0, HIGH);
    wait_for(&lab, &[&n0, &n1], "router 0 preempted", || {
        lab.is_master(&n0) && lab.is_backup(&n1) && sole_server(&lab, &[&n0, &n1], 0).is_ok()
    });
    assert!(
        wait_until(Duration::from_secs(5), || lab.client_ping(VIP4)),
        "client cannot reach the VIP on router 0 after preemption without asking again\n{}",
        diagnostics(&lab, &[&n0, &n1])
    );
    assert_neighbour_is_vmac(&lab, &[&n0, &n1], "router 0 master again, before any flush");
    check_client(&lab, &[&n0, &n1], 0, "router 0 master again");

    // The cause: nothing told the client another MAC for the VIP.
    let arps = stop_arp_capture(&mut lab, capture);
    let wrong: Vec<&Arp> = arps
        .iter()
        .filter(|a| a.spa == vip() && (a.sha != VMAC || a.eth_src != VMAC))
        .collect();
    assert!(
        wrong.is_empty(),
        "ARP with the VIP as sender but not from the virtual MAC (router MACs {} / {}):\n{}",
        lab.router_mac(0),
        lab.router_mac(1),
        arp_summary(&arps)
    );
    assert!(
        arps.iter().any(|a| a.spa == vip()),
        "the client saw no ARP for the VIP at all"
    );
    eprintln!("{kinds:?}: passed in {}", secs(started.elapsed()));
}

// ---- routers ----

fn vip() -> Ipv4Addr {
    VIP4.parse().unwrap()
}

/// keepalived.conf for ours and keepalived: VRRPv3, 100 ms adverts, `use_vmac` (default
/// name `vrrp.51`), both `state BACKUP` so that the higher priority wins by preemption.
fn conf(lab: &Lab, k: usize, priority: u8) -> String {
    format!(
        "global_defs {{\n    router_id {}-r{k}\n    vrrp_version 3\n}}\n\
         vrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id {VRID}\n\
         \x20   priority {priority}\n    advert_int 0.1\n    use_vmac\n\
         \x20   virtual_ipaddress {{\n        {VIP4}/24\n    }}\n}}\n",
        lab.prefix()
    )
}

/// Starts `kind` on router `k`. keepalived and FRR get `arp_announce=2` on eth0 first
/// (see the module documentation): neither sets it, and without it the master asks for
/// the client with the VIP as sender from eth0, teaching the client eth0's MAC.
fn start(lab: &mut Lab, kind: Kind, k: usize, priority: u8) -> Node {
    match kind {
        Kind::Vrrp => {
            let conf = conf(lab, k, priority);
            Node::Vrrp {
                k,
                id: lab.start_vrrp(k, &conf),
            }
        }
        Kind::Keepalived => {
            set_sysctl(lab, k, "net.ipv4.conf.eth0.arp_announce=2");
            let conf = conf(lab, k, priority);
            Node::Keepalived {
                k,
                id: lab.start_keepalived(k, &conf),
            }
        }
        Kind::Frr => {
            set_sysctl(lab, k, "net.ipv4.conf.eth0.arp_announce=2");
            Node::Frr(lab.start_frr(
                k,
                &FrrConf {
                    vrid: VRID,
                    version: 3,
                    priority,
                    advert_ms: 100,
                    vip: IpAddr::V4(vip()),
                    preempt: true,
                },
            ))
        }
    }
}

/// Stops a node with SIGTERM (priority 0). FRR: vrrpd, then zebra (so that it can be
/// started again), and its macvlan, which vrrpd leaves behind with the VIP (in protodown).
fn stop_node(lab: &mut Lab, node: &Node) {
    match node {
        Node::Vrrp { id, .. } | Node::Keepalived { id, .. } => {
            let status = lab.stop(*id);
            assert!(
                status.is_some_and(|s| s.success()),
                "{:?} on router {} did not exit cleanly on SIGTERM: {status:?}\n{}",
                node.kind(),
                node.k(),
                lab.log(*id)
            );
        }
        Node::Frr(frr) => {
            lab.terminate_node(node);
            let left = link(lab, frr.k, &frr.macvlan);
            eprintln!(
                "vrrpd stopped; its macvlan {}: {}",
                frr.macvlan,
                match &left {
                    Some(l) => format!(
                        "still there (operstate {}, proto_down {}, VIP on it: {}), deleting it",
                        l["operstate"],
                        l["proto_down"],
                        vip_device(lab, frr.k).as_deref() == Some(frr.macvlan.as_str())
                    ),
                    None => "gone".into(),
                }
            );
            if left.is_some() {
                lab.delete_frr_macvlan(frr);
            }
            lab.stop(frr.zebra);
            let _ = fs::remove_file(frr.dir.join("zserv.api"));
        }
    }
}

fn set_sysctl(lab: &Lab, k: usize, setting: &str) {
    let out = lab
        .exec(
            &lab.router_ns(k),
            &["sysctl", "-qw", setting],
            Duration::from_secs(5),
        )
        .unwrap();
    assert!(out.status.success(), "sysctl -w {setting} failed");
}

fn sysctl(lab: &Lab, k: usize, dev: &str, name: &str) -> String {
    fs_in_ns(lab, k, &format!("/proc/sys/net/ipv4/conf/{dev}/{name}"))
}

/// A file read inside router `k`'s namespace (`/proc/sys/net` shows the reader's).
fn fs_in_ns(lab: &Lab, k: usize, path: &str) -> String {
    lab.exec(&lab.router_ns(k), &["cat", path], Duration::from_secs(5))
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn flush_router_neighbours(lab: &Lab, k: usize) {
    lab.ip(&lab.router_ns(k), &["-4", "neigh", "flush", "all"]);
}

// ---- who serves the VIP ----

/// `ip -j -d link show dev DEV` in router `k`'s namespace; `None` if there is no such
/// device.
fn link(lab: &Lab, k: usize, dev: &str) -> Option<serde_json::Value> {
    let out = lab
        .exec(
            &lab.router_ns(k),
            &["ip", "-j", "-d", "link", "show", "dev", dev],
            Duration::from_secs(5),
        )
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    json.as_array()?.first().cloned()
}

/// The names of router `k`'s macvlans.
fn macvlans(lab: &Lab, k: usize) -> Vec<String> {
    let out = lab.ip(
        &lab.router_ns(k),
        &["-j", "link", "show", "type", "macvlan"],
    );
    let json: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
    json.as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["ifname"].as_str().map(str::to_string))
        .collect()
}

/// The device carrying the VIP in router `k`'s namespace.
fn vip_device(lab: &Lab, k: usize) -> Option<String> {
    lab.device_of(k, VIP4)
}

/// The device from which `node` serves the VIP, if it does: the device carrying it, except
/// that vrrpd keeps the VIP on its macvlan as backup too, under protodown.
fn serving_device(lab: &Lab, node: &Node) -> Option<String> {
    let dev = vip_device(lab, node.k())?;
    match node {
        Node::Frr(frr) if dev == frr.macvlan && !lab.frr_macvlan_up(frr) => None,
        _ => Some(dev),
    }
}

/// Ok when router `k` is the only one of `nodes` serving the VIP, and from a macvlan on
/// eth0 with the virtual MAC (ours: named `vrrp.51`); otherwise what is wrong.
fn sole_server(lab: &Lab, nodes: &[&Node], k: usize) -> Result<String, String> {
    let servers: Vec<(usize, String)> = nodes
        .iter()
        .filter_map(|n| Some((n.k(), serving_device(lab, n)?)))
        .collect();
    let [(holder, dev)] = &servers[..] else {
        return Err(format!(
            "VIP served by {servers:?}, expected router {k} only"
        ));
    };
    if *holder != k {
        return Err(format!("VIP served by router {holder} ({dev}), not {k}"));
    }
    let node = nodes.iter().find(|n| n.k() == k).unwrap();
    if node.kind() == Kind::Vrrp && dev != OUR_VMAC_DEV {
        return Err(format!("our VIP is on {dev}, not {OUR_VMAC_DEV}"));
    }
    let Some(l) = link(lab, k, dev) else {
        return Err(format!("{dev} vanished"));
    };
    let kind = &l["linkinfo"]["info_kind"];
    if kind != "macvlan" || l["address"] != VMAC || l["link"] != "eth0" {
        return Err(format!(
            "the VIP is on {dev}: {kind} on {} with MAC {}, not a macvlan on eth0 with {VMAC}",
            l["link"], l["address"]
        ));
    }
    Ok(dev.clone())
}

fn assert_sole_server(lab: &Lab, nodes: &[&Node], k: usize, when: &str) {
    if let Err(e) = sole_server(lab, nodes, k) {
        panic!("{when}: {e}\n{}", diagnostics(lab, nodes));
    }
}

/// Waits up to [`BOUND`] for `cond`; panics with the states and the diagnostics if it
/// does not come true.
fn wait_for(lab: &Lab, nodes: &[&Node], what: &str, cond: impl FnMut() -> bool) {
    let t = Instant::now();
    if wait_until(BOUND, cond) {
        eprintln!("{what}: after {}", secs(t.elapsed()));
        return;
    }
    let states: Vec<_> = nodes.iter().map(|n| lab.node_state(n)).collect();
    let servers: Vec<_> = nodes
        .iter()
        .map(|n| (n.k(), sole_server(lab, nodes, n.k())))
        .collect();
    panic!(
        "not within {}: {what}; states {states:?}; {servers:?}\n{}",
        secs(BOUND),
        diagnostics(lab, nodes)
    );
}

// ---- the client ----

fn assert_neighbour_is_vmac(lab: &Lab, nodes: &[&Node], when: &str) {
    let n = lab.client_neighbour(VIP4);
    assert_eq!(
        n.as_deref(),
        Some(VMAC),
        "{when}: the client's neighbour entry for the VIP\n{}",
        diagnostics(lab, nodes)
    );
}

/// The client reaches the VIP with the virtual MAC in its entry, also when it and the
/// master (router `master`) must both ask afresh.
fn check_client(lab: &Lab, nodes: &[&Node], master: usize, when: &str) {
    assert!(
        wait_until(Duration::from_secs(5), || lab.client_ping(VIP4)),
        "{when}: client cannot reach the VIP\n{}",
        diagnostics(lab, nodes)
    );
    assert_neighbour_is_vmac(lab, nodes, when);
    lab.client_flush_neighbours();
    flush_router_neighbours(lab, master);
    assert!(
        wait_until(Duration::from_secs(5), || lab.client_ping(VIP4)),
        "{when}: client cannot reach the VIP after the caches were flushed\n{}",
        diagnostics(lab, nodes)
    );
    assert_neighbour_is_vmac(lab, nodes, &format!("{when}, caches flushed"));
}

/// What to look at when a check fails: each router's links, addresses, ARP sysctls and
/// neighbours, the client's neighbours.
fn diagnostics(lab: &Lab, nodes: &[&Node]) -> String {
    let mut s = String::new();
    for node in nodes {
        let k = node.k();
        let ns = lab.router_ns(k);
        s.push_str(&format!(
            "---- router {k} ({:?}, state {:?}, eth0 {}) ----\n",
            node.kind(),
            lab.node_state(node),
            lab.router_mac(k)
        ));
        for args in [
            &["-d", "link", "show"][..],
            &["-4", "addr", "show"],
            &["-4", "route", "show"],
            &["-4", "neigh", "show"],
        ] {
            s.push_str(&format!("$ ip {}\n{}", args.join(" "), lab.ip(&ns, args)));
        }
        let sysctls = lab
            .exec(
                &ns,
                &[
                    "sh",
                    "-c",
                    "cd /proc/sys/net/ipv4/conf && grep . */arp_ignore */arp_filter */arp_announce",
                ],
                Duration::from_secs(5),
            )
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        s.push_str(&sysctls);
    }
    s.push_str(&format!(
        "---- client ----\n{}",
        lab.ip(&lab.client_ns(), &["-4", "neigh", "show"])
    ));
    s
}

// ---- ARP on the client ----

/// One ARP packet seen by the client.
#[derive(Debug, Clone)]
struct Arp {
    t: Duration,
    eth_src: String,
    /// 1 request, 2 reply.
    op: u16,
    sha: String,
    spa: Ipv4Addr,
    tha: String,
    tpa: Ipv4Addr,
}

fn mac(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The Ethernet/IPv4 ARP packets of a pcap file.
fn read_arps(path: &Path) -> Vec<Arp> {
    let Ok(bytes) = fs::read(path) else {
        return Vec::new();
    };
    let Ok(mut reader) = pcap_file::pcap::PcapReader::new(&bytes[..]) else {
        return Vec::new();
    };
    let mut arps = Vec::new();
    while let Some(Ok(packet)) = reader.next_packet() {
        let f = &packet.data;
        if f.len() < 42 || f[12..14] != [0x08, 0x06] {
            continue;
        }
        let p = &f[14..];
        if p[0..6] != [0, 1, 8, 0, 6, 4] {
            continue;
        }
        arps.push(Arp {
            t: packet.timestamp,
            eth_src: mac(&f[6..12]),
            op: u16::from_be_bytes([p[6], p[7]]),
            sha: mac(&p[8..14]),
            spa: Ipv4Addr::new(p[14], p[15], p[16], p[17]),
            tha: mac(&p[18..24]),
            tpa: Ipv4Addr::new(p[24], p[25], p[26], p[27]),
        });
    }
    arps
}

fn stop_arp_capture(lab: &mut Lab, capture: Capture) -> Vec<Arp> {
    let path = capture.path.clone();
    lab.stop_capture(capture);
    read_arps(&path)
}

fn arp_summary(arps: &[Arp]) -> String {
    arps.iter()
        .map(|a| {
            format!(
                "{}.{:06} {} {} {} ({}) -> {} ({})\n",
                a.t.as_secs(),
                a.t.subsec_micros(),
                a.eth_src,
                if a.op == 1 { "request" } else { "reply  " },
                a.spa,
                a.sha,
                a.tpa,
                a.tha
            )
        })
        .collect()
}
