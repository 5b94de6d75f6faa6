//! A high-risk deployment without drift monitoring.
//!
//! ## What it does
//!
//! Reports a deployment of a `high` risk pipeline with no `monitor` block, or
//! whose `monitor` block watches no input drift (`drift(psi) < 0.2`).
//!
//! ## Why it matters
//!
//! A model's inputs change after release; the provider of a high-risk system
//! must collect and review data on its performance for as long as it is on
//! the market. Drift is the first sign that the evaluated accuracy no longer
//! holds.
//!
//! ## Example
//!
//! ```mlp
//! deploy api: kubernetes {
//!   model = scorer
//!   image = "registry.example.com/s:1.0"
//!   monitor { latency_p99 < 200ms }
//! }
//! ```
//!
//! ## How to fix
//!
//! Add a drift condition: `monitor { drift(psi) < 0.2 }`.
//!
//! ## References
//!
//! - EU AI Act, Article 72 (post-market monitoring).

use super::super::{facts, Context, Rule};
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV006",
    name: "high-risk-deploy-without-monitoring",
    severity: Severity::Error,
    doc: include_str!("../../../docs/rules/GOV006.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    if !facts::is_high_risk(ctx) {
        return;
    }
    for (block, info) in facts::deploys(ctx) {
        if info
            .monitor
            .iter()
            .any(|m| m.trim_start().starts_with("drift"))
        {
            continue;
        }
        let span = facts::nested_span(ctx, block, "monitor")
            .unwrap_or_else(|| facts::name_span(ctx, block));
        let what = if info.monitor.is_empty() {
            "has no `monitor` block"
        } else {
            "monitors no input drift"
        };
        out.push(
            RULE.finding(format!("high-risk deployment `{}` {what}", block.name))
                .with_label(block.file, span, "no drift monitoring")
                .with_help("add `monitor { drift(psi) < 0.2 }`"),
        );
    }
}
