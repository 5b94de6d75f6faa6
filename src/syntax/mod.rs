//! Syntax: text to [`ast::File`], never failing.
//!
//! [`parse`] always returns a tree and a list of diagnostics. The lexical
//! pass (`lexical.rs`) cuts the file into one chunk per top-level block;
//! pest parses each chunk on its own (`parser.rs`), and a chunk that fails
//! becomes an [`ast::ItemKind::Error`] with one diagnostic (`errors.rs`).

pub mod ast;
mod errors;
mod lexical;
mod parser;
#[cfg(test)]
mod tests;

use crate::diagnostics::{codes, Diagnostic};
use crate::source::{FileId, Span};
use ast::{BlockKeyword, CommentKind, ErrorItem, File, Ident, Item, ItemKind};
use pest::Parser;
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::OnceLock;

pub use lexical::MAX_NESTING;
pub use parser::MAX_OPERATORS;

#[derive(Clone)]
pub struct Parsed {
    pub file: File,
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.is_error())
    }
}

/// Parses the text of one file. `file` is only used to label diagnostics.
///
/// Chunks are parsed in parallel: each is independent of the others and its
/// spans are made file-relative by its offset, so the result (items and
/// diagnostics, both in file order) is the same as a sequential parse.
pub fn parse(text: &str, file: FileId) -> Parsed {
    let scan = lexical::scan(text, file);
    let mut diagnostics = scan.diagnostics;
    let parse_all = || parse_chunks(text, file, &scan.chunks);
    let parsed = match pool() {
        Some(pool) => pool.install(parse_all),
        None => parse_all(),
    };
    let mut items = Vec::with_capacity(parsed.len());
    for (item, mut chunk_diagnostics) in parsed {
        items.extend(item);
        diagnostics.append(&mut chunk_diagnostics);
    }
    let comments = scan.comments;
    attach_docs(&mut items, &comments, text);
    duplicates(&items, file, &mut diagnostics);
    Parsed {
        file: File { items, comments },
        diagnostics,
    }
}

/// The lexical pass alone: where each top-level block starts and the
/// comments, for an editor reading a block that is being typed and does
/// not parse yet.
pub fn outline(text: &str) -> (Vec<Span>, Vec<ast::Comment>) {
    let scan = lexical::scan(text, FileId(0));
    (scan.chunks.iter().map(|c| c.span).collect(), scan.comments)
}

/// The stack of the parser's threads. pest recurses a few times per level
/// of nesting, which the lexical pass bounds ([`MAX_NESTING`]); the
/// deepest nesting allowed takes between 1 and 2 MiB in a debug build
/// (256 nested brackets overflow 1 MiB), so this is a wide margin.
const PARSER_STACK: usize = 64 << 20;

/// The parser's own threads: their stack is [`PARSER_STACK`] whoever calls
/// [`parse`], so the nesting limit holds in the CLI, in tests and in tools.
/// `None` if no thread can be started: the caller's thread parses then.
fn pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("mlp-parse-{i}"))
            .stack_size(PARSER_STACK)
            .build()
            .ok()
    })
    .as_ref()
}

fn parse_chunks(
    text: &str,
    file: FileId,
    chunks: &[lexical::Chunk],
) -> Vec<(Option<Item>, Vec<Diagnostic>)> {
    chunks
        .par_iter()
        // A chunk is a block, a few microseconds of work: batches keep the
        // scheduling overhead small next to it.
        .with_min_len(CHUNKS_PER_TASK)
        .map(|chunk| {
            let chunk_text = &text[chunk.span.range()];
            let mut chunk_diagnostics = Vec::new();
            if chunk_text.trim().is_empty() || is_only_comments(chunk_text) {
                return (None, chunk_diagnostics);
            }
            if chunk.has_error {
                return (Some(error_item(chunk_text, chunk.span)), chunk_diagnostics);
            }
            let item = parse_chunk(
                chunk_text,
                chunk.span.start as usize,
                file,
                &mut chunk_diagnostics,
            );
            let item = item.unwrap_or_else(|| error_item(chunk_text, chunk.span));
            (Some(item), chunk_diagnostics)
        })
        .collect()
}

const CHUNKS_PER_TASK: usize = 64;

/// Parses one chunk, reporting what is wrong with it; `None` if it holds no
/// usable block.
fn parse_chunk(
    chunk_text: &str,
    base: usize,
    file: FileId,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Item> {
    match parser::MlpParser::parse(parser::Rule::chunk, chunk_text) {
        Ok(mut pairs) => {
            let mut lower = parser::Lower {
                base,
                file,
                diagnostics: Vec::new(),
                after_missing_eq: false,
                operators: 0,
            };
            let item = pairs.next().and_then(|pair| lower.chunk(pair));
            diagnostics.append(&mut lower.diagnostics);
            item
        }
        Err(_) => {
            let diagnostic = errors::diagnose(chunk_text, base, file);
            // A complete block followed by stray text (a misspelled block
            // keyword, a field after the closing `}`) keeps the block: only
            // the stray text is reported.
            let block_end = diagnostic
                .primary()
                .filter(|_| diagnostic.code == codes::EXPECTED_BLOCK)
                .map(|label| label.span.start as usize - base);
            diagnostics.push(diagnostic);
            let block_end = block_end.filter(|end| *end > 0 && *end < chunk_text.len())?;
            let mut before = Vec::new();
            let item = parse_chunk(&chunk_text[..block_end], base, file, &mut before)?;
            diagnostics.append(&mut before);
            Some(item)
        }
    }
}

fn is_only_comments(chunk: &str) -> bool {
    let mut rest = chunk.trim_start();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("//") {
            rest = after.split_once('\n').map_or("", |(_, r)| r).trim_start();
        } else if rest.starts_with("/*") {
            match block_comment_len(rest) {
                Some(len) => rest = rest[len..].trim_start(),
                None => return false,
            }
        } else {
            return false;
        }
    }
    true
}

/// The length of the (nested) block comment `text` starts with, if it is closed.
pub(crate) fn block_comment_len(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"/*") {
            depth += 1;
            i += 2;
        } else if bytes[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return Some(i);
            }
        } else {
            i += 1;
        }
    }
    None
}

/// A placeholder for a block that did not parse, keeping its keyword and
/// name when the chunk starts with them, for later phases and the editor.
fn error_item(chunk: &str, span: Span) -> Item {
    let trimmed = chunk.trim_start();
    let lead = chunk.len() - trimmed.len();
    let mut words = trimmed.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
    let keyword = words.next().and_then(BlockKeyword::from_word);
    let name = keyword.and_then(|_| {
        let after_kw = &trimmed[trimmed.find(char::is_whitespace)?..];
        let name_start = after_kw.len() - after_kw.trim_start().len();
        let name: String = after_kw[name_start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let start = span.start as usize + lead + (trimmed.len() - after_kw.len()) + name_start;
        (!name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit())).then(|| Ident {
            span: Span::new(start, start + name.len()),
            name,
        })
    });
    let end = span.start as usize + chunk.trim_end().len();
    Item {
        kind: ItemKind::Error(ErrorItem { keyword, name }),
        doc: None,
        span: Span::new(span.start as usize + lead, end),
    }
}

/// Gives each item the text of the `///` comments directly above it.
fn attach_docs(items: &mut [Item], comments: &[ast::Comment], text: &str) {
    let mut doc_lines: Vec<&ast::Comment> = Vec::new();
    let mut comment_index = 0;
    for item in items.iter_mut() {
        doc_lines.clear();
        while comment_index < comments.len() && comments[comment_index].span.end <= item.span.start
        {
            let comment = &comments[comment_index];
            let contiguous = doc_lines.last().is_none_or(|prev| {
                text[prev.span.end as usize..comment.span.start as usize]
                    .chars()
                    .filter(|c| *c == '\n')
                    .count()
                    == 1
            });
            if comment.kind == CommentKind::Doc && contiguous {
                doc_lines.push(comment);
            } else if comment.kind == CommentKind::Doc {
                doc_lines = vec![comment];
            } else {
                doc_lines.clear();
            }
            comment_index += 1;
        }
        let adjacent = doc_lines.last().is_some_and(|last| {
            text[last.span.end as usize..item.span.start as usize]
                .chars()
                .all(char::is_whitespace)
                && text[last.span.end as usize..item.span.start as usize]
                    .matches('\n')
                    .count()
                    <= 1
        });
        if adjacent {
            let lines: Vec<&str> = doc_lines
                .iter()
                .map(|c| {
                    c.text
                        .trim_start_matches("///")
                        .strip_prefix(' ')
                        .unwrap_or(&c.text[3..])
                })
                .collect();
            item.doc = Some(lines.join("\n"));
        }
    }
}

/// Two blocks of the same namespace with one name, reported with both spans.
/// `env` overlays have a namespace of their own; `evaluate` blocks clash when
/// they evaluate the same model on the same data.
fn duplicates(items: &[Item], file: FileId, diagnostics: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<(bool, String), &Item> = HashMap::new();
    for item in items {
        let key = match (&item.kind, item.name()) {
            (ItemKind::Evaluate(e), _) => (
                false,
                format!("{} on {}", e.model.dotted(), e.data.dotted()),
            ),
            (ItemKind::Error(_), _) | (_, None) => continue,
            (_, Some(name)) => (item.keyword() == Some(BlockKeyword::Env), name.name.clone()),
        };
        let Some(first) = seen.get(&key) else {
            seen.insert(key, item);
            continue;
        };
        let span_of = |item: &Item| item.name().map_or(item.span, |n| n.span);
        let what = match &item.kind {
            ItemKind::Evaluate(_) => format!("`evaluate {}` is declared twice", key.1),
            _ => format!("the name `{}` is declared twice", key.1),
        };
        diagnostics.push(
            Diagnostic::error(codes::DUPLICATE_BLOCK, what)
                .with_label(file, span_of(item), "declared again here")
                .with_label(file, span_of(first), "first declared here")
                .with_help(
                    "block names are unique in a module: rename one of the blocks, or merge them",
                ),
        );
    }
}
