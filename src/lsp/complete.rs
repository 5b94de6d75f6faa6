//! Completion, from the latest analysis: what is in
//! scope at the cursor is what the checker computed (schemas at each step,
//! the catalogue), never a second reading of the language.

use super::analysis::Analysis;
use crate::check::types::Schema;
use crate::check::{catalog, BlockInfo, Program};
use lsp_types as lsp;
use std::path::{Component, Path, PathBuf};

/// The top-level block kinds, as the grammar's `item` lists them.
const BLOCK_KINDS: [&str; 12] = [
    "use",
    "pipeline",
    "param",
    "source",
    "transform",
    "split",
    "model",
    "evaluate",
    "policy",
    "deploy",
    "env",
    "catalog",
];

fn item(label: &str, kind: lsp::CompletionItemKind, detail: String) -> lsp::CompletionItem {
    lsp::CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: Some(detail).filter(|d| !d.is_empty()),
        ..Default::default()
    }
}

fn columns(schema: &Schema) -> Vec<lsp::CompletionItem> {
    schema
        .columns
        .iter()
        .map(|c| {
            let tags: Vec<String> = c.tags.iter().map(|t| format!(" @{t}")).collect();
            item(
                &c.name,
                lsp::CompletionItemKind::FIELD,
                format!("{}{}", c.type_text(), tags.concat()),
            )
        })
        .collect()
}

/// The block of the entry file whose span holds `offset`.
fn block_at(program: &Program, offset: usize) -> Option<&crate::check::Block> {
    program
        .blocks
        .iter()
        .filter(|b| b.file.0 == 0)
        .find(|b| b.span.start as usize <= offset && offset <= b.span.end as usize)
}

/// The completions at `position`: block kinds at the start of a line;
/// operations after `|`; in a transform chain, the columns in scope at
/// that step (the schema before it); in a model, its data's columns, the
/// algorithms after `:` and the algorithm's hyper-parameters; in an
/// evaluate, the metrics valid for the model's kind.
pub fn completion(
    analysis: &Analysis,
    path: &Path,
    position: lsp::Position,
) -> Vec<lsp::CompletionItem> {
    let text = &analysis.text;
    let offset = analysis.index.offset(text, position);
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    if let Some(typed) = before.strip_prefix("use ") {
        let start = analysis.index.position(text, offset - typed.len());
        let range = lsp::Range {
            start,
            end: position,
        };
        return module_paths(&analysis.modules, path, range);
    }
    // Past the last character that is not part of a word (which may take
    // more than one byte).
    let word_start = before
        .char_indices()
        .rfind(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let context = before[..word_start].trim_end();
    if context.is_empty() && !before.starts_with([' ', '\t']) {
        return BLOCK_KINDS
            .iter()
            .map(|k| item(k, lsp::CompletionItemKind::KEYWORD, String::new()))
            .collect();
    }
    let catalogue = catalog::get();
    if context.ends_with('|') {
        return catalogue
            .operations
            .iter()
            .map(|o| {
                let named = o
                    .named
                    .as_ref()
                    .map_or_else(|| "NAME = expression, ...".to_string(), |n| n.join(", "));
                item(
                    &o.name,
                    lsp::CompletionItemKind::FUNCTION,
                    format!("{}({named})", o.name),
                )
            })
            .collect();
    }
    let Some(compilation) = analysis.compilation.as_ref() else {
        return Vec::new();
    };
    if context.is_empty() {
        if let Some(words) = body_words_at(compilation, text, offset) {
            return words;
        }
    }
    let program = &compilation.program;
    let Some(block) = block_at(program, offset) else {
        return Vec::new();
    };
    match &block.info {
        BlockInfo::Transform(t) => {
            // The schema a step sees is the one after the step before it.
            let previous = t
                .steps
                .iter()
                .take_while(|s| (s.span.start as usize) < offset)
                .collect::<Vec<_>>();
            let scope = match previous.len() {
                0 | 1 => program.table_schema(&t.input.block),
                n => Some(&previous[n - 2].schema),
            };
            scope.map(columns).unwrap_or_default()
        }
        BlockInfo::Model(_) if context.ends_with(':') => catalogue
            .algorithms
            .iter()
            .map(|a| {
                item(
                    &a.name,
                    lsp::CompletionItemKind::CLASS,
                    a.kind.as_str().into(),
                )
            })
            .collect(),
        BlockInfo::Model(m) => {
            let mut items: Vec<_> = m
                .data
                .as_ref()
                .and_then(|d| program.table_schema(&d.block))
                .map(columns)
                .unwrap_or_default();
            if let Some(algorithm) = catalogue.algorithm(&m.algorithm) {
                items.extend(algorithm.hyper.iter().map(|h| {
                    item(
                        &h.name,
                        lsp::CompletionItemKind::PROPERTY,
                        format!("{} = {}: {}", h.ty, h.default, h.meaning),
                    )
                }));
            }
            items
        }
        BlockInfo::Evaluate(e) => {
            let kind = e
                .model
                .as_deref()
                .and_then(|name| program.by_name(name))
                .and_then(|b| match &b.info {
                    BlockInfo::Model(m) => m.model_kind,
                    _ => None,
                });
            catalogue
                .metrics
                .iter()
                .filter(|metric| kind.is_none_or(|k| metric.kind == k))
                .map(|metric| {
                    item(
                        &metric.name,
                        lsp::CompletionItemKind::VALUE,
                        format!("a metric of a {}", metric.kind.as_str()),
                    )
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// At the start of a line directly in a block's body (not in a nested
/// block such as `schema { }`), the fields and nested blocks of its kind.
fn body_words_at(
    compilation: &crate::driver::Compilation,
    text: &str,
    offset: usize,
) -> Option<Vec<lsp::CompletionItem>> {
    let entry = compilation.resolved.modules.first()?;
    let block = entry
        .ast
        .items
        .iter()
        .find(|i| (i.span.start as usize) < offset && offset <= i.span.end as usize)?;
    let inside = text.get(block.span.start as usize..offset)?;
    let depth = inside.matches('{').count() as i64 - inside.matches('}').count() as i64;
    if depth != 1 {
        return None;
    }
    let words = crate::check::body_words(block);
    (!words.is_empty()).then(|| {
        words
            .into_iter()
            .map(|(word, required)| {
                let detail = if required { "required" } else { "optional" };
                item(word, lsp::CompletionItemKind::FIELD, detail.into())
            })
            .collect()
    })
}

/// After `use `: the standard modules, and the project's other files as
/// `"./path.mlp" as name`, each path relative to the importing file.
fn module_paths(modules: &[PathBuf], path: &Path, range: lsp::Range) -> Vec<lsp::CompletionItem> {
    let with_edit = |label: String, insert: String, kind, detail: &str| lsp::CompletionItem {
        filter_text: Some(label.clone()),
        text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit {
            range,
            new_text: insert,
        })),
        ..item(&label, kind, detail.to_string())
    };
    let mut out: Vec<_> = crate::resolve::stdlib::MODULES
        .iter()
        .map(|(name, _)| {
            let kind = lsp::CompletionItemKind::MODULE;
            with_edit(name.to_string(), name.to_string(), kind, "standard library")
        })
        .collect();
    let dir = path.parent().unwrap_or(Path::new(""));
    for module in modules.iter().filter(|m| m.as_path() != path) {
        let Some(relative) = relative(dir, module) else {
            continue;
        };
        let stem = module
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("module");
        // The name the import binds must be an identifier.
        let mut alias: String = stem
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        if alias.starts_with(|c: char| c.is_ascii_digit()) {
            alias.insert(0, '_');
        }
        let label = format!("\"{relative}\"");
        let insert = format!("{label} as {alias}");
        out.push(with_edit(
            label,
            insert,
            lsp::CompletionItemKind::FILE,
            "a file of the project",
        ));
    }
    out
}

/// `to` relative to the folder `from`, `./` or `../` first, `/` between.
fn relative(from: &Path, to: &Path) -> Option<String> {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec![".".into()];
    if common < from.len() {
        parts = vec!["..".into(); from.len() - common];
    }
    for c in &to[common..] {
        parts.push(c.as_os_str().to_str()?.to_string());
    }
    Some(parts.join("/"))
}
