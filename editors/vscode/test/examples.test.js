// Checks the TextMate grammar against the real sources of the repository:
// every token of the examples and the standard library gets a scope, the
// keywords get keyword scopes, and the grammar, the snippets and the
// language's own grammar (grammar/mlp.pest) name the same block keywords.
//
// Run with `node --test test/` (part of `npm test`).
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const test = require('node:test');
const { tokenize } = require('./tokenize.js');

const EXT = path.join(__dirname, '..');
const REPO = path.join(EXT, '..', '..');

function mlpFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...mlpFiles(p));
    else if (entry.name.endsWith('.mlp')) out.push(p);
  }
  return out.sort();
}

const SOURCES = [
  ...fs.readdirSync(path.join(REPO, 'examples')).map((d) => path.join(REPO, 'examples', d, 'main.mlp')).filter((p) => fs.existsSync(p)),
  ...mlpFiles(path.join(REPO, 'stdlib')),
];

/** The block keywords of the language: the `kw_X` that start a `*_decl` rule of grammar/mlp.pest. */
function pestBlockKeywords() {
  const pest = fs.readFileSync(path.join(REPO, 'grammar', 'mlp.pest'), 'utf8');
  const item = pest.match(/^item\s*=\s*_\{([^}]*)\}/m);
  assert.ok(item, 'grammar/mlp.pest has an `item` rule');
  const decls = item[1].split('|').map((s) => s.trim()).filter(Boolean);
  return decls.map((decl) => {
    const rule = pest.match(new RegExp(`^${decl}\\s*=\\s*\\{\\s*kw_(\\w+)`, 'm'));
    assert.ok(rule, `grammar/mlp.pest: ${decl} starts with a keyword`);
    return rule[1];
  });
}

const RESERVED = new Set(['and', 'or', 'not', 'in', 'true', 'false']);
const isCode = (t) => !t.scopes.some((s) => s.startsWith('comment.') || s.startsWith('string.'));
const leaf = (t) => t.scopes[t.scopes.length - 1];

test('the examples and the standard library exist', () => {
  assert.ok(SOURCES.filter((p) => p.includes(`${path.sep}examples${path.sep}`)).length >= 3, SOURCES.join('\n'));
  assert.ok(SOURCES.some((p) => p.includes(`${path.sep}stdlib${path.sep}`)));
});

for (const file of SOURCES) {
  const name = path.relative(REPO, file);

  test(`${name}: every token has a scope and none is invalid`, async () => {
    const tokens = await tokenize(fs.readFileSync(file, 'utf8'));
    const bare = tokens.filter((t) => t.text.trim() !== '' && (leaf(t) === 'source.mlp' || leaf(t).startsWith('meta.')));
    assert.deepEqual(bare.map((t) => `${t.line}:${t.start + 1} ${JSON.stringify(t.text)} ${t.scopes.join(' ')}`), []);
    const invalid = tokens.filter((t) => t.scopes.some((s) => s.startsWith('invalid.')));
    assert.deepEqual(invalid.map((t) => `${t.line}:${t.start + 1} ${JSON.stringify(t.text)}`), []);
  });

  test(`${name}: keywords are scoped as keywords`, async () => {
    const text = fs.readFileSync(file, 'utf8');
    const tokens = await tokenize(text);
    const lines = text.split(/\r?\n/);
    const wrong = [];
    const blockKeywords = new Set(pestBlockKeywords());
    for (const t of tokens.filter(isCode)) {
      const word = t.text.trim();
      const before = lines[t.line - 1].slice(0, t.start);
      const after = lines[t.line - 1].slice(t.end);
      let want = null;
      if (RESERVED.has(word)) want = /^(keyword\.operator\.|constant\.language\.)/;
      // A block starts on a line that begins with its keyword and a name.
      else if (blockKeywords.has(word) && /^[ \t]*$/.test(before) && /^[ \t]+[A-Za-z_"]/.test(after)) want = /^keyword\.control\.(block|import)\.mlp$/;
      else if ((word === 'require' || word === 'deny') && /^[ \t]*$/.test(before)) want = /^keyword\.control\.rule\.mlp$/;
      else if (word === 'schema' && /^[ \t]*\{/.test(after)) want = /^keyword\.control\.schema\.mlp$/;
      if (want && !t.scopes.some((s) => want.test(s))) wrong.push(`${t.line}:${t.start + 1} ${word}: ${t.scopes.join(' ')}`);
    }
    assert.deepEqual(wrong, []);
  });
}

test('the TextMate grammar knows every block keyword of grammar/mlp.pest', () => {
  const grammar = JSON.parse(fs.readFileSync(path.join(EXT, 'syntaxes', 'mlp.tmLanguage.json'), 'utf8'));
  const headers = [...grammar.repository['block-headers'].patterns, grammar.repository['use-declaration']].map((p) => p.match || p.begin);
  const keywords = pestBlockKeywords();
  for (const kw of keywords) {
    const rule = new RegExp(`\\((?:[a-z]+\\|)*${kw}(?:\\|[a-z]+)*\\)`);
    assert.ok(headers.some((h) => h.startsWith('^') && rule.test(h)), `no header rule for \`${kw}\``);
  }
  // An unclosed bracket ends where the compiler starts the next block.
  const end = grammar.repository.braces.end.match(/\(\?:([a-z|]+)\)/);
  assert.ok(end, grammar.repository.braces.end);
  assert.deepEqual(end[1].split('|').sort(), [...keywords].sort());
});

test('there is a snippet for every block kind', () => {
  const snippets = JSON.parse(fs.readFileSync(path.join(EXT, 'snippets', 'mlp.json'), 'utf8'));
  const prefixes = new Set(Object.values(snippets).flatMap((s) => [].concat(s.prefix)));
  for (const kw of pestBlockKeywords()) assert.ok(prefixes.has(kw), `no snippet with the prefix \`${kw}\``);
});

test('the model snippet offers the algorithms of std.catalog.algorithms', () => {
  const catalog = fs.readFileSync(path.join(REPO, 'stdlib', 'catalog', 'algorithms.mlp'), 'utf8');
  const algorithms = [...catalog.matchAll(/^ {2}([a-z_0-9]+) \{/gm)].map((m) => m[1]);
  assert.ok(algorithms.length > 0);
  const snippets = JSON.parse(fs.readFileSync(path.join(EXT, 'snippets', 'mlp.json'), 'utf8'));
  const body = [].concat(snippets['model'].body).join('\n');
  const choice = body.match(/\$\{\d+\|([^|}]*)\|\}/);
  assert.ok(choice, 'the model snippet has a choice of algorithms');
  assert.deepEqual(choice[1].split(','), algorithms);
});

test('the transform snippet offers the operations of std.catalog.operations', () => {
  const catalog = fs.readFileSync(path.join(REPO, 'stdlib', 'catalog', 'operations.mlp'), 'utf8');
  const operations = [...catalog.matchAll(/^ {2}([a-z_0-9]+)\s+\{/gm)].map((m) => m[1]);
  assert.ok(operations.length > 0);
  const snippets = JSON.parse(fs.readFileSync(path.join(EXT, 'snippets', 'mlp.json'), 'utf8'));
  const body = [].concat(snippets['transform'].body).join('\n');
  const choice = body.match(/\$\{\d+\|([^|}]*)\|\}/);
  assert.ok(choice, 'the transform snippet has a choice of operations');
  assert.deepEqual(choice[1].split(','), operations);
});
