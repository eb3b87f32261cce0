//! Virtual MAC interfaces (`use_vmac`) inside network namespaces (root only): the macvlan
//! as the kernel shows it, reuse after a crash, refusal of foreign interfaces, removal,
//! the sysctls, and what peers on the link see.

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::process::Command;
use std::time::Duration;

use common::{poll_until, run, Lab, Netns, A_V4};
use vrrp_core::wire::AddressList;
use vrrp_core::{Family, Vrid};
use vrrp_io::packet::{ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use vrrp_io::socket::{SocketConfig, VrrpSocket, RECV_BUFFER_LEN};
use vrrp_io::vmac::{
    apply_vmac_sysctls, default_name, virtual_mac, RemoveOutcome, VmacMismatch, VmacSysctls,
};
use vrrp_io::{Error, MacAddr, Netlink, PacketSocket};

const PARENT: &str = "va";
const VMAC: &str = "vrrp.51";
const WAIT: Duration = Duration::from_secs(3);

fn vrid() -> Vrid {
    Vrid::new(51).expect("1..=255")
}

fn mac(family: Family) -> MacAddr {
    virtual_mac(family, vrid())
}

fn netlink_in(ns: &Netns) -> Netlink {
    ns.run(|| Netlink::open().expect("netlink"))
}

/// `/proc/sys/net/ipv4/conf/IF/KEY` as seen inside `ns`.
fn conf(ns: &Netns, ifname: &str, key: &str) -> u32 {
    let path = format!("/proc/sys/net/ipv4/conf/{ifname}/{key}");
    run("ip", &["netns", "exec", &ns.name, "cat", &path])
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{path} in {}: {e}", ns.name))
}

/// Writes `/proc/sys/net/ipv4/conf/IF/KEY` inside `ns`, as an administrator would.
fn set_conf(ns: &Netns, ifname: &str, key: &str, value: u32) {
    let path = format!("/proc/sys/net/ipv4/conf/{ifname}/{key}");
    let script = format!("echo {value} > {path}");
    run("ip", &["netns", "exec", &ns.name, "sh", "-c", &script]);
}

/// True if `ifname` exists in `ns`.
fn has_link(ns: &Netns, ifname: &str) -> bool {
    Command::new("ip")
        .args(["-n", &ns.name, "link", "show", "dev", ifname])
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Creates the IPv4 vmac of VRID 51 on `va` inside `ns`; returns its index.
fn ensure_in(ns: &Netns, family: Family) -> u32 {
    ns.run(move || {
        Netlink::open()
            .expect("netlink")
            .ensure_vmac(PARENT, VMAC, mac(family))
            .expect("ensure vmac")
    })
}

fn expect_conflict(result: vrrp_io::Result<impl std::fmt::Debug>) -> VmacMismatch {
    match result {
        Err(Error::VmacConflict { found, name, .. }) => {
            assert!(!name.is_empty());
            found
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[test]
fn a_vmac_is_a_private_macvlan_with_the_virtual_mac_and_up() {
    require_root!();
    let lab = Lab::new();
    assert_eq!(default_name(vrid()), VMAC);
    let ifindex = ensure_in(&lab.a, Family::Ipv4);

    let shown = lab.a.ip(&["-d", "link", "show", "dev", VMAC]);
    assert!(
        shown.starts_with(&format!("{ifindex}: {VMAC}@{PARENT}:")),
        "{shown}"
    );
    assert!(shown.contains("macvlan mode private"), "{shown}");
    assert!(shown.contains("link/ether 00:00:5e:00:01:33"), "{shown}");
    assert!(shown.contains(",UP,") || shown.contains("<UP,"), "{shown}");
    assert!(shown.contains("addrgenmode none"), "{shown}");
    // No EUI-64 link-local of the shared MAC: every router's would be the same.
    let v6 = lab.a.ip(&["-6", "addr", "show", "dev", VMAC]);
    assert!(!v6.contains("inet6"), "{v6}");
}

#[test]
fn a_restart_after_a_crash_reuses_the_leftover_vmac() {
    require_root!();
    let lab = Lab::new();
    let first = ensure_in(&lab.a, Family::Ipv4);
    // The crashed run's handle is gone; someone took the link down meanwhile.
    lab.a.ip(&["link", "set", VMAC, "down"]);
    let second = ensure_in(&lab.a, Family::Ipv4);
    assert_eq!(first, second, "the same interface, not a new one");
    let shown = lab.a.ip(&["link", "show", "dev", VMAC]);
    assert!(shown.contains(",UP,") || shown.contains("<UP,"), "{shown}");
}

#[test]
fn names_taken_by_other_interfaces_are_refused_and_left_alone() {
    require_root!();
    let lab = Lab::new();
    let a = &lab.a;
    let mac4 = mac(Family::Ipv4);
    // A veth called like the vmac.
    a.ip(&[
        "link",
        "add",
        VMAC,
        "type",
        "veth",
        "peer",
        "name",
        "vrrp-peer",
    ]);
    // Macvlans that are not ours: another MAC, another parent, bridge mode.
    a.ip(&[
        "link",
        "add",
        "link",
        PARENT,
        "name",
        "vrrp.52",
        "address",
        "00:00:5e:00:01:34",
        "type",
        "macvlan",
        "mode",
        "private",
    ]);
    a.ip(&["link", "add", "vx", "type", "veth", "peer", "name", "vy"]);
    a.ip(&[
        "link",
        "add",
        "link",
        "vx",
        "name",
        "vrrp.53",
        "address",
        "00:00:5e:00:01:33",
        "type",
        "macvlan",
        "mode",
        "private",
    ]);
    a.ip(&[
        "link",
        "add",
        "link",
        PARENT,
        "name",
        "vrrp.54",
        "address",
        "00:00:5e:00:01:33",
        "type",
        "macvlan",
        "mode",
        "bridge",
    ]);
    let mut nl = netlink_in(a);
    let vx = nl.ifindex("vx").expect("vx");

    let cases = [
        (
            VMAC,
            VmacMismatch::NotMacvlan {
                kind: Some("veth".into()),
            },
        ),
        (
            "vrrp.52",
            VmacMismatch::OtherMac {
                mac: Some(MacAddr([0, 0, 0x5e, 0, 1, 0x34])),
            },
        ),
        (
            "vrrp.53",
            VmacMismatch::OtherParent {
                lower_ifindex: Some(vx),
            },
        ),
        ("vrrp.54", VmacMismatch::OtherMode { mode: 4 }),
    ];
    for (name, want) in cases {
        let before = a.ip(&["-d", "link", "show", "dev", name]);
        assert_eq!(
            expect_conflict(nl.ensure_vmac(PARENT, name, mac4)),
            want,
            "{name}"
        );
        assert_eq!(
            expect_conflict(nl.remove_vmac(name, PARENT, mac4)),
            want,
            "{name}"
        );
        // Untouched: still there, still as it was (same flags, so still down).
        assert_eq!(a.ip(&["-d", "link", "show", "dev", name]), before, "{name}");
    }
    let text = nl
        .ensure_vmac(PARENT, VMAC, mac4)
        .expect_err("conflict")
        .to_string();
    assert!(
        text.contains("interface vrrp.51 exists") && text.contains("veth"),
        "{text}"
    );
}

#[test]
fn remove_deletes_our_vmac_and_is_idempotent() {
    require_root!();
    let lab = Lab::new();
    ensure_in(&lab.a, Family::Ipv4);
    let mut nl = netlink_in(&lab.a);
    let mac4 = mac(Family::Ipv4);
    assert_eq!(
        nl.remove_vmac(VMAC, PARENT, mac4).expect("remove"),
        RemoveOutcome::Removed
    );
    assert!(!has_link(&lab.a, VMAC));
    assert_eq!(
        nl.remove_vmac(VMAC, PARENT, mac4).expect("remove again"),
        RemoveOutcome::AlreadyGone
    );
    assert!(has_link(&lab.a, PARENT), "the parent stays");
    match nl.ensure_vmac("nosuch0", VMAC, mac4) {
        Err(Error::InterfaceNotFound { name }) => assert_eq!(name, "nosuch0"),
        other => panic!("expected InterfaceNotFound, got {other:?}"),
    }
}

#[test]
fn ipv4_sysctls_are_set_and_restored() {
    require_root!();
    let lab = Lab::new();
    let a = &lab.a;
    // A host with strict reverse-path filtering everywhere but on lo.
    set_conf(a, "all", "rp_filter", 1);
    set_conf(a, "default", "rp_filter", 0);
    set_conf(a, "lo", "rp_filter", 0);
    set_conf(a, PARENT, "rp_filter", 2);
    set_conf(a, PARENT, "arp_ignore", 0);
    set_conf(a, PARENT, "arp_filter", 0);
    ensure_in(a, Family::Ipv4);

    let mut restore = a.run(|| apply_vmac_sysctls(PARENT, VMAC, Family::Ipv4).expect("apply"));
    assert!(!restore.is_empty());
    for (key, value) in [("arp_ignore", 1), ("accept_local", 1), ("rp_filter", 0)] {
        assert_eq!(conf(a, VMAC, key), value, "{VMAC} {key}");
    }
    assert_eq!(conf(a, VMAC, "promote_secondaries"), 1);
    assert_eq!(conf(a, PARENT, "arp_ignore"), 1);
    assert_eq!(conf(a, PARENT, "arp_filter"), 1);
    // all.rp_filter off so that the vmac's 0 counts, nobody else filtering less.
    assert_eq!(conf(a, "all", "rp_filter"), 0);
    assert_eq!(conf(a, "default", "rp_filter"), 1);
    assert_eq!(conf(a, "lo", "rp_filter"), 1);
    assert_eq!(conf(a, PARENT, "rp_filter"), 2, "looser than all stays");

    // An administrator changes one value meanwhile: that one is theirs.
    set_conf(a, PARENT, "arp_filter", 0);
    restore = a.run(move || {
        restore.restore().expect("restore");
        restore
    });
    assert!(restore.is_empty());
    assert_eq!(conf(a, PARENT, "arp_ignore"), 0);
    assert_eq!(conf(a, PARENT, "arp_filter"), 0);
    assert_eq!(conf(a, "all", "rp_filter"), 1);
    assert_eq!(conf(a, "default", "rp_filter"), 0);
    assert_eq!(conf(a, "lo", "rp_filter"), 0);
    assert_eq!(conf(a, PARENT, "rp_filter"), 2);
}

#[test]
fn ipv6_sysctls_leave_the_parent_alone() {
    require_root!();
    let lab = Lab::new();
    set_conf(&lab.a, "all", "rp_filter", 1);
    set_conf(&lab.a, PARENT, "arp_ignore", 0);
    ensure_in(&lab.a, Family::Ipv6);
    let restore = lab
        .a
        .run(|| apply_vmac_sysctls(PARENT, VMAC, Family::Ipv6).expect("apply"));
    assert!(restore.is_empty());
    assert_eq!(conf(&lab.a, VMAC, "arp_ignore"), 1);
    assert_eq!(conf(&lab.a, PARENT, "arp_ignore"), 0);
    assert_eq!(conf(&lab.a, "all", "rp_filter"), 1);
}

#[test]
fn sysctls_go_to_the_calling_threads_namespace_and_come_back_only_there() {
    require_root!();
    let lab = Lab::new();
    // B has an interface called like A's parent: writes must not land there.
    lab.b.ip(&[
        "link", "add", PARENT, "type", "veth", "peer", "name", "va-peer",
    ]);
    set_conf(&lab.a, PARENT, "arp_ignore", 0);
    set_conf(&lab.b, PARENT, "arp_ignore", 0);
    ensure_in(&lab.a, Family::Ipv4);

    // Each Netns::run is a fresh thread that entered the namespace with setns(2).
    let restore = lab
        .a
        .run(|| apply_vmac_sysctls(PARENT, VMAC, Family::Ipv4).expect("apply"));
    assert_eq!(conf(&lab.a, PARENT, "arp_ignore"), 1);
    assert_eq!(
        conf(&lab.b, PARENT, "arp_ignore"),
        0,
        "B's {PARENT} untouched"
    );

    let restore = lab.b.run(move || {
        let mut restore = restore;
        match restore.restore() {
            Err(Error::WrongNetworkNamespace { .. }) => {}
            other => panic!("expected WrongNetworkNamespace, got {other:?}"),
        }
        restore
    });
    assert_eq!(
        conf(&lab.a, PARENT, "arp_ignore"),
        1,
        "nothing written from B"
    );
    assert!(!restore.is_empty(), "kept for a retry");
    lab.a.run(move || {
        let mut restore = restore;
        restore.restore().expect("restore in A");
    });
    assert_eq!(conf(&lab.a, PARENT, "arp_ignore"), 0);
}

#[test]
fn parent_sysctls_stay_until_its_last_vmac_goes() {
    require_root!();
    let lab = Lab::new();
    let a = &lab.a;
    set_conf(a, "all", "rp_filter", 1);
    set_conf(a, PARENT, "arp_ignore", 0);
    // Two IPv4 virtual routers and an IPv6 one on one parent. (Two macvlans with one MAC
    // cannot be up on one parent: the kernel says EADDRINUSE.)
    let ensure = |name: &'static str, family: Family, vrid: u8| {
        a.run(move || {
            let vrid = Vrid::new(vrid).expect("vrid");
            Netlink::open()
                .expect("netlink")
                .ensure_vmac(PARENT, name, virtual_mac(family, vrid))
                .expect("ensure")
        })
    };
    ensure("vrrp.51", Family::Ipv4, 51);
    ensure("vrrp.52", Family::Ipv4, 52);
    ensure("vrrp6.51", Family::Ipv6, 51);
    let mut sysctls = a.run(|| {
        let mut s = VmacSysctls::new();
        s.add(PARENT, "vrrp.51", Family::Ipv4).expect("add first");
        s.add(PARENT, "vrrp.52", Family::Ipv4).expect("add second");
        s.add(PARENT, "vrrp6.51", Family::Ipv6).expect("add IPv6");
        s
    });
    assert_eq!(conf(a, PARENT, "arp_ignore"), 1);
    assert_eq!(conf(a, "all", "rp_filter"), 0);

    sysctls = a.run(move || {
        sysctls.remove("vrrp.51").expect("remove first");
        sysctls
    });
    assert_eq!(conf(a, PARENT, "arp_ignore"), 1, "vrrp.52 still needs it");
    assert_eq!(conf(a, "all", "rp_filter"), 0);

    sysctls = a.run(move || {
        sysctls.remove("vrrp.52").expect("remove second");
        sysctls
    });
    assert_eq!(conf(a, PARENT, "arp_ignore"), 0, "last IPv4 vmac gone");
    assert_eq!(conf(a, "all", "rp_filter"), 1);
    a.run(move || sysctls.restore_all().expect("nothing left to restore"));
}

/// Sender MACs of the ARP replies for `vip` that reach B while B pings it.
fn arp_answers(lab: &Lab, vip: Ipv4Addr) -> Vec<MacAddr> {
    lab.b.ip(&["neigh", "flush", "dev", "vb"]);
    let cap = lab.b.run(|| {
        let vb = Netlink::open().expect("netlink").ifindex("vb").expect("vb");
        PacketSocket::capture(vb, Some(ETHERTYPE_ARP)).expect("capture")
    });
    let vip_text = vip.to_string();
    run(
        "ip",
        &[
            "netns",
            "exec",
            &lab.b.name,
            "ping",
            "-c",
            "1",
            "-W",
            "2",
            &vip_text,
        ],
    );
    // The macvlan answers broadcasts from a work queue, after the parent: let both in.
    std::thread::sleep(Duration::from_millis(300));
    cap.set_nonblocking(true).expect("non-blocking");
    let mut buf = [0u8; 128];
    let mut macs = Vec::new();
    while let Some(frame) = cap.recv_frame(&mut buf).expect("receive") {
        let arp = &buf[..frame.len];
        let is_reply = arp.get(20..22) == Some(&[0, 2][..]);
        if !frame.outgoing && is_reply && arp.get(28..32) == Some(&vip.octets()[..]) {
            macs.extend(arp.get(22..28).and_then(MacAddr::from_slice));
        }
    }
    macs
}

#[test]
fn peers_learn_the_virtual_mac_and_the_parent_stays_silent() {
    require_root!();
    let lab = Lab::new();
    let vip = Ipv4Addr::new(192, 0, 2, 100);
    let mac4 = mac(Family::Ipv4);
    set_conf(&lab.a, PARENT, "arp_ignore", 0);
    set_conf(&lab.a, PARENT, "arp_filter", 0);
    ensure_in(&lab.a, Family::Ipv4);
    lab.a.ip(&["addr", "add", "192.0.2.100/32", "dev", VMAC]);
    let parent_mac = netlink_in(&lab.a)
        .link_by_name(PARENT)
        .expect("parent")
        .mac
        .expect("parent MAC");

    // Without the sysctls the parent answers for the VIP too, with its own MAC.
    let before = arp_answers(&lab, vip);
    assert!(before.contains(&parent_mac), "control: {before:?}");

    let restore = lab
        .a
        .run(|| apply_vmac_sysctls(PARENT, VMAC, Family::Ipv4).expect("apply"));
    let after = arp_answers(&lab, vip);
    assert!(!after.is_empty(), "someone answers");
    assert!(
        after.iter().all(|m| *m == mac4),
        "only the vmac answers: {after:?}"
    );
    let neigh = lab.b.ip(&["neigh", "show", "192.0.2.100"]);
    assert!(neigh.contains("lladdr 00:00:5e:00:01:33"), "{neigh}");
    drop(restore);
}

#[test]
fn ipv6_peers_learn_the_virtual_mac_and_adverts_have_a_source_of_their_own() {
    require_root!();
    let lab = Lab::new();
    let ifindex = ensure_in(&lab.a, Family::Ipv6);
    let parent_ll = lab.a.run(|| common::wait_for_link_local(PARENT));
    let vmac_ll = lab.a.run(move || {
        let _restore = apply_vmac_sysctls(PARENT, VMAC, Family::Ipv6).expect("apply");
        Netlink::open()
            .expect("netlink")
            .add_vmac_link_local(ifindex, PARENT)
            .expect("link-local")
    });
    assert_eq!(
        vmac_ll, parent_ll,
        "the parent's link-local, not the shared MAC's"
    );
    let shown = lab.a.ip(&["-6", "addr", "show", "dev", VMAC]);
    assert!(shown.contains(&format!("{parent_ll}/64")), "{shown}");

    lab.a
        .ip(&["addr", "add", "fd00:db8::100/64", "dev", VMAC, "nodad"]);
    lab.b.ip(&["neigh", "flush", "dev", "vb"]);
    run(
        "ip",
        &[
            "netns",
            "exec",
            &lab.b.name,
            "ping",
            "-6",
            "-c",
            "1",
            "-W",
            "2",
            "fd00:db8::100",
        ],
    );
    let neigh = lab.b.ip(&["neigh", "show", "fd00:db8::100"]);
    assert!(neigh.contains("lladdr 00:00:5e:00:02:33"), "{neigh}");
}

/// A VRRPv3 advert for VRID 51 from `src` to `dst`.
fn advert(vips: AddressList<'_>, src: IpAddr, dst: IpAddr) -> Vec<u8> {
    common::v3_advert(vrid().get(), vips, src, dst)
}

/// Both namespaces get the vmac of VRID 51 (the same MAC, as two routers of one virtual
/// router have), with sysctls and, for IPv6, the link-local source.
fn two_routers(lab: &Lab, family: Family) {
    for (ns, parent) in [(&lab.a, "va"), (&lab.b, "vb")] {
        ns.run(move || {
            let mut nl = Netlink::open().expect("netlink");
            let ifindex = nl.ensure_vmac(parent, VMAC, mac(family)).expect("ensure");
            let _restore = apply_vmac_sysctls(parent, VMAC, family).expect("sysctls");
            if family == Family::Ipv6 {
                nl.add_vmac_link_local(ifindex, parent).expect("link-local");
            }
        });
    }
}

#[test]
fn a_backup_on_its_vmac_hears_the_master_sending_from_the_same_mac() {
    require_root!();
    for family in [Family::Ipv4, Family::Ipv6] {
        let lab = Lab::new();
        two_routers(&lab, family);
        let open = |ns: &Netns| {
            ns.run(move || {
                VrrpSocket::open(&SocketConfig::multicast(family, VMAC)).expect("open on vmac")
            })
        };
        let mut backup = open(&lab.b);
        let mut master = open(&lab.a);
        let ethertype = match family {
            Family::Ipv4 => ETHERTYPE_IPV4,
            Family::Ipv6 => ETHERTYPE_IPV6,
        };
        let capture = lab.b.run(move || {
            let vb = Netlink::open().expect("netlink").ifindex("vb").expect("vb");
            // All protocols: a socket for one EtherType sees frames only after the
            // macvlan has taken its own, which these are.
            let cap = PacketSocket::capture(vb, None).expect("capture");
            cap.set_read_timeout(Some(Duration::from_millis(200)))
                .expect("timeout");
            cap
        });

        let vips4 = [Ipv4Addr::new(192, 0, 2, 100)];
        let vips6 = ["fd00:db8::100".parse::<Ipv6Addr>().expect("v6")];
        let (src, list) = match family {
            Family::Ipv4 => (
                IpAddr::V4(A_V4.parse().expect("v4")),
                AddressList::ipv4(&vips4),
            ),
            Family::Ipv6 => (
                IpAddr::V6(lab.a.run(|| common::wait_for_link_local("va"))),
                AddressList::ipv6(&vips6),
            ),
        };
        let dst = master.multicast_group();
        let payload = advert(list, src, dst);
        master.send(&payload, src, dst).expect("send");

        let mut buf = [0u8; RECV_BUFFER_LEN];
        let got = poll_until(WAIT, || match backup.recv(&mut buf) {
            Ok(d) => Some((d.meta.src, d.payload.to_vec())),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
            Err(e) => panic!("recv: {e}"),
        });
        assert_eq!(
            got,
            Some((src, payload)),
            "{family}: the backup's vmac hears the master"
        );

        // On the wire the advert comes from the virtual MAC.
        let mut frame = [0u8; 2048];
        let from_vmac = poll_until(WAIT, || {
            let f = capture.recv_frame(&mut frame).expect("capture")?;
            let proto = match family {
                Family::Ipv4 => frame.get(23),
                Family::Ipv6 => frame.get(20),
            };
            (f.ethertype == ethertype && proto == Some(&112))
                .then(|| MacAddr::from_slice(&frame[6..12]))
        });
        assert_eq!(from_vmac, Some(Some(mac(family))), "{family}: source MAC");
    }
}
