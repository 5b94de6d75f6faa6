//! `mlp run FILE --stage NAME --inputs DIR --outputs DIR`, one stage alone
//! from the outputs of the stages it reads, and `mlp run FILE --collect`,
//! as a workflow runs a pipeline one container per stage (docs/deploy.md):
//! the real binary, every stage in its own empty folder.

mod common;
use common::{command as mlp, project, text};
use mlp::exec::stages::{self, Stage, StageKind};
use std::path::{Path, PathBuf};
use std::process::Output;

fn example(name: &str) -> PathBuf {
    project(&common::root().join("examples").join(name))
}

/// A fresh, empty folder for the files of one test.
fn work() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "mlp-alone-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Each stage of the pipeline in `dir`: name, slug, kind, and the slugs of
/// the stages it reads, in stage (dependency) order.
struct Layout {
    stages: Vec<Stage>,
    slugs: Vec<String>,
}

impl Layout {
    fn of(dir: &Path) -> Layout {
        let compilation = mlp::driver::compile(
            &dir.join("main.mlp"),
            &mlp::check::Options::default(),
            &mlp::driver::Access::default(),
        )
        .unwrap();
        let stages = stages::stages(&compilation.program);
        let slugs = stages::slugs(&stages);
        Layout { stages, slugs }
    }

    fn slug(&self, name: &str) -> &str {
        let i = self.stages.iter().position(|s| s.name == name).unwrap();
        &self.slugs[i]
    }

    fn deps(&self, i: usize) -> Vec<&str> {
        self.stages[i]
            .deps
            .iter()
            .map(|d| self.slugs[*d].as_str())
            .collect()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Runs `stage` in `work/<slug>/`: `inputs/` holds a copy of the outputs
/// of each of `deps` (slugs, read from `done/<slug>`), `outputs/` does not
/// exist. Returns the output and the `outputs/` folder.
fn run_alone(
    dir: &Path,
    work: &Path,
    stage: &str,
    slug: &str,
    deps: &[&str],
    extra: &[&str],
) -> (Output, PathBuf) {
    let folder = work.join(slug);
    let inputs = folder.join("inputs");
    std::fs::create_dir_all(&inputs).unwrap();
    for dep in deps {
        copy_dir(&work.join("done").join(dep), &inputs.join(dep));
    }
    let outputs = folder.join("outputs");
    let output = mlp()
        .arg("run")
        .arg(dir)
        .args(["--stage", stage, "--inputs"])
        .arg(&inputs)
        .arg("--outputs")
        .arg(&outputs)
        .args(extra)
        .output()
        .unwrap();
    (output, outputs)
}

/// Runs every stage of the pipeline in `dir` alone, in order, each in its
/// own folder, keeping its outputs as `work/done/<slug>`.
fn run_every_stage(dir: &Path, work: &Path, layout: &Layout) {
    for (i, stage) in layout.stages.iter().enumerate() {
        let slug = &layout.slugs[i];
        let (output, outputs) = run_alone(dir, work, &stage.name, slug, &layout.deps(i), &[]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}: {}",
            stage.name,
            text(&output)
        );
        let said = text(&output);
        assert!(
            said.contains(&format!("wrote the outputs of `{}`", stage.name)),
            "{said}"
        );
        for dep in layout.deps(i) {
            assert!(said.contains(&format!("inputs/{dep} (verified")), "{said}");
        }
        copy_dir(&outputs, &work.join("done").join(slug));
    }
}

/// `mlp run --collect` over the model and evaluate outputs in `work/done`.
fn collect(dir: &Path, work: &Path, layout: &Layout) -> (Output, PathBuf) {
    let inputs = work.join("collect").join("inputs");
    std::fs::create_dir_all(&inputs).unwrap();
    for (i, stage) in layout.stages.iter().enumerate() {
        if matches!(stage.kind, StageKind::Model | StageKind::Evaluate) {
            let slug = &layout.slugs[i];
            copy_dir(&work.join("done").join(slug), &inputs.join(slug));
        }
    }
    let outputs = work.join("collect").join("outputs");
    let output = mlp()
        .arg("run")
        .arg(dir)
        .args(["--collect", "--inputs"])
        .arg(&inputs)
        .arg("--outputs")
        .arg(&outputs)
        .output()
        .unwrap();
    (output, outputs)
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every stage of `name` alone, then collected, gives the bytes of a local
/// `mlp run`: `metrics.json` and every model file; each stage's key is the
/// key of its cache entry in the local run; no `.mlp/` folder is made.
fn same_as_a_local_run(name: &str, models: &[&str]) {
    let local = example(name);
    let output = common::run(&local, &["--quiet"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let local_run = local.join(".mlp/runs/latest");

    let alone = example(name);
    let work = work();
    let layout = Layout::of(&alone);
    run_every_stage(&alone, &work, &layout);
    let (output, run) = collect(&alone, &work, &layout);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(!alone.join(".mlp").exists(), "a stage run alone made .mlp/");

    let read = |dir: &Path, file: &str| std::fs::read(dir.join(file)).unwrap();
    assert_eq!(
        String::from_utf8(read(&run, "metrics.json")).unwrap(),
        String::from_utf8(read(&local_run, "metrics.json")).unwrap(),
        "{name}: metrics.json differs"
    );
    let mut written: Vec<String> = std::fs::read_dir(run.join("models"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    let mut expected: Vec<String> = models.iter().map(|m| format!("{m}.json")).collect();
    expected.sort();
    assert_eq!(written, expected);
    for file in &written {
        let file = format!("models/{file}");
        assert!(
            read(&run, &file) == read(&local_run, &file),
            "{name}: {file} differs"
        );
    }
    // The keys are the local cache's: the same stages, the same inputs.
    let local_stages = json(&local_run.join("run.json"))["stages"].clone();
    for (i, stage) in layout.stages.iter().enumerate() {
        let written = json(&work.join("done").join(&layout.slugs[i]).join("stage.json"));
        let record = local_stages
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["stage"] == stage.name.as_str())
            .unwrap();
        assert_eq!(written["key"], record["key"], "{}", stage.name);
        assert_eq!(written["slug"], layout.slugs[i].as_str());
        assert!(local
            .join(".mlp/cache")
            .join(written["key"].as_str().unwrap())
            .is_dir());
    }
    let collected = json(&run.join("run.json"))["stages"].clone();
    assert_eq!(collected.as_array().unwrap().len(), layout.stages.len());
    let report = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(report.contains("<svg"));
}

#[test]
fn credit_stage_by_stage_is_a_local_run() {
    same_as_a_local_run("credit", &["scorer", "challenger"]);
}

#[test]
fn diamonds_stage_by_stage_is_a_local_run() {
    same_as_a_local_run("diamonds", &["price_ridge", "price_ols"]);
}

#[test]
fn penguins_stage_by_stage_is_a_local_run() {
    same_as_a_local_run(
        "penguins",
        &[
            "species_tree",
            "species_nb",
            "species_forest",
            "body_clusters",
        ],
    );
}

#[test]
fn slugs_are_lowercase_dashed_and_unique() {
    let stage = |name: &str| Stage {
        name: name.to_string(),
        kind: StageKind::Transform,
        block: 0,
        deps: vec![],
    };
    let all = [
        stage("evaluate scorer on prepared.test"),
        stage("price_ridge"),
        stage("Price__Ridge_"),
        stage("price-ridge"),
        stage("__x"),
        stage("données"),
    ];
    assert_eq!(all[0].slug(), "evaluate-scorer-on-prepared-test");
    assert_eq!(
        stages::slugs(&all),
        [
            "evaluate-scorer-on-prepared-test",
            "price-ridge",
            "price-ridge-2",
            "price-ridge-3",
            "x",
            "donn-es",
        ]
    );
    // Longer than a DNS-1123 label: cut, and told apart by a hash of the
    // whole name, made unique within 63 characters too.
    let long = |end: &str| stage(&format!("{}{end}", "very_long_name_".repeat(6)));
    let long_ones = [long("a"), long("b"), long("a")];
    let slugs = stages::slugs(&long_ones);
    for slug in &slugs {
        assert_eq!(slug.len(), 63, "{slug}");
        assert!(slug.starts_with("very-long-name-very-long-name-"), "{slug}");
    }
    assert_eq!(slugs[0], long_ones[0].slug());
    assert_ne!(slugs[0], slugs[1]);
    assert!(
        slugs[2].ends_with("-2") && slugs[2] != slugs[0],
        "{slugs:?}"
    );
    // The examples' slugs, as the workflow names tasks and folders.
    let layout = Layout::of(&common::root().join("examples/credit"));
    assert_eq!(
        layout.slugs,
        [
            "applications",
            "features",
            "holdout",
            "prepared",
            "scorer",
            "challenger",
            "evaluate-scorer-on-prepared-test",
            "evaluate-challenger-on-prepared-test",
        ]
    );
}

/// The penguins pipeline with its source and `measured` run alone into
/// `work/done/`.
fn penguins_upstream() -> (PathBuf, PathBuf, Layout) {
    let dir = example("penguins");
    let work = work();
    let layout = Layout::of(&dir);
    for name in ["birds", "measured"] {
        let i = layout.stages.iter().position(|s| s.name == name).unwrap();
        let (output, outputs) =
            run_alone(&dir, &work, name, &layout.slugs[i], &layout.deps(i), &[]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        copy_dir(&outputs, &work.join("done").join(&layout.slugs[i]));
    }
    (dir, work, layout)
}

fn assert_refused(output: &Output, code: i32, words: &[&str], outputs: &Path) {
    let said = text(output);
    assert_eq!(output.status.code(), Some(code), "{said}");
    for w in words {
        assert!(said.contains(w), "`{w}` not in: {said}");
    }
    assert!(!outputs.exists(), "{} was written", outputs.display());
}

#[test]
fn a_missing_input_folder_is_refused() {
    let (dir, work, layout) = penguins_upstream();
    // `holdout` reads `measured`; its inputs folder is left empty.
    let (output, outputs) = run_alone(&dir, &work, "holdout", layout.slug("holdout"), &[], &[]);
    assert_refused(
        &output,
        2,
        &["inputs/measured", "does not exist", "the stage `measured`"],
        &outputs,
    );
    // A stage that reads others needs --inputs at all.
    let outputs = work.join("no-inputs");
    let output = mlp()
        .arg("run")
        .arg(&dir)
        .args(["--stage", "holdout", "--outputs"])
        .arg(&outputs)
        .output()
        .unwrap();
    assert_refused(&output, 2, &["--inputs DIR", "measured/"], &outputs);
}

#[test]
fn a_damaged_input_file_is_refused() {
    let (dir, work, layout) = penguins_upstream();
    let measured = work.join("done/measured");
    let table = measured.join("table.parquet");
    let mut bytes = std::fs::read(&table).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&table, bytes).unwrap();
    let (output, outputs) = run_alone(
        &dir,
        &work,
        "holdout",
        layout.slug("holdout"),
        &["measured"],
        &[],
    );
    assert_refused(
        &output,
        4,
        &[
            "inputs/measured (the outputs of `measured`)",
            "table.parquet does not have the content that was written",
        ],
        &outputs,
    );
}

#[test]
fn an_input_of_another_stage_is_refused() {
    let (dir, work, layout) = penguins_upstream();
    // The source's outputs where `measured`'s belong.
    let folder = work.join("holdout/inputs/measured");
    copy_dir(&work.join("done/birds"), &folder);
    let (output, outputs) = run_alone(&dir, &work, "holdout", layout.slug("holdout"), &[], &[]);
    assert_refused(
        &output,
        4,
        &[
            "inputs/measured",
            "the source `birds`, not of the transform `measured`",
        ],
        &outputs,
    );
}

#[test]
fn an_input_of_another_definition_is_refused() {
    let (dir, work, layout) = penguins_upstream();
    let holdout = layout.slug("holdout").to_string();
    let i = layout
        .stages
        .iter()
        .position(|s| s.name == "holdout")
        .unwrap();
    let (output, outputs) = run_alone(&dir, &work, "holdout", &holdout, &layout.deps(i), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    copy_dir(&outputs, &work.join("done/holdout"));
    // `holdout` read the seed 7; `prepared` runs with the seed 8.
    let (output, outputs) = run_alone(
        &dir,
        &work,
        "prepared",
        layout.slug("prepared"),
        &["holdout"],
        &["--param", "seed=8"],
    );
    assert_refused(
        &output,
        4,
        &["inputs/holdout", "param `seed` is 7 there, 8 here"],
        &outputs,
    );
    // An edited block: `measured`'s outputs no longer fit `holdout`.
    let main = dir.join("main.mlp");
    let source = std::fs::read_to_string(&main).unwrap();
    let edited = source.replace("| drop(year)", "| drop(year)\n  | dedupe()");
    assert_ne!(source, edited);
    std::fs::write(&main, edited).unwrap();
    std::fs::remove_dir_all(work.join("holdout")).unwrap();
    let (output, outputs) = run_alone(&dir, &work, "holdout", &holdout, &["measured"], &[]);
    assert_refused(
        &output,
        4,
        &["inputs/measured", "the definition of `measured` changed"],
        &outputs,
    );
}

#[test]
fn outputs_that_are_not_empty_are_refused_and_left_alone() {
    let dir = example("penguins");
    let work = work();
    let outputs = work.join("outputs");
    std::fs::create_dir_all(&outputs).unwrap();
    std::fs::write(outputs.join("notes.txt"), "mine").unwrap();
    let output = mlp()
        .arg("run")
        .arg(&dir)
        .args(["--stage", "birds", "--outputs"])
        .arg(&outputs)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("is not empty"), "{}", text(&output));
    let left: Vec<_> = std::fs::read_dir(&outputs).unwrap().collect();
    assert_eq!(left.len(), 1);
    assert_eq!(
        std::fs::read_to_string(outputs.join("notes.txt")).unwrap(),
        "mine"
    );
    assert!(!dir.join(".mlp").exists());
    // An empty folder is fine, and a source needs no --inputs.
    std::fs::remove_file(outputs.join("notes.txt")).unwrap();
    let output = mlp()
        .arg("run")
        .arg(&dir)
        .args(["--stage", "birds", "--outputs"])
        .arg(&outputs)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(outputs.join("meta.json").is_file() && outputs.join("stage.json").is_file());
    // A file is not a folder.
    let file = work.join("file");
    std::fs::write(&file, "x").unwrap();
    let output = mlp()
        .arg("run")
        .arg(&dir)
        .args(["--stage", "birds", "--outputs"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
}

#[test]
fn inputs_and_outputs_need_a_stage() {
    let dir = example("penguins");
    let work = work();
    for args in [
        vec!["--inputs", "in", "--outputs", "out"],
        vec!["--outputs", "out"],
        vec!["--stage", "measured", "--inputs", "in"],
        vec!["--collect", "--outputs", "out"],
        vec![
            "--stage",
            "birds",
            "--collect",
            "--inputs",
            "in",
            "--outputs",
            "out",
        ],
    ] {
        let output = mlp()
            .arg("run")
            .arg(&dir)
            .args(&args)
            .current_dir(&work)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        assert!(!work.join("out").exists());
    }
    assert!(!dir.join(".mlp").exists());
}

#[test]
fn collecting_needs_every_model_and_evaluation() {
    let (dir, work, _) = penguins_upstream();
    let inputs = work.join("collect/inputs");
    std::fs::create_dir_all(&inputs).unwrap();
    let outputs = work.join("collect/outputs");
    let output = mlp()
        .arg("run")
        .arg(&dir)
        .args(["--collect", "--inputs"])
        .arg(&inputs)
        .arg("--outputs")
        .arg(&outputs)
        .output()
        .unwrap();
    assert_refused(
        &output,
        2,
        &["inputs/species-tree", "the stage `species_tree`"],
        &outputs,
    );
}

#[test]
fn a_stage_downstream_of_the_sources_needs_no_data_files() {
    let (dir, work, layout) = penguins_upstream();
    std::fs::remove_dir_all(dir.join("data")).unwrap();
    let (output, outputs) = run_alone(
        &dir,
        &work,
        "holdout",
        layout.slug("holdout"),
        &["measured"],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(outputs.join("part-train.parquet").is_file());
    // The source itself reads them.
    let (output, outputs) = run_alone(&dir, &work.join("again"), "birds", "birds", &[], &[]);
    assert_refused(&output, 4, &["stage `birds`", "penguins.csv"], &outputs);
}

#[test]
fn collecting_refuses_the_outputs_of_two_runs() {
    let dir = example("penguins");
    let work = work();
    let layout = Layout::of(&dir);
    run_every_stage(&dir, &work, &layout);
    // `species_tree` again, in `other/`, from a split with another seed.
    let other = work.join("other");
    copy_dir(&work.join("done/measured"), &other.join("done/measured"));
    for (name, dep, extra) in [
        ("holdout", "measured", &["--param", "seed=8"][..]),
        ("prepared", "holdout", &["--param", "seed=8"][..]),
        ("species_tree", "prepared", &[][..]),
    ] {
        let slug = layout.slug(name);
        let (output, outputs) = run_alone(&dir, &other, name, slug, &[dep], extra);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", text(&output));
        copy_dir(&outputs, &other.join("done").join(slug));
    }
    let tree = work.join("done/species-tree");
    std::fs::remove_dir_all(&tree).unwrap();
    copy_dir(&other.join("done/species-tree"), &tree);
    let (output, outputs) = collect(&dir, &work, &layout);
    assert_refused(
        &output,
        4,
        &["not of one run", "species-tree", "`holdout`"],
        &outputs,
    );
}
