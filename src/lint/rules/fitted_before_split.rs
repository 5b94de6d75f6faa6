//! A fitted transform that learns from rows the test part holds.
//!
//! ## What it does
//!
//! Reports a fitted operation (`standardize`, `min_max`, `impute` with a
//! learned value) that runs before the split, so that it learns from the rows
//! that are later used for evaluation (the checker's `MLP2016`, under a rule
//! that can be waived).
//!
//! ## Why it matters
//!
//! The test rows leak into the training through the fitted statistics (their
//! mean, their range): evaluation overstates how the model does on rows it
//! has never seen.
//!
//! ## Example
//!
//! ```mlp
//! transform scaled = applications | standardize(Income)
//! split holdout = scaled { train = 0.8, test = 0.2 }
//! ```
//!
//! ## How to fix
//!
//! Split first, and fit the transform on the training part:
//! `transform scaled = holdout.train | standardize(Income)`; mlp applies the
//! fitted state to the other parts.
//!
//! ## References
//!
//! - EU AI Act, Article 10(3) and Article 15(1).

use super::super::{Context, Rule};
use super::relabel;
use crate::diagnostics::codes;
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV017",
    name: "fitted-before-split",
    severity: Severity::Warning,
    doc: include_str!("../../../docs/rules/GOV017.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    relabel(ctx, codes::LEAKAGE_FIT_BEFORE_SPLIT, &RULE, out);
}
