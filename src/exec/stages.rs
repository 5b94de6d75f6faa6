//! The stages of a run: one per source, transform, split, model and
//! evaluate block of the checked program, with their dependencies and the
//! content-hash key of each.

use super::cache::{hash_file, without_spans, KeyParts};
use crate::check::{BlockInfo, Program, TableRef};
use crate::resolve::Resolved;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    Source,
    Transform,
    Split,
    Model,
    Evaluate,
}

impl StageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::Source => "source",
            StageKind::Transform => "transform",
            StageKind::Split => "split",
            StageKind::Model => "model",
            StageKind::Evaluate => "evaluate",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Stage {
    /// The block's name; `evaluate m on t` for evaluations.
    pub name: String,
    pub kind: StageKind,
    /// Index of the block in `Program::blocks`.
    pub block: usize,
    /// Indices of the stages it reads, in a fixed order.
    pub deps: Vec<usize>,
}

/// The stages of a program, dependencies first (the program's block order).
pub fn stages(program: &Program) -> Vec<Stage> {
    let mut out: Vec<Stage> = Vec::new();
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    for (index, block) in program.blocks.iter().enumerate() {
        let dep = |table: &TableRef| by_name.get(table.block.as_str()).copied();
        let (kind, deps): (StageKind, Vec<Option<usize>>) = match &block.info {
            BlockInfo::Source(_) => (StageKind::Source, vec![]),
            BlockInfo::Transform(t) => {
                let mut deps = vec![dep(&t.input)];
                deps.extend(t.joins.iter().map(dep));
                (StageKind::Transform, deps)
            }
            BlockInfo::Split(s) => (StageKind::Split, vec![dep(&s.input)]),
            BlockInfo::Model(m) => (StageKind::Model, vec![m.data.as_ref().and_then(dep)]),
            BlockInfo::Evaluate(e) => (
                StageKind::Evaluate,
                vec![
                    e.model.as_deref().and_then(|m| by_name.get(m).copied()),
                    e.data.as_ref().and_then(dep),
                ],
            ),
            BlockInfo::Policy(_) | BlockInfo::Deploy(_) => continue,
        };
        let mut deps: Vec<usize> = deps.into_iter().flatten().collect();
        deps.dedup();
        by_name.insert(block.name.as_str(), out.len());
        out.push(Stage {
            name: block.name.clone(),
            kind,
            block: index,
            deps,
        });
    }
    out
}

/// The stage named `name` and every stage it needs, in order.
pub fn with_ancestors(stages: &[Stage], name: &str) -> Option<Vec<usize>> {
    let target = stages.iter().position(|s| s.name == name)?;
    let mut needed = vec![false; stages.len()];
    let mut stack = vec![target];
    while let Some(i) = stack.pop() {
        if !needed[i] {
            needed[i] = true;
            stack.extend(&stages[i].deps);
        }
    }
    Some((0..stages.len()).filter(|i| needed[*i]).collect())
}

/// The key parts of every stage, computed in order so that each stage's
/// inputs are the keys of the stages it reads. `files` holds each source
/// stage's data files.
pub fn key_parts(
    resolved: &Resolved,
    program: &Program,
    stages: &[Stage],
    files: &HashMap<usize, Vec<PathBuf>>,
    project: &Path,
) -> Result<Vec<KeyParts>, String> {
    let unserialisable = |what: &str, error: serde_json::Error| {
        format!("cannot key the stage {what} for the cache: {error}")
    };
    let mut parts: Vec<KeyParts> = Vec::with_capacity(stages.len());
    for (index, stage) in stages.iter().enumerate() {
        let block = &program.blocks[stage.block];
        let ast = serde_json::to_value(&resolved.item(block.id).kind)
            .map(without_spans)
            .map_err(|e| unserialisable(&stage.name, e))?;
        let checked = serde_json::to_string(block).map_err(|e| unserialisable(&stage.name, e))?;
        let definition = format!("{}\n{ast}\n{checked}", stage.kind.as_str());
        let mut params = BTreeMap::new();
        for param in program
            .params
            .iter()
            .filter(|p| block.params.contains(&p.name))
        {
            let value =
                serde_json::to_string(&param.value).map_err(|e| unserialisable(&stage.name, e))?;
            params.insert(param.name.clone(), value);
        }
        let mut hashes = BTreeMap::new();
        for path in files.get(&index).into_iter().flatten() {
            let hash = hash_file(path)
                .map_err(|e| format!("{}: {}", path.display(), crate::files::io_words(&e)))?;
            let shown = path.strip_prefix(project).unwrap_or(path);
            hashes.insert(shown.display().to_string(), hash);
        }
        let inputs = stage.deps.iter().map(|d| parts[*d].key()).collect();
        parts.push(KeyParts {
            definition: super::cache::hash_bytes(definition.as_bytes()),
            files: hashes,
            params,
            inputs,
        });
    }
    Ok(parts)
}
