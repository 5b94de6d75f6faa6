//! Quick fixes for the diagnostics that have an obvious fix: the edit a
//! phase suggested (`Diagnostic::suggestion`: the name it meant, a missing
//! required field), and a `one_hot` step for an enum given to a model as a
//! feature. Computed with the analysis, on the worker thread; a request
//! only picks those whose diagnostic touches its range.

use super::analysis::Analysis;
use super::documents::LineIndex;
use super::index;
use crate::check::types::ColumnType;
use crate::check::TableRef;
use crate::diagnostics::{codes, Diagnostic};
use crate::driver::Compilation;
use crate::source::Span;
use crate::syntax::ast::{self, ExprKind, ItemKind};
use lsp_types as lsp;
use std::collections::HashMap;

/// One fix of one diagnostic of the document: edits of the document itself.
pub struct Fix {
    pub diagnostic: lsp::Diagnostic,
    pub title: String,
    pub edits: Vec<lsp::TextEdit>,
    /// The phase's own suggestion: the one an editor may apply at once.
    pub preferred: bool,
}

/// The fixes of `diagnostics` (each with its LSP form), in the entry file
/// `text` of `c`.
pub fn fixes(
    c: &Compilation,
    text: &str,
    lines: &LineIndex,
    diagnostics: &[(&Diagnostic, lsp::Diagnostic)],
) -> Vec<Fix> {
    let entry = c.resolved.module(0).file;
    let edit = |span: Span, new_text: String| lsp::TextEdit {
        range: lines.range(text, span),
        new_text,
    };
    let mut out = Vec::new();
    for (d, lsp_diagnostic) in diagnostics {
        if let Some(s) = d.suggestion.as_ref().filter(|s| s.file == entry) {
            let title = if s.span.is_empty() {
                format!("Add `{}`", s.replacement.trim().trim_end_matches(','))
            } else {
                format!("Change to `{}`", s.replacement)
            };
            out.push(Fix {
                diagnostic: lsp_diagnostic.clone(),
                title,
                edits: vec![edit(s.span, s.replacement.clone())],
                preferred: true,
            });
        }
        if d.code == codes::BAD_FEATURE {
            for (title, edits) in one_hot(c, d).unwrap_or_default() {
                out.push(Fix {
                    diagnostic: lsp_diagnostic.clone(),
                    title,
                    edits: edits.into_iter().map(|(s, t)| edit(s, t)).collect(),
                    preferred: false,
                });
            }
        }
    }
    out
}

type Edits = Vec<(Span, String)>;

/// For a feature that is an enum: `one_hot` it upstream of the model, and
/// name the columns it makes where the feature was named. A feature list
/// written out names the column at the diagnostic; a default or
/// `all_except(...)` list does not, so every enum feature gets a fix.
fn one_hot(c: &Compilation, d: &Diagnostic) -> Option<Vec<(String, Edits)>> {
    let primary = d.primary()?;
    let entry = c.resolved.module(0).file;
    let (block, model) = c
        .program
        .models()
        .find(|(b, _)| b.file == entry && b.span.contains(primary.span.start as usize))?;
    let data = model.data.as_ref()?;
    let schema = index::table_schema(&c.program, data.id)?;
    let ItemKind::Model(decl) = &c.resolved.item(block.id).kind else {
        return None;
    };
    let written = match decl.body.field("features").map(|f| &f.value.kind) {
        Some(ExprKind::List(items)) => items.iter().find_map(|e| match &e.kind {
            ExprKind::Name(id) if id.span == primary.span => Some(id),
            _ => None,
        }),
        _ => None,
    };
    let columns: Vec<&str> = match written {
        Some(id) => vec![id.name.as_str()],
        None => model.features.iter().map(String::as_str).collect(),
    };
    let mut out = Vec::new();
    for name in columns {
        let Some(ColumnType::Enum(variants)) = schema.get(name).map(|col| &col.ty) else {
            continue;
        };
        let Some(mut edits) = encode(c, decl, data, name) else {
            continue;
        };
        if let Some(id) = written {
            let made: Vec<String> = variants
                .iter()
                .map(|v| crate::check::one_hot_column(name, v))
                .collect();
            edits.push((id.span, made.join(", ")));
        }
        out.push((format!("Add `one_hot({name})` before the model"), edits));
    }
    Some(out)
}

/// The edits that one-hot encode `column` in the table `data` reads: a step
/// at the end of the nearest transform upstream, or, when the table comes
/// from its source without one, a new transform after the source that the
/// source's reader (a split, or `model` itself) reads instead. Only in the
/// entry file, the one edited.
fn encode(c: &Compilation, model: &ast::ModelDecl, data: &TableRef, column: &str) -> Option<Edits> {
    let entry = c.resolved.module(0).file;
    let chain = c.program.upstream(data);
    let step = format!("\n  | one_hot({column})");
    for block in &chain {
        if let ItemKind::Transform(t) = &c.resolved.item(block.id).kind {
            if block.file != entry {
                return None;
            }
            let end = t.steps.last().map_or(t.input.span.end, |s| s.span.end) as usize;
            return Some(vec![(Span::new(end, end), step)]);
        }
    }
    let source = chain.last().filter(|b| b.file == entry)?;
    let source_item = c.resolved.item(source.id);
    // What reads the source: the block just below it, or the model itself.
    let reader = match chain.len() {
        1 => None,
        n if chain[n - 2].file == entry => Some(c.resolved.item(chain[n - 2].id)),
        _ => return None,
    };
    let input = match reader.map(|i| &i.kind) {
        Some(ItemKind::Split(s)) => s.input.segments.first()?.span,
        Some(_) => return None,
        None => {
            let path = model.body.field("data")?.value.as_path()?;
            path.first().filter(|id| id.name == source.name)?.span
        }
    };
    let blocks = &c.resolved.module(0).blocks;
    let mut name = format!("{}_encoded", source.name);
    for n in 2.. {
        if !blocks.contains_key(&name) {
            break;
        }
        name = format!("{}_encoded{n}", source.name);
    }
    let end = source_item.span.end as usize;
    Some(vec![
        (
            Span::new(end, end),
            format!("\n\ntransform {name} = {}{step}", source.name),
        ),
        (input, name),
    ])
}

/// The quick fixes whose diagnostic touches `range`, as code actions on `uri`.
#[allow(clippy::mutable_key_type)] // `WorkspaceEdit::changes` is keyed by `Uri`
pub fn code_actions(
    analysis: &Analysis,
    uri: &lsp::Uri,
    range: lsp::Range,
) -> Vec<lsp::CodeActionOrCommand> {
    analysis
        .fixes
        .iter()
        .filter(|f| f.diagnostic.range.start <= range.end && range.start <= f.diagnostic.range.end)
        .map(|f| {
            let changes = HashMap::from([(uri.clone(), f.edits.clone())]);
            lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: f.title.clone(),
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![f.diagnostic.clone()]),
                edit: Some(lsp::WorkspaceEdit {
                    changes: Some(changes),
                    ..Default::default()
                }),
                is_preferred: Some(f.preferred),
                ..Default::default()
            })
        })
        .collect()
}
