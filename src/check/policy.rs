//! Policies: rules type-checked against the models and metrics they name,
//! and static rules (`deny pii in m.features`, `require deploy.replicas >= 2`)
//! evaluated from the tag analysis and the deployment's fields.

use super::program::*;
use super::types::Value;
use super::values::Expect;
use super::Checker;
use crate::diagnostics::{codes, did_you_mean, Diagnostic, Severity};
use crate::resolve::BlockId;
use crate::source::{FileId, Span};
use crate::syntax::ast::{self, BinaryOp, ExprKind, RuleKind};

const RISK: [&str; 4] = ["minimal", "limited", "high", "unacceptable"];

/// What a rule's dotted name refers to.
enum Subject {
    /// `model`: every model behind the policy.
    AnyModel,
    /// `deploy`: every deployment gated by the policy.
    AnyDeploy,
    Model(BlockId, String),
    Deploy(BlockId),
}

impl<'r> Checker<'r> {
    fn subject(
        &mut self,
        block: BlockId,
        file: FileId,
        path: &[&ast::Ident],
        span: Span,
    ) -> Option<Subject> {
        match path.first()?.name.as_str() {
            "model" if self.resolved.lookup(block.module, &path[..1]).is_none() => {
                return Some(Subject::AnyModel)
            }
            "deploy" if self.resolved.lookup(block.module, &path[..1]).is_none() => {
                return Some(Subject::AnyDeploy)
            }
            _ => {}
        }
        // Unknown names were reported by the resolver.
        let target = self.resolved.lookup(block.module, path)?;
        let item = self.resolved.item(target.block);
        let name = self.resolved.qualified(target.block);
        match item.kind {
            ast::ItemKind::Model(_) => Some(Subject::Model(target.block, name)),
            ast::ItemKind::Deploy(_) => Some(Subject::Deploy(target.block)),
            _ => {
                self.wrong_kind(file, span, &name, item, "a model or a deployment");
                None
            }
        }
    }

    pub(super) fn policy(
        &mut self,
        block: BlockId,
        file: FileId,
        item: &'r ast::Item,
        p: &'r ast::PolicyDecl,
    ) {
        let fields = self.fields(block, &p.body, item);
        let severity = match fields.get("severity") {
            Some(Value::Word(w)) => w.word.clone(),
            Some(Value::Str(s)) => s.clone(),
            _ => "error".into(),
        };
        let mut rules = Vec::new();
        for entry in &p.body.entries {
            let rule = match entry {
                ast::Entry::Rule(r) => r,
                ast::Entry::Field(_) => continue,
                other => {
                    self.diags.push(
                        Diagnostic::error(codes::EXPRESSION_TYPE, "a policy holds `severity` and rules")
                            .with_label(file, other.span(), "not a rule")
                            .with_help("write `require m.accuracy >= 0.8`, `deny pii in m.features` or `require approval for deploy.api`"),
                    );
                    continue;
                }
            };
            let text = match &rule.kind {
                RuleKind::Require(e) | RuleKind::Deny(e) => self.text(block, e.span),
                RuleKind::Approval { target, when } => {
                    let end = when.as_ref().map_or(target.span, |w| w.span);
                    self.text(block, target.span.to(end))
                }
            };
            let lint_rule = match &rule.kind {
                RuleKind::Require(e) => self.lint_requirement(file, e),
                _ => None,
            };
            let (kind, gate) = match &rule.kind {
                RuleKind::Require(_) if lint_rule.is_some() => ("require", None),
                RuleKind::Require(e) => ("require", self.require_rule(block, file, e)),
                RuleKind::Deny(e) => {
                    self.deny_rule(block, file, e, rule);
                    ("deny", None)
                }
                RuleKind::Approval { target, when } => {
                    self.approval_rule(block, file, target, when.as_ref());
                    ("approval", None)
                }
            };
            rules.push(RuleInfo {
                rule: kind.into(),
                text,
                message: rule.message.as_ref().map(|m| m.value.clone()),
                gate,
                lint_rule: lint_rule.flatten(),
            });
        }
        self.push_block(
            block,
            item,
            fields,
            BlockInfo::Policy(PolicyInfo { severity, rules }),
        );
    }

    /// `require lint.GOV005`: `None` when the rule is something else,
    /// `Some(None)` when it names no rule code (reported).
    fn lint_requirement(&mut self, file: FileId, e: &ast::Expr) -> Option<Option<String>> {
        let path = e.as_path()?;
        if path[0].name != "lint" {
            return None;
        }
        let code = match path.as_slice() {
            [_, code] => code.name.as_str(),
            _ => "",
        };
        let is_code = code.len() == 6
            && code.starts_with("GOV")
            && code[3..].bytes().all(|b| b.is_ascii_digit());
        if !is_code {
            self.diags.push(
                Diagnostic::error(
                    codes::EXPRESSION_TYPE,
                    "`require lint.CODE` names one lint rule",
                )
                .with_label(file, e.span, "not a lint rule code")
                .with_help("write `require lint.GOV005 \"Art. 14: human oversight\"`"),
            );
            return Some(None);
        }
        Some(Some(code.to_string()))
    }

    fn require_rule(&mut self, block: BlockId, file: FileId, e: &ast::Expr) -> Option<Gate> {
        let bad = |span: Span| {
            Diagnostic::error(
                codes::EXPRESSION_TYPE,
                "a `require` rule compares a metric or a field with a value",
            )
            .with_label(file, span, "not a comparison")
            .with_help("write `require scorer.accuracy >= 0.75` or `require deploy.replicas >= 2`")
        };
        let ExprKind::Binary { op, lhs, rhs } = &e.kind else {
            self.diags.push(bad(e.span));
            return None;
        };
        if !matches!(
            op,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq | BinaryOp::Ne
        ) {
            self.diags.push(bad(e.span));
            return None;
        }
        let Some(path) = lhs.as_path().filter(|p| p.len() >= 2) else {
            self.diags.push(bad(lhs.span));
            return None;
        };
        let subject = self.subject(block, file, &path, lhs.span)?;
        match subject {
            Subject::AnyModel | Subject::Model(..) => {
                let names: Vec<&str> = path.iter().map(|i| i.name.as_str()).collect();
                let cut = metric_path_cut(&names);
                let (model, model_block) = match &subject {
                    Subject::Model(id, name) => (name.clone(), Some(*id)),
                    _ => ("model".to_string(), None),
                };
                let gated = match subject {
                    Subject::AnyModel if cut != 1 => None,
                    _ => gate_metric(&path[cut..]),
                };
                let Some((metric_id, metric)) = gated else {
                    self.diags.push(bad(lhs.span));
                    return None;
                };
                if !self.metric_fits(file, metric_id, model_block, &model) {
                    return None;
                }
                if self
                    .catalog
                    .metric(&metric_id.name)
                    .is_some_and(|m| !m.scalar)
                {
                    self.diags.push(
                        Diagnostic::error(
                            codes::METRIC_KIND,
                            format!(
                                "`{}` is not one number: it cannot be compared",
                                metric_id.name
                            ),
                        )
                        .with_label(file, metric_id.span, "not a scalar metric")
                        .with_help("gate on a scalar metric such as accuracy or f1"),
                    );
                    return None;
                }
                if !self.metric_expr(block, file, rhs) {
                    return None;
                }
                let value = match &rhs.kind {
                    ExprKind::Number(n) if n.unit.is_none() => Some(n.value.as_f64()),
                    _ => None,
                };
                if model_block.is_some() {
                    self.gated_metrics
                        .push((file, metric_id.span, model.clone(), metric.clone()));
                }
                Some(Gate {
                    model,
                    metric,
                    op: op.as_str().into(),
                    value,
                    bound: self.text(block, rhs.span),
                })
            }
            Subject::AnyDeploy | Subject::Deploy(_) => {
                let consumed = if matches!(subject, Subject::AnyDeploy) {
                    1
                } else {
                    path.len() - 1
                };
                let field: Vec<&str> = path[consumed..].iter().map(|i| i.name.as_str()).collect();
                let field = field.join(".");
                let spec = super::blocks::field_specs_deploy()
                    .iter()
                    .find(|(n, _, _)| *n == field);
                let Some(&(_, expect, _)) = spec.filter(|(_, e, _)| {
                    matches!(
                        e,
                        Expect::Int { .. }
                            | Expect::Float { .. }
                            | Expect::Percent
                            | Expect::Quantity
                            | Expect::Duration
                    )
                }) else {
                    let names = super::blocks::field_specs_deploy()
                        .iter()
                        .map(|(n, _, _)| *n);
                    let mut d = Diagnostic::error(
                        codes::UNKNOWN_MEMBER,
                        format!("a deployment has no numeric field `{field}`"),
                    )
                    .with_label(
                        file,
                        lhs.span,
                        "not a numeric field of a deployment",
                    );
                    d = match did_you_mean(&field, names) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d.with_help(
                            "compare a numeric field: replicas, port, autoscale.min, autoscale.max",
                        ),
                    };
                    self.diags.push(d);
                    return None;
                };
                // Evaluated per gated deployment once all blocks are checked.
                self.value(block.module, file, rhs, expect)?;
                None
            }
        }
    }

    /// The bound of a metric gate: numbers, other models' metrics, arithmetic.
    fn metric_expr(&mut self, block: BlockId, file: FileId, e: &ast::Expr) -> bool {
        match &e.kind {
            ExprKind::Number(n) if n.unit.is_none() => true,
            ExprKind::Paren(inner) => self.metric_expr(block, file, inner),
            ExprKind::Unary {
                op: ast::UnaryOp::Neg,
                operand,
            } => self.metric_expr(block, file, operand),
            ExprKind::Binary {
                op: BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div,
                lhs,
                rhs,
            } => self.metric_expr(block, file, lhs) & self.metric_expr(block, file, rhs),
            ExprKind::Member { .. } => {
                let Some(path) = e.as_path() else {
                    return false;
                };
                let gated = gate_metric(&path[1..]);
                match (self.subject(block, file, &path, e.span), gated) {
                    (Some(Subject::Model(id, name)), Some((metric_id, metric))) => {
                        let fits = self.metric_fits(file, metric_id, Some(id), &name);
                        if fits {
                            self.gated_metrics
                                .push((file, metric_id.span, name, metric));
                        }
                        fits
                    }
                    (Some(Subject::AnyModel), Some((metric_id, _))) => {
                        self.metric_fits(file, metric_id, None, "model")
                    }
                    (Some(_), _) => {
                        self.diags.push(
                            Diagnostic::error(
                                codes::EXPRESSION_TYPE,
                                "a gate compares with numbers or model metrics",
                            )
                            .with_label(file, e.span, "not a model metric")
                            .with_help("write `other_model.accuracy - 0.02` or a number"),
                        );
                        false
                    }
                    (None, _) => false,
                }
            }
            _ => {
                self.diags.push(
                    Diagnostic::error(codes::TYPE_MISMATCH, "expected a number or a model metric")
                        .with_label(file, e.span, "not a number")
                        .with_help("write a number like `0.75`, or a metric like `baseline_model.accuracy - 0.02`"),
                );
                false
            }
        }
    }

    fn deny_rule(&mut self, block: BlockId, file: FileId, e: &ast::Expr, rule: &ast::Rule) {
        let bad = |span: Span| {
            Diagnostic::error(
                codes::EXPRESSION_TYPE,
                "a `deny` rule names a tag and what it must not reach",
            )
            .with_label(file, span, "not `TAG in model.features`")
            .with_help("write `deny pii in scorer.features`")
        };
        let ExprKind::Binary {
            op: BinaryOp::In,
            lhs,
            rhs,
        } = &e.kind
        else {
            self.diags.push(bad(e.span));
            return;
        };
        let ExprKind::Name(_) = &lhs.kind else {
            self.diags.push(bad(lhs.span));
            return;
        };
        let Some(path) = rhs.as_path() else {
            self.diags.push(bad(rhs.span));
            return;
        };
        let Some(subject) = self.subject(block, file, &path, rhs.span) else {
            return;
        };
        let member = match &subject {
            Subject::AnyModel | Subject::AnyDeploy => path.get(1),
            Subject::Model(..) | Subject::Deploy(_) => path.last().filter(|_| {
                path.len() > 1
                    && self
                        .resolved
                        .lookup(block.module, &path)
                        .is_some_and(|t| t.consumed < path.len())
            }),
        };
        let is_model = matches!(subject, Subject::AnyModel | Subject::Model(..));
        match (is_model, member.map(|m| m.name.as_str())) {
            (true, Some("features")) | (false, None) => {}
            (_, Some(_)) | (true, None) => {
                let what = if is_model {
                    "`features`"
                } else {
                    "nothing (name the deployment alone)"
                };
                self.diags.push(
                    Diagnostic::error(codes::UNKNOWN_MEMBER, format!("a deny rule checks {what}"))
                        .with_label(file, rhs.span, "unsupported target")
                        .with_help(
                            "write `deny pii in scorer.features` or `deny pii in scoring_api`",
                        ),
                );
                return;
            }
        }
        match subject {
            Subject::Model(id, _) => self.evaluate_deny(block, rule, id, None),
            Subject::Deploy(id) => {
                if let Some(model) = self.deploy_model(id) {
                    self.evaluate_deny(block, rule, model, None);
                }
            }
            _ => {}
        }
    }

    fn deploy_model(&self, deploy: BlockId) -> Option<BlockId> {
        let Some(BlockInfo::Deploy(d)) = self.program.block(deploy).map(|b| &b.info) else {
            return None;
        };
        let name = d.model.as_ref()?;
        self.program.by_name(name).map(|b| b.id)
    }

    /// Reports the features of `model` carrying the denied tag.
    fn evaluate_deny(
        &mut self,
        policy: BlockId,
        rule: &ast::Rule,
        model: BlockId,
        via: Option<(BlockId, Span)>,
    ) {
        let RuleKind::Deny(e) = &rule.kind else {
            return;
        };
        let ExprKind::Binary { lhs, .. } = &e.kind else {
            return;
        };
        let ExprKind::Name(tag) = &lhs.kind else {
            return;
        };
        let Some(block) = self.program.block(model) else {
            return;
        };
        let BlockInfo::Model(m) = &block.info else {
            return;
        };
        if !m.feature_tags.contains(&tag.name) {
            return;
        }
        let schema = m
            .data
            .as_ref()
            .and_then(|d| d.id)
            .map(|id| self.table_schema(Some(id)).clone())
            .unwrap_or_default();
        let columns: Vec<String> = m
            .features
            .iter()
            .filter(|f| schema.get(f).is_some_and(|c| c.tags.contains(&tag.name)))
            .map(|c| format!("`{c}`"))
            .collect();
        let model_name = block.name.clone();
        let model_file = block.file;
        let model_span = self
            .resolved
            .item(model)
            .name()
            .map_or(block.span, |n| n.span);
        let severity = self.policy_severity(policy);
        let policy_name = self.resolved.qualified(policy);
        let policy_file = self.file(policy.module);
        let message = format!(
            "policy `{policy_name}` denies @{} in the features of `{model_name}`: {} {} tagged @{}",
            tag.name,
            columns.join(", "),
            if columns.len() == 1 { "is" } else { "are" },
            tag.name
        );
        let mut d = Diagnostic::error(codes::POLICY_VIOLATION, message);
        d.severity = severity;
        d = match via {
            Some((deploy, span)) => d
                .with_label(
                    self.file(deploy.module),
                    span,
                    format!("this gate requires no @{} in the features", tag.name),
                )
                .with_label(
                    model_file,
                    model_span,
                    format!("`{model_name}` uses {}", columns.join(", ")),
                )
                .with_label(policy_file, rule.span, "the rule"),
            None => d.with_label(policy_file, rule.span, "violated").with_label(
                model_file,
                model_span,
                format!("`{model_name}` uses {}", columns.join(", ")),
            ),
        };
        let help = rule
            .message
            .as_ref()
            .map(|m| format!("{}: ", m.value))
            .unwrap_or_default();
        self.diags.push(d.with_help(format!("{help}drop {} before training, or list features without them (columns derived from a @{} column are @{} too)", columns.join(", "), tag.name, tag.name)));
    }

    /// The severity a policy's findings take. Read from the source: a rule
    /// on a named model is judged while its policy is being checked, before
    /// the policy is in the program.
    fn policy_severity(&self, policy: BlockId) -> Severity {
        let ast::ItemKind::Policy(p) = &self.resolved.item(policy).kind else {
            return Severity::Error;
        };
        let word = p.body.field("severity").and_then(|f| match &f.value.kind {
            ExprKind::Name(n) => Some(n.name.as_str()),
            ExprKind::Str(s) => Some(s.as_str()),
            _ => None,
        });
        match word {
            Some("warning") => Severity::Warning,
            Some("info") => Severity::Info,
            _ => Severity::Error,
        }
    }

    fn approval_rule(
        &mut self,
        block: BlockId,
        file: FileId,
        target: &ast::Path,
        when: Option<&ast::Expr>,
    ) {
        let segments: Vec<&ast::Ident> = target.segments.iter().collect();
        let named = match segments.as_slice() {
            [only] if only.name == "deploy" => None,
            [first, rest @ ..] if first.name == "deploy" && !rest.is_empty() => {
                Some(&segments[1..])
            }
            _ => Some(&segments[..]),
        };
        if let Some(path) = named {
            match self.resolved.lookup_or_report(block.module, path) {
                Ok(t) => {
                    let item = self.resolved.item(t.block);
                    if !matches!(item.kind, ast::ItemKind::Deploy(_)) {
                        let name = self.resolved.qualified(t.block);
                        self.wrong_kind(file, target.span, &name, item, "a deployment");
                    }
                }
                Err(d) => self.diags.push(d),
            }
        }
        let Some(when) = when else { return };
        let ok = match &when.kind {
            ExprKind::Binary {
                lhs,
                rhs,
                op:
                    BinaryOp::Ge
                    | BinaryOp::Gt
                    | BinaryOp::Eq
                    | BinaryOp::Le
                    | BinaryOp::Lt
                    | BinaryOp::Ne,
            } => {
                let lhs_ok = matches!(&lhs.kind, ExprKind::Name(n) if n.name == "risk");
                if lhs_ok {
                    let _ = self.value(block.module, file, rhs, Expect::Choice(&RISK));
                }
                lhs_ok
            }
            _ => false,
        };
        if !ok {
            self.diags.push(
                Diagnostic::error(
                    codes::EXPRESSION_TYPE,
                    "an approval condition compares the pipeline's risk",
                )
                .with_label(file, when.span, "not a risk comparison")
                .with_help("write `when risk >= high`"),
            );
        }
    }

    /// Rules evaluated per deployment: generic rules (`model`, `deploy`) of
    /// every policy a deployment lists in `gates`, and deployment fields.
    pub(super) fn policies_on_deployments(&mut self) {
        for (deploy, policy, span) in self.gate_uses.clone() {
            let ast::ItemKind::Policy(p) = &self.resolved.item(policy).kind else {
                continue;
            };
            for entry in &p.body.entries {
                let ast::Entry::Rule(rule) = entry else {
                    continue;
                };
                match &rule.kind {
                    RuleKind::Deny(ast::Expr {
                        kind: ExprKind::Binary { rhs, .. },
                        ..
                    }) => {
                        let generic = rhs.as_path().is_some_and(|p| {
                            p[0].name == "model"
                                && self.resolved.lookup(policy.module, &p[..1]).is_none()
                        });
                        if generic {
                            if let Some(model) = self.deploy_model(deploy) {
                                self.evaluate_deny(policy, rule, model, Some((deploy, span)));
                            }
                        }
                    }
                    RuleKind::Require(e) => self.require_on_deploy(policy, deploy, span, rule, e),
                    _ => {}
                }
            }
        }
    }

    /// `require deploy.replicas >= 2` against one deployment's fields.
    fn require_on_deploy(
        &mut self,
        policy: BlockId,
        deploy: BlockId,
        gate_span: Span,
        rule: &ast::Rule,
        e: &ast::Expr,
    ) {
        let ExprKind::Binary { op, lhs, rhs } = &e.kind else {
            return;
        };
        let Some(path) = lhs.as_path() else { return };
        if path[0].name != "deploy" || self.resolved.lookup(policy.module, &path[..1]).is_some() {
            return;
        }
        let field: Vec<&str> = path[1..].iter().map(|i| i.name.as_str()).collect();
        let field = field.join(".");
        let Some(block) = self.program.block(deploy) else {
            return;
        };
        let actual = block
            .fields
            .get(&field)
            .and_then(Value::as_f64)
            .or_else(|| default_of(&field));
        let limit = match &rhs.kind {
            ExprKind::Number(n) => Some(n.value.as_f64()),
            _ => None,
        };
        let (Some(actual), Some(limit)) = (actual, limit) else {
            return;
        };
        let holds = match op {
            BinaryOp::Ge => actual >= limit,
            BinaryOp::Gt => actual > limit,
            BinaryOp::Le => actual <= limit,
            BinaryOp::Lt => actual < limit,
            BinaryOp::Eq => actual == limit,
            BinaryOp::Ne => actual != limit,
            _ => true,
        };
        if holds {
            return;
        }
        let deploy_name = block.name.clone();
        let severity = self.policy_severity(policy);
        let policy_name = self.resolved.qualified(policy);
        let mut d = Diagnostic::error(
            codes::POLICY_VIOLATION,
            format!(
                "policy `{policy_name}` requires {}, `{deploy_name}` has {field} = {actual}",
                self.text(policy, e.span)
            ),
        );
        d.severity = severity;
        let help = rule
            .message
            .as_ref()
            .map(|m| format!("{}: ", m.value))
            .unwrap_or_default();
        self.diags.push(
            d.with_label(self.file(deploy.module), gate_span, "this gate is not met")
                .with_label(self.file(policy.module), rule.span, "the rule")
                .with_help(format!(
                    "{help}set `{field}` in `{deploy_name}` so the rule holds"
                )),
        );
    }
}

/// Values a deployment has when the field is not written.
/// The metric the names after a gate's subject name, with the name of the
/// catalogue metric it is of: `accuracy`, or `cv.accuracy.mean` (the mean
/// over the folds of a cross-validation).
fn gate_metric<'a>(rest: &[&'a ast::Ident]) -> Option<(&'a ast::Ident, String)> {
    match rest {
        [metric] => Some((metric, metric.name.clone())),
        [cv, metric, stat] if cv.name == "cv" && CV_STATISTICS.contains(&stat.name.as_str()) => {
            Some((metric, format!("cv.{}.{}", metric.name, stat.name)))
        }
        _ => None,
    }
}

fn default_of(field: &str) -> Option<f64> {
    match field {
        "replicas" => Some(1.0),
        _ => None,
    }
}
