//! # vrrp-core
//!
//! A sans-IO implementation of the Virtual Router Redundancy Protocol: VRRPv2 (RFC 3768)
//! and VRRPv3 (RFC 9568), over IPv4 and IPv6.
//!
//! - [`wire`]: a zero-copy packet codec — checksums in every form seen in the field, VRRPv2
//!   simple-password authentication, one error per reason a packet is dropped. Needs no
//!   allocator.
//!
//! The crate owns no socket, no clock and no thread: bytes and the current time go in,
//! bytes and decisions come out. `vrrp-io` is the Linux adapter.
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

#[cfg(test)]
extern crate std;

mod types;
pub mod wire;

pub use types::{Centiseconds, Family, Priority, Version, Vrid};
