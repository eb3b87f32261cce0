//! Diagnostics: what `vrrp check` prints, one per problem found in a configuration.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How bad a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Something was skipped or behaves differently from keepalived; `vrrp` would still run.
    Warning,
    /// The configuration cannot be run as written.
    Error,
}

impl Severity {
    /// `"error"` or `"warning"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A place in a configuration file: 1-based line and column (columns count characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// The file, as it was named (the path given to `load`, or an included path joined to
    /// the directory of the file that included it).
    pub file: PathBuf,
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1, in characters (a tab counts as one).
    pub column: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// One problem found in a configuration, with where it is and what to do about it.
///
/// Its `Display` form is what `vrrp check` prints:
///
/// ```text
/// keepalived.conf:12:5: error: virtual_router_id must be 1..=255, got 0
///   help: use the same VRID, 1..=255, on both routers of the pair
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file the problem is in.
    pub file: PathBuf,
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1, in characters.
    pub column: u32,
    /// What is wrong, in one line.
    pub message: String,
    /// What to do about it, in one line.
    pub hint: String,
}

impl Diagnostic {
    /// Where the problem is.
    pub fn location(&self) -> Location {
        Location {
            file: self.file.clone(),
            line: self.line,
            column: self.column,
        }
    }

    /// True for [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.severity,
            self.message
        )?;
        if !self.hint.is_empty() {
            write!(f, "\n  help: {}", self.hint)?;
        }
        Ok(())
    }
}

/// A position inside the parser: cheap to clone (the path is shared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pos {
    pub file: Arc<Path>,
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub(crate) fn location(&self) -> Location {
        Location {
            file: self.file.to_path_buf(),
            line: self.line,
            column: self.col,
        }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.col)
    }
}

/// The diagnostics of each severity listed; a file of a million bad lines must not make
/// a million messages (nor the memory to hold them). Beyond this, they are counted.
pub const MAX_DIAGNOSTICS: usize = 100;

/// Collects diagnostics while parsing.
#[derive(Debug, Default)]
pub(crate) struct Sink {
    pub list: Vec<Diagnostic>,
    /// Warnings and errors kept, and those beyond [`MAX_DIAGNOSTICS`], only counted.
    kept: [usize; 2],
    dropped: [usize; 2],
    /// Where the first one not kept is.
    first_dropped: Option<Pos>,
}

impl Sink {
    pub(crate) fn push(
        &mut self,
        severity: Severity,
        pos: &Pos,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let kind = usize::from(severity == Severity::Error);
        if self.kept[kind] >= MAX_DIAGNOSTICS {
            self.dropped[kind] += 1;
            self.first_dropped.get_or_insert_with(|| pos.clone());
            return;
        }
        self.kept[kind] += 1;
        self.list.push(Diagnostic {
            severity,
            file: pos.file.to_path_buf(),
            line: pos.line,
            column: pos.col,
            message: message.into(),
            hint: hint.into(),
        });
    }

    /// True if a diagnostic of `severity` would still be listed (not only counted), for
    /// callers that can spare the cost of composing one that would not.
    pub(crate) fn keeps(&self, severity: Severity) -> bool {
        self.kept[usize::from(severity == Severity::Error)] < MAX_DIAGNOSTICS
    }

    /// An error listed even beyond [`MAX_DIAGNOSTICS`]: a bound of the reader that was
    /// reached, which explains why the rest was not read. Each is reported once, so that
    /// the list stays bounded.
    pub(crate) fn bound_reached(
        &mut self,
        pos: &Pos,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.list.push(Diagnostic {
            severity: Severity::Error,
            file: pos.file.to_path_buf(),
            line: pos.line,
            column: pos.col,
            message: message.into(),
            hint: hint.into(),
        });
    }

    pub(crate) fn error(&mut self, pos: &Pos, message: impl Into<String>, hint: impl Into<String>) {
        self.push(Severity::Error, pos, message, hint);
    }

    pub(crate) fn warn(&mut self, pos: &Pos, message: impl Into<String>, hint: impl Into<String>) {
        self.push(Severity::Warning, pos, message, hint);
    }

    /// The diagnostics kept, and one more to put after them that says how many were not
    /// kept (an error if any error was not, so that the file still fails).
    pub(crate) fn finish(self) -> (Vec<Diagnostic>, Option<Diagnostic>) {
        let [warnings, errors] = self.dropped;
        let note = self.first_dropped.map(|pos| Diagnostic {
            severity: if errors > 0 {
                Severity::Error
            } else {
                Severity::Warning
            },
            file: pos.file.to_path_buf(),
            line: pos.line,
            column: pos.col,
            message: format!(
                "too many problems: {errors} more error(s) and {warnings} more warning(s) from here on are not shown (only the first {MAX_DIAGNOSTICS} of each are)"
            ),
            hint: "fix the ones shown and check again".to_owned(),
        });
        (self.list, note)
    }
}
