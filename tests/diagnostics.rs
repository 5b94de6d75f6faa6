//! The diagnostics harness: every file in `tests/fixtures/errors/` is checked
//! by the real `mlp` binary, and what it reports is compared with what the
//! fixture marks.
//!
//! A fixture is named `CODE-what-it-shows.mlp` and must produce `CODE`. Each
//! expected diagnostic span is marked by a comment line below the offending
//! line, carets under the span's columns and the code at the end:
//!
//! ```text
//!   version = "1.0.0
//! //          ^^^^^^ MLP0002
//! ```
//!
//! A zero-width span is marked by a single `^` (which also matches a span one
//! character wide). Several caret runs on one marker line mark several spans;
//! stacked marker lines all refer to the nearest non-marker line above. A
//! span starting in column 1 or 2 cannot be marked under `//`: indent the
//! offending line. Every marker must match a label of a diagnostic with that
//! code, and every error must have its primary span marked, so a fixture
//! states all the errors it produces.
//!
//! The human rendering (no colour, fixed width) is snapshotted per fixture.

use std::path::{Path, PathBuf};

const FIXTURES: &str = "tests/fixtures/errors";

mod common;
use common::{mlp, root};

fn fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(FIXTURES))
        .expect("the fixtures folder exists")
        .map(|e| e.expect("a readable folder entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "mlp"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {FIXTURES}");
    files
}

/// The code a fixture is named after: `MLP0002-unterminated-string` -> `MLP0002`.
fn code_of(stem: &str) -> &str {
    stem.split('-').next().unwrap_or(stem)
}

fn looks_like_code(word: &str) -> bool {
    let letters = word.chars().take_while(|c| c.is_ascii_uppercase()).count();
    letters > 0 && word.len() > letters && word[letters..].chars().all(|c| c.is_ascii_digit())
}

/// One marked span: 1-based line, 1-based character columns `start..end`.
#[derive(Clone, Debug, PartialEq)]
struct Marker {
    code: String,
    line: usize,
    start: usize,
    end: usize,
}

impl Marker {
    fn matches(&self, code: &str, span: &Span) -> bool {
        let end_ok = if self.end == self.start + 1 {
            // A lone caret: zero-width or one character.
            span.end_line == self.line
                && (span.end_column == self.start || span.end_column == self.end)
        } else {
            span.end_line == self.line && span.end_column == self.end
        };
        code == self.code && span.line == self.line && span.column == self.start && end_ok
    }
}

/// A marker line is `//`, spaces and caret runs, then a code.
fn parse_marker_line(line: &str) -> Option<(String, Vec<(usize, usize)>)> {
    let body = line.strip_prefix("//")?;
    let body = body.trim_end();
    let (carets, code) = body.rsplit_once(' ')?;
    if !looks_like_code(code) || !carets.contains('^') {
        return None;
    }
    if !carets.chars().all(|c| c == ' ' || c == '^') {
        return None;
    }
    let mut runs = Vec::new();
    let mut run_start = None;
    // Columns are 1-based and the `//` takes columns 1 and 2.
    for (i, c) in carets.chars().chain(std::iter::once(' ')).enumerate() {
        let column = i + 3;
        match (c, run_start) {
            ('^', None) => run_start = Some(column),
            (' ', Some(start)) => {
                runs.push((start, column));
                run_start = None;
            }
            _ => {}
        }
    }
    Some((code.to_string(), runs))
}

fn markers(text: &str) -> Vec<Marker> {
    let mut markers = Vec::new();
    let mut target_line = 0;
    for (index, line) in text.lines().enumerate() {
        match parse_marker_line(line) {
            Some((code, runs)) => {
                assert!(target_line > 0, "a marker on the first line marks nothing");
                for (start, end) in runs {
                    markers.push(Marker {
                        code: code.clone(),
                        line: target_line,
                        start,
                        end,
                    });
                }
            }
            None => target_line = index + 1,
        }
    }
    markers
}

#[derive(Debug)]
struct Span {
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

fn span_of(value: &serde_json::Value) -> Option<Span> {
    let number = |v: &serde_json::Value| v.as_u64().map(|n| n as usize);
    Some(Span {
        line: number(&value["line"])?,
        column: number(&value["column"])?,
        end_line: number(&value["end"]["line"])?,
        end_column: number(&value["end"]["column"])?,
    })
}

struct Reported {
    code: String,
    severity: String,
    primary: Option<Span>,
    labels: Vec<Span>,
}

fn reported(json: &[u8]) -> Vec<Reported> {
    let value: serde_json::Value = serde_json::from_slice(json).expect("--format json prints JSON");
    value
        .as_array()
        .expect("the JSON output is an array")
        .iter()
        .map(|d| Reported {
            code: d["code"].as_str().unwrap_or_default().to_string(),
            severity: d["severity"].as_str().unwrap_or_default().to_string(),
            primary: span_of(d),
            labels: d["labels"]
                .as_array()
                .map(|labels| labels.iter().filter_map(span_of).collect())
                .unwrap_or_default(),
        })
        .collect()
}

fn check_fixture(path: &Path) {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("a UTF-8 name");
    let relative = format!(
        "{FIXTURES}/{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or(stem)
    );
    let code = code_of(stem);
    let text = std::fs::read_to_string(path).expect("a readable fixture");
    let markers = markers(&text);
    assert!(
        markers.iter().any(|m| m.code == code),
        "{relative}: no marker for {code}"
    );

    let json = mlp(&["check", &relative, "--format", "json"]);
    assert_eq!(
        json.status.code(),
        Some(1),
        "{relative}: exit code of `check --format json`"
    );
    let diagnostics = reported(&json.stdout);
    assert!(
        diagnostics.iter().any(|d| d.code == code),
        "{relative}: no {code} diagnostic among {:?}",
        diagnostics.iter().map(|d| &d.code).collect::<Vec<_>>()
    );
    for marker in &markers {
        let found = diagnostics
            .iter()
            .filter(|d| d.code == marker.code)
            .any(|d| d.labels.iter().any(|span| marker.matches(&d.code, span)));
        assert!(
            found,
            "{relative}: nothing reported at the marked {marker:?}; reported: {:#?}",
            diagnostics
                .iter()
                .map(|d| (&d.code, &d.primary))
                .collect::<Vec<_>>()
        );
    }
    for diagnostic in diagnostics.iter().filter(|d| d.severity == "error") {
        let primary = diagnostic
            .primary
            .as_ref()
            .unwrap_or_else(|| panic!("{relative}: a {} without a position", diagnostic.code));
        assert!(
            markers.iter().any(|m| m.matches(&diagnostic.code, primary)),
            "{relative}: unmarked {} at {primary:?}: mark it or fix the fixture",
            diagnostic.code
        );
    }

    let human = mlp(&["check", &relative]);
    assert_eq!(
        human.status.code(),
        Some(1),
        "{relative}: exit code of `check`"
    );
    let stderr = String::from_utf8(human.stderr).expect("UTF-8 output");
    assert!(
        stderr.contains(code),
        "{relative}: the human output lacks {code}"
    );
    assert!(
        !stderr.contains('\u{1b}'),
        "{relative}: colour with NO_COLOR set"
    );
    // The binary runs in the crate root on a relative path; an absolute
    // path could only come from the machine, so it is cut out.
    let normalized = stderr.replace(&format!("{}/", root().display()), "");
    insta::assert_snapshot!(stem.to_string(), normalized);
}

#[test]
fn every_fixture_reports_its_marked_diagnostics() {
    for path in fixtures() {
        check_fixture(&path);
    }
}

#[test]
fn every_code_has_a_fixture_a_page_and_an_explanation() {
    let stems: Vec<String> = fixtures()
        .iter()
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(String::from))
        .collect();
    for info in mlp::diagnostics::codes::ALL {
        let code = info.code.0;
        assert!(
            stems.iter().any(|s| code_of(s) == code),
            "{code} has no fixture in {FIXTURES}"
        );
        let page_path = root().join("docs/errors").join(format!("{code}.md"));
        let page = std::fs::read_to_string(&page_path)
            .unwrap_or_else(|e| panic!("{}: {e}", page_path.display()));
        let title = format!("# {code}: {}", info.title);
        assert_eq!(
            page.lines().next(),
            Some(title.as_str()),
            "{code}: first line of its page"
        );
        assert!(
            page.lines().count() > 3,
            "{code}: the page says nothing beyond its title"
        );

        let explain = mlp(&["explain", code]);
        assert_eq!(explain.status.code(), Some(0), "mlp explain {code}");
        assert_eq!(
            String::from_utf8_lossy(&explain.stdout),
            page,
            "mlp explain {code}"
        );
    }
}

#[test]
fn explain_rejects_an_unknown_code() {
    let explain = mlp(&["explain", "NOPE"]);
    assert_eq!(explain.status.code(), Some(2));
    assert!(explain.stdout.is_empty());
    assert!(String::from_utf8_lossy(&explain.stderr).contains("NOPE"));
}

#[test]
fn marker_lines_are_parsed() {
    let text = "a\n  owner \"x\"\n//     ^ MLP0001\n//   ^^  ^^^ MLP0007\n// just a comment ^\n";
    assert_eq!(
        markers(text),
        vec![
            Marker {
                code: "MLP0001".into(),
                line: 2,
                start: 8,
                end: 9
            },
            Marker {
                code: "MLP0007".into(),
                line: 2,
                start: 6,
                end: 8
            },
            Marker {
                code: "MLP0007".into(),
                line: 2,
                start: 10,
                end: 13
            },
        ]
    );
}
