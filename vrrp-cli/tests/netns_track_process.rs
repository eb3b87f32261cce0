//! `vrrp_track_process` on a running daemon: the nginx pair's "is nginx running?" without
//! a script. A process is started and killed; the instance's priority follows within the
//! configured delay, from the kernel's process events (no polling), and `vrrp status`
//! names the track.
//!
//! Needs root (prints `SKIPPED` otherwise).

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod lab;

use std::process::Command;
use std::time::{Duration, Instant};

use lab::{wait_until, Lab, VIP4};

fn effective_priority(lab: &Lab, id: lab::ProcId) -> Option<u64> {
    let r = lab
        .vrrp_status(id)?
        .into_iter()
        .find(|r| r.name == "VI_1")?;
    r.raw["effective_priority"].as_u64()
}

#[test]
fn the_priority_follows_a_tracked_process() {
    require_root!();
    let mut lab = Lab::new(1);
    // A program with a name of its own (the kernel keeps 15 bytes of it).
    let name = format!("web{}", std::process::id() % 100_000);
    let program = lab.dir().join(&name);
    std::fs::copy("/bin/sleep", &program).unwrap();
    let conf = format!(
        "global_defs {{\n    vrrp_version 3\n}}\n\
         vrrp_track_process web {{\n    process {name}\n    weight 20\n    delay 0.3\n}}\n\
         vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 51\n    priority 100\n    advert_int 0.1\n\
         \x20   virtual_ipaddress {{\n        {VIP4}\n    }}\n    track_process {{\n        web\n    }}\n}}\n"
    );
    // The kernel delivers process events in the host's namespace only: the daemon,
    // started in the lab's, enters this test's (the host's) to listen.
    let host_netns = format!("/proc/{}/ns/net", std::process::id());
    let r0 = lab.start_vrrp_with(0, &conf, &["--host-netns", &host_netns]);
    assert!(
        wait_until(Duration::from_secs(10), || effective_priority(&lab, r0)
            == Some(100)),
        "not running without the process: {:?}\n{}",
        lab.vrrp_status(r0),
        lab.log(r0)
    );
    let status = lab.vrrp_status(r0).unwrap();
    let track = status[0].raw["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "web")
        .cloned()
        .unwrap_or_else(|| panic!("no track named web: {:?}", status[0].raw));
    assert_eq!(track["kind"], "process");

    let mut child = Command::new(&program).arg("60").spawn().unwrap();
    let started = Instant::now();
    assert!(
        wait_until(Duration::from_secs(5), || effective_priority(&lab, r0)
            == Some(120)),
        "the process did not count: {:?}\n{}",
        lab.vrrp_status(r0),
        lab.log(r0)
    );
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "fork_delay not waited"
    );

    child.kill().unwrap();
    child.wait().unwrap();
    let killed = Instant::now();
    assert!(
        wait_until(Duration::from_secs(5), || effective_priority(&lab, r0)
            == Some(100)),
        "the process's exit did not count: {:?}\n{}",
        lab.vrrp_status(r0),
        lab.log(r0)
    );
    assert!(
        killed.elapsed() >= Duration::from_millis(300),
        "terminate_delay not waited"
    );
    assert!(
        lab.log(r0).contains("vrrp_track_process web: up"),
        "{}",
        lab.log(r0)
    );
}
