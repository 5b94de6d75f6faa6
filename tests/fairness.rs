//! Fairness metrics: the functions against Fairlearn, the checker's rules
//! for `groups`, and `mlp run` end to end (metrics.json, gates, report).
//!
//! The expected values are in `tests/data/fairness/cases.json`, written by
//! `tests/data/fairness/generate.py` with Fairlearn 0.13.0 and
//! scikit-learn 1.9.1; this test only reads the file.

mod common;
use common::{all_diagnostics, check_text, command, root, text};
use mlp::check::{BlockInfo, Program};
use mlp::exec::fairness::{self, Grouping};
use mlp::exec::metrics;
use serde_json::Value;
use std::path::{Path, PathBuf};

// ------------------------------------------------------------ Fairlearn

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn classes(value: &Value) -> Vec<usize> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn numbers(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

fn close(name: &str, what: &str, got: f64, expected: f64) {
    assert!(
        (got - expected).abs() <= 1e-9,
        "{name}: {what} is {got}, Fairlearn says {expected}"
    );
}

/// The positive class: the second of a binary target.
const POSITIVE: usize = 1;

#[test]
fn metrics_agree_with_fairlearn() {
    let document = json(&root().join("tests/data/fairness/cases.json"));
    assert_eq!(document["fairlearn"], "0.13.0");
    let cases = document["cases"].as_array().unwrap();
    assert!(cases.len() >= 5);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let y_true = classes(&case["y_true"]);
        let y_pred = classes(&case["y_pred"]);
        let groups = Grouping::new(&strings(&case["groups"]));
        let expected = &case["by_group"];
        assert_eq!(groups.names, strings(&expected["groups"]), "{name}: groups");
        let rows: Vec<usize> = classes(&expected["rows"]);
        assert_eq!(groups.sizes(), rows, "{name}: rows per group");

        let parity = fairness::demographic_parity_difference(&y_pred, &groups, POSITIVE).unwrap();
        close(
            name,
            "demographic_parity_difference",
            parity,
            case["demographic_parity_difference"].as_f64().unwrap(),
        );
        let odds =
            fairness::equalized_odds_difference(&y_true, &y_pred, &groups, POSITIVE).unwrap();
        close(
            name,
            "equalized_odds_difference",
            odds,
            case["equalized_odds_difference"].as_f64().unwrap(),
        );

        type Metric = fn(&[usize], &[usize]) -> metrics::Result<f64>;
        let per_group: [(&str, Metric); 5] = [
            ("accuracy", metrics::accuracy),
            ("precision", |t, p| metrics::precision(t, p, POSITIVE)),
            ("recall", |t, p| metrics::recall(t, p, POSITIVE)),
            ("f1", |t, p| metrics::f1(t, p, POSITIVE)),
            ("selection_rate", |_, p| {
                fairness::selection_rate(p, POSITIVE)
            }),
        ];
        for (metric, function) in per_group {
            let got = fairness::by_group(&y_true, &y_pred, &groups, function).unwrap();
            let want = numbers(&expected[metric]);
            assert_eq!(got.len(), want.len(), "{name}: {metric}");
            for ((group, got), want) in groups.names.iter().zip(got).zip(want) {
                close(name, &format!("{metric} of group {group}"), got, want);
            }
        }
    }
}

#[test]
fn zero_division_follows_fairlearn() {
    // Group "a" has no actual positive, group "b" no predicted positive:
    // their recall (and true positive rate) and precision are 0, as
    // scikit-learn's zero_division default gives them.
    let groups = Grouping::new(&["a", "a", "b", "b"].map(String::from));
    let recall = fairness::by_group(&[0, 0, 1, 1], &[1, 0, 0, 0], &groups, |t, p| {
        metrics::recall(t, p, POSITIVE)
    })
    .unwrap();
    assert_eq!(recall, [0.0, 0.0]);
    let precision = fairness::by_group(&[0, 0, 1, 1], &[1, 0, 0, 0], &groups, |t, p| {
        metrics::precision(t, p, POSITIVE)
    })
    .unwrap();
    assert_eq!(precision, [0.0, 0.0]);
}

// -------------------------------------------------------------- checker

const HEAD: &str = r#"
source s: csv {
  path = "s.csv"
  schema {
    income: float
    age: int
    score: float
    sex: enum("f", "m")
    region: str
    married: bool
    home: enum("own", "rent")?
    y: bool @target
    species: enum("a", "b", "c")
  }
}
split h = s { train = 0.8, test = 0.2, seed = 1 }
model m: logistic_regression { data = h.train, target = y, features = [income, age] }
model three: decision_tree { data = h.train, target = species, features = [income, age] }
model price: ridge { data = h.train, target = score, features = [income, age] }
"#;

fn check(rest: &str) -> (Program, Vec<String>) {
    let (resolved, checked) = check_text(&format!("{HEAD}{rest}"));
    let mut codes: Vec<String> = all_diagnostics(&resolved, &checked)
        .filter(|d| d.severity == mlp::diagnostics::Severity::Error)
        .map(|d| d.code.0.to_string())
        .collect();
    codes.sort();
    (checked.program, codes)
}

/// (model, metrics, groups) of every evaluation.
fn evaluations(program: &Program) -> Vec<(String, Vec<String>, Option<String>)> {
    program
        .blocks
        .iter()
        .filter_map(|b| match &b.info {
            BlockInfo::Evaluate(e) => Some((
                e.model.clone().unwrap_or_default(),
                e.metrics.clone(),
                e.groups.clone(),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn groups_may_be_any_categorical_column_of_the_evaluated_table() {
    for column in ["sex", "region", "married", "age"] {
        let (program, codes) = check(&format!(
            "evaluate m on h.test {{ groups = {column}, metrics = [demographic_parity_difference, accuracy_by_group] }}\n"
        ));
        assert_eq!(codes, Vec::<String>::new(), "groups = {column}");
        let evaluation = &evaluations(&program)[0];
        assert_eq!(evaluation.2.as_deref(), Some(column));
        assert_eq!(
            evaluation.1,
            ["demographic_parity_difference", "accuracy_by_group"]
        );
    }
}

#[test]
fn the_default_metrics_include_fairness_only_with_groups() {
    let (program, codes) = check("evaluate m on h.test\n");
    assert_eq!(codes, Vec::<String>::new());
    let plain = &evaluations(&program)[0].1;
    assert!(plain.contains(&"accuracy".to_string()));
    assert!(!plain
        .iter()
        .any(|m| m.contains("parity") || m.ends_with("_by_group")));

    let (program, codes) = check("evaluate m on h.test { groups = sex }\n");
    assert_eq!(codes, Vec::<String>::new());
    let with_groups = &evaluations(&program)[0].1;
    for metric in [
        "accuracy",
        "roc_auc",
        "demographic_parity_difference",
        "equalized_odds_difference",
        "accuracy_by_group",
        "precision_by_group",
        "recall_by_group",
        "f1_by_group",
        "selection_rate_by_group",
    ] {
        assert!(with_groups.contains(&metric.to_string()), "{metric}");
    }
    assert!(!with_groups.contains(&"confusion_matrix".to_string()));

    // Three classes: only the per-group accuracy applies.
    let (program, codes) = check("evaluate three on h.test { groups = sex }\n");
    assert_eq!(codes, Vec::<String>::new());
    let three = &evaluations(&program)[0].1;
    assert!(three.contains(&"accuracy_by_group".to_string()));
    assert!(!three.iter().any(|m| m.contains("difference")
        || m == "recall_by_group"
        || m == "selection_rate_by_group"));
}

#[test]
fn fairness_metrics_without_groups_are_mlp2025() {
    for metric in ["demographic_parity_difference", "recall_by_group"] {
        let (_, codes) = check(&format!(
            "evaluate m on h.test {{ metrics = [{metric}] }}\n"
        ));
        assert_eq!(codes, ["MLP2025"], "{metric}");
    }
}

#[test]
fn unusable_groups_columns_are_refused() {
    let cases = [
        ("evaluate m on h.test { groups = home }", "MLP2025"),
        ("evaluate m on h.test { groups = income }", "MLP2025"),
        ("evaluate price on h.test { groups = sex }", "MLP2025"),
        ("evaluate m on h.test { groups = nope }", "MLP1009"),
        ("evaluate m on h.test { groups = \"sex\" }", "MLP2003"),
        (
            "evaluate three on h.test { groups = sex, metrics = [equalized_odds_difference] }",
            "MLP2012",
        ),
        (
            "evaluate price on h.test { metrics = [demographic_parity_difference] }",
            "MLP2012",
        ),
    ];
    for (text, code) in cases {
        let (_, codes) = check(&format!("{text}\n"));
        assert_eq!(codes, [code], "{text}");
    }
}

#[test]
fn gates_on_fairness_metrics_need_an_evaluation_with_groups() {
    let gate = "policy p { severity = error\n require m.demographic_parity_difference <= 0.1 }\n";
    let (_, codes) = check(&format!("evaluate m on h.test {{ groups = sex }}\n{gate}"));
    assert_eq!(codes, Vec::<String>::new());
    let (_, codes) = check(&format!("evaluate m on h.test\n{gate}"));
    assert_eq!(codes, ["MLP2023"]);
    // Per-group values are not one number.
    let (_, codes) = check(
        "evaluate m on h.test { groups = sex }\npolicy p { require m.recall_by_group >= 0.5 }\n",
    );
    assert_eq!(codes, ["MLP2012"]);
}

// ------------------------------------------------------------ end to end

/// A credit-scoring pipeline on `tests/fixtures/data/credit_data.csv`:
/// `scorer` grouped by `Records` (a column that is not a feature) with the
/// default metrics, `tree` by the imputed `Job` with a list, and a gate on
/// the scorer's demographic parity difference at `bound`.
fn credit_project(bound: f64) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "mlp-fairness-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::copy(
        root().join("tests/fixtures/data/credit_data.csv"),
        dir.join("data/credit_data.csv"),
    )
    .unwrap();
    let pipeline = format!(
        r#"
source applications: csv {{
  path = "data/credit_data.csv"
  null_values = [""]
  schema {{
    Status:    enum("good", "bad") @target
    Seniority: int
    Home:      enum("ignore", "other", "owner", "parents", "priv", "rent")?
    Time:      int
    Age:       int
    Marital:   enum("divorced", "married", "separated", "single", "widow")? @sensitive
    Records:   enum("no", "yes")
    Job:       enum("fixed", "freelance", "others", "partime")?
    Expenses:  int
    Income:    float?
    Assets:    float?
    Debt:      float?
    Amount:    int
    Price:     int
  }}
}}

split holdout = applications {{ train = 0.8, test = 0.2, seed = 42, stratify = Status }}

transform prepared = holdout
  | impute(Income, Assets, Debt, strategy = median)
  | impute(Job, strategy = mode)
  | standardize(Seniority, Time, Age, Expenses, Income, Assets, Debt, Amount, Price)

model scorer: logistic_regression {{
  data = prepared.train
  target = Status
  features = [Seniority, Time, Age, Expenses, Income, Assets, Debt, Amount, Price]
}}

model tree: decision_tree {{
  data = prepared.train
  target = Status
  features = [Seniority, Time, Age, Expenses, Income, Assets, Debt, Amount, Price]
  hyper {{ max_depth = 4 }}
}}

evaluate scorer on prepared.test {{ groups = Records }}

evaluate tree on prepared.test {{
  groups = Job
  metrics = [accuracy, equalized_odds_difference, recall_by_group, selection_rate_by_group]
}}

policy fairness {{
  severity = error
  require scorer.demographic_parity_difference <= {bound:?} "selection rates differ between groups"
}}
"#
    );
    std::fs::write(dir.join("main.mlp"), pipeline).unwrap();
    dir
}

fn run(dir: &Path) -> std::process::Output {
    command().arg("run").arg(dir).output().unwrap()
}

fn group_rows(table: &Value) -> Vec<(String, u64)> {
    table["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["group"].as_str().unwrap().to_string(),
                g["rows"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn run_computes_reports_and_gates_fairness_metrics() {
    let dir = credit_project(1.0);
    let output = run(&dir);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let out = dir.join(".mlp/runs/latest");
    let metrics = json(&out.join("metrics.json"));

    // The scalar fairness metrics are metrics like the others.
    let scorer = &metrics["models"]["scorer"];
    let parity = scorer["demographic_parity_difference"].as_f64().unwrap();
    let odds = scorer["equalized_odds_difference"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&parity) && (0.0..=1.0).contains(&odds));
    assert!(scorer["accuracy"].is_f64());
    // Per-group values are not: they are in `groups`.
    assert!(scorer.get("recall_by_group").is_none());

    let table = &metrics["groups"]["scorer"];
    assert_eq!(table["column"], "Records");
    let rows = group_rows(table);
    let groups: Vec<&str> = rows.iter().map(|(g, _)| g.as_str()).collect();
    assert_eq!(groups, ["no", "yes"]);
    // Every evaluated row is in one group: the 20% test part of 4,454 rows.
    assert_eq!(rows.iter().map(|(_, n)| n).sum::<u64>(), 891);
    let rates: Vec<f64> = table["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            for metric in [
                "accuracy_by_group",
                "precision_by_group",
                "recall_by_group",
                "f1_by_group",
            ] {
                assert!(g["metrics"][metric].is_f64(), "{metric}");
            }
            g["metrics"]["selection_rate_by_group"].as_f64().unwrap()
        })
        .collect();
    // The parity difference is the spread of the groups' selection rates.
    let spread = rates.iter().copied().fold(f64::MIN, f64::max)
        - rates.iter().copied().fold(f64::MAX, f64::min);
    assert!((parity - spread).abs() < 1e-12, "{parity} vs {spread}");

    // An imputed column, four groups, only the listed metrics.
    let tree = &metrics["models"]["tree"];
    assert!(tree["equalized_odds_difference"].is_f64());
    assert!(tree.get("demographic_parity_difference").is_none());
    let jobs = group_rows(&metrics["groups"]["tree"]);
    let names: Vec<&str> = jobs.iter().map(|(g, _)| g.as_str()).collect();
    assert_eq!(names, ["fixed", "freelance", "others", "partime"]);
    let first = &metrics["groups"]["tree"]["groups"][0]["metrics"];
    let listed: Vec<&String> = first.as_object().unwrap().keys().collect();
    assert_eq!(listed, ["recall_by_group", "selection_rate_by_group"]);

    let gate = &metrics["gates"][0];
    assert_eq!(gate["rule"], "scorer.demographic_parity_difference <= 1.0");
    assert_eq!(gate["passed"], true);
    assert_eq!(gate["value"].as_f64(), Some(parity));

    // The report shows a table per grouped evaluation, escaped.
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("By group of <code>Records</code>"));
    assert!(report.contains("By group of <code>Job</code>"));
    assert!(report.contains("<th class=\"num\">selection_rate</th>"));
    assert!(report.contains("<tr><td>yes</td><td class=\"num\">"));
    assert!(report.contains("<tr><td>partime</td><td class=\"num\">"));

    // From the cache, the same groups.
    let again = run(&dir);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    let cached = json(&dir.join(".mlp/runs/latest/metrics.json"));
    assert_eq!(cached["groups"], metrics["groups"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failing_fairness_gate_fails_the_run() {
    let dir = credit_project(0.0);
    let output = run(&dir);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(
        text(&output).contains("gate `fairness` failed for `scorer`"),
        "{}",
        text(&output)
    );
    let metrics = json(&dir.join(".mlp/runs/latest/metrics.json"));
    assert_eq!(metrics["gates"][0]["passed"], false);
    let _ = std::fs::remove_dir_all(&dir);
}
