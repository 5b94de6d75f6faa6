//! The cross-validation of a model in the report: a table of every metric
//! on every fold, and a plot of their spread, one strip per metric on its
//! own scale (an rmse and an r2 share no axis).

use super::{
    close_figure, coord, count, esc, font, line, metric_value, open_figure, shorten, text,
    CvReport, SearchRecord, BLUE, GRID, INK, MUTED,
};
use std::fmt::Write as _;

pub(super) fn section(page: &mut String, cv: &CvReport) {
    let _ = write!(
        page,
        "<h4 class=\"groups\">Cross-validation: {} folds of <code>{}</code></h4>\n<div class=\"meta\">seed {}",
        cv.dealt.folds,
        esc(&cv.dealt.rows_of),
        cv.dealt.seed
    );
    if let Some(column) = &cv.dealt.stratify {
        let _ = write!(page, " · stratified by <code>{}</code>", esc(column));
    }
    if !cv.dealt.refit.is_empty() {
        let names: Vec<String> = cv
            .dealt
            .refit
            .iter()
            .map(|n| format!("<code>{}</code>", esc(n)))
            .collect();
        let _ = write!(page, " · refitted on each fold: {}", names.join(", "));
    }
    page.push_str(
        "</div>\n<div class=\"tablewrap\"><table class=\"cv\"><thead><tr><th>Metric</th>",
    );
    for fold in 0..cv.fold_rows.len() {
        let _ = write!(page, "<th class=\"num\">fold {fold}</th>");
    }
    page.push_str("<th class=\"num\">mean</th><th class=\"num\">std</th></tr></thead><tbody>\n<tr><td class=\"muted\">rows scored</td>");
    for rows in &cv.fold_rows {
        let _ = write!(page, "<td class=\"num\">{}</td>", count(*rows as u64));
    }
    page.push_str("<td></td><td></td></tr>\n");
    for (name, metric) in &cv.metrics {
        let _ = write!(page, "<tr><td>{}</td>", esc(name));
        for value in &metric.folds {
            let _ = write!(page, "<td class=\"num\">{}</td>", metric_value(*value));
        }
        let _ = writeln!(
            page,
            "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            metric_value(metric.mean),
            metric_value(metric.std)
        );
    }
    page.push_str("</tbody></table></div>\n");
    if !cv.metrics.is_empty() {
        spread_plot(page, cv);
    }
}

/// One strip per metric: a dot per fold, the mean as a tick and one
/// standard deviation either side as a band, on the metric's own range.
fn spread_plot(page: &mut String, cv: &CvReport) {
    let (label_w, x0, x1, width) = (120.0, 132.0, 412.0, 560.0);
    let row = 36.0;
    let height = 8.0 + row * cv.metrics.len() as f64;
    open_figure(page, "Spread over the folds", width, height);
    for (i, (name, metric)) in cv.metrics.iter().enumerate() {
        let y = 8.0 + i as f64 * row + 12.0;
        let finite: Vec<f64> = metric
            .folds
            .iter()
            .copied()
            .chain([metric.mean - metric.std, metric.mean + metric.std])
            .filter(|v| v.is_finite())
            .collect();
        let mut lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
        let mut hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !(lo.is_finite() && hi.is_finite()) {
            lo = 0.0;
            hi = 1.0;
        }
        if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
            let pad = (hi.abs() * 0.01).max(1e-9);
            lo -= pad;
            hi += pad;
        }
        let at = |v: f64| x0 + (v - lo) / (hi - lo) * (x1 - x0);
        let _ = writeln!(
            page,
            "<g><title>{}: mean {}, std {}</title>",
            esc(name),
            metric_value(metric.mean),
            metric_value(metric.std)
        );
        text(
            page,
            (label_w, y + 4.0),
            &font("end", 12.0, INK),
            None,
            &shorten(name, 18),
        );
        line(page, (x0, y), (x1, y), GRID);
        let (band_lo, band_hi) = (at(metric.mean - metric.std), at(metric.mean + metric.std));
        let _ = writeln!(
            page,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"12\" rx=\"2\" fill=\"{BLUE}\" fill-opacity=\"0.18\"/>",
            coord(band_lo),
            coord(y - 6.0),
            coord((band_hi - band_lo).max(1.0))
        );
        line(
            page,
            (at(metric.mean), y - 9.0),
            (at(metric.mean), y + 9.0),
            &format!("stroke=\"{INK}\" stroke-width=\"2\""),
        );
        for (fold, value) in metric.folds.iter().enumerate() {
            if !value.is_finite() {
                continue;
            }
            let _ = writeln!(
                page,
                "<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{BLUE}\" fill-opacity=\"0.8\"><title>fold {fold}: {}</title></circle>",
                coord(at(*value)),
                coord(y),
                metric_value(*value)
            );
        }
        let small = font("start", 10.0, MUTED);
        text(page, (x0, y + 20.0), &small, None, &metric_value(lo));
        text(
            page,
            (x1, y + 20.0),
            &font("end", 10.0, MUTED),
            None,
            &metric_value(hi),
        );
        text(
            page,
            (x1 + 12.0, y + 4.0),
            &font("start", 12.0, MUTED),
            None,
            &format!(
                "{} ± {}",
                metric_value(metric.mean),
                metric_value(metric.std)
            ),
        );
        page.push_str("</g>\n");
    }
    close_figure(
        page,
        Some("Dots: the folds; tick: the mean; band: one standard deviation either side."),
    );
}

/// The candidates of a hyper-parameter search, best first: their values,
/// the mean and standard deviation of the ranking metric over the folds.
pub(super) fn search_section(page: &mut String, search: &SearchRecord) {
    let _ = writeln!(
        page,
        "<h4 class=\"groups\">Hyper-parameter search: {} candidates, {} folds of <code>{}</code>, ranked by <code>{}</code> ({} is better)</h4>",
        search.trials.len(),
        search.dealt.folds,
        esc(&search.dealt.rows_of),
        esc(&search.metric),
        if search.higher_is_better { "higher" } else { "lower" }
    );
    let names: Vec<&String> = search
        .trials
        .first()
        .map(|t| t.hyper.keys().collect())
        .unwrap_or_default();
    page.push_str("<div class=\"tablewrap\"><table class=\"search\"><thead><tr><th>Rank</th>");
    for name in &names {
        let _ = write!(page, "<th>{}</th>", esc(name));
    }
    page.push_str("<th class=\"num\">mean</th><th class=\"num\">std</th></tr></thead><tbody>\n");
    let mut order: Vec<usize> = (0..search.trials.len()).collect();
    // The chosen one first, then by mean, ties in trial order.
    let key = |i: &usize| {
        let mean = search.trials[*i].mean;
        if search.higher_is_better {
            -mean
        } else {
            mean
        }
    };
    order.sort_by(|a, b| {
        (*a != search.best)
            .cmp(&(*b != search.best))
            .then(key(a).total_cmp(&key(b)))
            .then(a.cmp(b))
    });
    for (rank, i) in order.into_iter().enumerate() {
        let trial = &search.trials[i];
        let chosen = if i == search.best {
            " <span class=\"badge pass\">chosen</span>"
        } else {
            ""
        };
        let _ = write!(page, "<tr><td>{}{chosen}</td>", rank + 1);
        for name in &names {
            let value = trial
                .hyper
                .get(*name)
                .map_or_else(|| "—".to_string(), |v| v.to_string());
            let _ = write!(page, "<td><code>{}</code></td>", esc(&value));
        }
        let _ = writeln!(
            page,
            "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            metric_value(trial.mean),
            metric_value(trial.std)
        );
    }
    page.push_str("</tbody></table></div>\n");
}
