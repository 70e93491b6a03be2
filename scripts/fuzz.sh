#!/usr/bin/env bash
# Fuzzes the core's parsers: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Runs each cargo-fuzz target in fuzz/ (all of them by default) for SECONDS_PER_TARGET
# (default 60), one after another, starting from the committed seed corpus fuzz/corpus/<target>/
# (read only: what libFuzzer adds goes to fuzz/work/<target>/, not committed). Prints the
# executions, exec/s and crashes of each target and the totals; exits 1 if any target crashed
# (panic, timeout or out-of-memory), with the input in fuzz/artifacts/<target>/.
#
# Uses the nightly toolchain when it is installed; where it is not, the stable one with
# RUSTC_BOOTSTRAP=1 (stable ships the ASan runtime; cargo-fuzz only needs nightly flags).
# Installs cargo-fuzz from crates.io when it is missing. Environment:
#   FUZZ_SANITIZER  address (default) or none (about twice the executions per second; the
#                   targets are safe Rust, so a panic is found either way)
#   FUZZ_JOBS       targets run at once (default 1: CI machines and this one have few cores)
#
# Build notes: cargo-fuzz passes its own `--target <host triple>`. CARGO_BUILD_TARGET is set
# to the same triple (docs/development.md#toolchain), so either way the objects
# land in fuzz/target/x86_64-unknown-linux-gnu/. CARGO_TARGET_DIR is pinned to fuzz/target:
# the fuzz build has sanitizer and coverage flags, and sharing the workspace's target/ would
# make every other build start over.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SECS=${1:-60}
if [ $# -gt 0 ]; then shift; fi
case $SECS in '' | *[!0-9]*)
    echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2
    exit 2
    ;;
esac
SANITIZER=${FUZZ_SANITIZER:-address}
JOBS=${FUZZ_JOBS:-1}

export CARGO_BUILD_TARGET=x86_64-unknown-linux-gnu
export CARGO_TARGET_DIR="$ROOT/fuzz/target"

if rustup run nightly rustc --version >/dev/null 2>&1; then
    TOOLCHAIN=(+nightly)
else
    echo "fuzz.sh: no nightly toolchain; using stable with RUSTC_BOOTSTRAP=1" >&2
    TOOLCHAIN=()
    export RUSTC_BOOTSTRAP=1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz from crates.io" >&2
    cargo install cargo-fuzz --locked
fi

if [ $# -gt 0 ]; then
    TARGETS=("$@")
else
    mapfile -t TARGETS < <(cargo "${TOOLCHAIN[@]}" fuzz list)
fi
for t in "${TARGETS[@]}"; do
    if [ -z "$(ls -A "fuzz/corpus/$t" 2>/dev/null)" ]; then
        echo "fuzz.sh: no seed corpus in fuzz/corpus/$t" >&2
        exit 2
    fi
done

echo "building ${#TARGETS[@]} targets (sanitizer: $SANITIZER)"
cargo "${TOOLCHAIN[@]}" fuzz build -s "$SANITIZER"

LOGS="$ROOT/fuzz/work/logs"
mkdir -p "$LOGS"

run_one() {
    local t=$1 log="$LOGS/$1.log" before after start end rc=0
    mkdir -p "fuzz/work/$t" "fuzz/artifacts/$t"
    before=$(find "fuzz/artifacts/$t" -type f | wc -l)
    start=$(date +%s)
    # -timeout: a parser that takes seconds on one small input is a bug (a hang), not load.
    cargo "${TOOLCHAIN[@]}" fuzz run -s "$SANITIZER" "$t" "fuzz/work/$t" "fuzz/corpus/$t" -- \
        -max_total_time="$SECS" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
        >"$log" 2>&1 || rc=$?
    end=$(date +%s)
    after=$(find "fuzz/artifacts/$t" -type f | wc -l)
    local execs
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ -z "$execs" ]; then
        # No final stats (a crash): the last status line's count.
        execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
    fi
    local crashes=$((after - before))
    if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
    echo "$t ${execs:-0} $((end - start)) $crashes $rc" >"$LOGS/$t.result"
}

pids=()
for t in "${TARGETS[@]}"; do
    echo "fuzzing $t for ${SECS}s"
    run_one "$t" &
    pids+=($!)
    if [ "${#pids[@]}" -ge "$JOBS" ]; then
        wait "${pids[0]}"
        pids=("${pids[@]:1}")
    fi
done
for p in "${pids[@]}"; do wait "$p"; done

total_execs=0
total_secs=0
total_crashes=0
printf '\n%-16s %14s %8s %10s %8s\n' target executions seconds exec/s crashes
for t in "${TARGETS[@]}"; do
    read -r _ execs secs crashes rc <"$LOGS/$t.result"
    rate=$((execs / (secs > 0 ? secs : 1)))
    printf '%-16s %14d %8d %10d %8d\n' "$t" "$execs" "$secs" "$rate" "$crashes"
    total_execs=$((total_execs + execs))
    total_secs=$((total_secs + secs))
    total_crashes=$((total_crashes + crashes))
    if [ "$crashes" -ne 0 ]; then
        echo "  $t crashed (exit $rc): log $LOGS/$t.log; input:" \
            "$(ls -t "fuzz/artifacts/$t" | head -1 | sed "s|^|fuzz/artifacts/$t/|")"
        grep -m1 -A2 'panicked at' "$LOGS/$t.log" | sed 's/^/    /' || true
    fi
done
printf '%-16s %14d %8d %10d %8d\n' total "$total_execs" "$total_secs" \
    "$((total_execs / (total_secs > 0 ? total_secs : 1)))" "$total_crashes"
[ "$total_crashes" -eq 0 ]
