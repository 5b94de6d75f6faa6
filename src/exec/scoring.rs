//! Scoring new rows with a saved model: the one path that `mlp predict`
//! (batches) and `mlp serve` (requests) take from raw rows to predictions.
//!
//! A model artifact keeps every step of the transforms between its source
//! and its training table, with the checker's schemas and the fitted state
//! (`artifacts::StepRecord`). Scoring replays those steps through
//! [`ops::apply`] and predicts with [`TrainedModel::predict`], the functions
//! `mlp run` itself used, so a served prediction cannot drift from the
//! trained one by a second copy of a formula.
//!
//! Rows are scored as they would have been trained on, with three
//! differences a request needs: a row a `filter` removes is rejected with
//! the filter's condition rather than silently dropped; `dedupe` and
//! `sample`, which curate training rows, pass every row; a row whose
//! features end up missing or not finite is rejected on its own instead of
//! failing the batch.
//!
//! A request of a few rows takes the row path ([`ops::rows`]): the same
//! steps compiled once per model into a plan over plain values, because
//! polars' planning costs a millisecond per request. Where that plan cannot
//! promise polars' exact answer (a step or a value it does not compute),
//! the rows go through polars; `tests/scoring.rs` holds the two paths equal
//! bit for bit.

use super::artifacts::{ModelArtifact, StepRecord};
use super::cache::hash_bytes;
use super::learn::features;
use super::models::{ModelKind, Prediction, TrainedModel};
use super::ops::rows::{Cell, RowStep, Unsupported};
use super::ops::{self, FitState, StepCtx};
use crate::check::types::{Column, ColumnType, Schema};
use ndarray::Array2;
use polars::prelude::*;
use std::collections::BTreeSet;

/// The column that carries each input row's index through the steps.
const ROW: &str = "__mlp_row";

/// Up to this many rows, a request takes the row path. The server runs it
/// on its async worker, outside the request timeout, so its work is
/// bounded: 100 rows took 0.47 ms a request (docs/performance.md), so 256
/// stay near a millisecond; larger requests go to polars on the blocking
/// pool, within the timeout.
pub const ROW_PATH_ROWS: usize = 256;

/// The model's steps from its source compiled for the row path, and where
/// its features are in the last step's row.
struct RowPlan {
    steps: Vec<RowStep>,
    features: Vec<usize>,
}

/// Where scoring may start: at the model's source with raw rows, or at a
/// later table of the chain (a split's part, the training table) with rows
/// of that table's schema.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The source's or the transform's name; `model` for the training table.
    pub at: String,
    first_step: usize,
    pub schema: Schema,
}

struct Step {
    transform: String,
    record: StepRecord,
}

/// A loaded model, ready to score.
pub struct Scorer {
    pub artifact: ModelArtifact,
    /// blake3 of the artifact's bytes: the hash `mlp build` puts in manifests.
    pub hash: String,
    model: TrainedModel,
    steps: Vec<Step>,
    entries: Vec<Entry>,
    /// `None` when a step of the chain has no row form.
    rows: Option<RowPlan>,
}

/// What one batch gave: predictions for the rows in `kept` (input row
/// indices, ascending), and the reason for every other row.
#[derive(Debug)]
pub struct Scored {
    pub kept: Vec<usize>,
    pub prediction: Prediction,
    /// One column per class, for classifiers that have probabilities.
    pub probabilities: Option<Array2<f64>>,
    pub rejected: Vec<(usize, String)>,
    /// The kept rows' features (rows × the model's features), for drift.
    pub features: Array2<f64>,
}

impl Scored {
    /// The prediction of the `i`-th kept row as JSON: a class name, a
    /// number or a cluster id.
    pub fn value(&self, i: usize, classes: &[String]) -> serde_json::Value {
        match &self.prediction {
            Prediction::Classes(c) => classes
                .get(c[i])
                .map(|name| serde_json::Value::from(name.as_str()))
                .unwrap_or(serde_json::Value::Null),
            Prediction::Values(v) => serde_json::Number::from_f64(v[i])
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Prediction::Clusters(c) => serde_json::Value::from(c[i]),
        }
    }
}

fn polars_error(e: PolarsError) -> String {
    format!("scoring failed: {e}")
}

impl Scorer {
    /// Loads `models/<name>.json` as written by `mlp run`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Scorer, String> {
        let artifact: ModelArtifact = serde_json::from_slice(bytes).map_err(|e| {
            format!("not a model file of this mlp version ({e}); re-run the pipeline to write one")
        })?;
        let model = TrainedModel::from_json(&artifact.model.to_string())
            .map_err(|e| format!("the fitted model cannot be read: {e}"))?;
        let mut steps = Vec::new();
        for transform in &artifact.transforms {
            for record in &transform.steps {
                if record.op == "join" {
                    return Err(format!(
                        "transform `{}` joins another table: a saved model cannot replay a join, so it cannot score raw rows",
                        transform.name
                    ));
                }
                steps.push(Step {
                    transform: transform.name.clone(),
                    record: record.clone(),
                });
            }
        }
        let mut entries = vec![Entry {
            at: artifact.input.source.clone(),
            first_step: 0,
            schema: artifact.input.schema.clone(),
        }];
        let mut first = 0;
        for transform in &artifact.transforms {
            if first > 0 {
                if let Some(step) = transform.steps.first() {
                    entries.push(Entry {
                        at: transform.name.clone(),
                        first_step: first,
                        schema: step.input.clone(),
                    });
                }
            }
            first += transform.steps.len();
        }
        if let Some(last) = steps.last() {
            entries.push(Entry {
                at: "model".into(),
                first_step: steps.len(),
                schema: last.record.output.clone(),
            });
        }
        let rows = row_plan(&artifact, &steps);
        Ok(Scorer {
            hash: hash_bytes(bytes),
            artifact,
            model,
            steps,
            entries,
            rows,
        })
    }

    /// The polars path on rows of the source's schema.
    pub fn score_by_frame(&self, rows: &[Vec<Cell>]) -> Result<Scored, String> {
        let entry = self.input();
        self.score(&frame_of(&entry.schema, rows)?, entry)
    }

    /// The row path alone: `None` where it cannot give polars' answer.
    pub fn score_by_rows(&self, rows: &[Vec<Cell>]) -> Option<Result<Scored, String>> {
        let plan = self.rows.as_ref()?;
        let width = self.input().schema.columns.len();
        let mut seen = vec![false; rows.len()];
        let mut reasons: Vec<Option<String>> = vec![None; rows.len()];
        let mut kept = Vec::new();
        let mut values = Vec::new();
        for (i, input) in rows.iter().enumerate() {
            if input.len() != width {
                return None;
            }
            let row = match plan.run(input.clone()) {
                Ok(Some(row)) => row,
                Ok(None) => continue,
                Err(Unsupported) => return None,
            };
            seen[i] = true;
            let start = values.len();
            for (feature, &at) in self.artifact.features.iter().zip(&plan.features) {
                match row[at].as_f64() {
                    Ok(Some(v)) if v.is_finite() => values.push(v),
                    Ok(v) => {
                        reasons[i] = Some(unusable(feature, v));
                        values.truncate(start);
                        break;
                    }
                    Err(Unsupported) => return None,
                }
            }
            if reasons[i].is_none() {
                kept.push(i);
            }
        }
        let x = Array2::from_shape_vec((kept.len(), plan.features.len()), values);
        Some(
            x.map_err(|e| format!("scoring failed: {e}"))
                .and_then(|x| self.finish(0, &seen, reasons, kept, x)),
        )
    }

    pub fn classes(&self) -> &[String] {
        self.model.classes()
    }

    /// The raw rows' schema: the model's source.
    pub fn input(&self) -> &Entry {
        &self.entries[0]
    }

    /// Whether a request may leave `column` out: it is the target, or nullable.
    pub fn optional(&self, column: &Column) -> bool {
        column.nullable || self.artifact.target.as_deref() == Some(&*column.name)
    }

    /// Where `at` starts scoring: the source when `None`, else the
    /// transform of that name (or `model`, the training table). Nothing is
    /// guessed from column names: a step such as `standardize` keeps them.
    pub fn entry(&self, at: Option<&str>) -> Result<&Entry, String> {
        let Some(at) = at else {
            return Ok(self.input());
        };
        self.entries.iter().find(|e| e.at == at).ok_or_else(|| {
            let names: Vec<String> = self.entries.iter().map(|e| format!("`{}`", e.at)).collect();
            format!(
                "the model's rows can start at {}, not at `{}`",
                names.join(", "),
                super::data::excerpt(at)
            )
        })
    }

    /// The entry's columns that rows must have and `names` lacks.
    pub fn missing<'e>(&self, entry: &'e Entry, names: &BTreeSet<&str>) -> Vec<&'e str> {
        entry
            .schema
            .columns
            .iter()
            .filter(|c| !self.optional(c) && !names.contains(&*c.name))
            .map(|c| &*c.name)
            .collect()
    }

    /// Scores `frame`, whose columns have the entry's polars types (a
    /// missing optional column is read as nulls; other columns are ignored).
    pub fn score(&self, frame: &DataFrame, entry: &Entry) -> Result<Scored, String> {
        let rows = frame.height();
        let mut selected: Vec<polars::prelude::Column> =
            Vec::with_capacity(entry.schema.columns.len() + 1);
        selected
            .push(Series::new(ROW.into(), (0..rows as i64).collect::<Vec<i64>>()).into_column());
        for c in &entry.schema.columns {
            let dtype = ops::dtype(&c.ty);
            let column = match frame.column(&c.name) {
                Ok(column) => column
                    .cast(&dtype)
                    .map_err(|e| format!("column `{}`: {e}", c.name))?,
                Err(_) if self.optional(c) => {
                    polars::prelude::Column::full_null(c.name.as_ref().into(), rows, &dtype)
                }
                Err(_) => return Err(format!("the column `{}` is missing", c.name)),
            };
            selected.push(column);
        }
        let mut lazy = DataFrame::new(rows, selected).map_err(polars_error)?.lazy();
        let carry = [ROW.to_string()];
        for step in &self.steps[entry.first_step..] {
            let record = &step.record;
            if matches!(record.op.as_str(), "dedupe" | "sample") {
                continue;
            }
            let ctx = StepCtx {
                op: &record.call,
                input: &record.input,
                output: &record.output,
                params: &self.artifact.params,
                carry: &carry,
            };
            let state = record.state.clone().unwrap_or(FitState::Unfitted);
            lazy = ops::apply(&ctx, &state, lazy, &|_| None)
                .map_err(|e| format!("transform `{}`: {e}", step.transform))?;
        }
        let out = lazy.collect().map_err(polars_error)?;
        let index = out.column(ROW).map_err(polars_error)?;
        let index: Vec<usize> = index
            .i64()
            .map_err(polars_error)?
            .into_no_null_iter()
            .map(|i| i as usize)
            .collect();
        let mut usable = vec![true; out.height()];
        let mut reasons: Vec<Option<String>> = vec![None; rows];
        for feature in &self.artifact.features {
            let values = out
                .column(feature)
                .and_then(|c| c.cast(&DataType::Float64))
                .map_err(|e| format!("the feature `{feature}`: {e}"))?;
            for (i, v) in values.f64().map_err(polars_error)?.iter().enumerate() {
                if usable[i] && !v.is_some_and(f64::is_finite) {
                    usable[i] = false;
                    reasons[index[i]] = Some(unusable(feature, v));
                }
            }
        }
        let mask = BooleanChunked::from_slice("usable".into(), &usable);
        let out = out.filter(&mask).map_err(polars_error)?;
        let kept: Vec<usize> = index
            .iter()
            .zip(&usable)
            .filter(|(_, u)| **u)
            .map(|(i, _)| *i)
            .collect();
        let mut seen = vec![false; rows];
        for &i in &index {
            seen[i] = true;
        }
        let x = features(&out, &self.artifact.features, false)?;
        self.finish(entry.first_step, &seen, reasons, kept, x)
    }

    /// The predictions of the usable rows `kept` (features `x`, a row each),
    /// and the reason for every other row: a filter removed it (`!seen`), or
    /// `reasons` says why its features are unusable.
    fn finish(
        &self,
        first_step: usize,
        seen: &[bool],
        mut reasons: Vec<Option<String>>,
        kept: Vec<usize>,
        x: Array2<f64>,
    ) -> Result<Scored, String> {
        let filters: Vec<String> = self.steps[first_step..]
            .iter()
            .filter(|s| s.record.op == "filter")
            .map(|s| {
                format!(
                    "rejected by `filter{}` in transform `{}`",
                    s.record.args, s.transform
                )
            })
            .collect();
        let filtered = if filters.is_empty() {
            "rejected by the transforms".to_string()
        } else {
            filters.join("; or ")
        };
        let rejected = (0..seen.len())
            .filter_map(|i| match (seen[i], reasons[i].take()) {
                (false, _) => Some((i, filtered.clone())),
                (true, Some(reason)) => Some((i, reason)),
                (true, None) => None,
            })
            .collect();
        let (prediction, probabilities) = if x.nrows() == 0 {
            let empty = match self.model.algorithm().kind() {
                ModelKind::Classifier => Prediction::Classes(Vec::new()),
                ModelKind::Regressor => Prediction::Values(Vec::new()),
                ModelKind::Clusterer => Prediction::Clusters(Vec::new()),
            };
            (empty, None)
        } else {
            let prediction = self.model.predict(x.view()).map_err(|e| e.to_string())?;
            let probabilities = self
                .model
                .predict_proba(x.view())
                .map_err(|e| e.to_string())?;
            (prediction, probabilities)
        };
        Ok(Scored {
            kept,
            prediction,
            probabilities,
            rejected,
            features: x,
        })
    }
}

impl RowPlan {
    /// The row after every step, or `None` when a filter removes it.
    fn run(&self, mut row: Vec<Cell>) -> Result<Option<Vec<Cell>>, Unsupported> {
        for step in &self.steps {
            match step.run(row)? {
                Some(next) => row = next,
                None => return Ok(None),
            }
        }
        Ok(Some(row))
    }
}

/// The row plan of the steps from the model's source, if each has one.
fn row_plan(artifact: &ModelArtifact, steps: &[Step]) -> Option<RowPlan> {
    let mut names: Vec<String> = artifact.input.schema.names().map(String::from).collect();
    let mut compiled = Vec::with_capacity(steps.len());
    for step in steps {
        let record = &step.record;
        let ctx = StepCtx {
            op: &record.call,
            input: &record.input,
            output: &record.output,
            params: &artifact.params,
            carry: &[],
        };
        if !record.input.names().eq(names.iter().map(String::as_str)) {
            return None;
        }
        let state = record.state.clone().unwrap_or(FitState::Unfitted);
        compiled.push(RowStep::compile(&ctx, &state, &mut names)?);
    }
    let features = artifact
        .features
        .iter()
        .map(|f| names.iter().position(|n| n == f))
        .collect::<Option<_>>()?;
    Some(RowPlan {
        steps: compiled,
        features,
    })
}

/// Why a row's feature cannot be scored: `value` is its value after the
/// transforms, null or not finite.
fn unusable(feature: &str, value: Option<f64>) -> String {
    format!(
        "the feature `{feature}` is {} after the transforms",
        if value.is_none() {
            "missing"
        } else {
            "not finite"
        }
    )
}

/// Rows of cells as a table of the schema's polars types.
fn frame_of(schema: &Schema, rows: &[Vec<Cell>]) -> Result<DataFrame, String> {
    let mut columns = Vec::with_capacity(schema.columns.len());
    for (j, c) in schema.columns.iter().enumerate() {
        let name: PlSmallStr = (&*c.name).into();
        let series = match &c.ty {
            ColumnType::Int | ColumnType::Datetime => {
                let ints = column_values(rows, j, c, |cell| match cell {
                    Cell::Int(i) | Cell::Datetime(i) => Some(*i),
                    _ => None,
                })?;
                let series = Series::new(name, ints);
                if c.ty == ColumnType::Datetime {
                    series
                        .cast(&ops::dtype(&c.ty))
                        .map_err(|e| format!("column `{}`: {e}", c.name))?
                } else {
                    series
                }
            }
            ColumnType::Float => Series::new(
                name,
                column_values(rows, j, c, |cell| match cell {
                    Cell::Float(f) => Some(*f),
                    _ => None,
                })?,
            ),
            ColumnType::Bool => Series::new(
                name,
                column_values(rows, j, c, |cell| match cell {
                    Cell::Bool(b) => Some(*b),
                    _ => None,
                })?,
            ),
            ColumnType::Str | ColumnType::Enum(_) => Series::new(
                name,
                column_values(rows, j, c, |cell| match cell {
                    Cell::Str(s) => Some(&**s),
                    _ => None,
                })?,
            ),
        };
        columns.push(series.into_column());
    }
    DataFrame::new(rows.len(), columns).map_err(polars_error)
}

/// Column `j` of `rows` as the values `pick` reads: a null is `None`, and a
/// cell it does not read is not of the column's type.
fn column_values<'r, T>(
    rows: &'r [Vec<Cell>],
    j: usize,
    column: &Column,
    pick: impl Fn(&'r Cell) -> Option<T>,
) -> Result<Vec<Option<T>>, String> {
    rows.iter()
        .map(|row| match row.get(j).unwrap_or(&Cell::Null) {
            Cell::Null => Ok(None),
            cell => pick(cell).map(Some).ok_or_else(|| {
                format!(
                    "a value of column `{}` is not {}",
                    column.name,
                    column.ty.word()
                )
            }),
        })
        .collect()
}
