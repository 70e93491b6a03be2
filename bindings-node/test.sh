#!/usr/bin/env bash
# Builds the Node binding and runs all its tests against the sandbox binary:
# npm ci, the sandbox, the addon (release, as packaged), a drift check of the generated
# loader and typings, then node --test __test__/*.test.js. Works on a fresh machine (CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_BUILD_TARGET=x86_64-unknown-linux-gnu
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
started=$(date +%s)
step() { printf '\n--> node: %s\n' "$*"; }

command -v node >/dev/null || { echo "node is required (Node 18+)" >&2; exit 1; }
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' \
  || { echo "Node 18+ is required, found $(node --version)" >&2; exit 1; }

step "npm ci (napi-rs cli, typescript, express)"
(cd bindings-node && npm ci --no-audit --no-fund --loglevel=error)

step "sandbox binary"
cargo build --locked -p dga-sandbox
export DGA_SANDBOX_BIN="$root/target/x86_64-unknown-linux-gnu/debug/dga-sandbox"

step "addon (napi build --release) and generated files"
generated="index.d.ts enums.d.ts records.d.ts index.mjs native.js"
saved=$(mktemp -d)
trap 'rm -rf "$saved"' EXIT
for f in $generated; do cp "bindings-node/$f" "$saved/$f"; done
(cd bindings-node && npx napi build --platform --release --strip --js native.js --dts index.d.ts -- --locked \
  && node scripts/gen-types.js)
drift=0
for f in $generated; do
  if ! cmp -s "$saved/$f" "bindings-node/$f"; then
    echo "bindings-node/$f differs from what the build generates (commit the regenerated file):" >&2
    diff -u "$saved/$f" "bindings-node/$f" >&2 || true
    drift=1
  fi
done
[ "$drift" -eq 0 ] || exit 1
ls -l bindings-node/*.node

step "node --test"
# A test that hangs fails after a minute, by name, instead of holding CI (the longest takes ~6 s).
(cd bindings-node && node --test --test-timeout=60000 __test__/*.test.js)

echo "node binding: all tests passed in $(( $(date +%s) - started )) s"
