//! The catalogue of algorithms, metrics and table operations, read from the
//! `catalog` blocks of the standard modules `std.catalog.*`
//! (`stdlib/catalog/`, embedded in the binary). The checker's knowledge of
//! what exists lives there, where users can read it.

use super::types::ModelKind;
use crate::resolve::stdlib;
use crate::source::FileId;
use crate::syntax::{self, ast};
use std::fmt;
use std::sync::OnceLock;

#[derive(Clone, Debug, PartialEq)]
pub enum HyperType {
    Int,
    Float,
    Bool,
    Choice(Vec<String>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Bound {
    pub value: f64,
    /// `>=` rather than `>`.
    pub inclusive: bool,
}

/// The value a hyper-parameter takes when the model does not set it.
#[derive(Clone, Debug, PartialEq)]
pub enum HyperDefault {
    Int(i64),
    Float(f64),
    Bool(bool),
    Word(String),
    /// `none`: no limit (`max_depth`).
    Unlimited,
    /// `split_seed`: the seed of the split the training data comes from.
    SplitSeed,
}

impl fmt::Display for HyperDefault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HyperDefault::Int(v) => write!(f, "{v}"),
            HyperDefault::Float(v) => write!(f, "{v:?}"),
            HyperDefault::Bool(v) => write!(f, "{v}"),
            HyperDefault::Word(v) => write!(f, "{v}"),
            HyperDefault::Unlimited => f.write_str("unlimited"),
            HyperDefault::SplitSeed => f.write_str("the split's seed"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct HyperSpec {
    pub name: String,
    pub ty: HyperType,
    pub min: Option<Bound>,
    pub default: HyperDefault,
    pub meaning: String,
}

impl fmt::Display for HyperType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HyperType::Int => f.write_str("int"),
            HyperType::Float => f.write_str("float"),
            HyperType::Bool => f.write_str("bool"),
            HyperType::Choice(words) => f.write_str(&words.join(" | ")),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Algorithm {
    pub name: String,
    /// What it fits and how, in scikit-learn's terms (hover, docs).
    pub meaning: String,
    pub kind: ModelKind,
    /// Fits two classes only (`svm`).
    pub binary_only: bool,
    /// Its fitted model gives class probabilities.
    pub probabilities: bool,
    pub hyper: Vec<HyperSpec>,
}

impl Algorithm {
    pub fn hyper(&self, name: &str) -> Option<&HyperSpec> {
        self.hyper.iter().find(|h| h.name == name)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    pub name: String,
    pub kind: ModelKind,
    pub scalar: bool,
    pub higher_is_better: bool,
    /// Only for a classifier of exactly two classes.
    pub binary_only: bool,
    /// Only for an algorithm that gives class probabilities.
    pub needs_probabilities: bool,
    /// A fairness metric: only for an `evaluate` that names a `groups`
    /// column.
    pub needs_groups: bool,
}

impl Metric {
    /// Why this metric cannot be computed for `model` (named in the
    /// message), trained with `algorithm` on `classes` target classes when
    /// known, by an `evaluate` without `groups`; `None` when it can.
    pub fn unfit_for(
        &self,
        model: &str,
        algorithm: &Algorithm,
        classes: Option<usize>,
    ) -> Option<String> {
        self.unfit_with(model, algorithm, classes, false)
    }

    /// As [`Metric::unfit_for`], by an `evaluate` that names a `groups`
    /// column when `groups` is true.
    pub fn unfit_with(
        &self,
        model: &str,
        algorithm: &Algorithm,
        classes: Option<usize>,
        groups: bool,
    ) -> Option<String> {
        if self.kind != algorithm.kind {
            return Some(format!(
                "`{}` is a {} metric, but `{model}` is a {}",
                self.name,
                self.kind.as_str(),
                algorithm.kind.as_str()
            ));
        }
        if let Some(classes) = classes.filter(|&c| self.binary_only && c != 2) {
            return Some(format!(
                "`{}` is for a target of two classes; `{model}` has {classes}",
                self.name
            ));
        }
        if self.needs_probabilities && !algorithm.probabilities {
            return Some(format!(
                "`{}` needs class probabilities, which `{}` does not give",
                self.name, algorithm.name
            ));
        }
        if self.needs_groups && !groups {
            return Some(format!(
                "`{}` compares groups of rows, but this evaluation of `{model}` names no `groups` column",
                self.name
            ));
        }
        None
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fitted {
    Never,
    Always,
    /// Fitted unless `strategy = constant`.
    UnlessConstant,
}

/// What the positional column arguments of an operation must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Columns {
    /// No column list (`filter`, `derive`, `join`, ...).
    None,
    Any,
    Numeric,
    Enum,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    pub name: String,
    pub columns: Columns,
    pub fitted: Fitted,
    /// The named arguments it accepts; `None` when any name is accepted
    /// (`derive`, `rename`).
    pub named: Option<Vec<String>>,
    /// What it does, in a line.
    pub meaning: String,
}

#[derive(Debug, Default)]
pub struct Catalog {
    pub algorithms: Vec<Algorithm>,
    pub metrics: Vec<Metric>,
    pub operations: Vec<Operation>,
}

impl Catalog {
    pub fn algorithm(&self, name: &str) -> Option<&Algorithm> {
        self.algorithms.iter().find(|a| a.name == name)
    }

    pub fn metric(&self, name: &str) -> Option<&Metric> {
        self.metrics.iter().find(|m| m.name == name)
    }

    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| o.name == name)
    }
}

/// The catalogue, parsed once per process. The files are part of the
/// binary, so a malformed one is a bug of mlp, caught by the unit test
/// `shipped_catalogue_parses` before any release: not something a user
/// could cause or work around.
pub fn get() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| match parse() {
        Ok(catalog) => catalog,
        Err(problem) => panic!("the embedded catalogue is malformed: {problem}"),
    })
}

/// Parses the embedded catalogue files; an error names what is malformed
/// (a test keeps the shipped files well-formed).
pub fn parse() -> Result<Catalog, String> {
    let mut catalog = Catalog::default();
    for entry in entries("algorithms")? {
        let kind = word(&entry.body, "kind")
            .and_then(|w| ModelKind::from_word(&w))
            .ok_or_else(|| format!("algorithm `{}`: bad kind", entry.name.name))?;
        let mut hyper = Vec::new();
        if let Some(h) = entry.body.nested("hyper") {
            for e in &h.body.entries {
                match e {
                    ast::Entry::Nested(spec) => hyper.push(hyper_spec(spec)?),
                    _ => {
                        return Err(format!(
                            "algorithm `{}`: a hyper-parameter is `NAME {{ type = .., default = .., meaning = \"..\" }}`",
                            entry.name.name
                        ))
                    }
                }
            }
        }
        let meaning = match entry.body.field("meaning").map(|f| &f.value.kind) {
            Some(ast::ExprKind::Str(text)) => text.clone(),
            _ => return Err(format!("algorithm `{}`: no `meaning`", entry.name.name)),
        };
        catalog.algorithms.push(Algorithm {
            name: entry.name.name.clone(),
            meaning,
            kind,
            binary_only: word(&entry.body, "classes").as_deref() == Some("binary"),
            probabilities: boolean(&entry.body, "probabilities").unwrap_or(false),
            hyper,
        });
    }
    for entry in entries("metrics")? {
        let kind = word(&entry.body, "kind")
            .and_then(|w| ModelKind::from_word(&w))
            .ok_or_else(|| format!("metric `{}`: bad kind", entry.name.name))?;
        catalog.metrics.push(Metric {
            name: entry.name.name.clone(),
            kind,
            scalar: boolean(&entry.body, "scalar").unwrap_or(true),
            higher_is_better: word(&entry.body, "better").as_deref() != Some("lower"),
            binary_only: word(&entry.body, "classes").as_deref() == Some("binary"),
            needs_probabilities: word(&entry.body, "needs").as_deref() == Some("probabilities"),
            needs_groups: word(&entry.body, "needs").as_deref() == Some("groups"),
        });
    }
    for entry in entries("operations")? {
        let fitted = match entry.body.field("fitted").map(|f| &f.value.kind) {
            Some(ast::ExprKind::Bool(true)) => Fitted::Always,
            Some(ast::ExprKind::Name(n)) if n.name == "strategy" => Fitted::UnlessConstant,
            _ => Fitted::Never,
        };
        let named = entry
            .body
            .nested("named")
            .map(|n| n.body.fields().map(|f| f.path.dotted()).collect::<Vec<_>>());
        let named = match named {
            Some(names) if names.iter().any(|n| n == "any") => None,
            Some(names) => Some(names),
            None => Some(Vec::new()),
        };
        let columns = match word(&entry.body, "columns").as_deref() {
            Some("none") => Columns::None,
            Some("any") => Columns::Any,
            Some("numeric") => Columns::Numeric,
            Some("enum") => Columns::Enum,
            _ => return Err(format!("operation `{}`: bad columns", entry.name.name)),
        };
        let meaning = match entry.body.field("meaning").map(|f| &f.value.kind) {
            Some(ast::ExprKind::Str(text)) => text.clone(),
            _ => return Err(format!("operation `{}`: no `meaning`", entry.name.name)),
        };
        catalog.operations.push(Operation {
            name: entry.name.name.clone(),
            columns,
            fitted,
            named,
            meaning,
        });
    }
    Ok(catalog)
}

/// The entries of `catalog NAME { ... }` in the module `std.catalog.NAME`.
fn entries(container: &str) -> Result<Vec<ast::NestedBlock>, String> {
    let module = format!("std.catalog.{container}");
    let text = stdlib::module(&module).ok_or_else(|| format!("`{module}` is missing"))?;
    let parsed = syntax::parse(text, FileId(u32::MAX));
    if parsed.has_errors() {
        return Err(format!("`{module}` does not parse"));
    }
    for item in parsed.file.items {
        if let ast::ItemKind::Catalog(catalog) = item.kind {
            if catalog.name.name == container {
                return Ok(catalog
                    .body
                    .entries
                    .into_iter()
                    .filter_map(|e| match e {
                        ast::Entry::Nested(n) => Some(n),
                        _ => None,
                    })
                    .collect());
            }
        }
    }
    Err(format!("catalogue `{container}` is missing"))
}

fn word(body: &ast::Body, name: &str) -> Option<String> {
    match &body.field(name)?.value.kind {
        ast::ExprKind::Name(n) => Some(n.name.clone()),
        _ => None,
    }
}

fn boolean(body: &ast::Body, name: &str) -> Option<bool> {
    match &body.field(name)?.value.kind {
        ast::ExprKind::Bool(b) => Some(*b),
        _ => None,
    }
}

fn hyper_spec(entry: &ast::NestedBlock) -> Result<HyperSpec, String> {
    let name = entry.name.name.clone();
    let bad = |what: &str| format!("hyper-parameter `{name}`: bad {what}");
    let type_word = |e: &ast::Expr| match &e.kind {
        ast::ExprKind::Name(n) => match n.name.as_str() {
            "int" => Some(HyperType::Int),
            "float" => Some(HyperType::Float),
            "bool" => Some(HyperType::Bool),
            _ => None,
        },
        _ => None,
    };
    let ty_field = entry.body.field("type").ok_or_else(|| bad("type"))?;
    let (ty, min) = match &ty_field.value.kind {
        ast::ExprKind::List(items) => {
            let words = items
                .iter()
                .map(|i| match &i.kind {
                    ast::ExprKind::Str(s) => Some(s.clone()),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("type"))?;
            (HyperType::Choice(words), None)
        }
        ast::ExprKind::Binary { op, lhs, rhs } => {
            let ty = type_word(lhs).ok_or_else(|| bad("type"))?;
            let value = match &rhs.kind {
                ast::ExprKind::Number(n) => n.value.as_f64(),
                _ => return Err(bad("bound")),
            };
            let inclusive = match op {
                ast::BinaryOp::Ge => true,
                ast::BinaryOp::Gt => false,
                _ => return Err(bad("bound")),
            };
            (ty, Some(Bound { value, inclusive }))
        }
        _ => (type_word(&ty_field.value).ok_or_else(|| bad("type"))?, None),
    };
    let default_field = entry.body.field("default").ok_or_else(|| bad("default"))?;
    let default = match (&ty, &default_field.value.kind) {
        (_, ast::ExprKind::Name(n)) if n.name == "none" => HyperDefault::Unlimited,
        (HyperType::Int, ast::ExprKind::Name(n)) if n.name == "split_seed" => {
            HyperDefault::SplitSeed
        }
        (HyperType::Int, ast::ExprKind::Number(n)) => match n.value {
            ast::NumberValue::Int(i) => HyperDefault::Int(i),
            _ => return Err(bad("default")),
        },
        (HyperType::Float, ast::ExprKind::Number(n)) => HyperDefault::Float(n.value.as_f64()),
        (HyperType::Bool, ast::ExprKind::Bool(b)) => HyperDefault::Bool(*b),
        (HyperType::Choice(words), ast::ExprKind::Str(w)) if words.contains(w) => {
            HyperDefault::Word(w.clone())
        }
        _ => return Err(bad("default")),
    };
    let within = |v: f64| {
        min.as_ref()
            .is_none_or(|b| v > b.value || (b.inclusive && v == b.value))
    };
    match default {
        HyperDefault::Int(i) if !within(i as f64) => return Err(bad("default (out of bounds)")),
        HyperDefault::Float(v) if !within(v) => return Err(bad("default (out of bounds)")),
        _ => {}
    }
    let meaning = match entry.body.field("meaning").map(|f| &f.value.kind) {
        Some(ast::ExprKind::Str(s)) => s.clone(),
        _ => return Err(bad("meaning")),
    };
    Ok(HyperSpec {
        name,
        ty,
        min,
        default,
        meaning,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_catalogue_parses() {
        let catalog = parse().expect("catalogue");
        assert_eq!(catalog.algorithms.len(), 14);
        let svm = catalog.algorithm("svm").expect("svm");
        assert!(svm.binary_only);
        assert_eq!(svm.kind, ModelKind::Classifier);
        assert_eq!(
            catalog.metric("rmse").map(|m| (m.kind, m.higher_is_better)),
            Some((ModelKind::Regressor, false))
        );
        assert_eq!(
            catalog.operation("impute").map(|o| o.fitted),
            Some(Fitted::UnlessConstant)
        );
        assert_eq!(
            catalog.operation("log").map(|o| o.columns),
            Some(Columns::Numeric)
        );
        assert_eq!(
            catalog.operation("one_hot").map(|o| o.columns),
            Some(Columns::Enum)
        );
        assert_eq!(
            catalog.operation("derive").map(|o| o.named.is_none()),
            Some(true)
        );
        let parity = catalog
            .metric("demographic_parity_difference")
            .expect("demographic_parity_difference");
        assert!(parity.needs_groups && parity.binary_only && parity.scalar);
        assert!(!parity.higher_is_better);
        let by_group = catalog
            .metric("accuracy_by_group")
            .expect("accuracy_by_group");
        assert!(by_group.needs_groups && !by_group.scalar && !by_group.binary_only);
        assert!(!catalog.metric("accuracy").expect("accuracy").needs_groups);
        let lr = catalog.algorithm("logistic_regression").expect("lr");
        assert_eq!(
            lr.hyper[0].min,
            Some(Bound {
                value: 1.0,
                inclusive: true
            })
        );
    }
}
