//! `dev` on a `virtual_ipaddress` line (keepalived): the address goes on that interface,
//! the others on the instance's; the instance tracks that interface (Fault while it is
//! down), and the daemon removes the address from it at stop.
//!
//! Needs root (prints `SKIPPED` otherwise).

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod lab;

use std::time::Duration;

use lab::{wait_until, Lab, VIP4};

const OTHER_VIP: &str = "10.99.0.77";

#[test]
fn an_address_with_dev_goes_on_that_interface_which_the_instance_tracks() {
    require_root!();
    let mut lab = Lab::new(1);
    let ns = lab.router_ns(0);
    lab.add_router_link(0, "lan1", "lan1p", Some("10.99.0.1/24"));
    let conf = format!(
        "global_defs {{\n    vrrp_version 3\n}}\n\
         vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 51\n    priority 150\n    advert_int 0.1\n\
         \x20   virtual_ipaddress {{\n        {VIP4}/24\n        {OTHER_VIP}/32 dev lan1\n    }}\n}}\n"
    );
    let on = |lab: &Lab, dev: &str, addr: &str| {
        lab.ip(&ns, &["-o", "addr", "show", "dev", dev])
            .contains(&format!("{addr}/"))
    };
    let placed = |lab: &Lab| {
        on(lab, "eth0", VIP4)
            && on(lab, "lan1", OTHER_VIP)
            && !on(lab, "eth0", OTHER_VIP)
            && !on(lab, "lan1", VIP4)
    };
    let r0 = lab.start_vrrp(0, &conf);
    assert!(
        wait_until(Duration::from_secs(10), || placed(&lab)),
        "{}\n{}",
        lab.ip(&ns, &["-o", "addr"]),
        lab.log(r0)
    );
    // Its link down: the instance goes to Fault and gives every VIP up.
    lab.ip(&ns, &["link", "set", "lan1", "down"]);
    assert!(
        wait_until(Duration::from_secs(5), || {
            lab.vrrp_state(r0, "VI_1").as_deref() == Some("fault") && !on(&lab, "eth0", VIP4)
        }),
        "state {:?}\n{}",
        lab.vrrp_state(r0, "VI_1"),
        lab.log(r0)
    );
    lab.ip(&ns, &["link", "set", "lan1", "up"]);
    assert!(
        wait_until(Duration::from_secs(5), || placed(&lab)),
        "{}\n{}",
        lab.ip(&ns, &["-o", "addr"]),
        lab.log(r0)
    );
    lab.stop(r0);
    assert!(!on(&lab, "lan1", OTHER_VIP), "removed at stop");
    assert!(!on(&lab, "eth0", VIP4), "removed at stop");
}
