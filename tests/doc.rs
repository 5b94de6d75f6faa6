//! `mlp doc` through the real binary: a model card for every model of
//! every example, the Annex IV outline of the high-risk one, the values of
//! a run, escaping of hostile strings, and the rules of the output folder.

mod common;
use common::{command as mlp, project, root, run, text};
use serde_json::Value;
use std::path::{Path, PathBuf};

const SECTIONS: [&str; 9] = [
    "Model details",
    "Intended use",
    "Factors",
    "Metrics",
    "Evaluation data",
    "Training data",
    "Ethical considerations",
    "Caveats and recommendations",
    "Approvals",
];

const ANNEX_SECTIONS: [&str; 9] = [
    "1. General description of the AI system",
    "2. Detailed description of the elements of the system and of its development",
    "3. Monitoring, functioning and control of the system",
    "4. Performance metrics",
    "5. Risk management system (Article 9)",
    "6. Changes through the lifecycle",
    "7. Harmonised standards applied",
    "8. EU declaration of conformity",
    "9. Post-market monitoring (Article 72)",
];

fn example(name: &str) -> PathBuf {
    project(&root().join("examples").join(name))
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `mlp doc DIR ARGS`.
fn doc(dir: &Path, args: &[&str]) -> std::process::Output {
    mlp().arg("doc").arg(dir).args(args).output().unwrap()
}

/// The typed IR of the pipeline in `dir`.
fn ir(dir: &Path) -> Value {
    let output = mlp()
        .args(["check", "--emit", "ir"])
        .arg(dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn blocks<'a>(ir: &'a Value, kind: &str) -> Vec<&'a Value> {
    ir["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["kind"] == kind)
        .collect()
}

/// The files of a folder, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The first line of `text` that starts with `prefix`.
fn line<'t>(text: &'t str, prefix: &str) -> &'t str {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{text}"))
}

/// The `|` of a Markdown table row that separate cells (not `\|`).
fn cell_bars(row: &str) -> usize {
    row.char_indices()
        .filter(|&(i, c)| c == '|' && !row[..i].ends_with('\\'))
        .count()
}

#[test]
fn every_model_of_every_example_gets_a_card_and_only_credit_an_annex() {
    for name in ["credit", "diamonds", "penguins"] {
        let dir = example(name);
        let output = doc(&dir, &[]);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", text(&output));
        let out = dir.join(".mlp/doc");
        let ir = ir(&dir);
        let pipeline = &ir["pipeline"]["fields"];
        let owner = pipeline["owner"].as_str().unwrap();
        let high = pipeline["risk"]["word"] == "high";
        let models = blocks(&ir, "model");
        assert!(!models.is_empty());
        let mut expected: Vec<String> = models
            .iter()
            .map(|m| format!("model-{}.md", m["name"].as_str().unwrap()))
            .collect();
        if high {
            expected.push("annex-iv.md".into());
        }
        let manifest = json(&out.join("doc.json"));
        assert_eq!(manifest["format"], "mlp-doc/1");
        assert_eq!(manifest["run"], Value::Null, "{name} has not run");
        let listed: Vec<&str> = manifest["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        assert_eq!(listed, expected, "{name}");
        let mut on_disk = expected.clone();
        on_disk.push("doc.json".into());
        on_disk.sort();
        assert_eq!(listing(&out), on_disk, "{name}");
        for model in &models {
            let model_name = model["name"].as_str().unwrap();
            let card = read(&out.join(format!("model-{model_name}.md")));
            assert!(card.starts_with("# Model card: "), "{model_name}");
            for section in SECTIONS {
                assert!(
                    card.contains(&format!("\n## {section}\n")),
                    "{model_name}: no section {section}"
                );
            }
            assert!(
                card.contains(&format!("- **Owner:** {owner}")),
                "{model_name}"
            );
            let algorithm = model["algorithm"].as_str().unwrap();
            assert!(
                card.contains(&format!("- **Algorithm:** `{algorithm}`")),
                "{model_name}"
            );
            // Every hyper-parameter the model sets, with its value.
            for (hyper, value) in model["hyper"].as_object().unwrap() {
                let shown = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let row = line(&card, &format!("| `{hyper}` |"));
                assert!(row.contains("set in the model block"), "{row}");
                if value.is_i64() || value.is_string() {
                    assert!(row.contains(&format!("| `{shown}` |")), "{row}");
                }
            }
            assert!(card.contains("not run yet"), "{model_name}");
            assert!(
                !card.contains(&dir.display().to_string()),
                "an absolute path in {model_name}"
            );
        }
        if high {
            let annex = read(&out.join("annex-iv.md"));
            for section in ANNEX_SECTIONS {
                assert!(
                    annex.contains(&format!("\n## {section}\n")),
                    "annex: no {section}"
                );
            }
            assert!(annex.contains("TO COMPLETE:"));
            assert!(annex.contains("None declared."));
            assert!(annex.contains("To be provided."));
        }
    }
}

#[test]
fn a_card_after_a_run_shows_the_values_of_the_run() {
    let dir = example("credit");
    // Approvals come from this test, not from the example's records.
    let _ = std::fs::remove_dir_all(dir.join("approvals"));
    let output = run(&dir, &["--quiet"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let approve = mlp()
        .arg("approve")
        .arg(&dir)
        .args(["--deploy", "scoring_api", "--by", "officer@bank.example"])
        .args(["--reason", "reviewed | the <b>report</b>"])
        .output()
        .unwrap();
    assert_eq!(approve.status.code(), Some(0), "{}", text(&approve));
    let output = doc(&dir, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let latest = std::fs::canonicalize(dir.join(".mlp/runs/latest")).unwrap();
    let run_id = latest.file_name().unwrap().to_string_lossy().into_owned();
    let card = read(&dir.join(".mlp/doc/model-scorer.md"));
    assert_eq!(json(&dir.join(".mlp/doc/doc.json"))["run"], run_id.as_str());

    // The catalogue's hyper-parameters of the scorer, as the pipeline sets them.
    assert!(line(&card, "| `l2` |").starts_with("| `l2` | `0.01` | set in the model block |"));
    assert!(line(&card, "| `max_iterations` |").contains("| `500` |"));
    assert!(line(&card, "| `tolerance` |").contains("| `1e-6` |"));
    assert!(card.contains("- **Owner:** risk-ml@example.com"));
    assert!(card.contains("- **Provider:** Example Bank, retail credit risk"));

    // Every metric of metrics.json, to four decimals.
    let metrics = json(&latest.join("metrics.json"));
    let scorer = metrics["models"]["scorer"].as_object().unwrap();
    assert!(scorer.contains_key("accuracy"));
    for (metric, value) in scorer {
        let row = line(&card, &format!("| `{metric}` |"));
        let shown = format!("| {:.4} |", value.as_f64().unwrap());
        assert!(row.contains(&shown), "{row} should show {shown}");
    }
    // The per-group values, when the evaluation names groups.
    if let Some(groups) = metrics["groups"]["scorer"]["groups"].as_array() {
        assert!(card.contains("Per group of `Marital`:"));
        for group in groups {
            let row = line(
                &card,
                &format!("| `{}` |", group["group"].as_str().unwrap()),
            );
            assert!(row.contains(&format!("| {} |", group["rows"])), "{row}");
            for (metric, value) in group["metrics"].as_object().unwrap() {
                assert!(
                    row.contains(&format!("{:.4}", value.as_f64().unwrap())),
                    "{metric}: {row}"
                );
            }
        }
    }
    // Rows: training rows from the artifact, evaluated rows from run.json.
    let artifact = json(&latest.join("models/scorer.json"));
    let trained = artifact["trained_on"]["rows"].as_u64().unwrap();
    assert!(card.contains(&format!("- **Rows:** {trained}\n")));
    let evaluated = json(&latest.join("run.json"))["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "evaluate scorer on prepared.test")
        .unwrap()["rows"]
        .as_u64()
        .unwrap();
    let row = line(
        &card,
        "| `evaluate scorer on prepared.test` | `prepared.test` |",
    );
    assert!(row.contains(&format!("| {evaluated} |")), "{row}");
    // The gates passed in the run.
    assert!(line(&card, "| `credit_launch` | `scorer.accuracy >= 0.75`").contains("passed"));
    // The approval, and that it is for the artifact of this run.
    let approval = line(&card, "| officer@bank.example |");
    assert!(
        approval.contains("reviewed \\| the \\<b\\>report\\</b\\>"),
        "{approval}"
    );
    assert!(
        approval.contains(&format!("yes: the model of run `{run_id}`")),
        "{approval}"
    );
    assert_eq!(cell_bars(approval), 7, "{approval}");
    // The challenger is not deployed: nothing to approve.
    let challenger = read(&dir.join(".mlp/doc/model-challenger.md"));
    assert!(challenger.contains("`challenger` is not deployed"));
    assert!(
        challenger.contains("waived: compared on accuracy only"),
        "the waiver and its reason"
    );

    // The annex shows the run too.
    let annex = read(&dir.join(".mlp/doc/annex-iv.md"));
    let accuracy = format!("{:.4}", scorer["accuracy"].as_f64().unwrap());
    assert!(line(&annex, "| `scorer` | `prepared.test` | `accuracy` |").contains(&accuracy));
    assert!(annex.contains(&format!("The test log of run `{run_id}`")));
    assert!(
        annex.contains("| `require lint.GOV008`"),
        "the Annex IV obligation"
    );

    // --run names the run explicitly; HTML gives the same sections.
    let output = doc(
        &dir,
        &["--run", latest.to_str().unwrap(), "--format", "html"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let out = dir.join(".mlp/doc");
    assert_eq!(
        listing(&out),
        [
            "annex-iv.html",
            "doc.json",
            "model-challenger.html",
            "model-scorer.html"
        ],
        "the Markdown files were replaced"
    );
    let page = read(&out.join("model-scorer.html"));
    for section in SECTIONS {
        assert!(page.contains(&format!("<h2>{section}</h2>")), "{section}");
    }
    assert!(page.contains(&format!("<td>{accuracy}</td>")));
    assert!(page.contains("reviewed | the &lt;b&gt;report&lt;/b&gt;"));

    // A run of another pipeline is refused.
    let penguins = example("penguins");
    let output = doc(&penguins, &["--run", latest.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("is a run of the pipeline `credit`, not of `penguins`"));
}

/// The penguins example with `hostile` as its description and as the
/// message of its first gate.
fn hostile_project(hostile: &str) -> PathBuf {
    let dir = example("penguins");
    let main = dir.join("main.mlp");
    let source = read(&main);
    let described = source.replacen(
        "description = \"Predicts the species of a penguin (Adelie, Chinstrap, Gentoo) from its measurements\"",
        &format!("description = \"{hostile}\""),
        1,
    );
    let gated = described.replacen(
        "\"the tree confuses species too often for field use\"",
        &format!("\"{hostile}\""),
        1,
    );
    assert_ne!(source, described, "the example's description changed");
    assert_ne!(described, gated, "the example's gate message changed");
    std::fs::write(&main, gated).unwrap();
    dir
}

#[test]
fn hostile_strings_are_escaped_in_markdown_and_html() {
    // As written in the .mlp file: `\"` and `\n` are escapes of the language.
    let dir = hostile_project(
        r#"<script>alert(\"x\")</script> a | b\n# not a heading\n- not an item `tick` **bold**"#,
    );
    let output = doc(&dir, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let card = read(&dir.join(".mlp/doc/model-species_tree.md"));
    assert!(!card.contains("<script>"), "{card}");
    let description = line(&card, "- **Description:** \\<script\\>");
    assert!(
        description.contains("a \\| b \\# not a heading - not an item"),
        "{description}"
    );
    assert!(
        description.contains("\\`tick\\` \\*\\*bold\\*\\*"),
        "{description}"
    );
    assert!(!card
        .lines()
        .any(|l| l.starts_with("# not") || l.starts_with("- not")));
    // In a table, the string stays in its cell.
    let gate = line(&card, "| `field_ready` |");
    assert_eq!(cell_bars(gate), 5, "{gate}");
    assert!(
        gate.contains("\\<script\\>alert(\"x\")\\</script\\> a \\| b"),
        "{gate}"
    );

    let output = doc(&dir, &["--format", "html"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let page = read(&dir.join(".mlp/doc/model-species_tree.html"));
    assert!(!page.contains("<script"), "{page}");
    assert!(
        page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; a | b\n# not a heading")
    );
    assert_eq!(page.matches("<td>").count(), page.matches("</td>").count());
}

#[test]
fn a_folder_mlp_did_not_write_is_never_written_into() {
    let dir = example("diamonds");
    // An --out folder of the user's.
    let mine = dir.join("my-notes");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("notes.md"), "mine").unwrap();
    let output = doc(&dir, &["--out", mine.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let message = text(&output);
    assert!(
        message.contains("my-notes")
            && message.contains("mlp never replaces what it did not write"),
        "{message}"
    );
    assert_eq!(listing(&mine), ["notes.md"]);
    assert_eq!(read(&mine.join("notes.md")), "mine");

    // The default folder, written by mlp, is replaced on the next `mlp doc`...
    assert_eq!(doc(&dir, &[]).status.code(), Some(0));
    let out = dir.join(".mlp/doc");
    assert_eq!(
        doc(&dir, &[]).status.code(),
        Some(0),
        "mlp's own folder is replaced"
    );
    // ...but not once it holds a file of the user's.
    std::fs::write(out.join("review.md"), "my review").unwrap();
    let before = listing(&out);
    let output = doc(&dir, &[]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("`review.md`, which mlp did not write"),
        "{}",
        text(&output)
    );
    assert_eq!(listing(&out), before);
    assert_eq!(read(&out.join("review.md")), "my review");

    // A file, and a run folder, are refused too.
    let output = doc(&dir, &["--out", dir.join("main.mlp").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let run_dir = dir.join("a-run");
    let ran = run(&dir, &["--quiet", "--out", run_dir.to_str().unwrap()]);
    assert_eq!(ran.status.code(), Some(0), "{}", text(&ran));
    let before = listing(&run_dir);
    let output = doc(&dir, &["--out", run_dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("holds a run of mlp"),
        "{}",
        text(&output)
    );
    assert_eq!(listing(&run_dir), before);
    // No temporary folder is left behind.
    for folder in [dir.clone(), dir.join(".mlp")] {
        let names = listing(&folder);
        assert!(names.iter().all(|n| !n.contains("mlp-tmp")), "{names:?}");
    }
}

#[test]
fn a_missing_run_folder_is_a_usage_error_that_names_it() {
    let dir = example("penguins");
    let missing = dir.join("no-such-run");
    let output = doc(&dir, &["--run", missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("no-such-run"), "{}", text(&output));
    assert!(!dir.join(".mlp/doc").exists());
    // A folder that is not a run is refused the same way.
    let output = doc(&dir, &["--run", dir.join("data").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("not a run of mlp"),
        "{}",
        text(&output)
    );
}

#[test]
fn a_pipeline_with_errors_is_reported_and_not_documented() {
    let dir = example("penguins");
    let main = dir.join("main.mlp");
    std::fs::write(
        &main,
        read(&main).replacen("target = species", "target = specie", 1),
    )
    .unwrap();
    let output = doc(&dir, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(text(&output).contains("MLP"), "{}", text(&output));
    assert!(!dir.join(".mlp/doc").exists());
}

#[test]
fn credit_scorer_card_without_a_run() {
    let dir = example("credit");
    // The card shows the records of `approvals/`; the snapshot shows none.
    let _ = std::fs::remove_dir_all(dir.join("approvals"));
    let output = mlp()
        .arg("doc")
        .arg(&dir)
        .env("SOURCE_DATE_EPOCH", "1764800130")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let card = read(&dir.join(".mlp/doc/model-scorer.md"));
    assert!(
        card.contains("on 2025-12-03 "),
        "SOURCE_DATE_EPOCH fixes the date"
    );
    let version = format!("mlp {}", env!("CARGO_PKG_VERSION"));
    let card = card.replace(&version, "mlp [version]");
    assert!(!card.contains(&dir.display().to_string()));
    insta::assert_snapshot!("credit_scorer_card", card);
}

#[test]
fn no_lower_phase_imports_doc_and_doc_never_parses() {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push((path.clone(), read(&path)));
            }
        }
    }
    let src = root().join("src");
    for phase in [
        "syntax",
        "resolve",
        "check",
        "ir",
        "exec",
        "lint",
        "graph",
        "fmt",
        "diagnostics",
    ] {
        let mut files = Vec::new();
        walk(&src.join(phase), &mut files);
        for (path, text) in files {
            assert!(
                !text.contains("crate::doc"),
                "{} imports doc",
                path.display()
            );
        }
    }
    let mut files = Vec::new();
    walk(&src.join("doc"), &mut files);
    assert!(!files.is_empty());
    for (path, text) in files {
        for needle in ["syntax::parse", "resolve::resolve", "check::check("] {
            assert!(!text.contains(needle), "{} uses {needle}", path.display());
        }
    }
}
