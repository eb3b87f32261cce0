//! Test support: a small pcap -> Ethernet -> IPv4/IPv6 -> VRRP reader, and the matching
//! writer used to hand our own packets to tshark.
//!
//! The pcap layer is the `pcap-file` crate; Ethernet, IPv4 and IPv6 are parsed here by hand
//! so that the tests see exactly what the kernel would hand a raw socket: source,
//! destination, TTL / hop limit, and the VRRP message (with any Ethernet padding removed).
//! Frames that carry no VRRP (ARP, ICMPv6 neighbour advertisements, ...) are counted and
//! skipped.
//!
//! Shared by several test crates, each of which uses only part of it.
#![allow(dead_code)]

use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapReader, PcapWriter};
use pcap_file::DataLink;
use vrrp_core::wire::{RxMeta, IP_PROTOCOL_VRRP};

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERNET_HEADER_LEN: usize = 14;
const IPV4_MIN_HEADER_LEN: usize = 20;
const IPV6_HEADER_LEN: usize = 40;
/// IPv6 extension headers that may sit between the fixed header and VRRP and share the
/// generic (next header, length in 8-octet units) layout: hop-by-hop, routing, destination
/// options.
const IPV6_GENERIC_EXTENSIONS: [u8; 3] = [0, 43, 60];

/// The directory of the captured vectors.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// Every `.pcap` file in [`data_dir`], sorted by name.
pub fn data_pcaps() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data_dir())
        .expect("tests/data is readable")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    files.sort();
    files
}

/// One VRRP message as it arrived, with what the IP layer knows about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrrpFrame {
    /// 1-based frame number in the capture (as tshark and Wireshark count).
    pub number: usize,
    /// Capture timestamp.
    pub timestamp: Duration,
    /// Ethernet source address.
    pub eth_src: [u8; 6],
    /// Ethernet destination address.
    pub eth_dst: [u8; 6],
    /// IP source.
    pub src: IpAddr,
    /// IP destination.
    pub dst: IpAddr,
    /// IPv4 TTL or IPv6 hop limit.
    pub hop_limit: u8,
    /// The VRRP message: the IP payload, without Ethernet padding.
    pub payload: Vec<u8>,
}

impl VrrpFrame {
    /// The metadata `vrrp_core::wire::decode` wants.
    pub fn meta(&self) -> RxMeta {
        RxMeta {
            src: self.src,
            dst: self.dst,
            hop_limit: self.hop_limit,
        }
    }
}

/// The VRRP frames of a capture and how many frames it held in all.
#[derive(Debug, Clone)]
pub struct Capture {
    /// Number of frames in the file, VRRP or not.
    pub total_frames: usize,
    /// The frames that carry VRRP, in capture order.
    pub vrrp: Vec<VrrpFrame>,
}

/// Why a frame could not be parsed. Frames that are well formed but carry no VRRP are not
/// errors (see [`parse_ethernet`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// The frame ends inside the named header.
    Truncated(&'static str),
    /// The IPv4 version / IHL byte or the IPv6 version nibble is wrong.
    BadIpHeader(&'static str),
    /// The IPv4 header checksum is wrong.
    BadIpv4HeaderChecksum,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Truncated(what) => write!(f, "frame truncated inside the {what}"),
            FrameError::BadIpHeader(what) => write!(f, "malformed IP header: {what}"),
            FrameError::BadIpv4HeaderChecksum => f.write_str("bad IPv4 header checksum"),
        }
    }
}

/// Reads a classic pcap file with Ethernet link type and returns its VRRP frames.
/// Panics with the file name on anything that is not a well-formed capture: in a test,
/// a broken vector must fail loudly.
pub fn read_capture(path: &Path) -> Capture {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = PcapReader::new(BufReader::new(file))
        .unwrap_or_else(|e| panic!("{}: not a pcap file: {e}", path.display()));
    assert_eq!(
        reader.header().datalink,
        DataLink::ETHERNET,
        "{}: only Ethernet captures are supported",
        path.display()
    );
    let mut capture = Capture {
        total_frames: 0,
        vrrp: Vec::new(),
    };
    while let Some(packet) = reader.next_packet() {
        let packet = packet.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        capture.total_frames += 1;
        assert_eq!(
            packet.orig_len as usize,
            packet.data.len(),
            "{}: frame {} was truncated by the capture's snaplen",
            path.display(),
            capture.total_frames
        );
        match parse_ethernet(&packet.data) {
            Ok(Some(mut frame)) => {
                frame.number = capture.total_frames;
                frame.timestamp = packet.timestamp;
                capture.vrrp.push(frame);
            }
            Ok(None) => {}
            Err(e) => panic!("{}: frame {}: {e}", path.display(), capture.total_frames),
        }
    }
    capture
}

/// Parses one Ethernet frame. `Ok(None)` for a well-formed frame that is not VRRP over
/// IPv4/IPv6 (ARP, ICMPv6, ...).
pub fn parse_ethernet(frame: &[u8]) -> Result<Option<VrrpFrame>, FrameError> {
    let header = frame
        .get(..ETHERNET_HEADER_LEN)
        .ok_or(FrameError::Truncated("Ethernet header"))?;
    let mut eth_dst = [0u8; 6];
    let mut eth_src = [0u8; 6];
    eth_dst.copy_from_slice(&header[0..6]);
    eth_src.copy_from_slice(&header[6..12]);
    let mut ethertype = u16::from_be_bytes([header[12], header[13]]);
    let mut rest = &frame[ETHERNET_HEADER_LEN..];
    if ethertype == ETHERTYPE_VLAN {
        let tag = rest.get(..4).ok_or(FrameError::Truncated("802.1Q tag"))?;
        ethertype = u16::from_be_bytes([tag[2], tag[3]]);
        rest = &rest[4..];
    }
    let ip = match ethertype {
        ETHERTYPE_IPV4 => parse_ipv4(rest)?,
        ETHERTYPE_IPV6 => parse_ipv6(rest)?,
        _ => None,
    };
    Ok(ip.map(|(src, dst, hop_limit, payload)| VrrpFrame {
        number: 0,
        timestamp: Duration::ZERO,
        eth_src,
        eth_dst,
        src,
        dst,
        hop_limit,
        payload: payload.to_vec(),
    }))
}

type IpPart<'a> = (IpAddr, IpAddr, u8, &'a [u8]);

fn parse_ipv4(packet: &[u8]) -> Result<Option<IpPart<'_>>, FrameError> {
    let fixed = packet
        .get(..IPV4_MIN_HEADER_LEN)
        .ok_or(FrameError::Truncated("IPv4 header"))?;
    if fixed[0] >> 4 != 4 {
        return Err(FrameError::BadIpHeader("IPv4 version is not 4"));
    }
    let header_len = usize::from(fixed[0] & 0x0f) * 4;
    if header_len < IPV4_MIN_HEADER_LEN {
        return Err(FrameError::BadIpHeader("IPv4 IHL below 5"));
    }
    let header = packet
        .get(..header_len)
        .ok_or(FrameError::Truncated("IPv4 options"))?;
    if internet_checksum(header) != 0 {
        return Err(FrameError::BadIpv4HeaderChecksum);
    }
    let total_len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    if total_len < header_len {
        return Err(FrameError::BadIpHeader(
            "IPv4 total length below header length",
        ));
    }
    // Anything past the total length is Ethernet padding.
    let payload = packet
        .get(header_len..total_len)
        .ok_or(FrameError::Truncated("IPv4 payload"))?;
    let fragmented = u16::from_be_bytes([header[6], header[7]]) & 0x3fff != 0;
    if header[9] != IP_PROTOCOL_VRRP || fragmented {
        return Ok(None);
    }
    let src = Ipv4Addr::new(header[12], header[13], header[14], header[15]);
    let dst = Ipv4Addr::new(header[16], header[17], header[18], header[19]);
    Ok(Some((src.into(), dst.into(), header[8], payload)))
}

fn parse_ipv6(packet: &[u8]) -> Result<Option<IpPart<'_>>, FrameError> {
    let header = packet
        .get(..IPV6_HEADER_LEN)
        .ok_or(FrameError::Truncated("IPv6 header"))?;
    if header[0] >> 4 != 6 {
        return Err(FrameError::BadIpHeader("IPv6 version is not 6"));
    }
    let payload_len = usize::from(u16::from_be_bytes([header[4], header[5]]));
    let mut next_header = header[6];
    let hop_limit = header[7];
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    src.copy_from_slice(&header[8..24]);
    dst.copy_from_slice(&header[24..40]);
    let mut payload = packet
        .get(IPV6_HEADER_LEN..IPV6_HEADER_LEN + payload_len)
        .ok_or(FrameError::Truncated("IPv6 payload"))?;
    while IPV6_GENERIC_EXTENSIONS.contains(&next_header) {
        let ext = payload
            .get(..2)
            .ok_or(FrameError::Truncated("IPv6 extension header"))?;
        let ext_len = (usize::from(ext[1]) + 1) * 8;
        next_header = ext[0];
        payload = payload
            .get(ext_len..)
            .ok_or(FrameError::Truncated("IPv6 extension header"))?;
    }
    if next_header != IP_PROTOCOL_VRRP {
        return Ok(None);
    }
    Ok(Some((
        Ipv6Addr::from(src).into(),
        Ipv6Addr::from(dst).into(),
        hop_limit,
        payload,
    )))
}

/// RFC 1071 checksum of `data` (0 when `data` contains a correct checksum). Written
/// independently of the codec's so that the tests do not check the codec against itself.
pub fn internet_checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for pair in data.chunks(2) {
        let word = u16::from_be_bytes([pair[0], pair.get(1).copied().unwrap_or(0)]);
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The Ethernet multicast address an IP multicast group maps to (RFC 1112, RFC 2464), or
/// a fixed locally administered unicast address for a unicast destination.
fn ethernet_dst_for(dst: IpAddr) -> [u8; 6] {
    match dst {
        IpAddr::V4(a) if a.is_multicast() => {
            let o = a.octets();
            [0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]]
        }
        IpAddr::V6(a) if a.is_multicast() => {
            let o = a.octets();
            [0x33, 0x33, o[12], o[13], o[14], o[15]]
        }
        _ => [0x02, 0, 0, 0, 0, 0x02],
    }
}

/// An Ethernet frame carrying `payload` as a VRRP message from `src` to `dst`, sent from
/// `eth_src`, with `hop_limit` as TTL / hop limit and a correct IPv4 header checksum.
pub fn build_frame(
    eth_src: [u8; 6],
    src: IpAddr,
    dst: IpAddr,
    hop_limit: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut frame = Vec::with_capacity(ETHERNET_HEADER_LEN + IPV6_HEADER_LEN + payload.len());
    frame.extend_from_slice(&ethernet_dst_for(dst));
    frame.extend_from_slice(&eth_src);
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            frame.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
            let total_len = u16::try_from(IPV4_MIN_HEADER_LEN + payload.len())
                .expect("payload fits an IPv4 packet");
            let mut header = [0u8; IPV4_MIN_HEADER_LEN];
            header[0] = 0x45; // version 4, IHL 5
            header[1] = 0xc0; // DSCP CS6 (network control), as keepalived and FRR send
            header[2..4].copy_from_slice(&total_len.to_be_bytes());
            header[8] = hop_limit;
            header[9] = IP_PROTOCOL_VRRP;
            header[12..16].copy_from_slice(&s.octets());
            header[16..20].copy_from_slice(&d.octets());
            let checksum = internet_checksum(&header);
            header[10..12].copy_from_slice(&checksum.to_be_bytes());
            frame.extend_from_slice(&header);
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            frame.extend_from_slice(&ETHERTYPE_IPV6.to_be_bytes());
            let payload_len = u16::try_from(payload.len()).expect("payload fits an IPv6 packet");
            let mut header = [0u8; IPV6_HEADER_LEN];
            header[0] = 0x6c; // version 6, traffic class 0xc0 (CS6)
            header[4..6].copy_from_slice(&payload_len.to_be_bytes());
            header[6] = IP_PROTOCOL_VRRP;
            header[7] = hop_limit;
            header[8..24].copy_from_slice(&s.octets());
            header[24..40].copy_from_slice(&d.octets());
            frame.extend_from_slice(&header);
        }
        _ => panic!("source and destination must be of the same family"),
    }
    frame.extend_from_slice(payload);
    frame
}

/// Writes Ethernet frames to a classic pcap file, one millisecond apart.
pub fn write_pcap(path: &Path, frames: &[Vec<u8>]) {
    let file = File::create(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = PcapHeader {
        datalink: DataLink::ETHERNET,
        ..PcapHeader::default()
    };
    let mut writer = PcapWriter::with_header(file, header).expect("pcap header written");
    for (i, frame) in frames.iter().enumerate() {
        let len = u32::try_from(frame.len()).expect("frame fits a pcap record");
        let timestamp = Duration::from_millis(i as u64);
        writer
            .write_packet(&PcapPacket::new(timestamp, len, frame))
            .expect("pcap record written");
    }
}

/// The VRRP virtual MAC address of a virtual router (RFC 9568 section 7.3):
/// 00-00-5E-00-01-{VRID} for IPv4, 00-00-5E-00-02-{VRID} for IPv6.
pub fn virtual_mac(ipv6: bool, vrid: u8) -> [u8; 6] {
    [0x00, 0x00, 0x5e, 0x00, if ipv6 { 0x02 } else { 0x01 }, vrid]
}
