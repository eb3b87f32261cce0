//! From a parsed keepalived.conf to what the event loop runs.

use std::net::IpAddr;

use std::time::Duration;

use vrrp_core::router::{AnnounceConfig, RouterConfig, StartupWait, TrackConfig, TrackId};
use vrrp_core::{Label, LabelError, VirtualAddress};
use vrrp_io::netlink::Netlink;
use vrrp_io::RouterSpec;

use crate::config::{Config, GlobalDefs, VrrpInstance};
use vrrp_io::driver::AnnouncePacing;

/// The track id of an instance's own interface (down -> Fault, as keepalived).
pub const OWN_INTERFACE: TrackId = RouterSpec::OWN_INTERFACE;
const FIRST_INTERFACE_TRACK: u32 = 1;
const FIRST_SCRIPT_TRACK: u32 = 1_000;
const FIRST_PROCESS_TRACK: u32 = 2_000;
const FIRST_FILE_TRACK: u32 = 3_000;
/// The track id of a `use_vmac` + `vmac_xmit_base` instance's macvlan (its VIPs' home).
pub const VMAC_TRACK: u32 = 4_000;
/// The first track id of the interfaces that `dev` on an address line names.
const FIRST_VIP_INTERFACE_TRACK: u32 = 5_000;

/// Which instance tracks which script, under which id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptTrack {
    /// The vrrp_script name.
    pub script: String,
    /// The tracking instance.
    pub instance: String,
    /// The id the instance's router knows the script by.
    pub id: TrackId,
    /// `reverse`: the weight applies while the script fails.
    pub reverse: bool,
}

/// Everything `vrrp run` needs from the configuration.
#[derive(Debug, Clone)]
pub struct Plan {
    /// One spec per instance.
    pub routers: Vec<RouterSpec>,
    /// Script tracking links.
    pub script_tracks: Vec<ScriptTrack>,
    /// Process tracking links (`track_process`; `script` names the `vrrp_track_process`).
    pub process_tracks: Vec<ScriptTrack>,
    /// File tracking links (`track_file`; `script` names the block; `reverse` is already
    /// in the track's weight).
    pub file_tracks: Vec<ScriptTrack>,
}

/// Why an instance cannot start.
#[derive(Debug, thiserror::Error)]
#[error("vrrp_instance {instance}: {source}")]
pub struct PlanError {
    /// The instance.
    pub instance: String,
    /// Why.
    #[source]
    pub source: vrrp_io::Error,
}

/// Builds the router specs. `script_up` gives each script's initial result (the daemon
/// runs every check once before starting, so nothing flaps at start-up), or `None` for
/// a script that will not run (refused by [`super::script_security`]): instances do not
/// track it, as keepalived. `process_up` gives each `vrrp_track_process`'s state now.
pub fn plan(
    config: &Config,
    netlink: &mut Netlink,
    script_up: &dyn Fn(&str) -> Option<bool>,
    process_up: &dyn Fn(&str) -> Option<bool>,
) -> Result<Plan, PlanError> {
    let mut routers = Vec::new();
    let mut script_tracks = Vec::new();
    let mut process_tracks = Vec::new();
    let mut file_tracks = Vec::new();
    let mut primary = host_primary(netlink);
    for inst in &config.instances {
        let mut spec = instance_spec(config, inst, &mut primary, script_up, &mut script_tracks)
            .map_err(|source| PlanError {
                instance: inst.name.clone(),
                source,
            })?;
        add_process_tracks(config, inst, &mut spec, process_up, &mut process_tracks);
        add_file_tracks(config, inst, &mut spec, &mut file_tracks);
        routers.push(spec);
    }
    Ok(Plan {
        routers,
        script_tracks,
        process_tracks,
        file_tracks,
    })
}

/// An instance's `track_file` lines as numeric tracks of its router: the line's weight,
/// else the block's; `reverse` (on either) negates it, so the number counts negated.
fn add_file_tracks(
    config: &Config,
    inst: &VrrpInstance,
    spec: &mut RouterSpec,
    file_tracks: &mut Vec<ScriptTrack>,
) {
    for (i, tf) in inst.track_files.iter().enumerate() {
        let Some(block) = config.track_files.iter().find(|f| f.name == tf.name) else {
            continue;
        };
        let id = TrackId(FIRST_FILE_TRACK + i as u32);
        let weight = clamp_weight(tf.weight.unwrap_or(block.weight));
        let reverse = tf.reverse || block.weight_reverse;
        spec.config.tracks.push(TrackConfig {
            id,
            weight: if reverse { -weight } else { weight },
            // Until its number arrives (at once, from the file tracker), no fault.
            initially_up: true,
        });
        file_tracks.push(ScriptTrack {
            script: tf.name.clone(),
            instance: inst.name.clone(),
            id,
            reverse,
        });
    }
}

/// An instance's `track_process` lines as tracks of its router, with keepalived's weight
/// rules (the line's weight, else the block's; `reverse` on either).
fn add_process_tracks(
    config: &Config,
    inst: &VrrpInstance,
    spec: &mut RouterSpec,
    process_up: &dyn Fn(&str) -> Option<bool>,
    process_tracks: &mut Vec<ScriptTrack>,
) {
    for (i, tp) in inst.track_processes.iter().enumerate() {
        let block = config.track_processes.iter().find(|p| p.name == tp.name);
        let (Some(block), Some(up)) = (block, process_up(&tp.name)) else {
            continue;
        };
        let id = TrackId(FIRST_PROCESS_TRACK + i as u32);
        let reverse = tp.reverse || block.weight_reverse;
        spec.config.tracks.push(TrackConfig {
            id,
            weight: clamp_weight(tp.weight.unwrap_or(block.weight)),
            initially_up: up != reverse,
        });
        process_tracks.push(ScriptTrack {
            script: tp.name.clone(),
            instance: inst.name.clone(),
            id,
            reverse,
        });
    }
}

/// Finds an instance's primary address (the source of its adverts) when it has no
/// `unicast_src_ip`, given its VIPs (never chosen).
pub type PrimaryResolver<'a> =
    dyn FnMut(&VrrpInstance, &[IpAddr]) -> Result<IpAddr, vrrp_io::Error> + 'a;

/// The resolver `vrrp run` uses: the interface's own address, from the kernel.
pub fn host_primary(
    netlink: &mut Netlink,
) -> impl FnMut(&VrrpInstance, &[IpAddr]) -> Result<IpAddr, vrrp_io::Error> + '_ {
    move |inst, vips| vrrp_io::primary_address(netlink, advert_interface(inst), inst.family, vips)
}

/// The interface an instance's adverts go from: its own, or with `use_vmac` (without
/// `vmac_xmit_base`) the macvlan, which carries the IPv6 link-local source the daemon gave
/// it (an IPv4 macvlan has no address: adverts leave it from the parent's).
fn advert_interface(inst: &VrrpInstance) -> &str {
    match &inst.vmac {
        Some(v) if !v.xmit_base && inst.family == vrrp_core::Family::Ipv6 => &v.name,
        _ => &inst.interface,
    }
}

/// One instance's spec, as [`plan`] builds it; `primary` finds the advert source when
/// the instance has no `unicast_src_ip`. Script tracks are appended to `script_tracks`.
pub fn instance_spec(
    config: &Config,
    inst: &VrrpInstance,
    primary: &mut PrimaryResolver<'_>,
    script_up: &dyn Fn(&str) -> Option<bool>,
    script_tracks: &mut Vec<ScriptTrack>,
) -> Result<RouterSpec, vrrp_io::Error> {
    let vips = inst
        .virtual_ipaddress
        .iter()
        .map(virtual_address)
        .collect::<Result<Vec<_>, _>>()?;
    let primary = match inst.unicast_src_ip {
        Some(addr) => addr,
        None => {
            let addrs: Vec<IpAddr> = vips.iter().map(|v| v.addr).collect();
            primary(inst, &addrs)?
        }
    };
    let mut rc = RouterConfig::new(inst.vrid, primary, vips);
    rc.version = inst.version;
    rc.priority = inst.priority;
    rc.advert_interval = inst.advert_int;
    // nopreempt holds whatever `state` says (keepalived clears it for state MASTER).
    rc.preempt = !inst.nopreempt;
    rc.preempt_delay = inst.preempt_delay;
    rc.startup = StartupWait {
        delay: startup_delay(&config.global, host_uptime()),
        spread: config.global.vrrp_startup_spread,
    };
    rc.accept_mode = inst.accept;
    rc.excluded_addresses = inst
        .virtual_ipaddress_excluded
        .iter()
        .map(virtual_address)
        .collect::<Result<Vec<_>, _>>()?;
    rc.auth = inst.auth;
    rc.checksum_mode = inst.checksum_mode;
    rc.unicast_peers = inst.unicast_peers.clone();
    rc.check_unicast_source = inst.check_unicast_src;
    rc.announce = AnnounceConfig {
        repeat: inst.garp.master_repeat.clamp(1, u8::MAX as u32) as u8,
        second_burst_delay: inst.garp.master_delay,
        refresh: inst.garp.master_refresh,
    };
    let mut tracked_interfaces = Vec::new();
    if !inst.dont_track_primary {
        rc.tracks.push(TrackConfig {
            id: OWN_INTERFACE,
            weight: 0,
            initially_up: true,
        });
        tracked_interfaces.push((OWN_INTERFACE, inst.interface.clone()));
    }
    for (i, ti) in inst.track_interfaces.iter().enumerate() {
        let id = TrackId(FIRST_INTERFACE_TRACK + i as u32);
        let weight = clamp_weight(ti.weight.unwrap_or(0));
        rc.tracks.push(TrackConfig {
            id,
            weight: if ti.reverse { -weight } else { weight },
            initially_up: true,
        });
        tracked_interfaces.push((id, ti.name.clone()));
    }
    for (i, ts) in inst.track_scripts.iter().enumerate() {
        let id = TrackId(FIRST_SCRIPT_TRACK + i as u32);
        let script_weight = config.script(&ts.name).map(|s| s.weight).unwrap_or(0);
        let reverse = ts.reverse || config.script(&ts.name).is_some_and(|s| s.weight_reverse);
        let weight = clamp_weight(ts.weight.unwrap_or(script_weight));
        let Some(up) = script_up(&ts.name) else {
            continue;
        };
        let up = up != reverse;
        rc.tracks.push(TrackConfig {
            id,
            weight,
            initially_up: up,
        });
        script_tracks.push(ScriptTrack {
            script: ts.name.clone(),
            instance: inst.name.clone(),
            id,
            reverse,
        });
    }
    // use_vmac: the router runs on the macvlan (adverts, VIPs, ARP all from the virtual
    // MAC), or with vmac_xmit_base keeps its adverts on the parent and puts only the VIPs
    // on the macvlan, which it then tracks too.
    let (interface, address_interface) = match &inst.vmac {
        Some(v) if v.xmit_base => {
            let id = TrackId(VMAC_TRACK);
            rc.tracks.push(TrackConfig {
                id,
                weight: 0,
                initially_up: true,
            });
            tracked_interfaces.push((id, v.name.clone()));
            (inst.interface.clone(), Some(v.name.clone()))
        }
        Some(v) => {
            for (id, name) in &mut tracked_interfaces {
                if *id == OWN_INTERFACE {
                    name.clone_from(&v.name);
                }
            }
            (v.name.clone(), None)
        }
        None => (inst.interface.clone(), None),
    };
    // `dev` on an address line naming another interface: the address goes there, and
    // the instance tracks that interface with weight 0 (keepalived), unless `no_track`.
    let mut vip_interfaces = Vec::new();
    let mut next_id = FIRST_VIP_INTERFACE_TRACK;
    for vip in inst
        .virtual_ipaddress
        .iter()
        .chain(&inst.virtual_ipaddress_excluded)
    {
        let Some(dev) = vip.dev.as_ref().filter(|d| **d != inst.interface) else {
            continue;
        };
        vip_interfaces.push((vip.addr, dev.clone()));
        if !vip.no_track && !tracked_interfaces.iter().any(|(_, name)| name == dev) {
            let id = TrackId(next_id);
            next_id += 1;
            rc.tracks.push(TrackConfig {
                id,
                weight: 0,
                initially_up: true,
            });
            tracked_interfaces.push((id, dev.clone()));
        }
    }
    let spec = RouterSpec {
        name: inst.name.clone(),
        interface,
        config: rc,
        tracked_interfaces,
        routing: vrrp_io::driver::Routing {
            routes: inst.virtual_routes.clone(),
            rules: inst.virtual_rules.clone(),
        },
        announce_pacing: announce_pacing(config, inst),
        address_interface,
        vip_interfaces,
        adverts_through_ip_stack: config.global.vrrp_adverts_through_ip_stack,
        sync_group: None,
    };
    Ok(match config.sync_group_of(&inst.name) {
        Some(group) => spec.in_sync_group(group.name.clone()),
        None => spec,
    })
}

/// How an instance's announcements are paced: by the `garp_group` of its interface
/// (a budget shared by the group's interfaces), else by `vrrp_garp_interval` /
/// `vrrp_gna_interval` for its interface alone. A macvlan's announcements count on its
/// parent, which is what the switch sees.
fn announce_pacing(config: &Config, inst: &VrrpInstance) -> Option<AnnouncePacing> {
    let g = &config.global;
    let pacing = match config
        .garp_groups
        .iter()
        .enumerate()
        .find(|(_, group)| group.interfaces.contains(&inst.interface))
    {
        Some((i, group)) => {
            AnnouncePacing {
                // Not an interface name: interface names cannot contain a space.
                key: format!("garp_group {i}"),
                arp_interval: group.garp_interval,
                na_interval: group.gna_interval,
            }
        }
        None => AnnouncePacing {
            key: inst.interface.clone(),
            arp_interval: g.vrrp_garp_interval,
            na_interval: g.vrrp_gna_interval,
        },
    };
    (!pacing.is_unpaced()).then_some(pacing)
}

/// The flat start-up wait: `vrrp_startup_delay`, or what remains of
/// `vrrp_delay_after_boot` on a host up for `uptime`, whichever is longer.
pub fn startup_delay(global: &GlobalDefs, uptime: Option<Duration>) -> Duration {
    let after_boot = match (global.vrrp_delay_after_boot, uptime) {
        (Some(wanted), Some(up)) => wanted.saturating_sub(up),
        // Uptime unknown: wait the whole delay rather than none.
        (Some(wanted), None) => wanted,
        (None, _) => Duration::ZERO,
    };
    global.vrrp_startup_delay.max(after_boot)
}

/// How long the host has been up (/proc/uptime), if it can be read.
fn host_uptime() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/uptime").ok()?;
    let secs: f64 = text.split_whitespace().next()?.parse().ok()?;
    Duration::try_from_secs_f64(secs).ok()
}

/// A configured VIP as the router holds it: address, prefix length and label.
fn virtual_address(v: &crate::config::VirtualAddress) -> Result<VirtualAddress, vrrp_io::Error> {
    let vip = VirtualAddress::with_prefix(v.addr, v.prefix_len);
    let Some(text) = &v.label else {
        return Ok(vip);
    };
    let label = Label::new(text).map_err(|e| vrrp_io::Error::InvalidLabel {
        label: text.clone(),
        reason: match e {
            LabelError::Empty => "empty",
            LabelError::TooLong { .. } => "longer than 15 bytes",
            LabelError::ContainsNul { .. } => "contains a NUL byte",
        },
    })?;
    Ok(vip.with_label(label))
}

fn clamp_weight(w: i32) -> i16 {
    w.clamp(-254, 254) as i16
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_str;
    use vrrp_core::wire::{Auth, Password};
    use vrrp_core::{Centiseconds, Priority, Version};

    const CLASSIC: &str = r#"
vrrp_script check_http {
    script "/bin/true"
    interval 2
    weight 2
}
vrrp_instance VI_1 {
    state MASTER
    interface lo
    virtual_router_id 51
    priority 101
    advert_int 1
    nopreempt
    authentication {
        auth_type PASS
        auth_pass mynginx
    }
    virtual_ipaddress {
        192.168.100.12/24 label lo:vip
    }
    track_script {
        check_http
    }
}
"#;

    #[test]
    fn excluded_addresses_are_held_not_advertised_and_a_group_adds_its_track() {
        let text = CLASSIC.replace(
            "    track_script {",
            "    virtual_ipaddress_excluded {\n        192.168.100.50/24\n        fd00::50\n    }\n    track_script {",
        ) + "vrrp_sync_group VG_1 {\n    group {\n        VI_1\n    }\n}\n";
        let parsed = parse_str(&text, "keepalived.conf");
        assert!(!parsed.has_errors(), "{:?}", parsed.diagnostics);
        let mut netlink = Netlink::open().unwrap();
        let planned = plan(&parsed.config, &mut netlink, &|_| Some(true), &|_| None).unwrap();
        let spec = &planned.routers[0];
        assert_eq!(spec.config.virtual_addresses.len(), 1);
        assert_eq!(
            spec.config.excluded_addresses,
            vec![
                VirtualAddress::with_prefix("192.168.100.50".parse().unwrap(), 24),
                VirtualAddress::new("fd00::50".parse().unwrap()),
            ]
        );
        assert_eq!(spec.sync_group.as_deref(), Some("VG_1"));
        assert!(spec
            .config
            .tracks
            .iter()
            .any(|t| t.id == RouterSpec::SYNC_GROUP && t.weight == 0));
    }

    #[test]
    fn an_address_on_another_interface_goes_there_and_that_interface_is_tracked() {
        let text = CLASSIC.replace(
            "        192.168.100.12/24 label lo:vip\n",
            "        192.168.100.12/24 label lo:vip\n        10.0.0.12/24 dev eth7\n        10.0.0.13/24 dev eth7\n        10.0.1.12/24 dev eth8 no_track\n        192.168.100.13/24 dev lo\n",
        );
        let parsed = parse_str(&text, "keepalived.conf");
        assert!(!parsed.has_errors(), "{:?}", parsed.diagnostics);
        let mut netlink = Netlink::open().unwrap();
        let planned = plan(&parsed.config, &mut netlink, &|_| Some(true), &|_| None).unwrap();
        let spec = &planned.routers[0];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            spec.vip_interfaces,
            vec![
                (ip("10.0.0.12"), "eth7".to_owned()),
                (ip("10.0.0.13"), "eth7".to_owned()),
                (ip("10.0.1.12"), "eth8".to_owned()),
            ],
            "`dev lo` is the instance's own interface"
        );
        // eth7 once, with weight 0; eth8 not at all (no_track).
        let tracked: Vec<&str> = spec
            .tracked_interfaces
            .iter()
            .map(|(_, n)| n.as_str())
            .collect();
        assert_eq!(tracked, ["lo", "eth7"]);
        let (id, _) = spec.tracked_interfaces[1];
        assert!(spec
            .config
            .tracks
            .iter()
            .any(|t| t.id == id && t.weight == 0));
    }

    #[test]
    fn the_startup_wait_follows_global_defs() {
        let text = format!(
            "global_defs {{\n  vrrp_startup_delay 2\n  vrrp_startup_spread 0.5\n}}\n{CLASSIC}"
        );
        let parsed = parse_str(&text, "keepalived.conf");
        assert!(!parsed.has_errors(), "{:?}", parsed.diagnostics);
        let mut netlink = Netlink::open().unwrap();
        let planned = plan(&parsed.config, &mut netlink, &|_| Some(true), &|_| None).unwrap();
        assert_eq!(
            planned.routers[0].config.startup,
            StartupWait {
                delay: Duration::from_secs(2),
                spread: Duration::from_millis(500),
            }
        );
        // Race-free by default.
        let parsed = parse_str(CLASSIC, "keepalived.conf");
        let planned = plan(&parsed.config, &mut netlink, &|_| Some(true), &|_| None).unwrap();
        assert_eq!(planned.routers[0].config.startup, StartupWait::RACE_FREE);
    }

    #[test]
    fn delay_after_boot_counts_only_until_the_host_has_been_up_that_long() {
        let mut g = GlobalDefs {
            vrrp_delay_after_boot: Some(Duration::from_secs(60)),
            ..GlobalDefs::default()
        };
        assert_eq!(
            startup_delay(&g, Some(Duration::from_secs(45))),
            Duration::from_secs(15)
        );
        assert_eq!(
            startup_delay(&g, Some(Duration::from_secs(600))),
            Duration::ZERO
        );
        assert_eq!(startup_delay(&g, None), Duration::from_secs(60));
        g.vrrp_startup_delay = Duration::from_secs(20);
        assert_eq!(
            startup_delay(&g, Some(Duration::from_secs(45))),
            Duration::from_secs(20)
        );
    }

    #[test]
    fn a_refused_script_is_not_tracked() {
        let parsed = parse_str(CLASSIC, "keepalived.conf");
        let mut netlink = Netlink::open().unwrap();
        let plan = plan(&parsed.config, &mut netlink, &|_| None, &|_| None).unwrap();
        assert!(plan.script_tracks.is_empty());
        let tracks = &plan.routers[0].config.tracks;
        assert!(
            tracks.iter().all(|t| t.id.0 < FIRST_SCRIPT_TRACK),
            "{tracks:?}"
        );
    }

    #[test]
    fn classic_pair_becomes_the_router_config_keepalived_means() {
        let parsed = parse_str(CLASSIC, "keepalived.conf");
        assert!(!parsed.has_errors(), "{:?}", parsed.diagnostics);
        let mut netlink = Netlink::open().unwrap();
        let plan = plan(
            &parsed.config,
            &mut netlink,
            &|name| Some(name == "check_http"),
            &|_| None,
        )
        .unwrap();
        let spec = &plan.routers[0];
        let c = &spec.config;
        assert_eq!(spec.name, "VI_1");
        assert_eq!(c.vrid.get(), 51);
        assert_eq!(c.version, Version::V2);
        assert_eq!(c.priority, Priority(101));
        assert_eq!(c.advert_interval, Centiseconds(100));
        assert!(!c.preempt, "nopreempt holds even with state MASTER");
        assert_eq!(c.auth, Auth::Simple(Password::new("mynginx").unwrap()));
        // The advert source is the interface's own address (lo: 127.0.0.1).
        assert_eq!(c.primary_address, "127.0.0.1".parse::<IpAddr>().unwrap());
        // One VIP list, with prefix and label.
        assert_eq!(
            c.virtual_addresses,
            vec![
                VirtualAddress::with_prefix("192.168.100.12".parse().unwrap(), 24)
                    .with_label(Label::new("lo:vip").unwrap())
            ]
        );
        // Own interface faults the router (weight 0); the script adds 2 while it succeeds.
        assert!(c.tracks.contains(&TrackConfig {
            id: OWN_INTERFACE,
            weight: 0,
            initially_up: true
        }));
        let script = plan
            .script_tracks
            .iter()
            .find(|t| t.script == "check_http")
            .unwrap();
        assert_eq!(script.instance, "VI_1");
        assert!(c.tracks.contains(&TrackConfig {
            id: script.id,
            weight: 2,
            initially_up: true
        }));
    }

    #[test]
    fn a_failing_first_check_starts_the_router_without_its_weight() {
        let parsed = parse_str(CLASSIC, "keepalived.conf");
        let mut netlink = Netlink::open().unwrap();
        let plan = plan(&parsed.config, &mut netlink, &|_| Some(false), &|_| None).unwrap();
        let id = plan.script_tracks[0].id;
        assert!(plan.routers[0].config.tracks.contains(&TrackConfig {
            id,
            weight: 2,
            initially_up: false
        }));
    }

    #[test]
    fn an_unusable_label_names_the_instance_and_the_label() {
        let parsed = parse_str(
            &CLASSIC.replace("label lo:vip", "label lo:much-too-long"),
            "keepalived.conf",
        );
        let mut netlink = Netlink::open().unwrap();
        let err = plan(&parsed.config, &mut netlink, &|_| Some(true), &|_| None).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("VI_1") && text.contains("lo:much-too-long") && text.contains("15 bytes"),
            "{text}"
        );
    }

    #[test]
    fn a_missing_interface_names_the_instance_and_interface() {
        let parsed = parse_str(
            &CLASSIC.replace("interface lo", "interface nosuch0"),
            "keepalived.conf",
        );
        let mut netlink = Netlink::open().unwrap();
        let err = plan(&parsed.config, &mut netlink, &|_| Some(true), &|_| None).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("VI_1") && text.contains("nosuch0"), "{text}");
    }
}
