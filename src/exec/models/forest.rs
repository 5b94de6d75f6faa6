//! random_forest and random_forest_regressor (scikit-learn's
//! `RandomForestClassifier`/`Regressor`): trees grown on bootstrap samples
//! of the rows, each split among a random subset of the features, their
//! predictions averaged; and decision_tree_regressor, one tree on every row
//! and feature.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::hyper::HyperReader;
use super::tree::{below, normalised, stream, Criterion, Grower, Leaves, Presorted, Tree};
use super::{Fitted, ModelError};

/// The trees of a random forest, in the order they were grown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Forest {
    trees: Vec<Tree>,
}

/// What a forest learns: classes or numbers.
pub(super) enum Learned<'a> {
    Classes { y: &'a [usize], n_classes: usize },
    Values(&'a [f64]),
}

impl Learned<'_> {
    fn criterion(&self) -> Criterion<'_> {
        match self {
            Learned::Classes { y, n_classes } => Criterion::Gini {
                y,
                n_classes: *n_classes,
            },
            Learned::Values(values) => Criterion::Newton {
                targets: values,
                hessian: None,
                scale: 1.0,
            },
        }
    }
}

/// decision_tree_regressor: scikit-learn's `DecisionTreeRegressor` with the
/// squared error.
pub(super) fn regression_tree(
    reader: &HyperReader,
    x: ArrayView2<f64>,
    y: &[f64],
) -> Result<Fitted, ModelError> {
    let presorted = Presorted::new(x);
    let grower = Grower::read(reader, x.view(), &presorted, false)?;
    // Every feature is examined: the generator is never drawn from.
    let mut rng = stream(0, 0);
    let learned = Learned::Values(y);
    let criterion = learned.criterion();
    Ok(Fitted::RegressionTree(grower.grow(
        &criterion,
        (0..y.len()).collect(),
        None,
        &mut rng,
    )))
}

pub(super) fn fit(
    reader: &HyperReader,
    x: ArrayView2<f64>,
    learned: Learned<'_>,
    split_seed: u64,
) -> Result<Fitted, ModelError> {
    let n_trees = reader.count("n_trees")?;
    let seed = reader.seed("seed", split_seed)?;
    let presorted = Presorted::new(x);
    let grower = Grower::read(reader, x.view(), &presorted, true)?;
    let criterion = learned.criterion();
    let n = x.nrows();
    let trees = (0..n_trees)
        .into_par_iter()
        .map(|index| {
            let mut rng = stream(seed, index);
            // A bootstrap sample as draw counts, scikit-learn's sample
            // weights: the rows drawn, each once, weighted by its draws.
            let mut draws = vec![0.0; n];
            for _ in 0..n {
                draws[below(&mut rng, n)] += 1.0;
            }
            let rows = (0..n).filter(|&r| draws[r] > 0.0).collect();
            grower.grow(&criterion, rows, Some(&draws), &mut rng)
        })
        .collect();
    Ok(Fitted::Forest(Forest { trees }))
}

impl Forest {
    /// The mean of the trees' class probabilities.
    pub(super) fn probabilities(&self, x: ArrayView2<f64>, n_classes: usize) -> Array2<f64> {
        let mut proba = Array2::zeros((x.nrows(), n_classes));
        let mut one = vec![0.0; n_classes];
        for (mut out, row) in proba.rows_mut().into_iter().zip(x.rows()) {
            for tree in &self.trees {
                tree.probabilities(row, &mut one);
                out.iter_mut().zip(&one).for_each(|(o, p)| *o += p);
            }
            out.mapv_inplace(|v| v / self.trees.len() as f64);
        }
        proba
    }

    /// The mean of the trees' predictions.
    pub(super) fn values(&self, x: ArrayView2<f64>) -> Vec<f64> {
        x.rows()
            .into_iter()
            .map(|row| {
                self.trees.iter().map(|t| t.value(row)).sum::<f64>() / self.trees.len() as f64
            })
            .collect()
    }

    /// scikit-learn's: the mean of the importances of the trees that split
    /// at all, normalised.
    pub(super) fn importances(&self, n_features: usize) -> Vec<f64> {
        let mut sum = vec![0.0; n_features];
        let mut trees = 0usize;
        for tree in &self.trees {
            let importances = tree.importances(n_features);
            if importances.iter().any(|v| *v > 0.0) {
                sum.iter_mut().zip(&importances).for_each(|(s, v)| *s += v);
                trees += 1;
            }
        }
        if trees > 0 {
            sum.iter_mut().for_each(|s| *s /= trees as f64);
        }
        normalised(sum)
    }

    pub(super) fn is_consistent(&self, n_features: usize, leaves: &Leaves) -> bool {
        !self.trees.is_empty()
            && self
                .trees
                .iter()
                .all(|t| t.is_consistent(n_features, leaves))
    }
}
