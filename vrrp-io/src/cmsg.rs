//! Ancillary data (`cmsghdr`) encoding and decoding, in safe code over byte buffers.
//!
//! The kernel's `struct cmsghdr` is `{ size_t cmsg_len; int cmsg_level; int cmsg_type; }`
//! followed by the data, each message aligned to `sizeof(size_t)`
//! (`include/uapi/linux/socket.h`, `CMSG_ALIGN`). We read and write exactly that layout
//! with native byte order; the option payloads used here (`in_pktinfo`, `in6_pktinfo`,
//! an `int` hop limit) are written field by field.

use std::net::{Ipv4Addr, Ipv6Addr};

const ALIGN: usize = std::mem::size_of::<usize>();
/// `sizeof(struct cmsghdr)`, already aligned.
const HEADER_LEN: usize = std::mem::size_of::<usize>() + 2 * std::mem::size_of::<i32>();

const fn align(len: usize) -> usize {
    (len + ALIGN - 1) & !(ALIGN - 1)
}

/// `CMSG_SPACE(len)`: bytes one control message with `len` bytes of data occupies.
pub(crate) const fn space(len: usize) -> usize {
    HEADER_LEN + align(len)
}

/// `sizeof(struct in_pktinfo)`.
pub(crate) const IN_PKTINFO_LEN: usize = 12;
/// `sizeof(struct in6_pktinfo)`.
pub(crate) const IN6_PKTINFO_LEN: usize = 20;

/// Control buffer large enough for the IPv6 receive path (hop limit + pktinfo), with room
/// to spare for anything else the kernel may add.
pub(crate) const RECV_CONTROL_LEN: usize = space(4) + space(IN6_PKTINFO_LEN) + 64;

/// Writes one control message into `out` and returns the bytes used (`CMSG_SPACE`), or
/// `None` if `out` is too small.
fn write(out: &mut [u8], level: i32, kind: i32, data: &[u8]) -> Option<usize> {
    let total = space(data.len());
    let out = out.get_mut(..total)?;
    out.fill(0);
    let cmsg_len = HEADER_LEN + data.len();
    out[..ALIGN].copy_from_slice(&cmsg_len.to_ne_bytes());
    out[ALIGN..ALIGN + 4].copy_from_slice(&level.to_ne_bytes());
    out[ALIGN + 4..ALIGN + 8].copy_from_slice(&kind.to_ne_bytes());
    out[HEADER_LEN..HEADER_LEN + data.len()].copy_from_slice(data);
    Some(total)
}

/// An `IP_PKTINFO` message choosing the outgoing interface and source address.
pub(crate) fn ip_pktinfo(out: &mut [u8], ifindex: u32, src: Ipv4Addr) -> Option<usize> {
    // struct in_pktinfo { int ipi_ifindex; struct in_addr ipi_spec_dst; struct in_addr ipi_addr; }
    let mut data = [0u8; IN_PKTINFO_LEN];
    data[..4].copy_from_slice(&(ifindex as i32).to_ne_bytes());
    data[4..8].copy_from_slice(&src.octets());
    write(out, libc::IPPROTO_IP, libc::IP_PKTINFO, &data)
}

/// An `IPV6_PKTINFO` message choosing the outgoing interface and source address.
pub(crate) fn ipv6_pktinfo(out: &mut [u8], ifindex: u32, src: Ipv6Addr) -> Option<usize> {
    // struct in6_pktinfo { struct in6_addr ipi6_addr; unsigned int ipi6_ifindex; }
    let mut data = [0u8; IN6_PKTINFO_LEN];
    data[..16].copy_from_slice(&src.octets());
    data[16..20].copy_from_slice(&ifindex.to_ne_bytes());
    write(out, libc::IPPROTO_IPV6, libc::IPV6_PKTINFO, &data)
}

/// An `IPV6_HOPLIMIT` message, as the kernel delivers it (for tests of the receive path).
#[cfg(test)]
pub(crate) fn ipv6_hop_limit(out: &mut [u8], hop_limit: i32) -> Option<usize> {
    write(
        out,
        libc::IPPROTO_IPV6,
        libc::IPV6_HOPLIMIT,
        &hop_limit.to_ne_bytes(),
    )
}

/// What the IPv6 receive path needs from the ancillary data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Ipv6RxInfo {
    /// `IPV6_HOPLIMIT`.
    pub hop_limit: Option<u8>,
    /// `IPV6_PKTINFO`: destination address and receiving interface.
    pub pktinfo: Option<(Ipv6Addr, u32)>,
}

/// Walks the control messages in `control` (as written by the kernel) and collects the
/// IPv6 hop limit and packet info. Malformed trailing bytes end the walk.
pub(crate) fn parse_ipv6_rx(control: &[u8]) -> Ipv6RxInfo {
    let mut info = Ipv6RxInfo::default();
    for (level, kind, data) in Messages(control) {
        if level != libc::IPPROTO_IPV6 {
            continue;
        }
        match kind {
            libc::IPV6_HOPLIMIT => {
                if let Some(b) = data.get(..4) {
                    let v = i32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
                    info.hop_limit = u8::try_from(v).ok();
                }
            }
            libc::IPV6_PKTINFO => {
                if let (Some(addr), Some(idx)) = (data.get(..16), data.get(16..20)) {
                    let mut octets = [0u8; 16];
                    octets.copy_from_slice(addr);
                    let ifindex = u32::from_ne_bytes([idx[0], idx[1], idx[2], idx[3]]);
                    info.pktinfo = Some((Ipv6Addr::from(octets), ifindex));
                }
            }
            _ => {}
        }
    }
    info
}

/// Iterator over `(level, type, data)` of the control messages in a buffer.
struct Messages<'a>(&'a [u8]);

impl<'a> Iterator for Messages<'a> {
    type Item = (i32, i32, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let buf = self.0;
        let header = buf.get(..HEADER_LEN)?;
        let mut len_bytes = [0u8; ALIGN];
        len_bytes.copy_from_slice(&header[..ALIGN]);
        let cmsg_len = usize::from_ne_bytes(len_bytes);
        let level = i32::from_ne_bytes([
            header[ALIGN],
            header[ALIGN + 1],
            header[ALIGN + 2],
            header[ALIGN + 3],
        ]);
        let kind = i32::from_ne_bytes([
            header[ALIGN + 4],
            header[ALIGN + 5],
            header[ALIGN + 6],
            header[ALIGN + 7],
        ]);
        if cmsg_len < HEADER_LEN {
            self.0 = &[];
            return None;
        }
        let Some(data) = buf.get(HEADER_LEN..cmsg_len) else {
            self.0 = &[];
            return None;
        };
        self.0 = buf.get(align(cmsg_len)..).unwrap_or(&[]);
        Some((level, kind, data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_matches_libc() {
        for len in [0usize, 1, 4, 12, 20, 21] {
            // SAFETY: CMSG_SPACE is pure arithmetic on its argument; it touches no memory.
            let expected = unsafe { libc::CMSG_SPACE(len as u32) } as usize;
            assert_eq!(space(len), expected, "CMSG_SPACE({len})");
        }
    }

    #[test]
    fn writes_ipv6_pktinfo_and_reads_it_back() {
        let mut buf = [0u8; 128];
        let src = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 1, 0x12);
        let n = ipv6_pktinfo(&mut buf, 7, src).expect("fits");
        assert_eq!(n, space(IN6_PKTINFO_LEN));
        let hop = write(
            &mut buf[n..],
            libc::IPPROTO_IPV6,
            libc::IPV6_HOPLIMIT,
            &255i32.to_ne_bytes(),
        )
        .expect("fits");
        let info = parse_ipv6_rx(&buf[..n + hop]);
        assert_eq!(info.pktinfo, Some((src, 7)));
        assert_eq!(info.hop_limit, Some(255));
    }

    #[test]
    fn ip_pktinfo_layout() {
        let mut buf = [0u8; 64];
        let n = ip_pktinfo(&mut buf, 3, Ipv4Addr::new(192, 168, 100, 10)).expect("fits");
        assert_eq!(n, space(IN_PKTINFO_LEN));
        let (level, kind, data) = Messages(&buf[..n]).next().expect("one message");
        assert_eq!((level, kind), (libc::IPPROTO_IP, libc::IP_PKTINFO));
        assert_eq!(data.len(), IN_PKTINFO_LEN);
        assert_eq!(&data[..4], &3i32.to_ne_bytes());
        assert_eq!(&data[4..8], &[192, 168, 100, 10]);
        assert_eq!(&data[8..12], &[0, 0, 0, 0]);
    }

    #[test]
    fn garbage_never_panics() {
        // A length that points past the end, a length smaller than the header, and
        // random bytes: the walk just stops.
        let mut buf = [0xffu8; 40];
        assert_eq!(parse_ipv6_rx(&buf), Ipv6RxInfo::default());
        buf[..8].copy_from_slice(&3usize.to_ne_bytes());
        assert_eq!(parse_ipv6_rx(&buf), Ipv6RxInfo::default());
        for n in 0..buf.len() {
            let _ = parse_ipv6_rx(&buf[..n]);
        }
        let _ = parse_ipv6_rx(&[]);
    }
}
