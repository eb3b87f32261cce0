//! Groups tokens into statements: the words of one line, and the `{ ... }` block that
//! follows them (on the same line or, as keepalived allows, on the next).

use super::diag::{Pos, Sink};
use super::lexer::{Loader, Tok, Token};

/// A word of a statement.
#[derive(Debug, Clone)]
pub(crate) struct Word {
    pub text: String,
    pub quoted: bool,
    pub pos: Pos,
}

/// One directive: its words and its block, if it has one.
#[derive(Debug, Clone)]
pub(crate) struct Stmt {
    pub words: Vec<Word>,
    pub block: Option<Block>,
}

impl Stmt {
    /// The directive name (first word).
    pub fn keyword(&self) -> &Word {
        // A statement is only ever built with at least one word.
        &self.words[0]
    }

    /// The arguments after the keyword.
    pub fn args(&self) -> &[Word] {
        &self.words[1..]
    }

    pub fn pos(&self) -> &Pos {
        &self.keyword().pos
    }
}

/// A `{ ... }` block.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub open: Pos,
    pub stmts: Vec<Stmt>,
}

/// The deepest block nesting read. Real configurations nest four or five levels
/// (`virtual_server { real_server { HTTP_GET { url { ... } } } }`); the bound keeps every
/// walk over the tree (building it here, dropping it, cloning it) within a small stack,
/// so that no file can overflow it. keepalived itself refuses deep files.
pub(crate) const MAX_NESTING: usize = 32;

/// The most words and statements in one top-level directive with its blocks. Statements
/// are parsed and dropped one top-level directive at a time, so this bounds the tree
/// held at once (about 200 bytes per item: some 20 MB) whatever the size of the file.
/// A VRRP advertisement carries at most 255 addresses; the largest real blocks (a
/// `virtual_server` with its `real_server`s) have a few thousand lines.
pub(crate) const MAX_DIRECTIVE_ITEMS: usize = 100_000;

/// What is left of [`MAX_DIRECTIVE_ITEMS`] for the directive being built.
struct Budget {
    left: usize,
}

impl Budget {
    /// Takes one item; false (and an error, the first time) when none is left.
    fn take(&mut self, pos: &Pos, sink: &mut Sink) -> bool {
        match self.left {
            0 => false,
            1 => {
                self.left = 0;
                sink.error(
                    pos,
                    format!(
                        "directive too large: more than {MAX_DIRECTIVE_ITEMS} words and lines in one top-level block; the rest of it is skipped"
                    ),
                    "split the block, or look for a `}` missing above",
                );
                false
            }
            _ => {
                self.left -= 1;
                true
            }
        }
    }

    fn exhausted(&self) -> bool {
        self.left == 0
    }
}

/// The next top-level statement with its blocks, `None` at the end of the input. The
/// caller parses it and drops it before asking for the next one.
pub(crate) fn next_top(tokens: &mut Loader<'_>, sink: &mut Sink) -> Option<Stmt> {
    loop {
        let token = tokens.next(sink)?;
        let mut budget = Budget {
            left: MAX_DIRECTIVE_ITEMS,
        };
        match token.tok {
            Tok::Eol => {}
            Tok::Close => sink.error(
                &token.pos,
                "unexpected `}`: no block is open here",
                "remove it, or look for a `{` missing above",
            ),
            Tok::Open => stray_block(tokens, token.pos, 0, &mut budget, sink),
            Tok::Word { text, quoted } => {
                let first = Word {
                    text,
                    quoted,
                    pos: token.pos,
                };
                return Some(statement(tokens, first, 0, &mut budget, sink));
            }
        }
    }
}

/// A `{` with no directive before it: an error; its block is read and dropped.
fn stray_block(
    tokens: &mut Loader<'_>,
    open: Pos,
    depth: usize,
    budget: &mut Budget,
    sink: &mut Sink,
) {
    let block = block(tokens, open, depth, budget, sink);
    sink.error(
        &block.open,
        "`{` without a directive before it",
        "a block belongs to the directive written before it, e.g. `virtual_ipaddress {`",
    );
}

/// The statement that starts with `first`, inside `depth` blocks: the rest of its line
/// and its block, which starts on the same line or, as keepalived allows, the next one.
fn statement(
    tokens: &mut Loader<'_>,
    first: Word,
    depth: usize,
    budget: &mut Budget,
    sink: &mut Sink,
) -> Stmt {
    let mut words = vec![first];
    while let Some(Token {
        tok: Tok::Word { .. },
        ..
    }) = tokens.peek(sink)
    {
        if let Some(Token {
            tok: Tok::Word { text, quoted },
            pos,
        }) = tokens.next(sink)
        {
            // Beyond the budget the words are still read, not kept.
            if budget.take(&pos, sink) {
                words.push(Word { text, quoted, pos });
            }
        }
    }
    words.shrink_to_fit();
    let mut stmt = Stmt { words, block: None };
    if matches!(tokens.peek(sink), Some(Token { tok: Tok::Eol, .. })) {
        // Line ends before a `{` on the next line belong to this statement.
        while matches!(tokens.peek(sink), Some(Token { tok: Tok::Eol, .. })) {
            tokens.next(sink);
        }
    }
    if matches!(tokens.peek(sink), Some(Token { tok: Tok::Open, .. })) {
        if let Some(open) = tokens.next(sink) {
            stmt.block = Some(block(tokens, open.pos, depth, budget, sink));
        }
    }
    stmt
}

/// Statements until the `}` that closes `open`, which `depth` blocks are around.
fn items(
    tokens: &mut Loader<'_>,
    open: &Pos,
    depth: usize,
    budget: &mut Budget,
    sink: &mut Sink,
) -> Vec<Stmt> {
    let mut stmts: Vec<Stmt> = Vec::new();
    loop {
        if budget.exhausted() {
            skip_block(tokens, sink);
            break;
        }
        let Some(token) = tokens.next(sink) else {
            sink.error(
                open,
                "this `{` is never closed",
                "add the matching `}` at the end of the block",
            );
            break;
        };
        match token.tok {
            Tok::Eol => {}
            Tok::Close => break,
            Tok::Open => {
                if budget.take(&token.pos, sink) {
                    stray_block(tokens, token.pos, depth, budget, sink);
                }
            }
            Tok::Word { text, quoted } => {
                let pos = token.pos;
                if budget.take(&pos, sink) {
                    let first = Word { text, quoted, pos };
                    stmts.push(statement(tokens, first, depth, budget, sink));
                }
            }
        }
    }
    stmts.shrink_to_fit();
    stmts
}

/// The block opened at `open` inside `depth` others. Beyond [`MAX_NESTING`] it is an
/// error and its contents are skipped up to the matching `}` without building anything.
fn block(
    tokens: &mut Loader<'_>,
    open: Pos,
    depth: usize,
    budget: &mut Budget,
    sink: &mut Sink,
) -> Block {
    if depth + 1 > MAX_NESTING {
        sink.error(
            &open,
            format!("blocks nested more than {MAX_NESTING} deep; this one is skipped"),
            "keepalived.conf nests a few levels; look for `{` without its `}`",
        );
        skip_block(tokens, sink);
        return Block {
            open,
            stmts: Vec::new(),
        };
    }
    let stmts = items(tokens, &open, depth + 1, budget, sink);
    Block { open, stmts }
}

/// Consumes tokens up to the `}` that closes a block already opened, counting nested
/// braces without recursion.
fn skip_block(tokens: &mut Loader<'_>, sink: &mut Sink) {
    let mut open = 1usize;
    while let Some(token) = tokens.next(sink) {
        match token.tok {
            Tok::Open => open += 1,
            Tok::Close => {
                open -= 1;
                if open == 0 {
                    return;
                }
            }
            Tok::Word { .. } | Tok::Eol => {}
        }
    }
}
