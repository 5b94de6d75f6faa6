//! Rendering of diagnostics: miette's graphical report for people, JSON for tools.

use super::{Diagnostic, Label, Severity};
use crate::source::SourceMap;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HumanStyle {
    pub color: bool,
    pub width: usize,
}

/// The graphical report of one diagnostic, as a string.
pub fn human(diagnostic: &Diagnostic, sources: &SourceMap, style: HumanStyle) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false);
    let mut out = String::new();
    let report = MietteAdapter::new(diagnostic, &diagnostic.labels, sources, true);
    if handler.render_report(&mut out, &report).is_err() {
        // A report miette cannot lay out still deserves its message.
        out = format!(
            "{}[{}]: {}\n",
            diagnostic.severity.as_str(),
            diagnostic.code,
            diagnostic.message
        );
    }
    out
}

struct MietteAdapter<'a> {
    diagnostic: &'a Diagnostic,
    labels: Vec<LabeledSpan>,
    source: Option<NamedSource<String>>,
    related: Vec<MietteAdapter<'a>>,
    is_top: bool,
}

impl<'a> MietteAdapter<'a> {
    fn new(
        diagnostic: &'a Diagnostic,
        labels: &'a [Label],
        sources: &SourceMap,
        is_top: bool,
    ) -> MietteAdapter<'a> {
        let file = labels.first().map(|l| l.file);
        let (here, elsewhere): (Vec<&Label>, Vec<&Label>) =
            labels.iter().partition(|l| Some(l.file) == file);
        let source = file.map(|f| {
            let file = sources.get(f);
            NamedSource::new(file.name.clone(), file.text.clone())
        });
        let labels = here
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let span = SourceSpan::from(l.span.range());
                let text = Some(l.message.clone()).filter(|m| !m.is_empty());
                if i == 0 {
                    LabeledSpan::new_primary_with_span(text, span)
                } else {
                    LabeledSpan::new_with_span(text, span)
                }
            })
            .collect();
        // miette shows one source per report: labels in other files become related reports.
        let related = elsewhere
            .into_iter()
            .map(|l| MietteAdapter::new(diagnostic, std::slice::from_ref(l), sources, false))
            .collect();
        MietteAdapter {
            diagnostic,
            labels,
            source,
            related,
            is_top,
        }
    }
}

impl fmt::Debug for MietteAdapter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl fmt::Display for MietteAdapter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_top {
            f.write_str(&self.diagnostic.message)
        } else {
            f.write_str("see also")
        }
    }
}

impl std::error::Error for MietteAdapter<'_> {}

impl miette::Diagnostic for MietteAdapter<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.is_top
            .then(|| Box::new(self.diagnostic.code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let help = self.diagnostic.help.as_ref().filter(|_| self.is_top)?;
        Some(Box::new(help))
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

#[derive(Serialize)]
pub struct JsonPosition {
    pub line: usize,
    pub column: usize,
}

#[derive(Serialize)]
pub struct JsonLabel {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end: JsonPosition,
    pub message: String,
}

/// The JSON form of a diagnostic: a stable format for tools.
#[derive(Serialize)]
pub struct JsonDiagnostic {
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub end: Option<JsonPosition>,
    pub help: Option<String>,
    pub labels: Vec<JsonLabel>,
}

pub fn json(diagnostic: &Diagnostic, sources: &SourceMap) -> JsonDiagnostic {
    let labels: Vec<JsonLabel> = diagnostic
        .labels
        .iter()
        .map(|l| {
            let file = sources.get(l.file);
            let start = file.line_col(l.span.start as usize);
            let end = file.line_col(l.span.end as usize);
            JsonLabel {
                file: file.name.clone(),
                line: start.line,
                column: start.column,
                end: JsonPosition {
                    line: end.line,
                    column: end.column,
                },
                message: l.message.clone(),
            }
        })
        .collect();
    let primary = labels.first();
    JsonDiagnostic {
        code: diagnostic.code.0.to_string(),
        severity: diagnostic.severity,
        message: diagnostic.message.clone(),
        file: primary.map(|l| l.file.clone()),
        line: primary.map(|l| l.line),
        column: primary.map(|l| l.column),
        end: primary.map(|l| JsonPosition {
            line: l.end.line,
            column: l.end.column,
        }),
        help: diagnostic.help.clone(),
        labels,
    }
}
