//! A container image without a pinned version.
//!
//! ## What it does
//!
//! Reports a deployment whose `image` has no tag, the tag `latest`, or no
//! registry digest where one is expected.
//!
//! ## Why it matters
//!
//! `latest` (or no tag, which means `latest`) names whatever was pushed last:
//! the image that runs is not the one that was tested, two replicas can run
//! different code, and a rollback has nothing to roll back to.
//!
//! ## Example
//!
//! ```mlp
//! deploy api: kubernetes { model = scorer, image = "registry.example.com/scorer:latest" }
//! ```
//!
//! ## How to fix
//!
//! Use a version tag or a digest:
//! `image = "registry.example.com/scorer:1.4.2"` or `...@sha256:...`.
//!
//! ## References
//!
//! - EU AI Act, Article 15(4) (robustness and resilience; reproducible builds).

use super::super::{facts, Context, Rule};
use crate::check::types::Value;
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV019",
    name: "image-not-pinned",
    severity: Severity::Warning,
    doc: include_str!("../../../docs/rules/GOV019.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for (block, _) in facts::deploys(ctx) {
        let Some(Value::Str(image)) = block.fields.get("image") else {
            continue;
        };
        let Some(problem) = unpinned(image) else {
            continue;
        };
        out.push(
            RULE.finding(format!("the image of `{}` {problem}", block.name))
                .with_label(
                    block.file,
                    facts::field_span(ctx, block, "image"),
                    "not pinned",
                )
                .with_help("use a version tag or a digest: `name:1.4.2` or `name@sha256:...`"),
        );
    }
}

/// What is wrong with an image reference, or `None` when it is pinned.
fn unpinned(image: &str) -> Option<&'static str> {
    if image.contains("@sha256:") {
        return None;
    }
    // The tag follows the last `:` after the last `/` (a registry may have a port).
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => Some("has no tag, which means `latest`"),
        Some((_, "latest")) => Some("is tagged `latest`"),
        Some((_, "")) => Some("has an empty tag"),
        Some(_) => None,
    }
}
