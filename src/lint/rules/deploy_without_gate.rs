//! A deployment that no policy gates.
//!
//! ## What it does
//!
//! Reports a deployment that serves a model (Kubernetes, Docker, compose)
//! with no `gates = [...]`. An Argo workflow runs the pipeline and releases
//! nothing, so it needs none.
//!
//! ## Why it matters
//!
//! Gates are what stop a model that misses its bar (accuracy, fairness,
//! approval) from being released. Without one, any model that trains is
//! deployed.
//!
//! ## Example
//!
//! ```mlp
//! deploy api: kubernetes { model = scorer, image = "registry.example.com/s:1.0" }
//! ```
//!
//! ## How to fix
//!
//! List the policies that must hold: `gates = [launch_bar, baseline.production]`.
//!
//! ## References
//!
//! - EU AI Act, Article 9 (risk management: testing against prior thresholds).

use super::super::{facts, Context, Rule};
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV015",
    name: "deploy-without-gate",
    severity: Severity::Warning,
    doc: include_str!("../../../docs/rules/GOV015.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for (block, info) in facts::deploys(ctx) {
        if !info.gates.is_empty() || info.model.is_none() {
            continue;
        }
        out.push(
            RULE.finding(format!("deployment `{}` is gated by no policy", block.name))
                .with_label(block.file, facts::name_span(ctx, block), "no `gates`")
                .with_help("list the policies that must hold: `gates = [launch_bar]`"),
        );
    }
}
