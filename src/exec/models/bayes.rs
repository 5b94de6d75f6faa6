//! gaussian_nb: linfa-bayes' fit, predicted here from its joint
//! log-likelihoods.

use linfa::traits::Fit;
use linfa::DatasetBase;
use linfa_bayes::{GaussianNb, NaiveBayes};
use ndarray::{Array1, Array2, ArrayView2};

use super::file::array_dims;
use super::hyper::HyperReader;
use super::{training_error, Algorithm, Fitted, ModelError};

pub(super) fn fit(
    reader: &HyperReader,
    x: ArrayView2<f64>,
    y: &[usize],
) -> Result<Fitted, ModelError> {
    let var_smoothing = reader.float("var_smoothing")?;
    let data = DatasetBase::new(x, Array1::from(y.to_vec()));
    let model = GaussianNb::params()
        .var_smoothing(var_smoothing)
        .fit(&data)
        .map_err(|e| training_error(Algorithm::GaussianNb)(&e))?;
    Ok(Fitted::GaussianNb(model))
}

/// Joint log-likelihoods, one column per class (`-inf` for a class absent
/// from the training rows).
pub(super) fn log_likelihoods(
    model: &GaussianNb<f64, usize>,
    x: ArrayView2<f64>,
    n_classes: usize,
) -> Array2<f64> {
    let mut scores = Array2::from_elem((x.nrows(), n_classes), f64::NEG_INFINITY);
    for (&class, column) in model.joint_log_likelihood(x) {
        scores.column_mut(class).assign(&column);
    }
    scores
}

/// linfa keeps naive Bayes' per-class statistics private; their shapes are
/// read from the serialised form instead.
pub(super) fn shapes_ok(model: &GaussianNb<f64, usize>, n: usize, k: usize) -> bool {
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
