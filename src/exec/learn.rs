//! Training and evaluating the models of a pipeline: the boundary between
//! polars tables and linfa's ndarray matrices.

use super::artifacts::{
    Evaluation, FeatureBins, InputSchema, ModelArtifact, TrainedOn, TransformRecord,
};
use super::fairness::{self, Grouping};
use super::metrics::{self, ClassScores};
use super::models::{
    self, Algorithm, Hyper, HyperValue, ModelKind, Prediction, Target, TrainedModel,
};
use super::report::{
    precision_recall_points, roc_points, Confusion, GroupRow, GroupTable, PerClass, Weights,
};
use crate::check::types::Value;
use crate::check::{Block, ModelInfo, TableRef};
use ndarray::{Array2, ArrayView2, ShapeBuilder};
use polars::prelude::*;
use std::collections::BTreeMap;

/// The feature columns as a matrix, row-major or (`column_major`, for the
/// algorithms that train column by column) column-major. polars uses
/// ndarray 0.17 and linfa 0.16, so the values are copied once, here, into a
/// `Vec<f64>`.
pub(super) fn features(
    frame: &DataFrame,
    columns: &[String],
    column_major: bool,
) -> Result<Array2<f64>, String> {
    let rows = frame.height();
    let mut values = vec![0.0f64; rows * columns.len()];
    for (j, name) in columns.iter().enumerate() {
        let column = frame
            .column(name)
            .map_err(|_| format!("the feature column `{name}` is missing from the table"))?;
        let cast = column
            .cast(&DataType::Float64)
            .map_err(|e| format!("the feature column `{name}` is not numeric: {e}"))?;
        let floats = cast
            .f64()
            .map_err(|e| format!("the feature column `{name}` is not numeric: {e}"))?;
        if floats.null_count() > 0 {
            return Err(format!(
                "the feature column `{name}` has {} missing value(s): impute them before the model",
                floats.null_count()
            ));
        }
        if column_major {
            for (slot, v) in values[j * rows..(j + 1) * rows]
                .iter_mut()
                .zip(floats.into_no_null_iter())
            {
                *slot = v;
            }
        } else {
            for (i, v) in floats.into_no_null_iter().enumerate() {
                values[i * columns.len() + j] = v;
            }
        }
    }
    let shape = (rows, columns.len());
    let matrix = if column_major {
        Array2::from_shape_vec(shape.f(), values)
    } else {
        Array2::from_shape_vec(shape, values)
    };
    matrix.map_err(|e| e.to_string())
}

/// The target column's values as text: enum and string values as they
/// are, booleans as `true`/`false`.
fn labels(frame: &DataFrame, target: &str) -> Result<Vec<String>, String> {
    let column = frame
        .column(target)
        .map_err(|_| format!("the target column `{target}` is missing from the table"))?;
    let text = column
        .cast(&DataType::String)
        .map_err(|e| format!("the target column `{target}`: {e}"))?;
    let text = text.str().map_err(|e| e.to_string())?;
    text.iter()
        .enumerate()
        .map(|(i, v)| {
            v.map(str::to_string)
                .ok_or_else(|| format!("the target column `{target}` is missing at row {}", i + 1))
        })
        .collect()
}

/// The values of the `groups` column, as text like [`labels`]; a null is
/// an error (the checker refuses a nullable groups column).
fn group_values(frame: &DataFrame, column: &str) -> Result<Vec<String>, String> {
    let values = frame
        .column(column)
        .map_err(|_| format!("the groups column `{column}` is missing from the table"))?;
    let text = values
        .cast(&DataType::String)
        .map_err(|e| format!("the groups column `{column}`: {e}"))?;
    let text = text.str().map_err(|e| e.to_string())?;
    text.iter()
        .enumerate()
        .map(|(i, v)| {
            v.map(str::to_string).ok_or_else(|| {
                format!(
                    "the groups column `{column}` is missing at row {}: a missing value is no group",
                    i + 1
                )
            })
        })
        .collect()
}

/// A per-group metric (`accuracy_by_group`, ...) on the rows of one group.
fn per_group(metric: &str, positive: usize, t: &[usize], p: &[usize]) -> metrics::Result<f64> {
    match metric {
        "accuracy_by_group" => metrics::accuracy(t, p),
        "precision_by_group" => metrics::precision(t, p, positive),
        "recall_by_group" => metrics::recall(t, p, positive),
        "f1_by_group" => metrics::f1(t, p, positive),
        "selection_rate_by_group" => fairness::selection_rate(p, positive),
        other => Err(metrics::MetricError::new(format!(
            "`{other}` is not a per-group metric"
        ))),
    }
}

fn class_indices(
    values: &[String],
    classes: &[String],
    target: &str,
) -> Result<Vec<usize>, String> {
    values
        .iter()
        .map(|v| {
            classes.iter().position(|c| c == v).ok_or_else(|| {
                format!(
                    "`{v}` in `{target}` is not one of its classes ({})",
                    classes.join(", ")
                )
            })
        })
        .collect()
}

fn numbers(frame: &DataFrame, target: &str) -> Result<Vec<f64>, String> {
    let matrix = features(frame, &[target.to_string()], false)?;
    Ok(matrix.into_raw_vec_and_offset().0)
}

fn classes_of(info: &ModelInfo) -> Vec<String> {
    info.classes
        .clone()
        .unwrap_or_else(|| vec!["false".to_string(), "true".to_string()])
}

/// The checked `hyper { }` record in the trainer's terms. The checker has
/// already resolved params and validated every value against the
/// catalogue; anything else here is refused rather than guessed at.
pub(super) fn hyper(info: &ModelInfo) -> Result<Hyper, String> {
    let mut hyper = Hyper::new();
    for (name, value) in &info.hyper {
        let value = match value {
            Value::Int(i) => HyperValue::Int(*i),
            Value::Float(f) => HyperValue::Float(*f),
            Value::Bool(b) => HyperValue::Bool(*b),
            Value::Str(s) => HyperValue::Str(s.clone()),
            other => {
                return Err(format!(
                    "hyper-parameter `{name}` of `{}` is {}, which no hyper-parameter takes",
                    info.algorithm,
                    other.type_name()
                ))
            }
        };
        hyper.0.insert(name.clone(), value);
    }
    Ok(hyper)
}

/// A hash of the rows a model saw: their Parquet encoding, streamed into
/// the hasher (serialising the table into a buffer first held a second
/// copy of it; compressing it was 4% of a 1M-row run).
fn frame_hash(frame: &DataFrame) -> Result<String, String> {
    let mut copy = frame.clone();
    super::cache::hash_written(|hasher| {
        ParquetWriter::new(hasher)
            .with_compression(ParquetCompression::Uncompressed)
            .finish(&mut copy)
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
}

/// What a model artifact records of the way from its source to its rows.
pub struct Replay {
    pub transforms: Vec<TransformRecord>,
    pub input: InputSchema,
    pub params: BTreeMap<String, Value>,
    pub source_files: BTreeMap<String, String>,
}

/// Bins per feature: the training values' deciles, duplicates merged, so a
/// one-hot column has two bins and a continuous one ten.
const DRIFT_QUANTILES: usize = 10;

fn feature_bins(x: ArrayView2<f64>, features: &[String]) -> Vec<FeatureBins> {
    features
        .iter()
        .enumerate()
        .map(|(j, feature)| {
            let mut values: Vec<f64> = x.column(j).iter().copied().collect();
            values.sort_by(f64::total_cmp);
            let mut edges: Vec<f64> = (1..DRIFT_QUANTILES)
                .filter_map(|q| values.get(q * values.len() / DRIFT_QUANTILES).copied())
                .collect();
            edges.dedup();
            // The largest value is no cut point: nothing lies above it.
            if edges.last() == values.last() {
                edges.pop();
            }
            let mut bins = FeatureBins {
                feature: feature.clone(),
                edges,
                shares: Vec::new(),
            };
            let mut counts = vec![0usize; bins.edges.len() + 1];
            for v in &values {
                counts[bins.bin(*v)] += 1;
            }
            let total = values.len().max(1) as f64;
            bins.shares = counts.iter().map(|&c| c as f64 / total).collect();
            bins
        })
        .collect()
}

pub fn train(
    block: &Block,
    info: &ModelInfo,
    frame: &DataFrame,
    replay: Replay,
    split_seed: Option<i64>,
) -> Result<ModelArtifact, String> {
    let algorithm = Algorithm::from_name(&info.algorithm)
        .ok_or_else(|| format!("unknown algorithm `{}`", info.algorithm))?;
    let x = features(frame, &info.features, algorithm.trains_on_columns())?;
    let hyper = hyper(info)?;
    // Seeds are bits: a negative split seed is as good a seed as any.
    let seed = split_seed.unwrap_or(0) as u64;
    let classes = classes_of(info);
    let trained = match algorithm.kind() {
        ModelKind::Classifier => {
            let target = info
                .target
                .as_deref()
                .ok_or("a classifier needs a `target`")?;
            let y = class_indices(&labels(frame, target)?, &classes, target)?;
            models::train(
                algorithm,
                &hyper,
                x.view(),
                Target::Classes {
                    y: &y,
                    names: &classes,
                },
                seed,
            )
        }
        ModelKind::Regressor => {
            let target = info
                .target
                .as_deref()
                .ok_or("a regressor needs a `target`")?;
            let y = numbers(frame, target)?;
            models::train(algorithm, &hyper, x.view(), Target::Values(&y), seed)
        }
        ModelKind::Clusterer => models::train(algorithm, &hyper, x.view(), Target::None, seed),
    }
    .map_err(|e| e.to_string())?;
    let model = serde_json::from_str(&trained.to_json().map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let feature_importances = trained
        .feature_importances()
        .map(|values| info.features.iter().cloned().zip(values).collect());
    let table = info
        .data
        .as_ref()
        .map(|d| match &d.part {
            Some(part) => format!("{}.{part}", d.block),
            None => d.block.clone(),
        })
        .unwrap_or_default();
    Ok(ModelArtifact {
        name: block.name.clone(),
        algorithm: info.algorithm.clone(),
        kind: kind_word(algorithm.kind()).to_string(),
        target: info.target.clone(),
        classes: (algorithm.kind() == ModelKind::Classifier).then_some(classes),
        features: info.features.clone(),
        hyper: hyper.0.clone(),
        transforms: replay.transforms,
        input: replay.input,
        params: replay.params,
        feature_bins: feature_bins(x.view(), &info.features),
        trained_on: TrainedOn {
            table,
            rows: frame.height(),
            hash: frame_hash(frame)?,
        },
        source_files: replay.source_files,
        model,
        feature_importances,
        positive: info.positive.clone(),
        search: None,
    })
}

fn kind_word(kind: ModelKind) -> &'static str {
    match kind {
        ModelKind::Classifier => "classifier",
        ModelKind::Regressor => "regressor",
        ModelKind::Clusterer => "clusterer",
    }
}

pub fn evaluate(
    artifact: &ModelArtifact,
    frame: &DataFrame,
    data: &TableRef,
    wanted: &[String],
    groups: Option<&str>,
) -> Result<Evaluation, String> {
    let model = TrainedModel::from_json(&artifact.model.to_string()).map_err(|e| e.to_string())?;
    let mut evaluation = Evaluation {
        name: artifact.name.clone(),
        evaluated_on: match &data.part {
            Some(part) => format!("{}.{part}", data.block),
            None => data.block.clone(),
        },
        algorithm: artifact.algorithm.clone(),
        kind: artifact.kind.clone(),
        rows: frame.height(),
        weights: weights(&model, &artifact.features),
        ..Default::default()
    };
    if frame.height() == 0 {
        let why = format!("`{}` has no rows to evaluate on", evaluation.evaluated_on);
        for metric in wanted {
            evaluation.undefined.insert(metric.clone(), why.clone());
        }
        return Ok(evaluation);
    }
    let x = features(frame, &artifact.features, false)?;
    let prediction = model.predict(x.view()).map_err(|e| e.to_string())?;
    match prediction {
        Prediction::Classes(predicted) => {
            let classes = artifact.classes.clone().unwrap_or_default();
            let target = artifact.target.as_deref().unwrap_or_default();
            let truth = class_indices(&labels(frame, target)?, &classes, target)?;
            // The model's `positive` (the checker made it one of the
            // classes), or else the second class.
            let positive = artifact
                .positive
                .as_ref()
                .and_then(|p| classes.iter().position(|c| c == p))
                .unwrap_or(classes.len().saturating_sub(1));
            let is_positive: Vec<bool> = truth.iter().map(|&t| t == positive).collect();
            let scores = if classes.len() == 2 {
                model
                    .scores(x.view(), positive)
                    .map_err(|e| e.to_string())?
            } else {
                None
            };
            // The groups column is read from the evaluated table, so it
            // stays aligned with its rows whether it is a feature or not.
            let grouping = match groups {
                Some(column) => Some((column, Grouping::new(&group_values(frame, column)?))),
                None => None,
            };
            if let Some((column, grouping)) = &grouping {
                evaluation.groups = Some(GroupTable {
                    column: column.to_string(),
                    groups: grouping
                        .names
                        .iter()
                        .zip(grouping.sizes())
                        .map(|(group, rows)| GroupRow {
                            group: group.clone(),
                            rows,
                            metrics: BTreeMap::new(),
                        })
                        .collect(),
                });
            }
            let needs_groups = |metric: &str| {
                grouping.as_ref().map(|(_, g)| g).ok_or_else(|| {
                    format!("`{metric}` compares groups: the evaluation names no `groups` column")
                })
            };
            for metric in wanted.iter().map(String::as_str) {
                if metric.ends_with("_by_group") {
                    let values =
                        fairness::by_group(&truth, &predicted, needs_groups(metric)?, |t, p| {
                            per_group(metric, positive, t, p)
                        });
                    match values {
                        Ok(values) => {
                            if let Some(table) = &mut evaluation.groups {
                                for (row, value) in table.groups.iter_mut().zip(values) {
                                    row.metrics.insert(metric.to_string(), value);
                                }
                            }
                        }
                        Err(e) => undefined(&mut evaluation, metric, e),
                    }
                    continue;
                }
                let value = match metric {
                    "demographic_parity_difference" => fairness::demographic_parity_difference(
                        &predicted,
                        needs_groups(metric)?,
                        positive,
                    ),
                    "equalized_odds_difference" => fairness::equalized_odds_difference(
                        &truth,
                        &predicted,
                        needs_groups(metric)?,
                        positive,
                    ),
                    "accuracy" => metrics::accuracy(&truth, &predicted),
                    "precision" => metrics::precision(&truth, &predicted, positive),
                    "recall" => metrics::recall(&truth, &predicted, positive),
                    "f1" => metrics::f1(&truth, &predicted, positive),
                    "precision_macro" => metrics::precision_macro(&truth, &predicted),
                    "recall_macro" => metrics::recall_macro(&truth, &predicted),
                    "f1_macro" => metrics::f1_macro(&truth, &predicted),
                    "precision_weighted" => metrics::precision_weighted(&truth, &predicted),
                    "recall_weighted" => metrics::recall_weighted(&truth, &predicted),
                    "f1_weighted" => metrics::f1_weighted(&truth, &predicted),
                    "roc_auc" | "average_precision" => {
                        let scores = scores.as_ref().ok_or_else(|| {
                            format!("{metric} needs a binary classifier with scores")
                        })?;
                        if metric == "roc_auc" {
                            metrics::roc_auc(&is_positive, scores)
                        } else {
                            metrics::average_precision(&is_positive, scores)
                        }
                    }
                    "log_loss" => {
                        let proba = model
                            .predict_proba(x.view())
                            .map_err(|e| e.to_string())?
                            .ok_or_else(|| {
                                format!(
                                    "{} gives no probabilities: log_loss cannot be computed",
                                    artifact.algorithm
                                )
                            })?;
                        metrics::log_loss(&truth, proba.view())
                    }
                    "confusion_matrix" => {
                        match metrics::confusion_matrix(&truth, &predicted, classes.len()) {
                            Ok(matrix) => {
                                evaluation.confusion = Some(Confusion {
                                    labels: classes.clone(),
                                    matrix,
                                })
                            }
                            Err(e) => undefined(&mut evaluation, metric, e),
                        }
                        continue;
                    }
                    other => return Err(format!("`{other}` is not a classifier metric")),
                };
                record(&mut evaluation, metric, value);
            }
            if let Ok(scores) = metrics::per_class(&truth, &predicted, classes.len()) {
                type Average = fn(&[usize], &[usize]) -> metrics::Result<f64>;
                let average = |precision: Average,
                               recall: Average,
                               f1: Average|
                 -> metrics::Result<ClassScores> {
                    Ok(ClassScores {
                        precision: precision(&truth, &predicted)?,
                        recall: recall(&truth, &predicted)?,
                        f1: f1(&truth, &predicted)?,
                        support: truth.len() as u64,
                    })
                };
                let macro_average = average(
                    metrics::precision_macro,
                    metrics::recall_macro,
                    metrics::f1_macro,
                );
                let weighted_average = average(
                    metrics::precision_weighted,
                    metrics::recall_weighted,
                    metrics::f1_weighted,
                );
                if let (Ok(macro_average), Ok(weighted_average)) = (macro_average, weighted_average)
                {
                    evaluation.per_class = Some(PerClass {
                        labels: classes.clone(),
                        scores,
                        macro_average,
                        weighted_average,
                    });
                }
            }
            if let Some(scores) = &scores {
                evaluation.roc = Some(roc_points(scores, &is_positive));
                evaluation.precision_recall = Some(precision_recall_points(scores, &is_positive));
            }
        }
        Prediction::Values(predicted) => {
            let target = artifact.target.as_deref().unwrap_or_default();
            let truth = numbers(frame, target)?;
            for metric in wanted.iter().map(String::as_str) {
                let value = match metric {
                    "rmse" => metrics::rmse(&truth, &predicted),
                    "mae" => metrics::mae(&truth, &predicted),
                    "r2" => metrics::r2(&truth, &predicted),
                    "mape" => metrics::mape(&truth, &predicted),
                    other => return Err(format!("`{other}` is not a regressor metric")),
                };
                record(&mut evaluation, metric, value);
            }
            evaluation.residual_summary = metrics::residual_summary(&truth, &predicted).ok();
            evaluation.residuals = Some(predicted.into_iter().zip(truth).collect());
        }
        Prediction::Clusters(assigned) => {
            for metric in wanted.iter().map(String::as_str) {
                let value = match metric {
                    "silhouette" => metrics::silhouette(x.view(), &assigned),
                    other => return Err(format!("`{other}` is not a clustering metric")),
                };
                record(&mut evaluation, metric, value);
            }
            let k = assigned.iter().max().map_or(0, |m| m + 1);
            let mut sizes = vec![0usize; k];
            for c in assigned {
                sizes[c] += 1;
            }
            evaluation.clusters = Some(
                sizes
                    .into_iter()
                    .enumerate()
                    .map(|(i, n)| (format!("cluster {i}"), n))
                    .collect(),
            );
        }
    }
    Ok(evaluation)
}

/// A metric's value, or why the evaluated rows do not define it: the other
/// metrics are still computed, and a gate on this one fails with the reason.
fn record(evaluation: &mut Evaluation, metric: &str, value: metrics::Result<f64>) {
    match value {
        Ok(value) => {
            evaluation.metrics.insert(metric.to_string(), value);
        }
        Err(e) => undefined(evaluation, metric, e),
    }
}

fn undefined(evaluation: &mut Evaluation, metric: &str, why: metrics::MetricError) {
    evaluation
        .undefined
        .insert(metric.to_string(), why.message().to_string());
}

fn weights(model: &TrainedModel, features: &[String]) -> Option<Weights> {
    if let Some(coefficients) = model.coefficients() {
        let row = coefficients.weights.last()?;
        return Some(Weights {
            title: "Coefficients".into(),
            values: features.iter().cloned().zip(row.iter().copied()).collect(),
        });
    }
    model.feature_importances().map(|importances| Weights {
        title: "Feature importances".into(),
        values: features.iter().cloned().zip(importances).collect(),
    })
}
