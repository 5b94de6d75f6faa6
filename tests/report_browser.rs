//! The report of each example in a real browser: Debian's headless Chromium
//! driven by playwright-core (`tests/browser/open_report.mjs`). The page
//! loads offline with no console error, and each plot the model's kind
//! calls for is drawn (a labelled SVG with a size). A screenshot of each
//! report is saved beside it (`report.png`), under the test's temporary
//! folder.
mod common;

use common::{example_run, tool_available};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Whether Chromium and the test's node packages are there (`.ci/run`
/// installs both and sets MLP_REQUIRE_TOOLS).
fn browser_available() -> bool {
    let packages = common::root().join("tests/browser/node_modules/playwright-core");
    if !packages.is_dir() {
        assert!(
            std::env::var_os("MLP_REQUIRE_TOOLS").is_none(),
            "tests/browser/node_modules is required: npm ci --prefix tests/browser"
        );
        eprintln!("skipped: npm ci --prefix tests/browser first");
        return false;
    }
    tool_available("node", "--version") && tool_available("chromium", "--version")
}

fn open(report: &Path) -> Value {
    let screenshot = report.with_extension("png");
    let output = Command::new("node")
        .arg(common::root().join("tests/browser/open_report.mjs"))
        .arg(report)
        .arg(&screenshot)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", common::text(&output));
    assert!(
        screenshot.metadata().unwrap().len() > 10_000,
        "no screenshot"
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn every_example_s_report_draws_its_plots_in_chromium_without_errors() {
    if !browser_available() {
        return;
    }
    for (example, plots) in [
        (
            "credit",
            &[
                "Confusion matrix",
                "ROC curve",
                "Precision-recall curve",
                "Coefficients",
            ][..],
        ),
        ("diamonds", &["Predicted vs actual", "Coefficients"][..]),
        (
            "penguins",
            &[
                "Confusion matrix",
                "Feature importances",
                "Cluster sizes",
                "Spread over the folds",
            ][..],
        ),
    ] {
        let (_, run) = example_run(example);
        let page = open(&run.join("report.html"));
        assert_eq!(page["errors"], serde_json::json!([]), "{example}: {page}");
        let drawn: Vec<&str> = page["plots"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["width"].as_f64() > Some(50.0) && p["height"].as_f64() > Some(50.0))
            .filter_map(|p| p["label"].as_str())
            .collect();
        for plot in plots {
            assert!(drawn.contains(plot), "{example}: no {plot} in {drawn:?}");
        }
        for section in ["Gates", "Models", "Pipeline", "Data", "Lineage", "Stages"] {
            assert!(
                page["sections"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s == section),
                "{example}: no {section} section in {}",
                page["sections"]
            );
        }
        assert!(
            page["graph"]["width"].as_f64() > Some(100.0),
            "{example}: the pipeline graph is not drawn: {}",
            page["graph"]
        );
        // Light page, dark ink; in the dark scheme, the other way round.
        assert_eq!(page["light"]["background"], "rgb(245, 247, 250)", "{page}");
        assert_eq!(page["light"]["plotText"], "rgb(29, 36, 48)", "{page}");
        assert_eq!(page["dark"]["background"], "rgb(17, 21, 27)", "{page}");
        assert_eq!(page["dark"]["plotText"], "rgb(227, 231, 238)", "{page}");
    }
}
