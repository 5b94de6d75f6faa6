//! `mlp serve` and `mlp predict`: the model runtime the deployments run.
//!
//! Both score through `exec::scoring::Scorer`, the path `mlp run` trained
//! and evaluated with; this module only brings rows in (HTTP bodies here,
//! files in `predict.rs`) and predictions out.

pub mod audit;
pub mod drift;
pub mod input;
mod kserve;
pub mod openapi;
pub mod predict;

use crate::exec::models::Prediction;
use crate::exec::ops::rows::Cell;
use crate::exec::scoring::{Scored, Scorer, ROW_PATH_ROWS};
use audit::AuditLog;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use drift::Drift;
use input::Errors;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use serde_json::{json, Map, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the latency samples are folded into the histogram's buckets.
const METRICS_UPKEEP: Duration = Duration::from_secs(1);

/// What a request may cost.
#[derive(Clone, Debug)]
pub struct Limits {
    pub body_bytes: usize,
    pub max_rows: usize,
    /// From the request's arrival to its answer.
    pub timeout: Duration,
    /// Prediction requests scored at once; more wait (within the timeout).
    pub concurrency: usize,
}

pub struct Options {
    pub host: String,
    pub port: u16,
    pub workers: usize,
    pub limits: Limits,
    pub audit_log: Option<PathBuf>,
    pub audit_max_bytes: u64,
    /// Rows in the drift window.
    pub drift_window: usize,
    /// Training-time metrics of the model, shown by `/v1/model`.
    pub metrics: Option<Value>,
}

/// The latency buckets, in seconds: fine below a millisecond, where a
/// linear model answers, up to the seconds a monitor threshold may name.
const LATENCY_BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0,
    2.5, 10.0,
];

struct App {
    scorer: Scorer,
    metrics: PrometheusHandle,
    drift: Mutex<Drift>,
    audit: Option<Mutex<AuditLog>>,
    limits: Limits,
    openapi: Value,
    model: Value,
    next_id: AtomicU64,
    started: u64,
}

#[derive(Clone)]
struct RequestId(String);

/// An error answer: `{"error": ..., "errors": [...]}`.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

fn field_errors(status: StatusCode, message: &str, errors: Errors) -> Response {
    (
        status,
        Json(json!({
            "error": message,
            "errors": errors.listed,
            "total_errors": errors.total,
        })),
    )
        .into_response()
}

/// A client's `x-request-id` when it is a short token, else one of ours.
fn request_id(headers: &HeaderMap, app: &App) -> String {
    if let Some(id) = headers.get("x-request-id").and_then(|v| v.to_str().ok()) {
        if !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        {
            return id.to_string();
        }
    }
    let n = app.next_id.fetch_add(1, Ordering::Relaxed);
    format!("{:x}-{n:06x}", app.started)
}

async fn observe(State(app): State<Arc<App>>, mut request: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let id = request_id(request.headers(), &app);
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    let status = response.status().as_u16();
    let elapsed = start.elapsed().as_secs_f64();
    metrics::counter!("mlp_requests_total", "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!("mlp_request_duration_seconds", "route" => route.clone()).record(elapsed);
    tracing::info!(request_id = %id, route = %route, status, seconds = elapsed, "request");
    response
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

/// The body as JSON, or the answer to give instead.
fn json_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(Bytes, Value), Box<Response>> {
    if !is_json(headers) {
        return Err(Box::new(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the body as `Content-Type: application/json`",
        )));
    }
    let body = body.map_err(|rejection| {
        let status = rejection.status();
        Box::new(if status == StatusCode::PAYLOAD_TOO_LARGE {
            error(
                status,
                "the body is over the server's size limit (`--max-body`)",
            )
        } else {
            error(status, "the body cannot be read")
        })
    })?;
    let value: Value = serde_json::from_slice(&body).map_err(|e| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            format!("the body is not JSON: {e}"),
        ))
    })?;
    Ok((body, value))
}

/// Scores typed rows: a few rows by the row path right here (microseconds),
/// anything else through polars on the blocking pool, within the timeout.
async fn score_rows(app: &Arc<App>, rows: Vec<Vec<Cell>>) -> Result<Scored, Response> {
    let few = rows.len() <= ROW_PATH_ROWS;
    let scored = few.then(|| app.scorer.score_by_rows(&rows)).flatten();
    let scored = match scored {
        Some(scored) => scored,
        None => {
            let scoring = app.clone();
            let task = tokio::task::spawn_blocking(move || scoring.scorer.score_by_frame(&rows));
            match tokio::time::timeout(app.limits.timeout, task).await {
                Err(_) => {
                    return Err(error(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "the prediction took longer than the server's timeout",
                    ))
                }
                Ok(Err(_)) => Err("the prediction failed".to_string()),
                Ok(Ok(scored)) => scored,
            }
        }
    };
    scored.map_err(|message| error(StatusCode::INTERNAL_SERVER_ERROR, message))
}

/// Counts, drift and the audit line of a scored request.
fn record(app: &App, id: &str, body: &[u8], rows: usize, scored: &Scored, answers: &[Value]) {
    metrics::counter!("mlp_rows_predicted_total").increment(scored.kept.len() as u64);
    metrics::counter!("mlp_rows_rejected_total").increment(scored.rejected.len() as u64);
    if let Prediction::Classes(classes) = &scored.prediction {
        let names = app.scorer.classes();
        let mut counts = vec![0u64; names.len()];
        for &c in classes {
            if let Some(slot) = counts.get_mut(c) {
                *slot += 1;
            }
        }
        for (name, count) in names.iter().zip(counts) {
            if count > 0 {
                metrics::counter!("mlp_predictions_total", "class" => name.clone())
                    .increment(count);
            }
        }
    }
    if let Ok(mut drift) = app.drift.lock() {
        drift.observe(scored.features.view());
    }
    if let Some(audit) = &app.audit {
        let entry = audit::Entry {
            time: crate::clock::Utc::now().rfc3339(),
            request_id: id,
            model: &app.scorer.artifact.name,
            model_hash: &app.scorer.hash,
            input_hash: crate::exec::cache::hash_bytes(body),
            rows,
            predictions: answers.to_vec(),
        };
        let written = audit
            .lock()
            .map_err(|_| "the audit log is poisoned".to_string())
            .and_then(|mut log| log.write(&entry));
        if let Err(message) = written {
            metrics::counter!("mlp_audit_errors_total").increment(1);
            tracing::error!(request_id = %id, "audit log: {message}");
        }
    }
}

/// One answer per request row: the prediction (and class probabilities),
/// or why the row was not scored.
fn answers(app: &App, scored: &Scored, rows: usize) -> Vec<Value> {
    let classes = app.scorer.classes();
    let mut out: Vec<Value> = (0..rows).map(|row| json!({"row": row})).collect();
    for (i, &row) in scored.kept.iter().enumerate() {
        out[row]["prediction"] = scored.value(i, classes);
        if let Some(p) = &scored.probabilities {
            let probabilities: Map<String, Value> = classes
                .iter()
                .zip(p.row(i))
                .map(|(c, &v)| (c.clone(), json!(v)))
                .collect();
            out[row]["probabilities"] = Value::Object(probabilities);
        }
    }
    for (row, reason) in &scored.rejected {
        out[*row]["rejected"] = Value::from(reason.as_str());
    }
    out
}

async fn predict(
    State(app): State<Arc<App>>,
    Extension(RequestId(id)): Extension<RequestId>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (bytes, value) = match json_body(&headers, body) {
        Ok(parsed) => parsed,
        Err(response) => return *response,
    };
    let schema = &app.scorer.input().schema;
    let optional = |c: &crate::check::types::Column| app.scorer.optional(c);
    let object = match value.as_object() {
        Some(o) if o.len() == 1 => o,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "send `{\"rows\": [{...}, ...]}` or `{\"columns\": {name: [...], ...}}`",
            )
        }
    };
    let columns = match (object.get("rows"), object.get("columns")) {
        (Some(Value::Array(rows)), None) => {
            if rows.len() > app.limits.max_rows {
                return error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!(
                        "{} rows: at most {} per request (`--max-rows`)",
                        rows.len(),
                        app.limits.max_rows
                    ),
                );
            }
            input::from_rows(rows, schema, &optional)
        }
        (None, Some(Value::Object(columns))) => input::from_columns(columns, schema, &optional),
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "`rows` must be a list of objects, `columns` an object of lists",
            )
        }
    };
    let columns = match columns {
        Ok(columns) if columns.rows > app.limits.max_rows => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "{} rows: at most {} per request (`--max-rows`)",
                    columns.rows, app.limits.max_rows
                ),
            )
        }
        Ok(columns) => columns,
        Err(errors) => {
            return field_errors(
                StatusCode::UNPROCESSABLE_ENTITY,
                "the rows do not fit the model's input schema",
                errors,
            )
        }
    };
    let rows = columns.rows;
    let typed = match input::typed(&columns, &optional) {
        Ok(typed) => typed,
        Err(errors) => {
            return field_errors(
                StatusCode::UNPROCESSABLE_ENTITY,
                "the rows do not fit the model's input schema",
                errors,
            )
        }
    };
    let scored = match score_rows(&app, typed).await {
        Ok(scored) => scored,
        Err(response) => return response,
    };
    let predictions = answers(&app, &scored, rows);
    record(&app, &id, &bytes, rows, &scored, &predictions);
    Json(json!({
        "model": app.scorer.artifact.name,
        "model_hash": app.scorer.hash,
        "request_id": id,
        "predictions": predictions,
    }))
    .into_response()
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn readyz(State(app): State<Arc<App>>) -> Json<Value> {
    Json(
        json!({"status": "ready", "model": app.scorer.artifact.name, "model_hash": app.scorer.hash}),
    )
}

async fn model(State(app): State<Arc<App>>) -> Json<Value> {
    Json(app.model.clone())
}

async fn openapi(State(app): State<Arc<App>>) -> Json<Value> {
    Json(app.openapi.clone())
}

/// The drift gauges are computed here, when they are read, rather than on
/// every request: a window's statistics cost more than a scored row.
async fn prometheus(State(app): State<Arc<App>>) -> Response {
    if let Ok(drift) = app.drift.lock() {
        for feature in drift.current() {
            metrics::gauge!("mlp_feature_drift_psi", "feature" => feature.feature.clone())
                .set(feature.psi);
            metrics::gauge!("mlp_feature_drift_ks", "feature" => feature.feature).set(feature.ks);
        }
        metrics::gauge!("mlp_drift_window_rows").set(drift.rows() as f64);
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(),
    )
        .into_response()
}

async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "no such endpoint (see /openapi.json)",
    )
}

/// What `/v1/model` says: the model, its input, how it was trained.
fn model_document(scorer: &Scorer, metrics: Option<Value>) -> Value {
    let a = &scorer.artifact;
    let transforms: Vec<Value> = a
        .transforms
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "steps": t.steps.iter().map(|s| format!("{}{}", s.op, s.args)).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "name": a.name,
        "algorithm": a.algorithm,
        "kind": a.kind,
        "target": a.target,
        "classes": a.classes,
        "features": a.features,
        "hyper": a.hyper,
        "model_hash": scorer.hash,
        "mlp_version": crate::exec::cache::MLP_VERSION,
        "input": {"source": a.input.source, "columns": a.input.schema},
        "metrics": metrics,
        "lineage": {
            "trained_on": a.trained_on,
            "source_files": a.source_files,
            "transforms": transforms,
        },
    })
}

fn router(app: Arc<App>) -> Router {
    let limits = app.limits.clone();
    let scoring = Router::new()
        .route("/v1/predict", post(predict))
        .route("/v2/models/{name}/infer", post(kserve::infer))
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            limits.concurrency.max(1),
        ));
    Router::new()
        .merge(scoring)
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/v1/model", get(model))
        .route("/openapi.json", get(openapi))
        .route("/metrics", get(prometheus))
        .route("/v2", get(kserve::server))
        .route("/v2/health/live", get(kserve::live))
        .route("/v2/health/ready", get(kserve::ready))
        .route("/v2/models/{name}", get(kserve::metadata))
        .route("/v2/models/{name}/ready", get(kserve::model_ready))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(app.clone(), observe))
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            limits.timeout + Duration::from_secs(1),
        ))
        .with_state(app)
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

/// Serves `scorer` until SIGTERM or Ctrl-C; requests in flight finish.
pub fn serve(scorer: Scorer, options: Options) -> Result<(), String> {
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("mlp_request_duration_seconds".into()),
            &LATENCY_BUCKETS,
        )
        .map_err(|e| e.to_string())?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(|e| e.to_string())?;
    let _ = tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::stderr)
        .with_current_span(false)
        .try_init();
    let audit = match &options.audit_log {
        Some(path) => Some(Mutex::new(AuditLog::open(path, options.audit_max_bytes)?)),
        None => None,
    };
    metrics::gauge!("mlp_model_info", "model" => scorer.artifact.name.clone(), "model_hash" => scorer.hash.clone()).set(1.0);
    let app = Arc::new(App {
        openapi: openapi::document(&scorer, &options.limits),
        model: model_document(&scorer, options.metrics.clone()),
        drift: Mutex::new(Drift::new(
            scorer.artifact.feature_bins.clone(),
            options.drift_window,
        )),
        scorer,
        metrics: handle,
        audit,
        limits: options.limits.clone(),
        next_id: AtomicU64::new(0),
        started: crate::clock::Utc::now().unix,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.workers.max(1))
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the server's threads: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind((options.host.as_str(), options.port))
            .await
            .map_err(|e| format!("cannot listen on {}:{}: {e}", options.host, options.port))?;
        let address: SocketAddr = listener.local_addr().map_err(|e| e.to_string())?;
        eprintln!(
            "mlp serve: model `{}` ({}) on http://{address}",
            app.scorer.artifact.name, app.scorer.hash
        );
        // The recorder keeps every latency sample until they are folded
        // into the buckets: unscraped, it would grow by each request.
        let metrics = app.metrics.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(METRICS_UPKEEP);
            loop {
                every.tick().await;
                metrics.run_upkeep();
            }
        });
        axum::serve(listener, router(app))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| format!("the server stopped: {e}"))
    })
}
