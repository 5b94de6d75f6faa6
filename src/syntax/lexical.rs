//! One linear pass over the text, before pest sees it.
//!
//! It finds what a grammar reports badly or not at all: comments (kept for
//! the formatter), unterminated strings and comments, bad escapes, unclosed
//! brackets. It also cuts the file into chunks, one per top-level block, at
//! each line that starts with a block keyword followed by a name, so that the
//! parser can recover from a broken block at the next one.
//!
//! pest and every pass over the AST recurse once per level of nesting, so
//! the nesting is bounded here, before pest runs: brackets, nested block
//! comments, and the prefix operators (`not`, unary `-`, `list<`) that nest
//! without brackets, at most [`MAX_NESTING`] levels in all.

use super::ast::{BlockKeyword, Comment, CommentKind};
use crate::diagnostics::{codes, Diagnostic};
use crate::source::{FileId, Span};

/// The deepest nesting accepted (`docs/language.md`, MLP0009). The parser's
/// threads are given a stack that holds it with a wide margin.
pub const MAX_NESTING: usize = 256;

pub(crate) struct Chunk {
    pub span: Span,
    /// A lexical error in this chunk was reported: pest is not run on it.
    pub has_error: bool,
}

pub(crate) struct Scan {
    pub comments: Vec<Comment>,
    pub chunks: Vec<Chunk>,
    pub diagnostics: Vec<Diagnostic>,
}

pub(crate) fn scan(text: &str, file: FileId) -> Scan {
    // A byte-order mark is not part of the first block: the block keyword
    // after it starts a line.
    let start = if text.starts_with('\u{FEFF}') {
        '\u{FEFF}'.len_utf8()
    } else {
        0
    };
    Scanner {
        text,
        bytes: text.as_bytes(),
        file,
        comments: Vec::new(),
        chunks: Vec::new(),
        diagnostics: Vec::new(),
        chunk_start: start,
        chunk_error: false,
        open: Vec::new(),
        depth: 0,
        prefix_run: 0,
        after_operand: false,
        after_list: false,
    }
    .run(start)
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    file: FileId,
    comments: Vec<Comment>,
    chunks: Vec<Chunk>,
    diagnostics: Vec<Diagnostic>,
    chunk_start: usize,
    chunk_error: bool,
    /// Open brackets of the current chunk: the byte, its offset, and the
    /// nesting levels it holds (itself and the prefix operators before it,
    /// which end with it).
    open: Vec<(u8, usize, usize)>,
    /// Nesting levels of the open brackets of the current chunk.
    depth: usize,
    /// Prefix operators since the last other token: each nests its operand.
    prefix_run: usize,
    /// The last token ends an operand, so a `-` after it subtracts.
    after_operand: bool,
    /// The last token is the word `list`, so a `<` after it opens a type.
    after_list: bool,
}

impl Scanner<'_> {
    fn run(mut self, start: usize) -> Scan {
        let mut i = start;
        let mut at_line_start = true;
        while i < self.bytes.len() {
            if at_line_start {
                at_line_start = false;
                if let Some(start) = self.block_start_at(i) {
                    self.cut(start);
                }
            }
            match self.bytes[i] {
                b'\n' => {
                    at_line_start = true;
                    i += 1;
                }
                b' ' | b'\t' | b'\r' => i += 1,
                b'/' if self.bytes.get(i + 1) == Some(&b'/') => {
                    let end = self.text[i..]
                        .find('\n')
                        .map_or(self.bytes.len(), |n| i + n);
                    let text = self.text[i..end].trim_end_matches('\r');
                    let kind = if text.starts_with("///") && !text.starts_with("////") {
                        CommentKind::Doc
                    } else {
                        CommentKind::Line
                    };
                    self.comments.push(Comment {
                        kind,
                        text: text.to_string(),
                        span: Span::new(i, i + text.len()),
                    });
                    i = end;
                }
                b'/' if self.bytes.get(i + 1) == Some(&b'*') => i = self.block_comment(i),
                b'"' => {
                    i = self.string(i);
                    self.token(true);
                }
                open @ (b'{' | b'(' | b'[') => {
                    let levels = self.prefix_run + 1;
                    self.nest(i, i + 1, levels, "bracket");
                    self.open.push((open, i, levels));
                    self.depth += levels;
                    self.token(false);
                    i += 1;
                }
                close @ (b'}' | b')' | b']') => {
                    self.close(close, i);
                    self.token(true);
                    i += 1;
                }
                b'-' if !self.after_operand => {
                    self.prefix(i, i + 1);
                    i += 1;
                }
                b'<' if self.after_list => {
                    self.prefix(i, i + 1);
                    i += 1;
                }
                b if b.is_ascii_alphanumeric() || b == b'_' => {
                    let len = self.bytes[i..]
                        .iter()
                        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                        .count();
                    match &self.text[i..i + len] {
                        "not" => self.prefix(i, i + len),
                        // `list<list<int>>` nests without brackets: the run
                        // of `list<` goes on over the word.
                        "list" => {
                            self.after_operand = true;
                            self.after_list = true;
                        }
                        // `and`, `or` and `in` are operators: a `-` after them negates.
                        "and" | "or" | "in" => self.token(false),
                        _ => self.token(true),
                    }
                    i += len;
                }
                b => {
                    // A unit `%` ends a number; a `%` between operands is
                    // taken for one too, which only lets a `-` after it pass
                    // as a subtraction, never a deeper nesting than counted.
                    self.token(b == b'%');
                    i += 1;
                }
            }
        }
        self.cut(self.bytes.len());
        Scan {
            comments: self.comments,
            chunks: self.chunks,
            diagnostics: self.diagnostics,
        }
    }

    /// If the line starting at `line` opens a top-level block, its offset.
    fn block_start_at(&self, line: usize) -> Option<usize> {
        let rest = &self.text[line..];
        let indent = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        let start = line + indent;
        let word_len = self.bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        let word = &self.text[start..start + word_len];
        BlockKeyword::from_word(word)?;
        let after = &self.text[start + word_len..];
        let gap = after.len() - after.trim_start_matches([' ', '\t']).len();
        if gap == 0 {
            return None;
        }
        // `model = churn_lr` is a field; `model churn_lr: ...` starts a block.
        let next = after[gap..].bytes().next()?;
        (next.is_ascii_alphabetic() || next == b'_' || next == b'"').then_some(start)
    }

    /// A token other than a prefix operator: the prefix run before it ends.
    fn token(&mut self, ends_operand: bool) {
        self.prefix_run = 0;
        self.after_operand = ends_operand;
        self.after_list = false;
    }

    fn prefix(&mut self, start: usize, end: usize) {
        self.prefix_run += 1;
        self.nest(start, end, self.prefix_run, "operator");
        self.after_operand = false;
        self.after_list = false;
    }

    /// Reports the token at `start..end` if, with the `levels` it opens
    /// on top of the open brackets, the nesting passes [`MAX_NESTING`].
    fn nest(&mut self, start: usize, end: usize, levels: usize, what: &str) {
        let level = self.depth + levels;
        if level <= MAX_NESTING || self.chunk_error {
            return;
        }
        let diagnostic = Diagnostic::error(
            codes::NESTING_TOO_DEEP,
            format!("nesting deeper than {MAX_NESTING} levels"),
        )
        .with_label(
            self.file,
            Span::new(start, end),
            format!("this {what} opens level {level}"),
        )
        .with_help(
            "name the inner part: move it into a `param`, a `derive` step or a field of its own",
        );
        self.report(diagnostic);
    }

    fn cut(&mut self, at: usize) {
        if let Some(&(open, offset, _)) = self.open.first() {
            let close = match open {
                b'{' => '}',
                b'(' => ')',
                _ => ']',
            };
            let diagnostic = Diagnostic::error(
                codes::UNCLOSED_DELIMITER,
                format!("this `{}` is never closed", open as char),
            )
            .with_label(self.file, Span::new(offset, offset + 1), "opened here")
            .with_help(format!(
                "add the matching `{close}` before the next block starts"
            ));
            self.report(diagnostic);
        }
        self.open.clear();
        self.depth = 0;
        self.token(false);
        if at > self.chunk_start || self.chunks.is_empty() {
            self.chunks.push(Chunk {
                span: Span::new(self.chunk_start, at),
                has_error: self.chunk_error,
            });
        }
        self.chunk_start = at;
        self.chunk_error = false;
    }

    fn report(&mut self, diagnostic: Diagnostic) {
        if !self.chunk_error {
            self.diagnostics.push(diagnostic);
        }
        self.chunk_error = true;
    }

    fn close(&mut self, close: u8, at: usize) {
        let expected_open = match close {
            b'}' => b'{',
            b')' => b'(',
            _ => b'[',
        };
        let popped = self.open.pop();
        if let Some((_, _, levels)) = popped {
            self.depth -= levels;
        }
        match popped {
            Some((open, _, _)) if open == expected_open => {}
            Some((open, offset, _)) => {
                let diagnostic = Diagnostic::error(
                    codes::UNCLOSED_DELIMITER,
                    format!(
                        "mismatched `{}`: the `{}` before it is not closed",
                        close as char, open as char
                    ),
                )
                .with_label(self.file, Span::new(at, at + 1), "does not match")
                .with_label(self.file, Span::new(offset, offset + 1), "opened here")
                .with_help("brackets must close in the order they were opened");
                self.report(diagnostic);
            }
            None => {
                let diagnostic = Diagnostic::error(
                    codes::SYNTAX,
                    format!("unexpected `{}`: nothing to close", close as char),
                )
                .with_label(
                    self.file,
                    Span::new(at, at + 1),
                    "no matching opening bracket",
                )
                .with_help("remove it, or add the opening bracket it belongs to");
                self.report(diagnostic);
            }
        }
    }

    /// Skips a (nested) block comment starting at `start`; returns the offset after it.
    fn block_comment(&mut self, start: usize) -> usize {
        let mut depth = 0usize;
        let mut i = start;
        while i < self.bytes.len() {
            if self.bytes[i..].starts_with(b"/*") {
                depth += 1;
                // pest reads a nested comment by recursion too.
                if depth == MAX_NESTING + 1 {
                    let diagnostic = Diagnostic::error(
                        codes::NESTING_TOO_DEEP,
                        format!("block comments nested deeper than {MAX_NESTING} levels"),
                    )
                    .with_label(
                        self.file,
                        Span::new(i, i + 2),
                        format!("this `/*` opens level {}", MAX_NESTING + 1),
                    )
                    .with_help("close the inner comments, or use `//` line comments");
                    self.report(diagnostic);
                }
                i += 2;
            } else if self.bytes[i..].starts_with(b"*/") {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    self.comments.push(Comment {
                        kind: CommentKind::Block,
                        text: self.text[start..i].to_string(),
                        span: Span::new(start, i),
                    });
                    return i;
                }
            } else {
                i += 1;
            }
        }
        let diagnostic = Diagnostic::error(
            codes::UNTERMINATED_COMMENT,
            "this block comment is never closed",
        )
        .with_label(
            self.file,
            Span::new(start, start + 2),
            "comment starts here",
        )
        .with_help("close it with `*/`");
        self.report(diagnostic);
        self.bytes.len()
    }

    /// Checks a string literal starting at the quote `start`; returns the offset after it.
    fn string(&mut self, start: usize) -> usize {
        let mut i = start + 1;
        while i < self.bytes.len() {
            match self.bytes[i] {
                b'"' => return i + 1,
                b'\n' => break,
                b'\\' => i = self.escape(i),
                _ => i += 1,
            }
        }
        let line_end = self.text[start..]
            .find('\n')
            .map_or(self.bytes.len(), |n| start + n)
            .max(start + 1);
        let end = if self.text[..line_end].ends_with('\r') {
            line_end - 1
        } else {
            line_end
        };
        let diagnostic =
            Diagnostic::error(codes::UNTERMINATED_STRING, "this string is never closed")
                .with_label(
                    self.file,
                    Span::new(start, end.max(start + 1)),
                    "string starts here",
                )
                .with_help(
                    "add a closing `\"` on the same line; write a newline in a string as `\\n`",
                );
        self.report(diagnostic);
        line_end
    }

    /// Checks the escape starting at the backslash `at`; returns the offset after it.
    fn escape(&mut self, at: usize) -> usize {
        let rest = &self.text[at + 1..];
        let Some(c) = rest.chars().next() else {
            return at + 1;
        };
        match c {
            '"' | '\\' | 'n' | 't' | 'r' | '0' => at + 2,
            '\n' => at + 1,
            'u' => match unicode_escape(rest) {
                Some(len) => at + 1 + len,
                None => {
                    let len = rest.find(['}', '"', '\n']).map_or(1, |n| {
                        if rest.as_bytes()[n] == b'}' {
                            n + 1
                        } else {
                            1
                        }
                    });
                    self.bad_escape(at, at + 1 + len);
                    at + 1 + len
                }
            },
            other => {
                self.bad_escape(at, at + 1 + other.len_utf8());
                at + 1 + other.len_utf8()
            }
        }
    }

    fn bad_escape(&mut self, start: usize, end: usize) {
        let diagnostic = Diagnostic::error(
            codes::INVALID_ESCAPE,
            format!("invalid escape `{}` in a string", &self.text[start..end]),
        )
        .with_label(self.file, Span::new(start, end), "not a valid escape")
        .with_help(r#"valid escapes are \" \\ \n \t \r \0 and \u{1F600}"#);
        self.report(diagnostic);
    }
}

/// The length of a valid `u{XXXX}` escape body (after the backslash), if it is one.
pub(crate) fn unicode_escape(rest: &str) -> Option<usize> {
    let body = rest.strip_prefix("u{")?;
    let close = body.find('}')?;
    let hex = &body[..close];
    if hex.is_empty() || hex.len() > 6 {
        return None;
    }
    let code = u32::from_str_radix(hex, 16).ok()?;
    char::from_u32(code)?;
    Some(2 + close + 1)
}

/// Decodes the escapes of a string literal's raw text. The scanner has
/// already rejected invalid escapes, so every escape here is valid.
pub(crate) fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some((_, 'n')) => out.push('\n'),
            Some((_, 't')) => out.push('\t'),
            Some((_, 'r')) => out.push('\r'),
            Some((_, '0')) => out.push('\0'),
            Some((_, 'u')) => {
                let rest = &raw[i + 1..];
                if let Some(len) = unicode_escape(rest) {
                    let hex = &rest[2..len - 1];
                    if let Some(ch) = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                        out.push(ch);
                    }
                    for _ in 1..len {
                        chars.next();
                    }
                }
            }
            Some((_, other)) => out.push(other),
            None => {}
        }
    }
    out
}
