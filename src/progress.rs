//! How `mlp run` shows its progress: a live display on a terminal, plain
//! lines otherwise, one JSON event per line for tools, or nothing.

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use mlp::exec::run::Event;
use mlp::exec::stages::StageKind;
use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// indicatif spinners, one per running stage.
    Live,
    Plain,
    Json,
    Quiet,
}

/// `model scorer`; evaluations are named `evaluate m on t` already.
fn label(kind: StageKind, stage: &str) -> String {
    if kind == StageKind::Evaluate {
        stage.to_string()
    } else {
        format!("{} {stage}", kind.as_str())
    }
}

pub struct Progress {
    mode: Mode,
    bars: MultiProgress,
    running: Mutex<HashMap<String, ProgressBar>>,
}

impl Progress {
    pub fn new(mode: Mode) -> Progress {
        Progress {
            mode,
            bars: MultiProgress::new(),
            running: Mutex::new(HashMap::new()),
        }
    }

    fn line(&self, text: String) {
        if self.mode == Mode::Live {
            let _ = self.bars.println(text);
        } else {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "{text}");
        }
    }

    pub fn event(&self, event: &Event) {
        match self.mode {
            Mode::Quiet => {}
            Mode::Json => {
                if let Ok(text) = serde_json::to_string(event) {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{text}");
                }
            }
            Mode::Live | Mode::Plain => self.show(event),
        }
    }

    fn show(&self, event: &Event) {
        match event {
            Event::Plan { stages, to_run } => {
                self.line(format!(
                    "{stages} stage(s), {to_run} to run, {} cached",
                    stages - to_run
                ));
            }
            Event::StageStarted {
                stage,
                kind,
                reason,
            } => {
                if self.mode == Mode::Live {
                    let bar = self.bars.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.set_message(format!("{} ({})", label(*kind, stage), reason));
                    bar.enable_steady_tick(Duration::from_millis(100));
                    self.running
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(stage.clone(), bar);
                } else {
                    self.line(format!("run    {} ({})", label(*kind, stage), reason));
                }
            }
            Event::StageFinished {
                stage,
                kind,
                cached,
                rows,
                duration_ms,
            } => {
                if let Some(bar) = self
                    .running
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(stage)
                {
                    bar.finish_and_clear();
                }
                let rows = rows.map(|r| format!(", {r} rows")).unwrap_or_default();
                let what = if *cached { "cached" } else { "done  " };
                self.line(format!(
                    "{what} {} ({duration_ms:.0} ms{rows})",
                    label(*kind, stage)
                ));
            }
            Event::Expectation {
                source,
                expectation,
                passed,
                detail,
            } => {
                let mark = if *passed { "ok  " } else { "FAIL" };
                self.line(format!("expect {mark} {source}: {expectation} ({detail})"));
            }
            Event::Undefined {
                model,
                evaluated_on,
                metric,
                reason,
            } => {
                self.line(format!(
                    "warning: `{metric}` of `{model}` on `{evaluated_on}` is not defined: {reason}"
                ));
            }
            Event::Gate(gate) => {
                let mark = match (gate.evaluated, gate.passed) {
                    (false, _) => "skip",
                    (true, true) => "pass",
                    (true, false) => "FAIL",
                };
                let value = gate
                    .value
                    .map(|v| format!("{v:.4}"))
                    .unwrap_or_else(|| "?".into());
                let bound = gate
                    .bound
                    .map(|v| format!("{v:.4}"))
                    .unwrap_or_else(|| "?".into());
                let why = gate
                    .error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default();
                self.line(format!(
                    "gate   {mark} {}: {} [{}] value {value}, bound {bound}{why}",
                    gate.policy, gate.rule, gate.model
                ));
            }
            Event::CacheDamaged { stage, detail } => {
                self.line(format!(
                    "warning: the cache entry of `{stage}` is damaged ({detail}): rebuilding it"
                ));
            }
            Event::InputVerified { stage, dir, key } => {
                let short = key.get(..8).unwrap_or(key);
                self.line(format!("input  {stage}: {dir} (verified, key {short}…)"));
            }
            Event::Finished { out, failed_gates } => {
                let gates = if *failed_gates > 0 {
                    format!(" ({failed_gates} error gate(s) failed)")
                } else {
                    String::new()
                };
                self.line(format!("outputs in {out}{gates}"));
            }
        }
    }
}
