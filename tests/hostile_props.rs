//! Property tests on hostile input: random nesting of brackets and prefix
//! operators, thousands deep, and random bytes go through what `mlp check`
//! and `mlp fmt` run (parse, resolve and check, format), on a thread with
//! the CLI's stack. Nothing may panic or overflow, and each input takes
//! bounded time. `PROPTEST_CASES` sets the number of cases.

use mlp::diagnostics::render::{self, HumanStyle};
use mlp::source::{FileId, SourceMap};
use proptest::prelude::*;
use std::time::{Duration, Instant};

mod common;

/// A debug build handles the largest of these inputs in well under a
/// second; this bound only catches runaway work.
const SLOW: Duration = Duration::from_secs(10);

/// What opens a level, and what closes it (prefix operators close nothing).
const OPENERS: &[(&str, &str)] = &[
    ("(", ")"),
    ("[", "]"),
    ("{ a = ", " }"),
    ("f(", ")"),
    ("not ", ""),
    ("-", ""),
];

fn nested(levels: &[usize], closed: usize, core: &str) -> String {
    let mut text = String::new();
    for &level in levels {
        text.push_str(OPENERS[level].0);
    }
    text.push_str(core);
    for &level in levels.iter().rev().take(closed) {
        text.push_str(OPENERS[level].1);
    }
    text
}

/// Everything the CLI does with `text`, on the CLI's stack.
fn check_and_format(text: String) -> Result<(), TestCaseError> {
    let started = Instant::now();
    let outcome = mlp::on_large_stack(move || {
        let parsed = mlp::syntax::parse(&text, FileId(0));
        let mut sources = SourceMap::new();
        sources.add("hostile.mlp", "hostile.mlp", text.clone());
        let style = HumanStyle {
            color: false,
            width: 100,
        };
        for diagnostic in parsed.diagnostics.iter().take(3) {
            assert!(render::human(diagnostic, &sources, style).ends_with('\n'));
        }
        if !parsed.has_errors() {
            let formatted = mlp::fmt::format(&parsed.file, &text);
            let again = mlp::syntax::parse(&formatted, FileId(0));
            assert!(
                !again.has_errors(),
                "formatted text does not parse: {:?}",
                again.diagnostics.first()
            );
        }
        let (resolved, checked) = common::check_text(&text);
        common::all_diagnostics(&resolved, &checked).count()
    });
    prop_assert!(outcome.is_ok(), "no thread: {outcome:?}");
    prop_assert!(started.elapsed() < SLOW, "took {:?}", started.elapsed());
    Ok(())
}

proptest! {
    #[test]
    fn random_nesting_never_overflows(
        levels in proptest::collection::vec(0..OPENERS.len(), 0..3000),
        closed_share in 0.0..=1.0f64,
        in_a_step in any::<bool>(),
        core in prop_oneof![Just("a"), Just("1"), Just(""), Just("a + b"), Just("\"s\"")],
    ) {
        let closed = (levels.len() as f64 * closed_share) as usize;
        let expr = nested(&levels, closed, core);
        let text = if in_a_step {
            format!("source raw: csv {{\n  path = \"x.csv\"\n  schema {{ a: float }}\n}}\n\n\
                     transform t = raw\n  | derive(x = {expr})\n")
        } else {
            format!("param p: float = {expr}\n")
        };
        check_and_format(text)?;
    }

    #[test]
    fn random_bytes_never_crash(
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
        prefix in prop_oneof![Just(""), Just("param p: int = "), Just("policy q {\n  require ")],
    ) {
        let text = format!("{prefix}{}", String::from_utf8_lossy(&bytes));
        check_and_format(text)?;
    }
}

#[test]
fn nesting_helper_closes_what_it_opens() {
    assert_eq!(nested(&[0, 4, 2], 3, "a"), "(not { a = a })");
    assert_eq!(nested(&[1, 5], 1, "a"), "[-a");
}
