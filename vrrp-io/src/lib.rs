//! # vrrp-io
//!
//! The Linux adapter for [`vrrp_core`]: it owns the raw protocol-112 sockets, adds and
//! removes virtual addresses over rtnetlink, and sends gratuitous ARP and unsolicited
//! neighbour advertisements. All protocol decisions stay in `vrrp-core`; this crate only
//! acts on them.
//!
//! - [`socket`]: [`VrrpSocket`], raw IPv4 / IPv6 VRRP sockets bound to one interface,
//!   multicast or unicast peers, receiving with the TTL / hop limit and addresses the
//!   core's checks need.
//! - [`netlink`]: [`Netlink`], interfaces, link state and addresses; VIPs added and
//!   removed idempotently.
//! - [`announce`]: [`Announcer`], gratuitous ARP and unsolicited NA frames built by hand.
//! - [`packet`]: [`PacketSocket`], AF_PACKET frames in and out of one interface.
//! - [`event_loop`]: [`EventLoop`], one thread driving every router of the process.
//! - [`Error`]: one error type, with a text that says what to do (missing CAP_NET_RAW /
//!   CAP_NET_ADMIN, unknown interface, address in use, ...).
//!
//! Everything works in the network namespace of the calling *thread*, so one process can
//! serve (or test) several namespaces from different threads.
#![warn(missing_docs)]

pub mod announce;
mod cmsg;
mod error;
pub mod event_loop;
mod mac;
pub mod netlink;
pub mod packet;
pub mod socket;
mod sys;

pub use announce::Announcer;
pub use error::{Error, Result};
pub use event_loop::{EventLoop, Handle, RouterSpec, VipSpec};
pub use mac::MacAddr;
pub use netlink::Netlink;
pub use packet::PacketSocket;
pub use socket::{Datagram, SocketConfig, VrrpSocket};
pub use vrrp_core;
