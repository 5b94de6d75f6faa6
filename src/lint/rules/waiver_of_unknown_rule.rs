//! A waiver of a rule that does not exist.
//!
//! ## What it does
//!
//! Reports an `allow(GOVnnn, reason = "...")` whose code is not a rule of
//! `mlp lint`.
//!
//! ## Why it matters
//!
//! A mistyped code waives nothing: the finding it was meant for is still
//! reported, and the waiver misleads the reader into thinking it was
//! considered.
//!
//! ## Example
//!
//! ```mlp
//! model m: ridge { data = h.train, target = price, allow(GOV999, reason = "legacy") }
//! ```
//!
//! ## How to fix
//!
//! Use the code the finding shows (`mlp lint` prints it), or remove the
//! waiver. `mlp explain GOVnnn` describes a rule.
//!
//! ## References
//!
//! - docs/governance.md, *Waivers*.

use super::super::{facts, rule, Context, Rule};
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV025",
    name: "waiver-of-unknown-rule",
    severity: Severity::Error,
    doc: include_str!("../../../docs/rules/GOV025.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for w in facts::waivers(ctx) {
        if rule(&w.waiver.rule).is_some() {
            continue;
        }
        out.push(
            RULE.finding(format!(
                "`{}` is not a lint rule: the waiver waives nothing",
                w.waiver.rule
            ))
            .with_label(w.file, w.waiver.span, "unknown rule")
            .with_help("use the code `mlp lint` shows for the finding, or remove the waiver"),
        );
    }
}
