//! The parser as a library (`mlp::syntax::parse`) and the `check` command
//! as a user meets it: recovery, AST shapes, exit codes, output formats.

use mlp::diagnostics::{codes, Diagnostic};
use mlp::source::FileId;
use mlp::syntax::ast::*;
use mlp::syntax::{parse, Parsed};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn mlp(args: &[&str], no_color: bool) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mlp"));
    command.args(args).current_dir(root());
    if no_color {
        command.env("NO_COLOR", "1");
    } else {
        command.env_remove("NO_COLOR");
    }
    command.output().expect("the mlp binary runs")
}

/// A fresh folder under the system's temp dir, unique to this test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlp-syntax-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a writable temp dir");
    dir
}

fn parse_ok(text: &str) -> File {
    let parsed = parse(text, FileId(0));
    assert!(
        parsed.diagnostics.is_empty(),
        "unexpected diagnostics: {:#?}",
        parsed.diagnostics
    );
    parsed.file
}

fn codes_of(parsed: &Parsed) -> Vec<&'static str> {
    parsed.diagnostics.iter().map(|d| d.code.0).collect()
}

fn line_of(text: &str, diagnostic: &Diagnostic) -> usize {
    let start = diagnostic
        .primary()
        .expect("a positioned diagnostic")
        .span
        .start as usize;
    text[..start].matches('\n').count() + 1
}

/// The value of the field `name = value` written in `param x: T = <expr>`.
fn expr(text: &str) -> Expr {
    let file = parse_ok(&format!("param x: int = {text}\n"));
    match file.items.into_iter().next().map(|i| i.kind) {
        Some(ItemKind::Param(ParamDecl {
            default: Some(e), ..
        })) => e,
        other => panic!("not a param with a default: {other:?}"),
    }
}

/// An expression tree as a compact string, to compare shapes.
fn shape(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number(n) => format!("{}{}", n.text, n.unit.as_deref().unwrap_or("")),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Name(id) => id.name.clone(),
        ExprKind::Member { base, name } => format!("{}.{}", shape(base), name.name),
        ExprKind::Call { callee, args } => {
            let args: Vec<String> = args
                .iter()
                .map(|a| match &a.name {
                    Some(n) => format!("{}={}", n.name, shape(&a.value)),
                    None => shape(&a.value),
                })
                .collect();
            format!("{}({})", shape(callee), args.join(", "))
        }
        ExprKind::List(items) => {
            let items: Vec<String> = items.iter().map(shape).collect();
            format!("[{}]", items.join(", "))
        }
        ExprKind::Record(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| format!("{}={}", f.name.name, shape(&f.value)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        ExprKind::Range { lo, hi } => format!("({}..{})", shape(lo), shape(hi)),
        ExprKind::Unary { op, operand } => match op {
            UnaryOp::Neg => format!("(-{})", shape(operand)),
            UnaryOp::Not => format!("(not {})", shape(operand)),
        },
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({} {} {})", shape(lhs), op.as_str(), shape(rhs))
        }
        ExprKind::Paren(inner) => format!("<{}>", shape(inner)),
    }
}

// ---------------------------------------------------------------- recovery

const BROKEN: &str = r#"pipeline credit { version = "1.0.0" }

source loans: csv {
  path = "data/credit_data.csv"
  header true
}

param seed: int = 42

transform features = loans
  | filter(age >= 18 and)
  | drop(email)

split holdout = features { train = 0.8, test = 0.2 }

model scorer: logistic_regression {
  data = holdout.train
  hyper { max_iterations = 200
}

evaluate scorer on holdout.test { metrics = [accuracy] }
modle other: svm { c = 1 }

policy launch_bar {
  require scorer.accuracy >= 0.75 "accuracy below the bar
}

deploy api: kubernetes { image = "registry\example" }

env prod { api.replicas = 4 }
"#;

#[test]
fn every_broken_block_is_reported_in_one_run() {
    let mut parsed = parse(BROKEN, FileId(0));
    mlp::diagnostics::sort(&mut parsed.diagnostics);
    let lines: Vec<(usize, &str)> = parsed
        .diagnostics
        .iter()
        .map(|d| (line_of(BROKEN, d), d.code.0))
        .collect();
    // One diagnostic per broken block, each in its block, of its kind.
    assert_eq!(
        lines,
        vec![
            (5, codes::SYNTAX.0),
            (11, codes::SYNTAX.0),
            (16, codes::UNCLOSED_DELIMITER.0),
            (22, codes::EXPECTED_BLOCK.0),
            (25, codes::UNTERMINATED_STRING.0),
            (28, codes::INVALID_ESCAPE.0),
        ],
        "{:#?}",
        parsed.diagnostics
    );
    assert!(parsed.has_errors());
}

#[test]
fn valid_blocks_between_broken_ones_are_kept() {
    let parsed = parse(BROKEN, FileId(0));
    let kept: Vec<(String, Option<String>)> = parsed
        .file
        .items
        .iter()
        .map(|item| {
            let kind = match &item.kind {
                ItemKind::Error(_) => "error".to_string(),
                _ => item
                    .keyword()
                    .map(|k| k.as_str().to_string())
                    .unwrap_or_default(),
            };
            (kind, item.name().map(|n| n.name.clone()))
        })
        .collect();
    let named = |kind: &str, name: &str| (kind.to_string(), Some(name.to_string()));
    assert_eq!(
        kept,
        vec![
            named("pipeline", "credit"),
            // A field missing its `=` is reported, the block kept.
            named("source", "loans"),
            named("param", "seed"),
            named("error", "features"),
            named("split", "holdout"),
            named("error", "scorer"),
            ("evaluate".to_string(), None),
            named("error", "launch_bar"),
            named("error", "api"),
            named("env", "prod"),
        ]
    );
    let error = parsed
        .file
        .items
        .iter()
        .find_map(|i| match &i.kind {
            ItemKind::Error(e) => Some(e),
            _ => None,
        })
        .expect("an error item");
    assert_eq!(error.keyword, Some(BlockKeyword::Transform));
}

#[test]
fn a_misspelled_keyword_keeps_the_block_before_it() {
    let text = "pipeline p { version = \"1\" }\nmodle m: svm { c = 1 }\n";
    let parsed = parse(text, FileId(0));
    assert_eq!(codes_of(&parsed), vec![codes::EXPECTED_BLOCK.0]);
    assert!(matches!(parsed.file.items[0].kind, ItemKind::Pipeline(_)));
}

#[test]
fn duplicate_names_report_both_spans() {
    let text = "model a: svm { c = 1 }\nsplit a = d { train = 0.5 }\nenv a { x = 1 }\n\
                evaluate a on d.test\nevaluate a on d.test\n";
    let parsed = parse(text, FileId(0));
    assert_eq!(
        codes_of(&parsed),
        vec![codes::DUPLICATE_BLOCK.0, codes::DUPLICATE_BLOCK.0],
        "an env overlay has its own namespace: {:#?}",
        parsed.diagnostics
    );
    let first = &parsed.diagnostics[0];
    let spans: Vec<&str> = first.labels.iter().map(|l| &text[l.span.range()]).collect();
    assert_eq!(spans, vec!["a", "a"]);
    assert_eq!(first.labels[0].span.start, 29);
    assert_eq!(first.labels[1].span.start, 6);
}

// ---------------------------------------------------------------- shapes

#[test]
fn boolean_operators_bind_looser_than_comparisons() {
    assert_eq!(
        shape(&expr("a or b and not c == d")),
        "(a or (b and (not (c == d))))"
    );
    assert_eq!(shape(&expr("not a and b")), "((not a) and b)");
    assert_eq!(shape(&expr("a not in b")), "(a not in b)");
}

#[test]
fn in_takes_a_range() {
    assert_eq!(shape(&expr("x in 1..5")), "(x in (1..5))");
    assert_eq!(
        shape(&expr("age in 18..120 and x")),
        "((age in (18..120)) and x)"
    );
}

#[test]
fn arithmetic_has_the_usual_precedence() {
    assert_eq!(shape(&expr("-a.b(c)")), "(-a.b(c))");
    assert_eq!(
        shape(&expr("1 + 2 * 3 - 4 / 5 % 6")),
        "((1 + (2 * 3)) - ((4 / 5) % 6))"
    );
    assert_eq!(shape(&expr("(1 + 2) * 3")), "(<(1 + 2)> * 3)");
    assert_eq!(shape(&expr("a + 1..b * 2")), "((a + 1)..(b * 2))");
    assert_eq!(shape(&expr("f(x, n = 1).y.z()")), "f(x, n=1).y.z()");
    assert_eq!(shape(&expr("--a")), "(-(-a))");
}

#[test]
fn units_stay_on_their_numbers() {
    let cases = [
        ("200ms", "200", Some("ms"), NumberValue::Int(200)),
        ("512Mi", "512", Some("Mi"), NumberValue::Int(512)),
        ("70%", "70", Some("%"), NumberValue::Int(70)),
        ("5m", "5", Some("m"), NumberValue::Int(5)),
        ("500m", "500", Some("m"), NumberValue::Int(500)),
        ("1.5Gi", "1.5", Some("Gi"), NumberValue::Float(1.5)),
        ("10_000", "10_000", None, NumberValue::Int(10_000)),
        ("1.5e-3", "1.5e-3", None, NumberValue::Float(1.5e-3)),
    ];
    for (source, text, unit, value) in cases {
        let e = expr(source);
        let ExprKind::Number(n) = &e.kind else {
            panic!("{source}: not a number: {e:?}");
        };
        assert_eq!(n.text, text, "{source}");
        assert_eq!(n.unit.as_deref(), unit, "{source}");
        assert_eq!(n.value, value, "{source}");
        assert_eq!(
            e.span.len(),
            source.len(),
            "{source}: the span covers the unit"
        );
    }
    assert_eq!(shape(&expr("70% * 2")), "(70% * 2)");
    assert_eq!(shape(&expr("a % 2")), "(a % 2)");
}

#[test]
fn string_escapes_are_decoded() {
    let e = expr(r#""q\" b\\ n\n t\t r\r z\0 u\u{1F600} \u{e9}""#);
    assert_eq!(
        e.kind,
        ExprKind::Str("q\" b\\ n\n t\t r\r z\0 u\u{1F600} \u{e9}".to_string())
    );
    assert_eq!(shape(&expr(r#""""#)), r#""""#);
    let parsed = parse("param x: str = \"a\\u{110000}\"\n", FileId(0));
    assert_eq!(codes_of(&parsed), vec![codes::INVALID_ESCAPE.0]);
}

#[test]
fn doc_comments_attach_to_the_next_block() {
    let file = parse_ok(
        "/// Seed of every random choice.\n/// Change it to re-draw.\nparam seed: int = 1\n\n\
         /// Detached: a blank line follows.\n\nparam a: int\n\
         // plain comment\nparam b: int\n\
         /// Doc.\n// interrupted\nparam c: int\n\
         //// four slashes are a plain comment\nparam d: int\n",
    );
    let docs: Vec<Option<&str>> = file.items.iter().map(|i| i.doc.as_deref()).collect();
    assert_eq!(
        docs,
        vec![
            Some("Seed of every random choice.\nChange it to re-draw."),
            None,
            None,
            None,
            None
        ]
    );
    let kinds: Vec<CommentKind> = file.comments.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        vec![
            CommentKind::Doc,
            CommentKind::Doc,
            CommentKind::Doc,
            CommentKind::Line,
            CommentKind::Doc,
            CommentKind::Line,
            CommentKind::Line
        ]
    );
}

// ---------------------------------------------------------------- every block kind

/// Every construct of the grammar, once at least. It is syntactically valid
/// only: it names columns and modules that do not exist, so `check` rejects it.
const EVERYTHING: &str = "tests/fixtures/syntax/everything.mlp";

fn everything() -> File {
    let text = std::fs::read_to_string(root().join(EVERYTHING)).expect("the fixture exists");
    parse_ok(&text)
}

fn field_shape(body: &Body, name: &str) -> String {
    let field = body
        .field(name)
        .unwrap_or_else(|| panic!("no field `{name}`"));
    shape(&field.value)
}

#[test]
fn every_block_kind_is_parsed_with_its_fields() {
    let file = everything();
    let mut seen = Vec::new();
    for item in &file.items {
        seen.push(item.keyword().expect("no error items"));
        match &item.kind {
            ItemKind::Pipeline(p) => {
                assert_eq!(p.name.name, "credit");
                assert_eq!(field_shape(&p.body, "risk"), "high");
                assert_eq!(field_shape(&p.body, "retrain"), r#"cron("0 3 * * 1")"#);
                assert_eq!(
                    item.doc.as_deref(),
                    Some("The credit-scoring pipeline.\nDoc comments attach to the block below them.")
                );
            }
            ItemKind::Use(u) => match (&u.target, &u.alias) {
                (UseTarget::Module(path), None) => {
                    assert_eq!(path.dotted(), "std.policies.baseline");
                    assert_eq!(u.binding().map(|b| b.name.as_str()), Some("baseline"));
                }
                (UseTarget::Module(path), Some(alias)) => {
                    assert_eq!(
                        (path.dotted().as_str(), alias.name.as_str()),
                        ("std.metrics", "m")
                    );
                }
                (UseTarget::File(path), Some(alias)) => {
                    assert_eq!(
                        (path.value.as_str(), alias.name.as_str()),
                        ("./features.mlp", "feats")
                    );
                }
                other => panic!("unexpected use: {other:?}"),
            },
            ItemKind::Param(p) if p.name.name == "nested" => {
                let TypeKind::List(inner) = &p.ty.kind else {
                    panic!("not a list: {:?}", p.ty)
                };
                assert!(p.ty.nullable && inner.nullable);
                assert!(matches!(&inner.kind, TypeKind::List(i) if !i.nullable));
            }
            ItemKind::Param(p) if p.name.name == "verbose" => assert!(p.default.is_none()),
            ItemKind::Param(p) if p.name.name == "columns" => {
                assert_eq!(
                    p.default.as_ref().map(shape).as_deref(),
                    Some(r#"["age", "income"]"#)
                );
            }
            ItemKind::Param(_) => {}
            ItemKind::Source(s) => {
                assert_eq!(
                    (s.name.name.as_str(), s.format.name.as_str()),
                    ("loans", "csv")
                );
                assert_eq!(field_shape(&s.body, "null_values"), r#"["", "NA"]"#);
                assert_eq!(field_shape(&s.body, "on_bad_rows"), "error");
                let schema = s.body.schema().expect("a schema");
                let columns: Vec<(&str, bool, Vec<&str>)> = schema
                    .columns
                    .iter()
                    .map(|c| {
                        let tags = c.tags.iter().map(|t| t.name.as_str()).collect();
                        (c.name.name.as_str(), c.ty.nullable, tags)
                    })
                    .collect();
                assert_eq!(
                    columns,
                    vec![
                        ("id", false, vec!["id"]),
                        ("email", false, vec!["pii", "contact"]),
                        ("income", true, vec![]),
                        ("home", true, vec![]),
                        ("status", false, vec!["target"]),
                    ]
                );
                let TypeKind::Enum(variants) = &schema.columns[3].ty.kind else {
                    panic!("not an enum")
                };
                let variants: Vec<&str> = variants.iter().map(|v| v.value.as_str()).collect();
                assert_eq!(variants, vec!["owner", "rent"]);
                let expect = s.body.nested("expect").expect("an expect block");
                let conditions: Vec<String> = expect
                    .body
                    .entries
                    .iter()
                    .map(|e| match e {
                        Entry::Expr(e) => shape(e),
                        other => panic!("not a condition: {other:?}"),
                    })
                    .collect();
                assert_eq!(
                    conditions,
                    vec![
                        "(rows >= 100)",
                        "(nulls(income) <= 0.2)",
                        "(age in (18..120))",
                        "unique(id)",
                        r#"(status not in ["x"])"#,
                    ]
                );
            }
            ItemKind::Transform(t) => {
                assert_eq!(
                    (t.name.name.as_str(), t.input.dotted().as_str()),
                    ("features", "loans")
                );
                let steps: Vec<&str> = t.steps.iter().map(|s| s.name.name.as_str()).collect();
                assert_eq!(
                    steps,
                    vec![
                        "drop",
                        "filter",
                        "derive",
                        "rename",
                        "cast",
                        "impute",
                        "one_hot",
                        "standardize",
                        "clip",
                        "bucketize",
                        "dedupe",
                        "join",
                        "sample"
                    ]
                );
                let dedupe = &t.steps[10];
                assert!(dedupe.args.is_none(), "`| dedupe` has no argument list");
                let derive = t.steps[2].args.as_ref().expect("derive has arguments");
                let named: Vec<String> = derive
                    .iter()
                    .map(|a| {
                        format!(
                            "{}={}",
                            a.name.as_ref().map_or("", |n| n.name.as_str()),
                            shape(&a.value)
                        )
                    })
                    .collect();
                assert_eq!(
                    named,
                    vec![
                        "ratio=(debt / income)",
                        "log_income=log(income)",
                        "total=((a + b) - ((c * d) % 2))",
                        "neg=(-x)",
                    ]
                );
                let filter = &t.steps[1].args.as_ref().expect("filter has arguments")[0];
                assert_eq!(
                    shape(&filter.value),
                    "(((age >= 18) and (income > 0)) or (not <(debt != 0)>))"
                );
            }
            ItemKind::Split(s) => {
                assert_eq!(
                    (s.name.name.as_str(), s.input.dotted().as_str()),
                    ("holdout", "features")
                );
                assert_eq!(field_shape(&s.body, "stratify"), "status");
            }
            ItemKind::Model(m) => {
                assert_eq!(
                    (m.name.name.as_str(), m.algorithm.name.as_str()),
                    ("scorer", "logistic_regression")
                );
                assert_eq!(field_shape(&m.body, "data"), "holdout.train");
                assert_eq!(field_shape(&m.body, "features"), "all_except(id, status)");
                assert_eq!(
                    field_shape(&m.body, "options"),
                    r#"{verbose=false, tags=["a", "b"]}"#
                );
                let hyper = m.body.nested("hyper").expect("a hyper record");
                assert_eq!(field_shape(&hyper.body, "l2"), "0.1");
            }
            ItemKind::Evaluate(e) => {
                assert_eq!(e.model.dotted(), "scorer");
                if let Some(body) = &e.body {
                    assert_eq!(e.data.dotted(), "holdout.test");
                    assert_eq!(
                        field_shape(body, "metrics"),
                        "[accuracy, f1, roc_auc, confusion_matrix]"
                    );
                } else {
                    assert_eq!(e.data.dotted(), "holdout.train");
                }
            }
            ItemKind::Policy(p) => {
                assert_eq!(field_shape(&p.body, "severity"), "error");
                let rules: Vec<String> = p
                    .body
                    .entries
                    .iter()
                    .filter_map(|e| match e {
                        Entry::Rule(r) => Some(r),
                        _ => None,
                    })
                    .map(|r| {
                        let message = r.message.as_ref().map_or("-", |m| m.value.as_str());
                        match &r.kind {
                            RuleKind::Require(c) => format!("require {} / {message}", shape(c)),
                            RuleKind::Deny(c) => format!("deny {} / {message}", shape(c)),
                            RuleKind::Approval { target, when } => format!(
                                "approval {} when {} / {message}",
                                target.dotted(),
                                when.as_ref().map_or("-".into(), shape)
                            ),
                        }
                    })
                    .collect();
                assert_eq!(
                    rules,
                    vec![
                        "require (scorer.accuracy >= 0.75) / accuracy below the launch bar",
                        "require (scorer.f1 > 0.5) / -",
                        "deny (pii in scorer.features) / no PII in features",
                        "approval deploy.scoring_api when (risk >= high) / -",
                        "approval deploy.scoring_api when - / someone signs off",
                        "approval deploy.scoring_api when (risk >= high) / both",
                    ]
                );
            }
            ItemKind::Deploy(d) => {
                assert_eq!(
                    (d.name.name.as_str(), d.target.name.as_str()),
                    ("scoring_api", "kubernetes")
                );
                assert_eq!(field_shape(&d.body, "port"), "8080");
                assert_eq!(
                    field_shape(&d.body, "gates"),
                    "[launch_bar, baseline.production]"
                );
                let resources = d.body.nested("resources").expect("resources");
                assert_eq!(field_shape(&resources.body, "memory"), "512Mi");
                let monitor = d.body.nested("monitor").expect("monitor");
                let first = match &monitor.body.entries[0] {
                    Entry::Expr(e) => shape(e),
                    other => panic!("not a condition: {other:?}"),
                };
                assert_eq!(first, "(latency_p99 < 200ms)");
            }
            ItemKind::Env(e) => {
                let paths: Vec<String> = e.body.fields().map(|f| f.path.dotted()).collect();
                assert_eq!(
                    paths,
                    vec!["scoring_api.replicas", "scoring_api.resources.cpu"]
                );
            }
            ItemKind::Catalog(c) => {
                assert_eq!(c.name.name, "metrics");
                let accuracy = c.body.nested("accuracy").expect("an entry");
                assert_eq!(field_shape(&accuracy.body, "better"), "higher");
            }
            ItemKind::Error(e) => panic!("error item {e:?}"),
        }
    }
    seen.sort_by_key(|k| k.as_str());
    seen.dedup();
    assert_eq!(
        seen.len(),
        BlockKeyword::ALL.len(),
        "every block kind: {seen:?}"
    );
    assert_eq!(
        file.comments
            .iter()
            .filter(|c| c.kind == CommentKind::Block)
            .count(),
        1
    );
}

#[test]
fn spans_point_at_their_text() {
    let text = std::fs::read_to_string(root().join(EVERYTHING)).expect("the fixture exists");
    let file = parse_ok(&text);
    for item in &file.items {
        let item_text = &text[item.span.range()];
        let keyword = item.keyword().expect("a keyword").as_str();
        assert!(item_text.starts_with(keyword), "{item_text:?}");
        if let Some(name) = item.name() {
            assert_eq!(&text[name.span.range()], name.name);
        }
    }
    for comment in &file.comments {
        assert_eq!(&text[comment.span.range()], comment.text);
    }
}

// ---------------------------------------------------------------- the command line

fn valid_fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("tests/fixtures/valid"))
        .expect("the valid fixtures exist")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "mlp"))
        .collect();
    files.sort();
    files
}

#[test]
fn valid_fixtures_check_without_errors() {
    let files = valid_fixtures();
    assert!(!files.is_empty());
    for path in files {
        let path = path.to_str().expect("a UTF-8 path");
        let out = mlp(&["check", path], true);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn check_walks_a_folder() {
    let valid = mlp(&["check", "tests/fixtures/valid"], true);
    assert_eq!(
        valid.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&valid.stderr)
    );

    let dir = scratch("folder");
    std::fs::create_dir_all(dir.join("sub")).expect("a sub folder");
    std::fs::write(dir.join("a.mlp"), "param a: int = 1\n").expect("written");
    std::fs::write(dir.join("sub/b.mlp"), "param b: int = \n").expect("written");
    std::fs::write(dir.join("notes.txt"), "param c = = =\n").expect("written");
    let out = mlp(
        &["check", dir.to_str().expect("UTF-8"), "--format", "json"],
        true,
    );
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let files: Vec<&str> = json
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|d| d["file"].as_str())
        .collect();
    assert_eq!(files.len(), 1, "only the broken .mlp file: {json}");
    assert!(files[0].ends_with("b.mlp"), "{files:?}");

    let empty = scratch("empty");
    let out = mlp(&["check", empty.to_str().expect("UTF-8")], true);
    assert_eq!(out.status.code(), Some(2), "a folder without .mlp files");
}

#[test]
fn missing_and_non_utf8_files_exit_2() {
    let missing = mlp(&["check", "tests/fixtures/valid/no-such-file.mlp"], true);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such-file.mlp"));

    let dir = scratch("utf8");
    let path = dir.join("latin1.mlp");
    std::fs::write(&path, b"param caf\xe9: int = 1\n").expect("written");
    let out = mlp(&["check", path.to_str().expect("UTF-8")], true);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("UTF-8"));

    let usage = mlp(&["check"], true);
    assert_eq!(usage.status.code(), Some(2), "no path is a usage error");
}

#[test]
fn json_diagnostics_have_the_documented_fields() {
    let out = mlp(
        &[
            "check",
            "tests/fixtures/errors/MLP0002-unterminated-string.mlp",
            "--format",
            "json",
        ],
        true,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.is_empty(), "JSON goes to stdout alone");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let first = &json[0];
    assert_eq!(first["code"], "MLP0002");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["message"], "this string is never closed");
    assert_eq!(
        first["file"],
        "tests/fixtures/errors/MLP0002-unterminated-string.mlp"
    );
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(3), Some(13))
    );
    assert_eq!(
        (
            first["end"]["line"].as_u64(),
            first["end"]["column"].as_u64()
        ),
        (Some(3), Some(19))
    );
    assert!(first["help"].as_str().is_some_and(|h| h.contains('"')));
    assert_eq!(json.as_array().map(Vec::len), Some(1));

    let clean = mlp(&["check", "tests/fixtures/valid", "--format", "json"], true);
    assert_eq!(clean.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&clean.stdout).expect("JSON");
    let severities: Vec<&str> = json
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|d| d["severity"].as_str())
        .collect();
    assert!(!severities.contains(&"error"), "{json}");
}

#[test]
fn no_colour_without_a_terminal_or_with_no_color() {
    let fixture = "tests/fixtures/errors/MLP0001-missing-equals.mlp";
    for no_color in [true, false] {
        // The test harness pipes stderr: it is never a terminal here.
        let out = mlp(&["check", fixture], no_color);
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("MLP0001"));
        assert!(
            !stderr.contains('\u{1b}'),
            "ANSI escapes (NO_COLOR set: {no_color})"
        );
    }
}

/// Chunks are parsed in parallel: the tree and the diagnostics, in file
/// order, must not depend on how many threads did the work. The input mixes
/// every example and every broken fixture (lexical errors, broken blocks,
/// duplicates), repeated so that it spans many parallel batches.
#[test]
fn parsing_in_parallel_gives_the_sequential_result() {
    let mut text = String::new();
    for dir in [
        "examples/credit",
        "examples/penguins",
        "tests/fixtures/errors",
    ] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .expect("fixture folder")
            .map(|entry| entry.expect("a readable entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "mlp"))
            .collect();
        files.sort();
        for file in files {
            let fixture = std::fs::read_to_string(file).expect("a readable fixture") + "\n";
            // An unterminated comment swallows the rest of the file, so
            // every later block would be lost: such fixtures are left out.
            let probe = parse(&format!("{fixture}param probe: int = 1\n"), FileId(0));
            if probe
                .file
                .items
                .last()
                .and_then(Item::name)
                .map(|n| n.name.as_str())
                == Some("probe")
            {
                text.push_str(&fixture);
            }
        }
    }
    let text = text.repeat(8);
    let with_threads = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool")
            .install(|| parse(&text, FileId(0)))
    };
    let sequential = with_threads(1);
    assert!(
        sequential.file.items.len() > 500,
        "the input spans many batches: {} items",
        sequential.file.items.len()
    );
    assert!(
        sequential.has_errors(),
        "the broken fixtures are in the input"
    );
    for threads in [2, 4] {
        let parallel = with_threads(threads);
        assert_eq!(parallel.file, sequential.file, "{threads} threads");
        assert_eq!(
            parallel.diagnostics, sequential.diagnostics,
            "{threads} threads"
        );
    }
}
