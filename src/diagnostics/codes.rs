//! The table of diagnostic codes: one place to see them all.
//!
//! Codes are stable: a code is never reused for another meaning. Each has a
//! page `docs/errors/<CODE>.md`, embedded here so `mlp explain` works from an
//! installed binary. `MLP0nnn` are syntax errors, `MLP1nnn` name resolution
//! and modules, `MLP2nnn` types and checks.

use serde::Serialize;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Code(pub &'static str);

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

pub struct CodeInfo {
    pub code: Code,
    pub title: &'static str,
    /// The Markdown page, as in `docs/errors/`.
    pub page: &'static str,
}

macro_rules! page {
    ($code:literal) => {
        include_str!(concat!("../../docs/errors/", $code, ".md"))
    };
}

pub const SYNTAX: Code = Code("MLP0001");
pub const UNTERMINATED_STRING: Code = Code("MLP0002");
pub const INVALID_ESCAPE: Code = Code("MLP0003");
pub const UNTERMINATED_COMMENT: Code = Code("MLP0004");
pub const EXPECTED_BLOCK: Code = Code("MLP0005");
pub const DUPLICATE_BLOCK: Code = Code("MLP0006");
pub const UNCLOSED_DELIMITER: Code = Code("MLP0007");
pub const NUMBER_OUT_OF_RANGE: Code = Code("MLP0008");

pub const ALL: &[CodeInfo] = &[
    CodeInfo {
        code: SYNTAX,
        title: "syntax error",
        page: page!("MLP0001"),
    },
    CodeInfo {
        code: UNTERMINATED_STRING,
        title: "unterminated string literal",
        page: page!("MLP0002"),
    },
    CodeInfo {
        code: INVALID_ESCAPE,
        title: "invalid escape sequence in a string",
        page: page!("MLP0003"),
    },
    CodeInfo {
        code: UNTERMINATED_COMMENT,
        title: "unterminated block comment",
        page: page!("MLP0004"),
    },
    CodeInfo {
        code: EXPECTED_BLOCK,
        title: "text outside of a block",
        page: page!("MLP0005"),
    },
    CodeInfo {
        code: DUPLICATE_BLOCK,
        title: "duplicate block name",
        page: page!("MLP0006"),
    },
    CodeInfo {
        code: UNCLOSED_DELIMITER,
        title: "unclosed delimiter",
        page: page!("MLP0007"),
    },
    CodeInfo {
        code: NUMBER_OUT_OF_RANGE,
        title: "number literal out of range",
        page: page!("MLP0008"),
    },
];

pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    let wanted = code.trim().to_ascii_uppercase();
    ALL.iter().find(|info| info.code.0 == wanted)
}
