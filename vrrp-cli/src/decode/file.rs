//! Reading capture files: classic pcap and pcapng (its interfaces' link types and
//! timestamp resolutions), frame by frame into a [`Printer`].

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
use pcap_file::pcapng::{Block, PcapNgReader};

use super::frame::LinkType;
use super::Printer;

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
