//! `mlp lint` through the real binary: every rule on a fixture that
//! triggers it and on one that does not, the examples, every output
//! format, exit codes and waivers.

mod common;
use common::{mlp, root};
use serde_json::Value;
use std::path::PathBuf;

const FIXTURES: &str = "tests/fixtures/lint";

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

/// `mlp lint ARGS --format json`, parsed, and the exit code.
fn lint_json(args: &[&str]) -> (Value, Option<i32>) {
    let mut all = vec!["lint", "--format", "json"];
    all.extend(args);
    let output = mlp(&all);
    let json = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (json, output.status.code())
}

/// The codes of the findings that are not waived.
fn codes(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["waived"].is_null())
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_rule_triggers_on_its_fixture_and_not_on_the_fixed_one() {
    for rule in mlp::lint::rules::ALL {
        let triggers = fixture(&format!("{}-triggers.mlp", rule.code));
        let clean = fixture(&format!("{}-clean.mlp", rule.code));
        assert!(
            root().join(&triggers).is_file(),
            "{} has no {triggers}",
            rule.code
        );
        assert!(
            root().join(&clean).is_file(),
            "{} has no {clean}",
            rule.code
        );

        let (report, _) = lint_json(&[&triggers]);
        let found: Vec<&Value> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == rule.code)
            .collect();
        assert!(!found.is_empty(), "{triggers}: no {} finding", rule.code);
        for f in &found {
            assert_eq!(f["name"], rule.name);
            assert!(f["line"].as_u64().unwrap() > 1, "{triggers}: {f}");
        }
        let (report, _) = lint_json(&[&clean]);
        assert!(
            !codes(&report).contains(&rule.code.to_string()),
            "{clean}: {} reported",
            rule.code
        );

        let human = mlp(&["lint", &triggers]);
        let stderr = String::from_utf8(human.stderr).unwrap();
        assert!(!stderr.contains('\u{1b}'), "colour with NO_COLOR set");
        insta::assert_snapshot!(format!("{}-triggers", rule.code), stderr);
    }
}

#[test]
fn the_fully_compliant_pipeline_lints_clean() {
    let (report, status) = lint_json(&[&fixture("GOV001-clean.mlp")]);
    assert_eq!(codes(&report), Vec::<String>::new());
    assert_eq!(status, Some(0));
    assert_eq!(report["format"], 1);
    assert_eq!(
        report["summary"],
        serde_json::json!({"errors": 0, "warnings": 0, "infos": 0, "waived": 0})
    );
}

/// The first finding of `code` in a report.
fn finding<'r>(report: &'r Value, code: &str) -> &'r Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {report}"))
}

#[test]
fn pii_is_caught_through_a_derive_and_through_a_join() {
    let (derived, _) = lint_json(&[&fixture("GOV011-triggers.mlp")]);
    let message = finding(&derived, "GOV011")["message"].as_str().unwrap();
    assert!(message.contains("`phone_area`"), "{message}");
    let (joined, _) = lint_json(&[&fixture("GOV012-triggers.mlp")]);
    let message = finding(&joined, "GOV011")["message"].as_str().unwrap();
    assert!(message.contains("`postcode`"), "{message}");
    assert!(codes(&joined).contains(&"GOV012".to_string()));
}

#[test]
fn exit_codes() {
    // An error finding fails; warnings fail only with --deny warnings.
    assert_eq!(lint_json(&[&fixture("GOV011-triggers.mlp")]).1, Some(1));
    let warning_only = fixture("GOV019-triggers.mlp");
    assert_eq!(lint_json(&[&warning_only]).1, Some(0));
    assert_eq!(lint_json(&[&warning_only, "--deny", "warnings"]).1, Some(1));
    assert_eq!(
        lint_json(&[&fixture("GOV001-clean.mlp"), "--deny", "warnings"]).1,
        Some(0)
    );
    // Usage and I/O errors.
    let bad_param = mlp(&["lint", &fixture("GOV001-clean.mlp"), "--param", "nope=1"]);
    assert_eq!(bad_param.status.code(), Some(2));
    let missing = mlp(&["lint", "tests/fixtures/lint/no-such-file.mlp"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such-file.mlp"));
}

/// A copy of a fixture with a waiver added to its model, in a temporary folder.
fn waived(fixture_name: &str, waiver: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "mlp-lint-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(root().join(fixture(fixture_name))).unwrap();
    let model = "model scorer: logistic_regression { data = holdout.train, target = good, features = all_except(good, marital) }";
    assert!(text.contains(model));
    let text = text.replace(
        model,
        &format!("model scorer: logistic_regression {{\n  data = holdout.train\n  target = good\n  features = all_except(good, marital)\n  {waiver}\n}}"),
    );
    let path = dir.join("main.mlp");
    std::fs::write(&path, text).unwrap();
    // The fixtures' approval record, so that only the waived rule differs.
    let approvals = dir.join("approvals");
    std::fs::create_dir_all(&approvals).unwrap();
    for record in std::fs::read_dir(root().join(FIXTURES).join("approvals")).unwrap() {
        let record = record.unwrap().path();
        std::fs::copy(&record, approvals.join(record.file_name().unwrap())).unwrap();
    }
    path
}

#[test]
fn a_waiver_with_a_reason_is_honoured_and_reported_everywhere() {
    // The fixture uses `age`, tagged @sensitive, as a feature (GOV013) and
    // never measures the model over it (GOV014).
    let path = waived(
        "GOV013-triggers.mlp",
        "allow(GOV013, reason = \"marital status is required by the regulator's audit model\")\n  allow(GOV014, reason = \"examined in the quarterly fairness review\")",
    );
    let path = path.to_str().unwrap();
    let (report, status) = lint_json(&[path]);
    assert_eq!(status, Some(0), "{report}");
    // The waived finding is still reported.
    assert_eq!(
        finding(&report, "GOV013")["waived"]["reason"],
        "marital status is required by the regulator's audit model"
    );
    assert_eq!(report["summary"]["waived"], 2);

    let sarif = mlp(&["lint", "--format", "sarif", path]);
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "GOV013")
        .unwrap()
        .clone();
    assert_eq!(result["suppressions"][0]["kind"], "inSource");
    assert_eq!(
        result["suppressions"][0]["justification"],
        "marital status is required by the regulator's audit model"
    );

    let human = mlp(&["lint", path]);
    let stderr = String::from_utf8_lossy(&human.stderr);
    assert!(stderr.contains("waived: marital status"), "{stderr}");
    assert!(stderr.contains("2 waived"), "{stderr}");

    // GitHub annotations leave the waived finding out.
    let github = mlp(&["lint", "--format", "github", path]);
    assert!(!String::from_utf8_lossy(&github.stdout).contains("GOV013"));
}

#[test]
fn a_waiver_without_a_reason_is_an_error() {
    let path = waived("GOV013-triggers.mlp", "allow(GOV013)");
    let (report, status) = lint_json(&[path.to_str().unwrap()]);
    assert_eq!(status, Some(1));
    let codes = codes(&report);
    assert!(codes.contains(&"MLP2024".to_string()), "{codes:?}");
    assert!(codes.contains(&"GOV013".to_string()), "{codes:?}");
    let blank = waived("GOV013-triggers.mlp", "allow(GOV013, reason = \"  \")");
    assert_eq!(lint_json(&[blank.to_str().unwrap()]).1, Some(1));
}

#[test]
fn github_output_annotates_the_causing_line() {
    let output = mlp(&[
        "lint",
        "--format",
        "github",
        &fixture("GOV019-triggers.mlp"),
    ]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let line = stdout
        .lines()
        .find(|l| l.contains("GOV019"))
        .unwrap_or_else(|| panic!("{stdout}"));
    let text = std::fs::read_to_string(root().join(fixture("GOV019-triggers.mlp"))).unwrap();
    let image_line = text
        .lines()
        .position(|l| l.contains("scorer:latest"))
        .unwrap()
        + 1;
    assert!(
        line.starts_with(&format!(
            "::warning file=tests/fixtures/lint/GOV019-triggers.mlp,line={image_line},col=3,"
        )),
        "{line}"
    );
    assert!(line.contains("title=GOV019 image-not-pinned::"), "{line}");
    assert!(
        line.contains("%0Ahelp: "),
        "a newline in a message is escaped: {line}"
    );
}

fn validate_sarif(sarif: &[u8], name: &str) {
    if !common::tool_available("check-jsonschema", "--version") {
        return;
    }
    let tool = "check-jsonschema";
    let file = std::env::temp_dir().join(format!("mlp-{}-{name}.sarif", std::process::id()));
    std::fs::write(&file, sarif).unwrap();
    let schema = root().join("tests/data/sarif-schema-2.1.0.json");
    let output = std::process::Command::new(tool)
        .arg("--schemafile")
        .arg(&schema)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{name}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn sarif_of_every_example_validates_and_points_at_the_source() {
    let examples = root().join("examples");
    let mut names: Vec<String> = std::fs::read_dir(&examples)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    for name in &names {
        let path = format!("examples/{name}");
        let output = mlp(&["lint", "--format", "sarif", &path]);
        validate_sarif(&output.stdout, name);
        let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(sarif["version"], "2.1.0");
        let run = &sarif["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], "mlp");
        for result in run["results"].as_array().unwrap() {
            let location = &result["locations"][0]["physicalLocation"];
            let uri = location["artifactLocation"]["uri"].as_str().unwrap();
            assert!(uri.starts_with(&format!("examples/{name}/")), "{uri}");
            let text = std::fs::read_to_string(root().join(uri)).unwrap();
            let line = location["region"]["startLine"].as_u64().unwrap() as usize;
            assert!(line >= 1 && line <= text.lines().count(), "{uri}:{line}");
            let id = result["ruleId"].as_str().unwrap();
            let index = result["ruleIndex"].as_u64().unwrap() as usize;
            let rule = &run["tool"]["driver"]["rules"][index];
            assert_eq!(rule["id"], id);
            assert!(rule["helpUri"]
                .as_str()
                .unwrap()
                .ends_with(&format!("{id}.md")));
            assert!(!rule["fullDescription"]["text"].as_str().unwrap().is_empty());
        }
    }
    // A waived finding and a check error validate too.
    let waived = waived("GOV013-triggers.mlp", "allow(GOV013, reason = \"audited\")");
    let output = mlp(&["lint", "--format", "sarif", waived.to_str().unwrap()]);
    validate_sarif(&output.stdout, "waived");
    let output = mlp(&["lint", "--format", "sarif", &fixture("GOV018-triggers.mlp")]);
    validate_sarif(&output.stdout, "GOV018");
}

#[test]
fn the_credit_example_meets_its_obligations_and_waives_one() {
    // A copy without the cache and runs: the approval on record is judged
    // against the model a run trains only when there is a run.
    let dir = common::project(&root().join("examples/credit"));
    let (report, status) = lint_json(&[dir.to_str().unwrap()]);
    assert_eq!(status, Some(0), "{report:#}");
    assert_eq!(codes(&report), Vec::<String>::new(), "{report:#}");
    let obligations = report["obligations"].as_array().unwrap();
    assert!(obligations.len() >= 15, "{obligations:?}");
    for o in obligations {
        assert_eq!(o["policy"], "eu_ai_act.high_risk", "{o}");
        assert!(o["message"].as_str().unwrap().starts_with("Art. "), "{o}");
        let expected = if o["rule"] == "GOV014" {
            "waived"
        } else {
            "met"
        };
        assert_eq!(o["status"], expected, "{o}");
    }
    let waived = obligations.iter().find(|o| o["rule"] == "GOV014").unwrap();
    assert!(waived["waivers"][0]
        .as_str()
        .unwrap()
        .contains("never deployed"));
}

#[test]
fn an_approval_holds_for_the_model_it_approved_only() {
    let dir = common::project(&root().join("examples/credit"));
    std::fs::remove_dir_all(dir.join("approvals")).unwrap();
    let path = dir.to_str().unwrap();
    let lint_codes = || codes(&lint_json(&[path]).0);
    assert_eq!(lint_codes(), ["GOV027"], "missing");

    let approve = |reason: &str| {
        mlp(&[
            "approve",
            path,
            "--deploy",
            "scoring_api",
            "--by",
            "officer@bank.example",
            "--reason",
            reason,
        ])
    };
    // Nothing to approve before a run.
    assert_eq!(approve("too early").status.code(), Some(2));
    assert_eq!(mlp(&["run", path]).status.code(), Some(0));
    let approved = approve("reviewed the run report");
    assert_eq!(
        approved.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&approved.stderr)
    );
    let records: Vec<PathBuf> = std::fs::read_dir(dir.join("approvals"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(records.len(), 1);
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(&records[0]).unwrap()).unwrap();
    assert_eq!(record["by"], "officer@bank.example");
    assert_eq!(record["model"], "scorer");
    assert_eq!(record["pipeline_version"], "1.0.0");
    assert_eq!(lint_codes(), Vec::<String>::new(), "approved");

    // Retrained with another penalty: the approval is of the old model.
    let main = dir.join("main.mlp");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, text.replace("l2 = 0.01", "l2 = 0.02")).unwrap();
    assert_eq!(mlp(&["run", path]).status.code(), Some(0));
    let (report, status) = lint_json(&[path]);
    assert_eq!(codes(&report), ["GOV027"], "stale");
    assert_eq!(status, Some(1));
    let message = finding(&report, "GOV027")["message"].as_str().unwrap();
    assert!(message.contains("officer@bank.example"), "{message}");

    // Bad approvers and reasons are refused.
    let bad = mlp(&[
        "approve",
        path,
        "--deploy",
        "scoring_api",
        "--by",
        "officer",
        "--reason",
        "x",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let bad = mlp(&[
        "approve",
        path,
        "--deploy",
        "nope",
        "--by",
        "a@b.example",
        "--reason",
        "x",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("scoring_api"));
}

#[test]
fn explain_prints_a_rule_page() {
    let output = mlp(&["explain", "GOV011"]);
    assert_eq!(output.status.code(), Some(0));
    let page = String::from_utf8(output.stdout).unwrap();
    assert!(page.starts_with("# GOV011: pii-in-features"), "{page}");
}

/// Thousands of findings print the first 200 and count the rest, as
/// `mlp check` does; `--format json` still lists every one.
#[test]
fn human_output_stops_at_200_findings_and_counts_the_rest() {
    let one = std::fs::read_to_string(root().join(fixture("GOV010-triggers.mlp"))).unwrap();
    let dir = common::project(&root().join(FIXTURES));
    let many = dir.join("many.mlp");
    let sources: String = (0..300)
        .map(|i| {
            format!(
                "\nsource extra_{i}: csv {{\n  path = \"data/x_{i}.csv\"\n  schema {{ a: int }}\n  expect {{ rows >= 1 }}\n}}\n"
            )
        })
        .collect();
    std::fs::write(&many, one + &sources).unwrap();
    let output = mlp(&["lint", many.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    let (json, _) = lint_json(&[many.to_str().unwrap()]);
    let total = json["findings"].as_array().map_or(0, Vec::len);
    assert!(total > 600, "{total}");
    assert!(
        said.contains(&format!("… and {} more", total - 200)),
        "{}",
        &said[said.len().saturating_sub(500)..]
    );
}
