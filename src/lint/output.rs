//! The outputs of `mlp lint`: for people (the checker's renderer), JSON (a
//! stable structure, docs/governance.md), SARIF 2.1.0 (GitHub code
//! scanning and other tools) and GitHub workflow commands.

use super::{rule, Finding, Obligation, ObligationStatus};
use crate::diagnostics::render::{self, JsonDiagnostic};
use crate::diagnostics::{codes, Diagnostic, Severity};
use crate::source::SourceMap;
use serde::Serialize;
use serde_sarif::sarif;
use std::collections::BTreeMap;

/// The findings of one linted entry file, with the sources they point into.
pub struct Report<'a> {
    pub sources: &'a SourceMap,
    pub findings: Vec<Finding>,
    pub obligations: Vec<Obligation>,
}

/// Where the rule and error pages are published.
pub const DOCS_BASE: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs");

fn help_uri(code: &str) -> String {
    if code.starts_with("GOV") {
        format!("{DOCS_BASE}/rules/{code}.md")
    } else {
        format!("{DOCS_BASE}/errors/{code}.md")
    }
}

/// The counts of a set of reports; waived findings count apart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub waived: usize,
}

pub fn summary(reports: &[Report]) -> Summary {
    let mut s = Summary::default();
    for f in reports.iter().flat_map(|r| &r.findings) {
        match (&f.waiver, f.diagnostic.severity) {
            (Some(_), _) => s.waived += 1,
            (None, Severity::Error) => s.errors += 1,
            (None, Severity::Warning) => s.warnings += 1,
            (None, Severity::Info) => s.infos += 1,
        }
    }
    s
}

/// Findings the human output prints; the rest are counted. No one reads
/// thousands of reports (`mlp check` stops at as many).
pub const MAX_SHOWN: usize = 200;

/// The human output: each finding as the checker shows its diagnostics,
/// waived ones after a line saying so, and a summary line.
pub fn human(reports: &[Report], style: render::HumanStyle) -> String {
    let mut out = String::new();
    let total: usize = reports.iter().map(|r| r.findings.len()).sum();
    let shown = reports
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| (r, f)))
        .take(MAX_SHOWN);
    for (report, f) in shown {
        let mut d = f.diagnostic.clone();
        if let Some(w) = &f.waiver {
            d.message = format!("(waived: {}) {}", w.reason, d.message);
            d.severity = Severity::Info;
        }
        out.push_str(&render::human(&d, report.sources, style));
    }
    if total > MAX_SHOWN {
        out.push_str(&format!(
            "… and {} more; the totals below count them all, `--format json` lists them\n",
            total - MAX_SHOWN
        ));
    }
    for o in reports.iter().flat_map(|r| &r.obligations) {
        let state = match o.status {
            ObligationStatus::Met => "met".to_string(),
            ObligationStatus::Waived => format!("waived: {}", o.waivers.join("; ")),
            ObligationStatus::Violated => "VIOLATED".to_string(),
            ObligationStatus::UnknownRule => "UNKNOWN RULE".to_string(),
        };
        let name = rule(&o.rule).map_or("", |r| r.name);
        let message = o.message.as_deref().unwrap_or(name);
        out.push_str(&format!(
            "{} {} ({name}) {message}: {state}\n",
            o.policy, o.rule
        ));
    }
    let s = summary(reports);
    out.push_str(&format!(
        "{} error(s), {} warning(s), {} note(s), {} waived\n",
        s.errors, s.warnings, s.infos, s.waived
    ));
    out
}

#[derive(Serialize)]
struct JsonFinding {
    #[serde(flatten)]
    diagnostic: JsonDiagnostic,
    /// The rule's name, for lint rules; the code's title for the checker's.
    name: &'static str,
    waived: Option<JsonWaiver>,
}

#[derive(Serialize)]
struct JsonWaiver {
    reason: String,
    file: String,
    line: usize,
    column: usize,
}

#[derive(Serialize)]
struct JsonReport {
    /// Raised when a field changes meaning or disappears.
    format: u32,
    mlp_version: &'static str,
    findings: Vec<JsonFinding>,
    /// The `require lint.X` rules of the policies that gate a deployment.
    obligations: Vec<Obligation>,
    summary: Summary,
}

fn name_of(code: &str) -> &'static str {
    match rule(code) {
        Some(r) => r.name,
        None => codes::lookup(code).map_or("", |c| c.title),
    }
}

pub fn json(reports: &[Report]) -> serde_json::Value {
    let findings = reports
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| (r.sources, f)))
        .map(|(sources, f)| JsonFinding {
            diagnostic: render::json(&f.diagnostic, sources),
            name: name_of(f.diagnostic.code.0),
            waived: f.waiver.as_ref().map(|w| {
                let file = sources.get(w.file);
                let at = file.line_col(w.span.start as usize);
                JsonWaiver {
                    reason: w.reason.clone(),
                    file: file.name.clone(),
                    line: at.line,
                    column: at.column,
                }
            }),
        })
        .collect();
    serde_json::to_value(JsonReport {
        format: 1,
        mlp_version: env!("CARGO_PKG_VERSION"),
        findings,
        obligations: reports
            .iter()
            .flat_map(|r| r.obligations.iter().cloned())
            .collect(),
        summary: summary(reports),
    })
    .unwrap_or_default()
}

/// GitHub Actions workflow commands: one annotation per finding, on the
/// line that causes it. Waived findings are not annotated.
pub fn github(reports: &[Report]) -> String {
    let mut out = String::new();
    for report in reports {
        for f in report.findings.iter().filter(|f| f.waiver.is_none()) {
            let d = render::json(&f.diagnostic, report.sources);
            let command = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            let mut properties = Vec::new();
            if let (Some(file), Some(line), Some(col)) = (&d.file, d.line, d.column) {
                properties.push(format!("file={}", property(&relative(file))));
                properties.push(format!("line={line}"));
                properties.push(format!("col={col}"));
                if let Some(end) = &d.end {
                    properties.push(format!("endLine={}", end.line));
                    properties.push(format!("endColumn={}", end.column));
                }
            }
            properties.push(format!(
                "title={}",
                property(&format!("{} {}", d.code, name_of(&d.code)))
            ));
            let mut message = d.message.clone();
            if let Some(help) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            out.push_str(&format!(
                "::{command} {}::{}\n",
                properties.join(","),
                data(&message)
            ));
        }
    }
    out
}

/// Escapes a workflow command's message (GitHub's `escapeData`).
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property (GitHub's `escapeProperty`).
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

/// A shown file name as a path relative to the working directory, with
/// `/` separators: what GitHub and SARIF consumers resolve against the
/// checkout.
fn relative(name: &str) -> String {
    let name = name.replace('\\', "/");
    name.strip_prefix("./").unwrap_or(&name).to_string()
}

fn level(severity: Severity) -> sarif::ResultLevel {
    match severity {
        Severity::Error => sarif::ResultLevel::Error,
        Severity::Warning => sarif::ResultLevel::Warning,
        Severity::Info => sarif::ResultLevel::Note,
    }
}

fn text(message: impl Into<String>) -> sarif::Message {
    sarif::Message {
        text: Some(message.into()),
        ..Default::default()
    }
}

fn multiformat(text: &str, markdown: Option<&str>) -> sarif::MultiformatMessageString {
    sarif::MultiformatMessageString {
        text: text.to_string(),
        markdown: markdown.map(str::to_string),
        properties: None,
    }
}

/// A rule's metadata, for a lint rule or a checker code.
fn descriptor(code: &str) -> sarif::ReportingDescriptor {
    let (name, short, full, page, severity) = match rule(code) {
        Some(r) => (r.name, r.summary(), r.description(), r.doc, r.severity),
        None => {
            let info = codes::lookup(code);
            let title = info.map_or("", |c| c.title);
            let page = info.map_or("", |c| c.page);
            let cause = super::section(page, "Cause").unwrap_or(title);
            (title, title, cause, page, Severity::Error)
        }
    };
    sarif::ReportingDescriptor::builder()
        .id(code.to_string())
        .name(name.to_string())
        .short_description(multiformat(short, None))
        .full_description(multiformat(full, None))
        .help(multiformat(full, Some(page)))
        .help_uri(help_uri(code))
        .default_configuration(sarif::ReportingConfiguration {
            level: Some(serde_json::to_value(level(severity)).unwrap_or_default()),
            ..Default::default()
        })
        .build()
}

fn location(d: &Diagnostic, sources: &SourceMap) -> Vec<sarif::Location> {
    d.labels
        .iter()
        .take(1)
        .map(|label| {
            let file = sources.get(label.file);
            let start = file.line_col(label.span.start as usize);
            let end = file.line_col(label.span.end as usize);
            sarif::Location {
                physical_location: Some(sarif::PhysicalLocation {
                    artifact_location: Some(sarif::ArtifactLocation {
                        uri: Some(relative(&file.name)),
                        uri_base_id: Some("%SRCROOT%".to_string()),
                        ..Default::default()
                    }),
                    region: Some(sarif::Region {
                        start_line: Some(start.line as i64),
                        start_column: Some(start.column as i64),
                        end_line: Some(end.line as i64),
                        end_column: Some(end.column as i64),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                message: Some(text(label.message.clone())),
                ..Default::default()
            }
        })
        .collect()
}

/// SARIF 2.1.0: one run, the rules of every code reported (lint rules and
/// the checker's codes), one result per finding, waivers as in-source
/// suppressions with their reason.
pub fn sarif(reports: &[Report]) -> serde_json::Value {
    let mut rules: BTreeMap<&str, usize> = BTreeMap::new();
    for f in reports.iter().flat_map(|r| &r.findings) {
        let next = rules.len();
        rules.entry(f.diagnostic.code.0).or_insert(next);
    }
    let mut ordered: Vec<(&str, usize)> = rules.iter().map(|(c, i)| (*c, *i)).collect();
    ordered.sort_by_key(|(_, i)| *i);
    let descriptors: Vec<sarif::ReportingDescriptor> =
        ordered.iter().map(|(code, _)| descriptor(code)).collect();
    let results: Vec<sarif::Result> = reports
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| (r.sources, f)))
        .map(|(sources, f)| {
            let d = &f.diagnostic;
            let mut message = d.message.clone();
            if let Some(help) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            let suppressions = f.waiver.as_ref().map(|w| {
                vec![sarif::Suppression::builder()
                    .kind(serde_json::json!("inSource"))
                    .status(serde_json::json!("accepted"))
                    .justification(w.reason.clone())
                    .build()]
            });
            let result = sarif::Result::builder()
                .rule_id(d.code.0.to_string())
                .rule_index(rules.get(d.code.0).map_or(0, |&i| i as i64))
                .level(level(d.severity))
                .message(text(message))
                .locations(location(d, sources));
            match suppressions {
                Some(s) => result.suppressions(s).build(),
                None => result.build(),
            }
        })
        .collect();
    let driver = sarif::ToolComponent::builder()
        .name("mlp".to_string())
        .version(env!("CARGO_PKG_VERSION").to_string())
        .semantic_version(env!("CARGO_PKG_VERSION").to_string())
        .information_uri(env!("CARGO_PKG_REPOSITORY").to_string())
        .rules(descriptors)
        .build();
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .results(results)
        .column_kind(serde_json::json!("unicodeCodePoints"))
        .build();
    let log = sarif::Sarif::builder()
        .schema(sarif::SCHEMA_URL.to_string())
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build();
    serde_json::to_value(log).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_escape_what_github_reads_as_syntax() {
        assert_eq!(data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn shown_names_become_relative_paths() {
        assert_eq!(relative("./main.mlp"), "main.mlp");
        assert_eq!(
            relative("examples\\credit\\main.mlp"),
            "examples/credit/main.mlp"
        );
    }
}
