//! From the statement tree to a typed [`Config`], with diagnostics.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use vrrp_core::wire::{Auth, ChecksumMode, Password, AUTH_DATA_LEN};
use vrrp_core::{Centiseconds, Family, Priority, Version, Vrid};

use super::diag::{Pos, Severity, Sink};
use super::keywords::{self, Class};
use super::model::{
    Command, Config, Garp, GlobalDefs, InitialState, Notify, NotifyScript, ScriptUser, SyncGroup,
    TrackInterface, TrackScript, VirtualAddress, VrrpInstance, VrrpScript,
};
use super::suggest::nearest;
use super::tree::{Block, Stmt, Word};
use super::value;

/// Parses the statement tree one top-level statement at a time, so that the tree of the
/// whole file never has to exist at once: `new`, `top` for each statement, `finish`.
pub(crate) struct Parser<'s> {
    sink: &'s mut Sink,
    global: GlobalDefs,
    global_pos: Option<Pos>,
    scripts: Vec<VrrpScript>,
    instances: Vec<RawInstance>,
    sync_groups: Vec<SyncGroup>,
}

impl<'s> Parser<'s> {
    pub(crate) fn new(sink: &'s mut Sink) -> Self {
        Parser {
            sink,
            global: GlobalDefs::default(),
            global_pos: None,
            scripts: Vec::new(),
            instances: Vec::new(),
            sync_groups: Vec::new(),
        }
    }

    /// The sink, for whoever builds the next statement.
    pub(crate) fn sink(&mut self) -> &mut Sink {
        self.sink
    }
}

/// An instance as written, before defaults and cross-checks.
struct RawInstance {
    name: String,
    pos: Pos,
    state: Option<InitialState>,
    state_pos: Option<Pos>,
    interface: Option<String>,
    vrid: Option<(Vrid, Pos)>,
    priority: Option<Priority>,
    /// Centiseconds as written, the text, and where.
    advert_int: Option<(u32, String, Pos)>,
    version: Option<(Version, Pos)>,
    nopreempt: Option<Pos>,
    preempt_delay: Duration,
    auth: Option<(Auth, Pos)>,
    vips: Vec<(VirtualAddress, Pos)>,
    evips: Vec<(VirtualAddress, Pos)>,
    unicast_src_ip: Option<(IpAddr, Pos)>,
    unicast_peers: Vec<(IpAddr, Pos)>,
    track_scripts: Vec<(TrackScript, Pos)>,
    track_interfaces: Vec<TrackInterface>,
    notify: Notify,
    garp_master_delay: Option<Duration>,
    garp_master_repeat: Option<u32>,
    garp_master_refresh: Option<Duration>,
    accept: Option<bool>,
    dont_track_primary: bool,
    native_ipv6: Option<Pos>,
    checksum_as_v2: bool,
    strict: bool,
    skip_check_adv_addr: bool,
    check_unicast_src: bool,
}

impl RawInstance {
    fn new(name: String, pos: Pos) -> Self {
        RawInstance {
            name,
            pos,
            state: None,
            state_pos: None,
            interface: None,
            vrid: None,
            priority: None,
            advert_int: None,
            version: None,
            nopreempt: None,
            preempt_delay: Duration::ZERO,
            auth: None,
            vips: Vec::new(),
            evips: Vec::new(),
            unicast_src_ip: None,
            unicast_peers: Vec::new(),
            track_scripts: Vec::new(),
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
        }
    }
}

/// Which directives of a block were seen, to warn about repeated ones.
#[derive(Default)]
struct Seen(HashMap<String, Pos>);

impl Seen {
    fn check(&mut self, sink: &mut Sink, kw: &Word) {
        if let Some(first) = self.0.insert(kw.text.clone(), kw.pos.clone()) {
            sink.warn(
                &kw.pos,
                format!(
                    "`{}` is given again (first at line {}); this later value is used, as keepalived does",
                    kw.text, first.line
                ),
                "remove one of the two lines",
            );
        }
    }
}

/// keepalived's conditional-configuration and parameter syntax, which we do not support.
fn unsupported_syntax(word: &str) -> Option<(&'static str, &'static str)> {
    if word.starts_with('@') {
        Some((
            "keepalived's conditional configuration (`@HOST` prefixes) is not supported",
            "write the lines for this host without the `@` prefix",
        ))
    } else if word.starts_with('$') {
        Some((
            "keepalived's parameter definitions and substitutions (`$NAME`) are not supported",
            "write the values out",
        ))
    } else if word.starts_with('~') {
        Some((
            "keepalived's `~SEQ(...)` sequences are not supported",
            "write the lines out",
        ))
    } else {
        None
    }
}

impl Parser<'_> {
    // ----- helpers ---------------------------------------------------------------

    fn error(&mut self, pos: &Pos, message: impl Into<String>, hint: impl Into<String>) {
        self.sink.error(pos, message, hint);
    }

    fn warn(&mut self, pos: &Pos, message: impl Into<String>, hint: impl Into<String>) {
        self.sink.warn(pos, message, hint);
    }

    /// An unknown directive in `context`, with the nearest known word.
    fn unknown(&mut self, kw: &Word, context: &str, known: &[&[&str]]) {
        if let Some((message, hint)) = unsupported_syntax(&kw.text) {
            self.error(&kw.pos, message, hint);
            return;
        }
        if !self.sink.keeps(Severity::Error) {
            // Only counted: spare the suggestion's cost (a file of a million bad lines).
            self.error(&kw.pos, "unknown directive", "");
            return;
        }
        let candidates = known.iter().flat_map(|list| list.iter().copied());
        let hint = match nearest(&kw.text, candidates) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("remove it, or check the spelling against the directives of {context} in keepalived.conf(5)"),
        };
        self.error(
            &kw.pos,
            format!("unknown directive `{}` in {context}", kw.text),
            hint,
        );
    }

    /// A directive that must not have a block.
    fn no_block(&mut self, st: &Stmt) {
        if let Some(block) = &st.block {
            self.error(
                &block.open,
                format!("`{}` does not take a `{{ ... }}` block", st.keyword().text),
                "remove the block, or put its contents on the directive's line",
            );
        }
    }

    /// The value of a one-value directive, or an error saying what is expected.
    fn one_arg<'a>(&mut self, st: &'a Stmt, expected: &str, example: &str) -> Option<&'a Word> {
        self.no_block(st);
        let kw = st.keyword();
        match st.args() {
            [] => {
                self.error(
                    &kw.pos,
                    format!("`{}` needs a value: {expected}", kw.text),
                    format!("write e.g. `{example}`"),
                );
                None
            }
            [value, rest @ ..] => {
                if let Some(extra) = rest.first() {
                    self.warn(
                        &extra.pos,
                        format!(
                            "`{}` takes one value; `{}` and what follows is ignored",
                            kw.text, extra.text
                        ),
                        format!("write e.g. `{example}`"),
                    );
                }
                Some(value)
            }
        }
    }

    /// A directive without a value (`nopreempt`), optionally followed by a true/false word.
    fn flag(&mut self, st: &Stmt) -> bool {
        self.no_block(st);
        let kw = st.keyword();
        match st.args() {
            [] => true,
            [value, rest @ ..] => {
                if let Some(extra) = rest.first() {
                    self.warn(
                        &extra.pos,
                        format!("`{}` and what follows is ignored", extra.text),
                        format!("write `{}` alone on its line", kw.text),
                    );
                }
                match value::boolean(&value.text) {
                    Some(b) => b,
                    None => {
                        self.error(
                            &value.pos,
                            format!(
                                "`{}` takes no value (or true/false), got `{}`",
                                kw.text, value.text
                            ),
                            format!("write `{}` alone on its line", kw.text),
                        );
                        true
                    }
                }
            }
        }
    }

    /// A block-only directive's block, or an error.
    fn block<'a>(&mut self, st: &'a Stmt, example: &str) -> Option<&'a Block> {
        self.block_after(st, 0, example)
    }

    /// A block-only directive's block after `names` words (a block's name), or an error.
    fn block_after<'a>(&mut self, st: &'a Stmt, names: usize, example: &str) -> Option<&'a Block> {
        match &st.block {
            Some(b) => {
                if let Some(extra) = st.args().get(names) {
                    self.warn(
                        &extra.pos,
                        format!("`{}` before the block is ignored", extra.text),
                        format!("write e.g. `{example}`"),
                    );
                }
                Some(b)
            }
            None => {
                let kw = st.keyword();
                self.error(
                    &kw.pos,
                    format!("`{}` needs a `{{ ... }}` block", kw.text),
                    format!("write e.g. `{example}`"),
                );
                None
            }
        }
    }

    /// A whole number in `range`, or an error like "priority must be 1..=255, got 0".
    fn number(&mut self, st: &Stmt, min: i64, max: i64, example: &str, hint: &str) -> Option<i64> {
        let range = format!("{min}..={max}");
        let word = self.one_arg(st, &range, example)?;
        let name = &st.keyword().text;
        match value::int(&word.text) {
            Some(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                self.error(
                    &word.pos,
                    format!("{name} must be {range}, got {}", word.text),
                    hint,
                );
                None
            }
        }
    }

    /// A duration in seconds (fractions allowed) up to `max_secs`.
    fn duration(&mut self, st: &Stmt, max_secs: u64, example: &str) -> Option<Duration> {
        let word = self.one_arg(st, "a number of seconds", example)?;
        let name = &st.keyword().text;
        match value::seconds(&word.text) {
            Some(d) if d <= Duration::from_secs(max_secs) => Some(d),
            _ => {
                self.error(
                    &word.pos,
                    format!(
                        "{name} must be a number of seconds, 0..={max_secs}, got {}",
                        word.text
                    ),
                    format!("write e.g. `{example}` (fractions like 0.5 are allowed)"),
                );
                None
            }
        }
    }

    /// An IP address value.
    fn address(&mut self, word: &Word, what: &str) -> Option<IpAddr> {
        match word.text.parse::<IpAddr>() {
            Ok(a) => Some(a),
            Err(_) => {
                self.error(
                    &word.pos,
                    format!("{what} must be an IP address, got `{}`", word.text),
                    "write an IPv4 address like 192.168.1.10 or an IPv6 address like fd00::10",
                );
                None
            }
        }
    }

    /// `USER [GROUP]` from `words`.
    fn user(&mut self, st: &Stmt, words: &[Word]) -> Option<ScriptUser> {
        match words {
            [] => {
                self.error(
                    st.pos(),
                    format!("`{}` needs a user name", st.keyword().text),
                    format!("write e.g. `{} keepalived_script`", st.keyword().text),
                );
                None
            }
            [user, rest @ ..] => {
                if let Some(extra) = rest.get(1) {
                    self.warn(
                        &extra.pos,
                        format!("`{}` and what follows is ignored", extra.text),
                        "write at most a user and a group",
                    );
                }
                Some(ScriptUser {
                    user: user.text.clone(),
                    group: rest.first().map(|g| g.text.clone()),
                })
            }
        }
    }

    /// A command line from one word (or several, joined).
    fn command(&mut self, words: &[Word]) -> Option<Command> {
        let first = words.first()?;
        let line = words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        match value::split_command(&line) {
            Ok(argv) if !argv.is_empty() => Some(Command { line, argv }),
            Ok(_) => {
                self.error(
                    &first.pos,
                    "the script is empty",
                    "give the path of the program to run, e.g. \"/etc/keepalived/check_nginx.sh\"",
                );
                None
            }
            Err(q) => {
                self.error(
                    &first.pos,
                    format!("unterminated {q} quote in the command `{line}`"),
                    format!("close the {q} quote"),
                );
                None
            }
        }
    }

    /// A directive that keepalived knows but we skip.
    fn skipped(&mut self, kw: &Word, class: Class, context: &str) {
        match class {
            Class::Supported => {}
            Class::NotVrrp => self.warn(
                &kw.pos,
                format!("`{}` skipped: not VRRP", kw.text),
                "vrrp implements only keepalived's VRRP part; this line can stay for keepalived",
            ),
            Class::Unsupported => self.warn(
                &kw.pos,
                format!("`{}` in {context} is not supported yet; skipped", kw.text),
                "remove it, or check that vrrp behaves as you need without it",
            ),
        }
    }

    // ----- top level -------------------------------------------------------------

    pub(crate) fn top(&mut self, st: &Stmt) {
        let kw = st.keyword();
        match kw.text.as_str() {
            "global_defs" => {
                if let Some(prev) = &self.global_pos {
                    let line = prev.line;
                    self.warn(
                        &kw.pos,
                        format!("a second `global_defs` block (the first is at line {line}); both are read"),
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
            "vrrp_script" => self.vrrp_script(st),
            "vrrp_instance" => self.vrrp_instance(st),
            "vrrp_sync_group" => self.sync_group(st),
            word if keywords::TOP_NOT_VRRP.contains(&word) => {
                self.skipped(kw, Class::NotVrrp, "the top level")
            }
            word if keywords::TOP_UNSUPPORTED.contains(&word) => {
                self.skipped(kw, Class::Unsupported, "the top level")
            }
            _ => self.unknown(
                kw,
                "the top level",
                &[
                    keywords::TOP_SUPPORTED,
                    keywords::TOP_NOT_VRRP,
                    keywords::TOP_UNSUPPORTED,
                ],
            ),
        }
    }

    /// The name after `vrrp_instance` / `vrrp_script` / `vrrp_sync_group`.
    fn block_name(&mut self, st: &Stmt) -> Option<String> {
        let kw = st.keyword();
        match st.args() {
            [] => {
                self.error(
                    &kw.pos,
                    format!("`{}` needs a name", kw.text),
                    format!("write e.g. `{} VI_1 {{`", kw.text),
                );
                None
            }
            [name, ..] => Some(name.text.clone()),
        }
    }

    // ----- global_defs -----------------------------------------------------------

    fn global_stmt(&mut self, st: &Stmt) {
        let kw = st.keyword();
        let word = kw.text.as_str();
        match keywords::global_class(word) {
            None => {
                self.unknown(
                    kw,
                    "global_defs",
                    &[keywords::GLOBAL_SUPPORTED, keywords::GLOBAL_KNOWN],
                );
                return;
            }
            Some(class @ (Class::NotVrrp | Class::Unsupported)) => {
                self.skipped(kw, class, "global_defs");
                return;
            }
            Some(Class::Supported) => {}
        }
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

    // ----- vrrp_script -----------------------------------------------------------

    fn vrrp_script(&mut self, st: &Stmt) {
        let kw = st.keyword();
        let Some(name) = self.block_name(st) else {
            return;
        };
        let Some(block) =
            self.block_after(st, 1, "vrrp_script chk { script \"/usr/local/bin/chk\" }")
        else {
            return;
        };
        if let Some(prev) = self.scripts.iter().find(|s| s.name == name) {
            let line = prev.location.line;
            self.error(
                &kw.pos,
                format!("vrrp_script `{name}` is defined twice (first at line {line})"),
                "give each vrrp_script its own name",
            );
            return;
        }
        let mut script: Option<Command> = None;
        let mut s = VrrpScript {
            name: name.clone(),
            script: Command {
                line: String::new(),
                argv: Vec::new(),
            },
            interval: Duration::from_secs(1),
            timeout: None,
            weight: 0,
            weight_reverse: false,
            rise: 1,
            fall: 1,
            user: None,
            location: kw.pos.location(),
        };
        let mut seen = Seen::default();
        for inner in &block.stmts {
            let ikw = inner.keyword();
            match ikw.text.as_str() {
                "script" => {
                    seen.check(self.sink, ikw);
                    self.no_block(inner);
                    if inner.args().is_empty() {
                        self.error(
                            &ikw.pos,
                            "`script` needs the command to run",
                            "write e.g. `script \"/etc/keepalived/check_nginx.sh\"`",
                        );
                    } else {
                        script = self.command(inner.args());
                    }
                }
                "interval" => {
                    seen.check(self.sink, ikw);
                    if let Some(d) = self.duration(inner, 86_400, "interval 2") {
                        if d.is_zero() {
                            self.error(
                                &ikw.pos,
                                "interval must be more than 0 seconds, got 0",
                                "write e.g. `interval 2`",
                            );
                        } else {
                            s.interval = d;
                        }
                    }
                }
                "timeout" => {
                    seen.check(self.sink, ikw);
                    if let Some(d) = self.duration(inner, 86_400, "timeout 5") {
                        s.timeout = (!d.is_zero()).then_some(d);
                    }
                }
                "weight" => {
                    seen.check(self.sink, ikw);
                    self.no_block(inner);
                    if let Some((w, reverse)) = self.weight(inner, inner.args()) {
                        s.weight = w;
                        s.weight_reverse = reverse;
                    }
                }
                "rise" | "fall" => {
                    seen.check(self.sink, ikw);
                    let example = format!("{} 2", ikw.text);
                    if let Some(n) = self.number(
                        inner,
                        1,
                        i64::from(u32::MAX),
                        &example,
                        "the number of results in a row that change the script's state",
                    ) {
                        if ikw.text == "rise" {
                            s.rise = n as u32;
                        } else {
                            s.fall = n as u32;
                        }
                    }
                }
                "user" => {
                    seen.check(self.sink, ikw);
                    self.no_block(inner);
                    s.user = self.user(inner, inner.args());
                }
                word if keywords::SCRIPT_UNSUPPORTED.contains(&word) => {
                    self.skipped(ikw, Class::Unsupported, "vrrp_script")
                }
                _ => self.unknown(
                    ikw,
                    "vrrp_script",
                    &[keywords::SCRIPT_SUPPORTED, keywords::SCRIPT_UNSUPPORTED],
                ),
            }
        }
        match script {
            Some(c) => s.script = c,
            None => {
                if !seen.0.contains_key("script") {
                    self.error(
                        &kw.pos,
                        format!("vrrp_script `{name}` has no `script`"),
                        "add e.g. `script \"/etc/keepalived/check_nginx.sh\"`",
                    );
                }
                return;
            }
        }
        self.scripts.push(s);
    }

    /// `W [reverse]` after `weight`: -253..=253, as keepalived.
    fn weight(&mut self, st: &Stmt, words: &[Word]) -> Option<(i32, bool)> {
        let Some(w) = words.first() else {
            self.error(
                st.pos(),
                "`weight` needs a value: -253..=253",
                "write e.g. `weight 2` or `weight -20`",
            );
            return None;
        };
        let n = match value::int(&w.text) {
            Some(n) if (-253..=253).contains(&n) => n as i32,
            _ => {
                self.error(
                    &w.pos,
                    format!("weight must be -253..=253, got {}", w.text),
                    "a positive weight is added to the priority while the check succeeds, a negative one subtracted while it fails",
                );
                return None;
            }
        };
        let mut reverse = false;
        for extra in &words[1..] {
            if extra.text == "reverse" && !reverse {
                reverse = true;
            } else {
                self.warn(
                    &extra.pos,
                    format!("`{}` after the weight is ignored", extra.text),
                    "write `weight W` or `weight W reverse`",
                );
                break;
            }
        }
        Some((n, reverse))
    }

    // ----- vrrp_sync_group -------------------------------------------------------

    fn sync_group(&mut self, st: &Stmt) {
        let kw = st.keyword();
        let Some(name) = self.block_name(st) else {
            return;
        };
        let Some(block) = self.block_after(st, 1, "vrrp_sync_group VG_1 { group { VI_1 VI_2 } }")
        else {
            return;
        };
        let mut members = Vec::new();
        for inner in &block.stmts {
            let ikw = inner.keyword();
            match ikw.text.as_str() {
                "group" => {
                    if let Some(b) = &inner.block {
                        for m in &b.stmts {
                            members.extend(m.words.iter().map(|w| w.text.clone()));
                        }
                    } else {
                        members.extend(inner.args().iter().map(|w| w.text.clone()));
                    }
                }
                word if keywords::SYNC_GROUP_KNOWN.contains(&word) => {}
                _ => self.unknown(ikw, "vrrp_sync_group", &[keywords::SYNC_GROUP_KNOWN]),
            }
        }
        self.warn(
            &kw.pos,
            format!("vrrp_sync_group `{name}` is not supported yet; its instances run independently"),
            "the instances of a sync group can change state one by one; keep them on one link with the same priorities to stay together",
        );
        self.sync_groups.push(SyncGroup {
            name,
            members,
            location: kw.pos.location(),
        });
    }

    // ----- vrrp_instance ---------------------------------------------------------

    fn vrrp_instance(&mut self, st: &Stmt) {
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
        );
        if !repeatable {
            seen.check(self.sink, kw);
        }
        match word {
            "state" => {
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
            "interface" => {
                if let Some(v) = self.one_arg(st, "an interface name", "interface eth0") {
                    if v.text.is_empty() || v.text.len() > 15 || v.text.contains('/') {
                        self.error(
                            &v.pos,
                            format!("`{}` is not a valid interface name (1 to 15 characters, no `/`)", v.text),
                            "write the name `ip link` shows, e.g. `interface eth0`",
                        );
                    } else {
                        inst.interface = Some(v.text.clone());
                    }
                }
            }
            "virtual_router_id" => {
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
            "advert_int" => {
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
                            format!("advert_int must be seconds, more than 0 and at most 255, got {}", v.text),
                            "write e.g. `advert_int 1` (VRRPv3 also allows fractions like 0.1)",
                        ),
                    }
                }
            }
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
            "virtual_ipaddress" | "virtual_ipaddress_excluded" => {
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
            "unicast_src_ip" => {
                if let Some(v) = self.one_arg(st, "an IP address", "unicast_src_ip 192.168.1.2") {
                    if let Some(a) = self.address(v, "unicast_src_ip") {
                        inst.unicast_src_ip = Some((a, v.pos.clone()));
                    }
                }
            }
            "unicast_peer" => {
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
            "track_script" => {
                if let Some(block) = self.block(st, "track_script { check_http }") {
                    for line in &block.stmts {
                        let first = line.keyword();
                        let (weight, reverse) = self.track_options(line);
                        inst.track_scripts.push((
                            TrackScript {
                                name: first.text.clone(),
                                weight,
                                reverse,
                                location: first.pos.location(),
                            },
                            first.pos.clone(),
                        ));
                    }
                }
            }
            "track_interface" => {
                if let Some(block) = self.block(st, "track_interface { eth1 weight -20 }") {
                    for line in &block.stmts {
                        let first = line.keyword();
                        let (weight, reverse) = self.track_options(line);
                        inst.track_interfaces.push(TrackInterface {
                            name: first.text.clone(),
                            weight,
                            reverse,
                        });
                    }
                }
            }
            "notify_master" | "notify_backup" | "notify_fault" | "notify_stop" | "notify" => {
                let script = self.notify_script(st);
                let slot = match word {
                    "notify_master" => &mut inst.notify.master,
                    "notify_backup" => &mut inst.notify.backup,
                    "notify_fault" => &mut inst.notify.fault,
                    "notify_stop" => &mut inst.notify.stop,
                    _ => &mut inst.notify.any,
                };
                if script.is_some() {
                    *slot = script;
                }
            }
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
            "use_vmac" => self.warn(
                &kw.pos,
                "`use_vmac` is not supported: skipped; the virtual addresses go on the interface itself with its own MAC",
                "remove it; peers learn the new master's MAC from the gratuitous ARPs / unsolicited NAs sent at takeover",
            ),
            "smtp_alert" => self.warn(
                &kw.pos,
                "`smtp_alert` skipped: not VRRP (vrrp sends no e-mail)",
                "use a notify script to send alerts",
            ),
            _ => {}
        }
    }

    /// `authentication { auth_type PASS auth_pass secret }`.
    fn authentication(&mut self, st: &Stmt, block: &Block) -> Option<Auth> {
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
    fn virtual_address(&mut self, line: &Stmt) -> Option<VirtualAddress> {
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
                "scope" => vip.scope = value(self, "global").map(|w| w.text),
                "brd" | "broadcast" => {
                    if let Some(w) = value(self, "192.168.1.255") {
                        match w.text.parse() {
                            Ok(b) if addr.is_ipv4() => vip.broadcast = Some(b),
                            _ => self.error(
                                &w.pos,
                                format!("broadcast must be an IPv4 address, got `{}`", w.text),
                                "`brd` applies to IPv4 addresses only",
                            ),
                        }
                    }
                }
                "no_track" => vip.no_track = true,
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
    fn notify_script(&mut self, st: &Stmt) -> Option<NotifyScript> {
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

    // ----- resolution and cross-checks ------------------------------------------

    pub(crate) fn finish(mut self) -> Config {
        let raws = std::mem::take(&mut self.instances);
        let mut instances: Vec<(VrrpInstance, Pos)> = Vec::new();
        for raw in raws {
            if let Some(done) = self.resolve(raw) {
                instances.push(done);
            }
        }
        self.check_duplicate_vrids(&instances);
        Config {
            global: self.global,
            scripts: self.scripts,
            instances: instances.into_iter().map(|(i, _)| i).collect(),
            sync_groups: self.sync_groups,
            files: Vec::new(),
        }
    }

    /// Defaults, per-instance checks; `None` if a required value is missing.
    fn resolve(&mut self, raw: RawInstance) -> Option<(VrrpInstance, Pos)> {
        let name = raw.name.clone();
        let mut complete = true;
        if raw.interface.is_none() {
            self.error(
                &raw.pos,
                format!("vrrp_instance `{name}` has no `interface`"),
                "add the interface the adverts go out on, e.g. `interface eth0`",
            );
            complete = false;
        }
        if raw.vrid.is_none() {
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

        // Address family: every VIP of one family.
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

        // Version.
        let version = match (&raw.version, self.global.vrrp_version) {
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
        };

        // Advertisement interval, now that the version is known.
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

        // Authentication (VRRPv2 only).
        let strict = raw.strict || self.global.vrrp_strict;
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

        // Priority: keepalived gives 255 to `state MASTER` without a priority.
        let priority = match (raw.priority, raw.state) {
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
        };

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

        // Unicast addresses must be of the instance's family.
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

        // Scripts must exist.
        for (t, pos) in &raw.track_scripts {
            if self.scripts.iter().all(|s| s.name != t.name) {
                let hint = match nearest(&t.name, self.scripts.iter().map(|s| s.name.as_str())) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!("define it: `vrrp_script {} {{ script \"...\" }}`", t.name),
                };
                self.error(
                    pos,
                    format!(
                        "track_script `{}` is not defined by any vrrp_script",
                        t.name
                    ),
                    hint,
                );
            }
        }

        let (interface, (vrid, vrid_pos)) = match (raw.interface, raw.vrid) {
            (Some(i), Some(v)) if complete => (i, v),
            _ => return None,
        };
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
            unicast_src_ip: raw.unicast_src_ip.map(|(a, _)| a),
            unicast_peers: raw.unicast_peers.into_iter().map(|(a, _)| a).collect(),
            track_scripts: raw.track_scripts.into_iter().map(|(t, _)| t).collect(),
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
        };
        Some((instance, vrid_pos))
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
