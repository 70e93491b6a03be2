#!/usr/bin/env bash
# Release workflow: installs this platform's built wheel and npm packages into fresh places and
# runs the binding READMEs' quick starts against the sandbox (musl: inside Alpine containers).
# Usage: smoke-test.sh RUST_TARGET NAPI_PLATFORM
set -euo pipefail
cd "$(dirname "$0")/../.."
target=$1
platform=$2
root=$PWD
work=$root/target/smoke
rm -rf "$work" && mkdir -p "$work"
cargo build --locked -p dga-sandbox
sandbox=$(ls target/debug/dga-sandbox target/debug/dga-sandbox.exe 2>/dev/null | head -1)
"$sandbox" --port 0 > "$work/sandbox.out" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 200); do grep -q '^listening on ' "$work/sandbox.out" && break; sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$work/sandbox.out" | head -1 | tr -d '\r')
export DGA_CONSUMER_KEY=sandbox-key DGA_CONSUMER_SECRET=sandbox-secret DGA_AGENT_ID=1234567890121 DGA_GATEWAY_URL=$url DGA_SOURCE=SANDBOX
quickstart() { awk -v lang="$2" '/^## Quick start/ {a=1; next} a && $0 == "```" lang {on=1; next} on && /^```/ {exit} on {print}' "$1"; }
quickstart bindings-python/README.md python > "$work/quickstart.py"
quickstart bindings-node/README.md js | sed -e "s#'http://127.0.0.1:8580'#'$url'#" -e 's#app.listen(3000)#app.listen(0, "127.0.0.1").unref()#' > "$work/quickstart.js"
main_tgz=$(ls "$root"/dist/node/dga-epayment-[0-9]*.tgz 2>/dev/null || true)
plat_tgz=$(ls "$root/dist/node/dga-epayment-$platform-"*.tgz)
wheel=$(ls "$root"/dist/python/*.whl | head -1)
if [ -z "$main_tgz" ]; then # only the Linux x86_64 job packs the main package; pack it here
  (cd bindings-node && npm pack --pack-destination "$work" >/dev/null)
  main_tgz=$(ls "$work"/dga-epayment-[0-9]*.tgz)
fi

if [[ $target == *-musl ]]; then
  docker run --rm --network host -v "$root:$root" -v "$work:$work" -w "$work" \
    -e DGA_CONSUMER_KEY -e DGA_CONSUMER_SECRET -e DGA_AGENT_ID -e DGA_GATEWAY_URL -e DGA_SOURCE \
    python:3.12-alpine sh -c "pip install -q '$wheel' && python quickstart.py" | tee "$work/py.out"
  docker run --rm --network host -v "$root:$root" -v "$work:$work" -w "$work" node:20-alpine \
    sh -c "mkdir app && cd app && npm init -y >/dev/null && npm install -q '$main_tgz' '$plat_tgz' express@5 && cp ../quickstart.js . && node quickstart.js" | tee "$work/node.out"
else
  python3 -m venv "$work/venv"
  if [ -x "$work/venv/bin/python" ]; then py=$work/venv/bin/python; else py=$work/venv/Scripts/python; fi
  "$py" -m pip install -q "$wheel"
  (cd "$work" && "$py" quickstart.py) | tee "$work/py.out"
  mkdir -p "$work/app" && cd "$work/app"
  echo '{"name":"app","version":"1.0.0","private":true}' > package.json
  npm install --no-audit --no-fund "$main_tgz" "$plat_tgz" express@5
  cp ../quickstart.js . && node quickstart.js | tee "$work/node.out"
fi
grep -q 'PaidStatus.PENDING' "$work/py.out"
grep -q 'Pending 1000.5' "$work/node.out"
echo "smoke test on $target: python and node quick starts ok"
