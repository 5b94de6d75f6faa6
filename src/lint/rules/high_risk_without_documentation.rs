//! A high-risk pipeline missing the documentation an auditor asks for.
//!
//! ## What it does
//!
//! Reports each of `provider`, `version`, `intended_use`, `limitations` and
//! `residual_risks` missing from the `pipeline` block of a `high` risk
//! pipeline.
//!
//! ## Why it matters
//!
//! The technical documentation of a high-risk system states who provides it,
//! which version is in service, what it is intended for, where it must not be
//! relied on, and which risks remain after mitigation. Written in the
//! pipeline, they are versioned with the model and fill in its model card and
//! its Annex IV outline (`mlp doc`).
//!
//! ## Example
//!
//! ```mlp
//! pipeline credit { owner = "a@example.com", risk = high }
//! ```
//!
//! ## How to fix
//!
//! Add the missing fields, e.g.
//! `intended_use = "pre-screening of consumer loan applications"`.
//!
//! ## References
//!
//! - EU AI Act, Article 11 and Annex IV (technical documentation); Article 9(5)
//!   (residual risks); Article 13 (transparency to deployers).

use super::super::{facts, Context, Rule};
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV008",
    name: "high-risk-without-documentation",
    severity: Severity::Error,
    doc: include_str!("../../../docs/rules/GOV008.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    const FIELDS: [(&str, &str); 5] = [
        ("provider", "who places the system on the market"),
        ("version", "the version in service"),
        ("intended_use", "what the system is intended for"),
        ("limitations", "where it must not be relied on"),
        ("residual_risks", "the risks that remain after mitigation"),
    ];
    if !facts::is_high_risk(ctx) {
        return;
    }
    let (file, span) = facts::pipeline_position(ctx);
    for (field, meaning) in FIELDS {
        if facts::pipeline_text(ctx, field).is_some() {
            continue;
        }
        out.push(
            RULE.finding(format!(
                "the high-risk pipeline does not document `{field}`"
            ))
            .with_label(file, span, format!("no `{field}`"))
            .with_help(format!("add `{field} = \"...\"`: {meaning}")),
        );
    }
}
