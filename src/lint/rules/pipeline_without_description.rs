//! A pipeline that does not say what it is for.
//!
//! ## What it does
//!
//! Reports a pipeline whose `pipeline` block has no `description`.
//!
//! ## Why it matters
//!
//! A reviewer, an on-call engineer or an auditor reading the pipeline (or the
//! model card generated from it) needs one sentence on what the model decides
//! and for whom.
//!
//! ## Example
//!
//! ```mlp
//! pipeline credit {
//!   owner = "risk-ml@example.com"
//!   risk = high
//! }
//! ```
//!
//! ## How to fix
//!
//! Add `description = "..."` to the `pipeline` block.
//!
//! ## References
//!
//! - Mitchell et al., *Model Cards for Model Reporting* (2019): model details.

use super::super::{facts, Context, Rule};
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV003",
    name: "pipeline-without-description",
    severity: Severity::Warning,
    doc: include_str!("../../../docs/rules/GOV003.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    if ctx.program.pipeline.is_none() || facts::pipeline_text(ctx, "description").is_some() {
        return;
    }
    let (file, span) = facts::pipeline_position(ctx);
    out.push(
        RULE.finding("the pipeline has no description")
            .with_label(file, span, "no `description`")
            .with_help("add `description = \"what the model decides, for whom\"`"),
    );
}
