//! Hostile input through the real binary: deep nesting is refused with
//! MLP0009 and never overflows a stack, long flat chains are checked and
//! formatted, many diagnostics print in bounded time and are capped, and a
//! byte-order mark is accepted. The inputs are generated here.

use mlp::source::FileId;
use mlp::syntax;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh directory under the system's temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir =
            std::env::temp_dir().join(format!("mlp-robust-{label}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir is created");
        TempDir(dir)
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("the input is written");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn mlp(args: &[&str], path: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlp"))
        .args(args)
        .arg(path)
        .env("NO_COLOR", "1")
        .output()
        .expect("the mlp binary runs")
}

/// `mlp check --format json`: the exit code and the diagnostics.
fn check_json(path: &Path) -> (Option<i32>, Vec<Value>) {
    let output = mlp(&["check", "--format", "json"], path);
    let value: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}), exit {:?}: {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let Value::Array(all) = value else {
        panic!("the JSON output is an array")
    };
    (output.status.code(), all)
}

const HEAD: &str = "pipeline p {\n  version = \"1.0.0\"\n  owner = \"a@b.c\"\n}\n\n\
source raw: csv {\n  path = \"x.csv\"\n  schema {\n    a: float\n    b: float\n    y: bool @target\n  }\n}\n\n";

/// One line after [`HEAD`]: line 16 of the file holds `line`.
fn with_line(line: &str) -> String {
    format!("{HEAD}transform t = raw\n{line}\n")
}

#[test]
fn deep_nesting_is_refused_at_the_first_level_past_the_limit() {
    let dir = TempDir::new("deep");
    let deep = 8000;
    let prefix = "  | derive(x = ";
    // The column (1-based) of the token opening level 257: `derive(` is level 1.
    let past = prefix.chars().count() + syntax::MAX_NESTING;
    let cases = [
        (
            "parens",
            format!("{prefix}{}a{})", "(".repeat(deep), ")".repeat(deep)),
            past,
        ),
        (
            "lists",
            format!("{prefix}{}a{})", "[".repeat(deep), "]".repeat(deep)),
            past,
        ),
        (
            "records",
            format!("{prefix}{}1{})", "{ a = ".repeat(deep), "}".repeat(deep)),
            prefix.len() + 1 + 6 * (syntax::MAX_NESTING - 1),
        ),
        ("negations", format!("{prefix}{}a)", "-".repeat(deep)), past),
        (
            "nots",
            format!("  | filter({}y)", "not ".repeat(deep)),
            "  | filter(".len() + 1 + 4 * (syntax::MAX_NESTING - 1),
        ),
        (
            "comments",
            format!("{prefix}a) {}{}", "/*".repeat(deep), "*/".repeat(deep)),
            prefix.len() + 4 + 2 * syntax::MAX_NESTING,
        ),
    ];
    for (name, line, column) in cases {
        let path = dir.file(&format!("{name}.mlp"), &with_line(&line));
        let (code, diagnostics) = check_json(&path);
        assert_eq!(code, Some(1), "{name}: exit code of check");
        let first = &diagnostics[0];
        assert_eq!(first["code"], "MLP0009", "{name}: {diagnostics:?}");
        assert_eq!(
            (first["line"].as_u64(), first["column"].as_u64()),
            (Some(16), Some(column as u64)),
            "{name}: position of the first token past the limit"
        );
        let fmt = mlp(&["fmt", "--check"], &path);
        assert_eq!(fmt.status.code(), Some(1), "{name}: exit code of fmt");
        assert!(String::from_utf8_lossy(&fmt.stderr).contains("MLP0009"));
    }

    let types = format!(
        "{HEAD}param l: {}int{}\n",
        "list<".repeat(deep),
        ">".repeat(deep)
    );
    let (code, diagnostics) = check_json(&dir.file("types.mlp", &types));
    assert_eq!(code, Some(1));
    assert_eq!(diagnostics[0]["code"], "MLP0009");
    assert_eq!(
        diagnostics[0]["column"].as_u64(),
        Some(("param l: ".len() + 5 * syntax::MAX_NESTING + 5) as u64)
    );
}

#[test]
fn nesting_at_the_limit_is_accepted() {
    let dir = TempDir::new("limit");
    let inner = syntax::MAX_NESTING - 1;
    let line = format!(
        "  | derive(x = {}a{})",
        "(".repeat(inner),
        ")".repeat(inner)
    );
    let (code, diagnostics) = check_json(&dir.file("limit.mlp", &with_line(&line)));
    assert_eq!(code, Some(0), "{diagnostics:?}");
}

/// The tree of `text`, spans removed, which must parse cleanly.
fn tree(text: &str) -> Value {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.remove("span");
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let parsed = syntax::parse(text, FileId(0));
    assert!(!parsed.has_errors(), "{:?}", parsed.diagnostics.first());
    let mut value = serde_json::to_value(&parsed.file.items).expect("the AST serializes");
    strip(&mut value);
    value
}

/// `mlp fmt` rewrites `text` into a file that re-parses to the same tree
/// and is left alone by a second run.
fn formats_to_the_same_tree(dir: &TempDir, name: &str, text: &str) {
    let path = dir.file(name, text);
    let fmt = mlp(&["fmt"], &path);
    assert_eq!(
        fmt.status.code(),
        Some(0),
        "{name}: {}",
        String::from_utf8_lossy(&fmt.stderr)
    );
    let formatted = std::fs::read_to_string(&path).expect("the formatted file");
    let again = mlp(&["fmt", "--check"], &path);
    assert_eq!(again.status.code(), Some(0), "{name}: formatting is stable");
    // Comparing deep trees recurses as deep: on the CLI's stack.
    let same = mlp::on_large_stack(|| tree(text) == tree(&formatted)).expect("a thread");
    assert!(same, "{name}: formatting changed the tree");
}

#[test]
fn long_flat_chains_are_checked_and_formatted() {
    let dir = TempDir::new("chains");
    // Past what the 8 MiB main thread held (a debug build overflowed near
    // 6 000 terms), small enough for a fast test.
    let terms = 20_000;

    let sum = vec!["a"; terms].join(" + ");
    let derive = with_line(&format!("  | derive(x = {sum})"));
    let (code, diagnostics) = check_json(&dir.file("sum_check.mlp", &derive));
    assert_eq!((code, diagnostics.len()), (Some(0), 0), "{diagnostics:?}");
    formats_to_the_same_tree(&dir, "sum.mlp", &derive);

    // A policy rule compares one metric: a chain of them is reported, not
    // a crash, and still formats.
    let rule = vec!["m.accuracy >= 0.1"; terms].join(" and ");
    let policy = format!(
        "{HEAD}model m: logistic_regression {{\n  data = raw\n  target = y\n  features = [a]\n}}\n\n\
         policy q {{\n  require {rule}\n}}\n"
    );
    let (code, diagnostics) = check_json(&dir.file("policy_check.mlp", &policy));
    assert_eq!(code, Some(1));
    assert!(
        diagnostics.iter().all(|d| d["code"] == "MLP2014"),
        "{diagnostics:?}"
    );
    formats_to_the_same_tree(&dir, "policy.mlp", &policy);

    let steps = "  | filter(a > 0)\n".repeat(10_000);
    let transform = format!("{HEAD}transform t = raw\n{steps}");
    let (code, diagnostics) = check_json(&dir.file("steps_check.mlp", &transform));
    assert_eq!((code, diagnostics.len()), (Some(0), 0), "{diagnostics:?}");
    formats_to_the_same_tree(&dir, "steps.mlp", &transform);
}

#[test]
fn a_line_too_long_to_show_is_reported_by_its_position() {
    let dir = TempDir::new("long-line");
    let line = format!("  | derive(x = {} + )", vec!["a"; 5_000].join(" + "));
    let path = dir.file("long.mlp", &with_line(&line));
    let output = mlp(&["check"], &path);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("MLP0001"), "{stderr}");
    assert!(
        stderr.contains("long.mlp:16:20016") && stderr.contains("too long"),
        "{stderr}"
    );
    assert!(stderr.lines().all(|l| l.chars().count() < 200), "{stderr}");
}

fn unknown_fields(n: usize) -> String {
    let fields: String = (0..n).map(|i| format!("  unknown_{i} = 1\n")).collect();
    format!("pipeline p {{\n  version = \"1.0.0\"\n  owner = \"a@b.c\"\n{fields}}}\n")
}

#[test]
fn many_diagnostics_are_capped_in_human_output_and_counted() {
    let dir = TempDir::new("many");
    let path = dir.file("many.mlp", &unknown_fields(5_000));
    let output = mlp(&["check"], &path);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.matches("MLP2001").count(), 200);
    assert!(
        stderr
            .ends_with("… and 4800 more; use --format json for all\n5000 error(s), 0 warning(s)\n"),
        "{}",
        &stderr[stderr.len().saturating_sub(300)..]
    );
    let (_, all) = check_json(&path);
    assert_eq!(all.len(), 5_000);
}

#[test]
fn reports_of_one_file_are_separated() {
    let dir = TempDir::new("several");
    let path = dir.file("several.mlp", &unknown_fields(3));
    let output = mlp(&["check"], &path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let normalized = stderr.replace(&format!("{}/", dir.0.display()), "");
    // Every report starts on a line of its own, after the previous help line.
    assert_eq!(
        normalized.lines().filter(|l| *l == "MLP2001").count(),
        3,
        "{normalized}"
    );
    insta::assert_snapshot!(normalized);
}

#[test]
fn a_byte_order_mark_is_accepted_and_dropped_by_fmt() {
    let dir = TempDir::new("bom");
    let text = "\u{FEFF}/* A file saved with a byte-order mark. */\npipeline p {\n  version = \"1.0.0\"\n  owner = \"a@b.c\"\n}\n";
    let path = dir.file("bom.mlp", text);
    let (code, diagnostics) = check_json(&path);
    assert_eq!((code, diagnostics.len()), (Some(0), 0), "{diagnostics:?}");
    let fmt = mlp(&["fmt"], &path);
    assert_eq!(fmt.status.code(), Some(0));
    let formatted = std::fs::read_to_string(&path).expect("the formatted file");
    assert_eq!(formatted, text.trim_start_matches('\u{FEFF}'));
    let (code, _) = check_json(&path);
    assert_eq!(code, Some(0));
}
