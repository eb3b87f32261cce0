//! Which scripts `vrrp run` agrees to run, and as whom: keepalived 2.2.7's rules.
//!
//! Every check and notify script is vetted before it ever runs:
//! - it runs as its own `user`, else global_defs' `script_user`, else the user
//!   `keepalived_script` if it exists, else the daemon's own user (root). With
//!   `enable_script_security` and none of the first three, the script is refused, as
//!   keepalived refuses it ("Unable to set default user");
//! - a bare program name is looked up in `PATH`; the file must exist and be executable
//!   for that user;
//! - a script that runs as root (or is set-uid / set-gid root) must not be changeable by
//!   anyone else: the file and every directory on its path are owned by root, and none
//!   is writable by a non-root group or by everyone (a directory with the sticky bit,
//!   like /tmp, may be). With `enable_script_security` an unsafe script is refused; without
//!   it, it runs and a warning says what is unsafe.
//!
//! A refused script never runs. As in keepalived, an instance that tracks it does as if
//! it did not (its weight does not count), and a refused notify script is skipped; both
//! are logged at start-up and reported by `vrrp check`.
//!
//! One difference: keepalived refuses a path that goes through a symbolic link to a
//! directory ("Wrong file type", e.g. `/bin/...` where /bin links to /usr/bin). Here the
//! directories the path really resolves to are checked instead, and the link is safe
//! when the directory holding it is.

use std::ffi::OsStr;
use std::fs::Metadata;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use std::collections::HashMap;
use std::fmt;

use super::notify::InstanceNotify;
use super::scripts::{resolve_user, RunAs};
use crate::config::{Config, Location, ScriptUser};

/// The user keepalived runs scripts as when none is configured, if it exists.
pub const DEFAULT_SCRIPT_USER: &str = "keepalived_script";

/// Where bare program names are looked up when the daemon has no `PATH`.
const FALLBACK_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A script that will not run, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The command line is empty.
    #[error("no program given")]
    Empty,
    /// The configured user (or group) does not exist.
    #[error("user {0:?} (or its group) does not exist")]
    UnknownUser(String),
    /// Script security is on and there is no user to run as but root.
    #[error(
        "enable_script_security is set, but neither script_user nor the user {DEFAULT_SCRIPT_USER} exists: give script_user"
    )]
    NoDefaultUser,
    /// A bare name found nowhere in `PATH`.
    #[error("cannot find {0:?} in PATH")]
    NotInPath(String),
    /// The file (or a directory on its path) cannot be reached.
    #[error("{path} cannot be accessed: {reason}")]
    Inaccessible {
        /// The script.
        path: PathBuf,
        /// What the system said.
        reason: String,
    },
    /// A directory on the path is not one, or the script is not a regular file.
    #[error("wrong file type: {0} is not a regular file")]
    NotARegularFile(PathBuf),
    /// Not executable by the user it would run as.
    #[error("{path} is not executable for uid:gid {uid}:{gid}")]
    NotExecutable {
        /// The script.
        path: PathBuf,
        /// The user it would run as.
        uid: u32,
        /// Its group.
        gid: u32,
    },
    /// `enable_script_security`: a non-root user could change what runs as root.
    #[error("unsafe permissions: {0} (enable_script_security)")]
    Unsafe(Unsafe),
}

/// A file or directory on a root script's path that someone other than root can change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unsafe {
    /// Owned by another user.
    #[error("{path} is owned by uid {uid}, not root")]
    NotOwnedByRoot {
        /// The file or directory.
        path: PathBuf,
        /// Its owner.
        uid: u32,
    },
    /// Writable by a group other than root's.
    #[error("{path} is writable by group {gid}")]
    GroupWritable {
        /// The file or directory.
        path: PathBuf,
        /// Its group.
        gid: u32,
    },
    /// Writable by everyone.
    #[error("{path} is writable by everyone")]
    WorldWritable {
        /// The file or directory.
        path: PathBuf,
    },
}

/// A script that may run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vetted {
    /// Who it runs as; `None`: the daemon's own user.
    pub run_as: Option<RunAs>,
    /// Unsafe permissions tolerated because `enable_script_security` is off.
    pub warning: Option<Unsafe>,
}

/// Who runs a script: its own user, else `script_user`, else `keepalived_script` if it
/// exists, else the daemon itself (refused with `enable_script_security`).
pub fn run_as(
    own: Option<&ScriptUser>,
    global: Option<&ScriptUser>,
    security: bool,
) -> Result<Option<RunAs>, Refusal> {
    if let Some(user) = own.or(global) {
        return resolve_user(user)
            .map(Some)
            .ok_or_else(|| Refusal::UnknownUser(user.user.clone()));
    }
    let default = ScriptUser {
        user: DEFAULT_SCRIPT_USER.to_owned(),
        group: None,
    };
    match resolve_user(&default) {
        Some(r) => Ok(Some(r)),
        None if security => Err(Refusal::NoDefaultUser),
        None => Ok(None),
    }
}

/// Vets the script `argv` (program first) for running as `run_as` (`None`: the daemon's
/// own user), with or without `enable_script_security`.
pub fn vet(argv: &[String], run_as: Option<RunAs>, security: bool) -> Result<Vetted, Refusal> {
    let program = argv
        .first()
        .filter(|p| !p.is_empty())
        .ok_or(Refusal::Empty)?;
    let path = locate(program)?;
    let real = std::fs::canonicalize(&path).map_err(|e| Refusal::Inaccessible {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let meta = std::fs::metadata(&real).map_err(|e| Refusal::Inaccessible {
        path: real.clone(),
        reason: e.to_string(),
    })?;
    if !meta.is_file() {
        return Err(Refusal::NotARegularFile(real));
    }
    let RunAs { uid, gid } = run_as.unwrap_or_else(own_ids);
    if !is_executable(&meta, uid, gid) {
        return Err(Refusal::NotExecutable { path, uid, gid });
    }
    let runs_as_root = uid == 0
        || gid == 0
        || (meta.uid() == 0 && meta.mode() & 0o4100 == 0o4100)
        || (meta.gid() == 0 && meta.mode() & 0o2010 == 0o2010);
    if !runs_as_root {
        return Ok(Vetted {
            run_as,
            warning: None,
        });
    }
    let unsafe_part = first_unsafe(&path, true)?.or(first_unsafe(&real, false)?);
    match unsafe_part {
        Some(u) if security => Err(Refusal::Unsafe(u)),
        warning => Ok(Vetted { run_as, warning }),
    }
}

/// A script of the configuration that will not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedScript {
    /// What names it: `vrrp_script check_nginx`, `vrrp_instance VI_1: notify_master`.
    pub owner: String,
    /// The command as written.
    pub command: String,
    /// Where the `vrrp_script` or `vrrp_instance` block that names it starts.
    pub location: Location,
    /// Why it will not run.
    pub refusal: Refusal,
}

impl fmt::Display for RefusedScript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} `{}`: {}; disabled",
            self.owner, self.command, self.refusal
        )
    }
}

/// Every script of a configuration, vetted.
#[derive(Debug, Default)]
pub struct VettedScripts {
    /// Check scripts that may run, by name, with the user they run as.
    pub checks: HashMap<String, Option<RunAs>>,
    /// Each instance's notify scripts that may run (instances without any are absent).
    pub notify: HashMap<String, InstanceNotify>,
    /// Each sync group's notify scripts that may run (groups without any are absent).
    pub group_notify: HashMap<String, InstanceNotify>,
    /// Scripts that will not run.
    pub refused: Vec<RefusedScript>,
    /// What is worth a warning, with the block it concerns: unsafe scripts tolerated
    /// without `enable_script_security`.
    pub warnings: Vec<(Location, String)>,
}

/// Vets every check and notify script of `config`.
pub fn vet_config(config: &Config) -> VettedScripts {
    let security = config.global.enable_script_security;
    let global_user = config.global.script_user.as_ref();
    let mut out = VettedScripts::default();
    let mut root_scripts = 0usize;
    let mut count_root = |run_as: Option<RunAs>| {
        if run_as.unwrap_or_else(own_ids).uid == 0 {
            root_scripts += 1;
        }
    };
    for script in &config.scripts {
        let vetted = run_as(script.user.as_ref(), global_user, security)
            .and_then(|r| vet(&script.script.argv, r, security));
        match vetted {
            Ok(v) => {
                if let Some(w) = v.warning {
                    out.warnings.push((
                        script.location.clone(),
                        format!(
                            "vrrp_script {}: unsafe permissions: {w}; enable_script_security would refuse it",
                            script.name
                        ),
                    ));
                }
                count_root(v.run_as);
                out.checks.insert(script.name.clone(), v.run_as);
            }
            Err(refusal) => out.refused.push(RefusedScript {
                owner: format!("vrrp_script {}", script.name),
                command: script.script.line.clone(),
                location: script.location.clone(),
                refusal,
            }),
        }
    }
    let owners = config
        .instances
        .iter()
        .map(|i| ("vrrp_instance", &i.name, &i.notify, &i.location))
        .chain(
            config
                .sync_groups
                .iter()
                .map(|g| ("vrrp_sync_group", &g.name, &g.notify, &g.location)),
        );
    for (block, name, notify, location) in owners {
        let (vetted, refused, warnings) = InstanceNotify::vet(notify, global_user, security);
        out.warnings.extend(
            warnings
                .into_iter()
                .map(|w| (location.clone(), format!("{block} {name}: {w}"))),
        );
        for (directive, command, refusal) in refused {
            out.refused.push(RefusedScript {
                owner: format!("{block} {name}: {directive}"),
                command,
                location: location.clone(),
                refusal,
            });
        }
        for run_as in vetted.run_as_all() {
            count_root(run_as);
        }
        if !vetted.is_empty() {
            let map = if block == "vrrp_sync_group" {
                &mut out.group_notify
            } else {
                &mut out.notify
            };
            map.insert(name.clone(), vetted);
        }
    }
    if let (false, true, Some(first)) = (
        security,
        root_scripts > 0,
        config.scripts.first().map(|s| &s.location),
    ) {
        out.warnings.push((
            first.clone(),
            format!(
                "{root_scripts} script(s) run as root and enable_script_security is off: a \
                 script (or a directory on its path) writable by another user would still run"
            ),
        ));
    }
    out
}

/// The script's path: as written when it has a slash (relative to the working
/// directory), else the first executable match in `PATH`.
fn locate(program: &str) -> Result<PathBuf, Refusal> {
    if program.contains('/') {
        let path = Path::new(program);
        return Ok(if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir()
                .map_err(|e| Refusal::Inaccessible {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                })?
                .join(path)
        });
    }
    let search = std::env::var_os("PATH").unwrap_or_else(|| FALLBACK_PATH.into());
    search
        .as_bytes()
        .split(|&b| b == b':')
        .filter(|dir| !dir.is_empty())
        .map(|dir| Path::new(OsStr::from_bytes(dir)).join(program))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .ok_or_else(|| Refusal::NotInPath(program.to_owned()))
}

/// The first file or directory on `path` (from `/` down) that a non-root user can
/// change. `as_written`: the path may go through symbolic links, which are skipped
/// (the directory holding one is checked, and its target is checked on the real path).
fn first_unsafe(path: &Path, as_written: bool) -> Result<Option<Unsafe>, Refusal> {
    let mut prefix = PathBuf::new();
    for component in path.components() {
        match component {
            Component::RootDir => prefix.push("/"),
            Component::Normal(part) => prefix.push(part),
            // `..` and `.` in a path as written: the real path is checked too.
            Component::ParentDir | Component::CurDir | Component::Prefix(_) => continue,
        }
        let meta = std::fs::symlink_metadata(&prefix).map_err(|e| Refusal::Inaccessible {
            path: prefix.clone(),
            reason: e.to_string(),
        })?;
        if meta.file_type().is_symlink() {
            if as_written {
                continue;
            }
            return Err(Refusal::NotARegularFile(prefix));
        }
        if let Some(u) = unsafe_permissions(&prefix, &meta) {
            return Ok(Some(u));
        }
    }
    Ok(None)
}

/// keepalived's test: owned by root, and (a directory without the sticky bit, or a
/// file) not writable by a non-root group nor by everyone.
fn unsafe_permissions(path: &Path, meta: &Metadata) -> Option<Unsafe> {
    const STICKY: u32 = 0o1000;
    const GROUP_WRITE: u32 = 0o020;
    const WORLD_WRITE: u32 = 0o002;
    if meta.uid() != 0 {
        return Some(Unsafe::NotOwnedByRoot {
            path: path.to_path_buf(),
            uid: meta.uid(),
        });
    }
    let mode = meta.mode();
    let guarded = meta.is_dir() && mode & STICKY != 0;
    if guarded {
        return None;
    }
    if meta.gid() != 0 && mode & GROUP_WRITE != 0 {
        return Some(Unsafe::GroupWritable {
            path: path.to_path_buf(),
            gid: meta.gid(),
        });
    }
    if mode & WORLD_WRITE != 0 {
        return Some(Unsafe::WorldWritable {
            path: path.to_path_buf(),
        });
    }
    None
}

/// Whether `uid:gid` may execute a file (root: any execute bit).
fn is_executable(meta: &Metadata, uid: u32, gid: u32) -> bool {
    let mode = meta.mode();
    if uid == 0 {
        mode & 0o111 != 0
    } else if meta.uid() == uid {
        mode & 0o100 != 0
    } else if meta.gid() == gid {
        mode & 0o010 != 0
    } else {
        mode & 0o001 != 0
    }
}

pub(crate) fn own_ids() -> RunAs {
    // SAFETY: geteuid and getegid cannot fail and have no preconditions.
    unsafe {
        RunAs {
            uid: libc::geteuid(),
            gid: libc::getegid(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    const ROOT: Option<RunAs> = Some(RunAs { uid: 0, gid: 0 });

    fn running_as_root() -> bool {
        own_ids().uid == 0
    }

    /// A root-owned directory (mode 0755) under a fresh root-owned temp dir, with a
    /// script in it.
    fn setup() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let script = dir.path().join("check.sh");
        fs::write(&script, "#!/bin/sh\nexit 0\n").unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        (dir, script)
    }

    fn argv(path: &Path) -> Vec<String> {
        vec![path.to_string_lossy().into_owned()]
    }

    #[test]
    fn a_safe_root_script_runs() {
        if !running_as_root() {
            return; // the files must be root's
        }
        let (_dir, script) = setup();
        assert_eq!(
            vet(&argv(&script), ROOT, true),
            Ok(Vetted {
                run_as: ROOT,
                warning: None
            })
        );
    }

    #[test]
    fn a_world_writable_script_is_refused_with_security_and_warned_without() {
        if !running_as_root() {
            return;
        }
        let (_dir, script) = setup();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o777)).unwrap();
        let expected = Unsafe::WorldWritable {
            path: script.clone(),
        };
        assert_eq!(
            vet(&argv(&script), ROOT, true),
            Err(Refusal::Unsafe(expected.clone()))
        );
        assert_eq!(
            vet(&argv(&script), ROOT, false).map(|v| v.warning),
            Ok(Some(expected))
        );
    }

    #[test]
    fn a_script_in_a_directory_writable_by_others_or_owned_by_another_user_is_refused() {
        if !running_as_root() {
            return;
        }
        let (dir, script) = setup();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(
            vet(&argv(&script), ROOT, true),
            Err(Refusal::Unsafe(Unsafe::WorldWritable { path })) if path == dir.path()
        ));
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::chown(&script, Some(65534), None).unwrap();
        assert!(matches!(
            vet(&argv(&script), ROOT, true),
            Err(Refusal::Unsafe(Unsafe::NotOwnedByRoot { uid: 65534, .. }))
        ));
    }

    #[test]
    fn a_sticky_directory_is_safe_but_a_group_writable_file_is_not() {
        if !running_as_root() {
            return;
        }
        let (dir, script) = setup();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o1777)).unwrap();
        assert!(vet(&argv(&script), ROOT, true).is_ok());
        std::os::unix::fs::chown(&script, None, Some(65534)).unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o775)).unwrap();
        assert!(matches!(
            vet(&argv(&script), ROOT, true),
            Err(Refusal::Unsafe(Unsafe::GroupWritable { gid: 65534, .. }))
        ));
    }

    #[test]
    fn a_link_into_an_unsafe_directory_is_refused() {
        if !running_as_root() {
            return;
        }
        let (dir, _) = setup();
        let unsafe_dir = dir.path().join("open");
        fs::create_dir(&unsafe_dir).unwrap();
        fs::set_permissions(&unsafe_dir, fs::Permissions::from_mode(0o777)).unwrap();
        let target = unsafe_dir.join("real.sh");
        fs::write(&target, "#!/bin/sh\n").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o755)).unwrap();
        let link = dir.path().join("link.sh");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(matches!(
            vet(&argv(&link), ROOT, true),
            Err(Refusal::Unsafe(Unsafe::WorldWritable { path })) if path == unsafe_dir
        ));
    }

    #[test]
    fn missing_and_non_executable_scripts_are_refused() {
        let (dir, script) = setup();
        let missing = dir.path().join("nope.sh");
        assert!(matches!(
            vet(&argv(&missing), ROOT, false),
            Err(Refusal::Inaccessible { .. })
        ));
        assert_eq!(
            vet(&["no-such-program-vrrp".to_owned()], ROOT, false),
            Err(Refusal::NotInPath("no-such-program-vrrp".into()))
        );
        fs::set_permissions(&script, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            vet(&argv(&script), ROOT, false),
            Err(Refusal::NotExecutable { uid: 0, gid: 0, .. })
        ));
        assert_eq!(vet(&[], ROOT, false), Err(Refusal::Empty));
        assert!(matches!(
            vet(&argv(dir.path()), ROOT, false),
            Err(Refusal::NotARegularFile(_))
        ));
    }

    #[test]
    fn a_bare_name_is_found_in_path() {
        assert!(vet(&["sh".to_owned()], None, false).is_ok());
    }

    #[test]
    fn the_default_user_is_keepalived_script_or_the_daemon_and_refused_with_security() {
        let nobody = ScriptUser {
            user: "no-such-user-vrrp".into(),
            group: None,
        };
        assert_eq!(
            run_as(Some(&nobody), None, false),
            Err(Refusal::UnknownUser("no-such-user-vrrp".into()))
        );
        let root = ScriptUser {
            user: "root".into(),
            group: None,
        };
        assert_eq!(run_as(None, Some(&root), true), Ok(ROOT));
        let default = ScriptUser {
            user: DEFAULT_SCRIPT_USER.into(),
            group: None,
        };
        match resolve_user(&default) {
            Some(r) => assert_eq!(run_as(None, None, true), Ok(Some(r))),
            None => {
                assert_eq!(run_as(None, None, false), Ok(None));
                assert_eq!(run_as(None, None, true), Err(Refusal::NoDefaultUser));
            }
        }
    }
}
