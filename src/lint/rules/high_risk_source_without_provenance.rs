//! A high-risk pipeline's data source that does not say where its data comes from.
//!
//! ## What it does
//!
//! Reports each of `origin` and `purpose` missing from a `source` block of a
//! `high` risk pipeline.
//!
//! ## Why it matters
//!
//! The data governance of a high-risk system covers the origin of the data
//! and the purpose it was collected for: personal data collected for one
//! purpose cannot be reused for another without a legal basis, and an
//! auditor must be able to trace every training row to its source.
//!
//! ## Example
//!
//! ```mlp
//! source applications: csv {
//!   path = "data/applications.csv"
//!   schema { Age: int }
//! }
//! ```
//!
//! ## How to fix
//!
//! Add `origin = "loan applications 2019-2024, core banking export"` and
//! `purpose = "credit decisions"` to the source.
//!
//! ## References
//!
//! - EU AI Act, Article 10(2)(b) (data collection processes and origin).

use super::super::{facts, Context, Rule};
use crate::check::types::Value;
use crate::check::BlockInfo;
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV010",
    name: "high-risk-source-without-provenance",
    severity: Severity::Error,
    doc: include_str!("../../../docs/rules/GOV010.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    if !facts::is_high_risk(ctx) {
        return;
    }
    for block in facts::own_blocks(ctx) {
        if !matches!(block.info, BlockInfo::Source(_)) {
            continue;
        }
        for field in ["origin", "purpose"] {
            let written =
                matches!(block.fields.get(field), Some(Value::Str(s)) if !s.trim().is_empty());
            if written {
                continue;
            }
            out.push(
                RULE.finding(format!(
                    "source `{}` does not record its data's `{field}`",
                    block.name
                ))
                .with_label(
                    block.file,
                    facts::name_span(ctx, block),
                    format!("no `{field}`"),
                )
                .with_help(format!("add `{field} = \"...\"` to the source")),
            );
        }
    }
}
