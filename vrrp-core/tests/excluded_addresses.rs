//! `RouterConfig::excluded_addresses` (keepalived's `virtual_ipaddress_excluded`): held
//! with the virtual addresses while master, never advertised.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

#[path = "common/pair.rs"]
mod pair;

use std::net::{IpAddr, Ipv6Addr};

use pair::*;
use vrrp_core::router::{ConfigError, Output, State, VirtualRouter};
use vrrp_core::wire::Packet;
use vrrp_core::{Family, VirtualAddress};

fn v6(last: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, last))
}

#[test]
fn excluded_addresses_are_held_and_announced_but_not_advertised() {
    let mut c = config(1, 150);
    c.excluded_addresses = vec![VirtualAddress::with_prefix(vip(50), 24), v6(50).into()];
    let mut vr = VirtualRouter::new(c, at(0)).unwrap();
    let down = vr.poll_timeout().unwrap();
    vr.handle_timeout(down);
    let outs = drain(&mut vr);
    assert_eq!(vr.state(), State::Master);
    let held = vec![(vip(1), 32), (vip(50), 24), (v6(50), 128)];
    assert_eq!(
        address_work(&outs),
        vec![('+', held.clone()), ('!', held.clone())]
    );
    let advert = outs
        .iter()
        .find_map(|o| match o {
            Output::Transmit(t) => Some(t.payload.clone()),
            _ => None,
        })
        .unwrap();
    let packet = Packet::new_checked(&advert[..], Family::Ipv4).unwrap();
    assert_eq!(packet.count(), 1, "only the virtual address is advertised");
    // A backup with the same excluded addresses takes the advert as its master's.
    let mut c = config(2, 100);
    c.excluded_addresses = vec![VirtualAddress::with_prefix(vip(50), 24), v6(50).into()];
    let mut backup = VirtualRouter::new(c, at(0)).unwrap();
    drain(&mut backup);
    deliver(&outs, &vr, &mut backup, down);
    assert_eq!(backup.current_master().map(|m| m.0), Some(host(1)));
    assert!(
        !drain(&mut backup).iter().any(|o| matches!(
            o,
            Output::Event(vrrp_core::router::Event::AddressListMismatch { .. })
        )),
        "no address-list mismatch"
    );
    // Stepping down releases all of them.
    vr.shutdown(down);
    assert_eq!(address_work(&drain(&mut vr)), vec![('-', held)]);
}

#[test]
fn an_excluded_address_cannot_repeat_a_virtual_one() {
    let mut c = config(1, 150);
    c.excluded_addresses = vec![vip(1).into()];
    assert_eq!(
        VirtualRouter::new(c, at(0)).err(),
        Some(ConfigError::DuplicateVirtualAddress(vip(1)))
    );
}

#[test]
fn reconfigure_adds_a_new_excluded_address_while_master() {
    let (mut master, now) = lone_master(config(1, 150));
    let mut c = config(1, 150);
    c.excluded_addresses = vec![vip(60).into()];
    master.reconfigure(now, c).unwrap();
    let outs = drain(&mut master);
    assert_eq!(
        address_work(&outs),
        vec![('+', vec![(vip(60), 32)]), ('!', vec![(vip(60), 32)])]
    );
    assert_eq!(master.state(), State::Master);
}
