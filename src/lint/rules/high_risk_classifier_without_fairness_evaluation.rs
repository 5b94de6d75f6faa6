//! A high-risk classifier never examined for bias over a protected attribute.
//!
//! ## What it does
//!
//! In a `high` risk pipeline, for every classifier and every `@sensitive`
//! column of the sources its training data comes from, looks for an
//! `evaluate` of the classifier with `groups = COLUMN` and a fairness
//! metric (`demographic_parity_difference` or `equalized_odds_difference`).
//! Reports each attribute no evaluation examines.
//!
//! ## Why it matters
//!
//! A model that never sees a protected attribute can still discriminate
//! through correlated inputs (postcode for ethnicity, job for sex). The only
//! way to know is to measure its decisions per group, on held-out rows.
//!
//! ## Example
//!
//! ```mlp
//! model scorer: logistic_regression { data = holdout.train, target = good, features = all_except(good, marital) }
//! evaluate scorer on holdout.test { metrics = [accuracy] }
//! ```
//!
//! ## How to fix
//!
//! Keep the attribute in the evaluated table (not in the features) and
//! measure over it:
//! `evaluate scorer on holdout.test { groups = marital, metrics = [accuracy, demographic_parity_difference] }`.
//!
//! ## References
//!
//! - EU AI Act, Article 10(2)(f) and (g) (examination for possible biases)
//!   and Article 15(3).
//! - Fairlearn, *Common fairness metrics*.

use super::super::{facts, Context, Rule};
use crate::check::{BlockInfo, TableRef};
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV014",
    name: "high-risk-classifier-without-fairness-evaluation",
    severity: Severity::Error,
    doc: include_str!("../../../docs/rules/GOV014.md"),
    check,
};

const FAIRNESS: [&str; 2] = ["demographic_parity_difference", "equalized_odds_difference"];

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    if !facts::is_high_risk(ctx) {
        return;
    }
    for (block, model) in facts::models(ctx) {
        if model.model_kind != Some(crate::check::types::ModelKind::Classifier) {
            continue;
        }
        let Some(data) = &model.data else { continue };
        let mut attributes = Vec::new();
        sensitive_upstream(ctx, data, &mut attributes, 0);
        attributes.sort();
        attributes.dedup();
        for attribute in attributes {
            let examined = ctx.program.blocks.iter().any(|b| match &b.info {
                BlockInfo::Evaluate(e) => {
                    e.model.as_deref() == Some(block.name.as_str())
                        && e.groups.as_deref() == Some(attribute.as_str())
                        && e.metrics.iter().any(|m| FAIRNESS.contains(&m.as_str()))
                }
                _ => false,
            });
            if examined {
                continue;
            }
            out.push(
                RULE.finding(format!(
                    "high-risk classifier `{}` is never examined for bias over the protected attribute `{attribute}`",
                    block.name
                ))
                .with_label(block.file, facts::name_span(ctx, block), "no fairness evaluation")
                .with_help(format!(
                    "keep `{attribute}` in the evaluated table and add `evaluate {} on SPLIT.test {{ groups = {attribute}, metrics = [demographic_parity_difference] }}`",
                    block.name
                )),
            );
        }
    }
}

/// The `@sensitive` columns of the sources a table is computed from.
fn sensitive_upstream(ctx: &Context, table: &TableRef, out: &mut Vec<String>, depth: usize) {
    let Some(block) = table.id.and_then(|id| ctx.program.block(id)) else {
        return;
    };
    // A chain of tables is no longer than the program.
    if depth > ctx.program.blocks.len() {
        return;
    }
    match &block.info {
        BlockInfo::Source(s) => out.extend(
            s.schema
                .columns
                .iter()
                .filter(|c| c.tags.contains("sensitive"))
                .map(|c| c.name.to_string()),
        ),
        BlockInfo::Transform(t) => {
            sensitive_upstream(ctx, &t.input, out, depth + 1);
            for joined in &t.joins {
                sensitive_upstream(ctx, joined, out, depth + 1);
            }
        }
        BlockInfo::Split(s) => sensitive_upstream(ctx, &s.input, out, depth + 1),
        _ => {}
    }
}
