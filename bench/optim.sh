#!/usr/bin/env bash
# bench/optim.sh: what the optimizers and dropout cost (issue 12's row of
# `make bench`): seconds per epoch of backprop on the Fashion-MNIST bench
# shape (784-256-128-10, batch 64) with SGD + momentum 0.9 (the bench
# config), Adam (PyTorch's defaults, lr 0.001), and SGD + momentum with
# dropout 0.5 on both hidden layers, at each thread count; the three run
# back to back in each round, so a slower minute of the machine hits all
# three. Prints a Markdown table of medians (over rounds of the median
# epoch, first epoch left out) and each one's ratio to SGD.
#
#   bench/optim.sh BACKPROP CONFIG TRAIN_CSV RESULTS_DIR
#
# Environment: BENCH_RUNS rounds [3], BENCH_OPTIM_EPOCHS epochs per run
# [4], BENCH_THREADS ["1 2"]. Targets (issue 12): Adam at most 1.10x
# SGD's time, dropout at most 1.15x.
set -euo pipefail
BP=$1 CONFIG=$2 TRAIN=$3 RES=$4
RUNS=${BENCH_RUNS:-3}
EPOCHS=${BENCH_OPTIM_EPOCHS:-4}
THREADS=${BENCH_THREADS:-"1 2"}
PY=${PY:-python3}
mkdir -p "$RES"

variant_args() { # NAME
    case $1 in
    sgd) ;;
    adam) echo --set training.optimizer=adam --set training.momentum=null \
               --set training.nesterov=null --set training.learning_rate=0.001 ;;
    dropout) echo --set 'layers[0].dropout=0.5' --set 'layers[1].dropout=0.5' ;;
    esac
}

for r in $(seq 1 "$RUNS"); do
    for t in $THREADS; do
        for v in sgd adam dropout; do
            echo "bench: optimizers, round $r/$RUNS, $t thread(s): $v" >&2
            # shellcheck disable=SC2046
            "$BP" train "$CONFIG" --data "$TRAIN" --set data.validation=null \
                --epochs "$EPOCHS" --threads "$t" --quiet \
                -o "$RES/optim.weights.json" --log "$RES/optim-$v-t$t-r$r.jsonl" \
                $(variant_args "$v")
        done
    done
done

"$PY" - "$RES" "$RUNS" "$THREADS" "$EPOCHS" <<'PYEOF'
import json, os, statistics, sys
res, runs, threads, epochs = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), int(sys.argv[4])
med = statistics.median
def sec(v, t):
    out = []
    for r in range(1, runs + 1):
        log = [json.loads(l) for l in open(os.path.join(res, "optim-%s-t%s-r%d.jsonl" % (v, t, r))) if l.strip()]
        s = [e["seconds"] for e in log]
        out.append(med(s[1:] if len(s) > 1 else s))
    return med(out), out
print("| threads | optimizer | s/epoch (median of %d rounds, %d epochs each) | / SGD + momentum | target |" % (runs, epochs))
print("|---|---|---|---|---|")
names = {"sgd": "SGD, momentum 0.9", "adam": "Adam (lr 0.001, PyTorch's defaults)",
         "dropout": "SGD, momentum 0.9, dropout 0.5 on both hidden layers"}
target = {"sgd": "", "adam": "<= 1.10x", "dropout": "<= 1.15x"}
for t in threads:
    base, _ = sec("sgd", t)
    for v in ("sgd", "adam", "dropout"):
        s, rounds = sec(v, t)
        print("| %s | %s | %.4f (rounds: %s) | %.3fx | %s |" % (
            t, names[v], s, ", ".join("%.4f" % x for x in rounds), s / base, target[v]))
PYEOF
