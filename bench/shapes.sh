#!/usr/bin/env bash
# bench/shapes.sh: backprop against PyTorch across the shapes people train
# (issue 14's table): tiny, small, the bench shape, wide layers, a deep
# tanh stack, batch 1, batch 1024, a sigmoid regression. Each shape trains
# with SGD + momentum on a synthetic CSV made once from a fixed seed, the
# same rows for both programs, at each thread count; the runs of one round
# are interleaved (backprop, PyTorch, backprop, ...) so that other load on
# the machine hits both alike. Prints a Markdown table on stdout; the raw
# results go to RESULTS_DIR/shapes-*. bench/README.md says what every
# number means.
#
#   bench/shapes.sh BACKPROP RESULTS_DIR [FMA_PEAK_FILE]
#
# FMA_PEAK_FILE: bench/fma_peak's output (bench/run.sh passes the one it
# measured); without it the peak is measured here.
#
# Environment (defaults in brackets):
#   BENCH_RUNS           rounds; medians are reported [3; quick 1]
#   BENCH_QUICK=1        the quick rows below and fewer epochs
#   BENCH_SHAPES_EPOCHS  epochs per training run, the first not timed [4; quick 3]
#   BENCH_THREADS        thread counts compared ["1 2"]
#   BENCH_SHAPES         the names (first column below) of the shapes to
#                        run, space-separated, or their tags (a name with
#                        a space: 256-_6x256_tanh_-10) [all]
set -euo pipefail
BP=$1 RES=$2 PEAK_FILE=${3:-}
cd "$(dirname "$0")/.."
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
    RUNS=${BENCH_RUNS:-1}; EPOCHS=${BENCH_SHAPES_EPOCHS:-3}
else
    RUNS=${BENCH_RUNS:-3}; EPOCHS=${BENCH_SHAPES_EPOCHS:-4}
fi
THREADS=${BENCH_THREADS:-"1 2"}
PY=/usr/bin/python3   # Debian's python3, which python3-torch installs into
CC=${CC:-cc}
OUT=build/bench
DATA=$OUT/shapes
SEED=14               # of every synthetic CSV (issue 14)
mkdir -p "$RES" "$DATA"
rm -f "$RES"/shapes-*
# PyTorch on OpenBLAS, pandas to read its CSV: `make bench` installs them.
for p in python3-torch python3-pandas libopenblas0; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
        { echo "bench/shapes.sh: $p is missing: run make bench once (it installs it)" >&2; exit 1; }
done
# Every run uses this copy, so a rebuild during the bench cannot mix binaries.
cp "$BP" "$OUT/backprop-shapes"
BP=$OUT/backprop-shapes

say() { echo "bench: shapes: $*" >&2; }

# One shape a line: name | inputs | layers (units:activation, the output
# last) | loss | init | batch | learning rate | rows | quick rows. Rows
# are chosen so that a backprop epoch takes about 0.1-0.3 s on one thread
# of a current core (PyTorch's takes up to ~15x that on the tiny shapes).
# The learning rate is 0.01 but at batch 1, where a single sample's 784
# inputs of unit variance make 0.01 diverge.
SHAPES=(
    "10-32-2|10|32:relu,2:softmax|cross_entropy|he|32|0.01|262144|65536"
    "64-64-10|64|64:relu,10:softmax|cross_entropy|he|32|0.01|131072|32768"
    "784-256-128-10|784|256:relu,128:relu,10:softmax|cross_entropy|he|64|0.01|16384|4096"
    "784-1024-1024-10|784|1024:relu,1024:relu,10:softmax|cross_entropy|he|128|0.01|4096|1024"
    "256-(6x256 tanh)-10|256|256:tanh,256:tanh,256:tanh,256:tanh,256:tanh,256:tanh,10:softmax|cross_entropy|xavier|64|0.01|8192|2048"
    "784-128-10|784|128:relu,10:softmax|cross_entropy|he|1|0.001|8192|2048"
    "784-512-10|784|512:relu,10:softmax|cross_entropy|he|1024|0.01|8192|2048"
    "16-64-64-1 sigmoid mse|16|64:sigmoid,64:sigmoid,1:sigmoid|mse|xavier|16|0.01|65536|16384"
)

# A file-name-safe tag for a shape's name.
tag() { echo "$1" | tr -c 'A-Za-z0-9\n-' '_'; }

wanted() { # NAME
    [ -z "${BENCH_SHAPES:-}" ] && return 0
    local w
    for w in $BENCH_SHAPES; do
        [ "$w" = "$1" ] || [ "$w" = "$(tag "$1")" ] && return 0
    done
    return 1
}

# The synthetic CSV: inputs drawn from N(0, 1) and written with two
# decimals; the first column is a class, the argmax of a fixed random
# projection of the inputs (learnable, so no run diverges), or for mse a
# target in (0, 1), the logistic of another projection.
make_csv() { # PATH INPUTS OUTPUTS LOSS ROWS
    [ -s "$1" ] && return 0
    say "preparing $1"
    $PY - "$@" <<'PYEOF'
import sys
import numpy as np
path, d, k, loss, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
rng = np.random.default_rng(14)
x = rng.standard_normal((rows, d)).astype(np.float32).round(2)
if loss == "cross_entropy":
    y = np.argmax(x @ rng.standard_normal((d, k)), axis=1).astype(np.float64)
    head, fmt = "label", "%d"
else:
    y = 1.0 / (1.0 + np.exp(-(x @ rng.standard_normal(d)) / np.sqrt(d)))
    head, fmt = "y", "%.4f"
with open(path + ".tmp", "w") as f:
    f.write(",".join([head] + ["x%d" % i for i in range(d)]) + "\n")
    np.savetxt(f, np.column_stack([y, x]), fmt=[fmt] + ["%.2f"] * d, delimiter=",")
PYEOF
    mv "$1.tmp" "$1"
}

# backprop's config for a shape (paths relative to its folder).
make_config() { # PATH CSV INPUTS LAYERS LOSS INIT BATCH LEARNING_RATE
    local layers="" spec units act
    IFS=, read -r -a spec <<< "$4"
    for s in "${spec[@]}"; do
        units=${s%%:*} act=${s#*:}
        layers="$layers${layers:+, }{\"units\": $units, \"activation\": \"$act\"}"
    done
    local data='"label": "label"'
    [ "$5" = mse ] && data='"targets": ["y"]'
    cat > "$1" <<JSON
{
  "input": $3,
  "layers": [$layers],
  "loss": "$5",
  "init": {"method": "$6", "seed": 1},
  "training": {"optimizer": "sgd", "learning_rate": $8, "momentum": 0.9,
               "batch_size": $7, "epochs": $EPOCHS, "shuffle": true, "seed": 1},
  "data": {"train": "$(basename "$2")", $data, "normalize": "none"},
  "output": "shape.weights.json"
}
JSON
}

# ---- the peak the percentages are of ----
ISA=$(make --no-print-directory -s kernel-isa)
if [ -z "$PEAK_FILE" ]; then
    WARN="-std=c11 -O2 -Wall -Wextra"
    $CC $WARN -mavx2 -mfma -fopenmp -o "$OUT/fma_peak" bench/fma_peak.c
    $CC $WARN -pthread -o "$OUT/core_latency" bench/core_latency.c
    say "FMA peak"
    PEAK_FILE=$RES/shapes-fma_peak.txt
    "$OUT/fma_peak" 7 > "$PEAK_FILE"
fi

# ---- data and configs, made once ----
LIST=$RES/shapes-list.txt
: > "$LIST"
for line in "${SHAPES[@]}"; do
    IFS='|' read -r name inputs layers loss init batch lr rows quick_rows <<< "$line"
    wanted "$name" || continue
    [ "$QUICK" = 1 ] && rows=$quick_rows
    outputs=${layers##*,}; outputs=${outputs%%:*}
    csv=$DATA/$(tag "$name")-$rows.csv
    make_csv "$csv" "$inputs" "$outputs" "$loss" "$rows"
    make_config "$DATA/$(tag "$name").json" "$csv" "$inputs" "$layers" "$loss" "$init" "$batch" "$lr"
    flops=$("$BP" info "$DATA/$(tag "$name").json" |
            sed -n 's/.* \([0-9][0-9]*\) per sample training.*/\1/p')
    echo "$(tag "$name")|$name|$inputs|$layers|$loss|$init|$batch|$lr|$rows|$flops|$csv" >> "$LIST"
done

# ---- the runs, interleaved ----
torch_run() { # OUT_JSON TORCH_THREADS BLAS_THREADS CSV INPUTS LAYERS LOSS INIT BATCH LR SEED
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$3" \
        $PY bench/torch_baseline.py shapes --data "$4" --input "$5" \
        --layers "$6" --loss "$7" --init "$8" --batch-size "$9" \
        --lr "${10}" --threads "$2" --epochs "$EPOCHS" --seed "${11}" > "$1"
}
torch_faster() { # A.json B.json: "yes" when A's epoch was the shorter
    $PY -c 'import json, sys; a, b = (json.load(open(p))["seconds_per_epoch"] for p in sys.argv[1:]); print("yes" if a < b else "no")' "$1" "$2"
}
echo "{\"load_before\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}" > "$RES/shapes-load-before.json"
for r in $(seq 1 "$RUNS"); do
    while IFS='|' read -r t_name name inputs layers loss init batch lr rows flops csv; do
        for t in $THREADS; do
            base=$RES/shapes-$t_name-t$t-r$r
            if [ "$t" != 1 ] && [ -x "$OUT/core_latency" ]; then
                "$OUT/core_latency" > "$base.latency.txt"
            fi
            say "run $r/$RUNS, $name, $t thread(s): backprop"
            "$BP" train "$DATA/$t_name.json" --threads "$t" --quiet \
                --set training.seed="$r" -o "$DATA/$t_name.weights.json" \
                --log "$base.bp.jsonl"
            if [ "$t" = 1 ]; then
                say "run $r/$RUNS, $name, 1 thread: PyTorch"
                torch_run "$base.torch.json" 1 1 "$csv" "$inputs" "$layers" "$loss" "$init" "$batch" "$lr" "$r"
            else
                say "run $r/$RUNS, $name, $t threads: PyTorch (torch 1, OpenBLAS $t)"
                torch_run "$base.torch-blas.json" 1 "$t" "$csv" "$inputs" "$layers" "$loss" "$init" "$batch" "$lr" "$r"
                # torch's own pool too: in the first round, and in the
                # others only where it won the first (on a 2-core machine
                # it was 1.2-20x slower on every shape).
                first=$RES/shapes-$t_name-t$t-r1
                if [ "$r" = 1 ] || [ "$(torch_faster "$first.torch-both.json" "$first.torch-blas.json")" = yes ]; then
                    say "run $r/$RUNS, $name, $t threads: PyTorch (torch $t, OpenBLAS $t)"
                    torch_run "$base.torch-both.json" "$t" "$t" "$csv" "$inputs" "$layers" "$loss" "$init" "$batch" "$lr" "$r"
                fi
            fi
        done
    done < "$LIST"
done
echo "{\"load_after\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}" > "$RES/shapes-load-after.json"

# ---- the table ----
CPU="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores"
$PY - "$RES" "$LIST" "$PEAK_FILE" "$ISA" "$RUNS" "$EPOCHS" "$THREADS" "$CPU" <<'PYEOF'
import json, os, statistics, sys
res, listing, peak_file, isa, runs, epochs, threads, cpu = sys.argv[1:]
runs, epochs = int(runs), int(epochs)
threads = [int(t) for t in threads.split()]
med = statistics.median

def kv(path):
    return {k: float(v) for k, v in (l.split() for l in open(path) if l.strip())}

def after_first(xs):
    return xs[1:] if len(xs) > 1 else xs

peak = kv(peak_file)
if isa == "avx512" and "avx512_fma_gflops_1" in peak:
    peak_key, peak_name = "avx512_fma_gflops_%d", "AVX-512"
else:
    peak_key, peak_name = "avx2_fma_gflops_%d", "AVX2"

def bp_sec(base):
    log = [json.loads(l) for l in open(base + ".bp.jsonl") if l.strip()]
    return med(after_first([e["seconds"] for e in log]))

def torch_sec(path):
    return json.load(open(path))["seconds_per_epoch"]

shapes = [l.rstrip("\n").split("|") for l in open(listing) if l.strip()]
print("%d round(s), medians; %d epochs a run, the median epoch after the first. "
      "SGD momentum 0.9 (lr 0.01; 0.001 at batch 1), synthetic data (seed 14), the same CSV for both. "
      "%s; kernels: %s build, %% of the %s FMA peak (%s)."
      % (runs, epochs, cpu, isa, peak_name,
         ", ".join("%.0f GFLOP/s on %d thread%s" % (peak[peak_key % t], t, "" if t == 1 else "s")
                   for t in threads if (peak_key % t) in peak)))
print("")
print("| shape | batch | rows | threads | backprop s/epoch | PyTorch s/epoch | PyTorch / backprop | backprop GFLOP/s | %% of %s peak | backprop / its 1-thread epoch |"
      % peak_name)
print("|---|---|---|---|---|---|---|---|---|---|")
slower = []
torch_notes = []
for t_name, name, inputs, layers, loss, init, batch, lr, rows, flops, csv in shapes:
    rows, flops = int(rows), float(flops)
    one = None
    for t in threads:
        bps, tts, both_s, blas_s = [], [], [], []
        for r in range(1, runs + 1):
            base = os.path.join(res, "shapes-%s-t%d-r%d" % (t_name, t, r))
            bps.append(bp_sec(base))
            if t == 1:
                tts.append(torch_sec(base + ".torch.json"))
            else:
                if os.path.exists(base + ".torch-both.json"):
                    both_s.append(torch_sec(base + ".torch-both.json"))
                blas_s.append(torch_sec(base + ".torch-blas.json"))
        b = med(bps)
        if t == 1:
            tt, setting = med(tts), ""
            one = b
        else:
            both, blas = med(both_s) if both_s else float("inf"), med(blas_s)
            tt = min(both, blas)
            setting = " (torch %d, OpenBLAS %d)" % ((1, t) if blas <= both else (t, t))
            torch_notes.append("%s: torch 1 + OpenBLAS %d %.4f s, torch %d + OpenBLAS %d %s"
                               % (name, t, blas, t, t,
                                  "%.4f s (%d run%s)" % (both, len(both_s), "" if len(both_s) == 1 else "s")
                                  if both_s else "not measured"))
        gf = flops * rows / b / 1e9
        pk = peak.get(peak_key % t)
        scale = ""
        if t != 1 and one:
            scale = "%.2fx" % (b / one)
            if b > 1.03 * one:
                scale = "**%s**" % scale
                slower.append("%s (%.2fx)" % (name, b / one))
        print("| %s | %s | %d | %d | %.4f | %.4f%s | **%.2fx** | %.1f | %s | %s |" % (
            name, batch, rows, t, b, tt, setting, tt / b, gf,
            "%.1f%%" % (100 * gf / pk) if pk else "n/a", scale))
print("")
print("GFLOP/s: `backprop info`'s FLOP per sample trained (a multiply-add is 2: the forward "
      "products, the weight-gradient products, and the input-gradient products of every "
      "layer but the first) x rows / s/epoch. Target (issue 14): more threads never slower, "
      "the multithreaded epoch at most 1.03x the 1-thread epoch: %s."
      % ("held on every shape" if not slower else "missed on " + ", ".join(slower)))
lat = []
for t_name, *_ in shapes:
    for t in threads:
        for r in range(1, runs + 1):
            p = os.path.join(res, "shapes-%s-t%d-r%d.latency.txt" % (t_name, t, r))
            if t != 1 and os.path.exists(p):
                lat.append(kv(p)["core_roundtrip_ns"])
if lat:
    print("Core-to-core cache-line round trip before the multithreaded backprop runs: "
          "%.0f-%.0f ns (median %.0f)." % (min(lat), max(lat), med(lat)))
if torch_notes:
    print("PyTorch at %s threads, its two settings (s/epoch, medians; the faster is in the table): "
          % "/".join(str(t) for t in threads if t != 1) + "; ".join(torch_notes) + ".")
lb = json.load(open(os.path.join(res, "shapes-load-before.json")))["load_before"]
la = json.load(open(os.path.join(res, "shapes-load-after.json")))["load_after"]
print("Load average before / after: %s / %s." % (lb, la))
PYEOF
