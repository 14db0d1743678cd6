"""Reference values from SALib for tests/sensitivity.rs.

Regenerate with `python3 make_reference.py` in this directory (needs `pip install SALib`).
Writes sobol.csv (indices of an output given by an integer formula, in Saltelli's layout)
and morris.csv (a SALib Morris sample, its outputs and SALib's statistics).
"""
import csv
import importlib.metadata

import numpy as np
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample


def sobol_output(rows):
    # Exact in binary floating point in any language: an integer formula over 1009.
    return np.array([((i * 7919 + 13) % 1009) / 1009.0 + (0.5 if i % 3 == 1 else 0.0)
                     for i in range(rows)])


def sobol_reference(writer):
    for second_order in (False, True):
        factors, base_rows = 4, 64
        block = 2 * factors + 2 if second_order else factors + 2
        y = sobol_output(base_rows * block)
        names = [f"x{j}" for j in range(factors)]
        problem = {"num_vars": factors, "names": names, "bounds": [[0, 1]] * factors}
        si = sobol_analyze.analyze(problem, y, calc_second_order=second_order,
                                   num_resamples=10, seed=1)
        for j in range(factors):
            writer.writerow(["sobol", second_order, names[j], "S1", repr(float(si["S1"][j]))])
            writer.writerow(["sobol", second_order, names[j], "ST", repr(float(si["ST"][j]))])
        if second_order:
            for j in range(factors):
                for k in range(j + 1, factors):
                    writer.writerow(["sobol", second_order, f"x{j}|x{k}", "S2",
                                     repr(float(si["S2"][j, k]))])


def morris_reference():
    factors = 3
    problem = {"num_vars": factors, "names": ["x0", "x1", "x2"], "bounds": [[0, 1]] * factors}
    x = morris_sample.sample(problem, 12, num_levels=4, seed=3)
    y = x[:, 0] + 2.0 * x[:, 1] ** 2 - 4.0 * x[:, 0] * x[:, 2]
    si = morris_analyze.analyze(problem, x, y, num_levels=4, num_resamples=10, seed=1)
    with open("morris_sample.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["x0", "x1", "x2", "y"])
        for row, value in zip(x, y):
            writer.writerow([repr(float(v)) for v in row] + [repr(float(value))])
    return si


def main():
    version = importlib.metadata.version("SALib")
    with open("sobol.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["method", "second_order", "parameter", "index", "salib"])
        sobol_reference(writer)
    si = morris_reference()
    with open("morris.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["parameter", "mu", "mu_star", "sigma"])
        for j, name in enumerate(si["names"]):
            writer.writerow([name, repr(float(si["mu"][j])), repr(float(si["mu_star"][j])),
                             repr(float(si["sigma"][j]))])
    with open("VERSION", "w") as f:
        f.write(f"SALib {version}, numpy {np.__version__}\n")


main()
