#!/usr/bin/env bash
# Command-line tests: each case runs the real binary and checks its exit
# status, stdout, stderr and the files it leaves behind.
#
#   tests/cli/run.sh BACKPROP JSONPATH
#
# Prints one line per failure and ends with "N passed, N failed".
set -u

BP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
JP=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
cd "$(dirname "$0")/../.." || exit 2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# shellcheck source=tests/harness.sh
. tests/harness.sh

# run CMD...: runs it, keeping stdout, stderr and the exit status.
run() {
    "$@" >"$T/stdout" 2>"$T/stderr"
    status=$?
}

# The whole of stderr is one line matching the extended regex $1.
expect_error_line() {
    local lines
    lines=$(wc -l <"$T/stderr")
    [ "$lines" -eq 1 ] || note "stderr has $lines lines, expected 1: $(head -c 400 "$T/stderr")"
    grep -Eq -- "$1" "$T/stderr" || note "stderr does not match /$1/: $(head -c 400 "$T/stderr")"
}

expect_stderr() {
    grep -Eq -- "$1" "$T/stderr" || note "stderr does not match /$1/: $(head -c 400 "$T/stderr")"
}

expect_stdout() {
    grep -Eq -- "$1" "$T/stdout" || note "stdout does not match /$1/: $(head -c 400 "$T/stdout")"
}

expect_empty_stdout() {
    [ ! -s "$T/stdout" ] || note "stdout is not empty: $(head -c 200 "$T/stdout")"
}

# json FILE PATH: a value from a JSON file.
json() {
    "$JP" "$1" "$2"
}

# near A B RELATIVE: |A - B| <= RELATIVE * |B|
near() {
    awk -v a="$1" -v b="$2" -v r="$3" \
        'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b; exit !(d <= r * m) }'
}

expect_near() { # what value expected relative
    near "$2" "$3" "$4" || note "$1 is $2, expected $3 (within $4 relative)"
}

expect_at_least() { # what value minimum
    awk -v a="$2" -v b="$3" 'BEGIN { exit !(a >= b) }' || note "$1 is $2, expected at least $3"
}

expect_below() { # what value maximum
    awk -v a="$2" -v b="$3" 'BEGIN { exit !(a < b) }' || note "$1 is $2, expected below $3"
}

# ---------------------------------------------------------------- basics

t_help_goes_to_stdout_and_exits_0() {
    run "$BP" --help
    expect_status 0
    expect_stdout '^usage:'
    run "$BP" help help
    expect_status 0
    expect_stdout '^usage:'
    expect_stdout 'backprop train CONFIG'
    run "$BP" help train
    expect_status 0
    expect_stdout '--learning-rate'
    expect_stdout 'default threads here: [0-9]+'
    run "$BP" train --help
    expect_status 0
    expect_stdout 'usage: backprop train'
}

t_version_prints_the_version() {
    run "$BP" --version
    expect_status 0
    expect_stdout '^backprop [0-9]+\.[0-9]+\.[0-9]+$'
}

t_misuse_exits_2_with_one_line() {
    run "$BP" trian configs/iris.json
    expect_status 2
    expect_error_line '^backprop: unknown command "trian"'
    run "$BP" train
    expect_status 2
    expect_error_line '^backprop: train: missing CONFIG'
    run "$BP" train configs/iris.json --epochs ten
    expect_status 2
    expect_error_line '^backprop: --epochs: expected a whole number, got "ten"$'
    # An option's number is judged by the option, not passed on as text the
    # config would read as a string (and blame on the config file).
    run "$BP" train configs/iris.json --learning-rate 0x10
    expect_status 2
    expect_error_line '^backprop: --learning-rate: expected a number, got "0x10"$'
    run "$BP" train configs/iris.json --epochs 02 --batch-size +8 --quiet -o "$T/opt.json"
    expect_status 0
    [ "$(json "$T/opt.json" training.epochs) $(json "$T/opt.json" training.batch_size)" = "2 8" ] ||
        note "--epochs 02 --batch-size +8 did not give 2 and 8"
    run "$BP" train configs/iris.json --bogus
    expect_status 2
    expect_error_line '^backprop: train: unknown option --bogus$'
    run "$BP"
    expect_status 2
}

# ---------------------------------------------------------- seed example

t_seed_example_writes_the_spec_weights() {
    run "$BP" train configs/seed-example.json -o "$T/seed.json" --quiet
    expect_status 0
    expect_empty_stdout
    local f="$T/seed.json"
    # SPEC section 8, to six significant digits.
    expect_near w32 "$(json "$f" layers.1.weights.0.0)" 0.301778372 1e-6
    expect_near w30 "$(json "$f" layers.1.bias.0)" 0.103324414 1e-6
    expect_near w21 "$(json "$f" layers.0.weights.0.0)" 0.200049623 1e-6
    expect_near w20 "$(json "$f" layers.0.bias.0)" 0.100248113 1e-6
    expect_near E "$(json "$f" metrics.train_loss)" 0.00914560615 1e-6
    [ "$(json "$f" state.epoch)" = 1 ] || note "state.epoch is not 1"
    [ "$(json "$f" state.step)" = 1 ] || note "state.step is not 1"
    [ "$(json "$f" format)" = backprop.weights/1 ] || note "format is wrong"
}

t_seed_example_to_stdout() {
    run "$BP" train configs/seed-example.json -o - --quiet
    expect_status 0
    expect_near w32 "$("$JP" "$T/stdout" layers.1.weights.0.0)" 0.301778372 1e-6
}

# ------------------------------------------------------------ real data

t_iris_reaches_95_percent_validation_accuracy() {
    run "$BP" train configs/iris.json -o "$T/iris.json"
    expect_status 0
    expect_stderr '^epoch +1/50 +loss'
    expect_stderr 'validation accuracy'
    expect_at_least "iris validation accuracy" \
        "$(json "$T/iris.json" metrics.validation_accuracy)" 0.95
}

t_xor_reaches_a_loss_below_0_01() {
    run "$BP" train configs/xor.json -o "$T/xor.json" --quiet
    expect_status 0
    expect_below "xor loss" "$(json "$T/xor.json" metrics.train_loss)" 0.01
}

t_diabetes_beats_the_mean_predictor() {
    run "$BP" train configs/diabetes.json -o "$T/diabetes.json" --quiet
    expect_status 0
    run "$BP" eval "$T/diabetes.json" datasets/diabetes.csv
    expect_status 0
    # R^2 > 0 is a lower squared error than predicting the mean.
    expect_at_least "diabetes R^2" "$("$JP" "$T/stdout" r2)" 0.3
}

t_weights_written_before_real_world_tables_load_and_resume() {
    # An iris weights file written by the release before SPEC section 5a
    # (20 epochs; no data.features, labels as numbers). Today's binary
    # reads it as it reads the same file written afresh (read and written
    # back, which adds the new keys): the same predictions, and resumed to
    # 50 epochs, the same bytes (but for where each was written). (Its
    # numbers came from an AVX-512 build, so they are compared with
    # themselves, not with a run of this build.)
    local old=tests/data/iris-20-epochs-before-columns.weights.json
    run "$BP" train "$old" -o "$T/rewritten.json" --quiet
    expect_status 0
    grep -q '"features": \["sepal_length"' "$T/rewritten.json" ||
        note "the rewritten file lacks data.features"
    run "$BP" predict "$old" datasets/iris.csv --proba
    expect_status 0
    cp "$T/stdout" "$T/old-pred"
    [ "$(wc -l <"$T/old-pred")" -eq 151 ] || note "predict: $(wc -l <"$T/old-pred") lines"
    run "$BP" predict "$T/rewritten.json" datasets/iris.csv --proba
    expect_same_file "$T/old-pred" "$T/stdout"
    run "$BP" train "$old" --epochs 50 -o "$T/resumed-old.json" --quiet
    expect_status 0
    run "$BP" train "$T/rewritten.json" --epochs 50 -o "$T/resumed-new.json" --quiet
    expect_status 0
    diff <(grep -v '"output"\|"train"' "$T/resumed-old.json") \
         <(grep -v '"output"\|"train"' "$T/resumed-new.json") >/dev/null ||
        note "the old file resumed differs from the same file written afresh"
}

t_outputs_replace_only_files_backprop_wrote() {
    # SPEC section 2: -o, a config's output key, --log and plot -o replace
    # a file only when backprop wrote it or it is empty; anything else is
    # refused before any work (exit 2, the file untouched) unless --force.
    local d="$T/own"
    mkdir -p "$d"
    printf 'my notes\n' >"$d/notes.txt"
    run "$BP" train configs/xor.json -o "$d/notes.txt" --quiet
    expect_status 2
    expect_error_line "^backprop: $d/notes.txt: exists and is not a backprop weights file [(]-o names it[)]; refusing to replace it: --force replaces it anyway\$"
    [ "$(cat "$d/notes.txt")" = "my notes" ] || note "-o replaced a text file"
    # A config from someone else, whose output key names the user's file.
    sed -e "s|\"output\": \"[^\"]*\"|\"output\": \"notes.txt\"|" \
        -e "s|\"../datasets/|\"$PWD/datasets/|" configs/xor.json >"$d/xor.json"
    run "$BP" train "$d/xor.json" --quiet
    expect_status 2
    expect_error_line "^backprop: $d/notes.txt: exists and is not a backprop weights file [(]$d/xor.json's output names it[)]"
    [ "$(cat "$d/notes.txt")" = "my notes" ] || note "output key replaced a text file"
    run "$BP" train configs/xor.json -o "$d/w.json" --log "$d/notes.txt" --quiet
    expect_status 2
    expect_error_line "^backprop: $d/notes.txt: exists and is not a backprop log [(]--log names it[)]"
    [ ! -e "$d/w.json" ] || note "a refused run wrote its weights"
    # A log by its lines, each of them: a user's JSON lines that begin
    # like a log are not one.
    printf '{"epoch":1,"name":"my data"}\n' >"$d/mine.jsonl"
    run "$BP" train configs/xor.json -o "$d/w.json" --log "$d/mine.jsonl" --quiet
    expect_status 2
    expect_error_line "^backprop: $d/mine.jsonl: exists and is not a backprop log"
    [ "$(cat "$d/mine.jsonl")" = '{"epoch":1,"name":"my data"}' ] || note "--log replaced a user's JSON lines"
    # Empty files, and files backprop wrote, are replaced; checkpoints too.
    : >"$d/empty.json"
    run "$BP" train configs/xor.json -o "$d/empty.json" --log "$d/log" \
        --checkpoint-every 100 --quiet
    expect_status 0
    run "$BP" train configs/xor.json -o "$d/empty.json" --log "$d/log" --quiet
    expect_status 0
    run "$BP" plot "$d/log" -o "$d/notes.txt"
    expect_status 2
    expect_error_line "^backprop: $d/notes.txt: exists and is not an SVG that backprop plot wrote [(]-o names it[)]"
    run "$BP" plot "$d/log" -o "$d/curves.svg"
    expect_status 0
    run "$BP" plot "$d/log" -o "$d/curves.svg"
    expect_status 0
    # --force is the way out, for each.
    run "$BP" plot "$d/log" -o "$d/notes.txt" --force
    expect_status 0
    printf 'my notes\n' >"$d/notes.txt"
    run "$BP" train configs/xor.json -o "$d/notes.txt" --force --quiet
    expect_status 0
    grep -q '"format": "backprop.weights/1"' "$d/notes.txt" || note "--force did not replace"
    # Standard output and character devices are written as they are.
    run "$BP" train configs/xor.json -o /dev/null --log /dev/stderr --quiet
    expect_status 0
}

t_every_shipped_config_trains() {
    local c
    for c in wine breast-cancer digits digits-adamw penguins; do
        run "$BP" train "configs/$c.json" -o "$T/$c.json" --quiet
        expect_status 0
        expect_at_least "$c validation accuracy" \
            "$(json "$T/$c.json" metrics.validation_accuracy)" 0.9
    done
    # AdamW + dropout + plateau reaches at least its SGD counterpart's
    # accuracy on the same split (0.983 against 0.972).
    expect_at_least "digits-adamw against digits" \
        "$(json "$T/digits-adamw.json" metrics.validation_accuracy)" \
        "$(json "$T/digits.json" metrics.validation_accuracy)"
}

# ------------------------------------------------------- determinism

t_weights_identical_for_1_2_and_7_threads() {
    # BACKPROP_TEAM=always: every step of digits' 64-64-10 net on the
    # team, however slow; 13 divides neither 2 nor 7 threads' shares
    # evenly. Left to choose (the default), a run's first steps go both
    # ways in turn (it times them): the same bytes again.
    local n
    for n in 1 2 7; do
        run env BACKPROP_TEAM=always "$BP" train configs/digits.json \
            --epochs 2 --batch-size 13 --threads "$n" \
            -o "$T/threads-$n.json" --quiet
        expect_status 0
    done
    expect_same_file "$T/threads-1.json" "$T/threads-2.json"
    expect_same_file "$T/threads-1.json" "$T/threads-7.json"
    run "$BP" train configs/digits.json --epochs 2 --batch-size 13 \
        --threads 2 -o "$T/threads-auto.json" --quiet
    expect_status 0
    expect_same_file "$T/threads-1.json" "$T/threads-auto.json"
}

t_a_bad_team_setting_is_refused_before_any_work() {
    run env BACKPROP_TEAM=sometimes "$BP" train configs/iris.json -o "$T/team.json"
    expect_status 2
    expect_error_line '^backprop: BACKPROP_TEAM: expected "auto" or "always", got "sometimes"$'
    [ ! -e "$T/team.json" ] || note "a weights file was written"
}

t_weights_file_reads_back_byte_identical() {
    run "$BP" train configs/iris.json --epochs 3 -o "$T/a.json" --quiet
    expect_status 0
    # Training a file that is already done rewrites it unchanged.
    run "$BP" train "$T/a.json" -o "$T/b.json"
    expect_status 0
    expect_stderr 'nothing to train'
    expect_same_file "$T/a.json" "$T/b.json"
}

t_resume_equals_one_uninterrupted_run() {
    # iris trains with shuffle and momentum 0.9; add a step schedule.
    local s=(--set training.schedule.type=step --set training.schedule.every=2
             --set training.schedule.gamma=0.5 --quiet)
    run "$BP" train configs/iris.json --epochs 3 -o "$T/k.json" "${s[@]}"
    expect_status 0
    run "$BP" train "$T/k.json" --epochs 7 -o "$T/resumed.json" --quiet
    expect_status 0
    run "$BP" train configs/iris.json --epochs 7 -o "$T/whole.json" "${s[@]}"
    expect_status 0
    expect_same_file "$T/resumed.json" "$T/whole.json"
}

t_a_weights_file_continues_in_place_with_its_log() {
    # A file trained with -o elsewhere than the config's output: training
    # it again writes it back, not to the config's output (here a file in
    # the config's folder that must not appear).
    local d="$T/in-place"
    mkdir -p "$d/cfg"
    sed "s|\"\.\./datasets/|\"$PWD/datasets/|; s|\"output\": *\"[^\"]*\"|\"output\": \"never.json\"|" \
        configs/iris.json >"$d/cfg/iris.json"
    run "$BP" train "$d/cfg/iris.json" --epochs 4 -o "$d/w.json" --log "$d/w.log" --quiet
    expect_status 0
    run "$BP" train "$d/w.json" --epochs 9 --log "$d/w.log"
    expect_status 0
    expect_stderr "weights written to $d/w.json\$"
    [ "$(json "$d/w.json" state.epoch)" = 9 ] || note "w.json was not continued in place"
    [ ! -e "$d/cfg/never.json" ] || note "continuing w.json wrote the config's output"
    # The log of the run it continues keeps epochs 1-4 and gains 5-9:
    # the same lines (but the clock's) as one run of 9 epochs.
    run "$BP" train "$d/cfg/iris.json" --epochs 9 -o "$d/whole.json" --log "$d/whole.log" --quiet
    expect_status 0
    expect_same_file "$d/w.json" "$d/whole.json"
    diff <(sed 's/,"samples_per_second".*//' "$d/w.log") \
         <(sed 's/,"samples_per_second".*//' "$d/whole.log") >/dev/null ||
        note "the continued log is not the whole run's"
    # Continued from an earlier save than its log's last epoch: the later
    # lines go.
    run "$BP" train "$d/cfg/iris.json" --epochs 2 -o "$d/two.json" --quiet
    cp "$d/whole.log" "$d/two.log"
    run "$BP" train "$d/two.json" --epochs 3 --log "$d/two.log" --quiet
    expect_status 0
    [ "$(wc -l <"$d/two.log")" = 3 ] || note "two.log has $(wc -l <"$d/two.log") lines, expected 3"
    # A log without the epoch resumed from (two.json is at 3 now) is not
    # this run's: written anew.
    printf '{"epoch":1,"train_loss":1}\n' >"$d/other.log"
    run "$BP" train "$d/two.json" --epochs 4 --log "$d/other.log" --quiet
    expect_status 0
    [ "$(head -c 11 "$d/other.log")" = '{"epoch":4,' ] || note "other.log was not written anew"
}

# The optimizers of SPEC 7a with the regularisers and schedules of 7b: k
# epochs then a resumed m give the bytes of k + m in one run, and
# --threads 1 and 2 the same bytes.
OPTIM_CASES=(
    "adam|--set training.optimizer=adam --set training.amsgrad=true --set layers[0].dropout=0.5 --set training.clip_grad_norm=0.5"
    "adamw|--set training.optimizer=adamw --set layers[0].dropout=0.3 --set training.schedule.type=plateau --set training.schedule.patience=0 --set training.schedule.threshold=0.2 --set training.label_smoothing=0.1"
    "rmsprop|--set training.optimizer=rmsprop --set training.momentum=0.5 --set training.centered=true --set training.clip_grad_value=0.05 --set training.schedule.type=exponential --set training.schedule.gamma=0.9"
    "adagrad|--set training.optimizer=adagrad --set training.lr_decay=0.01 --set training.initial_accumulator_value=0.1 --set training.warmup_epochs=3"
    "sgd|--set layers[0].dropout=0.5 --set training.clip_grad_norm=1 --set training.schedule.type=step --set training.schedule.every=2 --set training.schedule.gamma=0.5 --set training.warmup_epochs=2"
    "plateau-train|--set training.optimizer=adam --set data.validation_split=null --set training.schedule.type=plateau --set training.schedule.patience=1 --set training.schedule.threshold=0.3"
    "rmsprop-stopping|--set training.optimizer=rmsprop --set training.learning_rate=0.2 --set layers[0].dropout=0.3 --set training.early_stopping.patience=2 --set training.early_stopping.metric=train_loss"
)

t_every_optimizer_resumes_byte_identical() {
    local c name args
    for c in "${OPTIM_CASES[@]}"; do
        name=${c%%|*}
        # shellcheck disable=SC2206
        args=(${c#*|} --set training.momentum=null --quiet)
        [ "$name" = sgd ] && args=(${c#*|} --quiet)
        [ "$name" = rmsprop ] && args=(${c#*|} --quiet)
        run "$BP" train configs/iris.json --epochs 3 -o "$T/$name-k.json" "${args[@]}"
        expect_status 0
        run "$BP" train "$T/$name-k.json" --epochs 7 -o "$T/$name-resumed.json" --quiet
        expect_status 0
        run "$BP" train configs/iris.json --epochs 7 -o "$T/$name-whole.json" "${args[@]}"
        expect_status 0
        expect_same_file "$T/$name-resumed.json" "$T/$name-whole.json"
    done
    # What the state holds.
    [ "$(json "$T/adam-whole.json" state.t)" = 56 ] || note "adam's t is $(json "$T/adam-whole.json" state.t), expected 56 (7 epochs of 8 steps)"
    json "$T/adam-whole.json" state.vmax.0.bias >/dev/null || note "adam's amsgrad state has no vmax"
    json "$T/rmsprop-whole.json" state.a.1.bias >/dev/null || note "centered rmsprop's state has no a"
    json "$T/rmsprop-whole.json" state.b.0.bias >/dev/null || note "rmsprop's state has no momentum buffer b"
    json "$T/adamw-whole.json" state.plateau.learning_rate >/dev/null || note "the plateau's progress is not in the state"
    [ "$(json "$T/adamw-whole.json" state.velocity)" = null ] || note "adamw wrote a velocity"
    # At epoch 3 the best epoch is not the last: the record carries the
    # best epoch's buffers.
    json "$T/rmsprop-stopping-k.json" state.early_stopping.restore.state.s.0.bias >/dev/null ||
        note "the early-stopping record holds no rmsprop buffer"
}

t_every_optimizer_is_byte_identical_across_threads() {
    local c name args
    for c in "${OPTIM_CASES[@]}"; do
        name=${c%%|*}
        # shellcheck disable=SC2206
        args=(${c#*|} --quiet)
        [ "$name" = sgd ] || [ "$name" = rmsprop ] || args+=(--set training.momentum=null)
        run "$BP" train configs/digits.json --epochs 2 --batch-size 13 --threads 1 -o "$T/$name-t1.json" "${args[@]}"
        expect_status 0
        run env BACKPROP_TEAM=always "$BP" train configs/digits.json --epochs 2 --batch-size 13 --threads 2 -o "$T/$name-t2.json" "${args[@]}"
        expect_status 0
        expect_same_file "$T/$name-t1.json" "$T/$name-t2.json"
    done
}

t_reset_state_clears_every_buffer() {
    local a=(--set training.optimizer=adam --set training.momentum=null
             --set training.schedule.type=plateau --quiet)
    run "$BP" train configs/iris.json --epochs 2 -o "$T/a.json" "${a[@]}"
    expect_status 0
    run "$BP" train "$T/a.json" --reset-state --epochs 1 -o "$T/b.json" --quiet
    expect_status 0
    [ "$(json "$T/b.json" state.t)" = 8 ] || note "after --reset-state and one epoch t is $(json "$T/b.json" state.t), expected 8"
    [ "$(json "$T/b.json" state.epoch)" = 1 ] || note "--reset-state kept the epochs"
    # An SGD file (velocity only, as before) loads into adam: fresh buffers.
    run "$BP" train configs/iris.json --epochs 2 -o "$T/sgd.json" --quiet
    run "$BP" train "$T/sgd.json" --epochs 3 --set training.optimizer=adam \
        --set training.momentum=null --set training.nesterov=null -o "$T/c.json" --quiet
    expect_status 0
    [ "$(json "$T/c.json" state.t)" = 8 ] || note "switching sgd to adam: t is $(json "$T/c.json" state.t), expected 8"
    [ "$(json "$T/c.json" state.velocity)" = null ] || note "adam kept sgd's velocity"
    [ "$(json "$T/c.json" state.optimizer)" = adam ] || note "the state does not name adam"
    # RMSprop's s is not Adagrad's sum: a change of optimizer starts afresh,
    # and so does turning amsgrad on (vmax would be missing).
    run "$BP" train configs/iris.json --epochs 2 -o "$T/r.json" --quiet \
        --set training.optimizer=rmsprop --set training.momentum=null
    run "$BP" train "$T/r.json" --epochs 3 --set training.optimizer=adagrad \
        --set training.alpha=null --set training.centered=null \
        --set training.momentum=null --set training.eps=null -o "$T/g.json" --quiet
    expect_status 0
    [ "$(json "$T/g.json" state.t)" = 8 ] || note "rmsprop to adagrad: t is $(json "$T/g.json" state.t), expected 8"
    [ "$(json "$T/g.json" training.eps)" = 1e-10 ] || note "adagrad after rmsprop kept rmsprop's eps"
    run "$BP" train "$T/c.json" --epochs 4 --set training.amsgrad=true -o "$T/ams.json" --quiet
    expect_status 0
    [ "$(json "$T/ams.json" state.t)" = 8 ] || note "turning amsgrad on: t is $(json "$T/ams.json" state.t), expected 8"
}

t_optimizer_keys_are_checked() {
    local d=datasets/iris.csv c=configs/iris.json
    run "$BP" train $c --set training.betas=[0.9,0.999] -o "$T/x.json"
    expect_status 2
    expect_error_line '^backprop: --set training.betas: not used by the sgd optimizer$'
    run "$BP" train $c --set training.optimizer=adam -o "$T/x.json"
    expect_status 2
    expect_error_line '^backprop: configs/iris.json: training.momentum: not used by the adam optimizer$'
    run "$BP" train $c --set training.optimizer=adam --set training.momentum=null --set training.betas=[0.9,1] -o "$T/x.json"
    expect_status 2
    expect_error_line 'training.betas\[1\]: must be in \[0, 1\), got 1$'
    run "$BP" train $c --set training.optimizer=adam --set training.momentum=null --set training.eps=0 -o "$T/x.json"
    expect_status 2
    expect_error_line 'training.eps: must be > 0, got 0$'
    run "$BP" train $c --set training.optimizer=adagrad --set training.momentum=null --set training.lr_decay=-1 -o "$T/x.json"
    expect_status 2
    expect_error_line 'training.lr_decay: must be >= 0, got -1$'
    run "$BP" train $c --set training.clip_grad_norm=1 --set training.clip_grad_value=1 -o "$T/x.json"
    expect_status 2
    expect_error_line 'training.clip_grad_value: cannot be used together with training.clip_grad_norm$'
    run "$BP" train $c --set 'layers[1].dropout=0.5' -o "$T/x.json"
    expect_status 2
    expect_error_line 'layers\[1\].dropout: only allowed on a hidden layer'
    run "$BP" train $c --set 'layers[0].dropout=1' -o "$T/x.json"
    expect_status 2
    expect_error_line 'layers\[0\].dropout: must be in \[0, 1\), got 1$'
    run "$BP" train configs/xor.json --set training.label_smoothing=0.1 -o "$T/x.json"
    expect_status 2
    expect_error_line 'training.label_smoothing: needs a softmax last layer with the cross_entropy loss$'
    run "$BP" train $c --set data.validation_split=null --set training.schedule.type=plateau --set training.schedule.metric=validation_loss -o "$T/x.json"
    expect_status 2
    expect_error_line 'training.schedule.metric: validation_loss needs validation data'
    run "$BP" train $c --set training.schedule.type=plateau --set training.schedule.gamma=0.5 -o "$T/x.json"
    expect_status 2
    expect_error_line 'training.schedule.gamma: not used by a plateau schedule$'
    [ ! -e "$T/x.json" ] || note "a rejected config wrote weights"
    : "$d"
}

# ------------------------------------------------------------ pipelines

t_train_predict_eval_pipeline() {
    "$BP" train configs/iris.json -o - --quiet >"$T/model.json"
    run sh -c "\"$BP\" train configs/iris.json -o - --quiet | \"$BP\" predict - datasets/iris.csv | head -3"
    expect_status 0
    [ "$(sed -n 1p "$T/stdout")" = class ] || note "predict header is not 'class'"
    [ "$(sed -n 2p "$T/stdout")" = setosa ] || note "first iris row not predicted setosa"
    run sh -c "\"$BP\" train configs/iris.json -o - --quiet | \"$BP\" eval - datasets/iris.csv"
    expect_status 0
    expect_at_least "iris accuracy" "$("$JP" "$T/stdout" accuracy)" 0.95
    [ "$("$JP" "$T/stdout" samples)" = 150 ] || note "eval did not count 150 samples"
}

t_data_from_stdin() {
    run sh -c "cat datasets/iris.csv | \"$BP\" train configs/iris.json --data - -o \"$T/stdin.json\" --quiet"
    expect_status 0
    run "$BP" train configs/iris.json -o "$T/file.json" --quiet
    # data.train differs ("-"), so compare the weights.
    [ "$(json "$T/stdin.json" layers.0.weights)" = "$(json "$T/file.json" layers.0.weights)" ] ||
        note "weights trained from stdin differ from the file's"
}

t_stdin_is_read_once() {
    local d=datasets/iris.csv
    run sh -c "\"$BP\" train configs/iris.json --data - --validation - -o \"$T/s.json\" <$d"
    expect_status 2
    expect_error_line '^backprop: train: only one of CONFIG, the training data and the validation data can be stdin$'
    run sh -c "\"$BP\" train - --data - -o \"$T/s.json\" <configs/iris.json"
    expect_status 2
    expect_error_line '^backprop: train: only one of CONFIG'
    [ ! -e "$T/s.json" ] || note "an output file appeared"
}

t_log_writes_one_json_object_per_epoch() {
    run "$BP" train configs/iris.json --epochs 5 -o "$T/l.json" --log "$T/log.jsonl" --quiet
    expect_status 0
    [ "$("$JP" -l "$T/log.jsonl")" = 5 ] || note "log does not hold 5 JSON objects"
    local last
    last=$(tail -1 "$T/log.jsonl")
    printf '%s' "$last" >"$T/last.json"
    [ "$(json "$T/last.json" epoch)" = 5 ] || note "last log line is not epoch 5"
    json "$T/last.json" validation_accuracy >/dev/null || note "no validation_accuracy in the log"
}

t_the_log_survives_bad_input_and_never_shares_the_output() {
    printf '%s\n' "$PREV_LOG" >"$T/keep.log"
    # A mistake found after the data is read, before the first epoch.
    run "$BP" train configs/iris.json --log "$T/keep.log" -o "$T/keep.json" \
        --set training.early_stopping.patience=3 --set data.validation_split=0
    expect_status 2
    expect_error_line 'training.early_stopping.metric: '
    [ "$(cat "$T/keep.log")" = "$PREV_LOG" ] || note "a bad config emptied the previous log"
    run "$BP" train configs/iris.json --epochs 2 --log "$T/same.json" -o "$T/same.json"
    expect_status 2
    expect_error_line "^backprop: train: $T/same.json: the log and the weights cannot go to the same file\$"
    [ ! -e "$T/same.json" ] || note "the shared file was written"
    run "$BP" train configs/iris.json --epochs 2 --log "$T/no/such/folder/log" -o "$T/w.json"
    expect_status 2
    expect_error_line "^backprop: $T/no/such/folder/log: no such folder: $T/no/such/folder\$"
    [ ! -e "$T/w.json" ] || note "a refused run wrote its weights"
}

t_gradcheck_passes_on_every_config() {
    local c
    for c in seed-example xor iris wine breast-cancer digits digits-adamw diabetes penguins; do
        run "$BP" gradcheck "configs/$c.json"
        expect_status 0
        expect_stdout '"passed":true'
        expect_below "$c gradcheck error" "$("$JP" "$T/stdout" worst_relative_error)" 1e-3
    done
}

t_gradcheck_fails_where_the_derivative_does_not_exist() {
    # Every pre-activation of the relu unit sits exactly on its kink, where
    # back-propagation takes the derivative as 0 and finite differences
    # see the average of the two slopes: the check must say so and exit 1.
    printf '%s' '{"input": 1, "layers": [{"units": 1, "activation": "relu", "weights": [[0]], "bias": [0]}, {"units": 1, "activation": "linear", "weights": [[1]], "bias": [0]}], "loss": "mse"}' >"$T/kink.json"
    run "$BP" gradcheck "$T/kink.json"
    expect_status 1
    expect_stdout '"passed":false'
    expect_error_line '^backprop: gradcheck: layers\[0\]\.(weights\[0\]\[0\]|bias\[0\]): analytic 0 and numeric -?[0-9.e-]+ differ by [0-9.e-]+, more than atol [0-9.e-]+ \+ rtol 0.001 \* \|numeric\| = [0-9.e-]+$'
}

t_gradcheck_passes_on_trained_weights_files() {
    # Trained weights have near-zero gradients, which float32 resolves
    # only to the scale of the large ones: judged as numpy.allclose with
    # the floor stated, they pass (they failed on relative error alone).
    local o
    for o in sgd adam adamw; do
        local a=()
        [ "$o" = sgd ] || a=(--set training.optimizer=$o --set training.momentum=null)
        run "$BP" train configs/iris.json -o "$T/iris-$o.json" --quiet "${a[@]}"
        expect_status 0
        run "$BP" gradcheck "$T/iris-$o.json"
        expect_status 0
        expect_stdout '"passed":true'
        expect_stdout '"atol":[0-9]'
        expect_stdout '"rtol":0.001'
    done
    # With dropout configured, the network is checked without it.
    printf '%s' '{"input": 4, "layers": [{"units": 16, "activation": "relu", "dropout": 0.5}, {"units": 3, "activation": "softmax"}], "init": {"method": "he", "seed": 2}, "data": {"train": "../../datasets/iris.csv", "label": "species", "normalize": "standard"}}' >"$T/drop.json"
    printf '%s' '{"input": 4, "layers": [{"units": 16, "activation": "relu"}, {"units": 3, "activation": "softmax"}], "init": {"method": "he", "seed": 2}, "data": {"train": "../../datasets/iris.csv", "label": "species", "normalize": "standard"}}' >"$T/nodrop.json"
    run "$BP" gradcheck "$T/drop.json" datasets/iris.csv
    expect_status 0
    cp "$T/stdout" "$T/drop.out"
    run "$BP" gradcheck "$T/nodrop.json" datasets/iris.csv
    expect_same_file "$T/drop.out" "$T/stdout"
}

t_gradcheck_reads_with_threads_and_refuses_bad_counts() {
    # Over table_read's 4 MiB threshold, so --threads 2 reads it in parts;
    # the report is the same as with one thread.
    awk 'NR == 1 { print; next } { row[NR] = $0 }
         END { for (k = 0; k < 1700; k++) for (i = 2; i <= NR; i++) print row[i] }' \
        datasets/iris.csv >"$T/big-iris.csv"
    run "$BP" gradcheck configs/iris.json "$T/big-iris.csv" --threads 1
    expect_status 0
    cp "$T/stdout" "$T/gradcheck-1.json"
    run "$BP" gradcheck configs/iris.json "$T/big-iris.csv" --threads 2
    expect_status 0
    expect_stdout '"passed":true'
    expect_same_file "$T/gradcheck-1.json" "$T/stdout"
    local n why
    for n in 0 -1 abc; do
        case $n in
        0) why='0 is out of range \(1\.\.1024\)' ;;
        *) why="expected a whole number, got \"$n\"" ;;
        esac
        run "$BP" gradcheck configs/iris.json --threads "$n"
        expect_status 2
        expect_empty_stdout
        expect_error_line "^backprop: --threads: $why\$"
    done
}

t_info_counts_parameters_and_flops() {
    run "$BP" info configs/iris.json
    expect_status 0
    expect_stdout '^parameters +131 '
    # forward 2*(4*16 + 16*3) = 224; training adds 4*16*2 + 16*3*2*2 = 320
    expect_stdout 'FLOPs +224 per sample forward, 544 per sample training'
}

t_divergence_exits_1_and_keeps_the_previous_file() {
    printf '%s\n' "$PREV" >"$T/prev.json"
    run "$BP" train configs/iris.json --learning-rate 1e30 -o "$T/prev.json" --quiet
    expect_status 1
    expect_error_line '^backprop: epoch 1, step [0-9]+: .*diverged.*learning rate'
    [ "$(cat "$T/prev.json")" = "$PREV" ] || note "previous output was overwritten"
}

t_predict_writes_classes_probabilities_and_regression_outputs() {
    "$BP" train configs/iris.json -o "$T/iris-p.json" --quiet
    run "$BP" predict --proba "$T/iris-p.json" datasets/iris.csv
    expect_status 0
    [ "$(sed -n 1p "$T/stdout")" = "class,p_setosa,p_versicolor,p_virginica" ] ||
        note "proba header: $(sed -n 1p "$T/stdout")"
    [ "$(wc -l <"$T/stdout")" -eq 151 ] || note "expected 151 lines of predictions"
    # Features only, from stdin: the label column is optional.
    run sh -c "cut -d, -f1-4 datasets/iris.csv | \"$BP\" predict \"$T/iris-p.json\""
    expect_status 0
    [ "$(wc -l <"$T/stdout")" -eq 151 ] || note "features-only input not predicted"
    "$BP" train configs/diabetes.json -o "$T/diab-p.json" --quiet --epochs 5
    run "$BP" predict "$T/diab-p.json" datasets/diabetes.csv
    expect_status 0
    [ "$(sed -n 1p "$T/stdout")" = progression ] || note "regression header: $(sed -n 1p "$T/stdout")"
}

t_predict_quotes_class_names_as_whole_csv_fields() {
    # A class name with a comma, a quote or a newline is one quoted field,
    # "p_" included, in the --proba header as in the rows.
    run "$BP" train configs/iris.json --epochs 1 -o "$T/names.json" --quiet \
        --set 'data.classes=["set,osa", "versi\"color", "virginica\nx"]'
    expect_status 0
    run "$BP" predict --proba "$T/names.json" datasets/iris.csv
    expect_status 0
    printf '%s\n' 'class,"p_set,osa","p_versi""color","p_virginica' 'x"' >"$T/names-header"
    head -2 "$T/stdout" >"$T/names-got"
    expect_same_file "$T/names-header" "$T/names-got"
    grep -q '^"set,osa",' "$T/stdout" || note "a class name in a row is not quoted"
}

t_predict_and_eval_refuse_misuse() {
    run "$BP" predict
    expect_status 2
    expect_error_line '^backprop: predict: missing WEIGHTS'
    run "$BP" eval - -
    expect_status 2
    expect_error_line '^backprop: eval: WEIGHTS and DATA cannot both be stdin$'
    run "$BP" predict configs/iris.json datasets/iris.csv
    expect_status 2
    expect_error_line '^backprop: configs/iris.json: layers\[0\]: no weights'
    run "$BP" eval configs/seed-example.json datasets/iris.csv
    expect_status 2
    expect_error_line 'datasets/iris.csv:1:1: no column named "T" [(]data.targets\[0\] of configs/seed-example.json[)]'
}

t_every_command_has_help() {
    local c
    for c in train predict eval gradcheck info; do
        run "$BP" help "$c"
        expect_status 0
        expect_stdout "^usage: backprop $c"
    done
    run "$BP" help nothing
    expect_status 2
}

t_checkpoints_are_written_during_training() {
    run "$BP" train configs/iris.json --epochs 4 --checkpoint-every 2 \
        -o "$T/ck.json" --log "$T/ck.log" --quiet
    expect_status 0
    [ "$(json "$T/ck.json" state.epoch)" = 4 ] || note "final state.epoch is not 4"
    run "$BP" train configs/iris.json --checkpoint-every 2 -o -
    expect_status 2
    expect_error_line 'checkpoint-every needs -o FILE'
}

t_info_reads_weights_files() {
    "$BP" train configs/iris.json --epochs 2 -o "$T/info.json" --quiet
    run "$BP" info "$T/info.json"
    expect_status 0
    expect_stdout 'weights file'
    expect_stdout '^trained +2 epochs, 16 steps'  # 120 rows in batches of 16
}

# ------------------------------------------------- plot, man page, install

t_plot_draws_well_formed_svg_naming_its_series() {
    "$BP" train configs/iris.json --epochs 20 -o "$T/plot.json" \
        --log "$T/plot.log" --quiet
    run "$BP" plot "$T/plot.log"
    expect_status 0
    [ ! -s "$T/stderr" ] || note "plot wrote to stderr: $(head -c 300 "$T/stderr")"
    expect_stdout '^<!-- written by backprop plot -->$'
    expect_stdout '^<svg xmlns="http://www.w3.org/2000/svg"'
    expect_stdout '<title>Learning curves: plot.log</title>'
    expect_stdout '>train loss</text>'
    expect_stdout '>validation loss</text>'
    expect_stdout '>validation accuracy \(right axis\)</text>'
    expect_stdout '>epoch</text>'
    if command -v xmllint >/dev/null; then
        xmllint --noout "$T/stdout" 2>"$T/xmllint" ||
            note "the SVG is not well-formed XML: $(head -c 300 "$T/xmllint")"
    else
        note "xmllint is missing (apt-get install libxml2-utils)"
    fi
}

t_plot_reads_stdin_and_writes_the_output_file() {
    # xor has no validation data: only the train loss is drawn.
    "$BP" train configs/xor.json --epochs 30 -o "$T/px.json" \
        --log "$T/px.log" --quiet
    run sh -c "\"$BP\" plot - <\"$T/px.log\""
    expect_status 0
    expect_stdout '<title>Learning curves</title>'
    expect_stdout '>train loss</text>'
    grep -q 'validation' "$T/stdout" && note "a series absent from the log is drawn"
    run "$BP" plot "$T/px.log" -o "$T/px.svg" --title 'xor & <co>'
    expect_status 0
    expect_empty_stdout
    [ -s "$T/px.svg" ] || note "plot -o did not write the file"
    grep -q '<title>xor &amp; &lt;co&gt;</title>' "$T/px.svg" ||
        note "the title is not escaped"
    xmllint --noout "$T/px.svg" 2>/dev/null || note "plot -o wrote malformed XML"
    [ "$(ls "$T" | grep -c '^px\.svg.')" -eq 0 ] || note "a temporary file was left"
    run "$BP" plot "$T/px.log" -o "$T/px.log"
    expect_status 2
    expect_error_line 'the output is the log'
}

# bad_log NAME PRINTF-BYTES REGEX: plotting this log fails with exit 2
# and one line naming file:line[:column], writing nothing.
bad_log() {
    local dir="$T/log-$RANDOM"
    mkdir -p "$dir"
    printf "$2" >"$dir/run.log"
    printf '%s\n' "$PREV_SVG" >"$dir/prev.svg"
    run "$BP" plot "$dir/run.log" -o "$dir/prev.svg"
    expect_status 2
    expect_error_line "^backprop: $dir/run.log:$3"
    [ "$(cat "$dir/prev.svg")" = "$PREV_SVG" ] || note "$1: previous output changed"
    run "$BP" plot "$dir/run.log"
    expect_status 2
    expect_empty_stdout
    [ "$(ls -A "$dir" | wc -l)" -eq 2 ] || note "$1: stray files: $(ls -A "$dir")"
}

# A log handed to a command that reads a config or weights file is named
# as a log, not as JSON with trailing garbage on its line 2.
t_a_log_in_a_config_s_place_is_named() {
    "$BP" train configs/xor.json --epochs 2 --quiet -o "$T/xor.w.json" --log "$T/xor.log" --force
    for cmd in train info; do
        run "$BP" "$cmd" "$T/xor.log"
        expect_status 2
        expect_error_line "^backprop: $T/xor.log: a training log \\(one JSON object per line, as train --log writes\\), not a config or weights file\$"
    done
    run "$BP" predict "$T/xor.log" datasets/xor.csv
    expect_status 2
    expect_error_line "^backprop: $T/xor.log: a training log"
    # Two objects without an epoch: still plain invalid JSON, where it is.
    printf '{"a": 1}\n{"b": 2}\n' >"$T/two.json"
    run "$BP" info "$T/two.json"
    expect_status 2
    expect_error_line "^backprop: $T/two.json:2:1: invalid JSON: trailing garbage"
}

t_plot_tells_a_folder_from_a_sweep_s_folder() {
    mkdir -p "$T/sweeps/one"
    run "$BP" plot "$T/sweeps" -o "$T/p.svg"
    expect_status 2
    expect_error_line "^backprop: $T/sweeps: a folder, not a sweep's [(]no sweep.json in it[)]"
    printf '{}\n' >"$T/sweeps/one/sweep.json"
    run "$BP" plot "$T/sweeps/one" -o "$T/p.svg"
    expect_status 2
    expect_error_line "^backprop: $T/sweeps/one: a sweep's folder with no run's log in it yet\$"
    [ ! -e "$T/p.svg" ] || note "a refused plot wrote its SVG"
}

t_plot_refuses_bad_logs_naming_the_line() {
    bad_log not-json 'epoch 1 loss 0.5\n' '1:1: invalid JSON'
    bad_log second-line '{"epoch":1}\n{"epoch":2,}\n' '2:12: invalid JSON'
    bad_log cut-off '{"epoch":1}\n{"epoch":2,"train_loss":0.' '2:25: invalid JSON'
    bad_log not-object '{"epoch":1}\n[1, 2]\n' '2: expected a JSON object per line, got an array$'
    bad_log no-epoch '{"train_loss":0.5}\n' '1: epoch: missing$'
    bad_log epoch-type '{"epoch":"1"}\n' '1: epoch: expected a whole number, got a string$'
    bad_log fraction '{"epoch":1.5}\n' '1: epoch: expected a whole number >= 0, got 1.5$'
    bad_log order '{"epoch":2}\n{"epoch":1}\n' '2: epoch: 1 comes after epoch 2'
    bad_log loss-type '{"epoch":1,"train_loss":"low"}\n' '1: train_loss: expected a number or null, got a string$'
    bad_log empty '' '1:1: empty log'
    bad_log blank-lines '\n  \n\r\n' '1:1: empty log'
    bad_log nul '{"epoch":1}\n{"ep\000' '2:5: invalid JSON: NUL byte'
    # A whole JSON document in the log's place: named as what it is.
    bad_log document '{\n  "input": 4\n}\n' ' one JSON document over several lines, not a log: plot reads one JSON object per line'
    bad_log weights-file '{\n  "format": "backprop.weights/1",\n  "input": 4\n}\n' ' a weights file, not a log'
    run "$BP" plot "$T/no-such.log"
    expect_status 2
    expect_error_line "^backprop: $T/no-such.log: cannot open"
    run "$BP" plot
    expect_status 2
    expect_error_line '^backprop: plot: missing LOG'
}

# The options `backprop help COMMAND` lists, one per line.
help_options() {
    "$BP" help "$1" | sed -nE 's/^ +(-[a-zA-Z], )?(--[a-z][a-z-]*).*/\2/p'
}

t_man_page_renders_and_documents_every_option() {
    if ! command -v groff >/dev/null; then
        printf '    (%s skipped: no groff)\n' "$current" >&2
        return
    fi
    run groff -man -Tutf8 -ww docs/backprop.1
    expect_status 0
    [ ! -s "$T/stderr" ] || note "groff warns: $(head -c 400 "$T/stderr")"
    groff -man -Tascii -P-cbu docs/backprop.1 2>/dev/null >"$T/man.txt"
    local c o
    for c in $("$BP" --help | awk '$1 == "backprop" { print $2 }' | grep -v '^-'); do
        grep -q "^ *backprop $c" "$T/man.txt" || note "SYNOPSIS lacks $c"
        [ "$c" = help ] && continue
        for o in $(help_options "$c"); do
            grep -q -- "$o" "$T/man.txt" || note "the man page lacks $c $o"
        done
    done
}

t_readme_and_man_page_list_every_optimizer_key() {
    command -v groff >/dev/null || { skip "no groff"; return; }
    groff -man -Tascii -P-cbu docs/backprop.1 2>/dev/null | tr -s ' \n' ' ' >"$T/man.txt"
    local k
    for k in optimizer adam adamw rmsprop adagrad betas eps amsgrad alpha \
             centered lr_decay initial_accumulator_value clip_grad_norm \
             clip_grad_value label_smoothing warmup_epochs dropout \
             exponential plateau factor patience threshold min_lr; do
        grep -q "\`$k\`\|\"$k\"" README.md || note "README lacks $k"
        grep -q "$k" "$T/man.txt" || note "the man page lacks $k"
    done
}

t_bash_completion_completes_commands_and_options() {
    run bash -c '
        source completions/backprop.bash
        comp() {
            COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
            COMPREPLY=(); _backprop
            echo "$(printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " ")"
        }
        comp backprop ""
        comp backprop help ""
        comp backprop plot --
        comp backprop train configs/iris.json --data datasets/ir
        comp backprop predict w.json datasets/ir
        comp backprop train configs/ir
        comp backprop train x.json --set training.mom
        for c in train predict eval gradcheck info plot sweep; do
            echo "$c: $(comp backprop "$c" --)"
        done'
    expect_status 0
    [ "$(sed -n 1p "$T/stdout")" = "eval gradcheck help info plot predict sweep train " ] ||
        note "commands: $(sed -n 1p "$T/stdout")"
    [ "$(sed -n 2p "$T/stdout")" = "eval gradcheck info plot predict sweep train " ] ||
        note "help COMMAND: $(sed -n 2p "$T/stdout")"
    [ "$(sed -n 3p "$T/stdout")" = "--force --help --metric --output --title " ] ||
        note "plot options: $(sed -n 3p "$T/stdout")"
    [ "$(sed -n 4p "$T/stdout")" = "datasets/iris.csv " ] ||
        note "--data FILE: $(sed -n 4p "$T/stdout")"
    [ "$(sed -n 5p "$T/stdout")" = "datasets/iris.csv " ] ||
        note "predict DATA: $(sed -n 5p "$T/stdout")"
    [ "$(sed -n 6p "$T/stdout")" = "configs/iris.json " ] ||
        note "train CONFIG: $(sed -n 6p "$T/stdout")"
    [ "$(sed -n 7p "$T/stdout")" = "training.momentum= " ] ||
        note "--set KEY: $(sed -n 7p "$T/stdout")"
    local c o
    for c in train predict eval gradcheck info plot sweep; do
        for o in $(help_options "$c"); do
            grep -q -- "^$c: .*$o " "$T/stdout" || note "completion lacks $c $o"
        done
    done
}

t_make_install_puts_each_file_in_place() {
    local p="$T/prefix/usr" f
    # The binary under test is installed as it is (-o: never rebuilt), and
    # the outer make's flags (MAKEFLAGS) stay out.
    run env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
        make -s -o "$BP" BIN="$BP" PREFIX="$p" install
    expect_status 0
    for f in bin/backprop share/man/man1/backprop.1 \
        share/bash-completion/completions/backprop \
        share/backprop/configs/iris.json share/backprop/datasets/iris.csv; do
        [ -f "$p/$f" ] || note "make install did not install $f"
    done
    [ -x "$p/bin/backprop" ] || note "the installed binary is not executable"
    expect_same_file docs/backprop.1 "$p/share/man/man1/backprop.1"
    # The installed configs still find their datasets.
    run "$p/bin/backprop" train "$p/share/backprop/configs/iris.json" \
        --epochs 1 -o "$T/installed.json" --quiet
    expect_status 0
    run env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
        make -s -o "$BP" BIN="$BP" PREFIX=/usr DESTDIR="$T/stage" install
    expect_status 0
    [ -x "$T/stage/usr/bin/backprop" ] || note "DESTDIR was not honoured"
}

# ------------------------------------------------------------ bad input

# bad_config NAME JSON REGEX: training from this config fails with exit
# 2 and one line naming the place, writing nothing.
bad_config() {
    local dir="$T/bad-$RANDOM"
    mkdir -p "$dir"
    printf '%s' "$2" >"$dir/config.json"
    printf '%s\n' "$PREV" >"$dir/prev.json"
    run "$BP" train "$dir/config.json" --data datasets/iris.csv -o "$dir/prev.json"
    expect_status 2
    expect_error_line "^backprop: $dir/config.json(:[0-9]+:[0-9]+)?: $3"
    [ "$(cat "$dir/prev.json")" = "$PREV" ] || note "$1: previous output changed"
    record_error config "$1" "$2" "$dir/"
    local first
    first=$(cat "$T/stderr")
    # The same message through every command that reads a config.
    local c
    for c in info gradcheck predict eval; do
        run "$BP" "$c" "$dir/config.json" datasets/iris.csv
        [ "$c" = info ] && run "$BP" info "$dir/config.json"
        expect_status 2
        [ "$(cat "$T/stderr")" = "$first" ] || note "$1: $c says $(cat "$T/stderr")"
    done
    run "$BP" train "$dir/config.json" --data datasets/iris.csv -o "$dir/new.json"
    [ ! -e "$dir/new.json" ] || note "$1: an output file appeared"
    [ "$(ls -A "$dir" | wc -l)" -eq 2 ] || note "$1: stray files: $(ls -A "$dir")"
}

IRIS_LAYERS='"layers": [{"units": 8, "activation": "relu"}, {"units": 3, "activation": "softmax"}]'

t_bad_configs_exit_2_naming_the_place() {
    bad_config syntax '{"input": 4,, }' 'invalid JSON'
    bad_config position '{
  "input": 4,
  "layers": [}' '.*'
    grep -Eq ':3:[0-9]+: ' "$T/stderr" || note "syntax error not placed on line 3: $(cat "$T/stderr")"
    bad_config trailing "{\"input\": 4, $IRIS_LAYERS} x" 'invalid JSON'
    bad_config csv 'sepal_length,sepal_width,species
5.1,3.5,setosa
' 'invalid JSON: unexpected "sepal_length" \(expected a value\) \(a CSV file\? a config is JSON, and names its data in data.train\)$'
    bad_config log '{"epoch": 1, "train_loss": 0.5}
{"epoch": 2, "train_loss": 0.4}
' 'a training log \(one JSON object per line, as train --log writes\), not a config or weights file$'
    bad_config empty '' 'empty'
    bad_config not-object '[1, 2]' '.*object'
    bad_config duplicate "{\"input\": 4, \"input\": 4, $IRIS_LAYERS}" 'input: duplicate key'
    bad_config unknown "{\"input\": 4, $IRIS_LAYERS, \"trainng\": {}}" 'trainng: unknown key \(did you mean "training"\?\)'
    bad_config wrong-type "{\"input\": \"four\", $IRIS_LAYERS}" 'input: expected a whole number'
    bad_config fraction "{\"input\": 4.5, $IRIS_LAYERS}" 'input: .*whole'
    bad_config non-finite "{\"input\": 4, $IRIS_LAYERS, \"training\": {\"learning_rate\": 1e999}}" 'training.learning_rate: '
    bad_config negative "{\"input\": 4, $IRIS_LAYERS, \"training\": {\"learning_rate\": -0.1}}" 'training.learning_rate: '
    bad_config activation '{"input": 4, "layers": [{"units": 8, "activation": "relux"}, {"units": 3, "activation": "softmax"}]}' \
        'layers\[0\].activation: unknown activation "relux" \(expected one of: sigmoid, tanh, relu, linear, softmax\)'
    bad_config softmax-hidden '{"input": 4, "layers": [{"units": 8, "activation": "softmax"}, {"units": 3, "activation": "softmax"}]}' \
        'layers\[0\].activation: '
    bad_config absurd-units '{"input": 4, "layers": [{"units": 1000000000000, "activation": "relu"}, {"units": 3, "activation": "softmax"}]}' \
        'layers\[0\].units: '
    bad_config missing-input "{$IRIS_LAYERS}" 'input: '
    bad_config weights-shape '{"input": 4, "layers": [{"units": 2, "activation": "relu", "weights": [[1,2,3,4]], "bias": [0,0]}, {"units": 3, "activation": "softmax"}]}' \
        'layers\[0\].weights'
    bad_config loss-mismatch "{\"input\": 4, $IRIS_LAYERS, \"loss\": \"mse\"}" 'loss: '
    bad_config schedule "{\"input\": 4, $IRIS_LAYERS, \"training\": {\"schedule\": {\"type\": \"step\"}}}" 'training.schedule.every: '
}

t_missing_config_file_exits_2() {
    run "$BP" train "$T/nonexistent.json"
    expect_status 2
    expect_error_line "^backprop: $T/nonexistent.json: "
}

t_bad_set_override_exits_2() {
    run "$BP" train configs/iris.json --set training.momentum=fast -o "$T/x.json"
    expect_status 2
    expect_error_line 'training.momentum: '
    run "$BP" train configs/iris.json --set nokey -o "$T/x.json"
    expect_status 2
    expect_error_line '^backprop: --set: expected KEY=VALUE'
    [ ! -e "$T/x.json" ] || note "an output file appeared"
    # A value the config refuses names the option it came from, not the
    # config file.
    run "$BP" train configs/iris.json --learning-rate -1 -o "$T/x.json"
    expect_status 2
    expect_error_line '^backprop: --learning-rate training.learning_rate: must be > 0, got -1$'
    run "$BP" train configs/iris.json --set layers.0.activation=relux -o "$T/x.json"
    expect_status 2
    expect_error_line '^backprop: --set layers\[0\].activation: unknown activation "relux"'
    run "$BP" train configs/iris.json --set 'training.schedule={"type":"step","every":0,"gamma":0.5}' -o "$T/x.json"
    expect_status 2
    expect_error_line '^backprop: --set training.schedule.every: '
    [ ! -e "$T/x.json" ] || note "an output file appeared"
}

# Previous outputs of each kind, as backprop would have written them (it
# replaces nothing else without --force), for the tests that check a
# failed run leaves them as they were.
PREV='{"format": "backprop.weights/1", "previous": true}'
PREV_LOG='{"epoch":1,"train_loss":1,"previous":true}'
PREV_SVG='<!-- written by backprop plot --><svg/>'

# bad_csv NAME PRINTF-BYTES REGEX: training on this CSV fails with exit 2
# and one line naming file:line:column, writing nothing.
bad_csv() {
    local dir="$T/csv-$RANDOM"
    mkdir -p "$dir"
    printf "$2" >"$dir/data.csv"
    printf '%s\n' "$PREV" >"$dir/prev.json"
    run "$BP" train configs/iris.json --data "$dir/data.csv" -o "$dir/prev.json"
    expect_status 2
    expect_error_line "^backprop: $dir/data.csv:$3"
    [ "$(cat "$dir/prev.json")" = "$PREV" ] || note "$1: previous output changed"
    [ "$(ls -A "$dir" | wc -l)" -eq 2 ] || note "$1: stray files: $(ls -A "$dir")"
    record_error csv "$1" "$2" "$dir/"
    # Prediction reads the same file the same way.
    [ -e "$T/iris-model.json" ] ||
        "$BP" train configs/iris.json -o "$T/iris-model.json" --quiet
    local c
    for c in eval gradcheck; do
        if [ "$c" = gradcheck ]; then
            run "$BP" gradcheck configs/iris.json "$dir/data.csv"
        else
            run "$BP" eval "$T/iris-model.json" "$dir/data.csv"
        fi
        expect_status 2
        expect_error_line "^backprop: $dir/data.csv:$3"
    done
}

# record_error KIND CLASS INPUT DIR: adds the last run's message to the
# table of bad-input classes (docs/bad-input.md), DIR/ cut from paths.
record_error() {
    local input message
    input=$(printf '%s' "$3" | sed -e ':a;N;$!ba;s/\n/\\n/g' -e 's/|/\\|/g')
    message=$(sed -e "s|$4||g" -e 's/|/\\|/g' "$T/stderr")
    printf '| %s | %s | `%s` | %s | `%s` |\n' "$1" "$2" "$input" "$status" "$message" >>"$T/error-table"
}

H='sepal_length,sepal_width,petal_length,petal_width,species\n'
R='5.1,3.5,1.4,0.2,0\n'

t_bad_csv_exits_2_naming_line_and_column() {
    bad_csv ragged "$H$R${R}5.1,3.5,1.4,0\n" '4:5: expected 5 fields, found 4'
    bad_csv long-row "$H${R}5.1,3.5,1.4,0.2,0,9\n" '3:6: expected 5 fields, found 6'
    bad_csv empty-cell "$H${R}5.1,,1.4,0.2,0\n" '3:2: missing value in column "sepal_width"'
    bad_csv not-a-number "$H$R$R${R}5.1,abc,1.4,0.2,0\n" '5:2: expected a number, got "abc"'
    bad_csv nan "$H${R}5.1,nan,1.4,0.2,0\n" '3:2: missing value in column "sepal_width"'
    bad_csv na "$H${R}5.1,3.5,NA,0.2,0\n" '3:3: missing value in column "petal_length"'
    bad_csv inf "$H${R}5.1,3.5,inf,0.2,0\n" '3:3: .*(finite|number)'
    bad_csv out-of-range "$H${R}5.1,3.5,1e39,0.2,0\n" '3:3: .*out of float range'
    bad_csv label-range "$H${R}5.1,3.5,1.4,0.2,3\n" '3:5: label 3 is out of range'
    bad_csv label-fraction "$H${R}5.1,3.5,1.4,0.2,1.5\n" '3:5: label 1.5 is not a whole number'
    bad_csv quoting "$H${R}5.1,\"3.5,1.4,0.2,0\n" '3:[0-9]+: malformed quoting'
    bad_csv columns 'a,b,species\n1,2,0\n' '1:[0-9]+: (expected 5 columns|no column named "sepal_length")'
    bad_csv no-rows "$H" ' ?no data rows'
    bad_csv empty-file '' ' ?no data rows'
    bad_csv nul "$H${R}5.1,3\0005,1.4,0.2,0\n" '3:2: NUL byte'
    bad_csv utf16 '\377\376s\000e\000' '1:1: .*UTF-16'
    bad_csv gzip '\037\213\010\000' '1:1: .*gzip'
    bad_csv semicolons 'a;b;c;d;e\n1;2;3;4;0\n' '.*'
}

t_a_folder_as_data_is_bad_input() {
    mkdir -p "$T/folder.csv"
    [ -e "$T/iris-model.json" ] ||
        "$BP" train configs/iris.json -o "$T/iris-model.json" --quiet
    run "$BP" train configs/iris.json --data "$T/folder.csv" -o "$T/f.json"
    expect_status 2
    expect_error_line "^backprop: $T/folder.csv: cannot read: Is a directory\$"
    [ ! -e "$T/f.json" ] || note "an output file appeared"
    run "$BP" predict "$T/iris-model.json" "$T/folder.csv"
    expect_status 2
    expect_error_line "^backprop: $T/folder.csv: cannot read: Is a directory\$"
    run sh -c "\"$BP\" eval \"$T/iris-model.json\" - <\"$T/folder.csv\""
    expect_status 2
    expect_error_line '^backprop: <stdin>: cannot read: Is a directory$'
    # As for a config.
    run "$BP" info "$T/folder.csv"
    expect_status 2
    expect_error_line "^backprop: $T/folder.csv: cannot read: Is a directory\$"
}

t_good_csv_variants_are_accepted() {
    local dir="$T/good"
    mkdir -p "$dir"
    # CRLF, a BOM, blank lines, quotes, spaces and tabs, no final newline.
    printf '\357\273\277sepal_length,sepal_width,petal_length,petal_width,species\r\n' >"$dir/v.csv"
    tail -n +2 datasets/iris.csv | sed -n '1,60p' |
        awk 'NR % 7 == 0 { print "" } { printf "%s\r\n", $0 }' >>"$dir/v.csv"
    printf ' 5.9 ,\t3.0,"5.1",1.8,2' >>"$dir/v.csv"
    run "$BP" train configs/iris.json --data "$dir/v.csv" --epochs 2 -o "$dir/v.json" --quiet
    expect_status 0
}

t_output_to_a_device_writes_through_it() {
    # -o /dev/null must not replace the device with a regular file.
    run "$BP" train configs/seed-example.json -o /dev/null --quiet
    expect_status 0
    [ -c /dev/null ] || note "/dev/null is no longer a character device"
}

# wait_for_epochs LOG N: until a training run's --log has N lines (at
# most 30 s, for a loaded machine).
wait_for_epochs() {
    local i=0
    while [ "$(cat "$1" 2>/dev/null | wc -l)" -lt "$2" ] && [ $i -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
}

t_sigint_saves_a_checkpoint_that_resumes_exactly() {
    local w="$T/sigint"
    mkdir -p "$w"
    "$BP" train configs/digits.json --epochs 100000 --set training.learning_rate=0.001 \
        -o "$w/ck.json" --log "$w/log" --quiet 2>"$w/err" &
    local pid=$!
    wait_for_epochs "$w/log" 3
    kill -INT "$pid"
    wait "$pid"
    status=$?
    cp "$w/err" "$T/stderr"
    expect_status 1
    expect_error_line "^backprop: interrupted by SIGINT in epoch [0-9]+: saved the weights after [0-9]+ epochs to $w/ck.json; resume with: backprop train $w/ck.json\$"
    local k
    k=$(json "$w/ck.json" state.epoch) || { note "checkpoint is not a weights file"; return; }
    [ "$k" -ge 3 ] || note "the checkpoint holds $k epochs, the log said 3 were done"
    # The checkpoint holds exactly k epochs: resuming for one more equals
    # an uninterrupted run of k+1.
    run "$BP" train "$w/ck.json" --epochs $((k + 1)) -o "$w/resumed.json" --quiet
    expect_status 0
    run "$BP" train configs/digits.json --epochs $((k + 1)) --set training.learning_rate=0.001 \
        -o "$w/whole.json" --quiet
    expect_status 0
    expect_same_file "$w/resumed.json" "$w/whole.json"
}

t_sigint_resumes_adam_with_cosine_dropout_and_clipping_exactly() {
    # A cosine schedule's rate depends on training.epochs, so its exact
    # resume is from a checkpoint of the same run (here, Ctrl-C's).
    local w="$T/sigint-adam" a=(--set training.optimizer=adam
        --set training.momentum=null --set training.learning_rate=0.001
        --set training.schedule.type=cosine --set 'layers[0].dropout=0.3'
        --set training.clip_grad_norm=1 --epochs 1500)
    mkdir -p "$w"
    "$BP" train configs/digits.json "${a[@]}" -o "$w/ck.json" --log "$w/log" \
        --quiet 2>"$w/err" &
    local pid=$!
    wait_for_epochs "$w/log" 3
    kill -INT "$pid"
    wait "$pid"
    status=$?
    cp "$w/err" "$T/stderr"
    expect_status 1
    local k
    k=$(json "$w/ck.json" state.epoch) || { note "checkpoint is not a weights file"; return; }
    [ "$k" -lt 1500 ] || note "the run ended before the signal"
    run "$BP" train "$w/ck.json" -o "$w/resumed.json" --quiet
    expect_status 0
    run "$BP" train configs/digits.json "${a[@]}" -o "$w/whole.json" --quiet
    expect_status 0
    expect_same_file "$w/resumed.json" "$w/whole.json"
}

t_sigint_in_the_first_epoch_keeps_the_previous_file() {
    [ -r /proc/self/status ] || { skip "no /proc to see the handler installed"; return; }
    local w="$T/sigint0"
    mkdir -p "$w"
    printf '%s\n' "$PREV" >"$w/prev.json"
    # One sample per step through a wide layer: the first epoch lasts
    # seconds, and the signal comes as soon as training has begun (the
    # handler is installed just before the first step).
    "$BP" train configs/digits.json --set layers.0.units=50000 --batch-size 1 \
        --threads 1 -o "$w/prev.json" --quiet 2>"$w/err" &
    local pid=$! i=0 caught=0
    # Until $pid is backprop: between fork and exec it is a copy of this
    # shell, whose own SIGINT handler would show, and which would run this
    # script's EXIT trap (removing $T) on the signal.
    while [ $i -lt 300 ] && [ -r "/proc/$pid/status" ]; do
        caught=0
        [ "$(readlink "/proc/$pid/exe")" = "$BP" ] &&
            caught=$(awk '/^SigCgt:/ { print $2 }' "/proc/$pid/status")
        [ $((0x${caught:-0} & 2)) -ne 0 ] && break
        sleep 0.1
        i=$((i + 1))
    done
    kill -INT "$pid"
    wait "$pid"
    status=$?
    cp "$w/err" "$T/stderr"
    expect_status 1
    expect_error_line '^backprop: interrupted by SIGINT in epoch 1, before any epoch was done: nothing saved$'
    [ "$(cat "$w/prev.json")" = "$PREV" ] || note "the previous file was replaced"
    [ "$(ls -A "$w" | wc -l)" -eq 2 ] || note "stray files: $(ls -A "$w")"
}

t_two_signals_never_leave_a_partial_file() {
    local w="$T/sigint2"
    mkdir -p "$w"
    "$BP" train configs/iris.json --epochs 3 -o "$w/prev.json" --quiet
    cp "$w/prev.json" "$w/orig.json"
    "$BP" train configs/digits.json --epochs 100000 -o "$w/prev.json" --log "$w/log" \
        --quiet 2>/dev/null &
    local pid=$!
    wait_for_epochs "$w/log" 1
    kill -INT "$pid"
    kill -INT "$pid" 2>/dev/null
    wait "$pid"
    status=$?
    expect_status 1
    # Either the old file or a complete checkpoint, never a torn one.
    json "$w/prev.json" state.epoch >/dev/null || note "prev.json is not a complete weights file"
}

t_progress_line_only_on_a_terminal() {
    command -v script >/dev/null || { note "script(1) is missing"; return; }
    run script -qec "\"$BP\" train configs/digits.json --epochs 40 -o \"$T/tty.json\"" /dev/null
    expect_status 0
    grep -q 'batch [0-9]*/45' "$T/stdout" || note "no progress line under a terminal"
    grep -q 'ETA' "$T/stdout" || note "no ETA under a terminal"
    run "$BP" train configs/digits.json --epochs 40 -o "$T/notty.json"
    expect_status 0
    if grep -q 'batch ' "$T/stderr"; then note "progress line drawn on a non-terminal"; fi
    expect_stderr '^epoch +40/40 '
}

t_early_stopping_keeps_the_best_epoch() {
    run "$BP" train configs/iris.json --epochs 300 --set training.early_stopping.patience=10 \
        --log "$T/es.log" -o "$T/es.json"
    expect_status 0
    expect_stderr '^backprop: early stopping after epoch [0-9]+: no improvement in validation_loss for 10 epochs; keeping epoch [0-9]+'
    local ran kept best
    ran=$("$JP" -l "$T/es.log")
    kept=$(json "$T/es.json" state.epoch)
    [ "$ran" -lt 300 ] || note "early stopping did not stop ($ran epochs)"
    [ "$kept" -eq $((ran - 10)) ] || note "kept epoch $kept, expected $((ran - 10)) of $ran"
    # The kept epoch is the one with the lowest validation loss in the log.
    best=$(awk -F'"validation_loss":' '{ split($2, a, ","); print NR, a[1] }' "$T/es.log" |
        sort -g -k2 | head -1 | cut -d' ' -f1)
    [ "$best" = "$kept" ] || note "best epoch in the log is $best, file holds $kept"
    run "$BP" train configs/iris.json --set training.early_stopping.patience=3 \
        --set data.validation_split=0 -o "$T/es2.json"
    expect_status 2
    expect_error_line 'training.early_stopping.metric: validation_loss needs validation data'
}

t_resume_with_early_stopping_equals_one_uninterrupted_run() {
    local s=(--set training.early_stopping.patience=10 --quiet)
    run "$BP" train configs/iris.json --epochs 300 "${s[@]}" --log "$T/whole.log" \
        -o "$T/whole.json"
    expect_status 0
    local ran k
    ran=$("$JP" -l "$T/whole.log")
    [ "$ran" -lt 300 ] || { note "early stopping did not stop ($ran epochs)"; return; }
    # Stopped part way through its patience (the best epoch is not the last
    # done, so the file carries it), and just after a best epoch.
    for k in $((ran - 4)) $((ran - 10)); do
        run "$BP" train configs/iris.json --epochs "$k" "${s[@]}" -o "$T/k$k.json"
        expect_status 0
        run "$BP" train "$T/k$k.json" --epochs 300 --quiet -o "$T/resumed$k.json"
        expect_status 0
        expect_same_file "$T/resumed$k.json" "$T/whole.json"
    done
    [ "$(json "$T/k$((ran - 4)).json" state.early_stopping.best_epoch)" = $((ran - 11)) ] ||
        note "the record's best epoch is not $((ran - 11))"
    json "$T/k$((ran - 4)).json" state.early_stopping.restore.parameters >/dev/null ||
        note "no restore record part way through the patience"
}

t_errors_found_with_the_data_name_the_config_and_key() {
    run "$BP" train configs/iris.json --set data.validation_split=0.999 -o "$T/vs.json"
    expect_status 2
    expect_error_line '^backprop: configs/iris.json: data.validation_split: 0.999 of 150 rows holds out 150; both the training and the validation part need at least one row$'
    [ ! -e "$T/vs.json" ] || note "an output was written"
}

t_divergence_after_good_epochs_saves_them() {
    "$BP" train configs/iris.json --epochs 5 -o "$T/good.json" --quiet
    run "$BP" train "$T/good.json" --epochs 10 --set training.learning_rate=1e30 -o "$T/dv.json"
    expect_status 1
    expect_error_line "^backprop: epoch 6, step [0-9]+: the loss is (NaN|infinite): training diverged.*; saved the last good weights \\(after 5 epochs\\) to $T/dv.json\$"
    [ "$(json "$T/dv.json" state.epoch)" = 5 ] || note "saved weights are not those after epoch 5"
    # Byte for byte the file it resumed from, but for the learning rate.
    [ "$(json "$T/dv.json" layers)" = "$(json "$T/good.json" layers)" ] || note "saved layers differ from the last good ones"
}

t_write_failures_exit_1() {
    run "$BP" train configs/seed-example.json -o /dev/full --quiet
    expect_status 1
    expect_error_line '^backprop: /dev/full: write failed: No space left on device$'
    run sh -c "\"$BP\" train configs/seed-example.json -o - --quiet >&-"
    expect_status 1
    expect_error_line '^backprop: stdout: write error: Bad file descriptor$'
    run sh -c "\"$BP\" predict --help >&-"
    expect_status 1
}

t_an_unusable_output_path_is_bad_usage() {
    # Known before any work: the path given cannot be written (SPEC 2).
    run "$BP" train configs/seed-example.json -o "$T/no/such/folder/w.json"
    expect_status 2
    expect_error_line "^backprop: $T/no/such/folder/w.json: no such folder: $T/no/such/folder\$"
    mkdir -p "$T/a-folder"
    run "$BP" train configs/seed-example.json -o "$T/a-folder"
    expect_status 2
    expect_error_line "^backprop: $T/a-folder: is a folder, not a file\$"
    run "$BP" train configs/seed-example.json -o "$T/w.json" --log "$T/a-folder"
    expect_status 2
    run "$BP" plot "$T/none.log" -o "$T/no/such/folder/p.svg"
    expect_status 2
}

t_an_empty_file_name_is_bad_usage() {
    local o
    for o in -o --data --validation --log; do
        run "$BP" train configs/seed-example.json "$o" ''
        expect_status 2
        expect_error_line "^backprop: train: --[a-z]+: expected a file path, got \"\"\$"
    done
    "$BP" train configs/iris.json --epochs 2 -o "$T/e.json" --log "$T/e.log" --quiet
    run "$BP" plot "$T/e.log" --output=
    expect_status 2
    expect_error_line '^backprop: plot: --output: expected a file path, got ""$'
}

t_a_reader_that_goes_away_gets_no_message() {
    # As with a tool killed by SIGPIPE: exit 1 and nothing on stderr,
    # whether the weights or the log go to the closed pipe. The reader
    # (true) is gone long before the writer starts.
    local what
    for what in '-o -' "--log - -o $T/gone.json"; do
        # shellcheck disable=SC2016
        run bash -c '(sleep 1; exec "$0" train configs/iris.json --epochs 2 --quiet $1) |
            true; exit "${PIPESTATUS[0]}"' "$BP" "$what"
        expect_status 1
        [ ! -s "$T/stderr" ] || note "$what: stderr: $(head -c 300 "$T/stderr")"
    done
    [ ! -e "$T/gone.json" ] || note "weights written after the log failed"
}

# A full disk and a read-only file system, on small tmpfs mounts: needs
# root (CI runs as root); elsewhere the case is counted as skipped.
t_full_and_read_only_file_systems_keep_the_previous_file() {
    local m="$T/mnt"
    mkdir -p "$m"
    if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=8k tmpfs "$m" 2>/dev/null; then
        skip "needs root to mount a tmpfs"
        return
    fi
    printf '%s\n' "$PREV" >"$m/w.json"
    run "$BP" train configs/iris.json -o "$m/w.json" --quiet
    expect_status 1
    expect_error_line "^backprop: $m/w.json: write failed: No space left on device\$"
    [ "$(cat "$m/w.json")" = "$PREV" ] || note "full disk: previous file changed"
    [ "$(ls -A "$m")" = w.json ] || note "full disk: stray files: $(ls -A "$m")"
    mount -o remount,ro "$m"
    run "$BP" train configs/seed-example.json -o "$m/w.json" --quiet
    expect_status 1
    expect_error_line "^backprop: $m/w.json: cannot write in $m: Read-only file system\$"
    [ "$(cat "$m/w.json")" = "$PREV" ] || note "read-only: previous file changed"
    umount "$m"
}

# ------------------------------------------------ real-world tables (5a)

# Penguins: a model that predicts its own training file this well has
# learned the species (the three are well apart; it reaches 1.0 here).
PENGUINS_MIN_ACCURACY=0.9

# The penguins weights, trained once for the cases below.
penguins_weights() {
    [ -s "$T/penguins.w.json" ] ||
        "$BP" train configs/penguins.json -o "$T/penguins.w.json" --quiet
}

t_penguins_train_predict_keep_eval_and_info() {
    # predict --keep in a pipeline: the weights come from stdin.
    run sh -c "\"$BP\" train configs/penguins.json -o - --quiet | \"$BP\" predict - datasets/penguins.csv --keep species,island"
    expect_status 0
    [ "$(sed -n 1p "$T/stdout")" = species,island,class ] ||
        note "predict header: $(sed -n 1p "$T/stdout")"
    [ "$(wc -l <"$T/stdout")" -eq "$(wc -l <datasets/penguins.csv)" ] ||
        note "predict wrote $(wc -l <"$T/stdout") lines for $(wc -l <datasets/penguins.csv)"
    cut -d, -f1,2 datasets/penguins.csv | tail -n +2 >"$T/kept-want"
    cut -d, -f1,2 "$T/stdout" | tail -n +2 >"$T/kept-got"
    expect_same_file "$T/kept-want" "$T/kept-got"
    expect_at_least "penguins accuracy of predict" \
        "$(awk -F, 'NR > 1 { n++; ok += $1 == $3 } END { print ok / n }' "$T/stdout")" \
        "$PENGUINS_MIN_ACCURACY"
    penguins_weights
    run "$BP" eval "$T/penguins.w.json" datasets/penguins.csv
    expect_status 0
    [ "$("$JP" "$T/stdout" samples)" = 344 ] || note "eval did not score 344 rows"
    [ "$("$JP" "$T/stdout" classes)" = '["Adelie","Chinstrap","Gentoo"]' ] ||
        note "eval classes: $("$JP" "$T/stdout" classes)"
    expect_at_least "penguins accuracy" "$("$JP" "$T/stdout" accuracy)" "$PENGUINS_MIN_ACCURACY"
    run "$BP" info "$T/penguins.w.json"
    expect_status 0
    expect_stdout '^input +11$'
    expect_stdout '^  island: one-hot, 3 inputs \[0\.\.2\]: "Biscoe", "Dream", "Torgersen"$'
    expect_stdout '^  bill_length_mm: numeric, input \[3\], standard: '
    # sex has NA cells and data.missing "mean": "" is a category.
    expect_stdout '^  sex: one-hot, 3 inputs \[7\.\.9\]: "", "female", "male"$'
    expect_stdout '^classes +"Adelie", "Chinstrap", "Gentoo"$'
    # --keep copies cells as they are written, a feature's and NA too.
    run "$BP" predict "$T/penguins.w.json" datasets/penguins.csv \
        --keep bill_length_mm,sex
    expect_status 0
    cut -d, -f3,7 datasets/penguins.csv | tail -n +2 >"$T/kept-want"
    cut -d, -f1,2 "$T/stdout" | tail -n +2 >"$T/kept-got"
    expect_same_file "$T/kept-want" "$T/kept-got"
    grep -q '^NA,NA,' "$T/stdout" || note "--keep did not copy NA as written"
}

t_raw_penguins_table_trains_by_its_column_names() {
    # Palmer penguins' raw table as published (CC0): quoted fields with
    # commas, names with spaces and parentheses, NA cells, an id column,
    # free text and dates that are simply not read.
    cat >"$T/raw.json" <<EOF
{"layers": [{"units": 8, "activation": "relu"},
            {"units": 3, "activation": "softmax"}],
 "training": {"learning_rate": 0.05, "momentum": 0.9, "batch_size": 16,
              "epochs": 40, "seed": 1},
 "data": {"train": "$PWD/tests/data/penguins_raw.csv", "label": "Species",
          "features": ["Culmen Length (mm)", "Culmen Depth (mm)",
                       "Flipper Length (mm)", "Body Mass (g)", "Island", "Sex"],
          "categorical": ["Island", "Sex"], "missing": "mean",
          "normalize": "standard"}}
EOF
    run "$BP" train "$T/raw.json" -o "$T/raw.w.json" --quiet
    expect_status 0
    [ "$(json "$T/raw.w.json" data.classes)" = '["Adelie Penguin (Pygoscelis adeliae)","Chinstrap penguin (Pygoscelis antarctica)","Gentoo penguin (Pygoscelis papua)"]' ] ||
        note "classes: $(json "$T/raw.w.json" data.classes)"
    [ "$(json "$T/raw.w.json" data.categories.Sex)" = '["","FEMALE","MALE"]' ] ||
        note "Sex categories: $(json "$T/raw.w.json" data.categories.Sex)"
    [ "$(json "$T/raw.w.json" input)" = 10 ] || note "input is not 4 + 3 + 3"
    run "$BP" predict "$T/raw.w.json" tests/data/penguins_raw.csv --keep "Individual ID"
    expect_status 0
    [ "$(sed -n 1p "$T/stdout")" = "Individual ID,class" ] ||
        note "predict header: $(sed -n 1p "$T/stdout")"
    # The ids (N1A1 ...) in input order, one prediction each.
    grep -o ',N[0-9][0-9]*A[0-9][0-9]*,' tests/data/penguins_raw.csv | tr -d , >"$T/ids-want"
    tail -n +2 "$T/stdout" | cut -d, -f1 >"$T/ids-got"
    [ "$(wc -l <"$T/ids-want")" -eq 344 ] || note "the raw table has not 344 ids"
    expect_same_file "$T/ids-want" "$T/ids-got"
    run "$BP" eval "$T/raw.w.json" tests/data/penguins_raw.csv
    expect_status 0
    [ "$("$JP" "$T/stdout" samples)" = 344 ] || note "eval did not score 344 rows"
    cp "$T/stdout" "$T/raw-eval"
    run sh -c "cat tests/data/penguins_raw.csv | \"$BP\" eval \"$T/raw.w.json\" -"
    expect_status 0
    expect_same_file "$T/raw-eval" "$T/stdout"
    expect_at_least "raw penguins accuracy" "$("$JP" "$T/raw-eval" accuracy)" "$PENGUINS_MIN_ACCURACY"
    run "$BP" info "$T/raw.w.json"
    expect_status 0
    expect_stdout '^  Culmen Length \(mm\): numeric, input \[0\]'
    expect_stdout '^  Island: one-hot, 3 inputs \[4\.\.6\]: "Biscoe", "Dream", "Torgersen"$'
    expect_stdout '^  Sex: one-hot, 3 inputs \[7\.\.9\]: "", "FEMALE", "MALE"$'
}

t_predict_finds_columns_by_name_in_any_order() {
    penguins_weights
    run "$BP" predict --proba "$T/penguins.w.json" datasets/penguins.csv
    expect_status 0
    cp "$T/stdout" "$T/order-want"
    # Columns reordered, the label left out, an extra column added.
    awk -F, -v OFS=, '{ print $8, $7, (NR == 1 ? "note" : "x" NR), $6, $5, $4, $3, $2 }' \
        datasets/penguins.csv >"$T/reordered.csv"
    run "$BP" predict --proba "$T/penguins.w.json" "$T/reordered.csv"
    expect_status 0
    expect_same_file "$T/order-want" "$T/stdout"
    # A column the weights read is missing: one line naming it.
    cut -d, -f1-3,5- datasets/penguins.csv >"$T/no-depth.csv"
    run "$BP" predict "$T/penguins.w.json" "$T/no-depth.csv"
    expect_status 2
    expect_empty_stdout
    expect_error_line "^backprop: $T/no-depth.csv:1:1: no column named \"bill_depth_mm\" \(data.features\[2\] of $T/penguins.w.json\)"
}

t_predict_keeps_one_row_per_input_row_when_dropping() {
    run "$BP" train configs/penguins.json --set data.missing=drop -o "$T/drop.w.json"
    expect_status 0
    # penguins.csv has 11 rows with NA (sex, or every measurement).
    expect_stderr 'dropped 11 rows with missing cells'
    {
        echo species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year
        echo Adelie,Torgersen,39.1,18.7,181,3750,male,2007
        echo Gentoo,Biscoe,,13.2,211,4500,female,2007
        echo Gentoo,Biscoe,46.1,13.2,211,4500,,2007
        echo Gentoo,Biscoe,46.1,13.2,211,4500,female,
        echo Chinstrap,Dream,46.5,17.9,192,3500,female,2007
    } >"$T/holes.csv"
    run "$BP" predict "$T/drop.w.json" "$T/holes.csv" --keep species
    expect_status 0
    printf '%s\n' species,class Adelie,Adelie Gentoo, Gentoo, Gentoo, Chinstrap,Chinstrap >"$T/holes-want"
    expect_same_file "$T/holes-want" "$T/stdout"
    run "$BP" predict --proba "$T/drop.w.json" "$T/holes.csv"
    expect_status 0
    [ "$(sed -n 3p "$T/stdout")" = ",,," ] || note "a dropped row with --proba: $(sed -n 3p "$T/stdout")"
    run "$BP" eval "$T/drop.w.json" "$T/holes.csv"
    expect_status 0
    expect_error_line "^backprop: $T/holes.csv: dropped 3 rows with missing cells \(2 left\)$"
    [ "$("$JP" "$T/stdout" samples)" = 2 ] || note "eval did not score the 2 whole rows"
}

# How long a prediction may take to come out of a pipe: far more than the
# milliseconds it needs, far less than waiting for the end of the input.
STREAM_WAIT_TENTHS=50

t_predict_writes_each_row_as_it_arrives() {
    penguins_weights
    mkfifo "$T/fifo"
    : >"$T/fifo.out" # there before the polling below, whenever predict starts
    "$BP" predict "$T/penguins.w.json" "$T/fifo" --keep island >>"$T/fifo.out" 2>"$T/fifo.err" &
    local pid=$! i
    # Read-write: never blocks, whether or not backprop has opened it yet.
    exec 7<>"$T/fifo"
    printf 'species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year\nAdelie,Dream,39.5,17.4,186,3800,female,2007\n' >&7
    for ((i = 0; i < STREAM_WAIT_TENTHS; i++)); do
        [ "$(wc -l <"$T/fifo.out")" -ge 2 ] && break
        sleep 0.1
    done
    [ "$(wc -l <"$T/fifo.out")" -eq 2 ] ||
        note "no prediction within $((STREAM_WAIT_TENTHS / 10)) s while the input stayed open: $(cat "$T/fifo.out" "$T/fifo.err")"
    grep -Eq '^Dream,(Adelie|Chinstrap|Gentoo)$' "$T/fifo.out" ||
        note "prediction line: $(sed -n 2p "$T/fifo.out")"
    printf 'Gentoo,Biscoe,46.1,13.2,211,4500,female,2007\n' >&7
    exec 7>&-
    for ((i = 0; i < STREAM_WAIT_TENTHS; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        note "predict still running after its input closed"
        kill "$pid"
    fi
    wait "$pid"
    status=$?
    expect_status 0
    [ "$(wc -l <"$T/fifo.out")" -eq 3 ] || note "expected 3 lines: $(cat "$T/fifo.out")"
}

t_eval_from_a_pipe_equals_eval_of_the_file() {
    penguins_weights
    run "$BP" eval "$T/penguins.w.json" datasets/penguins.csv
    expect_status 0
    cp "$T/stdout" "$T/eval-file"
    run sh -c "cat datasets/penguins.csv | \"$BP\" eval \"$T/penguins.w.json\" -"
    expect_status 0
    expect_same_file "$T/eval-file" "$T/stdout"
    run sh -c "cat datasets/penguins.csv | \"$BP\" predict --proba \"$T/penguins.w.json\" -"
    expect_status 0
    cp "$T/stdout" "$T/predict-pipe"
    run "$BP" predict --proba "$T/penguins.w.json" datasets/penguins.csv
    expect_same_file "$T/predict-pipe" "$T/stdout"
}

t_train_counts_dropped_rows_per_file_and_checks_validation_categories() {
    local v=(--set data.validation_split=0 --set data.missing=drop --epochs 1)
    run "$BP" train configs/penguins.json "${v[@]}" \
        --set data.validation=datasets/penguins.csv -o "$T/v.json"
    expect_status 0
    expect_stderr '^backprop: configs/\.\./datasets/penguins\.csv: dropped 11 rows with missing cells \(333 left\)$'
    expect_stderr '^backprop: datasets/penguins\.csv: dropped 11 rows with missing cells \(333 left\)$'
    run "$BP" train configs/penguins.json "${v[@]}" --quiet \
        --set data.validation=datasets/penguins.csv -o "$T/v.json"
    expect_status 0
    [ ! -s "$T/stderr" ] || note "--quiet: stderr: $(head -c 300 "$T/stderr")"
    # A validation file is read with the training file's categories.
    sed '3s/Torgersen/Atlantis/' datasets/penguins.csv >"$T/val-atlantis.csv"
    run "$BP" train configs/penguins.json "${v[@]}" --quiet \
        --set data.validation="$T/val-atlantis.csv" -o "$T/v2.json"
    expect_status 2
    expect_error_line "^backprop: $T/val-atlantis.csv:3:2: unknown value \"Atlantis\" in column \"island\" \(expected one of: \"Biscoe\", \"Dream\", \"Torgersen\"\)$"
    [ ! -e "$T/v2.json" ] || note "weights written after a bad validation file"
    # Before training, a config with categorical columns has no width.
    run "$BP" info configs/penguins.json
    expect_status 0
    expect_stdout '^input +from the data \(categorical columns\)$'
}

t_predict_stops_quietly_when_its_reader_goes_away() {
    # As train's case above: a reader gone before predict writes (true)
    # means exit 1 and nothing on stderr, not a write error message.
    penguins_weights
    # shellcheck disable=SC2016
    run bash -c '(sleep 1; exec "$0" predict "$1" datasets/penguins.csv --keep species) |
        true; exit "${PIPESTATUS[0]}"' "$BP" "$T/penguins.w.json"
    expect_status 1
    [ ! -s "$T/stderr" ] || note "stderr: $(head -c 300 "$T/stderr")"
    # Any other failed write is reported, once, with its cause.
    if [ -w /dev/full ]; then
        run sh -c "\"$BP\" predict \"$T/penguins.w.json\" datasets/penguins.csv >/dev/full"
        expect_status 1
        expect_error_line '^backprop: stdout: write error: No space left on device$'
    fi
}

# predict streams: its peak memory does not grow with the input. 64 MB
# holds the binary, libgomp and a block of rows many times over; the
# input is larger than that, so reading it whole could not pass.
STREAM_MAX_RSS_KB=65536

t_predict_memory_stays_bounded_on_a_large_file() {
    if [ ! -x /usr/bin/time ]; then
        skip "needs GNU time (/usr/bin/time) to measure the peak RSS"
        return
    fi
    # AddressSanitizer's shadow memory and quarantine are RSS too.
    if grep -qa __asan_init "$BP"; then
        skip "the peak RSS of a sanitizer build is not the program's"
        return
    fi
    "$BP" train configs/iris.json -o "$T/big.w.json" --quiet --epochs 2
    # 30000 copies of iris' 150 rows: 4.5 million rows, about 77 MB.
    awk 'NR == 1 { print; next } { row[NR] = $0 }
         END { for (k = 0; k < 30000; k++) for (i = 2; i <= NR; i++) print row[i] }' \
        datasets/iris.csv >"$T/big.csv"
    local size rows
    size=$(wc -c <"$T/big.csv")
    [ "$size" -gt 70000000 ] || note "the big file is only $size bytes"
    run /usr/bin/time -o "$T/rss" -f %M "$BP" predict "$T/big.w.json" "$T/big.csv"
    expect_status 0
    rows=$(wc -l <"$T/stdout")
    [ "$rows" -eq "$(wc -l <"$T/big.csv")" ] || note "predict wrote $rows lines for $(wc -l <"$T/big.csv")"
    expect_below "predict's peak RSS (KB) on $size bytes" "$(tail -1 "$T/rss")" "$STREAM_MAX_RSS_KB"
    rm -f "$T/big.csv" "$T/stdout"
}

t_bad_real_world_input_exits_2_with_one_line() {
    penguins_weights
    local d=configs/../datasets/penguins.csv
    # A class name data.classes does not hold.
    run "$BP" train configs/penguins.json -o "$T/bad.json" \
        --set 'data.classes=["Adelie", "Chinstrap", "Gentu"]'
    expect_status 2
    expect_empty_stdout
    expect_error_line "^backprop: $d:154:1: unknown class \"Gentoo\" \(expected one of: \"Adelie\", \"Chinstrap\", \"Gentu\"\)$"
    # A category training never saw.
    sed '3s/Torgersen/Atlantis/' datasets/penguins.csv >"$T/atlantis.csv"
    run "$BP" eval "$T/penguins.w.json" "$T/atlantis.csv"
    expect_status 2
    expect_empty_stdout
    expect_error_line "^backprop: $T/atlantis.csv:3:2: unknown value \"Atlantis\" in column \"island\" \(expected one of: \"Biscoe\", \"Dream\", \"Torgersen\"\)$"
    run "$BP" predict "$T/penguins.w.json" "$T/atlantis.csv"
    expect_status 2
    expect_empty_stdout
    expect_error_line "^backprop: $T/atlantis.csv:3:2: unknown value \"Atlantis\""
    # Too many categories.
    run "$BP" train configs/penguins.json -o "$T/bad.json" --set data.max_categories=2
    expect_status 2
    expect_error_line "^backprop: configs/penguins.json: data.categorical: column \"island\" of $d has 3 distinct values, more than data.max_categories \(2\); is it an id\? Put it in data.ignore$"
    # A misspelt column.
    run "$BP" train configs/penguins.json -o "$T/bad.json" \
        --set 'data.features=["island", "bill_lenght_mm", "sex"]'
    expect_status 2
    expect_error_line "^backprop: configs/penguins.json: data.features\[1\]: no column named \"bill_lenght_mm\" in $d \(did you mean \"bill_length_mm\"\?\); its columns: \"species\", \"island\", \"bill_length_mm\","
    # A header name used twice: in training, and in a file to predict.
    sed '1s/year/bill_length_mm/' datasets/penguins.csv >"$T/twice.csv"
    run "$BP" train configs/penguins.json -o "$T/bad.json" --data "$T/twice.csv"
    expect_status 2
    expect_error_line "^backprop: configs/penguins.json: data.features: $T/twice.csv has two columns named \"bill_length_mm\" \(columns 3 and 8\); rename one$"
    run "$BP" predict "$T/penguins.w.json" "$T/twice.csv"
    expect_status 2
    expect_empty_stdout
    expect_error_line "^backprop: $T/penguins.w.json: data.features\[1\]: $T/twice.csv has two columns named \"bill_length_mm\" \(columns 3 and 8\); rename one$"
    [ ! -e "$T/bad.json" ] || note "a weights file was written"
}

t_predict_writes_a_dropped_row_of_one_field_as_an_empty_string() {
    printf 'x1,label\n1,0\nNA,1\n3,1\n' >"$T/one.csv"
    cat >"$T/one.json" <<EOF2
{"input": 1, "layers": [{"units": 2, "activation": "softmax"}],
 "loss": "cross_entropy", "training": {"epochs": 1, "learning_rate": 0.1},
 "data": {"train": "$T/one.csv", "label": "label", "missing": "drop"}}
EOF2
    run "$BP" train "$T/one.json" -o "$T/one.w.json" --quiet
    expect_status 0
    run "$BP" predict "$T/one.w.json" "$T/one.csv"
    expect_status 0
    # A blank line would be skipped by a CSV reader: 4 records, "" third.
    [ "$(wc -l <"$T/stdout")" -eq 4 ] || note "predict wrote $(wc -l <"$T/stdout") lines"
    [ "$(sed -n 3p "$T/stdout")" = '""' ] || note "the dropped row: '$(sed -n 3p "$T/stdout")'"
    grep -q '^$' "$T/stdout" && note "predict wrote a blank line"
    # With --keep the record has a field already: no quotes needed.
    run "$BP" predict "$T/one.w.json" "$T/one.csv" --keep x1
    expect_status 0
    [ "$(sed -n 3p "$T/stdout")" = 'NA,' ] || note "with --keep: '$(sed -n 3p "$T/stdout")'"
}

# num_config CSV: $T/num.json, a two-input three-class softmax net on CSV
# labelled by its column "y", one epoch, no normalization.
num_config() {
    cat >"$T/num.json" <<EOF2
{"input": 2, "layers": [{"units": 3, "activation": "softmax"}],
 "loss": "cross_entropy", "training": {"epochs": 1, "learning_rate": 0.1},
 "data": {"train": "$1", "label": "y", "normalize": "none"}}
EOF2
}

t_a_column_both_ignored_and_the_label_or_a_target_is_an_error() {
    printf 'a,b,y\n1,2,0\n3,4,1\n5,6,2\n' >"$T/abc.csv"
    num_config "$T/abc.csv"
    run "$BP" train "$T/num.json" --set 'data.ignore=["y"]' -o "$T/ig.w.json"
    expect_status 2
    expect_empty_stdout
    expect_error_line "^backprop: $T/num.json: data.ignore\[0\]: column \"y\" is also data.label; a column is either read or ignored, not both$"
    # Named once by index and once by name: the same column all the same.
    run "$BP" train "$T/num.json" --set 'data.ignore=[2]' -o "$T/ig.w.json"
    expect_status 2
    expect_error_line "^backprop: $T/num.json: data.ignore\[0\]: column \"y\" is also data.label;"
    # A regression target.
    run "$BP" train "$T/num.json" --set 'layers=[{"units": 1, "activation": "linear"}]' \
        --set loss=mse --set 'data.targets=["b"]' --set 'data.label=null' \
        --set 'data.ignore=["b"]' --set input=1 -o "$T/ig.w.json"
    expect_status 2
    expect_error_line "^backprop: $T/num.json: data.ignore\[0\]: column \"b\" is also data.targets\[0\];"
    [ ! -e "$T/ig.w.json" ] || note "a weights file was written"
}

t_a_categorical_column_left_out_of_the_features_says_so() {
    printf 'a,color,y\n1,red,0\n3,blue,1\n5,red,2\n' >"$T/color.csv"
    num_config "$T/color.csv"
    run "$BP" train "$T/num.json" --set 'data.features=["a"]' \
        --set 'data.categorical=["color"]' --set input=1 -o "$T/cat.w.json"
    expect_status 2
    expect_error_line "^backprop: $T/num.json: data.categorical\[0\]: column \"color\" is not a feature \(it is not in data.features\)$"
    run "$BP" train "$T/num.json" --set 'data.ignore=["color"]' \
        --set 'data.categorical=[1]' --set input=1 -o "$T/cat.w.json"
    expect_status 2
    expect_error_line "^backprop: $T/num.json: data.categorical\[0\]: column \"color\" is not a feature \(it is in data.ignore\)$"
}

t_text_cell_errors_name_the_cell_s_own_line_after_a_quoted_line_end() {
    # The record starts on line 2; its label is on line 3.
    printf 'a,n,y\n1,"x\ny",7\n' >"$T/mm.csv"
    num_config "$T/mm.csv"
    run "$BP" train "$T/num.json" --set 'data.ignore=["n"]' --set input=1 -o "$T/mm.w.json"
    expect_status 2
    expect_error_line "^backprop: $T/mm.csv:3:3: label 7 is out of range 0..2"
    printf 'a,n,y\n1,"x\n\ny",0\n2,z,1\n3,"p\nq",abc\n' >"$T/mm-class.csv"
    run "$BP" train "$T/num.json" --data "$T/mm-class.csv" --set 'data.ignore=["n"]' \
        --set input=1 --set 'data.classes=["0", "1", "2"]' -o "$T/mm.w.json"
    expect_status 2
    expect_error_line "^backprop: $T/mm-class.csv:7:3: unknown class \"abc\""
    # A category unknown to the weights, in eval and predict (streamed).
    printf 'c,n,y\nred,"x\ny",0\nblue,z,1\ngreen,w,2\n' >"$T/mm-cat.csv"
    run "$BP" train "$T/num.json" --data "$T/mm-cat.csv" --set 'data.ignore=["n"]' \
        --set 'data.categorical=["c"]' --set input=3 -o "$T/mm.w.json" --quiet
    expect_status 0
    printf 'n,c,y\n"x\ny",pink,0\n' >"$T/mm-pink.csv"
    run "$BP" eval "$T/mm.w.json" "$T/mm-pink.csv"
    expect_status 2
    expect_error_line "^backprop: $T/mm-pink.csv:3:2: unknown value \"pink\" in column \"c\""
    run "$BP" predict "$T/mm.w.json" "$T/mm-pink.csv"
    expect_status 2
    expect_error_line "^backprop: $T/mm-pink.csv:3:2: unknown value \"pink\" in column \"c\""
}

t_eval_and_predict_quiet_print_nothing_but_errors() {
    # Two columns named "z" that nothing reads (a warning), and a dropped row.
    printf 'x1,label,z,z\n1,0,a,b\nNA,1,a,b\n3,1,a,b\n' >"$T/q.csv"
    cat >"$T/q.json" <<EOF2
{"input": 1, "layers": [{"units": 2, "activation": "softmax"}],
 "loss": "cross_entropy", "training": {"epochs": 1, "learning_rate": 0.1},
 "data": {"train": "$T/q.csv", "label": "label", "missing": "drop",
          "features": ["x1"]}}
EOF2
    run "$BP" train "$T/q.json" -o "$T/q.w.json" --quiet
    expect_status 0
    run "$BP" eval "$T/q.w.json" "$T/q.csv"
    expect_status 0
    expect_stderr "^backprop: warning: $T/q.csv: columns 3 and 4 are both named \"z\"$"
    expect_stderr "^backprop: $T/q.csv: dropped 1 row with missing cells \(2 left\)$"
    cp "$T/stdout" "$T/q-eval"
    local q
    for q in -q --quiet; do
        run "$BP" eval "$T/q.w.json" "$T/q.csv" "$q"
        expect_status 0
        [ ! -s "$T/stderr" ] || note "eval $q: stderr: $(head -c 300 "$T/stderr")"
        expect_same_file "$T/q-eval" "$T/stdout"
    done
    run "$BP" predict "$T/q.w.json" "$T/q.csv"
    expect_status 0
    expect_error_line "^backprop: warning: $T/q.csv: columns 3 and 4 are both named \"z\"$"
    cp "$T/stdout" "$T/q-predict"
    run "$BP" predict "$T/q.w.json" "$T/q.csv" --quiet
    expect_status 0
    [ ! -s "$T/stderr" ] || note "predict --quiet: stderr: $(head -c 300 "$T/stderr")"
    expect_same_file "$T/q-predict" "$T/stdout"
    # Errors are still told.
    run "$BP" eval "$T/q.w.json" "$T/no-such.csv" -q
    expect_status 2
    expect_error_line "no-such.csv: cannot open"
}

t_a_name_among_whole_number_labels_is_named_with_its_cell() {
    printf 'a,b,y\n1,2,0\n3,4,1\n5,6,abc\n7,8,2\n' >"$T/typo.csv"
    num_config "$T/typo.csv"
    run "$BP" train "$T/num.json" -o "$T/typo.w.json"
    expect_status 2
    expect_error_line "^backprop: $T/num.json: data.label: $T/typo.csv holds 4 class names \(\"0\", \"1\", \"2\", \"abc\"; the first cell that is not a number: $T/typo.csv:4:3\), but the last layer has 3 classes"
    # When the count fits the last layer: trained, with a warning.
    printf 'a,b,y\n1,2,0\n3,4,2\n5,6,abc\n' >"$T/typo3.csv"
    run "$BP" train "$T/num.json" --data "$T/typo3.csv" -o "$T/typo.w.json" --epochs 0
    expect_status 0
    expect_stderr "^backprop: warning: $T/typo3.csv:4:3: label \"abc\" is not a number, so the label column is read as class names, not class indices \(its other cells are whole numbers\)$"
    run "$BP" train "$T/num.json" --data "$T/typo3.csv" -o "$T/typo.w.json" --epochs 0 --quiet
    expect_status 0
    [ ! -s "$T/stderr" ] || note "--quiet: stderr: $(head -c 300 "$T/stderr")"
    # eval reads "2" as the class named "2" (index 1), not index 2.
    printf 'a,b,y\n1,2,2\n1,2,2\n' >"$T/twos.csv"
    run "$BP" eval "$T/typo.w.json" "$T/twos.csv"
    expect_status 0
    [ "$(json "$T/stdout" confusion)" = '[[0,0,0],[2,0,0],[0,0,0]]' ] ||
        [ "$(json "$T/stdout" confusion)" = '[[0,0,0],[0,2,0],[0,0,0]]' ] ||
        [ "$(json "$T/stdout" confusion)" = '[[0,0,0],[0,0,2],[0,0,0]]' ] ||
        note "the rows of class \"2\" are not in row 1 of the confusion matrix: $(json "$T/stdout" confusion)"
}

t_a_value_normalised_out_of_float_range_is_bad_input_at_its_cell() {
    printf 'a,b,y\n3e38,2,0\n-3e38,4,1\n3.4e38,6,2\n' >"$T/huge.csv"
    num_config "$T/huge.csv"
    local msg="is too far from the column's mean for float after standard normalization \(data.normalize \"none\" keeps it\)$"
    run "$BP" train "$T/num.json" --set data.normalize=standard -o "$T/huge.w.json"
    expect_status 2
    expect_error_line "^backprop: $T/huge.csv:3:1: -3e\+38 in column \"a\" $msg"
    # minmax's hint points at what takes such values.
    run "$BP" train "$T/num.json" --set data.normalize=minmax -o "$T/huge.w.json"
    expect_status 2
    expect_error_line "wider than float range; use \"none\""
    # Validation, eval and predict with weights from ordinary data: the
    # first such cell, never a NaN with exit 0.
    printf 'a,b,y\n1,2,0\n-1,4,1\n0,6,2\n' >"$T/fine.csv"
    run "$BP" train "$T/num.json" --data "$T/fine.csv" --set data.normalize=standard \
        -o "$T/fine.w.json" --quiet
    expect_status 0
    run "$BP" train "$T/num.json" --data "$T/fine.csv" --set data.normalize=standard \
        --validation "$T/huge.csv" -o "$T/huge.w.json" --quiet
    expect_status 2
    expect_error_line "^backprop: $T/huge.csv:2:1: 3e\+38 in column \"a\" $msg"
    [ ! -e "$T/huge.w.json" ] || note "a weights file was written"
    run "$BP" eval "$T/fine.w.json" "$T/huge.csv"
    expect_status 2
    expect_empty_stdout
    expect_error_line "^backprop: $T/huge.csv:2:1: 3e\+38 in column \"a\" $msg"
    # Columns in another order, after a quoted field spanning lines.
    printf 'n,y,b,a\n"x\ny",0,2,1\nz,1,4,-3e38\n' >"$T/huge2.csv"
    run "$BP" predict --proba "$T/fine.w.json" "$T/huge2.csv"
    expect_status 2
    expect_empty_stdout
    expect_error_line "^backprop: $T/huge2.csv:4:4: -3e\+38 in column \"a\" $msg"
}

t_mean_imputation_names_a_column_without_values() {
    printf 'a,b,y\n1,NA,0\n2,NA,1\n3,NA,2\n' >"$T/empty-col.csv"
    num_config "$T/empty-col.csv"
    run "$BP" train "$T/num.json" --set data.missing=mean -o "$T/ec.w.json"
    expect_status 2
    expect_error_line "^backprop: $T/num.json: data.missing: column \"b\" has no value in the training rows to take the mean of$"
    tail -n +2 "$T/empty-col.csv" >"$T/no-header.csv"
    run "$BP" train "$T/num.json" --data "$T/no-header.csv" --set data.header=false \
        --set data.label=2 --set data.missing=mean -o "$T/ec.w.json"
    expect_status 2
    expect_error_line "^backprop: $T/num.json: data.missing: column index 1 has no value in the training rows to take the mean of$"
}

# ----------------------------------------------------------------- sweep

SWEEP_GRID=(--grid training.learning_rate=0.01,0.05 --grid layers.0.units=8,16)

t_sweep_grid_with_folds_writes_runs_results_and_a_ranked_table() {
    run "$BP" sweep configs/iris.json "${SWEEP_GRID[@]}" --folds 3 --jobs 2 \
        -o "$T/sw" --quiet
    expect_status 0
    local r n
    n=$(find "$T/sw" -mindepth 1 -maxdepth 1 -type d | wc -l)
    [ "$n" -eq 12 ] || note "expected 12 run folders (4 points x 3 folds), found $n"
    for r in p000-f0 p001-f2 p003-f1; do
        for f in config.json weights.json log.jsonl; do
            [ -s "$T/sw/$r/$f" ] || note "$r lacks $f"
        done
    done
    [ "$(wc -l <"$T/sw/results.csv")" -eq 13 ] || note "results.csv: $(wc -l <"$T/sw/results.csv") lines"
    [ "$(wc -l <"$T/sw/results.jsonl")" -eq 12 ] || note "results.jsonl: $(wc -l <"$T/sw/results.jsonl") lines"
    expect_stdout '^rank  point  training.learning_rate  layers.0.units  validation_loss'
    [ "$(wc -l <"$T/stdout")" -eq 5 ] || note "the table: $(cat "$T/stdout")"
    # Best first: the means in column 5 do not decrease.
    awk 'NR > 1 { if (NR > 2 && $5 < prev) exit 1; prev = $5 }' "$T/stdout" ||
        note "the table is not sorted best first: $(cat "$T/stdout")"
    # Each run's config is the base config with the run's overrides.
    grep -q '"cross_validation":[[:space:]]*{' "$T/sw/p001-f2/config.json" ||
        note "config.json lacks the fold"
    grep -q '"units":[[:space:]]*16' "$T/sw/p001-f2/config.json" || note "config.json lacks the units"
}

t_sweep_runs_are_the_train_they_stand_for() {
    [ -d "$T/sw" ] || "$BP" sweep configs/iris.json "${SWEEP_GRID[@]}" --folds 3 -o "$T/sw" --quiet >/dev/null
    # Written next to the run's own weights, so relative paths match too.
    run "$BP" train configs/iris.json --set training.learning_rate=0.01 \
        --set layers.0.units=16 --set data.validation=null \
        --set data.validation_split=0 \
        --set 'data.cross_validation={"folds": 3, "fold": 2}' \
        -o "$T/sw/p001-f2/train.json" --quiet
    expect_status 0
    cmp -s "$T/sw/p001-f2/train.json" "$T/sw/p001-f2/weights.json" ||
        note "sweep run p001-f2 differs from the train it stands for"
    rm -f "$T/sw/p001-f2/train.json"
}

t_sweep_results_do_not_depend_on_jobs() {
    run "$BP" sweep configs/iris.json "${SWEEP_GRID[@]}" --repeat 2 --jobs 1 \
        --threads 1 -o "$T/j1" --quiet
    expect_status 0
    cp "$T/stdout" "$T/j1.table"
    run "$BP" sweep configs/iris.json "${SWEEP_GRID[@]}" --repeat 2 --jobs 2 \
        --threads 2 -o "$T/j2" --quiet
    expect_status 0
    expect_same_file "$T/j1.table" "$T/stdout"
    local r
    for r in $(cd "$T/j1" && ls -d p*); do
        cmp -s "$T/j1/$r/weights.json" "$T/j2/$r/weights.json" ||
            note "$r: weights differ between --jobs 1 and --jobs 2"
    done
    [ -d "$T/j1/p003-r1" ] || note "no run for the second repeat"
    # Repeat 1 moves both seeds by one.
    grep -q '"seed":[[:space:]]*3' "$T/j1/p000-r1/config.json" || note "repeat 1's seeds"
}

t_sweep_counts_the_cpus_it_may_use() {
    # Held to one CPU (as a container's cpuset would), the default is one
    # run at a time, not one per CPU of the machine.
    command -v taskset >/dev/null || { note "taskset is missing"; return; }
    # The first CPU this shell may use ("0-1", "2,5", ...).
    local cpu
    cpu=$(taskset -pc $$ | sed 's/.*: *//; s/[-,].*//')
    run taskset -c "$cpu" "$BP" sweep configs/iris.json \
        --grid training.epochs=2,3 -o "$T/one-cpu"
    expect_status 0
    expect_stderr '2 runs in .* 1 at a time on 1 thread each'
}

t_sweep_resumes_after_ctrl_c_exactly() {
    # Long enough to be cut in its first run, short enough under TSan.
    local g=(--grid training.learning_rate=0.01,0.02,0.03 --grid training.epochs=60
             --grid layers.0.units=100)
    "$BP" sweep configs/digits.json "${g[@]}" --jobs 2 --threads 1 -o "$T/whole" --quiet >/dev/null ||
        note "the uninterrupted sweep failed"
    "$BP" sweep configs/digits.json "${g[@]}" --jobs 2 --threads 1 -o "$T/cut" \
        >/dev/null 2>"$T/cut.err" &
    local pid=$! i=0
    while [ $i -lt 600 ] && ! [ "$(cat "$T/cut/p000/log.jsonl" 2>/dev/null | wc -l)" -ge 3 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    kill -INT "$pid"
    wait "$pid"
    status=$?
    cp "$T/cut.err" "$T/stderr"
    expect_status 1
    expect_stderr 'sweep: interrupted: [0-9]+ of 3 runs done'
    [ -s "$T/cut/p000/weights.json" ] || note "Ctrl-C saved no weights for p000"
    run "$BP" sweep configs/digits.json "${g[@]}" --jobs 1 -o "$T/cut" --quiet
    expect_status 0
    local r
    for r in p000 p001 p002; do
        cmp -s "$T/whole/$r/weights.json" "$T/cut/$r/weights.json" ||
            note "$r: resumed weights differ from the uninterrupted sweep's"
        [ "$(wc -l <"$T/cut/$r/log.jsonl")" -eq 60 ] ||
            note "$r: the resumed log has $(wc -l <"$T/cut/$r/log.jsonl") epochs"
    done
    # Run again: nothing left to do, the same table.
    run "$BP" sweep configs/digits.json "${g[@]}" -o "$T/cut" --quiet
    expect_status 0
}

t_sweep_refuses_bad_input_writing_nothing() {
    [ -d "$T/sw" ] || "$BP" sweep configs/iris.json "${SWEEP_GRID[@]}" --folds 3 -o "$T/sw" --quiet >/dev/null
    cp "$T/sw/results.csv" "$T/sw.before"
    run "$BP" sweep configs/iris.json --grid training.learning_rate=0.01,0.02 -o "$T/sw"
    expect_status 2
    expect_error_line "^backprop: $T/sw: holds another sweep"
    expect_same_file "$T/sw.before" "$T/sw/results.csv"
    run "$BP" sweep configs/iris.json --grid training.learning_rat=0.1 -o "$T/bad"
    expect_status 2
    expect_error_line 'training.learning_rat: unknown key \(did you mean "learning_rate"\?\)'
    run "$BP" sweep configs/iris.json --grid layers.0.units=abc -o "$T/bad"
    expect_status 2
    expect_error_line 'layers\[0\]\.units: expected a whole number, got "abc"'
    run "$BP" sweep configs/iris.json --folds 1 -o "$T/bad"
    expect_status 2
    expect_error_line '^backprop: --folds: 1 is out of range'
    run "$BP" sweep configs/iris.json --folds 51 -o "$T/bad"
    expect_status 2
    expect_error_line '^backprop: --folds 51: the smallest class of .* has 50 rows; at most 50 folds$'
    run "$BP" sweep configs/iris.json --jobs 0 -o "$T/bad"
    expect_status 2
    run "$BP" sweep configs/iris.json --random 3 -o "$T/bad"
    expect_status 2
    expect_error_line '^backprop: --random 3: no --range to draw from$'
    run "$BP" sweep configs/iris.json --range training.learning_rate=normal:0:1 --random 2 -o "$T/bad"
    expect_status 2
    expect_error_line '^backprop: --range training.learning_rate: expected uniform:A:B'
    run "$BP" sweep configs/xor.json --metric validation_loss -o "$T/bad"
    expect_status 2
    expect_error_line '^backprop: --metric validation_loss: the runs have no validation data'
    # A key the config cannot take is named with the option that gave it.
    run "$BP" sweep configs/iris.json --grid layers.5.units=3 -o "$T/bad"
    expect_status 2
    expect_error_line '^backprop: --grid layers.5.units: index 5 out of range \(layers has 2 elements\)$'
    run "$BP" sweep configs/iris.json --random 2 --range layers.7.units=int:2:3 -o "$T/bad"
    expect_status 2
    expect_error_line '^backprop: --range layers.7.units: index 7 out of range'
    # A point's own data file that does not open: refused before any run,
    # not a failure of each.
    run "$BP" sweep configs/iris.json --grid "data.train=datasets/iris.csv,$T/no-such.csv" -o "$T/bad"
    expect_status 2
    expect_error_line "^backprop: $T/no-such.csv: cannot open: No such file or directory\$"
    [ ! -e "$T/bad" ] || note "a refused sweep wrote $T/bad"
    mkdir -p "$T/notes"
    printf 'mine\n' >"$T/notes/a.txt"
    run "$BP" sweep configs/iris.json --grid training.epochs=2 -o "$T/notes"
    expect_status 2
    expect_error_line "^backprop: $T/notes: exists and is not a sweep's folder"
    [ "$(ls "$T/notes")" = a.txt ] || note "wrote into someone's folder"
    run "$BP" sweep configs/iris.json --grid training.epochs=2 -o "$T/notes" --force --quiet
    expect_status 0
    # A folder that cannot be made (under a file; root can write anywhere
    # else): exit 2, nothing written.
    run "$BP" sweep configs/iris.json -o "$T/notes/a.txt/sw"
    expect_status 2
    expect_error_line "^backprop: -o $T/notes/a.txt/sw: cannot make the folder: Not a directory\$"
    if [ "$(id -u)" != 0 ]; then
        mkdir -p "$T/ro"
        chmod a-w "$T/ro"
        run "$BP" sweep configs/iris.json -o "$T/ro/sw"
        expect_status 2
    fi
}

t_sweep_random_points_are_seeded() {
    local g=(--random 4 --range training.learning_rate=loguniform:0.001:0.1
             --range layers.0.units=int:4:32 --range training.momentum=choice:0,0.9
             --grid training.epochs=5)
    run "$BP" sweep configs/iris.json "${g[@]}" -o "$T/rand1" --quiet
    expect_status 0
    run "$BP" sweep configs/iris.json "${g[@]}" -o "$T/rand2" --quiet
    expect_status 0
    diff <(cut -d, -f5-7 "$T/rand1/results.csv") <(cut -d, -f5-7 "$T/rand2/results.csv") >/dev/null ||
        note "the same seed drew different points"
    awk -F, 'NR > 1 && ($6 < 4 || $6 > 32 || $6 != int($6)) { exit 1 }' "$T/rand1/results.csv" ||
        note "int:4:32 drew outside 4..32"
    [ "$(wc -l <"$T/rand1/results.csv")" -eq 5 ] || note "expected 4 runs"
}

t_sweep_refuses_a_value_given_twice() {
    # The same point twice would run it twice and count it twice.
    run "$BP" sweep configs/iris.json --grid training.epochs=1,2,1 -o "$T/dup"
    expect_status 2
    expect_error_line '^backprop: --grid training.epochs: the value 1 is given twice$'
    run "$BP" sweep configs/iris.json --grid training.epochs=2,2.0 -o "$T/dup"
    expect_status 2
    expect_error_line '^backprop: --grid training.epochs: the value 2.0 is given twice$'
    run "$BP" sweep configs/iris.json --random 2 \
        --range training.momentum=choice:0,0.9,0.9 -o "$T/dup"
    expect_status 2
    expect_error_line '^backprop: --range training.momentum: the value 0.9 is given twice$'
    run "$BP" sweep configs/iris.json --grid data.train=datasets/iris.csv,datasets/iris.csv -o "$T/dup"
    expect_status 2
    expect_error_line '^backprop: --grid data.train: the value "datasets/iris.csv" is given twice$'
    [ ! -e "$T/dup" ] || note "a refused sweep wrote $T/dup"
}

# wait_for_lines FILE N: waits (up to 30 s) until FILE has N lines.
wait_for_lines() {
    local i=0
    while [ $i -lt 600 ] && ! [ "$(cat "$1" 2>/dev/null | wc -l)" -ge "$2" ]; do
        sleep 0.05
        i=$((i + 1))
    done
}

t_sweep_table_shows_a_dash_for_points_with_no_finished_run() {
    # Interrupted in the first epochs: no point has a finished run, and
    # every metric column says so alike.
    "$BP" sweep configs/iris.json --grid training.learning_rate=0.01,0.02 \
        --grid training.epochs=100000000 --jobs 2 -o "$T/unfinished" \
        >"$T/unfinished.out" 2>/dev/null &
    local pid=$!
    wait_for_lines "$T/unfinished/p000/log.jsonl" 1
    kill -INT "$pid"
    wait "$pid"
    status=$?
    expect_status 1
    [ "$(wc -l <"$T/unfinished.out")" -eq 3 ] || note "the table: $(cat "$T/unfinished.out")"
    grep -q 'validation_accuracy$' "$T/unfinished.out" || note "no accuracy column: $(cat "$T/unfinished.out")"
    ! grep -qi 'nan' "$T/unfinished.out" || note "the table shows nan: $(cat "$T/unfinished.out")"
    awk 'NR > 1 && $NF != "-" { exit 1 }' "$T/unfinished.out" ||
        note "a point with no finished run has an accuracy: $(cat "$T/unfinished.out")"
}

t_sweep_refuses_a_folder_another_sweep_is_writing_into() {
    local g=(--grid training.learning_rate=0.01,0.02 --grid training.epochs=100000000)
    "$BP" sweep configs/iris.json "${g[@]}" --jobs 2 -o "$T/busy" --quiet \
        >/dev/null 2>&1 &
    local pid=$!
    wait_for_lines "$T/busy/p000/log.jsonl" 1
    # The same sweep (it would resume the runs under way) and another one.
    run "$BP" sweep configs/iris.json "${g[@]}" --jobs 2 -o "$T/busy"
    expect_status 2
    expect_error_line "^backprop: $T/busy: another sweep is writing into this folder; wait for it to end, or give another -o DIR\$"
    expect_empty_stdout
    run "$BP" sweep configs/iris.json --grid training.epochs=2 -o "$T/busy"
    expect_status 2
    expect_error_line "^backprop: $T/busy: another sweep is writing into this folder"
    kill -0 "$pid" 2>/dev/null || note "the first sweep ended too soon to tell"
    [ ! -e "$T/busy/results.csv" ] || note "results.csv was written while the runs were under way"
    kill -INT "$pid"
    wait "$pid"
    status=$?
    expect_status 1
    # Once it has ended, the folder is free again (and holds its sweep).
    run "$BP" sweep configs/iris.json --grid training.epochs=2 -o "$T/busy"
    expect_status 2
    expect_error_line "^backprop: $T/busy: holds another sweep"
}

# children_of PID: the pids of its child processes, from /proc (a
# minimal machine may have no pgrep).
children_of() {
    local want=$1 stat line fields
    for stat in /proc/[0-9]*/stat; do
        read -r line 2>/dev/null <"$stat" || continue
        # After the name's closing parenthesis: the state, the parent.
        read -r -a fields <<<"${line##*) }"
        [ "${fields[1]:-}" = "$want" ] || continue
        stat=${stat#/proc/}
        echo "${stat%/stat}"
    done
}

# alive PID: the process runs (a zombie has ended).
alive() {
    [ -e "/proc/$1" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null
}

t_sweep_workers_stop_when_the_sweep_is_killed() {
    local g=(--grid training.learning_rate=0.01,0.02,0.03 --grid training.epochs=2000)
    "$BP" sweep configs/digits.json "${g[@]}" --jobs 2 --threads 1 -o "$T/unkilled" \
        --quiet >/dev/null || note "the uninterrupted sweep failed"
    "$BP" sweep configs/digits.json "${g[@]}" --jobs 2 --threads 1 -o "$T/killed" \
        --quiet >/dev/null 2>&1 &
    local pid=$! workers w i left
    wait_for_lines "$T/killed/p000/log.jsonl" 3
    workers=$(children_of "$pid")
    [ -n "$workers" ] || note "found no worker to watch"
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    # Each worker saves its run's last complete epoch and ends.
    for ((i = 0; i < 200; i++)); do
        left=
        for w in $workers; do alive "$w" && left="$left $w"; done
        [ -z "$left" ] && break
        sleep 0.05
    done
    if [ -n "$left" ]; then
        note "workers still running 10 s after the sweep was killed:$left"
        kill -KILL $left 2>/dev/null
    fi
    [ "$(wc -l <"$T/killed/p000/log.jsonl")" -lt 2000 ] ||
        note "a worker went on with its run after the sweep was killed"
    [ ! -e "$T/killed/p002" ] || note "a worker took a run after the sweep was killed"
    run "$BP" sweep configs/digits.json "${g[@]}" --jobs 2 --threads 1 -o "$T/killed" --quiet
    expect_status 0
    local r
    for r in p000 p001 p002; do
        cmp -s "$T/unkilled/$r/weights.json" "$T/killed/$r/weights.json" ||
            note "$r: weights differ from the uninterrupted sweep's"
    done
}

t_sweep_names_a_file_in_the_way_of_a_run_s_folder() {
    # In a folder given with --force, a file where a run's folder goes:
    # the run could neither be made nor leave an error.txt.
    mkdir -p "$T/in-the-way"
    printf 'mine\n' >"$T/in-the-way/p000"
    run "$BP" sweep configs/iris.json --grid training.epochs=2,3 \
        -o "$T/in-the-way" --force
    expect_status 2
    expect_error_line "^backprop: $T/in-the-way/p000: cannot make the run's folder: a file of that name is in the way; move it, or give another -o DIR\$"
    [ "$(ls "$T/in-the-way")" = p000 ] || note "wrote into the folder: $(ls "$T/in-the-way")"
    mv "$T/in-the-way/p000" "$T/in-the-way/p001-r1"
    run "$BP" sweep configs/iris.json --grid training.epochs=2,3 --repeat 2 \
        -o "$T/in-the-way" --force
    expect_status 2
    expect_error_line "^backprop: $T/in-the-way/p001-r1: cannot make the run's folder"
    expect_same_file <(printf 'mine\n') "$T/in-the-way/p001-r1"
}

t_plot_overlays_a_sweep_one_colour_per_run() {
    [ -d "$T/sw" ] || "$BP" sweep configs/iris.json "${SWEEP_GRID[@]}" --folds 3 -o "$T/sw" --quiet >/dev/null
    run "$BP" plot "$T/sw" -o "$T/sweep.svg"
    expect_status 0
    [ "$(grep -c 'class="series"' "$T/sweep.svg")" -eq 12 ] ||
        note "expected 12 series: $(grep -c 'class="series"' "$T/sweep.svg")"
    grep -q '>p000-f0</text>' "$T/sweep.svg" || note "legend lacks p000-f0"
    grep -q '>p003-f2</text>' "$T/sweep.svg" || note "legend lacks p003-f2"
    grep -q '<title>Validation loss of 12 runs</title>' "$T/sweep.svg" || note "title"
    [ "$(grep -o 'stroke="#[0-9a-f]*" stroke-width="2"' "$T/sweep.svg" | sort -u | wc -l)" -eq 12 ] ||
        note "the runs do not each have a colour of their own"
    if command -v xmllint >/dev/null; then
        xmllint --noout "$T/sweep.svg" 2>"$T/xmllint" ||
            note "the SVG is not well-formed XML: $(head -c 300 "$T/xmllint")"
    fi
    # Two logs given by name, the curve chosen.
    run "$BP" plot "$T/sw/p000-f0/log.jsonl" "$T/sw/p001-f0/log.jsonl" \
        --metric train_loss -o "$T/two.svg"
    expect_status 0
    grep -q '<title>Train loss of 2 runs</title>' "$T/two.svg" || note "two logs: title"
}

# ----------------------------------------------------------------- run

run_cases
# The table of bad-input classes in docs/ is generated from the cases
# above, so it cannot drift: BP_UPDATE_DOCS=1 (make docs) rewrites it,
# otherwise it must match.
current=t_error_table_in_docs_is_current
case_skipped=0
case_ok=1
{
    printf '# Bad input: every class the tests try\n\n'
    printf 'Generated by `make docs` from `tests/cli/run.sh` (the `bad_config` and\n'
    printf '`bad_csv` cases); the test suite fails if this file is out of date.\n'
    printf 'Each input goes through `backprop train`; config errors are also\n'
    printf 'checked through `info`, `gradcheck`, `predict` and `eval`, CSV errors\n'
    printf 'through `eval` and `gradcheck`: same exit status, same message, no\n'
    printf 'output file written, the previous output untouched.\n\n'
    printf '| input | class | bytes | exit | message on stderr |\n'
    printf '|---|---|---|---|---|\n'
    cat "$T/error-table"
} >"$T/bad-input.md"
if [ "${BP_UPDATE_DOCS:-0}" = 1 ]; then
    cp "$T/bad-input.md" docs/bad-input.md
elif ! cmp -s "$T/bad-input.md" docs/bad-input.md; then
    note "docs/bad-input.md is out of date: run make docs ($(diff "$T/bad-input.md" docs/bad-input.md | head -3))"
fi
count_case

if [ "$skipped" -gt 0 ]; then
    printf '%d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
else
    printf '%d passed, %d failed\n' "$passed" "$failed"
fi
[ "$failed" -eq 0 ]
