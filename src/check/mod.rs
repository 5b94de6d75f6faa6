//! Type checking: fields of every block kind, schema propagation through
//! every table operation, tag (PII) propagation, model kinds, metrics,
//! policies, `--param` and `--env` overrides, and train/test leakage.
//!
//! Input is the [`Resolved`] module set; output is a [`Program`], the one
//! semantic model the rest of mlp reads, plus diagnostics. Pure: no I/O.

mod blocks;
pub mod catalog;
mod expr;
mod ops;
pub use blocks::body_words;
pub use ops::one_hot_column;
mod policy;
mod positive;
pub mod program;
mod search;
pub mod types;
mod values;

pub use program::*;

use crate::diagnostics::{self, codes, did_you_mean, Diagnostic};
use crate::resolve::{BlockId, ModuleId, Origin, Resolved};
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::{self, ast};
use expr::Removed;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;
use types::{Schema, Value, ValueType};
use values::Expect;

/// Problems with command-line overrides become plain usage errors (see
/// [`Checked::usage_errors`]); this code never reaches a user.
const COMMAND_LINE: diagnostics::Code = diagnostics::Code("usage");

/// Overrides given on the command line.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--param name=value`, in order.
    pub params: Vec<(String, String)>,
    /// `--env NAME`
    pub env: Option<String>,
}

pub struct Checked {
    pub program: Program,
    pub diagnostics: Vec<Diagnostic>,
    /// Problems with the command-line overrides (`--param`, `--env`): they
    /// have no place in a file, so the CLI reports them as usage errors.
    pub usage_errors: Vec<String>,
}

/// What the checker knows of a table block once checked.
#[derive(Clone, Debug)]
pub(crate) struct TableFacts {
    pub removed: Removed,
    /// Fitted steps upstream of this table and not behind a split:
    /// (operation, file, span).
    pub fitted: Vec<(String, FileId, Span)>,
    pub is_split: bool,
    pub parts: Vec<String>,
    /// For a split, its input table.
    pub split_input: Option<BlockId>,
    /// The held-out part (`holdout.test`) this table is, or is made from.
    pub held_out: Option<String>,
}

pub(crate) struct Checker<'r> {
    resolved: &'r Resolved,
    sources: &'r SourceMap,
    /// (deployment, policy, span of the gate in the deployment).
    gate_uses: Vec<(BlockId, BlockId, Span)>,
    /// Metric gates on a named model: (file, span of the metric, model, metric).
    gated_metrics: Vec<(FileId, Span, String, String)>,
    catalog: &'static catalog::Catalog,
    diags: Vec<Diagnostic>,
    /// Parameter values per module.
    params: HashMap<(ModuleId, String), Value>,
    /// Declared parameters whose value was rejected (already reported).
    bad_params: HashSet<(ModuleId, String)>,
    /// Selected `--env` overrides: (block, field path) to (value, file).
    overrides: HashMap<(BlockId, String), (&'r ast::Expr, FileId)>,
    /// Shared: blocks downstream read them without copying the schemas.
    tables: HashMap<BlockId, Rc<TableFacts>>,
    models: HashMap<BlockId, usize>,
    program: Program,
    reported_leaks: HashSet<(FileId, Span)>,
    usage_errors: Vec<String>,
    /// The entry module's params read by the block being checked.
    params_read: BTreeSet<String>,
    /// The waivers of the block being checked.
    waivers_read: Vec<program::Waiver>,
}

pub fn check(resolved: &Resolved, sources: &SourceMap, options: &Options) -> Checked {
    let mut checker = Checker {
        resolved,
        sources,
        gate_uses: Vec::new(),
        gated_metrics: Vec::new(),
        catalog: catalog::get(),
        diags: Vec::new(),
        params: HashMap::new(),
        bad_params: HashSet::new(),
        overrides: HashMap::new(),
        tables: HashMap::new(),
        models: HashMap::new(),
        program: Program::with_capacity(resolved.order.len()),
        reported_leaks: HashSet::new(),
        usage_errors: Vec::new(),
        params_read: BTreeSet::new(),
        waivers_read: Vec::new(),
    };
    checker.params(options);
    checker.envs(options);
    for &block in &resolved.order {
        checker.block(block);
    }
    checker.policies_on_deployments();
    checker.gated_metrics_are_computed();
    let mut diagnostics = checker.diags;
    diagnostics::sort(&mut diagnostics);
    Checked {
        program: checker.program,
        diagnostics,
        usage_errors: checker.usage_errors,
    }
}

impl<'r> Checker<'r> {
    /// A gate on a metric no `evaluate` block computes would fail every run
    /// with "not computed": refused before anything runs.
    fn gated_metrics_are_computed(&mut self) {
        let mut computed: HashMap<&str, Vec<String>> = HashMap::new();
        for block in &self.program.blocks {
            if let BlockInfo::Evaluate(e) = &block.info {
                if let Some(model) = &e.model {
                    let metrics = computed.entry(model.as_str()).or_default();
                    match &e.cv {
                        // What a gate reads of them: `cv.accuracy.mean`.
                        Some(_) => metrics.extend(e.metrics.iter().flat_map(|m| {
                            CV_STATISTICS
                                .iter()
                                .map(move |stat| format!("cv.{m}.{stat}"))
                        })),
                        None => metrics.extend(e.metrics.iter().cloned()),
                    }
                }
            }
        }
        let mut missing = Vec::new();
        for (file, span, model, metric) in &self.gated_metrics {
            let metrics = computed.get(model.as_str());
            if metrics.is_some_and(|m| m.contains(metric)) {
                continue;
            }
            let trained = self.program.by_name(model).and_then(|b| match &b.info {
                BlockInfo::Model(m) => m.data.as_ref().map(|d| match &d.part {
                    Some(part) => format!("{}.{part}", d.block),
                    None => d.block.clone(),
                }),
                _ => None,
            });
            if let Some(d) = cv_not_computed((*file, *span), model, trained, metric, metrics) {
                missing.push(d);
                continue;
            }
            let d =
                match metrics {
                    None => Diagnostic::error(
                        codes::METRIC_NOT_COMPUTED,
                        format!("`{model}` is never evaluated, so `{model}.{metric}` has no value"),
                    )
                    .with_label(*file, *span, "never computed")
                    .with_help(format!(
                        "add `evaluate {model} on SPLIT.test {{ {}metrics = [{metric}] }}`",
                        if self.catalog.metric(metric).is_some_and(|m| m.needs_groups) {
                            "groups = COLUMN, "
                        } else {
                            ""
                        }
                    )),
                    Some(list) => Diagnostic::error(
                        codes::METRIC_NOT_COMPUTED,
                        format!("no `evaluate` of `{model}` computes `{metric}`"),
                    )
                    .with_label(*file, *span, "never computed")
                    .with_help(format!(
                    "the evaluations of `{model}` compute: {}; add `{metric}` to a `metrics` list{}",
                    if list.is_empty() { "nothing".to_string() } else { list.join(", ") },
                    if self.catalog.metric(metric).is_some_and(|m| m.needs_groups) {
                        " of an evaluation that names its `groups` column"
                    } else {
                        ""
                    }
                )),
                };
            missing.push(d);
        }
        self.diags.extend(missing);
    }

    fn usage_error(&mut self, d: Diagnostic) {
        let help = d.help.map(|h| format!(" ({h})")).unwrap_or_default();
        self.usage_errors.push(format!("{}{help}", d.message));
    }

    /// The schema of a checked table block (of every part, for a split).
    /// It is kept once, in the program: the facts of the table do not copy it.
    pub(crate) fn table_schema(&self, block: Option<BlockId>) -> &Schema {
        static EMPTY: Schema = Schema {
            columns: Vec::new(),
        };
        match block.and_then(|id| self.program.block(id)).map(|b| &b.info) {
            Some(BlockInfo::Source(s)) => &s.schema,
            Some(BlockInfo::Transform(t)) => &t.schema,
            Some(BlockInfo::Split(s)) => &s.schema,
            _ => &EMPTY,
        }
    }

    fn file(&self, module: ModuleId) -> FileId {
        self.resolved.modules[module].file
    }

    /// A parameter whose value was rejected: its uses stay silent.
    pub(crate) fn is_bad_param(&self, module: ModuleId, name: &str) -> bool {
        self.bad_params.contains(&(module, name.to_string()))
    }

    /// The value of a param, recorded as read by the current block: a
    /// stage's cache key holds the params it reads and no others.
    pub(crate) fn param_value(&mut self, module: ModuleId, name: &str) -> Option<Value> {
        let value = self.params.get(&(module, name.to_string())).cloned();
        if value.is_some() && module == 0 {
            self.params_read.insert(name.to_string());
        }
        value
    }

    /// Declared parameters, their defaults and the `--param` overrides.
    fn params(&mut self, options: &Options) {
        let mut declared: HashMap<String, (ValueType, Span)> = HashMap::new();
        for (m, module) in self.resolved.modules.iter().enumerate() {
            let file = module.file;
            for item in &module.ast.items {
                let ast::ItemKind::Param(p) = &item.kind else {
                    continue;
                };
                let Some(ty) = ValueType::from_type_expr(&p.ty) else {
                    self.unknown_type(file, &p.ty, &ValueType::NAMES);
                    continue;
                };
                if m == 0 {
                    declared.insert(p.name.name.clone(), (ty.clone(), p.name.span));
                }
                let given = (m == 0)
                    .then(|| options.params.iter().rev().find(|(n, _)| *n == p.name.name))
                    .flatten();
                let value = match given {
                    Some((_, text)) => self.parse_param(file, p, &ty, text),
                    None => p
                        .default
                        .as_ref()
                        .and_then(|d| self.param_default(m, file, d, &ty)),
                };
                if m == 0 {
                    self.program.params.push(Param {
                        name: p.name.name.clone(),
                        ty: ty.to_string(),
                        value: value.clone(),
                        overridden: given.is_some(),
                    });
                }
                match value {
                    Some(v) => {
                        self.params.insert((m, p.name.name.clone()), v);
                    }
                    None => {
                        self.bad_params.insert((m, p.name.name.clone()));
                    }
                }
            }
        }
        for (name, _) in &options.params {
            if declared.contains_key(name) {
                continue;
            }
            let mut d = Diagnostic::error(
                COMMAND_LINE,
                format!("`--param {name}`: the pipeline declares no parameter `{name}`"),
            );
            d = match did_you_mean(name, declared.keys().map(String::as_str)) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None if declared.is_empty() => {
                    d.with_help("declare it first: `param name: int = 1`")
                }
                None => {
                    let mut names: Vec<&str> = declared.keys().map(String::as_str).collect();
                    names.sort_unstable();
                    d.with_help(format!("the parameters are: {}", names.join(", ")))
                }
            };
            self.usage_error(d);
        }
    }

    fn param_default(
        &mut self,
        module: ModuleId,
        file: FileId,
        expr: &ast::Expr,
        ty: &ValueType,
    ) -> Option<Value> {
        if let ValueType::List(inner) = ty {
            let ast::ExprKind::List(items) = &expr.kind else {
                self.diags.push(
                    Diagnostic::error(codes::TYPE_MISMATCH, format!("expected a {ty}"))
                        .with_label(file, expr.span, format!("expected a {ty}"))
                        .with_help("write a list: `[a, b]`"),
                );
                return None;
            };
            let expect = Expect::from_value_type(inner);
            let values: Option<Vec<Value>> = items
                .iter()
                .map(|i| self.value(module, file, i, expect))
                .collect();
            return values.map(Value::List);
        }
        let value = self.value(module, file, expr, Expect::from_value_type(ty))?;
        Some(match (ty, value) {
            (ValueType::Float, Value::Int(i)) => Value::Float(i as f64),
            (_, v) => v,
        })
    }

    /// Parses `--param name=text` as a value of the parameter's type.
    fn parse_param(
        &mut self,
        file: FileId,
        p: &ast::ParamDecl,
        ty: &ValueType,
        text: &str,
    ) -> Option<Value> {
        if *ty == ValueType::Str && !text.trim_start().starts_with('"') {
            return Some(Value::Str(text.to_string()));
        }
        let source = format!("env p {{ v = {text} }}");
        let parsed = syntax::parse(&source, FileId(u32::MAX));
        let expr = parsed.file.items.first().and_then(|item| match &item.kind {
            ast::ItemKind::Env(e) => e.body.field("v").map(|f| f.value.clone()),
            _ => None,
        });
        let mut scratch = Checker {
            resolved: self.resolved,
            sources: self.sources,
            gate_uses: Vec::new(),
            gated_metrics: Vec::new(),
            catalog: self.catalog,
            diags: Vec::new(),
            params: HashMap::new(),
            bad_params: HashSet::new(),
            overrides: HashMap::new(),
            tables: HashMap::new(),
            models: HashMap::new(),
            program: Program::default(),
            reported_leaks: HashSet::new(),
            usage_errors: Vec::new(),
            params_read: BTreeSet::new(),
            waivers_read: Vec::new(),
        };
        let value = match expr {
            Some(expr) if !parsed.has_errors() && text.lines().count() <= 1 => {
                let v = scratch.param_default(usize::MAX, FileId(u32::MAX), &expr, ty);
                // A bare word is not a value of any parameter type.
                v.filter(|v| !matches!(v, Value::Word(_)))
            }
            _ => None,
        };
        if value.is_none() {
            let reason = scratch
                .diags
                .first()
                .map(|d| format!(" ({})", d.message))
                .unwrap_or_default();
            self.usage_error(
                Diagnostic::error(
                    COMMAND_LINE,
                    format!(
                        "`--param {}={text}`: expected a value of type {ty}{reason}",
                        p.name.name
                    ),
                )
                .with_label(
                    file,
                    p.ty.span,
                    format!("`{}` is declared {ty} here", p.name.name),
                )
                .with_help(format!(
                    "for example `--param {}={}`",
                    p.name.name,
                    example(ty)
                )),
            );
        }
        value
    }

    fn unknown_type(&mut self, file: FileId, ty: &ast::TypeExpr, names: &[&str]) {
        let name = match &ty.kind {
            ast::TypeKind::Named(n) => n.name.clone(),
            ast::TypeKind::Enum(_) => "enum".into(),
            ast::TypeKind::List(_) => "list".into(),
        };
        let mut d = Diagnostic::error(codes::UNKNOWN_TYPE, format!("unknown type `{name}`"))
            .with_label(file, ty.span, "not a type here");
        d = match did_you_mean(&name, names.iter().copied()) {
            // A named type is replaced by name, keeping its `?`.
            Some(s) => match &ty.kind {
                ast::TypeKind::Named(n) => d.with_correction(file, n.span, s),
                _ => d.with_help(format!("did you mean `{s}`?")),
            },
            None => d.with_help(format!("the types are: {}", names.join(", "))),
        };
        self.diags.push(d);
    }

    /// Checks every `env` overlay of the entry module; keeps the selected one.
    fn envs(&mut self, options: &Options) {
        let module = &self.resolved.modules[0];
        let file = module.file;
        let mut names = Vec::new();
        for item in &module.ast.items {
            let ast::ItemKind::Env(env) = &item.kind else {
                continue;
            };
            names.push(env.name.name.as_str());
            let selected = options.env.as_deref() == Some(env.name.name.as_str());
            for entry in &env.body.entries {
                let ast::Entry::Field(field) = entry else {
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_OVERRIDE,
                            "an env overlay holds `block.field = value` overrides",
                        )
                        .with_label(file, entry.span(), "not an override")
                        .with_help("write `scoring_api.replicas = 4`"),
                    );
                    continue;
                };
                if let Some(key) = self.override_target(file, field) {
                    if selected {
                        self.overrides.insert(key, (&field.value, file));
                    }
                }
            }
        }
        if let Some(wanted) = &options.env {
            if !names.contains(&wanted.as_str()) {
                let mut d = Diagnostic::error(
                    COMMAND_LINE,
                    format!("`--env {wanted}`: the pipeline declares no env `{wanted}`"),
                );
                d = match did_you_mean(wanted, names.iter().copied()) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None if names.is_empty() => {
                        d.with_help("declare one: `env prod { api.replicas = 4 }`")
                    }
                    None => d.with_help(format!("the environments are: {}", names.join(", "))),
                };
                self.usage_error(d);
            }
        }
    }

    /// The block and field an override sets, after checking its value.
    fn override_target(&mut self, file: FileId, field: &ast::Field) -> Option<(BlockId, String)> {
        let segments: Vec<&ast::Ident> = field.path.segments.iter().collect();
        let bad = |message: String, help: String| {
            Diagnostic::error(codes::BAD_OVERRIDE, message)
                .with_label(file, field.path.span, "no such field")
                .with_help(help)
        };
        let Some(target) = self.resolved.lookup(0, &segments[..1]) else {
            let names = self.resolved.modules[0].blocks.keys().map(String::as_str);
            let help = match did_you_mean(&segments[0].name, names) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "an override starts with the name of a block of this file".into(),
            };
            self.diags.push(bad(
                format!("`{}` does not name a block", segments[0].name),
                help,
            ));
            return None;
        };
        let item = self.resolved.item(target.block);
        let specs = blocks::field_specs(item);
        let rest: Vec<&str> = segments[1..].iter().map(|s| s.name.as_str()).collect();
        let path = rest.join(".");
        let spec = specs.iter().find(|(name, _, _)| *name == path);
        let Some(&(_, expect, _)) = spec.filter(|(_, e, _)| *e != Expect::Special) else {
            let candidates = specs
                .iter()
                .filter(|(_, e, _)| *e != Expect::Special)
                .map(|(n, _, _)| *n);
            let help = match did_you_mean(&path, candidates) {
                Some(s) => format!("did you mean `{}.{s}`?", segments[0].name),
                None => {
                    let all: Vec<&str> = specs
                        .iter()
                        .filter(|(_, e, _)| *e != Expect::Special)
                        .map(|(n, _, _)| *n)
                        .collect();
                    if all.is_empty() {
                        format!("`{}` has no field an env can override", segments[0].name)
                    } else {
                        format!(
                            "the fields an env can set on `{}` are: {}",
                            segments[0].name,
                            all.join(", ")
                        )
                    }
                }
            };
            self.diags.push(bad(
                format!("`{}` has no field `{path}` to override", segments[0].name),
                help,
            ));
            return None;
        };
        self.value(0, file, &field.value, expect)?;
        Some((target.block, path))
    }

    fn block(&mut self, block: BlockId) {
        self.params_read.clear();
        self.waivers_read.clear();
        let item = self.resolved.item(block);
        let module = block.module;
        let file = self.file(module);
        match &item.kind {
            ast::ItemKind::Pipeline(p) => {
                let fields = self.fields(block, &p.body, item);
                if module == 0 {
                    self.program.pipeline = Some(Pipeline {
                        name: p.name.name.clone(),
                        fields,
                        file,
                        span: p.name.span,
                        waivers: std::mem::take(&mut self.waivers_read),
                    });
                }
            }
            ast::ItemKind::Source(s) => self.source(block, file, item, s),
            ast::ItemKind::Transform(t) => self.transform(block, file, item, t),
            ast::ItemKind::Split(s) => self.split(block, file, item, s),
            ast::ItemKind::Model(m) => self.model(block, file, item, m),
            ast::ItemKind::Evaluate(e) => self.evaluate(block, file, item, e),
            ast::ItemKind::Policy(p) => self.policy(block, file, item, p),
            ast::ItemKind::Deploy(d) => self.deploy(block, file, item, d),
            ast::ItemKind::Catalog(c) => self.catalog_block(module, file, item, c),
            _ => {}
        }
    }

    /// The catalogue is read from the embedded `std.catalog.*` modules
    /// (`catalog.rs`); the same block anywhere else would change nothing,
    /// so it is an error rather than a silent no-op.
    fn catalog_block(
        &mut self,
        module: ModuleId,
        file: FileId,
        item: &ast::Item,
        catalog: &ast::CatalogDecl,
    ) {
        if matches!(self.resolved.modules[module].origin, Origin::Std(_)) {
            return;
        }
        let head = Span::new(item.span.start as usize, catalog.name.span.end as usize);
        self.diags.push(
            Diagnostic::error(
                codes::CATALOG_OUTSIDE_STDLIB,
                format!(
                    "`catalog {}` is only read from the standard library",
                    catalog.name.name
                ),
            )
            .with_label(file, head, "declared outside the standard library")
            .with_help(
                "the algorithms, metrics and operations mlp knows are fixed by the \
                 `std.catalog.*` modules shipped in the binary; remove this block",
            ),
        );
    }

    fn push_block(
        &mut self,
        block: BlockId,
        item: &ast::Item,
        fields: std::collections::BTreeMap<String, Value>,
        info: BlockInfo,
    ) {
        let index = self.program.blocks.len();
        self.program.index.insert(block, index);
        let name = self.resolved.qualified(block);
        // Evaluations have no name of their own; the first one shown so wins.
        self.program.names.entry(name.clone()).or_insert(index);
        self.program.blocks.push(Block {
            name,
            module: self.resolved.modules[block.module].name.clone(),
            id: block,
            file: self.file(block.module),
            span: item.span,
            doc: item.doc.clone(),
            fields,
            info,
            params: std::mem::take(&mut self.params_read),
            waivers: std::mem::take(&mut self.waivers_read),
        });
    }

    /// A reference to a table: a source, a transform or a split part.
    pub(crate) fn table_ref_expr(
        &mut self,
        module: ModuleId,
        file: FileId,
        expr: &ast::Expr,
    ) -> Option<TableRef> {
        let Some(path) = expr.as_path() else {
            self.diags.push(
                Diagnostic::error(codes::TYPE_MISMATCH, "expected the name of a table")
                    .with_label(file, expr.span, "not a table name")
                    .with_help("name a source, a transform, or a split part like `holdout.train`"),
            );
            return None;
        };
        self.table_ref(module, file, &path, expr.span, false)
    }

    /// A table a block reads: a source, a transform, or one part of a split
    /// (or of a transform of a split). With `whole_split`, a split itself
    /// is accepted too: a transform of a split transforms every part.
    pub(crate) fn table_ref(
        &mut self,
        module: ModuleId,
        file: FileId,
        path: &[&ast::Ident],
        span: Span,
        whole_split: bool,
    ) -> Option<TableRef> {
        // Unknown names were reported by the resolver.
        let target = self.resolved.lookup(module, path)?;
        let item = self.resolved.item(target.block);
        let name = self.resolved.qualified(target.block);
        let rest = &path[target.consumed..];
        let facts = self.tables.get(&target.block);
        let split_like = matches!(item.kind, ast::ItemKind::Split(_))
            || (matches!(item.kind, ast::ItemKind::Transform(_))
                && facts.is_some_and(|f| f.is_split));
        match &item.kind {
            ast::ItemKind::Source(_) | ast::ItemKind::Transform(_)
                if rest.is_empty() && !split_like =>
            {
                Some(TableRef {
                    block: name,
                    part: None,
                    id: Some(target.block),
                })
            }
            _ if split_like && rest.is_empty() && whole_split => Some(TableRef {
                block: name,
                part: None,
                id: Some(target.block),
            }),
            _ if split_like => {
                let parts = facts.map(|f| f.parts.clone()).unwrap_or_default();
                match rest {
                    [part] if parts.contains(&part.name) || parts.is_empty() => Some(TableRef {
                        block: name,
                        part: Some(part.name.clone()),
                        id: Some(target.block),
                    }),
                    [part] => {
                        let mut d = Diagnostic::error(
                            codes::UNKNOWN_MEMBER,
                            format!("split `{name}` has no part `{}`", part.name),
                        )
                        .with_label(file, part.span, "no such part");
                        d = match did_you_mean(&part.name, parts.iter().map(String::as_str)) {
                            Some(s) => d.with_correction(file, part.span, s),
                            None => d.with_help(format!("the parts are: {}", parts.join(", "))),
                        };
                        self.diags.push(d);
                        None
                    }
                    _ => {
                        self.diags.push(
                            Diagnostic::error(
                                codes::WRONG_BLOCK_KIND,
                                format!("`{name}` is a split: name one of its parts"),
                            )
                            .with_label(file, span, "a split, not a table")
                            .with_help(format!("write `{name}.train` or `{name}.test`")),
                        );
                        None
                    }
                }
            }
            ast::ItemKind::Source(_) | ast::ItemKind::Transform(_) => {
                self.diags.push(
                    Diagnostic::error(
                        codes::UNKNOWN_MEMBER,
                        format!("`{name}` is a table; it has no member `{}`", rest[0].name),
                    )
                    .with_label(file, rest[0].span, "no such member")
                    .with_help(format!("write `{name}` alone")),
                );
                None
            }
            _ => {
                self.wrong_kind(
                    file,
                    span,
                    &name,
                    item,
                    "a table (source, transform or split part)",
                );
                None
            }
        }
    }

    fn wrong_kind(&mut self, file: FileId, span: Span, name: &str, item: &ast::Item, wanted: &str) {
        let kind = item.keyword().map_or("block", |k| k.as_str());
        self.diags.push(
            Diagnostic::error(
                codes::WRONG_BLOCK_KIND,
                format!("`{name}` is a {kind}, expected {wanted}"),
            )
            .with_label(file, span, format!("a {kind}"))
            .with_help(format!("name {wanted} here")),
        );
    }
}

fn example(ty: &ValueType) -> &'static str {
    match ty {
        ValueType::Int => "7",
        ValueType::Float => "0.5",
        ValueType::Bool => "true",
        ValueType::Str => "text",
        ValueType::Duration => "200ms",
        ValueType::Quantity => "512Mi",
        ValueType::Percent => "70%",
        ValueType::List(_) => "[1,2]",
    }
}

/// MLP2023 for a gate on a cross-validated metric (`cv.accuracy.mean`)
/// that no `cv` evaluation of `model` (trained on `trained`) computes;
/// `None` for another metric.
fn cv_not_computed(
    (file, span): (FileId, Span),
    model: &str,
    trained: Option<String>,
    metric: &str,
    computed: Option<&Vec<String>>,
) -> Option<Diagnostic> {
    let inner = metric.strip_prefix("cv.")?;
    let base = inner.rsplit_once('.').map_or(inner, |(m, _)| m);
    let validated: Vec<&str> = computed
        .into_iter()
        .flatten()
        .filter_map(|m| m.strip_prefix("cv.")?.strip_suffix(".mean"))
        .collect();
    let help = if validated.is_empty() {
        format!(
            "cross-validate it: `evaluate {model} on {} {{ cv {{ folds = 5 }} metrics = [{base}] }}`",
            trained.as_deref().unwrap_or("TRAINING_TABLE")
        )
    } else {
        format!(
            "its cross-validation computes: {}; add `{base}` to its `metrics`",
            validated.join(", ")
        )
    };
    Some(
        Diagnostic::error(
            codes::METRIC_NOT_COMPUTED,
            format!("no cross-validation of `{model}` computes `{base}`, so `{model}.{metric}` has no value"),
        )
        .with_label(file, span, "never computed")
        .with_help(help),
    )
}
