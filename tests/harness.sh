# shellcheck shell=bash
# The shell test harness shared by tests/cli/run.sh and tests/mpi/run.sh,
# sourced after T (a scratch folder) is set. A case is a function named
# t_*; its checks call note() on failure; run_cases runs every case and
# counts it passed only if nothing was noted.

passed=0
failed=0
skipped=0
case_ok=1
case_skipped=0
current=

note() {
    [ "$case_ok" -eq 1 ] && printf 'FAIL %s\n' "$current" >&2
    printf '    %s\n' "$*" >&2
    case_ok=0
}

# skip WHY: the case could not run here; counted apart, never as passed.
skip() {
    printf 'SKIP %s: %s\n' "$current" "$*" >&2
    case_skipped=1
}

expect_status() {
    [ "$status" -eq "$1" ] || note "exit status $status, expected $1; stderr: $(head -c 600 "$T/stderr")"
}

expect_same_file() {
    cmp -s "$1" "$2" || note "$1 and $2 differ: $(cmp "$1" "$2" 2>&1 | head -1)"
}

# count_case: counts the case that just ran (current and case_ok were set
# before it ran).
count_case() {
    if [ "$case_skipped" -eq 1 ]; then
        skipped=$((skipped + 1))
    elif [ "$case_ok" -eq 1 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
}

run_cases() {
    local t
    for t in $(declare -F | awk '{ print $3 }' | grep '^t_'); do
        current=$t
        case_ok=1
        case_skipped=0
        "$t"
        count_case
    done
}
