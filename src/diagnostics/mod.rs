//! Diagnostics: plain data produced by every phase, rendered in one place.
//!
//! A [`Diagnostic`] names its [`Code`] (from the table in [`codes`]), a
//! severity, a message, labelled spans and an optional help line. Phases
//! never format text for a terminal themselves: [`render`] does, for humans
//! (miette) and for machines (JSON).

pub mod codes;
pub mod render;

pub use codes::Code;

use crate::source::{FileId, Span};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

/// An edit that fixes a diagnostic, where the phase that found it knows
/// one: `replacement` in place of `span` of `file` (an empty span inserts).
/// The language server offers it as a quick fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub file: FileId,
    pub span: Span,
    pub replacement: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// The first label is the primary one: it gives the reported position.
    pub labels: Vec<Label>,
    pub help: Option<String>,
    /// Boxed: most diagnostics have none, and every `Result` carrying a
    /// diagnostic stays small.
    pub suggestion: Option<Box<Suggestion>>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            help: None,
            suggestion: None,
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn with_label(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            file,
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_suggestion(
        mut self,
        file: FileId,
        span: Span,
        replacement: impl Into<String>,
    ) -> Self {
        self.suggestion = Some(Box::new(Suggestion {
            file,
            span,
            replacement: replacement.into(),
        }));
        self
    }

    /// "did you mean `s`?" as the help, and `s` in place of the misspelled
    /// name at `span` as the suggestion.
    pub fn with_correction(self, file: FileId, span: Span, s: &str) -> Self {
        self.with_help(format!("did you mean `{s}`?"))
            .with_suggestion(file, span, s)
    }

    pub fn primary(&self) -> Option<&Label> {
        self.labels.first()
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Diagnostics in a stable order: by file, then position, then code.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|d| {
        let at = d.primary().map(|l| (l.file, l.span.start, l.span.end));
        (at, d.code)
    });
}

/// "did you mean `x`?" for the closest candidate, if one is close enough.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, c)| *d <= (name.len().max(c.len()) / 3).max(1) && *c != name)
        .min()
        .map(|(_, c)| c)
}
