//! The status socket file: where it lives by default, creating it safely, and removing it
//! only if it is still ours.

use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// Where `vrrp run` listens and `vrrp status` asks when the process is not in a named
/// network namespace (see [`default_socket`]).
pub const DEFAULT_SOCKET: &str = "/run/vrrp/vrrp.sock";

/// The directory of the default sockets.
const SOCKET_DIR: &str = "/run/vrrp";

/// Where `ip netns` keeps its named namespaces.
const NETNS_DIR: &str = "/run/netns";

/// The mode of the socket file: the owner (root, for a daemon run as root) and its group
/// may query; nobody else. Connecting needs write permission on a Unix socket.
pub const SOCKET_MODE: u32 = 0o660;

/// The default status socket of this process: [`DEFAULT_SOCKET`], or
/// `/run/vrrp/netns/<name>.sock` inside the named network namespace `<name>` (as
/// `ip netns identify` finds it), so that daemons in several namespaces of one host do not
/// claim the same socket, and `vrrp status` run in a namespace (`ip netns exec NAME vrrp
/// status`) asks the daemon of that namespace.
pub fn default_socket() -> PathBuf {
    default_socket_for(netns_name(Path::new("/proc/self/ns/net"), Path::new(NETNS_DIR)).as_deref())
}

/// The default socket for the named network namespace `netns` (`None`: unnamed or the
/// host's).
pub fn default_socket_for(netns: Option<&str>) -> PathBuf {
    match netns {
        Some(name) => Path::new(SOCKET_DIR)
            .join("netns")
            .join(format!("{name}.sock")),
        None => PathBuf::from(DEFAULT_SOCKET),
    }
}

/// The name under `dir` of the namespace `own` refers to: the entry whose device and inode
/// are those of `own`, as `ip netns identify` compares them. The first name in sorted
/// order when there are several; `None` when there is none or nothing can be read.
pub(super) fn netns_name(own: &Path, dir: &Path) -> Option<String> {
    let own = std::fs::metadata(own).ok()?;
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter(|e| {
            std::fs::metadata(e.path()).is_ok_and(|m| m.dev() == own.dev() && m.ino() == own.ino())
        })
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names.into_iter().next()
}

/// Why the status socket could not be created.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// Its directory cannot be created.
    #[error("cannot create the directory {} for the status socket: {source}{}", dir.display(), way_out(source))]
    CreateDir {
        /// The directory.
        dir: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Something that is not a socket (a file, a directory, a symbolic link) is there.
    #[error("{} exists and is not a socket; refusing to replace it (remove it or pass --status-socket PATH)", path.display())]
    NotASocket {
        /// The path.
        path: PathBuf,
    },
    /// A daemon answers on it.
    #[error("another vrrp daemon answers on {}; stop it or pass --status-socket PATH", path.display())]
    InUse {
        /// The path.
        path: PathBuf,
    },
    /// The path cannot be examined, or whether a daemon answers there cannot be told.
    #[error("cannot check {}: {source}{}", path.display(), way_out(source))]
    Inspect {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The socket left by a daemon that died cannot be removed.
    #[error("cannot remove the stale socket {}: {source}{}", path.display(), way_out(source))]
    RemoveStale {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Creating the socket, or setting its mode, failed.
    #[error("cannot create the socket {}: {source}{}", path.display(), way_out(source))]
    Bind {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
}

impl BindError {
    fn kind(&self) -> io::ErrorKind {
        match self {
            BindError::NotASocket { .. } => io::ErrorKind::AlreadyExists,
            BindError::InUse { .. } => io::ErrorKind::AddrInUse,
            BindError::CreateDir { source, .. }
            | BindError::Inspect { source, .. }
            | BindError::RemoveStale { source, .. }
            | BindError::Bind { source, .. } => source.kind(),
        }
    }
}

impl From<BindError> for io::Error {
    /// Keeps the kind of the cause (`AddrInUse` for [`BindError::InUse`], `AlreadyExists`
    /// for [`BindError::NotASocket`]) and the whole message.
    fn from(e: BindError) -> io::Error {
        io::Error::new(e.kind(), e)
    }
}

/// What to do when permissions stop us: a daemon with capabilities but not root cannot
/// write /run.
fn way_out(e: &io::Error) -> String {
    let denied = matches!(
        e.kind(),
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
    );
    if !denied {
        return String::new();
    }
    let example = match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(dir) if !dir.is_empty() => Path::new(&dir).join("vrrp.sock").display().to_string(),
        _ => "$XDG_RUNTIME_DIR/vrrp.sock".to_owned(),
    };
    format!(
        "; pass --status-socket PATH in a directory you can write, e.g. {example} \
         (and the same --socket to `vrrp status`)"
    )
}

/// The status socket a daemon created: the listener, and the identity of the socket file so
/// that only that file is ever removed. Dropping it removes the file if it is still ours
/// (see [`StatusSocket::remove_if_ours`]).
#[derive(Debug)]
pub struct StatusSocket {
    listener: UnixListener,
    path: PathBuf,
    /// Device and inode of the file we bound.
    file: (u64, u64),
    removed: bool,
}

impl StatusSocket {
    /// The socket file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The listening socket.
    pub fn listener(&self) -> &UnixListener {
        &self.listener
    }

    /// Removes the socket file if it is still the one this daemon created (same device and
    /// inode): a socket another daemon took over after ours was deleted, or a file someone
    /// put there, stays. `Ok(true)` when it was removed.
    pub fn remove_if_ours(mut self) -> io::Result<bool> {
        self.remove()
    }

    fn remove(&mut self) -> io::Result<bool> {
        if self.removed {
            return Ok(false);
        }
        self.removed = true;
        let meta = match std::fs::symlink_metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        // A small window remains between this check and the removal; only root (or the
        // daemon's user) can replace a file in the socket's directory in between.
        if !meta.file_type().is_socket() || (meta.dev(), meta.ino()) != self.file {
            return Ok(false);
        }
        std::fs::remove_file(&self.path)?;
        Ok(true)
    }
}

impl Drop for StatusSocket {
    fn drop(&mut self) {
        if let Err(e) = self.remove() {
            tracing::warn!(
                "cannot remove the status socket {}: {e}",
                self.path.display()
            );
        }
    }
}

/// Creates the status socket at `path`, and its directory if missing, with mode
/// [`SOCKET_MODE`] (0660) whatever the umask; it belongs to the daemon's user (root).
///
/// Only a stale socket (one nobody answers on, left by a daemon that died) is replaced:
/// a live socket is refused with [`BindError::InUse`], and anything that is not a socket
/// (a regular file, a directory, a symbolic link) with [`BindError::NotASocket`].
pub fn bind(path: &Path) -> Result<StatusSocket, BindError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| BindError::CreateDir {
            dir: dir.to_path_buf(),
            source,
        })?;
    }
    let at = |source| BindError::Inspect {
        path: path.to_path_buf(),
        source,
    };
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => match UnixStream::connect(path) {
            Ok(_) => {
                return Err(BindError::InUse {
                    path: path.to_path_buf(),
                })
            }
            // Nobody listens: the file of a daemon that died.
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => std::fs::remove_file(path)
                .map_err(|source| BindError::RemoveStale {
                    path: path.to_path_buf(),
                    source,
                })?,
            Err(e) => return Err(at(e)),
        },
        Ok(_) => {
            return Err(BindError::NotASocket {
                path: path.to_path_buf(),
            })
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(at(e)),
    }
    let bind_error = |source| BindError::Bind {
        path: path.to_path_buf(),
        source,
    };
    let listener = bind_owner_only(path).map_err(bind_error)?;
    let socket = |listener| -> io::Result<StatusSocket> {
        let meta = std::fs::symlink_metadata(path)?;
        Ok(StatusSocket {
            listener,
            path: path.to_path_buf(),
            file: (meta.dev(), meta.ino()),
            removed: false,
        })
    };
    let socket = socket(listener).map_err(bind_error)?;
    // From here on, dropping `socket` on an error removes the file again.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(SOCKET_MODE))
        .map_err(bind_error)?;
    Ok(socket)
}

/// Binds with umask 077, so the socket is 0600 until [`bind`] widens it to 0660: no
/// moment where the umask lets others connect. The umask is per process; the daemon binds
/// before it starts any thread that creates files, and 077 only ever narrows a mode.
fn bind_owner_only(path: &Path) -> io::Result<UnixListener> {
    // SAFETY: umask has no preconditions and cannot fail.
    let old = unsafe { libc::umask(0o077) };
    let listener = UnixListener::bind(path);
    // SAFETY: as above; restores the previous mask.
    unsafe { libc::umask(old) };
    listener
}
