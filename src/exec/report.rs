//! The run report: `report.html`, one self-contained page.
//!
//! [`render`] turns a [`ReportData`] (filled by the executor) into HTML with
//! inline CSS and inline SVG plots drawn here, so the page reads offline, in
//! any browser, with no script and no external resource. The output depends
//! only on the data (no clock, no hash-map order), so the same run gives the
//! same bytes.
//!
//! The data can be degenerate (a model evaluated on one row, a constant
//! prediction, an infinite coefficient): every number drawn goes through
//! [`coord`], which never writes `NaN` or `inf` into an attribute, non-finite
//! points are left out, and an empty plot says so instead of drawing nothing.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

mod cv;

use super::metrics::{ClassScores, ResidualSummary};
use super::profile::{SourceProfile, Summary};

/// Everything the report shows about one run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportData {
    pub pipeline: String,
    pub run_id: String,
    pub mlp_version: String,
    pub models: Vec<ModelReport>,
    pub gates: Vec<GateResult>,
    pub stages: Vec<StageReport>,
    pub expectations: Vec<ExpectationResult>,
    /// Each source's data profile, in stage order.
    #[serde(default)]
    pub profiles: Vec<SourceProfile>,
    /// The pipeline's dependency graph, an SVG drawn by `crate::graph`.
    #[serde(default)]
    pub graph_svg: Option<String>,
    /// Where each trained model came from.
    #[serde(default)]
    pub lineage: Vec<Lineage>,
}

/// One model's lineage: the files its training rows came from, those rows,
/// the model file, and what it was evaluated on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Lineage {
    pub model: String,
    pub algorithm: String,
    /// The hash of `models/<model>.json`, the one approvals name.
    pub model_hash: String,
    pub trained_on: String,
    pub rows: usize,
    pub data_hash: String,
    /// `(path, hash)` of every source file upstream.
    pub source_files: Vec<(String, String)>,
    pub evaluations: Vec<String>,
}

/// One evaluated model and what to plot for it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ModelReport {
    pub name: String,
    pub algorithm: String,
    /// `classifier`, `regressor` or `clusterer`.
    pub kind: String,
    /// The data it was evaluated on, e.g. `holdout.test`.
    pub evaluated_on: String,
    pub rows: usize,
    pub metrics: BTreeMap<String, f64>,
    pub confusion: Option<Confusion>,
    /// `(false positive rate, true positive rate)` points, sorted, as
    /// [`roc_points`] returns them.
    pub roc: Option<Vec<(f64, f64)>>,
    /// `(predicted, actual)` pairs, all of them: the plot subsamples.
    pub residuals: Option<Vec<(f64, f64)>>,
    pub weights: Option<Weights>,
    /// `(cluster name, size)`.
    pub clusters: Option<Vec<(String, usize)>>,
    /// With `groups = COLUMN`: the rows and per-group metrics of each group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<GroupTable>,
    /// `(recall, precision)` points of a binary classifier, as
    /// [`precision_recall_points`] returns them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision_recall: Option<Vec<(f64, f64)>>,
    /// A classifier's classification report: every class's precision,
    /// recall, F1 and support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_class: Option<PerClass>,
    /// A regressor's residuals summarised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residual_summary: Option<ResidualSummary>,
    /// The requested metrics that the evaluated rows do not define (a
    /// ROC AUC with one class present, any metric of zero rows), each with
    /// the reason.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub undefined: BTreeMap<String, String>,
    /// With `cv { }`: the folds and each metric's value on each of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cv: Option<CvReport>,
    /// The hyper-parameter search of the model, from its file, when it
    /// had one: filled when the report is made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<SearchRecord>,
}

/// The per-class lines of a classification report, classes in the
/// target's order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PerClass {
    pub labels: Vec<String>,
    pub scores: Vec<ClassScores>,
    /// The `_macro` metrics, with the evaluated rows as support.
    pub macro_average: ClassScores,
    /// The `_weighted` metrics, with the evaluated rows as support.
    pub weighted_average: ClassScores,
}

/// A hyper-parameter search: every candidate tried, with its scores.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchRecord {
    pub metric: String,
    pub higher_is_better: bool,
    #[serde(flatten)]
    pub dealt: Dealt,
    /// The index in `trials` of the candidate the model was trained with.
    pub best: usize,
    pub trials: Vec<Trial>,
}

/// One candidate of a search: its values, and the metric on each fold.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trial {
    pub hyper: BTreeMap<String, crate::exec::models::HyperValue>,
    pub mean: f64,
    pub std: f64,
    pub folds: Vec<f64>,
}

/// How the rows of a cross-validation (or a search) were dealt into folds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dealt {
    pub folds: usize,
    pub seed: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stratify: Option<String>,
    /// The table whose rows are dealt into folds, `holdout.train`.
    pub rows_of: String,
    /// The transforms fitted again on each fold's training rows.
    pub refit: Vec<String>,
    /// The fold of each row of `rows_of`, in the table's order.
    pub fold_of_row: Vec<u32>,
}

/// A cross-validation: how the rows were dealt into folds, and each
/// metric on every fold, scored by a model trained on the other folds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CvReport {
    #[serde(flatten)]
    pub dealt: Dealt,
    /// The rows each fold's model is scored on.
    pub fold_rows: Vec<usize>,
    pub metrics: BTreeMap<String, CvMetric>,
}

/// One metric of a cross-validation: its value on each fold, their mean
/// and population standard deviation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CvMetric {
    pub mean: f64,
    pub std: f64,
    pub folds: Vec<f64>,
}

/// The groups of an evaluation that names a `groups` column.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupTable {
    /// The column whose values are the groups.
    pub column: String,
    /// The groups that occur in the evaluated rows, in order.
    pub groups: Vec<GroupRow>,
}

/// One group: its value, its number of rows and its per-group metrics
/// (`accuracy_by_group`, ...: those the evaluation computes).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupRow {
    pub group: String,
    pub rows: usize,
    pub metrics: BTreeMap<String, f64>,
}

/// A confusion matrix: `matrix[true][predicted]`, classes in `labels` order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Confusion {
    pub labels: Vec<String>,
    pub matrix: Vec<Vec<u64>>,
}

/// Per-feature weights of a model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Weights {
    /// `Coefficients` or `Feature importances`.
    pub title: String,
    pub values: Vec<(String, f64)>,
}

/// One policy gate evaluated after the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GateResult {
    pub policy: String,
    pub rule: String,
    /// `error`, `warning` or `info`.
    pub severity: String,
    /// False for a gate whose model this run did not evaluate.
    pub evaluated: bool,
    pub passed: bool,
    pub value: Option<f64>,
    pub bound: String,
    pub message: Option<String>,
}

/// One stage of the run, for the lineage table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageReport {
    pub name: String,
    pub kind: String,
    pub rows: Option<usize>,
    pub duration_ms: f64,
    pub cached: bool,
    pub output_hash: String,
}

/// One `expect { }` data test.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExpectationResult {
    pub source: String,
    pub expectation: String,
    pub passed: bool,
    pub detail: String,
}

// -------------------------------------------------------------------- ROC

/// The ROC curve of a binary problem, exactly: one point per distinct
/// score (tied scores collapse into one step), from `(0, 0)` to `(1, 1)`,
/// as scikit-learn's `roc_curve(..., drop_intermediate=False)`.
///
/// `positives[i]` says whether sample `i` is of the positive class and
/// `scores[i]` is its score, higher meaning more likely positive. A `NaN`
/// score is left out. The curve is empty (nothing to draw) when the lengths
/// differ or when only one class is present, where scikit-learn's rates are
/// `NaN`.
pub fn roc_points(scores: &[f64], positives: &[bool]) -> Vec<(f64, f64)> {
    if scores.len() != positives.len() {
        return Vec::new();
    }
    let mut pairs: Vec<(f64, bool)> = scores
        .iter()
        .copied()
        .zip(positives.iter().copied())
        .filter(|(s, _)| !s.is_nan())
        .collect();
    let n_pos = pairs.iter().filter(|(_, p)| *p).count();
    let n_neg = pairs.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return Vec::new();
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut points = vec![(0.0, 0.0)];
    let (mut tp, mut fp) = (0usize, 0usize);
    for (i, &(score, positive)) in pairs.iter().enumerate() {
        if positive {
            tp += 1;
        } else {
            fp += 1;
        }
        // `!=` rather than `total_cmp`: -0.0 and 0.0 are one threshold.
        if pairs.get(i + 1).is_none_or(|next| next.0 != score) {
            points.push((fp as f64 / n_neg as f64, tp as f64 / n_pos as f64));
        }
    }
    points
}

/// The precision-recall curve of a binary problem: `(recall, precision)`
/// at every distinct score threshold, from the highest (recall 0,
/// precision 1, as scikit-learn's `precision_recall_curve` ends) to the
/// lowest. Empty when no sample is positive.
pub fn precision_recall_points(scores: &[f64], positives: &[bool]) -> Vec<(f64, f64)> {
    if scores.len() != positives.len() {
        return Vec::new();
    }
    let mut pairs: Vec<(f64, bool)> = scores
        .iter()
        .copied()
        .zip(positives.iter().copied())
        .filter(|(s, _)| !s.is_nan())
        .collect();
    let n_pos = pairs.iter().filter(|(_, p)| *p).count();
    if n_pos == 0 {
        return Vec::new();
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut points = vec![(0.0, 1.0)];
    let mut tp = 0usize;
    for (i, &(score, positive)) in pairs.iter().enumerate() {
        tp += usize::from(positive);
        if pairs.get(i + 1).is_none_or(|next| next.0 != score) {
            points.push((tp as f64 / n_pos as f64, tp as f64 / (i + 1) as f64));
        }
    }
    points
}

/// Trapezoidal area under `points` (sorted by false positive rate).
fn area_under(points: &[(f64, f64)]) -> f64 {
    points
        .windows(2)
        .map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0)
        .sum()
}

// ------------------------------------------------------------------- page

/// The report as one HTML5 page.
pub fn render(data: &ReportData) -> String {
    let mut page = String::with_capacity(64 * 1024);
    let title = format!("{} · run {}", data.pipeline, data.run_id);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        esc(&title)
    );
    header(&mut page, data);
    gates_section(&mut page, &data.gates);
    models_section(&mut page, &data.models);
    graph_section(&mut page, data.graph_svg.as_deref());
    profiles_section(&mut page, &data.profiles);
    lineage_section(&mut page, data);
    stages_section(&mut page, &data.stages);
    expectations_section(&mut page, &data.expectations);
    let _ = write!(
        page,
        "<footer>Generated by mlp {}.</footer>\n</main>\n</body>\n</html>\n",
        esc(&data.mlp_version)
    );
    page
}

const CSS: &str = r##"
:root { --ink: #1d2430; --muted: #5f6b7a; --line: #dfe3ea; --bg: #f5f7fa; --card: #fff;
  --pass: #1e7d45; --pass-bg: #e3f4ea; --fail: #b42318; --fail-bg: #fde8e6;
  --warn: #8a5a00; --warn-bg: #fdf1d6; --accent: #2f5f9e; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1160px; margin: 0 auto; padding: 28px 24px 40px; }
header.run { display: flex; justify-content: space-between; align-items: flex-start; gap: 16px;
  flex-wrap: wrap; margin-bottom: 18px; }
header.run h1 { margin: 0 0 4px; font-size: 24px; font-weight: 650; overflow-wrap: anywhere; }
.meta { color: var(--muted); font-size: 13px; overflow-wrap: anywhere; }
.meta code { color: var(--ink); }
.status { font-size: 14px; padding: 6px 14px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px;
  margin-bottom: 26px; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.tile .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.tile .value { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
h2 { font-size: 17px; margin: 28px 0 10px; font-weight: 650; }
section.card, .model { background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
.model { padding: 16px 18px 18px; margin-bottom: 18px; }
.model h3 { margin: 0; font-size: 18px; font-weight: 650; overflow-wrap: anywhere; }
.model .sub { color: var(--muted); font-size: 13px; margin: 2px 0 12px; overflow-wrap: anywhere; }
.model-body { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
.model-body > table.metrics { flex: 0 0 250px; width: 250px; }
.plots { display: flex; flex-wrap: wrap; gap: 18px; flex: 1 1 560px; min-width: 0; align-items: flex-start; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px 8px;
  background: #fff; max-width: 100%; }
figcaption { font-weight: 600; font-size: 13px; margin-bottom: 6px; }
figure .note { color: var(--muted); font-size: 12px; margin-top: 4px; }
svg { display: block; max-width: 100%; height: auto; font-family: inherit; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
.tablewrap { background: var(--card); border: 1px solid var(--line); border-radius: 8px; overflow-x: auto; }
th, td { text-align: left; padding: 7px 12px; border-bottom: 1px solid var(--line); vertical-align: top;
  overflow-wrap: anywhere; }
th { font-size: 12px; color: var(--muted); font-weight: 600; text-transform: uppercase;
  letter-spacing: .04em; background: #fafbfc; white-space: nowrap; }
tr:last-child td { border-bottom: none; }
td.num, th.num { text-align: right; white-space: nowrap; }
table.metrics { border: 1px solid var(--line); border-radius: 6px; }
table.metrics td:first-child { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 13px; }
code, .hash { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.badge { display: inline-block; border-radius: 999px; padding: 1px 9px; font-size: 12px; font-weight: 600;
  white-space: nowrap; }
.pass { color: var(--pass); background: var(--pass-bg); }
.fail { color: var(--fail); background: var(--fail-bg); }
.warn { color: var(--warn); background: var(--warn-bg); }
.neutral { color: var(--accent); background: #e6eef8; }
.plain { color: var(--muted); background: #eef0f3; }
.muted { color: var(--muted); }
.empty { color: var(--muted); background: var(--card); border: 1px dashed var(--line); border-radius: 8px;
  padding: 12px 14px; }
footer { color: var(--muted); font-size: 12px; margin-top: 32px; }
h4.groups { font-size: 14px; margin: 16px 0 8px; font-weight: 600; overflow-wrap: anywhere; }
tr.average td { color: var(--muted); }
ul.undefined { color: var(--warn); font-size: 13px; margin: 12px 0 0; padding-left: 20px; }
.graph { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px;
  overflow-x: auto; }
.graph svg { max-width: none; }
.profile { background: var(--card); border: 1px solid var(--line); border-radius: 8px; margin-bottom: 14px;
  overflow-x: auto; }
.profile h3 { font-size: 15px; margin: 0; padding: 10px 12px; border-bottom: 1px solid var(--line); }
.profile svg.spark { display: inline-block; vertical-align: middle; }
.lineage { display: flex; flex-wrap: wrap; align-items: stretch; gap: 6px; margin-bottom: 12px; }
.lineage .node { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px;
  min-width: 150px; max-width: 320px; overflow-wrap: anywhere; }
.lineage .node .label { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .04em; }
.lineage .arrow { align-self: center; color: var(--muted); font-size: 18px; }
@media (prefers-color-scheme: dark) {
  :root { color-scheme: dark; --ink: #e3e7ee; --muted: #9ba6b5; --line: #2f3744; --bg: #11151b; --card: #1a2029;
    --pass: #6ad49a; --pass-bg: #163523; --fail: #ff8f80; --fail-bg: #45201b; --warn: #f2c46b;
    --warn-bg: #3b2f14; --accent: #8fb6ee; }
  figure { background: var(--card); }
  th { background: #202733; }
  .neutral { background: #1f2d42; }
  .plain { background: #262d38; }
  svg text[fill="#1d2430"] { fill: var(--ink); }
  svg text[fill="#5f6b7a"] { fill: var(--muted); }
  svg line[stroke="#e6e9ef"] { stroke: #2a313c; }
  svg rect[fill="#ffffff"][fill-opacity] { fill: var(--card); }
  .graph svg { background: #f8fafc; border-radius: 6px; }
}
"##;

// ---------------------------------------------------------------- escaping

/// Escapes text for HTML content and quoted attributes (also inside SVG).
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters of `text`, with an ellipsis when cut, so that a
/// long name cannot overflow a plot (its `<title>` keeps it whole).
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

// ---------------------------------------------------------------- numbers

/// A coordinate or length for an SVG attribute: two decimals at most, and
/// never `NaN` or `inf` (which browsers reject, dropping the element).
fn coord(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_string();
    }
    let text = format!("{v:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" || text.is_empty() {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// A metric value: four decimals, scientific notation when that would hide
/// the value (very large or very small), `n/a` when not finite.
fn metric_value(v: f64) -> String {
    if !v.is_finite() {
        "n/a".to_string()
    } else if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-4) {
        format!("{v:.4e}")
    } else {
        format!("{v:.4}")
    }
}

/// An integer with thousands separators.
fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn duration(ms: f64) -> String {
    if !ms.is_finite() || ms < 0.0 {
        "n/a".to_string()
    } else if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else if ms < 60_000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        let seconds = (ms / 1000.0).round() as u64;
        format!("{}m {:02}s", seconds / 60, seconds % 60)
    }
}

/// Plotted values are clamped to this magnitude so that differences and
/// tick steps stay finite.
const HUGE: f64 = 1e150;

/// An axis over `lo..=hi` (finite) widened by `pad` (a fraction of the
/// range) on each side, with ticks at the "nice" numbers (1, 2 or 5 times
/// a power of ten) inside it; a zero-width range is widened first.
struct Axis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    step: f64,
}

impl Axis {
    fn new(lo: f64, hi: f64, pad: f64, target: usize) -> Axis {
        let (mut lo, mut hi) = (lo.clamp(-HUGE, HUGE), hi.clamp(-HUGE, HUGE));
        if hi - lo <= f64::EPSILON * lo.abs().max(hi.abs()) || hi - lo < 1e-300 {
            let widen = (lo.abs() * 0.1).max(if lo == 0.0 { 1.0 } else { 1e-9 });
            lo -= widen;
            hi += widen;
        }
        let margin = (hi - lo) * pad;
        let (lo, hi) = (lo - margin, hi + margin);
        let step = nice((hi - lo) / target.saturating_sub(1).max(1) as f64, true);
        // A relative tolerance keeps a tick that lands on an end despite
        // rounding (0.6000000000000001 > 0.6).
        let slack = step * 1e-9;
        let first = ((lo - slack) / step).ceil();
        let last = ((hi + slack) / step).floor();
        let ticks: Vec<f64> = (0..=((last - first).max(0.0) as usize).min(50))
            .map(|i| (first + i as f64) * step)
            .collect();
        Axis {
            lo,
            hi,
            ticks,
            step,
        }
    }
    /// Position of `v` in `[0, 1]` along the axis.
    fn frac(&self, v: f64) -> f64 {
        ((v.clamp(-HUGE, HUGE) - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0)
    }

    fn label(&self, v: f64) -> String {
        if v.abs() < self.step * 1e-6 {
            return "0".to_string();
        }
        let magnitude = self.ticks.iter().fold(0.0, |m: f64, t| m.max(t.abs()));
        let decimals = (-self.step.log10().floor()).max(0.0);
        if magnitude >= 1e6 || decimals > 5.0 {
            format!("{v:.1e}").replace(".0e", "e")
        } else {
            format!("{v:.*}", decimals as usize)
        }
    }
}

/// Heckbert's nice number: the 1-2-5 value nearest `x` (`round`) or at
/// least `x`.
fn nice(x: f64, round: bool) -> f64 {
    let exp = x.log10().floor();
    let base = 10f64.powf(exp);
    let f = x / base;
    let nf = if round {
        match f {
            f if f < 1.5 => 1.0,
            f if f < 3.0 => 2.0,
            f if f < 7.0 => 5.0,
            _ => 10.0,
        }
    } else {
        match f {
            f if f <= 1.0 => 1.0,
            f if f <= 2.0 => 2.0,
            f if f <= 5.0 => 5.0,
            _ => 10.0,
        }
    };
    nf * base
}

/// Approximate width of `text` at `size` px in a sans-serif font, for
/// layout (SVG cannot measure text without a script).
fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.6
}

// ---------------------------------------------------------------- header

fn header(page: &mut String, data: &ReportData) {
    let error_failed = data
        .gates
        .iter()
        .any(|g| g.evaluated && !g.passed && g.severity == "error")
        || data.expectations.iter().any(|e| !e.passed);
    let other_failed = data.gates.iter().any(|g| g.evaluated && !g.passed);
    let (class, status) = if error_failed {
        ("fail", "Failed")
    } else if other_failed {
        ("warn", "Passed with warnings")
    } else {
        ("pass", "Passed")
    };
    let _ = writeln!(
        page,
        "<header class=\"run\"><div><h1>{}</h1>\
         <div class=\"meta\">Run <code>{}</code> · mlp {}</div></div>\
         <span class=\"badge status {class}\">{status}</span></header>",
        esc(&data.pipeline),
        esc(&data.run_id),
        esc(&data.mlp_version),
    );
    let gates_passed = data.gates.iter().filter(|g| g.passed).count();
    let expectations_passed = data.expectations.iter().filter(|e| e.passed).count();
    let cached = data.stages.iter().filter(|s| s.cached).count();
    let total_ms: f64 = data
        .stages
        .iter()
        .map(|s| s.duration_ms)
        .filter(|d| d.is_finite() && *d >= 0.0)
        .sum();
    let tiles = [
        ("Models", count(data.models.len() as u64)),
        (
            "Gates passed",
            format!("{} / {}", gates_passed, data.gates.len()),
        ),
        (
            "Expectations met",
            format!("{} / {}", expectations_passed, data.expectations.len()),
        ),
        (
            "Stages cached",
            format!("{} / {}", cached, data.stages.len()),
        ),
        ("Stage time", duration(total_ms)),
    ];
    page.push_str("<div class=\"tiles\">");
    for (label, value) in tiles {
        let _ = write!(
            page,
            "<div class=\"tile\"><div class=\"label\">{label}</div><div class=\"value\">{value}</div></div>"
        );
    }
    page.push_str("</div>\n");
}

fn pass_badge(passed: bool, severity: &str) -> &'static str {
    match (passed, severity) {
        (true, _) => "<span class=\"badge pass\">pass</span>",
        (false, "error") => "<span class=\"badge fail\">fail</span>",
        (false, _) => "<span class=\"badge warn\">fail</span>",
    }
}

fn empty(page: &mut String, text: &str) {
    let _ = writeln!(page, "<p class=\"empty\">{text}</p>");
}

// ------------------------------------------------------------------ gates

fn gates_section(page: &mut String, gates: &[GateResult]) {
    page.push_str("<h2>Gates</h2>\n");
    if gates.is_empty() {
        empty(page, "No metric gates were evaluated in this run.");
        return;
    }
    page.push_str(
        "<div class=\"tablewrap\"><table><thead><tr><th>Result</th><th>Policy</th><th>Rule</th>\
         <th>Severity</th><th class=\"num\">Value</th><th>Bound</th><th>Message</th></tr></thead><tbody>\n",
    );
    for gate in gates {
        let value = gate.value.map_or("n/a".to_string(), metric_value);
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td>\
             <td><code>{}</code></td><td>{}</td></tr>",
            if gate.evaluated {
                pass_badge(gate.passed, &gate.severity)
            } else {
                "<span class=\"badge\">not evaluated</span>"
            },
            esc(&gate.policy),
            esc(&gate.rule),
            esc(&gate.severity),
            value,
            esc(&gate.bound),
            gate.message.as_deref().map(esc).unwrap_or_default(),
        );
    }
    page.push_str("</tbody></table></div>\n");
}

// ------------------------------------------------------- pipeline graph

fn graph_section(page: &mut String, svg: Option<&str>) {
    let Some(svg) = svg else {
        return;
    };
    page.push_str("<h2>Pipeline</h2>\n<div class=\"graph\">");
    // Inside HTML an `svg` element needs no namespace, and the page names
    // no address at all.
    page.push_str(&svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1));
    page.push_str("</div>\n");
}

// ---------------------------------------------------------------- sources

/// Per source: rows, and per column its declared type, nulls and a small
/// picture of its distribution.
fn profiles_section(page: &mut String, profiles: &[SourceProfile]) {
    if profiles.is_empty() {
        return;
    }
    page.push_str("<h2>Data</h2>\n");
    for profile in profiles {
        let _ = writeln!(
            page,
            "<section class=\"profile\"><h3>{} · {} {}</h3><table><thead><tr><th>Column</th><th>Type</th>\
             <th class=\"num\">Nulls</th><th>Distribution</th><th>Summary</th></tr></thead><tbody>",
            esc(&profile.source),
            count(profile.rows as u64),
            if profile.rows == 1 { "row" } else { "rows" },
        );
        for column in &profile.columns {
            let share = if profile.rows == 0 {
                0.0
            } else {
                column.nulls as f64 / profile.rows as f64
            };
            let percent = if column.nulls > 0 && share < 0.001 {
                "&lt;0.1%".to_string()
            } else {
                format!("{:.1}%", share * 100.0)
            };
            let _ = write!(
                page,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td class=\"num\">{} ({percent})</td><td>",
                esc(&column.name),
                esc(&column.ty),
                count(column.nulls as u64),
            );
            let summary = match &column.summary {
                Summary::Numeric {
                    min,
                    max,
                    mean,
                    std,
                    histogram,
                } => {
                    sparkline(
                        page,
                        histogram,
                        &format!("{} to {}", number(*min), number(*max)),
                    );
                    format!(
                        "min {} · mean {} · max {} · std {}",
                        number(*min),
                        number(*mean),
                        number(*max),
                        number(*std)
                    )
                }
                Summary::Categories { counts } => {
                    let heights: Vec<u64> = counts.iter().map(|(_, n)| *n).collect();
                    let labels: Vec<String> = counts
                        .iter()
                        .map(|(v, n)| format!("{}: {}", shorten(v, 24), count(*n)))
                        .collect();
                    sparkline(page, &heights, &labels.join(", "));
                    labels.join(" · ")
                }
                Summary::Distinct { values } => {
                    format!("{} distinct values", count(*values as u64))
                }
                Summary::Withheld { why } => why.clone(),
            };
            let _ = writeln!(page, "</td><td class=\"muted\">{}</td></tr>", esc(&summary));
        }
        page.push_str("</tbody></table></section>\n");
    }
}

/// Bars of `counts` in a small inline SVG, with `title` as its tooltip.
fn sparkline(page: &mut String, counts: &[u64], title: &str) {
    let (width, height) = (120.0, 28.0);
    let top = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let slot = width / counts.len().max(1) as f64;
    let _ = write!(
        page,
        "<svg class=\"spark\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\"><title>{}</title>",
        coord(width),
        coord(height),
        coord(width),
        coord(height),
        esc(title)
    );
    for (i, &n) in counts.iter().enumerate() {
        let h = if n > 0 {
            (n as f64 / top * (height - 2.0)).max(1.0)
        } else {
            0.0
        };
        let _ = write!(
            page,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{BLUE}\"/>",
            coord(i as f64 * slot + 0.5),
            coord(height - h),
            coord((slot - 1.0).max(0.5)),
            coord(h)
        );
    }
    page.push_str("</svg>");
}

/// A number in a summary: four significant digits, no exponent for
/// everyday magnitudes.
fn number(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    if v.abs() >= 1e6 || v.abs() < 1e-3 {
        format!("{v:.3e}")
    } else {
        let digits = (3 - v.abs().max(1e-12).log10().floor() as i32).clamp(0, 6) as usize;
        format!("{v:.digits$}")
    }
}

// ---------------------------------------------------------------- lineage

/// Each model's chain: source files → training rows → model file → the
/// tables it was evaluated on, each with its hash.
fn lineage_section(page: &mut String, data: &ReportData) {
    if data.lineage.is_empty() {
        return;
    }
    let _ = writeln!(
        page,
        "<h2>Lineage</h2>\n<p class=\"meta\">mlp {} · run <code>{}</code>. Hashes are BLAKE3 of the bytes; \
         an approval names the model file's hash.</p>",
        esc(&data.mlp_version),
        esc(&data.run_id)
    );
    for entry in &data.lineage {
        page.push_str("<div class=\"lineage\">");
        page.push_str("<div class=\"node\"><div class=\"label\">Source files</div>");
        if entry.source_files.is_empty() {
            page.push_str("<span class=\"muted\">none</span>");
        }
        for (path, hash) in &entry.source_files {
            let _ = write!(
                page,
                "<div><code>{}</code> <span class=\"hash\" title=\"{}\">{}</span></div>",
                esc(path),
                esc(hash),
                esc(&short_hash(hash))
            );
        }
        page.push_str("</div><span class=\"arrow\">→</span>");
        let _ = write!(
            page,
            "<div class=\"node\"><div class=\"label\">Training rows</div><code>{}</code> · {} rows<br>\
             <span class=\"hash\" title=\"{}\">{}</span></div><span class=\"arrow\">→</span>",
            esc(&entry.trained_on),
            count(entry.rows as u64),
            esc(&entry.data_hash),
            esc(&short_hash(&entry.data_hash))
        );
        let _ = write!(
            page,
            "<div class=\"node\"><div class=\"label\">Model</div><strong>{}</strong> · {}<br>\
             <code>models/{}.json</code> <span class=\"hash\" title=\"{}\">{}</span></div>",
            esc(&entry.model),
            esc(&entry.algorithm),
            esc(&entry.model),
            esc(&entry.model_hash),
            esc(&short_hash(&entry.model_hash))
        );
        if !entry.evaluations.is_empty() {
            page.push_str("<span class=\"arrow\">→</span><div class=\"node\"><div class=\"label\">Evaluated on</div>");
            for table in &entry.evaluations {
                let _ = write!(page, "<div><code>{}</code></div>", esc(table));
            }
            page.push_str("</div>");
        }
        page.push_str("</div>\n");
    }
}

// ----------------------------------------------------------------- models

fn models_section(page: &mut String, models: &[ModelReport]) {
    page.push_str("<h2>Models</h2>\n");
    if models.is_empty() {
        empty(page, "No model was evaluated in this run.");
        return;
    }
    for model in models {
        model_card(page, model);
    }
}

fn model_card(page: &mut String, model: &ModelReport) {
    let _ = write!(
        page,
        "<section class=\"model\"><h3>{}</h3><div class=\"sub\">{} · {} · evaluated on <code>{}</code> · {} {}</div>\n\
         <div class=\"model-body\">",
        esc(&model.name),
        esc(&model.algorithm),
        esc(&model.kind),
        esc(&model.evaluated_on),
        count(model.rows as u64),
        if model.rows == 1 { "row" } else { "rows" },
    );
    page.push_str("<table class=\"metrics\"><thead><tr><th>Metric</th><th class=\"num\">Value</th></tr></thead><tbody>");
    if model.metrics.is_empty() {
        page.push_str("<tr><td colspan=\"2\" class=\"muted\">no metrics</td></tr>");
    }
    for (name, value) in &model.metrics {
        let _ = write!(
            page,
            "<tr><td>{}</td><td class=\"num\">{}</td></tr>",
            esc(name),
            metric_value(*value)
        );
    }
    for (name, why) in &model.undefined {
        let _ = write!(
            page,
            "<tr class=\"undefined\"><td>{}</td><td class=\"num\"><span class=\"badge warn\" title=\"{}\">not defined</span></td></tr>",
            esc(name),
            esc(why)
        );
    }
    page.push_str("</tbody></table>\n<div class=\"plots\">\n");
    if let Some(confusion) = &model.confusion {
        confusion_plot(page, confusion);
    }
    if let Some(roc) = &model.roc {
        roc_plot(page, roc);
    }
    if let Some(points) = &model.precision_recall {
        precision_recall_plot(page, points);
    }
    if let Some(residuals) = &model.residuals {
        residuals_plot(page, residuals);
    }
    if let Some(weights) = &model.weights {
        weights_plot(page, weights);
    }
    if let Some(clusters) = &model.clusters {
        clusters_plot(page, clusters);
    }
    page.push_str("</div></div>\n");
    if !model.undefined.is_empty() {
        page.push_str("<ul class=\"undefined\">");
        for (name, why) in &model.undefined {
            let _ = write!(
                page,
                "<li><code>{}</code> is not defined on these rows: {}</li>",
                esc(name),
                esc(why)
            );
        }
        page.push_str("</ul>\n");
    }
    if let Some(per_class) = &model.per_class {
        per_class_table(page, per_class);
    }
    if let Some(summary) = &model.residual_summary {
        residual_table(page, summary);
    }
    if let Some(groups) = &model.groups {
        groups_table(page, groups);
    }
    if let Some(cv) = &model.cv {
        cv::section(page, cv);
    }
    if let Some(search) = &model.search {
        cv::search_section(page, search);
    }
    page.push_str("</section>\n");
}

/// A classification report (scikit-learn's `classification_report`): each
/// class's precision, recall, F1 and support, then the macro average (every
/// class alike) and the average weighted by support.
fn per_class_table(page: &mut String, table: &PerClass) {
    page.push_str(
        "<h4 class=\"groups\">Per class</h4>\n<div class=\"tablewrap\"><table class=\"per-class\"><thead><tr>\
         <th>Class</th><th class=\"num\">Precision</th><th class=\"num\">Recall</th><th class=\"num\">F1</th>\
         <th class=\"num\">Support</th></tr></thead><tbody>\n",
    );
    let row = |page: &mut String,
               name: &str,
               scores: (f64, f64, f64),
               support: u64,
               class: &str| {
        let _ = writeln!(
            page,
            "<tr{class}><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(name),
            metric_value(scores.0),
            metric_value(scores.1),
            metric_value(scores.2),
            count(support)
        );
    };
    for (label, s) in table.labels.iter().zip(&table.scores) {
        row(page, label, (s.precision, s.recall, s.f1), s.support, "");
    }
    let average = " class=\"average\"";
    for (name, s) in [
        ("macro average", &table.macro_average),
        ("weighted average", &table.weighted_average),
    ] {
        row(
            page,
            name,
            (s.precision, s.recall, s.f1),
            s.support,
            average,
        );
    }
    page.push_str("</tbody></table></div>\n");
}

/// A regressor's residuals (actual − predicted) in numbers: where the
/// errors sit and how far they reach.
fn residual_table(page: &mut String, r: &ResidualSummary) {
    let cells = [
        ("Mean", r.mean),
        ("Std", r.std),
        ("Min", r.min),
        ("5%", r.p05),
        ("25%", r.p25),
        ("Median", r.median),
        ("75%", r.p75),
        ("95%", r.p95),
        ("Max", r.max),
        ("Max |error|", r.max_abs),
    ];
    page.push_str("<h4 class=\"groups\">Residuals (actual − predicted)</h4>\n<div class=\"tablewrap\"><table class=\"residuals\"><thead><tr>");
    for (name, _) in &cells {
        let _ = write!(page, "<th class=\"num\">{name}</th>");
    }
    page.push_str("</tr></thead><tbody><tr>");
    for (_, value) in &cells {
        let _ = write!(page, "<td class=\"num\">{}</td>", metric_value(*value));
    }
    page.push_str("</tr></tbody></table></div>\n");
}

/// The per-group table of a fairness evaluation: one row per group, its
/// rows and every per-group metric (named without `_by_group`).
fn groups_table(page: &mut String, table: &GroupTable) {
    let mut names: Vec<&str> = Vec::new();
    for row in &table.groups {
        for name in row.metrics.keys() {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    let _ = write!(
        page,
        "<h4 class=\"groups\">By group of <code>{}</code></h4>\n\
         <div class=\"tablewrap\"><table class=\"groups\"><thead><tr><th>Group</th><th class=\"num\">Rows</th>",
        esc(&table.column)
    );
    for name in &names {
        let shown = name.strip_suffix("_by_group").unwrap_or(name);
        let _ = write!(page, "<th class=\"num\">{}</th>", esc(shown));
    }
    page.push_str("</tr></thead><tbody>\n");
    if table.groups.is_empty() {
        let _ = writeln!(
            page,
            "<tr><td colspan=\"{}\" class=\"muted\">no rows</td></tr>",
            names.len() + 2
        );
    }
    for row in &table.groups {
        let _ = write!(
            page,
            "<tr><td>{}</td><td class=\"num\">{}</td>",
            esc(&row.group),
            count(row.rows as u64)
        );
        for name in &names {
            let value = row
                .metrics
                .get(*name)
                .map_or("—".to_string(), |v| metric_value(*v));
            let _ = write!(page, "<td class=\"num\">{value}</td>");
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</tbody></table></div>\n");
}

/// Opens a `<figure>` with its caption and an `<svg>` of the given size.
fn open_figure(page: &mut String, caption: &str, width: f64, height: f64) {
    let _ = write!(
        page,
        "<figure><figcaption>{}</figcaption>\n<svg \
         width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\">\n",
        esc(caption),
        esc(caption),
        w = coord(width.ceil()),
        h = coord(height.ceil()),
    );
}

fn close_figure(page: &mut String, note: Option<&str>) {
    page.push_str("</svg>");
    if let Some(note) = note {
        let _ = write!(page, "<div class=\"note\">{}</div>", esc(note));
    }
    page.push_str("</figure>\n");
}

/// A figure with a message in place of a plot the data cannot draw.
fn placeholder(page: &mut String, caption: &str, message: &str) {
    let _ = writeln!(
        page,
        "<figure><figcaption>{}</figcaption><div class=\"note\">{}</div></figure>",
        esc(caption),
        esc(message)
    );
}

/// How a piece of SVG text is set.
struct Font<'a> {
    anchor: &'a str,
    size: f64,
    fill: &'a str,
}

fn font<'a>(anchor: &'a str, size: f64, fill: &'a str) -> Font<'a> {
    Font { anchor, size, fill }
}

/// Text at `(x, y)`, turned by `rotate` degrees around that point.
fn text(page: &mut String, (x, y): (f64, f64), font: &Font, rotate: Option<f64>, content: &str) {
    let transform = rotate.map_or(String::new(), |degrees| {
        format!(
            " transform=\"rotate({} {} {})\"",
            coord(degrees),
            coord(x),
            coord(y)
        )
    });
    let _ = writeln!(
        page,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" font-size=\"{}\" fill=\"{}\"{transform}>{}</text>",
        coord(x),
        coord(y),
        font.anchor,
        coord(font.size),
        font.fill,
        esc(content)
    );
}

fn line(page: &mut String, (x1, y1): (f64, f64), (x2, y2): (f64, f64), style: &str) {
    let _ = writeln!(
        page,
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" {style}/>",
        coord(x1),
        coord(y1),
        coord(x2),
        coord(y2)
    );
}

const INK: &str = "#1d2430";
/// Text on a light heat-map cell, in either colour scheme.
const CELL_INK: &str = "#1d2431";
const MUTED: &str = "#5f6b7a";
const GRID: &str = "stroke=\"#e6e9ef\" stroke-width=\"1\"";
const FRAME: &str = "stroke=\"#9aa4b2\" stroke-width=\"1\"";
const BLUE: &str = "#2f6db5";
const ORANGE: &str = "#d9652b";

/// A square plot area with both axes, grid lines and tick labels; returns
/// the function mapping data coordinates to SVG ones.
struct Frame {
    left: f64,
    top: f64,
    size: f64,
    x: Axis,
    y: Axis,
}

impl Frame {
    fn at(&self, (x, y): (f64, f64)) -> (f64, f64) {
        (
            self.left + self.x.frac(x) * self.size,
            self.top + (1.0 - self.y.frac(y)) * self.size,
        )
    }

    fn draw(&self, page: &mut String, x_title: &str, y_title: &str) {
        let (left, top, size) = (self.left, self.top, self.size);
        for &t in &self.x.ticks {
            let (x, _) = self.at((t, self.y.lo));
            line(page, (x, top), (x, top + size), GRID);
            line(page, (x, top + size), (x, top + size + 4.0), FRAME);
            text(
                page,
                (x, top + size + 17.0),
                &font("middle", 11.0, MUTED),
                None,
                &self.x.label(t),
            );
        }
        for &t in &self.y.ticks {
            let (_, y) = self.at((self.x.lo, t));
            line(page, (left, y), (left + size, y), GRID);
            line(page, (left - 4.0, y), (left, y), FRAME);
            text(
                page,
                (left - 7.0, y + 4.0),
                &font("end", 11.0, MUTED),
                None,
                &self.y.label(t),
            );
        }
        let _ = writeln!(
            page,
            "<rect x=\"{}\" y=\"{}\" width=\"{s}\" height=\"{s}\" fill=\"none\" {FRAME}/>",
            coord(left),
            coord(top),
            s = coord(size)
        );
        text(
            page,
            (left + size / 2.0, top + size + 36.0),
            &font("middle", 12.0, INK),
            None,
            x_title,
        );
        let y_mid = top + size / 2.0;
        text(
            page,
            (14.0, y_mid),
            &font("middle", 12.0, INK),
            Some(-90.0),
            y_title,
        );
    }

    fn tick_label_width(axis: &Axis) -> f64 {
        axis.ticks
            .iter()
            .map(|&t| text_width(&axis.label(t), 11.0))
            .fold(0.0, f64::max)
    }
}

/// A legend box in the lower right corner of a frame: `(swatch, label)`
/// where the swatch is the `style` of a short line.
fn legend(page: &mut String, frame: &Frame, entries: &[(&str, String)]) {
    let width = entries
        .iter()
        .map(|(_, label)| text_width(label, 11.0))
        .fold(0.0, f64::max)
        + 40.0;
    let height = entries.len() as f64 * 18.0 + 8.0;
    let x = frame.left + frame.size - width - 8.0;
    let y = frame.top + frame.size - height - 8.0;
    let _ = writeln!(
        page,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"4\" fill=\"#ffffff\" fill-opacity=\"0.92\" stroke=\"#dfe3ea\"/>",
        coord(x),
        coord(y),
        coord(width),
        coord(height)
    );
    for (i, (style, label)) in entries.iter().enumerate() {
        let row = y + 13.0 + i as f64 * 18.0;
        line(page, (x + 8.0, row), (x + 28.0, row), style);
        text(
            page,
            (x + 34.0, row + 4.0),
            &font("start", 11.0, INK),
            None,
            label,
        );
    }
}

// --------------------------------------------------------- confusion matrix

/// More classes than this make a matrix no one can read; the rest are
/// left out (and the note says so).
const MAX_CLASSES: usize = 40;

fn confusion_plot(page: &mut String, confusion: &Confusion) {
    let caption = "Confusion matrix";
    let total_classes = confusion
        .labels
        .len()
        .max(confusion.matrix.len())
        .max(confusion.matrix.iter().map(Vec::len).max().unwrap_or(0));
    if total_classes == 0 {
        placeholder(page, caption, "No classes to show.");
        return;
    }
    let n = total_classes.min(MAX_CLASSES);
    let labels: Vec<String> = (0..n)
        .map(|i| {
            confusion
                .labels
                .get(i)
                .cloned()
                .unwrap_or_else(|| i.to_string())
        })
        .collect();
    let cell_at = |t: usize, p: usize| -> u64 {
        confusion
            .matrix
            .get(t)
            .and_then(|row| row.get(p))
            .copied()
            .unwrap_or(0)
    };
    let max = (0..n)
        .flat_map(|t| (0..n).map(move |p| (t, p)))
        .map(|(t, p)| cell_at(t, p))
        .max()
        .unwrap_or(0);

    let cell = (300.0 / n as f64).floor().clamp(16.0, 76.0);
    let short: Vec<String> = labels.iter().map(|l| shorten(l, 16)).collect();
    let label_w = short
        .iter()
        .map(|l| text_width(l, 11.0))
        .fold(0.0, f64::max);
    // Column labels go under the matrix, turned when they do not fit a
    // cell: by 45 degrees, or upright when cells are too narrow for
    // slanted labels not to touch.
    let angle: f64 = if label_w <= cell - 4.0 {
        0.0
    } else if cell >= 24.0 {
        45.0
    } else {
        90.0
    };
    let bottom_labels = if angle == 0.0 {
        18.0
    } else {
        label_w * angle.to_radians().sin() + 14.0
    };
    let left = 30.0 + label_w + 8.0;
    let top = 8.0;
    let grid = cell * n as f64;
    let width = (left + grid + 10.0).max(200.0);
    let height = top + grid + bottom_labels + 28.0;
    open_figure(page, caption, width, height);

    let count_size = if cell >= 40.0 { 13.0 } else { 11.0 };
    let show_counts = text_width(&count(max), count_size) <= cell - 4.0 && cell >= 20.0;
    for t in 0..n {
        for p in 0..n {
            let value = cell_at(t, p);
            let share = if max == 0 {
                0.0
            } else {
                value as f64 / max as f64
            };
            let x = left + p as f64 * cell;
            let y = top + t as f64 * cell;
            let _ = writeln!(
                page,
                "<rect x=\"{}\" y=\"{}\" width=\"{c}\" height=\"{c}\" fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"1\">\
                 <title>actual {} · predicted {}: {}</title></rect>",
                coord(x),
                coord(y),
                heat(share),
                esc(&labels[t]),
                esc(&labels[p]),
                count(value),
                c = coord(cell),
            );
            if show_counts {
                // On a cell's own colour, not the page's: the dark scheme
                // must not recolour it (it recolours INK).
                let fill = if share > 0.55 { "#ffffff" } else { CELL_INK };
                text(
                    page,
                    (x + cell / 2.0, y + cell / 2.0 + count_size * 0.35),
                    &font("middle", count_size, fill),
                    None,
                    &count(value),
                );
            }
        }
    }
    for (i, label) in short.iter().enumerate() {
        let mid = top + i as f64 * cell + cell / 2.0;
        text(
            page,
            (left - 6.0, mid + 4.0),
            &font("end", 11.0, INK),
            None,
            label,
        );
        let x = left + i as f64 * cell + cell / 2.0;
        let y = top + grid + 14.0;
        if angle == 0.0 {
            text(page, (x, y), &font("middle", 11.0, INK), None, label);
        } else {
            // Anchored at its end, just under the cell, so the label reads
            // up and to the left from its column.
            let (ax, ay) = if angle == 45.0 {
                (x + 3.0, y - 4.0)
            } else {
                (x + 4.0, y - 8.0)
            };
            text(page, (ax, ay), &font("end", 11.0, INK), Some(-angle), label);
        }
    }
    text(
        page,
        (left + grid / 2.0, top + grid + bottom_labels + 18.0),
        &font("middle", 12.0, MUTED),
        None,
        "Predicted",
    );
    let y_mid = top + grid / 2.0;
    text(
        page,
        (14.0, y_mid),
        &font("middle", 12.0, MUTED),
        Some(-90.0),
        "Actual",
    );
    let note = (total_classes > n).then(|| format!("First {n} of {total_classes} classes shown."));
    let note = note.or_else(|| (!show_counts).then(|| "Hover a cell for its count.".to_string()));
    close_figure(page, note.as_deref());
}

/// A white-to-blue colour for a share in `[0, 1]`.
fn heat(share: f64) -> String {
    let s = if share.is_finite() {
        share.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mix = |from: f64, to: f64| (from + (to - from) * s).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(244.0, 24.0),
        mix(247.0, 72.0),
        mix(251.0, 140.0)
    )
}

// ------------------------------------------------ ROC and precision-recall

/// The dashed line a curve is read against (chance).
const REFERENCE: &str = "stroke=\"#8a94a3\" stroke-width=\"1.2\" stroke-dasharray=\"5 4\"";
/// The model's curve, and its swatch in the legend.
const CURVE: &str = "stroke=\"#2f6db5\" stroke-width=\"2\"";

/// The finite points of a curve in the unit square, clamped into it.
fn unit_points(curve: &[(f64, f64)]) -> Vec<(f64, f64)> {
    curve
        .iter()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|&(x, y)| (x.clamp(0.0, 1.0), y.clamp(0.0, 1.0)))
        .collect()
}

/// Opens a figure with a square plot of both rates from 0 to 1.
fn unit_square(page: &mut String, caption: &str, x_title: &str, y_title: &str) -> Frame {
    let frame = Frame {
        left: 56.0,
        top: 10.0,
        size: 280.0,
        x: Axis::new(0.0, 1.0, 0.0, 6),
        y: Axis::new(0.0, 1.0, 0.0, 6),
    };
    open_figure(
        page,
        caption,
        frame.left + frame.size + 14.0,
        frame.top + frame.size + 46.0,
    );
    frame.draw(page, x_title, y_title);
    frame
}

/// `points` as the coordinates of an SVG `points` attribute.
fn svg_points(frame: &Frame, points: &[(f64, f64)]) -> String {
    points
        .iter()
        .map(|&p| {
            let (x, y) = frame.at(p);
            format!("{},{}", coord(x), coord(y))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn roc_plot(page: &mut String, roc: &[(f64, f64)]) {
    let caption = "ROC curve";
    let mut points = unit_points(roc);
    if points.len() < 2 {
        placeholder(
            page,
            caption,
            "Not enough points for a ROC curve (both classes must occur in the evaluation data).",
        );
        return;
    }
    points.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let auc = area_under(&points);
    let points = thin(drop_collinear(points), 2000);

    let frame = unit_square(page, caption, "False positive rate", "True positive rate");
    line(page, frame.at((0.0, 0.0)), frame.at((1.0, 1.0)), REFERENCE);
    let path = svg_points(&frame, &points);
    let (x_last, _) = frame.at((points[points.len() - 1].0, 0.0));
    let (x_first, y_base) = frame.at((points[0].0, 0.0));
    let _ = writeln!(
        page,
        "<polygon points=\"{path} {},{} {},{}\" fill=\"{BLUE}\" fill-opacity=\"0.08\"/>",
        coord(x_last),
        coord(y_base),
        coord(x_first),
        coord(y_base)
    );
    let _ = writeln!(
        page,
        "<polyline points=\"{path}\" fill=\"none\" stroke=\"{BLUE}\" stroke-width=\"2\" stroke-linejoin=\"round\"/>"
    );
    legend(
        page,
        &frame,
        &[
            (CURVE, format!("Model (AUC = {auc:.3})")),
            (REFERENCE, "Chance".to_string()),
        ],
    );
    close_figure(page, None);
}

/// The precision-recall curve, drawn as steps (precision holds until the
/// recall of the next threshold), with the average precision and the
/// share of positives (a model that ranks at random) for reference.
fn precision_recall_plot(page: &mut String, curve: &[(f64, f64)]) {
    let caption = "Precision-recall curve";
    let points = unit_points(curve);
    if points.len() < 2 {
        placeholder(
            page,
            caption,
            "Not enough points for a precision-recall curve (the positive class must occur in the evaluation data).",
        );
        return;
    }
    let average_precision: f64 = points.windows(2).map(|w| (w[1].0 - w[0].0) * w[1].1).sum();
    // At the lowest threshold every row is predicted positive: the
    // precision there is the share of positives.
    let base_rate = points[points.len() - 1].1;
    // Over the recall a threshold adds, the precision is the one reached
    // at that threshold (what the average precision sums).
    let mut steps = vec![points[0]];
    for w in points.windows(2) {
        steps.push((w[0].0, w[1].1));
        steps.push(w[1]);
    }
    let steps = thin(drop_collinear(steps), 2000);
    let frame = unit_square(page, caption, "Recall", "Precision");
    line(
        page,
        frame.at((0.0, base_rate)),
        frame.at((1.0, base_rate)),
        REFERENCE,
    );
    let _ = writeln!(
        page,
        "<polyline class=\"pr\" points=\"{}\" fill=\"none\" stroke=\"{BLUE}\" stroke-width=\"2\" stroke-linejoin=\"round\"/>",
        svg_points(&frame, &steps)
    );
    legend(
        page,
        &frame,
        &[
            (CURVE, format!("Model (AP = {average_precision:.3})")),
            (REFERENCE, format!("Chance ({base_rate:.2})")),
        ],
    );
    close_figure(page, None);
}

/// Drops the middle one of three points on one line: a ROC curve over many
/// samples is mostly horizontal and vertical runs.
fn drop_collinear(points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    let mut kept: Vec<(f64, f64)> = Vec::with_capacity(points.len());
    for p in points {
        if kept.len() >= 2 {
            let a = kept[kept.len() - 2];
            let b = kept[kept.len() - 1];
            let cross = (b.0 - a.0) * (p.1 - a.1) - (b.1 - a.1) * (p.0 - a.0);
            if cross.abs() < 1e-12 {
                kept.pop();
            }
        }
        kept.push(p);
    }
    kept
}

/// At most `max` of `points`, evenly spaced by index and always keeping
/// the first and the last: deterministic, unlike random sampling.
fn thin<T: Copy>(points: Vec<T>, max: usize) -> Vec<T> {
    let n = points.len();
    if n <= max || max < 2 {
        return points;
    }
    (0..max).map(|i| points[i * (n - 1) / (max - 1)]).collect()
}

// -------------------------------------------------------------- residuals

/// Points drawn in a scatter plot, at most.
const MAX_POINTS: usize = 2000;

fn residuals_plot(page: &mut String, residuals: &[(f64, f64)]) {
    let caption = "Predicted vs actual";
    let finite: Vec<(f64, f64)> = residuals
        .iter()
        .filter(|(p, a)| p.is_finite() && a.is_finite())
        .map(|&(p, a)| (p.clamp(-HUGE, HUGE), a.clamp(-HUGE, HUGE)))
        .collect();
    if finite.is_empty() {
        placeholder(page, caption, "No finite predictions to plot.");
        return;
    }
    let total = finite.len();
    let skipped = residuals.len() - total;
    let shown = thin(finite, MAX_POINTS);
    // One range for both axes, so that y = x is the diagonal.
    let (lo, hi) = shown
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(p, a)| {
            (lo.min(p).min(a), hi.max(p).max(a))
        });
    let axis = Axis::new(lo, hi, 0.04, 6);
    let left = 30.0 + Frame::tick_label_width(&axis) + 10.0;
    let frame = Frame {
        left,
        top: 10.0,
        size: 300.0,
        x: Axis::new(lo, hi, 0.04, 6),
        y: axis,
    };
    open_figure(
        page,
        caption,
        frame.left + frame.size + 24.0,
        frame.top + frame.size + 46.0,
    );
    frame.draw(page, "Predicted", "Actual");
    let _ = writeln!(page, "<g fill=\"{BLUE}\" fill-opacity=\"0.45\">");
    for &point in &shown {
        let (x, y) = frame.at(point);
        let _ = writeln!(
            page,
            "<circle cx=\"{}\" cy=\"{}\" r=\"2.6\"/>",
            coord(x),
            coord(y)
        );
    }
    page.push_str("</g>\n");
    let identity = "stroke=\"#c0392b\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"";
    line(
        page,
        frame.at((frame.x.lo, frame.y.lo)),
        frame.at((frame.x.hi, frame.y.hi)),
        identity,
    );
    legend(page, &frame, &[(identity, "y = x".to_string())]);
    let mut notes = Vec::new();
    if shown.len() < total {
        notes.push(format!(
            "{} of {} points shown (evenly spaced).",
            count(shown.len() as u64),
            count(total as u64)
        ));
    }
    if skipped > 0 {
        notes.push(format!(
            "{} non-finite points left out.",
            count(skipped as u64)
        ));
    }
    let note = notes.join(" ");
    close_figure(page, (!note.is_empty()).then_some(note.as_str()));
}

// ------------------------------------------------------------- bar charts

struct Bar {
    label: String,
    value: f64,
    text: String,
}

/// Horizontal bars from a zero line, labels on the left, values at the end
/// of each bar; negative values in another colour.
fn bar_chart(page: &mut String, caption: &str, bars: &[Bar], note: Option<&str>) {
    let short: Vec<String> = bars.iter().map(|b| shorten(&b.label, 28)).collect();
    let label_w = short
        .iter()
        .map(|l| text_width(l, 11.0))
        .fold(0.0, f64::max);
    let value_w = bars
        .iter()
        .map(|b| text_width(&b.text, 11.0))
        .fold(0.0, f64::max)
        + 8.0;
    let lo = bars.iter().map(|b| b.value).fold(0.0, f64::min);
    let hi = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    let span = if hi - lo > 0.0 { hi - lo } else { 1.0 };
    let has_negative = lo < 0.0;
    let width = 460.0_f64.max(label_w + 2.0 * value_w + 200.0);
    let x0 = 8.0 + label_w + 10.0 + if has_negative { value_w } else { 0.0 };
    let x1 = width - 8.0 - value_w;
    let plot_w = x1 - x0;
    let at = |v: f64| x0 + (v - lo) / span * plot_w;
    let row = 22.0;
    let top = 6.0;
    let legend_h = if has_negative { 22.0 } else { 0.0 };
    let height = top + row * bars.len() as f64 + 6.0 + legend_h;
    open_figure(page, caption, width, height);
    let zero = at(0.0);
    for (i, (bar, label)) in bars.iter().zip(&short).enumerate() {
        let y = top + i as f64 * row;
        let (start, end) = (at(bar.value.min(0.0)), at(bar.value.max(0.0)));
        let w = if bar.value != 0.0 {
            (end - start).max(1.0)
        } else {
            0.0
        };
        let colour = if bar.value < 0.0 { ORANGE } else { BLUE };
        let _ = writeln!(
            page,
            "<g><title>{}: {}</title>",
            esc(&bar.label),
            esc(&bar.text)
        );
        text(
            page,
            (8.0 + label_w, y + 15.0),
            &font("end", 11.0, INK),
            None,
            label,
        );
        let bar_x = if bar.value < 0.0 { end - w } else { start };
        let _ = writeln!(
            page,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"15\" rx=\"2\" fill=\"{colour}\"/>",
            coord(bar_x),
            coord(y + 3.5),
            coord(w)
        );
        if bar.value < 0.0 {
            text(
                page,
                (bar_x - 4.0, y + 15.0),
                &font("end", 11.0, MUTED),
                None,
                &bar.text,
            );
        } else {
            text(
                page,
                (bar_x + w + 4.0, y + 15.0),
                &font("start", 11.0, MUTED),
                None,
                &bar.text,
            );
        }
        page.push_str("</g>\n");
    }
    line(
        page,
        (zero, top),
        (zero, top + row * bars.len() as f64 + 2.0),
        "stroke=\"#8a94a3\" stroke-width=\"1\"",
    );
    if has_negative {
        let y = top + row * bars.len() as f64 + 10.0;
        for (i, (colour, label)) in [(BLUE, "positive"), (ORANGE, "negative")]
            .iter()
            .enumerate()
        {
            let x = x0 + i as f64 * 90.0;
            let _ = writeln!(
                page,
                "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" rx=\"2\" fill=\"{colour}\"/>",
                coord(x),
                coord(y)
            );
            text(
                page,
                (x + 15.0, y + 9.0),
                &font("start", 11.0, MUTED),
                None,
                label,
            );
        }
    }
    close_figure(page, note);
}

/// Bars shown in a weights chart: the largest by absolute value.
const TOP_WEIGHTS: usize = 20;

fn weights_plot(page: &mut String, weights: &Weights) {
    let caption = if weights.title.is_empty() {
        "Weights"
    } else {
        weights.title.as_str()
    };
    let finite: Vec<&(String, f64)> = weights
        .values
        .iter()
        .filter(|(_, v)| v.is_finite())
        .collect();
    if finite.is_empty() {
        placeholder(page, caption, "No finite values to show.");
        return;
    }
    let mut sorted = finite.clone();
    // Name breaks ties, so equal weights keep one order from run to run.
    sorted.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then_with(|| a.0.cmp(&b.0)));
    let bars: Vec<Bar> = sorted
        .iter()
        .take(TOP_WEIGHTS)
        .map(|(name, value)| Bar {
            label: name.clone(),
            value: value.clamp(-HUGE, HUGE),
            text: weight_text(*value),
        })
        .collect();
    let mut notes = Vec::new();
    if sorted.len() > TOP_WEIGHTS {
        notes.push(format!(
            "Top {TOP_WEIGHTS} of {} by absolute value.",
            sorted.len()
        ));
    }
    let skipped = weights.values.len() - finite.len();
    if skipped > 0 {
        notes.push(format!("{skipped} non-finite values left out."));
    }
    let note = notes.join(" ");
    bar_chart(
        page,
        caption,
        &bars,
        (!note.is_empty()).then_some(note.as_str()),
    );
}

/// A weight with four significant digits (at most three decimals), or in
/// scientific notation when very large or very small.
fn weight_text(v: f64) -> String {
    if v == 0.0 {
        "0".to_string()
    } else if v.abs() >= 1e6 || v.abs() < 1e-3 {
        format!("{v:.2e}")
    } else {
        let decimals = (3.0 - v.abs().log10().floor()).clamp(0.0, 3.0) as usize;
        format!("{v:.decimals$}")
    }
}

/// Clusters shown, at most.
const MAX_CLUSTERS: usize = 50;

fn clusters_plot(page: &mut String, clusters: &[(String, usize)]) {
    let caption = "Cluster sizes";
    if clusters.is_empty() {
        placeholder(page, caption, "No clusters to show.");
        return;
    }
    let total: f64 = clusters.iter().map(|(_, n)| *n as f64).sum();
    let bars: Vec<Bar> = clusters
        .iter()
        .take(MAX_CLUSTERS)
        .map(|(name, n)| Bar {
            label: name.clone(),
            value: *n as f64,
            text: if total > 0.0 {
                format!("{} ({:.1}%)", count(*n as u64), *n as f64 / total * 100.0)
            } else {
                count(*n as u64)
            },
        })
        .collect();
    let note = (clusters.len() > MAX_CLUSTERS)
        .then(|| format!("First {MAX_CLUSTERS} of {} clusters shown.", clusters.len()));
    bar_chart(page, caption, &bars, note.as_deref());
}

// ------------------------------------------------------ stages and checks

fn stages_section(page: &mut String, stages: &[StageReport]) {
    page.push_str("<h2>Stages</h2>\n");
    if stages.is_empty() {
        empty(page, "No stage ran.");
        return;
    }
    page.push_str(
        "<div class=\"tablewrap\"><table><thead><tr><th>Stage</th><th>Kind</th><th class=\"num\">Rows</th>\
         <th class=\"num\">Duration</th><th>Cache</th><th>Output hash</th></tr></thead><tbody>\n",
    );
    for stage in stages {
        let rows = stage.rows.map_or("n/a".to_string(), |r| count(r as u64));
        let cache = if stage.cached {
            "<span class=\"badge neutral\">hit</span>"
        } else {
            "<span class=\"badge plain\">ran</span>"
        };
        let _ = writeln!(
            page,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{rows}</td><td class=\"num\">{}</td>\
             <td>{cache}</td><td><span class=\"hash\" title=\"{}\">{}</span></td></tr>",
            esc(&stage.name),
            esc(&stage.kind),
            duration(stage.duration_ms),
            esc(&stage.output_hash),
            esc(&short_hash(&stage.output_hash)),
        );
    }
    page.push_str("</tbody></table></div>\n");
}

/// The first 12 characters of a hash, without its `algorithm:` prefix.
fn short_hash(hash: &str) -> String {
    let digest = hash.rsplit(':').next().unwrap_or(hash);
    digest.chars().take(12).collect()
}

fn expectations_section(page: &mut String, expectations: &[ExpectationResult]) {
    page.push_str("<h2>Data expectations</h2>\n");
    if expectations.is_empty() {
        empty(page, "No expectations were declared.");
        return;
    }
    page.push_str(
        "<div class=\"tablewrap\"><table><thead><tr><th>Result</th><th>Source</th><th>Expectation</th>\
         <th>Detail</th></tr></thead><tbody>\n",
    );
    for e in expectations {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
            pass_badge(e.passed, "error"),
            esc(&e.source),
            esc(&e.expectation),
            esc(&e.detail),
        );
    }
    page.push_str("</tbody></table></div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_ticks_are_nice_and_inside_the_range() {
        let axis = Axis::new(0.3, 18_123.0, 0.0, 6);
        assert_eq!(axis.step, 5000.0);
        assert_eq!(axis.ticks, vec![5000.0, 10000.0, 15000.0]);
        assert_eq!(axis.label(15000.0), "15000");
        let unit = Axis::new(0.0, 1.0, 0.0, 6);
        assert_eq!(unit.ticks.len(), 6);
        assert_eq!(unit.label(unit.ticks[5]), "1.0");
        let small = Axis::new(-0.013, 0.041, 0.04, 6);
        assert_eq!(small.step, 0.01);
        assert_eq!(small.label(small.ticks[0]), "-0.01");
        assert!(small.ticks.iter().any(|t| small.label(*t) == "0"));
        let large = Axis::new(0.0, 3.2e7, 0.0, 6);
        assert_eq!(large.label(large.ticks[2]), "1e7");
    }

    #[test]
    fn axis_of_one_value_is_widened() {
        for v in [0.0, 5.0, -3e-12, 1e300] {
            let axis = Axis::new(v, v, 0.04, 6);
            assert!(axis.hi > axis.lo, "{v}: {}..{}", axis.lo, axis.hi);
            assert!(axis.ticks.len() >= 2 && axis.ticks.len() <= 51);
            assert!((0.0..=1.0).contains(&axis.frac(v)));
        }
    }

    #[test]
    fn coordinates_are_always_numbers() {
        assert_eq!(coord(f64::NAN), "0");
        assert_eq!(coord(f64::INFINITY), "0");
        assert_eq!(coord(-0.001), "0");
        assert_eq!(coord(12.5), "12.5");
        assert_eq!(coord(3.0), "3");
    }

    #[test]
    fn counts_have_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }

    #[test]
    fn weights_have_four_significant_digits() {
        assert_eq!(weight_text(4132.7), "4133");
        assert_eq!(weight_text(-61.2), "-61.20");
        assert_eq!(weight_text(0.52), "0.520");
        assert_eq!(weight_text(0.0), "0");
        assert_eq!(weight_text(2.5e7), "2.50e7");
    }

    #[test]
    fn thinning_keeps_the_ends() {
        let points: Vec<usize> = (0..10_000).collect();
        let kept = thin(points, 2000);
        assert_eq!(kept.len(), 2000);
        assert_eq!(kept[0], 0);
        assert_eq!(kept[1999], 9999);
    }
}
