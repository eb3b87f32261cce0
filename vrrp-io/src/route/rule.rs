//! [`VirtualRule`]: one rule of `virtual_rules`, with its [`Fwmark`] and [`RuleAction`].

use std::fmt;

use vrrp_core::Family;

use super::names::TableName;
use super::spec::check_ifname;
use super::{Prefix, RouteSpecError};

/// A firewall mark to match (`fwmark MARK[/MASK]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fwmark {
    /// The mark.
    pub mark: u32,
    /// Which bits of the packet's mark are compared; `None` is all of them.
    pub mask: Option<u32>,
}

impl fmt::Display for Fwmark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.mark)?;
        if let Some(mask) = self.mask {
            write!(f, "/{mask:#x}")?;
        }
        Ok(())
    }
}

/// What a rule does with the packets it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleAction {
    /// `lookup TABLE` (also `table TABLE`): route by this table.
    Lookup(u32),
    /// `blackhole`: drop silently.
    Blackhole,
    /// `unreachable`: drop with ICMP unreachable.
    Unreachable,
    /// `prohibit`: drop with ICMP administratively prohibited.
    Prohibit,
    /// `goto PREF`: continue with the rule of that preference.
    Goto(u32),
}

impl fmt::Display for RuleAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleAction::Lookup(table) => write!(f, "lookup {}", TableName(*table)),
            RuleAction::Blackhole => f.write_str("blackhole"),
            RuleAction::Unreachable => f.write_str("unreachable"),
            RuleAction::Prohibit => f.write_str("prohibit"),
            RuleAction::Goto(target) => write!(f, "goto {target}"),
        }
    }
}

/// One rule of `virtual_rules`: installed while the instance is master.
///
/// The preference is required: without one the kernel numbers each new rule before the
/// others, so the order would depend on the order of transitions, and adding it twice
/// would make two rules. (keepalived numbers rules without one itself; its parser does
/// the same here.)
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VirtualRule {
    /// The address family it applies to.
    pub family: Family,
    /// `from`: the source prefix matched; `None` is any (`from all`).
    pub from: Option<Prefix>,
    /// `to`: the destination prefix matched; `None` is any.
    pub to: Option<Prefix>,
    /// `preference` (also `priority`, `order`, `pref`): rules are tried in increasing
    /// preference.
    pub preference: u32,
    /// `iif` (also `dev`): the incoming interface matched, by name. The kernel keeps
    /// names, so the interface need not exist yet.
    pub iif: Option<String>,
    /// `oif`: the outgoing interface matched (sockets bound to it), by name.
    pub oif: Option<String>,
    /// `fwmark`: the firewall mark matched.
    pub fwmark: Option<Fwmark>,
    /// `tos` (also `dsfield`): the TOS / traffic class byte matched.
    pub tos: Option<u8>,
    /// What it does.
    pub action: RuleAction,
    /// `no_track` (keepalived): the instance does not leave master state when the rule
    /// disappears; it comes back at the next transition to master.
    pub no_track: bool,
}

impl VirtualRule {
    /// A rule of `family` at `preference` that matches everything and does `action`.
    pub fn new(family: Family, preference: u32, action: RuleAction) -> Self {
        VirtualRule {
            family,
            from: None,
            to: None,
            preference,
            iif: None,
            oif: None,
            fwmark: None,
            tos: None,
            action,
            no_track: false,
        }
    }

    /// Checks what the kernel would refuse: prefixes of the other family, table 0, a
    /// backward `goto`, a bad interface name.
    pub fn validate(&self) -> Result<(), RouteSpecError> {
        for (what, prefix) in [("from", self.from), ("to", self.to)] {
            if let Some(prefix) = prefix {
                if prefix.family() != self.family {
                    return Err(RouteSpecError::FamilyMismatch {
                        what,
                        addr: prefix.addr(),
                        of: "rule",
                        family: self.family,
                    });
                }
            }
        }
        match self.action {
            RuleAction::Lookup(0) => return Err(RouteSpecError::TableZero),
            RuleAction::Goto(target) if target <= self.preference => {
                return Err(RouteSpecError::GotoBackwards {
                    preference: self.preference,
                    target,
                })
            }
            _ => {}
        }
        for name in [&self.iif, &self.oif].into_iter().flatten() {
            check_ifname(name)?;
        }
        Ok(())
    }
}

impl fmt::Display for VirtualRule {
    /// The arguments of `ip rule add` for this rule. An IPv6 rule without `from` says
    /// `from ::/0` rather than `from all`, so that the family shows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.from, self.family) {
            (Some(from), _) => write!(f, "from {from}")?,
            (None, Family::Ipv4) => f.write_str("from all")?,
            (None, Family::Ipv6) => write!(f, "from {}", Prefix::any(Family::Ipv6))?,
        }
        if let Some(to) = self.to {
            write!(f, " to {to}")?;
        }
        if let Some(tos) = self.tos {
            write!(f, " tos {tos:#04x}")?;
        }
        if let Some(fwmark) = self.fwmark {
            write!(f, " fwmark {fwmark}")?;
        }
        if let Some(iif) = &self.iif {
            write!(f, " iif {iif}")?;
        }
        if let Some(oif) = &self.oif {
            write!(f, " oif {oif}")?;
        }
        write!(f, " pref {} {}", self.preference, self.action)
    }
}
