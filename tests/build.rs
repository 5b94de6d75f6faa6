//! `mlp build` through the real binary: every target of every example,
//! checked by the tools that will read the files (kubernetes-validate,
//! checkov, hadolint, check-jsonschema), snapshots, determinism, gates,
//! approvals, environments, template overrides and hostile strings.

mod common;
use common::{command as mlp, project, root, text};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A copy of an example that has run.
fn ran(example: &str) -> PathBuf {
    let dir = project(&root().join("examples").join(example));
    let output = mlp().arg("run").arg(&dir).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    dir
}

fn build(dir: &Path, args: &[&str]) -> std::process::Output {
    mlp().arg("build").arg(dir).args(args).output().unwrap()
}

/// Every file of a build folder, by relative path, sorted.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), &format!("{name}/"), out);
            } else {
                out.push((name, std::fs::read(entry.path()).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out.sort();
    out
}

fn tool(name: &str) -> bool {
    common::tool_available(name, "--version")
}

fn passes(command: &mut Command) -> String {
    let output = command.output().unwrap();
    let all = text(&output);
    assert!(output.status.success(), "{command:?}:\n{all}");
    all
}

#[test]
fn every_example_builds_and_its_files_pass_the_validators() {
    for example in ["credit", "diamonds", "penguins"] {
        let dir = ran(example);
        let output = build(&dir, &[]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{example}: {}",
            text(&output)
        );
        let out = dir.join("build");
        let all = files(&out);
        let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
        assert!(names.contains(&"build.json"), "{names:?}");

        // Snapshots of what people review: the base manifests, the
        // Dockerfiles, compose and argo (the environments differ from base
        // only where their overlay says, tested below).
        for (name, bytes) in &all {
            let reviewed = name.starts_with("kubernetes/base/")
                || name.ends_with("Dockerfile")
                || name.starts_with("compose/")
                || name.starts_with("argo/");
            if reviewed {
                let text = String::from_utf8(bytes.clone()).unwrap();
                insta::assert_snapshot!(format!("{example}__{}", name.replace('/', "__")), text);
            }
        }

        validate(example, &out, &all);
        match example {
            "penguins" => {
                let workflow = yaml(&out.join("argo/nightly-training-workflow.yaml"));
                let collect = assert_collects_every_stage(&workflow["spec"]);
                assert_eq!(collect["name"], "collect");
            }
            _ => {
                let cronjob = retrain_cronjob(&out.join("kubernetes/base"));
                assert_eq!(cronjob["spec"]["concurrencyPolicy"], "Forbid");
            }
        }

        // Same input, same bytes.
        assert_eq!(build(&dir, &[]).status.code(), Some(0));
        assert_eq!(files(&out), all, "{example}: a second build differs");
    }
}

/// The files of a build, checked by the tools that will read them.
fn validate(example: &str, out: &Path, all: &[(String, Vec<u8>)]) {
    let kube: Vec<PathBuf> = all
        .iter()
        .filter(|(n, _)| n.starts_with("kubernetes/") && !n.ends_with("kustomization.yaml"))
        .map(|(n, _)| out.join(n))
        .collect();
    if !kube.is_empty() && tool("kubernetes-validate") {
        let report = passes(
            Command::new("kubernetes-validate")
                .arg("--strict")
                .args(&kube),
        );
        assert!(!report.contains("ERROR"), "{report}");
    }
    let workflows = as_workflows(out, all);
    if tool("checkov") {
        for (framework, path) in [
            ("kubernetes", out.join("kubernetes")),
            ("dockerfile", out.join("docker")),
            ("argo_workflows", workflows.clone()),
        ] {
            if !path.is_dir() {
                continue;
            }
            let report = passes(
                Command::new("checkov")
                    .args([
                        "--framework",
                        framework,
                        "--quiet",
                        "--compact",
                        "--skip-download",
                        "-d",
                    ])
                    .arg(&path),
            );
            assert!(
                report.contains("Failed checks: 0"),
                "{example} {framework}:\n{report}"
            );
        }
    }
    for (name, _) in all.iter().filter(|(n, _)| n.ends_with("Dockerfile")) {
        if tool("hadolint") {
            passes(Command::new("hadolint").arg(out.join(name)));
        }
    }
    if tool("check-jsonschema") {
        for (name, _) in all.iter().filter(|(n, _)| n.starts_with("compose/")) {
            passes(
                Command::new("check-jsonschema")
                    .args(["--builtin-schema", "vendor.compose-spec"])
                    .arg(out.join(name)),
            );
        }
        if workflows.is_dir() {
            for entry in std::fs::read_dir(&workflows).unwrap() {
                passes(
                    Command::new("check-jsonschema")
                        .arg("--schemafile")
                        .arg(root().join("tests/data/argo-workflow.strict.schema.json"))
                        .arg(entry.unwrap().path()),
                );
            }
        }
    }
}

/// The Argo files of a build as Workflows, in a folder beside the build:
/// a Workflow as it is, a CronWorkflow as the Workflow it starts (its
/// `workflowSpec`), which the strict schema and checkov's `argo_workflows`
/// (which reads `kind: Workflow` files only) check.
fn as_workflows(out: &Path, all: &[(String, Vec<u8>)]) -> PathBuf {
    let dir = out.with_extension("argo-workflows");
    let _ = std::fs::remove_dir_all(&dir);
    for (name, bytes) in all.iter().filter(|(n, _)| n.starts_with("argo/")) {
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(Path::new(name).file_name().unwrap());
        let doc = yaml(&out.join(name));
        if doc["kind"] == "CronWorkflow" {
            let workflow = serde_json::json!({
                "apiVersion": doc["apiVersion"],
                "kind": "Workflow",
                "metadata": {
                    "generateName": format!("{}-", doc["metadata"]["name"].as_str().unwrap()),
                    "namespace": doc["metadata"]["namespace"],
                    "labels": doc["metadata"]["labels"],
                    "annotations": doc["metadata"]["annotations"],
                },
                "spec": doc["spec"]["workflowSpec"],
            });
            std::fs::write(&file, serde_saphyr::to_string(&workflow).unwrap()).unwrap();
        } else {
            std::fs::write(&file, bytes).unwrap();
        }
    }
    dir
}

/// The retraining CronJob of the one Kubernetes deployment in `dir`, which
/// the kustomization lists.
fn retrain_cronjob(dir: &Path) -> Value {
    let kustomization = yaml(&dir.join("kustomization.yaml"));
    let listed: Vec<&str> = kustomization["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .filter(|f| f.ends_with("-retrain.yaml"))
        .collect();
    assert_eq!(listed.len(), 1, "{kustomization}");
    documents(&dir.join(listed[0]))
        .into_iter()
        .find(|d| d["kind"] == "CronJob")
        .expect("a CronJob")
}

/// The last task of the DAG collects the run, after every other task, from
/// the outputs of the model and evaluate tasks; no two templates share a
/// name. Returns the collecting task's template.
fn assert_collects_every_stage(spec: &Value) -> &Value {
    let entry = spec["entrypoint"].as_str().unwrap();
    let templates = spec["templates"].as_array().unwrap();
    let mut names: Vec<&str> = templates
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), templates.len(), "{names:?}");
    let dag = templates.iter().find(|t| t["name"] == entry).unwrap();
    let tasks = dag["dag"]["tasks"].as_array().unwrap();
    let (last, stages) = tasks.split_last().unwrap();
    let others: Vec<&Value> = stages.iter().map(|t| &t["name"]).collect();
    let dependencies: Vec<&Value> = last["dependencies"].as_array().unwrap().iter().collect();
    assert_eq!(dependencies, others);
    let template = templates
        .iter()
        .find(|t| t["name"] == last["template"])
        .unwrap();
    let args = template["container"]["args"].as_array().unwrap();
    assert!(args.contains(&Value::from("--collect")), "{args:?}");
    assert!(!last["arguments"]["artifacts"]
        .as_array()
        .unwrap()
        .is_empty());
    template
}

fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", path.display()))
}

#[test]
fn gates_block_a_release_unless_the_user_overrides_them() {
    let dir = project(&root().join("examples/credit"));
    // No run: nothing to release.
    let output = build(&dir, &[]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(text(&output).contains("has not run"), "{}", text(&output));
    assert!(!dir.join("build").exists());

    // A bar the scorer cannot reach.
    let main = dir.join("main.mlp");
    let source = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        source.replace(
            "require scorer.accuracy >= 0.75",
            "require scorer.accuracy >= 0.99",
        ),
    )
    .unwrap();
    assert_eq!(
        mlp().arg("run").arg(&dir).output().unwrap().status.code(),
        Some(3)
    );
    let output = build(&dir, &[]);
    assert_eq!(output.status.code(), Some(3));
    let message = text(&output);
    assert!(
        message.contains("scorer.accuracy >= 0.99") && message.contains("failed"),
        "{message}"
    );
    assert!(!dir.join("build").exists());

    // Overridden: built, said, and written in the manifests. (The approval
    // on record is for the model this run trained: the bar changed, not the model.)
    let output = build(&dir, &["--allow-ungated"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("--allow-ungated"));
    let deployment =
        std::fs::read_to_string(dir.join("build/kubernetes/base/scoring-api-deployment.yaml"))
            .unwrap();
    assert!(deployment.contains("\"mlp.dev/ungated\""), "{deployment}");
}

#[test]
fn a_release_that_needs_an_approval_needs_one_for_its_model() {
    let dir = ran("credit");
    std::fs::remove_dir_all(dir.join("approvals")).unwrap();
    let output = build(&dir, &[]);
    assert_eq!(output.status.code(), Some(3));
    assert!(
        text(&output).contains("no approval is on record"),
        "{}",
        text(&output)
    );
    let approved = mlp()
        .args(["approve"])
        .arg(&dir)
        .args([
            "--deploy",
            "scoring_api",
            "--by",
            "officer@bank.example",
            "--reason",
            "reviewed",
        ])
        .output()
        .unwrap();
    assert_eq!(approved.status.code(), Some(0), "{}", text(&approved));
    assert_eq!(
        build(&dir, &["--target", "kubernetes"]).status.code(),
        Some(0)
    );
    let deployment =
        std::fs::read_to_string(dir.join("build/kubernetes/base/scoring-api-deployment.yaml"))
            .unwrap();
    assert!(
        deployment.contains("\"mlp.dev/approved-by\": \"officer@bank.example\""),
        "{deployment}"
    );
}

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", path.display()))
}

#[test]
fn environments_get_their_own_manifests() {
    let dir = ran("credit");
    assert_eq!(
        build(&dir, &["--target", "kubernetes"]).status.code(),
        Some(0)
    );
    let replicas = |env: &str| {
        yaml(&dir.join(format!(
            "build/kubernetes/{env}/scoring-api-deployment.yaml"
        )))["spec"]["replicas"]
            .clone()
    };
    assert_eq!(replicas("base"), 2);
    assert_eq!(replicas("prod"), 4);
    let staging = yaml(&dir.join("build/kubernetes/staging/scoring-api-deployment.yaml"));
    assert_eq!(staging["metadata"]["namespace"], "credit-risk-staging");
    let hpa = yaml(&dir.join("build/kubernetes/prod/scoring-api-hpa.yaml"));
    assert_eq!(hpa["spec"]["maxReplicas"], 20);
    let kustomization = yaml(&dir.join("build/kubernetes/prod/kustomization.yaml"));
    assert!(kustomization["resources"]
        .as_array()
        .unwrap()
        .contains(&Value::from("scoring-api-deployment.yaml")));

    // --env builds that environment alone.
    let out = dir.join("prod-only");
    let output = build(
        &dir,
        &[
            "--target",
            "kubernetes",
            "--env",
            "prod",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let deployment = yaml(&out.join("kubernetes/prod/scoring-api-deployment.yaml"));
    assert_eq!(deployment["spec"]["replicas"], 4);
    assert!(!out.join("kubernetes/base").exists());
}

#[test]
fn hostile_strings_stay_inside_their_values() {
    let dir = ran("diamonds");
    let hostile =
        "a \\\"quoted\\\" : value # not a comment {{ d.image }} $HOME ${PATH} '\\\\n' end";
    let main = dir.join("main.mlp");
    let source = std::fs::read_to_string(&main).unwrap();
    let pipeline_start = source
        .find("pipeline diamonds {")
        .expect("the pipeline block");
    let edited = format!(
        "{}pipeline diamonds {{\n  description = \"{hostile}\"\n  owner = \"ops: #1 \\\"team\\\"\"{}",
        &source[..pipeline_start],
        &source[pipeline_start + "pipeline diamonds {".len()..]
            .replacen("\n  description =", "\n  // description =", 1)
            .replacen("\n  owner =", "\n  // owner =", 1)
    );
    std::fs::write(&main, edited).unwrap();
    let check = mlp().arg("check").arg(&dir).output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    assert_eq!(
        mlp().arg("run").arg(&dir).output().unwrap().status.code(),
        Some(0)
    );
    let output = build(&dir, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let expected_description =
        "a \"quoted\" : value # not a comment {{ d.image }} $HOME ${PATH} '\\n' end";
    let deployment = yaml(&dir.join("build/kubernetes/base/price-api-deployment.yaml"));
    assert_eq!(
        deployment["metadata"]["annotations"]["mlp.dev/owner"],
        "ops: #1 \"team\""
    );
    let configmap = yaml(&dir.join("build/kubernetes/base/price-api-configmap.yaml"));
    let release: Value =
        serde_json::from_str(configmap["data"]["release.json"].as_str().unwrap()).unwrap();
    assert_eq!(release["description"], expected_description);
    let compose = yaml(&dir.join("build/compose/compose.yaml"));
    assert_eq!(
        compose["services"]["price-local"]["image"],
        "registry.example.com/diamond-pricing:2.1.0"
    );
    // The Dockerfile keeps the description on its LABEL line, with `$` escaped.
    let dockerfile =
        std::fs::read_to_string(dir.join("build/docker/price-api/Dockerfile")).unwrap();
    let label = dockerfile
        .lines()
        .find(|l| l.contains("org.opencontainers.image.description="))
        .unwrap();
    assert!(
        label.contains("\\$HOME") && label.contains("\\${PATH}"),
        "{label}"
    );
    assert!(
        label.ends_with('\\'),
        "the LABEL continues on the next line: {label}"
    );
    if tool("hadolint") {
        passes(Command::new("hadolint").arg(dir.join("build/docker/price-api/Dockerfile")));
    }
}

#[test]
fn templates_can_be_replaced_and_outputs_are_never_written_over_user_files() {
    let dir = ran("diamonds");
    let templates = dir.join("my-templates/kubernetes");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("service.yaml"),
        "# our own service\napiVersion: v1\nkind: Service\nmetadata:\n  name: {{ d.app | yaml }}\n",
    )
    .unwrap();
    let output = build(
        &dir,
        &[
            "--target",
            "kubernetes",
            "--templates",
            dir.join("my-templates").to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let service =
        std::fs::read_to_string(dir.join("build/kubernetes/base/price-api-service.yaml")).unwrap();
    assert!(service.starts_with("# our own service"), "{service}");

    // A folder mlp did not write is refused and left as it is.
    let mine = dir.join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "keep").unwrap();
    let output = build(&dir, &["--out", mine.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("did not build into"),
        "{}",
        text(&output)
    );
    assert_eq!(
        std::fs::read_to_string(mine.join("notes.txt")).unwrap(),
        "keep"
    );
    assert_eq!(std::fs::read_dir(&mine).unwrap().count(), 1);
    // A previous build with a stranger's file in it is refused too.
    std::fs::write(dir.join("build/kubernetes/base/extra.yaml"), "x").unwrap();
    let output = build(&dir, &["--target", "kubernetes"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).contains("extra.yaml"), "{}", text(&output));
    // A broken template is an error naming it.
    std::fs::write(templates.join("service.yaml"), "{{ d.app | yaml ").unwrap();
    std::fs::remove_file(dir.join("build/kubernetes/base/extra.yaml")).unwrap();
    let output = build(
        &dir,
        &[
            "--target",
            "kubernetes",
            "--templates",
            dir.join("my-templates").to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("kubernetes/service.yaml"),
        "{}",
        text(&output)
    );
}

/// Whether `name` is a DNS-1123 label: at most 63 lowercase letters,
/// digits and `-`, starting and ending with a letter or a digit.
fn is_dns_label(name: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    name.len() <= 63
        && edge(name.chars().next())
        && edge(name.chars().last())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Every name in `value` that a cluster checks (objects, containers,
/// volumes, claims, service accounts, Argo tasks, templates, artifacts and
/// dependencies) is a DNS-1123 label, and every label value at most 63
/// characters; environment variables are not names.
fn assert_names_are_labels(value: &Value, file: &str) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("env", _) => {}
                    ("labels" | "matchLabels", Value::Object(labels)) => {
                        for label in labels.values() {
                            let label = label.as_str().unwrap();
                            assert!(label.len() <= 63, "{file}: label value {label}");
                        }
                    }
                    (
                        "name" | "template" | "serviceAccountName" | "claimName",
                        Value::String(name),
                    ) => assert!(is_dns_label(name), "{file}: {key} {name}"),
                    ("generateName", Value::String(name)) => {
                        let base = name.strip_suffix('-').unwrap();
                        assert!(is_dns_label(base) && name.len() <= 58, "{file}: {name}");
                    }
                    ("dependencies", Value::Array(names)) => {
                        for name in names {
                            assert!(is_dns_label(name.as_str().unwrap()), "{file}: {name}");
                        }
                    }
                    _ => assert_names_are_labels(v, file),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                assert_names_are_labels(item, file);
            }
        }
        _ => {}
    }
}

/// `arg` with a path of a container replaced by the folder that stands for
/// it here.
fn local(arg: &str, mounts: &[(&str, &Path)]) -> String {
    for (path, dir) in mounts {
        if arg == *path {
            return dir.display().to_string();
        }
        if let Some(rest) = arg.strip_prefix(&format!("{path}/")) {
            return dir.join(rest).display().to_string();
        }
    }
    arg.to_string()
}

/// Runs a container's arguments with the mlp binary (the images'
/// entrypoint), the pipeline at `/pipeline` standing for `project`, and
/// checks its exit code.
fn run_container(container: &Value, project: &Path, mounts: &[(&str, &Path)], code: i32) {
    let mut all = vec![("/pipeline", project)];
    all.extend_from_slice(mounts);
    let args: Vec<String> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| local(&a.as_str().unwrap().replace("$(JOB_NAME)", "job-1"), &all))
        .collect();
    let output = mlp().args(&args).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(code),
        "{args:?}: {}",
        text(&output)
    );
}

/// Runs the pod of a retraining CronJob here as Kubernetes would: each init
/// container in order, then the container, sharing `/work`; returns the
/// run it wrote on the claim.
fn run_cronjob(cronjob: &Value, project: &Path, scratch: &Path) -> PathBuf {
    let pod = &cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    let (work, runs) = (scratch.join("work"), scratch.join("runs"));
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(&runs).unwrap();
    let containers = pod["initContainers"]
        .as_array()
        .unwrap()
        .iter()
        .chain(pod["containers"].as_array().unwrap());
    let mut names = std::collections::BTreeSet::new();
    for container in containers {
        assert!(
            names.insert(container["name"].as_str().unwrap().to_string()),
            "two containers have one name: {container}"
        );
        run_container(container, project, &[("/work", &work), ("/runs", &runs)], 0);
    }
    runs.join("job-1")
}

/// Runs an Argo DAG here, a task at a time in the order written, as Argo
/// would: each task's input artifacts are copies of the `/outputs` of the
/// tasks named in their `from`, at their paths; returns the last task's
/// outputs.
fn run_dag(spec: &Value, project: &Path, scratch: &Path) -> PathBuf {
    let templates = spec["templates"].as_array().unwrap();
    let template = |name: &Value| templates.iter().find(|t| t["name"] == *name).unwrap();
    let dag = template(&spec["entrypoint"]);
    let mut last = PathBuf::new();
    for task in dag["dag"]["tasks"].as_array().unwrap() {
        let name = task["name"].as_str().unwrap();
        let (inputs, outputs) = (
            scratch.join(name).join("inputs"),
            scratch.join(name).join("outputs"),
        );
        std::fs::create_dir_all(&inputs).unwrap();
        std::fs::create_dir_all(&outputs).unwrap();
        let t = template(&task["template"]);
        let given = task["arguments"]["artifacts"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for input in t["inputs"]["artifacts"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let from = given.iter().find(|a| a["name"] == input["name"]).unwrap()["from"]
                .as_str()
                .unwrap();
            let upstream = from
                .strip_prefix("{{tasks.")
                .and_then(|f| f.strip_suffix(".outputs.artifacts.outputs}}"))
                .unwrap();
            let path = local(input["path"].as_str().unwrap(), &[("/inputs", &inputs)]);
            copy_dir(&scratch.join(upstream).join("outputs"), Path::new(&path));
        }
        run_container(
            &t["container"],
            project,
            &[("/inputs", &inputs), ("/outputs", &outputs)],
            0,
        );
        last = outputs;
    }
    last
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Block names far longer than a Kubernetes name, two pairs of them alike
/// for longer than one, and stages named like the steps mlp adds: every
/// name of the build is still a valid, distinct DNS-1123 label, the files pass the validators, and the retraining job
/// and the workflow, run here as a cluster would run them, give the
/// metrics of a local run; the collecting step fails when an error gate
/// fails.
#[test]
fn long_block_names_make_valid_distinct_names_and_the_jobs_run() {
    let dir = project(&root().join("examples/diamonds"));
    let long = |word: &str, c: &str, end: &str| format!("{word}_{}{end}", c.repeat(70));
    let (ridge, ols) = (long("price", "a", "_ridge"), long("price", "a", "_ols"));
    let api = long("price", "b", "_api");
    let retraining = long("retraining", "c", "");
    let main = dir.join("main.mlp");
    let source = std::fs::read_to_string(&main)
        .unwrap()
        .replace(
            "pipeline diamonds",
            &format!("pipeline {}", long("diamonds", "d", "")),
        )
        .replace("price_ridge", &ridge)
        .replace("price_ols", &ols)
        .replace("price_api", &api)
        .replace("priced", "collect")
        .replace("holdout", "Pipeline");
    std::fs::write(
        &main,
        format!(
            "{source}\ndeploy {retraining}: argo {{\n  image = \"registry.example.com/diamond-runner:2.1.0\"\n  namespace = \"pricing\"\n}}\n"
        ),
    )
    .unwrap();
    let output = mlp().arg("run").arg(&dir).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let output = build(&dir, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let out = dir.join("build");
    let all = files(&out);
    validate("long names", &out, &all);

    let kube = out.join("kubernetes/base");
    let manifests: Vec<(String, Value)> = all
        .iter()
        .filter(|(n, _)| n.starts_with("kubernetes/") || n.starts_with("argo/"))
        .flat_map(|(n, _)| {
            documents(&out.join(n))
                .into_iter()
                .map(move |d| (n.clone(), d))
        })
        .collect();
    for (file, doc) in &manifests {
        assert_names_are_labels(doc, file);
        if doc["kind"] == "CronJob" || doc["kind"] == "CronWorkflow" {
            // Each Job or Workflow they start is named after them, plus 11.
            assert!(
                doc["metadata"]["name"].as_str().unwrap().len() <= 52,
                "{file}"
            );
        }
    }
    let cronjob = retrain_cronjob(&kube);
    let local_metrics = std::fs::read_to_string(dir.join(".mlp/runs/latest/metrics.json")).unwrap();
    let run = run_cronjob(&cronjob, &dir, &dir.join("cronjob"));
    assert_eq!(
        std::fs::read_to_string(run.join("metrics.json")).unwrap(),
        local_metrics
    );
    let (_, workflow) = manifests
        .iter()
        .find(|(_, d)| d["kind"] == "CronWorkflow")
        .expect("a CronWorkflow: the pipeline retrains");
    let spec = &workflow["spec"]["workflowSpec"];
    let collect = assert_collects_every_stage(spec);
    assert_eq!(collect["name"], "collect-2");
    assert_eq!(spec["entrypoint"], "pipeline-2");
    let run = run_dag(spec, &dir, &dir.join("argo"));
    assert_eq!(
        std::fs::read_to_string(run.join("metrics.json")).unwrap(),
        local_metrics
    );

    // A bar the model cannot reach (a policy is no stage: the stages'
    // outputs stay valid): the collecting task fails, and so the workflow.
    let source = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        source.replace(
            &format!("require {ridge}.r2 >= 0.88"),
            &format!("require {ridge}.r2 >= 0.999"),
        ),
    )
    .unwrap();
    let inputs = dir.join("argo/collect-2/inputs");
    let failed = dir.join("argo/collect-failed");
    run_container(
        &collect["container"],
        &dir,
        &[("/inputs", &inputs), ("/outputs", &failed)],
        3,
    );
    let metrics: Value =
        serde_json::from_str(&std::fs::read_to_string(failed.join("metrics.json")).unwrap())
            .unwrap();
    assert!(metrics["gates"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["passed"] == false && g["severity"] == "error"));
}
