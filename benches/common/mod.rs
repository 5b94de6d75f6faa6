//! The generated pipeline both benches read: realistic blocks of every
//! kind that parse and check clean, so that the parse bench and the check
//! bench measure the same input.

use std::fmt::Write;

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

/// A pipeline of at least `lines` lines: a header, then groups.
pub fn pipeline(lines: usize) -> String {
    let mut out = String::from(
        "use std.policies.baseline\n\npipeline bench {\n  version = \"1.0.0\"\n  owner = \"bench@example.com\"\n  risk = high\n}\n\nparam seed: int = 42\n\n",
    );
    let mut count = out.lines().count();
    let mut n = 0;
    while count < lines {
        let before = out.len();
        group(&mut out, n);
        count += out[before..].lines().count();
        n += 1;
    }
    out
}
