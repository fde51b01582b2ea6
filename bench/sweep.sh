#!/usr/bin/env bash
# bench/sweep.sh: what `sweep --jobs` buys (issue 13's row of `make
# bench`): a grid of 24 iris runs (4 learning rates x 3 widths x 2
# repeats, the shipped config's 50 epochs each) swept with the default
# scheduling (small networks: one worker per core, one thread each) and
# with --jobs 1 --threads 1, alternately in each round, each into a fresh
# folder. Prints a Markdown table of the medians and their ratio, and
# checks that every sweep left byte-identical weights (results do not
# depend on --jobs). Target (issue 13): the default at least 1.8x faster
# on 2 cores.
#
# Beside them, in the same rounds, the machine's own ceiling for that
# speedup: the same 24 runs as two independent `--jobs 1` sweeps of 12
# (each half of the learning rates), started together, one on each of
# two cores (taskset), timed from the start of both to the end of both.
# Nothing is shared between them, so what they lose against one core's
# 24 runs is what two busy cores lose on this machine (a shared host's
# caches, clocks and neighbours), not the scheduling's doing.
#
# It measures in two places:
#   memory  a folder on tmpfs (/dev/shm), where a file costs no disk
#           wait: what the scheduling itself buys (the target's row);
#   disk    the bench's temporary folder ($TMPDIR or /tmp), where each
#           run's weights are fsync'ed (SPEC section 4) and the file
#           system's state shows (below).
# A run is about 2 ms here, so the disk's share is large. Each sweep goes
# to a folder of its own, none deleted until the end: an ext4 without a
# journal skips recently deleted inodes when it makes a new one, a scan
# that grows with every file deleted in the last seconds to minutes, so a
# sweep made right after `rm -rf` of the last one's 120 files measures
# that scan (perf: __ext4_new_inode > recently_deleted).
#
#   bench/sweep.sh BACKPROP RESULTS_DIR
#
# Environment: BENCH_RUNS rounds [3, at least 9 here: one sweep is a few
# hundredths of a second, and a shared machine's speed drifts].
set -euo pipefail
BP=$1 RES=$2
RUNS=${BENCH_RUNS:-3}
[ "$RUNS" -ge 9 ] || RUNS=9
mkdir -p "$RES"
DISK=$(mktemp -d)
MEM=
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    MEM=$(mktemp -d /dev/shm/backprop-bench.XXXXXX)
fi
trap 'rm -rf "$DISK" ${MEM:+"$MEM"}' EXIT
GRID=(--grid training.learning_rate=0.005,0.01,0.02,0.05
      --grid layers.0.units=8,16,32 --repeat 2)

# bash's own clock: a `date` process would add its start-up (about a
# millisecond, a twentieth of a sweep) to every time.
sweep_seconds() { # DIR ARGS...
    local dir=$1 t0 t1
    shift
    t0=$EPOCHREALTIME
    "$BP" sweep configs/iris.json "${GRID[@]}" -o "$dir" --quiet "$@" >/dev/null
    t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}
# The ceiling's round: two halves of the grid side by side.
pair_seconds() { # DIR
    local dir=$1 t0 t1
    t0=$EPOCHREALTIME
    taskset -c "${CPUS[0]}" "$BP" sweep configs/iris.json \
        --grid training.learning_rate=0.005,0.01 "${GRID[@]:2}" \
        -o "$dir-a" --quiet --jobs 1 --threads 1 >/dev/null &
    taskset -c "${CPUS[1]}" "$BP" sweep configs/iris.json \
        --grid training.learning_rate=0.02,0.05 "${GRID[@]:2}" \
        -o "$dir-b" --quiet --jobs 1 --threads 1 >/dev/null
    wait
    t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}
# The first two CPUs this process may run on (none: no ceiling row).
mapfile -t CPUS < <(taskset -pc $$ 2>/dev/null | sed 's/.*: //' | tr ',' '\n' |
    awk -F- '{ for (c = $1; c <= ($2 == "" ? $1 : $2); c++) print c }' | head -n 2)
median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

same=yes
rows=()
for place in memory disk; do
    root=$DISK
    if [ "$place" = memory ]; then
        [ -n "$MEM" ] || continue
        root=$MEM
    fi
    : >"$RES/sweep-$place-default.txt"
    : >"$RES/sweep-$place-serial.txt"
    : >"$RES/sweep-$place-pair.txt"
    for r in $(seq 1 "$RUNS"); do
        sweep_seconds "$root/default-$r" >>"$RES/sweep-$place-default.txt"
        sweep_seconds "$root/serial-$r" --jobs 1 --threads 1 \
            >>"$RES/sweep-$place-serial.txt"
        if [ "${#CPUS[@]}" -ge 2 ]; then
            pair_seconds "$root/pair-$r" >>"$RES/sweep-$place-pair.txt"
        fi
    done
    for w in "$root"/default-1/p*/weights.json; do
        for r in $(seq 1 "$RUNS"); do
            for kind in default serial; do
                cmp -s "$w" "$root/$kind-$r/${w#"$root"/default-1/}" ||
                    same=no
            done
        done
    done
    d=$(median "$RES/sweep-$place-default.txt")
    s=$(median "$RES/sweep-$place-serial.txt")
    c=$(median "$RES/sweep-$place-pair.txt")
    rows+=("$(awk -v p="$place" -v d="$d" -v s="$s" -v c="${c:-0}" 'BEGIN {
        printf "| %s | %.4f | %.4f | %.2fx |", p, s, d, s / d
        if (c > 0) printf " %.4f | %.2fx | %.0f%% |", c, s / c, 100 * c / d
        else printf " - | - | - |" }')")
done
echo "| sweep of 24 iris runs (median of $RUNS, $(nproc) cores): folders in | \`--jobs 1 --threads 1\` (s) | default: $(nproc) at a time, 1 thread each (s) | speedup | ceiling: two independent \`--jobs 1\` sweeps of 12, one per core (s) | the ceiling's speedup | default's share of the ceiling |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "Weights of every run identical across all these sweeps: $same."
