//! The algorithms of the language and the kind of model each learns.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ModelError;
use crate::check::catalog;

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
    DecisionTreeRegressor,
    RandomForest,
    RandomForestRegressor,
    GradientBoosting,
    GradientBoostingRegressor,
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
    pub const ALL: [Algorithm; 14] = [
        Algorithm::LogisticRegression,
        Algorithm::LinearRegression,
        Algorithm::Ridge,
        Algorithm::Lasso,
        Algorithm::ElasticNet,
        Algorithm::DecisionTree,
        Algorithm::DecisionTreeRegressor,
        Algorithm::RandomForest,
        Algorithm::RandomForestRegressor,
        Algorithm::GradientBoosting,
        Algorithm::GradientBoostingRegressor,
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
            Algorithm::DecisionTreeRegressor => "decision_tree_regressor",
            Algorithm::RandomForest => "random_forest",
            Algorithm::RandomForestRegressor => "random_forest_regressor",
            Algorithm::GradientBoosting => "gradient_boosting",
            Algorithm::GradientBoostingRegressor => "gradient_boosting_regressor",
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
    /// trees' split search. On a row-major matrix each of those
    /// reads takes a cache line per value.
    pub fn trains_on_columns(self) -> bool {
        matches!(
            self,
            Algorithm::LogisticRegression
                | Algorithm::Lasso
                | Algorithm::ElasticNet
                | Algorithm::DecisionTree
                | Algorithm::DecisionTreeRegressor
                | Algorithm::RandomForest
                | Algorithm::RandomForestRegressor
                | Algorithm::GradientBoosting
                | Algorithm::GradientBoostingRegressor
        )
    }

    pub fn kind(self) -> ModelKind {
        match self {
            Algorithm::LogisticRegression
            | Algorithm::DecisionTree
            | Algorithm::RandomForest
            | Algorithm::GradientBoosting
            | Algorithm::GaussianNb
            | Algorithm::Svm => ModelKind::Classifier,
            Algorithm::LinearRegression
            | Algorithm::Ridge
            | Algorithm::Lasso
            | Algorithm::ElasticNet
            | Algorithm::DecisionTreeRegressor
            | Algorithm::RandomForestRegressor
            | Algorithm::GradientBoostingRegressor => ModelKind::Regressor,
            Algorithm::KMeans => ModelKind::Clusterer,
        }
    }

    /// This algorithm's entry in the catalogue.
    pub(super) fn catalogued(self) -> Result<&'static catalog::Algorithm, ModelError> {
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
