//! `mlp predict`: batch scoring of a file with a saved model, through the
//! same `Scorer` as `mlp serve`. The file is read by the source loader
//! (`exec::data`), so a bad value is reported with its line and column as
//! in a run.

use crate::check::types::{Column, ColumnType, Schema, Tags};
use crate::exec::data::{self, BadRows, Format, SourceSpec};
use crate::exec::models::Prediction;
use crate::exec::scoring::{Entry, Scored, Scorer};
use polars::prelude::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnError {
    /// The first bad row ends the command.
    Error,
    /// Bad rows are left out (counted, the first ones shown on stderr).
    Skip,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Csv,
    Parquet,
    Jsonl,
}

pub struct Request<'a> {
    pub input: &'a Path,
    pub out: Option<&'a Path>,
    pub format: Option<OutputFormat>,
    pub on_error: OnError,
    /// Leave the input's columns that the model does not read out of the output.
    pub drop_extra: bool,
    pub progress: bool,
    /// Where the rows enter the transforms (see `Scorer::entry`).
    pub at: Option<&'a str>,
}

/// What was written, for the summary line.
pub struct Summary {
    pub rows: usize,
    pub predicted: usize,
    pub skipped: Vec<String>,
    pub skipped_rows: usize,
    pub entry: String,
}

/// Rows scored per batch: the progress bar moves per batch, and memory
/// stays bounded by one batch's matrices.
const BATCH: usize = 100_000;

fn input_format(path: &Path) -> Result<Format, String> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => Ok(Format::Csv),
        Some("parquet") | Some("pq") => Ok(Format::Parquet),
        Some("jsonl") | Some("ndjson") => Ok(Format::Jsonl),
        _ => Err(format!(
            "{}: the input must be a .csv, .parquet or .jsonl file",
            path.display()
        )),
    }
}

/// The column names the file holds, read without its rows.
fn column_names(path: &Path, format: Format) -> Result<Vec<String>, String> {
    use std::io::BufRead;
    let fail = |e: PolarsError| format!("{}: {e}", path.display());
    crate::files::check_readable_file(path).map_err(|m| format!("{}: {m}", path.display()))?;
    let file = std::fs::File::open(path)
        .map_err(|e| format!("{}: {}", path.display(), crate::files::io_words(&e)))?;
    let mut first = String::new();
    if format != Format::Parquet {
        std::io::BufReader::new(&file)
            .read_line(&mut first)
            .map_err(|e| format!("{}: {}", path.display(), crate::files::io_words(&e)))?;
    }
    match format {
        Format::Csv => {
            let header = CsvReadOptions::default()
                .with_has_header(true)
                .with_raise_if_empty(false)
                .into_reader_with_file_handle(std::io::Cursor::new(
                    first.trim_start_matches('\u{feff}').as_bytes(),
                ))
                .finish()
                .map_err(fail)?;
            Ok(header
                .get_column_names()
                .iter()
                .map(|n| n.to_string())
                .collect())
        }
        Format::Parquet => {
            let schema = ParquetReader::new(file).schema().map_err(fail)?;
            Ok(schema.iter_names().map(|n| n.to_string()).collect())
        }
        Format::Jsonl => {
            let first = if first.trim().is_empty() {
                "{}"
            } else {
                first.as_str()
            };
            let record: serde_json::Map<String, serde_json::Value> = serde_json::from_str(first)
                .map_err(|e| format!("{}: line 1: {e}", path.display()))?;
            Ok(record.keys().cloned().collect())
        }
    }
}

fn output_format(request: &Request) -> Result<OutputFormat, String> {
    if let Some(format) = request.format {
        return Ok(format);
    }
    let Some(out) = request.out else {
        return Ok(OutputFormat::Csv);
    };
    match out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("parquet") | Some("pq") => Ok(OutputFormat::Parquet),
        Some("jsonl") | Some("ndjson") => Ok(OutputFormat::Jsonl),
        Some("csv") => Ok(OutputFormat::Csv),
        _ => Err(format!(
            "{}: say `--format csv|parquet|jsonl` or end the file name with one of them",
            out.display()
        )),
    }
}

/// The prediction columns: `prediction`, and `probability_<class>` for
/// each class of a classifier with probabilities.
fn prediction_columns(scorer: &Scorer, scored: &Scored) -> Vec<polars::prelude::Column> {
    let classes = scorer.classes();
    let mut out = vec![match &scored.prediction {
        Prediction::Classes(c) => Series::new(
            "prediction".into(),
            c.iter().map(|&i| classes[i].as_str()).collect::<Vec<_>>(),
        ),
        Prediction::Values(v) => Series::new("prediction".into(), v.as_slice()),
        Prediction::Clusters(c) => Series::new(
            "prediction".into(),
            c.iter().map(|&i| i as i64).collect::<Vec<_>>(),
        ),
    }
    .into_column()];
    if let Some(p) = &scored.probabilities {
        for (j, class) in classes.iter().enumerate() {
            out.push(
                Series::new(format!("probability_{class}").into(), p.column(j).to_vec())
                    .into_column(),
            );
        }
    }
    out
}

fn encode(frame: &mut DataFrame, format: OutputFormat) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    match format {
        OutputFormat::Csv => CsvWriter::new(&mut bytes).finish(frame),
        OutputFormat::Parquet => ParquetWriter::new(&mut bytes).finish(frame).map(|_| ()),
        OutputFormat::Jsonl => JsonWriter::new(&mut bytes)
            .with_json_format(JsonFormat::JsonLines)
            .finish(frame),
    }
    .map_err(|e| format!("cannot write the predictions: {e}"))?;
    Ok(bytes)
}

/// The schema the file is loaded with: the entry's columns it has, and
/// every other column as optional text (passed through).
fn load_schema(names: &[String], entry: &Entry) -> Schema {
    Schema {
        columns: names
            .iter()
            .map(|n| {
                entry
                    .schema
                    .get(n)
                    .cloned()
                    .unwrap_or_else(|| Column::new(n.as_str(), ColumnType::Str, true, Tags::new()))
            })
            .collect(),
    }
}

pub fn predict(scorer: &Scorer, request: &Request) -> Result<Summary, String> {
    let format = input_format(request.input)?;
    let output = output_format(request)?;
    let names = column_names(request.input, format)?;
    let present: BTreeSet<&str> = names.iter().map(String::as_str).collect();
    let entry = scorer
        .entry(request.at)
        .map_err(|e| format!("{}: {e}", request.input.display()))?;
    let missing = scorer.missing(entry, &present);
    if !missing.is_empty() {
        return Err(format!(
            "{}: the model `{}` needs the column(s) {} of `{}`{}",
            request.input.display(),
            scorer.artifact.name,
            missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", "),
            entry.at,
            if request.at.is_none() {
                " (its source; rows of a later table are read with `--at TRANSFORM`)"
            } else {
                ""
            }
        ));
    }
    let mut spec = SourceSpec::new(
        request.input.display().to_string(),
        format,
        vec![request.input.to_path_buf()],
        load_schema(&names, entry),
    );
    spec.null_values = scorer.artifact.input.null_values.clone();
    if request.on_error == OnError::Skip {
        spec.on_bad_rows = BadRows::Drop;
    }
    let loaded = data::load(&spec).map_err(|e| e.to_string())?;
    let mut skipped: Vec<String> = loaded
        .bad_rows_sample
        .iter()
        .map(|b| {
            let at = match (b.line, b.row) {
                (Some(line), _) => format!("line {line}"),
                (None, Some(row)) => format!("row {row}"),
                _ => "a row".into(),
            };
            format!(
                "{at}, column `{}`: {}",
                b.column.as_deref().unwrap_or("?"),
                b.message
            )
        })
        .collect();
    let mut skipped_rows = loaded.dropped_rows;
    let frame = if request.drop_extra {
        let keep: Vec<&str> = names
            .iter()
            .filter(|n| entry.schema.get(n).is_some())
            .map(String::as_str)
            .collect();
        loaded.frame.select(keep).map_err(|e| e.to_string())?
    } else {
        loaded.frame
    };
    for reserved in ["prediction"]
        .iter()
        .map(|s| s.to_string())
        .chain(scorer.classes().iter().map(|c| format!("probability_{c}")))
    {
        if frame.column(&reserved).is_ok() {
            return Err(format!(
                "{}: the input has a column `{reserved}`, which the output needs for the predictions (`--drop-extra` leaves it out if the model does not read it)",
                request.input.display()
            ));
        }
    }
    let rows = frame.height();
    let bar = (request.progress && rows > BATCH).then(|| {
        let bar = indicatif::ProgressBar::new(rows as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut parts: Vec<DataFrame> = Vec::new();
    let mut offset = 0;
    while offset < rows || (rows == 0 && parts.is_empty()) {
        let batch = frame.slice(offset as i64, BATCH);
        let scored = scorer.score(&batch, entry)?;
        if let Some((row, reason)) = scored.rejected.first() {
            let at = offset + row + 1;
            let line = if format == Format::Csv {
                format!(" (line {})", at + 1)
            } else {
                String::new()
            };
            match request.on_error {
                OnError::Error => {
                    return Err(format!(
                        "{}: row {at}{line}: {reason} ({} row(s) of this batch cannot be scored; `--on-error skip` leaves them out)",
                        request.input.display(),
                        scored.rejected.len()
                    ))
                }
                OnError::Skip => {
                    for (row, reason) in &scored.rejected {
                        if skipped.len() < data::MAX_SAMPLES {
                            skipped.push(format!("row {}: {reason}", offset + row + 1));
                        }
                    }
                    skipped_rows += scored.rejected.len();
                }
            }
        }
        let kept: Vec<IdxSize> = scored.kept.iter().map(|&i| i as IdxSize).collect();
        let mut part = batch
            .take(&IdxCa::from_vec("kept".into(), kept))
            .map_err(|e| e.to_string())?;
        for column in prediction_columns(scorer, &scored) {
            part.with_column(column).map_err(|e| e.to_string())?;
        }
        parts.push(part);
        offset += BATCH;
        if let Some(bar) = &bar {
            bar.set_position(offset.min(rows) as u64);
        }
        if rows == 0 {
            break;
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let mut parts = parts.into_iter();
    let mut all = parts.next().unwrap_or_default();
    for part in parts {
        all.vstack_mut(&part).map_err(|e| e.to_string())?;
    }
    let predicted = all.height();
    let bytes = encode(&mut all, output)?;
    match request.out {
        Some(out) => crate::files::write_atomic(out, &bytes)
            .map_err(|e| format!("{}: {}", out.display(), crate::files::io_words(&e)))?,
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(&bytes)
                .map_err(|e| format!("cannot write the predictions: {e}"))?
        }
    }
    Ok(Summary {
        rows: rows + loaded.dropped_rows,
        predicted,
        skipped,
        skipped_rows,
        entry: entry.at.clone(),
    })
}

/// The model file a path names: a model file, a folder with one (or the
/// `models/` of a run folder), or, with `name`, `NAME.json` in it.
pub fn model_file(path: &Path, name: Option<&str>) -> Result<PathBuf, String> {
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    let run_models = path.join("models");
    let dir = if run_models.is_dir() {
        run_models
    } else {
        path.to_path_buf()
    };
    let entries = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {}", dir.display(), crate::files::io_words(&e)))?;
    let mut models: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json") && p.is_file())
        .collect();
    models.sort();
    if let Some(name) = name {
        return models
            .into_iter()
            .find(|p| p.file_stem().is_some_and(|s| s == name))
            .ok_or_else(|| format!("{}: no model `{name}` (no `{name}.json`)", dir.display()));
    }
    match models.len() {
        1 => Ok(models.remove(0)),
        0 => Err(format!(
            "{}: no model file (`NAME.json`) here",
            dir.display()
        )),
        _ => Err(format!(
            "{}: several models ({}); choose one with `--model NAME`",
            dir.display(),
            models
                .iter()
                .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The model's metrics from the run it was saved by (`metrics.json` beside
/// `models/`, or beside the model file), for `/v1/model`.
pub fn training_metrics(model_file: &Path, model: &str) -> Option<serde_json::Value> {
    let folder = model_file.parent()?;
    let candidates = [
        folder.join("metrics.json"),
        folder.parent()?.join("metrics.json"),
    ];
    let text = candidates
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())?;
    let metrics: serde_json::Value = serde_json::from_str(&text).ok()?;
    metrics
        .get("models")
        .and_then(|m| m.get(model))
        .cloned()
        .or_else(|| metrics.get(model).cloned())
}
