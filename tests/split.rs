//! The split options (`by`, `group`, `order_by`) and `apply`, through the
//! real binary on `tests/fixtures/run/split` (orders of 40 customers over
//! 200 days, `data/make.py`). The parts and tables are read from the
//! folders of stages run alone, which hold them whole.

mod common;

use common::{command, run, run_fixture, text};
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The stages up to the two `apply` transforms, dependencies first.
const STAGES: &[&str] = &[
    "orders",
    "later",
    "given",
    "by_customer",
    "in_time",
    "prepared",
    "again",
    "later_ready",
];

/// The folder of a stage run alone: its slug.
fn folder(inputs: &Path, stage: &str) -> PathBuf {
    inputs.join(stage.replace('_', "-"))
}

/// Runs each of `stages`, in order, alone into its folder under `DIR/alone`.
fn alone(dir: &Path, stages: &[&str]) -> PathBuf {
    let inputs = dir.join("alone");
    for name in stages {
        let output = command()
            .arg("run")
            .arg(dir)
            .args(["--stage", name, "--inputs"])
            .arg(&inputs)
            .arg("--outputs")
            .arg(folder(&inputs, name))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{name}: {}", text(&output));
    }
    inputs
}

fn read(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

fn ids(path: &Path) -> Vec<i64> {
    read(path)
        .column("id")
        .unwrap()
        .i64()
        .unwrap()
        .into_no_null_iter()
        .collect()
}

/// The rows of `data/orders.csv`, in order: id, customer, day, part.
fn orders(dir: &Path) -> Vec<(i64, String, i64, String)> {
    std::fs::read_to_string(dir.join("data/orders.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            (
                cells[0].parse().unwrap(),
                cells[1].to_string(),
                cells[2].parse().unwrap(),
                cells[5].to_string(),
            )
        })
        .collect()
}

#[test]
fn a_split_by_a_column_puts_each_row_in_the_part_it_names() {
    let dir = run_fixture("split");
    let inputs = alone(&dir, &["orders", "given"]);
    let rows = orders(&dir);
    for part in ["train", "test"] {
        let expected: Vec<i64> = rows.iter().filter(|r| r.3 == part).map(|r| r.0).collect();
        assert!(!expected.is_empty());
        let found = ids(&inputs.join("given").join(format!("part-{part}.parquet")));
        assert_eq!(found, expected, "{part}");
    }
}

#[test]
fn a_value_that_names_no_part_fails_the_run_with_its_row_and_an_excerpt() {
    let dir = run_fixture("split");
    let csv = dir.join("data/orders.csv");
    let long = "t".repeat(300);
    let text_before = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<String> = text_before.lines().map(str::to_string).collect();
    // The fourth data row, line 5 of the file.
    lines[4] = lines[4]
        .replace(",train", &format!(",{long}"))
        .replace(",test", &format!(",{long}"));
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
    let output = run(&dir, &["--stage", "given"]);
    assert_eq!(output.status.code(), Some(4), "{}", text(&output));
    let shown = text(&output);
    assert!(shown.contains("row 4 has `part` = \""), "{shown}");
    assert!(shown.contains("names no part"), "{shown}");
    assert!(shown.contains(&format!("{}…", "t".repeat(40))), "{shown}");
    assert!(!shown.contains(&"t".repeat(41)), "{shown}");
}

/// The customers of each part of `by_customer`, and its test rows.
fn grouped(dir: &Path) -> (BTreeMap<String, BTreeSet<String>>, Vec<i64>) {
    let inputs = alone(dir, &["orders", "by_customer"]);
    let customer_of: BTreeMap<i64, String> = orders(dir).into_iter().map(|r| (r.0, r.1)).collect();
    let mut customers = BTreeMap::new();
    let mut test_rows = Vec::new();
    for part in ["train", "test"] {
        let found = ids(&folder(&inputs, "by_customer").join(format!("part-{part}.parquet")));
        let set: BTreeSet<String> = found.iter().map(|id| customer_of[id].clone()).collect();
        customers.insert(part.to_string(), set);
        if part == "test" {
            test_rows = found;
        }
    }
    (customers, test_rows)
}

#[test]
fn a_group_split_keeps_each_group_in_one_part_and_counts_groups() {
    let dir = run_fixture("split");
    let (customers, test_rows) = grouped(&dir);
    let (train, test) = (&customers["train"], &customers["test"]);
    assert!(train.is_disjoint(test), "{train:?} {test:?}");
    // 40 customers, test = 0.25: 10 of them, as GroupShuffleSplit's
    // (data/groups.py).
    assert_eq!(train.len() + test.len(), 40);
    assert_eq!(test.len(), 10);
    // Every order of a test customer is in the test part.
    let expected: Vec<i64> = orders(&dir)
        .into_iter()
        .filter(|r| test.contains(&r.1))
        .map(|r| r.0)
        .collect();
    assert_eq!(test_rows, expected);

    // The same seed gives the same parts, another seed others.
    let again = run_fixture("split");
    assert_eq!(grouped(&again).1, test_rows);
    let other = run_fixture("split");
    let main = other.join("main.mlp");
    let source = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, source.replace("seed = 3, group", "seed = 4, group")).unwrap();
    assert_ne!(grouped(&other).1, test_rows);
}

#[test]
fn a_time_ordered_split_holds_out_the_last_rows_in_order() {
    let dir = run_fixture("split");
    let inputs = alone(&dir, &["orders", "in_time"]);
    let mut rows = orders(&dir);
    // Stable: rows of the same day keep the file's order.
    rows.sort_by_key(|r| r.2);
    let (first, last) = rows.split_at(160);
    let mut expected_test: Vec<i64> = last.iter().map(|r| r.0).collect();
    let mut expected_train: Vec<i64> = first.iter().map(|r| r.0).collect();
    expected_test.sort();
    expected_train.sort();
    let test = ids(&folder(&inputs, "in_time").join("part-test.parquet"));
    let train = ids(&folder(&inputs, "in_time").join("part-train.parquet"));
    assert_eq!(test, expected_test);
    assert_eq!(train, expected_train);
    // The boundary day has rows on both sides only if it ties.
    assert!(first.last().unwrap().2 <= last[0].2);
}

#[test]
fn apply_gives_the_rows_of_the_transform_it_applies_and_fits_nothing() {
    let dir = run_fixture("split");
    let inputs = alone(&dir, STAGES);
    let own = std::fs::read(inputs.join("prepared/part-test.parquet")).unwrap();
    let applied = std::fs::read(inputs.join("again/table.parquet")).unwrap();
    assert!(
        own == applied,
        "`in_time.test | apply(prepared)` differs from `prepared.test`"
    );

    // New rows: the columns of `prepared`'s output (`part` was only dropped,
    // `extra` is not read), the training part's median and scale.
    let later = read(&folder(&inputs, "later_ready").join("table.parquet"));
    let names: Vec<&str> = later
        .get_column_names()
        .iter()
        .map(|n| n.as_str())
        .collect();
    assert_eq!(names, ["id", "customer", "day", "amount", "big"]);
    assert_eq!(later.height(), 30);
    assert_eq!(later.column("amount").unwrap().null_count(), 0);
    let states: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(inputs.join("prepared/states.json")).unwrap(),
    )
    .unwrap();
    let steps = states["steps"].as_array().unwrap();
    let median = steps[1]["state"]["columns"][0]["value"]["float"]
        .as_f64()
        .unwrap();
    let scale = &steps[2]["state"]["columns"][0];
    assert_eq!(scale["column"], "amount");
    let standard =
        |x: f64| (x - scale["offset"].as_f64().unwrap()) * (1.0 / scale["scale"].as_f64().unwrap());
    let amounts: Vec<f64> = later
        .column("amount")
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    // Rows 3, 13 and 23 of later.csv have no amount: the median fills them.
    for i in [3, 13, 23] {
        assert_eq!(amounts[i], standard(median), "row {i}");
    }
    let first: f64 = std::fs::read_to_string(dir.join("data/later.csv"))
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(3)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(amounts[0], standard(first));
}

#[test]
fn apply_reads_the_applied_transform_and_its_key() {
    let dir = run_fixture("split");
    let output = run(&dir, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".mlp/runs/latest/run.json")).unwrap(),
    )
    .unwrap();
    let stages = record["stages"].as_array().unwrap();
    let key = |name: &str| {
        stages
            .iter()
            .find(|s| s["stage"] == name)
            .unwrap_or_else(|| panic!("no stage {name}"))["key"]
            .clone()
    };
    for name in ["again", "later_ready"] {
        let stage = stages.iter().find(|s| s["stage"] == name).unwrap();
        let inputs = stage["inputs"].as_array().unwrap();
        assert!(inputs.contains(&key("prepared")), "{name}: {inputs:?}");
    }
    let metrics: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".mlp/runs/latest/metrics.json")).unwrap(),
    )
    .unwrap();
    // Both evaluations of the model: on its test part and on the new rows.
    let models = metrics["models"].as_object().unwrap();
    assert_eq!(models.len(), 2, "{metrics}");
    assert!(
        models.values().all(|m| m["accuracy"].as_f64().is_some()),
        "{metrics}"
    );

    // A warm run reads `again` from its entry: the same rows, nothing fitted.
    let output = run(&dir, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("0 to run"), "{}", text(&output));

    // An evaluation run again reads `later_ready` from its entry: its
    // steps run again with `prepared`'s state and give the same rows.
    let accuracy = |metrics: &serde_json::Value| {
        metrics["models"]
            .as_object()
            .unwrap()
            .values()
            .map(|m| m["accuracy"].as_f64().unwrap())
            .collect::<Vec<f64>>()
    };
    let before = accuracy(&metrics);
    let main = dir.join("main.mlp");
    let source = std::fs::read_to_string(&main).unwrap();
    let more = source.replace(
        "evaluate big_orders on later_ready { metrics = [accuracy] }",
        "evaluate big_orders on later_ready { metrics = [accuracy, f1] }",
    );
    std::fs::write(&main, more).unwrap();
    let output = run(&dir, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        text(&output).contains("cached transform later_ready"),
        "{}",
        text(&output)
    );
    let metrics: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".mlp/runs/latest/metrics.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(accuracy(&metrics), before);
}

#[test]
fn a_model_trained_on_an_applied_table_scores_raw_rows() {
    let dir = run_fixture("split");
    let output = run(&dir, &["--quiet"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    // `later.csv` has no `part`: `prepared` only drops it, so the saved
    // steps do not ask for it.
    let output = command()
        .arg("predict")
        .arg(dir.join(".mlp/runs/latest"))
        .args(["--model", "on_later"])
        .arg(dir.join("data/later.csv"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let scored = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = scored.lines().collect();
    assert_eq!(lines.len(), 31, "{scored}");
    assert!(
        lines[0].ends_with(",prediction,probability_false,probability_true"),
        "{}",
        lines[0]
    );
}

#[test]
fn applying_steps_to_a_held_out_part_is_no_leak_and_fitting_them_there_is() {
    let dir = run_fixture("split");
    let check = |dir: &Path| {
        command()
            .arg("check")
            .arg(dir)
            .args(["--format", "json"])
            .output()
            .unwrap()
    };
    // `again = in_time.test | apply(prepared)` fits nothing.
    let output = check(&dir);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(!text(&output).contains("MLP2032"), "{}", text(&output));
    // Fitting on the test part, through a transform of it, is a leak.
    let main = dir.join("main.mlp");
    let source = std::fs::read_to_string(&main).unwrap();
    let leaky = source.replace(
        "transform again = in_time.test | apply(prepared)",
        "transform again = in_time.test | drop(part)\ntransform refit = again | standardize(day)",
    );
    std::fs::write(&main, leaky).unwrap();
    let output = check(&dir);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("MLP2032"), "{}", text(&output));
}
