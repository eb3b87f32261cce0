//! What route and rule lines share: numbers as keepalived reads them, the family a line
//! says, and the values and errors of their options.

use vrrp_core::Family;
use vrrp_io::netlink::validate_ifname;
use vrrp_io::route::{protocol_by_name, table_by_name, Fwmark, Prefix, RouteScope, RouteSpecError};

use crate::config::diag::Pos;
use crate::config::parser::Parser;
use crate::config::suggest::nearest;
use crate::config::tree::{Stmt, Word};

/// A number as keepalived reads most of these (C's `strtoul` base 0): `0x` hexadecimal,
/// a leading `0` octal, else decimal. No sign.
pub(super) fn c_number(text: &str) -> Option<u64> {
    let (digits, radix) = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None if text.len() > 1 && text.starts_with('0') => (&text[1..], 8),
        None => (text, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// The address family of a line, once a word has said it, and which word did.
#[derive(Default)]
pub(super) struct FamilySeen {
    seen: Option<(Family, String)>,
}

impl FamilySeen {
    pub(super) fn get(&self) -> Option<Family> {
        self.seen.as_ref().map(|(f, _)| *f)
    }
}

impl Parser<'_> {
    /// A route or rule line has no block.
    pub(super) fn no_line_block(&mut self, line: &Stmt, what: &str) {
        if let Some(block) = &line.block {
            self.error(
                &block.open,
                format!("a {what} does not take a `{{ ... }}` block"),
                format!("write one {what} per line"),
            );
        }
    }

    /// The word after option `opt`, or an error that says what it needs.
    pub(super) fn value<'a>(
        &mut self,
        words: &mut std::slice::Iter<'a, Word>,
        opt: &Word,
        what: &str,
        example: &str,
    ) -> Option<&'a Word> {
        let value = words.next();
        if value.is_none() {
            self.error(
                &opt.pos,
                format!("`{}` needs a value: {what}", opt.text),
                format!("write e.g. `{example}`"),
            );
        }
        value
    }

    /// Records the family `word` says; an error if another word said the other one.
    pub(super) fn line_family(
        &mut self,
        seen: &mut FamilySeen,
        family: Family,
        word: &Word,
        what: &str,
    ) -> Option<()> {
        match &seen.seen {
            None => {
                seen.seen = Some((family, word.text.clone()));
                Some(())
            }
            Some((f, _)) if *f == family => Some(()),
            Some((f, by)) => {
                let message = format!(
                    "cannot mix IPv4 and IPv6 in one {what}: `{}` is {family}, but `{by}` made it {f}",
                    word.text
                );
                self.error(
                    &word.pos,
                    message,
                    format!("a {what}'s addresses are all IPv4 or all IPv6 (a gateway of the other family is not supported); `inet6` makes a {what} IPv6 where nothing else says so"),
                );
                None
            }
        }
    }

    /// An address without a prefix length (`src`, `via`).
    pub(super) fn plain_address(&mut self, w: &Word, what: &str) -> Option<std::net::IpAddr> {
        match w.text.parse() {
            Ok(addr) => Some(addr),
            Err(_) => {
                self.error(
                    &w.pos,
                    format!("{what} must be an IP address, got `{}`", w.text),
                    "write an address without a prefix length, e.g. 192.168.200.254 or fd00::1",
                );
                None
            }
        }
    }

    /// `ADDR[/LEN]` as a prefix: no host bits, as ip and the kernel require.
    pub(super) fn prefix(&mut self, w: &Word, text: &str, what: &str) -> Option<Prefix> {
        match text.parse::<Prefix>() {
            Ok(prefix) => Some(prefix),
            Err(e) => {
                let hint = match &e {
                    RouteSpecError::HostBitsSet { network, .. } => format!(
                        "write the network, `{network}`, or the one address with /32 (/128 for IPv6)"
                    ),
                    _ => "write ADDR/LEN, e.g. 192.168.110.0/24 or fd00:110::/64, or `default`"
                        .to_owned(),
                };
                self.error(&w.pos, format!("{what}: {e}"), hint);
                None
            }
        }
    }

    /// An interface name the kernel could have.
    pub(super) fn interface_name(&mut self, w: &Word) -> Option<()> {
        match validate_ifname(&w.text) {
            Ok(()) => Some(()),
            Err(e) => {
                self.error(
                    &w.pos,
                    e.to_string(),
                    "write the name `ip link` shows, e.g. `dev eth1`",
                );
                None
            }
        }
    }

    /// `table`: a number, or `local`, `main`, `default`.
    pub(super) fn table(&mut self, w: &Word) -> Option<u32> {
        let table = table_by_name(&w.text)
            .or_else(|| c_number(&w.text).and_then(|n| u32::try_from(n).ok()));
        match table {
            Some(0) => {
                self.error(
                    &w.pos,
                    "table 0 is not a routing table",
                    "write `table main` (what the kernel makes of 0) or another table",
                );
                None
            }
            Some(table) => Some(table),
            None => {
                self.error(
                    &w.pos,
                    format!("unknown routing table `{}`", w.text),
                    "write a number 1..=4294967295 or local, main, default (names from /etc/iproute2/rt_tables are not read)",
                );
                None
            }
        }
    }

    /// `protocol`: a number 0..=255 or a name from iproute2's rt_protos.
    pub(super) fn protocol(&mut self, w: &Word) -> Option<u8> {
        let protocol = protocol_by_name(&w.text)
            .or_else(|| c_number(&w.text).and_then(|n| u8::try_from(n).ok()));
        if protocol.is_none() {
            self.error(
                &w.pos,
                format!("unknown route protocol `{}`", w.text),
                "write a number 0..=255 or a name iproute2 knows (static, boot, bird, keepalived, ...)",
            );
        }
        protocol
    }

    /// `scope`: global (universe), site, link, host or their numbers.
    pub(super) fn scope(&mut self, w: &Word) -> Option<RouteScope> {
        let scope = RouteScope::from_name(&w.text).or_else(|| {
            c_number(&w.text)
                .and_then(|n| u8::try_from(n).ok())
                .and_then(RouteScope::from_number)
        });
        if scope.is_none() {
            self.error(
                &w.pos,
                format!("`{}` is not a route scope", w.text),
                "write global, site, link or host (the kernel refuses nowhere for a route)",
            );
        }
        scope
    }

    /// A number 0..=4294967295 (keepalived reads it as C does: 0x hex, leading 0 octal).
    pub(super) fn u32_value(&mut self, w: &Word, what: &str) -> Option<u32> {
        let n = c_number(&w.text).and_then(|n| u32::try_from(n).ok());
        if n.is_none() {
            self.error(
                &w.pos,
                format!("{what} must be a number 0..=4294967295, got `{}`", w.text),
                format!("write e.g. `{what} 100`"),
            );
        }
        n
    }

    /// `fwmark MARK[/MASK]`.
    pub(super) fn fwmark(&mut self, w: &Word) -> Option<Fwmark> {
        let number = |t: &str| c_number(t).and_then(|n| u32::try_from(n).ok());
        let parsed = match w.text.split_once('/') {
            None => number(&w.text).map(|mark| Fwmark { mark, mask: None }),
            Some((mark, mask)) => number(mark).zip(number(mask)).map(|(mark, mask)| Fwmark {
                mark,
                mask: Some(mask),
            }),
        };
        if parsed.is_none() {
            self.error(
                &w.pos,
                format!(
                    "fwmark must be MARK or MARK/MASK, numbers 0..=4294967295, got `{}`",
                    w.text
                ),
                "write e.g. `fwmark 0x10` or `fwmark 0x10/0xff`",
            );
        }
        parsed
    }

    /// An option of a route or rule line that nobody knows.
    pub(super) fn unknown_option(&mut self, w: &Word, what: &str, known: &[&str]) {
        let hint = match nearest(&w.text, known.iter().copied()) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!(
                "check the {what} against keepalived.conf(5); its options are {}",
                known.join(", ")
            ),
        };
        let pos: Pos = w.pos.clone();
        self.error(&pos, format!("unknown {what} option `{}`", w.text), hint);
    }
}
