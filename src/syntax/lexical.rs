//! One linear pass over the text, before pest sees it.
//!
//! It finds what a grammar reports badly or not at all: comments (kept for
//! the formatter), unterminated strings and comments, bad escapes, unclosed
//! brackets. It also cuts the file into chunks, one per top-level block, at
//! each line that starts with a block keyword followed by a name, so that the
//! parser can recover from a broken block at the next one.

use super::ast::{BlockKeyword, Comment, CommentKind};
use crate::diagnostics::{codes, Diagnostic};
use crate::source::{FileId, Span};

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
    Scanner {
        text,
        bytes: text.as_bytes(),
        file,
        comments: Vec::new(),
        chunks: Vec::new(),
        diagnostics: Vec::new(),
        chunk_start: 0,
        chunk_error: false,
        open: Vec::new(),
    }
    .run()
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
    /// Open brackets of the current chunk: the byte and its offset.
    open: Vec<(u8, usize)>,
}

impl Scanner<'_> {
    fn run(mut self) -> Scan {
        let mut i = 0;
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
                b'"' => i = self.string(i),
                open @ (b'{' | b'(' | b'[') => {
                    self.open.push((open, i));
                    i += 1;
                }
                close @ (b'}' | b')' | b']') => {
                    self.close(close, i);
                    i += 1;
                }
                _ => i += 1,
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

    fn cut(&mut self, at: usize) {
        if let Some(&(open, offset)) = self.open.first() {
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
        match self.open.pop() {
            Some((open, _)) if open == expected_open => {}
            Some((open, offset)) => {
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
