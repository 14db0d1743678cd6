#!/usr/bin/env bash
# The Python package's integration test: build the wheel with maturin, install it in a
# virtual environment (kept in target/python-venv between runs), run pytest on
# crates/cadresim-py/tests. Exits non-zero when anything fails or no test ran.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=target/python-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" || { apt-get install -y python3-venv >/dev/null && python3 -m venv "$venv"; }
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check "maturin==1.16.0" pandas pyarrow pytest SALib ema_workbench
rm -rf target/wheels
"$venv/bin/maturin" build --release --quiet -m crates/cadresim-py/Cargo.toml --out target/wheels
"$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps target/wheels/cadresim-*.whl
# pytest exits 5 when it collected no test: that is a failure too.
"$venv/bin/python" -m pytest -q crates/cadresim-py/tests
