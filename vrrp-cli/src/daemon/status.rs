//! `vrrp status`: a Unix socket that answers with every router's state as JSON.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};
use vrrp_io::Handle;
use vrrp_io::RouterStatus;

/// Where `vrrp run` listens and `vrrp status` asks by default.
pub const DEFAULT_SOCKET: &str = "/run/vrrp/vrrp.sock";

/// Serves status requests on `listener` (from [`bind`]) until the process ends.
pub fn serve(listener: UnixListener, handle: Handle) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("status".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = answer(stream, &handle);
            }
        })?;
    Ok(())
}

/// Creates the status socket at `path` (and its directory). Removes a stale socket file
/// left by a daemon that died, but refuses one that a running daemon still answers on.
pub fn bind(path: &Path) -> std::io::Result<UnixListener> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    if UnixStream::connect(path).is_ok() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            "another vrrp daemon answers on this socket; stop it or pass --status-socket",
        ));
    }
    let _ = std::fs::remove_file(path);
    UnixListener::bind(path)
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
            "unknown_unicast_source": d.unknown_unicast_source,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_status_explains_priority_master_and_peers() {
        let router = json!({
            "name": "VI_1", "interface": "eth0", "family": "IPv4", "vrid": 51,
            "state": "backup", "base_priority": 100, "effective_priority": 98,
            "tracks": [
                {"id": 0, "weight": 0, "up": true, "contribution": 0},
                {"id": 1000, "weight": -2, "up": false, "contribution": -2},
            ],
            "master": "192.168.100.10", "master_priority": 101,
            "last_transition": {"seconds_ago": 12.5, "reason": "started, waiting for a master"},
            "peers": [{"address": "192.168.100.10", "checksum_form": "v2"}],
            "counters": {"adverts_received": 12, "auth_failures": 0},
        });
        let mut out = Vec::new();
        render_text(&[router], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("VI_1 (eth0 IPv4 VRID 51): BACKUP"), "{text}");
        assert!(
            text.contains("priority 98 = base 100 -2 (track 1000 down, weight -2)"),
            "{text}"
        );
        assert!(
            text.contains("master 192.168.100.10 (priority 101)"),
            "{text}"
        );
        assert!(
            text.contains("last change 12.5s ago: started, waiting for a master"),
            "{text}"
        );
        assert!(
            text.contains("peer 192.168.100.10 checksum form v2"),
            "{text}"
        );
        assert!(text.contains("counters adverts_received=12"), "{text}");
        assert!(
            !text.contains("auth_failures"),
            "zero counters are left out: {text}"
        );
    }

    #[test]
    fn a_live_status_socket_is_not_taken_over_but_a_stale_one_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run").join("vrrp.sock");
        let live = bind(&path).expect("creates the directory and the socket");
        let err = bind(&path).expect_err("a running daemon answers there");
        assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
        assert!(
            UnixStream::connect(&path).is_ok(),
            "the live socket still works"
        );
        // The daemon dies without cleaning up: its socket file stays, nobody answers.
        drop(live);
        assert!(path.exists());
        bind(&path).expect("a stale socket file is replaced");
    }
}
