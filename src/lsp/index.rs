//! Every name of a compilation that refers to something, with what it
//! refers to, and the other words of its files by kind (keywords,
//! operations, literals...): the one table behind definition, references,
//! rename and semantic tokens. Names are resolved as the resolver and the checker do
//! (`Resolved::lookup`, the schemas the checker computed at each step), on
//! the AST's own spans; the text is never read again.

use crate::check::types::Schema;
use crate::check::{BlockInfo, Program};
use crate::driver::Compilation;
use crate::resolve::{BlockId, ModuleId, Origin};
use crate::source::{FileId, Span};
use crate::syntax::ast::{self, ExprKind, ItemKind, RuleKind};

/// Where a column name is read: the table it must exist in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Site {
    /// In step `step` of a transform: the schema before that step.
    Step { transform: BlockId, step: usize },
    /// The whole output of a table block (a model's data, a source's schema).
    Table(BlockId),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A block or a param (params are blocks of their module).
    Block(BlockId),
    Column {
        name: String,
        site: Site,
    },
}

#[derive(Clone, Debug)]
pub struct Occurrence {
    pub file: FileId,
    pub span: Span,
    pub target: Target,
    /// The name in the block's declaration (or a column in a source schema).
    pub declaration: bool,
}

/// What a word that names nothing is, for colouring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lexeme {
    Keyword,
    /// `@pii`, the `@` included.
    Tag,
    /// A step of a transform chain.
    Operation,
    /// A function called in an expression: `all_except`, `nulls`, `cron`.
    Function,
    Number,
    Str,
    /// A column type, a source's format, a model's algorithm, a target.
    Type,
}

/// The names and the other words of a compilation.
#[derive(Default)]
pub struct Index {
    pub names: Vec<Occurrence>,
    pub lexemes: Vec<(FileId, Span, Lexeme)>,
}

/// The index of every module of `c`, in module and item order.
pub fn build(c: &Compilation) -> Index {
    let mut walker = Walker {
        c,
        m: 0,
        file: FileId(0),
        out: Index::default(),
    };
    for (m, module) in c.resolved.modules.iter().enumerate() {
        walker.m = m;
        walker.file = module.file;
        for (i, item) in module.ast.items.iter().enumerate() {
            walker.item(BlockId { module: m, item: i }, item);
            walker.words(item);
        }
    }
    walker.out
}

/// The occurrence of `file` whose name holds `offset` (its end included, where
/// an editor's cursor sits after typing the name).
pub fn at(occurrences: &[Occurrence], file: FileId, offset: usize) -> Option<&Occurrence> {
    occurrences.iter().find(|o| {
        o.file == file && o.span.start as usize <= offset && offset <= o.span.end as usize
    })
}

/// The schema a table block outputs (every part of a split).
pub fn table_schema(program: &Program, id: Option<BlockId>) -> Option<&Schema> {
    match &program.block(id?)?.info {
        BlockInfo::Source(s) => Some(&s.schema),
        BlockInfo::Transform(t) => Some(&t.schema),
        BlockInfo::Split(s) => Some(&s.schema),
        _ => None,
    }
}

/// Whether `file` is a module of the embedded standard library, which has
/// no file an editor could open.
pub fn is_std(c: &Compilation, file: FileId) -> bool {
    c.resolved
        .modules
        .iter()
        .any(|m| m.file == file && matches!(m.origin, Origin::Std(_)))
}

/// The schema step `step` of a checked transform sees: the one after the
/// step before it, or the transform's input. Checked steps are matched to
/// the AST's by span, since a step the checker refused has no checked twin.
pub fn scope_of<'p>(
    program: &'p Program,
    transform: &'p crate::check::TransformInfo,
    decl: &ast::TransformDecl,
    step: usize,
) -> Option<&'p Schema> {
    match step.checked_sub(1) {
        None => table_schema(program, transform.input.id),
        Some(before) => schema_after(transform, decl.steps.get(before)?),
    }
}

/// The checked schema after the AST step `step`.
pub fn schema_after<'p>(
    transform: &'p crate::check::TransformInfo,
    step: &ast::OpCall,
) -> Option<&'p Schema> {
    transform
        .steps
        .iter()
        .find(|s| s.span == step.span)
        .map(|s| &s.schema)
}

/// The schema a column read at `site` is looked up in.
pub fn site_schema(c: &Compilation, site: Site) -> Option<&Schema> {
    match site {
        Site::Table(id) => table_schema(&c.program, Some(id)),
        Site::Step { transform, step } => {
            match (
                &c.program.block(transform)?.info,
                &c.resolved.item(transform).kind,
            ) {
                (BlockInfo::Transform(t), ItemKind::Transform(decl)) => {
                    scope_of(&c.program, t, decl, step)
                }
                _ => None,
            }
        }
    }
}

/// Where the column `name` read at `site` was declared: its name in its
/// source's schema, or the step that made it (a `derive`'s `name = ...`,
/// the step's name otherwise), followed upstream through transforms,
/// splits and joins along the schemas the checker computed.
pub fn column_origin(c: &Compilation, site: Site, name: &str) -> Option<(FileId, Span)> {
    let program = &c.program;
    let (mut block, mut before) = match site {
        Site::Step { transform, step } => (transform, Some(step)),
        Site::Table(id) => (id, None),
    };
    // Each round moves one block upstream: no chain is longer than the program.
    for _ in 0..=program.blocks.len() {
        let file = c.resolved.module(block.module).file;
        match (&program.block(block)?.info, &c.resolved.item(block).kind) {
            (BlockInfo::Source(_), ItemKind::Source(s)) => {
                let column = s
                    .body
                    .schema()?
                    .columns
                    .iter()
                    .find(|k| k.name.name == name)?;
                return Some((file, column.name.span));
            }
            (BlockInfo::Transform(t), ItemKind::Transform(decl)) => {
                let end = before.unwrap_or(decl.steps.len()).min(decl.steps.len());
                let made = (0..end)
                    .rev()
                    .map(|k| (k, &decl.steps[k]))
                    .find(|(k, step)| {
                        schema_after(t, step).is_some_and(|s| s.get(name).is_some())
                            && scope_of(program, t, decl, *k).is_none_or(|s| s.get(name).is_none())
                    });
                block = match made {
                    // A join brings the column from the other table: go on there.
                    Some((_, step)) if step.name.name == "join" => {
                        let joined = t.joins.iter().find(|j| {
                            table_schema(program, j.id).is_some_and(|s| s.get(name).is_some())
                        });
                        match joined.and_then(|j| j.id) {
                            Some(id) => id,
                            None => return Some((file, step.name.span)),
                        }
                    }
                    Some((_, step)) => {
                        let named = step.args.iter().flatten().find_map(|a| {
                            a.name.as_ref().filter(|n| n.name == name).map(|n| n.span)
                        });
                        return Some((file, named.unwrap_or(step.name.span)));
                    }
                    None => t.input.id?,
                };
            }
            (BlockInfo::Split(s), _) => block = s.input.id?,
            _ => return None,
        }
        before = None;
    }
    None
}

struct Walker<'a> {
    c: &'a Compilation,
    m: ModuleId,
    file: FileId,
    out: Index,
}

/// The columns names are read against in part of a block, and their site.
type Columns<'s> = Option<(&'s Schema, Site)>;

impl<'a> Walker<'a> {
    fn push(&mut self, span: Span, target: Target, declaration: bool) {
        self.out.names.push(Occurrence {
            file: self.file,
            span,
            target,
            declaration,
        });
    }

    fn lexeme(&mut self, span: Span, lexeme: Lexeme) {
        self.out.lexemes.push((self.file, span, lexeme));
    }

    /// `word` as a keyword where it is written at `at`.
    fn keyword(&mut self, at: usize, word: &str) {
        let text = &self.c.sources.get(self.file).text;
        if text.get(at..).is_some_and(|t| t.starts_with(word)) {
            self.lexeme(Span::new(at, at + word.len()), Lexeme::Keyword);
        }
    }

    fn ty(&mut self, ty: &ast::TypeExpr) {
        match &ty.kind {
            ast::TypeKind::Named(n) => self.lexeme(n.span, Lexeme::Type),
            ast::TypeKind::Enum(variants) => {
                for v in variants {
                    self.lexeme(v.span, Lexeme::Str);
                }
            }
            ast::TypeKind::List(inner) => self.ty(inner),
        }
    }

    /// The words of an item that name nothing: its keywords, types, tags,
    /// operations and the strings outside expressions.
    fn words(&mut self, item: &ast::Item) {
        if let Some(keyword) = item.keyword() {
            self.keyword(item.span.start as usize, keyword.as_str());
        }
        let mut bodies = Vec::new();
        match &item.kind {
            ItemKind::Use(u) => {
                if let ast::UseTarget::File(f) = &u.target {
                    self.lexeme(f.span, Lexeme::Str);
                }
            }
            ItemKind::Param(p) => self.ty(&p.ty),
            ItemKind::Source(s) => {
                self.lexeme(s.format.span, Lexeme::Type);
                bodies.push(&s.body);
            }
            ItemKind::Transform(t) => {
                for step in &t.steps {
                    self.lexeme(step.name.span, Lexeme::Operation);
                }
            }
            ItemKind::Model(m) => {
                self.lexeme(m.algorithm.span, Lexeme::Type);
                bodies.push(&m.body);
            }
            ItemKind::Deploy(d) => {
                self.lexeme(d.target.span, Lexeme::Type);
                bodies.push(&d.body);
            }
            ItemKind::Evaluate(e) => {
                let text = &self.c.sources.get(self.file).text;
                let (after, before) = (e.model.span.end as usize, e.data.span.start as usize);
                if let Some(on) = text.get(after..before).and_then(|b| b.find("on")) {
                    self.keyword(after + on, "on");
                }
                bodies.extend(&e.body);
            }
            ItemKind::Split(ast::SplitDecl { body, .. })
            | ItemKind::Pipeline(ast::PipelineDecl { body, .. })
            | ItemKind::Policy(ast::PolicyDecl { body, .. }) => bodies.push(body),
            _ => {}
        }
        while let Some(body) = bodies.pop() {
            for entry in &body.entries {
                match entry {
                    ast::Entry::Schema(schema) => {
                        self.keyword(schema.span.start as usize, "schema");
                        for column in &schema.columns {
                            self.ty(&column.ty);
                            for tag in &column.tags {
                                // The span of a tag's name leaves out its `@`.
                                let at = (tag.span.start as usize).saturating_sub(1);
                                self.lexeme(Span::new(at, tag.span.end as usize), Lexeme::Tag);
                            }
                        }
                    }
                    ast::Entry::Rule(rule) => {
                        let word = match rule.kind {
                            RuleKind::Deny(_) => "deny",
                            _ => "require",
                        };
                        self.keyword(rule.span.start as usize, word);
                        if let Some(message) = &rule.message {
                            self.lexeme(message.span, Lexeme::Str);
                        }
                    }
                    ast::Entry::Nested(n) => bodies.push(&n.body),
                    ast::Entry::Field(_) | ast::Entry::Expr(_) => {}
                }
            }
        }
    }

    /// A dotted name naming a block: the segment that names it is the
    /// occurrence (`production` in `baseline.production`).
    fn path(&mut self, segments: &[&ast::Ident]) -> bool {
        let Some(target) = self.c.resolved.lookup(self.m, segments) else {
            return false;
        };
        let Some(ident) = segments.get(target.consumed - 1) else {
            return false;
        };
        self.push(ident.span, Target::Block(target.block), false);
        true
    }

    fn table_columns(&self, id: Option<BlockId>) -> Columns<'a> {
        Some((table_schema(&self.c.program, id)?, Site::Table(id?)))
    }

    fn item(&mut self, id: BlockId, item: &ast::Item) {
        let module = self.c.resolved.module(self.m);
        if let Some(name) = item.name() {
            if module.blocks.get(&name.name) == Some(&id.item) {
                self.push(name.span, Target::Block(id), true);
            }
        }
        let checked = self.c.program.block(id).map(|b| &b.info);
        match (&item.kind, checked) {
            (ItemKind::Source(s), _) => {
                let columns = self.table_columns(Some(id));
                if let Some(schema) = s.body.schema() {
                    for column in &schema.columns {
                        let site = Site::Table(id);
                        let name = column.name.name.clone();
                        self.push(column.name.span, Target::Column { name, site }, true);
                    }
                }
                self.body(&s.body, columns);
            }
            (ItemKind::Transform(t), checked) => {
                self.path(&t.input.segments.iter().collect::<Vec<_>>());
                let info = match checked {
                    Some(BlockInfo::Transform(info)) => Some(info),
                    _ => None,
                };
                for (k, step) in t.steps.iter().enumerate() {
                    let scope = info.and_then(|i| scope_of(&self.c.program, i, t, k));
                    let site = Site::Step {
                        transform: id,
                        step: k,
                    };
                    for arg in step.args.iter().flatten() {
                        self.expr(&arg.value, scope.map(|s| (s, site)));
                    }
                }
            }
            (ItemKind::Split(s), checked) => {
                self.path(&s.input.segments.iter().collect::<Vec<_>>());
                let columns = match checked {
                    Some(BlockInfo::Split(info)) => self.table_columns(info.input.id),
                    _ => None,
                };
                self.body(&s.body, columns);
            }
            (ItemKind::Model(m), checked) => {
                let columns = match checked {
                    Some(BlockInfo::Model(info)) => {
                        self.table_columns(info.data.as_ref().and_then(|d| d.id))
                    }
                    _ => None,
                };
                self.body(&m.body, columns);
            }
            (ItemKind::Evaluate(e), checked) => {
                self.path(&e.model.segments.iter().collect::<Vec<_>>());
                self.path(&e.data.segments.iter().collect::<Vec<_>>());
                let columns = match checked {
                    Some(BlockInfo::Evaluate(info)) => {
                        self.table_columns(info.data.as_ref().and_then(|d| d.id))
                    }
                    _ => None,
                };
                if let Some(body) = &e.body {
                    self.body(body, columns);
                }
            }
            (ItemKind::Param(p), _) => {
                if let Some(default) = &p.default {
                    self.expr(default, None);
                }
            }
            (ItemKind::Env(e), _) => {
                for field in e.body.fields() {
                    // `scoring_api.replicas = 4` overrides a field of a block.
                    self.path(&field.path.segments.iter().collect::<Vec<_>>());
                    self.expr(&field.value, None);
                }
            }
            (ItemKind::Pipeline(ast::PipelineDecl { body, .. }), _)
            | (ItemKind::Policy(ast::PolicyDecl { body, .. }), _)
            | (ItemKind::Deploy(ast::DeployDecl { body, .. }), _) => self.body(body, None),
            _ => {}
        }
    }

    fn body(&mut self, body: &ast::Body, columns: Columns<'a>) {
        let mut pending = vec![body];
        while let Some(body) = pending.pop() {
            for entry in &body.entries {
                match entry {
                    ast::Entry::Field(f) => self.expr(&f.value, columns),
                    ast::Entry::Nested(n) => pending.push(&n.body),
                    ast::Entry::Expr(e) => self.expr(e, columns),
                    ast::Entry::Rule(rule) => match &rule.kind {
                        RuleKind::Require(e) | RuleKind::Deny(e) => self.expr(e, columns),
                        RuleKind::Approval { target, when } => {
                            // `approval for deploy.scoring_api`: the word
                            // `deploy` says what kind of block follows.
                            let segments: Vec<_> = target.segments.iter().collect();
                            if !self.path(&segments) && segments.len() > 1 {
                                self.path(&segments[1..]);
                            }
                            if let Some(when) = when {
                                self.expr(when, columns);
                            }
                        }
                    },
                    ast::Entry::Schema(_) => {}
                }
            }
        }
    }

    /// The names of an expression: a column when the schema in scope has
    /// it (the checker reads columns first), else a block or a param.
    /// Iterative, so that a long operator chain cannot exhaust the stack.
    fn expr(&mut self, root: &ast::Expr, columns: Columns<'a>) {
        let mut pending = vec![root];
        while let Some(expr) = pending.pop() {
            match &expr.kind {
                ExprKind::Name(id) => match columns {
                    Some((schema, site)) if schema.get(&id.name).is_some() => {
                        let name = id.name.clone();
                        self.push(id.span, Target::Column { name, site }, false);
                    }
                    _ => {
                        self.path(&[id]);
                    }
                },
                ExprKind::Member { base, .. } => match expr.as_path() {
                    Some(path) => {
                        self.path(&path);
                    }
                    None => pending.push(base),
                },
                ExprKind::Call { callee, args } => {
                    // A function's name (`all_except`, `cron`) names no block.
                    match &callee.kind {
                        ExprKind::Name(f) => self.lexeme(f.span, Lexeme::Function),
                        _ => pending.push(callee),
                    }
                    pending.extend(args.iter().map(|a| &a.value));
                }
                ExprKind::List(items) => pending.extend(items),
                ExprKind::Record(fields) => pending.extend(fields.iter().map(|f| &f.value)),
                ExprKind::Range { lo, hi } => pending.extend([&**lo, &**hi]),
                ExprKind::Unary { operand, .. } => pending.push(operand),
                ExprKind::Binary { lhs, rhs, .. } => pending.extend([&**lhs, &**rhs]),
                ExprKind::Paren(inner) => pending.push(inner),
                ExprKind::Number(_) => self.lexeme(expr.span, Lexeme::Number),
                ExprKind::Str(_) => self.lexeme(expr.span, Lexeme::Str),
                ExprKind::Bool(_) => self.lexeme(expr.span, Lexeme::Keyword),
            }
        }
    }
}
