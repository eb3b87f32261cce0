//! Reads and writes on a stream socket that end at a deadline for the whole exchange, not
//! per system call: SO_RCVTIMEO / SO_SNDTIMEO alone restart with every byte, so a peer
//! trickling one byte a second would hold the other end forever. Used by the status
//! socket (Unix) and the metrics endpoint (TCP).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

/// A stream whose writes can time out: Unix and TCP sockets.
pub(crate) trait TimedStream {
    /// SO_SNDTIMEO.
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
}

impl TimedStream for UnixStream {
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        UnixStream::set_write_timeout(self, timeout)
    }
}

impl TimedStream for TcpStream {
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_write_timeout(self, timeout)
    }
}

/// How a line read ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LineEnd {
    /// A newline arrived within the limit.
    Newline,
    /// The peer closed (or shut down writing) first.
    Eof,
    /// `max` bytes arrived without a newline; nothing more was read.
    TooLong,
}

/// The time left until `deadline`, or a `TimedOut` error once it has passed.
pub(crate) fn left(deadline: Instant) -> io::Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "deadline passed before the exchange finished",
        ));
    }
    Ok(left)
}

/// Reads up to and including a newline, at most `max` bytes, until `deadline`. The bytes
/// before the newline are appended to `keep` when given; otherwise they are dropped as
/// they arrive (the server only needs to know that a request came). Bytes after the
/// newline in the same read are dropped too: one request or reply per connection.
pub(super) fn read_line(
    mut stream: &UnixStream,
    deadline: Instant,
    max: usize,
    mut keep: Option<&mut Vec<u8>>,
) -> io::Result<LineEnd> {
    let mut buf = [0u8; 4096];
    let mut total = 0usize;
    loop {
        stream.set_read_timeout(Some(left(deadline)?))?;
        // Never ask for more than the limit allows, so nothing beyond it is buffered.
        let want = (max - total).min(buf.len());
        if want == 0 {
            return Ok(LineEnd::TooLong);
        }
        let n = match stream.read(&mut buf[..want]) {
            Ok(0) => return Ok(LineEnd::Eof),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no complete line before the deadline",
                ))
            }
            Err(e) => return Err(e),
        };
        let newline = buf[..n].iter().position(|&b| b == b'\n');
        let end = newline.unwrap_or(n);
        if let Some(keep) = keep.as_deref_mut() {
            keep.extend_from_slice(&buf[..end]);
        }
        if newline.is_some() {
            return Ok(LineEnd::Newline);
        }
        total += n;
    }
}

/// Writes all of `bytes` before `deadline`, or fails with `TimedOut`; a peer that reads
/// slowly or not at all cannot hold the writer longer.
pub(crate) fn write_all<S>(stream: &S, bytes: &[u8], deadline: Instant) -> io::Result<()>
where
    S: TimedStream,
    for<'a> &'a S: Write,
{
    let mut writer = stream;
    let mut written = 0;
    while written < bytes.len() {
        stream.set_write_timeout(Some(left(deadline)?))?;
        match writer.write(&bytes[written..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the peer did not read the reply before the deadline",
                ))
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
