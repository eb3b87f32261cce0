//! One line of `virtual_rules`: the rule options we read and those we refuse, and the
//! preferences keepalived gives rules written without one.

use vrrp_core::Family;
use vrrp_io::route::{Prefix, RouteSpecError, RouteType, RuleAction, VirtualRule};

use super::route_line::ROUTE_REFUSED;
use super::values::{c_number, FamilySeen};
use super::RawRule;
use crate::config::parser::instance::RawInstance;
use crate::config::parser::Parser;
use crate::config::tree::{Stmt, Word};

/// The rule options we read.
const RULE_OPTIONS: &[&str] = &[
    "from",
    "to",
    "table",
    "lookup",
    "preference",
    "priority",
    "order",
    "pref",
    "tos",
    "dsfield",
    "fwmark",
    "dev",
    "iif",
    "oif",
    "no_track",
    "inet",
    "inet6",
    "type",
    "goto",
    "blackhole",
    "unreachable",
    "prohibit",
];

/// keepalived's rule options that we refuse, with what to do instead.
const RULE_REFUSED: &[(&str, &str)] = &[
    ("not", "remove it: inverted rules are not implemented"),
    ("nop", "use another action: `nop` is not implemented"),
    ("realms", "remove it: realms are not implemented"),
    (
        "suppress_prefixlength",
        "remove it: suppressors are not implemented",
    ),
    ("sup_pl", "remove it: suppressors are not implemented"),
    (
        "suppress_ifgroup",
        "remove it: suppressors are not implemented",
    ),
    ("sup_group", "remove it: suppressors are not implemented"),
    (
        "tunnel-id",
        "remove it: matching the tunnel id is not implemented",
    ),
    (
        "uidrange",
        "remove it: matching user ids is not implemented",
    ),
    ("l3mdev", "remove it: l3mdev rules are not implemented"),
    (
        "protocol",
        "remove it: rules are installed with protocol keepalived",
    ),
    (
        "ipproto",
        "remove it: matching the IP protocol is not implemented",
    ),
    ("sport", "remove it: matching ports is not implemented"),
    ("dport", "remove it: matching ports is not implemented"),
    (
        "track_group",
        "remove it: track_group applies to static_rules only",
    ),
];

/// The preference keepalived gives the first rule of each family written without one;
/// each next one gets one less, so that rules keep the order of the file whatever the
/// order of transitions.
const FIRST_ASSIGNED_PREFERENCE: u32 = 16384;

impl Parser<'_> {
    /// One line of `virtual_rules`, or `None` after reporting what is wrong with it.
    pub(in crate::config::parser) fn virtual_rule(
        &mut self,
        inst: &RawInstance,
        line: &Stmt,
    ) -> Option<RawRule> {
        self.no_line_block(line, "rule");
        let mut words = line.words.iter();
        let mut family = FamilySeen::default();
        let mut from: Option<Option<Prefix>> = None;
        let mut to: Option<Option<Prefix>> = None;
        let mut action: Option<(RuleAction, &Word)> = None;
        let mut preference: Option<u32> = None;
        let mut iif = None;
        let mut oif = None;
        let mut fwmark = None;
        let mut tos = None;
        let mut no_track = false;
        while let Some(w) = words.next() {
            let mut new_action = None;
            match w.text.as_str() {
                "inet" => self.line_family(&mut family, Family::Ipv4, w, "rule")?,
                "inet6" => self.line_family(&mut family, Family::Ipv6, w, "rule")?,
                "from" | "to" => {
                    let v =
                        self.value(&mut words, w, "a prefix or `all`", "from 192.168.2.0/24")?;
                    let prefix = match v.text.as_str() {
                        "all" | "any" | "default" => None,
                        text => {
                            let p = self.prefix(v, text, &format!("rule `{}`", w.text))?;
                            self.line_family(&mut family, p.family(), v, "rule")?;
                            Some(p)
                        }
                    };
                    if w.text == "from" {
                        from = Some(prefix);
                    } else {
                        to = Some(prefix);
                    }
                }
                "table" | "lookup" => {
                    let v = self.value(&mut words, w, "a table", "table 100")?;
                    new_action = Some(RuleAction::Lookup(self.table(v)?));
                }
                "preference" | "priority" | "order" | "pref" => {
                    let v = self.value(&mut words, w, "a number", "preference 100")?;
                    preference = Some(self.u32_value(v, &w.text)?);
                }
                "tos" | "dsfield" => {
                    let v = self.value(&mut words, w, "a number 0..=255", "tos 0x10")?;
                    match c_number(&v.text).and_then(|n| u8::try_from(n).ok()) {
                        Some(n) => tos = Some(n),
                        None => {
                            self.error(
                                &v.pos,
                                format!("{} must be a number 0..=255, got `{}`", w.text, v.text),
                                "write the value as a number, e.g. `tos 0x10` (names from /etc/iproute2/rt_dsfield are not read)",
                            );
                            return None;
                        }
                    }
                }
                "fwmark" => {
                    let v = self.value(&mut words, w, "MARK[/MASK]", "fwmark 0x10/0xff")?;
                    fwmark = Some(self.fwmark(v)?);
                }
                "dev" | "iif" => {
                    let v = self.value(&mut words, w, "an interface", "iif eth0")?;
                    self.interface_name(v)?;
                    iif = Some(v.text.clone());
                }
                "oif" => {
                    let v = self.value(&mut words, w, "an interface", "oif eth1")?;
                    self.interface_name(v)?;
                    oif = Some(v.text.clone());
                }
                "no_track" => no_track = true,
                other => {
                    // `type ACTION` is the same as `ACTION`.
                    let a = if other == "type" {
                        self.value(&mut words, w, "an action", "type blackhole")?
                    } else {
                        w
                    };
                    match a.text.as_str() {
                        "goto" => {
                            let v = self.value(&mut words, a, "a preference", "goto 200")?;
                            new_action = Some(RuleAction::Goto(self.u32_value(v, "goto")?));
                        }
                        "blackhole" => new_action = Some(RuleAction::Blackhole),
                        "unreachable" => new_action = Some(RuleAction::Unreachable),
                        "prohibit" => new_action = Some(RuleAction::Prohibit),
                        text => {
                            if let Some((_, why)) = RULE_REFUSED.iter().find(|(o, _)| *o == text) {
                                self.error(
                                    &a.pos,
                                    format!("rule option `{text}` is not supported"),
                                    *why,
                                );
                            } else if RouteType::from_name(text).is_some()
                                || ROUTE_REFUSED.iter().any(|(o, _)| *o == text)
                            {
                                self.error(
                                    &a.pos,
                                    format!("`{text}` is not a rule action"),
                                    "a rule does one of: table N (lookup N), goto N, blackhole, unreachable, prohibit",
                                );
                            } else {
                                self.unknown_option(a, "rule", RULE_OPTIONS);
                            }
                            return None;
                        }
                    }
                }
            }
            if let Some(new) = new_action {
                if let Some((_, first)) = action {
                    self.error(
                        &w.pos,
                        format!("the rule already has the action `{}`", first.text),
                        "give one of: table N (lookup N), goto N, blackhole, unreachable, prohibit",
                    );
                    return None;
                }
                action = Some((new, w));
            }
        }
        let Some((action, action_word)) = action else {
            self.error(
                line.pos(),
                "the rule has no action",
                "add one of: table N (lookup N), goto N, blackhole, unreachable, prohibit; e.g. `from 192.168.2.0/24 table 100 preference 100`",
            );
            return None;
        };
        let family = family.get().unwrap_or(Family::Ipv4);
        let numbered = preference.is_none();
        let preference = match (preference, action) {
            (Some(p), _) => p,
            (None, RuleAction::Goto(_)) => {
                self.error(
                    &action_word.pos,
                    "a rule with `goto` needs a preference (it may only jump forward from it)",
                    "add e.g. `preference 100`",
                );
                return None;
            }
            (None, _) => {
                let taken = self
                    .instances
                    .iter()
                    .flat_map(|i| i.virtual_rules.iter())
                    .chain(inst.virtual_rules.iter())
                    .filter(|r| r.numbered && r.rule.family == family)
                    .count();
                let assigned = u32::try_from(taken)
                    .ok()
                    .and_then(|n| FIRST_ASSIGNED_PREFERENCE.checked_sub(n))
                    .unwrap_or(0);
                self.warn(
                    line.pos(),
                    format!("the rule has no preference: it gets {assigned}, as keepalived numbers such rules ({FIRST_ASSIGNED_PREFERENCE} for the first of each family, one less for each next)"),
                    "give each rule a preference, e.g. `preference 100`, so that their order is the one you mean",
                );
                assigned
            }
        };
        let mut rule = VirtualRule::new(family, preference, action);
        rule.from = from.flatten();
        rule.to = to.flatten();
        rule.iif = iif;
        rule.oif = oif;
        rule.fwmark = fwmark;
        rule.tos = tos;
        rule.no_track = no_track;
        if let Err(e) = rule.validate() {
            let (pos, hint) = match e {
                RouteSpecError::GotoBackwards { .. } => (
                    &action_word.pos,
                    "jump to a preference above the rule's own",
                ),
                _ => (
                    line.pos(),
                    "check the line against keepalived.conf(5), virtual_rules",
                ),
            };
            let pos = pos.clone();
            self.error(&pos, format!("rule `{rule}`: {e}"), hint);
            return None;
        }
        Some(RawRule { rule, numbered })
    }
}
