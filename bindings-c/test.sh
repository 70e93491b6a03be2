#!/usr/bin/env bash
# The C ABI's tests: header drift and exported symbols, the C99 and C++ test programs against
# the sandbox under valgrind (any error or leak fails), a static link, and the README's programs.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
export CARGO_BUILD_TARGET=x86_64-unknown-linux-gnu
step() { printf '\n--> c: %s\n' "$*"; }

step "system packages (cJSON for the tests' JSON comparisons; compilers; valgrind)"
need=()
[ -f /usr/include/cjson/cJSON.h ] || need+=(libcjson-dev)
command -v gcc >/dev/null || need+=(gcc)
command -v g++ >/dev/null || need+=(g++)
command -v valgrind >/dev/null || need+=(valgrind)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

step "build the library (build.rs fails if include/dga_epayment.h drifted) and the sandbox"
# On the system allocator (no "mimalloc" feature), whose blocks valgrind follows: its checks
# are of the library's own memory handling (docs/development.md#tests).
if ! cargo build --locked -p dga-epayment-ffi --no-default-features || ! cargo build --locked -p dga-sandbox; then
  echo "c: build failed. If the message above says the header drifted, run" >&2
  echo "   DGA_UPDATE_HEADER=1 cargo build -p dga-epayment-ffi   and commit include/dga_epayment.h" >&2
  exit 1
fi
D=target/$CARGO_BUILD_TARGET/debug
OUT=$D/c-tests
mkdir -p "$OUT"
VERSION=$(cargo metadata --locked --no-deps --format-version 1 |
  python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="dga-epayment"))')

step "every function in the header is exported, and nothing else"
declared=$(grep -oE '\bdga_[a-z_]+\(' include/dga_epayment.h | tr -d '(' | sort -u)
exported=$(nm -D --defined-only "$D/libdga_epayment.so" | awk '$2=="T" && $3 ~ /^dga_/ {print $3}' | sort -u)
if [ "$declared" != "$exported" ]; then
  diff <(echo "$declared") <(echo "$exported") || true
  echo "c: header and library disagree (< header only, > library only)" >&2
  exit 1
fi
echo "$(echo "$exported" | wc -l) functions"

step "compile: C99 and C++17, warnings as errors"
CFLAGS=(-std=c99 -Wall -Wextra -Werror -pedantic -g -Iinclude -Ibindings-c/tests "-DEXPECTED_VERSION=\"$VERSION\"")
CXXFLAGS=(-std=c++17 -Wall -Wextra -Werror -g -Iinclude -Ibindings-c/tests "-DEXPECTED_VERSION=\"$VERSION\"")
LINK=(-L"$D" -ldga_epayment -Wl,-rpath,"$PWD/$D" -lcjson -lpthread)
gcc "${CFLAGS[@]}" -c bindings-c/tests/harness.c -o "$OUT/harness.o"
gcc "${CFLAGS[@]}" bindings-c/tests/test_c.c "$OUT/harness.o" -o "$OUT/test_c" "${LINK[@]}"
g++ "${CXXFLAGS[@]}" bindings-c/tests/test_cpp.cpp "$OUT/harness.o" -o "$OUT/test_cpp" "${LINK[@]}"
gcc "${CFLAGS[@]}" bindings-c/tests/test_https.c "$OUT/harness.o" -o "$OUT/test_https" "${LINK[@]}"
gcc "${CFLAGS[@]}" bindings-c/tests/test_shared.c "$OUT/harness.o" -o "$OUT/test_shared" "${LINK[@]}"
gcc "${CFLAGS[@]}" bindings-c/tests/test_floods.c "$OUT/harness.o" -o "$OUT/test_floods" "${LINK[@]}"
gcc "${CFLAGS[@]}" bindings-c/tests/test_errors.c "$OUT/harness.o" -o "$OUT/test_errors" "${LINK[@]}"
gcc "${CFLAGS[@]}" bindings-c/tests/test_async.c "$OUT/harness.o" -o "$OUT/test_async" "${LINK[@]}"
gcc "${CFLAGS[@]}" bindings-c/examples/status_many.c -o "$OUT/status_many" "${LINK[@]}"
gcc "${CFLAGS[@]}" bindings-c/tests/test_c.c "$OUT/harness.o" -o "$OUT/test_c_static" \
  "$D/libdga_epayment.a" -lcjson -lpthread -ldl -lm

# --child-silent-after-fork: test_c's fork() child holds a copy of the parent's heap whose
# owners (the parent's other threads) do not exist there, which memcheck would call lost; the
# parent's own check covers that memory.
VG=(valgrind -q --suppressions=bindings-c/tests/valgrind.supp --leak-check=full
    --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99
    --child-silent-after-fork=yes)
SANDBOX=$D/dga-sandbox
status=0
# memcheck's own summary for the record (the gate is --error-exitcode above): the same run
# with its log in a file, of which the summary lines are printed.
under_valgrind() {
  local name=$1; shift
  local log="$OUT/valgrind-$name.log"
  "${VG[@]}" --log-file="$log" "$@" || { cat "$log" >&2; return 1; }
  # -q keeps the log to errors only; a clean run leaves it empty.
  if [ -s "$log" ]; then cat "$log" >&2; return 1; fi
  echo "valgrind $name: 0 errors, 0 leaks (definite, indirect, possible)"
}
step "C99 test under valgrind"
under_valgrind test_c "$OUT/test_c" "$SANDBOX" tests/vectors || status=1
step "async calls and the log under valgrind (its exiting child runs under valgrind too)"
under_valgrind test_async "$OUT/test_async" "$SANDBOX" bindings-c/tests/valgrind.supp || status=1
step "C++ test under valgrind"
under_valgrind test_cpp "$OUT/test_cpp" "$SANDBOX" tests/vectors || status=1
step "HTTPS test (a CA made with openssl; the sandbox serving TLS) under valgrind"
# valgrind-tls.supp: memcheck cannot follow ring's AES-GCM assembly (see the file).
under_valgrind test_https --num-callers=40 --suppressions=bindings-c/tests/valgrind-tls.supp \
  "$OUT/test_https" "$SANDBOX" || status=1
step "tests/vectors/errors.json (an untrusted certificate, the verification budget) under valgrind"
under_valgrind test_errors --num-callers=40 --suppressions=bindings-c/tests/valgrind-tls.supp \
  "$OUT/test_errors" "$SANDBOX" tests/vectors || status=1
step "callback floods (the burst through dga_receive_callback_known, 16 threads) under valgrind"
under_valgrind test_floods "$OUT/test_floods" "$SANDBOX" || status=1
step "shared clients (dga_client_shared) under valgrind"
# The shared clients live until the process exits, by design, with their I/O threads still
# holding pointers into them: memcheck calls those blocks "possibly lost". Memory errors and
# definite or indirect leaks still fail the run.
VG_SHARED=("${VG[@]/--errors-for-leak-kinds=definite,indirect,possible/--errors-for-leak-kinds=definite,indirect}"
           --show-leak-kinds=definite,indirect)
log="$OUT/valgrind-test_shared.log"
if "${VG_SHARED[@]}" --log-file="$log" "$OUT/test_shared" "$SANDBOX" && [ ! -s "$log" ]; then
  echo "valgrind test_shared: 0 errors, 0 leaks (definite, indirect)"
else
  cat "$log" >&2
  status=1
fi
step "C99 test linked against the static library"
"$OUT/test_c_static" "$SANDBOX" tests/vectors || status=1

step "README programs, compiled from the README's code blocks and run against the sandbox"
tmp=$(mktemp -d)
sandbox_pid=""
cleanup() { [ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
# Each ```c block starts with a comment naming its file: /* quickstart.c: ... */
awk -v dir="$tmp" '
  /^```c$/ { inblock = 1; file = ""; next }
  /^```$/  { inblock = 0; next }
  inblock && file == "" { match($0, /[a-z_]+\.c/); file = dir "/" substr($0, RSTART, RLENGTH) }
  inblock { print > file }
' bindings-c/README.md
# The README shows bindings-c/examples/callback_cgi.c verbatim (agencies copy the README).
if ! cmp -s "$tmp/callback_cgi.c" bindings-c/examples/callback_cgi.c; then
  diff "$tmp/callback_cgi.c" bindings-c/examples/callback_cgi.c >&2 || true
  echo "c: README's callback_cgi.c block differs from bindings-c/examples/callback_cgi.c" >&2
  status=1
else
  echo "README callback_cgi.c block = bindings-c/examples/callback_cgi.c"
fi
for prog in quickstart callback_cgi; do
  gcc "${CFLAGS[@]}" "$tmp/$prog.c" -o "$tmp/$prog" -L"$D" -ldga_epayment -Wl,-rpath,"$PWD/$D"
done
"$SANDBOX" --port 0 > "$tmp/sandbox.out" 2>/dev/null &
sandbox_pid=$!
for _ in $(seq 100); do grep -q '^listening on ' "$tmp/sandbox.out" 2>/dev/null && break; sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$tmp/sandbox.out" | head -1)
DGA_GATEWAY_URL=$url "${VG[@]}" "$tmp/quickstart" > "$tmp/quickstart.out" || status=1
cat "$tmp/quickstart.out"
if DGA_GATEWAY_URL=$url "${VG[@]}" "$OUT/status_many" > "$tmp/status_many.out" &&
   grep -q '^100 status calls: 0 paid, 100 pending, 0 failed$' "$tmp/status_many.out"; then
  cat "$tmp/status_many.out"
else
  cat "$tmp/status_many.out" >&2
  echo "c: examples/status_many.c failed" >&2
  status=1
fi
python3 - "$url" "$tmp" "${VG[@]}" <<'PY' || status=1
# Pays the quick start's payment on the sandbox, then delivers DGA's status as a callback body
# to the CGI program (under valgrind too): genuine and forged callbacks answered by the core's
# contract, garbage refused (400), and hostile CONTENT_LENGTH values each a defined answer.
import json, os, re, subprocess, sys, urllib.request
url, tmp, valgrind = sys.argv[1], sys.argv[2], sys.argv[3:]
out = open(os.path.join(tmp, "quickstart.out"), encoding="utf-8").read()
assert "securityKey" not in out, "the quick start must not print the payment's securityKey"
assert '"paidStatus":"Pending"' in out, out
ref1 = json.loads(re.search(r"^payment: (.*)$", out, re.M).group(1))["reference1"]
req = urllib.request.Request(url + "/__sandbox/simulate", method="POST",
    data=json.dumps({"reference1": ref1, "outcome": "pay", "deliverCallback": False}).encode(),
    headers={"Content-Type": "application/json"})
paid = json.load(urllib.request.urlopen(req))
env = dict(os.environ, DGA_CONSUMER_KEY="sandbox-key", DGA_CONSUMER_SECRET="sandbox-secret",
           DGA_AGENT_ID="1234567890121", DGA_GATEWAY_URL=url, REQUEST_METHOD="POST")
failures = 0
MISSING = object()
def deliver(body, want, length=None, what="", recorded=None):
    """Runs the CGI program under valgrind (exit 99 on any memory error or leak): the answer
    must be a CGI Status line, the core's content type and an ack whose result matches."""
    global failures
    run_env = dict(env)
    if length is MISSING:
        run_env.pop("CONTENT_LENGTH", None)
    else:
        run_env["CONTENT_LENGTH"] = str(len(body)) if length is None else length
    r = subprocess.run(valgrind + [os.path.join(tmp, "callback_cgi")], input=body, env=run_env,
                       capture_output=True)
    head, _, ack = r.stdout.decode().partition("\r\n\r\n")
    lines = head.split("\r\n")
    try:
        result = json.loads(ack)["result"]
    except (ValueError, KeyError, TypeError):
        result = None
    ok = (r.returncode == 0 and lines[0] == f"Status: {want}"
          and lines[1:] == ["Content-Type: application/json; charset=utf-8"] and result is (want == 200)
          and (recorded is None or recorded in r.stderr.decode()))
    shown = "missing" if length is MISSING else repr(run_env["CONTENT_LENGTH"])
    print(("ok  " if ok else "FAIL") + f" callback_cgi, {what or 'CONTENT_LENGTH ' + shown}: "
          f"{lines[0]!r} (want {want}), ack result {result}")
    if not ok:
        print(r.stderr.decode(errors="replace")[-2000:], file=sys.stderr)
    failures += not ok
genuine = json.dumps(paid, ensure_ascii=False).encode()
deliver(genuine, 200, what="genuine callback")
# DGA's status decides (the core's callback contract): a forged amount is accepted with DGA's
# amount handed to record_payment; another final status is refused; an unknown payment 404.
deliver(json.dumps(dict(paid, amount="1.00")).encode(), 200, what="forged amount", recorded='"amount":"1000.5"')
deliver(json.dumps(dict(paid, paidStatus=4)).encode(), 409, what="claims Void, DGA says Success")
deliver(json.dumps(dict(paid, ref1="NEVER-" + ref1)).encode(), 404, what="unknown payment")
deliver(b"{not json", 400, what="garbage body")
# Hostile or broken CONTENT_LENGTH values: each a defined answer, no memory error.
deliver(genuine, 400, "-1")
deliver(genuine, 413, "18446744073709551615")       # SIZE_MAX: +1 wraps to malloc(0) with strtoul
deliver(genuine, 413, "184467440737095516150000")   # beyond 64 bits
deliver(genuine, 413, "65537")                      # one byte over the 64 KiB cap
deliver(b"x" * 70000, 413, what="a 70000-byte body, announced")
deliver(genuine, 200, str(len(genuine) + 1000))     # more than arrives: what came is read
deliver(genuine[: len(genuine) // 2], 400, str(len(genuine)), what="body cut short")
deliver(genuine, 400, "abc")
deliver(genuine, 400, "12abc")
deliver(genuine, 400, " 12")
deliver(genuine, 400, "")
deliver(genuine, 400, "0")
deliver(genuine, 400, MISSING)
sys.exit(1 if failures else 0)
PY

elapsed=$(( $(date +%s) - started ))
if [ $status -ne 0 ]; then
  echo "c: FAILED (${elapsed} s)"
  exit 1
fi
echo "c: all passed in ${elapsed} s (.so $(du -h "$D/libdga_epayment.so" | cut -f1), .a $(du -h "$D/libdga_epayment.a" | cut -f1))"
