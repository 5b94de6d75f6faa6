//! logistic_regression: scikit-learn's `LogisticRegression(C = 1/l2,
//! solver="lbfgs")`, binary or multinomial, fitted by L-BFGS on our own
//! fused loss and gradient (`loss.rs`, `lbfgs.rs`), and predicted from its
//! coefficients.

mod lbfgs;
mod loss;

use ndarray::{Array2, ArrayView2, ShapeBuilder};

use super::hyper::HyperReader;
use super::{sigmoid, training_error, Algorithm, Coefficients, Fitted, ModelError};

pub(super) fn fit(
    reader: &HyperReader,
    x: ArrayView2<f64>,
    y: &[usize],
    n_classes: usize,
) -> Result<Fitted, ModelError> {
    let fail = training_error(Algorithm::LogisticRegression);
    let max_iterations = reader.count("max_iterations")? as u64;
    let l2 = reader.float("l2")?;
    let tolerance = reader.float("tolerance")?;
    // The loss reads columns (see `Algorithm::trains_on_columns`): the
    // matrix `mlp run` builds is used as it is, any other is copied.
    let copy;
    let columns = match x.t().to_slice() {
        Some(columns) => columns,
        None => {
            copy = {
                let mut columns = Array2::zeros(x.raw_dim().f());
                columns.assign(&x);
                columns
            };
            copy.t()
                .to_slice()
                .ok_or_else(|| fail(&"the feature matrix is not contiguous"))?
        }
    };
    let loss = loss::Loss::new(columns, y, n_classes, l2);
    let theta = lbfgs::minimise(loss, max_iterations, tolerance).map_err(|e| fail(&e))?;
    if theta.iter().any(|v| !v.is_finite()) {
        return Err(fail(&"the coefficients are not finite numbers"));
    }
    let n_features = x.ncols();
    let (weights, intercepts) = theta
        .chunks_exact(n_features + 1)
        .map(|output| (output[..n_features].to_vec(), output[n_features]))
        .unzip();
    Ok(Fitted::Logistic(Coefficients {
        weights,
        intercepts,
    }))
}

/// The linear scores of each row, one column per output: for two classes
/// the log-odds of class 1, else one log-score per class. The one formula
/// behind `predict`, `predict_proba` and `scores`.
pub(super) fn logits(model: &Coefficients, x: ArrayView2<f64>) -> Array2<f64> {
    let mut z = Array2::zeros((x.nrows(), model.weights.len()));
    for (mut out, row) in z.rows_mut().into_iter().zip(x.rows()) {
        for (slot, (weights, intercept)) in out
            .iter_mut()
            .zip(model.weights.iter().zip(&model.intercepts))
        {
            *slot = row
                .iter()
                .zip(weights)
                .fold(*intercept, |sum, (x, w)| sum + w * x);
        }
    }
    z
}

/// Class indices: log-odds above 0 are class 1; with more classes the
/// largest log-score (the lowest class on ties).
pub(super) fn classes(model: &Coefficients, x: ArrayView2<f64>) -> Vec<usize> {
    let z = logits(model, x);
    z.rows()
        .into_iter()
        .map(|row| match row.len() {
            1 => usize::from(row[0] > 0.0),
            _ => super::argmax(row.iter().copied()),
        })
        .collect()
}

pub(super) fn probabilities(model: &Coefficients, x: ArrayView2<f64>) -> Array2<f64> {
    let z = logits(model, x);
    if z.ncols() > 1 {
        return super::softmax_rows(z);
    }
    let mut proba = Array2::zeros((x.nrows(), 2));
    for (mut row, z) in proba.rows_mut().into_iter().zip(z.column(0)) {
        row[1] = sigmoid(*z);
        row[0] = sigmoid(-z);
    }
    proba
}

/// Whether the coefficients fit `n` features and `k` classes: one output
/// for two classes, one per class for more.
pub(super) fn shapes_ok(model: &Coefficients, n: usize, k: usize) -> bool {
    let outputs = if k == 2 { 1 } else { k };
    model.weights.len() == outputs
        && model.intercepts.len() == outputs
        && model.weights.iter().all(|w| w.len() == n)
}
