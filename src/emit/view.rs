//! What the templates see: one flat, serialisable view per deployment, made
//! from the checked program and the run it releases. Templates never reach
//! into the program; every value a template prints is in a view, and every
//! string is printed through an escaping filter (`mod.rs`).

use crate::check::types::Value;
use crate::check::{Alert, BlockInfo, DeployInfo, EnvValue, Program};
use crate::exec::stages::{self, StageKind, SLUG_MAX};
use serde::Serialize;
use std::collections::BTreeMap;

/// A model as released: its artifact and where it came from.
#[derive(Clone, Debug, Serialize)]
pub struct ModelView {
    pub name: String,
    pub algorithm: String,
    /// blake3 of `models/<name>.json` of the run, when there is one.
    pub artifact_hash: Option<String>,
    /// blake3 of the rows it was trained on (from the artifact).
    pub training_data_hash: Option<String>,
    pub features: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ApprovalView {
    pub by: String,
    pub at: String,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct EnvVar {
    pub name: String,
    pub value: Option<String>,
    /// `secret("store/key")` as a Kubernetes secret reference: the secret
    /// `store` (made a valid object name) and its key.
    pub secret_name: Option<String>,
    pub secret_key: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AlertView {
    pub name: String,
    /// A PromQL expression over the metrics `mlp serve` exports that is
    /// true while the condition is broken.
    pub expr: String,
    pub condition: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct DeployView {
    /// As written in the pipeline.
    pub name: String,
    /// A DNS-1123 label made from the name: objects are named after it.
    pub app: String,
    pub target: String,
    pub pipeline: String,
    pub pipeline_version: Option<String>,
    pub owner: Option<String>,
    pub description: Option<String>,
    pub risk: Option<String>,
    pub model: Option<ModelView>,
    pub image: String,
    pub namespace: String,
    pub replicas: i64,
    pub port: i64,
    pub cpu_request: String,
    pub memory_request: String,
    pub cpu_limit: String,
    pub memory_limit: String,
    pub autoscale: Option<AutoscaleView>,
    pub environment: Vec<EnvVar>,
    pub alerts: Vec<AlertView>,
    pub retrain: Option<String>,
    pub log_retention_days: Option<i64>,
    pub gates: Vec<String>,
    /// Built with `--allow-ungated`: recorded in the annotations.
    pub ungated: bool,
    pub approval: Option<ApprovalView>,
    /// The `env` overlay applied, if any.
    pub env: Option<String>,
    pub mlp_version: &'static str,
    /// `app.kubernetes.io/*` labels of every object, sorted by key (a
    /// list: templates iterate maps in no fixed order).
    pub labels: Vec<Pair>,
    /// Lineage: pipeline, model and data hashes, approval, mlp version.
    pub annotations: Vec<Pair>,
    /// The CPU limit in cores and the memory limit in bytes, for compose.
    pub cpus_limit: f64,
    pub memory_limit_bytes: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Pair {
    pub key: String,
    pub value: String,
}

fn pairs(map: BTreeMap<String, String>) -> Vec<Pair> {
    map.into_iter()
        .map(|(key, value)| Pair { key, value })
        .collect()
}

#[derive(Clone, Debug, Serialize)]
pub struct AutoscaleView {
    pub min: i64,
    pub max: i64,
    /// Average CPU use, in percent of the request.
    pub cpu: Option<i64>,
}

/// A Kubernetes object name (DNS-1123 label): lowercase letters, digits
/// and `-`, at most 63 characters, starting and ending alphanumeric; a
/// longer name is cut and ends with a hash of the whole name
/// ([`stages::fit`]).
pub fn dns_label(name: &str) -> String {
    stages::slug_of(name, SLUG_MAX).unwrap_or_else(|| "mlp".to_string())
}

/// `label` (a [`dns_label`]) followed by `suffix`, in at most `max`
/// characters: `label` is shortened with a hash when both do not fit, so
/// that the names made for two deployments stay apart.
pub(super) fn suffixed(label: &str, suffix: &str, max: usize) -> String {
    format!("{}{suffix}", stages::fit(label, label, max - suffix.len()))
}

fn text(fields: &BTreeMap<String, Value>, name: &str) -> Option<String> {
    match fields.get(name)? {
        Value::Str(s) => Some(s.clone()),
        Value::Word(w) => Some(w.word.clone()),
        _ => None,
    }
}

fn quantity(fields: &BTreeMap<String, Value>, name: &str, default: &str) -> String {
    match fields.get(name) {
        Some(Value::Quantity(q)) => q.text.clone(),
        _ => default.to_string(),
    }
}

fn image_has_digest(image: Option<&str>) -> bool {
    image.is_some_and(|i| i.contains("@sha256:"))
}

/// A quantity in its base unit (cores, bytes).
fn base_units(fields: &BTreeMap<String, Value>, name: &str, default: f64) -> f64 {
    match fields.get(name) {
        Some(Value::Quantity(q)) => q.quantity,
        _ => default,
    }
}

/// A label value: at most 63 characters of `[A-Za-z0-9._-]`, starting and
/// ending alphanumeric (others become `-`), shortened with a hash of
/// `text` when longer.
fn label_value(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = cleaned.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if trimmed.is_empty() {
        return String::new();
    }
    stages::fit(trimmed, text, SLUG_MAX)
}

fn int(fields: &BTreeMap<String, Value>, name: &str) -> Option<i64> {
    match fields.get(name)? {
        Value::Int(i) => Some(*i),
        Value::Percent(p) => Some(p.percent.round() as i64),
        _ => None,
    }
}

/// The PromQL of a monitor condition, on `mlp serve`'s metrics of one app.
fn alert(app: &str, a: &Alert) -> Option<AlertView> {
    let selector = format!("app=\"{app}\"");
    let broken = match a.op.as_str() {
        "<" => ">=",
        "<=" => ">",
        ">" => "<=",
        ">=" => "<",
        _ => return None,
    };
    let value = match a.signal.as_str() {
        s if s.starts_with("latency_p") => {
            let quantile: f64 = s.trim_start_matches("latency_p").parse().ok()?;
            format!(
                "histogram_quantile({}, sum by (le) (rate(mlp_request_duration_seconds_bucket{{{selector}}}[5m])))",
                quantile / 100.0
            )
        }
        "error_rate" => format!(
            "sum(rate(mlp_requests_total{{{selector},status=~\"5..\"}}[5m])) / sum(rate(mlp_requests_total{{{selector}}}[5m]))"
        ),
        "drift_psi" => format!("max(mlp_feature_drift_psi{{{selector}}})"),
        "drift_ks" => format!("max(mlp_feature_drift_ks{{{selector}}})"),
        _ => return None,
    };
    Some(AlertView {
        name: a.signal.clone(),
        expr: format!("{value} {broken} {}", a.limit),
        condition: format!("{} {} {}", a.signal, a.op, a.limit),
    })
}

/// Everything a deployment's templates need besides the program.
pub struct Release<'a> {
    /// Model name to the blake3 of its artifact in the released run.
    pub model_hashes: &'a BTreeMap<String, String>,
    /// Model name to the hash of its training rows, from the artifacts.
    pub training_hashes: &'a BTreeMap<String, String>,
    pub ungated: bool,
    pub approvals: &'a BTreeMap<String, ApprovalView>,
    pub env: Option<&'a str>,
}

pub fn deploy_view(
    program: &Program,
    name: &str,
    info: &DeployInfo,
    release: &Release,
) -> DeployView {
    let block = program.by_name(name);
    let empty = BTreeMap::new();
    let fields = block.map_or(&empty, |b| &b.fields);
    let pipeline = program.pipeline.as_ref();
    let pfields = pipeline.map_or(&empty, |p| &p.fields);
    let app = dns_label(name);
    let model = info.model.as_ref().map(|m| {
        let facts = program.by_name(m).and_then(|b| match &b.info {
            BlockInfo::Model(info) => Some(info),
            _ => None,
        });
        ModelView {
            name: m.clone(),
            algorithm: facts.map_or_else(String::new, |f| f.algorithm.clone()),
            artifact_hash: release.model_hashes.get(m).cloned(),
            training_data_hash: release.training_hashes.get(m).cloned(),
            features: facts.map_or_else(Vec::new, |f| f.features.clone()),
        }
    });
    let environment = info
        .environment
        .iter()
        .map(|(name, value)| match value {
            EnvValue::Literal(v) => EnvVar {
                name: name.clone(),
                value: Some(v.clone()),
                secret_name: None,
                secret_key: None,
            },
            EnvValue::Secret(reference) => {
                let (store, key) = reference.split_once('/').unwrap_or((reference, name));
                EnvVar {
                    name: name.clone(),
                    value: None,
                    secret_name: Some(dns_label(store)),
                    secret_key: Some(key.to_string()),
                }
            }
        })
        .collect();
    let autoscale = match (int(fields, "autoscale.min"), int(fields, "autoscale.max")) {
        (Some(min), Some(max)) => Some(AutoscaleView {
            min,
            max,
            cpu: int(fields, "autoscale.cpu"),
        }),
        _ => None,
    };
    let retrain = match pfields.get("retrain") {
        Some(Value::Str(cron)) => Some(cron.clone()),
        _ => None,
    };
    let pipeline_name = pipeline.map_or_else(|| "main".to_string(), |p| p.name.clone());
    let pipeline_version = text(pfields, "version");
    let mut labels = BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), app.clone()),
        ("app.kubernetes.io/instance".to_string(), app.clone()),
        (
            "app.kubernetes.io/component".to_string(),
            if info.target == "argo" {
                "training"
            } else {
                "model-server"
            }
            .to_string(),
        ),
        (
            "app.kubernetes.io/managed-by".to_string(),
            "mlp".to_string(),
        ),
    ]);
    let part_of = label_value(&pipeline_name);
    if !part_of.is_empty() {
        labels.insert("app.kubernetes.io/part-of".to_string(), part_of);
    }
    if let Some(version) = pipeline_version
        .as_deref()
        .map(label_value)
        .filter(|v| !v.is_empty())
    {
        labels.insert("app.kubernetes.io/version".to_string(), version);
    }
    let mut annotations = BTreeMap::from([
        ("mlp.dev/pipeline".to_string(), pipeline_name.clone()),
        (
            "mlp.dev/mlp-version".to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        ),
    ]);
    let mut annotate = |key: &str, value: Option<String>| {
        if let Some(value) = value {
            annotations.insert(format!("mlp.dev/{key}"), value);
        }
    };
    annotate("pipeline-version", pipeline_version.clone());
    annotate("owner", text(pfields, "owner"));
    annotate("risk", text(pfields, "risk"));
    annotate("model", model.as_ref().map(|m| m.name.clone()));
    annotate(
        "model-hash",
        model.as_ref().and_then(|m| m.artifact_hash.clone()),
    );
    annotate(
        "training-data-hash",
        model.as_ref().and_then(|m| m.training_data_hash.clone()),
    );
    let approval = release.approvals.get(name).cloned();
    annotate("approved-by", approval.as_ref().map(|a| a.by.clone()));
    annotate("approved-at", approval.as_ref().map(|a| a.at.clone()));
    annotate("env", release.env.map(str::to_string));
    if release.ungated {
        annotate(
            "ungated",
            Some("built with --allow-ungated: the run's gates were not checked".to_string()),
        );
    }
    // A tag names whatever was pushed under it last; checkov asks for a
    // digest. Without one the check is skipped here, with the reason, so
    // that scanners show it rather than pass it silently.
    if !image_has_digest(text(fields, "image").as_deref()) {
        annotations.insert(
            "checkov.io/skip1".to_string(),
            "CKV_K8S_43=the image is pinned by tag; set image to NAME@sha256:DIGEST to release the exact bytes".to_string(),
        );
    }
    DeployView {
        labels: pairs(labels),
        annotations: pairs(annotations),
        cpus_limit: base_units(fields, "limits.cpu", 1.0),
        memory_limit_bytes: base_units(fields, "limits.memory", 1024.0 * 1024.0 * 1024.0) as i64,
        name: name.to_string(),
        app: app.clone(),
        target: info.target.clone(),
        pipeline: pipeline_name,
        pipeline_version,
        owner: text(pfields, "owner"),
        description: text(pfields, "description"),
        risk: text(pfields, "risk"),
        model,
        image: text(fields, "image").unwrap_or_default(),
        namespace: text(fields, "namespace").unwrap_or_else(|| "default".to_string()),
        replicas: int(fields, "replicas").unwrap_or(1),
        port: int(fields, "port").unwrap_or(8080),
        cpu_request: quantity(fields, "resources.cpu", "250m"),
        memory_request: quantity(fields, "resources.memory", "256Mi"),
        // Without `limits`, a pod may use what it requests (a limit below
        // the request is refused by Kubernetes).
        cpu_limit: quantity(
            fields,
            "limits.cpu",
            &quantity(fields, "resources.cpu", "1000m"),
        ),
        memory_limit: quantity(
            fields,
            "limits.memory",
            &quantity(fields, "resources.memory", "1Gi"),
        ),
        autoscale,
        environment,
        alerts: info.alerts.iter().filter_map(|a| alert(&app, a)).collect(),
        retrain,
        log_retention_days: match fields.get("logging.retention") {
            Some(Value::Duration(d)) => Some((d.ms / 86_400_000.0).ceil() as i64),
            _ => None,
        },
        gates: info.gates.clone(),
        ungated: release.ungated,
        approval,
        env: release.env.map(str::to_string),
        mlp_version: env!("CARGO_PKG_VERSION"),
    }
}

/// Where the image of a workflow task or a retraining job holds the
/// pipeline: `mlp` runs it from there (docs/deploy.md).
pub const PIPELINE_FILE: &str = "/pipeline/main.mlp";

/// One stage of the pipeline as a step run alone (docs/deploy.md).
#[derive(Clone, Debug)]
pub struct PlannedStage {
    pub name: String,
    pub slug: String,
    /// The slugs of the stages it reads.
    pub reads: Vec<String>,
    /// A model or an evaluation: a folder the collecting step reads.
    pub collected: bool,
}

/// The stages of the pipeline, dependencies first, and the names of the
/// steps around them, which no stage's slug takes.
#[derive(Clone, Debug)]
pub struct Plan {
    pub stages: Vec<PlannedStage>,
    /// The step that collects the models and evaluations into a run.
    pub collect: String,
    /// The Argo template holding the DAG.
    pub entry: String,
}

/// `base`, or `base-2`, `base-3`, … the first that is not in `taken`.
fn free(base: &str, taken: &[&str]) -> String {
    let mut name = base.to_string();
    let mut n = 2;
    while taken.contains(&name.as_str()) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

impl Plan {
    pub fn of(program: &Program) -> Plan {
        let all = stages::stages(program);
        let slugs = stages::slugs(&all);
        let planned: Vec<PlannedStage> = all
            .iter()
            .zip(&slugs)
            .map(|(stage, slug)| PlannedStage {
                name: stage.name.clone(),
                slug: slug.clone(),
                reads: stage.deps.iter().map(|&i| slugs[i].clone()).collect(),
                collected: matches!(stage.kind, StageKind::Model | StageKind::Evaluate),
            })
            .collect();
        let mut taken: Vec<&str> = slugs.iter().map(String::as_str).collect();
        let collect = free("collect", &taken);
        taken.push(&collect);
        let entry = free("pipeline", &taken);
        Plan {
            stages: planned,
            collect,
            entry,
        }
    }
}

/// `mlp run` of one stage alone, reading the folders of the stages it
/// reads under `inputs` (a source reads none).
fn stage_args(stage: &PlannedStage, inputs: &str, outputs: &str) -> Vec<String> {
    let mut args = vec![
        "run".to_string(),
        PIPELINE_FILE.to_string(),
        "--stage".to_string(),
        stage.name.clone(),
    ];
    if !stage.reads.is_empty() {
        args.extend(["--inputs".to_string(), inputs.to_string()]);
    }
    args.extend(["--outputs".to_string(), outputs.to_string()]);
    args
}

/// `mlp run --collect`: the run's outputs, with the gates evaluated (exit
/// code 3 when an error gate failed).
fn collect_args(inputs: &str, outputs: &str) -> Vec<String> {
    [
        "run",
        PIPELINE_FILE,
        "--collect",
        "--inputs",
        inputs,
        "--outputs",
        outputs,
    ]
    .map(str::to_string)
    .to_vec()
}

/// One task of an Argo workflow and its template, both named `name`.
#[derive(Clone, Debug, Serialize)]
pub struct ArgoTask {
    pub name: String,
    /// The tasks it waits for.
    pub dependencies: Vec<String>,
    /// The output artifacts it reads, each at `/inputs/<slug>`.
    pub inputs: Vec<ArgoInput>,
    /// The container's arguments (its entrypoint is `mlp`).
    pub args: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ArgoInput {
    pub slug: String,
    /// Argo's own expression for the upstream task's output artifact.
    pub from: String,
}

fn argo_inputs<'a>(slugs: impl Iterator<Item = &'a String>) -> Vec<ArgoInput> {
    slugs
        .map(|slug| ArgoInput {
            slug: slug.clone(),
            from: format!("{{{{tasks.{slug}.outputs.artifacts.outputs}}}}"),
        })
        .collect()
}

#[derive(Clone, Debug, Serialize)]
pub struct ArgoView {
    pub app: String,
    /// A CronWorkflow's name (Argo appends 11 characters to it for each
    /// workflow it starts, which must stay a DNS-1123 label), or a
    /// Workflow's `generateName` (Kubernetes appends 5).
    pub name: String,
    pub d: DeployView,
    pub entry: String,
    /// One task per stage, then the collecting task.
    pub tasks: Vec<ArgoTask>,
    pub retrain: Option<String>,
}

/// The pipeline as an Argo DAG: a task per stage, run alone from the
/// artifacts of the tasks it depends on, and a last task that waits for
/// every other and collects the models and evaluations into a run.
pub fn argo_view(d: &DeployView, plan: &Plan) -> ArgoView {
    let mut tasks: Vec<ArgoTask> = plan
        .stages
        .iter()
        .map(|stage| ArgoTask {
            name: stage.slug.clone(),
            dependencies: stage.reads.clone(),
            inputs: argo_inputs(stage.reads.iter()),
            args: stage_args(stage, "/inputs", "/outputs"),
        })
        .collect();
    tasks.push(ArgoTask {
        name: plan.collect.clone(),
        dependencies: plan.stages.iter().map(|s| s.slug.clone()).collect(),
        inputs: argo_inputs(plan.stages.iter().filter(|s| s.collected).map(|s| &s.slug)),
        args: collect_args("/inputs", "/outputs"),
    });
    let name = match d.retrain {
        Some(_) => stages::fit(&d.app, &d.app, SLUG_MAX - 11),
        None => suffixed(&d.app, "-", SLUG_MAX - 5),
    };
    ArgoView {
        app: d.app.clone(),
        name,
        d: d.clone(),
        entry: plan.entry.clone(),
        tasks,
        retrain: d.retrain.clone(),
    }
}

/// A container of the retraining job.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub name: String,
    /// Its arguments (the image's entrypoint is `mlp`).
    pub args: Vec<String>,
}

/// The scheduled retraining of a Kubernetes deployment (`retrain`): a
/// CronJob whose pods run every stage alone, in order, as init containers
/// sharing one folder, then collect the run onto a claim.
#[derive(Clone, Debug, Serialize)]
pub struct RetrainView {
    /// The CronJob's and its claim's: Kubernetes appends 11 characters to
    /// a CronJob's name for each Job, which must stay a DNS-1123 label.
    pub name: String,
    pub schedule: String,
    /// The deployment's labels, with the job's own instance and component,
    /// so that the Service and the PodDisruptionBudget do not select its pods.
    pub labels: Vec<Pair>,
    pub stages: Vec<Step>,
    pub collect: Step,
}

pub fn retrain_view(d: &DeployView, plan: &Plan) -> Option<RetrainView> {
    let schedule = d.retrain.clone()?;
    let name = suffixed(&d.app, "-retrain", SLUG_MAX - 11);
    let labels = d
        .labels
        .iter()
        .map(|p| Pair {
            key: p.key.clone(),
            value: match p.key.as_str() {
                "app.kubernetes.io/instance" => name.clone(),
                "app.kubernetes.io/component" => "training".to_string(),
                _ => p.value.clone(),
            },
        })
        .collect();
    Some(RetrainView {
        labels,
        schedule,
        stages: plan
            .stages
            .iter()
            .map(|stage| Step {
                name: stage.slug.clone(),
                args: stage_args(stage, "/work", &format!("/work/{}", stage.slug)),
            })
            .collect(),
        collect: Step {
            name: plan.collect.clone(),
            // The Job's name, from the container's environment: one run
            // folder per scheduled run, kept on the claim.
            args: collect_args("/work", "/runs/$(JOB_NAME)"),
        },
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::{dns_label, label_value, suffixed};

    #[test]
    fn names_become_dns_labels() {
        assert_eq!(dns_label("scoring_api"), "scoring-api");
        assert_eq!(dns_label("--A__b--"), "a-b");
        assert_eq!(dns_label("é"), "mlp");
        let (a, b) = (
            format!("{}_a", "x".repeat(100)),
            format!("{}_b", "x".repeat(100)),
        );
        assert_eq!(dns_label(&a).len(), 63);
        assert_ne!(dns_label(&a), dns_label(&b));
        assert_eq!(dns_label(&a), dns_label(&a));
        // A name made from a long label fits as well, and stays apart.
        let (ra, rb) = (
            suffixed(&dns_label(&a), "-retrain", 52),
            suffixed(&dns_label(&b), "-retrain", 52),
        );
        assert!(ra.len() == 52 && ra.ends_with("-retrain"), "{ra}");
        assert_ne!(ra, rb);
        assert_eq!(
            suffixed("scoring-api", "-retrain", 52),
            "scoring-api-retrain"
        );
    }

    #[test]
    fn label_values_fit_and_stay_apart() {
        assert_eq!(label_value("1.0.0"), "1.0.0");
        assert_eq!(label_value(" v2 (beta) "), "v2--beta");
        let (a, b) = (
            format!("{}a", "v.".repeat(40)),
            format!("{}b", "v.".repeat(40)),
        );
        assert!(label_value(&a).len() <= 63, "{}", label_value(&a));
        assert_ne!(label_value(&a), label_value(&b));
    }
}
