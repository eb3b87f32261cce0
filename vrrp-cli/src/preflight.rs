//! What `vrrp run` would refuse in a configuration that parses: every check it makes
//! before its routers start, run by `vrrp check` so that "exit 0" means "`vrrp run`
//! would run this file".
//!
//! The checks are `run`'s own code, not a copy: the router specs come from
//! [`spec::instance_spec`], each config passes [`vrrp_core::router::RouterConfig::validate`], routers are
//! keyed by (interface, family, VRID) as [`vrrp_core::Routers`] keys them (a VRID runs
//! once per interface and family, multicast or unicast alike), scripts are vetted by
//! [`script_security::vet_config`], and with host checks each spec is added to a
//! [`Driver`] that knows this host's links and addresses, exactly as `run` adds it.
//!
//! Host checks (on by default) look at this host: interfaces exist and have an address
//! to advertise from, no VIP is held by another interface, scripts exist, are executable
//! and safe. Without them (a file meant for another host), each instance's advert source
//! is its `unicast_src_ip` or a stand-in, and only what holds on any host is checked.
//! Every problem is reported, not only the first.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use vrrp_core::{Family, Instant, Vrid};
use vrrp_io::{Driver, Netlink, NetlinkMonitor};

use crate::config::{Config, Diagnostic, Location, Severity, VrrpInstance};
use crate::daemon::{script_security, spec};

/// Whether to check against this host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostChecks {
    /// Interfaces, addresses and scripts of this host.
    On,
    /// A file meant for another host: only what holds everywhere.
    Off,
}

/// Every problem `vrrp run` would have with `config` (which parsed without errors or
/// with some: the instances that parsed are checked).
pub fn check(config: &Config, host: HostChecks) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if host == HostChecks::On {
        check_scripts(config, &mut out);
    }
    let mut netlink = match host {
        HostChecks::On => match Netlink::open() {
            Ok(n) => Some(n),
            Err(e) => {
                out.push(error(
                    config.instances.first().map(|i| &i.location),
                    format!("cannot look at this host's interfaces: {e}"),
                    "run as a user that may open a netlink socket, or pass --no-host-checks",
                ));
                return out;
            }
        },
        HostChecks::Off => None,
    };
    let mut stand_in = |inst: &VrrpInstance, _: &[IpAddr]| Ok(stand_in_primary(inst.family));
    let mut specs = Vec::new();
    let mut tracks = Vec::new();
    // Refused scripts are reported above; whether they would be tracked does not matter.
    let script_up = |_: &str| Some(true);
    for inst in &config.instances {
        let built = match netlink.as_mut() {
            Some(netlink) => spec::instance_spec(
                config,
                inst,
                // The parent's address: a `use_vmac` macvlan does not exist until `run`
                // makes it, and an IPv6 one gets the parent's link-local address then.
                &mut |inst: &VrrpInstance, vips: &[IpAddr]| {
                    vrrp_io::primary_address(netlink, &inst.interface, inst.family, vips)
                },
                &script_up,
                &mut tracks,
            ),
            None => spec::instance_spec(config, inst, &mut stand_in, &script_up, &mut tracks),
        };
        let spec = match built {
            Ok(spec) => spec,
            Err(e) => {
                out.push(instance_error(inst, e.to_string()));
                continue;
            }
        };
        if let Err(e) = vrrp_io::netlink::validate_ifname(&spec.interface) {
            out.push(instance_error(inst, e.to_string()));
            continue;
        }
        if let Err(e) = spec.config.validate() {
            out.push(instance_error(inst, e.to_string()));
            continue;
        }
        specs.push((inst, spec));
    }
    let specs = without_duplicates(specs, &mut out);
    if let Some(netlink) = netlink.as_mut() {
        check_on_host(netlink, specs, &mut out);
    }
    out
}

/// Scripts `run` would refuse are errors here: the file would not run as written.
fn check_scripts(config: &Config, out: &mut Vec<Diagnostic>) {
    let vetted = script_security::vet_config(config);
    for refused in &vetted.refused {
        out.push(error(
            Some(&refused.location),
            refused.to_string(),
            "fix the script (path, permissions) or its user; `vrrp run` would not run it",
        ));
    }
    for (location, warning) in &vetted.warnings {
        out.push(diagnostic(
            Severity::Warning,
            Some(location),
            warning.clone(),
            "make the script and its directories root's and writable by root only",
        ));
    }
}

/// The key `vrrp run` stores routers under: one VRID per interface and family, whether
/// the instances advertise by multicast or to unicast peers.
fn without_duplicates<'a>(
    specs: Vec<(&'a VrrpInstance, vrrp_io::RouterSpec)>,
    out: &mut Vec<Diagnostic>,
) -> Vec<(&'a VrrpInstance, vrrp_io::RouterSpec)> {
    let mut seen: HashMap<(String, Family, Vrid), &str> = HashMap::new();
    let mut kept = Vec::new();
    for (inst, spec) in specs {
        let key = (
            spec.interface.clone(),
            spec.config.family(),
            spec.config.vrid,
        );
        if let Some(first) = seen.get(&key) {
            out.push(diagnostic(
                Severity::Error,
                Some(&inst.location),
                format!(
                    "vrrp_instance {}: VRID {} ({}) already runs on {} in vrrp_instance {first}",
                    inst.name, key.2, key.1, key.0
                ),
                "a VRID runs once per interface and family, multicast or unicast alike: use another virtual_router_id",
            ));
            continue;
        }
        seen.insert(key, &inst.name);
        kept.push((inst, spec));
    }
    kept
}

/// Adds every spec to a driver that knows this host, as `vrrp run` does.
fn check_on_host(
    netlink: &mut Netlink,
    specs: Vec<(&VrrpInstance, vrrp_io::RouterSpec)>,
    out: &mut Vec<Diagnostic>,
) {
    let snapshot = match NetlinkMonitor::snapshot(netlink) {
        Ok(s) => s,
        Err(e) => {
            out.push(error(
                specs.first().map(|(i, _)| &i.location),
                format!("cannot read this host's interfaces and addresses: {e}"),
                "pass --no-host-checks to check the file without this host",
            ));
            return;
        }
    };
    let mut driver = Driver::new();
    for event in &snapshot {
        driver.handle_net(Instant::ZERO, event);
    }
    // `run` creates the `use_vmac` macvlans before the routers: stand-ins for them, on
    // parents that exist.
    for (i, (inst, _)) in specs.iter().enumerate() {
        let Some(vmac) = &inst.vmac else {
            continue;
        };
        if driver.knows_link(&vmac.name) || !driver.knows_link(&inst.interface) {
            continue;
        }
        let link = vrrp_io::netlink::Link {
            index: u32::MAX - i as u32,
            name: vmac.name.clone(),
            mac: None,
            mtu: None,
            loopback: false,
            state: vrrp_io::netlink::LinkState {
                admin_up: true,
                carrier: true,
                oper: vrrp_io::netlink::OperState::Up,
            },
        };
        driver.handle_net(Instant::ZERO, &vrrp_io::NetEvent::Link(link));
    }
    let on_host: Vec<IpAddr> = snapshot
        .iter()
        .filter_map(|e| match e {
            vrrp_io::NetEvent::AddressAdded(a) => Some(a.addr),
            _ => None,
        })
        .collect();
    for (inst, spec) in specs {
        // `run` starts as backup and removes a VIP it finds on its interface: right for
        // one left by an earlier run, wrong for an address the host itself uses.
        for vip in spec.config.held_addresses() {
            if on_host.contains(&vip.addr) && !spec.config.priority.is_owner() {
                out.push(diagnostic(
                    Severity::Warning,
                    Some(&inst.location),
                    format!(
                        "vrrp_instance {}: virtual address {} is on this host already; `vrrp run` removes it at start (it starts as backup)",
                        inst.name, vip.addr
                    ),
                    "fine if an earlier run left it; if the host itself uses this address, choose another VIP (or priority 255 if this host owns it)",
                ));
            }
        }
        if let Err(e) = driver.add(Instant::ZERO, spec) {
            out.push(instance_error(inst, e.to_string()));
        }
    }
}

/// An advert source for checking without the host: documentation addresses, never
/// equal to a sane VIP.
fn stand_in_primary(family: Family) -> IpAddr {
    match family {
        Family::Ipv4 => IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        Family::Ipv6 => IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1)),
    }
}

fn instance_error(inst: &VrrpInstance, message: String) -> Diagnostic {
    let message = if message.starts_with("vrrp_instance") {
        message
    } else {
        format!("vrrp_instance {}: {message}", inst.name)
    };
    error(
        Some(&inst.location),
        message,
        "`vrrp run` would refuse to start with this instance",
    )
}

fn error(location: Option<&Location>, message: String, hint: &str) -> Diagnostic {
    diagnostic(Severity::Error, location, message, hint)
}

fn diagnostic(
    severity: Severity,
    location: Option<&Location>,
    message: String,
    hint: &str,
) -> Diagnostic {
    let (file, line, column) = match location {
        Some(l) => (l.file.clone(), l.line, l.column),
        None => (Default::default(), 0, 0),
    };
    Diagnostic {
        severity,
        file,
        line,
        column,
        message,
        hint: hint.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_str;

    fn errors(text: &str, host: HostChecks) -> Vec<String> {
        let parsed = parse_str(text, "keepalived.conf");
        assert!(!parsed.has_errors(), "{:?}", parsed.diagnostics);
        check(&parsed.config, host)
            .into_iter()
            .filter(Diagnostic::is_error)
            .map(|d| format!("{}:{}: {}", d.line, d.column, d.message))
            .collect()
    }

    fn instance(name: &str, vrid: u32, extra: &str) -> String {
        format!(
            "vrrp_instance {name} {{\n  interface lo\n  virtual_router_id {vrid}\n  priority 100\n  virtual_ipaddress {{\n    192.0.2.50\n  }}\n{extra}}}\n"
        )
    }

    #[test]
    fn a_vrid_runs_once_per_interface_multicast_or_unicast() {
        let text =
            instance("A", 51, "") + &instance("B", 51, "  unicast_peer {\n    192.0.2.9\n  }\n");
        let errs = errors(&text, HostChecks::Off);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].contains("VRID 51") && errs[0].contains("vrrp_instance A"),
            "{errs:?}"
        );
    }

    #[test]
    fn what_router_config_refuses_is_an_error_with_every_instance_reported() {
        let text = instance("A", 51, "  unicast_src_ip 0.0.0.0\n")
            + &instance("B", 52, "  unicast_src_ip 192.0.2.50\n");
        let errs = errors(&text, HostChecks::Off);
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs[0].contains("unspecified"), "{errs:?}");
        assert!(errs[1].contains("own address"), "{errs:?}");
    }

    #[test]
    fn an_interface_missing_on_this_host_is_an_error_only_with_host_checks() {
        let text = instance("A", 51, "").replace("interface lo", "interface no-such-if9");
        assert!(errors(&text, HostChecks::Off).is_empty());
        let errs = errors(&text, HostChecks::On);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].contains("no-such-if9"), "{errs:?}");
    }

    #[test]
    fn a_vip_the_host_already_has_is_a_warning_with_host_checks() {
        let text =
            instance("A", 51, "  unicast_src_ip 192.0.2.9\n").replace("192.0.2.50", "127.0.0.1");
        let parsed = parse_str(&text, "keepalived.conf");
        let found = check(&parsed.config, HostChecks::On);
        assert!(
            found
                .iter()
                .any(|d| !d.is_error() && d.message.contains("127.0.0.1 is on this host already")),
            "{found:?}"
        );
    }

    #[test]
    fn a_missing_script_is_an_error_with_host_checks() {
        let text = "vrrp_script chk {\n  script \"/no/such/check.sh\"\n}\n".to_owned()
            + &instance("A", 51, "  track_script {\n    chk\n  }\n");
        assert!(errors(&text, HostChecks::Off).is_empty());
        let errs = errors(&text, HostChecks::On);
        assert!(
            errs.iter()
                .any(|e| e.starts_with("1:") && e.contains("/no/such/check.sh")),
            "{errs:?}"
        );
    }
}
