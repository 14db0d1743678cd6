"""Every table kind cadresim writes, read by pandas, polars and DuckDB at their defaults, must
give back exactly the values in the file: integer columns as integers, float columns as floats
(never typed integer and then rounded), flags as booleans, text as text, empty cells as nulls.
The Parquet tables of a run (`--format parquet`) must read, with each reader, as exactly the
values of the same run's CSV tables, with the column types cadresim declares (text columns,
unit codes among them, as text).

The tables are made by the release binary on small inputs (one session fixture); the test
fails if any expected table kind is missing, so it cannot pass on nothing.
"""

import csv
import os
import re
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("CADRESIM", ROOT / "target" / "release" / "cadresim"))

# Every CSV table kind (file name) cadresim writes, by the command that writes it.
EXPECTED = {
    "timeseries.csv", "timeseries_by_unit.csv", "summary_by_unit.csv", "summary.csv",
    "equilibrium.csv", "effects.csv", "differences.csv",
    "points.csv", "sweep.csv", "sweep_summary.csv", "boundary.csv",
    "sensitivity.csv", "sensitivity_convergence.csv", "trajectory.csv", "box.csv",
    "samples.csv", "verdicts.csv", "robustness.csv", "failures.csv",
    "panel.csv", "att.csv", "pretrend.csv", "spillover.csv", "did_summary.csv",
    "runs.csv", "waves.csv", "emulators.csv", "generations.csv", "parameters.csv",
    "posterior.csv", "predictive.csv", "check.csv", "coverage.csv",
}

# The tables a run writes with `--format parquet`, each beside the same run's CSV table.
EXPECTED_PARQUET = {
    "timeseries.parquet", "timeseries_by_unit.parquet", "summary_by_unit.parquet",
    "summary.parquet", "equilibrium.parquet", "effects.parquet",
}

# Columns Parquet stores as text (crates/cadresim/src/output/store.rs): a unit code stays text there.
PARQUET_TEXT = {"scenario", "level", "metric", "class", "unit_code", "unit_name", "event", "method"}

SMALL = """
[run]
steps = 40
burn_in = 20
replicates = 2

[[hierarchy.levels]]
name = "county"
branching = 4
cadres = 5

[[hierarchy.levels]]
name = "township"
branching = 3
cadres = 4
"""

HISTORY = SMALL + """
[output]
by_unit = "county"
effects = true

[[schedule]]
at = 20
set = { "fault_tolerance.enabled" = true, "fault_tolerance.scope" = ["exploratory"] }
"""

SETTLED = SMALL.replace("steps = 40\nburn_in = 20", "until_settled = true") + """
[accountability]
penalty = 2.5
"""

GRID = """
base = "small.toml"

[sweep]
design = "grid"
replicates = 2

[[sweep.axis]]
param = "accountability.penalty"
values = [0.5, 1, 4, 16]

[[sweep.axis]]
name = "tolerance"
variants = { off = { "fault_tolerance.enabled" = false }, on = { "fault_tolerance.enabled" = true } }
"""

SOBOL = """
base = "small.toml"

[sweep]
design = "sobol"
samples = 8
replicates = 2

[[sweep.axis]]
param = "accountability.penalty"
from = 1.0
to = 12.0
scale = "log"

[[sweep.axis]]
param = "targets.markup_max"
from = 0.1
to = 0.6
"""

BOUNDARY = """
base = "small.toml"

[sweep]
design = "boundary"
replicates = 2

[sweep.boundary]
where = "mean_innovation < 0.3"
precision = 0.05

[[sweep.axis]]
param = "accountability.penalty"
from = 0.5
to = 32.0
scale = "log"
"""

STAGGERED = """
[run]
steps = 40
burn_in = 20
replicates = 2

[[hierarchy.levels]]
name = "county"
branching = 16
cadres = 4

[[hierarchy.levels]]
name = "township"
branching = 2
cadres = 3

[accountability]
penalty = 6.0

[[schedule]]
at = 15
where = { county = ["1", "2", "3", "4"] }
set = { "fault_tolerance.enabled" = true, "fault_tolerance.scope" = ["exploratory"] }

[[schedule]]
at = 25
where = { county = ["5", "6", "7", "8"] }
set = { "fault_tolerance.enabled" = true, "fault_tolerance.scope" = ["exploratory"] }
"""


def cadresim(*args):
    done = subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, f"cadresim {' '.join(map(str, args))}: {done.stderr}"


@pytest.fixture(scope="session")
def tables(tmp_path_factory):
    """Every table, made once: {file name: [paths]}."""
    root = tmp_path_factory.mktemp("tables")
    files = {
        "small.toml": SMALL, "history.toml": HISTORY, "settled.toml": SETTLED,
        "grid.toml": GRID, "sobol.toml": SOBOL, "boundary.toml": BOUNDARY,
        "staggered.toml": STAGGERED,
    }
    for name, text in files.items():
        (root / name).write_text(text)
    cadresim("run", root / "history.toml", root / "settled.toml", "--out", root / "run")
    cadresim("run", root / "history.toml", root / "settled.toml", "--out", root / "parquet",
             "--format", "parquet")
    cadresim("run", root / "small.toml", "--out", root / "base")
    cadresim("compare", root / "base", root / "run", "--out", root / "compare")
    cadresim("sweep", root / "grid.toml", "--out", root / "grid")
    cadresim("discover", root / "grid", "--where", "mean_innovation < 0.4")
    cadresim("sweep", root / "sobol.toml", "--out", root / "sobol")
    cadresim("sweep", root / "boundary.toml", "--out", root / "boundary")
    cadresim("reproduce", "--quick", "--out", root / "reproduce", "--robustness", "4",
             "--experiments", ROOT / "tests/data/robustness/experiments.toml")
    cadresim("did", root / "staggered.toml", "--out", root / "did")
    tiny = ROOT / "scenarios" / "calibration" / "tiny.toml"
    cadresim("calibrate", tiny, "--out", root / "calibrate")
    (root / "check.toml").write_text(
        tiny.read_text()
        .replace('base = "tiny-base.toml"', f'base = "{tiny.parent / "tiny-base.toml"}"')
        .replace("population = 1000", "population = 100")
        .replace("generations = 10", "generations = 2")
        .replace("budget = 140", "budget = 40"))
    cadresim("calibrate", root / "check.toml", "--check", "4", "--out", root / "check")
    found = {}
    for path in sorted([*root.rglob("*.csv"), *root.rglob("*.parquet")]):
        if "parts" not in path.parts:
            found.setdefault(path.name, []).append(path)
    return found


def test_every_table_kind_was_made(tables):
    assert EXPECTED <= set(tables), f"missing: {sorted(EXPECTED - set(tables))}"
    assert set(tables) - EXPECTED == EXPECTED_PARQUET


def twin(path):
    """The CSV table of the same run as a Parquet table."""
    return path.parent.parent / "run" / path.name.replace(".parquet", ".csv")


INTEGER = re.compile(r"-?[0-9]+")


def kind(cells):
    """What a column holds, from its text: bool, int, float or str (nulls aside)."""
    cells = [c for c in cells if c != ""]
    if cells and all(c in ("true", "false") for c in cells):
        return "bool"
    if cells and all(INTEGER.fullmatch(c) for c in cells):
        return "int"
    try:
        [float(c) for c in cells]
    except ValueError:
        return "str"
    return "float" if cells else "empty"


def expected_value(text, what):
    if text == "":
        return None
    return {"bool": lambda t: t == "true", "int": int, "float": float}.get(what, str)(text)


def same(got, want, what):
    if want is None:
        return got is None or (isinstance(got, float) and got != got)
    if what == "float":
        return isinstance(got, float) and got == want
    if what == "int":
        return not isinstance(got, bool) and got == want and float(got).is_integer()
    if what == "bool":
        return bool(got) == want and isinstance(got, bool)
    return got == want


def columns(path):
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    return header, [[row[i] for row in body] for i in range(len(header))]


def check(path, names, values_by_column, reader, text_columns=()):
    """The values read (by column) against the file's cells; `text_columns` as text."""
    header, cells = columns(path)
    assert list(names) == header, f"{path.name} ({reader}): header {names} != {header}"
    for name, texts, got in zip(header, cells, values_by_column):
        what = "str" if name in text_columns else kind(texts)
        if what == "int":
            # Integers must keep their digits (no leading zeros to lose).
            assert all(str(int(t)) == t for t in texts if t), f"{path.name}.{name}"
        assert len(got) == len(texts), f"{path.name}.{name} ({reader}): row count"
        for row, (text, value) in enumerate(zip(texts, got)):
            want = expected_value(text, what)
            assert same(value, want, what), (
                f"{path}: column `{name}` row {row + 1} ({what}) read by {reader} as "
                f"{value!r}, written `{text}`"
            )


def plain(value):
    """A pandas cell as a Python value (numpy scalars unwrapped, NaN for a missing cell)."""
    if value is pd.NA or value is None:
        return None
    return value.item() if hasattr(value, "item") else value


def pytest_generate_tests(metafunc):
    if "table" in metafunc.fixturenames:
        metafunc.parametrize("table", sorted(EXPECTED))
    if "parquet_table" in metafunc.fixturenames:
        metafunc.parametrize("parquet_table", sorted(EXPECTED_PARQUET))


def test_polars_reads_exactly(tables, table):
    for path in tables.get(table, []):
        frame = pl.read_csv(path)
        check(path, frame.columns, [frame[c].to_list() for c in frame.columns], "polars")


def test_duckdb_reads_exactly(tables, table):
    for path in tables.get(table, []):
        relation = duckdb.read_csv(str(path))
        rows = relation.fetchall()
        check(path, relation.columns, [list(col) for col in zip(*rows)] or
              [[] for _ in relation.columns], "DuckDB")


def test_pandas_reads_exactly(tables, table):
    for path in tables.get(table, []):
        frame = pd.read_csv(path)
        values = [[plain(v) for v in frame[c].tolist()] for c in frame.columns]
        # pandas types an integer column with missing cells as float: compare numerically.
        check_pandas(path, list(frame.columns), values)


def check_pandas(path, names, values, text_columns=()):
    header, cells = columns(path)
    fixed = []
    for name, texts, got in zip(header, cells, values):
        if name not in text_columns and kind(texts) == "int" and any(t == "" for t in texts):
            got = [None if g != g else int(g) for g in got]
        fixed.append(got)
    check(path, names, fixed, "pandas", text_columns)


def test_parquet_reads_as_the_csv_with_polars(tables, parquet_table):
    for path in tables[parquet_table]:
        frame = pl.read_parquet(path)
        values = [frame[c].to_list() for c in frame.columns]
        check(twin(path), frame.columns, values, "polars (Parquet)", PARQUET_TEXT)


def test_parquet_reads_as_the_csv_with_duckdb(tables, parquet_table):
    for path in tables[parquet_table]:
        relation = duckdb.read_parquet(str(path))
        rows = relation.fetchall()
        values = [list(col) for col in zip(*rows)] or [[] for _ in relation.columns]
        check(twin(path), relation.columns, values, "DuckDB (Parquet)", PARQUET_TEXT)


def test_parquet_reads_as_the_csv_with_pandas(tables, parquet_table):
    for path in tables[parquet_table]:
        frame = pd.read_parquet(path)
        values = [[plain(v) for v in frame[c].tolist()] for c in frame.columns]
        check_pandas(twin(path), list(frame.columns), values, PARQUET_TEXT)
