//! Parsing speed on generated, realistic `.mlp` files of 10k and 100k lines.
//!
//! Run with `cargo bench --bench parse`; the figures are in
//! `docs/performance.md`. `parse/N` is wall time, `parse_cpu/N` the CPU time
//! of the same parses.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mlp::source::FileId;
use mlp::syntax::parse;
use std::fmt::Write;
use std::hint::black_box;
use std::time::Duration;

/// One group of blocks: a source with a schema and expectations, a
/// transform chain, a split, two models, evaluations, a policy, a deploy and
/// an environment overlay, all named after `n`. About 100 lines.
fn group(out: &mut String, n: usize) {
    let _ = write!(
        out,
        r#"/// Loans of branch {n}, refreshed nightly.
source loans_{n}: csv {{
  path = "data/branch_{n}/loans_*.csv"
  delimiter = ","  header = true  null_values = ["", "NA", "n/a"]
  on_bad_rows = drop
  schema {{
    id:         int @id
    email:      str @pii
    age:        int
    income:     float?
    debt:       float?
    assets:     float?
    home:       enum("owner", "rent", "other")?
    purpose:    enum("car", "house", "education", "other")
    opened:     str
    status:     enum("good", "bad") @target
  }}
  expect {{
    rows >= 1000
    nulls(income) <= 0.2
    age in 18..120
    unique(id)
    status in ["good", "bad"]
  }}
}}

// Cleaning and features for branch {n}.
transform features_{n} = loans_{n}
  | drop(email)
  | filter(age >= 18 and income > 0 or not (debt == 0))
  | derive(ratio = debt / income, log_income = log(income), score = (assets - debt) * 0.5)
  | rename(annual_income = income)
  | cast(age, float)
  | impute(annual_income, assets, strategy = median)
  | impute(debt, strategy = constant, value = 0)
  | one_hot(home, purpose)
  | standardize(age, ratio)
  | clip(assets, lo = 0, hi = 1_000_000)
  | bucketize(age, bounds = [25, 40, 60])
  | dedupe(id)
  | sample(fraction = 0.9, seed = seed)

split holdout_{n} = features_{n} {{ train = 0.7, validation = 0.1, test = 0.2, seed = seed, stratify = status }}

model scorer_{n}: logistic_regression {{
  data = holdout_{n}.train
  target = status
  features = all_except(id, status)
  hyper {{ max_iterations = 200, l2 = 0.1, tolerance = 1e-6 }}
}}

model tree_{n}: decision_tree {{
  data = holdout_{n}.train
  target = status
  features = [age, ratio, log_income, score]
  hyper {{ max_depth = 6, min_samples_split = 20 }}
}}

evaluate scorer_{n} on holdout_{n}.test {{ metrics = [accuracy, f1, roc_auc, confusion_matrix] }}
evaluate tree_{n} on holdout_{n}.test {{ metrics = [accuracy, precision, recall] }}

policy bar_{n} {{
  severity = error
  require scorer_{n}.accuracy >= 0.75 "accuracy below the launch bar"
  require scorer_{n}.roc_auc > 0.7
  deny pii in scorer_{n}.features "no PII in features"
  require approval for deploy.api_{n} when risk >= high
}}

deploy api_{n}: kubernetes {{
  model = scorer_{n}
  image = "registry.example.com/credit-{n}:1.0.0"
  namespace = "ml"
  replicas = 2
  port = 8080
  resources {{ cpu = 500m, memory = 512Mi }}
  autoscale {{ min = 2, max = 10, cpu = 70% }}
  gates = [bar_{n}, baseline.production]
  monitor {{
    latency_p99 < 200ms
    drift(psi) < 0.2
    error_rate < 1%
  }}
}}

env prod_{n} {{
  api_{n}.replicas = 4
  api_{n}.resources.memory = 1Gi
}}

"#
    );
}

/// A file of at least `lines` lines: a header, then groups.
fn generate(lines: usize) -> String {
    let mut out = String::from(
        "use std.policies.baseline\n\n\
         pipeline credit { version = \"1.0.0\", owner = \"risk@example.com\", risk = high }\n\n\
         param seed: int = 42\n\n",
    );
    let mut count = out.matches('\n').count();
    let mut n = 0;
    while count < lines {
        let before = out.len();
        group(&mut out, n);
        count += out[before..].matches('\n').count();
        n += 1;
    }
    out
}

fn bench(c: &mut Criterion) {
    let inputs: Vec<(usize, String)> = [10_000, 100_000]
        .into_iter()
        .map(|lines| (lines, generate(lines)))
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

    // The same parses timed by the CPU time of this thread: the 2 cores of
    // the bench machine are shared, and wall time then counts the time the
    // parse waited for a core.
    if cpu_time().is_none() {
        return;
    }
    let mut group = c.benchmark_group("parse_cpu");
    group.sample_size(10);
    for (lines, text) in &inputs {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(lines), text, |b, text| {
            b.iter_custom(|iters| {
                let start = cpu_time().unwrap_or_default();
                for _ in 0..iters {
                    black_box(parse(black_box(text), FileId(0)));
                }
                cpu_time().unwrap_or_default().saturating_sub(start)
            })
        });
    }
    group.finish();
}

/// Time this thread has spent on a CPU (Linux: the first field of
/// `/proc/thread-self/schedstat`, in nanoseconds).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

criterion_group!(benches, bench);
criterion_main!(benches);
