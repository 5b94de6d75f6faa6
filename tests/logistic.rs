//! logistic_regression against scikit-learn: the coefficients `mlp run`
//! saves for a binary and a multinomial model on real rows, and the same
//! model bytes whatever the number of threads.

mod common;
use common::{command, root, run_fixture, text};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The fixture with its data copied in.
fn project() -> PathBuf {
    let dir = run_fixture("logistic");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    for (from, name) in [
        ("examples/credit/data/credit_data.csv", "credit_data.csv"),
        ("tests/data/iris.csv", "iris.csv"),
    ] {
        std::fs::copy(root().join(from), data.join(name)).unwrap();
    }
    dir
}

fn run(dir: &Path, args: &[&str], threads: &str) -> PathBuf {
    let out = dir.join(format!("out-{threads}-{}", args.join("")));
    let output = command()
        .arg("run")
        .arg(dir)
        .args(["--quiet", "--force", "--out"])
        .arg(&out)
        .args(args)
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    out
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn numbers(value: &Value) -> Vec<f64> {
    match value {
        Value::Array(items) => items.iter().flat_map(numbers).collect(),
        other => vec![other.as_f64().unwrap()],
    }
}

#[test]
fn coefficients_match_scikit_learn() {
    let dir = project();
    let out = run(&dir, &[], "2");
    let reference = json(&root().join("tests/data/logistic/reference.json"));
    for model in ["credit_scorer", "species"] {
        let artifact = json(&out.join("models").join(format!("{model}.json")));
        let fitted = &artifact["model"]["fitted"]["logistic"];
        let want = &reference[model];
        for part in ["weights", "intercepts"] {
            let got = numbers(&fitted[part]);
            let expected = numbers(&want[part]);
            assert_eq!(got.len(), expected.len(), "{model} {part}");
            for (i, (got, expected)) in got.iter().zip(&expected).enumerate() {
                assert!(
                    (got - expected).abs() <= 1e-6 * expected.abs(),
                    "{model} {part}[{i}]: mlp {got}, scikit-learn {expected}"
                );
            }
        }
    }
}

#[test]
fn model_bytes_do_not_depend_on_threads_or_jobs() {
    let dir = project();
    let runs = [
        run(&dir, &["--jobs", "1"], "1"),
        run(&dir, &["--jobs", "2"], "1"),
        run(&dir, &["--jobs", "1"], "2"),
        run(&dir, &["--jobs", "2"], "2"),
    ];
    for model in ["credit_scorer", "species"] {
        let file = format!("models/{model}.json");
        let first = std::fs::read(runs[0].join(&file)).unwrap();
        for other in &runs[1..] {
            assert_eq!(first, std::fs::read(other.join(&file)).unwrap(), "{file}");
        }
    }
}
