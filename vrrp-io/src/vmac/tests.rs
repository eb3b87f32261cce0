use std::net::Ipv6Addr;
use std::path::Path;

use netlink_packet_core::{Emitable, Parseable};
use netlink_packet_route::link::{InfoKind, LinkAttribute, LinkMessage};
use vrrp_core::{Family, Vrid};

use super::link::{conflict, create_message, eui64_link_local, LinkDetails, MACVLAN_MODE_PRIVATE};
use super::sysctl::{is_not_found, read_conf, read_value};
use super::*;
use crate::error::Error;
use crate::mac::MacAddr;
use crate::netlink::validate_ifname;

fn vrid(n: u8) -> Vrid {
    Vrid::new(n).expect("1..=255")
}

const VMAC: MacAddr = MacAddr::vrrp_v4(51);

fn macvlan(index: u32, lower: u32, mac: MacAddr, mode: u32) -> LinkDetails {
    LinkDetails {
        index,
        kind: Some(InfoKind::MacVlan),
        macvlan_mode: Some(mode),
        lower: Some(lower),
        lower_elsewhere: false,
        mac: Some(mac),
        group: Some(0),
    }
}

#[test]
fn virtual_macs_follow_rfc_9568_section_7_3() {
    assert_eq!(
        virtual_mac(Family::Ipv4, vrid(1)),
        MacAddr([0, 0, 0x5e, 0, 1, 1])
    );
    assert_eq!(
        virtual_mac(Family::Ipv6, vrid(255)),
        MacAddr([0, 0, 0x5e, 0, 2, 0xff])
    );
}

#[test]
fn default_name_is_keepalived_s_vrrp_dot_vrid() {
    assert_eq!(default_name(vrid(51)), "vrrp.51");
    assert_eq!(default_name(vrid(255)), "vrrp.255");
}

#[test]
fn fallback_names_follow_keepalived_per_family() {
    let v4: Vec<_> = default_names(Family::Ipv4, vrid(51)).take(4).collect();
    assert_eq!(v4, ["vrrp.51", "vrrp1.51", "vrrp2.51", "vrrp3.51"]);
    let v6: Vec<_> = default_names(Family::Ipv6, vrid(51)).take(9).collect();
    assert_eq!(
        v6,
        [
            "vrrp.51", "vrrp6.51", "vrrp1.51", "vrrp2.51", "vrrp3.51", "vrrp4.51", "vrrp5.51",
            "vrrp7.51", "vrrp8.51"
        ]
    );
    assert_eq!(default_names(Family::Ipv4, vrid(255)).count(), 65_536);
    assert!(default_names(Family::Ipv6, vrid(255)).all(|n| validate_ifname(&n).is_ok()));
}

#[test]
fn vmac_names_are_interface_names_other_than_the_parent() {
    assert!(validate_vmac_name("vrrp.51", "eth0").is_ok());
    assert!(validate_vmac_name("eth0", "eth0").is_err());
    assert!(validate_vmac_name("vrrp 51", "eth0").is_err());
    assert!(validate_vmac_name("a-very-long-vmac-name", "eth0").is_err());
    assert!(validate_vmac_name("vrrp.51", "").is_err());
}

#[test]
fn our_macvlan_is_private_on_the_parent_with_the_mac() {
    assert_eq!(
        macvlan(9, 2, VMAC, MACVLAN_MODE_PRIVATE).mismatch(2, VMAC),
        None
    );
}

#[test]
fn anything_else_is_named_for_what_it_is() {
    let mut veth = macvlan(9, 2, VMAC, MACVLAN_MODE_PRIVATE);
    veth.kind = Some(InfoKind::Veth);
    assert_eq!(
        veth.mismatch(2, VMAC),
        Some(VmacMismatch::NotMacvlan {
            kind: Some("veth".into())
        })
    );
    let mut nic = veth.clone();
    nic.kind = None;
    assert_eq!(
        nic.mismatch(2, VMAC),
        Some(VmacMismatch::NotMacvlan { kind: None })
    );
    assert_eq!(
        macvlan(9, 3, VMAC, MACVLAN_MODE_PRIVATE).mismatch(2, VMAC),
        Some(VmacMismatch::OtherParent {
            lower_ifindex: Some(3)
        })
    );
    let mut elsewhere = macvlan(9, 2, VMAC, MACVLAN_MODE_PRIVATE);
    elsewhere.lower_elsewhere = true;
    assert_eq!(
        elsewhere.mismatch(2, VMAC),
        Some(VmacMismatch::OtherParent {
            lower_ifindex: None
        })
    );
    let other_mac = MacAddr::vrrp_v4(52);
    assert_eq!(
        macvlan(9, 2, other_mac, MACVLAN_MODE_PRIVATE).mismatch(2, VMAC),
        Some(VmacMismatch::OtherMac {
            mac: Some(other_mac)
        })
    );
    assert_eq!(
        macvlan(9, 2, VMAC, 4).mismatch(2, VMAC),
        Some(VmacMismatch::OtherMode { mode: 4 })
    );
}

#[test]
fn a_macvlan_parent_means_its_lower_device() {
    // The kernel puts a macvlan created on a macvlan onto the latter's lower device.
    assert_eq!(macvlan(9, 2, VMAC, 4).macvlan_lower(), 2);
    let mut veth = macvlan(9, 2, VMAC, 4);
    veth.kind = Some(InfoKind::Veth);
    assert_eq!(veth.macvlan_lower(), 9);
}

#[test]
fn the_create_request_describes_our_macvlan() {
    let msg = create_message(2, "vrrp.51", VMAC, Some(7));
    let mut bytes = vec![0u8; msg.buffer_len()];
    msg.emit(&mut bytes);
    let parsed = LinkMessage::parse(&bytes[..]).expect("parses");
    let details = LinkDetails::parse(&parsed);
    assert_eq!(details.mismatch(2, VMAC), None);
    assert_eq!(details.group, Some(7));
    assert!(parsed
        .attributes
        .contains(&LinkAttribute::IfName("vrrp.51".into())));
}

#[test]
fn conflicts_say_what_where_and_what_to_do() {
    let e = conflict(
        "vrrp.51",
        "eth0",
        VMAC,
        VmacMismatch::NotMacvlan {
            kind: Some("veth".into()),
        },
    );
    assert_eq!(
        e.to_string(),
        "interface vrrp.51 exists but is not the VRRP macvlan on eth0 with MAC \
         00:00:5e:00:01:33: it is a veth interface, not a macvlan; it is left \
         untouched: remove or rename it, or choose another use_vmac name"
    );
    let mode = VmacMismatch::OtherMode { mode: 4 };
    assert_eq!(
        mode.to_string(),
        "it is in macvlan mode bridge, not private"
    );
}

#[test]
fn eui64_link_local_flips_the_universal_local_bit() {
    let mac = MacAddr([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    assert_eq!(
        eui64_link_local(mac),
        "fe80::5054:ff:fe12:3456".parse::<Ipv6Addr>().expect("v6")
    );
}

#[test]
fn sysctl_errors_name_the_file() {
    let e = read_value(Path::new("/proc/sys/net/ipv4/conf/no-such-if0/arp_ignore"))
        .expect_err("no such file");
    assert!(is_not_found(&e));
    assert!(e
        .to_string()
        .starts_with("cannot read /proc/sys/net/ipv4/conf/no-such-if0/arp_ignore: "));
    assert!(matches!(
        read_conf("no-such-if0", "arp_ignore"),
        Err(Error::InterfaceNotFound { name }) if name == "no-such-if0"
    ));
}

#[test]
fn an_empty_restore_is_a_no_op_anywhere() {
    let mut restore = SysctlRestore::default();
    assert!(restore.is_empty());
    assert!(restore.restore().is_ok());
    let mut all = VmacSysctls::new();
    assert!(all.remove("vrrp.51").is_ok());
    assert!(all.restore_all().is_ok());
}
