//! The catalogue walk: for every algorithm, hyper-parameter, metric and
//! operation of the built-in catalogue (stdlib/catalog/*.mlp), what `mlp
//! check` accepts `mlp run` executes, and what the trainer refuses `mlp
//! check` refused first. A new catalogue entry fails here until it is
//! covered on both sides.

mod common;
use common::{command as mlp, text};
use mlp::check::catalog::{self, HyperDefault, HyperSpec, HyperType};
use mlp::check::types::ModelKind;
use mlp::exec::models::{self, Algorithm, Hyper, HyperValue, Target};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const ROWS: usize = 120;

/// A deterministic table: three features in 0..1, a nullable copy of one,
/// a key, a three-class enum and a bool both decided by the features, and
/// a float target that is a noisy linear function of them.
fn data_csv() -> String {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut csv = String::from("id,x1,x2,x3,maybe,cls3,cls2,value\n");
    for id in 0..ROWS {
        let (x1, x2, x3, noise) = (next(), next(), next(), next());
        let cls3 = if x1 < 0.33 {
            "a"
        } else if x1 < 0.66 {
            "b"
        } else {
            "c"
        };
        let cls2 = x2 + 0.2 * noise > 0.6;
        let maybe = if id % 7 == 0 {
            String::new()
        } else {
            format!("{x3}")
        };
        let value = 2.0 * x1 - x2 + 0.5 * x3 + 0.1 * noise;
        writeln!(csv, "{id},{x1},{x2},{x3},{maybe},{cls3},{cls2},{value}").unwrap();
    }
    csv
}

const SOURCE: &str = r#"source table: csv {
  path = "data.csv"
  schema {
    id: int @id
    x1: float
    x2: float
    x3: float
    maybe: float?
    cls3: enum("a", "b", "c")
    cls2: bool
    value: float
  }
}
split part = table { train = 0.7, test = 0.3, seed = 11 }
"#;

fn project(pipeline: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "mlp-catalogue-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("data.csv"), data_csv()).unwrap();
    std::fs::write(dir.join("main.mlp"), pipeline).unwrap();
    dir
}

/// The diagnostics of `mlp check` as (code, line).
fn check(dir: &Path) -> (Option<i32>, Vec<(String, u64)>) {
    let output = mlp()
        .args(["check", "--format", "json"])
        .arg(dir)
        .output()
        .unwrap();
    let reports: Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&output)));
    let found = reports
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    (output.status.code(), found)
}

fn algorithm(entry: &catalog::Algorithm) -> Algorithm {
    Algorithm::from_name(&entry.name)
        .unwrap_or_else(|| panic!("the trainer has no algorithm `{}`", entry.name))
}

/// Valid values other than the default, in the language's syntax and as
/// the trainer takes them.
fn other_values(spec: &HyperSpec) -> Vec<(String, HyperValue)> {
    let above = |v: f64| match &spec.min {
        Some(b) => v.max(b.value + 1.0),
        None => v,
    };
    match (&spec.ty, &spec.default) {
        (HyperType::Bool, HyperDefault::Bool(b)) => {
            vec![((!b).to_string(), HyperValue::Bool(!b))]
        }
        (HyperType::Int, HyperDefault::Int(i)) => {
            let v = (*i + 1).max(above(0.0) as i64);
            vec![(v.to_string(), HyperValue::Int(v))]
        }
        (HyperType::Int, HyperDefault::Unlimited) => vec![("3".into(), HyperValue::Int(3))],
        (HyperType::Int, HyperDefault::SplitSeed) => vec![("5".into(), HyperValue::Int(5))],
        (HyperType::Float, HyperDefault::Float(f)) => {
            let v = if *f == 0.0 { 0.5 } else { f * 2.0 };
            vec![(format!("{v:?}"), HyperValue::Float(v))]
        }
        (HyperType::Choice(words), HyperDefault::Word(default)) => words
            .iter()
            .filter(|w| *w != default)
            .map(|w| (format!("{w:?}"), HyperValue::Str(w.clone())))
            .collect(),
        (ty, default) => panic!("`{}`: no test value for {ty} = {default}", spec.name),
    }
}

/// Values the checker must refuse, with the code it gives, and the same
/// value for the trainer when the trainer can be given it.
fn refused_values(spec: &HyperSpec) -> Vec<(String, &'static str, Option<HyperValue>)> {
    let mut out = Vec::new();
    match &spec.ty {
        HyperType::Bool => out.push(("1".to_string(), "MLP2003", Some(HyperValue::Int(1)))),
        HyperType::Choice(_) => out.push((
            "\"neither\"".to_string(),
            "MLP2013",
            Some(HyperValue::Str("neither".into())),
        )),
        HyperType::Int | HyperType::Float => {
            out.push((
                "\"ten\"".to_string(),
                "MLP2003",
                Some(HyperValue::Str("ten".into())),
            ));
            if let Some(bound) = &spec.min {
                // At the bound when it is exclusive, below it otherwise.
                let v = if bound.inclusive {
                    bound.value - 1.0
                } else {
                    bound.value
                };
                let (text, value) = if spec.ty == HyperType::Int {
                    ((v as i64).to_string(), HyperValue::Int(v as i64))
                } else {
                    (format!("{v:?}"), HyperValue::Float(v))
                };
                out.push((text, "MLP2004", Some(value)));
            }
        }
    }
    out
}

struct ModelUse {
    /// The classifier's target, or `value`, or none.
    target: Option<&'static str>,
    classes: Option<usize>,
}

fn uses(entry: &catalog::Algorithm) -> Vec<ModelUse> {
    match entry.kind {
        ModelKind::Classifier if entry.binary_only => vec![ModelUse {
            target: Some("cls2"),
            classes: Some(2),
        }],
        ModelKind::Classifier => vec![
            ModelUse {
                target: Some("cls2"),
                classes: Some(2),
            },
            ModelUse {
                target: Some("cls3"),
                classes: Some(3),
            },
        ],
        ModelKind::Regressor => vec![ModelUse {
            target: Some("value"),
            classes: None,
        }],
        ModelKind::Clusterer => vec![ModelUse {
            target: None,
            classes: None,
        }],
    }
}

fn model_block(name: &str, algorithm: &str, target: Option<&str>, hyper: &str) -> String {
    let target = target.map_or(String::new(), |t| format!("  target = {t}\n"));
    format!(
        "model {name}: {algorithm} {{\n  data = part.train\n{target}  features = [x1, x2, x3]\n  hyper {{ {hyper} }}\n}}\n"
    )
}

/// The metrics of a model use, in an evaluation with a `groups` column
/// when the model is a classifier.
fn applicable<'c>(
    cat: &'c catalog::Catalog,
    entry: &catalog::Algorithm,
    classes: Option<usize>,
) -> Vec<&'c catalog::Metric> {
    let groups = entry.kind == ModelKind::Classifier;
    cat.metrics
        .iter()
        .filter(|m| m.unfit_with("m", entry, classes, groups).is_none())
        .collect()
}

/// `groups = ...` for an evaluation of a classifier: a categorical column
/// other than its target.
fn groups_of(model_use: &ModelUse) -> &'static str {
    match model_use.target {
        Some("cls2") => "groups = cls3, ",
        Some("cls3") => "groups = cls2, ",
        _ => "",
    }
}

#[test]
fn the_trainer_knows_exactly_the_catalogued_algorithms() {
    let cat = catalog::get();
    let catalogued: BTreeSet<&str> = cat.algorithms.iter().map(|a| a.name.as_str()).collect();
    let trained: BTreeSet<&str> = Algorithm::ALL.iter().map(|a| a.name()).collect();
    assert_eq!(catalogued, trained);
    for entry in &cat.algorithms {
        let kind = match algorithm(entry).kind() {
            models::ModelKind::Classifier => ModelKind::Classifier,
            models::ModelKind::Regressor => ModelKind::Regressor,
            models::ModelKind::Clusterer => ModelKind::Clusterer,
        };
        assert_eq!(kind, entry.kind, "{}", entry.name);
    }
}

/// Every hyper-parameter at a value other than its default, every
/// algorithm at its defaults, every applicable metric: checked clean and run.
#[test]
fn everything_check_accepts_run_executes() {
    let cat = catalog::get();
    let mut pipeline = SOURCE.to_string();
    // (model, metrics it must report)
    let mut expected: Vec<(String, Vec<String>)> = Vec::new();
    for entry in &cat.algorithms {
        for (u, model_use) in uses(entry).iter().enumerate() {
            let metrics = applicable(cat, entry, model_use.classes);
            let scalar: Vec<String> = metrics
                .iter()
                .filter(|m| m.scalar)
                .map(|m| m.name.clone())
                .collect();
            // Defaults, and the metrics an evaluate without a list computes.
            let name = format!("{}_{u}", entry.name);
            pipeline += &model_block(&name, &entry.name, model_use.target, "");
            pipeline += &match groups_of(model_use) {
                "" => format!("evaluate {name} on part.test\n"),
                groups => format!(
                    "evaluate {name} on part.test {{ {} }}\n",
                    groups.trim_end_matches(", ")
                ),
            };
            expected.push((name, scalar.clone()));
            let all: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
            for spec in &entry.hyper {
                for (i, (text, _)) in other_values(spec).into_iter().enumerate() {
                    let name = format!("{}_{u}_{}_{i}", entry.name, spec.name);
                    let hyper = format!("{} = {text}", spec.name);
                    pipeline += &model_block(&name, &entry.name, model_use.target, &hyper);
                    pipeline += &format!(
                        "evaluate {name} on part.test {{ {}metrics = [{}] }}\n",
                        groups_of(model_use),
                        all.join(", ")
                    );
                    expected.push((name, scalar.clone()));
                }
            }
        }
    }
    let dir = project(&pipeline);
    let (status, found) = check(&dir);
    assert_eq!(found, vec![], "{pipeline}");
    assert_eq!(status, Some(0));

    let output = mlp().arg("run").arg(&dir).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let metrics: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".mlp/runs/latest/metrics.json")).unwrap(),
    )
    .unwrap();
    for (model, names) in expected {
        let reported: BTreeSet<String> = metrics["models"][&model]
            .as_object()
            .unwrap_or_else(|| panic!("no metrics for {model}"))
            .keys()
            .cloned()
            .collect();
        let names: BTreeSet<String> = names.into_iter().collect();
        assert_eq!(reported, names, "{model}");
        for name in names {
            let v = metrics["models"][&model][&name].as_f64();
            assert!(v.is_some_and(f64::is_finite), "{model}.{name} = {v:?}");
        }
    }
}

/// Every value the checker refuses is one the trainer refuses too, and
/// every metric that does not apply to a model is refused before a run.
#[test]
fn everything_the_trainer_refuses_check_refuses_first() {
    let cat = catalog::get();
    let mut pipeline = SOURCE.to_string();
    let mut expected: Vec<(String, u64)> = Vec::new();
    let line = |pipeline: &str| pipeline.lines().count() as u64;
    let x = ndarray::Array2::from_shape_fn((6, 2), |(i, j)| (i * 2 + j) as f64 / 10.0);
    let y_classes = [0usize, 1, 0, 1, 0, 1];
    let names = ["false".to_string(), "true".to_string()];
    let y_values = [0.1, 0.4, 0.3, 0.9, 0.5, 0.7];
    let mut n = 0;
    for entry in &cat.algorithms {
        let model_use = &uses(entry)[0];
        let mut refused_hyper = vec![(
            "not_a_hyper_parameter".to_string(),
            "1".to_string(),
            "MLP2001",
            Some(HyperValue::Int(1)),
        )];
        for spec in &entry.hyper {
            for (text, code, value) in refused_values(spec) {
                refused_hyper.push((spec.name.clone(), text, code, value));
            }
        }
        for (hyper_name, text, code, value) in refused_hyper {
            n += 1;
            let name = format!("refused_{n}");
            let block = model_block(
                &name,
                &entry.name,
                model_use.target,
                &format!("{hyper_name} = {text}"),
            );
            // The hyper line is the block's fifth (or fourth without target).
            let offset = if model_use.target.is_some() { 5 } else { 4 };
            expected.push((code.to_string(), line(&pipeline) + offset));
            pipeline += &block;
            if let Some(value) = value {
                let hyper = Hyper::new().with(&hyper_name, value.clone());
                let target = match entry.kind {
                    ModelKind::Classifier => Target::Classes {
                        y: &y_classes,
                        names: &names,
                    },
                    ModelKind::Regressor => Target::Values(&y_values),
                    ModelKind::Clusterer => Target::None,
                };
                let trained = models::train(algorithm(entry), &hyper, x.view(), target, 0);
                assert!(
                    trained.is_err(),
                    "the trainer accepts {} {{ {hyper_name} = {value} }}, which check refuses",
                    entry.name
                );
            }
        }
        // Metrics that do not apply, on an evaluation of each use.
        for (u, model_use) in uses(entry).iter().enumerate() {
            // Evaluations without `groups` here: a fairness metric that would
            // apply with one is MLP2025, any other unfit metric MLP2012.
            let fit: BTreeSet<&str> = cat
                .metrics
                .iter()
                .filter(|m| m.unfit_with("m", entry, model_use.classes, false).is_none())
                .map(|m| m.name.as_str())
                .collect();
            let unfit: Vec<&str> = cat
                .metrics
                .iter()
                .map(|m| m.name.as_str())
                .filter(|m| !fit.contains(m))
                .collect();
            if unfit.is_empty() {
                continue;
            }
            for metric in unfit {
                // One model per evaluation: a second evaluation of a model
                // on the same table would be MLP0006.
                let name = format!("unfit_{}_{u}_{metric}", entry.name);
                pipeline += &model_block(&name, &entry.name, model_use.target, "");
                pipeline += &format!("evaluate {name} on part.test {{ metrics = [{metric}] }}\n");
                let needs_only_groups = cat.metric(metric).is_some_and(|m| {
                    m.needs_groups && m.unfit_with("m", entry, model_use.classes, true).is_none()
                });
                let code = if needs_only_groups {
                    "MLP2025"
                } else {
                    "MLP2012"
                };
                expected.push((code.to_string(), line(&pipeline)));
            }
        }
    }
    let dir = project(&pipeline);
    let (status, found) = check(&dir);
    assert_eq!(status, Some(1));
    for (code, line) in &expected {
        assert!(
            found.iter().any(|(c, l)| c == code && l == line),
            "expected {code} at line {line}; found {found:?}\n{}",
            numbered(&pipeline)
        );
    }
}

fn numbered(text: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| format!("{:>4} {l}\n", i + 1))
        .collect()
}

/// One use of every operation, each in a transform of its own, checked
/// clean and run. The list must name every catalogued operation.
#[test]
fn every_operation_checks_and_runs() {
    let uses: &[(&str, &str)] = &[
        ("select", "select(id, x1, x2)"),
        ("drop", "drop(x2, maybe)"),
        ("rename", "rename(first = x1)"),
        ("filter", "filter(x1 > 0.2 and cls2)"),
        ("derive", "derive(ratio = x1 / (x2 + 1.0), flag = x3 > 0.5)"),
        ("cast", "cast(id, float)"),
        ("impute", "impute(maybe, strategy = median)"),
        ("one_hot", "one_hot(cls3)"),
        ("standardize", "drop(maybe) | standardize(x1, x2)"),
        ("min_max", "drop(maybe) | min_max(x3)"),
        ("log", "log(x1, maybe)"),
        ("clip", "clip(x1, lo = 0.25, hi = 0.75)"),
        ("bucketize", "bucketize(x2, bounds = [0.25, 0.5, 0.75])"),
        ("dedupe", "dedupe(cls3)"),
        ("join", "join(extra, on = [id], how = left)"),
        ("sample", "sample(n = 10, seed = 4)"),
        ("apply", "apply(t_standardize)"),
    ];
    let catalogued: BTreeSet<&str> = catalog::get()
        .operations
        .iter()
        .map(|o| o.name.as_str())
        .collect();
    let covered: BTreeSet<&str> = uses.iter().map(|(name, _)| *name).collect();
    assert_eq!(covered, catalogued);

    let mut pipeline = SOURCE.to_string();
    pipeline += "transform extra = table | select(id, x3) | rename(x3_again = x3)\n";
    for (name, chain) in uses {
        // The fitted operations are fitted on training rows only.
        pipeline += &format!("transform t_{name} = part.train | {chain}\n");
    }
    let dir = project(&pipeline);
    let (status, found) = check(&dir);
    assert_eq!(found, vec![], "{}", numbered(&pipeline));
    assert_eq!(status, Some(0));
    let output = mlp().arg("run").arg(&dir).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let run: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".mlp/runs/latest/run.json")).unwrap(),
    )
    .unwrap();
    let ran: BTreeSet<&str> = run["stages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["stage"].as_str())
        .collect();
    for (name, _) in uses {
        assert!(
            ran.contains(format!("t_{name}").as_str()),
            "t_{name} did not run"
        );
    }
}
