//! The macvlans of `use_vmac` instances: created (or taken over from a run that crashed)
//! before the routers that run on them, removed with them, and the sysctls their parents
//! need set and put back (see [`vrrp_io::vmac`]).

use vrrp_core::Family;
use vrrp_io::vmac::{virtual_mac, VmacSysctls};
use vrrp_io::{MacAddr, Netlink};

use crate::config::{Config, VrrpInstance};

/// One macvlan the daemon made.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Vmac {
    name: String,
    parent: String,
    mac: MacAddr,
    family: Family,
}

impl Vmac {
    fn of(inst: &VrrpInstance) -> Option<Vmac> {
        let vmac = inst.vmac.as_ref()?;
        Some(Vmac {
            name: vmac.name.clone(),
            parent: inst.interface.clone(),
            mac: virtual_mac(inst.family, inst.vrid),
            family: inst.family,
        })
    }
}

/// The macvlans of the running configuration.
#[derive(Debug, Default)]
pub(super) struct Vmacs {
    live: Vec<Vmac>,
    sysctls: VmacSysctls,
    /// `net.ipv4.igmp_link_local_mcast_reports` before we cleared it.
    igmp_reports: Option<String>,
}

/// Whether IGMP reports are sent for link-local groups (224.0.0.x), namespace-wide.
const IGMP_LINK_LOCAL_REPORTS: &str = "/proc/sys/net/ipv4/igmp_link_local_mcast_reports";

impl Vmacs {
    /// Creates the macvlan of every `use_vmac` instance of `config` that is not there yet,
    /// with its sysctls and (IPv6 with adverts on the macvlan) its link-local source
    /// address. Ones no longer configured stay until [`Vmacs::retain`]: their routers
    /// still run until the reload is applied.
    pub fn ensure(&mut self, config: &Config, netlink: &mut Netlink) -> Result<(), vrrp_io::Error> {
        for inst in &config.instances {
            let Some(vmac) = Vmac::of(inst) else {
                continue;
            };
            let ifindex = netlink.ensure_vmac(&vmac.parent, &vmac.name, vmac.mac)?;
            self.sysctls.add(&vmac.parent, &vmac.name, vmac.family)?;
            let xmit_base = inst.vmac.as_ref().is_some_and(|v| v.xmit_base);
            if vmac.family == Family::Ipv6 && !xmit_base {
                netlink.add_vmac_link_local(ifindex, &vmac.parent)?;
            }
            if vmac.family == Family::Ipv4 {
                self.quiet_igmp();
            }
            if !self.live.contains(&vmac) {
                self.live.push(vmac);
            }
        }
        Ok(())
    }

    /// Removes the macvlans `config` no longer has (after a reload has shut their routers
    /// down and released their VIPs).
    pub fn retain(&mut self, config: &Config) {
        let wanted: Vec<Vmac> = config.instances.iter().filter_map(Vmac::of).collect();
        let (keep, gone): (Vec<Vmac>, Vec<Vmac>) = std::mem::take(&mut self.live)
            .into_iter()
            .partition(|v| wanted.contains(v));
        self.live = keep;
        self.remove(gone);
    }

    /// Removes every macvlan and puts the sysctls back (shutdown).
    pub fn remove_all(&mut self) {
        let all = std::mem::take(&mut self.live);
        self.remove(all);
        if let Err(e) = self.sysctls.restore_all() {
            tracing::warn!("use_vmac: restoring sysctls: {e}");
        }
        if let Some(before) = self.igmp_reports.take() {
            if let Err(e) = std::fs::write(IGMP_LINK_LOCAL_REPORTS, &before) {
                tracing::warn!("use_vmac: restoring {IGMP_LINK_LOCAL_REPORTS}: {e}");
            }
        }
    }

    /// Stops IGMP reports for 224.0.0.x: a backup's macvlan joins 224.0.0.18 with the
    /// virtual MAC as its source, and a switch that hears its report moves that MAC (the
    /// master's) to the backup's port until the master's next advert. Link-local groups
    /// are flooded whatever the reports say (RFC 4541 section 2.1.2), so nothing is lost.
    /// keepalived asks for this as `disable_local_igmp`; we do it with every IPv4 vmac.
    fn quiet_igmp(&mut self) {
        if self.igmp_reports.is_some() {
            return;
        }
        match std::fs::read_to_string(IGMP_LINK_LOCAL_REPORTS) {
            Ok(before) if before.trim() == "0" => {}
            Ok(before) => match std::fs::write(IGMP_LINK_LOCAL_REPORTS, "0") {
                Ok(()) => self.igmp_reports = Some(before.trim().to_owned()),
                Err(e) => tracing::warn!("use_vmac: clearing {IGMP_LINK_LOCAL_REPORTS}: {e}"),
            },
            Err(e) => tracing::warn!("use_vmac: reading {IGMP_LINK_LOCAL_REPORTS}: {e}"),
        }
    }

    fn remove(&mut self, gone: Vec<Vmac>) {
        if gone.is_empty() {
            return;
        }
        let mut netlink = match Netlink::open() {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!("use_vmac: cannot remove the macvlans: {e}");
                return;
            }
        };
        for v in gone {
            match netlink.remove_vmac(&v.name, &v.parent, v.mac) {
                Ok(_) => tracing::info!("use_vmac: removed {} (on {})", v.name, v.parent),
                Err(e) => tracing::warn!("use_vmac: removing {}: {e}", v.name),
            }
            if let Err(e) = self.sysctls.remove(&v.name) {
                tracing::warn!("use_vmac: restoring sysctls for {}: {e}", v.name);
            }
        }
    }
}
