//! A minimal HTTP/1.1 server for `/metrics` on a std `TcpListener`: one accept thread, a
//! thread per connection, one request per connection (`Connection: close`).
//!
//! Bounds, so that no client can stall another or grow the daemon (see [`Limits`]): a
//! deadline for the whole request head and one for the whole reply (not per system call:
//! a peer trickling a byte a second would otherwise hold a thread forever), a size limit
//! for the head, and a limit on connections served at once. When every slot is taken, the
//! oldest connection that has not finished sending its request is closed to make room:
//! idle or trickling clients cannot lock a scraper out, and a scraper sends its request
//! within a millisecond of connecting, so it is never the oldest one waiting.
//!
//! The deadline reads and writes of the status socket (`status/deadline.rs`) are typed
//! for a `UnixStream` and read lines, not an HTTP head; the ones here are their TCP
//! counterparts.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::exposition::{self, render_with_host};
use super::slots::{Slot, Slots};
use crate::daemon::status::accept_on_thread;
use crate::daemon::status::deadline::{left, write_all};
use crate::daemon::status::{RouterReport, SharedTrackNames, StatusSource};

/// The server's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time from accepting a connection to the end of its request head.
    pub request_deadline: Duration,
    /// Time to write the whole reply once it is ready.
    pub reply_deadline: Duration,
    /// The longest request head (request line and headers), blank line included.
    pub max_head: usize,
    /// Connections served at once.
    pub max_connections: usize,
}

impl Default for Limits {
    /// 2 s to send the request head, 5 s to take the reply, 8 KiB per head, 8 connections.
    fn default() -> Self {
        Limits {
            request_deadline: Duration::from_secs(2),
            reply_deadline: Duration::from_secs(5),
            max_head: 8 * 1024,
            max_connections: 8,
        }
    }
}

/// How long, at most, a connection stays open after its reply to read what the client
/// still sends (see [`linger`]).
const LINGER: Duration = Duration::from_millis(500);

/// Serves `/metrics` on `listener` with the default [`Limits`], from a thread, until the
/// process ends. `source` is asked once per scrape; `names` names the tracks and may be
/// replaced at any time (on reload).
pub fn serve<F>(listener: TcpListener, source: F, names: SharedTrackNames) -> io::Result<()>
where
    F: crate::daemon::status::Backend + 'static,
{
    serve_with(listener, Arc::new(source), names, Limits::default())
}

/// [`serve`] with explicit limits.
pub fn serve_with(
    listener: TcpListener,
    source: Arc<StatusSource>,
    names: SharedTrackNames,
    limits: Limits,
) -> io::Result<()> {
    let slots = Arc::new(Slots::new(limits.max_connections));
    accept_on_thread(
        "metrics",
        move || listener.accept().map(|(s, _)| s),
        move |stream| dispatch(stream, &source, &names, &slots, limits),
    )
}

fn dispatch(
    stream: TcpStream,
    source: &Arc<StatusSource>,
    names: &SharedTrackNames,
    slots: &Arc<Slots>,
    limits: Limits,
) {
    let Some(slot) = slots.acquire(&stream) else {
        refuse(
            &stream,
            &Response::text(503, "Service Unavailable", "busy, try again\n")
                .header("Retry-After: 1"),
        );
        return;
    };
    let (source, names) = (source.clone(), names.clone());
    // If the thread cannot start, the closure (and with it the slot and the stream) is
    // dropped: the client sees the connection closed.
    let spawned = std::thread::Builder::new()
        .name("metrics-client".into())
        .spawn(move || {
            if let Err(e) = answer(&stream, &slot, &*source, &names, limits) {
                tracing::debug!("metrics client: {e}");
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("metrics: cannot start a thread for a client: {e}");
    }
}

fn answer(
    stream: &TcpStream,
    slot: &Slot,
    source: &StatusSource,
    names: &SharedTrackNames,
    limits: Limits,
) -> io::Result<()> {
    let request_deadline = Instant::now() + limits.request_deadline;
    let head = match read_head(stream, request_deadline, limits.max_head) {
        Ok(Head::Complete(head)) => head,
        // Closed before asking (or closed by us to make room): nobody to answer.
        Ok(Head::Eof) => return Ok(()),
        Ok(Head::TooLong) => {
            refuse(
                stream,
                &Response::text(
                    431,
                    "Request Header Fields Too Large",
                    "request head too long\n",
                ),
            );
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("request head longer than {} bytes, closed", limits.max_head),
            ));
        }
        Err(e) => {
            if e.kind() == io::ErrorKind::TimedOut {
                refuse(
                    stream,
                    &Response::text(408, "Request Timeout", "request too slow\n"),
                );
            }
            return Err(e);
        }
    };
    // From here on the connection is a real request: not to be closed to make room.
    slot.answering();
    let response = respond(&head, || {
        let routers = source.status();
        let reports: Vec<RouterReport> = names.with(|names| {
            routers
                .iter()
                .map(|r| RouterReport::new(r, names))
                .collect()
        });
        render_with_host(&reports, source.unattributed().as_ref())
    });
    let reply_deadline = Instant::now() + limits.reply_deadline;
    write_all(stream, &response.to_bytes(), reply_deadline)?;
    linger(stream, reply_deadline.min(Instant::now() + LINGER));
    Ok(())
}

/// A reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Response {
    /// The status code.
    pub(super) status: u16,
    /// Its reason phrase.
    reason: &'static str,
    /// Header lines besides Content-Length and Connection, without CRLF.
    headers: Vec<String>,
    /// The body (also when it is not sent, for HEAD: its length is).
    pub(super) body: Vec<u8>,
    /// Whether to send the body (not for HEAD).
    send_body: bool,
}

impl Response {
    fn new(status: u16, reason: &'static str, content_type: &str, body: Vec<u8>) -> Self {
        Response {
            status,
            reason,
            headers: vec![format!("Content-Type: {content_type}")],
            body,
            send_body: true,
        }
    }

    fn text(status: u16, reason: &'static str, body: &str) -> Self {
        Response::new(
            status,
            reason,
            "text/plain; charset=utf-8",
            body.as_bytes().to_vec(),
        )
    }

    fn header(mut self, line: &str) -> Self {
        self.headers.push(line.to_owned());
        self
    }

    /// The status line, the headers and (unless HEAD) the body.
    pub(super) fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} {}\r\n", self.status, self.reason);
        for h in &self.headers {
            out.push_str(h);
            out.push_str("\r\n");
        }
        out.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.body.len()
        ));
        let mut bytes = out.into_bytes();
        if self.send_body {
            bytes.extend_from_slice(&self.body);
        }
        bytes
    }
}

const LANDING: &str = "<!DOCTYPE html>\n<html><head><title>vrrp</title></head><body>\n\
<h1>vrrp</h1>\n<p>Prometheus metrics: <a href=\"/metrics\">/metrics</a></p>\n</body></html>\n";

/// The reply to the request head `head`; `metrics` renders the exposition, only when
/// asked for it.
pub(super) fn respond(head: &[u8], metrics: impl FnOnce() -> String) -> Response {
    let Some((method, target)) = request_line(head) else {
        return Response::text(400, "Bad Request", "not an HTTP/1.x request\n");
    };
    // A query string (`?name[]=...` from a scrape config) selects nothing here.
    let path = target.split('?').next().unwrap_or(target);
    let page = match path {
        "/metrics" => None,
        "/" => Some(LANDING),
        _ => return Response::text(404, "Not Found", "not found; the metrics are at /metrics\n"),
    };
    let head_only = match method {
        "GET" => false,
        "HEAD" => true,
        _ => {
            return Response::text(405, "Method Not Allowed", "only GET and HEAD\n")
                .header("Allow: GET, HEAD")
        }
    };
    let mut response = match page {
        Some(html) => Response::new(200, "OK", "text/html; charset=utf-8", html.into()),
        None => Response::new(200, "OK", exposition::CONTENT_TYPE, metrics().into_bytes()),
    };
    response.send_body = !head_only;
    response
}

/// The method and target of the request line, if it is one of HTTP/1.x.
fn request_line(head: &[u8]) -> Option<(&str, &str)> {
    // RFC 9112 section 2.2: a server should ignore empty lines before the request line.
    let start = head.iter().position(|&b| b != b'\r' && b != b'\n')?;
    let head = &head[start..];
    let end = head.iter().position(|&b| b == b'\n')?;
    let line = std::str::from_utf8(&head[..end]).ok()?;
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    let token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphabetic());
    (parts.next().is_none() && token(method) && version.starts_with("HTTP/1."))
        .then_some((method, target))
}

/// How reading a request head ended.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Head {
    /// The head up to and including its blank line.
    Complete(Vec<u8>),
    /// The peer closed first.
    Eof,
    /// The limit was reached without a blank line; nothing more was read.
    TooLong,
}

/// The end of the head (after its blank line) in `bytes`, searching from `from`.
fn head_end(bytes: &[u8], from: usize) -> Option<usize> {
    let from = from.saturating_sub(3);
    (from..bytes.len()).find_map(|i| {
        if bytes[i..].starts_with(b"\r\n\r\n") {
            Some(i + 4)
        } else if bytes[i..].starts_with(b"\n\n") {
            Some(i + 2)
        } else {
            None
        }
    })
}

/// Reads a request head, at most `max` bytes, until `deadline` (for the whole head).
pub(super) fn read_head(mut stream: &TcpStream, deadline: Instant, max: usize) -> io::Result<Head> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    loop {
        // Never ask for more than the limit allows, so nothing beyond it is buffered.
        let want = max.saturating_sub(head.len()).min(buf.len());
        if want == 0 {
            return Ok(Head::TooLong);
        }
        stream.set_read_timeout(Some(left(deadline)?))?;
        let n = match stream.read(&mut buf[..want]) {
            Ok(0) => return Ok(Head::Eof),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no complete request head before the deadline",
                ))
            }
            Err(e) => return Err(e),
        };
        let from = head.len();
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = head_end(&head, from) {
            // A body (or a pipelined request) is not read: one GET per connection.
            head.truncate(end);
            return Ok(Head::Complete(head));
        }
    }
}

/// Ends the reply (FIN) and reads what the client still sends until it closes or
/// `until`: closing a TCP socket with unread input sends a reset, and a reset can make
/// the client drop the reply it has not read yet (a request with a body it sent late).
fn linger(mut stream: &TcpStream, until: Instant) {
    if stream.shutdown(Shutdown::Write).is_err() {
        return;
    }
    let mut buf = [0u8; 4096];
    let mut drained = 0usize;
    while drained < 64 * 1024 {
        let Ok(left) = left(until) else { return };
        if stream.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => drained += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// One best-effort reply, never blocking, then the connection is closed.
fn refuse(stream: &TcpStream, response: &Response) {
    if stream.set_nonblocking(true).is_ok() {
        let _ = (&*stream).write(&response.to_bytes());
    }
}

#[cfg(test)]
mod tests;
