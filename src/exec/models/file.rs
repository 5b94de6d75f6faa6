//! A model file: the JSON of a [`TrainedModel`], written with sorted keys,
//! and read back only once its parts agree with each other.

use super::{bayes, logistic, svm, tree, Algorithm, Fitted, ModelError, ModelKind, TrainedModel};

impl TrainedModel {
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
            (Fitted::Logistic(_), Algorithm::LogisticRegression)
            | (Fitted::Linear(_), Algorithm::LinearRegression)
            | (Fitted::Ridge(_), Algorithm::Ridge)
            | (Fitted::Tree(_), Algorithm::DecisionTree)
            | (Fitted::RegressionTree(_), Algorithm::DecisionTreeRegressor)
            | (Fitted::GaussianNb(_), Algorithm::GaussianNb)
            | (Fitted::Svm(_), Algorithm::Svm)
            | (Fitted::KMeans(_), Algorithm::KMeans) => true,
            (Fitted::ElasticNet(_), alg) => {
                matches!(alg, Algorithm::Lasso | Algorithm::ElasticNet)
            }
            (Fitted::Forest(_), alg) => {
                matches!(
                    alg,
                    Algorithm::RandomForest | Algorithm::RandomForestRegressor
                )
            }
            (Fitted::Boosted(_), alg) => matches!(
                alg,
                Algorithm::GradientBoosting | Algorithm::GradientBoostingRegressor
            ),
            _ => false,
        };
        let classifier = self.algorithm.kind() == ModelKind::Classifier;
        if !consistent || classifier != (k >= 2) {
            return bad("the algorithm, its parameters and its classes do not match");
        }
        match &self.fitted {
            Fitted::Logistic(m) => {
                if !logistic::shapes_ok(m, n, k) {
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
                if !tree.is_consistent(n, &tree::Leaves::Counts(k)) {
                    return bad("the tree does not match the features and classes");
                }
            }
            Fitted::RegressionTree(tree) => {
                if !tree.is_consistent(n, &tree::Leaves::Values) {
                    return bad("the tree does not match the features");
                }
            }
            Fitted::Forest(forest) => {
                let leaves = if classifier {
                    tree::Leaves::Counts(k)
                } else {
                    tree::Leaves::Values
                };
                if !forest.is_consistent(n, &leaves) {
                    return bad("the trees do not match the features and classes");
                }
            }
            Fitted::Boosted(boosted) => {
                let outputs = if k > 2 { k } else { 1 };
                if !boosted.is_consistent(n, outputs) {
                    return bad("the trees do not match the features and classes");
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
