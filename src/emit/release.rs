//! What `mlp build` releases: the deployments of the chosen targets, the
//! run whose models they serve, and the reasons it refuses to — a missing
//! run, a failed error gate, a missing or stale approval.

use super::view::{self, ApprovalView, DeployView, Release};
use super::write::Copy;
use super::{Emitter, Plan, Rendered};
use crate::approvals::Approval;
use crate::check::{BlockInfo, DeployInfo, Program};
use crate::driver::Compilation;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, Default)]
pub struct Targets {
    pub kubernetes: bool,
    pub docker: bool,
    pub compose: bool,
    pub argo: bool,
}

pub struct Request<'a> {
    pub base: &'a Compilation,
    /// The pipeline compiled with each of its `env` overlays, for the
    /// Kubernetes folder of each environment.
    pub environments: Vec<(String, Compilation)>,
    /// The run whose models are released, when there is one.
    pub run: Option<PathBuf>,
    pub approvals: &'a [Approval],
    pub allow_ungated: bool,
    pub targets: Targets,
    pub emitter: &'a Emitter,
    /// The overlay `--env` applied to `base`, if any.
    pub env: Option<&'a str>,
}

pub struct Built {
    pub files: Vec<Rendered>,
    pub copies: Vec<Copy>,
    /// Said to the user, not fatal (`--allow-ungated`).
    pub warnings: Vec<String>,
}

fn deployments(program: &Program) -> Vec<(&str, &DeployInfo)> {
    program
        .blocks
        .iter()
        .filter(|b| !b.module.starts_with("std."))
        .filter_map(|b| match &b.info {
            BlockInfo::Deploy(d) => Some((b.name.as_str(), d)),
            _ => None,
        })
        .collect()
}

fn read_json(path: &Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: {}", path.display(), crate::files::io_words(&e)))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))
}

/// The error gates of `policies` that the run did not pass (or did not
/// evaluate), as sentences.
fn failed_gates(metrics: &serde_json::Value, policies: &[String]) -> Vec<String> {
    let gates = metrics["gates"].as_array().map_or(&[][..], Vec::as_slice);
    gates
        .iter()
        .filter(|g| g["severity"] == "error")
        .filter(|g| policies.iter().any(|p| g["policy"] == p.as_str()))
        .filter(|g| g["passed"] != true || g["evaluated"] == false)
        .map(|g| {
            let state = if g["evaluated"] == false {
                "was not evaluated"
            } else {
                "failed"
            };
            format!(
                "gate `{}` of policy `{}` {state}",
                g["rule"].as_str().unwrap_or("?"),
                g["policy"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

pub fn build(request: &Request) -> Result<Built, String> {
    let program = &request.base.program;
    let targets = request.targets;
    let selected: Vec<(&str, &DeployInfo)> = deployments(program)
        .into_iter()
        .filter(|(_, d)| match d.target.as_str() {
            "kubernetes" => targets.kubernetes || targets.docker,
            "compose" => targets.compose || targets.docker,
            "docker" => targets.docker,
            "argo" => targets.argo,
            _ => false,
        })
        .collect();
    if selected.is_empty() {
        return Err("the pipeline declares no deployment for this target".to_string());
    }
    let mut warnings = Vec::new();
    let metrics = match &request.run {
        Some(run) => Some(read_json(&run.join("metrics.json"))?),
        None if request.allow_ungated => {
            warnings.push("no run: the models are not packaged and the gates are not checked (--allow-ungated)".to_string());
            None
        }
        None => {
            return Err(
                "the pipeline has not run: `mlp run` it so that its gates are checked, or build with --allow-ungated".to_string(),
            )
        }
    };
    for (name, info) in &selected {
        let Some(metrics) = &metrics else { continue };
        let failed = failed_gates(metrics, &info.gates);
        if failed.is_empty() {
            continue;
        }
        let message = format!("`{name}` may not be released: {}", failed.join("; "));
        if !request.allow_ungated {
            return Err(format!(
                "{message} (build with --allow-ungated to override)"
            ));
        }
        warnings.push(format!("{message}; built anyway (--allow-ungated)"));
    }
    // Model artifacts of the run, their hashes and the hash of their training rows.
    let mut model_hashes = BTreeMap::new();
    let mut training_hashes = BTreeMap::new();
    if let Some(run) = &request.run {
        model_hashes = crate::approvals::model_hashes(run)?;
        for model in model_hashes.keys() {
            let artifact = read_json(&run.join("models").join(format!("{model}.json")))?;
            if let Some(hash) = artifact["trained_on"]["hash"].as_str() {
                training_hashes.insert(model.clone(), hash.to_string());
            }
        }
    }
    let approvals = approvals_in_force(request, &model_hashes)?;
    let release = Release {
        model_hashes: &model_hashes,
        training_hashes: &training_hashes,
        ungated: request.allow_ungated,
        approvals: &approvals,
        env: request.env,
    };
    let views: Vec<DeployView> = selected
        .iter()
        .map(|(name, info)| view::deploy_view(program, name, info, &release))
        .collect();
    let plan = Plan::of(program);
    let mut files = Vec::new();
    let mut copies = Vec::new();
    let serving = |d: &&DeployView| d.model.is_some() && d.target != "argo";
    if targets.kubernetes {
        let kube: Vec<DeployView> = views
            .iter()
            .filter(|d| d.target == "kubernetes")
            .cloned()
            .collect();
        if !kube.is_empty() {
            files.extend(request.emitter.kubernetes(
                &kube,
                &plan,
                request.env.unwrap_or("base"),
            )?);
            for (env, compilation) in &request.environments {
                let env_release = Release {
                    env: Some(env),
                    ..release_copy(&release)
                };
                let env_views: Vec<DeployView> = deployments(&compilation.program)
                    .into_iter()
                    .filter(|(_, d)| d.target == "kubernetes")
                    .map(|(name, info)| {
                        view::deploy_view(&compilation.program, name, info, &env_release)
                    })
                    .collect();
                let env_plan = Plan::of(&compilation.program);
                files.extend(request.emitter.kubernetes(&env_views, &env_plan, env)?);
            }
        }
    }
    if targets.docker {
        for d in views.iter().filter(serving) {
            files.extend(request.emitter.docker(d)?);
            let model = d.model.as_ref().map(|m| m.name.clone()).unwrap_or_default();
            if let Some(run) = &request.run {
                copies.push(Copy {
                    to: PathBuf::from(format!("docker/{}/model/{model}.json", d.app)),
                    from: run.join("models").join(format!("{model}.json")),
                });
            }
        }
    }
    if targets.compose {
        let compose: Vec<DeployView> = views
            .iter()
            .filter(|d| d.target == "compose")
            .cloned()
            .collect();
        if !compose.is_empty() {
            let pipeline = program
                .pipeline
                .as_ref()
                .map_or("main", |p| p.name.as_str());
            files.push(request.emitter.compose(pipeline, &compose)?);
        }
    }
    if targets.argo {
        for d in views.iter().filter(|d| d.target == "argo") {
            files.push(request.emitter.argo(&view::argo_view(d, &plan))?);
        }
    }
    Ok(Built {
        files,
        copies,
        warnings,
    })
}

fn release_copy<'a>(r: &Release<'a>) -> Release<'a> {
    Release {
        model_hashes: r.model_hashes,
        training_hashes: r.training_hashes,
        ungated: r.ungated,
        approvals: r.approvals,
        env: r.env,
    }
}

/// The approval of each deployment that needs one, for the model being
/// released; a deployment that needs one and has none is refused (lint
/// rule GOV027 decides, so that lint and build agree).
fn approvals_in_force(
    request: &Request,
    model_hashes: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, ApprovalView>, String> {
    let context = crate::lint::Context::of(request.base, request.approvals, model_hashes);
    let linted = crate::lint::lint(&context);
    if let Some(missing) = linted
        .findings
        .iter()
        .find(|f| f.diagnostic.code.0 == "GOV027" && f.waiver.is_none())
    {
        return Err(format!(
            "{}: {}",
            missing.diagnostic.message,
            missing.diagnostic.help.as_deref().unwrap_or("")
        ));
    }
    let mut out = BTreeMap::new();
    for approval in request.approvals {
        let current = model_hashes.get(&approval.model);
        if current.is_none_or(|h| *h == approval.model_hash) {
            out.insert(
                approval.deploy.clone(),
                ApprovalView {
                    by: approval.by.clone(),
                    at: approval.at.clone(),
                    reason: approval.reason.clone(),
                },
            );
        }
    }
    Ok(out)
}
