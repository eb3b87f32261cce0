//! `track_file` on a running daemon: the number in a file, times the weight, moves the
//! priority as soon as the file changes (written in place or renamed over), and a product
//! below -253 puts the instance in fault; `vrrp status` names the track.
//!
//! Needs root (prints `SKIPPED` otherwise).

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod lab;

use std::time::Duration;

use lab::{wait_until, Lab, ProcId, VIP4};

fn field(lab: &Lab, id: ProcId, name: &str) -> Option<serde_json::Value> {
    let r = lab
        .vrrp_status(id)?
        .into_iter()
        .find(|r| r.name == "VI_1")?;
    Some(r.raw[name].clone())
}

#[test]
fn the_number_in_a_file_moves_the_priority() {
    require_root!();
    let mut lab = Lab::new(1);
    let state = lab.dir().join("state");
    let conf = format!(
        "global_defs {{\n    vrrp_version 3\n}}\n\
         track_file maintenance {{\n    file {}\n    weight -10\n    init_file 0 overwrite\n}}\n\
         vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 51\n    priority 100\n    advert_int 0.1\n\
         \x20   virtual_ipaddress {{\n        {VIP4}\n    }}\n    track_file {{\n        maintenance\n    }}\n}}\n",
        state.display()
    );
    let r0 = lab.start_vrrp(0, &conf);
    let priority = |lab: &Lab| field(lab, r0, "effective_priority").and_then(|v| v.as_u64());
    let state_of = |lab: &Lab| field(lab, r0, "state").and_then(|v| v.as_str().map(str::to_owned));
    assert!(
        wait_until(Duration::from_secs(10), || priority(&lab) == Some(100)
            && state_of(&lab).as_deref() == Some("master")),
        "{:?}\n{}",
        lab.vrrp_status(r0),
        lab.log(r0)
    );
    assert_eq!(
        std::fs::read_to_string(&state).unwrap().trim(),
        "0",
        "init_file"
    );
    let tracks = field(&lab, r0, "tracks").unwrap();
    assert!(
        tracks
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "maintenance" && t["kind"] == "file"),
        "{tracks}"
    );

    std::fs::write(&state, "3\n").unwrap();
    assert!(
        wait_until(Duration::from_secs(5), || priority(&lab) == Some(70)),
        "{:?}",
        lab.vrrp_status(r0)
    );
    // Renamed over, as tools that write atomically do: -300 < -253 is a fault.
    let tmp = lab.dir().join("state.tmp");
    std::fs::write(&tmp, "30\n").unwrap();
    std::fs::rename(&tmp, &state).unwrap();
    assert!(
        wait_until(Duration::from_secs(5), || state_of(&lab).as_deref()
            == Some("fault")),
        "{:?}",
        lab.vrrp_status(r0)
    );
    assert!(
        lab.holders(VIP4).is_empty(),
        "a faulted master releases the VIP"
    );
    std::fs::write(&state, "0\n").unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || state_of(&lab).as_deref()
            == Some("master")),
        "{:?}\n{}",
        lab.vrrp_status(r0),
        lab.log(r0)
    );
    assert_eq!(priority(&lab), Some(100));
}
