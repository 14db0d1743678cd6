#!/usr/bin/env bash
# Every table kind read by pandas, polars and DuckDB at their defaults, value by value
# (tests/python/test_readers.py), in a virtual environment kept in target/readers-venv with the
# versions pinned in tests/python/readers-requirements.txt. Needs the release binary: builds it.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=target/readers-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" || { apt-get install -y python3-venv >/dev/null && python3 -m venv "$venv"; }
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/python/readers-requirements.txt
cargo build --release --quiet
# pytest exits 5 when it collected no test: that is a failure too.
"$venv/bin/python" -m pytest -q tests/python/test_readers.py
