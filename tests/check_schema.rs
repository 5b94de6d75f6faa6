//! Schemas after every step of the credit example, and tag propagation,
//! through the library API.

use mlp::check::{self, BlockInfo};
use mlp::resolve;

mod common;
use common::{all_diagnostics, check_text};

fn run(text: &str) -> (check::Program, Vec<String>) {
    let (resolved, checked) = check_text(text);
    let mut codes: Vec<String> = all_diagnostics(&resolved, &checked)
        .map(|d| d.code.0.to_string())
        .collect();
    codes.sort();
    (checked.program, codes)
}

fn columns(schema: &mlp::check::types::Schema) -> Vec<String> {
    schema
        .columns
        .iter()
        .map(|c| {
            format!(
                "{}:{}{}{}",
                c.name,
                c.ty,
                if c.nullable { "?" } else { "" },
                c.tags.iter().map(|t| format!(" @{t}")).collect::<String>()
            )
        })
        .collect()
}

/// Every transform step of an example with the exact schema after it, one
/// column per line: `name: type? @tags`.
fn schemas_of(example: &str) -> String {
    let text = std::fs::read_to_string(format!("examples/{example}/main.mlp")).expect("example");
    let (program, codes) = run(&text);
    assert!(codes.is_empty(), "{example}: {codes:?}");
    let mut out = String::new();
    for block in &program.blocks {
        match &block.info {
            BlockInfo::Source(s) => {
                out.push_str(&format!("source {}\n", block.name));
                for c in columns(&s.schema) {
                    out.push_str(&format!("    {c}\n"));
                }
            }
            BlockInfo::Transform(t) => {
                for step in &t.steps {
                    out.push_str(&format!("{} | {}{}\n", block.name, step.op, step.args));
                    for c in columns(&step.schema) {
                        out.push_str(&format!("    {c}\n"));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn credit_schema_after_every_step() {
    insta::assert_snapshot!(schemas_of("credit"));
    let text = std::fs::read_to_string("examples/credit/main.mlp").expect("credit example");
    let (program, _) = run(&text);
    let (_, scorer) = program
        .models()
        .find(|(b, _)| b.name == "scorer")
        .expect("scorer");
    assert_eq!(scorer.model_kind, Some(check::types::ModelKind::Classifier));
    assert_eq!(scorer.features.len(), 24);
    assert!(scorer.feature_tags.is_empty());
}

#[test]
fn penguins_schema_after_every_step() {
    insta::assert_snapshot!(schemas_of("penguins"));
}

#[test]
fn diamonds_schema_after_every_step() {
    insta::assert_snapshot!(schemas_of("diamonds"));
}

const PII: &str = r#"
source people: csv { path = "p.csv", schema { id: int @id, email: str @pii, age: int, y: bool } }
source extra: csv { path = "e.csv", schema { id: int @id, phone_len: int @pii } }
transform t = people | derive(email_len = len(email)) | drop(email) | join(extra, on = [id])
split h = t { train = 0.8, test = 0.2 }
model m: logistic_regression { data = h.train, target = y, features = FEATURES }
policy p { deny pii in m.features }
"#;

#[test]
fn pii_reaches_features_through_derive_and_join() {
    let (program, codes) = run(&PII.replace("FEATURES", "[age, email_len]"));
    assert_eq!(codes, ["MLP2015"]);
    let (_, m) = program.models().next().expect("model");
    assert!(m.feature_tags.contains("pii"));
    let (_, codes) = run(&PII.replace("FEATURES", "[age, phone_len]"));
    assert_eq!(codes, ["MLP2015"]);
    let (_, codes) = run(&PII.replace("FEATURES", "[age]"));
    assert!(codes.is_empty(), "{codes:?}");
}

#[test]
fn model_feature_and_metric_checks() {
    let base = r#"
source s: csv { path = "s.csv", schema { home: enum("own", "rent"), income: float?, price: float, ok: bool } }
split h = s { train = 0.7, test = 0.3 }
model m: ALG { data = h.train, target = TARGET, features = [FEATURES] }
evaluate m on h.test { metrics = [METRIC] }
"#;
    let case = |alg: &str, target: &str, features: &str, metric: &str| {
        run(&base
            .replace("ALG", alg)
            .replace("TARGET", target)
            .replace("FEATURES", features)
            .replace("METRIC", metric))
        .1
    };
    assert!(case("logistic_regression", "ok", "price", "accuracy").is_empty());
    assert_eq!(
        case("logistic_regression", "ok", "home", "accuracy"),
        ["MLP2010"]
    );
    assert_eq!(
        case("logistic_regression", "ok", "income", "accuracy"),
        ["MLP2010"]
    );
    assert_eq!(
        case("linear_regression", "ok", "price", "rmse"),
        ["MLP2011"]
    );
    assert_eq!(
        case("linear_regression", "price", "price", "rmse"),
        ["MLP2010"]
    );
    assert_eq!(case("ridge", "price", "ok", "accuracy"), ["MLP2012"]);
    assert_eq!(
        case("logistic_regresion", "ok", "price", "accuracy"),
        ["MLP2006"]
    );
}

#[test]
fn leakage_warnings() {
    let before = r#"
source s: csv { path = "s.csv", schema { x: float, y: bool } }
transform t = s | standardize(x)
split h = t { train = 0.8, test = 0.2 }
model m: logistic_regression { data = h.train, target = y }
evaluate m on h.DATA { metrics = [accuracy] }
"#;
    assert_eq!(run(&before.replace("DATA", "test")).1, ["MLP2016"]);
    assert_eq!(
        run(&before.replace("DATA", "train")).1,
        ["MLP2016", "MLP2017"]
    );
    let after = before.replace(
        "transform t = s | standardize(x)\nsplit h = t",
        "split h = s",
    );
    assert!(run(&after.replace("DATA", "test")).1.is_empty());
}

/// Each standard module loaded as users load it, with `use`: its blocks
/// are checked as part of the importing program.
#[test]
fn stdlib_modules_check_clean() {
    assert!(resolve::stdlib::MODULES.len() >= 4);
    for (name, _) in resolve::stdlib::MODULES {
        let (_, codes) = run(&format!("use {name}\n"));
        assert!(codes.is_empty(), "{name}: {codes:?}");
    }
}

/// The catalogue is fixed by the standard library: the same block in a
/// user's file would be ignored, so it is refused.
#[test]
fn catalog_blocks_are_refused_outside_the_stdlib() {
    for (name, text) in resolve::stdlib::MODULES {
        let (_, codes) = run(text);
        let expected: &[&str] = if name.starts_with("std.catalog.") {
            &["MLP2022"]
        } else {
            &[]
        };
        assert_eq!(codes, expected, "{name} as a user's file");
    }
}

/// The column kind each operation takes is the catalogue's
/// (`stdlib/catalog/operations.mlp`): every operation is applied to a
/// column of each kind, and refuses exactly the kinds its entry excludes.
#[test]
fn operations_take_the_column_kinds_of_the_catalogue() {
    use mlp::check::catalog::{self, Columns};
    let catalog = catalog::parse().expect("the shipped catalogue");
    // Named arguments some operations need, valid for any column.
    let extra = |op: &str| match op {
        "impute" => ", strategy = mode",
        "clip" => ", lo = 0, hi = 1",
        "bucketize" => ", bounds = [1, 2]",
        _ => "",
    };
    let mut checked = 0;
    for op in &catalog.operations {
        if op.columns == Columns::None {
            continue;
        }
        for (column, kind) in [("n", "numeric"), ("e", "enum"), ("s", "str")] {
            let args = if op.name == "cast" {
                format!("{column}, float")
            } else {
                format!("{column}{}", extra(&op.name))
            };
            let text = format!(
                "source t: csv {{\n  path = \"t.csv\"\n  schema {{ n: float, e: enum(\"a\", \"b\"), s: str }}\n}}\n\
                 transform u = t | {}({args})\n",
                op.name
            );
            let (_, codes) = run(&text);
            let accepted = match op.columns {
                Columns::Numeric => kind == "numeric",
                Columns::Enum => kind == "enum",
                _ => true,
            };
            let refused = codes.iter().any(|c| c == "MLP2009");
            assert_eq!(!refused, accepted, "{}({args}): {codes:?}", op.name);
            if accepted {
                assert!(codes.is_empty(), "{}({args}): {codes:?}", op.name);
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked} operation and column pairs");
}

/// `filter` narrows the nullable columns its condition needs to be true.
#[test]
fn a_filter_makes_the_columns_its_condition_needs_non_null() {
    let text = |condition: &str| {
        format!(
            r#"
source s: csv {{ path = "s.csv", schema {{ a: float?, b: float?, c: float?, y: bool? }} }}
transform t = s | filter({condition})
"#
        )
    };
    let nullable = |condition: &str| -> Vec<String> {
        let (program, codes) = run(&text(condition));
        assert!(codes.is_empty(), "{condition}: {codes:?}");
        let t = program.by_name("t").expect("transform t");
        let mlp::check::program::BlockInfo::Transform(t) = &t.info else {
            panic!("t is a transform")
        };
        t.schema
            .columns
            .iter()
            .filter(|c| c.nullable)
            .map(|c| c.name.to_string())
            .collect()
    };
    assert_eq!(nullable("not is_null(y)"), ["a", "b", "c"]);
    assert_eq!(nullable("a > 0 and not is_null(y)"), ["b", "c"]);
    assert_eq!(nullable("(a + b) * 2 >= c"), ["y"]);
    assert_eq!(nullable("a in 1..5 or a > 10"), ["b", "c", "y"]);
    // Only what both sides of an `or` need, nothing that `is_null` or
    // `coalesce` read, nothing under a `not` of an `and`.
    assert_eq!(nullable("a > 0 or b > 0"), ["a", "b", "c", "y"]);
    assert_eq!(nullable("is_null(a) or a > 0"), ["a", "b", "c", "y"]);
    assert_eq!(nullable("coalesce(a, 0.0) > 0"), ["a", "b", "c", "y"]);
    assert_eq!(nullable("not (a > 0 and b > 0)"), ["a", "b", "c", "y"]);
    assert_eq!(nullable("not (a > 0)"), ["b", "c", "y"]);
    // The fix the nullable-target error suggests now works.
    let model = format!(
        "{}split h = t {{ train = 0.8, test = 0.2 }}\nmodel m: logistic_regression {{ data = h.train, target = y, features = [] }}\n",
        text("not is_null(y) and not is_null(a)")
    );
    let (_, codes) = run(&model.replace("features = []", "features = [a]"));
    assert!(codes.is_empty(), "{codes:?}");
}

/// `derive` may replace a column: in its place, with the expression's type,
/// nullability and tags.
#[test]
fn derive_replaces_a_column_of_the_same_name_in_place() {
    let (program, codes) = run(r#"
source s: csv { path = "s.csv", schema { id: int @id, income: int? @pii, age: int } }
transform t = s | derive(income = log(income + 1), age = age * 2)
"#);
    assert!(codes.is_empty(), "{codes:?}");
    let t = program.by_name("t").expect("transform t");
    let mlp::check::program::BlockInfo::Transform(t) = &t.info else {
        panic!("t is a transform")
    };
    assert_eq!(
        columns(&t.schema),
        ["id:int @id", "income:float? @pii", "age:int"]
    );
}
