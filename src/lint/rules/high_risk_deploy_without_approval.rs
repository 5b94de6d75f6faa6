//! A high-risk deployment that no human has to approve.
//!
//! ## What it does
//!
//! Reports a deployment of a `high` risk pipeline that no
//! `require approval for deploy.NAME` rule covers: neither a rule naming it in
//! any policy, nor a `require approval for deploy` rule in a policy that gates
//! it (whose `when risk ...` condition holds).
//!
//! ## Why it matters
//!
//! High-risk systems must be designed so that natural persons can oversee
//! them; a release that reaches users without a person signing it off has no
//! oversight at the moment it matters most.
//!
//! ## Example
//!
//! ```mlp
//! pipeline credit { owner = "a@example.com", risk = high }
//! deploy api: kubernetes { model = scorer, image = "registry.example.com/s:1.0", gates = [launch] }
//! ```
//!
//! ## How to fix
//!
//! Add `require approval for deploy.api "who signs off"` to a policy the
//! deployment lists in `gates`, and record approvals with `mlp approve`.
//!
//! ## References
//!
//! - EU AI Act, Article 14 (human oversight).

use super::super::{facts, Context, Rule};
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV005",
    name: "high-risk-deploy-without-approval",
    severity: Severity::Error,
    doc: include_str!("../../../docs/rules/GOV005.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    if !facts::is_high_risk(ctx) {
        return;
    }
    for (block, info) in facts::deploys(ctx) {
        if facts::approval_required(ctx, block, info) {
            continue;
        }
        out.push(
            RULE.finding(format!(
                "`{}` is a high-risk deployment that no human has to approve",
                block.name
            ))
            .with_label(
                block.file,
                facts::name_span(ctx, block),
                "no approval rule covers it",
            )
            .with_help(format!(
                "add `require approval for deploy.{}` to a policy in its `gates`",
                block.name
            )),
        );
    }
}
