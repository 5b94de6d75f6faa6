//! A high-risk deployment that no metric bar holds back.
//!
//! ## What it does
//!
//! Reports a deployment of a `high` risk pipeline none of whose gate policies
//! requires a metric of the model (`require scorer.accuracy >= 0.75`).
//!
//! ## Why it matters
//!
//! The risk management of a high-risk system tests it against thresholds
//! defined beforehand; a deployment gated only by approvals or static rules
//! releases a model whatever its measured accuracy.
//!
//! ## Example
//!
//! ```mlp
//! policy launch { require approval for deploy.api }
//! deploy api: kubernetes { model = scorer, image = "registry.example.com/s:1.0", gates = [launch] }
//! ```
//!
//! ## How to fix
//!
//! Add a metric gate to a policy in `gates`: `require scorer.roc_auc >= 0.78`.
//!
//! ## References
//!
//! - EU AI Act, Article 9(8) (testing against prior defined metrics and
//!   probabilistic thresholds) and Article 15.

use super::super::{facts, Context, Rule};
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV024",
    name: "high-risk-deploy-without-metric-gate",
    severity: Severity::Error,
    doc: include_str!("../../../docs/rules/GOV024.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    if !facts::is_high_risk(ctx) {
        return;
    }
    for (block, info) in facts::deploys(ctx) {
        let Some(model) = info.model.as_deref() else {
            continue;
        };
        let gated = facts::gate_policies(ctx, info)
            .into_iter()
            .flat_map(facts::metric_gates)
            .any(|g| g.model == model || g.model == "model");
        if gated {
            continue;
        }
        out.push(
            RULE.finding(format!(
                "high-risk deployment `{}` releases `{model}` whatever its metrics",
                block.name
            ))
            .with_label(
                block.file,
                facts::field_span(ctx, block, "gates"),
                "no metric gate",
            )
            .with_help(format!(
                "add `require {model}.accuracy >= ...` to a policy in `gates`"
            )),
        );
    }
}
