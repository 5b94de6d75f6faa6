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
pub const NESTING_TOO_DEEP: Code = Code("MLP0009");
pub const TOO_MANY_OPERATORS: Code = Code("MLP0010");
pub const UNKNOWN_NAME: Code = Code("MLP1001");
pub const UNKNOWN_MODULE: Code = Code("MLP1002");
pub const MODULE_NOT_FOUND: Code = Code("MLP1003");
pub const IMPORT_OUTSIDE_ROOT: Code = Code("MLP1004");
pub const IMPORT_CYCLE: Code = Code("MLP1005");
pub const DEPENDENCY_CYCLE: Code = Code("MLP1006");
pub const NAME_CLASH: Code = Code("MLP1007");
pub const WRONG_BLOCK_KIND: Code = Code("MLP1008");
pub const UNKNOWN_COLUMN: Code = Code("MLP1009");
pub const UNKNOWN_MEMBER: Code = Code("MLP1010");
pub const DATA_OUTSIDE_ROOT: Code = Code("MLP1011");
pub const UNKNOWN_FIELD: Code = Code("MLP2001");
pub const MISSING_FIELD: Code = Code("MLP2002");
pub const TYPE_MISMATCH: Code = Code("MLP2003");
pub const OUT_OF_RANGE: Code = Code("MLP2004");
pub const SPLIT_SUM: Code = Code("MLP2005");
pub const UNKNOWN_ALGORITHM: Code = Code("MLP2006");
pub const UNKNOWN_OPERATION: Code = Code("MLP2007");
pub const BAD_ARGUMENTS: Code = Code("MLP2008");
pub const COLUMN_TYPE: Code = Code("MLP2009");
pub const BAD_FEATURE: Code = Code("MLP2010");
pub const TARGET_MISMATCH: Code = Code("MLP2011");
pub const METRIC_KIND: Code = Code("MLP2012");
pub const INVALID_CHOICE: Code = Code("MLP2013");
pub const EXPRESSION_TYPE: Code = Code("MLP2014");
pub const POLICY_VIOLATION: Code = Code("MLP2015");
pub const LEAKAGE_FIT_BEFORE_SPLIT: Code = Code("MLP2016");
pub const LEAKAGE_EVAL_ON_TRAIN: Code = Code("MLP2017");
pub const BAD_OVERRIDE: Code = Code("MLP2018");
pub const JOIN_KEYS: Code = Code("MLP2019");
pub const DUPLICATE_COLUMN: Code = Code("MLP2020");
pub const UNKNOWN_TYPE: Code = Code("MLP2021");
pub const CATALOG_OUTSIDE_STDLIB: Code = Code("MLP2022");
pub const METRIC_NOT_COMPUTED: Code = Code("MLP2023");
pub const BAD_WAIVER: Code = Code("MLP2024");
pub const FAIRNESS_GROUPS: Code = Code("MLP2025");
pub const POSITIVE_CLASS: Code = Code("MLP2026");
pub const SPLIT_OPTIONS: Code = Code("MLP2030");
pub const APPLY_SCHEMA: Code = Code("MLP2031");
pub const LEAKAGE_FIT_ON_HELD_OUT: Code = Code("MLP2032");
pub const CROSS_VALIDATION: Code = Code("MLP2033");
pub const HYPER_SEARCH: Code = Code("MLP2034");

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
    CodeInfo {
        code: NESTING_TOO_DEEP,
        title: "nesting too deep",
        page: page!("MLP0009"),
    },
    CodeInfo {
        code: TOO_MANY_OPERATORS,
        title: "too many operators in one block",
        page: page!("MLP0010"),
    },
    CodeInfo {
        code: UNKNOWN_NAME,
        title: "unknown name",
        page: page!("MLP1001"),
    },
    CodeInfo {
        code: UNKNOWN_MODULE,
        title: "unknown standard module",
        page: page!("MLP1002"),
    },
    CodeInfo {
        code: MODULE_NOT_FOUND,
        title: "module file cannot be loaded",
        page: page!("MLP1003"),
    },
    CodeInfo {
        code: IMPORT_OUTSIDE_ROOT,
        title: "import outside the project folder",
        page: page!("MLP1004"),
    },
    CodeInfo {
        code: IMPORT_CYCLE,
        title: "import cycle",
        page: page!("MLP1005"),
    },
    CodeInfo {
        code: DEPENDENCY_CYCLE,
        title: "blocks depend on each other in a cycle",
        page: page!("MLP1006"),
    },
    CodeInfo {
        code: NAME_CLASH,
        title: "an import clashes with another name",
        page: page!("MLP1007"),
    },
    CodeInfo {
        code: WRONG_BLOCK_KIND,
        title: "reference to a block of the wrong kind",
        page: page!("MLP1008"),
    },
    CodeInfo {
        code: UNKNOWN_COLUMN,
        title: "unknown column",
        page: page!("MLP1009"),
    },
    CodeInfo {
        code: UNKNOWN_MEMBER,
        title: "unknown member of a block",
        page: page!("MLP1010"),
    },
    CodeInfo {
        code: DATA_OUTSIDE_ROOT,
        title: "data path outside the project folder",
        page: page!("MLP1011"),
    },
    CodeInfo {
        code: UNKNOWN_FIELD,
        title: "unknown field",
        page: page!("MLP2001"),
    },
    CodeInfo {
        code: MISSING_FIELD,
        title: "missing required field",
        page: page!("MLP2002"),
    },
    CodeInfo {
        code: TYPE_MISMATCH,
        title: "value of the wrong type",
        page: page!("MLP2003"),
    },
    CodeInfo {
        code: OUT_OF_RANGE,
        title: "value out of range",
        page: page!("MLP2004"),
    },
    CodeInfo {
        code: SPLIT_SUM,
        title: "split fractions do not sum to 1",
        page: page!("MLP2005"),
    },
    CodeInfo {
        code: UNKNOWN_ALGORITHM,
        title: "unknown algorithm",
        page: page!("MLP2006"),
    },
    CodeInfo {
        code: UNKNOWN_OPERATION,
        title: "unknown table operation",
        page: page!("MLP2007"),
    },
    CodeInfo {
        code: BAD_ARGUMENTS,
        title: "wrong arguments to a table operation",
        page: page!("MLP2008"),
    },
    CodeInfo {
        code: COLUMN_TYPE,
        title: "operation applied to a column of the wrong type",
        page: page!("MLP2009"),
    },
    CodeInfo {
        code: BAD_FEATURE,
        title: "column cannot be a model feature",
        page: page!("MLP2010"),
    },
    CodeInfo {
        code: TARGET_MISMATCH,
        title: "target does not fit the algorithm",
        page: page!("MLP2011"),
    },
    CodeInfo {
        code: METRIC_KIND,
        title: "metric does not apply to the model",
        page: page!("MLP2012"),
    },
    CodeInfo {
        code: INVALID_CHOICE,
        title: "value is not one of the allowed words",
        page: page!("MLP2013"),
    },
    CodeInfo {
        code: EXPRESSION_TYPE,
        title: "expression has the wrong type",
        page: page!("MLP2014"),
    },
    CodeInfo {
        code: POLICY_VIOLATION,
        title: "policy rule violated",
        page: page!("MLP2015"),
    },
    CodeInfo {
        code: LEAKAGE_FIT_BEFORE_SPLIT,
        title: "fitted operation before the split",
        page: page!("MLP2016"),
    },
    CodeInfo {
        code: LEAKAGE_EVAL_ON_TRAIN,
        title: "model evaluated on its training rows",
        page: page!("MLP2017"),
    },
    CodeInfo {
        code: BAD_OVERRIDE,
        title: "environment override of a field that does not exist",
        page: page!("MLP2018"),
    },
    CodeInfo {
        code: JOIN_KEYS,
        title: "join keys do not match",
        page: page!("MLP2019"),
    },
    CodeInfo {
        code: DUPLICATE_COLUMN,
        title: "column name already used",
        page: page!("MLP2020"),
    },
    CodeInfo {
        code: UNKNOWN_TYPE,
        title: "unknown type name",
        page: page!("MLP2021"),
    },
    CodeInfo {
        code: CATALOG_OUTSIDE_STDLIB,
        title: "catalog block outside the standard library",
        page: page!("MLP2022"),
    },
    CodeInfo {
        code: METRIC_NOT_COMPUTED,
        title: "a gate on a metric no evaluation computes",
        page: page!("MLP2023"),
    },
    CodeInfo {
        code: BAD_WAIVER,
        title: "a waiver without a rule or a reason",
        page: page!("MLP2024"),
    },
    CodeInfo {
        code: FAIRNESS_GROUPS,
        title: "fairness metrics without a usable `groups` column",
        page: page!("MLP2025"),
    },
    CodeInfo {
        code: POSITIVE_CLASS,
        title: "a `positive` class the model cannot have",
        page: page!("MLP2026"),
    },
    CodeInfo {
        code: SPLIT_OPTIONS,
        title: "split options that do not go together, or a column that cannot split",
        page: page!("MLP2030"),
    },
    CodeInfo {
        code: APPLY_SCHEMA,
        title: "`apply` on a table without the columns the transform reads",
        page: page!("MLP2031"),
    },
    CodeInfo {
        code: LEAKAGE_FIT_ON_HELD_OUT,
        title: "a step fitted on a held-out part of a split",
        page: page!("MLP2032"),
    },
    CodeInfo {
        code: CROSS_VALIDATION,
        title: "a cross-validation that cannot be done",
        page: page!("MLP2033"),
    },
    CodeInfo {
        code: HYPER_SEARCH,
        title: "a hyper-parameter search that cannot be done",
        page: page!("MLP2034"),
    },
];

pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    let wanted = code.trim().to_ascii_uppercase();
    ALL.iter().find(|info| info.code.0 == wanted)
}
