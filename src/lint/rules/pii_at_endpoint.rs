//! A deployed endpoint that takes personal data.
//!
//! ## What it does
//!
//! Reports a deployment whose model takes a `@pii` feature: every caller of
//! the endpoint sends personal data, and the service receives, logs and
//! perhaps stores it.
//!
//! ## Why it matters
//!
//! An endpoint's request logs, traces and caches hold whatever the callers
//! send. Personal data there spreads to systems that were never assessed for
//! it.
//!
//! ## Example
//!
//! ```mlp
//! deploy api: kubernetes { model = m, image = "registry.example.com/m:1.0" }
//! ```
//!
//! where `m` has an `@pii` feature.
//!
//! ## How to fix
//!
//! Train the served model without the `@pii` columns.
//!
//! ## References
//!
//! - GDPR, Article 25 (data protection by design).

use super::super::{facts, Context, Rule};
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV012",
    name: "pii-at-endpoint",
    severity: Severity::Error,
    doc: include_str!("../../../docs/rules/GOV012.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for (block, info) in facts::deploys(ctx) {
        if !info.tags.contains("pii") {
            continue;
        }
        let model = info.model.as_deref().unwrap_or("its model");
        let span = facts::field_span(ctx, block, "model");
        out.push(
            RULE.finding(format!(
                "deployment `{}` takes personal data: `{model}` has @pii features",
                block.name
            ))
            .with_label(block.file, span, "serves a model with @pii inputs")
            .with_help("serve a model trained without the @pii columns"),
        );
    }
}
