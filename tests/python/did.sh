#!/usr/bin/env bash
# The DiD estimators against the reference packages: run `cadresim did` on the bundled
# staggered-adoption-china scenario (2 replicates), then pytest
# tests/python/test_did_reference.py, which re-estimates every replicate's panel.csv with
# csdid (Callaway & Sant'Anna) and pyfixest (TWFE) and compares with att.csv. The packages
# are pinned in tests/python/did-requirements.txt and installed in a virtual environment
# (target/did-venv, kept between runs). Exits non-zero when anything fails or no test ran.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=target/did-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" || { apt-get install -y python3-venv >/dev/null && python3 -m venv "$venv"; }
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/python/did-requirements.txt
cargo build --release --quiet
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
target/release/cadresim did scenarios/staggered-adoption-china.toml --replicates 2 \
    --outcome mean_innovation --outcome output --out "$out/did" >/dev/null
# pytest exits 5 when it collected no test: that is a failure too.
CADRESIM_DID_DIR="$out/did" "$venv/bin/python" -m pytest -q tests/python/test_did_reference.py
