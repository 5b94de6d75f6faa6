//! Running pipelines: the models and the metrics the executor calls.
//!
//! Everything here works on in-memory arrays and strings: reading tables
//! and writing model files is the executor's job, so these stay pure and
//! testable on small literal inputs.

pub mod alone;
pub mod artifacts;
pub mod cache;
pub mod data;
pub mod expect;
pub mod fairness;
pub mod gates;
pub mod learn;
pub mod lower;
pub mod metrics;
pub mod models;
pub mod ops;
pub mod profile;
pub mod report;
pub mod run;
pub mod scoring;
pub mod split;
pub mod stages;
mod writer;
