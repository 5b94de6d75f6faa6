//! From the checked program to the runner's inputs: parameter values and
//! the structured data expectations of a source.

use super::expect::{CmpOp, Expectation, Stat};
use crate::check::types::Value;
use crate::check::Program;
use crate::syntax::ast::{self, BinaryOp, ExprKind};
use std::collections::BTreeMap;

/// The pipeline's parameters with their values (after `--param`).
pub fn params(program: &Program) -> BTreeMap<String, Value> {
    program
        .params
        .iter()
        .filter_map(|p| p.value.clone().map(|v| (p.name.clone(), v)))
        .collect()
}

/// The `expect { ... }` conditions of a source, structured. A condition
/// joined by `and` is two expectations.
pub fn expectations(
    decl: &ast::SourceDecl,
    params: &BTreeMap<String, Value>,
) -> Result<Vec<Expectation>, String> {
    let mut out = Vec::new();
    let Some(block) = decl.body.nested("expect") else {
        return Ok(out);
    };
    for entry in &block.body.entries {
        if let ast::Entry::Expr(expr) = entry {
            lower(expr, params, &mut out)?;
        }
    }
    Ok(out)
}

fn lower(
    expr: &ast::Expr,
    params: &BTreeMap<String, Value>,
    out: &mut Vec<Expectation>,
) -> Result<(), String> {
    let unsupported = || format!("this expectation cannot be checked: `{}`", describe(expr));
    match &expr.kind {
        ExprKind::Paren(inner) => lower(inner, params, out),
        ExprKind::Binary {
            op: BinaryOp::And,
            lhs,
            rhs,
        } => {
            lower(lhs, params, out)?;
            lower(rhs, params, out)
        }
        ExprKind::Call { callee, args } if name(callee) == Some("unique") => {
            let columns = args
                .iter()
                .map(|a| name(&a.value).map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(unsupported)?;
            out.push(Expectation::Unique { columns });
            Ok(())
        }
        ExprKind::Binary {
            op: BinaryOp::In,
            lhs,
            rhs,
        } => {
            let column = name(lhs).ok_or_else(unsupported)?.to_string();
            match &rhs.kind {
                ExprKind::Range { lo, hi } => out.push(Expectation::InRange {
                    column,
                    lo: number(lo, params).ok_or_else(unsupported)?,
                    hi: number(hi, params).ok_or_else(unsupported)?,
                }),
                ExprKind::List(items) => out.push(Expectation::InSet {
                    column,
                    values: items
                        .iter()
                        .map(|i| match &i.kind {
                            ExprKind::Str(s) => Some(s.clone()),
                            _ => number(i, params).map(|n| n.to_string()),
                        })
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(unsupported)?,
                }),
                _ => return Err(unsupported()),
            }
            Ok(())
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let op = cmp(*op).ok_or_else(unsupported)?;
            let value = number(rhs, params).ok_or_else(unsupported)?;
            let expectation = match &lhs.kind {
                ExprKind::Name(id) if id.name == "rows" => Expectation::Rows { op, n: value },
                ExprKind::Name(id) => Expectation::Compare {
                    column: id.name.clone(),
                    op,
                    value,
                },
                ExprKind::Call { callee, args } => {
                    let [arg] = args.as_slice() else {
                        return Err(unsupported());
                    };
                    let column = name(&arg.value).ok_or_else(unsupported)?.to_string();
                    match name(callee) {
                        Some("nulls") => Expectation::Nulls {
                            column,
                            op,
                            fraction: value,
                        },
                        Some(other) => match Stat::from_name(other) {
                            Some(stat) => Expectation::Stat {
                                stat,
                                column,
                                op,
                                value,
                            },
                            None => return Err(unsupported()),
                        },
                        None => return Err(unsupported()),
                    }
                }
                _ => return Err(unsupported()),
            };
            out.push(expectation);
            Ok(())
        }
        _ => Err(unsupported()),
    }
}

fn name(expr: &ast::Expr) -> Option<&str> {
    match &expr.kind {
        ExprKind::Name(id) => Some(&id.name),
        _ => None,
    }
}

fn number(expr: &ast::Expr, params: &BTreeMap<String, Value>) -> Option<f64> {
    match &expr.kind {
        ExprKind::Number(n) => Some(n.value.as_f64()),
        ExprKind::Unary {
            op: ast::UnaryOp::Neg,
            operand,
        } => number(operand, params).map(|n| -n),
        ExprKind::Name(id) => params.get(&id.name).and_then(Value::as_f64),
        ExprKind::Paren(inner) => number(inner, params),
        _ => None,
    }
}

fn cmp(op: BinaryOp) -> Option<CmpOp> {
    Some(match op {
        BinaryOp::Lt => CmpOp::Lt,
        BinaryOp::Le => CmpOp::Le,
        BinaryOp::Gt => CmpOp::Gt,
        BinaryOp::Ge => CmpOp::Ge,
        BinaryOp::Eq => CmpOp::Eq,
        BinaryOp::Ne => CmpOp::Ne,
        _ => return None,
    })
}

fn describe(expr: &ast::Expr) -> String {
    match &expr.kind {
        ExprKind::Name(id) => id.name.clone(),
        ExprKind::Call { callee, .. } => format!("{}(...)", describe(callee)),
        ExprKind::Binary { op, lhs, rhs } => {
            format!("{} {} {}", describe(lhs), op.as_str(), describe(rhs))
        }
        ExprKind::Number(n) => format!("{}{}", n.text, n.unit.as_deref().unwrap_or("")),
        _ => "...".into(),
    }
}
