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
        if tool("checkov") {
            for (framework, path) in [
                ("kubernetes", out.join("kubernetes")),
                ("dockerfile", out.join("docker")),
                ("argo_workflows", out.join("argo")),
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
            for (name, _) in all.iter().filter(|(n, _)| n.starts_with("argo/")) {
                passes(
                    Command::new("check-jsonschema")
                        .arg("--schemafile")
                        .arg(root().join("tests/data/argo-workflow.strict.schema.json"))
                        .arg(out.join(name)),
                );
            }
        }

        // Same input, same bytes.
        assert_eq!(build(&dir, &[]).status.code(), Some(0));
        assert_eq!(files(&out), all, "{example}: a second build differs");
    }
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
