//! Layering of the semantic core: syntax → resolve → check → ir. A lower
//! phase never imports a higher one, and none of them touches the disk.

use std::path::Path;

fn sources(dir: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&root).expect("the phase folder exists") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("readable");
            out.push((path.display().to_string(), text));
        }
    }
    assert!(!out.is_empty());
    out
}

fn forbid(dir: &str, needles: &[&str]) {
    for (path, text) in sources(dir) {
        for needle in needles {
            assert!(!text.contains(needle), "{path} uses `{needle}`");
        }
    }
}

#[test]
fn phases_only_import_lower_phases_and_do_no_io() {
    let io = [
        "std::fs",
        "std::env",
        "std::process",
        "crate::driver",
        "crate::graph",
        "crate::exec",
    ];
    forbid(
        "resolve",
        &[&io[..], &["crate::check", "crate::ir"]].concat(),
    );
    forbid("check", &[&io[..], &["crate::ir"]].concat());
    forbid("ir", &io);
}

/// The consumers of the checked program sit side by side above `exec`:
/// none of them is imported by the executor, and serving does not reach
/// back to the front end's text.
#[test]
fn the_executor_does_not_import_its_consumers() {
    forbid(
        "exec",
        &["crate::serve", "crate::emit", "crate::lint", "crate::doc::"],
    );
    forbid(
        "serve",
        &[
            "crate::driver",
            "crate::syntax::parse",
            "crate::emit",
            "crate::lint",
        ],
    );
}
