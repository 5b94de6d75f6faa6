//! A pipeline that declares no risk tier.
//!
//! ## What it does
//!
//! Reports a pipeline whose `pipeline` block has no `risk` field.
//!
//! ## Why it matters
//!
//! The risk tier decides which obligations apply: a `high` risk system
//! (credit scoring, hiring, medical triage) must meet the EU AI Act's
//! Articles 9 to 15, and several rules of this linter only apply to it. A
//! pipeline without a tier is silently treated as the lowest one.
//!
//! ## Example
//!
//! ```mlp
//! pipeline credit {
//!   owner = "risk-ml@example.com"
//! }
//! ```
//!
//! ## How to fix
//!
//! Add `risk = minimal`, `limited`, `high` or `unacceptable` to the
//! `pipeline` block.
//!
//! ## References
//!
//! - EU AI Act, Article 6 and Annex III (classification of high-risk systems).

use super::super::{facts, Context, Rule};
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV002",
    name: "pipeline-without-risk-tier",
    severity: Severity::Warning,
    doc: include_str!("../../../docs/rules/GOV002.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    if facts::risk(ctx).is_some() {
        return;
    }
    let (file, span) = facts::pipeline_position(ctx);
    out.push(
        RULE.finding("the pipeline declares no risk tier")
            .with_label(file, span, "no `risk`")
            .with_help("add `risk = minimal`, `limited`, `high` or `unacceptable`"),
    );
}
