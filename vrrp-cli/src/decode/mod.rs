//! `vrrp decode`: print the VRRP packets of a capture (classic pcap or pcapng) or of a
//! live interface, one line each, like `tcpdump -vv`, including which checksum form each
//! VRRPv3 packet uses.
//!
//! ```text
//! 2025-11-25T02:47:06.812731Z 192.168.100.10 > 224.0.0.18: VRRPv3, Advertisement, vrid 51, prio 101, intvl 10cs, length 12, addrs: 192.168.100.12, ttl 255, checksum 0x3fca (v3-ipv4-pseudo-header)
//! ```
//!
//! A packet the codec refuses gets a line with the reason instead
//! (`VRRP, malformed: bad checksum 0x1234: ...`). With `--all`, gratuitous ARPs and
//! unsolicited neighbour advertisements are printed too (who claims which address after
//! a failover). With `--json`, each line is a JSON object instead.

pub mod frame;
pub mod live;

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
use pcap_file::pcapng::{Block, PcapNgReader};
use serde::Serialize;
use vrrp_core::wire::{self, AdvertRepr, Auth, Packet, RxMeta};
use vrrp_core::{Family, Version};

use frame::{Dissected, GratuitousArp, LinkType, UnsolicitedNa, VrrpFrame};

/// What to print.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Also print gratuitous ARPs and unsolicited neighbour advertisements.
    pub all: bool,
    /// One JSON object per line instead of text.
    pub json: bool,
    /// Stop after this many printed lines.
    pub count: Option<u64>,
}

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

impl Record {
    /// The record as one line of text, tcpdump -vv style.
    pub fn text(&self) -> String {
        let mut s = String::new();
        match self {
            Record::Vrrp(r) => {
                let _ = write!(
                    s,
                    "{} {} > {}: VRRPv{}, Advertisement, vrid {}, prio {}, ",
                    r.time, r.src, r.dst, r.version, r.vrid, r.priority
                );
                if r.version == 2 {
                    let _ = write!(
                        s,
                        "authtype {}, intvl {}s, ",
                        r.auth_type.unwrap_or("none"),
                        r.interval_cs / 100
                    );
                } else {
                    let _ = write!(s, "intvl {}cs, ", r.interval_cs);
                }
                let addrs: Vec<String> = r.addrs.iter().map(|a| a.to_string()).collect();
                let _ = write!(s, "length {}, addrs: {}", r.length, addrs.join(","));
                if let Some(auth) = &r.auth {
                    let _ = write!(s, ", auth \"{auth}\"");
                }
                let _ = write!(
                    s,
                    ", ttl {}, checksum {} ({})",
                    r.ttl, r.checksum, r.checksum_form
                );
                if let Some(e) = &r.error {
                    let _ = write!(s, ", error: {e}");
                }
            }
            Record::Malformed(r) => {
                let _ = write!(
                    s,
                    "{} {} > {}: VRRP, malformed: {}",
                    r.time, r.src, r.dst, r.error
                );
                if let Some(vrid) = r.vrid {
                    let _ = write!(s, ", vrid {vrid}");
                }
                let _ = write!(s, ", length {}, ttl {}", r.length, r.ttl);
            }
            Record::GratuitousArp(r) => {
                let _ = write!(
                    s,
                    "{} ARP, gratuitous {}, {} is-at {}",
                    r.time, r.op, r.ip, r.sender_mac
                );
            }
            Record::UnsolicitedNa(r) => {
                let _ = write!(
                    s,
                    "{} {} > {}: ICMP6, unsolicited neighbor advertisement, tgt {}",
                    r.time, r.src, r.dst, r.target
                );
                if let Some(mac) = &r.target_mac {
                    let _ = write!(s, " is-at {mac}");
                }
                let mut flags = Vec::new();
                if r.router {
                    flags.push("router");
                }
                if r.override_flag {
                    flags.push("override");
                }
                let _ = write!(s, ", flags [{}]", flags.join(", "));
            }
        }
        s
    }

    /// The record as one line of JSON.
    pub fn json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` for a time since the Unix epoch.
pub fn rfc3339(since_epoch: Duration) -> String {
    let secs = since_epoch.as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        since_epoch.subsec_micros()
    )
}

/// Counts of what was seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames read.
    pub frames: u64,
    /// Lines printed.
    pub printed: u64,
    /// Malformed VRRP packets among them.
    pub malformed: u64,
    /// Notes written to the note stream.
    pub notes: u64,
}

/// Writes records as text or JSON, and notes, counting them.
pub struct Printer<'a> {
    out: &'a mut dyn Write,
    notes: &'a mut dyn Write,
    options: Options,
    /// What has been seen so far.
    pub stats: Stats,
}

impl<'a> Printer<'a> {
    /// A printer writing records to `out` and notes to `notes`.
    pub fn new(out: &'a mut dyn Write, notes: &'a mut dyn Write, options: Options) -> Self {
        Printer {
            out,
            notes,
            options,
            stats: Stats::default(),
        }
    }

    /// True once `--count` lines have been printed.
    pub fn done(&self) -> bool {
        self.options.count.is_some_and(|n| self.stats.printed >= n)
    }

    /// Handles one frame; `context` names it in notes (e.g. `file.pcap: packet 12`).
    pub fn frame(
        &mut self,
        link: LinkType,
        frame: &[u8],
        time: Duration,
        context: &dyn Fn() -> String,
    ) -> io::Result<()> {
        self.stats.frames += 1;
        match interpret(link, frame, time, self.options.all) {
            Outcome::Record(record) => {
                if matches!(*record, Record::Malformed(_)) {
                    self.stats.malformed += 1;
                }
                let line = if self.options.json {
                    record.json()
                } else {
                    record.text()
                };
                writeln!(self.out, "{line}")?;
                self.stats.printed += 1;
            }
            Outcome::Note(text) => {
                self.note(&format!("{}: {text}", context()))?;
            }
            Outcome::Nothing => {
                tracing::trace!("{}: not VRRP, skipped", context());
            }
        }
        Ok(())
    }

    /// Writes a note (`note: ...`) to the note stream.
    pub fn note(&mut self, text: &str) -> io::Result<()> {
        self.stats.notes += 1;
        writeln!(self.notes, "note: {text}")
    }

    /// Flushes the output.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Why a capture file could not be decoded (to the end).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file cannot be opened or read.
    #[error("cannot read {}: {}", path.display(), reason(source))]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The file is not a pcap or pcapng file.
    #[error("{}: not a pcap or pcapng file ({detail})", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The file is damaged or cut short after `packets` good packets.
    #[error("{}: damaged or truncated after {packets} packets: {detail}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Packets read before the damage.
        packets: u64,
        /// What is wrong.
        detail: String,
    },
    /// The capture's link type is not one we read.
    #[error("{}: link type {dlt} is not supported (vrrp decode reads Ethernet, Linux cooked SLL/SLL2, raw IP and loopback captures)", path.display())]
    LinkType {
        /// The file.
        path: PathBuf,
        /// The DLT number.
        dlt: u32,
    },
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Output(#[source] io::Error),
}

impl FileError {
    /// The exit status for this error: 2 when the file cannot be read, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            FileError::Open { .. } => 2,
            _ => 1,
        }
    }
}

fn reason(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

fn pcap_detail(e: &pcap_file::PcapError) -> String {
    match e {
        pcap_file::PcapError::IoError(io) if io.kind() == io::ErrorKind::UnexpectedEof => {
            "the file ends in the middle of a record".to_owned()
        }
        pcap_file::PcapError::IoError(io) => reason(io),
        other => other.to_string(),
    }
}

const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
];
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// Decodes the capture file at `path` into `printer`.
pub fn decode_file(path: &Path, printer: &mut Printer<'_>) -> Result<(), FileError> {
    let open_error = |source| FileError::Open {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(open_error)?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(FileError::Open {
            path: path.to_path_buf(),
            source: io::Error::new(io::ErrorKind::InvalidInput, "it is a directory"),
        });
    }
    decode_stream(path, BufReader::new(file), printer)
}

/// Decodes a capture read from `reader`; `path` names it in messages.
pub fn decode_stream<R: Read>(
    path: &Path,
    mut reader: R,
    printer: &mut Printer<'_>,
) -> Result<(), FileError> {
    let open_error = |source| FileError::Open {
        path: path.to_path_buf(),
        source,
    };
    let mut magic = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match reader.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(open_error(e)),
        }
    }
    if got < 4 {
        return Err(FileError::Format {
            path: path.to_path_buf(),
            detail: format!("only {got} bytes long"),
        });
    }
    let stream = io::Cursor::new(magic).chain(reader);
    if PCAP_MAGICS.contains(&magic) {
        decode_pcap(path, stream, printer)
    } else if magic == PCAPNG_MAGIC {
        decode_pcapng(path, stream, printer)
    } else {
        Err(FileError::Format {
            path: path.to_path_buf(),
            detail: format!(
                "it starts with {:02x} {:02x} {:02x} {:02x}",
                magic[0], magic[1], magic[2], magic[3]
            ),
        })
    }
}

fn decode_pcap<R: Read>(
    path: &Path,
    stream: R,
    printer: &mut Printer<'_>,
) -> Result<(), FileError> {
    let mut reader = PcapReader::new(stream).map_err(|e| FileError::Format {
        path: path.to_path_buf(),
        detail: pcap_detail(&e),
    })?;
    let dlt = u32::from(reader.header().datalink);
    let link = LinkType::from_dlt(dlt).ok_or(FileError::LinkType {
        path: path.to_path_buf(),
        dlt,
    })?;
    tracing::debug!("{}: classic pcap, link type {dlt}", path.display());
    let mut index = 0u64;
    while let Some(next) = reader.next_packet() {
        let packet = next.map_err(|e| FileError::Corrupt {
            path: path.to_path_buf(),
            packets: index,
            detail: pcap_detail(&e),
        })?;
        index += 1;
        let n = index;
        printer
            .frame(link, &packet.data, packet.timestamp, &|| {
                format!("{}: packet {n}", path.display())
            })
            .map_err(FileError::Output)?;
        if printer.done() {
            break;
        }
    }
    Ok(())
}

/// A pcapng interface: its link type (if readable) and timestamp resolution.
struct Interface {
    link: Option<LinkType>,
    dlt: u32,
    /// Timestamp units: (base, exponent): 10^-6 by default.
    resolution: (u64, u32),
    offset_secs: u64,
    warned: bool,
}

impl Interface {
    /// The time of a raw timestamp in this interface's units.
    fn time(&self, raw: u64) -> Duration {
        let (base, exp) = self.resolution;
        let per_sec = base.checked_pow(exp).unwrap_or(u64::MAX).max(1);
        let secs = raw / per_sec;
        let frac = raw % per_sec;
        let nanos = (u128::from(frac) * 1_000_000_000 / u128::from(per_sec)) as u32;
        Duration::new(secs.saturating_add(self.offset_secs), nanos)
    }
}

fn decode_pcapng<R: Read>(
    path: &Path,
    stream: R,
    printer: &mut Printer<'_>,
) -> Result<(), FileError> {
    let mut reader = PcapNgReader::new(stream).map_err(|e| FileError::Format {
        path: path.to_path_buf(),
        detail: pcap_detail(&e),
    })?;
    tracing::debug!("{}: pcapng", path.display());
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut index = 0u64;
    while let Some(next) = reader.next_block() {
        let block = next.map_err(|e| FileError::Corrupt {
            path: path.to_path_buf(),
            packets: index,
            detail: pcap_detail(&e),
        })?;
        let (iface_id, raw_ts, data) = match block {
            Block::SectionHeader(_) => {
                interfaces.clear();
                continue;
            }
            Block::InterfaceDescription(idb) => {
                let dlt = u32::from(idb.linktype);
                let mut iface = Interface {
                    link: LinkType::from_dlt(dlt),
                    dlt,
                    resolution: (10, 6),
                    offset_secs: 0,
                    warned: false,
                };
                for opt in &idb.options {
                    match opt {
                        InterfaceDescriptionOption::IfTsResol(r) => {
                            iface.resolution = if r & 0x80 != 0 {
                                (2, u32::from(r & 0x7f))
                            } else {
                                (10, u32::from(*r))
                            };
                        }
                        InterfaceDescriptionOption::IfTsOffset(o) => iface.offset_secs = *o,
                        _ => {}
                    }
                }
                interfaces.push(iface);
                continue;
            }
            // pcap-file hands the raw timestamp over as if it were nanoseconds.
            Block::EnhancedPacket(epb) => (
                epb.interface_id as usize,
                Some(epb.timestamp.as_nanos() as u64),
                epb.data,
            ),
            Block::Packet(pb) => (usize::from(pb.interface_id), Some(pb.timestamp), pb.data),
            Block::SimplePacket(spb) => (0, None, spb.data),
            _ => continue,
        };
        index += 1;
        let Some(iface) = interfaces.get_mut(iface_id) else {
            printer
                .note(&format!(
                    "{}: packet {index}: no interface {iface_id} is described; skipped",
                    path.display()
                ))
                .map_err(FileError::Output)?;
            continue;
        };
        let Some(link) = iface.link else {
            if !iface.warned {
                iface.warned = true;
                let dlt = iface.dlt;
                printer
                    .note(&format!(
                        "{}: interface {iface_id} has link type {dlt}, which is not supported; its packets are skipped",
                        path.display()
                    ))
                    .map_err(FileError::Output)?;
            }
            continue;
        };
        let time = raw_ts.map(|t| iface.time(t)).unwrap_or_default();
        let n = index;
        printer
            .frame(link, &data, time, &|| {
                format!("{}: packet {n}", path.display())
            })
            .map_err(FileError::Output)?;
        if printer.done() {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times() {
        assert_eq!(rfc3339(Duration::ZERO), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            rfc3339(Duration::new(1_700_000_000, 123_456_000)),
            "2023-11-14T22:13:20.123456Z"
        );
        assert_eq!(
            rfc3339(Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000000Z"
        );
    }

    #[test]
    fn pcapng_resolutions() {
        let mut i = Interface {
            link: None,
            dlt: 1,
            resolution: (10, 6),
            offset_secs: 0,
            warned: false,
        };
        assert_eq!(i.time(1_500_000), Duration::from_millis(1500));
        i.resolution = (10, 9);
        assert_eq!(i.time(1_500_000_000), Duration::from_millis(1500));
        i.resolution = (2, 10);
        assert_eq!(i.time(1024 + 512), Duration::from_millis(1500));
    }
}
