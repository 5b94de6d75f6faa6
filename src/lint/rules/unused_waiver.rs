//! A waiver that waives nothing.
//!
//! ## What it does
//!
//! Reports an `allow(GOVnnn, reason = "...")` in a block where rule
//! `GOVnnn` finds nothing to report.
//!
//! ## Why it matters
//!
//! A waiver outlives the problem it was written for: left in place, it
//! silently waives the next, different finding of the same rule in that
//! block, which nobody has reviewed.
//!
//! ## Example
//!
//! ```mlp
//! source a: csv {
//!   path = "a.csv"
//!   schema { x: float }
//!   expect { rows >= 10 }
//!   allow(GOV009, reason = "expectations come later")
//! }
//! ```
//!
//! ## How to fix
//!
//! Remove the waiver.
//!
//! ## References
//!
//! - docs/governance.md, *Waivers*.

use super::super::{facts, rule, Context, Rule};
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV026",
    name: "unused-waiver",
    severity: Severity::Warning,
    doc: include_str!("../../../docs/rules/GOV026.md"),
    check,
};

/// Runs after every other rule: `out` holds their findings.
fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    let mut unused = Vec::new();
    for w in facts::waivers(ctx) {
        if rule(&w.waiver.rule).is_none() || out.iter().any(|d| w.covers(d)) {
            continue;
        }
        unused.push(
            RULE.finding(format!(
                "the waiver of {} waives nothing here",
                w.waiver.rule
            ))
            .with_label(w.file, w.waiver.span, "nothing to waive")
            .with_help("remove it"),
        );
    }
    out.extend(unused);
}
