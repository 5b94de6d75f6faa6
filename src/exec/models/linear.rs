//! The linear regressors: linear_regression and ridge in closed form,
//! lasso and elastic_net by linfa-elasticnet's coordinate descent.
//!
//! Ridge and the two L1 models scale their penalties differently, on
//! purpose: each follows the scikit-learn estimator users compare it with.
//! Ridge is scikit-learn's `Ridge` (the penalty does not shrink as rows are
//! added), solved here in closed form; lasso and elastic_net are
//! scikit-learn's `Lasso`/`ElasticNet` (the penalty is relative to the
//! *mean* squared error), fitted by linfa-elasticnet's coordinate descent.
//! On `n` rows, `ridge { l2 = a }` is `elastic_net { l1 = 0, l2 = a / n }`.

use linfa::traits::Fit;
use linfa::DatasetBase;
use linfa_elasticnet::ElasticNet;
use linfa_linalg::eigh::EighInto;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::hyper::HyperReader;
use super::{training_error, Algorithm, Fitted, ModelError};

pub(super) fn linear_regression(
    reader: &HyperReader,
    x: ArrayView2<f64>,
    y: &[f64],
) -> Result<Fitted, ModelError> {
    let fit_intercept = reader.bool("fit_intercept")?;
    let fail = training_error(Algorithm::LinearRegression);
    Ok(Fitted::Linear(
        LinearFit::least_squares(x, y, fit_intercept).map_err(|e| fail(&e))?,
    ))
}

pub(super) fn ridge(
    reader: &HyperReader,
    x: ArrayView2<f64>,
    y: &[f64],
) -> Result<Fitted, ModelError> {
    let l2 = reader.float("l2")?;
    let fit_intercept = reader.bool("fit_intercept")?;
    let fail = training_error(Algorithm::Ridge);
    Ok(Fitted::Ridge(
        LinearFit::ridge(x, y, l2, fit_intercept).map_err(|e| fail(&e))?,
    ))
}

/// lasso (`l2` = 0) and elastic_net.
pub(super) fn elastic_net(
    reader: &HyperReader,
    algorithm: Algorithm,
    x: ArrayView2<f64>,
    y: &[f64],
) -> Result<Fitted, ModelError> {
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
        .map_err(|e| training_error(algorithm)(&e))?;
    Ok(Fitted::ElasticNet(model))
}

/// A fitted linear model, `y ≈ x · weights + intercept`: linear_regression
/// and ridge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct LinearFit {
    pub(super) weights: Vec<f64>,
    pub(super) intercept: f64,
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

    pub(super) fn predict(&self, x: ArrayView2<f64>) -> Array1<f64> {
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
