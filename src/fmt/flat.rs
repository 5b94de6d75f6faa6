//! One-line renderings, without comments. The printer writes them as single
//! tokens when a node holds no comment and fits, and measures them to decide
//! between the inline and the multi-line layout.

use crate::syntax::ast::{Arg, Body, Entry, Expr, ExprKind, RecordField, UnaryOp};
use std::fmt::Write;

/// A string literal with its quotes, escaped so the lexer reads back `value`.
pub(super) fn string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub(super) fn expr(e: &Expr) -> String {
    let mut out = String::new();
    write_expr(e, &mut out);
    out
}

/// `(a, b = 1)`, parentheses included.
pub(super) fn args(args: &[Arg]) -> String {
    let mut out = String::new();
    write_args(args, &mut out);
    out
}

/// `[a, b]`.
pub(super) fn expr_list(items: &[Expr]) -> String {
    let mut out = String::new();
    write_list(items, &mut out);
    out
}

/// `{ a = 1, b = 2 }`.
pub(super) fn record(fields: &[RecordField]) -> String {
    let mut out = String::new();
    write_record(fields, &mut out);
    out
}

/// `{ a = 1, b = 2 }` when every entry is a field; `None` otherwise.
pub(super) fn body(body: &Body) -> Option<String> {
    if body.entries.is_empty() {
        return Some("{}".to_string());
    }
    let mut out = String::from("{ ");
    for (i, entry) in body.entries.iter().enumerate() {
        let Entry::Field(field) = entry else {
            return None;
        };
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&field.path.dotted());
        out.push_str(" = ");
        write_expr(&field.value, &mut out);
    }
    out.push_str(" }");
    Some(out)
}

fn write_args(args: &[Arg], out: &mut String) {
    out.push('(');
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        if let Some(name) = &arg.name {
            out.push_str(&name.name);
            out.push_str(" = ");
        }
        write_expr(&arg.value, out);
    }
    out.push(')');
}

fn write_list(items: &[Expr], out: &mut String) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_expr(item, out);
    }
    out.push(']');
}

fn write_record(fields: &[RecordField], out: &mut String) {
    if fields.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push_str("{ ");
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&field.name.name);
        out.push_str(" = ");
        write_expr(&field.value, out);
    }
    out.push_str(" }");
}

fn write_expr(e: &Expr, out: &mut String) {
    match &e.kind {
        ExprKind::Number(n) => {
            out.push_str(&n.text);
            if let Some(unit) = &n.unit {
                out.push_str(unit);
            }
        }
        ExprKind::Str(value) => out.push_str(&string(value)),
        ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ExprKind::Name(id) => out.push_str(&id.name),
        ExprKind::Member { base, name } => {
            write_expr(base, out);
            out.push('.');
            out.push_str(&name.name);
        }
        ExprKind::Call { callee, args } => {
            write_expr(callee, out);
            write_args(args, out);
        }
        ExprKind::List(items) => write_list(items, out),
        ExprKind::Record(fields) => write_record(fields, out),
        ExprKind::Range { lo, hi } => {
            write_expr(lo, out);
            out.push_str("..");
            write_expr(hi, out);
        }
        ExprKind::Unary { op, operand } => {
            out.push_str(match op {
                UnaryOp::Neg => "-",
                UnaryOp::Not => "not ",
            });
            write_expr(operand, out);
        }
        ExprKind::Binary { op, lhs, rhs } => {
            write_expr(lhs, out);
            out.push(' ');
            out.push_str(op.as_str());
            out.push(' ');
            write_expr(rhs, out);
        }
        ExprKind::Paren(inner) => {
            out.push('(');
            write_expr(inner, out);
            out.push(')');
        }
    }
}

/// Whether a line starting with `text` would be taken by the lexer for the
/// start of a top-level block (a block keyword, blanks, then a name or a
/// string), which would cut the file there: `model in allowed` must not
/// begin a line inside a body.
pub(super) fn starts_block_line(text: &str) -> bool {
    use crate::syntax::ast::BlockKeyword;
    let word_len = text
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    if BlockKeyword::from_word(&text[..word_len]).is_none() {
        return false;
    }
    let after = &text[word_len..];
    let rest = after.trim_start_matches([' ', '\t']);
    rest.len() < after.len()
        && rest
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'"')
}
