//! `mlp doc`: documentation written from the checked program and a run.
//!
//! One model card per model, after Mitchell et al., *Model Cards for Model
//! Reporting* (FAT* 2019), and, for a pipeline of risk tier `high`, an
//! outline of the technical documentation of Annex IV of the EU AI Act
//! (Regulation (EU) 2024/1689), with what must be written by hand marked
//! `TO COMPLETE`. Like the linter, this is a consumer of the checked
//! program ([`crate::check::Program`]): it never parses the text again, and
//! no phase below it imports it. It reads the findings of [`crate::lint`],
//! the approval records ([`crate::approvals`]) and a run folder
//! ([`run`]); see docs/model-cards.md for where each value comes from.
//!
//! The documents are built as a small tree ([`render::Doc`]) and rendered
//! by tera with the templates of `templates/`, as Markdown or as one HTML
//! page; every string that comes from the pipeline or the run is escaped
//! there (autoescaping for HTML, the `md` filters for Markdown).

mod annex;
mod card;
pub mod facts;
pub mod output;
pub mod render;
pub mod run;

use crate::diagnostics::Diagnostic;
use crate::lint::{Context, Finding, Obligation};
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Html => "html",
        }
    }
}

/// What the documents are written from, besides the lint context.
pub struct Options<'a> {
    pub format: Format,
    /// The run whose values fill the documents; `None`: not run yet.
    pub run: Option<&'a run::RunData>,
    /// The day the documents are written, `2026-12-03`.
    pub date: String,
    /// The project folder: positions are shown relative to it.
    pub project_dir: &'a Path,
}

/// One file to write: its name in the output folder and its text.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    pub file: String,
    pub text: String,
}

/// What the builders of the documents read.
pub(crate) struct Inputs<'a> {
    pub ctx: &'a Context<'a>,
    pub run: Option<&'a run::RunData>,
    /// The lint findings of the pipeline (the checker's warnings among
    /// them, as `mlp lint` reports them), waived ones included.
    pub findings: Vec<Finding>,
    pub obligations: Vec<Obligation>,
    pub date: &'a str,
    pub project_dir: &'a Path,
}

/// The documents of the pipeline: `model-<name>` for every model, then
/// `annex-iv` when its risk tier is `high`.
pub fn documents(ctx: &Context, options: &Options) -> Vec<Document> {
    let linted = crate::lint::lint_with_check(ctx);
    let inputs = Inputs {
        ctx,
        run: options.run,
        findings: linted.findings,
        obligations: linted.obligations,
        date: &options.date,
        project_dir: options.project_dir,
    };
    let render = |doc: &render::Doc| match options.format {
        Format::Markdown => render::markdown(doc),
        Format::Html => render::html(doc),
    };
    let ext = options.format.extension();
    let mut out: Vec<Document> = ctx
        .program
        .models()
        .map(|(block, model)| Document {
            file: format!("model-{}.{ext}", file_safe(&block.name)),
            text: render(&card::card(&inputs, block, model)),
        })
        .collect();
    if facts::risk(ctx.program) == "high" {
        out.push(Document {
            file: format!("annex-iv.{ext}"),
            text: render(&annex::annex(&inputs)),
        });
    }
    out
}

/// A block name as a file name: letters, digits, `_`, `-` and `.` kept.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Today in UTC, `2026-12-03`; `SOURCE_DATE_EPOCH` (seconds), when set,
/// fixes it, so that documents can be written reproducibly.
pub fn today() -> String {
    let now = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map_or_else(crate::clock::Utc::now, crate::clock::Utc::from_unix);
    format!("{:04}-{:02}-{:02}", now.year, now.month, now.day)
}

impl Inputs<'_> {
    /// `main.mlp:115`: where a finding points, relative to the project.
    pub fn position(&self, d: &Diagnostic) -> String {
        let Some(label) = d.labels.first() else {
            return "the pipeline".to_string();
        };
        let file = self.ctx.sources.get(label.file);
        let shown = file
            .path
            .strip_prefix(self.project_dir)
            .ok()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| file.name.clone(), |p| p.display().to_string())
            .replace('\\', "/");
        let shown = shown.strip_prefix("./").unwrap_or(&shown).to_string();
        format!("{shown}:{}", file.line_col(label.span.start as usize).line)
    }

    /// The paragraph under each document's title: what it documents, from what.
    pub fn provenance(&self) -> render::Text {
        let text = render::Text::plain(format!(
            "Written by mlp {} on {} from the pipeline",
            crate::exec::cache::MLP_VERSION,
            self.date
        ));
        match self.run {
            Some(run) => text.and(" and its run ").and_code(&run.id).and("."),
            None => text
                .and(" alone: it has not run yet, so no metric, row count or artifact hash is known (")
                .and_code("mlp run")
                .and(" it, then ")
                .and_code("mlp doc")
                .and(" again)."),
        }
    }
}
