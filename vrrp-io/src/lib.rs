//! # vrrp-io
//!
//! The Linux adapter for [`vrrp_core`]: it owns the raw protocol-112 sockets, adds and
//! removes virtual addresses over rtnetlink, sends gratuitous ARP and unsolicited
//! neighbour advertisements, and drives every virtual router of a process from one
//! event-loop thread. All protocol decisions stay in `vrrp-core`; this crate only acts
//! on them.
#![warn(missing_docs)]

pub use vrrp_core;
