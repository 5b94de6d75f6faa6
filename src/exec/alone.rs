//! One stage run alone, from the outputs of the stages it reads, as one
//! container of a workflow runs it (`mlp run FILE --stage NAME --inputs DIR
//! --outputs DIR`), and the step that collects the models and evaluations
//! of such runs into the outputs of a run (`mlp run FILE --collect --inputs
//! DIR --outputs DIR`). Neither reads nor writes the cache.
//!
//! `--inputs DIR` holds one folder per stage read, named by its slug
//! ([`stages::slugs`]): exactly the folder that stage's own `--outputs`
//! run wrote. Each is trusted only once its files match its `meta.json`
//! and its `stage.json` names the right stage, with the definition and the
//! param values this program gives that stage (docs/deploy.md).

use super::artifacts::{self, Lineage, StageFile, STAGE_FORMAT};
use super::cache::{KeyParts, Reason, MLP_VERSION};
use super::gates::{self, Metrics};
use super::report::ExpectationResult;
use super::run::{
    insert_metrics, no_such_stage, run_id_of, Computed, Event, Plan, PlannedStage, Project,
    RunError, RunSummary, Runner, StageRecord, Store,
};
use super::stages::{self, Stage, StageKind};
use crate::check::{BlockInfo, Program};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Why a stage run alone, or a collection, did not finish.
#[derive(Debug)]
pub enum AloneError {
    /// A usage or I/O error before anything ran: no such stage, a missing
    /// `--inputs` or input folder, an `--outputs` that is not empty
    /// (exit code 2).
    Usage(String),
    /// An input folder that is not the output the stage needs (damaged,
    /// of another stage, of another definition), or the stage itself
    /// failed (exit code 4).
    Failed(RunError),
}

impl std::fmt::Display for AloneError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AloneError::Usage(message) => f.write_str(message),
            AloneError::Failed(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for AloneError {}

fn failed(message: String) -> AloneError {
    AloneError::Failed(RunError {
        stage: None,
        message,
    })
}

/// What a stage run alone wrote.
#[derive(Clone, Debug)]
pub struct AloneSummary {
    pub stage: String,
    pub slug: String,
    pub out: PathBuf,
    pub key: String,
    pub files: usize,
}

/// The stages of the program and their slugs.
struct Layout {
    stages: Vec<Stage>,
    slugs: Vec<String>,
}

impl Layout {
    fn new(project: &Project) -> Layout {
        let stages = stages::stages(project.program);
        let slugs = stages::slugs(&stages);
        Layout { stages, slugs }
    }

    /// The folder of stage `index` under `inputs`, verified: complete, and
    /// the output of that stage as this program defines it.
    fn input(
        &self,
        project: &Project,
        inputs: &Path,
        index: usize,
    ) -> Result<(PathBuf, StageFile), AloneError> {
        let stage = &self.stages[index];
        let slug = &self.slugs[index];
        let dir = inputs.join(slug);
        if !dir.is_dir() {
            let what = if dir.exists() {
                "is not a folder"
            } else {
                "does not exist"
            };
            return Err(AloneError::Usage(format!(
                "{}: {what}; it must hold the outputs of the stage `{}` (its `--outputs` folder)",
                dir.display(),
                stage.name
            )));
        }
        let wrong = |what: String| {
            failed(format!(
                "input folder {} (the outputs of `{}`): {what}",
                dir.display(),
                stage.name
            ))
        };
        let (_, file) = artifacts::verify_stage_output(&dir).map_err(&wrong)?;
        if file.stage != stage.name || file.kind != stage.kind {
            return Err(wrong(format!(
                "it holds the outputs of the {} `{}`, not of the {} `{}`",
                file.kind.as_str(),
                file.stage,
                stage.kind.as_str(),
                stage.name
            )));
        }
        if file.mlp_version != MLP_VERSION || file.format != STAGE_FORMAT {
            return Err(wrong(format!(
                "it was written by mlp {}, this is mlp {MLP_VERSION}: run that stage again",
                file.mlp_version
            )));
        }
        let (definition, params) =
            stages::definition_parts(project.resolved, project.program, stage).map_err(failed)?;
        let changed: Vec<String> = file
            .parts
            .params
            .keys()
            .chain(params.keys())
            .filter(|name| file.parts.params.get(*name) != params.get(*name))
            .map(|name| {
                let shown = |v: Option<&String>| v.map_or("unset".to_string(), Clone::clone);
                format!(
                    "param `{name}` is {} there, {} here",
                    shown(file.parts.params.get(name)),
                    shown(params.get(name))
                )
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if !changed.is_empty() {
            return Err(wrong(changed.join("; ")));
        }
        if file.parts.definition != definition {
            return Err(wrong(format!(
                "the definition of `{}` changed since these outputs were written",
                stage.name
            )));
        }
        if file.parts.inputs.len() != stage.deps.len() {
            return Err(wrong(format!(
                "it was computed from {} input(s); `{}` reads {}",
                file.parts.inputs.len(),
                stage.name,
                stage.deps.len()
            )));
        }
        if file.parts.key() != file.key {
            return Err(wrong(format!(
                "its key {} is not the key of its key parts ({})",
                file.key,
                file.parts.key()
            )));
        }
        Ok((dir, file))
    }

    /// The position of a stage by name.
    fn index(&self, name: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.name == name)
    }
}

/// Key parts for the stages a run alone does not compute or read: never
/// looked at (the runner reads the others from their folders).
fn unknown_parts() -> KeyParts {
    KeyParts {
        definition: String::new(),
        files: BTreeMap::new(),
        params: BTreeMap::new(),
        inputs: Vec::new(),
    }
}

/// Runs the stage `name` alone: reads the folder of each stage it reads
/// under `inputs`, verifies it, computes the stage and writes its output
/// files, its `stage.json` and its `meta.json` into `outputs`, a folder
/// that does not exist or is empty. A source reads its data files.
pub fn run_stage(
    project: &Project,
    name: &str,
    inputs: Option<&Path>,
    outputs: &Path,
    events: &(dyn Fn(&Event) + Sync),
) -> Result<AloneSummary, AloneError> {
    artifacts::check_new_out_dir(outputs).map_err(AloneError::Usage)?;
    let layout = Layout::new(project);
    let index = layout
        .index(name)
        .ok_or_else(|| AloneError::Usage(no_such_stage(&layout.stages, name)))?;
    let stage = &layout.stages[index];
    events(&Event::Plan {
        stages: 1,
        to_run: 1,
    });
    let mut read: HashMap<usize, (PathBuf, StageFile)> = HashMap::new();
    if !stage.deps.is_empty() {
        let Some(inputs) = inputs else {
            let folders: Vec<String> = stage
                .deps
                .iter()
                .map(|d| format!("{}/ (`{}`)", layout.slugs[*d], layout.stages[*d].name))
                .collect();
            return Err(AloneError::Usage(format!(
                "the stage `{name}` reads other stages: give --inputs DIR, holding {}",
                folders.join(", ")
            )));
        };
        for &dep in &stage.deps {
            let (dir, file) = layout.input(project, inputs, dep)?;
            events(&Event::InputVerified {
                stage: file.stage.clone(),
                dir: dir.display().to_string(),
                key: file.key.clone(),
            });
            read.insert(dep, (dir, file));
        }
    }
    let (definition, params) =
        stages::definition_parts(project.resolved, project.program, stage).map_err(failed)?;
    let mut files = HashMap::new();
    let mut hashes = BTreeMap::new();
    if stage.kind == StageKind::Source {
        let paths = match project.data_files.get(&stage.block) {
            Some(Ok(paths)) => paths.clone(),
            Some(Err(problem)) => return Err(stage_failed(stage, problem.to_string())),
            None => return Err(stage_failed(stage, "the source names no data file".into())),
        };
        hashes = stages::file_hashes(&paths, &project.root).map_err(|e| stage_failed(stage, e))?;
        files.insert(index, paths);
    }
    let own = KeyParts {
        definition,
        files: hashes,
        params,
        inputs: stage.deps.iter().map(|d| read[d].1.key.clone()).collect(),
    };
    let key = own.key();
    let mut parts: Vec<KeyParts> = layout.stages.iter().map(|_| unknown_parts()).collect();
    for (dep, (_, file)) in &read {
        parts[*dep] = file.parts.clone();
    }
    parts[index] = own.clone();
    let plan = Plan {
        stages: layout.stages.clone(),
        parts,
        files,
        selected: vec![index],
        planned: vec![PlannedStage {
            stage: stage.name.clone(),
            kind: stage.kind,
            reason: Reason::Alone,
            key: key.clone(),
        }],
    };
    events(&Event::StageStarted {
        stage: stage.name.clone(),
        kind: stage.kind,
        reason: Reason::Alone,
    });
    let started = Instant::now();
    let runner = Runner::alone(project, &plan, Store::Inputs(&read), events);
    let computed = runner.compute_stage(index).map_err(AloneError::Failed)?;
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let lineage = |output_hash: &str, rows: Option<usize>| {
        lineage_of(
            project.program,
            &layout,
            index,
            &read,
            &own,
            &computed,
            StageRecord {
                stage: stage.name.clone(),
                kind: stage.kind,
                key: key.clone(),
                inputs: own.inputs.clone(),
                output_hash: output_hash.to_string(),
                rows,
                duration_ms,
                cached: false,
            },
        )
    };
    let meta = artifacts::write_new_dir(outputs, |dir| {
        artifacts::write_stage_output(
            dir,
            &computed.view(),
            computed.states.as_ref(),
            &computed.expectations,
            computed.profile.as_ref(),
            |output_hash, rows| StageFile {
                format: STAGE_FORMAT.to_string(),
                stage: stage.name.clone(),
                slug: layout.slugs[index].clone(),
                kind: stage.kind,
                mlp_version: MLP_VERSION.to_string(),
                key: key.clone(),
                parts: own.clone(),
                lineage: lineage(output_hash, rows),
            },
        )
    })
    .map_err(AloneError::Usage)?;
    events(&Event::StageFinished {
        stage: stage.name.clone(),
        kind: stage.kind,
        cached: false,
        rows: meta.rows,
        duration_ms,
    });
    events(&Event::Finished {
        out: outputs.display().to_string(),
        failed_gates: 0,
    });
    Ok(AloneSummary {
        stage: stage.name.clone(),
        slug: layout.slugs[index].clone(),
        out: outputs.to_path_buf(),
        key,
        files: meta.files.len(),
    })
}

fn stage_failed(stage: &Stage, message: String) -> AloneError {
    AloneError::Failed(RunError {
        stage: Some(stage.name.clone()),
        message,
    })
}

/// What the stage `index` passes on of its upstream: its inputs' lineage
/// and its own part.
fn lineage_of(
    program: &Program,
    layout: &Layout,
    index: usize,
    read: &HashMap<usize, (PathBuf, StageFile)>,
    own: &KeyParts,
    computed: &Computed,
    record: StageRecord,
) -> Lineage {
    let states = computed.states.as_ref();
    let expectations = &computed.expectations;
    let stage = &layout.stages[index];
    let input = |name: &str| {
        layout
            .index(name)
            .and_then(|i| read.get(&i))
            .map(|(_, file)| &file.lineage)
    };
    // As `Runner::lineage` walks the cache: a transform adds its steps to
    // those of its input, a split passes its input's on.
    let transforms = match &program.blocks[stage.block].info {
        BlockInfo::Transform(t) => {
            let mut chain = input(&t.input.block)
                .map(|l| l.transforms.clone())
                .unwrap_or_default();
            chain.extend(states.cloned());
            chain
        }
        BlockInfo::Split(s) => input(&s.input.block)
            .map(|l| l.transforms.clone())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let mut source_files = own.files.clone();
    let mut records: BTreeMap<usize, StageRecord> = BTreeMap::new();
    let mut checks: BTreeMap<(usize, usize), ExpectationResult> = BTreeMap::new();
    for &dep in &stage.deps {
        let Some((_, file)) = read.get(&dep) else {
            continue;
        };
        source_files.extend(file.lineage.source_files.clone());
        for r in &file.lineage.stages {
            if let Some(i) = layout.index(&r.stage) {
                records.entry(i).or_insert_with(|| r.clone());
            }
        }
        let mut seen: HashMap<usize, usize> = HashMap::new();
        for e in &file.lineage.expectations {
            if let Some(i) = layout.index(&e.source) {
                let n = seen.entry(i).or_insert(0);
                checks.entry((i, *n)).or_insert_with(|| e.clone());
                *n += 1;
            }
        }
    }
    records.insert(index, record);
    for (n, e) in expectations.iter().enumerate() {
        checks.insert((index, n), e.clone());
    }
    Lineage {
        transforms,
        source_files,
        stages: records.into_values().collect(),
        expectations: checks.into_values().collect(),
    }
}

/// Collects the outputs of every model and evaluate stage under `inputs`
/// (each verified as [`run_stage`] verifies its inputs, and all of one run:
/// an evaluation of the model beside it, stages upstream with one key)
/// into the outputs of a run in `outputs`: `metrics.json` with the gates,
/// `models/`, `run.json`, `report.html`.
pub fn collect(
    project: &Project,
    inputs: &Path,
    outputs: &Path,
    events: &(dyn Fn(&Event) + Sync),
) -> Result<RunSummary, AloneError> {
    artifacts::check_new_out_dir(outputs).map_err(AloneError::Usage)?;
    let layout = Layout::new(project);
    let collected: Vec<usize> = (0..layout.stages.len())
        .filter(|i| {
            matches!(
                layout.stages[*i].kind,
                StageKind::Model | StageKind::Evaluate
            )
        })
        .collect();
    let mut read: HashMap<usize, (PathBuf, StageFile)> = HashMap::new();
    for &index in &collected {
        let (dir, file) = layout.input(project, inputs, index)?;
        events(&Event::InputVerified {
            stage: file.stage.clone(),
            dir: dir.display().to_string(),
            key: file.key.clone(),
        });
        read.insert(index, (dir, file));
    }
    // One run: every stage upstream has one key across the folders.
    let mut records: BTreeMap<usize, (StageRecord, PathBuf)> = BTreeMap::new();
    let mut checks: BTreeMap<(usize, usize), ExpectationResult> = BTreeMap::new();
    for &index in &collected {
        let (dir, file) = &read[&index];
        for r in &file.lineage.stages {
            let Some(i) = layout.index(&r.stage) else {
                continue;
            };
            match records.get(&i) {
                Some((seen, other)) if seen.key != r.key => {
                    return Err(failed(format!(
                        "the input folders are not of one run: {} was computed from `{}` with the key {}, {} from `{}` with the key {}",
                        other.display(),
                        r.stage,
                        seen.key,
                        dir.display(),
                        r.stage,
                        r.key
                    )));
                }
                Some(_) => {}
                None => {
                    records.insert(i, (r.clone(), dir.clone()));
                }
            }
        }
        let mut seen: HashMap<usize, usize> = HashMap::new();
        for e in &file.lineage.expectations {
            if let Some(i) = layout.index(&e.source) {
                let n = seen.entry(i).or_insert(0);
                checks.entry((i, *n)).or_insert_with(|| e.clone());
                *n += 1;
            }
        }
    }
    let mut metrics: Metrics = BTreeMap::new();
    let mut models = Vec::new();
    let mut evaluations = Vec::new();
    for &index in &collected {
        let stage = &layout.stages[index];
        let (dir, _) = &read[&index];
        let read_failed = |e: String| stage_failed(stage, e);
        match stage.kind {
            StageKind::Model => models.push(artifacts::read_model(dir).map_err(read_failed)?),
            _ => {
                let evaluation = artifacts::read_evaluation(dir).map_err(read_failed)?;
                insert_metrics(&mut metrics, &evaluation);
                evaluations.push(evaluation);
            }
        }
    }
    let gates = gates::evaluate(project.resolved, project.program, &metrics, &evaluations);
    for gate in &gates {
        events(&Event::Gate(gate.clone()));
    }
    let stage_records: Vec<StageRecord> = records.into_values().map(|(r, _)| r).collect();
    let keys: Vec<String> = stage_records.iter().map(|r| r.key.clone()).collect();
    let run_id = run_id_of(&keys);
    let pipeline = project
        .program
        .pipeline
        .as_ref()
        .map_or_else(|| "pipeline".to_string(), |p| p.name.clone());
    let expectations: Vec<ExpectationResult> = checks.into_values().collect();
    artifacts::write_run_new(&artifacts::RunOutputs {
        out: outputs,
        run_id: &run_id,
        pipeline: &pipeline,
        metrics: &metrics,
        evaluations: &evaluations,
        models: &models,
        gates: &gates,
        stages: &stage_records,
        expectations: &expectations,
        // The sources' profiles stay in their stages' folders: a collected
        // report has none.
        profiles: &[],
        graph_svg: project.graph_svg.as_deref(),
    })
    .map_err(AloneError::Usage)?;
    let failed_gates = gates
        .iter()
        .filter(|g| g.failed() && g.severity == "error")
        .count();
    events(&Event::Finished {
        out: outputs.display().to_string(),
        failed_gates,
    });
    Ok(RunSummary {
        out: outputs.to_path_buf(),
        gates,
        metrics,
    })
}
