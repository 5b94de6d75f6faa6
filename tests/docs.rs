//! One truth (issue #16): the documentation says what the code does.
//!
//! - The algorithm and metric tables of `docs/language.md` are generated
//!   from the built-in catalogue (`stdlib/catalog/`); with
//!   `MLP_UPDATE_DOCS=1`, `cargo test --test docs` rewrites them instead of
//!   failing.
//! - Every diagnostic code the documentation cites is one `mlp explain`
//!   knows; every code has a page and a fixture, and every page and fixture
//!   belongs to a code.
//! - The example of every error page is made of lines of that code's
//!   fixtures (which `tests/diagnostics.rs` checks against the binary), and
//!   the messages it quotes are ones those fixtures produce.
//! - The lists of block keywords are complete, and the `mlp plan` output
//!   shown in `docs/running.md` is what `mlp plan` prints.

use mlp::check::catalog::{self, Algorithm, Bound, Catalog, HyperDefault, HyperSpec, HyperType};
use mlp::check::types::ModelKind;
use mlp::diagnostics::codes;
use mlp::syntax::ast::BlockKeyword;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

mod common;
use common::{command, root};

const UPDATE: &str = "MLP_UPDATE_DOCS";
const LANGUAGE: &str = "docs/language.md";
const END: &str = "<!-- end of generated table -->";
const FIXTURES: &str = "tests/fixtures/errors";
/// In an example line, `...` stands for text left out.
const ELISION: &str = "...";

fn read(relative: &str) -> String {
    let path = root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// ---------------------------------------------------------------------------
// The generated tables of docs/language.md

fn begin_marker(source: &str) -> String {
    format!("<!-- generated from {source} by tests/docs.rs; {UPDATE}=1 cargo test --test docs rewrites it -->")
}

/// A table cell: a `|` would end it.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

fn type_and_bound(spec: &HyperSpec) -> String {
    match (&spec.ty, &spec.min) {
        (HyperType::Choice(words), _) => words
            .iter()
            .map(|w| format!("`{w}`"))
            .collect::<Vec<_>>()
            .join(" \\| "),
        (ty, Some(Bound { value, inclusive })) => {
            let op = if *inclusive { "≥" } else { ">" };
            format!("{ty} {op} {}", number(*value))
        }
        (ty, None) => ty.to_string(),
    }
}

fn default_text(default: &HyperDefault) -> String {
    match default {
        // Not values one could write: said in words.
        HyperDefault::Unlimited | HyperDefault::SplitSeed => default.to_string(),
        _ => format!("`{default}`"),
    }
}

/// The model kind of an algorithm and what it fits.
fn algorithm_facts(algorithm: &Algorithm) -> String {
    let mut facts = vec![algorithm.kind.as_str().to_string()];
    match algorithm.kind {
        ModelKind::Classifier if algorithm.binary_only => facts.push("two classes only".into()),
        ModelKind::Classifier => facts.push("two or more classes".into()),
        ModelKind::Clusterer => facts.push("no target".into()),
        ModelKind::Regressor => {}
    }
    if algorithm.probabilities {
        facts.push("gives probabilities".into());
    }
    facts.join(", ")
}

fn algorithm_table(catalog: &Catalog) -> String {
    let mut out = String::from(
        "| algorithm | kind | what it fits, in scikit-learn's terms |\n\
         | --- | --- | --- |\n",
    );
    for algorithm in &catalog.algorithms {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            algorithm.name,
            algorithm_facts(algorithm),
            cell(&algorithm.meaning)
        ));
    }
    out.push_str(
        "\n| algorithm | kind | hyper-parameter | type and bound | default | meaning |\n\
         | --- | --- | --- | --- | --- | --- |\n",
    );
    for algorithm in &catalog.algorithms {
        let name = format!("`{}`", algorithm.name);
        let facts = algorithm_facts(algorithm);
        if algorithm.hyper.is_empty() {
            out.push_str(&format!("| {name} | {facts} | none | | | |\n"));
        }
        for (i, spec) in algorithm.hyper.iter().enumerate() {
            let (name, facts) = if i == 0 {
                (name.as_str(), facts.as_str())
            } else {
                ("", "")
            };
            out.push_str(&format!(
                "| {name} | {facts} | `{}` | {} | {} | {} |\n",
                spec.name,
                type_and_bound(spec),
                default_text(&spec.default),
                cell(&spec.meaning)
            ));
        }
    }
    out
}

fn metric_table(catalog: &Catalog) -> String {
    let mut out = String::from(
        "| metric | model kind | better | applies to |\n\
         | --- | --- | --- | --- |\n",
    );
    for metric in &catalog.metrics {
        let better = match (metric.scalar, metric.higher_is_better) {
            (false, _) => "—",
            (true, true) => "higher",
            (true, false) => "lower",
        };
        let mut limits = Vec::new();
        if !metric.scalar {
            limits.push("not a number: reported, not gated".to_string());
        }
        if metric.binary_only {
            limits.push("two classes only".to_string());
        }
        if metric.needs_groups {
            limits.push("an `evaluate` with `groups`".to_string());
        }
        if metric.needs_probabilities {
            let giving: Vec<String> = catalog
                .algorithms
                .iter()
                .filter(|a| a.kind == metric.kind && a.probabilities)
                .map(|a| format!("`{}`", a.name))
                .collect();
            limits.push(format!(
                "algorithms with probabilities ({})",
                giving.join(", ")
            ));
        }
        if limits.is_empty() {
            limits.push(format!("every {}", metric.kind.as_str()));
        }
        out.push_str(&format!(
            "| `{}` | {} | {better} | {} |\n",
            metric.name,
            metric.kind.as_str(),
            limits.join("; ")
        ));
    }
    out
}

/// Replaces the marked section that starts with `begin` by `table`, which
/// must lie under the heading `section`.
fn splice(text: &str, section: &str, begin: &str, table: &str) -> Result<String, String> {
    let starts: Vec<usize> = text.match_indices(begin).map(|(i, _)| i).collect();
    let [start] = starts[..] else {
        return Err(format!(
            "{LANGUAGE}: expected the marker `{begin}` once, found it {} times",
            starts.len()
        ));
    };
    let heading = text
        .find(&format!("\n{section}\n"))
        .ok_or_else(|| format!("{LANGUAGE}: no heading `{section}`"))?;
    let next_heading = text[heading + 1..]
        .find("\n## ")
        .map_or(text.len(), |i| heading + 1 + i);
    if !(heading < start && start < next_heading) {
        return Err(format!(
            "{LANGUAGE}: the marker `{begin}` is not in section `{section}`"
        ));
    }
    let end = text[start..]
        .find(END)
        .map(|i| start + i + END.len())
        .ok_or_else(|| format!("{LANGUAGE}: `{begin}` is not followed by `{END}`"))?;
    Ok(format!(
        "{}{begin}\n\n{table}\n{END}{}",
        &text[..start],
        &text[end..]
    ))
}

/// Writes through a temporary file and a rename, as mlp writes its files.
fn write_atomic(path: &Path, text: &str) {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap();
    let temp = path.with_file_name(format!(".{name}.docs-tmp.{}", std::process::id()));
    std::fs::write(&temp, text).unwrap_or_else(|e| panic!("{}: {e}", temp.display()));
    std::fs::rename(&temp, path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

#[test]
fn language_md_tables_are_generated_from_the_catalogue() {
    let catalog = catalog::get();
    let text = read(LANGUAGE);
    let expected = splice(
        &text,
        "## 6. Algorithms",
        &begin_marker("stdlib/catalog/algorithms.mlp"),
        &algorithm_table(catalog),
    )
    .and_then(|t| {
        splice(
            &t,
            "## 7. Metrics",
            &begin_marker("stdlib/catalog/metrics.mlp"),
            &metric_table(catalog),
        )
    })
    .unwrap_or_else(|problem| panic!("{problem}"));
    if expected == text {
        return;
    }
    if std::env::var(UPDATE).as_deref() == Ok("1") {
        write_atomic(&root().join(LANGUAGE), &expected);
        return;
    }
    let first_difference = text
        .lines()
        .zip(expected.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| text.lines().count().min(expected.lines().count()));
    panic!(
        "{LANGUAGE}: the generated tables differ from the catalogue (first at line {}):\n  \
         found:    {:?}\n  expected: {:?}\nrun `{UPDATE}=1 cargo test --test docs` to rewrite them",
        first_difference + 1,
        text.lines().nth(first_difference).unwrap_or(""),
        expected.lines().nth(first_difference).unwrap_or("")
    );
}

#[test]
fn rendered_cells_read_as_the_catalogue_says() {
    let catalog = catalog::get();
    let svm = catalog.algorithm("svm").expect("svm");
    assert_eq!(algorithm_facts(svm), "classifier, two classes only");
    let kernel = svm.hyper("kernel").expect("kernel");
    assert_eq!(type_and_bound(kernel), "`linear` \\| `gaussian`");
    let lr = catalog.algorithm("logistic_regression").expect("lr");
    assert_eq!(type_and_bound(lr.hyper("l2").unwrap()), "float ≥ 0");
    assert_eq!(
        type_and_bound(lr.hyper("max_iterations").unwrap()),
        "int ≥ 1"
    );
    assert_eq!(type_and_bound(lr.hyper("tolerance").unwrap()), "float > 0");
    assert_eq!(default_text(&lr.hyper("l2").unwrap().default), "`1.0`");
    let kmeans = catalog.algorithm("kmeans").expect("kmeans");
    assert_eq!(algorithm_facts(kmeans), "clusterer, no target");
    assert_eq!(
        default_text(&kmeans.hyper("seed").unwrap().default),
        "the split's seed"
    );
    let metrics = metric_table(catalog);
    assert!(metrics.contains("| `rmse` | regressor | lower | every regressor |"));
    assert!(metrics.contains("| `f1` | classifier | higher | two classes only |"));
    assert!(metrics.contains("| `confusion_matrix` | classifier | — | not a number"));
    assert!(metrics.contains(
        "| `log_loss` | classifier | lower | algorithms with probabilities (`logistic_regression`"
    ));
}

// ---------------------------------------------------------------------------
// Diagnostic codes

/// Every Markdown file of the documentation: `docs/` (recursively),
/// `README.md` and `ARCHITECTURE.md`, relative to the crate root.
fn markdown_files() -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(&root().join("docs"), &mut paths);
    let mut files: Vec<String> = paths
        .iter()
        .map(|p| {
            p.strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    files.extend(["README.md".to_string(), "ARCHITECTURE.md".to_string()]);
    files
}

/// The codes a text cites: `MLP` and four digits, or `GOV` and three, not
/// inside a longer word.
fn cited_codes(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let word = |i: usize| bytes.get(i).is_some_and(|b| b.is_ascii_alphanumeric());
    let mut found = Vec::new();
    for (prefix, digits) in [("MLP", 4), ("GOV", 3)] {
        for (i, _) in text.match_indices(prefix) {
            let start = i + prefix.len();
            let end = start + digits;
            if (i > 0 && word(i - 1))
                || end > bytes.len()
                || !bytes[start..end].iter().all(u8::is_ascii_digit)
                || word(end)
            {
                continue;
            }
            found.push(text[i..end].to_string());
        }
    }
    found
}

#[test]
fn cited_codes_are_found() {
    assert_eq!(
        cited_codes("see MLP2012 and (`GOV001`), not MLP20120, XMLP2012, MLP201 or GOV0012"),
        vec!["MLP2012", "GOV001"]
    );
}

#[test]
fn every_code_the_docs_cite_is_explained() {
    let mut cited: BTreeSet<(String, String)> = BTreeSet::new();
    for file in markdown_files() {
        for code in cited_codes(&read(&file)) {
            cited.insert((code, file.clone()));
        }
    }
    assert!(!cited.is_empty(), "no code cited in the docs");
    let mut unknown = Vec::new();
    let mut explained = BTreeSet::new();
    for (code, file) in &cited {
        // The rule for waivers of unknown rules shows one in its example.
        if explained.contains(code) || (file.ends_with("GOV025.md") && code == "GOV999") {
            continue;
        }
        let output = command().args(["explain", code]).output().unwrap();
        if output.status.code() == Some(0) {
            explained.insert(code.clone());
        } else {
            unknown.push(format!("{file} cites {code}"));
        }
    }
    assert!(
        unknown.is_empty(),
        "codes that `mlp explain` does not know:\n  {}",
        unknown.join("\n  ")
    );
}

fn fixture_stems() -> Vec<String> {
    let mut stems: Vec<String> = std::fs::read_dir(root().join(FIXTURES))
        .expect("the fixtures folder exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mlp"))
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(String::from))
        .collect();
    stems.sort();
    stems
}

fn code_of(stem: &str) -> &str {
    stem.split('-').next().unwrap_or(stem)
}

fn fixtures_of(code: &str) -> Vec<String> {
    fixture_stems()
        .into_iter()
        .filter(|s| code_of(s) == code)
        .collect()
}

#[test]
fn every_code_has_a_page_and_a_fixture_and_nothing_else_does() {
    let known: BTreeSet<&str> = codes::ALL.iter().map(|i| i.code.0).collect();
    let mut problems = Vec::new();
    for code in &known {
        if !root().join(format!("docs/errors/{code}.md")).is_file() {
            problems.push(format!("{code} has no page docs/errors/{code}.md"));
        }
        if fixtures_of(code).is_empty() {
            problems.push(format!("{code} has no fixture {FIXTURES}/{code}-*.mlp"));
        }
    }
    for entry in std::fs::read_dir(root().join("docs/errors")).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        if path.extension().is_some_and(|e| e == "md") && !known.contains(stem) {
            problems.push(format!("docs/errors/{stem}.md is the page of no code"));
        }
    }
    for stem in fixture_stems() {
        if !known.contains(code_of(&stem)) {
            problems.push(format!("{FIXTURES}/{stem}.mlp is named after no code"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------
// The examples of the error pages

/// A line without its `//` comment (outside strings), whitespace runs made
/// one space.
fn normalized(line: &str) -> String {
    let mut in_string = false;
    let mut escaped = false;
    let mut cut = line.len();
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if c == '/' && chars.peek().is_some_and(|&(_, n)| n == '/') {
            cut = i;
            break;
        }
    }
    line[..cut].split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether an example line is one of the fixture lines; with `...`, whether
/// one fixture line starts with the part before the first `...`, ends with
/// the part after the last, and holds the parts between in order.
fn occurs(line: &str, fixture_lines: &BTreeSet<String>) -> bool {
    if fixture_lines.contains(line) {
        return true;
    }
    if !line.contains(ELISION) {
        return false;
    }
    let parts: Vec<&str> = line.split(ELISION).map(str::trim).collect();
    let (first, rest) = parts.split_first().unwrap();
    let (last, middle) = rest.split_last().unwrap();
    fixture_lines.iter().any(|f| {
        let Some(mut left) = f.strip_prefix(first) else {
            return false;
        };
        for part in middle {
            match left.find(part) {
                Some(i) => left = &left[i + part.len()..],
                None => return false,
            }
        }
        left.ends_with(last)
    })
}

/// The fenced blocks of the `## Example` section of a page: each one's info
/// string and lines.
fn example_blocks(page: &str) -> Vec<(String, Vec<String>)> {
    let mut blocks = Vec::new();
    let mut in_section = false;
    let mut open: Option<(String, Vec<String>)> = None;
    for line in page.lines() {
        if let Some((info, mut lines)) = open.take() {
            if line.starts_with("```") {
                blocks.push((info, lines));
            } else {
                lines.push(line.to_string());
                open = Some((info, lines));
            }
            continue;
        }
        if line.starts_with("## ") {
            in_section = line.trim() == "## Example";
        } else if in_section && line.starts_with("```") {
            open = Some((line[3..].trim().to_string(), Vec::new()));
        }
    }
    blocks
}

#[test]
fn normalizing_drops_comments_outside_strings() {
    assert_eq!(
        normalized("  data  = holdot.train   // the split"),
        "data = holdot.train"
    );
    assert_eq!(
        normalized(r#"path = "http://x\"//y" // z"#),
        r#"path = "http://x\"//y""#
    );
    assert_eq!(normalized("//     ^ MLP0001"), "");
    let lines: BTreeSet<String> = ["param d: int = ((((1))))".to_string()].into();
    assert!(occurs("param d: int = ((((1))))", &lines));
    assert!(occurs("param d: int = ((... (1) ...))", &lines));
    assert!(!occurs("param d: int = ((... (2) ...))", &lines));
    assert!(!occurs("d: int = ((... (1) ...))", &lines));
    assert!(!occurs("param d: int = ((((1)", &lines));
}

#[test]
fn error_page_examples_are_lines_of_their_fixtures() {
    let mut problems = Vec::new();
    for info in codes::ALL {
        let code = info.code.0;
        let page_name = format!("docs/errors/{code}.md");
        let page = read(&page_name);
        let stems = fixtures_of(code);
        let mut fixture_lines = BTreeSet::new();
        let mut snapshots = String::new();
        for stem in &stems {
            for line in read(&format!("{FIXTURES}/{stem}.mlp")).lines() {
                let line = normalized(line);
                if !line.is_empty() {
                    fixture_lines.insert(line);
                }
            }
            let snapshot = root().join(format!("tests/snapshots/diagnostics__{stem}.snap"));
            snapshots.push_str(&std::fs::read_to_string(snapshot).unwrap_or_default());
            snapshots.push('\n');
        }
        let snapshots = snapshots.split_whitespace().collect::<Vec<_>>().join(" ");
        let blocks = example_blocks(&page);
        let code_blocks: Vec<&Vec<String>> = blocks
            .iter()
            .filter(|(info, _)| info.is_empty() || info == "mlp")
            .map(|(_, lines)| lines)
            .collect();
        if code_blocks.is_empty() {
            problems.push(format!("{page_name}: no `mlp` block under `## Example`"));
        }
        for line in code_blocks.into_iter().flatten() {
            let line = normalized(line);
            if !line.is_empty() && !occurs(&line, &fixture_lines) {
                problems.push(format!(
                    "{page_name}: example line `{line}` is in no fixture {FIXTURES}/{code}-*.mlp"
                ));
            }
        }
        // A message the page quotes, `error[CODE]: message`, is one that a
        // fixture of the code produces.
        for (_, lines) in blocks.iter().filter(|(info, _)| info == "text") {
            for line in lines {
                let Some((_, message)) = line.split_once(&format!("[{code}]: ")) else {
                    continue;
                };
                let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
                if !snapshots.contains(&message) {
                    problems.push(format!(
                        "{page_name}: the message `{message}` is not what its fixtures report"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------
// Other facts of the docs

#[test]
fn block_keyword_lists_are_complete() {
    let language = read(LANGUAGE);
    let start = language.find("\n## 8. ").expect("section 8");
    let end = language[start + 1..]
        .find("\n## ")
        .map_or(language.len(), |i| start + 1 + i);
    let places = [
        (
            "docs/errors/MLP0005.md".to_string(),
            read("docs/errors/MLP0005.md"),
        ),
        (
            format!("{LANGUAGE} section 8"),
            language[start..end].to_string(),
        ),
    ];
    for keyword in BlockKeyword::ALL {
        let word = format!("`{}`", keyword.as_str());
        for (name, text) in &places {
            assert!(
                text.contains(&word),
                "{name} does not list the keyword {word}"
            );
        }
    }
}

/// Every fenced block of `docs/running.md` that starts with
/// `$ mlp plan examples/NAME ARGS` shows what that prints after a run of a
/// copy of the example.
#[test]
fn plan_output_in_running_md_is_real() {
    let text = read("docs/running.md");
    let mut checked = 0;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if !line.starts_with("```") {
            continue;
        }
        let block: Vec<&str> = lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .collect();
        let Some(args) = block.first().and_then(|l| l.strip_prefix("$ mlp plan ")) else {
            continue;
        };
        let mut args = args.split_whitespace();
        let example = args.next().expect("a folder after `mlp plan`");
        let args: Vec<&str> = args.collect();
        let dir = common::project(&root().join(example));
        let run = command()
            .arg("run")
            .arg(&dir)
            .arg("--quiet")
            .output()
            .unwrap();
        assert_eq!(
            run.status.code(),
            Some(0),
            "mlp run {example}: {}",
            common::text(&run)
        );
        let plan = command()
            .arg("plan")
            .arg(&dir)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(
            plan.status.code(),
            Some(0),
            "mlp plan: {}",
            common::text(&plan)
        );
        let printed = String::from_utf8_lossy(&plan.stdout);
        let printed: Vec<&str> = printed.lines().map(str::trim_end).collect();
        let shown: Vec<&str> = block[1..].iter().map(|l| l.trim_end()).collect();
        assert_eq!(
            shown, printed,
            "docs/running.md: `{}` prints something else",
            block[0]
        );
        let _ = std::fs::remove_dir_all(&dir);
        checked += 1;
    }
    assert!(checked > 0, "docs/running.md shows no `$ mlp plan` output");
}
