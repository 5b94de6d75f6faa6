//! The whole check (parse, resolve, type-check, schema and tag propagation,
//! dependency graph, IR) on a generated pipeline of about 100k lines.
//!
//! Run with `cargo bench --bench check`. The bench also writes the
//! generated pipeline to `target/check-bench-100k.mlp`, for the
//! whole-process measurement with `/usr/bin/time -v mlp check`; the figures
//! are in `docs/performance.md`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use mlp::check::{self, Options};
use mlp::resolve::{self, Loader};
use mlp::source::{FileId, SourceMap};
use mlp::syntax;
use std::hint::black_box;
use std::path::Path;

mod common;
use common::pipeline;

struct NoFiles;

impl Loader for NoFiles {
    fn read(&self, _: &Path) -> Result<String, String> {
        Err("the bench imports no local files".into())
    }
}

/// The whole check. The compilation is returned, not freed: `mlp check`
/// leaves it to the operating system at exit, and the bench measures what
/// the command does (`iter_with_large_drop` frees it outside the timing).
fn check_all(text: &str) -> (resolve::Resolved, check::Checked, usize) {
    let mut sources = SourceMap::new();
    let resolved = resolve::resolve(
        Path::new("big.mlp"),
        text.to_string(),
        Path::new(""),
        &NoFiles,
        &mut sources,
    );
    let checked = check::check(&resolved, &sources, &Options::default());
    let edges = mlp::ir::lower(&resolved, &checked.program).edges.len();
    (resolved, checked, edges)
}

/// Everything after parsing the entry file: resolve (with the stdlib
/// module), check, IR. The resolved modules (which own the entry's tree)
/// are returned so that freeing the tree, a cost of the parser's output, is
/// left out of the measurement.
fn after_parse(text: &str, parsed: syntax::Parsed) -> (resolve::Resolved, usize, usize) {
    let mut sources = SourceMap::new();
    let file = sources.add("big.mlp", "big.mlp", text.to_string());
    let resolved = resolve::resolve_parsed(
        Path::new("big.mlp"),
        file,
        parsed,
        Path::new(""),
        &NoFiles,
        &mut sources,
    );
    let checked = check::check(&resolved, &sources, &Options::default());
    let ir = mlp::ir::lower(&resolved, &checked.program);
    let problems = resolved.diagnostics.len() + checked.diagnostics.len();
    let edges = ir.edges.len();
    (resolved, problems, edges)
}

fn bench(c: &mut Criterion) {
    let text = pipeline(100_000);
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/check-bench-100k.mlp");
    let _ = std::fs::write(&target, &text);
    // The file is added to a fresh map as the first file, so it is `FileId(0)`.
    let tree = syntax::parse(&text, FileId(0));
    assert!(tree.diagnostics.is_empty(), "the bench input must parse");
    let parsed = || syntax::Parsed {
        file: tree.file.clone(),
        diagnostics: Vec::new(),
    };
    let (_, problems, _) = after_parse(&text, parsed());
    assert_eq!(problems, 0, "the bench input must check clean");
    let mut group = c.benchmark_group("check");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("100k_lines", |b| {
        b.iter_with_large_drop(|| check_all(black_box(&text)))
    });
    group.bench_function("100k_lines_after_parse", |b| {
        b.iter_batched(
            parsed,
            |p| after_parse(black_box(&text), p),
            BatchSize::PerIteration,
        )
    });
    group.finish();

    // `mlp lint` is the check plus the rules: the rules alone, on the
    // checked program, against the check they follow (the ratio is the
    // figure in docs/performance.md).
    let (resolved, checked, _) = check_all(&text);
    let mut sources = SourceMap::new();
    sources.add("big.mlp", "big.mlp", text.clone());
    let data_files = mlp::files::DataFiles::new();
    let confinement =
        mlp::files::Confinement::new(Path::new("."), false).expect("the working directory");
    let hashes = std::collections::BTreeMap::new();
    let context = mlp::lint::Context {
        program: &checked.program,
        resolved: &resolved,
        sources: &sources,
        data_files: &data_files,
        confinement: &confinement,
        diagnostics: &checked.diagnostics,
        approvals: &[],
        model_hashes: &hashes,
    };
    let mut group = c.benchmark_group("lint");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("100k_lines_rules", |b| {
        b.iter_with_large_drop(|| mlp::lint::lint(black_box(&context)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
