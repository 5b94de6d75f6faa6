//! `positive = "CLASS"` in a `model` block: the class that precision,
//! recall, f1, roc_auc and the fairness metrics of its evaluations treat as
//! the positive one. Without it, the target's second class.

use super::program::ModelInfo;
use super::types::{ModelKind, Value};
use super::Checker;
use crate::diagnostics::{codes, did_you_mean, Diagnostic};
use crate::source::FileId;
use crate::syntax::ast;
use std::collections::BTreeMap;

impl Checker<'_> {
    /// Keeps the `positive` of `body` in `info` when it names one of the two
    /// classes of the model's target; says why not otherwise. The field's
    /// type was checked with the others (`fields`): a value that is not a
    /// string is not in `fields`.
    pub(super) fn positive_class(
        &mut self,
        file: FileId,
        body: &ast::Body,
        fields: &BTreeMap<String, Value>,
        info: &mut ModelInfo,
    ) {
        let (Some(Value::Str(class)), Some(field)) =
            (fields.get("positive"), body.field("positive"))
        else {
            return;
        };
        let span = field.value.span;
        let refuse = |message: String, label: String, help: String| {
            Diagnostic::error(codes::POSITIVE_CLASS, message)
                .with_label(file, span, label)
                .with_help(help)
        };
        if let Some(kind) = info.model_kind.filter(|k| *k != ModelKind::Classifier) {
            self.diags.push(refuse(
                format!(
                    "`positive` names a class, but `{}` is a {}",
                    info.algorithm,
                    kind.as_str()
                ),
                "only for a classifier".to_string(),
                "remove `positive`: a model without classes has no positive one".to_string(),
            ));
            return;
        }
        // A target that failed its own checks has no classes: said there.
        let Some(classes) = &info.classes else {
            return;
        };
        let target = info.target.as_deref().unwrap_or("the target");
        if classes.len() != 2 {
            self.diags.push(refuse(
                format!(
                    "`positive` is for two classes, the target `{target}` has {}",
                    classes.len()
                ),
                format!("{} classes", classes.len()),
                "remove `positive` and use precision_macro, recall_macro and f1_macro, which weigh every class alike".to_string(),
            ));
            return;
        }
        if classes.contains(class) {
            info.positive = Some(class.clone());
            return;
        }
        let message = format!(
            "{class:?} is not a class of the target `{target}` ({})",
            classes.join(", ")
        );
        let d = match did_you_mean(class, classes.iter().map(String::as_str)) {
            Some(near) => Diagnostic::error(codes::POSITIVE_CLASS, message)
                .with_label(file, span, "not a class")
                .with_correction(file, span, &format!("{near:?}")),
            None => refuse(
                message,
                "not a class".to_string(),
                format!("write {:?} or {:?}", classes[0], classes[1]),
            ),
        };
        self.diags.push(d);
    }
}
