//! The data profile of a source, for the report: rows, and per column its
//! nulls and distribution, computed once when the source is loaded and
//! kept in its cache entry, so a cached run reports it too.
//!
//! A profile shows no raw value of the data beyond what the schema
//! declares: numbers are summarised (range, mean, a histogram), an enum is
//! counted per declared variant, a `str` column only by its number of
//! distinct values, and a `@pii` column by its nulls alone.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::check::types::{ColumnType, Schema};

/// Bins of a numeric column's histogram.
const BINS: usize = 12;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceProfile {
    pub source: String,
    pub rows: usize,
    pub columns: Vec<ColumnProfile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    pub name: String,
    /// The declared type, as written in the schema.
    pub ty: String,
    pub nulls: usize,
    pub summary: Summary,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Summary {
    Numeric {
        min: f64,
        max: f64,
        mean: f64,
        std: f64,
        /// Counts of `BINS` equal bins from `min` to `max`.
        histogram: Vec<u64>,
    },
    /// Rows per declared variant, in the schema's order.
    Categories {
        counts: Vec<(String, u64)>,
    },
    Distinct {
        values: usize,
    },
    /// A `@pii` column, or one with no value that is not null.
    Withheld {
        why: String,
    },
}

/// The profile of a loaded source against its declared schema; columns the
/// frame lacks are left out.
pub fn profile(source: &str, frame: &DataFrame, schema: &Schema) -> PolarsResult<SourceProfile> {
    let mut columns = Vec::with_capacity(schema.columns.len());
    for declared in &schema.columns {
        let Ok(column) = frame.column(&declared.name) else {
            continue;
        };
        let series = column.as_materialized_series();
        let nulls = series.null_count();
        let present = series.len() - nulls;
        let summary = if declared.tags.contains("pii") {
            Summary::Withheld {
                why: "@pii: values are not profiled".into(),
            }
        } else if present == 0 {
            Summary::Withheld {
                why: "every value is null".into(),
            }
        } else {
            match &declared.ty {
                ColumnType::Int | ColumnType::Float => numeric(series)?,
                ColumnType::Bool => categories(series, &["false".into(), "true".into()])?,
                ColumnType::Enum(variants) => categories(series, variants)?,
                ColumnType::Str | ColumnType::Datetime => Summary::Distinct {
                    values: series.drop_nulls().n_unique()?,
                },
            }
        };
        columns.push(ColumnProfile {
            name: declared.name.to_string(),
            ty: declared.ty.to_string() + if declared.nullable { "?" } else { "" },
            nulls,
            summary,
        });
    }
    Ok(SourceProfile {
        source: source.to_string(),
        rows: frame.height(),
        columns,
    })
}

fn numeric(series: &Series) -> PolarsResult<Summary> {
    let values = series.cast(&DataType::Float64)?;
    let values: Vec<f64> = values.f64()?.iter().flatten().collect();
    let (mut min, mut max, mut sum) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
    for &v in &values {
        min = min.min(v);
        max = max.max(v);
        sum += v;
    }
    let n = values.len() as f64;
    let mean = sum / n;
    let std = (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
    let mut histogram = vec![0u64; BINS];
    let width = (max - min) / BINS as f64;
    for &v in &values {
        let bin = if width > 0.0 {
            (((v - min) / width) as usize).min(BINS - 1)
        } else {
            0
        };
        histogram[bin] += 1;
    }
    Ok(Summary::Numeric {
        min,
        max,
        mean,
        std,
        histogram,
    })
}

fn categories(series: &Series, variants: &[String]) -> PolarsResult<Summary> {
    let text = series.cast(&DataType::String)?;
    let mut counts: Vec<(String, u64)> = variants.iter().map(|v| (v.clone(), 0)).collect();
    for value in text.str()?.iter().flatten() {
        if let Some(slot) = counts.iter_mut().find(|(v, _)| v == value) {
            slot.1 += 1;
        }
    }
    Ok(Summary::Categories { counts })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::types::{Column, Tags};

    fn schema(columns: Vec<Column>) -> Schema {
        Schema { columns }
    }

    #[test]
    fn numbers_are_summarised_and_binned() {
        let frame = df!("x" => [Some(1.0), Some(2.0), None, Some(13.0)]).unwrap();
        let s = schema(vec![Column::new("x", ColumnType::Float, true, Tags::new())]);
        let p = profile("t", &frame, &s).unwrap();
        assert_eq!(p.rows, 4);
        assert_eq!(p.columns[0].nulls, 1);
        assert_eq!(p.columns[0].ty, "float?");
        let Summary::Numeric {
            min,
            max,
            mean,
            histogram,
            ..
        } = &p.columns[0].summary
        else {
            panic!("{:?}", p.columns[0].summary)
        };
        assert_eq!((*min, *max, *mean), (1.0, 13.0, 16.0 / 3.0));
        // Twelve bins of width 1 from 1 to 13: 1, 2 and 13 fall in the
        // first, the second and (the upper bound included) the last.
        assert_eq!(histogram, &[1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    }

    #[test]
    fn enums_count_declared_variants_and_pii_is_withheld() {
        let frame = df!("e" => ["b", "a", "b"], "mail" => ["x@y", "z@w", "q@r"]).unwrap();
        let variants: std::sync::Arc<[String]> =
            vec!["a".to_string(), "b".to_string(), "c".to_string()].into();
        let s = schema(vec![
            Column::new("e", ColumnType::Enum(variants), false, Tags::new()),
            Column::new(
                "mail",
                ColumnType::Str,
                false,
                ["pii"].into_iter().collect(),
            ),
        ]);
        let p = profile("t", &frame, &s).unwrap();
        assert_eq!(
            p.columns[0].summary,
            Summary::Categories {
                counts: vec![("a".into(), 1), ("b".into(), 2), ("c".into(), 0)]
            }
        );
        assert!(matches!(p.columns[1].summary, Summary::Withheld { .. }));
    }
}
