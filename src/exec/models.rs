//! One API over the linfa algorithms the language accepts.
//!
//! [`train`] maps the `hyper { }` record of a `model` block onto linfa's
//! parameters, fits, and returns a [`TrainedModel`] that predicts, gives
//! class probabilities, coefficients or feature importances, and round-trips
//! through JSON (linfa's own `serde` support). The decision tree is the one
//! exception: it is grown here (the private `Tree` type says why linfa's
//! cannot be used when results must be reproducible).
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
//!
//! Ridge and the two L1 models scale their penalties differently, on
//! purpose: each follows the scikit-learn estimator users compare it with.
//! Ridge is scikit-learn's `Ridge` (the penalty does not shrink as rows are
//! added), solved here in closed form; lasso and elastic_net are
//! scikit-learn's `Lasso`/`ElasticNet` (the penalty is relative to the
//! *mean* squared error), fitted by linfa-elasticnet's coordinate descent.
//! On `n` rows, `ridge { l2 = a }` is `elastic_net { l1 = 0, l2 = a / n }`.

use std::collections::BTreeMap;
use std::fmt;

use linfa::traits::{Fit, Predict};
use linfa::DatasetBase;
use linfa_bayes::{GaussianNb, NaiveBayes};
use linfa_clustering::KMeans;
use linfa_elasticnet::ElasticNet;
use linfa_linalg::eigh::EighInto;
use linfa_logistic::{
    FittedLogisticRegression, LogisticRegression, MultiFittedLogisticRegression,
    MultiLogisticRegression,
};
use linfa_nn::distance::L2Dist;
use linfa_svm::Svm;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, ShapeBuilder};
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use serde::{Deserialize, Serialize};

use crate::check::catalog::{self, HyperDefault};

// ------------------------------------------------------------- algorithms

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

// ------------------------------------------------------- hyper-parameters

/// A value of the `hyper { }` record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HyperValue {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
}

impl HyperValue {
    fn type_name(&self) -> &'static str {
        match self {
            HyperValue::Int(_) => "int",
            HyperValue::Float(_) => "float",
            HyperValue::Bool(_) => "bool",
            HyperValue::Str(_) => "string",
        }
    }
}

impl fmt::Display for HyperValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HyperValue::Int(v) => write!(f, "{v}"),
            HyperValue::Float(v) => write!(f, "{v}"),
            HyperValue::Bool(v) => write!(f, "{v}"),
            HyperValue::Str(v) => write!(f, "{v:?}"),
        }
    }
}

/// The `hyper { }` record of a model, by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Hyper(pub BTreeMap<String, HyperValue>);

impl Hyper {
    pub fn new() -> Self {
        Hyper::default()
    }

    /// Adds or replaces a value; returns `self` so records read as one expression.
    pub fn with(mut self, name: &str, value: HyperValue) -> Self {
        self.0.insert(name.to_string(), value);
        self
    }
}

/// Reads the hyper-parameters of one algorithm as the catalogue describes
/// them: a value is checked against its spec's type and bound when the
/// reader is made, and a missing one takes the spec's default.
struct HyperReader<'a> {
    algorithm: Algorithm,
    specs: &'static [catalog::HyperSpec],
    hyper: &'a Hyper,
}

impl<'a> HyperReader<'a> {
    fn new(algorithm: Algorithm, hyper: &'a Hyper) -> Result<Self, ModelError> {
        let specs = &algorithm.catalogued()?.hyper;
        let reader = HyperReader {
            algorithm,
            specs,
            hyper,
        };
        for (name, value) in &hyper.0 {
            let Some(spec) = specs.iter().find(|s| s.name == *name) else {
                return Err(ModelError::UnknownHyper {
                    algorithm,
                    name: name.clone(),
                    known: specs.iter().map(|s| s.name.clone()).collect(),
                });
            };
            reader.accepts(spec, value)?;
        }
        Ok(reader)
    }

    fn accepts(&self, spec: &catalog::HyperSpec, value: &HyperValue) -> Result<(), ModelError> {
        use catalog::HyperType;
        let number = match (&spec.ty, value) {
            (HyperType::Int, HyperValue::Int(v)) => Some(*v as f64),
            (HyperType::Float, HyperValue::Int(v)) => Some(*v as f64),
            (HyperType::Float, HyperValue::Float(v)) => Some(*v),
            (HyperType::Bool, HyperValue::Bool(_)) => None,
            (HyperType::Choice(words), HyperValue::Str(v)) => {
                if words.contains(v) {
                    return Ok(());
                }
                return Err(self.invalid(
                    &spec.name,
                    format!("must be one of {}, got {v:?}", words.join(", ")),
                ));
            }
            _ => {
                return Err(ModelError::HyperType {
                    algorithm: self.algorithm,
                    name: spec.name.clone(),
                    expected: spec.ty.to_string(),
                    found: value.clone(),
                })
            }
        };
        let Some(v) = number else {
            return Ok(());
        };
        if !v.is_finite() {
            return Err(self.invalid(&spec.name, format!("must be a finite number, got {v}")));
        }
        if let Some(bound) = &spec.min {
            let within = v > bound.value || (bound.inclusive && v == bound.value);
            if !within {
                let op = if bound.inclusive { ">=" } else { ">" };
                return Err(self.invalid(
                    &spec.name,
                    format!("must be {op} {}, got {value}", bound.value),
                ));
            }
        }
        Ok(())
    }

    fn invalid(&self, name: &str, message: String) -> ModelError {
        ModelError::HyperValue {
            algorithm: self.algorithm,
            name: name.to_string(),
            message,
        }
    }

    /// The value set in the model, or else the catalogue's default.
    fn get(&self, name: &str) -> Result<Setting<'_>, ModelError> {
        if let Some(value) = self.hyper.0.get(name) {
            return Ok(Setting::Given(value));
        }
        match self.specs.iter().find(|s| s.name == name) {
            Some(spec) => Ok(Setting::Default(&spec.default)),
            None => Err(self.catalogue_bug(name)),
        }
    }

    fn catalogue_bug(&self, name: &str) -> ModelError {
        ModelError::Training {
            algorithm: self.algorithm,
            message: format!(
                "the built-in catalogue does not describe `{name}` as this trainer reads it"
            ),
        }
    }

    fn float(&self, name: &str) -> Result<f64, ModelError> {
        match self.get(name)? {
            Setting::Given(HyperValue::Float(v)) => Ok(*v),
            Setting::Given(HyperValue::Int(v)) => Ok(*v as f64),
            Setting::Default(HyperDefault::Float(v)) => Ok(*v),
            Setting::Default(HyperDefault::Int(v)) => Ok(*v as f64),
            _ => Err(self.catalogue_bug(name)),
        }
    }

    /// A non-negative int (the bounds of every count are `>= 1` or more),
    /// or `None` when unlimited.
    fn limit(&self, name: &str) -> Result<Option<usize>, ModelError> {
        let v = match self.get(name)? {
            Setting::Given(HyperValue::Int(v)) | Setting::Default(HyperDefault::Int(v)) => *v,
            Setting::Default(HyperDefault::Unlimited) => return Ok(None),
            _ => return Err(self.catalogue_bug(name)),
        };
        usize::try_from(v)
            .map(Some)
            .map_err(|_| self.invalid(name, format!("must not be negative, got {v}")))
    }

    fn count(&self, name: &str) -> Result<usize, ModelError> {
        self.limit(name)?.ok_or_else(|| self.catalogue_bug(name))
    }

    fn bool(&self, name: &str) -> Result<bool, ModelError> {
        match self.get(name)? {
            Setting::Given(HyperValue::Bool(v)) | Setting::Default(HyperDefault::Bool(v)) => Ok(*v),
            _ => Err(self.catalogue_bug(name)),
        }
    }

    fn choice(&self, name: &str) -> Result<&str, ModelError> {
        match self.get(name)? {
            Setting::Given(HyperValue::Str(v)) | Setting::Default(HyperDefault::Word(v)) => Ok(v),
            _ => Err(self.catalogue_bug(name)),
        }
    }

    /// A seed: the model's own, or the seed of the split it trains on.
    fn seed(&self, name: &str, split_seed: u64) -> Result<u64, ModelError> {
        match self.get(name)? {
            Setting::Given(HyperValue::Int(v)) | Setting::Default(HyperDefault::Int(v)) => {
                u64::try_from(*v)
                    .map_err(|_| self.invalid(name, format!("must not be negative, got {v}")))
            }
            Setting::Default(HyperDefault::SplitSeed) => Ok(split_seed),
            _ => Err(self.catalogue_bug(name)),
        }
    }
}

enum Setting<'a> {
    Given(&'a HyperValue),
    Default(&'a HyperDefault),
}

// ----------------------------------------------------------------- errors

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

// ------------------------------------------------------------- train/use

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

/// A fitted CART decision tree, flattened (node 0 is the root, children
/// come after their parent).
///
/// This one algorithm is not linfa's: linfa-trees 0.8 picks a node's
/// majority class in `HashMap` order and prunes subtrees whose leaves agree,
/// so the same data grows differently shaped trees from run to run
/// (observed on iris); it also sums Gini terms in `f32` in that order. The
/// tree here is grown deterministically in `f64`, with scikit-learn's rules:
/// Gini impurity, thresholds halfway between consecutive distinct values,
/// the first best split (by feature, then threshold) on ties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Tree {
    nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Node {
    /// Rows with `x[feature] <= threshold` go left.
    Split {
        feature: usize,
        threshold: f64,
        left: usize,
        right: usize,
    },
    /// Class counts of the training rows that reach this leaf.
    Leaf { counts: Vec<f64> },
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
    let fail = training_error(algorithm);
    let mut classes = Vec::new();
    let fitted = match algorithm {
        Algorithm::LogisticRegression => {
            let (y, names) = classes_target(algorithm, target, x.nrows())?;
            classes = names.to_vec();
            let max_iterations = reader.count("max_iterations")? as u64;
            let l2 = reader.float("l2")?;
            let tolerance = reader.float("tolerance")?;
            // linfa minimises the summed log-loss, whose gradient grows with
            // the row count: unscaled, 1e-4 was out of reach on large tables
            // and every fit ran all its iterations (100 on 800 000 rows,
            // where scikit-learn stops after 8).
            let tolerance = tolerance * x.nrows() as f64;
            // See `trains_on_columns`: a row-major matrix is copied.
            let copy;
            let records = if x.t().is_standard_layout() {
                x.view()
            } else {
                copy = {
                    let mut columns = Array2::zeros(x.raw_dim().f());
                    columns.assign(&x);
                    columns
                };
                copy.view()
            };
            let data = DatasetBase::new(records, Array1::from(y.to_vec()));
            if names.len() == 2 {
                let model = LogisticRegression::default()
                    .alpha(l2)
                    .max_iterations(max_iterations)
                    .gradient_tolerance(tolerance)
                    .fit(&data)
                    .map_err(|e| fail(&e))?;
                Fitted::BinaryLogistic(model)
            } else {
                let model = MultiLogisticRegression::default()
                    .alpha(l2)
                    .max_iterations(max_iterations)
                    .gradient_tolerance(tolerance)
                    .fit(&data)
                    .map_err(|e| fail(&e))?;
                Fitted::MultiLogistic(model)
            }
        }
        Algorithm::LinearRegression => {
            let y = values_target(algorithm, target, x.nrows())?;
            let fit_intercept = reader.bool("fit_intercept")?;
            Fitted::Linear(LinearFit::least_squares(x, y, fit_intercept).map_err(|e| fail(&e))?)
        }
        Algorithm::Ridge => {
            let y = values_target(algorithm, target, x.nrows())?;
            let l2 = reader.float("l2")?;
            let fit_intercept = reader.bool("fit_intercept")?;
            Fitted::Ridge(LinearFit::ridge(x, y, l2, fit_intercept).map_err(|e| fail(&e))?)
        }
        Algorithm::Lasso | Algorithm::ElasticNet => {
            let y = values_target(algorithm, target, x.nrows())?;
            let (l1, l2) = match algorithm {
                Algorithm::Lasso => (reader.float("l1")?, 0.0),
                _ => (reader.float("l1")?, reader.float("l2")?),
            };
            let max_iterations = u32::try_from(reader.count("max_iterations")?)
                .map_err(|_| reader.invalid("max_iterations", "must be below 2^32".into()))?;
            let penalty = l1 + l2;
            let l1_ratio = if penalty > 0.0 { l1 / penalty } else { 0.0 };
            let data = DatasetBase::new(x, ArrayView1::from(y));
            let model = ElasticNet::params()
                .penalty(penalty)
                .l1_ratio(l1_ratio)
                .with_intercept(reader.bool("fit_intercept")?)
                .max_iterations(max_iterations)
                .fit(&data)
                .map_err(|e| fail(&e))?;
            Fitted::ElasticNet(model)
        }
        Algorithm::DecisionTree => {
            let (y, names) = classes_target(algorithm, target, x.nrows())?;
            classes = names.to_vec();
            let max_depth = reader.limit("max_depth")?;
            let min_split = reader.count("min_samples_split")?;
            Fitted::Tree(Tree::grow(x, y, names.len(), max_depth, min_split))
        }
        Algorithm::GaussianNb => {
            let (y, names) = classes_target(algorithm, target, x.nrows())?;
            classes = names.to_vec();
            let var_smoothing = reader.float("var_smoothing")?;
            let data = DatasetBase::new(x, Array1::from(y.to_vec()));
            let model = GaussianNb::params()
                .var_smoothing(var_smoothing)
                .fit(&data)
                .map_err(|e| fail(&e))?;
            Fitted::GaussianNb(model)
        }
        Algorithm::Svm => {
            let (y, names) = classes_target(algorithm, target, x.nrows())?;
            if names.len() != 2 {
                return Err(ModelError::Data(format!(
                    "svm is a binary classifier, but the target has {} classes",
                    names.len()
                )));
            }
            classes = names.to_vec();
            svm_fits_in_memory(x.nrows())?;
            let c = reader.float("c")?;
            let eps = reader.float("eps")?;
            let params = Svm::<f64, bool>::params().pos_neg_weights(c, c).eps(eps);
            let params = match reader.choice("kernel")? {
                "gaussian" => params.gaussian_kernel(gaussian_width(x)),
                _ => params.linear_kernel(),
            };
            let labels: Array1<bool> = y.iter().map(|&c| c == 1).collect();
            let data = DatasetBase::new(x, labels.view());
            let model = params.fit(&data).map_err(|e| fail(&e))?;
            Fitted::Svm(model)
        }
        Algorithm::KMeans => {
            if !matches!(target, Target::None) {
                return Err(ModelError::Data(
                    "kmeans is a clusterer: it takes no target".to_string(),
                ));
            }
            let k = reader.count("k")?;
            if k > x.nrows() {
                return Err(reader.invalid(
                    "k",
                    format!("is {k}, more than the {} training rows", x.nrows()),
                ));
            }
            let max_iterations = reader.count("max_iterations")? as u64;
            let seed = reader.seed("seed", split_seed)?;
            let rng = Xoshiro256Plus::seed_from_u64(seed);
            let data = DatasetBase::from(x);
            let model = KMeans::params_with(k, rng, L2Dist)
                .max_n_iterations(max_iterations)
                .fit(&data)
                .map_err(|e| fail(&e))?;
            Fitted::KMeans(model)
        }
    };
    Ok(TrainedModel {
        algorithm,
        hyper: hyper.clone(),
        n_features: x.ncols(),
        classes,
        fitted,
    })
}

/// A fitted linear model, `y ≈ x · weights + intercept`: linear_regression
/// and ridge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct LinearFit {
    weights: Vec<f64>,
    intercept: f64,
}

impl LinearFit {
    /// scikit-learn's `Ridge(alpha = l2)`: minimises
    /// `‖y − Xw − b‖² + l2·‖w‖²` with `b` unpenalised. Centring `X` and `y`
    /// takes `b` out of the problem, leaving the p×p normal equations
    /// `(XcᵀXc + l2·I) w = Xcᵀyc`; then `b = ȳ − x̄ᵀw`. Without an
    /// intercept the same equations on the raw data, and `b = 0`. The
    /// closed form replaces linfa-elasticnet's coordinate descent, which
    /// needed minutes in a debug build on 40k rows.
    fn ridge(
        x: ArrayView2<f64>,
        y: &[f64],
        l2: f64,
        fit_intercept: bool,
    ) -> Result<LinearFit, String> {
        let (x_mean, y_mean, mut gram, moment) = normal_equations(x, y, fit_intercept);
        gram.diag_mut().mapv_inplace(|d| d + l2);
        let weights = cholesky_solve(gram, moment).map_err(|feature| {
            format!(
                "the least-squares problem has no unique solution: feature {feature} \
                 (counting from 0) is constant or (nearly) a linear combination of the features \
                 before it; drop it or set l2 > 0"
            )
        })?;
        let intercept = y_mean - x_mean.dot(&weights);
        LinearFit::new(weights, intercept)
    }

    /// scikit-learn's `LinearRegression`: ordinary least squares, and where
    /// the features are collinear (all the one-hot columns of an enum beside
    /// the intercept, a constant column) the minimum-norm solution among the
    /// equally good ones, as scikit-learn's `lstsq` gives. Solved on the
    /// eigen-decomposition `VΛVᵀ` of the (centred) Gram matrix:
    /// `w = V Λ⁺ Vᵀ Xᵀy`, where `Λ⁺` inverts the eigenvalues above 1e-10 of
    /// the largest and zeroes the rest. Those directions are the ones the
    /// data cannot tell apart from rounding; a linear system solved without
    /// that cut (linfa-linear) gave weights of ±2e15 on diamonds.
    fn least_squares(
        x: ArrayView2<f64>,
        y: &[f64],
        fit_intercept: bool,
    ) -> Result<LinearFit, String> {
        let (x_mean, y_mean, gram, moment) = normal_equations(x, y, fit_intercept);
        if gram.iter().any(|v| !v.is_finite()) {
            return Err("the solution is not finite (the features are too large)".to_string());
        }
        let (values, vectors) = gram
            .eigh_into()
            .map_err(|e| format!("the least-squares problem could not be solved: {e}"))?;
        let largest = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let projected = vectors.t().dot(&moment);
        let scaled: Array1<f64> = projected
            .iter()
            .zip(&values)
            .map(|(p, &value)| {
                if value > largest * 1e-10 {
                    p / value
                } else {
                    0.0
                }
            })
            .collect();
        let weights = vectors.dot(&scaled);
        let intercept = if fit_intercept {
            y_mean - x_mean.dot(&weights)
        } else {
            0.0
        };
        LinearFit::new(weights, intercept)
    }

    fn new(weights: Array1<f64>, intercept: f64) -> Result<LinearFit, String> {
        if !intercept.is_finite() || weights.iter().any(|w| !w.is_finite()) {
            return Err("the solution is not finite (the features are too large)".to_string());
        }
        Ok(LinearFit {
            weights: weights.to_vec(),
            intercept,
        })
    }

    fn predict(&self, x: ArrayView2<f64>) -> Array1<f64> {
        x.dot(&ArrayView1::from(&self.weights[..])) + self.intercept
    }
}

/// `(x̄, ȳ, XcᵀXc, Xcᵀyc)`: the column means and the normal equations of
/// the centred data, or of the data itself (means 0) without an intercept.
fn normal_equations(
    x: ArrayView2<f64>,
    y: &[f64],
    centre: bool,
) -> (Array1<f64>, f64, Array2<f64>, Array1<f64>) {
    let n = x.nrows() as f64;
    let (x_mean, y_mean) = if centre {
        (x.sum_axis(Axis(0)) / n, y.iter().sum::<f64>() / n)
    } else {
        (Array1::zeros(x.ncols()), 0.0)
    };
    let xc = &x - &x_mean;
    let yc: Array1<f64> = y.iter().map(|v| v - y_mean).collect();
    let gram = xc.t().dot(&xc);
    let moment = xc.t().dot(&yc);
    (x_mean, y_mean, gram, moment)
}

/// Solves `a · w = b` for a symmetric positive definite `a` by Cholesky
/// (`a = L·Lᵀ`, built in place in `a`'s lower triangle). Fails with the
/// index of the first column whose pivot, the part of its diagonal not
/// explained by the columns before it, is below 1e-10 of that diagonal:
/// the system is then singular, or so close to it that rounding decides
/// the answer.
fn cholesky_solve(mut a: Array2<f64>, mut b: Array1<f64>) -> Result<Array1<f64>, usize> {
    let p = b.len();
    for j in 0..p {
        let diagonal = a[[j, j]];
        let pivot = diagonal - (0..j).map(|k| a[[j, k]] * a[[j, k]]).sum::<f64>();
        // Also rejects a zero column (diagonal 0) and an overflowed sum.
        if pivot.is_nan() || pivot <= diagonal * 1e-10 {
            return Err(j);
        }
        let l = pivot.sqrt();
        a[[j, j]] = l;
        for i in j + 1..p {
            let s = a[[i, j]] - (0..j).map(|k| a[[i, k]] * a[[j, k]]).sum::<f64>();
            a[[i, j]] = s / l;
        }
    }
    for i in 0..p {
        let s = b[i] - (0..i).map(|k| a[[i, k]] * b[k]).sum::<f64>();
        b[i] = s / a[[i, i]];
    }
    for i in (0..p).rev() {
        let s = b[i] - (i + 1..p).map(|k| a[[k, i]] * b[k]).sum::<f64>();
        b[i] = s / a[[i, i]];
    }
    Ok(b)
}

/// linfa-svm keeps the whole `n × n` kernel matrix in memory (8 bytes a
/// cell): past a few tens of thousands of rows that is more memory than a
/// machine has, and the process would be killed without a word. Refused
/// beforehand, with what to do instead.
fn svm_fits_in_memory(rows: usize) -> Result<(), ModelError> {
    const KERNEL_BUDGET: f64 = 2.0 * (1u64 << 30) as f64;
    let needed = (rows as f64) * (rows as f64) * 8.0;
    if needed <= KERNEL_BUDGET {
        return Ok(());
    }
    let max_rows = (KERNEL_BUDGET / 8.0).sqrt() as usize;
    Err(ModelError::Training {
        algorithm: Algorithm::Svm,
        message: format!(
            "svm keeps an n × n kernel matrix in memory: {rows} training rows would need \
             {:.1} GiB (the limit is 2 GiB, {max_rows} rows); train it on a sample \
             (`| sample(n = 10000, seed = 1)` in a transform of the training part) \
             or use logistic_regression",
            needed / (1u64 << 30) as f64
        ),
    })
}

/// scikit-learn's `gamma = "scale"` as linfa's kernel width:
/// `exp(-‖x - x'‖² / width)` with `width = n_features · var(X)`.
fn gaussian_width(x: ArrayView2<f64>) -> f64 {
    let variance = x.var(0.0);
    let width = x.ncols() as f64 * variance;
    if width > 0.0 {
        width
    } else {
        1.0
    }
}

/// Gini impurity of class counts, times their total (so that children's
/// values add up).
fn weighted_gini(counts: &[f64]) -> f64 {
    let n: f64 = counts.iter().sum();
    if n == 0.0 {
        return 0.0;
    }
    n - counts.iter().map(|k| k * k).sum::<f64>() / n
}

/// The split of `rows` with the lowest total child impurity, if it is lower
/// than the node's own: `(feature, threshold)`.
fn best_split(
    x: ArrayView2<f64>,
    y: &[usize],
    rows: &[usize],
    counts: &[f64],
    impurity: f64,
) -> Option<(usize, f64)> {
    // A split must improve on the node by more than rounding noise.
    let mut best: Option<(f64, usize, f64)> = None;
    let limit = impurity * (1.0 - 1e-12);
    // The node's values of one feature, with their rows, sorted as pairs:
    // sorting row numbers by a lookup into `x` made every comparison a
    // random memory access. Ties are ordered by row, so the order (and the
    // tree) is the same as a stable sort's.
    let mut sorted: Vec<(f64, usize)> = Vec::with_capacity(rows.len());
    for feature in 0..x.ncols() {
        let column = x.column(feature);
        sorted.clear();
        sorted.extend(rows.iter().map(|&r| (column[r], r)));
        sorted.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut left = vec![0.0; counts.len()];
        let mut right = counts.to_vec();
        for i in 0..sorted.len() - 1 {
            let class = y[sorted[i].1];
            left[class] += 1.0;
            right[class] -= 1.0;
            let (here, next) = (sorted[i].0, sorted[i + 1].0);
            if here == next {
                continue;
            }
            let score = weighted_gini(&left) + weighted_gini(&right);
            if score < limit && !matches!(best, Some((b, _, _)) if score >= b) {
                // Halfway, unless rounding lands on the upper value.
                let mid = here + (next - here) / 2.0;
                let threshold = if mid < next { mid } else { here };
                best = Some((score, feature, threshold));
            }
        }
    }
    best.map(|(_, feature, threshold)| (feature, threshold))
}

impl Tree {
    /// Grows a tree on the rows of `x`. An explicit work list instead of
    /// recursion, so a deep tree cannot overflow the stack.
    fn grow(
        x: ArrayView2<f64>,
        y: &[usize],
        n_classes: usize,
        max_depth: Option<usize>,
        min_samples_split: usize,
    ) -> Tree {
        let mut nodes = vec![Node::Leaf { counts: Vec::new() }];
        let mut work = vec![(0usize, (0..y.len()).collect::<Vec<usize>>(), 0usize)];
        while let Some((index, rows, depth)) = work.pop() {
            let mut counts = vec![0.0; n_classes];
            for &r in &rows {
                counts[y[r]] += 1.0;
            }
            let impurity = weighted_gini(&counts);
            let may_split = impurity > 0.0
                && rows.len() >= min_samples_split
                && !matches!(max_depth, Some(m) if depth >= m);
            let split = if may_split {
                best_split(x, y, &rows, &counts, impurity)
            } else {
                None
            };
            match split {
                Some((feature, threshold)) => {
                    let (left_rows, right_rows): (Vec<usize>, Vec<usize>) =
                        rows.iter().partition(|&&r| x[[r, feature]] <= threshold);
                    let left = nodes.len();
                    let right = left + 1;
                    nodes.push(Node::Leaf { counts: Vec::new() });
                    nodes.push(Node::Leaf { counts: Vec::new() });
                    nodes[index] = Node::Split {
                        feature,
                        threshold,
                        left,
                        right,
                    };
                    work.push((right, right_rows, depth + 1));
                    work.push((left, left_rows, depth + 1));
                }
                None => nodes[index] = Node::Leaf { counts },
            }
        }
        Tree { nodes }
    }

    /// The index of the leaf a row reaches. Children always come after
    /// their parent (checked on load), so the walk ends.
    fn leaf(&self, row: ArrayView1<f64>) -> usize {
        let mut at = 0;
        while let Some(Node::Split {
            feature,
            threshold,
            left,
            right,
        }) = self.nodes.get(at)
        {
            at = if row.get(*feature).is_some_and(|v| v <= threshold) {
                *left
            } else {
                *right
            };
        }
        at
    }

    /// Class probabilities of the leaf a row reaches (uniform for a leaf no
    /// training row reached).
    fn probabilities(&self, row: ArrayView1<f64>, out: &mut [f64]) {
        let Some(Node::Leaf { counts }) = self.nodes.get(self.leaf(row)) else {
            return;
        };
        let total: f64 = counts.iter().sum();
        for (o, c) in out.iter_mut().zip(counts) {
            *o = if total > 0.0 {
                c / total
            } else {
                1.0 / counts.len() as f64
            };
        }
    }

    /// scikit-learn's impurity-based importances: the Gini decrease of every
    /// split, weighted by the rows it splits, summed per feature and
    /// normalised to sum to 1 (all zeros without splits).
    fn importances(&self, n_features: usize) -> Vec<f64> {
        // Children come after parents, so a reverse pass sees every child's
        // counts before its parent's.
        let mut counts: Vec<Vec<f64>> = vec![Vec::new(); self.nodes.len()];
        for (i, node) in self.nodes.iter().enumerate().rev() {
            counts[i] = match node {
                Node::Leaf { counts } => counts.clone(),
                Node::Split { left, right, .. } => counts[*left]
                    .iter()
                    .zip(&counts[*right])
                    .map(|(a, b)| a + b)
                    .collect(),
            };
        }
        let mut importances = vec![0.0; n_features];
        for (i, node) in self.nodes.iter().enumerate() {
            if let Node::Split {
                feature,
                left,
                right,
                ..
            } = node
            {
                let decrease = weighted_gini(&counts[i])
                    - weighted_gini(&counts[*left])
                    - weighted_gini(&counts[*right]);
                if let Some(slot) = importances.get_mut(*feature) {
                    *slot += decrease;
                }
            }
        }
        let total: f64 = importances.iter().sum();
        if total > 0.0 {
            importances.iter_mut().for_each(|v| *v /= total);
        }
        importances
    }

    fn is_consistent(&self, n_features: usize, n_classes: usize) -> bool {
        !self.nodes.is_empty()
            && self.nodes.iter().enumerate().all(|(i, node)| match node {
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    *feature < n_features
                        && !threshold.is_nan()
                        && (i + 1..self.nodes.len()).contains(left)
                        && (i + 1..self.nodes.len()).contains(right)
                }
                Node::Leaf { counts } => {
                    counts.len() == n_classes && counts.iter().all(|c| c.is_finite() && *c >= 0.0)
                }
            })
    }
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

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
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

    /// Binary logistic regression's log-odds of class 1, per row.
    fn binary_logit(
        model: &FittedLogisticRegression<f64, usize>,
        x: ArrayView2<f64>,
    ) -> Array1<f64> {
        // linfa models the log-odds of its "positive" class, which is the
        // more frequent one; flip the sign when that is class 0.
        let z = x.dot(model.params()) + model.intercept();
        if model.labels().pos.class == 1 {
            z
        } else {
            -z
        }
    }

    /// Multinomial logistic regression's log-scores, one column per class.
    fn multi_logits(
        &self,
        model: &MultiFittedLogisticRegression<f64, usize>,
        x: ArrayView2<f64>,
    ) -> Array2<f64> {
        let fitted = x.dot(model.params()) + model.intercept();
        let mut logits = Array2::from_elem((x.nrows(), self.classes.len()), f64::NEG_INFINITY);
        for (column, &class) in model.classes().iter().enumerate() {
            logits.column_mut(class).assign(&fitted.column(column));
        }
        logits
    }

    /// Gaussian naive Bayes' joint log-likelihoods, one column per class.
    fn nb_log_likelihoods(
        &self,
        model: &GaussianNb<f64, usize>,
        x: ArrayView2<f64>,
    ) -> Array2<f64> {
        let mut scores = Array2::from_elem((x.nrows(), self.classes.len()), f64::NEG_INFINITY);
        for (&class, column) in model.joint_log_likelihood(x) {
            scores.column_mut(class).assign(&column);
        }
        scores
    }

    fn svm_decision(model: &Svm<f64, bool>, x: ArrayView2<f64>) -> Vec<f64> {
        x.rows()
            .into_iter()
            .map(|row| model.weighted_sum(&row) - model.rho)
            .collect()
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
                Self::binary_logit(model, x)
                    .iter()
                    .map(|&z| usize::from(z > 0.0))
                    .collect(),
            ),
            Fitted::MultiLogistic(model) => classes_from(self.multi_logits(model, x)),
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
                Self::svm_decision(model, x)
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
            Fitted::BinaryLogistic(model) => {
                let z = Self::binary_logit(model, x);
                let mut proba = Array2::zeros((x.nrows(), 2));
                for (mut row, z) in proba.rows_mut().into_iter().zip(z) {
                    row[1] = sigmoid(z);
                    row[0] = sigmoid(-z);
                }
                Some(proba)
            }
            Fitted::MultiLogistic(model) => Some(softmax_rows(self.multi_logits(model, x))),
            Fitted::Tree(tree) => {
                let mut proba = Array2::zeros((x.nrows(), self.classes.len()));
                for (mut out, row) in proba.rows_mut().into_iter().zip(x.rows()) {
                    if let Some(out) = out.as_slice_mut() {
                        tree.probabilities(row, out);
                    }
                }
                Some(proba)
            }
            Fitted::GaussianNb(model) => Some(softmax_rows(self.nb_log_likelihoods(model, x))),
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
            let decision = Self::svm_decision(model, x);
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
        let single = |w: &Array1<f64>, b: f64| Coefficients {
            weights: vec![w.to_vec()],
            intercepts: vec![b],
        };
        match &self.fitted {
            Fitted::BinaryLogistic(model) => {
                let sign = if model.labels().pos.class == 1 {
                    1.0
                } else {
                    -1.0
                };
                Some(single(&(model.params() * sign), model.intercept() * sign))
            }
            Fitted::MultiLogistic(model) => {
                let n = self.n_features;
                let mut weights = vec![vec![0.0; n]; self.classes.len()];
                let mut intercepts = vec![0.0; self.classes.len()];
                for (column, &class) in model.classes().iter().enumerate() {
                    weights[class] = model.params().column(column).to_vec();
                    intercepts[class] = model.intercept()[column];
                }
                Some(Coefficients {
                    weights,
                    intercepts,
                })
            }
            Fitted::Linear(model) | Fitted::Ridge(model) => Some(Coefficients {
                weights: vec![model.weights.clone()],
                intercepts: vec![model.intercept],
            }),
            Fitted::ElasticNet(model) => Some(single(model.hyperplane(), model.intercept())),
            Fitted::Svm(model) if !matches!(self.hyper.0.get("kernel"), Some(HyperValue::Str(s)) if s != "linear") =>
            {
                // With a linear kernel the decision value is linear, so the
                // weights are its values on the unit vectors.
                let weights = Array2::<f64>::eye(self.n_features)
                    .rows()
                    .into_iter()
                    .map(|e| model.weighted_sum(&e))
                    .collect::<Array1<f64>>();
                Some(single(&weights, -model.rho))
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
                let labels = m.labels();
                if m.params().len() != n || k != 2 || labels.pos.class.max(labels.neg.class) >= 2 {
                    return bad("coefficients or classes have the wrong size");
                }
            }
            Fitted::MultiLogistic(m) => {
                if m.params().nrows() != n
                    || m.params().ncols() != m.classes().len()
                    || m.intercept().len() != m.classes().len()
                    || m.classes().iter().any(|&c| c >= k)
                {
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
                if !nb_shapes_ok(m, n, k) {
                    return bad("class statistics have the wrong size");
                }
            }
            Fitted::Svm(m) => {
                if !svm_shapes_ok(m, n) {
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
fn array_dims(value: &serde_json::Value) -> Option<Vec<u64>> {
    value
        .get("dim")?
        .as_array()?
        .iter()
        .map(|d| d.as_u64())
        .collect()
}

/// linfa keeps naive Bayes' per-class statistics private; their shapes are
/// read from the serialised form instead.
fn nb_shapes_ok(model: &GaussianNb<f64, usize>, n: usize, k: usize) -> bool {
    let Ok(value) = serde_json::to_value(model) else {
        return false;
    };
    let Some(classes) = value.get("class_info").and_then(|c| c.as_object()) else {
        return false;
    };
    let n = n as u64;
    !classes.is_empty()
        && classes.iter().all(|(class, info)| {
            class.parse::<usize>().is_ok_and(|c| c < k)
                && ["theta", "sigma"]
                    .iter()
                    .all(|field| info.get(field).and_then(array_dims) == Some(vec![n]))
        })
}

/// As [`nb_shapes_ok`], for the SVM's private separating hyperplane.
fn svm_shapes_ok(model: &Svm<f64, bool>, n: usize) -> bool {
    let Ok(value) = serde_json::to_value(model) else {
        return false;
    };
    let n = n as u64;
    let Some(plane) = value.get("sep_hyperplane") else {
        return false;
    };
    if let Some(w) = plane.get("Linear") {
        return array_dims(w) == Some(vec![n]);
    }
    match plane.get("WeightedCombination").and_then(array_dims) {
        Some(dims) => {
            let support = model
                .alpha
                .iter()
                .filter(|a| a.abs() > 100.0 * f64::EPSILON)
                .count() as u64;
            dims == vec![support, n]
        }
        None => false,
    }
}
