//! The crate's one error type: a variant per cause, each with a Display text that says
//! what to do about it.

use std::io;
use std::net::IpAddr;

use vrrp_core::Family;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while vrrp-io talks to the kernel.
///
/// Permission problems, unknown interfaces and address conflicts have their own variants
/// (with text a person can act on); anything else the kernel says arrives as
/// [`Error::Io`] or [`Error::Netlink`] with the operation that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Opening a raw or packet socket (or binding it to a device) was refused.
    #[error("{what}: permission denied; needs CAP_NET_RAW (run as root or grant CAP_NET_RAW)")]
    NeedsCapNetRaw {
        /// The operation that was refused.
        what: &'static str,
    },

    /// Changing the interface's addresses was refused.
    #[error("{what}: permission denied; needs CAP_NET_ADMIN (run as root or grant CAP_NET_ADMIN)")]
    NeedsCapNetAdmin {
        /// The operation that was refused.
        what: &'static str,
    },

    /// No interface has this name (in the current network namespace).
    #[error("interface {name} not found")]
    InterfaceNotFound {
        /// The name that was looked up.
        name: String,
    },

    /// No interface has this index (it may have been deleted meanwhile).
    #[error("interface with index {ifindex} not found (was it removed?)")]
    InterfaceIndexNotFound {
        /// The index that was looked up.
        ifindex: u32,
    },

    /// The string cannot be a Linux interface name.
    #[error("{name:?} is not a valid interface name: {reason}")]
    InvalidInterfaceName {
        /// The rejected name.
        name: String,
        /// Why it was rejected.
        reason: &'static str,
    },

    /// The address to add already sits on another interface of this host.
    #[error(
        "address {addr} is already in use on interface {ifname} (index {ifindex}); \
         remove it there first"
    )]
    AddressInUse {
        /// The address.
        addr: IpAddr,
        /// The interface that holds it.
        ifindex: u32,
        /// That interface's name (empty if it could not be read).
        ifname: String,
    },

    /// The prefix length does not fit the address family.
    #[error(
        "prefix length {prefix_len} is invalid for {addr} (at most 32 for IPv4, 128 for IPv6)"
    )]
    InvalidPrefixLength {
        /// The address.
        addr: IpAddr,
        /// The rejected prefix length.
        prefix_len: u8,
    },

    /// The address label cannot be used.
    #[error("address label {label:?} is invalid: {reason}")]
    InvalidLabel {
        /// The rejected label.
        label: String,
        /// Why it was rejected.
        reason: &'static str,
    },

    /// Gratuitous ARP and neighbour advertisements need an Ethernet (6-byte) link-layer
    /// address, and this interface has none.
    #[error(
        "interface with index {ifindex} has no Ethernet hardware address; gratuitous ARP and \
         neighbour advertisements need an Ethernet-like link"
    )]
    NoHardwareAddress {
        /// The interface.
        ifindex: u32,
    },

    /// An address of the wrong family was given to a socket of one family.
    #[error("{addr} is not an {family} address, but the socket is {family}")]
    FamilyMismatch {
        /// The socket's family.
        family: Family,
        /// The offending address.
        addr: IpAddr,
    },

    /// A batched send stopped at a datagram the kernel refused: the first `sent` of the
    /// batch went out, the refused one and the rest did not (the batch is cleared).
    #[error(
        "send VRRP advertisements: {sent} of {queued} sent, then the kernel refused: {source}"
    )]
    BatchSend {
        /// Datagrams that went out before the error.
        sent: usize,
        /// Datagrams the batch held.
        queued: usize,
        /// What the kernel said about the next one.
        #[source]
        source: io::Error,
    },

    /// A send batch already holds as many messages as it was made for.
    #[error("the send batch is full ({capacity} messages); send it before adding more")]
    BatchFull {
        /// The batch's capacity.
        capacity: usize,
    },

    /// An advertisement could not be encoded (see `vrrp_core::wire::EmitError`).
    #[error("cannot encode VRRP advertisement: {0}")]
    Emit(#[from] vrrp_core::wire::EmitError),

    /// The router configuration is invalid.
    #[error("invalid router configuration: {0}")]
    Config(#[from] vrrp_core::router::ConfigError),
    /// A running router cannot take a new configuration in place.
    #[error("cannot reconfigure the running router: {0}")]
    Reconfigure(vrrp_core::router::ReconfigureError),

    /// Two routers with one interface, family and VRID.
    #[error("{0}")]
    DuplicateRouter(#[from] vrrp_core::InsertError),

    /// Two routers of one driver with one name.
    #[error("two virtual routers are called {name}; names must be unique")]
    DuplicateName {
        /// The name.
        name: String,
    },

    /// The event loop or runner has stopped; it takes no more commands.
    #[error("the VRRP event loop has stopped")]
    Stopped,

    /// The interface has no address to send adverts from.
    #[error(
        "interface {ifname} has no {family} address to send adverts from; \
         add one (IPv6: a link-local address) or set unicast_src_ip"
    )]
    NoPrimaryAddress {
        /// The interface.
        ifname: String,
        /// The family that is missing.
        family: vrrp_core::Family,
    },

    /// A system call failed for a reason not covered above.
    #[error("{what}: {source}")]
    Io {
        /// The operation that failed.
        what: &'static str,
        /// What the kernel said.
        #[source]
        source: io::Error,
    },

    /// The kernel refused a netlink request for a reason not covered above.
    #[error("netlink {what}: {source}")]
    Netlink {
        /// The request that failed.
        what: &'static str,
        /// The errno the kernel answered with.
        #[source]
        source: io::Error,
    },

    /// The kernel's netlink answer could not be understood.
    #[error("netlink {what}: malformed answer from the kernel: {detail}")]
    NetlinkProtocol {
        /// The request being answered.
        what: &'static str,
        /// What was wrong with the answer.
        detail: String,
    },

    /// The `nft` program is not installed (accept mode off needs it; see [`crate::accept`]).
    #[error(
        "{what}: the nft program was not found (in PATH, /usr/sbin or /sbin); install nftables \
         (Debian/Ubuntu: apt install nftables): it drops traffic to the VIPs of a non-owner \
         master with accept mode off (no_accept)"
    )]
    NftMissing {
        /// The operation that needed it.
        what: &'static str,
    },

    /// `nft` rejected our script for the table.
    #[error("{what} (nftables table inet {table}): nft failed with {status}: {stderr}")]
    Nft {
        /// The operation that failed.
        what: &'static str,
        /// Our table's name.
        table: String,
        /// How nft exited.
        status: std::process::ExitStatus,
        /// What nft printed on stderr.
        stderr: String,
    },

    /// `nft` did not finish in time and was killed.
    #[error(
        "{what} (nftables table inet {table}): nft did not finish within {timeout:?}; killed it"
    )]
    NftTimeout {
        /// The operation that timed out.
        what: &'static str,
        /// Our table's name.
        table: String,
        /// How long it was given.
        timeout: std::time::Duration,
    },

    /// The string cannot be the name of our nftables table.
    #[error("{name:?} is not a valid nftables table name: {reason}")]
    InvalidNftTableName {
        /// The rejected name.
        name: String,
        /// Why it was rejected.
        reason: &'static str,
    },

    /// The name chosen for a virtual MAC interface (`use_vmac`) belongs to an interface
    /// that is not the macvlan vrrp-io would create; it is left untouched.
    #[error(
        "interface {name} exists but is not the VRRP macvlan on {parent} with MAC {mac}: \
         {found}; it is left untouched: remove or rename it, or choose another use_vmac name"
    )]
    VmacConflict {
        /// The name asked for.
        name: String,
        /// The parent interface asked for.
        parent: String,
        /// The virtual MAC asked for.
        mac: crate::mac::MacAddr,
        /// What the existing interface is instead.
        found: crate::vmac::VmacMismatch,
    },

    /// A file under /proc/sys could not be read or written.
    #[error("cannot {action} {path}: {source}")]
    Sysctl {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: String,
        /// What the kernel said.
        #[source]
        source: io::Error,
    },

    /// Values saved in one network namespace were to be restored from a thread in
    /// another, where the same interface names may mean other interfaces.
    #[error(
        "{what}: the calling thread is in another network namespace than the one the \
         values were saved in; call it from a thread of that namespace"
    )]
    WrongNetworkNamespace {
        /// The refused operation.
        what: &'static str,
    },

    /// A virtual route or rule is invalid as written; the kernel was not asked.
    #[error("invalid route or rule: {0}")]
    InvalidRoute(#[from] crate::route::RouteSpecError),
}

impl Error {
    /// A failed system call on a raw or packet socket: EPERM / EACCES become
    /// [`Error::NeedsCapNetRaw`], everything else [`Error::Io`].
    pub(crate) fn socket(what: &'static str, source: io::Error) -> Self {
        if is_permission(&source) {
            Error::NeedsCapNetRaw { what }
        } else {
            Error::Io { what, source }
        }
    }

    /// A failed netlink request that changes state: EPERM / EACCES become
    /// [`Error::NeedsCapNetAdmin`], everything else [`Error::Netlink`].
    pub(crate) fn netlink(what: &'static str, source: io::Error) -> Self {
        if is_permission(&source) {
            Error::NeedsCapNetAdmin { what }
        } else {
            Error::Netlink { what, source }
        }
    }

    /// True if the error is a missing privilege (CAP_NET_RAW or CAP_NET_ADMIN).
    pub fn is_permission_denied(&self) -> bool {
        matches!(
            self,
            Error::NeedsCapNetRaw { .. } | Error::NeedsCapNetAdmin { .. }
        )
    }

    /// The errno behind the error, if one is.
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            Error::Io { source, .. }
            | Error::Netlink { source, .. }
            | Error::BatchSend { source, .. } => source.raw_os_error(),
            Error::NeedsCapNetRaw { .. } | Error::NeedsCapNetAdmin { .. } => Some(libc::EPERM),
            _ => None,
        }
    }
}

fn is_permission(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EPERM) | Some(libc::EACCES))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_errors_say_which_capability_and_what_to_do() {
        let e = Error::socket(
            "open IPv4 VRRP socket",
            io::Error::from_raw_os_error(libc::EPERM),
        );
        assert_eq!(
            e.to_string(),
            "open IPv4 VRRP socket: permission denied; needs CAP_NET_RAW \
             (run as root or grant CAP_NET_RAW)"
        );
        assert!(e.is_permission_denied());
        let e = Error::netlink("add address", io::Error::from_raw_os_error(libc::EACCES));
        assert!(e.to_string().contains("needs CAP_NET_ADMIN (run as root"));
    }

    #[test]
    fn unknown_interface_names_it() {
        let e = Error::InterfaceNotFound {
            name: "eth9".into(),
        };
        assert_eq!(e.to_string(), "interface eth9 not found");
    }

    #[test]
    fn address_in_use_names_the_other_interface() {
        let e = Error::AddressInUse {
            addr: IpAddr::from([192, 168, 100, 12]),
            ifindex: 3,
            ifname: "eth1".into(),
        };
        assert_eq!(
            e.to_string(),
            "address 192.168.100.12 is already in use on interface eth1 (index 3); \
             remove it there first"
        );
    }

    #[test]
    fn other_errors_keep_the_errno() {
        let e = Error::socket("send", io::Error::from_raw_os_error(libc::ENETDOWN));
        assert_eq!(e.raw_os_error(), Some(libc::ENETDOWN));
        assert!(!e.is_permission_denied());
    }
}
