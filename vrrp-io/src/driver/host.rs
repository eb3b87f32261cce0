//! What the driver knows of the host: its links and their addresses, as netlink reported
//! them. Kept up to date from [`NetEvent`]s, never by asking.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::monitor::NetEvent;
use crate::netlink::InterfaceAddress;

/// A link as the driver needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LinkInfo {
    pub ifindex: u32,
    pub up: bool,
}

/// What one [`NetEvent`] changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostChange {
    /// Nothing the driver acts on (an attribute change, a repeated report).
    None,
    /// A link appeared, went up or down, or came back under a new index.
    Link {
        name: String,
        up: bool,
        /// The index changed (or the link is new): sockets must be (re)opened.
        rebound: bool,
    },
    /// A link is gone.
    LinkGone { name: String },
    /// An address was added or removed on a link we know by name.
    Address {
        name: String,
        addr: IpAddr,
        prefix_len: u8,
        added: bool,
    },
}

/// Links by name and addresses by interface index.
#[derive(Debug, Default)]
pub(crate) struct HostState {
    links: HashMap<String, LinkInfo>,
    names: HashMap<u32, String>,
    addresses: HashMap<u32, Vec<(IpAddr, u8)>>,
}

impl HostState {
    pub fn link(&self, name: &str) -> Option<LinkInfo> {
        self.links.get(name).copied()
    }

    pub fn is_up(&self, name: &str) -> bool {
        self.links.get(name).is_some_and(|l| l.up)
    }

    /// The addresses of the interface with this index.
    pub fn addresses(&self, ifindex: u32) -> &[(IpAddr, u8)] {
        self.addresses.get(&ifindex).map_or(&[], Vec::as_slice)
    }

    /// An interface other than `ifindex` that holds `addr`, by name. Link-local
    /// addresses are per link and never conflict.
    pub fn holder_elsewhere(&self, addr: IpAddr, ifindex: u32) -> Option<(u32, String)> {
        if is_link_local(addr) {
            return None;
        }
        self.addresses
            .iter()
            .find(|(&index, list)| index != ifindex && list.iter().any(|(a, _)| *a == addr))
            .map(|(&index, _)| (index, self.names.get(&index).cloned().unwrap_or_default()))
    }

    /// Forgets everything (before a fresh snapshot).
    pub fn clear(&mut self) {
        self.links.clear();
        self.names.clear();
        self.addresses.clear();
    }

    pub fn apply(&mut self, event: &NetEvent) -> HostChange {
        match event {
            NetEvent::Link(link) => {
                let up = link.state.is_up();
                let new = LinkInfo {
                    ifindex: link.index,
                    up,
                };
                let old = self.links.insert(link.name.clone(), new);
                // A rename leaves the old name behind under this index.
                if let Some(previous) = self.names.insert(link.index, link.name.clone()) {
                    if previous != link.name
                        && self
                            .links
                            .get(&previous)
                            .is_some_and(|l| l.ifindex == link.index)
                    {
                        self.links.remove(&previous);
                    }
                }
                match old {
                    Some(old) if old == new => HostChange::None,
                    old => HostChange::Link {
                        name: link.name.clone(),
                        up,
                        rebound: old.is_none_or(|o| o.ifindex != link.index),
                    },
                }
            }
            NetEvent::LinkRemoved { index, name } => {
                self.addresses.remove(index);
                let known = self.names.remove(index);
                let name = known.unwrap_or_else(|| name.clone());
                if self.links.get(&name).is_some_and(|l| l.ifindex == *index) {
                    self.links.remove(&name);
                    HostChange::LinkGone { name }
                } else {
                    HostChange::None
                }
            }
            NetEvent::AddressAdded(a) => self.address(a, true),
            NetEvent::AddressRemoved(a) => self.address(a, false),
            NetEvent::Overrun | NetEvent::RouteRemoved { .. } | NetEvent::RuleRemoved { .. } => {
                HostChange::None
            }
        }
    }

    fn address(&mut self, a: &InterfaceAddress, added: bool) -> HostChange {
        let list = self.addresses.entry(a.ifindex).or_default();
        let entry = (a.addr, a.prefix_len);
        let present = list.contains(&entry);
        if added == present {
            return HostChange::None;
        }
        if added {
            list.push(entry);
        } else {
            list.retain(|e| *e != entry);
        }
        match self.names.get(&a.ifindex) {
            Some(name) => HostChange::Address {
                name: name.clone(),
                addr: a.addr,
                prefix_len: a.prefix_len,
                added,
            },
            None => HostChange::None,
        }
    }
}

fn is_link_local(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => a.is_link_local(),
        IpAddr::V6(a) => (a.segments()[0] & 0xffc0) == 0xfe80,
    }
}
