//! `mlp build`: deployment files rendered with tera from views of the
//! checked program and the run being released.
//!
//! The built-in templates are embedded (`templates/`); `--templates DIR`
//! replaces any of them by a file of the same relative path. Autoescaping
//! is off and every value goes through a filter that quotes it for its
//! format: `yaml` prints JSON (a JSON scalar is a YAML flow scalar, so a
//! quote, a colon, `#`, a newline or `{{` in a user string stays inside
//! its string), `docker` the same with `$` escaped against the
//! Dockerfile's variable expansion. A test checks that no built-in template
//! prints a value without one.

pub mod release;
pub mod view;
pub mod write;

use crate::exec::stages::SLUG_MAX;
use std::path::{Path, PathBuf};
use tera::{Context, Kwargs, State, Tera, Value};
pub use view::{deploy_view, ArgoView, DeployView, Plan, Release};

/// The built-in templates, by the path a `--templates` folder overrides.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "kubernetes/deployment.yaml",
        include_str!("templates/kubernetes/deployment.yaml"),
    ),
    (
        "kubernetes/service.yaml",
        include_str!("templates/kubernetes/service.yaml"),
    ),
    (
        "kubernetes/serviceaccount.yaml",
        include_str!("templates/kubernetes/serviceaccount.yaml"),
    ),
    (
        "kubernetes/networkpolicy.yaml",
        include_str!("templates/kubernetes/networkpolicy.yaml"),
    ),
    (
        "kubernetes/pdb.yaml",
        include_str!("templates/kubernetes/pdb.yaml"),
    ),
    (
        "kubernetes/hpa.yaml",
        include_str!("templates/kubernetes/hpa.yaml"),
    ),
    (
        "kubernetes/configmap.yaml",
        include_str!("templates/kubernetes/configmap.yaml"),
    ),
    (
        "kubernetes/prometheusrule.yaml",
        include_str!("templates/kubernetes/prometheusrule.yaml"),
    ),
    (
        "kubernetes/retrain.yaml",
        include_str!("templates/kubernetes/retrain.yaml"),
    ),
    (
        "kubernetes/kustomization.yaml",
        include_str!("templates/kubernetes/kustomization.yaml"),
    ),
    (
        "docker/Dockerfile",
        include_str!("templates/docker/Dockerfile"),
    ),
    (
        "docker/dockerignore",
        include_str!("templates/docker/dockerignore"),
    ),
    (
        "compose/compose.yaml",
        include_str!("templates/compose/compose.yaml"),
    ),
    (
        "argo/workflow.yaml",
        include_str!("templates/argo/workflow.yaml"),
    ),
];

/// A file to write, relative to the output folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub path: PathBuf,
    pub text: String,
}

pub struct Emitter {
    tera: Tera,
}

fn json(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_string())
}

impl Emitter {
    /// The built-in templates, each replaced by `overrides/<path>` when that
    /// file exists.
    pub fn new(overrides: Option<&Path>) -> Result<Emitter, String> {
        let mut tera = Tera::new();
        tera.autoescape_on(Vec::<&str>::new());
        tera.register_filter("yaml", |v: &Value, _: Kwargs, _: &State| json(v));
        tera.register_filter("docker", |v: &Value, _: Kwargs, _: &State| {
            json(v).replace('$', "\\$")
        });
        for (name, builtin) in TEMPLATES {
            let text = match overrides.map(|dir| dir.join(name)) {
                Some(path) if path.is_file() => std::fs::read_to_string(&path)
                    .map_err(|e| format!("{}: {}", path.display(), crate::files::io_words(&e)))?,
                _ => builtin.to_string(),
            };
            tera.add_raw_template(name, &text)
                .map_err(|e| format!("template {name}: {}", error_chain(&e)))?;
        }
        Ok(Emitter { tera })
    }

    fn render(&self, template: &str, context: &Context) -> Result<String, String> {
        self.tera
            .render(template, context)
            .map_err(|e| format!("rendering {template}: {}", error_chain(&e)))
    }

    fn context(values: &[(&str, &dyn erased::Ser)]) -> Context {
        let mut context = Context::new();
        for (key, value) in values {
            context.insert(key.to_string(), &value.value());
        }
        context
    }

    /// The Kubernetes objects of every deployment, in `kubernetes/<dir>/`,
    /// with the kustomization that lists them. With `retrain`, each
    /// deployment retrains on schedule by the stages of `plan`.
    pub fn kubernetes(
        &self,
        deploys: &[DeployView],
        plan: &Plan,
        dir: &str,
    ) -> Result<Vec<Rendered>, String> {
        let mut out = Vec::new();
        for d in deploys {
            let release_json = serde_json::to_string_pretty(d).map_err(|e| e.to_string())?;
            let retrain = view::retrain_view(d, plan);
            let configmap = view::suffixed(&d.app, "-release", SLUG_MAX);
            let context = Self::context(&[
                ("d", d),
                ("release_json", &release_json),
                ("configmap", &configmap),
                ("retrain", &retrain),
            ]);
            let mut kinds = vec![
                "serviceaccount",
                "deployment",
                "service",
                "networkpolicy",
                "pdb",
                "configmap",
            ];
            if d.autoscale.is_some() {
                kinds.push("hpa");
            }
            if !d.alerts.is_empty() {
                kinds.push("prometheusrule");
            }
            if retrain.is_some() {
                kinds.push("retrain");
            }
            for kind in kinds {
                let text = self.render(&format!("kubernetes/{kind}.yaml"), &context)?;
                out.push(Rendered {
                    path: PathBuf::from(format!("kubernetes/{dir}/{}-{kind}.yaml", d.app)),
                    text,
                });
            }
        }
        let files: Vec<String> = out
            .iter()
            .filter_map(|r| r.path.file_name().map(|n| n.to_string_lossy().to_string()))
            .collect();
        let text = self.render(
            "kubernetes/kustomization.yaml",
            &Self::context(&[("files", &files)]),
        )?;
        out.push(Rendered {
            path: PathBuf::from(format!("kubernetes/{dir}/kustomization.yaml")),
            text,
        });
        Ok(out)
    }

    /// A Dockerfile and `.dockerignore` per deployment that serves a model,
    /// in `docker/<app>/`, beside which the model artifact is copied.
    pub fn docker(&self, d: &DeployView) -> Result<Vec<Rendered>, String> {
        let context = Self::context(&[("d", d)]);
        Ok(vec![
            Rendered {
                path: PathBuf::from(format!("docker/{}/Dockerfile", d.app)),
                text: self.render("docker/Dockerfile", &context)?,
            },
            Rendered {
                path: PathBuf::from(format!("docker/{}/.dockerignore", d.app)),
                text: self.render("docker/dockerignore", &context)?,
            },
        ])
    }

    pub fn compose(&self, pipeline: &str, deploys: &[DeployView]) -> Result<Rendered, String> {
        let context = Self::context(&[("pipeline", &pipeline), ("deploys", &deploys)]);
        Ok(Rendered {
            path: PathBuf::from("compose/compose.yaml"),
            text: self.render("compose/compose.yaml", &context)?,
        })
    }

    pub fn argo(&self, workflow: &ArgoView) -> Result<Rendered, String> {
        let context = Self::context(&[("w", workflow)]);
        Ok(Rendered {
            path: PathBuf::from(format!("argo/{}-workflow.yaml", workflow.app)),
            text: self.render("argo/workflow.yaml", &context)?,
        })
    }
}

/// A tera error and its causes, in one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The views differ in type; a context takes them as JSON values.
mod erased {
    use serde::Serialize;

    pub trait Ser {
        fn value(&self) -> serde_json::Value;
    }

    impl<T: Serialize> Ser for T {
        fn value(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TEMPLATES;

    /// Every `{{ ... }}` of a built-in template ends with an escaping filter.
    #[test]
    fn every_printed_value_is_escaped() {
        for (name, text) in TEMPLATES {
            let mut rest = *text;
            while let Some(start) = rest.find("{{") {
                let end = rest[start..].find("}}").expect("closed expression") + start;
                let expression = rest[start + 2..end].trim();
                // `pad` is the argo template's own indentation, not a value.
                assert!(
                    expression.ends_with("| yaml")
                        || expression.ends_with("| docker")
                        || expression == "pad",
                    "{name}: `{{{{ {expression} }}}}` is printed unescaped"
                );
                rest = &rest[end + 2..];
            }
        }
    }
}
