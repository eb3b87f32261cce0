//! # vrrp-core
//!
//! A sans-IO implementation of the Virtual Router Redundancy Protocol: VRRPv2 (RFC 3768)
//! and VRRPv3 (RFC 9568), over IPv4 and IPv6.
//!
//! - [`wire`]: a zero-copy packet codec — checksums in every form seen in the field, VRRPv2
//!   simple-password authentication, one error per reason a packet is dropped. Needs no
//!   allocator.
//! - [`router`]: the election state machine (feature `alloc`, on by default).
//! - [`Routers`]: many virtual routers behind one decode and one timer heap.
//! - `sim` (feature `sim`): a deterministic virtual clock and LAN to test setups with.
//! - `Clock` (feature `std`): converts between `std::time::Instant` and [`Instant`].
//! - [`VirtualAddress`]: a virtual address with the prefix length and label it is added
//!   with.
//!
//! The crate owns no socket, no clock and no thread: bytes and the current time go in,
//! bytes and decisions come out. `vrrp-io` is the Linux adapter.
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

#[cfg(any(test, feature = "std"))]
extern crate std;

#[cfg(feature = "alloc")]
extern crate alloc;

#[cfg(feature = "std")]
mod clock;
#[cfg(feature = "alloc")]
pub mod router;
#[cfg(feature = "alloc")]
mod routers;
#[cfg(feature = "sim")]
pub mod sim;
mod time;
mod types;
mod vip;
pub mod wire;

#[cfg(feature = "std")]
pub use clock::Clock;

#[cfg(feature = "alloc")]
pub use routers::{
    InsertError, InterfaceId, RouterKey, Routers, UnattributedDrop, UnattributedStatistics,
};
pub use time::Instant;
pub use types::{Centiseconds, Family, Priority, Version, Vrid};
pub use vip::{Label, LabelError, VirtualAddress};

/// The README's embedding example, compiled and run as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

/// The embedding guide's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/embedding.md")]
struct EmbeddingGuideDoctests;
