"""Sweeps, sensitivity analysis and scenario discovery from Python against the command line:
the same files byte for byte, the same one-line refusals. Run by tests/python/run.sh."""

import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cadresim

SMALL = """
[run]
steps = 30
burn_in = 10
replicates = 2

[[hierarchy.levels]]
name = "county"
branching = 3
cadres = 5

[[hierarchy.levels]]
name = "township"
branching = 4
cadres = 6
"""

SOBOL = """base = "small.toml"

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
param = "accountability.detection"
from = 0.2
to = 0.9
"""

GRID = """base = "small.toml"

[sweep]
design = "grid"
replicates = 2

[[sweep.axis]]
param = "accountability.penalty"
values = [1.0, 4.0, 16.0]
"""

SWEEP_TABLES = ["points.csv", "sweep.csv", "sweep_summary.csv"]


def command_line(*args):
    """The `cadresim` script the package installs, as a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "cadresim", *map(str, args)],
        capture_output=True,
        text=True,
    )


def sweep_file(tmp_path: Path, body: str) -> Path:
    (tmp_path / "small.toml").write_text(SMALL)
    path = tmp_path / "sweep.toml"
    path.write_text(body)
    return path


def same_files(a: Path, b: Path, names) -> None:
    for name in names:
        assert filecmp.cmp(a / name, b / name, shallow=False), name


def test_a_sweep_writes_the_command_lines_bytes(tmp_path):
    file = sweep_file(tmp_path, GRID)
    swept = cadresim.sweep(file, seed=3, steps=40, threads=2)
    done = command_line("sweep", file, "--seed", 3, "--steps", 40, "--out", tmp_path / "cli")
    assert done.returncode == 0, done.stderr
    same_files(swept.out, tmp_path / "cli", SWEEP_TABLES)
    assert swept.ran == 3
    assert swept.points["accountability.penalty"].tolist() == [1.0, 4.0, 16.0]
    rows = swept.summary.query("level == 'all' and metric == 'mean_innovation'")
    assert len(rows) == 3
    assert swept.sensitivity is None and swept.boundary is None
    assert swept.manifest["command"] == "sweep"


def test_a_sweep_is_never_replaced_and_resumes(tmp_path):
    file = sweep_file(tmp_path, GRID)
    out = tmp_path / "out"
    cadresim.sweep(file, out=out)
    with pytest.raises(cadresim.CadresimError) as raised:
        cadresim.sweep(file, out=out)
    done = command_line("sweep", file, "--out", out)
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {raised.value}"
    again = cadresim.sweep(file, out=out, resume=True)
    assert again.ran == 0


def test_shards_run_their_slices(tmp_path):
    file = sweep_file(tmp_path, GRID)
    first = cadresim.sweep(file, shard=(1, 2), out=tmp_path / "one")
    second = cadresim.sweep(file, shard=(2, 2), out=tmp_path / "two")
    assert first.ran + second.ran == 3
    merged = command_line("merge", first.out, second.out, "--out", tmp_path / "merged")
    assert merged.returncode == 0, merged.stderr
    whole = cadresim.sweep(file, out=tmp_path / "whole")
    same_files(whole.out, tmp_path / "merged", SWEEP_TABLES)


def test_sensitivity_and_discovery_match_the_command_line(tmp_path):
    file = sweep_file(tmp_path, SOBOL)
    swept = cadresim.sweep(file, seed=5)
    assert set(swept.sensitivity["index"]) >= {"S1", "ST"}
    copy = tmp_path / "copy"
    shutil.copytree(swept.out, copy)

    indices = cadresim.sensitivity(swept, metrics=["mean_innovation"], bootstrap=50)
    done = command_line("sensitivity", copy, "--metric", "mean_innovation", "--bootstrap", 50)
    assert done.returncode == 0, done.stderr
    same_files(swept.out, copy, ["sensitivity.csv", "sensitivity_convergence.csv"])
    assert set(indices["metric"]) == {"mean_innovation"}
    assert swept.sensitivity.equals(indices)

    condition = "mean_innovation < 0.3"
    found = cadresim.discover(swept, condition, out=tmp_path / "found")
    done = command_line("discover", copy, "--where", condition, "--out", tmp_path / "cli-found")
    assert done.returncode == 0, done.stderr
    same_files(found.out, tmp_path / "cli-found", ["box.csv", "trajectory.csv"])
    assert found.record["condition"] == condition
    assert len(found.trajectory) >= 1
    assert found.title


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda d: cadresim.discover(d, "mean_innovation <"), "--where"),
        (lambda d: cadresim.discover(d, "mean_innovation < 0.3", alpha=0.7), "--alpha"),
        (lambda d: cadresim.discover(d, "mean_innovation < 0.3", min_mass=0.0), "--min-mass"),
        (lambda d: cadresim.sensitivity(d, bootstrap=1), "--bootstrap"),
        (lambda d: cadresim.sensitivity(d, metrics=["no_such_metric"]), "no_such_metric"),
    ],
)
def test_bad_settings_are_refused_in_one_line(tmp_path, call, words):
    swept = cadresim.sweep(sweep_file(tmp_path, SOBOL))
    with pytest.raises(cadresim.CadresimError) as raised:
        call(swept)
    message = str(raised.value)
    assert words in message and "\n" not in message, message


def test_an_unfinished_sweep_is_not_analysed(tmp_path):
    with pytest.raises(cadresim.CadresimError) as raised:
        cadresim.sensitivity(tmp_path / "nothing")
    done = command_line("sensitivity", tmp_path / "nothing")
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {raised.value}"


def test_progress_reaches_its_total_and_changes_no_number(tmp_path, monkeypatch):
    import cadresim as package

    told = []

    def recording(enabled):
        return lambda what, done, total: told.append((what, done, total))

    monkeypatch.setattr(package, "_progress", recording)
    file = sweep_file(tmp_path, GRID)
    swept = cadresim.sweep(file, seed=3, steps=40, progress=True)
    assert told and told[-1][1] == told[-1][2] == 3, told
    assert all(done <= total for _, done, total in told)
    quiet = cadresim.sweep(file, seed=3, steps=40, out=tmp_path / "quiet")
    same_files(swept.out, quiet.out, SWEEP_TABLES)
    told.clear()
    cadresim.run(tmp_path / "small.toml", steps=20, progress=True)
    assert told and told[-1][1] == told[-1][2] > 0, told


def test_progress_by_default_only_in_terminals_and_notebooks(monkeypatch):
    import cadresim as package

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    assert package._progress(None) is None
    assert package._progress(False) is None
    assert package._progress(True) is not None
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert package._progress(None) is not None


INTERRUPTED = """
import signal, sys, threading, time
import cadresim
# As in an interactive session, whatever the parent left (a background job inherits SIGINT
# ignored, and Python then installs no handler of its own).
signal.signal(signal.SIGINT, signal.default_int_handler)
started = threading.Event()
def progress(what, done, total):
    started.set()
out = sys.argv[1]
# Ctrl-C from a timer once the simulation reports progress, as a user would press it.
def press():
    started.wait(60)
    time.sleep(0.5)
    signal.raise_signal(signal.SIGINT)
threading.Thread(target=press, daemon=True).start()
t = time.monotonic()
try:
    cadresim._cadresim.run([sys.argv[2]], out, replicates=2, progress=progress)
    print("finished", flush=True)
except KeyboardInterrupt:
    print("interrupted after %.1f s" % (time.monotonic() - t), flush=True)
"""


def test_ctrl_c_interrupts_a_run_and_leaves_no_manifest(tmp_path):
    """A run of minutes stops within seconds of Ctrl-C: KeyboardInterrupt, no manifest.json."""
    scenario = tmp_path / "pressure.toml"
    scenario.write_text(cadresim._cadresim.built_in("pressure"))
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPTED, str(out), str(scenario)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("interrupted"), done.stdout + done.stderr
    assert not (out / "manifest.json").exists()
    assert "panicked" not in done.stderr
