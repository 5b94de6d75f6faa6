//! The run report: a self-contained page, escaped, deterministic, drawable
//! from degenerate data; and the ROC curve against scikit-learn.

use std::collections::BTreeMap;

use mlp::exec::metrics::{ClassScores, ResidualSummary};
use mlp::exec::profile::{ColumnProfile, SourceProfile, Summary};
use mlp::exec::report::{
    precision_recall_points, render, roc_points, Confusion, ExpectationResult, GateResult, Lineage,
    ModelReport, PerClass, ReportData, StageReport, Weights,
};

// ------------------------------------------------------------------ data

/// A deterministic pseudo-random stream in `[0, 1)` (a 64-bit LCG), so the
/// sample data needs no dependency and never changes.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Roughly normal (sum of uniforms).
    fn normal(&mut self) -> f64 {
        (0..6).map(|_| self.next()).sum::<f64>() - 3.0
    }
}

/// FNV-1a, to give each sample stage a distinct, stable hash.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

fn metrics(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn blank_model(name: &str, algorithm: &str, kind: &str) -> ModelReport {
    ModelReport {
        name: name.to_string(),
        algorithm: algorithm.to_string(),
        kind: kind.to_string(),
        evaluated_on: "holdout.test".to_string(),
        ..Default::default()
    }
}

fn classifier() -> ModelReport {
    let mut rng = Lcg(7);
    let positives: Vec<bool> = (0..400).map(|i| i % 3 == 0).collect();
    let scores: Vec<f64> = positives
        .iter()
        .map(|&p| {
            let shift = if p { 0.15 } else { -0.1 };
            (0.45 + shift + 0.25 * rng.normal()).clamp(0.0, 1.0)
        })
        .collect();
    let features = [
        "age",
        "annual_income",
        "debt_ratio",
        "log_income",
        "home_owner",
        "home_rent",
        "years_employed",
        "open_accounts",
        "late_payments_12m",
        "utilisation",
        "loan_amount",
        "term_months",
        "region_north",
        "region_south",
        "region_east",
        "region_west",
        "has_guarantor",
        "credit_history_years",
        "inquiries_6m",
        "savings",
        "checking_balance",
        "num_dependents",
        "employment_type_self",
        "employment_type_salaried",
        "previous_defaults",
    ];
    let values = features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let sign = if i % 3 == 1 { -1.0 } else { 1.0 };
            (f.to_string(), sign * (2.0 - i as f64 * 0.075) * rng.next())
        })
        .collect();
    ModelReport {
        rows: 400,
        metrics: metrics(&[
            ("accuracy", 0.8125),
            ("f1", 0.7301),
            ("precision", 0.6875),
            ("recall", 0.7778),
            ("roc_auc", 0.8222),
            ("log_loss", 0.4213),
        ]),
        confusion: Some(Confusion {
            labels: vec!["good".to_string(), "bad".to_string()],
            matrix: vec![vec![227, 40], vec![35, 98]],
        }),
        roc: Some(roc_points(&scores, &positives)),
        precision_recall: Some(precision_recall_points(&scores, &positives)),
        per_class: Some(PerClass {
            labels: vec!["good".to_string(), "bad".to_string()],
            scores: vec![
                ClassScores {
                    precision: 0.8664,
                    recall: 0.8502,
                    f1: 0.8582,
                    support: 267,
                },
                ClassScores {
                    precision: 0.7101,
                    recall: 0.7368,
                    f1: 0.7232,
                    support: 133,
                },
            ],
            macro_average: ClassScores {
                precision: (0.8664 + 0.7101) / 2.0,
                recall: (0.8502 + 0.7368) / 2.0,
                f1: (0.8582 + 0.7232) / 2.0,
                support: 400,
            },
            weighted_average: ClassScores {
                precision: (0.8664 * 267.0 + 0.7101 * 133.0) / 400.0,
                recall: (0.8502 * 267.0 + 0.7368 * 133.0) / 400.0,
                f1: (0.8582 * 267.0 + 0.7232 * 133.0) / 400.0,
                support: 400,
            },
        }),
        undefined: [(
            "demographic_parity_difference".to_string(),
            "only one group <present>".to_string(),
        )]
        .into_iter()
        .collect(),
        weights: Some(Weights {
            title: "Coefficients".to_string(),
            values,
        }),
        ..blank_model("scorer", "logistic_regression", "classifier")
    }
}

fn multiclass() -> ModelReport {
    ModelReport {
        rows: 69,
        metrics: metrics(&[
            ("accuracy", 0.9565),
            ("f1_macro", 0.9487),
            ("precision_macro", 0.9512),
            ("recall_macro", 0.9466),
        ]),
        confusion: Some(Confusion {
            labels: vec![
                "Adelie".to_string(),
                "Chinstrap".to_string(),
                "Gentoo".to_string(),
            ],
            matrix: vec![vec![29, 1, 0], vec![2, 12, 0], vec![0, 0, 25]],
        }),
        weights: Some(Weights {
            title: "Feature importances".to_string(),
            values: vec![
                ("flipper_length_mm".to_string(), 0.52),
                ("bill_length_mm".to_string(), 0.31),
                ("bill_depth_mm".to_string(), 0.12),
                ("body_mass_g".to_string(), 0.05),
                ("island_Dream".to_string(), 0.0),
            ],
        }),
        ..blank_model("species", "decision_tree", "classifier")
    }
}

fn regressor(n: usize) -> ModelReport {
    let mut rng = Lcg(11);
    let residuals = (0..n)
        .map(|_| {
            let actual = 300.0 + 18_000.0 * rng.next().powi(2);
            let predicted = actual * (1.0 + 0.12 * rng.normal()) - 150.0;
            (predicted, actual)
        })
        .collect();
    ModelReport {
        rows: n,
        metrics: metrics(&[
            ("rmse", 1234.5678),
            ("mae", 801.25),
            ("r2", 0.9137),
            ("mape", 0.1842),
        ]),
        residuals: Some(residuals),
        residual_summary: Some(ResidualSummary {
            mean: 12.5,
            std: 1190.0,
            min: -5210.25,
            p05: -1900.0,
            p25: -610.0,
            median: 4.75,
            p75: 640.0,
            p95: 2010.0,
            max: 6120.5,
            max_abs: 6120.5,
        }),
        weights: Some(Weights {
            title: "Coefficients".to_string(),
            values: vec![
                ("carat".to_string(), 4132.7),
                ("depth".to_string(), -61.2),
                ("table".to_string(), -29.8),
                ("cut_Ideal".to_string(), 812.4),
                ("clarity_SI2".to_string(), -1650.0),
            ],
        }),
        evaluated_on: "split.test".to_string(),
        ..blank_model("price", "ridge", "regressor")
    }
}

fn clusterer() -> ModelReport {
    ModelReport {
        rows: 150,
        metrics: metrics(&[("silhouette", 0.5528)]),
        clusters: Some(vec![
            ("cluster 0".to_string(), 50),
            ("cluster 1".to_string(), 62),
            ("cluster 2".to_string(), 38),
        ]),
        evaluated_on: "iris".to_string(),
        ..blank_model("segments", "kmeans", "clusterer")
    }
}

fn report(models: Vec<ModelReport>) -> ReportData {
    let stage = |name: &str, kind: &str, rows: Option<usize>, ms: f64, cached: bool| StageReport {
        name: name.to_string(),
        kind: kind.to_string(),
        rows,
        duration_ms: ms,
        cached,
        output_hash: format!("blake3:{:016x}{:048}", fnv(name), 0),
    };
    ReportData {
        pipeline: "credit".to_string(),
        run_id: "20250101-120000-3f2a".to_string(),
        mlp_version: "0.1.0".to_string(),
        models,
        gates: vec![
            GateResult {
                policy: "launch_bar".to_string(),
                rule: "scorer.accuracy >= 0.75".to_string(),
                severity: "error".to_string(),
                evaluated: true,
                passed: true,
                value: Some(0.8125),
                bound: ">= 0.75".to_string(),
                message: None,
            },
            GateResult {
                policy: "baseline.production".to_string(),
                rule: "scorer.roc_auc >= 0.9".to_string(),
                severity: "warning".to_string(),
                evaluated: true,
                passed: false,
                value: Some(0.8222),
                bound: ">= 0.9".to_string(),
                message: Some("AUC below the production baseline".to_string()),
            },
        ],
        stages: vec![
            stage("loans", "source", Some(1000), 42.7, true),
            stage("features", "transform", Some(987), 18.3, true),
            stage("holdout", "split", Some(987), 3.1, false),
            stage("scorer", "model", None, 1520.0, false),
            stage("evaluate scorer", "evaluate", Some(198), 12.9, false),
        ],
        expectations: vec![
            ExpectationResult {
                source: "loans".to_string(),
                expectation: "rows >= 100".to_string(),
                passed: true,
                detail: "1000 rows".to_string(),
            },
            ExpectationResult {
                source: "loans".to_string(),
                expectation: "nulls(income) <= 0.2".to_string(),
                passed: true,
                detail: "3.1% null".to_string(),
            },
        ],
        profiles: vec![SourceProfile {
            source: "loans".to_string(),
            rows: 1000,
            columns: vec![
                ColumnProfile {
                    name: "income".to_string(),
                    ty: "float?".to_string(),
                    nulls: 31,
                    summary: Summary::Numeric {
                        min: 1200.0,
                        max: 98000.5,
                        mean: 41250.25,
                        std: 15000.0,
                        histogram: vec![3, 40, 180, 260, 210, 150, 70, 30, 15, 8, 2, 1],
                    },
                },
                ColumnProfile {
                    name: "status".to_string(),
                    ty: "enum(\"good\", \"bad\")".to_string(),
                    nulls: 0,
                    summary: Summary::Categories {
                        counts: vec![("good".to_string(), 720), ("bad".to_string(), 280)],
                    },
                },
                ColumnProfile {
                    name: "email".to_string(),
                    ty: "str".to_string(),
                    nulls: 0,
                    summary: Summary::Withheld {
                        why: "@pii: values are not profiled".to_string(),
                    },
                },
            ],
        }],
        graph_svg: Some("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><title>graph</title></svg>".to_string()),
        lineage: vec![Lineage {
            model: "scorer".to_string(),
            algorithm: "logistic_regression".to_string(),
            model_hash: "0123456789abcdef0123456789abcdef".to_string(),
            trained_on: "prepared.train".to_string(),
            rows: 789,
            data_hash: "fedcba9876543210fedcba9876543210".to_string(),
            source_files: vec![("data/loans.csv".to_string(), "00112233445566778899aabbccddeeff".to_string())],
            evaluations: vec!["prepared.test".to_string()],
        }],
    }
}

fn full_report() -> ReportData {
    report(vec![
        classifier(),
        multiclass(),
        regressor(3000),
        clusterer(),
    ])
}

// ---------------------------------------------------------------- checks

/// Numeric SVG attributes: each must hold finite numbers only.
const NUMERIC_ATTRIBUTES: &[&str] = &[
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "width",
    "height",
    "points",
    "font-size",
];

/// Every number in every numeric attribute, with the attribute's name.
fn numeric_attributes(page: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for name in NUMERIC_ATTRIBUTES {
        let needle = format!(" {name}=\"");
        let mut rest = page;
        while let Some(at) = rest.find(&needle) {
            rest = &rest[at + needle.len()..];
            let end = rest.find('"').expect("attribute is closed");
            found.push((name.to_string(), rest[..end].to_string()));
            rest = &rest[end..];
        }
    }
    found
}

fn assert_well_formed(page: &str) {
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.trim_end().ends_with("</html>"));
    for forbidden in [
        "http://", "https://", "src=", "<script", "<link", "@import", "url(",
    ] {
        assert!(
            !page.to_lowercase().contains(forbidden),
            "the page must be self-contained, found {forbidden}"
        );
    }
    for bad in ["NaN", "Infinity", "inf\"", "\"inf", "-inf"] {
        assert!(!page.contains(bad), "found {bad} in the page");
    }
    let attributes = numeric_attributes(page);
    assert!(!attributes.is_empty() || !page.contains("<svg"));
    for (name, value) in attributes {
        for number in value.split([' ', ',']).filter(|s| !s.is_empty()) {
            let parsed: f64 = number
                .parse()
                .unwrap_or_else(|_| panic!("{name}=\"{value}\" is not numeric"));
            assert!(parsed.is_finite(), "{name}=\"{value}\"");
        }
    }
    assert_eq!(page.matches("<svg").count(), page.matches("</svg>").count());
    assert_eq!(
        page.matches("<figure>").count(),
        page.matches("</figure>").count()
    );
}

/// The part of the page for one model (its card).
fn card<'a>(page: &'a str, name: &str) -> &'a str {
    let start = page
        .find(&format!("<section class=\"model\"><h3>{name}</h3>"))
        .unwrap_or_else(|| panic!("no card for {name}"));
    let end = page[start..].find("</section>").expect("card is closed") + start;
    &page[start..end]
}

// ----------------------------------------------------------------- tests

#[test]
fn full_report_is_self_contained_and_has_every_plot() {
    let data = full_report();
    let page = render(&data);
    assert_well_formed(&page);
    assert!(page.contains("<h1>credit</h1>"));
    assert!(page.contains("20250101-120000-3f2a"));
    assert!(page.contains("mlp 0.1.0"));

    let scorer = card(&page, "scorer");
    for plot in ["Confusion matrix", "ROC curve", "Coefficients"] {
        assert!(
            scorer.contains(&format!("<figcaption>{plot}</figcaption>\n<svg")),
            "{plot}"
        );
    }
    assert!(scorer.contains("AUC = "));
    assert!(scorer.contains(">227<") && scorer.contains(">98<"));
    assert!(scorer.contains(">Predicted<") && scorer.contains(">Actual<"));

    let species = card(&page, "species");
    assert!(species.contains("<figcaption>Confusion matrix</figcaption>\n<svg"));
    assert!(species.contains("<figcaption>Feature importances</figcaption>\n<svg"));
    for label in ["Adelie", "Chinstrap", "Gentoo"] {
        assert!(species.contains(&format!(">{label}<")), "{label}");
    }
    assert!(!species.contains("ROC curve"));

    let price = card(&page, "price");
    assert!(price.contains("<figcaption>Predicted vs actual</figcaption>\n<svg"));
    assert!(price.contains("y = x"));
    assert!(price.contains(">-1650<"), "negative coefficient value");
    assert!(
        price.contains("#d9652b"),
        "negative bars in their own colour"
    );

    let segments = card(&page, "segments");
    assert!(segments.contains("<figcaption>Cluster sizes</figcaption>\n<svg"));
    assert!(segments.contains("62 (41.3%)"));

    for model in &data.models {
        let section = card(&page, &model.name);
        for (name, value) in &model.metrics {
            let row = format!("<tr><td>{name}</td><td class=\"num\">{value:.4}</td></tr>");
            assert!(section.contains(&row), "{}: {row}", model.name);
        }
    }
    assert!(page.contains("scorer.roc_auc &gt;= 0.9"));
    assert!(page.contains("AUC below the production baseline"));
    assert!(page.contains("Passed with warnings"));
    for stage in &data.stages {
        assert!(page.contains(&format!("<code>{}</code>", stage.name)));
    }
    assert!(page.contains("1.52 s") && page.contains("42.7 ms"));
    assert!(page.contains("nulls(income) &lt;= 0.2"));
}

#[test]
fn residuals_are_subsampled_to_two_thousand_points() {
    let page = render(&report(vec![regressor(10_000)]));
    assert_well_formed(&page);
    assert_eq!(page.matches("<circle").count(), 2000);
    assert!(page.contains("2,000 of 10,000 points shown"));
    let small = render(&report(vec![regressor(150)]));
    assert_eq!(small.matches("<circle").count(), 150);
    assert!(!small.contains("points shown"));
}

#[test]
fn weights_show_the_top_twenty_by_absolute_value() {
    let values: Vec<(String, f64)> = (0..30)
        .map(|i| {
            let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
            (format!("feature_{i:02}"), sign * i as f64)
        })
        .collect();
    let model = ModelReport {
        weights: Some(Weights {
            title: "Coefficients".to_string(),
            values,
        }),
        ..blank_model("m", "linear_regression", "regressor")
    };
    let page = render(&report(vec![model]));
    assert_well_formed(&page);
    for i in 10..30 {
        assert!(
            page.contains(&format!(">feature_{i:02}<")),
            "feature_{i:02}"
        );
    }
    for i in 0..10 {
        assert!(
            !page.contains(&format!(">feature_{i:02}<")),
            "feature_{i:02}"
        );
    }
    let first = page.find(">feature_29<").expect("largest shown");
    let second = page.find(">feature_28<").expect("second shown");
    let last = page.find(">feature_10<").expect("smallest kept shown");
    assert!(first < second && second < last, "sorted by absolute value");
    assert!(page.contains("Top 20 of 30 by absolute value."));
}

/// The profile's and the lineage's user strings set to `hostile`.
fn model_strings_hostile(data: &mut ReportData, hostile: &str) {
    let profile = &mut data.profiles[0];
    profile.source = hostile.to_string();
    profile.columns[0].name = hostile.to_string();
    profile.columns[1].ty = hostile.to_string();
    profile.columns[1].summary = Summary::Categories {
        counts: vec![(hostile.to_string(), 3), ("</svg>".to_string(), 1)],
    };
    let lineage = &mut data.lineage[0];
    lineage.model = hostile.to_string();
    lineage.trained_on = hostile.to_string();
    lineage.source_files = vec![(hostile.to_string(), hostile.to_string())];
    lineage.evaluations = vec![hostile.to_string()];
}

#[test]
fn hostile_names_are_escaped() {
    let hostile = "<script>alert(\"x\")</script>&'";
    let mut model = classifier();
    model.name = hostile.to_string();
    model.algorithm = hostile.to_string();
    model.evaluated_on = hostile.to_string();
    model.metrics.insert(hostile.to_string(), 0.5);
    model.confusion = Some(Confusion {
        labels: vec![hostile.to_string(), "<b>".to_string()],
        matrix: vec![vec![1, 2], vec![3, 4]],
    });
    model.weights = Some(Weights {
        title: hostile.to_string(),
        values: vec![(hostile.to_string(), 1.0), ("</svg>".to_string(), -1.0)],
    });
    let mut clusters = clusterer();
    clusters.clusters = Some(vec![(hostile.to_string(), 3)]);
    let mut data = report(vec![model, clusters]);
    data.pipeline = hostile.to_string();
    data.run_id = hostile.to_string();
    data.mlp_version = hostile.to_string();
    data.gates[0].policy = hostile.to_string();
    data.gates[0].rule = hostile.to_string();
    data.gates[0].bound = hostile.to_string();
    data.gates[1].message = Some(hostile.to_string());
    data.stages[0].name = hostile.to_string();
    data.stages[0].output_hash = hostile.to_string();
    data.expectations[0].detail = hostile.to_string();
    data.expectations[1].expectation = hostile.to_string();
    model_strings_hostile(&mut data, hostile);

    let page = render(&data);
    assert_well_formed(&page);
    assert!(!page.contains("<b>"));
    assert!(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"));
    // Confusion, ROC, precision-recall, coefficients, cluster sizes, the
    // graph and two distributions.
    assert_eq!(
        page.matches("</svg>").count(),
        8,
        "one per plot, none injected"
    );
}

#[test]
fn degenerate_inputs_render_without_nan() {
    let all_equal = ModelReport {
        rows: 1,
        metrics: metrics(&[("r2", f64::NAN), ("rmse", f64::INFINITY), ("mae", 0.0)]),
        residuals: Some(vec![(5.0, 5.0), (5.0, 5.0)]),
        weights: Some(Weights {
            title: "Coefficients".to_string(),
            values: vec![("a".to_string(), 0.0), ("b".to_string(), 0.0)],
        }),
        ..blank_model("constant", "linear_regression", "regressor")
    };
    let single = ModelReport {
        residuals: Some(vec![(0.0, 0.0)]),
        roc: Some(vec![(0.0, 0.0)]),
        confusion: Some(Confusion {
            labels: vec!["only".to_string()],
            matrix: vec![vec![0]],
        }),
        clusters: Some(vec![("c0".to_string(), 0)]),
        ..blank_model("single", "svm", "classifier")
    };
    let empty = ModelReport {
        residuals: Some(Vec::new()),
        roc: Some(Vec::new()),
        confusion: Some(Confusion {
            labels: Vec::new(),
            matrix: Vec::new(),
        }),
        weights: Some(Weights {
            title: String::new(),
            values: Vec::new(),
        }),
        clusters: Some(Vec::new()),
        ..blank_model("empty", "kmeans", "clusterer")
    };
    let non_finite = ModelReport {
        residuals: Some(vec![
            (f64::NAN, 1.0),
            (f64::INFINITY, 2.0),
            (1e308, -1e308),
            (3.0, f64::NEG_INFINITY),
            (2.0, 2.5),
        ]),
        roc: Some(vec![
            (0.0, 0.0),
            (f64::NAN, 0.5),
            (0.5, f64::INFINITY),
            (2.0, -1.0),
            (1.0, 1.0),
        ]),
        weights: Some(Weights {
            title: "Coefficients".to_string(),
            values: vec![
                ("nan".to_string(), f64::NAN),
                ("inf".to_string(), f64::INFINITY),
                ("big".to_string(), -1e300),
                ("tiny".to_string(), 1e-300),
            ],
        }),
        // A ragged matrix with more classes than labels.
        confusion: Some(Confusion {
            labels: vec!["a".to_string()],
            matrix: vec![vec![3], vec![1, u64::MAX], vec![]],
        }),
        ..blank_model("broken", "ridge", "regressor")
    };
    let mut many_classes = blank_model("many", "gaussian_nb", "classifier");
    many_classes.confusion = Some(Confusion {
        labels: (0..120).map(|i| format!("class_{i}")).collect(),
        matrix: (0..120).map(|i| vec![i as u64; 120]).collect(),
    });

    let data = report(vec![all_equal, single, empty, non_finite, many_classes]);
    let page = render(&data);
    assert_well_formed(&page);
    assert!(page.contains("<td>r2</td><td class=\"num\">n/a</td>"));
    assert!(page.contains("<td>rmse</td><td class=\"num\">n/a</td>"));
    assert!(page.contains("Not enough points for a ROC curve"));
    assert!(page.contains("No finite predictions to plot."));
    assert!(page.contains("No classes to show."));
    assert!(page.contains("No clusters to show."));
    assert!(page.contains("2 non-finite values left out."));
    assert!(page.contains("3 non-finite points left out."));
    assert!(page.contains("First 40 of 120 classes shown."));

    let mut nothing = report(Vec::new());
    nothing.gates.clear();
    nothing.stages.clear();
    nothing.expectations.clear();
    nothing.profiles.clear();
    nothing.graph_svg = None;
    nothing.lineage.clear();
    nothing.stages.push(StageReport {
        name: "s".to_string(),
        kind: "source".to_string(),
        rows: None,
        duration_ms: f64::NAN,
        cached: false,
        output_hash: String::new(),
    });
    let page = render(&nothing);
    assert_well_formed(&page);
    assert!(page.contains("No model was evaluated in this run."));
    assert!(page.contains("No metric gates were evaluated in this run."));
    assert!(page.contains("No expectations were declared."));
    assert!(!page.contains("<svg"));
}

#[test]
fn failures_set_the_status() {
    let mut data = full_report();
    assert!(render(&data).contains("Passed with warnings"));
    data.gates[1].passed = true;
    assert!(render(&data).contains(">Passed<"));
    data.expectations[0].passed = false;
    assert!(render(&data).contains(">Failed<"));
    data.expectations[0].passed = true;
    data.gates[0].passed = false;
    let page = render(&data);
    assert!(page.contains(">Failed<"));
    assert!(page.contains("<span class=\"badge fail\">fail</span>"));
}

#[test]
fn rendering_is_deterministic_and_survives_json() {
    let data = full_report();
    let first = render(&data);
    assert_eq!(first, render(&data));
    let json = serde_json::to_string(&data).expect("encode");
    let back: ReportData = serde_json::from_str(&json).expect("decode");
    assert_eq!(first, render(&back));
}

/// Writes the sample page to `$MLP_REPORT_SAMPLE` when set, to look at in a
/// browser; always checks it.
#[test]
fn sample_page() {
    let page = render(&full_report());
    assert_well_formed(&page);
    // Four model cards' plots (confusion, ROC, precision-recall and
    // coefficients of the binary classifier, two of the multiclass one,
    // two of the regressor, one of the clusterer), the pipeline graph, and
    // one distribution per profiled column that is not withheld.
    assert_eq!(page.matches("<svg").count(), 9 + 1 + 2);
    if let Some(path) = std::env::var_os("MLP_REPORT_SAMPLE") {
        std::fs::write(path, &page).expect("write the sample page");
    }
}

// ------------------------------------------------------------------- ROC

// Expected curves computed with scikit-learn 1.9.1:
//
// ```python
// from sklearn.metrics import roc_curve
// cases = {
//     "ties": ([0, 0, 1, 1, 0, 1, 1, 0, 1, 0], [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9, 0.2, 0.35, 0.9]),
//     "distinct": ([1, 0, 1, 1, 0, 0, 1, 0], [0.95, 0.9, 0.7, 0.65, 0.4, 0.3, 0.2, 0.05]),
//     "all_tied": ([0, 1, 1, 0, 1], [0.5] * 5),
//     "negative_scores": ([0, 1, 0, 1, 1, 0], [-2.5, 1.25, -0.0, 0.0, 3.0, -7.0]),
// }
// for name, (y, s) in cases.items():
//     fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
//     print(name, [(float(a), float(b)) for a, b in zip(fpr, tpr)])
// ```

fn labels(y: &[u8]) -> Vec<bool> {
    y.iter().map(|&v| v == 1).collect()
}

#[test]
fn roc_points_match_scikit_learn() {
    let ties = roc_points(
        &[0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9, 0.2, 0.35, 0.9],
        &labels(&[0, 0, 1, 1, 0, 1, 1, 0, 1, 0]),
    );
    assert_eq!(
        ties,
        vec![
            (0.0, 0.0),
            (0.2, 0.2),
            (0.2, 0.4),
            (0.6, 0.6),
            (0.6, 1.0),
            (0.8, 1.0),
            (1.0, 1.0)
        ]
    );
    let distinct = roc_points(
        &[0.95, 0.9, 0.7, 0.65, 0.4, 0.3, 0.2, 0.05],
        &labels(&[1, 0, 1, 1, 0, 0, 1, 0]),
    );
    assert_eq!(
        distinct,
        vec![
            (0.0, 0.0),
            (0.0, 0.25),
            (0.25, 0.25),
            (0.25, 0.5),
            (0.25, 0.75),
            (0.5, 0.75),
            (0.75, 0.75),
            (0.75, 1.0),
            (1.0, 1.0)
        ]
    );
    let all_tied = roc_points(&[0.5; 5], &labels(&[0, 1, 1, 0, 1]));
    assert_eq!(all_tied, vec![(0.0, 0.0), (1.0, 1.0)]);
    let negative = roc_points(
        &[-2.5, 1.25, -0.0, 0.0, 3.0, -7.0],
        &labels(&[0, 1, 0, 1, 1, 0]),
    );
    assert_eq!(
        negative,
        vec![
            (0.0, 0.0),
            (0.0, 0.3333333333333333),
            (0.0, 0.6666666666666666),
            (0.3333333333333333, 1.0),
            (0.6666666666666666, 1.0),
            (1.0, 1.0)
        ]
    );
}

#[test]
fn roc_points_without_both_classes_are_empty() {
    assert!(roc_points(&[0.1, 0.2], &[true, true]).is_empty());
    assert!(roc_points(&[0.1, 0.2], &[false, false]).is_empty());
    assert!(roc_points(&[], &[]).is_empty());
    assert!(roc_points(&[0.1], &[true, false]).is_empty());
    // A NaN score is left out, the rest still makes a curve.
    assert_eq!(
        roc_points(&[f64::NAN, 0.9, 0.1], &[true, true, false]),
        vec![(0.0, 0.0), (0.0, 1.0), (1.0, 1.0)]
    );
    // Infinite scores are ordered like any other.
    assert_eq!(
        roc_points(&[f64::INFINITY, f64::NEG_INFINITY], &[true, false]),
        vec![(0.0, 0.0), (0.0, 1.0), (1.0, 1.0)]
    );
}

#[test]
fn roc_legend_shows_the_area() {
    let mut model = blank_model("m", "svm", "classifier");
    model.roc = Some(roc_points(
        &[0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9, 0.2, 0.35, 0.9],
        &labels(&[0, 0, 1, 1, 0, 1, 1, 0, 1, 0]),
    ));
    // scikit-learn's roc_auc_score on the same data: 0.62.
    assert!(render(&report(vec![model])).contains("Model (AUC = 0.620)"));
}

#[test]
fn the_groups_table_lists_every_group_escaped() {
    use mlp::exec::report::{GroupRow, GroupTable};
    let hostile = "<script>alert(\"x\")</script>&'";
    let row = |group: &str, rows: usize, recall: f64| GroupRow {
        group: group.to_string(),
        rows,
        metrics: metrics(&[
            ("recall_by_group", recall),
            ("selection_rate_by_group", 0.25),
            (hostile, f64::NAN),
        ]),
    };
    let mut model = classifier();
    model.groups = Some(GroupTable {
        column: hostile.to_string(),
        groups: vec![row("f", 1234, 0.5), row(hostile, 7, 0.0)],
    });
    let page = render(&report(vec![model]));
    assert_well_formed(&page);
    assert!(!page.contains("<script>"));
    assert!(page.contains(
        "By group of <code>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</code>"
    ));
    // Metric names lose their `_by_group`; counts and values are formatted.
    assert!(page.contains("<th class=\"num\">recall</th><th class=\"num\">selection_rate</th>"));
    assert!(page.contains("<tr><td>f</td><td class=\"num\">1,234</td>"));
    assert!(page.contains("<td class=\"num\">0.5000</td>"));
    assert!(page.contains("<td class=\"num\">n/a</td>"), "a NaN is n/a");
    // Without groups, no table.
    assert!(!render(&report(vec![classifier()])).contains("By group of"));
}

// ------------------------------------------------- precision-recall, data

// Expected with scikit-learn 1.9.1:
// `precision_recall_curve([0,0,1,1,0,1,1,0,1,0], [0.1,0.4,0.35,0.8,0.4,0.4,0.9,0.2,0.35,0.9], drop_intermediate=False)`
// gives precision [0.5, 0.5556, 0.625, 0.5, 0.6667, 0.5, 1.0] and recall
// [1, 1, 1, 0.6, 0.4, 0.2, 0] (from the lowest threshold up); mlp lists the
// same points from the highest threshold down, as (recall, precision).
#[test]
fn precision_recall_points_match_scikit_learn() {
    let y = [0, 0, 1, 1, 0, 1, 1, 0, 1, 0];
    let s = [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9, 0.2, 0.35, 0.9];
    let precision = [
        0.5,
        0.5555555555555556,
        0.625,
        0.5,
        0.6666666666666666,
        0.5,
        1.0,
    ];
    let recall = [1.0, 1.0, 1.0, 0.6, 0.4, 0.2, 0.0];
    let expected: Vec<(f64, f64)> = recall.iter().copied().zip(precision).rev().collect();
    let got = precision_recall_points(&s, &labels(&y));
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(&expected) {
        assert!(
            (g.0 - e.0).abs() < 1e-12 && (g.1 - e.1).abs() < 1e-12,
            "{got:?}"
        );
    }
    assert!(precision_recall_points(&[0.3, 0.4], &[false, false]).is_empty());
}

#[test]
fn the_binary_card_has_a_precision_recall_curve_with_its_average_precision() {
    let page = render(&full_report());
    let scorer = card(&page, "scorer");
    assert!(scorer.contains("<figcaption>Precision-recall curve</figcaption>\n<svg"));
    assert!(scorer.contains("AP = "));
    assert!(!card(&page, "species").contains("Precision-recall"));
}

#[test]
fn the_classification_report_lists_every_class_and_both_averages() {
    let page = render(&full_report());
    let scorer = card(&page, "scorer");
    assert!(scorer.contains("<h4 class=\"groups\">Per class</h4>"));
    assert!(scorer.contains(
        "<tr><td>bad</td><td class=\"num\">0.7101</td><td class=\"num\">0.7368</td><td class=\"num\">0.7232</td><td class=\"num\">133</td></tr>"
    ));
    // Macro: (0.8664 + 0.7101) / 2; weighted by 267 and 133 rows.
    let macro_precision = (0.8664 + 0.7101) / 2.0;
    assert!(scorer.contains(&format!(
        "<td>macro average</td><td class=\"num\">{macro_precision:.4}</td>"
    )));
    let weighted = (0.8664 * 267.0 + 0.7101 * 133.0) / 400.0;
    assert!(scorer.contains(&format!(
        "<td>weighted average</td><td class=\"num\">{weighted:.4}</td>"
    )));
}

#[test]
fn an_undefined_metric_is_shown_with_its_reason_escaped() {
    let page = render(&full_report());
    let scorer = card(&page, "scorer");
    assert!(scorer.contains("<td>demographic_parity_difference</td><td class=\"num\"><span class=\"badge warn\" title=\"only one group &lt;present&gt;\">not defined</span>"));
    assert!(scorer.contains("is not defined on these rows: only one group &lt;present&gt;"));
}

#[test]
fn the_regressor_card_summarises_its_residuals() {
    let page = render(&full_report());
    let price = card(&page, "price");
    assert!(price.contains("Residuals (actual − predicted)"));
    for cell in ["12.50", "-5210", "6120"] {
        assert!(
            price.contains(&format!("<td class=\"num\">{cell}")),
            "{cell}"
        );
    }
}

#[test]
fn the_data_section_profiles_each_column_without_raw_values() {
    let page = render(&full_report());
    let data = &page[page.find("<h2>Data</h2>").expect("a data section")..];
    assert!(data.contains("loans · 1,000 rows"));
    assert!(data.contains(
        "<code>income</code></td><td><code>float?</code></td><td class=\"num\">31 (3.1%)</td>"
    ));
    assert!(data.contains("min 1200 · mean 41250 · max 98000 · std 15000"));
    assert!(data.contains("good: 720 · bad: 280"));
    assert!(data.contains("@pii: values are not profiled"));
}

#[test]
fn the_pipeline_graph_and_lineage_are_shown() {
    let page = render(&full_report());
    assert!(page.contains("<h2>Pipeline</h2>\n<div class=\"graph\"><svg"));
    let lineage = &page[page.find("<h2>Lineage</h2>").expect("a lineage section")..];
    for text in [
        "<code>data/loans.csv</code>",
        "<code>prepared.train</code> · 789 rows",
        "<code>models/scorer.json</code>",
        "title=\"0123456789abcdef0123456789abcdef\">0123456789ab<",
        "<code>prepared.test</code>",
    ] {
        assert!(lineage.contains(text), "{text}");
    }
}

#[test]
fn the_page_has_a_dark_colour_scheme() {
    let page = render(&full_report());
    assert!(page.contains("@media (prefers-color-scheme: dark)"));
    // The plots' ink follows the scheme: their text colours are overridden.
    assert!(page.contains("svg text[fill=\"#1d2430\"] { fill: var(--ink); }"));
}
