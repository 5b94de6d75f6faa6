//! The semantic front end through the real binary: examples, `--emit ir`,
//! `mlp graph`, `--param` / `--env` overrides, local modules.

use std::path::PathBuf;
use std::process::Output;

mod common;
use common::{mlp, root};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const EXAMPLES: [&str; 3] = ["examples/credit", "examples/penguins", "examples/diamonds"];

/// A scratch folder of this test binary, emptied first.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlp-check-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

#[test]
fn examples_check_without_errors_and_emit_ir() {
    for example in EXAMPLES {
        let out = mlp(&["check", example, "--emit", "ir"]);
        assert_eq!(out.status.code(), Some(0), "{example}: {}", stderr(&out));
        let ir: serde_json::Value = serde_json::from_slice(&out.stdout).expect("IR is JSON");
        assert_eq!(ir["version"], 1, "{example}");
        let blocks = ir["blocks"].as_array().expect("blocks");
        assert!(
            blocks
                .iter()
                .any(|b| b["kind"] == "model" && b["model_kind"].is_string()),
            "{example}"
        );
        assert!(
            blocks
                .iter()
                .any(|b| b["kind"] == "source"
                    && !b["schema"].as_array().expect("schema").is_empty()),
            "{example}"
        );
        assert!(
            !ir["edges"].as_array().expect("edges").is_empty(),
            "{example}"
        );
    }
}

#[test]
fn examples_draw_svg_graphs() {
    let dir = scratch("svg");
    for example in EXAMPLES {
        let file = dir.join(format!("{}.svg", example.replace('/', "_")));
        let out = mlp(&[
            "graph",
            example,
            "--format",
            "svg",
            "-o",
            file.to_str().expect("UTF-8"),
        ]);
        assert_eq!(out.status.code(), Some(0), "{example}: {}", stderr(&out));
        let svg = std::fs::read_to_string(&file).expect("the SVG was written");
        assert!(
            svg.starts_with("<svg") || svg.starts_with("<?xml"),
            "{example}"
        );
        assert!(svg.contains("scorer") || svg.contains("model"), "{example}");
    }
    for format in ["dot", "mermaid", "json"] {
        let out = mlp(&["graph", "examples/credit", "--format", format]);
        assert_eq!(out.status.code(), Some(0), "{format}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("holdout"),
            "{format}"
        );
    }
}

#[test]
fn param_overrides_are_type_checked() {
    let ok = mlp(&[
        "check",
        "examples/credit",
        "--param",
        "seed=7",
        "--emit",
        "ir",
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let ir: serde_json::Value = serde_json::from_slice(&ok.stdout).expect("JSON");
    let seed = &ir["params"][0];
    assert_eq!(
        (
            seed["name"].as_str(),
            seed["value"].as_i64(),
            seed["overridden"].as_bool()
        ),
        (Some("seed"), Some(7), Some(true))
    );
    let split = ir["blocks"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["name"] == "holdout"))
        .expect("split");
    assert_eq!(split["seed"], 7);

    let bad = mlp(&["check", "examples/credit", "--param", "seed=abc"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("`--param seed=abc`: expected a value of type int"),
        "{}",
        stderr(&bad)
    );
    assert!(
        !stderr(&bad).contains("MLP"),
        "no cascade: {}",
        stderr(&bad)
    );

    let unknown = mlp(&["check", "examples/credit", "--param", "sed=7"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("did you mean `seed`?"),
        "{}",
        stderr(&unknown)
    );

    let malformed = mlp(&["check", "examples/credit", "--param", "seed"]);
    assert_eq!(malformed.status.code(), Some(2));
}

#[test]
fn env_overlays_apply_and_are_checked() {
    let prod = mlp(&["check", "examples/credit", "--env", "prod", "--emit", "ir"]);
    assert_eq!(prod.status.code(), Some(0), "{}", stderr(&prod));
    let ir: serde_json::Value = serde_json::from_slice(&prod.stdout).expect("JSON");
    let api = ir["blocks"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["name"] == "scoring_api"))
        .expect("deploy");
    assert_eq!(api["fields"]["replicas"], 4);
    assert_eq!(api["fields"]["autoscale.max"], 20);

    let unknown = mlp(&["check", "examples/credit", "--env", "prd"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("did you mean `prod`?"));

    let dir = scratch("env");
    let file = dir.join("main.mlp");
    std::fs::write(&file, "source s: csv { path = \"s.csv\", schema { x: float, y: bool } }\nmodel m: logistic_regression { data = s, target = y }\ndeploy api: kubernetes { model = m, image = \"x:1\" }\nenv prod {\n  api.replicas = \"four\"\n  api.memory = 1Gi\n}\n").expect("write");
    let out = mlp(&["check", file.to_str().expect("UTF-8"), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let codes: Vec<String> = serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .expect("JSON")
        .as_array()
        .expect("array")
        .iter()
        .map(|d| format!("{}@{}", d["code"].as_str().unwrap_or(""), d["line"]))
        .collect();
    assert_eq!(codes, ["MLP2003@5", "MLP2018@6"]);
}

#[test]
fn local_modules_load_relative_to_the_importer_and_stay_in_the_project() {
    let dir = scratch("modules");
    std::fs::create_dir_all(dir.join("lib")).expect("lib");
    std::fs::write(
        dir.join("lib/data.mlp"),
        "source people: csv { path = \"p.csv\", schema { id: int @id, x: float, y: bool } }\n",
    )
    .expect("write");
    std::fs::write(dir.join("main.mlp"), "use \"./lib/data.mlp\" as data\nuse std.policies.baseline\nsplit h = data.people { train = 0.5, test = 0.5 }\nmodel m: logistic_regression { data = h.train, target = y }\ndeploy api: docker { model = m, image = \"x:1\", replicas = 2, gates = [baseline.production] }\n").expect("write");
    let out = mlp(&["check", dir.to_str().expect("UTF-8"), "--emit", "ir"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ir: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let names: Vec<&str> = ir["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .filter_map(|b| b["name"].as_str())
        .collect();
    assert!(
        names.contains(&"data.people") && names.contains(&"baseline.production"),
        "{names:?}"
    );

    // The baseline gate requires two replicas.
    std::fs::write(dir.join("main.mlp"), "use \"./lib/data.mlp\" as data\nuse std.policies.baseline\nmodel m: logistic_regression { data = data.people, target = y }\ndeploy api: docker { model = m, image = \"x:1\", gates = [baseline.production] }\n").expect("write");
    let out = mlp(&["check", dir.to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("MLP2015") && stderr(&out).contains("replicas"),
        "{}",
        stderr(&out)
    );

    std::fs::write(
        dir.join("lib/escape.mlp"),
        "use \"../../outside.mlp\" as o\n",
    )
    .expect("write");
    std::fs::write(dir.join("main.mlp"), "use \"./lib/escape.mlp\" as e\n").expect("write");
    let out = mlp(&["check", dir.to_str().expect("UTF-8")]);
    assert!(stderr(&out).contains("MLP1004"), "{}", stderr(&out));
}

#[test]
fn wrong_input_never_panics() {
    let dir = scratch("fuzz");
    let credit = std::fs::read_to_string(root().join("examples/credit/main.mlp")).expect("credit");
    // Every prefix cut at a line boundary: broken blocks, dangling references.
    let lines: Vec<&str> = credit.lines().collect();
    for cut in (0..lines.len()).step_by(3) {
        let file = dir.join("main.mlp");
        std::fs::write(&file, lines[..cut].join("\n")).expect("write");
        let out = mlp(&["check", file.to_str().expect("UTF-8"), "--emit", "ir"]);
        assert!(
            matches!(out.status.code(), Some(0..=2)),
            "cut at line {cut}: {}",
            stderr(&out)
        );
    }
}
