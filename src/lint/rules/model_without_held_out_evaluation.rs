//! A model that no evaluation measures on held-out rows.
//!
//! ## What it does
//!
//! Reports a model with no `evaluate` block on a `test` or `validation` part
//! of a split. In a `high` risk pipeline the finding is an error.
//!
//! ## Why it matters
//!
//! Without a measurement on rows the model has not seen, nothing is known of
//! its accuracy, and no gate can hold it back.
//!
//! ## Example
//!
//! ```mlp
//! model m: ridge { data = holdout.train, target = price }
//! ```
//!
//! ## How to fix
//!
//! Add `evaluate m on holdout.test { metrics = [...] }`.
//!
//! ## References
//!
//! - EU AI Act, Article 15(1) and 15(3) (accuracy declared and measured).

use super::super::{facts, Context, Rule};
use super::error_when_high_risk;
use crate::check::{BlockInfo, TableRef};
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV018",
    name: "model-without-held-out-evaluation",
    severity: Severity::Warning,
    doc: include_str!("../../../docs/rules/GOV018.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    let severity = error_when_high_risk(ctx, &RULE);
    for (block, _) in facts::models(ctx) {
        let held_out = ctx.program.blocks.iter().any(|b| match &b.info {
            BlockInfo::Evaluate(e) => {
                e.model.as_deref() == Some(block.name.as_str())
                    && e.data.as_ref().is_some_and(|d| {
                        matches!(d.part.as_deref(), Some("test" | "validation"))
                            || evaluated_part(ctx, d).is_some()
                    })
            }
            _ => false,
        });
        if held_out {
            continue;
        }
        let mut d = RULE
            .finding(format!(
                "model `{}` is never evaluated on held-out rows",
                block.name
            ))
            .with_label(
                block.file,
                facts::name_span(ctx, block),
                "no evaluation on test rows",
            )
            .with_help(format!(
                "add `evaluate {} on SPLIT.test {{ metrics = [...] }}`",
                block.name
            ));
        d.severity = severity;
        out.push(d);
    }
}

/// The held-out split part a table comes from, through transforms.
fn evaluated_part<'a>(ctx: &Context<'a>, table: &'a TableRef) -> Option<&'a str> {
    let mut table = table;
    for _ in 0..=ctx.program.blocks.len() {
        if matches!(table.part.as_deref(), Some("test" | "validation")) {
            return table.part.as_deref();
        }
        match &ctx.program.block(table.id?)?.info {
            BlockInfo::Transform(t) => table = &t.input,
            _ => return None,
        }
    }
    None
}
