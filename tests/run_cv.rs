//! Cross-validation (`evaluate m on t { cv { ... } }`) end to end: the real
//! binary on tests/fixtures/run/cv, held equal to scikit-learn's
//! `cross_validate` on the same folds (tests/data/cv/reference.json, written
//! by tests/data/cv/reference.py from such a run), gated, cached, reported.

mod common;
use common::{root, run, run_fixture as fixture, stages, text};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn latest(dir: &Path) -> PathBuf {
    dir.join(".mlp/runs/latest")
}

fn cv_run() -> (PathBuf, Value) {
    let dir = fixture("cv");
    let output = run(&dir, &["--quiet"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let metrics = json(&latest(&dir).join("metrics.json"));
    (dir, metrics)
}

fn floats(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

#[test]
fn per_fold_metrics_agree_with_scikit_learn_on_the_same_folds() {
    let (_, metrics) = cv_run();
    let reference = json(&root().join("tests/data/cv/reference.json"));
    for model in ["progression", "species"] {
        let ours = &metrics["cv"][model];
        let theirs = &reference[model];
        // The dealing itself is pinned: the same seed gives the same folds.
        assert_eq!(
            ours["fold_of_row"], theirs["fold_of_row"],
            "{model}'s folds"
        );
        let names = theirs["metrics"].as_object().unwrap();
        assert_eq!(
            ours["metrics"].as_object().unwrap().len(),
            names.len(),
            "{model}"
        );
        for (name, expected) in names {
            let got = floats(&ours["metrics"][name]["folds"]);
            let expected = floats(expected);
            assert_eq!(got.len(), expected.len(), "{model}.{name}");
            for (fold, (g, e)) in got.iter().zip(&expected).enumerate() {
                assert!(
                    (g - e).abs() <= 1e-6,
                    "{model}.{name} fold {fold}: mlp {g}, scikit-learn {e}"
                );
            }
            let n = expected.len() as f64;
            let mean = expected.iter().sum::<f64>() / n;
            let std = (expected.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
            let summary = &ours["metrics"][name];
            assert!((summary["mean"].as_f64().unwrap() - mean).abs() <= 1e-6);
            assert!((summary["std"].as_f64().unwrap() - std).abs() <= 1e-6);
            // What gates read.
            let flat = &metrics["models"][model];
            assert_eq!(flat[format!("cv.{name}.mean")], summary["mean"]);
            assert_eq!(flat[format!("cv.{name}.std")], summary["std"]);
        }
    }
}

#[test]
fn folds_are_dealt_evenly_and_stratified() {
    let (_, metrics) = cv_run();
    let species = &metrics["cv"]["species"];
    assert_eq!(species["folds"], 4);
    assert_eq!(species["stratify"], "target");
    assert_eq!(species["rows_of"], "flowers");
    let fold_rows: Vec<u64> = species["fold_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    // 150 rows, 50 per class: every fold within one row of 37.5, and
    // every class within one row of 12.5 in each fold.
    assert_eq!(fold_rows.iter().sum::<u64>(), 150);
    assert!(
        fold_rows.iter().all(|&n| (37..=38).contains(&n)),
        "{fold_rows:?}"
    );
    let folds = species["fold_of_row"].as_array().unwrap();
    for class in 0..3 {
        for fold in 0..4u64 {
            let n = folds[class * 50..(class + 1) * 50]
                .iter()
                .filter(|f| f.as_u64() == Some(fold))
                .count();
            assert!((12..=13).contains(&n), "class {class} fold {fold}: {n}");
        }
    }
    let progression = &metrics["cv"]["progression"];
    assert_eq!(progression["refit"], serde_json::json!(["scaled"]));
    assert_eq!(progression["rows_of"], "patients");
}

#[test]
fn gates_read_the_mean_over_the_folds() {
    let (_, metrics) = cv_run();
    let gates = metrics["gates"].as_array().unwrap();
    assert_eq!(gates.len(), 2, "{gates:?}");
    let r2 = &gates[0];
    assert_eq!(r2["passed"], true, "{r2}");
    assert_eq!(
        r2["value"],
        metrics["cv"]["progression"]["metrics"]["r2"]["mean"]
    );
    let accuracy = &gates[1];
    assert_eq!(accuracy["passed"], true, "{accuracy}");
    assert_eq!(
        accuracy["value"],
        metrics["cv"]["species"]["metrics"]["accuracy"]["mean"]
    );
}

#[test]
fn results_do_not_depend_on_jobs_and_a_warm_run_does_no_work() {
    let (dir, metrics) = cv_run();
    assert!(stages(&latest(&dir)).iter().all(|(_, cached)| !cached));
    let again = run(&dir, &["--quiet"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(stages(&latest(&dir)).iter().all(|(_, cached)| *cached));
    assert_eq!(json(&latest(&dir).join("metrics.json")), metrics);
    let one = fixture("cv");
    let output = run(&one, &["--quiet", "--jobs", "1"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(json(&latest(&one).join("metrics.json")), metrics);
}

#[test]
fn changing_the_folds_reruns_only_the_cross_validation() {
    let (dir, _) = cv_run();
    let main = dir.join("main.mlp");
    let source = std::fs::read_to_string(&main).unwrap();
    let edited = source.replace("cv { folds = 4, seed = 3", "cv { folds = 3, seed = 3");
    assert_ne!(source, edited);
    std::fs::write(&main, edited).unwrap();
    let output = run(&dir, &["--quiet"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let rerun: Vec<String> = stages(&latest(&dir))
        .into_iter()
        .filter(|(_, cached)| !cached)
        .map(|(stage, _)| stage)
        .collect();
    assert_eq!(rerun, ["evaluate species on flowers"]);
    let metrics = json(&latest(&dir).join("metrics.json"));
    assert_eq!(metrics["cv"]["species"]["folds"], 3);
    assert_eq!(
        floats(&metrics["cv"]["species"]["metrics"]["accuracy"]["folds"]).len(),
        3
    );
}

#[test]
fn the_report_shows_the_folds_and_their_spread() {
    let (dir, _) = cv_run();
    let report = std::fs::read_to_string(latest(&dir).join("report.html")).unwrap();
    assert!(report.contains("Cross-validation: 4 folds of <code>flowers</code>"));
    assert!(report.contains("Cross-validation: 5 folds of <code>patients</code>"));
    assert!(report.contains("refitted on each fold: <code>scaled</code>"));
    assert_eq!(
        report.matches("Spread over the folds").count(),
        2 * 2,
        "caption and label"
    );
    assert!(report.contains("<th class=\"num\">fold 4</th>"));
    // A model's search is shown in the card of its evaluation.
    assert!(!report.contains("Hyper-parameter search"));
    let main = dir.join("main.mlp");
    let source = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        format!("{source}\nevaluate tuned on scaled {{ metrics = [rmse] }}\n"),
    )
    .unwrap();
    let output = run(&dir, &["--quiet"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let report = std::fs::read_to_string(latest(&dir).join("report.html")).unwrap();
    assert!(report.contains("Hyper-parameter search: 5 candidates, 5 folds of <code>patients</code>, ranked by <code>rmse</code> (lower is better)"));
    assert!(report
        .contains("<td>1 <span class=\"badge pass\">chosen</span></td><td><code>1</code></td>"));
}

#[test]
fn fewer_rows_than_folds_fail_the_stage() {
    let dir = fixture("cv");
    let main = dir.join("main.mlp");
    let source = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        source.replace("folds = 5, seed = 11", "folds = 500, seed = 11"),
    )
    .unwrap();
    let output = run(&dir, &["--quiet"]);
    assert_eq!(output.status.code(), Some(4), "{}", text(&output));
    assert!(
        text(&output).contains("`patients` has 442 row(s): too few for 500 folds"),
        "{}",
        text(&output)
    );
}

#[test]
fn grid_search_picks_what_grid_search_cv_picks_on_the_same_folds() {
    let (dir, metrics) = cv_run();
    let reference = json(&root().join("tests/data/cv/reference.json"));
    for (model, hyper) in [("tuned", "l2"), ("shallow", "max_depth")] {
        let ours = &metrics["search"][model];
        let theirs = &reference[model];
        assert_eq!(
            ours["fold_of_row"], theirs["fold_of_row"],
            "{model}'s folds"
        );
        let best = ours["best"].as_u64().unwrap() as usize;
        let chosen = &ours["trials"][best]["hyper"][hyper];
        assert_eq!(
            chosen.as_f64(),
            theirs["best"][hyper].as_f64(),
            "{model}: mlp chose {chosen}"
        );
        // The model is trained again, on every row, with the chosen value.
        let file = json(&latest(&dir).join("models").join(format!("{model}.json")));
        assert_eq!(&file["hyper"][hyper], chosen, "{model}'s file");
        assert_eq!(file["search"]["best"], ours["best"]);
    }
    // Ridge is deterministic: every candidate's mean agrees too.
    let means: Vec<f64> = metrics["search"]["tuned"]["trials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["mean"].as_f64().unwrap())
        .collect();
    let expected = floats(&reference["tuned"]["means"]);
    assert_eq!(means.len(), expected.len());
    for (m, e) in means.iter().zip(&expected) {
        assert!((m - e).abs() <= 1e-6, "mlp {m}, GridSearchCV {e}");
    }
}

#[test]
fn trials_draw_some_candidates_with_the_seed() {
    let dir = fixture("cv");
    let main = dir.join("main.mlp");
    let source = std::fs::read_to_string(&main).unwrap();
    let edited = source.replace(
        "search { folds = 4, seed = 3, stratify = target, metric = accuracy }",
        "search { folds = 4, seed = 3, stratify = target, metric = accuracy, trials = 2 }",
    );
    assert_ne!(source, edited);
    std::fs::write(&main, edited).unwrap();
    let output = run(&dir, &["--quiet"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let metrics = json(&latest(&dir).join("metrics.json"));
    let trials = metrics["search"]["shallow"]["trials"].as_array().unwrap();
    assert_eq!(trials.len(), 2);
    let depths: Vec<i64> = trials
        .iter()
        .map(|t| t["hyper"]["max_depth"].as_i64().unwrap())
        .collect();
    assert!(
        depths[0] < depths[1] && depths.iter().all(|d| (1..=5).contains(d)),
        "{depths:?}"
    );
    let again = fixture("cv");
    std::fs::write(
        again.join("main.mlp"),
        std::fs::read_to_string(&main).unwrap(),
    )
    .unwrap();
    assert_eq!(run(&again, &["--quiet"]).status.code(), Some(0));
    let metrics_again = json(&latest(&again).join("metrics.json"));
    assert_eq!(metrics_again["search"], metrics["search"]);
}
