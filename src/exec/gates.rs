//! Metric gates: the `require model.metric <op> bound` rules of policies,
//! evaluated once the models' metrics are known.
//!
//! The checker has already typed every gate (the metric exists for the
//! model's kind, the bound is numbers and metrics); here they get values.

use super::artifacts::Evaluation;
use crate::check::{metric_path_cut, BlockInfo, Program};
use crate::resolve::Resolved;
use crate::syntax::ast::{self, BinaryOp, ExprKind, RuleKind, UnaryOp};
use serde::Serialize;
use std::collections::BTreeMap;

/// Model name to metric name to value.
pub type Metrics = BTreeMap<String, BTreeMap<String, f64>>;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GateOutcome {
    pub policy: String,
    pub model: String,
    /// The rule as written.
    pub rule: String,
    pub severity: String,
    /// False for a gate of a model whose evaluation this run did not
    /// include (`mlp run --stage`): neither passed nor failed.
    pub evaluated: bool,
    pub passed: bool,
    /// The gated metric's value.
    pub value: Option<f64>,
    /// The bound's value.
    pub bound: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Why the gate could not be evaluated (a metric that was not computed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Evaluates every metric gate of every policy, in program order. A rule
/// written over `model` is evaluated once per model deployed behind the policy.
///
/// `evaluations` give the reason when a gated metric is missing because its
/// rows do not define it.
pub fn evaluate(
    resolved: &Resolved,
    program: &Program,
    metrics: &Metrics,
    evaluations: &[Evaluation],
) -> Vec<GateOutcome> {
    let mut out = Vec::new();
    for block in &program.blocks {
        let BlockInfo::Policy(policy) = &block.info else {
            continue;
        };
        let ast::ItemKind::Policy(decl) = &resolved.item(block.id).kind else {
            continue;
        };
        let rules = decl.body.entries.iter().filter_map(|e| match e {
            ast::Entry::Rule(r) => Some(r),
            _ => None,
        });
        for (info, rule) in policy.rules.iter().zip(rules) {
            let (Some(gate), RuleKind::Require(expr)) = (&info.gate, &rule.kind) else {
                continue;
            };
            let models: Vec<String> = if gate.model == "model" {
                deployed_models(program, &block.name)
            } else {
                vec![gate.model.clone()]
            };
            for model in models {
                let mut outcome = GateOutcome {
                    policy: block.name.clone(),
                    model: model.clone(),
                    rule: info.text.clone(),
                    severity: policy.severity.clone(),
                    evaluated: true,
                    passed: false,
                    value: None,
                    bound: None,
                    message: info.message.clone(),
                    error: None,
                };
                match compare(expr, &model, metrics, evaluations) {
                    Ok((passed, value, bound)) => {
                        outcome.passed = passed;
                        outcome.value = Some(value);
                        outcome.bound = Some(bound);
                    }
                    Err(error) => outcome.error = Some(error),
                }
                out.push(outcome);
            }
        }
    }
    out
}

impl GateOutcome {
    pub fn failed(&self) -> bool {
        self.evaluated && !self.passed
    }
}

/// The models of the deployments that list `policy` in their gates.
fn deployed_models(program: &Program, policy: &str) -> Vec<String> {
    let mut models: Vec<String> = program
        .deployments()
        .filter(|(_, d)| d.gates.iter().any(|g| g == policy))
        .filter_map(|(_, d)| d.model.clone())
        .collect();
    models.sort();
    models.dedup();
    models
}

/// `lhs <op> rhs` → (passed, lhs value, rhs value).
fn compare(
    expr: &ast::Expr,
    model: &str,
    metrics: &Metrics,
    evaluations: &[Evaluation],
) -> Result<(bool, f64, f64), String> {
    let ExprKind::Binary { op, lhs, rhs } = &expr.kind else {
        return Err("not a comparison".into());
    };
    let l = value(lhs, model, metrics, evaluations)?;
    let r = value(rhs, model, metrics, evaluations)?;
    let passed = match op {
        BinaryOp::Lt => l < r,
        BinaryOp::Le => l <= r,
        BinaryOp::Gt => l > r,
        BinaryOp::Ge => l >= r,
        BinaryOp::Eq => l == r,
        BinaryOp::Ne => l != r,
        _ => return Err(format!("`{}` is not a comparison", op.as_str())),
    };
    Ok((passed, l, r))
}

fn value(
    expr: &ast::Expr,
    model: &str,
    metrics: &Metrics,
    evaluations: &[Evaluation],
) -> Result<f64, String> {
    match &expr.kind {
        ExprKind::Number(n) => Ok(n.value.as_f64()),
        ExprKind::Paren(inner) => value(inner, model, metrics, evaluations),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => Ok(-value(operand, model, metrics, evaluations)?),
        ExprKind::Binary { op, lhs, rhs } => {
            let (l, r) = (
                value(lhs, model, metrics, evaluations)?,
                value(rhs, model, metrics, evaluations)?,
            );
            match op {
                BinaryOp::Add => Ok(l + r),
                BinaryOp::Sub => Ok(l - r),
                BinaryOp::Mul => Ok(l * r),
                BinaryOp::Div => Ok(l / r),
                other => Err(format!("`{}` in a gate's bound", other.as_str())),
            }
        }
        ExprKind::Member { .. } => {
            let path = expr.as_path().ok_or("not a metric")?;
            let names: Vec<&str> = path.iter().map(|i| i.name.as_str()).collect();
            let (subject, metric) = names.split_at(metric_path_cut(&names));
            let subject = subject.join(".");
            let subject = if subject == "model" { model } else { &subject };
            let metric = metric.join(".");
            metrics
                .get(subject)
                .and_then(|m| m.get(&metric))
                .copied()
                .ok_or_else(|| {
                    let undefined = evaluations
                        .iter()
                        .filter(|e| e.name == subject)
                        .find_map(|e| Some((e, e.undefined.get(&metric)?)));
                    match undefined {
                        Some((e, why)) => format!(
                            "`{subject}.{metric}` is not defined on `{}`: {why}",
                            e.evaluated_on
                        ),
                        None => format!(
                            "`{subject}.{metric}` was not computed: add it to an `evaluate` of `{subject}`"
                        ),
                    }
                })
        }
        _ => Err("not a number or a metric".into()),
    }
}
