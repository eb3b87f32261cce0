//! The human form of `vrrp status`, and the JSON form.

use std::io::{self, Write};

use super::model::RouterReport;

/// `vrrp status --json`: the reports as one JSON array on one line.
pub fn write_json(routers: &[RouterReport], out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer(&mut *out, routers).map_err(io::Error::from)?;
    writeln!(out)
}

/// `vrrp status`: per router, its state, the effective priority and what makes it, each
/// tracked object by name, the master, the last change and why, the peers, and the
/// counters that are not zero.
pub fn render_text(routers: &[RouterReport], out: &mut dyn Write) -> io::Result<()> {
    if routers.is_empty() {
        return writeln!(out, "no virtual routers");
    }
    for r in routers {
        let demotion = match (r.handing_over, r.demoted) {
            (true, _) => " (handing over, demoted until `vrrp resume`)",
            (false, true) => " (demoted until `vrrp resume`)",
            (false, false) => "",
        };
        writeln!(
            out,
            "{} ({} {} VRID {}): {}{demotion}",
            r.name,
            r.interface,
            r.family,
            r.vrid,
            r.state.to_uppercase()
        )?;
        let mut why = format!(
            "  priority {} = base {}",
            r.effective_priority, r.base_priority
        );
        for t in &r.tracks {
            let state = if t.up { "up" } else { "down" };
            if t.contribution != 0 {
                why.push_str(&format!(
                    " {:+} ({} {state}, weight {})",
                    t.contribution,
                    t.label(),
                    t.weight
                ));
            } else if !t.up && t.weight == 0 {
                why.push_str(&format!(" [FAULT: {} down]", t.label()));
            }
        }
        writeln!(out, "{why}")?;
        for t in &r.tracks {
            let state = if t.up { "up" } else { "down" };
            if t.weight == 0 {
                writeln!(
                    out,
                    "  track {}: {state}, weight 0 (fault while down)",
                    t.label()
                )?;
            } else {
                writeln!(
                    out,
                    "  track {}: {state}, weight {:+}, counts {:+}",
                    t.label(),
                    t.weight,
                    t.contribution
                )?;
            }
        }
        match (r.master, r.master_priority) {
            (Some(m), Some(p)) => writeln!(out, "  master {m} (priority {p})")?,
            (Some(m), None) => writeln!(out, "  master {m}")?,
            (None, _) => writeln!(out, "  master unknown")?,
        }
        if let Some(t) = &r.last_transition {
            writeln!(out, "  last change {:.1}s ago: {}", t.seconds_ago, t.reason)?;
        }
        for p in &r.peers {
            writeln!(
                out,
                "  peer {} checksum form {}",
                p.address, p.checksum_form
            )?;
        }
        let nonzero: Vec<String> = r
            .counters
            .iter()
            .filter(|(_, v)| *v > 0)
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        writeln!(
            out,
            "  counters {}",
            if nonzero.is_empty() {
                "all zero".to_owned()
            } else {
                nonzero.join(" ")
            }
        )?;
    }
    Ok(())
}
