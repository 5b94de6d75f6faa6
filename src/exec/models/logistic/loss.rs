//! The objective scikit-learn's `LogisticRegression(solver="lbfgs")`
//! minimises, and its gradient, computed together in one pass over the
//! rows.
//!
//! On `n` rows, with `C = 1/l2`:
//!
//! ```text
//! f(W, b) = (1/n) Σᵢ loss(zᵢ, yᵢ) + (l2 / 2n) ‖W‖²,   zᵢ = W xᵢ + b
//! ```
//!
//! the mean log-loss plus the penalty scaled as scikit-learn scales it
//! (`l2_reg_strength = 1 / (C · n)`), so that `tolerance` is scikit-learn's
//! `tol` on the same gradient. The intercepts `b` are not penalised. Two
//! classes use the binomial loss on one output (the log-odds of class 1);
//! more use the multinomial (softmax) loss on one output per class, all
//! of them penalised, as scikit-learn does.
//!
//! The rows are cut into blocks of [`BLOCK_ROWS`], whatever the number of
//! threads; each block's partial loss and gradient are computed on
//! rayon's pool and summed in block order, so the result does not depend
//! on how many threads there are.

use rayon::prelude::*;

/// Rows per block: a block's scores and one column slice fit in L1/L2.
const BLOCK_ROWS: usize = 4096;

/// One logistic-regression training problem over a column-major matrix.
pub(super) struct Loss<'a> {
    /// Column `j` is `x[j * rows .. (j + 1) * rows]`.
    x: &'a [f64],
    rows: usize,
    features: usize,
    /// Class indices, one per row.
    y: &'a [usize],
    /// 1 for two classes (the log-odds of class 1), else one per class.
    outputs: usize,
    l2: f64,
}

impl<'a> Loss<'a> {
    pub(super) fn new(x: &'a [f64], y: &'a [usize], n_classes: usize, l2: f64) -> Self {
        let rows = y.len();
        Loss {
            x,
            rows,
            features: x.len() / rows,
            y,
            outputs: if n_classes == 2 { 1 } else { n_classes },
            l2,
        }
    }

    /// The length of a parameter vector: per output, its weights then its
    /// intercept.
    pub(super) fn n_params(&self) -> usize {
        self.outputs * (self.features + 1)
    }

    /// The objective and its gradient at `theta` (laid out as
    /// [`Loss::n_params`] says).
    pub(super) fn evaluate(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let blocks: Vec<(f64, Vec<f64>)> = (0..self.rows.div_ceil(BLOCK_ROWS))
            .into_par_iter()
            .map(|b| {
                let start = b * BLOCK_ROWS;
                self.block(theta, start, (start + BLOCK_ROWS).min(self.rows))
            })
            .collect();
        let mut loss = 0.0;
        let mut gradient = vec![0.0; self.n_params()];
        for (l, g) in blocks {
            loss += l;
            for (total, part) in gradient.iter_mut().zip(g) {
                *total += part;
            }
        }
        let n = self.rows as f64;
        loss /= n;
        for g in &mut gradient {
            *g /= n;
        }
        let strength = self.l2 / n;
        let stride = self.features + 1;
        let mut squares = 0.0;
        for o in 0..self.outputs {
            for j in o * stride..o * stride + self.features {
                squares += theta[j] * theta[j];
                gradient[j] += strength * theta[j];
            }
        }
        (loss + 0.5 * strength * squares, gradient)
    }

    /// The summed loss and gradient of rows `start..end`: the scores
    /// column by column, the loss and its derivative per row, then the
    /// gradient column by column, all on contiguous slices.
    fn block(&self, theta: &[f64], start: usize, end: usize) -> (f64, Vec<f64>) {
        let m = end - start;
        let stride = self.features + 1;
        let column = |j: usize| &self.x[j * self.rows + start..j * self.rows + end];
        let mut z = vec![0.0; self.outputs * m];
        for (o, scores) in z.chunks_exact_mut(m).enumerate() {
            scores.fill(theta[o * stride + self.features]);
            for j in 0..self.features {
                let w = theta[o * stride + j];
                for (s, x) in scores.iter_mut().zip(column(j)) {
                    *s += w * x;
                }
            }
        }
        let y = &self.y[start..end];
        // From here on `z` holds each score's derivative of the loss.
        let loss = if self.outputs == 1 {
            binomial(&mut z, y)
        } else {
            multinomial(&mut z, y, self.outputs)
        };
        let mut gradient = vec![0.0; self.n_params()];
        for (o, residuals) in z.chunks_exact(m).enumerate() {
            for j in 0..self.features {
                gradient[o * stride + j] = dot(residuals, column(j));
            }
            gradient[o * stride + self.features] = residuals.iter().sum();
        }
        (loss, gradient)
    }
}

/// Σ log(1 + eᶻ) − y·z over the rows, replacing each score by σ(z) − y.
fn binomial(z: &mut [f64], y: &[usize]) -> f64 {
    let mut loss = 0.0;
    for (z, &class) in z.iter_mut().zip(y) {
        let target = if class == 1 { 1.0 } else { 0.0 };
        let softplus = if *z > 0.0 {
            *z + (-*z).exp().ln_1p()
        } else {
            z.exp().ln_1p()
        };
        loss += softplus - target * *z;
        *z = super::super::sigmoid(*z) - target;
    }
    loss
}

/// Σ logΣₖ e^zₖ − z_y over the rows (scores stored output by output, `m`
/// rows each), replacing each score by softmaxₖ − [k = y].
fn multinomial(z: &mut [f64], y: &[usize], outputs: usize) -> f64 {
    let m = y.len();
    let mut loss = 0.0;
    for (i, &class) in y.iter().enumerate() {
        let max = (0..outputs)
            .map(|o| z[o * m + i])
            .fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = (0..outputs).map(|o| (z[o * m + i] - max).exp()).sum();
        let log_sum = max + sum.ln();
        loss += log_sum - z[class * m + i];
        for o in 0..outputs {
            let p = (z[o * m + i] - log_sum).exp();
            z[o * m + i] = if o == class { p - 1.0 } else { p };
        }
    }
    loss
}

/// `a · b` with four running sums (one long chain of additions would wait
/// on each one), combined in a fixed order.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut sums = [0.0; 4];
    let chunks = a.chunks_exact(4).zip(b.chunks_exact(4));
    for (x, y) in chunks {
        for lane in 0..4 {
            sums[lane] += x[lane] * y[lane];
        }
    }
    let tail = a.len() - a.len() % 4;
    let rest: f64 = a[tail..].iter().zip(&b[tail..]).map(|(x, y)| x * y).sum();
    (sums[0] + sums[1]) + (sums[2] + sums[3]) + rest
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same bits on one thread as on three (three blocks of rows).
    #[test]
    fn the_result_does_not_depend_on_the_thread_count() {
        let rows = 2 * BLOCK_ROWS + 17;
        let x: Vec<f64> = (0..rows * 2)
            .map(|i| ((i * 37) % 101) as f64 / 7.0)
            .collect();
        let y: Vec<usize> = (0..rows).map(|i| i * 13 % 3).collect();
        let loss = Loss::new(&x, &y, 3, 1.0);
        let theta: Vec<f64> = (0..loss.n_params()).map(|i| 0.01 * i as f64).collect();
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let (cost, gradient) = pool.install(|| loss.evaluate(&theta));
            (
                cost.to_bits(),
                gradient.iter().map(|g| g.to_bits()).collect::<Vec<_>>(),
            )
        };
        assert_eq!(on(1), on(3));
    }

    /// The fused gradient against central differences of the objective.
    #[test]
    fn gradient_matches_finite_differences() {
        let rows = 9_001;
        let features = 3;
        let x: Vec<f64> = (0..rows * features)
            .map(|i| ((i * 7919) % 1000) as f64 / 250.0 - 2.0)
            .collect();
        for n_classes in [2, 3] {
            let y: Vec<usize> = (0..rows).map(|i| (i * 31 % 97) % n_classes).collect();
            let loss = Loss::new(&x, &y, n_classes, 0.7);
            let theta: Vec<f64> = (0..loss.n_params()).map(|i| 0.3 - 0.1 * i as f64).collect();
            let (_, gradient) = loss.evaluate(&theta);
            for i in 0..theta.len() {
                let h = 1e-6;
                let mut up = theta.clone();
                up[i] += h;
                let mut down = theta.clone();
                down[i] -= h;
                let numeric = (loss.evaluate(&up).0 - loss.evaluate(&down).0) / (2.0 * h);
                assert!(
                    (numeric - gradient[i]).abs() < 1e-6,
                    "{n_classes} classes, parameter {i}: {numeric} vs {}",
                    gradient[i]
                );
            }
        }
    }
}
