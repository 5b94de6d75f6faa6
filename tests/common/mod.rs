//! Helpers shared by the integration tests: the real binary, and the
//! front end run on a text in memory. Each test binary uses a part of them.
#![allow(dead_code)]

pub mod data;

use mlp::check::{self, Checked, Options};
use mlp::diagnostics::Diagnostic;
use mlp::resolve::{self, Loader, Resolved};
use mlp::source::SourceMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `mlp ARGS` from the crate's folder, without colours.
pub fn mlp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlp"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("the mlp binary runs")
}

/// The front end on `text` as the entry file `main.mlp`, which may only
/// use standard modules.
pub fn check_text(text: &str) -> (Resolved, Checked) {
    let mut sources = SourceMap::new();
    let resolved = resolve::resolve(
        Path::new("main.mlp"),
        text.into(),
        Path::new(""),
        &NoFiles,
        &mut sources,
    );
    let checked = check::check(&resolved, &sources, &Options::default());
    (resolved, checked)
}

/// Every diagnostic of a front-end run: resolving's, then checking's.
pub fn all_diagnostics<'a>(
    resolved: &'a Resolved,
    checked: &'a Checked,
) -> impl Iterator<Item = &'a Diagnostic> {
    resolved.diagnostics.iter().chain(&checked.diagnostics)
}

struct NoFiles;

impl Loader for NoFiles {
    fn read(&self, _: &Path) -> Result<String, String> {
        Err("no local files in this test".into())
    }
}

/// A fresh temporary folder holding a copy of `from` (without its `.mlp/`),
/// so that runs do not share a cache.
pub fn project(from: &Path) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "mlp-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    copy(from, &dir);
    dir
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == ".mlp" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The binary without colours, to add arguments to.
pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mlp"));
    command.env("NO_COLOR", "1");
    command
}

/// A copy of `tests/fixtures/run/NAME`.
pub fn run_fixture(name: &str) -> std::path::PathBuf {
    project(&root().join("tests/fixtures/run").join(name))
}

/// `mlp run DIR ARGS`.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    command().arg("run").arg(dir).args(args).output().unwrap()
}

/// Every example with its source's CSV file, that file's null token and
/// every model it trains.
pub const EXAMPLE_MODELS: &[(&str, &str, &str, &[&str])] = &[
    (
        "diamonds",
        "data/diamonds.csv",
        "",
        &["price_ridge", "price_ols"],
    ),
    (
        "penguins",
        "data/penguins.csv",
        "NA",
        &[
            "species_tree",
            "species_nb",
            "species_forest",
            "body_clusters",
        ],
    ),
    (
        "credit",
        "data/credit_data.csv",
        "",
        &["scorer", "challenger"],
    ),
    ("seasons", "data/penguins.csv", "NA", &["species_tree"]),
    (
        "diabetes",
        "data/diabetes.csv",
        "",
        &[
            "progression_ridge",
            "progression_tree",
            "progression_forest",
            "progression_boosted",
        ],
    ),
];

/// A copy of `examples/NAME`, run into its `run-out/`: the copy and the run.
pub fn example_run(name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = project(&root().join("examples").join(name));
    let run_dir = dir.join("run-out");
    let output = run(&dir, &["--out", run_dir.to_str().unwrap(), "--quiet"]);
    assert!(output.status.success(), "{}", text(&output));
    (dir, run_dir)
}

/// (stage, cached) of every stage in a run folder's run.json.
pub fn stages(run_dir: &Path) -> Vec<(String, bool)> {
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("run.json")).unwrap()).unwrap();
    run["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["stage"].as_str().unwrap().to_string(),
                s["cached"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// Standard output then standard error, as text.
pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Whether an external tool (installed by .ci/run) answers `name
/// version_arg`. Without it a test says so and passes, unless
/// MLP_REQUIRE_TOOLS is set, which .ci/run sets.
pub fn tool_available(name: &str, version_arg: &str) -> bool {
    let found = Command::new(name)
        .arg(version_arg)
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("MLP_REQUIRE_TOOLS").is_none(),
            "{name} is required (MLP_REQUIRE_TOOLS is set)"
        );
        eprintln!("skipped: {name} is not installed");
    }
    found
}

/// Every `.mlp` file under `dir`, in path order, appended to `found`;
/// unreadable folders are skipped.
pub fn mlp_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            mlp_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "mlp") {
            found.push(path);
        }
    }
}
