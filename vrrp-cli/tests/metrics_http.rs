//! `vrrp run --metrics`: the HTTP endpoint served from a fake status source (no event
//! loop, no root), with plain `TcpStream` clients: the exposition parses, other paths and
//! methods are refused, and slow or idle clients do not hold up a scrape. Every wait is
//! bounded, so a regression fails instead of hanging.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod fake_status;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vrrp_cli::daemon::metrics::{self, Limits};
use vrrp_cli::daemon::status::SharedTrackNames;
use vrrp_io::RouterStatus;

/// Serves `routers` fake routers on 127.0.0.1 with `limits`; the address to connect to.
fn start(routers: usize, limits: Limits) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (fake, names) = fake_status::routers(routers, 1);
    metrics::serve_with(listener, Arc::new(move || fake.clone()), names, limits).unwrap();
    addr
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Reads until the server closes; the bytes, or `None` if it is still open after `limit`.
fn read_to_close(mut s: &TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    while start.elapsed() < limit {
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        match s.read(&mut buf) {
            Ok(0) => return Some(got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return Some(got),
        }
    }
    None
}

/// A parsed reply.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `request` on a new connection and parses the reply.
fn exchange(addr: SocketAddr, request: &[u8]) -> Reply {
    let s = connect(addr);
    (&s).write_all(request).unwrap();
    let raw = read_to_close(&s, Duration::from_secs(10)).expect("the server closes");
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .expect("a blank line after the head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let mut parts = status_line.splitn(3, ' ');
    assert_eq!(parts.next(), Some("HTTP/1.1"), "{status_line}");
    let status = parts.next().unwrap().parse().unwrap();
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.to_owned(), v.trim().to_owned())
        })
        .collect();
    let reply = Reply {
        status,
        headers,
        body: body.to_owned(),
    };
    // A reply to HEAD gives the length of the body GET would get, without the body.
    if let (Some(len), false) = (reply.header("Content-Length"), request.starts_with(b"HEAD")) {
        assert_eq!(len.parse::<usize>().unwrap(), reply.body.len());
    }
    assert_eq!(reply.header("Connection"), Some("close"));
    reply
}

const GET_METRICS: &[u8] = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";

/// A sample line `name{k="v",...} value`, checked loosely: a valid name, balanced labels
/// with quoted values (escapes allowed), one space, a number.
fn is_sample(line: &str) -> bool {
    let Some(name_end) = line.find(['{', ' ']) else {
        return false;
    };
    let name = &line[..name_end];
    let name_ok = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    let mut rest = &line[name_end..];
    if rest.starts_with('{') {
        // Skip to the closing brace outside quotes.
        let (mut quoted, mut escaped, mut end) = (false, false, None);
        for (i, c) in rest.char_indices() {
            match (quoted, escaped, c) {
                (true, true, _) => escaped = false,
                (true, false, '\\') => escaped = true,
                (_, false, '"') => quoted = !quoted,
                (false, _, '}') => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(end) = end else { return false };
        rest = &rest[end + 1..];
    }
    name_ok
        && rest
            .strip_prefix(' ')
            .is_some_and(|v| v.parse::<f64>().is_ok())
}

#[test]
fn get_metrics_is_200_with_a_parseable_exposition() {
    let addr = start(2, Limits::default());
    let reply = exchange(addr, GET_METRICS);
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("Content-Type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let mut samples = 0;
    for line in reply.body.lines() {
        if line.starts_with('#') {
            assert!(
                line.starts_with("# HELP ") || line.starts_with("# TYPE "),
                "{line}"
            );
        } else {
            assert!(is_sample(line), "not a sample line: {line:?}");
            samples += 1;
        }
    }
    assert!(samples > 40, "{}", reply.body);
    for expected in [
        r#"vrrp_state{vrrp_instance="VI_0",interface="eth0",vrid="1",family="ipv4",state="master"} 1"#,
        r#"vrrp_state{vrrp_instance="VI_1",interface="eth0",vrid="2",family="ipv4",state="master"} 0"#,
        r#"vrrp_adverts_sent_total{vrrp_instance="VI_0",interface="eth0",vrid="1",family="ipv4"} 40"#,
        r#"vrrp_dropped_total{vrrp_instance="VI_1",interface="eth0",vrid="2",family="ipv4",reason="ip_ttl_errors"} 2"#,
        r#"vrrp_track_up{vrrp_instance="VI_0",interface="eth0",vrid="1",family="ipv4",track="check_nginx",kind="script"} 1"#,
        "# TYPE vrrp_master_transitions_total counter",
    ] {
        assert!(
            reply.body.lines().any(|l| l == expected),
            "missing {expected}:\n{}",
            reply.body
        );
    }
}

#[test]
fn the_root_points_at_metrics_and_head_has_no_body() {
    let addr = start(1, Limits::default());
    let root = exchange(addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(root.status, 200);
    assert!(root.body.contains("/metrics"), "{}", root.body);
    let head = exchange(addr, b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert!(
        head.header("Content-Length")
            .unwrap()
            .parse::<usize>()
            .unwrap()
            > 1000
    );
}

#[test]
fn another_path_is_404() {
    let addr = start(1, Limits::default());
    let reply = exchange(addr, b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(reply.status, 404);
}

#[test]
fn post_is_405_with_allow() {
    let addr = start(1, Limits::default());
    let reply = exchange(
        addr,
        b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
    );
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("Allow"), Some("GET, HEAD"));
}

#[test]
fn garbage_is_400_and_the_server_still_answers() {
    let addr = start(1, Limits::default());
    let reply = exchange(addr, b"\x00\xff\xfe nonsense\r\n\r\n");
    assert_eq!(reply.status, 400);
    assert_eq!(exchange(addr, GET_METRICS).status, 200);
}

#[test]
fn a_head_over_8_kib_is_431_without_being_read_further() {
    let addr = start(1, Limits::default());
    let s = connect(addr);
    let mut request = b"GET /metrics HTTP/1.1\r\n".to_vec();
    request.extend(std::iter::repeat_n(b'x', 9000));
    // The server stops reading at 8 KiB; the rest may be refused with a reset.
    let _ = (&s).write_all(&request);
    let got = read_to_close(&s, Duration::from_secs(5)).expect("closed");
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 431 "),
        "{text}"
    );
    assert_eq!(exchange(addr, GET_METRICS).status, 200);
}

#[test]
fn a_slow_loris_does_not_block_another_client_and_is_cut_off() {
    let addr = start(3, Limits::default());
    let slow = connect(addr);
    let trickle = std::thread::spawn(move || {
        // One byte every 300 ms, never a blank line: the server must close after its 2 s
        // deadline for the whole head, not wait 300 ms per byte forever.
        let start = Instant::now();
        for b in b"GET /metrics HTTP/1.1\r\nX-Slow: ".iter().cycle() {
            if start.elapsed() > Duration::from_secs(10) {
                return None;
            }
            if (&slow).write_all(&[*b]).is_err() {
                return Some(start.elapsed());
            }
            // A closed connection shows as EOF on read before a write fails.
            slow.set_nonblocking(true).unwrap();
            let closed = (&slow).read(&mut [0u8; 512]).is_ok();
            slow.set_nonblocking(false).unwrap();
            if closed {
                return Some(start.elapsed());
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        None
    });
    std::thread::sleep(Duration::from_millis(200));
    let start = Instant::now();
    assert_eq!(exchange(addr, GET_METRICS).status, 200);
    let took = start.elapsed();
    assert!(took < Duration::from_secs(1), "answered after {took:?}");
    let closed_after = trickle.join().unwrap().expect("the slow client was closed");
    assert!(
        closed_after < Duration::from_secs(5),
        "slow client closed after {closed_after:?}"
    );
}

#[test]
fn twenty_idle_connections_do_not_block_a_scrape() {
    let addr = start(2, Limits::default());
    // 8 get slots; each further one closes the oldest idle connection to make room.
    let idle: Vec<TcpStream> = (0..20).map(|_| connect(addr)).collect();
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    let reply = exchange(addr, GET_METRICS);
    let took = start.elapsed();
    assert_eq!(reply.status, 200);
    assert!(took < Duration::from_secs(2), "answered after {took:?}");
    drop(idle);
}

#[test]
fn connections_being_answered_are_not_closed_to_make_room() {
    // One slot, taken by a client that sent its request but does not read a large
    // reply: a new connection is refused (503) rather than the answered one cut off.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let fake: Vec<RouterStatus> = (0..255).map(|i| fake_status::router(i, 4)).collect();
    metrics::serve_with(
        listener,
        Arc::new(move || fake.clone()),
        SharedTrackNames::default(),
        Limits {
            max_connections: 1,
            ..Limits::default()
        },
    )
    .unwrap();
    let stuck = connect(addr);
    (&stuck).write_all(GET_METRICS).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    let refused = exchange(addr, GET_METRICS);
    assert!(start.elapsed() < Duration::from_secs(2));
    // 200 if the stuck reply fit in the socket buffers and its slot is already free.
    assert!(
        refused.status == 503 || refused.status == 200,
        "{}",
        refused.status
    );
    if refused.status == 503 {
        assert_eq!(refused.header("Retry-After"), Some("1"));
    }
    // The stuck client still gets its reply from the start when it reads.
    let got = read_to_close(&stuck, Duration::from_secs(8)).expect("closed");
    assert!(got.starts_with(b"HTTP/1.1 200 OK\r\n"));
}
