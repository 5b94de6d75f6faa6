//! Hyper-parameter search: a `hyper { }` value written as a list or a
//! range of candidates, and the `search { }` block of a model that says how
//! they are compared (cross-validation on the training table).

use super::catalog::{HyperSpec, HyperType};
use super::program::*;
use super::types::{ModelKind, Value};
use super::Checker;
use crate::diagnostics::{codes, Diagnostic};
use crate::resolve::BlockId;
use crate::source::FileId;
use crate::syntax::ast::{self, ExprKind};
use std::collections::BTreeMap;

/// The most candidates one hyper-parameter may list or span: a search is
/// trained once per candidate combination and fold.
const MAX_CANDIDATES: i64 = 1000;

/// Folds of a `search { }` that does not say how many (scikit-learn's).
const SEARCH_FOLDS: usize = 5;

impl<'r> Checker<'r> {
    /// The candidates of a hyper-parameter written `[a, b, ...]` or
    /// `lo..hi` (an int one: every int from `lo` to `hi`), each checked as
    /// the single value would be; `None` for a single value.
    pub(super) fn hyper_candidates(
        &mut self,
        block: BlockId,
        file: FileId,
        f: &ast::Field,
        spec: &HyperSpec,
    ) -> Option<Option<Vec<Value>>> {
        match &f.value.kind {
            ExprKind::List(items) => {
                if items.is_empty() {
                    self.diags.push(
                        Diagnostic::error(
                            codes::HYPER_SEARCH,
                            format!("`{}` lists no value", spec.name),
                        )
                        .with_label(file, f.value.span, "no candidate")
                        .with_help("list the values to try, `[0.1, 1.0]`, or write one value"),
                    );
                    return Some(None);
                }
                let mut values = Vec::with_capacity(items.len());
                let mut ok = true;
                for item in items {
                    match self.hyper_value(block, file, item, spec) {
                        Some(v) if !values.contains(&v) => values.push(v),
                        Some(_) => {}
                        None => ok = false,
                    }
                }
                Some(ok.then_some(values))
            }
            ExprKind::Range { lo, hi } => {
                if spec.ty != HyperType::Int {
                    self.diags.push(
                        Diagnostic::error(
                            codes::HYPER_SEARCH,
                            format!("`{}` is a {}: a range spans ints only", spec.name, spec.ty),
                        )
                        .with_label(file, f.value.span, "not an int hyper-parameter")
                        .with_help("list the values to try, e.g. `[0.01, 0.1, 1.0]`"),
                    );
                    return Some(None);
                }
                let (Some(Value::Int(a)), Some(Value::Int(b))) = (
                    self.hyper_value(block, file, lo, spec),
                    self.hyper_value(block, file, hi, spec),
                ) else {
                    return Some(None);
                };
                if a > b || b - a >= MAX_CANDIDATES {
                    let why = if a > b {
                        format!("the range {a}..{b} is empty")
                    } else {
                        format!("the range {a}..{b} holds more than {MAX_CANDIDATES} values")
                    };
                    self.diags.push(
                        Diagnostic::error(codes::HYPER_SEARCH, format!("`{}`: {why}", spec.name))
                            .with_label(file, f.value.span, "not a usable range")
                            .with_help(
                                "write `lo..hi` with lo <= hi, both included: `max_depth = 2..8`",
                            ),
                    );
                    return Some(None);
                }
                Some(Some((a..=b).map(Value::Int).collect()))
            }
            _ => None,
        }
    }

    /// The `search { }` of the model at `index` in the program, whose
    /// candidates are `space`, once the model is checked: how its
    /// candidates are compared.
    pub(super) fn search(
        &mut self,
        block: BlockId,
        file: FileId,
        m: &ast::ModelDecl,
        fields: &BTreeMap<String, Value>,
        index: usize,
        space: BTreeMap<String, (Vec<Value>, crate::source::Span)>,
    ) -> Option<SearchInfo> {
        let n = match (m.body.nested("search"), space.iter().next()) {
            (None, None) => return None,
            (None, Some((name, (_, span)))) => {
                self.diags.push(
                    Diagnostic::error(
                        codes::HYPER_SEARCH,
                        format!("`{name}` lists candidates, but model `{}` has no `search {{ }}`", m.name.name),
                    )
                    .with_label(file, *span, "candidates")
                    .with_help("add `search { folds = 5 }` to the model to choose among them by cross-validation, or write one value"),
                );
                return None;
            }
            (Some(n), None) => {
                self.diags.push(
                    Diagnostic::error(
                        codes::HYPER_SEARCH,
                        format!("the search of `{}` has nothing to choose", m.name.name),
                    )
                    .with_label(file, n.name.span, "no candidates")
                    .with_help("write a hyper-parameter as a list or a range: `hyper { l2 = [0.01, 0.1, 1.0] }`"),
                );
                return None;
            }
            (Some(n), Some(_)) => n,
        };
        let BlockInfo::Model(info) = &self.program.blocks[index].info else {
            return None;
        };
        let (kind, data, name) = (
            info.model_kind,
            info.data.clone(),
            self.program.blocks[index].name.clone(),
        );
        if kind == Some(ModelKind::Clusterer) {
            self.diags.push(
                Diagnostic::error(
                    codes::HYPER_SEARCH,
                    format!(
                        "`{name}` is a clusterer: a search scores predictions against a target"
                    ),
                )
                .with_label(file, n.name.span, "not for a clusterer")
                .with_help("remove `search` and choose the hyper-parameters yourself"),
            );
            return None;
        }
        let kind = kind?;
        let metric = match n.body.field("metric") {
            None => match kind {
                // What scikit-learn's `score` is for each kind.
                ModelKind::Classifier => "accuracy".to_string(),
                _ => "r2".to_string(),
            },
            Some(f) => {
                let ExprKind::Name(id) = &f.value.kind else {
                    self.diags.push(
                        Diagnostic::error(codes::TYPE_MISMATCH, "`metric` takes a metric name")
                            .with_label(file, f.value.span, "not a metric name")
                            .with_help("write `metric = f1_macro`"),
                    );
                    return None;
                };
                if !self.metric_fits(file, id, Some(block), &name) {
                    return None;
                }
                let scalar = self
                    .catalog
                    .metric(&id.name)
                    .is_some_and(|m| m.scalar && !m.needs_groups);
                if !scalar {
                    self.diags.push(
                        Diagnostic::error(
                            codes::HYPER_SEARCH,
                            format!("`{}` is not one number per fold: a search cannot rank by it", id.name),
                        )
                        .with_label(file, id.span, "not a scalar metric")
                        .with_help("rank by a scalar metric such as accuracy, f1_macro, roc_auc, rmse or r2"),
                    );
                    return None;
                }
                id.name.clone()
            }
        };
        let higher_is_better = self.catalog.metric(&metric)?.higher_is_better;
        let (rows_of, refit) = self.program.cv_rows(data.as_ref()?)?;
        let stratify = match n.body.field("stratify") {
            None => None,
            Some(f) => Some(self.cv_stratify(block, file, f, &rows_of)?),
        };
        let int = |key: &str| match fields.get(key) {
            Some(Value::Int(i)) => Some(Some(*i)),
            None if n.body.field(key.trim_start_matches("search.")).is_some() => None,
            _ => Some(None),
        };
        let folds = int("search.folds")?.map_or(Some(SEARCH_FOLDS), |k| usize::try_from(k).ok())?;
        let seed = int("search.seed")?.unwrap_or(0);
        let trials = match int("search.trials")? {
            Some(t) => Some(usize::try_from(t).ok()?),
            None => None,
        };
        Some(SearchInfo {
            cv: CvInfo {
                folds,
                seed,
                stratify,
                rows_of,
                refit,
            },
            metric,
            higher_is_better,
            trials,
            space: space.into_iter().map(|(k, (v, _))| (k, v)).collect(),
        })
    }
}
