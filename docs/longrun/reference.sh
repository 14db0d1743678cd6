#!/usr/bin/env bash
# Reference runs for the long-run accuracy table in docs/MODEL.md (section 7.11).
# Each bundled regime runs a fixed number of steps (at least 10 relaxation times), with the
# first half discarded: run.burn_in = steps / 2, run.until_settled = false, 4 replicates,
# timeseries thinned to every 100th step. equilibrium.csv then holds the reference means.
# Usage: docs/longrun/reference.sh OUT_DIR [REGIME:STEPS ...]   (run from the repository root;
# REGIME is a bundled scenario's name, or a path to a scenario file without ".toml")
set -euo pipefail
out=${1:?usage: reference.sh OUT_DIR [REGIME:STEPS ...]}
shift
mkdir -p "$out/scenarios"
for spec in "$@"; do
    regime=${spec%%:*}
    source_file=scenarios/$regime.toml
    [ -f "$source_file" ] || source_file=$regime.toml
    steps=${spec##*:}
    file="$out/scenarios/$(basename "$regime").toml"
    sed -e '/^\(steps\|burn_in\|replicates\) = /d' -e "s/^until_settled = true/until_settled = false\nsteps = $steps\nburn_in = $((steps / 2))\nreplicates = 4/" \
        "$source_file" >"$file"
    printf '\n[output]\nseries_every = 100\n' >>"$file"
    grep -q "^steps = $steps" "$file" || { echo "reference.sh: scenarios/$regime.toml has no until_settled line" >&2; exit 2; }
    "${CADRESIM:-./target/release/cadresim}" run "$file" --out "$out/$(basename "$regime")" --force --threads "${THREADS:-1}"
done
