//! The formatter: one canonical layout for an AST, comments kept.
//!
//! # Layout
//!
//! - Indentation is two spaces; a body holds one entry per line, without
//!   commas (a comma is kept only where the next entry starts with `(` or
//!   `-` and would otherwise continue the previous one); fields are
//!   `name = value`; schema columns are `name: type @tag`, with the types of
//!   one schema aligned.
//! - Top-level blocks are separated by one blank line. Consecutive `use`
//!   lines and consecutive `param` lines form groups: inside a group, as
//!   between entries of a body, a blank line is kept where the user had one
//!   or more, and none is added.
//! - Transform steps go one per line as `  | op(args)`.
//! - Expressions are written on one line with single spaces around binary
//!   operators (`not in` included), no spaces in ranges (`18..120`),
//!   parentheses as the user wrote them, numbers exactly as written and
//!   strings re-escaped.
//!
//! # Inline or multi-line
//!
//! - The bodies of `split`, `evaluate` and `env` blocks and nested blocks
//!   (`hyper { ... }`, `resources { ... }`, `expect { ... }`, ...) are
//!   written inline, `{ a = 1, b = 2 }`, when they hold only fields, no
//!   comment, and fit in 100 columns. All other bodies are multi-line
//!   (`{}` when empty).
//! - A list, record or argument list is inline when it fits in 100 columns
//!   and holds no line comment; otherwise it is written one element per
//!   line, the outermost first, lists and arguments with a trailing comma.
//!
//! # Comments
//!
//! Every comment of [`ast::File::comments`] is written once, in order, by
//! position: a comment that follows code on its line (other than a `///`
//! comment, which documents what follows) stays at the end of that line;
//! other comments go on their own lines above the next entry, step or block,
//! at its indentation. A comment inside an expression stays at its place in
//! the expression; a line comment there ends the line and the expression
//! continues on the next one.

mod flat;
mod printer;

use crate::syntax::ast;

/// Widest line the layout aims for; longer lines are only written when one
/// expression alone does not fit.
const MAX_WIDTH: usize = 100;

/// The canonical text of a file that parsed without errors.
pub fn format(file: &ast::File, source: &str) -> String {
    printer::Printer::new(source, &file.comments).file(&file.items)
}
