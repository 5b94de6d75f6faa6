//! Approval records: `mlp approve` writes one per sign-off under
//! `approvals/` in the project, meant to be committed and reviewed in a pull
//! request. A record names the deployment, the person, the reason, the time,
//! and the hash of the exact model artifact approved: it is valid for that
//! artifact only, so a retrained model needs a new approval.

use crate::files::{io_words, write_atomic};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const FORMAT: &str = "mlp-approval/1";
pub const FOLDER: &str = "approvals";
/// A reason is read by auditors; past this it is a document, not a reason.
const MAX_REASON: usize = 2000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    pub format: String,
    pub pipeline: String,
    pub pipeline_version: Option<String>,
    pub deploy: String,
    pub model: String,
    /// blake3 of the model artifact (`models/<model>.json` of the run).
    pub model_hash: String,
    /// The run the artifact comes from.
    pub run: String,
    pub by: String,
    pub reason: String,
    /// RFC 3339, UTC.
    pub at: String,
}

/// The approval records of a project, oldest first, with their files. A
/// record that cannot be read is an error naming its file: an audit trail
/// with a damaged entry must not be read as one without it.
pub fn load(project: &Path) -> Result<Vec<(PathBuf, Approval)>, String> {
    let dir = project.join(FOLDER);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {}", dir.display(), io_words(&e))),
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("{}: {}", path.display(), io_words(&e)))?;
        let approval: Approval = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not an approval record: {e}", path.display()))?;
        if approval.format != FORMAT {
            return Err(format!(
                "{}: approval format `{}`, this mlp reads `{FORMAT}`",
                path.display(),
                approval.format
            ));
        }
        out.push((path, approval));
    }
    out.sort_by(|a, b| a.1.at.cmp(&b.1.at).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

/// The latest run of a project (`.mlp/runs/latest`), if it ran.
pub fn latest_run(project: &Path) -> Option<PathBuf> {
    let latest = project.join(".mlp").join("runs").join("latest");
    std::fs::canonicalize(latest).ok().filter(|p| p.is_dir())
}

/// The hash of every model artifact of a run, by model name.
pub fn model_hashes(run: &Path) -> Result<BTreeMap<String, String>, String> {
    let dir = run.join("models");
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(format!("{}: {}", dir.display(), io_words(&e))),
    };
    let mut out = BTreeMap::new();
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let (Some(stem), Some("json")) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        let hash = crate::exec::cache::hash_file(&path)
            .map_err(|e| format!("{}: {}", path.display(), io_words(&e)))?;
        out.insert(stem.to_string(), hash);
    }
    Ok(out)
}

/// What lint needs to judge approvals: the project's records and the hash
/// of each model of its latest run (none before a first run).
#[derive(Default)]
pub struct Evidence {
    pub approvals: Vec<Approval>,
    pub model_hashes: BTreeMap<String, String>,
}

/// The evidence of `project`, read the same way by `mlp lint` and the
/// language server, so both judge an approval against the same hashes.
pub fn evidence(project: &Path) -> Result<Evidence, String> {
    let approvals = load(project)?.into_iter().map(|(_, a)| a).collect();
    let model_hashes = match latest_run(project) {
        Some(run) => model_hashes(&run)?,
        None => BTreeMap::new(),
    };
    Ok(Evidence {
        approvals,
        model_hashes,
    })
}

/// Why an approver or a reason cannot be recorded.
pub fn validate(by: &str, reason: &str) -> Result<(), String> {
    let email = by
        .split_once('@')
        .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'));
    if !email || by.chars().any(|c| c.is_whitespace() || c.is_control()) || by.len() > 254 {
        return Err(format!("`--by {by}` is not an email address"));
    }
    if reason.trim().is_empty() {
        return Err("`--reason` is empty: say why the release is approved".into());
    }
    if reason.len() > MAX_REASON || reason.chars().any(|c| c.is_control() && c != '\n') {
        return Err(format!(
            "`--reason` must be text of at most {MAX_REASON} bytes"
        ));
    }
    Ok(())
}

/// Writes a new record and returns its path. Never replaces a file.
pub fn record(
    project: &Path,
    approval: &Approval,
    now: crate::clock::Utc,
) -> Result<PathBuf, String> {
    let dir = project.join(FOLDER);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {}", dir.display(), io_words(&e)))?;
    let safe: String = approval
        .deploy
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let path = dir.join(format!(
        "{safe}-{}-{}.json",
        now.compact(),
        &approval.model_hash[..approval.model_hash.len().min(8)]
    ));
    if path.exists() {
        return Err(format!(
            "{} exists: approve again in a second",
            path.display()
        ));
    }
    let mut text = serde_json::to_vec_pretty(approval).map_err(|e| e.to_string())?;
    text.push(b'\n');
    write_atomic(&path, &text).map_err(|e| format!("{}: {}", path.display(), io_words(&e)))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn approvers_are_email_addresses_and_reasons_are_words() {
        assert!(validate("officer@bank.example", "reviewed the metrics").is_ok());
        assert!(validate("officer", "ok").is_err());
        assert!(validate("a b@c.d", "ok").is_err());
        assert!(validate("a@b.c", "   ").is_err());
        assert!(validate("a@b.c", &"x".repeat(3000)).is_err());
    }
}
