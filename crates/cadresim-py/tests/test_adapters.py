"""`cadresim.evaluate` and the adapters for SALib and the EMA Workbench: their numbers are
the command line's for the same settings, exactly, and the tools' own analyses run on them.
Run by tests/python/run.sh (which installs SALib and the EMA Workbench)."""

import numpy as np
import pandas as pd
import pytest

import cadresim
import cadresim.ema
import cadresim.salib

SETTINGS = dict(steps=40, replicates=2, seed=3)


def run_mean(scenario, settings, metric, level="all"):
    """The equilibrium mean `cadresim.run` (the command line's study) reports."""
    table = cadresim.run(scenario, set=settings, **SETTINGS).equilibrium
    row = table[(table.level == level) & (table.metric == metric)]
    return float(row["mean"].iloc[0])


def test_evaluate_gives_the_run_equilibrium_exactly():
    points = [{"accountability.penalty": 4.0}, {"accountability.penalty": 12.0, "cadres.turnover": 0.05}]
    table = cadresim.evaluate("ft-scoped", points, ["mean_innovation", "welfare"], **SETTINGS)
    assert list(table.columns) == ["accountability.penalty", "cadres.turnover", "mean_innovation", "welfare"]
    for index, point in enumerate(points):
        for metric in ["mean_innovation", "welfare"]:
            assert table[metric][index] == run_mean("ft-scoped", point, metric)
    county = cadresim.evaluate("ft-scoped", points[:1], ["share_idle"], level="county", **SETTINGS)
    assert county["share_idle"][0] == run_mean("ft-scoped", points[0], "share_idle", "county")


def test_evaluate_refuses_what_the_command_line_refuses():
    with pytest.raises(cadresim.CadresimError, match="accountability.penalty` must be a number in"):
        cadresim.evaluate("pressure", [{"accountability.penalty": -1.0}], **SETTINGS)
    with pytest.raises(cadresim.CadresimError, match="`innovation` is not a metric"):
        cadresim.evaluate("pressure", [{}], ["innovation"], **SETTINGS)
    with pytest.raises(cadresim.CadresimError, match="`district` is not a level"):
        cadresim.evaluate("pressure", [{}], level="district", **SETTINGS)


def test_salib_gets_its_y_matrix_in_one_call_and_analyses_it():
    from SALib import ProblemSpec

    spec = ProblemSpec({
        "names": ["accountability.penalty", "accountability.detection"],
        "bounds": [[2.0, 16.0], [0.2, 0.8]],
        "outputs": ["mean_innovation", "welfare"],
    })
    spec.sample_sobol(4, calc_second_order=False, seed=1)
    Y = cadresim.salib.evaluate(spec, spec.samples, "pressure", ["mean_innovation", "welfare"], **SETTINGS)
    assert Y.shape == (len(spec.samples), 2)
    first = dict(zip(spec["names"], map(float, spec.samples[0])))
    assert Y[0, 1] == run_mean("pressure", first, "welfare")
    spec.set_results(Y)
    spec.analyze_sobol(calc_second_order=False, seed=1)
    assert set(spec.analysis) == {"mean_innovation", "welfare"}
    one = cadresim.salib.evaluate(spec, spec.samples[:3], "pressure", ["mean_innovation"], **SETTINGS)
    assert one.shape == (3,) and one[0] == Y[0, 0]


def test_the_workbench_runs_experiments_and_prim_on_a_cadresim_model():
    from ema_workbench import perform_experiments
    from ema_workbench.analysis import prim

    model = cadresim.ema.model(
        "pressure",
        ["accountability.penalty", "accountability.detection"],
        ["mean_innovation", "share_idle"],
        series=True,
        **SETTINGS,
    )
    assert [u.name for u in model.uncertainties] == ["accountability_penalty", "accountability_detection"]
    experiments, outcomes = perform_experiments(model, 8)
    assert outcomes["mean_innovation"].shape == (8,)
    assert outcomes["mean_innovation_series"].shape == (8, 40)
    first = {
        "accountability.penalty": float(experiments["accountability_penalty"][0]),
        "accountability.detection": float(experiments["accountability_detection"][0]),
    }
    assert outcomes["share_idle"][0] == run_mean("pressure", first, "share_idle")
    names = ["accountability_penalty", "accountability_detection"]
    low = outcomes["mean_innovation"] < np.median(outcomes["mean_innovation"])
    box = prim.Prim(experiments[names], low, threshold=0.5).find_box()
    assert box is not None
    ranged = cadresim.ema.model("pressure", {"accountability.penalty": (1.0, 4.0)}, **SETTINGS)
    assert (ranged.uncertainties["accountability_penalty"].lower_bound, ranged.uncertainties["accountability_penalty"].upper_bound) == (1.0, 4.0)
    with pytest.raises(cadresim.CadresimError, match="no plausible range"):
        cadresim.ema.model("pressure", ["run.steps"])
