//! The `hyper { }` record of a model, and its reader: values checked
//! against the catalogue's types and bounds, missing ones taken from its
//! defaults.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Algorithm, ModelError};
use crate::check::catalog::{self, HyperDefault};

/// A value of the `hyper { }` record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HyperValue {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
}

impl HyperValue {
    pub(super) fn type_name(&self) -> &'static str {
        match self {
            HyperValue::Int(_) => "int",
            HyperValue::Float(_) => "float",
            HyperValue::Bool(_) => "bool",
            HyperValue::Str(_) => "string",
        }
    }
}

impl fmt::Display for HyperValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HyperValue::Int(v) => write!(f, "{v}"),
            HyperValue::Float(v) => write!(f, "{v}"),
            HyperValue::Bool(v) => write!(f, "{v}"),
            HyperValue::Str(v) => write!(f, "{v:?}"),
        }
    }
}

/// The `hyper { }` record of a model, by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Hyper(pub BTreeMap<String, HyperValue>);

impl Hyper {
    pub fn new() -> Self {
        Hyper::default()
    }

    /// Adds or replaces a value; returns `self` so records read as one expression.
    pub fn with(mut self, name: &str, value: HyperValue) -> Self {
        self.0.insert(name.to_string(), value);
        self
    }
}

/// Reads the hyper-parameters of one algorithm as the catalogue describes
/// them: a value is checked against its spec's type and bound when the
/// reader is made, and a missing one takes the spec's default.
pub(super) struct HyperReader<'a> {
    algorithm: Algorithm,
    specs: &'static [catalog::HyperSpec],
    hyper: &'a Hyper,
}

impl<'a> HyperReader<'a> {
    pub(super) fn new(algorithm: Algorithm, hyper: &'a Hyper) -> Result<Self, ModelError> {
        let specs = &algorithm.catalogued()?.hyper;
        let reader = HyperReader {
            algorithm,
            specs,
            hyper,
        };
        for (name, value) in &hyper.0 {
            let Some(spec) = specs.iter().find(|s| s.name == *name) else {
                return Err(ModelError::UnknownHyper {
                    algorithm,
                    name: name.clone(),
                    known: specs.iter().map(|s| s.name.clone()).collect(),
                });
            };
            reader.accepts(spec, value)?;
        }
        Ok(reader)
    }

    fn accepts(&self, spec: &catalog::HyperSpec, value: &HyperValue) -> Result<(), ModelError> {
        use catalog::HyperType;
        let number = match (&spec.ty, value) {
            (HyperType::Int, HyperValue::Int(v)) => Some(*v as f64),
            (HyperType::Float, HyperValue::Int(v)) => Some(*v as f64),
            (HyperType::Float, HyperValue::Float(v)) => Some(*v),
            (HyperType::Bool, HyperValue::Bool(_)) => None,
            (HyperType::Choice(words), HyperValue::Str(v)) => {
                if words.contains(v) {
                    return Ok(());
                }
                return Err(self.invalid(
                    &spec.name,
                    format!("must be one of {}, got {v:?}", words.join(", ")),
                ));
            }
            _ => {
                return Err(ModelError::HyperType {
                    algorithm: self.algorithm,
                    name: spec.name.clone(),
                    expected: spec.ty.to_string(),
                    found: value.clone(),
                })
            }
        };
        let Some(v) = number else {
            return Ok(());
        };
        if !v.is_finite() {
            return Err(self.invalid(&spec.name, format!("must be a finite number, got {v}")));
        }
        if let Some(bound) = &spec.min {
            let within = v > bound.value || (bound.inclusive && v == bound.value);
            if !within {
                let op = if bound.inclusive { ">=" } else { ">" };
                return Err(self.invalid(
                    &spec.name,
                    format!("must be {op} {}, got {value}", bound.value),
                ));
            }
        }
        Ok(())
    }

    pub(super) fn invalid(&self, name: &str, message: String) -> ModelError {
        ModelError::HyperValue {
            algorithm: self.algorithm,
            name: name.to_string(),
            message,
        }
    }

    /// The value set in the model, or else the catalogue's default.
    fn get(&self, name: &str) -> Result<Setting<'_>, ModelError> {
        if let Some(value) = self.hyper.0.get(name) {
            return Ok(Setting::Given(value));
        }
        match self.specs.iter().find(|s| s.name == name) {
            Some(spec) => Ok(Setting::Default(&spec.default)),
            None => Err(self.catalogue_bug(name)),
        }
    }

    fn catalogue_bug(&self, name: &str) -> ModelError {
        ModelError::Training {
            algorithm: self.algorithm,
            message: format!(
                "the built-in catalogue does not describe `{name}` as this trainer reads it"
            ),
        }
    }

    pub(super) fn float(&self, name: &str) -> Result<f64, ModelError> {
        match self.get(name)? {
            Setting::Given(HyperValue::Float(v)) => Ok(*v),
            Setting::Given(HyperValue::Int(v)) => Ok(*v as f64),
            Setting::Default(HyperDefault::Float(v)) => Ok(*v),
            Setting::Default(HyperDefault::Int(v)) => Ok(*v as f64),
            _ => Err(self.catalogue_bug(name)),
        }
    }

    /// A non-negative int (the bounds of every count are `>= 1` or more),
    /// or `None` when unlimited.
    pub(super) fn limit(&self, name: &str) -> Result<Option<usize>, ModelError> {
        let v = match self.get(name)? {
            Setting::Given(HyperValue::Int(v)) | Setting::Default(HyperDefault::Int(v)) => *v,
            Setting::Default(HyperDefault::Unlimited) => return Ok(None),
            _ => return Err(self.catalogue_bug(name)),
        };
        usize::try_from(v)
            .map(Some)
            .map_err(|_| self.invalid(name, format!("must not be negative, got {v}")))
    }

    pub(super) fn count(&self, name: &str) -> Result<usize, ModelError> {
        self.limit(name)?.ok_or_else(|| self.catalogue_bug(name))
    }

    pub(super) fn bool(&self, name: &str) -> Result<bool, ModelError> {
        match self.get(name)? {
            Setting::Given(HyperValue::Bool(v)) | Setting::Default(HyperDefault::Bool(v)) => Ok(*v),
            _ => Err(self.catalogue_bug(name)),
        }
    }

    pub(super) fn choice(&self, name: &str) -> Result<&str, ModelError> {
        match self.get(name)? {
            Setting::Given(HyperValue::Str(v)) | Setting::Default(HyperDefault::Word(v)) => Ok(v),
            _ => Err(self.catalogue_bug(name)),
        }
    }

    /// A seed: the model's own, or the seed of the split it trains on.
    pub(super) fn seed(&self, name: &str, split_seed: u64) -> Result<u64, ModelError> {
        match self.get(name)? {
            Setting::Given(HyperValue::Int(v)) | Setting::Default(HyperDefault::Int(v)) => {
                u64::try_from(*v)
                    .map_err(|_| self.invalid(name, format!("must not be negative, got {v}")))
            }
            Setting::Default(HyperDefault::SplitSeed) => Ok(split_seed),
            _ => Err(self.catalogue_bug(name)),
        }
    }
}

enum Setting<'a> {
    Given(&'a HyperValue),
    Default(&'a HyperDefault),
}
