//! A deployment that does not bound the resources it takes.
//!
//! ## What it does
//!
//! Reports a Kubernetes or compose deployment without `resources { cpu,
//! memory }` (what it requests) or without `limits { cpu, memory }` (what it
//! may use at most).
//!
//! ## Why it matters
//!
//! Without requests the scheduler packs the service onto a node that cannot
//! hold it; without limits one misbehaving replica (a memory leak, a huge
//! request) starves every other service on its node.
//!
//! ## Example
//!
//! ```mlp
//! deploy api: kubernetes { model = scorer, image = "registry.example.com/s:1.0" }
//! ```
//!
//! ## How to fix
//!
//! Add `resources { cpu = 500m, memory = 512Mi }` and
//! `limits { cpu = 1000m, memory = 1Gi }`.
//!
//! ## References
//!
//! - Kubernetes documentation, *Resource Management for Pods and Containers*.

use super::super::{facts, Context, Rule};
use super::quoted;
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV020",
    name: "deploy-without-resources",
    severity: Severity::Warning,
    doc: include_str!("../../../docs/rules/GOV020.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for (block, info) in facts::deploys(ctx) {
        if !matches!(info.target.as_str(), "kubernetes" | "compose") {
            continue;
        }
        let missing: Vec<&str> = [
            "resources.cpu",
            "resources.memory",
            "limits.cpu",
            "limits.memory",
        ]
        .into_iter()
        .filter(|f| !block.fields.contains_key(*f))
        .collect();
        if missing.is_empty() {
            continue;
        }
        out.push(
            RULE.finding(format!(
                "deployment `{}` does not set {}",
                block.name,
                quoted(&missing)
            ))
            .with_label(block.file, facts::name_span(ctx, block), "unbounded resources")
            .with_help("add `resources { cpu = 500m, memory = 512Mi }` and `limits { cpu = 1000m, memory = 1Gi }`"),
        );
    }
}
