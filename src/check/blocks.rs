//! The fields each block kind accepts, and the checks of sources,
//! transforms, splits, models, evaluations and deployments.

use super::expr::{Removed, Scope};
use super::ops::StepCtx;
use super::program::*;
use super::types::{Column, ColumnType, ModelKind, Schema, Tags, Value};
use super::values::Expect;
use super::{Checker, TableFacts};
use crate::diagnostics::{codes, did_you_mean, Diagnostic};
use crate::resolve::BlockId;
use crate::source::{FileId, Span};
use crate::syntax::ast::{self, ExprKind};
use std::collections::BTreeMap;
use std::rc::Rc;

type Spec = (&'static str, Expect, bool);

const INT_POS: Expect = Expect::Int {
    min: 1,
    max: i64::MAX,
};

const PIPELINE: &[Spec] = &[
    ("version", Expect::Str, false),
    ("owner", Expect::Str, false),
    (
        "risk",
        Expect::Choice(&["minimal", "limited", "high", "unacceptable"]),
        false,
    ),
    ("description", Expect::Str, false),
    ("retrain", Expect::Cron, false),
    // Documentation an auditor reads (EU AI Act Art. 11 and Annex IV).
    ("provider", Expect::Str, false),
    ("intended_use", Expect::Str, false),
    ("limitations", Expect::Str, false),
    ("residual_risks", Expect::Str, false),
];
const SOURCE: &[Spec] = &[
    ("path", Expect::Str, true),
    ("delimiter", Expect::Str, false),
    ("header", Expect::Bool, false),
    ("null_values", Expect::StrList, false),
    ("on_bad_rows", Expect::Choice(&["error", "drop"]), false),
    // Where the data comes from and what it was collected for (Art. 10(2)).
    ("origin", Expect::Str, false),
    ("purpose", Expect::Str, false),
];
const SPLIT: &[Spec] = &[
    ("train", Expect::Fraction, true),
    ("test", Expect::Fraction, true),
    ("validation", Expect::Fraction, false),
    ("seed", Expect::ANY_INT, false),
    ("stratify", Expect::Special, false),
    ("by", Expect::Special, false),
    ("group", Expect::Special, false),
    ("order_by", Expect::Special, false),
];

/// The parts a split may have, in the order a time-ordered split lays
/// them out.
pub(super) const SPLIT_PARTS: [&str; 3] = ["train", "validation", "test"];
const MODEL: &[Spec] = &[
    ("data", Expect::Special, true),
    ("target", Expect::Special, false),
    ("features", Expect::Special, false),
    ("positive", Expect::Str, false),
    (
        "search.folds",
        Expect::Int {
            min: 2,
            max: i64::MAX,
        },
        false,
    ),
    ("search.seed", Expect::ANY_INT, false),
    ("search.trials", INT_POS, false),
    ("search.metric", Expect::Special, false),
    ("search.stratify", Expect::Special, false),
];
// Neither is required: without `metrics`, the default metrics are computed.
const EVALUATE: &[Spec] = &[
    ("metrics", Expect::Special, false),
    ("groups", Expect::Special, false),
    (
        "cv.folds",
        Expect::Int {
            min: 2,
            max: i64::MAX,
        },
        false,
    ),
    ("cv.seed", Expect::ANY_INT, false),
    ("cv.stratify", Expect::Special, false),
];

/// Folds of a `cv { }` that does not say how many: scikit-learn's default.
const CV_FOLDS: usize = 5;
const POLICY: &[Spec] = &[(
    "severity",
    Expect::Choice(&["error", "warning", "info"]),
    false,
)];
const DEPLOY: &[Spec] = &[
    ("model", Expect::Special, false),
    ("image", Expect::Str, false),
    ("namespace", Expect::Str, false),
    ("replicas", INT_POS, false),
    ("port", Expect::Int { min: 1, max: 65535 }, false),
    ("gates", Expect::Special, false),
    ("resources.cpu", Expect::Quantity, false),
    ("resources.memory", Expect::Quantity, false),
    ("limits.cpu", Expect::Quantity, false),
    ("limits.memory", Expect::Quantity, false),
    ("logging.retention", Expect::Duration, false),
    ("autoscale.min", INT_POS, false),
    ("autoscale.max", INT_POS, false),
    ("autoscale.cpu", Expect::Percent, false),
];

/// Nested blocks checked by their block's own code, not as fields.
const FREE_NESTED: &[&str] = &["expect", "monitor", "hyper", "environment"];

pub(super) fn field_specs(item: &ast::Item) -> &'static [Spec] {
    match &item.kind {
        ast::ItemKind::Pipeline(_) => PIPELINE,
        ast::ItemKind::Source(_) => SOURCE,
        ast::ItemKind::Split(_) => SPLIT,
        ast::ItemKind::Model(_) => MODEL,
        ast::ItemKind::Evaluate(_) => EVALUATE,
        ast::ItemKind::Policy(_) => POLICY,
        ast::ItemKind::Deploy(_) => DEPLOY,
        _ => &[],
    }
}

/// What may start a line of `item`'s body: its fields (a dotted field by
/// its group, `resources`), each with whether it is required, then the
/// nested blocks its kind reads.
pub fn body_words(item: &ast::Item) -> Vec<(&'static str, bool)> {
    let mut words: Vec<(&'static str, bool)> = Vec::new();
    for (name, _, required) in field_specs(item) {
        let word = name.split('.').next().unwrap_or(name);
        if !words.iter().any(|(w, _)| *w == word) {
            words.push((word, *required));
        }
    }
    let nested: &[&'static str] = match &item.kind {
        ast::ItemKind::Source(_) => &["schema", "expect"],
        ast::ItemKind::Model(_) => &["hyper"],
        ast::ItemKind::Deploy(_) => &["monitor", "environment"],
        _ => &[],
    };
    words.extend(nested.iter().map(|w| (*w, false)));
    words
}

/// A split `by` a column takes no fractions, so it needs no `train` and
/// `test`.
fn excused(item: &ast::Item, field: &str) -> bool {
    matches!(&item.kind, ast::ItemKind::Split(s) if s.body.field("by").is_some())
        && matches!(field, "train" | "test")
}

pub(super) fn field_specs_deploy() -> &'static [Spec] {
    DEPLOY
}

/// What an `evaluate` needs of its model: name, kind, training table,
/// features and target.
type TrainedModel = (
    String,
    Option<ModelKind>,
    Option<TableRef>,
    Vec<String>,
    Option<String>,
);

/// Step arguments on one line, however they were laid out: words joined by
/// one space, no space inside the parentheses.
fn one_line(args: &str) -> String {
    let mut out = String::with_capacity(args.len());
    for (i, word) in args.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
    // Checked first: most steps need none of these, and each costs a copy.
    for (from, to) in [("( ", "("), (", )", ")"), (" )", ")")] {
        if out.contains(from) {
            out = out.replace(from, to);
        }
    }
    out
}

fn block_word(item: &ast::Item) -> &'static str {
    item.keyword().map_or("block", |k| k.as_str())
}

impl<'r> Checker<'r> {
    /// Checks the fields of a body against the block kind's specs: unknown
    /// and missing fields, and the value of every field with a constant
    /// type. Returns the constant values, `--env` overrides applied.
    pub(super) fn fields(
        &mut self,
        block: BlockId,
        body: &'r ast::Body,
        item: &ast::Item,
    ) -> BTreeMap<String, Value> {
        let module = block.module;
        let file = self.file(module);
        let specs = field_specs(item);
        let mut written: Vec<(String, &'r ast::Expr, Span)> = Vec::new();
        for entry in &body.entries {
            match entry {
                ast::Entry::Field(f) => written.push((f.path.dotted(), &f.value, f.path.span)),
                ast::Entry::Nested(n) if FREE_NESTED.contains(&n.name.name.as_str()) => {}
                ast::Entry::Nested(n) => {
                    let is_group = specs.iter().any(|(s, _, _)| {
                        s.strip_prefix(n.name.name.as_str())
                            .is_some_and(|rest| rest.starts_with('.'))
                    });
                    if !is_group {
                        self.unknown_field(file, &n.name.name, n.name.span, specs, item);
                        continue;
                    }
                    for f in n.body.fields() {
                        written.push((
                            format!("{}.{}", n.name.name, f.path.dotted()),
                            &f.value,
                            f.path.span,
                        ));
                    }
                }
                ast::Entry::Expr(e) => self.waiver(file, e, item),
                _ => {}
            }
        }
        let mut values = BTreeMap::new();
        for (name, value, span) in &written {
            let Some(&(_, expect, _)) = specs.iter().find(|(s, _, _)| s == name) else {
                self.unknown_field(file, name, *span, specs, item);
                continue;
            };
            if expect == Expect::Special {
                continue;
            }
            let overridden = if self.overrides.is_empty() {
                None
            } else {
                self.overrides.get(&(block, name.clone())).copied()
            };
            let checked = self.value(module, file, value, expect);
            let result = match overridden {
                Some((o, ofile)) => self.value(0, ofile, o, expect),
                None => checked,
            };
            if let Some(v) = result {
                values.insert(name.clone(), v);
            }
        }
        let overrides: Vec<_> = self
            .overrides
            .iter()
            .filter(|((b, name), _)| *b == block && !values.contains_key(name))
            .map(|((_, name), &value)| (name.clone(), value))
            .collect();
        for (name, (o, ofile)) in overrides {
            if let Some(&(_, expect, _)) = specs.iter().find(|(s, _, _)| *s == name) {
                if let Some(v) = self.value(0, ofile, o, expect) {
                    values.insert(name, v);
                }
            }
        }
        for (name, expect, required) in specs {
            if *required && !written.iter().any(|(n, _, _)| n == name) && !excused(item, name) {
                let at = item.name().map_or(item.span, |n| n.span);
                let mut d = Diagnostic::error(
                    codes::MISSING_FIELD,
                    format!(
                        "{} `{}` is missing the field `{name}`",
                        block_word(item),
                        item.name().map_or("", |n| n.name.as_str())
                    ),
                )
                .with_label(file, at, format!("needs `{name}`"))
                .with_help(format!("add `{name} = ...` to the block"));
                // A nested field (`resources.cpu`) would need its group: no
                // single insertion writes it.
                if let (Some(value), false) = (expect.placeholder(), name.contains('.')) {
                    // Right after the `{`: on a line of its own when the
                    // body spans lines, else before the first entry.
                    let after = body.span.start + 1;
                    let multiline = self.text_ref(block, body.span).starts_with("{\n");
                    let text = if multiline {
                        format!("\n  {name} = {value}")
                    } else {
                        format!(" {name} = {value},")
                    };
                    d = d.with_suggestion(file, Span::new(after as usize, after as usize), text);
                }
                self.diags.push(d);
            }
        }
        values
    }

    fn unknown_field(
        &mut self,
        file: FileId,
        name: &str,
        span: Span,
        specs: &[Spec],
        item: &ast::Item,
    ) {
        let mut names: Vec<&str> = specs.iter().map(|(n, _, _)| *n).collect();
        let groups: Vec<&str> = names
            .iter()
            .filter_map(|n| n.split_once('.').map(|(g, _)| g))
            .collect();
        names.extend(groups);
        let mut d = Diagnostic::error(
            codes::UNKNOWN_FIELD,
            format!("a {} has no field `{name}`", block_word(item)),
        )
        .with_label(file, span, "unknown field");
        d = match did_you_mean(name, names.iter().copied()) {
            Some(s) => d.with_correction(file, span, s),
            None => {
                names.sort_unstable();
                names.dedup();
                d.with_help(format!(
                    "the fields of a {} are: {}",
                    block_word(item),
                    names.join(", ")
                ))
            }
        };
        self.diags.push(d);
    }

    /// The word after `:` of a source (its format) or a deployment (its
    /// target) must be one of `words`.
    fn known_word(
        &mut self,
        file: FileId,
        word: &ast::Ident,
        words: &[&str],
        block: &str,
        what: &str,
    ) {
        if words.contains(&word.name.as_str()) {
            return;
        }
        let d = Diagnostic::error(
            codes::INVALID_CHOICE,
            format!("`{}` is not a {block} {what}", word.name),
        )
        .with_label(file, word.span, format!("unknown {what}"));
        let d = match did_you_mean(&word.name, words.iter().copied()) {
            Some(s) => d.with_correction(file, word.span, s),
            None => d.with_help(format!("the {what}s are: {}", words.join(", "))),
        };
        self.diags.push(d);
    }

    pub(super) fn source(
        &mut self,
        block: BlockId,
        file: FileId,
        item: &'r ast::Item,
        s: &'r ast::SourceDecl,
    ) {
        let fields = self.fields(block, &s.body, item);
        self.known_word(
            file,
            &s.format,
            &["csv", "parquet", "jsonl"],
            "source",
            "format",
        );
        if s.format.name != "csv" {
            for f in s
                .body
                .fields()
                .filter(|f| matches!(f.path.dotted().as_str(), "delimiter" | "header"))
            {
                self.diags.push(
                    Diagnostic::error(
                        codes::UNKNOWN_FIELD,
                        format!("`{}` only applies to csv sources", f.path.dotted()),
                    )
                    .with_label(
                        file,
                        f.path.span,
                        format!("not a field of a {} source", s.format.name),
                    )
                    .with_help("remove it"),
                );
            }
        }
        if let (Some(Value::Str(d)), Some(f)) = (fields.get("delimiter"), s.body.field("delimiter"))
        {
            let one_byte =
                d.len() == 1 && d.is_ascii() && !matches!(d.as_str(), "\n" | "\r" | "\"");
            if !one_byte {
                self.diags.push(
                    Diagnostic::error(
                        codes::OUT_OF_RANGE,
                        format!("the delimiter {d:?} is not one ASCII character"),
                    )
                    .with_label(file, f.value.span, "not a single-byte separator")
                    .with_help("csv fields are separated by one ASCII character: \",\", \";\", \"\\t\", \"|\""),
                );
            }
        }
        let mut schema = Schema::default();
        match s.body.schema() {
            None => {
                let at = s.name.span;
                self.diags.push(
                    Diagnostic::error(
                        codes::MISSING_FIELD,
                        format!("source `{}` has no schema", s.name.name),
                    )
                    .with_label(file, at, "needs `schema { ... }`")
                    .with_help("declare its columns: `schema { id: int @id, income: float? }`"),
                );
            }
            Some(block_schema) => {
                for col in &block_schema.columns {
                    let ty = match &col.ty.kind {
                        ast::TypeKind::Named(n) => match ColumnType::from_name(&n.name) {
                            Some(t) => t,
                            None => {
                                self.unknown_type(file, &col.ty, &ColumnType::NAMES);
                                continue;
                            }
                        },
                        ast::TypeKind::Enum(variants) => {
                            ColumnType::Enum(variants.iter().map(|v| v.value.clone()).collect())
                        }
                        ast::TypeKind::List(_) => {
                            self.unknown_type(file, &col.ty, &ColumnType::NAMES);
                            continue;
                        }
                    };
                    if schema.get(&col.name.name).is_some() {
                        self.diags.push(
                            Diagnostic::error(
                                codes::DUPLICATE_COLUMN,
                                format!("the column `{}` is declared twice", col.name.name),
                            )
                            .with_label(file, col.name.span, "declared again")
                            .with_help("give each column one line"),
                        );
                        continue;
                    }
                    let tags: Tags = col.tags.iter().map(|t| t.name.as_str()).collect();
                    schema.columns.push(Column::new(
                        col.name.name.clone(),
                        ty,
                        col.ty.nullable,
                        tags,
                    ));
                }
            }
        }
        let mut expect = Vec::new();
        if let Some(n) = s.body.nested("expect") {
            let removed = Removed::new();
            for entry in &n.body.entries {
                let ast::Entry::Expr(e) = entry else {
                    self.diags.push(
                        Diagnostic::error(codes::EXPRESSION_TYPE, "an expectation is a condition")
                            .with_label(file, entry.span(), "not a condition")
                            .with_help("write conditions like `rows >= 100` or `age in 18..120`"),
                    );
                    continue;
                };
                let scope = Scope {
                    module: block.module,
                    file,
                    schema: &schema,
                    removed: &removed,
                    expectations: true,
                };
                let t = self.type_expr(&scope, e);
                if t.ty.as_ref().is_some_and(|t| *t != ColumnType::Bool) {
                    self.diags.push(
                        Diagnostic::error(
                            codes::EXPRESSION_TYPE,
                            "an expectation must be a condition",
                        )
                        .with_label(file, e.span, "not a bool")
                        .with_help("compare it: `rows >= 100`"),
                    );
                }
                expect.push(self.text(block, e.span));
            }
        }
        self.tables.insert(
            block,
            Rc::new(TableFacts {
                removed: Removed::new(),
                fitted: Vec::new(),
                is_split: false,
                parts: Vec::new(),
                split_input: None,
                held_out: None,
            }),
        );
        self.push_block(
            block,
            item,
            fields,
            BlockInfo::Source(SourceInfo {
                format: s.format.name.clone(),
                schema,
                expect,
            }),
        );
    }

    /// The source text of a span of the block's module.
    pub(super) fn text(&self, block: BlockId, span: Span) -> String {
        self.text_ref(block, span).to_string()
    }

    fn text_ref(&self, block: BlockId, span: Span) -> &'r str {
        let file = self.file(block.module);
        self.sources.get(file).text.get(span.range()).unwrap_or("")
    }

    pub(super) fn transform(
        &mut self,
        block: BlockId,
        file: FileId,
        item: &'r ast::Item,
        t: &'r ast::TransformDecl,
    ) {
        let name = self.resolved.qualified(block);
        let input_path: Vec<&ast::Ident> = t.input.segments.iter().collect();
        let input = self.table_ref(block.module, file, &input_path, t.input.span, true);
        let upstream = input.as_ref().and_then(|r| self.table_facts(r)).cloned();
        let Some(upstream) = upstream else {
            return;
        };
        let input = input.unwrap_or(TableRef {
            block: String::new(),
            part: None,
            id: None,
        });
        let mut schema = self.table_schema(input.id).clone();
        let mut removed = upstream.removed.clone();
        // A transform of a whole split fits on the `train` part and
        // transforms every part: nothing it learns leaks.
        let of_split = upstream.is_split && input.part.is_none();
        let mut fitted = if upstream.is_split {
            Vec::new()
        } else {
            upstream.fitted.clone()
        };
        let held_out = match &input.part {
            Some(part) if upstream.is_split && part != "train" => {
                Some(format!("{}.{part}", input.block))
            }
            _ if upstream.is_split => None,
            _ => upstream.held_out.clone(),
        };
        let mut steps = Vec::new();
        let mut joins = Vec::new();
        for step in &t.steps {
            let ctx = StepCtx {
                module: block.module,
                file,
                block: &name,
            };
            if step.name.name == "join" {
                if let Some(other) = step
                    .args
                    .iter()
                    .flatten()
                    .find(|a| a.name.is_none())
                    .and_then(|a| a.value.as_path())
                {
                    if let Some(target) = self.resolved.lookup(block.module, &other) {
                        let rest = other.get(target.consumed).map(|p| p.name.clone());
                        joins.push(TableRef {
                            block: self.resolved.qualified(target.block),
                            part: rest,
                            id: Some(target.block),
                        });
                    }
                }
            }
            let mut applies = None;
            let is_fitted = if step.name.name == "apply" {
                if let Some((applied, applied_joins)) =
                    self.apply_transform(&ctx, step, &mut schema, &mut removed)
                {
                    applies = Some(applied);
                    joins.extend(applied_joins);
                }
                false
            } else {
                self.apply_step(&ctx, step, &mut schema, &mut removed)
            };
            if is_fitted && !of_split {
                fitted.push((step.name.name.clone(), file, step.span));
            }
            if let (true, Some(part)) = (is_fitted, &held_out) {
                let read = match &input.part {
                    Some(p) => format!("{}.{p}", input.block),
                    None => input.block.clone(),
                };
                self.fitted_on_held_out(file, step, part, &name, &read);
            }
            let args_text = step
                .args
                .as_ref()
                .map(|_| {
                    let full = self.text_ref(block, step.span);
                    one_line(full.get(step.name.name.len()..).unwrap_or(""))
                })
                .unwrap_or_default();
            steps.push(Step {
                op: step.name.name.clone(),
                args: args_text,
                fitted: is_fitted,
                applies,
                schema: schema.clone(),
                span: step.span,
            });
        }
        self.tables.insert(
            block,
            Rc::new(TableFacts {
                removed,
                fitted,
                is_split: of_split,
                parts: if of_split {
                    upstream.parts.clone()
                } else {
                    Vec::new()
                },
                split_input: if of_split { upstream.split_input } else { None },
                held_out,
            }),
        );
        self.push_block(
            block,
            item,
            BTreeMap::new(),
            BlockInfo::Transform(TransformInfo {
                input,
                joins,
                steps,
                schema,
            }),
        );
    }

    /// The warning for a step that learns from the rows of a held-out
    /// part: what it learns comes from the rows the model is judged on.
    fn fitted_on_held_out(
        &mut self,
        file: FileId,
        step: &ast::OpCall,
        part: &str,
        transform: &str,
        input: &str,
    ) {
        let op = &step.name.name;
        let train = part.rsplit_once('.').map_or_else(
            || "train".to_string(),
            |(split, _)| format!("{split}.train"),
        );
        self.diags.push(
            Diagnostic::warning(
                codes::LEAKAGE_FIT_ON_HELD_OUT,
                format!("`{op}` learns from the rows of `{part}`, a held-out part"),
            )
            .with_label(file, step.span, format!("`{op}` is fitted here, on `{part}`"))
            .with_help(format!(
                "fit it on the training rows and apply what it learnt: `transform prepared = {train} | {op}(...)`, then `transform {transform} = {input} | apply(prepared)`"
            )),
        );
    }

    pub(super) fn split(
        &mut self,
        block: BlockId,
        file: FileId,
        item: &'r ast::Item,
        s: &'r ast::SplitDecl,
    ) {
        let fields = self.fields(block, &s.body, item);
        let input_path: Vec<&ast::Ident> = s.input.segments.iter().collect();
        let input = self.table_ref(block.module, file, &input_path, s.input.span, false);
        let upstream = input.as_ref().and_then(|r| self.table_facts(r)).cloned();
        let by_field = s.body.field("by");
        self.split_exclusions(file, s);
        let mut parts = BTreeMap::new();
        if by_field.is_none() {
            for part in SPLIT_PARTS {
                if let Some(v) = fields.get(part).and_then(Value::as_f64) {
                    parts.insert(part.to_string(), v);
                }
            }
        }
        let written = |name: &str| s.body.field(name).is_some();
        let all_valid = SPLIT_PARTS
            .iter()
            .all(|p| !written(p) || parts.contains_key(*p));
        let sum: f64 = parts.values().sum();
        if all_valid && !parts.is_empty() && (sum - 1.0).abs() > 1e-9 {
            let listed: Vec<String> = parts.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            self.diags.push(
                Diagnostic::error(
                    codes::SPLIT_SUM,
                    format!(
                        "the split fractions sum to {}, not 1",
                        (sum * 1e6).round() / 1e6
                    ),
                )
                .with_label(file, s.body.span, listed.join(" + "))
                .with_help("make train, test and validation add up to exactly 1"),
            );
        }
        let schema = match &upstream {
            Some(_) => self.table_schema(input.as_ref().and_then(|i| i.id)).clone(),
            None => Schema::default(),
        };
        let removed = upstream
            .as_ref()
            .map(|u| u.removed.clone())
            .unwrap_or_default();
        let column = |this: &mut Self, name: &str, purpose: &str| {
            let f = s.body.field(name)?;
            upstream.as_ref()?;
            let scope = Scope {
                module: block.module,
                file,
                schema: &schema,
                removed: &removed,
                expectations: false,
            };
            this.split_column(&scope, name, f, purpose)
                .map(|c| (c, f.value.span))
        };
        let categorical = |ty: &ColumnType| {
            matches!(
                ty,
                ColumnType::Bool | ColumnType::Enum(_) | ColumnType::Int | ColumnType::Str
            )
        };
        let stratify = column(self, "stratify", "to stratify on").and_then(|(col, span)| {
            self.of_kind(
                file,
                col,
                span,
                categorical,
                ("stratify on", "not a categorical column"),
                "stratify on a bool, enum, int or str column, usually the target",
            )
        });
        let by = column(self, "by", "to split by")
            .and_then(|(col, span)| self.split_by(file, span, col));
        let group = column(self, "group", "to group by").and_then(|(col, span)| {
            self.of_kind(
                file,
                col,
                span,
                categorical,
                ("group by", "not an identifier column"),
                "group by a bool, enum, int or str column that identifies the group, like a customer id",
            )
        });
        let orderable = |ty: &ColumnType| {
            matches!(
                ty,
                ColumnType::Int | ColumnType::Float | ColumnType::Datetime
            )
        };
        let order_by = column(self, "order_by", "to order by").and_then(|(col, span)| {
            let nullable = col.nullable;
            let name = self.of_kind(
                file,
                col.clone(),
                span,
                orderable,
                ("order by", "not an orderable column"),
                "order by an int, float or datetime column, like a date or a year",
            )?;
            if nullable {
                self.nullable_split_column(
                    file,
                    span,
                    &col,
                    "order by",
                    "has no place in time",
                    "one",
                );
                return None;
            }
            Some(name)
        });
        if let Some(up) = &upstream {
            for (op, ofile, span) in up.fitted.clone() {
                if !self.reported_leaks.insert((ofile, span)) {
                    continue;
                }
                self.diags.push(
                    Diagnostic::warning(codes::LEAKAGE_FIT_BEFORE_SPLIT, format!("`{op}` learns from every row before the split `{}`", s.name.name))
                        .with_label(ofile, span, format!("`{op}` is fitted here, on test rows too"))
                        .with_help(format!("move it after the split: `transform prepared = {} | {op}(...)` fits `{op}` on the training rows and applies it to every part", s.name.name)),
                );
            }
        }
        let part_names: Vec<String> = match &by {
            Some(by) => by.parts.clone(),
            None => parts.keys().cloned().collect(),
        };
        let input_ref = input.clone().unwrap_or(TableRef {
            block: String::new(),
            part: None,
            id: None,
        });
        self.tables.insert(
            block,
            Rc::new(TableFacts {
                removed,
                fitted: Vec::new(),
                is_split: true,
                parts: part_names,
                split_input: input.and_then(|i| i.id),
                held_out: None,
            }),
        );
        self.push_block(
            block,
            item,
            fields.clone(),
            BlockInfo::Split(SplitInfo {
                input: input_ref,
                parts,
                seed: match fields.get("seed") {
                    Some(Value::Int(i)) => Some(*i),
                    _ => None,
                },
                stratify,
                by,
                group,
                order_by,
                schema,
            }),
        );
    }

    /// The name of `col` when its type is one `accepts`, else a diagnostic:
    /// "cannot DOING `col`", the span labelled `label`.
    fn of_kind(
        &mut self,
        file: FileId,
        col: Column,
        span: Span,
        accepts: impl Fn(&ColumnType) -> bool,
        (doing, label): (&str, &str),
        help: &str,
    ) -> Option<String> {
        if accepts(&col.ty) {
            return Some(col.name.to_string());
        }
        self.diags.push(
            Diagnostic::error(
                codes::COLUMN_TYPE,
                format!(
                    "cannot {doing} `{}`, {} {} column",
                    col.name,
                    super::ops::article(col.ty.word()),
                    col.type_text()
                ),
            )
            .with_label(file, span, label)
            .with_help(help),
        );
        None
    }

    /// The column a split option names, or a diagnostic.
    fn split_column(
        &mut self,
        scope: &Scope,
        option: &str,
        f: &ast::Field,
        purpose: &str,
    ) -> Option<Column> {
        let ExprKind::Name(id) = &f.value.kind else {
            self.diags.push(
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!("`{option}` takes a column name"),
                )
                .with_label(scope.file, f.value.span, "not a column name")
                .with_help(format!("write `{option} = column`")),
            );
            return None;
        };
        match scope.schema.get(&id.name) {
            Some(col) => Some(col.clone()),
            None => {
                self.unknown_column(scope, id, purpose);
                None
            }
        }
    }

    /// MLP2030 for a split on a nullable column: `cannot ACTION `col`: ...
    /// a null WHY`, with the filter that removes the rows without ONE.
    fn nullable_split_column(
        &mut self,
        file: FileId,
        span: Span,
        col: &Column,
        action: &str,
        why: &str,
        one: &str,
    ) {
        self.diags.push(
            Diagnostic::error(
                codes::SPLIT_OPTIONS,
                format!("cannot {action} `{}`: it may be null, and a null {why}", col.name),
            )
            .with_label(file, span, format!("`{}` is {}", col.name, col.type_text()))
            .with_help(format!(
                "remove the rows without {one} before the split: `filter(not is_null({}))` narrows the column",
                col.name
            )),
        );
    }

    /// The parts a `by` column can name: an enum's variants, which must be
    /// part names, or `train` and `test` for a str.
    fn split_by(&mut self, file: FileId, span: Span, col: Column) -> Option<SplitBy> {
        if col.nullable {
            self.nullable_split_column(file, span, &col, "split by", "names no part", "a part");
            return None;
        }
        let parts: Vec<String> = match &col.ty {
            ColumnType::Str => vec!["test".into(), "train".into()],
            ColumnType::Enum(variants) => {
                let strangers: Vec<&String> = variants
                    .iter()
                    .filter(|v| !SPLIT_PARTS.contains(&v.as_str()))
                    .collect();
                let lacking: Vec<&str> = ["train", "test"]
                    .into_iter()
                    .filter(|p| !variants.iter().any(|v| v == p))
                    .collect();
                let what = match (strangers.first(), lacking.first()) {
                    (Some(v), _) => Some(format!(
                        "the variant `{v}` of `{}` is not a part of a split",
                        col.name
                    )),
                    (None, Some(p)) => Some(format!(
                        "`{}` has no variant `{p}`: the split would have no `{p}` part",
                        col.name
                    )),
                    (None, None) => None,
                };
                if let Some(what) = what {
                    self.diags.push(
                        Diagnostic::error(codes::SPLIT_OPTIONS, what)
                            .with_label(file, span, format!("`{}` is {}", col.name, col.type_text()))
                            .with_help("the variants of a `by` column are the parts: `train`, `test`, and optionally `validation`"),
                    );
                    return None;
                }
                let mut parts = variants.to_vec();
                parts.sort();
                parts
            }
            other => {
                self.diags.push(
                    Diagnostic::error(
                        codes::COLUMN_TYPE,
                        format!(
                            "cannot split by `{}`, {} {} column",
                            col.name,
                            super::ops::article(other.word()),
                            col.type_text()
                        ),
                    )
                    .with_label(file, span, format!("{} {} does not name a part", super::ops::article(other.word()), other.word()))
                    .with_help("split by a str column whose values are `train` and `test`, or an `enum(\"train\", \"validation\", \"test\")`; a fold number does not say which part is which: give the data such a column"),
                );
                return None;
            }
        };
        Some(SplitBy {
            column: col.name.to_string(),
            parts,
        })
    }

    /// The options a split refuses together: `by` takes its parts from a
    /// column, so it has no fractions, seed, strata, groups or order; a
    /// time-ordered split draws nothing at random.
    fn split_exclusions(&mut self, file: FileId, s: &ast::SplitDecl) {
        let exclusive: &[(&str, &[&str], &str)] = &[
            (
                "by",
                &[
                    "train",
                    "test",
                    "validation",
                    "seed",
                    "stratify",
                    "group",
                    "order_by",
                ],
                "the parts come from the column's values",
            ),
            (
                "order_by",
                &["seed", "stratify", "group"],
                "the last rows in order are the test part, nothing is drawn at random",
            ),
            (
                "group",
                &["stratify"],
                "whole groups are drawn, so the classes cannot also be balanced",
            ),
        ];
        for (option, others, why) in exclusive {
            let Some(field) = s.body.field(option) else {
                continue;
            };
            for other in *others {
                let Some(f) = s.body.field(other) else {
                    continue;
                };
                self.diags.push(
                    Diagnostic::error(
                        codes::SPLIT_OPTIONS,
                        format!("a split with `{option}` takes no `{other}`"),
                    )
                    .with_label(
                        file,
                        f.path.span,
                        format!("`{other}` does not go with `{option}`"),
                    )
                    .with_label(file, field.path.span, why.to_string())
                    .with_help(format!("remove `{other}`, or `{option}`")),
                );
            }
        }
    }

    pub(super) fn model(
        &mut self,
        block: BlockId,
        file: FileId,
        item: &'r ast::Item,
        m: &'r ast::ModelDecl,
    ) {
        let fields = self.fields(block, &m.body, item);
        let algorithm = self.catalog.algorithm(&m.algorithm.name);
        if algorithm.is_none() {
            let mut d = Diagnostic::error(
                codes::UNKNOWN_ALGORITHM,
                format!("unknown algorithm `{}`", m.algorithm.name),
            )
            .with_label(file, m.algorithm.span, "not an algorithm mlp knows");
            let names = self.catalog.algorithms.iter().map(|a| a.name.as_str());
            d = match did_you_mean(&m.algorithm.name, names) {
                Some(s) => d.with_correction(file, m.algorithm.span, s),
                None => d.with_help(format!(
                    "the algorithms are: {}",
                    self.catalog
                        .algorithms
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            };
            self.diags.push(d);
        }
        let kind = algorithm.map(|a| a.kind);
        let mut hyper = BTreeMap::new();
        let mut space = BTreeMap::new();
        // Candidates that were written but refused: reported already.
        let mut bad_candidates = false;
        if let (Some(alg), Some(h)) = (algorithm, m.body.nested("hyper")) {
            for f in h.body.fields() {
                let name = f.path.dotted();
                let Some(spec) = alg.hyper.iter().find(|s| s.name == name) else {
                    let mut d = Diagnostic::error(
                        codes::UNKNOWN_FIELD,
                        format!("`{}` has no hyper-parameter `{name}`", alg.name),
                    )
                    .with_label(file, f.path.span, "unknown hyper-parameter");
                    d = match did_you_mean(&name, alg.hyper.iter().map(|s| s.name.as_str())) {
                        Some(s) => d.with_correction(file, f.path.span, s),
                        None => d.with_help(format!(
                            "the hyper-parameters of `{}` are: {}",
                            alg.name,
                            alg.hyper
                                .iter()
                                .map(|s| s.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    };
                    self.diags.push(d);
                    continue;
                };
                match self.hyper_candidates(block, file, f, spec) {
                    Some(Some(values)) => {
                        space.insert(name, (values, f.value.span));
                    }
                    Some(None) => bad_candidates = true,
                    None => {
                        if let Some(v) = self.hyper_value(block, file, &f.value, spec) {
                            hyper.insert(name, v);
                        }
                    }
                }
            }
        }
        let data = m
            .body
            .field("data")
            .and_then(|f| self.table_ref_expr(block.module, file, &f.value));
        let facts = data.as_ref().and_then(|d| self.table_facts(d)).cloned();
        let mut info = ModelInfo {
            algorithm: m.algorithm.name.clone(),
            model_kind: kind,
            data: data.clone(),
            target: None,
            classes: None,
            features: Vec::new(),
            hyper,
            tags: Tags::new(),
            feature_tags: Tags::new(),
            positive: None,
            search: None,
        };
        let Some(facts) = facts else {
            self.models.insert(block, self.program.blocks.len());
            self.push_block(block, item, fields, BlockInfo::Model(info));
            return;
        };
        // A copy: the table's schema lives in `self.program`, which the
        // checks below extend.
        let schema = &self.table_schema(data.as_ref().and_then(|d| d.id)).clone();
        let scope = Scope {
            module: block.module,
            file,
            schema,
            removed: &facts.removed,
            expectations: false,
        };
        // Target.
        let target_field = m.body.field("target");
        let target_col: Option<Column> = match target_field.map(|f| &f.value.kind) {
            Some(ExprKind::Name(id)) => match schema.get(&id.name) {
                Some(c) => Some(c.clone()),
                None => {
                    self.unknown_column(&scope, id, "in the training table");
                    None
                }
            },
            Some(_) => {
                if let Some(f) = target_field {
                    self.diags.push(
                        Diagnostic::error(codes::TYPE_MISMATCH, "`target` takes a column name")
                            .with_label(file, f.value.span, "not a column name")
                            .with_help("write `target = status`"),
                    );
                }
                None
            }
            None => None,
        };
        if let (Some(alg), Some(kind)) = (algorithm, kind) {
            match (kind, target_field, &target_col) {
                (ModelKind::Clusterer, Some(f), _) => self.diags.push(
                    Diagnostic::error(
                        codes::TARGET_MISMATCH,
                        format!("`{}` is a clusterer: it has no target", alg.name),
                    )
                    .with_label(file, f.path.span, "a clusterer learns without a target")
                    .with_help("remove `target`, or use a classifier or a regressor"),
                ),
                (ModelKind::Classifier | ModelKind::Regressor, None, _) => self.diags.push(
                    Diagnostic::error(
                        codes::MISSING_FIELD,
                        format!("model `{}` is missing the field `target`", m.name.name),
                    )
                    .with_label(file, m.name.span, "needs `target`")
                    .with_help(format!(
                        "`{}` is a {}: name the column it predicts, `target = ...`",
                        alg.name,
                        kind.as_str()
                    )),
                ),
                (_, Some(f), Some(col)) => self.check_target(file, f, col, alg, &mut info),
                _ => {}
            }
        }
        if let Some(col) = &target_col {
            info.target = Some(col.name.to_string());
            info.tags.extend(&col.tags);
        }
        // Features.
        let target_name = target_col.as_ref().map(|c| c.name.clone());
        let mut features: Vec<(String, Span)> = Vec::new();
        let features_field = m.body.field("features");
        let default_span = features_field.map_or(m.name.span, |f| f.value.span);
        // Identifiers and the target are never implicit features.
        let all_but = |excluded: &[String]| -> Vec<(String, Span)> {
            schema
                .columns
                .iter()
                .filter(|c| {
                    Some(&*c.name) != target_name.as_deref()
                        && !excluded.iter().any(|e| **e == *c.name)
                })
                .filter(|c| !(c.tags.contains("id") || c.tags.contains("target")))
                .map(|c| (c.name.to_string(), default_span))
                .collect()
        };
        match features_field.map(|f| &f.value.kind) {
            None => features = all_but(&[]),
            Some(ExprKind::List(items)) => {
                for i in items {
                    match &i.kind {
                        ExprKind::Name(id) if schema.get(&id.name).is_some() => {
                            features.push((id.name.clone(), id.span))
                        }
                        ExprKind::Name(id) => {
                            self.unknown_column(&scope, id, "in the training table")
                        }
                        _ => self.diags.push(
                            Diagnostic::error(codes::TYPE_MISMATCH, "a feature is a column name")
                                .with_label(file, i.span, "not a column name")
                                .with_help("write `features = [age, ratio]`"),
                        ),
                    }
                }
            }
            Some(ExprKind::Call { callee, args }) if matches!(&callee.kind, ExprKind::Name(n) if n.name == "all_except") =>
            {
                let mut excluded = Vec::new();
                for a in args {
                    match &a.value.kind {
                        ExprKind::Name(id) if schema.get(&id.name).is_some() => {
                            excluded.push(id.name.clone())
                        }
                        ExprKind::Name(id) => {
                            self.unknown_column(&scope, id, "in the training table")
                        }
                        _ => self.diags.push(
                            Diagnostic::error(
                                codes::TYPE_MISMATCH,
                                "`all_except` takes column names",
                            )
                            .with_label(file, a.value.span, "not a column name")
                            .with_help("write `all_except(id, status)`"),
                        ),
                    }
                }
                features = all_but(&excluded);
            }
            Some(_) => {
                if let Some(f) = features_field {
                    self.diags.push(Diagnostic::error(codes::TYPE_MISMATCH, "`features` is a list of columns or `all_except(...)`").with_label(file, f.value.span, "not a feature list").with_help("write `features = [age, ratio]` or `features = all_except(id, status)`"));
                }
            }
        }
        for (name, span) in &features {
            let Some(col) = schema.get(name) else {
                continue;
            };
            if Some(name.as_str()) == target_name.as_deref() {
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_FEATURE,
                        format!("the target `{name}` is also a feature"),
                    )
                    .with_label(file, *span, "the model would see the answer")
                    .with_help(format!("remove `{name}` from the features")),
                );
                continue;
            }
            let problem = match &col.ty {
                ColumnType::Enum(_) => Some(format!("column `{name}` is an enum: add `one_hot({name})` to the transform")),
                ColumnType::Str => Some(format!("column `{name}` is text (str): drop it, or derive a numeric column from it")),
                ColumnType::Datetime => Some(format!("column `{name}` is a datetime: derive numbers from it, e.g. `derive({name}_year = year({name}))`")),
                _ if col.nullable => Some(format!("column `{name}` is nullable: add `impute({name}, strategy = median)` to the transform")),
                _ => None,
            };
            if let Some(help) = problem {
                let what = if col.nullable && col.ty.is_numeric() {
                    "may be null"
                } else {
                    "is not numeric"
                };
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_FEATURE,
                        format!("feature `{name}` {what} ({})", col.type_text()),
                    )
                    .with_label(file, *span, format!("`{name}` is {}", col.type_text()))
                    .with_help(help),
                );
            }
            info.feature_tags.extend(&col.tags);
            info.tags.extend(&col.tags);
        }
        info.features = features.into_iter().map(|(n, _)| n).collect();
        self.positive_class(file, &m.body, &fields, &mut info);
        let index = self.program.blocks.len();
        self.models.insert(block, index);
        self.push_block(block, item, fields.clone(), BlockInfo::Model(info));
        // Once the model is in the program: its metric is checked against it.
        let search = match bad_candidates {
            true => None,
            false => self.search(block, file, m, &fields, index, space),
        };
        if let BlockInfo::Model(info) = &mut self.program.blocks[index].info {
            info.search = search;
        }
    }

    fn check_target(
        &mut self,
        file: FileId,
        f: &ast::Field,
        col: &Column,
        alg: &super::catalog::Algorithm,
        info: &mut ModelInfo,
    ) {
        let span = f.value.span;
        if col.nullable {
            self.diags.push(
                Diagnostic::error(
                    codes::TARGET_MISMATCH,
                    format!(
                        "the target `{}` may be null ({})",
                        col.name,
                        col.type_text()
                    ),
                )
                .with_label(file, span, "nullable target")
                .with_help(format!(
                    "drop rows without a label first: `filter(not is_null({}))`",
                    col.name
                )),
            );
        }
        let classes = match &col.ty {
            ColumnType::Bool => Some(vec!["false".to_string(), "true".to_string()]),
            ColumnType::Enum(v) => Some(v.to_vec()),
            _ => None,
        };
        let fits = matches!(
            (alg.kind, &col.ty),
            (
                ModelKind::Classifier,
                ColumnType::Bool | ColumnType::Enum(_)
            ) | (ModelKind::Regressor, ColumnType::Int | ColumnType::Float)
        );
        if !fits {
            let help = match alg.kind {
                ModelKind::Classifier => "a classifier predicts a bool or enum column: use a regressor such as `linear_regression` for a number".to_string(),
                _ => "a regressor predicts a number: use a classifier such as `logistic_regression` for a bool or enum target".to_string(),
            };
            self.diags.push(
                Diagnostic::error(
                    codes::TARGET_MISMATCH,
                    format!(
                        "`{}` is a {}, but the target `{}` is {}",
                        alg.name,
                        alg.kind.as_str(),
                        col.name,
                        col.type_text()
                    ),
                )
                .with_label(file, span, format!("a {} target", col.ty.word()))
                .with_help(help),
            );
            return;
        }
        if alg.binary_only {
            if let ColumnType::Enum(v) = &col.ty {
                if v.len() > 2 {
                    self.diags.push(
                        Diagnostic::error(codes::TARGET_MISMATCH, format!("`{}` separates two classes, the target `{}` has {}", alg.name, col.name, v.len()))
                            .with_label(file, span, format!("{} classes", v.len()))
                            .with_help("use a multiclass classifier such as `logistic_regression` or `decision_tree`"),
                    );
                }
            }
        }
        if alg.kind == ModelKind::Classifier {
            info.classes = classes;
        }
    }

    /// A hyper-parameter's value (or one of its candidates), checked
    /// against the catalogue's type and bound.
    pub(super) fn hyper_value(
        &mut self,
        block: BlockId,
        file: FileId,
        value: &ast::Expr,
        spec: &super::catalog::HyperSpec,
    ) -> Option<Value> {
        use super::catalog::HyperType;
        let (min_i, min_f) = match &spec.min {
            Some(b) if b.inclusive => (b.value.ceil() as i64, b.value),
            Some(b) => (
                b.value.floor() as i64 + 1,
                b.value + f64::EPSILON.max(b.value.abs() * 1e-12),
            ),
            None => (i64::MIN, f64::NEG_INFINITY),
        };
        let expect = match &spec.ty {
            HyperType::Int => Expect::Int {
                min: min_i,
                max: i64::MAX,
            },
            HyperType::Float => Expect::Float {
                min: min_f,
                max: f64::INFINITY,
            },
            HyperType::Bool => Expect::Bool,
            HyperType::Choice(words) => {
                let word = match &value.kind {
                    ExprKind::Name(n) => n.name.clone(),
                    ExprKind::Str(s) => s.clone(),
                    _ => String::new(),
                };
                if words.contains(&word) {
                    return Some(Value::Str(word));
                }
                let mut d = Diagnostic::error(
                    codes::INVALID_CHOICE,
                    format!("`{word}` is not a value of `{}`", spec.name),
                )
                .with_label(file, value.span, "not allowed");
                d = match did_you_mean(&word, words.iter().map(String::as_str)) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!("use one of: {}", words.join(", "))),
                };
                self.diags.push(d);
                return None;
            }
        };
        let v = self.value(block.module, file, value, expect)?;
        Some(match (&spec.ty, v) {
            (HyperType::Float, Value::Int(i)) => Value::Float(i as f64),
            (_, v) => v,
        })
    }

    pub(super) fn evaluate(
        &mut self,
        block: BlockId,
        file: FileId,
        item: &'r ast::Item,
        e: &'r ast::EvaluateDecl,
    ) {
        let fields = match &e.body {
            Some(body) => self.fields(block, body, item),
            None => BTreeMap::new(),
        };
        let model_path: Vec<&ast::Ident> = e.model.segments.iter().collect();
        let mut model_info: Option<TrainedModel> = None;
        let mut model_block = None;
        if let Some(target) = self.resolved.lookup(block.module, &model_path) {
            let name = self.resolved.qualified(target.block);
            match self
                .models
                .get(&target.block)
                .and_then(|&i| match &self.program.blocks[i].info {
                    BlockInfo::Model(m) => Some(m),
                    _ => None,
                }) {
                Some(m) => {
                    model_block = Some(target.block);
                    model_info = Some((
                        name,
                        m.model_kind,
                        m.data.clone(),
                        m.features.clone(),
                        m.target.clone(),
                    ))
                }
                None => {
                    let item = self.resolved.item(target.block);
                    if !matches!(item.kind, ast::ItemKind::Model(_)) {
                        self.wrong_kind(file, e.model.span, &name, item, "a model");
                    }
                }
            }
        }
        let data_path: Vec<&ast::Ident> = e.data.segments.iter().collect();
        let data = self.table_ref(block.module, file, &data_path, e.data.span, false);
        let groups_field = e.body.as_ref().and_then(|b| b.field("groups"));
        let groups = groups_field.and_then(|f| {
            self.groups_column(
                file,
                f,
                data.as_ref(),
                model_info.as_ref().and_then(|m| m.1),
            )
        });
        // A `groups` that is written but wrong does not also make every
        // fairness metric an error.
        let has_groups = groups_field.is_some();
        let cv_block = e.body.as_ref().and_then(|b| b.nested("cv"));
        let mut metrics = Vec::new();
        match e
            .body
            .as_ref()
            .and_then(|b| b.field("metrics"))
            .map(|f| &f.value.kind)
        {
            Some(ExprKind::List(items)) => {
                for i in items {
                    let ExprKind::Name(id) = &i.kind else {
                        self.diags.push(
                            Diagnostic::error(codes::TYPE_MISMATCH, "a metric is a name")
                                .with_label(file, i.span, "not a metric name")
                                .with_help("write `metrics = [accuracy, f1]`"),
                        );
                        continue;
                    };
                    if self.metric_fits_with(
                        file,
                        id,
                        model_block,
                        model_info.as_ref().map(|m| m.0.as_str()).unwrap_or(""),
                        Some(has_groups),
                    ) {
                        metrics.push(id.name.clone());
                    }
                }
            }
            Some(_) => {
                if let Some(f) = e.body.as_ref().and_then(|b| b.field("metrics")) {
                    self.diags.push(
                        Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            "`metrics` is a list of metric names",
                        )
                        .with_label(file, f.value.span, "not a list")
                        .with_help("write `metrics = [accuracy, f1]`"),
                    );
                }
            }
            None => {
                metrics = model_block
                    .map_or_else(Vec::new, |m| self.default_metrics(m, groups.is_some()));
            }
        }
        if let (Some((mname, _, Some(trained), features, target)), Some(data)) =
            (&model_info, &data)
        {
            if self.table_facts(data).is_some() {
                let schema = self.table_schema(data.id);
                let missing = features
                    .iter()
                    .chain(target.iter())
                    .find(|col| schema.get(col).is_none());
                if let Some(col) = missing {
                    let d = Diagnostic::error(
                        codes::UNKNOWN_COLUMN,
                        format!(
                            "the table `{}` has no column `{col}`, which `{mname}` needs",
                            e.data.dotted()
                        ),
                    )
                    .with_label(file, e.data.span, format!("lacks `{col}`"))
                    .with_help(
                        "evaluate the model on a table with the same columns it was trained on",
                    );
                    self.diags.push(d);
                }
            }
            let same = trained == data;
            let superset = data.part.is_none()
                && trained
                    .id
                    .and_then(|id| self.tables.get(&id))
                    .and_then(|f| f.split_input)
                    == data.id
                && data.id.is_some();
            // Cross-validation is on the training rows by definition: each
            // fold is scored by a model that never saw it.
            if (same || superset) && cv_block.is_none() {
                let why = if same {
                    "the same rows it was trained on"
                } else {
                    "a table that contains its training rows"
                };
                self.diags.push(
                    Diagnostic::warning(codes::LEAKAGE_EVAL_ON_TRAIN, format!("`{mname}` is evaluated on {why}"))
                        .with_label(file, e.data.span, format!("`{}` was used to train `{mname}`", e.data.dotted()))
                        .with_help("evaluate on held-out rows, e.g. the `test` part of the split, or the metrics will be optimistic"),
                );
            }
        }
        let cv = match (cv_block, e.body.as_ref()) {
            (Some(n), Some(body)) => {
                self.cross_validation(block, file, n, body, &fields, model_block, data.as_ref())
            }
            _ => None,
        };
        self.push_block(
            block,
            item,
            fields,
            BlockInfo::Evaluate(EvaluateInfo {
                model: model_info.map(|m| m.0),
                data,
                metrics,
                groups,
                cv,
            }),
        );
    }

    /// The `cv { }` of an `evaluate`: what it deals into folds and refits,
    /// when the evaluation can be cross-validated at all. The evaluated
    /// table must be the model's training table, the model a classifier or
    /// a regressor, every metric one number, and there are no `groups`.
    #[allow(clippy::too_many_arguments)]
    fn cross_validation(
        &mut self,
        block: BlockId,
        file: FileId,
        n: &ast::NestedBlock,
        body: &ast::Body,
        fields: &BTreeMap<String, Value>,
        model: Option<BlockId>,
        data: Option<&TableRef>,
    ) -> Option<CvInfo> {
        let mut ok = true;
        if let Some(g) = body.field("groups") {
            ok = false;
            self.diags.push(
                Diagnostic::error(
                    codes::CROSS_VALIDATION,
                    "`groups` cannot be cross-validated",
                )
                .with_label(file, g.path.span, "not with `cv`")
                .with_help(
                    "compute the fairness metrics in an `evaluate` on held-out rows, without `cv`",
                ),
            );
        }
        if let Some(ExprKind::List(items)) = body.field("metrics").map(|f| &f.value.kind) {
            for i in items {
                let ExprKind::Name(id) = &i.kind else {
                    continue;
                };
                if self.catalog.metric(&id.name).is_some_and(|m| !m.scalar) {
                    ok = false;
                    self.diags.push(
                        Diagnostic::error(
                            codes::CROSS_VALIDATION,
                            format!("`{}` is not one number per fold: it cannot be cross-validated", id.name),
                        )
                        .with_label(file, id.span, "not a scalar metric")
                        .with_help("list scalar metrics in a `cv` evaluation; compute this one in an `evaluate` on the test part"),
                    );
                }
            }
        }
        let info = model
            .and_then(|m| self.program.block(m))
            .and_then(|b| match &b.info {
                BlockInfo::Model(m) => Some((
                    b.name.clone(),
                    m.model_kind,
                    m.data.clone(),
                    m.search.is_some(),
                )),
                _ => None,
            });
        let (name, kind, trained, searched) = info?;
        if searched {
            self.diags.push(
                Diagnostic::error(
                    codes::CROSS_VALIDATION,
                    format!("`{name}` chooses its hyper-parameters by a search: its cross-validation would need the search inside each fold"),
                )
                .with_label(file, n.name.span, "not for a searched model")
                .with_help(format!("remove `cv`: the search's scores of every candidate are in metrics.json, under `search.{name}`")),
            );
            return None;
        }
        if kind == Some(ModelKind::Clusterer) {
            self.diags.push(
                Diagnostic::error(
                    codes::CROSS_VALIDATION,
                    format!("`{name}` is a clusterer: cross-validation scores predictions against a target"),
                )
                .with_label(file, n.name.span, "not for a clusterer")
                .with_help(format!("remove `cv`, and evaluate `{name}` on held-out rows")),
            );
            return None;
        }
        let (trained, data) = (trained?, data?);
        if trained != *data {
            let shown = |t: &TableRef| match &t.part {
                Some(part) => format!("{}.{part}", t.block),
                None => t.block.clone(),
            };
            self.diags.push(
                Diagnostic::error(
                    codes::CROSS_VALIDATION,
                    format!(
                        "cross-validation trains `{name}` again on folds of its training table `{}`, not of `{}`",
                        shown(&trained),
                        shown(data)
                    ),
                )
                .with_label(file, n.name.span, format!("`{name}` is trained on `{}`", shown(&trained)))
                .with_help(format!(
                    "write `evaluate {name} on {} {{ cv {{ ... }} }}`, or remove `cv` to score the trained model on `{}`",
                    shown(&trained),
                    shown(data)
                )),
            );
            return None;
        }
        let (rows_of, refit) = self.program.cv_rows(&trained)?;
        // An `apply(X)` in a refitted chain would keep X's state, learnt on
        // every training row, held-out folds included: the folds would leak.
        let leaky = refit.iter().find_map(|name| {
            let Some(BlockInfo::Transform(t)) = self.program.by_name(name).map(|b| &b.info) else {
                return None;
            };
            Some((name, t.steps.iter().find_map(|s| s.applies.as_ref())?))
        });
        if let Some((name, applied)) = leaky {
            self.diags.push(
                Diagnostic::error(
                    codes::CROSS_VALIDATION,
                    format!(
                        "cross-validation refits `{name}` on each fold, but its `apply({applied})` keeps the state `{applied}` learnt on all of `{}`",
                        match &rows_of.part {
                            Some(part) => format!("{}.{part}", rows_of.block),
                            None => rows_of.block.clone(),
                        }
                    ),
                )
                .with_label(file, n.name.span, "the folds would see what was learnt on their held-out rows")
                .with_help(
                    "cross-validate a model whose transforms after the split fit their own steps, or remove `cv` from this evaluation",
                ),
            );
            return None;
        }
        let stratify = match n.body.field("stratify") {
            None => None,
            Some(f) => {
                let column = self.cv_stratify(block, file, f, &rows_of);
                ok &= column.is_some();
                column
            }
        };
        if !ok {
            return None;
        }
        let folds = match fields.get("cv.folds") {
            Some(Value::Int(k)) => usize::try_from(*k).ok()?,
            None if n.body.field("folds").is_some() => return None,
            _ => CV_FOLDS,
        };
        let seed = match fields.get("cv.seed") {
            Some(Value::Int(seed)) => *seed,
            None if n.body.field("seed").is_some() => return None,
            _ => 0,
        };
        Some(CvInfo {
            folds,
            seed,
            stratify,
            rows_of,
            refit,
        })
    }

    /// The column a field `f` names (`FIELD = COLUMN`), or `MLP2003` with
    /// `FIELD = example` as the help.
    fn column_name<'e>(
        &mut self,
        file: FileId,
        f: &'e ast::Field,
        example: &str,
    ) -> Option<&'e ast::Ident> {
        if let ExprKind::Name(id) = &f.value.kind {
            return Some(id);
        }
        let field = f.path.dotted();
        self.diags.push(
            Diagnostic::error(
                codes::TYPE_MISMATCH,
                format!("`{field}` takes a column name"),
            )
            .with_label(file, f.value.span, "not a column name")
            .with_help(format!("write `{field} = {example}`")),
        );
        None
    }

    /// `stratify = COLUMN` of a `cv { }`: a class column (bool or enum,
    /// not nullable) of the table the folds are dealt from.
    pub(super) fn cv_stratify(
        &mut self,
        block: BlockId,
        file: FileId,
        f: &ast::Field,
        rows_of: &TableRef,
    ) -> Option<String> {
        let id = self.column_name(file, f, "species")?;
        let schema = self.table_schema(rows_of.id).clone();
        let Some(col) = schema.get(&id.name) else {
            let removed = self
                .table_facts(rows_of)
                .map(|t| t.removed.clone())
                .unwrap_or_default();
            let scope = Scope {
                module: block.module,
                file,
                schema: &schema,
                removed: &removed,
                expectations: false,
            };
            self.unknown_column(&scope, id, "in the rows the folds are dealt from");
            return None;
        };
        if matches!(col.ty, ColumnType::Bool | ColumnType::Enum(_)) && !col.nullable {
            return Some(id.name.clone());
        }
        self.diags.push(
            Diagnostic::error(
                codes::CROSS_VALIDATION,
                format!(
                    "cannot stratify the folds on `{}`, a {} column",
                    id.name,
                    col.type_text()
                ),
            )
            .with_label(file, id.span, "not a class column")
            .with_help("stratify on a bool or enum column without nulls, usually the target"),
        );
        None
    }

    /// The `groups = COLUMN` of an `evaluate`: a column of the evaluated
    /// table `data` whose values are few and exact (enum, bool, str or
    /// int) and never null, for a classifier (`kind`, when known).
    fn groups_column(
        &mut self,
        file: FileId,
        f: &ast::Field,
        data: Option<&TableRef>,
        kind: Option<ModelKind>,
    ) -> Option<String> {
        let id = self.column_name(file, f, "Sex")?;
        if let Some(kind) = kind.filter(|k| *k != ModelKind::Classifier) {
            self.diags.push(
                Diagnostic::error(
                    codes::FAIRNESS_GROUPS,
                    format!(
                        "`groups` compares the predictions of a classifier, but the model is a {}",
                        kind.as_str()
                    ),
                )
                .with_label(file, f.path.span, "only for a classifier")
                .with_help("remove `groups`: fairness metrics are defined for classifiers"),
            );
            return None;
        }
        let data = data?;
        let facts = self.table_facts(data)?.clone();
        let schema = self.table_schema(data.id).clone();
        let Some(col) = schema.get(&id.name) else {
            let scope = Scope {
                module: data.id.map_or(0, |b| b.module),
                file,
                schema: &schema,
                removed: &facts.removed,
                expectations: false,
            };
            self.unknown_column(&scope, id, "in the evaluated table");
            return None;
        };
        let problem = match &col.ty {
            ColumnType::Float | ColumnType::Datetime => Some((
                format!(
                    "the groups column `{}` is {}: its values are not categories",
                    id.name,
                    col.type_text()
                ),
                format!("`{}` is {}", id.name, col.ty.word()),
                format!(
                    "group by an enum, bool, str or int column; cut a number into bands first, e.g. `bucketize({}, bounds = [30, 50])`",
                    id.name
                ),
            )),
            _ if col.nullable => Some((
                format!("the groups column `{}` may be null ({})", id.name, col.type_text()),
                "nullable".to_string(),
                format!(
                    "replace the nulls first, e.g. `impute({}, strategy = mode)`: a missing value is no group",
                    id.name
                ),
            )),
            _ => None,
        };
        if let Some((message, label, help)) = problem {
            self.diags.push(
                Diagnostic::error(codes::FAIRNESS_GROUPS, message)
                    .with_label(file, id.span, label)
                    .with_help(help),
            );
            return None;
        }
        Some(id.name.clone())
    }

    /// Whether `metric` exists and can be computed for `model` (the block
    /// of a checked model, when known) by some evaluation: a fairness
    /// metric is taken to have its `groups` (a gate on it is refused later,
    /// by `MLP2023`, when no evaluation computes it).
    pub(super) fn metric_fits(
        &mut self,
        file: FileId,
        id: &ast::Ident,
        model: Option<BlockId>,
        model_name: &str,
    ) -> bool {
        self.metric_fits_with(file, id, model, model_name, None)
    }

    /// [`Self::metric_fits`] for an `evaluate` block that names a `groups`
    /// column or not (`Some(groups)`), or for any evaluation (`None`).
    fn metric_fits_with(
        &mut self,
        file: FileId,
        id: &ast::Ident,
        model: Option<BlockId>,
        model_name: &str,
        groups: Option<bool>,
    ) -> bool {
        let with_groups = groups.unwrap_or(true);
        let facts = model
            .and_then(|m| self.program.block(m))
            .and_then(|b| match &b.info {
                BlockInfo::Model(m) => Some(m),
                _ => None,
            });
        let algorithm = facts.and_then(|m| self.catalog.algorithm(&m.algorithm));
        let classes = facts.and_then(|m| m.classes.as_ref().map(Vec::len));
        let kind = algorithm.map(|a| a.kind);
        let applicable: Vec<String> = self
            .catalog
            .metrics
            .iter()
            .filter(|m| match algorithm {
                Some(a) => m.unfit_with(model_name, a, classes, with_groups).is_none(),
                None => true,
            })
            .map(|m| m.name.clone())
            .collect();
        let Some(metric) = self.catalog.metric(&id.name) else {
            let mut d =
                Diagnostic::error(codes::METRIC_KIND, format!("unknown metric `{}`", id.name))
                    .with_label(file, id.span, "not a metric");
            d = match did_you_mean(&id.name, applicable.iter().map(String::as_str)) {
                Some(s) => d.with_correction(file, id.span, s),
                None => d.with_help(format!(
                    "the metrics for this model are: {}",
                    applicable.join(", ")
                )),
            };
            self.diags.push(d);
            return false;
        };
        let Some(algorithm) = algorithm else {
            return true;
        };
        let Some(reason) = metric.unfit_with(model_name, algorithm, classes, with_groups) else {
            return true;
        };
        if metric
            .unfit_with(model_name, algorithm, classes, true)
            .is_none()
        {
            // Only `groups` is missing.
            self.diags.push(
                Diagnostic::error(codes::FAIRNESS_GROUPS, reason)
                    .with_label(file, id.span, "needs `groups`")
                    .with_help(format!(
                        "add `groups = COLUMN` to this `evaluate` of `{model_name}`: the column whose values are the groups to compare"
                    )),
            );
            return false;
        }
        let (label, whose) = if kind != Some(metric.kind) {
            (
                format!("only for a {}", metric.kind.as_str()),
                format!("a {}", algorithm.kind.as_str()),
            )
        } else {
            (
                format!("not computable for `{model_name}`"),
                format!("`{model_name}`"),
            )
        };
        self.diags.push(
            Diagnostic::error(codes::METRIC_KIND, reason)
                .with_label(file, id.span, label)
                .with_help(format!("metrics of {whose}: {}", applicable.join(", "))),
        );
        false
    }

    /// The metrics an `evaluate` without `metrics` computes: every scalar
    /// metric that can be computed for the model and, with `groups`, every
    /// fairness metric that can (the per-group ones too).
    pub(super) fn default_metrics(&self, model: BlockId, groups: bool) -> Vec<String> {
        let Some(block) = self.program.block(model) else {
            return Vec::new();
        };
        let BlockInfo::Model(m) = &block.info else {
            return Vec::new();
        };
        let Some(algorithm) = self.catalog.algorithm(&m.algorithm) else {
            return Vec::new();
        };
        let classes = m.classes.as_ref().map(Vec::len);
        self.catalog
            .metrics
            .iter()
            .filter(|metric| {
                (metric.scalar || metric.needs_groups)
                    && metric
                        .unfit_with(&block.name, algorithm, classes, groups)
                        .is_none()
            })
            .map(|metric| metric.name.clone())
            .collect()
    }

    pub(super) fn deploy(
        &mut self,
        block: BlockId,
        file: FileId,
        item: &'r ast::Item,
        d: &'r ast::DeployDecl,
    ) {
        let fields = self.fields(block, &d.body, item);
        const TARGETS: [&str; 4] = ["kubernetes", "docker", "compose", "argo"];
        self.known_word(file, &d.target, &TARGETS, "deployment", "target");
        let mut model = None;
        let mut tags = Tags::new();
        match d.body.field("model") {
            Some(f) => {
                if let Some(path) = f.value.as_path() {
                    if let Some(target) = self.resolved.lookup(block.module, &path) {
                        let name = self.resolved.qualified(target.block);
                        match self
                            .models
                            .get(&target.block)
                            .map(|&i| &self.program.blocks[i].info)
                        {
                            Some(BlockInfo::Model(m)) => {
                                tags = m.feature_tags.clone();
                                model = Some(name);
                            }
                            _ => {
                                let it = self.resolved.item(target.block);
                                self.wrong_kind(file, f.value.span, &name, it, "a model");
                            }
                        }
                    }
                } else {
                    self.diags.push(
                        Diagnostic::error(codes::TYPE_MISMATCH, "`model` takes a model name")
                            .with_label(file, f.value.span, "not a name")
                            .with_help("write `model = scorer`"),
                    );
                }
            }
            None if d.target.name != "argo" && TARGETS.contains(&d.target.name.as_str()) => {
                self.diags.push(
                    Diagnostic::error(
                        codes::MISSING_FIELD,
                        format!("deploy `{}` is missing the field `model`", d.name.name),
                    )
                    .with_label(file, d.name.span, "needs `model`")
                    .with_help("name the model to serve: `model = scorer`"),
                );
            }
            None => {}
        }
        if d.target.name != "argo"
            && TARGETS.contains(&d.target.name.as_str())
            && d.body.field("image").is_none()
        {
            self.diags.push(
                Diagnostic::error(
                    codes::MISSING_FIELD,
                    format!("deploy `{}` is missing the field `image`", d.name.name),
                )
                .with_label(file, d.name.span, "needs `image`")
                .with_help(
                    "name the container image: `image = \"registry.example.com/app:1.0.0\"`",
                ),
            );
        }
        if let (Some(min), Some(max)) = (
            fields.get("autoscale.min").and_then(Value::as_f64),
            fields.get("autoscale.max").and_then(Value::as_f64),
        ) {
            if min > max {
                let span = d.body.nested("autoscale").map_or(d.name.span, |n| n.span);
                self.diags.push(
                    Diagnostic::error(
                        codes::OUT_OF_RANGE,
                        format!("autoscale min ({min}) is above max ({max})"),
                    )
                    .with_label(file, span, "min > max")
                    .with_help("set `min` at most `max`"),
                );
            }
        }
        let mut gates = Vec::new();
        if let Some(f) = d.body.field("gates") {
            match &f.value.kind {
                ExprKind::List(items) => {
                    for g in items {
                        let Some(path) = g.as_path() else {
                            self.diags.push(
                                Diagnostic::error(codes::TYPE_MISMATCH, "a gate is a policy name")
                                    .with_label(file, g.span, "not a name")
                                    .with_help("write `gates = [launch_bar]`"),
                            );
                            continue;
                        };
                        let Some(target) = self.resolved.lookup(block.module, &path) else {
                            continue;
                        };
                        let it = self.resolved.item(target.block);
                        let name = self.resolved.qualified(target.block);
                        if matches!(it.kind, ast::ItemKind::Policy(_))
                            && target.consumed == path.len()
                        {
                            self.gate_uses.push((block, target.block, g.span));
                            gates.push(name);
                        } else {
                            self.wrong_kind(file, g.span, &name, it, "a policy");
                        }
                    }
                }
                _ => self.diags.push(
                    Diagnostic::error(codes::TYPE_MISMATCH, "`gates` is a list of policies")
                        .with_label(file, f.value.span, "not a list")
                        .with_help("write `gates = [launch_bar, baseline.production]`"),
                ),
            }
        }
        let environment = d
            .body
            .nested("environment")
            .map(|n| self.environment(file, n))
            .unwrap_or_default();
        let mut monitor = Vec::new();
        let mut alerts = Vec::new();
        if let Some(n) = d.body.nested("monitor") {
            for entry in &n.body.entries {
                alerts.extend(self.monitor_entry(block, file, entry));
                monitor.push(self.text(block, entry.span()));
            }
        }
        self.push_block(
            block,
            item,
            fields,
            BlockInfo::Deploy(DeployInfo {
                target: d.target.name.clone(),
                model,
                gates,
                tags,
                monitor,
                alerts,
                environment,
            }),
        );
    }

    /// `environment { NAME = "value", KEY = secret("store/key") }`.
    fn environment(&mut self, file: FileId, n: &ast::NestedBlock) -> BTreeMap<String, EnvValue> {
        let mut out = BTreeMap::new();
        for entry in &n.body.entries {
            let ast::Entry::Field(f) = entry else {
                self.diags.push(
                    Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        "`environment` holds `NAME = value` entries",
                    )
                    .with_label(file, entry.span(), "not a variable")
                    .with_help(
                        "write `LOG_LEVEL = \"info\"` or `DB_PASSWORD = secret(\"vault/db\")`",
                    ),
                );
                continue;
            };
            let name = f.path.dotted();
            let valid_name = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit());
            if !valid_name {
                self.diags.push(
                    Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        format!("`{name}` is not an environment variable name"),
                    )
                    .with_label(file, f.path.span, "letters, digits and `_`")
                    .with_help("name variables like `LOG_LEVEL`"),
                );
                continue;
            }
            let value = match &f.value.kind {
                ExprKind::Str(s) => Some(EnvValue::Literal(s.clone())),
                ExprKind::Call { callee, args } => match (&callee.kind, args.as_slice()) {
                    (ExprKind::Name(n), [arg]) if n.name == "secret" && arg.name.is_none() => {
                        match &arg.value.kind {
                            ExprKind::Str(s) if !s.is_empty() => Some(EnvValue::Secret(s.clone())),
                            _ => None,
                        }
                    }
                    _ => None,
                },
                _ => None,
            };
            match value {
                Some(v) => {
                    out.insert(name, v);
                }
                None => self.diags.push(
                    Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        format!("`{name}` is a string or a secret reference"),
                    )
                    .with_label(file, f.value.span, "not a string or `secret(\"...\")`")
                    .with_help("write `\"value\"`, or `secret(\"store/key\")` for a credential"),
                ),
            }
        }
        out
    }

    /// `allow(GOV012, reason = "...")`: a lint finding waived at this block.
    /// The rule is checked to be a rule code here and to exist by `mlp lint`.
    fn waiver(&mut self, file: FileId, e: &ast::Expr, item: &ast::Item) {
        let bad = |message: String, label: &str| {
            Diagnostic::error(codes::BAD_WAIVER, message)
                .with_label(file, e.span, label.to_string())
                .with_help("write `allow(GOV012, reason = \"why this finding does not apply\")`")
        };
        let ExprKind::Call { callee, args } = &e.kind else {
            let d = Diagnostic::error(
                codes::EXPRESSION_TYPE,
                format!(
                    "a bare expression does nothing in a `{}` block",
                    item.keyword().map_or("", |k| k.as_str())
                ),
            )
            .with_label(file, e.span, "not a field")
            .with_help("write `name = value`; data expectations go in `expect { ... }`");
            self.diags.push(d);
            return;
        };
        if !matches!(&callee.kind, ExprKind::Name(n) if n.name == "allow") {
            let d = Diagnostic::error(
                codes::EXPRESSION_TYPE,
                format!(
                    "a bare call does nothing in a `{}` block",
                    item.keyword().map_or("", |k| k.as_str())
                ),
            )
            .with_label(file, e.span, "not a field")
            .with_help(
                "the only call a block holds is a waiver: `allow(GOV012, reason = \"...\")`",
            );
            self.diags.push(d);
            return;
        }
        let rule = args
            .iter()
            .find(|a| a.name.is_none())
            .and_then(|a| match &a.value.kind {
                ExprKind::Name(n) => Some(n.name.clone()),
                _ => None,
            });
        let is_code = |r: &str| {
            r.len() == 6 && r.starts_with("GOV") && r[3..].bytes().all(|b| b.is_ascii_digit())
        };
        let Some(rule) = rule.filter(|r| is_code(r)) else {
            self.diags.push(bad(
                "a waiver names the lint rule it waives".into(),
                "no rule code",
            ));
            return;
        };
        let reason = args
            .iter()
            .find(|a| a.name.as_ref().is_some_and(|n| n.name == "reason"))
            .and_then(|a| match &a.value.kind {
                ExprKind::Str(s) => Some(s.trim().to_string()),
                _ => None,
            });
        let Some(reason) = reason.filter(|r| !r.is_empty()) else {
            self.diags.push(bad(
                format!("the waiver of {rule} gives no reason"),
                "needs `reason = \"...\"`",
            ));
            return;
        };
        if let Some(extra) = args.iter().find(|a| {
            a.name.as_ref().is_some_and(|n| n.name != "reason")
                || (a.name.is_none()
                    && !matches!(&a.value.kind, ExprKind::Name(n) if n.name == rule))
        }) {
            self.diags.push(
                Diagnostic::error(codes::BAD_WAIVER, "a waiver takes one rule and a reason")
                    .with_label(file, extra.span, "not part of a waiver")
                    .with_help("waive one rule per `allow(...)`"),
            );
            return;
        }
        self.waivers_read.push(Waiver {
            rule,
            reason,
            span: e.span,
        });
    }

    fn monitor_entry(&mut self, block: BlockId, file: FileId, entry: &ast::Entry) -> Option<Alert> {
        let bad = |span: Span| {
            Diagnostic::error(
                codes::EXPRESSION_TYPE,
                "a monitor condition compares a signal with a limit",
            )
            .with_label(file, span, "not a monitor condition")
            .with_help("write `latency_p99 < 200ms`, `error_rate < 1%` or `drift(psi) < 0.2`")
        };
        let ast::Entry::Expr(e) = entry else {
            self.diags.push(bad(entry.span()));
            return None;
        };
        let ExprKind::Binary { op, lhs, rhs } = &e.kind else {
            self.diags.push(bad(e.span));
            return None;
        };
        if !matches!(
            op,
            ast::BinaryOp::Lt | ast::BinaryOp::Le | ast::BinaryOp::Gt | ast::BinaryOp::Ge
        ) {
            self.diags.push(bad(e.span));
            return None;
        }
        const SIGNALS: [&str; 6] = [
            "latency_p50",
            "latency_p90",
            "latency_p95",
            "latency_p99",
            "error_rate",
            "drift",
        ];
        let expect = match &lhs.kind {
            ExprKind::Name(n)
                if n.name.starts_with("latency_p") && SIGNALS.contains(&n.name.as_str()) =>
            {
                Expect::Duration
            }
            ExprKind::Name(n) if n.name == "error_rate" => Expect::Percent,
            ExprKind::Call { callee, args } if matches!(&callee.kind, ExprKind::Name(n) if n.name == "drift") =>
            {
                let ok = matches!(args.as_slice(), [a] if matches!(&a.value.kind, ExprKind::Name(n) if ["psi", "ks"].contains(&n.name.as_str())));
                if !ok {
                    self.diags.push(
                        Diagnostic::error(
                            codes::INVALID_CHOICE,
                            "drift is measured with `psi` or `ks`",
                        )
                        .with_label(file, lhs.span, "unknown drift measure")
                        .with_help("write `drift(psi) < 0.2`"),
                    );
                    return None;
                }
                Expect::Float {
                    min: 0.0,
                    max: f64::INFINITY,
                }
            }
            ExprKind::Name(n) => {
                let mut d = Diagnostic::error(
                    codes::EXPRESSION_TYPE,
                    format!("unknown monitoring signal `{}`", n.name),
                )
                .with_label(file, n.span, "not a signal");
                d = match did_you_mean(&n.name, SIGNALS) {
                    Some(s) => d.with_correction(file, n.span, s),
                    None => d.with_help(format!("the signals are: {}", SIGNALS.join(", "))),
                };
                self.diags.push(d);
                return None;
            }
            _ => {
                self.diags.push(bad(lhs.span));
                return None;
            }
        };
        let signal = match &lhs.kind {
            ExprKind::Name(n) => n.name.clone(),
            ExprKind::Call { args, .. } => match args.first().map(|a| &a.value.kind) {
                Some(ExprKind::Name(measure)) => format!("drift_{}", measure.name),
                _ => return None,
            },
            _ => return None,
        };
        // Durations in seconds and percentages as fractions: the units of
        // the metrics `mlp serve` exports.
        let limit = match self.value(block.module, file, rhs, expect)? {
            Value::Duration(d) => d.ms / 1000.0,
            Value::Percent(p) => p.percent / 100.0,
            other => other.as_f64()?,
        };
        Some(Alert {
            signal,
            op: op.as_str().to_string(),
            limit,
        })
    }
}
