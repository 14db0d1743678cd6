#!/usr/bin/env bash
# Submit a cadresim sweep to SLURM as N shards (one array job) and a merge job that runs when
# every shard has succeeded (--dependency=afterok). Prints both job ids and where the merged
# result will be.
#
#   contrib/slurm/submit.sh FILE N [sbatch options...]
#
# Environment (all optional):
#   CADRESIM          the binary (default: target/release/cadresim, else cadresim on PATH)
#   SWEEP_OUT         the merged sweep (default: output/<name of FILE>)
#   SWEEP_SHARDS_DIR  the shard directories (default: SWEEP_OUT.shards)
#   SWEEP_TASKS       which shards to submit (default: 1-N); e.g. SWEEP_TASKS=3 to resubmit
#                     shard 3 after it was cancelled: it resumes, then the merge runs again
# sbatch options (e.g. --partition=short --cpus-per-task=8 --time=02:00:00) apply to both
# jobs; each shard uses --cpus-per-task threads.
set -euo pipefail

if [ $# -lt 2 ] || ! [[ "$2" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 FILE N [sbatch options...]   (N = number of shards, >= 1)" >&2
    exit 2
fi
file=$1
shards=$2
shift 2
[ -f "$file" ] || { echo "$0: $file: no such sweep file" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${CADRESIM:-}" ]; then
    if [ -x target/release/cadresim ]; then
        CADRESIM=$PWD/target/release/cadresim
    else
        CADRESIM=$(command -v cadresim) || {
            echo "$0: no cadresim binary: build it once (cargo build --release) or set CADRESIM" >&2
            exit 2
        }
    fi
fi
# A word /bin/sh reads back as exactly $1 (single quotes, any bytes, any locale).
sh_quote() {
    local quoted=${1//\'/\'\\\'\'}
    printf "'%s'" "$quoted"
}
# Every argument quoted for /bin/sh, separated by spaces.
sh_words() {
    local word sep=""
    for word in "$@"; do
        printf '%s%s' "$sep" "$(sh_quote "$word")"
        sep=" "
    done
}
name=$(basename "$file" .toml)
out=$(realpath -m "${SWEEP_OUT:-output/$name}")
shards_dir=$(realpath -m "${SWEEP_SHARDS_DIR:-$out.shards}")
tasks=${SWEEP_TASKS:-1-$shards}
mkdir -p "$shards_dir/logs"
binary=$(realpath "$CADRESIM")
# sbatch expands %-patterns in --output: a literal % in the path is written %%.
logs=${shards_dir//%/%%}/logs

# The paths reach the shards through the environment (--export=ALL), never inside
# --export's comma-separated list, which would cut a path holding a comma or a quote.
array=$(CADRESIM=$binary SWEEP_FILE=$(realpath "$file") SWEEP_SHARDS_DIR=$shards_dir \
    SWEEP_SHARD_COUNT=$shards sbatch --parsable \
    --array="$tasks" \
    --job-name="cadresim-$name" \
    --output="$logs/shard-%a.out" \
    --export=ALL \
    "$@" "$here/sweep.sbatch")
array=${array%%;*}

dirs=()
for k in $(seq 1 "$shards"); do
    dirs+=("$shards_dir/shard-$k")
done
# --wrap runs under /bin/sh: the command is quoted for sh, not with bash's printf %q.
merge=$(sbatch --parsable \
    --dependency="afterok:$array" \
    --job-name="cadresim-$name-merge" \
    --output="$logs/merge.out" \
    "$@" \
    --wrap="exec $(sh_words "$binary" merge "${dirs[@]}" --out "$out")")
merge=${merge%%;*}

echo "array job $array: shards $tasks of $shards -> $shards_dir/shard-K"
echo "merge job $merge (after the array succeeds) -> $out"
echo "watch: $(sh_words "$binary" status "${dirs[@]}")"
