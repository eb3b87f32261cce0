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
//!
//! This module splits one file's text into tokens; [`include`](mod@include) reads the
//! main file and its includes as one stream of tokens, and [`read`] reads a file within
//! the bounds.

mod include;
mod read;

use std::borrow::Cow;
use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;

use super::diag::{Pos, Sink};
pub(crate) use include::Loader;
pub(crate) use read::{decode_text, io_reason, read_file};

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
