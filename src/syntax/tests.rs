//! Parser tests that need the text and spans at hand: operator precedence
//! after the expression grammar was flattened, and exact spans.

use super::ast::*;
use super::parse;
use crate::source::FileId;

fn parsed(text: &str) -> (File, Vec<String>) {
    let parsed = parse(text, FileId(0));
    let messages = parsed
        .diagnostics
        .iter()
        .map(|d| d.message.clone())
        .collect();
    (parsed.file, messages)
}

/// The default of `param x: int = <text>`.
fn expr(text: &str) -> Expr {
    let (file, messages) = parsed(&format!("param x: int = {text}\n"));
    assert!(messages.is_empty(), "{text}: {messages:?}");
    match file.items.into_iter().next().map(|i| i.kind) {
        Some(ItemKind::Param(ParamDecl {
            default: Some(e), ..
        })) => e,
        other => panic!("{text}: not a param with a default: {other:?}"),
    }
}

fn shape(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number(n) => n.text.clone(),
        ExprKind::Name(id) => id.name.clone(),
        ExprKind::Member { base, name } => format!("{}.{}", shape(base), name.name),
        ExprKind::Call { callee, args } => {
            let args: Vec<String> = args.iter().map(|a| shape(&a.value)).collect();
            format!("{}({})", shape(callee), args.join(", "))
        }
        ExprKind::List(items) => {
            let items: Vec<String> = items.iter().map(shape).collect();
            format!("[{}]", items.join(", "))
        }
        ExprKind::Range { lo, hi } => format!("({}..{})", shape(lo), shape(hi)),
        ExprKind::Unary { op, operand } => match op {
            UnaryOp::Neg => format!("(-{})", shape(operand)),
            UnaryOp::Not => format!("(not {})", shape(operand)),
        },
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({} {} {})", shape(lhs), op.as_str(), shape(rhs))
        }
        ExprKind::Paren(inner) => format!("<{}>", shape(inner)),
        other => format!("{other:?}"),
    }
}

/// Every node's span covers its operands exactly.
fn check_spans(text: &str, e: &Expr) {
    let covered = &text[e.span.range()];
    assert_eq!(covered, covered.trim(), "span with blanks: {covered:?}");
    match &e.kind {
        ExprKind::Binary { lhs, rhs, .. } | ExprKind::Range { lo: lhs, hi: rhs } => {
            assert_eq!((e.span.start, e.span.end), (lhs.span.start, rhs.span.end));
            check_spans(text, lhs);
            check_spans(text, rhs);
        }
        ExprKind::Unary { operand, .. } => {
            assert_eq!(e.span.end, operand.span.end);
            check_spans(text, operand);
        }
        ExprKind::Member { base, .. } | ExprKind::Call { callee: base, .. } => {
            assert_eq!(e.span.start, base.span.start);
            check_spans(text, base);
        }
        _ => {}
    }
}

#[test]
fn precedence_and_associativity_are_kept() {
    let cases = [
        ("a or b and c", "(a or (b and c))"),
        ("a and b or c", "((a and b) or c)"),
        ("not a and b", "((not a) and b)"),
        ("not a < b", "(not (a < b))"),
        ("not not a or b", "((not (not a)) or b)"),
        ("a and not b == c", "(a and (not (b == c)))"),
        ("a in 1..2 + 3", "(a in (1..(2 + 3)))"),
        ("a..b < c..d", "((a..b) < (c..d))"),
        ("a - b - c", "((a - b) - c)"),
        ("a + b * c % d", "(a + ((b * c) % d))"),
        ("-a * b", "((-a) * b)"),
        ("- -a.b(c).d", "(-(-a.b(c).d))"),
        ("a - -b", "(a - (-b))"),
        ("a not in [1, 2] or b", "((a not in [1, 2]) or b)"),
        ("(a or b) and c", "(<(a or b)> and c)"),
        ("f(a < b, -c)(d).e", "f((a < b), (-c))(d).e"),
    ];
    for (text, expected) in cases {
        let e = expr(text);
        assert_eq!(shape(&e), expected, "{text}");
        let full = format!("param x: int = {text}\n");
        check_spans(&full, &e);
        assert_eq!(&full[e.span.range()], text);
    }
}

#[test]
fn not_in_may_hold_comments() {
    let e = expr("a not /* c */ in [1]");
    assert_eq!(shape(&e), "(a not in [1])");
    let e = expr("a not\n  // why\n  in [1]");
    assert_eq!(shape(&e), "(a not in [1])");
}

#[test]
fn comparisons_and_ranges_do_not_chain() {
    for (text, message) in [
        ("a < b < c", "comparisons cannot be chained: unexpected `<`"),
        (
            "a == b in c",
            "comparisons cannot be chained: unexpected `in`",
        ),
        (
            "a not in b not in c",
            "comparisons cannot be chained: unexpected `not in`",
        ),
        ("1..2..3", "ranges cannot be chained: unexpected `..`"),
        (
            "a in b not /* c */ in c",
            "comparisons cannot be chained: unexpected `not in`",
        ),
    ] {
        let source = format!("policy p {{ require {text} }}\n");
        let (file, messages) = parsed(&source);
        assert_eq!(messages, vec![message.to_string()], "{text}");
        assert!(matches!(file.items[0].kind, ItemKind::Error(_)), "{text}");
    }
    // Parentheses make a chain explicit.
    assert_eq!(shape(&expr("(a < b) == c")), "(<(a < b)> == c)");
    assert_eq!(shape(&expr("(1..2)..3")), "(<(1..2)>..3)");
}

#[test]
fn not_only_starts_an_operand_of_and_or() {
    for text in ["a == not b", "a + not b", "- not a"] {
        let (_, messages) = parsed(&format!("param x: int = {text}\n"));
        assert_eq!(messages, vec!["expected a value, found `not`"], "{text}");
    }
}

#[test]
fn spans_end_at_the_last_token_before_comments() {
    let text = "use std.policies.baseline   // c\n\
                param seed: int = 42 /* c */\n\
                transform t = a\n  | drop(x)   // c\n  | dedupe // c\n\
                source s: csv {\n  schema {\n    a: int @id   // c\n    b: float   /* c */\n  }\n  \
                x = a.b   // c\n  require a in b // c\n}\n\
                evaluate m on d.test   // c\n\
                use std.policies.strict  /* c */";
    let (file, messages) = parsed(text);
    assert!(messages.is_empty(), "{messages:?}");
    let item_texts: Vec<&str> = file.items.iter().map(|i| &text[i.span.range()]).collect();
    assert_eq!(item_texts[0], "use std.policies.baseline");
    assert_eq!(item_texts[1], "param seed: int = 42");
    assert_eq!(
        item_texts[2],
        "transform t = a\n  | drop(x)   // c\n  | dedupe"
    );
    assert!(item_texts[3].ends_with('}'));
    assert_eq!(item_texts[4], "evaluate m on d.test");
    assert_eq!(item_texts[5], "use std.policies.strict");
    let ItemKind::Use(UseDecl {
        target: UseTarget::Module(path),
        ..
    }) = &file.items[0].kind
    else {
        panic!("not a use: {:?}", file.items[0].kind);
    };
    assert_eq!(&text[path.span.range()], "std.policies.baseline");
    let ItemKind::Transform(transform) = &file.items[2].kind else {
        panic!("not a transform");
    };
    let steps: Vec<&str> = transform
        .steps
        .iter()
        .map(|s| &text[s.span.range()])
        .collect();
    assert_eq!(steps, ["drop(x)", "dedupe"]);
    let ItemKind::Source(source) = &file.items[3].kind else {
        panic!("not a source");
    };
    let entries: Vec<&str> = source
        .body
        .entries
        .iter()
        .map(|e| &text[e.span().range()])
        .collect();
    assert_eq!(entries[1..], ["x = a.b", "require a in b"]);
    let columns: Vec<(&str, &str)> = source
        .body
        .schema()
        .map(|s| s.columns.iter())
        .into_iter()
        .flatten()
        .map(|c| (&text[c.span.range()], &text[c.ty.span.range()]))
        .collect();
    assert_eq!(columns, [("a: int @id", "int"), ("b: float", "float")]);
}

#[test]
fn field_paths_and_types_have_no_trailing_blanks() {
    let text = "deploy api: kubernetes {\n  replica = 2\n}\n\
                source s: csv { schema { age: integer } }\n";
    let (file, _) = parsed(text);
    let ItemKind::Deploy(deploy) = &file.items[0].kind else {
        panic!("not a deploy");
    };
    let field = deploy
        .body
        .fields()
        .next()
        .map(|f| &text[f.path.span.range()]);
    assert_eq!(field, Some("replica"));
    let ItemKind::Source(source) = &file.items[1].kind else {
        panic!("not a source");
    };
    let ty = source
        .body
        .schema()
        .map(|s| &text[s.columns[0].ty.span.range()]);
    assert_eq!(ty, Some("integer"));
}
