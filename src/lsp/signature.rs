//! Signature help: inside the parentheses of a transform step (`| impute(`),
//! the operation's arguments; inside a model's `hyper { }`, its algorithm's
//! hyper-parameters; both from the catalogue.
//!
//! It is asked for while a call is being typed, when the block does not
//! parse yet and the last analysis is of older text: so it reads the
//! current text, from the start of the block (the lexical pass's chunks)
//! to the cursor, skipping its comments (the same pass's) and strings.

use super::documents::LineIndex;
use crate::check::catalog::{self, Columns};
use lsp_types as lsp;

/// A bracket open at the cursor.
struct Open {
    bracket: u8,
    /// The name right before it: the operation, `hyper`, a function.
    callee: Option<String>,
    /// Whether a `|` came before the name: a step of a chain.
    after_pipe: bool,
    /// Arguments (or entries) before the current one.
    commas: u32,
    /// The name of the current argument, once its `=` is written.
    named: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Token {
    None,
    Ident(usize, usize),
    Punct(u8),
    Other,
}

/// The brackets open at `offset` and the algorithm of the model block it
/// is in (the name after `model NAME:`), if it is in one.
fn context(text: &str, offset: usize) -> (Vec<Open>, Option<String>) {
    let (blocks, comments) = crate::syntax::outline(text);
    let start = blocks
        .iter()
        .rev()
        .find(|b| b.start as usize <= offset)
        .map_or(0, |b| b.start as usize);
    let mut comments = comments
        .iter()
        .filter(|c| c.span.end as usize > start)
        .peekable();
    let bytes = text.as_bytes();
    let end = offset.min(bytes.len());
    let (mut stack, mut header) = (Vec::<Open>::new(), Vec::<Token>::new());
    let (mut last, mut before) = (Token::None, Token::None);
    let word = |t: Token| match t {
        Token::Ident(s, e) => Some(text[s..e].to_string()),
        _ => None,
    };
    let mut i = start;
    while i < end {
        if let Some(c) = comments.next_if(|c| c.span.start as usize <= i) {
            i = i.max(c.span.end as usize);
            continue;
        }
        let b = bytes[i];
        let token = match b {
            b'"' => {
                i += 1;
                while i < end && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                Token::Other
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let s = i;
                while i + 1 < end && (bytes[i + 1].is_ascii_alphanumeric() || bytes[i + 1] == b'_')
                {
                    i += 1;
                }
                Token::Ident(s, i + 1)
            }
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' | b'{' | b'[' => {
                stack.push(Open {
                    bracket: b,
                    callee: word(last),
                    after_pipe: before == Token::Punct(b'|'),
                    commas: 0,
                    named: None,
                });
                Token::Punct(b)
            }
            b')' | b'}' | b']' => {
                stack.pop();
                Token::Punct(b)
            }
            b',' | b'\n' => {
                if let Some(top) = stack.last_mut().filter(|t| b == b',' || t.bracket == b'{') {
                    top.commas += u32::from(b == b',');
                    top.named = None;
                }
                Token::Punct(b)
            }
            // `name =` starts a named argument; `==`, `<=`, `>=`, `!=` do not.
            b'=' if bytes.get(i + 1) != Some(&b'=') => {
                let starts = matches!(before, Token::Punct(b'(' | b'{' | b',' | b'\n'));
                if let (Some(top), Some(name), true) = (stack.last_mut(), word(last), starts) {
                    top.named = Some(name);
                }
                Token::Punct(b)
            }
            _ if b.is_ascii_digit() => {
                while i + 1 < end && (bytes[i + 1].is_ascii_alphanumeric() || bytes[i + 1] == b'.')
                {
                    i += 1;
                }
                Token::Other
            }
            _ => Token::Punct(b),
        };
        if stack.is_empty() && header.len() < 4 {
            header.push(token);
        }
        before = last;
        last = token;
        i += 1;
    }
    // `model NAME: ALGORITHM {`
    let algorithm = match header[..] {
        [keyword, _, Token::Punct(b':'), algorithm, ..]
            if word(keyword).as_deref() == Some("model") =>
        {
            word(algorithm)
        }
        _ => None,
    };
    (stack, algorithm)
}

fn signature(
    label: String,
    parameters: Vec<(String, String)>,
    active: Option<u32>,
) -> lsp::SignatureHelp {
    let parameters = parameters
        .into_iter()
        .map(|(label, doc)| lsp::ParameterInformation {
            label: lsp::ParameterLabel::Simple(label),
            documentation: (!doc.is_empty()).then_some(lsp::Documentation::String(doc)),
        })
        .collect();
    lsp::SignatureHelp {
        signatures: vec![lsp::SignatureInformation {
            label,
            documentation: None,
            parameters: Some(parameters),
            active_parameter: active,
        }],
        active_signature: Some(0),
        active_parameter: active,
    }
}

/// The signature of the innermost operation step or `hyper` block open at
/// `position`. The active parameter is the one a named argument names; a
/// positional argument is one of the operation's columns; in `hyper`, an
/// entry without its name yet is the parameter at its comma count.
pub fn signature_help(text: &str, position: lsp::Position) -> Option<lsp::SignatureHelp> {
    let offset = LineIndex::new(text).offset(text, position);
    let (stack, algorithm) = context(text, offset);
    let catalogue = catalog::get();
    for open in stack.iter().rev() {
        let callee = open.callee.as_deref().unwrap_or_default();
        if open.bracket == b'(' && open.after_pipe {
            let Some(op) = catalogue.operation(callee) else {
                continue;
            };
            let mut parameters = Vec::new();
            if op.columns != Columns::None {
                let kind = match op.columns {
                    Columns::Numeric => "numeric columns",
                    Columns::Enum => "enum columns",
                    _ => "columns",
                };
                parameters.push((
                    "columns...".to_string(),
                    format!("the {kind} it applies to"),
                ));
            }
            match &op.named {
                Some(named) => {
                    parameters.extend(named.iter().map(|n| (format!("{n} = …"), String::new())))
                }
                None => parameters.push(("NAME = expression".into(), "any name".into())),
            }
            let labels: Vec<&str> = parameters.iter().map(|(l, _)| l.as_str()).collect();
            let label = format!("{}({})", op.name, labels.join(", "));
            let active = match (&open.named, &op.named) {
                (Some(n), Some(named)) => named
                    .iter()
                    .position(|m| m == n)
                    .map(|k| k + usize::from(op.columns != Columns::None)),
                (Some(_), None) => Some(parameters.len() - 1),
                (None, _) if op.columns != Columns::None => Some(0),
                // A positional argument of `filter`, `join`: not in the catalogue.
                (None, _) => None,
            };
            return Some(signature(label, parameters, active.map(|k| k as u32)));
        }
        if open.bracket == b'{' && callee == "hyper" {
            let alg = catalogue.algorithm(algorithm.as_deref()?)?;
            let parameters: Vec<(String, String)> = alg
                .hyper
                .iter()
                .map(|h| {
                    (
                        format!("{}: {} = {}", h.name, h.ty, h.default),
                        h.meaning.clone(),
                    )
                })
                .collect();
            let labels: Vec<&str> = parameters.iter().map(|(l, _)| l.as_str()).collect();
            let label = format!("{} {{ {} }}", alg.name, labels.join(", "));
            let active = match &open.named {
                Some(n) => alg.hyper.iter().position(|h| &h.name == n),
                None => Some(open.commas as usize).filter(|&k| k < parameters.len()),
            };
            return Some(signature(label, parameters, active.map(|k| k as u32)));
        }
    }
    None
}
