//! The content-addressed stage cache under `.mlp/cache/`.
//!
//! A stage's key hashes the mlp version and cache layout, its definition,
//! its inputs' keys and the bytes of the files it reads. An entry is a
//! folder named by the key, written under a temporary name and renamed into
//! place, so a run killed at any moment leaves either a whole entry or none.
//!
//! Beside the entries, `.mlp/state/` records the parts of each stage's last
//! key, so that `mlp plan` can say *why* a stage will run.

use crate::files::write_atomic;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const MLP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The layout of what stages write (tables, model JSON, metrics). Part of
/// every key, so that entries written in an older layout are rebuilt
/// rather than read as damaged. Raise it whenever that layout changes.
/// 2: linear_regression saved as weights and intercept (not linfa's model).
/// 3: `meta.json` lists every file's size and hash.
/// 4: transform steps keep their call and schemas; models their input
///    schema, params and feature bins (what serving replays).
/// 5: a split keeps its parts' row numbers, not copies of their rows; a
///    source or a transform keeps no table (it is computed again).
/// 6: a source keeps its data profile (`profile.json`); evaluations their
///    per-class table, residual summary and undefined metrics.
/// 7: logistic_regression saved as its coefficients (not linfa's model).
/// 8: a per-class table keeps its macro and weighted averages.
const CACHE_LAYOUT: u32 = 8;

/// What a stage's key is made of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyParts {
    pub definition: String,
    /// Source file path (as written in the pipeline) to the hash of its bytes.
    pub files: BTreeMap<String, String>,
    /// The params the stage reads, to their values (as JSON).
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    pub inputs: Vec<String>,
}

impl KeyParts {
    pub fn key(&self) -> String {
        let mut hasher = blake3::Hasher::new();
        hasher.update(MLP_VERSION.as_bytes());
        hasher.update(&CACHE_LAYOUT.to_le_bytes());
        hasher.update(b"\0");
        hasher.update(self.definition.as_bytes());
        for (path, hash) in &self.files {
            hasher.update(b"\0file\0");
            hasher.update(path.as_bytes());
            hasher.update(hash.as_bytes());
        }
        for (name, value) in &self.params {
            hasher.update(b"\0param\0");
            hasher.update(name.as_bytes());
            hasher.update(b"\0");
            hasher.update(value.as_bytes());
        }
        for input in &self.inputs {
            hasher.update(b"\0input\0");
            hasher.update(input.as_bytes());
        }
        short(hasher.finalize())
    }
}

fn short(hash: blake3::Hash) -> String {
    hash.to_hex()[..32].to_string()
}

pub fn hash_bytes(bytes: &[u8]) -> String {
    short(blake3::hash(bytes))
}

/// The hash of what a writer puts into `hasher` (written, never buffered).
pub fn hash_written(
    write: impl FnOnce(&mut blake3::Hasher) -> Result<(), String>,
) -> Result<String, String> {
    let mut hasher = blake3::Hasher::new();
    write(&mut hasher)?;
    Ok(short(hasher.finalize()))
}

pub fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(std::fs::File::open(path)?)?;
    Ok(short(hasher.finalize()))
}

/// Why a stage will run, or that it will not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Cached,
    Forced,
    NotCached,
    SourceFileChanged,
    /// The value of these params (set or unset by `--param`) changed.
    ParamChanged(Vec<String>),
    DefinitionChanged,
    UpstreamChanged,
    /// The entry was there, but its files are not what was written.
    CacheDamaged,
    /// `mlp run --stage NAME --outputs DIR`: one stage from its input
    /// folders, without the cache.
    Alone,
}

impl Reason {
    pub fn will_run(&self) -> bool {
        *self != Reason::Cached
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let words = match self {
            Reason::Cached => "cached",
            Reason::Forced => "forced",
            Reason::NotCached => "not cached",
            Reason::SourceFileChanged => "source file changed",
            Reason::ParamChanged(names) => {
                let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                let noun = if names.len() == 1 { "param" } else { "params" };
                return write!(f, "{noun} {} changed", names.join(", "));
            }
            Reason::DefinitionChanged => "definition changed",
            Reason::UpstreamChanged => "upstream changed",
            Reason::CacheDamaged => "cache entry damaged, rebuilt",
            Reason::Alone => "alone, without the cache",
        };
        f.write_str(words)
    }
}

pub struct Cache {
    root: PathBuf,
}

impl Cache {
    /// The cache of the project whose `.mlp` folder is in `project`.
    pub fn new(project: &Path) -> Cache {
        Cache {
            root: project.join(".mlp"),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn entry(&self, key: &str) -> PathBuf {
        self.root.join("cache").join(key)
    }

    pub fn has(&self, key: &str) -> bool {
        self.entry(key).join("meta.json").is_file()
    }

    fn state_file(&self, stage: &str) -> PathBuf {
        let safe: String = stage
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.root.join("state").join(format!(
            "{safe}-{}.json",
            &hash_bytes(stage.as_bytes())[..8]
        ))
    }

    /// Why the stage with these key parts will (not) run.
    pub fn reason(&self, stage: &str, parts: &KeyParts, force: bool) -> Reason {
        if force {
            return Reason::Forced;
        }
        if self.has(&parts.key()) {
            return Reason::Cached;
        }
        let Some(previous) = std::fs::read_to_string(self.state_file(stage))
            .ok()
            .and_then(|text| serde_json::from_str::<KeyParts>(&text).ok())
        else {
            return Reason::NotCached;
        };
        // The checked definition holds the values of the params it read,
        // so a changed param is reported as such, not as an edit.
        let changed_params: Vec<String> = previous
            .params
            .keys()
            .chain(parts.params.keys())
            .filter(|name| previous.params.get(*name) != parts.params.get(*name))
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if previous.files != parts.files {
            Reason::SourceFileChanged
        } else if !changed_params.is_empty() {
            Reason::ParamChanged(changed_params)
        } else if previous.definition != parts.definition {
            Reason::DefinitionChanged
        } else if previous.inputs != parts.inputs {
            Reason::UpstreamChanged
        } else {
            Reason::NotCached
        }
    }

    /// Records the key parts of a stage's latest successful run.
    pub fn remember(&self, stage: &str, parts: &KeyParts) -> std::io::Result<()> {
        let text = serde_json::to_vec_pretty(parts).map_err(std::io::Error::other)?;
        write_atomic(&self.state_file(stage), &text)
    }

    /// A fresh folder to build an entry in; [`Cache::commit`] moves it into place.
    pub fn staging(&self, key: &str) -> std::io::Result<PathBuf> {
        crate::files::create_temp_dir(&self.entry(key))
    }

    pub fn commit(&self, staging: &Path, key: &str) -> std::io::Result<PathBuf> {
        let target = self.entry(key);
        match std::fs::rename(staging, &target) {
            Ok(()) => Ok(target),
            // Another run committed the same key first: both are equal by construction.
            Err(_) if self.has(key) => {
                let _ = std::fs::remove_dir_all(staging);
                Ok(target)
            }
            Err(e) => Err(e),
        }
    }
}

/// A JSON value with every `span`-like key removed: the definition of a
/// block, independent of where it sits in the file and of its layout.
pub fn without_spans(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| !k.ends_with("span"))
                .map(|(k, v)| (k, without_spans(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_spans).collect()),
        other => other,
    }
}
