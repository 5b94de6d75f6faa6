//! The stages of a run: one per source, transform, split, model and
//! evaluate block of the checked program, with their dependencies and the
//! content-hash key of each.

use super::cache::{hash_file, without_spans, KeyParts};
use crate::check::{BlockInfo, CvInfo, Program, TableRef};
use crate::resolve::Resolved;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// The longest slug: a slug names Kubernetes objects, containers, Argo
/// tasks and templates, which must be DNS-1123 labels.
pub const SLUG_MAX: usize = 63;

/// Hex digits of the hash that ends a shortened name.
const HASH_DIGITS: usize = 8;

impl Stage {
    /// The stage's name as a folder, task and artifact name: lowercased,
    /// every run of characters outside `[a-z0-9]` replaced by one `-`, and
    /// trimmed of `-`: `evaluate scorer on prepared.test` is
    /// `evaluate-scorer-on-prepared-test`, `price_ridge` is `price-ridge`.
    /// A name with no such character at all is `stage`; one longer than
    /// [`SLUG_MAX`] is shortened by [`fit`]. Two stages of a program may
    /// share this; [`slugs`] makes them unique.
    pub fn slug(&self) -> String {
        slug_of(&self.name, SLUG_MAX).unwrap_or_else(|| "stage".to_string())
    }
}

/// `name` as a slug (see [`Stage::slug`]) of at most `max` characters, or
/// `None` when it has no letter or digit.
pub fn slug_of(name: &str, max: usize) -> Option<String> {
    let mut slug = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    (!slug.is_empty()).then(|| fit(&slug, name, max))
}

/// `text` (ASCII, starting with a letter or digit) when it has at most
/// `max` characters; otherwise its beginning, `-` and the first 8 hex
/// digits of the blake3 hash of `whole`, the name it was made from, in
/// `max` characters: two long names that differ only after the cut still
/// differ, and the same name is always shortened alike.
pub fn fit(text: &str, whole: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let hash = super::cache::hash_bytes(whole.as_bytes());
    format!(
        "{}-{}",
        cut(text, max.saturating_sub(HASH_DIGITS + 1)),
        &hash[..HASH_DIGITS]
    )
}

/// The first `max` characters of ASCII `text`, without what would end it
/// with a character other than a letter or a digit.
fn cut(text: &str, max: usize) -> &str {
    text[..text.len().min(max)].trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
}

/// The slug of every stage, unique within the program: each stage's
/// [`Stage::slug`], in stage order, with `-2`, `-3`, … (the first not
/// taken yet) appended when an earlier stage has it already, the slug cut
/// so that it keeps at most [`SLUG_MAX`] characters. This is the name of
/// a stage's folder under `mlp run --stage NAME --inputs DIR`, and of its
/// task and artifact in a workflow (docs/deploy.md).
pub fn slugs(stages: &[Stage]) -> Vec<String> {
    let mut taken: HashSet<String> = HashSet::new();
    let mut out = Vec::with_capacity(stages.len());
    for stage in stages {
        let base = stage.slug();
        let mut slug = base.clone();
        let mut n = 2;
        while taken.contains(&slug) {
            let suffix = format!("-{n}");
            slug = format!("{}{suffix}", cut(&base, SLUG_MAX - suffix.len()));
            n += 1;
        }
        taken.insert(slug.clone());
        out.push(slug);
    }
    out
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
                // `apply(prepared)` reads `prepared`'s fitted state: its key
                // is in this stage's.
                deps.extend(
                    t.steps
                        .iter()
                        .filter_map(|s| s.applies.as_deref())
                        .map(|name| by_name.get(name).copied()),
                );
                (StageKind::Transform, deps)
            }
            BlockInfo::Split(s) => (StageKind::Split, vec![dep(&s.input)]),
            BlockInfo::Model(m) => {
                let mut deps = vec![m.data.as_ref().and_then(dep)];
                if let Some(search) = &m.search {
                    deps.extend(fold_inputs(program, &search.cv).into_iter().map(dep));
                }
                (StageKind::Model, deps)
            }
            BlockInfo::Evaluate(e) => {
                let mut deps = vec![
                    e.model.as_deref().and_then(|m| by_name.get(m).copied()),
                    e.data.as_ref().and_then(dep),
                ];
                if let Some(cv) = &e.cv {
                    deps.extend(fold_inputs(program, cv).into_iter().map(dep));
                }
                (StageKind::Evaluate, deps)
            }
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

/// What a cross-validation reads besides the model: the rows it deals
/// into folds, and the tables the transforms it runs again join.
fn fold_inputs<'p>(program: &'p Program, cv: &'p CvInfo) -> Vec<&'p TableRef> {
    let mut tables = vec![&cv.rows_of];
    for name in &cv.refit {
        if let Some(BlockInfo::Transform(t)) = program.by_name(name).map(|b| &b.info) {
            tables.extend(&t.joins);
        }
    }
    tables
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

/// What a stage's key says of the stage itself, independent of its inputs
/// and files: the hash of its definition (its kind, its block as parsed
/// without spans, and as checked) and the values of the params it reads.
pub fn definition_parts(
    resolved: &Resolved,
    program: &Program,
    stage: &Stage,
) -> Result<(String, BTreeMap<String, String>), String> {
    let unserialisable = |error: serde_json::Error| {
        format!("cannot key the stage {} for the cache: {error}", stage.name)
    };
    let block = &program.blocks[stage.block];
    let ast = serde_json::to_value(&resolved.item(block.id).kind)
        .map(without_spans)
        .map_err(unserialisable)?;
    let checked = serde_json::to_string(block).map_err(unserialisable)?;
    let definition = format!("{}\n{ast}\n{checked}", stage.kind.as_str());
    let mut params = BTreeMap::new();
    for param in program
        .params
        .iter()
        .filter(|p| block.params.contains(&p.name))
    {
        let value = serde_json::to_string(&param.value).map_err(unserialisable)?;
        params.insert(param.name.clone(), value);
    }
    Ok((super::cache::hash_bytes(definition.as_bytes()), params))
}

/// The hashes of a source's data files, by their path relative to
/// `project` (as the key records them).
pub fn file_hashes(paths: &[PathBuf], project: &Path) -> Result<BTreeMap<String, String>, String> {
    let mut hashes = BTreeMap::new();
    for path in paths {
        let hash = hash_file(path)
            .map_err(|e| format!("{}: {}", path.display(), crate::files::io_words(&e)))?;
        let shown = path.strip_prefix(project).unwrap_or(path);
        hashes.insert(shown.display().to_string(), hash);
    }
    Ok(hashes)
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
    let mut parts: Vec<KeyParts> = Vec::with_capacity(stages.len());
    for (index, stage) in stages.iter().enumerate() {
        let (definition, params) = definition_parts(resolved, program, stage)?;
        let hashes = file_hashes(files.get(&index).map_or(&[][..], Vec::as_slice), project)?;
        let inputs = stage.deps.iter().map(|d| parts[*d].key()).collect();
        parts.push(KeyParts {
            definition,
            files: hashes,
            params,
            inputs,
        });
    }
    Ok(parts)
}
