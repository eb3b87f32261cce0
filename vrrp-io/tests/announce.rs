//! Gratuitous ARP and unsolicited NA, captured on the peer's end of a veth (root only).

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use common::{poll_until, Lab, Netns};
use vrrp_io::announce::{
    garp_frame, icmpv6_checksum, unsolicited_na_frame, RouterFlag, ALL_NODES, GARP_FRAME_LEN,
    NA_FRAME_LEN,
};
use vrrp_io::packet::{ETHERTYPE_ARP, ETHERTYPE_IPV6};
use vrrp_io::{Announcer, MacAddr, Netlink, PacketSocket};

/// The MAC of a previous master, in the peer's neighbour cache before the takeover.
const OLD_MASTER: &str = "02:00:00:00:00:01";

/// A capture of `ethertype` frames on `ifname` inside `ns`.
fn capture(ns: &Netns, ifname: &'static str, ethertype: u16) -> PacketSocket {
    ns.run(move || {
        let mut nl = Netlink::open().expect("netlink");
        let idx = nl.ifindex(ifname).expect("interface");
        let cap = PacketSocket::capture(idx, Some(ethertype)).expect("capture socket");
        cap.set_read_timeout(Some(Duration::from_millis(100)))
            .expect("timeout");
        cap
    })
}

/// An announcer on `ifname` inside `ns`, and the interface's MAC.
fn announcer(ns: &Netns, ifname: &'static str) -> (Announcer, MacAddr) {
    ns.run(move || {
        let mut nl = Netlink::open().expect("netlink");
        let idx = nl.ifindex(ifname).expect("interface");
        let a = Announcer::open(&mut nl, idx).expect("announcer");
        let mac = nl.link(idx).expect("link").mac.expect("a MAC");
        (a, mac)
    })
}

/// The first received frame (within 3 s) for which `want` is true.
fn next_frame(cap: &PacketSocket, want: impl Fn(&[u8]) -> bool) -> Option<Vec<u8>> {
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut buf = [0u8; 2048];
    while Instant::now() < deadline {
        if let Some(frame) = cap.recv_frame(&mut buf).expect("recv frame") {
            let bytes = &buf[..frame.len];
            if !frame.outgoing && want(bytes) {
                return Some(bytes.to_vec());
            }
        }
    }
    None
}

fn is_na_for(target: Ipv6Addr) -> impl Fn(&[u8]) -> bool {
    move |f: &[u8]| f.len() >= 78 && f[20] == 58 && f[54] == 136 && f[62..78] == target.octets()
}

#[test]
fn gratuitous_arp_reaches_the_peer_as_sent() {
    require_root!();
    let lab = Lab::new();
    // B still believes the VIP is at the old master's MAC: the announcement must move it.
    lab.b.ip(&[
        "neigh",
        "add",
        "192.0.2.100",
        "lladdr",
        OLD_MASTER,
        "dev",
        "vb",
        "nud",
        "stale",
    ]);
    let cap = capture(&lab.b, "vb", ETHERTYPE_ARP);
    let (ann, mac) = announcer(&lab.a, "va");
    assert_eq!(ann.mac(), mac);
    let vip = Ipv4Addr::new(192, 0, 2, 100);
    ann.announce(IpAddr::V4(vip)).expect("send GARP");

    let frame = next_frame(&cap, |f| f.get(28..32) == Some(&vip.octets()[..])).expect("captured");
    assert_eq!(frame.len(), GARP_FRAME_LEN);
    assert_eq!(frame, garp_frame(mac, vip).to_vec());
    assert_eq!(&frame[0..6], &[0xff; 6], "broadcast");
    assert_eq!(&frame[6..12], &mac.0, "from the interface MAC");
    assert_eq!(&frame[20..22], &[0, 1], "ARP request");
    assert_eq!(&frame[22..28], &mac.0, "sender MAC");
    assert_eq!(&frame[28..32], &vip.octets(), "sender IP = VIP");
    assert_eq!(&frame[38..42], &vip.octets(), "target IP = VIP");

    let learned = poll_until(Duration::from_secs(2), || {
        let neigh = lab.b.ip(&["neigh", "show", "192.0.2.100", "dev", "vb"]);
        neigh.contains(&mac.to_string()).then_some(neigh)
    });
    assert!(learned.is_some(), "B's kernel moved 192.0.2.100 to {mac}");
}

#[test]
fn unsolicited_na_reaches_the_peer_as_sent() {
    require_root!();
    let lab = Lab::new();
    // B still believes the VIP is at the old master's MAC: O=1 must override that.
    lab.b.ip(&[
        "-6",
        "neigh",
        "add",
        "fd00:db8::12",
        "lladdr",
        OLD_MASTER,
        "dev",
        "vb",
        "nud",
        "stale",
    ]);
    let cap = capture(&lab.b, "vb", ETHERTYPE_IPV6);
    let (ann, mac) = announcer(&lab.a, "va");
    let vip: Ipv6Addr = "fd00:db8::12".parse().expect("v6");
    // The VIP is on A, as it is when a new master announces it.
    lab.a
        .ip(&["addr", "add", "fd00:db8::12/64", "dev", "va", "nodad"]);
    ann.announce(IpAddr::V6(vip)).expect("send NA");

    let frame = next_frame(&cap, is_na_for(vip)).expect("captured");
    assert_eq!(frame.len(), NA_FRAME_LEN);
    // Forwarding is off in a new namespace: R=0 by default.
    assert_eq!(frame, unsolicited_na_frame(mac, vip, vip, false).to_vec());
    assert_eq!(&frame[0..6], &[0x33, 0x33, 0, 0, 0, 1], "to all nodes");
    assert_eq!(frame[21], 255, "hop limit");
    assert_eq!(&frame[22..38], &vip.octets(), "from the VIP");
    assert_eq!(&frame[38..54], &ALL_NODES.octets(), "to ff02::1");
    assert_eq!(frame[58], 0x20, "R=0 S=0 O=1");
    assert_eq!(
        &frame[80..86],
        &mac.0,
        "target link-layer address = interface MAC"
    );
    assert_eq!(icmpv6_checksum(vip, ALL_NODES, &frame[54..]), 0, "checksum");

    let learned = poll_until(Duration::from_secs(2), || {
        let neigh = lab
            .b
            .ip(&["-6", "neigh", "show", "fd00:db8::12", "dev", "vb"]);
        neigh.contains(&mac.to_string()).then_some(neigh)
    });
    assert!(learned.is_some(), "B's kernel moved {vip} to {mac}");
}

#[test]
fn na_router_flag_follows_ipv6_forwarding() {
    require_root!();
    let lab = Lab::new();
    let cap = capture(&lab.b, "vb", ETHERTYPE_IPV6);
    let (mut ann, _) = announcer(&lab.a, "va");
    let vip: Ipv6Addr = "fd00:db8::12".parse().expect("v6");

    assert!(!ann.router_flag_now(), "a new namespace does not forward");
    // Turned on after the announcer was made, and read from the test thread, which is
    // in another namespace: the announcer still reads its own namespace's setting.
    lab.a.sysctl("net.ipv6.conf.va.forwarding=1");
    assert!(ann.router_flag_now());
    ann.announce(IpAddr::V6(vip)).expect("send NA");
    let frame = next_frame(&cap, is_na_for(vip)).expect("captured");
    assert_eq!(frame[58], 0xa0, "forwarding on: R=1 O=1");

    ann.set_router_flag(RouterFlag::Never);
    ann.announce(IpAddr::V6(vip)).expect("send NA");
    let frame = next_frame(&cap, is_na_for(vip)).expect("captured");
    assert_eq!(frame[58], 0x20, "Never: R=0");
}
