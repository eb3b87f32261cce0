//! The keepalived.conf parser: values of real configurations, and the exact location and
//! text of each diagnostic.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use vrrp_cli::config::{self, Diagnostic, InitialState, Parsed, Severity};
use vrrp_core::wire::{Auth, ChecksumMode, Password};
use vrrp_core::{Centiseconds, Family, Priority, Version};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn parse(text: &str) -> Parsed {
    config::parse_str(text, "test.conf")
}

/// The one diagnostic of `severity`, failing with the full list otherwise.
fn only(parsed: &Parsed, severity: Severity) -> Diagnostic {
    let found: Vec<&Diagnostic> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == severity)
        .collect();
    assert_eq!(found.len(), 1, "diagnostics: {:#?}", parsed.diagnostics);
    found[0].clone()
}

fn assert_diag(d: &Diagnostic, severity: Severity, line: u32, column: u32, message: &str) {
    assert_eq!(
        (d.severity, d.line, d.column, d.message.as_str()),
        (severity, line, column, message),
        "{d}"
    );
    assert!(!d.hint.is_empty(), "every diagnostic has a hint: {d}");
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// The nginx fixture with `body` as the whole vrrp_instance content.
fn instance(body: &str) -> String {
    format!("vrrp_instance VI_1 {{\n{body}}}\n")
}

const MINIMAL: &str = "    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.168.100.12\n    }\n";

// ----- the classic nginx pair -------------------------------------------------------

#[test]
fn nginx_pair_first_host() {
    let parsed = config::load(fixture("nginx-master.conf")).unwrap();
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let c = &parsed.config;

    let s = c.script("check_http").unwrap();
    assert_eq!(s.script.argv, ["/etc/keepalived/check_nginx.sh"]);
    assert_eq!(s.interval, Duration::from_secs(2));
    assert_eq!(s.weight, 2);
    assert!(!s.weight_reverse);
    assert_eq!((s.rise, s.fall), (1, 1));
    assert_eq!(s.timeout, None);

    assert_eq!(c.instances.len(), 1);
    let vi = &c.instances[0];
    assert_eq!(vi.name, "VI_1");
    assert_eq!(vi.state, Some(InitialState::Master));
    assert_eq!(vi.interface, "eth0");
    assert_eq!(vi.vrid.get(), 51);
    assert_eq!(vi.priority, Priority(101));
    assert_eq!(vi.advert_int, Centiseconds(100));
    assert_eq!(vi.version, Version::V2);
    assert_eq!(vi.family, Family::Ipv4);
    assert_eq!(vi.auth, Auth::Simple(Password::new("mynginx").unwrap()));
    assert_eq!(vi.virtual_ipaddress.len(), 1);
    assert_eq!(vi.virtual_ipaddress[0].addr, ip("192.168.100.12"));
    assert_eq!(vi.virtual_ipaddress[0].prefix_len, 32);
    assert_eq!(vi.virtual_ipaddress[0].dev, None);
    assert_eq!(vi.track_scripts.len(), 1);
    assert_eq!(vi.track_scripts[0].name, "check_http");
    assert_eq!(vi.track_scripts[0].weight, None);
    assert!(!vi.nopreempt);
    assert!(vi.unicast_peers.is_empty());
    assert_eq!(vi.checksum_mode, ChecksumMode::Ipv4PseudoHeader);
    assert_eq!(vi.garp.master_delay, Duration::from_secs(5));
    assert_eq!(vi.garp.master_repeat, 5);
    assert!(vi.accept);
    assert_eq!(vi.location.line, 7);
}

#[test]
fn nginx_pair_second_host() {
    let parsed = config::load(fixture("nginx-backup.conf")).unwrap();
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let vi = &parsed.config.instances[0];
    assert_eq!(vi.state, Some(InitialState::Backup));
    assert_eq!(vi.priority, Priority(100));
    assert_eq!(vi.vrid.get(), 51);
    assert_eq!(vi.auth, Auth::Simple(Password::new("mynginx").unwrap()));
    assert_eq!(vi.virtual_ipaddress[0].addr, ip("192.168.100.12"));
}

#[test]
fn one_line_blocks_and_brace_on_next_line() {
    let parsed = parse(
        "vrrp_script chk { script \"/bin/true\" }\n\
         vrrp_instance VI_1\n{\n    interface eth0\n    virtual_router_id 7\n    \
         virtual_ipaddress { 10.0.0.1/24 }\n    track_script { chk weight -5 reverse }\n}\n",
    );
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let vi = &parsed.config.instances[0];
    assert_eq!(vi.virtual_ipaddress[0].prefix_len, 24);
    assert_eq!(vi.track_scripts[0].weight, Some(-5));
    assert!(vi.track_scripts[0].reverse);
}

// ----- unknown directives ------------------------------------------------------------

#[test]
fn unknown_directive_names_the_nearest_known_one() {
    let parsed = parse(&instance(&format!("{MINIMAL}    prority 101\n")));
    let d = only(&parsed, Severity::Error);
    assert_diag(
        &d,
        Severity::Error,
        7,
        5,
        "unknown directive `prority` in vrrp_instance",
    );
    assert_eq!(d.hint, "did you mean `priority`?");
    assert_eq!(
        d.to_string(),
        "test.conf:7:5: error: unknown directive `prority` in vrrp_instance\n  help: did you mean `priority`?"
    );
}

#[test]
fn unknown_directive_in_global_defs_and_top_level() {
    let parsed = parse("global_defs {\n  notifcation_email_from a@b\n}\nvrrp_instanse VI_1 {\n}\n");
    let errors: Vec<&Diagnostic> = parsed.errors().collect();
    assert_eq!(errors.len(), 2, "{:#?}", parsed.diagnostics);
    assert_diag(
        errors[0],
        Severity::Error,
        2,
        3,
        "unknown directive `notifcation_email_from` in global_defs",
    );
    assert_eq!(errors[0].hint, "did you mean `notification_email_from`?");
    assert_diag(
        errors[1],
        Severity::Error,
        4,
        1,
        "unknown directive `vrrp_instanse` in the top level",
    );
    assert_eq!(errors[1].hint, "did you mean `vrrp_instance`?");
}

#[test]
fn unknown_directive_without_a_near_word() {
    let parsed = parse(&instance(&format!("{MINIMAL}    frobnicate_everything\n")));
    let d = only(&parsed, Severity::Error);
    assert_eq!(
        d.message,
        "unknown directive `frobnicate_everything` in vrrp_instance"
    );
    assert!(d.hint.contains("keepalived.conf(5)"), "{}", d.hint);
}

// ----- bad values ------------------------------------------------------------------------

#[test]
fn vrid_out_of_range() {
    let parsed = parse(
        "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 0\n    virtual_ipaddress {\n        10.0.0.1\n    }\n}\n",
    );
    let errors: Vec<&Diagnostic> = parsed.errors().collect();
    assert_eq!(errors.len(), 1, "{:#?}", parsed.diagnostics);
    // Reported once, where it is written: not also as a missing virtual_router_id.
    assert_diag(
        errors[0],
        Severity::Error,
        3,
        23,
        "virtual_router_id must be 1..=255, got 0",
    );
    assert!(parsed.config.instances.is_empty());
}

#[test]
fn priority_out_of_range_and_not_a_number() {
    let parsed = parse(&instance(&format!("{MINIMAL}    priority 256\n")));
    assert_diag(
        &only(&parsed, Severity::Error),
        Severity::Error,
        7,
        14,
        "priority must be 1..=255, got 256",
    );
    let parsed = parse(&instance(&format!("{MINIMAL}    priority high\n")));
    assert_eq!(
        only(&parsed, Severity::Error).message,
        "priority must be 1..=255, got high"
    );
}

#[test]
fn missing_value() {
    let parsed = parse(&instance(&format!("{MINIMAL}    priority\n")));
    let d = only(&parsed, Severity::Error);
    assert_diag(
        &d,
        Severity::Error,
        7,
        5,
        "`priority` needs a value: 1..=255",
    );
    assert_eq!(d.hint, "write e.g. `priority 100`");
}

#[test]
fn bad_state_and_bad_address() {
    let parsed = parse(&instance(
        "    state master\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.168.100.300/24\n        10.0.0.1\n    }\n",
    ));
    let errors: Vec<&Diagnostic> = parsed.errors().collect();
    assert_eq!(errors.len(), 2, "{:#?}", parsed.diagnostics);
    assert_diag(
        errors[0],
        Severity::Error,
        2,
        11,
        "state must be MASTER or BACKUP, got `master`",
    );
    assert_diag(
        errors[1],
        Severity::Error,
        6,
        9,
        "virtual address: `192.168.100.300` is not an IP address",
    );
}

#[test]
fn advert_int_fractions_need_vrrpv3() {
    let parsed = parse(&instance(&format!("{MINIMAL}    advert_int 0.1\n")));
    let d = only(&parsed, Severity::Error);
    assert_diag(
        &d,
        Severity::Error,
        7,
        16,
        "VRRPv2 advert_int must be whole seconds, got 0.1",
    );
    assert!(d.hint.contains("version 3"));

    let parsed = parse(&instance(&format!(
        "{MINIMAL}    advert_int 0.1\n    version 3\n"
    )));
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let vi = &parsed.config.instances[0];
    assert_eq!(vi.advert_int, Centiseconds(10));
    assert_eq!(vi.version, Version::V3);

    let parsed = parse(&format!(
        "global_defs {{\n  vrrp_version 3\n}}\n{}",
        instance(&format!("{MINIMAL}    advert_int 0.25\n"))
    ));
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    assert_eq!(parsed.config.instances[0].advert_int, Centiseconds(25));

    let parsed = parse(&instance(&format!(
        "{MINIMAL}    version 3\n    advert_int 0.125\n"
    )));
    assert_eq!(
        only(&parsed, Severity::Error).message,
        "advert_int must be a multiple of 0.01 s, got 0.125"
    );
}

// ----- missing required values -----------------------------------------------------------

#[test]
fn missing_interface_vrid_and_vip() {
    let parsed = parse("vrrp_instance VI_1 {\n    priority 100\n}\n");
    let errors: Vec<&Diagnostic> = parsed.errors().collect();
    assert_eq!(errors.len(), 3, "{:#?}", parsed.diagnostics);
    assert_diag(
        errors[0],
        Severity::Error,
        1,
        1,
        "vrrp_instance `VI_1` has no `interface`",
    );
    assert_diag(
        errors[1],
        Severity::Error,
        1,
        1,
        "vrrp_instance `VI_1` has no `virtual_router_id`",
    );
    assert_diag(
        errors[2],
        Severity::Error,
        1,
        1,
        "vrrp_instance `VI_1` has no virtual address",
    );
}

// ----- authentication --------------------------------------------------------------------

#[test]
fn auth_type_ah_is_refused() {
    let parsed = parse(&instance(&format!(
        "{MINIMAL}    authentication {{\n        auth_type AH\n        auth_pass secret\n    }}\n"
    )));
    let d = only(&parsed, Severity::Error);
    assert_diag(
        &d,
        Severity::Error,
        8,
        19,
        "auth_type AH (IP Authentication Header) is not supported: RFC 3768 removed it from VRRP",
    );
}

#[test]
fn long_auth_pass_is_truncated_with_a_warning() {
    let parsed = parse(&instance(&format!(
        "{MINIMAL}    authentication {{\n        auth_type PASS\n        auth_pass verylongsecret\n    }}\n"
    )));
    assert!(!parsed.has_errors());
    let d = only(&parsed, Severity::Warning);
    assert_diag(
        &d,
        Severity::Warning,
        9,
        19,
        "auth_pass is 14 bytes long; VRRPv2 carries 8, so only the first 8 are used (keepalived truncates it too)",
    );
    assert!(!d.message.contains("verylong"), "never echo the password");
    assert_eq!(
        parsed.config.instances[0].auth,
        Auth::Simple(Password::new("verylong").unwrap())
    );
}

#[test]
fn authentication_is_ignored_with_vrrpv3() {
    let parsed = parse(&instance(&format!(
        "{MINIMAL}    version 3\n    authentication {{\n        auth_type PASS\n        auth_pass secret\n    }}\n"
    )));
    let d = only(&parsed, Severity::Warning);
    assert_eq!(d.line, 8);
    assert!(d.message.starts_with("authentication is ignored"), "{d}");
    assert_eq!(parsed.config.instances[0].auth, Auth::None);
}

// ----- address families --------------------------------------------------------------

#[test]
fn mixed_families_are_an_error() {
    let parsed = parse(&instance(
        "    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.168.100.12\n        fd00::12\n    }\n",
    ));
    let d = only(&parsed, Severity::Error);
    assert_diag(
        &d,
        Severity::Error,
        6,
        9,
        "vrrp_instance `VI_1` mixes IPv4 and IPv6 virtual addresses: fd00::12 is IPv6 but 192.168.100.12 (line 5) is IPv4",
    );
    assert!(d.hint.contains("vrrp_instance of their own"));
}

#[test]
fn ipv6_instances_use_vrrpv3() {
    let parsed = parse(&instance(
        "    interface eth0\n    virtual_router_id 52\n    virtual_ipaddress {\n        fe80::1:12/64\n        fd00:100::12/64\n    }\n",
    ));
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let vi = &parsed.config.instances[0];
    assert_eq!(vi.family, Family::Ipv6);
    assert_eq!(vi.version, Version::V3);

    let parsed = parse(&instance(
        "    interface eth0\n    virtual_router_id 52\n    version 2\n    virtual_ipaddress {\n        fd00::12\n    }\n",
    ));
    let d = only(&parsed, Severity::Error);
    assert_diag(
        &d,
        Severity::Error,
        4,
        5,
        "vrrp_instance `VI_1` has IPv6 addresses but `version 2`: VRRPv2 is IPv4-only (RFC 3768)",
    );
}

// ----- cross-instance checks -----------------------------------------------------------

#[test]
fn duplicate_vrid_on_one_interface_and_family() {
    let text = format!(
        "{}vrrp_instance VI_2 {{\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {{\n        192.168.100.13\n    }}\n}}\n",
        instance(MINIMAL)
    );
    let parsed = parse(&text);
    let d = only(&parsed, Severity::Error);
    assert_diag(
        &d,
        Severity::Error,
        10,
        5,
        "virtual_router_id 51 is already used on eth0 (IPv4) by vrrp_instance `VI_1` (test.conf:1:1)",
    );

    // Another interface, or another family, is another VRID space.
    let mut other_if = text.clone();
    let second = text.rfind("interface eth0").unwrap();
    other_if.replace_range(second..second + "interface eth0".len(), "interface eth1");
    assert!(!parse(&other_if).has_errors());
    let other_family = text.replace("192.168.100.13", "fd00::13");
    assert!(!parse(&other_family).has_errors());
}

#[test]
fn undefined_track_script() {
    let parsed = parse(&format!(
        "vrrp_script check_http {{\n    script \"/bin/true\"\n}}\n{}",
        instance(&format!(
            "{MINIMAL}    track_script {{\n        check_htpp\n    }}\n"
        ))
    ));
    let d = only(&parsed, Severity::Error);
    assert_diag(
        &d,
        Severity::Error,
        11,
        9,
        "track_script `check_htpp` is not defined by any vrrp_script",
    );
    assert_eq!(d.hint, "did you mean `check_http`?");
}

#[test]
fn vrrp_script_needs_a_script() {
    let parsed = parse("vrrp_script chk {\n    interval 2\n}\n");
    assert_diag(
        &only(&parsed, Severity::Error),
        Severity::Error,
        1,
        1,
        "vrrp_script `chk` has no `script`",
    );
}

#[test]
fn weight_out_of_range() {
    let parsed = parse("vrrp_script chk {\n    script /bin/true\n    weight 300\n}\n");
    assert_diag(
        &only(&parsed, Severity::Error),
        Severity::Error,
        3,
        12,
        "weight must be -253..=253, got 300",
    );
}

// ----- preemption ------------------------------------------------------------------------

#[test]
fn nopreempt_with_state_master_is_kept_with_a_warning() {
    let parsed = parse(&instance(&format!(
        "    state MASTER\n    priority 101\n    nopreempt\n{MINIMAL}"
    )));
    assert!(!parsed.has_errors());
    let d = only(&parsed, Severity::Warning);
    assert_eq!((d.line, d.column), (4, 5));
    assert!(d.message.contains("nopreempt is KEPT"), "{d}");
    let vi = &parsed.config.instances[0];
    assert!(vi.nopreempt);
    assert_eq!(vi.state, Some(InitialState::Master));
}

#[test]
fn priority_255_with_nopreempt_warns() {
    let parsed = parse(&instance(&format!(
        "    state BACKUP\n    priority 255\n    nopreempt\n{MINIMAL}"
    )));
    let d = only(&parsed, Severity::Warning);
    assert_eq!((d.line, d.column), (4, 5));
    assert!(d.message.contains("nopreempt` has no effect"), "{d}");
}

#[test]
fn state_master_without_priority_is_the_owner_as_in_keepalived() {
    let parsed = parse(&instance(&format!("    state MASTER\n{MINIMAL}")));
    assert_eq!(parsed.config.instances[0].priority, Priority::OWNER);
    assert_eq!(only(&parsed, Severity::Warning).line, 2);
    let parsed = parse(&instance(MINIMAL));
    assert_eq!(parsed.config.instances[0].priority, Priority::DEFAULT);
}

// ----- skipped and unsupported ---------------------------------------------------------

#[test]
fn an_address_on_another_interface_is_kept_with_its_interface() {
    let parsed = parse(&instance(
        "    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.168.100.12 dev eth0\n    }\n    virtual_ipaddress_excluded {\n        10.0.0.12/24 dev eth1\n    }\n",
    ));
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let vi = &parsed.config.instances[0];
    assert_eq!(vi.virtual_ipaddress[0].dev.as_deref(), Some("eth0"));
    assert_eq!(
        vi.virtual_ipaddress_excluded[0].dev.as_deref(),
        Some("eth1")
    );
}

// ----- sync groups -----------------------------------------------------------------------

/// Two instances (VI_1 on eth0 VRID 51, VI_2 on eth1 VRID 52) with a check script, and
/// `group` text for a `vrrp_sync_group VG_1 { ... }` before them.
fn with_group(group: &str) -> String {
    format!(
        "vrrp_script chk {{\n    script \"/bin/true\"\n    weight -20\n}}\n\
         vrrp_sync_group VG_1 {{\n{group}}}\n\
         vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {{\n        192.168.100.12\n    }}\n    track_script {{\n        chk\n    }}\n}}\n\
         vrrp_instance VI_2 {{\n    interface eth1\n    virtual_router_id 52\n    virtual_ipaddress {{\n        10.0.0.12\n    }}\n}}\n"
    )
}

#[test]
fn sync_group_members_notify_and_group_tracking() {
    let parsed = parse(&with_group(
        "    group {\n        VI_1\n        VI_2\n    }\n    notify_master \"/bin/echo master\"\n    notify \"/bin/echo\"\n    track_interface {\n        eth2\n    }\n",
    ));
    // VI_1's weighted script counts with weight 0 in a group, as keepalived does.
    let d = only(&parsed, Severity::Warning);
    assert!(d.message.contains("the weights of chk are ignored"), "{d}");
    let c = &parsed.config;
    let g = &c.sync_groups[0];
    assert_eq!(g.members, ["VI_1", "VI_2"]);
    assert_eq!(
        g.notify.master.as_ref().unwrap().command.argv,
        ["/bin/echo", "master"]
    );
    assert!(g.notify.any.is_some());
    assert_eq!(
        c.sync_group_of("VI_2").map(|g| g.name.as_str()),
        Some("VG_1")
    );
    let vi1 = c.instance("VI_1").unwrap();
    assert_eq!(vi1.track_scripts[0].weight, Some(0));
    // The group's tracked interface is every member's, with weight 0.
    for inst in &c.instances {
        assert!(
            inst.track_interfaces
                .iter()
                .any(|t| t.name == "eth2" && t.weight == Some(0)),
            "{}",
            inst.name
        );
    }
}

#[test]
fn sync_group_tracking_weight_keeps_the_members_weights() {
    let parsed = parse(&with_group(
        "    group {\n        VI_1\n        VI_2\n    }\n    sync_group_tracking_weight\n",
    ));
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let vi1 = parsed.config.instance("VI_1").unwrap();
    assert_eq!(vi1.track_scripts[0].weight, None, "the script's own weight");
}

#[test]
fn sync_group_errors_name_the_member_and_where() {
    // An unknown member, with the nearest name.
    let parsed = parse(&with_group(
        "    group {\n        VI_1\n        VI_3\n    }\n    sync_group_tracking_weight\n",
    ));
    let d = only(&parsed, Severity::Error);
    assert_diag(
        &d,
        Severity::Error,
        8,
        9,
        "vrrp_sync_group `VG_1`: no vrrp_instance is called `VI_3`",
    );
    assert!(d.hint.contains("VI_1") || d.hint.contains("VI_2"), "{d}");
    // One instance in two groups.
    let text = format!(
        "vrrp_sync_group VG_2 {{\n    group {{\n        VI_2\n        VI_1\n    }}\n    sync_group_tracking_weight\n}}\n{}",
        with_group("    group {\n        VI_1\n        VI_2\n    }\n    sync_group_tracking_weight\n")
    );
    let parsed = parse(&text);
    let errors: Vec<_> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(errors[0]
        .message
        .contains("`VI_1` is already in vrrp_sync_group `VG_2`"));
    // No members at all; an unknown key.
    let parsed = parse(&with_group("    group {\n    }\n    notfy \"/bin/true\"\n"));
    let messages: Vec<&str> = parsed
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("has no members")),
        "{messages:?}"
    );
    assert!(messages.iter().any(|m| m.contains("notfy")), "{messages:?}");
}

#[test]
fn virtual_server_is_skipped_whole() {
    let parsed = parse(
        "virtual_server 10.0.0.1 80 {\n    real_server 10.0.1.1 80 {\n        prority_typo_inside_is_not_looked_at 1\n    }\n}\n",
    );
    let d = only(&parsed, Severity::Warning);
    assert_diag(
        &d,
        Severity::Warning,
        1,
        1,
        "`virtual_server` skipped: not VRRP",
    );
    assert!(!parsed.has_errors());
}

// ----- syntax --------------------------------------------------------------------------

#[test]
fn unclosed_and_extra_braces() {
    let parsed = parse("vrrp_instance VI_1 {\n    interface eth0\n");
    let unclosed = parsed
        .errors()
        .find(|d| d.message.contains("never closed"))
        .unwrap();
    assert_diag(unclosed, Severity::Error, 1, 20, "this `{` is never closed");

    let parsed = parse("}\n");
    assert_diag(
        &only(&parsed, Severity::Error),
        Severity::Error,
        1,
        1,
        "unexpected `}`: no block is open here",
    );
}

#[test]
fn unterminated_quote() {
    let parsed = parse("vrrp_script chk {\n    script \"/bin/true\n}\n");
    let d = parsed.errors().next().unwrap().clone();
    assert_diag(&d, Severity::Error, 2, 12, "unterminated quoted string");
}

#[test]
fn comments_and_quoted_hashes() {
    let parsed = parse(
        "# comment\n! another\nvrrp_script chk { # trailing\n    script \"/bin/echo #not-a-comment\" ! comment\n}\n",
    );
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    assert_eq!(
        parsed.config.scripts[0].script.argv,
        ["/bin/echo", "#not-a-comment"]
    );
}

// ----- global_defs and the rest of an instance ---------------------------------------------

#[test]
fn global_defs_values() {
    let parsed = parse(
        "global_defs {\n    router_id lb01\n    vrrp_version 3\n    script_user nobody nogroup\n    enable_script_security\n    vrrp_garp_master_delay 1\n    vrrp_garp_master_repeat 2\n    vrrp_garp_master_refresh 30\n    vrrp_check_unicast_src\n    vrrp_skip_check_adv_addr\n    vrrp_strict\n    vrrp_v3_checksum rfc9568\n}\n",
    );
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let g = &parsed.config.global;
    assert_eq!(g.router_id.as_deref(), Some("lb01"));
    assert_eq!(g.vrrp_version, Some(Version::V3));
    let user = g.script_user.as_ref().unwrap();
    assert_eq!(
        (user.user.as_str(), user.group.as_deref()),
        ("nobody", Some("nogroup"))
    );
    assert!(g.enable_script_security);
    assert_eq!(g.vrrp_garp_master_delay, Duration::from_secs(1));
    assert_eq!(g.vrrp_garp_master_repeat, 2);
    assert_eq!(g.vrrp_garp_master_refresh, Some(Duration::from_secs(30)));
    assert!(g.vrrp_check_unicast_src && g.vrrp_skip_check_adv_addr && g.vrrp_strict);
    assert_eq!(g.vrrp_v3_checksum, ChecksumMode::Rfc9568);
}

#[test]
fn vrrp_v3_checksum_bad_value() {
    let parsed = parse("global_defs {\n    vrrp_v3_checksum cisco\n}\n");
    assert_diag(
        &only(&parsed, Severity::Error),
        Severity::Error,
        2,
        22,
        "vrrp_v3_checksum must be pseudo_header or rfc9568, got `cisco`",
    );
}

#[test]
fn keepalived_v3_checksum_as_v2_means_rfc9568() {
    let parsed = parse(&instance(&format!("{MINIMAL}    v3_checksum_as_v2\n")));
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    assert_eq!(
        parsed.config.instances[0].checksum_mode,
        ChecksumMode::Rfc9568
    );
}

#[test]
fn notify_scripts_unicast_and_garp() {
    let parsed = parse(&instance(&format!(
        "{MINIMAL}    notify_master \"/etc/keepalived/notify.sh MASTER 'VI 1'\" root wheel\n    notify /etc/keepalived/all.sh\n    unicast_src_ip 192.168.100.10\n    unicast_peer {{\n        192.168.100.11\n    }}\n    garp_master_delay 1\n    garp_master_repeat 3\n    garp_master_refresh 0\n    preempt_delay 5.5\n    no_accept\n    dont_track_primary\n    track_interface {{\n        eth1 weight -10\n    }}\n"
    )));
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let vi = &parsed.config.instances[0];
    let master = vi.notify.master.as_ref().unwrap();
    assert_eq!(
        master.command.argv,
        ["/etc/keepalived/notify.sh", "MASTER", "VI 1"]
    );
    let user = master.user.as_ref().unwrap();
    assert_eq!(
        (user.user.as_str(), user.group.as_deref()),
        ("root", Some("wheel"))
    );
    assert_eq!(
        vi.notify.any.as_ref().unwrap().command.argv,
        ["/etc/keepalived/all.sh"]
    );
    assert_eq!(vi.unicast_src_ip, Some(ip("192.168.100.10")));
    assert_eq!(vi.unicast_peers, [ip("192.168.100.11")]);
    assert!(vi.is_unicast());
    assert_eq!(vi.garp.master_delay, Duration::from_secs(1));
    assert_eq!(vi.garp.master_repeat, 3);
    assert_eq!(vi.garp.master_refresh, None);
    assert_eq!(vi.preempt_delay, Duration::from_millis(5500));
    assert!(!vi.accept);
    assert!(vi.dont_track_primary);
    assert_eq!(vi.track_interfaces[0].name, "eth1");
    assert_eq!(vi.track_interfaces[0].weight, Some(-10));
}

#[test]
fn unquoted_script_arguments_are_users_as_in_keepalived() {
    let parsed = parse(&instance(&format!(
        "{MINIMAL}    notify_master /etc/keepalived/notify.sh master\n"
    )));
    let d = only(&parsed, Severity::Warning);
    assert_eq!((d.line, d.column), (7, 45));
    assert!(
        d.hint.contains("\"/etc/keepalived/notify.sh master\""),
        "{}",
        d.hint
    );
}

#[test]
fn repeated_directive_warns_and_the_last_wins() {
    let parsed = parse(&instance(&format!(
        "{MINIMAL}    priority 90\n    priority 110\n"
    )));
    let d = only(&parsed, Severity::Warning);
    assert_eq!(d.line, 8);
    assert_eq!(parsed.config.instances[0].priority, Priority(110));
}

// ----- include ---------------------------------------------------------------------------

#[test]
fn include_with_glob_relative_to_the_file() {
    let parsed = config::load(fixture("include/main.conf")).unwrap();
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let c = &parsed.config;
    assert_eq!(c.global.router_id.as_deref(), Some("lb01"));
    assert!(c.script("check_http").is_some());
    let names: Vec<&str> = c.instances.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["VI_WEB", "VI_API"], "sorted glob order");
    let web = c.instance("VI_WEB").unwrap();
    assert_eq!(web.virtual_ipaddress[0].dev.as_deref(), Some("eth0"));
    assert_eq!(web.virtual_ipaddress[0].label.as_deref(), Some("eth0:web"));
    assert!(web.location.file.ends_with("include/conf.d/10-web.conf"));
    assert_eq!(c.files.len(), 4);
}

#[test]
fn include_errors_point_into_the_right_file() {
    let main = fixture("include-error/main.conf");
    let parsed = config::load(&main).unwrap();
    let all: Vec<&Diagnostic> = parsed.diagnostics.iter().collect();
    assert_eq!(all.len(), 3, "{:#?}", parsed.diagnostics);
    // Files in the order they were read: main.conf first, then bad.conf.
    assert_eq!(all[0].file, main);
    assert_diag(
        all[0],
        Severity::Error,
        2,
        1,
        &format!(
            "cannot read included file `{}`: No such file or directory",
            fixture("include-error/missing.conf").display()
        ),
    );
    assert_diag(
        all[1],
        Severity::Warning,
        3,
        1,
        "include pattern `nothing/*.conf` matches no file",
    );
    assert_eq!(all[2].file, fixture("include-error/bad.conf"));
    assert_diag(
        all[2],
        Severity::Error,
        4,
        5,
        "unknown directive `prority` in vrrp_instance",
    );
}

#[test]
fn include_cycle_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.conf"), "include b.conf\n").unwrap();
    std::fs::write(dir.path().join("b.conf"), "include a.conf\n").unwrap();
    let parsed = config::load(dir.path().join("a.conf")).unwrap();
    let d = only(&parsed, Severity::Error);
    assert!(d.message.starts_with("include cycle"), "{d}");
    assert!(d.file.ends_with("b.conf"));
}

#[test]
fn unreadable_main_file_is_a_load_error() {
    let e = config::load("/nonexistent/keepalived.conf").unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot read /nonexistent/keepalived.conf: No such file or directory"
    );
}

// ----- a big real-world file ------------------------------------------------------------

#[test]
fn big_keepalived_conf_parses_with_warnings_only() {
    let parsed = config::load(fixture("keepalived-big.conf")).unwrap();
    assert!(
        !parsed.has_errors(),
        "{}",
        parsed
            .diagnostics
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let warnings: Vec<String> = parsed.warnings().map(|d| d.message.clone()).collect();
    for expected in [
        "`notification_email` skipped: not VRRP",
        "`notification_email_from` skipped: not VRRP",
        "`smtp_server` skipped: not VRRP",
        "`smtp_connect_timeout` skipped: not VRRP",
        "`lvs_flush` skipped: not VRRP",
        "`enable_snmp_vrrp` skipped: not VRRP",
        "`virtual_server_group` skipped: not VRRP",
        "`virtual_server` skipped: not VRRP",
    ] {
        assert!(
            warnings.iter().any(|w| w == expected),
            "missing warning {expected:?} in {warnings:#?}"
        );
    }
    let c = &parsed.config;
    assert_eq!(c.global.router_id.as_deref(), Some("LVS_DEVEL"));
    assert_eq!(c.global.vrrp_garp_master_delay, Duration::from_secs(2));
    assert_eq!(c.global.vrrp_garp_interval, Duration::ZERO);
    assert_eq!(c.statics.addresses[0].0.dev.as_deref(), Some("eth0"));
    assert!(c.global.vrrp_skip_check_adv_addr);

    let haproxy = c.script("chk_haproxy").unwrap();
    assert_eq!(haproxy.script.argv, ["/usr/bin/killall", "-0", "haproxy"]);
    assert_eq!(haproxy.weight, -20);
    assert_eq!((haproxy.rise, haproxy.fall), (2, 2));
    assert_eq!(haproxy.timeout, Some(Duration::from_secs(3)));

    assert_eq!(c.instances.len(), 2);
    let v4 = c.instance("VI_1").unwrap();
    assert_eq!(v4.priority, Priority(150));
    assert!(v4.nopreempt);
    assert_eq!(v4.preempt_delay, Duration::from_secs(30));
    assert_eq!(v4.unicast_peers, [ip("10.0.0.12"), ip("10.0.0.13")]);
    assert_eq!(v4.virtual_ipaddress.len(), 3);
    assert_eq!(
        v4.virtual_ipaddress[2].broadcast,
        Some("192.168.200.255".parse().unwrap())
    );
    assert_eq!(v4.virtual_ipaddress[2].scope.as_deref(), Some("global"));
    assert_eq!(v4.virtual_ipaddress_excluded.len(), 2);
    assert_eq!(v4.track_scripts[1].weight, Some(-120));
    assert_eq!(v4.track_interfaces.len(), 2);
    assert_eq!(v4.garp.master_repeat, 3);
    assert_eq!(v4.garp.master_refresh, Some(Duration::from_secs(60)));
    assert_eq!(v4.auth, Auth::Simple(Password::new("1111").unwrap()));
    assert!(v4.skip_check_adv_addr);

    let v6 = c.instance("VI_6").unwrap();
    assert_eq!(v6.family, Family::Ipv6);
    assert_eq!(v6.version, Version::V3);
    assert_eq!(v6.advert_int, Centiseconds(50));
    assert_eq!(v6.vrid, v4.vrid, "same VRID, other family: no clash");
}

/// Mangled configurations give diagnostics, never a panic (a small deterministic fuzz
/// run: bytes replaced by syntax characters, lines cut short).
#[test]
fn mangled_configs_never_panic() {
    let sources = [
        std::fs::read_to_string(fixture("keepalived-big.conf")).unwrap(),
        std::fs::read_to_string(fixture("nginx-master.conf")).unwrap(),
    ];
    let alphabet: &[u8] = b"{}\"#!\\ \n\t0123456789./:-abcdefPASSAH";
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..1_500 {
        let mut bytes = sources[round % sources.len()].clone().into_bytes();
        for _ in 0..1 + next() % 6 {
            let i = (next() as usize) % bytes.len();
            bytes[i] = alphabet[(next() as usize) % alphabet.len()];
        }
        if next() % 5 == 0 {
            let keep = (next() as usize) % bytes.len();
            bytes.truncate(keep);
        }
        let text = String::from_utf8_lossy(&bytes);
        let parsed = config::parse_str(&text, "fuzz.conf");
        for d in &parsed.diagnostics {
            assert!(d.line >= 1 && d.column >= 1, "{d}");
        }
    }
}

#[test]
fn vrrp_track_process_reads_keepalived_s_directives() {
    let p = parse(
        r#"
vrrp_track_process nginx_up {
    process /usr/sbin/nginx -g "daemon off;"
    param_match partial
    weight 10 reverse
    quorum 2
    quorum_max 4
    delay 1.5
    fork_delay 0.5
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        192.168.100.12
    }
    track_process {
        nginx_up weight 20
    }
}
"#,
    );
    assert!(!p.has_errors(), "{:?}", p.diagnostics);
    let t = &p.config.track_processes[0];
    assert_eq!(t.name, "nginx_up");
    assert_eq!(t.spec.process, "/usr/sbin/nginx");
    assert_eq!(
        t.spec.params,
        vec!["-g".to_owned(), "daemon off;".to_owned()]
    );
    assert_eq!(
        t.spec.param_match,
        Some(vrrp_cli::daemon::process_track::ParamMatch::Partial)
    );
    assert_eq!((t.weight, t.weight_reverse), (10, true));
    assert_eq!((t.spec.quorum, t.spec.quorum_max), (2, 4));
    // `delay` sets both; the later fork_delay overrides one.
    assert_eq!(t.spec.fork_delay, Duration::from_millis(500));
    assert_eq!(t.spec.terminate_delay, Duration::from_millis(1500));
    let tracked = &p.config.instances[0].track_processes[0];
    assert_eq!(
        (tracked.name.as_str(), tracked.weight),
        ("nginx_up", Some(20))
    );
}

#[test]
fn track_process_errors_say_what_and_where() {
    let p = parse(
        "vrrp_track_process a {\n    quorum 3\n    quorum_max 1\n    process x\n}\nvrrp_track_process b {\n    weight 2\n}\nvrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.168.100.12\n    }\n    track_process {\n        ngnix\n    }\n}\n",
    );
    let errors: Vec<String> = p
        .errors()
        .map(|d| format!("{}:{}: {}", d.line, d.column, d.message))
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("1:1:") && e.contains("quorum 3 is above quorum_max 1")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("6:1:") && e.contains("has no `process`")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("16:9:") && e.contains("track_process `ngnix` is not defined")),
        "{errors:?}"
    );
}

#[test]
fn notify_fifos_are_read_with_keepalived_s_user_words_ignored() {
    let p = parse(
        "global_defs {\n    notify_fifo /run/ka.fifo root\n    vrrp_notify_fifo /run/vrrp.fifo\n}\n",
    );
    assert!(!p.has_errors(), "{:?}", p.diagnostics);
    assert_eq!(
        p.config.global.notify_fifos,
        vec![
            PathBuf::from("/run/ka.fifo"),
            PathBuf::from("/run/vrrp.fifo")
        ]
    );
    let bad = parse("global_defs {\n    notify_fifo\n}\n");
    assert!(bad
        .errors()
        .any(|d| d.line == 2 && d.message.contains("needs the FIFO's path")));
}

#[test]
fn track_file_reads_keepalived_s_directives_under_both_names() {
    let p = parse(
        "track_file state {\n    file /run/vrrp/state\n    weight -10 reverse\n    init_file 3 overwrite\n}\nvrrp_track_file other {\n    file /tmp/o\n}\nvrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.168.100.12\n    }\n    track_file {\n        state\n        other weight 5\n    }\n}\n",
    );
    assert!(!p.has_errors(), "{:?}", p.diagnostics);
    let f = &p.config.track_files[0];
    assert_eq!(f.file, PathBuf::from("/run/vrrp/state"));
    assert_eq!(
        (f.weight, f.weight_reverse, f.init),
        (-10, true, Some((3, true)))
    );
    assert_eq!(
        p.config.track_files[1].weight, 1,
        "keepalived's default weight"
    );
    let tracked = &p.config.instances[0].track_files;
    assert_eq!(tracked.len(), 2);
    assert_eq!(tracked[1].weight, Some(5));
    let bad = parse("track_file x {\n    weight 2\n}\n");
    assert!(bad.errors().any(|d| d.message.contains("has no `file`")));
}

// ----- strict mode, use_vmac ------------------------------------------------------------

#[test]
fn strict_mode_drops_what_keepalived_drops_and_refuses_unicast() {
    let parsed = parse(&format!(
        "global_defs {{\n    vrrp_strict\n}}\n{}",
        instance(&format!(
            "{MINIMAL}    state MASTER\n    priority 100\n    preempt_delay 5\n    version 2\n    accept\n"
        ))
    ));
    assert!(!parsed.has_errors(), "{:#?}", parsed.diagnostics);
    let messages: Vec<&str> = parsed.warnings().map(|d| d.message.as_str()).collect();
    for expected in [
        "preempt_delay is ignored in strict mode",
        "state MASTER without priority 255 is read as BACKUP in strict mode",
        "`accept` is ignored for VRRPv2 in strict mode",
    ] {
        assert!(
            messages.iter().any(|m| m.starts_with(expected)),
            "{expected}: {messages:#?}"
        );
    }
    let inst = &parsed.config.instances[0];
    assert!(inst.strict);
    assert!(!inst.accept, "no accept mode in strict mode");
    assert_eq!(inst.preempt_delay, std::time::Duration::ZERO);

    let parsed = parse(&instance(&format!(
        "{MINIMAL}    strict_mode\n    unicast_peer {{\n        192.168.100.2\n    }}\n"
    )));
    let d = only(&parsed, Severity::Error);
    assert_diag(
        &d,
        Severity::Error,
        9,
        9,
        "unicast peers are not allowed in strict mode (RFC adverts are multicast), as in keepalived",
    );
}

#[test]
fn use_vmac_with_and_without_a_name() {
    let parsed = parse(&instance(&format!("{MINIMAL}    use_vmac\n")));
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let vmac = parsed.config.instances[0].vmac.clone().unwrap();
    assert_eq!((vmac.name.as_str(), vmac.xmit_base), ("vrrp.51", false));

    let parsed = parse(&instance(&format!(
        "{MINIMAL}    use_vmac gw0\n    vmac_xmit_base\n"
    )));
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let vmac = parsed.config.instances[0].vmac.clone().unwrap();
    assert_eq!((vmac.name.as_str(), vmac.xmit_base), ("gw0", true));

    // A name that is no interface name, and keepalived's MAC argument.
    let parsed = parse(&instance(&format!(
        "{MINIMAL}    use_vmac a/b 00:00:5e:00:01:33\n"
    )));
    let errors: Vec<_> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.line, d.column, d.message.clone()))
        .collect();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert_eq!((errors[0].0, errors[0].1), (7, 14));
    assert!(errors[1]
        .2
        .contains("a MAC address (`00:00:5e:00:01:33`) is not supported"));

    // Unicast adverts go from the base interface, as keepalived decides.
    let parsed = parse(&instance(&format!(
        "{MINIMAL}    use_vmac\n    unicast_peer {{\n        192.168.100.2\n    }}\n"
    )));
    let d = only(&parsed, Severity::Warning);
    assert!(d.message.contains("`vmac_xmit_base` implied"), "{d}");
    assert!(parsed.config.instances[0].vmac.as_ref().unwrap().xmit_base);
}

#[test]
fn virtual_routes_and_rules_as_keepalived_s_manual_writes_them() {
    let parsed = parse(&instance(&format!(
        "{MINIMAL}    virtual_routes {{\n\
         \x20       src 192.168.100.1 to 192.168.109.0/24 via 192.168.200.254 dev eth1\n\
         \x20       192.168.111.0/24 dev eth2 no_track\n\
         \x20       blackhole 192.168.114.0/24\n\
         \x20       192.168.115.0/24 metric 5 table 100\n\
         \x20   }}\n\
         \x20   virtual_rules {{\n\
         \x20       from 192.168.2.0/24 table 1 preference 100\n\
         \x20       to 192.168.2.0/24 table 1 no_track preference 101\n\
         \x20   }}\n"
    )));
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let vi = &parsed.config.instances[0];
    let routes: Vec<String> = vi.virtual_routes.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        routes,
        [
            "192.168.109.0/24 via 192.168.200.254 dev eth1 src 192.168.100.1",
            "192.168.111.0/24 dev eth2",
            "blackhole 192.168.114.0/24",
            // No gateway and no device: the instance's interface.
            "192.168.115.0/24 dev eth0 table 100 metric 5",
        ]
    );
    assert!(vi.virtual_routes[1].no_track);
    let rules: Vec<String> = vi.virtual_rules.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        rules,
        [
            "from 192.168.2.0/24 pref 100 lookup 1",
            "from all to 192.168.2.0/24 pref 101 lookup 1",
        ]
    );
    assert!(vi.virtual_rules[1].no_track);
}

#[test]
fn virtual_route_options_we_do_not_implement_are_errors_not_skipped() {
    let parsed = parse(&instance(&format!(
        "{MINIMAL}    virtual_routes {{\n        192.168.113.0/24 via 192.168.200.254 or 192.168.100.254 dev eth1\n        192.168.100.0/24 table 6909 nexthop via 192.168.101.1 dev wlan0\n    }}\n"
    )));
    let errors: Vec<&Diagnostic> = parsed.errors().collect();
    assert_eq!(errors.len(), 2, "{:#?}", parsed.diagnostics);
    assert_diag(
        errors[0],
        Severity::Error,
        8,
        46,
        "route option `or` is not supported",
    );
    assert_diag(
        errors[1],
        Severity::Error,
        9,
        37,
        "route option `nexthop` is not supported",
    );
    assert!(parsed.config.instances[0].virtual_routes.is_empty());
}

// ----- garp_group ------------------------------------------------------------------------

#[test]
fn garp_groups_and_global_intervals() {
    let parsed = parse(&format!(
        "global_defs {{\n    vrrp_garp_interval 0.05\n    vrrp_gna_interval 0.1\n}}\n\
         garp_group {{\n    garp_interval 0.01\n    interfaces {{\n        eth0\n        eth1\n    }}\n}}\n{}",
        instance(MINIMAL)
    ));
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let c = &parsed.config;
    assert_eq!(c.global.vrrp_garp_interval, Duration::from_millis(50));
    assert_eq!(c.global.vrrp_gna_interval, Duration::from_millis(100));
    assert_eq!(c.garp_groups[0].interfaces, ["eth0", "eth1"]);
    assert_eq!(c.garp_groups[0].garp_interval, Duration::from_millis(10));

    // Bad values, an interface in two groups, a group with none, an unknown key.
    let parsed = parse(
        "garp_group {\n    garp_interval 2\n    interface eth0\n}\n\
         garp_group {\n    interface eth0\n    gna_intervl 0.1\n}\n\
         garp_group {\n    gna_interval 0.1\n}\n",
    );
    let errors: Vec<(u32, String)> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.line, d.message.clone()))
        .collect();
    assert_eq!(errors.len(), 5, "{errors:#?}");
    assert_eq!(errors[0].0, 2);
    assert!(errors[0]
        .1
        .contains("garp_interval must be a number of seconds, 0..=1"));
    // The second group's only interface is the first's: it is left with none.
    assert_eq!(errors[1], (5, "garp_group names no interface".into()));
    assert_eq!(
        errors[2],
        (6, "interface eth0 is already in a garp_group".into())
    );
    assert_eq!(errors[3].0, 7);
    assert!(errors[3].1.contains("gna_intervl"), "{}", errors[3].1);
    assert_eq!(errors[4], (9, "garp_group names no interface".into()));
}

// ----- static items and track groups -----------------------------------------------------

#[test]
fn static_items_and_a_track_group_that_tracks_their_interfaces() {
    let parsed = parse(&format!(
        "track_group TG {{\n    group {{\n        VI_1\n    }}\n}}\n\
         static_ipaddress {{\n    10.99.0.1/24 dev st0 track_group TG\n    10.98.0.1/24 dev st1\n}}\n\
         static_routes {{\n    10.97.0.0/16 via 10.99.0.254 dev st0 track_group TG\n    blackhole 10.96.0.0/16\n}}\n\
         static_rules {{\n    from 10.99.0.1 table 10 preference 500 iif st2 track_group TG\n}}\n{}",
        instance(MINIMAL)
    ));
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let c = &parsed.config;
    assert_eq!(c.statics.addresses.len(), 2);
    assert_eq!(c.statics.addresses[0].1.as_deref(), Some("TG"));
    assert_eq!(c.statics.routes.len(), 2);
    assert_eq!(c.statics.rules[0].0.preference, 500);
    assert_eq!(c.track_groups[0].members, ["VI_1"]);
    let tracked: Vec<(&str, Option<i32>)> = c.instances[0]
        .track_interfaces
        .iter()
        .map(|t| (t.name.as_str(), t.weight))
        .collect();
    assert_eq!(tracked, [("st0", Some(0)), ("st2", Some(0))]);
}

#[test]
fn static_item_errors_say_what_and_where() {
    let parsed = parse(&format!(
        "track_group TG {{\n    group {{\n        VI_9\n    }}\n}}\n\
         static_ipaddress {{\n    10.99.0.1/24\n    10.98.0.1/24 dev st1 track_group NOPE\n}}\n\
         static_routes {{\n    10.97.0.0/16 via 10.99.0.254 track_group TG\n    10.95.0.0/16\n}}\n{}",
        instance(MINIMAL)
    ));
    let errors: Vec<(u32, String)> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.line, d.message.clone()))
        .collect();
    let expect = [
        (3, "track_group `TG`: no vrrp_instance is called `VI_9`"),
        (7, "static address 10.99.0.1: which interface? add `dev IF`"),
        (8, "track_group `NOPE` is not defined"),
        (11, "a static route with track_group needs `dev IF`: the group tracks that interface"),
        (12, "this static route needs `dev IF` (no gateway, or onlink): no instance's interface to default to"),
    ];
    assert_eq!(errors.len(), expect.len(), "{errors:#?}");
    for ((line, message), (want_line, want)) in errors.iter().zip(expect) {
        assert_eq!((*line, message.as_str()), (want_line, want));
    }
}

#[test]
fn a_gateway_configuration_reads_whole() {
    let parsed = config::load(fixture("gateway.conf")).unwrap();
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let c = &parsed.config;
    assert_eq!(c.sync_groups[0].members, ["VI_INSIDE", "VI_OUTSIDE"]);
    let inside = c.instance("VI_INSIDE").unwrap();
    let outside = c.instance("VI_OUTSIDE").unwrap();
    assert_eq!(inside.vmac.as_ref().unwrap().name, "vrrp.51");
    assert!(!inside.accept && !outside.accept);
    assert_eq!(inside.virtual_ipaddress_excluded.len(), 2);
    assert!(outside.vmac.as_ref().unwrap().xmit_base);
    assert_eq!(outside.virtual_routes.len(), 2);
    assert_eq!(outside.virtual_rules[0].preference, 2000);
    // The group's script and the track group's link reach the members, weight 0.
    assert!(outside
        .track_scripts
        .iter()
        .any(|t| t.name == "check_uplink" && t.weight == Some(0)));
    assert!(inside
        .track_interfaces
        .iter()
        .any(|t| t.name == "eth2" && t.weight == Some(0)));
    assert_eq!(c.garp_groups[0].interfaces, ["eth0", "eth1"]);
    assert_eq!(c.statics.routes.len(), 1);
}
