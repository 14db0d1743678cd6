"""The Python package against the command line: the same numbers, the same files, the same
one-line errors. Run by tests/python/run.sh (which builds and installs the package)."""

import csv
import filecmp
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import cadresim

REPO = Path(__file__).resolve().parents[3]
PRESSURE = REPO / "scenarios" / "pressure.toml"
TABLES = ["timeseries.csv", "summary.csv", "equilibrium.csv"]


def command_line(*args, cwd=None):
    """The `cadresim` script the package installs, as a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "cadresim", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


def test_a_run_writes_the_command_lines_bytes(tmp_path):
    result = cadresim.run(PRESSURE, steps=30, replicates=2, seed=3, threads=2)
    done = command_line(
        "run", PRESSURE, "--steps", 30, "--replicates", 2, "--seed", 3,
        "--out", tmp_path / "cli",
    )
    assert done.returncode == 0, done.stderr
    for name in TABLES:
        assert filecmp.cmp(result.out / name, tmp_path / "cli" / name, shallow=False), name
    # The DataFrame holds exactly the numbers of the file, parsed by Python's own float().
    with open(tmp_path / "cli" / "summary.csv", newline="") as handle:
        records = list(csv.DictReader(handle))
    frame = result.summary
    for column in ["mean_innovation", "share_idle", "welfare", "abuse_rate"]:
        written = [float(record[column]) for record in records]
        assert frame[column].tolist() == written, column
    assert result.manifest["command"] == "run"
    assert list(result.summary.columns[:3]) == ["scenario", "replicate", "level"]


def test_parquet_tables_read_as_the_csv_ones():
    text = cadresim.run(PRESSURE, steps=20, replicates=2, seed=1)
    parquet = cadresim.run(PRESSURE, steps=20, replicates=2, seed=1,
                           set={"output.format": "parquet"})
    assert (parquet.out / "summary.parquet").exists()
    assert not (parquet.out / "summary.csv").exists()
    for name in ["timeseries", "summary", "equilibrium"]:
        a, b = getattr(text, name), getattr(parquet, name)
        # The same columns and values; Parquet types integers with nulls as nullable.
        pd.testing.assert_frame_equal(a, b, check_exact=True, check_dtype=False), name


def test_a_built_in_name_a_dict_and_settings_run(tmp_path):
    by_name = cadresim.run("pressure", steps=20, replicates=2, seed=1)
    by_file = cadresim.run(PRESSURE, steps=20, replicates=2, seed=1)
    pd.testing.assert_frame_equal(by_name.summary, by_file.summary, check_exact=True)
    scenario = {
        "name": "small",
        "run": {"steps": 20, "burn_in": 10, "replicates": 2},
        "hierarchy": {"levels": [
            {"name": "county", "branching": 3, "cadres": 5},
            {"name": "township", "branching": 4, "cadres": 6},
        ]},
    }
    gentle = cadresim.run(scenario, set={"accountability.penalty": 1.0})
    harsh = cadresim.run(scenario, set={"accountability.penalty": 16.0})
    assert set(gentle.summary["scenario"]) == {"small"}

    def innovation(result):
        rows = result.equilibrium
        row = rows[(rows.level == "all") & (rows.metric == "mean_innovation")]
        return float(row["mean"].iloc[0])

    assert innovation(gentle) > innovation(harsh)


def test_threads_do_not_change_the_numbers():
    one = cadresim.run("ft-scoped", steps=20, replicates=3, seed=5, threads=1)
    two = cadresim.run("ft-scoped", steps=20, replicates=3, seed=5, threads=2)
    for name in TABLES:
        assert filecmp.cmp(one.out / name, two.out / name, shallow=False), name


def test_errors_carry_the_command_lines_one_line_message(tmp_path):
    with pytest.raises(cadresim.CadresimError, match="accountability.penalti"):
        cadresim.run("pressure", steps=5, set={"accountability.penalti": 2.0})
    with pytest.raises(cadresim.CadresimError, match="accountability.penalty"):
        cadresim.run("pressure", steps=5, set={"accountability.penalty": "high"})
    bad = tmp_path / "bad.toml"
    bad.write_text("[accountability]\npenalty = -1\n")
    with pytest.raises(cadresim.CadresimError) as raised:
        cadresim.run(bad, steps=5)
    message = str(raised.value)
    assert "bad.toml" in message and "accountability.penalty" in message
    assert "\n" not in message
    done = command_line("run", bad, "--out", tmp_path / "out")
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {message}"


def test_an_existing_directory_is_never_replaced(tmp_path):
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "notes.txt").write_text("mine")
    with pytest.raises(cadresim.CadresimError):
        cadresim.run("pressure", steps=5, replicates=1, out=keep)
    assert (keep / "notes.txt").read_text() == "mine"
    result = cadresim.run("pressure", steps=5, replicates=1)
    with pytest.raises(cadresim.CadresimError):
        result.save(keep)
    saved = result.save(tmp_path / "saved")
    assert (saved / "manifest.json").exists()


def test_params_lists_every_key_with_its_range():
    table = cadresim.params()
    penalty = table.set_index("key").loc["accountability.penalty"]
    assert penalty["default"] == "8.0" or float(penalty["default"]) == 8.0
    assert penalty["low"] < penalty["high"]
    assert len(table) == len(set(table["key"]))
    assert "pressure" in cadresim.built_in()


def test_the_script_answers_help_and_version():
    done = command_line("--version")
    assert done.returncode == 0 and cadresim.__version__ in done.stdout
    done = command_line("run", "--help")
    assert done.returncode == 0 and "--steps" in done.stdout


def test_the_type_stubs_are_the_extension_modules_functions():
    """`_cadresim.pyi` names every function of the extension module, with its parameters in
    order, keyword-only where they are, and its defaults."""
    import ast
    import inspect

    from cadresim import _cadresim

    stub = Path(cadresim.__file__).with_name("_cadresim.pyi")
    tree = ast.parse(stub.read_text())
    stubbed = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    functions = {
        name
        for name, value in vars(_cadresim).items()
        if callable(value) and not name.startswith("_") and not isinstance(value, type)
    }
    assert set(stubbed) == functions
    for name, node in stubbed.items():
        actual = inspect.signature(getattr(_cadresim, name))
        positional = [a.arg for a in node.args.args]
        keyword = [a.arg for a in node.args.kwonlyargs]
        kinds = {
            p.name: p.kind for p in actual.parameters.values()
        }
        assert list(kinds) == positional + keyword, name
        assert all(kinds[k] == inspect.Parameter.KEYWORD_ONLY for k in keyword), name
        # PyO3 shows a default that is not a literal in Rust (`"all".to_string()`) as `...`.
        for key, default in zip(keyword, node.args.kw_defaults):
            shown = actual.parameters[key].default
            assert shown is not inspect.Parameter.empty, (name, key)
            if shown is not Ellipsis:
                assert ast.literal_eval(default) == shown, (name, key)
    assert "CadresimError" in {n.name for n in tree.body if isinstance(n, ast.ClassDef)}


def test_ctrl_c_ends_the_command_line_at_once(tmp_path):
    """The installed command ends on SIGINT as the binary does (by the signal), not after
    the command finishes."""
    import signal
    import time

    child = subprocess.Popen(
        [sys.executable, "-m", "cadresim", "run", str(PRESSURE), "--steps", "100000",
         "--out", str(tmp_path / "never")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(3)
    started = time.monotonic()
    child.send_signal(signal.SIGINT)
    code = child.wait(timeout=60)
    assert code == -signal.SIGINT
    assert time.monotonic() - started < 30
