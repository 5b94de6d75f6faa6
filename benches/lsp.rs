//! Latency of `mlp lsp` on a generated pipeline of 10k lines: the time from a
//! `didChange` to its `publishDiagnostics`, of a hover and of a completion
//! in a transform chain (its columns in scope), median and p95.
//! Run with `cargo bench --bench lsp`; figures in docs/performance.md.

mod common;
#[path = "../tests/lsp_client/mod.rs"]
mod lsp_client;

use serde_json::json;
use std::time::Instant;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let dir = std::env::temp_dir().join(format!("mlp-lsp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.mlp");
    let text = common::pipeline(10_000);
    std::fs::write(&path, &text).unwrap();
    let mut client = lsp_client::Client::start(env!("CARGO_BIN_EXE_mlp"), &dir, json!({}));
    let u = client.open(&path, &text);
    client.diagnostics(&u, 1);
    let line = text.lines().count() as u32;
    // Inside the first step of a chain: the columns in scope are offered.
    let (step_line, step_col) = text
        .lines()
        .enumerate()
        .find_map(|(i, l)| {
            l.find("| ")
                .map(|c| (i, l[c..].find('(').map_or(c + 2, |p| c + p + 1)))
        })
        .expect("the generated pipeline has a transform chain");
    let mut change = Vec::new();
    let mut hover = Vec::new();
    let mut complete = Vec::new();
    for version in 2..42i64 {
        let at = json!({"line": line, "character": 0});
        let start = Instant::now();
        client.change(&u, version, json!([{"range": {"start": at, "end": at}, "text": if version % 2 == 0 { "\n" } else { "" }}]));
        client.diagnostics(&u, version);
        change.push(start.elapsed().as_secs_f64() * 1e3);
        let start = Instant::now();
        client.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": u}, "position": {"line": 12, "character": 12}}),
        );
        hover.push(start.elapsed().as_secs_f64() * 1e3);
        let start = Instant::now();
        let items = client.request(
            "textDocument/completion",
            json!({"textDocument": {"uri": u}, "position": {"line": step_line, "character": step_col}}),
        );
        complete.push(start.elapsed().as_secs_f64() * 1e3);
        assert!(
            items.to_string().contains("label"),
            "no completion items: {items}"
        );
        client.pending.clear();
    }
    for (name, mut v) in [
        ("didChange→publishDiagnostics", change),
        ("hover", hover),
        ("completion", complete),
    ] {
        v.sort_by(f64::total_cmp);
        println!(
            "{name}: median {:.1} ms, p95 {:.1} ms ({} samples, {} lines)",
            percentile(&v, 0.5),
            percentile(&v, 0.95),
            v.len(),
            line
        );
    }
    let _ = client.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}
