//! Name resolution: modules, `use`, the embedded standard library, block
//! names and the dependency graph between blocks.
//!
//! This phase is pure: local module files are read through a [`Loader`]
//! supplied by the caller (the driver reads the disk, tests use a map), and
//! the standard library is embedded in the binary. The result, [`Resolved`],
//! knows every module, the blocks each declares, what each `use` binds, and
//! the order in which blocks can be checked (dependencies first).

mod graph;
pub mod stdlib;

pub use graph::{DepGraph, Edge, EdgeKind};

use crate::diagnostics::{codes, did_you_mean, Diagnostic};
use crate::files::normalize;
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::{self, ast};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// Reads the text of local modules (`use "./f.mlp" as f`).
pub trait Loader {
    /// The text of the file, or an error in plain words.
    fn read(&self, path: &Path) -> Result<String, String>;

    /// Whether the real location of `path` (symbolic links followed) is
    /// inside the project root; the lexical check is the resolver's own.
    fn inside_root(&self, _path: &Path) -> bool {
        true
    }
}

pub type ModuleId = usize;

/// A block: an item of a module.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockId {
    pub module: ModuleId,
    pub item: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The file given on the command line.
    Entry,
    /// `use std.policies.baseline`
    Std(String),
    /// `use "./f.mlp" as f`
    Local(PathBuf),
}

#[derive(Debug)]
pub struct Module {
    /// How the module is shown: `main` for the entry, `std.policies.baseline`,
    /// or the local file's path relative to the project root.
    pub name: String,
    pub origin: Origin,
    pub file: FileId,
    pub ast: ast::File,
    /// The name each `use` binds in this module.
    pub imports: HashMap<String, Import>,
    /// Block name to item index.
    pub blocks: HashMap<String, usize>,
}

#[derive(Clone, Copy, Debug)]
pub struct Import {
    pub module: ModuleId,
    /// The span of the `use` item, for diagnostics.
    pub span: Span,
}

impl Module {
    pub fn item(&self, index: usize) -> &ast::Item {
        &self.ast.items[index]
    }
}

/// Every module of a compilation, the entry first.
#[derive(Debug)]
pub struct Resolved {
    pub modules: Vec<Module>,
    pub graph: DepGraph,
    /// Blocks in dependency order (every block after the blocks it uses).
    /// Blocks on a cycle are left out: their diagnostic is reported.
    pub order: Vec<BlockId>,
    pub diagnostics: Vec<Diagnostic>,
}

/// What a dotted name refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    pub block: BlockId,
    /// How many segments named the block (1 for `holdout.train`, 2 for
    /// `baseline.production`); the rest are members of the block.
    pub consumed: usize,
}

impl Resolved {
    pub fn module(&self, id: ModuleId) -> &Module {
        &self.modules[id]
    }

    pub fn item(&self, block: BlockId) -> &ast::Item {
        self.modules[block.module].item(block.item)
    }

    /// The name of a block as written from the entry module: `scorer`, or
    /// `baseline.production` for a block of an imported module.
    pub fn qualified(&self, block: BlockId) -> String {
        let name = self
            .item(block)
            .name()
            .map_or_else(|| evaluate_name(self.item(block)), |n| n.name.clone());
        if block.module == 0 {
            return name;
        }
        let binding = self.modules[0]
            .imports
            .iter()
            .find(|(_, i)| i.module == block.module)
            .map(|(b, _)| b.clone())
            .unwrap_or_else(|| self.modules[block.module].name.clone());
        format!("{binding}.{name}")
    }

    /// Looks up a dotted name from `module` without reporting anything.
    pub fn lookup(&self, module: ModuleId, segments: &[&ast::Ident]) -> Option<Target> {
        let first = segments.first()?;
        let m = &self.modules[module];
        if let Some(&item) = m.blocks.get(&first.name) {
            return Some(Target {
                block: BlockId { module, item },
                consumed: 1,
            });
        }
        let import = m.imports.get(&first.name)?;
        let second = segments.get(1)?;
        let item = *self.modules[import.module].blocks.get(&second.name)?;
        Some(Target {
            block: BlockId {
                module: import.module,
                item,
            },
            consumed: 2,
        })
    }

    /// Looks up a dotted name, or explains why it names nothing.
    pub fn lookup_or_report(
        &self,
        module: ModuleId,
        segments: &[&ast::Ident],
    ) -> Result<Target, Diagnostic> {
        if let Some(target) = self.lookup(module, segments) {
            return Ok(target);
        }
        let m = &self.modules[module];
        let Some(first) = segments.first() else {
            return Err(Diagnostic::error(codes::UNKNOWN_NAME, "empty name"));
        };
        if let (Some(import), Some(second)) = (m.imports.get(&first.name), segments.get(1)) {
            let other = &self.modules[import.module];
            let mut d = Diagnostic::error(
                codes::UNKNOWN_NAME,
                format!(
                    "module `{}` has no block named `{}`",
                    first.name, second.name
                ),
            )
            .with_label(m.file, second.span, "not declared in that module");
            let names: Vec<&str> = other.blocks.keys().map(String::as_str).collect();
            d = with_suggestion(d, (m.file, second.span), &second.name, names, || {
                let mut all: Vec<&str> = other.blocks.keys().map(String::as_str).collect();
                all.sort_unstable();
                format!("`{}` declares: {}", first.name, all.join(", "))
            });
            return Err(d);
        }
        if m.imports.contains_key(&first.name) {
            return Err(Diagnostic::error(
                codes::UNKNOWN_NAME,
                format!("`{}` is a module, not a block", first.name),
            )
            .with_label(m.file, first.span, "a module")
            .with_help(format!(
                "name a block of the module: `{}.<block>`",
                first.name
            )));
        }
        let d = Diagnostic::error(
            codes::UNKNOWN_NAME,
            format!("cannot find `{}` in this module", first.name),
        )
        .with_label(m.file, first.span, "not declared");
        let candidates = m
            .blocks
            .keys()
            .chain(m.imports.keys())
            .map(String::as_str)
            .collect::<Vec<_>>();
        Err(with_suggestion(
            d,
            (m.file, first.span),
            &first.name,
            candidates,
            || {
                "declare a block with this name, or import the module that declares it with `use`"
                    .to_string()
            },
        ))
    }
}

/// "did you mean" the closest candidate to `name`, written at `at`, or the
/// help `otherwise` gives.
fn with_suggestion(
    d: Diagnostic,
    (file, span): (FileId, Span),
    name: &str,
    candidates: Vec<&str>,
    otherwise: impl FnOnce() -> String,
) -> Diagnostic {
    match did_you_mean(name, candidates) {
        Some(s) => d.with_correction(file, span, s),
        None => d.with_help(otherwise()),
    }
}

/// `evaluate` blocks have no name; they are shown as `evaluate model on data`.
pub fn evaluate_name(item: &ast::Item) -> String {
    match &item.kind {
        ast::ItemKind::Evaluate(e) => {
            format!("evaluate {} on {}", e.model.dotted(), e.data.dotted())
        }
        _ => "?".to_string(),
    }
}

/// Loads the entry file and every module it uses, then resolves names.
/// `root` is the project root: local imports may not leave it.
pub fn resolve(
    entry_path: &Path,
    entry_text: String,
    root: &Path,
    loader: &dyn Loader,
    sources: &mut SourceMap,
) -> Resolved {
    let name = entry_path.display().to_string();
    let file = sources.add(entry_path, name, entry_text);
    let parsed = syntax::parse(&sources.get(file).text, file);
    resolve_parsed(entry_path, file, parsed, root, loader, sources)
}

/// [`resolve`] for an entry file already added to `sources` as `file` and
/// parsed: lets the cost of everything after parsing be measured alone.
pub fn resolve_parsed(
    entry_path: &Path,
    file: FileId,
    parsed: syntax::Parsed,
    root: &Path,
    loader: &dyn Loader,
    sources: &mut SourceMap,
) -> Resolved {
    let mut state = State {
        root: normalize(root),
        loader,
        modules: Vec::new(),
        diagnostics: Vec::new(),
        by_key: HashMap::new(),
        stack: Vec::new(),
    };
    state.load(Origin::Entry, file, parsed, sources, normalize(entry_path));
    let mut resolved = Resolved {
        modules: state.modules,
        graph: DepGraph::default(),
        order: Vec::new(),
        diagnostics: state.diagnostics,
    };
    graph::build(&mut resolved);
    resolved
}

struct State<'a> {
    root: PathBuf,
    loader: &'a dyn Loader,
    modules: Vec<Module>,
    diagnostics: Vec<Diagnostic>,
    /// Normalized path (or `std.x`) to module, so each module loads once.
    by_key: HashMap<String, ModuleId>,
    /// Modules being loaded, for import cycles: (key, module).
    stack: Vec<(String, ModuleId)>,
}

impl State<'_> {
    /// Adds the parsed file and loads its imports, depth first.
    fn load(
        &mut self,
        origin: Origin,
        file: FileId,
        parsed: syntax::Parsed,
        sources: &mut SourceMap,
        key_path: PathBuf,
    ) -> ModuleId {
        self.diagnostics.extend(parsed.diagnostics);
        let key = match &origin {
            Origin::Std(name) => name.clone(),
            _ => key_path.display().to_string(),
        };
        let name = match &origin {
            Origin::Entry => "main".to_string(),
            Origin::Std(name) => name.clone(),
            Origin::Local(path) => path
                .strip_prefix(&self.root)
                .unwrap_or(path)
                .display()
                .to_string(),
        };
        let mut blocks = HashMap::new();
        for (index, item) in parsed.file.items.iter().enumerate() {
            if matches!(item.kind, ast::ItemKind::Env(_)) {
                continue;
            }
            if let Some(name) = item.name() {
                // Duplicates were reported by the parser; the first one wins.
                blocks.entry(name.name.clone()).or_insert(index);
            }
        }
        let id = self.modules.len();
        self.modules.push(Module {
            name,
            origin,
            file,
            ast: parsed.file,
            imports: HashMap::new(),
            blocks,
        });
        self.by_key.insert(key.clone(), id);
        self.stack.push((key, id));
        let uses: Vec<(ast::UseDecl, Span)> = self.modules[id]
            .ast
            .items
            .iter()
            .filter_map(|item| match &item.kind {
                ast::ItemKind::Use(u) => Some((u.clone(), item.span)),
                _ => None,
            })
            .collect();
        let dir = key_path.parent().map(Path::to_path_buf).unwrap_or_default();
        for (decl, span) in uses {
            self.load_use(id, &decl, span, &dir, sources);
        }
        self.stack.pop();
        id
    }

    fn load_use(
        &mut self,
        from: ModuleId,
        decl: &ast::UseDecl,
        span: Span,
        dir: &Path,
        sources: &mut SourceMap,
    ) {
        let file = self.modules[from].file;
        let is_std = matches!(self.modules[from].origin, Origin::Std(_));
        let Some(binding) = decl.binding().cloned() else {
            return;
        };
        let (key, origin, path_span) = match &decl.target {
            ast::UseTarget::Module(path) => {
                let dotted = path.dotted();
                if stdlib::module(&dotted).is_none() {
                    let mut d = Diagnostic::error(
                        codes::UNKNOWN_MODULE,
                        format!("there is no standard module `{dotted}`"),
                    )
                    .with_label(file, path.span, "not in the standard library");
                    let names = stdlib::MODULES.iter().map(|(n, _)| *n);
                    d = match did_you_mean(&dotted, names) {
                        Some(s) => d.with_correction(file, path.span, s),
                        None => d.with_help(format!(
                            "the standard modules are: {}; a local file is imported with `use \"./file.mlp\" as name`",
                            stdlib::MODULES
                                .iter()
                                .map(|(n, _)| *n)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    };
                    self.diagnostics.push(d);
                    return;
                }
                (dotted.clone(), Origin::Std(dotted), path.span)
            }
            ast::UseTarget::File(lit) => {
                if is_std {
                    return;
                }
                let joined = normalize(&dir.join(&lit.value));
                let lexically_inside = inside(&joined, &self.root);
                if !lexically_inside || !self.loader.inside_root(&joined) {
                    let label = if lexically_inside {
                        "a symbolic link on this path leads out of the project folder"
                    } else {
                        "this path leaves the project folder"
                    };
                    self.diagnostics.push(
                        Diagnostic::error(
                            codes::IMPORT_OUTSIDE_ROOT,
                            format!("`{}` is outside the project", lit.value),
                        )
                        .with_label(file, lit.span, label)
                        .with_help(format!(
                            "a module may only import files inside the project folder `{}`: move the file there",
                            self.root.display()
                        )),
                    );
                    return;
                }
                (
                    joined.display().to_string(),
                    Origin::Local(joined),
                    lit.span,
                )
            }
        };
        if let Some(position) = self.stack.iter().position(|(k, _)| *k == key) {
            let mut chain: Vec<String> = self.stack[position..]
                .iter()
                .map(|(_, m)| self.modules[*m].name.clone())
                .collect();
            chain.push(self.modules[self.stack[position].1].name.clone());
            self.diagnostics.push(
                Diagnostic::error(
                    codes::IMPORT_CYCLE,
                    format!("import cycle: {}", chain.join(" → ")),
                )
                .with_label(file, path_span, "this import closes the cycle")
                .with_help("modules cannot import each other in a circle: move the shared blocks into a third module that both import"),
            );
            return;
        }
        let target = match self.by_key.get(&key) {
            Some(&existing) => existing,
            None => {
                let text = match &origin {
                    Origin::Std(name) => Ok(stdlib::module(name).unwrap_or_default().to_string()),
                    Origin::Local(path) => self.loader.read(path),
                    Origin::Entry => return,
                };
                let text = match text {
                    Ok(text) => text,
                    Err(message) => {
                        self.diagnostics.push(
                            Diagnostic::error(
                                codes::MODULE_NOT_FOUND,
                                format!("cannot load the module `{}`: {message}", key),
                            )
                            .with_label(file, path_span, "imported here")
                            .with_help("the path is relative to the file that contains the `use`"),
                        );
                        return;
                    }
                };
                let (display, path) = match &origin {
                    Origin::Std(name) => (
                        format!("<std>/{}.mlp", name.replace('.', "/")),
                        PathBuf::from(format!("<std>/{}.mlp", name.replace('.', "/"))),
                    ),
                    Origin::Local(path) => (path.display().to_string(), path.clone()),
                    Origin::Entry => return,
                };
                let new_file = sources.add(&path, display, text);
                let parsed = syntax::parse(&sources.get(new_file).text, new_file);
                self.load(origin, new_file, parsed, sources, path)
            }
        };
        let module = &mut self.modules[from];
        if let Some(&item) = module.blocks.get(&binding.name) {
            let other = module.ast.items[item].name().map_or(span, |n| n.span);
            self.diagnostics.push(
                Diagnostic::error(
                    codes::NAME_CLASH,
                    format!(
                        "`{}` names both an imported module and a block",
                        binding.name
                    ),
                )
                .with_label(file, binding.span, "the module is bound here")
                .with_label(file, other, "the block is declared here")
                .with_help("import the module under another name: `use ... as other_name`"),
            );
            return;
        }
        if module.imports.contains_key(&binding.name) {
            self.diagnostics.push(
                Diagnostic::error(
                    codes::NAME_CLASH,
                    format!("the name `{}` is imported twice", binding.name),
                )
                .with_label(file, binding.span, "imported again here")
                .with_help("give one of the modules another name with `as`"),
            );
            return;
        }
        module.imports.insert(
            binding.name.clone(),
            Import {
                module: target,
                span,
            },
        );
    }
}

/// Whether a normalized path stays inside a normalized root.
fn inside(path: &Path, root: &Path) -> bool {
    path.strip_prefix(root)
        .is_ok_and(|rest| !rest.components().any(|c| c == Component::ParentDir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_handles_dots() {
        assert_eq!(
            normalize(Path::new("a/./b/../c.mlp")),
            PathBuf::from("a/c.mlp")
        );
        assert_eq!(normalize(Path::new("a/../../x")), PathBuf::from("../x"));
        assert!(inside(
            &normalize(Path::new("./f.mlp")),
            &normalize(Path::new("."))
        ));
        assert!(!inside(
            &normalize(Path::new("../f.mlp")),
            &normalize(Path::new(""))
        ));
        assert!(!inside(
            &normalize(Path::new("p/../q/f.mlp")),
            &normalize(Path::new("p"))
        ));
    }
}
