#!/usr/bin/env python3
"""The long-run accuracy table of docs/MODEL.md (section 7.11): each regime's long-run mean
innovation from `run.until_settled` against a reference run (docs/longrun/reference.sh).

Usage: docs/longrun/accuracy.py RULE_DIR [RULE_DIR ...] --reference REF_DIR
RULE_DIR: result directories of `cadresim run` with run.until_settled (default settings);
REF_DIR: the reference.sh output directory (one result directory per regime).
Standard library only. Prints a Markdown table.
"""
import csv
import sys
from pathlib import Path


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def whole(equilibrium, metric):
    return {r["scenario"]: r for r in equilibrium if r["level"] == "all" and r["metric"] == metric}


def run_lengths(summary):
    lengths = {}
    for r in summary:
        if r["level"] == "all":
            lengths[r["scenario"]] = (int(r["steps"]), r["settled"] == "true")
    return lengths


def reference_steps(scenario):
    for line in scenario.read_text().splitlines():
        if line.startswith("steps = "):
            return int(line.split("=")[1])
    raise SystemExit(f"{scenario}: no steps line")


def main(argv):
    if "--reference" not in argv:
        sys.exit(__doc__)
    split = argv.index("--reference")
    rule_dirs, reference = [Path(p) for p in argv[:split]], Path(argv[split + 1])
    print("| regime | rule: steps (settled) | τ (steps) | rule: mean [95% CI] | reference: steps | reference mean | difference | within max(0.005, 5%) |")
    print("|---|---|---|---|---|---|---|---|")
    for directory in rule_dirs:
        equilibrium = rows(directory / "equilibrium.csv")
        means = whole(equilibrium, "mean_innovation")
        taus = whole(equilibrium, "relaxation_steps")
        lengths = run_lengths(rows(directory / "summary.csv"))
        for name, row in means.items():
            ref_dir = reference / name
            if not (ref_dir / "equilibrium.csv").exists():
                continue
            ref = whole(rows(ref_dir / "equilibrium.csv"), "mean_innovation")[name]
            ref_steps = reference_steps(reference / "scenarios" / f"{name}.toml")
            mean, ref_mean = float(row["mean"]), float(ref["mean"])
            difference = mean - ref_mean
            within = abs(difference) <= max(0.005, 0.05 * abs(ref_mean))
            steps, settled = lengths[name]
            print(
                f"| {name} | {steps:,} ({'yes' if settled else 'no'}) | {taus[name]['mean']} "
                f"| {mean:.3f} [{float(row['ci95_low']):.3f}, {float(row['ci95_high']):.3f}] "
                f"| {ref_steps:,} | {ref_mean:.3f} | {difference:+.3f} ({difference / ref_mean:+.1%}) "
                f"| {'yes' if within else 'no'} |"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
