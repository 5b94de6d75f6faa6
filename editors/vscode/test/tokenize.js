// Tokenizes .mlp text with the extension's TextMate grammar, as VS Code does
// (vscode-textmate on the Oniguruma WebAssembly build).
//
//   node test/tokenize.js FILE...   prints every token with its scopes
'use strict';

const fs = require('fs');
const path = require('path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const GRAMMAR = path.join(__dirname, '..', 'syntaxes', 'mlp.tmLanguage.json');

let grammarPromise;

function loadGrammar() {
  if (!grammarPromise) {
    const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
    const onigLib = oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength)).then(() => ({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }));
    const registry = new vsctm.Registry({
      onigLib,
      loadGrammar: async (scopeName) => {
        if (scopeName !== 'source.mlp') return null;
        return vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR, 'utf8'), GRAMMAR);
      },
    });
    grammarPromise = registry.loadGrammar('source.mlp');
  }
  return grammarPromise;
}

/** Every token of `text`: { line, start, end, text, scopes }. */
async function tokenize(text) {
  const grammar = await loadGrammar();
  const out = [];
  let stack = vsctm.INITIAL;
  text.split(/\r?\n/).forEach((line, n) => {
    const r = grammar.tokenizeLine(line, stack);
    for (const t of r.tokens) {
      out.push({ line: n + 1, start: t.startIndex, end: t.endIndex, text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes });
    }
    stack = r.ruleStack;
  });
  return out;
}

module.exports = { tokenize };

if (require.main === module) {
  (async () => {
    for (const file of process.argv.slice(2)) {
      for (const t of await tokenize(fs.readFileSync(file, 'utf8'))) {
        if (t.text.trim() === '') continue;
        console.log(`${file}:${t.line}:${t.start + 1}\t${JSON.stringify(t.text)}\t${t.scopes.slice(1).join(' ')}`);
      }
    }
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
