//! The types of the checker: column types and schemas, value types of
//! fields, and model kinds.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// The type of a column's values, without nullability.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ColumnType {
    Int,
    Float,
    Bool,
    Str,
    Datetime,
    /// Shared: schemas are copied at every step, their variants need not be.
    Enum(std::sync::Arc<[String]>),
}

impl ColumnType {
    pub fn from_name(name: &str) -> Option<ColumnType> {
        Some(match name {
            "int" => ColumnType::Int,
            "float" => ColumnType::Float,
            "bool" => ColumnType::Bool,
            "str" => ColumnType::Str,
            "datetime" => ColumnType::Datetime,
            _ => return None,
        })
    }

    pub const NAMES: [&'static str; 6] = ["int", "float", "bool", "str", "datetime", "enum(...)"];

    pub fn is_numeric(&self) -> bool {
        matches!(self, ColumnType::Int | ColumnType::Float)
    }

    /// The word used in the IR and in messages (`enum` without its variants).
    pub fn word(&self) -> &'static str {
        match self {
            ColumnType::Int => "int",
            ColumnType::Float => "float",
            ColumnType::Bool => "bool",
            ColumnType::Str => "str",
            ColumnType::Datetime => "datetime",
            ColumnType::Enum(_) => "enum",
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::Enum(variants) => {
                let quoted: Vec<String> = variants.iter().map(|v| format!("\"{v}\"")).collect();
                write!(f, "enum({})", quoted.join(", "))
            }
            other => f.write_str(other.word()),
        }
    }
}

/// A set of tags (`pii`, `id`, ...), sorted, without duplicates.
///
/// Every column of every step's schema carries its tags, so the set is
/// shared: cloning it allocates nothing. An empty set is `None`, never an
/// empty list, so the derived equality holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Tags(Option<Arc<Vec<String>>>);

impl Serialize for Tags {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Tags, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        Ok(names.iter().map(String::as_str).collect())
    }
}

impl Tags {
    pub fn new() -> Tags {
        Tags::default()
    }

    fn list(&self) -> &[String] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }

    pub fn insert(&mut self, tag: &str) {
        if let Err(at) = self.list().binary_search_by(|t| t.as_str().cmp(tag)) {
            let list = Arc::make_mut(self.0.get_or_insert_with(Default::default));
            list.insert(at, tag.to_string());
        }
    }

    pub fn extend(&mut self, other: &Tags) {
        if self.0.is_none() {
            self.0.clone_from(&other.0);
            return;
        }
        for tag in other.list() {
            self.insert(tag);
        }
    }

    pub fn contains(&self, tag: &str) -> bool {
        self.list()
            .binary_search_by(|t| t.as_str().cmp(tag))
            .is_ok()
    }

    pub fn remove(&mut self, tag: &str) {
        if let Ok(at) = self.list().binary_search_by(|t| t.as_str().cmp(tag)) {
            if self.list().len() == 1 {
                self.0 = None;
            } else if let Some(list) = self.0.as_mut() {
                Arc::make_mut(list).remove(at);
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.list().iter().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The tags a value computed from columns with these tags inherits:
    /// data tags (`pii`, `sensitive`, user tags) flow, role tags (`id`,
    /// `target`) describe one column and do not.
    pub fn derived(&self) -> Tags {
        let mut out = self.clone();
        out.remove("id");
        out.remove("target");
        out
    }
}

impl<'a> FromIterator<&'a str> for Tags {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Tags {
        let mut tags = Tags::new();
        for t in iter {
            tags.insert(t);
        }
        tags
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// Shared: schemas are copied at every step, their names need not be.
    pub name: std::sync::Arc<str>,
    pub ty: ColumnType,
    pub nullable: bool,
    pub tags: Tags,
}

impl Column {
    pub fn new(
        name: impl Into<std::sync::Arc<str>>,
        ty: ColumnType,
        nullable: bool,
        tags: Tags,
    ) -> Column {
        Column {
            name: name.into(),
            ty,
            nullable,
            tags,
        }
    }

    /// `float?`, `enum("a", "b")`: the column's type as written in a schema.
    pub fn type_text(&self) -> String {
        format!("{}{}", self.ty, if self.nullable { "?" } else { "" })
    }
}

impl Serialize for Column {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("name", &*self.name)?;
        map.serialize_entry("type", self.ty.word())?;
        if let ColumnType::Enum(variants) = &self.ty {
            map.serialize_entry("variants", &variants[..])?;
        }
        map.serialize_entry("nullable", &self.nullable)?;
        map.serialize_entry("tags", &self.tags)?;
        map.end()
    }
}

/// What [`Column`]'s `Serialize` writes, read back (saved models carry the
/// schemas their transforms were checked with).
#[derive(Deserialize)]
struct ColumnForm {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    variants: Option<Vec<String>>,
    nullable: bool,
    tags: Tags,
}

impl<'de> Deserialize<'de> for Column {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Column, D::Error> {
        use serde::de::Error;
        let form = ColumnForm::deserialize(d)?;
        let ty = match (form.ty.as_str(), form.variants) {
            ("enum", Some(variants)) => ColumnType::Enum(variants.into()),
            ("enum", None) => return Err(D::Error::custom("an enum column needs `variants`")),
            (word, _) => ColumnType::from_name(word)
                .ok_or_else(|| D::Error::custom(format!("unknown column type `{word}`")))?,
        };
        Ok(Column::new(form.name, ty, form.nullable, form.tags))
    }
}

/// The columns of a table, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Schema {
    pub columns: Vec<Column>,
}

impl Schema {
    pub fn get(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| &*c.name == name)
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut Column> {
        self.columns.iter_mut().find(|c| &*c.name == name)
    }

    pub fn position(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| &*c.name == name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|c| &*c.name)
    }

    /// The union of the tags of all columns.
    pub fn tags(&self) -> Tags {
        let mut tags = Tags::new();
        for c in &self.columns {
            tags.extend(&c.tags);
        }
        tags
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    Classifier,
    Regressor,
    Clusterer,
}

impl ModelKind {
    pub fn from_word(word: &str) -> Option<ModelKind> {
        Some(match word {
            "classifier" => ModelKind::Classifier,
            "regressor" => ModelKind::Regressor,
            "clusterer" => ModelKind::Clusterer,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Classifier => "classifier",
            ModelKind::Regressor => "regressor",
            ModelKind::Clusterer => "clusterer",
        }
    }
}

/// The type of a field value or a parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum ValueType {
    Int,
    Float,
    Bool,
    Str,
    Duration,
    Quantity,
    Percent,
    List(Box<ValueType>),
}

impl ValueType {
    pub fn from_type_expr(ty: &crate::syntax::ast::TypeExpr) -> Option<ValueType> {
        use crate::syntax::ast::TypeKind;
        Some(match &ty.kind {
            TypeKind::Named(id) => match id.name.as_str() {
                "int" => ValueType::Int,
                "float" => ValueType::Float,
                "bool" => ValueType::Bool,
                "str" => ValueType::Str,
                "duration" => ValueType::Duration,
                "quantity" => ValueType::Quantity,
                "percent" => ValueType::Percent,
                _ => return None,
            },
            TypeKind::List(inner) => ValueType::List(Box::new(ValueType::from_type_expr(inner)?)),
            TypeKind::Enum(_) => return None,
        })
    }

    pub const NAMES: [&'static str; 8] = [
        "int", "float", "bool", "str", "duration", "quantity", "percent", "list<T>",
    ];
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueType::Int => f.write_str("int"),
            ValueType::Float => f.write_str("float"),
            ValueType::Bool => f.write_str("bool"),
            ValueType::Str => f.write_str("str"),
            ValueType::Duration => f.write_str("duration"),
            ValueType::Quantity => f.write_str("quantity"),
            ValueType::Percent => f.write_str("percent"),
            ValueType::List(t) => write!(f, "list<{t}>"),
        }
    }
}

/// A value known at check time: a literal, a parameter, or an override.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    /// Milliseconds.
    Duration(Duration),
    /// In base units (`500m` = 0.5, `512Mi` = 536870912).
    Quantity(Quantity),
    /// 0–100.
    Percent(Percent),
    List(Vec<Value>),
    /// A bare word: `high`, `median`, `left`.
    Word(Word),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Duration {
    pub ms: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quantity {
    pub quantity: f64,
    /// As written, for manifests: `500m`, `512Mi`.
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Percent {
    pub percent: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub word: String,
}

impl Value {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Duration(d) => Some(d.ms),
            Value::Quantity(q) => Some(q.quantity),
            Value::Percent(p) => Some(p.percent),
            _ => None,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Bool(_) => "bool",
            Value::Str(_) => "str",
            Value::Duration(_) => "duration",
            Value::Quantity(_) => "quantity",
            Value::Percent(_) => "percent",
            Value::List(_) => "list",
            Value::Word(_) => "name",
        }
    }
}
