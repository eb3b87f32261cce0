//! Splits keepalived.conf text into words, braces and line ends, and expands `include`.
//!
//! keepalived's rules (lib/parser.c), which this follows:
//! - `#` and `!` start a comment anywhere outside double quotes; `\#` and `\!` are the
//!   characters themselves.
//! - A `\` at the very end of a line continues the line on the next one.
//! - `"..."` is one word without its quotes, whatever it contains (`\"` is a quote).
//!   A word also ends where a `"` starts.
//! - `{` and `}` outside quotes are always tokens of their own, wherever they are.
//! - `include PATTERN` on a line of its own, anywhere (also inside a block), is replaced
//!   by the files the glob pattern matches, in sorted order; a relative pattern is relative
//!   to the directory of the file that contains the `include`.

use std::borrow::Cow;
use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::diag::{Pos, Sink};

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A word; `quoted` if it was written in double quotes.
    Word { text: String, quoted: bool },
    /// `{`
    Open,
    /// `}`
    Close,
    /// End of a (logical) line.
    Eol,
}

/// A token and where it starts.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub tok: Tok,
    pub pos: Pos,
}

/// Deepest nesting of includes before we assume something is wrong. Real setups include
/// one level (`conf.d/*.conf`); each level holds its file's text while it is read.
const MAX_INCLUDE_DEPTH: usize = 32;

/// The most files read through `include`, in all. Cycle detection keeps a file from
/// including itself, but `n` files that each `include *.conf` still make n! chains of
/// includes; this bound turns such a tree into an error instead of hours of reading.
const MAX_INCLUDED_FILES: usize = 1024;

/// The largest configuration file read. keepalived.conf files with thousands of
/// instances stay well below 1 MiB; a bound keeps a mistaken `include` of a log or an
/// image from taking the daemon's memory.
pub(crate) const MAX_FILE_SIZE: u64 = 16 << 20;

/// The most bytes read for one configuration, the main file and its includes together.
/// The reader's memory is a small multiple of what it reads; this bounds what it reads.
const MAX_TOTAL_SIZE: u64 = 4 * MAX_FILE_SIZE;

/// Why a configuration file is not read. It is the inner error of the `io::Error` that
/// [`read_file`] returns, so that its text reaches [`super::LoadError`] and diagnostics.
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

/// Splits one file's text into tokens, a few at a time, so that no list of every token
/// of a file is ever built.
pub(crate) struct FileLexer<'a> {
    text: Cow<'a, str>,
    /// Byte offset of the next character.
    at: usize,
    file: Arc<Path>,
    line: u32,
    /// Column of the last character read (0 before the first of a line).
    col: u32,
    /// The unquoted word being read, and where it starts.
    word: String,
    word_pos: Option<Pos>,
    /// Where the last token of the current line starts; `None` while the line has none.
    /// The line's [`Tok::Eol`] is placed there.
    last: Option<Pos>,
}

impl<'a> FileLexer<'a> {
    pub(crate) fn new(text: Cow<'a, str>, file: Arc<Path>) -> Self {
        FileLexer {
            text,
            at: 0,
            file,
            line: 1,
            col: 0,
            word: String::new(),
            word_pos: None,
            last: None,
        }
    }

    fn peek(&self) -> Option<char> {
        self.text.get(self.at..)?.chars().next()
    }

    fn pos(&self) -> Pos {
        Pos {
            file: Arc::clone(&self.file),
            line: self.line,
            col: self.col,
        }
    }

    fn newline(&mut self) {
        self.line = self.line.saturating_add(1);
        self.col = 0;
    }

    fn start_word(&mut self) {
        if self.word_pos.is_none() {
            self.word_pos = Some(self.pos());
        }
    }

    fn emit(&mut self, out: &mut VecDeque<Token>, tok: Tok, pos: Pos) {
        self.last = Some(pos.clone());
        out.push_back(Token { tok, pos });
    }

    fn end_word(&mut self, out: &mut VecDeque<Token>) {
        if let Some(pos) = self.word_pos.take() {
            let text = std::mem::take(&mut self.word);
            self.emit(
                out,
                Tok::Word {
                    text,
                    quoted: false,
                },
                pos,
            );
        }
    }

    fn end_line(&mut self, out: &mut VecDeque<Token>) {
        self.end_word(out);
        if let Some(pos) = self.last.take() {
            out.push_back(Token { tok: Tok::Eol, pos });
        }
    }

    /// Reads until at least one token is in `out`; false when the text is used up.
    pub(crate) fn fill(&mut self, sink: &mut Sink, out: &mut VecDeque<Token>) -> bool {
        while out.is_empty() {
            let Some(c) = self.peek() else {
                self.end_line(out);
                return !out.is_empty();
            };
            self.at += c.len_utf8();
            self.col = self.col.saturating_add(1);
            match c {
                '\n' => {
                    self.end_line(out);
                    self.newline();
                }
                '#' | '!' => {
                    // A comment: skip to the end of the line (the newline itself ends the line).
                    self.end_word(out);
                    let rest = self.text.get(self.at..).unwrap_or("");
                    self.at += rest.find('\n').unwrap_or(rest.len());
                }
                '\\' => match self.peek() {
                    Some('\n') => {
                        // Continuation: the logical line goes on.
                        self.end_word(out);
                        self.at += 1;
                        self.newline();
                    }
                    Some('\r') => {
                        self.at += 1;
                        if self.peek() == Some('\n') {
                            self.end_word(out);
                            self.at += 1;
                            self.newline();
                        } else {
                            self.start_word();
                            self.word.push('\\');
                            self.word.push('\r');
                            self.col = self.col.saturating_add(1);
                        }
                    }
                    Some(n @ ('#' | '!')) => {
                        self.start_word();
                        self.word.push(n);
                        self.at += 1;
                        self.col = self.col.saturating_add(1);
                    }
                    _ => {
                        self.start_word();
                        self.word.push('\\');
                    }
                },
                '"' => {
                    self.end_word(out);
                    let start = self.pos();
                    let mut text = String::new();
                    let mut closed = false;
                    while let Some(n) = self.peek() {
                        if n == '\n' {
                            break;
                        }
                        self.at += n.len_utf8();
                        self.col = self.col.saturating_add(1);
                        match n {
                            '"' => {
                                closed = true;
                                break;
                            }
                            '\\' if self.peek() == Some('"') => {
                                self.at += 1;
                                self.col = self.col.saturating_add(1);
                                text.push('"');
                            }
                            _ => text.push(n),
                        }
                    }
                    if !closed {
                        sink.error(
                            &start,
                            "unterminated quoted string",
                            "add the closing `\"` on the same line",
                        );
                    }
                    self.emit(out, Tok::Word { text, quoted: true }, start);
                }
                '{' | '}' => {
                    self.end_word(out);
                    let tok = if c == '{' { Tok::Open } else { Tok::Close };
                    let pos = self.pos();
                    self.emit(out, tok, pos);
                }
                c if c.is_whitespace() => self.end_word(out),
                c => {
                    self.start_word();
                    self.word.push(c);
                }
            }
        }
        true
    }
}

/// Splits one file's text into logical lines of tokens (without [`Tok::Eol`]).
#[cfg(test)]
pub(crate) fn lex_lines(text: &str, file: &Arc<Path>, sink: &mut Sink) -> Vec<Vec<Token>> {
    let mut lexer = FileLexer::new(Cow::Borrowed(text), Arc::clone(file));
    let mut out = VecDeque::new();
    let mut lines = Vec::new();
    let mut current = Vec::new();
    while lexer.fill(sink, &mut out) {
        for token in out.drain(..) {
            if token.tok == Tok::Eol {
                lines.push(std::mem::take(&mut current));
            } else {
                current.push(token);
            }
        }
    }
    lines
}

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

fn display_dir(dir: &Path) -> String {
    if dir.as_os_str().is_empty() {
        ".".to_owned()
    } else {
        dir.display().to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<Vec<String>> {
        let mut sink = Sink::default();
        let file: Arc<Path> = Arc::from(Path::new("t.conf"));
        lex_lines(text, &file, &mut sink)
            .into_iter()
            .map(|l| {
                l.into_iter()
                    .map(|t| match t.tok {
                        Tok::Word { text, .. } => text,
                        Tok::Open => "{".into(),
                        Tok::Close => "}".into(),
                        Tok::Eol => "EOL".into(),
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn comments_anywhere_outside_quotes() {
        assert_eq!(
            words("a b # c\n! all\nd \"e # f\" g!h\n"),
            vec![vec!["a", "b"], vec!["d", "e # f", "g"]]
        );
    }

    #[test]
    fn braces_are_tokens_of_their_own() {
        assert_eq!(
            words("track_script {check_http}\n"),
            vec![vec!["track_script", "{", "check_http", "}"]]
        );
    }

    #[test]
    fn escaped_comment_chars_and_continuation() {
        assert_eq!(
            words("auth_pass a\\!b\nnotify \\\n  x\n"),
            vec![vec!["auth_pass", "a!b"], vec!["notify", "x"]]
        );
    }

    #[test]
    fn columns_count_characters() {
        let mut sink = Sink::default();
        let file: Arc<Path> = Arc::from(Path::new("t.conf"));
        let lines = lex_lines("\tpriority   101\n", &file, &mut sink);
        assert_eq!((lines[0][0].pos.line, lines[0][0].pos.col), (1, 2));
        assert_eq!((lines[0][1].pos.line, lines[0][1].pos.col), (1, 13));
    }

    #[test]
    fn unterminated_quote_is_an_error() {
        let mut sink = Sink::default();
        let file: Arc<Path> = Arc::from(Path::new("t.conf"));
        lex_lines("script \"/bin/true\n", &file, &mut sink);
        assert_eq!(sink.list.len(), 1);
        assert_eq!(sink.list[0].column, 8);
    }
}
