//! Cross-validation (`evaluate m on t { cv { ... } }`): the rows the
//! model's training table is made from are dealt into folds; per fold, the
//! transforms after them are fitted again on the other folds' rows, the
//! model is trained on those and scored on the fold, as scikit-learn's
//! `cross_val_score` does with a `Pipeline`. The folds run in parallel.

use super::{fail, Output, RunError, Runner};
use crate::check::{Block, BlockInfo, CvInfo, EvaluateInfo, ModelInfo, TableRef};
use crate::exec::artifacts::{self, Evaluation, InputSchema};
use crate::exec::report::{CvMetric, CvReport, Dealt};
use crate::exec::stages::Stage;
use crate::exec::{learn, metrics, split};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// What one fold gives: its metrics and the rows they were computed on.
/// A fold's metrics, the metrics its rows do not define (with the reason),
/// and its number of rows.
pub(super) type FoldResult = (BTreeMap<String, f64>, BTreeMap<String, String>, usize);

fn shown(table: &TableRef) -> String {
    match &table.part {
        Some(part) => format!("{}.{part}", table.block),
        None => table.block.clone(),
    }
}

/// What a report says of the folds of `cv`.
pub(super) fn dealt(cv: &CvInfo, fold_of_row: Vec<u32>) -> Dealt {
    Dealt {
        folds: cv.folds,
        seed: cv.seed,
        stratify: cv.stratify.clone(),
        rows_of: shown(&cv.rows_of),
        refit: cv.refit.clone(),
        fold_of_row,
    }
}

/// The fold of each row of `rows` (the rows of `cv.rows_of`): a seeded
/// split into `cv.folds` equal parts, by the split's own dealing.
pub(super) fn deal(stage: &Stage, rows: &DataFrame, cv: &CvInfo) -> Result<Vec<u32>, RunError> {
    if rows.height() < cv.folds {
        return Err(fail(
            stage,
            format!(
                "`{}` has {} row(s): too few for {} folds",
                shown(&cv.rows_of),
                rows.height(),
                cv.folds
            ),
        ));
    }
    let share = 1.0 / cv.folds as f64;
    let parts: Vec<(String, f64)> = (0..cv.folds).map(|f| (f.to_string(), share)).collect();
    let dealt = split::split_rows(rows, &parts, cv.seed as u64, cv.stratify.as_deref(), None)
        .map_err(|e| fail(stage, e.to_string()))?;
    let mut fold_of_row = vec![0u32; rows.height()];
    for (fold, (_, members)) in dealt.iter().enumerate() {
        for &row in members {
            fold_of_row[row as usize] = fold as u32;
        }
    }
    Ok(fold_of_row)
}

/// `work(0)`, …, `work(count - 1)` on as many threads as there are cores
/// (at most `count`), results in order. Plain threads for the reason the
/// scheduler gives: polars runs on its own rayon pool. After a failure no
/// new item starts; the first failure in order is returned.
pub(super) fn in_parallel<T: Send>(
    count: usize,
    work: impl Fn(usize) -> Result<T, RunError> + Sync,
) -> Result<Vec<T>, RunError> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(count)
        .max(1);
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Result<T, RunError>>>> =
        Mutex::new((0..count).map(|_| None).collect());
    let spawn_error = std::thread::scope(|scope| {
        for _ in 0..workers {
            // A transform's steps recurse per term: a fold gets the stack a stage has.
            let worker = std::thread::Builder::new().stack_size(crate::STACK_SIZE);
            let spawned = worker.spawn_scoped(scope, || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count || failed.load(Ordering::Relaxed) {
                    return;
                }
                let result = work(i);
                if result.is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result);
            });
            if let Err(error) = spawned {
                failed.store(true, Ordering::Relaxed);
                return Some(error);
            }
        }
        None
    });
    if let Some(error) = spawn_error {
        return Err(RunError {
            stage: None,
            message: format!("cannot start a worker thread: {error}"),
        });
    }
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut out = Vec::with_capacity(count);
    let mut skipped = false;
    for result in results {
        match result {
            Some(Ok(value)) => out.push(value),
            Some(Err(error)) => return Err(error),
            None => skipped = true,
        }
    }
    if skipped {
        return Err(RunError {
            stage: None,
            message: "a fold was not run".into(),
        });
    }
    Ok(out)
}

impl Runner<'_> {
    /// The cross-validation of an `evaluate` with `cv { }`.
    pub(super) fn cross_validate(
        &self,
        stage: &Stage,
        info: &EvaluateInfo,
    ) -> Result<Evaluation, RunError> {
        let cv = info
            .cv
            .as_ref()
            .ok_or_else(|| fail(stage, "not a cross-validation"))?;
        let data = info.data.as_ref().ok_or_else(|| fail(stage, "no data"))?;
        let block = info
            .model
            .as_deref()
            .and_then(|name| self.program().by_name(name))
            .ok_or_else(|| fail(stage, "no model"))?;
        let BlockInfo::Model(model) = &block.info else {
            return Err(fail(stage, "the evaluated block is not a model"));
        };
        let rows = self.table(stage, &cv.rows_of)?;
        let fold_of_row = deal(stage, &rows, cv)?;
        let folds = in_parallel(cv.folds, |fold| {
            let frames = self.fold_frames(stage, cv, &rows, &fold_of_row, fold as u32)?;
            self.fold_scores(stage, block, model, data, &frames, &info.metrics, fold)
        })?;
        let mut values: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        // A metric one fold does not define has no mean: it is undefined,
        // with that fold's reason, rather than averaged over fewer folds.
        let mut undefined = BTreeMap::new();
        for (fold, (_, not_defined, _)) in folds.iter().enumerate() {
            for (metric, why) in not_defined {
                undefined
                    .entry(format!("cv.{metric}.mean"))
                    .or_insert_with(|| format!("fold {fold}: {why}"));
            }
        }
        for (scores, _, _) in &folds {
            for (metric, value) in scores {
                if !undefined.contains_key(&format!("cv.{metric}.mean")) {
                    values.entry(metric.clone()).or_default().push(*value);
                }
            }
        }
        let mut flat = BTreeMap::new();
        let mut summary = BTreeMap::new();
        for (metric, folds) in values {
            let (mean, std) =
                metrics::mean_std(&folds).map_err(|e| fail(stage, format!("`{metric}`: {e}")))?;
            flat.insert(format!("cv.{metric}.mean"), mean);
            flat.insert(format!("cv.{metric}.std"), std);
            summary.insert(metric, CvMetric { mean, std, folds });
        }
        let fold_rows: Vec<usize> = folds.iter().map(|(_, _, rows)| *rows).collect();
        Ok(Evaluation {
            name: block.name.clone(),
            algorithm: model.algorithm.clone(),
            kind: model.model_kind.map_or("model", |k| k.as_str()).to_string(),
            evaluated_on: shown(data),
            rows: fold_rows.iter().sum(),
            metrics: flat,
            undefined,
            cv: Some(CvReport {
                dealt: dealt(cv, fold_of_row),
                fold_rows,
                metrics: summary,
            }),
            ..Default::default()
        })
    }

    /// Fold `fold`: its training rows (the other folds') and its own,
    /// through the transforms `cv.refit` fitted on the training rows.
    pub(super) fn fold_frames(
        &self,
        stage: &Stage,
        cv: &CvInfo,
        rows: &DataFrame,
        fold_of_row: &[u32],
        fold: u32,
    ) -> Result<(DataFrame, DataFrame), RunError> {
        let (held, trained): (Vec<IdxSize>, Vec<IdxSize>) =
            (0..rows.height() as IdxSize).partition(|&r| fold_of_row[r as usize] == fold);
        let take = |members: &[IdxSize]| {
            let mut frame =
                split::take_rows(rows, members).map_err(|e| fail(stage, e.to_string()))?;
            artifacts::canonical_chunks(&mut frame);
            Ok::<_, RunError>(frame)
        };
        let mut output = Output::Parts(BTreeMap::from([
            ("train".to_string(), take(&trained)?),
            ("test".to_string(), take(&held)?),
        ]));
        for name in &cv.refit {
            let transform = self
                .program()
                .by_name(name)
                .ok_or_else(|| fail(stage, format!("no transform `{name}`")))?;
            let BlockInfo::Transform(t) = &transform.info else {
                return Err(fail(stage, format!("`{name}` is not a transform")));
            };
            output = self.transform_steps(stage, transform, t, output, None)?.0;
        }
        let lost = || fail(stage, "a fold's transforms lost its parts");
        let Output::Parts(mut parts) = output else {
            return Err(lost());
        };
        let (Some(mut train), Some(mut test)) = (parts.remove("train"), parts.remove("test"))
        else {
            return Err(lost());
        };
        artifacts::canonical_chunks(&mut train);
        artifacts::canonical_chunks(&mut test);
        Ok((train, test))
    }

    /// The metrics `wanted` of the model `block` (as `model` describes it)
    /// trained on `train` and scored on `test`, the rows of fold `fold`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn fold_scores(
        &self,
        stage: &Stage,
        block: &Block,
        model: &ModelInfo,
        data: &TableRef,
        (train, test): &(DataFrame, DataFrame),
        wanted: &[String],
        fold: usize,
    ) -> Result<FoldResult, RunError> {
        // A fold's model is scored, never served: it replays nothing.
        let replay = learn::Replay {
            transforms: Vec::new(),
            input: InputSchema {
                source: String::new(),
                schema: Default::default(),
                null_values: Vec::new(),
            },
            params: BTreeMap::new(),
            source_files: BTreeMap::new(),
        };
        let at = |e: String| fail(stage, format!("fold {fold}: {e}"));
        let split_seed = self.program().split_seed_upstream(data);
        let artifact = learn::train(block, model, train, replay, split_seed).map_err(at)?;
        let scored = learn::evaluate(&artifact, test, data, wanted, None).map_err(at)?;
        Ok((scored.metrics, scored.undefined, test.height()))
    }
}
