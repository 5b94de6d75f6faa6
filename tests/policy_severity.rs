//! A policy's `severity` decides what its findings do, for static rules
//! (judged by `check`) and metric gates (judged after a run) alike: `error`
//! blocks, `warning` and `info` report and let the run go on.

mod common;
use common::{command as mlp, text};
use serde_json::Value;
use std::path::PathBuf;

/// `sensitive`: whether the feature `sepal_length_cm` is tagged, so that the
/// static rule is violated.
fn project(severity: &str, sensitive: bool) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "mlp-severity-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/iris.csv"),
        dir.join("iris.csv"),
    )
    .unwrap();
    let pipeline = format!(
        r#"source flowers: csv {{
  path = "iris.csv"
  schema {{
    sepal_length_cm: float {tag}
    sepal_width_cm: float
    petal_length_cm: float
    petal_width_cm: float
    target: enum("setosa", "versicolor", "virginica")
  }}
}}
split holdout = flowers {{ train = 0.7, test = 0.3, seed = 3 }}
model m: logistic_regression {{
  data = holdout.train
  target = target
  features = [sepal_length_cm, sepal_width_cm]
}}
evaluate m on holdout.test {{ metrics = [accuracy] }}
policy bar {{
  severity = {severity}
  deny sensitive in m.features "no protected attribute as an input"
  require m.accuracy >= 0.99 "the accuracy bar"
}}
"#,
        tag = if sensitive { "@sensitive" } else { "" }
    );
    std::fs::write(dir.join("main.mlp"), pipeline).unwrap();
    dir
}

/// The severity `check` gives the static rule (line 20), and its exit code.
fn static_rule(severity: &str) -> (String, Option<i32>) {
    let dir = project(severity, true);
    let output = mlp()
        .args(["check", "--format", "json"])
        .arg(&dir)
        .output()
        .unwrap();
    let reports: Value = serde_json::from_slice(&output.stdout).unwrap();
    let reports = reports.as_array().unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0]["code"], "MLP2015");
    assert_eq!(reports[0]["line"], 20);
    (
        reports[0]["severity"].as_str().unwrap().to_string(),
        output.status.code(),
    )
}

#[test]
fn a_static_rule_takes_its_policys_severity() {
    assert_eq!(static_rule("error"), ("error".to_string(), Some(1)));
    assert_eq!(static_rule("warning"), ("warning".to_string(), Some(0)));
    assert_eq!(static_rule("info"), ("info".to_string(), Some(0)));
}

#[test]
fn a_gate_takes_its_policys_severity() {
    // An error policy's static rule stops the run before anything trains.
    let dir = project("error", true);
    let output = mlp().arg("run").arg(&dir).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(!dir.join(".mlp/runs/latest").exists());
    // A failed error gate is exit code 3.
    let dir = project("error", false);
    let output = mlp().arg("run").arg(&dir).output().unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));

    for severity in ["warning", "info"] {
        let dir = project(severity, true);
        let output = mlp().arg("run").arg(&dir).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        let metrics: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(".mlp/runs/latest/metrics.json")).unwrap(),
        )
        .unwrap();
        let gate = &metrics["gates"][0];
        assert_eq!(gate["severity"], severity);
        assert_eq!(gate["passed"], false);
        assert_eq!(gate["rule"], "m.accuracy >= 0.99");
    }
}
