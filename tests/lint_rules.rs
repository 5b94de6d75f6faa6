//! Each rule's page `docs/rules/<code>.md` is generated from the doc
//! comment of its file `src/lint/rules/<name>.rs` and its metadata; this
//! test fails when they differ. `MLP_UPDATE_DOCS=1 cargo test --test
//! lint_rules` rewrites the pages.

use mlp::lint::rules::ALL;
use std::path::Path;

const SECTIONS: [&str; 5] = [
    "What it does",
    "Why it matters",
    "Example",
    "How to fix",
    "References",
];

fn page(rule: &mlp::lint::Rule, source: &str) -> String {
    let doc: Vec<&str> = source
        .lines()
        .take_while(|l| l.starts_with("//!"))
        .map(|l| {
            l.strip_prefix("//! ")
                .unwrap_or(l.trim_start_matches("//!"))
        })
        .collect();
    let doc = doc.join("\n");
    let (summary, body) = doc
        .trim()
        .split_once("\n\n")
        .unwrap_or_else(|| panic!("{}: a summary line, then sections", rule.code));
    format!(
        "# {}: {}\n\n{summary}\n\nDefault severity: **{}**.\n\n{body}\n",
        rule.code,
        rule.name,
        rule.severity.as_str()
    )
}

#[test]
fn rule_pages_are_generated_from_the_rule_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var_os("MLP_UPDATE_DOCS").is_some();
    let mut stale = Vec::new();
    for rule in ALL {
        let file = root
            .join("src/lint/rules")
            .join(format!("{}.rs", rule.name.replace('-', "_")));
        let source =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let expected = page(rule, &source);
        let headings: Vec<&str> = expected
            .lines()
            .filter_map(|l| l.strip_prefix("## "))
            .collect();
        assert_eq!(
            headings, SECTIONS,
            "{}: the doc comment's sections",
            rule.code
        );
        let target = root.join("docs/rules").join(format!("{}.md", rule.code));
        let current = std::fs::read_to_string(&target).unwrap_or_default();
        if current == expected {
            continue;
        }
        if update {
            let temp = target.with_extension("md.tmp");
            std::fs::write(&temp, &expected).unwrap();
            std::fs::rename(&temp, &target).unwrap();
        } else {
            stale.push(target.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "out of date (MLP_UPDATE_DOCS=1 cargo test --test lint_rules rewrites them): {stale:?}"
    );
}

const TABLE_START: &str = "<!-- generated from src/lint/rules/ by tests/lint_rules.rs; MLP_UPDATE_DOCS=1 cargo test --test lint_rules rewrites it -->\n";
const TABLE_END: &str = "<!-- end of generated table -->";

fn rule_table() -> String {
    let mut rules: Vec<_> = ALL.iter().collect();
    rules.sort_by_key(|r| r.code);
    let mut out = String::from("| code | name | severity | flags |\n| --- | --- | --- | --- |\n");
    for rule in rules {
        out.push_str(&format!(
            "| [{code}](rules/{code}.md) | `{}` | {} | {} |\n",
            rule.name,
            rule.severity.as_str(),
            rule.summary().replace('|', "\\|"),
            code = rule.code,
        ));
    }
    out
}

#[test]
fn the_governance_guide_lists_every_rule() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/governance.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find(TABLE_START).expect("the table's start marker") + TABLE_START.len();
    let end = text[start..]
        .find(TABLE_END)
        .expect("the table's end marker")
        + start;
    let expected = rule_table();
    if text[start..end] == expected {
        return;
    }
    if std::env::var_os("MLP_UPDATE_DOCS").is_some() {
        let updated = format!("{}{expected}{}", &text[..start], &text[end..]);
        let temp = path.with_extension("md.tmp");
        std::fs::write(&temp, updated).unwrap();
        std::fs::rename(&temp, &path).unwrap();
        return;
    }
    panic!("docs/governance.md: the rule table is out of date (MLP_UPDATE_DOCS=1 cargo test --test lint_rules rewrites it)");
}

#[test]
fn codes_are_unique_and_every_page_belongs_to_a_rule() {
    let mut codes: Vec<&str> = ALL.iter().map(|r| r.code).collect();
    codes.sort_unstable();
    let count = codes.len();
    codes.dedup();
    assert_eq!(codes.len(), count, "a code used twice");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        let code = name.trim_end_matches(".md");
        assert!(codes.contains(&code), "docs/rules/{name} documents no rule");
    }
}
