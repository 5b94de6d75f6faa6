//! Hyper-parameter search (`hyper { max_depth = 2..8 }` with `search { }`):
//! every candidate combination of the grid, or `trials` of them drawn
//! with the seed, cross-validated on the model's training table by the
//! same folds as `cv { }` (each fold's transforms fitted once, on its
//! training rows), ranked by the mean of one metric; the model is then
//! trained on the whole table with the best one. The trials run in parallel.

use super::cv::{deal, dealt, in_parallel};
use super::{fail, RunError, Runner};
use crate::check::types::Value;
use crate::check::{Block, ModelInfo, SearchInfo};
use crate::exec::report::{SearchRecord, Trial};
use crate::exec::stages::Stage;
use crate::exec::{learn, metrics, split};
use std::collections::BTreeMap;

/// The candidates of `search`: the grid of its lists and ranges (names in
/// order, the last varying fastest, as scikit-learn's `ParameterGrid`), or
/// `trials` of them drawn without replacement, kept in grid order.
pub fn candidates(search: &SearchInfo) -> Vec<BTreeMap<String, Value>> {
    let mut grid: Vec<BTreeMap<String, Value>> = vec![BTreeMap::new()];
    for (name, values) in &search.space {
        grid = grid
            .into_iter()
            .flat_map(|partial| {
                values.iter().map(move |v| {
                    let mut next = partial.clone();
                    next.insert(name.clone(), v.clone());
                    next
                })
            })
            .collect();
    }
    match search.trials {
        Some(trials) if trials < grid.len() => {
            split::sample_indices(grid.len(), trials, search.cv.seed as u64)
                .into_iter()
                .map(|i| grid[i].clone())
                .collect()
        }
        _ => grid,
    }
}

impl Runner<'_> {
    /// The model `block` with the best candidate of its search, and what
    /// the search found.
    pub(super) fn search(
        &self,
        stage: &Stage,
        block: &Block,
        model: &ModelInfo,
        search: &SearchInfo,
    ) -> Result<(ModelInfo, SearchRecord), RunError> {
        let cv = &search.cv;
        let data = model
            .data
            .as_ref()
            .ok_or_else(|| fail(stage, "the model names no `data`"))?;
        let rows = self.table(stage, &cv.rows_of)?;
        let fold_of_row = deal(stage, &rows, cv)?;
        let frames = in_parallel(cv.folds, |fold| {
            self.fold_frames(stage, cv, &rows, &fold_of_row, fold as u32)
        })?;
        let candidates = candidates(search);
        let with = |candidate: &BTreeMap<String, Value>| {
            let mut trial = model.clone();
            trial.hyper.extend(candidate.clone());
            trial.search = None;
            trial
        };
        let wanted = [search.metric.clone()];
        let k = cv.folds;
        let scores = in_parallel(candidates.len() * k, |i| {
            let (candidate, fold) = (i / k, i % k);
            let trial = with(&candidates[candidate]);
            let (scores, undefined, _) =
                self.fold_scores(stage, block, &trial, data, &frames[fold], &wanted, fold)?;
            // A candidate cannot be ranked on a fold where the metric does
            // not exist: the search stops with the reason.
            scores.get(&search.metric).copied().ok_or_else(|| {
                let why = undefined
                    .get(&search.metric)
                    .map_or("it was not computed", String::as_str);
                fail(stage, format!("`{}` on fold {fold}: {why}", search.metric))
            })
        })?;
        let mut trials = Vec::with_capacity(candidates.len());
        for (candidate, folds) in candidates.iter().zip(scores.chunks(k)) {
            let (mean, std) = metrics::mean_std(folds)
                .map_err(|e| fail(stage, format!("`{}`: {e}", search.metric)))?;
            let hyper = learn::hyper(&with(candidate)).map_err(|e| fail(stage, e))?;
            trials.push(Trial {
                hyper: hyper
                    .0
                    .into_iter()
                    .filter(|(name, _)| candidate.contains_key(name))
                    .collect(),
                mean,
                std,
                folds: folds.to_vec(),
            });
        }
        // The first of the best, as scikit-learn's `best_index_`.
        let better = |a: f64, b: f64| {
            if search.higher_is_better {
                a > b
            } else {
                a < b
            }
        };
        let mut best = 0;
        for (i, trial) in trials.iter().enumerate() {
            if better(trial.mean, trials[best].mean) {
                best = i;
            }
        }
        let chosen = with(&candidates[best]);
        Ok((
            chosen,
            SearchRecord {
                metric: search.metric.clone(),
                higher_is_better: search.higher_is_better,
                dealt: dealt(cv, fold_of_row),
                best,
                trials,
            },
        ))
    }
}
