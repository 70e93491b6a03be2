#!/usr/bin/env bash
# What PHP costs over the C ABI: status calls per second from PHP (bench/status.php) and from C
# (bindings-c/bench/bench.c, seq), against ONE release sandbox, release library, same run; two
# rounds, the second in reverse order, so the noise shows. Also the RSS over 100 000 calls.
# bindings-php/bench/compare.sh [--seconds N] [--rounds N] [--rss-calls N]
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_BUILD_TARGET=x86_64-unknown-linux-gnu
seconds=3; rounds=2; rss_calls=100000
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --rss-calls) rss_calls=$2; shift 2 ;;
    *) echo "usage: $0 [--seconds N] [--rounds N] [--rss-calls N]" >&2; exit 2 ;;
  esac
done
R=target/$CARGO_BUILD_TARGET/release
B=target/bench-php
mkdir -p "$B"
cargo build --release --locked -q -p dga-sandbox -p dga-epayment-ffi
gcc -std=c11 -O2 -Wall -Wextra -Werror -Iinclude bindings-c/bench/bench.c -o "$B/bench_c" \
  -L"$R" -ldga_epayment -Wl,-rpath,"$PWD/$R" -lpthread
"$R/dga-sandbox" --port 0 >"$B/sandbox.out" 2>/dev/null &
sandbox_pid=$!
trap 'kill $sandbox_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q '^listening on ' "$B/sandbox.out" 2>/dev/null && break; sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$B/sandbox.out" | head -1)
[ -n "$url" ] || { echo "the sandbox did not start" >&2; exit 1; }
export DGA_EPAYMENT_LIB="$PWD/$R/libdga_epayment.so"
rate() { sed -n 's/.*"calls_per_s":\([0-9.]*\).*/\1/p'; }
for round in $(seq "$rounds"); do
  order="c php"; [ $((round % 2)) -eq 0 ] && order="php c"
  for lang in $order; do
    if [ "$lang" = c ]; then c=$("$B/bench_c" "$url" seq "$seconds" | rate)
    else php_rate=$(php bindings-php/bench/status.php "$url" "$seconds" | rate); fi
  done
  echo "round $round: C $c calls/s, PHP $php_rate calls/s, PHP/C $(awk -v p="$php_rate" -v c="$c" 'BEGIN { printf "%.2f", p / c }')"
done
echo "RSS over $rss_calls calls (release library):"
php bindings-php/bench/rss.php "$url" "$rss_calls" 2>/dev/null
