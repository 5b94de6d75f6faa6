//! The documents as a small tree of sections, paragraphs, lists and tables,
//! rendered by tera with the templates of `templates/` (embedded in the
//! binary): `document.md` and `document.html`, their inline text in
//! `inline.md` and `inline.html`.
//!
//! Every piece of text that the pipeline or the run supplies is a [`Span`]
//! of a [`Text`], and reaches the output through one escape per format:
//! tera's autoescaping in the `.html` templates, the `md` and `md_code`
//! filters (below) in the `.md` ones. A user string cannot add HTML to a
//! page, nor a heading, a list item, a row or a column to a Markdown file.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use std::sync::OnceLock;
use tera::{Context, Kwargs, State, Tera, TeraResult};

/// One piece of inline text.
#[derive(Clone, Debug, PartialEq)]
pub enum Span {
    Plain(String),
    /// An identifier or an expression as written: `scorer.accuracy >= 0.75`.
    Code(String),
    Strong(String),
}

/// A run of inline text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Text(pub Vec<Span>);

impl Text {
    pub fn plain(text: impl Into<String>) -> Text {
        Text(vec![Span::Plain(text.into())])
    }

    pub fn code(text: impl Into<String>) -> Text {
        Text(vec![Span::Code(text.into())])
    }

    pub fn strong(text: impl Into<String>) -> Text {
        Text(vec![Span::Strong(text.into())])
    }

    /// A message of mlp's or a `///` comment, whose `quoted` parts become
    /// code; with an odd number of backticks, plain text.
    pub fn marked(message: &str) -> Text {
        let pieces: Vec<&str> = message.split('`').collect();
        if pieces.len() % 2 == 0 {
            return Text::plain(message);
        }
        let mut text = Text::default();
        for (i, piece) in pieces.into_iter().enumerate() {
            if piece.is_empty() {
                continue;
            }
            text.0.push(if i % 2 == 1 {
                Span::Code(piece.to_string())
            } else {
                Span::Plain(piece.to_string())
            });
        }
        text
    }

    /// This text, then `text`.
    pub fn and(mut self, text: impl Into<String>) -> Text {
        let text = text.into();
        match self.0.last_mut() {
            Some(Span::Plain(last)) => last.push_str(&text),
            _ => self.0.push(Span::Plain(text)),
        }
        self
    }

    /// This text, then `code` as code.
    pub fn and_code(mut self, code: impl Into<String>) -> Text {
        self.0.push(Span::Code(code.into()));
        self
    }

    pub fn and_text(mut self, other: Text) -> Text {
        for span in other.0 {
            self = match span {
                Span::Plain(text) => self.and(text),
                other => {
                    self.0.push(other);
                    self
                }
            };
        }
        self
    }

    /// `items` as code, separated by commas; `none` when there are none.
    pub fn codes<S: AsRef<str>>(items: &[S], none: &str) -> Text {
        if items.is_empty() {
            return Text::plain(none);
        }
        let mut text = Text::default();
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                text = text.and(", ");
            }
            text = text.and_code(item.as_ref());
        }
        text
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Text {
        Text::plain(text)
    }
}

impl From<String> for Text {
    fn from(text: String) -> Text {
        Text::plain(text)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// A sub-heading inside a section.
    Heading(String),
    /// A heading under a sub-heading.
    Minor(String),
    Para(Text),
    /// `name: value` lines.
    Fields(Vec<(String, Text)>),
    /// A header row, then rows of as many cells.
    Table(Vec<String>, Vec<Vec<Text>>),
    List(Vec<Text>),
    /// What a person must write: rendered as `TO COMPLETE: ...`.
    ToComplete(String),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Section {
    pub title: String,
    pub body: Vec<Node>,
}

impl Section {
    pub fn new(title: impl Into<String>) -> Section {
        Section {
            title: title.into(),
            body: Vec::new(),
        }
    }

    pub fn push(&mut self, node: Node) {
        self.body.push(node);
    }

    pub fn para(&mut self, text: impl Into<Text>) {
        self.push(Node::Para(text.into()));
    }

    pub fn heading(&mut self, title: impl Into<String>) {
        self.push(Node::Heading(title.into()));
    }

    pub fn to_complete(&mut self, what: impl Into<String>) {
        self.push(Node::ToComplete(what.into()));
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Doc {
    pub title: String,
    /// Paragraphs under the title.
    pub lead: Vec<Text>,
    pub sections: Vec<Section>,
}

const TO_COMPLETE: &str = "TO COMPLETE:";

// ------------------------------------------------------- what templates read

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (kind, text) = match self {
            Span::Plain(t) => ("plain", t),
            Span::Code(t) => ("code", t),
            Span::Strong(t) => ("strong", t),
        };
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("kind", kind)?;
        map.serialize_entry("text", text)?;
        map.end()
    }
}

/// The spans, without empty ones: a template can trust that the first span
/// starts the text.
impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let spans: Vec<&Span> = self
            .0
            .iter()
            .filter(|span| match span {
                Span::Plain(t) => !t.is_empty(),
                Span::Code(t) | Span::Strong(t) => !t.trim().is_empty(),
            })
            .collect();
        let mut seq = s.serialize_seq(Some(spans.len()))?;
        for span in spans {
            seq.serialize_element(span)?;
        }
        seq.end()
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct Field<'a> {
            name: &'a str,
            value: &'a Text,
        }
        let mut map = s.serialize_map(Some(3))?;
        match self {
            Node::Heading(title) => {
                map.serialize_entry("kind", "heading")?;
                map.serialize_entry("title", title)?;
            }
            Node::Minor(title) => {
                map.serialize_entry("kind", "minor")?;
                map.serialize_entry("title", title)?;
            }
            Node::Para(text) => {
                map.serialize_entry("kind", "para")?;
                map.serialize_entry("text", text)?;
            }
            Node::Fields(fields) => {
                map.serialize_entry("kind", "fields")?;
                let fields: Vec<Field> = fields
                    .iter()
                    .map(|(name, value)| Field { name, value })
                    .collect();
                map.serialize_entry("fields", &fields)?;
            }
            Node::Table(head, rows) => {
                map.serialize_entry("kind", "table")?;
                map.serialize_entry("head", head)?;
                // Every row as wide as the header: a missing cell is empty.
                let rows: Vec<Vec<&Text>> = rows
                    .iter()
                    .map(|row| {
                        (0..head.len())
                            .map(|i| row.get(i).unwrap_or(&EMPTY))
                            .collect()
                    })
                    .collect();
                map.serialize_entry("rows", &rows)?;
            }
            Node::List(items) => {
                map.serialize_entry("kind", "list")?;
                map.serialize_entry("items", items)?;
            }
            Node::ToComplete(what) => {
                map.serialize_entry("kind", "to_complete")?;
                map.serialize_entry("what", what)?;
            }
        }
        map.end()
    }
}

static EMPTY: Text = Text(Vec::new());

impl Serialize for Section {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("title", &self.title)?;
        map.serialize_entry("body", &self.body)?;
        map.end()
    }
}

impl Serialize for Doc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("title", &self.title)?;
        map.serialize_entry("lead", &self.lead)?;
        map.serialize_entry("sections", &self.sections)?;
        map.end()
    }
}

// ------------------------------------------------------------------ tera

const TEMPLATES: &[(&str, &str)] = &[
    ("inline.md", include_str!("templates/inline.md")),
    ("document.md", include_str!("templates/document.md")),
    ("inline.html", include_str!("templates/inline.html")),
    ("document.html", include_str!("templates/document.html")),
    ("style.css", include_str!("templates/style.css")),
];

/// The templates, parsed once per process. They are part of the binary, so
/// one that does not parse is a bug of mlp, which the unit tests below
/// catch before any release.
fn engine() -> &'static Tera {
    static ENGINE: OnceLock<Tera> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut tera = Tera::new();
        // The default: `.html` templates are autoescaped, `.md` ones are not
        // (their values go through `md` and `md_code`).
        tera.autoescape_on(vec![".html"]);
        tera.register_filter(
            "md",
            |text: &str, kwargs: Kwargs, _: &State| -> TeraResult<String> {
                let start = kwargs.get::<bool>("start")?.unwrap_or(false);
                Ok(md_text(text, start))
            },
        );
        tera.register_filter(
            "md_code",
            |text: &str, kwargs: Kwargs, _: &State| -> TeraResult<String> {
                let cell = kwargs.get::<bool>("cell")?.unwrap_or(false);
                Ok(md_code(text, cell))
            },
        );
        tera.add_raw_templates(TEMPLATES.iter().copied())
            .unwrap_or_else(|e| panic!("the templates of mlp doc do not parse: {e:?}"));
        tera
    })
}

fn render(template: &str, doc: &Doc) -> String {
    let mut context = Context::new();
    context.insert("doc", doc);
    context.insert("to_complete", TO_COMPLETE);
    engine()
        .render(template, &context)
        .unwrap_or_else(|e| panic!("mlp doc cannot render {template}: {e:?}"))
}

/// The document as CommonMark with GitHub tables.
pub fn markdown(doc: &Doc) -> String {
    // The template leaves blank lines where it is simplest; a user string
    // never holds a newline (`md` makes them spaces), so runs of blank
    // lines are the template's, and one is kept.
    let text = render("document.md", doc);
    let mut out = String::with_capacity(text.len());
    let mut blank = false;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push('\n');
            blank = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The document as one self-contained HTML page.
pub fn html(doc: &Doc) -> String {
    render("document.html", doc)
}

// ------------------------------------------------------- Markdown escapes

/// Newlines, tabs and other control characters as spaces: a string stays
/// on its line.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Text with every character Markdown could read as syntax escaped. At the
/// `start` of a paragraph or a list item, leading spaces (an indented code
/// block) are dropped, and a start like a block's (`- x`, `+ x`, `= x`,
/// `1. x`: a list item, a heading underline) is escaped too.
fn md_text(s: &str, start: bool) -> String {
    let line = one_line(s);
    let line = if start { line.trim_start() } else { &line };
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '&'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    if start {
        let bytes = out.as_bytes();
        let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        if matches!(bytes.first(), Some(b'-' | b'+' | b'=')) {
            out.insert(0, '\\');
        } else if digits > 0 && matches!(bytes.get(digits), Some(b'.' | b')')) {
            out.insert(digits, '\\');
        }
    }
    out
}

/// A code span: fenced by more backticks than the text holds in a row, so
/// no backtick in it can close it; in a table `cell`, `|` escaped (GitHub
/// reads `\|` inside a code span of a cell as `|`).
fn md_code(s: &str, cell: bool) -> String {
    let text = one_line(s);
    if text.trim().is_empty() {
        return String::new();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    let body = if cell { text.replace('|', "\\|") } else { text };
    format!("{fence}{pad}{body}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: Text) -> Doc {
        let mut section = Section::new("S");
        section.para(text.clone());
        section.push(Node::Table(
            vec!["a".into(), "b".into()],
            vec![vec![text.clone(), text.clone()]],
        ));
        section.push(Node::Fields(vec![("f".into(), text.clone())]));
        section.push(Node::List(vec![text]));
        section.to_complete("write it");
        Doc {
            title: "T".into(),
            lead: vec![Text::plain("lead")],
            sections: vec![section],
        }
    }

    /// The `|` of a table row that separate cells.
    fn bars(row: &str) -> usize {
        row.char_indices()
            .filter(|&(i, c)| c == '|' && !row[..i].ends_with('\\'))
            .count()
    }

    #[test]
    fn markdown_has_the_shape_of_the_tree() {
        let md = markdown(&doc(Text::plain("x ").and_code("y")));
        assert_eq!(
            md,
            "# T\n\nlead\n\n## S\n\nx `y`\n\n| a | b |\n| --- | --- |\n| x `y` | x `y` |\n\n- **f:** x `y`\n\n- x `y`\n\n> **TO COMPLETE:** write it\n"
        );
    }

    #[test]
    fn markdown_keeps_user_text_in_its_cell_and_line() {
        let hostile = "# x | y\n- z <script>alert(1)</script> `tick` **b**";
        let md = markdown(&doc(Text::plain(hostile).and_code("a | `b` c")));
        let table: Vec<&str> = md.lines().filter(|l| l.starts_with("| ")).collect();
        assert_eq!(table.len(), 3, "{md}");
        for row in &table {
            assert_eq!(bars(row), 3, "{row}");
        }
        assert!(!md.contains("<script>"), "{md}");
        assert!(
            !md.lines()
                .any(|l| l.starts_with("- z") || l.starts_with("# x")),
            "{md}"
        );
        assert!(md.contains("``a \\| `b` c``"), "{md}");
        assert!(md.contains("``a | `b` c``"), "{md}");
    }

    #[test]
    fn leading_list_and_number_markers_are_escaped() {
        assert_eq!(md_text("- a", true), "\\- a");
        assert_eq!(md_text("12. a", true), "12\\. a");
        assert_eq!(md_text("   + a", true), "\\+ a");
        assert_eq!(md_text("- a", false), "- a");
        let md = markdown(&doc(Text::plain("1. one")));
        assert!(
            md.contains("\n1\\. one\n") && md.contains("\n- 1\\. one\n"),
            "{md}"
        );
    }

    #[test]
    fn html_escapes_every_user_string() {
        let page = html(&doc(Text::plain("<script>\"'&").and_code("<b>")));
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&lt;script&gt;&quot;&#39;&amp;"), "{page}");
        assert!(page.contains("<code>&lt;b&gt;</code>"), "{page}");
        assert!(page.contains("<td>&lt;script&gt;"), "{page}");
        assert!(
            page.contains("<style>") && page.contains("p.todo"),
            "{page}"
        );
    }

    #[test]
    fn a_title_cannot_close_the_title_element() {
        let mut d = doc(Text::plain("x"));
        d.title = "</title><script>".into();
        let page = html(&d);
        assert!(
            page.contains("<title>&lt;/title&gt;&lt;script&gt;</title>"),
            "{page}"
        );
    }
}
