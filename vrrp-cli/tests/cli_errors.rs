//! `vrrp run` and `vrrp status` refuse bad input with a clear message and exit status,
//! before touching the network.

use std::process::Command;

fn vrrp(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vrrp"))
        .args(args)
        .output()
        .expect("vrrp runs")
}

#[test]
fn run_refuses_a_broken_config_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("keepalived.conf");
    std::fs::write(
        &conf,
        "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    priorty 101\n    virtual_ipaddress {\n        192.168.100.12\n    }\n}\n",
    )
    .unwrap();
    let sock = dir.path().join("vrrp.sock");
    let out = vrrp(&[
        "run",
        "-f",
        conf.to_str().unwrap(),
        "--status-socket",
        sock.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("vrrp: error:"), "{stderr}");
    assert!(stderr.contains("keepalived.conf:4:5"), "{stderr}");
    assert!(
        stderr.contains("priority"),
        "names the nearest known word: {stderr}"
    );
    assert!(!sock.exists(), "nothing was started");
}

#[test]
fn run_reports_an_unreadable_config() {
    let out = vrrp(&["run", "-f", "/nonexistent/keepalived.conf"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/keepalived.conf"), "{stderr}");
}

#[test]
fn status_without_a_daemon_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("none.sock");
    let out = vrrp(&["status", "--socket", sock.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is `vrrp run` running?"), "{stderr}");
}

#[test]
fn demo_tells_the_failover_story() {
    let out = vrrp(&["demo"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The takeover after the master's link goes down happens exactly Master_Down_Interval
    // (3 s + 154/256 s at the backup's effective priority 102) after its last advert,
    // plus the simulated 0.1 ms link delay.
    assert!(
        stdout.contains("takeover gap: 3601.662 ms (Master_Down_Interval 3601.562 ms"),
        "{stdout}"
    );
    assert!(
        stdout.contains("End: master is r2; r2 holds the VIP: true."),
        "{stdout}"
    );
}
