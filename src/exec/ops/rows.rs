//! The steps of a saved model on a few rows at a time, without polars.
//!
//! A request of one row spends a millisecond in polars' query planning for
//! microseconds of arithmetic. This is the same chain of steps, compiled
//! once per model into a plan over plain values: the arguments and fitted
//! state come from the same readers as [`super::apply`] (`constant_fills`,
//! `fill_scalar`, `clip_bounds`, `bucket_bounds`, the `FitState`), and each
//! formula computes what polars computes, operation for operation (checked
//! bit for bit on every example and on random rows by `tests/scoring.rs`).
//!
//! Where an exact answer is not certain the plan says so instead of
//! guessing: a step it does not know (`join`, a date function, `%`) makes
//! [`RowStep::compile`] give `None`, and a value it would not compute as
//! polars does (an integer overflow, a NaN compared) makes [`RowStep::run`]
//! give [`Unsupported`]. The caller then scores those rows with polars.

use super::{
    bucket_bounds, clip_bounds, column_args, constant_fills, fill_scalar, input_column,
    literal_number, positional, Bound, FitState, Scalar, StepCtx,
};
use crate::check::types::{ColumnType, Schema, Value};
use crate::syntax::ast::{self, BinaryOp, ExprKind, NumberValue, UnaryOp};

/// One value of a row, typed as polars types the column.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    /// `str` and enum columns.
    Str(Box<str>),
    /// Microseconds since the Unix epoch.
    Datetime(i64),
}

impl Cell {
    /// The value as polars' cast to `Float64` gives it; `None` for a null.
    pub fn as_f64(&self) -> Result<Option<f64>, Unsupported> {
        match self {
            Cell::Null => Ok(None),
            Cell::Int(i) => Ok(Some(*i as f64)),
            Cell::Float(f) => Ok(Some(*f)),
            Cell::Bool(b) => Ok(Some(f64::from(u8::from(*b)))),
            Cell::Str(_) | Cell::Datetime(_) => Err(Unsupported),
        }
    }

    fn from_scalar(scalar: Scalar) -> Cell {
        match scalar {
            Scalar::Int(i) => Cell::Int(i),
            Scalar::Float(f) => Cell::Float(f),
            Scalar::Bool(b) => Cell::Bool(b),
            Scalar::Str(s) => Cell::Str(s.into()),
            Scalar::Datetime(us) => Cell::Datetime(us),
        }
    }
}

/// A value this path would not compute exactly as polars does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unsupported;

type Computed = Result<Cell, Unsupported>;

/// One step of a chain, compiled against the columns of its input.
#[derive(Debug)]
pub struct RowStep(Step);

#[derive(Debug)]
enum Step {
    /// `dedupe` and `sample` curate training rows; a request keeps its rows.
    Pass,
    /// `select`, `drop`, `rename`: output column `j` is input column `from[j]`.
    Pick(Vec<usize>),
    /// The rows where the condition is true (null is not true).
    Filter(RowExpr),
    /// Columns replaced in place.
    Map(Vec<(usize, ColumnMap)>),
    /// Each column computed in turn, visible to the next, cast to its type;
    /// it replaces the column of its name or is appended.
    Derive(Vec<Derived>),
    /// The output columns, each a copy or an indicator of a variant.
    OneHot(Vec<Indicator>),
}

#[derive(Debug)]
struct Derived {
    expr: RowExpr,
    ty: ColumnType,
    /// The column it replaces; `None` appends it.
    at: Option<usize>,
}

#[derive(Debug)]
enum Indicator {
    Copy(usize),
    /// 1.0 where the column equals the variant, else 0.0 (null included).
    Variant(usize, Box<str>),
}

#[derive(Debug)]
enum ColumnMap {
    Fill(Cell),
    /// `(x - offset) / scale`, as a float.
    Scale {
        offset: f64,
        scale: f64,
    },
    Log1p,
    Clip {
        lo: Option<Bound>,
        hi: Option<Bound>,
    },
    /// How many bounds are at or below the value.
    Bucketize(Vec<f64>),
    Cast(ColumnType),
}

/// A row expression of `filter` or `derive`, with columns as positions.
#[derive(Debug)]
enum RowExpr {
    Lit(Cell),
    Column(usize),
    Neg(Box<RowExpr>),
    Not(Box<RowExpr>),
    Binary(BinaryOp, Box<RowExpr>, Box<RowExpr>),
    /// `x in lo..hi`: `x >= lo and x <= hi`.
    Range(Box<RowExpr>, Box<RowExpr>, Box<RowExpr>),
    /// `x in [a, b]`: `x == a or x == b`; `false` when empty.
    AnyOf(Box<RowExpr>, Vec<RowExpr>),
    Call(Function, Vec<RowExpr>),
    /// The value cast to a float (the dividend of a division).
    Float(Box<RowExpr>),
}

#[derive(Clone, Copy, Debug)]
enum Function {
    Log,
    Exp,
    Sqrt,
    Abs,
    Round,
    IsNull,
    Coalesce,
    Lower,
    Upper,
    Len,
}

impl RowStep {
    /// The step as a row plan, given the names of its input's columns
    /// (which it updates to its output's), or `None` where this path does
    /// not compute the step or its layout differs from the checker's output.
    pub fn compile(ctx: &StepCtx, state: &FitState, names: &mut Vec<String>) -> Option<RowStep> {
        let position = |names: &[String], name: &str| names.iter().position(|n| n == name);
        let step = match (ctx.op.name.name.as_str(), state) {
            ("dedupe" | "sample", _) => Step::Pass,
            ("select" | "drop", _) => {
                column_args(ctx, "select").ok()?;
                let from = ctx
                    .output
                    .names()
                    .map(|n| position(names, n))
                    .collect::<Option<Vec<_>>>()?;
                *names = ctx.output.names().map(String::from).collect();
                Step::Pick(from)
            }
            ("rename", _) => {
                let mut renamed = names.clone();
                for arg in ctx.op.args.iter().flatten() {
                    let (Some(new), ExprKind::Name(old)) = (&arg.name, &arg.value.kind) else {
                        return None;
                    };
                    let at = position(&renamed, &old.name)?;
                    renamed[at] = new.name.clone();
                }
                *names = renamed;
                Step::Pick((0..names.len()).collect())
            }
            ("filter", _) => {
                let [arg] = positional(ctx.op)[..] else {
                    return None;
                };
                Step::Filter(compile_expr(&arg.value, ctx.input, names, ctx)?)
            }
            ("derive", _) => {
                let mut schema = ctx.input.clone();
                let mut derived = Vec::new();
                for arg in ctx.op.args.iter().flatten() {
                    let name = arg.name.as_ref()?;
                    let out = ctx.output.get(&name.name)?;
                    let expr = compile_expr(&arg.value, &schema, names, ctx)?;
                    let at = position(names, &name.name);
                    if at.is_none() {
                        names.push(name.name.clone());
                    }
                    schema.columns.push(out.clone());
                    derived.push(Derived {
                        expr,
                        ty: out.ty.clone(),
                        at,
                    });
                }
                Step::Derive(derived)
            }
            ("impute", FitState::Impute { columns }) => fills(ctx, columns, names)?,
            ("impute", FitState::Unfitted) if !super::is_fitted(ctx.op) => {
                fills(ctx, &constant_fills(ctx).ok()?, names)?
            }
            ("standardize", FitState::Standardize { columns })
            | ("min_max", FitState::MinMax { columns }) => Step::Map(
                columns
                    .iter()
                    .map(|s| {
                        Some((
                            position(names, &s.column)?,
                            ColumnMap::Scale {
                                offset: s.offset,
                                scale: s.scale,
                            },
                        ))
                    })
                    .collect::<Option<_>>()?,
            ),
            ("log", _) => maps(ctx, names, column_args(ctx, "log").ok()?, |_| {
                Some(ColumnMap::Log1p)
            })?,
            ("clip", _) => Step::Map(
                clip_bounds(ctx)
                    .ok()?
                    .into_iter()
                    .map(|c| {
                        let at = position(names, &c.column)?;
                        matches!(c.ty, ColumnType::Int | ColumnType::Float)
                            .then_some((at, ColumnMap::Clip { lo: c.lo, hi: c.hi }))
                    })
                    .collect::<Option<_>>()?,
            ),
            ("bucketize", _) => {
                let bounds = bucket_bounds(ctx).ok()?;
                maps(ctx, names, column_args(ctx, "bucketize").ok()?, |_| {
                    Some(ColumnMap::Bucketize(bounds.clone()))
                })?
            }
            ("cast", _) => {
                let target = positional(ctx.op)
                    .last()
                    .and_then(|a| super::word(&a.value))
                    .and_then(ColumnType::from_name)
                    .filter(|t| *t != ColumnType::Datetime)?;
                maps(ctx, names, column_args(ctx, "cast").ok()?, |from| {
                    castable(from, &target).then(|| ColumnMap::Cast(target.clone()))
                })?
            }
            ("one_hot", FitState::OneHot { columns }) => {
                let mut out = Vec::new();
                let mut out_names = Vec::new();
                for (i, name) in names.iter().enumerate() {
                    match columns.iter().find(|e| &e.column == name) {
                        None => {
                            out.push(Indicator::Copy(i));
                            out_names.push(name.clone());
                        }
                        Some(e) if e.variants.len() == e.outputs.len() => {
                            for (variant, output) in e.variants.iter().zip(&e.outputs) {
                                out.push(Indicator::Variant(i, variant.as_str().into()));
                                out_names.push(output.clone());
                            }
                        }
                        Some(_) => return None,
                    }
                }
                *names = out_names;
                Step::OneHot(out)
            }
            _ => return None,
        };
        ctx.output
            .names()
            .eq(names.iter().map(String::as_str))
            .then_some(RowStep(step))
    }

    /// The row after the step, or `None` when a filter removes it.
    pub fn run(&self, row: Vec<Cell>) -> Result<Option<Vec<Cell>>, Unsupported> {
        Ok(Some(match &self.0 {
            Step::Pass => row,
            Step::Pick(from) => from.iter().map(|&i| row[i].clone()).collect(),
            Step::Filter(condition) => match condition.eval(&row)? {
                Cell::Bool(true) => row,
                Cell::Bool(false) | Cell::Null => return Ok(None),
                _ => return Err(Unsupported),
            },
            Step::Map(maps) => {
                let mut row = row;
                for (at, map) in maps {
                    row[*at] = map.apply(&row[*at])?;
                }
                row
            }
            Step::Derive(derived) => {
                let mut row = row;
                for d in derived {
                    let value = cast(d.expr.eval(&row)?, &d.ty)?;
                    match d.at {
                        Some(at) => row[at] = value,
                        None => row.push(value),
                    }
                }
                row
            }
            Step::OneHot(outputs) => outputs
                .iter()
                .map(|o| match o {
                    Indicator::Copy(i) => row[*i].clone(),
                    Indicator::Variant(i, variant) => Cell::Float(match &row[*i] {
                        Cell::Str(s) if s == variant => 1.0,
                        _ => 0.0,
                    }),
                })
                .collect(),
        }))
    }
}

fn fills(ctx: &StepCtx, fills: &[super::Fill], names: &[String]) -> Option<Step> {
    fills
        .iter()
        .map(|f| {
            let column = input_column(ctx, "impute", &f.column).ok()?;
            let value = fill_scalar("impute", f, column).ok()?;
            let at = names.iter().position(|n| *n == f.column)?;
            Some((at, ColumnMap::Fill(Cell::from_scalar(value))))
        })
        .collect::<Option<_>>()
        .map(Step::Map)
}

/// The same map of each named column, made from the column's type.
fn maps(
    ctx: &StepCtx,
    names: &[String],
    columns: Vec<String>,
    map: impl Fn(&ColumnType) -> Option<ColumnMap>,
) -> Option<Step> {
    columns
        .iter()
        .map(|c| {
            let ty = &input_column(ctx, "", c).ok()?.ty;
            Some((names.iter().position(|n| n == c)?, map(ty)?))
        })
        .collect::<Option<_>>()
        .map(Step::Map)
}

/// The strict casts of `cast` this path computes: between numbers and booleans.
fn castable(from: &ColumnType, to: &ColumnType) -> bool {
    use ColumnType::*;
    super::dtype(from) == super::dtype(to)
        || matches!(
            (from, to),
            (Int, Float) | (Int, Bool) | (Bool, Int) | (Bool, Float) | (Float, Int)
        )
}

/// A cell cast to a column type: exact conversions only.
fn cast(value: Cell, ty: &ColumnType) -> Computed {
    Ok(match (value, ty) {
        (Cell::Null, _) => Cell::Null,
        (v @ Cell::Int(_), ColumnType::Int) => v,
        (Cell::Bool(b), ColumnType::Int) => Cell::Int(i64::from(b)),
        // Truncation toward zero, as polars casts; out of range fails there.
        (Cell::Float(f), ColumnType::Int) if f.is_finite() && f.abs() < 9.0e18 => {
            Cell::Int(f as i64)
        }
        (v @ Cell::Float(_), ColumnType::Float) => v,
        (Cell::Int(i), ColumnType::Float) => Cell::Float(i as f64),
        (Cell::Bool(b), ColumnType::Float) => Cell::Float(f64::from(u8::from(b))),
        (v @ Cell::Bool(_), ColumnType::Bool) => v,
        (Cell::Int(i), ColumnType::Bool) => Cell::Bool(i != 0),
        (v @ Cell::Str(_), ColumnType::Str | ColumnType::Enum(_)) => v,
        (v @ Cell::Datetime(_), ColumnType::Datetime) => v,
        _ => return Err(Unsupported),
    })
}

impl ColumnMap {
    fn apply(&self, value: &Cell) -> Computed {
        if *value == Cell::Null {
            return Ok(self.on_null());
        }
        Ok(match self {
            ColumnMap::Fill(_) => value.clone(),
            ColumnMap::Scale { offset, scale } => {
                Cell::Float((value.as_f64()?.ok_or(Unsupported)? - offset) * (1.0 / scale))
            }
            ColumnMap::Log1p => Cell::Float(value.as_f64()?.ok_or(Unsupported)?.ln_1p()),
            ColumnMap::Clip { lo, hi } => clip(value, *lo, *hi)?,
            ColumnMap::Bucketize(bounds) => {
                let x = value.as_f64()?.ok_or(Unsupported)?;
                if x.is_nan() {
                    return Err(Unsupported);
                }
                Cell::Int(bounds.iter().filter(|b| x >= **b).count() as i64)
            }
            ColumnMap::Cast(ty) => cast(value.clone(), ty)?,
        })
    }

    /// What a null becomes: a fill replaces it, every other map keeps it.
    fn on_null(&self) -> Cell {
        match self {
            ColumnMap::Fill(value) => value.clone(),
            _ => Cell::Null,
        }
    }
}

fn clip(value: &Cell, lo: Option<Bound>, hi: Option<Bound>) -> Computed {
    Ok(match value {
        Cell::Int(x) => {
            let mut x = *x;
            if let Some(Bound::Int(l)) = lo {
                x = x.max(l);
            }
            if let Some(Bound::Int(h)) = hi {
                x = x.min(h);
            }
            Cell::Int(x)
        }
        Cell::Float(x) if !x.is_nan() => {
            let mut x = *x;
            if let Some(Bound::Float(l)) = lo {
                if x < l {
                    x = l;
                }
            }
            if let Some(Bound::Float(h)) = hi {
                if x > h {
                    x = h;
                }
            }
            Cell::Float(x)
        }
        _ => return Err(Unsupported),
    })
}

/// Compiles a row expression against `schema` (the checker's columns at
/// that point) and `names` (their positions in the row), reading a bare
/// name as a column first and then as a param, as [`super::Scope`] does.
fn compile_expr(
    expr: &ast::Expr,
    schema: &Schema,
    names: &[String],
    ctx: &StepCtx,
) -> Option<RowExpr> {
    let sub = |e: &ast::Expr| compile_expr(e, schema, names, ctx).map(Box::new);
    Some(match &expr.kind {
        ExprKind::Paren(inner) => compile_expr(inner, schema, names, ctx)?,
        ExprKind::Number(n) if n.unit.is_some() => return None,
        ExprKind::Number(n) => RowExpr::Lit(match n.value {
            NumberValue::Int(i) => Cell::Int(i),
            NumberValue::Float(f) => Cell::Float(f),
        }),
        ExprKind::Str(s) => RowExpr::Lit(Cell::Str(s.as_str().into())),
        ExprKind::Bool(b) => RowExpr::Lit(Cell::Bool(*b)),
        ExprKind::Name(id) if schema.get(&id.name).is_some() => {
            RowExpr::Column(names.iter().position(|n| *n == id.name)?)
        }
        ExprKind::Name(id) => RowExpr::Lit(match ctx.params.get(&id.name)? {
            Value::Int(i) => Cell::Int(*i),
            Value::Float(f) => Cell::Float(*f),
            Value::Bool(b) => Cell::Bool(*b),
            Value::Str(s) => Cell::Str(s.as_str().into()),
            _ => return None,
        }),
        ExprKind::Unary { op, operand } => match op {
            UnaryOp::Neg => RowExpr::Neg(sub(operand)?),
            UnaryOp::Not => RowExpr::Not(sub(operand)?),
        },
        ExprKind::Binary { op, lhs, rhs } => match op {
            BinaryOp::In | BinaryOp::NotIn => {
                let membership = membership(sub(lhs)?, rhs, schema, names, ctx)?;
                if *op == BinaryOp::NotIn {
                    RowExpr::Not(Box::new(membership))
                } else {
                    membership
                }
            }
            BinaryOp::Rem => return None,
            BinaryOp::Div => match literal_number(rhs, schema, ctx.params) {
                Some(divisor) => RowExpr::Binary(
                    BinaryOp::Mul,
                    Box::new(RowExpr::Float(sub(lhs)?)),
                    Box::new(RowExpr::Lit(Cell::Float(1.0 / divisor))),
                ),
                // polars may fold a constant divisor and take its inverse.
                None if !reads_a_column(rhs, schema) => return None,
                None => RowExpr::Binary(BinaryOp::Div, sub(lhs)?, sub(rhs)?),
            },
            op => RowExpr::Binary(*op, sub(lhs)?, sub(rhs)?),
        },
        ExprKind::Call { callee, args } => {
            let ExprKind::Name(name) = &callee.kind else {
                return None;
            };
            let function = match name.name.as_str() {
                "log" => Function::Log,
                "exp" => Function::Exp,
                "sqrt" => Function::Sqrt,
                "abs" => Function::Abs,
                "round" => Function::Round,
                "is_null" => Function::IsNull,
                "coalesce" => Function::Coalesce,
                "lower" => Function::Lower,
                "upper" => Function::Upper,
                "len" => Function::Len,
                _ => return None,
            };
            let arity = if matches!(function, Function::Coalesce) {
                2
            } else {
                1
            };
            if args.len() != arity || args.iter().any(|a| a.name.is_some()) {
                return None;
            }
            let args = args
                .iter()
                .map(|a| compile_expr(&a.value, schema, names, ctx))
                .collect::<Option<_>>()?;
            RowExpr::Call(function, args)
        }
        _ => return None,
    })
}

/// Whether the expression reads a column of `schema`.
fn reads_a_column(expr: &ast::Expr, schema: &Schema) -> bool {
    match &expr.kind {
        ExprKind::Name(id) => schema.get(&id.name).is_some(),
        ExprKind::Paren(inner) => reads_a_column(inner, schema),
        ExprKind::Unary { operand, .. } => reads_a_column(operand, schema),
        ExprKind::Binary { lhs, rhs, .. } => {
            reads_a_column(lhs, schema) || reads_a_column(rhs, schema)
        }
        ExprKind::Range { lo, hi } => reads_a_column(lo, schema) || reads_a_column(hi, schema),
        ExprKind::List(items) => items.iter().any(|i| reads_a_column(i, schema)),
        ExprKind::Call { args, .. } => args.iter().any(|a| reads_a_column(&a.value, schema)),
        _ => false,
    }
}

fn membership(
    x: Box<RowExpr>,
    rhs: &ast::Expr,
    schema: &Schema,
    names: &[String],
    ctx: &StepCtx,
) -> Option<RowExpr> {
    match &rhs.kind {
        ExprKind::Paren(inner) => membership(x, inner, schema, names, ctx),
        ExprKind::Range { lo, hi } => Some(RowExpr::Range(
            x,
            Box::new(compile_expr(lo, schema, names, ctx)?),
            Box::new(compile_expr(hi, schema, names, ctx)?),
        )),
        ExprKind::List(items) => Some(RowExpr::AnyOf(
            x,
            items
                .iter()
                .map(|i| compile_expr(i, schema, names, ctx))
                .collect::<Option<_>>()?,
        )),
        _ => None,
    }
}

impl RowExpr {
    fn eval(&self, row: &[Cell]) -> Computed {
        match self {
            RowExpr::Lit(value) => Ok(value.clone()),
            RowExpr::Column(i) => Ok(row[*i].clone()),
            RowExpr::Neg(x) => match x.eval(row)? {
                Cell::Null => Ok(Cell::Null),
                Cell::Int(i) => i.checked_neg().map(Cell::Int).ok_or(Unsupported),
                Cell::Float(f) => Ok(Cell::Float(-f)),
                _ => Err(Unsupported),
            },
            RowExpr::Not(x) => not(x.eval(row)?),
            RowExpr::Binary(op, l, r) => binary(*op, l.eval(row)?, r.eval(row)?),
            RowExpr::Range(x, lo, hi) => {
                let x = x.eval(row)?;
                let above = binary(BinaryOp::Ge, x.clone(), lo.eval(row)?)?;
                let below = binary(BinaryOp::Le, x, hi.eval(row)?)?;
                binary(BinaryOp::And, above, below)
            }
            RowExpr::AnyOf(x, items) => {
                let x = x.eval(row)?;
                let mut any = Cell::Bool(false);
                for (i, item) in items.iter().enumerate() {
                    let eq = binary(BinaryOp::Eq, x.clone(), item.eval(row)?)?;
                    any = if i == 0 {
                        eq
                    } else {
                        binary(BinaryOp::Or, any, eq)?
                    };
                }
                Ok(any)
            }
            RowExpr::Float(x) => Ok(match x.eval(row)?.as_f64()? {
                Some(f) => Cell::Float(f),
                None => Cell::Null,
            }),
            RowExpr::Call(function, args) => {
                let mut values = args
                    .iter()
                    .map(|a| a.eval(row))
                    .collect::<Result<Vec<_>, _>>()?;
                call(*function, &mut values)
            }
        }
    }
}

fn not(value: Cell) -> Computed {
    match value {
        Cell::Null => Ok(Cell::Null),
        Cell::Bool(b) => Ok(Cell::Bool(!b)),
        _ => Err(Unsupported),
    }
}

/// Kleene logic for `and`/`or`, as polars: `false and null` is false,
/// `true or null` is true, any other null is null.
fn logic(op: BinaryOp, l: &Cell, r: &Cell) -> Computed {
    let truth = |c: &Cell| match c {
        Cell::Bool(b) => Ok(Some(*b)),
        Cell::Null => Ok(None),
        _ => Err(Unsupported),
    };
    let (l, r) = (truth(l)?, truth(r)?);
    let out = if op == BinaryOp::And {
        match (l, r) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        }
    } else {
        match (l, r) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        }
    };
    Ok(out.map_or(Cell::Null, Cell::Bool))
}

fn binary(op: BinaryOp, l: Cell, r: Cell) -> Computed {
    use std::cmp::Ordering;
    if matches!(op, BinaryOp::And | BinaryOp::Or) {
        return logic(op, &l, &r);
    }
    if l == Cell::Null || r == Cell::Null {
        return Ok(Cell::Null);
    }
    let compare = |ordering: Ordering| {
        Cell::Bool(match op {
            BinaryOp::Eq => ordering == Ordering::Equal,
            BinaryOp::Ne => ordering != Ordering::Equal,
            BinaryOp::Lt => ordering == Ordering::Less,
            BinaryOp::Le => ordering != Ordering::Greater,
            BinaryOp::Gt => ordering == Ordering::Greater,
            _ => ordering != Ordering::Less,
        })
    };
    match op {
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            let ordering = match (&l, &r) {
                (Cell::Int(a), Cell::Int(b)) => a.cmp(b),
                (Cell::Str(a), Cell::Str(b)) => a.cmp(b),
                (Cell::Bool(a), Cell::Bool(b)) => a.cmp(b),
                (Cell::Datetime(a), Cell::Datetime(b)) => a.cmp(b),
                (Cell::Int(_) | Cell::Float(_), Cell::Int(_) | Cell::Float(_)) => {
                    let (a, b) = (
                        l.as_f64()?.ok_or(Unsupported)?,
                        r.as_f64()?.ok_or(Unsupported)?,
                    );
                    // polars orders NaN above every number; IEEE does not order it.
                    a.partial_cmp(&b).ok_or(Unsupported)?
                }
                _ => return Err(Unsupported),
            };
            Ok(compare(ordering))
        }
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul => match (&l, &r) {
            (Cell::Int(a), Cell::Int(b)) => match op {
                BinaryOp::Add => a.checked_add(*b),
                BinaryOp::Sub => a.checked_sub(*b),
                _ => a.checked_mul(*b),
            }
            .map(Cell::Int)
            .ok_or(Unsupported),
            (Cell::Int(_) | Cell::Float(_), Cell::Int(_) | Cell::Float(_)) => {
                let (a, b) = (
                    l.as_f64()?.ok_or(Unsupported)?,
                    r.as_f64()?.ok_or(Unsupported)?,
                );
                Ok(Cell::Float(match op {
                    BinaryOp::Add => a + b,
                    BinaryOp::Sub => a - b,
                    _ => a * b,
                }))
            }
            _ => Err(Unsupported),
        },
        BinaryOp::Div => match (&l, &r) {
            (
                Cell::Int(_) | Cell::Float(_) | Cell::Bool(_),
                Cell::Int(_) | Cell::Float(_) | Cell::Bool(_),
            ) => Ok(Cell::Float(
                l.as_f64()?.ok_or(Unsupported)? / r.as_f64()?.ok_or(Unsupported)?,
            )),
            _ => Err(Unsupported),
        },
        _ => Err(Unsupported),
    }
}

fn call(function: Function, args: &mut Vec<Cell>) -> Computed {
    let x = args.remove(0);
    if let Function::Coalesce = function {
        return Ok(if x == Cell::Null { args.remove(0) } else { x });
    }
    if let Function::IsNull = function {
        return Ok(Cell::Bool(x == Cell::Null));
    }
    if x == Cell::Null {
        return Ok(Cell::Null);
    }
    let float = |x: &Cell| x.as_f64()?.ok_or(Unsupported);
    Ok(match function {
        Function::Log => Cell::Float(float(&x)?.log(std::f64::consts::E)),
        Function::Exp => Cell::Float(float(&x)?.exp()),
        Function::Sqrt => Cell::Float(float(&x)?.sqrt()),
        Function::Abs => match x {
            Cell::Int(i) => Cell::Int(i.checked_abs().ok_or(Unsupported)?),
            Cell::Float(f) => Cell::Float(f.abs()),
            _ => return Err(Unsupported),
        },
        Function::Round => match x {
            v @ Cell::Int(_) => v,
            Cell::Float(f) => Cell::Float(f.round()),
            _ => return Err(Unsupported),
        },
        Function::Lower | Function::Upper | Function::Len => {
            let Cell::Str(s) = x else {
                return Err(Unsupported);
            };
            match function {
                Function::Lower => Cell::Str(s.to_lowercase().into()),
                Function::Upper => Cell::Str(s.to_uppercase().into()),
                _ => Cell::Int(s.chars().count() as i64),
            }
        }
        Function::Coalesce | Function::IsNull => return Err(Unsupported),
    })
}
