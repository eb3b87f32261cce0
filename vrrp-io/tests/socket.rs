//! VrrpSocket between two network namespaces (root only).

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use common::{poll_until, Lab, Netns, A_V4, B_V4};
use vrrp_core::wire::{
    AddressList, AdvertRepr, Auth, ChecksumForm, ChecksumMode, Password, VRRP_MULTICAST_V4,
    VRRP_MULTICAST_V6,
};
use vrrp_core::{Centiseconds, Family, Priority, Version, Vrid};
use vrrp_io::socket::{SocketConfig, VrrpSocket, RECV_BUFFER_LEN};
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
    let repr = AdvertRepr {
        version: Version::V3,
        vrid: Vrid::new(51).expect("vrid"),
        priority: Priority(150),
        max_advert_interval: Centiseconds(100),
        addresses: vips,
        auth: Auth::None,
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    let len = repr
        .emit(&mut buf, src, dst, ChecksumMode::default())
        .expect("emit");
    buf.truncate(len);
    buf
}

/// Waits for one datagram on `sock` and returns (meta, payload).
fn receive(sock: &mut VrrpSocket) -> Option<(vrrp_core::wire::RxMeta, Vec<u8>)> {
    let mut buf = [0u8; RECV_BUFFER_LEN];
    poll_until(WAIT, || {
        sock.recv(&mut buf)
            .expect("recv")
            .map(|d| (d.meta, d.payload.to_vec()))
    })
}

#[test]
fn ipv4_advert_reaches_the_peer_with_ttl_255_and_decodes() {
    require_root!();
    let lab = Lab::new();
    let mut b = open(&lab.b, SocketConfig::multicast(Family::Ipv4, "vb"));
    let mut a = open(&lab.a, SocketConfig::multicast(Family::Ipv4, "va"));
    assert_eq!(a.destinations(), &[IpAddr::V4(VRRP_MULTICAST_V4)]);

    let vips = [Ipv4Addr::new(192, 0, 2, 100)];
    let src = IpAddr::V4(v4(A_V4));
    let dst = a.destinations()[0];
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
    assert_eq!(a.destinations(), &[IpAddr::V6(VRRP_MULTICAST_V6)]);

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
            a.recv(&mut buf).expect("recv").map(|d| d.meta)
        });
        assert_eq!(own, None, "{family}: sender saw its own advert");
        let own2 = poll_until(Duration::from_millis(100), || {
            a2.recv(&mut buf).expect("recv").map(|d| d.meta)
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
        b.recv(&mut buf).expect("recv").map(|d| d.meta)
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
    let mut b = open(
        &lab.b,
        SocketConfig::unicast(Family::Ipv4, "vb", vec![a_addr]),
    );
    let mut a = open(
        &lab.a,
        SocketConfig::unicast(Family::Ipv4, "va", vec![b_addr]),
    );
    assert_eq!(a.destinations(), &[b_addr]);
    assert!(a.is_unicast());

    let vips = [Ipv4Addr::new(192, 0, 2, 100)];
    let repr = AdvertRepr {
        version: Version::V3,
        vrid: Vrid::new(51).expect("vrid"),
        priority: Priority(150),
        max_advert_interval: Centiseconds(100),
        addresses: AddressList::ipv4(&vips),
        auth: Auth::None,
    };
    a.send_advert(&repr, a_addr, ChecksumMode::default())
        .expect("send to every peer");
    let (meta, bytes) = receive(&mut b).expect("B receives the unicast advert");
    assert_eq!(meta.src, a_addr);
    assert_eq!(meta.dst, b_addr, "addressed to B, not the group");
    assert_eq!(meta.hop_limit, 255);
    let (_, form) = vrrp_core::wire::decode(&bytes, &meta).expect("decodes");
    assert_eq!(form, ChecksumForm::V3Ipv4PseudoHeader);

    // A unicast-mode socket has not joined the group: multicast does not reach it.
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
        b.recv(&mut buf).expect("recv").map(|d| d.meta)
    });
    assert_eq!(got, None, "unicast socket received multicast");
}

#[test]
fn ipv6_unicast_peer_with_global_addresses() {
    require_root!();
    let lab = Lab::new();
    let a_addr: IpAddr = common::A_V6.parse().expect("v6");
    let b_addr: IpAddr = common::B_V6.parse().expect("v6");
    let mut b = open(
        &lab.b,
        SocketConfig::unicast(Family::Ipv6, "vb", vec![a_addr]),
    );
    let mut a = open(
        &lab.a,
        SocketConfig::unicast(Family::Ipv6, "va", vec![b_addr]),
    );
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
    let err = lab.a.run(|| {
        VrrpSocket::open(&SocketConfig::unicast(
            Family::Ipv4,
            "va",
            vec!["fd00::1".parse().expect("v6")],
        ))
    });
    assert!(matches!(err, Err(Error::FamilyMismatch { .. })));
}
