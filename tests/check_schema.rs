//! Schemas after every step of the credit example, and tag propagation,
//! through the library API.

use mlp::check::{self, BlockInfo, Options};
use mlp::resolve::{self, Loader};
use mlp::source::SourceMap;
use std::path::Path;

struct NoFiles;
impl Loader for NoFiles {
    fn read(&self, _: &Path) -> Result<String, String> {
        Err("no files in this test".into())
    }
}

fn run(text: &str) -> (check::Program, Vec<String>) {
    let mut sources = SourceMap::new();
    let resolved = resolve::resolve(
        Path::new("main.mlp"),
        text.into(),
        Path::new(""),
        &NoFiles,
        &mut sources,
    );
    let checked = check::check(&resolved, &sources, &Options::default());
    let mut codes: Vec<String> = resolved
        .diagnostics
        .iter()
        .chain(&checked.diagnostics)
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

#[test]
fn credit_schema_after_every_step() {
    let text = std::fs::read_to_string("examples/credit/main.mlp").expect("credit example");
    let (program, codes) = run(&text);
    assert!(codes.iter().all(|c| c == "MLP2016"), "{codes:?}");
    let Some(BlockInfo::Transform(t)) = program.by_name("features").map(|b| &b.info) else {
        panic!("features")
    };
    let steps: Vec<(&str, usize)> = t
        .steps
        .iter()
        .map(|s| (s.op.as_str(), s.schema.columns.len()))
        .collect();
    assert_eq!(
        steps,
        [
            ("drop", 13),
            ("impute", 13),
            ("impute", 13),
            ("impute", 13),
            ("filter", 13),
            ("derive", 16),
            ("log", 16),
            ("log", 16),
            ("one_hot", 21),
            ("one_hot", 24),
            ("one_hot", 25),
            ("standardize", 25)
        ]
    );
    assert_eq!(
        columns(&t.steps[0].schema)[0],
        "Status:enum(\"good\", \"bad\") @target"
    );
    assert!(columns(&t.steps[1].schema).contains(&"Income:float".to_string()));
    assert!(columns(&t.steps[0].schema).contains(&"Income:float?".to_string()));
    assert!(columns(&t.steps[5].schema).contains(&"debt_to_income:float".to_string()));
    assert!(columns(&t.steps[8].schema).contains(&"Home_owner:float".to_string()));
    assert!(columns(&t.steps[11].schema).contains(&"Age:float".to_string()));
    let (_, scorer) = program
        .models()
        .find(|(b, _)| b.name == "scorer")
        .expect("scorer");
    assert_eq!(scorer.model_kind, Some(check::types::ModelKind::Classifier));
    assert_eq!(scorer.features.len(), 24);
    assert!(scorer.feature_tags.is_empty());
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

#[test]
fn stdlib_modules_check_clean() {
    for (name, text) in resolve::stdlib::MODULES {
        let (_, codes) = run(text);
        assert!(codes.is_empty(), "{name}: {codes:?}");
    }
}
