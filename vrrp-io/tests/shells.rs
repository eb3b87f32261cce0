//! The two shells' API as an embedder uses it, in a namespace: start, subscribe, status,
//! VIP repair, tracking, reload, shutdown. Needs root (prints SKIPPED otherwise).

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use std::fs::File;
use std::net::IpAddr;
use std::os::fd::AsRawFd;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Lab, A_V4};
use vrrp_core::router::{Event, RouterConfig, State, TrackConfig, TrackId};
use vrrp_core::{Centiseconds, Priority, VirtualAddress, Vrid};
use vrrp_io::{DriverEvent, EventLoop, RouterSpec};

const VIP: &str = "192.0.2.100";
const WAIT: Duration = Duration::from_secs(5);

/// Runs `f` on a new thread inside the namespace `ns` (every socket the shells open,
/// including those opened later, belongs to the thread's namespace).
fn spawn_in<T: Send + 'static>(
    ns: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    let path = format!("/run/netns/{ns}");
    std::thread::spawn(move || {
        let file = File::open(&path).unwrap();
        // SAFETY: an open network-namespace file; setns changes this thread only.
        assert_eq!(
            unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) },
            0
        );
        f()
    })
}

/// One router on `va`, priority 200, 100 ms adverts, VIP 192.0.2.100/24 with a label.
fn spec(priority: u8) -> RouterSpec {
    let vip = VirtualAddress::with_prefix(VIP.parse().unwrap(), 24)
        .with_label(vrrp_core::Label::new("va:vip").unwrap());
    let mut config = RouterConfig::new(
        Vrid::new(51).unwrap(),
        A_V4.parse::<IpAddr>().unwrap(),
        [vip],
    );
    config.priority = Priority(priority);
    config.advert_interval = Centiseconds(10);
    config.tracks.push(TrackConfig {
        id: TrackId(7),
        weight: 0,
        initially_up: true,
    });
    RouterSpec::new("VI_1", "va", config)
}

fn has_vip(lab: &Lab) -> bool {
    lab.a
        .ip(&["-o", "-4", "addr", "show", "dev", "va"])
        .contains(&format!("{VIP}/24"))
}

fn wait_for(events: &mpsc::Receiver<DriverEvent>, what: impl Fn(&DriverEvent) -> bool) -> bool {
    let deadline = Instant::now() + WAIT;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match events.recv_timeout(left) {
            Ok(e) if what(&e) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

fn became(state: State) -> impl Fn(&DriverEvent) -> bool {
    move |e| matches!(e, DriverEvent::Router { event: Event::StateChanged { to, .. }, .. } if *to == state)
}

#[test]
fn the_blocking_shell_runs_repairs_reloads_and_shuts_down() {
    require_root!();
    let lab = Lab::new();
    let (tx, rx) = mpsc::channel();
    let thread = spawn_in(&lab.a.name, move || {
        let event_loop = EventLoop::new(vec![spec(200)]).unwrap();
        tx.send((event_loop.handle(), event_loop.handle().subscribe()))
            .unwrap();
        event_loop.run()
    });
    let (handle, events) = rx.recv_timeout(WAIT).unwrap();

    assert!(wait_for(&events, became(State::Master)), "never master");
    assert!(common::poll_until(WAIT, || has_vip(&lab).then_some(())).is_some());
    let status = handle.status().unwrap();
    assert_eq!(status[0].state, State::Master);
    assert_eq!(status[0].interface, "va");

    // Removed behind the master's back: put back, with the label, and said so.
    lab.a
        .ip(&["addr", "del", &format!("{VIP}/24"), "dev", "va"]);
    assert!(wait_for(&events, |e| matches!(
        e,
        DriverEvent::VipRestored { .. }
    )));
    assert!(common::poll_until(WAIT, || has_vip(&lab).then_some(())).is_some());
    assert!(lab
        .a
        .ip(&["-o", "-4", "addr", "show", "dev", "va"])
        .contains("va:vip"));

    // A weight-0 track down: fault, VIP released; up again: back to master.
    handle.set_track("VI_1", TrackId(7), false);
    assert!(wait_for(&events, became(State::Fault)));
    assert!(common::poll_until(WAIT, || (!has_vip(&lab)).then_some(())).is_some());
    handle.set_track("VI_1", TrackId(7), true);
    assert!(wait_for(&events, became(State::Master)));

    // The same spec again keeps the router; a changed one is reconfigured in place:
    // still master, the new priority in force, no state change reported.
    let kept = handle.reload(vec![spec(200)]).unwrap();
    assert_eq!((kept.kept, kept.removed, kept.started), (1, 0, 0));
    let changed = handle.reload(vec![spec(150)]).unwrap();
    assert_eq!(
        (changed.reconfigured, changed.removed, changed.started),
        (1, 0, 0)
    );
    let status = handle.status().unwrap();
    assert_eq!(status[0].state, State::Master);
    assert_eq!(status[0].effective_priority.get(), 150);
    assert!(has_vip(&lab));
    assert!(!wait_for(&events, |e| matches!(
        e,
        DriverEvent::Router {
            event: Event::StateChanged { .. },
            ..
        }
    )));

    handle.shutdown();
    thread.join().unwrap().unwrap();
    assert!(!has_vip(&lab), "shutdown releases the VIP");
}

#[cfg(feature = "tokio")]
#[test]
fn the_tokio_runner_runs_and_shuts_down() {
    require_root!();
    let lab = Lab::new();
    let (tx, rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let thread = spawn_in(&lab.a.name, move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let vrrp = vrrp_io::tokio::Runner::start(vec![spec(200)])
                .await
                .unwrap();
            let mut events = vrrp.subscribe();
            let master = tokio::time::timeout(WAIT, async {
                loop {
                    match events.recv().await {
                        Ok(e) if became(State::Master)(&e) => return true,
                        Ok(_) => {}
                        Err(_) => return false,
                    }
                }
            })
            .await
            .unwrap_or(false);
            tx.send(master).unwrap();
            // Wait for the test to look at the VIP, then stop.
            let _ = tokio::task::spawn_blocking(move || done_rx.recv()).await;
            let status = vrrp.status().await.unwrap();
            vrrp.shutdown().await.unwrap();
            status
        })
    });
    assert!(rx.recv_timeout(WAIT).unwrap(), "never master");
    assert!(common::poll_until(WAIT, || has_vip(&lab).then_some(())).is_some());
    done_tx.send(()).unwrap();
    let status = thread.join().unwrap();
    assert_eq!(status[0].state, State::Master);
    assert!(!has_vip(&lab), "shutdown releases the VIP");
}
