"""SALib on cadresim: the Y matrix of a sample in one call.

>>> from SALib import ProblemSpec
>>> import cadresim.salib
>>> sp = ProblemSpec({"names": ["accountability.penalty", "accountability.detection"],
...                   "bounds": [[2, 16], [0.2, 0.8]], "outputs": ["mean_innovation"]})
>>> sp.sample_sobol(64)
>>> sp.set_results(cadresim.salib.evaluate(sp, sp.samples, "ft-scoped", ["mean_innovation"],
...                                          steps=400, replicates=2))
>>> sp.analyze_sobol()

The problem's ``names`` are cadresim parameter keys (``cadresim.params()``); integer
parameters are rounded to whole values. Every row runs with the same seeds (common random
numbers), so differences between rows come from the parameters, not from the streams.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import numpy as np

from . import Scenario, _evaluate, params

__all__ = ["evaluate"]


def _integer_keys() -> set[str]:
    table = params()
    return set(table.loc[table["allowed"].str.startswith("an integer"), "key"])


def evaluate(
    problem: Mapping[str, Any],
    X: Any,
    scenario: Scenario,
    outputs: Sequence[str] = ("mean_innovation",),
    *,
    level: str = "all",
    seed: Optional[int] = 1,
    replicates: Optional[int] = 2,
    steps: Optional[int] = 200,
    threads: Optional[int] = None,
) -> np.ndarray:
    """SALib's Y for the sample ``X`` (one row per sample, one column per name of
    ``problem``): the equilibrium mean of each output at ``level``, shape (N,) for one
    output and (N, len(outputs)) for several, as ``ProblemSpec.set_results`` and
    ``SALib.analyze`` take it."""
    names = list(problem["names"])
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != len(names):
        raise ValueError(
            f"X must have one column per name of the problem ({len(names)}), got shape {X.shape}"
        )
    integers = _integer_keys()
    points = [
        {
            name: (int(round(value)) if name in integers else float(value))
            for name, value in zip(names, row)
        }
        for row in X
    ]
    means, _ = _evaluate(
        scenario,
        points,
        outputs,
        level=level,
        seed=seed,
        replicates=replicates,
        steps=steps,
        threads=threads,
    )
    Y = np.asarray(means, dtype=float).reshape(len(points), len(outputs))
    return Y[:, 0] if len(outputs) == 1 else Y
