//! Loading sources with polars: real data, bad data with precise errors,
//! every format, and the `expect` data tests.

use mlp::check::types::{Column, ColumnType, Schema, Tags};
use mlp::exec::data::{load, BadRows, DataError, Format, Loaded, SourceSpec};
use mlp::exec::expect::{check, CmpOp, Expectation};
use mlp::files::{Confinement, PathProblem};
use polars::prelude::*;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data")
}

fn fixture(name: &str) -> PathBuf {
    fixtures().join(name)
}

fn column(name: &str, ty: ColumnType, nullable: bool) -> Column {
    Column::new(name, ty, nullable, Tags::new())
}

fn variants(v: &[&str]) -> ColumnType {
    ColumnType::Enum(v.iter().map(|s| s.to_string()).collect())
}

fn people() -> Schema {
    Schema {
        columns: vec![
            column("id", ColumnType::Int, false),
            column("name", ColumnType::Str, false),
            column("age", ColumnType::Int, false),
            column("score", ColumnType::Float, true),
            column("member", ColumnType::Bool, false),
            column("tier", variants(&["gold", "silver", "bronze"]), false),
        ],
    }
}

/// examples/credit/main.mlp
fn credit() -> Schema {
    Schema {
        columns: vec![
            column("Status", variants(&["good", "bad"]), false),
            column("Seniority", ColumnType::Int, false),
            column(
                "Home",
                variants(&["ignore", "other", "owner", "parents", "priv", "rent"]),
                true,
            ),
            column("Time", ColumnType::Int, false),
            column("Age", ColumnType::Int, false),
            column(
                "Marital",
                variants(&["divorced", "married", "separated", "single", "widow"]),
                true,
            ),
            column("Records", variants(&["no", "yes"]), false),
            column(
                "Job",
                variants(&["fixed", "freelance", "others", "partime"]),
                true,
            ),
            column("Expenses", ColumnType::Int, false),
            column("Income", ColumnType::Float, true),
            column("Assets", ColumnType::Float, true),
            column("Debt", ColumnType::Float, true),
            column("Amount", ColumnType::Int, false),
            column("Price", ColumnType::Int, false),
        ],
    }
}

/// examples/penguins/main.mlp
fn penguins() -> Schema {
    Schema {
        columns: vec![
            column(
                "species",
                variants(&["Adelie", "Chinstrap", "Gentoo"]),
                false,
            ),
            column("island", variants(&["Biscoe", "Dream", "Torgersen"]), false),
            column("bill_length_mm", ColumnType::Float, true),
            column("bill_depth_mm", ColumnType::Float, true),
            column("flipper_length_mm", ColumnType::Int, true),
            column("body_mass_g", ColumnType::Int, true),
            column("sex", variants(&["female", "male"]), true),
            column("year", ColumnType::Int, false),
        ],
    }
}

fn spec(format: Format, paths: Vec<PathBuf>, schema: Schema) -> SourceSpec {
    SourceSpec::new("test", format, paths, schema)
}

fn csv(name: &str, schema: Schema) -> SourceSpec {
    spec(Format::Csv, vec![fixture(name)], schema)
}

fn load_err(s: &SourceSpec) -> DataError {
    match load(s) {
        Ok(l) => panic!("expected an error, loaded {} rows", l.frame.height()),
        Err(e) => e,
    }
}

fn load_ok(s: &SourceSpec) -> Loaded {
    match load(s) {
        Ok(l) => l,
        Err(e) => panic!("load failed: {e}"),
    }
}

fn nulls(frame: &DataFrame, name: &str) -> usize {
    frame.column(name).expect("column").null_count()
}

#[test]
fn credit_data_loads_with_its_schema() {
    let loaded = load_ok(&csv("credit_data.csv", credit()));
    let f = &loaded.frame;
    assert_eq!(f.height(), 4454);
    assert_eq!(loaded.dropped_rows, 0);
    let names: Vec<String> = f.get_column_names().iter().map(|n| n.to_string()).collect();
    assert_eq!(names, credit().names().collect::<Vec<_>>());
    assert_eq!(f.column("Status").unwrap().dtype(), &DataType::String);
    assert_eq!(f.column("Seniority").unwrap().dtype(), &DataType::Int64);
    assert_eq!(f.column("Income").unwrap().dtype(), &DataType::Float64);
    // Counted with Python's csv module (empty cells per column).
    assert_eq!(nulls(f, "Income"), 381);
    assert_eq!(nulls(f, "Assets"), 47);
    assert_eq!(nulls(f, "Debt"), 18);
    assert_eq!(nulls(f, "Home"), 6);
    assert_eq!(nulls(f, "Marital"), 1);
    assert_eq!(nulls(f, "Job"), 2);
    assert_eq!(nulls(f, "Age"), 0);
}

#[test]
fn penguins_load_with_na_tokens() {
    let mut s = csv("penguins.csv", penguins());
    s.null_values = vec!["NA".to_string()];
    let loaded = load_ok(&s);
    let f = &loaded.frame;
    assert_eq!(f.height(), 344);
    assert_eq!(nulls(f, "bill_length_mm"), 2);
    assert_eq!(nulls(f, "flipper_length_mm"), 2);
    assert_eq!(nulls(f, "body_mass_g"), 2);
    assert_eq!(nulls(f, "sex"), 11);
    assert_eq!(nulls(f, "species"), 0);
    assert_eq!(
        f.column("flipper_length_mm").unwrap().dtype(),
        &DataType::Int64
    );
    assert_eq!(
        f.column("bill_depth_mm").unwrap().dtype(),
        &DataType::Float64
    );
}

#[test]
fn penguins_without_na_token_fail_on_the_first_na() {
    // With only "" as a null token, `NA` is a value, and not a float.
    let err = load_err(&csv("penguins.csv", penguins()));
    assert_eq!(err.line, Some(5));
    assert_eq!(err.column.as_deref(), Some("bill_length_mm"));
    assert_eq!(err.value.as_deref(), Some("NA"));
    assert_eq!(err.expected.as_deref(), Some("float?"));
}

#[test]
fn wrong_type_names_file_line_column_value_and_type() {
    let err = load_err(&csv("bad_type.csv", people()));
    assert_eq!(err.file, fixture("bad_type.csv"));
    assert_eq!(err.line, Some(4));
    assert_eq!(err.column.as_deref(), Some("age"));
    assert_eq!(err.value.as_deref(), Some("abc"));
    assert_eq!(err.expected.as_deref(), Some("int"));
    assert_eq!(
        err.to_string(),
        format!(
            "{}:4: column `age`: `abc` is not an int",
            fixture("bad_type.csv").display()
        )
    );
}

/// Numbers are parsed as the file is read; what that parser accepts and
/// the declared types do not is still refused, cell by cell.
#[test]
fn a_number_with_a_leading_blank_or_that_is_not_finite_is_refused_where_it_is() {
    let dir = scratch("typed");
    let schema = || Schema {
        columns: vec![
            column("n", ColumnType::Int, false),
            column("x", ColumnType::Float, true),
        ],
    };
    let cases = [
        ("n,x\n1,2.5\n 2,3\n", "3: column `n`: ` 2` is not an int"),
        ("n,x\n1,2.5\n2,\" 3\"\n", "3: column `x`: ` 3` is not a float"),
        ("n,x\n1,2.5\n2,\t3\n", "3: column `x`: `\t3` is not a float"),
        ("n,x\n1,2.5\n2,inf\n", "3: column `x`: `inf` is not a finite float (to read it as a missing value, make the column nullable and list the text in `null_values`)"),
        ("n,x\n1,2.5\n2.0,3\n", "3: column `n`: `2.0` is not an int"),
    ];
    for (i, (text, message)) in cases.iter().enumerate() {
        let path = dir.join(format!("case{i}.csv"));
        std::fs::write(&path, text).unwrap();
        let err = load_err(&spec(Format::Csv, vec![path.clone()], schema()));
        assert_eq!(err.to_string(), format!("{}:{message}", path.display()));
    }
    let path = dir.join("clean.csv");
    std::fs::write(&path, "n,x\n+1,2.5\n-2,\n3,1e3\n").unwrap();
    let loaded = load_ok(&spec(Format::Csv, vec![path], schema()));
    let n: Vec<Option<i64>> = loaded
        .frame
        .column("n")
        .unwrap()
        .i64()
        .unwrap()
        .iter()
        .collect();
    let x: Vec<Option<f64>> = loaded
        .frame
        .column("x")
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(n, [Some(1), Some(-2), Some(3)]);
    assert_eq!(x, [Some(2.5), None, Some(1000.0)]);
}

#[test]
fn ragged_row_names_its_line() {
    let err = load_err(&csv("ragged.csv", people()));
    assert_eq!(err.line, Some(3));
    assert_eq!(err.message, "expected 6 fields, found 5 (a ragged row)");
}

#[test]
fn missing_file_is_named() {
    let err = load_err(&csv("no_such.csv", people()));
    assert_eq!(err.file, fixture("no_such.csv"));
    assert_eq!(err.message, "no such file");
    assert_eq!(
        inside_fixtures().data_files(&fixtures(), "no_such.csv"),
        Err(PathProblem::Other {
            path: fixture("no_such.csv"),
            message: "no such file".into()
        })
    );
}

/// Data files as the driver finds them: inside the fixtures folder.
fn inside_fixtures() -> Confinement {
    Confinement::new(&fixtures(), false).unwrap()
}

#[test]
fn empty_file_is_an_error_but_a_header_alone_is_an_empty_table() {
    let err = load_err(&csv("empty.csv", people()));
    assert_eq!(err.file, fixture("empty.csv"));
    assert_eq!(err.message, "the file is empty");

    let loaded = load_ok(&csv("header_only.csv", people()));
    assert_eq!(loaded.frame.height(), 0);
    assert_eq!(
        loaded.frame.column("age").unwrap().dtype(),
        &DataType::Int64
    );
    assert_eq!(
        loaded.frame.column("member").unwrap().dtype(),
        &DataType::Boolean
    );
}

#[test]
fn all_null_non_nullable_column_fails_at_the_first_null() {
    let err = load_err(&csv("all_null.csv", people()));
    assert_eq!(err.line, Some(2));
    assert_eq!(err.column.as_deref(), Some("age"));
    assert_eq!(err.value, None);
    assert_eq!(
        err.message,
        "missing value, but the column is `int` (not nullable)"
    );
}

#[test]
fn invalid_enum_value() {
    let err = load_err(&csv("bad_enum.csv", people()));
    assert_eq!(err.line, Some(3));
    assert_eq!(err.column.as_deref(), Some("tier"));
    assert_eq!(err.value.as_deref(), Some("platinum"));
    assert_eq!(
        err.expected.as_deref(),
        Some("enum(\"gold\", \"silver\", \"bronze\")")
    );
    assert_eq!(
        err.message,
        "`platinum` is not one of \"gold\", \"silver\", \"bronze\""
    );
}

#[test]
fn invalid_utf8_names_file_and_line() {
    let err = load_err(&csv("not_utf8.csv", people()));
    assert_eq!(err.file, fixture("not_utf8.csv"));
    assert_eq!(err.line, Some(3));
    assert!(err.message.contains("UTF-8"), "{err}");
}

#[test]
fn binary_garbage_is_an_error() {
    let err = load_err(&csv("garbage.csv", people()));
    assert_eq!(err.file, fixture("garbage.csv"));
    assert_eq!(err.line, Some(1));
}

#[test]
fn embedded_newlines_keep_line_numbers_right() {
    let err = load_err(&csv("multiline.csv", people()));
    assert_eq!(err.line, Some(5));
    assert_eq!(err.value.as_deref(), Some("4x1"));
    // The bad cell is on the record's second line.
    let err = load_err(&csv("multiline_same.csv", people()));
    assert_eq!(err.line, Some(3));
    assert_eq!(err.value.as_deref(), Some("abc"));
}

#[test]
fn quoted_fields_are_unescaped() {
    let mut s = csv("multiline.csv", people());
    s.on_bad_rows = BadRows::Drop;
    let loaded = load_ok(&s);
    assert_eq!(loaded.frame.height(), 2);
    let names = loaded.frame.column("name").unwrap().str().unwrap().clone();
    assert_eq!(names.get(0), Some("ann\nsecond line"));
    assert_eq!(names.get(1), Some("bob \"the\" builder"));
}

#[test]
fn unterminated_quote_names_the_line_it_opens() {
    let err = load_err(&csv("unterminated.csv", people()));
    assert_eq!(err.line, Some(2));
    assert!(err.message.contains("never closed"), "{err}");
}

#[test]
fn undeclared_and_missing_columns() {
    let err = load_err(&csv("extra_column.csv", people()));
    assert_eq!(err.message, "column `extra` is not declared in the schema");
    let err = load_err(&csv("missing_column.csv", people()));
    assert_eq!(err.file, fixture("missing_column.csv"));
    assert_eq!(err.column.as_deref(), Some("age"));
    assert!(err.message.contains("missing from the header"), "{err}");
}

#[test]
fn drop_mode_counts_and_samples_bad_rows() {
    let mut s = csv("drop.csv", people());
    s.on_bad_rows = BadRows::Drop;
    let loaded = load_ok(&s);
    assert_eq!(loaded.dropped_rows, 4);
    let ids: Vec<Option<i64>> = loaded
        .frame
        .column("id")
        .unwrap()
        .i64()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(ids, vec![Some(1), Some(4), Some(5)]);
    let samples: Vec<(Option<usize>, Option<&str>, Option<&str>)> = loaded
        .bad_rows_sample
        .iter()
        .map(|b| (b.line, b.column.as_deref(), b.value.as_deref()))
        .collect();
    assert_eq!(
        samples,
        vec![
            (Some(3), Some("age"), Some("old")),
            (Some(4), Some("member"), Some("maybe")),
            (Some(7), None, None),
            (Some(8), None, None)
        ]
    );
    assert_eq!(
        loaded.bad_rows_sample[2].message,
        "expected 6 fields, found 5 (a ragged row)"
    );
}

#[test]
fn blank_lines_are_skipped_and_lines_still_counted() {
    let path = scratch("blank").join("leading.csv");
    std::fs::write(
        &path,
        "\n\r\nid,name,age,score,member,tier\n1,ann,x,1.5,true,gold\n",
    )
    .unwrap();
    let err = load_err(&spec(Format::Csv, vec![path], people()));
    assert_eq!((err.line, err.value.as_deref()), (Some(4), Some("x")));
    let err = load_err(&csv("blank_lines.csv", people()));
    assert_eq!((err.line, err.value.as_deref()), (Some(6), Some("x")));
    let mut s = csv("blank_lines.csv", people());
    s.on_bad_rows = BadRows::Drop;
    let loaded = load_ok(&s);
    assert_eq!((loaded.frame.height(), loaded.dropped_rows), (2, 1));
    assert_eq!(loaded.bad_rows_sample[0].line, Some(6));
}

#[test]
fn an_empty_cell_is_null_only_when_empty_is_a_null_token() {
    let path = scratch("tokens").join("t.csv");
    std::fs::write(
        &path,
        "id,name,age,score,member,tier\n1,,34,NA,true,gold\n2,bob,,1.0,true,gold\n",
    )
    .unwrap();
    let mut s = spec(Format::Csv, vec![path], people());
    s.null_values = vec!["NA".to_string()];
    let err = load_err(&s);
    assert_eq!(
        (err.line, err.column.as_deref(), err.value.as_deref()),
        (Some(3), Some("age"), Some(""))
    );
    s.on_bad_rows = BadRows::Drop;
    let f = load_ok(&s).frame;
    assert_eq!(f.column("name").unwrap().str().unwrap().get(0), Some(""));
    assert_eq!(nulls(&f, "score"), 1);
}

#[test]
fn header_false_takes_columns_in_schema_order() {
    let dir = scratch("noheader");
    let path = dir.join("rows.tsv");
    std::fs::write(
        &path,
        "1\tann\t34\t\ttrue\tgold\n2\tbob\t41\t2.5\tfalse\tsilver\n",
    )
    .unwrap();
    let mut s = spec(Format::Csv, vec![path], people());
    s.header = false;
    s.delimiter = b'\t';
    let f = load_ok(&s).frame;
    assert_eq!(f.height(), 2);
    assert_eq!(nulls(&f, "score"), 1);
    assert_eq!(f.column("age").unwrap().i64().unwrap().get(1), Some(41));
}

#[test]
fn glob_concatenates_files_in_order() {
    let paths = inside_fixtures()
        .data_files(&fixtures(), "part-*.csv")
        .unwrap();
    assert_eq!(paths, vec![fixture("part-1.csv"), fixture("part-2.csv")]);
    let f = load_ok(&spec(Format::Csv, paths, people())).frame;
    let ids: Vec<Option<i64>> = f.column("id").unwrap().i64().unwrap().iter().collect();
    assert_eq!(ids, vec![Some(1), Some(2), Some(3)]);
    let err = inside_fixtures().data_files(&fixtures(), "nothing-*.csv");
    assert_eq!(
        err,
        Err(PathProblem::Other {
            path: fixtures().join("nothing-*.csv"),
            message: "no file matches `nothing-*.csv`".into()
        })
    );
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("data_load")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn sample_frame() -> DataFrame {
    df!(
        "id" => [1i64, 2, 3],
        "name" => ["ann", "bob", "cy"],
        "age" => [34i32, 41, 25],
        "score" => [Some(1.5f64), None, Some(3.5)],
        "member" => [true, false, true],
        "tier" => ["gold", "silver", "gold"],
    )
    .unwrap()
}

#[test]
fn parquet_round_trip() {
    let path = scratch("parquet").join("people.parquet");
    let mut frame = sample_frame();
    let file = std::fs::File::create(&path).unwrap();
    ParquetWriter::new(file).finish(&mut frame).unwrap();
    let f = load_ok(&spec(Format::Parquet, vec![path.clone()], people())).frame;
    assert_eq!(f.height(), 3);
    // Stored as Int32, loaded as the schema's int.
    assert_eq!(f.column("age").unwrap().dtype(), &DataType::Int64);
    assert_eq!(nulls(&f, "score"), 1);

    // A stored type that cannot hold the declared one.
    let mut schema = people();
    schema.columns[1] = column("name", ColumnType::Float, false);
    let err = load_err(&spec(Format::Parquet, vec![path.clone()], schema));
    assert_eq!(err.column.as_deref(), Some("name"));

    // A bad enum value names its row.
    let mut schema = people();
    schema.columns[5] = column("tier", variants(&["gold"]), false);
    let err = load_err(&spec(Format::Parquet, vec![path], schema));
    assert_eq!((err.row, err.value.as_deref()), (Some(2), Some("silver")));
}

#[test]
fn jsonl_round_trip() {
    let path = scratch("jsonl").join("people.jsonl");
    let mut frame = sample_frame();
    let file = std::fs::File::create(&path).unwrap();
    JsonWriter::new(file)
        .with_json_format(JsonFormat::JsonLines)
        .finish(&mut frame)
        .unwrap();
    let f = load_ok(&spec(Format::Jsonl, vec![path], people())).frame;
    assert_eq!(f.height(), 3);
    assert_eq!(f.column("score").unwrap().dtype(), &DataType::Float64);
    assert_eq!(
        f.column("member").unwrap().bool().unwrap().get(1),
        Some(false)
    );
    assert_eq!(nulls(&f, "score"), 1);
}

#[test]
fn jsonl_bad_value_names_its_line() {
    let err = load_err(&spec(
        Format::Jsonl,
        vec![fixture("bad_type.jsonl")],
        people(),
    ));
    // Line 2 is blank.
    assert_eq!(err.line, Some(3));
    assert_eq!(err.column.as_deref(), Some("age"));
    assert_eq!(err.value.as_deref(), Some("x"));
}

#[test]
fn jsonl_syntax_error_names_its_line() {
    let path = scratch("jsonl").join("broken.jsonl");
    std::fs::write(&path, "{\"id\": 1}\n{\"id\": 2,\n").unwrap();
    let err = load_err(&spec(Format::Jsonl, vec![path], people()));
    assert_eq!(err.line, Some(2));
}

#[test]
fn datetime_columns_parse_iso_8601() {
    let path = scratch("datetime").join("events.csv");
    std::fs::write(
        &path,
        "at\n2024-01-31T10:00:00\n2024-02-01 08:30:00.5\n2024-02-02\n\n",
    )
    .unwrap();
    let schema = Schema {
        columns: vec![column("at", ColumnType::Datetime, true)],
    };
    let f = load_ok(&spec(Format::Csv, vec![path.clone()], schema.clone())).frame;
    assert_eq!(
        f.column("at").unwrap().dtype(),
        &DataType::Datetime(TimeUnit::Microseconds, None)
    );
    assert_eq!(nulls(&f, "at"), 1);
    std::fs::write(&path, "at\n2024-01-31T10:00:00\n31/01/2024\n").unwrap();
    let err = load_err(&spec(Format::Csv, vec![path], schema));
    assert_eq!(
        (err.line, err.value.as_deref()),
        (Some(3), Some("31/01/2024"))
    );
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200), ascii in "[a-z0-9,\"\n\r ]{0,80}") {
            let dir = scratch("fuzz");
            for (i, content) in [bytes, ascii.into_bytes()].into_iter().enumerate() {
                let path = dir.join(format!("f{i}.csv"));
                std::fs::write(&path, &content).unwrap();
                let _ = load(&spec(Format::Csv, vec![path.clone()], people()));
                let _ = load(&spec(Format::Jsonl, vec![path.clone()], people()));
                let _ = load(&spec(Format::Parquet, vec![path], people()));
            }
        }
    }
}

fn frame_for_expectations() -> DataFrame {
    df!(
        "id" => [1i64, 2, 2, 4, 5],
        "age" => [Some(30i64), Some(130), None, Some(17), Some(40)],
        "income" => [Some(1.0f64), None, Some(2.0), Some(3.0), Some(4.0)],
        "tier" => ["gold", "gold", "tin", "silver", "gold"],
    )
    .unwrap()
}

fn outcome(e: Expectation) -> (bool, String, String) {
    let o = check(&frame_for_expectations(), &e).unwrap();
    (o.passed, o.text, o.detail)
}

fn s(x: &str) -> String {
    x.to_string()
}

#[test]
fn expect_rows() {
    assert_eq!(
        outcome(Expectation::Rows {
            op: CmpOp::Ge,
            n: 5.0
        }),
        (true, s("rows >= 5"), s("observed 5 rows"))
    );
    assert_eq!(
        outcome(Expectation::Rows {
            op: CmpOp::Ge,
            n: 4000.0
        }),
        (false, s("rows >= 4000"), s("observed 5 rows"))
    );
}

#[test]
fn expect_nulls() {
    let e = |f| Expectation::Nulls {
        column: s("income"),
        op: CmpOp::Le,
        fraction: f,
    };
    assert_eq!(
        outcome(e(0.2)),
        (true, s("nulls(income) <= 0.2"), s("observed 0.2"))
    );
    assert_eq!(
        outcome(e(0.1)),
        (false, s("nulls(income) <= 0.1"), s("observed 0.2"))
    );
}

#[test]
fn expect_in_range() {
    let e = |lo, hi| Expectation::InRange {
        column: s("age"),
        lo,
        hi,
    };
    assert_eq!(
        outcome(e(0.0, 200.0)),
        (true, s("age in 0..200"), s("all values pass (5 rows)"))
    );
    assert_eq!(
        outcome(e(18.0, 100.0)),
        (
            false,
            s("age in 18..100"),
            s("2 values out of range, first at row 2: 130")
        )
    );
}

#[test]
fn expect_in_set() {
    let e = |v: &[&str]| Expectation::InSet {
        column: s("tier"),
        values: v.iter().map(|x| s(x)).collect(),
    };
    assert!(outcome(e(&["gold", "silver", "tin"])).0);
    assert_eq!(
        outcome(e(&["gold", "silver"])),
        (
            false,
            s("tier in [\"gold\", \"silver\"]"),
            s("1 value not in the set, first at row 3: tin")
        )
    );
}

#[test]
fn expect_unique() {
    assert_eq!(
        outcome(Expectation::Unique {
            columns: vec![s("id")]
        }),
        (
            false,
            s("unique(id)"),
            s("1 duplicated key over 2 rows, first at row 2: id = 2")
        )
    );
    assert!(
        outcome(Expectation::Unique {
            columns: vec![s("id"), s("tier")]
        })
        .0
    );
}

#[test]
fn expect_compare() {
    let e = |op, value| Expectation::Compare {
        column: s("age"),
        op,
        value,
    };
    assert!(outcome(e(CmpOp::Gt, 0.0)).0);
    assert_eq!(
        outcome(e(CmpOp::Ge, 18.0)),
        (
            false,
            s("age >= 18"),
            s("1 value fails `age >= 18`, first at row 4: 17")
        )
    );
}

#[test]
fn expect_on_a_missing_or_text_column_is_an_error() {
    let frame = frame_for_expectations();
    assert!(check(
        &frame,
        &Expectation::Nulls {
            column: s("nope"),
            op: CmpOp::Le,
            fraction: 0.1
        }
    )
    .is_err());
    assert!(check(
        &frame,
        &Expectation::InRange {
            column: s("tier"),
            lo: 0.0,
            hi: 1.0
        }
    )
    .is_err());
}

#[test]
fn expect_on_real_data() {
    let f = load_ok(&csv("credit_data.csv", credit())).frame;
    let o = check(
        &f,
        &Expectation::Nulls {
            column: s("Income"),
            op: CmpOp::Le,
            fraction: 0.1,
        },
    )
    .unwrap();
    assert!(o.passed);
    assert_eq!(o.detail, "observed 0.0855");
    let o = check(
        &f,
        &Expectation::InRange {
            column: s("Age"),
            lo: 18.0,
            hi: 100.0,
        },
    )
    .unwrap();
    assert!(o.passed, "{}", o.detail);
}
