//! The formatter: idempotent and meaning-preserving on every example and
//! fixture, snapshots of its layout, and `mlp fmt` end to end.

use mlp::source::FileId;
use mlp::syntax::{self, ast};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::mlp_files;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The tree of a file that parses cleanly, `None` for a broken one.
fn parse_clean(text: &str) -> Option<ast::File> {
    let parsed = syntax::parse(text, FileId(0));
    (!parsed.has_errors()).then_some(parsed.file)
}

fn strip_spans(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("span");
            map.values_mut().for_each(strip_spans);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_spans),
        _ => {}
    }
}

fn items_without_spans(file: &ast::File) -> Value {
    let mut value = serde_json::to_value(&file.items).expect("the AST serializes");
    strip_spans(&mut value);
    value
}

fn comment_texts(file: &ast::File) -> Vec<&str> {
    file.comments.iter().map(|c| c.text.as_str()).collect()
}

/// Formats `text` and checks that the result parses to the same tree with
/// the same comments, and is its own formatting. Returns the formatted text.
fn check_round_trip(name: &str, text: &str, file: &ast::File) -> String {
    let formatted = mlp::fmt::format(file, text);
    let Some(again) = parse_clean(&formatted) else {
        panic!("{name}: the formatted text does not parse:\n{formatted}");
    };
    assert_eq!(
        items_without_spans(file),
        items_without_spans(&again),
        "{name}: formatting changed the tree; formatted text:\n{formatted}"
    );
    assert_eq!(
        comment_texts(file),
        comment_texts(&again),
        "{name}: formatting lost, duplicated or reordered comments; formatted text:\n{formatted}"
    );
    let twice = mlp::fmt::format(&again, &formatted);
    assert_eq!(formatted, twice, "{name}: formatting is not idempotent");
    formatted
}

#[test]
fn examples_and_fixtures_round_trip() {
    let root = manifest_dir();
    let mut files = Vec::new();
    mlp_files(&root.join("examples"), &mut files);
    mlp_files(&root.join("tests/fixtures"), &mut files);
    let mut checked = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).expect("fixture is readable");
        let Some(file) = parse_clean(&text) else {
            continue;
        };
        check_round_trip(&path.display().to_string(), &text, &file);
        checked += 1;
    }
    // At least this test's own fixtures must have been checked.
    assert!(checked >= 5, "only {checked} clean .mlp files found");
}

#[test]
fn snapshots_of_own_fixtures() {
    let mut files = Vec::new();
    mlp_files(&manifest_dir().join("tests/fixtures/fmt"), &mut files);
    assert!(!files.is_empty());
    for path in &files {
        let text = std::fs::read_to_string(path).expect("fixture is readable");
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("fixture");
        let file = parse_clean(&text).unwrap_or_else(|| panic!("{name} must parse cleanly"));
        let formatted = check_round_trip(name, &text, &file);
        insta::assert_snapshot!(name, formatted);
    }
}

/// A fresh directory under the system's temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir =
            std::env::temp_dir().join(format!("mlp-fmt-{label}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir is created");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn mlp_fmt(args: &[&str], path: &Path) -> i32 {
    let output = Command::new(env!("CARGO_BIN_EXE_mlp"))
        .arg("fmt")
        .args(args)
        .arg(path)
        .output()
        .expect("the mlp binary runs");
    output.status.code().expect("mlp exits with a code")
}

#[test]
fn fmt_command_checks_and_rewrites() {
    let dir = TempDir::new("cli");
    let path = dir.0.join("messy.mlp");
    let messy = "param seed:int=42\nmodel m : kmeans {data=t , hyper{k=3}}  // trailing\n";
    std::fs::write(&path, messy).expect("fixture is written");

    assert_eq!(
        mlp_fmt(&["--check"], &path),
        1,
        "--check flags an unformatted file"
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("file is readable"),
        messy,
        "--check changes nothing"
    );

    assert_eq!(mlp_fmt(&[], &path), 0, "fmt rewrites the file");
    let formatted = std::fs::read_to_string(&path).expect("file is readable");
    assert_eq!(
        formatted,
        "param seed: int = 42\n\nmodel m: kmeans {\n  data = t\n  hyper { k = 3 }\n} // trailing\n"
    );

    assert_eq!(
        mlp_fmt(&["--check"], &path),
        0,
        "the rewritten file is formatted"
    );
}

#[test]
fn fmt_command_refuses_a_broken_file() {
    let dir = TempDir::new("broken");
    let path = dir.0.join("broken.mlp");
    let broken = "model m: kmeans {\n  data = \"unterminated\n}\n";
    std::fs::write(&path, broken).expect("fixture is written");
    assert_eq!(mlp_fmt(&[], &path), 1);
    assert_eq!(
        std::fs::read_to_string(&path).expect("file is readable"),
        broken,
        "a file with errors is left alone"
    );
}

#[test]
fn fmt_diff_prints_the_changes_and_writes_nothing() {
    let dir = TempDir::new("diff");
    let path = dir.0.join("messy.mlp");
    let messy = "param seed:int=42\n";
    std::fs::write(&path, messy).expect("fixture is written");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_mlp"))
            .arg("fmt")
            .args(args)
            .arg(&path)
            .output()
            .expect("the mlp binary runs")
    };

    let diff = run(&["--diff"]);
    assert_eq!(diff.status.code(), Some(0), "--diff alone does not fail");
    let name = path.display();
    assert_eq!(
        String::from_utf8_lossy(&diff.stdout),
        format!(
            "--- {name} (original)\n+++ {name} (formatted)\n@@ -1 +1 @@\n-param seed:int=42\n+param seed: int = 42\n"
        )
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("file is readable"),
        messy,
        "--diff changes nothing"
    );
    assert_eq!(
        run(&["--diff", "--check"]).status.code(),
        Some(1),
        "with --check, a diff fails"
    );
}

#[test]
fn completions_are_generated_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = Command::new(env!("CARGO_BIN_EXE_mlp"))
            .args(["completions", shell])
            .output()
            .expect("the mlp binary runs");
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&output.stdout);
        for subcommand in ["check", "lint", "run", "serve", "--param"] {
            assert!(
                script.contains(subcommand),
                "{shell} completes {subcommand}"
            );
        }
    }
}
