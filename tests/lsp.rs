//! `mlp lsp` spoken to over its standard input and output, as an editor does.

mod common;
mod lsp_client;

use lsp_client::{uri, Client};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn start() -> Client {
    Client::start(env!("CARGO_BIN_EXE_mlp"), &root(), json!({}))
}

/// Opens the credit example: its text and its URI.
fn open_credit(client: &mut Client) -> (String, String) {
    let path = root().join("examples/credit/main.mlp");
    let text = std::fs::read_to_string(&path).expect("the credit example is readable");
    let u = client.open(&path, &text);
    (text, u)
}

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect()
}

fn errors(diagnostics: &[Value]) -> Vec<&Value> {
    diagnostics.iter().filter(|d| d["severity"] == 1).collect()
}

#[test]
fn initialize_announces_the_capabilities_and_shutdown_exits_cleanly() {
    let client = start();
    let caps = client.initialize_result()["capabilities"].clone();
    assert_eq!(caps["textDocumentSync"], 2, "incremental sync: {caps}");
    assert_eq!(caps["hoverProvider"], true);
    assert_eq!(caps["documentFormattingProvider"], true);
    assert_eq!(caps["documentSymbolProvider"], true);
    assert_eq!(caps["definitionProvider"], true);
    assert_eq!(caps["referencesProvider"], true);
    assert_eq!(caps["renameProvider"]["prepareProvider"], true, "{caps}");
    assert_eq!(
        caps["codeActionProvider"]["codeActionKinds"],
        json!(["quickfix"])
    );
    assert!(
        caps["completionProvider"]["triggerCharacters"].is_array(),
        "{caps}"
    );
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn the_credit_example_has_no_errors() {
    let mut client = start();
    let (_, u) = open_credit(&mut client);
    let diagnostics = client.diagnostics(&u, 1);
    assert!(errors(&diagnostics).is_empty(), "{diagnostics:?}");
}

#[test]
fn a_broken_fixture_reports_its_code_at_its_range() {
    let mut client = start();
    let path = root().join("tests/fixtures/errors/MLP2007-unknown-operation.mlp");
    let text = std::fs::read_to_string(&path).unwrap();
    let u = client.open(&path, &text);
    let diagnostics = client.diagnostics(&u, 1);
    let d = diagnostics
        .iter()
        .find(|d| d["code"] == "MLP2007")
        .unwrap_or_else(|| panic!("{diagnostics:?}"));
    assert_eq!(d["severity"], 1);
    assert_eq!(d["source"], "mlp");
    assert_eq!(
        d["range"],
        json!({"start": {"line": 3, "character": 4}, "end": {"line": 3, "character": 15}})
    );
    assert!(d["message"].as_str().unwrap().contains("help:"), "{d}");
}

#[test]
fn an_incremental_edit_introducing_an_error_is_reported_then_fixed() {
    let mut client = start();
    let (text, u) = open_credit(&mut client);
    assert!(errors(&client.diagnostics(&u, 1)).is_empty());
    // `| one_hot(Home)` → `| one_hotx(Home)`: an unknown operation.
    let (line, col) = text
        .lines()
        .enumerate()
        .find_map(|(i, l)| {
            l.find("| one_hot(Home)")
                .map(|c| (i, c + "| one_hot".len()))
        })
        .unwrap();
    let at = json!({"line": line, "character": col});
    client.change(
        &u,
        2,
        json!([{"range": {"start": at, "end": at}, "text": "x"}]),
    );
    let diagnostics = client.diagnostics(&u, 2);
    let d = diagnostics
        .iter()
        .find(|d| d["code"] == "MLP2007")
        .unwrap_or_else(|| panic!("{diagnostics:?}"));
    assert_eq!(
        d["range"]["start"],
        json!({"line": line, "character": col - 7})
    );
    let after = json!({"line": line, "character": col + 1});
    client.change(
        &u,
        3,
        json!([{"range": {"start": at, "end": after}, "text": ""}]),
    );
    assert!(errors(&client.diagnostics(&u, 3)).is_empty());
}

#[test]
fn a_multibyte_edit_lands_on_utf16_positions() {
    let mut client = start();
    let path = root().join("tests/fixtures/errors/MLP2007-unknown-operation.mlp");
    let text = "// é𝄞\nsource s: csv { path = \"s.csv\", schema { x: float } }\n";
    let u = client.open(&path, text);
    assert!(errors(&client.diagnostics(&u, 1)).is_empty());
    // After `// é𝄞` (5 UTF-16 units): a stray word on the comment line is harmless;
    // then replace `float` (line 1) by `flaot`, an unknown type.
    let line1 = text.lines().nth(1).unwrap();
    let c = line1.find("float").unwrap() as u32;
    client.change(
        &u,
        2,
        json!([
            {"range": {"start": {"line": 0, "character": 5}, "end": {"line": 0, "character": 5}}, "text": "!"},
            {"range": {"start": {"line": 1, "character": c}, "end": {"line": 1, "character": c + 5}}, "text": "flaot"}
        ]),
    );
    let diagnostics = client.diagnostics(&u, 2);
    assert!(
        codes(&diagnostics).contains(&"MLP2021".to_string()),
        "{diagnostics:?}"
    );
}

#[test]
fn hover_on_a_table_shows_its_columns_and_on_a_step_the_schema_after_it() {
    let mut client = start();
    let (text, u) = open_credit(&mut client);
    client.diagnostics(&u, 1);
    let hover = answer_at(
        &mut client,
        "textDocument/hover",
        &u,
        &text,
        "= applications",
        4,
    );
    let value = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(value.contains("**source** `applications`"), "{hover}");
    assert!(value.contains("| `Income` | `float?` |"), "{value}");
    assert!(value.contains("@target"), "{value}");
    let hover = answer_at(
        &mut client,
        "textDocument/hover",
        &u,
        &text,
        "| derive(loan",
        3,
    );
    let value = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(
        value.contains("step** `derive`") && value.contains("`loan_to_value`"),
        "{hover}"
    );
    // Unknown documents answer null.
    let none = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": "file:///nowhere.mlp"}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(none["result"], Value::Null);
}

#[test]
fn formatting_rewrites_an_unformatted_file_and_leaves_a_formatted_or_broken_one() {
    let mut client = start();
    let path = root().join("tests/fixtures/fmt/layout.mlp");
    let messy = "source   s: csv {path=\"s.csv\"\n schema { x: float }}\n";
    let u = client.open(&path, messy);
    let edits = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": u}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let edits = edits["result"].as_array().cloned().unwrap_or_default();
    assert_eq!(edits.len(), 1, "{edits:?}");
    assert_eq!(
        edits[0]["range"]["start"],
        json!({"line": 0, "character": 0})
    );
    let formatted = edits[0]["newText"].as_str().unwrap().to_string();
    assert!(formatted.starts_with("source s: csv {\n"), "{formatted}");
    client.change(&u, 2, json!([{"text": formatted}]));
    let again = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": u}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(again["result"], json!([]));
    client.change(&u, 3, json!([{"text": "source s: csv {"}]));
    let broken = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": u}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(broken["result"], json!([]));
}

#[test]
fn document_symbols_outline_the_blocks() {
    let mut client = start();
    let (_, u) = open_credit(&mut client);
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": u}}),
    );
    let symbols = symbols["result"].as_array().cloned().unwrap();
    let names: Vec<&str> = symbols.iter().filter_map(|s| s["name"].as_str()).collect();
    for name in [
        "credit",
        "seed",
        "applications",
        "features",
        "holdout",
        "scorer",
        "scoring_api",
    ] {
        assert!(names.contains(&name), "{names:?}");
    }
    let source = symbols
        .iter()
        .find(|s| s["name"] == "applications")
        .unwrap();
    assert_eq!(source["kind"], 23, "a struct");
    assert!(source["children"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "Income"));
}

#[test]
fn unknown_methods_are_refused_and_the_server_stays_up() {
    let mut client = start();
    let r = client.request("mlp/nothing", json!({}));
    assert_eq!(r["error"]["code"], -32601, "{r}");
    assert!(client.alive());
    assert_eq!(client.shutdown(), Some(0));
}

/// A tiny deterministic generator (xorshift), so failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_edits_of_every_fixture_never_stop_the_server() {
    // Every feature on, the opt-in inlay hints too.
    let options = json!({"inlayHints": {"schema": true}});
    let mut client = Client::start(env!("CARGO_BIN_EXE_mlp"), &root(), options);
    let mut files = Vec::new();
    common::mlp_files(&root().join("tests/fixtures"), &mut files);
    assert!(files.len() > 50, "{}", files.len());
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let alphabet: Vec<char> = "ab_(){}[]|=\".,:@ \n/*é𝄞0".chars().collect();
    for (n, file) in files.iter().enumerate() {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let u = client.open(file, &text);
        let mut lines: Vec<usize> = text.lines().map(|l| l.encode_utf16().count()).collect();
        lines.push(0);
        let edits = if n % 10 == 0 { 300 } else { 10 };
        for version in 2..2 + edits {
            let line = (rng.next() % lines.len() as u64) as usize;
            let ch = (rng.next() % (lines[line] as u64 + 3)) as usize;
            let at = json!({"line": line, "character": ch});
            let end = json!({"line": line, "character": ch + (rng.next() % 3) as usize});
            let insert: String = (0..rng.next() % 3)
                .map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize])
                .collect();
            client.change(
                &u,
                version,
                json!([{"range": {"start": at, "end": end}, "text": insert}]),
            );
        }
        // The requests below read the analysis of the last edit.
        client.diagnostics(&u, 1 + edits);
        let lines_now = lines.len() as u64;
        for method in [
            "textDocument/hover",
            "textDocument/documentSymbol",
            "textDocument/formatting",
            "textDocument/definition",
            "textDocument/references",
            "textDocument/prepareRename",
            "textDocument/rename",
            "textDocument/codeAction",
            "textDocument/signatureHelp",
            "textDocument/semanticTokens/full",
            "textDocument/inlayHint",
            "textDocument/completion",
        ] {
            let position = json!({"line": rng.next() % lines_now, "character": rng.next() % 40});
            let r = client.request(
                method,
                json!({
                    "textDocument": {"uri": u},
                    "position": position,
                    "range": {"start": {"line": 0, "character": 0}, "end": position},
                    "options": {"tabSize": 2, "insertSpaces": true},
                    "context": {"includeDeclaration": true, "diagnostics": []},
                    "newName": "renamed",
                }),
            );
            // A rename may be refused with a message; nothing else may fail.
            let refused = method == "textDocument/rename" && r["error"]["code"] == -32803;
            assert!(
                r.get("error").is_none() || refused,
                "{method} at {position} on {}: {r}",
                file.display()
            );
        }
        client.notify("textDocument/didClose", json!({"textDocument": {"uri": u}}));
        client.pending.clear();
    }
    assert!(client.alive());
    let _ = uri(&root());
    assert_eq!(client.shutdown(), Some(0));
}

/// The line and UTF-16 column of the first `needle` of `text`, plus `shift`.
fn position_of(text: &str, needle: &str, shift: usize) -> Value {
    let (line, col) = text
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.find(needle).map(|c| (i, c + shift)))
        .unwrap_or_else(|| panic!("`{needle}` is in the file"));
    json!({"line": line, "character": col})
}

/// The answer to a `method` request at the first `needle` of `text`, plus
/// `shift` characters.
fn answer_at(
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
fn answer_with(
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

/// The labels of the completion items at `needle` plus `shift`.
fn completions_at(
    client: &mut Client,
    u: &str,
    text: &str,
    needle: &str,
    shift: usize,
) -> Vec<String> {
    let answer = answer_at(client, "textDocument/completion", u, text, needle, shift);
    answer["result"]
        .as_array()
        .unwrap_or_else(|| panic!("a list of items: {answer}"))
        .iter()
        .map(|item| item["label"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn completion_knows_the_columns_in_scope_at_each_step_the_operations_and_the_metrics() {
    let mut client = start();
    let (text, u) = open_credit(&mut client);
    client.diagnostics(&u, 1);

    // In `derive(loan_to_value = ...)`, the column it makes is not yet in scope.
    let at_derive = completions_at(&mut client, &u, &text, "derive(loan_to_value", 9);
    assert!(at_derive.contains(&"Amount".to_string()), "{at_derive:?}");
    assert!(
        !at_derive.contains(&"loan_to_value".to_string()),
        "{at_derive:?}"
    );
    // In the later `standardize(...)`, the columns derived and one-hot encoded before it are.
    let at_standardize = completions_at(&mut client, &u, &text, "      debt_to_income,", 6);
    for column in [
        "debt_to_income",
        "free_income",
        "loan_to_value",
        "Home_owner",
    ] {
        assert!(
            at_standardize.contains(&column.to_string()),
            "{column}: {at_standardize:?}"
        );
    }
    assert!(
        !at_standardize.contains(&"Home".to_string()),
        "one_hot replaced Home"
    );
    // After `|`: the operations of the catalogue.
    let after_pipe = completions_at(&mut client, &u, &text, "| log(Assets)", 2);
    for op in ["standardize", "one_hot", "impute", "filter"] {
        assert!(after_pipe.contains(&op.to_string()), "{op}: {after_pipe:?}");
    }
    // In an evaluate of a classifier: classification metrics, no regression ones.
    let metrics = completions_at(&mut client, &u, &text, "metrics = [accuracy, precision", 11);
    assert!(metrics.contains(&"roc_auc".to_string()), "{metrics:?}");
    assert!(!metrics.contains(&"rmse".to_string()), "{metrics:?}");
    // At the start of a line: the block kinds.
    let kinds = completions_at(&mut client, &u, &text, "model scorer", 0);
    assert!(kinds.contains(&"transform".to_string()) && kinds.contains(&"deploy".to_string()));
}

#[test]
fn definition_of_a_block_reference_is_its_declaration() {
    let mut client = start();
    let (text, u) = open_credit(&mut client);
    client.diagnostics(&u, 1);
    let answer = answer_at(
        &mut client,
        "textDocument/definition",
        &u,
        &text,
        "evaluate scorer on prepared",
        20,
    );
    let declared = text
        .lines()
        .position(|l| l.starts_with("transform prepared"))
        .unwrap();
    assert_eq!(answer["result"]["uri"], u.as_str(), "{answer}");
    assert_eq!(
        answer["result"]["range"],
        json!({"start": {"line": declared, "character": 10}, "end": {"line": declared, "character": 18}}),
        "{answer}"
    );
}

/// Opens the two-module fixture of `tests/fixtures/lsp`: (text, URI) of
/// `main.mlp`, then of the module it imports, `tables.mlp`.
fn open_project(client: &mut Client) -> ((String, String), (String, String)) {
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
fn places(answer: &Value) -> Vec<(String, u64, u64)> {
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
fn place(u: &str, text: &str, needle: &str, shift: usize) -> (String, u64, u64) {
    let p = position_of(text, needle, shift);
    (
        u.to_string(),
        p["line"].as_u64().unwrap(),
        p["character"].as_u64().unwrap(),
    )
}

/// The places of the references at `needle` plus `shift` in the document `(text, uri)`.
fn references_at(
    client: &mut Client,
    (text, u): &(String, String),
    at: (&str, usize),
    declaration: bool,
) -> Vec<(String, u64, u64)> {
    let context = json!({"context": {"includeDeclaration": declaration}});
    let r = answer_with(client, "textDocument/references", u, text, at, context);
    places(&r)
}

/// The places of `needles` (with their shifts) in the document `(text, uri)`, sorted.
fn places_of(documents: &[(&(String, String), &str, usize)]) -> Vec<(String, u64, u64)> {
    let mut out: Vec<_> = documents
        .iter()
        .map(|((text, u), needle, shift)| place(u, text, needle, *shift))
        .collect();
    out.sort();
    out
}

#[test]
fn references_of_a_block_cover_the_document_and_its_open_modules() {
    let mut client = start();
    let (main, tables) = open_project(&mut client);
    // `clean`, named from main.mlp, is declared in the imported module.
    let used = (&main, "tables.clean", 7);
    assert_eq!(
        references_at(&mut client, &main, ("tables.clean", 8), true),
        places_of(&[used, (&tables, "transform clean", 10)])
    );
    assert_eq!(
        references_at(&mut client, &main, ("tables.clean", 8), false),
        places_of(&[used])
    );
    // Asked from the module, the importer open beside it is searched too.
    assert_eq!(
        references_at(&mut client, &tables, ("transform clean", 11), false),
        places_of(&[used])
    );
    // A split named with its parts, and a param read in a step.
    assert_eq!(
        references_at(&mut client, &main, ("split holdout", 7), true),
        places_of(&[
            (&main, "split holdout", 6),
            (&main, "holdout.train", 0),
            (&main, "holdout.test", 0)
        ])
    );
    assert_eq!(
        references_at(&mut client, &main, ("> threshold", 3), true),
        places_of(&[(&main, "param threshold", 6), (&main, "> threshold", 2)])
    );
    // In the credit example: a model named by an evaluate, policy rules and a deployment.
    let credit = open_credit(&mut client);
    client.diagnostics(&credit.1, 1);
    let text = &credit.0;
    let lines: Vec<u64> = references_at(&mut client, &credit, ("model scorer", 7), true)
        .iter()
        .map(|p| p.1)
        .collect();
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() as u64;
    for needle in [
        "model scorer",
        "evaluate scorer on",
        "require scorer.accuracy",
        "require scorer.roc_auc",
        "deny pii in scorer.features",
        "model = scorer",
    ] {
        assert!(lines.contains(&line_of(needle)), "{needle}: {lines:?}");
    }
    // A column is not a block: no references.
    assert!(references_at(&mut client, &credit, ("target = Status", 9), true).is_empty());
}

/// `text` with the edits of `edits` (ASCII text: columns are bytes).
fn apply_edits(text: &str, edits: &[Value]) -> String {
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

#[test]
fn rename_of_a_block_edits_every_reference_and_refuses_bad_names() {
    let mut client = start();
    let ((main, mu), (tables, tu)) = open_project(&mut client);
    let prepared = answer_at(
        &mut client,
        "textDocument/prepareRename",
        &mu,
        &main,
        "holdout.test",
        2,
    );
    let at = position_of(&main, "holdout.test", 0);
    assert_eq!(prepared["result"]["start"], at, "{prepared}");
    let nothing = answer_at(
        &mut client,
        "textDocument/prepareRename",
        &mu,
        &main,
        "metrics",
        2,
    );
    assert_eq!(nothing["result"], Value::Null, "{nothing}");

    let rename = |client: &mut Client, needle: (&str, usize), name: &str| {
        answer_with(
            client,
            "textDocument/rename",
            &mu,
            &main,
            needle,
            json!({"newName": name}),
        )
    };
    let r = rename(&mut client, ("split holdout", 7), "parts");
    let edits = r["result"]["changes"][mu.as_str()]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(edits.len(), 3, "{r}");
    let renamed = apply_edits(&main, &edits);
    assert!(renamed.contains("split parts = ready") && renamed.contains("parts.test"));
    client.change(&mu, 2, json!([{"text": renamed}]));
    assert!(errors(&client.diagnostics(&mu, 2)).is_empty(), "{renamed}");
    client.change(&mu, 3, json!([{"text": main}]));
    client.diagnostics(&mu, 3);

    // A block of the module: its declaration and the importer's reference.
    let r = rename(&mut client, ("tables.clean", 8), "tidy");
    let in_main = r["result"]["changes"][mu.as_str()]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let in_tables = r["result"]["changes"][tu.as_str()]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        apply_edits(&main, &in_main).contains("= tables.tidy"),
        "{r}"
    );
    assert!(
        apply_edits(&tables, &in_tables).contains("transform tidy = loans"),
        "{r}"
    );

    for (bad, why) in [
        ("2fast", "not a valid name"),
        ("a-b", "not a valid name"),
        ("and", "not a valid name"),
        ("scorer", "already names"),
        ("tables", "already names"),
    ] {
        let r = rename(&mut client, ("split holdout", 7), bad);
        let message = r["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(why), "{bad}: {r}");
    }
    assert!(client.alive());
}

/// The place of the definition at `at` in the document `(text, uri)`, if any.
fn definition_at(
    client: &mut Client,
    (text, u): &(String, String),
    at: (&str, usize),
) -> Option<(String, u64, u64)> {
    let r = answer_with(client, "textDocument/definition", u, text, at, json!({}));
    if r["result"].is_null() {
        return None;
    }
    Some(places(&json!({"result": [r["result"]]})).remove(0))
}

#[test]
fn definition_of_params_and_columns_follows_the_checked_schemas() {
    let mut client = start();
    let credit = open_credit(&mut client);
    client.diagnostics(&credit.1, 1);
    let at = |doc: &(String, String), needle, shift| Some(place(&doc.1, &doc.0, needle, shift));
    // A param read by a field.
    assert_eq!(
        definition_at(&mut client, &credit, ("seed = seed", 8)),
        at(&credit, "param seed", 6)
    );
    // Columns of a step, of a model's target and of its features: their source's schema.
    let income = at(&credit, "Income:    float?", 0);
    assert_eq!(
        definition_at(&mut client, &credit, ("impute(Income", 8)),
        income
    );
    let status = at(&credit, "Status:    enum", 0);
    assert_eq!(
        definition_at(&mut client, &credit, ("target = Status", 10)),
        status
    );
    assert_eq!(
        definition_at(&mut client, &credit, ("all_except(Status", 12)),
        status
    );
    // A derived column: the `derive` step that made it, two blocks upstream.
    assert_eq!(
        definition_at(&mut client, &credit, ("      loan_to_value,", 7)),
        at(&credit, "derive(loan_to_value", 7)
    );
    // A block of the standard library has no file to go to.
    assert_eq!(
        definition_at(&mut client, &credit, ("baseline.production", 10)),
        None
    );
    // Across modules: a derive in the imported module, a one_hot column in this one.
    let (main, tables) = open_project(&mut client);
    assert_eq!(
        definition_at(&mut client, &main, ("[income_k", 2)),
        at(&tables, "income_k =", 0)
    );
    assert_eq!(
        definition_at(&mut client, &main, ("home_own]", 1)),
        at(&main, "one_hot(home)", 0)
    );
    assert_eq!(
        definition_at(&mut client, &main, ("one_hot(home)", 9)),
        at(&tables, "home:", 0)
    );
}

/// Opens `text` as `path`, applies the first quick fix offered for its
/// diagnostic `code`, and returns the fixed text and the codes of the
/// checker left (lint findings aside).
fn apply_fix(client: &mut Client, path: &Path, text: &str, code: &str) -> (String, Vec<String>) {
    let u = client.open(path, text);
    let diagnostics = client.diagnostics(&u, 1);
    let d = diagnostics
        .iter()
        .find(|d| d["code"] == code)
        .unwrap_or_else(|| panic!("{code}: {diagnostics:?}"))
        .clone();
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": u}, "range": d["range"], "context": {"diagnostics": [d]}}),
    );
    let action = actions["result"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["diagnostics"][0]["code"] == code))
        .unwrap_or_else(|| panic!("a fix of {code}: {actions}"));
    assert_eq!(action["kind"], "quickfix", "{action}");
    let edits = action["edit"]["changes"][u.as_str()].as_array().unwrap();
    let fixed = apply_edits(text, edits);
    client.change(&u, 2, json!([{"text": fixed}]));
    let after = client.diagnostics(&u, 2);
    let left: Vec<String> = codes(&after)
        .into_iter()
        .filter(|c| !c.starts_with("GOV"))
        .collect();
    client.notify("textDocument/didClose", json!({"textDocument": {"uri": u}}));
    (fixed, left)
}

#[test]
fn quick_fixes_correct_names_add_missing_fields_and_one_hot_enum_features() {
    let mut client = start();
    let fixture = |name: &str| {
        let path = root().join("tests/fixtures/errors").join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        (path, text)
    };
    // "did you mean": the name the checker suggested, in place of the
    // misspelled one; a missing required field, with a placeholder.
    for (name, code, want) in [
        (
            "MLP2007-unknown-operation.mlp",
            "MLP2007",
            "| standardize(x)",
        ),
        (
            "MLP1001-unknown-name.mlp",
            "MLP1001",
            "data = holdout.train",
        ),
        (
            "MLP2002-missing-field.mlp",
            "MLP2002",
            "loans: csv {\n  path = \"\"\n",
        ),
    ] {
        let (path, text) = fixture(name);
        let (fixed, left) = apply_fix(&mut client, &path, &text, code);
        assert!(fixed.contains(want), "{fixed}");
        assert!(left.is_empty(), "{fixed}: {left:?}");
    }
    // An enum feature read straight from its source: a transform encodes it,
    // the split reads the transform, and the features name the columns made.
    let (path, text) = fixture("MLP2010-enum-feature.mlp");
    let (fixed, left) = apply_fix(&mut client, &path, &text, "MLP2010");
    assert!(
        fixed.contains("transform s_encoded = s\n  | one_hot(home)"),
        "{fixed}"
    );
    assert!(fixed.contains("split h = s_encoded"), "{fixed}");
    assert!(fixed.contains("[age, home_own, home_rent]"), "{fixed}");
    assert!(left.is_empty(), "{fixed}: {left:?}");
    // Through a transform: the step is added at its end.
    let text = "source s: csv { path = \"s.csv\", schema { home: enum(\"own\", \"rent\"), age: int, bad: bool } }\n\
                transform t = s\n  | filter(age > 0)\n\
                split h = t { train = 0.8, test = 0.2 }\n\
                model m: logistic_regression {\n  data = h.train\n  target = bad\n  features = all_except(bad)\n}\n";
    let (fixed, left) = apply_fix(&mut client, &path, text, "MLP2010");
    assert!(
        fixed.contains("| filter(age > 0)\n  | one_hot(home)\n"),
        "{fixed}"
    );
    assert!(left.is_empty(), "{fixed}: {left:?}");
}

/// The signature label and active parameter at `needle` plus `shift`.
fn signature_at(
    client: &mut Client,
    (text, u): &(String, String),
    at: (&str, usize),
) -> (String, Value) {
    let r = answer_with(client, "textDocument/signatureHelp", u, text, at, json!({}));
    let signature = &r["result"]["signatures"][0];
    let label = signature["label"].as_str().unwrap_or_default().to_string();
    (label, r["result"]["activeParameter"].clone())
}

#[test]
fn signature_help_shows_the_operation_or_the_algorithm_and_the_argument_at_the_cursor() {
    let mut client = start();
    let credit = open_credit(&mut client);
    client.diagnostics(&credit.1, 1);
    let impute = "impute(columns..., strategy = …, value = …)";
    let at = "impute(Income, Assets, Debt, strategy = median)";
    assert_eq!(
        signature_at(&mut client, &credit, (at, 8)),
        (impute.into(), json!(0))
    );
    assert_eq!(
        signature_at(&mut client, &credit, (at, 42)),
        (impute.into(), json!(1))
    );
    // In `hyper { }`: the algorithm's hyper-parameters, from the catalogue.
    let (label, active) = signature_at(&mut client, &credit, ("l2 = 0.01", 6));
    assert!(
        label.starts_with("logistic_regression { max_iterations: int"),
        "{label}"
    );
    assert!(label.contains("l2: float"), "{label}");
    let names: Vec<&str> = label
        .trim_start_matches("logistic_regression { ")
        .split(", ")
        .collect();
    let l2 = names.iter().position(|n| n.starts_with("l2:")).unwrap();
    assert_eq!(active, json!(l2), "{label}");
    // Nothing outside a step or a hyper block.
    assert_eq!(signature_at(&mut client, &credit, ("owner = ", 3)).0, "");
    // While typing: the call is not closed and the block does not parse.
    let path = root().join("tests/fixtures/errors/MLP2007-unknown-operation.mlp");
    let typing = "source s: csv { path = \"s.csv\", schema { x: float } }\ntransform t = s\n  | clip(x, hi = ".to_string();
    let u = client.open(&path, &typing);
    let typed = (typing.clone(), u);
    let (label, active) = signature_at(&mut client, &typed, ("hi = ", 5));
    assert_eq!(
        (label.as_str(), active),
        ("clip(columns..., lo = …, hi = …)", json!(2))
    );
    let (_, active) = signature_at(&mut client, &typed, ("clip(x", 6));
    assert_eq!(active, json!(0));
}

/// The semantic tokens of `text`, decoded: (line, text, type, modifiers).
fn tokens(
    client: &mut Client,
    (text, u): &(String, String),
) -> Vec<(u64, String, String, Vec<String>)> {
    let legend =
        client.initialize_result()["capabilities"]["semanticTokensProvider"]["legend"].clone();
    let r = client.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": u}}),
    );
    let data: Vec<u64> = r["result"]["data"]
        .as_array()
        .unwrap_or_else(|| panic!("tokens: {r}"))
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let lines: Vec<&str> = text.lines().collect();
    let (mut line, mut start) = (0, 0);
    data.chunks(5)
        .map(|t| {
            line += t[0];
            start = if t[0] == 0 { start + t[1] } else { t[1] };
            let word: String = lines[line as usize]
                .chars()
                .skip(start as usize)
                .take(t[2] as usize)
                .collect();
            let ty = legend["tokenTypes"][t[3] as usize]
                .as_str()
                .unwrap()
                .to_string();
            let modifiers = (0..2)
                .filter(|b| t[4] & (1 << b) != 0)
                .map(|b| legend["tokenModifiers"][b].as_str().unwrap().to_string())
                .collect();
            (line, word, ty, modifiers)
        })
        .collect()
}

#[test]
fn semantic_tokens_colour_words_by_what_the_checker_says_they_are() {
    let mut client = start();
    let credit = open_credit(&mut client);
    client.diagnostics(&credit.1, 1);
    let all = tokens(&mut client, &credit);
    let text = &credit.0;
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() as u64;
    let has = |needle: &str, word: &str, ty: &str, modifiers: &[&str]| {
        let line = line_of(needle);
        let found = all
            .iter()
            .any(|(l, w, t, m)| *l == line && w == word && t == ty && m == modifiers);
        assert!(
            found,
            "`{word}` as {ty} {modifiers:?} on line {line}: {:?}",
            all.iter().filter(|t| t.0 == line).collect::<Vec<_>>()
        );
    };
    let none: &[&str] = &[];
    let decl: &[&str] = &["declaration"];
    let library: &[&str] = &["defaultLibrary"];
    for (needle, word, ty, modifiers) in [
        ("source applications", "source", "keyword", none),
        ("source applications", "applications", "class", decl),
        ("source applications", "csv", "type", none),
        ("Status:    enum", "Status", "property", decl),
        ("Status:    enum", "@target", "decorator", none),
        ("Status:    enum", "\"good\"", "string", none),
        ("Seniority: int", "int", "type", none),
        (
            "Seniority: int",
            "// years with the current employer",
            "comment",
            none,
        ),
        ("| impute(Income, Assets", "impute", "function", none),
        ("| impute(Income, Assets", "Income", "property", none),
        ("seed = seed, stratify", "seed", "parameter", none),
        ("seed = seed, stratify", "0.8", "number", none),
        ("seed = seed, stratify", "Status", "property", none),
        ("gates = [credit_launch", "production", "class", library),
        (
            "features = all_except(Status",
            "all_except",
            "function",
            library,
        ),
        ("evaluate scorer on", "on", "keyword", none),
        ("deny pii in scorer.features", "deny", "keyword", none),
    ] {
        has(needle, word, ty, modifiers);
    }
    // A block comment is cut into one token a line.
    assert!(all
        .iter()
        .any(|(l, w, t, _)| *l == 1 && t == "comment" && w.starts_with("  Credit scoring")));
    // Decoded relative to each other, every token lands on text.
    assert!(
        all.iter().all(|(_, w, _, _)| !w.trim().is_empty()),
        "{all:?}"
    );
}

#[test]
fn inlay_hints_show_the_schema_after_each_step_only_when_asked_for() {
    let everything =
        json!({"start": {"line": 0, "character": 0}, "end": {"line": 9999, "character": 0}});
    let hints = |client: &mut Client, u: &str| {
        let r = client.request(
            "textDocument/inlayHint",
            json!({"textDocument": {"uri": u}, "range": everything}),
        );
        r["result"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("hints: {r}"))
    };
    // Off by default.
    let mut client = start();
    let ((main, mu), _) = open_project(&mut client);
    assert_eq!(hints(&mut client, &mu), Vec::<Value>::new());
    drop(client);

    let options = json!({"inlayHints": {"schema": true}});
    let mut client = Client::start(env!("CARGO_BIN_EXE_mlp"), &root(), options);
    let ((main2, mu), _) = open_project(&mut client);
    assert_eq!(main, main2);
    let found = hints(&mut client, &mu);
    let at = |needle: &str| {
        let p = position_of(&main, needle, needle.len());
        found
            .iter()
            .find(|h| h["position"] == p)
            .unwrap_or_else(|| panic!("a hint after `{needle}`: {found:?}"))
            .clone()
    };
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(
        at("| filter(income_k > threshold)")["label"],
        "→ id, income, home, bad, … (+1)"
    );
    let hint = at("| one_hot(home)");
    assert_eq!(hint["label"], "→ id, income, home_own, home_rent, … (+2)");
    let tooltip = hint["tooltip"].as_str().unwrap_or_default();
    assert!(
        tooltip.contains("home_rent: float") && tooltip.contains("income_k: float"),
        "{tooltip}"
    );
    // Only the steps inside the range asked for.
    let first_line =
        json!({"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}});
    let r = client.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": mu}, "range": first_line}),
    );
    assert_eq!(r["result"], json!([]), "{r}");
}

#[test]
fn completion_after_use_offers_the_standard_modules_and_the_project_files() {
    let mut client = start();
    let path = root().join("tests/fixtures/lsp/new.mlp");
    let typing = ("use std.po\n".to_string(), uri(&path));
    client.open(&path, &typing.0);
    client.diagnostics(&typing.1, 1);
    let (text, u) = &typing;
    let method = "textDocument/completion";
    let answer = answer_with(&mut client, method, u, text, ("std.po", 6), json!({}));
    let items = answer["result"].as_array().cloned().unwrap_or_default();
    let edit_of = |label: &str| {
        let item = items
            .iter()
            .find(|i| i["label"] == label)
            .unwrap_or_else(|| panic!("{label}: {answer}"));
        (
            item["textEdit"]["newText"].clone(),
            item["textEdit"]["range"].clone(),
        )
    };
    let typed = json!({"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 10}});
    assert_eq!(
        edit_of("std.policies.baseline"),
        (json!("std.policies.baseline"), typed.clone())
    );
    assert_eq!(
        edit_of("\"./tables.mlp\""),
        (json!("\"./tables.mlp\" as tables"), typed.clone())
    );
    assert_eq!(
        edit_of("\"../valid/credit.mlp\"").0,
        json!("\"../valid/credit.mlp\" as credit")
    );
    assert!(
        !items.iter().any(|i| i["label"] == "\"./new.mlp\""),
        "not itself"
    );
}

#[test]
fn definition_of_a_joined_column_is_in_the_joined_table() {
    let mut client = start();
    let path = root().join("tests/fixtures/lsp/joined.mlp");
    let text = "source a: csv { path = \"a.csv\", schema { id: int @id, x: float } }\n\
                source b: csv { path = \"b.csv\", schema { id: int @id, y: float } }\n\
                transform t = a\n  | join(b, on = [id])\n  | derive(z = x + y)\n"
        .to_string();
    let doc = (text.clone(), client.open(&path, &text));
    client.diagnostics(&doc.1, 1);
    let at = |needle: &str, shift: usize| Some(place(&doc.1, &text, needle, shift));
    assert_eq!(
        definition_at(&mut client, &doc, ("+ y", 2)),
        at("y: float", 0)
    );
    assert_eq!(
        definition_at(&mut client, &doc, ("= x +", 2)),
        at("x: float", 0)
    );
}
