//! `mlp run` and `mlp plan`: the stages of a checked program, run in
//! dependency order, independent stages in parallel, each reused from the
//! cache when nothing it depends on changed. A table is dropped from memory
//! once every stage that reads it is done.

use super::artifacts::{self, Evaluation, ModelArtifact, StageFile, StepRecord, TransformRecord};
use super::cache::{Cache, KeyParts, Reason};
use super::data::{self, BadRows, Format, SourceSpec};
use super::expect::{self, ExpectOutcome};
use super::gates::{self, GateOutcome, Metrics};
use super::ops::{self, FitState, StepCtx};
use super::profile::{self, SourceProfile};
use super::stages::{self, Stage, StageKind};
use super::writer::{self, Writes};
use super::{learn, lower, report, split};
use crate::check::types::{Schema, Value};
use crate::check::{BlockInfo, Program, TableRef};
use crate::resolve::Resolved;
use crate::syntax::ast;
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

mod cv;
mod search;

/// What a run needs from the front end: the checked program and its modules.
pub struct Project<'a> {
    pub resolved: &'a Resolved,
    pub program: &'a Program,
    /// The folder of the entry file: `.mlp/` lives in it.
    pub root: PathBuf,
    /// Each source block's data files (by index in `program.blocks`), as
    /// the driver found them inside the project root.
    pub data_files: &'a crate::files::DataFiles,
    /// The pipeline's dependency graph drawn as SVG, for the report.
    pub graph_svg: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub force: bool,
    /// Run this stage and the stages it needs, nothing else.
    pub stage: Option<String>,
    pub jobs: usize,
    /// Where to write the run's outputs; default `.mlp/runs/<run-id>/`.
    pub out: Option<PathBuf>,
}

/// Progress of a run, for the CLI to show.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Plan {
        stages: usize,
        to_run: usize,
    },
    StageStarted {
        stage: String,
        kind: StageKind,
        reason: Reason,
    },
    StageFinished {
        stage: String,
        kind: StageKind,
        cached: bool,
        rows: Option<usize>,
        duration_ms: f64,
    },
    Expectation {
        source: String,
        expectation: String,
        passed: bool,
        detail: String,
    },
    /// A cache entry failed its check and is rebuilt.
    CacheDamaged {
        stage: String,
        detail: String,
    },
    /// A stage run alone found the output of a stage it reads in `dir`,
    /// complete, and of that stage with the key `key`.
    InputVerified {
        stage: String,
        dir: String,
        key: String,
    },
    /// A metric an evaluation asked for that its rows do not define.
    Undefined {
        model: String,
        evaluated_on: String,
        metric: String,
        reason: String,
    },
    Gate(GateOutcome),
    Finished {
        out: String,
        failed_gates: usize,
    },
}

#[derive(Debug)]
pub struct RunError {
    pub stage: Option<String>,
    pub message: String,
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.stage {
            Some(stage) => write!(f, "stage `{stage}`: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for RunError {}

fn fail(stage: &Stage, message: impl Into<String>) -> RunError {
    RunError {
        stage: Some(stage.name.clone()),
        message: message.into(),
    }
}

fn io_fail(stage: &Stage, path: &Path, error: std::io::Error) -> RunError {
    fail(
        stage,
        format!("{}: {}", path.display(), crate::files::io_words(&error)),
    )
}

#[derive(Clone, Debug, Serialize)]
pub struct PlannedStage {
    pub stage: String,
    pub kind: StageKind,
    pub reason: Reason,
    #[serde(skip)]
    pub key: String,
}

/// The stages, their keys, and why each will or will not run.
pub struct Plan {
    pub stages: Vec<Stage>,
    pub parts: Vec<KeyParts>,
    pub files: HashMap<usize, Vec<PathBuf>>,
    /// The stages this run covers, in order.
    pub selected: Vec<usize>,
    pub planned: Vec<PlannedStage>,
}

pub fn plan(project: &Project, options: &RunOptions) -> Result<Plan, RunError> {
    let program = project.program;
    let stages = stages::stages(program);
    let mut files = HashMap::new();
    for (index, stage) in stages.iter().enumerate() {
        if stage.kind == StageKind::Source {
            let paths = match project.data_files.get(&stage.block) {
                Some(Ok(paths)) => paths.clone(),
                Some(Err(problem)) => return Err(fail(stage, problem.to_string())),
                None => return Err(fail(stage, "the source names no data file")),
            };
            files.insert(index, paths);
        }
    }
    let parts = stages::key_parts(project.resolved, program, &stages, &files, &project.root)
        .map_err(|message| RunError {
            stage: None,
            message,
        })?;
    let selected = match &options.stage {
        Some(name) => stages::with_ancestors(&stages, name).ok_or_else(|| RunError {
            stage: None,
            message: no_such_stage(&stages, name),
        })?,
        None => (0..stages.len()).collect(),
    };
    let cache = Cache::new(&project.root);
    let planned = selected
        .iter()
        .map(|&i| PlannedStage {
            stage: stages[i].name.clone(),
            kind: stages[i].kind,
            reason: cache.reason(&stages[i].name, &parts[i], options.force),
            key: parts[i].key(),
        })
        .collect();
    Ok(Plan {
        stages,
        parts,
        files,
        selected,
        planned,
    })
}

/// `there is no stage `NAME` (did you mean …?); stages: …`.
pub(super) fn no_such_stage(stages: &[Stage], name: &str) -> String {
    let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
    let hint = crate::diagnostics::did_you_mean(name, names.iter().copied())
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    format!(
        "there is no stage `{name}`{hint}; stages: {}",
        names.join(", ")
    )
}

/// Adds an evaluation's metrics under its model's name, or `MODEL on
/// TABLE` when the model was evaluated before.
///
/// A cross-validation's metrics (`cv.accuracy.mean`, ...) join the model's
/// own, where gates read them: a model has at most one (on its training
/// table), and it does not count as the model's first evaluation.
pub(super) fn insert_metrics(metrics: &mut Metrics, evaluation: &Evaluation) {
    let evaluated = metrics
        .get(&evaluation.name)
        .is_some_and(|m| m.keys().any(|k| !k.starts_with("cv.")));
    let key = if evaluated && evaluation.cv.is_none() {
        format!("{} on {}", evaluation.name, evaluation.evaluated_on)
    } else {
        evaluation.name.clone()
    };
    metrics
        .entry(key)
        .or_default()
        .extend(evaluation.metrics.clone());
}

/// What a stage produced, in memory.
#[derive(Clone)]
pub(super) enum Output {
    Table(DataFrame),
    /// A split, or a transform of a split: one frame per part.
    Parts(BTreeMap<String, DataFrame>),
    Model(Box<ModelArtifact>),
    Evaluation(Box<Evaluation>),
}

/// A stage's output with what is stored beside it in its cache entry.
pub(super) struct Computed {
    pub(super) output: Output,
    /// A transform's steps with their fitted state.
    pub(super) states: Option<TransformRecord>,
    /// A source's data expectations.
    pub(super) expectations: Vec<report::ExpectationResult>,
    /// A split's row numbers per part: what its cache entry stores.
    pub(super) rows: Option<BTreeMap<String, Vec<IdxSize>>>,
    /// A source's data profile.
    pub(super) profile: Option<SourceProfile>,
}

impl Computed {
    pub(super) fn view(&self) -> artifacts::OutputView<'_> {
        output_view(&self.output)
    }
}

/// What `run.json` records of each stage.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StageRecord {
    pub stage: String,
    pub kind: StageKind,
    pub key: String,
    pub inputs: Vec<String>,
    pub output_hash: String,
    pub rows: Option<usize>,
    pub duration_ms: f64,
    pub cached: bool,
}

pub struct RunSummary {
    pub out: PathBuf,
    pub gates: Vec<GateOutcome>,
    pub metrics: Metrics,
}

impl RunSummary {
    /// Gates of severity `error` that did not pass: they fail the run.
    pub fn failed_error_gates(&self) -> Vec<&GateOutcome> {
        self.gates
            .iter()
            .filter(|g| g.failed() && g.severity == "error")
            .collect()
    }
}

/// Where a run reads the outputs of the stages it does not compute.
pub(super) enum Store<'a> {
    /// The project's cache, `.mlp/cache/` (`mlp run`).
    Cache,
    /// The folder of each stage it reads, by stage index, with its
    /// verified `stage.json` (`mlp run --stage NAME --inputs DIR`).
    Inputs(&'a HashMap<usize, (PathBuf, StageFile)>),
}

pub(super) struct Runner<'a> {
    project: &'a Project<'a>,
    plan: &'a Plan,
    cache: Cache,
    store: Store<'a>,
    params: BTreeMap<String, Value>,
    outputs: Mutex<HashMap<usize, Output>>,
    /// For each stage, how many selected stages that read it have not finished.
    readers_left: Mutex<HashMap<usize, usize>>,
    records: Mutex<Vec<(usize, StageRecord)>>,
    expectations: Mutex<Vec<(usize, report::ExpectationResult)>>,
    profiles: Mutex<Vec<(usize, SourceProfile)>>,
    /// The cache entries being written while later stages run.
    writes: Arc<Writes>,
    events: &'a (dyn Fn(&Event) + Sync),
}

pub fn run(
    project: &Project,
    options: &RunOptions,
    events: &(dyn Fn(&Event) + Sync),
) -> Result<RunSummary, RunError> {
    let plan = plan(project, options)?;
    let cache = Cache::new(&project.root);
    for dir in ["cache", "runs", "state"] {
        crate::files::sweep_stale_temps(&cache.root().join(dir));
    }
    let to_run = plan.planned.iter().filter(|p| p.reason.will_run()).count();
    events(&Event::Plan {
        stages: plan.planned.len(),
        to_run,
    });
    let runner = Runner {
        project,
        plan: &plan,
        cache: Cache::new(&project.root),
        store: Store::Cache,
        params: lower::params(project.program),
        outputs: Mutex::new(HashMap::new()),
        readers_left: Mutex::new(readers(&plan)),
        records: Mutex::new(Vec::new()),
        expectations: Mutex::new(Vec::new()),
        profiles: Mutex::new(Vec::new()),
        writes: Arc::default(),
        events,
    };
    let scheduled = schedule(&plan, options.jobs.max(1), |i| runner.run_stage(i));
    // Even a failed run lets its writes finish: each is a whole entry.
    let written = runner.writes.wait_all();
    scheduled?;
    runner.finish(options, written?)
}

/// How many selected stages read each stage.
fn readers(plan: &Plan) -> HashMap<usize, usize> {
    let mut readers = HashMap::new();
    for &i in &plan.selected {
        for &d in &plan.stages[i].deps {
            *readers.entry(d).or_insert(0) += 1;
        }
    }
    readers
}

/// Runs the selected stages on `jobs` threads, each as soon as the stages
/// it reads are done; stops starting new ones after the first failure.
///
/// Plain threads, not a rayon pool: polars runs its work on its own rayon
/// pool, and a rayon worker waiting on another pool steals work from its
/// own, so it would start a second stage and `--jobs 1` would not mean one
/// stage at a time.
fn schedule(
    plan: &Plan,
    jobs: usize,
    run: impl Fn(usize) -> Result<(), RunError> + Sync,
) -> Result<(), RunError> {
    struct State {
        ready: VecDeque<usize>,
        waiting: HashMap<usize, usize>,
        running: usize,
        error: Option<RunError>,
    }
    let selected: HashSet<usize> = plan.selected.iter().copied().collect();
    let mut dependents: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut state = State {
        ready: VecDeque::new(),
        waiting: HashMap::new(),
        running: 0,
        error: None,
    };
    for &i in &plan.selected {
        let deps: Vec<usize> = plan.stages[i]
            .deps
            .iter()
            .copied()
            .filter(|d| selected.contains(d))
            .collect();
        for &d in &deps {
            dependents.entry(d).or_default().push(i);
        }
        if deps.is_empty() {
            state.ready.push_back(i);
        } else {
            state.waiting.insert(i, deps.len());
        }
    }
    let state = Mutex::new(state);
    let wake = Condvar::new();
    let lock = || state.lock().unwrap_or_else(|e| e.into_inner());
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(plan.selected.len()).max(1) {
            // Lowering a long expression to polars recurses per term: a
            // stage gets the stack the front end has.
            let worker = std::thread::Builder::new().stack_size(crate::STACK_SIZE);
            let spawned = worker.spawn_scoped(scope, || loop {
                let next = {
                    let mut s = lock();
                    loop {
                        if s.error.is_some() {
                            return;
                        }
                        if let Some(i) = s.ready.pop_front() {
                            s.running += 1;
                            break i;
                        }
                        if s.running == 0 {
                            return;
                        }
                        s = wake.wait(s).unwrap_or_else(|e| e.into_inner());
                    }
                };
                let result = run(next);
                let mut s = lock();
                s.running -= 1;
                match result {
                    Ok(()) => {
                        for &d in dependents.get(&next).into_iter().flatten() {
                            if let Some(count) = s.waiting.get_mut(&d) {
                                *count -= 1;
                                if *count == 0 {
                                    s.waiting.remove(&d);
                                    s.ready.push_back(d);
                                }
                            }
                        }
                    }
                    Err(error) => {
                        s.error.get_or_insert(error);
                    }
                }
                wake.notify_all();
            });
            if let Err(error) = spawned {
                lock().error.get_or_insert(RunError {
                    stage: None,
                    message: format!("cannot start a worker thread: {error}"),
                });
            }
        }
    });
    match state.into_inner().unwrap_or_else(|e| e.into_inner()).error {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

impl<'a> Runner<'a> {
    /// A runner that computes single stages of `plan`, reading the stages
    /// they depend on from `store`; it writes nothing by itself.
    pub(super) fn alone(
        project: &'a Project<'a>,
        plan: &'a Plan,
        store: Store<'a>,
        events: &'a (dyn Fn(&Event) + Sync),
    ) -> Runner<'a> {
        Runner {
            project,
            plan,
            cache: Cache::new(&project.root),
            store,
            params: lower::params(project.program),
            outputs: Mutex::new(HashMap::new()),
            readers_left: Mutex::new(HashMap::new()),
            records: Mutex::new(Vec::new()),
            expectations: Mutex::new(Vec::new()),
            profiles: Mutex::new(Vec::new()),
            writes: Arc::default(),
            events,
        }
    }

    /// Computes the stage `index` from its inputs, tables in one chunk per
    /// column as they would be stored.
    pub(super) fn compute_stage(&self, index: usize) -> Result<Computed, RunError> {
        let mut computed = self.compute(&self.plan.stages[index], index)?;
        canonical(&mut computed.output);
        Ok(computed)
    }

    fn program(&self) -> &Program {
        self.project.program
    }

    /// The folder that holds the output of stage `index`: its cache entry,
    /// or the input folder it was given.
    fn entry(&self, index: usize) -> Result<PathBuf, RunError> {
        match &self.store {
            Store::Cache => Ok(self.cache.entry(&self.plan.parts[index].key())),
            Store::Inputs(inputs) => inputs
                .get(&index)
                .map(|(dir, _)| dir.clone())
                .ok_or_else(|| self.not_an_input(index)),
        }
    }

    fn not_an_input(&self, index: usize) -> RunError {
        RunError {
            stage: None,
            message: format!(
                "the stage `{}` is not among the inputs",
                self.plan.stages[index].name
            ),
        }
    }

    fn run_stage(&self, index: usize) -> Result<(), RunError> {
        let stage = &self.plan.stages[index];
        let parts = &self.plan.parts[index];
        let key = parts.key();
        let planned = self
            .plan
            .planned
            .iter()
            .find(|p| p.stage == stage.name)
            .map_or(Reason::NotCached, |p| p.reason.clone());
        let started = Instant::now();
        let mut cached = !planned.will_run();
        // The output hash of a stage built now is known once its entry is
        // written, and filled in by `finish`.
        let (rows, output_hash, output) = if cached {
            let entry = self.cache.entry(&key);
            match artifacts::verify(&entry) {
                Ok(meta) => {
                    let expectations =
                        artifacts::read_expectations(&entry).map_err(|e| fail(stage, e))?;
                    self.record_expectations(index, expectations);
                    let profile = artifacts::read_profile(&entry).map_err(|e| fail(stage, e))?;
                    self.record_profile(index, profile);
                    (meta.rows, meta.output_hash, None)
                }
                Err(damage) => {
                    (self.events)(&Event::CacheDamaged {
                        stage: stage.name.clone(),
                        detail: damage,
                    });
                    std::fs::remove_dir_all(&entry).map_err(|e| io_fail(stage, &entry, e))?;
                    cached = false;
                    self.build(stage, index, Reason::CacheDamaged)?
                }
            }
        } else {
            self.build(stage, index, planned)?
        };
        if let Some(output) = output {
            self.lock_outputs().insert(index, output);
        }
        let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        (self.events)(&Event::StageFinished {
            stage: stage.name.clone(),
            kind: stage.kind,
            cached,
            rows,
            duration_ms,
        });
        let record = StageRecord {
            stage: stage.name.clone(),
            kind: stage.kind,
            key,
            inputs: parts.inputs.clone(),
            output_hash,
            rows,
            duration_ms,
            cached,
        };
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((index, record));
        self.release_inputs(stage);
        Ok(())
    }

    /// Computes a stage and starts storing it in the cache: its rows, no
    /// output hash yet (see [`writer`]), and its output.
    fn build(
        &self,
        stage: &Stage,
        index: usize,
        reason: Reason,
    ) -> Result<(Option<usize>, String, Option<Output>), RunError> {
        (self.events)(&Event::StageStarted {
            stage: stage.name.clone(),
            kind: stage.kind,
            reason,
        });
        let Computed {
            output,
            states,
            expectations,
            rows,
            profile,
        } = self.compute_stage(index)?;
        let count = output_view(&output).rows();
        let stored = match (rows, stage.kind) {
            (Some(rows), _) => writer::Stored::Rows(rows),
            (None, StageKind::Source | StageKind::Transform) => writer::Stored::Recomputed(count),
            (None, _) => writer::Stored::Output(output.clone()),
        };
        self.writes.start(writer::Entry {
            index,
            stage: stage.name.clone(),
            project: self.project.root.clone(),
            parts: self.plan.parts[index].clone(),
            stored,
            states,
            expectations: expectations.clone(),
            profile: profile.clone(),
        })?;
        self.record_expectations(index, expectations);
        self.record_profile(index, profile);
        Ok((Some(count), String::new(), Some(output)))
    }

    /// Drops the tables no remaining stage reads; models and evaluations
    /// stay, the run's outputs are made of them.
    fn release_inputs(&self, stage: &Stage) {
        let mut left = self.readers_left.lock().unwrap_or_else(|e| e.into_inner());
        for &dep in &stage.deps {
            let Some(count) = left.get_mut(&dep) else {
                continue;
            };
            *count -= 1;
            let is_table = matches!(
                self.plan.stages[dep].kind,
                StageKind::Source | StageKind::Transform | StageKind::Split
            );
            if *count == 0 && is_table {
                self.lock_outputs().remove(&dep);
            }
        }
    }

    fn record_profile(&self, index: usize, profile: Option<SourceProfile>) {
        if let Some(profile) = profile {
            let mut all = self.profiles.lock().unwrap_or_else(|e| e.into_inner());
            all.push((index, profile));
        }
    }

    fn record_expectations(&self, index: usize, results: Vec<report::ExpectationResult>) {
        let mut all = self.expectations.lock().unwrap_or_else(|e| e.into_inner());
        all.extend(results.into_iter().map(|r| (index, r)));
    }

    fn lock_outputs(&self) -> std::sync::MutexGuard<'_, HashMap<usize, Output>> {
        self.outputs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The output of a stage this run depends on: from memory when it ran
    /// in this run, otherwise from its cache entry. Kept in memory while a
    /// stage that reads it has not finished (a cached split read for its
    /// parts has none left: its input is not kept).
    fn output(&self, index: usize) -> Result<Output, RunError> {
        if let Some(output) = self.lock_outputs().get(&index) {
            return Ok(output.clone());
        }
        let output = self.load(index)?;
        let wanted = match self.store {
            Store::Cache => self
                .readers_left
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&index)
                .is_some_and(|left| *left > 0),
            Store::Inputs(_) => true,
        };
        if wanted {
            self.lock_outputs().insert(index, output.clone());
        }
        Ok(output)
    }

    /// The output of stage `index` read from where the run keeps it.
    fn load(&self, index: usize) -> Result<Output, RunError> {
        let stage = &self.plan.stages[index];
        self.writes.wait(index)?;
        let entry = self.entry(index)?;
        let cache = matches!(self.store, Store::Cache);
        let output = match stage.kind {
            StageKind::Source if cache => self.source_again(stage, index)?,
            StageKind::Transform if cache => self.transform_again(stage, &entry)?,
            StageKind::Split if cache => self.split_from_rows(stage, &entry)?,
            StageKind::Source => {
                Output::Table(artifacts::read_table(&entry, None).map_err(|e| fail(stage, e))?)
            }
            StageKind::Transform | StageKind::Split => {
                match artifacts::read_parts(&entry).map_err(|e| fail(stage, e))? {
                    Some(parts) => Output::Parts(parts),
                    None => Output::Table(
                        artifacts::read_table(&entry, None).map_err(|e| fail(stage, e))?,
                    ),
                }
            }
            StageKind::Model => Output::Model(Box::new(
                artifacts::read_model(&entry).map_err(|e| fail(stage, e))?,
            )),
            StageKind::Evaluate => Output::Evaluation(Box::new(
                artifacts::read_evaluation(&entry).map_err(|e| fail(stage, e))?,
            )),
        };
        Ok(output)
    }

    /// A cached source's table, loaded again from its files: their hashes
    /// are in its key, so these are the bytes its entry was made from.
    fn source_again(&self, stage: &Stage, index: usize) -> Result<Output, RunError> {
        let BlockInfo::Source(info) = &self.program().blocks[stage.block].info else {
            return Err(fail(stage, "not a source"));
        };
        let loaded = self.load_source(stage, index, info.format.as_str(), &info.schema)?;
        let mut output = Output::Table(loaded.frame);
        canonical(&mut output);
        Ok(output)
    }

    /// A cached transform's output: its steps applied again to its input
    /// with the fitted state its entry holds.
    fn transform_again(&self, stage: &Stage, entry: &Path) -> Result<Output, RunError> {
        let BlockInfo::Transform(info) = &self.program().blocks[stage.block].info else {
            return Err(fail(stage, "not a transform"));
        };
        let record = artifacts::read_states(entry).map_err(|e| fail(stage, e))?;
        let (mut output, _) = self.transform(stage, info, Some(record))?;
        canonical(&mut output);
        Ok(output)
    }

    /// A cached split's parts, taken again from its input by the row
    /// numbers its entry holds.
    fn split_from_rows(&self, stage: &Stage, entry: &Path) -> Result<Output, RunError> {
        let BlockInfo::Split(info) = &self.program().blocks[stage.block].info else {
            return Err(fail(stage, "not a split"));
        };
        let rows = artifacts::read_split_rows(entry)
            .map_err(|e| fail(stage, e))?
            .ok_or_else(|| {
                fail(
                    stage,
                    format!(
                        "cache entry {} holds no row numbers (run with --force)",
                        entry.display()
                    ),
                )
            })?;
        let input = self.table(stage, &info.input)?;
        let mut parts = BTreeMap::new();
        for (part, rows) in rows {
            let mut frame =
                split::take_rows(&input, &rows).map_err(|e| fail(stage, e.to_string()))?;
            artifacts::canonical_chunks(&mut frame);
            parts.insert(part, frame);
        }
        Ok(Output::Parts(parts))
    }

    /// The frame a table reference names: a table, or one part of a split.
    fn table(&self, stage: &Stage, table: &TableRef) -> Result<DataFrame, RunError> {
        let index = self
            .plan
            .stages
            .iter()
            .position(|s| s.name == table.block)
            .ok_or_else(|| fail(stage, format!("`{}` is not a table", table.block)))?;
        match (self.output(index)?, &table.part) {
            (Output::Table(frame), None) => Ok(frame),
            (Output::Parts(mut parts), Some(part)) => parts
                .remove(part)
                .ok_or_else(|| fail(stage, format!("`{}` has no part `{part}`", table.block))),
            (Output::Parts(_), None) => Err(fail(
                stage,
                format!(
                    "`{}` is split: name a part, like `{}.train`",
                    table.block, table.block
                ),
            )),
            _ => Err(fail(stage, format!("`{}` is not a table", table.block))),
        }
    }

    fn compute(&self, stage: &Stage, index: usize) -> Result<Computed, RunError> {
        let block = &self.program().blocks[stage.block];
        let output = match &block.info {
            BlockInfo::Source(info) => {
                return self.source(stage, index, info.format.as_str(), &info.schema)
            }
            BlockInfo::Transform(info) => {
                let (output, record) = self.transform(stage, info, None)?;
                return Ok(Computed {
                    output,
                    states: Some(record),
                    expectations: Vec::new(),
                    profile: None,
                    rows: None,
                });
            }
            BlockInfo::Split(info) => {
                let frame = self.table(stage, &info.input)?;
                let rows: BTreeMap<String, Vec<IdxSize>> = split::split_parts(&frame, info)
                    .map_err(|e| fail(stage, e.to_string()))?
                    .into_iter()
                    .collect();
                let mut parts = BTreeMap::new();
                for (part, rows) in &rows {
                    let frame =
                        split::take_rows(&frame, rows).map_err(|e| fail(stage, e.to_string()))?;
                    parts.insert(part.clone(), frame);
                }
                return Ok(Computed {
                    output: Output::Parts(parts),
                    states: None,
                    expectations: Vec::new(),
                    profile: None,
                    rows: Some(rows),
                });
            }
            BlockInfo::Model(info) => {
                let data = info
                    .data
                    .as_ref()
                    .ok_or_else(|| fail(stage, "the model names no `data`"))?;
                let frame = self.table(stage, data)?;
                let transforms = self.lineage(data)?;
                let files = self.lineage_files(data)?;
                let split_seed = self.program().split_seed_upstream(data);
                let replay = self.replay(data, transforms, files);
                let (chosen, search) = match &info.search {
                    Some(search) => {
                        let (chosen, record) = self.search(stage, block, info, search)?;
                        (std::borrow::Cow::Owned(chosen), Some(record))
                    }
                    None => (std::borrow::Cow::Borrowed(info), None),
                };
                let mut artifact = learn::train(block, &chosen, &frame, replay, split_seed)
                    .map_err(|e| fail(stage, e))?;
                artifact.search = search;
                Output::Model(Box::new(artifact))
            }
            BlockInfo::Evaluate(info) if info.cv.is_some() => {
                Output::Evaluation(Box::new(self.cross_validate(stage, info)?))
            }
            BlockInfo::Evaluate(info) => {
                let model_index = stage
                    .deps
                    .first()
                    .copied()
                    .ok_or_else(|| fail(stage, "no model"))?;
                let Output::Model(model) = self.output(model_index)? else {
                    return Err(fail(stage, "the evaluated block is not a model"));
                };
                let data = info.data.as_ref().ok_or_else(|| fail(stage, "no data"))?;
                let frame = self.table(stage, data)?;
                let evaluation =
                    learn::evaluate(&model, &frame, data, &info.metrics, info.groups.as_deref())
                        .map_err(|e| fail(stage, e))?;
                Output::Evaluation(Box::new(evaluation))
            }
            BlockInfo::Policy(_) | BlockInfo::Deploy(_) => return Err(fail(stage, "not a stage")),
        };
        Ok(Computed {
            output,
            states: None,
            expectations: Vec::new(),
            profile: None,
            rows: None,
        })
    }

    /// Loads a source's files into its table, as declared.
    fn load_source(
        &self,
        stage: &Stage,
        index: usize,
        format: &str,
        schema: &Schema,
    ) -> Result<data::Loaded, RunError> {
        let block = &self.program().blocks[stage.block];
        let format = match format {
            "csv" => Format::Csv,
            "parquet" => Format::Parquet,
            "jsonl" => Format::Jsonl,
            other => return Err(fail(stage, format!("unknown format `{other}`"))),
        };
        let paths = self.plan.files.get(&index).cloned().unwrap_or_default();
        let mut spec = SourceSpec::new(&stage.name, format, paths, schema.clone());
        if let Some(Value::Str(d)) = block.fields.get("delimiter") {
            // The checker accepts only one ASCII character.
            spec.delimiter = match d.as_bytes() {
                [byte] => *byte,
                _ => return Err(fail(stage, format!("the delimiter {d:?} is not one byte"))),
            };
        }
        if let Some(Value::Bool(h)) = block.fields.get("header") {
            spec.header = *h;
        }
        if let Some(tokens) = null_tokens(block) {
            spec.null_values = tokens;
        }
        if let Some(Value::Word(w)) = block.fields.get("on_bad_rows") {
            if w.word == "drop" {
                spec.on_bad_rows = BadRows::Drop;
            }
        }
        data::load(&spec).map_err(|e| fail(stage, e.to_string()))
    }

    fn source(
        &self,
        stage: &Stage,
        index: usize,
        format: &str,
        schema: &Schema,
    ) -> Result<Computed, RunError> {
        let block = &self.program().blocks[stage.block];
        let loaded = self.load_source(stage, index, format, schema)?;
        if loaded.dropped_rows > 0 {
            let first = loaded
                .bad_rows_sample
                .first()
                .map(|b| format!("; first: {}", b.message))
                .unwrap_or_default();
            (self.events)(&Event::Expectation {
                source: stage.name.clone(),
                expectation: "on_bad_rows = drop".into(),
                passed: true,
                detail: format!("dropped {} bad row(s){first}", loaded.dropped_rows),
            });
        }
        let ast::ItemKind::Source(decl) = &self.project.resolved.item(block.id).kind else {
            return Err(fail(stage, "not a source"));
        };
        let mut failures = Vec::new();
        let mut results = Vec::new();
        let expectations = lower::expectations(decl, &self.params).map_err(|e| fail(stage, e))?;
        for expectation in expectations {
            let ExpectOutcome {
                passed,
                text,
                detail,
            } = expect::check(&loaded.frame, &expectation)
                .map_err(|e| fail(stage, e.to_string()))?;
            (self.events)(&Event::Expectation {
                source: stage.name.clone(),
                expectation: text.clone(),
                passed,
                detail: detail.clone(),
            });
            if !passed {
                failures.push(format!("`{text}`: {detail}"));
            }
            results.push(report::ExpectationResult {
                source: stage.name.clone(),
                expectation: text,
                passed,
                detail,
            });
        }
        if !failures.is_empty() {
            return Err(fail(
                stage,
                format!("data expectations failed: {}", failures.join("; ")),
            ));
        }
        let profile = profile::profile(&stage.name, &loaded.frame, schema)
            .map_err(|e| fail(stage, format!("profiling the data: {e}")))?;
        Ok(Computed {
            output: Output::Table(loaded.frame),
            states: None,
            expectations: results,
            rows: None,
            profile: Some(profile),
        })
    }

    /// Runs a transform's steps on its input. With `cached`, the record
    /// of its cache entry, the fitted steps take that state instead of
    /// learning it, on the same frames at the same points, so the output is
    /// the one they gave when they learned.
    fn transform(
        &self,
        stage: &Stage,
        info: &crate::check::TransformInfo,
        cached: Option<TransformRecord>,
    ) -> Result<(Output, TransformRecord), RunError> {
        let input_index = stage
            .deps
            .first()
            .copied()
            .ok_or_else(|| fail(stage, "no input"))?;
        let input = match (self.output(input_index)?, &info.input.part) {
            (Output::Parts(mut parts), Some(part)) => {
                let frame = parts
                    .remove(part)
                    .ok_or_else(|| fail(stage, format!("no part `{part}`")))?;
                Output::Table(frame)
            }
            (other, _) => other,
        };
        let block = &self.program().blocks[stage.block];
        self.transform_steps(stage, block, info, input, cached)
    }

    /// The steps of the transform `block` on `input`: a table, or parts
    /// whose `train` part the fitted steps learn from (unless `cached`
    /// gives their state). `stage` is the stage that runs them, which
    /// failures name.
    pub(super) fn transform_steps(
        &self,
        stage: &Stage,
        block: &crate::check::Block,
        info: &crate::check::TransformInfo,
        input: Output,
        cached: Option<TransformRecord>,
    ) -> Result<(Output, TransformRecord), RunError> {
        let ast::ItemKind::Transform(decl) = &self.project.resolved.item(block.id).kind else {
            return Err(fail(stage, "not a transform"));
        };
        let input_schema = self
            .program()
            .table_schema(&info.input.block)
            .cloned()
            .unwrap_or_default();
        let mut joined: HashMap<String, LazyFrame> = HashMap::new();
        for join in &info.joins {
            joined.insert(join.block.clone(), self.table(stage, join)?.lazy());
        }
        let tables = |name: &str| joined.get(name).cloned();
        // The cached state of each step of the chain (`apply` steps have
        // none of their own: theirs is read where the applied transform ran).
        let fitted: Option<Vec<FitState>> = match cached {
            None => None,
            Some(record) => {
                let mut own = record
                    .steps
                    .into_iter()
                    .filter(|s| s.applied_from.is_none());
                let states: Vec<FitState> = decl
                    .steps
                    .iter()
                    .map(|op| match op.name.name.as_str() {
                        "apply" => Some(FitState::Unfitted),
                        _ => own.next().map(|s| s.state.unwrap_or(FitState::Unfitted)),
                    })
                    .collect::<Option<_>>()
                    .filter(|_| own.next().is_none())
                    .ok_or_else(|| {
                        fail(
                            stage,
                            "the cached fitted state does not match the steps (run with --force)",
                        )
                    })?;
                Some(states)
            }
        };
        let state_of = |i: usize, ctx: &StepCtx<'_>, training: &DataFrame| match &fitted {
            Some(states) => Ok(states[i].clone()),
            None => ops::fit(ctx, training).map_err(|e| fail(stage, e.to_string())),
        };
        // A table is one frame; a split's parts are transformed alike, the
        // fitted steps learning from the training rows only.
        let (mut lazies, fit_on): (BTreeMap<String, LazyFrame>, &str) = match input {
            Output::Table(frame) => (BTreeMap::from([(String::new(), frame.lazy())]), ""),
            Output::Parts(parts) => (
                parts.into_iter().map(|(k, v)| (k, v.lazy())).collect(),
                "train",
            ),
            _ => return Err(fail(stage, "the input is not a table")),
        };
        let mut steps: Vec<StepRecord> = Vec::with_capacity(decl.steps.len());
        let mut schema_before = &input_schema;
        for (i, (op, step)) in decl.steps.iter().zip(&info.steps).enumerate() {
            if let Some(applied) = &step.applies {
                let (reads, records) = self.applied(stage, applied, schema_before)?;
                for lazy in lazies.values_mut() {
                    *lazy = self.apply_records(stage, &reads, &records, lazy.clone(), &tables)?;
                }
                steps.extend(records);
                schema_before = &step.schema;
                continue;
            }
            let ctx = self.step_ctx(op, schema_before, &step.schema);
            let state = if ops::is_fitted(op) {
                let train = lazies
                    .get_mut(fit_on)
                    .ok_or_else(|| fail(stage, "a fitted step needs a `train` part"))?;
                let training = train
                    .clone()
                    .collect()
                    .map_err(|e| fail(stage, e.to_string()))?;
                *train = training.clone().lazy();
                state_of(i, &ctx, &training)?
            } else {
                FitState::Unfitted
            };
            for lazy in lazies.values_mut() {
                *lazy = ops::apply(&ctx, &state, lazy.clone(), &tables)
                    .map_err(|e| fail(stage, e.to_string()))?;
            }
            steps.push(StepRecord {
                op: step.op.clone(),
                args: step.args.clone(),
                state: (state != FitState::Unfitted).then_some(state),
                call: op.without_spans(),
                input: schema_before.clone(),
                output: step.schema.clone(),
                applied_from: None,
            });
            schema_before = &step.schema;
        }
        let mut out = BTreeMap::new();
        for (part, lazy) in lazies {
            out.insert(
                part,
                lazy.collect().map_err(|e| fail(stage, e.to_string()))?,
            );
        }
        let result = match out.remove("") {
            Some(frame) if fit_on.is_empty() => Output::Table(frame),
            _ => Output::Parts(out),
        };
        let record = TransformRecord {
            name: block.name.clone(),
            steps,
        };
        Ok((result, record))
    }

    /// The columns of `have` the transform `name` reads and its steps, with
    /// the state they were fitted with where it ran (its cache entry or
    /// input folder), marked as applied from it. The columns `name` read
    /// that `have` lacks (the checker allowed only those its steps neither
    /// read nor keep: only a `drop` names them) are left out of the steps'
    /// schemas and of the `drop`s, and a `drop` of nothing else is left out.
    fn applied(
        &self,
        stage: &Stage,
        name: &str,
        have: &Schema,
    ) -> Result<(Vec<String>, Vec<StepRecord>), RunError> {
        let index = self
            .plan
            .stages
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(|| fail(stage, format!("`{name}` is not a transform of this run")))?;
        let Some(BlockInfo::Transform(info)) = self.program().by_name(name).map(|b| &b.info) else {
            return Err(fail(stage, format!("`{name}` is not a transform")));
        };
        let (reads, absent): (Vec<String>, Vec<String>) = self
            .program()
            .table_schema(&info.input.block)
            .map(|s| s.names().map(str::to_string).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .partition(|c| have.get(c).is_some());
        self.writes.wait(index)?;
        let record = artifacts::read_states(&self.entry(index)?).map_err(|e| fail(stage, e))?;
        let is_absent = |column: &str| absent.iter().any(|a| a == column);
        let steps = record
            .steps
            .into_iter()
            .filter_map(|mut step| {
                step.applied_from.get_or_insert_with(|| name.to_string());
                for schema in [&mut step.input, &mut step.output] {
                    schema.columns.retain(|c| !is_absent(&c.name));
                }
                if step.op == "drop" {
                    let args = step.call.args.get_or_insert_with(Vec::new);
                    args.retain(|a| !matches!(&a.value.kind, ast::ExprKind::Name(id) if is_absent(&id.name)));
                    if args.is_empty() {
                        return None;
                    }
                }
                Some(step)
            })
            .collect();
        Ok((reads, steps))
    }

    /// The steps `records` on `input` cut to the columns `reads`: the same
    /// `ops::apply` with the same state as where they were fitted.
    fn apply_records(
        &self,
        stage: &Stage,
        reads: &[String],
        records: &[StepRecord],
        input: LazyFrame,
        tables: &dyn Fn(&str) -> Option<LazyFrame>,
    ) -> Result<LazyFrame, RunError> {
        let mut lazy = input.select(reads.iter().map(|c| col(c.as_str())).collect::<Vec<_>>());
        for record in records {
            let ctx = self.step_ctx(&record.call, &record.input, &record.output);
            let state = record.state.clone().unwrap_or(FitState::Unfitted);
            lazy =
                ops::apply(&ctx, &state, lazy, tables).map_err(|e| fail(stage, e.to_string()))?;
        }
        Ok(lazy)
    }

    fn step_ctx<'s>(
        &'s self,
        op: &'s ast::OpCall,
        input: &'s Schema,
        output: &'s Schema,
    ) -> StepCtx<'s> {
        StepCtx {
            op,
            input,
            output,
            params: &self.params,
            carry: &[],
        }
    }

    /// The transforms between the sources and `table`, oldest first, with
    /// their fitted state: what serving replays on a raw request.
    fn lineage(&self, table: &TableRef) -> Result<Vec<TransformRecord>, RunError> {
        if let Store::Inputs(inputs) = &self.store {
            return self
                .input_lineage(inputs, table)
                .map(|lineage| lineage.transforms.clone());
        }
        let mut chain = Vec::new();
        let mut current = Some(table.block.clone());
        while let Some(name) = current.take() {
            let Some(index) = self.plan.stages.iter().position(|s| s.name == name) else {
                break;
            };
            let stage = &self.plan.stages[index];
            match &self.program().blocks[stage.block].info {
                BlockInfo::Transform(t) => {
                    self.writes.wait(index)?;
                    let record =
                        artifacts::read_states(&self.cache.entry(&self.plan.parts[index].key()))
                            .map_err(|e| fail(stage, e))?;
                    chain.push(record);
                    current = Some(t.input.block.clone());
                }
                BlockInfo::Split(s) => current = Some(s.input.block.clone()),
                _ => {}
            }
        }
        chain.reverse();
        Ok(chain)
    }

    /// What the input folder of `table`'s stage says of its upstream.
    fn input_lineage<'i>(
        &self,
        inputs: &'i HashMap<usize, (PathBuf, StageFile)>,
        table: &TableRef,
    ) -> Result<&'i artifacts::Lineage, RunError> {
        let index = self
            .plan
            .stages
            .iter()
            .position(|s| s.name == table.block)
            .ok_or_else(|| RunError {
                stage: None,
                message: format!("`{}` is not a stage", table.block),
            })?;
        inputs
            .get(&index)
            .map(|(_, file)| &file.lineage)
            .ok_or_else(|| self.not_an_input(index))
    }

    /// What a model trained on `table` needs to replay its transforms on
    /// raw rows: the source they start from, and the params they read.
    fn replay(
        &self,
        table: &TableRef,
        transforms: Vec<TransformRecord>,
        source_files: BTreeMap<String, String>,
    ) -> learn::Replay {
        let chain = self.program().upstream(table);
        let source = chain.last().and_then(|b| match &b.info {
            BlockInfo::Source(info) => Some((b, info)),
            _ => None,
        });
        let input = artifacts::InputSchema {
            source: source.map(|(b, _)| b.name.clone()).unwrap_or_default(),
            null_values: source
                .and_then(|(b, _)| null_tokens(b))
                .unwrap_or_else(|| vec![String::new()]),
            schema: source
                .map(|(_, info)| info.schema.clone())
                .unwrap_or_default(),
        };
        let params = chain
            .iter()
            .filter(|b| matches!(b.info, BlockInfo::Transform(_)))
            .flat_map(|b| &b.params)
            .filter_map(|name| Some((name.clone(), self.params.get(name)?.clone())))
            .collect();
        learn::Replay {
            transforms,
            input,
            params,
            source_files,
        }
    }

    /// The hashes of the source files upstream of `table`.
    fn lineage_files(&self, table: &TableRef) -> Result<BTreeMap<String, String>, RunError> {
        if let Store::Inputs(inputs) = &self.store {
            return self
                .input_lineage(inputs, table)
                .map(|lineage| lineage.source_files.clone());
        }
        let mut files = BTreeMap::new();
        let mut stack = vec![table.block.clone()];
        while let Some(name) = stack.pop() {
            let Some(index) = self.plan.stages.iter().position(|s| s.name == name) else {
                continue;
            };
            files.extend(self.plan.parts[index].files.clone());
            stack.extend(
                self.plan.stages[index]
                    .deps
                    .iter()
                    .map(|d| self.plan.stages[*d].name.clone()),
            );
        }
        Ok(files)
    }

    /// Writes the run's outputs, once every entry is written: `hashes`
    /// holds the output hash of each stage built in this run.
    fn finish(
        self,
        options: &RunOptions,
        mut hashes: HashMap<usize, String>,
    ) -> Result<RunSummary, RunError> {
        let program = self.project.program;
        let mut records = self.records.into_inner().unwrap_or_else(|e| e.into_inner());
        records.sort_by_key(|(i, _)| *i);
        for (index, record) in &mut records {
            if let Some(hash) = hashes.remove(index) {
                record.output_hash = hash;
            }
        }
        let mut expectations = self
            .expectations
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        expectations.sort_by_key(|(i, _)| *i);
        let mut profiles = self
            .profiles
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        profiles.sort_by_key(|(i, _)| *i);
        let profiles: Vec<SourceProfile> = profiles.into_iter().map(|(_, p)| p).collect();
        let mut metrics: Metrics = BTreeMap::new();
        let mut evaluations = Vec::new();
        let mut models = Vec::new();
        let runner_outputs = self.outputs.into_inner().unwrap_or_else(|e| e.into_inner());
        let reload = |index: usize| -> Result<Option<Output>, RunError> {
            if let Some(o) = runner_outputs.get(&index) {
                return Ok(Some(o.clone()));
            }
            let stage = &self.plan.stages[index];
            let entry = self.cache.entry(&self.plan.parts[index].key());
            Ok(match stage.kind {
                StageKind::Model => Some(Output::Model(Box::new(
                    artifacts::read_model(&entry).map_err(|e| fail(stage, e))?,
                ))),
                StageKind::Evaluate => Some(Output::Evaluation(Box::new(
                    artifacts::read_evaluation(&entry).map_err(|e| fail(stage, e))?,
                ))),
                _ => None,
            })
        };
        for &index in &self.plan.selected {
            match reload(index)? {
                Some(Output::Model(model)) => models.push(*model),
                Some(Output::Evaluation(evaluation)) => {
                    insert_metrics(&mut metrics, &evaluation);
                    evaluations.push(*evaluation);
                }
                _ => {}
            }
        }
        for evaluation in &evaluations {
            for (metric, reason) in &evaluation.undefined {
                (self.events)(&Event::Undefined {
                    model: evaluation.name.clone(),
                    evaluated_on: evaluation.evaluated_on.clone(),
                    metric: metric.clone(),
                    reason: reason.clone(),
                });
            }
        }
        let mut gates = gates::evaluate(self.project.resolved, program, &metrics, &evaluations);
        if let Some(stage) = &options.stage {
            for gate in gates.iter_mut().filter(|g| !metrics.contains_key(&g.model)) {
                gate.evaluated = false;
                gate.error = Some(format!(
                    "not evaluated: `--stage {stage}` does not evaluate `{}`",
                    gate.model
                ));
            }
        }
        for gate in &gates {
            (self.events)(&Event::Gate(gate.clone()));
        }
        let run_id = run_id(self.plan);
        let out = match &options.out {
            Some(dir) => dir.clone(),
            None => self.cache.root().join("runs").join(&run_id),
        };
        let stage_records: Vec<StageRecord> = records.into_iter().map(|(_, r)| r).collect();
        let expectation_results: Vec<report::ExpectationResult> =
            expectations.into_iter().map(|(_, e)| e).collect();
        let pipeline = program
            .pipeline
            .as_ref()
            .map_or_else(|| "pipeline".to_string(), |p| p.name.clone());
        artifacts::write_run(&artifacts::RunOutputs {
            out: &out,
            run_id: &run_id,
            pipeline: &pipeline,
            metrics: &metrics,
            evaluations: &evaluations,
            models: &models,
            gates: &gates,
            stages: &stage_records,
            expectations: &expectation_results,
            profiles: &profiles,
            graph_svg: self.project.graph_svg.as_deref(),
        })
        .map_err(|message| RunError {
            stage: None,
            message,
        })?;
        if options.out.is_none() {
            artifacts::point_latest(self.cache.root(), &run_id).map_err(|message| RunError {
                stage: None,
                message,
            })?;
        }
        let failed = gates
            .iter()
            .filter(|g| g.failed() && g.severity == "error")
            .count();
        (self.events)(&Event::Finished {
            out: out.display().to_string(),
            failed_gates: failed,
        });
        Ok(RunSummary {
            out,
            gates,
            metrics,
        })
    }
}

/// Tables in one chunk per column, as they cross stage boundaries.
fn canonical(output: &mut Output) {
    match output {
        Output::Table(frame) => artifacts::canonical_chunks(frame),
        Output::Parts(parts) => parts.values_mut().for_each(artifacts::canonical_chunks),
        Output::Model(_) | Output::Evaluation(_) => {}
    }
}

fn output_view(output: &Output) -> artifacts::OutputView<'_> {
    match output {
        Output::Table(frame) => artifacts::OutputView::Table(frame),
        Output::Parts(parts) => artifacts::OutputView::Parts(parts),
        Output::Model(model) => artifacts::OutputView::Model(model),
        Output::Evaluation(evaluation) => artifacts::OutputView::Evaluation(evaluation),
    }
}

/// `20261128-221530-<8 hex>`: sortable by time, unique per content.
fn run_id(plan: &Plan) -> String {
    let keys: Vec<String> = plan.planned.iter().map(|p| p.key.clone()).collect();
    run_id_of(&keys)
}

/// The run id of a run of the stages with these keys.
pub(super) fn run_id_of(keys: &[String]) -> String {
    let now = crate::clock::Utc::now();
    let salt = format!("{}{}{}", keys.join(""), std::process::id(), now.unix);
    format!(
        "{}-{}",
        now.compact(),
        &super::cache::hash_bytes(salt.as_bytes())[..8]
    )
}

/// A csv source's `null_values`, when it sets them.
fn null_tokens(block: &crate::check::Block) -> Option<Vec<String>> {
    let Some(Value::List(tokens)) = block.fields.get("null_values") else {
        return None;
    };
    Some(
        tokens
            .iter()
            .filter_map(|t| match t {
                Value::Str(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
    )
}
