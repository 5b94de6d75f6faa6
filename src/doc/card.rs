//! A model card: the sections of Mitchell et al. (2019), then the
//! approvals of the deployments that serve the model.

use super::facts::{self, number, table_name, value_text};
use super::render::{Doc, Node, Section, Text};
use super::Inputs;
use crate::check::catalog::{self, HyperDefault};
use crate::check::{Block, BlockInfo, ModelInfo, Program};

pub fn card(inputs: &Inputs, block: &Block, model: &ModelInfo) -> Doc {
    let program = inputs.ctx.program;
    let pipeline = facts::pipeline_name(program);
    let mut lead = Text::plain("Model card of ")
        .and_code(&block.name)
        .and(", a model of the pipeline ")
        .and_code(&pipeline);
    if let Some(version) = facts::pipeline_text(program, "version") {
        lead = lead.and(format!(" (version {version})"));
    }
    lead = lead
        .and(", in the sections of Mitchell et al., Model Cards for Model Reporting (FAT* 2019).");
    Doc {
        title: format!("Model card: {}", block.name),
        lead: vec![lead, inputs.provenance()],
        sections: vec![
            details(inputs, block, model),
            intended_use(inputs, block),
            factors(inputs, block, model),
            metrics(inputs, block),
            evaluation_data(inputs, block),
            training_data(inputs, block, model),
            ethics(inputs, block, model),
            caveats(inputs, block),
            approvals(inputs, block),
        ],
    }
}

/// A pipeline text field, or what to write to state it.
pub(super) fn stated(program: &Program, field: &str) -> Text {
    match facts::pipeline_text(program, field) {
        Some(text) => Text::plain(text),
        None => Text::plain("not stated (write ")
            .and_code(format!("{field} = \"...\""))
            .and(" in the ")
            .and_code("pipeline")
            .and(" block)"),
    }
}

fn not_run() -> Text {
    Text::plain("not run yet")
}

fn details(inputs: &Inputs, block: &Block, model: &ModelInfo) -> Section {
    let program = inputs.ctx.program;
    let catalog = catalog::get();
    let algorithm = catalog.algorithm(&model.algorithm);
    let mut s = Section::new("Model details");
    let mut fields = vec![("Name".to_string(), Text::code(&block.name))];
    fields.push((
        "Description".into(),
        match &block.doc {
            Some(doc) => Text::marked(doc),
            None => Text::plain("none (no ")
                .and_code("///")
                .and(" comment above the block)"),
        },
    ));
    let mut what = Text::code(&model.algorithm);
    if let Some(a) = algorithm {
        what = what.and(format!(", a {}", a.kind.as_str()));
        let mut traits = Vec::new();
        if a.binary_only {
            traits.push("two classes only");
        }
        if a.probabilities {
            traits.push("gives class probabilities");
        }
        if !traits.is_empty() {
            what = what.and(format!(" ({})", traits.join(", ")));
        }
    }
    fields.push(("Algorithm".into(), what));
    fields.push(("Target".into(), target(model)));
    fields.push((
        "Features".into(),
        Text::plain(format!("{} columns: ", model.features.len()))
            .and_text(Text::codes(&model.features, "none")),
    ));
    fields.push((
        "Training table".into(),
        model
            .data
            .as_ref()
            .map_or_else(|| Text::plain("none"), |d| Text::code(table_name(d))),
    ));
    if !block.params.is_empty() {
        let mut text = Text::default();
        for (i, name) in block.params.iter().enumerate() {
            if i > 0 {
                text = text.and(", ");
            }
            let value = program
                .params
                .iter()
                .find(|p| p.name == *name)
                .and_then(|p| p.value.as_ref())
                .map_or_else(|| "no value".to_string(), value_text);
            text = text.and_code(name).and(format!(" = {value}"));
        }
        fields.push(("Parameters read".into(), text));
    }
    let mut pipeline = Text::code(facts::pipeline_name(program));
    if let Some(version) = facts::pipeline_text(program, "version") {
        pipeline = pipeline.and(format!(", version {version}"));
    }
    fields.push(("Pipeline".into(), pipeline));
    fields.push(("Owner".into(), stated(program, "owner")));
    fields.push(("Provider".into(), stated(program, "provider")));
    fields.push(("Risk tier".into(), Text::plain(facts::risk(program))));
    fields.push(("Trained".into(), trained(inputs, block)));
    let served: Vec<Text> = facts::deployments_of(program, &block.name)
        .map(|(b, d)| Text::code(&b.name).and(format!(" ({})", d.target)))
        .collect();
    fields.push((
        "Served by".into(),
        if served.is_empty() {
            Text::plain("no deployment")
        } else {
            join(served)
        },
    ));
    fields.push(("Card date".into(), Text::plain(inputs.date)));
    s.push(Node::Fields(fields));

    s.heading("Hyper-parameters");
    let Some(algorithm) = algorithm else {
        s.para("The catalogue does not know this algorithm.");
        return s;
    };
    if algorithm.hyper.is_empty() {
        s.para(Text::code(&algorithm.name).and(" has no hyper-parameter."));
        return s;
    }
    let rows = algorithm
        .hyper
        .iter()
        .map(|spec| {
            let (value, from) = match model.hyper.get(&spec.name) {
                Some(v) => (value_text(v), "set in the model block"),
                None => default_value(program, model, &spec.default),
            };
            vec![
                Text::code(&spec.name),
                Text::code(value),
                Text::plain(from),
                Text::plain(&spec.meaning),
            ]
        })
        .collect();
    s.push(Node::Table(
        vec![
            "hyper-parameter".into(),
            "value".into(),
            "from".into(),
            "meaning".into(),
        ],
        rows,
    ));
    s
}

/// The value a hyper-parameter left unset takes, and where it comes from.
fn default_value(
    program: &Program,
    model: &ModelInfo,
    default: &HyperDefault,
) -> (String, &'static str) {
    match default {
        HyperDefault::SplitSeed => {
            let seed = model
                .data
                .as_ref()
                .and_then(|d| program.split_seed_upstream(d));
            match seed {
                Some(seed) => (seed.to_string(), "catalogue default: the split's seed"),
                None => ("0".to_string(), "catalogue default: no split upstream"),
            }
        }
        other => (other.to_string(), "catalogue default"),
    }
}

fn target(model: &ModelInfo) -> Text {
    let Some(target) = &model.target else {
        return Text::plain("none: a clusterer groups rows without a label");
    };
    let mut text = Text::code(target);
    if let Some(classes) = &model.classes {
        text = text
            .and(format!(", {} classes: ", classes.len()))
            .and_text(Text::codes(classes, "none"));
        if let [_, second] = classes.as_slice() {
            let positive = model.positive.as_ref().unwrap_or(second);
            text = text
                .and(" (the positive class of precision, recall, f1 and roc_auc: ")
                .and_code(positive)
                .and(")");
        }
    }
    text
}

fn trained(inputs: &Inputs, block: &Block) -> Text {
    let Some(run) = inputs.run else {
        return Text::plain("not trained yet: the pipeline has not run");
    };
    let Some(artifact) = run.models.get(&block.name) else {
        return Text::plain("not trained in run ").and_code(&run.id);
    };
    let mut text = Text::plain("in run ").and_code(&run.id);
    if let Some(started) = run.started() {
        text = text.and(format!(", started {started}"));
    }
    text = text.and(format!(", on {} rows; artifact ", artifact.trained_on.rows));
    text = text.and_code(format!("models/{}.json", block.name));
    if let Some(hash) = run.hashes.get(&block.name) {
        text = text.and(" (blake3 ").and_code(hash).and(")");
    }
    text
}

fn intended_use(inputs: &Inputs, block: &Block) -> Section {
    let program = inputs.ctx.program;
    let mut s = Section::new("Intended use");
    let mut fields = vec![
        (
            "Primary intended use".to_string(),
            stated(program, "intended_use"),
        ),
        ("Description".to_string(), stated(program, "description")),
        (
            "Out of scope".to_string(),
            match facts::pipeline_text(program, "limitations") {
                Some(_) => Text::plain("see the limitations under Caveats and recommendations"),
                None => Text::plain("not stated (write ")
                    .and_code("limitations = \"...\"")
                    .and(" in the ")
                    .and_code("pipeline")
                    .and(" block)"),
            },
        ),
    ];
    let served: Vec<Text> = facts::deployments_of(program, &block.name)
        .map(|(b, d)| {
            let mut t = Text::code(&b.name).and(format!(", a {} deployment", d.target));
            if let Some(image) = facts::block_text(b, "image") {
                t = t.and(" of ").and_code(image);
            }
            t
        })
        .collect();
    fields.push((
        "Deployment".to_string(),
        if served.is_empty() {
            Text::plain("not deployed: no deployment serves this model")
        } else {
            join(served)
        },
    ));
    if let Some(retrain) = program
        .pipeline
        .as_ref()
        .and_then(|p| p.fields.get("retrain"))
    {
        fields.push((
            "Retraining".to_string(),
            Text::plain("on the schedule ").and_code(value_text(retrain)),
        ));
    }
    s.push(Node::Fields(fields));
    s
}

fn join(texts: Vec<Text>) -> Text {
    let mut out = Text::default();
    for (i, t) in texts.into_iter().enumerate() {
        if i > 0 {
            out = out.and("; ");
        }
        out = out.and_text(t);
    }
    out
}

fn yes_no(b: bool) -> Text {
    Text::plain(if b { "yes" } else { "no" })
}

fn tagged_rows(tagged: &[facts::Tagged], with_tag: bool) -> Vec<Vec<Text>> {
    tagged
        .iter()
        .map(|t| {
            let mut row = vec![Text::code(&t.column)];
            if with_tag {
                row.push(Text::code(format!("@{}", t.tag)));
            }
            row.push(if t.derived {
                Text::plain("derived in ").and_code(&t.from)
            } else {
                Text::plain("source ").and_code(&t.from)
            });
            row.push(match &t.removed_by {
                Some((transform, step)) => Text::plain("no: removed by ")
                    .and_code(step)
                    .and(" in ")
                    .and_code(transform),
                None => yes_no(t.kept),
            });
            row.push(yes_no(t.feature));
            row
        })
        .collect()
}

fn factors(inputs: &Inputs, block: &Block, model: &ModelInfo) -> Section {
    let program = inputs.ctx.program;
    let mut s = Section::new("Factors");
    let sensitive: Vec<facts::Tagged> = facts::tagged_columns(program, model)
        .into_iter()
        .filter(|t| t.tag == "sensitive")
        .collect();
    s.heading("Protected attributes");
    if sensitive.is_empty() {
        s.para(
            Text::plain("No column upstream of ")
                .and_code(&block.name)
                .and(" is tagged ")
                .and_code("@sensitive")
                .and(": mlp knows of no protected attribute in its data. If the data holds one (age, sex, marital status, ...), tag it in the source's schema."),
        );
    } else {
        s.para(
            Text::plain("The columns tagged ")
                .and_code("@sensitive")
                .and(" upstream of ")
                .and_code(&block.name)
                .and(":"),
        );
        s.push(Node::Table(
            vec![
                "column".into(),
                "declared in".into(),
                "in the training table".into(),
                "feature".into(),
            ],
            tagged_rows(&sensitive, false),
        ));
    }
    s.heading("Evaluation groups");
    let grouped: Vec<Text> = facts::evaluations(program, &block.name)
        .filter_map(|(b, e)| {
            Some(
                Text::code(&b.name)
                    .and(" compares the groups of ")
                    .and_code(e.groups.as_ref()?),
            )
        })
        .collect();
    if grouped.is_empty() {
        s.para(
            Text::plain("No evaluation of ")
                .and_code(&block.name)
                .and(" names ")
                .and_code("groups")
                .and(": its results are not broken down by group."),
        );
    } else {
        s.push(Node::List(grouped));
    }
    s
}

fn metrics(inputs: &Inputs, block: &Block) -> Section {
    let program = inputs.ctx.program;
    let catalog = catalog::get();
    let mut s = Section::new("Metrics");
    let evaluations: Vec<_> = facts::evaluations(program, &block.name).collect();
    if evaluations.is_empty() {
        s.para(
            Text::code(&block.name)
                .and(" is never evaluated: no ")
                .and_code("evaluate")
                .and(" block names it."),
        );
    }
    for (eval, info) in &evaluations {
        s.heading(eval.name.clone());
        let table = info.data.as_ref().map(table_name).unwrap_or_default();
        let key = inputs.run.and_then(|r| r.metrics_key(&block.name, &table));
        let values = key
            .as_ref()
            .and_then(|k| inputs.run.and_then(|r| r.metrics.models.get(k)));
        match (inputs.run, &values) {
            (None, _) => s.para("Not run yet: the values appear once the pipeline has run."),
            (Some(run), None) => s.para(
                Text::plain("Run ")
                    .and_code(&run.id)
                    .and(" has no result of this evaluation."),
            ),
            (Some(run), Some(_)) => {
                s.para(Text::plain("Values of run ").and_code(&run.id).and("."))
            }
        }
        let rows = info
            .metrics
            .iter()
            .map(|metric| {
                let spec = catalog.metric(metric);
                let value = match (inputs.run, values) {
                    (None, _) => not_run(),
                    (Some(_), None) => Text::plain("not computed"),
                    (Some(_), Some(values)) => match values.get(metric) {
                        Some(v) => Text::plain(number(*v)),
                        None if metric == "confusion_matrix" => Text::plain("below"),
                        None if metric.ends_with("_by_group") => Text::plain("per group, below"),
                        None => Text::plain("not computed"),
                    },
                };
                let better = match spec {
                    Some(m) if m.scalar && m.higher_is_better => "higher",
                    Some(m) if m.scalar => "lower",
                    _ => "—",
                };
                vec![Text::code(metric), value, Text::plain(better)]
            })
            .collect();
        s.push(Node::Table(
            vec!["metric".into(), "value".into(), "better".into()],
            rows,
        ));
        let (Some(run), Some(key)) = (inputs.run, key) else {
            continue;
        };
        if let Some(confusion) = run.metrics.confusion_matrices.get(&key) {
            s.para("Confusion matrix (rows: true class, columns: predicted class):");
            let mut head = vec!["true \\ predicted".to_string()];
            head.extend(confusion.labels.iter().cloned());
            let rows = confusion
                .labels
                .iter()
                .zip(&confusion.matrix)
                .map(|(label, counts)| {
                    let mut row = vec![Text::code(label)];
                    row.extend(counts.iter().map(|c| Text::plain(c.to_string())));
                    row
                })
                .collect();
            s.push(Node::Table(head, rows));
        }
        if let Some(groups) = run.metrics.groups.get(&key) {
            s.para(
                Text::plain("Per group of ")
                    .and_code(&groups.column)
                    .and(":"),
            );
            let mut names: Vec<String> = Vec::new();
            for g in &groups.groups {
                for name in g.metrics.keys() {
                    if !names.contains(name) {
                        names.push(name.clone());
                    }
                }
            }
            let mut head = vec!["group".to_string(), "rows".to_string()];
            head.extend(names.iter().cloned());
            let rows = groups
                .groups
                .iter()
                .map(|g| {
                    let mut row = vec![Text::code(&g.group), Text::plain(g.rows.to_string())];
                    row.extend(names.iter().map(|n| {
                        g.metrics
                            .get(n)
                            .map_or_else(|| Text::plain("—"), |v| Text::plain(number(*v)))
                    }));
                    row
                })
                .collect();
            s.push(Node::Table(head, rows));
        }
    }
    let gates = gates(inputs, block);
    if !gates.is_empty() {
        s.heading("Gates");
        s.para(
            Text::plain("The metric gates of the policies on ")
                .and_code(&block.name)
                .and(": an ")
                .and_code("error")
                .and(" gate that fails blocks the deployments that list its policy."),
        );
        s.push(Node::Table(
            vec![
                "policy".into(),
                "rule".into(),
                "severity".into(),
                "result".into(),
            ],
            gates,
        ));
    }
    s
}

/// The policies that gate a deployment of the model.
pub(super) fn gating_policies<'a>(program: &'a Program, model: &str) -> Vec<&'a str> {
    facts::deployments_of(program, model)
        .flat_map(|(_, d)| d.gates.iter().map(String::as_str))
        .collect()
}

/// Rows policy | rule | severity | result of the metric gates on `block`.
fn gates(inputs: &Inputs, block: &Block) -> Vec<Vec<Text>> {
    let program = inputs.ctx.program;
    let gating = gating_policies(program, &block.name);
    let mut rows = Vec::new();
    for policy in &program.blocks {
        let BlockInfo::Policy(info) = &policy.info else {
            continue;
        };
        for rule in &info.rules {
            let Some(gate) = &rule.gate else {
                continue;
            };
            let applies = gate.model == block.name
                || (gate.model == "model" && gating.contains(&policy.name.as_str()));
            if !applies {
                continue;
            }
            let result = match inputs.run {
                None => not_run(),
                Some(run) => {
                    let outcome = run.metrics.gates.iter().find(|g| {
                        g.policy == policy.name && g.model == block.name && g.rule == rule.text
                    });
                    match outcome {
                        None => Text::plain("not in this run"),
                        Some(g) if !g.evaluated => Text::plain("not evaluated"),
                        Some(g) => {
                            let value = g.value.map_or_else(|| "no value".into(), number);
                            let verdict = if g.passed { "passed" } else { "failed" };
                            match &g.error {
                                Some(error) => Text::plain(format!("{verdict}: {error}")),
                                None => Text::plain(format!("{verdict} (value {value})")),
                            }
                        }
                    }
                }
            };
            let mut rule_text = Text::code(&rule.text);
            if let Some(message) = &rule.message {
                rule_text = rule_text.and(format!(": {message}"));
            }
            rows.push(vec![
                Text::code(&policy.name),
                rule_text,
                Text::plain(&info.severity),
                result,
            ]);
        }
    }
    rows
}

/// The `test` part of the split `holdout` (20% of the rows, seed 42).
pub(super) fn split_text((part, split, how): (String, String, String)) -> Text {
    Text::plain("the ")
        .and_code(part)
        .and(" part of the split ")
        .and_code(split)
        .and(format!(" ({how})"))
}

fn evaluation_data(inputs: &Inputs, block: &Block) -> Section {
    let program = inputs.ctx.program;
    let mut s = Section::new("Evaluation data");
    let rows: Vec<Vec<Text>> = facts::evaluations(program, &block.name)
        .map(|(eval, info)| {
            let table = info.data.as_ref();
            let comes_from = table
                .and_then(|t| facts::split_words(program, t))
                .map_or_else(|| Text::plain("not a split part"), split_text);
            let rows = match inputs.run {
                None => not_run(),
                Some(run) => match run.rows.get(&eval.name) {
                    Some(Some(n)) => Text::plain(n.to_string()),
                    _ => Text::plain("not in this run"),
                },
            };
            vec![
                Text::code(&eval.name),
                table.map_or_else(Text::default, |t| Text::code(table_name(t))),
                comes_from,
                rows,
                info.groups
                    .as_ref()
                    .map_or_else(|| Text::plain("—"), Text::code),
            ]
        })
        .collect();
    if rows.is_empty() {
        s.para(Text::code(&block.name).and(" is evaluated on no table."));
    } else {
        s.push(Node::Table(
            vec![
                "evaluation".into(),
                "table".into(),
                "rows from".into(),
                "rows".into(),
                "groups".into(),
            ],
            rows,
        ));
        if inputs.run.is_some()
            && facts::evaluations(program, &block.name).any(|(_, e)| e.groups.is_some())
        {
            s.para("The rows of each group are under Metrics.");
        }
    }
    s
}

/// `source`, `transform of holdout`, ...: what a lineage block is.
pub(super) fn stage_kind(block: &Block) -> Text {
    match &block.info {
        BlockInfo::Source(s) => Text::plain(format!("source ({})", s.format)),
        BlockInfo::Transform(t) => Text::plain("transform of ").and_code(table_name(&t.input)),
        BlockInfo::Split(s) => Text::plain("split of ").and_code(table_name(&s.input)),
        other => Text::plain(other.kind_name()),
    }
}

/// What a lineage block does, as written.
pub(super) fn stage_definition(block: &Block) -> Text {
    match &block.info {
        BlockInfo::Source(_) => match facts::block_text(block, "path") {
            Some(path) => Text::plain("reads ").and_code(path),
            None => Text::default(),
        },
        BlockInfo::Transform(t) => {
            let steps = t
                .steps
                .iter()
                .map(|step| {
                    let text = Text::code(format!("{}{}", step.op, step.args));
                    if step.fitted {
                        text.and(" (fitted on the training rows)")
                    } else {
                        text
                    }
                })
                .collect();
            join(steps)
        }
        BlockInfo::Split(split) => {
            if let Some(by) = &split.by {
                return Text::plain(format!("{} by the value of ", by.parts.join(", ")))
                    .and_code(&by.column);
            }
            let parts: Vec<String> = split
                .parts
                .iter()
                .map(|(part, f)| format!("{part} {}%", (f * 1000.0).round() / 10.0))
                .collect();
            let mut text = match &split.order_by {
                Some(_) => Text::plain(parts.join(", ")),
                None => Text::plain(format!(
                    "{}, seed {}",
                    parts.join(", "),
                    split.seed.unwrap_or(0)
                )),
            };
            if let Some(column) = &split.stratify {
                text = text.and(", stratified on ").and_code(column);
            }
            if let Some(column) = &split.group {
                text = text.and(", whole groups of ").and_code(column);
            }
            if let Some(column) = &split.order_by {
                text = text
                    .and(", the last rows by ")
                    .and_code(column)
                    .and(" held out");
            }
            text
        }
        _ => Text::default(),
    }
}

pub(super) fn schema_rows(schema: &crate::check::types::Schema) -> Vec<Vec<Text>> {
    schema
        .columns
        .iter()
        .map(|c| {
            let tags: Vec<String> = c.tags.iter().map(|t| format!("@{t}")).collect();
            vec![
                Text::code(&*c.name),
                Text::code(c.type_text()),
                Text::codes(&tags, "—"),
            ]
        })
        .collect()
}

/// The sources upstream of a table: format, path, origin, purpose,
/// expectations and schema.
pub(super) fn sources(inputs: &Inputs, lineage: &[&Block], minor: bool, s: &mut Section) {
    for block in lineage {
        let BlockInfo::Source(source) = &block.info else {
            continue;
        };
        let title = format!("Source {}", block.name);
        s.push(if minor {
            Node::Minor(title)
        } else {
            Node::Heading(title)
        });
        let provenance = |field: &str| match facts::block_text(block, field) {
            Some(text) => Text::plain(text),
            None => Text::plain("not recorded (write ")
                .and_code(format!("{field} = \"...\""))
                .and(" in the source)"),
        };
        let mut fields = vec![
            ("Format".to_string(), Text::plain(&source.format)),
            (
                "Path".to_string(),
                facts::block_text(block, "path").map_or_else(Text::default, Text::code),
            ),
            ("Origin".to_string(), provenance("origin")),
            ("Purpose".to_string(), provenance("purpose")),
            (
                "Expectations".to_string(),
                Text::codes(&source.expect, "none declared"),
            ),
        ];
        if let Some(doc) = &block.doc {
            fields.insert(0, ("Description".to_string(), Text::marked(doc)));
        }
        if let Some(run) = inputs.run {
            let rows = match run.rows.get(&block.name) {
                Some(Some(n)) => Text::plain(format!("{n} in run ")).and_code(&run.id),
                _ => Text::plain("not in this run"),
            };
            fields.push(("Rows".to_string(), rows));
        }
        s.push(Node::Fields(fields));
        s.push(Node::Table(
            vec!["column".into(), "type".into(), "tags".into()],
            schema_rows(&source.schema),
        ));
    }
}

fn training_data(inputs: &Inputs, block: &Block, model: &ModelInfo) -> Section {
    let program = inputs.ctx.program;
    let mut s = Section::new("Training data");
    let Some(data) = &model.data else {
        s.para("The model names no training table.");
        return s;
    };
    let artifact = inputs.run.and_then(|r| r.models.get(&block.name));
    let mut fields = vec![("Training table".to_string(), Text::code(table_name(data)))];
    if let Some(words) = facts::split_words(program, data) {
        fields.push(("Rows from".to_string(), split_text(words)));
    }
    fields.push((
        "Rows".to_string(),
        match (inputs.run, artifact) {
            (None, _) => not_run(),
            (Some(_), None) => Text::plain("not trained in this run"),
            (Some(_), Some(a)) => Text::plain(a.trained_on.rows.to_string()),
        },
    ));
    if let Some(a) = artifact {
        fields.push((
            "Hash of the training rows".to_string(),
            Text::code(&a.trained_on.hash),
        ));
        let files: Vec<Text> = a
            .source_files
            .iter()
            .map(|(file, hash)| Text::code(file).and(" (").and_code(hash).and(")"))
            .collect();
        if !files.is_empty() {
            fields.push(("Source files".to_string(), join(files)));
        }
    }
    s.push(Node::Fields(fields));

    let lineage = facts::lineage(program, data);
    s.heading("Lineage");
    s.para("From the sources to the training table, in order:");
    let rows = lineage
        .iter()
        .map(|b| {
            let rows = match inputs.run {
                None => not_run(),
                Some(run) => match run.rows.get(&b.name) {
                    Some(Some(n)) => Text::plain(n.to_string()),
                    _ => Text::plain("—"),
                },
            };
            vec![
                Text::code(&b.name),
                stage_kind(b),
                stage_definition(b),
                rows,
            ]
        })
        .collect();
    s.push(Node::Table(
        vec![
            "stage".into(),
            "kind".into(),
            "definition".into(),
            "rows".into(),
        ],
        rows,
    ));
    sources(inputs, &lineage, false, &mut s);
    if let Some(schema) = facts::schema(program, data) {
        s.heading(format!("Training table {}", table_name(data)));
        let rows = schema
            .columns
            .iter()
            .zip(schema_rows(schema))
            .map(|(c, mut row)| {
                let role = if model.target.as_deref() == Some(&*c.name) {
                    "target"
                } else if model.features.iter().any(|f| *f == *c.name) {
                    "feature"
                } else {
                    "not used"
                };
                row.push(Text::plain(role));
                row
            })
            .collect();
        s.push(Node::Table(
            vec!["column".into(), "type".into(), "tags".into(), "role".into()],
            rows,
        ));
    }
    s
}

fn ethics(inputs: &Inputs, block: &Block, model: &ModelInfo) -> Section {
    let program = inputs.ctx.program;
    let mut s = Section::new("Ethical considerations");
    s.heading("Personal and protected data");
    let tagged = facts::tagged_columns(program, model);
    if tagged.is_empty() {
        s.para(
            Text::plain("No column upstream of ")
                .and_code(&block.name)
                .and(" is tagged ")
                .and_code("@pii")
                .and(" or ")
                .and_code("@sensitive")
                .and("."),
        );
    } else {
        s.push(Node::Table(
            vec![
                "column".into(),
                "tag".into(),
                "declared in".into(),
                "in the training table".into(),
                "feature".into(),
            ],
            tagged_rows(&tagged, true),
        ));
    }
    let mut verdicts = Vec::new();
    for (tag, what) in [
        ("pii", "personal data"),
        ("sensitive", "protected attribute"),
    ] {
        let features: Vec<String> = tagged
            .iter()
            .filter(|t| t.tag == tag && t.feature)
            .map(|t| t.column.clone())
            .collect();
        verdicts.push(if model.feature_tags.contains(tag) {
            let text = Text::plain(format!("{what} reaches the features of "))
                .and_code(&block.name)
                .and(": ");
            if features.is_empty() {
                text.and("a feature carries ")
                    .and_code(format!("@{tag}"))
                    .and(".")
            } else {
                text.and_text(Text::codes(&features, "")).and(".")
            }
        } else {
            Text::plain(format!("No {what} (column tagged "))
                .and_code(format!("@{tag}"))
                .and(") reaches the features of ")
                .and_code(&block.name)
                .and(".")
        });
    }
    s.push(Node::List(verdicts));

    let rules = tag_rules(program, &block.name);
    if !rules.is_empty() {
        s.heading("Policy rules on its data");
        s.push(Node::Table(
            vec!["policy".into(), "rule".into(), "severity".into()],
            rules,
        ));
    }

    s.heading("Lint findings");
    findings(inputs, &mut s);
    s
}

/// The static `deny`/`require` rules of the policies on the model's data.
fn tag_rules(program: &Program, model: &str) -> Vec<Vec<Text>> {
    let gating = gating_policies(program, model);
    let mut rows = Vec::new();
    for policy in &program.blocks {
        let BlockInfo::Policy(info) = &policy.info else {
            continue;
        };
        for rule in &info.rules {
            if rule.gate.is_some() || rule.lint_rule.is_some() || rule.rule == "approval" {
                continue;
            }
            let on_it = rule.text.contains(&format!("{model}.features"))
                || (rule.text.contains("model.features") && gating.contains(&policy.name.as_str()));
            if !on_it {
                continue;
            }
            let mut text = Text::code(format!("{} {}", rule.rule, rule.text));
            if let Some(message) = &rule.message {
                text = text.and(format!(": {message}"));
            }
            rows.push(vec![
                Text::code(&policy.name),
                text,
                Text::plain(&info.severity),
            ]);
        }
    }
    rows
}

/// The pipeline's lint findings, waived ones with their reasons.
pub(super) fn findings(inputs: &Inputs, s: &mut Section) {
    if inputs.findings.is_empty() {
        s.para(Text::code("mlp lint").and(" finds nothing in this pipeline."));
        return;
    }
    let waived = inputs
        .findings
        .iter()
        .filter(|f| f.waiver.is_some())
        .count();
    s.para(Text::plain("What ").and_code("mlp lint").and(format!(
        " reports for the pipeline: {} finding(s), {waived} of them waived.",
        inputs.findings.len()
    )));
    let rows = inputs
        .findings
        .iter()
        .map(|f| {
            let d = &f.diagnostic;
            vec![
                Text::code(d.code.0),
                Text::plain(d.severity.as_str()),
                Text::marked(&d.message),
                Text::code(inputs.position(d)),
                match &f.waiver {
                    Some(w) => Text::plain("waived: ").and(&w.reason),
                    None => Text::plain("not waived"),
                },
            ]
        })
        .collect();
    s.push(Node::Table(
        vec![
            "rule".into(),
            "severity".into(),
            "finding".into(),
            "at".into(),
            "waiver".into(),
        ],
        rows,
    ));
}

fn caveats(inputs: &Inputs, block: &Block) -> Section {
    let program = inputs.ctx.program;
    let mut s = Section::new("Caveats and recommendations");
    let mut fields = vec![
        ("Limitations".to_string(), stated(program, "limitations")),
        (
            "Residual risks".to_string(),
            stated(program, "residual_risks"),
        ),
    ];
    for (deploy, info) in facts::deployments_of(program, &block.name) {
        fields.push((
            format!("Monitoring of {}", deploy.name),
            if info.monitor.is_empty() {
                Text::plain("none (no ")
                    .and_code("monitor")
                    .and(" block in the deployment)")
            } else {
                Text::codes(&info.monitor, "")
            },
        ));
    }
    s.push(Node::Fields(fields));
    s
}

fn approvals(inputs: &Inputs, block: &Block) -> Section {
    let ctx = inputs.ctx;
    let program = ctx.program;
    let mut s = Section::new("Approvals");
    let deployments: Vec<_> = facts::deployments_of(program, &block.name).collect();
    if deployments.is_empty() {
        s.para(
            Text::code(&block.name)
                .and(" is not deployed: no deployment serves it, so no approval applies."),
        );
        return s;
    }
    for (deploy, info) in deployments {
        s.heading(format!("{} ({})", deploy.name, info.target));
        s.para(approval_rules(inputs, deploy, info));
        s.push(approval_records(inputs, &deploy.name, &block.name));
    }
    s
}

/// Whether an approval is required to deploy, and by which rules.
pub(super) fn approval_rules(
    inputs: &Inputs,
    deploy: &Block,
    info: &crate::check::DeployInfo,
) -> Text {
    let program = inputs.ctx.program;
    let required = crate::lint::facts::approval_required(inputs.ctx, deploy, info);
    let short = deploy.name.rsplit('.').next().unwrap_or(&deploy.name);
    let mut rules = Vec::new();
    for policy in &program.blocks {
        let BlockInfo::Policy(p) = &policy.info else {
            continue;
        };
        for rule in p.rules.iter().filter(|r| r.rule == "approval") {
            let target = rule.text.split_whitespace().next().unwrap_or("");
            let covers = target == format!("deploy.{short}")
                || (target == "deploy" && info.gates.contains(&policy.name));
            if covers {
                let mut t = Text::code(format!("require approval for {}", rule.text))
                    .and(" in ")
                    .and_code(&policy.name);
                if let Some(m) = &rule.message {
                    t = t.and(format!(" ({m})"));
                }
                rules.push(t);
            }
        }
    }
    let head = if required {
        Text::plain("A recorded human approval is required to deploy it")
    } else {
        Text::plain("No rule requires an approval to deploy it for this risk tier")
    };
    if rules.is_empty() {
        head.and(".")
    } else {
        head.and(": ").and_text(join(rules)).and(".")
    }
}

/// The approval records of `deploy` for `model`, and whether each is for
/// the artifact of the run.
pub(super) fn approval_records(inputs: &Inputs, deploy: &str, model: &str) -> Node {
    let records: Vec<_> = inputs
        .ctx
        .approvals
        .iter()
        .filter(|a| a.deploy == deploy && a.model == model)
        .collect();
    if records.is_empty() {
        return Node::Para(
            Text::plain("No approval is recorded (")
                .and_code(format!(
                    "mlp approve PATH --deploy {deploy} --by EMAIL --reason \"...\""
                ))
                .and(" records one under ")
                .and_code("approvals/")
                .and(")."),
        );
    }
    let rows = records
        .iter()
        .map(|a| {
            let matches = match inputs.run {
                None => Text::plain("no run to compare with"),
                Some(run) => match run.hashes.get(model) {
                    Some(hash) if *hash == a.model_hash => {
                        Text::plain("yes: the model of run ").and_code(&run.id)
                    }
                    Some(_) => Text::plain("no: run ")
                        .and_code(&run.id)
                        .and(" has another model (retrained since)"),
                    None => Text::plain("no model of that name in run ").and_code(&run.id),
                },
            };
            vec![
                Text::plain(&a.by),
                Text::plain(&a.at),
                Text::plain(&a.reason),
                Text::code(a.model_hash.chars().take(12).collect::<String>()),
                Text::code(&a.run),
                matches,
            ]
        })
        .collect();
    Node::Table(
        vec![
            "by".into(),
            "at".into(),
            "reason".into(),
            "model hash".into(),
            "run".into(),
            "matches the run's artifact".into(),
        ],
        rows,
    )
}
