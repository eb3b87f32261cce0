//! From raw instances (as written) to [`VrrpInstance`]s: the defaults that come from
//! `global_defs` and keepalived's rules, the checks of one instance (required values,
//! address family, version, interval, authentication, priority, unicast addresses,
//! tracked scripts), and the check across instances (duplicate VRIDs).

use std::net::IpAddr;

use vrrp_core::wire::{Auth, ChecksumMode};
use vrrp_core::{Centiseconds, Family, Priority, Version};

use super::instance::RawInstance;
use super::Parser;
use crate::config::diag::Pos;
use crate::config::model::{Config, Garp, InitialState, TrackScript, VrrpInstance};
use crate::config::suggest::nearest;

impl Parser<'_> {
    /// The configuration: every instance resolved and checked.
    pub(crate) fn finish(mut self) -> Config {
        let raws = std::mem::take(&mut self.instances);
        let mut instances: Vec<(VrrpInstance, Pos)> = Vec::new();
        for raw in raws {
            if let Some(done) = self.resolve(raw) {
                instances.push(done);
            }
        }
        let track_groups = self.apply_track_groups(&mut instances);
        let sync_groups = self.apply_sync_groups(&mut instances);
        self.check_duplicate_vrids(&instances);
        Config {
            global: self.global,
            scripts: self.scripts,
            track_processes: self.track_processes,
            track_files: self.track_files,
            instances: instances.into_iter().map(|(i, _)| i).collect(),
            sync_groups,
            garp_groups: self.garp_groups,
            statics: std::mem::take(&mut self.statics.statics),
            track_groups,
            files: Vec::new(),
        }
    }

    /// Defaults, per-instance checks; `None` if a required value is missing.
    fn resolve(&mut self, raw: RawInstance) -> Option<(VrrpInstance, Pos)> {
        let complete = self.check_required(&raw);
        let family = self.family(&raw);
        let version = self.version(&raw, family);
        let advert_int = self.advert_int(&raw, version);
        let strict = raw.strict || self.global.vrrp_strict;
        let raw = if strict {
            self.apply_strict(raw, version)
        } else {
            raw
        };
        let auth = self.auth(&raw, version, strict);
        let priority = self.priority(&raw);
        self.check_nopreempt(&raw, priority);
        self.check_unicast_family(&raw, family);
        self.check_track_scripts(&raw.track_scripts);
        self.check_track_processes(&raw.track_processes);
        self.check_track_files(&raw.track_files);

        let (interface, (vrid, vrid_pos)) = match (raw.interface, raw.vrid) {
            (Some(i), Some(v)) if complete => (i, v),
            _ => return None,
        };
        let vmac = self.instance_vmac(
            &raw.use_vmac,
            raw.vmac_xmit_base,
            !raw.unicast_peers.is_empty(),
            &raw.pos,
            vrid,
        );
        let virtual_routes = super::routes::with_instance_device(raw.virtual_routes, &interface);
        let g = &self.global;
        let instance = VrrpInstance {
            name: raw.name,
            location: raw.pos.location(),
            state: raw.state,
            interface,
            vrid,
            priority,
            advert_int,
            version,
            family,
            checksum_mode: if raw.checksum_as_v2 {
                ChecksumMode::Rfc9568
            } else {
                g.vrrp_v3_checksum
            },
            nopreempt: raw.nopreempt.is_some(),
            preempt_delay: raw.preempt_delay,
            auth,
            virtual_ipaddress: raw.vips.into_iter().map(|(v, _)| v).collect(),
            virtual_ipaddress_excluded: raw.evips.into_iter().map(|(v, _)| v).collect(),
            virtual_routes,
            virtual_rules: raw.virtual_rules.into_iter().map(|r| r.rule).collect(),
            unicast_src_ip: raw.unicast_src_ip.map(|(a, _)| a),
            unicast_peers: raw.unicast_peers.into_iter().map(|(a, _)| a).collect(),
            track_scripts: raw.track_scripts.into_iter().map(|(t, _)| t).collect(),
            track_processes: raw.track_processes.into_iter().map(|(t, _)| t).collect(),
            track_files: raw.track_files.into_iter().map(|(t, _)| t).collect(),
            track_interfaces: raw.track_interfaces,
            notify: raw.notify,
            garp: Garp {
                master_delay: raw.garp_master_delay.unwrap_or(g.vrrp_garp_master_delay),
                master_repeat: raw.garp_master_repeat.unwrap_or(g.vrrp_garp_master_repeat),
                master_refresh: match raw.garp_master_refresh {
                    Some(d) if d.is_zero() => None,
                    Some(d) => Some(d),
                    None => g.vrrp_garp_master_refresh,
                },
            },
            accept: raw.accept.unwrap_or(!strict),
            dont_track_primary: raw.dont_track_primary,
            native_ipv6: raw.native_ipv6.is_some(),
            strict,
            skip_check_adv_addr: raw.skip_check_adv_addr || g.vrrp_skip_check_adv_addr,
            check_unicast_src: raw.check_unicast_src || g.vrrp_check_unicast_src,
            vmac,
        };
        Some((instance, vrid_pos))
    }

    /// The values an instance cannot run without: false if `interface` or
    /// `virtual_router_id` is missing (no virtual address is an error, but the rest
    /// is still checked).
    fn check_required(&mut self, raw: &RawInstance) -> bool {
        let name = &raw.name;
        let mut complete = true;
        if raw.interface.is_none() {
            self.error(
                &raw.pos,
                format!("vrrp_instance `{name}` has no `interface`"),
                "add the interface the adverts go out on, e.g. `interface eth0`",
            );
            complete = false;
        }
        // A value out of range was reported where it is written; do not also call it
        // missing.
        if raw.vrid.is_none() && raw.vrid_written {
            complete = false;
        } else if raw.vrid.is_none() {
            self.error(
                &raw.pos,
                format!("vrrp_instance `{name}` has no `virtual_router_id`"),
                "add e.g. `virtual_router_id 51`, the same on both routers of the pair",
            );
            complete = false;
        }
        if raw.vips.is_empty() {
            self.error(
                &raw.pos,
                format!("vrrp_instance `{name}` has no virtual address"),
                "add e.g. `virtual_ipaddress { 192.168.1.10/24 }`",
            );
        }
        complete
    }

    /// The address family: every virtual address of one family.
    fn family(&mut self, raw: &RawInstance) -> Family {
        let name = &raw.name;
        let mut family = match raw.native_ipv6 {
            Some(_) => Family::Ipv6,
            None => match raw.vips.first() {
                Some((v, _)) if v.addr.is_ipv6() => Family::Ipv6,
                _ => Family::Ipv4,
            },
        };
        if let Some(native) = &raw.native_ipv6 {
            if let Some((v4, _)) = raw.vips.iter().find(|(v, _)| v.addr.is_ipv4()) {
                self.error(
                    native,
                    format!(
                        "`native_ipv6` but vrrp_instance `{name}` has the IPv4 virtual address {}",
                        v4.addr
                    ),
                    "remove `native_ipv6`, or move the IPv4 addresses to an instance of their own",
                );
            }
        } else if let Some((first, first_pos)) = raw.vips.first() {
            if let Some((other, other_pos)) = raw
                .vips
                .iter()
                .find(|(v, _)| v.addr.is_ipv4() != first.addr.is_ipv4())
            {
                let fam = |a: &IpAddr| if a.is_ipv4() { "IPv4" } else { "IPv6" };
                self.error(
                    other_pos,
                    format!(
                        "vrrp_instance `{name}` mixes IPv4 and IPv6 virtual addresses: {} is {} but {} (line {}) is {}",
                        other.addr,
                        fam(&other.addr),
                        first.addr,
                        first_pos.line,
                        fam(&first.addr)
                    ),
                    "a VRRP instance carries one address family: put the other family's addresses in a vrrp_instance of their own (it may use the same virtual_router_id), or in virtual_ipaddress_excluded",
                );
                family = if first.addr.is_ipv4() {
                    Family::Ipv4
                } else {
                    Family::Ipv6
                };
            }
        }
        family
    }

    /// The VRRP version: as written, else IPv6 needs 3, else `global_defs`, else 2.
    fn version(&mut self, raw: &RawInstance, family: Family) -> Version {
        let name = &raw.name;
        match (&raw.version, self.global.vrrp_version) {
            (Some((v, pos)), _) => {
                if *v == Version::V2 && family == Family::Ipv6 {
                    self.error(
                        pos,
                        format!("vrrp_instance `{name}` has IPv6 addresses but `version 2`: VRRPv2 is IPv4-only (RFC 3768)"),
                        "use `version 3`",
                    );
                }
                *v
            }
            (None, _) if family == Family::Ipv6 => Version::V3,
            (None, Some(v)) => v,
            (None, None) => Version::V2,
        }
    }

    /// The advertisement interval, now that the version is known.
    fn advert_int(&mut self, raw: &RawInstance, version: Version) -> Centiseconds {
        let mut advert_int = Centiseconds(100);
        if let Some((cs, text, pos)) = &raw.advert_int {
            match version {
                Version::V2 if cs % 100 != 0 => self.error(
                    pos,
                    format!("VRRPv2 advert_int must be whole seconds, got {text}"),
                    "sub-second adverts need VRRPv3: add `version 3` here or `vrrp_version 3` in global_defs (on both routers)",
                ),
                Version::V3 if *cs > u32::from(Centiseconds::V3_MAX.get()) => self.error(
                    pos,
                    format!("VRRPv3 advert_int must be at most 40.95 s, got {text}"),
                    "the VRRPv3 interval field holds at most 4095 centiseconds",
                ),
                _ => advert_int = Centiseconds(*cs as u16),
            }
        }
        advert_int
    }

    /// The authentication (VRRPv2 only, and not in strict mode).
    fn auth(&mut self, raw: &RawInstance, version: Version, strict: bool) -> Auth {
        let name = &raw.name;
        let mut auth = Auth::None;
        if let Some((a, pos)) = &raw.auth {
            if *a != Auth::None && version == Version::V3 {
                self.warn(
                    pos,
                    format!("authentication is ignored: vrrp_instance `{name}` runs VRRPv3, which has none (RFC 9568)"),
                    "remove the authentication block, or use VRRPv2 (`version 2`) on both routers",
                );
            } else if *a != Auth::None && strict {
                self.warn(
                    pos,
                    "authentication is ignored in strict mode (`vrrp_strict` / `strict_mode`), as keepalived does",
                    "remove the authentication block, or strict mode",
                );
            } else {
                auth = *a;
            }
        }
        auth
    }

    /// The priority: keepalived gives 255 to `state MASTER` without a priority.
    fn priority(&mut self, raw: &RawInstance) -> Priority {
        let name = &raw.name;
        match (raw.priority, raw.state) {
            (Some(p), _) => p,
            (None, Some(InitialState::Master)) => {
                if let Some(pos) = &raw.state_pos {
                    self.warn(
                        pos,
                        format!("vrrp_instance `{name}` has `state MASTER` and no priority: it gets priority 255 (address owner), as in keepalived"),
                        "set `priority` explicitly, e.g. `priority 101` on the preferred master and 100 on the backup",
                    );
                }
                Priority::OWNER
            }
            (None, _) => Priority::DEFAULT,
        }
    }

    /// `nopreempt` with `state MASTER`, or with the owner's priority: what it does.
    fn check_nopreempt(&mut self, raw: &RawInstance, priority: Priority) {
        let name = &raw.name;
        if let Some(np) = &raw.nopreempt {
            if raw.state == Some(InitialState::Master) {
                self.warn(
                    np,
                    format!("vrrp_instance `{name}` has `nopreempt` and `state MASTER`: nopreempt is KEPT (keepalived would silently drop it), so this router starts as backup and does not take over from a running master"),
                    "write `state BACKUP` on both routers to say what happens; remove `nopreempt` if this router should always take over",
                );
            }
            if priority.is_owner() {
                self.warn(
                    np,
                    format!("vrrp_instance `{name}` has priority 255 (address owner): it always takes over at once, so `nopreempt` has no effect"),
                    "use a priority of 254 or less for nopreempt to matter",
                );
            }
        }
    }

    /// Unicast addresses must be of the instance's family.
    fn check_unicast_family(&mut self, raw: &RawInstance, family: Family) {
        let name = &raw.name;
        let same_family = |a: &IpAddr| a.is_ipv4() == (family == Family::Ipv4);
        if let Some((src, pos)) = &raw.unicast_src_ip {
            if !same_family(src) {
                self.error(
                    pos,
                    format!("unicast_src_ip {src} is not {family} like the virtual addresses of `{name}`"),
                    "use an address of the same family as the virtual addresses",
                );
            }
        }
        for (peer, pos) in &raw.unicast_peers {
            if !same_family(peer) {
                self.error(
                    pos,
                    format!("unicast peer {peer} is not {family} like the virtual addresses of `{name}`"),
                    "use peer addresses of the same family as the virtual addresses",
                );
            }
        }
    }

    /// Tracked scripts must be defined by a `vrrp_script`.
    pub(super) fn check_track_scripts(&mut self, tracked: &[(TrackScript, Pos)]) {
        let defined: Vec<String> = self.scripts.iter().map(|s| s.name.clone()).collect();
        self.check_tracked(
            tracked,
            &defined,
            "track_script",
            "vrrp_script",
            "{ script \"...\" }",
        );
    }

    /// Tracked processes must be defined by a `vrrp_track_process`.
    pub(super) fn check_track_processes(&mut self, tracked: &[(TrackScript, Pos)]) {
        let defined: Vec<String> = self
            .track_processes
            .iter()
            .map(|p| p.name.clone())
            .collect();
        self.check_tracked(
            tracked,
            &defined,
            "track_process",
            "vrrp_track_process",
            "{ process NAME }",
        );
    }

    /// Tracked files must be defined by a `track_file` block.
    pub(super) fn check_track_files(&mut self, tracked: &[(TrackScript, Pos)]) {
        let defined: Vec<String> = self.track_files.iter().map(|f| f.name.clone()).collect();
        self.check_tracked(
            tracked,
            &defined,
            "track_file",
            "track_file",
            "{ file /path }",
        );
    }

    /// Each name in a `directive` block (`track_script { ... }`) must be one of `defined`
    /// by a `block` block; the error names the nearest or how to define it.
    fn check_tracked(
        &mut self,
        tracked: &[(TrackScript, Pos)],
        defined: &[String],
        directive: &str,
        block: &str,
        body: &str,
    ) {
        for (t, pos) in tracked {
            if defined.contains(&t.name) {
                continue;
            }
            let hint = match nearest(&t.name, defined.iter().map(String::as_str)) {
                Some(near) => format!("did you mean `{near}`?"),
                None => format!("define it: `{block} {} {body}`", t.name),
            };
            self.error(
                pos,
                format!("{directive} `{}` is not defined by any {block}", t.name),
                hint,
            );
        }
    }

    /// Two instances with one VRID on one interface and family would fight over it.
    /// Multicast and unicast instances are separate spaces (as in keepalived); two
    /// unicast instances conflict when they share a source and a peer.
    fn check_duplicate_vrids(&mut self, instances: &[(VrrpInstance, Pos)]) {
        for (i, (b, b_pos)) in instances.iter().enumerate() {
            let clash = instances[..i].iter().find(|(a, _)| {
                a.vrid == b.vrid
                    && a.interface == b.interface
                    && a.family == b.family
                    && a.is_unicast() == b.is_unicast()
                    && (!a.is_unicast()
                        || (a.unicast_src_ip == b.unicast_src_ip
                            && a.unicast_peers.iter().any(|p| b.unicast_peers.contains(p))))
            });
            if let Some((a, _)) = clash {
                self.error(
                    b_pos,
                    format!(
                        "virtual_router_id {} is already used on {} ({}) by vrrp_instance `{}` ({})",
                        b.vrid, b.interface, b.family, a.name, a.location
                    ),
                    "each virtual router on a link needs its own VRID: change one of them (the two routers of a pair share one VRID, in their own config files)",
                );
            }
        }
    }
}
