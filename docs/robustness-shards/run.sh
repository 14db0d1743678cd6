#!/bin/bash
# Run robustness shards FROM..TO of 63 (default: all) one after another, from the checkout's
# root, keeping every finished half in docs/robustness-shards/shard-K (lock, manifest, parts).
# A shard already kept with both halves is skipped; one kept with only its uniform half (or
# left unfinished in output/) continues with --resume. Set CADRESIM to use another binary.
#   docs/robustness-shards/run.sh 10 20
set -euo pipefail
cd "$(dirname "$0")/../.."
CADRESIM=${CADRESIM:-./target/release/cadresim}
POSTERIOR_SHA256=706ec090ea42276bfe31a509cc7ddf02a276c63055d0b977064d834dcaffffd0
kept=docs/robustness-shards
if ! echo "$POSTERIOR_SHA256  output/china/posterior.csv" | sha256sum --check --status 2>/dev/null; then
  [ -e output/china ] && { echo "output/china holds another calibration; move it away" >&2; exit 2; }
  "$CADRESIM" calibrate scenarios/calibration/china.toml --out output/china
  echo "$POSTERIOR_SHA256  output/china/posterior.csv" | sha256sum --check --quiet
fi
for k in $(seq "${1:-1}" "${2:-63}"); do
  [ -f $kept/shard-$k/robustness-posterior/manifest.json ] && continue
  out=output/robustness.shards/shard-$k
  if [ -d $kept/shard-$k ] && [ ! -d $out ]; then
    mkdir -p output/robustness.shards && cp -r $kept/shard-$k $out
  fi
  echo "shard $k: started $(date -u +%H:%M:%S)"
  "$CADRESIM" reproduce --robustness 630 --shard "$k/63" --posterior output/china \
    --out "$out" --resume --mixed-versions
  for half in robustness robustness-posterior; do
    mkdir -p $kept/shard-$k/$half/parts
    cp $out/reproduce.lock.json $kept/shard-$k/
    cp $out/$half/robustness.lock.json $out/$half/manifest.json $kept/shard-$k/$half/
    cp $out/$half/parts/sample-*.csv $kept/shard-$k/$half/parts/
  done
  echo "shard $k: finished $(date -u +%H:%M:%S)"
done
