//! What the documents ask of the checked program: field texts, values as
//! written, the lineage of a table, the tagged columns upstream of a model,
//! the evaluations and deployments of a model.

use crate::check::types::{Schema, Value};
use crate::check::{Block, BlockInfo, DeployInfo, EvaluateInfo, ModelInfo, Program, TableRef};
use crate::resolve::BlockId;
use std::collections::BTreeSet;

/// A text field of the pipeline block, when written and not blank.
pub fn pipeline_text<'a>(program: &'a Program, name: &str) -> Option<&'a str> {
    match program.pipeline.as_ref()?.fields.get(name)? {
        Value::Str(s) if !s.trim().is_empty() => Some(s),
        _ => None,
    }
}

/// A text field of a block, when written and not blank.
pub fn block_text<'a>(block: &'a Block, name: &str) -> Option<&'a str> {
    match block.fields.get(name)? {
        Value::Str(s) if !s.trim().is_empty() => Some(s),
        _ => None,
    }
}

pub fn pipeline_name(program: &Program) -> String {
    program
        .pipeline
        .as_ref()
        .map_or_else(|| "main".to_string(), |p| p.name.clone())
}

/// The risk tier as written, `minimal` when not declared (the default).
pub fn risk(program: &Program) -> String {
    program
        .pipeline
        .as_ref()
        .and_then(|p| crate::lint::facts::word(p.fields.get("risk")))
        .unwrap_or("minimal")
        .to_string()
}

/// A value as a pipeline would write it: `0.01`, `500m`, `365d`, `70%`.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format!("{f:?}"),
        Value::Bool(b) => b.to_string(),
        Value::Str(s) => s.clone(),
        Value::Duration(d) => duration(d.ms),
        Value::Quantity(q) => q.text.clone(),
        Value::Percent(p) => format!("{}%", p.percent),
        Value::List(items) => format!(
            "[{}]",
            items.iter().map(value_text).collect::<Vec<_>>().join(", ")
        ),
        Value::Word(w) => w.word.clone(),
    }
}

fn duration(ms: f64) -> String {
    const UNITS: [(f64, &str); 4] = [
        (86_400_000.0, "d"),
        (3_600_000.0, "h"),
        (60_000.0, "m"),
        (1_000.0, "s"),
    ];
    for (size, unit) in UNITS {
        if ms >= size && (ms / size).fract() == 0.0 {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

/// A metric's value as the documents show it.
pub fn number(value: f64) -> String {
    format!("{value:.4}")
}

pub fn table_name(table: &TableRef) -> String {
    match &table.part {
        Some(part) => format!("{}.{part}", table.block),
        None => table.block.clone(),
    }
}

/// The blocks a table is computed from, itself included, dependencies
/// first: sources, transforms (and the tables they join), splits.
pub fn lineage<'a>(program: &'a Program, table: &TableRef) -> Vec<&'a Block> {
    let mut seen: BTreeSet<BlockId> = BTreeSet::new();
    let mut todo: Vec<BlockId> = table.id.into_iter().collect();
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            continue;
        }
        let Some(block) = program.block(id) else {
            continue;
        };
        match &block.info {
            BlockInfo::Transform(t) => {
                todo.extend(t.input.id);
                todo.extend(t.joins.iter().filter_map(|j| j.id));
            }
            BlockInfo::Split(s) => todo.extend(s.input.id),
            _ => {}
        }
    }
    program
        .blocks
        .iter()
        .filter(|b| seen.contains(&b.id))
        .collect()
}

/// The schema of a table reference.
pub fn schema<'a>(program: &'a Program, table: &TableRef) -> Option<&'a Schema> {
    match &program.block(table.id?)?.info {
        BlockInfo::Source(s) => Some(&s.schema),
        BlockInfo::Transform(t) => Some(&t.schema),
        BlockInfo::Split(s) => Some(&s.schema),
        _ => None,
    }
}

/// The split a table's rows come from, followed upstream through
/// transforms, with the part: `(holdout, "test")` for `prepared.test`.
pub fn split_of<'a>(program: &'a Program, table: &TableRef) -> Option<(&'a Block, Option<String>)> {
    let part = table.part.clone();
    let mut block = program.block(table.id?)?;
    for _ in 0..=program.blocks.len() {
        match &block.info {
            BlockInfo::Split(_) => return Some((block, part)),
            BlockInfo::Transform(t) => block = program.block(t.input.id?)?,
            _ => return None,
        }
    }
    None
}

/// The part, the split and how it is drawn: (`test`, `holdout`,
/// `20% of the rows, seed 42, stratified on Status`).
pub fn split_words(program: &Program, table: &TableRef) -> Option<(String, String, String)> {
    let (block, part) = split_of(program, table)?;
    let BlockInfo::Split(split) = &block.info else {
        return None;
    };
    let part = part?;
    let mut how = Vec::new();
    if let Some(fraction) = split.parts.get(&part) {
        how.push(format!(
            "{}% of the rows",
            (fraction * 1000.0).round() / 10.0
        ));
    }
    if let Some(by) = &split.by {
        how.push(format!("the rows whose {} is {part}", by.column));
    } else if let Some(column) = &split.order_by {
        how.push(format!("ordered by {column}"));
    } else {
        how.push(format!("seed {}", split.seed.unwrap_or(0)));
    }
    if let Some(column) = &split.stratify {
        how.push(format!("stratified on {column}"));
    }
    if let Some(column) = &split.group {
        how.push(format!("whole groups of {column}"));
    }
    Some((part, block.name.clone(), how.join(", ")))
}

pub fn evaluations<'a>(
    program: &'a Program,
    model: &str,
) -> impl Iterator<Item = (&'a Block, &'a EvaluateInfo)> + 'a {
    let model = model.to_string();
    program.blocks.iter().filter_map(move |b| match &b.info {
        BlockInfo::Evaluate(e) if e.model.as_deref() == Some(model.as_str()) => Some((b, e)),
        _ => None,
    })
}

/// The deployments that serve `model`.
pub fn deployments_of<'a>(
    program: &'a Program,
    model: &str,
) -> impl Iterator<Item = (&'a Block, &'a DeployInfo)> + 'a {
    let model = model.to_string();
    program
        .deployments()
        .filter(move |(_, d)| d.model.as_deref() == Some(model.as_str()))
}

/// A column carrying `@pii` or `@sensitive` somewhere upstream of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Tagged {
    pub column: String,
    pub tag: &'static str,
    /// The source that declares it, or the transform that derives it.
    pub from: String,
    pub derived: bool,
    /// In the training table.
    pub kept: bool,
    /// `drop(Marital)` in `features`: the step after which it is gone.
    pub removed_by: Option<(String, String)>,
    pub feature: bool,
}

pub const WATCHED_TAGS: [&str; 2] = ["pii", "sensitive"];

/// The `@pii` and `@sensitive` columns upstream of `model`: those of its
/// sources, and those derived from them on the way.
pub fn tagged_columns(program: &Program, model: &ModelInfo) -> Vec<Tagged> {
    let Some(data) = &model.data else {
        return Vec::new();
    };
    let training = schema(program, data);
    let blocks = lineage(program, data);
    let mut out: Vec<Tagged> = Vec::new();
    for block in &blocks {
        let (columns, derived): (Vec<_>, bool) = match &block.info {
            BlockInfo::Source(s) => (s.schema.columns.iter().collect(), false),
            BlockInfo::Transform(t) => (
                t.steps
                    .iter()
                    .flat_map(|s| s.schema.columns.iter())
                    .collect(),
                true,
            ),
            _ => continue,
        };
        for column in columns {
            for tag in WATCHED_TAGS {
                if !column.tags.contains(tag)
                    || out.iter().any(|t| t.column == *column.name && t.tag == tag)
                {
                    continue;
                }
                let kept = training
                    .is_some_and(|s| s.get(&column.name).is_some_and(|c| c.tags.contains(tag)));
                out.push(Tagged {
                    column: column.name.to_string(),
                    tag,
                    from: block.name.clone(),
                    derived,
                    kept,
                    removed_by: if kept {
                        None
                    } else {
                        removed_by(program, &blocks, &column.name)
                    },
                    feature: kept && model.features.iter().any(|f| *f == *column.name),
                });
            }
        }
    }
    out
}

/// The transform step after which `column` is no longer in the table.
fn removed_by(program: &Program, blocks: &[&Block], column: &str) -> Option<(String, String)> {
    for block in blocks {
        let BlockInfo::Transform(t) = &block.info else {
            continue;
        };
        let mut before = schema(program, &t.input).is_some_and(|s| s.get(column).is_some());
        for step in &t.steps {
            let after = step.schema.get(column).is_some();
            if before && !after {
                return Some((block.name.clone(), format!("{}{}", step.op, step.args)));
            }
            before = after;
        }
    }
    None
}
