//! Property tests of the parser on damaged input: the examples (and the
//! valid and syntax fixtures) are mutated the way people break files while typing, and
//! `parse` must stay total: no panic, no hang, spans that index the text,
//! and either a clean tree or at least one error.

use mlp::diagnostics::render::{self, HumanStyle};
use mlp::source::{FileId, SourceMap, Span};
use mlp::syntax::ast::ItemKind;
use mlp::syntax::parse;
use proptest::prelude::*;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

mod common;

const TOKENS: &[&str] = &[
    "{", "}", "(", ")", "[", "]", "=", "|", ",", ".", "..", "\"", "@", "?", ":", "//", "/*", "*/",
    "and", "or", "not", "in", "0", "1.5", "200ms", "x", "source", "model", "\n", " ",
];

/// A debug build parses the largest corpus file in milliseconds; this bound
/// only catches runaway (super-linear or looping) parses.
const SLOW: Duration = Duration::from_secs(5);

/// The texts to mutate: every example, and the valid and syntax fixtures.
fn corpus() -> &'static [String] {
    static CORPUS: OnceLock<Vec<String>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths = Vec::new();
        common::mlp_files(&root.join("examples"), &mut paths);
        common::mlp_files(&root.join("tests/fixtures/valid"), &mut paths);
        common::mlp_files(&root.join("tests/fixtures/syntax"), &mut paths);
        paths.sort();
        let texts: Vec<String> = paths
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect();
        assert!(!texts.is_empty(), "no .mlp files to mutate");
        texts
    })
}

/// The char boundary at or before `at`.
fn boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Byte ranges of the non-blank tokens: words, and single other characters.
fn tokens(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        let mut end = start + c.len_utf8();
        if c.is_alphanumeric() || c == '_' {
            while let Some(&(i, next)) = chars.peek() {
                if !(next.is_alphanumeric() || next == '_') {
                    break;
                }
                end = i + next.len_utf8();
                chars.next();
            }
        }
        out.push((start, end));
    }
    out
}

/// An edit; its numbers pick positions and lengths modulo the text's size,
/// so any number is valid on any text.
#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize, usize),
    Duplicate(usize, usize, usize),
    Swap(usize, usize),
    Insert(usize, String),
    Truncate(usize),
}

fn pick(raw: usize, size: usize) -> usize {
    raw % size.max(1)
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let token = prop_oneof![
        4 => proptest::sample::select(TOKENS).prop_map(String::from),
        1 => any::<char>().prop_map(String::from),
        1 => "\\PC{1,4}",
    ];
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Delete(a, b)),
        (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(a, b, c)| Mutation::Duplicate(a, b, c)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        (any::<usize>(), token).prop_map(|(a, t)| Mutation::Insert(a, t)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// A short range (at most 64 bytes) starting at `at`: edits are local.
fn range(text: &str, at: usize, len: usize) -> (usize, usize) {
    let start = boundary(text, pick(at, text.len() + 1));
    let end = boundary(text, start + pick(len, 65));
    (start, end.max(start))
}

fn apply(text: &mut String, mutation: &Mutation) {
    match mutation {
        Mutation::Delete(at, len) => {
            let (start, end) = range(text, *at, *len);
            text.replace_range(start..end, "");
        }
        Mutation::Duplicate(at, len, to) => {
            let (start, end) = range(text, *at, *len);
            let copy = text[start..end].to_string();
            let to = boundary(text, pick(*to, text.len() + 1));
            text.insert_str(to, &copy);
        }
        Mutation::Swap(a, b) => {
            let tokens = tokens(text);
            if tokens.len() < 2 {
                return;
            }
            let (i, j) = (pick(*a, tokens.len()), pick(*b, tokens.len()));
            let (first, second) = (tokens[i.min(j)], tokens[i.max(j)]);
            if first == second {
                return;
            }
            let a_text = text[first.0..first.1].to_string();
            let b_text = text[second.0..second.1].to_string();
            // The later one first, so the earlier offsets stay valid.
            text.replace_range(second.0..second.1, &a_text);
            text.replace_range(first.0..first.1, &b_text);
        }
        Mutation::Insert(at, token) => {
            let at = boundary(text, pick(*at, text.len() + 1));
            text.insert_str(at, token);
        }
        Mutation::Truncate(at) => {
            let at = boundary(text, pick(*at, text.len() + 1));
            text.truncate(at);
        }
    }
}

fn span_ok(text: &str, span: Span) -> bool {
    span.start <= span.end
        && (span.end as usize) <= text.len()
        && text.is_char_boundary(span.start as usize)
        && text.is_char_boundary(span.end as usize)
}

/// The invariants of `parse` on any text.
fn check_total(text: &str) -> Result<(), TestCaseError> {
    let started = Instant::now();
    let parsed = parse(text, FileId(0));
    prop_assert!(
        started.elapsed() < SLOW,
        "parse took {:?}",
        started.elapsed()
    );

    for diagnostic in &parsed.diagnostics {
        prop_assert!(
            !diagnostic.labels.is_empty(),
            "{diagnostic:?} has no position"
        );
        for label in &diagnostic.labels {
            prop_assert!(span_ok(text, label.span), "bad span in {diagnostic:?}");
        }
    }
    for item in &parsed.file.items {
        prop_assert!(span_ok(text, item.span), "bad item span {:?}", item.span);
        if matches!(item.kind, ItemKind::Error(_)) {
            prop_assert!(
                parsed.has_errors(),
                "an error item without an error: {item:?}"
            );
        }
    }
    for comment in &parsed.file.comments {
        prop_assert!(span_ok(text, comment.span));
    }

    // The renderers see the same spans: they must not panic either.
    let mut sources = SourceMap::new();
    let id = sources.add("mutated.mlp", "mutated.mlp", text.to_string());
    let style = HumanStyle {
        color: false,
        width: 100,
    };
    for diagnostic in parsed.diagnostics.iter().take(3) {
        let human = render::human(diagnostic, &sources, style);
        prop_assert!(human.contains(diagnostic.code.0));
        let json = render::json(diagnostic, &sources);
        prop_assert_eq!(json.file.as_deref(), Some(sources.get(id).name.as_str()));
    }
    Ok(())
}

proptest! {

    #[test]
    fn mutated_examples_parse_totally(
        file in any::<usize>(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let corpus = corpus();
        let mut text = corpus[pick(file, corpus.len())].clone();
        for mutation in &mutations {
            apply(&mut text, mutation);
        }
        check_total(&text)?;
    }

    #[test]
    fn token_soup_parses_totally(
        soup in proptest::collection::vec(
            prop_oneof![
                4 => proptest::sample::select(TOKENS).prop_map(String::from),
                1 => any::<char>().prop_map(String::from),
            ],
            0..80,
        ),
        spaced in any::<bool>(),
    ) {
        let text = soup.join(if spaced { " " } else { "" });
        check_total(&text)?;
    }
}

#[test]
fn the_corpus_parses_clean() {
    for text in corpus() {
        let parsed = parse(text, FileId(0));
        assert!(
            !parsed.has_errors(),
            "an unmutated corpus file has errors: {:#?}",
            parsed.diagnostics
        );
    }
}

#[test]
fn mutations_keep_char_boundaries() {
    let mut text = "é{ß}".to_string();
    // Offset 1 is inside `é`: the deletion starts at 0 and removes `é`.
    apply(&mut text, &Mutation::Delete(1, 2));
    assert_eq!(text, "{ß}");
    apply(&mut text, &Mutation::Swap(0, 2));
    assert_eq!(text, "}ß{");
    apply(&mut text, &Mutation::Insert(2, "ü".into()));
    assert_eq!(text, "}üß{");
    apply(&mut text, &Mutation::Truncate(4));
    assert_eq!(text, "}ü");
    assert_eq!(tokens("a.b cd"), vec![(0, 1), (1, 2), (2, 3), (4, 6)]);
}
