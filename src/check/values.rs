//! Constant values of fields: literals with units, parameters, lists,
//! checked against what a field expects.

use super::types::{Duration, Percent, Quantity, Value, ValueType, Word};
use super::Checker;
use crate::diagnostics::{codes, did_you_mean, Diagnostic};
use crate::resolve::ModuleId;
use crate::source::FileId;
use crate::syntax::ast::{self, ExprKind, UnaryOp};

/// What a field accepts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Expect {
    Str,
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    Float {
        min: f64,
        max: f64,
    },
    /// A fraction strictly between 0 and 1.
    Fraction,
    Percent,
    Duration,
    Quantity,
    Choice(&'static [&'static str]),
    StrList,
    /// `cron("0 3 * * 1")`
    Cron,
    /// A reference or a column list, read by the block's own check.
    Special,
}

impl Expect {
    pub const ANY_INT: Expect = Expect::Int {
        min: i64::MIN,
        max: i64::MAX,
    };

    pub fn describe(&self) -> String {
        match self {
            Expect::Str => "a string".into(),
            Expect::Bool => "`true` or `false`".into(),
            Expect::Int { .. } => "an integer".into(),
            Expect::Float { .. } => "a number".into(),
            Expect::Fraction => "a fraction between 0 and 1".into(),
            Expect::Percent => "a percentage like `70%`".into(),
            Expect::Duration => "a duration like `200ms` or `5m`".into(),
            Expect::Quantity => "a quantity like `500m` or `512Mi`".into(),
            Expect::Choice(words) => format!("one of {}", words.join(", ")),
            Expect::StrList => "a list of strings".into(),
            Expect::Cron => "a schedule like `cron(\"0 3 * * 1\")`".into(),
            Expect::Special => "a reference".into(),
        }
    }

    /// A value of this kind to write where one is missing, for a quick fix
    /// (the user then puts the right one); none for a reference, which has
    /// no neutral value.
    pub fn placeholder(&self) -> Option<String> {
        Some(match self {
            Expect::Str => "\"\"".into(),
            Expect::Bool => "false".into(),
            Expect::Int { min, max } => (*min).max(0).min(*max).to_string(),
            Expect::Float { min, max } => format!("{:?}", min.max(0.0).min(*max)),
            Expect::Fraction => "0.5".into(),
            Expect::Percent => "50%".into(),
            Expect::Duration => "1s".into(),
            Expect::Quantity => "1".into(),
            Expect::Choice(words) => words.first()?.to_string(),
            Expect::StrList => "[]".into(),
            Expect::Cron => "cron(\"0 0 * * *\")".into(),
            Expect::Special => return None,
        })
    }

    pub fn from_value_type(ty: &ValueType) -> Expect {
        match ty {
            ValueType::Int => Expect::ANY_INT,
            ValueType::Float => Expect::Float {
                min: f64::NEG_INFINITY,
                max: f64::INFINITY,
            },
            ValueType::Bool => Expect::Bool,
            ValueType::Str => Expect::Str,
            ValueType::Duration => Expect::Duration,
            ValueType::Quantity => Expect::Quantity,
            ValueType::Percent => Expect::Percent,
            ValueType::List(_) => Expect::Special,
        }
    }
}

const DURATION_UNITS: &[(&str, f64)] = &[
    ("ms", 1.0),
    ("s", 1000.0),
    ("m", 60_000.0),
    ("h", 3_600_000.0),
    ("d", 86_400_000.0),
];
const QUANTITY_UNITS: &[(&str, f64)] = &[
    ("m", 0.001),
    ("k", 1e3),
    ("M", 1e6),
    ("G", 1e9),
    ("Ki", 1024.0),
    ("Mi", 1048576.0),
    ("Gi", 1073741824.0),
    ("Ti", 1099511627776.0),
];

impl Checker<'_> {
    /// The value of `expr` if it fits `expect`; otherwise reports why and
    /// returns `None`. Names are parameters of `module`, or bare words.
    pub(super) fn value(
        &mut self,
        module: ModuleId,
        file: FileId,
        expr: &ast::Expr,
        expect: Expect,
    ) -> Option<Value> {
        let value = self.literal(module, file, expr, expect)?;
        self.fits(file, expr, &value, expect).then_some(value)
    }

    fn literal(
        &mut self,
        module: ModuleId,
        file: FileId,
        expr: &ast::Expr,
        expect: Expect,
    ) -> Option<Value> {
        Some(match &expr.kind {
            ExprKind::Paren(inner) => return self.literal(module, file, inner, expect),
            ExprKind::Number(n) => self.number(file, expr, n, expect, false)?,
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => match &operand.kind {
                ExprKind::Number(n) => self.number(file, operand, n, expect, true)?,
                _ => return self.mismatch(file, expr, expect, "an expression"),
            },
            ExprKind::Str(s) => Value::Str(s.clone()),
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::Name(id) if self.is_bad_param(module, &id.name) => return None,
            ExprKind::Name(id) => match self.param_value(module, &id.name) {
                Some(v) => v,
                None => Value::Word(Word {
                    word: id.name.clone(),
                }),
            },
            ExprKind::List(items) => {
                let inner = match expect {
                    Expect::StrList => Expect::Str,
                    _ => return self.mismatch(file, expr, expect, "a list"),
                };
                let mut values = Vec::new();
                for item in items {
                    values.push(self.value(module, file, item, inner)?);
                }
                Value::List(values)
            }
            ExprKind::Call { callee, args } if expect == Expect::Cron => {
                let is_cron = matches!(&callee.kind, ExprKind::Name(n) if n.name == "cron");
                let text = match args.as_slice() {
                    [arg] => match &arg.value.kind {
                        ExprKind::Str(s) => Some(s.clone()),
                        _ => None,
                    },
                    _ => None,
                };
                match (is_cron, text) {
                    (true, Some(text)) if text.split_whitespace().count() == 5 => Value::Str(text),
                    (true, Some(_)) => {
                        self.diags.push(
                            Diagnostic::error(
                                codes::OUT_OF_RANGE,
                                "a cron schedule has five fields",
                            )
                            .with_label(file, expr.span, "not a five-field cron expression")
                            .with_help("minute hour day-of-month month day-of-week, e.g. `cron(\"0 3 * * 1\")` for Mondays at 03:00"),
                        );
                        return None;
                    }
                    _ => return self.mismatch(file, expr, expect, "a call"),
                }
            }
            _ => return self.mismatch(file, expr, expect, "an expression"),
        })
    }

    fn number(
        &mut self,
        file: FileId,
        expr: &ast::Expr,
        n: &ast::Number,
        expect: Expect,
        negative: bool,
    ) -> Option<Value> {
        let sign = if negative { -1.0 } else { 1.0 };
        let raw = n.value.as_f64() * sign;
        let Some(unit) = n.unit.as_deref() else {
            return Some(match n.value {
                ast::NumberValue::Int(i) => Value::Int(if negative { -i } else { i }),
                ast::NumberValue::Float(f) => Value::Float(f * sign),
            });
        };
        if unit == "%" {
            return Some(Value::Percent(Percent { percent: raw }));
        }
        let duration = DURATION_UNITS.iter().find(|(u, _)| *u == unit);
        let quantity = QUANTITY_UNITS.iter().find(|(u, _)| *u == unit);
        let text = format!("{}{}{}", if negative { "-" } else { "" }, n.text, unit);
        // `m` is minutes for a duration and milli for a quantity: the
        // expected type decides.
        let as_duration = |(_, f): &(&str, f64)| Value::Duration(Duration { ms: raw * f });
        let as_quantity = |(_, f): &(&str, f64)| {
            Value::Quantity(Quantity {
                quantity: raw * f,
                text: text.clone(),
            })
        };
        Some(match (duration, quantity, expect) {
            (_, Some(q), Expect::Quantity) => as_quantity(q),
            (Some(d), _, _) => as_duration(d),
            (None, Some(q), _) => as_quantity(q),
            (None, None, _) => {
                let units: Vec<&str> = DURATION_UNITS
                    .iter()
                    .chain(QUANTITY_UNITS)
                    .map(|(u, _)| *u)
                    .chain(["%"])
                    .collect();
                let mut d =
                    Diagnostic::error(codes::TYPE_MISMATCH, format!("unknown unit `{unit}`"))
                        .with_label(file, expr.span, "unknown unit");
                d = match did_you_mean(unit, units) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(
                        "durations: ms s m h d; quantities: m k M G Ki Mi Gi Ti; percentages: %",
                    ),
                };
                self.diags.push(d);
                return None;
            }
        })
    }

    fn mismatch(
        &mut self,
        file: FileId,
        expr: &ast::Expr,
        expect: Expect,
        found: &str,
    ) -> Option<Value> {
        self.diags.push(
            Diagnostic::error(
                codes::TYPE_MISMATCH,
                format!("expected {}, found {found}", expect.describe()),
            )
            .with_label(file, expr.span, format!("expected {}", expect.describe()))
            .with_help(format!("write {} here", expect.describe())),
        );
        None
    }

    /// Whether a literal value fits what the field expects; reports if not.
    fn fits(&mut self, file: FileId, expr: &ast::Expr, value: &Value, expect: Expect) -> bool {
        let span = expr.span;
        let out_of_range = |this: &mut Self, what: String, help: String| {
            this.diags.push(
                Diagnostic::error(codes::OUT_OF_RANGE, what.clone())
                    .with_label(file, span, what)
                    .with_help(help),
            );
            false
        };
        match (expect, value) {
            (Expect::Special, _) => true,
            (Expect::Str, Value::Str(_)) | (Expect::Bool, Value::Bool(_)) => true,
            (Expect::StrList, Value::List(_)) => true,
            (Expect::Cron, Value::Str(_)) => true,
            (Expect::Int { min, max }, Value::Int(i)) => {
                if *i < min || *i > max {
                    let range = match (min, max) {
                        (m, i64::MAX) => format!("at least {m}"),
                        (m, x) => format!("between {m} and {x}"),
                    };
                    return out_of_range(
                        self,
                        format!("{i} is out of range: expected {range}"),
                        format!("use a value {range}"),
                    );
                }
                true
            }
            (Expect::Float { min, max }, Value::Int(_) | Value::Float(_)) => {
                let v = value.as_f64().unwrap_or(0.0);
                if v < min || v > max {
                    let range = if max.is_infinite() {
                        format!("at least {min}")
                    } else {
                        format!("between {min} and {max}")
                    };
                    return out_of_range(
                        self,
                        format!("{v} is out of range: expected {range}"),
                        format!("use a value {range}"),
                    );
                }
                true
            }
            (Expect::Fraction, Value::Int(_) | Value::Float(_)) => {
                let v = value.as_f64().unwrap_or(0.0);
                if v <= 0.0 || v >= 1.0 {
                    return out_of_range(
                        self,
                        format!("{v} is not a fraction between 0 and 1"),
                        "a fraction is strictly between 0 and 1, e.g. 0.8".into(),
                    );
                }
                true
            }
            (Expect::Percent, Value::Percent(p)) => {
                if p.percent < 0.0 || p.percent > 100.0 {
                    return out_of_range(
                        self,
                        format!("{}% is not a percentage between 0% and 100%", p.percent),
                        "use a percentage from 0% to 100%".into(),
                    );
                }
                true
            }
            (Expect::Duration, Value::Duration(_)) | (Expect::Quantity, Value::Quantity(_)) => true,
            (Expect::Choice(words), Value::Word(Word { word }) | Value::Str(word)) => {
                if words.contains(&word.as_str()) {
                    return true;
                }
                let mut d = Diagnostic::error(
                    codes::INVALID_CHOICE,
                    format!("`{word}` is not one of {}", words.join(", ")),
                )
                .with_label(file, span, "not an allowed value");
                d = match did_you_mean(word, words.iter().copied()) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!("use one of: {}", words.join(", "))),
                };
                self.diags.push(d);
                false
            }
            (expect, value) => {
                let found = match value {
                    Value::Word(w) => format!("the name `{}`", w.word),
                    other => format!("a value of type {}", other.type_name()),
                };
                let help = match (expect, value) {
                    (Expect::Duration, Value::Quantity(_)) => {
                        "durations use ms, s, m, h or d: `200ms`, `5m`".to_string()
                    }
                    (Expect::Quantity, Value::Duration(_)) => {
                        "quantities use m, k, Mi, Gi...: `500m` CPU, `512Mi` memory".to_string()
                    }
                    (Expect::Percent, Value::Int(_) | Value::Float(_)) => {
                        "write a percentage with `%`: `70%`".to_string()
                    }
                    (_, Value::Word(_)) => {
                        "a bare name must be a parameter of this module; quote text: \"...\""
                            .to_string()
                    }
                    _ => format!("write {} here", expect.describe()),
                };
                self.diags.push(
                    Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        format!("expected {}, found {found}", expect.describe()),
                    )
                    .with_label(file, span, format!("expected {}", expect.describe()))
                    .with_help(help),
                );
                false
            }
        }
    }
}
