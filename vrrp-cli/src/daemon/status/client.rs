//! `vrrp status`: asks the daemon and reads its reply.

use std::io;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::deadline::{self, LineEnd};
use serde::de::DeserializeOwned;

use super::model::{ControlReply, ControlResult, ControlVerb, ErrorReply, RouterReport};

/// How long `vrrp status` tries, retries included.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest reply accepted: about 80 000 routers' worth, far beyond any configuration,
/// but a bound all the same.
const MAX_REPLY: usize = 64 << 20;

/// Why `vrrp status` failed.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// No daemon listening, or the socket cannot be opened.
    #[error("cannot reach the daemon at {}: {source} ({})", path.display(), connect_hint(source))]
    Connect {
        /// The socket path.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The daemon understood the request and refused it (not root, unknown request).
    #[error("the daemon at {} refused: {reason}", path.display())]
    Refused {
        /// The socket path.
        path: PathBuf,
        /// What it said.
        reason: String,
    },
    /// The daemon did not answer in time: busy with other clients, or stuck.
    #[error("no answer from the daemon at {} within {} s: {source}", path.display(), waited.as_secs())]
    NoAnswer {
        /// The socket path.
        path: PathBuf,
        /// How long `vrrp status` tried.
        waited: Duration,
        /// The last attempt's failure.
        #[source]
        source: io::Error,
    },
    /// The answer is longer than any daemon would send.
    #[error("the answer from {} is longer than {limit} bytes; not reading further", path.display())]
    TooLong {
        /// The socket path.
        path: PathBuf,
        /// The limit.
        limit: usize,
    },
    /// The answer was not understood.
    #[error("unreadable answer from the daemon at {}: {source}", path.display())]
    Answer {
        /// The socket path.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
}

fn connect_hint(e: &io::Error) -> &'static str {
    if e.kind() == io::ErrorKind::PermissionDenied {
        "the socket is mode 0660: run as its owner (root) or as a member of its group"
    } else {
        "is `vrrp run` running? pass --socket if it uses another path"
    }
}

/// Asks a running daemon for its status, retrying for up to [`QUERY_TIMEOUT`] while it is
/// busy with other clients.
pub fn query(path: &Path) -> Result<Vec<RouterReport>, StatusError> {
    query_within(path, QUERY_TIMEOUT)
}

/// What one connection brought.
enum Attempt<T> {
    Done(T),
    /// Busy, or closed without answering: worth another try.
    Retry(io::Error),
    Fail(StatusError),
}

/// [`query`] giving up after `timeout`.
pub fn query_within(path: &Path, timeout: Duration) -> Result<Vec<RouterReport>, StatusError> {
    request_within(path, b"status\n", timeout)
}

/// Asks a running daemon to hand the instances `names` (all when empty) over to their
/// best backups, or (`verb` resume) to end their demotion. Only root (or the daemon's
/// own user) may; the daemon answers per instance.
pub fn control(
    path: &Path,
    verb: ControlVerb,
    names: &[String],
) -> Result<Vec<ControlResult>, StatusError> {
    let mut request = verb.as_str().to_owned();
    for name in names {
        request.push(' ');
        request.push_str(name);
    }
    request.push('\n');
    let reply: ControlReply = request_within(path, request.as_bytes(), QUERY_TIMEOUT)?;
    Ok(reply.results)
}

/// Sends one request line and reads one reply line of type `T`, retrying while the
/// daemon is busy, for up to `timeout`.
fn request_within<T: DeserializeOwned>(
    path: &Path,
    request: &[u8],
    timeout: Duration,
) -> Result<T, StatusError> {
    let start = Instant::now();
    let deadline = start + timeout;
    let mut pause = Duration::from_millis(50);
    loop {
        let why = match ask(path, request, deadline) {
            Attempt::Done(routers) => return Ok(routers),
            Attempt::Fail(e) => return Err(e),
            Attempt::Retry(why) => why,
        };
        if Instant::now() + pause >= deadline {
            return Err(StatusError::NoAnswer {
                path: path.to_path_buf(),
                waited: start.elapsed(),
                source: why,
            });
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

fn ask<T: DeserializeOwned>(path: &Path, request: &[u8], deadline: Instant) -> Attempt<T> {
    let stream = match UnixStream::connect(path) {
        Ok(s) => s,
        Err(source) => {
            return Attempt::Fail(StatusError::Connect {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    // A daemon at its connection limit may close before reading the request: the write
    // fails then, but its "busy" line may still be there to read.
    let _ = deadline::write_all(&stream, request, deadline);
    let mut line = Vec::new();
    match deadline::read_line(&stream, deadline, MAX_REPLY, Some(&mut line)) {
        Ok(LineEnd::TooLong) => {
            return Attempt::Fail(StatusError::TooLong {
                path: path.to_path_buf(),
                limit: MAX_REPLY,
            })
        }
        Ok(LineEnd::Newline | LineEnd::Eof) => {}
        Err(e) if line.is_empty() => return Attempt::Retry(e),
        // Part of a reply, then an error: parse what came, the error says it is cut.
        Err(_) => {}
    }
    if line.iter().all(u8::is_ascii_whitespace) {
        return Attempt::Retry(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the daemon closed the connection without answering",
        ));
    }
    if let Ok(refused) = serde_json::from_slice::<ErrorReply>(&line) {
        if refused.error.starts_with("busy") {
            return Attempt::Retry(io::Error::other(format!(
                "the daemon refused: {}",
                refused.error
            )));
        }
        return Attempt::Fail(StatusError::Refused {
            path: path.to_path_buf(),
            reason: refused.error,
        });
    }
    match serde_json::from_slice(&line) {
        Ok(routers) => Attempt::Done(routers),
        Err(source) => Attempt::Fail(StatusError::Answer {
            path: path.to_path_buf(),
            source,
        }),
    }
}
