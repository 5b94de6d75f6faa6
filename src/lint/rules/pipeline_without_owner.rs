//! A pipeline that names no owner.
//!
//! ## What it does
//!
//! Reports a pipeline whose `pipeline` block has no `owner` field, or a file
//! with no `pipeline` block at all.
//!
//! ## Why it matters
//!
//! Every model in production needs a person or team who answers for it: who
//! is paged when it drifts, who signs off a retraining, who an auditor asks.
//! An owner written in the pipeline travels with the code and shows in every
//! generated manifest and model card.
//!
//! ## Example
//!
//! ```mlp
//! pipeline credit {
//!   risk = high
//! }
//! ```
//!
//! ## How to fix
//!
//! Add `owner = "team@example.com"` to the `pipeline` block.
//!
//! ## References
//!
//! - EU AI Act, Article 17 (quality management system: accountability).
//! - ISO/IEC 42001, clause 5.3 (roles and responsibilities).

use super::super::{facts, Context, Rule};
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV001",
    name: "pipeline-without-owner",
    severity: Severity::Warning,
    doc: include_str!("../../../docs/rules/GOV001.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    if facts::pipeline_text(ctx, "owner").is_some() {
        return;
    }
    let (file, span) = facts::pipeline_position(ctx);
    out.push(
        RULE.finding("the pipeline names no owner")
            .with_label(file, span, "no `owner`")
            .with_help("add `owner = \"team@example.com\"` to the `pipeline` block"),
    );
}
