//! The typed configuration: what a keepalived.conf says about VRRP, with keepalived's
//! defaults filled in.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use vrrp_core::wire::{Auth, ChecksumMode};
use vrrp_core::{Centiseconds, Family, Priority, Version, Vrid};

use super::diag::Location;

/// A whole configuration: `global_defs`, every `vrrp_script` and every `vrrp_instance`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// The `global_defs` block (defaults if there is none).
    pub global: GlobalDefs,
    /// `vrrp_script` blocks, in file order.
    pub scripts: Vec<VrrpScript>,
    /// `vrrp_track_process` blocks, in file order.
    pub track_processes: Vec<TrackProcess>,
    /// `track_file` (`vrrp_track_file`) blocks, in file order.
    pub track_files: Vec<TrackFile>,
    /// `vrrp_instance` blocks, in file order. An instance that lacks a required value
    /// (interface, virtual_router_id) is not here; its error is in the diagnostics.
    pub instances: Vec<VrrpInstance>,
    /// `vrrp_sync_group` blocks, checked against the instances (members that exist,
    /// each in one group).
    pub sync_groups: Vec<SyncGroup>,
    /// `garp_group` blocks: announcement pacing per interface or set of interfaces.
    pub garp_groups: Vec<GarpGroup>,
    /// `static_ipaddress`, `static_routes`, `static_rules`: installed while the daemon
    /// runs, whatever the instances' states.
    pub statics: Statics,
    /// `track_group` blocks: instances that track the interfaces of static items.
    pub track_groups: Vec<TrackGroup>,
    /// Every file that was read: the main file first, then included files in the order
    /// they were read.
    pub files: Vec<PathBuf>,
}

impl Config {
    /// The `vrrp_script` called `name`.
    pub fn script(&self, name: &str) -> Option<&VrrpScript> {
        self.scripts.iter().find(|s| s.name == name)
    }

    /// The `vrrp_instance` called `name`.
    pub fn instance(&self, name: &str) -> Option<&VrrpInstance> {
        self.instances.iter().find(|i| i.name == name)
    }

    /// The sync group `instance` belongs to, if any.
    pub fn sync_group_of(&self, instance: &str) -> Option<&SyncGroup> {
        self.sync_groups
            .iter()
            .find(|g| g.members.iter().any(|m| m == instance))
    }
}

/// `global_defs`: the settings of the whole process, and defaults for every instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalDefs {
    /// `router_id NAME`: names this host in logs (keepalived default: the host name).
    pub router_id: Option<String>,
    /// `vrrp_version 2|3`: the default for instances without `version` (keepalived's
    /// default is 2; instances with IPv6 addresses always use 3).
    pub vrrp_version: Option<Version>,
    /// `script_user USER [GROUP]`: who runs check and notify scripts.
    pub script_user: Option<ScriptUser>,
    /// `enable_script_security`: refuse scripts that a non-root user could change.
    pub enable_script_security: bool,
    /// `vrrp_garp_master_delay SECS`: second burst of gratuitous ARPs this long after
    /// becoming master (keepalived default 5 s; 0 = no second burst).
    pub vrrp_garp_master_delay: Duration,
    /// `notify_fifo PATH` and `vrrp_notify_fifo PATH`: FIFOs that get one line per
    /// transition, `INSTANCE "NAME" STATE PRIORITY` (keepalived's format).
    pub notify_fifos: Vec<PathBuf>,
    /// `vrrp_startup_delay SECS`: after the daemon starts, wait this much longer before a
    /// router may take over for want of a master (keepalived; default 0).
    pub vrrp_startup_delay: Duration,
    /// `vrrp_delay_after_boot SECS`: as `vrrp_startup_delay`, but only until the host
    /// has been up this long (keepalived 2.4; default none).
    pub vrrp_delay_after_boot: Option<Duration>,
    /// `vrrp_startup_spread SECS` (ours): at start-up a router waits this, scaled by how
    /// far its priority is below 255, on top of Master_Down_Interval, so routers started
    /// together do not race (default 1 s; 0 for the RFC's plain interval).
    pub vrrp_startup_spread: Duration,
    /// `vrrp_garp_interval`: at least this long between two gratuitous ARPs on an
    /// interface (zero: back to back).
    pub vrrp_garp_interval: Duration,
    /// `vrrp_gna_interval`: the same for unsolicited neighbour advertisements.
    pub vrrp_gna_interval: Duration,
    /// `vrrp_adverts_through_ip_stack` (ours): multicast adverts through the kernel's IP
    /// output path, where firewall OUTPUT rules see them, instead of as link-layer frames.
    pub vrrp_adverts_through_ip_stack: bool,
    /// `vrrp_garp_master_repeat N`: gratuitous ARPs per burst (keepalived default 5).
    pub vrrp_garp_master_repeat: u32,
    /// `vrrp_garp_master_refresh SECS`: repeat gratuitous ARPs this often while master
    /// (default: never).
    pub vrrp_garp_master_refresh: Option<Duration>,
    /// `vrrp_check_unicast_src`: accept unicast adverts only from a configured peer.
    pub vrrp_check_unicast_src: bool,
    /// `vrrp_skip_check_adv_addr`: do not compare the addresses in adverts with ours.
    pub vrrp_skip_check_adv_addr: bool,
    /// `vrrp_strict`: RFC-strict mode (no authentication, no unicast, accept off by
    /// default).
    pub vrrp_strict: bool,
    /// `vrrp_v3_checksum pseudo_header|rfc9568` (ours, not keepalived's): the checksum
    /// form of VRRPv3 adverts over IPv4 that we send. `pseudo_header` (default) includes
    /// the IPv4 pseudo-header like keepalived and FRR; `rfc9568` leaves it out as RFC 9568
    /// says (Cisco, Juniper). Received adverts are accepted in either form. keepalived's
    /// `v3_checksum_as_v2` means the same as `rfc9568`.
    pub vrrp_v3_checksum: ChecksumMode,
}

impl Default for GlobalDefs {
    fn default() -> Self {
        GlobalDefs {
            router_id: None,
            vrrp_version: None,
            script_user: None,
            enable_script_security: false,
            vrrp_garp_master_delay: Duration::from_secs(5),
            notify_fifos: Vec::new(),
            vrrp_startup_delay: Duration::ZERO,
            vrrp_delay_after_boot: None,
            vrrp_startup_spread: Duration::from_secs(1),
            vrrp_garp_interval: Duration::ZERO,
            vrrp_gna_interval: Duration::ZERO,
            vrrp_adverts_through_ip_stack: false,
            vrrp_garp_master_repeat: 5,
            vrrp_garp_master_refresh: None,
            vrrp_check_unicast_src: false,
            vrrp_skip_check_adv_addr: false,
            vrrp_strict: false,
            vrrp_v3_checksum: ChecksumMode::default(),
        }
    }
}

/// A user and optional group that scripts run as (`script_user`, `user`, the optional
/// words after a `notify_*` script).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScriptUser {
    /// User name.
    pub user: String,
    /// Group name; the user's primary group when `None`.
    pub group: Option<String>,
}

/// A command line as written in the configuration, and split into words.
///
/// Split like keepalived does: on blanks, with `'...'` and `"..."` grouping words and a
/// backslash escaping the next character. No shell is involved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Command {
    /// The text as written (without the surrounding quotes).
    pub line: String,
    /// The program and its arguments.
    pub argv: Vec<String>,
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line)
    }
}

/// `track_file NAME { ... }` (keepalived's `vrrp_track_file`): a file holding a number
/// that counts `number × weight` towards the priority of the instances tracking it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackFile {
    /// The block's name.
    pub name: String,
    /// `file PATH`.
    pub file: PathBuf,
    /// `weight W [reverse]` (default 1; 0: any number but 0 is a fault).
    pub weight: i32,
    /// `reverse`: the number counts negated.
    pub weight_reverse: bool,
    /// `init_file [VALUE] [overwrite]`: write VALUE (default 0) at start if the file does
    /// not exist, or always with `overwrite`.
    pub init: Option<(i64, bool)>,
    /// Where the block starts.
    pub location: Location,
}

/// `vrrp_track_process NAME { ... }`: whether enough processes of a kind run, followed
/// through the kernel's process events (keepalived 2.2.7's directives).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackProcess {
    /// The block's name.
    pub name: String,
    /// What to count; see `daemon::process_track::ProcessSpec` (name, parameters,
    /// matching, quorum and delays).
    pub spec: crate::daemon::process_track::ProcessSpec,
    /// `weight W [reverse]` (default 0: fault while down).
    pub weight: i32,
    /// `reverse`: the weight applies while the quorum is not met.
    pub weight_reverse: bool,
    /// Where the block starts.
    pub location: Location,
}

/// `vrrp_script NAME { ... }`: a check run periodically whose result moves the priority
/// of the instances that track it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrrpScript {
    /// The name `track_script` refers to.
    pub name: String,
    /// `script "..."`: the command.
    pub script: Command,
    /// `interval SECS`: how often it runs (default 1 s).
    pub interval: Duration,
    /// `timeout SECS`: a run taking longer fails (default: the interval).
    pub timeout: Option<Duration>,
    /// `weight W`, -253..=253: added to the priority while the check succeeds (W > 0) or
    /// subtracted while it fails (W < 0); 0 (the default) puts the instance in FAULT while
    /// it fails. A `weight` in `track_script` overrides it.
    pub weight: i32,
    /// `weight W reverse`: the sense of the check is inverted.
    pub weight_reverse: bool,
    /// `rise N`: successes in a row before it counts as up (default 1).
    pub rise: u32,
    /// `fall N`: failures in a row before it counts as down (default 1).
    pub fall: u32,
    /// `user USER [GROUP]`: who runs it (default: `script_user`).
    pub user: Option<ScriptUser>,
    /// Where the block starts.
    pub location: Location,
}

/// `state MASTER|BACKUP`: the state an instance starts in. A hint only: the election
/// follows the RFC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InitialState {
    /// `state MASTER`.
    Master,
    /// `state BACKUP`.
    Backup,
}

impl fmt::Display for InitialState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InitialState::Master => "MASTER",
            InitialState::Backup => "BACKUP",
        })
    }
}

/// One line of `virtual_ipaddress { ... }`: `ADDR[/PREFIX] [dev IF] [brd ADDR]
/// [scope SCOPE] [label LABEL] [no_track]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VirtualAddress {
    /// The address.
    pub addr: IpAddr,
    /// Prefix length (default /32 for IPv4, /128 for IPv6, as keepalived).
    pub prefix_len: u8,
    /// `dev IF`: the interface it goes on (default: the instance's interface).
    pub dev: Option<String>,
    /// `brd ADDR` / `broadcast ADDR` (IPv4 only).
    pub broadcast: Option<Ipv4Addr>,
    /// `scope SCOPE`: `global`, `site`, `link`, `host` or a number.
    pub scope: Option<String>,
    /// `label LABEL`: the `ip address` label, e.g. `eth0:1`.
    pub label: Option<String>,
    /// `no_track`: this address's interface going down does not fault the instance.
    pub no_track: bool,
}

impl fmt::Display for VirtualAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix_len)
    }
}

/// One line of `track_script { ... }`: `NAME [weight W [reverse]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackScript {
    /// The `vrrp_script` name.
    pub name: String,
    /// Overrides the script's own weight.
    pub weight: Option<i32>,
    /// `reverse`: the sense of the check is inverted.
    pub reverse: bool,
    /// Where the line is.
    pub location: Location,
}

/// One line of `track_interface { ... }`: `IF [weight W [reverse]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackInterface {
    /// Interface name.
    pub name: String,
    /// The priority change while the interface is down (W < 0) or up (W > 0); without a
    /// weight the instance goes to FAULT while the interface is down.
    pub weight: Option<i32>,
    /// `reverse`: the sense is inverted.
    pub reverse: bool,
}

/// A `notify_*` script: `notify_master "/path/script arg..." [USER [GROUP]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyScript {
    /// The command.
    pub command: Command,
    /// Who runs it (default: `script_user`).
    pub user: Option<ScriptUser>,
}

/// The notify scripts of an instance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notify {
    /// `notify_master`: run on becoming MASTER.
    pub master: Option<NotifyScript>,
    /// `notify_backup`: run on becoming BACKUP.
    pub backup: Option<NotifyScript>,
    /// `notify_fault`: run on entering FAULT.
    pub fault: Option<NotifyScript>,
    /// `notify_stop`: run when the instance stops.
    pub stop: Option<NotifyScript>,
    /// `notify`: run on every change, with `INSTANCE NAME STATE PRIORITY` appended
    /// (keepalived's arguments).
    pub any: Option<NotifyScript>,
}

/// Gratuitous ARP / unsolicited NA timing after becoming master.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Garp {
    /// `garp_master_delay SECS`: the second burst comes this long after the first
    /// (0 = no second burst).
    pub master_delay: Duration,
    /// `garp_master_repeat N`: messages per burst.
    pub master_repeat: u32,
    /// `garp_master_refresh SECS`: repeat periodically while master.
    pub master_refresh: Option<Duration>,
}

/// `vrrp_instance NAME { ... }`: one virtual router, with every default resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrrpInstance {
    /// The instance name (used in logs and passed to notify scripts).
    pub name: String,
    /// Where the block starts.
    pub location: Location,
    /// `state`: the configured initial state, a hint only.
    pub state: Option<InitialState>,
    /// `interface IF`: where adverts are sent and received.
    pub interface: String,
    /// `virtual_router_id`.
    pub vrid: Vrid,
    /// `priority`; keepalived's default: 255 with `state MASTER`, else 100.
    pub priority: Priority,
    /// `advert_int`: default 1 s.
    pub advert_int: Centiseconds,
    /// The protocol version: `version`, else `global_defs vrrp_version`, else 3 for IPv6
    /// and 2 for IPv4 (keepalived's default).
    pub version: Version,
    /// The address family of the virtual addresses.
    pub family: Family,
    /// The checksum form of VRRPv3/IPv4 adverts we send.
    pub checksum_mode: ChecksumMode,
    /// `nopreempt`: a higher-priority backup does not take over from a running master.
    /// Kept with `state MASTER` (keepalived silently clears it there).
    pub nopreempt: bool,
    /// `preempt_delay SECS`: wait this long before preempting a lower-priority master.
    pub preempt_delay: Duration,
    /// `authentication { auth_type PASS; auth_pass ... }` (VRRPv2 only).
    pub auth: Auth,
    /// `virtual_ipaddress`: the addresses carried in adverts and added when master.
    pub virtual_ipaddress: Vec<VirtualAddress>,
    /// `virtual_ipaddress_excluded`: added when master but not carried in adverts.
    pub virtual_ipaddress_excluded: Vec<VirtualAddress>,
    /// `virtual_routes { ... }`: routes installed while master, removed otherwise. A
    /// route that needs a device and names none (no gateway, or `onlink`) has the
    /// instance's interface.
    pub virtual_routes: Vec<vrrp_io::route::VirtualRoute>,
    /// `virtual_rules { ... }`: policy rules installed while master, removed otherwise.
    pub virtual_rules: Vec<vrrp_io::route::VirtualRule>,
    /// `unicast_src_ip`: source address of unicast adverts.
    pub unicast_src_ip: Option<IpAddr>,
    /// `unicast_peer { ... }`: send adverts to these addresses instead of the multicast
    /// group.
    pub unicast_peers: Vec<IpAddr>,
    /// `track_script { ... }`.
    pub track_scripts: Vec<TrackScript>,
    /// `track_process { NAME [weight W [reverse]] ... }`: `vrrp_track_process` blocks
    /// tracked (their weights and overrides as for scripts).
    pub track_processes: Vec<TrackScript>,
    /// `track_file { NAME [weight W [reverse]] ... }`: `track_file` blocks tracked.
    pub track_files: Vec<TrackScript>,
    /// `track_interface { ... }`.
    pub track_interfaces: Vec<TrackInterface>,
    /// `notify_*` scripts.
    pub notify: Notify,
    /// `garp_master_*`, defaulting to the `vrrp_garp_master_*` globals.
    pub garp: Garp,
    /// `accept` / `no_accept`: whether the master accepts packets for the virtual
    /// addresses (keepalived's default: accept, unless `vrrp_strict`).
    pub accept: bool,
    /// `dont_track_primary`: the interface's link going down does not fault the instance.
    pub dont_track_primary: bool,
    /// `native_ipv6`: the instance is IPv6 even before addresses say so.
    pub native_ipv6: bool,
    /// `strict_mode` or `global_defs vrrp_strict`.
    pub strict: bool,
    /// `skip_check_adv_addr` or `global_defs vrrp_skip_check_adv_addr`.
    pub skip_check_adv_addr: bool,
    /// `check_unicast_src` or `global_defs vrrp_check_unicast_src`.
    pub check_unicast_src: bool,
    /// `use_vmac [NAME]` (with `vmac_xmit_base`): the VIPs go on a macvlan with the
    /// virtual MAC.
    pub vmac: Option<Vmac>,
}

/// keepalived's static addresses, routes and rules: not moved by VRRP, installed at start
/// and removed at stop. An item with `track_group G` makes the instances of G track its
/// interface (weight 0), as keepalived does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Statics {
    /// `static_ipaddress` lines (each with its `dev`), with their track group.
    pub addresses: Vec<(VirtualAddress, Option<String>)>,
    /// `static_routes` lines, with their track group.
    pub routes: Vec<(vrrp_io::route::VirtualRoute, Option<String>)>,
    /// `static_rules` lines, with their track group.
    pub rules: Vec<(vrrp_io::route::VirtualRule, Option<String>)>,
}

/// `track_group NAME { group { VI_1 VI_2 } }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackGroup {
    /// Group name.
    pub name: String,
    /// The instance names.
    pub members: Vec<String>,
    /// Where the block starts.
    pub location: Location,
}

/// `garp_group { garp_interval S gna_interval S interface IF | interfaces { ... } }`:
/// gratuitous ARPs / unsolicited NAs at least the intervals apart across the interfaces
/// (one switch), instead of `vrrp_garp_interval` / `vrrp_gna_interval` per interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GarpGroup {
    /// Between two gratuitous ARPs.
    pub garp_interval: Duration,
    /// Between two unsolicited NAs.
    pub gna_interval: Duration,
    /// The interfaces that share the budget.
    pub interfaces: Vec<String>,
    /// Where the block starts.
    pub location: Location,
}

/// `use_vmac`: a macvlan on the instance's interface with the virtual MAC
/// (00:00:5e:00:01:VRID, or 00:00:5e:00:02:VRID for IPv6) that holds the VIPs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vmac {
    /// The macvlan's name: as written, else keepalived's `vrrp.VRID`.
    pub name: String,
    /// `vmac_xmit_base`: adverts go from and are read on the instance's own interface
    /// rather than the macvlan.
    pub xmit_base: bool,
}

impl VrrpInstance {
    /// True when adverts go to unicast peers rather than the multicast group.
    pub fn is_unicast(&self) -> bool {
        !self.unicast_peers.is_empty()
    }
}

/// `vrrp_sync_group NAME { group { ... } ... }`: instances that change state together.
///
/// The group's own tracked objects are copied into each member at parse time (weight 0
/// unless `sync_group_tracking_weight`), as are the members' weights forced to 0: what
/// remains for the daemon is the membership and the group's notify scripts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroup {
    /// Group name.
    pub name: String,
    /// The instance names in `group { ... }`.
    pub members: Vec<String>,
    /// The group's notify scripts, run once per group transition.
    pub notify: Notify,
    /// `track_script` at group level: applies to every member.
    pub track_scripts: Vec<TrackScript>,
    /// `track_process` at group level.
    pub track_processes: Vec<TrackScript>,
    /// `track_file` at group level.
    pub track_files: Vec<TrackScript>,
    /// `track_interface` at group level.
    pub track_interfaces: Vec<TrackInterface>,
    /// `sync_group_tracking_weight` (or the deprecated `global_tracking`): members keep
    /// the weights of their tracked objects instead of weight 0.
    pub tracking_weight: bool,
    /// Where the block starts.
    pub location: Location,
}
