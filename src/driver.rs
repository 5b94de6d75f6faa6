//! The driver: reads files from disk and runs the phases on them. The phases
//! themselves never touch the filesystem.

use crate::diagnostics::{self, codes, Diagnostic};
use crate::files::{io_words, Confinement, DataFiles, PathProblem};
use crate::source::{FileId, SourceMap};
use crate::syntax::{self, ast};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// An error that stops the driver before any diagnostics: exit code 2.
#[derive(Debug)]
pub struct IoError {
    pub path: PathBuf,
    pub message: String,
}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for IoError {}

impl IoError {
    pub fn new(path: &Path, message: impl Into<String>) -> IoError {
        IoError {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}

/// The `.mlp` files named by `paths`: files as given, folders searched
/// recursively (hidden folders and `target/` skipped), in a stable order.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, IoError> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| IoError::new(path, io_words(&e)))?;
        if meta.is_dir() {
            let before = files.len();
            walk(path, &mut files)?;
            if files.len() == before {
                return Err(IoError::new(path, "no .mlp files in this folder"));
            }
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), IoError> {
    let entries = std::fs::read_dir(dir).map_err(|e| IoError::new(dir, io_words(&e)))?;
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for entry in entries {
        let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if entry.is_dir() {
            if !name.starts_with('.') && name != "target" {
                walk(&entry, files)?;
            }
        } else if entry.extension().is_some_and(|e| e == "mlp") {
            files.push(entry);
        }
    }
    Ok(())
}

pub fn read_source(path: &Path) -> Result<String, IoError> {
    let bytes = std::fs::read(path).map_err(|e| IoError::new(path, io_words(&e)))?;
    String::from_utf8(bytes).map_err(|e| {
        IoError::new(
            path,
            format!(
                "not valid UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

pub struct ParsedFile {
    pub id: FileId,
    pub ast: ast::File,
}

/// The result of parsing a set of files: the sources, their trees and all diagnostics.
pub struct Session {
    pub sources: SourceMap,
    pub files: Vec<ParsedFile>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Session {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads and parses every file.
pub fn parse_files(paths: &[PathBuf]) -> Result<Session, IoError> {
    let mut sources = SourceMap::new();
    let mut files = Vec::new();
    let mut all = Vec::new();
    for path in collect_files(paths)? {
        let text = read_source(&path)?;
        let id = sources.add(&path, path.display().to_string(), text);
        let parsed = syntax::parse(&sources.get(id).text, id);
        all.extend(parsed.diagnostics);
        files.push(ParsedFile {
            id,
            ast: parsed.file,
        });
    }
    diagnostics::sort(&mut all);
    Ok(Session {
        sources,
        files,
        diagnostics: all,
    })
}

/// Writes `contents` to `path` through a temporary file and a rename, so a
/// reader never sees a half-written file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), IoError> {
    crate::files::write_atomic(path, contents).map_err(|e| IoError::new(path, io_words(&e)))
}

/// Reads local modules from disk for the resolver, never outside the root.
pub struct FsLoader<'a> {
    pub confinement: &'a Confinement,
}

impl crate::resolve::Loader for FsLoader<'_> {
    fn read(&self, path: &Path) -> Result<String, String> {
        read_source(path).map_err(|e| e.message)
    }

    fn inside_root(&self, path: &Path) -> bool {
        self.confinement.contains(path)
    }
}

/// Serves the texts `open` gives first, then reads the disk as [`FsLoader`].
struct OverlayLoader<'a> {
    disk: FsLoader<'a>,
    open: &'a dyn Fn(&Path) -> Option<String>,
}

impl crate::resolve::Loader for OverlayLoader<'_> {
    fn read(&self, path: &Path) -> Result<String, String> {
        match (self.open)(path) {
            Some(text) => Ok(text),
            None => self.disk.read(path),
        }
    }

    fn inside_root(&self, path: &Path) -> bool {
        self.disk.inside_root(path)
    }
}

/// Where a compilation may read: the project root (the entry file's folder
/// unless `--root` names another), and whether data files may lie outside
/// it (`--allow-outside-root`).
#[derive(Clone, Debug, Default)]
pub struct Access {
    pub root: Option<PathBuf>,
    pub allow_outside_root: bool,
}

/// One checked project: an entry file, the modules it uses, the semantic
/// model and every diagnostic of every phase.
pub struct Compilation {
    pub sources: SourceMap,
    pub resolved: crate::resolve::Resolved,
    pub program: crate::check::Program,
    pub diagnostics: Vec<Diagnostic>,
    /// Bad `--param` / `--env` overrides: exit code 2.
    pub usage_errors: Vec<String>,
    /// The folder of the entry file: `.mlp/` (cache and runs) lives in it.
    pub project_dir: PathBuf,
    pub confinement: Confinement,
    /// The data files of each source block (by index in `program.blocks`),
    /// resolved against the folder of the file that declares the source.
    pub data_files: DataFiles,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn ir(&self) -> crate::ir::Ir<'_> {
        crate::ir::lower(&self.resolved, &self.program)
    }
}

/// The entry files named by `paths`: a file is its own entry; a folder is a
/// project whose entry is `main.mlp`, or, without one, every `.mlp` file in it.
pub fn entries(paths: &[PathBuf]) -> Result<Vec<PathBuf>, IoError> {
    let mut out = Vec::new();
    for path in paths {
        let main = path.join("main.mlp");
        if path.is_dir() && main.is_file() {
            out.push(main);
        } else {
            out.extend(collect_files(std::slice::from_ref(path))?);
        }
    }
    Ok(out)
}

/// Runs the whole front end on one entry file: parse, resolve (loading the
/// modules it uses, never outside the project root), check, and find the
/// data files of every source (never outside the root, unless allowed).
pub fn compile(
    entry: &Path,
    options: &crate::check::Options,
    access: &Access,
) -> Result<Compilation, IoError> {
    let text = read_source(entry)?;
    compile_text(entry, text, options, access, &|_| None)
}

/// [`compile`] on the entry's text as given, not as on disk; a module the
/// entry uses is read from `open` when it gives a text (the language
/// server's unsaved buffers), from disk otherwise, never outside the root.
pub fn compile_text(
    entry: &Path,
    text: String,
    options: &crate::check::Options,
    access: &Access,
    open: &dyn Fn(&Path) -> Option<String>,
) -> Result<Compilation, IoError> {
    let project_dir = entry
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let (root, confinement) = project_root(&project_dir, access)?;
    let mut sources = SourceMap::new();
    let loader = OverlayLoader {
        disk: FsLoader {
            confinement: &confinement,
        },
        open,
    };
    let resolved = crate::resolve::resolve(entry, text, &root, &loader, &mut sources);
    let checked = crate::check::check(&resolved, &sources, options);
    let mut all = resolved.diagnostics.clone();
    all.extend(checked.diagnostics);
    let (data_files, path_diagnostics) =
        data_files(&resolved, &checked.program, &sources, &confinement);
    all.extend(path_diagnostics);
    // Names and types are only reported once every file parses: a broken
    // block would otherwise show up again as unknown names downstream.
    let syntax_broken = all
        .iter()
        .any(|d| d.is_error() && d.code.0.starts_with("MLP0"));
    if syntax_broken {
        all.retain(|d| d.code.0.starts_with("MLP0"));
    }
    diagnostics::sort(&mut all);
    Ok(Compilation {
        sources,
        resolved,
        program: checked.program,
        diagnostics: all,
        usage_errors: checked.usage_errors,
        project_dir,
        confinement,
        data_files,
    })
}

/// The project root as the resolver compares paths (in the terms of the
/// entry's path, so that `examples/credit/main.mlp` has the root
/// `examples/credit`), and the confinement to its real location.
fn project_root(project_dir: &Path, access: &Access) -> Result<(PathBuf, Confinement), IoError> {
    let confine = |dir: &Path| {
        Confinement::new(dir, access.allow_outside_root)
            .map_err(|e| IoError::new(dir, io_words(&e)))
    };
    let Some(root) = &access.root else {
        return Ok((project_dir.to_path_buf(), confine(project_dir)?));
    };
    let confinement = confine(root)?;
    let real_dir =
        std::fs::canonicalize(project_dir).map_err(|e| IoError::new(project_dir, io_words(&e)))?;
    let Ok(below) = real_dir.strip_prefix(confinement.root()) else {
        return Err(IoError::new(
            root,
            format!(
                "the pipeline's folder `{}` is not inside this --root",
                project_dir.display()
            ),
        ));
    };
    let mut lexical = project_dir.to_path_buf();
    for _ in below.components() {
        lexical.push("..");
    }
    Ok((crate::files::normalize(&lexical), confinement))
}

/// The data files of every source block, and a diagnostic (at the `path`
/// field) for each path that leaves the project root.
fn data_files(
    resolved: &crate::resolve::Resolved,
    program: &crate::check::Program,
    sources: &SourceMap,
    confinement: &Confinement,
) -> (DataFiles, Vec<Diagnostic>) {
    use crate::check::types::Value;
    let mut files = HashMap::new();
    let mut found = Vec::new();
    for (index, block) in program.blocks.iter().enumerate() {
        if !matches!(block.info, crate::check::BlockInfo::Source(_)) {
            continue;
        }
        let Some(Value::Str(pattern)) = block.fields.get("path") else {
            continue;
        };
        let module = resolved.module(block.id.module);
        if matches!(module.origin, crate::resolve::Origin::Std(_)) {
            continue;
        }
        let declared_in = &sources.get(module.file).path;
        let base = declared_in
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let result = confinement.data_files(base, pattern);
        if let Err(PathProblem::Outside { path, through_link }) = &result {
            let span = match &resolved.item(block.id).kind {
                ast::ItemKind::Source(decl) => decl.body.field("path").map(|f| f.value.span),
                _ => None,
            }
            .unwrap_or(block.span);
            let label = if *through_link {
                format!(
                    "`{}` is a symbolic link that leads out of the project",
                    path.display()
                )
            } else {
                "this path leaves the project folder".to_string()
            };
            found.push(
                Diagnostic::error(
                    codes::DATA_OUTSIDE_ROOT,
                    format!("the data of `{}` is outside the project", block.name),
                )
                .with_label(block.file, span, label)
                .with_help(
                    "mlp reads only inside the project folder (the folder of the entry file, or --root): move the data there, or pass --allow-outside-root to read it anyway",
                ),
            );
        }
        files.insert(index, result);
    }
    (files, found)
}

/// The graph of a checked program, ready to render with [`crate::graph`].
pub fn graph_view(compilation: &Compilation) -> crate::graph::GraphView {
    use crate::check::BlockInfo;
    use crate::graph::{GraphEdge, GraphNode, GraphView, NodeKind};
    let program = &compilation.program;
    let nodes = program
        .blocks
        .iter()
        .map(|b| {
            let (kind, detail) = match &b.info {
                BlockInfo::Source(s) => (NodeKind::Source, Some(s.format.clone())),
                BlockInfo::Transform(t) => (
                    NodeKind::Transform,
                    Some(format!("{} steps", t.steps.len())),
                ),
                BlockInfo::Split(s) => (NodeKind::Split, Some(s.part_names().join(" / "))),
                BlockInfo::Model(m) => (NodeKind::Model, Some(m.algorithm.clone())),
                BlockInfo::Evaluate(e) => (NodeKind::Evaluate, Some(e.metrics.join(", "))),
                BlockInfo::Policy(p) => {
                    (NodeKind::Policy, Some(format!("{} rules", p.rules.len())))
                }
                BlockInfo::Deploy(d) => (NodeKind::Deploy, Some(d.target.clone())),
            };
            GraphNode {
                id: format!("{}.{}", b.info.kind_name(), b.name),
                label: match &b.info {
                    BlockInfo::Evaluate(_) => "evaluate".to_string(),
                    _ => b.name.clone(),
                },
                kind,
                detail,
                columns: crate::ir::column_count(b),
            }
        })
        .collect();
    let index = |name: &str| program.names.get(name).copied();
    let edges = compilation
        .ir()
        .edges
        .into_iter()
        .filter_map(|e| {
            Some(GraphEdge {
                from: index(&e.from)?,
                to: index(&e.to)?,
                label: e.part.or_else(|| match e.kind {
                    crate::resolve::EdgeKind::Gate => Some("gate".to_string()),
                    _ => None,
                }),
            })
        })
        .collect();
    GraphView {
        name: program
            .pipeline
            .as_ref()
            .map_or_else(|| "pipeline".to_string(), |p| p.name.clone()),
        nodes,
        edges,
    }
}
