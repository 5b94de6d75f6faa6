//! What the documents read of a run: `run.json` (its id, the rows of every
//! stage), `metrics.json` (metrics, gates, confusion matrices, groups) and
//! the model artifacts under `models/` (training rows, source files, the
//! hash an approval names). See `crate::exec::artifacts` for the writer.

use crate::exec::artifacts::{TrainedOn, RUN_FORMAT};
use crate::exec::report::{Confusion, GroupTable};
use crate::files::io_words;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A run folder, read.
#[derive(Clone, Debug, Default)]
pub struct RunData {
    /// `run.json`'s `run_id`: `20261203-081200-88c96b03`.
    pub id: String,
    pub pipeline: String,
    /// Stage name (`evaluate scorer on prepared.test`) to its rows.
    pub rows: BTreeMap<String, Option<u64>>,
    pub metrics: MetricsFile,
    /// Model name to what its artifact says of its training.
    pub models: BTreeMap<String, Artifact>,
    /// Model name to the hash of `models/<name>.json`, as approvals record it.
    pub hashes: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct MetricsFile {
    #[serde(default)]
    pub models: BTreeMap<String, BTreeMap<String, f64>>,
    #[serde(default)]
    pub gates: Vec<GateRow>,
    #[serde(default)]
    pub confusion_matrices: BTreeMap<String, Confusion>,
    #[serde(default)]
    pub groups: BTreeMap<String, GroupTable>,
}

/// A gate outcome of `metrics.json`.
#[derive(Clone, Debug, Deserialize)]
pub struct GateRow {
    pub policy: String,
    pub model: String,
    pub rule: String,
    pub severity: String,
    #[serde(default = "yes")]
    pub evaluated: bool,
    pub passed: bool,
    pub value: Option<f64>,
    pub bound: Option<f64>,
    #[serde(default)]
    pub error: Option<String>,
}

fn yes() -> bool {
    true
}

/// The part of `models/<name>.json` the documents show.
#[derive(Clone, Debug, Deserialize)]
pub struct Artifact {
    pub trained_on: TrainedOn,
    #[serde(default)]
    pub source_files: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct RunFile {
    format: String,
    run_id: String,
    pipeline: String,
    #[serde(default)]
    stages: Vec<StageRow>,
}

#[derive(Deserialize)]
struct StageRow {
    stage: String,
    rows: Option<u64>,
}

impl RunData {
    /// The metrics key of the evaluation of `model` on `table`: the model's
    /// name for its first evaluation, `MODEL on TABLE` for a later one.
    pub fn metrics_key(&self, model: &str, table: &str) -> Option<String> {
        let later = format!("{model} on {table}");
        [later, model.to_string()]
            .into_iter()
            .find(|key| self.metrics.models.contains_key(key))
    }

    /// An error unless this is a run of the pipeline `name`.
    pub fn of_pipeline(&self, name: &str) -> Result<(), String> {
        if self.pipeline == name {
            return Ok(());
        }
        Err(format!(
            "run `{}` is a run of the pipeline `{}`, not of `{name}`",
            self.id, self.pipeline
        ))
    }

    /// `2026-12-03 08:12:00 UTC` from a run id made by `mlp run`.
    pub fn started(&self) -> Option<String> {
        let b = self.id.as_bytes();
        let digits = |r: std::ops::Range<usize>| {
            b.get(r.clone())
                .filter(|d| d.iter().all(u8::is_ascii_digit))
                .map(|_| &self.id[r])
        };
        if b.get(8) != Some(&b'-') {
            return None;
        }
        Some(format!(
            "{}-{}-{} {}:{}:{} UTC",
            digits(0..4)?,
            digits(4..6)?,
            digits(6..8)?,
            digits(9..11)?,
            digits(11..13)?,
            digits(13..15)?
        ))
    }
}

/// Reads the run folder `dir`. A folder that does not exist, or that is
/// not a run of mlp, is an error that names it.
pub fn load(dir: &Path) -> Result<RunData, String> {
    let shown = dir.display();
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return Err(format!(
                "{shown}: not a folder: --run names a run folder, such as .mlp/runs/latest"
            ))
        }
        Err(e) => {
            return Err(format!(
                "{shown}: {}: --run names a run folder, such as .mlp/runs/latest",
                io_words(&e)
            ))
        }
    }
    let read = |name: &str| -> Result<(PathBuf, String), String> {
        let path = dir.join(name);
        std::fs::read_to_string(&path)
            .map(|text| (path.clone(), text))
            .map_err(|e| format!("{}: {}", path.display(), io_words(&e)))
    };
    let not_a_run = || format!("{shown}: not a run of mlp (no run.json of format `{RUN_FORMAT}`)");
    let (_, text) = read("run.json").map_err(|_| not_a_run())?;
    let run: RunFile = serde_json::from_str(&text).map_err(|_| not_a_run())?;
    if run.format != RUN_FORMAT {
        return Err(not_a_run());
    }
    let (path, text) = read("metrics.json")?;
    let metrics: MetricsFile = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not the metrics of a run: {e}", path.display()))?;
    let hashes = crate::approvals::model_hashes(dir)?;
    let mut models = BTreeMap::new();
    for name in hashes.keys() {
        let (path, text) = read(&format!("models/{name}.json"))?;
        let artifact: Artifact = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a model artifact: {e}", path.display()))?;
        models.insert(name.clone(), artifact);
    }
    Ok(RunData {
        id: run.run_id,
        pipeline: run.pipeline,
        rows: run.stages.into_iter().map(|s| (s.stage, s.rows)).collect(),
        metrics,
        models,
        hashes,
    })
}

#[cfg(test)]
mod tests {
    use super::RunData;

    #[test]
    fn a_run_id_gives_its_start() {
        let run = |id: &str| RunData {
            id: id.into(),
            ..RunData::default()
        };
        assert_eq!(
            run("20261203-081200-88c96b03").started().as_deref(),
            Some("2026-12-03 08:12:00 UTC")
        );
        assert_eq!(run("nightly").started(), None);
        assert_eq!(run("2026x203-081200").started(), None);
    }
}
