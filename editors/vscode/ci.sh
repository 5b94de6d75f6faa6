#!/usr/bin/env bash
# Builds, tests and packages the VS Code extension. The project's CI calls
# this script; it runs from any directory.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

version="$(node -p "require('./package.json').version")"
vsix="mlp-lang-${version}.vsix"

echo "== npm ci"
npm ci --no-audit --no-fund

echo "== npm run compile"
npm run compile

echo "== npm test"
npm test

echo "== npm run package"
rm -f "$vsix"
npm run package

if [[ ! -s "$vsix" ]]; then
  echo "ci.sh: $vsix was not produced" >&2
  exit 1
fi
# The package must hold the compiled client, the grammar and the language server client library.
if command -v unzip >/dev/null; then
  listing="$(unzip -Z1 "$vsix")"
else
  listing="$(npx --no-install vsce ls | sed 's|^|extension/|')"
fi
for entry in extension/out/extension.js extension/syntaxes/mlp.tmLanguage.json extension/snippets/mlp.json \
  extension/language-configuration.json extension/node_modules/vscode-languageclient/package.json; do
  if ! grep -qxF "$entry" <<<"$listing"; then
    echo "ci.sh: $vsix lacks $entry" >&2
    exit 1
  fi
done
echo "== ok: $(pwd)/$vsix ($(wc -c <"$vsix") bytes)"
