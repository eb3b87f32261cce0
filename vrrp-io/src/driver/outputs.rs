//! From the routers' outputs to the driver's action queues: adverts, address work in its
//! order (filter, addresses, announcements paced or not, routes), notifications; the sync
//! groups' rules applied in between; VIPs restored behind a master's back.

use std::net::IpAddr;

use vrrp_core::router::{Event, Output, State, VipList, VirtualRouter};
use vrrp_core::{Instant, RouterKey, VirtualAddress};

use super::types::{Action, DriverEvent, SocketKey};
use super::Driver;

impl Driver {
    pub(super) fn address_removed(
        &mut self,
        now: Instant,
        ifname: &str,
        addr: IpAddr,
        prefix_len: u8,
    ) {
        let Some(owners) = self.vip_owners.get(&addr) else {
            return;
        };
        let Some(link) = self.host.link(ifname) else {
            return;
        };
        for key in owners.clone() {
            let Some(router) = self.routers.get(&key) else {
                continue;
            };
            if self.vip_ifname_for(&key, addr) != ifname || router.state() != State::Master {
                continue;
            }
            let vip = router
                .config()
                .held_addresses()
                .find(|v| v.addr == addr && v.prefix_len == prefix_len)
                .cloned();
            if let Some(vip) = vip {
                self.restore(now, key, link.ifindex, vip);
            }
        }
    }

    /// Puts a master's VIP back on interface `ifindex` (deleted behind our back), and
    /// says so.
    pub(super) fn restore(
        &mut self,
        now: Instant,
        key: RouterKey,
        ifindex: u32,
        vip: VirtualAddress,
    ) {
        self.add_and_announce(now, key, ifindex, vip);
        if let Some(entry) = self.entries.get(&key) {
            self.notices
                .push_back(Action::Notify(DriverEvent::VipRestored {
                    router: entry.name.clone(),
                    vip,
                }));
        }
    }

    /// Adds a master's VIP on interface `ifindex` and announces it, paced as the router's
    /// announcements are.
    pub(super) fn add_and_announce(
        &mut self,
        now: Instant,
        key: RouterKey,
        ifindex: u32,
        vip: VirtualAddress,
    ) {
        let Some(entry) = self.entries.get(&key) else {
            return;
        };
        let vips = VipList::from(vec![vip]);
        self.address_work.push_back(Action::AddVips {
            router: entry.name.clone(),
            ifindex,
            vips: vips.clone(),
        });
        let count = self
            .routers
            .get(&key)
            .map_or(1, |r| r.config().announce.repeat);
        match &entry.pacing {
            // Released at the next drain.
            Some(pacing) => self
                .pacer
                .schedule(now, pacing, &entry.name, ifindex, &vips, count),
            None => self.address_work.push_back(Action::Announce {
                router: entry.name.clone(),
                ifindex,
                vips,
                count,
            }),
        }
    }

    /// Moves every router output into the action queues, applying the sync groups'
    /// rules to what happened (see [`super::sync`]) until they have nothing more to do.
    pub(super) fn drain(&mut self, now: Instant) {
        self.drain_outputs(now);
        // Each round only reacts to the previous one's state changes; the rules settle
        // in two or three. The bound keeps a bug from becoming a hang.
        for _ in 0..8 {
            if !self.sync.has_dirty() {
                break;
            }
            for change in self.sync.evaluate(now, &mut self.routers) {
                self.notices
                    .push_back(Action::Notify(DriverEvent::SyncGroup {
                        group: change.group,
                        from: change.from,
                        to: change.to,
                    }));
            }
            self.drain_outputs(now);
        }
        let due = self.pacer.release(now);
        self.address_work.extend(due);
    }

    pub(super) fn drain_outputs(&mut self, now: Instant) {
        while let Some(drop) = self.routers.poll_unattributed() {
            let interface = self
                .interfaces
                .get(drop.interface.0 as usize)
                .cloned()
                .unwrap_or_default();
            self.notices.push_back(Action::Notify(DriverEvent::Dropped {
                interface,
                from: drop.from,
                reason: drop.reason,
            }));
        }
        while let Some((key, output)) = self.routers.poll_output() {
            // Adverts are the hot path: no name or interface lookup for them.
            if let Output::Transmit(t) = output {
                self.sends.push_back(Action::Send {
                    socket: SocketKey {
                        interface: key.interface,
                        family: key.family,
                    },
                    src: t.src,
                    dst: t.dst,
                    payload: t.payload,
                });
                continue;
            }
            let Some(entry) = self.entries.get(&key) else {
                continue;
            };
            let router = entry.name.clone();
            if !self.sync.is_empty() {
                match &output {
                    Output::Event(Event::StateChanged { from, reason, .. }) => {
                        self.sync.state_changed(key, *from, *reason)
                    }
                    Output::Event(Event::TakeoverHeld) => self.sync.became_ready(key),
                    _ => {}
                }
            }
            match output {
                Output::Event(event) => {
                    if let (Some(routing), Event::StateChanged { from, to, .. }) =
                        (&entry.routing, &event)
                    {
                        // Routes follow mastership, after the VIPs they may use.
                        if *to == State::Master || *from == State::Master {
                            self.address_work.push_back(Action::Routing {
                                router: router.clone(),
                                install: *to == State::Master,
                                routing: routing.clone(),
                            });
                        }
                    }
                    self.notices
                        .push_back(Action::Notify(DriverEvent::Router { router, event }))
                }
                address => {
                    let vips = match &address {
                        Output::AddVips(vips) | Output::RemoveVips(vips) => vips,
                        Output::Announce(a) => &a.addresses,
                        Output::Transmit(_) | Output::Event(_) => continue,
                    };
                    if let Output::RemoveVips(vips) = &address {
                        self.pacer.cancel(&router, vips);
                    }
                    let filtered = self.routers.get(&key).is_some_and(needs_filter);
                    for (interface, vips) in self.vips_by_interface(&key, vips) {
                        // Without the interface the kernel has dropped its addresses
                        // already.
                        let Some(ifindex) = self.host.link(&interface).map(|l| l.ifindex) else {
                            continue;
                        };
                        let filter = |block: bool| {
                            filtered.then(|| Action::Filter {
                                router: router.clone(),
                                interface: interface.clone(),
                                block,
                                vips: vips.clone(),
                            })
                        };
                        let actions: [Option<Action>; 2] = match &address {
                            Output::AddVips(_) => [
                                filter(true),
                                Some(Action::AddVips {
                                    router: router.clone(),
                                    ifindex,
                                    vips: vips.clone(),
                                }),
                            ],
                            Output::RemoveVips(_) => [
                                Some(Action::RemoveVips {
                                    router: router.clone(),
                                    ifindex,
                                    vips: vips.clone(),
                                }),
                                filter(false),
                            ],
                            Output::Announce(a) => match &entry.pacing {
                                Some(pacing) => {
                                    self.pacer
                                        .schedule(now, pacing, &router, ifindex, &vips, a.count);
                                    [None, None]
                                }
                                None => [
                                    Some(Action::Announce {
                                        router: router.clone(),
                                        ifindex,
                                        vips: vips.clone(),
                                        count: a.count,
                                    }),
                                    None,
                                ],
                            },
                            Output::Transmit(_) | Output::Event(_) => [None, None],
                        };
                        self.address_work.extend(actions.into_iter().flatten());
                    }
                }
            }
        }
    }
}

/// Whether a router's addresses are filtered while it holds them: accept mode off and
/// not the address owner (who accepts its own addresses whatever the mode, RFC 9568
/// section 6.4.3).
pub(super) fn needs_filter(router: &VirtualRouter) -> bool {
    let config = router.config();
    !config.accept_mode && !config.priority.is_owner()
}
