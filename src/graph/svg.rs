//! SVG output, laid out by [`super::layout`] and drawn here.

use super::layout::{self, EdgeIn, Layout, Segment};
use super::{GraphView, NodeKind};
use std::fmt::Write;

const MARGIN: f64 = 24.0;
const TITLE_HEIGHT: f64 = 36.0;
const LEGEND_GAP: f64 = 28.0;
const LEGEND_HEIGHT: f64 = 16.0;
const FONT: &str = "Helvetica, Arial, sans-serif";
/// Estimated advance per character: about 7px at 12px, scaled by size
/// (bold captions a little wider).
const CAPTION_CHAR: f64 = 8.0;
const SMALL_CHAR: f64 = 6.5;
const LEGEND_CHAR: f64 = 7.0;
const TITLE_CHAR: f64 = 9.5;
const NODE_PADDING: f64 = 14.0;
const NODE_MIN_WIDTH: f64 = 100.0;
const FIRST_BASELINE: f64 = 23.0;
const LINE_HEIGHT: f64 = 14.0;
const BOTTOM_PADDING: f64 = 13.0;
const EDGE_LABEL_HEIGHT: f64 = 16.0;
/// Longer captions are cut (the full text stays in the tooltip) so that one
/// long name cannot stretch a whole column.
const MAX_CHARS: usize = 40;
const EDGE_COLOUR: &str = "#64748b";
const CYCLE_COLOUR: &str = "#dc2626";

/// The view as a standalone SVG document: a layered drawing, left to right,
/// nodes coloured by kind, with a legend of the kinds present.
pub fn to_svg(view: &GraphView) -> String {
    let captions: Vec<Vec<String>> = view.nodes.iter().map(caption).collect();
    let sizes: Vec<(f64, f64)> = captions.iter().map(|lines| node_size(lines)).collect();
    let valid: Vec<_> = view.valid_edges().collect();
    let edge_labels: Vec<Option<String>> = valid
        .iter()
        .map(|(_, e)| e.label.as_deref().map(truncate))
        .collect();
    let inputs: Vec<EdgeIn> = valid
        .iter()
        .zip(&edge_labels)
        .map(|((_, e), label)| EdgeIn {
            from: e.from,
            to: e.to,
            label: label.as_ref().map(|l| edge_label_size(l)),
        })
        .collect();
    let layout = layout::layout(&sizes, &inputs);

    let kinds: Vec<NodeKind> = NodeKind::ALL
        .into_iter()
        .filter(|k| view.nodes.iter().any(|n| n.kind == *k))
        .collect();
    let legend_width = kinds.iter().map(|k| legend_item_width(*k)).sum::<f64>();
    let title = truncate(&view.name);
    let title_width = chars(&title) * TITLE_CHAR;
    let content_height = if view.nodes.is_empty() {
        LEGEND_HEIGHT
    } else {
        layout.height + LEGEND_GAP + LEGEND_HEIGHT
    };
    let width = layout.width.max(legend_width).max(title_width) + 2.0 * MARGIN;
    let height = MARGIN + TITLE_HEIGHT + content_height + MARGIN;
    let origin = (MARGIN, MARGIN + TITLE_HEIGHT);

    let mut out = String::new();
    // `write!` into a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" font-family=\"{FONT}\">",
        w = num(width),
        h = num(height)
    );
    let _ = writeln!(out, "  <title>{}</title>", xml(&view.name));
    let _ = writeln!(
        out,
        "  <defs>\n    <marker id=\"mlp-arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
         markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">\
         <path d=\"M0,0 L10,5 L0,10 z\" fill=\"{EDGE_COLOUR}\"/></marker>\n    \
         <marker id=\"mlp-arrow-cycle\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
         markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">\
         <path d=\"M0,0 L10,5 L0,10 z\" fill=\"{CYCLE_COLOUR}\"/></marker>\n  </defs>"
    );
    let _ = writeln!(
        out,
        "  <rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>",
        num(width),
        num(height)
    );
    let _ = writeln!(
        out,
        "  <text x=\"{}\" y=\"{}\" font-size=\"16\" font-weight=\"bold\" fill=\"#111827\">{}</text>",
        num(MARGIN),
        num(MARGIN + 16.0),
        xml(&title)
    );
    if view.nodes.is_empty() {
        let _ = writeln!(
            out,
            "  <text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#6b7280\">empty graph</text>",
            num(origin.0),
            num(origin.1 + 12.0)
        );
    }
    draw_edges(&mut out, view, &valid, &layout, origin);
    draw_edge_labels(&mut out, &edge_labels, &layout, origin);
    draw_nodes(&mut out, view, &captions, &layout, origin);
    if !kinds.is_empty() {
        draw_legend(
            &mut out,
            &kinds,
            (MARGIN, origin.1 + layout.height + LEGEND_GAP),
        );
    }
    out.push_str("</svg>\n");
    out
}

/// The lines of a node's caption: label, kind (and detail), column count.
fn caption(node: &super::GraphNode) -> Vec<String> {
    let mut lines = vec![truncate(&node.label), truncate(&node.kind_line())];
    lines.extend(node.columns_line());
    lines
}

fn node_size(lines: &[String]) -> (f64, f64) {
    let text = lines
        .iter()
        .enumerate()
        .map(|(i, line)| chars(line) * if i == 0 { CAPTION_CHAR } else { SMALL_CHAR })
        .fold(0.0, f64::max);
    let w = (text + 2.0 * NODE_PADDING).max(NODE_MIN_WIDTH).ceil();
    let h = FIRST_BASELINE + LINE_HEIGHT * (lines.len() as f64 - 1.0) + BOTTOM_PADDING;
    (w, h)
}

fn edge_label_size(label: &str) -> (f64, f64) {
    (chars(label) * SMALL_CHAR + 8.0, EDGE_LABEL_HEIGHT)
}

fn legend_item_width(kind: NodeKind) -> f64 {
    14.0 + 6.0 + chars(kind.as_str()) * LEGEND_CHAR + 18.0
}

fn draw_edges(
    out: &mut String,
    view: &GraphView,
    valid: &[(usize, &super::GraphEdge)],
    layout: &Layout,
    (ox, oy): (f64, f64),
) {
    out.push_str(&format!(
        "  <g class=\"edges\" fill=\"none\" stroke=\"{EDGE_COLOUR}\" stroke-width=\"1.4\">\n"
    ));
    for ((_, edge), route) in valid.iter().zip(&layout.edges) {
        let mut d = format!("M{},{}", num(route.start.0 + ox), num(route.start.1 + oy));
        for segment in &route.segments {
            match *segment {
                Segment::Line((x, y)) => {
                    let _ = write!(d, " L{},{}", num(x + ox), num(y + oy));
                }
                Segment::Curve((x1, y1), (x2, y2), (x, y)) => {
                    let _ = write!(
                        d,
                        " C{},{} {},{} {},{}",
                        num(x1 + ox),
                        num(y1 + oy),
                        num(x2 + ox),
                        num(y2 + oy),
                        num(x + ox),
                        num(y + oy)
                    );
                }
            }
        }
        let style = if route.backward {
            format!(
                " stroke=\"{CYCLE_COLOUR}\" stroke-dasharray=\"5 4\" marker-end=\"url(#mlp-arrow-cycle)\""
            )
        } else {
            " marker-end=\"url(#mlp-arrow)\"".to_string()
        };
        let _ = writeln!(
            out,
            "    <path class=\"{}\" data-from=\"{}\" data-to=\"{}\" d=\"{d}\"{style}/>",
            if route.backward { "edge cycle" } else { "edge" },
            xml(&view.nodes[edge.from].id),
            xml(&view.nodes[edge.to].id),
        );
    }
    out.push_str("  </g>\n");
}

fn draw_edge_labels(
    out: &mut String,
    labels: &[Option<String>],
    layout: &Layout,
    (ox, oy): (f64, f64),
) {
    out.push_str("  <g class=\"edge-labels\" font-size=\"11\" fill=\"#374151\">\n");
    for (label, route) in labels.iter().zip(&layout.edges) {
        let (Some(label), Some((x, y))) = (label, route.label_at) else {
            continue;
        };
        let (w, h) = edge_label_size(label);
        let _ = writeln!(
            out,
            "    <rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.9\"/>",
            num(x + ox - w / 2.0),
            num(y + oy - h / 2.0),
            num(w),
            num(h)
        );
        let _ = writeln!(
            out,
            "    <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            num(x + ox),
            num(y + oy + 4.0),
            xml(label)
        );
    }
    out.push_str("  </g>\n");
}

fn draw_nodes(
    out: &mut String,
    view: &GraphView,
    captions: &[Vec<String>],
    layout: &Layout,
    (ox, oy): (f64, f64),
) {
    out.push_str("  <g class=\"nodes\">\n");
    for ((node, lines), place) in view.nodes.iter().zip(captions).zip(&layout.nodes) {
        let (x, y) = (place.x + ox, place.y + oy);
        let kind = node.kind.as_str();
        let _ = writeln!(out, "    <g class=\"node-{kind}\">");
        let _ = writeln!(out, "      <title>{}</title>", xml(&node.id));
        let _ = writeln!(
            out,
            "      <rect class=\"node\" data-id=\"{}\" data-kind=\"{kind}\" data-layer=\"{}\" \
             x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"8\" fill=\"{}\" stroke=\"{}\" stroke-width=\"1.5\"/>",
            xml(&node.id),
            place.layer,
            num(x),
            num(y),
            num(place.w),
            num(place.h),
            node.kind.fill(),
            node.kind.stroke()
        );
        let cx = num(x + place.w / 2.0);
        for (i, line) in lines.iter().enumerate() {
            let baseline = num(y + FIRST_BASELINE + LINE_HEIGHT * i as f64);
            let style = if i == 0 {
                "font-size=\"13\" font-weight=\"bold\" fill=\"#111827\""
            } else {
                "font-size=\"11\" fill=\"#4b5563\""
            };
            let _ = writeln!(
                out,
                "      <text x=\"{cx}\" y=\"{baseline}\" text-anchor=\"middle\" {style}>{}</text>",
                xml(line)
            );
        }
        out.push_str("    </g>\n");
    }
    out.push_str("  </g>\n");
}

fn draw_legend(out: &mut String, kinds: &[NodeKind], (mut x, y): (f64, f64)) {
    out.push_str("  <g class=\"legend\" font-size=\"12\" fill=\"#374151\">\n");
    for &kind in kinds {
        let _ = writeln!(
            out,
            "    <rect x=\"{}\" y=\"{}\" width=\"14\" height=\"14\" rx=\"3\" fill=\"{}\" stroke=\"{}\"/>",
            num(x),
            num(y + 1.0),
            kind.fill(),
            kind.stroke()
        );
        let _ = writeln!(
            out,
            "    <text x=\"{}\" y=\"{}\">{}</text>",
            num(x + 20.0),
            num(y + 12.0),
            kind.as_str()
        );
        x += legend_item_width(kind);
    }
    out.push_str("  </g>\n");
}

fn chars(text: &str) -> f64 {
    text.chars().count() as f64
}

fn truncate(text: &str) -> String {
    if text.chars().count() <= MAX_CHARS {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(MAX_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// A coordinate with one decimal, without a useless `.0` or a `-0`.
fn num(value: f64) -> String {
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// Text or attribute content: markup characters as entities, line breaks as
/// spaces, and characters XML 1.0 forbids dropped.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\r' | '\t' => out.push(' '),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}
