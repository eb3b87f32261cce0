//! Reading a configuration file: only regular files, up to [`MAX_FILE_SIZE`], without
//! blocking on what was swapped in; its text, and the reason of a failure for messages.

use std::path::Path;

use crate::config::diag::{Pos, Sink};

/// The largest configuration file read. keepalived.conf files with thousands of
/// instances stay well below 1 MiB; a bound keeps a mistaken `include` of a log or an
/// image from taking the daemon's memory.
pub(crate) const MAX_FILE_SIZE: u64 = 16 << 20;

/// Why a configuration file is not read. It is the inner error of the `io::Error` that
/// [`read_file`] returns, so that its text reaches [`crate::config::LoadError`] and
/// diagnostics.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refused {
    /// A directory, FIFO, device or socket: reading it may block forever (a FIFO), never
    /// end (`/dev/zero`) or act on a device. keepalived skips these too.
    #[error("it is {0}, not a regular file; refusing to read it")]
    NotRegular(&'static str),
    /// Larger than [`MAX_FILE_SIZE`].
    #[error("it is {size} bytes; configuration files are read up to {max} MiB", max = MAX_FILE_SIZE >> 20)]
    TooLarge { size: u64 },
    /// It was small enough when opened but grew past [`MAX_FILE_SIZE`] while read.
    #[error("it grew past {max} MiB while being read", max = MAX_FILE_SIZE >> 20)]
    Grew,
}

fn refuse(why: Refused) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, why)
}

/// Refuses what is not a regular file of at most [`MAX_FILE_SIZE`] bytes.
fn check_metadata(meta: &std::fs::Metadata) -> std::io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() {
            "a directory"
        } else if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_char_device() {
            "a character device"
        } else if kind.is_block_device() {
            "a block device"
        } else if kind.is_socket() {
            "a socket"
        } else {
            "a special file"
        };
        return Err(refuse(Refused::NotRegular(what)));
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(refuse(Refused::TooLarge { size: meta.len() }));
    }
    Ok(())
}

/// Reads a configuration file, refusing what is not a regular file and what is larger
/// than [`MAX_FILE_SIZE`]. The path is checked before it is opened (opening a device can
/// act on it, a FIFO can block), then opened without blocking and checked again through
/// the descriptor, so that swapping the path for a FIFO in between cannot stall the reader.
pub(crate) fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    check_metadata(&std::fs::metadata(path)?)?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let meta = file.metadata()?;
    check_metadata(&meta)?;
    // At most MAX_FILE_SIZE, so the conversion cannot fail on any platform we build for.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // A file that grows while being read is cut at the bound, not followed.
    file.take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(refuse(Refused::Grew));
    }
    Ok(bytes)
}

/// The text of a configuration file, without a copy; invalid UTF-8 is replaced (with a
/// warning).
pub(crate) fn decode_text(bytes: Vec<u8>, pos: &Pos, sink: &mut Sink) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            sink.warn(
                pos,
                "the file is not valid UTF-8; invalid bytes were replaced by U+FFFD",
                "save the file as UTF-8 (plain ASCII is fine)",
            );
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        }
    }
}

/// An `io::Error` without the "(os error 2)" noise.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}
