//! logistic_regression: linfa-logistic's L-BFGS fit (binary or
//! multinomial), predicted here from its parameters.

use linfa::traits::Fit;
use linfa::DatasetBase;
use linfa_logistic::{
    FittedLogisticRegression, LogisticRegression, MultiFittedLogisticRegression,
    MultiLogisticRegression,
};
use ndarray::{Array1, Array2, ArrayView2, ShapeBuilder};

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
    // linfa minimises the summed log-loss, whose gradient grows with
    // the row count: unscaled, 1e-4 was out of reach on large tables
    // and every fit ran all its iterations (100 on 800 000 rows,
    // where scikit-learn stops after 8).
    let tolerance = tolerance * x.nrows() as f64;
    // See `Algorithm::trains_on_columns`: a row-major matrix is copied.
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
    if n_classes == 2 {
        let model = LogisticRegression::default()
            .alpha(l2)
            .max_iterations(max_iterations)
            .gradient_tolerance(tolerance)
            .fit(&data)
            .map_err(|e| fail(&e))?;
        Ok(Fitted::BinaryLogistic(model))
    } else {
        let model = MultiLogisticRegression::default()
            .alpha(l2)
            .max_iterations(max_iterations)
            .gradient_tolerance(tolerance)
            .fit(&data)
            .map_err(|e| fail(&e))?;
        Ok(Fitted::MultiLogistic(model))
    }
}

/// linfa models the log-odds of its "positive" class, which is the more
/// frequent one: the sign that makes them the log-odds of class 1.
fn sign(model: &FittedLogisticRegression<f64, usize>) -> f64 {
    if model.labels().pos.class == 1 {
        1.0
    } else {
        -1.0
    }
}

/// Binary logistic regression's log-odds of class 1, per row.
pub(super) fn binary_logit(
    model: &FittedLogisticRegression<f64, usize>,
    x: ArrayView2<f64>,
) -> Array1<f64> {
    let z = x.dot(model.params()) + model.intercept();
    if sign(model) > 0.0 {
        z
    } else {
        -z
    }
}

pub(super) fn binary_probabilities(
    model: &FittedLogisticRegression<f64, usize>,
    x: ArrayView2<f64>,
) -> Array2<f64> {
    let z = binary_logit(model, x);
    let mut proba = Array2::zeros((x.nrows(), 2));
    for (mut row, z) in proba.rows_mut().into_iter().zip(z) {
        row[1] = sigmoid(z);
        row[0] = sigmoid(-z);
    }
    proba
}

/// Multinomial logistic regression's log-scores, one column per class.
pub(super) fn multi_logits(
    model: &MultiFittedLogisticRegression<f64, usize>,
    x: ArrayView2<f64>,
    n_classes: usize,
) -> Array2<f64> {
    let fitted = x.dot(model.params()) + model.intercept();
    let mut logits = Array2::from_elem((x.nrows(), n_classes), f64::NEG_INFINITY);
    for (column, &class) in model.classes().iter().enumerate() {
        logits.column_mut(class).assign(&fitted.column(column));
    }
    logits
}

pub(super) fn binary_coefficients(model: &FittedLogisticRegression<f64, usize>) -> Coefficients {
    let sign = sign(model);
    Coefficients {
        weights: vec![(model.params() * sign).to_vec()],
        intercepts: vec![model.intercept() * sign],
    }
}

pub(super) fn multi_coefficients(
    model: &MultiFittedLogisticRegression<f64, usize>,
    n_features: usize,
    n_classes: usize,
) -> Coefficients {
    let mut weights = vec![vec![0.0; n_features]; n_classes];
    let mut intercepts = vec![0.0; n_classes];
    for (column, &class) in model.classes().iter().enumerate() {
        weights[class] = model.params().column(column).to_vec();
        intercepts[class] = model.intercept()[column];
    }
    Coefficients {
        weights,
        intercepts,
    }
}

/// Whether the parameters fit `n` features and `k` classes.
pub(super) fn binary_shapes_ok(
    model: &FittedLogisticRegression<f64, usize>,
    n: usize,
    k: usize,
) -> bool {
    let labels = model.labels();
    model.params().len() == n && k == 2 && labels.pos.class.max(labels.neg.class) < 2
}

pub(super) fn multi_shapes_ok(
    model: &MultiFittedLogisticRegression<f64, usize>,
    n: usize,
    k: usize,
) -> bool {
    model.params().nrows() == n
        && model.params().ncols() == model.classes().len()
        && model.intercept().len() == model.classes().len()
        && model.classes().iter().all(|&c| c < k)
}
