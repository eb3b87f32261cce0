//! The VRRP part of keepalived.conf (keepalived 2.2 syntax), parsed into a typed
//! [`Config`] with [`Diagnostic`]s that say where each problem is and what to do.
//!
//! ```
//! use vrrp_cli::config;
//!
//! let text = r#"
//! vrrp_instance VI_1 {
//!     state MASTER
//!     interface eth0
//!     virtual_router_id 51
//!     priority 101
//!     advert_int 1
//!     virtual_ipaddress {
//!         192.168.100.12
//!     }
//! }
//! "#;
//! let parsed = config::parse_str(text, "keepalived.conf");
//! assert!(!parsed.has_errors());
//! let vi = &parsed.config.instances[0];
//! assert_eq!(vi.vrid.get(), 51);
//! assert_eq!(vi.priority.get(), 101);
//! ```
//!
//! What is read:
//! - `global_defs`: `router_id`, `vrrp_version`, `script_user`, `enable_script_security`,
//!   `vrrp_garp_master_delay`, `vrrp_garp_master_repeat`, `vrrp_garp_master_refresh`,
//!   `vrrp_check_unicast_src`, `vrrp_skip_check_adv_addr`, `vrrp_strict`, and
//!   `vrrp_v3_checksum pseudo_header|rfc9568` (ours; see
//!   [`GlobalDefs::vrrp_v3_checksum`]). keepalived's other global settings are skipped with
//!   a warning ("skipped: not VRRP" for e-mail, SNMP, LVS, checkers).
//! - `vrrp_script`, `vrrp_instance` (see [`VrrpInstance`] for the directives).
//! - `vrrp_sync_group` (see [`SyncGroup`]).
//! - `virtual_server`, `virtual_server_group`, `static_ipaddress`, ... are skipped whole,
//!   with a warning.
//! - `include PATTERN` anywhere, a glob relative to the including file's directory.
//!
//! An unknown directive is an error that names the nearest known one. When
//! [`Parsed::has_errors`] is false the configuration can be run; warnings say what is
//! skipped or differs from keepalived.

mod diag;
mod keywords;
mod lexer;
#[cfg(test)]
mod migration_table;
mod model;
mod parser;
mod suggest;
mod tree;
mod value;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use diag::{Diagnostic, Location, Severity, MAX_DIAGNOSTICS};
pub use model::{
    Command, Config, Garp, GarpGroup, GlobalDefs, InitialState, Notify, NotifyScript, ScriptUser,
    Statics, SyncGroup, TrackGroup, TrackInterface, TrackScript, VirtualAddress, Vmac,
    VrrpInstance, VrrpScript,
};

/// keepalived's default configuration file, which `vrrp` reads by default too.
pub const DEFAULT_PATH: &str = "/etc/keepalived/keepalived.conf";

/// The result of parsing: the configuration and what was found wrong with it.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// What could be read. When there are errors it is incomplete and must not be run.
    pub config: Config,
    /// Errors and warnings, in file order (files in the order they were read).
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    /// True if any diagnostic is an error: the configuration must not be run.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }

    /// The configuration and its warnings, or every diagnostic if there is an error.
    pub fn into_result(self) -> Result<(Config, Vec<Diagnostic>), Vec<Diagnostic>> {
        if self.has_errors() {
            Err(self.diagnostics)
        } else {
            Ok((self.config, self.diagnostics))
        }
    }
}

/// The main configuration file could not be read (an included file that cannot be read
/// is a [`Diagnostic`] instead).
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}: {}", path.display(), lexer::io_reason(source))]
pub struct LoadError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

/// Reads and parses the configuration file at `path` and the files it includes.
///
/// Hostile files are bounded: what is not a regular file or is larger than 16 MiB is
/// not read, blocks nest at most 32 deep, includes are bounded in depth, count and
/// total size, and at most 100 errors and 100 warnings are listed (then one more that
/// counts the rest).
pub fn load(path: impl AsRef<Path>) -> Result<Parsed, LoadError> {
    let path = path.as_ref();
    let bytes = lexer::read_file(path).map_err(|source| LoadError {
        path: path.to_path_buf(),
        source,
    })?;
    let mut sink = diag::Sink::default();
    let start = diag::Pos {
        file: Arc::from(path),
        line: 1,
        col: 1,
    };
    let text = lexer::decode_text(bytes, &start, &mut sink);
    Ok(parse_with(Cow::Owned(text), path, sink))
}

/// Parses `text` as if it were the contents of the file `path` (which names the file in
/// diagnostics, and whose directory relative `include`s are resolved against).
pub fn parse_str(text: &str, path: impl AsRef<Path>) -> Parsed {
    parse_with(Cow::Borrowed(text), path.as_ref(), diag::Sink::default())
}

fn parse_with(text: Cow<'_, str>, path: &Path, mut sink: diag::Sink) -> Parsed {
    let mut tokens = lexer::Loader::new(path, text);
    let mut parser = parser::Parser::new(&mut sink);
    // One top-level statement at a time: the tree of the whole file is never held.
    while let Some(stmt) = tree::next_top(&mut tokens, parser.sink()) {
        parser.top(&stmt);
    }
    let mut config = parser.finish();
    config.files = std::mem::take(&mut tokens.files);
    drop(tokens);
    let (mut diagnostics, note) = sink.finish();
    // File order: the files in the order they were read, then line and column.
    let rank = |file: &Path| {
        config
            .files
            .iter()
            .position(|f| f == file)
            .unwrap_or(usize::MAX)
    };
    diagnostics.sort_by_key(|d| (rank(&d.file), d.line, d.column));
    diagnostics.extend(note);
    Parsed {
        config,
        diagnostics,
    }
}
