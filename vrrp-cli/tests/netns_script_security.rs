//! `enable_script_security` as keepalived 2.2.7 enforces it, on a running daemon: a
//! world-writable check script and a notify script owned by another user never run, the
//! instance does not track the refused check (its weight does not count), and safe
//! scripts run as usual. Also: what a check script forks does not outlive it.
//!
//! Needs root (prints `SKIPPED` otherwise): the scripts must be root's to be safe.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod lab;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use lab::{wait_until, Lab, VIP4};

fn script(path: &Path, body: &str, mode: u32) {
    fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn unsafe_scripts_are_refused_and_untracked_safe_ones_run() {
    require_root!();
    let mut lab = Lab::new(1);
    let dir = lab.router_dir(0);
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    let marks = dir.join("marks");
    fs::create_dir(&marks).unwrap();
    fs::set_permissions(&marks, fs::Permissions::from_mode(0o777)).unwrap();
    let mark = |name: &str| marks.join(name);

    // World-writable: anyone could make root run anything.
    let open = dir.join("open.sh");
    script(
        &open,
        &format!("touch {}; exit 1", mark("open-ran").display()),
        0o777,
    );
    // Safe, failing: its weight counts. It also forks a child that must not outlive it.
    let safe = dir.join("safe.sh");
    script(
        &safe,
        &format!(
            "sleep 300 & echo $! >> {}; exit 1",
            mark("children").display()
        ),
        0o755,
    );
    // Owned by nobody: refused as a notify script.
    let foreign = dir.join("foreign.sh");
    script(
        &foreign,
        &format!("touch {}", mark("foreign-ran").display()),
        0o755,
    );
    std::os::unix::fs::chown(&foreign, Some(65534), Some(65534)).unwrap();
    let notify = dir.join("notify.sh");
    script(
        &notify,
        &format!("echo \"$@\" >> {}", mark("notify").display()),
        0o755,
    );

    let conf = format!(
        "global_defs {{\n    enable_script_security\n    script_user root\n    vrrp_version 3\n}}\n\
         vrrp_script open_check {{\n    script \"{open}\"\n    interval 1\n    weight -50\n}}\n\
         vrrp_script safe_check {{\n    script \"{safe}\"\n    interval 1\n    weight -5\n}}\n\
         vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 51\n    priority 100\n    advert_int 0.1\n\
         \x20   virtual_ipaddress {{\n        {VIP4}\n    }}\n\
         \x20   track_script {{\n        open_check\n        safe_check\n    }}\n\
         \x20   notify_master \"{foreign}\"\n    notify \"{notify}\"\n}}\n",
        open = open.display(),
        safe = safe.display(),
        foreign = foreign.display(),
        notify = notify.display(),
    );
    let r0 = lab.start_vrrp(0, &conf);
    assert!(
        wait_until(Duration::from_secs(10), || fs::read_to_string(mark(
            "notify"
        ))
        .is_ok_and(|s| s.contains("MASTER"))),
        "the safe notify script did not run:\n{}",
        lab.log(r0)
    );
    // 100 - 5: the refused check's -50 does not count although it would fail.
    let notified = fs::read_to_string(mark("notify")).unwrap();
    assert_eq!(
        notified.lines().collect::<Vec<_>>(),
        ["INSTANCE VI_1 BACKUP 95", "INSTANCE VI_1 MASTER 95"],
        "{}",
        lab.log(r0)
    );
    std::thread::sleep(Duration::from_secs(3)); // a few check intervals
    let log = lab.log(r0);
    assert!(!mark("open-ran").exists(), "the world-writable script ran");
    assert!(
        !mark("foreign-ran").exists(),
        "the foreign notify script ran"
    );
    assert!(
        log.contains("vrrp_script open_check")
            && log.contains("writable by everyone")
            && log.contains("disabled"),
        "{log}"
    );
    assert!(
        log.contains("notify_master") && log.contains("owned by uid 65534"),
        "{log}"
    );
    assert!(lab.has_address(0, VIP4));

    // Every child safe.sh forked died with its run.
    let children = fs::read_to_string(mark("children")).unwrap();
    let pids: Vec<&str> = children.lines().collect();
    assert!(pids.len() >= 2, "safe.sh ran {} times", pids.len());
    let alive: Vec<&&str> = pids
        .iter()
        .filter(|pid| {
            fs::read_to_string(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with("sleep"))
        })
        .collect();
    assert!(alive.is_empty(), "children left running: {alive:?}");
}
