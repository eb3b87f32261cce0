//! [`Prefix`]: an IP prefix as routes and rules match it.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use vrrp_core::Family;

use super::RouteSpecError;

/// An IP prefix: an address and a length, with no bits set after the length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Prefix {
    addr: IpAddr,
    len: u8,
}

impl Prefix {
    /// `addr/len`, refused if `len` is longer than the family allows or `addr` has bits
    /// set after `len` ([`RouteSpecError::HostBitsSet`]).
    pub fn new(addr: IpAddr, len: u8) -> Result<Self, RouteSpecError> {
        let family = Family::of(&addr);
        if len > family.max_prefix_len() {
            return Err(RouteSpecError::PrefixTooLong {
                addr,
                prefix_len: len,
            });
        }
        let network = Prefix {
            addr: mask(addr, len),
            len,
        };
        if network.addr != addr {
            return Err(RouteSpecError::HostBitsSet {
                addr,
                prefix_len: len,
                network,
            });
        }
        Ok(network)
    }

    /// The single address `addr` (/32 or /128).
    pub fn host(addr: IpAddr) -> Self {
        let len = Family::of(&addr).max_prefix_len();
        Prefix { addr, len }
    }

    /// Everything: `0.0.0.0/0` or `::/0`, the default route's destination.
    pub const fn any(family: Family) -> Self {
        let addr = match family {
            Family::Ipv4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            Family::Ipv6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        };
        Prefix { addr, len: 0 }
    }

    /// The network address.
    pub const fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    pub const fn prefix_len(&self) -> u8 {
        self.len
    }

    /// The address family.
    pub const fn family(&self) -> Family {
        Family::of(&self.addr)
    }

    /// True for `0.0.0.0/0` and `::/0`.
    pub const fn is_any(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl FromStr for Prefix {
    type Err = RouteSpecError;

    /// `ADDR/LEN`, or `ADDR` alone for a host prefix.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let not_a_prefix = || RouteSpecError::NotAPrefix {
            text: text.to_owned(),
        };
        match text.split_once('/') {
            None => text.parse().map(Prefix::host).map_err(|_| not_a_prefix()),
            Some((addr, len)) => {
                let addr: IpAddr = addr.parse().map_err(|_| not_a_prefix())?;
                if !len.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(not_a_prefix());
                }
                let len = len.parse::<u8>().map_err(|_| not_a_prefix())?;
                Prefix::new(addr, len)
            }
        }
    }
}

/// `addr` with the bits after `len` cleared.
fn mask(addr: IpAddr, len: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let keep = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & keep))
        }
        IpAddr::V6(a) => {
            let keep = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & keep))
        }
    }
}
