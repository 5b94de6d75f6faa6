//! `GET /openapi.json`: an OpenAPI 3.1 description of the server, with
//! the request schema written from the model's input schema (names, types,
//! enum variants, nullability), so clients can be generated and the API
//! fuzzed against its promises.

use super::Limits;
use crate::check::types::{Column, ColumnType};
use crate::exec::scoring::Scorer;
use serde_json::{json, Map, Value};

/// The JSON Schema of one column's values.
fn value_schema(column: &Column, null_ok: bool) -> Value {
    let mut schema = match &column.ty {
        // Requests are read as i64.
        ColumnType::Int => json!({"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX}),
        ColumnType::Float => json!({"type": "number"}),
        ColumnType::Bool => json!({"type": "boolean"}),
        ColumnType::Str => json!({"type": "string"}),
        ColumnType::Datetime => json!({"type": "string", "format": "date-time"}),
        ColumnType::Enum(variants) => json!({"type": "string", "enum": &variants[..]}),
    };
    if null_ok {
        let ty = schema["type"].clone();
        schema["type"] = json!([ty, "null"]);
        if let Some(variants) = schema.get_mut("enum").and_then(Value::as_array_mut) {
            variants.push(Value::Null);
        }
    }
    schema
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

pub fn document(scorer: &Scorer, limits: &Limits) -> Value {
    let artifact = &scorer.artifact;
    let input = &scorer.input().schema;
    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut columns = Map::new();
    for column in &input.columns {
        // The target may be sent, or null, or left out.
        let value = value_schema(column, scorer.optional(column));
        columns.insert(
            column.name.to_string(),
            json!({"type": "array", "items": value, "maxItems": limits.max_rows}),
        );
        properties.insert(column.name.to_string(), value);
        if !scorer.optional(column) {
            required.push(Value::from(&*column.name));
        }
    }
    let prediction = match artifact.kind.as_str() {
        "classifier" => json!({"type": "string", "enum": scorer.classes()}),
        "regressor" => json!({"type": "number"}),
        _ => json!({"type": "integer", "minimum": 0}),
    };
    let probabilities: Map<String, Value> = scorer
        .classes()
        .iter()
        .map(|c| {
            (
                c.clone(),
                json!({"type": "number", "minimum": 0, "maximum": 1}),
            )
        })
        .collect();
    let ok = |schema: &str| {
        json!({
            "description": "OK",
            "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}
        })
    };
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": format!("mlp serve: model {}", artifact.name),
            "version": crate::exec::cache::MLP_VERSION,
            "description": format!(
                "Predictions of the {} `{}` ({}), model hash {}.",
                artifact.kind, artifact.name, artifact.algorithm, scorer.hash
            ),
        },
        "paths": {
            "/v1/predict": {
                "post": {
                    "operationId": "predict",
                    "requestBody": {
                        "required": true,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PredictRequest"}}}
                    },
                    "responses": {
                        "200": ok("PredictResponse"),
                        "400": error_response("the body is not JSON of the expected shape"),
                        "413": error_response("the body is over the size limit"),
                        "415": error_response("the content type is not application/json"),
                        "422": error_response("values do not fit the input schema (`errors` lists them by row and field), or more rows than the limit"),
                        "503": error_response("the server is busy or the request timed out")
                    }
                }
            },
            "/v1/model": {"get": {"operationId": "model", "responses": {"200": {"description": "The model's metadata, input schema, training metrics and lineage", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
            "/healthz": {"get": {"operationId": "healthz", "responses": {"200": {"description": "The process is up", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
            "/readyz": {"get": {"operationId": "readyz", "responses": {"200": {"description": "The model is loaded", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
            "/metrics": {"get": {"operationId": "metrics", "responses": {"200": {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}}}}
        },
        "components": {
            "schemas": {
                "Row": {
                    "type": "object",
                    "properties": properties,
                    "required": required,
                    "additionalProperties": false
                },
                "PredictRequest": {
                    "oneOf": [
                        {
                            "type": "object",
                            "properties": {"rows": {"type": "array", "items": {"$ref": "#/components/schemas/Row"}, "maxItems": limits.max_rows}},
                            "required": ["rows"],
                            "additionalProperties": false
                        },
                        {
                            "type": "object",
                            "properties": {"columns": {
                                "type": "object",
                                "properties": columns,
                                "required": required,
                                "additionalProperties": false
                            }},
                            "required": ["columns"],
                            "additionalProperties": false
                        }
                    ]
                },
                "Prediction": {
                    "type": "object",
                    "properties": {
                        "row": {"type": "integer", "minimum": 0},
                        "prediction": prediction,
                        "probabilities": {"type": "object", "properties": probabilities, "additionalProperties": false},
                        "rejected": {"type": "string"}
                    },
                    "required": ["row"]
                },
                "PredictResponse": {
                    "type": "object",
                    "properties": {
                        "model": {"type": "string"},
                        "model_hash": {"type": "string"},
                        "request_id": {"type": "string"},
                        "predictions": {"type": "array", "items": {"$ref": "#/components/schemas/Prediction"}}
                    },
                    "required": ["model", "model_hash", "request_id", "predictions"]
                },
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {"type": "string"},
                        "errors": {"type": "array", "items": {
                            "type": "object",
                            "properties": {
                                "row": {"type": "integer"},
                                "field": {"type": "string"},
                                "message": {"type": "string"}
                            },
                            "required": ["message"]
                        }},
                        "total_errors": {"type": "integer"}
                    },
                    "required": ["error"]
                }
            }
        }
    })
}
