//! Cache entries written off the critical path: a stage's output is handed
//! to the stages that read it from memory at once, and its entry is
//! serialised and written on a thread of its own meanwhile.
//!
//! The entry's invariant is unchanged: it is built in a staging folder,
//! `meta.json` is written last, and the folder is renamed into place, so a
//! run killed while a write is under way leaves no entry under a final
//! name. A reader of an entry this run is still writing waits for it
//! ([`Writes::wait`]), and a run ends only once every write is done
//! ([`Writes::wait_all`]).

use super::artifacts::{self, OutputView, TransformRecord};
use super::cache::{Cache, KeyParts};
use super::profile::SourceProfile;
use super::report::ExpectationResult;
use super::run::{Output, RunError};
use polars::prelude::IdxSize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// What an entry stores.
pub(super) enum Stored {
    Output(Output),
    /// A split: its parts' row numbers.
    Rows(BTreeMap<String, Vec<IdxSize>>),
    /// A source's or a transform's table of this many rows, which the
    /// cache does not keep.
    Recomputed(usize),
}

/// One entry to write: the output and what is stored beside it.
pub(super) struct Entry {
    pub(super) index: usize,
    pub(super) stage: String,
    /// The project folder, whose `.mlp/cache/` receives the entry.
    pub(super) project: PathBuf,
    pub(super) parts: KeyParts,
    pub(super) stored: Stored,
    pub(super) states: Option<TransformRecord>,
    pub(super) expectations: Vec<ExpectationResult>,
    pub(super) profile: Option<SourceProfile>,
}

impl Entry {
    /// Writes, commits and remembers the entry; its output hash.
    fn write(&self) -> Result<String, String> {
        let cache = Cache::new(&self.project);
        let key = self.parts.key();
        let words = |path: &std::path::Path, e: std::io::Error| {
            format!("{}: {}", path.display(), crate::files::io_words(&e))
        };
        let staging = cache.staging(&key).map_err(|e| words(cache.root(), e))?;
        let view = match &self.stored {
            Stored::Rows(rows) => OutputView::Rows(rows),
            Stored::Recomputed(rows) => OutputView::Recomputed(*rows),
            Stored::Output(Output::Table(frame)) => OutputView::Table(frame),
            Stored::Output(Output::Parts(parts)) => OutputView::Parts(parts),
            Stored::Output(Output::Model(model)) => OutputView::Model(model),
            Stored::Output(Output::Evaluation(evaluation)) => OutputView::Evaluation(evaluation),
        };
        let meta = artifacts::write_output(
            &staging,
            &view,
            self.states.as_ref(),
            &self.expectations,
            self.profile.as_ref(),
        )?;
        cache
            .commit(&staging, &key)
            .map_err(|e| words(&staging, e))?;
        cache
            .remember(&self.stage, &self.parts)
            .map_err(|e| words(cache.root(), e))?;
        Ok(meta.output_hash)
    }
}

#[derive(Default)]
struct State {
    writing: HashSet<usize>,
    /// The output hash of each entry written, by stage index.
    hashes: HashMap<usize, String>,
    error: Option<RunError>,
}

/// The entries a run is writing.
#[derive(Default)]
pub(super) struct Writes {
    state: Mutex<State>,
    done: Condvar,
}

impl Writes {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts writing `entry` on a thread of its own.
    pub(super) fn start(self: &Arc<Self>, entry: Entry) -> Result<(), RunError> {
        let index = entry.index;
        let stage = entry.stage.clone();
        self.lock().writing.insert(index);
        let writes = Arc::clone(self);
        let spawned = std::thread::Builder::new().spawn(move || {
            // Marks the write finished even if it unwinds, so that no
            // reader waits for it forever.
            let mut guard = Finished {
                writes: &writes,
                index,
                stage: entry.stage.clone(),
                result: None,
            };
            guard.result = Some(entry.write());
        });
        spawned.map(drop).map_err(|error| {
            let mut state = self.lock();
            state.writing.remove(&index);
            self.done.notify_all();
            RunError {
                stage: Some(stage),
                message: format!("cannot start a thread to write the cache: {error}"),
            }
        })
    }

    /// Waits until the entry of stage `index` is written, if this run is
    /// writing it; the first failed write, if any.
    pub(super) fn wait(&self, index: usize) -> Result<(), RunError> {
        let mut state = self.lock();
        while state.writing.contains(&index) {
            state = self.done.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        match &state.error {
            Some(error) => Err(RunError {
                stage: error.stage.clone(),
                message: error.message.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Waits for every write; the output hash of each entry written, or the
    /// first failure.
    pub(super) fn wait_all(&self) -> Result<HashMap<usize, String>, RunError> {
        let mut state = self.lock();
        while !state.writing.is_empty() {
            state = self.done.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        match state.error.take() {
            Some(error) => Err(error),
            None => Ok(std::mem::take(&mut state.hashes)),
        }
    }
}

struct Finished<'w> {
    writes: &'w Writes,
    index: usize,
    stage: String,
    result: Option<Result<String, String>>,
}

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        let mut state = self.writes.lock();
        state.writing.remove(&self.index);
        match self.result.take() {
            Some(Ok(hash)) => {
                state.hashes.insert(self.index, hash);
            }
            Some(Err(message)) => {
                state.error.get_or_insert(RunError {
                    stage: Some(self.stage.clone()),
                    message,
                });
            }
            None => {
                state.error.get_or_insert(RunError {
                    stage: Some(self.stage.clone()),
                    message: "writing its cache entry stopped before the end".into(),
                });
            }
        }
        self.writes.done.notify_all();
    }
}
