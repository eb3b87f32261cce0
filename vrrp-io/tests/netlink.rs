//! Netlink: VIPs, interfaces and link state, inside network namespaces (root only).

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::{poll_until, Lab, Netns};
use vrrp_io::netlink::{AddOutcome, DelOutcome, InterfaceAddress, Netlink};
use vrrp_io::Error;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("an IP address")
}

/// Opens a netlink handle inside `ns` and returns it with the index of `ifname`.
fn netlink_in(ns: &Netns, ifname: &'static str) -> (Netlink, u32) {
    ns.run(move || {
        let mut nl = Netlink::open().expect("netlink");
        let idx = nl.ifindex(ifname).expect("interface");
        (nl, idx)
    })
}

fn find(addrs: &[InterfaceAddress], addr: IpAddr) -> Option<&InterfaceAddress> {
    addrs.iter().find(|a| a.addr == addr)
}

#[test]
fn ipv4_vip_add_and_remove_are_visible_in_the_kernel() {
    require_root!();
    let lab = Lab::new();
    let (mut nl, va) = netlink_in(&lab.a, "va");
    let vip = ip("192.0.2.100");

    assert_eq!(
        nl.add_address(va, vip, 32, Some("va:vip")).expect("add"),
        AddOutcome::Added
    );
    let addrs = nl.interface_addresses(va).expect("list");
    let got = find(&addrs, vip).expect("the VIP is on va");
    assert_eq!(got.prefix_len, 32);
    assert_eq!(got.label.as_deref(), Some("va:vip"));
    assert_eq!(got.ifindex, va);
    // Cross-check with iproute2.
    let shown = lab.a.ip(&["-o", "addr", "show", "dev", "va"]);
    assert!(shown.contains("192.0.2.100/32"), "{shown}");
    assert!(shown.contains("va:vip"), "{shown}");

    assert_eq!(
        nl.del_address(va, vip, 32).expect("del"),
        DelOutcome::Removed
    );
    let addrs = nl.interface_addresses(va).expect("list");
    assert!(find(&addrs, vip).is_none(), "the VIP is gone");
    assert!(
        find(&addrs, ip(common::A_V4)).is_some(),
        "the primary stays"
    );
    let shown = lab.a.ip(&["-o", "addr", "show", "dev", "va"]);
    assert!(!shown.contains("192.0.2.100"), "{shown}");
}

#[test]
fn adding_twice_and_removing_twice_are_fine() {
    require_root!();
    let lab = Lab::new();
    let (mut nl, va) = netlink_in(&lab.a, "va");
    for (vip, prefix) in [(ip("192.0.2.100"), 24), (ip("fd00:db8::100"), 64)] {
        assert_eq!(
            nl.add_address(va, vip, prefix, None).expect("add"),
            AddOutcome::Added
        );
        assert_eq!(
            nl.add_address(va, vip, prefix, None).expect("add again"),
            AddOutcome::AlreadyPresent
        );
        assert_eq!(
            nl.del_address(va, vip, prefix).expect("del"),
            DelOutcome::Removed
        );
        assert_eq!(
            nl.del_address(va, vip, prefix).expect("del again"),
            DelOutcome::NotPresent
        );
    }
}

#[test]
fn removing_with_another_prefix_length_leaves_the_address_alone() {
    require_root!();
    let lab = Lab::new();
    let (mut nl, va) = netlink_in(&lab.a, "va");
    // va holds 192.0.2.1/24: a "VIP" 192.0.2.1/32 must not remove it.
    assert_eq!(
        nl.del_address(va, ip(common::A_V4), 32).expect("del"),
        DelOutcome::NotPresent
    );
    assert!(find(&nl.interface_addresses(va).expect("list"), ip(common::A_V4)).is_some());
}

#[test]
fn ipv6_vip_is_usable_at_once_without_dad() {
    require_root!();
    let lab = Lab::new();
    // DAD on, as on a normal host: the VIP must still not be tentative.
    lab.a.sysctl("net.ipv6.conf.va.accept_dad=1");
    let (mut nl, va) = netlink_in(&lab.a, "va");
    for vip in [ip("fd00:db8::12"), ip("fe80::1:12")] {
        assert_eq!(
            nl.add_address(va, vip, 64, None).expect("add"),
            AddOutcome::Added
        );
        let addrs = nl.interface_addresses(va).expect("list");
        let got = find(&addrs, vip).expect("the VIP is on va");
        assert!(got.nodad, "{vip} added with IFA_F_NODAD");
        assert!(got.is_usable() && !got.tentative, "{vip} is not tentative");
        assert_eq!(got.prefix_len, 64);
        let shown = lab.a.ip(&["-o", "-6", "addr", "show", "dev", "va"]);
        assert!(shown.contains(&format!("{vip}/64")), "{shown}");
        assert_eq!(
            nl.del_address(va, vip, 64).expect("del"),
            DelOutcome::Removed
        );
    }
}

#[test]
fn address_on_another_interface_is_in_use() {
    require_root!();
    let lab = Lab::new();
    // A second link in the same namespace (no dummy module on every kernel: a veth pair).
    lab.a
        .ip(&["link", "add", "d0", "type", "veth", "peer", "name", "d1"]);
    lab.a.ip(&["addr", "add", "192.0.2.100/32", "dev", "d0"]);
    let (mut nl, va) = netlink_in(&lab.a, "va");
    let d0 = nl.ifindex("d0").expect("d0");
    match nl.add_address(va, ip("192.0.2.100"), 32, None) {
        Err(e @ Error::AddressInUse { .. }) => {
            let Error::AddressInUse {
                ifindex,
                ref ifname,
                ..
            } = e
            else {
                unreachable!()
            };
            assert_eq!((ifindex, ifname.as_str()), (d0, "d0"));
            assert!(
                e.to_string().contains("already in use on interface d0"),
                "{e}"
            );
        }
        other => panic!("expected AddressInUse, got {other:?}"),
    }
    // Link-local addresses are per link: the same one on two links is fine.
    lab.a
        .ip(&["addr", "add", "fe80::1:12/64", "dev", "d0", "nodad"]);
    assert_eq!(
        nl.add_address(va, ip("fe80::1:12"), 64, None).expect("add"),
        AddOutcome::Added
    );
}

#[test]
fn interfaces_are_found_by_name_and_index() {
    require_root!();
    let lab = Lab::new();
    let (mut nl, va) = netlink_in(&lab.a, "va");
    let link = nl.link(va).expect("link");
    assert_eq!(link.name, "va");
    assert_eq!(link.index, va);
    assert!(!link.loopback);
    let shown = lab.a.ip(&["-o", "link", "show", "dev", "va"]);
    let mac = link.mac.expect("veth has a MAC").to_string();
    assert!(shown.contains(&mac), "{shown} lacks {mac}");
    assert_eq!(nl.link_by_name("va").expect("by name"), link);
    let lo = nl.link_by_name("lo").expect("lo");
    assert!(lo.loopback);
    assert!(nl.links().expect("links").iter().any(|l| l.name == "va"));
}

#[test]
fn link_state_follows_admin_state_and_carrier() {
    require_root!();
    let lab = Lab::new();
    let (mut nl, va) = netlink_in(&lab.a, "va");
    let up = |nl: &mut Netlink, want: (bool, bool)| {
        poll_until(Duration::from_secs(2), || {
            let s = nl.link_state(va).expect("state");
            ((s.admin_up, s.carrier) == want).then_some(s)
        })
    };
    let s = up(&mut nl, (true, true)).expect("up with carrier");
    assert!(s.is_up());
    // Peer down: va stays admin up but loses its carrier.
    lab.b.ip(&["link", "set", "vb", "down"]);
    let s = up(&mut nl, (true, false)).expect("carrier lost");
    assert!(!s.is_up());
    lab.b.ip(&["link", "set", "vb", "up"]);
    up(&mut nl, (true, true)).expect("carrier back");
    lab.a.ip(&["link", "set", "va", "down"]);
    let s = up(&mut nl, (false, false)).expect("admin down");
    assert!(!s.is_up());
}

#[test]
fn unknown_interfaces_give_clear_errors() {
    require_root!();
    let ns = Netns::new();
    let result = ns.run(|| {
        let mut nl = Netlink::open().expect("netlink");
        (
            nl.ifindex("eth9"),
            nl.link(9999),
            nl.add_address(9999, ip("192.0.2.100"), 32, None),
            nl.del_address(9999, ip("192.0.2.100"), 32),
            nl.ifindex("name-far-too-long"),
        )
    });
    match result.0 {
        Err(e @ Error::InterfaceNotFound { .. }) => {
            assert_eq!(e.to_string(), "interface eth9 not found")
        }
        other => panic!("expected InterfaceNotFound, got {other:?}"),
    }
    assert!(matches!(
        result.1,
        Err(Error::InterfaceIndexNotFound { ifindex: 9999 })
    ));
    assert!(
        matches!(
            result.2,
            Err(Error::InterfaceIndexNotFound { ifindex: 9999 })
        ),
        "{:?}",
        result.2
    );
    assert!(
        matches!(
            result.3,
            Err(Error::InterfaceIndexNotFound { ifindex: 9999 })
        ),
        "{:?}",
        result.3
    );
    assert!(matches!(result.4, Err(Error::InvalidInterfaceName { .. })));
}

#[test]
fn invalid_requests_are_refused_before_the_kernel_sees_them() {
    require_root!();
    let lab = Lab::new();
    let (mut nl, va) = netlink_in(&lab.a, "va");
    assert!(matches!(
        nl.add_address(va, ip("192.0.2.100"), 33, None),
        Err(Error::InvalidPrefixLength { prefix_len: 33, .. })
    ));
    assert!(matches!(
        nl.add_address(va, ip("fd00:db8::12"), 64, Some("va:x")),
        Err(Error::InvalidLabel { .. })
    ));
}
