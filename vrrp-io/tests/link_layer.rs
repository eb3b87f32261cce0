//! Multicast adverts as link-layer frames (`SocketConfig::link_layer_multicast`) against
//! the raw IP socket's, captured on the peer (root only).

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use common::{Lab, Netns, A_V4, B_V4};
use vrrp_core::wire::{
    checksum_finish, checksum_sum, AddressList, VRRP_MULTICAST_V4, VRRP_MULTICAST_V6,
};
use vrrp_core::Family;
use vrrp_io::packet::{PacketSocket, ETHERNET_HEADER_LEN, ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use vrrp_io::socket::{SendBatch, SocketConfig, VrrpSocket};
use vrrp_io::{MacAddr, Netlink};

const WAIT: Duration = Duration::from_secs(3);

fn config(family: Family, interface: &str, link_layer: bool) -> SocketConfig {
    let mut config = SocketConfig::multicast(family, interface);
    config.link_layer_multicast = link_layer;
    config.recv_buffer_size = Some(1 << 20);
    config
}

fn open(ns: &Netns, config: SocketConfig) -> VrrpSocket {
    ns.run(move || VrrpSocket::open(&config).expect("open VRRP socket"))
}

/// A's source address for `family` (IPv6: its link-local) and the group.
fn src_and_group(lab: &Lab, family: Family) -> (IpAddr, IpAddr) {
    match family {
        Family::Ipv4 => (
            IpAddr::V4(A_V4.parse().expect("v4")),
            IpAddr::V4(VRRP_MULTICAST_V4),
        ),
        Family::Ipv6 => (
            IpAddr::V6(lab.a.run(|| common::wait_for_link_local("va"))),
            IpAddr::V6(VRRP_MULTICAST_V6),
        ),
    }
}

/// A VRRPv3 advert of `vrid` with `n` virtual addresses.
fn advert(family: Family, vrid: u8, n: usize, src: IpAddr, dst: IpAddr) -> Vec<u8> {
    let v4: Vec<Ipv4Addr> = (0..n)
        .map(|i| Ipv4Addr::from(0xc000_0264 + i as u32))
        .collect();
    let v6: Vec<Ipv6Addr> = (0..n)
        .map(|i| Ipv6Addr::from(0xfd00_0db8_0000_0000_0000_0000_0000_1000 + i as u128))
        .collect();
    let vips = match family {
        Family::Ipv4 => AddressList::ipv4(&v4),
        Family::Ipv6 => AddressList::ipv6(&v6),
    };
    common::v3_advert(vrid, vips, src, dst)
}

fn ethertype(family: Family) -> u16 {
    match family {
        Family::Ipv4 => ETHERTYPE_IPV4,
        Family::Ipv6 => ETHERTYPE_IPV6,
    }
}

/// A capture of `family`'s frames on `vb`.
fn capture(lab: &Lab, family: Family) -> PacketSocket {
    capture_on(&lab.b, "vb", Some(ethertype(family)))
}

/// A capture on `ifname` in `ns`. Only one of every EtherType (`None`), as tcpdump
/// opens, also sees the frames the host sends.
fn capture_on(ns: &Netns, ifname: &'static str, ethertype: Option<u16>) -> PacketSocket {
    let cap = ns.run(move || {
        let ifindex = Netlink::open()
            .expect("netlink")
            .ifindex(ifname)
            .expect("interface");
        PacketSocket::capture(ifindex, ethertype).expect("capture")
    });
    cap.set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    cap
}

/// The VRRP frames captured until nothing came for half a second.
fn vrrp_frames(cap: &PacketSocket, family: Family) -> Vec<Vec<u8>> {
    let protocol_at = ETHERNET_HEADER_LEN
        + match family {
            Family::Ipv4 => 9,
            Family::Ipv6 => 6,
        };
    let mut frames = Vec::new();
    let mut buf = [0u8; 9000];
    while let Some(frame) = cap.recv_frame(&mut buf).expect("capture") {
        let f = &buf[..frame.len];
        if frame.ethertype == ethertype(family) && f.get(protocol_at) == Some(&112) {
            frames.push(f.to_vec());
        }
    }
    frames
}

fn mac_of(ns: &Netns, ifname: &'static str) -> MacAddr {
    ns.run(move || {
        let mut nl = Netlink::open().expect("netlink");
        let ifindex = nl.ifindex(ifname).expect("interface");
        nl.link(ifindex).expect("link").mac.expect("a MAC")
    })
}

fn group_mac(family: Family) -> MacAddr {
    match family {
        Family::Ipv4 => MacAddr::ipv4_multicast(VRRP_MULTICAST_V4),
        Family::Ipv6 => MacAddr::ipv6_multicast(VRRP_MULTICAST_V6),
    }
}

/// The IP packet of a frame with what the kernel picks per packet zeroed: the IPv4
/// identification and header checksum (checked valid first), the IPv6 flow label.
fn comparable(family: Family, frame: &[u8]) -> Vec<u8> {
    let mut ip = frame[ETHERNET_HEADER_LEN..].to_vec();
    match family {
        Family::Ipv4 => {
            assert_eq!(
                checksum_finish(checksum_sum(0, &ip[..20])),
                0,
                "valid header checksum"
            );
            ip[4..6].fill(0);
            ip[10..12].fill(0);
        }
        Family::Ipv6 => {
            ip[1] &= 0xf0;
            ip[2..4].fill(0);
        }
    }
    ip
}

/// The same advert sent through the raw socket and as a link-layer frame, with `send` and
/// with `send_batch`: one IP packet (TTL / hop limit 255, protocol 112, source,
/// destination, TOS / traffic class, IPv4 DF, no options) but for the values the kernel
/// picks per packet, in a frame to the group's MAC from the interface's.
#[test]
fn link_layer_adverts_are_the_raw_sockets_ip_packets() {
    require_root!();
    let lab = Lab::new();
    let a_mac = mac_of(&lab.a, "va");
    for family in [Family::Ipv4, Family::Ipv6] {
        let (src, group) = src_and_group(&lab, family);
        let payload = advert(family, 51, 2, src, group);
        let cap = capture(&lab, family);
        let own_cap = capture_on(&lab.a, "va", None);
        let mut raw = open(&lab.a, config(family, "va", false));
        let mut link = open(&lab.a, config(family, "va", true));
        assert!(!raw.link_layer_multicast());
        assert!(link.link_layer_multicast(), "{family}: veth is Ethernet");

        raw.send(&payload, src, group).expect("raw send");
        link.send(&payload, src, group).expect("link send");
        let mut batch = SendBatch::new(4);
        for sock in [&mut raw, &mut link] {
            batch.push(&payload, src, group).expect("push");
            assert_eq!(sock.send_batch(&mut batch).expect("send_batch"), 1);
        }
        let frames = vrrp_frames(&cap, family);
        assert_eq!(frames.len(), 4, "{family}: every advert captured");
        // A capture on the sending host sees them too.
        assert_eq!(
            vrrp_frames(&own_cap, family),
            frames,
            "{family}: sender's capture"
        );
        let expected = comparable(family, &frames[0]);
        for (i, frame) in frames.iter().enumerate() {
            assert_eq!(&frame[..6], &group_mac(family).octets(), "{family} #{i}");
            assert_eq!(&frame[6..12], &a_mac.octets(), "{family} #{i}: source MAC");
            assert_eq!(
                &frame[12..14],
                &ethertype(family).to_be_bytes(),
                "{family} #{i}"
            );
            assert_eq!(comparable(family, frame), expected, "{family} #{i}");
        }
        let ip = &frames[1][ETHERNET_HEADER_LEN..];
        match family {
            Family::Ipv4 => {
                assert_eq!(ip[0], 0x45, "no options");
                assert_eq!(ip[1], 0xc0, "TOS internetwork control");
                assert_eq!(ip[6] & 0x40, 0x40, "DF, as the kernel sets it");
                assert_eq!((ip[8], ip[9]), (255, 112), "TTL, protocol");
                assert_eq!(&ip[20..], &payload[..]);
                // Distinct identifications, as the kernel's.
                let id = |f: &[u8]| [f[18], f[19]];
                assert_ne!(id(&frames[1]), id(&frames[3]));
            }
            Family::Ipv6 => {
                assert_eq!(ip[0], 0x6c, "version 6, traffic class 0xc0");
                assert_eq!((ip[6], ip[7]), (112, 255), "next header, hop limit");
                assert_eq!(&ip[40..], &payload[..]);
                let label = |f: &[u8]| u32::from_be_bytes([0, f[15] & 0x0f, f[16], f[17]]);
                // The kernel labels flows automatically; so do we, stably.
                assert_ne!(label(&frames[0]), 0);
                assert_ne!(label(&frames[1]), 0);
                assert_eq!(label(&frames[1]), label(&frames[3]));
            }
        }
        assert_eq!(link.stats().sent, 2);
    }
}

/// The kernel adds the interface's MAC when it sends, so a MAC changed under an open
/// socket is the next advert's source.
#[test]
fn a_changed_mac_is_the_next_adverts_source() {
    require_root!();
    let lab = Lab::new();
    let (src, group) = src_and_group(&lab, Family::Ipv4);
    let payload = advert(Family::Ipv4, 7, 1, src, group);
    let cap = capture(&lab, Family::Ipv4);
    let mut a = open(&lab.a, config(Family::Ipv4, "va", true));
    a.send(&payload, src, group).expect("send");
    lab.a
        .ip(&["link", "set", "va", "address", "02:00:00:00:aa:01"]);
    a.send(&payload, src, group).expect("send");
    let frames = vrrp_frames(&cap, Family::Ipv4);
    assert_eq!(frames.len(), 2);
    assert_ne!(&frames[0][6..12], &[2, 0, 0, 0, 0xaa, 1]);
    assert_eq!(&frames[1][6..12], &[2, 0, 0, 0, 0xaa, 1]);
}

/// One batch of group adverts, unicast adverts and an advert too large for the link: the
/// peer gets every one, in order. The unicast ones and the large one (fragmented by the
/// IP layer) take the raw socket.
#[test]
fn mixed_batches_arrive_in_order_and_large_adverts_are_fragmented() {
    require_root!();
    let lab = Lab::new();
    lab.a.ip(&["link", "set", "va", "mtu", "1280"]);
    lab.b.ip(&["link", "set", "vb", "mtu", "1280"]);
    for family in [Family::Ipv4, Family::Ipv6] {
        let (src, group) = src_and_group(&lab, family);
        let peer = match family {
            Family::Ipv4 => IpAddr::V4(B_V4.parse().expect("v4")),
            Family::Ipv6 => IpAddr::V6(common::B_V6.parse().expect("v6")),
        };
        let mut b = open(&lab.b, config(family, "vb", true));
        let mut a = open(&lab.a, config(family, "va", true));
        assert!(a.link_layer_multicast());
        // IPv4: 255 addresses make 1,048 bytes, within 1,280; IPv6: 100 make 1,648.
        let big = match family {
            Family::Ipv4 => 255,
            Family::Ipv6 => 100,
        };
        let sent: Vec<(IpAddr, Vec<u8>)> = [
            (group, 1),
            (group, 2),
            (peer, 1),
            (group, big),
            (group, 1),
            (peer, 1),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, (dst, n))| (dst, advert(family, i as u8 + 1, n, src, dst)))
        .collect();
        let mut batch = SendBatch::new(8);
        for (dst, payload) in &sent {
            batch.push(payload, src, *dst).expect("push");
        }
        assert_eq!(a.send_batch(&mut batch).expect("send_batch"), sent.len());
        assert_eq!(a.stats().sent, sent.len() as u64);

        let got = common::recv_datagrams(&mut b, sent.len(), WAIT);
        assert_eq!(got.len(), sent.len(), "{family}: all received");
        for ((meta, payload), (dst, expected)) in got.iter().zip(&sent) {
            assert_eq!((meta.src, meta.dst, meta.hop_limit), (src, *dst, 255));
            assert_eq!(payload, expected, "{family}: in order, intact");
        }
    }
}

/// Netfilter's output hooks are part of the IP output path, which link-layer frames skip:
/// a rule that drops VRRP on output stops the raw socket's adverts, not these.
#[test]
fn output_netfilter_rules_see_raw_adverts_only() {
    require_root!();
    let lab = Lab::new();
    let nft = |rule: &str| {
        common::run("ip", &["netns", "exec", &lab.a.name, "nft", rule]);
    };
    nft("add table ip vrrp_test");
    nft("add chain ip vrrp_test out { type filter hook output priority 0 ; }");
    nft("add rule ip vrrp_test out ip protocol 112 drop");
    let (src, group) = src_and_group(&lab, Family::Ipv4);
    let payload = advert(Family::Ipv4, 9, 1, src, group);
    let cap = capture(&lab, Family::Ipv4);
    let mut raw = open(&lab.a, config(Family::Ipv4, "va", false));
    let mut link = open(&lab.a, config(Family::Ipv4, "va", true));
    let err = raw
        .send(&payload, src, group)
        .expect_err("dropped on output");
    assert_eq!(err.raw_os_error(), Some(libc::EPERM), "{err}");
    link.send(&payload, src, group).expect("link-layer send");
    assert_eq!(vrrp_frames(&cap, Family::Ipv4).len(), 1);
}

/// Interfaces without an Ethernet header keep the raw socket; so does a socket asked to.
#[test]
fn only_ethernet_interfaces_send_link_layer_frames() {
    require_root!();
    let ns = Netns::new();
    let lo = ns
        .run(|| VrrpSocket::open(&SocketConfig::unicast(Family::Ipv4, "lo")).expect("open on lo"));
    assert!(!lo.link_layer_multicast());
    let lab = Lab::new();
    assert!(!open(&lab.a, config(Family::Ipv4, "va", false)).link_layer_multicast());
    assert!(open(&lab.a, SocketConfig::unicast(Family::Ipv6, "va")).link_layer_multicast());
}
