//! Transform operations and splits on polars frames: every operation the
//! checker accepts runs, its result has the checker's schema, fitted state
//! is learned on training rows only, and splits and samples are seeded.
//!
//! Expected values of the fitted scalers come from scikit-learn 1.9.1
//! (the script is next to each test).

use mlp::check::types::{ColumnType, Schema, Value};
use mlp::check::BlockInfo;
use mlp::exec::ops::{self, FitState, OpError, StepCtx};
use mlp::exec::split::{sample_rows, split_ordered, split_rows, take_rows};
use mlp::source::FileId;
use mlp::syntax::{self, ast};
use polars::prelude::*;
use std::collections::BTreeMap;

mod common;
use common::{all_diagnostics, check_text};

/// A transform chain as the checker sees it: each step's AST and the
/// schemas before and after it.
struct Chain {
    steps: Vec<ast::OpCall>,
    schemas: Vec<Schema>,
    params: BTreeMap<String, Value>,
}

impl Chain {
    /// Checks `text` (no error allowed) and takes the transform `name`.
    fn new(text: &str, name: &str) -> Chain {
        let (resolved, checked) = check_text(text);
        let errors: Vec<String> = all_diagnostics(&resolved, &checked)
            .filter(|d| d.severity == mlp::diagnostics::Severity::Error)
            .map(|d| format!("{}: {}", d.code.0, d.message))
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        let program = checked.program;
        let Some(BlockInfo::Transform(t)) = program.by_name(name).map(|b| &b.info) else {
            panic!("no transform {name}")
        };
        let input = program
            .table_schema(&t.input.block)
            .expect("input schema")
            .clone();
        let mut schemas = vec![input];
        schemas.extend(t.steps.iter().map(|s| s.schema.clone()));
        let parsed = syntax::parse(text, FileId(0));
        let steps = parsed
            .file
            .items
            .iter()
            .find_map(|i| match &i.kind {
                ast::ItemKind::Transform(d) if d.name.name == name => Some(d.steps.clone()),
                _ => None,
            })
            .expect("transform in the AST");
        assert_eq!(steps.len(), t.steps.len());
        let params = program
            .params
            .iter()
            .filter_map(|p| Some((p.name.clone(), p.value.clone()?)))
            .collect();
        Chain {
            steps,
            schemas,
            params,
        }
    }

    fn ctx(&self, i: usize) -> StepCtx<'_> {
        StepCtx {
            op: &self.steps[i],
            input: &self.schemas[i],
            output: &self.schemas[i + 1],
            params: &self.params,
            carry: &[],
        }
    }

    fn output(&self) -> &Schema {
        self.schemas.last().expect("schemas")
    }

    /// Fits every step on the training rows as they reach it, applies it to
    /// both frames, and checks both results against the checker's schema.
    fn run_with(
        &self,
        train: DataFrame,
        test: DataFrame,
        tables: &dyn Fn(&str) -> Option<LazyFrame>,
    ) -> Result<(DataFrame, DataFrame, Vec<FitState>), OpError> {
        let (mut train, mut test) = (train, test);
        let mut states = Vec::new();
        for i in 0..self.steps.len() {
            let ctx = self.ctx(i);
            let state = ops::fit(&ctx, &train)?;
            assert_eq!(
                ops::is_fitted(ctx.op),
                !matches!(state, FitState::Unfitted),
                "step {i}"
            );
            train = ops::apply(&ctx, &state, train.lazy(), tables)?
                .collect()
                .map_err(|e| OpError::new("collect", e.to_string()))?;
            test = ops::apply(&ctx, &state, test.lazy(), tables)?
                .collect()
                .map_err(|e| OpError::new("collect", e.to_string()))?;
            assert_schema(&train, ctx.output);
            assert_schema(&test, ctx.output);
            states.push(state);
        }
        Ok((train, test, states))
    }

    fn run(&self, frame: DataFrame) -> DataFrame {
        let (out, _, _) = self
            .run_with(frame.clone(), frame, &|_| None)
            .expect("the chain runs");
        out
    }
}

/// Names, order and dtypes are the checker's; non-nullable columns have no null.
fn assert_schema(frame: &DataFrame, schema: &Schema) {
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let expected: Vec<String> = schema.names().map(String::from).collect();
    assert_eq!(names, expected);
    for c in &schema.columns {
        let column = frame.column(&c.name).expect("column");
        assert_eq!(column.dtype(), &ops::dtype(&c.ty), "dtype of {}", c.name);
        if !c.nullable {
            assert_eq!(column.null_count(), 0, "nulls in non-nullable {}", c.name);
        }
    }
}

fn f64s(frame: &DataFrame, name: &str) -> Vec<Option<f64>> {
    frame
        .column(name)
        .expect("column")
        .f64()
        .expect("f64")
        .iter()
        .collect()
}

fn i64s(frame: &DataFrame, name: &str) -> Vec<Option<i64>> {
    frame
        .column(name)
        .expect("column")
        .i64()
        .expect("i64")
        .iter()
        .collect()
}

fn strs(frame: &DataFrame, name: &str) -> Vec<Option<String>> {
    frame
        .column(name)
        .expect("column")
        .str()
        .expect("str")
        .iter()
        .map(|s| s.map(String::from))
        .collect()
}

fn bools(frame: &DataFrame, name: &str) -> Vec<Option<bool>> {
    frame
        .column(name)
        .expect("column")
        .bool()
        .expect("bool")
        .iter()
        .collect()
}

fn close(actual: &[Option<f64>], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
    for (a, e) in actual.iter().zip(expected) {
        let a = a.expect("no null");
        assert!((a - e).abs() < 1e-12, "{actual:?} vs {expected:?}");
    }
}

const PEOPLE: &str = r#"
param limit: int = 3
param label: str = "Cy"
source people: csv {
  path = "people.csv"
  schema {
    id:    int @id
    name:  str @pii
    age:   int
    score: float?
    kind:  enum("a", "b", "c d")
    ok:    bool
    seen:  datetime
  }
}
transform t = people
"#;

const SEEN_1: i64 = 1_710_498_600_000_000; // 2024-03-15T10:30:00
const SEEN_2: i64 = 946_598_400_000_000; // 1999-12-31T00:00:00

fn people() -> DataFrame {
    let seen = Series::new("seen".into(), [SEEN_1, SEEN_2, SEEN_1, SEEN_2])
        .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
        .expect("datetime");
    DataFrame::new_infer_height(vec![
        Column::new("id".into(), [1i64, 2, 3, 4]),
        Column::new("name".into(), ["Ann", "bob", "Cy", "dana"]),
        Column::new("age".into(), [30i64, 17, 45, -7]),
        Column::new("score".into(), [Some(2.0), None, Some(0.5), Some(-1.5)]),
        Column::new("kind".into(), ["a", "b", "a", "c d"]),
        Column::new("ok".into(), [true, false, true, true]),
        seen.into(),
    ])
    .expect("frame")
}

fn people_chain(steps: &str) -> Chain {
    Chain::new(&format!("{PEOPLE}  {steps}\n"), "t")
}

#[test]
fn select_drop_rename() {
    let out =
        people_chain("| select(kind, id, age) | drop(age) | rename(ident = id)").run(people());
    assert_eq!(out.get_column_names(), ["kind", "ident"]);
    assert_eq!(i64s(&out, "ident"), [Some(1), Some(2), Some(3), Some(4)]);
}

#[test]
fn rename_pairs_apply_in_order() {
    let out = people_chain("| rename(years = age, age = id)").run(people());
    assert_eq!(
        i64s(&out, "years"),
        [Some(30), Some(17), Some(45), Some(-7)]
    );
    assert_eq!(i64s(&out, "age"), [Some(1), Some(2), Some(3), Some(4)]);
}

#[test]
fn filter_with_every_operator() {
    let ids = |steps: &str| {
        let out = people_chain(steps).run(people());
        i64s(&out, "id").into_iter().flatten().collect::<Vec<_>>()
    };
    assert_eq!(ids("| filter(age >= 18 and ok)"), [1, 3]);
    assert_eq!(ids("| filter(age < 18 or kind == \"a\")"), [1, 2, 3, 4]);
    assert_eq!(ids("| filter(not ok)"), [2]);
    assert_eq!(ids("| filter(kind != \"a\")"), [2, 4]);
    assert_eq!(ids("| filter(age > 17 and age <= 45)"), [1, 3]);
    // A row where the condition reads a null is dropped.
    assert_eq!(ids("| filter(score > 0)"), [1, 3]);
    assert_eq!(ids("| filter(not (score > 0))"), [4]);
    assert_eq!(ids("| filter(age in 17..30)"), [1, 2]);
    assert_eq!(ids("| filter(age in -10..0)"), [4]);
    assert_eq!(ids("| filter(kind in [\"b\", \"c d\"])"), [2, 4]);
    assert_eq!(ids("| filter(kind not in [\"b\", \"c d\"])"), [1, 3]);
    assert_eq!(ids("| filter(id in [1, 4, age])"), [1, 4]);
    // Names that are not columns are params.
    assert_eq!(ids("| filter(id < limit)"), [1, 2]);
    assert_eq!(ids("| filter(name == label)"), [3]);
    assert_eq!(ids("| filter(-age > 0)"), [4]);
    assert_eq!(ids("| filter(age % 2 == 1)"), [2, 3, 4]);
    assert_eq!(ids("| filter(is_null(score))"), [2]);
    assert_eq!(ids("| filter(coalesce(score, 9.0) > 5)"), [2]);
    assert_eq!(
        ids("| filter(lower(name) == \"ann\" or upper(name) == \"BOB\")"),
        [1, 2]
    );
    assert_eq!(ids("| filter(len(name) == 2)"), [3]);
    assert_eq!(
        ids("| filter(year(seen) == 2024 and month(seen) == 3 and day(seen) == 15)"),
        [1, 3]
    );
    assert_eq!(ids("| filter(abs(age) < 10)"), [4]);
    assert_eq!(ids("| filter(abs(round(score)) == 2.0)"), [1, 4]);
    // Half away from zero: 0.5 rounds to 1.
    assert_eq!(ids("| filter(round(score) == 1.0)"), [3]);
    assert_eq!(
        ids("| filter(sqrt(id) > 1.5 and exp(0) == 1 and log(id) > 1)"),
        [3, 4]
    );
}

#[test]
fn derive_with_every_function() {
    let chain = people_chain(
        "| derive(
            sum = id + age, diff = age - id, prod = id * age, ratio = age / id, rem = age % 3,
            ln = log(id), ex = exp(id), root = sqrt(id), mag = abs(age), rounded = round(score),
            int_round = round(age), missing = is_null(score), filled = coalesce(score, 0),
            low = lower(name), up = upper(name), chars = len(name),
            y = year(seen), m = month(seen), d = day(seen),
            adult = age >= 18, twice = sum * 2, bounded = id in 2..3, neg = -score, lim = limit
          )",
    );
    let out = chain.run(people());
    assert_eq!(i64s(&out, "sum"), [Some(31), Some(19), Some(48), Some(-3)]);
    assert_eq!(
        i64s(&out, "diff"),
        [Some(29), Some(15), Some(42), Some(-11)]
    );
    assert_eq!(
        i64s(&out, "prod"),
        [Some(30), Some(34), Some(135), Some(-28)]
    );
    close(&f64s(&out, "ratio"), &[30.0, 8.5, 15.0, -1.75]);
    // `%` is polars' remainder: the sign follows the divisor (as in Python).
    assert_eq!(i64s(&out, "rem"), [Some(0), Some(2), Some(0), Some(2)]);
    close(
        &f64s(&out, "ln"),
        &[
            0.0,
            std::f64::consts::LN_2,
            1.0986122886681098,
            1.3862943611198906,
        ],
    );
    close(&f64s(&out, "ex")[..1], &[std::f64::consts::E]);
    close(&f64s(&out, "root")[1..2], &[std::f64::consts::SQRT_2]);
    assert_eq!(i64s(&out, "mag"), [Some(30), Some(17), Some(45), Some(7)]);
    // Half away from zero; the null stays null.
    assert_eq!(
        f64s(&out, "rounded"),
        [Some(2.0), None, Some(1.0), Some(-2.0)]
    );
    assert_eq!(
        i64s(&out, "int_round"),
        [Some(30), Some(17), Some(45), Some(-7)]
    );
    assert_eq!(
        bools(&out, "missing"),
        [Some(false), Some(true), Some(false), Some(false)]
    );
    assert_eq!(
        f64s(&out, "filled"),
        [Some(2.0), Some(0.0), Some(0.5), Some(-1.5)]
    );
    assert_eq!(
        strs(&out, "low"),
        ["ann", "bob", "cy", "dana"].map(|s| Some(s.to_string()))
    );
    assert_eq!(
        strs(&out, "up"),
        ["ANN", "BOB", "CY", "DANA"].map(|s| Some(s.to_string()))
    );
    assert_eq!(i64s(&out, "chars"), [Some(3), Some(3), Some(2), Some(4)]);
    assert_eq!(
        i64s(&out, "y"),
        [Some(2024), Some(1999), Some(2024), Some(1999)]
    );
    assert_eq!(i64s(&out, "m"), [Some(3), Some(12), Some(3), Some(12)]);
    assert_eq!(i64s(&out, "d"), [Some(15), Some(31), Some(15), Some(31)]);
    assert_eq!(
        bools(&out, "adult"),
        [Some(true), Some(false), Some(true), Some(false)]
    );
    assert_eq!(
        i64s(&out, "twice"),
        [Some(62), Some(38), Some(96), Some(-6)]
    );
    assert_eq!(
        bools(&out, "bounded"),
        [Some(false), Some(true), Some(true), Some(false)]
    );
    assert_eq!(f64s(&out, "neg"), [Some(-2.0), None, Some(-0.5), Some(1.5)]);
    assert_eq!(i64s(&out, "lim"), [Some(3); 4]);
}

#[test]
fn coalesce_takes_the_type_of_its_first_argument() {
    let out = people_chain("| derive(x = coalesce(age, 2.5))").run(people());
    assert_eq!(i64s(&out, "x"), [Some(30), Some(17), Some(45), Some(-7)]);
}

#[test]
fn cast_between_types() {
    let out = people_chain(
        "| cast(age, float) | cast(id, str) | cast(ok, int) | cast(kind, str) | cast(score, int)",
    )
    .run(people());
    close(&f64s(&out, "age"), &[30.0, 17.0, 45.0, -7.0]);
    assert_eq!(
        strs(&out, "id"),
        ["1", "2", "3", "4"].map(|s| Some(s.to_string()))
    );
    assert_eq!(i64s(&out, "ok"), [Some(1), Some(0), Some(1), Some(1)]);
    // Float to int truncates toward zero; the null stays null.
    assert_eq!(i64s(&out, "score"), [Some(2), None, Some(0), Some(-1)]);

    let back = people_chain(
        "| cast(id, str) | cast(id, int) | cast(age, bool) | cast(ok, str) | cast(ok, bool)",
    )
    .run(people());
    assert_eq!(i64s(&back, "id"), [Some(1), Some(2), Some(3), Some(4)]);
    assert_eq!(bools(&back, "age"), [Some(true); 4]);
    assert_eq!(
        bools(&back, "ok"),
        [Some(true), Some(false), Some(true), Some(true)]
    );
}

#[test]
fn a_cast_that_does_not_convert_fails_the_run() {
    let chain = people_chain("| cast(name, int)");
    let ctx = chain.ctx(0);
    let plan = ops::apply(&ctx, &FitState::Unfitted, people().lazy(), &|_| None).expect("plan");
    assert!(plan.collect().is_err());
}

const MISSING: &str = r#"
source raw: csv {
  path = "raw.csv"
  schema {
    x:    float?
    n:    int?
    home: enum("own", "rent", "other")?
    flag: bool?
  }
}
transform t = raw
"#;

fn missing_train() -> DataFrame {
    DataFrame::new_infer_height(vec![
        Column::new("x".into(), [Some(1.0), None, Some(3.0), Some(10.0), None]),
        Column::new("n".into(), [Some(1i64), Some(2), None, Some(2), Some(4)]),
        Column::new(
            "home".into(),
            [Some("rent"), None, Some("own"), Some("rent"), Some("own")],
        ),
        Column::new(
            "flag".into(),
            [Some(true), None, Some(false), Some(false), Some(true)],
        ),
    ])
    .expect("frame")
}

fn missing_test() -> DataFrame {
    DataFrame::new_infer_height(vec![
        Column::new("x".into(), [None, Some(5.0)]),
        Column::new("n".into(), [None, Some(7i64)]),
        Column::new("home".into(), [None::<&str>, None]),
        Column::new("flag".into(), [None, Some(true)]),
    ])
    .expect("frame")
}

fn impute(steps: &str) -> (DataFrame, DataFrame, Vec<FitState>) {
    Chain::new(&format!("{MISSING}  {steps}\n"), "t")
        .run_with(missing_train(), missing_test(), &|_| None)
        .expect("runs")
}

#[test]
fn impute_mean_median_mode_constant() {
    // SimpleImputer(strategy=s).fit([[1], [nan], [3], [10], [nan]]).statistics_:
    // mean 4.666666666666667, median 3.0, most_frequent 1.0 (ties: smallest).
    let (train, test, states) = impute("| impute(x, n, strategy = mean)");
    close(
        &f64s(&train, "x"),
        &[1.0, 14.0 / 3.0, 3.0, 10.0, 14.0 / 3.0],
    );
    // An int column stays int: its mean 2.25 is rounded.
    assert_eq!(
        i64s(&train, "n"),
        [Some(1), Some(2), Some(2), Some(2), Some(4)]
    );
    // The test rows get the training statistics.
    close(&f64s(&test, "x"), &[14.0 / 3.0, 5.0]);
    assert_eq!(i64s(&test, "n"), [Some(2), Some(7)]);
    assert!(matches!(&states[0], FitState::Impute { columns } if columns.len() == 2));

    let (train, test, _) = impute("| impute(x, n, strategy = median)");
    close(&f64s(&train, "x"), &[1.0, 3.0, 3.0, 10.0, 3.0]);
    assert_eq!(i64s(&test, "n"), [Some(2), Some(7)]);
    close(&f64s(&test, "x"), &[3.0, 5.0]);

    let (train, test, _) = impute("| impute(x, n, home, flag, strategy = mode)");
    close(&f64s(&train, "x"), &[1.0, 1.0, 3.0, 10.0, 1.0]);
    assert_eq!(
        i64s(&train, "n"),
        [Some(1), Some(2), Some(2), Some(2), Some(4)]
    );
    // "own" and "rent" both appear twice: the smallest wins.
    assert_eq!(
        strs(&test, "home"),
        [Some("own".to_string()), Some("own".to_string())]
    );
    assert_eq!(bools(&train, "flag")[1], Some(false));
    assert_eq!(bools(&test, "flag"), [Some(false), Some(true)]);

    let (train, test, states) = impute(
        "| impute(x, strategy = constant, value = -1) | impute(home, strategy = constant, value = \"other\") | impute(n, strategy = constant, value = 0)",
    );
    assert!(states.iter().all(|s| *s == FitState::Unfitted));
    close(&f64s(&train, "x"), &[1.0, -1.0, 3.0, 10.0, -1.0]);
    assert_eq!(
        strs(&test, "home"),
        [Some("other".to_string()), Some("other".to_string())]
    );
    assert_eq!(i64s(&test, "n"), [Some(0), Some(7)]);
}

#[test]
fn impute_with_no_training_value_is_an_error() {
    let chain = Chain::new(&format!("{MISSING}  | impute(x, strategy = median)\n"), "t");
    let empty = missing_train().head(Some(0));
    let err = ops::fit(&chain.ctx(0), &empty).expect_err("no rows");
    assert!(
        err.to_string().contains("impute") && err.to_string().contains("`x`"),
        "{err}"
    );
}

#[test]
fn impute_constant_outside_the_enum_is_an_error() {
    let chain = Chain::new(
        &format!("{MISSING}  | impute(home, strategy = constant, value = \"castle\")\n"),
        "t",
    );
    let err = ops::apply(
        &chain.ctx(0),
        &FitState::Unfitted,
        missing_train().lazy(),
        &|_| None,
    )
    .err()
    .expect("not a variant");
    assert!(err.message.contains("castle"), "{err}");
}

const SCALE: &str = r#"
source nums: csv {
  path = "nums.csv"
  schema { a: int, b: float, c: float, d: float, kind: enum("x", "y-z", "w") }
}
transform t = nums
"#;

fn scale_train() -> DataFrame {
    DataFrame::new_infer_height(vec![
        Column::new("a".into(), [1i64, 2, 4, 9]),
        Column::new("b".into(), [10.0, 20.0, 30.0, 60.0]),
        Column::new("c".into(), [5.0, 5.0, 5.0, 5.0]),
        Column::new("d".into(), [0.1, 0.1, 0.1, 0.1]),
        Column::new("kind".into(), ["x", "x", "w", "x"]),
    ])
    .expect("frame")
}

fn scale_test() -> DataFrame {
    DataFrame::new_infer_height(vec![
        Column::new("a".into(), [0i64, 10]),
        Column::new("b".into(), [25.0, -5.0]),
        Column::new("c".into(), [7.0, 5.0]),
        Column::new("d".into(), [0.1, 0.3]),
        Column::new("kind".into(), ["y-z", "w"]),
    ])
    .expect("frame")
}

fn scale(steps: &str) -> (DataFrame, DataFrame, Vec<FitState>) {
    Chain::new(&format!("{SCALE}  {steps}\n"), "t")
        .run_with(scale_train(), scale_test(), &|_| None)
        .expect("runs")
}

#[test]
fn standardize_matches_scikit_learn() {
    // X = [[1, 10, 5], [2, 20, 5], [4, 30, 5], [9, 60, 5]]; T = [[0, 25, 7], [10, -5, 5]]
    // s = StandardScaler().fit(X); s.transform(X), s.transform(T)
    let (train, test, states) = scale("| standardize(a, b, c, d)");
    close(
        &f64s(&train, "a"),
        &[
            -0.9733285267845753,
            -0.6488856845230502,
            0.0,
            1.6222142113076254,
        ],
    );
    close(
        &f64s(&train, "b"),
        &[
            -1.0690449676496976,
            -0.5345224838248488,
            0.0,
            1.6035674514745462,
        ],
    );
    // A constant column is centred, not divided by a zero std.
    close(&f64s(&train, "c"), &[0.0; 4]);
    close(&f64s(&train, "d"), &[0.0; 4]);
    close(
        &f64s(&test, "a"),
        &[-1.2977713690461004, 1.9466570535691505],
    );
    close(
        &f64s(&test, "b"),
        &[-0.2672612419124244, -1.8708286933869707],
    );
    close(&f64s(&test, "c"), &[2.0, 0.0]);
    let FitState::Standardize { columns } = &states[0] else {
        panic!("{:?}", states[0])
    };
    assert_eq!(columns[0].column, "a");
    assert!((columns[0].offset - 4.0).abs() < 1e-12);
    assert!((columns[0].scale - 3.082207001484488).abs() < 1e-12);
    assert_eq!(columns[2].scale, 1.0);
}

#[test]
fn min_max_matches_scikit_learn() {
    // m = MinMaxScaler().fit(X); m.transform(X), m.transform(T)
    let (train, test, _) = scale("| min_max(a, b, c)");
    close(&f64s(&train, "a"), &[0.0, 0.125, 0.375, 1.0]);
    close(&f64s(&train, "b"), &[0.0, 0.2, 0.4, 1.0]);
    close(&f64s(&train, "c"), &[0.0; 4]);
    close(&f64s(&test, "a"), &[-0.125, 1.125]);
    close(&f64s(&test, "b"), &[0.3, -0.3]);
    close(&f64s(&test, "c"), &[2.0, 0.0]);
}

#[test]
fn one_hot_uses_every_declared_variant() {
    // "y-z" never appears in the training rows: it still gets its column.
    let (train, test, states) = scale("| one_hot(kind)");
    assert_eq!(
        train.get_column_names(),
        ["a", "b", "c", "d", "kind_x", "kind_y_z", "kind_w"]
    );
    close(&f64s(&train, "kind_x"), &[1.0, 1.0, 0.0, 1.0]);
    close(&f64s(&train, "kind_y_z"), &[0.0; 4]);
    close(&f64s(&train, "kind_w"), &[0.0, 0.0, 1.0, 0.0]);
    close(&f64s(&test, "kind_y_z"), &[1.0, 0.0]);
    close(&f64s(&test, "kind_w"), &[0.0, 1.0]);
    let FitState::OneHot { columns } = &states[0] else {
        panic!("{:?}", states[0])
    };
    assert_eq!(columns[0].variants, ["x", "y-z", "w"]);
}

#[test]
fn one_hot_in_the_middle_keeps_the_position() {
    let chain = Chain::new(
        &format!("{SCALE}  | select(a, kind, b) | one_hot(kind)\n"),
        "t",
    );
    let out = chain.run(scale_train());
    assert_eq!(
        out.get_column_names(),
        ["a", "kind_x", "kind_y_z", "kind_w", "b"]
    );
}

#[test]
fn a_value_outside_the_vocabulary_is_all_zeros() {
    let chain = Chain::new(&format!("{SCALE}  | one_hot(kind)\n"), "t");
    let state = ops::fit(&chain.ctx(0), &scale_train()).expect("fit");
    let mut odd = scale_test();
    odd.replace("kind", Column::new("kind".into(), ["v", "x"]))
        .expect("replace");
    let out = ops::apply(&chain.ctx(0), &state, odd.lazy(), &|_| None)
        .expect("plan")
        .collect()
        .expect("runs");
    close(&f64s(&out, "kind_x"), &[0.0, 1.0]);
    close(&f64s(&out, "kind_w"), &[0.0, 0.0]);
}

#[test]
fn log_clip_bucketize() {
    let (train, _, _) = scale(
        "| log(b) | clip(a, lo = 2, hi = 5) | clip(c, hi = 4.5) | clip(d, lo = -0.5) | bucketize(a, bounds = [3, 5])",
    );
    close(
        &f64s(&train, "b"),
        &[11f64.ln(), 21f64.ln(), 31f64.ln(), 61f64.ln()],
    );
    // clip(a) gives 2, 2, 4, 5; the buckets are 0 below 3, 1 for 3..5, 2 from 5.
    assert_eq!(i64s(&train, "a"), [Some(0), Some(0), Some(1), Some(2)]);
    close(&f64s(&train, "c"), &[4.5; 4]);
    close(&f64s(&train, "d"), &[0.1; 4]);
}

#[test]
fn clip_an_int_column_with_fractional_bounds() {
    let (train, _, _) = scale("| clip(a, lo = 1.5, hi = 8.5)");
    assert_eq!(i64s(&train, "a"), [Some(2), Some(2), Some(4), Some(8)]);
}

#[test]
fn log_and_bucketize_keep_nulls() {
    let (train, _, _) = impute("| log(x) | bucketize(n, bounds = [-1.5, 2])");
    close(&f64s(&train, "x")[..1], &[2f64.ln()]);
    assert_eq!(f64s(&train, "x")[1], None);
    assert_eq!(
        i64s(&train, "n"),
        [Some(1), Some(2), None, Some(2), Some(2)]
    );
}

#[test]
fn dedupe_keeps_the_first_row_in_order() {
    let frame = DataFrame::new_infer_height(vec![
        Column::new("a".into(), [3i64, 1, 3, 2, 1, 3]),
        Column::new("b".into(), [1.0, 2.0, 1.0, 4.0, 5.0, 6.0]),
        Column::new("c".into(), [0.0; 6]),
        Column::new("d".into(), [0.0; 6]),
        Column::new("kind".into(), ["x"; 6]),
    ])
    .expect("frame");
    let keyed = Chain::new(&format!("{SCALE}  | dedupe(a)\n"), "t").run(frame.clone());
    assert_eq!(f64s(&keyed, "b"), [Some(1.0), Some(2.0), Some(4.0)]);
    let all = Chain::new(&format!("{SCALE}  | dedupe\n"), "t").run(frame.clone());
    assert_eq!(
        i64s(&all, "a"),
        [Some(3), Some(1), Some(2), Some(1), Some(3)]
    );
    let all = Chain::new(&format!("{SCALE}  | dedupe()\n"), "t").run(frame);
    assert_eq!(all.height(), 5);
}

const JOIN: &str = r#"
source loans: csv { path = "l.csv", schema { id: int, branch: int, amount: float } }
source branches: csv { path = "b.csv", schema { branch: int, city: str } }
transform t = loans | join(branches, on = [branch], how = HOW)
"#;

fn join(how: &str) -> DataFrame {
    let loans = DataFrame::new_infer_height(vec![
        Column::new("id".into(), [1i64, 2, 3, 4]),
        Column::new("branch".into(), [20i64, 10, 30, 20]),
        Column::new("amount".into(), [1.0, 2.0, 3.0, 4.0]),
    ])
    .expect("frame");
    let branches = DataFrame::new_infer_height(vec![
        Column::new("branch".into(), [10i64, 20]),
        Column::new("city".into(), ["Oslo", "Rome"]),
    ])
    .expect("frame");
    let chain = Chain::new(&JOIN.replace("HOW", how), "t");
    let tables = move |name: &str| (name == "branches").then(|| branches.clone().lazy());
    let (out, _, _) = chain
        .run_with(loans.clone(), loans, &tables)
        .expect("join runs");
    out
}

#[test]
fn join_inner_and_left_keep_the_left_order() {
    let inner = join("inner");
    assert_eq!(i64s(&inner, "id"), [Some(1), Some(2), Some(4)]);
    assert_eq!(
        strs(&inner, "city"),
        ["Rome", "Oslo", "Rome"].map(|s| Some(s.to_string()))
    );
    let left = join("left");
    assert_eq!(i64s(&left, "id"), [Some(1), Some(2), Some(3), Some(4)]);
    assert_eq!(
        strs(&left, "city"),
        [
            Some("Rome".to_string()),
            Some("Oslo".to_string()),
            None,
            Some("Rome".to_string())
        ]
    );
}

#[test]
fn join_with_a_missing_table_is_an_error() {
    let chain = Chain::new(&JOIN.replace("HOW", "left"), "t");
    let loans = DataFrame::new_infer_height(vec![
        Column::new("id".into(), [1i64]),
        Column::new("branch".into(), [20i64]),
        Column::new("amount".into(), [1.0]),
    ])
    .expect("frame");
    let err = ops::apply(&chain.ctx(0), &FitState::Unfitted, loans.lazy(), &|_| None)
        .err()
        .expect("no table");
    assert!(
        err.to_string().contains("`join`") && err.message.contains("branches"),
        "{err}"
    );
}

fn numbered(n: usize) -> DataFrame {
    let ids: Vec<i64> = (0..n as i64).collect();
    // Class "bad" is every fourth row: a quarter of the rows.
    let class: Vec<&str> = (0..n)
        .map(|i| if i % 4 == 0 { "bad" } else { "good" })
        .collect();
    DataFrame::new_infer_height(vec![
        Column::new("id".into(), ids),
        Column::new("class".into(), class),
    ])
    .expect("frame")
}

fn ids(frame: &DataFrame) -> Vec<i64> {
    i64s(frame, "id").into_iter().flatten().collect()
}

/// The parts of a split as the run holds them: its rows taken from the input.
fn split(
    frame: &DataFrame,
    parts: &[(String, f64)],
    seed: u64,
    stratify: Option<&str>,
) -> Result<Vec<(String, DataFrame)>, OpError> {
    split_rows(frame, parts, seed, stratify, None)?
        .into_iter()
        .map(|(name, rows)| Ok((name, take_rows(frame, &rows)?)))
        .collect()
}

fn parts(frame: &DataFrame, seed: u64, stratify: Option<&str>) -> Vec<(String, DataFrame)> {
    let fractions = [
        ("train".to_string(), 0.7),
        ("test".to_string(), 0.2),
        ("validation".to_string(), 0.1),
    ];
    split(frame, &fractions, seed, stratify).expect("split")
}

#[test]
fn split_sizes_cover_every_row_once_in_order() {
    let frame = numbered(103);
    let out = parts(&frame, 42, None);
    let sizes: Vec<usize> = out.iter().map(|(_, p)| p.height()).collect();
    // 72.1, 20.6, 10.3: the floors 72, 20, 10, and the leftover row to the largest remainder.
    assert_eq!(sizes, [72, 21, 10]);
    let mut all = Vec::new();
    for (_, part) in &out {
        let ids = ids(part);
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "row order is kept");
        all.extend(ids);
    }
    all.sort_unstable();
    assert_eq!(all, (0..103).collect::<Vec<_>>());
    assert_eq!(out[0].0, "train");
}

#[test]
fn split_is_deterministic_for_a_seed() {
    let frame = numbered(200);
    let a = parts(&frame, 7, Some("class"));
    let b = parts(&frame, 7, Some("class"));
    let c = parts(&frame, 8, Some("class"));
    for i in 0..3 {
        assert_eq!(ids(&a[i].1), ids(&b[i].1));
    }
    assert_ne!(ids(&a[0].1), ids(&c[0].1));
    assert_ne!(
        ids(&parts(&frame, 7, None)[1].1),
        ids(&parts(&frame, 8, None)[1].1)
    );
}

#[test]
fn stratified_split_keeps_each_class_proportion() {
    let frame = numbered(200); // 50 bad, 150 good
    let out = parts(&frame, 3, Some("class"));
    let bad = |p: &DataFrame| {
        strs(p, "class")
            .iter()
            .filter(|c| c.as_deref() == Some("bad"))
            .count()
    };
    let counts: Vec<(usize, usize)> = out.iter().map(|(_, p)| (bad(p), p.height())).collect();
    // 50 bad: 35, 10, 5; 150 good: 105, 30, 15.
    assert_eq!(counts, [(35, 140), (10, 40), (5, 20)]);
}

#[test]
fn stratified_leftovers_even_out_across_classes() {
    // Three classes of 3 rows, split 0.5 / 0.5: each class leaves one row
    // over, and they must not all go to the first part.
    let frame = DataFrame::new_infer_height(vec![
        Column::new("id".into(), (0..9i64).collect::<Vec<_>>()),
        Column::new(
            "class".into(),
            ["a", "b", "c", "a", "b", "c", "a", "b", "c"],
        ),
    ])
    .expect("frame");
    let halves = [("train".to_string(), 0.5), ("test".to_string(), 0.5)];
    let out = split(&frame, &halves, 1, Some("class")).expect("split");
    assert_eq!(out[0].1.height(), 5);
    assert_eq!(out[1].1.height(), 4);
}

#[test]
fn split_errors() {
    let frame = numbered(10);
    let bad = [("train".to_string(), 0.5), ("test".to_string(), 0.4)];
    let err = split(&frame, &bad, 0, None).expect_err("sum");
    assert!(err.to_string().contains("split"), "{err}");
    let ok = [("train".to_string(), 0.5), ("test".to_string(), 0.5)];
    let err = split(&frame, &ok, 0, Some("nope")).expect_err("column");
    assert!(err.message.contains("nope"), "{err}");
}

#[test]
fn a_time_ordered_split_sorts_stably_and_holds_out_the_last_rows() {
    let parts = [("train".to_string(), 0.6), ("test".to_string(), 0.4)];
    // Datetimes compare as their microseconds, ties keep the row order.
    let micros = [3_000_000i64, 1_000_000, 2_000_000, 5_000_000, 2_000_000];
    let at = Series::new("at".into(), &micros)
        .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
        .unwrap();
    let frame = DataFrame::new(5, vec![at.into_column()]).unwrap();
    let split: BTreeMap<String, Vec<IdxSize>> = split_ordered(&frame, &parts, "at")
        .unwrap()
        .into_iter()
        .collect();
    // In time: rows 1, 2, 4 (a tie, in order), 0, 3; the last two are test.
    assert_eq!(split["train"], [1, 2, 4]);
    assert_eq!(split["test"], [0, 3]);
    // A float NaN sorts after every number; integers past 2^53 stay apart.
    let floats = Series::new("x".into(), &[f64::NAN, 2.0, 1.0, 3.0, 0.5]);
    let frame = DataFrame::new(5, vec![floats.into_column()]).unwrap();
    let split: BTreeMap<String, Vec<IdxSize>> = split_ordered(&frame, &parts, "x")
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(split["test"], [0, 3]);
    let big = Series::new("n".into(), &[(1i64 << 60) + 1, 1 << 60, 7, 8, 9]);
    let frame = DataFrame::new(5, vec![big.into_column()]).unwrap();
    let last = [("train".to_string(), 0.8), ("test".to_string(), 0.2)];
    let split: BTreeMap<String, Vec<IdxSize>> = split_ordered(&frame, &last, "n")
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(split["test"], [0]);
    assert_eq!(split["train"], [1, 2, 3, 4]);
    // A null has no place: the checker refuses a nullable column, and the
    // run names the row.
    let gaps = Series::new("n".into(), &[Some(1i64), None, Some(3), Some(4), Some(5)]);
    let frame = DataFrame::new(5, vec![gaps.into_column()]).unwrap();
    let error = split_ordered(&frame, &parts, "n").unwrap_err();
    assert!(error.message.contains("row 2"), "{error}");
}

#[test]
fn sample_is_seeded() {
    let frame = numbered(100);
    let a = ids(&sample_rows(&frame, 10, 5).expect("sample"));
    let b = ids(&sample_rows(&frame, 10, 5).expect("sample"));
    let c = ids(&sample_rows(&frame, 10, 6).expect("sample"));
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a.len(), 10);
    assert!(a.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(sample_rows(&frame, 500, 5).expect("sample").height(), 100);
}

#[test]
fn sample_operation_by_fraction_and_count() {
    let text = r#"
param seed: int = 11
source s: csv { path = "s.csv", schema { id: int, class: str } }
transform t = s | sample(fraction = 0.25, seed = seed)
transform u = s | sample(n = 7)
"#;
    let frame = numbered(30);
    let by_fraction = Chain::new(text, "t").run(frame.clone());
    // round(0.25 × 30) = 8 rows, the same as drawing 8 with seed 11.
    assert_eq!(
        ids(&by_fraction),
        ids(&sample_rows(&frame, 8, 11).expect("sample"))
    );
    let by_count = Chain::new(text, "u").run(frame.clone());
    assert_eq!(
        ids(&by_count),
        ids(&sample_rows(&frame, 7, 0).expect("sample"))
    );
}

#[test]
fn fit_state_round_trips_through_json() {
    let (_, _, scaled) = scale("| standardize(a, b) | min_max(c) | one_hot(kind)");
    let (_, _, imputed) = impute(
        "| impute(x, strategy = mean) | impute(n, strategy = median) | impute(home, flag, strategy = mode)",
    );
    for state in scaled.iter().chain(&imputed).chain([&FitState::Unfitted]) {
        let json = serde_json::to_string(state).expect("serialise");
        let back: FitState = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(&back, state, "{json}");
    }
}

#[test]
fn a_fitted_step_needs_its_state() {
    let chain = Chain::new(&format!("{SCALE}  | standardize(a)\n"), "t");
    let err = ops::apply(
        &chain.ctx(0),
        &FitState::Unfitted,
        scale_train().lazy(),
        &|_| None,
    )
    .err()
    .expect("no state");
    assert_eq!(err.op, "standardize");
}

fn credit_frame(schema: &Schema) -> DataFrame {
    let spec = mlp::exec::data::SourceSpec::new(
        "applications",
        mlp::exec::data::Format::Csv,
        vec!["examples/credit/data/credit_data.csv".into()],
        schema.clone(),
    );
    mlp::exec::data::load(&spec).expect("credit data").frame
}

#[test]
fn credit_features_chain_runs_with_the_checked_schema() {
    let text = std::fs::read_to_string("examples/credit/main.mlp").expect("credit example");
    let features = Chain::new(&text, "features");
    let prepared = Chain::new(&text, "prepared");
    let frame = credit_frame(&features.schemas[0]);
    assert_eq!(frame.height(), 4454);
    // `features` learns nothing, `prepared` transforms the split: fit on a
    // stratified training part, apply to the test part, as a run does.
    let halves = [("train".to_string(), 0.8), ("test".to_string(), 0.2)];
    let mut split_parts = split(&frame, &halves, 42, Some("Status")).expect("split");
    let (_, test) = split_parts.pop().expect("test");
    let (_, train) = split_parts.pop().expect("train");
    let (train, test, _) = features
        .run_with(train, test, &|_| None)
        .expect("the features chain runs");
    assert_schema(&train, features.output());
    let (train, test, states) = prepared
        .run_with(train, test, &|_| None)
        .expect("the prepared chain runs");
    assert_schema(&train, prepared.output());
    assert_schema(&test, prepared.output());
    // The model inputs, the target, and Marital (kept for the per-group evaluation).
    assert_eq!(prepared.output().columns.len(), 26);
    // Standardized training columns have mean 0 and population std 1.
    for c in ["Age", "Income", "loan_to_value"] {
        let values: Vec<f64> = f64s(&train, c).into_iter().flatten().collect();
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        assert!(
            mean.abs() < 1e-9 && (var - 1.0).abs() < 1e-9,
            "{c}: {mean} {var}"
        );
    }
    let fitted: Vec<bool> = states.iter().map(|s| *s != FitState::Unfitted).collect();
    assert_eq!(fitted, [true, true, false, false, false, true, true]);
    assert!(matches!(
        features.output().get("Home_owner").map(|c| &c.ty),
        Some(ColumnType::Float)
    ));
}

#[test]
fn cast_text_and_datetimes() {
    let words = DataFrame::new_infer_height(vec![
        Column::new("id".into(), [1i64, 2]),
        Column::new("name".into(), ["true", "false"]),
        Column::new("age".into(), [1i64, 2]),
        Column::new("score".into(), [None, Some(1.0)]),
        Column::new("kind".into(), ["a", "b"]),
        Column::new("ok".into(), [true, false]),
        Series::new("seen".into(), [SEEN_1, 0])
            .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
            .expect("datetime")
            .into(),
    ])
    .expect("frame");
    let out = people_chain("| cast(name, bool) | derive(t = seen, u = seen, v = seen) | cast(seen, int) | cast(t, float) | cast(u, str) | cast(v, bool)")
        .run(words.clone());
    assert_eq!(bools(&out, "name"), [Some(true), Some(false)]);
    assert_eq!(i64s(&out, "seen"), [Some(SEEN_1), Some(0)]);
    assert_eq!(f64s(&out, "t"), [Some(SEEN_1 as f64), Some(0.0)]);
    assert_eq!(
        strs(&out, "u")[0].as_deref(),
        Some("2024-03-15 10:30:00.000000")
    );
    assert_eq!(bools(&out, "v"), [Some(true), Some(false)]);

    // A text that is not a bool fails the run.
    let chain = people_chain("| cast(kind, bool)");
    let plan =
        ops::apply(&chain.ctx(0), &FitState::Unfitted, words.lazy(), &|_| None).expect("plan");
    assert!(plan.collect().is_err());
}
