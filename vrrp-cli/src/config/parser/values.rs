//! The values of directives: one value or none, numbers, durations, addresses, users,
//! commands and weights, each read with the error that says what is expected.

use std::net::IpAddr;
use std::time::Duration;

use super::Parser;
use crate::config::model::{Command, ScriptUser};
use crate::config::tree::{Stmt, Word};
use crate::config::value;

impl Parser<'_> {
    /// The value of a one-value directive, or an error saying what is expected.
    pub(super) fn one_arg<'a>(
        &mut self,
        st: &'a Stmt,
        expected: &str,
        example: &str,
    ) -> Option<&'a Word> {
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
    pub(super) fn flag(&mut self, st: &Stmt) -> bool {
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

    /// A whole number in `range`, or an error like "priority must be 1..=255, got 0".
    pub(super) fn number(
        &mut self,
        st: &Stmt,
        min: i64,
        max: i64,
        example: &str,
        hint: &str,
    ) -> Option<i64> {
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
    pub(super) fn duration(&mut self, st: &Stmt, max_secs: u64, example: &str) -> Option<Duration> {
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
    pub(super) fn address(&mut self, word: &Word, what: &str) -> Option<IpAddr> {
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
    pub(super) fn user(&mut self, st: &Stmt, words: &[Word]) -> Option<ScriptUser> {
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
    pub(super) fn command(&mut self, words: &[Word]) -> Option<Command> {
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

    /// `W [reverse]` after `weight`: -253..=253, as keepalived.
    pub(super) fn weight(&mut self, st: &Stmt, words: &[Word]) -> Option<(i32, bool)> {
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
}
