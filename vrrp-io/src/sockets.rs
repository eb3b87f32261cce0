//! The VRRP sockets of a shell, kept as the driver wants them.

use crate::driver::{SocketKey, SocketSpec};
use crate::error::Result;
use crate::socket::{SocketConfig, VrrpSocket};

/// Receive buffer of each VRRP socket: room for a burst of adverts from every VRID of a
/// peer (255 small datagrams take about 200 KiB of kernel memory, the usual default cap).
pub(crate) const RECV_SOCKET_BUFFER: usize = 2 << 20;

/// Opens the socket `spec` describes.
pub(crate) fn open(spec: &SocketSpec) -> Result<VrrpSocket> {
    let mut config = SocketConfig::multicast(spec.key.family, &spec.interface);
    config.join_group = spec.join_group;
    config.recv_buffer_size = Some(RECV_SOCKET_BUFFER);
    config.virtual_addresses = spec.virtual_addresses.clone();
    VrrpSocket::open_with(&config, spec.ifindex, spec.own_addresses.iter().copied())
}

/// Brings an open socket in line with `spec` (same interface index).
pub(crate) fn update(socket: &mut VrrpSocket, spec: &SocketSpec) -> Result<()> {
    socket.set_join_group(spec.join_group)?;
    socket.set_virtual_addresses(spec.virtual_addresses.iter().copied());
    socket.set_own_addresses(spec.own_addresses.iter().copied());
    Ok(())
}

/// Makes `current` match `desired`: sockets no longer wanted, or whose interface came
/// back under a new index, are closed; new ones opened; the rest updated. `inner` gives
/// the [`VrrpSocket`] inside a shell's wrapper, `wrap` makes one. Failures go to
/// `on_error` and the socket is left out (retried at the next change).
pub(crate) fn reconcile<S>(
    current: &mut Vec<(SocketKey, S)>,
    desired: &[SocketSpec],
    inner: impl Fn(&mut S) -> &mut VrrpSocket,
    mut wrap: impl FnMut(VrrpSocket) -> std::io::Result<S>,
    mut on_error: impl FnMut(crate::Error),
) {
    current.retain_mut(|(key, s)| {
        desired
            .iter()
            .any(|d| d.key == *key && d.ifindex == inner(s).ifindex())
    });
    for spec in desired {
        match current.iter_mut().find(|(k, _)| *k == spec.key) {
            Some((_, s)) => {
                if let Err(e) = update(inner(s), spec) {
                    on_error(e);
                }
            }
            None => match open(spec).and_then(|sock| {
                wrap(sock).map_err(|source| crate::Error::Io {
                    what: "register VRRP socket with the event loop",
                    source,
                })
            }) {
                Ok(s) => current.push((spec.key, s)),
                Err(e) => on_error(e),
            },
        }
    }
}
