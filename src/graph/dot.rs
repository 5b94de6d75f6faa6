//! Graphviz DOT output.

use super::{unique_names, GraphView, NodeKind};
use std::fmt::Write;

/// The view as a Graphviz `digraph`, laid out left to right, nodes filled
/// and shaped by kind.
pub fn to_dot(view: &GraphView) -> String {
    let mut out = String::new();
    let ids = node_ids(view);
    // `write!` into a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(out, "digraph {} {{", quote(&view.name));
    out.push_str("  rankdir=LR;\n");
    let _ = writeln!(
        out,
        "  graph [label={}, labelloc=t, fontname=\"Helvetica\", fontsize=14];",
        quote(&view.name)
    );
    out.push_str("  node [fontname=\"Helvetica\", fontsize=12, penwidth=1.2];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=10, color=\"#555555\"];\n");
    for (node, id) in view.nodes.iter().zip(&ids) {
        let mut label = node.label.clone();
        label.push('\n');
        label.push_str(&node.kind_line());
        if let Some(columns) = node.columns_line() {
            label.push('\n');
            label.push_str(&columns);
        }
        let (shape, style) = shape(node.kind);
        let _ = writeln!(
            out,
            "  {} [label={}, shape={shape}, style=\"{style}\", fillcolor=\"{}\", color=\"{}\"];",
            quote(id),
            quote(&label),
            node.kind.fill(),
            node.kind.stroke(),
        );
    }
    for (_, edge) in view.valid_edges() {
        let _ = write!(
            out,
            "  {} -> {}",
            quote(&ids[edge.from]),
            quote(&ids[edge.to])
        );
        if let Some(label) = &edge.label {
            let _ = write!(out, " [label={}]", quote(label));
        }
        out.push_str(";\n");
    }
    out.push_str("}\n");
    out
}

fn shape(kind: NodeKind) -> (&'static str, &'static str) {
    match kind {
        NodeKind::Param => ("note", "filled"),
        NodeKind::Source => ("cylinder", "filled"),
        NodeKind::Transform => ("box", "filled,rounded"),
        NodeKind::Split => ("trapezium", "filled"),
        NodeKind::Model => ("box3d", "filled"),
        NodeKind::Evaluate => ("hexagon", "filled"),
        NodeKind::Policy => ("octagon", "filled"),
        NodeKind::Deploy => ("component", "filled"),
    }
}

/// Node identifiers: the view's ids, with a duplicate made unique by its
/// index so that two blocks never merge into one DOT node.
fn node_ids(view: &GraphView) -> Vec<String> {
    unique_names(view.nodes.iter().map(|n| n.id.clone()).collect(), '#')
}

/// A DOT double-quoted string. Backslash starts an escape in DOT labels
/// (`\n`, `\l`, `\N`), so a literal one is doubled; line breaks become `\n`.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
