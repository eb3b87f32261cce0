//! The names iproute2 gives to routing tables and route protocols.

use std::fmt;

/// The routing table `main` (254): where routes go when no table is given.
pub const TABLE_MAIN: u32 = 254;
/// The routing table `local` (255): the kernel's local and broadcast routes.
pub const TABLE_LOCAL: u32 = 255;
/// The routing table `default` (253): consulted last by the default rules.
pub const TABLE_DEFAULT: u32 = 253;

/// The route and rule protocol keepalived uses (RTPROT_KEEPALIVED, `proto keepalived`);
/// ours too, so that a host moving from keepalived to vrrp keeps recognising its routes.
pub const PROTOCOL_KEEPALIVED: u8 = 18;

/// The names iproute2 gives to table numbers (`/etc/iproute2/rt_tables` may add more;
/// those are not read).
const TABLE_NAMES: &[(&str, u32)] = &[
    ("default", TABLE_DEFAULT),
    ("main", TABLE_MAIN),
    ("local", TABLE_LOCAL),
];

/// iproute2's `rt_protos` names; keepalived's own list calls 0 `none`.
const PROTOCOL_NAMES: &[(&str, u8)] = &[
    ("unspec", 0),
    ("none", 0),
    ("redirect", 1),
    ("kernel", 2),
    ("boot", 3),
    ("static", 4),
    ("gated", 8),
    ("ra", 9),
    ("mrt", 10),
    ("zebra", 11),
    ("bird", 12),
    ("dnrouted", 13),
    ("xorp", 14),
    ("ntk", 15),
    ("dhcp", 16),
    ("keepalived", PROTOCOL_KEEPALIVED),
    ("babel", 42),
    ("openr", 99),
    ("bgp", 186),
    ("isis", 187),
    ("ospf", 188),
    ("rip", 189),
    ("eigrp", 192),
];

/// The table number of a name iproute2 always knows (`local`, `main`, `default`).
pub fn table_by_name(name: &str) -> Option<u32> {
    TABLE_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, id)| *id)
}

/// The name of table `id`, if it has one of the built-in names.
pub fn table_name(id: u32) -> Option<&'static str> {
    TABLE_NAMES.iter().find(|(_, t)| *t == id).map(|(n, _)| *n)
}

/// The protocol number of a name in iproute2's `rt_protos` (`static`, `bird`, ...).
pub fn protocol_by_name(name: &str) -> Option<u8> {
    PROTOCOL_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, id)| *id)
}

/// The name iproute2 prints for protocol `id`, if it has one.
pub fn protocol_name(id: u8) -> Option<&'static str> {
    // `unspec` before `none`: what `ip` prints.
    PROTOCOL_NAMES
        .iter()
        .find(|(_, p)| *p == id)
        .map(|(n, _)| *n)
}

/// A table number, printed by name where it has one.
pub(super) struct TableName(pub(super) u32);

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match table_name(self.0) {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}
