//! `track_file`: files holding a number, followed with inotify (the directories holding
//! them are watched, so a file replaced by a rename is seen too), and read again every
//! second in case a change escaped notice (a directory created later, a full queue).

use std::collections::HashSet;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the watcher looks at its stop flag.
const TICK: Duration = Duration::from_millis(100);
/// How often every file is read again whatever inotify said.
const REREAD: Duration = Duration::from_secs(1);

/// The number a tracked file holds: its first word as an integer; a missing, empty or
/// unreadable file, or anything else, reads as 0 (as keepalived reads it).
pub fn read_value(path: &Path) -> i64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Writes `value` to `path` (keepalived's `init_file`): if the file does not exist, or
/// always with `overwrite`.
pub fn init_file(path: &Path, value: i64, overwrite: bool) -> io::Result<()> {
    if overwrite || !path.exists() {
        std::fs::write(path, format!("{value}\n"))?;
    }
    Ok(())
}

/// The running watcher; stops its thread when dropped.
pub struct FileTracker {
    stop: Arc<AtomicBool>,
}

impl Drop for FileTracker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl FileTracker {
    /// Reads each `(name, path)` now and follows them on a thread, calling
    /// `report(name, value)` whenever a value changes. Returns the tracker and the values
    /// now, in order.
    pub fn spawn(
        files: Vec<(String, PathBuf)>,
        report: impl Fn(&str, i64) + Send + 'static,
    ) -> io::Result<(FileTracker, Vec<i64>)> {
        // SAFETY: plain inotify_init1(2); the result is checked before use.
        let raw = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let dirs: HashSet<PathBuf> = files
            .iter()
            .filter_map(|(_, p)| p.parent().map(Path::to_path_buf))
            .collect();
        for dir in dirs {
            let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()) else {
                continue;
            };
            let mask = libc::IN_CLOSE_WRITE
                | libc::IN_MOVED_TO
                | libc::IN_CREATE
                | libc::IN_DELETE
                | libc::IN_MOVED_FROM
                | libc::IN_MODIFY;
            // SAFETY: a valid inotify descriptor and a NUL-terminated path.
            if unsafe { libc::inotify_add_watch(fd.as_raw_fd(), c.as_ptr(), mask) } < 0 {
                tracing::warn!(
                    "track_file: cannot watch {}: {}; it is read every second instead",
                    dir.display(),
                    io::Error::last_os_error()
                );
            }
        }
        let values: Vec<i64> = files.iter().map(|(_, p)| read_value(p)).collect();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let initial = values.clone();
        std::thread::Builder::new()
            .name("track-file".into())
            .spawn(move || follow(&fd, &files, values, &flag, report))?;
        Ok((FileTracker { stop }, initial))
    }
}

fn follow(
    fd: &OwnedFd,
    files: &[(String, PathBuf)],
    mut values: Vec<i64>,
    stop: &AtomicBool,
    report: impl Fn(&str, i64),
) {
    let mut last_read = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&mut pfd, 1, TICK.as_millis() as libc::c_int) };
        let notified = ready > 0 && drain(fd);
        if !notified && last_read.elapsed() < REREAD {
            continue;
        }
        last_read = Instant::now();
        for ((name, path), value) in files.iter().zip(values.iter_mut()) {
            let now = read_value(path);
            if now != *value {
                *value = now;
                tracing::info!("track_file {name}: {} reads {now}", path.display());
                report(name, now);
            }
        }
    }
}

/// Reads every pending inotify event (their content does not matter: every file is read
/// again). True if there was one.
fn drain(fd: &OwnedFd) -> bool {
    let mut buf = [0u8; 4096];
    let mut any = false;
    loop {
        // SAFETY: `buf` is valid for writing its length.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            return any;
        }
        any = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_reads_as_its_first_number_and_anything_else_as_zero() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state");
        assert_eq!(read_value(&p), 0, "missing");
        std::fs::write(&p, "  -7 and more\n").unwrap();
        assert_eq!(read_value(&p), -7);
        std::fs::write(&p, "up\n").unwrap();
        assert_eq!(read_value(&p), 0);
        init_file(&p, 5, false).unwrap();
        assert_eq!(read_value(&p), 0, "kept: it exists");
        init_file(&p, 5, true).unwrap();
        assert_eq!(read_value(&p), 5);
    }

    #[test]
    fn changes_are_reported_whether_written_in_place_or_renamed_over() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state");
        std::fs::write(&p, "1\n").unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let (_tracker, initial) =
            FileTracker::spawn(vec![("s".into(), p.clone())], move |name, v| {
                let _ = tx.send((name.to_owned(), v));
            })
            .unwrap();
        assert_eq!(initial, vec![1]);
        std::fs::write(&p, "4\n").unwrap();
        let wait = Duration::from_secs(5);
        assert_eq!(rx.recv_timeout(wait), Ok(("s".to_owned(), 4)));
        let tmp = dir.path().join("state.tmp");
        std::fs::write(&tmp, "-2\n").unwrap();
        std::fs::rename(&tmp, &p).unwrap();
        assert_eq!(rx.recv_timeout(wait), Ok(("s".to_owned(), -2)));
        std::fs::remove_file(&p).unwrap();
        assert_eq!(rx.recv_timeout(wait), Ok(("s".to_owned(), 0)));
    }
}
