//! svm: linfa-svm's SMO fit (two classes), predicted here from its
//! decision value.

use linfa::traits::Fit;
use linfa::DatasetBase;
use linfa_svm::Svm;
use ndarray::{Array1, Array2, ArrayView2};

use super::file::array_dims;
use super::hyper::HyperReader;
use super::{training_error, Algorithm, Coefficients, Fitted, ModelError};

pub(super) fn fit(
    reader: &HyperReader,
    x: ArrayView2<f64>,
    y: &[usize],
    n_classes: usize,
) -> Result<Fitted, ModelError> {
    if n_classes != 2 {
        return Err(ModelError::Data(format!(
            "svm is a binary classifier, but the target has {n_classes} classes"
        )));
    }
    fits_in_memory(x.nrows())?;
    let c = reader.float("c")?;
    let eps = reader.float("eps")?;
    let params = Svm::<f64, bool>::params().pos_neg_weights(c, c).eps(eps);
    let params = match reader.choice("kernel")? {
        "gaussian" => params.gaussian_kernel(gaussian_width(x)),
        _ => params.linear_kernel(),
    };
    let labels: Array1<bool> = y.iter().map(|&c| c == 1).collect();
    let data = DatasetBase::new(x, labels.view());
    let model = params
        .fit(&data)
        .map_err(|e| training_error(Algorithm::Svm)(&e))?;
    Ok(Fitted::Svm(model))
}

/// The decision value per row: class 1 where it is 0 or more.
pub(super) fn decision(model: &Svm<f64, bool>, x: ArrayView2<f64>) -> Vec<f64> {
    x.rows()
        .into_iter()
        .map(|row| model.weighted_sum(&row) - model.rho)
        .collect()
}

/// With a linear kernel the decision value is linear, so the weights are
/// its values on the unit vectors.
pub(super) fn linear_coefficients(model: &Svm<f64, bool>, n_features: usize) -> Coefficients {
    let weights = Array2::<f64>::eye(n_features)
        .rows()
        .into_iter()
        .map(|e| model.weighted_sum(&e))
        .collect::<Array1<f64>>();
    Coefficients {
        weights: vec![weights.to_vec()],
        intercepts: vec![-model.rho],
    }
}

/// cell): past a few tens of thousands of rows that is more memory than a
/// machine has, and the process would be killed without a word. Refused
/// beforehand, with what to do instead.
fn fits_in_memory(rows: usize) -> Result<(), ModelError> {
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

/// As `bayes::shapes_ok`, for the SVM's private separating hyperplane.
pub(super) fn shapes_ok(model: &Svm<f64, bool>, n: usize) -> bool {
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
