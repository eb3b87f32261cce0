//! The daemon's side: answers each connection on its own short-lived thread, with
//! deadlines and limits so that no client can stall another or grow the daemon.
//!
//! Protocol: the client sends one line, the server answers one line and closes:
//! - `status` (or an empty line): a JSON array of [`RouterReport`]s;
//! - `handover [NAME...]` / `resume [NAME...]` (all instances when no name): a
//!   [`ControlReply`]; accepted only from root or the daemon's own user (the peer's
//!   credentials on the socket), since they change what the routers do.
//!
//! A connection beyond the limit, a request longer than the limit, an unknown request or
//! a control request from another user gets one line `{"error": "..."}` (written only if
//! it fits in the socket buffer at once) and is closed.

use std::io;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vrrp_io::RouterStatus;

use super::deadline::{self, LineEnd};
use super::model::{
    ControlReply, ControlResult, ControlVerb, ErrorReply, RouterReport, SharedTrackNames,
};
use super::socket::StatusSocket;

/// What the server asks: the routers' status, and (for root) handovers. The daemon
/// implements it over `vrrp_io::Handle`; a closure returning the status is a backend
/// that refuses handovers (tests, read-only uses).
pub trait Backend: Send + Sync {
    /// Every router's status.
    fn status(&self) -> Vec<RouterStatus>;

    /// Counters of packets that reached no router (unknown VRIDs, VRID 0, too short),
    /// if the backend knows them.
    fn unattributed(&self) -> Option<vrrp_core::UnattributedStatistics> {
        None
    }

    /// Carries out a control request; `Err` when the routers cannot be reached.
    fn control(&self, verb: ControlVerb, names: Vec<String>) -> Result<Vec<ControlResult>, String> {
        let _ = names;
        Err(format!("`{}` is not available here", verb.as_str()))
    }
}

impl<F> Backend for F
where
    F: Fn() -> Vec<RouterStatus> + Send + Sync,
{
    fn status(&self) -> Vec<RouterStatus> {
        self()
    }
}

/// The backend as the server holds it.
pub type StatusSource = dyn Backend;

/// The server's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time from accepting a connection to the end of its request line.
    pub request_deadline: Duration,
    /// Time to write the whole reply once it is ready.
    pub reply_deadline: Duration,
    /// The longest request, newline included.
    pub max_request: usize,
    /// Connections served at once; more are closed at once.
    pub max_connections: usize,
}

impl Default for Limits {
    /// 1 s to send the request, 2 s to take the reply, 4 KiB per request, 16 connections.
    fn default() -> Self {
        Limits {
            request_deadline: Duration::from_secs(1),
            reply_deadline: Duration::from_secs(2),
            max_request: 4096,
            max_connections: 16,
        }
    }
}

/// Serves status requests on `socket` with the default [`Limits`], from a thread, until
/// the process ends. `source` is asked once per request; `names` names the tracks and
/// may be replaced at any time (on reload).
pub fn serve<F>(socket: &StatusSocket, source: F, names: SharedTrackNames) -> io::Result<()>
where
    F: Backend + 'static,
{
    serve_with(socket, Arc::new(source), names, Limits::default())
}

/// [`serve`] with explicit limits.
pub fn serve_with(
    socket: &StatusSocket,
    source: Arc<StatusSource>,
    names: SharedTrackNames,
    limits: Limits,
) -> io::Result<()> {
    let listener = socket.listener().try_clone()?;
    let open = Arc::new(AtomicUsize::new(0));
    accept_on_thread(
        "status",
        move || listener.accept().map(|(s, _)| s),
        move |stream| dispatch(stream, &source, &names, &open, limits),
    )
}

/// Accepts connections with `accept` on a thread called `name`, handing each to
/// `dispatch`, until the process ends. The status socket and the metrics endpoint share
/// it.
pub(crate) fn accept_on_thread<S>(
    name: &str,
    mut accept: impl FnMut() -> io::Result<S> + Send + 'static,
    mut dispatch: impl FnMut(S) + Send + 'static,
) -> io::Result<()> {
    let label = name.to_owned();
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || loop {
            match accept() {
                Ok(stream) => dispatch(stream),
                Err(e) => {
                    // Out of file descriptors or memory: wait instead of spinning on an
                    // error that repeats until something is closed.
                    tracing::debug!("{label}: accept failed: {e}");
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        })?;
    Ok(())
}

/// One connection slot; gives it back when the connection's thread ends.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn dispatch(
    stream: UnixStream,
    source: &Arc<StatusSource>,
    names: &SharedTrackNames,
    open: &Arc<AtomicUsize>,
    limits: Limits,
) {
    if open.fetch_add(1, Ordering::AcqRel) >= limits.max_connections {
        open.fetch_sub(1, Ordering::AcqRel);
        refuse(
            &stream,
            &format!(
                "busy: {} status connections open, try again",
                limits.max_connections
            ),
        );
        return;
    }
    let slot = Slot(open.clone());
    let (source, names) = (source.clone(), names.clone());
    // If the thread cannot start, the closure (and with it the slot and the stream) is
    // dropped: the client sees the connection closed and may retry.
    let spawned = std::thread::Builder::new()
        .name("status-client".into())
        .spawn(move || {
            let _slot = slot;
            if let Err(e) = answer(&stream, &*source, &names, limits) {
                tracing::debug!("status client: {e}");
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("status socket: cannot start a thread for a client: {e}");
    }
}

/// One best-effort error line, never blocking, then the connection is closed.
fn refuse(stream: &UnixStream, why: &str) {
    let Ok(mut line) = serde_json::to_vec(&ErrorReply {
        error: why.to_owned(),
    }) else {
        return;
    };
    line.push(b'\n');
    if stream.set_nonblocking(true).is_ok() {
        let _ = io::Write::write(&mut &*stream, &line);
    }
}

fn answer(
    stream: &UnixStream,
    source: &StatusSource,
    names: &SharedTrackNames,
    limits: Limits,
) -> io::Result<()> {
    let request_deadline = Instant::now() + limits.request_deadline;
    let mut request = Vec::new();
    match deadline::read_line(
        stream,
        request_deadline,
        limits.max_request,
        Some(&mut request),
    )? {
        LineEnd::Newline => {}
        // Closed before asking: nobody to answer, and no reason to make the event loop
        // take a snapshot for a flood of connect-and-close.
        LineEnd::Eof => return Ok(()),
        LineEnd::TooLong => {
            refuse(
                stream,
                &format!("request longer than {} bytes", limits.max_request),
            );
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("request longer than {} bytes, closed", limits.max_request),
            ));
        }
    }
    match parse_request(&request) {
        Request::Status => {}
        Request::Unknown(word) => {
            refuse(
                stream,
                &format!("unknown request {word:?}: ask `status`, `handover [NAME...]` or `resume [NAME...]`"),
            );
            return Ok(());
        }
        Request::Control(verb, names) => {
            if !peer_may_control(stream) {
                refuse(
                    stream,
                    &format!(
                        "`{}` changes what the routers do: only root (or the daemon's user) may ask",
                        verb.as_str()
                    ),
                );
                return Ok(());
            }
            let reply = match source.control(verb, names) {
                Ok(results) => serde_json::to_vec(&ControlReply { results }),
                Err(error) => serde_json::to_vec(&ErrorReply { error }),
            };
            let mut body = reply.map_err(io::Error::other)?;
            body.push(b'\n');
            deadline::write_all(stream, &body, Instant::now() + limits.reply_deadline)?;
            return stream.shutdown(std::net::Shutdown::Both);
        }
    }
    let routers = source.status();
    let reports: Vec<RouterReport> = names.with(|names| {
        routers
            .iter()
            .map(|r| RouterReport::new(r, names))
            .collect()
    });
    let mut body = serde_json::to_vec(&reports).map_err(io::Error::other)?;
    body.push(b'\n');
    deadline::write_all(stream, &body, Instant::now() + limits.reply_deadline)?;
    stream.shutdown(std::net::Shutdown::Both)
}

/// Whether the process at the other end may change state: root, or the daemon's own user
/// (a daemon run with capabilities but not as root). Read from the kernel (SO_PEERCRED),
/// not from anything the client says.
fn peer_may_control(stream: &UnixStream) -> bool {
    use std::os::fd::AsRawFd;
    let mut cred = libc::ucred {
        pid: 0,
        uid: u32::MAX,
        gid: u32::MAX,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` and `len` are valid for writing and `len` is their size; the fd is
    // the stream's own, open for the duration of the call.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    // SAFETY: geteuid cannot fail and has no preconditions.
    let own = unsafe { libc::geteuid() };
    rc == 0 && (cred.uid == 0 || cred.uid == own)
}

/// A request line, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `status`, or an empty line.
    Status,
    /// `handover [NAME...]` / `resume [NAME...]`.
    Control(ControlVerb, Vec<String>),
    /// Anything else: its first word.
    Unknown(String),
}

/// Reads a request line (without its newline); any bytes at all are a request.
pub fn parse_request(line: &[u8]) -> Request {
    let text = String::from_utf8_lossy(line);
    let mut words = text.split_whitespace();
    match words.next() {
        None | Some("status") => Request::Status,
        Some(word) => match ControlVerb::parse(word) {
            Some(verb) => Request::Control(verb, words.map(str::to_owned).collect()),
            None => Request::Unknown(word.to_owned()),
        },
    }
}
