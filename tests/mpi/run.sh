#!/usr/bin/env bash
# Data-parallel training on Open MPI (docs/mpi.md): each case runs the MPI
# build of the real binary under mpirun and checks the weights it writes
# against a single process's, itself, and a killed run's checkpoint.
#
#   tests/mpi/run.sh BACKPROP_MPI NUMDIFF
#
# BACKPROP_MPI is a `make MPI=1` binary, NUMDIFF build/mpi/numdiff. Prints
# one line per failure and ends with "mpi: N passed, N failed"; exits 1 on
# any failure. Without mpirun it says SKIPPED and exits 0 (MPI_REQUIRED=1:
# exits 1), never "passed".
set -u

if ! command -v mpirun >/dev/null 2>&1; then
    echo "mpi: SKIPPED, NOT TESTED: mpirun not installed"
    [ "${MPI_REQUIRED:-0}" = 1 ] && exit 1
    exit 0
fi

BP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ND=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# Several ranks share two cores with other jobs: one OpenMP thread each,
# and MPI's own oversubscription mode (ranks yield instead of spinning).
MPIRUN=(mpirun --allow-run-as-root --oversubscribe)
export OMPI_MCA_mpi_yield_when_idle=1

# The weights of N ranks against one process: float sums in another order
# differ in the last bits of each step's gradient, and the difference grows
# over the steps; 1e-4 of each tensor's largest magnitude is the issue's
# bound (the runs below stay under 1e-5, see docs/mpi.md).
TOLERANCE=1e-4
# Seconds mpirun may take to end the job after a rank is killed.
KILL_DEADLINE=10

IRIS=configs/iris.json
FASHION=tests/mpi/fashion-like.json
# fashion-like.json reads this file (its data.train).
mkdir -p build/mpi
[ -s build/mpi/fashion-like.csv ] ||
    sh tests/mpi/make-fashion-like.sh 1000 >build/mpi/fashion-like.csv

# shellcheck source=tests/harness.sh
. tests/harness.sh

# ranks N CMD...: CMD under mpirun with N ranks, keeping stderr and status.
ranks() {
    local n=$1
    shift
    "${MPIRUN[@]}" -np "$n" "$BP" "$@" >"$T/stdout" 2>"$T/stderr"
    status=$?
}

# alone CMD...: the MPI build started without mpirun.
alone() {
    "$BP" "$@" >"$T/stdout" 2>"$T/stderr"
    status=$?
}

expect_close() { # A B: numbers within TOLERANCE
    local out
    out=$("$ND" "$1" "$2" "$TOLERANCE") || note "$1 vs $2: $out"
}

# count REGEX FILE: lines matching.
count() {
    grep -Ec -- "$1" "$2"
}

train_args=(--threads 1 --quiet)

# ------------------------------------------------------------- equality

t_without_mpirun_the_mpi_build_is_the_single_process_program() {
    alone train "$IRIS" -o "$T/alone.json" "${train_args[@]}"
    expect_status 0
    ranks 1 train "$IRIS" -o "$T/np1.json" "${train_args[@]}"
    expect_status 0
    expect_same_file "$T/alone.json" "$T/np1.json"
    if [ -x ./backprop ]; then
        ./backprop train "$IRIS" -o "$T/default.json" "${train_args[@]}"
        expect_same_file "$T/alone.json" "$T/default.json"
    fi
}

# equal_to_one_process CONFIG N...
equal_to_one_process() {
    local config=$1 n
    shift
    alone train "$config" -o "$T/one.json" "${train_args[@]}"
    expect_status 0
    for n in "$@"; do
        ranks "$n" train "$config" -o "$T/np$n.json" "${train_args[@]}"
        expect_status 0
        expect_close "$T/np$n.json" "$T/one.json"
    done
}

t_iris_on_2_and_3_ranks_equals_one_process() {
    equal_to_one_process "$IRIS" 2 3
}

t_fashion_like_on_2_and_3_ranks_equals_one_process() {
    equal_to_one_process "$FASHION" 2 3
}

t_adam_dropout_and_clipping_on_2_and_3_ranks_equal_one_process() {
    # Dropout's masks follow the sample's row, whichever rank takes it;
    # the norm is that of the summed gradient.
    local saved=("${train_args[@]}")
    train_args+=(--set training.optimizer=adam --set training.momentum=null
                 --set 'layers[0].dropout=0.5' --set training.clip_grad_norm=1
                 --set training.label_smoothing=0.1)
    equal_to_one_process "$IRIS" 2 3
    ranks 2 train "$IRIS" -o "$T/a.json" "${train_args[@]}"
    ranks 2 train "$IRIS" -o "$T/b.json" "${train_args[@]}"
    expect_same_file "$T/a.json" "$T/b.json"
    train_args=("${saved[@]}")
}

t_same_rank_count_gives_byte_identical_weights() {
    local config n
    for config in "$IRIS" "$FASHION"; do
        for n in 2 3; do
            ranks "$n" train "$config" -o "$T/a.json" "${train_args[@]}"
            expect_status 0
            ranks "$n" train "$config" -o "$T/b.json" "${train_args[@]}"
            expect_status 0
            expect_same_file "$T/a.json" "$T/b.json"
        done
    done
}

t_threads_per_rank_do_not_change_the_weights() {
    ranks 2 train "$FASHION" -o "$T/t1.json" --epochs 2 --quiet --threads 1
    expect_status 0
    ranks 2 train "$FASHION" -o "$T/t2.json" --epochs 2 --quiet --threads 2
    expect_status 0
    expect_same_file "$T/t1.json" "$T/t2.json"
}

t_a_batch_smaller_than_the_rank_count_still_trains() {
    # 3 ranks, batches of 2: one rank has no sample in every step.
    alone train "$IRIS" -o "$T/one.json" --batch-size 2 --epochs 5 \
        "${train_args[@]}"
    ranks 3 train "$IRIS" -o "$T/np3.json" --batch-size 2 --epochs 5 \
        "${train_args[@]}"
    expect_status 0
    expect_close "$T/np3.json" "$T/one.json"
}

# ------------------------------------------------------ streams and files

t_only_rank_0_writes_and_speaks() {
    ranks 3 train "$IRIS" -o - --log "$T/log.jsonl" --threads 1
    expect_status 0
    "$ND" "$T/stdout" "$T/stdout" >/dev/null ||
        note "stdout is not one weights file: $(head -c 200 "$T/stdout")"
    [ "$(count '^epoch +50/50' "$T/stderr")" -eq 1 ] ||
        note "stderr should have one last-epoch line: $(head -c 400 "$T/stderr")"
    [ "$(count 'epochs done .* on 3 ranks' "$T/stderr")" -eq 1 ] ||
        note "stderr should have one summary naming 3 ranks"
    [ "$(wc -l <"$T/log.jsonl")" -eq 50 ] ||
        note "the log has $(wc -l <"$T/log.jsonl") lines, expected 50"
    grep -q '"ranks":3,"message_bytes_per_step":[1-9]' "$T/log.jsonl" ||
        note "the log does not record ranks and message bytes"
}

t_stdin_data_reaches_every_rank() {
    ranks 2 train "$IRIS" -o "$T/file.json" "${train_args[@]}"
    "${MPIRUN[@]}" -np 2 "$BP" train "$IRIS" --data - -o "$T/stdin.json" \
        "${train_args[@]}" <datasets/iris.csv >/dev/null 2>"$T/stderr"
    status=$?
    expect_status 0
    # Only data.train differs ("-" against the file's path).
    grep -v '"train":' "$T/file.json" >"$T/file.rest"
    grep -v '"train":' "$T/stdin.json" >"$T/stdin.rest"
    expect_same_file "$T/file.rest" "$T/stdin.rest"
}

t_an_error_every_rank_has_is_printed_once_and_exits_2() {
    ranks 3 train "$IRIS" --set training.learning_rat=0.1 -o "$T/x.json"
    expect_status 2
    [ "$(count '^backprop: .*learning_rat: unknown key' "$T/stderr")" -eq 1 ] ||
        note "expected the error once: $(head -c 600 "$T/stderr")"
    [ ! -e "$T/x.json" ] || note "a weights file was written"
}

t_an_error_only_rank_0_has_ends_the_job() {
    ranks 2 train "$IRIS" --data "$T/missing.csv" -o "$T/x.json"
    expect_status 2
    [ "$(count '^backprop: .*missing.csv' "$T/stderr")" -eq 1 ] ||
        note "expected the error once: $(head -c 600 "$T/stderr")"
}

# ------------------------------------------------- failures and resuming

# The pid of rank R among mpirun's children.
rank_pid() { # MPIRUN_PID RANK
    local p
    for p in $(ps -o pid= --ppid "$1"); do
        if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null |
            grep -qx "OMPI_COMM_WORLD_RANK=$2"; then
            echo "$p"
            return
        fi
    done
}

# state_epoch FILE: the epochs a weights file records as done.
state_epoch() {
    grep -A1 '"state": {' "$1" 2>/dev/null | grep -o '"epoch": *[0-9]*' |
        grep -o '[0-9]*$'
}

# Waits (up to 30 s) until FILE records at least EPOCHS epochs.
wait_for_checkpoint() { # FILE EPOCHS
    local i e
    for i in $(seq 300); do
        e=$(state_epoch "$1")
        [ -n "$e" ] && [ "$e" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

t_a_killed_rank_ends_the_job_and_the_checkpoint_resumes_exactly() {
    local ck=$T/ck.json mp victim started elapsed done_epochs
    "${MPIRUN[@]}" -np 3 "$BP" train "$FASHION" -o "$ck" --epochs 100000 \
        --checkpoint-every 1 "${train_args[@]}" >/dev/null 2>"$T/stderr" &
    mp=$!
    wait_for_checkpoint "$ck" 2 || note "no checkpoint after 30 s"
    victim=$(rank_pid "$mp" 1)
    [ -n "$victim" ] || note "rank 1 not found among mpirun's children"
    started=$(date +%s.%N)
    kill -9 "$victim" 2>/dev/null
    # A hang would stop here: give up after the deadline plus a margin.
    ( sleep $((KILL_DEADLINE * 3)) && kill -9 "$mp" 2>/dev/null ) &
    local watchdog=$!
    wait "$mp"
    status=$?
    kill "$watchdog" 2>/dev/null
    wait "$watchdog" 2>/dev/null
    elapsed=$(echo "$(date +%s.%N) - $started" | bc)
    [ "$status" -ne 0 ] || note "mpirun exited 0 after a rank was killed"
    awk -v e="$elapsed" -v d="$KILL_DEADLINE" 'BEGIN { exit !(e < d) }' ||
        note "mpirun took $elapsed s to end the job (limit $KILL_DEADLINE s)"
    "$ND" "$ck" "$ck" >/dev/null || note "the checkpoint is not intact JSON"
    done_epochs=$(state_epoch "$ck")
    [ -n "$done_epochs" ] || { note "no state.epoch in the checkpoint"; return; }

    # Resumed to two more epochs, it equals an uninterrupted run.
    local total=$((done_epochs + 2))
    ranks 3 train "$ck" --epochs "$total" -o "$ck" "${train_args[@]}"
    expect_status 0
    ranks 3 train "$FASHION" --epochs "$total" -o "$T/ref.json" \
        "${train_args[@]}"
    expect_status 0
    expect_same_file "$ck" "$T/ref.json"
}

t_sigint_to_mpirun_saves_the_last_epoch_and_resumes_exactly() {
    local out=$T/int.json mp done_epochs
    "${MPIRUN[@]}" -np 2 "$BP" train "$IRIS" -o "$out" --epochs 100000000 \
        --checkpoint-every 1000000 "${train_args[@]}" >/dev/null \
        2>"$T/stderr" &
    mp=$!
    sleep 2
    kill -INT "$mp"
    wait "$mp"
    status=$?
    [ "$status" -ne 0 ] || note "mpirun exited 0 after SIGINT"
    [ -s "$out" ] || { note "no weights saved on SIGINT"; return; }
    done_epochs=$(state_epoch "$out")
    local total=$((done_epochs + 1))
    ranks 2 train "$out" --epochs "$total" -o "$out" "${train_args[@]}"
    expect_status 0
    ranks 2 train "$IRIS" --epochs "$total" -o "$T/ref.json" \
        "${train_args[@]}"
    # The requested epoch total is recorded in the file: compare all else.
    grep -v '"epochs":' "$out" >"$T/a.rest"
    grep -v '"epochs":' "$T/ref.json" >"$T/b.rest"
    expect_same_file "$T/a.rest" "$T/b.rest"
}

# ----------------------------------------------------------------- run

run_cases
echo "mpi: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
