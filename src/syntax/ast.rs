//! The abstract syntax tree of one `.mlp` file.
//!
//! Every node has a byte [`Span`]. The tree is ours: nothing of pest leaks
//! out of `syntax/`. A file that fails to parse still yields a tree: each
//! broken top-level block becomes an [`ItemKind::Error`] that keeps the
//! block's keyword and name when they could be read, so later phases and the
//! language server keep working on the rest of the file.

use crate::source::Span;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct File {
    pub items: Vec<Item>,
    /// Every comment in the file, in order. The formatter re-inserts them by position.
    pub comments: Vec<Comment>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comment {
    pub kind: CommentKind,
    /// The comment's full text, delimiters included.
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CommentKind {
    /// `// ...`
    Line,
    /// `/// ...`, documentation of the block that follows.
    Doc,
    /// `/* ... */`
    Block,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A dotted name: `holdout.train`, `baseline.production`, `std.policies.baseline`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Path {
    pub segments: Vec<Ident>,
    pub span: Span,
}

impl Path {
    pub fn dotted(&self) -> String {
        let names: Vec<&str> = self.segments.iter().map(|s| s.name.as_str()).collect();
        names.join(".")
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StrLit {
    /// The value, escapes decoded.
    pub value: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Item {
    pub kind: ItemKind,
    /// The text of the `///` comments right above the block, markers removed.
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum BlockKeyword {
    Use,
    Pipeline,
    Param,
    Source,
    Transform,
    Split,
    Model,
    Evaluate,
    Policy,
    Deploy,
    Env,
    Catalog,
}

impl BlockKeyword {
    pub const ALL: [BlockKeyword; 12] = [
        BlockKeyword::Use,
        BlockKeyword::Pipeline,
        BlockKeyword::Param,
        BlockKeyword::Source,
        BlockKeyword::Transform,
        BlockKeyword::Split,
        BlockKeyword::Model,
        BlockKeyword::Evaluate,
        BlockKeyword::Policy,
        BlockKeyword::Deploy,
        BlockKeyword::Env,
        BlockKeyword::Catalog,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BlockKeyword::Use => "use",
            BlockKeyword::Pipeline => "pipeline",
            BlockKeyword::Param => "param",
            BlockKeyword::Source => "source",
            BlockKeyword::Transform => "transform",
            BlockKeyword::Split => "split",
            BlockKeyword::Model => "model",
            BlockKeyword::Evaluate => "evaluate",
            BlockKeyword::Policy => "policy",
            BlockKeyword::Deploy => "deploy",
            BlockKeyword::Env => "env",
            BlockKeyword::Catalog => "catalog",
        }
    }

    pub fn from_word(word: &str) -> Option<BlockKeyword> {
        BlockKeyword::ALL.into_iter().find(|k| k.as_str() == word)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ItemKind {
    Use(UseDecl),
    Pipeline(PipelineDecl),
    Param(ParamDecl),
    Source(SourceDecl),
    Transform(TransformDecl),
    Split(SplitDecl),
    Model(ModelDecl),
    Evaluate(EvaluateDecl),
    Policy(PolicyDecl),
    Deploy(DeployDecl),
    Env(EnvDecl),
    /// Entries of the checker's catalogue (algorithms, metrics, table
    /// operations); only the standard library declares them.
    Catalog(CatalogDecl),
    /// A block that did not parse; its diagnostic was reported.
    Error(ErrorItem),
}

impl Item {
    pub fn keyword(&self) -> Option<BlockKeyword> {
        Some(match &self.kind {
            ItemKind::Use(_) => BlockKeyword::Use,
            ItemKind::Pipeline(_) => BlockKeyword::Pipeline,
            ItemKind::Param(_) => BlockKeyword::Param,
            ItemKind::Source(_) => BlockKeyword::Source,
            ItemKind::Transform(_) => BlockKeyword::Transform,
            ItemKind::Split(_) => BlockKeyword::Split,
            ItemKind::Model(_) => BlockKeyword::Model,
            ItemKind::Evaluate(_) => BlockKeyword::Evaluate,
            ItemKind::Policy(_) => BlockKeyword::Policy,
            ItemKind::Deploy(_) => BlockKeyword::Deploy,
            ItemKind::Env(_) => BlockKeyword::Env,
            ItemKind::Catalog(_) => BlockKeyword::Catalog,
            ItemKind::Error(e) => return e.keyword,
        })
    }

    /// The name the block declares, if it declares one (`use` and
    /// `evaluate` blocks do not).
    pub fn name(&self) -> Option<&Ident> {
        match &self.kind {
            ItemKind::Pipeline(d) => Some(&d.name),
            ItemKind::Param(d) => Some(&d.name),
            ItemKind::Source(d) => Some(&d.name),
            ItemKind::Transform(d) => Some(&d.name),
            ItemKind::Split(d) => Some(&d.name),
            ItemKind::Model(d) => Some(&d.name),
            ItemKind::Policy(d) => Some(&d.name),
            ItemKind::Deploy(d) => Some(&d.name),
            ItemKind::Env(d) => Some(&d.name),
            ItemKind::Catalog(d) => Some(&d.name),
            ItemKind::Error(e) => e.name.as_ref(),
            ItemKind::Use(_) | ItemKind::Evaluate(_) => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErrorItem {
    pub keyword: Option<BlockKeyword>,
    pub name: Option<Ident>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum UseTarget {
    /// `use std.policies.baseline`
    Module(Path),
    /// `use "./features.mlp" as features`
    File(StrLit),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UseDecl {
    pub target: UseTarget,
    pub alias: Option<Ident>,
}

impl UseDecl {
    /// The name the module is known by in the importing file.
    pub fn binding(&self) -> Option<&Ident> {
        match (&self.alias, &self.target) {
            (Some(alias), _) => Some(alias),
            (None, UseTarget::Module(path)) => path.segments.last(),
            (None, UseTarget::File(_)) => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PipelineDecl {
    pub name: Ident,
    pub body: Body,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SourceDecl {
    pub name: Ident,
    /// `csv`, `parquet`, `jsonl`.
    pub format: Ident,
    pub body: Body,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TransformDecl {
    pub name: Ident,
    pub input: Path,
    pub steps: Vec<OpCall>,
}

/// One step of a transform chain: `| impute(income, median)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpCall {
    pub name: Ident,
    /// `None` when written without parentheses: `| dedupe`.
    pub args: Option<Vec<Arg>>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SplitDecl {
    pub name: Ident,
    pub input: Path,
    pub body: Body,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelDecl {
    pub name: Ident,
    pub algorithm: Ident,
    pub body: Body,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvaluateDecl {
    pub model: Path,
    pub data: Path,
    pub body: Option<Body>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PolicyDecl {
    pub name: Ident,
    pub body: Body,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeployDecl {
    pub name: Ident,
    /// `kubernetes`, `docker`, `compose`, `argo`.
    pub target: Ident,
    pub body: Body,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnvDecl {
    pub name: Ident,
    pub body: Body,
}

/// `catalog NAME { entry { field = value ... } ... }`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CatalogDecl {
    pub name: Ident,
    pub body: Body,
}

/// The `{ ... }` of a block.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Body {
    pub entries: Vec<Entry>,
    pub span: Span,
}

impl Body {
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Field(f) => Some(f),
            _ => None,
        })
    }

    /// The first field whose path is the single name `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields()
            .find(|f| f.path.segments.len() == 1 && f.path.segments[0].name == name)
    }

    pub fn nested(&self, name: &str) -> Option<&NestedBlock> {
        self.entries.iter().find_map(|e| match e {
            Entry::Nested(n) if n.name.name == name => Some(n),
            _ => None,
        })
    }

    pub fn schema(&self) -> Option<&SchemaBlock> {
        self.entries.iter().find_map(|e| match e {
            Entry::Schema(s) => Some(s),
            _ => None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Entry {
    /// `name = value`, or `a.b = value` in an `env` overlay.
    Field(Field),
    /// `hyper { ... }`, `expect { ... }`, `resources { ... }`.
    Nested(NestedBlock),
    /// `schema { col: type @tag ... }`
    Schema(SchemaBlock),
    /// `require ...`, `deny ...` in a policy.
    Rule(Rule),
    /// A bare expression: a data expectation or a monitor condition.
    Expr(Expr),
}

impl Entry {
    pub fn span(&self) -> Span {
        match self {
            Entry::Field(f) => f.span,
            Entry::Nested(n) => n.span,
            Entry::Schema(s) => s.span,
            Entry::Rule(r) => r.span,
            Entry::Expr(e) => e.span,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Field {
    pub path: Path,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NestedBlock {
    pub name: Ident,
    pub body: Body,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SchemaBlock {
    pub columns: Vec<Column>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Column {
    pub name: Ident,
    pub ty: TypeExpr,
    /// `@pii`, `@id`, ... (names without the `@`).
    pub tags: Vec<Ident>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TypeExpr {
    pub kind: TypeKind,
    pub nullable: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum TypeKind {
    /// `int`, `float`, `str`, `bool`, `datetime`, `duration`, ...
    Named(Ident),
    /// `enum("basic", "pro")`
    Enum(Vec<StrLit>),
    /// `list<str>`
    List(Box<TypeExpr>),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rule {
    pub kind: RuleKind,
    pub message: Option<StrLit>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum RuleKind {
    /// `require churn_lr.accuracy >= 0.8`
    Require(Expr),
    /// `deny pii in churn_lr.features`
    Deny(Expr),
    /// `require approval for deploy.churn_api when risk >= high`
    Approval { target: Path, when: Option<Expr> },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ExprKind {
    Number(Number),
    Str(String),
    Bool(bool),
    Name(Ident),
    /// `base.name`
    Member {
        base: Box<Expr>,
        name: Ident,
    },
    Call {
        callee: Box<Expr>,
        args: Vec<Arg>,
    },
    List(Vec<Expr>),
    Record(Vec<RecordField>),
    /// `lo..hi`
    Range {
        lo: Box<Expr>,
        hi: Box<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// Kept so that formatting reproduces the user's parentheses.
    Paren(Box<Expr>),
}

impl OpCall {
    /// The call with every span set to zero: what a saved model keeps, so
    /// that its bytes do not change when an edit elsewhere in the file moves
    /// the step.
    pub fn without_spans(&self) -> OpCall {
        let mut call = self.clone();
        call.span = Span::default();
        call.name.span = Span::default();
        for arg in call.args.iter_mut().flatten() {
            clear_arg(arg);
        }
        call
    }
}

fn clear_arg(arg: &mut Arg) {
    arg.span = Span::default();
    if let Some(name) = &mut arg.name {
        name.span = Span::default();
    }
    clear_expr(&mut arg.value);
}

/// Iterative, so that a long operator chain cannot exhaust the stack.
fn clear_expr(root: &mut Expr) {
    let mut pending: Vec<&mut Expr> = vec![root];
    while let Some(expr) = pending.pop() {
        expr.span = Span::default();
        match &mut expr.kind {
            ExprKind::Number(_) | ExprKind::Str(_) | ExprKind::Bool(_) => {}
            ExprKind::Name(id) => id.span = Span::default(),
            ExprKind::Member { base, name } => {
                name.span = Span::default();
                pending.push(base);
            }
            ExprKind::Call { callee, args } => {
                pending.push(callee);
                // Calls nest at most as deep as the parser allows brackets.
                args.iter_mut().for_each(clear_arg);
            }
            ExprKind::List(items) => pending.extend(items.iter_mut()),
            ExprKind::Record(fields) => {
                for field in fields {
                    field.span = Span::default();
                    field.name.span = Span::default();
                    pending.push(&mut field.value);
                }
            }
            ExprKind::Range { lo, hi } => {
                pending.push(lo);
                pending.push(hi);
            }
            ExprKind::Unary { operand, .. } => pending.push(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                pending.push(lhs);
                pending.push(rhs);
            }
            ExprKind::Paren(inner) => pending.push(inner),
        }
    }
}

impl Expr {
    /// The dotted path this expression spells, if it is only names and members.
    pub fn as_path(&self) -> Option<Vec<&Ident>> {
        match &self.kind {
            ExprKind::Name(id) => Some(vec![id]),
            ExprKind::Member { base, name } => {
                let mut path = base.as_path()?;
                path.push(name);
                Some(path)
            }
            _ => None,
        }
    }
}

/// A numeric literal as written, with its optional unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Number {
    /// The digits as written (without the unit), kept so formatting is exact.
    pub text: String,
    pub value: NumberValue,
    /// `ms`, `s`, `m`, `h`, `d`, `Mi`, `Gi`, `%`, ...
    pub unit: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum NumberValue {
    Int(i64),
    Float(f64),
}

impl NumberValue {
    pub fn as_f64(self) -> f64 {
        match self {
            NumberValue::Int(i) => i as f64,
            NumberValue::Float(f) => f,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordField {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::NotIn => "not in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }

    /// Binding strength; higher binds tighter. Used by the formatter.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::In
            | BinaryOp::NotIn => 4,
            BinaryOp::Add | BinaryOp::Sub => 6,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 7,
        }
    }
}
