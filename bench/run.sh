#!/usr/bin/env bash
# bench/run.sh: `make bench`. Speed of backprop against PyTorch and FANN on
# this machine, in one invocation, on the same data; prints Markdown tables.
# bench/README.md says what every number means and how it is measured.
#
# Environment (defaults in brackets):
#   BENCH_RUNS        runs of each long measurement; medians are reported [3]
#   BENCH_EPOCHS      Fashion-MNIST epochs per training run [10]
#   BENCH_THREADS     thread counts to compare ["1 2"]
#   BENCH_QUICK=1     smoke test: a 10,000-row training subset, 2 epochs,
#                     1 run, short 1-1-1 loops (each default still overridable)
#   BENCH_SEED_STEPS  samples in the 1-1-1 CSV, steps per backprop epoch [1000000]
#   BENCH_TORCH_SEED_STEPS  PyTorch 1-1-1 steps per timed loop [10000]
#   CC                C compiler for the helpers [cc]
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
    RUNS=${BENCH_RUNS:-1}; EPOCHS=${BENCH_EPOCHS:-2}
    SEED_STEPS=${BENCH_SEED_STEPS:-100000}; TORCH_SEED_STEPS=${BENCH_TORCH_SEED_STEPS:-1000}
else
    RUNS=${BENCH_RUNS:-3}; EPOCHS=${BENCH_EPOCHS:-10}
    SEED_STEPS=${BENCH_SEED_STEPS:-1000000}; TORCH_SEED_STEPS=${BENCH_TORCH_SEED_STEPS:-10000}
fi
THREADS=${BENCH_THREADS:-"1 2"}
CC=${CC:-cc}
OUT=build/bench
RES=$OUT/results
PY=/usr/bin/python3   # Debian's python3, which python3-torch installs into
DATA=/usr/share/datasets/fashion-mnist
CONFIG=bench/fashion-mnist.json

say() { echo "bench: $*" >&2; }

# ---- install what is missing (apt-get only when something is) ----
# libopenblas0: python3-torch only recommends it; without it PyTorch's
# matrix products run on the reference BLAS, 20x slower: no baseline.
packages="gcc make time python3-torch python3-numpy python3-pandas
          libopenblas0 libfann-dev dataset-fashion-mnist"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    say "installing:$missing"
    SUDO=
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { say "run as root, or install:$missing"; exit 1; }
        SUDO=sudo
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends \
        -o DPkg::Lock::Timeout=600 $missing >/dev/null
fi

# ---- build ----
make --no-print-directory deps
make --no-print-directory all
mkdir -p "$OUT" "$RES"
rm -f "$RES"/*.json "$RES"/*.txt
# Every run uses this copy, so a rebuild during the bench cannot mix binaries.
cp backprop "$OUT/backprop"
BP=$OUT/backprop
# Which FMA peak the build's kernels can reach: AVX-512's when they use
# 512-bit vectors, else AVX2's (Makefile's kernel-isa, the same test of
# the compiler's target the kernels make).
ISA=$(make --no-print-directory -s kernel-isa)
WARN="-std=c11 -O2 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla -Wundef"
$CC $WARN -o "$OUT/idx2csv" bench/idx2csv.c
$CC $WARN -mavx2 -mfma -fopenmp -o "$OUT/fma_peak" bench/fma_peak.c
$CC $WARN -o "$OUT/fann_baseline" bench/fann_baseline.c -lfloatfann -lm
$CC $WARN -fopenmp -o "$OUT/csv_floor" bench/csv_floor.c -lcsv
$CC $WARN -pthread -o "$OUT/core_latency" bench/core_latency.c

# ---- data, prepared once ----
TRAIN_FULL=$OUT/fashion-mnist-train.csv
TEST=$OUT/fashion-mnist-test.csv
if [ ! -s "$TRAIN_FULL" ]; then
    say "preparing $TRAIN_FULL"
    "$OUT/idx2csv" <(zcat "$DATA/train-labels-idx1-ubyte.gz") \
                   <(zcat "$DATA/train-images-idx3-ubyte.gz") > "$TRAIN_FULL.tmp"
    mv "$TRAIN_FULL.tmp" "$TRAIN_FULL"
fi
if [ ! -s "$TEST" ]; then
    say "preparing $TEST"
    "$OUT/idx2csv" <(zcat "$DATA/t10k-labels-idx1-ubyte.gz") \
                   <(zcat "$DATA/t10k-images-idx3-ubyte.gz") > "$TEST.tmp"
    mv "$TEST.tmp" "$TEST"
fi
TRAIN=$TRAIN_FULL
if [ "$QUICK" = 1 ]; then
    TRAIN=$OUT/fashion-mnist-train-10k.csv
    head -n 10001 "$TRAIN_FULL" > "$TRAIN"
fi
ONE_ROW=$OUT/fashion-mnist-one-row.csv
head -n 2 "$TRAIN_FULL" > "$ONE_ROW"
SEED_CSV=$OUT/seed-$SEED_STEPS.csv
if [ ! -s "$SEED_CSV" ]; then
    awk -v n="$SEED_STEPS" 'BEGIN { print "o1,T"; for (i = 0; i < n; i++) print "0.2,0.7" }' \
        > "$SEED_CSV"
fi

now() { date +%s.%N; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
echo "{\"load_before\": \"$(loadavg)\"}" > "$RES/meta_load_before.json"
say "load average before: $(loadavg) (other work on the machine skews 2-thread figures)"

# ---- FMA peak ----
say "FMA peak"
"$OUT/fma_peak" 7 > "$RES/fma_peak.txt"

# ---- Fashion-MNIST training: backprop and PyTorch, runs interleaved ----
# PyTorch runs without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (this machine's
# environment may set them; OpenBLAS then picks its kernels itself).
# Run r seeds both programs' initialisation and shuffles with r: the test
# accuracy after the last epoch swings by about a point from one seed (or
# epoch) to the next, so one seed's figure says little; the table gives
# the median over the runs' seeds. Speed does not depend on the seed.
torch_run() { # NAME TORCH_THREADS BLAS_THREADS SEED
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$3" \
        /usr/bin/time -f %M -o "$RES/$1.rss.txt" \
        $PY bench/torch_baseline.py train --train "$TRAIN" --test "$TEST" \
        --threads "$2" --epochs "$EPOCHS" --seed "$4" > "$RES/$1.json"
}
for r in $(seq 1 "$RUNS"); do
    for t in $THREADS; do
        # Where the cores stand just before a multithreaded run: whether
        # they give t cores' worth of FMA, and how long a cache line takes
        # from one to the other (a virtual machine's host moves its vCPUs
        # between dies from one minute to the next; see bench/README.md).
        if [ "$t" != 1 ]; then
            "$OUT/fma_peak" 1 > "$RES/fma-before-t$t-r$r.txt"
            "$OUT/core_latency" > "$RES/latency-before-t$t-r$r.txt"
        fi
        say "run $r/$RUNS, $t thread(s): backprop"
        /usr/bin/time -f %M -o "$RES/bp-t$t-r$r.rss.txt" \
            "$BP" train "$CONFIG" --data "$TRAIN" --validation "$TEST" \
            --epochs "$EPOCHS" --threads "$t" --quiet \
            --set init.seed="$r" --set training.seed="$r" \
            -o "$OUT/fashion-mnist-t$t.weights.json" \
            --log "$RES/bp-t$t-r$r.jsonl"
        if [ "$t" = 1 ]; then
            say "run $r/$RUNS, 1 thread: PyTorch (torch 1, OpenBLAS 1)"
            torch_run "torch-t1-r$r" 1 1 "$r"
        else
            say "run $r/$RUNS, $t threads: PyTorch (torch $t, OpenBLAS $t)"
            torch_run "torch-t$t-both-r$r" "$t" "$t" "$r"
            say "run $r/$RUNS, $t threads: PyTorch (torch 1, OpenBLAS $t)"
            torch_run "torch-t$t-blas-r$r" 1 "$t" "$r"
        fi
    done
done

# ---- CSV load ----
# backprop's load time: `train --epochs 0` on the training CSV minus the
# same on a one-row CSV (config, network set-up and the weights written are
# in both); the validation file is the one-row CSV in both.
bp_load() { # DATA
    local t0 t1
    t0=$(now)
    "$BP" train "$CONFIG" --data "$1" --validation "$ONE_ROW" --epochs 0 \
        --quiet -o "$OUT/load.weights.json"
    t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}
# The same table as a practitioner's file (SPEC section 5a): an id column
# (ignored) and the class as its name, to compare load speed per byte.
TEXT_FULL=$OUT/fashion-mnist-train-text.csv
TEXT_ONE_ROW=$OUT/fashion-mnist-text-one-row.csv
if [ ! -s "$TEXT_FULL" ]; then
    say "preparing $TEXT_FULL"
    awk -F, 'BEGIN { OFS = ","; split("T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot", name, ",") }
             NR == 1 { $1 = "id,label"; print; next }
             { $1 = sprintf("img%05d,%s", NR - 1, name[$1 + 1]); print }' \
        "$TRAIN_FULL" > "$TEXT_FULL.tmp"
    mv "$TEXT_FULL.tmp" "$TEXT_FULL"
fi
head -n 2 "$TEXT_FULL" > "$TEXT_ONE_ROW"
bp_load_text() { # DATA
    local t0 t1
    t0=$(now)
    "$BP" train "$CONFIG" --data "$1" --validation "$TEXT_ONE_ROW" --epochs 0 \
        --set data.ignore='["id"]' --quiet -o "$OUT/load-text.weights.json"
    t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}
say "CSV load: backprop (numeric, and the same table with text columns)"
bp_load "$TRAIN_FULL" > /dev/null   # warm the page cache
bp_load_text "$TEXT_FULL" > /dev/null
for r in $(seq 1 "$RUNS"); do
    echo "{\"full\": $(bp_load "$TRAIN_FULL"), \"one_row\": $(bp_load "$ONE_ROW"), \"text\": $(bp_load_text "$TEXT_FULL"), \"text_one_row\": $(bp_load_text "$TEXT_ONE_ROW"), \"bytes\": $(stat -c %s "$TRAIN_FULL"), \"text_bytes\": $(stat -c %s "$TEXT_FULL")}" \
        > "$RES/bp-load-r$r.json"
done
say "CSV load: libcsv alone (the floor of any libcsv loader)"
"$OUT/csv_floor" "$TRAIN_FULL" "$((RUNS < 5 ? 5 : RUNS))" > "$RES/csv_floor.txt"
say "CSV load: numpy.loadtxt and pandas.read_csv"
$PY bench/torch_baseline.py load --train "$TRAIN_FULL" --repeat "$RUNS" > "$RES/torch-load.json"

# ---- the 1-1-1 seed network at batch 1 ----
say "1-1-1: FANN"
"$OUT/fann_baseline" 1000000 5 > "$RES/fann.txt"
for t in $THREADS; do
    say "1-1-1: backprop, $t thread(s)"
    "$BP" train configs/seed-example.json --data "$SEED_CSV" \
        --epochs "$((RUNS + 1))" --threads "$t" --quiet \
        -o "$OUT/seed.weights.json" --log "$RES/seed-bp-t$t.jsonl"
done
say "1-1-1: PyTorch"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 \
    $PY bench/torch_baseline.py seed --threads 1 --steps "$TORCH_SEED_STEPS" \
    --repeat "$RUNS" > "$RES/torch-seed.json"

# ---- what Adam and dropout cost against SGD + momentum (issue 12) ----
bash bench/optim.sh "$BP" "$CONFIG" "$TRAIN" "$RES" > "$RES/optim.md"

# ---- every shape against PyTorch (issue 14) ----
bash bench/shapes.sh "$BP" "$RES" "$RES/fma_peak.txt" > "$RES/shapes.md"

# ---- what sweep --jobs buys (issue 13) ----
say "sweep: 24 iris runs, default scheduling and --jobs 1"
bash bench/sweep.sh "$BP" "$RES" > "$RES/sweep.md"

echo "{\"load_after\": \"$(loadavg)\"}" > "$RES/meta_load_after.json"

# ---- the tables ----
FLOPS=$("$BP" info "$CONFIG" | sed -n 's/.* \([0-9][0-9]*\) per sample training.*/\1/p')
ROWS=$(($(wc -l < "$TRAIN") - 1))
VERSION="$("$BP" --version 2>&1 | head -n 1)"
COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
DIRTY="$(git status --porcelain -- src include Makefile 2>/dev/null | wc -l)"
CPU="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores"

$PY - "$RES" "$FLOPS" "$ROWS" "$EPOCHS" "$RUNS" "$THREADS" "$SEED_STEPS" \
    "$VERSION" "$COMMIT" "$DIRTY" "$CPU" "$ISA" <<'PYEOF' | tee "$OUT/results.md"
import glob, json, os, statistics, sys

res, flops, rows, epochs, runs, threads, seed_steps, version, commit, dirty, cpu, isa = sys.argv[1:]
flops, rows, epochs, runs, seed_steps = int(flops), int(rows), int(epochs), int(runs), int(seed_steps)
threads = [int(t) for t in threads.split()]
med = statistics.median
gflop_epoch = flops * rows / 1e9

def kv(path):
    return {k: float(v) for k, v in (l.split() for l in open(path) if l.strip())}

def jsonl(path):
    return [json.loads(l) for l in open(path) if l.strip()]

def rss(path):
    return int(open(path).read().split()[-1]) / 1024.0  # KiB -> MiB

def after_first(xs):
    return xs[1:] if len(xs) > 1 else xs

peak = kv(os.path.join(res, "fma_peak.txt"))
# The peak of the widest FMA the build's kernels use (Makefile kernel-isa):
# a build on AVX-512 is held to the AVX-512 peak. The portable build uses
# no FMA; its rows are still measured against AVX2's, and the line above
# the table says so.
if isa == "avx512" and "avx512_fma_gflops_1" in peak:
    peak_key, peak_name = "avx512_fma_gflops_%d", "AVX-512"
elif isa == "avx2":
    peak_key, peak_name = "avx2_fma_gflops_%d", "AVX2"
else:
    peak_key, peak_name = "avx2_fma_gflops_%d", "AVX2"

def backprop(t):
    secs, accs, mem = [], [], []
    for r in range(1, runs + 1):
        log = jsonl(os.path.join(res, "bp-t%d-r%d.jsonl" % (t, r)))
        secs.append(med(after_first([e["seconds"] for e in log])))
        accs.append(log[-1]["validation_accuracy"])
        mem.append(rss(os.path.join(res, "bp-t%d-r%d.rss.txt" % (t, r))))
    return {"sec": med(secs), "secs": secs, "acc": med(accs), "accs": accs,
            "rss": med(mem)}

def torch(name):
    secs, accs, mem, info = [], [], [], None
    for r in range(1, runs + 1):
        info = json.load(open(os.path.join(res, "%s-r%d.json" % (name, r))))
        secs.append(info["seconds_per_epoch"])
        accs.append(info["test_accuracy"])
        mem.append(rss(os.path.join(res, "%s-r%d.rss.txt" % (name, r))))
    return {"sec": med(secs), "acc": med(accs), "accs": accs, "rss": med(mem),
            "info": info}

def f(x, d=2):
    return "%.*f" % (d, x)

out = []
p = out.append
p("## backprop benchmark (`make bench`)")
p("")
p("%s (commit %s%s), %s. Fashion-MNIST 784-256-128-10 relu/relu/softmax, "
  "cross-entropy, SGD lr 0.05 momentum 0.9, batch 64, %d training rows, %d epochs; "
  "%d run(s) (run r seeded r), medians; %.1f GFLOP per epoch (`backprop info`: %d FLOP per sample trained)."
  % (version, commit, ", src/include modified" if dirty != "0" else "", cpu,
     rows, epochs, runs, gflop_epoch, flops))
p("")
p("Kernels: %s build%s; %% of the %s FMA peak." % (
    isa, " (no FMA: measured against AVX2's all the same)" if isa == "portable" else "",
    peak_name))
p("")
p("| threads | | s/epoch | samples/s | GFLOP/s | %% of %s FMA peak | peak RSS (MiB) | test accuracy |" % peak_name)
p("|---|---|---|---|---|---|---|---|")
ratios = []
settings = []
for t in threads:
    b = backprop(t)
    pk = peak.get(peak_key % t)
    if t == 1:
        tt, label = torch("torch-t1"), "PyTorch (torch 1, OpenBLAS 1)"
    else:
        both, blas = torch("torch-t%d-both" % t), torch("torch-t%d-blas" % t)
        settings.append((t, both, blas))
        if blas["sec"] <= both["sec"]:
            tt, label = blas, "PyTorch, best: torch 1, OpenBLAS %d" % t
        else:
            tt, label = both, "PyTorch, best: torch %d, OpenBLAS %d" % (t, t)
    for name, x in (("backprop", b), (label, tt)):
        gf = gflop_epoch / x["sec"]
        p("| %d | %s | %s | %s | %s | %s | %s | %s |" % (
            t, name, f(x["sec"], 3), f(rows / x["sec"], 0), f(gf, 1),
            f(100 * gf / pk, 1) if pk else "n/a", f(x["rss"], 0), f(100 * x["acc"], 2) + "%"))
    p("| %d | **backprop / PyTorch** | %s | **%sx** | | | %sx | %+.2f points |" % (
        t, f(b["sec"] / tt["sec"], 2), f(tt["sec"] / b["sec"], 2),
        f(b["rss"] / tt["rss"], 2), 100 * (b["acc"] - tt["acc"])))
    ratios.append((t, b, tt))
if len(ratios) == 2:
    (t1, b1, _), (t2, b2, _) = ratios
    p("")
    p("backprop's %d-thread speedup over %d thread: %sx." % (t2, t1, f(b1["sec"] / b2["sec"], 2)))
for t, b, _ in ratios:
    if t == 1:
        continue
    probes = []
    for r in range(1, runs + 1):
        fma = os.path.join(res, "fma-before-t%d-r%d.txt" % (t, r))
        lat = os.path.join(res, "latency-before-t%d-r%d.txt" % (t, r))
        if os.path.exists(fma) and os.path.exists(lat):
            pk_r = kv(fma)
            probes.append("%s s/epoch (%sx FMA, %s ns)" % (
                f(b["secs"][r - 1], 3),
                f(pk_r[peak_key % t] / pk_r[peak_key % 1], 2),
                f(kv(lat)["core_roundtrip_ns"], 0)))
    if probes:
        p("backprop at %d threads by run, with the %d-thread FMA scaling and the core-to-core "
          "cache-line round trip measured just before it: %s."
          % (t, t, "; ".join(probes)))
for t, both, blas in settings:
    p("PyTorch at %d threads: torch %d + OpenBLAS %d: %s s/epoch; torch 1 + OpenBLAS %d: %s s/epoch."
      % (t, t, t, f(both["sec"], 3), t, f(blas["sec"], 3)))
def pct(xs):
    return ", ".join(f(100 * a, 2) for a in xs)
for t, b, tt in ratios:
    p("Test accuracy (%%) by run, seeds 1..%d, %d thread%s: backprop %s; PyTorch %s."
      % (runs, t, "" if t == 1 else "s", pct(b["accs"]), pct(tt["accs"])))
ti = torch("torch-t1")["info"]
p("PyTorch %s, BLAS: %s (core %s), OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for the PyTorch runs."
  % (ti["torch"], ti.get("blas"), ti.get("blas_core", "?")))
p("")
p("| FMA peak (FP32, median of 7) | 1 thread | 2 threads |")
p("|---|---|---|")
used = " (this build's kernels: the % above)"
p("| AVX2 `_mm256_fmadd_ps`, 12 chains%s | %s | %s |" % (
    used if peak_name == "AVX2" else "",
    f(peak["avx2_fma_gflops_1"], 1), f(peak.get("avx2_fma_gflops_2", 0), 1)))
if "avx512_fma_gflops_1" in peak:
    p("| AVX-512 `_mm512_fmadd_ps`, 16 chains%s | %s | %s |" % (
        used if peak_name == "AVX-512" else " (information: OpenBLAS uses it)",
        f(peak["avx512_fma_gflops_1"], 1), f(peak["avx512_fma_gflops_2"], 1)))
p("")

loads = [json.load(open(x)) for x in sorted(glob.glob(os.path.join(res, "bp-load-r*.json")))]
bp_load = med([x["full"] - x["one_row"] for x in loads])
tl = json.load(open(os.path.join(res, "torch-load.json")))
p("| CSV load, 133 MB training CSV (60,000 x 785), median of %d | seconds | pandas / this |" % runs)
p("|---|---|---|")
p("| backprop (`train --epochs 0`, minus the same on a one-row CSV) | %s | %sx |" % (
    f(bp_load, 3), f(tl["pandas_read_csv_seconds"] / bp_load, 1)))
if "text" in loads[0]:
    bp_text = med([x["text"] - x["text_one_row"] for x in loads])
    speed = (loads[0]["text_bytes"] / bp_text) / (loads[0]["bytes"] / bp_load)
    p("| backprop, the same table with text columns (an `id` column ignored, the class as its name; %.0f MB): %.2fx the numeric file's bytes per second | %s | %sx |" % (
        loads[0]["text_bytes"] / 1e6, speed, f(bp_text, 3),
        f(tl["pandas_read_csv_seconds"] / bp_text, 1)))
floor = kv(os.path.join(res, "csv_floor.txt"))
for t in (1, 2):
    p("| libcsv alone, %d thread%s: `csv_parse` over the mapped file in parts, callbacks that only count (no conversion, no storage) | %s | %sx |" % (
        t, "" if t == 1 else "s", f(floor["libcsv_seconds_%d" % t], 3),
        f(tl["pandas_read_csv_seconds"] / floor["libcsv_seconds_%d" % t], 1)))
p("| numpy.loadtxt (float32) | %s | %sx |" % (
    f(tl["numpy_loadtxt_seconds"], 3), f(tl["pandas_read_csv_seconds"] / tl["numpy_loadtxt_seconds"], 1)))
p("| pandas.read_csv (C parser, float32) | %s | 1.0x |" % f(tl["pandas_read_csv_seconds"], 3))
p("")

fann = kv(os.path.join(res, "fann.txt"))
ts = json.load(open(os.path.join(res, "torch-seed.json")))
p("| 1-1-1 seed network, batch 1 | us per step | / FANN |")
p("|---|---|---|")
for t in threads:
    log = jsonl(os.path.join(res, "seed-bp-t%d.jsonl" % t))
    us = med(after_first([e["seconds"] for e in log])) / seed_steps * 1e6
    p("| backprop, %d thread%s (%d steps per epoch, median epoch) | %s | %sx |" % (
        t, "" if t == 1 else "s", seed_steps, f(us, 3), f(us / fann["fann_us_per_step"], 1)))
p("| FANN 2.2 `fann_train`, online | %s | 1.0x |" % f(fann["fann_us_per_step"], 3))
p("| PyTorch, 1 thread | %s | %sx |" % (f(ts["us_per_step"], 1), f(ts["us_per_step"] / fann["fann_us_per_step"], 0)))
p("")
lb = json.load(open(os.path.join(res, "meta_load_before.json")))["load_before"]
la = json.load(open(os.path.join(res, "meta_load_after.json")))["load_after"]
p("Load average before / after: %s / %s (after counts the bench's own "
  "2-thread runs)." % (lb, la))
if float(lb.split()[0]) > 1.0:
    p("")
    p("**Warning: other processes were running (load average above 1 on 2 cores); "
      "the 2-thread figures, including the FMA peak, are unreliable. Run again on a quiet machine.**")
print("\n".join(out))
PYEOF
{ echo "### Optimizers (bench/optim.sh; same shape and data, no validation)"; echo; cat "$RES/optim.md"; } | tee -a "$OUT/results.md"
{ echo; echo "### Shapes (bench/shapes.sh)"; echo; cat "$RES/shapes.md"; } | tee -a "$OUT/results.md"
{ echo; echo "### Sweeps (bench/sweep.sh)"; echo; cat "$RES/sweep.md"; } | tee -a "$OUT/results.md"
{ echo; echo "### Weights files (bench/weights.sh)"; echo; bash bench/weights.sh "$BP" "$RES"; } | tee -a "$OUT/results.md"
say "tables also in $OUT/results.md; raw results in $RES/"
