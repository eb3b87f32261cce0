//! `vrrp run --metrics`: a running pair scraped over HTTP inside its namespace, as
//! Prometheus would. Every family docs/metrics.md names is there, for the instance, with
//! values that match `vrrp status`.
//!
//! Needs root and python3 (the scraper runs inside the router's namespace); prints
//! `SKIPPED` otherwise.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod lab;

use std::time::Duration;

use lab::{wait_until, Lab, Pair};

const ADDR: &str = "127.0.0.1:9650";

#[test]
fn a_scrape_has_every_family_with_the_instance_labels() {
    require_root!();
    require_tools!("python3");
    let mut lab = Lab::new(2);
    let pair = Pair::v3("0.1");
    let vip = pair.vip_addr().to_string();
    let r0 = lab.start_vrrp_with(0, &pair.conf(&lab, 0), &["--metrics", ADDR]);
    assert!(lab.wait_sole_holder(0, &vip, pair.election_bound()));
    let _r1 = lab.start_vrrp(1, &pair.conf(&lab, 1));
    std::thread::sleep(pair.master_down_interval());
    let scrape = || -> Option<String> {
        let out = lab
            .exec(
                &lab.router_ns(0),
                &[
                    "python3",
                    "-c",
                    &format!(
                        "import urllib.request as u; r = u.urlopen('http://{ADDR}/metrics', timeout=3); \
                         print(r.headers['Content-Type']); print(r.read().decode())"
                    ),
                ],
                Duration::from_secs(10),
            )
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let mut body = String::new();
    assert!(
        wait_until(Duration::from_secs(10), || {
            body = scrape().unwrap_or_default();
            body.contains("vrrp_track_weight{")
        }),
        "no complete scrape:\n{body}\n{}",
        lab.log(r0)
    );
    assert!(
        body.starts_with("text/plain; version=0.0.4"),
        "{}",
        &body[..body.len().min(200)]
    );
    let labels = "vrrp_instance=\"VI_1\",interface=\"eth0\",vrid=\"51\",family=\"ipv4\"";
    for series in [
        format!("vrrp_state{{{labels},state=\"master\"}} 1"),
        format!("vrrp_state{{{labels},state=\"backup\"}} 0"),
        format!("vrrp_base_priority{{{labels}}} 101"),
        format!("vrrp_effective_priority{{{labels}}} 103"),
        format!("vrrp_demoted{{{labels}}} 0"),
        format!("vrrp_master_info{{{labels},master=\"192.168.100.10\"}} 1"),
        format!("vrrp_master_transitions_total{{{labels}}} 1"),
        format!("vrrp_dropped_total{{{labels},reason=\"checksum_errors\"}} 0"),
        format!("vrrp_track_up{{{labels},track=\"check_http\",kind=\"script\"}} 1"),
        format!("vrrp_track_up{{{labels},track=\"eth0\",kind=\"own_interface\"}} 1"),
    ] {
        assert!(body.contains(&series), "missing {series}\n{body}");
    }
    // The host's counters of packets no router took (RFC 6527's router-wide ones).
    assert!(body.contains("\nvrrp_unknown_vrid_total 0\n"), "{body}");
    assert!(
        body.contains("vrrp_unattributed_dropped_total{reason=\"vrid_errors\"} 0"),
        "{body}"
    );
    // A master hears no peer (backups are silent): the family is declared, with no series.
    assert!(body.contains("# TYPE vrrp_peer_checksum_form_info gauge"));
    for family in [
        "vrrp_adverts_sent_total",
        "vrrp_adverts_received_total",
        "vrrp_priority_zero_sent_total",
        "vrrp_priority_zero_received_total",
        "vrrp_address_list_errors_total",
        "vrrp_track_weight",
    ] {
        assert!(
            body.contains(&format!("# TYPE {family} ")),
            "missing {family}\n{body}"
        );
        assert!(
            body.contains(&format!("{family}{{{labels}")),
            "no {family} series\n{body}"
        );
    }
}
