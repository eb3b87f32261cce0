//! Accept mode (RFC 9568 section 6.1) on a running daemon: with `no_accept` (or
//! `vrrp_strict`) a non-owner master drops packets to its VIP, so a client's ping gets no
//! answer while the router's own address still answers; `accept` lets it through; a
//! stopped daemon leaves no nftables table behind.
//!
//! Needs root and nft (prints `SKIPPED` otherwise).

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod lab;

use std::time::Duration;

use lab::{have, wait_until, Lab, VIP4};

fn conf(global: &str, accept: &str) -> String {
    format!(
        "global_defs {{\n    vrrp_version 3\n{global}}}\n\
         vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 51\n    priority 100\n    advert_int 0.1\n\
         {accept}\n    virtual_ipaddress {{\n        {VIP4}/24\n    }}\n}}\n"
    )
}

fn our_table(lab: &Lab) -> bool {
    lab.exec(
        &lab.router_ns(0),
        &["nft", "list", "tables"],
        Duration::from_secs(5),
    )
    .map(|o| String::from_utf8_lossy(&o.stdout).contains("vrrp_no_accept"))
    .unwrap_or(false)
}

#[test]
fn accept_mode_off_drops_traffic_to_the_vip_and_on_lets_it_through() {
    require_root!();
    if !have("nft") {
        eprintln!("SKIPPED: needs nft (apt install nftables)");
        return;
    }
    let mut lab = Lab::new(1);
    let own = Lab::router_v4(0).to_string();
    let r0 = lab.start_vrrp(0, &conf("", "    no_accept"));
    let conf_path = lab.proc_dir(r0).join("keepalived.conf");
    assert!(
        lab.wait_sole_holder(0, VIP4, Duration::from_secs(10)),
        "{}",
        lab.log(r0)
    );
    assert!(our_table(&lab), "{}", lab.log(r0));
    assert!(lab.client_ping(&own), "the router's own address answers");
    assert!(!lab.client_ping(VIP4), "the VIP does not (accept mode off)");

    // Reloaded with `accept`: the master keeps the VIP and lets the traffic in.
    std::fs::write(&conf_path, conf("", "    accept")).unwrap();
    lab.signal(r0, libc::SIGHUP);
    assert!(
        wait_until(Duration::from_secs(10), || lab.client_ping(VIP4)),
        "{}",
        lab.log(r0)
    );
    assert!(!our_table(&lab), "nothing blocked, no table");
    assert!(lab.has_address(0, VIP4));

    // vrrp_strict means accept mode off, as in keepalived.
    std::fs::write(&conf_path, conf("    vrrp_strict\n", "")).unwrap();
    lab.signal(r0, libc::SIGHUP);
    assert!(
        wait_until(Duration::from_secs(10), || our_table(&lab)),
        "{}",
        lab.log(r0)
    );
    assert!(!lab.client_ping(VIP4));

    lab.stop(r0);
    assert!(!our_table(&lab), "a stopped daemon removes its table");
    assert!(lab.client_ping(&own));
}

#[test]
fn with_adverts_through_the_ip_stack_an_output_firewall_rule_forces_a_failover() {
    require_root!();
    if !have("nft") {
        eprintln!("SKIPPED: needs nft (apt install nftables)");
        return;
    }
    let mut lab = Lab::new(2);
    let conf = |priority: u8| {
        format!(
            "global_defs {{\n    vrrp_version 3\n    vrrp_adverts_through_ip_stack\n}}\n\
             vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 51\n    priority {priority}\n    advert_int 0.1\n\
             \x20   virtual_ipaddress {{\n        {VIP4}/24\n    }}\n}}\n"
        )
    };
    let r0 = lab.start_vrrp(0, &conf(150));
    let r1 = lab.start_vrrp(1, &conf(100));
    assert!(
        lab.wait_sole_holder(0, VIP4, Duration::from_secs(10)),
        "{}\n{}",
        lab.log(r0),
        lab.log(r1)
    );
    // keepalived's users' way to force a failover: drop VRRP on output.
    let script = "add table inet t\nadd chain inet t out { type filter hook output priority 0; }\nadd rule inet t out meta l4proto 112 drop\n";
    let path = lab.dir().join("drop-vrrp.nft");
    std::fs::write(&path, script).unwrap();
    lab.exec(
        &lab.router_ns(0),
        &["nft", "-f", path.to_str().unwrap()],
        Duration::from_secs(5),
    )
    .unwrap();
    assert!(
        wait_until(Duration::from_secs(5), || lab.has_address(1, VIP4)),
        "the backup takes over once the master's adverts are dropped\n{}",
        lab.log(r1)
    );
}
