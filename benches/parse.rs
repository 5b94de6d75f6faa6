//! Parsing speed on generated, realistic `.mlp` files of 10k and 100k lines.
//!
//! Run with `cargo bench --bench parse`; the figures are in
//! `docs/performance.md`. `parse/N` is wall time, `parse_cpu/N` the CPU time
//! the same parses take on all threads (chunks are parsed in parallel).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mlp::source::FileId;
use mlp::syntax::parse;
use std::hint::black_box;
use std::time::Duration;

mod common;
use common::pipeline;

fn bench(c: &mut Criterion) {
    let inputs: Vec<(usize, String)> = [10_000, 100_000]
        .into_iter()
        .map(|lines| (lines, pipeline(lines)))
        .collect();
    let mut group = c.benchmark_group("parse");
    group.sample_size(10);
    for (lines, text) in &inputs {
        let parsed = parse(text, FileId(0));
        assert!(
            parsed.diagnostics.is_empty(),
            "the generated file must be valid: {:?}",
            parsed.diagnostics.first()
        );
        eprintln!(
            "parse/{lines}: {} lines, {} bytes, {} blocks",
            text.lines().count(),
            text.len(),
            parsed.file.items.len()
        );
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(lines), text, |b, text| {
            b.iter(|| parse(black_box(text), FileId(0)))
        });
    }
    group.finish();

    // The same parses timed by the CPU time of the process: the 2 cores of
    // the bench machine are shared, and wall time then counts the time the
    // parse waited for a core.
    if process_cpu_time().is_none() {
        return;
    }
    let mut group = c.benchmark_group("parse_cpu");
    group.sample_size(10);
    for (lines, text) in &inputs {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(lines), text, |b, text| {
            b.iter_custom(|iters| {
                let start = process_cpu_time().unwrap_or_default();
                for _ in 0..iters {
                    black_box(parse(black_box(text), FileId(0)));
                }
                process_cpu_time().unwrap_or_default().saturating_sub(start)
            })
        });
    }
    group.finish();
}

/// Time all threads of this process have spent on a CPU, in nanoseconds
/// (Linux: the first field of each `/proc/self/task/*/schedstat`). The
/// parser's worker threads live as long as the process, so the difference
/// of two readings is the CPU time spent between them.
fn process_cpu_time() -> Option<Duration> {
    let mut nanos = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        nanos += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(nanos))
}

criterion_group!(benches, bench);
criterion_main!(benches);
