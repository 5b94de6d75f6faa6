//! A protected attribute used as a model input.
//!
//! ## What it does
//!
//! Reports a model with a feature tagged `@sensitive` (marital status, sex,
//! ethnicity, religion, ...), including columns derived from one.
//!
//! ## Why it matters
//!
//! Special categories of data may be processed by a high-risk system only to
//! detect and correct bias, never as an input to the decision; a decision
//! that depends on a protected attribute is discriminatory by construction.
//!
//! ## Example
//!
//! ```mlp
//! source a: csv { path = "a.csv", schema { Marital: enum("married", "single") @sensitive, Income: float, good: bool } }
//! transform t = a | one_hot(Marital)
//! model m: logistic_regression { data = t, target = good }
//! ```
//!
//! ## How to fix
//!
//! Drop the attribute before the model. Keep it in the evaluated table and
//! name it in `evaluate m on ... { groups = Marital }` to measure fairness.
//!
//! ## References
//!
//! - EU AI Act, Article 10(5) (special categories of personal data).
//! - GDPR, Article 9.

use super::super::{Context, Rule};
use super::tagged_feature_findings;
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV013",
    name: "sensitive-attribute-as-feature",
    severity: Severity::Error,
    doc: include_str!("../../../docs/rules/GOV013.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    tagged_feature_findings(
        ctx,
        &RULE,
        "sensitive",
        "a protected attribute",
        "drop the attribute before the model; measure fairness over it with `groups` instead",
        out,
    );
}
