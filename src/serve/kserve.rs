//! The Open Inference Protocol (KServe v2) beside the simple API, so a
//! KServe `InferenceService` or Seldon routes to `mlp serve` unchanged:
//! one input tensor per column, shape `[rows]` (or `[rows, 1]`), and the
//! outputs `predict` and, for classifiers with probabilities,
//! `predict_proba` of shape `[rows, classes]`.

use super::{error, field_errors, input, json_body, record, score_rows, App, RequestId};
use crate::check::types::ColumnType;
use crate::exec::models::Prediction;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Map, Value};
use std::sync::Arc;

fn datatype(ty: &ColumnType) -> &'static str {
    match ty {
        ColumnType::Int => "INT64",
        ColumnType::Float => "FP64",
        ColumnType::Bool => "BOOL",
        ColumnType::Str | ColumnType::Enum(_) | ColumnType::Datetime => "BYTES",
    }
}

/// The datatypes a column accepts: any width of its kind.
fn accepts(ty: &ColumnType, datatype: &str) -> bool {
    match ty {
        ColumnType::Int => matches!(
            datatype,
            "INT8" | "INT16" | "INT32" | "INT64" | "UINT8" | "UINT16" | "UINT32" | "UINT64"
        ),
        ColumnType::Float => matches!(
            datatype,
            "FP16" | "FP32" | "FP64" | "INT8" | "INT16" | "INT32" | "INT64"
        ),
        ColumnType::Bool => datatype == "BOOL",
        _ => datatype == "BYTES",
    }
}

fn unknown_model(name: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!("no model `{}` here", crate::exec::data::excerpt(name)),
    )
}

pub(super) async fn server() -> Json<Value> {
    Json(json!({
        "name": "mlp",
        "version": crate::exec::cache::MLP_VERSION,
        "extensions": [],
    }))
}

pub(super) async fn live() -> Json<Value> {
    Json(json!({"live": true}))
}

pub(super) async fn ready() -> Json<Value> {
    Json(json!({"ready": true}))
}

pub(super) async fn model_ready(State(app): State<Arc<App>>, Path(name): Path<String>) -> Response {
    if name != app.scorer.artifact.name {
        return unknown_model(&name);
    }
    Json(json!({"name": name, "ready": true})).into_response()
}

fn outputs_metadata(app: &App) -> Vec<Value> {
    let mut outputs = vec![json!({
        "name": "predict",
        "datatype": match app.scorer.artifact.kind.as_str() {
            "classifier" => "BYTES",
            "regressor" => "FP64",
            _ => "INT64",
        },
        "shape": [-1],
    })];
    if app.scorer.artifact.kind == "classifier" {
        outputs.push(json!({
            "name": "predict_proba",
            "datatype": "FP64",
            "shape": [-1, app.scorer.classes().len()],
        }));
    }
    outputs
}

pub(super) async fn metadata(State(app): State<Arc<App>>, Path(name): Path<String>) -> Response {
    if name != app.scorer.artifact.name {
        return unknown_model(&name);
    }
    let inputs: Vec<Value> = app
        .scorer
        .input()
        .schema
        .columns
        .iter()
        .map(|c| json!({"name": &*c.name, "datatype": datatype(&c.ty), "shape": [-1]}))
        .collect();
    Json(json!({
        "name": name,
        "versions": [app.scorer.hash],
        "platform": "mlp",
        "inputs": inputs,
        "outputs": outputs_metadata(&app),
    }))
    .into_response()
}

/// One tensor's values as a flat list: `[rows]` or `[rows, 1]`.
fn flat(tensor: &Map<String, Value>) -> Result<(usize, Vec<Value>), String> {
    let shape: Vec<i64> = tensor
        .get("shape")
        .and_then(Value::as_array)
        .map(|s| s.iter().map(|d| d.as_i64().unwrap_or(-1)).collect())
        .ok_or("needs a `shape`")?;
    let rows = match shape.as_slice() {
        [n] | [n, 1] if *n >= 0 => *n as usize,
        _ => return Err("the shape must be [rows] or [rows, 1]".into()),
    };
    let data = tensor
        .get("data")
        .and_then(Value::as_array)
        .ok_or("needs its `data` as a list")?;
    let mut values = Vec::with_capacity(rows);
    for v in data {
        match v {
            // Row-major nesting of a [rows, 1] tensor.
            Value::Array(inner) if inner.len() == 1 => values.push(inner[0].clone()),
            Value::Array(_) => return Err("nested data must hold one value per row".into()),
            other => values.push(other.clone()),
        }
    }
    if values.len() != rows {
        return Err(format!(
            "the shape says {rows} values, `data` has {}",
            values.len()
        ));
    }
    Ok((rows, values))
}

pub(super) async fn infer(
    State(app): State<Arc<App>>,
    Extension(RequestId(id)): Extension<RequestId>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if name != app.scorer.artifact.name {
        return unknown_model(&name);
    }
    let (bytes, value) = match json_body(&headers, body) {
        Ok(parsed) => parsed,
        Err(response) => return *response,
    };
    let Some(tensors) = value.get("inputs").and_then(Value::as_array) else {
        return error(
            StatusCode::BAD_REQUEST,
            "an inference request needs `inputs`, a list of tensors",
        );
    };
    let schema = &app.scorer.input().schema;
    let mut columns = Map::new();
    for tensor in tensors {
        let Some(tensor) = tensor.as_object() else {
            return error(
                StatusCode::BAD_REQUEST,
                "each input must be a tensor object",
            );
        };
        let Some(name) = tensor.get("name").and_then(Value::as_str) else {
            return error(StatusCode::BAD_REQUEST, "each input needs a `name`");
        };
        let shown = crate::exec::data::excerpt(name);
        if let (Some(column), Some(dt)) = (
            schema.get(name),
            tensor.get("datatype").and_then(Value::as_str),
        ) {
            if !accepts(&column.ty, dt) {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "input `{shown}`: datatype {} does not fit `{}` (send {})",
                        crate::exec::data::excerpt(dt),
                        column.type_text(),
                        datatype(&column.ty)
                    ),
                );
            }
        }
        match flat(tensor) {
            Ok((rows, values)) if rows > app.limits.max_rows => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "input `{shown}` has {} rows: at most {} per request",
                        values.len(),
                        app.limits.max_rows
                    ),
                )
            }
            Ok((_, values)) => {
                columns.insert(name.to_string(), Value::Array(values));
            }
            Err(message) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("input `{shown}`: {message}"),
                )
            }
        }
    }
    let optional = |c: &crate::check::types::Column| app.scorer.optional(c);
    let typed = match input::from_columns(&columns, schema, &optional).and_then(|c| {
        let rows = c.rows;
        input::typed(&c, &optional).map(|typed| (rows, typed))
    }) {
        Ok(typed) => typed,
        Err(errors) => {
            return field_errors(
                StatusCode::BAD_REQUEST,
                "the inputs do not fit the model's input schema",
                errors,
            )
        }
    };
    let (rows, typed) = typed;
    let scored = match score_rows(&app, typed).await {
        Ok(scored) => scored,
        Err(response) => return response,
    };
    if let Some((row, reason)) = scored.rejected.first() {
        return error(
            StatusCode::BAD_REQUEST,
            format!("row {row} cannot be scored: {reason}"),
        );
    }
    let predictions = super::answers(&app, &scored, rows);
    record(&app, &id, &bytes, rows, &scored, &predictions);
    let classes = app.scorer.classes();
    let data: Vec<Value> = (0..rows).map(|i| scored.value(i, classes)).collect();
    let mut outputs = vec![json!({
        "name": "predict",
        "datatype": match scored.prediction {
            Prediction::Classes(_) => "BYTES",
            Prediction::Values(_) => "FP64",
            Prediction::Clusters(_) => "INT64",
        },
        "shape": [rows],
        "data": data,
    })];
    if let Some(p) = &scored.probabilities {
        outputs.push(json!({
            "name": "predict_proba",
            "datatype": "FP64",
            "shape": [rows, p.ncols()],
            "data": p.iter().copied().collect::<Vec<f64>>(),
        }));
    }
    let mut response = json!({
        "model_name": name,
        "model_version": app.scorer.hash,
        "outputs": outputs,
    });
    if let Some(request_id) = value.get("id").and_then(Value::as_str) {
        response["id"] = Value::from(request_id);
    }
    Json(response).into_response()
}
