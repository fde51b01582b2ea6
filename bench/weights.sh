#!/usr/bin/env bash
# bench/weights.sh: weights files at the speed of the training they record
# (issue 14 item 6): MB/s of backprop's read and write of a 784-1024-1024-10
# weights file with its momentum state (1.86M parameters, 56 MB), against
# Python's json.load and json.dump of the same file. Prints a Markdown
# table.
#
#   bench/weights.sh BACKPROP RESULTS_DIR
#
# The file is made once (RESULTS_DIR/../weights/): one seeded epoch of SGD
# with momentum on 8,192 synthetic rows (a 784-pixel, 10-class CSV from a
# seeded generator). bench/weights_io.c, built here against
# build/libbackprop.a, times the read (config_load: what info, predict and
# a resume do), the text (weights_to_json) and the write (weights_save:
# the text and its atomic, fsync'ed replacement of the file), medians of
# BENCH_RUNS [5] rounds, and checks that what it wrote reads back bit for
# bit and byte for byte. MB/s are of that one file's size (10^6 bytes);
# Python writes its own text (doubles' repr, no indentation, no fsync),
# timed against the same size. The disk's own pace (dd conv=fsync of the
# file) bounds the fsync'ed write. Target: read and write at 200 MB/s or
# more.
set -euo pipefail
BP=$1 RES=$2
RUNS=${BENCH_RUNS:-5}
[ "$RUNS" -ge 3 ] || RUNS=3
PY=${PY:-python3}
CC=${CC:-cc}
DIR=$(dirname "$RES")/weights
mkdir -p "$DIR" "$RES"

say() { echo "bench: $*" >&2; }

make --no-print-directory -s build/libbackprop.a
$CC -std=c11 -D_XOPEN_SOURCE=700 -O2 -fopenmp -Wall -Wextra -Iinclude \
    $(pkg-config --cflags libcjson) -o "$DIR/weights_io" bench/weights_io.c \
    build/libbackprop.a $(pkg-config --libs libcjson) -lcsv -lm

W=$DIR/784-1024-1024-10.weights.json
if [ ! -s "$W" ]; then
    say "weights: training one epoch of 784-1024-1024-10 for the file"
    $PY - "$DIR/synthetic.csv" <<'EOF'
import random, sys
rng = random.Random(1)
with open(sys.argv[1], "w") as f:
    f.write("label," + ",".join("p%d" % i for i in range(784)) + "\n")
    for _ in range(8192):
        f.write("%d,%s\n" % (rng.randrange(10), ",".join(
            str(rng.randrange(256)) for _ in range(784))))
EOF
    cat > "$DIR/784-1024-1024-10.json" <<'EOF'
{
  "input": 784,
  "layers": [
    {"units": 1024, "activation": "relu"},
    {"units": 1024, "activation": "relu"},
    {"units": 10, "activation": "softmax"}
  ],
  "loss": "cross_entropy",
  "init": {"method": "he", "seed": 1},
  "training": {"optimizer": "sgd", "learning_rate": 0.01, "momentum": 0.9,
               "batch_size": 128, "epochs": 1, "seed": 1},
  "data": {"train": "synthetic.csv", "header": true, "label": "label",
           "normalize": {"scale": 0.00392156862745098}}
}
EOF
    "$BP" train "$DIR/784-1024-1024-10.json" -o "$W" --quiet
fi

kv() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

say "weights: backprop's read and write, $RUNS rounds"
bp=$("$DIR/weights_io" "$W" "$DIR/rewritten.weights.json" "$RUNS")
say "weights: Python's json.load and json.dump, $RUNS rounds"
py=$($PY - "$W" "$DIR/python.json" "$RUNS" <<'EOF'
import json, os, statistics, sys, time
src, dst, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
mb = os.path.getsize(src) / 1e6
load, dump = [], []
for _ in range(runs):
    t = time.perf_counter()
    with open(src) as f:
        d = json.load(f)
    load.append(time.perf_counter() - t)
    t = time.perf_counter()
    with open(dst, "w") as f:
        json.dump(d, f)
    dump.append(time.perf_counter() - t)
    del d
print("py_read_mbs=%.0f py_write_mbs=%.0f"
      % (mb / statistics.median(load), mb / statistics.median(dump)))
EOF
)
rm -f "$DIR/python.json"
# The disk's floor for an fsync'ed write of the same bytes: dd, as the
# write's rename-and-fsync path would see it.
say "weights: the disk (dd conv=fsync of the same bytes), $RUNS rounds"
dd_mbs=$(for r in $(seq 1 "$RUNS"); do
    s=$(date +%s.%N)
    dd if="$W" of="$DIR/dd.tmp" bs=4M conv=fsync 2>/dev/null
    e=$(date +%s.%N)
    awk "BEGIN { print $(kv "$bp" bytes) / 1e6 / ($e - $s) }"
done | sort -n | awk '{ v[NR] = $1 } END { printf "%.0f", v[int((NR + 1) / 2)] }')
rm -f "$DIR/dd.tmp"
mb=$(awk "BEGIN { printf \"%.1f\", $(kv "$bp" bytes) / 1e6 }")
echo "784-1024-1024-10 with momentum: $(kv "$bp" params) parameters, a $mb MB file; medians of $RUNS; reads back bit-exactly: $(kv "$bp" exact)."
echo
echo "| | read MB/s | write MB/s |"
echo "|---|---:|---:|"
echo "| backprop, wall clock (write: atomic, fsync'ed) | $(kv "$bp" read_mbs) | $(kv "$bp" write_mbs) |"
echo "| backprop, CPU time | $(kv "$bp" read_cpu_mbs) | $(kv "$bp" write_cpu_mbs) |"
echo "| backprop, the text alone (weights_to_json) | | $(kv "$bp" text_mbs) |"
echo "| Python json.load / json.dump | $(kv "$py" py_read_mbs) | $(kv "$py" py_write_mbs) |"
echo "| the disk: dd conv=fsync of the file (the write's floor) | | $dd_mbs |"
echo "| target (issue 14) | 200 | 200 |"
