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
use std::fmt::Write;
use std::hint::black_box;
use std::path::Path;

/// A group of blocks that checks clean: a source with a schema and
/// expectations, a transform chain through every kind of operation, a
/// split, two models, their evaluations, a policy and a deployment.
/// About 100 lines.
fn group(out: &mut String, n: usize) {
    let _ = write!(
        out,
        r#"/// Loans of branch {n}, refreshed nightly.
source loans_{n}: csv {{
  path = "data/branch_{n}/loans_*.csv"
  delimiter = ","
  header = true
  null_values = ["", "NA", "n/a"]
  on_bad_rows = drop
  schema {{
    id:      int @id
    email:   str @pii
    age:     int
    income:  float?
    debt:    float?
    assets:  float?
    home:    enum("owner", "rent", "other")?
    purpose: enum("car", "house", "education", "other")
    region:  int
    status:  enum("good", "bad") @target
  }}
  expect {{
    rows >= 1000
    nulls(income) <= 0.2
    age in 18..120
    unique(id)
  }}
}}

source regions_{n}: parquet {{
  path = "data/branch_{n}/regions.parquet"
  schema {{
    region:     int
    population: float
    urban:      bool
  }}
}}

// Cleaning and features for branch {n}.
transform features_{n} = loans_{n}
  | drop(email)
  | filter(age >= 18 and income > 0 or not (debt == 0))
  | impute(income, assets, debt, strategy = constant, value = 0)
  | impute(home, strategy = constant, value = "other")
  | derive(ratio = debt / income, log_income = log(income), score = (assets - debt) * 0.5)
  | rename(annual_income = income)
  | cast(age, float)
  | join(regions_{n}, on = [region], how = left)
  | impute(population, strategy = constant, value = 0)
  | impute(urban, strategy = constant, value = false)
  | cast(urban, float)
  | clip(assets, lo = 0, hi = 1_000_000)
  | log(assets)
  | bucketize(region, bounds = [10, 20, 30])
  | dedupe(id)
  | sample(fraction = 0.9, seed = seed)

split holdout_{n} = features_{n} {{ train = 0.7, validation = 0.1, test = 0.2, seed = seed, stratify = status }}

transform scaled_{n} = holdout_{n}.train
  | one_hot(home, purpose)
  | standardize(age, ratio, annual_income)
  | min_max(score)

model scorer_{n}: logistic_regression {{
  data     = scaled_{n}
  target   = status
  features = [age, ratio, annual_income, score, assets, debt, population, urban]
  hyper {{ max_iterations = 200, l2 = 0.1, tolerance = 0.0001 }}
}}

model tree_{n}: decision_tree {{
  data     = holdout_{n}.train
  target   = status
  features = [age, ratio, annual_income, assets, debt, score]
  hyper {{ max_depth = 6, min_samples_split = 4 }}
}}

evaluate scorer_{n} on holdout_{n}.test {{ metrics = [accuracy, f1, roc_auc, confusion_matrix] }}
evaluate tree_{n} on holdout_{n}.validation {{ metrics = [accuracy, precision_macro, recall_macro] }}

policy launch_{n} {{
  severity = error
  require scorer_{n}.accuracy >= 0.75 "accuracy below the launch bar"
  require tree_{n}.accuracy >= scorer_{n}.accuracy - 0.05
  deny pii in scorer_{n}.features "no personal data in features"
  require approval for deploy.api_{n} when risk >= high
}}

deploy api_{n}: kubernetes {{
  model     = scorer_{n}
  image     = "registry.example.com/credit-{n}:1.0.0"
  namespace = "branch-{n}"
  replicas  = 2
  port      = 8080
  resources {{ cpu = 500m, memory = 512Mi }}
  autoscale {{ min = 2, max = 10, cpu = 70% }}
  gates     = [launch_{n}, baseline.production]
  monitor   {{ latency_p99 < 200ms, error_rate < 1%, drift(psi) < 0.2 }}
}}

"#
    );
}

fn pipeline(lines: usize) -> String {
    let mut out = String::from(
        "use std.policies.baseline\n\npipeline bench {\n  version = \"1.0.0\"\n  owner = \"bench@example.com\"\n  risk = high\n}\n\nparam seed: int = 42\n\n",
    );
    let mut n = 0;
    while out.lines().count() < lines {
        group(&mut out, n);
        n += 1;
    }
    out
}

struct NoFiles;

impl Loader for NoFiles {
    fn read(&self, _: &Path) -> Result<String, String> {
        Err("the bench imports no local files".into())
    }
}

fn check_all(text: &str) -> usize {
    let mut sources = SourceMap::new();
    let resolved = resolve::resolve(
        Path::new("big.mlp"),
        text.to_string(),
        Path::new(""),
        &NoFiles,
        &mut sources,
    );
    let checked = check::check(&resolved, &sources, &Options::default());
    let ir = mlp::ir::lower(&resolved, &checked.program);
    resolved.diagnostics.len() + checked.diagnostics.len() + ir.edges.len()
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
    group.bench_function("100k_lines", |b| b.iter(|| check_all(black_box(&text))));
    group.bench_function("100k_lines_after_parse", |b| {
        b.iter_batched(
            parsed,
            |p| after_parse(black_box(&text), p),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
