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

pub mod approvals;
pub mod check;
pub mod clock;
pub mod diagnostics;
pub mod doc;
pub mod driver;
pub mod emit;
pub mod exec;
pub mod files;
pub mod fmt;
pub mod graph;
pub mod ir;
pub mod lint;
pub mod lsp;
pub mod probe;
pub mod resolve;
pub mod serve;
pub mod source;
pub mod syntax;

/// The stack every CLI command runs on. Checking, formatting, hashing and
/// freeing an AST recurse once per operator of a chain such as `a + b + ...`
/// (the tree is left-deep), and a block may hold
/// [`syntax::MAX_OPERATORS`] of them; this holds that many with a wide margin
/// (`docs/performance.md`). On Linux it is reserved address space: only the
/// pages a deep input touches become memory.
pub const STACK_SIZE: usize = 1 << 30;

/// Runs `work` on a new thread with a [`STACK_SIZE`] stack, as the CLI
/// runs its commands; a panic in `work` is resumed on the caller's thread.
pub fn on_large_stack<T: Send>(work: impl FnOnce() -> T + Send) -> std::io::Result<T> {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("mlp-main".into())
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, work)?;
        Ok(handle
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    })
}
