//! The audit log (EU AI Act Art. 12): one JSON line per prediction request,
//! with the request id, the model's hash, a hash of the input and the
//! predictions. Raw input values are never written, so `@pii` values cannot
//! reach it; the input hash lets an auditor match a disputed request
//! without the log holding the data. Files rotate by size.

use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Rotated files kept beside the current one: `FILE.1` (newest) … `FILE.5`.
const KEPT: usize = 5;

pub struct AuditLog {
    path: PathBuf,
    file: File,
    written: u64,
    max_bytes: u64,
}

#[derive(Serialize)]
pub struct Entry<'a> {
    pub time: String,
    pub request_id: &'a str,
    pub model: &'a str,
    pub model_hash: &'a str,
    /// blake3 of the request body.
    pub input_hash: String,
    pub rows: usize,
    pub predictions: Vec<serde_json::Value>,
}

fn open(path: &Path) -> Result<File, String> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("{}: {}", path.display(), crate::files::io_words(&e)))
}

impl AuditLog {
    pub fn open(path: &Path, max_bytes: u64) -> Result<AuditLog, String> {
        let file = open(path)?;
        let written = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(AuditLog {
            path: path.to_path_buf(),
            file,
            written,
            max_bytes: max_bytes.max(1),
        })
    }

    fn rotated(&self, n: usize) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    /// Appends one line (whole: written in one call, after rotating when
    /// the line would pass the size limit).
    pub fn write(&mut self, entry: &Entry) -> Result<(), String> {
        let mut line = serde_json::to_vec(entry).map_err(|e| e.to_string())?;
        line.push(b'\n');
        if self.written > 0 && self.written + line.len() as u64 > self.max_bytes {
            self.rotate()?;
        }
        self.file
            .write_all(&line)
            .and_then(|()| self.file.flush())
            .map_err(|e| format!("{}: {}", self.path.display(), crate::files::io_words(&e)))?;
        self.written += line.len() as u64;
        Ok(())
    }

    fn rotate(&mut self) -> Result<(), String> {
        let words = |e: std::io::Error| {
            format!(
                "cannot rotate {}: {}",
                self.path.display(),
                crate::files::io_words(&e)
            )
        };
        for n in (1..KEPT).rev() {
            let from = self.rotated(n);
            if from.exists() {
                std::fs::rename(&from, self.rotated(n + 1)).map_err(words)?;
            }
        }
        std::fs::rename(&self.path, self.rotated(1)).map_err(words)?;
        self.file = open(&self.path)?;
        self.written = 0;
        Ok(())
    }
}
