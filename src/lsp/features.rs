//! Requests answered from the latest analysis or the current text: hover,
//! formatting and the outline.

use super::analysis::Analysis;
use super::documents::{Document, LineIndex};
use crate::check::types::Schema;
use crate::check::BlockInfo;
use crate::driver::Compilation;
use crate::source::FileId;
use crate::syntax::{self, ast};
use lsp_types as lsp;

/// The identifier under `offset` in `text`.
pub(super) fn word_at(text: &str, offset: usize) -> Option<(usize, usize)> {
    let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let bytes = text.as_bytes();
    let offset = offset.min(bytes.len());
    let mut start = offset;
    while start > 0 && is_word(bytes[start - 1]) {
        start -= 1;
    }
    let mut end = offset;
    while end < bytes.len() && is_word(bytes[end]) {
        end += 1;
    }
    (start < end).then_some((start, end))
}

fn schema_table(schema: &Schema) -> String {
    let mut out = String::from("| column | type | tags |\n| --- | --- | --- |\n");
    for c in &schema.columns {
        let tags: Vec<String> = c.tags.iter().map(|t| format!("@{t}")).collect();
        out.push_str(&format!(
            "| `{}` | `{}` | {} |\n",
            c.name,
            c.type_text(),
            tags.join(" ")
        ));
    }
    out
}

/// Hover: the schema of a table block (or of a transform step), a model's
/// kind, features and target, a parameter's type and value, or an
/// algorithm's hyper-parameters from the catalogue.
pub fn hover(analysis: &Analysis, position: lsp::Position) -> Option<lsp::Hover> {
    let text = &analysis.text;
    let index = &analysis.index;
    let offset = index.offset(text, position);
    let (start, end) = word_at(text, offset)?;
    let word = &text[start..end];
    let compilation = analysis.compilation.as_ref()?;
    let program = &compilation.program;
    let mut value = None;
    // A step of a transform chain: the schema after it.
    for block in &program.blocks {
        if block.file.0 != 0 {
            continue;
        }
        if let BlockInfo::Transform(t) = &block.info {
            for step in &t.steps {
                if step.span.contains(start) && text.get(step.span.range())?.contains(word) {
                    let head = text[step.span.range()].trim_start_matches(['|', ' ']);
                    if head.starts_with(word) {
                        let meaning = crate::check::catalog::get()
                            .operation(&step.op)
                            .map(|o| format!(": {}", o.meaning))
                            .unwrap_or_default();
                        value = Some(format!(
                            "**step** `{}`{meaning}\n\nin `{}`; schema after it:\n\n{}",
                            step.op,
                            block.name,
                            schema_table(&step.schema)
                        ));
                    }
                }
            }
        }
    }
    if value.is_none() {
        value = column_hover(analysis, compilation, start);
    }
    if value.is_none() {
        if let Some(block) = program.by_name(word) {
            value = Some(match &block.info {
                BlockInfo::Source(s) => format!(
                    "**source** `{}` ({})\n\n{}",
                    block.name,
                    s.format,
                    schema_table(&s.schema)
                ),
                BlockInfo::Transform(t) => format!(
                    "**transform** `{}` ({} steps)\n\n{}",
                    block.name,
                    t.steps.len(),
                    schema_table(&t.schema)
                ),
                BlockInfo::Split(s) => format!(
                    "**split** `{}` ({})\n\n{}",
                    block.name,
                    s.part_names().join(", "),
                    schema_table(&s.schema)
                ),
                BlockInfo::Model(m) => format!(
                    "**model** `{}`: `{}` ({})\n\ntarget: `{}`\n\nfeatures: {}",
                    block.name,
                    m.algorithm,
                    m.model_kind.map_or("unknown kind", |k| k.as_str()),
                    m.target.as_deref().unwrap_or("?"),
                    m.features
                        .iter()
                        .map(|f| format!("`{f}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                other => format!("**{}** `{}`", other.kind_name(), block.name),
            });
            if let (Some(v), Some(doc)) = (value.as_mut(), &block.doc) {
                v.push_str(&format!("\n\n{doc}"));
            }
        } else if let Some(param) = program.params.iter().find(|p| p.name == word) {
            value = Some(format!(
                "**param** `{}`: `{}`{}",
                param.name,
                param.ty,
                param
                    .value
                    .as_ref()
                    .map(|v| format!(" = `{v:?}`"))
                    .unwrap_or_default()
            ));
        } else if let Some(alg) = crate::check::catalog::get().algorithm(word) {
            let mut v = format!(
                "**algorithm** `{}` ({})\n\n{}\n\n",
                alg.name,
                alg.kind.as_str(),
                alg.meaning
            );
            for h in &alg.hyper {
                v.push_str(&format!(
                    "- `{}`: {} = {}: {}\n",
                    h.name, h.ty, h.default, h.meaning
                ));
            }
            value = Some(v);
        } else if let Some(m) = crate::check::catalog::get().metric(word) {
            value = Some(format!(
                "**metric** `{}` of a {}; {} is better",
                m.name,
                m.kind.as_str(),
                if m.higher_is_better {
                    "higher"
                } else {
                    "lower"
                }
            ));
        }
    }
    Some(lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: value?,
        }),
        range: Some(index.range(text, crate::source::Span::new(start, end))),
    })
}

/// A column where it is read: its type, nullability and tags there.
fn column_hover(analysis: &Analysis, compilation: &Compilation, offset: usize) -> Option<String> {
    let found = super::index::at(&analysis.words.names, FileId(0), offset)?;
    let super::index::Target::Column { name, site } = &found.target else {
        return None;
    };
    let column = super::index::site_schema(compilation, *site)?.get(name)?;
    let tags: Vec<String> = column.tags.iter().map(|t| format!("@{t}")).collect();
    Some(format!(
        "**column** `{}`: `{}`{}",
        column.name,
        column.type_text(),
        if tags.is_empty() {
            String::new()
        } else {
            format!(" {}", tags.join(" "))
        }
    ))
}

/// `mlp fmt` on the document: one edit of the whole text, none when it is
/// formatted already or does not parse.
pub fn formatting(doc: &Document) -> Vec<lsp::TextEdit> {
    let parsed = syntax::parse(&doc.text, crate::source::FileId(0));
    if parsed.has_errors() {
        return Vec::new();
    }
    let formatted = crate::fmt::format(&parsed.file, &doc.text);
    if formatted == doc.text {
        return Vec::new();
    }
    let index = LineIndex::new(&doc.text);
    vec![lsp::TextEdit {
        range: lsp::Range {
            start: lsp::Position::default(),
            end: index.position(&doc.text, doc.text.len()),
        },
        new_text: formatted,
    }]
}

/// The outline: one symbol per block, with schema columns and steps inside.
#[allow(deprecated)] // `DocumentSymbol::deprecated` must still be written
pub fn symbols(doc: &Document) -> Vec<lsp::DocumentSymbol> {
    let parsed = syntax::parse(&doc.text, crate::source::FileId(0));
    let index = LineIndex::new(&doc.text);
    let range = |span| index.range(&doc.text, span);
    let symbol = |name: String, kind, span, selection, children: Vec<lsp::DocumentSymbol>| {
        lsp::DocumentSymbol {
            name,
            detail: None,
            kind,
            tags: None,
            deprecated: None,
            range: range(span),
            selection_range: range(selection),
            children: (!children.is_empty()).then_some(children),
        }
    };
    let mut out = Vec::new();
    for item in &parsed.file.items {
        let Some(keyword) = item.keyword() else {
            continue;
        };
        let kind = match keyword {
            ast::BlockKeyword::Use => lsp::SymbolKind::MODULE,
            ast::BlockKeyword::Pipeline => lsp::SymbolKind::NAMESPACE,
            ast::BlockKeyword::Param => lsp::SymbolKind::VARIABLE,
            ast::BlockKeyword::Source => lsp::SymbolKind::STRUCT,
            ast::BlockKeyword::Transform => lsp::SymbolKind::FUNCTION,
            ast::BlockKeyword::Split => lsp::SymbolKind::ENUM,
            ast::BlockKeyword::Model => lsp::SymbolKind::CLASS,
            ast::BlockKeyword::Evaluate => lsp::SymbolKind::EVENT,
            ast::BlockKeyword::Policy => lsp::SymbolKind::INTERFACE,
            ast::BlockKeyword::Deploy => lsp::SymbolKind::PACKAGE,
            ast::BlockKeyword::Env => lsp::SymbolKind::OBJECT,
            ast::BlockKeyword::Catalog => lsp::SymbolKind::CONSTANT,
        };
        let mut children = Vec::new();
        match &item.kind {
            ast::ItemKind::Source(s) => {
                if let Some(schema) = s.body.schema() {
                    for c in &schema.columns {
                        children.push(symbol(
                            c.name.name.clone(),
                            lsp::SymbolKind::FIELD,
                            c.span,
                            c.name.span,
                            Vec::new(),
                        ));
                    }
                }
            }
            ast::ItemKind::Transform(t) => {
                for step in &t.steps {
                    children.push(symbol(
                        step.name.name.clone(),
                        lsp::SymbolKind::METHOD,
                        step.span,
                        step.name.span,
                        Vec::new(),
                    ));
                }
            }
            _ => {}
        }
        let name = match (item.name(), &item.kind) {
            (Some(n), _) => n.name.clone(),
            (None, ast::ItemKind::Evaluate(_)) => crate::resolve::evaluate_name(item),
            (None, ast::ItemKind::Use(u)) => match &u.target {
                ast::UseTarget::Module(p) => p.dotted(),
                ast::UseTarget::File(f) => f.value.clone(),
            },
            _ => keyword.as_str().to_string(),
        };
        let selection = item.name().map_or(item.span, |n| n.span);
        out.push(symbol(name, kind, item.span, selection, children));
    }
    out
}
