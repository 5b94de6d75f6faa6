//! Rendering of diagnostics: miette's graphical report for people, JSON for tools.

use super::{Diagnostic, Label, Severity};
use crate::source::{SourceFile, SourceMap};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};
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
        .with_links(false)
        .with_show_related_as_nested(true);
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
    // Reports are printed one after the other: each ends its last line.
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// How many lines a secondary label may be from the primary one and share
/// its snippet.
const MAX_LINES_APART: usize = 6;

/// The longest line a snippet shows. miette lays lines out with format
/// widths, which panic past 65 535 columns; a line this long was generated,
/// and its position says more than its text.
const MAX_SHOWN_LINE: usize = 1000;

/// One file as miette's source. miette's own sources find a span's lines by
/// reading the text from its start, and copying the text into each report
/// costs its size too: a file with many diagnostics took time quadratic in
/// their count. This finds the lines in the file's line index, so a report
/// costs the size of its snippet.
struct FileSource<'a> {
    file: &'a SourceFile,
}

impl SourceCode for FileSource<'_> {
    /// The same contents as miette's reading of the whole text gives, line
    /// and column 0-based, with two differences: columns count characters
    /// (as every other position `mlp` prints), and only `\n` ends a line.
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let file = self.file;
        let text = file.text.as_bytes();
        let start = span.offset();
        let end = start + span.len();
        if end > text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first_line = file.line_index(start);
        // miette takes a span ending with a line break to end on the next line.
        let last_line = match end.checked_sub(1).filter(|_| end > start) {
            Some(last) if matches!(text[last], b'\n' | b'\r') => file.line_index(last) + 1,
            Some(last) => file.line_index(last),
            None => first_line,
        };
        let (data_start, line, column) = if before == 0 {
            (start, first_line, file.line_col(start).column - 1)
        } else {
            let line = first_line.saturating_sub(before);
            (file.line_start(line), line, 0)
        };
        let data_end = if after == 0 {
            end
        } else {
            file.line_start(last_line + after + 1)
        };
        // miette's `line_count` is the number of line breaks from the start
        // of the file to the end of the contents (it decides when the
        // snippets of two labels merge); kept so reports look the same.
        let line_count = file.line_index(data_end);
        Ok(Box::new(MietteSpanContents::new_named(
            file.name.clone(),
            &text[data_start..data_end],
            (data_start, data_end - data_start).into(),
            line,
            column,
            line_count,
        )))
    }
}

struct MietteAdapter<'a> {
    diagnostic: &'a Diagnostic,
    labels: Vec<LabeledSpan>,
    source: Option<FileSource<'a>>,
    /// Where the labels are, when their lines are too long to show.
    unshown: Option<String>,
    related: Vec<MietteAdapter<'a>>,
    is_top: bool,
}

impl<'a> MietteAdapter<'a> {
    fn new(
        diagnostic: &'a Diagnostic,
        labels: &'a [Label],
        sources: &'a SourceMap,
        is_top: bool,
    ) -> MietteAdapter<'a> {
        let first = labels.first();
        let file = first.map(|l| l.file);
        let source = file.map(|f| FileSource {
            file: sources.get(f),
        });
        // miette shows one snippet from the first label's line to the last
        // one's: a label far from the primary one gets a snippet of its own,
        // so the report does not print every line between them.
        let near_primary = |l: &Label| match (first, &source) {
            (Some(primary), Some(source)) if l.file == primary.file => {
                let line = |at: u32| source.file.line_index(at as usize);
                let (from, to) = (line(primary.span.start), line(primary.span.end));
                line(l.span.end) + MAX_LINES_APART >= from
                    && line(l.span.start) <= to + MAX_LINES_APART
            }
            _ => false,
        };
        let (here, elsewhere): (Vec<&Label>, Vec<&Label>) =
            labels.iter().partition(|l| near_primary(l));
        // A snippet of a line too long to show is replaced by its position.
        let unshown = source.as_ref().and_then(|source| {
            let file = source.file;
            let first = here.first()?;
            here.iter()
                .any(|l| widest_line_around(file, l.span) > MAX_SHOWN_LINE)
                .then(|| {
                    let at = file.line_col(first.span.start as usize);
                    format!("{}:{}:{}", file.name, at.line, at.column)
                })
        });
        let (source, here) = match unshown {
            Some(_) => (None, Vec::new()),
            None => (source, here),
        };
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
        // Labels in other files, or far away in this one, become related reports.
        let related = elsewhere
            .into_iter()
            .map(|l| MietteAdapter::new(diagnostic, std::slice::from_ref(l), sources, false))
            .collect();
        MietteAdapter {
            diagnostic,
            labels,
            source,
            unshown,
            related,
            is_top,
        }
    }
}

/// The longest line, in bytes, that a snippet of `span` shows (its lines and
/// one of context on each side).
fn widest_line_around(file: &SourceFile, span: crate::source::Span) -> usize {
    let first = file.line_index(span.start as usize).saturating_sub(1);
    let last = file.line_index(span.end as usize) + 1;
    (first..=last)
        .map(|line| file.line_start(line + 1) - file.line_start(line))
        .max()
        .unwrap_or(0)
}

impl fmt::Debug for MietteAdapter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl fmt::Display for MietteAdapter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_top {
            f.write_str(&self.diagnostic.message)?;
        } else {
            f.write_str("see also")?;
        }
        match &self.unshown {
            Some(at) => write!(f, "\nat {at} (the line is too long to show)"),
            None => Ok(()),
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
        // A related snippet is a pointer, not a second error.
        if !self.is_top {
            return Some(miette::Severity::Advice);
        }
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
