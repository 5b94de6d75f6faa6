//! The typed IR: the checked program as a stable JSON document (see
//! `docs/ir.md`), and its dependency graph in petgraph.

use crate::check::{Block, BlockInfo, Param, Pipeline, Program};
use crate::resolve::{EdgeKind, Resolved};
use petgraph::graph::DiGraph;
use serde::Serialize;

/// The version of the IR format; bumped on any incompatible change.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
pub struct Ir<'p> {
    pub version: u32,
    pub pipeline: Option<&'p Pipeline>,
    pub params: &'p [Param],
    pub blocks: &'p [Block],
    pub edges: Vec<IrEdge>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IrEdge {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
}

/// The IR of a checked program. Only blocks that were checked appear, and
/// only edges between them.
pub fn lower<'p>(resolved: &Resolved, program: &'p Program) -> Ir<'p> {
    Ir {
        version: VERSION,
        pipeline: program.pipeline.as_ref(),
        params: &program.params,
        blocks: &program.blocks,
        edges: edges(resolved, program),
    }
}

fn edges(resolved: &Resolved, program: &Program) -> Vec<IrEdge> {
    let graph = &resolved.graph.graph;
    let mut out = Vec::new();
    for edge in graph.edge_indices() {
        let Some((a, b)) = graph.edge_endpoints(edge) else {
            continue;
        };
        let (Some(from), Some(to)) = (program.block(graph[a]), program.block(graph[b])) else {
            continue;
        };
        out.push(IrEdge {
            from: from.name.clone(),
            to: to.name.clone(),
            kind: graph[edge].kind,
            part: graph[edge].part.clone(),
        });
    }
    out.sort_by(|x, y| (&x.from, &x.to).cmp(&(&y.from, &y.to)));
    out.dedup();
    out
}

/// The dependency graph of the checked blocks: node weights index
/// `program.blocks`.
pub fn dag(resolved: &Resolved, program: &Program) -> DiGraph<usize, IrEdge> {
    let mut graph = DiGraph::new();
    let nodes: Vec<_> = (0..program.blocks.len())
        .map(|i| graph.add_node(i))
        .collect();
    for edge in edges(resolved, program) {
        let find = |name: &str| program.names.get(name).copied();
        if let (Some(a), Some(b)) = (find(&edge.from), find(&edge.to)) {
            graph.add_edge(nodes[a], nodes[b], edge);
        }
    }
    graph
}

/// The number of columns of a table block (for graph labels).
pub fn column_count(block: &Block) -> Option<usize> {
    match &block.info {
        BlockInfo::Source(s) => Some(s.schema.columns.len()),
        BlockInfo::Transform(t) => Some(t.schema.columns.len()),
        BlockInfo::Split(s) => Some(s.schema.columns.len()),
        _ => None,
    }
}
