//! A high-risk deployment that keeps no logs, or not for six months.
//!
//! ## What it does
//!
//! Reports a deployment of a `high` risk pipeline with no
//! `logging { retention = ... }`, or with a retention shorter than 180 days.
//!
//! ## Why it matters
//!
//! High-risk systems must record events automatically over their lifetime,
//! and deployers must keep those logs for at least six months, so that a
//! decision can be traced back when it is challenged.
//!
//! ## Example
//!
//! ```mlp
//! deploy api: kubernetes {
//!   model = scorer
//!   image = "registry.example.com/s:1.0"
//!   logging { retention = 30d }
//! }
//! ```
//!
//! ## How to fix
//!
//! Declare `logging { retention = 180d }` (or longer).
//!
//! ## References
//!
//! - EU AI Act, Article 12 (record-keeping) and Article 19 (automatically
//!   generated logs, kept at least six months).

use super::super::{facts, Context, Rule};
use crate::check::types::Value;
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV007",
    name: "high-risk-deploy-without-log-retention",
    severity: Severity::Error,
    doc: include_str!("../../../docs/rules/GOV007.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    const SIX_MONTHS_MS: f64 = 180.0 * 24.0 * 3600.0 * 1000.0;
    if !facts::is_high_risk(ctx) {
        return;
    }
    for (block, _) in facts::deploys(ctx) {
        let retention = match block.fields.get("logging.retention") {
            Some(Value::Duration(d)) => Some(d.ms),
            _ => None,
        };
        let message = match retention {
            Some(ms) if ms >= SIX_MONTHS_MS => continue,
            Some(ms) => format!(
                "high-risk deployment `{}` keeps its logs {:.0} days, less than six months",
                block.name,
                ms / (24.0 * 3600.0 * 1000.0)
            ),
            None => format!(
                "high-risk deployment `{}` declares no log retention",
                block.name
            ),
        };
        let span = facts::field_span(ctx, block, "logging.retention");
        out.push(
            RULE.finding(message)
                .with_label(block.file, span, "retention under 180 days")
                .with_help("declare `logging { retention = 180d }` or longer"),
        );
    }
}
