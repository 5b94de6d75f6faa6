//! The tree ensembles and the regression tree: agreement with
//! scikit-learn on the iris and diabetes tables of tests/data/ (the
//! reference numbers were computed with scikit-learn 1.x on the same rows),
//! determinism per seed whatever the thread count, probabilities,
//! importances, and model files.

mod common;
use common::data::{classes_of, diabetes, hyper, iris, iris_binary, values_of, Classes};
use mlp::exec::metrics::{accuracy, r2};
use mlp::exec::models::{train, Algorithm, Hyper, HyperValue, Prediction, Target, TrainedModel};
use ndarray::{Array2, Axis};

/// Every third row (from the first) is a test row, the others train.
fn thirds(n: usize) -> (Vec<usize>, Vec<usize>) {
    (0..n).partition(|i| i % 3 != 0)
}

fn rows(x: &Array2<f64>, which: &[usize]) -> Array2<f64> {
    x.select(Axis(0), which)
}

/// Trains on two thirds of `data` and returns the model and its accuracy
/// on the last third.
fn held_out_accuracy(algorithm: Algorithm, h: &Hyper, data: &Classes) -> (TrainedModel, f64) {
    let (train_rows, test_rows) = thirds(data.y.len());
    let pick = |r: &[usize]| r.iter().map(|&i| data.y[i]).collect::<Vec<_>>();
    let y = pick(&train_rows);
    let target = Target::Classes {
        y: &y,
        names: &data.names,
    };
    let model = train(algorithm, h, rows(&data.x, &train_rows).view(), target, 0).unwrap();
    let predicted = classes_of(&model, rows(&data.x, &test_rows).view());
    (model, accuracy(&pick(&test_rows), &predicted).unwrap())
}

fn held_out_r2(algorithm: Algorithm, h: &Hyper) -> f64 {
    let (x, y) = diabetes();
    let (train_rows, test_rows) = thirds(y.len());
    let pick = |r: &[usize]| r.iter().map(|&i| y[i]).collect::<Vec<_>>();
    let target = pick(&train_rows);
    let model = train(
        algorithm,
        h,
        rows(&x, &train_rows).view(),
        Target::Values(&target),
        0,
    )
    .unwrap();
    r2(
        &pick(&test_rows),
        &values_of(&model, rows(&x, &test_rows).view()),
    )
    .unwrap()
}

/// `DecisionTreeRegressor(max_depth=3).fit(X, y)` on diabetes.
const SKLEARN_REGRESSION_TREE_IMPORTANCES: [f64; 10] = [
    0.02078003835653888,
    0.0,
    0.37584937246690475,
    0.0,
    0.0,
    0.0,
    0.021069918051207757,
    0.0,
    0.5823006711253487,
    0.0,
];
const SKLEARN_REGRESSION_TREE_FIRST: [f64; 5] = [
    208.57142857142858,
    83.36904761904762,
    208.57142857142858,
    176.86486486486487,
    108.80459770114942,
];

#[test]
fn decision_tree_regressor_matches_scikit_learn() {
    let (x, y) = diabetes();
    let h = hyper(&[("max_depth", HyperValue::Int(3))]);
    let model = train(
        Algorithm::DecisionTreeRegressor,
        &h,
        x.view(),
        Target::Values(&y),
        0,
    )
    .unwrap();
    let predicted = values_of(&model, x.view());
    for (got, want) in predicted.iter().zip(SKLEARN_REGRESSION_TREE_FIRST) {
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    }
    // The leaves are means: the predictions add up to the targets.
    let total: f64 = predicted.iter().sum();
    assert!((total - 67243.0).abs() < 1e-6, "{total}");
    let importances = model.feature_importances().unwrap();
    for (got, want) in importances.iter().zip(SKLEARN_REGRESSION_TREE_IMPORTANCES) {
        assert!((got - want).abs() < 1e-9, "{importances:?}");
    }
}

/// Held-out scores of scikit-learn with the same settings on the same
/// rows: `RandomForestClassifier(n_estimators=100)`, the mean over
/// `random_state` 0..20 (on 34 test rows one row is 0.03, and a single seed
/// of scikit-learn's own moves that much), and the deterministic
/// `HistGradientBoostingClassifier(max_iter=100, max_depth=3,
/// max_leaf_nodes=None, min_samples_leaf=1, early_stopping=False)`.
const SKLEARN_IRIS: (f64, f64) = (0.958, 0.94);
const SKLEARN_IRIS_BINARY: (f64, f64) = (0.9073529411764703, 0.9117647058823529);
/// `RandomForestRegressor(max_features=1.0)` (mean over 20 seeds) and
/// `HistGradientBoostingRegressor` as above: R² on diabetes.
const SKLEARN_DIABETES: (f64, f64) = (0.44789872900755434, 0.4652360489580345);

/// The mean of a score over the forest's seeds 0..10.
fn over_seeds(score: impl Fn(&Hyper) -> f64) -> f64 {
    (0..10)
        .map(|seed| score(&hyper(&[("seed", HyperValue::Int(seed))])))
        .sum::<f64>()
        / 10.0
}

#[test]
fn ensembles_are_as_accurate_as_scikit_learn() {
    for (data, (forest, boosted)) in [(iris(), SKLEARN_IRIS), (iris_binary(), SKLEARN_IRIS_BINARY)]
    {
        let got = over_seeds(|h| held_out_accuracy(Algorithm::RandomForest, h, &data).1);
        assert!(
            (got - forest).abs() <= 0.02,
            "random_forest {got} vs {forest}"
        );
        let (_, got) = held_out_accuracy(Algorithm::GradientBoosting, &Hyper::new(), &data);
        assert!(
            (got - boosted).abs() <= 0.02,
            "gradient_boosting {got} vs {boosted}"
        );
    }
    let (forest, boosted) = SKLEARN_DIABETES;
    let got = over_seeds(|h| held_out_r2(Algorithm::RandomForestRegressor, h));
    assert!(
        (got - forest).abs() <= 0.02,
        "random_forest_regressor {got} vs {forest}"
    );
    let got = held_out_r2(Algorithm::GradientBoostingRegressor, &Hyper::new());
    assert!(
        (got - boosted).abs() <= 0.02,
        "gradient_boosting_regressor {got} vs {boosted}"
    );
}

#[test]
fn ensembles_are_deterministic_per_seed_whatever_the_thread_count() {
    let data = iris();
    let on_threads = |threads: usize, seed: i64| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let h = hyper(&[
            ("n_trees", HyperValue::Int(20)),
            ("seed", HyperValue::Int(seed)),
        ]);
        pool.install(|| {
            train(Algorithm::RandomForest, &h, data.x.view(), data.target(), 0)
                .unwrap()
                .to_json()
                .unwrap()
        })
    };
    let one = on_threads(1, 3);
    assert_eq!(one, on_threads(2, 3));
    assert_eq!(one, on_threads(4, 3));
    assert_ne!(one, on_threads(2, 4), "another seed, other trees");
    // Without `seed`, the split's seed decides.
    let by_split = |split_seed| {
        train(
            Algorithm::RandomForest,
            &Hyper::new(),
            data.x.view(),
            data.target(),
            split_seed,
        )
        .unwrap()
        .to_json()
        .unwrap()
    };
    assert_eq!(by_split(5), by_split(5));
    assert_ne!(by_split(5), by_split(6));
}

#[test]
fn ensemble_probabilities_importances_and_files() {
    let cases = [
        (Algorithm::RandomForest, iris()),
        (Algorithm::GradientBoosting, iris()),
        (Algorithm::GradientBoosting, iris_binary()),
    ];
    for (algorithm, data) in cases {
        let h = hyper(&[("n_trees", HyperValue::Int(10))]);
        let model = train(algorithm, &h, data.x.view(), data.target(), 1).unwrap();
        let proba = model.predict_proba(data.x.view()).unwrap().unwrap();
        assert_eq!(proba.dim(), (data.y.len(), data.names.len()));
        let predicted = classes_of(&model, data.x.view());
        for (row, class) in proba.rows().into_iter().zip(&predicted) {
            assert!((row.sum() - 1.0).abs() < 1e-9, "{algorithm}: {row}");
            let best = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(row[*class], best, "{algorithm}: the most probable class");
        }
        let importances = model.feature_importances().unwrap();
        assert_eq!(importances.len(), 4);
        assert!((importances.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        // The petal measurements (features 2 and 3) separate the species.
        assert!(
            importances[2] + importances[3] > 0.5,
            "{algorithm}: {importances:?}"
        );
        let again = TrainedModel::from_json(&model.to_json().unwrap()).unwrap();
        assert_eq!(
            again.predict(data.x.view()).unwrap(),
            Prediction::Classes(predicted)
        );
        assert_eq!(again.feature_importances().unwrap(), importances);
    }
}

#[test]
fn broken_ensemble_files_are_errors() {
    let data = iris();
    let h = hyper(&[
        ("n_trees", HyperValue::Int(2)),
        ("max_depth", HyperValue::Int(2)),
    ]);
    for algorithm in [Algorithm::RandomForest, Algorithm::GradientBoosting] {
        let json = train(algorithm, &h, data.x.view(), data.target(), 0)
            .unwrap()
            .to_json()
            .unwrap();
        // A feature the model does not have, a node that points back, a
        // leaf of the wrong kind.
        for (from, to) in [
            ("\"feature\":3", "\"feature\":9"),
            ("\"left\":1", "\"left\":0"),
            ("\"counts\":", "\"stats\":"),
            ("\"value\":", "\"counts\":"),
        ] {
            if !json.contains(from) {
                continue;
            }
            let broken = json.replacen(from, to, 1);
            assert!(
                TrainedModel::from_json(&broken).is_err(),
                "{algorithm}: {from} → {to}"
            );
        }
    }
}

/// The penguins example's forest through `mlp run`: its importances are in
/// its model file, by feature, and in its card of the report.
#[test]
fn a_run_writes_and_reports_the_importances() {
    let (_, run) = common::example_run("penguins");
    let read = |file: &str| std::fs::read_to_string(run.join(file)).unwrap();
    let model: serde_json::Value =
        serde_json::from_str(&read("models/species_forest.json")).unwrap();
    let importances = model["feature_importances"]
        .as_object()
        .expect("importances");
    let features = model["features"].as_array().unwrap();
    assert_eq!(importances.len(), features.len());
    let total: f64 = importances.values().map(|v| v.as_f64().unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-9, "{total}");
    // A model without importances has no such field.
    let nb: serde_json::Value = serde_json::from_str(&read("models/species_nb.json")).unwrap();
    assert!(nb.get("feature_importances").is_none());
    let page = read("report.html");
    let start = page
        .find("<section class=\"model\"><h3>species_forest</h3>")
        .expect("a card for the forest");
    let card = &page[start..start + page[start..].find("</section>").unwrap()];
    assert!(card.contains("Feature importances"), "{card}");
}
