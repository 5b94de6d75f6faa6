//! gradient_boosting and gradient_boosting_regressor: rounds of regression
//! trees, each fitted to the loss's gradient at the current prediction, as
//! scikit-learn's `HistGradientBoostingClassifier`/`Regressor` (Newton
//! leaves `Σ gradient / Σ hessian`, scaled by the learning rate; no
//! regularisation), on exact thresholds rather than 255 bins.
//!
//! The losses: squared error for the regressor (the prediction starts at
//! the mean), the binary log-loss for two classes (one tree a round, on the
//! log-odds of the second class, from the log-odds of its share), the
//! multinomial log-loss (softmax) for more (one tree per class a round,
//! from the logarithms of the class shares).

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::hyper::HyperReader;
use super::tree::{normalised, stream, Criterion, Grower, Leaves, Presorted, Tree};
use super::{sigmoid, softmax_rows, Fitted, ModelError};

/// A boosted model: `init` and every round have one entry per output (one
/// for a regressor or two classes, one per class otherwise); an output's
/// raw prediction is its `init` plus its trees' values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Boosted {
    init: Vec<f64>,
    rounds: Vec<Vec<Tree>>,
}

/// What a boosted model learns.
pub(super) enum Loss<'a> {
    SquaredError(&'a [f64]),
    LogLoss { y: &'a [usize], n_classes: usize },
}

pub(super) fn fit(
    reader: &HyperReader,
    x: ArrayView2<f64>,
    loss: Loss<'_>,
    split_seed: u64,
) -> Result<Fitted, ModelError> {
    let n_trees = reader.count("n_trees")?;
    let learning_rate = reader.float("learning_rate")?;
    let seed = reader.seed("seed", split_seed)?;
    let presorted = Presorted::new(x);
    let grower = Grower::read(reader, x.view(), &presorted, true)?;
    let n = x.nrows();
    let init = match &loss {
        Loss::SquaredError(y) => vec![y.iter().sum::<f64>() / n as f64],
        Loss::LogLoss { y, n_classes } => {
            // Shares clipped away from 0 and 1, as scikit-learn does: a
            // class absent from the training rows starts very unlikely,
            // not impossible.
            let mut shares = vec![0.0; *n_classes];
            y.iter().for_each(|&c| shares[c] += 1.0 / n as f64);
            let clip = |p: f64| p.clamp(f64::EPSILON, 1.0 - f64::EPSILON);
            if *n_classes == 2 {
                let p = clip(shares[1]);
                vec![(p / (1.0 - p)).ln()]
            } else {
                shares.iter().map(|&p| clip(p).ln()).collect()
            }
        }
    };
    let outputs = init.len();
    // The raw predictions on the training rows, one column per output.
    let mut raw = Array2::from_shape_fn((n, outputs), |(_, k)| init[k]);
    let mut targets = vec![0.0; n];
    let mut hessian = vec![0.0; n];
    let mut rounds = Vec::with_capacity(n_trees);
    for round in 0..n_trees {
        let mut rng = stream(seed, round);
        let proba = match &loss {
            Loss::LogLoss { .. } if outputs > 1 => Some(softmax_rows(raw.clone())),
            _ => None,
        };
        let mut trees = Vec::with_capacity(outputs);
        for k in 0..outputs {
            let uses_hessian = match &loss {
                Loss::SquaredError(y) => {
                    for r in 0..n {
                        targets[r] = y[r] - raw[[r, 0]];
                    }
                    false
                }
                Loss::LogLoss { y, .. } => {
                    for r in 0..n {
                        let (p, is_k) = match &proba {
                            Some(proba) => (proba[[r, k]], y[r] == k),
                            None => (sigmoid(raw[[r, 0]]), y[r] == 1),
                        };
                        targets[r] = f64::from(u8::from(is_k)) - p;
                        hessian[r] = p * (1.0 - p);
                    }
                    true
                }
            };
            let criterion = Criterion::Newton {
                targets: &targets,
                hessian: uses_hessian.then_some(&hessian[..]),
                scale: learning_rate,
            };
            trees.push(grower.grow(&criterion, (0..n).collect(), None, &mut rng));
        }
        for (k, tree) in trees.iter().enumerate() {
            for (r, row) in x.rows().into_iter().enumerate() {
                raw[[r, k]] += tree.value(row);
            }
        }
        rounds.push(trees);
    }
    let boosted = Boosted { init, rounds };
    if boosted.init.iter().any(|v| !v.is_finite()) || !boosted.is_consistent(x.ncols(), outputs) {
        return Err(ModelError::Data(
            "gradient boosting diverged: a prediction is not a finite number (lower learning_rate)"
                .to_string(),
        ));
    }
    Ok(Fitted::Boosted(boosted))
}

impl Boosted {
    /// The raw predictions: values, log-odds of the second class, or one
    /// log-score per class.
    pub(super) fn raw(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let mut raw = Array2::from_shape_fn((x.nrows(), self.init.len()), |(_, k)| self.init[k]);
        for (mut out, row) in raw.rows_mut().into_iter().zip(x.rows()) {
            for trees in &self.rounds {
                for (o, tree) in out.iter_mut().zip(trees) {
                    *o += tree.value(row);
                }
            }
        }
        raw
    }

    pub(super) fn probabilities(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let raw = self.raw(x);
        if self.init.len() > 1 {
            return softmax_rows(raw);
        }
        let mut proba = Array2::zeros((x.nrows(), 2));
        for (mut row, z) in proba.rows_mut().into_iter().zip(raw.column(0)) {
            row[1] = sigmoid(*z);
            row[0] = sigmoid(-z);
        }
        proba
    }

    /// scikit-learn's `GradientBoosting*.feature_importances_`: the
    /// squared-error decreases of every tree's splits, summed, normalised.
    pub(super) fn importances(&self, n_features: usize) -> Vec<f64> {
        let mut sum = vec![0.0; n_features];
        for tree in self.rounds.iter().flatten() {
            let raw = tree.raw_importances(n_features);
            sum.iter_mut().zip(&raw).for_each(|(s, v)| *s += v);
        }
        normalised(sum)
    }

    /// Whether the model has `outputs` outputs and trees of `n_features`.
    pub(super) fn is_consistent(&self, n_features: usize, outputs: usize) -> bool {
        self.init.len() == outputs
            && self.init.iter().all(|v| v.is_finite())
            && !self.rounds.is_empty()
            && self.rounds.iter().all(|trees| {
                trees.len() == outputs
                    && trees
                        .iter()
                        .all(|t| t.is_consistent(n_features, &Leaves::Values))
            })
    }
}
