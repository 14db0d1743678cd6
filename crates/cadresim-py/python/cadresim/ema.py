"""The EMA Workbench on cadresim: a scenario as a Workbench model.

>>> from ema_workbench import perform_experiments
>>> from ema_workbench.analysis import prim
>>> import cadresim.ema
>>> model = cadresim.ema.model("pressure", ["accountability.penalty", "accountability.detection"],
...                            ["mean_innovation", "share_idle"], steps=400, replicates=2)
>>> experiments, outcomes = perform_experiments(model, 100)
>>> box = prim.Prim(experiments[[u.name for u in model.uncertainties]],
...                 outcomes["mean_innovation"] < 0.2, threshold=0.8).find_box()

Uncertainties are cadresim parameter keys, each over its plausible range
(``cadresim.params()``) unless a range is given; the Workbench names them with ``_`` for
``.`` (``accountability_penalty``), since its names are identifiers. Outcomes are metrics:
each the equilibrium mean at ``level`` (a ``ScalarOutcome``) and, with ``series=True``, also
its mean series over replicates (``<metric>_series``, an ``ArrayOutcome`` of one value per
step). Every experiment runs with the same seeds (common random numbers).
"""

from __future__ import annotations

from typing import Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import CadresimError, Scenario, _evaluate, params

__all__ = ["model", "workbench_name"]

Range = Tuple[float, float]


def workbench_name(key: str) -> str:
    """The Workbench's name of a parameter key (``.`` becomes ``_``)."""
    return key.replace(".", "_")


def _uncertainties(keys: Union[Sequence[str], Mapping[str, Range], None]):
    from ema_workbench import IntegerParameter, RealParameter

    table = params().set_index("key")
    if keys is None:
        keys = [k for k in table.index if not np.isnan(table.loc[k, "low"])]
    ranges = keys if isinstance(keys, Mapping) else {k: None for k in keys}
    result = []
    for key, bounds in ranges.items():
        if key not in table.index:
            raise CadresimError(f"`{key}` is not a parameter (see cadresim.params())")
        if bounds is None:
            low, high = table.loc[key, "low"], table.loc[key, "high"]
            if np.isnan(low):
                raise CadresimError(
                    f"`{key}` has no plausible range; give one: {{'{key}': (low, high)}}"
                )
        else:
            low, high = bounds
        if table.loc[key, "allowed"].startswith("an integer"):
            result.append(IntegerParameter(workbench_name(key), int(low), int(high)))
        else:
            result.append(RealParameter(workbench_name(key), float(low), float(high)))
    return result, {workbench_name(k): k for k in ranges}


def model(
    scenario: Scenario,
    uncertainties: Union[Sequence[str], Mapping[str, Range], None] = None,
    outcomes: Sequence[str] = ("mean_innovation",),
    *,
    level: str = "all",
    seed: Optional[int] = 1,
    replicates: Optional[int] = 2,
    steps: Optional[int] = 200,
    series: bool = False,
    name: str = "cadresim",
):
    """An ``ema_workbench.Model`` running ``scenario`` (a path, a built-in name or a dict).

    ``uncertainties``: parameter keys (each over its plausible range), a dict of key ->
    (low, high), or None for every parameter with a plausible range. ``outcomes``: metrics.
    """
    from ema_workbench import ArrayOutcome, Model, ScalarOutcome

    varied, keys = _uncertainties(uncertainties)
    outcomes = list(outcomes)

    def function(**values):
        settings = {keys[n]: (v.item() if hasattr(v, "item") else v) for n, v in values.items()}
        means, paths = _evaluate(
            scenario,
            [settings],
            outcomes,
            level=level,
            seed=seed,
            replicates=replicates,
            steps=steps,
            series=series,
        )
        result = {metric: means[0][i] for i, metric in enumerate(outcomes)}
        if series:
            for i, metric in enumerate(outcomes):
                result[metric + "_series"] = np.asarray(paths[0][i])
        return result

    workbench = Model(name, function=function)
    workbench.uncertainties = varied
    declared = [ScalarOutcome(metric) for metric in outcomes]
    if series:
        declared += [ArrayOutcome(metric + "_series") for metric in outcomes]
    workbench.outcomes = declared
    return workbench
