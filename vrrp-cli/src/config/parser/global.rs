//! `global_defs`: the settings for the whole host, and the defaults of every instance.

use vrrp_core::wire::ChecksumMode;
use vrrp_core::Version;

use super::Parser;
use crate::config::keywords::{self, Class};
use crate::config::tree::Stmt;

impl Parser<'_> {
    /// A `global_defs` block (a second one is read as well, with a warning).
    pub(super) fn global_defs(&mut self, st: &Stmt) {
        let kw = st.keyword();
        if let Some(prev) = &self.global_pos {
            let line = prev.line;
            self.warn(
                &kw.pos,
                format!(
                    "a second `global_defs` block (the first is at line {line}); both are read"
                ),
                "merge them into one block",
            );
        }
        self.global_pos = Some(kw.pos.clone());
        if let Some(block) = self.block(st, "global_defs { router_id lb01 }") {
            for s in &block.stmts {
                self.global_stmt(s);
            }
        }
    }

    /// One line of `global_defs`: a supported setting, a skipped one, or an unknown one.
    fn global_stmt(&mut self, st: &Stmt) {
        let kw = st.keyword();
        let word = kw.text.as_str();
        match keywords::global_class(word) {
            None => self.unknown(
                kw,
                "global_defs",
                &[keywords::GLOBAL_SUPPORTED, keywords::GLOBAL_KNOWN],
            ),
            Some(class @ (Class::NotVrrp | Class::Unsupported)) => {
                self.skipped(kw, class, "global_defs")
            }
            Some(Class::Supported) => self.global_setting(st),
        }
    }

    /// The value of a supported `global_defs` setting.
    fn global_setting(&mut self, st: &Stmt) {
        let word = st.keyword().text.as_str();
        match word {
            "router_id" => {
                if let Some(v) = self.one_arg(st, "a name for this host", "router_id lb01") {
                    self.global.router_id = Some(v.text.clone());
                }
            }
            "vrrp_version" => {
                if let Some(n) = self.number(
                    st,
                    2,
                    3,
                    "vrrp_version 3",
                    "2 is RFC 3768 (IPv4, whole seconds), 3 is RFC 9568 (IPv4 and IPv6, centiseconds)",
                ) {
                    self.global.vrrp_version = Some(if n == 2 { Version::V2 } else { Version::V3 });
                }
            }
            "script_user" => {
                self.no_block(st);
                if let Some(u) = self.user(st, st.args()) {
                    self.global.script_user = Some(u);
                }
            }
            "enable_script_security" => self.global.enable_script_security = self.flag(st),
            "notify_fifo" | "vrrp_notify_fifo" => {
                self.no_block(st);
                match st.args().first() {
                    // keepalived's user and group words concern its fifo script; the
                    // FIFO itself is created by this daemon's user.
                    Some(path) if !path.text.is_empty() => self
                        .global
                        .notify_fifos
                        .push(std::path::PathBuf::from(&path.text)),
                    _ => self.error(
                        &st.keyword().pos,
                        format!("`{word}` needs the FIFO's path"),
                        format!("write e.g. `{word} /run/keepalived.fifo`"),
                    ),
                }
            }
            "vrrp_startup_delay" => {
                if let Some(d) = self.duration(st, 3_600, "vrrp_startup_delay 5") {
                    self.global.vrrp_startup_delay = d;
                }
            }
            "vrrp_delay_after_boot" => {
                if let Some(d) = self.duration(st, 3_600, "vrrp_delay_after_boot 60") {
                    self.global.vrrp_delay_after_boot = Some(d);
                }
            }
            "vrrp_startup_spread" => {
                if let Some(d) = self.duration(st, 60, "vrrp_startup_spread 1") {
                    self.global.vrrp_startup_spread = d;
                }
            }
            "vrrp_garp_master_delay" => {
                if let Some(d) = self.duration(st, 86_400, "vrrp_garp_master_delay 5") {
                    self.global.vrrp_garp_master_delay = d;
                }
            }
            "vrrp_garp_master_repeat" => {
                if let Some(n) = self.number(
                    st,
                    0,
                    255,
                    "vrrp_garp_master_repeat 5",
                    "the number of gratuitous ARPs sent in each burst",
                ) {
                    self.global.vrrp_garp_master_repeat = n as u32;
                }
            }
            "vrrp_garp_master_refresh" => {
                if let Some(d) = self.duration(st, 86_400, "vrrp_garp_master_refresh 60") {
                    self.global.vrrp_garp_master_refresh = (!d.is_zero()).then_some(d);
                }
            }
            "vrrp_garp_interval" => {
                if let Some(d) = self.duration(st, 1, "vrrp_garp_interval 0.01") {
                    self.global.vrrp_garp_interval = d;
                }
            }
            "vrrp_gna_interval" => {
                if let Some(d) = self.duration(st, 1, "vrrp_gna_interval 0.01") {
                    self.global.vrrp_gna_interval = d;
                }
            }
            "vrrp_adverts_through_ip_stack" => {
                self.global.vrrp_adverts_through_ip_stack = self.flag(st)
            }
            "vrrp_check_unicast_src" => self.global.vrrp_check_unicast_src = self.flag(st),
            "vrrp_skip_check_adv_addr" => self.global.vrrp_skip_check_adv_addr = self.flag(st),
            "vrrp_strict" => self.global.vrrp_strict = self.flag(st),
            "v3_checksum_as_v2" => {
                let on = self.flag(st);
                if on {
                    self.global.vrrp_v3_checksum = ChecksumMode::Rfc9568;
                }
            }
            "vrrp_v3_checksum" => {
                if let Some(v) = self.one_arg(
                    st,
                    "pseudo_header or rfc9568",
                    "vrrp_v3_checksum pseudo_header",
                ) {
                    match v.text.as_str() {
                        "pseudo_header" => self.global.vrrp_v3_checksum = ChecksumMode::Ipv4PseudoHeader,
                        "rfc9568" => self.global.vrrp_v3_checksum = ChecksumMode::Rfc9568,
                        other => self.error(
                            &v.pos,
                            format!("vrrp_v3_checksum must be pseudo_header or rfc9568, got `{other}`"),
                            "pseudo_header (the default) talks to keepalived and FRR; rfc9568 to Cisco and Juniper",
                        ),
                    }
                }
            }
            _ => {}
        }
    }
}
