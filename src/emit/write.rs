//! Writing a build: into a fresh folder that replaces the previous build
//! whole, never over files mlp did not write.

use super::Rendered;
use crate::files::{create_temp_dir, io_words, sweep_stale_temps, write_atomic};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const FORMAT: &str = "mlp-build/1";
/// The marker of a build folder: what mlp wrote there.
const MARKER: &str = "build.json";

#[derive(Serialize, Deserialize)]
struct Marker {
    format: String,
    mlp_version: String,
    files: Vec<String>,
}

/// A file copied into the build (a model artifact).
pub struct Copy {
    pub to: PathBuf,
    pub from: PathBuf,
}

fn relative_files(dir: &Path, prefix: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let rel = prefix.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            relative_files(&path, &rel, out)?;
        } else {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// Whether `out` may receive a build: absent, empty, or a previous build
/// holding only the files its marker lists.
fn check(out: &Path) -> Result<(), String> {
    let refuse = |why: String| {
        Err(format!(
            "{}: {why}; mlp never replaces what it did not write: choose another --out, or empty or remove that folder yourself",
            out.display()
        ))
    };
    match std::fs::symlink_metadata(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("{}: {}", out.display(), io_words(&e))),
        Ok(meta) if !meta.is_dir() => return refuse("exists and is not a folder".into()),
        Ok(_) => {}
    }
    let mut present = Vec::new();
    relative_files(out, Path::new(""), &mut present)
        .map_err(|e| format!("{}: {}", out.display(), io_words(&e)))?;
    if present.is_empty() {
        return Ok(());
    }
    let marker = std::fs::read_to_string(out.join(MARKER))
        .ok()
        .and_then(|text| serde_json::from_str::<Marker>(&text).ok())
        .filter(|m| m.format == FORMAT);
    let Some(marker) = marker else {
        return refuse("is a folder that mlp did not build into".into());
    };
    if let Some(foreign) = present
        .iter()
        .find(|f| *f != MARKER && !marker.files.contains(f))
    {
        return refuse(format!(
            "holds a previous build, but also `{foreign}`, which mlp did not write"
        ));
    }
    Ok(())
}

/// Writes the files and copies into `out`, replacing a previous build.
pub fn write_build(out: &Path, files: &[Rendered], copies: &[Copy]) -> Result<(), String> {
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        sweep_stale_temps(parent);
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("{}: {}", parent.display(), io_words(&e)))?;
    }
    check(out)?;
    let staging =
        create_temp_dir(out).map_err(|e| format!("{}: {}", out.display(), io_words(&e)))?;
    let result = fill(&staging, files, copies)
        .and_then(|()| crate::exec::artifacts::replace_dir(&staging, out));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn fill(dir: &Path, files: &[Rendered], copies: &[Copy]) -> Result<(), String> {
    let words = |path: &Path, e: std::io::Error| format!("{}: {}", path.display(), io_words(&e));
    let mut listed = Vec::new();
    for file in files {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| words(parent, e))?;
        }
        write_atomic(&path, file.text.as_bytes()).map_err(|e| words(&path, e))?;
        listed.push(file.path.to_string_lossy().replace('\\', "/"));
    }
    for copy in copies {
        let path = dir.join(&copy.to);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| words(parent, e))?;
        }
        std::fs::copy(&copy.from, &path).map_err(|e| words(&copy.from, e))?;
        listed.push(copy.to.to_string_lossy().replace('\\', "/"));
    }
    listed.sort();
    let marker = Marker {
        format: FORMAT.to_string(),
        mlp_version: env!("CARGO_PKG_VERSION").to_string(),
        files: listed,
    };
    let text = serde_json::to_vec_pretty(&marker).map_err(|e| e.to_string())?;
    write_atomic(&dir.join(MARKER), &text).map_err(|e| words(&dir.join(MARKER), e))
}
