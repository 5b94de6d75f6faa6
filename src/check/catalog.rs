//! The catalogue of algorithms, metrics and table operations, read from the
//! `catalog` blocks of the standard modules `std.catalog.*`
//! (`stdlib/catalog/`, embedded in the binary). The checker's knowledge of
//! what exists lives there, where users can read it.

use super::types::ModelKind;
use crate::resolve::stdlib;
use crate::source::FileId;
use crate::syntax::{self, ast};
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

#[derive(Clone, Debug, PartialEq)]
pub struct HyperSpec {
    pub name: String,
    pub ty: HyperType,
    pub min: Option<Bound>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Algorithm {
    pub name: String,
    pub kind: ModelKind,
    /// Fits two classes only (`svm`).
    pub binary_only: bool,
    pub hyper: Vec<HyperSpec>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    pub name: String,
    pub kind: ModelKind,
    pub scalar: bool,
    pub higher_is_better: bool,
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

/// The catalogue, parsed once per process.
pub fn get() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| parse().unwrap_or_default())
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
            for f in h.body.fields() {
                hyper.push(hyper_spec(f)?);
            }
        }
        catalog.algorithms.push(Algorithm {
            name: entry.name.name.clone(),
            kind,
            binary_only: word(&entry.body, "classes").as_deref() == Some("binary"),
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
        catalog.operations.push(Operation {
            name: entry.name.name.clone(),
            columns,
            fitted,
            named,
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

fn hyper_spec(field: &ast::Field) -> Result<HyperSpec, String> {
    let name = field.path.dotted();
    let bad = || format!("hyper-parameter `{name}`: bad type");
    let type_word = |e: &ast::Expr| match &e.kind {
        ast::ExprKind::Name(n) => match n.name.as_str() {
            "int" => Some(HyperType::Int),
            "float" => Some(HyperType::Float),
            "bool" => Some(HyperType::Bool),
            _ => None,
        },
        _ => None,
    };
    let (ty, min) = match &field.value.kind {
        ast::ExprKind::List(items) => {
            let words = items
                .iter()
                .map(|i| match &i.kind {
                    ast::ExprKind::Str(s) => Some(s.clone()),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
                .ok_or_else(bad)?;
            (HyperType::Choice(words), None)
        }
        ast::ExprKind::Binary { op, lhs, rhs } => {
            let ty = type_word(lhs).ok_or_else(bad)?;
            let value = match &rhs.kind {
                ast::ExprKind::Number(n) => n.value.as_f64(),
                _ => return Err(bad()),
            };
            let inclusive = match op {
                ast::BinaryOp::Ge => true,
                ast::BinaryOp::Gt => false,
                _ => return Err(bad()),
            };
            (ty, Some(Bound { value, inclusive }))
        }
        _ => (type_word(&field.value).ok_or_else(bad)?, None),
    };
    Ok(HyperSpec { name, ty, min })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_catalogue_parses() {
        let catalog = parse().expect("catalogue");
        assert_eq!(catalog.algorithms.len(), 9);
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
