//! `mlp serve`: the real binary on a free loopback port, every endpoint,
//! bad input of every kind, concurrency, drift, the audit log and SIGTERM.
//! Predictions over HTTP equal `mlp predict`'s for the same rows, bit for bit.

mod common;

use common::{command, example_run, text, tool_available, EXAMPLE_MODELS};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(model: &Path, args: &[&str]) -> Server {
        let mut child = command()
            .arg("serve")
            .arg(model)
            .args(["--port", "0", "--workers", "2"])
            .args(args)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        let address = line
            .split("on http://")
            .nth(1)
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .trim()
            .to_string();
        // Keep draining the logs, so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            let _ = stderr.read_to_string(&mut sink);
        });
        Server { child, address }
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> (u16, Vec<u8>) {
        http(&self.address, method, path, content_type, body)
    }

    fn get(&self, path: &str) -> (u16, Value) {
        let (status, body) = self.request("GET", path, None, b"");
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let (status, body) = self.request(
            "POST",
            path,
            Some("application/json"),
            body.to_string().as_bytes(),
        );
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    /// The model's input columns, as `/v1/model` lists them.
    fn input_columns(&self) -> Vec<Value> {
        let (status, model) = self.get("/v1/model");
        assert_eq!(status, 200, "{model}");
        model["input"]["columns"].as_array().unwrap().clone()
    }

    fn metrics(&self) -> String {
        String::from_utf8(self.request("GET", "/metrics", None, b"").1).unwrap()
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id() as i32;
        // SAFETY: signalling our own child process.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        for _ in 0..100 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("the server did not stop on SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// One HTTP/1.1 exchange: status, body.
fn http(
    address: &str,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        address,
        body.len()
    );
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) before reading a large body.
    let _ = stream.write_all(body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response);
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"));
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let (headers, mut rest) = (
        text[..split].to_ascii_lowercase(),
        response[split..].to_vec(),
    );
    if headers.contains("transfer-encoding: chunked") {
        rest = dechunk(&rest);
    }
    (status, rest)
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let end = body.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[end + 2..end + 2 + size]);
        body = &body[end + 2 + size + 2..];
    }
}

/// A run of the credit example, once for the whole file.
fn credit_run() -> &'static (PathBuf, PathBuf) {
    static RUN: std::sync::OnceLock<(PathBuf, PathBuf)> = std::sync::OnceLock::new();
    RUN.get_or_init(|| example_run("credit"))
}

/// The first rows of a CSV file as JSON objects, typed by the model's
/// input schema (`null` is the source's null token).
fn csv_rows(csv: &Path, columns: &[Value], null: &str, limit: usize) -> Vec<Value> {
    let csv = std::fs::read_to_string(csv).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut rows = Vec::new();
    for line in lines.take(limit) {
        let mut row = serde_json::Map::new();
        for (name, cell) in header.iter().zip(line.split(',')) {
            let column = columns.iter().find(|c| c["name"] == *name).unwrap();
            let value = if cell == null {
                Value::Null
            } else {
                match column["type"].as_str().unwrap() {
                    "int" => json!(cell.parse::<i64>().unwrap()),
                    "float" => json!(cell.parse::<f64>().unwrap()),
                    _ => json!(cell),
                }
            };
            row.insert(name.to_string(), value);
        }
        rows.push(Value::Object(row));
    }
    rows
}

fn source_rows(dir: &Path, columns: &[Value], limit: usize) -> Vec<Value> {
    csv_rows(&dir.join("data/credit_data.csv"), columns, "", limit)
}

fn csv_of(dir: &Path, limit: usize) -> PathBuf {
    let csv = std::fs::read_to_string(dir.join("data/credit_data.csv")).unwrap();
    let text: Vec<&str> = csv.lines().take(limit + 1).collect();
    let path = dir.join(format!("first-{limit}.csv"));
    std::fs::write(&path, text.join("\n") + "\n").unwrap();
    path
}

/// `mlp predict` of `csv` (rows that cannot be scored left out), as JSON.
fn batch_predictions(run: &Path, model: &str, csv: &Path, out: &Path) -> Vec<Value> {
    let output = command()
        .arg("predict")
        .arg(run)
        .args(["--model", model, "--on-error", "skip"])
        .arg(csv)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    std::fs::read_to_string(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn numbers_in(value: &Value, found: &mut Vec<f64>) {
    match value {
        Value::Number(n) => found.extend(n.as_f64()),
        Value::Array(items) => items.iter().for_each(|v| numbers_in(v, found)),
        Value::Object(fields) => fields.values().for_each(|v| numbers_in(v, found)),
        _ => {}
    }
}

fn gauge(metrics: &str, name: &str) -> Vec<f64> {
    metrics
        .lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
        .collect()
}

#[test]
fn every_endpoint_answers_and_http_predictions_equal_the_batch_path() {
    let (dir, run) = credit_run();
    let audit = dir.join("audit.jsonl");
    let server = Server::start(
        run,
        &["--model", "scorer", "--audit-log", audit.to_str().unwrap()],
    );

    assert_eq!(server.get("/healthz").0, 200);
    let (status, ready) = server.get("/readyz");
    assert_eq!(status, 200);
    let (status, model) = server.get("/v1/model");
    assert_eq!(status, 200);
    assert_eq!(model["name"], "scorer");
    assert_eq!(model["model_hash"], ready["model_hash"]);
    assert!(
        model["metrics"]["accuracy"].as_f64().unwrap() > 0.7,
        "{model}"
    );
    let columns = model["input"]["columns"].as_array().unwrap().clone();
    assert_eq!(columns.len(), 14);
    let (status, spec) = server.get("/openapi.json");
    assert_eq!(status, 200);
    assert_eq!(spec["openapi"], "3.1.0");
    assert_eq!(
        spec["components"]["schemas"]["Row"]["properties"]["Home"]["enum"][6],
        Value::Null
    );

    // 50 raw rows, some of which the pipeline's filter refuses.
    let rows = source_rows(dir, &columns, 50);
    let (status, answer) = server.post("/v1/predict", &json!({ "rows": rows }));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["model_hash"], ready["model_hash"]);
    let predictions = answer["predictions"].as_array().unwrap();
    assert_eq!(predictions.len(), 50);

    // The same rows through `mlp predict`.
    let batch = batch_predictions(run, "scorer", &csv_of(dir, 50), &dir.join("batch.jsonl"));
    let served: Vec<&Value> = predictions
        .iter()
        .filter(|p| p.get("rejected").is_none())
        .collect();
    assert_eq!(served.len(), batch.len());
    for (http, file) in served.iter().zip(&batch) {
        assert_eq!(http["prediction"], file["prediction"]);
        for class in ["good", "bad"] {
            let a = http["probabilities"][class].as_f64().unwrap();
            let b = file[format!("probability_{class}")].as_f64().unwrap();
            assert_eq!(
                a.to_bits(),
                b.to_bits(),
                "{class}: {a} over HTTP, {b} in the batch"
            );
        }
    }

    // The column form gives the same answer.
    let mut by_column = serde_json::Map::new();
    for c in &columns {
        let name = c["name"].as_str().unwrap();
        by_column.insert(name.into(), rows.iter().map(|r| r[name].clone()).collect());
    }
    let (status, columnar) = server.post("/v1/predict", &json!({ "columns": by_column }));
    assert_eq!(status, 200, "{columnar}");
    assert_eq!(columnar["predictions"], answer["predictions"]);

    // KServe v2: one tensor per column.
    assert_eq!(server.get("/v2/health/ready").0, 200);
    assert_eq!(server.get("/v2/health/live").0, 200);
    let (status, meta) = server.get("/v2/models/scorer");
    assert_eq!(status, 200);
    assert_eq!(meta["inputs"].as_array().unwrap().len(), 14);
    let first: Vec<Value> = rows.iter().take(3).cloned().collect();
    let inputs: Vec<Value> = columns
        .iter()
        .map(|c| {
            let name = c["name"].as_str().unwrap();
            let datatype = match c["type"].as_str().unwrap() {
                "int" => "INT64",
                "float" => "FP64",
                _ => "BYTES",
            };
            json!({"name": name, "shape": [3], "datatype": datatype, "data": first.iter().map(|r| r[name].clone()).collect::<Vec<_>>()})
        })
        .collect();
    let (status, inferred) = server.post(
        "/v2/models/scorer/infer",
        &json!({"id": "req-1", "inputs": inputs}),
    );
    assert_eq!(status, 200, "{inferred}");
    assert_eq!(inferred["id"], "req-1");
    assert_eq!(inferred["outputs"][0]["name"], "predict");
    for i in 0..3 {
        assert_eq!(
            inferred["outputs"][0]["data"][i],
            predictions[i]["prediction"]
        );
        let p = inferred["outputs"][1]["data"][2 * i + 1].as_f64().unwrap();
        assert_eq!(p, predictions[i]["probabilities"]["bad"].as_f64().unwrap());
    }
    assert_eq!(server.get("/v2/models/nothing").0, 404);

    let metrics = server.metrics();
    assert!(metrics.contains("mlp_requests_total{"), "{metrics}");
    assert!(
        metrics.contains("mlp_request_duration_seconds_bucket{"),
        "{metrics}"
    );
    assert!(
        metrics.contains("mlp_predictions_total{class=\"good\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("mlp_feature_drift_psi{feature=\"Income\"}"),
        "{metrics}"
    );

    // The audit log: one line per prediction request, no input value in it.
    let log = std::fs::read_to_string(&audit).unwrap();
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{log}");
    assert!(lines
        .iter()
        .all(|l| l["model_hash"] == ready["model_hash"] && l["input_hash"].is_string()));
    // Every number the log holds, whole: a digit string such as `1325,`
    // may end a probability.
    let mut logged = Vec::new();
    for line in &lines {
        numbers_in(line, &mut logged);
    }
    for row in &rows {
        for name in ["Income", "Assets", "Amount", "Price"] {
            if let Some(v) = row[name].as_f64().filter(|v| *v > 1000.0) {
                assert!(!logged.contains(&v), "{name} = {v} in the audit log");
            }
        }
    }
    assert!(
        !log.contains("widow") && !log.contains("freelance"),
        "raw values in the audit log"
    );

    let status = server.terminate();
    assert!(
        status.success(),
        "SIGTERM ends the server cleanly: {status:?}"
    );
}

#[test]
fn bad_requests_get_4xx_with_rows_and_fields_never_a_crash() {
    let (dir, run) = credit_run();
    let server = Server::start(
        run,
        &[
            "--model",
            "scorer",
            "--max-body",
            "20000",
            "--max-rows",
            "40",
        ],
    );
    let columns = server.input_columns();
    let row = source_rows(dir, &columns, 1).remove(0);

    let (status, _) = server.request("POST", "/v1/predict", Some("text/plain"), b"{}");
    assert_eq!(status, 415);
    let (status, _) = server.request("POST", "/v1/predict", None, b"{}");
    assert_eq!(status, 415);
    let (status, body) = server.request(
        "POST",
        "/v1/predict",
        Some("application/json"),
        b"{\"rows\": [",
    );
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    let deep = "[".repeat(10_000);
    assert_eq!(
        server
            .request(
                "POST",
                "/v1/predict",
                Some("application/json"),
                deep.as_bytes()
            )
            .0,
        400
    );
    assert_eq!(server.post("/v1/predict", &json!([1, 2])).0, 400);
    assert_eq!(server.post("/v1/predict", &json!({"rows": 3})).0, 400);
    assert_eq!(
        server
            .post("/v1/predict", &json!({"rows": [], "columns": {}}))
            .0,
        400
    );

    let big = vec![b' '; 30_000];
    assert_eq!(
        server
            .request("POST", "/v1/predict", Some("application/json"), &big)
            .0,
        413
    );
    let many: Vec<Value> = (0..41).map(|_| json!({})).collect();
    assert_eq!(server.post("/v1/predict", &json!({ "rows": many })).0, 422);

    let field = |answer: &Value| {
        (
            answer["errors"][0]["row"].clone(),
            answer["errors"][0]["field"].clone(),
        )
    };
    let mut wrong = row.clone();
    wrong["Age"] = json!("thirty");
    let (status, answer) = server.post("/v1/predict", &json!({"rows": [row.clone(), wrong]}));
    assert_eq!(status, 422, "{answer}");
    assert_eq!(field(&answer), (json!(1), json!("Age")));
    assert!(answer["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("not an integer"));

    let mut missing = row.clone();
    missing.as_object_mut().unwrap().remove("Price");
    let (status, answer) = server.post("/v1/predict", &json!({"rows": [missing]}));
    assert_eq!(status, 422);
    assert_eq!(field(&answer), (json!(0), json!("Price")));

    let mut extra = row.clone();
    extra["Nickname"] = json!("x");
    let (status, answer) = server.post("/v1/predict", &json!({"rows": [extra]}));
    assert_eq!(status, 422);
    assert_eq!(field(&answer), (json!(0), json!("Nickname")));

    let mut nulled = row.clone();
    nulled["Seniority"] = Value::Null;
    let (status, answer) = server.post("/v1/predict", &json!({ "rows": [nulled] }));
    assert_eq!(status, 422);
    assert!(answer["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("not nullable"));

    let mut variant = row.clone();
    variant["Home"] = json!("castle");
    let (status, answer) = server.post("/v1/predict", &json!({"rows": [variant]}));
    assert_eq!(status, 422);
    assert_eq!(field(&answer), (json!(0), json!("Home")));

    // A nullable column may be null or left out.
    let mut optional = row.clone();
    optional["Income"] = Value::Null;
    optional.as_object_mut().unwrap().remove("Marital");
    let (status, answer) = server.post("/v1/predict", &json!({"rows": [optional]}));
    assert_eq!(status, 200, "{answer}");

    let (status, answer) = server.post(
        "/v1/predict",
        &json!({"columns": {"Age": [1, 2], "Time": [1]}}),
    );
    assert_eq!(status, 422, "{answer}");
    assert_eq!(server.get("/nothing").0, 404);

    // Concurrent requests all succeed.
    let address = server.address.clone();
    let body = json!({"rows": vec![row.clone(); 20]}).to_string();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (address, body) = (address.clone(), body.clone());
            std::thread::spawn(move || {
                (0..5)
                    .map(|_| {
                        http(
                            &address,
                            "POST",
                            "/v1/predict",
                            Some("application/json"),
                            body.as_bytes(),
                        )
                        .0
                    })
                    .collect::<Vec<u16>>()
            })
        })
        .collect();
    for thread in threads {
        assert!(thread.join().unwrap().iter().all(|&s| s == 200));
    }
    let metrics = server.metrics();
    assert!(metrics.contains("status=\"422\""), "{metrics}");
    assert!(server.terminate().success());
}

#[test]
fn drift_gauges_stay_low_on_training_like_rows_and_rise_on_shifted_ones() {
    let (dir, run) = credit_run();
    let server = Server::start(
        run,
        &[
            "--model",
            "scorer",
            "--drift-window",
            "1000",
            "--max-rows",
            "5000",
        ],
    );
    let columns = server.input_columns();
    let rows = source_rows(dir, &columns, 5000);
    let (status, _) = server.post("/v1/predict", &json!({ "rows": &rows[..2000] }));
    assert_eq!(status, 200);
    let calm = gauge(&server.metrics(), "mlp_feature_drift_psi{");
    assert!(!calm.is_empty());
    let calm_max = calm.iter().cloned().fold(0.0, f64::max);
    assert!(
        calm_max < 0.1,
        "PSI on rows like the training rows: {calm:?}"
    );

    let shifted: Vec<Value> = rows[..1000]
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r["Age"] = json!(r["Age"].as_i64().unwrap() + 25);
            r["Seniority"] = json!(r["Seniority"].as_i64().unwrap() + 20);
            r
        })
        .collect();
    let (status, _) = server.post("/v1/predict", &json!({ "rows": shifted }));
    assert_eq!(status, 200);
    let metrics = server.metrics();
    let age = gauge(&metrics, "mlp_feature_drift_psi{feature=\"Age\"}");
    assert!(age[0] > 0.2, "PSI of a shifted feature: {age:?}");
    let _ = server.terminate();
}

/// Schemathesis (PyPI) generates requests from `/openapi.json`, valid and
/// invalid, and checks every answer against the document: no 5xx, only
/// documented status codes and content types, answers that fit their
/// schemas, invalid data rejected. Valid-looking bodies may still be refused
/// (the column form's lists must have equal lengths, which JSON Schema
/// cannot say; 422 is documented), so `positive_data_acceptance` is off.
#[test]
fn schemathesis_finds_no_server_error_and_no_broken_promise() {
    if !tool_available("schemathesis", "--version") {
        return;
    }
    let (dir, run) = credit_run();
    // Rows past `maxItems` must fit the body limit, to be refused as rows.
    let server = Server::start(run, &["--model", "scorer", "--max-rows", "500"]);
    let output = std::process::Command::new("schemathesis")
        .current_dir(dir)
        .arg("--no-color")
        .arg("run")
        .arg(format!("http://{}/openapi.json", server.address))
        .args([
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
            "--max-examples",
            "60",
            "--seed",
            "1",
            "--workers",
            "2",
            "--report-dir",
        ])
        .arg(dir.join("schemathesis"))
        .output()
        .unwrap();
    let said = text(&output);
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{said}"
    );
    let _ = server.terminate();
}

/// Every model of every example serves the predictions `mlp predict`
/// writes for the same raw rows, bit for bit.
#[test]
fn every_example_s_models_serve_what_the_batch_path_computes() {
    for &(example, csv, null, models) in EXAMPLE_MODELS {
        let (dir, run) = example_run(example);
        let source = dir.join(csv);
        let head = dir.join("head.csv");
        let lines: Vec<String> = std::fs::read_to_string(&source)
            .unwrap()
            .lines()
            .take(41)
            .map(String::from)
            .collect();
        std::fs::write(&head, lines.join("\n") + "\n").unwrap();
        for model in models {
            let server = Server::start(&run, &["--model", model]);
            let columns = server.input_columns();
            let rows = csv_rows(&source, &columns, null, 40);
            let (status, answer) = server.post("/v1/predict", &json!({ "rows": rows }));
            assert_eq!(status, 200, "{example} {model}: {answer}");
            let batch = batch_predictions(&run, model, &head, &dir.join(format!("{model}.jsonl")));
            let served: Vec<&Value> = answer["predictions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p.get("rejected").is_none())
                .collect();
            assert_eq!(served.len(), batch.len(), "{example} {model}");
            assert!(!batch.is_empty());
            for (http, file) in served.iter().zip(&batch) {
                match (http["prediction"].as_f64(), file["prediction"].as_f64()) {
                    (Some(a), Some(b)) => assert_eq!(a.to_bits(), b.to_bits(), "{example} {model}"),
                    _ => assert_eq!(http["prediction"], file["prediction"], "{example} {model}"),
                }
                if let Some(probabilities) = http["probabilities"].as_object() {
                    for (class, p) in probabilities {
                        let column = file[format!("probability_{class}")].as_f64();
                        assert_eq!(
                            p.as_f64().map(f64::to_bits),
                            column.map(f64::to_bits),
                            "{example} {model} {class}"
                        );
                    }
                }
            }
            assert!(server.terminate().success());
        }
    }
}

/// SIGTERM while a large request is being scored: the request is answered,
/// then the server exits cleanly and the port closes.
#[test]
fn sigterm_lets_the_request_in_flight_finish() {
    let (dir, run) = credit_run();
    let server = Server::start(
        run,
        &[
            "--model",
            "scorer",
            "--max-rows",
            "20000",
            "--max-body",
            "16000000",
        ],
    );
    let columns = server.input_columns();
    let mut rows = source_rows(dir, &columns, 5000);
    rows.extend(rows.clone());
    rows.extend(rows.clone());
    let sent = rows.len();
    let body = json!({ "rows": rows }).to_string();
    let address = server.address.clone();
    let in_flight = std::thread::spawn(move || {
        http(
            &address,
            "POST",
            "/v1/predict",
            Some("application/json"),
            body.as_bytes(),
        )
    });
    std::thread::sleep(Duration::from_millis(30));
    let address = server.address.clone();
    let status = server.terminate();
    let (code, answer) = in_flight.join().unwrap();
    assert_eq!(
        code,
        200,
        "{}",
        String::from_utf8_lossy(&answer[..answer.len().min(300)])
    );
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(answer["predictions"].as_array().unwrap().len(), sent);
    assert!(status.success(), "{status:?}");
    assert!(TcpStream::connect(&address).is_err(), "the port is closed");
}

/// Past `--audit-max-bytes` the audit log is renamed `FILE.1` (older files
/// shift up to `FILE.5`) and every line stays whole.
#[test]
fn the_audit_log_rotates_by_size_and_keeps_whole_lines() {
    let (dir, run) = credit_run();
    let audit = dir.join("rotating.jsonl");
    let server = Server::start(
        run,
        &[
            "--model",
            "scorer",
            "--audit-log",
            audit.to_str().unwrap(),
            "--audit-max-bytes",
            "1500",
        ],
    );
    let columns = server.input_columns();
    let rows = source_rows(dir, &columns, 5);
    for _ in 0..20 {
        assert_eq!(server.post("/v1/predict", &json!({ "rows": rows })).0, 200);
    }
    assert!(server.terminate().success());
    let mut lines = 0;
    for name in [
        "rotating.jsonl",
        "rotating.jsonl.1",
        "rotating.jsonl.2",
        "rotating.jsonl.5",
    ] {
        let path = dir.join(name);
        assert!(path.exists(), "{name}");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.len() <= 1500 || text.lines().count() == 1,
            "{name}: {} bytes",
            text.len()
        );
        for line in text.lines() {
            let entry: Value = serde_json::from_str(line).unwrap();
            assert_eq!(entry["rows"], 5);
        }
        lines += text.lines().count();
    }
    assert!(
        !dir.join("rotating.jsonl.6").exists(),
        "five rotated files are kept"
    );
    assert!(
        lines < 20,
        "the oldest lines were dropped with the sixth file"
    );
}
