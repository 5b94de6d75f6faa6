//! `mlp run` and `mlp plan` end to end: the real binary on the examples and
//! on small fixture pipelines, in temporary copies so runs do not share a cache.

mod common;
use common::{command as mlp, project, run, run_fixture as fixture, stages, text};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn example(name: &str) -> PathBuf {
    project(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(name),
    )
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn latest(dir: &Path) -> PathBuf {
    dir.join(".mlp/runs/latest")
}

fn metric(run_dir: &Path, model: &str, metric: &str) -> f64 {
    json(&run_dir.join("metrics.json"))["models"][model][metric]
        .as_f64()
        .unwrap_or_else(|| panic!("no {model}.{metric}"))
}

fn assert_outputs(run_dir: &Path, models: &[&str]) {
    for file in ["metrics.json", "run.json", "report.html"] {
        assert!(run_dir.join(file).is_file(), "missing {file}");
    }
    for model in models {
        let artifact = json(&run_dir.join("models").join(format!("{model}.json")));
        assert_eq!(artifact["name"], *model);
        assert!(artifact["trained_on"]["rows"].as_u64().unwrap() > 0);
        assert!(!artifact["source_files"].as_object().unwrap().is_empty());
    }
    let report = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    assert!(report.contains("<svg"));
    assert!(!report.contains("https://") && !report.contains("http://"));
}

#[test]
fn credit_example_trains_and_evaluates() {
    let dir = example("credit");
    let output = run(&dir, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let out = latest(&dir);
    assert_outputs(&out, &["scorer", "challenger"]);
    let accuracy = metric(&out, "scorer", "accuracy");
    let auc = metric(&out, "scorer", "roc_auc");
    // About 72% of the applications are good: the model must beat that.
    assert!((0.75..0.9).contains(&accuracy), "accuracy {accuracy}");
    assert!((0.78..0.95).contains(&auc), "roc_auc {auc}");
    let gates = json(&out.join("metrics.json"))["gates"].clone();
    assert!(gates
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g["passed"] == true));
}

#[test]
fn penguins_example_trains_three_kinds_of_model() {
    let dir = example("penguins");
    let output = run(&dir, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let out = latest(&dir);
    assert_outputs(&out, &["species_tree", "species_nb", "body_clusters"]);
    assert!(metric(&out, "species_tree", "accuracy") >= 0.9);
    assert!(metric(&out, "species_nb", "f1_macro") >= 0.85);
    let silhouette = metric(&out, "body_clusters", "silhouette");
    assert!((0.2..1.0).contains(&silhouette), "silhouette {silhouette}");
}

#[test]
fn diamonds_example_regresses_prices() {
    let dir = example("diamonds");
    let output = run(&dir, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let out = latest(&dir);
    assert_outputs(&out, &["price_ols", "price_ridge"]);
    assert!(metric(&out, "price_ols", "r2") >= 0.88);
    assert!(metric(&out, "price_ridge", "r2") >= 0.88);
    assert!(metric(&out, "price_ols", "rmse") < 1500.0);
}

#[test]
fn a_second_run_is_all_cache_hits_and_an_edit_reruns_only_its_dependents() {
    let dir = fixture("small");
    assert_eq!(run(&dir, &[]).status.code(), Some(0));
    assert!(stages(&latest(&dir)).iter().all(|(_, cached)| !cached));

    let output = run(&dir, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(stages(&latest(&dir)).iter().all(|(_, cached)| *cached));

    // Change one model's hyper-parameters: that model and its evaluation re-run.
    let main = dir.join("main.mlp");
    let source = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, source.replace("max_depth = 3", "max_depth = 4")).unwrap();
    let plan = mlp().arg("plan").arg(&dir).output().unwrap();
    let plan = String::from_utf8_lossy(&plan.stdout).to_string();
    assert!(
        plan.contains("tree") && plan.contains("definition changed"),
        "{plan}"
    );
    assert!(plan.contains("upstream changed"), "{plan}");
    assert_eq!(run(&dir, &[]).status.code(), Some(0));
    let reran: Vec<String> = stages(&latest(&dir))
        .into_iter()
        .filter(|(_, cached)| !cached)
        .map(|(s, _)| s)
        .collect();
    assert_eq!(reran, ["tree", "evaluate tree on holdout.test"]);
}

#[test]
fn plan_says_when_a_source_file_changed() {
    let dir = fixture("small");
    assert_eq!(run(&dir, &[]).status.code(), Some(0));
    let data = dir.join("data/iris.csv");
    let mut rows = std::fs::read_to_string(&data).unwrap();
    rows.push_str("5.0,3.4,1.5,0.2,setosa\n");
    std::fs::write(&data, rows).unwrap();
    let plan = mlp().arg("plan").arg(&dir).output().unwrap();
    let plan = String::from_utf8_lossy(&plan.stdout).to_string();
    let line = |stage: &str| {
        plan.lines()
            .find(|l| l.split_whitespace().nth(2) == Some(stage))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line("flowers").ends_with("source file changed"), "{plan}");
    assert!(line("holdout").ends_with("upstream changed"), "{plan}");
}

/// Each stage is keyed on the params it reads: on diamonds, `alpha` is read
/// by the ridge model alone and `seed` by the split alone.
#[test]
fn a_param_reruns_only_the_stages_that_read_it() {
    let dir = example("diamonds");
    assert_eq!(run(&dir, &[]).status.code(), Some(0));
    let plan = |param: &str| {
        let output = mlp()
            .arg("plan")
            .arg(&dir)
            .args(["--param", param])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        let plan = String::from_utf8_lossy(&output.stdout).to_string();
        let rerun: Vec<(String, String)> = plan
            .lines()
            .filter(|l| l.starts_with("run "))
            .map(|l| {
                // `run  KIND  STAGE  REASON`; a stage name has single spaces.
                let after_kind = l[4..].trim_start().split_once(' ').unwrap().1;
                let (stage, reason) = after_kind.trim_start().split_once("  ").unwrap();
                (stage.to_string(), reason.trim().to_string())
            })
            .collect();
        rerun
    };
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        plan("alpha=10.0"),
        pairs(&[
            ("price_ridge", "param `alpha` changed"),
            ("evaluate price_ridge on prepared.test", "upstream changed"),
        ])
    );
    // The value it already has changes nothing.
    assert_eq!(plan("alpha=1.0"), pairs(&[]));
    let seed = plan("seed=7");
    assert_eq!(
        seed[0],
        ("holdout".to_string(), "param `seed` changed".to_string())
    );
    assert!(
        seed[1..].iter().all(|(_, r)| r == "upstream changed"),
        "{seed:?}"
    );
    assert!(
        !seed.iter().any(|(s, _)| s == "stones" || s == "priced"),
        "{seed:?}"
    );

    // And the run agrees with the plan.
    assert_eq!(run(&dir, &["--param", "alpha=10.0"]).status.code(), Some(0));
    let reran: Vec<String> = stages(&latest(&dir))
        .into_iter()
        .filter(|(_, cached)| !cached)
        .map(|(s, _)| s)
        .collect();
    assert_eq!(
        reran,
        ["price_ridge", "evaluate price_ridge on prepared.test"]
    );
}

#[test]
fn results_do_not_depend_on_jobs() {
    let one = fixture("small");
    let two = fixture("small");
    assert_eq!(run(&one, &["--jobs", "1"]).status.code(), Some(0));
    assert_eq!(run(&two, &["--jobs", "2"]).status.code(), Some(0));
    let read = |dir: &Path, file: &str| std::fs::read(latest(dir).join(file)).unwrap();
    assert_eq!(read(&one, "metrics.json"), read(&two, "metrics.json"));
    for model in ["tree", "logistic"] {
        let file = format!("models/{model}.json");
        assert_eq!(read(&one, &file), read(&two, &file), "{file}");
    }
}

#[test]
fn stage_runs_only_what_it_needs() {
    let dir = fixture("small");
    let output = run(&dir, &["--stage", "tree"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let ran: Vec<String> = stages(&latest(&dir)).into_iter().map(|(s, _)| s).collect();
    assert_eq!(ran, ["flowers", "holdout", "tree"]);
    let output = run(&dir, &["--stage", "tre"]);
    assert_eq!(output.status.code(), Some(4));
    assert!(
        text(&output).contains("did you mean `tree`"),
        "{}",
        text(&output)
    );
}

#[test]
fn a_failed_error_gate_exits_3_and_names_the_gate() {
    let dir = fixture("failing_gate");
    let output = run(&dir, &[]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let all = text(&output);
    assert!(all.contains("gate `impossible` failed"), "{all}");
    assert!(all.contains("bound 0.9999"), "{all}");
    let gates = json(&latest(&dir).join("metrics.json"))["gates"].clone();
    assert_eq!(gates[0]["passed"], false);
}

/// Runs the `bad` fixture with `data` as its CSV and returns the output;
/// asserts exit code 4 and that no run output was written.
fn bad_data(data: &str) -> String {
    let dir = fixture("bad");
    std::fs::write(dir.join("data/table.csv"), data).unwrap();
    let out = dir.join("out");
    let output = run(&dir, &["--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(4), "{}", text(&output));
    assert!(!out.exists(), "a failed run wrote its outputs");
    text(&output)
}

#[test]
fn a_wrong_type_names_file_line_column_value_and_type() {
    let message = bad_data("id,x,label\n1,0.5,yes\n2,abc,no\n");
    assert!(message.contains("table.csv:3"), "{message}");
    assert!(
        message.contains("`x`") && message.contains("`abc`"),
        "{message}"
    );
    assert!(message.contains("float"), "{message}");
}

#[test]
fn a_ragged_row_names_its_line() {
    let message = bad_data("id,x,label\n1,0.5,yes\n2,0.7\n3,0.1,no\n");
    assert!(message.contains("table.csv:3"), "{message}");
}

#[test]
fn an_empty_file_is_an_error() {
    let message = bad_data("");
    assert!(message.contains("table.csv"), "{message}");
}

#[test]
fn an_all_null_column_is_an_error() {
    let message = bad_data("id,x,label\n1,,yes\n2,,no\n");
    assert!(
        message.contains("table.csv:2") && message.contains("`x`"),
        "{message}"
    );
}

#[test]
fn a_missing_file_is_an_error() {
    let dir = fixture("bad");
    std::fs::remove_file(dir.join("data/table.csv")).unwrap();
    let output = run(&dir, &[]);
    assert_eq!(output.status.code(), Some(4), "{}", text(&output));
    assert!(text(&output).contains("table.csv"), "{}", text(&output));
    assert!(!dir.join(".mlp/runs/latest").exists());
}

#[test]
fn a_failed_expectation_stops_the_run() {
    let dir = fixture("bad");
    let main = dir.join("main.mlp");
    let source = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, source.replace("rows >= 2", "rows >= 1000")).unwrap();
    std::fs::write(
        dir.join("data/table.csv"),
        "id,x,label\n1,0.5,yes\n2,0.7,no\n",
    )
    .unwrap();
    let output = run(&dir, &[]);
    assert_eq!(output.status.code(), Some(4), "{}", text(&output));
    assert!(text(&output).contains("rows >= 1000"), "{}", text(&output));
}

#[test]
fn a_killed_run_leaves_a_cache_that_completes_to_the_clean_result() {
    let clean = fixture("small");
    assert_eq!(run(&clean, &[]).status.code(), Some(0));
    let expected = std::fs::read(latest(&clean).join("metrics.json")).unwrap();

    let dir = fixture("small");
    for delay_ms in [5, 40, 120, 300] {
        let mut child = mlp()
            .arg("run")
            .arg(&dir)
            .arg("--force")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
    }
    let output = run(&dir, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let got = std::fs::read(latest(&dir).join("metrics.json")).unwrap();
    assert_eq!(got, expected);
    // Nothing half-written is left behind under a final name.
    for entry in std::fs::read_dir(dir.join(".mlp/cache")).unwrap() {
        let entry = entry.unwrap().path();
        if !entry
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with('.')
        {
            assert!(entry.join("meta.json").is_file(), "{}", entry.display());
        }
    }
}
