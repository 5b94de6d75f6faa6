//! Typing of row expressions (`filter`, `derive`, expectations) against a
//! schema: the result's column type, nullability, and the tags it inherits.

use super::types::{ColumnType, Schema, Tags, Value};
use super::Checker;
use crate::diagnostics::{codes, did_you_mean, Diagnostic};
use crate::resolve::ModuleId;
use crate::source::FileId;
use crate::syntax::ast::{self, BinaryOp, ExprKind, UnaryOp};
use std::collections::HashMap;

/// The type of an expression; `ty` is `None` when an error was reported
/// inside it (no second error is reported for the same mistake).
#[derive(Clone, Debug)]
pub struct Typed {
    pub ty: Option<ColumnType>,
    pub nullable: bool,
    pub tags: Tags,
    /// The columns the expression reads.
    pub columns: Vec<String>,
}

impl Typed {
    fn of(ty: ColumnType) -> Typed {
        Typed {
            ty: Some(ty),
            nullable: false,
            tags: Tags::new(),
            columns: Vec::new(),
        }
    }

    fn unknown() -> Typed {
        Typed {
            ty: None,
            nullable: false,
            tags: Tags::new(),
            columns: Vec::new(),
        }
    }

    fn merge(mut self, other: &Typed, ty: Option<ColumnType>) -> Typed {
        self.nullable |= other.nullable;
        self.tags.extend(&other.tags);
        self.columns.extend(other.columns.iter().cloned());
        self.ty = ty;
        self
    }
}

/// Functions usable in row expressions, and their result.
const FUNCTIONS: &[&str] = &[
    "log", "exp", "sqrt", "abs", "round", "is_null", "coalesce", "lower", "upper", "len", "year",
    "month", "day",
];

/// Why a column is missing: the step that removed it.
#[derive(Clone, Debug)]
pub struct Removal {
    pub step: String,
    pub block: String,
    pub file: FileId,
    pub span: crate::source::Span,
}

pub type Removed = HashMap<String, Removal>;

/// Where an expression is typed: the schema, and what removed columns.
pub struct Scope<'s> {
    pub module: ModuleId,
    pub file: FileId,
    pub schema: &'s Schema,
    pub removed: &'s Removed,
    /// Expectation functions (`rows`, `nulls(c)`, `unique(c)`) are allowed.
    pub expectations: bool,
}

impl Checker<'_> {
    /// Reports a column that does not exist, naming the step that removed it.
    pub(super) fn unknown_column(&mut self, scope: &Scope, id: &ast::Ident, context: &str) {
        let mut d = Diagnostic::error(
            codes::UNKNOWN_COLUMN,
            format!("no column `{}` {context}", id.name),
        );
        if let Some(removal) = scope.removed.get(&id.name) {
            d = d
                .with_label(scope.file, id.span, "this column no longer exists here")
                .with_label(
                    removal.file,
                    removal.span,
                    format!("removed here by `{}` in `{}`", removal.step, removal.block),
                )
                .with_help(format!(
                    "use `{}` before the `{}` step, or do not remove it",
                    id.name, removal.step
                ));
        } else {
            d = d.with_label(scope.file, id.span, "unknown column");
            d = match did_you_mean(&id.name, scope.schema.names()) {
                Some(s) => d.with_correction(scope.file, id.span, s),
                None => {
                    let names: Vec<&str> = scope.schema.names().take(12).collect();
                    d.with_help(format!("the columns here are: {}", names.join(", ")))
                }
            };
        }
        self.diags.push(d);
    }

    fn expr_error(&mut self, file: FileId, expr: &ast::Expr, message: String, help: &str) {
        self.diags.push(
            Diagnostic::error(codes::EXPRESSION_TYPE, message.clone())
                .with_label(file, expr.span, message)
                .with_help(help.to_string()),
        );
    }

    pub(super) fn type_expr(&mut self, scope: &Scope, expr: &ast::Expr) -> Typed {
        match &expr.kind {
            ExprKind::Paren(inner) => self.type_expr(scope, inner),
            ExprKind::Number(n) => {
                if n.unit.is_some() {
                    self.expr_error(
                        scope.file,
                        expr,
                        "a number with a unit in a row expression".into(),
                        "columns hold plain numbers: remove the unit",
                    );
                    return Typed::unknown();
                }
                Typed::of(match n.value {
                    ast::NumberValue::Int(_) => ColumnType::Int,
                    ast::NumberValue::Float(_) => ColumnType::Float,
                })
            }
            ExprKind::Str(_) => Typed::of(ColumnType::Str),
            ExprKind::Bool(_) => Typed::of(ColumnType::Bool),
            ExprKind::Name(id) => self.type_name(scope, id),
            ExprKind::Unary { op, operand } => {
                let inner = self.type_expr(scope, operand);
                let ok = match (op, &inner.ty) {
                    (_, None) => return inner,
                    (UnaryOp::Neg, Some(t)) => t.is_numeric(),
                    (UnaryOp::Not, Some(t)) => *t == ColumnType::Bool,
                };
                if !ok {
                    let want = if *op == UnaryOp::Neg {
                        "a number"
                    } else {
                        "a bool"
                    };
                    self.expr_error(
                        scope.file,
                        operand,
                        format!("expected {want}, found {}", type_word(&inner)),
                        "check the column's type in the schema",
                    );
                    return Typed::unknown();
                }
                inner
            }
            ExprKind::Binary { op, lhs, rhs } => self.type_binary(scope, expr, *op, lhs, rhs),
            ExprKind::Call { callee, args } => self.type_call(scope, expr, callee, args),
            _ => {
                self.expr_error(
                    scope.file,
                    expr,
                    "this is not a row expression".into(),
                    "row expressions use columns, numbers, strings, operators and functions",
                );
                Typed::unknown()
            }
        }
    }

    fn type_name(&mut self, scope: &Scope, id: &ast::Ident) -> Typed {
        if let Some(c) = scope.schema.get(&id.name) {
            return Typed {
                ty: Some(c.ty.clone()),
                nullable: c.nullable,
                tags: c.tags.clone(),
                columns: vec![c.name.to_string()],
            };
        }
        if scope.expectations && id.name == "rows" {
            return Typed::of(ColumnType::Int);
        }
        if let Some(value) = self.param_value(scope.module, &id.name) {
            return Typed::of(match value {
                Value::Int(_) => ColumnType::Int,
                Value::Float(_) => ColumnType::Float,
                Value::Bool(_) => ColumnType::Bool,
                Value::Str(_) => ColumnType::Str,
                _ => return Typed::unknown(),
            });
        }
        self.unknown_column(scope, id, "at this point");
        Typed::unknown()
    }

    fn type_binary(
        &mut self,
        scope: &Scope,
        expr: &ast::Expr,
        op: BinaryOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
    ) -> Typed {
        let l = self.type_expr(scope, lhs);
        if matches!(op, BinaryOp::In | BinaryOp::NotIn) {
            return self.type_in(scope, l, rhs);
        }
        let r = self.type_expr(scope, rhs);
        let (Some(lt), Some(rt)) = (l.ty.clone(), r.ty.clone()) else {
            return l.merge(&r, None);
        };
        let result = match op {
            BinaryOp::And | BinaryOp::Or => {
                (lt == ColumnType::Bool && rt == ColumnType::Bool).then_some(ColumnType::Bool)
            }
            BinaryOp::Eq | BinaryOp::Ne => self
                .comparable(scope, &lt, &rt, lhs, rhs)
                .then_some(ColumnType::Bool),
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let ordered = (lt.is_numeric() && rt.is_numeric())
                    || (lt == rt && matches!(lt, ColumnType::Str | ColumnType::Datetime));
                ordered.then_some(ColumnType::Bool)
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Rem => {
                match (lt.is_numeric() && rt.is_numeric(), &lt, &rt) {
                    (true, ColumnType::Int, ColumnType::Int) => Some(ColumnType::Int),
                    (true, _, _) => Some(ColumnType::Float),
                    _ => None,
                }
            }
            BinaryOp::Div => (lt.is_numeric() && rt.is_numeric()).then_some(ColumnType::Float),
            BinaryOp::In | BinaryOp::NotIn => None,
        };
        if result.is_none() {
            self.expr_error(
                scope.file,
                expr,
                format!(
                    "`{}` cannot combine {} and {}",
                    op.as_str(),
                    type_word(&l),
                    type_word(&r)
                ),
                match op {
                    BinaryOp::And | BinaryOp::Or => "`and` and `or` combine conditions (bool)",
                    BinaryOp::Eq | BinaryOp::Ne => "compare values of the same type",
                    _ => "arithmetic and ordering need numbers: `cast` the column first",
                },
            );
        }
        l.merge(&r, result)
    }

    /// `==` between compatible types; an enum compared with a string must
    /// name one of its variants.
    fn comparable(
        &mut self,
        scope: &Scope,
        lt: &ColumnType,
        rt: &ColumnType,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
    ) -> bool {
        for (ty, other) in [(lt, rhs), (rt, lhs)] {
            if let (ColumnType::Enum(variants), ExprKind::Str(s)) = (ty, &other.kind) {
                self.check_variant(scope.file, variants, s, other);
                return true;
            }
        }
        (lt.is_numeric() && rt.is_numeric()) || lt == rt
    }

    fn check_variant(&mut self, file: FileId, variants: &[String], s: &str, at: &ast::Expr) {
        if variants.iter().any(|v| v == s) {
            return;
        }
        let mut d = Diagnostic::error(
            codes::EXPRESSION_TYPE,
            format!("\"{s}\" is not a variant of this enum column"),
        )
        .with_label(file, at.span, "never equal to any row");
        d = match did_you_mean(s, variants.iter().map(String::as_str)) {
            Some(v) => d.with_help(format!("did you mean \"{v}\"?")),
            None => d.with_help(format!("the variants are: {}", variants.join(", "))),
        };
        self.diags.push(d);
    }

    fn type_in(&mut self, scope: &Scope, l: Typed, rhs: &ast::Expr) -> Typed {
        let Some(lt) = l.ty.clone() else {
            return l;
        };
        match &rhs.kind {
            ExprKind::Range { lo, hi } => {
                let lo = self.type_expr(scope, lo);
                let hi = self.type_expr(scope, hi);
                let numeric = [&lo, &hi]
                    .iter()
                    .all(|t| t.ty.as_ref().is_none_or(ColumnType::is_numeric));
                if !lt.is_numeric() || !numeric {
                    self.expr_error(
                        scope.file,
                        rhs,
                        format!("a range needs numbers, the value is {}", type_word(&l)),
                        "`x in lo..hi` tests a numeric column",
                    );
                }
            }
            ExprKind::List(items) => {
                for item in items {
                    if let (ColumnType::Enum(variants), ExprKind::Str(s)) = (&lt, &item.kind) {
                        self.check_variant(scope.file, variants, s, item);
                        continue;
                    }
                    let t = self.type_expr(scope, item);
                    if let Some(it) = &t.ty {
                        if !((lt.is_numeric() && it.is_numeric()) || *it == lt) {
                            self.expr_error(
                                scope.file,
                                item,
                                format!(
                                    "{} in a list of values for {}",
                                    type_word(&t),
                                    type_word(&l)
                                ),
                                "list values of the column's type",
                            );
                        }
                    }
                }
            }
            _ => self.expr_error(
                scope.file,
                rhs,
                "`in` needs a range `lo..hi` or a list `[a, b]`".into(),
                "write `x in 18..120` or `x in [\"a\", \"b\"]`",
            ),
        }
        Typed {
            ty: Some(ColumnType::Bool),
            ..l
        }
    }

    fn type_call(
        &mut self,
        scope: &Scope,
        expr: &ast::Expr,
        callee: &ast::Expr,
        args: &[ast::Arg],
    ) -> Typed {
        let ExprKind::Name(name) = &callee.kind else {
            self.expr_error(
                scope.file,
                callee,
                "only functions can be called".into(),
                "call a function by name: `log(x)`",
            );
            return Typed::unknown();
        };
        if scope.expectations
            && matches!(
                name.name.as_str(),
                "nulls" | "unique" | "mean" | "min" | "max"
            )
        {
            let mut out = Typed::of(match name.name.as_str() {
                "unique" => ColumnType::Bool,
                _ => ColumnType::Float,
            });
            for arg in args {
                match &arg.value.kind {
                    ExprKind::Name(id) if scope.schema.get(&id.name).is_some() => {}
                    ExprKind::Name(id) => self.unknown_column(scope, id, "in this source"),
                    _ => self.expr_error(
                        scope.file,
                        &arg.value,
                        "expected a column name".into(),
                        "name a column of the schema",
                    ),
                }
            }
            out.columns.clear();
            return out;
        }
        if !FUNCTIONS.contains(&name.name.as_str()) {
            let mut d = Diagnostic::error(
                codes::EXPRESSION_TYPE,
                format!("unknown function `{}`", name.name),
            )
            .with_label(scope.file, name.span, "not a function");
            let mut all = FUNCTIONS.to_vec();
            if scope.expectations {
                all.extend(["nulls", "unique", "mean", "min", "max"]);
            }
            d = match did_you_mean(&name.name, all.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!("the functions are: {}", all.join(", "))),
            };
            self.diags.push(d);
            return Typed::unknown();
        }
        let typed: Vec<Typed> = args
            .iter()
            .map(|a| self.type_expr(scope, &a.value))
            .collect();
        let arity = if name.name == "coalesce" { 2 } else { 1 };
        if typed.len() != arity {
            self.expr_error(
                scope.file,
                expr,
                format!(
                    "`{}` takes {arity} argument(s), found {}",
                    name.name,
                    typed.len()
                ),
                "check the call's arguments",
            );
            return Typed::unknown();
        }
        let first = typed[0].clone();
        let Some(t) = first.ty.clone() else {
            return first;
        };
        let (want, result): (&str, Option<ColumnType>) = match name.name.as_str() {
            "log" | "exp" | "sqrt" => ("a number", t.is_numeric().then_some(ColumnType::Float)),
            "abs" | "round" => ("a number", t.is_numeric().then_some(t.clone())),
            "is_null" => {
                return Typed {
                    ty: Some(ColumnType::Bool),
                    nullable: false,
                    ..first
                }
            }
            "coalesce" => {
                let second = &typed[1];
                let same = second
                    .ty
                    .as_ref()
                    .is_none_or(|s| *s == t || (s.is_numeric() && t.is_numeric()));
                if !same {
                    self.expr_error(
                        scope.file,
                        &args[1].value,
                        format!(
                            "the default is {}, the value is {}",
                            type_word(second),
                            type_word(&first)
                        ),
                        "use a default of the column's type",
                    );
                }
                let nullable = second.nullable;
                let mut out = first.merge(second, Some(t));
                out.nullable = nullable;
                return out;
            }
            "lower" | "upper" => (
                "a string",
                (t == ColumnType::Str).then_some(ColumnType::Str),
            ),
            "len" => (
                "a string",
                (t == ColumnType::Str).then_some(ColumnType::Int),
            ),
            _ => (
                "a datetime",
                (t == ColumnType::Datetime).then_some(ColumnType::Int),
            ),
        };
        if result.is_none() {
            self.expr_error(
                scope.file,
                &args[0].value,
                format!("`{}` needs {want}, found {}", name.name, type_word(&first)),
                "check the column's type in the schema",
            );
        }
        Typed {
            ty: result,
            ..first
        }
    }
}

fn type_word(t: &Typed) -> String {
    match &t.ty {
        Some(ty) => format!("{}{}", ty.word(), if t.nullable { "?" } else { "" }),
        None => "an unknown type".into(),
    }
}
