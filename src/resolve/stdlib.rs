//! The standard library, embedded in the binary so an installed `mlp` needs
//! no files beside it. `use std.policies.baseline` loads
//! `stdlib/policies/baseline.mlp`.

/// Every standard module: its dotted name and its text.
pub const MODULES: &[(&str, &str)] = &[
    (
        "std.policies.baseline",
        include_str!("../../stdlib/policies/baseline.mlp"),
    ),
    (
        "std.policies.production",
        include_str!("../../stdlib/policies/production.mlp"),
    ),
    (
        "std.policies.eu_ai_act",
        include_str!("../../stdlib/policies/eu_ai_act.mlp"),
    ),
    (
        "std.catalog.algorithms",
        include_str!("../../stdlib/catalog/algorithms.mlp"),
    ),
    (
        "std.catalog.metrics",
        include_str!("../../stdlib/catalog/metrics.mlp"),
    ),
    (
        "std.catalog.operations",
        include_str!("../../stdlib/catalog/operations.mlp"),
    ),
];

pub fn module(name: &str) -> Option<&'static str> {
    MODULES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}
