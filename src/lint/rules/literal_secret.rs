//! A secret written in the pipeline.
//!
//! ## What it does
//!
//! Reports an `environment` variable of a deployment whose value is a literal
//! string and whose name says it is a credential (`PASSWORD`, `TOKEN`,
//! `SECRET`, `API_KEY`, `CREDENTIAL`, `PRIVATE_KEY`), or whose value looks
//! like one (20 characters or more, no spaces, at least 4 bits of entropy per
//! character).
//!
//! ## Why it matters
//!
//! A secret in a `.mlp` file is in the repository's history forever, in every
//! clone and every CI log, and in the generated manifests. Secrets belong in a
//! secret store, referenced by name.
//!
//! ## Example
//!
//! ```mlp
//! deploy api: kubernetes {
//!   model = scorer
//!   image = "registry.example.com/s:1.0"
//!   environment { DB_PASSWORD = "hunter2" }
//! }
//! ```
//!
//! ## How to fix
//!
//! Reference the secret: `DB_PASSWORD = secret("credit-db/password")`, and
//! rotate the one that was committed.
//!
//! ## References
//!
//! - OWASP, *Secrets Management Cheat Sheet*.
//! - CWE-798 (use of hard-coded credentials).

use super::super::{facts, Context, Rule};
use crate::check::EnvValue;
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV022",
    name: "literal-secret",
    severity: Severity::Error,
    doc: include_str!("../../../docs/rules/GOV022.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    const NAMES: [&str; 7] = [
        "PASSWORD",
        "PASSWD",
        "TOKEN",
        "SECRET",
        "API_KEY",
        "CREDENTIAL",
        "PRIVATE_KEY",
    ];
    for (block, info) in facts::deploys(ctx) {
        for (name, value) in &info.environment {
            let EnvValue::Literal(text) = value else {
                continue;
            };
            let upper = name.to_ascii_uppercase();
            let by_name = NAMES.iter().any(|n| upper.contains(n));
            if !by_name && !looks_random(text) {
                continue;
            }
            let span = facts::written_field(ctx, block, &format!("environment.{name}"))
                .unwrap_or_else(|| facts::name_span(ctx, block));
            let why = if by_name {
                "its name says it is a credential"
            } else {
                "its value looks like a key"
            };
            out.push(
                RULE.finding(format!(
                    "`{name}` of `{}` is written in the pipeline, and {why}",
                    block.name
                ))
                .with_label(block.file, span, "a literal secret")
                .with_help(format!(
                    "write `{name} = secret(\"store/key\")`, and rotate the committed value"
                )),
            );
        }
    }
}

/// A long token of high character entropy: how keys and tokens look.
fn looks_random(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() < 20 || chars.iter().any(|c| c.is_whitespace()) {
        return false;
    }
    let mut counts = std::collections::HashMap::new();
    for c in &chars {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let n = chars.len() as f64;
    let entropy: f64 = counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum();
    entropy >= 4.0
}
