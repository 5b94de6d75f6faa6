//! Lowering of pest's parse tree into our AST. pest types stay in this file
//! and in `errors.rs`.

use super::ast::*;
use super::block_comment_len;
use super::lexical::unescape;
use crate::diagnostics::{codes, Diagnostic};
use crate::source::{FileId, Span};
use pest::iterators::{Pair, Pairs};
use pest_derive::Parser;
use std::borrow::Cow;

#[derive(Parser)]
#[grammar = "../grammar/mlp.pest"]
pub(crate) struct MlpParser;

/// Lowers pairs to AST nodes. `base` is the chunk's offset in the file: pest
/// parses one chunk at a time, and spans are made file-relative here.
pub(crate) struct Lower {
    pub base: usize,
    pub file: FileId,
    pub diagnostics: Vec<Diagnostic>,
    /// The previous entry was a name missing its `=`: its value, which
    /// follows as a lone value, needs no second diagnostic.
    pub after_missing_eq: bool,
    /// Operators lowered so far in this block (see [`MAX_OPERATORS`]).
    pub operators: usize,
}

/// The most operators (prefix, infix, `.name` and call suffixes) one block
/// may hold (`docs/language.md`, MLP0010). A chain `a + b + ...` lowers to
/// a left-deep tree that later passes walk by recursion, so this bounds
/// their depth, together with the nesting limit; the CLI's stack
/// ([`crate::STACK_SIZE`]) holds several times more (`docs/performance.md`).
pub const MAX_OPERATORS: usize = 200_000;

type P<'i> = Pair<'i, Rule>;

/// The grammar guarantees the shape of each pair; a missing child would be a
/// grammar/lowering mismatch, which tests catch. We still never panic on it.
fn next<'i>(pairs: &mut Pairs<'i, Rule>) -> Option<P<'i>> {
    pairs.next()
}

impl Lower {
    fn span(&self, pair: &P) -> Span {
        let s = pair.as_span();
        Span::new(self.base + s.start(), self.base + s.end())
    }

    /// The span of a rule that may end in an optional or repeated part.
    /// pest skips whitespace and comments before trying that part, and keeps
    /// them in the rule's span when the part is absent: such a span ends at
    /// its last child instead (`use std.policies.baseline   // c`).
    fn trimmed_span(&self, pair: &P) -> Span {
        let s = pair.as_span();
        // Without a comment at the end, trimming whitespace is enough (no
        // token ends in whitespace); a comment needs the children's ends.
        let text = pair.as_str().trim_end_matches(TRIVIA_SPACE);
        let last_line = &text[text.rfind('\n').map_or(0, |n| n + 1)..];
        if !text.ends_with('/') && !last_line.contains("//") {
            return Span::new(self.base + s.start(), self.base + s.start() + text.len());
        }
        Span::new(self.base + s.start(), self.base + token_end(pair))
    }

    fn ident(&self, pair: P) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn string(&self, pair: P) -> StrLit {
        let span = self.span(&pair);
        let raw = string_body(pair.as_str());
        StrLit {
            value: unescape(raw),
            span,
        }
    }

    fn path(&self, pair: P) -> Path {
        let span = self.trimmed_span(&pair);
        Path {
            segments: pair.into_inner().map(|p| self.ident(p)).collect(),
            span,
        }
    }

    /// `chunk` -> the one item it holds.
    pub fn chunk(&mut self, pair: P) -> Option<Item> {
        let item = pair.into_inner().find(|p| p.as_rule() != Rule::EOI)?;
        self.item(item)
    }

    fn item(&mut self, pair: P) -> Option<Item> {
        let span = self.trimmed_span(&pair);
        let kind = pair.as_rule();
        let mut inner = pair.into_inner();
        let kind = match kind {
            Rule::use_decl => {
                let first = next(&mut inner)?;
                let target = if first.as_rule() == Rule::string {
                    UseTarget::File(self.string(first))
                } else {
                    UseTarget::Module(self.path(first))
                };
                let alias = inner.next().map(|p| self.ident(p));
                ItemKind::Use(UseDecl { target, alias })
            }
            Rule::pipeline_decl => ItemKind::Pipeline(PipelineDecl {
                name: self.ident(next(&mut inner)?),
                body: self.body(next(&mut inner)?)?,
            }),
            Rule::param_decl => ItemKind::Param(ParamDecl {
                name: self.ident(next(&mut inner)?),
                ty: self.type_expr(next(&mut inner)?)?,
                default: match inner.next() {
                    Some(p) => Some(self.expr(p)?),
                    None => None,
                },
            }),
            Rule::source_decl => ItemKind::Source(SourceDecl {
                name: self.ident(next(&mut inner)?),
                format: self.ident(next(&mut inner)?),
                body: self.body(next(&mut inner)?)?,
            }),
            Rule::transform_decl => {
                let name = self.ident(next(&mut inner)?);
                let input = self.path(next(&mut inner)?);
                let mut steps = Vec::with_capacity(inner.len());
                for op in inner {
                    steps.push(self.op_call(op)?);
                }
                ItemKind::Transform(TransformDecl { name, input, steps })
            }
            Rule::split_decl => ItemKind::Split(SplitDecl {
                name: self.ident(next(&mut inner)?),
                input: self.path(next(&mut inner)?),
                body: self.body(next(&mut inner)?)?,
            }),
            Rule::model_decl => ItemKind::Model(ModelDecl {
                name: self.ident(next(&mut inner)?),
                algorithm: self.ident(next(&mut inner)?),
                body: self.body(next(&mut inner)?)?,
            }),
            Rule::evaluate_decl => ItemKind::Evaluate(EvaluateDecl {
                model: self.path(next(&mut inner)?),
                data: self.path(next(&mut inner)?),
                body: match inner.next() {
                    Some(p) => Some(self.body(p)?),
                    None => None,
                },
            }),
            Rule::policy_decl => ItemKind::Policy(PolicyDecl {
                name: self.ident(next(&mut inner)?),
                body: self.body(next(&mut inner)?)?,
            }),
            Rule::deploy_decl => ItemKind::Deploy(DeployDecl {
                name: self.ident(next(&mut inner)?),
                target: self.ident(next(&mut inner)?),
                body: self.body(next(&mut inner)?)?,
            }),
            Rule::env_decl => ItemKind::Env(EnvDecl {
                name: self.ident(next(&mut inner)?),
                body: self.body(next(&mut inner)?)?,
            }),
            Rule::catalog_decl => ItemKind::Catalog(CatalogDecl {
                name: self.ident(next(&mut inner)?),
                body: self.body(next(&mut inner)?)?,
            }),
            _ => return None,
        };
        Some(Item {
            kind,
            doc: None,
            span,
        })
    }

    fn op_call(&mut self, pair: P) -> Option<OpCall> {
        let span = self.trimmed_span(&pair);
        let mut inner = pair.into_inner();
        let name = self.ident(next(&mut inner)?);
        let args = match inner.next() {
            Some(args) => Some(self.call_args(args)?),
            None => None,
        };
        Some(OpCall { name, args, span })
    }

    fn body(&mut self, pair: P) -> Option<Body> {
        let span = self.span(&pair);
        let inner = pair.into_inner();
        let mut entries = Vec::with_capacity(inner.len());
        for entry in inner {
            entries.push(self.entry(entry)?);
        }
        Some(Body { entries, span })
    }

    fn entry(&mut self, pair: P) -> Option<Entry> {
        let span = self.trimmed_span(&pair);
        let kind = pair.as_rule();
        if kind != Rule::expr_stmt {
            self.after_missing_eq = false;
        }
        let mut inner = pair.into_inner();
        Some(match kind {
            Rule::field => Entry::Field(Field {
                path: self.path(next(&mut inner)?),
                value: self.expr(next(&mut inner)?)?,
                span,
            }),
            Rule::nested => Entry::Nested(NestedBlock {
                name: self.ident(next(&mut inner)?),
                body: self.body(next(&mut inner)?)?,
                span,
            }),
            Rule::expr_stmt => {
                let expr = self.expr(next(&mut inner)?)?;
                self.check_condition(&expr);
                Entry::Expr(expr)
            }
            Rule::schema_block => {
                let mut columns = Vec::with_capacity(inner.len());
                for column in inner {
                    columns.push(self.column(column)?);
                }
                Entry::Schema(SchemaBlock { columns, span })
            }
            Rule::require_rule | Rule::deny_rule => {
                let cond = self.expr(next(&mut inner)?)?;
                let message = inner.next().map(|p| self.string(p));
                let kind = if kind == Rule::require_rule {
                    RuleKind::Require(cond)
                } else {
                    RuleKind::Deny(cond)
                };
                Entry::Rule(crate::syntax::ast::Rule {
                    kind,
                    message,
                    span,
                })
            }
            Rule::approval_rule => {
                let target = self.path(next(&mut inner)?);
                let mut when = None;
                let mut message = None;
                for p in inner {
                    if p.as_rule() == Rule::string {
                        message = Some(self.string(p));
                    } else {
                        when = Some(self.expr(p)?);
                    }
                }
                Entry::Rule(crate::syntax::ast::Rule {
                    kind: RuleKind::Approval { target, when },
                    message,
                    span,
                })
            }
            _ => return None,
        })
    }

    /// A bare entry must be a condition (`rows >= 100`, `unique(id)`): a
    /// lone name is a field missing its `=`, a lone literal is misplaced.
    fn check_condition(&mut self, expr: &Expr) {
        let after_missing_eq = std::mem::take(&mut self.after_missing_eq);
        let diagnostic = match &expr.kind {
            ExprKind::Name(_) | ExprKind::Member { .. } => {
                let name = expr.as_path().map(|p| {
                    let names: Vec<&str> = p.iter().map(|i| i.name.as_str()).collect();
                    names.join(".")
                });
                let end = expr.span.end as usize;
                self.after_missing_eq = true;
                Diagnostic::error(
                    codes::SYNTAX,
                    format!(
                        "expected `=` after the field name `{}`",
                        name.unwrap_or_default()
                    ),
                )
                .with_label(self.file, Span::new(end, end), "expected `=`")
                .with_help("fields are written `name = value`")
            }
            ExprKind::Number(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::List(_)
            | ExprKind::Record(_)
            | ExprKind::Range { .. }
                if !after_missing_eq =>
            {
                Diagnostic::error(
                    codes::SYNTAX,
                    "expected a field or a condition, found a lone value",
                )
                .with_label(self.file, expr.span, "this value belongs to no field")
                .with_help("fields are written `name = value`; conditions compare: `rows >= 100`")
            }
            _ => return,
        };
        self.diagnostics.push(diagnostic);
    }

    fn column(&mut self, pair: P) -> Option<Column> {
        let span = self.trimmed_span(&pair);
        let mut inner = pair.into_inner();
        let name = self.ident(next(&mut inner)?);
        let ty = self.type_expr(next(&mut inner)?)?;
        let mut tags = Vec::with_capacity(inner.len());
        for tag in inner {
            tags.push(self.ident(tag.into_inner().next()?));
        }
        Some(Column {
            name,
            ty,
            tags,
            span,
        })
    }

    fn type_expr(&mut self, pair: P) -> Option<TypeExpr> {
        let span = self.trimmed_span(&pair);
        let mut inner = pair.into_inner();
        let base = next(&mut inner)?;
        let nullable = inner.next().is_some();
        let kind = match base.as_rule() {
            Rule::named_type => TypeKind::Named(self.ident(base.into_inner().next()?)),
            Rule::enum_type => TypeKind::Enum(base.into_inner().map(|p| self.string(p)).collect()),
            Rule::list_type => TypeKind::List(Box::new(self.type_expr(base.into_inner().next()?)?)),
            _ => return None,
        };
        Some(TypeExpr {
            kind,
            nullable,
            span,
        })
    }

    fn call_args(&mut self, pair: P) -> Option<Vec<Arg>> {
        let inner = pair.into_inner();
        let mut args = Vec::with_capacity(inner.len());
        for arg in inner {
            let span = self.trimmed_span(&arg);
            let mut inner = arg.into_inner();
            let first = next(&mut inner)?;
            let (name, value) = if first.as_rule() == Rule::ident {
                (Some(self.ident(first)), self.expr(next(&mut inner)?)?)
            } else {
                (None, self.expr(first)?)
            };
            args.push(Arg { name, value, span });
        }
        Some(args)
    }

    fn binary(&mut self, lhs: Expr, op: BinaryOp, rhs: Expr) -> Expr {
        let span = lhs.span.to(rhs.span);
        Expr {
            kind: ExprKind::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            span,
        }
    }

    /// An `expr` pair: a flat list of operators and operands (see the
    /// grammar), made a tree by precedence climbing.
    pub fn expr(&mut self, pair: P) -> Option<Expr> {
        let mut parts = pair.into_inner();
        self.count_operators(&parts)?;
        self.climb(&mut parts, 1)
    }

    /// Adds the operators of one `expr` to the block's count; `None`, with
    /// a diagnostic at the first operator past [`MAX_OPERATORS`], if the
    /// block holds too many.
    fn count_operators(&mut self, parts: &Pairs<Rule>) -> Option<()> {
        for part in parts.clone() {
            let operator = matches!(
                part.as_rule(),
                Rule::op_not
                    | Rule::op_neg
                    | Rule::op_or
                    | Rule::op_and
                    | Rule::cmp_op
                    | Rule::add_op
                    | Rule::mul_op
                    | Rule::op_range
                    | Rule::member
                    | Rule::call_args
            );
            if !operator {
                continue;
            }
            self.operators += 1;
            if self.operators > MAX_OPERATORS {
                let span = self.span(&part);
                let label = Span::new(span.start as usize, span.start as usize + 1);
                self.diagnostics.push(
                    Diagnostic::error(
                        codes::TOO_MANY_OPERATORS,
                        format!("more than {MAX_OPERATORS} operators in one block"),
                    )
                    .with_label(
                        self.file,
                        label,
                        format!("operator number {}", MAX_OPERATORS + 1),
                    )
                    .with_help(
                        "split the block: spread the rules or steps over several blocks, \
                         or compute parts of a long expression in `derive` steps of their own",
                    ),
                );
                return None;
            }
        }
        Some(())
    }

    /// Builds the expression starting at the next part, taking the binary
    /// operators that bind at least as tightly as `min` (at least 1). The
    /// arithmetic and logical operators associate to the left; a second
    /// comparison or range is rejected by `check_chain`.
    fn climb(&mut self, parts: &mut Pairs<Rule>, min: u8) -> Option<Expr> {
        let first = next(parts)?;
        let mut lhs = match first.as_rule() {
            Rule::op_not | Rule::op_neg => {
                let (op, power) = if first.as_rule() == Rule::op_not {
                    (UnaryOp::Not, NOT_OPERAND)
                } else {
                    (UnaryOp::Neg, NEG_OPERAND)
                };
                let start = self.base + first.as_span().start();
                let operand = self.climb(parts, power)?;
                Expr {
                    span: Span::new(start, operand.span.end as usize),
                    kind: ExprKind::Unary {
                        op,
                        operand: Box::new(operand),
                    },
                }
            }
            _ => self.primary(first)?,
        };
        while let Some(op) = parts.peek() {
            match op.as_rule() {
                Rule::member | Rule::call_args => {
                    parts.next();
                    lhs = self.suffix(lhs, op)?;
                    continue;
                }
                _ => {}
            }
            let power = binding_power(op.as_rule());
            if power < min {
                break;
            }
            parts.next();
            self.check_chain(&lhs, &op)?;
            let rhs = self.climb(parts, power + 1)?;
            lhs = if op.as_rule() == Rule::op_range {
                Expr {
                    span: lhs.span.to(rhs.span),
                    kind: ExprKind::Range {
                        lo: Box::new(lhs),
                        hi: Box::new(rhs),
                    },
                }
            } else {
                self.binary(lhs, binary_op(op)?, rhs)
            };
        }
        Some(lhs)
    }

    /// Comparisons and ranges do not associate: `a < b < c` and `a..b..c`
    /// are errors (the grammar takes them, to keep one operator loop).
    /// Parentheses make an explicit `Paren` node, which is not a chain.
    fn check_chain(&mut self, lhs: &Expr, op: &P) -> Option<()> {
        let (what, help) = match (&lhs.kind, op.as_rule()) {
            (ExprKind::Binary { op: first, .. }, Rule::cmp_op)
                if binding_power_of(*first) == binding_power(Rule::cmp_op) =>
            {
                (
                    "comparisons cannot be chained",
                    "compare twice and join with `and`: `a < b and b < c`",
                )
            }
            (ExprKind::Range { .. }, Rule::op_range) => {
                ("ranges cannot be chained", "a range is written `lo..hi`")
            }
            _ => return Some(()),
        };
        let span = self.span(op);
        self.diagnostics.push(
            Diagnostic::error(
                codes::SYNTAX,
                // `not /* c */ in` is named without its comment.
                format!(
                    "{what}: unexpected `{}`",
                    match binary_op(op.clone()) {
                        Some(binary) => binary.as_str().to_string(),
                        None => op.as_str().to_string(),
                    }
                ),
            )
            .with_label(self.file, span, "a second operator here")
            .with_help(help),
        );
        None
    }

    /// `base.name` or `callee(args)`.
    fn suffix(&mut self, base: Expr, suffix: P) -> Option<Expr> {
        let end = self.base + suffix.as_span().end();
        let start = base.span.start as usize;
        let kind = if suffix.as_rule() == Rule::member {
            ExprKind::Member {
                base: Box::new(base),
                name: self.ident(suffix.into_inner().next()?),
            }
        } else {
            ExprKind::Call {
                callee: Box::new(base),
                args: self.call_args(suffix)?,
            }
        };
        Some(Expr {
            kind,
            span: Span::new(start, end),
        })
    }

    fn primary(&mut self, pair: P) -> Option<Expr> {
        let span = self.span(&pair);
        let kind = pair.as_rule();
        let text = pair.as_str();
        let mut inner = pair.into_inner();
        match kind {
            Rule::paren => Some(Expr {
                kind: ExprKind::Paren(Box::new(self.expr(next(&mut inner)?)?)),
                span,
            }),
            Rule::list => {
                let mut items = Vec::with_capacity(inner.len());
                for item in inner {
                    items.push(self.expr(item)?);
                }
                Some(Expr {
                    kind: ExprKind::List(items),
                    span,
                })
            }
            Rule::record => {
                let mut fields = Vec::with_capacity(inner.len());
                for field in inner {
                    let field_span = self.trimmed_span(&field);
                    let mut parts = field.into_inner();
                    fields.push(RecordField {
                        name: self.ident(next(&mut parts)?),
                        value: self.expr(next(&mut parts)?)?,
                        span: field_span,
                    });
                }
                Some(Expr {
                    kind: ExprKind::Record(fields),
                    span,
                })
            }
            Rule::boolean => Some(Expr {
                kind: ExprKind::Bool(text == "true"),
                span,
            }),
            Rule::string => {
                let raw = string_body(text);
                Some(Expr {
                    kind: ExprKind::Str(unescape(raw)),
                    span,
                })
            }
            Rule::ident => Some(Expr {
                kind: ExprKind::Name(Ident {
                    name: text.to_string(),
                    span,
                }),
                span,
            }),
            Rule::number => self.number(span, inner),
            _ => None,
        }
    }

    fn number(&mut self, span: Span, mut inner: Pairs<Rule>) -> Option<Expr> {
        let digits = next(&mut inner)?.as_str();
        let unit = inner.next().map(|u| u.as_str().to_string());
        let clean: Cow<str> = if digits.contains('_') {
            Cow::Owned(digits.replace('_', ""))
        } else {
            Cow::Borrowed(digits)
        };
        let is_float = clean.contains(['.', 'e', 'E']);
        let value = if is_float {
            clean
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(NumberValue::Float)
        } else {
            clean.parse::<i64>().ok().map(NumberValue::Int)
        };
        let value = match value {
            Some(v) => v,
            None => {
                self.diagnostics.push(
                    Diagnostic::error(
                        codes::NUMBER_OUT_OF_RANGE,
                        format!("the number `{digits}` is too large"),
                    )
                    .with_label(self.file, span, "does not fit")
                    .with_help(if is_float {
                        "floats must be finite 64-bit values"
                    } else {
                        "integers must fit in 64 bits (at most 9223372036854775807); write a float for larger values"
                    }),
                );
                NumberValue::Int(0)
            }
        };
        Some(Expr {
            kind: ExprKind::Number(Number {
                text: digits.to_string(),
                value,
                unit,
            }),
            span,
        })
    }
}

/// Where the last token of `pair` ends: at the end of its last child when
/// only trivia follows it (that child may end in trivia too).
fn token_end(pair: &P) -> usize {
    let s = pair.as_span();
    match pair.clone().into_inner().next_back() {
        Some(last) if is_trivia(&pair.as_str()[last.as_span().end() - s.start()..]) => {
            token_end(&last)
        }
        _ => s.end(),
    }
}

/// The text between the quotes of a `string` token.
fn string_body(token: &str) -> &str {
    token
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(token)
}

/// The grammar's `WHITESPACE`.
const TRIVIA_SPACE: [char; 5] = [' ', '\t', '\n', '\r', '\u{FEFF}'];

/// Only whitespace and (closed) comments.
fn is_trivia(mut text: &str) -> bool {
    loop {
        text = text.trim_start_matches(TRIVIA_SPACE);
        if text.is_empty() {
            return true;
        }
        if let Some(comment) = text.strip_prefix("//") {
            text = comment.split_once('\n').map_or("", |(_, rest)| rest);
        } else if let Some(len) = text
            .starts_with("/*")
            .then(|| block_comment_len(text))
            .flatten()
        {
            text = &text[len..];
        } else {
            return false;
        }
    }
}

/// How tightly the unary operators hold their operand: `not a < b` is
/// `not (a < b)`, `-a * b` is `(-a) * b`.
const NOT_OPERAND: u8 = 3;
const NEG_OPERAND: u8 = 8;

/// How tightly a lowered binary operator binds: as its operator rule does.
fn binding_power_of(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => binding_power(Rule::op_or),
        BinaryOp::And => binding_power(Rule::op_and),
        BinaryOp::Add | BinaryOp::Sub => binding_power(Rule::add_op),
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => binding_power(Rule::mul_op),
        BinaryOp::Eq
        | BinaryOp::Ne
        | BinaryOp::Lt
        | BinaryOp::Le
        | BinaryOp::Gt
        | BinaryOp::Ge
        | BinaryOp::In
        | BinaryOp::NotIn => binding_power(Rule::cmp_op),
    }
}

/// How tightly a binary operator binds (higher binds tighter); 0 for a part
/// that is not a binary operator, which ends the expression.
fn binding_power(rule: Rule) -> u8 {
    match rule {
        Rule::op_or => 1,
        Rule::op_and => 2,
        Rule::cmp_op => 4,
        Rule::op_range => 5,
        Rule::add_op => 6,
        Rule::mul_op => 7,
        _ => 0,
    }
}

/// The operator a binary operator pair spells. `not in` is told by its
/// `not_in` pair, not by its text, which may hold comments.
fn binary_op(op: P) -> Option<BinaryOp> {
    if op.as_rule() == Rule::op_or {
        return Some(BinaryOp::Or);
    }
    if op.as_rule() == Rule::op_and {
        return Some(BinaryOp::And);
    }
    if op.clone().into_inner().next().is_some() {
        return Some(BinaryOp::NotIn);
    }
    Some(match op.as_str() {
        "==" => BinaryOp::Eq,
        "!=" => BinaryOp::Ne,
        "<" => BinaryOp::Lt,
        "<=" => BinaryOp::Le,
        ">" => BinaryOp::Gt,
        ">=" => BinaryOp::Ge,
        "in" => BinaryOp::In,
        "+" => BinaryOp::Add,
        "-" => BinaryOp::Sub,
        "*" => BinaryOp::Mul,
        "/" => BinaryOp::Div,
        "%" => BinaryOp::Rem,
        _ => return None,
    })
}
