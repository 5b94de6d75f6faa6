//! Semantic tokens: every word of the document coloured by what the
//! resolver and the checker say it is (a block, a param, a column, a
//! tag...), from the analysis's index and the AST's comments; a word is
//! never classified by its spelling.

use super::analysis::Analysis;
use super::index::{self, Lexeme, Target};
use crate::syntax::ast::ItemKind;
use lsp_types::{self as lsp, SemanticTokenModifier, SemanticTokenType};

/// The token types, in the order of their numbers in the legend.
const TYPES: [SemanticTokenType; 10] = [
    SemanticTokenType::KEYWORD,
    SemanticTokenType::CLASS,
    SemanticTokenType::PARAMETER,
    SemanticTokenType::PROPERTY,
    SemanticTokenType::DECORATOR,
    SemanticTokenType::FUNCTION,
    SemanticTokenType::NUMBER,
    SemanticTokenType::STRING,
    SemanticTokenType::COMMENT,
    SemanticTokenType::TYPE,
];

/// Bits of the modifiers, in the legend's order.
const DECLARATION: u32 = 1;
const DEFAULT_LIBRARY: u32 = 2;

pub fn legend() -> lsp::SemanticTokensLegend {
    lsp::SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: vec![
            SemanticTokenModifier::DECLARATION,
            SemanticTokenModifier::DEFAULT_LIBRARY,
        ],
    }
}

fn number(ty: SemanticTokenType) -> u32 {
    TYPES.iter().position(|t| *t == ty).unwrap_or_default() as u32
}

/// The tokens of the analysed document, in order and without overlaps;
/// a token across lines (a block comment) is cut at each line's end, for
/// clients without multi-line tokens.
pub fn semantic_tokens(analysis: &Analysis) -> lsp::SemanticTokens {
    let Some(c) = analysis.compilation.as_ref() else {
        return lsp::SemanticTokens::default();
    };
    let entry = c.resolved.module(0);
    let mut spans: Vec<(usize, usize, u32, u32)> = Vec::new();
    for o in analysis.words.names.iter().filter(|o| o.file == entry.file) {
        let declared = if o.declaration { DECLARATION } else { 0 };
        let (ty, library) = match &o.target {
            Target::Block(block) => {
                let module = c.resolved.module(block.module);
                let ty = match c.resolved.item(*block).kind {
                    ItemKind::Param(_) => SemanticTokenType::PARAMETER,
                    _ => SemanticTokenType::CLASS,
                };
                let std = index::is_std(c, module.file);
                (ty, if std { DEFAULT_LIBRARY } else { 0 })
            }
            Target::Column { .. } => (SemanticTokenType::PROPERTY, 0),
        };
        let span = o.span;
        spans.push((
            span.start as usize,
            span.end as usize,
            number(ty),
            declared | library,
        ));
    }
    for (file, span, lexeme) in &analysis.words.lexemes {
        if *file != entry.file {
            continue;
        }
        let (ty, modifiers) = match lexeme {
            Lexeme::Keyword => (SemanticTokenType::KEYWORD, 0),
            Lexeme::Tag => (SemanticTokenType::DECORATOR, 0),
            Lexeme::Operation => (SemanticTokenType::FUNCTION, 0),
            Lexeme::Function => (SemanticTokenType::FUNCTION, DEFAULT_LIBRARY),
            Lexeme::Number => (SemanticTokenType::NUMBER, 0),
            Lexeme::Str => (SemanticTokenType::STRING, 0),
            Lexeme::Type => (SemanticTokenType::TYPE, 0),
        };
        spans.push((
            span.start as usize,
            span.end as usize,
            number(ty),
            modifiers,
        ));
    }
    for comment in &entry.ast.comments {
        let span = comment.span;
        let ty = number(SemanticTokenType::COMMENT);
        spans.push((span.start as usize, span.end as usize, ty, 0));
    }
    spans.sort_unstable();
    let text = &analysis.text;
    let mut data = Vec::with_capacity(spans.len());
    let (mut line, mut character, mut reached) = (0, 0, 0);
    for (start, end, ty, modifiers) in spans {
        // An overlap keeps the first token: a name inside a larger word.
        if start < reached || end > text.len() {
            continue;
        }
        reached = end;
        let mut from = start;
        while from < end {
            let to = text[from..end].find('\n').map_or(end, |i| from + i);
            if to > from {
                let at = analysis.index.position(text, from);
                let delta_line = at.line - line;
                let delta_start = if delta_line == 0 {
                    at.character - character
                } else {
                    at.character
                };
                data.push(lsp::SemanticToken {
                    delta_line,
                    delta_start,
                    length: text[from..to].encode_utf16().count() as u32,
                    token_type: ty,
                    token_modifiers_bitset: modifiers,
                });
                (line, character) = (at.line, at.character);
            }
            from = to + 1;
        }
    }
    lsp::SemanticTokens {
        result_id: None,
        data,
    }
}
