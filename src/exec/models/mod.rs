//! One API over the algorithms the language accepts.
//!
//! [`train`] maps the `hyper { }` record of a `model` block onto the
//! algorithm's parameters, fits, and returns a [`TrainedModel`] that
//! predicts, gives class probabilities, coefficients or feature
//! importances, and round-trips through JSON (linfa's own `serde` support).
//! One file per family of algorithms: `linear.rs`, `logistic.rs`,
//! `tree.rs` (the CART trees and their grower), `forest.rs` (random
//! forests, the regression tree), `boosting.rs`, `bayes.rs`, `svm.rs`,
//! `kmeans.rs`; `algorithm.rs` names them, `hyper.rs` reads the `hyper { }`
//! record, `file.rs` writes and checks model files. The trees are not
//! linfa's: they are grown here (`tree.rs` says why linfa's cannot be used
//! when results must be reproducible).
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

mod algorithm;
mod bayes;
mod boosting;
mod file;
mod forest;
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
use linfa_nn::distance::L2Dist;
use linfa_svm::Svm;
use ndarray::{Array1, Array2, ArrayView2};
use serde::{Deserialize, Serialize};

pub use algorithm::{Algorithm, ModelKind};
use hyper::HyperReader;
pub use hyper::{Hyper, HyperValue};
use linear::LinearFit;
use tree::Tree;

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coefficients {
    pub weights: Vec<Vec<f64>>,
    pub intercepts: Vec<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Fitted {
    /// Its own coefficients, as [`TrainedModel::coefficients`] gives them.
    Logistic(Coefficients),
    Linear(LinearFit),
    Ridge(LinearFit),
    ElasticNet(ElasticNet<f64>),
    Tree(Tree),
    RegressionTree(Tree),
    Forest(forest::Forest),
    Boosted(boosting::Boosted),
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
/// model whose `seed` defaults to the split's seed (kmeans, the forests,
/// boosting) uses `split_seed`.
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
        Algorithm::DecisionTreeRegressor => forest::regression_tree(&reader, x, values()?)?,
        Algorithm::RandomForest => {
            let y = classify()?;
            let learned = forest::Learned::Classes {
                y,
                n_classes: classes.len(),
            };
            forest::fit(&reader, x, learned, split_seed)?
        }
        Algorithm::RandomForestRegressor => {
            let learned = forest::Learned::Values(values()?);
            forest::fit(&reader, x, learned, split_seed)?
        }
        Algorithm::GradientBoosting => {
            let y = classify()?;
            let loss = boosting::Loss::LogLoss {
                y,
                n_classes: classes.len(),
            };
            boosting::fit(&reader, x, loss, split_seed)?
        }
        Algorithm::GradientBoostingRegressor => {
            let loss = boosting::Loss::SquaredError(values()?);
            boosting::fit(&reader, x, loss, split_seed)?
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

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
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
            Fitted::Logistic(model) => Prediction::Classes(logistic::classes(model, x)),
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
            Fitted::RegressionTree(tree) => {
                Prediction::Values(x.rows().into_iter().map(|row| tree.value(row)).collect())
            }
            Fitted::Forest(forest) => match self.algorithm.kind() {
                ModelKind::Classifier => classes_from(forest.probabilities(x, self.classes.len())),
                _ => Prediction::Values(forest.values(x)),
            },
            Fitted::Boosted(boosted) => match self.algorithm.kind() {
                // As scikit-learn: the largest raw score is the most
                // probable class (for two classes, log-odds above 0).
                ModelKind::Classifier if self.classes.len() == 2 => Prediction::Classes(
                    boosted
                        .raw(x)
                        .column(0)
                        .iter()
                        .map(|&z| usize::from(z > 0.0))
                        .collect(),
                ),
                ModelKind::Classifier => classes_from(boosted.raw(x)),
                _ => Prediction::Values(boosted.raw(x).column(0).to_vec()),
            },
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
            Fitted::Logistic(model) => Some(logistic::probabilities(model, x)),
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
            Fitted::Forest(forest) if self.algorithm.kind() == ModelKind::Classifier => {
                Some(forest.probabilities(x, self.classes.len()))
            }
            Fitted::Boosted(boosted) if self.algorithm.kind() == ModelKind::Classifier => {
                Some(boosted.probabilities(x))
            }
            Fitted::Linear(_)
            | Fitted::Ridge(_)
            | Fitted::ElasticNet(_)
            | Fitted::RegressionTree(_)
            | Fitted::Forest(_)
            | Fitted::Boosted(_)
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
            Fitted::Logistic(model) => Some(model.clone()),
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
            Fitted::Tree(tree) | Fitted::RegressionTree(tree) => {
                Some(tree.importances(self.n_features))
            }
            Fitted::Forest(forest) => Some(forest.importances(self.n_features)),
            Fitted::Boosted(boosted) => Some(boosted.importances(self.n_features)),
            _ => None,
        }
    }
}
