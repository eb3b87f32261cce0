//! The directives of `vrrp_instance` that hold more than one value: the blocks
//! (`authentication`, `virtual_ipaddress`, `unicast_peer`, `track_script`,
//! `track_interface`), line by line, and the `notify_*` scripts with their users.

use vrrp_core::wire::{Auth, Password, AUTH_DATA_LEN};

use super::instance::RawInstance;
use super::{Parser, Seen};
use crate::config::diag::Pos;
use crate::config::keywords;
use crate::config::model::{Notify, NotifyScript, TrackInterface, TrackScript, VirtualAddress};
use crate::config::suggest::nearest;
use crate::config::tree::{Block, Stmt, Word};
use crate::config::value;

impl Parser<'_> {
    /// A `virtual_ipaddress` or `virtual_ipaddress_excluded` block.
    pub(super) fn instance_vips(&mut self, inst: &mut RawInstance, st: &Stmt) {
        let word = st.keyword().text.as_str();
        if let Some(block) = self.block(st, "virtual_ipaddress { 192.168.1.10/24 }") {
            for line in &block.stmts {
                if let Some(vip) = self.virtual_address(line) {
                    let pos = line.pos().clone();
                    if word == "virtual_ipaddress" {
                        inst.vips.push((vip, pos));
                    } else {
                        inst.evips.push((vip, pos));
                    }
                }
            }
        }
    }

    /// A `unicast_peer` block.
    pub(super) fn instance_peers(&mut self, inst: &mut RawInstance, st: &Stmt) {
        if let Some(block) = self.block(st, "unicast_peer { 192.168.1.3 }") {
            for line in &block.stmts {
                let first = line.keyword();
                if let Some(a) = self.address(first, "a unicast peer") {
                    inst.unicast_peers.push((a, first.pos.clone()));
                }
                self.peer_options(line);
            }
        }
    }

    /// A `track_script` block.
    pub(super) fn instance_track_scripts(&mut self, inst: &mut RawInstance, st: &Stmt) {
        let tracked = self.tracked_names(st, "track_script { check_http }");
        inst.track_scripts.extend(tracked);
    }

    /// A `track_process` block.
    pub(super) fn instance_track_processes(&mut self, inst: &mut RawInstance, st: &Stmt) {
        let tracked = self.tracked_names(st, "track_process { nginx }");
        inst.track_processes.extend(tracked);
    }

    /// The `NAME [weight W [reverse]]` lines of a `track_script` or `track_process` block.
    pub(super) fn tracked_names(&mut self, st: &Stmt, example: &str) -> Vec<(TrackScript, Pos)> {
        let Some(block) = self.block(st, example) else {
            return Vec::new();
        };
        block
            .stmts
            .iter()
            .map(|line| {
                let first = line.keyword();
                let (weight, reverse) = self.track_options(line);
                (
                    TrackScript {
                        name: first.text.clone(),
                        weight,
                        reverse,
                        location: first.pos.location(),
                    },
                    first.pos.clone(),
                )
            })
            .collect()
    }

    /// A `track_interface` block.
    pub(super) fn instance_track_interfaces(&mut self, inst: &mut RawInstance, st: &Stmt) {
        let lines = self.track_interface_lines(st);
        inst.track_interfaces.extend(lines);
    }

    /// The `IF [weight W [reverse]]` lines of a `track_interface` block.
    pub(super) fn track_interface_lines(&mut self, st: &Stmt) -> Vec<TrackInterface> {
        let Some(block) = self.block(st, "track_interface { eth1 weight -20 }") else {
            return Vec::new();
        };
        block
            .stmts
            .iter()
            .map(|line| {
                let (weight, reverse) = self.track_options(line);
                TrackInterface {
                    name: line.keyword().text.clone(),
                    weight,
                    reverse,
                }
            })
            .collect()
    }

    /// A `notify_*` script.
    pub(super) fn instance_notify(&mut self, inst: &mut RawInstance, st: &Stmt) {
        self.notify_into(&mut inst.notify, st);
    }

    /// A `notify_*` line into its slot of `notify` (an instance's or a sync group's).
    pub(super) fn notify_into(&mut self, notify: &mut Notify, st: &Stmt) {
        let word = st.keyword().text.as_str();
        let script = self.notify_script(st);
        let slot = match word {
            "notify_master" => &mut notify.master,
            "notify_backup" => &mut notify.backup,
            "notify_fault" => &mut notify.fault,
            "notify_stop" => &mut notify.stop,
            _ => &mut notify.any,
        };
        if script.is_some() {
            *slot = script;
        }
    }

    /// `authentication { auth_type PASS auth_pass secret }`.
    pub(super) fn authentication(&mut self, st: &Stmt, block: &Block) -> Option<Auth> {
        let mut kind: Option<(String, Pos)> = None;
        let mut pass: Option<Password> = None;
        let mut seen = Seen::default();
        for inner in &block.stmts {
            let ikw = inner.keyword();
            match ikw.text.as_str() {
                "auth_type" => {
                    seen.check(self.sink, ikw);
                    if let Some(v) = self.one_arg(inner, "PASS", "auth_type PASS") {
                        match v.text.as_str() {
                            "PASS" => kind = Some(("PASS".into(), v.pos.clone())),
                            "AH" => {
                                self.error(
                                    &v.pos,
                                    "auth_type AH (IP Authentication Header) is not supported: RFC 3768 removed it from VRRP",
                                    "use `auth_type PASS` with the same auth_pass on both routers, or remove the authentication block",
                                );
                                kind = Some(("AH".into(), v.pos.clone()));
                            }
                            other => self.error(
                                &v.pos,
                                format!("auth_type must be PASS, got `{other}`"),
                                "write `auth_type PASS` (AH was removed from VRRP by RFC 3768)",
                            ),
                        }
                    }
                }
                "auth_pass" => {
                    seen.check(self.sink, ikw);
                    if let Some(v) = self.one_arg(
                        inner,
                        "a password of up to 8 characters",
                        "auth_pass secret",
                    ) {
                        let bytes = v.text.as_bytes();
                        if bytes.len() > AUTH_DATA_LEN {
                            self.warn(
                                &v.pos,
                                format!(
                                    "auth_pass is {} bytes long; VRRPv2 carries 8, so only the first 8 are used (keepalived truncates it too)",
                                    bytes.len()
                                ),
                                "shorten it to 8 characters so that the file says what is sent",
                            );
                        }
                        pass = Password::from_slice(&bytes[..bytes.len().min(AUTH_DATA_LEN)]);
                    }
                }
                _ => self.unknown(ikw, "authentication", &[keywords::AUTH_SUPPORTED]),
            }
        }
        match (kind, pass) {
            (Some((k, _)), _) if k == "AH" => None,
            (Some(_), Some(p)) => Some(Auth::Simple(p)),
            (Some((_, pos)), None) => {
                self.error(
                    &pos,
                    "auth_type PASS needs an auth_pass",
                    "add `auth_pass` with the same password (up to 8 characters) on both routers",
                );
                None
            }
            (None, Some(_)) => {
                self.warn(
                    st.pos(),
                    "auth_pass without auth_type: no authentication is used",
                    "add `auth_type PASS` to use the password, or remove the block",
                );
                Some(Auth::None)
            }
            (None, None) => Some(Auth::None),
        }
    }

    /// One line of `virtual_ipaddress`.
    pub(super) fn virtual_address(&mut self, line: &Stmt) -> Option<VirtualAddress> {
        let first = line.keyword();
        if let Some(block) = &line.block {
            self.error(
                &block.open,
                "a virtual address does not take a `{ ... }` block",
                "write one address per line",
            );
        }
        let (addr, prefix) = match value::addr_prefix(&first.text) {
            Ok(v) => v,
            Err(message) => {
                self.error(
                    &first.pos,
                    format!("virtual address: {message}"),
                    "write one address per line: ADDR[/PREFIX] [dev IF] [label LABEL], e.g. `192.168.1.10/24 dev eth0`",
                );
                return None;
            }
        };
        let mut vip = VirtualAddress {
            addr,
            prefix_len: prefix.unwrap_or(if addr.is_ipv4() { 32 } else { 128 }),
            dev: None,
            broadcast: None,
            scope: None,
            label: None,
            no_track: false,
        };
        let mut words = line.args().iter();
        while let Some(opt) = words.next() {
            let mut value = |p: &mut Self, what: &str| -> Option<Word> {
                let v = words.next().cloned();
                if v.is_none() {
                    p.error(
                        &opt.pos,
                        format!("`{}` needs a value: {what}", opt.text),
                        format!("write e.g. `{} {what}`", opt.text),
                    );
                }
                v
            };
            match opt.text.as_str() {
                "dev" => vip.dev = value(self, "eth0").map(|w| w.text),
                "label" => vip.label = value(self, "eth0:1").map(|w| w.text),
                "scope" => {
                    vip.scope = value(self, "global").map(|w| w.text);
                    self.warn(
                        &opt.pos,
                        "`scope` is not applied: link-local addresses get link scope, the others global",
                        "remove it unless it says just that",
                    );
                }
                "brd" | "broadcast" => {
                    if let Some(w) = value(self, "192.168.1.255") {
                        match w.text.parse() {
                            Ok(b) if addr.is_ipv4() => {
                                vip.broadcast = Some(b);
                                self.warn(
                                    &opt.pos,
                                    format!("`{}` is not applied: the address gets no broadcast address", opt.text),
                                    "remove it; a VIP rarely needs one",
                                );
                            }
                            _ => self.error(
                                &w.pos,
                                format!("broadcast must be an IPv4 address, got `{}`", w.text),
                                "`brd` applies to IPv4 addresses only",
                            ),
                        }
                    }
                }
                "no_track" => {
                    vip.no_track = true;
                    self.warn(
                        &opt.pos,
                        "`no_track` only stops the tracking of the address's interface: an address deleted behind a master's back is still put back at once",
                        "remove it",
                    );
                }
                other => {
                    if let Some(&(_, takes_value)) = keywords::VIP_OPTIONS_UNSUPPORTED
                        .iter()
                        .find(|(o, _)| *o == other)
                    {
                        self.warn(
                            &opt.pos,
                            format!(
                                "virtual address option `{other}` is not supported yet; skipped"
                            ),
                            "remove it, or check that vrrp behaves as you need without it",
                        );
                        if takes_value {
                            words.next();
                        }
                    } else if value::addr_prefix(other).is_ok() {
                        self.error(
                            &opt.pos,
                            format!("unexpected address `{other}` after `{}`", first.text),
                            "put each virtual address on its own line",
                        );
                        break;
                    } else {
                        let known = keywords::VIP_OPTIONS
                            .iter()
                            .copied()
                            .chain(keywords::VIP_OPTIONS_UNSUPPORTED.iter().map(|(o, _)| *o));
                        let hint = match nearest(other, known) {
                            Some(near) => format!("did you mean `{near}`?"),
                            None => "the options are dev, label, brd, scope, no_track".to_owned(),
                        };
                        self.error(
                            &opt.pos,
                            format!("unknown virtual address option `{other}`"),
                            hint,
                        );
                        break;
                    }
                }
            }
        }
        Some(vip)
    }

    /// Options after a unicast peer address (`min_ttl N`, `max_ttl N`): skipped.
    fn peer_options(&mut self, line: &Stmt) {
        let mut words = line.args().iter();
        while let Some(opt) = words.next() {
            match opt.text.as_str() {
                "min_ttl" | "max_ttl" => {
                    self.warn(
                        &opt.pos,
                        format!(
                            "unicast_peer option `{}` is not supported yet; skipped",
                            opt.text
                        ),
                        "remove it; unicast adverts are checked for TTL 255 like multicast ones",
                    );
                    words.next();
                }
                other => {
                    let hint = if value::addr_prefix(other).is_ok() {
                        "put each peer on its own line".to_owned()
                    } else {
                        "a unicast_peer line is one address, optionally with min_ttl/max_ttl"
                            .to_owned()
                    };
                    self.error(
                        &opt.pos,
                        format!(
                            "unexpected `{other}` after unicast peer `{}`",
                            line.keyword().text
                        ),
                        hint,
                    );
                    break;
                }
            }
        }
    }

    /// `NAME [weight W [reverse]]` of a track_script / track_interface line.
    fn track_options(&mut self, line: &Stmt) -> (Option<i32>, bool) {
        if let Some(block) = &line.block {
            self.error(
                &block.open,
                format!(
                    "`{}` does not take a `{{ ... }}` block",
                    line.keyword().text
                ),
                "write one name per line, e.g. `check_http weight 2`",
            );
        }
        match line.args() {
            [] => (None, false),
            [w, rest @ ..] if w.text == "weight" => match self.weight(line, rest) {
                Some((weight, reverse)) => (Some(weight), reverse),
                None => (None, false),
            },
            [other, ..] => {
                self.error(
                    &other.pos,
                    format!(
                        "unexpected `{}` after `{}`",
                        other.text,
                        line.keyword().text
                    ),
                    "write one name per line, optionally followed by `weight W`",
                );
                (None, false)
            }
        }
    }

    /// `notify_* "/path/script args" [USER [GROUP]]`.
    pub(super) fn notify_script(&mut self, st: &Stmt) -> Option<NotifyScript> {
        self.no_block(st);
        let kw = st.keyword();
        let Some(first) = st.args().first() else {
            self.error(
                &kw.pos,
                format!("`{}` needs a script", kw.text),
                format!(
                    "write e.g. `{} \"/etc/keepalived/notify.sh MASTER\"`",
                    kw.text
                ),
            );
            return None;
        };
        let command = self.command(std::slice::from_ref(first))?;
        let rest = &st.args()[1..];
        let user = if rest.is_empty() {
            None
        } else {
            if !first.quoted {
                let user = &rest[0];
                self.warn(
                    &user.pos,
                    format!(
                        "`{}` after the unquoted script is taken as the user to run it as (keepalived's rule), not as an argument",
                        user.text
                    ),
                    format!(
                        "to pass arguments, quote the whole command: {} \"{} {}\"",
                        kw.text, first.text, user.text
                    ),
                );
            }
            self.user(st, rest)
        };
        Some(NotifyScript { command, user })
    }
}
