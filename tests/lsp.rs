//! `mlp lsp` spoken to over its standard input and output, as an editor does:
//! the protocol, diagnostics, hover, formatting, symbols, completion and
//! random edits. Navigation is in `lsp_navigation.rs`, the assists (quick
//! fixes, signature help, tokens, hints) in `lsp_assist.rs`.

mod common;
mod lsp_client;

use lsp_client::*;
use serde_json::{json, Value};

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
    // With what the operation does, from the catalogue.
    assert!(value.contains("adds a column per"), "{hover}");
    // A column where a step reads it: its type there, nullable before the
    // impute and not after it.
    let column = |client: &mut Client, needle: &str| {
        let hover = answer_at(client, "textDocument/hover", &u, &text, needle, 1);
        hover["result"]["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        column(&mut client, "(Income, Assets, Debt"),
        "**column** `Income`: `float?`"
    );
    assert_eq!(
        column(&mut client, " Income - Expenses"),
        "**column** `Income`: `float`"
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
    // At the start of a line of a block's body: its kind's fields and nested blocks.
    let source = completions_at(
        &mut client,
        &u,
        &text,
        "  path = \"data/credit_data.csv\"",
        2,
    );
    for field in ["path", "schema", "expect", "origin", "purpose"] {
        assert!(source.contains(&field.to_string()), "{field}: {source:?}");
    }
    assert!(!source.contains(&"hyper".to_string()), "{source:?}");
    let model = completions_at(
        &mut client,
        &u,
        &text,
        "  features = all_except(Status, Marital)",
        2,
    );
    for field in ["data", "target", "features", "hyper"] {
        assert!(model.contains(&field.to_string()), "{field}: {model:?}");
    }
}

/// The server lints with the latest run's model hashes, as `mlp lint`
/// does: an approval recorded for another model is stale in both.
#[test]
fn a_stale_approval_is_reported_by_the_server_as_by_mlp_lint() {
    let dir = common::project(&root().join("examples/credit"));
    let output = common::run(&dir, &["--quiet"]);
    assert!(output.status.success(), "{}", common::text(&output));
    for entry in std::fs::read_dir(dir.join("approvals")).unwrap() {
        let path = entry.unwrap().path();
        let mut record: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        record["model_hash"] = json!("0".repeat(32));
        std::fs::write(&path, record.to_string()).unwrap();
    }
    let lint = common::command()
        .args(["lint", "--format", "json"])
        .arg(&dir)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&lint.stdout).unwrap();
    let found: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["waived"].is_null())
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert_eq!(found, ["GOV027"], "{}", common::text(&lint));
    let mut client = Client::start(env!("CARGO_BIN_EXE_mlp"), &dir, json!({}));
    let path = dir.join("main.mlp");
    let u = client.open(&path, &std::fs::read_to_string(&path).unwrap());
    let diagnostics = client.diagnostics(&u, 1);
    assert_eq!(codes(&diagnostics), ["GOV027"], "{diagnostics:?}");
    client.shutdown();
}

/// A module is checked with its open importers: a rule that the importer's
/// high risk tier turns on reports the module's source in the module, once.
#[test]
fn a_module_shows_what_its_open_importer_finds_in_it() {
    let dir = std::env::temp_dir().join(format!("mlp-lsp-importer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let main = "use \"./tables.mlp\" as tables\n\npipeline scoring {\n  owner = \"team@example.com\"\n  risk = high\n}\n\ntransform ready = tables.loans | select(income, bad)\n";
    let tables = "source loans: csv {\n  path = \"loans.csv\"\n  schema {\n    income: float\n    bad:    bool @target\n  }\n}\n";
    std::fs::write(dir.join("main.mlp"), main).unwrap();
    std::fs::write(dir.join("tables.mlp"), tables).unwrap();
    let mut client = Client::start(env!("CARGO_BIN_EXE_mlp"), &dir, json!({}));
    let alone = client.open(&dir.join("tables.mlp"), tables);
    let before = codes(&client.diagnostics(&alone, 1));
    assert!(!before.contains(&"GOV010".to_string()), "{before:?}");
    client.open(&dir.join("main.mlp"), main);
    let found = client.wait(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == json!(alone)
            && m["params"]["diagnostics"].to_string().contains("GOV010")
    });
    let found: Vec<Value> = found["params"]["diagnostics"].as_array().unwrap().clone();
    let all = codes(&found);
    let count = |code: &str| all.iter().filter(|c| *c == code).count();
    assert_eq!(
        count("GOV010"),
        2,
        "origin and purpose, once each: {found:?}"
    );
    assert_eq!(
        count("GOV009"),
        1,
        "found alone and by the importer, shown once: {found:?}"
    );
    client.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}
