#!/usr/bin/env bash
# Installs each release artifact from dist/ (built by scripts/package.sh) into a fresh place, the
# way a user would, and runs the binding READMEs' quick starts against the sandbox:
#   python   the wheel into a new venv; the sdist builds with cargo; the wheel in a Debian 11 root
#            (glibc 2.31, CPython 3.9; made once with debootstrap, cached in target/bullseye-root)
#   node     `npm install --prefer-offline` of the main and the platform tarball into a new project;
#            the loader's error when the platform package is missing
#   c        the tarball extracted into a prefix used through pkg-config only
#   dotnet   a local NuGet folder feed, `nuget install`, a packages.config .csproj built by
#            Mono's xbuild (the package's targets copy the native library beside the .exe)
#   php      a Composer app using the unpacked zip as a path repository, when dist/php exists
#   java     the jar and pom deployed to a file repository, a fresh Maven project building offline
#            from it (Java 8 bytecode checked), the README quick start
# Installs what it needs (apt; venvs under target/package). Prints what it checks.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
started=$(date +%s)
step() { printf '\n--> test-packages: %s\n' "$*"; }
export CARGO_BUILD_TARGET=x86_64-unknown-linux-gnu
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
status=0
results=()
record() { # name ok|FAILED
  results+=("$1: $2")
  [ "$2" = ok ] || status=1
}

[ -d dist/python ] && [ -d dist/node ] && [ -d dist/c ] && [ -d dist/dotnet ] ||
  { echo "test-packages: dist/ is incomplete; run scripts/package.sh first" >&2; exit 1; }
VERSION=$(cargo metadata --locked --no-deps --format-version 1 |
  python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="dga-epayment"))')

step "system packages (Mono xbuild and nuget; debootstrap; pkg-config; cc)"
need=()
command -v nuget >/dev/null || need+=(nuget)
command -v xbuild >/dev/null || need+=(mono-xbuild)
command -v mono >/dev/null || need+=(mono-runtime)
[ -e /usr/lib/mono/4.5/System.Runtime.Serialization.dll ] || need+=(libmono-system-runtime-serialization4.0-cil)
command -v debootstrap >/dev/null || need+=(debootstrap)
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || need+=(debian-archive-keyring) # on Ubuntu
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v cc >/dev/null || need+=(gcc)
if [ -d dist/php ]; then
  command -v php >/dev/null || need+=(php-cli)
  command -v composer >/dev/null || need+=(composer)
fi
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
if [ ${#need[@]} -gt 0 ]; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

WORK=$(mktemp -d)
sandbox_pid=""
mounted=""
cleanup() {
  [ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null
  [ -n "$mounted" ] && $sudo umount "$mounted" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

step "sandbox (cargo build -p dga-sandbox), on a free loopback port"
cargo build --locked -q -p dga-sandbox
"target/$CARGO_BUILD_TARGET/debug/dga-sandbox" --port 0 > "$WORK/sandbox.out" 2>"$WORK/sandbox.err" &
sandbox_pid=$!
for _ in $(seq 200); do grep -q '^listening on ' "$WORK/sandbox.out" 2>/dev/null && break; sleep 0.05; done
URL=$(sed -n 's/^listening on //p' "$WORK/sandbox.out" | head -1)
[ -n "$URL" ] || { cat "$WORK/sandbox.err" >&2; echo "test-packages: the sandbox did not start" >&2; exit 1; }
echo "sandbox at $URL"
export DGA_CONSUMER_KEY=sandbox-key DGA_CONSUMER_SECRET=sandbox-secret DGA_AGENT_ID=1234567890121 \
  DGA_GATEWAY_URL=$URL DGA_SOURCE=SANDBOX

# The quick starts use fixed references (the Python one "INV-0001"): a fresh sandbox state each.
reset_sandbox() { python3 -c "import urllib.request as u, sys; u.urlopen(u.Request(sys.argv[1] + '/__sandbox/reset', data=b'{}', headers={'Content-Type': 'application/json'}, method='POST'))" "$URL" >/dev/null; }

# The first ```LANG block after "## Quick start" in a README, as written.
quickstart() { # README LANG
  awk -v lang="$2" '
    /^## Quick start/ { armed = 1; next }
    armed && $0 == "```" lang { on = 1; next }
    on && /^```/ { exit }
    on { print }' "$1"
}

# ---------------------------------------------------------------- python
wheel=$(ls dist/python/*.whl)
sdist=$(ls dist/python/*.tar.gz)
quickstart bindings-python/README.md python > "$WORK/quickstart.py"
[ -s "$WORK/quickstart.py" ] || { echo "no Python quick start in bindings-python/README.md" >&2; exit 1; }
# The quick start (asyncio first) creates a payment and reads its status three times at once.
check_py_out() { grep -qF "['PENDING', 'PENDING', 'PENDING']" "$1"; }

step "python: pip install $(basename "$wheel") into a fresh venv, the README quick start"
python3 -m venv "$WORK/py"
"$WORK/py/bin/pip" install -q --disable-pip-version-check --no-index "$wheel"
reset_sandbox
(cd "$WORK" && "$WORK/py/bin/python" quickstart.py) > "$WORK/py.out" 2>&1 && check_py_out "$WORK/py.out" \
  && record "python wheel (venv, $(python3 --version))" ok || { cat "$WORK/py.out"; record "python wheel (venv)" FAILED; }
cat "$WORK/py.out"

step "python: the sdist builds with cargo (maturin, debug profile) and the result imports"
# The debug profile shares the deps the workspace's debug build already compiled.
TOOLS=$root/target/package/venv
[ -x "$TOOLS/bin/maturin" ] || { python3 -m venv "$TOOLS"; "$TOOLS/bin/pip" install -q maturin==1.16.0; }
mkdir -p "$WORK/sdist"
tar -C "$WORK/sdist" -xzf "$sdist"
sdir=$(ls -d "$WORK"/sdist/*/)
# Not --locked: the sdist's own Cargo.lock (written by maturin for its trimmed workspace) may
# need entries dropped; offline, so it resolves to the crates the workspace's lock fetched.
if (cd "$sdir" && CARGO_NET_OFFLINE=true CARGO_TARGET_DIR=$root/target "$TOOLS/bin/maturin" build -q \
      --target "$CARGO_BUILD_TARGET" -o "$WORK/sdist-wheel" >/dev/null 2>"$WORK/sdist.err"); then
  python3 -m venv "$WORK/py-sdist"
  "$WORK/py-sdist/bin/pip" install -q --disable-pip-version-check --no-index "$WORK"/sdist-wheel/*.whl
  reset_sandbox
  (cd "$WORK" && "$WORK/py-sdist/bin/python" quickstart.py) > "$WORK/py-sdist.out" 2>&1 && check_py_out "$WORK/py-sdist.out" \
    && record "python sdist (builds with cargo, quick start runs)" ok || { cat "$WORK/py-sdist.out"; record "python sdist" FAILED; }
else
  tail -30 "$WORK/sdist.err"; record "python sdist (build)" FAILED
fi

step "python: the wheel in a Debian 11 root (glibc 2.31, CPython 3.9), chrooted, loopback shared"
BROOT=$root/target/bullseye-root
if [ ! -x "$BROOT/usr/bin/python3" ] || [ ! -f "$BROOT/.complete" ]; then
  rm -rf "$BROOT.tmp"
  t0=$(date +%s)
  $sudo debootstrap --variant=minbase --include=python3,python3-venv bullseye "$BROOT.tmp" \
    http://deb.debian.org/debian > "$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log"; exit 1; }
  $sudo touch "$BROOT.tmp/.complete"
  rm -rf "$BROOT"
  mv "$BROOT.tmp" "$BROOT"
  echo "debootstrap bullseye: $(( $(date +%s) - t0 )) s, $(du -sh "$BROOT" | cut -f1) (cached in target/bullseye-root)"
fi
rm -rf "$BROOT/tmp/pkgtest"
mkdir -p "$BROOT/tmp/pkgtest"
cp "$wheel" "$WORK/quickstart.py" "$BROOT/tmp/pkgtest/"
if $sudo mount -t proc proc "$BROOT/proc" 2>/dev/null; then mounted=$BROOT/proc; fi
echo "in the root: $($sudo chroot "$BROOT" /usr/bin/ldd --version | head -1), $($sudo chroot "$BROOT" /usr/bin/python3 --version)"
reset_sandbox
if $sudo chroot "$BROOT" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/tmp \
     DGA_CONSUMER_KEY="$DGA_CONSUMER_KEY" DGA_CONSUMER_SECRET="$DGA_CONSUMER_SECRET" \
     DGA_AGENT_ID="$DGA_AGENT_ID" DGA_GATEWAY_URL="$URL" DGA_SOURCE="$DGA_SOURCE" /bin/sh -c '
       set -e
       cd /tmp/pkgtest
       rm -rf venv && python3 -m venv venv
       venv/bin/pip install -q --disable-pip-version-check --no-index ./*.whl
       venv/bin/python quickstart.py' > "$WORK/bullseye.out" 2>&1 && check_py_out "$WORK/bullseye.out"; then
  record "python wheel in Debian 11 (glibc 2.31, CPython 3.9)" ok
else
  record "python wheel in Debian 11" FAILED
fi
cat "$WORK/bullseye.out"
if [ -n "$mounted" ]; then $sudo umount "$mounted"; mounted=""; fi

# ---------------------------------------------------------------- node
main_tgz=$root/dist/node/dga-epayment-$VERSION.tgz
plat_tgz=$root/dist/node/dga-epayment-linux-x64-gnu-$VERSION.tgz
step "node: npm install --prefer-offline $(basename "$main_tgz") $(basename "$plat_tgz"); the README quick start"
app=$WORK/node-app
mkdir -p "$app"
echo '{"name":"app","version":"1.0.0","private":true}' > "$app/package.json"
# The tarballs' one dependency (bytes) and the quick start's Express come from npm's cache when
# it holds them, else from the registry: bindings-node's npm ci caches packages, not the registry
# metadata npm install reads, so --offline fails on a fresh machine.
(cd "$app" && npm install --no-audit --no-fund --loglevel=error --prefer-offline "$main_tgz" "$plat_tgz" >/dev/null &&
  { npm install --no-audit --no-fund --loglevel=error --prefer-offline express@5 >/dev/null; })
ls "$app/node_modules" | grep -E '^dga-epayment' | sed 's/^/installed: /'
quickstart bindings-node/README.md js |
  sed -e "s#'http://127.0.0.1:8580'#'$URL'#" -e 's#app.listen(3000)#app.listen(0, "127.0.0.1")#' > "$app/quickstart.js"
reset_sandbox
# exec: the PID killed below is node's own (killing the subshell left the Express server running)
(cd "$app" && exec node quickstart.js > "$WORK/node.out" 2>&1) &
node_pid=$!
for _ in $(seq 200); do [ -s "$WORK/node.out" ] && break; sleep 0.05; done
sleep 0.2
kill "$node_pid" 2>/dev/null || true
wait "$node_pid" 2>/dev/null || true
cat "$WORK/node.out"
grep -qx 'Pending 1000.5' "$WORK/node.out" && record "node main + platform package (npm install)" ok || record "node packages" FAILED

step "node: the main package alone (platform package missing): the loader's error"
app2=$WORK/node-app-missing
mkdir -p "$app2"
echo '{"name":"app","version":"1.0.0","private":true}' > "$app2/package.json"
(cd "$app2" && npm install --no-audit --no-fund --loglevel=error --prefer-offline --omit=optional "$main_tgz" >/dev/null)
set +e
(cd "$app2" && node -e "require('dga-epayment')") > "$WORK/node-missing.out" 2>&1
rc=$?
set -e
grep -m1 '^Error' "$WORK/node-missing.out" || head -3 "$WORK/node-missing.out"
if [ $rc -ne 0 ] && grep -q 'linux-x64-gnu' "$WORK/node-missing.out" &&
   grep -q 'npm install dga-epayment-linux-x64-gnu' "$WORK/node-missing.out"; then
  record "node loader error names the platform and the install command" ok
else
  record "node loader error" FAILED
fi

# ---------------------------------------------------------------- c
ctar=$(ls dist/c/*.tar.gz)
step "c: $(basename "$ctar") into a prefix, compiled through pkg-config only"
prefix=$WORK/prefix
mkdir -p "$prefix"
tar -C "$prefix" --strip-components=1 -xzf "$ctar"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
echo "pkg-config: dga-epayment $(pkg-config --modversion dga-epayment): $(pkg-config --cflags --libs dga-epayment)"
awk '/^```c$/ { on = 1; n++; next } /^```$/ { on = 0 } on && n == 1' bindings-c/README.md > "$WORK/quickstart.c"
grep -q 'quickstart.c' "$WORK/quickstart.c" || { echo "the C README's first block is not quickstart.c" >&2; exit 1; }
# shellcheck disable=SC2046 # word splitting of pkg-config's flags is the point
cc -std=c99 -Wall -Wextra -Werror "$WORK/quickstart.c" -o "$WORK/quickstart" $(pkg-config --cflags --libs dga-epayment)
echo "quickstart NEEDED: $(readelf -d "$WORK/quickstart" | sed -n 's/.*Shared library: \[\(libdga[^]]*\)\].*/\1/p')"
reset_sandbox
LD_LIBRARY_PATH=$(pkg-config --variable=libdir dga-epayment) "$WORK/quickstart" > "$WORK/c.out" 2>&1 || true
cat "$WORK/c.out"
grep -q '"paidStatus":"Pending"' "$WORK/c.out" && record "c tarball via pkg-config (shared)" ok || record "c tarball (shared)" FAILED
# shellcheck disable=SC2046
cc -std=c99 "$WORK/quickstart.c" -o "$WORK/quickstart-static" $(pkg-config --cflags dga-epayment) \
  "$(pkg-config --variable=libdir dga-epayment)/libdga_epayment.a" $(pkg-config --libs-only-l --static dga-epayment | sed 's/-ldga_epayment//')
reset_sandbox
"$WORK/quickstart-static" > "$WORK/c-static.out" 2>&1 || true
grep -q '"paidStatus":"Pending"' "$WORK/c-static.out" && record "c tarball, static library" ok || { cat "$WORK/c-static.out"; record "c static" FAILED; }

# ---------------------------------------------------------------- dotnet
nupkg=$(ls dist/dotnet/*.nupkg)
step "dotnet: $(basename "$nupkg") from a local folder feed into a packages.config app (xbuild, mono)"
feed=$WORK/feed
capp=$WORK/dotnet-app
mkdir -p "$feed" "$capp"
cp "$nupkg" "$feed/"
cp bindings-dotnet/pack/app/PackagesConfigApp.csproj "$capp/"
printf '<?xml version="1.0" encoding="utf-8"?>\n<packages>\n  <package id="Dga.EPayment" version="%s" targetFramework="net462" />\n</packages>\n' "$VERSION" > "$capp/packages.config"
awk '$0 == "<!-- quickstart -->" { armed = 1; next }
     armed && /^```csharp/ { on = 1; next } on && /^```/ { exit } on { print }' bindings-dotnet/README.md > "$capp/QuickStart.cs"
(cd "$capp" && nuget install packages.config -Source "$feed" -OutputDirectory packages -NonInteractive > "$WORK/nuget.out" 2>&1) ||
  { cat "$WORK/nuget.out"; record "nuget install" FAILED; }
# Mono ships the 4.x assemblies but not the reference-assembly folders xbuild looks for: a
# framework root of our own points .NET Framework 4.6.2 at Mono's 4.5 profile.
fw=$WORK/frameworks/.NETFramework/v4.6.2/RedistList
mkdir -p "$fw"
printf '<?xml version="1.0" encoding="utf-8"?>\n<FileList Name=".NET Framework 4.6.2" TargetFrameworkDirectory="/usr/lib/mono/4.5"></FileList>\n' > "$fw/FrameworkList.xml"
if (cd "$capp" && xbuild /nologo /v:minimal PackagesConfigApp.csproj /p:DgaEPaymentVersion="$VERSION" \
      /p:AssemblyName=QuickStart /p:AppSources=QuickStart.cs /p:TargetFrameworkVersion=v4.6.2 \
      /p:TargetFrameworkRootPath="$WORK/frameworks/" > "$WORK/xbuild.out" 2>&1); then
  echo "bin/: $(ls "$capp/bin" | tr '\n' ' ')"
  if [ -f "$capp/bin/libdga_epayment.so" ]; then
    # No LD_LIBRARY_PATH: the library must be the one the targets put beside the .exe.
    reset_sandbox
    (cd "$capp" && env -u LD_LIBRARY_PATH mono bin/QuickStart.exe > "$WORK/dotnet.out" 2>&1) || true
    cat "$WORK/dotnet.out"
    grep -qx 'Pending' "$WORK/dotnet.out" && record "nuget package (packages.config, xbuild, targets copy the .so)" ok || record "nuget quick start" FAILED
  else
    record "nuget targets copied no libdga_epayment.so beside the exe" FAILED
  fi
else
  grep -E 'error|warning' "$WORK/xbuild.out" | head -20; record "nuget app (xbuild)" FAILED
fi

# ---------------------------------------------------------------- php
step "php: the Composer package"
if [ -d dist/php ] && ls dist/php/*.zip >/dev/null 2>&1; then
  papp=$WORK/php-app
  # As bindings-php/README.md says: the zip unpacked into the app, a path repository, offline.
  mkdir -p "$papp/packages/dga-epayment"
  python3 -m zipfile -e "$(ls dist/php/*.zip | head -1)" "$papp/packages/dga-epayment"
  chmod +x "$papp/packages/dga-epayment/lib/libdga_epayment.so"
  cat > "$papp/composer.json" <<EOF
{"name": "test/app", "type": "project",
 "repositories": [{"type": "path", "url": "packages/dga-epayment", "options": {"symlink": false}},
                  {"packagist.org": false}],
 "require": {"dga/epayment": "$VERSION"}}
EOF
  if (cd "$papp" && COMPOSER_NO_INTERACTION=1 composer install -q --no-progress > "$WORK/composer.out" 2>&1); then
    quickstart bindings-php/README.md php | sed "s#'http://127.0.0.1:8580'#'$URL'#" > "$papp/quickstart.php"
    grep -q 'vendor/autoload.php' "$papp/quickstart.php" || sed -i "1a require __DIR__ . '/vendor/autoload.php';" "$papp/quickstart.php"
    reset_sandbox
    (cd "$papp" && env -u DGA_EPAYMENT_LIB php quickstart.php > "$WORK/php.out" 2>&1) || true
    cat "$WORK/php.out"
    grep -q 'Pending' "$WORK/php.out" && record "composer package (zip, path repository, offline)" ok || record "composer quick start" FAILED
  else
    cat "$WORK/composer.out"; record "composer install" FAILED
  fi
else
  echo "php: skipped, dist/php does not exist (bindings-php/ not there yet)"
fi

# ---------------------------------------------------------------- java
step "java: dist/java/dga-epayment-$VERSION.jar from a file repository into a fresh Maven project, offline"
jar=dist/java/dga-epayment-$VERSION.jar
if [ -f "$jar" ]; then
  # Class files for Java 8 (major version 52), whatever JDK built them.
  python3 - "$jar" <<'PY' && record "java jar: Java 8 bytecode" ok || record "java jar: Java 8 bytecode" FAILED
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
majors = {int.from_bytes(z.read(n)[6:8], "big") for n in z.namelist() if n.endswith(".class")}
print(f"class file major versions: {sorted(majors)}")
sys.exit(0 if majors == {52} else 1)
PY
  # The dependency plugin the fresh project uses, fetched while online.
  mvn -B -q -ntp org.apache.maven.plugins:maven-dependency-plugin:3.6.1:help -Ddetail=false >/dev/null
  if bindings-java/scripts/quickstart-app.sh "$jar" "dist/java/dga-epayment-$VERSION.pom" "$WORK/java" \
      "target/$CARGO_BUILD_TARGET/debug/dga-sandbox" >"$WORK/java.out" 2>&1; then
    cat "$WORK/java.out"; record "java jar (file repository, offline Maven build, quick start)" ok
  else
    cat "$WORK/java.out"; record "java quick start" FAILED
  fi
else
  echo "java: $jar missing"; record "java jar" FAILED
fi

step "summary"
for r in "${results[@]}"; do echo "  $r"; done
passed=0; failed=0
for r in "${results[@]}"; do if [[ $r == *": ok" ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi; done
echo "test-packages: $passed passed, $failed failed"
echo "test-packages: $(( $(date +%s) - started )) s"
exit $status
