//! Open documents: their text as the editor has it, incremental edits on
//! UTF-16 positions, and the conversions between LSP positions and the byte
//! offsets of our spans.

use crate::source::Span;
use lsp_types::{Position, Range, TextDocumentContentChangeEvent, Uri};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A document the editor opened: the text overrides the disk.
#[derive(Clone, Debug)]
pub struct Document {
    pub uri: Uri,
    pub path: PathBuf,
    pub version: i32,
    pub text: String,
}

impl Document {
    /// Applies one change: a range edit, or the whole text when it has no range.
    pub fn apply(&mut self, change: &TextDocumentContentChangeEvent) {
        match change.range {
            None => self.text.clone_from(&change.text),
            Some(range) => {
                let index = LineIndex::new(&self.text);
                let start = index.offset(&self.text, range.start);
                let end = index.offset(&self.text, range.end).max(start);
                self.text.replace_range(start..end, &change.text);
            }
        }
    }
}

/// Where each line starts, to turn byte offsets into LSP positions (lines and
/// UTF-16 code units) and back.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { starts }
    }

    /// The byte offset of `position` in `text`, clamped to its line and to
    /// the text; a position inside a character moves to its start.
    pub fn offset(&self, text: &str, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return text.len();
        };
        let line = &text[start.min(text.len())..];
        let line = &line[..line.find('\n').unwrap_or(line.len())];
        let mut units = 0u32;
        for (i, c) in line.char_indices() {
            if units >= position.character {
                return start + i;
            }
            units += c.len_utf16() as u32;
            if units > position.character {
                return start + i;
            }
        }
        start + line.len()
    }

    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line];
        let character = text[start..offset].encode_utf16().count() as u32;
        Position {
            line: line as u32,
            character,
        }
    }

    pub fn range(&self, text: &str, span: Span) -> Range {
        Range {
            start: self.position(text, span.start as usize),
            end: self.position(text, span.end as usize),
        }
    }
}

/// The local path of a `file:` URI, percent-decoded.
pub fn path_of(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    // `file:///p` has an empty host; `file://host/p` names one.
    let path = &rest[rest.find('/')?..];
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(PathBuf::from(String::from_utf8(out).ok()?))
}

/// The `file:` URI of an absolute path.
pub fn uri_of(path: &Path) -> Option<Uri> {
    let mut text = String::from("file://");
    for byte in path.to_str()?.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            text.push(byte as char);
        } else {
            text.push_str(&format!("%{byte:02X}"));
        }
    }
    Uri::from_str(&text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn utf16_positions_round_trip() {
        let text = "a€𝄞b\nxyz";
        let index = LineIndex::new(text);
        // `€` is one UTF-16 unit (3 bytes), `𝄞` two units (4 bytes).
        assert_eq!(index.offset(text, pos(0, 1)), 1);
        assert_eq!(index.offset(text, pos(0, 2)), 4);
        assert_eq!(index.offset(text, pos(0, 4)), 8);
        assert_eq!(index.offset(text, pos(0, 3)), 4, "inside a surrogate pair");
        assert_eq!(index.offset(text, pos(0, 99)), 9);
        assert_eq!(index.offset(text, pos(1, 1)), 11);
        assert_eq!(index.offset(text, pos(7, 0)), text.len());
        assert_eq!(index.position(text, 8), pos(0, 4));
        assert_eq!(index.position(text, 11), pos(1, 1));
    }

    #[test]
    fn incremental_edits_apply_on_utf16_ranges() {
        let mut doc = Document {
            uri: Uri::from_str("file:///x.mlp").unwrap(),
            path: PathBuf::from("/x.mlp"),
            version: 0,
            text: "é𝄞=1\nb".into(),
        };
        doc.apply(&TextDocumentContentChangeEvent {
            range: Some(Range {
                start: pos(0, 3),
                end: pos(0, 4),
            }),
            range_length: None,
            text: " = ".into(),
        });
        assert_eq!(doc.text, "é𝄞 = 1\nb");
    }

    #[test]
    fn file_uris_round_trip() {
        let path = Path::new("/tmp/a b/ü.mlp");
        let uri = uri_of(path).unwrap();
        assert_eq!(uri.as_str(), "file:///tmp/a%20b/%C3%BC.mlp");
        assert_eq!(path_of(&uri).unwrap(), path);
        assert!(path_of(&Uri::from_str("untitled:x").unwrap()).is_none());
    }
}
