//! Small filesystem helpers shared by every phase that writes files.

use std::path::{Component, Path, PathBuf};

/// An I/O error in words a user understands.
pub fn io_words(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::InvalidData => "not valid UTF-8 text".into(),
        _ => error.to_string(),
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// What marks mlp's temporary names, so that only they are ever swept.
const TEMP_MARK: &str = ".mlp-tmp.";

/// A name for a temporary sibling of `path`, unique in this process:
/// `.NAME.mlp-tmp.PID.N`.
pub fn temp_sibling(path: &Path) -> PathBuf {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    dir.join(format!(
        ".{name}{TEMP_MARK}{}.{}",
        std::process::id(),
        unique()
    ))
}

/// Creates a new, empty temporary sibling folder of `path` (and `path`'s
/// parent when missing). Creation is exclusive: the folder is one this
/// process made, so removing it on failure removes nothing else.
pub fn create_temp_dir(path: &Path) -> std::io::Result<PathBuf> {
    let dir = temp_sibling(path);
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::create_dir(&dir)?;
    Ok(dir)
}

/// Removes the temporary files and folders that mlp processes which are no
/// longer running left in `dir` (a run killed while writing), and nothing
/// else: only names made by [`temp_sibling`], whose process is gone.
pub fn sweep_stale_temps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.split_once(TEMP_MARK))
            .and_then(|(_, rest)| rest.split('.').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() || process_alive(pid) {
            continue;
        }
        let path = entry.path();
        let _ = match entry.file_type() {
            Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path),
            _ => std::fs::remove_file(&path),
        };
    }
}

fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        // Without a process table to ask, a temporary name is never taken
        // for abandoned.
        true
    }
}

/// Writes through a temporary file in the same folder and a rename, so a
/// reader never sees a half-written file, even if the process is killed.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = temp_sibling(path);
    std::fs::write(&tmp, contents)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Where a project may read its data and modules: inside its root folder,
/// unless the user opted out with `--allow-outside-root`. Paths are compared
/// after canonicalizing, so neither `..`, an absolute path nor a symlink
/// leads out.
#[derive(Clone, Debug)]
pub struct Confinement {
    /// Canonical.
    root: PathBuf,
    allow_outside: bool,
}

/// Each source block's data files, by index in `check::Program::blocks`.
pub type DataFiles = std::collections::HashMap<usize, Result<Vec<PathBuf>, PathProblem>>;

/// A data path that names no file to read; the message is for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathProblem {
    /// The path (or a file it matches, through a symlink) leaves the root.
    Outside {
        path: PathBuf,
        through_link: bool,
    },
    Other {
        path: PathBuf,
        message: String,
    },
}

impl std::fmt::Display for PathProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PathProblem::Outside {
                path,
                through_link: false,
            } => write!(f, "{}: outside the project folder", path.display()),
            PathProblem::Outside {
                path,
                through_link: true,
            } => write!(
                f,
                "{}: a symbolic link to a file outside the project folder",
                path.display()
            ),
            PathProblem::Other { path, message } => write!(f, "{}: {message}", path.display()),
        }
    }
}

impl Confinement {
    pub fn new(root: &Path, allow_outside: bool) -> std::io::Result<Confinement> {
        Ok(Confinement {
            root: std::fs::canonicalize(root)?,
            allow_outside,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn allows_outside(&self) -> bool {
        self.allow_outside
    }

    /// Whether the real location of `path` is inside the root. A path that
    /// does not exist is judged by its nearest existing ancestor.
    pub fn contains(&self, path: &Path) -> bool {
        let mut existing = path;
        let mut rest = Vec::new();
        loop {
            if let Ok(real) = std::fs::canonicalize(existing) {
                let mut full = real;
                full.extend(rest.iter().rev());
                return normalize(&full).starts_with(&self.root);
            }
            let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
                return false;
            };
            rest.push(name);
            existing = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
        }
    }

    /// The files a source's `path` names: one file, or the matches of a glob
    /// (`*`, `?`, `[`), sorted, resolved against `base_dir` (the folder of
    /// the file that declares the source). Every one must be inside the
    /// root unless the user allowed otherwise.
    pub fn data_files(&self, base_dir: &Path, pattern: &str) -> Result<Vec<PathBuf>, PathProblem> {
        let full = base_dir.join(pattern);
        let outside = |path: &Path, through_link| PathProblem::Outside {
            path: path.to_path_buf(),
            through_link,
        };
        let other = |path: &Path, message: String| PathProblem::Other {
            path: path.to_path_buf(),
            message,
        };
        // Judged before anything is read, so not even a directory listing
        // outside the root is taken.
        let literal: PathBuf = full
            .components()
            .take_while(|c| !c.as_os_str().to_string_lossy().contains(['*', '?', '[']))
            .collect();
        if !self.allow_outside && !self.contains(&literal) {
            return Err(outside(&full, false));
        }
        let is_glob = pattern.contains(['*', '?', '[']);
        let paths = if is_glob {
            let Some(text) = full.to_str() else {
                return Err(other(&full, "the path is not valid UTF-8".into()));
            };
            let entries = glob::glob(text)
                .map_err(|e| other(&full, format!("invalid glob pattern `{pattern}`: {e}")))?;
            let mut paths = Vec::new();
            for entry in entries {
                let path =
                    entry.map_err(|e| other(e.path(), format!("cannot read: {}", e.error())))?;
                if path.is_file() {
                    paths.push(path);
                }
            }
            if paths.is_empty() {
                return Err(other(&full, format!("no file matches `{pattern}`")));
            }
            paths.sort();
            paths
        } else {
            vec![full.clone()]
        };
        if !self.allow_outside {
            if let Some(escaping) = paths.iter().find(|p| !self.contains(p)) {
                return Err(outside(escaping, true));
            }
        }
        if !is_glob {
            check_readable_file(&full).map_err(|message| other(&full, message))?;
        }
        Ok(paths)
    }
}

/// Why `path` cannot be read as a data file, in words: missing, a folder,
/// a FIFO or device (which would block or never end).
pub fn check_readable_file(path: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        _ => io_words(&e),
    })?;
    if meta.is_file() {
        return Ok(());
    }
    if meta.is_dir() {
        return Err(
            "is a folder, not a file (to read every file in it, use a glob such as `folder/*.csv`)"
                .into(),
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let ty = meta.file_type();
        if ty.is_fifo() {
            return Err("is a named pipe (FIFO), not a regular file".into());
        }
        if ty.is_socket() {
            return Err("is a socket, not a regular file".into());
        }
        if ty.is_block_device() || ty.is_char_device() {
            return Err("is a device, not a regular file".into());
        }
    }
    Err("is not a regular file".into())
}

/// Removes `.` and resolves `..` without touching the filesystem, so a path
/// can be compared with the project root.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                let at_top = matches!(
                    out.components().next_back(),
                    None | Some(Component::ParentDir)
                );
                if at_top {
                    out.push("..");
                } else {
                    out.pop();
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
