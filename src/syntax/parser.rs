//! Lowering of pest's parse tree into our AST. pest types stay in this file
//! and in `errors.rs`.

use super::ast::*;
use super::lexical::unescape;
use crate::diagnostics::{codes, Diagnostic};
use crate::source::{FileId, Span};
use pest::iterators::{Pair, Pairs};
use pest_derive::Parser;

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
}

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

    fn ident(&self, pair: P) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn string(&self, pair: P) -> StrLit {
        let span = self.span(&pair);
        let raw = pair.into_inner().next().map(|p| p.as_str()).unwrap_or("");
        StrLit {
            value: unescape(raw),
            span,
        }
    }

    fn path(&self, pair: P) -> Path {
        let span = self.span(&pair);
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
        let span = self.span(&pair);
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
                let mut steps = Vec::new();
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
            _ => return None,
        };
        Some(Item {
            kind,
            doc: None,
            span,
        })
    }

    fn op_call(&mut self, pair: P) -> Option<OpCall> {
        let span = self.span(&pair);
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
        let mut entries = Vec::new();
        for entry in pair.into_inner() {
            entries.push(self.entry(entry)?);
        }
        Some(Body { entries, span })
    }

    fn entry(&mut self, pair: P) -> Option<Entry> {
        let span = self.span(&pair);
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
                let mut columns = Vec::new();
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
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name = self.ident(next(&mut inner)?);
        let ty = self.type_expr(next(&mut inner)?)?;
        let mut tags = Vec::new();
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
        let span = self.span(&pair);
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
        let mut args = Vec::new();
        for arg in pair.into_inner() {
            let span = self.span(&arg);
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

    pub fn expr(&mut self, pair: P) -> Option<Expr> {
        let span = self.span(&pair);
        let kind = pair.as_rule();
        let text = pair.as_str();
        let mut inner = pair.into_inner();
        match kind {
            Rule::expr => self.expr(next(&mut inner)?),
            Rule::or_expr | Rule::and_expr | Rule::add_expr | Rule::mul_expr => {
                let mut lhs = self.expr(next(&mut inner)?)?;
                while let Some(op) = inner.next() {
                    let op = binary_op(op.as_str())?;
                    let rhs = self.expr(next(&mut inner)?)?;
                    lhs = self.binary(lhs, op, rhs);
                }
                Some(lhs)
            }
            Rule::cmp_expr => {
                let lhs = self.expr(next(&mut inner)?)?;
                match inner.next() {
                    None => Some(lhs),
                    Some(op) => {
                        let op = binary_op(op.as_str())?;
                        let rhs = self.expr(next(&mut inner)?)?;
                        Some(self.binary(lhs, op, rhs))
                    }
                }
            }
            Rule::not_expr => {
                let first = next(&mut inner)?;
                if first.as_rule() == Rule::op_not {
                    let operand = self.expr(next(&mut inner)?)?;
                    Some(Expr {
                        kind: ExprKind::Unary {
                            op: UnaryOp::Not,
                            operand: Box::new(operand),
                        },
                        span,
                    })
                } else {
                    self.expr(first)
                }
            }
            Rule::range_expr => {
                let lo = self.expr(next(&mut inner)?)?;
                match inner.next() {
                    None => Some(lo),
                    Some(hi) => {
                        let hi = self.expr(hi)?;
                        Some(Expr {
                            span: lo.span.to(hi.span),
                            kind: ExprKind::Range {
                                lo: Box::new(lo),
                                hi: Box::new(hi),
                            },
                        })
                    }
                }
            }
            Rule::unary => {
                let parts: Vec<P> = inner.collect();
                let (operand, negs) = parts.split_last()?;
                let mut expr = self.expr(operand.clone())?;
                for neg in negs.iter().rev() {
                    let start = self.span(neg).start as usize;
                    expr = Expr {
                        span: Span::new(start, expr.span.end as usize),
                        kind: ExprKind::Unary {
                            op: UnaryOp::Neg,
                            operand: Box::new(expr),
                        },
                    };
                }
                Some(expr)
            }
            Rule::postfix => {
                let mut expr = self.expr(next(&mut inner)?)?;
                for suffix in inner {
                    let end = self.span(&suffix).end as usize;
                    let start = expr.span.start as usize;
                    let kind = if suffix.as_rule() == Rule::member {
                        ExprKind::Member {
                            base: Box::new(expr),
                            name: self.ident(suffix.into_inner().next()?),
                        }
                    } else {
                        ExprKind::Call {
                            callee: Box::new(expr),
                            args: self.call_args(suffix)?,
                        }
                    };
                    expr = Expr {
                        kind,
                        span: Span::new(start, end),
                    };
                }
                Some(expr)
            }
            Rule::paren => Some(Expr {
                kind: ExprKind::Paren(Box::new(self.expr(next(&mut inner)?)?)),
                span,
            }),
            Rule::list => {
                let mut items = Vec::new();
                for item in inner {
                    items.push(self.expr(item)?);
                }
                Some(Expr {
                    kind: ExprKind::List(items),
                    span,
                })
            }
            Rule::record => {
                let mut fields = Vec::new();
                for field in inner {
                    let field_span = self.span(&field);
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
                let raw = inner.next().map(|p| p.as_str()).unwrap_or("");
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
        let clean: String = digits.chars().filter(|c| *c != '_').collect();
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

fn binary_op(text: &str) -> Option<BinaryOp> {
    let normalized: Vec<&str> = text.split_whitespace().collect();
    Some(match normalized.as_slice() {
        ["or"] => BinaryOp::Or,
        ["and"] => BinaryOp::And,
        ["=="] => BinaryOp::Eq,
        ["!="] => BinaryOp::Ne,
        ["<"] => BinaryOp::Lt,
        ["<="] => BinaryOp::Le,
        [">"] => BinaryOp::Gt,
        [">="] => BinaryOp::Ge,
        ["in"] => BinaryOp::In,
        ["not", "in"] => BinaryOp::NotIn,
        ["+"] => BinaryOp::Add,
        ["-"] => BinaryOp::Sub,
        ["*"] => BinaryOp::Mul,
        ["/"] => BinaryOp::Div,
        ["%"] => BinaryOp::Rem,
        _ => return None,
    })
}
