//! `mlp lsp` navigation through the real process: go to definition (blocks,
//! params, columns through the checked schemas), find references and rename.

mod lsp_client;

use lsp_client::*;
use serde_json::{json, Value};

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
    // A column's references are its own, not a block's: `Status` from the
    // model's target reaches its declaration in the source's schema.
    let status: Vec<u64> = references_at(&mut client, &credit, ("target = Status", 9), true)
        .iter()
        .map(|p| p.1)
        .collect();
    assert!(status.contains(&line_of("    Status:")), "{status:?}");
    assert!(status.contains(&line_of("target = Status")), "{status:?}");
    assert!(!status.contains(&line_of("model scorer")), "{status:?}");
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

#[test]
fn references_of_a_column_are_every_read_of_the_column_it_names() {
    let mut client = start();
    let (main, tables) = open_project(&mut client);
    // `income_k`, made by a derive in the module, read twice in main.mlp.
    let expected = places_of(&[
        (&tables, "income_k = income", 0),
        (&main, "income_k > threshold", 0),
        (&main, "income_k, home_own", 0),
    ]);
    assert_eq!(
        references_at(&mut client, &main, ("income_k > threshold", 2), true),
        expected
    );
    assert_eq!(
        references_at(&mut client, &main, ("income_k, home_own", 1), false),
        places_of(&[
            (&main, "income_k > threshold", 0),
            (&main, "income_k, home_own", 0),
        ])
    );
    // `income` in the source's schema: the derive reads it.
    let income = references_at(&mut client, &tables, ("    income: float", 4), true);
    assert_eq!(
        income,
        places_of(&[(&tables, "income: float", 0), (&tables, "income / 1000", 0)])
    );
}
