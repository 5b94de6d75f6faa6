//! `mlp lsp`: the language server, on standard input and output.
//!
//! A consumer of the semantic model like `lint`: every analysis runs the
//! CLI's own front end (`driver::compile_text`) on the editor's text. The
//! message loop never analyses: edits go to a worker thread as a job with a
//! generation number; a newer edit supersedes an older job, and the results
//! of a stale generation are dropped. Requests read the latest completed
//! analysis (or the current text), never the disk.

pub mod actions;
pub mod analysis;
pub mod complete;
pub mod documents;
pub mod features;
pub mod hints;
pub mod index;
pub mod references;
pub mod signature;
pub mod tokens;

use analysis::Analysis;
use crossbeam_channel::{select, unbounded, Receiver, Sender};
use documents::{path_of, Document};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types as lsp;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Why a rename is refused while the document's last edit is analysed.
const STALE: &str = "the document changed since it was analysed: try again in a moment";

/// A snapshot of the open documents to analyse.
struct Job {
    generation: u64,
    docs: Vec<Document>,
}

struct Done {
    generation: u64,
    analyses: Vec<(String, Analysis)>,
}

struct Server {
    conn: Connection,
    root: Option<PathBuf>,
    /// The client asked for the schema after each step as inlay hints.
    schema_hints: bool,
    docs: HashMap<String, Document>,
    analyses: HashMap<String, Arc<Analysis>>,
    generation: u64,
    latest: Arc<AtomicU64>,
    jobs: Sender<Job>,
}

pub fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Kind(
            lsp::TextDocumentSyncKind::INCREMENTAL,
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(["|", "(", ":", "[", ","].map(String::from).to_vec()),
            ..Default::default()
        }),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        rename_provider: Some(lsp::OneOf::Right(lsp::RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        signature_help_provider: Some(lsp::SignatureHelpOptions {
            trigger_characters: Some(["(", "{", ","].map(String::from).to_vec()),
            retrigger_characters: Some(vec![",".into(), "=".into()]),
            work_done_progress_options: Default::default(),
        }),
        semantic_tokens_provider: Some(
            lsp::SemanticTokensOptions {
                legend: tokens::legend(),
                full: Some(lsp::SemanticTokensFullOptions::Bool(true)),
                range: None,
                work_done_progress_options: Default::default(),
            }
            .into(),
        ),
        inlay_hint_provider: Some(lsp::OneOf::Left(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
            lsp::CodeActionOptions {
                code_action_kinds: Some(vec![lsp::CodeActionKind::QUICKFIX]),
                ..Default::default()
            },
        )),
        ..Default::default()
    }
}

/// Serves one client on stdio until it sends `shutdown` and `exit`.
pub fn run() -> Result<(), String> {
    let (conn, io) = Connection::stdio();
    let (id, params) = conn.initialize_start().map_err(|e| e.to_string())?;
    let params: lsp::InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let root = root_of(&params);
    let schema_hints = params
        .initialization_options
        .as_ref()
        .is_some_and(|o| o["inlayHints"]["schema"] == true);
    let result = serde_json::json!({
        "capabilities": capabilities(),
        "serverInfo": { "name": "mlp", "version": env!("CARGO_PKG_VERSION") },
    });
    conn.initialize_finish(id, result)
        .map_err(|e| e.to_string())?;
    let latest = Arc::new(AtomicU64::new(0));
    let (jobs, job_rx) = unbounded::<Job>();
    let (done_tx, done_rx) = unbounded::<Done>();
    let worker = {
        let latest = latest.clone();
        let root = root.clone();
        std::thread::Builder::new()
            .name("mlp-lsp-analysis".into())
            .stack_size(crate::STACK_SIZE)
            .spawn(move || worker(job_rx, done_tx, latest, root))
            .map_err(|e| e.to_string())?
    };
    let mut server = Server {
        conn,
        root,
        schema_hints,
        docs: HashMap::new(),
        analyses: HashMap::new(),
        generation: 0,
        latest,
        jobs,
    };
    let outcome = server.main_loop(&done_rx);
    drop(server);
    let _ = worker.join();
    io.join().map_err(|e| e.to_string())?;
    outcome
}

/// The workspace folder, else the root URI: the project root nothing is
/// read outside of.
#[allow(deprecated)] // `root_uri` is what older clients send
fn root_of(params: &lsp::InitializeParams) -> Option<PathBuf> {
    let uri = params
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first().map(|f| f.uri.clone()))
        .or_else(|| params.root_uri.clone())?;
    path_of(&uri)
}

/// How long a listing of a project's files is used before the folder is
/// read again: an edit is analysed at every keystroke, a file is added
/// far more rarely.
const LISTING_LIFETIME: Duration = Duration::from_secs(5);

fn worker(jobs: Receiver<Job>, done: Sender<Done>, latest: Arc<AtomicU64>, root: Option<PathBuf>) {
    let mut listed: HashMap<PathBuf, (Instant, Arc<[PathBuf]>)> = HashMap::new();
    while let Ok(mut job) = jobs.recv() {
        // Only the newest job matters: the others are superseded.
        while let Ok(newer) = jobs.try_recv() {
            job = newer;
        }
        let open: HashMap<PathBuf, String> = job
            .docs
            .iter()
            .map(|d| (d.path.clone(), d.text.clone()))
            .collect();
        let mut analyses = Vec::new();
        let mut stale = false;
        for doc in &job.docs {
            if latest.load(Ordering::SeqCst) != job.generation {
                stale = true;
                break;
            }
            let root = root
                .clone()
                .or_else(|| doc.path.parent().map(PathBuf::from));
            let modules = match &root {
                Some(r) => {
                    let listing = listed
                        .entry(r.clone())
                        .or_insert_with(|| (Instant::now(), analysis::project_modules(r)));
                    if listing.0.elapsed() > LISTING_LIFETIME {
                        *listing = (Instant::now(), analysis::project_modules(r));
                    }
                    listing.1.clone()
                }
                None => Arc::from([]),
            };
            // The last resort: no input may end the server.
            let analysed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                analysis::analyse(
                    &doc.path,
                    doc.version,
                    &doc.text,
                    root.as_deref(),
                    &open,
                    modules,
                )
            }));
            if let Ok(a) = analysed {
                analyses.push((doc.uri.as_str().to_string(), a));
            }
        }
        if !stale
            && done
                .send(Done {
                    generation: job.generation,
                    analyses,
                })
                .is_err()
        {
            return;
        }
    }
}

impl Server {
    fn main_loop(&mut self, done: &Receiver<Done>) -> Result<(), String> {
        loop {
            select! {
                recv(self.conn.receiver) -> msg => {
                    let Ok(msg) = msg else { return Ok(()) };
                    match msg {
                        Message::Request(req) => {
                            if self.conn.handle_shutdown(&req).map_err(|e| e.to_string())? {
                                return Ok(());
                            }
                            let response = self.request(req);
                            self.send(Message::Response(response));
                        }
                        Message::Notification(n) => {
                            if n.method == "exit" {
                                return Ok(());
                            }
                            self.notification(n);
                        }
                        Message::Response(_) => {}
                    }
                }
                recv(done) -> finished => {
                    let Ok(finished) = finished else { continue };
                    if finished.generation != self.generation {
                        continue; // superseded by a newer edit
                    }
                    for (uri, analysis) in &finished.analyses {
                        let importers: Vec<&Analysis> = finished
                            .analyses
                            .iter()
                            .filter(|(other, a)| {
                                other != uri
                                    && analysis.path.as_ref().is_some_and(|p| a.imports.contains(p))
                            })
                            .map(|(_, a)| a)
                            .collect();
                        self.publish(uri, analysis, &importers);
                    }
                    for (uri, analysis) in finished.analyses {
                        self.analyses.insert(uri, Arc::new(analysis));
                    }
                }
            }
        }
    }

    fn send(&self, msg: Message) {
        let _ = self.conn.sender.send(msg);
    }

    /// Publishes a document's diagnostics: its own, or, for a module that
    /// open documents import, what their analyses found in it (one finding
    /// two importers share once, at its highest severity).
    fn publish(&self, uri: &str, analysis: &Analysis, importers: &[&Analysis]) {
        let Some(doc) = self.docs.get(uri) else {
            return;
        };
        let diagnostics = if importers.is_empty() {
            analysis.diagnostics.clone()
        } else {
            let mut merged: Vec<lsp::Diagnostic> = Vec::new();
            let found = importers
                .iter()
                .flat_map(|a| &a.in_modules)
                .filter(|(path, _)| analysis.path.as_ref() == Some(path))
                .flat_map(|(_, found)| found);
            for d in found {
                let same = |o: &&mut lsp::Diagnostic| {
                    o.range == d.range && o.code == d.code && o.message == d.message
                };
                match merged.iter_mut().find(same) {
                    // ERROR is 1: a lower severity number is more severe.
                    Some(o) if d.severity < o.severity => *o = d.clone(),
                    Some(_) => {}
                    None => merged.push(d.clone()),
                }
            }
            merged
        };
        let params = lsp::PublishDiagnosticsParams {
            uri: doc.uri.clone(),
            diagnostics,
            version: Some(analysis.version),
        };
        self.send(Message::Notification(Notification::new(
            "textDocument/publishDiagnostics".into(),
            params,
        )));
    }

    /// A new generation: every open document is analysed again, so that an
    /// edit of a module re-publishes the diagnostics of its importers.
    fn changed(&mut self) {
        self.generation += 1;
        self.latest.store(self.generation, Ordering::SeqCst);
        let _ = self.jobs.send(Job {
            generation: self.generation,
            docs: self.docs.values().cloned().collect(),
        });
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            "textDocument/didOpen" => {
                let Ok(p) = serde_json::from_value::<lsp::DidOpenTextDocumentParams>(n.params)
                else {
                    return;
                };
                let Some(path) = path_of(&p.text_document.uri) else {
                    return;
                };
                if self.root.as_ref().is_some_and(|r| !path.starts_with(r)) {
                    return; // outside the project: never read
                }
                let key = p.text_document.uri.as_str().to_string();
                self.docs.insert(
                    key,
                    Document {
                        uri: p.text_document.uri,
                        path,
                        version: p.text_document.version,
                        text: p.text_document.text,
                    },
                );
                self.changed();
            }
            "textDocument/didChange" => {
                let Ok(p) = serde_json::from_value::<lsp::DidChangeTextDocumentParams>(n.params)
                else {
                    return;
                };
                let Some(doc) = self.docs.get_mut(p.text_document.uri.as_str()) else {
                    return;
                };
                for change in &p.content_changes {
                    doc.apply(change);
                }
                doc.version = p.text_document.version;
                self.changed();
            }
            "textDocument/didClose" => {
                let Ok(p) = serde_json::from_value::<lsp::DidCloseTextDocumentParams>(n.params)
                else {
                    return;
                };
                let key = p.text_document.uri.as_str();
                if self.docs.remove(key).is_some() {
                    self.analyses.remove(key);
                    self.send(Message::Notification(Notification::new(
                        "textDocument/publishDiagnostics".into(),
                        lsp::PublishDiagnosticsParams {
                            uri: p.text_document.uri,
                            diagnostics: Vec::new(),
                            version: None,
                        },
                    )));
                    self.changed();
                }
            }
            _ => {}
        }
    }

    fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        let result = match req.method.as_str() {
            "textDocument/hover" => self.with_position(&req.params, |a, _, pos| {
                serde_json::to_value(features::hover(a?, pos)).ok()
            }),
            "textDocument/completion" => self.with_position(&req.params, |a, doc, pos| {
                serde_json::to_value(complete::completion(a?, &doc.path, pos)).ok()
            }),
            "textDocument/definition" => self.with_position(&req.params, |a, _, pos| {
                serde_json::to_value(references::definition(a?, pos)).ok()
            }),
            "textDocument/references" => {
                let declaration = req.params["context"]["includeDeclaration"] == true;
                self.with_position(&req.params, |a, _, pos| {
                    let others = self.others(a?);
                    serde_json::to_value(references::references(a?, &others, pos, declaration)).ok()
                })
            }
            "textDocument/prepareRename" => self.with_position(&req.params, |a, _, pos| {
                serde_json::to_value(references::prepare_rename(a?, pos)).ok()
            }),
            "textDocument/rename" => {
                let new_name = req.params["newName"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let renamed = self.with_position(&req.params, |a, doc, pos| {
                    // Edits of an older text would land in the wrong places.
                    if a?.version != doc.version {
                        return Some(Err(STALE.to_string()));
                    }
                    let others = self.others(a?);
                    Some(
                        references::rename(a?, &others, pos, &new_name)
                            .and_then(|edit| serde_json::to_value(edit).map_err(|e| e.to_string())),
                    )
                });
                return match renamed {
                    Some(Err(message)) => {
                        Response::new_err(id, ErrorCode::RequestFailed as i32, message)
                    }
                    Some(Ok(edit)) => Response::new_ok(id, edit),
                    None => Response::new_ok(id, Value::Null),
                };
            }
            "textDocument/codeAction" => self.with_doc(&req.params, |a, doc| {
                let range = serde_json::from_value(req.params.get("range")?.clone()).ok()?;
                // The fixes of an older text: none until the new one is analysed.
                let current = a.filter(|a| a.version == doc.version);
                serde_json::to_value(actions::code_actions(current?, &doc.uri, range)).ok()
            }),
            "textDocument/signatureHelp" => self.with_position(&req.params, |_, doc, pos| {
                serde_json::to_value(signature::signature_help(&doc.text, pos)).ok()
            }),
            "textDocument/semanticTokens/full" => self.with_doc(&req.params, |a, _| {
                serde_json::to_value(tokens::semantic_tokens(a?)).ok()
            }),
            "textDocument/inlayHint" => self.with_doc(&req.params, |a, _| {
                let range = serde_json::from_value(req.params.get("range")?.clone()).ok()?;
                let hints = match self.schema_hints {
                    true => hints::schema_hints(a?, range),
                    false => Vec::new(),
                };
                serde_json::to_value(hints).ok()
            }),
            "textDocument/formatting" => self.with_doc(&req.params, |_, doc| {
                serde_json::to_value(features::formatting(doc)).ok()
            }),
            "textDocument/documentSymbol" => self.with_doc(&req.params, |_, doc| {
                serde_json::to_value(features::symbols(doc)).ok()
            }),
            _ => {
                return Response::new_err(
                    id,
                    ErrorCode::MethodNotFound as i32,
                    format!("unknown method {}", req.method),
                )
            }
        };
        Response::new_ok(id, result.unwrap_or(Value::Null))
    }

    /// The analyses of the open documents other than `this`: where the
    /// references of a module's blocks in its importers are.
    /// Only analyses of their document's current text: the positions of
    /// an older one are not the editor's.
    fn others(&self, this: &Analysis) -> Vec<&Analysis> {
        self.analyses
            .iter()
            .filter(|(uri, a)| self.docs.get(*uri).is_some_and(|d| d.version == a.version))
            .map(|(_, a)| &**a)
            .filter(|a| !std::ptr::eq(*a, this))
            .collect()
    }

    fn doc_of(&self, params: &Value) -> Option<(Option<&Analysis>, &Document)> {
        let uri = params.get("textDocument")?.get("uri")?.as_str()?;
        let doc = self.docs.get(uri)?;
        Some((self.analyses.get(uri).map(|a| &**a), doc))
    }

    fn with_doc(
        &self,
        params: &Value,
        f: impl FnOnce(Option<&Analysis>, &Document) -> Option<Value>,
    ) -> Option<Value> {
        let (analysis, doc) = self.doc_of(params)?;
        f(analysis, doc)
    }

    fn with_position<T>(
        &self,
        params: &Value,
        f: impl FnOnce(Option<&Analysis>, &Document, lsp::Position) -> Option<T>,
    ) -> Option<T> {
        let position: lsp::Position =
            serde_json::from_value(params.get("position")?.clone()).ok()?;
        let (analysis, doc) = self.doc_of(params)?;
        f(analysis, doc, position)
    }
}
