//! Training data read from outside the project, or over plain HTTP.
//!
//! ## What it does
//!
//! Reports a source whose data files lie outside the project root (which
//! `mlp` reads only with `--allow-outside-root`), or whose `path` is a plain
//! `http://` URL.
//!
//! ## Why it matters
//!
//! Data outside the repository is not versioned with the pipeline: nobody can
//! tell later which rows a model was trained on. Data fetched over plain HTTP
//! can be read and changed in transit.
//!
//! ## Example
//!
//! ```mlp
//! source a: csv { path = "/mnt/shared/applications.csv", schema { Age: int } }
//! ```
//!
//! ## How to fix
//!
//! Copy or link the data into the project (or a data-versioning tool's
//! checkout inside it), and use `https://` for remote data.
//!
//! ## References
//!
//! - EU AI Act, Article 10(2) and Article 12 (traceability of training data).

use super::super::{facts, Context, Rule};
use crate::check::types::Value;
use crate::check::BlockInfo;
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV023",
    name: "data-outside-project",
    severity: Severity::Error,
    doc: include_str!("../../../docs/rules/GOV023.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for (index, block) in ctx.program.blocks.iter().enumerate() {
        if !matches!(block.info, BlockInfo::Source(_)) {
            continue;
        }
        let span = facts::field_span(ctx, block, "path");
        if let Some(Value::Str(path)) = block.fields.get("path") {
            if path.to_ascii_lowercase().starts_with("http://") {
                out.push(
                    RULE.finding(format!(
                        "source `{}` reads data over plain HTTP",
                        block.name
                    ))
                    .with_label(block.file, span, "unencrypted")
                    .with_help("use https://, or bring the data into the project"),
                );
                continue;
            }
        }
        let Some(Ok(files)) = ctx.data_files.get(&index) else {
            continue;
        };
        let outside: Vec<String> = files
            .iter()
            .filter(|f| !ctx.confinement.contains(f))
            .map(|f| f.display().to_string())
            .collect();
        if outside.is_empty() {
            continue;
        }
        out.push(
            RULE.finding(format!(
                "source `{}` reads {} file(s) outside the project root, such as {}",
                block.name,
                outside.len(),
                outside[0]
            ))
            .with_label(block.file, span, "outside the project")
            .with_help("bring the data into the project so that it is versioned with the pipeline"),
        );
    }
}
