//! Safety and integrity through the real binary: mlp never deletes what it
//! did not write, reads only inside the project root, says what is wrong
//! with hostile data without echoing it whole, heals a damaged cache, and
//! gives the same bytes whatever the cache held.

mod common;
use common::{command as mlp, project, run, run_fixture as fixture, text};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// An empty project folder for a pipeline written by the test.
fn empty_project() -> PathBuf {
    let dir = project(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run/small"));
    std::fs::remove_file(dir.join("main.mlp")).unwrap();
    dir
}

fn latest(dir: &Path) -> PathBuf {
    dir.join(".mlp/runs/latest")
}

/// The bytes a run's results are judged by: metrics and model files.
fn results(run_dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![(
        "metrics.json".to_string(),
        std::fs::read(run_dir.join("metrics.json")).unwrap(),
    )];
    let mut models: Vec<PathBuf> = std::fs::read_dir(run_dir.join("models"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    models.sort();
    for model in models {
        let name = model.file_name().unwrap().to_string_lossy().into_owned();
        files.push((name, std::fs::read(model).unwrap()));
    }
    files
}

fn assert_same_results(left: &Path, right: &Path) {
    let (left, right) = (results(left), results(right));
    assert_eq!(left.len(), right.len());
    for ((name, l), (_, r)) in left.iter().zip(&right) {
        assert!(l == r, "{name} differs");
    }
}

/// The temporary names mlp leaves while writing.
fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains(".mlp-tmp."))
                .collect()
        })
        .unwrap_or_default()
}

// ------------------------------------------------------------------ --out

#[test]
fn out_onto_a_folder_with_user_files_is_refused_and_deletes_nothing() {
    let dir = fixture("small");
    let out = dir.join("mine");
    std::fs::create_dir_all(out.join("notes")).unwrap();
    std::fs::write(out.join("thesis.txt"), "four years of work").unwrap();
    std::fs::write(out.join("notes/a.md"), "a").unwrap();
    let output = run(&dir, &["--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("mlp never replaces what it did not write"),
        "{}",
        text(&output)
    );
    assert_eq!(
        std::fs::read_to_string(out.join("thesis.txt")).unwrap(),
        "four years of work"
    );
    assert!(out.join("notes/a.md").is_file());
    assert!(
        !dir.join(".mlp/cache").exists(),
        "refused before any stage ran"
    );

    // A file is not a folder to write a run into either.
    let file = dir.join("data/iris.csv");
    let before = std::fs::read(&file).unwrap();
    let output = run(&dir, &["--out", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn out_may_replace_an_empty_folder_or_a_previous_run_but_not_one_with_additions() {
    let dir = fixture("small");
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let output = run(&dir, &["--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let run_file: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run_file["format"], "mlp-run/1");

    let output = run(&dir, &["--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));

    std::fs::write(out.join("my-notes.txt"), "keep me").unwrap();
    let output = run(&dir, &["--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("my-notes.txt"), "{}", text(&output));
    assert_eq!(
        std::fs::read_to_string(out.join("my-notes.txt")).unwrap(),
        "keep me"
    );
    assert!(out.join("metrics.json").is_file());
}

#[test]
fn temporaries_of_dead_runs_are_swept_and_nothing_else() {
    let dir = fixture("small");
    let out = dir.join("out");
    // A process that has ended: its temporaries are abandoned.
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let stale_entry = dir.join(format!(".mlp/cache/.abc.mlp-tmp.{dead}.0"));
    let stale_out = dir.join(format!(".out.mlp-tmp.{dead}.3"));
    std::fs::create_dir_all(stale_entry.join("inner")).unwrap();
    std::fs::create_dir_all(&stale_out).unwrap();
    let users = dir.join(".out.backup.tmp");
    std::fs::write(&users, "not mlp's").unwrap();
    let output = run(&dir, &["--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(!stale_entry.exists());
    assert!(!stale_out.exists());
    assert!(users.is_file());
}

// ------------------------------------------------------- the project root

fn write_pipeline(dir: &Path, path: &str) {
    let text = format!(
        "source flowers: csv {{\n  path = \"{path}\"\n  schema {{ sepal_length_cm: float }}\n}}\n"
    );
    std::fs::write(dir.join("main.mlp"), text).unwrap();
}

/// `mlp check --format json` on the project: exit code and diagnostics.
fn check_json(dir: &Path, args: &[&str]) -> (Option<i32>, Vec<Value>) {
    let output = mlp()
        .args(["check", "--format", "json"])
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    let diagnostics: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", text(&output));
    });
    (output.status.code(), diagnostics)
}

/// Asserts the one diagnostic is MLP1011 on the path's string (line 2).
fn assert_outside(dir: &Path, path: &str) {
    let (code, diagnostics) = check_json(dir, &[]);
    assert_eq!(code, Some(1), "{path}: {diagnostics:?}");
    assert_eq!(diagnostics.len(), 1, "{path}: {diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!(d["code"], "MLP1011", "{path}");
    assert_eq!(d["line"], 2, "{path}");
    assert_eq!(d["column"], 10, "{path}");
    assert_eq!(d["end"]["column"], 10 + path.chars().count() + 2, "{path}");
}

#[test]
fn a_source_outside_the_project_is_refused_at_check_time() {
    let dir = empty_project();
    for path in [
        "/etc/passwd",
        "../../../../../../../../etc/passwd",
        "/etc/*",
    ] {
        write_pipeline(&dir, path);
        assert_outside(&dir, path);
    }
    // The user may opt in, and then the file is read.
    write_pipeline(&dir, "/etc/passwd");
    let (code, diagnostics) = check_json(&dir, &["--allow-outside-root"]);
    assert_eq!(code, Some(0), "{diagnostics:?}");
    // Or widen the root to a folder that holds both.
    let inside = dir.join("inner");
    std::fs::create_dir_all(&inside).unwrap();
    write_pipeline(&inside, "../data/iris.csv");
    assert_outside(&inside, "../data/iris.csv");
    let (code, diagnostics) = check_json(&inside, &["--root", dir.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{diagnostics:?}");
    // And the run reads nothing either.
    write_pipeline(&dir, "/etc/passwd");
    let output = run(&dir, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(!text(&output).contains("root:"), "{}", text(&output));
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_out_of_the_project_is_refused() {
    let dir = empty_project();
    std::os::unix::fs::symlink("/etc/passwd", dir.join("data/users.csv")).unwrap();
    write_pipeline(&dir, "data/users.csv");
    assert_outside(&dir, "data/users.csv");
    // Through a glob, too.
    write_pipeline(&dir, "data/*.csv");
    assert_outside(&dir, "data/*.csv");
    // A module folder that is a link out of the project.
    let elsewhere =
        project(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run/small"));
    std::fs::remove_file(dir.join("data/users.csv")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.join("lib")).unwrap();
    std::fs::write(dir.join("main.mlp"), "use \"./lib/main.mlp\" as lib\n").unwrap();
    let (code, diagnostics) = check_json(&dir, &[]);
    assert_eq!(code, Some(1), "{diagnostics:?}");
    assert_eq!(diagnostics[0]["code"], "MLP1004", "{diagnostics:?}");
    assert_eq!(diagnostics[0]["line"], 1);
    assert_eq!(diagnostics[0]["column"], 5);
}

#[test]
fn a_modules_sources_are_relative_to_the_module() {
    let dir = empty_project();
    std::fs::create_dir_all(dir.join("lib/data")).unwrap();
    std::fs::rename(dir.join("data/iris.csv"), dir.join("lib/data/iris.csv")).unwrap();
    std::fs::write(
        dir.join("lib/flowers.mlp"),
        "source flowers: csv {\n  path = \"data/iris.csv\"\n  schema {\n    sepal_length_cm: float\n    sepal_width_cm: float\n    petal_length_cm: float\n    petal_width_cm: float\n    target: enum(\"setosa\", \"versicolor\", \"virginica\")\n  }\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("main.mlp"),
        "use \"./lib/flowers.mlp\" as lib\n\ntransform kept = lib.flowers | drop(sepal_width_cm)\n",
    )
    .unwrap();
    let output = mlp().arg("plan").arg(&dir).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let output = run(&dir, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

// ------------------------------------------------------------ hostile data

/// Runs a one-source pipeline over `csv` (columns `x: float`, `y: int`).
fn run_on_csv(csv: &[u8]) -> Output {
    let dir = empty_project();
    std::fs::write(dir.join("data/t.csv"), csv).unwrap();
    std::fs::write(
        dir.join("main.mlp"),
        "source t: csv {\n  path = \"data/t.csv\"\n  schema {\n    x: float\n    y: int\n  }\n}\n",
    )
    .unwrap();
    run(&dir, &[])
}

#[test]
fn a_huge_cell_is_shown_as_a_short_excerpt() {
    let mut csv = b"x,y\n1.5,".to_vec();
    csv.extend(std::iter::repeat_n(b'z', 10_000_000));
    csv.push(b'\n');
    let output = run_on_csv(&csv);
    assert_eq!(output.status.code(), Some(4), "{}", text(&output));
    let all = text(&output);
    assert!(all.len() < 2_000, "{} bytes of output", all.len());
    assert!(all.contains("data/t.csv:2: column `y`"), "{all}");
    assert!(all.contains("9999800 more characters"), "{all}");
}

#[test]
fn a_file_that_is_not_the_declared_data_is_not_echoed() {
    let mut header: Vec<String> = (0..500).map(|i| format!("secret_{i}")).collect();
    header.push("x".repeat(1_000));
    let csv = format!("{}\n", header.join(","));
    let output = run_on_csv(csv.as_bytes());
    assert_eq!(output.status.code(), Some(4), "{}", text(&output));
    let all = text(&output);
    assert!(all.contains("and 496 more"), "{all}");
    assert!(!all.contains("secret_10"), "{all}");
    assert!(all.len() < 1_000, "{} bytes of output", all.len());
}

#[test]
fn nan_and_infinity_are_refused_where_they_are() {
    for (value, line) in [("NaN", 3), ("inf", 3), ("-Infinity", 3)] {
        let csv = format!("x,y\n1.5,1\n{value},2\n");
        let output = run_on_csv(csv.as_bytes());
        assert_eq!(output.status.code(), Some(4), "{}", text(&output));
        let all = text(&output);
        assert!(
            all.contains(&format!(
                "data/t.csv:{line}: column `x`: `{value}` is not a finite float"
            )),
            "{all}"
        );
    }
}

#[test]
fn a_folder_or_a_fifo_as_data_says_what_it_is() {
    let dir = empty_project();
    std::fs::create_dir_all(dir.join("data/t.csv")).unwrap();
    write_pipeline(&dir, "data/t.csv");
    let output = run(&dir, &[]);
    assert_eq!(output.status.code(), Some(4), "{}", text(&output));
    assert!(
        text(&output).contains("is a folder, not a file"),
        "{}",
        text(&output)
    );
    #[cfg(unix)]
    {
        std::fs::remove_dir(dir.join("data/t.csv")).unwrap();
        let made = Command::new("mkfifo")
            .arg(dir.join("data/t.csv"))
            .status()
            .unwrap();
        assert!(made.success());
        let output = run(&dir, &[]);
        assert_eq!(output.status.code(), Some(4), "{}", text(&output));
        assert!(
            text(&output).contains("is a named pipe"),
            "{}",
            text(&output)
        );
    }
}

#[test]
fn old_mac_line_endings_are_read() {
    let output = run_on_csv(b"x,y\r1.5,1\r2.5,2\r");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("2 rows"), "{}", text(&output));
}

// ------------------------------------------------------------------ cache

/// The cache entry folders of a project, by name.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(dir.join(".mlp/cache"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    all.sort();
    all
}

#[test]
fn a_damaged_cache_entry_is_rebuilt() {
    let dir = fixture("small");
    assert_eq!(run(&dir, &[]).status.code(), Some(0));
    let clean = results(&latest(&dir));
    // One byte flipped in every file of every entry (sizes unchanged), and
    // one entry truncated.
    for entry in entries(&dir) {
        for file in std::fs::read_dir(&entry).unwrap() {
            let file = file.unwrap().path();
            if file.file_name().unwrap() == "meta.json" {
                continue;
            }
            let mut bytes = std::fs::read(&file).unwrap();
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0x20;
            std::fs::write(&file, bytes).unwrap();
        }
    }
    let output = run(&dir, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("is damaged"), "{}", text(&output));
    assert_eq!(results(&latest(&dir)), clean);
    // Healed: the next run takes everything from the cache again.
    let output = run(&dir, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(!text(&output).contains("damaged"), "{}", text(&output));
    assert!(text(&output).contains("0 to run"), "{}", text(&output));
}

#[test]
fn results_do_not_depend_on_what_the_cache_held() {
    let clean = fixture("small");
    assert_eq!(run(&clean, &[]).status.code(), Some(0));
    let partial = fixture("small");
    for stage in ["holdout", "tree"] {
        let output = run(&partial, &["--stage", stage]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    }
    assert_eq!(run(&partial, &[]).status.code(), Some(0));
    assert_same_results(&latest(&clean), &latest(&partial));
}

/// The cache entry of each stage of the run in `run_dir`, by stage name.
fn entry_of(dir: &Path, run_dir: &Path) -> std::collections::BTreeMap<String, PathBuf> {
    let run: Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("run.json")).unwrap()).unwrap();
    run["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let key = s["key"].as_str().unwrap();
            (
                s["stage"].as_str().unwrap().to_string(),
                dir.join(".mlp/cache").join(key),
            )
        })
        .collect()
}

#[test]
fn a_split_of_a_transform_gives_the_same_bytes_from_a_cold_a_warm_and_a_partial_cache() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/credit");
    let cold = project(&example);
    assert_eq!(run(&cold, &[]).status.code(), Some(0));
    // The split keeps row numbers, not copies of the rows it splits.
    let entries = entry_of(&cold, &latest(&cold));
    let split: Vec<String> = std::fs::read_dir(&entries["holdout"])
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(split.iter().any(|n| n == "rows-train.bin"), "{split:?}");
    assert!(!split.iter().any(|n| n.ends_with(".parquet")), "{split:?}");

    let first = results(&latest(&cold));
    let output = run(&cold, &[]);
    assert!(text(&output).contains("0 to run"), "{}", text(&output));
    assert!(results(&latest(&cold)) == first, "a warm run differs");

    // Up to the split, then up to the transform of its parts, then the rest.
    let partial = project(&example);
    for stage in ["holdout", "prepared", "scorer"] {
        let output = run(&partial, &["--stage", stage]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    }
    assert_eq!(run(&partial, &[]).status.code(), Some(0));
    assert_same_results(&latest(&cold), &latest(&partial));

    // Without the entries of the transforms around the split and of the
    // models: the cached split takes its parts from the transform computed
    // again, and the second transform reads them.
    let entries = entry_of(&partial, &latest(&partial));
    for stage in ["features", "prepared", "scorer", "challenger"] {
        std::fs::remove_dir_all(&entries[stage]).unwrap();
    }
    assert_eq!(run(&partial, &[]).status.code(), Some(0));
    assert_same_results(&latest(&cold), &latest(&partial));
}

/// A tiny seeded generator: the kill moments differ per seed, and a
/// failure names the seed that shows it.
fn delays(seed: u64, count: usize) -> Vec<u64> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..count)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % 400
        })
        .collect()
}

#[test]
fn a_run_killed_at_random_moments_then_resumed_gives_the_clean_bytes() {
    let clean = fixture("small");
    assert_eq!(run(&clean, &[]).status.code(), Some(0));
    for seed in [1, 2, 3] {
        let dir = fixture("small");
        for delay in delays(seed, 4) {
            let mut child = mlp()
                .arg("run")
                .arg(&dir)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(delay));
            let _ = child.kill();
            let _ = child.wait();
        }
        let output = run(&dir, &[]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "seed {seed}: {}",
            text(&output)
        );
        assert_same_results(&latest(&clean), &latest(&dir));
        assert_eq!(
            temporaries(&dir.join(".mlp/cache")),
            Vec::<String>::new(),
            "seed {seed}"
        );
        assert_eq!(
            temporaries(&dir.join(".mlp/runs")),
            Vec::<String>::new(),
            "seed {seed}"
        );
    }
}

#[test]
fn gates_of_models_a_partial_run_did_not_evaluate_are_not_failed() {
    let dir = fixture("failing_gate");
    let output = run(&dir, &["--stage", "stump"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        text(&output).contains("gate   skip impossible"),
        "{}",
        text(&output)
    );
    let metrics: Value =
        serde_json::from_str(&std::fs::read_to_string(latest(&dir).join("metrics.json")).unwrap())
            .unwrap();
    assert_eq!(metrics["gates"][0]["evaluated"], false);
    // The whole run does evaluate it, and fails.
    assert_eq!(run(&dir, &[]).status.code(), Some(3));
}

#[test]
fn a_closed_output_pipe_ends_mlp_quietly() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut child = mlp()
        .args(["check", "--emit", "ir"])
        .args(["credit", "penguins", "diamonds"].map(|e| examples.join(e)))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
