//! A data source with no expectations on its data.
//!
//! ## What it does
//!
//! Reports a `source` block with no `expect { ... }` block. In a `high` risk
//! pipeline the finding is an error.
//!
//! ## Why it matters
//!
//! Expectations (`rows >= 1000`, `nulls(Income) <= 0.1`, `Age in 18..100`) are
//! checked on every run before anything trains: a broken export or a changed
//! upstream schema stops the run instead of training a model on bad data.
//! High-risk systems must use data that is relevant, representative and, as
//! far as possible, free of errors.
//!
//! ## Example
//!
//! ```mlp
//! source applications: csv {
//!   path = "data/applications.csv"
//!   schema { Age: int, Income: float? }
//! }
//! ```
//!
//! ## How to fix
//!
//! Add an `expect { ... }` block with the properties the data must have.
//!
//! ## References
//!
//! - EU AI Act, Article 10(3) (data quality).

use super::super::{facts, Context, Rule};
use super::error_when_high_risk;
use crate::check::BlockInfo;
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV009",
    name: "source-without-expectations",
    severity: Severity::Warning,
    doc: include_str!("../../../docs/rules/GOV009.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    let severity = error_when_high_risk(ctx, &RULE);
    for block in facts::own_blocks(ctx) {
        let BlockInfo::Source(source) = &block.info else {
            continue;
        };
        if !source.expect.is_empty() {
            continue;
        }
        let mut d = RULE
            .finding(format!(
                "source `{}` sets no expectations on its data",
                block.name
            ))
            .with_label(
                block.file,
                facts::name_span(ctx, block),
                "no `expect` block",
            )
            .with_help("add `expect { rows >= 1000, nulls(col) <= 0.1, col in lo..hi }`");
        d.severity = severity;
        out.push(d);
    }
}
