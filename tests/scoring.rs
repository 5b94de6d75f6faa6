//! The two ways a saved model scores rows, polars for batches and the row
//! path for requests, give the same answers bit for bit: kept and rejected
//! rows (with their reasons), predictions, probabilities and features. On
//! every model of every example, all of its source's rows; and on random
//! rows through a pipeline that uses every operation a model file can
//! replay and every row function.
mod common;

use common::{example_run, run, run_fixture, text, EXAMPLE_MODELS};
use mlp::check::types::{Column, ColumnType};
use mlp::exec::models::Prediction;
use mlp::exec::ops::rows::Cell;
use mlp::exec::scoring::{Scored, Scorer};
use mlp::serve::input::{from_rows, typed};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn scorer(run: &Path, model: &str) -> Scorer {
    let bytes = std::fs::read(run.join(format!("models/{model}.json"))).unwrap();
    Scorer::from_bytes(&bytes).unwrap()
}

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

fn assert_same(by_rows: &Scored, by_frame: &Scored, what: &str) {
    assert_eq!(by_rows.kept, by_frame.kept, "{what}: kept rows");
    assert_eq!(by_rows.rejected, by_frame.rejected, "{what}: rejections");
    for (j, (a, b)) in by_rows
        .features
        .columns()
        .into_iter()
        .zip(by_frame.features.columns())
        .enumerate()
    {
        let a: Vec<f64> = a.iter().copied().collect();
        let b: Vec<f64> = b.iter().copied().collect();
        assert_eq!(bits(&a), bits(&b), "{what}: feature {j}: {a:?} {b:?}");
    }
    match (&by_rows.prediction, &by_frame.prediction) {
        (Prediction::Values(a), Prediction::Values(b)) => {
            assert_eq!(bits(a), bits(b), "{what}: predictions")
        }
        (a, b) => assert_eq!(a, b, "{what}: predictions"),
    }
    let flat = |p: &Option<ndarray::Array2<f64>>| {
        p.as_ref()
            .map(|p| bits(&p.iter().copied().collect::<Vec<_>>()))
    };
    assert_eq!(
        flat(&by_rows.probabilities),
        flat(&by_frame.probabilities),
        "{what}: probabilities"
    );
    let features = |s: &Scored| bits(&s.features.iter().copied().collect::<Vec<_>>());
    assert_eq!(features(by_rows), features(by_frame), "{what}: features");
}

/// Scores `rows` (JSON objects) both ways: whether the row path took them,
/// or `None` when the body does not fit the model's input (the server
/// answers 422 before scoring).
fn both_ways(scorer: &Scorer, rows: &[Value], what: &str) -> Option<bool> {
    let schema = &scorer.input().schema;
    let optional = |c: &Column| scorer.optional(c);
    let columns = from_rows(rows, schema, &optional).ok()?;
    let cells: Vec<Vec<Cell>> = typed(&columns, &optional).ok()?;
    let by_frame = scorer.score_by_frame(&cells);
    match scorer.score_by_rows(&cells) {
        Some(Ok(by_rows)) => assert_same(&by_rows, &by_frame.unwrap(), what),
        Some(Err(message)) => assert!(
            by_frame.is_err(),
            "{what}: only the row path fails: {message}"
        ),
        // The row path declined these rows: the server scores them with polars.
        None => return Some(false),
    }
    Some(true)
}

/// A source's CSV rows as JSON objects typed by the schema.
fn csv_rows(csv: &Path, scorer: &Scorer, null: &str) -> Vec<Value> {
    let schema = &scorer.input().schema;
    let text = std::fs::read_to_string(csv).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|line| {
            let mut row = Map::new();
            for (name, cell) in header.iter().zip(line.split(',')) {
                let Some(column) = schema.get(name) else {
                    continue;
                };
                let value = match (&column.ty, cell) {
                    (_, c) if c == null => Value::Null,
                    (ColumnType::Int, c) => json!(c.parse::<i64>().unwrap()),
                    (ColumnType::Float, c) => json!(c.parse::<f64>().unwrap()),
                    (ColumnType::Bool, c) => json!(c == "true"),
                    (_, c) => json!(c),
                };
                row.insert(name.to_string(), value);
            }
            Value::Object(row)
        })
        .collect()
}

#[test]
fn every_example_s_models_score_the_same_by_rows_and_by_polars() {
    for &(example, csv, null, models) in EXAMPLE_MODELS {
        let (dir, run) = example_run(example);
        for model in models {
            let scorer = scorer(&run, model);
            let rows = csv_rows(&dir.join(csv), &scorer, null);
            assert!(rows.len() > 100, "{example}");
            let cells = {
                let optional = |c: &Column| scorer.optional(c);
                let columns = from_rows(&rows, &scorer.input().schema, &optional).unwrap();
                typed(&columns, &optional).unwrap()
            };
            // Served requests of these models take the row path: it covers them.
            assert!(
                scorer.score_by_rows(&cells[..1]).is_some(),
                "{example} {model}: the row path declines the model"
            );
            for (i, chunk) in rows.chunks(97).enumerate() {
                both_ways(&scorer, chunk, &format!("{example} {model} chunk {i}"))
                    .expect("the source's rows fit the model's input");
            }
        }
    }
}

/// A seeded xorshift: the same data on every run.
struct Numbers(u64);

impl Numbers {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn everything() -> &'static (PathBuf, Scorer) {
    static RUN: OnceLock<(PathBuf, Scorer)> = OnceLock::new();
    RUN.get_or_init(|| {
        // Every replayable operation and row function, on nullable columns
        // of each type; each derived column is a feature, so every formula
        // reaches the comparison.
        let dir = run_fixture("scoring");
        let mut numbers = Numbers(0x9e3779b97f4a7c15);
        let mut csv = String::from("id,x1,x2,n,b,s,e,y\n");
        for id in 0..400 {
            let x1 = numbers.next();
            let x2 = numbers.next() * 4.0 - 2.0;
            let n = (numbers.next() * 10.0) as i64;
            let words = ["x", "Ünï", "ab", "", "İstanbul"];
            let s = words[(numbers.next() * 5.0) as usize % 5];
            let e = ["a", "b", "c"][(numbers.next() * 3.0) as usize % 3];
            let y = if x2 + numbers.next() > 0.5 {
                "yes"
            } else {
                "no"
            };
            let x1 = if id % 7 == 0 {
                String::new()
            } else {
                x1.to_string()
            };
            let n = if id % 5 == 0 {
                String::new()
            } else {
                n.to_string()
            };
            csv += &format!("{id},{x1},{x2},{n},{},{s},{e},{y}\n", id % 3 == 0);
        }
        std::fs::write(dir.join("data.csv"), csv).unwrap();
        let out = dir.join("run-out");
        let output = run(&dir, &["--out", out.to_str().unwrap(), "--quiet"]);
        assert!(output.status.success(), "{}", text(&output));
        let scorer = scorer(&out, "guess");
        (dir, scorer)
    })
}

fn cell() -> impl Strategy<Value = (Value, Value, Value, Value)> {
    let float = prop_oneof![
        Just(0.0),
        Just(-0.0),
        Just(1.0),
        Just(-1.0),
        Just(-1.5),
        Just(0.25),
        Just(1e300),
        Just(-1e300),
        Just(f64::MIN_POSITIVE),
        -3.0..3.0f64,
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
    ];
    let int = prop_oneof![
        Just(0i64),
        Just(i64::MAX),
        Just(i64::MIN),
        Just(i64::MAX / 3 + 1),
        -10..10i64,
        any::<i64>(),
    ];
    let text = prop_oneof![
        Just("x".to_string()),
        Just("İstanbul".to_string()),
        Just("ß".to_string()),
        Just(String::new()),
        "\\PC{0,6}",
    ];
    (
        prop_oneof![Just(Value::Null), float.clone().prop_map(|f| json!(f))],
        float.prop_map(|f| json!(f)),
        prop_oneof![Just(Value::Null), int.prop_map(|i| json!(i))],
        prop_oneof![Just(Value::Null), text.prop_map(|s| json!(s))],
    )
}

fn row() -> impl Strategy<Value = Value> {
    (cell(), any::<bool>(), 0..3usize, any::<i64>()).prop_map(|((x1, x2, n, s), b, e, id)| {
        let e = ["a", "b", "c"][e];
        json!({
            "id": id, "x1": x1, "x2": x2, "n": n, "b": b, "s": s,
            "e": e,
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_rows_score_the_same_by_rows_and_by_polars(rows in prop::collection::vec(row(), 1..12)) {
        let (_, scorer) = everything();
        let taken = both_ways(scorer, &rows, &format!("{rows:?}")).expect("the rows fit the schema");
        // Only an integer overflow (in `n * 3 - 1`) makes it decline.
        let small = rows.iter().all(|r| r["n"].as_i64().is_none_or(|n| n.unsigned_abs() < 1 << 40));
        prop_assert!(taken || !small, "the row path declined {rows:?}");
    }
}

/// The pipeline above takes the row path for ordinary rows: the random
/// test compares two paths, not polars with itself.
#[test]
fn the_row_path_covers_every_operation_of_the_test_pipeline() {
    let (_, scorer) = everything();
    let rows = [json!({"id": 1, "x1": 0.5, "x2": 0.25, "n": 4, "b": true, "s": "ab", "e": "b"})];
    let optional = |c: &Column| scorer.optional(c);
    let columns = from_rows(&rows, &scorer.input().schema, &optional).unwrap();
    let cells = typed(&columns, &optional).unwrap();
    let scored = scorer
        .score_by_rows(&cells)
        .expect("the row path covers it")
        .unwrap();
    assert_eq!(scored.kept, vec![0]);
}
