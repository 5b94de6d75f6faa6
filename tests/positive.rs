//! `positive = "CLASS"` on a model: the checker's rules, and the class
//! that precision, recall, f1 and roc_auc of `mlp run` treat as positive,
//! against values computed by hand.

mod common;
use common::{all_diagnostics, check_text, command, text};
use mlp::check::BlockInfo;
use serde_json::Value;

const HEAD: &str = r#"source s: csv { path = "s.csv", schema {
  x: float
  status: enum("bad", "good")
  flag: bool
  kind: enum("a", "b", "c")
  price: float
} }
split h = s { train = 0.8, test = 0.2 }
"#;

/// The error codes of `HEAD` + `model`, and the model's positive class.
fn check(model: &str) -> (Vec<String>, Option<String>) {
    let (resolved, checked) = check_text(&format!("{HEAD}{model}"));
    let codes = all_diagnostics(&resolved, &checked)
        .filter(|d| d.severity == mlp::diagnostics::Severity::Error)
        .map(|d| d.code.0.to_string())
        .collect();
    let positive = checked.program.blocks.iter().find_map(|b| match &b.info {
        BlockInfo::Model(m) => m.positive.clone(),
        _ => None,
    });
    (codes, positive)
}

fn model(algorithm: &str, target: &str, positive: &str) -> String {
    format!(
        "model m: {algorithm} {{ data = h.train, target = {target}, features = [x], positive = {positive} }}\n"
    )
}

#[test]
fn positive_names_a_class_of_a_binary_target() {
    let ok = [
        ("logistic_regression", "status", "\"bad\""),
        ("logistic_regression", "status", "\"good\""),
        ("random_forest", "flag", "\"false\""),
    ];
    for (algorithm, target, positive) in ok {
        let (codes, got) = check(&model(algorithm, target, positive));
        assert_eq!(codes, Vec::<String>::new(), "{target} {positive}");
        assert_eq!(got.as_deref(), Some(positive.trim_matches('"')));
    }
    let refused = [
        ("logistic_regression", "status", "\"Bad\"", "MLP2026"),
        ("logistic_regression", "flag", "\"yes\"", "MLP2026"),
        ("logistic_regression", "kind", "\"a\"", "MLP2026"),
        ("ridge", "price", "\"bad\"", "MLP2026"),
        ("logistic_regression", "status", "1", "MLP2003"),
    ];
    for (algorithm, target, positive, code) in refused {
        let (codes, got) = check(&model(algorithm, target, positive));
        assert_eq!(
            codes,
            [code],
            "{algorithm} on {target}: positive = {positive}"
        );
        assert_eq!(got, None);
    }
}

/// Training rows: `bad` below 5, `good` above, so a tree of depth 1 cuts
/// at 4.75 with pure leaves. The test rows break that rule three times.
const TRAIN: &str = "x,status\n0,bad\n1,bad\n2,bad\n3,bad\n4,bad\n4.5,bad\n5,good\n6,good\n7,good\n8,good\n9,good\n9.5,good\n";
const TEST: &str = "x,status\n1,bad\n2,bad\n3,good\n4,good\n6,good\n7,bad\n8,good\n9,good\n";

fn pipeline() -> String {
    let source = |name: &str| {
        format!(
            "source {name}: csv {{ path = \"{name}.csv\", schema {{ x: float, status: enum(\"bad\", \"good\") }} }}\n"
        )
    };
    let tree = |name: &str, positive: &str| {
        format!(
            "model {name}: decision_tree {{\n  data = train\n  target = status\n  features = [x]\n{positive}  hyper {{ max_depth = 1 }}\n}}\n\
             evaluate {name} on test {{ metrics = [precision, recall, f1, roc_auc, confusion_matrix] }}\n"
        )
    };
    [
        source("train"),
        source("test"),
        tree("bad_first", "  positive = \"bad\"\n"),
        tree("as_declared", ""),
    ]
    .concat()
}

#[test]
fn run_metrics_follow_the_positive_class() {
    let dir = std::env::temp_dir().join(format!("mlp-positive-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("train.csv"), TRAIN).unwrap();
    std::fs::write(dir.join("test.csv"), TEST).unwrap();
    std::fs::write(dir.join("main.mlp"), pipeline()).unwrap();
    let output = command().arg("run").arg(&dir).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let metrics: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".mlp/runs/latest/metrics.json")).unwrap(),
    )
    .unwrap();
    let value = |model: &str, metric: &str| metrics["models"][model][metric].as_f64().unwrap();
    // Predicted bad for x = 1, 2, 3, 4; good for 6, 7, 8, 9.
    // With `bad` positive: TP = 2 (1, 2), FP = 2 (3, 4), FN = 1 (7).
    let bad = [("precision", 0.5), ("recall", 2.0 / 3.0), ("f1", 4.0 / 7.0)];
    // With `good`, the second class: TP = 3 (6, 8, 9), FP = 1 (7), FN = 2 (3, 4).
    let good = [("precision", 0.75), ("recall", 0.6), ("f1", 2.0 / 3.0)];
    for (model, expected) in [("bad_first", bad), ("as_declared", good)] {
        for (metric, want) in expected {
            let got = value(model, metric);
            assert!(
                (got - want).abs() < 1e-12,
                "{model} {metric}: {got} vs {want}"
            );
        }
        // Scores 1 for x < 4.75, else 0: of the 15 (bad, good) pairs, 6 are
        // ordered, 2 + 3 tied; the area does not depend on which class is
        // positive.
        let auc = value(model, "roc_auc");
        assert!((auc - 9.5 / 15.0).abs() < 1e-12, "{model} roc_auc: {auc}");
    }
    // The confusion matrix keeps the declared class order.
    let matrix = &metrics["confusion_matrices"]["bad_first"];
    assert_eq!(matrix["labels"], serde_json::json!(["bad", "good"]));
    assert_eq!(matrix["matrix"], serde_json::json!([[2, 1], [2, 3]]));
    let _ = std::fs::remove_dir_all(&dir);
}
