//! `vrrp_notify_fifo`: a program reading the FIFO gets every transition of a running
//! daemon, in order, in keepalived's format (`INSTANCE "VI_1" MASTER 100`), from start to
//! a graceful stop; the daemon creates the FIFO.
//!
//! Needs root (prints `SKIPPED` otherwise).

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod lab;

use std::fs::OpenOptions;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::time::Duration;

use lab::{wait_until, Lab, VIP4};

#[test]
fn transitions_reach_the_fifo_in_order() {
    require_root!();
    let mut lab = Lab::new(1);
    let fifo = lab.dir().join("notify.fifo");
    let conf = format!(
        "global_defs {{\n    vrrp_version 3\n    vrrp_notify_fifo {}\n}}\n\
         vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 51\n    priority 100\n    advert_int 0.1\n\
         \x20   virtual_ipaddress {{\n        {VIP4}\n    }}\n}}\n",
        fifo.display()
    );
    let r0 = lab.start_vrrp(0, &conf);
    assert!(
        wait_until(Duration::from_secs(5), || fifo.exists()),
        "the daemon did not create the FIFO:\n{}",
        lab.log(r0)
    );
    let mut reader = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo)
        .unwrap();
    let mut got = String::new();
    let mut read = |got: &mut String| {
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            got.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    };
    assert!(
        wait_until(Duration::from_secs(10), || {
            read(&mut got);
            got.contains("MASTER")
        }),
        "no MASTER line: {got:?}\n{}",
        lab.log(r0)
    );
    let status = lab.stop(r0).unwrap();
    assert!(status.success());
    read(&mut got);
    assert_eq!(
        got,
        "INSTANCE \"VI_1\" BACKUP 100\nINSTANCE \"VI_1\" MASTER 100\nINSTANCE \"VI_1\" STOP 100\n",
        "{}",
        lab.log(r0)
    );
}
