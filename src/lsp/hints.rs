//! Inlay hints, when the client opts in (`initializationOptions`:
//! `{"inlayHints": {"schema": true}}`): after each step of a transform
//! chain, the columns of the schema the checker computed after it.

use super::analysis::Analysis;
use crate::check::BlockInfo;
use lsp_types as lsp;

/// How many column names a hint shows before it abbreviates.
const SHOWN: usize = 4;

/// The hints of the steps that end inside `range`.
pub fn schema_hints(analysis: &Analysis, range: lsp::Range) -> Vec<lsp::InlayHint> {
    let Some(c) = analysis.compilation.as_ref() else {
        return Vec::new();
    };
    let entry = c.resolved.module(0).file;
    let text = &analysis.text;
    let mut out = Vec::new();
    for block in c.program.blocks.iter().filter(|b| b.file == entry) {
        let BlockInfo::Transform(t) = &block.info else {
            continue;
        };
        for step in &t.steps {
            let position = analysis.index.position(text, step.span.end as usize);
            if position < range.start || position > range.end {
                continue;
            }
            let names: Vec<&str> = step.schema.names().collect();
            let mut label = names[..names.len().min(SHOWN)].join(", ");
            if names.len() > SHOWN {
                label.push_str(&format!(", … (+{})", names.len() - SHOWN));
            }
            let tooltip: Vec<String> = step
                .schema
                .columns
                .iter()
                .map(|col| format!("{}: {}", col.name, col.type_text()))
                .collect();
            out.push(lsp::InlayHint {
                position,
                label: lsp::InlayHintLabel::String(format!("→ {label}")),
                kind: Some(lsp::InlayHintKind::TYPE),
                text_edits: None,
                tooltip: Some(lsp::InlayHintTooltip::String(tooltip.join("\n"))),
                padding_left: Some(true),
                padding_right: None,
                data: None,
            });
        }
    }
    out
}
