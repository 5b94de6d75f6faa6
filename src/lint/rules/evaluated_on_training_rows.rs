//! A model evaluated on the rows it was trained on.
//!
//! ## What it does
//!
//! Reports an `evaluate` block whose table is, or contains, the training rows
//! of its model (the checker's `MLP2017`, under a rule that can be waived).
//!
//! ## Why it matters
//!
//! A model scores better on the rows it has seen: the metrics are optimistic,
//! and gates on them pass models that will fail on new data.
//!
//! ## Example
//!
//! ```mlp
//! evaluate m on holdout.train { metrics = [accuracy] }
//! ```
//!
//! ## How to fix
//!
//! Evaluate on held-out rows: `evaluate m on holdout.test`.
//!
//! ## References
//!
//! - EU AI Act, Article 15(1) (accuracy, measured appropriately).

use super::super::{Context, Rule};
use super::relabel;
use crate::diagnostics::codes;
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV016",
    name: "evaluated-on-training-rows",
    severity: Severity::Warning,
    doc: include_str!("../../../docs/rules/GOV016.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    relabel(ctx, codes::LEAKAGE_EVAL_ON_TRAIN, &RULE, out);
}
