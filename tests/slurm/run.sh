#!/usr/bin/env bash
# A sweep through a real single-node SLURM (slurmctld, slurmd and munge from Debian's
# packages, installed when missing): the reduced sweep runs unsharded on this machine, then as
# 4 shards through contrib/slurm/submit.sh with its merge job, then again with one running
# shard cancelled (scancel) and resubmitted (it resumes); each merged result must be
# byte-identical to the unsharded one. Every daemon started is stopped by its PID.
#
# Needs root and apt-get (for the packages) and the release binary (cargo build --release).
# Where it cannot run it says why and fails, unless CADRESIM_SKIP_SLURM=1 makes the skip
# explicit.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
bin=$root/target/release/cadresim
started=$(date +%s)

cannot() {
    if [ "${CADRESIM_SKIP_SLURM:-}" = 1 ]; then
        echo "SLURM test skipped (CADRESIM_SKIP_SLURM=1): $1"
        exit 0
    fi
    echo "tests/slurm/run.sh: cannot run: $1 (set CADRESIM_SKIP_SLURM=1 to skip it explicitly)" >&2
    exit 1
}
fail() {
    echo "tests/slurm/run.sh: FAILED: $1" >&2
    for log in "$scratch"/log/*.log "$scratch"/*/*.shards/logs/*.out; do
        [ -f "$log" ] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }
    done
    exit 1
}

[ -x "$bin" ] || cannot "$bin is missing; run cargo build --release first"
[ "$(id -u)" = 0 ] || cannot "starting SLURM daemons needs root"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
    || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    command -v apt-get >/dev/null || cannot "SLURM is not installed and there is no apt-get"
    echo "installing slurmctld, slurmd, slurm-client and munge from Debian's packages"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        slurmctld slurmd slurm-client munge >/dev/null
fi

scratch=$(mktemp -d /tmp/cadresim-slurm.XXXXXX)
mkdir -p "$scratch"/{state,spool,log}
stop() {
    for pidfile in "$scratch/slurmd.pid" "$scratch/slurmctld.pid" "$scratch/munged.pid"; do
        if [ -s "$pidfile" ]; then
            pid=$(cat "$pidfile")
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$scratch"
}
trap stop EXIT

# munge: a key, a run directory, the daemon as user munge.
if [ ! -s /etc/munge/munge.key ]; then
    mungekey --create --keyfile=/etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
fi
mkdir -p /run/munge
chown munge:munge /run/munge
# munged runs as user munge and writes its PID file where that user may.
munge_pid=/run/munge/cadresim-test-munged.pid
rm -f "$munge_pid"
runuser -u munge -- /usr/sbin/munged --force --pid-file="$munge_pid" || fail "munged did not start"
for _ in $(seq 50); do [ -s "$munge_pid" ] && break; sleep 0.1; done
cp "$munge_pid" "$scratch/munged.pid" || fail "munged wrote no PID file"
munge -n | unmunge >/dev/null || fail "munge does not work"

host=$(hostname -s)
cpus=$(nproc)
memory=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
cat >"$scratch/slurm.conf" <<CONF
ClusterName=cadresim-test
SlurmctldHost=$host(127.0.0.1)
AuthType=auth/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$scratch/state
SlurmdSpoolDir=$scratch/spool
SlurmctldPidFile=$scratch/slurmctld.pid
SlurmdPidFile=$scratch/slurmd.pid
SlurmctldLogFile=$scratch/log/slurmctld.log
SlurmdLogFile=$scratch/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
MailProg=/bin/true
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$scratch/slurm.conf

slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start"
for _ in $(seq 100); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.1; done
scontrol ping | grep -q UP || fail "slurmctld does not answer"
slurmd -f "$SLURM_CONF" || fail "slurmd did not start"
for _ in $(seq 100); do
    state=$(sinfo -h -N -o %T 2>/dev/null | head -n 1)
    case "$state" in
        idle*) break ;;
        drain* | down*) scontrol update NodeName="$host" State=RESUME || true ;;
    esac
    sleep 0.2
done
sinfo -h -N -o %T | grep -q idle || fail "the node is not idle: $(sinfo -h -N -o %T)"

# The reduced sweep: 12 penalties x 2 tolerance settings, 4 replicates, 300 steps (the
# bundled regime runs until settled, for thousands of steps; here its length is fixed).
sed 's/^until_settled = true$/until_settled = false/' "$root/scenarios/pressure.toml" >"$scratch/pressure.toml"
grep -q '^until_settled = false$' "$scratch/pressure.toml" || fail "scenarios/pressure.toml no longer sets until_settled"
cat >"$scratch/curve.toml" <<SWEEP
base = "$scratch/pressure.toml"

[run]
steps = 300
burn_in = 150

[sweep]
design = "grid"
replicates = 4

[[sweep.axis]]
param = "accountability.penalty"
from = 0.5
to = 16.0
steps = 12
scale = "log"

[[sweep.axis]]
name = "tolerance"
variants = { off = { "fault_tolerance.enabled" = false }, scoped = { "fault_tolerance.enabled" = true, "fault_tolerance.scope" = ["exploratory"] } }
SWEEP
tables="points.csv sweep.csv sweep_summary.csv"
"$bin" sweep "$scratch/curve.toml" --out "$scratch/reference" >/dev/null

# Wait until job $1 has left the queue (at most $2 seconds).
wait_for() {
    for _ in $(seq $(($2 * 5))); do
        [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0
        sleep 0.2
    done
    fail "job $1 still queued after $2 s"
}
compare() {
    [ -f "$1/manifest.json" ] || fail "$1 has no manifest: the merge did not finish"
    for table in $tables; do
        cmp -s "$scratch/reference/$table" "$1/$table" || fail "$1/$table differs from the unsharded run"
    done
}
job_of() { sed -n "s/^$1 job \([0-9]*\).*/\1/p"; }

# 1. Four shards and the merge job.
submitted=$(SWEEP_OUT="$scratch/first/curve" CADRESIM="$bin" contrib/slurm/submit.sh "$scratch/curve.toml" 4)
merge=$(echo "$submitted" | job_of merge)
wait_for "$merge" 120
compare "$scratch/first/curve"

# 2. Again, with shard 2 cancelled while it runs, then resubmitted: it resumes.
submitted=$(SWEEP_OUT="$scratch/second/curve" CADRESIM="$bin" contrib/slurm/submit.sh "$scratch/curve.toml" 4)
array=$(echo "$submitted" | job_of array)
merge=$(echo "$submitted" | job_of merge)
# Cancel shard 2 as soon as it has committed its first point.
parts=$scratch/second/curve.shards/shard-2/parts
for _ in $(seq 600); do
    [ -n "$(ls "$parts" 2>/dev/null)" ] && break
    sleep 0.05
done
[ "$(squeue -h -j "${array}_2" -o %T)" = RUNNING ] || fail "shard 2 was not running"
scancel "${array}_2"
scancel "$merge" 2>/dev/null || true
wait_for "$array" 120
code=0
report=$("$bin" status "$scratch"/second/curve.shards/shard-{1,2,3,4}) || code=$?
[ "$code" = 3 ] && echo "$report" | grep -q "not mergeable" \
    || fail "status calls the shards mergeable with shard 2 cancelled (exit $code)"
resubmitted=$(SWEEP_TASKS=2 SWEEP_OUT="$scratch/second/curve" CADRESIM="$bin" \
    contrib/slurm/submit.sh "$scratch/curve.toml" 4)
wait_for "$(echo "$resubmitted" | job_of merge)" 120
compare "$scratch/second/curve"
resumed=$(sed -n 's/.*run now, \([0-9]*\) already done.*/\1/p' "$scratch/second/curve.shards/logs/shard-2.out")
[ -n "$resumed" ] && [ "$resumed" -ge 1 ] && [ "$resumed" -le 5 ] \
    || fail "the resubmitted shard 2 did not resume a partly done shard (already done: ${resumed:-?} of 6)"
"$bin" status "$scratch"/second/curve.shards/shard-{1,2,3,4} | grep -q "^mergeable:" \
    || fail "status does not call the finished shards mergeable"

echo "SLURM test passed in $(($(date +%s) - started)) s: a 24-point sweep as 4 shards through SLURM (sbatch array + merge job), and again with shard 2 cancelled after $resumed of its 6 points and resubmitted (it resumed); $tables byte-identical to the unsharded run each time"
