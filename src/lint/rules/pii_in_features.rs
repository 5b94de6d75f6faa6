//! Personal data used as a model input.
//!
//! ## What it does
//!
//! Reports a model with a feature tagged `@pii`, including columns derived
//! from or joined with a `@pii` column through any chain of transforms: tags
//! follow the values, so `derive(domain = email_domain(email))` is `@pii` too.
//!
//! ## Why it matters
//!
//! Personal data in the features makes the model, its artifacts and every
//! prediction request personal data as well, with the obligations that come
//! with it (purpose limitation, minimisation, erasure). It is rarely needed
//! for the prediction.
//!
//! ## Example
//!
//! ```mlp
//! source users: csv { path = "u.csv", schema { email: str @pii, age: int, churned: bool } }
//! transform t = users | derive(email_length = len(email))
//! model m: logistic_regression { data = t, target = churned, features = [age, email_length] }
//! ```
//!
//! ## How to fix
//!
//! Drop the column (and what is derived from it) before the model, or list
//! the features without it.
//!
//! ## References
//!
//! - GDPR, Article 5(1)(c) (data minimisation).
//! - EU AI Act, Article 10(5).

use super::super::{Context, Rule};
use super::tagged_feature_findings;
use crate::diagnostics::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "GOV011",
    name: "pii-in-features",
    severity: Severity::Error,
    doc: include_str!("../../../docs/rules/GOV011.md"),
    check,
};

fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    tagged_feature_findings(
        ctx,
        &RULE,
        "pii",
        "personal data",
        "drop the @pii columns (and what is derived from them) before the model",
        out,
    );
}
