//! `mlp`: a declarative language for machine-learning pipelines, and its compiler.
//!
//! The phases, in the order data flows through them (a phase never imports
//! a later one):
//!
//! 1. [`source`]: files, spans, line/column positions.
//! 2. [`syntax`]: text to AST, never failing: a tree plus diagnostics.
//! 3. [`fmt`]: the canonical layout of an AST, comments kept.
//! 4. [`diagnostics`]: the code table and rendering (human, JSON).
//! 5. [`driver`]: reads files from disk and runs the phases for the CLI.

pub mod check;
pub mod diagnostics;
pub mod driver;
pub mod exec;
pub mod files;
pub mod fmt;
pub mod graph;
pub mod ir;
pub mod resolve;
pub mod source;
pub mod syntax;
