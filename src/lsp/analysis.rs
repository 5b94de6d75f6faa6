//! One analysis of an open document: the CLI's front end (`driver::compile_text`,
//! the same parser, resolver and checker) plus lint, on the editor's text, with
//! the other open documents served before the disk.

use super::actions::{fixes, Fix};
use super::documents::{uri_of, LineIndex};
use super::index::{self, Index};
use crate::diagnostics::{Diagnostic, Severity};
use crate::driver::{Access, Compilation};
use crate::source::FileId;
use lsp_types as lsp;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What requests read: the latest completed analysis of a document.
pub struct Analysis {
    pub version: i32,
    /// The text analysed (positions of this analysis refer to it).
    pub text: String,
    /// The lines of `text`, built once for every request that reads it.
    pub index: LineIndex,
    pub compilation: Option<Compilation>,
    /// Every name of the compilation and what it refers to, and its other
    /// words, built once.
    pub words: Index,
    /// The LSP diagnostics of the document itself.
    pub diagnostics: Vec<lsp::Diagnostic>,
    /// The document's real path, the real paths of the project modules it
    /// imports, and the diagnostics this analysis found in each of them: an
    /// imported module open beside it shows these instead of its own (it
    /// is checked with its importers, not as a pipeline of its own).
    pub path: Option<PathBuf>,
    pub imports: Vec<PathBuf>,
    pub in_modules: Vec<(PathBuf, Vec<lsp::Diagnostic>)>,
    /// The quick fixes of those diagnostics.
    pub fixes: Vec<Fix>,
    /// The `.mlp` files of the project, what a `use` may import (listed on
    /// the worker thread: a completion never reads the disk).
    pub modules: Arc<[PathBuf]>,
}

/// The `.mlp` files under `root` whose real location is inside it.
pub fn project_modules(root: &Path) -> Arc<[PathBuf]> {
    let Ok(real_root) = std::fs::canonicalize(root) else {
        return Arc::from([]);
    };
    let files = crate::driver::collect_files(&[root.to_path_buf()]).unwrap_or_default();
    files
        .into_iter()
        .filter(|f| std::fs::canonicalize(f).is_ok_and(|real| real.starts_with(&real_root)))
        .collect()
}

/// Analyses `text` as the entry file `path`, reading only inside `root`.
pub fn analyse(
    path: &Path,
    version: i32,
    text: &str,
    root: Option<&Path>,
    open: &HashMap<PathBuf, String>,
    modules: Arc<[PathBuf]>,
) -> Analysis {
    let access = Access {
        root: root.map(Path::to_path_buf),
        allow_outside_root: false,
    };
    let overlay = |p: &Path| open.get(p).cloned();
    let compiled = crate::driver::compile_text(
        path,
        text.to_string(),
        &crate::check::Options::default(),
        &access,
        &overlay,
    );
    let Ok(compilation) = compiled else {
        return Analysis {
            version,
            text: text.to_string(),
            index: LineIndex::new(text),
            compilation: None,
            words: Index::default(),
            diagnostics: Vec::new(),
            path: std::fs::canonicalize(path).ok(),
            imports: Vec::new(),
            in_modules: Vec::new(),
            fixes: Vec::new(),
            modules,
        };
    };
    let all: Vec<Diagnostic> = if compilation.has_errors() {
        compilation.diagnostics.clone()
    } else {
        // A damaged record counts as none here (its approval is reported
        // missing, the strict reading); `mlp lint` names the file.
        let evidence = crate::approvals::evidence(&compilation.project_dir).unwrap_or_default();
        let context =
            crate::lint::Context::of(&compilation, &evidence.approvals, &evidence.model_hashes);
        crate::lint::lint_with_check(&context)
            .findings
            .into_iter()
            .filter(|f| f.waiver.is_none())
            .map(|f| f.diagnostic)
            .collect()
    };
    let paired = to_lsp(&compilation, &all, FileId(0));
    // The modules on disk (the standard library's have no real path).
    let modules_read: Vec<(FileId, PathBuf)> = compilation
        .sources
        .ids()
        .filter(|f| *f != FileId(0))
        .filter_map(|f| {
            Some((
                f,
                std::fs::canonicalize(&compilation.sources.get(f).path).ok()?,
            ))
        })
        .collect();
    let in_modules = modules_read
        .iter()
        .map(|(f, real)| {
            let found = to_lsp(&compilation, &all, *f)
                .into_iter()
                .map(|(_, d)| d)
                .collect();
            (real.clone(), found)
        })
        .collect();
    let imports = modules_read.into_iter().map(|(_, real)| real).collect();
    let index = LineIndex::new(text);
    let fixes = fixes(&compilation, text, &index, &paired);
    let diagnostics = paired.into_iter().map(|(_, d)| d).collect();
    Analysis {
        version,
        text: text.to_string(),
        index,
        words: index::build(&compilation),
        compilation: Some(compilation),
        diagnostics,
        path: std::fs::canonicalize(path).ok(),
        imports,
        in_modules,
        fixes,
        modules,
    }
}

/// The diagnostics whose primary label lies in `file`, each with its LSP
/// form: code, severity, message and help, secondary labels as related
/// information.
pub fn to_lsp<'d>(
    compilation: &Compilation,
    all: &'d [Diagnostic],
    file: FileId,
) -> Vec<(&'d Diagnostic, lsp::Diagnostic)> {
    let sources = &compilation.sources;
    let mut indexes: HashMap<FileId, LineIndex> = HashMap::new();
    let mut range = |f: FileId, span| {
        let text = &sources.get(f).text;
        indexes
            .entry(f)
            .or_insert_with(|| LineIndex::new(text))
            .range(text, span)
    };
    let mut out = Vec::new();
    for d in all {
        let Some(primary) = d.primary() else { continue };
        if primary.file != file {
            continue;
        }
        let mut message = d.message.clone();
        if !primary.message.is_empty() {
            message.push_str(&format!(": {}", primary.message));
        }
        if let Some(help) = &d.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        let related: Vec<lsp::DiagnosticRelatedInformation> = d.labels[1..]
            .iter()
            .filter_map(|l| {
                let path = std::fs::canonicalize(&sources.get(l.file).path).ok()?;
                Some(lsp::DiagnosticRelatedInformation {
                    location: lsp::Location {
                        uri: uri_of(&path)?,
                        range: range(l.file, l.span),
                    },
                    message: l.message.clone(),
                })
            })
            .collect();
        let converted = lsp::Diagnostic {
            range: range(primary.file, primary.span),
            severity: Some(match d.severity {
                Severity::Error => lsp::DiagnosticSeverity::ERROR,
                Severity::Warning => lsp::DiagnosticSeverity::WARNING,
                Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
            }),
            code: Some(lsp::NumberOrString::String(d.code.0.to_string())),
            source: Some("mlp".into()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            ..Default::default()
        };
        out.push((d, converted));
    }
    out
}
