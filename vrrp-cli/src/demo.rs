//! `vrrp demo`: the classic nginx pair failing over, in the deterministic simulator.
//!
//! Runs the real codec and state machine on a virtual LAN, so anyone can watch what the
//! daemon would do without root, namespaces or waiting: the master's link goes down, it
//! comes back and preempts, its check script fails, and it shuts down gracefully.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use vrrp_core::router::{Reason, RouterConfig, TrackConfig, TrackId};
use vrrp_core::sim::{LinkModel, NodeId, Sim};
use vrrp_core::wire::{Auth, Password};
use vrrp_core::{Centiseconds, Instant, Priority, Version, Vrid};

const CHECK_HTTP: TrackId = TrackId(1);

fn classic_host(last_octet: u8, priority: u8, vrid: Vrid) -> RouterConfig {
    let mut config = RouterConfig::new(
        vrid,
        IpAddr::V4(Ipv4Addr::new(192, 168, 100, last_octet)),
        vec![IpAddr::V4(Ipv4Addr::new(192, 168, 100, 12))],
    );
    config.version = Version::V2;
    config.priority = Priority(priority);
    config.advert_interval = Centiseconds::from_secs(1);
    config.auth = Password::new("mynginx")
        .map(Auth::Simple)
        .unwrap_or_default();
    // vrrp_script check_http { weight 2 }: +2 while nginx answers.
    config.tracks = vec![TrackConfig {
        id: CHECK_HTTP,
        weight: 2,
        initially_up: true,
    }];
    config
}

struct Story {
    sim: Sim,
    vrid: Vrid,
    names: [&'static str; 2],
    shown: usize,
}

impl Story {
    fn name(&self, node: NodeId) -> &'static str {
        self.names.get(node.0).copied().unwrap_or("?")
    }

    fn say(&self, out: &mut dyn Write, what: &str) -> io::Result<()> {
        writeln!(out, "{:>9}  ---- {what}", fmt_time(self.sim.now()))
    }

    /// Runs for `d` and prints every state change that happened, with the gap between the
    /// old master's last advert and the new master's first one when mastership moved.
    fn run(&mut self, out: &mut dyn Write, d: Duration) -> io::Result<()> {
        self.sim.run_for(d);
        let transitions = self.sim.transitions()[self.shown..].to_vec();
        self.shown = self.sim.transitions().len();
        for t in transitions {
            writeln!(
                out,
                "{:>9}  {:<3} {:>7} -> {:<7} {}",
                fmt_time(t.at),
                self.name(t.node),
                t.from.as_str(),
                t.to.as_str(),
                t.reason
            )?;
            let silent_master = matches!(
                t.reason,
                Reason::MasterDown { .. } | Reason::MasterShutdown { .. }
            );
            if t.to == vrrp_core::router::State::Master && silent_master {
                if let Some(gap) = self.takeover_gap(t.node, t.at) {
                    writeln!(out, "{:>9}       takeover gap: {gap}", "")?;
                }
            }
        }
        Ok(())
    }

    /// Time from the previous master's last advert to `node`'s first advert at `at`.
    fn takeover_gap(&self, node: NodeId, at: Instant) -> Option<String> {
        let last_other = self
            .sim
            .adverts()
            .iter()
            .filter(|a| a.node != node && a.at < at)
            .map(|a| a.at)
            .max()?;
        let vr = self.sim.router(node, self.vrid)?;
        let gap = at - last_other;
        Some(format!(
            "{:.3} ms (Master_Down_Interval {:.3} ms, Skew_Time {:.3} ms)",
            gap.as_secs_f64() * 1e3,
            vr.master_down_interval_micros() as f64 / 1e3,
            vr.skew_time_micros() as f64 / 1e3
        ))
    }
}

fn fmt_time(t: Instant) -> String {
    format!("{:.3}s", t.as_micros() as f64 / 1e6)
}

/// Prints the classic pair's failover story to `out`.
pub fn run(out: &mut dyn Write) -> io::Result<()> {
    let Some(vrid) = Vrid::new(51) else {
        return Ok(());
    };
    let mut sim = Sim::new(7);
    sim.set_link_model(LinkModel {
        min_delay: Duration::from_micros(100),
        max_delay: Duration::from_micros(100),
        ..LinkModel::default()
    });
    sim.record_adverts(true);
    let r1 = sim.add_node();
    let r2 = sim.add_node();
    writeln!(
        out,
        "The classic nginx pair (keepalived.conf: VRRPv2, VRID 51, advert_int 1, auth PASS,\n\
         VIP 192.168.100.12, check_http weight 2), simulated with the real codec and state machine.\n\
         r1 = 192.168.100.10 priority 101 (state MASTER), r2 = 192.168.100.13 priority 100 (state BACKUP).\n"
    )?;
    let bad =
        |e: vrrp_core::sim::SimError| io::Error::new(io::ErrorKind::InvalidInput, e.to_string());
    sim.add_router(r1, classic_host(10, 101, vrid))
        .map_err(bad)?;
    sim.add_router(r2, classic_host(13, 100, vrid))
        .map_err(bad)?;
    let mut story = Story {
        sim,
        vrid,
        names: ["r1", "r2"],
        shown: 0,
    };

    story.say(out, "both hosts start")?;
    story.run(out, Duration::from_secs(10))?;

    story.say(out, "r1's link goes down (cable pulled)")?;
    story.sim.set_link(r1, false);
    story.run(out, Duration::from_secs(10))?;

    story.say(
        out,
        "r1's link comes back: it has the higher priority and preempts",
    )?;
    story.sim.set_link(r1, true);
    story.run(out, Duration::from_secs(10))?;

    story.say(
        out,
        "nginx dies on r1: check_http fails, r1 drops from 103 to 101 < r2's 102",
    )?;
    story.sim.set_track(r1, vrid, CHECK_HTTP, false);
    story.run(out, Duration::from_secs(10))?;

    story.say(out, "nginx is back on r1: 103 again, r1 preempts")?;
    story.sim.set_track(r1, vrid, CHECK_HTTP, true);
    story.run(out, Duration::from_secs(10))?;

    story.say(
        out,
        "r1 shuts down gracefully (SIGTERM): priority-0 advert, r2 takes over after Skew_Time",
    )?;
    story.sim.shutdown(r1);
    story.run(out, Duration::from_secs(10))?;

    let masters = story.sim.masters(vrid);
    writeln!(
        out,
        "\nEnd: master is {}; r2 holds the VIP: {}.",
        masters
            .iter()
            .map(|&n| story.name(n))
            .collect::<Vec<_>>()
            .join(", "),
        story.sim.holds_vips(r2, vrid)
    )?;
    Ok(())
}
