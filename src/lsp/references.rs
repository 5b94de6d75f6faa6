//! Go to definition, find references and rename, from the occurrence index
//! of each analysis (`index.rs`). A block is known across open documents
//! by the file that declares it and its name, so that the references in a
//! module's importers are found while the module is open, and theirs in it.

use super::analysis::Analysis;
use super::documents::{uri_of, LineIndex};
use super::index::{self, Occurrence, Target};
use crate::driver::Compilation;
use crate::resolve::BlockId;
use crate::source::{FileId, Span};
use lsp_types as lsp;
use std::collections::HashMap;
use std::path::PathBuf;

/// A block as every compilation that sees it names it: the path of the file
/// declaring it and its name there.
type Key = (PathBuf, String);

fn key(c: &Compilation, block: BlockId) -> Option<Key> {
    let module = c.resolved.module(block.module);
    let name = c.resolved.item(block).name()?.name.clone();
    Some((c.sources.get(module.file).path.clone(), name))
}

/// The location of `span` in `file`; none in the embedded standard library,
/// which no editor can open.
fn location(c: &Compilation, file: FileId, span: Span) -> Option<lsp::Location> {
    if index::is_std(c, file) {
        return None;
    }
    let source = c.sources.get(file);
    let range = LineIndex::new(&source.text).range(&source.text, span);
    Some(lsp::Location {
        uri: uri_of(&source.path)?,
        range,
    })
}

/// The occurrence under `position` in the analysed document.
fn under(analysis: &Analysis, position: lsp::Position) -> Option<&Occurrence> {
    let offset = analysis.index.offset(&analysis.text, position);
    let file = analysis.compilation.as_ref()?.resolved.module(0).file;
    index::at(&analysis.words.names, file, offset)
}

/// A block's name: its declaration. A column: its declaration in its
/// source's schema, or the step that made it. Nothing for what the
/// standard library declares.
pub fn definition(analysis: &Analysis, position: lsp::Position) -> Option<lsp::Location> {
    let c = analysis.compilation.as_ref()?;
    match &under(analysis, position)?.target {
        Target::Block(block) => {
            let span = c.resolved.item(*block).name()?.span;
            location(c, c.resolved.module(block.module).file, span)
        }
        Target::Column { name, site } => {
            let (file, span) = index::column_origin(c, *site, name)?;
            location(c, file, span)
        }
    }
}

/// The block under `position` and its key.
fn block_under(
    analysis: &Analysis,
    position: lsp::Position,
) -> Option<(&Occurrence, BlockId, Key)> {
    let c = analysis.compilation.as_ref()?;
    let occurrence = under(analysis, position)?;
    let Target::Block(block) = occurrence.target else {
        return None;
    };
    Some((occurrence, block, key(c, block)?))
}

/// Every occurrence of the block `key` in the open analyses, each place once.
fn occurrences_of(analyses: &[&Analysis], key: &Key, declaration: bool) -> Vec<lsp::Location> {
    let mut out: Vec<lsp::Location> = Vec::new();
    for analysis in analyses {
        let Some(c) = analysis.compilation.as_ref() else {
            continue;
        };
        let mut keys: HashMap<BlockId, Option<Key>> = HashMap::new();
        for o in &analysis.words.names {
            let Target::Block(block) = o.target else {
                continue;
            };
            if o.declaration && !declaration {
                continue;
            }
            if keys
                .entry(block)
                .or_insert_with(|| self::key(c, block))
                .as_ref()
                != Some(key)
            {
                continue;
            }
            if let Some(l) = location(c, o.file, o.span) {
                if !out.contains(&l) {
                    out.push(l);
                }
            }
        }
    }
    out
}

/// References of the block or column under the cursor, in this document
/// and in the modules and importers open beside it. A column's are the
/// places that read the column its name there refers to (the one go to
/// definition finds).
pub fn references(
    analysis: &Analysis,
    others: &[&Analysis],
    position: lsp::Position,
    declaration: bool,
) -> Vec<lsp::Location> {
    let mut all = vec![analysis];
    all.extend(others.iter().copied());
    if let Some(origin) = column_under(analysis, position) {
        return column_occurrences(&all, &origin, declaration);
    }
    let Some((_, _, key)) = block_under(analysis, position) else {
        return Vec::new();
    };
    occurrences_of(&all, &key, declaration)
}

/// Where the column under `position` was declared or made.
fn column_under(analysis: &Analysis, position: lsp::Position) -> Option<lsp::Location> {
    let c = analysis.compilation.as_ref()?;
    let Target::Column { name, site } = &under(analysis, position)?.target else {
        return None;
    };
    let (file, span) = index::column_origin(c, *site, name)?;
    location(c, file, span)
}

/// Every read of the column declared or made at `origin`, in the open
/// analyses, each place once; `origin` itself when `declaration`.
fn column_occurrences(
    analyses: &[&Analysis],
    origin: &lsp::Location,
    declaration: bool,
) -> Vec<lsp::Location> {
    let mut out: Vec<lsp::Location> = Vec::new();
    if declaration {
        out.push(origin.clone());
    }
    for analysis in analyses {
        let Some(c) = analysis.compilation.as_ref() else {
            continue;
        };
        let mut origins: HashMap<(index::Site, &str), Option<lsp::Location>> = HashMap::new();
        for o in &analysis.words.names {
            let Target::Column { name, site } = &o.target else {
                continue;
            };
            let found = origins.entry((*site, name.as_str())).or_insert_with(|| {
                let (file, span) = index::column_origin(c, *site, name)?;
                location(c, file, span)
            });
            if found.as_ref() != Some(origin) {
                continue;
            }
            if let Some(l) = location(c, o.file, o.span) {
                if !out.contains(&l) && (declaration || l != *origin) {
                    out.push(l);
                }
            }
        }
    }
    out
}

/// The name a rename would replace, when the cursor is on a block a
/// document of the project declares.
pub fn prepare_rename(analysis: &Analysis, position: lsp::Position) -> Option<lsp::Range> {
    let (occurrence, block, _) = block_under(analysis, position)?;
    let c = analysis.compilation.as_ref()?;
    if index::is_std(c, c.resolved.module(block.module).file) {
        return None;
    }
    Some(analysis.index.range(&analysis.text, occurrence.span))
}

/// The words the grammar keeps for itself, which cannot name a block.
const RESERVED: [&str; 6] = ["and", "or", "not", "in", "true", "false"];

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED.contains(&name)
        && crate::syntax::ast::BlockKeyword::from_word(name).is_none()
}

/// Renames the block under the cursor everywhere it is named, or says why not.
// `WorkspaceEdit::changes` is keyed by `Uri`, whose cached parts clippy
// takes for mutability; the keys are never changed once inserted.
#[allow(clippy::mutable_key_type)]
pub fn rename(
    analysis: &Analysis,
    others: &[&Analysis],
    position: lsp::Position,
    new_name: &str,
) -> Result<lsp::WorkspaceEdit, String> {
    let (_, block, key) =
        block_under(analysis, position).ok_or("there is no block to rename here")?;
    let c = analysis
        .compilation
        .as_ref()
        .ok_or("the document was not analysed")?;
    let module = c.resolved.module(block.module);
    if index::is_std(c, module.file) {
        return Err(format!("`{}` is declared in the standard library", key.1));
    }
    if !is_identifier(new_name) {
        return Err(format!(
            "`{new_name}` is not a valid name: a letter or `_`, then letters, digits or `_` (not a keyword)"
        ));
    }
    if new_name != key.1
        && (module.blocks.contains_key(new_name) || module.imports.contains_key(new_name))
    {
        return Err(format!(
            "`{new_name}` already names a block or a module of `{}`",
            module.name
        ));
    }
    let mut all = vec![analysis];
    all.extend(others.iter().copied());
    let mut changes: HashMap<lsp::Uri, Vec<lsp::TextEdit>> = HashMap::new();
    for l in occurrences_of(&all, &key, true) {
        changes.entry(l.uri).or_default().push(lsp::TextEdit {
            range: l.range,
            new_text: new_name.to_string(),
        });
    }
    Ok(lsp::WorkspaceEdit {
        changes: Some(changes),
        ..Default::default()
    })
}
