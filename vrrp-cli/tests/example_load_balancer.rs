//! vrrp-io's tokio example (`vrrp-io/examples/load_balancer.rs`) against our daemon
//! (`vrrp run`) on a LAN of network namespaces (`tests/lab/`):
//!
//! - router 0 runs the example (VRID 51, priority 150, 100 ms adverts, the VIP /24, port
//!   8080 relayed to a Python HTTP server on 127.0.0.1:9000 in the same namespace);
//! - router 1 runs `vrrp run` with a keepalived.conf for the same VRID (VRRPv3,
//!   `advert_int 0.1`, priority 100, the same VIP /24).
//!
//! The example takes the VIP and the client fetches a page through it; the backend dies,
//! the example drops to priority 50 and the daemon takes over; the backend comes back and
//! the example preempts; SIGTERM makes the example send priority 0 and exit, and the daemon
//! takes over at once.
//!
//! The example binary is `target/debug/examples/load_balancer` (built by
//! `cargo test --workspace --all-features`); when it is missing the test builds it with
//! `cargo build -p vrrp-io --features tokio --example load_balancer`. Needs root (prints
//! `SKIPPED: needs root` otherwise), ping and python3; the client uses curl when it is
//! installed and Python otherwise.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod lab;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use lab::{run_with_timeout, secs, wait_until, Lab, Pair, ProcId, VIP4, VRID};

/// The instance name in [`Pair::conf`].
const NAME: &str = "VI_1";
/// The port the example listens on.
const LISTEN: u16 = 8080;
/// The backend's port (on 127.0.0.1 in router 0's namespace).
const BACKEND_PORT: u16 = 9000;
/// How long building the example may take when it is missing.
const BUILD_TIMEOUT: Duration = Duration::from_secs(900);

/// The example binary next to this test's executable (`target/debug/deps/<test>` ->
/// `target/debug/examples/load_balancer`), built if it is missing.
fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("path of the test executable");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap_or_else(|| panic!("unexpected test executable path {}", exe.display()));
    let path = profile_dir.join("examples").join("load_balancer");
    if path.is_file() {
        return path;
    }
    eprintln!(
        "{} is missing: building it with cargo build -p vrrp-io --features tokio --example load_balancer",
        path.display()
    );
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "-p",
        "vrrp-io",
        "--features",
        "tokio",
        "--example",
        "load_balancer",
    ])
    .current_dir(env!("CARGO_MANIFEST_DIR"));
    let out = run_with_timeout(cmd, BUILD_TIMEOUT).unwrap_or_else(|e| {
        panic!("cannot build the load_balancer example (is cargo holding the build lock?): {e}")
    });
    assert!(
        out.status.success(),
        "building the load_balancer example failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        path.is_file(),
        "cargo built the load_balancer example but {} is still missing (another target \
         directory?):\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

/// An HTTP GET of `url` from namespace `ns` (no proxy, 3 s limit): the status code, or
/// what went wrong.
fn http_get(lab: &Lab, ns: &str, url: &str) -> Result<String, String> {
    let out = if lab::have("curl") {
        lab.exec(
            ns,
            &[
                "curl",
                "-sS",
                "--noproxy",
                "*",
                "--max-time",
                "3",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                url,
            ],
            Duration::from_secs(10),
        )?
    } else {
        lab.exec(
            ns,
            &[
                "python3",
                "-c",
                "import sys, urllib.request as u\n\
                 o = u.build_opener(u.ProxyHandler({}))\n\
                 print(o.open(sys.argv[1], timeout=3).status)",
                url,
            ],
            Duration::from_secs(10),
        )?
    };
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "{} {stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Starts the backend (`python3 -m http.server 9000 --bind 127.0.0.1`) in router 0's
/// namespace and waits until it answers there.
fn start_backend(lab: &mut Lab) -> ProcId {
    let ns = lab.router_ns(0);
    let port = BACKEND_PORT.to_string();
    let id = lab.spawn(
        &ns,
        "backend",
        &["python3", "-m", "http.server", &port, "--bind", "127.0.0.1"],
    );
    let url = format!("http://127.0.0.1:{BACKEND_PORT}/");
    let mut last = Err(String::new());
    let up = wait_until(Duration::from_secs(10), || {
        last = http_get(lab, &ns, &url);
        last.as_deref() == Ok("200")
    });
    assert!(
        up,
        "the backend does not answer within 10 s: {last:?}\n{}",
        lab.log(id)
    );
    id
}

/// Waits until exactly router `k` holds the VIP; returns how long that took.
fn sole_holder_within(lab: &Lab, k: usize, bound: Duration, what: &str) -> Duration {
    let t0 = Instant::now();
    assert!(
        lab.wait_sole_holder(k, VIP4, bound),
        "{what}: router {k} is not the sole holder of the VIP within {bound:?}; holders {:?}",
        lab.holders(VIP4)
    );
    t0.elapsed()
}

/// Waits until the daemon's router is in `state`.
fn daemon_state_becomes(lab: &Lab, id: ProcId, state: &str) {
    assert!(
        wait_until(Duration::from_secs(5), || lab
            .vrrp_state(id, NAME)
            .as_deref()
            == Some(state)),
        "the daemon is not {state}; status {:?}",
        lab.vrrp_status(id)
    );
}

#[test]
fn the_load_balancer_example_hands_the_vip_to_vrrp_run_and_back() {
    require_root!();
    require_tools!("python3", "ping");
    let example = example_binary();
    let mut lab = Lab::new(2);
    let ns0 = lab.router_ns(0);
    let client = lab.client_ns();
    let url = format!("http://{VIP4}:{LISTEN}/");

    let mut backend = start_backend(&mut lab);
    let listen = LISTEN.to_string();
    let backend_addr = format!("127.0.0.1:{BACKEND_PORT}");
    let vip = format!("{VIP4}/24");
    let lb = lab.spawn(
        &ns0,
        "load_balancer",
        &[
            example.to_str().unwrap(),
            "--interface",
            "eth0",
            "--vrid",
            &VRID.to_string(),
            "--priority",
            "150",
            "--vip",
            &vip,
            "--listen",
            &listen,
            "--backend",
            &backend_addr,
            "--advert-ms",
            "100",
        ],
    );

    // (a) The example alone takes the VIP; then the daemon joins as backup.
    let took = sole_holder_within(&lab, 0, Duration::from_secs(10), "start-up");
    eprintln!("(a) the example holds the VIP {} after start", secs(took));
    assert!(lab.is_running(lb), "the example exited:\n{}", lab.log(lb));
    let pair = Pair {
        vip: vip.clone(),
        check: None,
        priorities: [150, 100],
        ..Pair::v3("0.1")
    };
    let daemon = lab.start_vrrp(1, &pair.conf(&lab, 1));
    let heard = wait_until(Duration::from_secs(10), || {
        lab.vrrp_status(daemon)
            .and_then(|s| s.into_iter().find(|r| r.name == NAME))
            .is_some_and(|r| r.state == "backup" && r.raw["master_priority"] == 150)
    });
    assert!(
        heard,
        "the daemon did not settle as backup of the example (priority 150); status {:?}",
        lab.vrrp_status(daemon)
    );
    assert_eq!(lab.holders(VIP4), [0], "VIP on the example's router only");
    let mut last = Err(String::new());
    let served = wait_until(Duration::from_secs(10), || {
        last = http_get(&lab, &client, &url);
        last.as_deref() == Ok("200")
    });
    assert!(
        served,
        "the client cannot fetch {url} through the example: {last:?}\n{}",
        lab.log(lb)
    );

    // (b) The backend dies: the example drops to 150 - 100 = 50 < 100, the daemon takes over.
    lab.stop(backend);
    let took = sole_holder_within(&lab, 1, Duration::from_secs(5), "backend down");
    eprintln!(
        "(b) backend killed -> the daemon holds the VIP after {}",
        secs(took)
    );
    daemon_state_becomes(&lab, daemon, "master");
    assert!(
        lab.log(lb).contains("is down"),
        "the example did not notice the backend going:\n{}",
        lab.log(lb)
    );
    assert!(lab.is_running(lb), "the example exited:\n{}", lab.log(lb));

    // (c) The backend comes back: 150 > 100, the example preempts.
    let t0 = Instant::now();
    backend = start_backend(&mut lab);
    let took = sole_holder_within(&lab, 0, Duration::from_secs(10), "backend back");
    eprintln!(
        "(c) backend restarted -> the example holds the VIP again after {} ({} after it \
         answered)",
        secs(t0.elapsed()),
        secs(took)
    );
    daemon_state_becomes(&lab, daemon, "backup");
    let served = wait_until(Duration::from_secs(10), || {
        last = http_get(&lab, &client, &url);
        last.as_deref() == Ok("200")
    });
    assert!(
        served,
        "the client cannot fetch {url} after the example took the VIP back: {last:?}\n{}",
        lab.log(lb)
    );

    // (d) SIGTERM: priority 0, the VIP released, the daemon takes over at once.
    lab.signal(lb, libc::SIGTERM);
    let t0 = Instant::now();
    let took = sole_holder_within(&lab, 1, Duration::from_secs(1), "SIGTERM");
    eprintln!(
        "(d) SIGTERM to the example -> the daemon holds the VIP after {}",
        secs(took)
    );
    daemon_state_becomes(&lab, daemon, "master");
    let status = lab.wait_exit(lb, Duration::from_secs(5));
    assert!(
        status.is_some_and(|s| s.success()),
        "the example did not exit 0 within 5 s of SIGTERM: {status:?}\n{}",
        lab.log(lb)
    );
    eprintln!("(d) the example exited 0 after {}", secs(t0.elapsed()));
    assert!(
        !lab.has_address(0, VIP4),
        "the example left the VIP behind on exit"
    );
    let state1 = lab.vrrp_status(daemon).unwrap();
    let reason = state1
        .iter()
        .find(|r| r.name == NAME)
        .map(|r| r.raw["last_transition"]["reason"].clone());
    eprintln!("the daemon's last transition: {reason:?}");
    assert!(
        wait_until(Duration::from_secs(5), || lab.client_ping(VIP4)),
        "the client cannot reach the VIP on the daemon"
    );
    lab.stop(backend);
}
