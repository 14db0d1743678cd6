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
import tempfile
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

import pandas as pd

from . import _cadresim
from ._cadresim import CadresimError

__all__ = [
    "run",
    "evaluate",
    "params",
    "built_in",
    "Result",
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


class Result:
    """A finished run: its directory and its tables as pandas DataFrames, read on first use.

    Attributes: ``out`` (the directory), ``warnings`` (what the command line prints as
    ``warning:`` lines), ``timeseries``, ``summary``, ``equilibrium``, ``effects`` (None
    without schedule effects), ``manifest`` (dict).
    """

    def __init__(self, out: str, warnings: Sequence[str], keep: Any = None):
        self.out = Path(out)
        self.warnings = list(warnings)
        self._keep = keep  # a temporary directory that lives as long as the result
        self._tables: dict[str, Optional[pd.DataFrame]] = {}

    def _table(self, stem: str) -> Optional[pd.DataFrame]:
        """Table `stem` (`summary`) from `stem.parquet` (output.format = "parquet", read by
        pandas with pyarrow: ``pip install cadresim[parquet]``) or `stem.csv`; None when the
        run has neither."""
        if stem not in self._tables:
            parquet, text = self.out / f"{stem}.parquet", self.out / f"{stem}.csv"
            if parquet.exists():
                self._tables[stem] = pd.read_parquet(parquet)
            else:
                self._tables[stem] = _read_csv(text) if text.exists() else None
        return self._tables[stem]

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

    @property
    def manifest(self) -> dict:
        return json.loads((self.out / "manifest.json").read_text())

    def save(self, directory: Union[str, os.PathLike]) -> Path:
        """Copy the result directory to `directory`, which must not exist yet."""
        target = Path(directory)
        if target.exists():
            raise CadresimError(
                f"{target}: already exists; choose a new directory (nothing was replaced)"
            )
        shutil.copytree(self.out, target)
        return target

    def __repr__(self) -> str:
        return f"cadresim.Result({str(self.out)!r})"


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
) -> Result:
    """Run scenarios together (common random numbers) and return their result.

    ``scenario``: a scenario file's path, a built-in name (``"pressure"``; see
    :func:`built_in`), a dict shaped like a scenario file, or a list of them; None runs the
    built-in default set. ``set`` sets parameters by key on every scenario
    (``{"accountability.penalty": 4.0}``). ``seed``, ``replicates``, ``steps`` and
    ``until_settled`` override the scenarios' run settings as the command line's flags do;
    ``threads`` never changes the numbers. ``out``: the result directory (default: a
    temporary one that lives as long as the result); an existing one is refused unless
    ``force``. Raises :class:`CadresimError` with the command line's one-line message.
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
    )
    keep = scratch if out is None else None
    if out is not None:
        scratch.cleanup()
    return Result(directory, warnings, keep)


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
