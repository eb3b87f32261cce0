//! What goes into the driver and what comes out of it.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use vrrp_core::router::{
    DropReason, Event, Payload, Reason, RouterConfig, State, Statistics, TrackId, TrackShare,
    VipList,
};
use vrrp_core::wire::ChecksumForm;
use vrrp_core::{Centiseconds, Family, InterfaceId, Priority, VirtualAddress, Vrid};

use crate::error::Error;
use crate::route::{VirtualRoute, VirtualRule};

/// Everything the driver needs to run one virtual router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterSpec {
    /// A name for logs, status and [`crate::Handle::set_track`] (keepalived's instance
    /// name). Unique among the routers of one driver.
    pub name: String,
    /// The interface it runs on, by name: an interface deleted and created again under
    /// the same name is the same interface to the driver.
    pub interface: String,
    /// The protocol configuration, VIPs (with prefix and label) included.
    pub config: RouterConfig,
    /// Interfaces whose link state is a tracked object of this router: keepalived's
    /// `track_interface`, and usually the router's own interface with weight 0, which
    /// puts it in Fault while the link is down (see [`RouterSpec::new`]).
    pub tracked_interfaces: Vec<(TrackId, String)>,
    /// Routes and rules installed while the router is master and removed when it
    /// leaves (keepalived's `virtual_routes` and `virtual_rules`).
    pub routing: Routing,
    /// Gratuitous ARPs / unsolicited NAs spaced out (keepalived's `vrrp_garp_interval`,
    /// `vrrp_gna_interval`, `garp_group`); `None` sends each burst back to back.
    pub announce_pacing: Option<super::AnnouncePacing>,
    /// Where the VIPs go when not on `interface`: a macvlan with the virtual MAC while
    /// adverts stay on its parent (keepalived's `use_vmac` with `vmac_xmit_base`). Track
    /// it too (weight 0), or a master whose VIP interface vanished keeps advertising.
    pub address_interface: Option<String>,
    /// Addresses of `config` that go on yet another interface (keepalived's `dev` on a
    /// `virtual_ipaddress` line), with that interface's name; the others go on
    /// `address_interface`, else `interface`. Track those interfaces too (weight 0), as
    /// keepalived does unless `no_track`, or a master keeps advertising while one of its
    /// VIPs has no link.
    pub vip_interfaces: Vec<(IpAddr, String)>,
    /// Send this router's multicast adverts through the kernel's IP output path (the raw
    /// socket) instead of as link-layer frames ([`crate::SocketConfig::link_layer_multicast`]):
    /// for hosts whose firewall OUTPUT rules or IPsec policies must see them (the usual
    /// `iptables -A OUTPUT -p vrrp -j DROP` to force a failover, say). About 40 % more
    /// kernel work per advert. A socket shared with routers that do not ask follows the
    /// ones that do.
    pub adverts_through_ip_stack: bool,
    /// The sync group the router belongs to (keepalived's `vrrp_sync_group`), if any:
    /// its members change state together. Set with [`RouterSpec::in_sync_group`].
    pub sync_group: Option<String>,
}

impl RouterSpec {
    /// The track id [`RouterSpec::new`] gives the router's own interface.
    pub const OWN_INTERFACE: TrackId = TrackId(0);

    /// The track id of a sync group member's weight-0 track that the driver holds down
    /// while another member of the group is in Fault.
    pub const SYNC_GROUP: TrackId = TrackId(u32::MAX);

    /// Makes the router a member of sync group `group` (see the driver's sync-group
    /// rules): adds the weight-0 track [`RouterSpec::SYNC_GROUP`] to its config.
    ///
    /// ```
    /// use vrrp_io::RouterSpec;
    /// use vrrp_core::router::RouterConfig;
    /// use vrrp_core::Vrid;
    ///
    /// let config = |vrid, vip: &str| RouterConfig::new(
    ///     Vrid::new(vrid).unwrap(),
    ///     "192.168.100.10".parse().unwrap(),
    ///     vec![vip.parse::<std::net::IpAddr>().unwrap()],
    /// );
    /// let inside = RouterSpec::new("VI_IN", "eth0", config(51, "192.168.100.1"))
    ///     .in_sync_group("GATEWAY");
    /// let outside = RouterSpec::new("VI_OUT", "eth1", config(52, "203.0.113.1"))
    ///     .in_sync_group("GATEWAY");
    /// assert_eq!(inside.sync_group.as_deref(), Some("GATEWAY"));
    /// # let _ = outside;
    /// ```
    pub fn in_sync_group(mut self, group: impl Into<String>) -> Self {
        if !self.config.tracks.iter().any(|t| t.id == Self::SYNC_GROUP) {
            self.config.tracks.push(vrrp_core::router::TrackConfig {
                id: Self::SYNC_GROUP,
                weight: 0,
                initially_up: true,
            });
        }
        self.sync_group = Some(group.into());
        self
    }

    /// A router on `interface` that goes to Fault while that interface is down or gone
    /// (as keepalived does unless `dont_track_primary`): adds a weight-0 track with id
    /// [`RouterSpec::OWN_INTERFACE`] to `config` unless it has one with that id.
    pub fn new(
        name: impl Into<String>,
        interface: impl Into<String>,
        config: RouterConfig,
    ) -> Self {
        let interface = interface.into();
        let mut config = config;
        if !config.tracks.iter().any(|t| t.id == Self::OWN_INTERFACE) {
            config.tracks.push(vrrp_core::router::TrackConfig {
                id: Self::OWN_INTERFACE,
                weight: 0,
                initially_up: true,
            });
        }
        RouterSpec {
            name: name.into(),
            tracked_interfaces: vec![(Self::OWN_INTERFACE, interface.clone())],
            interface,
            config,
            routing: Routing::default(),
            announce_pacing: None,
            address_interface: None,
            vip_interfaces: Vec::new(),
            adverts_through_ip_stack: false,
            sync_group: None,
        }
    }
}

/// What a master installs besides its addresses: keepalived's `virtual_routes` and
/// `virtual_rules`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routing {
    /// Routes, installed in this order.
    pub routes: Vec<VirtualRoute>,
    /// Policy rules, installed after the routes.
    pub rules: Vec<VirtualRule>,
}

impl Routing {
    /// Nothing to install.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty() && self.rules.is_empty()
    }

    /// What `self` has and `other` has not.
    pub fn minus(&self, other: &Routing) -> Routing {
        fn not_in<T: PartialEq + Clone>(a: &[T], b: &[T]) -> Vec<T> {
            a.iter().filter(|x| !b.contains(x)).cloned().collect()
        }
        Routing {
            routes: not_in(&self.routes, &other.routes),
            rules: not_in(&self.rules, &other.rules),
        }
    }
}

/// One VRRP socket: per interface and family, shared by every router there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketKey {
    /// The driver's stable id of the interface (by name).
    pub interface: InterfaceId,
    /// IPv4 or IPv6.
    pub family: Family,
}

/// A VRRP socket as the driver wants it now (see [`crate::Driver::sockets`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketSpec {
    /// Which socket.
    pub key: SocketKey,
    /// The interface name.
    pub interface: String,
    /// Its current kernel index.
    pub ifindex: u32,
    /// Join the VRRP multicast group: some router on this link is not unicast-only.
    pub join_group: bool,
    /// Every VIP of every router on the link: never taken for our own source.
    pub virtual_addresses: Vec<IpAddr>,
    /// The interface's own addresses of this family: adverts from them are our own.
    pub own_addresses: Vec<IpAddr>,
    /// Multicast adverts as link-layer frames: no router here asked for the IP stack
    /// ([`RouterSpec::adverts_through_ip_stack`]).
    pub link_layer_multicast: bool,
}

/// What a shell must do, in the order [`crate::Driver::poll_action`] hands them out.
#[derive(Debug, Clone)]
pub enum Action {
    /// Send an advert on a socket. Every pending advert comes before any other action:
    /// when many routers take over at once, their peers must hear all of them within
    /// the skew margin, not after a netlink round trip per earlier router.
    Send {
        /// The socket.
        socket: SocketKey,
        /// Source address (the router's primary address).
        src: IpAddr,
        /// Destination (the group or a unicast peer).
        dst: IpAddr,
        /// The VRRP message.
        payload: Payload,
    },
    /// Add these VIPs to the interface.
    AddVips {
        /// The router's name.
        router: Arc<str>,
        /// The interface index.
        ifindex: u32,
        /// The addresses, with prefix and label.
        vips: VipList,
    },
    /// Remove these VIPs from the interface.
    RemoveVips {
        /// The router's name.
        router: Arc<str>,
        /// The interface index.
        ifindex: u32,
        /// The addresses.
        vips: VipList,
    },
    /// Accept mode off (RFC 9568 section 6.1; keepalived's `no_accept`): drop
    /// (`block`) or stop dropping packets addressed to these VIPs. A block comes before
    /// the VIPs are added and an unblock after they are removed, so a non-owner master
    /// never accepts traffic for them. Blocks and unblocks of one router balance.
    Filter {
        /// The router's name.
        router: Arc<str>,
        /// The interface the VIPs are on.
        interface: String,
        /// Drop (true) or accept again (false).
        block: bool,
        /// The addresses.
        vips: VipList,
    },
    /// Install (`install`) or remove a master's routes and rules: installed after its
    /// VIPs are added (a route may take a VIP as its source), removed after they are.
    /// Rules go in after the routes and out before them.
    Routing {
        /// The router's name.
        router: Arc<str>,
        /// Install (true) or remove (false).
        install: bool,
        /// What.
        routing: Arc<Routing>,
    },
    /// Put back whatever of a master's routes and rules is missing (some were deleted
    /// behind our back): each is added unless present. The shell reports what it put
    /// back with [`DriverEvent::RoutingRestored`].
    RestoreRouting {
        /// The router's name.
        router: Arc<str>,
        /// Every route and rule the master should have, but for those marked `no_track`.
        routing: Arc<Routing>,
    },
    /// Gratuitous ARP / unsolicited NA for these VIPs, `count` times each.
    Announce {
        /// The router's name.
        router: Arc<str>,
        /// The interface index.
        ifindex: u32,
        /// The addresses.
        vips: VipList,
        /// Announcements per address.
        count: u8,
    },
    /// Tell the subscribers. Comes after the address work of the same wake-up, so a
    /// "became master" notification finds the VIPs in place.
    Notify(DriverEvent),
}

/// What subscribers of a driver are told.
#[derive(Debug, Clone)]
pub enum DriverEvent {
    /// A router's own event: state changes with their reason, priority changes, drops...
    Router {
        /// The router's name.
        router: Arc<str>,
        /// What happened.
        event: Event,
    },
    /// A VIP of a master disappeared from its interface behind our back (`ip addr del`);
    /// it is being added again and announced.
    VipRestored {
        /// The router's name.
        router: Arc<str>,
        /// The address.
        vip: VirtualAddress,
    },
    /// Routes or policy rules of a master had been deleted behind our back (`ip route
    /// del`); these many were added again.
    RoutingRestored {
        /// The router's name.
        router: Arc<str>,
        /// Routes put back.
        routes: usize,
        /// Rules put back.
        rules: usize,
    },
    /// A tracked interface went up or down, appeared or disappeared.
    Link {
        /// The interface name.
        interface: String,
        /// Up (administratively up with a carrier) or not.
        up: bool,
        /// Present at all.
        present: bool,
    },
    /// A packet that reached no router: an advert for a VRID not configured on its
    /// interface, or one refused before its VRID could be trusted (VRID 0, too short).
    /// Counted in `Driver::unattributed_statistics`.
    Dropped {
        /// The interface it arrived on.
        interface: String,
        /// Its source.
        from: IpAddr,
        /// Why.
        reason: DropReason,
    },
    /// A sync group's state changed: Fault while a member is in Fault, Master while
    /// every member is, Backup otherwise. The first report has no `from`.
    SyncGroup {
        /// The group's name.
        group: Arc<str>,
        /// The state it had.
        from: Option<State>,
        /// The state it has.
        to: State,
    },
    /// An I/O action failed (sending, adding a VIP, ...). The protocol goes on.
    IoError {
        /// The router it concerns, if one.
        router: Option<Arc<str>>,
        /// What failed.
        error: Arc<Error>,
    },
}

impl DriverEvent {
    /// The router the event concerns, if one.
    pub fn router(&self) -> Option<&str> {
        match self {
            DriverEvent::Router { router, .. }
            | DriverEvent::VipRestored { router, .. }
            | DriverEvent::RoutingRestored { router, .. } => Some(router),
            DriverEvent::IoError { router, .. } => router.as_deref(),
            DriverEvent::Link { .. }
            | DriverEvent::Dropped { .. }
            | DriverEvent::SyncGroup { .. } => None,
        }
    }
}

impl std::fmt::Display for DriverEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DriverEvent::Router { router, event } => write!(f, "{router}: {event}"),
            DriverEvent::VipRestored { router, vip } => write!(
                f,
                "{router}: VIP {}/{} was removed from the interface behind our back; restoring it",
                vip.addr, vip.prefix_len
            ),
            DriverEvent::RoutingRestored {
                router,
                routes,
                rules,
            } => write!(
                f,
                "{router}: {routes} route(s) and {rules} rule(s) were deleted behind our back; restored"
            ),
            DriverEvent::Link {
                interface,
                up,
                present,
            } => match (present, up) {
                (false, _) => write!(f, "interface {interface} is gone"),
                (true, true) => write!(f, "interface {interface} is up"),
                (true, false) => write!(f, "interface {interface} is down"),
            },
            DriverEvent::IoError {
                router: Some(router),
                error,
            } => write!(f, "{router}: {error}"),
            DriverEvent::IoError {
                router: None,
                error,
            } => write!(f, "{error}"),
            DriverEvent::SyncGroup {
                group,
                from: Some(from),
                to,
            } => write!(f, "sync group {group}: {from} -> {to}"),
            DriverEvent::SyncGroup {
                group,
                from: None,
                to,
            } => write!(f, "sync group {group}: {to}"),
            DriverEvent::Dropped {
                interface,
                from,
                reason,
            } => write!(
                f,
                "{interface}: dropped a packet from {from} for no router here: {reason}"
            ),
        }
    }
}

/// A router's state for a status display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterStatus {
    /// Instance name.
    pub name: String,
    /// Interface.
    pub interface: String,
    /// Family.
    pub family: Family,
    /// VRID.
    pub vrid: Vrid,
    /// Current state.
    pub state: State,
    /// Configured priority.
    pub base_priority: Priority,
    /// Priority advertised now.
    pub effective_priority: Priority,
    /// Each tracked object's share.
    pub tracks: Vec<TrackShare>,
    /// The master (ourselves when master), with its priority.
    pub master: Option<(IpAddr, Priority)>,
    /// Time since the last state change, and its reason.
    pub last_transition: Option<(Duration, Reason)>,
    /// The advert interval in force.
    pub master_adver_interval: Centiseconds,
    /// The peers heard recently and the checksum form each one's adverts use.
    pub peer_checksum_forms: Vec<(IpAddr, ChecksumForm)>,
    /// Counters.
    pub statistics: Statistics,
    /// VIPs.
    pub virtual_addresses: Vec<IpAddr>,
    /// Demoted by a handover: advertises priority 1 until resumed.
    pub demoted: bool,
    /// A handover in progress (a master waiting for its successor).
    pub handing_over: bool,
}

/// What [`crate::Driver::hand_over`] did to one router.
pub type HandoverResult = std::result::Result<vrrp_core::router::HandoverStart, HandoverRefusal>;

/// What [`crate::Driver::resume`] did to one router: `Ok(true)` if it was demoted.
pub type ResumeResult = std::result::Result<bool, HandoverRefusal>;

/// Why a handover or resume request did nothing to a router.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandoverRefusal {
    /// No router has that name.
    #[error("no virtual router is called {0}")]
    UnknownRouter(String),
    /// The router refused (the address owner).
    #[error(transparent)]
    Refused(#[from] vrrp_core::router::HandoverError),
}
