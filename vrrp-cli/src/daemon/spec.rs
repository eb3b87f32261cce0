//! From a parsed keepalived.conf to what the event loop runs.

use std::net::IpAddr;

use vrrp_core::router::{AnnounceConfig, RouterConfig, TrackConfig, TrackId};
use vrrp_io::netlink::Netlink;
use vrrp_io::{RouterSpec, VipSpec};

use crate::config::{Config, VrrpInstance};

/// The track id of an instance's own interface (down -> Fault, as keepalived).
pub const OWN_INTERFACE: TrackId = TrackId(0);
const FIRST_INTERFACE_TRACK: u32 = 1;
const FIRST_SCRIPT_TRACK: u32 = 1_000;

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
/// runs every check once before starting, so nothing flaps at start-up).
pub fn plan(
    config: &Config,
    netlink: &mut Netlink,
    script_up: &dyn Fn(&str) -> bool,
) -> Result<Plan, PlanError> {
    let mut routers = Vec::new();
    let mut script_tracks = Vec::new();
    for inst in &config.instances {
        let spec = instance_spec(config, inst, netlink, script_up, &mut script_tracks).map_err(
            |source| PlanError {
                instance: inst.name.clone(),
                source,
            },
        )?;
        routers.push(spec);
    }
    Ok(Plan {
        routers,
        script_tracks,
    })
}

fn instance_spec(
    config: &Config,
    inst: &VrrpInstance,
    netlink: &mut Netlink,
    script_up: &dyn Fn(&str) -> bool,
    script_tracks: &mut Vec<ScriptTrack>,
) -> Result<RouterSpec, vrrp_io::Error> {
    let vips: Vec<IpAddr> = inst.virtual_ipaddress.iter().map(|v| v.addr).collect();
    let primary = match inst.unicast_src_ip {
        Some(addr) => addr,
        None => vrrp_io::event_loop::primary_address(netlink, &inst.interface, inst.family, &vips)?,
    };
    let mut rc = RouterConfig::new(inst.vrid, primary, vips);
    rc.version = inst.version;
    rc.priority = inst.priority;
    rc.advert_interval = inst.advert_int;
    // nopreempt holds whatever `state` says (keepalived clears it for state MASTER).
    rc.preempt = !inst.nopreempt;
    rc.preempt_delay = inst.preempt_delay;
    rc.accept_mode = inst.accept;
    rc.auth = inst.auth;
    rc.checksum_mode = inst.checksum_mode;
    rc.unicast_peers = inst.unicast_peers.clone();
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
        let up = script_up(&ts.name) != reverse;
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
    let specs = inst
        .virtual_ipaddress
        .iter()
        .map(|v| VipSpec {
            addr: v.addr,
            prefix_len: v.prefix_len,
            label: v.label.clone(),
        })
        .collect();
    Ok(RouterSpec {
        name: inst.name.clone(),
        interface: inst.interface.clone(),
        config: rc,
        vips: specs,
        tracked_interfaces,
    })
}

fn clamp_weight(w: i32) -> i16 {
    w.clamp(-254, 254) as i16
}
