//! Layered (Sugiyama-style) layout, left to right, for the SVG renderer.
//!
//! 1. Cycles are broken by reversing the back edges of an iterative DFS
//!    (in node order, so the result is deterministic); self-loops take no
//!    part in layering.
//! 2. Longest-path layering; a node without predecessors is then moved right
//!    to just before its nearest successor, so that a `param` used late does
//!    not drag a long edge across the whole picture.
//! 3. Each weakly connected component is laid out on its own and the
//!    components are stacked top to bottom.
//! 4. Edges spanning several layers get a dummy vertex per inner layer, so
//!    that they are routed around nodes instead of through them.
//! 5. Barycenter sweeps (down, then up, ...) reorder each layer; the order
//!    with the fewest crossings wins.
//! 6. Vertical positions: each layer is pulled towards the mean position of
//!    its neighbours, keeping its order and minimum gaps (an exact
//!    least-squares placement by pool-adjacent-violators).

use petgraph::unionfind::UnionFind;
use std::cmp::Ordering;

/// Vertical gap between two nodes of a layer.
const NODE_GAP: f64 = 24.0;
/// Vertical gap next to an edge passing through a layer.
const DUMMY_GAP: f64 = 12.0;
/// Height reserved for an edge passing through a layer.
const DUMMY_HEIGHT: f64 = 2.0;
/// Horizontal gap between layers when no edge label needs more.
const MIN_LAYER_GAP: f64 = 72.0;
/// Room either side of an edge label inside a layer gap.
const LABEL_MARGIN: f64 = 16.0;
/// Height of a self-loop drawn above its node.
const LOOP_HEIGHT: f64 = 22.0;
/// Horizontal distance between two self-loops of one node.
const LOOP_SPACING: f64 = 40.0;
/// Vertical gap between connected components.
const COMPONENT_GAP: f64 = 40.0;
const ORDER_SWEEPS: usize = 12;
const PLACEMENT_ROUNDS: usize = 6;

/// An edge to lay out. `from` and `to` must be valid node indices.
pub(crate) struct EdgeIn {
    pub from: usize,
    pub to: usize,
    /// Width and height of the edge's label, if it has one.
    pub label: Option<(f64, f64)>,
}

pub(crate) struct Layout {
    /// Size of the drawing; every coordinate is within `0..=width`, `0..=height`.
    pub width: f64,
    pub height: f64,
    /// One per input node, same order.
    pub nodes: Vec<Placed>,
    /// One per input edge, same order.
    pub edges: Vec<Route>,
}

/// A node's rectangle (top-left corner and size) and its layer.
pub(crate) struct Placed {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub layer: usize,
}

pub(crate) type Point = (f64, f64);

pub(crate) enum Segment {
    Line(Point),
    Curve(Point, Point, Point),
}

pub(crate) struct Route {
    pub start: Point,
    pub segments: Vec<Segment>,
    /// Centre of the edge's label.
    pub label_at: Option<Point>,
    /// Drawn against the layer order: the edge closes a cycle.
    pub backward: bool,
}

/// One entry of a layer: a node, or an edge passing through.
struct Item {
    node: Option<usize>,
    layer: usize,
    /// Height reserved in the layer: a node's own, plus room for self-loops
    /// above it (mirrored below, so that the centre stays the node's).
    h: f64,
    room: f64,
    preds: Vec<usize>,
    succs: Vec<usize>,
}

/// A connected component being laid out; item indices are local to it.
struct Grid {
    items: Vec<Item>,
    layers: Vec<Vec<usize>>,
    /// For each edge of the component: its index and its item chain, from
    /// the upstream end to the downstream one.
    chains: Vec<(usize, Vec<usize>)>,
    y: Vec<f64>,
}

/// Lays out nodes of the given sizes (width, height).
pub(crate) fn layout(sizes: &[(f64, f64)], edges: &[EdgeIn]) -> Layout {
    let n = sizes.len();
    let (backward, topo) = break_cycles(n, edges);
    let dag: Vec<Option<(usize, usize)>> = edges
        .iter()
        .zip(&backward)
        .map(|(e, &back)| match (e.from == e.to, back) {
            (true, _) => None,
            (false, false) => Some((e.from, e.to)),
            (false, true) => Some((e.to, e.from)),
        })
        .collect();
    let layer = layering(n, &dag, &topo);
    let mut room = vec![0.0; n];
    for e in edges.iter().filter(|e| e.from == e.to) {
        let label = e.label.map_or(0.0, |(_, h)| h + 4.0);
        room[e.from] = f64::max(room[e.from], LOOP_HEIGHT + label);
    }

    let gap = edges
        .iter()
        .filter_map(|e| e.label.map(|(w, _)| w + 2.0 * LABEL_MARGIN))
        .fold(MIN_LAYER_GAP, f64::max);

    let mut placed: Vec<Placed> = sizes
        .iter()
        .map(|&(w, h)| Placed {
            x: 0.0,
            y: 0.0,
            w,
            h,
            layer: 0,
        })
        .collect();
    let mut routes: Vec<Option<Route>> = edges.iter().map(|_| None).collect();
    let mut top = 0.0;
    for members in components(n, &dag) {
        let mut grid = Grid::new(&members, &layer, &room, sizes, edges, &dag);
        grid.order();
        grid.place_vertically();
        let (min, max) = grid.extent();
        let columns = grid.columns(sizes, gap);
        let shift = top - min;
        for y in &mut grid.y {
            *y += shift;
        }
        grid.emit(&columns, sizes, edges, &backward, &mut placed, &mut routes);
        top += max - min + COMPONENT_GAP;
    }
    let mut loops = vec![0usize; n];
    let routes = edges
        .iter()
        .zip(routes)
        .map(|(e, route)| {
            route.unwrap_or_else(|| {
                loops[e.from] += 1;
                self_loop(&placed[e.from], e.label, loops[e.from] - 1)
            })
        })
        .collect();
    fit(
        Layout {
            width: 0.0,
            height: 0.0,
            nodes: placed,
            edges: routes,
        },
        edges,
    )
}

/// Moves the drawing to the origin and sizes it to everything drawn: nodes,
/// edges (control points bound a Bézier curve) and edge labels.
fn fit(mut layout: Layout, edges: &[EdgeIn]) -> Layout {
    let mut lo = (f64::INFINITY, f64::INFINITY);
    let mut hi = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    let mut include = |(x, y): Point| {
        lo = (lo.0.min(x), lo.1.min(y));
        hi = (hi.0.max(x), hi.1.max(y));
    };
    for node in &layout.nodes {
        include((node.x, node.y));
        include((node.x + node.w, node.y + node.h));
    }
    for (route, edge) in layout.edges.iter().zip(edges) {
        include(route.start);
        for segment in &route.segments {
            match *segment {
                Segment::Line(p) => include(p),
                Segment::Curve(c1, c2, p) => {
                    include(c1);
                    include(c2);
                    include(p);
                }
            }
        }
        if let (Some((x, y)), Some((w, h))) = (route.label_at, edge.label) {
            include((x - w / 2.0, y - h / 2.0));
            include((x + w / 2.0, y + h / 2.0));
        }
    }
    if lo.0 > hi.0 {
        return layout;
    }
    let shift = |(x, y): Point| (x - lo.0, y - lo.1);
    for node in &mut layout.nodes {
        (node.x, node.y) = shift((node.x, node.y));
    }
    for route in &mut layout.edges {
        route.start = shift(route.start);
        route.label_at = route.label_at.map(shift);
        for segment in &mut route.segments {
            *segment = match *segment {
                Segment::Line(p) => Segment::Line(shift(p)),
                Segment::Curve(c1, c2, p) => Segment::Curve(shift(c1), shift(c2), shift(p)),
            };
        }
    }
    layout.width = hi.0 - lo.0;
    layout.height = hi.1 - lo.1;
    layout
}

/// Marks the back edges of an iterative DFS (started from every node in
/// index order, following edges in input order) and returns them with a
/// topological order of the graph once they are reversed (reverse DFS
/// post-order). Iterative so that a long chain cannot overflow the stack.
fn break_cycles(n: usize, edges: &[EdgeIn]) -> (Vec<bool>, Vec<usize>) {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        Open,
        Done,
    }
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, e) in edges.iter().enumerate() {
        if e.from != e.to {
            out[e.from].push(i);
        }
    }
    let mut state = vec![State::New; n];
    let mut backward = vec![false; edges.len()];
    let mut post = Vec::with_capacity(n);
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for start in 0..n {
        if state[start] != State::New {
            continue;
        }
        state[start] = State::Open;
        stack.push((start, 0));
        while let Some(top) = stack.last_mut() {
            let (u, next) = *top;
            match out[u].get(next) {
                Some(&e) => {
                    top.1 += 1;
                    let v = edges[e].to;
                    match state[v] {
                        State::New => {
                            state[v] = State::Open;
                            stack.push((v, 0));
                        }
                        State::Open => backward[e] = true,
                        State::Done => {}
                    }
                }
                None => {
                    state[u] = State::Done;
                    post.push(u);
                    stack.pop();
                }
            }
        }
    }
    post.reverse();
    (backward, post)
}

/// Longest-path layering, then sources moved next to their successors.
fn layering(n: usize, dag: &[Option<(usize, usize)>], topo: &[usize]) -> Vec<usize> {
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut succs: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in dag.iter().flatten() {
        preds[b].push(a);
        succs[a].push(b);
    }
    let mut layer = vec![0; n];
    for &v in topo {
        layer[v] = preds[v].iter().map(|&p| layer[p] + 1).max().unwrap_or(0);
    }
    for v in 0..n {
        if preds[v].is_empty() {
            if let Some(nearest) = succs[v].iter().map(|&s| layer[s]).min() {
                layer[v] = nearest - 1;
            }
        }
    }
    layer
}

/// Weakly connected components, each sorted, ordered by their first node.
fn components(n: usize, dag: &[Option<(usize, usize)>]) -> Vec<Vec<usize>> {
    let mut sets = UnionFind::<usize>::new(n);
    for &(a, b) in dag.iter().flatten() {
        sets.union(a, b);
    }
    let mut index_of_root = vec![usize::MAX; n];
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for v in 0..n {
        let root = sets.find(v);
        if index_of_root[root] == usize::MAX {
            index_of_root[root] = groups.len();
            groups.push(Vec::new());
        }
        groups[index_of_root[root]].push(v);
    }
    groups
}

impl Grid {
    fn new(
        members: &[usize],
        layer: &[usize],
        room: &[f64],
        sizes: &[(f64, f64)],
        edges: &[EdgeIn],
        dag: &[Option<(usize, usize)>],
    ) -> Grid {
        let mut items = Vec::new();
        let mut local = std::collections::BTreeMap::new();
        for &v in members {
            local.insert(v, items.len());
            items.push(Item {
                node: Some(v),
                layer: layer[v],
                h: sizes[v].1 + 2.0 * room[v],
                room: room[v],
                preds: Vec::new(),
                succs: Vec::new(),
            });
        }
        let mut chains = Vec::new();
        for (i, link) in dag.iter().enumerate() {
            let Some((a, b)) = *link else { continue };
            let (Some(&ia), Some(&ib)) = (local.get(&a), local.get(&b)) else {
                continue;
            };
            let mut chain = vec![ia];
            for l in layer[a] + 1..layer[b] {
                // The first dummy carries the label, so it reserves its height.
                let h = match (chain.len(), edges[i].label) {
                    (1, Some((_, h))) => h,
                    _ => DUMMY_HEIGHT,
                };
                chain.push(items.len());
                items.push(Item {
                    node: None,
                    layer: l,
                    h,
                    room: 0.0,
                    preds: Vec::new(),
                    succs: Vec::new(),
                });
            }
            chain.push(ib);
            for pair in chain.windows(2) {
                items[pair[0]].succs.push(pair[1]);
                items[pair[1]].preds.push(pair[0]);
            }
            chains.push((i, chain));
        }
        let depth = items.iter().map(|it| it.layer + 1).max().unwrap_or(0);
        let mut layers = vec![Vec::new(); depth];
        for (i, item) in items.iter().enumerate() {
            layers[item.layer].push(i);
        }
        let y = vec![0.0; items.len()];
        Grid {
            items,
            layers,
            chains,
            y,
        }
    }

    /// Crossing reduction by barycenter sweeps; keeps the best order seen.
    fn order(&mut self) {
        let mut pos = vec![0usize; self.items.len()];
        refresh_positions(&self.layers, &mut pos);
        let mut best = self.layers.clone();
        let mut best_crossings = self.crossings(&pos);
        for sweep in 0..ORDER_SWEEPS {
            if best_crossings == 0 {
                break;
            }
            let depth = self.layers.len();
            if sweep % 2 == 0 {
                for l in 1..depth {
                    self.sort_layer(l, &mut pos, true);
                }
            } else {
                for l in (0..depth.saturating_sub(1)).rev() {
                    self.sort_layer(l, &mut pos, false);
                }
            }
            let crossings = self.crossings(&pos);
            if crossings < best_crossings {
                best_crossings = crossings;
                best = self.layers.clone();
            }
        }
        self.layers = best;
    }

    fn sort_layer(&mut self, l: usize, pos: &mut [usize], by_preds: bool) {
        let items = &self.items;
        let mut keyed: Vec<(f64, usize, usize)> = self.layers[l]
            .iter()
            .map(|&i| {
                let neighbours = if by_preds {
                    &items[i].preds
                } else {
                    &items[i].succs
                };
                let key = if neighbours.is_empty() {
                    pos[i] as f64
                } else {
                    neighbours.iter().map(|&j| pos[j] as f64).sum::<f64>() / neighbours.len() as f64
                };
                (key, pos[i], i)
            })
            .collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        self.layers[l] = keyed.into_iter().map(|(_, _, i)| i).collect();
        for (p, &i) in self.layers[l].iter().enumerate() {
            pos[i] = p;
        }
    }

    /// Number of edge crossings between adjacent layers (inversions, counted
    /// with a Fenwick tree).
    fn crossings(&self, pos: &[usize]) -> usize {
        let mut total = 0;
        for pair in self.layers.windows(2) {
            let mut links: Vec<(usize, usize)> = pair[0]
                .iter()
                .flat_map(|&u| self.items[u].succs.iter().map(move |&v| (pos[u], pos[v])))
                .collect();
            links.sort_unstable();
            let mut tree = vec![0usize; pair[1].len() + 1];
            for (seen, &(_, v)) in links.iter().enumerate() {
                let mut not_after = 0;
                let mut k = v + 1;
                while k > 0 {
                    not_after += tree[k];
                    k &= k - 1;
                }
                total += seen - not_after;
                let mut k = v + 1;
                while k < tree.len() {
                    tree[k] += 1;
                    k += k & k.wrapping_neg();
                }
            }
        }
        total
    }

    fn gap(&self, a: usize, b: usize) -> f64 {
        let half = (self.items[a].h + self.items[b].h) / 2.0;
        match (self.items[a].node, self.items[b].node) {
            (Some(_), Some(_)) => half + NODE_GAP,
            _ => half + DUMMY_GAP,
        }
    }

    fn place_vertically(&mut self) {
        for l in 0..self.layers.len() {
            let layer = &self.layers[l];
            let mut y = 0.0;
            for (k, &i) in layer.iter().enumerate() {
                if k > 0 {
                    y += self.gap(layer[k - 1], i);
                }
                self.y[i] = y;
            }
            let middle = y / 2.0;
            for &i in layer {
                self.y[i] -= middle;
            }
        }
        let depth = self.layers.len();
        for _ in 0..PLACEMENT_ROUNDS {
            for l in 1..depth {
                self.align_layer(l, true, false);
            }
            for l in (0..depth.saturating_sub(1)).rev() {
                self.align_layer(l, false, true);
            }
        }
        for l in 0..depth {
            self.align_layer(l, true, true);
        }
    }

    /// Moves a layer as close as possible (least squares) to the mean
    /// position of each item's neighbours, keeping order and gaps.
    fn align_layer(&mut self, l: usize, use_preds: bool, use_succs: bool) {
        let layer = &self.layers[l];
        if layer.is_empty() {
            return;
        }
        // Offsets turn "y[k+1] >= y[k] + gap" into "z[k+1] >= z[k]", an
        // isotonic regression solved exactly by pool-adjacent-violators.
        let mut offsets = Vec::with_capacity(layer.len());
        let mut offset = 0.0;
        for (k, &i) in layer.iter().enumerate() {
            if k > 0 {
                offset += self.gap(layer[k - 1], i);
            }
            offsets.push(offset);
        }
        let mut blocks: Vec<(f64, usize)> = Vec::new();
        for (k, &i) in layer.iter().enumerate() {
            let item = &self.items[i];
            let mut sum = 0.0;
            let mut count = 0;
            for &j in use_preds
                .then_some(&item.preds)
                .into_iter()
                .chain(use_succs.then_some(&item.succs))
                .flatten()
            {
                sum += self.y[j];
                count += 1;
            }
            let desired = if count == 0 {
                self.y[i]
            } else {
                sum / count as f64
            };
            blocks.push((desired - offsets[k], 1));
            while blocks.len() > 1 {
                let (s2, c2) = blocks[blocks.len() - 1];
                let (s1, c1) = blocks[blocks.len() - 2];
                if s1 / c1 as f64 <= s2 / c2 as f64 {
                    break;
                }
                blocks.pop();
                if let Some(last) = blocks.last_mut() {
                    *last = (s1 + s2, c1 + c2);
                }
            }
        }
        let mut k = 0;
        for (sum, count) in blocks {
            let z = sum / count as f64;
            for _ in 0..count {
                self.y[layer[k]] = z + offsets[k];
                k += 1;
            }
        }
    }

    /// Topmost and bottommost coordinates of the component.
    fn extent(&self) -> (f64, f64) {
        self.items
            .iter()
            .zip(&self.y)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (it, &y)| {
                (lo.min(y - it.h / 2.0), hi.max(y + it.h / 2.0))
            })
    }

    /// Left edge and width of every layer's column.
    fn columns(&self, sizes: &[(f64, f64)], gap: f64) -> Vec<(f64, f64)> {
        let mut x = 0.0;
        self.layers
            .iter()
            .map(|layer| {
                let w = layer
                    .iter()
                    .filter_map(|&i| self.items[i].node)
                    .map(|v| sizes[v].0)
                    .fold(0.0, f64::max);
                let column = (x, w);
                x += w + gap;
                column
            })
            .collect()
    }

    /// Writes the final node rectangles and edge routes.
    fn emit(
        &self,
        columns: &[(f64, f64)],
        sizes: &[(f64, f64)],
        edges: &[EdgeIn],
        backward: &[bool],
        placed: &mut [Placed],
        routes: &mut [Option<Route>],
    ) {
        for (i, item) in self.items.iter().enumerate() {
            if let Some(v) = item.node {
                let (cx, cw) = columns[item.layer];
                let (w, h) = sizes[v];
                placed[v] = Placed {
                    x: cx + (cw - w) / 2.0,
                    y: self.y[i] - h / 2.0,
                    w,
                    h,
                    layer: item.layer,
                };
            }
        }
        let ports = self.ports();
        for (k, (e, chain)) in self.chains.iter().enumerate() {
            let (out_port, in_port) = ports[k];
            let first = chain[0];
            let last = chain[chain.len() - 1];
            let mut points = Vec::with_capacity(2 * chain.len());
            if let Some(v) = self.items[first].node {
                let (cx, cw) = columns[self.items[first].layer];
                points.push((placed[v].x + placed[v].w, out_port));
                points.push((cx + cw, out_port));
            }
            for &d in &chain[1..chain.len() - 1] {
                let (cx, cw) = columns[self.items[d].layer];
                points.push((cx, self.y[d]));
                points.push((cx + cw, self.y[d]));
            }
            if let Some(v) = self.items[last].node {
                let (cx, _) = columns[self.items[last].layer];
                points.push((cx, in_port));
                points.push((placed[v].x, in_port));
            }
            let label_at = edges[*e].label.and_then(|_| {
                let (a, b) = if chain.len() > 2 { (2, 3) } else { (1, 2) };
                let (p, q) = (points.get(a)?, points.get(b)?);
                Some(((p.0 + q.0) / 2.0, (p.1 + q.1) / 2.0))
            });
            if backward[*e] {
                points.reverse();
            }
            routes[*e] = Some(route(&points, label_at, backward[*e]));
        }
    }

    /// For each chain, the y of its attachment on its upstream node's right
    /// side and on its downstream node's left side. Several edges on one
    /// side are spread out, in the order of where they go, so that they
    /// neither cross at the node nor share one arrowhead.
    fn ports(&self) -> Vec<(f64, f64)> {
        let mut ports: Vec<(f64, f64)> = self
            .chains
            .iter()
            .map(|(_, chain)| (self.y[chain[0]], self.y[chain[chain.len() - 1]]))
            .collect();
        let mut outgoing: Vec<Vec<(f64, usize)>> = vec![Vec::new(); self.items.len()];
        let mut incoming: Vec<Vec<(f64, usize)>> = vec![Vec::new(); self.items.len()];
        for (k, (_, chain)) in self.chains.iter().enumerate() {
            let n = chain.len();
            outgoing[chain[0]].push((self.y[chain[1]], k));
            incoming[chain[n - 1]].push((self.y[chain[n - 2]], k));
        }
        for (i, item) in self.items.iter().enumerate() {
            let spread = |list: &mut Vec<(f64, usize)>| -> Vec<(usize, f64)> {
                list.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let count = list.len();
                let step = if count > 1 {
                    ((item.h - 2.0 * item.room - 16.0).max(0.0) / (count - 1) as f64).min(10.0)
                } else {
                    0.0
                };
                list.iter()
                    .enumerate()
                    .map(|(r, &(_, k))| {
                        (k, self.y[i] + (r as f64 - (count - 1) as f64 / 2.0) * step)
                    })
                    .collect()
            };
            for (k, y) in spread(&mut outgoing[i]) {
                ports[k].0 = y;
            }
            for (k, y) in spread(&mut incoming[i]) {
                ports[k].1 = y;
            }
        }
        ports
    }
}

fn refresh_positions(layers: &[Vec<usize>], pos: &mut [usize]) {
    for layer in layers {
        for (p, &i) in layer.iter().enumerate() {
            pos[i] = p;
        }
    }
}

/// Alternating straight runs (through a node's column or a layer) and
/// S-curves (across the gap between two layers); zero-length runs dropped.
fn route(points: &[Point], label_at: Option<Point>, backward: bool) -> Route {
    let start = points.first().copied().unwrap_or((0.0, 0.0));
    let mut segments = Vec::with_capacity(points.len());
    for (k, pair) in points.windows(2).enumerate() {
        let (p, q) = (pair[0], pair[1]);
        if k % 2 == 0 {
            if p.0.total_cmp(&q.0) != Ordering::Equal || p.1.total_cmp(&q.1) != Ordering::Equal {
                segments.push(Segment::Line(q));
            }
        } else {
            let dx = (q.0 - p.0) / 2.0;
            segments.push(Segment::Curve((p.0 + dx, p.1), (q.0 - dx, q.1), q));
        }
    }
    Route {
        start,
        segments,
        label_at,
        backward,
    }
}

/// The `k`-th self-loop of a node: an arc above its top-right corner,
/// back down into it; its label above the arc.
fn self_loop(node: &Placed, label: Option<(f64, f64)>, k: usize) -> Route {
    let right = node.x + node.w - 12.0 - LOOP_SPACING * k as f64;
    let top = node.y;
    let rise = LOOP_HEIGHT * 4.0 / 3.0;
    Route {
        start: (right - 24.0, top),
        segments: vec![Segment::Curve(
            (right - 30.0, top - rise),
            (right + 6.0, top - rise),
            (right, top),
        )],
        label_at: label.map(|(_, h)| (right - 12.0, top - LOOP_HEIGHT - 2.0 - h / 2.0)),
        backward: true,
    }
}
