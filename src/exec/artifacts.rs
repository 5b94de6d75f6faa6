//! What a run writes: cache entries of stages, and the outputs of a run
//! (`metrics.json`, `models/`, `run.json`, `report.html`). Every file is
//! written to a temporary name and renamed; a run's output folder is built
//! beside its final place and renamed into it whole.

use super::cache::{hash_bytes, hash_file, KeyParts, MLP_VERSION};
use super::gates::{GateOutcome, Metrics};
use super::metrics::ResidualSummary;
use super::models::HyperValue;
use super::ops::FitState;
use super::profile::SourceProfile;
use super::report::{self, Confusion, CvReport, GroupTable, SearchRecord};
use super::run::StageRecord;
use super::stages::StageKind;
use crate::check::types::{Schema, Value};
use crate::files::{io_words, sweep_stale_temps, temp_sibling, write_atomic};
use crate::syntax::ast;
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One step of a transform and the state it learned (if it is fitted).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StepRecord {
    pub op: String,
    pub args: String,
    pub state: Option<FitState>,
    /// The step as the checker saw it, with the schemas before and after
    /// it: a saved model replays its transforms through the same
    /// `exec::ops::apply` as the run, without the `.mlp` file.
    pub call: ast::OpCall,
    pub input: Schema,
    pub output: Schema,
    /// A step of another transform run by `apply`: that transform's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_from: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TransformRecord {
    pub name: String,
    pub steps: Vec<StepRecord>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrainedOn {
    /// `holdout.train`
    pub table: String,
    pub rows: usize,
    /// Hash of the training rows (as Parquet bytes).
    pub hash: String,
}

/// `models/<name>.json`: everything serving needs to answer like training did.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModelArtifact {
    pub name: String,
    pub algorithm: String,
    pub kind: String,
    pub target: Option<String>,
    pub classes: Option<Vec<String>>,
    pub features: Vec<String>,
    pub hyper: BTreeMap<String, HyperValue>,
    /// The transforms from the sources to the training table, with their
    /// fitted state, in order.
    pub transforms: Vec<TransformRecord>,
    /// The source the transforms start from: the rows a request sends.
    pub input: InputSchema,
    /// The values of the params the transforms read.
    pub params: BTreeMap<String, Value>,
    /// Each feature's training distribution, for drift (PSI, KS) when serving.
    pub feature_bins: Vec<FeatureBins>,
    pub trained_on: TrainedOn,
    /// Source file → hash of its bytes, for every file upstream.
    pub source_files: BTreeMap<String, String>,
    /// The fitted model (`mlp::exec::models::TrainedModel`).
    pub model: serde_json::Value,
    /// Feature → importance, for the models that have them (the trees):
    /// computed from `model`, written out so that a reader needs no mlp.
    /// Absent for the others, whose files stay as they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_importances: Option<BTreeMap<String, f64>>,
    /// The `positive` class of the model block, when it names one; else
    /// the positive class is the second. Absent when not named, so the
    /// files of models without it stay as they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positive: Option<String>,
    /// The hyper-parameter search that chose `hyper`, when the model had
    /// one; absent otherwise, so the files of other models stay as they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<SearchRecord>,
}

/// The source a model's transforms start from.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InputSchema {
    pub source: String,
    pub schema: Schema,
    /// The cell texts the source reads as null (CSV), which `mlp predict`
    /// reads a CSV file with too.
    pub null_values: Vec<String>,
}

/// A feature's training values cut into bins: `edges` are the inner cut
/// points (a value `v` falls in the first bin whose edge is `>= v`, or the
/// last), `shares` the fraction of training rows in each of the
/// `edges.len() + 1` bins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureBins {
    pub feature: String,
    pub edges: Vec<f64>,
    pub shares: Vec<f64>,
}

impl FeatureBins {
    pub fn bin(&self, value: f64) -> usize {
        self.edges.partition_point(|edge| *edge < value)
    }
}

/// An `evaluate` block's result: what the report shows of a model.
pub type Evaluation = report::ModelReport;

/// A stage's output, as [`write_output`] stores it.
pub enum OutputView<'a> {
    Table(&'a DataFrame),
    Parts(&'a BTreeMap<String, DataFrame>),
    /// A split in the cache: each part's row numbers in the split's input,
    /// which is cached too, instead of a copy of its rows.
    Rows(&'a BTreeMap<String, Vec<IdxSize>>),
    /// A table of this many rows that the cache does not keep, since it is
    /// cheaper to compute again than to store: a source's (loaded again
    /// from its files, whose hashes are in its key) or a transform's (its
    /// steps applied again with the fitted state of its `states.json`).
    Recomputed(usize),
    Model(&'a ModelArtifact),
    Evaluation(&'a Evaluation),
}

impl OutputView<'_> {
    /// The rows of the output: of a table, of all the parts of a split,
    /// that a model was trained on, that an evaluation scored.
    pub fn rows(&self) -> usize {
        match self {
            OutputView::Table(frame) => frame.height(),
            OutputView::Parts(parts) => parts.values().map(DataFrame::height).sum(),
            OutputView::Rows(parts) => parts.values().map(Vec::len).sum(),
            OutputView::Recomputed(rows) => *rows,
            OutputView::Model(model) => model.trained_on.rows,
            OutputView::Evaluation(evaluation) => evaluation.rows,
        }
    }
}

/// `meta.json` of a cache entry; written last, so its presence means the
/// entry is complete.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Meta {
    pub rows: Option<usize>,
    pub output_hash: String,
    /// Every file of the entry, checked by [`verify`] before it is trusted.
    pub files: BTreeMap<String, FileSum>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSum {
    pub bytes: u64,
    pub hash: String,
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    write_atomic(path, bytes).map_err(|e| format!("{}: {}", path.display(), io_words(&e)))
}

fn json<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| e.to_string())?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn parquet(frame: &DataFrame) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let mut copy = frame.clone();
    ParquetWriter::new(&mut bytes)
        .with_compression(ParquetCompression::Lz4Raw)
        .finish(&mut copy)
        .map_err(|e| format!("cannot write the table: {e}"))?;
    Ok(bytes)
}

const PART_PREFIX: &str = "part-";
const ROWS_PREFIX: &str = "rows-";
const ROWS_SUFFIX: &str = ".bin";

/// Row numbers as little-endian integers of `IdxSize`.
fn row_bytes(rows: &[IdxSize]) -> Vec<u8> {
    rows.iter().flat_map(|r| r.to_le_bytes()).collect()
}

/// Writes a stage's output into a (staging) cache folder.
pub fn write_output(
    dir: &Path,
    output: &OutputView,
    states: Option<&TransformRecord>,
    expectations: &[report::ExpectationResult],
    profile: Option<&SourceProfile>,
) -> Result<Meta, String> {
    let (rows, files) = write_output_files(dir, output, states, expectations, profile)?;
    let meta = Meta {
        rows,
        output_hash: output_hash(&files),
        files,
    };
    write(&dir.join("meta.json"), &json(&meta)?)?;
    Ok(meta)
}

/// The files of a stage's output, and their sizes and hashes.
fn write_output_files(
    dir: &Path,
    output: &OutputView,
    states: Option<&TransformRecord>,
    expectations: &[report::ExpectationResult],
    profile: Option<&SourceProfile>,
) -> Result<(Option<usize>, BTreeMap<String, FileSum>), String> {
    let mut files = BTreeMap::new();
    let mut put = |name: &str, bytes: Vec<u8>| -> Result<(), String> {
        put_file(dir, &mut files, name, bytes)
    };
    match output {
        OutputView::Table(frame) => put("table.parquet", parquet(frame)?)?,
        OutputView::Parts(parts) => {
            for (part, frame) in parts.iter() {
                put(&format!("{PART_PREFIX}{part}.parquet"), parquet(frame)?)?;
            }
        }
        OutputView::Rows(parts) => {
            for (part, rows) in parts.iter() {
                put(
                    &format!("{ROWS_PREFIX}{part}{ROWS_SUFFIX}"),
                    row_bytes(rows),
                )?;
            }
        }
        OutputView::Recomputed(_) => {}
        OutputView::Model(model) => put("model.json", json(model)?)?,
        OutputView::Evaluation(evaluation) => put("evaluation.json", json(evaluation)?)?,
    }
    let rows = Some(output.rows());
    if let Some(states) = states {
        put("states.json", json(states)?)?;
    }
    if !expectations.is_empty() {
        put("expectations.json", json(&expectations)?)?;
    }
    if let Some(profile) = profile {
        put("profile.json", json(profile)?)?;
    }
    Ok((rows, files))
}

fn put_file(
    dir: &Path,
    files: &mut BTreeMap<String, FileSum>,
    name: &str,
    bytes: Vec<u8>,
) -> Result<(), String> {
    let sum = FileSum {
        bytes: bytes.len() as u64,
        hash: hash_bytes(&bytes),
    };
    files.insert(name.to_string(), sum);
    write(&dir.join(name), &bytes)
}

fn output_hash(files: &BTreeMap<String, FileSum>) -> String {
    let hashes: Vec<String> = files
        .iter()
        .map(|(name, sum)| format!("{name}:{}", sum.hash))
        .collect();
    hash_bytes(hashes.join("\n").as_bytes())
}

/// The mark in `stage.json` that says a folder is the output of one stage
/// run alone (`mlp run --stage NAME --outputs DIR`).
pub const STAGE_FORMAT: &str = "mlp-stage/1";

/// The file of a stage artifact that says which stage, with which key,
/// wrote it (a cache entry is named by its key instead).
pub const STAGE_FILE: &str = "stage.json";

/// `stage.json`: which stage wrote the folder, its key and the parts of
/// the key, and what the stages downstream need to know of the stages
/// upstream of it (they read only the folders of the stages they depend on).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StageFile {
    pub format: String,
    pub stage: String,
    pub slug: String,
    pub kind: StageKind,
    pub mlp_version: String,
    pub key: String,
    pub parts: KeyParts,
    pub lineage: Lineage,
}

/// What a stage carries of its upstream stages.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Lineage {
    /// The transforms from the sources to this table, oldest first, with
    /// their fitted state (what a model trained on it records); empty for
    /// a source, a model or an evaluation.
    pub transforms: Vec<TransformRecord>,
    /// Every source file upstream (and of this stage), path to hash.
    pub source_files: BTreeMap<String, String>,
    /// The `run.json` record of this stage and of every stage upstream,
    /// in stage order.
    pub stages: Vec<StageRecord>,
    /// The expectation results of the sources upstream, in stage order.
    pub expectations: Vec<report::ExpectationResult>,
}

/// Writes the output of a stage run alone into `dir`: the files a cache
/// entry holds, `stage.json` (made by `stage` from the output hash and the
/// rows), and `meta.json` last, which lists them all (its `output_hash` is
/// the cache entry's: it does not cover `stage.json`).
pub fn write_stage_output(
    dir: &Path,
    output: &OutputView,
    states: Option<&TransformRecord>,
    expectations: &[report::ExpectationResult],
    profile: Option<&SourceProfile>,
    stage: impl FnOnce(&str, Option<usize>) -> StageFile,
) -> Result<Meta, String> {
    let (rows, mut files) = write_output_files(dir, output, states, expectations, profile)?;
    let output_hash = output_hash(&files);
    put_file(
        dir,
        &mut files,
        STAGE_FILE,
        json(&stage(&output_hash, rows))?,
    )?;
    let meta = Meta {
        rows,
        output_hash,
        files,
    };
    write(&dir.join("meta.json"), &json(&meta)?)?;
    Ok(meta)
}

/// A folder that is the output of a stage run alone, once every file its
/// `meta.json` lists has the recorded size and hash, with its `stage.json`.
/// The messages name the file and what is wrong with it.
pub fn verify_stage_output(dir: &Path) -> Result<(Meta, StageFile), String> {
    let meta_path = dir.join("meta.json");
    let text = std::fs::read_to_string(&meta_path)
        .map_err(|e| format!("{}: {}", meta_path.display(), io_words(&e)))?;
    let meta: Meta = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{} is not the meta.json of a stage's outputs: {e}",
            meta_path.display()
        )
    })?;
    verify_files(dir, &meta)?;
    let stage_path = dir.join(STAGE_FILE);
    if !meta.files.contains_key(STAGE_FILE) {
        return Err(format!(
            "{} lists no {STAGE_FILE}: this is not the output of `mlp run --stage NAME --outputs DIR`",
            meta_path.display()
        ));
    }
    let text = std::fs::read_to_string(&stage_path)
        .map_err(|e| format!("{}: {}", stage_path.display(), io_words(&e)))?;
    let format = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["format"].as_str().map(str::to_string));
    if format.as_deref() != Some(STAGE_FORMAT) {
        return Err(format!(
            "{} is not in the format {STAGE_FORMAT} (it says {})",
            stage_path.display(),
            format.map_or_else(|| "nothing".to_string(), |f| format!("`{f}`"))
        ));
    }
    let stage: StageFile = serde_json::from_str(&text)
        .map_err(|e| format!("{} is damaged: {e}", stage_path.display()))?;
    Ok((meta, stage))
}

/// Whether `out` may receive a stage's outputs: a folder that does not
/// exist, or an empty folder. Nothing is ever replaced.
pub fn check_new_out_dir(out: &Path) -> Result<(), String> {
    let meta = match std::fs::symlink_metadata(out) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("{}: {}", out.display(), io_words(&e))),
    };
    let refuse = |why: &str| {
        Err(format!(
            "{}: {why}; --outputs must name a folder that does not exist or is empty, and mlp never replaces what is there",
            out.display()
        ))
    };
    if !meta.is_dir() {
        return refuse("exists and is not a folder");
    }
    let mut entries =
        std::fs::read_dir(out).map_err(|e| format!("{}: {}", out.display(), io_words(&e)))?;
    if entries.next().is_some() {
        return refuse("is not empty");
    }
    Ok(())
}

fn is_empty_dir(path: &Path) -> bool {
    std::fs::read_dir(path).is_ok_and(|mut entries| entries.next().is_none())
}

/// Writes a new folder `out` (see [`check_new_out_dir`]) with `write`: into
/// a temporary sibling renamed into place, so that `out` appears whole or
/// not at all. When `out` is an empty folder that cannot be replaced (a
/// volume's mount point, or a read-only parent), `write` writes into it
/// directly instead, each file through a temporary name.
pub fn write_new_dir<T>(
    out: &Path,
    write: impl Fn(&Path) -> Result<T, String>,
) -> Result<T, String> {
    check_new_out_dir(out)?;
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        sweep_stale_temps(parent);
        if !out.exists() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("{}: {}", parent.display(), io_words(&e)))?;
        }
    }
    let staged = match crate::files::create_temp_dir(out) {
        Ok(staging) => {
            let placed = write(&staging).and_then(|value| {
                std::fs::rename(&staging, out)
                    .map(|()| value)
                    .map_err(|e| format!("{}: {}", out.display(), io_words(&e)))
            });
            if placed.is_err() {
                let _ = std::fs::remove_dir_all(&staging);
            }
            placed
        }
        Err(e) => Err(format!("{}: {}", out.display(), io_words(&e))),
    };
    match staged {
        Ok(value) => Ok(value),
        Err(_) if is_empty_dir(out) => write(out),
        Err(message) => Err(message),
    }
}

/// Writes the outputs of a run into `out`, a folder that does not exist
/// or is empty (see [`write_new_dir`]).
pub fn write_run_new(outputs: &RunOutputs) -> Result<(), String> {
    write_new_dir(outputs.out, |dir| write_run_into(dir, outputs))
}

fn read_text(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cache entry {}: {} (run with --force to rebuild it)",
            path.display(),
            io_words(&e)
        )
    })
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, String> {
    serde_json::from_str(&read_text(path)?).map_err(|e| {
        format!(
            "cache entry {} is damaged: {e} (run with --force to rebuild it)",
            path.display()
        )
    })
}

/// The entry's `meta.json`, once every file it lists has the recorded size
/// and hash: a damaged or truncated entry is never read as a result.
pub fn verify(dir: &Path) -> Result<Meta, String> {
    let meta: Meta = read_json(&dir.join("meta.json"))?;
    verify_files(dir, &meta)?;
    Ok(meta)
}

/// Every file `meta` lists has the recorded size and hash.
fn verify_files(dir: &Path, meta: &Meta) -> Result<(), String> {
    for (name, sum) in &meta.files {
        let path = dir.join(name);
        let bytes = std::fs::metadata(&path)
            .map_err(|e| format!("{}: {}", path.display(), io_words(&e)))?
            .len();
        if bytes != sum.bytes {
            return Err(format!(
                "{} has {bytes} bytes, {} were written",
                path.display(),
                sum.bytes
            ));
        }
        let hash = hash_file(&path).map_err(|e| format!("{}: {}", path.display(), io_words(&e)))?;
        if hash != sum.hash {
            return Err(format!(
                "{} does not have the content that was written",
                path.display()
            ));
        }
    }
    Ok(())
}

pub fn read_model(dir: &Path) -> Result<ModelArtifact, String> {
    read_json(&dir.join("model.json"))
}

pub fn read_evaluation(dir: &Path) -> Result<Evaluation, String> {
    read_json(&dir.join("evaluation.json"))
}

/// A source's expectation results; none for other stages.
pub fn read_expectations(dir: &Path) -> Result<Vec<report::ExpectationResult>, String> {
    let path = dir.join("expectations.json");
    if path.is_file() {
        read_json(&path)
    } else {
        Ok(Vec::new())
    }
}

/// A source's data profile; none for other stages.
pub fn read_profile(dir: &Path) -> Result<Option<SourceProfile>, String> {
    let path = dir.join("profile.json");
    if path.is_file() {
        read_json(&path).map(Some)
    } else {
        Ok(None)
    }
}

pub fn read_states(dir: &Path) -> Result<TransformRecord, String> {
    read_json(&dir.join("states.json"))
}

fn read_parquet(path: &Path) -> Result<DataFrame, String> {
    let file = std::fs::File::open(path)
        .map_err(|e| format!("cache entry {}: {}", path.display(), io_words(&e)))?;
    let mut frame = ParquetReader::new(file).finish().map_err(|e| {
        format!(
            "cache entry {} is damaged: {e} (run with --force)",
            path.display()
        )
    })?;
    canonical_chunks(&mut frame);
    Ok(frame)
}

/// One chunk per column, whether a table comes from memory or from the
/// cache: polars sums chunk by chunk, so the same rows in other chunks
/// would give other last digits.
pub fn canonical_chunks(frame: &mut DataFrame) {
    frame.rechunk_mut_par();
}

pub fn read_table(dir: &Path, part: Option<&str>) -> Result<DataFrame, String> {
    match part {
        Some(part) => read_parquet(&dir.join(format!("{PART_PREFIX}{part}.parquet"))),
        None => read_parquet(&dir.join("table.parquet")),
    }
}

/// The parts of a split entry, or `None` when the entry holds one table.
pub fn read_parts(dir: &Path) -> Result<Option<BTreeMap<String, DataFrame>>, String> {
    let meta: Meta = read_json(&dir.join("meta.json"))?;
    if meta.files.contains_key("table.parquet") {
        return Ok(None);
    }
    let mut parts = BTreeMap::new();
    for name in meta.files.keys() {
        if let Some(part) = name
            .strip_prefix(PART_PREFIX)
            .and_then(|n| n.strip_suffix(".parquet"))
        {
            parts.insert(part.to_string(), read_parquet(&dir.join(name))?);
        }
    }
    Ok(Some(parts))
}

/// The row numbers of each part of a split entry, or `None` when the
/// entry holds its parts' tables (a split run alone, or another stage).
pub fn read_split_rows(dir: &Path) -> Result<Option<BTreeMap<String, Vec<IdxSize>>>, String> {
    let meta: Meta = read_json(&dir.join("meta.json"))?;
    let mut parts = BTreeMap::new();
    for name in meta.files.keys() {
        let Some(part) = name
            .strip_prefix(ROWS_PREFIX)
            .and_then(|n| n.strip_suffix(ROWS_SUFFIX))
        else {
            continue;
        };
        let path = dir.join(name);
        let bytes = std::fs::read(&path)
            .map_err(|e| format!("cache entry {}: {}", path.display(), io_words(&e)))?;
        const WIDTH: usize = std::mem::size_of::<IdxSize>();
        if bytes.len() % WIDTH != 0 {
            return Err(format!(
                "cache entry {} is damaged: {} bytes are not row numbers of {WIDTH} bytes (run with --force)",
                path.display(),
                bytes.len()
            ));
        }
        let rows = bytes
            .chunks_exact(WIDTH)
            .map(|b| {
                let mut word = [0u8; WIDTH];
                word.copy_from_slice(b);
                IdxSize::from_le_bytes(word)
            })
            .collect();
        parts.insert(part.to_string(), rows);
    }
    Ok((!parts.is_empty()).then_some(parts))
}

pub struct RunOutputs<'a> {
    pub out: &'a Path,
    pub run_id: &'a str,
    pub pipeline: &'a str,
    pub metrics: &'a Metrics,
    pub evaluations: &'a [Evaluation],
    pub models: &'a [ModelArtifact],
    pub gates: &'a [GateOutcome],
    pub stages: &'a [StageRecord],
    pub expectations: &'a [report::ExpectationResult],
    pub profiles: &'a [SourceProfile],
    pub graph_svg: Option<&'a str>,
}

#[derive(Serialize)]
struct MetricsFile<'a> {
    models: &'a Metrics,
    gates: &'a [GateOutcome],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    confusion_matrices: BTreeMap<String, &'a Confusion>,
    /// The per-group table of each evaluation that names a `groups`
    /// column, under the same key as its metrics in `models`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    groups: BTreeMap<String, &'a GroupTable>,
    /// Each classifier evaluation's classification report.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    per_class: BTreeMap<String, &'a report::PerClass>,
    /// Each regressor evaluation's residual summary.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    residuals: BTreeMap<String, &'a ResidualSummary>,
    /// The metrics each evaluation asked for that its rows do not define,
    /// with the reason.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    undefined: BTreeMap<String, &'a BTreeMap<String, String>>,
    /// Each cross-validated model's folds and per-fold metrics, by model.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    cv: BTreeMap<String, &'a CvReport>,
    /// Each searched model's candidates and their scores, by model.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    search: BTreeMap<String, &'a SearchRecord>,
}

/// The mark in `run.json` that says mlp wrote the folder, so that a later
/// `--out` onto it may replace it.
pub const RUN_FORMAT: &str = "mlp-run/1";

/// What mlp writes into a run folder, and nothing else.
const RUN_FILES: &[&str] = &["metrics.json", "run.json", "report.html", "models"];

#[derive(Serialize)]
struct RunFile<'a> {
    format: &'static str,
    run_id: &'a str,
    pipeline: &'a str,
    mlp_version: &'a str,
    stages: &'a [StageRecord],
}

/// Whether a run may be written to `out`: a folder that does not exist, an
/// empty one, or one that mlp wrote a run into and that holds nothing else.
/// Anything else belongs to the user and is never replaced.
pub fn check_out_dir(out: &Path) -> Result<(), String> {
    let meta = match std::fs::symlink_metadata(out) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("{}: {}", out.display(), io_words(&e))),
    };
    let refuse = |why: String| {
        Err(format!(
            "{}: {why}; mlp never replaces what it did not write: choose another --out, or empty or remove that folder yourself",
            out.display()
        ))
    };
    if !meta.is_dir() {
        return refuse("exists and is not a folder".into());
    }
    let names: Vec<String> = std::fs::read_dir(out)
        .map_err(|e| format!("{}: {}", out.display(), io_words(&e)))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    let marked = std::fs::read_to_string(out.join("run.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .is_some_and(|run| run["format"] == RUN_FORMAT);
    if !marked {
        return refuse("is a folder that mlp did not write a run into".into());
    }
    let mut foreign: Vec<String> = names
        .into_iter()
        .filter(|n| !RUN_FILES.contains(&n.as_str()))
        .collect();
    if let Ok(models) = std::fs::read_dir(out.join("models")) {
        foreign.extend(
            models
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.ends_with(".json"))
                .map(|n| format!("models/{n}")),
        );
    }
    if let Some(first) = foreign.first() {
        return refuse(format!(
            "holds a previous run, but also `{first}`, which mlp did not write"
        ));
    }
    Ok(())
}

/// Writes the outputs of a run into `out`, whole or not at all.
pub fn write_run(outputs: &RunOutputs) -> Result<(), String> {
    let out = outputs.out;
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        sweep_stale_temps(parent);
    }
    check_out_dir(out)?;
    let staging = crate::files::create_temp_dir(out)
        .map_err(|e| format!("{}: {}", out.display(), io_words(&e)))?;
    let result = write_run_into(&staging, outputs).and_then(|()| replace_dir(&staging, out));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn write_run_into(dir: &Path, outputs: &RunOutputs) -> Result<(), String> {
    std::fs::create_dir_all(dir.join("models"))
        .map_err(|e| format!("{}: {}", dir.display(), io_words(&e)))?;
    let confusion_matrices = outputs
        .evaluations
        .iter()
        .filter_map(|e| e.confusion.as_ref().map(|c| (e.name.clone(), c)))
        .collect();
    // Keyed as `run` keys `metrics`: the model, then `MODEL on TABLE` for
    // its later evaluations.
    let mut groups = BTreeMap::new();
    let mut per_class = BTreeMap::new();
    let mut residuals = BTreeMap::new();
    let mut undefined = BTreeMap::new();
    let mut seen = std::collections::BTreeSet::new();
    // A cross-validation is not the model's first evaluation (see `run`).
    for e in outputs.evaluations.iter().filter(|e| e.cv.is_none()) {
        let key = if seen.insert(e.name.as_str()) {
            e.name.clone()
        } else {
            format!("{} on {}", e.name, e.evaluated_on)
        };
        if let Some(table) = &e.groups {
            groups.insert(key.clone(), table);
        }
        if let Some(table) = &e.per_class {
            per_class.insert(key.clone(), table);
        }
        if let Some(summary) = &e.residual_summary {
            residuals.insert(key.clone(), summary);
        }
        if !e.undefined.is_empty() {
            undefined.insert(key, &e.undefined);
        }
    }
    write(
        &dir.join("metrics.json"),
        &json(&MetricsFile {
            models: outputs.metrics,
            gates: outputs.gates,
            confusion_matrices,
            groups,
            per_class,
            residuals,
            undefined,
            cv: outputs
                .evaluations
                .iter()
                .filter_map(|e| Some((e.name.clone(), e.cv.as_ref()?)))
                .collect(),
            search: outputs
                .models
                .iter()
                .filter_map(|m| Some((m.name.clone(), m.search.as_ref()?)))
                .collect(),
        })?,
    )?;
    // Each model file's hash, from the bytes written: the report's lineage
    // names the hash an approval is for.
    let mut model_hashes = BTreeMap::new();
    for model in outputs.models {
        let bytes = json(model)?;
        write(
            &dir.join("models").join(format!("{}.json", model.name)),
            &bytes,
        )?;
        model_hashes.insert(model.name.as_str(), hash_bytes(&bytes));
    }
    write(
        &dir.join("run.json"),
        &json(&RunFile {
            format: RUN_FORMAT,
            run_id: outputs.run_id,
            pipeline: outputs.pipeline,
            mlp_version: MLP_VERSION,
            stages: outputs.stages,
        })?,
    )?;
    write(
        &dir.join("report.html"),
        report::render(&report_data(outputs, &model_hashes)).as_bytes(),
    )
}

/// Moves `staging` to `target`, replacing what is there. Callers first
/// check that `target` is absent, empty or a folder mlp wrote
/// ([`check_out_dir`], the build's own check).
pub fn replace_dir(staging: &Path, target: &Path) -> Result<(), String> {
    let words = |e: std::io::Error| format!("{}: {}", target.display(), io_words(&e));
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(words)?;
    }
    if target.exists() {
        let old = temp_sibling(target);
        std::fs::rename(target, &old).map_err(words)?;
        std::fs::rename(staging, target).map_err(words)?;
        let _ = std::fs::remove_dir_all(old);
    } else {
        std::fs::rename(staging, target).map_err(words)?;
    }
    Ok(())
}

/// Points `.mlp/runs/latest` at the run `run_id`.
pub fn point_latest(root: &Path, run_id: &str) -> Result<(), String> {
    let latest = root.join("runs").join("latest");
    let words = |e: std::io::Error| format!("{}: {}", latest.display(), io_words(&e));
    let tmp: PathBuf = temp_sibling(&latest);
    #[cfg(unix)]
    std::os::unix::fs::symlink(run_id, &tmp).map_err(words)?;
    #[cfg(not(unix))]
    std::fs::write(&tmp, run_id).map_err(words)?;
    std::fs::rename(&tmp, &latest).map_err(words)
}

fn report_data(outputs: &RunOutputs, model_hashes: &BTreeMap<&str, String>) -> report::ReportData {
    let mut models = outputs.evaluations.to_vec();
    for model in &mut models {
        model.search = outputs
            .models
            .iter()
            .find(|m| m.name == model.name)
            .and_then(|m| m.search.clone());
    }
    let gates = outputs
        .gates
        .iter()
        .map(|g| report::GateResult {
            policy: g.policy.clone(),
            rule: format!("{} ({})", g.rule, g.model),
            severity: g.severity.clone(),
            evaluated: g.evaluated,
            passed: g.passed,
            value: g.value,
            bound: g
                .bound
                .map_or_else(|| "—".to_string(), |b| format!("{b:.4}")),
            message: g.message.clone().or_else(|| g.error.clone()),
        })
        .collect();
    let stages = outputs
        .stages
        .iter()
        .map(|s| report::StageReport {
            name: s.stage.clone(),
            kind: s.kind.as_str().to_string(),
            rows: s.rows,
            duration_ms: s.duration_ms,
            cached: s.cached,
            output_hash: s.output_hash.clone(),
        })
        .collect();
    report::ReportData {
        pipeline: outputs.pipeline.to_string(),
        run_id: outputs.run_id.to_string(),
        mlp_version: MLP_VERSION.to_string(),
        models,
        gates,
        stages,
        expectations: outputs.expectations.to_vec(),
        profiles: outputs.profiles.to_vec(),
        graph_svg: outputs.graph_svg.map(str::to_string),
        lineage: outputs
            .models
            .iter()
            .map(|m| report::Lineage {
                model: m.name.clone(),
                algorithm: m.algorithm.clone(),
                model_hash: model_hashes
                    .get(m.name.as_str())
                    .cloned()
                    .unwrap_or_default(),
                trained_on: m.trained_on.table.clone(),
                rows: m.trained_on.rows,
                data_hash: m.trained_on.hash.clone(),
                source_files: m
                    .source_files
                    .iter()
                    .map(|(path, hash)| (path.clone(), hash.clone()))
                    .collect(),
                evaluations: outputs
                    .evaluations
                    .iter()
                    .filter(|e| e.name == m.name)
                    .map(|e| e.evaluated_on.clone())
                    .collect(),
            })
            .collect(),
    }
}
