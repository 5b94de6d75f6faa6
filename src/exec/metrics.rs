//! Evaluation metrics, with scikit-learn's definitions and edge cases.
//!
//! Classes are indices `0..n_classes` (the executor maps class names to
//! indices once). Every function checks its input and returns a
//! [`MetricError`] instead of panicking or returning NaN: a metric that
//! cannot be computed is an error the user sees, not a silent `NaN` in
//! `metrics.json`.
//!
//! Where scikit-learn returns 0 with a warning (precision with no predicted
//! positives, recall with no actual positives), these functions return 0 as
//! `zero_division=0` does, so the values stay comparable.

use std::fmt;

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

/// Why a metric could not be computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricError(String);

impl MetricError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        MetricError(message.into())
    }

    /// The message, for a diagnostic.
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MetricError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MetricError {}

pub type Result<T> = std::result::Result<T, MetricError>;

fn check_pair(len_true: usize, len_pred: usize, what: &str) -> Result<()> {
    if len_true == 0 {
        return Err(MetricError::new(format!("{what}: no samples")));
    }
    if len_true != len_pred {
        return Err(MetricError::new(format!(
            "{what}: {len_true} true values but {len_pred} predictions"
        )));
    }
    Ok(())
}

fn check_finite(values: &[f64], what: &str, role: &str) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(MetricError::new(format!(
            "{what}: {role} at row {i} is not a finite number ({})",
            values[i]
        ))),
        None => Ok(()),
    }
}

fn ratio(num: f64, den: f64) -> f64 {
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

// ---------------------------------------------------------------- classes

/// Fraction of predictions equal to the true class.
pub fn accuracy(y_true: &[usize], y_pred: &[usize]) -> Result<f64> {
    check_pair(y_true.len(), y_pred.len(), "accuracy")?;
    let hits = y_true.iter().zip(y_pred).filter(|(t, p)| t == p).count();
    Ok(hits as f64 / y_true.len() as f64)
}

/// True positives, false positives, false negatives for one class.
fn counts(y_true: &[usize], y_pred: &[usize], class: usize) -> (f64, f64, f64) {
    let (mut tp, mut fp, mut fn_) = (0u64, 0u64, 0u64);
    for (&t, &p) in y_true.iter().zip(y_pred) {
        match (t == class, p == class) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            (false, false) => {}
        }
    }
    (tp as f64, fp as f64, fn_ as f64)
}

fn prf(tp: f64, fp: f64, fn_: f64) -> (f64, f64, f64) {
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fn_);
    // F1 from the counts, as scikit-learn >= 1.3 does: 0 only when there is
    // no true positive at all.
    let f1 = ratio(2.0 * tp, 2.0 * tp + fp + fn_);
    (precision, recall, f1)
}

/// Precision of the `positive` class: TP / (TP + FP), 0 when nothing is
/// predicted positive.
pub fn precision(y_true: &[usize], y_pred: &[usize], positive: usize) -> Result<f64> {
    check_pair(y_true.len(), y_pred.len(), "precision")?;
    let (tp, fp, fn_) = counts(y_true, y_pred, positive);
    Ok(prf(tp, fp, fn_).0)
}

/// Recall of the `positive` class: TP / (TP + FN), 0 when no sample is
/// positive.
pub fn recall(y_true: &[usize], y_pred: &[usize], positive: usize) -> Result<f64> {
    check_pair(y_true.len(), y_pred.len(), "recall")?;
    let (tp, fp, fn_) = counts(y_true, y_pred, positive);
    Ok(prf(tp, fp, fn_).1)
}

/// F1 of the `positive` class.
pub fn f1(y_true: &[usize], y_pred: &[usize], positive: usize) -> Result<f64> {
    check_pair(y_true.len(), y_pred.len(), "f1")?;
    let (tp, fp, fn_) = counts(y_true, y_pred, positive);
    Ok(prf(tp, fp, fn_).2)
}

/// The classes that occur in either vector, sorted: scikit-learn's macro
/// averages run over exactly these.
fn present_labels(y_true: &[usize], y_pred: &[usize]) -> Vec<usize> {
    let mut labels: Vec<usize> = y_true.iter().chain(y_pred).copied().collect();
    labels.sort_unstable();
    labels.dedup();
    labels
}

/// The mean of a per-class score over the classes that occur in either
/// vector: each class alike (`_macro`), or `weighted` by its number of true
/// samples (`_weighted`).
fn average(
    y_true: &[usize],
    y_pred: &[usize],
    what: &str,
    pick: fn((f64, f64, f64)) -> f64,
    weighted: bool,
) -> Result<f64> {
    check_pair(y_true.len(), y_pred.len(), what)?;
    let (mut sum, mut weights) = (0.0, 0.0);
    for c in present_labels(y_true, y_pred) {
        let (tp, fp, fn_) = counts(y_true, y_pred, c);
        // tp + fn is the class's number of true samples.
        let weight = if weighted { tp + fn_ } else { 1.0 };
        sum += pick(prf(tp, fp, fn_)) * weight;
        weights += weight;
    }
    Ok(sum / weights)
}

/// Unweighted mean of the per-class precisions.
pub fn precision_macro(y_true: &[usize], y_pred: &[usize]) -> Result<f64> {
    average(y_true, y_pred, "precision_macro", |m| m.0, false)
}

/// Unweighted mean of the per-class recalls.
pub fn recall_macro(y_true: &[usize], y_pred: &[usize]) -> Result<f64> {
    average(y_true, y_pred, "recall_macro", |m| m.1, false)
}

/// Unweighted mean of the per-class F1 scores.
pub fn f1_macro(y_true: &[usize], y_pred: &[usize]) -> Result<f64> {
    average(y_true, y_pred, "f1_macro", |m| m.2, false)
}

/// The support-weighted mean of the per-class precisions (scikit-learn's
/// `average="weighted"`: over the classes that occur, each weighted by its
/// number of true samples).
pub fn precision_weighted(y_true: &[usize], y_pred: &[usize]) -> Result<f64> {
    average(y_true, y_pred, "precision_weighted", |m| m.0, true)
}

/// The support-weighted mean of the per-class recalls.
pub fn recall_weighted(y_true: &[usize], y_pred: &[usize]) -> Result<f64> {
    average(y_true, y_pred, "recall_weighted", |m| m.1, true)
}

/// The support-weighted mean of the per-class F1 scores.
pub fn f1_weighted(y_true: &[usize], y_pred: &[usize]) -> Result<f64> {
    average(y_true, y_pred, "f1_weighted", |m| m.2, true)
}

/// One class's line of a classification report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassScores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// The number of true samples of the class.
    pub support: u64,
}

/// Precision, recall, F1 and support of every class `0..n_classes`, in that
/// order, whether it occurs or not (a class that is never predicted has
/// precision 0, one that never occurs recall 0): scikit-learn's
/// `precision_recall_fscore_support(labels=..., zero_division=0)`.
pub fn per_class(y_true: &[usize], y_pred: &[usize], n_classes: usize) -> Result<Vec<ClassScores>> {
    check_pair(y_true.len(), y_pred.len(), "per_class")?;
    Ok((0..n_classes)
        .map(|c| {
            let (tp, fp, fn_) = counts(y_true, y_pred, c);
            let (precision, recall, f1) = prf(tp, fp, fn_);
            ClassScores {
                precision,
                recall,
                f1,
                support: (tp + fn_) as u64,
            }
        })
        .collect())
}

/// `matrix[true][predicted]` counts for classes `0..n_classes`, in that
/// order whatever occurs in the data.
pub fn confusion_matrix(
    y_true: &[usize],
    y_pred: &[usize],
    n_classes: usize,
) -> Result<Vec<Vec<u64>>> {
    check_pair(y_true.len(), y_pred.len(), "confusion_matrix")?;
    let mut matrix = vec![vec![0u64; n_classes]; n_classes];
    for (i, (&t, &p)) in y_true.iter().zip(y_pred).enumerate() {
        if t >= n_classes || p >= n_classes {
            return Err(MetricError::new(format!(
                "confusion_matrix: row {i} has class {} but there are only {n_classes} classes",
                t.max(p)
            )));
        }
        matrix[t][p] += 1;
    }
    Ok(matrix)
}

/// Area under the ROC curve of a binary problem: `is_positive[i]` says
/// whether sample `i` belongs to the positive class, `scores[i]` is the
/// model's score for it (higher means more likely positive).
///
/// Tied scores count one half, which is exactly the trapezoidal area
/// scikit-learn computes over its ROC curve.
pub fn roc_auc(is_positive: &[bool], scores: &[f64]) -> Result<f64> {
    check_pair(is_positive.len(), scores.len(), "roc_auc")?;
    check_finite(scores, "roc_auc", "score")?;
    let n_pos = is_positive.iter().filter(|&&p| p).count();
    let n_neg = is_positive.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return Err(MetricError::new(
            "roc_auc: only one class is present in the true values, the ROC AUC is undefined",
        ));
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Sum of the (average, 1-based) ranks of the positives: the Mann-Whitney
    // statistic, with ties shared equally.
    let mut rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && scores[order[end]] == scores[order[start]] {
            end += 1;
        }
        let average_rank = (start + 1 + end) as f64 / 2.0;
        let positives = order[start..end]
            .iter()
            .filter(|&&i| is_positive[i])
            .count();
        rank_sum += average_rank * positives as f64;
        start = end;
    }
    let (n_pos, n_neg) = (n_pos as f64, n_neg as f64);
    Ok((rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg))
}

/// Average precision of a binary problem (scikit-learn's
/// `average_precision_score`): the precision at each distinct score
/// threshold, from the highest, weighted by the recall it adds. Undefined
/// without a positive sample.
pub fn average_precision(is_positive: &[bool], scores: &[f64]) -> Result<f64> {
    check_pair(is_positive.len(), scores.len(), "average_precision")?;
    check_finite(scores, "average_precision", "score")?;
    let n_pos = is_positive.iter().filter(|&&p| p).count();
    if n_pos == 0 {
        return Err(MetricError::new(
            "average_precision: no sample of the positive class is present in the true values, the average precision is undefined",
        ));
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut tp, mut seen, mut total, mut previous_recall) = (0usize, 0usize, 0.0, 0.0);
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && scores[order[end]] == scores[order[start]] {
            end += 1;
        }
        tp += order[start..end]
            .iter()
            .filter(|&&i| is_positive[i])
            .count();
        seen += end - start;
        let recall = tp as f64 / n_pos as f64;
        total += (recall - previous_recall) * (tp as f64 / seen as f64);
        previous_recall = recall;
        start = end;
    }
    Ok(total)
}

/// Mean negative log-likelihood of the true classes. `proba` has one row
/// per sample and one column per class (`0..n_classes`); like
/// scikit-learn, probabilities are clipped to `[eps, 1 - eps]` with the
/// machine epsilon of `f64`. A row that does not sum to 1 (within
/// `sqrt(eps)`, scikit-learn's tolerance for its warning) is an error.
pub fn log_loss(y_true: &[usize], proba: ArrayView2<f64>) -> Result<f64> {
    check_pair(y_true.len(), proba.nrows(), "log_loss")?;
    let n_classes = proba.ncols();
    if n_classes < 2 {
        return Err(MetricError::new(
            "log_loss: needs probabilities for at least two classes",
        ));
    }
    let eps = f64::EPSILON;
    let mut total = 0.0;
    for (i, (row, &t)) in proba.rows().into_iter().zip(y_true).enumerate() {
        if t >= n_classes {
            return Err(MetricError::new(format!(
                "log_loss: row {i} has class {t} but there are probabilities for only {n_classes} classes"
            )));
        }
        if let Some(bad) = row.iter().find(|p| !p.is_finite() || **p < 0.0) {
            return Err(MetricError::new(format!(
                "log_loss: row {i} has an invalid probability ({bad})"
            )));
        }
        let sum: f64 = row.sum();
        if (sum - 1.0).abs() > eps.sqrt() {
            return Err(MetricError::new(format!(
                "log_loss: the probabilities of row {i} sum to {sum}, not 1"
            )));
        }
        total -= row[t].clamp(eps, 1.0 - eps).ln();
    }
    Ok(total / y_true.len() as f64)
}

// ------------------------------------------------------------- regression

fn check_regression(y_true: &[f64], y_pred: &[f64], what: &str) -> Result<()> {
    check_pair(y_true.len(), y_pred.len(), what)?;
    check_finite(y_true, what, "true value")?;
    check_finite(y_pred, what, "prediction")
}

/// Root of the mean squared error.
pub fn rmse(y_true: &[f64], y_pred: &[f64]) -> Result<f64> {
    check_regression(y_true, y_pred, "rmse")?;
    let sse: f64 = y_true
        .iter()
        .zip(y_pred)
        .map(|(t, p)| (t - p) * (t - p))
        .sum();
    Ok((sse / y_true.len() as f64).sqrt())
}

/// Mean absolute error.
pub fn mae(y_true: &[f64], y_pred: &[f64]) -> Result<f64> {
    check_regression(y_true, y_pred, "mae")?;
    let sae: f64 = y_true.iter().zip(y_pred).map(|(t, p)| (t - p).abs()).sum();
    Ok(sae / y_true.len() as f64)
}

/// Coefficient of determination. When the true values are constant it is
/// 1 for a perfect prediction and 0 otherwise (scikit-learn's
/// `force_finite=True`).
pub fn r2(y_true: &[f64], y_pred: &[f64]) -> Result<f64> {
    check_regression(y_true, y_pred, "r2")?;
    let n = y_true.len() as f64;
    let mean = y_true.iter().sum::<f64>() / n;
    let ss_res: f64 = y_true
        .iter()
        .zip(y_pred)
        .map(|(t, p)| (t - p) * (t - p))
        .sum();
    let ss_tot: f64 = y_true.iter().map(|t| (t - mean) * (t - mean)).sum();
    Ok(if ss_tot == 0.0 {
        if ss_res == 0.0 {
            1.0
        } else {
            0.0
        }
    } else {
        1.0 - ss_res / ss_tot
    })
}

/// Mean absolute percentage error, as a fraction (0.1 is 10%). A true value
/// of 0 is divided by the machine epsilon instead, as scikit-learn does, so
/// the result is huge but finite.
pub fn mape(y_true: &[f64], y_pred: &[f64]) -> Result<f64> {
    check_regression(y_true, y_pred, "mape")?;
    let sum: f64 = y_true
        .iter()
        .zip(y_pred)
        .map(|(t, p)| (t - p).abs() / t.abs().max(f64::EPSILON))
        .sum();
    Ok(sum / y_true.len() as f64)
}

/// What a regressor's errors look like: the residuals `actual - predicted`
/// summarised by their mean, standard deviation (population, as numpy's
/// default) and quantiles (numpy's default linear interpolation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ResidualSummary {
    pub mean: f64,
    pub std: f64,
    pub min: f64,
    pub p05: f64,
    pub p25: f64,
    pub median: f64,
    pub p75: f64,
    pub p95: f64,
    pub max: f64,
    /// The largest error in absolute value.
    pub max_abs: f64,
}

pub fn residual_summary(y_true: &[f64], y_pred: &[f64]) -> Result<ResidualSummary> {
    check_regression(y_true, y_pred, "residual_summary")?;
    let mut residuals: Vec<f64> = y_true.iter().zip(y_pred).map(|(t, p)| t - p).collect();
    let n = residuals.len() as f64;
    let mean = residuals.iter().sum::<f64>() / n;
    let std = (residuals
        .iter()
        .map(|r| (r - mean) * (r - mean))
        .sum::<f64>()
        / n)
        .sqrt();
    residuals.sort_by(f64::total_cmp);
    let quantile = |q: f64| {
        let position = q * (residuals.len() - 1) as f64;
        let below = position.floor() as usize;
        let above = position.ceil() as usize;
        residuals[below] + (residuals[above] - residuals[below]) * (position - below as f64)
    };
    let (min, max) = (residuals[0], residuals[residuals.len() - 1]);
    Ok(ResidualSummary {
        mean,
        std,
        min,
        p05: quantile(0.05),
        p25: quantile(0.25),
        median: quantile(0.5),
        p75: quantile(0.75),
        p95: quantile(0.95),
        max,
        max_abs: min.abs().max(max.abs()),
    })
}

// ------------------------------------------------------------- clustering

/// Mean silhouette coefficient with euclidean distances. Needs between 2
/// and `n_samples - 1` distinct clusters; a sample alone in its cluster
/// scores 0.
pub fn silhouette(x: ArrayView2<f64>, labels: &[usize]) -> Result<f64> {
    let n = x.nrows();
    check_pair(n, labels.len(), "silhouette")?;
    if x.iter().any(|v| !v.is_finite()) {
        return Err(MetricError::new(
            "silhouette: the features contain a value that is not a finite number",
        ));
    }
    let distinct = present_labels(labels, &[]);
    if distinct.len() < 2 || distinct.len() > n - 1 {
        return Err(MetricError::new(format!(
            "silhouette: needs between 2 and {} clusters (the number of samples minus one), found {}",
            n.saturating_sub(1),
            distinct.len()
        )));
    }
    // Labels are compacted to 0..k so the per-cluster sums fit a small vector.
    let index_of = |label: usize| distinct.binary_search(&label).unwrap_or(0);
    let compact: Vec<usize> = labels.iter().map(|&l| index_of(l)).collect();
    let k = distinct.len();
    let mut sizes = vec![0usize; k];
    for &c in &compact {
        sizes[c] += 1;
    }
    let mut total = 0.0;
    let mut sums = vec![0.0; k];
    for i in 0..n {
        sums.iter_mut().for_each(|s| *s = 0.0);
        let xi = x.row(i);
        for j in 0..n {
            if i != j {
                let d: f64 = xi
                    .iter()
                    .zip(x.row(j))
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>()
                    .sqrt();
                sums[compact[j]] += d;
            }
        }
        let own = compact[i];
        if sizes[own] == 1 {
            continue;
        }
        let a = sums[own] / (sizes[own] - 1) as f64;
        let b = (0..k)
            .filter(|&c| c != own)
            .map(|c| sums[c] / sizes[c] as f64)
            .fold(f64::INFINITY, f64::min);
        let denominator = a.max(b);
        if denominator > 0.0 {
            total += (b - a) / denominator;
        }
    }
    Ok(total / n as f64)
}

/// The mean and the population standard deviation (numpy's `std`, ddof 0,
/// as `cross_val_score(...).std()` reports) of a metric over the folds of a
/// cross-validation.
pub fn mean_std(values: &[f64]) -> Result<(f64, f64)> {
    if values.is_empty() {
        return Err(MetricError::new("mean of no folds"));
    }
    check_finite(values, "cross-validation", "a fold's value")?;
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    Ok((mean, variance.sqrt()))
}
