//! Fairness metrics of a classifier, with Fairlearn's definitions (0.13,
//! `method="between_groups"`, no sample weights): the predictions compared
//! between groups of rows, the groups being the distinct values of one
//! column (`groups = COLUMN` in an `evaluate` block).
//!
//! Classes are indices, as in [`super::metrics`]; `positive` is the
//! positive class (the second class of a binary target). Rates with an
//! empty denominator are 0, as Fairlearn computes them (scikit-learn's
//! confusion matrix normalised by rows, and `zero_division` of precision
//! and recall): the true positive rate of a group without positives is 0,
//! and so is its recall.

use super::metrics::{self, MetricError, Result};
use std::collections::{HashMap, HashSet};

/// The rows of each group: the distinct values of the groups column,
/// sorted as Fairlearn's `MetricFrame.by_group` sorts them (numerically
/// when every value is an integer, by text otherwise), and the group of
/// every row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grouping {
    pub names: Vec<String>,
    /// `of_row[i]` is the index in `names` of row `i`'s group.
    pub of_row: Vec<usize>,
}

impl Grouping {
    /// The grouping of rows whose groups column holds `values`.
    pub fn new(values: &[String]) -> Grouping {
        let distinct: HashSet<&String> = values.iter().collect();
        let mut names: Vec<String> = distinct.into_iter().cloned().collect();
        if names.iter().all(|n| n.parse::<i64>().is_ok()) {
            let number = |n: &String| n.parse::<i64>().unwrap_or(0);
            names.sort_by(|a, b| number(a).cmp(&number(b)).then_with(|| a.cmp(b)));
        } else {
            names.sort();
        }
        let index: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let of_row = values.iter().map(|v| index[v.as_str()]).collect();
        Grouping { names, of_row }
    }

    /// The number of rows of each group.
    pub fn sizes(&self) -> Vec<usize> {
        let mut sizes = vec![0; self.names.len()];
        for &g in &self.of_row {
            sizes[g] += 1;
        }
        sizes
    }

    /// The values of `values` (one per row) split by group.
    fn split<T: Copy>(&self, values: &[T]) -> Vec<Vec<T>> {
        let mut parts = vec![Vec::new(); self.names.len()];
        for (&g, &v) in self.of_row.iter().zip(values) {
            parts[g].push(v);
        }
        parts
    }

    fn check(&self, rows: usize, what: &str) -> Result<()> {
        if self.of_row.is_empty() {
            return Err(MetricError::new(format!("{what}: no samples")));
        }
        if self.of_row.len() != rows {
            return Err(MetricError::new(format!(
                "{what}: {} groups values but {rows} predictions",
                self.of_row.len()
            )));
        }
        Ok(())
    }
}

/// The fraction of predictions of the `positive` class (Fairlearn's
/// `selection_rate`).
pub fn selection_rate(y_pred: &[usize], positive: usize) -> Result<f64> {
    if y_pred.is_empty() {
        return Err(MetricError::new("selection_rate: no samples"));
    }
    let selected = y_pred.iter().filter(|&&p| p == positive).count();
    Ok(selected as f64 / y_pred.len() as f64)
}

/// `metric` computed on the rows of each group, in the grouping's order
/// (Fairlearn's `MetricFrame(...).by_group`).
pub fn by_group(
    y_true: &[usize],
    y_pred: &[usize],
    groups: &Grouping,
    metric: impl Fn(&[usize], &[usize]) -> Result<f64>,
) -> Result<Vec<f64>> {
    if y_true.len() != y_pred.len() {
        return Err(MetricError::new(format!(
            "{} true values but {} predictions",
            y_true.len(),
            y_pred.len()
        )));
    }
    groups.check(y_pred.len(), "by group")?;
    groups
        .split(y_true)
        .iter()
        .zip(groups.split(y_pred))
        .map(|(t, p)| metric(t, &p))
        .collect()
}

/// The largest minus the smallest of `values`.
fn spread(values: &[f64]) -> f64 {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    max - min
}

/// The largest minus the smallest selection rate of the groups: 0 when
/// every group has its positive class predicted equally often.
pub fn demographic_parity_difference(
    y_pred: &[usize],
    groups: &Grouping,
    positive: usize,
) -> Result<f64> {
    groups.check(y_pred.len(), "demographic_parity_difference")?;
    let rates = groups
        .split(y_pred)
        .iter()
        .map(|p| selection_rate(p, positive))
        .collect::<Result<Vec<f64>>>()?;
    Ok(spread(&rates))
}

/// The false positive rate of the `positive` class: FP / (FP + TN), 0 when
/// no sample is negative.
fn false_positive_rate(y_true: &[usize], y_pred: &[usize], positive: usize) -> f64 {
    let negatives = y_true.iter().filter(|&&t| t != positive).count();
    let false_positives = y_true
        .iter()
        .zip(y_pred)
        .filter(|&(&t, &p)| t != positive && p == positive)
        .count();
    if negatives == 0 {
        0.0
    } else {
        false_positives as f64 / negatives as f64
    }
}

/// The larger of the spreads between groups of the true positive rate
/// (recall) and of the false positive rate (Fairlearn's
/// `agg="worst_case"`): 0 when every group has the same error rates.
pub fn equalized_odds_difference(
    y_true: &[usize],
    y_pred: &[usize],
    groups: &Grouping,
    positive: usize,
) -> Result<f64> {
    groups.check(y_pred.len(), "equalized_odds_difference")?;
    let tpr = by_group(y_true, y_pred, groups, |t, p| {
        metrics::recall(t, p, positive)
    })?;
    let fpr = by_group(y_true, y_pred, groups, |t, p| {
        Ok(false_positive_rate(t, p, positive))
    })?;
    Ok(spread(&tpr).max(spread(&fpr)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grouping(values: &[&str]) -> Grouping {
        Grouping::new(&values.iter().map(|v| v.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn groups_are_sorted_as_fairlearn_sorts_them() {
        assert_eq!(grouping(&["b", "a", "b"]).names, ["a", "b"]);
        assert_eq!(grouping(&["10", "9", "-1"]).names, ["-1", "9", "10"]);
        assert_eq!(grouping(&["b", "a", "b"]).of_row, [1, 0, 1]);
        assert_eq!(grouping(&["b", "a", "b"]).sizes(), [1, 2]);
    }

    #[test]
    fn one_group_has_no_disparity() {
        let g = grouping(&["a", "a", "a"]);
        assert_eq!(demographic_parity_difference(&[0, 1, 1], &g, 1), Ok(0.0));
        assert_eq!(
            equalized_odds_difference(&[0, 1, 1], &[1, 1, 0], &g, 1),
            Ok(0.0)
        );
    }

    #[test]
    fn mismatched_lengths_are_errors() {
        let g = grouping(&["a", "b"]);
        assert!(demographic_parity_difference(&[0, 1, 1], &g, 1).is_err());
        assert!(by_group(&[0, 1], &[0], &g, metrics::accuracy).is_err());
        assert!(selection_rate(&[], 1).is_err());
    }
}
