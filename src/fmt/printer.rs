//! The printer walks the AST in source order and writes tokens; before each
//! token it writes the comments that precede it in the source, so comments
//! come out in order and exactly once.

use super::{flat, MAX_WIDTH};
use crate::source::Span;
use crate::syntax::ast::*;
use std::cell::Cell;

const INDENT: usize = 2;
/// Extra indentation of a line that continues an expression after a line comment.
const CONTINUATION: usize = 4;

/// What separates the elements of a multi-line sequence.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sep {
    /// A comma after every element, the last one included (lists, arguments).
    Comma,
    /// A newline only, except where the caller asks for a comma (records,
    /// schema columns, bodies).
    Newline,
}

pub(super) struct Printer<'a> {
    src: &'a str,
    comments: &'a [Comment],
    /// The first comment not yet written.
    next: usize,
    out: String,
    indent: usize,
    at_line_start: bool,
    /// The current line continues an expression after a line comment.
    continuation: bool,
    /// A block comment was just written inline; the next token wants a space.
    pending_space: bool,
    /// Source offset of the end of the last token or comment written.
    last_end: usize,
    /// Right after an opening bracket or at the start of the file: blank
    /// lines of the source are not kept here.
    no_blank: bool,
    /// Columns that must stay free after the current element (its comma).
    reserve: usize,
    /// The length of `out` when the column was last counted, and the column
    /// there: a long line is counted once, not again at every token.
    counted: Cell<(usize, usize)>,
}

impl<'a> Printer<'a> {
    pub(super) fn new(src: &'a str, comments: &'a [Comment]) -> Printer<'a> {
        Printer {
            src,
            comments,
            next: 0,
            out: String::with_capacity(src.len() + src.len() / 8),
            indent: 0,
            at_line_start: true,
            continuation: false,
            pending_space: false,
            last_end: 0,
            no_blank: true,
            reserve: 0,
            counted: Cell::new((0, 0)),
        }
    }

    pub(super) fn file(mut self, items: &[Item]) -> String {
        let mut prev: Option<&Item> = None;
        for item in items {
            self.newline();
            if prev.is_some_and(|prev| !grouped(prev, item)) {
                self.force_blank();
            }
            self.line_start_at(item.span.start as usize);
            self.item(item);
            self.finish(item.span);
            self.newline();
            prev = Some(item);
        }
        self.newline();
        self.flush_comments(usize::MAX);
        self.newline();
        let kept = self.out.trim_end_matches('\n').len();
        self.out.truncate(kept);
        if !self.out.is_empty() {
            self.out.push('\n');
        }
        self.out
    }

    // ------------------------------------------------------------ output

    fn write(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if self.at_line_start {
            let width = self.indent + if self.continuation { CONTINUATION } else { 0 };
            self.out.push_str(&" ".repeat(width));
            self.at_line_start = false;
        } else if self.pending_space
            && !s.starts_with([' ', ')', ']', ',', '?', '>'])
            && !self.out.ends_with(' ')
        {
            self.out.push(' ');
        }
        self.pending_space = false;
        self.out.push_str(s);
        self.no_blank = false;
    }

    /// Writes a token found at `start..end` in the source, after the
    /// comments that precede it.
    fn token(&mut self, start: usize, text: &str, end: usize) {
        self.flush_comments(start);
        self.write(text);
        self.last_end = self.last_end.max(end);
    }

    fn ident(&mut self, id: &Ident) {
        self.token(id.span.start as usize, &id.name, id.span.end as usize);
    }

    fn path(&mut self, path: &Path) {
        let span = self.tight(path.span);
        self.token(span.start as usize, &path.dotted(), span.end as usize);
    }

    fn string(&mut self, s: &StrLit) {
        self.token(
            s.span.start as usize,
            &flat::string(&s.value),
            s.span.end as usize,
        );
    }

    /// Ends a node: the comments inside it are written before what follows.
    fn finish(&mut self, span: Span) {
        let span = self.tight(span);
        self.flush_comments(span.end as usize);
        self.last_end = self.last_end.max(span.end as usize);
    }

    /// Ends the line, after the comments that follow its last token in the
    /// source on the same line.
    fn newline(&mut self) {
        if self.at_line_start {
            return;
        }
        while let Some(c) = self.comments.get(self.next) {
            let trailing = c.kind != CommentKind::Doc
                && self.gap(c.span.start as usize).is_some_and(|gap| {
                    gap.chars()
                        .all(|ch| ch == ',' || (ch.is_whitespace() && ch != '\n'))
                });
            if !trailing {
                break;
            }
            self.out.push(' ');
            self.out.push_str(&c.text);
            self.last_end = c.span.end as usize;
            self.next += 1;
        }
        self.break_line();
        self.continuation = false;
    }

    fn break_line(&mut self) {
        self.out.push('\n');
        self.at_line_start = true;
        self.pending_space = false;
    }

    /// The source between the last token written and `pos`.
    fn gap(&self, pos: usize) -> Option<&'a str> {
        self.src.get(self.last_end..pos)
    }

    fn force_blank(&mut self) {
        if self.at_line_start && !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    /// Keeps one blank line before `pos` if the source had one or more.
    fn keep_blank(&mut self, pos: usize) {
        let had_blank = self
            .gap(pos)
            .is_some_and(|gap| gap.matches('\n').count() >= 2);
        if had_blank && !self.no_blank {
            self.force_blank();
        }
    }

    /// At the start of a line holding something found at `pos`: its leading
    /// comments, and the blank line before it.
    fn line_start_at(&mut self, pos: usize) {
        self.flush_comments(pos);
        if self.at_line_start {
            self.keep_blank(pos);
        }
    }

    /// Writes the comments that start before `pos`: on their own lines at a
    /// line start, inline otherwise.
    fn flush_comments(&mut self, pos: usize) {
        while let Some(c) = self.comments.get(self.next) {
            if c.span.start as usize >= pos {
                break;
            }
            self.next += 1;
            if self.at_line_start {
                self.keep_blank(c.span.start as usize);
                self.write(&c.text);
                self.last_end = c.span.end as usize;
                self.break_line();
                continue;
            }
            if !self.out.ends_with([' ', '(', '[']) {
                self.out.push(' ');
            }
            self.out.push_str(&c.text);
            self.last_end = c.span.end as usize;
            if c.kind == CommentKind::Block {
                self.pending_space = true;
            } else {
                self.break_line();
                self.continuation = true;
            }
        }
    }

    fn column(&self) -> usize {
        if self.at_line_start {
            return self.indent + if self.continuation { CONTINUATION } else { 0 };
        }
        // `out` only grows while printing: only what was added since the
        // last count is read.
        let (counted_len, counted_column) = self.counted.get();
        let added = &self.out[counted_len..];
        let column = match added.rfind('\n') {
            Some(i) => added[i + 1..].chars().count(),
            None => counted_column + added.chars().count(),
        };
        self.counted.set((self.out.len(), column));
        column + usize::from(self.pending_space)
    }

    /// The columns left on the current line, after the reserved ones.
    fn room(&self) -> Option<usize> {
        MAX_WIDTH.checked_sub(self.column() + self.reserve)
    }

    fn fits(&self, width: impl FnOnce(usize) -> Option<usize>) -> bool {
        self.room().and_then(width).is_some()
    }

    /// `span` without the blanks and comments that end it: pest counts the
    /// trivia after a node in its span when the node's rule ends with an
    /// optional or repeated part (`path`, `expr`, `type_expr`, ...).
    fn tight(&self, span: Span) -> Span {
        let start = span.start as usize;
        let mut end = span.end as usize;
        loop {
            let Some(text) = self.src.get(start..end) else {
                return span;
            };
            end = start + text.trim_end_matches(is_blank).len();
            let i = self
                .comments
                .partition_point(|c| (c.span.end as usize) < end);
            match self.comments.get(i) {
                Some(c) if c.span.end as usize == end && c.span.start as usize > start => {
                    end = c.span.start as usize;
                }
                _ => return Span::new(start, end),
            }
        }
    }

    /// Comments starting strictly inside `span`.
    fn comments_in(&self, span: Span) -> &'a [Comment] {
        let span = self.tight(span);
        let from = self
            .comments
            .partition_point(|c| c.span.start <= span.start);
        let to = self.comments.partition_point(|c| c.span.start < span.end);
        self.comments.get(from..to.max(from)).unwrap_or(&[])
    }

    fn has_line_comment_in(&self, span: Span) -> bool {
        self.comments_in(span)
            .iter()
            .any(|c| c.kind != CommentKind::Block)
    }

    /// The offset of the bracket `open` that follows `from`, past blanks and
    /// comments, if it is there.
    fn find_open(&self, from: usize, open: u8) -> Option<usize> {
        let bytes = self.src.as_bytes();
        let mut pos = from;
        let mut comment = self
            .comments
            .partition_point(|c| (c.span.start as usize) < from);
        loop {
            match bytes.get(pos)? {
                b if b.is_ascii_whitespace() => pos += 1,
                b'/' => {
                    let c = self.comments.get(comment)?;
                    if c.span.start as usize != pos {
                        return None;
                    }
                    pos = c.span.end as usize;
                    comment += 1;
                }
                b if *b == open => return Some(pos),
                _ => return None,
            }
        }
    }

    fn open(&mut self, at: Option<usize>, text: &str) {
        match at {
            Some(at) => self.token(at, text, at + 1),
            None => self.write(text),
        }
    }

    /// Writes `items` one per line, indented, between brackets the caller
    /// writes; comments before `close` go above the closing bracket.
    ///
    /// `cuts_line` tells an element that must not start a line (see
    /// [`cuts_line`]); `comma_before` one that needs a comma before it.
    fn multi_line<T: Spanned>(
        &mut self,
        items: &[T],
        cuts_line: impl Fn(&T) -> bool,
        comma_before: impl Fn(&T) -> bool,
        sep: Sep,
        emit: impl Fn(&mut Self, &T),
        close: usize,
    ) {
        let saved_reserve = self.reserve;
        self.indent += INDENT;
        self.no_blank = true;
        self.reserve = usize::from(sep == Sep::Comma);
        for (i, item) in items.iter().enumerate() {
            let span = item.span();
            // An element that would be read as the start of a top-level
            // block stays on the line before it.
            if cuts_line(item) {
                self.write(" ");
            } else {
                self.newline();
                self.line_start_at(span.start as usize);
            }
            emit(self, item);
            self.finish(span);
            let next = items.get(i + 1);
            if sep == Sep::Comma || next.is_some_and(|n| cuts_line(n) || comma_before(n)) {
                self.write(",");
            }
        }
        self.reserve = saved_reserve;
        self.newline();
        self.flush_comments(close);
        self.newline();
        self.indent -= INDENT;
    }

    // ------------------------------------------------------------ items

    fn keyword(&mut self, item: &Item, word: &str) {
        let start = item.span.start as usize;
        self.token(start, word, start + word.len());
    }

    fn item(&mut self, item: &Item) {
        match &item.kind {
            ItemKind::Use(u) => {
                self.keyword(item, "use");
                self.write(" ");
                match &u.target {
                    UseTarget::Module(path) => self.path(path),
                    UseTarget::File(s) => self.string(s),
                }
                if let Some(alias) = &u.alias {
                    self.write(" as ");
                    self.ident(alias);
                }
            }
            ItemKind::Pipeline(d) => self.named_block(item, "pipeline", &d.name, &d.body, false),
            ItemKind::Param(d) => {
                self.keyword(item, "param");
                self.write(" ");
                self.ident(&d.name);
                self.write(": ");
                self.type_expr(&d.ty);
                if let Some(default) = &d.default {
                    self.write(" = ");
                    self.expr(default);
                }
            }
            ItemKind::Source(d) => {
                self.keyword(item, "source");
                self.write(" ");
                self.ident(&d.name);
                self.write(": ");
                self.ident(&d.format);
                self.write(" ");
                self.body(&d.body, false);
            }
            ItemKind::Transform(d) => self.transform(item, d),
            ItemKind::Split(d) => {
                self.keyword(item, "split");
                self.write(" ");
                self.ident(&d.name);
                self.write(" = ");
                self.path(&d.input);
                self.write(" ");
                self.body(&d.body, true);
            }
            ItemKind::Model(d) => {
                self.keyword(item, "model");
                self.write(" ");
                self.ident(&d.name);
                self.write(": ");
                self.ident(&d.algorithm);
                self.write(" ");
                self.body(&d.body, false);
            }
            ItemKind::Evaluate(d) => {
                self.keyword(item, "evaluate");
                self.write(" ");
                self.path(&d.model);
                self.write(" on ");
                self.path(&d.data);
                if let Some(body) = &d.body {
                    self.write(" ");
                    self.body(body, true);
                }
            }
            ItemKind::Policy(d) => self.named_block(item, "policy", &d.name, &d.body, false),
            ItemKind::Deploy(d) => {
                self.keyword(item, "deploy");
                self.write(" ");
                self.ident(&d.name);
                self.write(": ");
                self.ident(&d.target);
                self.write(" ");
                self.body(&d.body, false);
            }
            ItemKind::Env(d) => self.named_block(item, "env", &d.name, &d.body, true),
            ItemKind::Catalog(d) => self.named_block(item, "catalog", &d.name, &d.body, true),
            ItemKind::Error(_) => self.verbatim(item.span),
        }
    }

    /// `KEYWORD NAME { ... }`: the blocks with nothing between name and body.
    fn named_block(
        &mut self,
        item: &Item,
        keyword: &str,
        name: &Ident,
        body: &Body,
        may_inline: bool,
    ) {
        self.keyword(item, keyword);
        self.write(" ");
        self.ident(name);
        self.write(" ");
        self.body(body, may_inline);
    }

    /// A block that did not parse is written as it was, comments included.
    fn verbatim(&mut self, span: Span) {
        let text = self.src.get(span.range()).unwrap_or("");
        self.flush_comments(span.start as usize);
        self.write(text);
        while self
            .comments
            .get(self.next)
            .is_some_and(|c| c.span.start < span.end)
        {
            self.next += 1;
        }
        self.last_end = self.last_end.max(span.end as usize);
    }

    fn transform(&mut self, item: &Item, d: &TransformDecl) {
        self.keyword(item, "transform");
        self.write(" ");
        self.ident(&d.name);
        self.write(" = ");
        self.path(&d.input);
        self.no_blank = true;
        for step in &d.steps {
            self.newline();
            self.indent = INDENT;
            self.line_start_at(step.span.start as usize);
            self.write("| ");
            // Arguments broken over lines indent past the `|`.
            self.indent = 2 * INDENT;
            self.ident(&step.name);
            if let Some(args) = &step.args {
                self.call_args(args, step.name.span.end as usize, step.span);
            }
            self.finish(step.span);
            self.indent = 0;
        }
    }

    // ------------------------------------------------------------ bodies

    fn body(&mut self, body: &Body, may_inline: bool) {
        let start = body.span.start as usize;
        let end = body.span.end as usize;
        let commented = !self.comments_in(body.span).is_empty();
        if !commented {
            let inline = if body.entries.is_empty() {
                Some("{}".to_string())
            } else if may_inline {
                self.fits(|room| flat::body_width(body, room))
                    .then(|| flat::body(body))
                    .flatten()
            } else {
                None
            };
            if let Some(text) = inline {
                self.token(start, &text, end);
                return;
            }
        }
        self.token(start, "{", start + 1);
        self.multi_line(
            &body.entries,
            |e| matches!(e, Entry::Expr(e) if cuts_line(e)),
            |e| matches!(e, Entry::Expr(e) if continues_previous(e)),
            Sep::Newline,
            Self::entry,
            end.saturating_sub(1),
        );
        self.write("}");
        self.last_end = self.last_end.max(end);
    }

    fn entry(&mut self, entry: &Entry) {
        match entry {
            Entry::Field(f) => {
                self.path(&f.path);
                self.write(" = ");
                self.expr(&f.value);
            }
            Entry::Nested(n) => {
                self.ident(&n.name);
                self.write(" ");
                self.body(&n.body, true);
            }
            Entry::Schema(s) => self.schema(s),
            Entry::Rule(r) => self.rule(r),
            Entry::Expr(e) => self.expr(e),
        }
    }

    fn schema(&mut self, s: &SchemaBlock) {
        let start = s.span.start as usize;
        let end = s.span.end as usize;
        self.token(start, "schema", start + "schema".len());
        self.write(" ");
        if s.columns.is_empty() && self.comments_in(s.span).is_empty() {
            self.write("{}");
            self.last_end = self.last_end.max(end);
            return;
        }
        let open = self.find_open(start + "schema".len(), b'{');
        self.open(open, "{");
        let width = s
            .columns
            .iter()
            .map(|c| c.name.name.chars().count())
            .max()
            .unwrap_or(0);
        self.multi_line(
            &s.columns,
            |_| false,
            |_| false,
            Sep::Newline,
            |p, c| p.column_entry(c, width),
            end.saturating_sub(1),
        );
        self.write("}");
        self.last_end = self.last_end.max(end);
    }

    fn column_entry(&mut self, c: &Column, width: usize) {
        self.ident(&c.name);
        self.write(":");
        let pad = width.saturating_sub(c.name.name.chars().count()) + 1;
        self.write(&" ".repeat(pad));
        self.type_expr(&c.ty);
        for tag in &c.tags {
            self.write(" ");
            let end = tag.span.end as usize;
            self.token(
                (tag.span.start as usize).saturating_sub(1),
                &format!("@{}", tag.name),
                end,
            );
        }
    }

    fn type_expr(&mut self, t: &TypeExpr) {
        let start = t.span.start as usize;
        match &t.kind {
            TypeKind::Named(id) => self.ident(id),
            TypeKind::Enum(variants) => {
                self.token(start, "enum(", start + "enum".len());
                for (i, v) in variants.iter().enumerate() {
                    if i > 0 {
                        self.write(", ");
                    }
                    self.string(v);
                }
                self.write(")");
            }
            TypeKind::List(inner) => {
                self.token(start, "list<", start + "list".len());
                self.type_expr(inner);
                self.write(">");
            }
        }
        if t.nullable {
            let end = self.tight(t.span).end as usize;
            self.flush_comments(end.saturating_sub(1));
            self.write("?");
        }
        self.finish(t.span);
    }

    fn rule(&mut self, r: &Rule) {
        let start = r.span.start as usize;
        match &r.kind {
            RuleKind::Require(e) => {
                self.token(start, "require", start + "require".len());
                self.write(" ");
                self.expr(e);
            }
            RuleKind::Deny(e) => {
                self.token(start, "deny", start + "deny".len());
                self.write(" ");
                self.expr(e);
            }
            RuleKind::Approval { target, when } => {
                self.token(start, "require", start + "require".len());
                self.write(" approval for ");
                self.path(target);
                if let Some(when) = when {
                    self.write(" when ");
                    self.expr(when);
                }
            }
        }
        if let Some(message) = &r.message {
            self.write(" ");
            self.string(message);
        }
    }

    // ------------------------------------------------------------ expressions

    fn expr(&mut self, e: &Expr) {
        let span = self.tight(e.span);
        let leaf = matches!(
            e.kind,
            ExprKind::Number(_) | ExprKind::Str(_) | ExprKind::Bool(_) | ExprKind::Name(_)
        );
        if leaf || self.comments_in(span).is_empty() && self.fits(|room| flat::expr_width(e, room))
        {
            self.token(span.start as usize, &flat::expr(e), span.end as usize);
            return;
        }
        match &e.kind {
            ExprKind::Number(_) | ExprKind::Str(_) | ExprKind::Bool(_) | ExprKind::Name(_) => {}
            ExprKind::Member { base, name } => {
                self.expr(base);
                self.flush_comments(name.span.start as usize);
                self.write(".");
                self.ident(name);
            }
            ExprKind::Call { callee, args } => {
                self.expr(callee);
                let after = self.tight(callee.span).end as usize;
                self.call_args(args, after, span);
            }
            ExprKind::List(items) => self.list(items, e.span),
            ExprKind::Record(fields) => self.record(fields, e.span),
            ExprKind::Range { lo, hi } => {
                self.expr(lo);
                self.write("..");
                self.expr(hi);
            }
            ExprKind::Unary { op, operand } => {
                let start = e.span.start as usize;
                match op {
                    UnaryOp::Neg => self.token(start, "-", start + 1),
                    UnaryOp::Not => {
                        self.token(start, "not", start + "not".len());
                        self.write(" ");
                    }
                }
                self.expr(operand);
            }
            ExprKind::Binary { op, lhs, rhs } => {
                self.expr(lhs);
                self.write(" ");
                self.write(op.as_str());
                self.write(" ");
                self.expr(rhs);
            }
            ExprKind::Paren(inner) => {
                let start = e.span.start as usize;
                self.token(start, "(", start + 1);
                self.expr(inner);
                self.flush_comments((span.end as usize).saturating_sub(1));
                self.write(")");
            }
        }
        self.finish(e.span);
    }

    /// The argument list of a call or a transform step, which ends `span`;
    /// the `(` is looked for from `after`.
    fn call_args(&mut self, args: &[Arg], after: usize, span: Span) {
        let span = self.tight(span);
        let close = (span.end as usize).saturating_sub(1);
        let inner = Span::new(after, span.end as usize);
        let open = self.find_open(after, b'(');
        let multi =
            self.has_line_comment_in(inner) || !self.fits(|room| flat::args_width(args, room));
        self.open(open, "(");
        if multi {
            self.multi_line(
                args,
                |a| a.name.is_none() && cuts_line(&a.value),
                |_| false,
                Sep::Comma,
                Self::arg,
                close,
            );
        } else {
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    self.write(", ");
                }
                self.arg(arg);
                self.finish(arg.span);
            }
            self.flush_comments(close);
        }
        self.write(")");
        self.last_end = self.last_end.max(span.end as usize);
    }

    fn arg(&mut self, arg: &Arg) {
        if let Some(name) = &arg.name {
            self.ident(name);
            self.write(" = ");
        }
        self.expr(&arg.value);
    }

    fn list(&mut self, items: &[Expr], span: Span) {
        let start = span.start as usize;
        let close = (span.end as usize).saturating_sub(1);
        let multi =
            self.has_line_comment_in(span) || !self.fits(|room| flat::list_width(items, room));
        self.token(start, "[", start + 1);
        if multi {
            self.multi_line(items, cuts_line, |_| false, Sep::Comma, Self::expr, close);
        } else {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    self.write(", ");
                }
                self.expr(item);
            }
            self.flush_comments(close);
        }
        self.write("]");
    }

    fn record(&mut self, fields: &[RecordField], span: Span) {
        let start = span.start as usize;
        let close = (span.end as usize).saturating_sub(1);
        let multi =
            self.has_line_comment_in(span) || !self.fits(|room| flat::record_width(fields, room));
        if multi {
            self.token(start, "{", start + 1);
            self.multi_line(
                fields,
                |_| false,
                |_| false,
                Sep::Newline,
                Self::record_field,
                close,
            );
            self.write("}");
            return;
        }
        if fields.is_empty() {
            self.token(start, "{", start + 1);
        } else {
            self.token(start, "{ ", start + 1);
        }
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                self.write(", ");
            }
            self.record_field(field);
            self.finish(field.span);
        }
        self.flush_comments(close);
        if fields.is_empty() {
            self.write("}");
        } else {
            self.write(" }");
        }
    }

    fn record_field(&mut self, field: &RecordField) {
        self.ident(&field.name);
        self.write(" = ");
        self.expr(&field.value);
    }
}

/// The elements of a multi-line sequence.
trait Spanned {
    fn span(&self) -> Span;
}

impl Spanned for Entry {
    fn span(&self) -> Span {
        Entry::span(self)
    }
}

macro_rules! spanned {
    ($($t:ty),*) => {
        $(impl Spanned for $t {
            fn span(&self) -> Span {
                self.span
            }
        })*
    };
}

spanned!(Expr, Arg, RecordField, Column);

/// `use` lines and `param` lines stay together without blank lines.
fn grouped(prev: &Item, item: &Item) -> bool {
    matches!(
        (&prev.kind, &item.kind),
        (ItemKind::Use(_), ItemKind::Use(_)) | (ItemKind::Param(_), ItemKind::Param(_))
    )
}

/// An expression the lexer would take for a block start at a line start.
fn cuts_line(e: &Expr) -> bool {
    // A block keyword, a blank and the first character of a name.
    flat::starts_block_line(&flat::expr_prefix(e, "transform".len() + 2))
}

/// An entry starting with `(` or `-` would continue the expression that ends
/// the entry before it (a call, a subtraction) without a comma between them.
fn continues_previous(e: &Expr) -> bool {
    flat::expr_prefix(e, 1).starts_with(['(', '-'])
}

/// What the grammar skips between tokens, besides comments.
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{FEFF}')
}
