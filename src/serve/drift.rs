//! Feature drift over a sliding window of served rows, against the
//! training distribution saved in the model (`artifacts::FeatureBins`):
//! the population stability index and the Kolmogorov–Smirnov distance of
//! the binned distributions.

use crate::exec::artifacts::FeatureBins;
use ndarray::ArrayView2;
use std::collections::VecDeque;

/// A share below this counts as this much, so an empty bin does not make
/// the index infinite (the usual convention for PSI).
const FLOOR: f64 = 1e-4;

pub struct Drift {
    bins: Vec<FeatureBins>,
    /// The bin of each feature for each row in the window, oldest first.
    window: VecDeque<Vec<u16>>,
    /// Per feature, the window's row count per bin.
    counts: Vec<Vec<usize>>,
    capacity: usize,
}

/// One feature's drift now.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureDrift {
    pub feature: String,
    pub psi: f64,
    pub ks: f64,
}

impl Drift {
    pub fn new(bins: Vec<FeatureBins>, capacity: usize) -> Drift {
        let counts = bins.iter().map(|b| vec![0; b.shares.len()]).collect();
        Drift {
            bins,
            window: VecDeque::with_capacity(capacity),
            counts,
            capacity: capacity.max(1),
        }
    }

    /// Adds scored rows (rows × features, in the bins' feature order).
    pub fn observe(&mut self, features: ArrayView2<f64>) {
        if features.ncols() != self.bins.len() {
            return;
        }
        for row in features.rows() {
            if self.window.len() == self.capacity {
                if let Some(old) = self.window.pop_front() {
                    for (j, &bin) in old.iter().enumerate() {
                        self.counts[j][bin as usize] -= 1;
                    }
                }
            }
            let binned: Vec<u16> = self
                .bins
                .iter()
                .zip(row.iter())
                .map(|(b, &v)| b.bin(v).min(b.shares.len().saturating_sub(1)) as u16)
                .collect();
            for (j, &bin) in binned.iter().enumerate() {
                self.counts[j][bin as usize] += 1;
            }
            self.window.push_back(binned);
        }
    }

    pub fn rows(&self) -> usize {
        self.window.len()
    }

    pub fn current(&self) -> Vec<FeatureDrift> {
        let n = self.window.len().max(1) as f64;
        self.bins
            .iter()
            .zip(&self.counts)
            .map(|(bins, counts)| {
                let mut psi = 0.0;
                let (mut served_cdf, mut trained_cdf, mut ks) = (0.0f64, 0.0f64, 0.0f64);
                for (&expected, &count) in bins.shares.iter().zip(counts) {
                    let actual = count as f64 / n;
                    served_cdf += actual;
                    trained_cdf += expected;
                    ks = ks.max((served_cdf - trained_cdf).abs());
                    let (a, e) = (actual.max(FLOOR), expected.max(FLOOR));
                    psi += (a - e) * (a / e).ln();
                }
                FeatureDrift {
                    feature: bins.feature.clone(),
                    psi,
                    ks,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn bins() -> FeatureBins {
        FeatureBins {
            feature: "x".into(),
            edges: vec![1.0, 2.0],
            shares: vec![0.5, 0.25, 0.25],
        }
    }

    #[test]
    fn the_training_distribution_has_no_drift_and_a_shifted_one_has() {
        let mut drift = Drift::new(vec![bins()], 4);
        drift.observe(array![[0.0], [0.5], [1.5], [3.0]].view());
        let now = &drift.current()[0];
        assert!(now.psi.abs() < 1e-12 && now.ks.abs() < 1e-12, "{now:?}");
        drift.observe(array![[5.0], [5.0], [5.0], [5.0]].view());
        let now = &drift.current()[0];
        assert_eq!(drift.rows(), 4, "the window keeps the newest rows only");
        assert!(now.psi > 2.0 && (now.ks - 0.75).abs() < 1e-12, "{now:?}");
    }
}
