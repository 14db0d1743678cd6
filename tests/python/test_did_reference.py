"""The estimators of `cadresim did` against the reference software, on the study's own panels.

Given a directory written by `cadresim did SCENARIO --out DIR` (its path in the environment
variable CADRESIM_DID_DIR), read DIR/panel.csv, DIR/att.csv and DIR/pretrend.csv and check,
for the first replicates and every outcome:

* `callaway-santanna` rows (both control groups): ATT(g, t), the dynamic and the simple
  aggregations and their standard errors equal Python `csdid` (Callaway & Sant'Anna,
  `est_method="dr"`, `base_period="varying"`, `bstrap=False`) to 1e-6;
* `twfe`: the coefficient and CRV1 standard error equal pyfixest's
  `feols("y ~ d | unit + period", vcov={"CRV1": "unit"})` to 1e-8 and 1e-6;
* `twfe-event`: every event-time coefficient and standard error equals pyfixest's feols with
  the same relative-time indicators (all e but -1, and the smallest e too when no unit is
  never treated) to 1e-8 and 1e-6;
* `sun-abraham`: equals pyfixest's saturated event study (`event_study(...,
  estimator="saturated")`, CRV1 by unit, and its `aggregate()`: cohort-share weights,
  delta-method standard errors) to 1e-8 and 1e-6;
* `pretrend.csv`: each Wald statistic equals the one computed from the reference
  covariances over the pre-adoption event times reported in att.csv (CS: e <= -1, from the
  csdid influence functions; TWFE and Sun & Abraham: e <= -2, from pyfixest's CRV1
  covariance), with its chi-square p-value.

Differences are relative to max(1, |reference|); pyfixest runs with its defaults (its own
numerical error is about 1e-12 of the outcome's scale). The sample rules are those of
`crates/cadresim-analysis/src/did/estimate.rs` (as R `did`): always-treated units dropped, cohorts after the last step
never treated, and without never-treated units Sun & Abraham use the last cohort as the
comparison with the steps from its adoption on dropped. The directory and the packages
(tests/python/did-requirements.txt: csdid 0.4.3, pyfixest 0.60.0 and the numerical stack)
are required: without them the test fails, it does not skip.
"""

import contextlib
import io
import os
import pathlib
import warnings

import numpy as np
import pandas as pd
import pytest

try:
    import pyfixest as pf
    from csdid.att_gt import ATTgt
    from scipy.stats import chi2
except ImportError as missing:  # fail loudly: these checks are the point of the file
    raise RuntimeError(
        f"test_did_reference needs csdid, pyfixest and scipy ({missing}); "
        "pip install -r tests/python/did-requirements.txt"
    ) from missing

REPLICATES = int(os.environ.get("CADRESIM_DID_REPLICATES", "2"))
ESTIMATE_TOL = {"callaway-santanna": 1e-6, "twfe": 1e-8, "twfe-event": 1e-8, "sun-abraham": 1e-8}
SE_TOL = 1e-6
BASE_COLUMNS = ["replicate", "unit_code", "unit_name", "step", "cohort"]
CONTROLS = {"never-treated": "nevertreated", "not-yet-treated": "notyettreated"}


# ------------------------------------------------------------------------------------------
# The study directory.


@pytest.fixture(scope="module")
def study():
    path = os.environ.get("CADRESIM_DID_DIR")
    if not path:
        pytest.fail("CADRESIM_DID_DIR is not set: point it at a `cadresim did --out DIR` directory")
    root = pathlib.Path(path)
    missing = [f for f in ("panel.csv", "att.csv", "pretrend.csv") if not (root / f).is_file()]
    if missing:
        pytest.fail(f"{root} lacks {', '.join(missing)}: not a `cadresim did` directory")
    panel = pd.read_csv(root / "panel.csv", dtype={"unit_code": str, "unit_name": str})
    att = pd.read_csv(root / "att.csv", dtype={"control": str}, keep_default_na=False, na_values=[""])
    att["control"] = att["control"].fillna("")
    pretrend = pd.read_csv(
        root / "pretrend.csv", dtype={"control": str}, keep_default_na=False, na_values=[""]
    )
    pretrend["control"] = pretrend["control"].fillna("")
    outcomes = [c for c in panel.columns if c not in BASE_COLUMNS and not c.endswith("_counterfactual")]
    replicates = sorted(panel["replicate"].unique())[:REPLICATES]
    if not outcomes or not replicates:
        pytest.fail(f"{root}/panel.csv has no outcome or no replicate")
    return {"panel": panel, "att": att, "pretrend": pretrend, "outcomes": outcomes, "replicates": replicates}


def cases(study):
    for replicate in study["replicates"]:
        for outcome in study["outcomes"]:
            yield replicate, outcome


def long_panel(study, replicate, outcome):
    """One replicate's panel: unit (int), step, cohort (0 = never treated), y."""
    df = study["panel"][study["panel"]["replicate"] == replicate]
    return pd.DataFrame(
        {
            "unit": pd.factorize(df["unit_code"])[0],
            "step": df["step"].astype(int).to_numpy(),
            "cohort": df["cohort"].fillna(0).astype(int).to_numpy(),
            "y": df[outcome].astype(float).to_numpy(),
        }
    )


def sample(df):
    """The module's sample rules: drop always-treated units, recode late cohorts."""
    first, last = df["step"].min(), df["step"].max()
    df = df[~((df["cohort"] > 0) & (df["cohort"] <= first))].copy()
    df.loc[df["cohort"] > last, "cohort"] = 0
    return df


def rows(study, replicate, outcome, estimator, control=""):
    att = study["att"]
    chosen = att[
        (att["replicate"] == replicate)
        & (att["outcome"] == outcome)
        & (att["estimator"] == estimator)
        & (att["control"] == control)
    ]
    return chosen


class Differences:
    """Collects the comparisons and reports every one outside its tolerance."""

    def __init__(self):
        self.compared = 0
        self.failures = []
        self.worst = 0.0

    def check(self, what, mine, reference, tol):
        self.compared += 1
        mine_missing = mine is None or (isinstance(mine, float) and np.isnan(mine))
        ref_missing = reference is None or not np.isfinite(reference)
        if mine_missing or ref_missing:
            if mine_missing != ref_missing:
                self.failures.append(f"{what}: {mine} vs reference {reference}")
            return
        difference = abs(mine - reference) / max(1.0, abs(reference))
        self.worst = max(self.worst, difference)
        if difference > tol:
            self.failures.append(f"{what}: {mine!r} vs reference {reference!r} (relative {difference:.2e})")

    def assert_ok(self, label):
        assert self.compared > 0, f"{label}: nothing was compared"
        message = "\n".join(self.failures[:40])
        assert not self.failures, f"{label}: {len(self.failures)} of {self.compared} differ\n{message}"
        print(f"{label}: {self.compared} comparisons, worst relative difference {self.worst:.2e}")


def se_of(row):
    return None if pd.isna(row["se"]) else float(row["se"])


def wald(estimates, covariance):
    estimates = np.asarray(estimates, float)
    statistic = float(estimates @ np.linalg.solve(covariance, estimates))
    return statistic, chi2.sf(statistic, len(estimates))


# ------------------------------------------------------------------------------------------
# Callaway & Sant'Anna against csdid.

_CSDID = {}


def csdid_fit(study, replicate, outcome, control):
    key = (replicate, outcome, control)
    if key not in _CSDID:
        df = long_panel(study, replicate, outcome)
        # Periods and cohorts shifted by one: csdid codes never treated as 0.
        df["period"] = df["step"] + 1
        df["g"] = np.where(df["cohort"] > 0, df["cohort"] + 1, 0)
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            fit = ATTgt(
                yname="y", tname="period", idname="unit", gname="g", data=df, control_group=CONTROLS[control]
            )
            fit.fit(est_method="dr", base_period="varying", bstrap=False)
            cells = {
                (int(g) - 1, int(t) - 1): (float(a), float(s))
                for g, t, a, s in zip(
                    fit.results["group"],
                    fit.results["year"],
                    fit.results["att"],
                    fit.results["se"],
                    strict=True,
                )
            }
            fit.aggte(typec="dynamic", bstrap=False)
            influence = np.asarray(fit.atte["inf_function"]["dynamic_inf_func_e"])
            events = [int(e) for e in fit.atte["egt"]]
            dynamic = {
                e: (float(a), float(s))
                for e, a, s in zip(events, fit.atte["att_egt"], np.ravel(fit.atte["se_egt"]), strict=True)
            }
            n = influence.shape[0]
            covariance = influence.T @ influence / n**2
            fit.aggte(typec="simple", bstrap=False)
            simple = (float(fit.atte["overall_att"]), float(fit.atte["overall_se"]))
        _CSDID[key] = {
            "cells": cells,
            "dynamic": dynamic,
            "events": events,
            "cov": covariance,
            "simple": simple,
        }
    return _CSDID[key]


def test_callaway_santanna_matches_csdid(study):
    diff = Differences()
    tol = ESTIMATE_TOL["callaway-santanna"]
    for replicate, outcome in cases(study):
        for control in CONTROLS:
            mine = rows(study, replicate, outcome, "callaway-santanna", control)
            if mine.empty:
                continue  # cadresim runs never-treated controls only when there are such units
            ref = csdid_fit(study, replicate, outcome, control)
            for _, row in mine.iterrows():
                label = f"r{replicate} {outcome} {control}"
                if not pd.isna(row["cohort"]):
                    g = int(row["cohort"])
                    t = g + int(row["event_time"])
                    what = f"{label} ATT({g},{t})"
                    reference = ref["cells"].get((g, t))
                elif not pd.isna(row["event_time"]):
                    what = f"{label} dynamic e={int(row['event_time'])}"
                    reference = ref["dynamic"].get(int(row["event_time"]))
                else:
                    what = f"{label} simple"
                    reference = ref["simple"]
                if reference is None:
                    diff.failures.append(f"{what}: csdid has no such estimate")
                    continue
                diff.check(what, float(row["estimate"]), reference[0], tol)
                diff.check(what + " se", se_of(row), reference[1], SE_TOL)
    diff.assert_ok("callaway-santanna vs csdid")


# ------------------------------------------------------------------------------------------
# Two-way fixed effects and Sun & Abraham against pyfixest.


def feols(formula, df):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.feols(formula, data=df, vcov={"CRV1": "unit"})


def test_twfe_matches_pyfixest(study):
    diff = Differences()
    for replicate, outcome in cases(study):
        mine = rows(study, replicate, outcome, "twfe")
        if len(mine) != 1:
            diff.failures.append(f"r{replicate} {outcome}: {len(mine)} twfe rows")
            continue
        df = sample(long_panel(study, replicate, outcome))
        df["d"] = ((df["cohort"] > 0) & (df["step"] >= df["cohort"])).astype(float)
        fit = feols("y ~ d | unit + step", df)
        row = mine.iloc[0]
        diff.check(
            f"r{replicate} {outcome} twfe",
            float(row["estimate"]),
            float(fit.coef()["d"]),
            ESTIMATE_TOL["twfe"],
        )
        diff.check(f"r{replicate} {outcome} twfe se", se_of(row), float(fit.se()["d"]), SE_TOL)
    diff.assert_ok("twfe vs pyfixest")


def event_name(e):
    return f"e_m{-e}" if e < 0 else f"e_{e}"


_EVENT = {}


def twfe_event_fit(study, replicate, outcome):
    key = (replicate, outcome)
    if key not in _EVENT:
        df = sample(long_panel(study, replicate, outcome))
        treated = df["cohort"] > 0
        relative = np.where(treated, df["step"] - df["cohort"], np.iinfo(np.int64).min)
        events = sorted(set(relative[treated.to_numpy()].tolist()) - {-1})
        if not (df["cohort"] == 0).any():
            events = events[1:]
        dummies = {event_name(e): (relative == e).astype(float) for e in events}
        df = pd.concat([df, pd.DataFrame(dummies, index=df.index)], axis=1)
        fit = feols("y ~ " + " + ".join(event_name(e) for e in events) + " | unit + step", df)
        names = list(fit.coef().index)
        _EVENT[key] = {
            "coef": dict(zip(names, fit.coef().to_numpy(), strict=True)),
            "se": dict(zip(names, fit.se().to_numpy(), strict=True)),
            "names": names,
            "vcov": np.asarray(fit._vcov),
        }
    return _EVENT[key]


def test_twfe_event_matches_pyfixest(study):
    diff = Differences()
    for replicate, outcome in cases(study):
        ref = twfe_event_fit(study, replicate, outcome)
        for _, row in rows(study, replicate, outcome, "twfe-event").iterrows():
            e = int(row["event_time"])
            what = f"r{replicate} {outcome} twfe-event e={e}"
            if event_name(e) not in ref["coef"]:
                diff.failures.append(f"{what}: pyfixest has no such coefficient")
                continue
            diff.check(
                what, float(row["estimate"]), float(ref["coef"][event_name(e)]), ESTIMATE_TOL["twfe-event"]
            )
            diff.check(what + " se", se_of(row), float(ref["se"][event_name(e)]), SE_TOL)
    diff.assert_ok("twfe-event vs pyfixest")


_SATURATED = {}


def saturated_fit(study, replicate, outcome):
    """pyfixest's saturated event study: its aggregate() by event time, and the covariance of
    the aggregates, W V W' with W the aggregate()'s cohort-share weights (checked below)."""
    key = (replicate, outcome)
    if key not in _SATURATED:
        df = sample(long_panel(study, replicate, outcome))
        if not (df["cohort"] == 0).any():
            last = df["cohort"].max()
            df = df[df["step"] < last].copy()
            df.loc[df["cohort"] == last, "cohort"] = 0
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            fit = pf.event_study(
                df, yname="y", idname="unit", tname="step", gname="cohort", estimator="saturated"
            )
            aggregate = fit.aggregate()
        terms = pd.Series(fit.coef().index).str.extract(r".+::(?P<e>.+):.+::(?P<g>.+)").astype(float)
        sizes = df[df["step"] == df["step"].min()].groupby("cohort").size()
        events = [int(e) for e in aggregate.index]
        weights = np.zeros((len(events), len(terms)))
        for a, e in enumerate(events):
            mass = np.where(terms["e"] == e, sizes.reindex(terms["g"].astype(int)).to_numpy(), 0.0)
            weights[a] = mass / mass.sum()
        estimates = aggregate["Estimate"].astype(float).to_numpy()
        assert np.allclose(weights @ fit.coef().to_numpy(), estimates, rtol=1e-10, atol=1e-10), (
            "the cohort-share weights differ from pyfixest's aggregate()"
        )
        _SATURATED[key] = {
            "events": events,
            "estimates": estimates,
            "se": aggregate["Std. Error"].astype(float).to_numpy(),
            "cov": weights @ np.asarray(fit._vcov) @ weights.T,
        }
    return _SATURATED[key]


def test_sun_abraham_matches_pyfixest(study):
    diff = Differences()
    for replicate, outcome in cases(study):
        ref = saturated_fit(study, replicate, outcome)
        for _, row in rows(study, replicate, outcome, "sun-abraham").iterrows():
            e = int(row["event_time"])
            what = f"r{replicate} {outcome} sun-abraham e={e}"
            if e not in ref["events"]:
                diff.failures.append(f"{what}: pyfixest has no such aggregate")
                continue
            a = ref["events"].index(e)
            diff.check(what, float(row["estimate"]), float(ref["estimates"][a]), ESTIMATE_TOL["sun-abraham"])
            diff.check(what + " se", se_of(row), float(ref["se"][a]), SE_TOL)
    diff.assert_ok("sun-abraham vs pyfixest")


# ------------------------------------------------------------------------------------------
# Pre-trend Wald tests.


def reference_wald(study, replicate, outcome, estimator, control):
    """The Wald statistic over the pre-adoption event times att.csv reports."""
    mine = rows(study, replicate, outcome, estimator, control)
    aggregate = mine[mine["cohort"].isna() & mine["event_time"].notna()]
    highest = -1 if estimator == "callaway-santanna" else -2
    pre = sorted(int(e) for e in aggregate["event_time"] if e <= highest)
    if not pre:
        return None
    if estimator == "callaway-santanna":
        ref = csdid_fit(study, replicate, outcome, control)
        index = [ref["events"].index(e) for e in pre]
        estimates = [ref["dynamic"][e][0] for e in pre]
        covariance = ref["cov"][np.ix_(index, index)]
    elif estimator == "twfe-event":
        ref = twfe_event_fit(study, replicate, outcome)
        index = [ref["names"].index(event_name(e)) for e in pre]
        estimates = [ref["coef"][event_name(e)] for e in pre]
        covariance = ref["vcov"][np.ix_(index, index)]
    else:
        ref = saturated_fit(study, replicate, outcome)
        index = [ref["events"].index(e) for e in pre]
        estimates = ref["estimates"][index]
        covariance = ref["cov"][np.ix_(index, index)]
    return (*wald(estimates, covariance), len(pre))


def test_pretrend_wald_matches_references(study):
    diff = Differences()
    tests = study["pretrend"]
    for replicate, outcome in cases(study):
        mine = tests[(tests["replicate"] == replicate) & (tests["outcome"] == outcome)]
        for _, row in mine.iterrows():
            estimator, control = row["estimator"], row["control"]
            what = f"r{replicate} {outcome} {estimator} {control} pre-trend"
            reference = reference_wald(study, replicate, outcome, estimator, control)
            if reference is None:
                diff.failures.append(f"{what}: att.csv reports no pre-adoption event time")
                continue
            statistic, p_value, df = reference
            if int(row["df"]) != df:
                diff.failures.append(f"{what}: df {row['df']} vs {df} event times in att.csv")
                continue
            diff.check(what, float(row["statistic"]), statistic, 1e-6)
            diff.check(what + " p", float(row["p_value"]), p_value, 1e-6)
    diff.assert_ok("pre-trend Wald vs references")
