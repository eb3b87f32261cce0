//! `vrrp check`: validate a configuration like `keepalived -t`, printing each diagnostic
//! like a compiler does.

use std::io::{self, Write};
use std::path::Path;

use crate::config::{self, Config, Diagnostic, Parsed, Severity};
use crate::preflight::{self, HostChecks};

/// Exit status when the configuration would run (warnings allowed).
pub const EXIT_OK: i32 = 0;
/// Exit status when the configuration has errors.
pub const EXIT_ERRORS: i32 = 1;
/// Exit status when the configuration file cannot be read.
pub const EXIT_UNREADABLE: i32 = 2;

/// Checks the file at `path`, writes the report to `out` and returns the exit status:
/// [`EXIT_OK`], [`EXIT_ERRORS`] or [`EXIT_UNREADABLE`] (the reason then goes to `err`).
///
/// Besides the syntax, every check `vrrp run` makes before starting is made (see
/// [`preflight`]), with this host's interfaces, addresses and scripts when `host` says
/// so, and every problem is reported.
pub fn run(
    path: &Path,
    host: HostChecks,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    match config::load(path) {
        Ok(mut parsed) => {
            let found = preflight::check(&parsed.config, host);
            add_capped(&mut parsed.diagnostics, found);
            report(path, &parsed, out)?;
            Ok(if parsed.has_errors() {
                EXIT_ERRORS
            } else {
                EXIT_OK
            })
        }
        Err(e) => {
            writeln!(err, "vrrp: error: {e}")?;
            writeln!(
                err,
                "  help: give the configuration file with -f FILE (default {})",
                config::DEFAULT_PATH
            )?;
            Ok(EXIT_UNREADABLE)
        }
    }
}

/// Adds `found` to `listed`, up to [`config::MAX_DIAGNOSTICS`] of each severity in all
/// as the reader does (a file of many instances must not make as many messages), then
/// one more that counts those not listed.
fn add_capped(listed: &mut Vec<Diagnostic>, found: Vec<Diagnostic>) {
    let mut kept = [
        listed.iter().filter(|d| !d.is_error()).count(),
        listed.iter().filter(|d| d.is_error()).count(),
    ];
    let mut dropped = [0usize; 2];
    let mut first_dropped = None;
    for d in found {
        let kind = usize::from(d.is_error());
        if kept[kind] < config::MAX_DIAGNOSTICS {
            kept[kind] += 1;
            listed.push(d);
        } else {
            dropped[kind] += 1;
            first_dropped.get_or_insert(d);
        }
    }
    if let Some(first) = first_dropped {
        let [warnings, errors] = dropped;
        listed.push(Diagnostic {
            severity: if errors > 0 {
                Severity::Error
            } else {
                Severity::Warning
            },
            message: format!(
                "too many problems: {errors} more error(s) and {warnings} more warning(s) of the checks `vrrp run` makes are not shown"
            ),
            hint: "fix the ones shown and check again".to_owned(),
            ..first
        });
    }
}

/// Writes every diagnostic (`FILE:LINE:COL: error|warning: MESSAGE` and an indented
/// `help: HINT` line), then a summary.
pub fn report(path: &Path, parsed: &Parsed, out: &mut dyn Write) -> io::Result<()> {
    for d in &parsed.diagnostics {
        writeln!(out, "{d}")?;
    }
    let errors = parsed.errors().count();
    let warnings = parsed.warnings().count();
    let counts = format!(
        "{errors} {}, {warnings} {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    );
    if !parsed.diagnostics.is_empty() {
        writeln!(out)?;
    }
    if errors > 0 {
        writeln!(
            out,
            "{}: {counts}: vrrp would not start with this configuration",
            path.display()
        )?;
    } else {
        writeln!(out, "{}: configuration OK ({counts})", path.display())?;
        summary(&parsed.config, out)?;
    }
    Ok(())
}

fn summary(config: &Config, out: &mut dyn Write) -> io::Result<()> {
    if config.instances.is_empty() {
        writeln!(out, "  no vrrp_instance: vrrp would have nothing to do")?;
    }
    for i in &config.instances {
        // An address on another interface (`dev`) says which.
        let vips: Vec<String> = i
            .virtual_ipaddress
            .iter()
            .map(|v| match v.dev.as_ref().filter(|d| **d != i.interface) {
                Some(dev) => format!("{} (on {dev})", v.addr),
                None => v.addr.to_string(),
            })
            .collect();
        let state = match i.state {
            Some(s) => format!(", state {s}"),
            None => String::new(),
        };
        writeln!(
            out,
            "  vrrp_instance {}: {} on {}, vrid {}, priority {}{state}, advert {}, {}{}, VIPs {}",
            i.name,
            i.version,
            i.interface,
            i.vrid,
            i.priority,
            interval(i.advert_int.get()),
            i.family,
            if i.nopreempt { ", nopreempt" } else { "" },
            vips.join(" ")
        )?;
    }
    for s in &config.scripts {
        writeln!(
            out,
            "  vrrp_script {}: `{}` every {:?}, weight {}",
            s.name, s.script, s.interval, s.weight
        )?;
    }
    Ok(())
}

fn interval(cs: u16) -> String {
    if cs % 100 == 0 {
        format!("{}s", cs / 100)
    } else {
        let text = format!("{}.{:02}", cs / 100, cs % 100);
        format!("{}s", text.trim_end_matches('0'))
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}
