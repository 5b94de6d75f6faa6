//! Mermaid flowchart output.

use super::{unique_names, GraphView, NodeKind};
use std::fmt::Write;

/// Words that end or redirect a Mermaid flowchart when used as a node id.
const RESERVED: [&str; 11] = [
    "end",
    "graph",
    "flowchart",
    "subgraph",
    "style",
    "class",
    "classdef",
    "click",
    "linkstyle",
    "direction",
    "default",
];

/// The view as a Mermaid `flowchart LR`, one `classDef` per kind.
pub fn to_mermaid(view: &GraphView) -> String {
    let ids = node_ids(view);
    let mut out = String::from("flowchart LR\n");
    // `write!` into a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(out, "  %% {}", view.name.replace(['\n', '\r'], " "));
    for (node, id) in view.nodes.iter().zip(&ids) {
        let mut label = escape(&node.label);
        label.push_str("<br/>");
        label.push_str(&escape(&node.kind_line()));
        if let Some(columns) = node.columns_line() {
            label.push_str("<br/>");
            label.push_str(&escape(&columns));
        }
        let (open, close) = shape(node.kind);
        let _ = writeln!(
            out,
            "  {id}{open}\"{label}\"{close}:::{}",
            node.kind.as_str()
        );
    }
    for (_, edge) in view.valid_edges() {
        let (from, to) = (&ids[edge.from], &ids[edge.to]);
        match &edge.label {
            Some(label) => {
                let _ = writeln!(out, "  {from} -->|\"{}\"| {to}", escape(label));
            }
            None => {
                let _ = writeln!(out, "  {from} --> {to}");
            }
        }
    }
    for kind in NodeKind::ALL {
        let _ = writeln!(
            out,
            "  classDef {} fill:{},stroke:{},color:#111827",
            kind.as_str(),
            kind.fill(),
            kind.stroke()
        );
    }
    out
}

fn shape(kind: NodeKind) -> (&'static str, &'static str) {
    match kind {
        NodeKind::Param => (">", "]"),
        NodeKind::Source => ("[(", ")]"),
        NodeKind::Transform => ("(", ")"),
        NodeKind::Split => ("{{", "}}"),
        NodeKind::Model => ("[[", "]]"),
        NodeKind::Evaluate => ("[/", "/]"),
        NodeKind::Policy => ("[\\", "/]"),
        NodeKind::Deploy => ("([", "])"),
    }
}

/// Node ids Mermaid accepts as bare words: ASCII letters, digits and `_`,
/// starting with a letter, never a keyword, unique.
fn node_ids(view: &GraphView) -> Vec<String> {
    let bases = view
        .nodes
        .iter()
        .map(|node| {
            let mut id: String = node
                .id
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let starts_with_letter = id.starts_with(|c: char| c.is_ascii_alphabetic());
            if !starts_with_letter || RESERVED.contains(&id.to_ascii_lowercase().as_str()) {
                id.insert_str(0, "n_");
            }
            id
        })
        .collect();
    unique_names(bases, '_')
}

/// Text inside a quoted Mermaid label: quotes, markup and the entity sign
/// itself become Mermaid entities; line breaks become spaces.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '`' => out.push_str("#96;"),
            '|' => out.push_str("#124;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
