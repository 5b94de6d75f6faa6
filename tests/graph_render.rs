//! Rendering of the dependency graph, through the public API only.
//!
//! Set `MLP_GRAPH_SVG=/some/path.svg` to keep the SVG of the example
//! pipeline for a look.

use mlp::graph::{to_dot, to_json, to_mermaid, to_svg, GraphEdge, GraphNode, GraphView, NodeKind};
use std::collections::BTreeMap;

fn node(id: &str, kind: NodeKind, detail: Option<&str>, columns: Option<usize>) -> GraphNode {
    GraphNode {
        id: id.to_string(),
        label: id.rsplit('.').next().unwrap_or(id).to_string(),
        kind,
        detail: detail.map(str::to_string),
        columns,
    }
}

fn edge(from: usize, to: usize, label: Option<&str>) -> GraphEdge {
    GraphEdge {
        from,
        to,
        label: label.map(str::to_string),
    }
}

/// Two sources joined, split, two models, one evaluation, a policy gating
/// a deployment, and the seed param.
fn credit() -> GraphView {
    GraphView {
        name: "credit".to_string(),
        nodes: vec![
            node("param.seed", NodeKind::Param, Some("int"), None),
            node("source.loans", NodeKind::Source, Some("csv"), Some(14)),
            node("source.bureau", NodeKind::Source, Some("parquet"), Some(6)),
            node("transform.features", NodeKind::Transform, None, Some(18)),
            node("split.holdout", NodeKind::Split, None, Some(18)),
            node(
                "model.scorer",
                NodeKind::Model,
                Some("logistic_regression"),
                None,
            ),
            node("model.tree", NodeKind::Model, Some("decision_tree"), None),
            node("evaluate.scorer", NodeKind::Evaluate, None, None),
            node("policy.launch_bar", NodeKind::Policy, None, None),
            node(
                "deploy.scoring_api",
                NodeKind::Deploy,
                Some("kubernetes"),
                None,
            ),
        ],
        edges: vec![
            edge(1, 3, None),
            edge(2, 3, Some("join")),
            edge(3, 4, None),
            edge(0, 4, Some("seed")),
            edge(4, 5, Some("train")),
            edge(4, 6, Some("train")),
            edge(4, 7, Some("test")),
            edge(5, 7, None),
            edge(6, 7, None),
            edge(7, 8, Some("metrics")),
            edge(5, 9, Some("model")),
            edge(8, 9, Some("gate")),
        ],
    }
}

/// A three-block cycle, a two-block cycle, a self-loop and a dangling edge.
fn cyclic() -> GraphView {
    GraphView {
        name: "loops".to_string(),
        nodes: vec![
            node("transform.a", NodeKind::Transform, None, Some(3)),
            node("transform.b", NodeKind::Transform, None, Some(3)),
            node("transform.c", NodeKind::Transform, None, Some(3)),
            node("model.m", NodeKind::Model, Some("svm"), None),
            node("policy.p", NodeKind::Policy, None, None),
        ],
        edges: vec![
            edge(0, 1, None),
            edge(1, 2, Some("next")),
            edge(2, 0, Some("back")),
            edge(2, 3, None),
            edge(3, 4, None),
            edge(4, 3, None),
            edge(3, 3, Some("self")),
            edge(4, 99, None),
        ],
    }
}

/// Three unconnected pieces: a chain, a lone param and a fan-in.
fn disconnected() -> GraphView {
    GraphView {
        name: "islands".to_string(),
        nodes: vec![
            node("source.s", NodeKind::Source, Some("csv"), Some(4)),
            node("transform.t", NodeKind::Transform, None, Some(5)),
            node("param.lonely", NodeKind::Param, Some("float"), None),
            node("source.x", NodeKind::Source, Some("jsonl"), Some(2)),
            node("source.y", NodeKind::Source, Some("jsonl"), Some(2)),
            node("transform.xy", NodeKind::Transform, None, Some(4)),
        ],
        edges: vec![edge(0, 1, None), edge(3, 5, None), edge(4, 5, None)],
    }
}

fn empty() -> GraphView {
    GraphView {
        name: "nothing".to_string(),
        nodes: Vec::new(),
        edges: Vec::new(),
    }
}

/// Names that need escaping in every format.
fn hostile() -> GraphView {
    let mut a = node(
        "source.\"quoted\" <a&b>",
        NodeKind::Source,
        Some("csv {x}"),
        Some(1),
    );
    a.label = "it's \"a\" <b> & c\\d #1 |x| `e`\nnext".to_string();
    let b = node("end", NodeKind::Deploy, Some("</svg>"), None);
    let c = node("end", NodeKind::Model, Some("1st"), None);
    GraphView {
        name: "we <&> \"they\"".to_string(),
        nodes: vec![a, b, c],
        edges: vec![edge(0, 1, Some("a\"b|c")), edge(0, 2, None)],
    }
}

// ---------------------------------------------------------------- DOT ----

#[test]
fn dot_has_every_node_and_edge() {
    let view = credit();
    let dot = to_dot(&view);
    assert!(dot.starts_with("digraph \"credit\" {"), "{dot}");
    assert!(dot.contains("rankdir=LR;"));
    assert_eq!(dot.matches('{').count(), dot.matches('}').count());
    assert_eq!(dot.matches("->").count(), view.edges.len());
    for n in &view.nodes {
        let line = dot
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("\"{}\" [", n.id)))
            .unwrap_or_else(|| panic!("no node line for {}", n.id));
        assert!(line.contains(&format!("label=\"{}\\n", n.label)), "{line}");
        assert!(line.contains(n.kind.fill_for_test()), "{line}");
    }
    for e in &view.edges {
        let from = &view.nodes[e.from].id;
        let to = &view.nodes[e.to].id;
        assert!(
            dot.contains(&format!("\"{from}\" -> \"{to}\"")),
            "{from} -> {to}"
        );
    }
    assert!(dot.contains("\"source.loans\" [label=\"loans\\nsource · csv\\n14 columns\""));
}

#[test]
fn dot_escapes_and_keeps_duplicate_ids_apart() {
    let dot = to_dot(&hostile());
    assert!(dot.contains("digraph \"we <&> \\\"they\\\"\" {"), "{dot}");
    assert!(dot.contains(
        "\"source.\\\"quoted\\\" <a&b>\" [label=\"it's \\\"a\\\" <b> & c\\\\d #1 |x| `e`\\nnext\\n"
    ));
    assert!(
        dot.contains("\"end\" [") && dot.contains("\"end#2\" ["),
        "{dot}"
    );
    assert!(dot.contains("-> \"end#2\""));
    // Every quote outside an escape opens or closes a string.
    let mut unescaped = 0;
    let mut chars = dot.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '"' => unescaped += 1,
            _ => {}
        }
    }
    assert_eq!(unescaped % 2, 0);
}

// ------------------------------------------------------------ Mermaid ----

#[test]
fn mermaid_has_every_node_and_edge() {
    let view = credit();
    let text = to_mermaid(&view);
    assert!(text.starts_with("flowchart LR\n"));
    assert_eq!(text.matches("-->").count(), view.edges.len());
    for n in &view.nodes {
        let id = n.id.replace('.', "_");
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&id) && l.contains(":::"))
            .unwrap_or_else(|| panic!("no node line for {}", n.id));
        assert!(line.contains(&format!("\"{}<br/>", n.label)), "{line}");
        assert!(line.ends_with(&format!(":::{}", n.kind.as_str())), "{line}");
    }
    for e in &view.edges {
        let from = view.nodes[e.from].id.replace('.', "_");
        let to = view.nodes[e.to].id.replace('.', "_");
        let plain = format!("{from} --> {to}");
        let labelled = e
            .label
            .as_ref()
            .map(|l| format!("{from} -->|\"{l}\"| {to}"));
        assert!(
            text.lines()
                .any(|l| l.trim() == plain || Some(l.trim().to_string()) == labelled),
            "{from} -> {to}"
        );
    }
    for kind in NodeKind::ALL {
        assert!(text.contains(&format!("classDef {} fill:", kind.as_str())));
    }
}

#[test]
fn mermaid_escapes_labels_and_makes_ids_safe() {
    let text = to_mermaid(&hostile());
    for line in text.lines().skip(2) {
        let line = line.trim();
        if line.starts_with("classDef") {
            continue;
        }
        // Ids are bare words; labels are quoted once and contain no quote,
        // no raw markup and no line break.
        let id: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        assert!(
            !id.is_empty() && id.starts_with(|c: char| c.is_ascii_alphabetic()),
            "{line}"
        );
        assert_ne!(id.to_ascii_lowercase(), "end", "{line}");
        assert!(line.matches('"').count() <= 2, "{line}");
        assert!(!line.contains('<') || line.contains("<br/>"), "{line}");
        assert!(!line.contains('&') && !line.contains('`'), "{line}");
    }
    assert!(
        text.contains("n_end([") && text.contains("n_end_2[["),
        "{text}"
    );
    assert!(
        text.contains("#quot;a#quot; #lt;b#gt; #amp; c\\d #35;1 #124;x#124; #96;e#96; next"),
        "{text}"
    );
}

// ---------------------------------------------------------------- SVG ----

/// A well-formedness check: every tag closed in order, quoted attributes,
/// only known entities. Returns the elements as (name, attributes).
fn parse_xml(text: &str) -> Vec<(String, BTreeMap<String, String>)> {
    let mut elements = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        check_entities(&rest[..open]);
        rest = &rest[open..];
        if let Some(body) = rest.strip_prefix("<!--") {
            let end = body.find("-->").expect("unterminated comment");
            rest = &body[end + 3..];
            continue;
        }
        if let Some(body) = rest.strip_prefix("</") {
            let end = body.find('>').expect("unterminated closing tag");
            let name = body[..end].trim();
            assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
            rest = &body[end + 1..];
            continue;
        }
        let body = &rest[1..];
        let name_end = body
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .expect("unterminated tag");
        let name = body[..name_end].to_string();
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "bad tag name {name:?}"
        );
        let mut attrs = BTreeMap::new();
        let mut cursor = body[name_end..].trim_start();
        let self_closing;
        loop {
            if let Some(after) = cursor.strip_prefix("/>") {
                self_closing = true;
                cursor = after;
                break;
            }
            if let Some(after) = cursor.strip_prefix('>') {
                self_closing = false;
                cursor = after;
                break;
            }
            let eq = cursor.find('=').expect("attribute without value");
            let key = cursor[..eq].trim().to_string();
            assert!(
                key.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':'),
                "bad attribute name {key:?}"
            );
            let value = cursor[eq + 1..]
                .strip_prefix('"')
                .expect("unquoted attribute");
            let close = value.find('"').expect("unterminated attribute");
            let raw = &value[..close];
            assert!(!raw.contains('<'), "raw < in attribute");
            check_entities(raw);
            assert!(
                attrs.insert(key.clone(), unescape(raw)).is_none(),
                "duplicate {key}"
            );
            cursor = value[close + 1..].trim_start();
        }
        if !self_closing {
            stack.push(name.clone());
        }
        elements.push((name, attrs));
        rest = cursor;
    }
    check_entities(rest);
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    elements
}

fn check_entities(text: &str) {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                .iter()
                .any(|e| entity.starts_with(e)),
            "bad entity at {:?}",
            &entity[..entity.len().min(12)]
        );
    }
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[derive(Debug)]
struct Rect {
    id: String,
    layer: usize,
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

fn number(attrs: &BTreeMap<String, String>, key: &str) -> f64 {
    attrs[key]
        .parse()
        .unwrap_or_else(|_| panic!("{key}={}", attrs[key]))
}

fn node_rects(elements: &[(String, BTreeMap<String, String>)]) -> Vec<Rect> {
    elements
        .iter()
        .filter(|(name, a)| name == "rect" && a.get("class").map(String::as_str) == Some("node"))
        .map(|(_, a)| Rect {
            id: a["data-id"].clone(),
            layer: a["data-layer"].parse().expect("layer"),
            x: number(a, "x"),
            y: number(a, "y"),
            w: number(a, "width"),
            h: number(a, "height"),
        })
        .collect()
}

fn view_box(elements: &[(String, BTreeMap<String, String>)]) -> (f64, f64, f64, f64) {
    let (name, attrs) = &elements[0];
    assert_eq!(name, "svg");
    let v: Vec<f64> = attrs["viewBox"]
        .split(' ')
        .map(|s| s.parse().expect("viewBox number"))
        .collect();
    assert_eq!(v.len(), 4);
    (v[0], v[1], v[2], v[3])
}

/// All the text content of the document, entities decoded.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let start = t.find('>')? + 1;
            let end = t.find("</text>")?;
            Some(unescape(&t[start..end]))
        })
        .collect()
}

/// Well-formed, every node inside the view box, no two nodes overlapping.
fn check_geometry(view: &GraphView, svg: &str) -> Vec<Rect> {
    let elements = parse_xml(svg);
    let (vx, vy, vw, vh) = view_box(&elements);
    let rects = node_rects(&elements);
    assert_eq!(rects.len(), view.nodes.len());
    for r in &rects {
        assert!(
            r.x >= vx && r.y >= vy && r.x + r.w <= vx + vw && r.y + r.h <= vy + vh,
            "{r:?} outside the view box"
        );
    }
    for (i, a) in rects.iter().enumerate() {
        for b in &rects[i + 1..] {
            let apart =
                a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
            assert!(apart, "{a:?} overlaps {b:?}");
        }
    }
    // Every edge path stays inside the view box too.
    for (name, attrs) in &elements {
        if name == "path" && attrs.get("class").is_some_and(|c| c.starts_with("edge")) {
            for (x, y) in path_points(&attrs["d"]) {
                assert!(
                    x >= vx && y >= vy && x <= vx + vw && y <= vy + vh,
                    "edge point {x},{y}"
                );
            }
        }
    }
    rects
}

fn path_points(d: &str) -> Vec<(f64, f64)> {
    d.split(|c: char| c.is_whitespace() || c.is_ascii_alphabetic())
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (x, y) = pair.split_once(',').expect("x,y");
            (x.parse().expect("x"), y.parse().expect("y"))
        })
        .collect()
}

#[test]
fn svg_is_well_formed_and_labelled() {
    let view = credit();
    let svg = to_svg(&view);
    if let Some(path) = std::env::var_os("MLP_GRAPH_SVG") {
        std::fs::write(path, &svg).expect("write the SVG");
    }
    parse_xml(&svg);
    let texts = texts(&svg);
    for n in &view.nodes {
        assert!(texts.contains(&n.label), "missing label {}", n.label);
    }
    for e in &view.edges {
        if let Some(label) = &e.label {
            assert!(texts.contains(label), "missing edge label {label}");
        }
    }
    for line in [
        "source · csv",
        "model · logistic_regression",
        "14 columns",
        "18 columns",
    ] {
        assert!(texts.iter().any(|t| t == line), "missing {line}");
    }
    for kind in NodeKind::ALL {
        assert!(
            texts.iter().any(|t| t == kind.as_str()),
            "legend lacks {kind:?}"
        );
    }
    assert!(svg.contains("<marker id=\"mlp-arrow\""));
    assert_eq!(
        svg.matches("<path class=\"edge\"").count(),
        view.edges.len()
    );
}

#[test]
fn svg_nodes_fit_and_do_not_overlap() {
    for view in [credit(), cyclic(), disconnected(), hostile()] {
        check_geometry(&view, &to_svg(&view));
    }
}

#[test]
fn svg_edges_go_forward_on_a_dag() {
    let view = credit();
    let svg = to_svg(&view);
    let elements = parse_xml(&svg);
    let rects = node_rects(&elements);
    let by_id: BTreeMap<&str, &Rect> = rects.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut seen = 0;
    for (name, attrs) in &elements {
        if name != "path" || attrs.get("class").map(String::as_str) != Some("edge") {
            continue;
        }
        seen += 1;
        let from = by_id[attrs["data-from"].as_str()];
        let to = by_id[attrs["data-to"].as_str()];
        assert!(from.layer < to.layer, "{} -> {}", from.id, to.id);
        let points = path_points(&attrs["d"]);
        let (start, end) = (points[0], points[points.len() - 1]);
        // Coordinates are printed with one decimal.
        let near = |a: f64, b: f64| (a - b).abs() < 0.11;
        assert!(
            near(start.0, from.x + from.w),
            "starts on the right of {}",
            from.id
        );
        assert!(near(end.0, to.x), "ends on the left of {}", to.id);
        assert!(start.1 > from.y && start.1 < from.y + from.h);
        assert!(end.1 > to.y && end.1 < to.y + to.h);
    }
    assert_eq!(seen, view.edges.len());
    // Longest-path layering: sources first, the deployment last; the param
    // sits right before the split it feeds.
    let layer = |id: &str| by_id[id].layer;
    assert_eq!(layer("source.loans"), 0);
    assert_eq!(layer("source.bureau"), 0);
    assert_eq!(layer("param.seed"), layer("split.holdout") - 1);
    assert_eq!(layer("deploy.scoring_api"), 6);
}

#[test]
fn svg_of_a_cyclic_view_terminates_and_marks_cycle_edges() {
    let view = cyclic();
    let svg = to_svg(&view);
    check_geometry(&view, &svg);
    let cycle_edges = svg.matches("class=\"edge cycle\"").count();
    // One edge of the 3-cycle, one of the 2-cycle, and the self-loop.
    assert_eq!(cycle_edges, 3, "{svg}");
    // The dangling edge is skipped, every other one is drawn.
    assert_eq!(
        svg.matches("<path class=\"edge").count(),
        view.edges.len() - 1
    );
    assert!(texts(&svg).contains(&"self".to_string()));
    // The other formats skip the dangling edge as well.
    assert_eq!(to_dot(&view).matches("->").count(), view.edges.len() - 1);
    assert_eq!(
        to_mermaid(&view).matches("-->").count(),
        view.edges.len() - 1
    );
}

#[test]
fn a_long_cycle_does_not_exhaust_the_stack() {
    let n = 20_000;
    let view = GraphView {
        name: "ring".to_string(),
        nodes: (0..n)
            .map(|i| node(&format!("transform.t{i}"), NodeKind::Transform, None, None))
            .collect(),
        edges: (0..n).map(|i| edge(i, (i + 1) % n, None)).collect(),
    };
    let svg = to_svg(&view);
    assert_eq!(svg.matches("class=\"edge cycle\"").count(), 1);
}

#[test]
fn disconnected_components_are_stacked() {
    let view = disconnected();
    let rects = check_geometry(&view, &to_svg(&view));
    let find = |id: &str| rects.iter().find(|r| r.id == id).expect(id);
    let (s, lonely, xy) = (find("source.s"), find("param.lonely"), find("transform.xy"));
    assert!(
        s.y + s.h < lonely.y,
        "components in order of their first node"
    );
    assert!(lonely.y + lonely.h < find("source.x").y.min(find("source.y").y));
    assert_eq!((s.layer, lonely.layer, xy.layer), (0, 0, 1));
}

#[test]
fn empty_view_renders_in_every_format() {
    let view = empty();
    let elements = parse_xml(&to_svg(&view));
    let (_, _, w, h) = view_box(&elements);
    assert!(w > 0.0 && h > 0.0);
    assert!(node_rects(&elements).is_empty());
    assert_eq!(to_dot(&view), "digraph \"nothing\" {\n  rankdir=LR;\n  graph [label=\"nothing\", labelloc=t, fontname=\"Helvetica\", fontsize=14];\n  node [fontname=\"Helvetica\", fontsize=12, penwidth=1.2];\n  edge [fontname=\"Helvetica\", fontsize=10, color=\"#555555\"];\n}\n");
    assert!(!to_mermaid(&view).contains("-->"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&to_json(&view)).expect("json"),
        serde_json::json!({"name": "nothing", "nodes": [], "edges": []})
    );
}

#[test]
fn svg_escapes_hostile_text() {
    let view = hostile();
    let svg = to_svg(&view);
    parse_xml(&svg);
    let texts = texts(&svg);
    assert!(
        texts.contains(&"it's \"a\" <b> & c\\d #1 |x| `e` next".to_string()),
        "{texts:?}"
    );
    assert!(texts.contains(&"deploy · </svg>".to_string()));
    assert!(texts.contains(&"we <&> \"they\"".to_string()));
}

#[test]
fn long_captions_are_cut() {
    let mut view = credit();
    view.nodes[5].label = "x".repeat(300);
    let svg = to_svg(&view);
    let rects = check_geometry(&view, &svg);
    assert!(rects.iter().all(|r| r.w < 400.0), "{rects:?}");
    assert!(svg.contains(&format!("{}…", "x".repeat(39))));
}

// --------------------------------------------------------------- JSON ----

#[test]
fn json_round_trips_the_fields() {
    let view = credit();
    let value: serde_json::Value = serde_json::from_str(&to_json(&view)).expect("json");
    assert_eq!(
        value["nodes"].as_array().map(Vec::len),
        Some(view.nodes.len())
    );
    assert_eq!(
        value["nodes"][5],
        serde_json::json!({"id": "model.scorer", "label": "scorer", "kind": "model",
                           "detail": "logistic_regression", "columns": null})
    );
    assert_eq!(
        value["edges"][1],
        serde_json::json!({"from": 2, "to": 3, "label": "join"})
    );
}

// ---------------------------------------------------------- snapshots ----

#[test]
fn dot_snapshot() {
    insta::assert_snapshot!(to_dot(&credit()));
}

#[test]
fn mermaid_snapshot() {
    insta::assert_snapshot!(to_mermaid(&credit()));
}

#[test]
fn json_snapshot() {
    insta::assert_snapshot!(to_json(&credit()));
}

trait FillForTest {
    fn fill_for_test(self) -> &'static str;
}

/// The colours are private to the crate; the test pins the DOT ones.
impl FillForTest for NodeKind {
    fn fill_for_test(self) -> &'static str {
        match self {
            NodeKind::Param => "fillcolor=\"#f1f5f9\"",
            NodeKind::Source => "fillcolor=\"#dbeafe\"",
            NodeKind::Transform => "fillcolor=\"#dcfce7\"",
            NodeKind::Split => "fillcolor=\"#fef9c3\"",
            NodeKind::Model => "fillcolor=\"#f3e8ff\"",
            NodeKind::Evaluate => "fillcolor=\"#ffedd5\"",
            NodeKind::Policy => "fillcolor=\"#fee2e2\"",
            NodeKind::Deploy => "fillcolor=\"#ccfbf1\"",
        }
    }
}
