//! Real VRRP peers in the lab: keepalived 2.2.x and FRR 8.4's vrrpd next to our daemon,
//! and one interop scenario that any two of them run through.
//!
//! - [`Lab::start_frr`] starts zebra and vrrpd (as user `frr`, in the foreground, through
//!   [`Lab::spawn`] so that they are stopped with the lab) on router `k`, after creating
//!   the macvlan vrrpd needs (`vrrp4-<ifindex>-<vrid>`, MAC 00:00:5e:00:01:<vrid>, or
//!   `vrrp6-...` with 00:00:5e:00:02:<vrid> and one link-local) carrying the VIP. The lab's
//!   `Drop` deletes macvlans, so nothing is left behind.
//! - [`Node`] is one running router of any [`Kind`]; [`Lab::node_state`] and
//!   [`Lab::node_holds_vip`] read its state the way that implementation exposes it
//!   (`vrrp status --json`, keepalived's log, `vtysh -c 'show vrrp json'`).
//! - [`failover_scenario`] runs start-up, master link down, preemption and a SIGTERM
//!   (priority-0) handover between two nodes and checks on the way that neither side counts
//!   or logs checksum, authentication or interval errors.
//!
//! The error wording comes from the peers' sources: keepalived 2.2.7
//! `keepalived/vrrp/vrrp.c` (`vrrp_in_chk`), FRR 8.4 `vrrpd/vrrp_packet.c`
//! (`vrrp_pkt_parse_datagram`) and `vrrpd/vrrp.c` (`vrrp_read`,
//! `vrrp_recv_advertisement`), logged by vrrpd with `debug vrrp packets` /
//! `debug vrrp protocol`.
#![allow(dead_code)]

use std::fs;
use std::net::{IpAddr, Ipv6Addr};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::{
    parse_ip, run, run_with_timeout, secs, wait_until, Lab, Pair, ProcId, RouterStatus, Trace,
    RUN_TIMEOUT,
};

/// The instance name [`Pair::conf`] writes.
pub const INSTANCE: &str = "VI_1";

/// keepalived 2.2.7 log lines (from `vrrp_in_chk`) that mean it dropped a packet for a
/// checksum, authentication, interval, version, TTL, length or address-count problem.
pub const KEEPALIVED_ERRORS: &[&str] = &[
    "Invalid VRRPv2 checksum",
    "Invalid VRRPv3 checksum",
    "received an invalid passwd",
    "auth, expecting",
    "Invalid auth type",
    "Received AH header but auth type not AH",
    "No AH header but auth type is AH",
    "advertisement interval mismatch",
    "wrong version",
    "invalid TTL/HL",
    "vrrp packet too",
    "received an unexpected ip number count",
    "ip_tot_len mismatch",
    "Invalid packet type",
];

/// FRR 8.4 vrrpd debug log lines for a dropped (or address-count mismatched) packet:
/// `Datagram invalid: Bad VRRP checksum ...`, `... Bad authentication type ...`,
/// `... advertisement interval ... unequal to our configured value ...`, `Bad version`.
pub const FRR_ERRORS: &[&str] = &["Datagram invalid", "Bad VRRP checksum", "Datagram has"];

/// Our `vrrp status --json` counters that count dropped or mismatched packets; all must
/// stay 0 between well-configured peers.
pub const ERROR_COUNTERS: &[&str] = &[
    "checksum_errors",
    "auth_failures",
    "auth_type_mismatch",
    "invalid_auth_type",
    "interval_errors",
    "version_errors",
    "ip_ttl_errors",
    "packet_length_errors",
    "invalid_type",
    "vrid_errors",
    "address_list_errors",
    "address_owner",
];

/// The lines of `log` that contain one of `patterns`.
pub fn error_lines<'a>(log: &'a str, patterns: &[&str]) -> Vec<&'a str> {
    log.lines()
        .filter(|l| patterns.iter().any(|p| l.contains(p)))
        .collect()
}

/// The state keepalived last logged for `instance` ("(VI_1) Entering MASTER STATE"):
/// "master", "backup" or "fault".
pub fn keepalived_state(log: &str, instance: &str) -> Option<String> {
    let marker = format!("({instance}) Entering ");
    log.lines().rev().find_map(|l| {
        let rest = &l[l.find(&marker)? + marker.len()..];
        Some(rest.split_whitespace().next()?.to_lowercase())
    })
}

/// Our counters in `ERROR_COUNTERS` that are not 0, as `name=value`.
pub fn nonzero_error_counters(status: &RouterStatus) -> Vec<String> {
    ERROR_COUNTERS
        .iter()
        .filter_map(|c| match status.raw["counters"][*c].as_u64() {
            Some(0) => None,
            Some(v) => Some(format!("{c}={v}")),
            None => Some(format!("{c} missing")),
        })
        .collect()
}

/// Our `peers` field: each recently heard peer and its checksum form.
pub fn peer_forms(status: &RouterStatus) -> Vec<(IpAddr, String)> {
    status.raw["peers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            Some((
                p["address"].as_str()?.parse().ok()?,
                p["checksum_form"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// The checksum form we must report for a keepalived or FRR peer of `pair` (both use the
/// IPv4 pseudo-header for VRRPv3 over IPv4).
pub fn expected_form(pair: &Pair) -> &'static str {
    match (pair.version.unwrap_or(2), pair_is_v6(pair)) {
        (2, _) => "v2",
        (_, false) => "v3-ipv4-pseudo-header",
        (_, true) => "v3-ipv6-pseudo-header",
    }
}

/// The pair's VIP without a prefix length.
pub fn pair_vip(pair: &Pair) -> IpAddr {
    parse_ip(&pair.vip)
}

fn pair_is_v6(pair: &Pair) -> bool {
    pair_vip(pair).is_ipv6()
}

/// The advertisement interval of a pair.
pub fn advert_interval(pair: &Pair) -> Duration {
    Duration::from_secs_f64(pair.advert_int.parse().expect("advert_int"))
}

/// Skew_Time of a backup with `priority` (v3: scaled by the interval; v2: seconds).
pub fn skew_time(pair: &Pair, priority: u8) -> Duration {
    let f = f64::from(256 - u32::from(priority)) / 256.0;
    if pair.version == Some(3) {
        advert_interval(pair).mul_f64(f)
    } else {
        Duration::from_secs_f64(f)
    }
}

/// Master_Down_Interval of a backup with `priority`.
pub fn master_down_interval(pair: &Pair, priority: u8) -> Duration {
    advert_interval(pair) * 3 + skew_time(pair, priority)
}

// ---- FRR ----

/// FRR's binaries on Debian.
pub const FRR_ZEBRA: &str = "/usr/lib/frr/zebra";
/// FRR's vrrpd.
pub const FRR_VRRPD: &str = "/usr/lib/frr/vrrpd";

/// Why FRR cannot run here (zebra, vrrpd, vtysh or the `frr` user missing), if it cannot.
pub fn frr_missing() -> Option<String> {
    for tool in [FRR_ZEBRA, FRR_VRRPD, "vtysh"] {
        if !super::have(tool) {
            return Some(format!("{tool} not installed"));
        }
    }
    let mut cmd = Command::new("id");
    cmd.arg("frr");
    match run_with_timeout(cmd, RUN_TIMEOUT) {
        Ok(out) if out.status.success() => None,
        _ => Some("no user frr (FRR not installed)".into()),
    }
}

/// One vrrpd virtual router: what goes under `interface eth0`.
#[derive(Debug, Clone)]
pub struct FrrConf {
    /// VRID.
    pub vrid: u8,
    /// 2 or 3.
    pub version: u8,
    /// Configured priority.
    pub priority: u8,
    /// `advertisement-interval` in milliseconds.
    pub advert_ms: u32,
    /// The virtual address (IPv4 or IPv6).
    pub vip: IpAddr,
    /// `no vrrp N preempt` when false.
    pub preempt: bool,
}

impl FrrConf {
    /// Router `k` of `pair` as an FRR virtual router. FRR has no authentication and no
    /// tracking: a pair with either is refused.
    pub fn from_pair(pair: &Pair, k: usize) -> FrrConf {
        let version = pair.version.unwrap_or(2);
        assert!(
            version == 3 || pair.auth_pass.is_none(),
            "FRR vrrpd has no authentication"
        );
        assert!(pair.check.is_none(), "FRR vrrpd has no track scripts");
        assert!(!pair.unicast, "FRR vrrpd has no unicast");
        FrrConf {
            vrid: pair.vrid,
            version,
            priority: pair.priorities[k],
            advert_ms: u32::try_from(advert_interval(pair).as_millis()).unwrap(),
            vip: pair_vip(pair),
            preempt: !pair.nopreempt,
        }
    }

    /// vrrpd.conf, with the debug switches that make vrrpd log every received advert and
    /// every packet it drops.
    pub fn render(&self, hostname: &str) -> String {
        let v = self.vrid;
        let mut s = format!(
            "hostname {hostname}\ndebug vrrp packets\ndebug vrrp protocol\ninterface eth0\n"
        );
        s.push_str(&format!(" vrrp {v} version {}\n", self.version));
        s.push_str(&format!(" vrrp {v} priority {}\n", self.priority));
        s.push_str(&format!(
            " vrrp {v} advertisement-interval {}\n",
            self.advert_ms
        ));
        if !self.preempt {
            s.push_str(&format!(" no vrrp {v} preempt\n"));
        }
        match self.vip {
            IpAddr::V4(a) => s.push_str(&format!(" vrrp {v} ip {a}\n")),
            IpAddr::V6(a) => s.push_str(&format!(" vrrp {v} ipv6 {a}\n")),
        }
        s
    }
}

/// zebra + vrrpd running on one router.
#[derive(Debug, Clone)]
pub struct Frr {
    /// Router index.
    pub k: usize,
    /// Its namespace.
    pub ns: String,
    /// The private directory (owned by frr:frr): configs, pid files, vty sockets.
    pub dir: PathBuf,
    /// zebra.
    pub zebra: ProcId,
    /// vrrpd (its log is stdout, with debug lines).
    pub vrrpd: ProcId,
    /// The macvlan carrying the VIP.
    pub macvlan: String,
    /// The configuration.
    pub conf: FrrConf,
    /// The source address of its adverts: eth0's IPv4 address, or the macvlan's
    /// link-local for IPv6.
    pub source: IpAddr,
}

impl Lab {
    /// Starts FRR's zebra and vrrpd on router `k` with one virtual router; returns once
    /// vrrpd answers `show vrrp json` with it (at most 15 s).
    pub fn start_frr(&mut self, k: usize, conf: &FrrConf) -> Frr {
        let ns = self.router_ns(k);
        // Or eth0 answers ARP for the VIP on the macvlan as well.
        run(
            "ip",
            &[
                "netns",
                "exec",
                &ns,
                "sysctl",
                "-qw",
                "net.ipv4.conf.eth0.arp_ignore=1",
            ],
        );
        let out = self.ip(&ns, &["-j", "link", "show", "dev", "eth0"]);
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        let ifindex = json[0]["ifindex"].as_u64().expect("eth0 ifindex");
        let v6 = conf.vip.is_ipv6();
        let macvlan = format!("vrrp{}-{ifindex}-{}", if v6 { 6 } else { 4 }, conf.vrid);
        let mac = format!("00:00:5e:00:0{}:{:02x}", if v6 { 2 } else { 1 }, conf.vrid);
        self.ip(
            &ns,
            &[
                "link", "add", &macvlan, "link", "eth0", "address", &mac, "type", "macvlan",
                "mode", "bridge",
            ],
        );
        // addrgenmode fails on the `add` line. IPv4: no link-local at all; IPv6: exactly
        // one (EUI-64 of the virtual MAC), the source of vrrpd's adverts.
        self.ip(
            &ns,
            &[
                "link",
                "set",
                &macvlan,
                "addrgenmode",
                if v6 { "eui64" } else { "none" },
            ],
        );
        let vip = match conf.vip {
            IpAddr::V4(a) => format!("{a}/32"),
            IpAddr::V6(a) => format!("{a}/128"),
        };
        if v6 {
            self.ip(&ns, &["addr", "add", &vip, "dev", &macvlan, "nodad"]);
        } else {
            self.ip(&ns, &["addr", "add", &vip, "dev", &macvlan]);
        }
        self.ip(&ns, &["link", "set", &macvlan, "up"]);
        let source: IpAddr = if v6 {
            let ll = Lab::eui64_link_local(&mac);
            assert!(
                wait_until(Duration::from_secs(5), || self
                    .link_addresses(&ns, &macvlan)
                    .contains(&IpAddr::V6(ll))),
                "{macvlan} in {ns} did not get its link-local {ll}"
            );
            ll.into()
        } else {
            Lab::router_v4(k).into()
        };

        // frr must reach its directory: the lab directory is root's 0700.
        fs::set_permissions(self.dir(), fs::Permissions::from_mode(0o711)).expect("chmod");
        let dir = self.router_dir(k).join("frr");
        fs::create_dir_all(&dir).expect("frr directory");
        let hostname = format!("{}-r{k}", self.prefix());
        fs::write(dir.join("zebra.conf"), format!("hostname {hostname}\n")).unwrap();
        fs::write(dir.join("vrrpd.conf"), conf.render(&hostname)).unwrap();
        fs::write(dir.join("vtysh.conf"), "").unwrap();
        run("chown", &["-R", "frr:frr", dir.to_str().unwrap()]);

        let d = dir.to_str().unwrap().to_string();
        let argv = |daemon: &'static str, name: &str| -> Vec<String> {
            [
                daemon,
                "-u",
                "frr",
                "-g",
                "frr",
                "-f",
                &format!("{d}/{name}.conf"),
                "-i",
                &format!("{d}/{name}.pid"),
                "--vty_socket",
                &d,
                "-z",
                &format!("{d}/zserv.api"),
                "-A",
                "127.0.0.1",
                "-P",
                "0",
                "--log",
                "stdout",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect()
        };
        let zebra_argv = argv(FRR_ZEBRA, "zebra");
        let zebra_argv: Vec<&str> = zebra_argv.iter().map(String::as_str).collect();
        let zebra = self.spawn(&ns, &format!("zebra-r{k}"), &zebra_argv);
        let zserv = dir.join("zserv.api");
        assert!(
            wait_until(Duration::from_secs(10), || zserv.exists()),
            "zebra in {ns} did not open {} within 10 s:\n{}",
            zserv.display(),
            self.log(zebra)
        );
        let vrrpd_argv = argv(FRR_VRRPD, "vrrpd");
        let vrrpd_argv: Vec<&str> = vrrpd_argv.iter().map(String::as_str).collect();
        let vrrpd = self.spawn(&ns, &format!("vrrpd-r{k}"), &vrrpd_argv);
        let frr = Frr {
            k,
            ns,
            dir,
            zebra,
            vrrpd,
            macvlan,
            conf: conf.clone(),
            source,
        };
        assert!(
            wait_until(Duration::from_secs(15), || self.frr_router(&frr).is_some()),
            "vrrpd in {} does not show VRID {} within 15 s:\n{}",
            frr.ns,
            conf.vrid,
            self.log(vrrpd)
        );
        frr
    }

    /// fe80:: + the EUI-64 interface identifier of `mac` (`aa:bb:cc:dd:ee:ff`).
    fn eui64_link_local(mac: &str) -> Ipv6Addr {
        let b: Vec<u8> = mac
            .split(':')
            .map(|x| u8::from_str_radix(x, 16).unwrap())
            .collect();
        Ipv6Addr::new(
            0xfe80,
            0,
            0,
            0,
            u16::from_be_bytes([b[0] ^ 0x02, b[1]]),
            u16::from_be_bytes([b[2], 0xff]),
            u16::from_be_bytes([0xfe, b[3]]),
            u16::from_be_bytes([b[4], b[5]]),
        )
    }

    /// Addresses on `dev` in `ns` (tentative ones included).
    fn link_addresses(&self, ns: &str, dev: &str) -> Vec<IpAddr> {
        let out = self.ip(ns, &["-j", "addr", "show", "dev", dev]);
        let json: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
        json.as_array()
            .into_iter()
            .flatten()
            .flat_map(|link| link["addr_info"].as_array().cloned().unwrap_or_default())
            .filter_map(|a| a["local"].as_str()?.parse().ok())
            .collect()
    }

    /// `vtysh -c 'show vrrp json'` of an FRR router (bounded); `None` if it does not answer.
    pub fn frr_show(&self, frr: &Frr) -> Option<serde_json::Value> {
        let d = frr.dir.to_str().unwrap();
        let mut cmd = Command::new("vtysh");
        cmd.args(["--vty_socket", d, "--config_dir", d, "-c", "show vrrp json"]);
        let out = run_with_timeout(cmd, RUN_TIMEOUT).ok()?;
        if !out.status.success() {
            return None;
        }
        serde_json::from_slice(&out.stdout).ok()
    }

    /// The address family's part of FRR's virtual router (`"v4"` or `"v6"` object of
    /// `show vrrp json`): status, stats, primaryAddress, ...
    pub fn frr_router(&self, frr: &Frr) -> Option<serde_json::Value> {
        let json = self.frr_show(frr)?;
        let vr = json
            .as_array()?
            .iter()
            .find(|vr| vr["vrid"].as_u64() == Some(u64::from(frr.conf.vrid)))?;
        let family = if frr.conf.vip.is_ipv6() { "v6" } else { "v4" };
        Some(vr[family].clone())
    }

    /// FRR's state, lower case: "master", "backup" or "initialize".
    pub fn frr_state(&self, frr: &Frr) -> Option<String> {
        Some(self.frr_router(frr)?["status"].as_str()?.to_lowercase())
    }

    /// True when FRR's macvlan is operational (vrrpd lifts protodown as master only).
    pub fn frr_macvlan_up(&self, frr: &Frr) -> bool {
        let Ok(out) = self.exec(
            &frr.ns,
            &["ip", "-j", "link", "show", "dev", &frr.macvlan],
            RUN_TIMEOUT,
        ) else {
            return false;
        };
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        json[0]["flags"]
            .as_array()
            .is_some_and(|f| f.iter().any(|x| x == "LOWER_UP"))
            && json[0]["proto_down"].as_bool() != Some(true)
    }

    /// Deletes FRR's macvlan (vrrpd leaves it, admin up with the VIP, in protodown).
    pub fn delete_frr_macvlan(&self, frr: &Frr) {
        self.ip(&frr.ns, &["link", "del", &frr.macvlan]);
    }

    // ---- any implementation ----

    /// Starts `kind` as router `k` of `pair` (FRR: [`FrrConf::from_pair`]).
    pub fn start_node(&mut self, kind: Kind, k: usize, pair: &Pair) -> Node {
        match kind {
            Kind::Vrrp => Node::Vrrp {
                k,
                id: self.start_vrrp(k, &pair.conf(self, k)),
            },
            Kind::Keepalived => Node::Keepalived {
                k,
                id: self.start_keepalived(k, &pair.conf(self, k)),
            },
            Kind::Frr => Node::Frr(self.start_frr(k, &FrrConf::from_pair(pair, k))),
        }
    }

    /// A node's state, lower case ("master", "backup", "fault", "initialize").
    pub fn node_state(&self, node: &Node) -> Option<String> {
        match node {
            Node::Vrrp { id, .. } => self.vrrp_state(*id, INSTANCE),
            Node::Keepalived { id, .. } => keepalived_state(&self.log(*id), INSTANCE),
            Node::Frr(frr) => self.frr_state(frr),
        }
    }

    /// True when the node is master.
    pub fn is_master(&self, node: &Node) -> bool {
        self.node_state(node).as_deref() == Some("master")
    }

    /// True when the node is backup.
    pub fn is_backup(&self, node: &Node) -> bool {
        self.node_state(node).as_deref() == Some("backup")
    }

    /// True when the node serves `vip`: on eth0 for keepalived and our daemon, on an
    /// operational macvlan for FRR.
    pub fn node_holds_vip(&self, node: &Node, vip: IpAddr) -> bool {
        match node {
            Node::Vrrp { k, .. } | Node::Keepalived { k, .. } => self.addresses(*k).contains(&vip),
            Node::Frr(frr) => self.frr_macvlan_up(frr),
        }
    }

    /// The indices of `nodes` that serve `vip`.
    pub fn vip_holders(&self, nodes: &[&Node], vip: IpAddr) -> Vec<usize> {
        nodes
            .iter()
            .filter(|n| self.node_holds_vip(n, vip))
            .map(|n| n.k())
            .collect()
    }

    /// The source address of a node's adverts for `pair`.
    pub fn node_source(&self, node: &Node, pair: &Pair) -> IpAddr {
        match node {
            Node::Vrrp { k, .. } | Node::Keepalived { k, .. } => {
                if pair_is_v6(pair) {
                    self.router_ll(*k).into()
                } else {
                    Lab::router_v4(*k).into()
                }
            }
            Node::Frr(frr) => frr.source,
        }
    }

    /// The node's log: our daemon's and keepalived's output, vrrpd's debug log.
    pub fn node_log(&self, node: &Node) -> String {
        match node {
            Node::Vrrp { id, .. } | Node::Keepalived { id, .. } => self.log(*id),
            Node::Frr(frr) => self.log(frr.vrrpd),
        }
    }

    /// The log lines in which a peer reports a dropped packet ([`KEEPALIVED_ERRORS`],
    /// [`FRR_ERRORS`]); our daemon's errors are in its counters.
    pub fn node_error_lines(&self, node: &Node) -> Vec<String> {
        let patterns = match node {
            Node::Vrrp { .. } => return Vec::new(),
            Node::Keepalived { .. } => KEEPALIVED_ERRORS,
            Node::Frr(_) => FRR_ERRORS,
        };
        error_lines(&self.node_log(node), patterns)
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// True when the peer's log shows that it accepted an advert from `src` (it logs
    /// adverts only after every check, the checksum included): keepalived's
    /// "... advert from SRC ..." lines (lower / higher priority), vrrpd's
    /// "Received VRRP Advertisement from SRC". Our daemon: SRC is in `peers`.
    pub fn node_accepted_from(&self, node: &Node, src: IpAddr) -> bool {
        match node {
            Node::Vrrp { id, .. } => self
                .vrrp_status(*id)
                .and_then(|s| s.into_iter().find(|r| r.name == INSTANCE))
                .is_some_and(|r| peer_forms(&r).iter().any(|(a, _)| *a == src)),
            Node::Keepalived { .. } => self
                .node_log(node)
                .lines()
                .any(|l| l.contains(&format!("advert from {src} "))),
            Node::Frr(_) => self
                .node_log(node)
                .contains(&format!("Received VRRP Advertisement from {src}:")),
        }
    }

    /// Our daemon's router `INSTANCE`.
    pub fn vrrp_router(&self, id: ProcId) -> Option<RouterStatus> {
        self.vrrp_status(id)?
            .into_iter()
            .find(|r| r.name == INSTANCE)
    }

    /// Stops a node the graceful way (SIGTERM; keepalived's main process, FRR's vrrpd),
    /// which sends priority 0. Returns once it exited (panics after 20 s).
    pub fn terminate_node(&mut self, node: &Node) {
        let id = match node {
            Node::Vrrp { id, .. } | Node::Keepalived { id, .. } => *id,
            Node::Frr(frr) => frr.vrrpd,
        };
        self.signal(id, libc::SIGTERM);
        let status = self.wait_exit(id, Duration::from_secs(20));
        assert!(
            status.is_some(),
            "{:?} did not exit within 20 s of SIGTERM",
            node.kind()
        );
    }
}

/// Which implementation a node runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// This repository's `vrrp run`.
    Vrrp,
    /// keepalived 2.2.x.
    Keepalived,
    /// FRR's zebra + vrrpd.
    Frr,
}

/// A running router of any [`Kind`].
#[derive(Debug, Clone)]
pub enum Node {
    /// Our daemon on router `k`.
    Vrrp {
        /// Router index.
        k: usize,
        /// The process.
        id: ProcId,
    },
    /// keepalived on router `k`.
    Keepalived {
        /// Router index.
        k: usize,
        /// The main process.
        id: ProcId,
    },
    /// FRR.
    Frr(Frr),
}

impl Node {
    /// Router index.
    pub fn k(&self) -> usize {
        match self {
            Node::Vrrp { k, .. } | Node::Keepalived { k, .. } => *k,
            Node::Frr(frr) => frr.k,
        }
    }

    /// Its implementation.
    pub fn kind(&self) -> Kind {
        match self {
            Node::Vrrp { .. } => Kind::Vrrp,
            Node::Keepalived { .. } => Kind::Keepalived,
            Node::Frr(_) => Kind::Frr,
        }
    }

    /// Our daemon's process, if this node is ours.
    pub fn vrrp_id(&self) -> Option<ProcId> {
        match self {
            Node::Vrrp { id, .. } => Some(*id),
            _ => None,
        }
    }
}

/// `tshark -n -r PCAP -o PREF... -Y FILTER -T fields -e vrrp.checksum.status` (bounded):
/// one value per matching packet ("1" Good, "0" Bad, "2" unverified).
pub fn tshark_checksum_status(
    pcap: &Path,
    prefs: &[&str],
    filter: &str,
) -> Result<Vec<String>, String> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-n").arg("-r").arg(pcap);
    for p in prefs {
        cmd.args(["-o", p]);
    }
    cmd.args(["-Y", filter, "-T", "fields", "-e", "vrrp.checksum.status"]);
    let out = run_with_timeout(cmd, Duration::from_secs(30))?;
    if !out.status.success() {
        return Err(format!(
            "tshark failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .collect())
}

// ---- the scenario ----

/// What [`failover_scenario`] measured.
#[derive(Debug)]
pub struct ScenarioReport {
    /// Old master's last advert -> new master's first, after the link went down.
    pub takeover_gap: Duration,
    /// Priority-0 advert -> new master's first advert.
    pub handover_gap: Duration,
    /// The whole client capture.
    pub trace: Trace,
}

/// Checks that ours (if either node is ours) counts no error and reports `peer`'s
/// checksum form, and that the peers log no dropped packet. `ours_must_have_heard`:
/// the peer must be in our `peers` list by now.
fn check_clean(lab: &Lab, nodes: [&Node; 2], pair: &Pair, ours_must_have_heard: bool, when: &str) {
    for (i, node) in nodes.iter().enumerate() {
        let peer = nodes[1 - i];
        if let Some(id) = node.vrrp_id() {
            let Some(status) = lab.vrrp_router(id) else {
                // Ours may be the one that was stopped.
                continue;
            };
            let bad = nonzero_error_counters(&status);
            assert!(
                bad.is_empty(),
                "{when}: our router {} counts errors: {bad:?}\n{}",
                node.k(),
                status.raw
            );
            if peer.kind() != Kind::Vrrp && ours_must_have_heard {
                let src = lab.node_source(peer, pair);
                let forms = peer_forms(&status);
                assert!(
                    forms
                        .iter()
                        .any(|(a, f)| *a == src && f == expected_form(pair)),
                    "{when}: our router {} should list {:?} peer {src} with checksum form {}; peers {forms:?}",
                    node.k(),
                    peer.kind(),
                    expected_form(pair)
                );
            }
        }
        let errors = lab.node_error_lines(node);
        assert!(
            errors.is_empty(),
            "{when}: {:?} on router {} logged dropped packets:\n{}",
            node.kind(),
            node.k(),
            errors.join("\n")
        );
    }
}

/// Waits up to `timeout` for `cond`; on timeout panics with `what` and both nodes' states.
fn expect(lab: &Lab, nodes: [&Node; 2], timeout: Duration, what: &str, cond: impl FnMut() -> bool) {
    let t = Instant::now();
    if wait_until(timeout, cond) {
        eprintln!("{what}: after {}", secs(t.elapsed()));
        return;
    }
    panic!(
        "not within {}: {what}; states {:?} / {:?}",
        secs(timeout),
        lab.node_state(nodes[0]),
        lab.node_state(nodes[1])
    );
}

/// The interop scenario, `kinds[0]` on router 0 (the initial master: `pair.priorities[0]`
/// must be the higher) and `kinds[1]` on router 1:
///
/// 1. router 0 starts and becomes master with the VIP; router 1 starts and settles as
///    backup, and no one flaps for 1.5 Master_Down_Intervals (a peer that refused
///    router 0's adverts would take over); the client reaches the VIP;
/// 2. router 0's link goes down: router 1 takes the VIP about Master_Down_Interval after
///    router 0's last advert; the client reaches it;
/// 3. the link comes back: router 0 preempts, router 1 goes back to backup;
/// 4. router 0 gets SIGTERM: it sends priority 0 and router 1 takes over after about
///    Skew_Time (well before Master_Down_Interval).
///
/// Throughout: our daemon counts no error and lists the peer with its checksum form,
/// keepalived and vrrpd log no dropped packet, each side's log shows it accepted the
/// other's adverts, and every advert the client saw decodes.
pub fn failover_scenario(pair: &Pair, kinds: [Kind; 2]) -> ScenarioReport {
    assert!(pair.priorities[0] > pair.priorities[1]);
    let mut lab = Lab::new(2);
    let vip = pair_vip(pair);
    let vip_str = vip.to_string();
    let version = pair.version.unwrap_or(2);
    let mdi = master_down_interval(pair, pair.priorities[1]);
    let skew = skew_time(pair, pair.priorities[1]);
    // Generous: the protocol's timing is checked on the capture; these bound waits that
    // include adding or removing a VIP, which waits for the kernel's RTNL lock (held for
    // seconds at a time by namespace churn of concurrent tests).
    let bound = mdi * 2 + Duration::from_secs(15);
    eprintln!(
        "{kinds:?}: VRRPv{version} {} advert_int {}, Master_Down_Interval of router 1 {}, Skew_Time {}",
        if vip.is_ipv6() { "IPv6" } else { "IPv4" },
        pair.advert_int,
        secs(mdi),
        secs(skew)
    );

    // 1. start-up
    let n0 = lab.start_node(kinds[0], 0, pair);
    {
        let t = Instant::now();
        assert!(
            wait_until(bound, || lab.is_master(&n0) && lab.node_holds_vip(&n0, vip)),
            "router 0 ({:?}) did not become master with the VIP within {}; state {:?}\n{}",
            kinds[0],
            secs(bound),
            lab.node_state(&n0),
            lab.node_log(&n0)
        );
        eprintln!("router 0 master after {}", secs(t.elapsed()));
    }
    let capture = lab.start_capture();
    let n1 = lab.start_node(kinds[1], 1, pair);
    let nodes = [&n0, &n1];
    let src0 = lab.node_source(&n0, pair);
    let src1 = lab.node_source(&n1, pair);
    expect(&lab, nodes, bound, "router 1 backup", || lab.is_backup(&n1));
    // No flapping while router 1 learns router 0: a peer that refused router 0's
    // adverts would take over after one Master_Down_Interval.
    let settle = (mdi * 3 / 2).max(Duration::from_secs(1));
    let until = Instant::now() + settle;
    while Instant::now() < until {
        let holders = lab.vip_holders(&nodes, vip);
        assert!(
            lab.is_master(&n0) && lab.is_backup(&n1) && holders == [0],
            "not settled: states {:?} / {:?}, VIP holders {holders:?}\n{}",
            lab.node_state(&n0),
            lab.node_state(&n1),
            lab.capture_snapshot(&capture).summary()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // keepalived logs nothing about adverts it accepts as backup: for it, not flapping
    // above is the evidence.
    assert!(
        kinds[1] == Kind::Keepalived || lab.node_accepted_from(&n1, src0),
        "router 1 ({:?}) shows no advert accepted from router 0 ({src0})",
        kinds[1]
    );
    if let Node::Frr(frr) = &n1 {
        let rx = lab.frr_router(frr).unwrap()["stats"]["adverRx"].as_u64();
        assert!(rx > Some(0), "vrrpd counts no received advert: {rx:?}");
    }
    assert!(
        wait_until(Duration::from_secs(5), || lab.client_ping(&vip_str)),
        "client cannot reach the VIP on router 0"
    );
    check_clean(&lab, nodes, pair, kinds[1] == Kind::Vrrp, "after start-up");

    // 2. the master's link goes down
    let frr0_transitions = || match &n0 {
        Node::Frr(frr) => lab
            .frr_router(frr)
            .and_then(|r| r["stats"]["transitions"].as_u64()),
        _ => None,
    };
    let transitions_before = frr0_transitions();
    lab.link_down(0);
    expect(
        &lab,
        nodes,
        bound,
        "router 1 master with the VIP after link down",
        || lab.is_master(&n1) && lab.node_holds_vip(&n1, vip),
    );
    assert!(
        wait_until(Duration::from_secs(5), || lab.client_ping(&vip_str)),
        "client cannot reach the VIP on router 1"
    );
    // Router 1's first advert may come a little after it took the VIP (and the client's
    // ping may be faster still).
    wait_until(Duration::from_secs(3), || {
        lab.capture_snapshot(&capture)
            .adverts_from(src1)
            .next()
            .is_some()
    });
    let down = lab.capture_snapshot(&capture);
    let first1 = down
        .adverts_from(src1)
        .next()
        .unwrap_or_else(|| panic!("no advert from router 1 ({src1}):\n{}", down.summary()))
        .clone();
    assert_eq!(first1.priority, pair.priorities[1]);
    let last0 = down
        .last_from_before(src0, first1.t)
        .unwrap_or_else(|| panic!("no advert from router 0 ({src0}):\n{}", down.summary()))
        .clone();
    assert_eq!(last0.priority, pair.priorities[0]);
    let takeover_gap = first1.t - last0.t;
    eprintln!(
        "takeover gap {} (Master_Down_Interval {})",
        secs(takeover_gap),
        secs(mdi)
    );
    assert!(
        takeover_gap >= mdi.mul_f64(0.8)
            && takeover_gap <= mdi.mul_f64(1.5) + Duration::from_millis(500),
        "takeover gap {} is far from Master_Down_Interval {}:\n{}",
        secs(takeover_gap),
        secs(mdi),
        down.summary()
    );

    // 3. it comes back and preempts
    lab.link_up(0);
    expect(&lab, nodes, bound, "router 0 preempted", || {
        lab.is_master(&n0) && lab.is_backup(&n1) && lab.vip_holders(&nodes, vip) == [0]
    });
    // vrrpd 8.4 (IPv4) may not notice that its link went down: then it stays master
    // throughout and, as the link comes back, goes on advertising without announcing the
    // VIP again (no gratuitous ARP), so the client still sends to the MAC of router 1,
    // which has just released the VIP; and it may never have heard router 1.
    let stayed_master = transitions_before.is_some() && frr0_transitions() == transitions_before;
    if stayed_master {
        eprintln!(
            "vrrpd on router 0 never left master while its link was down (transitions {:?}): \
             flushing the client's stale neighbour entry; whether vrrpd accepts router 1's \
             adverts is not exercised here",
            transitions_before
        );
        lab.client_flush_neighbours();
    }
    assert!(
        wait_until(Duration::from_secs(5), || lab.client_ping(&vip_str)),
        "client cannot reach the VIP after preemption"
    );
    assert!(
        stayed_master || lab.node_accepted_from(&n0, src1),
        "router 0 ({:?}) shows no advert accepted from router 1 ({src1})",
        kinds[0]
    );
    assert!(
        lab.node_accepted_from(&n1, src0),
        "router 1 ({:?}) shows no advert accepted from router 0 ({src0})",
        kinds[1]
    );
    check_clean(&lab, nodes, pair, true, "after preemption");

    // 4. SIGTERM: priority 0, router 1 takes over after Skew_Time
    let before_bye = lab.capture_snapshot(&capture);
    let t_bye = before_bye.adverts.last().map(|a| a.t).unwrap_or_default();
    lab.terminate_node(&n0);
    if let Node::Frr(frr) = &n0 {
        // vrrpd leaves the macvlan up with the VIP.
        lab.delete_frr_macvlan(frr);
    }
    expect(&lab, nodes, bound, "router 1 master after SIGTERM", || {
        lab.is_master(&n1) && lab.node_holds_vip(&n1, vip)
    });
    assert!(
        wait_until(Duration::from_secs(5), || lab.client_ping(&vip_str)),
        "client cannot reach the VIP on router 1 after router 0 stopped"
    );
    let trace = lab.stop_capture(capture);
    let bye = trace
        .adverts_from(src0)
        .find(|a| a.priority == 0 && a.t >= t_bye)
        .unwrap_or_else(|| panic!("no priority-0 advert from router 0:\n{}", trace.summary()))
        .clone();
    let first1 = trace
        .first_from_after(src1, bye.t)
        .unwrap_or_else(|| {
            panic!(
                "no advert from router 1 after priority 0:\n{}",
                trace.summary()
            )
        })
        .clone();
    assert_eq!(first1.priority, pair.priorities[1]);
    let handover_gap = first1.t - bye.t;
    eprintln!(
        "priority 0 -> router 1's first advert {} (Skew_Time {}, Master_Down_Interval {})",
        secs(handover_gap),
        secs(skew),
        secs(mdi)
    );
    // "About Skew_Time": at least most of it, and clearly less than Master_Down_Interval
    // (the timer a backup that ignored the priority 0 would have waited for).
    // vrrpd 8.4 over IPv6 loses its first advert as new master (its macvlan comes out of
    // protodown before zebra tells it the link-local again: "Failed to find address to
    // bind"), so its first advert on the wire is one interval later.
    let lost_first = if kinds[1] == Kind::Frr && vip.is_ipv6() {
        advert_interval(pair)
    } else {
        Duration::ZERO
    };
    assert!(
        handover_gap >= skew.mul_f64(0.8) && handover_gap <= skew + (mdi - skew) / 2 + lost_first,
        "handover after priority 0 took {} (Skew_Time {}, Master_Down_Interval {}):\n{}",
        secs(handover_gap),
        secs(skew),
        secs(mdi),
        trace.summary()
    );

    // Every advert on the wire is valid, of the pair's version and VRID.
    assert!(
        trace
            .adverts
            .iter()
            .all(|a| a.error.is_none() && a.version == version && a.vrid == pair.vrid),
        "adverts our codec refuses, or of another version / VRID:\n{}",
        trace.summary()
    );
    assert!(
        trace.adverts.iter().all(|a| a.src == src0 || a.src == src1),
        "adverts from unexpected sources (router 0 {src0}, router 1 {src1}):\n{}",
        trace.summary()
    );
    check_clean(&lab, nodes, pair, true, "at the end");
    ScenarioReport {
        takeover_gap,
        handover_gap,
        trace,
    }
}
