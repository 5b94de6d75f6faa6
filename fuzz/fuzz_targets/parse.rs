//! Fuzzes the parser: any UTF-8 text must parse without panicking, and every
//! diagnostic span must index the text on character boundaries.
//!
//! `cargo +nightly fuzz run parse` from the crate root (see `fuzz/README.md`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use mlp::source::{FileId, Span};

fn valid(text: &str, span: Span) -> bool {
    span.start <= span.end
        && text.is_char_boundary(span.start as usize)
        && text.is_char_boundary(span.end as usize)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = mlp::syntax::parse(text, FileId(0));
    for diagnostic in &parsed.diagnostics {
        for label in &diagnostic.labels {
            assert!(
                valid(text, label.span),
                "bad span {:?} in {diagnostic:?}",
                label.span
            );
        }
    }
    for item in &parsed.file.items {
        assert!(valid(text, item.span), "bad item span {:?}", item.span);
    }
});
