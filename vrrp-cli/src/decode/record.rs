//! What a captured frame amounts to: the [`Record`] of a VRRP advertisement, a refused
//! VRRP packet, a gratuitous ARP or an unsolicited neighbour advertisement, built from
//! the dissected frame (the codec decides what is malformed).

use std::fmt::Write as _;
use std::net::IpAddr;
use std::time::Duration;

use serde::Serialize;
use vrrp_core::wire::{self, AdvertRepr, Auth, Packet, RxMeta};
use vrrp_core::{Family, Version};

use super::frame::{self, Dissected, GratuitousArp, LinkType, UnsolicitedNa, VrrpFrame};
use super::rfc3339;

/// A decoded VRRP advertisement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VrrpRecord {
    /// Capture time, UTC, RFC 3339.
    pub time: String,
    /// Capture time, seconds since the Unix epoch.
    pub timestamp: f64,
    /// IP source.
    pub src: IpAddr,
    /// IP destination.
    pub dst: IpAddr,
    /// Link-layer source (a virtual MAC 00:00:5e:00:01:XX shows a `use_vmac` peer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_mac: Option<String>,
    /// 2 or 3.
    pub version: u8,
    /// Virtual router ID.
    pub vrid: u8,
    /// Priority (0: the master is leaving; 255: address owner).
    pub priority: u8,
    /// Advertisement interval in centiseconds (VRRPv2: seconds x 100).
    pub interval_cs: u16,
    /// Length of the VRRP message.
    pub length: usize,
    /// The virtual addresses carried.
    pub addrs: Vec<IpAddr>,
    /// VRRPv2 authentication type: `none` or `simple`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_type: Option<&'static str>,
    /// VRRPv2 simple password, as sent (it is in clear on the wire anyway).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<String>,
    /// IPv4 TTL / IPv6 hop limit.
    pub ttl: u8,
    /// The checksum field, `0x....`.
    pub checksum: String,
    /// The checksum form it matched, e.g. `v3-ipv4-pseudo-header`.
    pub checksum_form: &'static str,
    /// A problem a receiver would drop it for although it decodes (a TTL other than 255).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A packet with IP protocol 112 that the codec refuses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MalformedRecord {
    /// Capture time, UTC, RFC 3339.
    pub time: String,
    /// Capture time, seconds since the Unix epoch.
    pub timestamp: f64,
    /// IP source.
    pub src: IpAddr,
    /// IP destination.
    pub dst: IpAddr,
    /// IPv4 TTL / IPv6 hop limit.
    pub ttl: u8,
    /// Bytes of VRRP message captured.
    pub length: usize,
    /// The VRID byte, if the packet is long enough to have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vrid: Option<u8>,
    /// Why it is refused (the codec's `DecodeError` text).
    pub error: String,
    /// The statistics counter it would increment (RFC 6527 name where one exists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counter: Option<&'static str>,
}

/// A gratuitous ARP (sender IP = target IP).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArpRecord {
    /// Capture time, UTC, RFC 3339.
    pub time: String,
    /// Capture time, seconds since the Unix epoch.
    pub timestamp: f64,
    /// `request` or `reply`.
    pub op: &'static str,
    /// The address announced.
    pub ip: IpAddr,
    /// The MAC it is announced at.
    pub sender_mac: String,
    /// Link-layer source of the frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_mac: Option<String>,
}

/// An unsolicited neighbour advertisement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NaRecord {
    /// Capture time, UTC, RFC 3339.
    pub time: String,
    /// Capture time, seconds since the Unix epoch.
    pub timestamp: f64,
    /// IPv6 source.
    pub src: IpAddr,
    /// IPv6 destination.
    pub dst: IpAddr,
    /// The address announced.
    pub target: IpAddr,
    /// The MAC it is announced at (target link-layer address option).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_mac: Option<String>,
    /// R flag.
    pub router: bool,
    /// O flag.
    #[serde(rename = "override")]
    pub override_flag: bool,
}

/// One line of `vrrp decode` output.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// A VRRP advertisement.
    Vrrp(VrrpRecord),
    /// A refused VRRP packet.
    Malformed(MalformedRecord),
    /// A gratuitous ARP (only with `--all`).
    GratuitousArp(ArpRecord),
    /// An unsolicited neighbour advertisement (only with `--all`).
    UnsolicitedNa(NaRecord),
}

/// What one frame amounts to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A line to print.
    Record(Box<Record>),
    /// Something that might have been VRRP but could not be read, for stderr.
    Note(String),
    /// Nothing of interest.
    Nothing,
}

/// Interprets one captured frame taken at `time` (since the Unix epoch).
pub fn interpret(link: LinkType, frame: &[u8], time: Duration, all: bool) -> Outcome {
    match frame::dissect(link, frame) {
        Dissected::Vrrp(v) => Outcome::Record(Box::new(vrrp_record(time, v))),
        Dissected::Arp(a) if all => Outcome::Record(Box::new(arp_record(time, a))),
        Dissected::Na(n) if all => Outcome::Record(Box::new(na_record(time, n))),
        Dissected::Note(text) => Outcome::Note(text),
        _ => Outcome::Nothing,
    }
}

fn mac_string(mac: Option<frame::Mac>) -> Option<String> {
    mac.map(|m| m.to_string())
}

fn vrrp_record(time: Duration, f: VrrpFrame) -> Record {
    let family = if f.src.is_ipv4() {
        Family::Ipv4
    } else {
        Family::Ipv6
    };
    let malformed = |error: String, counter: Option<&'static str>| {
        Record::Malformed(MalformedRecord {
            time: rfc3339(time),
            timestamp: time.as_secs_f64(),
            src: f.src,
            dst: f.dst,
            ttl: f.hop_limit,
            length: f.payload.len(),
            vrid: f.payload.get(1).copied(),
            error,
            counter,
        })
    };
    if f.payload.len() < f.ip_payload_len {
        return malformed(
            format!(
                "capture cut short: {} of the {} bytes of the VRRP message were captured",
                f.payload.len(),
                f.ip_payload_len
            ),
            None,
        );
    }
    let packet = match Packet::new_checked(&f.payload[..], family) {
        Ok(p) => p,
        Err(e) => return malformed(e.to_string(), Some(e.counter_name())),
    };
    let form = match packet.verify_checksum(f.src, f.dst) {
        Ok(form) => form,
        Err(e) => return malformed(e.to_string(), Some(e.counter_name())),
    };
    let repr = match AdvertRepr::parse(&packet) {
        Ok(r) => r,
        Err(e) => return malformed(e.to_string(), Some(e.counter_name())),
    };
    let meta = RxMeta {
        src: f.src,
        dst: f.dst,
        hop_limit: f.hop_limit,
    };
    let (auth_type, auth) = match (repr.version, repr.auth) {
        (Version::V3, _) => (None, None),
        (Version::V2, Auth::None) => (Some("none"), None),
        (Version::V2, Auth::Simple(p)) => (Some("simple"), Some(password_text(p.as_bytes()))),
    };
    Record::Vrrp(VrrpRecord {
        time: rfc3339(time),
        timestamp: time.as_secs_f64(),
        src: f.src,
        dst: f.dst,
        src_mac: mac_string(f.src_mac),
        version: repr.version.number(),
        vrid: repr.vrid.get(),
        priority: repr.priority.get(),
        interval_cs: repr.max_advert_interval.get(),
        length: f.payload.len(),
        addrs: repr.addresses.iter().collect(),
        auth_type,
        auth,
        ttl: f.hop_limit,
        checksum: format!("{:#06x}", packet.checksum()),
        checksum_form: form.as_str(),
        error: wire::check_hop_limit(&meta).err().map(|e| e.to_string()),
    })
}

/// The printable part of a VRRPv2 password: up to the first NUL, other bytes escaped.
fn password_text(bytes: &[u8]) -> String {
    let mut text = String::new();
    for &b in bytes.iter().take_while(|&&b| b != 0) {
        if b.is_ascii_graphic() || b == b' ' {
            text.push(b as char);
        } else {
            let _ = write!(text, "\\x{b:02x}");
        }
    }
    text
}

fn arp_record(time: Duration, a: GratuitousArp) -> Record {
    Record::GratuitousArp(ArpRecord {
        time: rfc3339(time),
        timestamp: time.as_secs_f64(),
        op: if a.op == 1 { "request" } else { "reply" },
        ip: IpAddr::V4(a.ip),
        sender_mac: a.sender_mac.to_string(),
        src_mac: mac_string(a.src_mac),
    })
}

fn na_record(time: Duration, n: UnsolicitedNa) -> Record {
    Record::UnsolicitedNa(NaRecord {
        time: rfc3339(time),
        timestamp: time.as_secs_f64(),
        src: IpAddr::V6(n.src),
        dst: IpAddr::V6(n.dst),
        target: IpAddr::V6(n.target),
        target_mac: mac_string(n.target_mac),
        router: n.router,
        override_flag: n.override_flag,
    })
}
