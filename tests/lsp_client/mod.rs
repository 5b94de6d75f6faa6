//! A small LSP client over the real `mlp lsp` process: Content-Length
//! framing, a reader thread, and a timeout on every wait so that a test
//! can never hang.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(60);

pub struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// Notifications received while waiting for something else.
    pub pending: Vec<Value>,
}

pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

impl Client {
    pub fn start(binary: &str, root: &Path, options: Value) -> Client {
        let mut child = Command::new(binary)
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("mlp lsp starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let Some(length) = length else { return };
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let Ok(value) = serde_json::from_slice::<Value>(&body) else {
                    return;
                };
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        let mut client = Client {
            child,
            stdin,
            messages: rx,
            next_id: 1,
            pending: Vec::new(),
        };
        let init = client.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri(root),
                "capabilities": {},
                "initializationOptions": options,
            }),
        );
        assert!(init.get("result").is_some(), "initialize answered: {init}");
        client.pending.push(init);
        client.notify("initialized", json!({}));
        client
    }

    pub fn initialize_result(&self) -> Value {
        self.pending[0]["result"].clone()
    }

    fn write(&mut self, message: Value) {
        let body = message.to_string();
        let framed = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        self.stdin
            .write_all(framed.as_bytes())
            .and_then(|_| self.stdin.flush())
            .expect("the server reads its input");
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.write(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and waits for its response (the whole message).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.write(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait(|m| m.get("id") == Some(&json!(id)) && m.get("method").is_none())
    }

    /// The first message (queued or new) that `accept` accepts.
    pub fn wait(&mut self, accept: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.pending.iter().position(&accept) {
            return self.pending.remove(i);
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(m) if accept(&m) => return m,
                Ok(m) => self.pending.push(m),
                Err(RecvTimeoutError::Timeout) => panic!("no answer in time"),
                Err(RecvTimeoutError::Disconnected) => panic!("the server exited"),
            }
        }
    }

    /// The next diagnostics published for `uri` at `version`.
    pub fn diagnostics(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let m = self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        });
        m["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn open(&mut self, path: &Path, text: &str) -> String {
        let u = uri(path);
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": u, "languageId": "mlp", "version": 1, "text": text}}),
        );
        u
    }

    pub fn change(&mut self, uri: &str, version: i64, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
        );
    }

    /// `shutdown`, `exit`, and the exit code.
    pub fn shutdown(mut self) -> Option<i32> {
        let r = self.request("shutdown", Value::Null);
        assert!(r.get("error").is_none(), "{r}");
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!("the server did not exit");
    }

    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// What the tests of the language server share: the repository, the server
// started on it, the fixtures they open, and positions and edits as the
// protocol writes them.

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

pub fn start() -> Client {
    Client::start(env!("CARGO_BIN_EXE_mlp"), &root(), json!({}))
}

/// Opens the credit example: its text and its URI.
pub fn open_credit(client: &mut Client) -> (String, String) {
    let path = root().join("examples/credit/main.mlp");
    let text = std::fs::read_to_string(&path).expect("the credit example is readable");
    let u = client.open(&path, &text);
    (text, u)
}

pub fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect()
}

pub fn errors(diagnostics: &[Value]) -> Vec<&Value> {
    diagnostics.iter().filter(|d| d["severity"] == 1).collect()
}

/// The line and UTF-16 column of the first `needle` of `text`, plus `shift`.
pub fn position_of(text: &str, needle: &str, shift: usize) -> Value {
    let (line, col) = text
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.find(needle).map(|c| (i, c + shift)))
        .unwrap_or_else(|| panic!("`{needle}` is in the file"));
    json!({"line": line, "character": col})
}

/// The answer to a `method` request at the first `needle` of `text`, plus
/// `shift` characters.
pub fn answer_at(
    client: &mut Client,
    method: &str,
    u: &str,
    text: &str,
    needle: &str,
    shift: usize,
) -> Value {
    answer_with(client, method, u, text, (needle, shift), json!({}))
}

/// [`answer_at`] with more parameters (`context`, `newName`...).
pub fn answer_with(
    client: &mut Client,
    method: &str,
    u: &str,
    text: &str,
    (needle, shift): (&str, usize),
    more: Value,
) -> Value {
    let mut params =
        json!({"textDocument": {"uri": u}, "position": position_of(text, needle, shift)});
    for (k, v) in more.as_object().cloned().unwrap_or_default() {
        params[k] = v;
    }
    client.request(method, params)
}

/// Opens the two-module fixture of `tests/fixtures/lsp`: (text, URI) of
/// `main.mlp`, then of the module it imports, `tables.mlp`.
pub fn open_project(client: &mut Client) -> ((String, String), (String, String)) {
    let dir = root().join("tests/fixtures/lsp");
    let mut open = |name: &str| {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path).expect("the fixture is readable");
        let u = client.open(&path, &text);
        (text, u)
    };
    let main = open("main.mlp");
    let tables = open("tables.mlp");
    client.diagnostics(&main.1, 1);
    client.diagnostics(&tables.1, 1);
    (main, tables)
}

/// The (uri, line, character) of each location, sorted.
pub fn places(answer: &Value) -> Vec<(String, u64, u64)> {
    let mut out: Vec<(String, u64, u64)> = answer["result"]
        .as_array()
        .unwrap_or_else(|| panic!("a list of locations: {answer}"))
        .iter()
        .map(|l| {
            let start = &l["range"]["start"];
            let uri = l["uri"].as_str().unwrap_or_default().to_string();
            (
                uri,
                start["line"].as_u64().unwrap(),
                start["character"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Where `needle` (plus `shift`) is in `text`, as a place of [`places`].
pub fn place(u: &str, text: &str, needle: &str, shift: usize) -> (String, u64, u64) {
    let p = position_of(text, needle, shift);
    (
        u.to_string(),
        p["line"].as_u64().unwrap(),
        p["character"].as_u64().unwrap(),
    )
}

/// `text` with the edits of `edits` (ASCII text: columns are bytes).
pub fn apply_edits(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        start + p["character"].as_u64().unwrap() as usize
    };
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            let new = e["newText"].as_str().unwrap().to_string();
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                new,
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (start, end, new) in spans {
        out.replace_range(start..end, &new);
    }
    out
}
