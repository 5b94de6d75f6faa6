//! What an evaluation records beyond its scalar metrics, through the real
//! binary: metrics its rows do not define (named with the reason, the
//! others still computed, a gate on them failing with that reason), the
//! classification report, the residual summary, and the report's sections.

mod common;

use common::{command, text};
use serde_json::Value;

const TRAIN: &str = "x,y,status\n1,2.0,bad\n2,4.5,bad\n3,5.5,bad\n4,8.0,good\n5,10.5,good\n6,11.0,good\n7,14.5,good\n8,16.0,good\n";
/// Only one class of the two the schema declares.
const TEST: &str = "x,y,status\n2,4.0,good\n5,9.0,good\n7,15.0,good\n";
const EMPTY: &str = "x,y,status\n";

const PIPELINE: &str = r#"
source train: csv { path = "train.csv", schema { x: float, y: float, status: enum("bad", "good") } }
source test: csv { path = "test.csv", schema { x: float, y: float, status: enum("bad", "good") } }
source nothing: csv { path = "empty.csv", schema { x: float, y: float, status: enum("bad", "good") } }

model stump: decision_tree {
  data = train
  target = status
  features = [x]
  hyper { max_depth = 1 }
}

evaluate stump on test {
  metrics = [accuracy, precision, recall, f1, f1_weighted, roc_auc, average_precision, confusion_matrix]
}

evaluate stump on nothing { metrics = [accuracy] }

model line: linear_regression {
  data = train
  target = y
  features = [x]
}

evaluate line on test { metrics = [rmse, r2] }

policy ranking {
  severity = error
  require stump.roc_auc >= 0.5 "the stump must rank good above bad"
}
"#;

fn project(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mlp-evaluation-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("train.csv"), TRAIN).unwrap();
    std::fs::write(dir.join("test.csv"), TEST).unwrap();
    std::fs::write(dir.join("empty.csv"), EMPTY).unwrap();
    std::fs::write(dir.join("main.mlp"), PIPELINE).unwrap();
    dir
}

#[test]
fn a_test_part_with_one_class_keeps_the_metrics_it_defines() {
    let dir = project("one-class");
    let output = command().arg("run").arg(&dir).output().unwrap();
    let all = text(&output);
    // The gate on the undefined metric fails: exit 3, as for any failed gate.
    assert_eq!(output.status.code(), Some(3), "{all}");
    assert!(
        all.contains("warning: `roc_auc` of `stump` on `test` is not defined: roc_auc: only one class is present"),
        "{all}"
    );
    let metrics: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".mlp/runs/latest/metrics.json")).unwrap(),
    )
    .unwrap();
    let stump = &metrics["models"]["stump"];
    // The tree splits at x = 3.5: the three `good` rows at 2, 5, 7 are
    // predicted bad, good, good.
    assert_eq!(stump["accuracy"].as_f64(), Some(2.0 / 3.0), "{metrics:#}");
    assert_eq!(stump["recall"].as_f64(), Some(2.0 / 3.0));
    assert_eq!(stump["precision"].as_f64(), Some(1.0));
    assert!(stump.get("roc_auc").is_none());
    let undefined = &metrics["undefined"]["stump"];
    assert!(
        undefined["roc_auc"]
            .as_str()
            .unwrap()
            .contains("only one class"),
        "{undefined}"
    );
    assert!(undefined.get("accuracy").is_none());
    // average_precision is defined: `good`, the positive class, occurs.
    assert!(stump["average_precision"].as_f64().is_some(), "{metrics:#}");

    let report = &metrics["per_class"]["stump"];
    assert_eq!(report["labels"], serde_json::json!(["bad", "good"]));
    assert_eq!(report["scores"][0]["support"], 0);
    assert_eq!(report["scores"][1]["support"], 3);
    assert_eq!(report["scores"][1]["recall"].as_f64(), Some(2.0 / 3.0));

    let gate = &metrics["gates"][0];
    assert_eq!(gate["passed"], false);
    assert!(
        gate["error"]
            .as_str()
            .unwrap()
            .starts_with("`stump.roc_auc` is not defined on `test`: roc_auc: only one class"),
        "{gate}"
    );

    let page = std::fs::read_to_string(dir.join(".mlp/runs/latest/report.html")).unwrap();
    assert!(page.contains("<code>roc_auc</code> is not defined on these rows"));
    assert!(page.contains("<h4 class=\"groups\">Per class</h4>"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_empty_table_defines_no_metric_and_fails_nothing_else() {
    let dir = project("empty");
    let output = command().arg("run").arg(&dir).output().unwrap();
    let all = text(&output);
    assert!(
        all.contains("warning: `accuracy` of `stump` on `nothing` is not defined: `nothing` has no rows to evaluate on"),
        "{all}"
    );
    let metrics: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".mlp/runs/latest/metrics.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        metrics["undefined"]["stump on nothing"]["accuracy"],
        "`nothing` has no rows to evaluate on"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_regressor_records_its_residual_summary() {
    let dir = project("residuals");
    let _ = command().arg("run").arg(&dir).output().unwrap();
    let metrics: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".mlp/runs/latest/metrics.json")).unwrap(),
    )
    .unwrap();
    let summary = &metrics["residuals"]["line"];
    let number = |key: &str| {
        summary[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key}: {summary}"))
    };
    // Three residuals: min ≤ quartiles ≤ max, the median is the middle one.
    assert!(number("min") <= number("p25") && number("p25") <= number("median"));
    assert!(number("median") <= number("p75") && number("p75") <= number("max"));
    assert_eq!(
        number("max_abs"),
        number("min").abs().max(number("max").abs())
    );
    let rmse = metrics["models"]["line"]["rmse"].as_f64().unwrap();
    // rmse² = mean² + std² for the population standard deviation.
    let (mean, std) = (number("mean"), number("std"));
    assert!(
        (rmse * rmse - (mean * mean + std * std)).abs() < 1e-9,
        "{summary}"
    );
    let page = std::fs::read_to_string(dir.join(".mlp/runs/latest/report.html")).unwrap();
    assert!(page.contains("Residuals (actual − predicted)"));
    for section in ["<h2>Pipeline</h2>", "<h2>Data</h2>", "<h2>Lineage</h2>"] {
        assert!(page.contains(section), "{section}");
    }
    assert!(page.contains("train · 8 rows"));
    let _ = std::fs::remove_dir_all(&dir);
}
