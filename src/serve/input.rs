//! Request bodies to typed tables: every value is checked against the
//! model's input schema, and every problem is reported with its row and
//! field, never by echoing more than a short excerpt of the value.

use crate::check::types::{Column, ColumnType, Schema};
use crate::exec::data::{excerpt, typed_expr};
use crate::exec::ops::rows::Cell;
use polars::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value};

/// One value that does not fit the schema.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldError {
    /// 0-based row of the request; absent for a problem of the whole body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
}

/// At most this many errors are listed; `total` says how many there were.
pub const MAX_ERRORS: usize = 100;

#[derive(Debug, Default)]
pub struct Errors {
    pub listed: Vec<FieldError>,
    pub total: usize,
}

impl Errors {
    fn push(&mut self, row: Option<usize>, field: Option<&str>, message: impl Into<String>) {
        self.total += 1;
        if self.listed.len() < MAX_ERRORS {
            self.listed.push(FieldError {
                row,
                field: field.map(excerpt),
                message: message.into(),
            });
        }
    }

    pub fn one(message: impl Into<String>) -> Errors {
        let mut errors = Errors::default();
        errors.push(None, None, message);
        errors
    }
}

/// The schema's columns, each with its values (one per row): what every
/// body form is brought to before typing.
pub struct Columns<'a> {
    pub rows: usize,
    pub values: Vec<(&'a Column, Vec<&'a Value>)>,
}

const NULL: Value = Value::Null;

/// `{"rows": [{col: value, ...}, ...]}`: each row an object of the
/// schema's fields; a missing optional field is null.
pub fn from_rows<'a>(
    rows: &'a [Value],
    schema: &'a Schema,
    optional: &dyn Fn(&Column) -> bool,
) -> Result<Columns<'a>, Errors> {
    let mut errors = Errors::default();
    let mut values: Vec<(&Column, Vec<&Value>)> = schema
        .columns
        .iter()
        .map(|c| (c, Vec::with_capacity(rows.len())))
        .collect();
    for (i, row) in rows.iter().enumerate() {
        let Some(object) = row.as_object() else {
            errors.push(Some(i), None, "a row must be an object of column values");
            continue;
        };
        unknown_fields(object.keys(), schema, Some(i), &mut errors);
        for (column, column_values) in values.iter_mut() {
            match object.get(&*column.name) {
                Some(v) => column_values.push(v),
                None => {
                    if !optional(column) {
                        errors.push(
                            Some(i),
                            Some(&column.name),
                            "missing: the column is required",
                        );
                    }
                    column_values.push(&NULL);
                }
            }
        }
    }
    if errors.total > 0 {
        return Err(errors);
    }
    Ok(Columns {
        rows: rows.len(),
        values,
    })
}

/// `{"columns": {col: [values...], ...}}`, and the KServe v2 tensors once
/// read into that map: every list as long as the others.
pub fn from_columns<'a>(
    columns: &'a Map<String, Value>,
    schema: &'a Schema,
    optional: &dyn Fn(&Column) -> bool,
) -> Result<Columns<'a>, Errors> {
    let mut errors = Errors::default();
    unknown_fields(columns.keys(), schema, None, &mut errors);
    let mut rows: Option<usize> = None;
    for (name, list) in columns {
        match list.as_array() {
            Some(list) => match rows {
                None => rows = Some(list.len()),
                Some(n) if n != list.len() => errors.push(
                    None,
                    Some(name),
                    format!("has {} values where the other columns have {n}", list.len()),
                ),
                Some(_) => {}
            },
            None => errors.push(None, Some(name), "must be a list of values, one per row"),
        }
    }
    let rows = rows.unwrap_or(0);
    let mut values = Vec::new();
    for column in &schema.columns {
        match columns.get(&*column.name).and_then(Value::as_array) {
            Some(list) => values.push((column, list.iter().collect())),
            None => {
                if !optional(column) && !columns.contains_key(&*column.name) {
                    errors.push(None, Some(&column.name), "missing: the column is required");
                }
                values.push((column, vec![&NULL; rows]));
            }
        }
    }
    if errors.total > 0 {
        return Err(errors);
    }
    Ok(Columns { rows, values })
}

fn unknown_fields<'k>(
    keys: impl Iterator<Item = &'k String>,
    schema: &Schema,
    row: Option<usize>,
    errors: &mut Errors,
) {
    for key in keys {
        if schema.get(key).is_none() {
            errors.push(row, Some(key), "not a column of the model's input");
        }
    }
}

/// The values as rows of cells of the schema's types (one per column, in
/// the schema's order); a null is refused where `optional` says the column
/// may not be left out.
pub fn typed(
    columns: &Columns,
    optional: &dyn Fn(&Column) -> bool,
) -> Result<Vec<Vec<Cell>>, Errors> {
    let mut errors = Errors::default();
    let mut rows: Vec<Vec<Cell>> = (0..columns.rows)
        .map(|_| Vec::with_capacity(columns.values.len()))
        .collect();
    for (column, values) in &columns.values {
        let cells = typed_column(column, optional(column), values, &mut errors);
        for (row, cell) in rows.iter_mut().zip(cells) {
            row.push(cell);
        }
    }
    if errors.total > 0 {
        return Err(errors);
    }
    Ok(rows)
}

fn typed_column(
    column: &Column,
    null_ok: bool,
    values: &[&Value],
    errors: &mut Errors,
) -> Vec<Cell> {
    let mut problems: Vec<(usize, String)> = Vec::new();
    let wrong =
        |value: &Value, what: &str| format!("`{}` is not {what}", excerpt(&value.to_string()));
    let read = |v: &Value| -> Result<Cell, String> {
        match &column.ty {
            ColumnType::Int => integer(v)
                .map(Cell::Int)
                .ok_or_else(|| wrong(v, "an integer")),
            ColumnType::Float => v
                .as_f64()
                .filter(|f| f.is_finite())
                .map(Cell::Float)
                .ok_or_else(|| wrong(v, "a finite number")),
            ColumnType::Bool => v
                .as_bool()
                .map(Cell::Bool)
                .ok_or_else(|| wrong(v, "true or false")),
            ColumnType::Str | ColumnType::Enum(_) | ColumnType::Datetime => {
                match (v.as_str(), &column.ty) {
                    (Some(s), ColumnType::Enum(variants)) if !variants.iter().any(|x| x == s) => {
                        Err(format!("`{}` is not one of {}", excerpt(s), column.ty))
                    }
                    (Some(s), _) => Ok(Cell::Str(s.into())),
                    (None, _) => Err(wrong(v, "a string")),
                }
            }
        }
    };
    let mut cells: Vec<Cell> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if v.is_null() {
                if !null_ok {
                    problems.push((
                        i,
                        format!(
                            "null, but the column is `{}` (not nullable)",
                            column.type_text()
                        ),
                    ));
                }
                return Cell::Null;
            }
            read(v).unwrap_or_else(|message| {
                problems.push((i, message));
                Cell::Null
            })
        })
        .collect();
    if column.ty == ColumnType::Datetime {
        datetimes(&column.name, &mut cells, &mut problems);
    }
    for (row, message) in problems {
        errors.push(Some(row), Some(&column.name), message);
    }
    cells
}

/// JSON Schema's integer: `3` and also `3.0`, within i64.
fn integer(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
            .map(|f| f as i64)
    })
}

/// Text to datetimes, read as a source reads them (`data::typed_expr`).
fn datetimes(name: &str, cells: &mut [Cell], problems: &mut Vec<(usize, String)>) {
    let text: Vec<Option<Box<str>>> = cells
        .iter()
        .map(|c| match c {
            Cell::Str(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    let refs: Vec<Option<&str>> = text.iter().map(Option::as_deref).collect();
    let column: PlSmallStr = name.into();
    let parsed = DataFrame::new(
        text.len(),
        vec![Series::new(column.clone(), &refs).into_column()],
    )
    .and_then(|frame| {
        frame
            .lazy()
            .select([
                typed_expr(&column, &ColumnType::Datetime, &DataType::String).cast(DataType::Int64),
            ])
            .collect()
    })
    .and_then(|frame| frame.column(&column)?.i64().cloned());
    let Ok(parsed) = parsed else {
        problems.push((0, "the date-times cannot be read".into()));
        cells.fill(Cell::Null);
        return;
    };
    let parsed: Vec<Option<i64>> = parsed.iter().collect();
    for (i, (before, after)) in text.iter().zip(parsed).enumerate() {
        cells[i] = match (before, after) {
            (Some(_), Some(us)) => Cell::Datetime(us),
            (Some(before), None) => {
                problems.push((
                    i,
                    format!(
                        "`{}` is not a date-time (`2024-01-31T12:00:00`)",
                        excerpt(before)
                    ),
                ));
                Cell::Null
            }
            (None, _) => Cell::Null,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::types::Tags;
    use proptest::prelude::*;

    fn schema() -> Schema {
        let column = |name: &str, ty: ColumnType, nullable: bool| {
            Column::new(name, ty, nullable, Tags::new())
        };
        Schema {
            columns: vec![
                column("i", ColumnType::Int, false),
                column("f", ColumnType::Float, true),
                column("b", ColumnType::Bool, false),
                column("s", ColumnType::Str, true),
                column(
                    "e",
                    ColumnType::Enum(vec!["a".into(), "b".into()].into()),
                    false,
                ),
                column("t", ColumnType::Datetime, true),
            ],
        }
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            prop_oneof![
                Just("a".to_string()),
                Just("2024-01-31T12:00:00".to_string()),
                ".{0,12}"
            ]
            .prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("i".to_string()),
                        Just("f".to_string()),
                        Just("e".to_string()),
                        Just("t".to_string()),
                        ".{0,4}"
                    ],
                    inner,
                    0..7
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Any JSON, in either form, becomes a table or a list of errors
        /// that each name a field or a row: never a panic.
        #[test]
        fn any_body_is_typed_or_refused_with_its_rows_and_fields(body in json()) {
            let schema = schema();
            let optional = |c: &Column| c.nullable;
            let rows = body.as_array().cloned().unwrap_or_else(|| vec![body.clone()]);
            let results = [
                from_rows(&rows, &schema, &optional).and_then(|c| typed(&c, &optional)),
                match body.as_object() {
                    Some(columns) => from_columns(columns, &schema, &optional).and_then(|c| typed(&c, &optional)),
                    None => Err(Errors::one("not an object")),
                },
            ];
            for result in results {
                match result {
                    Ok(rows) => prop_assert!(rows.iter().all(|r| r.len() == schema.columns.len())),
                    Err(errors) => {
                        prop_assert!(errors.total >= errors.listed.len() && !errors.listed.is_empty());
                        prop_assert!(errors.listed.len() <= MAX_ERRORS);
                    }
                }
            }
        }
    }
}
