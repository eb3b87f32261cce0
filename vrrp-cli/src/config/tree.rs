//! Groups tokens into statements: the words of one line, and the `{ ... }` block that
//! follows them (on the same line or, as keepalived allows, on the next).

use super::diag::{Pos, Sink};
use super::lexer::{Tok, Token};

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

/// Builds the statement tree of a whole token stream.
pub(crate) fn build(tokens: &[Token], sink: &mut Sink) -> Vec<Stmt> {
    let mut i = 0;
    let stmts = items(tokens, &mut i, None, sink);
    debug_assert!(i >= tokens.len());
    stmts
}

/// Statements until the `}` that closes `open` (or the end of input at top level).
fn items(tokens: &[Token], i: &mut usize, open: Option<&Pos>, sink: &mut Sink) -> Vec<Stmt> {
    let mut stmts: Vec<Stmt> = Vec::new();
    // True while the last statement ended at a line end and has no block yet, so that a
    // `{` at the start of the next line belongs to it.
    let mut may_take_block = false;
    while let Some(token) = tokens.get(*i) {
        match &token.tok {
            Tok::Eol => {
                *i += 1;
            }
            Tok::Close => {
                *i += 1;
                if open.is_some() {
                    return stmts;
                }
                sink.error(
                    &token.pos,
                    "unexpected `}`: no block is open here",
                    "remove it, or look for a `{` missing above",
                );
                may_take_block = false;
            }
            Tok::Open => {
                *i += 1;
                let block = Block {
                    open: token.pos.clone(),
                    stmts: items(tokens, i, Some(&token.pos), sink),
                };
                match stmts.last_mut() {
                    Some(last) if may_take_block => last.block = Some(block),
                    _ => sink.error(
                        &token.pos,
                        "`{` without a directive before it",
                        "a block belongs to the directive written before it, e.g. `virtual_ipaddress {`",
                    ),
                }
                may_take_block = false;
            }
            Tok::Word { .. } => {
                let mut words = Vec::new();
                while let Some(Token {
                    tok: Tok::Word { text, quoted },
                    pos,
                }) = tokens.get(*i)
                {
                    words.push(Word {
                        text: text.clone(),
                        quoted: *quoted,
                        pos: pos.clone(),
                    });
                    *i += 1;
                }
                let mut stmt = Stmt { words, block: None };
                match tokens.get(*i).map(|t| &t.tok) {
                    Some(Tok::Open) => {
                        let open_pos = tokens[*i].pos.clone();
                        *i += 1;
                        stmt.block = Some(Block {
                            stmts: items(tokens, i, Some(&open_pos), sink),
                            open: open_pos,
                        });
                        may_take_block = false;
                    }
                    Some(Tok::Eol) | None => may_take_block = true,
                    _ => may_take_block = false,
                }
                stmts.push(stmt);
            }
        }
    }
    if let Some(open) = open {
        sink.error(
            open,
            "this `{` is never closed",
            "add the matching `}` at the end of the block",
        );
    }
    stmts
}
