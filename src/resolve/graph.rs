//! The dependency graph between blocks, from the references written in
//! them, and the order in which blocks are checked. A cycle is reported
//! here, with a label on every block on it.

use super::{BlockId, Resolved};
use crate::diagnostics::{codes, Diagnostic};
use crate::syntax::ast::{self, ExprKind, ItemKind, RuleKind};
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// A table flowing into a transform, split, join or model.
    Data,
    /// A model and the table of an `evaluate`.
    Evaluate,
    /// A model served by a deployment.
    Serve,
    /// A policy gating a deployment.
    Gate,
    /// A model named by a policy rule.
    Rule,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    pub kind: EdgeKind,
    /// The split part used (`train` in `holdout.train`), if any.
    pub part: Option<String>,
}

/// Edges run from a block to the blocks that use it (the direction data flows).
#[derive(Debug, Default)]
pub struct DepGraph {
    pub graph: DiGraph<BlockId, Edge>,
    pub nodes: HashMap<BlockId, NodeIndex>,
}

/// A reference written in a block: the path's segments and the kind of edge.
struct Reference<'a> {
    segments: Vec<&'a ast::Ident>,
    kind: EdgeKind,
}

/// Names a policy uses for "every model / deployment behind this gate",
/// pipeline metadata and lint rules (`lint.GOV005`), which are not block
/// references.
const POLICY_WORDS: &[&str] = &["model", "deploy", "risk", "lint"];

fn path_of(expr: &ast::Expr) -> Option<Vec<&ast::Ident>> {
    let inner = match &expr.kind {
        ExprKind::Paren(e) => e,
        _ => expr,
    };
    inner.as_path()
}

fn references(item: &ast::Item) -> Vec<Reference<'_>> {
    let mut out = Vec::new();
    fn add<'a>(out: &mut Vec<Reference<'a>>, segments: Vec<&'a ast::Ident>, kind: EdgeKind) {
        out.push(Reference { segments, kind })
    }
    match &item.kind {
        ItemKind::Transform(t) => {
            add(&mut out, t.input.segments.iter().collect(), EdgeKind::Data);
            for step in &t.steps {
                // `join(other, ...)` reads another table, `apply(prepared)`
                // another transform's fitted steps.
                if !matches!(step.name.name.as_str(), "join" | "apply") {
                    continue;
                }
                let other = step
                    .args
                    .iter()
                    .flatten()
                    .find(|a| a.name.is_none())
                    .and_then(|a| path_of(&a.value));
                if let Some(segments) = other {
                    add(&mut out, segments, EdgeKind::Data);
                }
            }
        }
        ItemKind::Split(s) => add(&mut out, s.input.segments.iter().collect(), EdgeKind::Data),
        ItemKind::Model(m) => {
            if let Some(segments) = m.body.field("data").and_then(|f| path_of(&f.value)) {
                add(&mut out, segments, EdgeKind::Data);
            }
        }
        ItemKind::Evaluate(e) => {
            add(
                &mut out,
                e.model.segments.iter().collect(),
                EdgeKind::Evaluate,
            );
            add(
                &mut out,
                e.data.segments.iter().collect(),
                EdgeKind::Evaluate,
            );
        }
        ItemKind::Deploy(d) => {
            if let Some(segments) = d.body.field("model").and_then(|f| path_of(&f.value)) {
                add(&mut out, segments, EdgeKind::Serve);
            }
            if let Some(ExprKind::List(gates)) = d.body.field("gates").map(|f| &f.value.kind) {
                for gate in gates {
                    if let Some(segments) = path_of(gate) {
                        add(&mut out, segments, EdgeKind::Gate);
                    }
                }
            }
        }
        ItemKind::Policy(p) => {
            for entry in &p.body.entries {
                let ast::Entry::Rule(rule) = entry else {
                    continue;
                };
                let expr = match &rule.kind {
                    RuleKind::Require(e) => e,
                    RuleKind::Deny(e) => e,
                    RuleKind::Approval { .. } => continue,
                };
                let mut paths = Vec::new();
                rule_paths(expr, &mut paths);
                for segments in paths {
                    add(&mut out, segments, EdgeKind::Rule);
                }
            }
        }
        _ => {}
    }
    out
}

/// The dotted names of at least two segments in a rule (`scorer.accuracy`),
/// which name a block and one of its members.
fn rule_paths<'a>(expr: &'a ast::Expr, out: &mut Vec<Vec<&'a ast::Ident>>) {
    match &expr.kind {
        ExprKind::Member { .. } => {
            if let Some(path) = expr.as_path() {
                if !POLICY_WORDS.contains(&path[0].name.as_str()) {
                    out.push(path);
                }
            }
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            rule_paths(lhs, out);
            rule_paths(rhs, out);
        }
        ExprKind::Unary { operand, .. } => rule_paths(operand, out),
        ExprKind::Paren(e) => rule_paths(e, out),
        _ => {}
    }
}

fn is_node(item: &ast::Item) -> bool {
    matches!(
        item.kind,
        ItemKind::Source(_)
            | ItemKind::Transform(_)
            | ItemKind::Split(_)
            | ItemKind::Model(_)
            | ItemKind::Evaluate(_)
            | ItemKind::Policy(_)
            | ItemKind::Deploy(_)
    )
}

pub(super) fn build(resolved: &mut Resolved) {
    let mut graph = DepGraph::default();
    let mut first = Vec::new();
    for (m, module) in resolved.modules.iter().enumerate() {
        for (i, item) in module.ast.items.iter().enumerate() {
            let block = BlockId { module: m, item: i };
            if is_node(item) {
                let node = graph.graph.add_node(block);
                graph.nodes.insert(block, node);
            } else if !matches!(item.kind, ItemKind::Error(_) | ItemKind::Use(_)) {
                first.push(block);
            }
        }
    }
    let mut diagnostics = Vec::new();
    for (m, module) in resolved.modules.iter().enumerate() {
        for (i, item) in module.ast.items.iter().enumerate() {
            let to = BlockId { module: m, item: i };
            let Some(&to_node) = graph.nodes.get(&to) else {
                continue;
            };
            for reference in references(item) {
                match resolved.lookup_or_report(m, &reference.segments) {
                    Ok(target) => {
                        // Rules name deployments too, which gate on the
                        // policy: only models are dependencies of a rule.
                        if reference.kind == EdgeKind::Rule
                            && !matches!(resolved.item(target.block).kind, ItemKind::Model(_))
                        {
                            continue;
                        }
                        let Some(&from) = graph.nodes.get(&target.block) else {
                            // A param or pipeline named where a block is
                            // expected: the checker reports the wrong kind.
                            continue;
                        };
                        let part = reference
                            .segments
                            .get(target.consumed)
                            .filter(|_| {
                                matches!(resolved.item(target.block).kind, ItemKind::Split(_))
                            })
                            .map(|i| i.name.clone());
                        graph.graph.add_edge(
                            from,
                            to_node,
                            Edge {
                                kind: reference.kind,
                                part,
                            },
                        );
                    }
                    Err(d) => diagnostics.push(d),
                }
            }
        }
    }
    let mut order = first;
    let sccs = petgraph::algo::tarjan_scc(&graph.graph);
    for scc in sccs.iter().rev() {
        let looped = scc.len() > 1 || graph.graph.find_edge(scc[0], scc[0]).is_some();
        if !looped {
            order.push(graph.graph[scc[0]]);
            continue;
        }
        let mut blocks: Vec<BlockId> = scc.iter().map(|n| graph.graph[*n]).collect();
        blocks.sort();
        let names: Vec<String> = blocks.iter().map(|b| resolved.qualified(*b)).collect();
        let mut d = Diagnostic::error(
            codes::DEPENDENCY_CYCLE,
            format!(
                "these blocks depend on each other in a cycle: {}",
                names.join(" → ")
            ),
        );
        for block in &blocks {
            let item = resolved.item(*block);
            let span = item.name().map_or(item.span, |n| n.span);
            d = d.with_label(resolved.modules[block.module].file, span, "on the cycle");
        }
        diagnostics.push(d.with_help(
            "a block cannot use its own output: break the cycle by reading from an earlier table",
        ));
    }
    resolved.diagnostics.extend(diagnostics);
    resolved.order = order;
    resolved.graph = graph;
}
