//! The built-in rules, one per file. Each file's doc comment is its page
//! `docs/rules/<code>.md` (generated; `tests/lint_rules.rs` keeps them equal).

use super::{Context, Rule};
use crate::diagnostics::{Code, Diagnostic};

mod approval_missing_or_stale;
mod data_outside_project;
mod deploy_without_gate;
mod deploy_without_resources;
mod evaluated_on_training_rows;
mod fitted_before_split;
mod high_risk_classifier_without_fairness_evaluation;
mod high_risk_deploy_without_approval;
mod high_risk_deploy_without_log_retention;
mod high_risk_deploy_without_metric_gate;
mod high_risk_deploy_without_monitoring;
mod high_risk_source_without_provenance;
mod high_risk_without_documentation;
mod image_not_pinned;
mod literal_secret;
mod model_without_held_out_evaluation;
mod pii_at_endpoint;
mod pii_in_features;
mod pipeline_without_description;
mod pipeline_without_owner;
mod pipeline_without_risk_tier;
mod production_single_replica;
mod sensitive_attribute_as_feature;
mod source_without_expectations;
mod unacceptable_risk_deployed;
mod unused_waiver;
mod waiver_of_unknown_rule;

/// Every rule, in code order; `unused-waiver` last, as it reads the others'
/// findings.
pub static ALL: &[&Rule] = &[
    &pipeline_without_owner::RULE,
    &pipeline_without_risk_tier::RULE,
    &pipeline_without_description::RULE,
    &unacceptable_risk_deployed::RULE,
    &high_risk_deploy_without_approval::RULE,
    &high_risk_deploy_without_monitoring::RULE,
    &high_risk_deploy_without_log_retention::RULE,
    &high_risk_without_documentation::RULE,
    &source_without_expectations::RULE,
    &high_risk_source_without_provenance::RULE,
    &pii_in_features::RULE,
    &pii_at_endpoint::RULE,
    &sensitive_attribute_as_feature::RULE,
    &high_risk_classifier_without_fairness_evaluation::RULE,
    &deploy_without_gate::RULE,
    &evaluated_on_training_rows::RULE,
    &fitted_before_split::RULE,
    &model_without_held_out_evaluation::RULE,
    &image_not_pinned::RULE,
    &deploy_without_resources::RULE,
    &production_single_replica::RULE,
    &literal_secret::RULE,
    &data_outside_project::RULE,
    &high_risk_deploy_without_metric_gate::RULE,
    &waiver_of_unknown_rule::RULE,
    &approval_missing_or_stale::RULE,
    &unused_waiver::RULE,
];

/// The checker's diagnostics that a rule reports under its own code, so
/// that they can be waived: `mlp lint` shows them once, as the rule's.
pub const RELABELED: [Code; 2] = [
    crate::diagnostics::codes::LEAKAGE_EVAL_ON_TRAIN,
    crate::diagnostics::codes::LEAKAGE_FIT_BEFORE_SPLIT,
];

/// Re-reports the checker's `code` diagnostics as findings of `rule`.
fn relabel(ctx: &Context, code: Code, rule: &Rule, out: &mut Vec<Diagnostic>) {
    for d in ctx.diagnostics.iter().filter(|d| d.code == code) {
        let mut finding = rule.finding(d.message.clone());
        finding.labels = d.labels.clone();
        finding.help = d.help.clone();
        out.push(finding);
    }
}

/// Error in a `high` risk pipeline, the rule's default elsewhere.
fn error_when_high_risk(ctx: &Context, rule: &Rule) -> crate::diagnostics::Severity {
    if super::facts::is_high_risk(ctx) {
        crate::diagnostics::Severity::Error
    } else {
        rule.severity
    }
}

/// A finding per model with a feature tagged `tag` (through every
/// transform): `what` names the data, at the model's `features` field.
fn tagged_feature_findings(
    ctx: &Context,
    rule: &Rule,
    tag: &str,
    what: &str,
    help: &str,
    out: &mut Vec<Diagnostic>,
) {
    use super::facts;
    for (block, model) in facts::models(ctx) {
        if !model.feature_tags.contains(tag) {
            continue;
        }
        let columns = facts::tagged_features(ctx, model, tag);
        let span = facts::written_field(ctx, block, "features")
            .unwrap_or_else(|| facts::name_span(ctx, block));
        out.push(
            rule.finding(format!(
                "model `{}` takes {what} as input: {}",
                block.name,
                quoted(&columns)
            ))
            .with_label(block.file, span, format!("@{tag} features"))
            .with_help(help),
        );
    }
}

/// `a`, `b` and `c` as `` `a`, `b`, `c` ``.
fn quoted<S: AsRef<str>>(names: &[S]) -> String {
    names
        .iter()
        .map(|n| format!("`{}`", n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}
