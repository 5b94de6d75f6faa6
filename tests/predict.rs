//! `mlp predict` on every example: the predictions for the test part of
//! each split give back the metrics `mlp run` wrote, so the saved
//! transforms and model compute what the run computed; and raw source rows
//! score through the whole chain.

mod common;

use common::{command, example_run, text};
use std::path::{Path, PathBuf};

fn jsonl(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The test parts of the split and of the transform of its parts (raw
/// columns, read at the transform after the split; the training table's
/// columns, read as they are), as the stages up to `prepared`, each run
/// alone into its own folder, write them whole: the cache keeps row
/// numbers and fitted state instead.
fn test_parts(dir: &Path, run: &Path) -> Vec<PathBuf> {
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("run.json")).unwrap()).unwrap();
    let inputs = dir.join("alone");
    let mut found = Vec::new();
    for stage in record["stages"].as_array().unwrap() {
        let name = stage["stage"].as_str().unwrap();
        let output = command()
            .arg("run")
            .arg(dir)
            .args(["--stage", name, "--inputs"])
            .arg(&inputs)
            .arg("--outputs")
            .arg(inputs.join(name))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        let part = inputs.join(name).join("part-test.parquet");
        if part.exists() {
            found.push(part);
        }
        if name == "prepared" {
            break;
        }
    }
    assert_eq!(
        found.len(),
        2,
        "a split and the transform of its parts: {found:?}"
    );
    found
}

fn predict(run: &Path, model: &str, input: &Path, out: &Path, extra: &[&str]) -> String {
    let output = command()
        .arg("predict")
        .arg(run)
        .args(["--model", model])
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    let said = text(&output);
    assert!(output.status.success(), "mlp predict {model}: {said}");
    said
}

/// `mlp predict RUN --model scorer INPUT ARGS`: exit code and what it said.
fn score_with_scorer(run: &Path, input: &Path, args: &[&str]) -> (Option<i32>, String) {
    let output = command()
        .arg("predict")
        .arg(run)
        .args(["--model", "scorer"])
        .arg(input)
        .args(args)
        .output()
        .unwrap();
    (output.status.code(), text(&output))
}

struct Case {
    example: &'static str,
    /// Model, and the metric recomputed from the predictions.
    models: &'static [(&'static str, &'static str)],
    target: &'static str,
}

fn recompute(metric: &str, rows: &[serde_json::Value], target: &str) -> f64 {
    let n = rows.len() as f64;
    match metric {
        "accuracy" => rows.iter().filter(|r| r["prediction"] == r[target]).count() as f64 / n,
        "rmse" => (rows
            .iter()
            .map(|r| (r["prediction"].as_f64().unwrap() - r[target].as_f64().unwrap()).powi(2))
            .sum::<f64>()
            / n)
            .sqrt(),
        other => panic!("no recomputation of {other}"),
    }
}

fn same_metrics_as_the_run(case: &Case) {
    let (dir, run) = example_run(case.example);
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("metrics.json")).unwrap()).unwrap();
    // Which file is the split's is not in its name: each file must give the
    // metrics read at exactly one of the two places, and not the same one.
    let mut matched = Vec::new();
    for part in test_parts(&dir, &run) {
        let mut places = Vec::new();
        for at in ["prepared", "model"] {
            let agrees = case.models.iter().all(|(model, metric)| {
                let out = dir.join(format!("{model}-{at}.jsonl"));
                let output = command()
                    .arg("predict")
                    .arg(&run)
                    .args(["--model", model, "--at", at])
                    .arg(&part)
                    .arg("--out")
                    .arg(&out)
                    .output()
                    .unwrap();
                if !output.status.success() {
                    return false;
                }
                let said = text(&output);
                let rows = jsonl(&out);
                assert!(
                    said.contains(&format!("{} of {} row(s)", rows.len(), rows.len())),
                    "{said}"
                );
                let expected = metrics["models"][model][metric].as_f64().unwrap();
                let got = recompute(metric, &rows, case.target);
                (got - expected).abs() <= 1e-12 * expected.abs().max(1.0)
            });
            if agrees {
                places.push(at);
            }
        }
        assert_eq!(
            places.len(),
            1,
            "{}: {part:?} gives the run's metrics at {places:?}",
            case.example
        );
        matched.push(places[0]);
    }
    matched.sort();
    assert_eq!(matched, ["model", "prepared"], "{}", case.example);
}

#[test]
fn predictions_on_each_test_part_give_the_run_s_metrics() {
    for case in [
        Case {
            example: "credit",
            models: &[("scorer", "accuracy"), ("challenger", "accuracy")],
            target: "Status",
        },
        Case {
            example: "diamonds",
            models: &[("price_ridge", "rmse"), ("price_ols", "rmse")],
            target: "price",
        },
        Case {
            example: "penguins",
            models: &[("species_tree", "accuracy"), ("species_nb", "accuracy")],
            target: "species",
        },
    ] {
        same_metrics_as_the_run(&case);
    }
}

#[test]
fn raw_rows_score_through_every_transform_and_bad_rows_are_named() {
    let (dir, run) = example_run("credit");
    let source = dir.join("data/credit_data.csv");

    // A row the pipeline's filter removes (a loan above the price): an
    // error by default, naming the row and the filter.
    let mut lines: Vec<String> = std::fs::read_to_string(&source)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let total = lines.len() - 1;
    lines[7] = {
        let mut cells: Vec<&str> = lines[7].split(',').collect();
        cells[12] = "999999";
        cells.join(",")
    };
    let source = dir.join("with-a-bad-loan.csv");
    std::fs::write(&source, lines.join("\n") + "\n").unwrap();
    let out = dir.join("all.jsonl");
    let (code, said) = score_with_scorer(&run, &source, &["--out", out.to_str().unwrap()]);
    assert_eq!(code, Some(4), "{said}");
    assert!(
        said.contains("rejected by `filter(Amount > 0 and Amount <= Price)`"),
        "{said}"
    );
    assert!(said.contains("row 7 (line 8)"), "{said}");
    assert!(!out.exists(), "nothing is written on an error");

    let said = predict(&run, "scorer", &source, &out, &["--on-error", "skip"]);
    let rows = jsonl(&out);
    assert_eq!(rows.len(), total - 1);
    assert!(
        said.contains("1 skipped") && said.contains("skipped: row 7:"),
        "{said}"
    );
    for row in &rows {
        let good = row["probability_good"].as_f64().unwrap();
        let bad = row["probability_bad"].as_f64().unwrap();
        assert!((good + bad - 1.0).abs() < 1e-9, "{row}");
        assert!(row["prediction"] == "good" || row["prediction"] == "bad");
        assert!(row.get("Marital").is_some(), "input columns pass through");
    }

    // A value that is not of its column's type: the line and the column.
    let broken = dir.join("broken.csv");
    let mut lines: Vec<String> = std::fs::read_to_string(&source)
        .unwrap()
        .lines()
        .take(5)
        .map(String::from)
        .collect();
    lines[3] = {
        let mut cells: Vec<&str> = lines[3].split(',').collect();
        cells[3] = "sixty";
        cells.join(",")
    };
    std::fs::write(&broken, lines.join("\n") + "\n").unwrap();
    let (code, said) = score_with_scorer(&run, &broken, &[]);
    assert_eq!(code, Some(4), "{said}");
    assert!(
        said.contains("broken.csv:4: column `Time`: `sixty` is not an int"),
        "{said}"
    );

    // A missing required column is named.
    let cut = dir.join("cut.csv");
    let narrow: Vec<String> = std::fs::read_to_string(&source)
        .unwrap()
        .lines()
        .take(3)
        .map(|l| l.split(',').take(13).collect::<Vec<_>>().join(","))
        .collect();
    std::fs::write(&cut, narrow.join("\n") + "\n").unwrap();
    let (code, said) = score_with_scorer(&run, &cut, &[]);
    assert_eq!(code, Some(4), "{said}");
    assert!(
        said.contains("`Price`") && said.contains("--at TRANSFORM"),
        "{said}"
    );

    // Several models in the run: one must be chosen.
    let output = command()
        .arg("predict")
        .arg(&run)
        .arg(&source)
        .output()
        .unwrap();
    let said = text(&output);
    assert_eq!(output.status.code(), Some(2), "{said}");
    assert!(
        said.contains("--model NAME") && said.contains("challenger, scorer"),
        "{said}"
    );
}
