#!/usr/bin/env bash
# The explorer in a real browser: headless Chromium (Debian's package, installed if missing)
# driven by playwright-core (from npm, into target/browser; it downloads no browser) loads
# the page served by `cadresim serve`, sets the penalty slider, presses Run, waits for the
# class and a drawn chart, and checks that a bad value shows the server's error while the
# server keeps serving. The screenshot goes to target/browser/explorer.png (the README's is a
# copy). Needs `cargo build --release` first.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
if [ ! -x /usr/bin/chromium ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi
work="$root/target/browser"
mkdir -p "$work"
if [ ! -d "$work/node_modules/playwright-core" ]; then
    (cd "$work" && npm install --silent --no-audit --no-fund playwright-core@1.65.1 >/dev/null)
fi
out=$(mktemp -d)
log="$out/serve.log"
"$root/target/release/cadresim" serve --port 0 --out "$out/runs" >"$log" 2>"$out/serve.err" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$out"' EXIT
for _ in $(seq 1 100); do
    [ -s "$log" ] && break
    sleep 0.1
done
url=$(head -n 1 "$log")
[ -n "$url" ] || { echo "browser test: the server printed no URL" >&2; cat "$out/serve.err" >&2; exit 1; }
cp "$root/tests/browser/explorer.mjs" "$work/explorer.mjs"
node "$work/explorer.mjs" "$url" "$work/explorer.png"
