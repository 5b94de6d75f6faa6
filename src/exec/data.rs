//! Loading source files into polars frames, checked against the declared
//! schema.
//!
//! Polars parses; this module makes its errors precise. CSV files are read
//! into memory once, checked for structure (UTF-8, quoting, one field count
//! per record) by a small scanner that mirrors polars' field splitting, and
//! then handed to polars with every column as `String`. Each column is then
//! converted to its declared type with non-strict casts, and a cell is bad
//! where the converted value is null but the text was not (or where a
//! non-nullable column has a null). Only when a bad cell exists is the file
//! scanned again to turn a row number into a line number, so the common path
//! pays for one structural pass.
//!
//! JSON Lines: object keys the schema does not declare are ignored (JSON
//! records routinely carry extra fields), and an absent key is a null.
//! Parquet: columns are typed already; compatible types are cast (any integer
//! to `int`, any number to `float`), and errors name a row instead of a line.
//! `datetime` accepts ISO 8601 dates and naive date-times
//! (`2024-01-31`, `2024-01-31T10:00:00`, `2024-01-31 10:00:00.5`); offsets
//! and time zones are not supported.

use crate::check::types::{Column, ColumnType, Schema};
use polars::prelude::*;
use std::fmt;
use std::io::Cursor;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
    Jsonl,
}

/// What to do with a row holding a bad value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadRows {
    Error,
    Drop,
}

#[derive(Clone, Debug)]
pub struct SourceSpec {
    pub name: String,
    pub format: Format,
    /// Already resolved (see `files::Confinement::data_files`); read and
    /// concatenated in order.
    pub paths: Vec<PathBuf>,
    pub delimiter: u8,
    pub header: bool,
    /// Cell texts read as null (CSV only).
    pub null_values: Vec<String>,
    pub on_bad_rows: BadRows,
    pub schema: Schema,
}

impl SourceSpec {
    /// The language's defaults: `,`, a header, `""` as the null token,
    /// bad rows are errors.
    pub fn new(
        name: impl Into<String>,
        format: Format,
        paths: Vec<PathBuf>,
        schema: Schema,
    ) -> SourceSpec {
        SourceSpec {
            name: name.into(),
            format,
            paths,
            delimiter: b',',
            header: true,
            null_values: vec![String::new()],
            on_bad_rows: BadRows::Error,
            schema,
        }
    }
}

/// A loaded table: its columns have the polars types of the schema
/// (int → Int64, float → Float64, bool → Boolean, str and enum → String,
/// datetime → Datetime(µs)).
#[derive(Clone, Debug)]
pub struct Loaded {
    pub frame: DataFrame,
    /// Rows removed because of bad values (`on_bad_rows = drop`).
    pub dropped_rows: usize,
    /// Up to [`MAX_SAMPLES`] of the dropped rows' first bad values.
    pub bad_rows_sample: Vec<BadValue>,
}

pub const MAX_SAMPLES: usize = 5;

/// One cell (or, for a ragged row, one record) that does not fit the schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadValue {
    pub file: PathBuf,
    /// 1-based, header counted (CSV, JSON Lines).
    pub line: Option<usize>,
    /// 1-based data row (Parquet, which has no lines).
    pub row: Option<usize>,
    /// `None` for a ragged row.
    pub column: Option<String>,
    /// The cell as written; `None` for a missing value.
    pub value: Option<String>,
    /// The declared type as written in the schema (`int`, `float?`), or the
    /// expected field count of a ragged row.
    pub expected: String,
    pub message: String,
}

impl BadValue {
    fn cell(
        file: &Path,
        line: Option<usize>,
        row: Option<usize>,
        column: &Column,
        value: Option<String>,
    ) -> BadValue {
        let message = match &value {
            None => format!(
                "missing value, but the column is `{}` (not nullable)",
                column.type_text()
            ),
            Some(v) if column.ty == ColumnType::Float && is_non_finite(v) => format!(
                "`{}` is not a finite float (to read it as a missing value, make the column nullable and list the text in `null_values`)",
                excerpt(v)
            ),
            Some(v) => format!("`{}` is not {}", excerpt(v), type_phrase(&column.ty)),
        };
        BadValue {
            file: file.to_path_buf(),
            line,
            row,
            column: Some(column.name.to_string()),
            value: value.as_deref().map(excerpt),
            expected: column.type_text(),
            message,
        }
    }
}

fn is_non_finite(text: &str) -> bool {
    text.trim().parse::<f64>().is_ok_and(|v| !v.is_finite())
}

/// The longest piece of a data value a message shows.
const EXCERPT_CHARS: usize = 200;

/// A data value as messages show it: at most [`EXCERPT_CHARS`] characters,
/// so a huge cell cannot flood a terminal or a log.
pub fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        None => text.to_string(),
        Some((cut, _)) => format!(
            "{}… ({} more characters)",
            &text[..cut],
            text[cut..].chars().count()
        ),
    }
}

/// A header name in a list of them: shorter than a value's excerpt.
fn excerpt_short(text: &str) -> String {
    match text.char_indices().nth(40) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

fn type_phrase(ty: &ColumnType) -> String {
    match ty {
        ColumnType::Int => "an int".to_string(),
        ColumnType::Float => "a float".to_string(),
        ColumnType::Bool => "a bool (`true` or `false`)".to_string(),
        ColumnType::Str => "a str".to_string(),
        ColumnType::Datetime => "an ISO 8601 datetime".to_string(),
        ColumnType::Enum(variants) => {
            let quoted: Vec<String> = variants.iter().map(|v| format!("\"{v}\"")).collect();
            format!("one of {}", quoted.join(", "))
        }
    }
}

impl fmt::Display for BadValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        DataError::from(self.clone()).fmt(f)
    }
}

/// A source that cannot be loaded. `Display`:
/// ``data/x.csv:17: column `Age`: `abc` is not an int``.
///
/// Boxed, as errors are rare and the details are large; the fields are
/// read through `Deref` (`err.line`, `err.column`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataError(Box<DataErrorDetails>);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataErrorDetails {
    pub file: PathBuf,
    /// 1-based, header counted (CSV, JSON Lines).
    pub line: Option<usize>,
    /// 1-based data row (Parquet).
    pub row: Option<usize>,
    pub column: Option<String>,
    /// The offending cell as written.
    pub value: Option<String>,
    /// The declared type as written in the schema.
    pub expected: Option<String>,
    pub message: String,
}

impl std::ops::Deref for DataError {
    type Target = DataErrorDetails;
    fn deref(&self) -> &DataErrorDetails {
        &self.0
    }
}

impl std::ops::DerefMut for DataError {
    fn deref_mut(&mut self) -> &mut DataErrorDetails {
        &mut self.0
    }
}

impl DataError {
    pub fn new(file: impl Into<PathBuf>, message: impl Into<String>) -> DataError {
        DataError(Box::new(DataErrorDetails {
            file: file.into(),
            line: None,
            row: None,
            column: None,
            value: None,
            expected: None,
            message: message.into(),
        }))
    }

    fn at_line(mut self, line: usize) -> DataError {
        self.line = Some(line);
        self
    }

    fn in_column(mut self, column: &str) -> DataError {
        self.column = Some(column.to_string());
        self
    }
}

impl From<BadValue> for DataError {
    fn from(bad: BadValue) -> DataError {
        DataError(Box::new(DataErrorDetails {
            file: bad.file,
            line: bad.line,
            row: bad.row,
            column: bad.column,
            value: bad.value,
            expected: Some(bad.expected),
            message: bad.message,
        }))
    }
}

fn write_location(
    f: &mut fmt::Formatter<'_>,
    file: &Path,
    line: Option<usize>,
    row: Option<usize>,
) -> fmt::Result {
    write!(f, "{}", file.display())?;
    if let Some(line) = line {
        write!(f, ":{line}")?;
    }
    if let Some(row) = row {
        write!(f, ": row {row}")?;
    }
    Ok(())
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_location(f, &self.file, self.line, self.row)?;
        if let Some(column) = &self.column {
            write!(f, ": column `{column}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for DataError {}

/// Reads every file of the source, checks each value against the schema,
/// and concatenates the files in order.
pub fn load(spec: &SourceSpec) -> Result<Loaded, DataError> {
    if spec.paths.is_empty() {
        return Err(DataError::new(&spec.name, "the source names no file"));
    }
    let mut out: Option<Loaded> = None;
    for path in &spec.paths {
        let part = load_file(spec, path)?;
        out = Some(match out {
            None => part,
            Some(mut acc) => {
                acc.frame.vstack_mut(&part.frame).map_err(|e| {
                    DataError::new(path, format!("cannot append to the earlier files: {e}"))
                })?;
                acc.dropped_rows += part.dropped_rows;
                let room = MAX_SAMPLES.saturating_sub(acc.bad_rows_sample.len());
                acc.bad_rows_sample
                    .extend(part.bad_rows_sample.into_iter().take(room));
                acc
            }
        });
    }
    match out {
        Some(mut loaded) => {
            loaded.frame.rechunk_mut();
            Ok(loaded)
        }
        None => Err(DataError::new(&spec.name, "the source names no file")),
    }
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, DataError> {
    crate::files::check_readable_file(path).map_err(|message| DataError::new(path, message))?;
    std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => DataError::new(path, "no such file"),
        _ => DataError::new(path, format!("cannot read: {e}")),
    })
}

/// Where the cells of a raw frame came from, to name them in errors.
enum Origin<'a> {
    /// CSV bytes; data row `r` is record `r + first_record`.
    Csv {
        bytes: &'a [u8],
        delimiter: u8,
        first_record: usize,
        field_of: Vec<usize>,
    },
    /// JSON Lines bytes; data row `r` is the `r`-th non-blank line.
    Jsonl {
        bytes: &'a [u8],
    },
    Parquet,
}

fn load_file(spec: &SourceSpec, path: &Path) -> Result<Loaded, DataError> {
    match spec.format {
        Format::Csv => load_csv(spec, path),
        Format::Jsonl => load_jsonl(spec, path),
        Format::Parquet => load_parquet(spec, path),
    }
}

fn check_utf8(path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    std::str::from_utf8(bytes).map(|_| ()).map_err(|e| {
        let at = e.valid_up_to();
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        DataError::new(path, "invalid UTF-8: the file is not UTF-8 text").at_line(line)
    })
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn polars_err(path: &Path, e: PolarsError) -> DataError {
    DataError::new(path, format!("cannot read: {e}"))
}

/// A file whose lines all end with a lone `\r` (classic Mac OS) is read
/// with `\n` instead; one that mixes a lone `\r` with `\n` is refused at
/// the first such line, since either reading of it would be a guess.
fn unify_line_ends<'a>(
    path: &Path,
    bytes: &'a [u8],
) -> Result<std::borrow::Cow<'a, [u8]>, DataError> {
    let mut quoted = false;
    let mut newlines = 0;
    let mut lone = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => newlines += 1,
            b'\r' if !quoted && bytes.get(i + 1) != Some(&b'\n') => {
                if newlines > 0 {
                    return Err(DataError::new(
                        path,
                        "a carriage return (\\r) alone ends this line, but earlier lines end with \\n: save the file with one kind of line ending",
                    )
                    .at_line(newlines + 1));
                }
                lone.push(i);
            }
            _ => {}
        }
    }
    if lone.is_empty() {
        return Ok(std::borrow::Cow::Borrowed(bytes));
    }
    if newlines > 0 {
        let line = bytes[..lone[0]].iter().filter(|&&b| b == b'\n').count() + 1;
        return Err(DataError::new(
            path,
            "a carriage return (\\r) alone ends this line, but other lines end with \\n: save the file with one kind of line ending",
        )
        .at_line(line));
    }
    let mut owned = bytes.to_vec();
    for i in lone {
        owned[i] = b'\n';
    }
    Ok(std::borrow::Cow::Owned(owned))
}

fn load_csv(spec: &SourceSpec, path: &Path) -> Result<Loaded, DataError> {
    let owned = read_bytes(path)?;
    check_utf8(path, strip_bom(&owned))?;
    let bytes = unify_line_ends(path, strip_bom(&owned))?;
    let bytes = &bytes[..];
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(DataError::new(path, "the file is empty"));
    }

    // Structure first: polars fills short rows with nulls and is lenient
    // with stray quotes, so its own errors could not name the line.
    let mut scanner = Scanner::new(bytes, spec.delimiter);
    let mut names: Vec<String> = Vec::new();
    // Records before the first data row: the header and blank lines.
    let mut first_record = 0;
    if spec.header {
        // Polars skips blank lines before the header; so does the scanner.
        let header = loop {
            let record = scanner
                .next_record(true)
                .ok_or_else(|| DataError::new(path, "the file is empty"))?
                .map_err(|e| e.into_error(path))?;
            first_record += 1;
            if !record.blank {
                break record;
            }
        };
        names = header.texts;
        check_header(path, &names, &spec.schema)?;
    }
    let width = if spec.header {
        names.len()
    } else {
        spec.schema.columns.len()
    };
    let mut ragged: Vec<Ragged> = Vec::new();
    let mut blank: Vec<u32> = Vec::new();
    let mut row: u32 = 0;
    while let Some(record) = scanner.next_record(false) {
        let record = record.map_err(|e| e.into_error(path))?;
        if record.blank && width > 1 {
            // Polars reads a blank line as a row of nulls; like most CSV
            // readers, skip it instead.
            blank.push(row);
        } else if record.fields != width {
            if spec.on_bad_rows == BadRows::Error {
                return Err(DataError::new(
                    path,
                    format!(
                        "expected {width} fields, found {} (a ragged row)",
                        record.fields
                    ),
                )
                .at_line(record.line));
            }
            ragged.push(Ragged {
                row,
                line: record.line,
                fields: record.fields,
                width,
            });
        }
        row += 1;
    }

    if !spec.header {
        names = spec.schema.names().map(str::to_string).collect();
    }

    let mut tokens: Vec<PlSmallStr> = Vec::new();
    let mut empty_is_null = false;
    for t in &spec.null_values {
        if t.is_empty() {
            empty_is_null = true;
        } else {
            tokens.push(t.as_str().into());
        }
    }
    let null_values = (!tokens.is_empty()).then_some(NullValues::AllColumns(tokens));
    let read = |typed: bool| -> Result<DataFrame, DataError> {
        let schema: Schema_ = names
            .iter()
            .map(|n| {
                let ty = spec.schema.get(n).map(|c| &c.ty);
                Field::new(n.as_str().into(), read_type(ty, typed))
            })
            .collect();
        let raw = CsvReadOptions::default()
            .with_has_header(spec.header)
            .with_schema(Some(Arc::new(schema)))
            .with_raise_if_empty(false)
            .map_parse_options(|o| {
                o.with_separator(spec.delimiter)
                    .with_quote_char(Some(b'"'))
                    .with_null_values(null_values.clone())
                    // Polars reads an empty cell as null only through this
                    // flag, whatever the null tokens say.
                    .with_missing_is_null(empty_is_null)
                    .with_truncate_ragged_lines(true)
            })
            .into_reader_with_file_handle(Cursor::new(bytes))
            .finish()
            .map_err(|e| polars_err(path, e))?;
        if raw.height() != row as usize {
            return Err(DataError::new(
                path,
                format!(
                    "read {} rows where the file has {row} records",
                    raw.height()
                ),
            ));
        }
        Ok(raw)
    };
    let field_of = spec
        .schema
        .columns
        .iter()
        .map(|c| names.iter().position(|n| **n == *c.name).unwrap_or(0))
        .collect();
    let origin = Origin::Csv {
        bytes,
        delimiter: spec.delimiter,
        first_record,
        field_of,
    };
    let skips = Skips { ragged, blank };
    // The numeric columns parsed as they are read, on every core. A file
    // with a bad value anywhere is read again as text, so that the report
    // names its cell as written; so is one with a field that starts with a
    // blank, which polars' number parser would accept and a cast refuses.
    if !scanner.padded {
        if let Ok(raw) = read(true) {
            if let Ok(loaded) = conform(spec, path, raw, &origin, &skips) {
                if loaded.dropped_rows == 0 {
                    return Ok(loaded);
                }
            }
        }
    }
    conform(spec, path, read(false)?, &origin, &skips)
}

/// How the CSV reader reads a column declared `ty`: ints and floats as
/// such when `typed` (polars parses them like its casts from text do),
/// everything else as text for [`conform`] to convert: booleans and
/// date-times have spellings of their own here.
fn read_type(ty: Option<&ColumnType>, typed: bool) -> DataType {
    match ty {
        Some(ColumnType::Int) if typed => DataType::Int64,
        Some(ColumnType::Float) if typed => DataType::Float64,
        _ => DataType::String,
    }
}

type Schema_ = polars::prelude::Schema;

/// CSV rows that polars read but that are not data rows.
#[derive(Default)]
struct Skips {
    /// Records with the wrong number of fields (`on_bad_rows = drop`).
    ragged: Vec<Ragged>,
    /// Blank lines, removed silently.
    blank: Vec<u32>,
}

fn rows_in(rows: &[u32]) -> Expr {
    col(ROW).is_in(lit(Series::new("rows".into(), rows)).implode(false), false)
}

/// A CSV record with the wrong number of fields, kept to be dropped.
struct Ragged {
    row: u32,
    line: usize,
    fields: usize,
    width: usize,
}

impl Ragged {
    fn bad_value(&self, path: &Path) -> BadValue {
        BadValue {
            file: path.to_path_buf(),
            line: Some(self.line),
            row: None,
            column: None,
            value: None,
            expected: format!("{} fields", self.width),
            message: format!(
                "expected {} fields, found {} (a ragged row)",
                self.width, self.fields
            ),
        }
    }
}

fn check_header(path: &Path, names: &[String], schema: &Schema) -> Result<(), DataError> {
    for (i, n) in names.iter().enumerate() {
        if names[..i].contains(n) {
            return Err(DataError::new(
                path,
                format!("the header names column `{}` twice", excerpt(n)),
            )
            .at_line(1));
        }
    }
    let undeclared: Vec<&String> = names.iter().filter(|n| schema.get(n).is_none()).collect();
    if !undeclared.is_empty() {
        // A file that is not the data declared (or has no header) would
        // otherwise have its first line echoed whole.
        const SHOWN: usize = 5;
        let mut listed: Vec<String> = undeclared
            .iter()
            .take(SHOWN)
            .map(|n| format!("`{}`", excerpt_short(n)))
            .collect();
        if undeclared.len() > SHOWN {
            listed.push(format!("and {} more", undeclared.len() - SHOWN));
        }
        let (s, verb) = if undeclared.len() == 1 {
            ("", "is")
        } else {
            ("s", "are")
        };
        return Err(DataError::new(
            path,
            format!(
                "column{s} {} {verb} not declared in the schema",
                listed.join(", ")
            ),
        )
        .at_line(1));
    }
    if let Some(missing) = schema.names().find(|c| !names.iter().any(|n| n == c)) {
        return Err(
            DataError::new(path, "declared in the schema but missing from the header")
                .at_line(1)
                .in_column(missing),
        );
    }
    Ok(())
}

fn load_jsonl(spec: &SourceSpec, path: &Path) -> Result<Loaded, DataError> {
    let owned = read_bytes(path)?;
    let bytes = strip_bom(&owned);
    check_utf8(path, bytes)?;
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(DataError::new(path, "the file is empty"));
    }
    let schema: Schema_ = spec
        .schema
        .columns
        .iter()
        .map(|c| Field::new((&*c.name).into(), DataType::String))
        .collect();
    let raw = JsonReader::new(Cursor::new(bytes))
        .with_json_format(JsonFormat::JsonLines)
        .with_schema(Arc::new(schema))
        .finish()
        .map_err(|e| locate_json_error(spec, path, bytes).unwrap_or_else(|| polars_err(path, e)))?;
    conform(spec, path, raw, &Origin::Jsonl { bytes }, &Skips::default())
}

fn json_lines(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
}

/// Polars' JSON errors name no line: find the first line that is not an
/// object, or whose declared field holds a nested value.
fn locate_json_error(spec: &SourceSpec, path: &Path, bytes: &[u8]) -> Option<DataError> {
    for (line, text) in json_lines(bytes) {
        let value: serde_json::Value = match serde_json::from_slice(text) {
            Ok(v) => v,
            Err(e) => {
                return Some(DataError::new(path, format!("invalid JSON: {e}")).at_line(line))
            }
        };
        let Some(object) = value.as_object() else {
            return Some(
                DataError::new(path, "a JSON Lines record must be an object").at_line(line),
            );
        };
        for c in &spec.schema.columns {
            if let Some(v @ (serde_json::Value::Array(_) | serde_json::Value::Object(_))) =
                object.get(&*c.name)
            {
                let bad = BadValue::cell(path, Some(line), None, c, Some(v.to_string()));
                return Some(bad.into());
            }
        }
    }
    None
}

fn load_parquet(spec: &SourceSpec, path: &Path) -> Result<Loaded, DataError> {
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => DataError::new(path, "no such file"),
        _ => DataError::new(path, format!("cannot read: {e}")),
    })?;
    let raw = ParquetReader::new(file)
        .finish()
        .map_err(|e| polars_err(path, e))?;
    let names: Vec<String> = raw
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    check_header(path, &names, &spec.schema).map_err(|mut e| {
        e.line = None;
        e
    })?;
    for c in &spec.schema.columns {
        let dtype = raw
            .column(&c.name)
            .map_err(|e| polars_err(path, e))?
            .dtype();
        if !stored_type_fits(&c.ty, dtype) {
            return Err(DataError::new(
                path,
                format!("the file stores {dtype}, not {}", type_phrase(&c.ty)),
            )
            .in_column(&c.name));
        }
    }
    conform(spec, path, raw, &Origin::Parquet, &Skips::default())
}

/// Whether a column stored with `dtype` can hold values of `ty` (a string
/// column is parsed like CSV text).
fn stored_type_fits(ty: &ColumnType, dtype: &DataType) -> bool {
    if dtype.is_string() || dtype.is_null() {
        return true;
    }
    match ty {
        ColumnType::Int => dtype.is_integer(),
        ColumnType::Float => dtype.is_primitive_numeric(),
        ColumnType::Bool => dtype.is_bool(),
        ColumnType::Str | ColumnType::Enum(_) => false,
        ColumnType::Datetime => matches!(dtype, DataType::Datetime(..)),
    }
}

const ROW: &str = "__mlp_row";
const BAD: &str = "__mlp_bad";

/// The declared columns converted to their types: a null where the input
/// had a value means the value did not convert. Also how `mlp serve`
/// reads a request's date-times.
pub(crate) fn typed_expr(name: &str, ty: &ColumnType, raw_dtype: &DataType) -> Expr {
    let src = col(name);
    match ty {
        ColumnType::Int => src.cast(DataType::Int64),
        // NaN and the infinities parse as floats but would only fail inside
        // training, far from their cell: they are bad values here.
        ColumnType::Float => {
            let float = src.cast(DataType::Float64);
            when(float.clone().is_finite())
                .then(float)
                .otherwise(lit(NULL).cast(DataType::Float64))
        }
        ColumnType::Bool if raw_dtype.is_string() => when(src.clone().eq(lit("true")))
            .then(lit(true))
            .when(src.eq(lit("false")))
            .then(lit(true).not())
            .otherwise(lit(NULL).cast(DataType::Boolean)),
        ColumnType::Bool => src.cast(DataType::Boolean),
        ColumnType::Str => src.cast(DataType::String),
        ColumnType::Enum(variants) => {
            let allowed = Series::new("variants".into(), &variants[..]);
            when(src.clone().is_in(lit(allowed).implode(false), false))
                .then(src.cast(DataType::String))
                .otherwise(lit(NULL).cast(DataType::String))
        }
        ColumnType::Datetime if raw_dtype.is_string() => {
            let unit = TimeUnit::Microseconds;
            let parse = |fmt: &str| {
                src.clone().str().to_datetime(
                    Some(unit),
                    None,
                    StrptimeOptions {
                        format: Some(fmt.into()),
                        strict: false,
                        exact: true,
                        cache: false,
                    },
                    lit("raise"),
                )
            };
            coalesce(&[
                parse("%Y-%m-%dT%H:%M:%S%.f"),
                parse("%Y-%m-%d %H:%M:%S%.f"),
                parse("%Y-%m-%dT%H:%M"),
                parse("%Y-%m-%d %H:%M"),
                parse("%Y-%m-%d"),
            ])
        }
        ColumnType::Datetime => src.cast(DataType::Datetime(TimeUnit::Microseconds, None)),
    }
}

fn bad_expr(name: &str, nullable: bool, typed: Expr) -> Expr {
    if nullable {
        typed.is_null().and(col(name).is_not_null())
    } else {
        typed.is_null()
    }
}

fn conform(
    spec: &SourceSpec,
    path: &Path,
    raw: DataFrame,
    origin: &Origin<'_>,
    skips: &Skips,
) -> Result<Loaded, DataError> {
    let mut typed = Vec::with_capacity(spec.schema.columns.len());
    let mut bads = Vec::with_capacity(spec.schema.columns.len());
    for c in &spec.schema.columns {
        let dtype = raw
            .column(&c.name)
            .map_err(|e| polars_err(path, e))?
            .dtype()
            .clone();
        let e = typed_expr(&c.name, &c.ty, &dtype);
        let mut bad = bad_expr(&c.name, c.nullable, e.clone());
        if !skips.blank.is_empty() {
            bad = bad.and(rows_in(&skips.blank).not());
        }
        bads.push(bad);
        typed.push(e.alias(&*c.name));
    }
    let mut any_bad = match any_horizontal(&bads) {
        Ok(e) => e,
        // No declared column: nothing can be bad.
        Err(_) => lit(false),
    };
    if !skips.ragged.is_empty() {
        any_bad = any_bad.or(is_ragged(&skips.ragged));
    }
    let mut selected = typed.clone();
    selected.push(any_bad.alias(BAD));
    let mut checked = raw.clone().lazy().with_row_index(ROW, None);
    if !skips.blank.is_empty() {
        checked = checked.filter(rows_in(&skips.blank).not());
    }
    let checked = checked
        .select([col(ROW)].into_iter().chain(selected).collect::<Vec<_>>())
        .collect()
        .map_err(|e| polars_err(path, e))?;
    let bad_mask = checked
        .column(BAD)
        .and_then(|c| c.bool().cloned())
        .map_err(|e| polars_err(path, e))?;
    let n_bad = bad_mask.sum().unwrap_or(0) as usize;
    let names: Vec<&str> = spec.schema.names().collect();
    if n_bad == 0 {
        let frame = checked.select(names).map_err(|e| polars_err(path, e))?;
        return Ok(Loaded {
            frame,
            dropped_rows: 0,
            bad_rows_sample: Vec::new(),
        });
    }

    let want = if spec.on_bad_rows == BadRows::Error {
        1
    } else {
        MAX_SAMPLES
    };
    let samples = first_bad_values(spec, path, &raw, &bads, &skips.ragged, origin, want)?;
    if spec.on_bad_rows == BadRows::Error {
        if let Some(bad) = samples.into_iter().next() {
            return Err(bad.into());
        }
        return Err(DataError::new(path, "a bad value could not be located"));
    }
    let frame = checked
        .lazy()
        .filter(col(BAD).not())
        .select(names.iter().map(|n| col(*n)).collect::<Vec<_>>())
        .collect()
        .map_err(|e| polars_err(path, e))?;
    Ok(Loaded {
        frame,
        dropped_rows: n_bad,
        bad_rows_sample: samples,
    })
}

fn is_ragged(ragged: &[Ragged]) -> Expr {
    let rows: Vec<u32> = ragged.iter().map(|r| r.row).collect();
    rows_in(&rows)
}

/// The first `want` bad rows, each with its first bad cell.
fn first_bad_values(
    spec: &SourceSpec,
    path: &Path,
    raw: &DataFrame,
    bads: &[Expr],
    ragged: &[Ragged],
    origin: &Origin<'_>,
    want: usize,
) -> Result<Vec<BadValue>, DataError> {
    // Per bad row, the index of its first bad column.
    let mut which = lit(NULL).cast(DataType::UInt32);
    for (i, b) in bads.iter().enumerate().rev() {
        which = when(b.clone()).then(lit(i as u32)).otherwise(which);
    }
    let found = raw
        .clone()
        .lazy()
        .with_row_index(ROW, None)
        .select([
            col(ROW),
            which.alias("__mlp_col"),
            is_ragged(ragged).alias("__mlp_ragged"),
        ])
        .filter(col("__mlp_col").is_not_null().or(col("__mlp_ragged")))
        .limit(want as IdxSize)
        .collect()
        .map_err(|e| polars_err(path, e))?;
    let rows = found
        .column(ROW)
        .and_then(|c| c.idx().cloned())
        .map_err(|e| polars_err(path, e))?;
    let cols = found
        .column("__mlp_col")
        .and_then(|c| c.u32().cloned())
        .map_err(|e| polars_err(path, e))?;
    let mut out = Vec::new();
    for (row, column) in rows.iter().zip(cols.iter()) {
        let Some(row) = row else { continue };
        if let Some(r) = ragged.iter().find(|r| r.row == row) {
            out.push(r.bad_value(path));
            continue;
        }
        let row = row as usize;
        let Some(column) = column.and_then(|c| spec.schema.columns.get(c as usize)) else {
            continue;
        };
        let value = raw
            .column(&column.name)
            .and_then(|c| c.get(row))
            .map_err(|e| polars_err(path, e))?;
        let value = match value {
            AnyValue::Null => None,
            AnyValue::String(s) => Some(s.to_string()),
            AnyValue::StringOwned(s) => Some(s.to_string()),
            other => Some(other.to_string()),
        };
        let (line, row_no) = match origin {
            Origin::Csv {
                bytes,
                delimiter,
                first_record,
                field_of,
            } => {
                let field = spec
                    .schema
                    .position(&column.name)
                    .and_then(|p| field_of.get(p))
                    .copied()
                    .unwrap_or(0);
                (
                    record_line(bytes, *delimiter, row + first_record, field),
                    None,
                )
            }
            Origin::Jsonl { bytes } => (json_lines(bytes).nth(row).map(|(l, _)| l), None),
            Origin::Parquet => (None, Some(row + 1)),
        };
        out.push(BadValue::cell(path, line, row_no, column, value));
    }
    Ok(out)
}

/// The line on which field `field` of record `record` (0-based, header
/// included) starts.
fn record_line(bytes: &[u8], delimiter: u8, record: usize, field: usize) -> Option<usize> {
    let mut scanner = Scanner::new(bytes, delimiter);
    for _ in 0..record {
        scanner.next_record(false)?.ok()?;
    }
    let r = scanner.next_record(true)?.ok()?;
    r.field_lines.get(field).copied().or(Some(r.line))
}

/// A CSV record's shape: where it starts and how many fields it has.
struct Record {
    line: usize,
    fields: usize,
    /// An empty line (or a lone `\r`).
    blank: bool,
    /// With `detail`: each field's unquoted text and starting line.
    texts: Vec<String>,
    field_lines: Vec<usize>,
}

enum ScanError {
    Unterminated { line: usize },
    AfterQuote { line: usize },
}

impl ScanError {
    fn into_error(self, path: &Path) -> DataError {
        match self {
            ScanError::Unterminated { line } => {
                DataError::new(path, "a quoted field is never closed (missing `\"`)").at_line(line)
            }
            ScanError::AfterQuote { line } => DataError::new(
                path,
                "unexpected text after a closing quote (a `\"` inside a quoted field must be doubled)",
            )
            .at_line(line),
        }
    }
}

/// Splits CSV the way polars does: a field starting with `"` runs to the
/// next lone `"` (`""` is an escaped quote) and may span lines; a `\r`
/// before a newline ends the line; blank lines are records of one empty
/// field.
struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
    delimiter: u8,
    /// A field seen so far starts with a space or a tab (inside its quotes,
    /// if quoted): polars' number parser skips them, its casts from text
    /// do not.
    padded: bool,
}

impl<'a> Scanner<'a> {
    fn new(bytes: &'a [u8], delimiter: u8) -> Scanner<'a> {
        Scanner {
            bytes,
            pos: 0,
            line: 1,
            delimiter,
            padded: false,
        }
    }

    fn next_record(&mut self, detail: bool) -> Option<Result<Record, ScanError>> {
        if self.pos >= self.bytes.len() {
            return None;
        }
        let record_start = self.pos;
        let mut record = Record {
            line: self.line,
            fields: 0,
            blank: false,
            texts: Vec::new(),
            field_lines: Vec::new(),
        };
        loop {
            let start = self.pos;
            let quoted = usize::from(self.bytes.get(start) == Some(&b'"'));
            if matches!(self.bytes.get(start + quoted), Some(b' ' | b'\t')) {
                self.padded = true;
            }
            if detail {
                record.field_lines.push(self.line);
            }
            record.fields += 1;
            let end;
            if self.bytes.get(self.pos) == Some(&b'"') {
                let opened = self.line;
                self.pos += 1;
                loop {
                    match self.bytes.get(self.pos) {
                        None => return Some(Err(ScanError::Unterminated { line: opened })),
                        Some(b'"') if self.bytes.get(self.pos + 1) == Some(&b'"') => self.pos += 2,
                        Some(b'"') => {
                            self.pos += 1;
                            break;
                        }
                        Some(b'\n') => {
                            self.line += 1;
                            self.pos += 1;
                        }
                        Some(_) => self.pos += 1,
                    }
                }
                end = self.pos;
                match self.bytes.get(self.pos) {
                    None | Some(b'\n') => {}
                    Some(&b) if b == self.delimiter => {}
                    Some(b'\r') if matches!(self.bytes.get(self.pos + 1), None | Some(b'\n')) => {
                        self.pos += 1
                    }
                    Some(_) => return Some(Err(ScanError::AfterQuote { line: self.line })),
                }
            } else {
                while let Some(&b) = self.bytes.get(self.pos) {
                    if b == self.delimiter || b == b'\n' {
                        break;
                    }
                    self.pos += 1;
                }
                end = self.pos;
            }
            if detail {
                let mut text = &self.bytes[start..end];
                if text.last() == Some(&b'\r') && self.bytes.get(end) != Some(&self.delimiter) {
                    text = &text[..text.len() - 1];
                }
                let text = String::from_utf8_lossy(text);
                let text = match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
                    Some(inner) => inner.replace("\"\"", "\""),
                    None => text.into_owned(),
                };
                record.texts.push(text);
            }
            match self.bytes.get(self.pos) {
                Some(&b) if b == self.delimiter => self.pos += 1,
                Some(b'\n') => {
                    record.blank = matches!(&self.bytes[record_start..self.pos], b"" | b"\r");
                    self.pos += 1;
                    self.line += 1;
                    return Some(Ok(record));
                }
                _ => {
                    record.blank = matches!(&self.bytes[record_start..self.pos], b"" | b"\r");
                    return Some(Ok(record));
                }
            }
        }
    }
}
