//! Transform operations on polars `LazyFrame`s, with fitted state.
//!
//! Each step of a checked transform chain runs here, with the schemas the
//! checker computed before and after it: the result of [`apply`] has exactly
//! the checker's output schema (names, order, polars dtypes of the column
//! types). Fitted operations (`standardize`, `min_max`, `one_hot`, `impute`
//! with `mean`, `median` or `mode`) learn a [`FitState`] from training rows
//! with [`fit`]; the state is serialisable so a saved model applies exactly
//! the same transformation when serving.
//!
//! Everything stays lazy except `sample`, which needs the row count to draw
//! an exact number of rows and so collects its input.

pub mod rows;

use super::split;
use crate::check::types::{ColumnType, Schema, Value};
use crate::syntax::ast::{self, BinaryOp, ExprKind, NumberValue, UnaryOp};
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// One step, as the checker saw it.
pub struct StepCtx<'a> {
    pub op: &'a ast::OpCall,
    /// The schema before the step.
    pub input: &'a Schema,
    /// The schema after the step, computed by the checker.
    pub output: &'a Schema,
    /// The pipeline's parameters, by name: a bare name in an argument or a
    /// row expression is a param when no column has that name.
    pub params: &'a BTreeMap<String, Value>,
    /// Columns outside the schemas that every step keeps: scoring carries
    /// each request row's index through the chain this way, to tell which
    /// rows a filter removed. Empty in a run.
    pub carry: &'a [String],
}

/// An operation that cannot run; the message names the operation and,
/// where there is one, the column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpError {
    pub op: String,
    pub message: String,
}

impl OpError {
    pub fn new(op: &str, message: impl Into<String>) -> OpError {
        OpError {
            op: op.to_string(),
            message: message.into(),
        }
    }

    fn polars(op: &str, e: PolarsError) -> OpError {
        OpError::new(op, e.to_string())
    }
}

impl fmt::Display for OpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.op, self.message)
    }
}

impl std::error::Error for OpError {}

/// What a fitted operation learned from the training rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FitState {
    /// The operation learns nothing.
    Unfitted,
    Standardize {
        columns: Vec<Scale>,
    },
    MinMax {
        columns: Vec<Scale>,
    },
    Impute {
        columns: Vec<Fill>,
    },
    OneHot {
        columns: Vec<Encoding>,
    },
}

/// `x' = (x - offset) / scale`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scale {
    pub column: String,
    pub offset: f64,
    pub scale: f64,
}

/// The value that replaces the nulls of a column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fill {
    pub column: String,
    pub value: Scalar,
}

/// A one-hot encoded column: one output column per variant, in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Encoding {
    pub column: String,
    pub variants: Vec<String>,
    pub outputs: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scalar {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    /// Microseconds since the Unix epoch, the unit sources are loaded with.
    Datetime(i64),
}

/// The polars type of a column type (the one sources are loaded with).
pub fn dtype(ty: &ColumnType) -> DataType {
    match ty {
        ColumnType::Int => DataType::Int64,
        ColumnType::Float => DataType::Float64,
        ColumnType::Bool => DataType::Boolean,
        ColumnType::Str | ColumnType::Enum(_) => DataType::String,
        ColumnType::Datetime => DataType::Datetime(TimeUnit::Microseconds, None),
    }
}

/// Whether the step learns state from the rows it sees.
pub fn is_fitted(op: &ast::OpCall) -> bool {
    match op.name.name.as_str() {
        "standardize" | "min_max" | "one_hot" => true,
        "impute" => named(op, "strategy")
            .and_then(|a| word(&a.value))
            .is_some_and(|s| matches!(s, "mean" | "median" | "mode")),
        _ => false,
    }
}

/// Learns the state of a fitted step from the training rows (the step's
/// input); an unfitted step gives [`FitState::Unfitted`].
pub fn fit(ctx: &StepCtx, training: &DataFrame) -> Result<FitState, OpError> {
    if !is_fitted(ctx.op) {
        return Ok(FitState::Unfitted);
    }
    let name = ctx.op.name.name.as_str();
    let columns = column_args(ctx, name)?;
    match name {
        "standardize" => fit_standardize(name, &columns, training)
            .map(|columns| FitState::Standardize { columns }),
        "min_max" => {
            fit_min_max(name, &columns, training).map(|columns| FitState::MinMax { columns })
        }
        "one_hot" => columns
            .iter()
            .map(|c| encoding(ctx, name, c))
            .collect::<Result<_, _>>()
            .map(|columns| FitState::OneHot { columns }),
        _ => {
            let strategy = strategy(ctx.op)?;
            columns
                .iter()
                .map(|c| {
                    let ty = &input_column(ctx, name, c)?.ty;
                    let value = match strategy {
                        "mode" => fit_mode(name, c, ty, training)?,
                        stat => fit_statistic(name, c, ty, stat, training)?,
                    };
                    Ok(Fill {
                        column: c.clone(),
                        value,
                    })
                })
                .collect::<Result<_, _>>()
                .map(|columns| FitState::Impute { columns })
        }
    }
}

/// Adds the step to the plan. `tables` gives the tables `join` reads, by
/// their dotted name (`branches`, `holdout.train`, `feats.clean`).
pub fn apply(
    ctx: &StepCtx,
    state: &FitState,
    input: LazyFrame,
    tables: &dyn Fn(&str) -> Option<LazyFrame>,
) -> Result<LazyFrame, OpError> {
    let name = ctx.op.name.name.as_str();
    match (name, state) {
        ("select" | "drop", _) => {
            column_args(ctx, name)?;
            Ok(input.select(output_columns(ctx)))
        }
        ("rename", _) => rename(ctx, input),
        ("filter", _) => {
            let args = positional(ctx.op);
            let [arg] = args.as_slice() else {
                return Err(OpError::new(name, "takes exactly one condition"));
            };
            let scope = Scope {
                op: name,
                schema: ctx.input,
                params: ctx.params,
            };
            Ok(input.filter(scope.lower(&arg.value)?))
        }
        ("derive", _) => derive(ctx, input),
        ("cast", _) => cast(ctx, input),
        ("impute", FitState::Impute { columns }) => impute(ctx, columns, input),
        ("impute", FitState::Unfitted) if !is_fitted(ctx.op) => {
            impute(ctx, &constant_fills(ctx)?, input)
        }
        ("one_hot", FitState::OneHot { columns }) => one_hot(ctx, columns, input),
        ("standardize", FitState::Standardize { columns })
        | ("min_max", FitState::MinMax { columns }) => {
            // A product with the inverse, written out: polars divides a
            // column by a scalar that way, but a one-row column exactly,
            // and a model must not score a row differently in a batch.
            let scaled: Vec<Expr> = columns
                .iter()
                .map(|s| {
                    ((col(s.column.as_str()).cast(DataType::Float64) - lit(s.offset))
                        * lit(1.0 / s.scale))
                    .alias(s.column.as_str())
                })
                .collect();
            Ok(input.with_columns(scaled))
        }
        ("log", _) => {
            let logs: Vec<Expr> = column_args(ctx, name)?
                .iter()
                .map(|c| {
                    col(c.as_str())
                        .cast(DataType::Float64)
                        .log1p()
                        .alias(c.as_str())
                })
                .collect();
            Ok(input.with_columns(logs))
        }
        ("clip", _) => clip(ctx, input),
        ("bucketize", _) => bucketize(ctx, input),
        ("dedupe", _) => {
            let columns = column_args(ctx, name)?;
            let subset = (!columns.is_empty()).then(|| by_name(columns, true, false));
            Ok(input.unique_stable(subset, UniqueKeepStrategy::First))
        }
        ("join", _) => join(ctx, input, tables),
        ("sample", _) => sample(ctx, input),
        ("impute" | "one_hot" | "standardize" | "min_max", _) => Err(OpError::new(
            name,
            "the state given was not fitted for this step",
        )),
        _ => Err(OpError::new(name, "unknown operation")),
    }
}

fn positional(op: &ast::OpCall) -> Vec<&ast::Arg> {
    op.args
        .iter()
        .flatten()
        .filter(|a| a.name.is_none())
        .collect()
}

fn named<'a>(op: &'a ast::OpCall, key: &str) -> Option<&'a ast::Arg> {
    op.args
        .iter()
        .flatten()
        .find(|a| a.name.as_ref().is_some_and(|n| n.name == key))
}

/// A word argument: `how = left` or `how = "left"`.
fn word(expr: &ast::Expr) -> Option<&str> {
    match &expr.kind {
        ExprKind::Name(id) => Some(&id.name),
        ExprKind::Str(s) => Some(s),
        ExprKind::Paren(inner) => word(inner),
        _ => None,
    }
}

fn strategy(op: &ast::OpCall) -> Result<&str, OpError> {
    named(op, "strategy")
        .and_then(|a| word(&a.value))
        .ok_or_else(|| {
            OpError::new(
                "impute",
                "needs `strategy = mean | median | mode | constant`",
            )
        })
}

/// A constant argument: a literal, a negated number, or a param.
fn constant(expr: &ast::Expr, params: &BTreeMap<String, Value>) -> Option<Value> {
    match &expr.kind {
        ExprKind::Number(n) if n.unit.is_none() => Some(match n.value {
            NumberValue::Int(i) => Value::Int(i),
            NumberValue::Float(f) => Value::Float(f),
        }),
        ExprKind::Str(s) => Some(Value::Str(s.clone())),
        ExprKind::Bool(b) => Some(Value::Bool(*b)),
        ExprKind::Name(id) => params.get(&id.name).cloned(),
        ExprKind::Paren(inner) => constant(inner, params),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => match constant(operand, params)? {
            Value::Int(i) => i.checked_neg().map(Value::Int),
            Value::Float(f) => Some(Value::Float(-f)),
            _ => None,
        },
        _ => None,
    }
}

fn number(op: &str, arg: &ast::Arg, params: &BTreeMap<String, Value>) -> Result<f64, OpError> {
    match constant(&arg.value, params) {
        Some(Value::Int(i)) => Ok(i as f64),
        Some(Value::Float(f)) => Ok(f),
        _ => Err(OpError::new(op, "expected a number")),
    }
}

/// The positional column names (for `cast`, all but the last).
fn column_args(ctx: &StepCtx, op: &str) -> Result<Vec<String>, OpError> {
    let args = positional(ctx.op);
    let take = if op == "cast" {
        args.len().saturating_sub(1)
    } else {
        args.len()
    };
    args[..take]
        .iter()
        .map(|a| match &a.value.kind {
            ExprKind::Name(id) if ctx.input.get(&id.name).is_some() => Ok(id.name.clone()),
            ExprKind::Name(id) => Err(OpError::new(
                op,
                format!("no column `{}` in its input", id.name),
            )),
            _ => Err(OpError::new(op, "takes column names")),
        })
        .collect()
}

fn input_column<'a>(
    ctx: &'a StepCtx,
    op: &str,
    name: &str,
) -> Result<&'a crate::check::types::Column, OpError> {
    ctx.input
        .get(name)
        .ok_or_else(|| OpError::new(op, format!("no column `{name}` in its input")))
}

fn output_columns(ctx: &StepCtx) -> Vec<Expr> {
    ctx.output
        .names()
        .chain(ctx.carry.iter().map(String::as_str))
        .map(col)
        .collect()
}

/// One row of aggregates over the training rows, collected.
fn aggregate(op: &str, training: &DataFrame, exprs: Vec<Expr>) -> Result<DataFrame, OpError> {
    training
        .clone()
        .lazy()
        .select(exprs)
        .collect()
        .map_err(|e| OpError::polars(op, e))
}

/// The `f64` in the single-row result `frame` under `name`, if not null.
fn scalar_f64(op: &str, frame: &DataFrame, name: &str) -> Result<Option<f64>, OpError> {
    let column = frame.column(name).map_err(|e| OpError::polars(op, e))?;
    let column = column
        .cast(&DataType::Float64)
        .map_err(|e| OpError::polars(op, e))?;
    let values = column.f64().map_err(|e| OpError::polars(op, e))?;
    Ok(values.get(0))
}

fn finite(op: &str, column: &str, what: &str, value: Option<f64>) -> Result<f64, OpError> {
    match value {
        Some(v) if v.is_finite() => Ok(v),
        Some(v) => Err(OpError::new(
            op,
            format!("the {what} of column `{column}` on the training rows is {v}"),
        )),
        None => Err(OpError::new(
            op,
            format!("column `{column}` has no value in the training rows to fit on"),
        )),
    }
}

/// Mean and population standard deviation, as scikit-learn's
/// `StandardScaler`: a constant column (by its test `_is_constant_feature`)
/// gets a scale of 1, so it is centred rather than divided by zero.
fn fit_standardize(
    op: &str,
    columns: &[String],
    training: &DataFrame,
) -> Result<Vec<Scale>, OpError> {
    let mut exprs = Vec::new();
    for (i, c) in columns.iter().enumerate() {
        let x = col(c.as_str()).cast(DataType::Float64);
        exprs.push(x.clone().mean().alias(format!("mean{i}")));
        exprs.push(x.var(0).alias(format!("var{i}")));
    }
    let stats = aggregate(op, training, exprs)?;
    let n = training.height() as f64;
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mean = finite(op, c, "mean", scalar_f64(op, &stats, &format!("mean{i}"))?)?;
            let var = finite(
                op,
                c,
                "variance",
                scalar_f64(op, &stats, &format!("var{i}"))?,
            )?;
            let eps = f64::EPSILON;
            let constant = var <= n * eps * var + (n * mean * eps).powi(2);
            Ok(Scale {
                column: c.clone(),
                offset: mean,
                scale: if constant { 1.0 } else { var.sqrt() },
            })
        })
        .collect()
}

/// Minimum and range; a constant column gets a range of 1, so its training
/// values all become 0 (as scikit-learn's `MinMaxScaler`).
fn fit_min_max(op: &str, columns: &[String], training: &DataFrame) -> Result<Vec<Scale>, OpError> {
    let mut exprs = Vec::new();
    for (i, c) in columns.iter().enumerate() {
        let x = col(c.as_str()).cast(DataType::Float64);
        exprs.push(x.clone().min().alias(format!("min{i}")));
        exprs.push(x.max().alias(format!("max{i}")));
    }
    let stats = aggregate(op, training, exprs)?;
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let min = finite(
                op,
                c,
                "minimum",
                scalar_f64(op, &stats, &format!("min{i}"))?,
            )?;
            let max = finite(
                op,
                c,
                "maximum",
                scalar_f64(op, &stats, &format!("max{i}"))?,
            )?;
            let range = max - min;
            Ok(Scale {
                column: c.clone(),
                offset: min,
                scale: if range > 0.0 { range } else { 1.0 },
            })
        })
        .collect()
}

/// Mean or median of the non-null values; for an `int` column the value is
/// rounded half away from zero, since the column stays `int`.
fn fit_statistic(
    op: &str,
    column: &str,
    ty: &ColumnType,
    stat: &str,
    training: &DataFrame,
) -> Result<Scalar, OpError> {
    let x = col(column).cast(DataType::Float64);
    let agg = match stat {
        "mean" => x.mean(),
        "median" => x.median(),
        other => {
            return Err(OpError::new(
                op,
                format!("`{other}` is not an impute strategy"),
            ))
        }
    };
    let stats = aggregate(op, training, vec![agg.alias("stat")])?;
    let value = finite(op, column, stat, scalar_f64(op, &stats, "stat")?)?;
    match ty {
        ColumnType::Int => Ok(Scalar::Int(value.round() as i64)),
        ColumnType::Float => Ok(Scalar::Float(value)),
        other => Err(OpError::new(
            op,
            format!(
                "`{stat}` needs a numeric column, `{column}` is {}",
                other.word()
            ),
        )),
    }
}

/// The most frequent non-null value; ties go to the smallest value, as in
/// scikit-learn's `SimpleImputer(strategy="most_frequent")`.
fn fit_mode(
    op: &str,
    column: &str,
    ty: &ColumnType,
    training: &DataFrame,
) -> Result<Scalar, OpError> {
    let count = format!("{column}__count");
    let top = training
        .clone()
        .lazy()
        .select([col(column)])
        .filter(col(column).is_not_null())
        .group_by([col(column)])
        .agg([len().alias(count.as_str())])
        .sort_by_exprs(
            [col(count.as_str()), col(column)],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .limit(1)
        .collect()
        .map_err(|e| OpError::polars(op, e))?;
    let values = top.column(column).map_err(|e| OpError::polars(op, e))?;
    if values.is_empty() {
        return Err(OpError::new(
            op,
            format!("column `{column}` has no value in the training rows to fit on"),
        ));
    }
    let err = |e: PolarsError| OpError::polars(op, e);
    let missing = || {
        OpError::new(
            op,
            format!("column `{column}` has no value in the training rows to fit on"),
        )
    };
    Ok(match ty {
        ColumnType::Int => Scalar::Int(values.i64().map_err(err)?.get(0).ok_or_else(missing)?),
        ColumnType::Float => Scalar::Float(values.f64().map_err(err)?.get(0).ok_or_else(missing)?),
        ColumnType::Bool => Scalar::Bool(values.bool().map_err(err)?.get(0).ok_or_else(missing)?),
        ColumnType::Str | ColumnType::Enum(_) => Scalar::Str(
            values
                .str()
                .map_err(err)?
                .get(0)
                .ok_or_else(missing)?
                .to_string(),
        ),
        ColumnType::Datetime => {
            let micros = values
                .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
                .and_then(|c| c.cast(&DataType::Int64))
                .map_err(err)?;
            Scalar::Datetime(micros.i64().map_err(err)?.get(0).ok_or_else(missing)?)
        }
    })
}

/// The vocabulary is the enum's declared variants, not the values seen in
/// training, so every part and every request gets the same columns.
fn encoding(ctx: &StepCtx, op: &str, column: &str) -> Result<Encoding, OpError> {
    let ColumnType::Enum(variants) = &input_column(ctx, op, column)?.ty else {
        return Err(OpError::new(
            op,
            format!("column `{column}` is not an enum"),
        ));
    };
    Ok(Encoding {
        column: column.to_string(),
        variants: variants.to_vec(),
        // The checker's naming: non-alphanumeric characters become `_`.
        outputs: variants
            .iter()
            .map(|v| {
                format!(
                    "{column}_{}",
                    v.replace(|ch: char| !ch.is_ascii_alphanumeric(), "_")
                )
            })
            .collect(),
    })
}

fn one_hot(ctx: &StepCtx, encodings: &[Encoding], input: LazyFrame) -> Result<LazyFrame, OpError> {
    let mut exprs = Vec::new();
    for c in ctx.input.names() {
        match encodings.iter().find(|e| e.column == c) {
            None => exprs.push(col(c)),
            Some(e) => {
                if e.variants.len() != e.outputs.len() {
                    return Err(OpError::new(
                        "one_hot",
                        format!("the state of column `{c}` is inconsistent"),
                    ));
                }
                for (v, out) in e.variants.iter().zip(&e.outputs) {
                    // A null or unknown value is 0.0 in every column.
                    exprs.push(
                        col(c)
                            .eq(lit(v.as_str()))
                            .fill_null(lit(false))
                            .cast(DataType::Float64)
                            .alias(out.as_str()),
                    );
                }
            }
        }
    }
    exprs.extend(ctx.carry.iter().map(|c| col(c.as_str())));
    Ok(input.select(exprs))
}

/// The fill's value as the column's type holds it (an int fill of a float
/// column is a float), or why it does not fit the column.
fn fill_scalar(
    op: &str,
    fill: &Fill,
    column: &crate::check::types::Column,
) -> Result<Scalar, OpError> {
    let mismatch = || {
        OpError::new(
            op,
            format!(
                "the value for column `{}` is not {}",
                fill.column,
                column.ty.word()
            ),
        )
    };
    Ok(match (&column.ty, &fill.value) {
        (ColumnType::Int, Scalar::Int(i)) => Scalar::Int(*i),
        (ColumnType::Float, Scalar::Float(f)) => Scalar::Float(*f),
        (ColumnType::Float, Scalar::Int(i)) => Scalar::Float(*i as f64),
        (ColumnType::Bool, Scalar::Bool(b)) => Scalar::Bool(*b),
        (ColumnType::Str, Scalar::Str(s)) => Scalar::Str(s.clone()),
        (ColumnType::Enum(variants), Scalar::Str(s)) => {
            if !variants.contains(s) {
                return Err(OpError::new(
                    op,
                    format!("\"{s}\" is not a variant of column `{}`", fill.column),
                ));
            }
            Scalar::Str(s.clone())
        }
        (ColumnType::Datetime, Scalar::Datetime(us)) => Scalar::Datetime(*us),
        _ => return Err(mismatch()),
    })
}

/// A literal of the column's polars type.
fn scalar_lit(
    op: &str,
    fill: &Fill,
    column: &crate::check::types::Column,
) -> Result<Expr, OpError> {
    Ok(match fill_scalar(op, fill, column)? {
        Scalar::Int(i) => lit(i),
        Scalar::Float(f) => lit(f),
        Scalar::Bool(b) => lit(b),
        Scalar::Str(s) => lit(s),
        Scalar::Datetime(us) => lit(us).cast(DataType::Datetime(TimeUnit::Microseconds, None)),
    })
}

/// The fills of `impute(cols, strategy = constant, value = v)`.
fn constant_fills(ctx: &StepCtx) -> Result<Vec<Fill>, OpError> {
    let op = "impute";
    if strategy(ctx.op)? != "constant" {
        return Err(OpError::new(
            op,
            "unknown strategy: use mean, median, mode or constant",
        ));
    }
    let value = named(ctx.op, "value")
        .and_then(|a| constant(&a.value, ctx.params))
        .ok_or_else(|| OpError::new(op, "`strategy = constant` needs a constant `value`"))?;
    let mut fills = Vec::new();
    for c in column_args(ctx, op)? {
        let column = input_column(ctx, op, &c)?;
        let scalar = match (&column.ty, &value) {
            (ColumnType::Int, Value::Float(f)) if f.fract() == 0.0 => Scalar::Int(*f as i64),
            (ColumnType::Datetime, _) => {
                return Err(OpError::new(
                    op,
                    format!("a constant cannot fill the datetime column `{c}`"),
                ))
            }
            (_, Value::Int(i)) => Scalar::Int(*i),
            (_, Value::Float(f)) => Scalar::Float(*f),
            (_, Value::Bool(b)) => Scalar::Bool(*b),
            (_, Value::Str(s)) => Scalar::Str(s.clone()),
            _ => {
                return Err(OpError::new(
                    op,
                    format!("the value for column `{c}` is not a constant"),
                ))
            }
        };
        fills.push(Fill {
            column: c,
            value: scalar,
        });
    }
    Ok(fills)
}

/// Replaces the nulls of each fill's column with its value.
fn impute(ctx: &StepCtx, fills: &[Fill], input: LazyFrame) -> Result<LazyFrame, OpError> {
    let exprs: Vec<Expr> = fills
        .iter()
        .map(|f| {
            let column = input_column(ctx, "impute", &f.column)?;
            Ok(col(f.column.as_str()).fill_null(scalar_lit("impute", f, column)?))
        })
        .collect::<Result<_, OpError>>()?;
    Ok(input.with_columns(exprs))
}

/// `rename(new = old, ...)`, one pair after the other as the checker reads them.
fn rename(ctx: &StepCtx, mut input: LazyFrame) -> Result<LazyFrame, OpError> {
    for arg in ctx.op.args.iter().flatten() {
        let (Some(new), ExprKind::Name(old)) = (&arg.name, &arg.value.kind) else {
            return Err(OpError::new("rename", "takes `new = old` pairs"));
        };
        input = input.rename([old.name.as_str()], [new.name.as_str()], true);
    }
    Ok(input)
}

/// `derive(a = ..., b = ...)`: each column is visible to the next ones, and
/// gets the checker's type (`int / int` is a float, `coalesce` keeps the
/// type of its first argument, ...).
fn derive(ctx: &StepCtx, mut input: LazyFrame) -> Result<LazyFrame, OpError> {
    let op = "derive";
    let mut schema = ctx.input.clone();
    for arg in ctx.op.args.iter().flatten() {
        let Some(name) = &arg.name else {
            return Err(OpError::new(op, "takes `name = expression` pairs"));
        };
        let out = ctx.output.get(&name.name).ok_or_else(|| {
            OpError::new(
                op,
                format!("column `{}` is not in the checked schema", name.name),
            )
        })?;
        let scope = Scope {
            op,
            schema: &schema,
            params: ctx.params,
        };
        let expr = scope
            .lower(&arg.value)?
            .cast(dtype(&out.ty))
            .alias(name.name.as_str());
        input = input.with_column(expr);
        schema.columns.push(out.clone());
    }
    Ok(input)
}

/// `cast(cols..., type)`. Casts are strict: a value that does not convert
/// (a string that is not a number, an integer overflow) fails the run
/// instead of becoming a null the schema does not allow.
fn cast(ctx: &StepCtx, input: LazyFrame) -> Result<LazyFrame, OpError> {
    let op = "cast";
    let target = positional(ctx.op)
        .last()
        .and_then(|a| word(&a.value))
        .and_then(ColumnType::from_name)
        .filter(|t| *t != ColumnType::Datetime)
        .ok_or_else(|| OpError::new(op, "needs a target type: int, float, bool or str"))?;
    let mut exprs = Vec::new();
    for c in column_args(ctx, op)? {
        let from = &input_column(ctx, op, &c)?.ty;
        let x = col(c.as_str());
        let e = match (from, &target) {
            (f, t) if dtype(f) == dtype(t) => x,
            // Polars casts no text to bool: the words are those sources
            // read as bool, and any other text fails the run.
            (ColumnType::Str | ColumnType::Enum(_), ColumnType::Bool) => x.replace_strict(
                lit(Series::new("words".into(), ["true", "false"])),
                lit(Series::new("bools".into(), [true, false])),
                None,
                Some(DataType::Boolean),
            ),
            // Nor a datetime: it is true unless it is the Unix epoch, as its
            // integer would be.
            (ColumnType::Datetime, ColumnType::Bool) => {
                x.cast(DataType::Int64).strict_cast(DataType::Boolean)
            }
            (_, t) => x.strict_cast(dtype(t)),
        };
        exprs.push(e.alias(c.as_str()));
    }
    Ok(input.with_columns(exprs))
}

/// One column of a `clip`: its bounds as the column's type holds them.
struct ClipBounds {
    column: String,
    ty: ColumnType,
    lo: Option<Bound>,
    hi: Option<Bound>,
}

#[derive(Clone, Copy, Debug)]
enum Bound {
    Int(i64),
    Float(f64),
}

/// `clip(cols, lo = a, hi = b)`. The type is kept: for an `int` column the
/// bounds are the integers inside them (`ceil(lo)`, `floor(hi)`).
fn clip_bounds(ctx: &StepCtx) -> Result<Vec<ClipBounds>, OpError> {
    let op = "clip";
    let lo = named(ctx.op, "lo")
        .map(|a| number(op, a, ctx.params))
        .transpose()?;
    let hi = named(ctx.op, "hi")
        .map(|a| number(op, a, ctx.params))
        .transpose()?;
    if let (Some(lo), Some(hi)) = (lo, hi) {
        if lo > hi {
            return Err(OpError::new(op, format!("lo = {lo} is above hi = {hi}")));
        }
    }
    if lo.is_none() && hi.is_none() {
        return Err(OpError::new(op, "needs `lo`, `hi` or both"));
    }
    let mut columns = Vec::new();
    for c in column_args(ctx, op)? {
        let ty = input_column(ctx, op, &c)?.ty.clone();
        let bound = |v: f64, round: fn(f64) -> f64| -> Result<Bound, OpError> {
            match ty {
                ColumnType::Int => {
                    let r = round(v);
                    if r < i64::MIN as f64 || r > i64::MAX as f64 {
                        Err(OpError::new(
                            op,
                            format!("bound {v} is out of range for the int column `{c}`"),
                        ))
                    } else {
                        Ok(Bound::Int(r as i64))
                    }
                }
                _ => Ok(Bound::Float(v)),
            }
        };
        let lo_bound = lo.map(|v| bound(v, f64::ceil)).transpose()?;
        let hi_bound = hi.map(|v| bound(v, f64::floor)).transpose()?;
        if let (ColumnType::Int, Some(l), Some(h)) = (&ty, lo, hi) {
            if l.ceil() > h.floor() {
                return Err(OpError::new(
                    op,
                    format!("no integer between lo = {l} and hi = {h} for column `{c}`"),
                ));
            }
        }
        columns.push(ClipBounds {
            column: c,
            ty,
            lo: lo_bound,
            hi: hi_bound,
        });
    }
    Ok(columns)
}

fn clip(ctx: &StepCtx, input: LazyFrame) -> Result<LazyFrame, OpError> {
    let bound = |b: Bound| match b {
        Bound::Int(i) => lit(i),
        Bound::Float(f) => lit(f),
    };
    let mut exprs = Vec::new();
    for c in clip_bounds(ctx)? {
        let x = col(c.column.as_str());
        let e = match (c.lo, c.hi) {
            (Some(l), Some(h)) => x.clip(bound(l), bound(h)),
            (Some(l), None) => x.clip_min(bound(l)),
            (None, Some(h)) => x.clip_max(bound(h)),
            (None, None) => return Err(OpError::new("clip", "needs `lo`, `hi` or both")),
        };
        exprs.push(e.cast(dtype(&c.ty)).alias(c.column.as_str()));
    }
    Ok(input.with_columns(exprs))
}

/// The `bounds = [...]` of a `bucketize`: a non-empty increasing list.
fn bucket_bounds(ctx: &StepCtx) -> Result<Vec<f64>, OpError> {
    let op = "bucketize";
    let Some(ExprKind::List(items)) = named(ctx.op, "bounds").map(|a| &a.value.kind) else {
        return Err(OpError::new(op, "needs `bounds = [...]`"));
    };
    let bounds: Vec<f64> = items
        .iter()
        .map(|i| match constant(i, ctx.params) {
            Some(Value::Int(v)) => Ok(v as f64),
            Some(Value::Float(v)) => Ok(v),
            _ => Err(OpError::new(op, "bounds must be numbers")),
        })
        .collect::<Result<_, _>>()?;
    if bounds.is_empty() || bounds.windows(2).any(|w| w[0] >= w[1]) {
        return Err(OpError::new(
            op,
            "bounds must be a non-empty increasing list",
        ));
    }
    Ok(bounds)
}

/// `bucketize(cols, bounds = [...])`: the number of bounds at or below the
/// value, so `[25, 40]` gives 0 below 25, 1 for 25 ≤ x < 40, 2 from 40.
fn bucketize(ctx: &StepCtx, input: LazyFrame) -> Result<LazyFrame, OpError> {
    let bounds = bucket_bounds(ctx)?;
    let mut exprs = Vec::new();
    for c in column_args(ctx, "bucketize")? {
        let x = col(c.as_str()).cast(DataType::Float64);
        let index = bounds
            .iter()
            .map(|b| x.clone().gt_eq(lit(*b)).cast(DataType::Int64))
            .reduce(|a, b| a + b)
            .unwrap_or_else(|| lit(0i64));
        exprs.push(index.alias(c.as_str()));
    }
    Ok(input.with_columns(exprs))
}

/// `join(other, on = [keys], how = inner | left)`: the left rows keep their
/// order (several matches follow the right table's order); null keys never
/// match.
fn join(
    ctx: &StepCtx,
    input: LazyFrame,
    tables: &dyn Fn(&str) -> Option<LazyFrame>,
) -> Result<LazyFrame, OpError> {
    let op = "join";
    let other = positional(ctx.op)
        .first()
        .and_then(|a| a.value.as_path())
        .map(|p| {
            p.iter()
                .map(|i| i.name.as_str())
                .collect::<Vec<_>>()
                .join(".")
        })
        .ok_or_else(|| OpError::new(op, "needs the table to join"))?;
    let right = tables(&other)
        .ok_or_else(|| OpError::new(op, format!("table `{other}` is not available")))?;
    let keys: Vec<Expr> = match named(ctx.op, "on").map(|a| &a.value.kind) {
        Some(ExprKind::List(items)) => items
            .iter()
            .map(|i| match &i.kind {
                ExprKind::Name(id) => Ok(col(id.name.as_str())),
                _ => Err(OpError::new(op, "keys must be column names")),
            })
            .collect::<Result<_, _>>()?,
        Some(ExprKind::Name(id)) => vec![col(id.name.as_str())],
        _ => return Err(OpError::new(op, "needs its keys: `on = [...]`")),
    };
    let how = match named(ctx.op, "how").map(|a| word(&a.value)) {
        None | Some(Some("inner")) => JoinType::Inner,
        Some(Some("left")) => JoinType::Left,
        _ => return Err(OpError::new(op, "`how` must be inner or left")),
    };
    let mut args = JoinArgs::new(how);
    args.maintain_order = MaintainOrderJoin::LeftRight;
    Ok(input
        .join(right, keys.clone(), keys, args)
        .select(output_columns(ctx)))
}

/// `sample(fraction = f | n = k, seed = s)`: `round(f × rows)` rows, or
/// `min(k, rows)`, drawn without replacement, in their original order.
fn sample(ctx: &StepCtx, input: LazyFrame) -> Result<LazyFrame, OpError> {
    let op = "sample";
    let seed = match named(ctx.op, "seed").map(|a| constant(&a.value, ctx.params)) {
        None => 0,
        Some(Some(Value::Int(s))) => s as u64,
        Some(_) => return Err(OpError::new(op, "`seed` must be an int")),
    };
    let fraction = named(ctx.op, "fraction")
        .map(|a| number(op, a, ctx.params))
        .transpose()?;
    let n = match named(ctx.op, "n").map(|a| constant(&a.value, ctx.params)) {
        None => None,
        Some(Some(Value::Int(n))) if n >= 0 => Some(n as u64),
        Some(_) => return Err(OpError::new(op, "`n` must be a non-negative int")),
    };
    let frame = input.collect().map_err(|e| OpError::polars(op, e))?;
    let rows = frame.height();
    let count = match (fraction, n) {
        (Some(f), None) if (0.0..=1.0).contains(&f) => (f * rows as f64).round() as usize,
        (Some(_), None) => return Err(OpError::new(op, "`fraction` must be between 0 and 1")),
        (None, Some(n)) => usize::try_from(n).unwrap_or(usize::MAX).min(rows),
        _ => return Err(OpError::new(op, "takes either `fraction` or `n`")),
    };
    split::sample_rows(&frame, count, seed).map(DataFrame::lazy)
}

/// The number an expression is when it is a literal or a numeric param
/// (a name that is not a column of `schema`).
fn literal_number(
    expr: &ast::Expr,
    schema: &Schema,
    params: &BTreeMap<String, Value>,
) -> Option<f64> {
    match &expr.kind {
        ExprKind::Paren(inner) => literal_number(inner, schema, params),
        ExprKind::Number(n) if n.unit.is_none() => Some(match n.value {
            NumberValue::Int(i) => i as f64,
            NumberValue::Float(f) => f,
        }),
        ExprKind::Name(id) if schema.get(&id.name).is_none() => match params.get(&id.name)? {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        },
        _ => None,
    }
}

/// Lowers row expressions (`filter`, `derive`) to polars, typed as the
/// checker types them.
struct Scope<'a> {
    op: &'a str,
    schema: &'a Schema,
    params: &'a BTreeMap<String, Value>,
}

impl Scope<'_> {
    fn err(&self, message: impl Into<String>) -> OpError {
        OpError::new(self.op, message)
    }

    fn lower(&self, expr: &ast::Expr) -> Result<Expr, OpError> {
        Ok(match &expr.kind {
            ExprKind::Paren(inner) => self.lower(inner)?,
            ExprKind::Number(n) if n.unit.is_some() => {
                return Err(self.err(format!(
                    "a number with a unit ({}{}) in a row expression",
                    n.text,
                    n.unit.as_deref().unwrap_or("")
                )))
            }
            ExprKind::Number(n) => match n.value {
                NumberValue::Int(i) => lit(i),
                NumberValue::Float(f) => lit(f),
            },
            ExprKind::Str(s) => lit(s.as_str()),
            ExprKind::Bool(b) => lit(*b),
            ExprKind::Name(id) => {
                if self.schema.get(&id.name).is_some() {
                    col(id.name.as_str())
                } else {
                    match self.params.get(&id.name) {
                        Some(Value::Int(i)) => lit(*i),
                        Some(Value::Float(f)) => lit(*f),
                        Some(Value::Bool(b)) => lit(*b),
                        Some(Value::Str(s)) => lit(s.as_str()),
                        Some(other) => {
                            return Err(self.err(format!(
                                "param `{}` is a {}, not a value a row can use",
                                id.name,
                                other.type_name()
                            )))
                        }
                        None => return Err(self.err(format!("no column `{}`", id.name))),
                    }
                }
            }
            ExprKind::Unary { op, operand } => {
                let x = self.lower(operand)?;
                match op {
                    UnaryOp::Neg => -x,
                    UnaryOp::Not => x.not(),
                }
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs)?,
            ExprKind::Call { callee, args } => self.call(callee, args)?,
            _ => return Err(self.err("this is not a row expression")),
        })
    }

    fn binary(&self, op: BinaryOp, lhs: &ast::Expr, rhs: &ast::Expr) -> Result<Expr, OpError> {
        let l = self.lower(lhs)?;
        let r = || self.lower(rhs);
        Ok(match op {
            BinaryOp::In => self.membership(l, rhs)?,
            BinaryOp::NotIn => self.membership(l, rhs)?.not(),
            BinaryOp::And => l.and(r()?),
            BinaryOp::Or => l.or(r()?),
            BinaryOp::Eq => l.eq(r()?),
            BinaryOp::Ne => l.neq(r()?),
            BinaryOp::Lt => l.lt(r()?),
            BinaryOp::Le => l.lt_eq(r()?),
            BinaryOp::Gt => l.gt(r()?),
            BinaryOp::Ge => l.gt_eq(r()?),
            BinaryOp::Add => l + r()?,
            BinaryOp::Sub => l - r()?,
            BinaryOp::Mul => l * r()?,
            // By a literal, a product with its inverse, as polars computes
            // it for a column of many rows (and exactly for one row): the
            // same answer whatever the batch.
            BinaryOp::Div => match literal_number(rhs, self.schema, self.params) {
                Some(divisor) => l.cast(DataType::Float64) * lit(1.0 / divisor),
                None => l
                    .cast(DataType::Float64)
                    .true_div(r()?.cast(DataType::Float64)),
            },
            BinaryOp::Rem => l % r()?,
        })
    }

    /// `x in lo..hi` (both ends included) or `x in [a, b, ...]` (any of
    /// them equal; items may be columns as well as literals).
    fn membership(&self, x: Expr, rhs: &ast::Expr) -> Result<Expr, OpError> {
        match &rhs.kind {
            ExprKind::Paren(inner) => self.membership(x, inner),
            ExprKind::Range { lo, hi } => Ok(x
                .clone()
                .gt_eq(self.lower(lo)?)
                .and(x.lt_eq(self.lower(hi)?))),
            ExprKind::List(items) => {
                let mut any: Option<Expr> = None;
                for item in items {
                    let eq = x.clone().eq(self.lower(item)?);
                    any = Some(match any {
                        None => eq,
                        Some(a) => a.or(eq),
                    });
                }
                Ok(any.unwrap_or_else(|| lit(false)))
            }
            _ => Err(self.err("`in` needs a range `lo..hi` or a list `[a, b]`")),
        }
    }

    fn call(&self, callee: &ast::Expr, args: &[ast::Arg]) -> Result<Expr, OpError> {
        let ExprKind::Name(name) = &callee.kind else {
            return Err(self.err("only functions can be called"));
        };
        let f = name.name.as_str();
        let mut lowered = args
            .iter()
            .map(|a| self.lower(&a.value))
            .collect::<Result<Vec<_>, _>>()?;
        let arity = if f == "coalesce" { 2 } else { 1 };
        if lowered.len() != arity {
            return Err(self.err(format!(
                "`{f}` takes {arity} argument(s), found {}",
                lowered.len()
            )));
        }
        let x = lowered.remove(0);
        let float = |e: Expr| e.cast(DataType::Float64);
        Ok(match f {
            "log" => float(x).log(lit(std::f64::consts::E)),
            "exp" => float(x).exp(),
            "sqrt" => float(x).sqrt(),
            "abs" => x.abs(),
            // Half away from zero, as SQL's and Rust's `round`; an int is kept.
            "round" => x.round(0, RoundMode::HalfAwayFromZero),
            "is_null" => x.is_null(),
            "coalesce" => coalesce(&[x, lowered.remove(0)]),
            "lower" => x.str().to_lowercase(),
            "upper" => x.str().to_uppercase(),
            "len" => x.str().len_chars().cast(DataType::Int64),
            "year" => x.dt().year().cast(DataType::Int64),
            "month" => x.dt().month().cast(DataType::Int64),
            "day" => x.dt().day().cast(DataType::Int64),
            other => return Err(self.err(format!("unknown function `{other}`"))),
        })
    }
}
