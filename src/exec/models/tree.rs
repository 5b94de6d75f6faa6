//! decision_tree: a CART tree grown here rather than by linfa-trees (the
//! `Tree` type says why).

use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

/// A fitted CART decision tree, flattened (node 0 is the root, children
/// come after their parent).
///
/// This one algorithm is not linfa's: linfa-trees 0.8 picks a node's
/// majority class in `HashMap` order and prunes subtrees whose leaves agree,
/// so the same data grows differently shaped trees from run to run
/// (observed on iris); it also sums Gini terms in `f32` in that order. The
/// tree here is grown deterministically in `f64`, with scikit-learn's rules:
/// Gini impurity, thresholds halfway between consecutive distinct values,
/// the first best split (by feature, then threshold) on ties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Tree {
    nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Node {
    /// Rows with `x[feature] <= threshold` go left.
    Split {
        feature: usize,
        threshold: f64,
        left: usize,
        right: usize,
    },
    /// Class counts of the training rows that reach this leaf.
    Leaf { counts: Vec<f64> },
}

/// Gini impurity of class counts, times their total (so that children's
/// values add up).
fn weighted_gini(counts: &[f64]) -> f64 {
    let n: f64 = counts.iter().sum();
    if n == 0.0 {
        return 0.0;
    }
    n - counts.iter().map(|k| k * k).sum::<f64>() / n
}

/// The split of `rows` with the lowest total child impurity, if it is lower
/// than the node's own: `(feature, threshold)`.
fn best_split(
    x: ArrayView2<f64>,
    y: &[usize],
    rows: &[usize],
    counts: &[f64],
    impurity: f64,
) -> Option<(usize, f64)> {
    // A split must improve on the node by more than rounding noise.
    let mut best: Option<(f64, usize, f64)> = None;
    let limit = impurity * (1.0 - 1e-12);
    // The node's values of one feature, with their rows, sorted as pairs:
    // sorting row numbers by a lookup into `x` made every comparison a
    // random memory access. Ties are ordered by row, so the order (and the
    // tree) is the same as a stable sort's.
    let mut sorted: Vec<(f64, usize)> = Vec::with_capacity(rows.len());
    for feature in 0..x.ncols() {
        let column = x.column(feature);
        sorted.clear();
        sorted.extend(rows.iter().map(|&r| (column[r], r)));
        sorted.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut left = vec![0.0; counts.len()];
        let mut right = counts.to_vec();
        for i in 0..sorted.len() - 1 {
            let class = y[sorted[i].1];
            left[class] += 1.0;
            right[class] -= 1.0;
            let (here, next) = (sorted[i].0, sorted[i + 1].0);
            if here == next {
                continue;
            }
            let score = weighted_gini(&left) + weighted_gini(&right);
            if score < limit && !matches!(best, Some((b, _, _)) if score >= b) {
                // Halfway, unless rounding lands on the upper value.
                let mid = here + (next - here) / 2.0;
                let threshold = if mid < next { mid } else { here };
                best = Some((score, feature, threshold));
            }
        }
    }
    best.map(|(_, feature, threshold)| (feature, threshold))
}

impl Tree {
    /// Grows a tree on the rows of `x`. An explicit work list instead of
    /// recursion, so a deep tree cannot overflow the stack.
    pub(super) fn grow(
        x: ArrayView2<f64>,
        y: &[usize],
        n_classes: usize,
        max_depth: Option<usize>,
        min_samples_split: usize,
    ) -> Tree {
        let mut nodes = vec![Node::Leaf { counts: Vec::new() }];
        let mut work = vec![(0usize, (0..y.len()).collect::<Vec<usize>>(), 0usize)];
        while let Some((index, rows, depth)) = work.pop() {
            let mut counts = vec![0.0; n_classes];
            for &r in &rows {
                counts[y[r]] += 1.0;
            }
            let impurity = weighted_gini(&counts);
            let may_split = impurity > 0.0
                && rows.len() >= min_samples_split
                && !matches!(max_depth, Some(m) if depth >= m);
            let split = if may_split {
                best_split(x, y, &rows, &counts, impurity)
            } else {
                None
            };
            match split {
                Some((feature, threshold)) => {
                    let (left_rows, right_rows): (Vec<usize>, Vec<usize>) =
                        rows.iter().partition(|&&r| x[[r, feature]] <= threshold);
                    let left = nodes.len();
                    let right = left + 1;
                    nodes.push(Node::Leaf { counts: Vec::new() });
                    nodes.push(Node::Leaf { counts: Vec::new() });
                    nodes[index] = Node::Split {
                        feature,
                        threshold,
                        left,
                        right,
                    };
                    work.push((right, right_rows, depth + 1));
                    work.push((left, left_rows, depth + 1));
                }
                None => nodes[index] = Node::Leaf { counts },
            }
        }
        Tree { nodes }
    }

    /// The index of the leaf a row reaches. Children always come after
    /// their parent (checked on load), so the walk ends.
    fn leaf(&self, row: ArrayView1<f64>) -> usize {
        let mut at = 0;
        while let Some(Node::Split {
            feature,
            threshold,
            left,
            right,
        }) = self.nodes.get(at)
        {
            at = if row.get(*feature).is_some_and(|v| v <= threshold) {
                *left
            } else {
                *right
            };
        }
        at
    }

    /// Class probabilities of the leaf a row reaches (uniform for a leaf no
    /// training row reached).
    pub(super) fn probabilities(&self, row: ArrayView1<f64>, out: &mut [f64]) {
        let Some(Node::Leaf { counts }) = self.nodes.get(self.leaf(row)) else {
            return;
        };
        let total: f64 = counts.iter().sum();
        for (o, c) in out.iter_mut().zip(counts) {
            *o = if total > 0.0 {
                c / total
            } else {
                1.0 / counts.len() as f64
            };
        }
    }

    /// scikit-learn's impurity-based importances: the Gini decrease of every
    /// split, weighted by the rows it splits, summed per feature and
    /// normalised to sum to 1 (all zeros without splits).
    pub(super) fn importances(&self, n_features: usize) -> Vec<f64> {
        // Children come after parents, so a reverse pass sees every child's
        // counts before its parent's.
        let mut counts: Vec<Vec<f64>> = vec![Vec::new(); self.nodes.len()];
        for (i, node) in self.nodes.iter().enumerate().rev() {
            counts[i] = match node {
                Node::Leaf { counts } => counts.clone(),
                Node::Split { left, right, .. } => counts[*left]
                    .iter()
                    .zip(&counts[*right])
                    .map(|(a, b)| a + b)
                    .collect(),
            };
        }
        let mut importances = vec![0.0; n_features];
        for (i, node) in self.nodes.iter().enumerate() {
            if let Node::Split {
                feature,
                left,
                right,
                ..
            } = node
            {
                let decrease = weighted_gini(&counts[i])
                    - weighted_gini(&counts[*left])
                    - weighted_gini(&counts[*right]);
                if let Some(slot) = importances.get_mut(*feature) {
                    *slot += decrease;
                }
            }
        }
        let total: f64 = importances.iter().sum();
        if total > 0.0 {
            importances.iter_mut().for_each(|v| *v /= total);
        }
        importances
    }

    pub(super) fn is_consistent(&self, n_features: usize, n_classes: usize) -> bool {
        !self.nodes.is_empty()
            && self.nodes.iter().enumerate().all(|(i, node)| match node {
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    *feature < n_features
                        && !threshold.is_nan()
                        && (i + 1..self.nodes.len()).contains(left)
                        && (i + 1..self.nodes.len()).contains(right)
                }
                Node::Leaf { counts } => {
                    counts.len() == n_classes && counts.iter().all(|c| c.is_finite() && *c >= 0.0)
                }
            })
    }
}
