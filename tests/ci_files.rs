//! The CI files users copy: the GitHub Actions workflow of
//! docs/ci/github-actions.yml and the pre-commit hooks of
//! .pre-commit-hooks.yaml are valid for their tools, and the `mlp`
//! commands they run work on a real pipeline.

mod common;
use common::{command as mlp, project, root, tool_available as tool};
use std::process::Command;

fn run(command: &mut Command) -> String {
    let output = command.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{command:?}: {text}");
    text
}

#[test]
fn the_workflow_is_a_valid_github_workflow() {
    if tool("check-jsonschema", "--version") {
        run(Command::new("check-jsonschema")
            .args(["--builtin-schema", "vendor.github-workflows"])
            .arg(root().join("docs/ci/github-actions.yml")));
    }
}

#[test]
fn the_workflows_lint_steps_run_on_the_credit_example() {
    let workflow = std::fs::read_to_string(root().join("docs/ci/github-actions.yml")).unwrap();
    let steps: Vec<&str> = workflow
        .lines()
        .filter_map(|l| l.trim().strip_prefix("run: mlp lint "))
        .collect();
    assert_eq!(steps.len(), 2, "{workflow}");
    let dir = project(&root().join("examples/credit"));
    for step in steps {
        // `--format sarif . > mlp-lint.sarif || true`: the arguments before
        // the shell's redirection.
        let args: Vec<&str> = step
            .split(['>', '|'])
            .next()
            .unwrap()
            .split_whitespace()
            .collect();
        let output = mlp()
            .arg("lint")
            .args(&args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "mlp lint {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        if args.contains(&"sarif") {
            let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            assert_eq!(sarif["version"], "2.1.0");
        }
    }
}

#[test]
fn the_pre_commit_hooks_are_a_valid_manifest_and_their_commands_run() {
    let manifest = root().join(".pre-commit-hooks.yaml");
    if tool("pre-commit", "--version") {
        run(Command::new("pre-commit")
            .arg("validate-manifest")
            .arg(&manifest));
    }
    let text = std::fs::read_to_string(&manifest).unwrap();
    let entries: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("entry: mlp "))
        .collect();
    assert_eq!(entries, ["lint", "check"]);
    assert_eq!(text.matches("args: [\".\"]").count(), 2);
    let dir = project(&root().join("examples/credit"));
    for subcommand in entries {
        let output = mlp()
            .args([subcommand, "."])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "mlp {subcommand} .: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
