//! Sysctls: what a macvlan and its parent need, set through `/proc/sys` and put back.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use vrrp_core::Family;

use super::validate_vmac_name;
use crate::error::{Error, Result};

/// Where the per-interface IPv4 settings live; `all` and `default` sit beside the
/// interfaces.
const IPV4_CONF: &str = "/proc/sys/net/ipv4/conf";

/// What the macvlan of an IPv4 router needs (keepalived's vmac_sysctl). Set on an
/// interface we created, so never restored: they go with it.
const VMAC_IPV4: [(&str, u32); 4] = [
    // Answer ARP only for addresses on the macvlan itself (the VIPs), never for the
    // parent's addresses: a peer that learnt the virtual MAC for the host's own address
    // would lose it at the next failover.
    ("arp_ignore", 1),
    // Hear VRRP routers on this host itself (another router of the same virtual router
    // on another interface, as in test set-ups): their adverts come from a local
    // address, which the kernel otherwise drops as a martian source.
    ("accept_local", 1),
    // A backup's macvlan has no address and the peers' adverts come from addresses routed
    // through the parent: strict reverse-path filtering would drop every one of them.
    ("rp_filter", 0),
    // Removing the VIP that is the primary address of its subnet must not take the other
    // VIPs of that subnet (its secondaries) with it.
    ("promote_secondaries", 1),
];

/// What the macvlan of an IPv6 router needs (keepalived's vmac_sysctl_6): the same ARP
/// rule, for IPv4 addresses put on it as excluded VIPs.
const VMAC_IPV6: [(&str, u32); 1] = [("arp_ignore", 1)];

/// The network namespace of the calling thread, as the device and inode of its
/// `/proc/thread-self/ns/net`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NetnsId {
    dev: u64,
    ino: u64,
}

fn current_netns() -> Result<NetnsId> {
    let meta = fs::metadata("/proc/thread-self/ns/net").map_err(|source| Error::Io {
        what: "identify the calling thread's network namespace (/proc/thread-self/ns/net)",
        source,
    })?;
    Ok(NetnsId {
        dev: meta.dev(),
        ino: meta.ino(),
    })
}

fn conf_path(ifname: &str, key: &str) -> PathBuf {
    Path::new(IPV4_CONF).join(ifname).join(key)
}

pub(super) fn read_value(path: &Path) -> Result<u32> {
    let text = fs::read_to_string(path).map_err(|source| sysctl_error("read", path, source))?;
    text.trim().parse().map_err(|_| {
        sysctl_error(
            "read",
            path,
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not a number: {:?}", text.trim()),
            ),
        )
    })
}

fn write_value(path: &Path, value: u32) -> Result<()> {
    fs::write(path, value.to_string()).map_err(|source| sysctl_error("write", path, source))
}

fn sysctl_error(action: &'static str, path: &Path, source: io::Error) -> Error {
    Error::Sysctl {
        action,
        path: path.display().to_string(),
        source,
    }
}

pub(super) fn is_not_found(e: &Error) -> bool {
    matches!(e, Error::Sysctl { source, .. } if source.kind() == io::ErrorKind::NotFound)
}

/// Reads `key` of interface `ifname`; a missing interface directory becomes
/// [`Error::InterfaceNotFound`].
pub(super) fn read_conf(ifname: &str, key: &str) -> Result<u32> {
    read_value(&conf_path(ifname, key)).map_err(|e| {
        if is_not_found(&e) {
            Error::InterfaceNotFound {
                name: ifname.to_owned(),
            }
        } else {
            e
        }
    })
}

/// One value we changed: written back at restore if nobody changed it since.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Saved {
    path: PathBuf,
    previous: u32,
    written: u32,
}

/// Sysctl values changed for macvlans, to be put back: the parent's ARP settings and the
/// namespace-wide `rp_filter` (the macvlan's own settings go with the macvlan).
///
/// [`SysctlRestore::restore`] writes a value back only where it is still what we wrote,
/// so a change made by someone else meanwhile stays. Dropping it without restoring
/// leaves the values as they are (as a crash would).
#[derive(Debug, Default)]
#[must_use = "the parent's sysctls stay changed unless this is restored"]
pub struct SysctlRestore {
    netns: Option<NetnsId>,
    saved: Vec<Saved>,
}

impl SysctlRestore {
    fn new(netns: NetnsId) -> Self {
        SysctlRestore {
            netns: Some(netns),
            saved: Vec::new(),
        }
    }

    /// True if nothing was changed, so there is nothing to put back.
    pub fn is_empty(&self) -> bool {
        self.saved.is_empty()
    }

    /// Puts the saved values back, newest first, and forgets them. A value someone changed
    /// since is left as it is; an interface that is gone is skipped. The first failure is
    /// returned after trying all.
    ///
    /// Must run on a thread in the network namespace the values were saved in, where
    /// the same names mean the same interfaces; anywhere else it writes nothing and
    /// returns [`Error::WrongNetworkNamespace`] (the values stay saved for a retry).
    pub fn restore(&mut self) -> Result<()> {
        if self.saved.is_empty() {
            return Ok(());
        }
        if self.netns != Some(current_netns()?) {
            return Err(Error::WrongNetworkNamespace {
                what: "restore sysctls changed for a virtual MAC",
            });
        }
        let mut first_error = None;
        while let Some(saved) = self.saved.pop() {
            let outcome = match read_value(&saved.path) {
                Ok(now) if now == saved.written => write_value(&saved.path, saved.previous),
                Ok(_) => Ok(()),
                Err(e) if is_not_found(&e) => Ok(()),
                Err(e) => Err(e),
            };
            if let Err(e) = outcome {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Sets `path` to `value` unless it is already; remembers the old value if it
    /// changed.
    fn set(&mut self, path: PathBuf, value: u32) -> Result<()> {
        let previous = read_value(&path)?;
        if previous != value {
            write_value(&path, value)?;
            self.saved.push(Saved {
                path,
                previous,
                written: value,
            });
        }
        Ok(())
    }

    /// Moves the values of `later` (saved in the same namespace) behind ours.
    fn absorb(&mut self, mut later: SysctlRestore) {
        self.netns = self.netns.or(later.netns);
        self.saved.append(&mut later.saved);
    }

    /// Runs `steps`, which save into `self`; if they fail, puts back what they changed
    /// before returning the error, so a failed apply leaves nothing half done.
    fn all_or_nothing(&mut self, steps: impl FnOnce(&mut Self) -> Result<()>) -> Result<()> {
        let before = self.saved.len();
        steps(self).inspect_err(|_| {
            let mut partial = SysctlRestore {
                netns: self.netns,
                saved: self.saved.split_off(before),
            };
            let _ = partial.restore();
        })
    }
}

/// Sets the sysctls one macvlan needs, as keepalived does, and returns what it changed
/// outside the macvlan. IPv4 (`family` is the router's):
///
/// - the macvlan `name`: `arp_ignore=1`, `accept_local=1`, `rp_filter=0`,
///   `promote_secondaries=1` (the reasons are in the source);
/// - the parent: `arp_ignore=1` (unless already 1, 2 or 8, which are as strict) and
///   `arp_filter=1`, so that it does not answer ARP for the VIPs on the macvlan with its
///   own MAC; and `arp_announce=2` (beyond keepalived), so that it does not ask with a
///   VIP as the sender either, which would teach clients its own MAC for the VIP;
/// - if `net.ipv4.conf.all.rp_filter` is on, which would override the macvlan's 0:
///   `default` and every interface are raised to its value, then `all` set to 0
///   (keepalived's way; no interface filters less than before).
///
/// IPv6: only `arp_ignore=1` on the macvlan; the parent needs nothing, since Linux
/// answers neighbour solicitations only for addresses of the receiving interface.
///
/// Call it once the macvlan exists ([`Netlink::ensure_vmac`]). For several macvlans use
/// [`VmacSysctls`], which restores a parent's values only when its last macvlan goes.
/// Writes through `/proc/sys` of the calling thread's network namespace. On failure,
/// what was changed is put back.
///
/// [`Netlink::ensure_vmac`]: crate::netlink::Netlink::ensure_vmac
pub fn apply_vmac_sysctls(parent: &str, name: &str, family: Family) -> Result<SysctlRestore> {
    validate_vmac_name(name, parent)?;
    let mut restore = SysctlRestore::new(current_netns()?);
    restore.all_or_nothing(|restore| {
        if family == Family::Ipv4 {
            relax_all_rp_filter(restore, name)?;
        }
        set_vmac_own(name, family)?;
        if family == Family::Ipv4 {
            set_parent(restore, parent)?;
        }
        Ok(())
    })?;
    Ok(restore)
}

/// The macvlan's own values ([`VMAC_IPV4`] / [`VMAC_IPV6`]), not saved.
fn set_vmac_own(name: &str, family: Family) -> Result<()> {
    let wanted: &[(&str, u32)] = match family {
        Family::Ipv4 => &VMAC_IPV4,
        Family::Ipv6 => &VMAC_IPV6,
    };
    for &(key, value) in wanted {
        if read_conf(name, key)? != value {
            write_value(&conf_path(name, key), value)?;
        }
    }
    Ok(())
}

/// The parent's values (keepalived's parent_sysctl), saved.
fn set_parent(restore: &mut SysctlRestore, parent: &str) -> Result<()> {
    // Answer ARP only for addresses of the interface the request came in on: without it
    // the parent answers for the VIPs on the macvlan too, with its own MAC, and peers
    // keep sending to this host after a failover. 2 (same subnet too) and 8 (never) are
    // at least as strict and stay.
    let arp_ignore = read_conf(parent, "arp_ignore")?;
    if !matches!(arp_ignore, 1 | 2 | 8) {
        restore.set(conf_path(parent, "arp_ignore"), 1)?;
    }
    // Answer only when the reply would be routed out of the parent itself: a second
    // guard for VIPs whose prefix routes their subnet through the macvlan.
    read_conf(parent, "arp_filter")?;
    restore.set(conf_path(parent, "arp_filter"), 1)?;
    // Ask (ARP requests) from the parent's own address, never from a VIP: a master
    // answering a client from its VIP resolves the client out of the parent, and a
    // request with the VIP as sender would teach the client the parent's MAC for the VIP
    // (RFC 5227 section 2.6: hosts update their cache from requests they receive).
    // keepalived leaves this alone, and its clients end up with the parent's MAC after a
    // failover. 2 is the strictest value.
    read_conf(parent, "arp_announce")?;
    restore.set(conf_path(parent, "arp_announce"), 2)
}

/// keepalived's clear_rp_filter: the effective rp_filter of an interface is the larger of
/// its own and `all`'s, so the macvlan's 0 only counts with `all` at 0. To get there
/// without any interface filtering less than before, `default` (for interfaces created
/// later) and every interface except `skip` (the macvlan) are first raised to `all`'s
/// value. Everything is saved.
fn relax_all_rp_filter(restore: &mut SysctlRestore, skip: &str) -> Result<()> {
    let all_path = conf_path("all", "rp_filter");
    let all = read_value(&all_path)?;
    if all == 0 {
        return Ok(());
    }
    let default_path = conf_path("default", "rp_filter");
    if read_value(&default_path)? < all {
        restore.set(default_path, all)?;
    }
    let entries = fs::read_dir(IPV4_CONF)
        .map_err(|source| sysctl_error("read", Path::new(IPV4_CONF), source))?;
    for entry in entries {
        let entry = entry.map_err(|source| sysctl_error("read", Path::new(IPV4_CONF), source))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if matches!(name, "all" | "default") || name == skip {
            continue;
        }
        let path = conf_path(name, "rp_filter");
        match read_value(&path) {
            Ok(value) if value < all => restore.set(path, all)?,
            Ok(_) => {}
            // Deleted while we looked.
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(e),
        }
    }
    restore.set(all_path, 0)
}

/// The sysctls of every macvlan of one network namespace: set when a macvlan is added,
/// and put back when the last macvlan that needed them is removed (a parent's values
/// with the last IPv4 macvlan on it, the namespace-wide `rp_filter` with the last IPv4
/// macvlan at all), as keepalived does. See [`apply_vmac_sysctls`] for the values.
///
/// Use it from threads of one network namespace; calls from another are refused with
/// [`Error::WrongNetworkNamespace`].
#[derive(Debug, Default)]
pub struct VmacSysctls {
    netns: Option<NetnsId>,
    /// Macvlan name -> (parent, family).
    vmacs: BTreeMap<String, (String, Family)>,
    /// Parent -> what was changed on it.
    parents: BTreeMap<String, SysctlRestore>,
    /// `all`, `default` and per-interface rp_filter.
    rp_filter: SysctlRestore,
}

impl VmacSysctls {
    /// An empty set: nothing changed yet.
    pub fn new() -> Self {
        VmacSysctls::default()
    }

    /// Sets the sysctls for the macvlan `name` on `parent` of a `family` router (again, if
    /// it was added before). On failure, what this call changed is put back.
    pub fn add(&mut self, parent: &str, name: &str, family: Family) -> Result<()> {
        validate_vmac_name(name, parent)?;
        let netns = self.check_netns("set sysctls for a virtual MAC")?;
        let mut rp_filter = SysctlRestore::new(netns);
        let mut on_parent = SysctlRestore::new(netns);
        rp_filter.all_or_nothing(|rp_filter| {
            if family == Family::Ipv4 {
                relax_all_rp_filter(rp_filter, name)?;
            }
            set_vmac_own(name, family)?;
            if family == Family::Ipv4 {
                on_parent.all_or_nothing(|on_parent| set_parent(on_parent, parent))?;
            }
            Ok(())
        })?;
        self.rp_filter.absorb(rp_filter);
        if family == Family::Ipv4 {
            self.parents
                .entry(parent.to_owned())
                .or_default()
                .absorb(on_parent);
        }
        self.vmacs
            .insert(name.to_owned(), (parent.to_owned(), family));
        Ok(())
    }

    /// Forgets the macvlan `name` and puts back what no remaining macvlan needs. Unknown
    /// names are fine.
    pub fn remove(&mut self, name: &str) -> Result<()> {
        let Some((parent, family)) = self.vmacs.get(name).cloned() else {
            return Ok(());
        };
        self.check_netns("restore sysctls changed for a virtual MAC")?;
        self.vmacs.remove(name);
        let mut result = Ok(());
        if family == Family::Ipv4 && !self.any_ipv4(|p| p == parent) {
            if let Some(mut saved) = self.parents.remove(&parent) {
                result = saved.restore();
            }
        }
        if family == Family::Ipv4 && !self.any_ipv4(|_| true) {
            let rp = self.rp_filter.restore();
            result = result.and(rp);
        }
        result
    }

    /// Puts everything back and forgets every macvlan (daemon shutdown).
    pub fn restore_all(&mut self) -> Result<()> {
        if self.parents.values().all(SysctlRestore::is_empty) && self.rp_filter.is_empty() {
            self.vmacs.clear();
            return Ok(());
        }
        self.check_netns("restore sysctls changed for a virtual MAC")?;
        let mut result = Ok(());
        for (_, mut saved) in std::mem::take(&mut self.parents) {
            let outcome = saved.restore();
            result = result.and(outcome);
        }
        let outcome = self.rp_filter.restore();
        self.vmacs.clear();
        result.and(outcome)
    }

    /// True if an IPv4 macvlan on a parent matching `parent` is still registered.
    fn any_ipv4(&self, parent: impl Fn(&str) -> bool) -> bool {
        self.vmacs
            .values()
            .any(|(p, f)| *f == Family::Ipv4 && parent(p))
    }

    /// The calling thread's namespace, which must be the one of earlier calls.
    fn check_netns(&mut self, what: &'static str) -> Result<NetnsId> {
        let now = current_netns()?;
        match self.netns {
            Some(netns) if netns != now => Err(Error::WrongNetworkNamespace { what }),
            _ => {
                self.netns = Some(now);
                Ok(now)
            }
        }
    }
}
