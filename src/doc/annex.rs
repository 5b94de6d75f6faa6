//! An outline of the technical documentation of Annex IV of the EU AI Act
//! (Regulation (EU) 2024/1689), for a pipeline of risk tier `high`: its
//! nine sections, filled in from the pipeline and the run where they can
//! be, and `TO COMPLETE` where a person must write.

use super::card::{
    approval_records, approval_rules, findings, schema_rows, sources, stage_definition, stage_kind,
    stated,
};
use super::facts::{self, number, table_name, value_text};
use super::render::{Doc, Node, Section, Text};
use super::Inputs;
use crate::check::{Block, BlockInfo, Program};
use crate::lint::ObligationStatus;

pub fn annex(inputs: &Inputs) -> Doc {
    let program = inputs.ctx.program;
    let pipeline = facts::pipeline_name(program);
    let lead = Text::plain("An outline of the technical documentation that Article 11 and Annex IV of the EU AI Act (Regulation (EU) 2024/1689) require for a high-risk AI system, for the pipeline ")
        .and_code(&pipeline)
        .and(". mlp fills in what the pipeline and its run say; each TO COMPLETE marks what only the provider can write, and must be completed by hand before this is the technical documentation.");
    Doc {
        title: format!("Technical documentation (EU AI Act, Annex IV): {pipeline}"),
        lead: vec![lead, inputs.provenance()],
        sections: vec![
            general(inputs),
            development(inputs),
            monitoring(inputs),
            metrics(inputs),
            risk_management(inputs),
            changes(inputs),
            standards(),
            declaration(),
            post_market(inputs),
        ],
    }
}

fn deploy_field(block: &Block, field: &str) -> Option<String> {
    block.fields.get(field).map(value_text)
}

fn general(inputs: &Inputs) -> Section {
    let program = inputs.ctx.program;
    let mut s = Section::new("1. General description of the AI system");
    s.heading("(a) Intended purpose, provider, version");
    s.push(Node::Fields(vec![
        ("Intended purpose".into(), stated(program, "intended_use")),
        ("Description".into(), stated(program, "description")),
        ("Provider".into(), stated(program, "provider")),
        ("Version".into(), stated(program, "version")),
        ("Owner".into(), stated(program, "owner")),
        ("Risk tier".into(), Text::plain(facts::risk(program))),
    ]));
    s.to_complete("how this version relates to the previous versions of the system.");

    s.heading("(b) Interaction with other hardware, software and AI systems");
    let deployments: Vec<Text> = program
        .deployments()
        .map(|(b, d)| {
            let mut t = Text::code(&b.name).and(format!(" ({})", d.target));
            match &d.model {
                Some(m) => t = t.and(" serves the model ").and_code(m),
                None => t = t.and(" runs the whole pipeline"),
            }
            if let Some(port) = deploy_field(b, "port") {
                t = t.and(format!(" over HTTP on port {port}"));
            }
            if let Some(ns) = facts::block_text(b, "namespace") {
                t = t.and(" in the namespace ").and_code(ns);
            }
            t
        })
        .collect();
    if deployments.is_empty() {
        s.para("The pipeline declares no deployment.");
    } else {
        s.push(Node::List(deployments));
    }
    s.to_complete(
        "the systems that call the model or feed it data, and any other AI system it works with.",
    );

    s.heading("(c) Versions of software and firmware");
    let mut versions = vec![Text::plain(format!(
        "mlp {} (checks, trains and evaluates the pipeline)",
        crate::exec::cache::MLP_VERSION
    ))];
    for (b, _) in program.deployments() {
        if let Some(image) = facts::block_text(b, "image") {
            versions.push(
                Text::plain("image ")
                    .and_code(image)
                    .and(" of ")
                    .and_code(&b.name),
            );
        }
    }
    s.push(Node::List(versions));
    s.to_complete("the requirements related to version updates.");

    s.heading("(d) Forms in which the system is placed on the market or put into service");
    let forms: Vec<Text> = program
        .deployments()
        .map(|(b, d)| {
            let form = match d.target.as_str() {
                "kubernetes" => "Kubernetes manifests of an HTTP API",
                "docker" => "a container image of an HTTP API",
                "compose" => "a Docker Compose service of an HTTP API",
                "argo" => "an Argo workflow that runs the pipeline",
                _ => "a deployment",
            };
            Text::code(&b.name).and(format!(": {form}"))
        })
        .collect();
    if forms.is_empty() {
        s.to_complete("how the system is placed on the market or put into service (the pipeline declares no deployment).");
    } else {
        s.push(Node::List(forms));
    }

    s.heading("(e) Hardware on which the system is intended to run");
    let rows: Vec<Vec<Text>> = program
        .deployments()
        .map(|(b, _)| {
            let f = |name: &str| deploy_field(b, name).map_or_else(|| Text::plain("—"), Text::code);
            vec![
                Text::code(&b.name),
                f("replicas"),
                f("resources.cpu"),
                f("resources.memory"),
                f("limits.cpu"),
                f("limits.memory"),
            ]
        })
        .collect();
    if !rows.is_empty() {
        s.push(Node::Table(
            vec![
                "deployment".into(),
                "replicas".into(),
                "cpu requested".into(),
                "memory requested".into(),
                "cpu limit".into(),
                "memory limit".into(),
            ],
            rows,
        ));
    }
    s.to_complete("the hardware and platform the deployments run on.");

    s.heading("(f) Products of which the system is a component");
    s.to_complete("photographs or illustrations of the products, if the system is a component of one; otherwise state that it is not.");

    s.heading("(g, h) User interface and instructions for use");
    s.to_complete("the user interface provided to the deployer, and the instructions for use (the model cards written beside this outline are a starting point).");
    s
}

/// Every stage of the pipeline, in order: what `mlp run` does.
fn stages(program: &Program) -> Vec<Vec<Text>> {
    program
        .blocks
        .iter()
        .filter_map(|b| {
            let definition = match &b.info {
                BlockInfo::Source(_) | BlockInfo::Transform(_) | BlockInfo::Split(_) => {
                    stage_definition(b)
                }
                BlockInfo::Model(m) => {
                    let mut t = Text::code(&m.algorithm);
                    if let Some(data) = &m.data {
                        t = t.and(" trained on ").and_code(table_name(data));
                    }
                    if let Some(target) = &m.target {
                        t = t.and(" to predict ").and_code(target);
                    }
                    t
                }
                BlockInfo::Evaluate(e) => Text::codes(&e.metrics, "no metric"),
                _ => return None,
            };
            let kind = match &b.info {
                BlockInfo::Model(m) => {
                    Text::plain(m.model_kind.map_or("model", |k| k.as_str()).to_string())
                }
                _ => stage_kind(b),
            };
            Some(vec![Text::code(&b.name), kind, definition])
        })
        .collect()
}

fn development(inputs: &Inputs) -> Section {
    let program = inputs.ctx.program;
    let catalog = crate::check::catalog::get();
    let mut s = Section::new(
        "2. Detailed description of the elements of the system and of its development",
    );
    s.heading("(a) Methods and steps of development");
    s.para(
        Text::plain("The pipeline's stages, in the order ")
            .and_code("mlp run")
            .and(" runs them; every model is trained from these sources by mlp itself, with no pre-trained component:"),
    );
    s.push(Node::Table(
        vec!["stage".into(), "kind".into(), "definition".into()],
        stages(program),
    ));
    s.to_complete("any tool or pre-trained system provided by a third party, and how it was used.");

    s.heading("(b) Design specifications: algorithms and key design choices");
    for (block, model) in program.models() {
        let mut fields = vec![(
            "Algorithm".to_string(),
            Text::code(&model.algorithm).and(
                model
                    .model_kind
                    .map_or(String::new(), |k| format!(", a {}", k.as_str())),
            ),
        )];
        if let Some(doc) = &block.doc {
            fields.push(("Rationale (its comment)".into(), Text::marked(doc)));
        }
        let hyper: Vec<String> = catalog
            .algorithm(&model.algorithm)
            .map(|a| {
                a.hyper
                    .iter()
                    .map(|h| match model.hyper.get(&h.name) {
                        Some(v) => format!("{} = {}", h.name, value_text(v)),
                        None => format!("{} = {} (default)", h.name, h.default),
                    })
                    .collect()
            })
            .unwrap_or_default();
        fields.push(("Hyper-parameters".into(), Text::codes(&hyper, "none")));
        fields.push((
            "Inputs".into(),
            Text::plain(format!("{} features, listed in ", model.features.len()))
                .and_code(format!("model-{}", block.name))
                .and(" (its model card)"),
        ));
        let deployed = facts::deployments_of(program, &block.name).count() > 0;
        fields.push((
            "Deployed".into(),
            Text::plain(if deployed { "yes" } else { "no" }),
        ));
        s.push(Node::Minor(format!("Model {}", block.name)));
        s.push(Node::Fields(fields));
    }
    s.to_complete("the rationale and assumptions of the design, the persons or groups the system is meant for, what it optimises for, the expected quality of its output, and the trade-offs made to meet Chapter III, Section 2.");

    s.heading("(c) System architecture and computational resources");
    s.para(
        Text::plain("The stages above build on each other as their definitions say (")
            .and_code("mlp graph PATH --format svg")
            .and(" draws the graph); each deployment serves one trained model with the fitted transforms saved beside it."),
    );
    s.to_complete(
        "the computational resources used to develop, train, test and validate the system.",
    );

    s.heading("(d) Data requirements and data governance");
    s.para(
        "The data sets the models learn from and are tested on, with their provenance and schema:",
    );
    let all: Vec<&Block> = program.blocks.iter().collect();
    sources(inputs, &all, true, &mut s);
    s.push(Node::Minor("Preparation steps".into()));
    let prep: Vec<Vec<Text>> = program
        .blocks
        .iter()
        .filter(|b| matches!(b.info, BlockInfo::Transform(_) | BlockInfo::Split(_)))
        .map(|b| vec![Text::code(&b.name), stage_kind(b), stage_definition(b)])
        .collect();
    if prep.is_empty() {
        s.para("The models read their sources unchanged.");
    } else {
        s.push(Node::Table(
            vec!["stage".into(), "kind".into(), "steps".into()],
            prep,
        ));
    }
    let targets: Vec<String> = program
        .models()
        .filter_map(|(_, m)| m.target.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    s.para(
        Text::plain("Labels: ")
            .and_text(Text::codes(&targets, "none (no supervised model)"))
            .and("."),
    );
    s.to_complete("how the data was obtained and selected, the labelling procedure, and the data cleaning and bias examination beyond the steps above.");

    s.heading("(e) Human oversight measures (Article 14)");
    oversight(inputs, &mut s);
    s.to_complete(
        "the technical measures that help deployers interpret the outputs (Article 13(3)(d)).",
    );

    s.heading("(f) Pre-determined changes");
    match program.pipeline.as_ref().and_then(|p| p.fields.get("retrain")) {
        Some(retrain) => s.para(
            Text::plain("The models are retrained on the schedule ")
                .and_code(value_text(retrain))
                .and("; a retrained model is a new artifact, and an approval is valid for one artifact only."),
        ),
        None => s.para(
            Text::plain("No retraining schedule is declared (")
                .and_code("retrain")
                .and(" in the pipeline block)."),
        ),
    }
    s.to_complete("the changes to the system and its performance that are determined in advance, and how compliance is kept through them.");

    s.heading("(g) Validation and testing procedures");
    let rows: Vec<Vec<Text>> = program
        .blocks
        .iter()
        .filter_map(|b| match &b.info {
            BlockInfo::Evaluate(e) => Some((b, e)),
            _ => None,
        })
        .map(|(b, e)| {
            let table = e.data.as_ref();
            let from = table
                .and_then(|t| facts::split_words(program, t))
                .map_or_else(Text::default, super::card::split_text);
            let rows = match inputs.run {
                None => Text::plain("not run yet"),
                Some(run) => run
                    .rows
                    .get(&b.name)
                    .copied()
                    .flatten()
                    .map_or_else(|| Text::plain("—"), |n| Text::plain(n.to_string())),
            };
            vec![
                Text::code(e.model.clone().unwrap_or_default()),
                table.map_or_else(Text::default, |t| Text::code(table_name(t))),
                from,
                rows,
                e.groups
                    .as_ref()
                    .map_or_else(|| Text::plain("—"), Text::code),
            ]
        })
        .collect();
    if rows.is_empty() {
        s.para("The pipeline evaluates no model.");
    } else {
        s.push(Node::Table(
            vec![
                "model".into(),
                "tested on".into(),
                "rows from".into(),
                "rows".into(),
                "groups compared".into(),
            ],
            rows,
        ));
    }
    match inputs.run {
        Some(run) => s.para(
            Text::plain("The test log of run ")
                .and_code(&run.id)
                .and(" is its ")
                .and_code("run.json")
                .and(", ")
                .and_code("metrics.json")
                .and(" and ")
                .and_code("report.html")
                .and("; section 4 gives its metrics."),
        ),
        None => s.para(
            Text::plain("No run yet: ")
                .and_code("mlp run")
                .and(" writes the test log (run.json, metrics.json, report.html)."),
        ),
    }
    s.to_complete("the test reports, dated and signed by the responsible persons.");

    s.heading("(h) Cybersecurity measures");
    let k8s: Vec<String> = program
        .deployments()
        .filter(|(_, d)| d.target == "kubernetes")
        .map(|(b, _)| b.name.clone())
        .collect();
    if !k8s.is_empty() {
        s.para(
            Text::plain("The Kubernetes manifests of ")
                .and_text(Text::codes(&k8s, ""))
                .and(" run the container as a non-root user with a read-only root filesystem, all capabilities dropped, resource requests and limits, and a network policy."),
        );
    }
    s.to_complete("the cybersecurity measures of the system (access control, secrets, the supply chain of the images, resilience against manipulated inputs).");
    s
}

/// The approval rules and records of every deployment that serves a model.
fn oversight(inputs: &Inputs, s: &mut Section) {
    let program = inputs.ctx.program;
    let mut any = false;
    for (deploy, info) in program.deployments() {
        let Some(model) = &info.model else {
            continue;
        };
        any = true;
        s.push(Node::Minor(format!(
            "Deployment {} (model {model})",
            deploy.name
        )));
        s.para(approval_rules(inputs, deploy, info));
        s.push(approval_records(inputs, &deploy.name, model));
    }
    if !any {
        s.para("No deployment serves a model: there is no release to approve.");
    }
}

fn monitoring(inputs: &Inputs) -> Section {
    let program = inputs.ctx.program;
    let mut s = Section::new("3. Monitoring, functioning and control of the system");
    s.push(Node::Fields(vec![
        ("Limitations".into(), stated(program, "limitations")),
        ("Residual risks".into(), stated(program, "residual_risks")),
    ]));
    s.para("The accuracy overall and per group of persons is given in section 4, as measured on the test data.");
    s.to_complete("the expected level of accuracy for the intended purpose, and the foreseeable unintended outcomes and sources of risk to health, safety, fundamental rights and of discrimination.");
    s.heading("Human oversight");
    s.para(
        "See 2(e): every release of a deployed model is approved by a person, as recorded above.",
    );
    s.heading("Input data specifications");
    for (block, model) in program.models() {
        let Some(data) = &model.data else { continue };
        let Some(schema) = facts::schema(program, data) else {
            continue;
        };
        let inputs: Vec<Vec<Text>> = schema
            .columns
            .iter()
            .zip(schema_rows(schema))
            .filter(|(c, _)| model.features.iter().any(|f| *f == *c.name))
            .map(|(_, row)| row)
            .collect();
        s.push(Node::Minor(format!("Inputs of {}", block.name)));
        s.push(Node::Table(
            vec!["feature".into(), "type".into(), "tags".into()],
            inputs,
        ));
    }
    s
}

fn metrics(inputs: &Inputs) -> Section {
    let program = inputs.ctx.program;
    let catalog = crate::check::catalog::get();
    let mut s = Section::new("4. Performance metrics");
    let mut rows = Vec::new();
    let mut groups = Vec::new();
    for (b, e) in program.blocks.iter().filter_map(|b| match &b.info {
        BlockInfo::Evaluate(e) => Some((b, e)),
        _ => None,
    }) {
        let model = e.model.clone().unwrap_or_default();
        let table = e.data.as_ref().map(table_name).unwrap_or_default();
        let key = inputs.run.and_then(|r| r.metrics_key(&model, &table));
        let values = key
            .as_ref()
            .and_then(|k| inputs.run.and_then(|r| r.metrics.models.get(k)));
        for metric in &e.metrics {
            let spec = catalog.metric(metric);
            if spec.is_some_and(|m| !m.scalar) {
                continue;
            }
            let value = match (inputs.run, values) {
                (None, _) => "not run yet".to_string(),
                (Some(_), None) => "not in this run".to_string(),
                (Some(_), Some(v)) => v
                    .get(metric)
                    .map_or_else(|| "—".to_string(), |v| number(*v)),
            };
            let better = match spec {
                Some(m) if m.higher_is_better => "higher",
                Some(_) => "lower",
                None => "—",
            };
            rows.push(vec![
                Text::code(&model),
                Text::code(&table),
                Text::code(metric),
                Text::plain(value),
                Text::plain(better),
            ]);
        }
        if let (Some(run), Some(key)) = (inputs.run, &key) {
            if let Some(table) = run.metrics.groups.get(key) {
                groups.push((b.name.clone(), table.clone()));
            }
        }
    }
    if rows.is_empty() {
        s.para("No metric is computed.");
    } else {
        s.push(Node::Table(
            vec![
                "model".into(),
                "tested on".into(),
                "metric".into(),
                "value".into(),
                "better".into(),
            ],
            rows,
        ));
    }
    for (evaluation, table) in groups {
        s.push(Node::Minor(format!(
            "Per group of {}: {evaluation}",
            table.column
        )));
        let mut names: Vec<String> = Vec::new();
        for g in &table.groups {
            for n in g.metrics.keys() {
                if !names.contains(n) {
                    names.push(n.clone());
                }
            }
        }
        let mut head = vec!["group".to_string(), "rows".to_string()];
        head.extend(names.iter().cloned());
        let rows = table
            .groups
            .iter()
            .map(|g| {
                let mut row = vec![Text::code(&g.group), Text::plain(g.rows.to_string())];
                row.extend(names.iter().map(|n| {
                    Text::plain(
                        g.metrics
                            .get(n)
                            .map_or_else(|| "—".to_string(), |v| number(*v)),
                    )
                }));
                row
            })
            .collect();
        s.push(Node::Table(head, rows));
    }
    s.to_complete("why these metrics, and the thresholds of the gates in section 5, are appropriate for the intended purpose.");
    s
}

fn risk_management(inputs: &Inputs) -> Section {
    let program = inputs.ctx.program;
    let mut s = Section::new("5. Risk management system (Article 9)");
    s.heading("Policies and gates");
    let mut rows = Vec::new();
    for policy in &program.blocks {
        let BlockInfo::Policy(p) = &policy.info else {
            continue;
        };
        let gates: Vec<String> = program
            .deployments()
            .filter(|(_, d)| d.gates.contains(&policy.name))
            .map(|(b, _)| b.name.clone())
            .collect();
        for rule in &p.rules {
            let written = match rule.rule.as_str() {
                "approval" => format!("require approval for {}", rule.text),
                other => format!("{other} {}", rule.text),
            };
            let mut text = Text::code(written);
            if let Some(m) = &rule.message {
                text = text.and(format!(": {m}"));
            }
            rows.push(vec![
                Text::code(&policy.name),
                Text::plain(&p.severity),
                text,
                Text::codes(&gates, "—"),
                outcome(inputs, &policy.name, rule),
            ]);
        }
    }
    if rows.is_empty() {
        s.para("The pipeline has no policy.");
    } else {
        s.push(Node::Table(
            vec![
                "policy".into(),
                "severity".into(),
                "rule".into(),
                "gates the deployments".into(),
                "state".into(),
            ],
            rows,
        ));
    }
    s.heading("Lint findings and waivers");
    findings(inputs, &mut s);
    s.heading("Residual risks");
    s.para(stated(program, "residual_risks"));
    s.to_complete("the risk management process: how risks are identified, estimated and evaluated, the measures adopted, and how the residual risks were judged acceptable.");
    s
}

/// The state of a rule: a gate's result in the run, a lint obligation's
/// state, or how a static rule is enforced.
fn outcome(inputs: &Inputs, policy: &str, rule: &crate::check::RuleInfo) -> Text {
    if let Some(code) = &rule.lint_rule {
        let Some(o) = inputs
            .obligations
            .iter()
            .find(|o| o.policy == policy && o.rule == *code)
        else {
            return Text::plain("not enforced: the policy gates no deployment");
        };
        return match o.status {
            ObligationStatus::Met => Text::plain("met"),
            ObligationStatus::Violated => Text::plain("violated"),
            ObligationStatus::UnknownRule => Text::plain("unknown rule"),
            ObligationStatus::Waived => Text::plain(format!("waived: {}", o.waivers.join("; "))),
        };
    }
    if rule.gate.is_some() {
        let Some(run) = inputs.run else {
            return Text::plain("not run yet");
        };
        let results: Vec<String> = run
            .metrics
            .gates
            .iter()
            .filter(|g| g.policy == policy && g.rule == rule.text)
            .map(|g| {
                let verdict = if !g.evaluated {
                    "not evaluated"
                } else if g.passed {
                    "passed"
                } else {
                    "failed"
                };
                let value = g
                    .value
                    .map_or_else(String::new, |v| format!(", {}", number(v)));
                format!("{verdict} ({}{value})", g.model)
            })
            .collect();
        return if results.is_empty() {
            Text::plain("not in this run")
        } else {
            Text::plain(results.join("; "))
        };
    }
    if rule.rule == "approval" {
        return Text::plain("checked by mlp lint against the approval records (section 2(e))");
    }
    Text::plain("checked statically by mlp check")
}

fn changes(inputs: &Inputs) -> Section {
    let program = inputs.ctx.program;
    let mut s = Section::new("6. Changes through the lifecycle");
    s.push(Node::Fields(vec![
        ("Current version".into(), stated(program, "version")),
        (
            "Releases approved".into(),
            Text::plain(inputs.ctx.approvals.len().to_string())
                .and(" approval record(s) under ")
                .and_code("approvals/"),
        ),
    ]));
    s.to_complete("the relevant changes made to the system through its lifecycle (the history of the pipeline in version control, and of its approval records).");
    s
}

fn standards() -> Section {
    let mut s = Section::new("7. Harmonised standards applied");
    s.para("None declared.");
    s.to_complete("the harmonised standards applied, in full or in part; where none is, the solutions adopted to meet the requirements of Chapter III, Section 2, and the other standards and technical specifications applied.");
    s
}

fn declaration() -> Section {
    let mut s = Section::new("8. EU declaration of conformity");
    s.para("To be provided.");
    s.to_complete("a copy of the EU declaration of conformity (Article 47).");
    s
}

fn post_market(inputs: &Inputs) -> Section {
    let program = inputs.ctx.program;
    let mut s = Section::new("9. Post-market monitoring (Article 72)");
    let rows: Vec<Vec<Text>> = program
        .deployments()
        .map(|(b, d)| {
            vec![
                Text::code(&b.name),
                d.model
                    .as_ref()
                    .map_or_else(|| Text::plain("—"), Text::code),
                Text::codes(&d.monitor, "none"),
                deploy_field(b, "logging.retention")
                    .map_or_else(|| Text::plain("not set"), Text::code),
            ]
        })
        .collect();
    if rows.is_empty() {
        s.para("The pipeline declares no deployment to monitor.");
    } else {
        s.push(Node::Table(
            vec![
                "deployment".into(),
                "model".into(),
                "monitor".into(),
                "log retention".into(),
            ],
            rows,
        ));
    }
    s.to_complete("the post-market monitoring plan (Article 72(3)): who reviews the alerts and the logs, how often, and what triggers a retraining, a withdrawal or a report of a serious incident (Article 73).");
    s
}
