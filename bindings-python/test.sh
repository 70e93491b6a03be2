#!/usr/bin/env bash
# The Python binding's tests: venv, build (maturin), pytest against the sandbox binary
# (API, errors, vectors, GIL, threads, fork, asyncio, logging, Django, README, stubtest,
# mypy --strict), then the release wheel in a fresh venv. Prints a summary; non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_BUILD_TARGET="${CARGO_BUILD_TARGET:-x86_64-unknown-linux-gnu}"
started=$(date +%s)
step() { printf '\n==> python: %s\n' "$*"; }
PY_DIR=bindings-python
VENV="$PY_DIR/.venv"
TARGET_DIR="target/$CARGO_BUILD_TARGET"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

step "venv ($VENV)"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import maturin, pytest, mypy, django" 2>/dev/null; then
  "$VENV/bin/pip" install -q --disable-pip-version-check maturin pytest mypy django
fi
"$VENV/bin/python" --version

step "build the sandbox binary and the extension (debug, maturin develop)"
cargo build --locked -q -p dga-sandbox
export DGA_SANDBOX_BIN="$PWD/$TARGET_DIR/debug/dga-sandbox"
(cd "$PY_DIR" && VIRTUAL_ENV="$PWD/.venv" PATH="$PWD/.venv/bin:$PATH" maturin develop --locked -q)

step "stubs follow the core's tables (scripts/gen-tables.py --check)"
set +e
python3 scripts/gen-tables.py --check
stubs_rc=$?
set -e

step "pytest"
export DGA_PY_FIGURES="$WORK/figures.jsonl"
: > "$DGA_PY_FIGURES"
set +e
(cd "$PY_DIR" && .venv/bin/python -m pytest tests -q -p no:cacheprovider --junitxml="$WORK/junit.xml")
pytest_rc=$?
set -e

step "release wheel (maturin build --release --strip) into a fresh venv"
rm -rf "$WORK/wheels"
(cd "$PY_DIR" && VIRTUAL_ENV="$PWD/.venv" PATH="$PWD/.venv/bin:$PATH" \
  maturin build --release --strip --locked -q -o "$WORK/wheels")
wheel=$(ls "$WORK"/wheels/*.whl)
python3 -m venv "$WORK/fresh"
"$WORK/fresh/bin/pip" install -q --disable-pip-version-check --no-index "$wheel"
wheel_kb=$(( $(stat -c %s "$wheel") / 1024 ))
import_ms=$(cd "$WORK" && "$WORK/fresh/bin/python" -c "
import time; t = time.perf_counter(); import dga_epayment; print(round((time.perf_counter() - t) * 1000, 1))")
importtime_us=$(cd "$WORK" && "$WORK/fresh/bin/python" -X importtime -c "import dga_epayment" 2>&1 \
  | awk -F'|' '$3 ~ /^ dga_epayment$/ {gsub(/ /, "", $2); print $2}')
# The installed wheel does real work: the typed example against a sandbox of its own.
"$DGA_SANDBOX_BIN" --port 0 > "$WORK/sandbox.out" 2>/dev/null &
sandbox_pid=$!
for _ in $(seq 1 100); do [ -s "$WORK/sandbox.out" ] && break; sleep 0.05; done
sandbox_url=$(head -1 "$WORK/sandbox.out" | awk '{print $3}')
run_example() { # python-of-a-venv
  (cd "$WORK" && DGA_CONSUMER_KEY=sandbox-key DGA_CONSUMER_SECRET=sandbox-secret \
    DGA_AGENT_ID=1234567890121 DGA_GATEWAY_URL="$sandbox_url" DGA_SOURCE=SANDBOX \
    "$1" "$OLDPWD/$PY_DIR/examples/shop.py" >> "$WORK/example.out" 2>&1)
}
set +e
run_example "$WORK/fresh/bin/python"
wheel_rc=$?
set -e
# The one abi3 wheel on the oldest and newest CPython at hand (pyenv's, when present).
other_pythons=""
for v in 3.9 3.13; do
  py=$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/python 2>/dev/null | head -1 || true)
  [ -n "$py" ] || py=$(command -v "python$v" || true)
  [ -n "$py" ] || continue
  "$py" -m venv "$WORK/py$v"
  "$WORK/py$v/bin/pip" install -q --disable-pip-version-check --no-index "$wheel"
  set +e
  run_example "$WORK/py$v/bin/python"
  rc=$?
  set -e
  other_pythons="$other_pythons $("$WORK/py$v/bin/python" -c 'import platform; print(platform.python_version())'):$([ $rc -eq 0 ] && echo ok || echo FAILED)"
  [ $rc -eq 0 ] || wheel_rc=$rc
done
kill "$sandbox_pid" 2>/dev/null || true
wait "$sandbox_pid" 2>/dev/null || true
[ $wheel_rc -eq 0 ] || cat "$WORK/example.out"

counts=$("$VENV/bin/python" - "$WORK/junit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
s = root if root.tag == "testsuite" else root.find("testsuite")
tests, fail, err, skip = (int(s.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
print(f"{tests - fail - err - skip} passed, {fail + err} failed, {skip} skipped")
PY
)

step "summary"
echo "pytest: $counts"
echo "stubs: $([ $stubs_rc -eq 0 ] && echo "match the core's tables" || echo "STALE (python3 scripts/gen-tables.py)")"
sed 's/^/figure: /' "$DGA_PY_FIGURES"
echo "wheel: $(basename "$wheel"), ${wheel_kb} KiB; installs and imports in a fresh venv; example against the sandbox: $([ $wheel_rc -eq 0 ] && echo ok || echo FAILED)"
echo "same wheel, example against the sandbox on other CPythons:${other_pythons:- none found}"
echo "import dga_epayment (fresh venv): ${import_ms} ms wall, ${importtime_us} us cumulative (-X importtime)"
echo "python binding: $(( $(date +%s) - started )) s"
if [ $pytest_rc -ne 0 ] || [ $wheel_rc -ne 0 ] || [ $stubs_rc -ne 0 ]; then
  echo "python binding: FAILED"
  exit 1
fi
