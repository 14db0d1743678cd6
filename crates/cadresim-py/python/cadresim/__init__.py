"""cadresim from Python: the simulator's studies as functions returning pandas tables.

The numbers are the command line's: every call runs the same study code and writes the same
result directory (tables, charts, manifest.json), which the returned object reads.

>>> import cadresim
>>> result = cadresim.run("pressure", steps=200, replicates=4, seed=1)
>>> result.equilibrium.query("level == 'all' and metric == 'mean_innovation'")
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import warnings as _warnings
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

import pandas as pd

from . import _cadresim
from ._cadresim import CadresimError

__all__ = [
    "run",
    "sweep",
    "sensitivity",
    "discover",
    "evaluate",
    "params",
    "built_in",
    "Result",
    "SweepResult",
    "Discovery",
    "CadresimError",
    "__version__",
]
__version__ = _cadresim.__version__

Scenario = Union[str, os.PathLike, Mapping[str, Any]]


def built_in() -> list[str]:
    """The names of the built-in default set (usable as `run("pressure")`)."""
    return list(_cadresim.built_in_names())


def params() -> pd.DataFrame:
    """Every parameter: key, default (as a scenario file writes it), allowed values, the
    plausible range (low, high; empty where none is stated) and its meaning."""
    rows = _cadresim.params()
    return pd.DataFrame(
        rows, columns=["key", "default", "allowed", "low", "high", "meaning"]
    )


# Before pandas 3 the default float parser may round the last bit; "round_trip" reads every
# float exactly as written. pandas 3 parses exactly by default (and deprecates the option).
_EXACT = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, **_EXACT)


class _Directory:
    """A result directory whose tables are read into DataFrames on first use."""

    def __init__(self, out: str, warnings: Sequence[str] = (), keep: Any = None):
        self.out = Path(out)
        self.warnings = list(warnings)
        self._keep = keep  # a temporary directory that lives as long as the result
        self._tables: dict[str, Optional[pd.DataFrame]] = {}

    def _table(self, stem: str) -> Optional[pd.DataFrame]:
        """Table `stem` (`summary`) from `stem.parquet` (output.format = "parquet", read by
        pandas with pyarrow: ``pip install "./crates/cadresim-py[parquet]"``) or `stem.csv`; None when the
        directory has neither."""
        if stem not in self._tables:
            parquet, text = self.out / f"{stem}.parquet", self.out / f"{stem}.csv"
            if parquet.exists():
                self._tables[stem] = pd.read_parquet(parquet)
            else:
                self._tables[stem] = _read_csv(text) if text.exists() else None
        return self._tables[stem]

    @property
    def manifest(self) -> dict:
        return json.loads((self.out / "manifest.json").read_text())

    def save(self, directory: Union[str, os.PathLike]) -> Path:
        """Copy the directory to `directory`, which must not exist yet."""
        target = Path(directory)
        if target.exists():
            raise CadresimError(
                f"{target}: already exists; choose a new directory (nothing was replaced)"
            )
        shutil.copytree(self.out, target)
        return target

    def __repr__(self) -> str:
        return f"cadresim.{type(self).__name__}({str(self.out)!r})"


class Result(_Directory):
    """A finished run: its directory and its tables as pandas DataFrames, read on first use.

    Attributes: ``out`` (the directory), ``warnings`` (what the command line prints as
    ``warning:`` lines), ``timeseries``, ``summary``, ``equilibrium``, ``effects`` (None
    without schedule effects), ``manifest`` (dict).
    """

    @property
    def timeseries(self) -> pd.DataFrame:
        return self._table("timeseries")

    @property
    def summary(self) -> pd.DataFrame:
        return self._table("summary")

    @property
    def equilibrium(self) -> pd.DataFrame:
        return self._table("equilibrium")

    @property
    def effects(self) -> Optional[pd.DataFrame]:
        return self._table("effects")


class SweepResult(_Directory):
    """A finished sweep (or shard): its directory and its tables as pandas DataFrames.

    Attributes: ``out``, ``warnings``, ``points`` (``points.csv``: one row per point, a
    column per axis), ``sweep`` (``sweep.csv``: per point, replicate and level, the
    equilibrium means), ``summary`` (``sweep_summary.csv``: tidy, per point, level and
    metric), ``sensitivity`` and ``sensitivity_convergence`` (sobol and morris designs, else
    None), ``boundary`` (boundary designs, else None), ``ran`` (points run by this call; the
    others were already done), ``manifest`` (dict).
    """

    def __init__(self, out: str, warnings: Sequence[str] = (), keep: Any = None, ran: int = 0):
        super().__init__(out, warnings, keep)
        self.ran = ran

    @property
    def points(self) -> pd.DataFrame:
        return self._table("points")

    @property
    def sweep(self) -> pd.DataFrame:
        return self._table("sweep")

    @property
    def summary(self) -> pd.DataFrame:
        return self._table("sweep_summary")

    @property
    def sensitivity(self) -> Optional[pd.DataFrame]:
        return self._table("sensitivity")

    @property
    def sensitivity_convergence(self) -> Optional[pd.DataFrame]:
        return self._table("sensitivity_convergence")

    @property
    def boundary(self) -> Optional[pd.DataFrame]:
        return self._table("boundary")


class Discovery(_Directory):
    """A finished scenario discovery (PRIM): its directory and tables.

    Attributes: ``out``, ``title`` (the condition in words), ``box`` (``box.csv``: the chosen
    box's restrictions), ``trajectory`` (``trajectory.csv``: the peeling trajectory),
    ``record`` (``discover.json`` as a dict: the chosen box's coverage, density and mass,
    the settings), ``manifest`` (dict).
    """

    def __init__(self, out: str, title: str):
        super().__init__(out)
        self.title = title

    @property
    def box(self) -> pd.DataFrame:
        return self._table("box")

    @property
    def trajectory(self) -> pd.DataFrame:
        return self._table("trajectory")

    @property
    def record(self) -> dict:
        return json.loads((self.out / "discover.json").read_text())


def _progress(enabled: Optional[bool]):
    """The callback that shows a study's progress, or None.

    ``None`` shows a bar in notebooks and terminals (tqdm's, when tqdm is installed, else a
    line on stderr in a terminal) and nothing elsewhere; ``True`` always; ``False`` never."""
    interactive = sys.stderr.isatty() or "ipykernel" in sys.modules
    if enabled is False or (enabled is None and not interactive):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        tqdm = None
    if tqdm is None and not (enabled or sys.stderr.isatty()):
        return None
    bars: dict = {}

    def callback(what: str, done: int, total: int) -> None:
        if tqdm is not None:
            bar = bars.get(what)
            if bar is None:
                bar = bars[what] = tqdm(total=total, desc=what, unit_scale=True)
            bar.update(done - bar.n)
            if done >= total:
                bar.close()
                del bars[what]
            return
        share = 100 * done // max(total, 1)
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r{what}: {share:3d}% ({done} of {total}){end}")
        sys.stderr.flush()

    return callback


def _scenario_files(scenario: Union[Scenario, Sequence[Scenario], None], scratch: Path) -> list[str]:
    if scenario is None:
        return []
    if isinstance(scenario, (str, os.PathLike, Mapping)):
        scenario = [scenario]
    files = []
    for index, item in enumerate(scenario):
        if isinstance(item, Mapping):
            path = scratch / f"{item.get('name', f'scenario-{index + 1}')}.toml"
            path.write_text(_cadresim.scenario_text(json.dumps(dict(item))))
            files.append(str(path))
            continue
        text = str(item)
        if not Path(text).exists() and _cadresim.built_in(text) is not None:
            path = scratch / f"{text}.toml"
            path.write_text(_cadresim.built_in(text))
            files.append(str(path))
            continue
        files.append(text)
    return files


def run(
    scenario: Union[Scenario, Sequence[Scenario], None] = None,
    *,
    seed: Optional[int] = None,
    replicates: Optional[int] = None,
    steps: Optional[int] = None,
    threads: Optional[int] = None,
    set: Optional[Mapping[str, Any]] = None,
    until_settled: bool = False,
    out: Union[str, os.PathLike, None] = None,
    force: bool = False,
    progress: Optional[bool] = None,
) -> Result:
    """Run scenarios together (common random numbers) and return their result.

    ``scenario``: a scenario file's path, a built-in name (``"pressure"``; see
    :func:`built_in`), a dict shaped like a scenario file, or a list of them; None runs the
    built-in default set. ``set`` sets parameters by key on every scenario
    (``{"accountability.penalty": 4.0}``). ``seed``, ``replicates``, ``steps`` and
    ``until_settled`` override the scenarios' run settings as the command line's flags do;
    ``threads`` never changes the numbers. ``out``: the result directory (default: a
    temporary one that lives as long as the result); one holding an earlier cadresim result
    is replaced only with ``force``, one holding files no cadresim command wrote is refused
    even then. ``progress``: a progress bar (default: in notebooks and terminals; tqdm's
    when installed). Raises :class:`CadresimError` with the command line's one-line message.
    """
    scratch = tempfile.TemporaryDirectory(prefix="cadresim-")
    files = _scenario_files(scenario, Path(scratch.name))
    target = Path(out) if out is not None else Path(scratch.name) / "result"
    settings = json.dumps(dict(set)) if set else None
    directory, warnings = _cadresim.run(
        files,
        str(target),
        settings=settings,
        seed=seed,
        replicates=replicates,
        steps=steps,
        until_settled=until_settled,
        threads=threads,
        force=force,
        progress=_progress(progress),
    )
    keep = scratch if out is None else None
    if out is not None:
        scratch.cleanup()
    return Result(directory, warnings, keep)


def sweep(
    file: Union[str, os.PathLike],
    *,
    seed: Optional[int] = None,
    replicates: Optional[int] = None,
    steps: Optional[int] = None,
    until_settled: bool = False,
    threads: Optional[int] = None,
    shard: Optional[tuple[int, int]] = None,
    out: Union[str, os.PathLike, None] = None,
    resume: bool = False,
    force: bool = False,
    progress: Optional[bool] = None,
) -> SweepResult:
    """Run the sweep of a sweep file (TOML with a ``[sweep]`` section) and return it.

    The same study as ``cadresim sweep FILE``: the same points, seeds and files (a sobol or
    morris design ends with its sensitivity analysis, a boundary design with
    ``boundary.csv``). ``seed``, ``replicates``, ``steps`` and ``until_settled`` override the
    base scenario's run settings; ``threads`` never changes the numbers. ``shard=(k, n)``
    runs only the k-th of n slices (merge the shards with ``cadresim merge``). ``out``: the
    sweep directory (default: a temporary one that lives as long as the result); one
    holding an earlier cadresim result is replaced only with ``force`` or continued with
    ``resume``, one holding files no cadresim command wrote is refused. ``progress``: a
    progress bar over the points (default: in notebooks and terminals).

    >>> swept = cadresim.sweep("scenarios/sweeps/penalty-curve.toml", steps=100, replicates=2)
    >>> swept.summary.query("metric == 'mean_innovation' and level == 'all'")
    """
    scratch = None
    if out is None:
        scratch = tempfile.TemporaryDirectory(prefix="cadresim-")
        out = Path(scratch.name) / "sweep"
    directory, warnings, _, ran = _cadresim.sweep(
        str(file),
        str(out),
        seed=seed,
        replicates=replicates,
        steps=steps,
        until_settled=until_settled,
        threads=threads,
        shard=tuple(shard) if shard is not None else None,
        resume=resume,
        force=force,
        progress=_progress(progress),
    )
    return SweepResult(directory, warnings, scratch, ran)


def _directory_of(result: Union[_Directory, str, os.PathLike]) -> str:
    return str(result.out if isinstance(result, _Directory) else result)


def sensitivity(
    swept: Union[SweepResult, str, os.PathLike],
    *,
    metrics: Optional[Sequence[str]] = None,
    level: str = "all",
    bootstrap: Optional[int] = None,
) -> pd.DataFrame:
    """Analyse a finished sobol or morris sweep again (as ``cadresim sensitivity DIR``) and
    return its ``sensitivity.csv``: Sobol' S1, ST (Saltelli 2010, Jansen), S2 when the sweep
    has second_order, or Morris mu, mu_star, sigma, each with bootstrap 95% intervals, and
    noise_share (the share of replicate noise). The earlier analysis in the directory is
    replaced. ``metrics`` (default: mean_innovation, share_idle, welfare, abuse_rate),
    ``level`` and ``bootstrap`` (default 1000 resamples) as the command line's flags.
    Warnings (large replicate noise, S1 above ST) are issued with :mod:`warnings`.
    """
    directory = _directory_of(swept)
    found = _cadresim.sensitivity(
        directory,
        metrics=list(metrics) if metrics is not None else None,
        level=level,
        bootstrap=bootstrap,
    )
    for message in found:
        _warnings.warn(message, stacklevel=2)
    if isinstance(swept, _Directory):
        swept._tables.clear()
    return _read_csv(Path(directory) / "sensitivity.csv")


def discover(
    swept: Union[SweepResult, str, os.PathLike],
    where: str,
    *,
    level: str = "all",
    alpha: float = 0.05,
    min_mass: float = 0.05,
    box: Optional[int] = None,
    resamples: int = 100,
    out: Union[str, os.PathLike, None] = None,
    force: bool = False,
) -> Discovery:
    """Scenario discovery (PRIM; Friedman & Fisher 1999, as in the EMA Workbench) on a
    finished sweep: the box of parameter values where the condition ``where`` holds (as
    ``cadresim discover DIR --where CONDITION``, e.g. ``"class in [lazy-idle,
    lazy-routine]"``). ``alpha``: the share each peel removes; ``min_mass``: the smallest
    box; ``box``: report this box of the trajectory (default: the densest with coverage at
    least 0.5); ``resamples``: bagged PRIM's bootstrap resamples (Kwakkel & Cunningham
    2016: the box keeps the restrictions that recur in at least 80% of them; 0: plain PRIM).
    A dummy factor (uniform noise) joins the parameters; ``record["spurious"]`` is true when
    the box restricts it. Written to ``out`` (default ``DIR/discover-<condition>``).
    """
    directory, title = _cadresim.discover(
        _directory_of(swept),
        where,
        level=level,
        alpha=alpha,
        min_mass=min_mass,
        chosen=box,
        resamples=resamples,
        out=str(out) if out is not None else None,
        force=force,
    )
    return Discovery(directory, title)


def _one_scenario_file(scenario: Scenario, scratch: Path) -> str:
    files = _scenario_files(scenario, scratch)
    if len(files) != 1:
        raise CadresimError("evaluate takes one scenario (a path, a built-in name or a dict)")
    return files[0]


def _evaluate(
    scenario: Scenario,
    points: Sequence[Mapping[str, Any]],
    metrics: Sequence[str],
    *,
    level: str = "all",
    seed: Optional[int] = None,
    replicates: Optional[int] = None,
    steps: Optional[int] = None,
    series: bool = False,
    threads: Optional[int] = None,
):
    """(means, series) as lists: means[point][metric], series[point][metric][step]."""
    with tempfile.TemporaryDirectory(prefix="cadresim-") as scratch:
        file = _one_scenario_file(scenario, Path(scratch))
        return _cadresim.evaluate(
            file,
            json.dumps([dict(p) for p in points]),
            list(metrics),
            level=level,
            seed=seed,
            replicates=replicates,
            steps=steps,
            series=series,
            threads=threads,
        )


def evaluate(
    scenario: Scenario,
    points: Iterable[Mapping[str, Any]],
    metrics: Sequence[str] = ("mean_innovation",),
    *,
    level: str = "all",
    seed: Optional[int] = None,
    replicates: Optional[int] = None,
    steps: Optional[int] = None,
    threads: Optional[int] = None,
) -> pd.DataFrame:
    """Run one scenario at many points and return one row per point: the settings, then the
    equilibrium mean of each metric at ``level`` over the replicates.

    Nothing is written to disk. Every point runs with the seeds :func:`run` would use (common
    random numbers), so a row's numbers are those :func:`run` reports in ``equilibrium``
    (``mean``) for the same settings, exactly.

    >>> cadresim.evaluate("pressure", [{"accountability.penalty": p} for p in (2, 8)],
    ...                   ["mean_innovation", "welfare"], steps=200, replicates=4)
    """
    points = [dict(p) for p in points]
    means, _ = _evaluate(
        scenario,
        points,
        metrics,
        level=level,
        seed=seed,
        replicates=replicates,
        steps=steps,
        threads=threads,
    )
    table = pd.DataFrame(points)
    for index, metric in enumerate(metrics):
        table[metric] = [row[index] for row in means]
    return table
