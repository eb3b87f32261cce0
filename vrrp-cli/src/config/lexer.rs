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

use std::collections::HashSet;
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

/// Deepest nesting of includes before we assume something is wrong.
const MAX_INCLUDE_DEPTH: usize = 32;

/// Splits one file's text into logical lines of tokens (without [`Tok::Eol`]).
pub(crate) fn lex_lines(text: &str, file: &Arc<Path>, sink: &mut Sink) -> Vec<Vec<Token>> {
    let mut lines: Vec<Vec<Token>> = Vec::new();
    let mut current: Vec<Token> = Vec::new();
    let mut word = String::new();
    let mut word_pos: Option<Pos> = None;

    let mut line: u32 = 1;
    let mut col: u32 = 0;
    let mut chars = text.chars().peekable();

    let pos_at = |line: u32, col: u32| Pos {
        file: Arc::clone(file),
        line,
        col,
    };

    fn end_word(word: &mut String, word_pos: &mut Option<Pos>, current: &mut Vec<Token>) {
        if let Some(pos) = word_pos.take() {
            current.push(Token {
                tok: Tok::Word {
                    text: std::mem::take(word),
                    quoted: false,
                },
                pos,
            });
        }
    }

    while let Some(c) = chars.next() {
        col += 1;
        match c {
            '\n' => {
                end_word(&mut word, &mut word_pos, &mut current);
                if !current.is_empty() {
                    lines.push(std::mem::take(&mut current));
                }
                line += 1;
                col = 0;
            }
            '#' | '!' => {
                // A comment: skip to the end of the line (the newline itself ends the line).
                end_word(&mut word, &mut word_pos, &mut current);
                while let Some(&n) = chars.peek() {
                    if n == '\n' {
                        break;
                    }
                    chars.next();
                }
            }
            '\\' => match chars.peek().copied() {
                Some('\n') => {
                    // Continuation: the logical line goes on.
                    end_word(&mut word, &mut word_pos, &mut current);
                    chars.next();
                    line += 1;
                    col = 0;
                }
                Some('\r') => {
                    chars.next();
                    if chars.peek() == Some(&'\n') {
                        end_word(&mut word, &mut word_pos, &mut current);
                        chars.next();
                        line += 1;
                        col = 0;
                    } else {
                        word_pos.get_or_insert_with(|| pos_at(line, col));
                        word.push('\\');
                        word.push('\r');
                        col += 1;
                    }
                }
                Some(n @ ('#' | '!')) => {
                    word_pos.get_or_insert_with(|| pos_at(line, col));
                    word.push(n);
                    chars.next();
                    col += 1;
                }
                _ => {
                    word_pos.get_or_insert_with(|| pos_at(line, col));
                    word.push('\\');
                }
            },
            '"' => {
                end_word(&mut word, &mut word_pos, &mut current);
                let start = pos_at(line, col);
                let mut text = String::new();
                let mut closed = false;
                while let Some(&n) = chars.peek() {
                    if n == '\n' {
                        break;
                    }
                    chars.next();
                    col += 1;
                    match n {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' if chars.peek() == Some(&'"') => {
                            chars.next();
                            col += 1;
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
                current.push(Token {
                    tok: Tok::Word { text, quoted: true },
                    pos: start,
                });
            }
            '{' | '}' => {
                end_word(&mut word, &mut word_pos, &mut current);
                current.push(Token {
                    tok: if c == '{' { Tok::Open } else { Tok::Close },
                    pos: pos_at(line, col),
                });
            }
            c if c.is_whitespace() => end_word(&mut word, &mut word_pos, &mut current),
            c => {
                word_pos.get_or_insert_with(|| pos_at(line, col));
                word.push(c);
            }
        }
    }
    end_word(&mut word, &mut word_pos, &mut current);
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// Reads the main file and every file it includes into one token stream.
pub(crate) struct Loader<'s> {
    sink: &'s mut Sink,
    /// Canonical paths of the files being read, outermost first (include cycle detection).
    stack: Vec<PathBuf>,
    /// Every file read, in the order first read, as named.
    pub files: Vec<PathBuf>,
    seen: HashSet<PathBuf>,
    pub tokens: Vec<Token>,
}

impl<'s> Loader<'s> {
    pub(crate) fn new(sink: &'s mut Sink) -> Self {
        Loader {
            sink,
            stack: Vec::new(),
            files: Vec::new(),
            seen: HashSet::new(),
            tokens: Vec::new(),
        }
    }

    /// Lexes `text` as the contents of `path`, expanding its includes.
    pub(crate) fn add_text(&mut self, path: &Path, text: &str) {
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.stack.push(canonical.clone());
        if self.seen.insert(canonical) {
            self.files.push(path.to_path_buf());
        }
        let file: Arc<Path> = Arc::from(path);
        let lines = lex_lines(text, &file, self.sink);
        for line in lines {
            if let Some(Token {
                tok:
                    Tok::Word {
                        text,
                        quoted: false,
                    },
                pos,
            }) = line.first()
            {
                if text == "include" {
                    self.include(path, pos, &line[1..]);
                    continue;
                }
            }
            let eol_pos = line.last().map(|t| t.pos.clone());
            self.tokens.extend(line);
            if let Some(pos) = eol_pos {
                self.tokens.push(Token { tok: Tok::Eol, pos });
            }
        }
        self.stack.pop();
    }

    fn include(&mut self, including: &Path, pos: &Pos, args: &[Token]) {
        let pattern = match args.first() {
            Some(Token {
                tok: Tok::Word { text, .. },
                ..
            }) if !text.is_empty() => text.clone(),
            _ => {
                self.sink.error(
                    pos,
                    "`include` needs a file name or glob pattern",
                    "write e.g. `include /etc/keepalived/conf.d/*.conf`",
                );
                return;
            }
        };
        if let Some(extra) = args.get(1) {
            self.sink.warn(
                &extra.pos,
                "`include` takes one file name or pattern; the rest of the line is ignored",
                "write one `include` line per pattern",
            );
        }
        let base = including.parent().unwrap_or_else(|| Path::new(""));
        let joined = if Path::new(&pattern).is_absolute() {
            PathBuf::from(&pattern)
        } else {
            base.join(&pattern)
        };
        let is_glob = pattern.contains(['*', '?', '[']);
        let paths: Vec<PathBuf> = if is_glob {
            let text = joined.to_string_lossy().into_owned();
            match glob::glob(&text) {
                Ok(entries) => {
                    let mut found: Vec<PathBuf> = entries
                        .filter_map(Result::ok)
                        .filter(|p| !p.is_dir())
                        .collect();
                    found.sort();
                    if found.is_empty() {
                        self.sink.warn(
                            pos,
                            format!("include pattern `{pattern}` matches no file"),
                            format!(
                                "relative patterns are relative to `{}`; remove the line if nothing is meant to be there",
                                display_dir(base)
                            ),
                        );
                    }
                    found
                }
                Err(e) => {
                    self.sink.error(
                        pos,
                        format!("bad include pattern `{pattern}`: {}", e.msg),
                        "use shell glob syntax: `*`, `?`, `[abc]`",
                    );
                    return;
                }
            }
        } else {
            vec![joined]
        };
        for path in paths {
            self.include_file(&path, pos);
        }
    }

    fn include_file(&mut self, path: &Path, pos: &Pos) {
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            self.sink.error(
                pos,
                format!(
                    "includes nested more than {MAX_INCLUDE_DEPTH} deep at `{}`",
                    path.display()
                ),
                "an include probably includes itself through a pattern; check the include lines",
            );
            return;
        }
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if self.stack.contains(&canonical) {
            self.sink.error(
                pos,
                format!("include cycle: `{}` is already being read", path.display()),
                "remove the include that leads back to a file that includes it",
            );
            return;
        }
        match std::fs::read(path) {
            Ok(bytes) => {
                let file_start = Pos {
                    file: Arc::from(path),
                    line: 1,
                    col: 1,
                };
                let text = decode_text(&bytes, &file_start, self.sink);
                self.add_text(path, &text);
            }
            Err(e) => self.sink.error(
                pos,
                format!("cannot read included file `{}`: {}", path.display(), io_reason(&e)),
                "check the path and its permissions; a relative path is relative to the directory of the file that includes it",
            ),
        }
    }
}

/// The text of a configuration file; invalid UTF-8 is replaced (with a warning).
pub(crate) fn decode_text(bytes: &[u8], pos: &Pos, sink: &mut Sink) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => {
            sink.warn(
                pos,
                "the file is not valid UTF-8; invalid bytes were replaced by U+FFFD",
                "save the file as UTF-8 (plain ASCII is fine)",
            );
            String::from_utf8_lossy(bytes).into_owned()
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
