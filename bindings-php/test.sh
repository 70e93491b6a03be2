#!/usr/bin/env bash
# The PHP binding's tests: installs PHP (php-cli, php-bcmath, php-cgi), PHPUnit and Composer with
# apt when missing, builds the C ABI library and the sandbox, checks that the package's header is
# the workspace's and that src/Generated/ is what scripts/gen-records.php writes from the core's
# schema, runs PHPUnit (every test must pass; none may be skipped), then installs the
# package the way an agency does -- a fresh Composer app, a path repository, no Packagist, no
# network -- with the library in the package's lib/, and runs the README's quick start there.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

export CARGO_BUILD_TARGET=x86_64-unknown-linux-gnu
TARGET_DIR="${CARGO_TARGET_DIR:-target}/$CARGO_BUILD_TARGET/debug"
OUT=target/php
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# --- PHP >= 8.1 with FFI (Debian 12: 8.2), PHPUnit 9, Composer 2
need=()
command -v php >/dev/null || need+=(php-cli)
php -r 'exit(extension_loaded("bcmath") ? 0 : 1);' 2>/dev/null || need+=(php-bcmath)
# php-cgi: a web SAPI, where ffi.enable=preload really restricts FFI (as in PHP-FPM).
command -v php-cgi >/dev/null || need+=(php-cgi)
command -v phpunit >/dev/null || need+=(phpunit)
command -v composer >/dev/null || need+=(composer)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
php -r 'exit(PHP_VERSION_ID >= 80100 && extension_loaded("ffi") ? 0 : 1);' || { echo "PHP >= 8.1 with FFI is needed"; exit 1; }

# --- native library and sandbox
echo "== cargo build -p dga-epayment-ffi -p dga-sandbox"
cargo build --locked -q -p dga-epayment-ffi -p dga-sandbox
LIB="$PWD/$TARGET_DIR/libdga_epayment.so"
SANDBOX="$PWD/$TARGET_DIR/dga-sandbox"
[ -f "$LIB" ] && [ -x "$SANDBOX" ] || { echo "missing $LIB or $SANDBOX"; exit 1; }

# --- the package's header is the committed one (FFI::cdef reads it at load time)
if ! cmp -s include/dga_epayment.h bindings-php/include/dga_epayment.h; then
  echo "bindings-php/include/dga_epayment.h differs from include/dga_epayment.h:"
  echo "  cp include/dga_epayment.h bindings-php/include/ (and check the PHP code still fits)"
  exit 1
fi

# --- the result classes' generated properties are the core's schema (scripts/gen-records.php)
DGA_EPAYMENT_LIB="$LIB" php bindings-php/scripts/gen-records.php --check

# --- PHPUnit (starts its own sandbox on a free port)
echo "== phpunit"
mkdir -p "$OUT"
status=0
(cd bindings-php && DGA_EPAYMENT_LIB="$LIB" DGA_SANDBOX="$SANDBOX" DGA_VECTORS="$PWD/../tests/vectors" \
  phpunit --log-junit "../$OUT/junit.xml") | tee "$OUT/phpunit-output.txt" || status=$?
summary=$(grep -E '^(OK \(|Tests: )' "$OUT/phpunit-output.txt" | tail -1 || true)
if grep -qE 'Skipped: [1-9]|Incomplete: [1-9]|Risky: [1-9]' "$OUT/phpunit-output.txt"; then
  echo "skipped, incomplete or risky tests are failures here"
  status=1
fi

# --- a fresh Composer app, offline: the package as its release zip has it (lib/ filled)
echo "== composer: a fresh app requiring dga/epayment from a path repository, offline"
rm -rf "$OUT/package" "$OUT/app"
mkdir -p "$OUT/package/lib" "$OUT/app"
cp -r bindings-php/composer.json bindings-php/README.md bindings-php/LICENSE bindings-php/preload.php \
  bindings-php/ffi-header.php bindings-php/src bindings-php/include "$OUT/package/"
cp "$LIB" "$OUT/package/lib/libdga_epayment.so"
cat >"$OUT/app/composer.json" <<JSON
{
    "name": "agency/app",
    "repositories": [
        {"type": "path", "url": "$PWD/$OUT/package", "options": {"symlink": false}},
        {"packagist.org": false}
    ],
    "require": {"dga/epayment": "*"}
}
JSON
qs_status=0
(cd "$OUT/app" && COMPOSER_HOME="$PWD/.composer" COMPOSER_DISABLE_NETWORK=1 COMPOSER_NO_INTERACTION=1 \
  composer install --no-progress --quiet) || qs_status=$?
awk '
  $0 == "## Quick start" { armed = 1; next }
  armed && /^```php/ { on = 1; next }
  on && /^```/ { exit }
  on { print }' bindings-php/README.md >"$OUT/app/quickstart.php"
if [ $qs_status -eq 0 ]; then
  fifo="$OUT/sandbox.out"
  rm -f "$fifo"
  mkfifo "$fifo"
  "$SANDBOX" --port 0 >"$fifo" 2>/dev/null &
  sandbox_pid=$!
  exec 3<"$fifo"
  trap 'kill $sandbox_pid 2>/dev/null || true; rm -f "$fifo"' EXIT
  read -r first <&3
  url=${first#listening on }
  # No DGA_EPAYMENT_LIB: the library must come from vendor/dga/epayment/lib/.
  (cd "$OUT/app" && env -u DGA_EPAYMENT_LIB DGA_GATEWAY_URL="$url" php quickstart.php) | tee "$OUT/quickstart-output.txt" || qs_status=$?
  kill $sandbox_pid 2>/dev/null || true
  exec 3<&-
fi
if [ $qs_status -ne 0 ] || ! grep -q '^Pending$' "$OUT/quickstart-output.txt" 2>/dev/null; then
  echo "quick start in a fresh Composer app FAILED (exit $qs_status)"
  qs_status=1
else
  echo "quick start in a fresh Composer app ok"
fi

echo
echo "bindings-php: ${summary:-no test summary}; fresh Composer app quick start $([ $qs_status -eq 0 ] && echo ok || echo FAILED); $(( $(date +%s) - started )) s"
[ $status -eq 0 ] && [ $qs_status -eq 0 ]
