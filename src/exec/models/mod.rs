//! One API over the algorithms the language accepts.
//!
//! [`train`] maps the `hyper { }` record of a `model` block onto the
//! algorithm's parameters, fits, and returns a [`TrainedModel`] that
//! predicts, gives class probabilities, coefficients or feature
//! importances, and round-trips through JSON (linfa's own `serde` support).
//! One file per family of algorithms: `linear.rs`, `logistic.rs`,
//! `tree.rs`, `bayes.rs`, `svm.rs`, `kmeans.rs`; `hyper.rs` reads the
//! `hyper { }` record. The decision tree is not linfa's: it is grown here
//! (`tree.rs` says why linfa's cannot be used when results must be
//! reproducible).
//!
//! Prediction is computed here from the fitted parameters rather than through
//! linfa's `predict`, for three reasons: linfa asserts (panics) on a feature
//! count mismatch, some of its models break ties by `HashMap` order (which
//! changes from run to run), and scikit-learn's conventions (ties go to the
//! lower class index, a decision value of exactly 0 is the first class) make
//! the results comparable.
//!
//! Hyper-parameters, their types, bounds, defaults and meaning are read from
//! the catalogue (`stdlib/catalog/algorithms.mlp`), the table the checker
//! validates `hyper { }` against and docs/language.md prints.

mod bayes;
mod hyper;
mod kmeans;
mod linear;
mod logistic;
mod svm;
mod tree;

use std::fmt;

use linfa::traits::Predict;
use linfa_bayes::GaussianNb;
use linfa_clustering::KMeans;
use linfa_elasticnet::ElasticNet;
use linfa_logistic::{FittedLogisticRegression, MultiFittedLogisticRegression};
use linfa_nn::distance::L2Dist;
use linfa_svm::Svm;
use ndarray::{Array1, Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::check::catalog;
use hyper::HyperReader;
pub use hyper::{Hyper, HyperValue};
use linear::LinearFit;
use tree::Tree;

/// The algorithms of the language, by their names in `model x: NAME { }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    LogisticRegression,
    LinearRegression,
    Ridge,
    Lasso,
    ElasticNet,
    DecisionTree,
    GaussianNb,
    Svm,
    #[serde(rename = "kmeans")]
    KMeans,
}

/// What an algorithm learns, which decides its target and its metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    Classifier,
    Regressor,
    Clusterer,
}

impl Algorithm {
    pub const ALL: [Algorithm; 9] = [
        Algorithm::LogisticRegression,
        Algorithm::LinearRegression,
        Algorithm::Ridge,
        Algorithm::Lasso,
        Algorithm::ElasticNet,
        Algorithm::DecisionTree,
        Algorithm::GaussianNb,
        Algorithm::Svm,
        Algorithm::KMeans,
    ];

    /// The name used in the language.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::LogisticRegression => "logistic_regression",
            Algorithm::LinearRegression => "linear_regression",
            Algorithm::Ridge => "ridge",
            Algorithm::Lasso => "lasso",
            Algorithm::ElasticNet => "elastic_net",
            Algorithm::DecisionTree => "decision_tree",
            Algorithm::GaussianNb => "gaussian_nb",
            Algorithm::Svm => "svm",
            Algorithm::KMeans => "kmeans",
        }
    }

    pub fn from_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Whether training reads the feature matrix column by column, so that
    /// it is fastest stored column-major: `xᵀ · r` in logistic regression's
    /// gradient (ndarray without BLAS multiplies a matrix and a vector row
    /// by row, and the rows of `xᵀ` are then contiguous), one column at a
    /// time in the coordinate descent of lasso and elastic_net and in the
    /// decision tree's split search. On a row-major matrix each of those
    /// reads takes a cache line per value.
    pub fn trains_on_columns(self) -> bool {
        matches!(
            self,
            Algorithm::LogisticRegression
                | Algorithm::Lasso
                | Algorithm::ElasticNet
                | Algorithm::DecisionTree
        )
    }

    pub fn kind(self) -> ModelKind {
        match self {
            Algorithm::LogisticRegression
            | Algorithm::DecisionTree
            | Algorithm::GaussianNb
            | Algorithm::Svm => ModelKind::Classifier,
            Algorithm::LinearRegression
            | Algorithm::Ridge
            | Algorithm::Lasso
            | Algorithm::ElasticNet => ModelKind::Regressor,
            Algorithm::KMeans => ModelKind::Clusterer,
        }
    }

    /// This algorithm's entry in the catalogue.
    fn catalogued(self) -> Result<&'static catalog::Algorithm, ModelError> {
        catalog::get()
            .algorithm(self.name())
            .ok_or_else(|| ModelError::Training {
                algorithm: self,
                message: "the algorithm is missing from the built-in catalogue".to_string(),
            })
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a model could not be trained, used, or loaded.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelError {
    UnknownHyper {
        algorithm: Algorithm,
        name: String,
        known: Vec<String>,
    },
    HyperType {
        algorithm: Algorithm,
        name: String,
        expected: String,
        found: HyperValue,
    },
    HyperValue {
        algorithm: Algorithm,
        name: String,
        message: String,
    },
    /// The data does not fit the algorithm or the model (shapes, values, target).
    Data(String),
    /// linfa could not fit the model.
    Training {
        algorithm: Algorithm,
        message: String,
    },
    /// A saved model could not be written or read back.
    Serialization(String),
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::UnknownHyper {
                algorithm,
                name,
                known,
            } => write!(
                f,
                "{algorithm} has no hyper-parameter `{name}` (it has: {})",
                known.join(", ")
            ),
            ModelError::HyperType {
                algorithm,
                name,
                expected,
                found,
            } => write!(
                f,
                "hyper-parameter `{name}` of {algorithm} must be {expected}, got {} {found}",
                found.type_name()
            ),
            ModelError::HyperValue {
                algorithm,
                name,
                message,
            } => write!(f, "hyper-parameter `{name}` of {algorithm} {message}"),
            ModelError::Data(message) => f.write_str(message),
            ModelError::Training { algorithm, message } => {
                write!(f, "training {algorithm} failed: {message}")
            }
            ModelError::Serialization(message) => write!(f, "model file: {message}"),
        }
    }
}

impl std::error::Error for ModelError {}

fn training_error(algorithm: Algorithm) -> impl Fn(&dyn fmt::Display) -> ModelError {
    move |e| ModelError::Training {
        algorithm,
        message: e.to_string(),
    }
}

/// The training target.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// Class indices into `names` (one per row), for classifiers.
    Classes { y: &'a [usize], names: &'a [String] },
    /// Numbers, for regressors.
    Values(&'a [f64]),
    /// No target, for clusterers.
    None,
}

/// What [`TrainedModel::predict`] returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Prediction {
    /// Class indices into [`TrainedModel::classes`].
    Classes(Vec<usize>),
    Values(Vec<f64>),
    /// Cluster ids `0..k`.
    Clusters(Vec<usize>),
}

/// Linear coefficients: one row of `weights` (one weight per feature) and
/// one intercept per output. Multinomial logistic regression has one row
/// per class, in class order; a binary classifier has one row, for the
/// log-odds of the second class (`classes[1]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coefficients {
    pub weights: Vec<Vec<f64>>,
    pub intercepts: Vec<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Fitted {
    BinaryLogistic(FittedLogisticRegression<f64, usize>),
    MultiLogistic(MultiFittedLogisticRegression<f64, usize>),
    Linear(LinearFit),
    Ridge(LinearFit),
    ElasticNet(ElasticNet<f64>),
    Tree(Tree),
    GaussianNb(GaussianNb<f64, usize>),
    /// `true` is class 1.
    Svm(Svm<f64, bool>),
    KMeans(KMeans<f64, L2Dist>),
}

/// A fitted model: what `models/<name>.json` holds, and what serving loads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainedModel {
    algorithm: Algorithm,
    hyper: Hyper,
    n_features: usize,
    /// Class names for classifiers, in index order; empty otherwise.
    classes: Vec<String>,
    fitted: Fitted,
}

fn check_features(x: ArrayView2<f64>, what: &str) -> Result<(), ModelError> {
    for ((row, col), v) in x.indexed_iter() {
        if !v.is_finite() {
            return Err(ModelError::Data(format!(
                "{what}: feature {col} of row {row} is not a finite number ({v})"
            )));
        }
    }
    Ok(())
}

fn classes_target<'a>(
    algorithm: Algorithm,
    target: Target<'a>,
    n_rows: usize,
) -> Result<(&'a [usize], &'a [String]), ModelError> {
    let Target::Classes { y, names } = target else {
        return Err(ModelError::Data(format!(
            "{algorithm} is a classifier: its target must be classes"
        )));
    };
    if y.len() != n_rows {
        return Err(ModelError::Data(format!(
            "{algorithm}: {n_rows} rows of features but {} target values",
            y.len()
        )));
    }
    if let Some((row, c)) = y.iter().enumerate().find(|(_, c)| **c >= names.len()) {
        return Err(ModelError::Data(format!(
            "{algorithm}: row {row} has class index {c} but there are {} class names",
            names.len()
        )));
    }
    let mut present: Vec<usize> = y.to_vec();
    present.sort_unstable();
    present.dedup();
    if present.len() < 2 {
        return Err(ModelError::Data(format!(
            "{algorithm} needs at least two classes in the training data, found {}",
            present.len()
        )));
    }
    Ok((y, names))
}

fn values_target<'a>(
    algorithm: Algorithm,
    target: Target<'a>,
    n_rows: usize,
) -> Result<&'a [f64], ModelError> {
    let Target::Values(y) = target else {
        return Err(ModelError::Data(format!(
            "{algorithm} is a regressor: its target must be numbers"
        )));
    };
    if y.len() != n_rows {
        return Err(ModelError::Data(format!(
            "{algorithm}: {n_rows} rows of features but {} target values",
            y.len()
        )));
    }
    if let Some((row, v)) = y.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(ModelError::Data(format!(
            "{algorithm}: the target of row {row} is not a finite number ({v})"
        )));
    }
    Ok(y)
}

/// Trains `algorithm` on the rows of `x` (one column per feature).
/// Deterministic: the same inputs give the same model, bit for bit. A
/// model whose `seed` defaults to the split's seed (kmeans) uses
/// `split_seed`.
pub fn train(
    algorithm: Algorithm,
    hyper: &Hyper,
    x: ArrayView2<f64>,
    target: Target<'_>,
    split_seed: u64,
) -> Result<TrainedModel, ModelError> {
    let reader = HyperReader::new(algorithm, hyper)?;
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(ModelError::Data(format!(
            "{algorithm}: no training data ({} rows, {} features)",
            x.nrows(),
            x.ncols()
        )));
    }
    check_features(x, algorithm.name())?;
    let mut classes = Vec::new();
    // The class indices, once the class names are kept for the model.
    let mut classify = || -> Result<&[usize], ModelError> {
        let (y, names) = classes_target(algorithm, target, x.nrows())?;
        classes = names.to_vec();
        Ok(y)
    };
    let values = || values_target(algorithm, target, x.nrows());
    let fitted = match algorithm {
        Algorithm::LogisticRegression => {
            let y = classify()?;
            logistic::fit(&reader, x, y, classes.len())?
        }
        Algorithm::LinearRegression => linear::linear_regression(&reader, x, values()?)?,
        Algorithm::Ridge => linear::ridge(&reader, x, values()?)?,
        Algorithm::Lasso | Algorithm::ElasticNet => {
            linear::elastic_net(&reader, algorithm, x, values()?)?
        }
        Algorithm::DecisionTree => {
            let y = classify()?;
            let max_depth = reader.limit("max_depth")?;
            let min_split = reader.count("min_samples_split")?;
            Fitted::Tree(Tree::grow(x, y, classes.len(), max_depth, min_split))
        }
        Algorithm::GaussianNb => {
            let y = classify()?;
            bayes::fit(&reader, x, y)?
        }
        Algorithm::Svm => {
            let y = classify()?;
            svm::fit(&reader, x, y, classes.len())?
        }
        Algorithm::KMeans => kmeans::fit(&reader, x, target, split_seed)?,
    };
    Ok(TrainedModel {
        algorithm,
        hyper: hyper.clone(),
        n_features: x.ncols(),
        classes,
        fitted,
    })
}

/// Index of the largest value, the lowest index on ties (as numpy's argmax).
fn argmax(values: impl IntoIterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, v) in values.into_iter().enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

/// Row-wise softmax of log-scores, stable for large magnitudes; a column of
/// `-inf` gets probability 0.
fn softmax_rows(mut scores: Array2<f64>) -> Array2<f64> {
    for mut row in scores.rows_mut() {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        row.mapv_inplace(|v| (v - max).exp());
        let sum = row.sum();
        row.mapv_inplace(|v| v / sum);
    }
    scores
}

impl TrainedModel {
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn hyper(&self) -> &Hyper {
        &self.hyper
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Class names in index order (empty for regressors and clusterers).
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    fn check_input(&self, x: ArrayView2<f64>) -> Result<(), ModelError> {
        if x.ncols() != self.n_features {
            return Err(ModelError::Data(format!(
                "{} was trained on {} features, got {}",
                self.algorithm,
                self.n_features,
                x.ncols()
            )));
        }
        check_features(x, self.algorithm.name())
    }

    /// Predicts one value, class or cluster per row of `x`.
    pub fn predict(&self, x: ArrayView2<f64>) -> Result<Prediction, ModelError> {
        self.check_input(x)?;
        let classes_from = |scores: Array2<f64>| -> Prediction {
            Prediction::Classes(
                scores
                    .rows()
                    .into_iter()
                    .map(|row| argmax(row.iter().copied()))
                    .collect(),
            )
        };
        Ok(match &self.fitted {
            Fitted::BinaryLogistic(model) => Prediction::Classes(
                logistic::binary_logit(model, x)
                    .iter()
                    .map(|&z| usize::from(z > 0.0))
                    .collect(),
            ),
            Fitted::MultiLogistic(model) => {
                classes_from(logistic::multi_logits(model, x, self.classes.len()))
            }
            Fitted::Linear(model) | Fitted::Ridge(model) => {
                Prediction::Values(model.predict(x).to_vec())
            }
            Fitted::ElasticNet(model) => {
                Prediction::Values((x.dot(model.hyperplane()) + model.intercept()).to_vec())
            }
            Fitted::Tree(_) | Fitted::GaussianNb(_) => {
                let proba = self.probabilities(x).unwrap_or_default();
                classes_from(proba)
            }
            Fitted::Svm(model) => Prediction::Classes(
                svm::decision(model, x)
                    .into_iter()
                    .map(|d| usize::from(d >= 0.0))
                    .collect(),
            ),
            Fitted::KMeans(model) => {
                let ids: Array1<usize> = model.predict(&x);
                Prediction::Clusters(ids.to_vec())
            }
        })
    }

    /// Class probabilities (rows sum to 1), for models that have them.
    fn probabilities(&self, x: ArrayView2<f64>) -> Option<Array2<f64>> {
        match &self.fitted {
            Fitted::BinaryLogistic(model) => Some(logistic::binary_probabilities(model, x)),
            Fitted::MultiLogistic(model) => Some(softmax_rows(logistic::multi_logits(
                model,
                x,
                self.classes.len(),
            ))),
            Fitted::Tree(tree) => {
                let mut proba = Array2::zeros((x.nrows(), self.classes.len()));
                for (mut out, row) in proba.rows_mut().into_iter().zip(x.rows()) {
                    if let Some(out) = out.as_slice_mut() {
                        tree.probabilities(row, out);
                    }
                }
                Some(proba)
            }
            Fitted::GaussianNb(model) => Some(softmax_rows(bayes::log_likelihoods(
                model,
                x,
                self.classes.len(),
            ))),
            Fitted::Linear(_)
            | Fitted::Ridge(_)
            | Fitted::ElasticNet(_)
            | Fitted::Svm(_)
            | Fitted::KMeans(_) => None,
        }
    }

    /// Class probabilities, one row per sample and one column per class;
    /// `None` for models without them (regressors, k-means, SVM).
    pub fn predict_proba(&self, x: ArrayView2<f64>) -> Result<Option<Array2<f64>>, ModelError> {
        self.check_input(x)?;
        Ok(self.probabilities(x))
    }

    /// A score per row, higher meaning more likely `positive`, for ROC
    /// curves: the class probability, or the SVM's decision value. `None`
    /// for regressors and k-means.
    pub fn scores(
        &self,
        x: ArrayView2<f64>,
        positive: usize,
    ) -> Result<Option<Vec<f64>>, ModelError> {
        self.check_input(x)?;
        if self.algorithm.kind() == ModelKind::Classifier && positive >= self.classes.len() {
            return Err(ModelError::Data(format!(
                "class index {positive} is out of range: the model has {} classes",
                self.classes.len()
            )));
        }
        if let Fitted::Svm(model) = &self.fitted {
            let decision = svm::decision(model, x);
            return Ok(Some(if positive == 1 {
                decision
            } else {
                decision.into_iter().map(|d| -d).collect()
            }));
        }
        Ok(self
            .probabilities(x)
            .map(|proba| proba.column(positive).to_vec()))
    }

    /// Linear coefficients, for the linear models (and the linear SVM).
    pub fn coefficients(&self) -> Option<Coefficients> {
        match &self.fitted {
            Fitted::BinaryLogistic(model) => Some(logistic::binary_coefficients(model)),
            Fitted::MultiLogistic(model) => Some(logistic::multi_coefficients(
                model,
                self.n_features,
                self.classes.len(),
            )),
            Fitted::Linear(model) | Fitted::Ridge(model) => Some(Coefficients {
                weights: vec![model.weights.clone()],
                intercepts: vec![model.intercept],
            }),
            Fitted::ElasticNet(model) => Some(Coefficients {
                weights: vec![model.hyperplane().to_vec()],
                intercepts: vec![model.intercept()],
            }),
            Fitted::Svm(model) if !matches!(self.hyper.0.get("kernel"), Some(HyperValue::Str(s)) if s != "linear") => {
                Some(svm::linear_coefficients(model, self.n_features))
            }
            _ => None,
        }
    }

    /// Per-feature importance of a decision tree, as scikit-learn's
    /// `feature_importances_` (normalised total Gini decrease).
    pub fn feature_importances(&self) -> Option<Vec<f64>> {
        match &self.fitted {
            Fitted::Tree(tree) => Some(tree.importances(self.n_features)),
            _ => None,
        }
    }

    /// The model as JSON. Objects are written with sorted keys, so the same
    /// model always gives the same bytes (linfa keeps some parameters in
    /// `HashMap`s, whose order changes from run to run).
    pub fn to_json(&self) -> Result<String, ModelError> {
        let value = serde_json::to_value(self)
            .map_err(|e| ModelError::Serialization(format!("cannot encode the model: {e}")))?;
        serde_json::to_string(&value)
            .map_err(|e| ModelError::Serialization(format!("cannot encode the model: {e}")))
    }

    /// Reads a model written by [`TrainedModel::to_json`], checking that its
    /// parts agree with each other so that predicting with it cannot fail
    /// half-way.
    pub fn from_json(text: &str) -> Result<TrainedModel, ModelError> {
        let model: TrainedModel = serde_json::from_str(text)
            .map_err(|e| ModelError::Serialization(format!("not a valid model: {e}")))?;
        model.validate()?;
        Ok(model)
    }

    fn validate(&self) -> Result<(), ModelError> {
        let n = self.n_features;
        let k = self.classes.len();
        let bad = |what: &str| {
            Err(ModelError::Serialization(format!(
                "inconsistent {} model: {what}",
                self.algorithm
            )))
        };
        let consistent = match (&self.fitted, self.algorithm) {
            (
                Fitted::BinaryLogistic(_) | Fitted::MultiLogistic(_),
                Algorithm::LogisticRegression,
            )
            | (Fitted::Linear(_), Algorithm::LinearRegression)
            | (Fitted::Ridge(_), Algorithm::Ridge)
            | (Fitted::Tree(_), Algorithm::DecisionTree)
            | (Fitted::GaussianNb(_), Algorithm::GaussianNb)
            | (Fitted::Svm(_), Algorithm::Svm)
            | (Fitted::KMeans(_), Algorithm::KMeans) => true,
            (Fitted::ElasticNet(_), alg) => {
                matches!(alg, Algorithm::Lasso | Algorithm::ElasticNet)
            }
            _ => false,
        };
        let classifier = self.algorithm.kind() == ModelKind::Classifier;
        if !consistent || classifier != (k >= 2) {
            return bad("the algorithm, its parameters and its classes do not match");
        }
        match &self.fitted {
            Fitted::BinaryLogistic(m) => {
                if !logistic::binary_shapes_ok(m, n, k) {
                    return bad("coefficients or classes have the wrong size");
                }
            }
            Fitted::MultiLogistic(m) => {
                if !logistic::multi_shapes_ok(m, n, k) {
                    return bad("coefficients or classes have the wrong size");
                }
            }
            Fitted::Linear(m) | Fitted::Ridge(m) => {
                if m.weights.len() != n {
                    return bad("coefficients have the wrong size");
                }
            }
            Fitted::ElasticNet(m) => {
                if m.hyperplane().len() != n {
                    return bad("coefficients have the wrong size");
                }
            }
            Fitted::Tree(tree) => {
                if !tree.is_consistent(n, k) {
                    return bad("the tree does not match the features and classes");
                }
            }
            Fitted::GaussianNb(m) => {
                if !bayes::shapes_ok(m, n, k) {
                    return bad("class statistics have the wrong size");
                }
            }
            Fitted::Svm(m) => {
                if !svm::shapes_ok(m, n) {
                    return bad("support vectors have the wrong size");
                }
            }
            Fitted::KMeans(m) => {
                if m.centroids().ncols() != n || m.centroids().nrows() == 0 {
                    return bad("centroids have the wrong size");
                }
            }
        }
        Ok(())
    }
}

/// The `dim` of an ndarray serialised by its `serde` support.
pub(super) fn array_dims(value: &serde_json::Value) -> Option<Vec<u64>> {
    value
        .get("dim")?
        .as_array()?
        .iter()
        .map(|d| d.as_u64())
        .collect()
}
