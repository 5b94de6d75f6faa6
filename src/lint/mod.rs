//! `mlp lint`: governance rules over the checked program.
//!
//! Lint is static: it reads the [`Program`] the checker built (schemas and
//! tags propagated through every transform) and the resolved AST for
//! positions, never the data and never the text again. Each rule lives in
//! its own file under `rules/` with a stable code (`GOV001`...), a default
//! severity and a documentation page generated from the file's doc comment
//! (`docs/rules/GOVnnn.md`). A finding can be waived at the block that
//! causes it with `allow(GOVnnn, reason = "...")`; waived findings are kept
//! and reported as such, so auditors see what was waived and why.

pub mod facts;
pub mod output;
pub mod rules;

use crate::check::{Program, Waiver};
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::resolve::Resolved;
use crate::source::{FileId, SourceMap, Span};

/// A built-in rule.
pub struct Rule {
    pub code: &'static str,
    /// What it flags, in kebab case: `pii-in-features`.
    pub name: &'static str,
    pub severity: Severity,
    /// The page `docs/rules/<code>.md`, generated from the rule's doc comment.
    pub doc: &'static str,
    pub check: fn(&Context, &mut Vec<Diagnostic>),
}

impl Rule {
    /// A finding of this rule at its default severity.
    pub fn finding(&self, message: impl Into<String>) -> Diagnostic {
        let mut d = Diagnostic::error(Code(self.code), message);
        d.severity = self.severity;
        d
    }

    /// One sentence: what a finding means (the paragraph under the page's title).
    pub fn summary(&self) -> &'static str {
        self.doc.split("\n\n").nth(1).map_or(self.name, str::trim)
    }

    /// The `## What it does` section of the rule's page.
    pub fn description(&self) -> &'static str {
        section(self.doc, "What it does").unwrap_or_else(|| self.summary())
    }
}

/// The text of a `## title` section of a Markdown page, trimmed.
pub fn section<'d>(page: &'d str, title: &str) -> Option<&'d str> {
    let heading = format!("## {title}\n");
    let start = page.find(&heading)? + heading.len();
    let rest = &page[start..];
    let end = rest.find("\n## ").map_or(rest.len(), |i| i + 1);
    Some(rest[..end].trim())
}

pub fn rule(code: &str) -> Option<&'static Rule> {
    rules::ALL.iter().copied().find(|r| r.code == code)
}

/// What the rules read.
pub struct Context<'a> {
    pub program: &'a Program,
    pub resolved: &'a Resolved,
    pub sources: &'a SourceMap,
    /// The data files of each source block, by index in `program.blocks`.
    pub data_files: &'a crate::files::DataFiles,
    /// What is inside the project root.
    pub confinement: &'a crate::files::Confinement,
    /// What the checker reported.
    pub diagnostics: &'a [Diagnostic],
    /// The approval records of the project (`approvals/`).
    pub approvals: &'a [crate::approvals::Approval],
    /// The hash of each model artifact of the latest run, by model name;
    /// empty when the pipeline never ran.
    pub model_hashes: &'a std::collections::BTreeMap<String, String>,
}

impl<'a> Context<'a> {
    /// The context of a compiled pipeline.
    pub fn of(
        compilation: &'a crate::driver::Compilation,
        approvals: &'a [crate::approvals::Approval],
        model_hashes: &'a std::collections::BTreeMap<String, String>,
    ) -> Context<'a> {
        Context {
            program: &compilation.program,
            resolved: &compilation.resolved,
            sources: &compilation.sources,
            data_files: &compilation.data_files,
            confinement: &compilation.confinement,
            diagnostics: &compilation.diagnostics,
            approvals,
            model_hashes,
        }
    }
}

/// A finding and, when a block waived it, the waiver.
#[derive(Clone, Debug)]
pub struct Finding {
    pub diagnostic: Diagnostic,
    pub waiver: Option<Waived>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Waived {
    pub reason: String,
    pub file: FileId,
    pub span: Span,
}

impl Finding {
    /// Whether it counts: not waived and at least as severe as `level`.
    pub fn fails(&self, deny_warnings: bool) -> bool {
        self.waiver.is_none()
            && match self.diagnostic.severity {
                Severity::Error => true,
                Severity::Warning => deny_warnings,
                Severity::Info => false,
            }
    }
}

/// What `mlp lint` found: the findings, sorted by position, and the
/// state of every obligation a gating policy states with `require lint.X`.
pub struct Linted {
    pub findings: Vec<Finding>,
    pub obligations: Vec<Obligation>,
}

/// A `require lint.GOVnnn "message"` of a policy that gates a deployment.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Obligation {
    pub policy: String,
    pub rule: String,
    pub message: Option<String>,
    pub status: ObligationStatus,
    /// The reasons of the waivers, when it is waived.
    pub waivers: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObligationStatus {
    /// The rule finds nothing.
    Met,
    /// Every finding of the rule is waived, with a reason.
    Waived,
    Violated,
    /// The policy names a rule that does not exist.
    UnknownRule,
}

/// What `mlp lint` reports: the checker's diagnostics (but those a rule
/// reports in its own words, [`rules::RELABELED`]), then [`lint`]'s findings.
pub fn lint_with_check(ctx: &Context) -> Linted {
    let mut linted = lint(ctx);
    let mut findings: Vec<Finding> = ctx
        .diagnostics
        .iter()
        .filter(|d| !rules::RELABELED.contains(&d.code))
        .map(|d| Finding {
            diagnostic: d.clone(),
            waiver: None,
        })
        .collect();
    findings.append(&mut linted.findings);
    linted.findings = findings;
    linted
}

/// Runs every rule, marks each finding that a waiver of its block covers,
/// and applies the `require lint.X` obligations of the policies that gate
/// a deployment: their rule's findings take the policy's severity (when it
/// is higher) and carry its name and message.
pub fn lint(ctx: &Context) -> Linted {
    let mut diagnostics = Vec::new();
    for rule in rules::ALL {
        (rule.check)(ctx, &mut diagnostics);
    }
    let waivers = facts::waivers(ctx);
    let mut findings: Vec<Finding> = diagnostics
        .into_iter()
        .map(|diagnostic| {
            let waiver = waivers
                .iter()
                .find(|w| w.covers(&diagnostic))
                .map(|w| Waived {
                    reason: w.waiver.reason.clone(),
                    file: w.file,
                    span: w.waiver.span,
                });
            Finding { diagnostic, waiver }
        })
        .collect();
    let obligations = obligations(ctx, &mut findings);
    findings.sort_by(|a, b| {
        let key = |f: &Finding| f.diagnostic.labels.first().map(|l| (l.file, l.span.start));
        key(a)
            .cmp(&key(b))
            .then_with(|| a.diagnostic.code.cmp(&b.diagnostic.code))
    });
    Linted {
        findings,
        obligations,
    }
}

fn obligations(ctx: &Context, findings: &mut [Finding]) -> Vec<Obligation> {
    let gating: Vec<&str> = facts::deploys(ctx)
        .flat_map(|(_, d)| d.gates.iter().map(String::as_str))
        .collect();
    let mut out = Vec::new();
    for policy in &ctx.program.blocks {
        let crate::check::BlockInfo::Policy(info) = &policy.info else {
            continue;
        };
        if !gating.contains(&policy.name.as_str()) {
            continue;
        }
        let severity = match info.severity.as_str() {
            "warning" => Severity::Warning,
            "info" => Severity::Info,
            _ => Severity::Error,
        };
        for requirement in &info.rules {
            let Some(code) = &requirement.lint_rule else {
                continue;
            };
            let mut obligation = Obligation {
                policy: policy.name.clone(),
                rule: code.clone(),
                message: requirement.message.clone(),
                status: ObligationStatus::Met,
                waivers: Vec::new(),
            };
            if rule(code).is_none() {
                obligation.status = ObligationStatus::UnknownRule;
                out.push(obligation);
                continue;
            }
            let mut violated = false;
            for f in findings.iter_mut().filter(|f| f.diagnostic.code.0 == code) {
                let d = &mut f.diagnostic;
                d.severity = d.severity.min(severity);
                let why = requirement
                    .message
                    .as_deref()
                    .map_or(String::new(), |m| format!(": {m}"));
                d.message = format!("{} (required by policy `{}`{why})", d.message, policy.name);
                match &f.waiver {
                    Some(w) => obligation.waivers.push(w.reason.clone()),
                    None => violated = true,
                }
            }
            obligation.status = if violated {
                ObligationStatus::Violated
            } else if obligation.waivers.is_empty() {
                ObligationStatus::Met
            } else {
                ObligationStatus::Waived
            };
            out.push(obligation);
        }
    }
    out
}

/// A waiver and the block it stands in.
pub struct BlockWaiver<'a> {
    pub waiver: &'a Waiver,
    pub file: FileId,
    /// The whole block: findings inside it are waived.
    pub block: Span,
}

impl BlockWaiver<'_> {
    /// Whether the finding is of the waived rule and stands in the block.
    pub fn covers(&self, finding: &Diagnostic) -> bool {
        finding.code.0 == self.waiver.rule
            && finding.labels.first().is_some_and(|l| {
                l.file == self.file
                    && self.block.start <= l.span.start
                    && l.span.end <= self.block.end
            })
    }
}
