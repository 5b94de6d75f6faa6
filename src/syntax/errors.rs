//! Turns pest's "expected rule_xyz" into words a user understands.

use super::parser::{MlpParser, Rule};
use crate::diagnostics::{codes, Diagnostic};
use crate::source::{FileId, Span};
use pest::error::InputLocation;
use pest::Parser;
use std::collections::BTreeSet;

/// The diagnostic for a chunk that failed to parse. The chunk is parsed a
/// second time with pest's error tracking on (it is too slow for every parse).
pub(crate) fn diagnose(chunk: &str, base: usize, file: FileId) -> Diagnostic {
    pest::set_error_detail(true);
    let result = MlpParser::parse(Rule::chunk, chunk);
    pest::set_error_detail(false);
    let Err(error) = result else {
        // The first parse failed, so this one cannot succeed; stay total anyway.
        return Diagnostic::error(codes::SYNTAX, "this block could not be parsed").with_label(
            file,
            Span::new(base, base + chunk.trim_end().len()),
            "here",
        );
    };
    let at = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let mut expected: BTreeSet<String> = BTreeSet::new();
    let mut positives: Vec<Rule> = Vec::new();
    if let pest::error::ErrorVariant::ParsingError { positives: p, .. } = &error.variant {
        positives = p.clone();
    }
    if let Some(attempts) = error.parse_attempts() {
        // `ParsingToken` is not exported by pest; its Display is the literal text.
        for token in attempts.expected_tokens() {
            if let Some(word) = token_words(&token.to_string()) {
                expected.insert(word);
            }
        }
    }
    for rule in &positives {
        if let Some(word) = rule_words(*rule) {
            expected.insert(word.to_string());
        }
    }
    simplify(&mut expected);
    let found = describe_found(&chunk[at.min(chunk.len())..]);
    let found_len = found_len(&chunk[at.min(chunk.len())..]);
    let span = Span::new(base + at, base + at + found_len);
    let previous = previous_word(&chunk[..at.min(chunk.len())]);

    if positives.contains(&Rule::EOI) && expected.len() <= 1 {
        return Diagnostic::error(
            codes::EXPECTED_BLOCK,
            format!("expected a new block, found {found}"),
        )
        .with_label(file, span, "not part of any block")
        .with_help(format!(
            "a file is a list of blocks ({}); a block starts on its own line",
            block_keywords()
        ));
    }

    let expected: Vec<String> = expected.into_iter().collect();
    let list = join_or(&expected);
    let context = match (&previous, expected.iter().any(|e| e == "`=`")) {
        (Some(word), true) if expected.len() <= 3 => format!(" after `{word}`"),
        _ => String::new(),
    };
    let message = if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {list}{context}, found {found}")
    };
    let label = if expected.is_empty() {
        "unexpected here".to_string()
    } else {
        format!("expected {list}")
    };
    let mut diagnostic = Diagnostic::error(codes::SYNTAX, message).with_label(file, span, label);
    if let Some(help) = help_for(&expected, &found, previous.as_deref()) {
        diagnostic = diagnostic.with_help(help);
    }
    diagnostic
}

/// Replaces the many tokens that can start a value or a type by one word.
fn simplify(expected: &mut BTreeSet<String>) {
    const VALUE_START: [&str; 9] = [
        "`\"`", "`(`", "`-`", "`[`", "`_`", "`false`", "`not`", "`true`", "`{`",
    ];
    const TYPE_START: [&str; 3] = ["`_`", "`enum`", "`list`"];
    let value_like = VALUE_START
        .iter()
        .filter(|t| expected.contains(**t))
        .count();
    if expected.contains("an expression") || value_like >= 3 {
        expected.retain(|e| {
            !VALUE_START.contains(&e.as_str())
                && e != "a number"
                && e != "a string"
                && e != "a name"
        });
        expected.remove("an expression");
        expected.insert("a value".into());
    }
    if expected.contains("a type") {
        expected.retain(|e| !TYPE_START.contains(&e.as_str()));
    }
    if expected.remove("`_`") {
        expected.insert("a name".into());
    }
}

fn block_keywords() -> String {
    use super::ast::BlockKeyword;
    // `catalog` blocks belong to the standard library: not offered to users.
    let words: Vec<String> = BlockKeyword::ALL
        .iter()
        .filter(|k| **k != BlockKeyword::Catalog)
        .map(|k| format!("`{}`", k.as_str()))
        .collect();
    words.join(", ")
}

fn help_for(expected: &[String], found: &str, previous: Option<&str>) -> Option<String> {
    let has = |s: &str| expected.iter().any(|e| e == s);
    if has("`=`") && previous.is_some() && !has("a type") {
        return Some("fields are written `name = value`".into());
    }
    if has("a type") {
        return Some(
            "types are `int`, `float`, `bool`, `str`, `datetime`, `enum(\"a\", \"b\")`, `list<T>`; add `?` for nullable"
                .into(),
        );
    }
    if has("a value") && found == "end of input" {
        return Some("the value is missing".into());
    }
    if has("`}`") {
        return Some("entries in a block are `name = value`, `name { ... }` or a condition; close the block with `}`".into());
    }
    if has("`{`") {
        return Some("the block's body goes between `{` and `}`".into());
    }
    None
}

fn token_words(token: &str) -> Option<String> {
    match token {
        // The whitespace and comment alternatives are never what the user lacks.
        "" | " " | "\t" | "\r" | "\n" | "\u{FEFF}" | "//" | "/*" | "*/" | "BUILTIN_RULE" => None,
        range if range.chars().count() == 4 && range.contains("..") => None,
        _ => Some(format!("`{token}`")),
    }
}

fn rule_words(attempted: Rule) -> Option<&'static str> {
    Some(match attempted {
        Rule::ident | Rule::path | Rule::named_type => match attempted {
            Rule::named_type => "a type",
            _ => "a name",
        },
        Rule::type_expr | Rule::enum_type | Rule::list_type => "a type",
        // Only an operand starts with these: in the flat `expr`, they stand
        // for the expression levels that no longer have rules of their own.
        Rule::expr
        | Rule::expr_stmt
        | Rule::op_neg
        | Rule::list
        | Rule::record
        | Rule::paren
        | Rule::boolean => "an expression",
        Rule::number | Rule::number_val => "a number",
        Rule::string => "a string",
        Rule::body => "`{`",
        Rule::field | Rule::nested | Rule::record_field => "a field",
        Rule::column => "a column",
        Rule::tag => "a tag (`@pii`)",
        Rule::op_call => "an operation",
        Rule::cmp_op | Rule::add_op | Rule::mul_op => "an operator",
        Rule::arg => "an argument",
        _ => return None,
    })
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

fn found_len(rest: &str) -> usize {
    let Some(c) = rest.chars().next() else {
        return 0;
    };
    if c.is_alphanumeric() || c == '_' {
        rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len())
    } else if c == '\n' || c == '\r' {
        0
    } else {
        c.len_utf8()
    }
}

fn describe_found(rest: &str) -> String {
    let Some(c) = rest.chars().next() else {
        return "end of input".into();
    };
    if rest.trim().is_empty() {
        return "end of input".into();
    }
    if c.is_alphanumeric() || c == '_' {
        let word = &rest[..found_len(rest)];
        return format!("`{word}`");
    }
    if c == '"' {
        return "a string".into();
    }
    format!("`{c}`")
}

/// The last word (name or symbol) before the error position.
fn previous_word(before: &str) -> Option<String> {
    let trimmed = before.trim_end();
    let last = trimmed.chars().last()?;
    if last.is_alphanumeric() || last == '_' {
        // The word starts after the last other character, however many bytes it has.
        let start = trimmed
            .char_indices()
            .rfind(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        Some(trimmed[start..].to_string())
    } else {
        None
    }
}
