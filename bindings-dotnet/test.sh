#!/usr/bin/env bash
# The C#/.NET binding's tests: builds the C ABI library and the sandbox, compiles Dga.EPayment.dll,
# the test runner, the README's quick start and its ASP.NET handler with Mono's mcs (C# 7,
# warnings as errors), then runs the tests and the quick start against the sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

export CARGO_BUILD_TARGET=x86_64-unknown-linux-gnu
TARGET_DIR="${CARGO_TARGET_DIR:-target}/$CARGO_BUILD_TARGET/debug"
OUT=target/dotnet
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# --- Mono (no .NET SDK is reachable here; the same C# 7 source builds for .NET Framework 4.x)
need=()
command -v mcs >/dev/null || need+=(mono-mcs)
command -v mono >/dev/null || need+=(mono-runtime)
[ -e /usr/lib/mono/4.5/System.Runtime.Serialization.dll ] || need+=(libmono-system-runtime-serialization4.0-cil)
# System.Web only to compile the README's ASP.NET handler; the library does not use it.
[ -e /usr/lib/mono/4.5/System.Web.dll ] || need+=(libmono-system-web4.0-cil)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# --- native library and sandbox
echo "== cargo build -p dga-epayment-ffi -p dga-sandbox"
cargo build --locked -q -p dga-epayment-ffi -p dga-sandbox
LIB="$TARGET_DIR/libdga_epayment.so"
SANDBOX="$TARGET_DIR/dga-sandbox"
[ -f "$LIB" ] || { echo "missing $LIB"; exit 1; }

# --- compile
echo "== mcs (C# 7, -warnaserror)"
mkdir -p "$OUT"
MCS=(mcs -langversion:7 -warnaserror -nologo -r:System.Runtime.Serialization.dll -r:System.Xml.dll -r:System.Core.dll)
"${MCS[@]}" -target:library -doc:"$OUT/Dga.EPayment.xml" -out:"$OUT/Dga.EPayment.dll" bindings-dotnet/src/Dga.EPayment/*.cs

# The README's code blocks marked quickstart / aspnet are compiled exactly as written.
extract() { # $1 = marker name
  awk -v m="<!-- $1 -->" '
    $0 == m { armed = 1; next }
    armed && /^```csharp/ { on = 1; next }
    on && /^```/ { exit }
    on { print }' bindings-dotnet/README.md
}
extract quickstart >"$OUT/QuickStart.cs"
extract aspnet >"$OUT/CallbackHandler.cs"
[ -s "$OUT/QuickStart.cs" ] && [ -s "$OUT/CallbackHandler.cs" ] || { echo "README code blocks not found"; exit 1; }
"${MCS[@]}" -r:"$OUT/Dga.EPayment.dll" -out:"$OUT/QuickStart.exe" "$OUT/QuickStart.cs"
"${MCS[@]}" -target:library -r:System.Web.dll -r:"$OUT/Dga.EPayment.dll" -out:"$OUT/CallbackHandler.dll" "$OUT/CallbackHandler.cs"
# The tests run the README's ASP.NET handler too.
"${MCS[@]}" -debug -r:System.Web.dll -r:"$OUT/Dga.EPayment.dll" -r:"$OUT/CallbackHandler.dll" -out:"$OUT/Dga.EPayment.Tests.exe" bindings-dotnet/tests/*.cs

export LD_LIBRARY_PATH="$PWD/$TARGET_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# --- tests (the runner starts its own sandbox on a free port)
echo "== mono Dga.EPayment.Tests.exe"
status=0
mono --debug "$OUT/Dga.EPayment.Tests.exe" "$SANDBOX" tests/vectors | tee "$OUT/test-output.txt" || status=$?
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$OUT/test-output.txt" | tail -1 || true)

# --- the README quick start, as written, against a sandbox on a free port
echo "== README quick start"
fifo="$OUT/sandbox.out"
rm -f "$fifo"
mkfifo "$fifo"
"$SANDBOX" --port 0 >"$fifo" &
sandbox_pid=$!
exec 3<"$fifo"
trap 'kill $sandbox_pid 2>/dev/null || true; rm -f "$fifo"' EXIT
read -r first <&3
url=${first#listening on }
qs_status=0
DGA_GATEWAY_URL="$url" mono "$OUT/QuickStart.exe" | tee "$OUT/quickstart-output.txt" || qs_status=$?
kill $sandbox_pid 2>/dev/null || true
exec 3<&-
if [ $qs_status -ne 0 ] || ! grep -q '^Pending$' "$OUT/quickstart-output.txt"; then
  echo "quick start FAILED (exit $qs_status)"
  qs_status=1
else
  echo "quick start ok"
fi

echo
echo "bindings-dotnet: ${summary:-no test summary}; quick start $([ $qs_status -eq 0 ] && echo ok || echo FAILED); $(( $(date +%s) - started )) s"
[ $status -eq 0 ] && [ $qs_status -eq 0 ]
