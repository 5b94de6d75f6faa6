//! A system of unacceptable risk with a deployment.
//!
//! ## What it does
//!
//! Reports every `deploy` block of a pipeline whose risk tier is
//! `unacceptable`.
//!
//! ## Why it matters
//!
//! Practices of unacceptable risk (social scoring, manipulation, untargeted
//! scraping of faces, ...) are prohibited in the EU: such a model may be
//! studied, never put into service.
//!
//! ## Example
//!
//! ```mlp
//! pipeline scoring { owner = "a@example.com", risk = unacceptable }
//! deploy api: kubernetes { model = m, image = "registry.example.com/m:1.0" }
//! ```
//!
//! ## How to fix
//!
//! Remove the deployment, or reassess the risk tier with your compliance team.
//!
//! ## References
//!
//! - EU AI Act, Article 5 (prohibited AI practices).

use super::super::{facts, Context, Rule};
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV004",
    name: "unacceptable-risk-deployed",
    severity: Severity::Error,
    doc: include_str!("../../../docs/rules/GOV004.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    if facts::risk(ctx) != Some("unacceptable") {
        return;
    }
    for (block, _) in facts::deploys(ctx) {
        out.push(
            RULE.finding(format!(
                "`{}` deploys a system of unacceptable risk, which may not be put into service",
                block.name
            ))
            .with_label(
                block.file,
                facts::name_span(ctx, block),
                "prohibited deployment",
            )
            .with_help("remove the deployment, or reassess the pipeline's `risk`"),
        );
    }
}
