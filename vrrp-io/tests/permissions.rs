//! Missing privileges give an error that says which capability and what to do (root only:
//! the test drops its own capabilities on a thread inside a namespace).

mod common;

use common::{drop_all_capabilities, Lab};
use vrrp_core::Family;
use vrrp_io::socket::{SocketConfig, VrrpSocket};
use vrrp_io::{Announcer, Error, MacAddr, Netlink, PacketSocket};

#[test]
fn raw_socket_without_cap_net_raw() {
    require_root!();
    let lab = Lab::new();
    let err = lab.a.run(|| {
        drop_all_capabilities();
        VrrpSocket::open(&SocketConfig::multicast(Family::Ipv4, "va"))
    });
    match err {
        Err(e @ Error::NeedsCapNetRaw { .. }) => {
            assert!(e.is_permission_denied());
            assert!(
                e.to_string()
                    .ends_with("needs CAP_NET_RAW (run as root or grant CAP_NET_RAW)"),
                "{e}"
            );
        }
        other => panic!("expected NeedsCapNetRaw, got {other:?}"),
    }
}

#[test]
fn packet_socket_without_cap_net_raw() {
    require_root!();
    let lab = Lab::new();
    let (a, b) = lab.a.run(|| {
        drop_all_capabilities();
        (
            PacketSocket::sender(1).map(|_| ()),
            Announcer::with_mac(1, "lo", MacAddr::ZERO).map(|_| ()),
        )
    });
    assert!(matches!(a, Err(Error::NeedsCapNetRaw { .. })), "{a:?}");
    assert!(matches!(b, Err(Error::NeedsCapNetRaw { .. })), "{b:?}");
}

#[test]
fn address_change_without_cap_net_admin() {
    require_root!();
    let lab = Lab::new();
    let (lookup, add, del) = lab.a.run(|| {
        drop_all_capabilities();
        let mut nl = Netlink::open().expect("netlink needs no privilege");
        let idx = nl.ifindex("va");
        let idx_val = *idx.as_ref().unwrap_or(&0);
        (
            idx,
            nl.add_address(idx_val, "192.0.2.100".parse().expect("v4"), 32, None),
            nl.del_address(idx_val, "192.0.2.1".parse().expect("v4"), 24),
        )
    });
    assert!(lookup.is_ok(), "reading needs no privilege: {lookup:?}");
    for r in [add.map(|_| ()), del.map(|_| ())] {
        match r {
            Err(e @ Error::NeedsCapNetAdmin { .. }) => assert!(
                e.to_string()
                    .ends_with("needs CAP_NET_ADMIN (run as root or grant CAP_NET_ADMIN)"),
                "{e}"
            ),
            other => panic!("expected NeedsCapNetAdmin, got {other:?}"),
        }
    }
}
