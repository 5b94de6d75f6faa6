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
    let mut out = Writer::new(usize::MAX);
    out.expr(e);
    out.text
}

/// The start of `expr(e)`, at least `len` bytes of it when it is that long.
/// Writing stops there: the printer asks how every element of a sequence
/// starts, and a long element must not cost its whole length each time.
pub(super) fn expr_prefix(e: &Expr, len: usize) -> String {
    let mut out = Writer::new(len);
    out.expr(e);
    out.text
}

/// `{ a = 1, b = 2 }` when every entry is a field; `None` otherwise.
pub(super) fn body(body: &Body) -> Option<String> {
    if body.entries.is_empty() {
        return Some("{}".to_string());
    }
    let mut out = Writer::new(usize::MAX);
    out.push("{ ");
    for (i, entry) in body.entries.iter().enumerate() {
        let Entry::Field(field) = entry else {
            return None;
        };
        if i > 0 {
            out.push(", ");
        }
        out.push(&field.path.dotted());
        out.push(" = ");
        out.expr(&field.value);
    }
    out.push(" }");
    Some(out.text)
}

/// Writes flat forms, up to `cap` bytes: a node starting past the cap is
/// not written.
struct Writer {
    text: String,
    cap: usize,
}

impl Writer {
    fn new(cap: usize) -> Writer {
        Writer {
            text: String::new(),
            cap,
        }
    }

    fn full(&self) -> bool {
        self.text.len() >= self.cap
    }

    fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    fn args(&mut self, args: &[Arg]) {
        self.push("(");
        for (i, arg) in args.iter().enumerate() {
            if self.full() {
                return;
            }
            if i > 0 {
                self.push(", ");
            }
            if let Some(name) = &arg.name {
                self.push(&name.name);
                self.push(" = ");
            }
            self.expr(&arg.value);
        }
        self.push(")");
    }

    fn list(&mut self, items: &[Expr]) {
        self.push("[");
        for (i, item) in items.iter().enumerate() {
            if self.full() {
                return;
            }
            if i > 0 {
                self.push(", ");
            }
            self.expr(item);
        }
        self.push("]");
    }

    fn record(&mut self, fields: &[RecordField]) {
        if fields.is_empty() {
            self.push("{}");
            return;
        }
        self.push("{ ");
        for (i, field) in fields.iter().enumerate() {
            if self.full() {
                return;
            }
            if i > 0 {
                self.push(", ");
            }
            self.push(&field.name.name);
            self.push(" = ");
            self.expr(&field.value);
        }
        self.push(" }");
    }

    fn expr(&mut self, e: &Expr) {
        if self.full() {
            return;
        }
        match &e.kind {
            ExprKind::Number(n) => {
                self.push(&n.text);
                if let Some(unit) = &n.unit {
                    self.push(unit);
                }
            }
            ExprKind::Str(value) => self.push(&string(value)),
            ExprKind::Bool(b) => self.push(if *b { "true" } else { "false" }),
            ExprKind::Name(id) => self.push(&id.name),
            ExprKind::Member { base, name } => {
                self.expr(base);
                self.push(".");
                self.push(&name.name);
            }
            ExprKind::Call { callee, args } => {
                self.expr(callee);
                self.args(args);
            }
            ExprKind::List(items) => self.list(items),
            ExprKind::Record(fields) => self.record(fields),
            ExprKind::Range { lo, hi } => {
                self.expr(lo);
                self.push("..");
                self.expr(hi);
            }
            ExprKind::Unary { op, operand } => {
                self.push(match op {
                    UnaryOp::Neg => "-",
                    UnaryOp::Not => "not ",
                });
                self.expr(operand);
            }
            ExprKind::Binary { op, lhs, rhs } => {
                self.expr(lhs);
                if self.full() {
                    return;
                }
                self.push(" ");
                self.push(op.as_str());
                self.push(" ");
                self.expr(rhs);
            }
            ExprKind::Paren(inner) => {
                self.push("(");
                self.expr(inner);
                self.push(")");
            }
        }
    }
}

/// The width in characters of `expr(e)`, if it is at most `budget`.
///
/// The printer asks this of every node it writes, down a chain that does
/// not fit: measuring stops once past the budget, and walks the left-deep
/// spine of a chain (`a + b + ...`, `a.b.c`, `f(x)(y)`) in a loop from its
/// right end, so each question costs at most `budget` steps.
pub(super) fn expr_width(e: &Expr, budget: usize) -> Option<usize> {
    let mut m = Measure { left: budget };
    m.expr(e)?;
    Some(budget - m.left)
}

/// The width of `args(args)`, if it is at most `budget`.
pub(super) fn args_width(args: &[Arg], budget: usize) -> Option<usize> {
    let mut m = Measure { left: budget };
    m.args(args)?;
    Some(budget - m.left)
}

/// The width of `expr_list(items)`, if it is at most `budget`.
pub(super) fn list_width(items: &[Expr], budget: usize) -> Option<usize> {
    let mut m = Measure { left: budget };
    m.list(items)?;
    Some(budget - m.left)
}

/// The width of `record(fields)`, if it is at most `budget`.
pub(super) fn record_width(fields: &[RecordField], budget: usize) -> Option<usize> {
    let mut m = Measure { left: budget };
    m.record(fields)?;
    Some(budget - m.left)
}

/// The width of `body(body)`, if it has one and it is at most `budget`.
pub(super) fn body_width(body: &Body, budget: usize) -> Option<usize> {
    let mut m = Measure { left: budget };
    if body.entries.is_empty() {
        m.add(2)?;
        return Some(budget - m.left);
    }
    m.add(4)?;
    for (i, entry) in body.entries.iter().enumerate() {
        let Entry::Field(field) = entry else {
            return None;
        };
        if i > 0 {
            m.add(2)?;
        }
        for (j, segment) in field.path.segments.iter().enumerate() {
            m.add(usize::from(j > 0))?;
            m.text(&segment.name)?;
        }
        m.add(3)?;
        m.expr(&field.value)?;
    }
    Some(budget - m.left)
}

/// Counts down the columns left; `None` once there are none.
struct Measure {
    left: usize,
}

impl Measure {
    fn add(&mut self, width: usize) -> Option<()> {
        self.left = self.left.checked_sub(width)?;
        Some(())
    }

    fn text(&mut self, s: &str) -> Option<()> {
        self.add(s.chars().take(self.left + 1).count())
    }

    fn string(&mut self, value: &str) -> Option<()> {
        self.add(2)?;
        for c in value.chars() {
            let width = match c {
                '"' | '\\' | '\n' | '\t' | '\r' | '\0' => 2,
                // `\u{1b}`: four characters around the hex digits.
                c if c.is_control() => 4 + format!("{:x}", c as u32).len(),
                _ => 1,
            };
            self.add(width)?;
        }
        Some(())
    }

    fn args(&mut self, args: &[Arg]) -> Option<()> {
        self.add(2)?;
        for (i, arg) in args.iter().enumerate() {
            if i > 0 {
                self.add(2)?;
            }
            if let Some(name) = &arg.name {
                self.text(&name.name)?;
                self.add(3)?;
            }
            self.expr(&arg.value)?;
        }
        Some(())
    }

    fn list(&mut self, items: &[Expr]) -> Option<()> {
        self.add(2)?;
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.add(2)?;
            }
            self.expr(item)?;
        }
        Some(())
    }

    fn record(&mut self, fields: &[RecordField]) -> Option<()> {
        if fields.is_empty() {
            return self.add(2);
        }
        self.add(4)?;
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                self.add(2)?;
            }
            self.text(&field.name.name)?;
            self.add(3)?;
            self.expr(&field.value)?;
        }
        Some(())
    }

    fn expr(&mut self, mut e: &Expr) -> Option<()> {
        loop {
            e = match &e.kind {
                ExprKind::Number(n) => {
                    self.text(&n.text)?;
                    return self.text(n.unit.as_deref().unwrap_or(""));
                }
                ExprKind::Str(value) => return self.string(value),
                ExprKind::Bool(b) => return self.add(if *b { 4 } else { 5 }),
                ExprKind::Name(id) => return self.text(&id.name),
                ExprKind::List(items) => return self.list(items),
                ExprKind::Record(fields) => return self.record(fields),
                ExprKind::Member { base, name } => {
                    self.add(1)?;
                    self.text(&name.name)?;
                    base
                }
                ExprKind::Call { callee, args } => {
                    self.args(args)?;
                    callee
                }
                ExprKind::Range { lo, hi } => {
                    self.add(2)?;
                    self.expr(hi)?;
                    lo
                }
                ExprKind::Unary { op, operand } => {
                    self.add(match op {
                        UnaryOp::Neg => 1,
                        UnaryOp::Not => 4,
                    })?;
                    operand
                }
                ExprKind::Binary { op, lhs, rhs } => {
                    self.add(op.as_str().len() + 2)?;
                    self.expr(rhs)?;
                    lhs
                }
                ExprKind::Paren(inner) => {
                    self.add(2)?;
                    inner
                }
            };
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
