//! `notify_fifo` / `vrrp_notify_fifo`: one ordered stream of transitions for programs, in
//! keepalived's line format: `INSTANCE "VI_1" MASTER 101`.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use vrrp_core::router::State;

use super::notify::Subject;

/// An open notification FIFO.
#[derive(Debug)]
pub struct NotifyFifo {
    path: PathBuf,
    file: File,
}

impl NotifyFifo {
    /// Opens the FIFO at `path`, creating it (mode 0600) if there is nothing there.
    /// Something else at the path (a file, a link) is refused, never replaced.
    ///
    /// It is opened for reading and writing and without blocking, as keepalived does:
    /// the daemon never waits for a reader, and lines written while none listens are
    /// kept in the pipe until it is full (then dropped, and counted in the log).
    pub fn open(path: &Path) -> io::Result<Self> {
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_fifo() => {}
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} exists and is not a FIFO", path.display()),
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
                    .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in path"))?;
                // SAFETY: mkfifo(3) with a valid NUL-terminated path.
                if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            Err(e) => return Err(e),
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
            .open(path)?;
        Ok(NotifyFifo {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Writes `instance`'s transition to `state` with `priority`. A full pipe (no reader
    /// for a long time) loses the line, with a log line; the daemon never blocks.
    pub fn write(&self, subject: Subject, name: &str, state: State, priority: u8) {
        let line = line(subject, name, state, priority);
        if let Err(e) = (&self.file).write_all(line.as_bytes()) {
            tracing::warn!(
                "notify fifo {}: {line:?} not written: {e}",
                self.path.display()
            );
        }
    }
}

/// keepalived's line: `INSTANCE "NAME" STATE PRIORITY` (`GROUP` for a sync group).
fn line(subject: Subject, name: &str, state: State, priority: u8) -> String {
    let state = match state {
        State::Master => "MASTER",
        State::Backup => "BACKUP",
        State::Fault => "FAULT",
        State::Initialize => "STOP",
    };
    format!("{} \"{name}\" {state} {priority}\n", subject.word())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn lines_reach_a_reader_in_order_in_keepalived_s_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vrrp.fifo");
        let fifo = NotifyFifo::open(&path).unwrap();
        assert!(std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_fifo());
        let mut reader = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path)
            .unwrap();
        fifo.write(Subject::Instance, "VI_1", State::Backup, 100);
        fifo.write(Subject::Instance, "VI_1", State::Master, 101);
        fifo.write(Subject::Instance, "VI_2", State::Initialize, 0);
        fifo.write(Subject::Group, "VG_1", State::Fault, 0);
        let mut got = String::new();
        let _ = reader.read_to_string(&mut got);
        assert_eq!(
            got,
            "INSTANCE \"VI_1\" BACKUP 100\nINSTANCE \"VI_1\" MASTER 101\nINSTANCE \"VI_2\" STOP 0\nGROUP \"VG_1\" FAULT 0\n"
        );
        // Opened again (a reload): the same FIFO.
        assert!(NotifyFifo::open(&path).is_ok());
    }

    #[test]
    fn anything_but_a_fifo_is_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes");
        std::fs::write(&path, "keep me").unwrap();
        assert!(NotifyFifo::open(&path).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
    }

    /// Nobody reads: the pipe fills, and further lines are dropped without blocking the
    /// daemon (the event loop writes these).
    #[test]
    fn a_full_pipe_never_blocks_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = NotifyFifo::open(&dir.path().join("full.fifo")).unwrap();
        let started = std::time::Instant::now();
        for _ in 0..20_000 {
            fifo.write(Subject::Instance, "VI_1", State::Master, 100);
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
}
