//! `vrrp check`: output format and exit status, through the built binary.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn vrrp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vrrp"))
        .args(args)
        .output()
        .expect("run vrrp")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_good_file_exits_0_with_a_summary() {
    // The nginx hosts' file, checked for those hosts (its script and eth0 are theirs).
    let file = fixture("nginx-master.conf");
    let out = vrrp(&["check", "--no-host-checks", "-f", file.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("configuration OK (0 errors, 0 warnings)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("vrrp_instance VI_1: VRRPv2 on eth0, vrid 51, priority 101"),
        "{stdout}"
    );
}

#[test]
fn warnings_only_still_exit_0() {
    let file = fixture("keepalived-big.conf");
    let out = vrrp(&[
        "check",
        "--no-host-checks",
        "--use-file",
        file.to_str().unwrap(),
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let first = stdout.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "{}:6:4: warning: `notification_email` skipped: not VRRP",
            file.display()
        )
    );
    assert!(stdout.lines().nth(1).unwrap().starts_with("  help: "));
    assert!(stdout.contains("(0 errors, 13 warnings)"), "{stdout}");
}

#[test]
fn errors_exit_1_with_location_message_and_help() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keepalived.conf");
    std::fs::write(
        &file,
        "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 0\n    prority 100\n    virtual_ipaddress {\n        10.0.0.1\n    }\n}\n",
    )
    .unwrap();
    let out = vrrp(&["check", "-f", file.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let f = file.display();
    // A VRID out of range is reported once, where it is written (not also as missing).
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!("{f}:3:23: error: virtual_router_id must be 1..=255, got 0"),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("  help: use the same VRID"),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("{f}:4:5: error: unknown directive `prority` in vrrp_instance\n  help: did you mean `priority`?")));
    assert!(
        stdout.contains("2 errors, 0 warnings: vrrp would not start"),
        "{stdout}"
    );
}

#[test]
fn an_unreadable_file_exits_2() {
    let out = vrrp(&["check", "-f", "/nonexistent/keepalived.conf"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(
            "vrrp: error: cannot read /nonexistent/keepalived.conf: No such file or directory"
        ),
        "{stderr}"
    );
}

#[test]
fn default_path_is_keepalived_s() {
    let out = vrrp(&["check", "--help"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout.contains("[default: /etc/keepalived/keepalived.conf]"),
        "{stdout}"
    );
    assert!(stdout.contains("keepalived -t"), "{stdout}");
}

#[test]
fn help_speaks_keepalived() {
    let out = vrrp(&["--help"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains("keepalived.conf"), "{stdout}");
    assert!(stdout.contains("check"), "{stdout}");
    assert!(stdout.contains("decode"), "{stdout}");
    for sub in ["run", "status", "demo"] {
        assert!(
            stdout.contains(&format!("\n  {sub} ")),
            "{sub} missing: {stdout}"
        );
    }
}

#[test]
fn usage_errors_say_vrrp_error() {
    let out = vrrp(&["check", "--bogus"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("vrrp: error: "), "{stderr}");
}

/// `vrrp check` says what `vrrp run` would refuse on this host, every problem in one run:
/// a script that does not exist, an interface this host lacks, a VRID twice on one link.
#[test]
fn host_checks_report_everything_run_would_refuse() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keepalived.conf");
    std::fs::write(
        &file,
        "vrrp_script chk {\n    script \"/no/such/check_nginx.sh\"\n}\n\
         vrrp_instance A {\n    interface no-such-if9\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.50\n    }\n    track_script {\n        chk\n    }\n}\n\
         vrrp_instance B {\n    interface lo\n    virtual_router_id 52\n    virtual_ipaddress {\n        192.0.2.51\n    }\n}\n\
         vrrp_instance C {\n    interface lo\n    virtual_router_id 52\n    unicast_peer {\n        192.0.2.9\n    }\n    virtual_ipaddress {\n        192.0.2.52\n    }\n}\n",
    )
    .unwrap();
    let out = vrrp(&["check", "-f", file.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let f = file.display();
    for expected in [
        format!("{f}:1:1: error: vrrp_script chk `/no/such/check_nginx.sh`"),
        format!("{f}:4:1: error: vrrp_instance A: interface no-such-if9 not found"),
        format!("{f}:21:1: error: vrrp_instance C: VRID 52 (IPv4) already runs on lo in vrrp_instance B"),
    ] {
        assert!(stdout.contains(&expected), "missing {expected:?} in\n{stdout}");
    }
    assert!(stdout.contains("3 errors"), "{stdout}");
    // For another host, only the duplicate VRID remains.
    let out = vrrp(&["check", "--no-host-checks", "-f", file.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("1 error,"), "{stdout}");
}

/// A syntax error does not hide what the host checks find: both come in one run.
#[test]
fn a_syntax_error_and_a_missing_script_are_reported_together() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keepalived.conf");
    std::fs::write(
        &file,
        "vrrp_script check_nginx {\n    script \"/root/no-such-check_nginx.sh\"\n}\n\
         vrrp_instance VI_1 {\n    interface lo\n    virtual_router_id 51\n    prority 100\n    virtual_ipaddress {\n        192.0.2.50\n    }\n    track_script {\n        check_nginx\n    }\n}\n",
    )
    .unwrap();
    let out = vrrp(&["check", "-f", file.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("unknown directive `prority`"), "{stdout}");
    assert!(
        stdout.contains("/root/no-such-check_nginx.sh cannot be accessed"),
        "{stdout}"
    );
    assert!(stdout.contains("2 errors"), "{stdout}");
}
