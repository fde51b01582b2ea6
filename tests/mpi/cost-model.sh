#!/usr/bin/env bash
# cost-model.sh BACKPROP_MPI [RUNS]: time per step of the Fashion-MNIST
# network (784-256-128-10, batch 64) split into compute and communication,
# for 1, 2 and 4 ranks on this machine, as medians over RUNS runs (default
# 5) of 3 epochs on 3200 synthetic rows (50 steps an epoch). Prints a
# Markdown table for docs/mpi.md. Not part of `make check`: it asserts
# nothing and takes a minute.
#
# N = 1 is the plain program (no messages): its step time is the epoch time
# over the steps. For N > 1 rank 0's --log splits each epoch into
# compute_seconds (forward, backward, update) and comm_seconds (the
# all-reduce, including waiting for slower ranks).
set -u
BP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
RUNS=${2:-5}
cd "$(dirname "$0")/../.." || exit 2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
sh tests/mpi/make-fashion-like.sh 3200 >"$T/data.csv"
MPIRUN=(mpirun --allow-run-as-root --oversubscribe)
export OMPI_MCA_mpi_yield_when_idle=1
STEPS=50
common=(train tests/mpi/fashion-like.json --data "$T/data.csv" --epochs 3
        --set data.validation_split=0 --quiet -o "$T/w.json")

median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# field NAME LOGFILE: the values of one key, one per epoch.
field() { grep -o "\"$1\":[0-9.e+-]*" "$2" | cut -d: -f2; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| ranks | threads/rank | step ms (median) | compute ms | comm ms | comm share | bytes sent/rank/step |\n'
printf '|---|---|---|---|---|---|---|\n'
for cfg in "1 1" "1 2" "2 1" "4 1"; do
    set -- $cfg
    n=$1 threads=$2
    : >"$T/step" ; : >"$T/compute" ; : >"$T/comm"
    bytes=0
    for r in $(seq "$RUNS"); do
        rm -f "$T/log"
        if [ "$n" -eq 1 ]; then
            "$BP" "${common[@]}" --threads "$threads" --log "$T/log"
            field seconds "$T/log" | awk -v s=$STEPS '{ print 1000 * $1 / s }' >>"$T/step"
        else
            "${MPIRUN[@]}" -np "$n" "$BP" "${common[@]}" --threads "$threads" \
                --log "$T/log"
            field compute_seconds "$T/log" | awk -v s=$STEPS '{ print 1000 * $1 / s }' >>"$T/compute"
            field comm_seconds "$T/log" | awk -v s=$STEPS '{ print 1000 * $1 / s }' >>"$T/comm"
            paste -d' ' <(field compute_seconds "$T/log") <(field comm_seconds "$T/log") |
                awk -v s=$STEPS '{ print 1000 * ($1 + $2) / s }' >>"$T/step"
            bytes=$(field message_bytes_per_step "$T/log" | head -1)
        fi
    done
    step=$(median <"$T/step")
    if [ "$n" -eq 1 ]; then
        printf '| 1 | %s | %.2f | %.2f | 0 | 0%% | 0 |\n' "$threads" "$step" "$step"
    else
        compute=$(median <"$T/compute")
        comm=$(median <"$T/comm")
        printf '| %s | %s | %.2f | %.2f | %.2f | %.0f%% | %s |\n' "$n" "$threads" \
            "$step" "$compute" "$comm" "$(echo "100 * $comm / $step" | bc -l)" "$bytes"
    fi
done
# The all-reduce alone, the ranks lined up first: transfer without waiting.
bench=$(dirname "$BP")/allreduce_bench
if [ -x "$bench" ]; then
    for n in 2 4; do
        "${MPIRUN[@]}" -np "$n" "$bench" 235212 300
    done
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
