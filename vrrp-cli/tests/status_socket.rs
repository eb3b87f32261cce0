//! The status socket of `vrrp run` under hostile clients, served from a fake status source
//! (no event loop, no root): idle connections, a slow sender, a client that never reads,
//! an endless request, and the socket file's safety and mode. Each test bounds every wait,
//! so a regression fails instead of hanging.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod fake_status;

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vrrp_cli::daemon::status::{self, Limits};

/// A served socket in a temporary directory; the directory lives as long as it does.
struct Server {
    _dir: tempfile::TempDir,
    path: PathBuf,
    _socket: status::StatusSocket,
}

fn start(routers: usize, vips: usize, limits: Limits) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vrrp.sock");
    let socket = status::bind(&path).unwrap();
    let (fake, names) = fake_status::routers(routers, vips);
    status::serve_with(&socket, Arc::new(move || fake.clone()), names, limits).unwrap();
    Server {
        _dir: dir,
        path,
        _socket: socket,
    }
}

fn connect(path: &Path) -> UnixStream {
    let s = UnixStream::connect(path).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Asks like `vrrp status` and returns how long the answer took.
fn timed_query(path: &Path, expected_routers: usize) -> Duration {
    let start = Instant::now();
    let routers = status::query_within(path, Duration::from_secs(8)).unwrap();
    assert_eq!(routers.len(), expected_routers);
    assert_eq!(routers[0].tracks[0].name, "check_nginx");
    start.elapsed()
}

/// Reads until the server closes; the bytes, or `None` if it is still open after `limit`.
fn read_to_close(mut s: &UnixStream, limit: Duration) -> Option<Vec<u8>> {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    while start.elapsed() < limit {
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        match s.read(&mut buf) {
            Ok(0) => return Some(got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return Some(got),
        }
    }
    None
}

#[test]
fn twenty_idle_connections_do_not_stop_a_query() {
    let server = start(2, 1, Limits::default());
    let idle: Vec<UnixStream> = (0..20).map(|_| connect(&server.path)).collect();
    // 16 hold a slot until their 1 s request deadline, 4 are refused at once; the query
    // gets a slot when the first idle ones are dropped.
    let took = timed_query(&server.path, 2);
    assert!(took < Duration::from_secs(5), "answered after {took:?}");
    drop(idle);
}

#[test]
fn a_connection_over_the_limit_is_told_busy_at_once() {
    let limits = Limits {
        request_deadline: Duration::from_secs(30),
        max_connections: 4,
        ..Limits::default()
    };
    let server = start(1, 1, limits);
    let held: Vec<UnixStream> = (0..4).map(|_| connect(&server.path)).collect();
    // Let the accept thread give the four their slots first.
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    let extra = connect(&server.path);
    let reply = read_to_close(&extra, Duration::from_secs(5)).expect("closed at once");
    assert!(start.elapsed() < Duration::from_secs(2));
    let text = String::from_utf8_lossy(&reply);
    assert!(text.contains("\"error\":\"busy"), "{text}");
    drop(held);
}

#[test]
fn a_slow_loris_does_not_block_another_client() {
    let server = start(3, 1, Limits::default());
    let slow = connect(&server.path);
    let trickle = std::thread::spawn(move || {
        // One byte every 500 ms, never a newline: the server must close after its 1 s
        // deadline for the whole request, not wait 500 ms per byte forever.
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(8) {
            if (&slow).write_all(b"s").is_err() {
                return Some(start.elapsed());
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        None
    });
    std::thread::sleep(Duration::from_millis(200));
    let took = timed_query(&server.path, 3);
    assert!(took < Duration::from_secs(2), "answered after {took:?}");
    let closed_after = trickle.join().unwrap().expect("the slow client was closed");
    assert!(
        closed_after < Duration::from_secs(4),
        "slow client closed after {closed_after:?}"
    );
}

#[test]
fn a_client_that_never_reads_a_big_reply_does_not_block_another() {
    // 255 routers with 16 VIPs each: about 1 MB, well over what the socket buffers hold,
    // so the server's write really blocks on the client that does not read.
    let server = start(255, 16, Limits::default());
    let stuck = connect(&server.path);
    (&stuck).write_all(b"status\n").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    let routers = status::query_within(&server.path, Duration::from_secs(8)).unwrap();
    let took = start.elapsed();
    assert!(took < Duration::from_secs(2), "answered after {took:?}");
    let full = serde_json::to_vec(&routers).unwrap().len();
    assert!(full > 200_000, "the reply is only {full} bytes");
    // The server gives up on the stuck client after its 2 s reply deadline.
    std::thread::sleep(Duration::from_secs(3));
    let got = read_to_close(&stuck, Duration::from_secs(5)).expect("the server closed it");
    assert!(
        got.len() < full,
        "the stuck client got the whole reply ({} bytes) instead of being cut off",
        got.len()
    );
}

#[test]
fn a_huge_request_without_newline_is_refused_without_being_read() {
    let server = start(1, 1, Limits::default());
    let client = connect(&server.path);
    let chunk = vec![b'x'; 64 * 1024];
    let mut written = 0usize;
    let error = loop {
        if written >= 10 << 20 {
            panic!("the server took 10 MB of request without closing");
        }
        match (&client).write(&chunk) {
            Ok(n) => written += n,
            Err(e) => break e,
        }
    };
    // The server reads 4 KiB and closes; only the socket buffers take the rest.
    assert!(written < 2 << 20, "{written} bytes were accepted");
    assert!(
        matches!(
            error.kind(),
            std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
        ),
        "{error}"
    );
    let reply = read_to_close(&client, Duration::from_secs(5)).unwrap_or_default();
    let text = String::from_utf8_lossy(&reply);
    assert!(
        text.is_empty() || text.contains("request longer than 4096 bytes"),
        "{text}"
    );
    // And the server still answers.
    timed_query(&server.path, 1);
}

#[test]
fn a_regular_file_at_the_socket_path_is_not_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vrrp.sock");
    std::fs::write(&path, "not a socket").unwrap();
    let err = status::bind(&path).expect_err("refused");
    assert!(
        err.to_string()
            .contains("exists and is not a socket; refusing to replace it"),
        "{err}"
    );
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "not a socket");
}

#[test]
fn a_stale_socket_is_replaced_and_a_live_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vrrp.sock");
    drop(UnixListener::bind(&path).unwrap()); // a daemon that died
    let socket = status::bind(&path).expect("stale socket replaced");
    let err = status::bind(&path).expect_err("live socket refused");
    assert!(
        err.to_string().contains("another vrrp daemon answers"),
        "{err}"
    );
    assert!(UnixStream::connect(&path).is_ok(), "still ours and live");
    drop(socket);
    assert!(!path.exists(), "removed on drop");
}

#[test]
fn the_socket_is_mode_0660_whatever_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vrrp.sock");
    let _socket = status::bind(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o660, "mode {mode:o}");
}

/// Requests are read as `status`, `handover [NAME...]`, `resume [NAME...]`; anything
/// else is refused with a reason, and a backend without routers to hand over says so.
#[test]
fn requests_are_read_and_unknown_or_unavailable_ones_refused() {
    assert_eq!(status::parse_request(b""), status::Request::Status);
    assert_eq!(status::parse_request(b"status"), status::Request::Status);
    assert_eq!(
        status::parse_request(b"handover VI_1  VI_2"),
        status::Request::Control(
            status::ControlVerb::HandOver,
            vec!["VI_1".into(), "VI_2".into()]
        )
    );
    assert_eq!(
        status::parse_request(b"resume"),
        status::Request::Control(status::ControlVerb::Resume, vec![])
    );
    assert_eq!(
        status::parse_request(b"\xffdrop tables"),
        status::Request::Unknown("\u{fffd}drop".into())
    );

    let server = start(1, 1, Limits::default());
    let err = status::control(&server.path, status::ControlVerb::HandOver, &[]).unwrap_err();
    assert!(err.to_string().contains("is not available here"), "{err}");
    let mut s = connect(&server.path);
    s.write_all(b"reboot\n").unwrap();
    let reply = String::from_utf8(read_to_close(&s, Duration::from_secs(5)).unwrap()).unwrap();
    assert!(reply.contains("unknown request \\\"reboot\\\""), "{reply}");
}
