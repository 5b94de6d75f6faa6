//! `mlp lsp` assists through the real process: quick fixes, signature help,
//! semantic tokens, inlay hints and the completion of `use`.

mod lsp_client;

use lsp_client::*;
use serde_json::{json, Value};
use std::path::Path;

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
