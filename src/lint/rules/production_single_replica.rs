//! A production deployment with a single replica.
//!
//! ## What it does
//!
//! Reports a Kubernetes or compose deployment that runs fewer than 2 replicas
//! in an environment whose name says production (`prod`, `production`,
//! `prd`, `live`): the value of its `env` overlay, or the deployment's own
//! when the overlay does not set it.
//!
//! ## Why it matters
//!
//! One replica is one point of failure: a node drain, a rollout or a crash
//! takes the service down.
//!
//! ## Example
//!
//! ```mlp
//! deploy api: kubernetes { model = scorer, image = "registry.example.com/s:1.0" }
//! env prod { api.namespace = "prod" }
//! ```
//!
//! ## How to fix
//!
//! Set `replicas = 2` or more, in the deployment or in the production overlay
//! (`env prod { api.replicas = 3 }`).
//!
//! ## References
//!
//! - Kubernetes documentation, *Running Multiple Instances of Your App*.

use super::super::{facts, Context, Rule};
use crate::check::types::Value;
use crate::diagnostics::{Diagnostic, Severity};
use crate::syntax::ast::{ExprKind, ItemKind};

pub static RULE: Rule = Rule {
    code: "GOV021",
    name: "production-single-replica",
    severity: Severity::Warning,
    doc: include_str!("../../../docs/rules/GOV021.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for module in &ctx.resolved.modules {
        if matches!(module.origin, crate::resolve::Origin::Std(_)) {
            continue;
        }
        for item in &module.ast.items {
            let ItemKind::Env(env) = &item.kind else {
                continue;
            };
            if !is_production(&env.name.name) {
                continue;
            }
            for (block, info) in facts::deploys(ctx) {
                if !matches!(info.target.as_str(), "kubernetes" | "compose") {
                    continue;
                }
                let short = block.name.rsplit('.').next().unwrap_or(&block.name);
                let overlay = env.body.fields().find(|f| {
                    let path: Vec<&str> = f.path.segments.iter().map(|s| s.name.as_str()).collect();
                    path == [short, "replicas"]
                });
                let replicas = match overlay {
                    Some(f) => match &f.value.kind {
                        ExprKind::Number(n) => n.value.as_f64(),
                        _ => continue,
                    },
                    None => match block.fields.get("replicas") {
                        Some(Value::Int(n)) => *n as f64,
                        _ => 1.0,
                    },
                };
                if replicas >= 2.0 {
                    continue;
                }
                let (file, span) = match overlay {
                    Some(f) => (module.file, f.span),
                    None => (block.file, facts::field_span(ctx, block, "replicas")),
                };
                out.push(
                    RULE.finding(format!(
                        "`{}` runs {replicas} replica in the production environment `{}`",
                        block.name, env.name.name
                    ))
                    .with_label(file, span, "a single point of failure")
                    .with_help(format!(
                        "set `{short}.replicas = 2` or more in `env {}`",
                        env.name.name
                    )),
                );
            }
        }
    }
}

fn is_production(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| matches!(w, "prod" | "production" | "prd" | "live"))
}
