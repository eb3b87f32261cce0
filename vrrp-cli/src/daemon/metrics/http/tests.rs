#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use super::*;

fn reply(head: &str) -> Response {
    respond(head.as_bytes(), || "vrrp_x 1\n".to_owned())
}

#[test]
fn get_metrics_is_the_exposition() {
    let r = reply("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"vrrp_x 1\n");
    let bytes = String::from_utf8(r.to_bytes()).unwrap();
    assert!(bytes.starts_with("HTTP/1.1 200 OK\r\n"), "{bytes}");
    assert!(bytes.contains("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    assert!(bytes.contains("\r\nContent-Length: 9\r\n"));
    assert!(bytes.contains("\r\nConnection: close\r\n\r\nvrrp_x 1\n"));
}

#[test]
fn a_query_string_is_ignored_and_head_has_no_body() {
    assert_eq!(reply("GET /metrics?x=1 HTTP/1.0\r\n\r\n").status, 200);
    let head = reply("HEAD /metrics HTTP/1.1\r\n\r\n");
    assert_eq!(head.status, 200);
    let bytes = String::from_utf8(head.to_bytes()).unwrap();
    assert!(
        bytes.ends_with("Content-Length: 9\r\nConnection: close\r\n\r\n"),
        "{bytes}"
    );
}

#[test]
fn the_root_points_at_metrics() {
    let r = reply("GET / HTTP/1.1\r\n\r\n");
    assert_eq!(r.status, 200);
    assert!(String::from_utf8(r.body)
        .unwrap()
        .contains("href=\"/metrics\""));
}

#[test]
fn other_paths_are_404_and_other_methods_405() {
    assert_eq!(reply("GET /nope HTTP/1.1\r\n\r\n").status, 404);
    assert_eq!(reply("POST /nope HTTP/1.1\r\n\r\n").status, 404);
    let post = reply("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(post.status, 405);
    assert!(String::from_utf8(post.to_bytes())
        .unwrap()
        .contains("\r\nAllow: GET, HEAD\r\n"));
}

#[test]
fn garbage_is_400_not_a_panic() {
    for head in [
        &b"\r\n\r\n"[..],
        b"GET\r\n\r\n",
        b"GET /metrics\r\n\r\n",
        b"GET /metrics SPDY/3\r\n\r\n",
        b"GET  /metrics HTTP/1.1\r\n\r\n",
        b"G\xffT /metrics HTTP/1.1\r\n\r\n",
        b"GET /metrics HTTP/1.1 extra\r\n\r\n",
        b"",
    ] {
        assert_eq!(respond(head, String::new).status, 400, "{head:?}");
    }
}

#[test]
fn the_head_ends_at_the_first_blank_line() {
    assert_eq!(
        head_end(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nbody", 0),
        Some(27)
    );
    assert_eq!(head_end(b"GET / HTTP/1.1\n\n", 0), Some(16));
    assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: x\r\n", 0), None);
    // A terminator split across two reads is found.
    assert_eq!(head_end(b"GET / HTTP/1.1\r\n\r\n", 17), Some(18));
}
