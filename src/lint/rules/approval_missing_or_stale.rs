//! A deployment that must be approved, with no approval on record for its model.
//!
//! ## What it does
//!
//! For every deployment that a `require approval for ...` rule covers,
//! looks for an approval record under `approvals/` (written by `mlp
//! approve`). Reports the deployment when there is none, or when the
//! latest run's model artifact is not the one any record approved: the
//! model was retrained after the sign-off. Without a run to compare with,
//! a record for the deployment is enough.
//!
//! ## Why it matters
//!
//! An approval rule that nothing records is hollow: a release can claim a
//! sign-off nobody gave. And an approval is of one model: a retrained model
//! may behave differently, and needs its own.
//!
//! ## Example
//!
//! ```mlp
//! policy launch { require approval for deploy.api "a credit officer signs off" }
//! deploy api: kubernetes { model = scorer, image = "registry.example.com/s:1.0", gates = [launch] }
//! ```
//!
//! with no file in `approvals/`.
//!
//! ## How to fix
//!
//! Run the pipeline, review its report, then
//! `mlp approve . --deploy api --by you@example.com --reason "..."`, and
//! commit the record it writes.
//!
//! ## References
//!
//! - EU AI Act, Article 14 (human oversight) and Article 12 (record-keeping).

use super::super::{facts, Context, Rule};
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV027",
    name: "approval-missing-or-stale",
    severity: Severity::Error,
    doc: include_str!("../../../docs/rules/GOV027.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for (block, info) in facts::deploys(ctx) {
        let Some(model) = info.model.as_deref() else {
            continue;
        };
        if !facts::approval_required(ctx, block, info) {
            continue;
        }
        let records: Vec<_> = ctx
            .approvals
            .iter()
            .filter(|a| a.deploy == block.name && a.model == model)
            .collect();
        let span = facts::name_span(ctx, block);
        let approve = format!(
            "review the latest run, then `mlp approve PATH --deploy {} --by EMAIL --reason \"...\"` and commit the record",
            block.name
        );
        let Some(latest) = records.last() else {
            out.push(
                RULE.finding(format!(
                    "`{}` must be approved, and no approval is on record",
                    block.name
                ))
                .with_label(block.file, span, "no approval in approvals/")
                .with_help(approve),
            );
            continue;
        };
        let Some(current) = ctx.model_hashes.get(model) else {
            continue;
        };
        if records.iter().any(|a| &a.model_hash == current) {
            continue;
        }
        out.push(
            RULE.finding(format!(
                "the approval of `{}` by {} ({}) is for model {}, but the latest run trained model {}",
                block.name,
                latest.by,
                latest.at,
                &latest.model_hash[..latest.model_hash.len().min(12)],
                &current[..current.len().min(12)]
            ))
            .with_label(block.file, span, "the approval is stale")
            .with_help(approve),
        );
    }
}
