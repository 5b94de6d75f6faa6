//! Schema propagation: each table operation as a function from the schema
//! before the step to the schema after it.

use super::catalog::{Columns, Fitted};
use super::expr::{Removal, Removed, Scope};
use super::types::{Column, ColumnType, Schema};
use super::{Checker, TableFacts};
use crate::diagnostics::{codes, did_you_mean, Diagnostic};
use crate::resolve::ModuleId;
use crate::source::FileId;
use crate::syntax::ast::{self, ExprKind};
use std::collections::BTreeSet;

/// Where a step runs.
pub(super) struct StepCtx<'a> {
    pub module: ModuleId,
    pub file: FileId,
    pub block: &'a str,
}

impl StepCtx<'_> {
    /// Where a step's expressions are typed: the columns before the step.
    fn scope<'s>(&self, schema: &'s Schema, removed: &'s Removed) -> Scope<'s> {
        Scope {
            module: self.module,
            file: self.file,
            schema,
            removed,
            expectations: false,
        }
    }
}

impl Checker<'_> {
    /// Applies one step; returns whether it is fitted on the rows it sees.
    pub(super) fn apply_step(
        &mut self,
        ctx: &StepCtx,
        step: &ast::OpCall,
        schema: &mut Schema,
        removed: &mut Removed,
    ) -> bool {
        let name = step.name.name.as_str();
        let Some(op) = self.catalog.operation(name) else {
            let mut d = Diagnostic::error(
                codes::UNKNOWN_OPERATION,
                format!("unknown table operation `{name}`"),
            )
            .with_label(ctx.file, step.name.span, "not an operation");
            let names = self.catalog.operations.iter().map(|o| o.name.as_str());
            d = match did_you_mean(name, names) {
                Some(s) => d.with_correction(ctx.file, step.name.span, s),
                None => d.with_help(format!(
                    "the operations are: {}",
                    self.catalog
                        .operations
                        .iter()
                        .map(|o| o.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            };
            self.diags.push(d);
            return false;
        };
        let fitted_kind = op.fitted;
        let column_kind = op.columns;
        let accepted = op.named.clone();
        let args: &[ast::Arg] = step.args.as_deref().unwrap_or(&[]);
        let positional: Vec<&ast::Arg> = args.iter().filter(|a| a.name.is_none()).collect();
        let named: Vec<&ast::Arg> = args.iter().filter(|a| a.name.is_some()).collect();
        if let Some(accepted) = &accepted {
            for arg in &named {
                let Some(n) = &arg.name else { continue };
                if !accepted.contains(&n.name) {
                    let mut d = self.bad_args(
                        ctx,
                        n.span,
                        format!("`{name}` has no argument `{}`", n.name),
                        "unknown argument",
                    );
                    d = match did_you_mean(&n.name, accepted.iter().map(String::as_str)) {
                        Some(s) => d.with_correction(ctx.file, n.span, s),
                        None if accepted.is_empty() => {
                            d.with_help(format!("`{name}` takes no named arguments"))
                        }
                        None => d.with_help(format!("`{name}` accepts: {}", accepted.join(", "))),
                    };
                    self.diags.push(d);
                }
            }
        }
        let removal = |col: &str, removed: &mut Removed| {
            removed.insert(
                col.to_string(),
                Removal {
                    step: name.to_string(),
                    block: ctx.block.to_string(),
                    file: ctx.file,
                    span: step.span,
                },
            );
        };
        let mut fitted = fitted_kind == Fitted::Always;
        match name {
            _ if column_kind != Columns::None => {
                let columns = self.column_args(ctx, step, name, &positional, schema, removed);
                let columns = self.of_column_kind(ctx, step, column_kind, columns, schema);
                match name {
                    "select" => {
                        let keep: Vec<Column> = columns
                            .iter()
                            .filter_map(|c| schema.get(c).cloned())
                            .collect();
                        for c in schema.names() {
                            if !columns.iter().any(|k| k == c) {
                                removal(c, removed);
                            }
                        }
                        schema.columns = keep;
                    }
                    "drop" => {
                        for c in &columns {
                            removal(c, removed);
                        }
                        schema
                            .columns
                            .retain(|c| !columns.iter().any(|n| **n == *c.name));
                    }
                    "dedupe" => {}
                    "one_hot" => {
                        for c in &columns {
                            let Some(pos) = schema.position(c) else {
                                continue;
                            };
                            let col = schema.columns[pos].clone();
                            let ColumnType::Enum(variants) = &col.ty else {
                                continue;
                            };
                            let tags = col.tags.derived();
                            let new: Vec<Column> = variants
                                .iter()
                                .map(|v| {
                                    Column::new(
                                        one_hot_column(c, v),
                                        ColumnType::Float,
                                        false,
                                        tags.clone(),
                                    )
                                })
                                .collect();
                            for n in &new {
                                removed.remove(&*n.name);
                            }
                            removal(c, removed);
                            schema.columns.splice(pos..=pos, new);
                        }
                    }
                    "standardize" | "min_max" | "log" | "clip" | "bucketize" => {
                        for c in &columns {
                            let Some(col) = schema.get_mut(c) else {
                                continue;
                            };
                            if col.nullable && matches!(name, "standardize" | "min_max") {
                                let col = col.clone();
                                self.column_type(ctx, step, &col, &format!("`{name}` needs a column without nulls"), &format!("`{c}` is nullable: add `impute({c}, strategy = median)` before this step"));
                                continue;
                            }
                            col.ty = if name == "bucketize" {
                                ColumnType::Int
                            } else if name == "clip" {
                                col.ty.clone()
                            } else {
                                ColumnType::Float
                            };
                        }
                        self.step_numbers(ctx, step, &named);
                    }
                    "impute" => {
                        let strategy = named
                            .iter()
                            .find(|a| a.name.as_ref().is_some_and(|n| n.name == "strategy"));
                        let word = match strategy.map(|a| &a.value.kind) {
                            Some(ExprKind::Name(n)) => n.name.clone(),
                            Some(ExprKind::Str(s)) => s.clone(),
                            _ => {
                                let d = self.bad_args(ctx, step.span, "`impute` needs a strategy".into(), "missing `strategy = ...`")
                                    .with_help("add `strategy = mean`, `median`, `mode` or `constant` (with `value = ...`)");
                                self.diags.push(d);
                                String::new()
                            }
                        };
                        const STRATEGIES: [&str; 4] = ["mean", "median", "mode", "constant"];
                        if !word.is_empty() && !STRATEGIES.contains(&word.as_str()) {
                            if let Some(arg) = strategy {
                                let mut d = Diagnostic::error(
                                    codes::INVALID_CHOICE,
                                    format!("`{word}` is not an impute strategy"),
                                )
                                .with_label(
                                    ctx.file,
                                    arg.value.span,
                                    "unknown strategy",
                                );
                                d = match did_you_mean(&word, STRATEGIES) {
                                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                                    None => d.with_help("use mean, median, mode or constant"),
                                };
                                self.diags.push(d);
                            }
                        }
                        if word == "constant"
                            && !named
                                .iter()
                                .any(|a| a.name.as_ref().is_some_and(|n| n.name == "value"))
                        {
                            let d = self
                                .bad_args(
                                    ctx,
                                    step.span,
                                    "`strategy = constant` needs a `value`".into(),
                                    "missing `value = ...`",
                                )
                                .with_help("add the value that replaces nulls: `value = 0`");
                            self.diags.push(d);
                        }
                        fitted = fitted_kind == Fitted::Always
                            || (fitted_kind == Fitted::UnlessConstant && word != "constant");
                        for c in &columns {
                            let Some(col) = schema.get_mut(c) else {
                                continue;
                            };
                            if matches!(word.as_str(), "mean" | "median") && !col.ty.is_numeric() {
                                let col = col.clone();
                                self.column_type(
                                    ctx,
                                    step,
                                    &col,
                                    &format!("`{word}` needs a numeric column"),
                                    "use `strategy = mode` for non-numeric columns",
                                );
                                continue;
                            }
                            col.nullable = false;
                        }
                    }
                    "cast" => {
                        let target = positional.last().and_then(|a| match &a.value.kind {
                            ExprKind::Name(n) => Some(n),
                            _ => None,
                        });
                        let ty = target.and_then(|t| {
                            ColumnType::from_name(&t.name).filter(|t| *t != ColumnType::Datetime)
                        });
                        match (target, ty) {
                            (Some(_), Some(ty)) => {
                                for c in &columns {
                                    if let Some(col) = schema.get_mut(c) {
                                        col.ty = ty.clone();
                                    }
                                }
                            }
                            _ => {
                                let span = target.map_or(step.span, |t| t.span);
                                let d = self
                                    .bad_args(
                                        ctx,
                                        span,
                                        "`cast` needs a target type".into(),
                                        "expected int, float, bool or str",
                                    )
                                    .with_help("write `cast(column, float)`");
                                self.diags.push(d);
                            }
                        }
                    }
                    _ => {}
                }
            }
            "rename" => {
                self.only_pairs(
                    ctx,
                    &positional,
                    "rename",
                    "new = old",
                    "annual_income = income",
                );
                // Applied after the loop: every pair sees the columns
                // removed before this step, not those of earlier pairs.
                let mut renamed = Vec::new();
                for arg in &named {
                    let Some(new) = &arg.name else { continue };
                    let ExprKind::Name(old) = &arg.value.kind else {
                        let d = self
                            .bad_args(
                                ctx,
                                arg.value.span,
                                "expected the old column name".into(),
                                "not a column name",
                            )
                            .with_help("write `rename(new_name = old_name)`");
                        self.diags.push(d);
                        continue;
                    };
                    if schema.get(&old.name).is_none() {
                        let scope = ctx.scope(schema, removed);
                        self.unknown_column(
                            &scope,
                            old,
                            &format!("to rename at this step of `{}`", ctx.block),
                        );
                        continue;
                    }
                    if new.name != old.name && schema.get(&new.name).is_some() {
                        self.duplicate_column(ctx, new, "rename it to a name not already used");
                        continue;
                    }
                    if let Some(col) = schema.get_mut(&old.name) {
                        col.name = new.name.as_str().into();
                    }
                    renamed.push((&old.name, &new.name));
                }
                for (old, new) in renamed {
                    removal(old, removed);
                    removed.remove(new);
                }
            }
            "filter" => {
                if positional.len() != 1 {
                    let d = self
                        .bad_args(
                            ctx,
                            step.span,
                            "`filter` takes one condition".into(),
                            "expected one condition",
                        )
                        .with_help("write `filter(age >= 18 and income > 0)`");
                    self.diags.push(d);
                }
                let mut narrowed = BTreeSet::new();
                for arg in positional {
                    let scope = ctx.scope(schema, removed);
                    let t = self.type_expr(&scope, &arg.value);
                    non_null_when_true(&arg.value, schema, &mut narrowed);
                    if let Some(ty) = &t.ty {
                        if *ty != ColumnType::Bool {
                            self.diags.push(
                                Diagnostic::error(
                                    codes::EXPRESSION_TYPE,
                                    format!(
                                        "a filter condition must be a bool, this is {}",
                                        ty.word()
                                    ),
                                )
                                .with_label(ctx.file, arg.value.span, "not a condition")
                                .with_help("compare it: `filter(x > 0)`"),
                            );
                        }
                    }
                }
                // A kept row is one where the condition is true, and a
                // condition that reads a missing value is not true: the
                // columns it needs are not null after the filter.
                for col in schema.columns.iter_mut() {
                    if narrowed.contains(&*col.name) {
                        col.nullable = false;
                    }
                }
            }
            "derive" => {
                self.only_pairs(
                    ctx,
                    &positional,
                    "derive",
                    "name = expression",
                    "ratio = debt / income",
                );
                // As for `rename`: expressions see the removals before this step.
                let mut derived = Vec::new();
                for arg in &named {
                    let Some(new) = &arg.name else { continue };
                    let scope = ctx.scope(schema, removed);
                    let t = self.type_expr(&scope, &arg.value);
                    let Some(ty) = t.ty else { continue };
                    derived.push(&new.name);
                    let column = Column::new(new.name.clone(), ty, t.nullable, t.tags.derived());
                    // A column of that name is replaced where it stands,
                    // with the expression's type (`Income = log(Income + 1)`).
                    match schema.columns.iter().position(|c| *c.name == *new.name) {
                        Some(at) => schema.columns[at] = column,
                        None => schema.columns.push(column),
                    }
                }
                for new in derived {
                    removed.remove(new);
                }
            }
            "join" => self.join(ctx, step, &positional, &named, schema),
            "sample" => {
                let fraction = named
                    .iter()
                    .find(|a| a.name.as_ref().is_some_and(|n| n.name == "fraction"));
                let n = named
                    .iter()
                    .find(|a| a.name.as_ref().is_some_and(|n| n.name == "n"));
                match (fraction, n) {
                    (Some(_), Some(_)) | (None, None) => {
                        let d = self
                            .bad_args(
                                ctx,
                                step.span,
                                "`sample` takes either `fraction` or `n`".into(),
                                "give exactly one of fraction, n",
                            )
                            .with_help(
                                "write `sample(fraction = 0.5, seed = seed)` or `sample(n = 1000)`",
                            );
                        self.diags.push(d);
                    }
                    _ => {}
                }
                if let Some(a) = fraction {
                    let _ = self.value(
                        ctx.module,
                        ctx.file,
                        &a.value,
                        super::values::Expect::Float {
                            min: f64::MIN_POSITIVE,
                            max: 1.0,
                        },
                    );
                }
                if let Some(a) = n {
                    let _ = self.value(
                        ctx.module,
                        ctx.file,
                        &a.value,
                        super::values::Expect::Int {
                            min: 1,
                            max: i64::MAX,
                        },
                    );
                }
                if let Some(a) = named
                    .iter()
                    .find(|a| a.name.as_ref().is_some_and(|n| n.name == "seed"))
                {
                    let _ = self.value(
                        ctx.module,
                        ctx.file,
                        &a.value,
                        super::values::Expect::ANY_INT,
                    );
                }
            }
            _ => {}
        }
        fitted
    }

    /// `rename` and `derive` take only `name = value` pairs.
    fn only_pairs(
        &mut self,
        ctx: &StepCtx,
        positional: &[&ast::Arg],
        op: &str,
        pair: &str,
        example: &str,
    ) {
        for arg in positional {
            let d = self
                .bad_args(
                    ctx,
                    arg.span,
                    format!("`{op}` takes `{pair}` pairs"),
                    &format!("expected `{pair}`"),
                )
                .with_help(format!("write `{op}({example})`"));
            self.diags.push(d);
        }
    }

    fn bad_args(
        &self,
        ctx: &StepCtx,
        span: crate::source::Span,
        message: String,
        label: &str,
    ) -> Diagnostic {
        Diagnostic::error(codes::BAD_ARGUMENTS, message).with_label(
            ctx.file,
            span,
            label.to_string(),
        )
    }

    fn column_type(
        &mut self,
        ctx: &StepCtx,
        step: &ast::OpCall,
        col: &Column,
        message: &str,
        help: &str,
    ) {
        let span = step
            .args
            .iter()
            .flatten()
            .find(|a| matches!(&a.value.kind, ExprKind::Name(n) if *n.name == *col.name))
            .map_or(step.span, |a| a.span);
        self.diags.push(
            Diagnostic::error(
                codes::COLUMN_TYPE,
                format!("{message}, `{}` is {}", col.name, col.type_text()),
            )
            .with_label(
                ctx.file,
                span,
                format!("`{}` is {}", col.name, col.type_text()),
            )
            .with_help(help.to_string()),
        );
    }

    fn duplicate_column(&mut self, ctx: &StepCtx, name: &ast::Ident, help: &str) {
        self.diags.push(
            Diagnostic::error(
                codes::DUPLICATE_COLUMN,
                format!("a column `{}` already exists", name.name),
            )
            .with_label(ctx.file, name.span, "this name is taken")
            .with_help(help.to_string()),
        );
    }

    /// Positional column arguments: names of existing columns.
    /// The columns of `columns` that are of the kind the catalogue gives
    /// for the operation; each other one is reported.
    fn of_column_kind(
        &mut self,
        ctx: &StepCtx,
        step: &ast::OpCall,
        kind: Columns,
        columns: Vec<String>,
        schema: &Schema,
    ) -> Vec<String> {
        let name = step.name.name.as_str();
        let mut kept = Vec::with_capacity(columns.len());
        for c in columns {
            let Some(col) = schema.get(&c) else { continue };
            let wrong = match kind {
                Columns::Numeric if !col.ty.is_numeric() => Some((
                    "numeric",
                    match &col.ty {
                        ColumnType::Enum(_) => {
                            format!("`{c}` is an enum: add `one_hot({c})` instead")
                        }
                        ty => format!("`{c}` is {}: `cast` it to a number first", ty.word()),
                    },
                )),
                Columns::Enum if !matches!(col.ty, ColumnType::Enum(_)) => Some((
                    "enum",
                    "only enum columns have a known set of values: use `bucketize` for numbers"
                        .to_string(),
                )),
                _ => None,
            };
            match wrong {
                Some((needed, help)) => {
                    let col = col.clone();
                    let message = format!("`{name}` needs {} {needed} column", article(needed));
                    self.column_type(ctx, step, &col, &message, &help);
                }
                None => kept.push(c),
            }
        }
        kept
    }

    fn column_args(
        &mut self,
        ctx: &StepCtx,
        step: &ast::OpCall,
        name: &str,
        positional: &[&ast::Arg],
        schema: &Schema,
        removed: &Removed,
    ) -> Vec<String> {
        let mut out = Vec::new();
        let take = if name == "cast" {
            positional.len().saturating_sub(1)
        } else {
            positional.len()
        };
        if take == 0 && !matches!(name, "dedupe") {
            let d = self
                .bad_args(
                    ctx,
                    step.span,
                    format!("`{name}` needs at least one column"),
                    "no column given",
                )
                .with_help(format!("name the columns: `{name}(a, b)`"));
            self.diags.push(d);
        }
        for arg in &positional[..take] {
            let ExprKind::Name(id) = &arg.value.kind else {
                let d = self
                    .bad_args(
                        ctx,
                        arg.value.span,
                        format!("`{name}` takes column names"),
                        "not a column name",
                    )
                    .with_help("name a column of the table");
                self.diags.push(d);
                continue;
            };
            if schema.get(&id.name).is_none() {
                let scope = ctx.scope(schema, removed);
                self.unknown_column(&scope, id, &format!("at this step of `{}`", ctx.block));
                continue;
            }
            out.push(id.name.clone());
        }
        out
    }

    /// Numeric named arguments of `clip` and `bucketize`.
    fn step_numbers(&mut self, ctx: &StepCtx, step: &ast::OpCall, named: &[&ast::Arg]) {
        let name = step.name.name.as_str();
        let num = super::values::Expect::Float {
            min: f64::NEG_INFINITY,
            max: f64::INFINITY,
        };
        let get = |key: &str| {
            named
                .iter()
                .find(|a| a.name.as_ref().is_some_and(|n| n.name == key))
                .copied()
        };
        if name == "clip" {
            let lo = get("lo")
                .and_then(|a| self.value(ctx.module, ctx.file, &a.value, num))
                .and_then(|v| v.as_f64());
            let hi = get("hi")
                .and_then(|a| self.value(ctx.module, ctx.file, &a.value, num))
                .and_then(|v| v.as_f64());
            if let (Some(lo), Some(hi), Some(arg)) = (lo, hi, get("hi")) {
                if lo > hi {
                    self.diags.push(
                        Diagnostic::error(
                            codes::OUT_OF_RANGE,
                            format!("`clip` has lo = {lo} above hi = {hi}"),
                        )
                        .with_label(ctx.file, arg.span, "below `lo`")
                        .with_help("`lo` must not exceed `hi`"),
                    );
                }
            }
        }
        if name == "bucketize" {
            match get("bounds").map(|a| (a, &a.value.kind)) {
                Some((arg, ExprKind::List(items))) => {
                    let values: Vec<f64> = items
                        .iter()
                        .filter_map(|i| self.value(ctx.module, ctx.file, i, num))
                        .filter_map(|v| v.as_f64())
                        .collect();
                    if values.is_empty() || values.windows(2).any(|w| w[0] >= w[1]) {
                        self.diags.push(
                            Diagnostic::error(
                                codes::OUT_OF_RANGE,
                                "bucket bounds must be increasing",
                            )
                            .with_label(ctx.file, arg.value.span, "not strictly increasing")
                            .with_help(
                                "list the bounds in increasing order: `bounds = [25, 40, 60]`",
                            ),
                        );
                    }
                }
                _ => {
                    let d = self
                        .bad_args(
                            ctx,
                            step.span,
                            "`bucketize` needs `bounds = [...]`".into(),
                            "missing bounds",
                        )
                        .with_help("write `bucketize(age, bounds = [25, 40, 60])`");
                    self.diags.push(d);
                }
            }
        }
    }

    /// `apply(NAME)`: the schema becomes the output of the transform NAME,
    /// whose input columns the table must have with the types NAME read.
    /// Returns NAME's block name and the tables its joins read.
    pub(super) fn apply_transform(
        &mut self,
        ctx: &StepCtx,
        step: &ast::OpCall,
        schema: &mut Schema,
        removed: &mut Removed,
    ) -> Option<(String, Vec<super::program::TableRef>)> {
        let args: &[ast::Arg] = step.args.as_deref().unwrap_or(&[]);
        let named = match args {
            [arg] if arg.name.is_none() => arg.value.as_path().map(|path| (arg, path)),
            _ => None,
        };
        let Some((arg, path)) = named else {
            let d = self
                .bad_args(
                    ctx,
                    step.span,
                    "`apply` takes the name of a transform".into(),
                    "expected one transform name",
                )
                .with_help("write `apply(prepared)`, where `prepared` is a transform");
            self.diags.push(d);
            return None;
        };
        // Unknown names were reported by the resolver.
        let found = self.resolved.lookup(ctx.module, &path)?;
        let name = self.resolved.qualified(found.block);
        let info = match self.program.block(found.block).map(|b| &b.info) {
            Some(super::program::BlockInfo::Transform(t)) if found.consumed == path.len() => t,
            other => {
                let what = match other {
                    Some(_) if found.consumed != path.len() => {
                        format!("`apply` names the transform `{name}`, not one of its parts")
                    }
                    Some(b) => format!("`{name}` is a {}, not a transform", b.kind_name()),
                    None => return None,
                };
                self.diags.push(
                    Diagnostic::error(codes::WRONG_BLOCK_KIND, what)
                        .with_label(ctx.file, arg.value.span, "not a transform")
                        .with_help(format!("`apply` runs the steps of a transform: write `apply({name})` with a transform's name")),
                );
                return None;
            }
        };
        let reads = self.table_schema(info.input.id).clone();
        let output = info.schema.clone();
        let joins = info.joins.clone();
        let mut mentioned = BTreeSet::new();
        if let ast::ItemKind::Transform(decl) = &self.resolved.item(found.block).kind {
            for step in &decl.steps {
                let listed = matches!(step.name.name.as_str(), "drop" | "select");
                for arg in step.args.iter().flatten() {
                    if !(listed && arg.name.is_none()) {
                        mentions(&arg.value, &mut mentioned);
                    }
                }
            }
        }
        let mut fits = true;
        // A column the steps never read and that does not reach the output
        // (dropped, or left out by a `select`) may be missing.
        let needed: Vec<&Column> = reads
            .columns
            .iter()
            .filter(|c| output.get(&c.name).is_some() || mentioned.contains(&*c.name))
            .collect();
        for wanted in &needed {
            let problem = match schema.get(&wanted.name) {
                None => Some(format!("the table has no column `{}`", wanted.name)),
                Some(have) if !reads_as(&have.ty, &wanted.ty) => Some(format!(
                    "the column `{}` is {} here, `{name}` read {}",
                    wanted.name,
                    have.type_text(),
                    wanted.type_text()
                )),
                Some(have) if have.nullable && !wanted.nullable => Some(format!(
                    "the column `{}` may be null here, `{name}` read {}",
                    wanted.name,
                    wanted.type_text()
                )),
                Some(_) => None,
            };
            if let Some(problem) = problem {
                fits = false;
                self.diags.push(
                    Diagnostic::error(codes::APPLY_SCHEMA, problem)
                        .with_label(
                            ctx.file,
                            arg.value.span,
                            format!("`{name}` reads `{}: {}`", wanted.name, wanted.type_text()),
                        )
                        .with_help(format!(
                            "`apply({name})` needs every column `{name}` reads, with its type: {}",
                            needed
                                .iter()
                                .map(|c| format!("{}: {}", c.name, c.type_text()))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                );
            }
        }
        if !fits {
            return None;
        }
        for c in schema.names() {
            if output.get(c).is_none() {
                removed.insert(
                    c.to_string(),
                    Removal {
                        step: "apply".into(),
                        block: ctx.block.to_string(),
                        file: ctx.file,
                        span: step.span,
                    },
                );
            }
        }
        // The output is `name`'s, with the tags this table's own columns
        // carry (a `pii` column stays one).
        let mut next = output;
        for col in &mut next.columns {
            if let Some(have) = schema.get(&col.name) {
                col.tags.extend(&have.tags);
            }
        }
        *schema = next;
        Some((name, joins))
    }

    fn join(
        &mut self,
        ctx: &StepCtx,
        step: &ast::OpCall,
        positional: &[&ast::Arg],
        named: &[&ast::Arg],
        schema: &mut Schema,
    ) {
        let Some(other_arg) = positional.first() else {
            let d = self
                .bad_args(
                    ctx,
                    step.span,
                    "`join` needs the table to join".into(),
                    "no table given",
                )
                .with_help("write `join(other_table, on = [id], how = left)`");
            self.diags.push(d);
            return;
        };
        let Some(other) = self.table_ref_expr(ctx.module, ctx.file, &other_arg.value) else {
            return;
        };
        if self.table_facts(&other).is_none() {
            return;
        }
        let right = self.table_schema(other.id).clone();
        let how = named
            .iter()
            .find(|a| a.name.as_ref().is_some_and(|n| n.name == "how"));
        let how = match how {
            Some(a) => self
                .value(
                    ctx.module,
                    ctx.file,
                    &a.value,
                    super::values::Expect::Choice(&["inner", "left"]),
                )
                .map(|v| match v {
                    super::types::Value::Word(w) => w.word,
                    super::types::Value::Str(s) => s,
                    _ => String::new(),
                })
                .unwrap_or_default(),
            None => "inner".to_string(),
        };
        let on = named
            .iter()
            .find(|a| a.name.as_ref().is_some_and(|n| n.name == "on"));
        let keys: Vec<&ast::Ident> = match on.map(|a| &a.value.kind) {
            Some(ExprKind::List(items)) => items
                .iter()
                .filter_map(|i| match &i.kind {
                    ExprKind::Name(n) => Some(n),
                    _ => None,
                })
                .collect(),
            Some(ExprKind::Name(n)) => vec![n],
            _ => {
                let d = self
                    .bad_args(
                        ctx,
                        step.span,
                        "`join` needs its keys: `on = [...]`".into(),
                        "missing `on`",
                    )
                    .with_help("write `join(other, on = [id])`");
                self.diags.push(d);
                return;
            }
        };
        let mut ok = true;
        for key in &keys {
            let (l, r) = (schema.get(&key.name), right.get(&key.name));
            match (l, r) {
                (Some(l), Some(r)) if l.ty == r.ty => {}
                (Some(l), Some(r)) => {
                    ok = false;
                    self.diags.push(
                        Diagnostic::error(
                            codes::JOIN_KEYS,
                            format!(
                                "join key `{}` is {} on the left and {} on the right",
                                key.name,
                                l.type_text(),
                                r.type_text()
                            ),
                        )
                        .with_label(ctx.file, key.span, "types differ")
                        .with_help(format!(
                            "`cast` one side so both are the same type: `cast({}, {})`",
                            key.name,
                            l.ty.word()
                        )),
                    );
                }
                (left, _) => {
                    ok = false;
                    let side = if left.is_none() {
                        "this table"
                    } else {
                        "the joined table"
                    };
                    self.diags.push(
                        Diagnostic::error(
                            codes::JOIN_KEYS,
                            format!("join key `{}` is not a column of {side}", key.name),
                        )
                        .with_label(ctx.file, key.span, format!("missing from {side}"))
                        .with_help("join on columns present in both tables"),
                    );
                }
            }
        }
        if !ok {
            return;
        }
        for key in &keys {
            let right_tags = right
                .get(&key.name)
                .map(|c| c.tags.clone())
                .unwrap_or_default();
            if let Some(col) = schema.get_mut(&key.name) {
                col.tags.extend(&right_tags);
            }
        }
        for col in &right.columns {
            if keys.iter().any(|k| *k.name == *col.name) {
                continue;
            }
            if schema.get(&col.name).is_some() {
                self.diags.push(
                    Diagnostic::error(
                        codes::DUPLICATE_COLUMN,
                        format!("both tables of the join have a column `{}`", col.name),
                    )
                    .with_label(
                        ctx.file,
                        other_arg.span,
                        format!("`{}` is also a column of this table", col.name),
                    )
                    .with_help(format!(
                        "rename or drop `{}` on one side before joining",
                        col.name
                    )),
                );
                continue;
            }
            let mut col = col.clone();
            col.nullable |= how == "left";
            schema.columns.push(col);
        }
    }

    pub(super) fn table_facts(
        &self,
        table: &super::program::TableRef,
    ) -> Option<&std::rc::Rc<TableFacts>> {
        table.id.and_then(|id| self.tables.get(&id))
    }
}

/// The names an argument mentions: the columns (or params) it may read.
fn mentions(expr: &ast::Expr, out: &mut BTreeSet<String>) {
    match &expr.kind {
        ExprKind::Name(id) => {
            out.insert(id.name.to_string());
        }
        ExprKind::Member { base, .. } => mentions(base, out),
        ExprKind::Call { args, .. } => {
            for arg in args {
                mentions(&arg.value, out);
            }
        }
        ExprKind::List(items) => {
            for item in items {
                mentions(item, out);
            }
        }
        ExprKind::Record(fields) => {
            for field in fields {
                mentions(&field.value, out);
            }
        }
        ExprKind::Range { lo, hi } => {
            mentions(lo, out);
            mentions(hi, out);
        }
        ExprKind::Unary { operand, .. } => mentions(operand, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            mentions(lhs, out);
            mentions(rhs, out);
        }
        ExprKind::Paren(inner) => mentions(inner, out),
        ExprKind::Number(_) | ExprKind::Str(_) | ExprKind::Bool(_) => {}
    }
}

/// Whether a column of type `have` is what a step that read `wanted`
/// expects: the same type, or an enum with some of its variants.
fn reads_as(have: &ColumnType, wanted: &ColumnType) -> bool {
    match (have, wanted) {
        (ColumnType::Enum(have), ColumnType::Enum(wanted)) => {
            have.iter().all(|v| wanted.contains(v))
        }
        _ => have == wanted,
    }
}

pub(super) fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// The name of the column `one_hot(column)` makes for `variant`.
pub fn one_hot_column(column: &str, variant: &str) -> String {
    format!(
        "{column}_{}",
        variant.replace(|ch: char| !ch.is_ascii_alphanumeric(), "_")
    )
}

/// The columns of `schema` that are not null wherever `expr` is true
/// (added to `out`): `x > 0`, `not is_null(x)`, `x in 1..5` need `x`;
/// `a and b` needs what either needs, `a or b` what both need.
fn non_null_when_true(expr: &ast::Expr, schema: &Schema, out: &mut BTreeSet<String>) {
    use ast::{BinaryOp, ExprKind, UnaryOp};
    match &expr.kind {
        ExprKind::Paren(inner) => non_null_when_true(inner, schema, out),
        ExprKind::Binary {
            op: BinaryOp::And,
            lhs,
            rhs,
        } => {
            non_null_when_true(lhs, schema, out);
            non_null_when_true(rhs, schema, out);
        }
        ExprKind::Binary {
            op: BinaryOp::Or,
            lhs,
            rhs,
        } => {
            let (mut left, mut right) = (BTreeSet::new(), BTreeSet::new());
            non_null_when_true(lhs, schema, &mut left);
            non_null_when_true(rhs, schema, &mut right);
            out.extend(left.intersection(&right).cloned());
        }
        ExprKind::Unary {
            op: UnaryOp::Not,
            operand,
        } => match is_null_of(operand) {
            Some(column) if schema.get(column).is_some() => {
                out.insert(column.to_string());
            }
            // `not x` is true where `x` is false: not null.
            _ => null_if_null(operand, schema, out),
        },
        _ if is_null_of(expr).is_some() => {}
        _ => null_if_null(expr, schema, out),
    }
}

/// `c` when `expr` is `is_null(c)`.
fn is_null_of(expr: &ast::Expr) -> Option<&str> {
    match &expr.kind {
        ast::ExprKind::Paren(inner) => is_null_of(inner),
        ast::ExprKind::Call { callee, args } => match (&callee.kind, args.as_slice()) {
            (ast::ExprKind::Name(f), [arg]) if f.name == "is_null" => match &arg.value.kind {
                ast::ExprKind::Name(c) => Some(&c.name),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// The columns whose null makes `expr` null (added to `out`): operands of
/// arithmetic, comparisons, membership and the functions other than
/// `is_null` and `coalesce`; `and`/`or` are not among them (`null and
/// false` is false).
fn null_if_null(expr: &ast::Expr, schema: &Schema, out: &mut BTreeSet<String>) {
    use ast::{BinaryOp, ExprKind};
    match &expr.kind {
        ExprKind::Name(id) if schema.get(&id.name).is_some() => {
            out.insert(id.name.clone());
        }
        ExprKind::Paren(inner) | ExprKind::Unary { operand: inner, .. } => {
            null_if_null(inner, schema, out)
        }
        ExprKind::Binary {
            op: BinaryOp::And | BinaryOp::Or,
            ..
        } => {}
        ExprKind::Binary {
            op: BinaryOp::In | BinaryOp::NotIn,
            lhs,
            ..
        } => null_if_null(lhs, schema, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            null_if_null(lhs, schema, out);
            null_if_null(rhs, schema, out);
        }
        ExprKind::Call { callee, args } => {
            let strict = matches!(&callee.kind, ExprKind::Name(f) if f.name != "is_null" && f.name != "coalesce");
            if strict {
                for arg in args {
                    null_if_null(&arg.value, schema, out);
                }
            }
        }
        _ => {}
    }
}
