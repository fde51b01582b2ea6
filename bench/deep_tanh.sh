#!/bin/bash
# The deep tanh network of issue 14, 256-(6 x 256 tanh)-10 softmax,
# cross-entropy, SGD lr 0.01 momentum 0.9, batch 64, shuffled: backprop
# against PyTorch on the same synthetic rows (ROWS rows of 256 standard
# normal features and a class 0..9, seeded), at each thread count, runs
# interleaved (backprop, PyTorch, backprop, ...). Per-epoch time is the
# median over the epochs after the first; the figure printed is the median
# over RUNS runs. PyTorch at N threads: torch.set_num_threads(N) and
# OPENBLAS_NUM_THREADS=N. Asserts nothing.
#
#   bash bench/deep_tanh.sh [BACKPROP...]     (default ./backprop)
#   ROWS=16384 EPOCHS=4 RUNS=3 THREADS="1 2" bash bench/deep_tanh.sh
#
# Several binaries (say, before and after a change) are each measured in
# the same interleaved rounds.
set -euo pipefail
ROWS=${ROWS:-16384}
EPOCHS=${EPOCHS:-4}
RUNS=${RUNS:-3}
THREADS=${THREADS:-1 2}
PY=${PY:-/usr/bin/python3}
OUT=${OUT:-build/bench/deep-tanh}
[ $# -gt 0 ] || set -- ./backprop
mkdir -p "$OUT"

DATA=$OUT/train-$ROWS.csv
if [ ! -s "$DATA" ]; then
    $PY - "$DATA" "$ROWS" <<'PY'
import sys, numpy as np
path, rows = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(14)
x = rng.standard_normal((rows, 256), dtype=np.float32)
y = rng.integers(0, 10, rows)
with open(path, "w") as f:
    f.write("label," + ",".join("x%d" % i for i in range(256)) + "\n")
    for label, row in zip(y, x):
        f.write("%d," % label + ",".join("%.6g" % v for v in row) + "\n")
PY
fi

CFG=$OUT/deep-tanh.json
hidden='{"units": 256, "activation": "tanh"}'
cat > "$CFG" <<EOF
{
  "input": 256,
  "layers": [$hidden, $hidden, $hidden, $hidden, $hidden, $hidden,
             {"units": 10, "activation": "softmax"}],
  "loss": "cross_entropy",
  "init": {"method": "xavier", "seed": 1},
  "training": {"learning_rate": 0.01, "momentum": 0.9, "batch_size": 64,
               "epochs": $EPOCHS, "shuffle": true, "seed": 1},
  "data": {"train": "$(basename "$DATA")", "label": "label"}
}
EOF

torch_run() {  # threads -> seconds per epoch (median after the first)
    OPENBLAS_NUM_THREADS=$1 $PY - "$DATA" "$1" "$EPOCHS" <<'PY'
import sys, time, statistics, numpy as np, torch
path, threads, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(1)
data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
x = torch.from_numpy(data[:, 1:]).contiguous()
y = torch.from_numpy(data[:, 0]).long()
layers, width = [], 256
for _ in range(6):
    layers += [torch.nn.Linear(width, 256), torch.nn.Tanh()]
model = torch.nn.Sequential(*layers, torch.nn.Linear(256, 10))
loss_fn = torch.nn.CrossEntropyLoss()
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
gen = torch.Generator().manual_seed(1)
n, seconds = x.shape[0], []
for _ in range(epochs):
    t = time.perf_counter()
    perm = torch.randperm(n, generator=gen)
    total = 0.0
    for start in range(0, n, 64):
        idx = perm[start:start + 64]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        total += loss.item()
    seconds.append(time.perf_counter() - t)
print(statistics.median(seconds[1:]))
PY
}

backprop_run() {  # binary threads -> seconds per epoch
    local log=$OUT/log.jsonl
    "$1" train "$CFG" --threads "$2" --quiet -o "$OUT/w.json" --log "$log"
    $PY -c 'import json, statistics, sys
s = [json.loads(l)["seconds"] for l in open(sys.argv[1])][1:]
print(statistics.median(s))' "$log"
}

echo "deep tanh 256-(6 x 256 tanh)-10, batch 64, $ROWS rows, $EPOCHS epochs," \
     "$RUNS runs; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')," \
     "load $(cut -d' ' -f1-3 /proc/loadavg)"
for t in $THREADS; do
    declare -A res=()
    for r in $(seq "$RUNS"); do
        i=0
        for bp in "$@"; do
            res[bp$i]+="$(backprop_run "$bp" "$t") "
            i=$((i + 1))
        done
        res[torch]+="$(torch_run "$t") "
    done
    i=0
    for bp in "$@"; do
        $PY -c 'import sys, statistics
bp, t, s, torch = sys.argv[1], sys.argv[2], [float(v) for v in sys.argv[3].split()], [float(v) for v in sys.argv[4].split()]
m, mt = statistics.median(s), statistics.median(torch)
print("%d thread(s): %-28s %.4f s/epoch (runs %s); PyTorch %.4f (runs %s); PyTorch / backprop %.2fx"
      % (int(t), bp, m, " ".join("%.4f" % v for v in s), mt, " ".join("%.4f" % v for v in torch), mt / m))' \
            "$bp" "$t" "${res[bp$i]}" "${res[torch]}"
        i=$((i + 1))
    done
    unset res
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
