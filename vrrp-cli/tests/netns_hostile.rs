//! Hostile input against a running master, as an attacker on the LAN or a careless admin
//! on the host would send it. What a user relies on: the daemon stays up, the VIP stays
//! where it is, nothing hangs, and the log says what happened without being flooded.
//!
//! - SIGHUP with a file of 100 000 nested blocks, with `include` of a FIFO and of
//!   /dev/zero: each reload is refused at once, the running configuration stays, and a
//!   later SIGTERM still stops the daemon gracefully;
//! - 200 forged adverts for a VRID not configured here and 200 too short to name one,
//!   from a neighbour: each reason is logged once, not 200 times, and the master stays.
//!
//! Needs root and python3 (for the raw socket that forges packets); prints `SKIPPED`
//! otherwise.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod lab;

use std::time::Duration;

use lab::{wait_until, Impl, Lab, Pair, ProcId};

const NAME: &str = "VI_1";

fn master_transitions(lab: &Lab, id: ProcId) -> Option<u64> {
    let r = lab.vrrp_status(id)?.into_iter().find(|r| r.name == NAME)?;
    r.raw["counters"]["master_transitions"].as_u64()
}

/// Writes `conf` as router 0's file, sends SIGHUP and waits until the daemon says the
/// reload failed (the `n`-th time).
fn refused_reload(lab: &Lab, id: ProcId, conf: &str, n: usize) {
    std::fs::write(lab.proc_dir(id).join("keepalived.conf"), conf).unwrap();
    lab::send_signal(lab.pid(id), libc::SIGHUP);
    assert!(
        wait_until(Duration::from_secs(10), || lab
            .log(id)
            .matches("reload failed")
            .count()
            >= n),
        "reload {n} was not refused in time:\n{}",
        lab.log(id)
    );
}

#[test]
fn bad_reloads_and_forged_packets_leave_the_master_in_place() {
    require_root!();
    require_tools!("python3");
    let mut lab = Lab::new(1);
    let pair = Pair {
        check: None,
        ..Pair::v3("0.1")
    };
    let vip = pair.vip_addr().to_string();
    let conf = pair.conf(&lab, 0);
    let r0 = lab.start_holder(Impl::Vrrp, 0, &conf, &vip, pair.election_bound());
    assert_eq!(master_transitions(&lab, r0), Some(1));

    // 1. Nested 100 000 deep: refused with the limit named.
    let deep = format!(
        "{conf}vrrp_script junk {{\n{}{}}}\n",
        "x {\n".repeat(100_000),
        "}\n".repeat(100_000)
    );
    refused_reload(&lab, r0, &deep, 1);
    assert!(lab.log(r0).contains("nested more than"), "{}", lab.log(r0));

    // 2. An include of a FIFO nobody writes to: refused, not waited on.
    let fifo = lab.dir().join("fifo.conf");
    let path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    refused_reload(&lab, r0, &format!("{conf}include {}\n", fifo.display()), 2);
    // 3. An include of a device that never ends.
    refused_reload(&lab, r0, &format!("{conf}include /dev/zero\n"), 3);
    assert!(
        lab.log(r0).matches("not a regular file").count() >= 2,
        "{}",
        lab.log(r0)
    );

    // 4. Forged packets from the client: 200 adverts for VRID 77 (not ours) and 200
    //    one-byte VRRP payloads, TTL 255 as a neighbour can send them.
    let forge = "import socket\n\
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)\n\
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)\n\
s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)\n\
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton('192.168.100.100'))\n\
import struct\n\
fold = lambda s: (s & 0xffff) + (s >> 16)\n\
ck = lambda d: ~fold(fold(sum(struct.unpack('!%dH' % (len(d) // 2), d)))) & 0xffff\n\
body = bytes([0x31, 77, 100, 1, 0, 100, 0, 0]) + socket.inet_aton('192.168.100.77')\n\
pseudo = socket.inet_aton('192.168.100.100') + socket.inet_aton('224.0.0.18') + bytes([0, 112]) + struct.pack('!H', len(body))\n\
advert = body[:6] + struct.pack('!H', ck(pseudo + body)) + body[8:]\n\
for _ in range(200): s.sendto(advert, ('224.0.0.18', 0)); s.sendto(bytes([0x31]), ('224.0.0.18', 0))\n";
    let out = lab
        .exec(
            &lab.client_ns(),
            &["python3", "-c", forge],
            Duration::from_secs(20),
        )
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        wait_until(Duration::from_secs(5), || lab
            .log(r0)
            .contains("packet_length_errors")),
        "the short packets were not logged:\n{}",
        lab.log(r0)
    );
    std::thread::sleep(Duration::from_millis(500));
    let log = lab.log(r0);
    let lines = |counter: &str| {
        log.lines()
            .filter(|l| l.contains("192.168.100.100") && l.contains(counter))
            .count()
    };
    assert_eq!(lines("vrid_errors"), 1, "{log}");
    assert_eq!(lines("packet_length_errors"), 1, "{log}");

    // Through all of it: still master, never left, VIP in place.
    assert_eq!(lab.vrrp_state(r0, NAME).as_deref(), Some("master"));
    assert_eq!(master_transitions(&lab, r0), Some(1));
    assert_eq!(lab.holders(&vip), [0]);

    // And a SIGTERM still works: priority 0, VIP released, clean exit.
    let status = lab.stop(r0).expect("the daemon exits on SIGTERM");
    assert!(status.success(), "{status:?}\n{}", lab.log(r0));
    assert!(lab.holders(&vip).is_empty());
}
