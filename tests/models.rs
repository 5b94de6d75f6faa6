//! Every algorithm trains on a small real dataset (copies of the shared
//! iris and diabetes tables in tests/data/), reaches a sane score, is
//! deterministic, survives a JSON round trip, and rejects bad
//! hyper-parameters with an error naming them.

use mlp::exec::metrics::{accuracy, r2, silhouette};
use mlp::exec::models::{
    train, Algorithm, Hyper, HyperValue, ModelError, ModelKind, Prediction, Target, TrainedModel,
};
use ndarray::{Array2, ArrayView2};

mod common;
use common::data::{classes_of, diabetes, hyper, iris, iris_binary, values_of, Classes};

fn train_accuracy(algorithm: Algorithm, hyper: &Hyper, data: &Classes) -> f64 {
    let model = train(algorithm, hyper, data.x.view(), data.target(), 7).unwrap();
    accuracy(&data.y, &classes_of(&model, data.x.view())).unwrap()
}

fn assert_probabilities(model: &TrainedModel, x: ArrayView2<f64>, n_classes: usize) {
    let proba = model.predict_proba(x).unwrap().expect("probabilities");
    assert_eq!(proba.dim(), (x.nrows(), n_classes));
    for row in proba.rows() {
        assert!(row.iter().all(|p| (0.0..=1.0).contains(p)), "{row}");
        assert!((row.sum() - 1.0).abs() < 1e-9, "{row}");
    }
    // The predicted class is the most probable one.
    let predicted = classes_of(model, x);
    for (row, class) in proba.rows().into_iter().zip(predicted) {
        let best = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(row[class], best);
    }
}

#[test]
fn logistic_regression_learns_iris_multinomial_and_binary() {
    let data = iris();
    let h = hyper(&[("max_iterations", HyperValue::Int(200))]);
    assert!(train_accuracy(Algorithm::LogisticRegression, &h, &data) >= 0.9);
    let model = train(
        Algorithm::LogisticRegression,
        &h,
        data.x.view(),
        data.target(),
        0,
    )
    .unwrap();
    assert_probabilities(&model, data.x.view(), 3);
    let coefficients = model.coefficients().unwrap();
    assert_eq!(coefficients.weights.len(), 3);
    assert_eq!(coefficients.weights[0].len(), 4);

    let binary = iris_binary();
    let h = hyper(&[("l2", HyperValue::Float(0.1))]);
    assert!(train_accuracy(Algorithm::LogisticRegression, &h, &binary) >= 0.9);
    let model = train(
        Algorithm::LogisticRegression,
        &h,
        binary.x.view(),
        binary.target(),
        0,
    )
    .unwrap();
    assert_probabilities(&model, binary.x.view(), 2);
    assert_eq!(model.coefficients().unwrap().weights.len(), 1);
}

/// The runner hands logistic regression a column-major matrix (faster to
/// train on); the layout must not change the model.
#[test]
fn logistic_regression_does_not_depend_on_the_matrix_layout() {
    use ndarray::ShapeBuilder;
    let data = iris();
    let mut columns = Array2::<f64>::zeros(data.x.raw_dim().f());
    columns.assign(&data.x);
    assert!(columns.t().is_standard_layout());
    let h = Hyper::new();
    let rows = train(
        Algorithm::LogisticRegression,
        &h,
        data.x.view(),
        data.target(),
        0,
    )
    .unwrap();
    let cols = train(
        Algorithm::LogisticRegression,
        &h,
        columns.view(),
        data.target(),
        0,
    )
    .unwrap();
    let (a, b) = (rows.coefficients().unwrap(), cols.coefficients().unwrap());
    for (wa, wb) in a.weights.iter().flatten().zip(b.weights.iter().flatten()) {
        assert!((wa - wb).abs() <= 1e-9 * wa.abs().max(1.0), "{wa} vs {wb}");
    }
    assert_eq!(
        classes_of(&rows, data.x.view()),
        classes_of(&cols, columns.view())
    );
}

#[test]
fn binary_logistic_regression_scores_the_second_class() {
    // Class 1 is the minority here: the scores must still be those of
    // class 1, not of the more frequent class.
    let x = Array2::from_shape_vec((6, 1), vec![0.0, 1.0, 2.0, 3.0, 4.0, 10.0]).unwrap();
    let y = [0, 0, 0, 0, 1, 1];
    let names = ["low".to_string(), "high".to_string()];
    let target = Target::Classes {
        y: &y,
        names: &names,
    };
    let model = train(
        Algorithm::LogisticRegression,
        &Hyper::new(),
        x.view(),
        target,
        0,
    )
    .unwrap();
    let scores = model.scores(x.view(), 1).unwrap().unwrap();
    assert!(scores[5] > 0.5 && scores[0] < 0.5, "{scores:?}");
    assert_eq!(classes_of(&model, x.view())[5], 1);
    assert!(model.coefficients().unwrap().weights[0][0] > 0.0);
}

#[test]
fn decision_tree_learns_iris() {
    let data = iris();
    let h = hyper(&[
        ("max_depth", HyperValue::Int(4)),
        ("min_samples_split", HyperValue::Int(4)),
    ]);
    assert!(train_accuracy(Algorithm::DecisionTree, &h, &data) >= 0.9);
    let model = train(Algorithm::DecisionTree, &h, data.x.view(), data.target(), 0).unwrap();
    assert_probabilities(&model, data.x.view(), 3);
    let importances = model.feature_importances().unwrap();
    assert_eq!(importances.len(), 4);
    assert!((importances.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    assert!(model.coefficients().is_none());

    let stump = hyper(&[("max_depth", HyperValue::Int(1))]);
    let accuracy = train_accuracy(Algorithm::DecisionTree, &stump, &data);
    assert!(
        (0.6..0.7).contains(&accuracy),
        "a stump splits off one species: {accuracy}"
    );
}

/// scikit-learn 1.9.1 on tests/data/iris.csv (classes in sorted order):
///
/// ```python
/// import numpy as np
/// from sklearn.tree import DecisionTreeClassifier
/// from sklearn.naive_bayes import GaussianNB
/// from sklearn.linear_model import LogisticRegression
/// d = np.genfromtxt("tests/data/iris.csv", delimiter=",", skip_header=1, dtype=str)
/// X = d[:, :4].astype(float)
/// names = sorted(set(d[:, 4]))
/// y = np.array([names.index(t) for t in d[:, 4]])
/// # Petal length and petal width split the root equally well; scikit-learn
/// # breaks the tie by a random feature order, mlp by the first feature, as
/// # random_state=4 happens to.
/// t = DecisionTreeClassifier(max_depth=3, random_state=4).fit(X, y)
/// print(list(t.feature_importances_), "".join(str(v) for v in t.predict(X)))
/// nb = GaussianNB().fit(X, y)
/// print(nb.predict_proba(X[[0, 60, 120, 70, 133]]))
/// keep = y != 0
/// lr = LogisticRegression(C=1.0, tol=1e-10, max_iter=10000).fit(X[keep], y[keep] - 1)
/// print(list(lr.coef_[0]), lr.intercept_[0])
/// ```
const SKLEARN_TREE_IMPORTANCES: [f64; 4] = [0.0, 0.0, 0.5856155514031495, 0.4143844485968506];
const SKLEARN_TREE_PREDICTIONS: &str = "000000000000000000000000000000000000000000000000001111111111111111111121111112111112111111111111111122222212222222222222222222222222222222222222222222";
const SKLEARN_NB_ROWS: [usize; 5] = [0, 60, 120, 70, 133];
const SKLEARN_NB_PROBA: [[f64; 3]; 5] = [
    [1.0, 1.3578426545097534e-18, 7.112835116303153e-26],
    [
        1.074993064785575e-41,
        0.999999764931773,
        2.3506822702927002e-07,
    ],
    [
        7.891629968232406e-222,
        1.1711689678382956e-08,
        0.9999999882883103,
    ],
    [
        2.591538028250168e-130,
        0.15449408494388256,
        0.8455059150561174,
    ],
    [
        2.6838258262863244e-131,
        0.7126451442155292,
        0.28735485578447095,
    ],
];
const SKLEARN_LOGISTIC: ([f64; 4], f64) = (
    [
        -0.3944334798985934,
        -0.513277403561044,
        2.930751383736308,
        2.41703218885648,
    ],
    -14.430758174565238,
);

#[test]
fn decision_tree_matches_scikit_learn() {
    let data = iris();
    let h = hyper(&[("max_depth", HyperValue::Int(3))]);
    let model = train(Algorithm::DecisionTree, &h, data.x.view(), data.target(), 0).unwrap();
    let importances = model.feature_importances().unwrap();
    for (i, (got, want)) in importances.iter().zip(SKLEARN_TREE_IMPORTANCES).enumerate() {
        assert!(
            (got - want).abs() < 1e-12,
            "importance {i}: {got} vs {want}"
        );
    }
    let predicted: String = classes_of(&model, data.x.view())
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(predicted, SKLEARN_TREE_PREDICTIONS);
}

#[test]
fn gaussian_naive_bayes_matches_scikit_learn() {
    let data = iris();
    let model = train(
        Algorithm::GaussianNb,
        &Hyper::new(),
        data.x.view(),
        data.target(),
        0,
    )
    .unwrap();
    let rows = data.x.select(ndarray::Axis(0), &SKLEARN_NB_ROWS);
    let proba = model.predict_proba(rows.view()).unwrap().unwrap();
    for (r, want) in SKLEARN_NB_PROBA.iter().enumerate() {
        for (c, want) in want.iter().enumerate() {
            let got = proba[[r, c]];
            // Relative where the probability is not vanishingly small.
            let tolerance = 1e-9 * want.max(1e-12);
            assert!(
                (got - want).abs() <= tolerance.max(1e-300),
                "row {r} class {c}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn binary_logistic_regression_matches_scikit_learn() {
    let data = iris_binary();
    let h = hyper(&[
        ("tolerance", HyperValue::Float(1e-10)),
        ("max_iterations", HyperValue::Int(10_000)),
    ]);
    let model = train(
        Algorithm::LogisticRegression,
        &h,
        data.x.view(),
        data.target(),
        0,
    )
    .unwrap();
    let c = model.coefficients().unwrap();
    let (weights, intercept) = SKLEARN_LOGISTIC;
    for (i, (got, want)) in c.weights[0].iter().zip(weights).enumerate() {
        assert!(
            (got - want).abs() < 1e-4 * want.abs(),
            "weight {i}: {got} vs {want}"
        );
    }
    assert!(
        (c.intercepts[0] - intercept).abs() < 1e-4 * intercept.abs(),
        "{}",
        c.intercepts[0]
    );
}

#[test]
fn gaussian_naive_bayes_learns_iris() {
    let data = iris();
    let h = hyper(&[("var_smoothing", HyperValue::Float(1e-9))]);
    assert!(train_accuracy(Algorithm::GaussianNb, &h, &data) >= 0.9);
    let model = train(Algorithm::GaussianNb, &h, data.x.view(), data.target(), 0).unwrap();
    assert_probabilities(&model, data.x.view(), 3);
}

#[test]
fn svm_learns_a_binary_problem_with_both_kernels() {
    let data = iris_binary();
    for kernel in ["linear", "gaussian"] {
        let h = hyper(&[
            ("c", HyperValue::Float(1.0)),
            ("kernel", HyperValue::Str(kernel.to_string())),
            ("eps", HyperValue::Float(1e-3)),
        ]);
        let acc = train_accuracy(Algorithm::Svm, &h, &data);
        assert!(acc >= 0.9, "{kernel}: {acc}");
        let model = train(Algorithm::Svm, &h, data.x.view(), data.target(), 0).unwrap();
        assert!(model.predict_proba(data.x.view()).unwrap().is_none());
        let scores = model.scores(data.x.view(), 1).unwrap().unwrap();
        let predicted = classes_of(&model, data.x.view());
        for (s, c) in scores.iter().zip(&predicted) {
            assert_eq!(*s >= 0.0, *c == 1);
        }
        assert_eq!(model.coefficients().is_some(), kernel == "linear");
    }
    let three = iris();
    let err = train(
        Algorithm::Svm,
        &Hyper::new(),
        three.x.view(),
        three.target(),
        0,
    )
    .unwrap_err();
    assert!(err.to_string().contains("binary"), "{err}");

    // Too many rows for the n × n kernel: refused before it is built.
    let rows = 20_000;
    let x = Array2::<f64>::zeros((rows, 1));
    let y: Vec<usize> = (0..rows).map(|i| i % 2).collect();
    let names = ["no".to_string(), "yes".to_string()];
    let target = Target::Classes {
        y: &y,
        names: &names,
    };
    let err = train(Algorithm::Svm, &Hyper::new(), x.view(), target, 0).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, ModelError::Training { .. }), "{err:?}");
    assert!(
        message.contains("20000 training rows") && message.contains("sample("),
        "{message}"
    );
}

#[test]
fn linear_models_fit_diabetes() {
    let (x, y) = diabetes();
    let cases = [
        (Algorithm::LinearRegression, Hyper::new()),
        (
            Algorithm::LinearRegression,
            hyper(&[("fit_intercept", HyperValue::Bool(true))]),
        ),
        (Algorithm::Ridge, hyper(&[("l2", HyperValue::Float(0.001))])),
        (Algorithm::Lasso, hyper(&[("l1", HyperValue::Float(0.1))])),
        (
            Algorithm::ElasticNet,
            hyper(&[
                ("l1", HyperValue::Float(0.01)),
                ("l2", HyperValue::Float(0.0005)),
            ]),
        ),
    ];
    for (algorithm, h) in cases {
        let model = train(algorithm, &h, x.view(), Target::Values(&y), 0).unwrap();
        let score = r2(&y, &values_of(&model, x.view())).unwrap();
        assert!(score >= 0.4, "{algorithm} {h:?}: r2 = {score}");
        let c = model.coefficients().unwrap();
        assert_eq!(c.weights[0].len(), 10);
        assert!(model.predict_proba(x.view()).unwrap().is_none());
    }
    // Without an intercept the fit is much worse: the target's mean is ~152.
    let h = hyper(&[("fit_intercept", HyperValue::Bool(false))]);
    let model = train(
        Algorithm::LinearRegression,
        &h,
        x.view(),
        Target::Values(&y),
        0,
    )
    .unwrap();
    assert_eq!(model.coefficients().unwrap().intercepts, vec![0.0]);
    assert!(r2(&y, &values_of(&model, x.view())).unwrap() < 0.0);
    // A strong lasso penalty zeroes coefficients.
    let h = hyper(&[("l1", HyperValue::Float(5.0))]);
    let model = train(Algorithm::Lasso, &h, x.view(), Target::Values(&y), 0).unwrap();
    let weights = &model.coefficients().unwrap().weights[0];
    assert!(
        weights.iter().filter(|w| **w == 0.0).count() >= 5,
        "{weights:?}"
    );
}

/// scikit-learn 1.9.1 on tests/data/diabetes.csv:
///
/// ```python
/// import numpy as np
/// from sklearn.linear_model import Ridge
/// d = np.loadtxt("tests/data/diabetes.csv", delimiter=",", skiprows=1)
/// X, y = d[:, :-1], d[:, -1]
/// for alpha in (1.0, 0.01):
///     m = Ridge(alpha=alpha).fit(X, y)
///     print(alpha, [repr(float(c)) for c in m.coef_],
///           repr(float(m.intercept_)), repr(float(m.score(X, y))))
/// ```
///
/// As `(alpha, coef_, intercept_, r2)`.
const SKLEARN_RIDGE: [(f64, [f64; 10], f64, f64); 2] = [
    (
        1.0,
        [
            29.46611189347687,
            -83.15427636187539,
            306.35268015068607,
            201.62773437326962,
            5.909614367497162,
            -29.51549507968957,
            -152.04028006186405,
            117.31173160030144,
            262.94429001431297,
            111.878956439524,
        ],
        152.133484162896,
        0.45123062774361744,
    ),
    (
        0.01,
        [
            -7.197534480533505,
            -234.54976418973118,
            520.5886009823499,
            320.51713055395544,
            -380.607135298947,
            150.48467052093832,
            -78.58927534225796,
            130.3125214813448,
            592.3479586475038,
            71.13484404963454,
        ],
        152.133484162896,
        0.5166278030298652,
    ),
];

fn assert_close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-8 * want.abs(),
        "{what}: got {got}, scikit-learn {want}"
    );
}

#[test]
fn ridge_matches_scikit_learn() {
    let (x, y) = diabetes();
    for (alpha, coef, intercept, score) in SKLEARN_RIDGE {
        let h = hyper(&[("l2", HyperValue::Float(alpha))]);
        let model = train(Algorithm::Ridge, &h, x.view(), Target::Values(&y), 0).unwrap();
        let c = model.coefficients().unwrap();
        assert_eq!(c.weights.len(), 1);
        assert_eq!(c.weights[0].len(), coef.len());
        for (i, (got, want)) in c.weights[0].iter().zip(coef).enumerate() {
            assert_close(&format!("alpha {alpha}, coef {i}"), *got, want);
        }
        assert_close(
            &format!("alpha {alpha}, intercept"),
            c.intercepts[0],
            intercept,
        );
        let r2 = r2(&y, &values_of(&model, x.view())).unwrap();
        assert_close(&format!("alpha {alpha}, r2"), r2, score);
    }
}

/// scikit-learn 1.9.1, every linear model with `fit_intercept=False`, on
/// tests/data/diabetes.csv with 1 added to every feature (the features are
/// centred, and through the origin the offset changes every weight):
///
/// ```python
///     import numpy as np
///     from sklearn.linear_model import Ridge, LinearRegression, Lasso, ElasticNet
///     d = np.loadtxt("tests/data/diabetes.csv", delimiter=",", skiprows=1)
///     X, y = d[:, :-1] + 1.0, d[:, -1]
///     for name, m in [
///         ("ridge", Ridge(alpha=1.0, fit_intercept=False)),
///         ("linear_regression", LinearRegression(fit_intercept=False)),
///         ("lasso", Lasso(alpha=0.1, fit_intercept=False, max_iter=1000000, tol=1e-12)),
///         ("elastic_net", ElasticNet(alpha=0.01, l1_ratio=0.5, fit_intercept=False,
///                                    max_iter=1000000, tol=1e-12)),
///     ]:
///         m.fit(X, y)
///         print(name, list(m.coef_), m.score(X, y))
/// ```
///
/// As `(algorithm, coef_, r2)`; `intercept_` is 0.
const SKLEARN_THROUGH_ORIGIN: [(&str, [f64; 10], f64); 4] = [
    (
        "ridge",
        [
            -19.982557901334882,
            -168.53382289704317,
            243.21721516158473,
            160.27839045083914,
            -0.35285340627216577,
            -70.20675138793189,
            -320.74386255188097,
            41.88274392463996,
            216.94936026640113,
            70.02745576966255,
        ],
        0.41443935705257295,
    ),
    (
        "linear_regression",
        [
            -16.122615036917065,
            -271.1469533540288,
            497.58167214424833,
            311.16657932022883,
            425.67854903670155,
            -405.7531396171775,
            -612.9938526994712,
            -171.08702787512303,
            327.57551561631396,
            67.30033380289737,
        ],
        0.5042142487319119,
    ),
    (
        "lasso",
        [
            -0.0,
            -297.99107698141916,
            416.6040539374231,
            269.0023280711392,
            0.0,
            -61.61179624811451,
            -503.0234439619614,
            -68.51784156396918,
            392.6893764446502,
            5.188328566590047,
        ],
        0.49191885172529026,
    ),
    (
        "elastic_net",
        [
            -10.49177812412017,
            -97.18716540429527,
            162.07733979773187,
            103.87514470286509,
            -2.782255689634464,
            -36.30843634482869,
            -220.77383438508622,
            52.02308822096116,
            145.68591820655465,
            56.506639169354585,
        ],
        0.3286488193530259,
    ),
];

#[test]
fn fit_intercept_false_matches_scikit_learn() {
    let (x, y) = diabetes();
    let x = x + 1.0;
    for (name, coef, score) in SKLEARN_THROUGH_ORIGIN {
        let algorithm = Algorithm::from_name(name).unwrap();
        let (h, tolerance) = match algorithm {
            Algorithm::Ridge => (hyper(&[("l2", HyperValue::Float(1.0))]), 1e-8),
            Algorithm::LinearRegression => (Hyper::new(), 1e-8),
            // Coordinate descent stops at linfa's tolerance (a weight change
            // below 1e-4 in a sweep), short of the optimum scikit-learn
            // reaches at tol=1e-12: within 0.5% of the largest weight.
            Algorithm::Lasso => (
                hyper(&[
                    ("l1", HyperValue::Float(0.1)),
                    ("max_iterations", HyperValue::Int(1_000_000)),
                ]),
                5e-3,
            ),
            _ => (
                hyper(&[
                    ("l1", HyperValue::Float(0.005)),
                    ("l2", HyperValue::Float(0.005)),
                    ("max_iterations", HyperValue::Int(1_000_000)),
                ]),
                5e-3,
            ),
        };
        let h = h.with("fit_intercept", HyperValue::Bool(false));
        let model = train(algorithm, &h, x.view(), Target::Values(&y), 0).unwrap();
        let c = model.coefficients().unwrap();
        assert_eq!(c.intercepts, vec![0.0], "{name}");
        let largest = coef.iter().fold(0.0f64, |m, c| m.max(c.abs()));
        for (i, (got, want)) in c.weights[0].iter().zip(coef).enumerate() {
            assert!(
                (got - want).abs() <= tolerance * largest,
                "{name} coef {i}: got {got}, scikit-learn {want}"
            );
        }
        let r2 = r2(&y, &values_of(&model, x.view())).unwrap();
        assert!(
            (r2 - score).abs() <= tolerance,
            "{name} r2: got {r2}, scikit-learn {score}"
        );
    }
}

#[test]
fn ridge_without_penalty_is_least_squares_and_fails_on_collinear_features() {
    let (x, y) = diabetes();
    let none = hyper(&[("l2", HyperValue::Float(0.0))]);
    let ridge = train(Algorithm::Ridge, &none, x.view(), Target::Values(&y), 0).unwrap();
    let ols = train(
        Algorithm::LinearRegression,
        &Hyper::new(),
        x.view(),
        Target::Values(&y),
        0,
    )
    .unwrap();
    let (r, o) = (ridge.coefficients().unwrap(), ols.coefficients().unwrap());
    for (got, want) in r.weights[0].iter().zip(&o.weights[0]) {
        assert_close("weight", *got, *want);
    }
    assert_close("intercept", r.intercepts[0], o.intercepts[0]);

    // A copy of feature 2 as feature 10, and a constant feature 10.
    let mut copied = ndarray::concatenate![ndarray::Axis(1), x, x.slice(ndarray::s![.., 2..3])];
    let err = train(
        Algorithm::Ridge,
        &none,
        copied.view(),
        Target::Values(&y),
        0,
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, ModelError::Training { .. }), "{err:?}");
    assert!(
        message.contains("feature 10") && message.contains("l2 > 0"),
        "{message}"
    );
    // Any penalty makes the system solvable, and splits the weight evenly.
    let some = hyper(&[("l2", HyperValue::Float(0.1))]);
    let model = train(
        Algorithm::Ridge,
        &some,
        copied.view(),
        Target::Values(&y),
        0,
    )
    .unwrap();
    let w = &model.coefficients().unwrap().weights[0];
    assert_close("copied weight", w[10], w[2]);
    copied.column_mut(10).fill(3.0);
    let message = train(
        Algorithm::Ridge,
        &none,
        copied.view(),
        Target::Values(&y),
        0,
    )
    .unwrap_err()
    .to_string();
    assert!(message.contains("feature 10"), "{message}");
}

/// Collinear features (a copied column, a constant column, all the one-hot
/// columns of an enum beside the intercept) leave many equally good
/// solutions; linear_regression returns scikit-learn's, the one with the
/// smallest weights: a copied feature shares its weight evenly with the
/// original, a constant feature gets none, predictions are unchanged.
#[test]
fn linear_regression_on_collinear_features_is_minimum_norm() {
    let (x, y) = diabetes();
    let ols = |x: ArrayView2<f64>| {
        train(
            Algorithm::LinearRegression,
            &Hyper::new(),
            x,
            Target::Values(&y),
            0,
        )
        .unwrap()
    };
    let base = ols(x.view());
    let base_weights = base.coefficients().unwrap().weights[0].clone();
    let base_values = values_of(&base, x.view());

    let copied = ndarray::concatenate![ndarray::Axis(1), x, x.slice(ndarray::s![.., 2..3])];
    let model = ols(copied.view());
    let c = model.coefficients().unwrap();
    let w = &c.weights[0];
    let tolerance = 1e-6 * base_weights[2].abs();
    assert!((w[2] - base_weights[2] / 2.0).abs() < tolerance, "{w:?}");
    assert!((w[10] - base_weights[2] / 2.0).abs() < tolerance, "{w:?}");
    for feature in (0..10).filter(|f| *f != 2) {
        let want = base_weights[feature];
        assert!((w[feature] - want).abs() < 1e-6 * want.abs(), "{w:?}");
    }
    let values = values_of(&model, copied.view());
    for (got, want) in values.iter().zip(&base_values) {
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    }

    let mut constant = copied.clone();
    constant.column_mut(10).fill(3.0);
    let w = ols(constant.view()).coefficients().unwrap().weights[0].clone();
    assert!(w[10].abs() < 1e-6, "{w:?}");
    assert!((w[2] - base_weights[2]).abs() < tolerance, "{w:?}");

    // Feature 1 of diabetes is `sex`, two values: both indicator columns
    // with an intercept. Each gets half of the contrast, with opposite signs.
    let sex = x.column(1).to_owned();
    let low = sex.iter().cloned().fold(f64::INFINITY, f64::min);
    let one_hot = ndarray::stack![
        ndarray::Axis(1),
        sex.mapv(|v| f64::from(v == low)),
        sex.mapv(|v| f64::from(v != low))
    ];
    let encoded = ndarray::concatenate![
        ndarray::Axis(1),
        x.slice(ndarray::s![.., 0..1]),
        x.slice(ndarray::s![.., 2..]),
        one_hot
    ];
    let w = ols(encoded.view()).coefficients().unwrap().weights[0].clone();
    let contrast = base_weights[1] * (sex.iter().cloned().fold(f64::NEG_INFINITY, f64::max) - low);
    assert!((w[9] + w[10]).abs() < 1e-6 * contrast.abs(), "{w:?}");
    assert!(
        (w[10] - w[9] - contrast).abs() < 1e-6 * contrast.abs(),
        "{w:?}"
    );
}

#[test]
fn kmeans_finds_the_iris_clusters() {
    let data = iris();
    let h = hyper(&[
        ("k", HyperValue::Int(3)),
        ("max_iterations", HyperValue::Int(100)),
    ]);
    let model = train(Algorithm::KMeans, &h, data.x.view(), Target::None, 42).unwrap();
    let Prediction::Clusters(ids) = model.predict(data.x.view()).unwrap() else {
        panic!("expected clusters");
    };
    // scikit-learn 1.9.1, `KMeans(n_clusters=3, n_init=10, max_iter=100)`
    // on the same rows, for random_state 0 to 4: sizes 38, 50, 62.
    let mut sizes = vec![0usize; 3];
    for &id in &ids {
        sizes[id] += 1;
    }
    sizes.sort_unstable();
    assert_eq!(sizes, vec![38, 50, 62]);
    let score = silhouette(data.x.view(), &ids).unwrap();
    assert!(score >= 0.5, "silhouette {score}");
}

/// Every algorithm with a valid setting, on data it accepts.
fn every_model() -> Vec<(Algorithm, TrainedModel, Array2<f64>)> {
    let classes = iris();
    let binary = iris_binary();
    let (dx, dy) = diabetes();
    let mut out = Vec::new();
    for algorithm in Algorithm::ALL {
        let (x, target) = match algorithm.kind() {
            _ if algorithm == Algorithm::Svm => (&binary.x, binary.target()),
            ModelKind::Clusterer => (&classes.x, Target::None),
            ModelKind::Regressor => (&dx, Target::Values(&dy)),
            ModelKind::Classifier => (&classes.x, classes.target()),
        };
        let h = match algorithm {
            Algorithm::KMeans => hyper(&[("k", HyperValue::Int(3))]),
            Algorithm::Svm => hyper(&[("kernel", HyperValue::Str("gaussian".into()))]),
            _ => Hyper::new(),
        };
        let model = train(algorithm, &h, x.view(), target, 1234).unwrap();
        out.push((algorithm, model, x.clone()));
    }
    out
}

fn bits(model: &TrainedModel, x: ArrayView2<f64>) -> (Prediction, Vec<u64>) {
    let proba = model
        .predict_proba(x)
        .unwrap()
        .map(|p| p.iter().map(|v| v.to_bits()).collect())
        .unwrap_or_default();
    (model.predict(x).unwrap(), proba)
}

#[test]
fn training_is_deterministic() {
    let first = every_model();
    let second = every_model();
    for ((algorithm, a, x), (_, b, _)) in first.iter().zip(&second) {
        assert_eq!(a.to_json().unwrap(), b.to_json().unwrap(), "{algorithm}");
        let (pa, qa) = bits(a, x.view());
        let (pb, qb) = bits(b, x.view());
        assert_eq!(qa, qb, "{algorithm}");
        match (pa, pb) {
            (Prediction::Values(va), Prediction::Values(vb)) => {
                let va: Vec<u64> = va.iter().map(|v| v.to_bits()).collect();
                let vb: Vec<u64> = vb.iter().map(|v| v.to_bits()).collect();
                assert_eq!(va, vb, "{algorithm}");
            }
            (pa, pb) => assert_eq!(pa, pb, "{algorithm}"),
        }
    }
}

#[test]
fn models_round_trip_through_json() {
    for (algorithm, model, x) in every_model() {
        let json = model.to_json().unwrap();
        let loaded = TrainedModel::from_json(&json).unwrap();
        assert_eq!(loaded.to_json().unwrap(), json, "{algorithm}");
        assert_eq!(loaded.algorithm(), algorithm);
        let (p, q) = bits(&model, x.view());
        let (lp, lq) = bits(&loaded, x.view());
        assert_eq!(q, lq, "{algorithm}");
        match (p, lp) {
            (Prediction::Values(a), Prediction::Values(b)) => {
                let a: Vec<u64> = a.iter().map(|v| v.to_bits()).collect();
                let b: Vec<u64> = b.iter().map(|v| v.to_bits()).collect();
                assert_eq!(a, b, "{algorithm}");
            }
            (a, b) => assert_eq!(a, b, "{algorithm}"),
        }
    }
}

#[test]
fn inconsistent_or_broken_model_files_are_errors() {
    let data = iris();
    let model = train(
        Algorithm::DecisionTree,
        &Hyper::new(),
        data.x.view(),
        data.target(),
        0,
    )
    .unwrap();
    let json = model.to_json().unwrap();
    let tampered = json.replace("\"n_features\":4", "\"n_features\":2");
    assert_ne!(tampered, json);
    let err = TrainedModel::from_json(&tampered).unwrap_err();
    assert!(matches!(err, ModelError::Serialization(_)), "{err}");
    assert!(TrainedModel::from_json("{\"algorithm\":\"svm\"}").is_err());
    assert!(TrainedModel::from_json("not json").is_err());

    for (algorithm, model, _) in every_model() {
        let json = model.to_json().unwrap();
        let n = model.n_features();
        let tampered = json.replace(
            &format!("\"n_features\":{n}"),
            &format!("\"n_features\":{}", n - 1),
        );
        assert!(
            TrainedModel::from_json(&tampered).is_err(),
            "{algorithm} accepted a wrong feature count"
        );
    }
}

#[test]
fn bad_hyper_parameters_are_errors_naming_them() {
    let data = iris();
    let fit = |algorithm, h: Hyper| {
        train(algorithm, &h, data.x.view(), data.target(), 0)
            .unwrap_err()
            .to_string()
    };
    let err = fit(
        Algorithm::LogisticRegression,
        hyper(&[("learning_rate", HyperValue::Float(0.1))]),
    );
    assert!(
        err.contains("`learning_rate`") && err.contains("max_iterations"),
        "{err}"
    );
    let err = fit(
        Algorithm::LogisticRegression,
        hyper(&[("l2", HyperValue::Str("high".into()))]),
    );
    assert!(
        err.contains("`l2`") && err.contains("must be float"),
        "{err}"
    );
    let err = fit(
        Algorithm::LogisticRegression,
        hyper(&[("max_iterations", HyperValue::Float(10.5))]),
    );
    assert!(
        err.contains("`max_iterations`") && err.contains("must be int"),
        "{err}"
    );
    let err = fit(
        Algorithm::LogisticRegression,
        hyper(&[("l2", HyperValue::Float(-1.0))]),
    );
    assert!(err.contains("`l2`") && err.contains(">= 0"), "{err}");
    let err = fit(
        Algorithm::DecisionTree,
        hyper(&[("max_depth", HyperValue::Int(0))]),
    );
    assert!(err.contains("`max_depth`"), "{err}");
    let err = fit(
        Algorithm::DecisionTree,
        hyper(&[("min_samples_split", HyperValue::Bool(true))]),
    );
    assert!(err.contains("`min_samples_split`"), "{err}");
    let err = fit(
        Algorithm::GaussianNb,
        hyper(&[("var_smoothing", HyperValue::Float(f64::NAN))]),
    );
    assert!(err.contains("`var_smoothing`"), "{err}");

    let binary = iris_binary();
    let err = train(
        Algorithm::Svm,
        &hyper(&[("kernel", HyperValue::Str("poly".into()))]),
        binary.x.view(),
        binary.target(),
        0,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("`kernel`") && err.contains("linear, gaussian"),
        "{err}"
    );
    let err = train(
        Algorithm::Svm,
        &hyper(&[("c", HyperValue::Int(0))]),
        binary.x.view(),
        binary.target(),
        0,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("`c`") && err.contains("> 0"), "{err}");

    let err = train(
        Algorithm::KMeans,
        &hyper(&[("k", HyperValue::Int(500))]),
        data.x.view(),
        Target::None,
        0,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("`k`") && err.contains("500"), "{err}");
}

#[test]
fn data_that_does_not_fit_is_an_error() {
    let data = iris();
    let (dx, dy) = diabetes();
    let none = Hyper::new();
    // A regressor given classes, a classifier given numbers, k-means a target.
    assert!(train(Algorithm::Ridge, &none, data.x.view(), data.target(), 0).is_err());
    assert!(train(
        Algorithm::GaussianNb,
        &none,
        dx.view(),
        Target::Values(&dy),
        0
    )
    .is_err());
    assert!(train(Algorithm::KMeans, &none, data.x.view(), data.target(), 0).is_err());
    // Mismatched lengths, no rows, a NaN feature, a single class.
    assert!(train(
        Algorithm::Lasso,
        &none,
        dx.view(),
        Target::Values(&dy[1..]),
        0
    )
    .is_err());
    let empty = Array2::<f64>::zeros((0, 4));
    let target = Target::Classes {
        y: &[],
        names: &data.names,
    };
    assert!(train(Algorithm::DecisionTree, &none, empty.view(), target, 0).is_err());
    let mut nan = data.x.clone();
    nan[[3, 2]] = f64::NAN;
    let err = train(
        Algorithm::LogisticRegression,
        &none,
        nan.view(),
        data.target(),
        0,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("row 3"), "{err}");
    let one_class = vec![0; data.y.len()];
    let target = Target::Classes {
        y: &one_class,
        names: &data.names,
    };
    let err = train(Algorithm::GaussianNb, &none, data.x.view(), target, 0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("at least two classes"), "{err}");

    // Predicting with the wrong number of features.
    for (algorithm, model, x) in every_model() {
        let narrow = x.slice(ndarray::s![.., 1..]);
        let err = model.predict(narrow).unwrap_err().to_string();
        assert!(err.contains("features"), "{algorithm}: {err}");
        assert!(model.predict_proba(narrow).is_err());
    }
}

#[test]
fn algorithms_are_named_as_in_the_language() {
    for algorithm in Algorithm::ALL {
        assert_eq!(Algorithm::from_name(algorithm.name()), Some(algorithm));
        let json = serde_json::to_string(&algorithm).unwrap();
        assert_eq!(json, format!("\"{}\"", algorithm.name()));
    }
    assert_eq!(Algorithm::from_name("extra_trees"), None);
}
