//! Seeded splits and samples of a table.
//!
//! The randomness is `Xoshiro256++` seeded with `seed_from_u64` (SplitMix64
//! expansion), so the same seed and the same rows give the same parts on
//! every platform and every run. Rows are drawn by a Fisher–Yates shuffle
//! with unbiased bounded integers (rejection sampling), and each part keeps
//! its rows in their original order.

use super::ops::OpError;
use crate::check::SplitInfo;
use polars::prelude::*;
use rand_xoshiro::rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The row numbers of each part of the split `info` of `frame`, sorted.
pub fn split_parts(
    frame: &DataFrame,
    info: &SplitInfo,
) -> Result<Vec<(String, Vec<IdxSize>)>, OpError> {
    if let Some(by) = &info.by {
        return split_by(frame, &by.parts, &by.column);
    }
    if let Some(column) = &info.order_by {
        let in_time: Vec<(String, f64)> = ["train", "validation", "test"]
            .into_iter()
            .filter_map(|p| info.parts.get(p).map(|f| (p.to_string(), *f)))
            .collect();
        return split_ordered(frame, &in_time, column);
    }
    let fractions: Vec<(String, f64)> = info.parts.iter().map(|(k, v)| (k.clone(), *v)).collect();
    let seed = info.seed.unwrap_or(0) as u64;
    split_rows(
        frame,
        &fractions,
        seed,
        info.stratify.as_deref(),
        info.group.as_deref(),
    )
}

/// The row numbers of each named part of `frame`, sorted; the fractions
/// must add up to 1. The cache keeps these instead of the parts' rows,
/// which [`take_rows`] takes again from the split's input.
///
/// Each part gets its share of the rows by the largest-remainder method
/// (ties go to the part listed first). With `stratify`, every class of that
/// column (null is a class of its own) is split in the same proportions;
/// the leftover rows of a class go to the parts that are furthest below
/// their share so far, so the part sizes stay within one row of their
/// share overall. Classes are taken in the order they first appear.
///
/// With `group`, the shares count groups (null is a group of its own) and
/// every group goes whole to one part, as scikit-learn's
/// `GroupShuffleSplit`: the groups, in order of first appearance, are
/// shuffled and cut by the largest-remainder method.
pub fn split_rows(
    frame: &DataFrame,
    parts: &[(String, f64)],
    seed: u64,
    stratify: Option<&str>,
    group: Option<&str>,
) -> Result<Vec<(String, Vec<IdxSize>)>, OpError> {
    check_fractions(parts)?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut members: Vec<Vec<IdxSize>> = vec![Vec::new(); parts.len()];
    if let Some(column) = group {
        let mut groups = classes(frame, column, "group by")?;
        shuffle(&mut rng, &mut groups);
        let counts = apportion(groups.len(), parts, &mut vec![0.0; parts.len()]);
        let mut groups = groups.into_iter();
        for (part, count) in counts.into_iter().enumerate() {
            members[part].extend(groups.by_ref().take(count).flatten());
        }
        return Ok(named(parts, members));
    }
    let classes = match stratify {
        None => vec![(0..frame.height() as IdxSize).collect()],
        Some(column) => classes(frame, column, "stratify on")?,
    };
    // What each part is owed (positive) or was given in excess (negative).
    let mut carry = vec![0.0; parts.len()];
    for mut rows in classes {
        shuffle(&mut rng, &mut rows);
        let counts = apportion(rows.len(), parts, &mut carry);
        let mut start = 0;
        for (part, count) in counts.into_iter().enumerate() {
            members[part].extend_from_slice(&rows[start..start + count]);
            start += count;
        }
    }
    Ok(named(parts, members))
}

/// A time-ordered split: the rows sorted by `column` (stably, so ties keep
/// their order; a float NaN sorts last), cut into runs of the parts'
/// shares in the order of `parts`, each part keeping the input's row order.
/// The column must have no nulls.
pub fn split_ordered(
    frame: &DataFrame,
    parts: &[(String, f64)],
    column: &str,
) -> Result<Vec<(String, Vec<IdxSize>)>, OpError> {
    const OP: &str = "split";
    check_fractions(parts)?;
    let values = frame
        .column(column)
        .map_err(|_| OpError::new(OP, format!("no column `{column}` to order by")))?;
    let null =
        |row: usize| OpError::new(OP, format!("row {} has no `{column}` to order by", row + 1));
    let cast = |dtype: &DataType| {
        values
            .cast(dtype)
            .map_err(|e| OpError::new(OP, format!("order by `{column}`: {e}")))
    };
    // Integers and datetimes are compared as integers: as floats, values
    // past 2^53 would tie.
    let keyed: Vec<IdxSize> = if values.dtype().is_float() {
        let floats = cast(&DataType::Float64)?;
        let floats = floats.f64().map_err(|e| OpError::new(OP, e.to_string()))?;
        let mut keyed = Vec::with_capacity(floats.len());
        for (row, value) in floats.iter().enumerate() {
            keyed.push((value.ok_or_else(|| null(row))?, row as IdxSize));
        }
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
        keyed.into_iter().map(|(_, row)| row).collect()
    } else {
        let ints = cast(&DataType::Int64)?;
        let ints = ints.i64().map_err(|e| OpError::new(OP, e.to_string()))?;
        let mut keyed = Vec::with_capacity(ints.len());
        for (row, value) in ints.iter().enumerate() {
            keyed.push((value.ok_or_else(|| null(row))?, row as IdxSize));
        }
        keyed.sort_by_key(|k| k.0);
        keyed.into_iter().map(|(_, row)| row).collect()
    };
    let counts = apportion(keyed.len(), parts, &mut vec![0.0; parts.len()]);
    let mut members: Vec<Vec<IdxSize>> = Vec::with_capacity(parts.len());
    let mut rows = keyed.into_iter();
    for count in counts {
        members.push(rows.by_ref().take(count).collect());
    }
    Ok(named(parts, members))
}

/// Each row to the part its value of `column` names (one of `parts`).
pub fn split_by(
    frame: &DataFrame,
    parts: &[String],
    column: &str,
) -> Result<Vec<(String, Vec<IdxSize>)>, OpError> {
    const OP: &str = "split";
    let values = frame
        .column(column)
        .map_err(|_| OpError::new(OP, format!("no column `{column}` to split by")))?;
    let values = values
        .str()
        .map_err(|e| OpError::new(OP, format!("split by `{column}`: {e}")))?;
    let mut members: Vec<Vec<IdxSize>> = vec![Vec::new(); parts.len()];
    for (row, value) in values.iter().enumerate() {
        let part = value.and_then(|v| parts.iter().position(|p| p == v));
        let Some(part) = part else {
            let shown = match value {
                Some(v) => format!("{:?}", excerpt(v)),
                None => "null".into(),
            };
            return Err(OpError::new(
                OP,
                format!(
                    "row {} has `{column}` = {shown}, which names no part (the parts are {})",
                    row + 1,
                    parts.join(", ")
                ),
            ));
        };
        members[part].push(row as IdxSize);
    }
    Ok(parts.iter().cloned().zip(members).collect())
}

/// At most 40 characters of a value, for a message.
fn excerpt(value: &str) -> String {
    match value.char_indices().nth(40) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value.to_string(),
    }
}

/// The parts' names with their rows, sorted.
fn named(parts: &[(String, f64)], members: Vec<Vec<IdxSize>>) -> Vec<(String, Vec<IdxSize>)> {
    parts
        .iter()
        .zip(members)
        .map(|((name, _), mut rows)| {
            rows.sort_unstable();
            (name.clone(), rows)
        })
        .collect()
}

fn check_fractions(parts: &[(String, f64)]) -> Result<(), OpError> {
    const OP: &str = "split";
    if parts.is_empty() {
        return Err(OpError::new(OP, "needs at least one part"));
    }
    if let Some((name, f)) = parts.iter().find(|(_, f)| !(*f > 0.0 && *f <= 1.0)) {
        return Err(OpError::new(
            OP,
            format!("the fraction of `{name}` is {f}, not in (0, 1]"),
        ));
    }
    let total: f64 = parts.iter().map(|(_, f)| f).sum();
    if (total - 1.0).abs() > 1e-9 {
        return Err(OpError::new(
            OP,
            format!("the fractions add up to {total}, not 1"),
        ));
    }
    Ok(())
}

/// The rows `rows` of `frame`, in that order: a part of a split taken
/// again from the split's input.
pub fn take_rows(frame: &DataFrame, rows: &[IdxSize]) -> Result<DataFrame, OpError> {
    take("split", frame, rows)
}

/// `count` rows drawn without replacement, in their original order.
pub fn sample_rows(frame: &DataFrame, count: usize, seed: u64) -> Result<DataFrame, OpError> {
    let rows: Vec<IdxSize> = sample_indices(frame.height(), count, seed)
        .into_iter()
        .map(|i| i as IdxSize)
        .collect();
    take("sample", frame, &rows)
}

/// `count` of the numbers `0..n` drawn without replacement, sorted.
pub fn sample_indices(n: usize, count: usize, seed: u64) -> Vec<usize> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut rows: Vec<usize> = (0..n).collect();
    let count = count.min(rows.len());
    // A partial Fisher–Yates shuffle: only the first `count` places are drawn.
    for i in 0..count {
        let j = i + below(&mut rng, (rows.len() - i) as u64) as usize;
        rows.swap(i, j);
    }
    rows.truncate(count);
    rows.sort_unstable();
    rows
}

fn take(op: &str, frame: &DataFrame, rows: &[IdxSize]) -> Result<DataFrame, OpError> {
    let idx = IdxCa::from_slice("rows".into(), rows);
    frame
        .take(&idx)
        .map_err(|e| OpError::new(op, e.to_string()))
}

/// The row numbers of each class of `column`, classes in order of first
/// appearance, rows in order.
fn classes(frame: &DataFrame, column: &str, purpose: &str) -> Result<Vec<Vec<IdxSize>>, OpError> {
    const OP: &str = "split";
    if frame.column(column).is_err() {
        return Err(OpError::new(
            OP,
            format!("no column `{column}` to {purpose}"),
        ));
    }
    let row = format!("{column}__row");
    let groups = frame
        .clone()
        .lazy()
        .select([col(column)])
        .with_row_index(row.as_str(), None)
        .group_by_stable([col(column)])
        .agg([col(row.as_str())])
        .collect()
        .map_err(|e| OpError::new(OP, format!("{purpose} `{column}`: {e}")))?;
    let lists = groups
        .column(&row)
        .and_then(|c| c.list())
        .map_err(|e| OpError::new(OP, e.to_string()))?;
    (0..lists.len())
        .map(|i| {
            let rows = lists
                .get_as_series(i)
                .ok_or_else(|| OpError::new(OP, "a class without rows"))?;
            let rows = rows.idx().map_err(|e| OpError::new(OP, e.to_string()))?;
            Ok(rows.into_no_null_iter().collect())
        })
        .collect()
}

/// Row counts per part for `n` rows: the floor of each share, then one
/// more row for the parts with the largest remainders (counting what each
/// part is owed from earlier classes; ties to the earlier part).
fn apportion(n: usize, parts: &[(String, f64)], carry: &mut [f64]) -> Vec<usize> {
    let exact: Vec<f64> = parts.iter().map(|(_, f)| f * n as f64).collect();
    let mut counts: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let assigned: usize = counts.iter().sum();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    let priority = |i: usize| exact[i] - exact[i].floor() + carry[i];
    order.sort_by(|&a, &b| priority(b).total_cmp(&priority(a)).then(a.cmp(&b)));
    for step in 0..n.saturating_sub(assigned) {
        counts[order[step % order.len()]] += 1;
    }
    // Float rounding can leave the floors one row over: take it back from the last parts.
    let mut over = counts.iter().sum::<usize>().saturating_sub(n);
    for i in order.iter().rev() {
        if over == 0 {
            break;
        }
        if counts[*i] > 0 {
            counts[*i] -= 1;
            over -= 1;
        }
    }
    for i in 0..parts.len() {
        carry[i] += exact[i] - counts[i] as f64;
    }
    counts
}

fn shuffle<T>(rng: &mut Xoshiro256PlusPlus, rows: &mut [T]) {
    for i in (1..rows.len()).rev() {
        let j = below(rng, i as u64 + 1) as usize;
        rows.swap(i, j);
    }
}

/// A uniform integer in `0..bound` (`bound > 0`), without modulo bias.
fn below(rng: &mut Xoshiro256PlusPlus, bound: u64) -> u64 {
    let zone = bound * (u64::MAX / bound);
    loop {
        let x = rng.next_u64();
        if x < zone {
            return x % bound;
        }
    }
}
