//! What to create: the virtual router MAC and the macvlan's name.

use vrrp_core::{Family, Vrid};

use crate::error::{Error, Result};
use crate::mac::MacAddr;
use crate::netlink::validate_ifname;

/// Prefix of keepalived's default vmac names (its `vmac_prefix` default).
const DEFAULT_PREFIX: &str = "vrrp";

/// The virtual router MAC of `vrid`: 00:00:5e:00:01:VRID for IPv4, 00:00:5e:00:02:VRID for
/// IPv6 (RFC 9568 section 7.3; RFC 3768 section 7.3 for VRRPv2).
///
/// ```
/// use vrrp_io::vmac::virtual_mac;
/// use vrrp_io::vrrp_core::{Family, Vrid};
/// let vrid = Vrid::new(51).expect("1..=255");
/// assert_eq!(virtual_mac(Family::Ipv4, vrid).to_string(), "00:00:5e:00:01:33");
/// assert_eq!(virtual_mac(Family::Ipv6, vrid).to_string(), "00:00:5e:00:02:33");
/// ```
pub fn virtual_mac(family: Family, vrid: Vrid) -> MacAddr {
    match family {
        Family::Ipv4 => MacAddr::vrrp_v4(vrid.get()),
        Family::Ipv6 => MacAddr::vrrp_v6(vrid.get()),
    }
}

/// keepalived's name for the macvlan of a `use_vmac` without a name: `vrrp.VRID`, for
/// both families. See [`default_names`] for the names it falls back to when that one is
/// taken.
pub fn default_name(vrid: Vrid) -> String {
    format!("{DEFAULT_PREFIX}.{vrid}")
}

/// keepalived's default names in the order it tries them, the first not used by another
/// instance winning: `vrrp.VRID`, then `vrrp1.VRID`, `vrrp2.VRID` ... for IPv4, and
/// `vrrp.VRID`, `vrrp6.VRID`, `vrrp1.VRID` ... (skipping `vrrp6` the second time) for
/// IPv6, so that the IPv6 instance of a dual-stack pair with one VRID gets `vrrp6.VRID`.
/// Finite (65,536 names), each at most 15 bytes.
///
/// ```
/// use vrrp_io::vmac::default_names;
/// use vrrp_io::vrrp_core::{Family, Vrid};
/// let vrid = Vrid::new(51).expect("1..=255");
/// let v6: Vec<String> = default_names(Family::Ipv6, vrid).take(3).collect();
/// assert_eq!(v6, ["vrrp.51", "vrrp6.51", "vrrp1.51"]);
/// ```
pub fn default_names(family: Family, vrid: Vrid) -> impl Iterator<Item = String> {
    // keepalived (create_vmac_name): IPv6 tries number 6 right after the plain name, then
    // counts up from 1 and skips 6; IPv4 simply counts up from 1.
    let numbers: Box<dyn Iterator<Item = u16>> = match family {
        Family::Ipv4 => Box::new(1..=u16::MAX),
        Family::Ipv6 => Box::new(std::iter::once(6).chain((1..=u16::MAX).filter(|&n| n != 6))),
    };
    std::iter::once(default_name(vrid))
        .chain(numbers.map(move |n| format!("{DEFAULT_PREFIX}{n}.{vrid}")))
}

/// Checks that `name` can be the macvlan of `parent`: a valid interface name
/// ([`validate_ifname`]) other than the parent's own.
pub fn validate_vmac_name(name: &str, parent: &str) -> Result<()> {
    validate_ifname(name)?;
    validate_ifname(parent)?;
    if name == parent {
        return Err(Error::InvalidInterfaceName {
            name: name.to_owned(),
            reason: "it is the name of the parent interface; the macvlan needs its own",
        });
    }
    Ok(())
}
