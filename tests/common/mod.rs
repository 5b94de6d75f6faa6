//! Helpers shared by the integration tests: the real binary, and the
//! front end run on a text in memory. Each test binary uses a part of them.
#![allow(dead_code)]

use mlp::check::{self, Checked, Options};
use mlp::diagnostics::Diagnostic;
use mlp::resolve::{self, Loader, Resolved};
use mlp::source::SourceMap;
use std::path::Path;
use std::process::{Command, Output};

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `mlp ARGS` from the crate's folder, without colours.
pub fn mlp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlp"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("the mlp binary runs")
}

/// The front end on `text` as the entry file `main.mlp`, which may only
/// use standard modules.
pub fn check_text(text: &str) -> (Resolved, Checked) {
    let mut sources = SourceMap::new();
    let resolved = resolve::resolve(
        Path::new("main.mlp"),
        text.into(),
        Path::new(""),
        &NoFiles,
        &mut sources,
    );
    let checked = check::check(&resolved, &sources, &Options::default());
    (resolved, checked)
}

/// Every diagnostic of a front-end run: resolving's, then checking's.
pub fn all_diagnostics<'a>(
    resolved: &'a Resolved,
    checked: &'a Checked,
) -> impl Iterator<Item = &'a Diagnostic> {
    resolved.diagnostics.iter().chain(&checked.diagnostics)
}

struct NoFiles;

impl Loader for NoFiles {
    fn read(&self, _: &Path) -> Result<String, String> {
        Err("no local files in this test".into())
    }
}
