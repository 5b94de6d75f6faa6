//! kmeans: linfa-clustering's k-means++ (10 starts, the best kept).

use linfa::traits::Fit;
use linfa::DatasetBase;
use linfa_clustering::KMeans;
use linfa_nn::distance::L2Dist;
use ndarray::ArrayView2;
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;

use super::hyper::HyperReader;
use super::{training_error, Algorithm, Fitted, ModelError, Target};

pub(super) fn fit(
    reader: &HyperReader,
    x: ArrayView2<f64>,
    target: Target<'_>,
    split_seed: u64,
) -> Result<Fitted, ModelError> {
    if !matches!(target, Target::None) {
        return Err(ModelError::Data(
            "kmeans is a clusterer: it takes no target".to_string(),
        ));
    }
    let k = reader.count("k")?;
    if k > x.nrows() {
        return Err(reader.invalid(
            "k",
            format!("is {k}, more than the {} training rows", x.nrows()),
        ));
    }
    let max_iterations = reader.count("max_iterations")? as u64;
    let seed = reader.seed("seed", split_seed)?;
    let rng = Xoshiro256Plus::seed_from_u64(seed);
    let data = DatasetBase::from(x);
    let model = KMeans::params_with(k, rng, L2Dist)
        .max_n_iterations(max_iterations)
        .fit(&data)
        .map_err(|e| training_error(Algorithm::KMeans)(&e))?;
    Ok(Fitted::KMeans(model))
}
