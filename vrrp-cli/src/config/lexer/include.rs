//! `include`: the main file and the files it includes, read as one stream of tokens,
//! within bounds on depth, count and size, and without cycles.

use std::borrow::Cow;
use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::read::{decode_text, io_reason, read_file, MAX_FILE_SIZE};
use super::{FileLexer, Tok, Token};
use crate::config::diag::{Pos, Sink};

/// Deepest nesting of includes before we assume something is wrong. Real setups include
/// one level (`conf.d/*.conf`); each level holds its file's text while it is read.
const MAX_INCLUDE_DEPTH: usize = 32;

/// The most files read through `include`, in all. Cycle detection keeps a file from
/// including itself, but `n` files that each `include *.conf` still make n! chains of
/// includes; this bound turns such a tree into an error instead of hours of reading.
const MAX_INCLUDED_FILES: usize = 1024;

/// The most bytes read for one configuration, the main file and its includes together.
/// The reader's memory is a small multiple of what it reads; this bounds what it reads.
const MAX_TOTAL_SIZE: u64 = 4 * MAX_FILE_SIZE;

/// A file being read.
struct Frame<'a> {
    lexer: FileLexer<'a>,
    /// Its canonical path, for include cycle detection.
    canonical: PathBuf,
    /// The files an `include` line of it matched that are still to be read, last first,
    /// and where that line is.
    pending: Vec<PathBuf>,
    include_pos: Option<Pos>,
}

/// Reads the main file and every file it includes as one stream of tokens, with `include`
/// lines replaced by the tokens of the files they name. Only the files on the current
/// chain of includes are held, and only a few tokens.
pub(crate) struct Loader<'a> {
    /// The files being read, outermost first.
    stack: Vec<Frame<'a>>,
    /// Every file read, in the order first read, as named.
    pub files: Vec<PathBuf>,
    seen: HashSet<PathBuf>,
    /// Tokens lexed and not yet taken.
    queue: VecDeque<Token>,
    peeked: Option<Token>,
    /// True when the next token starts a line (where `include` is a directive).
    at_line_start: bool,
    /// Files read through `include`, and bytes read in all.
    included: usize,
    total_bytes: u64,
    /// Whether the bound on files included, and the one on bytes read, were reported.
    bound_reported: bool,
    size_reported: bool,
}

impl<'a> Loader<'a> {
    /// Starts reading `text` as the contents of `path`.
    pub(crate) fn new(path: &Path, text: Cow<'a, str>) -> Self {
        let mut loader = Loader {
            stack: Vec::new(),
            files: Vec::new(),
            seen: HashSet::new(),
            queue: VecDeque::new(),
            peeked: None,
            at_line_start: true,
            included: 0,
            total_bytes: 0,
            bound_reported: false,
            size_reported: false,
        };
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        loader.push_file(path, canonical, text);
        loader
    }

    fn push_file(&mut self, path: &Path, canonical: PathBuf, text: Cow<'a, str>) {
        if self.seen.insert(canonical.clone()) {
            self.files.push(path.to_path_buf());
        }
        self.total_bytes = self.total_bytes.saturating_add(text.len() as u64);
        self.stack.push(Frame {
            lexer: FileLexer::new(text, Arc::from(path)),
            canonical,
            pending: Vec::new(),
            include_pos: None,
        });
        self.at_line_start = true;
    }

    /// The next token, without taking it.
    pub(crate) fn peek(&mut self, sink: &mut Sink) -> Option<&Token> {
        if self.peeked.is_none() {
            self.peeked = self.next_expanded(sink);
        }
        self.peeked.as_ref()
    }

    /// The next token of the whole configuration; `None` at its end.
    pub(crate) fn next(&mut self, sink: &mut Sink) -> Option<Token> {
        match self.peeked.take() {
            Some(token) => Some(token),
            None => self.next_expanded(sink),
        }
    }

    fn next_expanded(&mut self, sink: &mut Sink) -> Option<Token> {
        loop {
            if let Some(token) = self.queue.pop_front() {
                let line_start = std::mem::replace(&mut self.at_line_start, token.tok == Tok::Eol);
                if line_start {
                    if let Tok::Word {
                        text,
                        quoted: false,
                    } = &token.tok
                    {
                        if text == "include" {
                            self.include_line(&token.pos, sink);
                            continue;
                        }
                    }
                }
                return Some(token);
            }
            let frame = self.stack.last_mut()?;
            if let Some(path) = frame.pending.pop() {
                let pos = frame.include_pos.clone();
                if let Some(pos) = pos {
                    self.include_file(&path, &pos, sink);
                }
                continue;
            }
            if !frame.lexer.fill(sink, &mut self.queue) {
                self.stack.pop();
                self.at_line_start = true;
            }
        }
    }

    /// Takes the rest of an `include` line (at `pos`) and schedules the files it names.
    fn include_line(&mut self, pos: &Pos, sink: &mut Sink) {
        // Only the first two words matter (the pattern, and an extra one to warn about);
        // the others are dropped as they come.
        let mut args: Vec<Token> = Vec::new();
        loop {
            let token = match self.queue.pop_front() {
                Some(token) => token,
                None => {
                    let more = match self.stack.last_mut() {
                        Some(frame) => frame.lexer.fill(sink, &mut self.queue),
                        None => false,
                    };
                    if more {
                        continue;
                    }
                    break;
                }
            };
            if token.tok == Tok::Eol {
                break;
            }
            if args.len() < 2 {
                args.push(token);
            }
        }
        self.at_line_start = true;
        let Some(mut paths) = self.include_paths(pos, &args, sink) else {
            return;
        };
        paths.reverse();
        if let Some(frame) = self.stack.last_mut() {
            frame.pending = paths;
            frame.include_pos = Some(pos.clone());
        }
    }

    /// The files an include line names, in the order to read them.
    fn include_paths(
        &mut self,
        pos: &Pos,
        args: &[Token],
        sink: &mut Sink,
    ) -> Option<Vec<PathBuf>> {
        let pattern = match args.first() {
            Some(Token {
                tok: Tok::Word { text, .. },
                ..
            }) if !text.is_empty() => text.clone(),
            _ => {
                sink.error(
                    pos,
                    "`include` needs a file name or glob pattern",
                    "write e.g. `include /etc/keepalived/conf.d/*.conf`",
                );
                return None;
            }
        };
        if let Some(extra) = args.get(1) {
            sink.warn(
                &extra.pos,
                "`include` takes one file name or pattern; the rest of the line is ignored",
                "write one `include` line per pattern",
            );
        }
        let including = Arc::clone(&pos.file);
        let base = including.parent().unwrap_or_else(|| Path::new(""));
        let joined = if Path::new(&pattern).is_absolute() {
            PathBuf::from(&pattern)
        } else {
            base.join(&pattern)
        };
        if !pattern.contains(['*', '?', '[']) {
            return Some(vec![joined]);
        }
        let text = joined.to_string_lossy().into_owned();
        match glob::glob(&text) {
            Ok(entries) => {
                // More matches than files may be included in all is an error anyway
                // (reported when the bound is reached); do not collect the rest.
                let mut found: Vec<PathBuf> = entries
                    .filter_map(Result::ok)
                    .filter(|p| !p.is_dir())
                    .take(MAX_INCLUDED_FILES + 1)
                    .collect();
                found.sort();
                if found.is_empty() {
                    sink.warn(
                        pos,
                        format!("include pattern `{pattern}` matches no file"),
                        format!(
                            "relative patterns are relative to `{}`; remove the line if nothing is meant to be there",
                            display_dir(base)
                        ),
                    );
                }
                Some(found)
            }
            Err(e) => {
                sink.error(
                    pos,
                    format!("bad include pattern `{pattern}`: {}", e.msg),
                    "use shell glob syntax: `*`, `?`, `[abc]`",
                );
                None
            }
        }
    }

    /// Starts reading `path`, included at `pos`, unless a bound or a cycle forbids it.
    fn include_file(&mut self, path: &Path, pos: &Pos, sink: &mut Sink) {
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            sink.error(
                pos,
                format!(
                    "includes nested more than {MAX_INCLUDE_DEPTH} deep at `{}`",
                    path.display()
                ),
                "an include probably includes itself through a pattern; check the include lines",
            );
            return;
        }
        if self.included >= MAX_INCLUDED_FILES {
            // Reported once; every include after it is beyond the bound as well.
            if std::mem::replace(&mut self.bound_reported, true) {
                return;
            }
            sink.bound_reached(
                pos,
                format!(
                    "more than {MAX_INCLUDED_FILES} files included in all; `{}` is not read",
                    path.display()
                ),
                "included files probably include each other through patterns; check the include lines",
            );
            return;
        }
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if self.stack.iter().any(|f| f.canonical == canonical) {
            sink.error(
                pos,
                format!("include cycle: `{}` is already being read", path.display()),
                "remove the include that leads back to a file that includes it",
            );
            return;
        }
        let bytes = match read_file(path) {
            Ok(bytes) => bytes,
            Err(e) => {
                sink.error(
                    pos,
                    format!("cannot read included file `{}`: {}", path.display(), io_reason(&e)),
                    "include regular files only; a relative path is relative to the directory of the file that includes it",
                );
                return;
            }
        };
        if self.total_bytes.saturating_add(bytes.len() as u64) > MAX_TOTAL_SIZE {
            if std::mem::replace(&mut self.size_reported, true) {
                return;
            }
            sink.bound_reached(
                pos,
                format!(
                    "`{}` is not read: the configuration and its includes would exceed {} MiB",
                    path.display(),
                    MAX_TOTAL_SIZE >> 20
                ),
                "include each file once; a pattern probably matches more than it should",
            );
            return;
        }
        self.included += 1;
        let file_start = Pos {
            file: Arc::from(path),
            line: 1,
            col: 1,
        };
        let text = decode_text(bytes, &file_start, sink);
        self.push_file(path, canonical, Cow::Owned(text));
    }
}

fn display_dir(dir: &Path) -> String {
    if dir.as_os_str().is_empty() {
        ".".to_owned()
    } else {
        dir.display().to_string()
    }
}
