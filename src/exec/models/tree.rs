//! decision_tree: a CART tree grown here rather than by linfa-trees (the
//! `Tree` type says why).

use ndarray::{ArrayView1, ArrayView2};
use rand_xoshiro::rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;
use serde::{Deserialize, Serialize};

use super::hyper::HyperReader;
use super::ModelError;

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
    /// The prediction of a regression or boosting tree's leaf, and the
    /// statistics `[Σ weights, Σ targets]` of the training rows that reach
    /// it (for the importances).
    Value { value: f64, stats: Vec<f64> },
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

/// A Newton step's score, `-G²/H`, for the statistics `[H, G]` (summed
/// weights and targets): additive over children and lowest where the
/// leaf value `G/H` explains the most. With unit weights (squared error)
/// it is the sum of squares minus a constant, so the split it picks is
/// scikit-learn's `squared_error` one.
fn newton_score(stats: &[f64]) -> f64 {
    match stats {
        [weight, total] if *weight > 0.0 => -(total * total) / weight,
        _ => 0.0,
    }
}

/// What a tree's splits minimise, and what its leaves hold.
pub(super) enum Criterion<'a> {
    /// The Gini impurity of classes `y`; a leaf keeps its class counts.
    Gini { y: &'a [usize], n_classes: usize },
    /// The squared error of a Newton step on `targets` with row weights
    /// `hessian` (1 each when `None`): a leaf predicts
    /// `scale · Σ targets / Σ hessian`. A regression tree has the
    /// training values as targets and scale 1; a boosting round the
    /// negative gradients, the hessians of the loss and the learning rate.
    Newton {
        targets: &'a [f64],
        hessian: Option<&'a [f64]>,
        scale: f64,
    },
}

impl Criterion<'_> {
    fn width(&self) -> usize {
        match self {
            Criterion::Gini { n_classes, .. } => *n_classes,
            Criterion::Newton { .. } => 2,
        }
    }

    /// Adds row `r`, counted `w` times (negative to take it away).
    fn add(&self, stats: &mut [f64], r: usize, w: f64) {
        match self {
            Criterion::Gini { y, .. } => stats[y[r]] += w,
            Criterion::Newton {
                targets, hessian, ..
            } => {
                stats[0] += hessian.map_or(w, |h| w * h[r]);
                stats[1] += w * targets[r];
            }
        }
    }

    fn score(&self, stats: &[f64]) -> f64 {
        match self {
            Criterion::Gini { .. } => weighted_gini(stats),
            Criterion::Newton { .. } => newton_score(stats),
        }
    }

    /// Whether a split can lower the node's score at all.
    fn may_improve(&self, stats: &[f64], score: f64) -> bool {
        match self {
            Criterion::Gini { .. } => score > 0.0,
            Criterion::Newton { .. } => stats[0] > 0.0,
        }
    }

    /// The score a split's children must beat: the node's, less rounding
    /// noise.
    fn limit(&self, score: f64) -> f64 {
        match self {
            Criterion::Gini { .. } => score * (1.0 - 1e-12),
            Criterion::Newton { .. } => score - score.abs() * 1e-12,
        }
    }

    fn leaf(&self, stats: Vec<f64>) -> Node {
        match self {
            Criterion::Gini { .. } => Node::Leaf { counts: stats },
            Criterion::Newton { scale, .. } => {
                let value = if stats[0] > 0.0 {
                    scale * stats[1] / stats[0]
                } else {
                    0.0
                };
                Node::Value { value, stats }
            }
        }
    }
}

/// Every feature's rows sorted by value (ties by row): sorted once per
/// fit and shared by every node of every tree of an ensemble. Row numbers
/// are `u32`, half the memory of `usize` (the orders are as large as the
/// feature matrix otherwise); a table of more rows has no presorted order,
/// and every node sorts its own rows.
pub(super) struct Presorted {
    order: Vec<Vec<u32>>,
}

impl Presorted {
    pub(super) fn new(x: ArrayView2<f64>) -> Presorted {
        let Ok(n) = u32::try_from(x.nrows()) else {
            return Presorted { order: Vec::new() };
        };
        let order = (0..x.ncols())
            .map(|feature| {
                let column = x.column(feature);
                let mut rows: Vec<u32> = (0..n).collect();
                rows.sort_unstable_by(|&a, &b| {
                    column[a as usize]
                        .total_cmp(&column[b as usize])
                        .then(a.cmp(&b))
                });
                rows
            })
            .collect();
        Presorted { order }
    }
}

/// How a tree is grown.
pub(super) struct Grower<'a> {
    pub x: ArrayView2<'a, f64>,
    pub presorted: &'a Presorted,
    pub max_depth: Option<usize>,
    pub min_samples_split: usize,
    /// Features drawn at random for each split (scikit-learn's
    /// `max_features`); when none of them splits the node, the others are
    /// tried in the drawn order until one does. `None`: every feature, in
    /// order.
    pub max_features: Option<usize>,
}

/// A node being grown: its rows, and whether each row of the table is one.
struct NodeRows<'a> {
    rows: &'a [usize],
    member: &'a [bool],
    weights: Option<&'a [f64]>,
}

impl<'a> Grower<'a> {
    /// The settings of a model's `max_depth` and `min_samples_split`, and
    /// with `sampled` (an ensemble's trees) of its `max_features`:
    /// scikit-learn's `"sqrt"` is `max(1, ⌊√p⌋)`.
    pub(super) fn read(
        reader: &HyperReader,
        x: ArrayView2<'a, f64>,
        presorted: &'a Presorted,
        sampled: bool,
    ) -> Result<Grower<'a>, ModelError> {
        let max_features = match sampled {
            true if reader.choice("max_features")? == "sqrt" => {
                Some(((x.ncols() as f64).sqrt().floor() as usize).max(1))
            }
            _ => None,
        };
        Ok(Grower {
            x,
            presorted,
            max_depth: reader.limit("max_depth")?,
            min_samples_split: reader.count("min_samples_split")?,
            max_features,
        })
    }

    /// Grows a tree on `rows`, each counted `weights[r]` times (once when
    /// `None`; a bootstrap sample's draws otherwise). An explicit work list
    /// instead of recursion, so a deep tree cannot overflow the stack.
    /// `rng` draws the features of each split, in the work list's order.
    pub(super) fn grow(
        &self,
        criterion: &Criterion,
        rows: Vec<usize>,
        weights: Option<&[f64]>,
        rng: &mut Xoshiro256Plus,
    ) -> Tree {
        let weight = |r: usize| weights.map_or(1.0, |w| w[r]);
        let mut member = vec![false; self.x.nrows()];
        let placeholder = || Node::Leaf { counts: Vec::new() };
        let mut nodes = vec![placeholder()];
        let mut work = vec![(0usize, rows, 0usize)];
        while let Some((index, rows, depth)) = work.pop() {
            let mut stats = vec![0.0; criterion.width()];
            for &r in &rows {
                criterion.add(&mut stats, r, weight(r));
            }
            let score = criterion.score(&stats);
            let may_split = criterion.may_improve(&stats, score)
                && rows.len() >= self.min_samples_split
                && !matches!(self.max_depth, Some(m) if depth >= m);
            let split = if may_split {
                rows.iter().for_each(|&r| member[r] = true);
                let node = NodeRows {
                    rows: &rows,
                    member: &member,
                    weights,
                };
                let split = self.best_split(criterion, &node, &stats, score, rng);
                rows.iter().for_each(|&r| member[r] = false);
                split
            } else {
                None
            };
            match split {
                Some((feature, threshold)) => {
                    let (left_rows, right_rows): (Vec<usize>, Vec<usize>) = rows
                        .iter()
                        .partition(|&&r| self.x[[r, feature]] <= threshold);
                    let left = nodes.len();
                    let right = left + 1;
                    nodes.push(placeholder());
                    nodes.push(placeholder());
                    nodes[index] = Node::Split {
                        feature,
                        threshold,
                        left,
                        right,
                    };
                    work.push((right, right_rows, depth + 1));
                    work.push((left, left_rows, depth + 1));
                }
                None => nodes[index] = criterion.leaf(stats),
            }
        }
        Tree { nodes }
    }

    /// The split of the node with the lowest total child score, if it is
    /// lower than the node's own: `(feature, threshold)`. scikit-learn's
    /// rules: thresholds halfway between consecutive distinct values, the
    /// first best split (in the order the features are examined, then by
    /// threshold) on ties.
    fn best_split(
        &self,
        criterion: &Criterion,
        node: &NodeRows,
        stats: &[f64],
        score: f64,
        rng: &mut Xoshiro256Plus,
    ) -> Option<(usize, f64)> {
        let p = self.x.ncols();
        let mut features: Vec<usize> = (0..p).collect();
        let wanted = match self.max_features {
            Some(k) if k < p => {
                // Fisher-Yates: the same seed gives the same features on
                // every platform.
                for i in (1..p).rev() {
                    features.swap(i, below(rng, i + 1));
                }
                k
            }
            _ => p,
        };
        let limit = criterion.limit(score);
        let mut best: Option<(f64, usize, f64)> = None;
        // The node's values of one feature, with their rows, sorted as
        // pairs (ties by row): from the presorted order when the node holds
        // most of the table, by sorting its own rows when sorting is
        // cheaper than a pass over the table. Both give the same sequence.
        let mut sorted: Vec<(f64, usize)> = Vec::with_capacity(node.rows.len());
        let m = node.rows.len();
        let filter = !self.presorted.order.is_empty()
            && m as f64 * (m as f64).log2() > self.x.nrows() as f64;
        for (examined, &feature) in features.iter().enumerate() {
            if examined >= wanted && best.is_some() {
                break;
            }
            let column = self.x.column(feature);
            sorted.clear();
            if filter {
                sorted.extend(
                    self.presorted.order[feature]
                        .iter()
                        .map(|&r| r as usize)
                        .filter(|&r| node.member[r])
                        .map(|r| (column[r], r)),
                );
            } else {
                sorted.extend(node.rows.iter().map(|&r| (column[r], r)));
                sorted.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            }
            let mut left = vec![0.0; stats.len()];
            let mut right = stats.to_vec();
            for i in 0..sorted.len() - 1 {
                let r = sorted[i].1;
                let w = node.weights.map_or(1.0, |w| w[r]);
                criterion.add(&mut left, r, w);
                criterion.add(&mut right, r, -w);
                let (here, next) = (sorted[i].0, sorted[i + 1].0);
                if here == next {
                    continue;
                }
                let split = criterion.score(&left) + criterion.score(&right);
                if split < limit && !matches!(best, Some((b, _, _)) if split >= b) {
                    // Halfway, unless rounding lands on the upper value.
                    let mid = here + (next - here) / 2.0;
                    let threshold = if mid < next { mid } else { here };
                    best = Some((split, feature, threshold));
                }
            }
        }
        best.map(|(_, feature, threshold)| (feature, threshold))
    }
}

/// The generator of tree (or round) `index` of a model seeded `seed`: each
/// its own stream, so trees can be grown in any order, on any number of
/// threads, and come out the same. `seed_from_u64` mixes its input with
/// SplitMix64, so neighbouring indices give unrelated streams.
pub(super) fn stream(seed: u64, index: usize) -> Xoshiro256Plus {
    Xoshiro256Plus::seed_from_u64(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// A number in `0..n`, by Lemire's multiply-shift (the same on every
/// platform).
pub(super) fn below(rng: &mut Xoshiro256Plus, n: usize) -> usize {
    ((u128::from(rng.next_u64()) * n as u128) >> 64) as usize
}

/// What a consistent tree's leaves hold.
pub(super) enum Leaves {
    /// Class counts, of this many classes.
    Counts(usize),
    Values,
}

impl Tree {
    /// A decision tree classifier on every row of `x`.
    pub(super) fn grow(
        x: ArrayView2<f64>,
        y: &[usize],
        n_classes: usize,
        max_depth: Option<usize>,
        min_samples_split: usize,
    ) -> Tree {
        let presorted = Presorted::new(x);
        let grower = Grower {
            x: x.view(),
            presorted: &presorted,
            max_depth,
            min_samples_split,
            max_features: None,
        };
        let criterion = Criterion::Gini { y, n_classes };
        // Every feature is examined: the generator is never drawn from.
        let mut rng = stream(0, 0);
        grower.grow(&criterion, (0..y.len()).collect(), None, &mut rng)
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

    /// The prediction of a regression or boosting tree for a row.
    pub(super) fn value(&self, row: ArrayView1<f64>) -> f64 {
        match self.nodes.get(self.leaf(row)) {
            Some(Node::Value { value, .. }) => *value,
            _ => 0.0,
        }
    }

    /// scikit-learn's impurity-based importances: the decrease of the
    /// criterion at every split (Gini impurity, or squared error), weighted
    /// by the rows it splits, summed per feature, not normalised.
    pub(super) fn raw_importances(&self, n_features: usize) -> Vec<f64> {
        // Children come after parents, so a reverse pass sees every child's
        // statistics before its parent's.
        let mut stats: Vec<Vec<f64>> = vec![Vec::new(); self.nodes.len()];
        let mut gini = true;
        for (i, node) in self.nodes.iter().enumerate().rev() {
            stats[i] = match node {
                Node::Leaf { counts } => counts.clone(),
                Node::Value { stats, .. } => {
                    gini = false;
                    stats.clone()
                }
                Node::Split { left, right, .. } => stats[*left]
                    .iter()
                    .zip(&stats[*right])
                    .map(|(a, b)| a + b)
                    .collect(),
            };
        }
        let score = |s: &[f64]| {
            if gini {
                weighted_gini(s)
            } else {
                newton_score(s)
            }
        };
        let mut importances = vec![0.0; n_features];
        for (i, node) in self.nodes.iter().enumerate() {
            if let Node::Split {
                feature,
                left,
                right,
                ..
            } = node
            {
                let decrease = score(&stats[i]) - score(&stats[*left]) - score(&stats[*right]);
                if let Some(slot) = importances.get_mut(*feature) {
                    *slot += decrease;
                }
            }
        }
        importances
    }

    /// The importances normalised to sum to 1 (all zeros without splits).
    pub(super) fn importances(&self, n_features: usize) -> Vec<f64> {
        normalised(self.raw_importances(n_features))
    }

    /// Whether node indices, features and leaves fit a model of
    /// `n_features` features whose leaves hold `leaves`.
    pub(super) fn is_consistent(&self, n_features: usize, leaves: &Leaves) -> bool {
        let finite = |v: &[f64]| v.iter().all(|c| c.is_finite());
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
                    matches!(leaves, Leaves::Counts(k) if counts.len() == *k)
                        && finite(counts)
                        && counts.iter().all(|c| *c >= 0.0)
                }
                Node::Value { value, stats } => {
                    matches!(leaves, Leaves::Values)
                        && value.is_finite()
                        && stats.len() == 2
                        && finite(stats)
                }
            })
    }
}

/// Values scaled to sum to 1, or unchanged when they sum to 0.
pub(super) fn normalised(mut values: Vec<f64>) -> Vec<f64> {
    let total: f64 = values.iter().sum();
    if total > 0.0 {
        values.iter_mut().for_each(|v| *v /= total);
    }
    values
}
