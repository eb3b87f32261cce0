//! `vrrp_instance`: its directives, read into a [`RawInstance`] as written (defaults and
//! cross-checks come later, in [`super::resolve`]). The directives with blocks or several
//! values are read in [`super::instance_blocks`].

use std::net::IpAddr;
use std::time::Duration;

use vrrp_core::wire::Auth;
use vrrp_core::{Priority, Version, Vrid};

use super::{Parser, Seen};
use crate::config::diag::Pos;
use crate::config::keywords::{self, Class};
use crate::config::model::{InitialState, Notify, TrackInterface, TrackScript, VirtualAddress};
use crate::config::tree::Stmt;
use crate::config::value;

/// An instance as written, before defaults and cross-checks.
pub(super) struct RawInstance {
    pub(super) name: String,
    pub(super) pos: Pos,
    pub(super) state: Option<InitialState>,
    pub(super) state_pos: Option<Pos>,
    pub(super) interface: Option<String>,
    pub(super) vrid: Option<(Vrid, Pos)>,
    /// `virtual_router_id` was written (perhaps with a value already reported as wrong).
    pub(super) vrid_written: bool,
    pub(super) priority: Option<Priority>,
    /// Centiseconds as written, the text, and where.
    pub(super) advert_int: Option<(u32, String, Pos)>,
    pub(super) version: Option<(Version, Pos)>,
    pub(super) nopreempt: Option<Pos>,
    pub(super) preempt_delay: Duration,
    pub(super) auth: Option<(Auth, Pos)>,
    pub(super) vips: Vec<(VirtualAddress, Pos)>,
    pub(super) evips: Vec<(VirtualAddress, Pos)>,
    pub(super) virtual_routes: Vec<vrrp_io::route::VirtualRoute>,
    pub(super) virtual_rules: Vec<super::routes::RawRule>,
    pub(super) unicast_src_ip: Option<(IpAddr, Pos)>,
    pub(super) unicast_peers: Vec<(IpAddr, Pos)>,
    pub(super) track_scripts: Vec<(TrackScript, Pos)>,
    pub(super) track_processes: Vec<(TrackScript, Pos)>,
    pub(super) track_files: Vec<(TrackScript, Pos)>,
    pub(super) track_interfaces: Vec<TrackInterface>,
    pub(super) notify: Notify,
    pub(super) garp_master_delay: Option<Duration>,
    pub(super) garp_master_repeat: Option<u32>,
    pub(super) garp_master_refresh: Option<Duration>,
    pub(super) accept: Option<bool>,
    pub(super) dont_track_primary: bool,
    pub(super) native_ipv6: Option<Pos>,
    pub(super) checksum_as_v2: bool,
    pub(super) strict: bool,
    pub(super) skip_check_adv_addr: bool,
    pub(super) check_unicast_src: bool,
    /// `use_vmac [NAME]`: the name if given, and where.
    pub(super) use_vmac: Option<(Option<String>, Pos)>,
    pub(super) vmac_xmit_base: bool,
}

impl RawInstance {
    pub(super) fn new(name: String, pos: Pos) -> Self {
        RawInstance {
            name,
            pos,
            state: None,
            state_pos: None,
            interface: None,
            vrid: None,
            vrid_written: false,
            priority: None,
            advert_int: None,
            version: None,
            nopreempt: None,
            preempt_delay: Duration::ZERO,
            auth: None,
            vips: Vec::new(),
            evips: Vec::new(),
            virtual_routes: Vec::new(),
            virtual_rules: Vec::new(),
            unicast_src_ip: None,
            unicast_peers: Vec::new(),
            track_scripts: Vec::new(),
            track_processes: Vec::new(),
            track_files: Vec::new(),
            track_interfaces: Vec::new(),
            notify: Notify::default(),
            garp_master_delay: None,
            garp_master_repeat: None,
            garp_master_refresh: None,
            accept: None,
            dont_track_primary: false,
            native_ipv6: None,
            checksum_as_v2: false,
            strict: false,
            skip_check_adv_addr: false,
            check_unicast_src: false,
            use_vmac: None,
            vmac_xmit_base: false,
        }
    }
}

impl Parser<'_> {
    /// A `vrrp_instance NAME { ... }` block.
    pub(super) fn vrrp_instance(&mut self, st: &Stmt) {
        let kw = st.keyword();
        let Some(name) = self.block_name(st) else {
            return;
        };
        let Some(block) = self.block_after(st, 1, "vrrp_instance VI_1 { ... }") else {
            return;
        };
        if let Some(prev) = self.instances.iter().find(|i| i.name == name) {
            let line = prev.pos.line;
            self.error(
                &kw.pos,
                format!("vrrp_instance `{name}` is defined twice (first at line {line})"),
                "give each vrrp_instance its own name",
            );
            return;
        }
        let mut inst = RawInstance::new(name, kw.pos.clone());
        let mut seen = Seen::default();
        for inner in &block.stmts {
            self.instance_stmt(&mut inst, &mut seen, inner);
        }
        self.instances.push(inst);
    }

    /// One line of a `vrrp_instance` block: a skipped or unknown directive is reported, a
    /// repeated one warned about, a supported one read into `inst`.
    fn instance_stmt(&mut self, inst: &mut RawInstance, seen: &mut Seen, st: &Stmt) {
        let kw = st.keyword();
        let word = kw.text.as_str();
        if !keywords::INSTANCE_SUPPORTED.contains(&word) {
            if keywords::INSTANCE_UNSUPPORTED.contains(&word) {
                self.skipped(kw, Class::Unsupported, "vrrp_instance");
            } else {
                self.unknown(
                    kw,
                    "vrrp_instance",
                    &[keywords::INSTANCE_SUPPORTED, keywords::INSTANCE_UNSUPPORTED],
                );
            }
            return;
        }
        let repeatable = matches!(
            word,
            "virtual_ipaddress"
                | "virtual_ipaddress_excluded"
                | "unicast_peer"
                | "track_script"
                | "track_interface"
                | "virtual_routes"
                | "virtual_rules"
        );
        if !repeatable {
            seen.check(self.sink, kw);
        }
        self.instance_setting(inst, st);
    }

    /// A supported directive of `vrrp_instance`, into `inst`.
    fn instance_setting(&mut self, inst: &mut RawInstance, st: &Stmt) {
        let kw = st.keyword();
        let word = kw.text.as_str();
        match word {
            "state" => self.instance_state(inst, st),
            "interface" => self.instance_interface(inst, st),
            "virtual_router_id" => {
                inst.vrid_written = true;
                if let Some(n) = self.number(
                    st,
                    1,
                    255,
                    "virtual_router_id 51",
                    "use the same VRID, 1..=255, on both routers of the pair, and a different one for each virtual router on the link",
                ) {
                    if let Some(vrid) = u8::try_from(n).ok().and_then(Vrid::new) {
                        inst.vrid = Some((vrid, kw.pos.clone()));
                    }
                }
            }
            "priority" => {
                if let Some(n) = self.number(
                    st,
                    1,
                    255,
                    "priority 100",
                    "the highest priority becomes master; 255 is reserved for the router that owns the virtual addresses",
                ) {
                    inst.priority = Some(Priority(n as u8));
                }
            }
            "advert_int" => self.instance_advert_int(inst, st),
            "version" => {
                if let Some(n) = self.number(
                    st,
                    2,
                    3,
                    "version 3",
                    "2 is RFC 3768 (IPv4, whole seconds), 3 is RFC 9568 (IPv4 and IPv6, centiseconds)",
                ) {
                    let v = if n == 2 { Version::V2 } else { Version::V3 };
                    inst.version = Some((v, kw.pos.clone()));
                }
            }
            "nopreempt" => inst.nopreempt = self.flag(st).then(|| kw.pos.clone()),
            "preempt" => {
                let on = self.flag(st);
                if on {
                    inst.nopreempt = None;
                }
            }
            "preempt_delay" => {
                if let Some(d) = self.duration(st, 1000, "preempt_delay 60") {
                    inst.preempt_delay = d;
                }
            }
            "authentication" => {
                if let Some(block) =
                    self.block(st, "authentication { auth_type PASS auth_pass secret }")
                {
                    let block = block.clone();
                    if let Some(auth) = self.authentication(st, &block) {
                        inst.auth = Some((auth, kw.pos.clone()));
                    }
                }
            }
            "virtual_ipaddress" | "virtual_ipaddress_excluded" => self.instance_vips(inst, st),
            "virtual_routes" => self.instance_routes(inst, st),
            "virtual_rules" => self.instance_rules(inst, st),
            "unicast_src_ip" => {
                if let Some(v) = self.one_arg(st, "an IP address", "unicast_src_ip 192.168.1.2") {
                    if let Some(a) = self.address(v, "unicast_src_ip") {
                        inst.unicast_src_ip = Some((a, v.pos.clone()));
                    }
                }
            }
            "unicast_peer" => self.instance_peers(inst, st),
            "track_script" => self.instance_track_scripts(inst, st),
            "track_process" => self.instance_track_processes(inst, st),
            "track_file" => {
                let tracked = self.tracked_names(st, "track_file { state_file }");
                inst.track_files.extend(tracked);
            }
            "track_interface" => self.instance_track_interfaces(inst, st),
            "notify_master" | "notify_backup" | "notify_fault" | "notify_stop" | "notify" => self.instance_notify(inst, st),
            "garp_master_delay" => {
                if let Some(d) = self.duration(st, 86_400, "garp_master_delay 5") {
                    inst.garp_master_delay = Some(d);
                }
            }
            "garp_master_repeat" => {
                if let Some(n) = self.number(
                    st,
                    0,
                    255,
                    "garp_master_repeat 5",
                    "the number of gratuitous ARPs sent in each burst",
                ) {
                    inst.garp_master_repeat = Some(n as u32);
                }
            }
            "garp_master_refresh" => {
                if let Some(d) = self.duration(st, 86_400, "garp_master_refresh 60") {
                    inst.garp_master_refresh = Some(d);
                }
            }
            "accept" => inst.accept = Some(self.flag(st)),
            "no_accept" => inst.accept = Some(!self.flag(st)),
            "dont_track_primary" => inst.dont_track_primary = self.flag(st),
            "native_ipv6" => inst.native_ipv6 = self.flag(st).then(|| kw.pos.clone()),
            "v3_checksum_as_v2" => inst.checksum_as_v2 = self.flag(st),
            "strict_mode" => inst.strict = self.flag(st),
            "skip_check_adv_addr" => inst.skip_check_adv_addr = self.flag(st),
            "check_unicast_src" => inst.check_unicast_src = self.flag(st),
            "use_vmac" => self.instance_use_vmac(inst, st),
            "vmac_xmit_base" => inst.vmac_xmit_base = self.flag(st),
            "smtp_alert" => self.warn(
                &kw.pos,
                "`smtp_alert` skipped: not VRRP (vrrp sends no e-mail)",
                "use a notify script to send alerts",
            ),
            _ => {}
        }
    }

    /// `state MASTER|BACKUP`.
    fn instance_state(&mut self, inst: &mut RawInstance, st: &Stmt) {
        let kw = st.keyword();
        if let Some(v) = self.one_arg(st, "MASTER or BACKUP", "state BACKUP") {
            match v.text.as_str() {
                "MASTER" => inst.state = Some(InitialState::Master),
                "BACKUP" => inst.state = Some(InitialState::Backup),
                other => self.error(
                    &v.pos,
                    format!("state must be MASTER or BACKUP, got `{other}`"),
                    "write `state MASTER` or `state BACKUP` (upper case, as keepalived)",
                ),
            }
            inst.state_pos = Some(kw.pos.clone());
        }
    }

    /// `interface NAME`.
    fn instance_interface(&mut self, inst: &mut RawInstance, st: &Stmt) {
        if let Some(v) = self.one_arg(st, "an interface name", "interface eth0") {
            if v.text.is_empty() || v.text.len() > 15 || v.text.contains('/') {
                self.error(
                    &v.pos,
                    format!(
                        "`{}` is not a valid interface name (1 to 15 characters, no `/`)",
                        v.text
                    ),
                    "write the name `ip link` shows, e.g. `interface eth0`",
                );
            } else {
                inst.interface = Some(v.text.clone());
            }
        }
    }

    /// `advert_int SECONDS`, kept in centiseconds with its text (the version decides later
    /// what is allowed).
    fn instance_advert_int(&mut self, inst: &mut RawInstance, st: &Stmt) {
        if let Some(v) = self.one_arg(st, "seconds, e.g. 1 or 0.1", "advert_int 1") {
            match value::micros(&v.text) {
                Some(us) if us > 0 && us <= 255_000_000 && us % 10_000 == 0 => {
                    inst.advert_int = Some(((us / 10_000) as u32, v.text.clone(), v.pos.clone()));
                }
                Some(us) if us > 0 && us <= 255_000_000 => self.error(
                    &v.pos,
                    format!("advert_int must be a multiple of 0.01 s, got {}", v.text),
                    "VRRPv3 counts the interval in centiseconds; write e.g. `advert_int 0.1`",
                ),
                _ => self.error(
                    &v.pos,
                    format!(
                        "advert_int must be seconds, more than 0 and at most 255, got {}",
                        v.text
                    ),
                    "write e.g. `advert_int 1` (VRRPv3 also allows fractions like 0.1)",
                ),
            }
        }
    }
}
