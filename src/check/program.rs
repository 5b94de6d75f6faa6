//! The checked program: the one semantic model that the CLI, the IR, the
//! linter and the language server read.

use super::types::{ModelKind, Schema, Tags, Value};
use crate::resolve::BlockId;
use crate::source::{FileId, Span};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Debug, Default, Serialize)]
pub struct Program {
    pub pipeline: Option<Pipeline>,
    pub params: Vec<Param>,
    /// Checked blocks, dependencies first.
    pub blocks: Vec<Block>,
    #[serde(skip)]
    pub index: HashMap<BlockId, usize>,
    /// Block name (as in [`Block::name`]) to index in `blocks`.
    #[serde(skip)]
    pub names: HashMap<String, usize>,
}

impl Program {
    /// An empty program with room for `blocks` blocks.
    pub fn with_capacity(blocks: usize) -> Program {
        Program {
            blocks: Vec::with_capacity(blocks),
            index: HashMap::with_capacity(blocks),
            names: HashMap::with_capacity(blocks),
            ..Program::default()
        }
    }

    pub fn block(&self, id: BlockId) -> Option<&Block> {
        self.index.get(&id).map(|&i| &self.blocks[i])
    }

    pub fn by_name(&self, name: &str) -> Option<&Block> {
        self.names.get(name).map(|&i| &self.blocks[i])
    }

    /// The seed of the split `table` comes from, followed upstream through
    /// transforms: what a model trained on `table` defaults its seed to.
    /// `None` when no split lies upstream (or its seed is unset).
    pub fn split_seed_upstream(&self, table: &TableRef) -> Option<i64> {
        self.upstream(table)
            .iter()
            .find_map(|block| match &block.info {
                BlockInfo::Split(split) => Some(split.seed),
                _ => None,
            })?
    }

    pub fn models(&self) -> impl Iterator<Item = (&Block, &ModelInfo)> {
        self.blocks.iter().filter_map(|b| match &b.info {
            BlockInfo::Model(m) => Some((b, m)),
            _ => None,
        })
    }

    pub fn deployments(&self) -> impl Iterator<Item = (&Block, &DeployInfo)> {
        self.blocks.iter().filter_map(|b| match &b.info {
            BlockInfo::Deploy(d) => Some((b, d)),
            _ => None,
        })
    }

    /// The blocks `table` is computed from along its main input (a join's
    /// other table is not followed), from `table`'s own block up to the
    /// source it starts at.
    pub fn upstream(&self, table: &TableRef) -> Vec<&Block> {
        let mut chain = Vec::new();
        let mut next = table.id;
        while let Some(block) = next.and_then(|id| self.block(id)) {
            // A chain cannot be longer than the program.
            if chain.len() > self.blocks.len() {
                break;
            }
            chain.push(block);
            next = match &block.info {
                BlockInfo::Split(split) => split.input.id,
                BlockInfo::Transform(t) => t.input.id,
                _ => None,
            };
        }
        chain
    }

    /// What a cross-validation of a model trained on `table` deals into
    /// folds, and refits per fold: the split part or source that `table`
    /// is transformed from, and the transforms between them, oldest first.
    /// A transform of a whole split reads the part `table` names.
    pub fn cv_rows(&self, table: &TableRef) -> Option<(TableRef, Vec<String>)> {
        let mut refit = Vec::new();
        let mut current = table.clone();
        loop {
            // A chain cannot be longer than the program.
            if refit.len() > self.blocks.len() {
                return None;
            }
            let block = self.block(current.id?)?;
            match &block.info {
                BlockInfo::Transform(t) => {
                    refit.push(block.name.clone());
                    let part = t.input.part.clone().or(current.part.take());
                    current = TableRef {
                        part,
                        ..t.input.clone()
                    };
                }
                BlockInfo::Split(_) if current.part.is_some() => break,
                BlockInfo::Source(_) => break,
                _ => return None,
            }
        }
        refit.reverse();
        Some((current, refit))
    }

    /// The schema of a table block, or of a split part.
    pub fn table_schema(&self, name: &str) -> Option<&Schema> {
        match &self.by_name(name)?.info {
            BlockInfo::Source(s) => Some(&s.schema),
            BlockInfo::Transform(t) => Some(&t.schema),
            BlockInfo::Split(s) => Some(&s.schema),
            _ => None,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Pipeline {
    pub name: String,
    pub fields: BTreeMap<String, Value>,
    #[serde(skip)]
    pub file: FileId,
    /// Of the pipeline's name.
    #[serde(skip)]
    pub span: Span,
    #[serde(skip)]
    pub waivers: Vec<Waiver>,
}

#[derive(Debug, Serialize)]
pub struct Param {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub value: Option<Value>,
    /// Whether `--param` set the value.
    pub overridden: bool,
}

#[derive(Debug, Serialize)]
pub struct Block {
    /// As named from the entry module (`baseline.production` for imports).
    pub name: String,
    /// `allow(GOV012, reason = "...")` entries: lint findings waived here.
    /// Not part of the definition: a waiver changes no stage.
    #[serde(skip)]
    pub waivers: Vec<Waiver>,
    /// The entry module's params the block reads (`alpha` in `l2 = alpha`).
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub params: BTreeSet<String>,
    /// The module that declares it: `main`, `std.policies.baseline`, ...
    pub module: String,
    #[serde(skip)]
    pub id: BlockId,
    #[serde(skip)]
    pub file: FileId,
    #[serde(skip)]
    pub span: Span,
    /// The `///` documentation of the block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// Fields with constant values, after `--param` and `--env` overrides;
    /// nested blocks are flattened as `resources.cpu`.
    pub fields: BTreeMap<String, Value>,
    #[serde(flatten)]
    pub info: BlockInfo,
}

#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BlockInfo {
    Source(SourceInfo),
    Transform(TransformInfo),
    Split(SplitInfo),
    Model(ModelInfo),
    Evaluate(EvaluateInfo),
    Policy(PolicyInfo),
    Deploy(DeployInfo),
}

impl BlockInfo {
    pub fn kind_name(&self) -> &'static str {
        match self {
            BlockInfo::Source(_) => "source",
            BlockInfo::Transform(_) => "transform",
            BlockInfo::Split(_) => "split",
            BlockInfo::Model(_) => "model",
            BlockInfo::Evaluate(_) => "evaluate",
            BlockInfo::Policy(_) => "policy",
            BlockInfo::Deploy(_) => "deploy",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct SourceInfo {
    pub format: String,
    pub schema: Schema,
    /// Data expectations, as written, checked at run time.
    pub expect: Vec<String>,
}

/// A reference to a table: a block, and the split part when it is a split.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TableRef {
    pub block: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    #[serde(skip)]
    pub id: Option<BlockId>,
}

#[derive(Debug, Serialize)]
pub struct Step {
    pub op: String,
    /// The arguments as written.
    pub args: String,
    /// Learns state from the rows (fit on training rows only).
    pub fitted: bool,
    /// For `apply(NAME)`: the transform whose steps, as fitted where it
    /// ran, this step runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applies: Option<String>,
    /// The schema after this step.
    pub schema: Schema,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Serialize)]
pub struct TransformInfo {
    pub input: TableRef,
    /// Other tables read by `join` steps.
    pub joins: Vec<TableRef>,
    pub steps: Vec<Step>,
    pub schema: Schema,
}

#[derive(Debug, Serialize)]
pub struct SplitInfo {
    pub input: TableRef,
    /// Part name to fraction: `train`, `test`, `validation`; empty for a
    /// split `by` a column.
    pub parts: BTreeMap<String, f64>,
    pub seed: Option<i64>,
    pub stratify: Option<String>,
    /// `by = column`: each row goes to the part its value names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<SplitBy>,
    /// `group = column`: the fractions count groups, none in two parts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// `order_by = column`: the parts are runs of the rows sorted by it,
    /// in the order `train`, `validation`, `test`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_by: Option<String>,
    /// The schema of every part.
    pub schema: Schema,
}

impl SplitInfo {
    /// The names of the parts, sorted.
    pub fn part_names(&self) -> Vec<String> {
        match &self.by {
            Some(by) => by.parts.clone(),
            None => self.parts.keys().cloned().collect(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct SplitBy {
    pub column: String,
    /// The parts its values may name, sorted.
    pub parts: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ModelInfo {
    pub algorithm: String,
    pub model_kind: Option<ModelKind>,
    pub data: Option<TableRef>,
    pub target: Option<String>,
    /// For classifiers with a `bool` or `enum` target, the classes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<String>>,
    pub features: Vec<String>,
    pub hyper: BTreeMap<String, Value>,
    /// The tags of the columns reaching the model (features and target).
    pub tags: Tags,
    /// The tags of the feature columns alone.
    pub feature_tags: Tags,
    /// `positive = "CLASS"`: the positive class of a binary classifier,
    /// one of `classes` (the checker refuses any other).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub positive: Option<String>,
    /// `search { }`: the hyper-parameters written as lists or ranges, and
    /// how their candidates are compared. `hyper` holds the others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<SearchInfo>,
}

/// A hyper-parameter search: every combination of `space` (or `trials`
/// of them), cross-validated as `cv` says, ranked by the mean of `metric`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchInfo {
    pub cv: CvInfo,
    pub metric: String,
    /// The catalogue's direction of `metric`.
    pub higher_is_better: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trials: Option<usize>,
    /// Each searched hyper-parameter's candidates, in the order written.
    pub space: BTreeMap<String, Vec<Value>>,
}

#[derive(Debug, Serialize)]
pub struct EvaluateInfo {
    pub model: Option<String>,
    pub data: Option<TableRef>,
    pub metrics: Vec<String>,
    /// `groups = COLUMN`: the column of `data` whose values are the groups
    /// the fairness metrics compare.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<String>,
    /// `cv { ... }`: the metrics are cross-validated on the model's
    /// training table instead of computed on `data` by the trained model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cv: Option<CvInfo>,
}

/// A cross-validation: the rows of `rows_of` cut into `folds` folds; per
/// fold, the transforms `refit` are fitted again on the other folds and the
/// model trained on them, then scored on the fold.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CvInfo {
    pub folds: usize,
    pub seed: i64,
    /// A class column of `rows_of`: each fold keeps its classes' proportions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stratify: Option<String>,
    /// The table whose rows are dealt into folds: the split part, or the
    /// source, that the model's training table is transformed from.
    pub rows_of: TableRef,
    /// The transforms between `rows_of` and the model's training table,
    /// oldest first: the steps a fold refits, as a scikit-learn `Pipeline`
    /// would be refitted by `cross_val_score`.
    pub refit: Vec<String>,
}

/// The statistics a gate may read of a cross-validated metric:
/// `scorer.cv.accuracy.mean`.
pub const CV_STATISTICS: [&str; 2] = ["mean", "std"];

/// Where a gate's dotted path `SUBJECT.METRIC` divides: the number of
/// leading names that make the subject. A cross-validated metric is
/// `SUBJECT.cv.METRIC.STAT`, its metric the three names `cv.METRIC.STAT`.
pub fn metric_path_cut(names: &[&str]) -> usize {
    match names {
        [subject @ .., "cv", _, stat] if !subject.is_empty() && CV_STATISTICS.contains(stat) => {
            subject.len()
        }
        _ => names.len().saturating_sub(1),
    }
}

#[derive(Debug, Serialize)]
pub struct PolicyInfo {
    pub severity: String,
    pub rules: Vec<RuleInfo>,
}

#[derive(Debug, Serialize)]
pub struct RuleInfo {
    /// `require`, `deny` or `approval`.
    pub rule: String,
    /// The rule as written, without its message.
    pub text: String,
    pub message: Option<String>,
    /// For a metric gate (`require scorer.accuracy >= 0.75`), evaluated after a run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate: Option<Gate>,
    /// For `require lint.GOV005`: the lint rule that must find nothing in
    /// what the policy gates (enforced by `mlp lint`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lint_rule: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Gate {
    /// A model name, or `model` for every model behind the policy.
    pub model: String,
    pub metric: String,
    pub op: String,
    /// The bound when it is a plain number.
    pub value: Option<f64>,
    /// The bound as written (it may name other models' metrics).
    pub bound: String,
}

/// A lint finding waived at a block, with the reason an auditor reads.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Waiver {
    /// A lint rule code, `GOV012`.
    pub rule: String,
    pub reason: String,
    #[serde(skip)]
    pub span: Span,
}

/// A `monitor { }` condition: `latency_p99 < 200ms` is signal `latency_p99`,
/// op `<`, limit 0.2 (seconds; a percentage is a fraction).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alert {
    /// `latency_p50`...`latency_p99`, `error_rate`, `drift_psi`, `drift_ks`.
    pub signal: String,
    pub op: String,
    pub limit: f64,
}

/// The value of an `environment { NAME = ... }` entry of a deployment.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvValue {
    /// Written in the pipeline: visible to anyone who reads it.
    Literal(String),
    /// `secret("store/key")`: a reference resolved by the platform.
    Secret(String),
}

#[derive(Debug, Serialize)]
pub struct DeployInfo {
    pub target: String,
    pub model: Option<String>,
    pub gates: Vec<String>,
    /// The tags reaching the endpoint: those of the model's features, the
    /// columns a caller sends.
    pub tags: Tags,
    /// Monitoring conditions, as written.
    pub monitor: Vec<String>,
    /// The same conditions, for alerting rules: the signal breaks its limit
    /// when `signal op limit` does not hold.
    pub alerts: Vec<Alert>,
    /// Environment variables of the served container.
    pub environment: BTreeMap<String, EnvValue>,
}
