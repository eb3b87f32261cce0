//! VrrpSocket between two network namespaces (root only).

mod common;

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use common::{poll_until, wait_until_queued, Lab, Netns, A_V4, B_V4};
use vrrp_core::wire::{
    AddressList, AdvertRepr, Auth, ChecksumForm, ChecksumMode, Password, VRRP_MULTICAST_V4,
    VRRP_MULTICAST_V6,
};
use vrrp_core::{Centiseconds, Family, Priority, Version, Vrid};
use vrrp_io::socket::{RecvBatch, SendBatch, SocketConfig, VrrpSocket, RECV_BUFFER_LEN};
use vrrp_io::Error;

const WAIT: Duration = Duration::from_secs(3);

fn v4(s: &str) -> Ipv4Addr {
    s.parse().expect("IPv4 address")
}

fn open(ns: &Netns, config: SocketConfig) -> VrrpSocket {
    ns.run(move || VrrpSocket::open(&config).expect("open VRRP socket"))
}

/// Emits a VRRPv3 advert for VRID 51 with `vips` from `src` to `dst`.
fn advert_v3(vips: AddressList<'_>, src: IpAddr, dst: IpAddr) -> Vec<u8> {
    common::v3_advert(51, vips, src, dst)
}

/// One datagram if one is queued; `None` on WouldBlock.
fn try_recv<'b>(sock: &mut VrrpSocket, buf: &'b mut [u8]) -> Option<vrrp_io::Datagram<'b>> {
    match sock.recv(buf) {
        Ok(d) => Some(d),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => None,
        Err(e) => panic!("recv: {e}"),
    }
}

/// Waits for one datagram on `sock` and returns (meta, payload).
fn receive(sock: &mut VrrpSocket) -> Option<(vrrp_core::wire::RxMeta, Vec<u8>)> {
    let mut buf = [0u8; RECV_BUFFER_LEN];
    poll_until(WAIT, || {
        try_recv(sock, &mut buf).map(|d| (d.meta, d.payload.to_vec()))
    })
}

#[test]
fn ipv4_advert_reaches_the_peer_with_ttl_255_and_decodes() {
    require_root!();
    let lab = Lab::new();
    let mut b = open(&lab.b, SocketConfig::multicast(Family::Ipv4, "vb"));
    let mut a = open(&lab.a, SocketConfig::multicast(Family::Ipv4, "va"));
    assert_eq!(a.multicast_group(), IpAddr::V4(VRRP_MULTICAST_V4));
    assert!(a.joined_group());

    let vips = [Ipv4Addr::new(192, 0, 2, 100)];
    let src = IpAddr::V4(v4(A_V4));
    let dst = a.multicast_group();
    let payload = advert_v3(AddressList::ipv4(&vips), src, dst);
    a.send(&payload, src, dst).expect("send");

    let (meta, bytes) = receive(&mut b).expect("B receives A's advert");
    assert_eq!(meta.src, src);
    assert_eq!(meta.dst, IpAddr::V4(VRRP_MULTICAST_V4));
    assert_eq!(meta.hop_limit, 255);
    assert_eq!(bytes, payload);
    let (repr, form) = vrrp_core::wire::decode(&bytes, &meta).expect("decodes");
    assert_eq!(form, ChecksumForm::V3Ipv4PseudoHeader);
    assert_eq!(repr.vrid.get(), 51);
    assert_eq!(repr.priority, Priority(150));
    assert_eq!(
        repr.addresses.iter().collect::<Vec<_>>(),
        vec![IpAddr::V4(vips[0])]
    );
    assert_eq!(a.stats().sent, 1);
    assert_eq!(b.stats().received, 1);
}

#[test]
fn ipv4_vrrpv2_with_password_round_trips() {
    require_root!();
    let lab = Lab::new();
    let mut b = open(&lab.b, SocketConfig::multicast(Family::Ipv4, "vb"));
    let mut a = open(&lab.a, SocketConfig::multicast(Family::Ipv4, "va"));
    let vips = [Ipv4Addr::new(192, 0, 2, 100)];
    let repr = AdvertRepr {
        version: Version::V2,
        vrid: Vrid::new(51).expect("vrid"),
        priority: Priority(101),
        max_advert_interval: Centiseconds::from_secs(1),
        addresses: AddressList::ipv4(&vips),
        auth: Auth::Simple(Password::new("mynginx").expect("password")),
    };
    let src = IpAddr::V4(v4(A_V4));
    let dst = IpAddr::V4(VRRP_MULTICAST_V4);
    let mut buf = [0u8; 64];
    let len = repr
        .emit(&mut buf, src, dst, ChecksumMode::default())
        .expect("emit");
    a.send(&buf[..len], src, dst).expect("send");
    let (meta, bytes) = receive(&mut b).expect("B receives A's advert");
    let (got, form) = vrrp_core::wire::decode(&bytes, &meta).expect("decodes");
    assert_eq!(form, ChecksumForm::V2);
    assert_eq!(got, repr);
}

#[test]
fn ipv6_advert_reaches_the_peer_with_hop_limit_255_from_the_link_local() {
    require_root!();
    let lab = Lab::new();
    let a_ll = lab.a.run(|| common::wait_for_link_local("va"));
    let mut b = open(&lab.b, SocketConfig::multicast(Family::Ipv6, "vb"));
    let mut a = open(&lab.a, SocketConfig::multicast(Family::Ipv6, "va"));
    assert_eq!(a.multicast_group(), IpAddr::V6(VRRP_MULTICAST_V6));

    let vips: [Ipv6Addr; 2] = [
        "fe80::1:12".parse().expect("v6"),
        "fd00:db8::12".parse().expect("v6"),
    ];
    let src = IpAddr::V6(a_ll);
    let dst = IpAddr::V6(VRRP_MULTICAST_V6);
    let payload = advert_v3(AddressList::ipv6(&vips), src, dst);
    a.send(&payload, src, dst).expect("send");

    let (meta, bytes) = receive(&mut b).expect("B receives A's advert");
    assert_eq!(meta.src, src, "source is A's link-local");
    assert!(matches!(meta.src, IpAddr::V6(s) if s.segments()[0] == 0xfe80));
    assert_eq!(meta.dst, dst);
    assert_eq!(meta.hop_limit, 255);
    assert_eq!(bytes, payload);
    let (repr, form) = vrrp_core::wire::decode(&bytes, &meta).expect("decodes");
    assert_eq!(form, ChecksumForm::V3Ipv6);
    assert_eq!(
        repr.addresses.iter().collect::<Vec<_>>(),
        vips.iter().map(|v| IpAddr::V6(*v)).collect::<Vec<_>>()
    );
}

#[test]
fn a_socket_does_not_receive_its_own_advert() {
    require_root!();
    let lab = Lab::new();
    for family in [Family::Ipv4, Family::Ipv6] {
        let (ifa, ifb) = ("va", "vb");
        let mut b = open(&lab.b, SocketConfig::multicast(family, ifb));
        let mut a = open(&lab.a, SocketConfig::multicast(family, ifa));
        // A second socket of A's on the same interface must not see it either.
        let mut a2 = open(&lab.a, SocketConfig::multicast(family, ifa));
        let vips4 = [Ipv4Addr::new(192, 0, 2, 100)];
        let vips6 = ["fd00:db8::12".parse::<Ipv6Addr>().expect("v6")];
        let (src, dst, list) = match family {
            Family::Ipv4 => (
                IpAddr::V4(v4(A_V4)),
                IpAddr::V4(VRRP_MULTICAST_V4),
                AddressList::ipv4(&vips4),
            ),
            Family::Ipv6 => (
                IpAddr::V6(lab.a.run(|| common::wait_for_link_local("va"))),
                IpAddr::V6(VRRP_MULTICAST_V6),
                AddressList::ipv6(&vips6),
            ),
        };
        let payload = advert_v3(list, src, dst);
        a.send(&payload, src, dst).expect("send");
        assert!(receive(&mut b).is_some(), "{family}: the advert did go out");
        let mut buf = [0u8; RECV_BUFFER_LEN];
        let own = poll_until(Duration::from_millis(300), || {
            try_recv(&mut a, &mut buf).map(|d| d.meta)
        });
        assert_eq!(own, None, "{family}: sender saw its own advert");
        let own2 = poll_until(Duration::from_millis(100), || {
            try_recv(&mut a2, &mut buf).map(|d| d.meta)
        });
        assert_eq!(own2, None, "{family}: sibling socket saw the advert");
    }
}

#[test]
fn datagrams_from_own_addresses_are_dropped_and_counted() {
    require_root!();
    let lab = Lab::new();
    let mut b = open(&lab.b, SocketConfig::multicast(Family::Ipv4, "vb"));
    let mut a = open(&lab.a, SocketConfig::multicast(Family::Ipv4, "va"));
    assert!(
        b.own_addresses().any(|x| x == IpAddr::V4(v4(B_V4))),
        "B's own address is known"
    );
    // Pretend A's address is B's (as if B's packet came back to it from the wire).
    b.set_own_addresses([IpAddr::V4(v4(B_V4)), IpAddr::V4(v4(A_V4))]);
    let src = IpAddr::V4(v4(A_V4));
    let dst = IpAddr::V4(VRRP_MULTICAST_V4);
    let vips = [Ipv4Addr::new(192, 0, 2, 100)];
    a.send(&advert_v3(AddressList::ipv4(&vips), src, dst), src, dst)
        .expect("send");
    let mut buf = [0u8; RECV_BUFFER_LEN];
    let got = poll_until(Duration::from_millis(500), || {
        try_recv(&mut b, &mut buf).map(|d| d.meta)
    });
    assert_eq!(got, None);
    assert_eq!(b.stats().own_dropped, 1);
}

#[test]
fn virtual_addresses_are_never_own_addresses() {
    require_root!();
    let lab = Lab::new();
    let vip: IpAddr = "192.0.2.100".parse().expect("v4");
    lab.b.ip(&["addr", "add", "192.0.2.100/32", "dev", "vb"]);
    let mut config = SocketConfig::multicast(Family::Ipv4, "vb");
    config.virtual_addresses = vec![vip];
    let b = open(&lab.b, config);
    assert!(b.own_addresses().any(|x| x == IpAddr::V4(v4(B_V4))));
    assert!(
        !b.own_addresses().any(|x| x == vip),
        "a VIP held now is not 'own'"
    );
}

#[test]
fn unicast_peers_are_sent_to_directly_and_received() {
    require_root!();
    let lab = Lab::new();
    let a_addr = IpAddr::V4(v4(A_V4));
    let b_addr = IpAddr::V4(v4(B_V4));
    let mut b = open(&lab.b, SocketConfig::unicast(Family::Ipv4, "vb"));
    let mut a = open(&lab.a, SocketConfig::unicast(Family::Ipv4, "va"));
    assert!(!a.joined_group());

    let vips = [Ipv4Addr::new(192, 0, 2, 100)];
    let repr = AdvertRepr {
        version: Version::V3,
        vrid: Vrid::new(51).expect("vrid"),
        priority: Priority(150),
        max_advert_interval: Centiseconds(100),
        addresses: AddressList::ipv4(&vips),
        auth: Auth::None,
    };
    a.send_advert(&repr, a_addr, &[b_addr], ChecksumMode::default())
        .expect("send to every peer");
    let (meta, bytes) = receive(&mut b).expect("B receives the unicast advert");
    assert_eq!(meta.src, a_addr);
    assert_eq!(meta.dst, b_addr, "addressed to B, not the group");
    assert_eq!(meta.hop_limit, 255);
    let (_, form) = vrrp_core::wire::decode(&bytes, &meta).expect("decodes");
    assert_eq!(form, ChecksumForm::V3Ipv4PseudoHeader);

    // A socket that has not joined the group: multicast does not reach it.
    let mut a_mc = open(&lab.a, SocketConfig::multicast(Family::Ipv4, "va"));
    let dst = IpAddr::V4(VRRP_MULTICAST_V4);
    a_mc.send(
        &advert_v3(AddressList::ipv4(&vips), a_addr, dst),
        a_addr,
        dst,
    )
    .expect("send");
    let mut buf = [0u8; RECV_BUFFER_LEN];
    let got = poll_until(Duration::from_millis(300), || {
        try_recv(&mut b, &mut buf).map(|d| d.meta)
    });
    assert_eq!(got, None, "unicast socket received multicast");
}

#[test]
fn ipv6_unicast_peer_with_global_addresses() {
    require_root!();
    let lab = Lab::new();
    let a_addr: IpAddr = common::A_V6.parse().expect("v6");
    let b_addr: IpAddr = common::B_V6.parse().expect("v6");
    let mut b = open(&lab.b, SocketConfig::unicast(Family::Ipv6, "vb"));
    let mut a = open(&lab.a, SocketConfig::unicast(Family::Ipv6, "va"));
    let vips = ["fd00:db8::12".parse::<Ipv6Addr>().expect("v6")];
    let payload = advert_v3(AddressList::ipv6(&vips), a_addr, b_addr);
    a.send(&payload, a_addr, b_addr).expect("send");
    let (meta, bytes) = receive(&mut b).expect("B receives");
    assert_eq!((meta.src, meta.dst, meta.hop_limit), (a_addr, b_addr, 255));
    assert!(vrrp_core::wire::decode(&bytes, &meta).is_ok());
}

#[test]
fn unknown_interface_is_named_in_the_error() {
    require_root!();
    let ns = Netns::new();
    let err = ns.run(|| VrrpSocket::open(&SocketConfig::multicast(Family::Ipv4, "eth9")));
    match err {
        Err(e @ Error::InterfaceNotFound { .. }) => {
            assert_eq!(e.to_string(), "interface eth9 not found")
        }
        other => panic!("expected InterfaceNotFound, got {other:?}"),
    }
}

#[test]
fn family_mismatch_is_refused_before_sending() {
    require_root!();
    let lab = Lab::new();
    let mut a = open(&lab.a, SocketConfig::multicast(Family::Ipv4, "va"));
    let err = a.send(
        &[0u8; 12],
        IpAddr::V6(Ipv6Addr::LOCALHOST),
        IpAddr::V4(VRRP_MULTICAST_V4),
    );
    assert!(matches!(
        err,
        Err(Error::FamilyMismatch {
            family: Family::Ipv4,
            ..
        })
    ));
    // A batch of the other family: refused before anything is sent, batch cleared.
    let mut batch = SendBatch::new(4);
    let ll: IpAddr = "fe80::1".parse().expect("v6");
    batch
        .push(&[0u8; 12], ll, IpAddr::V6(VRRP_MULTICAST_V6))
        .expect("push");
    assert!(matches!(
        a.send_batch(&mut batch),
        Err(Error::FamilyMismatch {
            family: Family::Ipv4,
            ..
        })
    ));
    assert!(batch.is_empty());
    assert_eq!(a.stats().sent, 0);
}

// ----- readiness, floods and batches (issue 9) -----

/// The source and destination A sends adverts of `family` with: A's address (IPv6: its
/// link-local) to the group.
fn a_src_and_group(lab: &Lab, family: Family) -> (IpAddr, IpAddr) {
    match family {
        Family::Ipv4 => (IpAddr::V4(v4(A_V4)), IpAddr::V4(VRRP_MULTICAST_V4)),
        Family::Ipv6 => (
            IpAddr::V6(lab.a.run(|| common::wait_for_link_local("va"))),
            IpAddr::V6(VRRP_MULTICAST_V6),
        ),
    }
}

/// An advert of `family` for `vrid`, one VIP.
fn advert_of(family: Family, vrid: u8, src: IpAddr, dst: IpAddr) -> Vec<u8> {
    let vips4 = [Ipv4Addr::new(192, 0, 2, 100)];
    let vips6 = ["fd00:db8::12".parse::<Ipv6Addr>().expect("v6")];
    let list = match family {
        Family::Ipv4 => AddressList::ipv4(&vips4),
        Family::Ipv6 => AddressList::ipv6(&vips6),
    };
    common::v3_advert(vrid, list, src, dst)
}

/// A multicast config with a receive buffer large enough for a flood.
fn roomy(family: Family, interface: &str) -> SocketConfig {
    let mut config = SocketConfig::multicast(family, interface);
    config.recv_buffer_size = Some(4 << 20);
    config
}

fn would_block<T: std::fmt::Debug>(r: io::Result<T>) -> bool {
    match r {
        Err(e) => e.kind() == io::ErrorKind::WouldBlock,
        Ok(v) => panic!("expected WouldBlock, got {v:?}"),
    }
}

#[test]
fn recv_says_would_block_on_an_empty_socket() {
    require_root!();
    let lab = Lab::new();
    for family in [Family::Ipv4, Family::Ipv6] {
        let mut b = open(&lab.b, SocketConfig::multicast(family, "vb"));
        let mut buf = [0u8; RECV_BUFFER_LEN];
        assert!(would_block(b.recv(&mut buf)), "{family}: recv");
        let mut batch = RecvBatch::new(8);
        assert!(
            would_block(b.recv_batch(&mut batch)),
            "{family}: recv_batch"
        );
        assert!(batch.is_empty());
        assert_eq!(b.stats(), Default::default());
    }
}

#[test]
fn a_flood_of_own_datagrams_does_not_end_recv_early() {
    require_root!();
    const FLOOD: u64 = 200;
    let lab = Lab::new();
    // A second address of A's that B does not take for its own.
    lab.a.ip(&["addr", "add", "192.0.2.11/24", "dev", "va"]);
    let mut b = open(&lab.b, roomy(Family::Ipv4, "vb"));
    let mut a = open(&lab.a, SocketConfig::multicast(Family::Ipv4, "va"));
    let own = IpAddr::V4(v4(A_V4));
    let other = IpAddr::V4(v4("192.0.2.11"));
    b.set_own_addresses([IpAddr::V4(v4(B_V4)), own]);
    let group = a.multicast_group();
    let flood = advert_of(Family::Ipv4, 1, own, group);
    for _ in 0..FLOOD {
        a.send(&flood, own, group).expect("send");
    }
    let last = advert_of(Family::Ipv4, 2, other, group);
    a.send(&last, other, group).expect("send");
    assert!(wait_until_queued(&b, WAIT), "the flood arrives");

    // One call skips every own datagram and returns the one that follows them.
    let mut buf = [0u8; RECV_BUFFER_LEN];
    let d = b.recv(&mut buf).expect("the datagram after the flood");
    assert_eq!(d.meta.src, other);
    assert_eq!(d.payload, &last[..]);
    assert_eq!(b.stats().own_dropped, FLOOD);
    assert!(would_block(b.recv(&mut buf)));

    // A flood with nothing after it: consumed, then WouldBlock, never a datagram.
    for _ in 0..FLOOD {
        a.send(&flood, own, group).expect("send");
    }
    let drained = poll_until(WAIT, || {
        assert!(would_block(b.recv(&mut buf)));
        (b.stats().own_dropped == 2 * FLOOD).then_some(())
    });
    assert!(drained.is_some(), "dropped {}", b.stats().own_dropped);
    assert_eq!(b.stats().received, 1);
}

#[test]
fn recv_batch_receives_many_adverts_in_one_call() {
    require_root!();
    const COUNT: u8 = 40;
    let lab = Lab::new();
    for family in [Family::Ipv4, Family::Ipv6] {
        let mut b = open(&lab.b, roomy(family, "vb"));
        let mut a = open(&lab.a, SocketConfig::multicast(family, "va"));
        let (src, group) = a_src_and_group(&lab, family);
        let sent: Vec<Vec<u8>> = (1..=COUNT)
            .map(|vrid| advert_of(family, vrid, src, group))
            .collect();
        for payload in &sent {
            a.send(payload, src, group).expect("send");
        }
        assert!(wait_until_queued(&b, WAIT), "{family}: adverts arrive");

        let mut batch = RecvBatch::new(32);
        let mut got = Vec::new();
        let mut calls = 0;
        while got.len() < sent.len() && calls < 2 {
            calls += 1;
            let n = b.recv_batch(&mut batch).expect("recv_batch");
            assert_eq!(n, batch.len());
            for d in batch.iter() {
                assert_eq!(
                    (d.meta.src, d.meta.dst, d.meta.hop_limit),
                    (src, group, 255)
                );
                let (repr, _) = d.decode().expect("decodes");
                got.push((repr.vrid.get(), d.payload.to_vec()));
            }
        }
        assert_eq!(got.len(), sent.len(), "{family}: all in {calls} calls");
        for (i, (vrid, payload)) in got.iter().enumerate() {
            assert_eq!(usize::from(*vrid), i + 1, "{family}: in order");
            assert_eq!(payload, &sent[i]);
        }
        assert!(would_block(b.recv_batch(&mut batch)), "{family}: drained");
        assert_eq!(b.stats().received, u64::from(COUNT));
    }
}

#[test]
fn recv_batch_that_drops_everything_is_not_would_block() {
    require_root!();
    let lab = Lab::new();
    let mut b = open(&lab.b, SocketConfig::multicast(Family::Ipv4, "vb"));
    let mut a = open(&lab.a, SocketConfig::multicast(Family::Ipv4, "va"));
    let (src, group) = a_src_and_group(&lab, Family::Ipv4);
    b.set_own_addresses([src]);
    for vrid in 1..=5 {
        a.send(&advert_of(Family::Ipv4, vrid, src, group), src, group)
            .expect("send");
    }
    assert!(wait_until_queued(&b, WAIT));
    let mut batch = RecvBatch::new(32);
    assert_eq!(b.recv_batch(&mut batch).expect("read and dropped"), 0);
    assert_eq!(batch.iter().count(), 0);
    assert_eq!(b.stats().own_dropped, 5);
    assert!(would_block(b.recv_batch(&mut batch)));
}

#[test]
fn send_batch_delivers_every_advert_from_the_right_source_with_ttl_255() {
    require_root!();
    const COUNT: u8 = 20;
    let lab = Lab::new();
    for family in [Family::Ipv4, Family::Ipv6] {
        let mut b = open(&lab.b, roomy(family, "vb"));
        let mut a = open(&lab.a, SocketConfig::multicast(family, "va"));
        let (src, group) = a_src_and_group(&lab, family);
        // IPv4: every other advert to B's unicast address, to check each message keeps
        // its own destination.
        let dst_of = |vrid: u8| match family {
            Family::Ipv4 if vrid % 2 == 0 => IpAddr::V4(v4(B_V4)),
            _ => group,
        };
        let mut batch = SendBatch::new(32);
        let mut sent = Vec::new();
        for vrid in 1..=COUNT {
            let payload = advert_of(family, vrid, src, dst_of(vrid));
            batch.push(&payload, src, dst_of(vrid)).expect("push");
            sent.push(payload);
        }
        assert_eq!(a.send_batch(&mut batch).expect("send_batch"), sent.len());
        assert!(batch.is_empty(), "cleared after sending");
        assert_eq!(a.stats().sent, u64::from(COUNT));

        let got = common::recv_datagrams(&mut b, sent.len(), WAIT);
        assert_eq!(
            got.len(),
            sent.len(),
            "{family}: B receives the whole batch"
        );
        for (i, (meta, payload)) in got.iter().enumerate() {
            let vrid = u8::try_from(i + 1).expect("small");
            assert_eq!(meta.src, src, "{family}: source");
            assert_eq!(meta.dst, dst_of(vrid), "{family}: destination");
            assert_eq!(meta.hop_limit, 255, "{family}: TTL / hop limit");
            assert_eq!(payload, &sent[i], "{family}: in order, intact");
            let (repr, _) = vrrp_core::wire::decode(payload, meta).expect("decodes");
            assert_eq!(repr.vrid.get(), vrid);
        }
    }
}

#[test]
fn a_socket_receives_multicast_only_while_it_has_joined() {
    require_root!();
    let lab = Lab::new();
    for family in [Family::Ipv4, Family::Ipv6] {
        let mut b = open(&lab.b, SocketConfig::unicast(family, "vb"));
        let mut a = open(&lab.a, SocketConfig::multicast(family, "va"));
        let (src, group) = a_src_and_group(&lab, family);
        let payload = advert_of(family, 7, src, group);
        let mut buf = [0u8; RECV_BUFFER_LEN];
        let mut heard = |a: &mut VrrpSocket, b: &mut VrrpSocket, wait: Duration| {
            a.send(&payload, src, group).expect("send");
            poll_until(wait, || try_recv(b, &mut buf).map(|d| d.meta))
        };
        assert!(!b.joined_group());
        let got = heard(&mut a, &mut b, Duration::from_millis(300));
        assert_eq!(got, None, "{family}: not joined, nothing heard");

        b.set_join_group(true).expect("join");
        assert!(b.joined_group());
        b.set_join_group(true).expect("joining twice is fine");
        let got = heard(&mut a, &mut b, WAIT).expect("joined: the advert arrives");
        assert_eq!((got.src, got.dst), (src, group), "{family}");

        b.set_join_group(false).expect("leave");
        assert!(!b.joined_group());
        let got = heard(&mut a, &mut b, Duration::from_millis(300));
        assert_eq!(got, None, "{family}: left, nothing heard");
    }
}

#[test]
fn open_with_uses_the_given_index_and_own_addresses() {
    require_root!();
    let lab = Lab::new();
    let a_addr = IpAddr::V4(v4(A_V4));
    let b_addr = IpAddr::V4(v4(B_V4));
    let (ifindex, mut b) = lab.b.run(move || {
        let ifindex = vrrp_io::Netlink::open()
            .expect("netlink")
            .ifindex("vb")
            .expect("vb");
        let config = SocketConfig::multicast(Family::Ipv4, "vb");
        let own = [a_addr, "fd00:db8::2".parse().expect("v6")];
        (
            ifindex,
            VrrpSocket::open_with(&config, ifindex, own).expect("open_with"),
        )
    });
    assert_eq!(b.ifindex(), ifindex);
    // Exactly the addresses given, of the socket's family: no netlink lookup of its own.
    assert_eq!(b.own_addresses().collect::<Vec<_>>(), vec![a_addr]);
    assert!(!b.own_addresses().any(|x| x == b_addr));

    let mut a = open(&lab.a, SocketConfig::multicast(Family::Ipv4, "va"));
    let group = a.multicast_group();
    a.send(&advert_of(Family::Ipv4, 1, a_addr, group), a_addr, group)
        .expect("send");
    assert!(wait_until_queued(&b, WAIT));
    let mut buf = [0u8; RECV_BUFFER_LEN];
    assert!(would_block(b.recv(&mut buf)));
    assert_eq!(b.stats().own_dropped, 1);

    let err = lab
        .b
        .run(|| VrrpSocket::open_with(&SocketConfig::multicast(Family::Ipv4, "vb"), 0, []));
    assert!(matches!(
        err,
        Err(Error::InterfaceIndexNotFound { ifindex: 0 })
    ));
}

#[test]
fn virtual_addresses_set_later_are_no_longer_own() {
    require_root!();
    let lab = Lab::new();
    let a_addr = IpAddr::V4(v4(A_V4));
    let mut b = open(&lab.b, SocketConfig::multicast(Family::Ipv4, "vb"));
    let mut a = open(&lab.a, SocketConfig::multicast(Family::Ipv4, "va"));
    // As if A's address were also one of B's (held as a VIP by a router added later).
    b.set_own_addresses([IpAddr::V4(v4(B_V4)), a_addr]);
    let group = a.multicast_group();
    let payload = advert_of(Family::Ipv4, 1, a_addr, group);
    a.send(&payload, a_addr, group).expect("send");
    assert!(wait_until_queued(&b, WAIT));
    let mut buf = [0u8; RECV_BUFFER_LEN];
    assert!(would_block(b.recv(&mut buf)), "own, dropped");

    b.set_virtual_addresses([a_addr]);
    assert!(!b.own_addresses().any(|x| x == a_addr));
    assert_eq!(b.virtual_addresses().collect::<Vec<_>>(), vec![a_addr]);
    a.send(&payload, a_addr, group).expect("send");
    let (meta, _) = receive(&mut b).expect("a VIP is never own");
    assert_eq!(meta.src, a_addr);
}
