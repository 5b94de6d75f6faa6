//! The data tests of a source's `expect` block, computed with polars
//! expressions on the loaded table.
//!
//! Rows in details are 1-based positions in the loaded table (after the
//! files are concatenated and bad rows dropped), not file lines.

use super::data::DataError;
use polars::prelude::*;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }

    pub fn holds(self, left: f64, right: f64) -> bool {
        match self {
            CmpOp::Lt => left < right,
            CmpOp::Le => left <= right,
            CmpOp::Gt => left > right,
            CmpOp::Ge => left >= right,
            CmpOp::Eq => left == right,
            CmpOp::Ne => left != right,
        }
    }

    fn expr(self, left: Expr, right: Expr) -> Expr {
        match self {
            CmpOp::Lt => left.lt(right),
            CmpOp::Le => left.lt_eq(right),
            CmpOp::Gt => left.gt(right),
            CmpOp::Ge => left.gt_eq(right),
            CmpOp::Eq => left.eq(right),
            CmpOp::Ne => left.neq(right),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expectation {
    /// `rows >= 100`
    Rows { op: CmpOp, n: f64 },
    /// `nulls(col) <= 0.2`: the fraction of nulls, 0 for an empty table.
    Nulls {
        column: String,
        op: CmpOp,
        fraction: f64,
    },
    /// `col in lo..hi`, inclusive, over the non-null values (NaN is out).
    InRange { column: String, lo: f64, hi: f64 },
    /// `col in ["a", "b"]`, over the non-null values, compared as text.
    InSet { column: String, values: Vec<String> },
    /// `unique(a, b)`: no two rows share the key (nulls compare equal).
    Unique { columns: Vec<String> },
    /// `col >= 0`: every non-null value satisfies the comparison.
    Compare {
        column: String,
        op: CmpOp,
        value: f64,
    },
    /// `mean(col) >= 3`, `min(col) > 0`, `max(col) <= 10`: a statistic of
    /// the column's non-null values.
    Stat {
        stat: Stat,
        column: String,
        op: CmpOp,
        value: f64,
    },
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expectation::Rows { op, n } => write!(f, "rows {} {}", op.symbol(), number(*n)),
            Expectation::Nulls {
                column,
                op,
                fraction,
            } => {
                write!(f, "nulls({column}) {} {}", op.symbol(), number(*fraction))
            }
            Expectation::InRange { column, lo, hi } => {
                write!(f, "{column} in {}..{}", number(*lo), number(*hi))
            }
            Expectation::InSet { column, values } => {
                let quoted: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
                write!(f, "{column} in [{}]", quoted.join(", "))
            }
            Expectation::Unique { columns } => write!(f, "unique({})", columns.join(", ")),
            Expectation::Compare { column, op, value } => {
                write!(f, "{column} {} {}", op.symbol(), number(*value))
            }
            Expectation::Stat {
                stat,
                column,
                op,
                value,
            } => write!(
                f,
                "{}({column}) {} {}",
                stat.name(),
                op.symbol(),
                number(*value)
            ),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stat {
    Mean,
    Min,
    Max,
}

impl Stat {
    pub fn from_name(name: &str) -> Option<Stat> {
        Some(match name {
            "mean" => Stat::Mean,
            "min" => Stat::Min,
            "max" => Stat::Max,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Stat::Mean => "mean",
            Stat::Min => "min",
            Stat::Max => "max",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExpectOutcome {
    pub passed: bool,
    /// The condition as written: `nulls(Income) <= 0.1`.
    pub text: String,
    /// What was observed: `observed 0.084`,
    /// `3 values out of range, first at row 17: 130`.
    pub detail: String,
}

/// A number as a user writes it: `4000`, `0.1`, `0.0842`.
fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        let text = format!("{x:.4}");
        let text = text.trim_end_matches('0').trim_end_matches('.');
        if text == "0" || text == "-0" {
            format!("{x}")
        } else {
            text.to_string()
        }
    }
}

/// Runs one expectation. An error means it cannot be evaluated (an unknown
/// column, a range over text), not that it failed.
pub fn check(frame: &DataFrame, e: &Expectation) -> Result<ExpectOutcome, DataError> {
    let text = e.to_string();
    let (passed, detail) = match e {
        Expectation::Rows { op, n } => {
            let rows = frame.height();
            (op.holds(rows as f64, *n), format!("observed {rows} rows"))
        }
        Expectation::Nulls {
            column,
            op,
            fraction,
        } => {
            column_of(frame, column, &text)?;
            let out = run(
                frame,
                &text,
                [(col(column.as_str()).null_count().cast(DataType::Float64)
                    / len().cast(DataType::Float64))
                .alias("f")],
            )?;
            let observed = scalar_f64(&out, "f", &text)?
                .filter(|f| f.is_finite())
                .unwrap_or(0.0);
            (
                op.holds(observed, *fraction),
                format!("observed {}", number(observed)),
            )
        }
        Expectation::InRange { column, lo, hi } => {
            let c = numeric(frame, column, &text)?;
            let mut out_of_range = c.clone().lt(lit(*lo)).or(c.clone().gt(lit(*hi)));
            if frame
                .column(column)
                .map(|s| s.dtype().is_float())
                .unwrap_or(false)
            {
                out_of_range = out_of_range.or(c.is_nan());
            }
            violations(
                frame,
                column,
                out_of_range,
                &text,
                ("out of range", "out of range"),
            )?
        }
        Expectation::InSet { column, values } => {
            column_of(frame, column, &text)?;
            let allowed = Series::new("allowed".into(), values.as_slice());
            let outside = col(column.as_str())
                .cast(DataType::String)
                .is_in(lit(allowed).implode(false), false)
                .not();
            violations(
                frame,
                column,
                outside,
                &text,
                ("not in the set", "not in the set"),
            )?
        }
        Expectation::Compare { column, op, value } => {
            let c = numeric(frame, column, &text)?;
            let fails = op.expr(c, lit(*value)).not();
            let (one, many) = (format!("fails `{text}`"), format!("fail `{text}`"));
            violations(frame, column, fails, &text, (&one, &many))?
        }
        Expectation::Stat {
            stat,
            column,
            op,
            value,
        } => {
            let c = numeric(frame, column, &text)?;
            let statistic = match stat {
                Stat::Mean => c.mean(),
                Stat::Min => c.min(),
                Stat::Max => c.max(),
            };
            let out = run(frame, &text, [statistic.alias("s")])?;
            match scalar_f64(&out, "s", &text)?.filter(|s| s.is_finite()) {
                Some(observed) => (
                    op.holds(observed, *value),
                    format!("observed {}", number(observed)),
                ),
                None => (false, format!("`{column}` has no values")),
            }
        }
        Expectation::Unique { columns } => unique(frame, columns, &text)?,
    };
    Ok(ExpectOutcome {
        passed,
        text,
        detail,
    })
}

fn error(text: &str, message: String) -> DataError {
    DataError::new(format!("expect `{text}`"), message)
}

fn column_of<'a>(frame: &'a DataFrame, column: &str, text: &str) -> Result<&'a Column, DataError> {
    frame
        .column(column)
        .map_err(|_| error(text, format!("the table has no column `{column}`")))
}

fn numeric(frame: &DataFrame, column: &str, text: &str) -> Result<Expr, DataError> {
    let dtype = column_of(frame, column, text)?.dtype();
    if !dtype.is_primitive_numeric() {
        return Err(error(
            text,
            format!("column `{column}` is {dtype}, not a number"),
        ));
    }
    Ok(col(column).cast(DataType::Float64))
}

fn run<E: AsRef<[Expr]>>(frame: &DataFrame, text: &str, exprs: E) -> Result<DataFrame, DataError> {
    frame
        .clone()
        .lazy()
        .select(exprs)
        .collect()
        .map_err(|e| error(text, e.to_string()))
}

fn scalar_f64(out: &DataFrame, name: &str, text: &str) -> Result<Option<f64>, DataError> {
    out.column(name)
        .and_then(|c| c.get(0).map(|v| v.extract::<f64>()))
        .map_err(|e| error(text, e.to_string()))
}

fn cell_text(v: AnyValue<'_>) -> String {
    match v {
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        other => other.to_string(),
    }
}

/// Counts the non-null values for which `bad` holds and names the first;
/// `what` is said of one value and of several.
fn violations(
    frame: &DataFrame,
    column: &str,
    bad: Expr,
    text: &str,
    what: (&str, &str),
) -> Result<(bool, String), DataError> {
    let hits = frame
        .clone()
        .lazy()
        .with_row_index("__row", None)
        .filter(col(column).is_not_null().and(bad))
        .select([
            len().alias("n"),
            col("__row").first().alias("row"),
            col(column).first().alias("value"),
        ])
        .collect()
        .map_err(|e| error(text, e.to_string()))?;
    let n = scalar_f64(&hits, "n", text)?.unwrap_or(0.0) as usize;
    if n == 0 {
        return Ok((true, format!("all values pass ({} rows)", frame.height())));
    }
    let row = scalar_f64(&hits, "row", text)?
        .map(|r| r as usize + 1)
        .unwrap_or(0);
    let value = hits
        .column("value")
        .and_then(|c| c.get(0).map(cell_text))
        .map_err(|e| error(text, e.to_string()))?;
    let (noun, what) = if n == 1 {
        ("value", what.0)
    } else {
        ("values", what.1)
    };
    Ok((
        false,
        format!("{n} {noun} {what}, first at row {row}: {value}"),
    ))
}

fn unique(frame: &DataFrame, columns: &[String], text: &str) -> Result<(bool, String), DataError> {
    for c in columns {
        column_of(frame, c, text)?;
    }
    let keys: Vec<Expr> = columns.iter().map(|c| col(c.as_str())).collect();
    let dups = frame
        .clone()
        .lazy()
        .with_row_index("__row", None)
        .group_by(keys)
        .agg([len().alias("__n"), col("__row").min().alias("__first")])
        .filter(col("__n").gt(lit(1)))
        .sort(["__first"], SortMultipleOptions::default())
        .collect()
        .map_err(|e| error(text, e.to_string()))?;
    if dups.height() == 0 {
        return Ok((true, format!("no duplicates ({} rows)", frame.height())));
    }
    let rows: f64 = dups
        .column("__n")
        .and_then(|c| c.as_materialized_series().sum::<f64>())
        .map_err(|e| error(text, e.to_string()))?;
    let first = scalar_f64(&dups, "__first", text)?
        .map(|r| r as usize + 1)
        .unwrap_or(0);
    let mut key = Vec::new();
    for c in columns {
        let v = dups
            .column(c)
            .and_then(|s| s.get(0))
            .map_err(|e| error(text, e.to_string()))?;
        key.push(format!("{c} = {}", cell_text(v)));
    }
    let noun = if dups.height() == 1 { "key" } else { "keys" };
    Ok((
        false,
        format!(
            "{} duplicated {noun} over {} rows, first at row {first}: {}",
            dups.height(),
            rows as usize,
            key.join(", ")
        ),
    ))
}
