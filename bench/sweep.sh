#!/usr/bin/env bash
# bench/sweep.sh: what `sweep --jobs` buys (issue 13's row of `make
# bench`): a grid of 24 iris runs (4 learning rates x 3 widths x 2
# repeats, the shipped config's 50 epochs each) swept with the default
# scheduling (small networks: one run per core, one thread each) and with
# --jobs 1 --threads 1, alternately in each round, into fresh folders.
# Prints a Markdown table of the medians and their ratio, and checks that
# both sweeps left byte-identical weights (results do not depend on
# --jobs). Target (issue 13): the default at least 1.8x faster on 2 cores.
#
#   bench/sweep.sh BACKPROP RESULTS_DIR
#
# Environment: BENCH_RUNS rounds [3, at least 5 here: one sweep is
# a fraction of a second].
set -euo pipefail
BP=$1 RES=$2
RUNS=${BENCH_RUNS:-3}
[ "$RUNS" -ge 5 ] || RUNS=5
mkdir -p "$RES"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
GRID=(--grid training.learning_rate=0.005,0.01,0.02,0.05
      --grid layers.0.units=8,16,32 --repeat 2)

now() { date +%s.%N; }
sweep_seconds() { # DIR ARGS...
    local dir=$1 t0 t1
    shift
    rm -rf "$dir"
    t0=$(now)
    "$BP" sweep configs/iris.json "${GRID[@]}" -o "$dir" --quiet "$@" >/dev/null
    t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}

: >"$RES/sweep-default.txt"
: >"$RES/sweep-serial.txt"
for r in $(seq 1 "$RUNS"); do
    sweep_seconds "$WORK/default" >>"$RES/sweep-default.txt"
    sweep_seconds "$WORK/serial" --jobs 1 --threads 1 >>"$RES/sweep-serial.txt"
done
same=yes
for w in "$WORK"/default/p*/weights.json; do
    cmp -s "$w" "$WORK/serial/${w#"$WORK"/default/}" || same=no
done

median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
d=$(median "$RES/sweep-default.txt")
s=$(median "$RES/sweep-serial.txt")
cores=$(nproc)
echo "| sweep of 24 iris runs (median of $RUNS, $cores cores) | seconds | speedup |"
echo "|---|---|---|"
echo "| \`--jobs 1 --threads 1\` | $s | 1.00x |"
awk -v d="$d" -v s="$s" -v c="$cores" 'BEGIN {
    printf "| default (%d at a time, 1 thread each) | %s | %.2fx |\n", c, d, s / d }'
echo
echo "Weights of every run identical between the two: $same."
