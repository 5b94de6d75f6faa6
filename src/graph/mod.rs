//! Rendering of a pipeline's dependency graph: Graphviz DOT, Mermaid, JSON,
//! and an SVG that mlp lays out and draws itself (no Graphviz needed).
//!
//! The input is a [`GraphView`], a deliberately small description of the
//! graph (nodes with a kind and a caption, edges by node index) so that this
//! module depends on no other phase: whoever owns the typed IR converts it
//! into a view. Every renderer accepts any view, including cyclic ones, empty
//! ones and views with out-of-range edge indices (such edges are skipped), and
//! is deterministic: the same view always gives byte-identical output.

mod dot;
mod layout;
mod mermaid;
mod svg;

pub use dot::to_dot;
pub use mermaid::to_mermaid;
pub use svg::to_svg;

use serde::Serialize;
use std::collections::BTreeSet;

/// A pipeline's dependency graph, ready to render.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphView {
    /// The pipeline's name, used as the graph's title.
    pub name: String,
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
}

/// One block of the pipeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphNode {
    /// Unique within the view, e.g. `model.scorer`. DOT uses it as the node
    /// identifier; a duplicate is disambiguated with its index.
    pub id: String,
    /// Short caption, e.g. `scorer`.
    pub label: String,
    pub kind: NodeKind,
    /// What the block is made of, e.g. `logistic_regression` or `csv`.
    pub detail: Option<String>,
    /// Number of columns of the table the block produces, if it produces one.
    pub columns: Option<usize>,
}

/// The kind of a block; decides colour and shape in every format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Param,
    Source,
    Transform,
    Split,
    Model,
    Evaluate,
    Policy,
    Deploy,
}

/// A dependency: `to` uses what `from` produces. Indices are into
/// [`GraphView::nodes`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphEdge {
    pub from: usize,
    pub to: usize,
    /// The role of the dependency, e.g. `train` or `gate`.
    pub label: Option<String>,
}

impl NodeKind {
    /// Every kind, in data-flow order (the order of the legend).
    pub const ALL: [NodeKind; 8] = [
        NodeKind::Param,
        NodeKind::Source,
        NodeKind::Transform,
        NodeKind::Split,
        NodeKind::Model,
        NodeKind::Evaluate,
        NodeKind::Policy,
        NodeKind::Deploy,
    ];

    /// The keyword that declares a block of this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Param => "param",
            NodeKind::Source => "source",
            NodeKind::Transform => "transform",
            NodeKind::Split => "split",
            NodeKind::Model => "model",
            NodeKind::Evaluate => "evaluate",
            NodeKind::Policy => "policy",
            NodeKind::Deploy => "deploy",
        }
    }

    /// Fill colour: a light tint, so that dark text stays readable.
    pub(crate) fn fill(self) -> &'static str {
        match self {
            NodeKind::Param => "#f1f5f9",
            NodeKind::Source => "#dbeafe",
            NodeKind::Transform => "#dcfce7",
            NodeKind::Split => "#fef9c3",
            NodeKind::Model => "#f3e8ff",
            NodeKind::Evaluate => "#ffedd5",
            NodeKind::Policy => "#fee2e2",
            NodeKind::Deploy => "#ccfbf1",
        }
    }

    /// Border colour: the saturated version of [`NodeKind::fill`].
    pub(crate) fn stroke(self) -> &'static str {
        match self {
            NodeKind::Param => "#64748b",
            NodeKind::Source => "#2563eb",
            NodeKind::Transform => "#16a34a",
            NodeKind::Split => "#ca8a04",
            NodeKind::Model => "#9333ea",
            NodeKind::Evaluate => "#ea580c",
            NodeKind::Policy => "#dc2626",
            NodeKind::Deploy => "#0d9488",
        }
    }
}

impl GraphNode {
    /// The caption's second line: the kind, and the detail if any.
    pub(crate) fn kind_line(&self) -> String {
        match &self.detail {
            Some(detail) => format!("{} · {}", self.kind.as_str(), detail),
            None => self.kind.as_str().to_string(),
        }
    }

    /// The caption's third line, for table-producing blocks.
    pub(crate) fn columns_line(&self) -> Option<String> {
        self.columns.map(|n| match n {
            1 => "1 column".to_string(),
            n => format!("{n} columns"),
        })
    }
}

impl GraphView {
    /// The edges whose endpoints both exist, with their index in `edges`.
    pub(crate) fn valid_edges(&self) -> impl Iterator<Item = (usize, &GraphEdge)> {
        let n = self.nodes.len();
        self.edges
            .iter()
            .enumerate()
            .filter(move |(_, e)| e.from < n && e.to < n)
    }
}

/// Makes every name unique: a repeated name gets `separator` and a number
/// (its index, then further multiples of the count if even that is taken).
pub(crate) fn unique_names(names: Vec<String>, separator: char) -> Vec<String> {
    let count = names.len();
    let mut used = BTreeSet::new();
    names
        .into_iter()
        .enumerate()
        .map(|(i, base)| {
            let mut name = base.clone();
            let mut attempt = 0;
            while used.contains(&name) {
                name = format!("{base}{separator}{}", i + attempt * count);
                attempt += 1;
            }
            used.insert(name.clone());
            name
        })
        .collect()
}

/// The view as pretty-printed JSON (the same field names as the Rust types,
/// kinds in snake case).
pub fn to_json(view: &GraphView) -> String {
    // Plain structs, strings and integers: serialization cannot fail.
    serde_json::to_string_pretty(view).expect("a GraphView always serializes")
}
