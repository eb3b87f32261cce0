//! `vrrp status`: a Unix socket that answers with every router's state as JSON.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};
use vrrp_io::event_loop::RouterStatus;
use vrrp_io::Handle;

/// Where `vrrp run` listens and `vrrp status` asks by default.
pub const DEFAULT_SOCKET: &str = "/run/vrrp/vrrp.sock";

/// Serves status requests until the process ends. Removes a stale socket file first.
pub fn serve(path: &Path, handle: Handle) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path)?;
    std::thread::Builder::new()
        .name("status".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = answer(stream, &handle);
            }
        })?;
    Ok(())
}

fn answer(mut stream: UnixStream, handle: &Handle) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line)?;
    let routers = handle.status().unwrap_or_default();
    let body = Value::Array(routers.iter().map(to_json).collect());
    writeln!(stream, "{body}")
}

/// One router as JSON: what `vrrp status --json` prints.
pub fn to_json(r: &RouterStatus) -> Value {
    let s = &r.statistics;
    let d = &s.drops;
    json!({
        "name": r.name,
        "interface": r.interface,
        "family": r.family.to_string(),
        "vrid": r.vrid.get(),
        "state": r.state.as_str(),
        "base_priority": r.base_priority.get(),
        "effective_priority": r.effective_priority.get(),
        "tracks": r.tracks.iter().map(|t| json!({
            "id": t.id.0, "weight": t.weight, "up": t.up, "contribution": t.contribution,
        })).collect::<Vec<_>>(),
        "master": r.master.map(|(a, _)| a.to_string()),
        "master_priority": r.master.map(|(_, p)| p.get()),
        "last_transition": r.last_transition.map(|(ago, reason)| json!({
            "seconds_ago": ago.as_secs_f64(), "reason": reason.to_string(),
        })),
        "advert_interval_cs": r.master_adver_interval.get(),
        "peers": r.peer_checksum_forms.iter().map(|(a, f)| json!({"address": a.to_string(), "checksum_form": f.as_str()})).collect::<Vec<_>>(),
        "virtual_addresses": r.virtual_addresses.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        "counters": {
            "adverts_received": s.adverts_received,
            "adverts_sent": s.adverts_sent,
            "priority_zero_received": s.priority_zero_received,
            "priority_zero_sent": s.priority_zero_sent,
            "master_transitions": s.master_transitions,
            "address_list_errors": s.address_list_errors,
            "ip_ttl_errors": d.ip_ttl_errors,
            "packet_length_errors": d.packet_length_errors,
            "version_errors": d.version_errors,
            "invalid_type": d.invalid_type,
            "checksum_errors": d.checksum_errors,
            "vrid_errors": d.vrid_errors,
            "interval_errors": d.interval_errors,
            "invalid_auth_type": d.invalid_auth_type,
            "auth_type_mismatch": d.auth_type_mismatch,
            "auth_failures": d.auth_failures,
            "address_owner": d.address_owner,
        },
    })
}

/// Why `vrrp status` failed.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// No daemon listening.
    #[error("cannot reach the daemon at {}: {source} (is `vrrp run` running? pass --socket if it uses another path)", path.display())]
    Connect {
        /// The socket path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The answer was not understood.
    #[error("unreadable answer from the daemon: {0}")]
    Answer(String),
}

/// Asks a running daemon for its status.
pub fn query(path: &Path) -> Result<Vec<Value>, StatusError> {
    let connect = |source| StatusError::Connect {
        path: path.to_path_buf(),
        source,
    };
    let mut stream = UnixStream::connect(path).map_err(connect)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(connect)?;
    writeln!(stream, "status").map_err(connect)?;
    let mut line = String::new();
    BufReader::new(&stream)
        .read_line(&mut line)
        .map_err(connect)?;
    match serde_json::from_str::<Value>(&line) {
        Ok(Value::Array(routers)) => Ok(routers),
        Ok(other) => Err(StatusError::Answer(other.to_string())),
        Err(e) => Err(StatusError::Answer(e.to_string())),
    }
}

/// The human form of `vrrp status`.
pub fn render_text(routers: &[Value], out: &mut dyn Write) -> std::io::Result<()> {
    if routers.is_empty() {
        return writeln!(out, "no virtual routers");
    }
    for r in routers {
        let get = |k: &str| r.get(k).cloned().unwrap_or(Value::Null);
        let text = |k: &str| match get(k) {
            Value::String(s) => s,
            Value::Null => "-".to_owned(),
            v => v.to_string(),
        };
        writeln!(
            out,
            "{} ({} {} VRID {}): {}",
            text("name"),
            text("interface"),
            text("family"),
            text("vrid"),
            text("state").to_uppercase()
        )?;
        let mut why = format!(
            "  priority {} = base {}",
            text("effective_priority"),
            text("base_priority")
        );
        if let Some(Value::Array(tracks)) = r.get("tracks") {
            for t in tracks {
                let c = t.get("contribution").and_then(Value::as_i64).unwrap_or(0);
                let up = t.get("up").and_then(Value::as_bool).unwrap_or(true);
                let id = t.get("id").and_then(Value::as_u64).unwrap_or(0);
                let w = t.get("weight").and_then(Value::as_i64).unwrap_or(0);
                let what = if id == 0 {
                    "own interface".to_owned()
                } else {
                    format!("track {id}")
                };
                if c != 0 {
                    why.push_str(&format!(
                        " {c:+} ({what} {}, weight {w})",
                        if up { "up" } else { "down" }
                    ));
                } else if !up && w == 0 {
                    why.push_str(&format!(" [FAULT: {what} down]"));
                }
            }
        }
        writeln!(out, "{why}")?;
        writeln!(
            out,
            "  master {} (priority {})",
            text("master"),
            text("master_priority")
        )?;
        if let Some(t) = r.get("last_transition").filter(|t| !t.is_null()) {
            let ago = t.get("seconds_ago").and_then(Value::as_f64).unwrap_or(0.0);
            let reason = t.get("reason").and_then(Value::as_str).unwrap_or("");
            writeln!(out, "  last change {ago:.1}s ago: {reason}")?;
        }
        if let Some(Value::Array(peers)) = r.get("peers") {
            for p in peers {
                writeln!(
                    out,
                    "  peer {} checksum form {}",
                    p.get("address").and_then(Value::as_str).unwrap_or("-"),
                    p.get("checksum_form")
                        .and_then(Value::as_str)
                        .unwrap_or("-")
                )?;
            }
        }
        if let Some(Value::Object(c)) = r.get("counters") {
            let nonzero: Vec<String> = c
                .iter()
                .filter(|(_, v)| v.as_u64().unwrap_or(0) > 0)
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
    }
    Ok(())
}
