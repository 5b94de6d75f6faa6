//! Writing the documents: into a folder built beside its final place and
//! renamed into it whole, under the rule of `mlp run --out`
//! ([`crate::exec::artifacts::check_out_dir`]): mlp never replaces or
//! deletes a folder it did not write. A documentation folder is marked by
//! its `doc.json`, which lists the files mlp wrote there.

use crate::files::{io_words, sweep_stale_temps, temp_sibling, write_atomic};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The mark in `doc.json` that says mlp wrote the folder.
pub const DOC_FORMAT: &str = "mlp-doc/1";
pub const MARKER: &str = "doc.json";

/// `doc.json`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub pipeline: String,
    pub mlp_version: String,
    /// The run whose values the documents show, if any.
    pub run: Option<String>,
    /// Every file mlp wrote in the folder, `doc.json` aside.
    pub files: Vec<String>,
}

/// Whether the documents may be written to `out`: a folder that does not
/// exist, an empty one, or one that `mlp doc` wrote and that holds nothing
/// else. A run folder, a file, or a folder of the user's is refused.
pub fn check_out_dir(out: &Path) -> Result<(), String> {
    let refuse = |why: String| {
        Err(format!(
            "{}: {why}; mlp never replaces what it did not write: choose another --out, or empty or remove that folder yourself",
            out.display()
        ))
    };
    let names: Vec<String> = match std::fs::read_dir(out) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        // Nothing there, a file, a link to a file: the run rule decides.
        Err(_) => return crate::exec::artifacts::check_out_dir(out),
    };
    if names.is_empty() || std::fs::symlink_metadata(out).is_ok_and(|m| !m.is_dir()) {
        return crate::exec::artifacts::check_out_dir(out);
    }
    let manifest = std::fs::read_to_string(out.join(MARKER))
        .ok()
        .and_then(|text| serde_json::from_str::<Manifest>(&text).ok())
        .filter(|m| m.format == DOC_FORMAT);
    let Some(manifest) = manifest else {
        if crate::exec::artifacts::check_out_dir(out).is_ok() {
            return Err(format!(
                "{}: holds a run of mlp; documentation is never written over a run: choose another --out",
                out.display()
            ));
        }
        return refuse("is a folder that mlp did not write documentation into".into());
    };
    let foreign = names
        .iter()
        .find(|n| n.as_str() != MARKER && !manifest.files.contains(n));
    if let Some(name) = foreign {
        return refuse(format!(
            "holds documentation mlp wrote, but also `{name}`, which mlp did not write"
        ));
    }
    // A listed name that is now a folder holds what the user put there.
    if let Some(name) = manifest.files.iter().find(|n| out.join(n).is_dir()) {
        return refuse(format!(
            "`{name}` has become a folder, which mlp did not write"
        ));
    }
    Ok(())
}

/// Writes `files` (name, contents) and their `doc.json` into `out`, whole
/// or not at all.
pub fn write(out: &Path, manifest: &Manifest, files: &[(String, String)]) -> Result<(), String> {
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        sweep_stale_temps(parent);
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("{}: {}", parent.display(), io_words(&e)))?;
    }
    check_out_dir(out)?;
    let staging = temp_sibling(out);
    let result = write_into(&staging, manifest, files).and_then(|()| replace(&staging, out));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn write_into(dir: &Path, manifest: &Manifest, files: &[(String, String)]) -> Result<(), String> {
    std::fs::create_dir(dir).map_err(|e| format!("{}: {}", dir.display(), io_words(&e)))?;
    let put = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        write_atomic(&path, bytes).map_err(|e| format!("{}: {}", path.display(), io_words(&e)))
    };
    for (name, text) in files {
        put(name, text.as_bytes())?;
    }
    let mut marker = serde_json::to_vec_pretty(manifest).map_err(|e| e.to_string())?;
    marker.push(b'\n');
    put(MARKER, &marker)
}

/// Moves `staging` to `target`; a previous documentation folder there
/// (checked again just before) is moved aside first, then removed.
fn replace(staging: &Path, target: &Path) -> Result<(), String> {
    let words = |e: std::io::Error| format!("{}: {}", target.display(), io_words(&e));
    check_out_dir(target)?;
    if std::fs::symlink_metadata(target).is_ok() {
        let old = temp_sibling(target);
        std::fs::rename(target, &old).map_err(words)?;
        if let Err(e) = std::fs::rename(staging, target) {
            let _ = std::fs::rename(&old, target);
            return Err(words(e));
        }
        let _ = std::fs::remove_dir_all(old);
    } else {
        std::fs::rename(staging, target).map_err(words)?;
    }
    Ok(())
}
