#!/usr/bin/env bash
# Release workflow: builds one platform's artifacts into dist/ (the Linux x86_64 gnu set comes
# from scripts/package.sh instead). Usage: build-target.sh RUST_TARGET NAPI_PLATFORM
#   dist/python/*.whl           the abi3 wheel (manylinux2014 / musllinux_1_2 on Linux, by zig)
#   dist/node/<platform>.tgz    the npm platform package (bindings-node/npm/<platform>)
#   dist/c/*.tar.gz or *.zip    header, shared and static library (+ pkg-config on Unix)
#   dist/native/                the shared library for the NuGet package's runtimes/<rid>/native
set -euo pipefail
cd "$(dirname "$0")/../.."
target=$1
platform=$2
root=$PWD
version=$(cargo metadata --locked --no-deps --format-version 1 |
  python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="dga-epayment"))')
mkdir -p dist/python dist/node dist/c dist/native
export CARGO_PROFILE_RELEASE_STRIP=symbols
export DGA_EPAYMENT_SONAME=1
python3 -m venv target/release-tools
if [ -x target/release-tools/bin/python ]; then bin=target/release-tools/bin; else bin=target/release-tools/Scripts; fi
"$bin/python" -m pip install -q maturin==1.16.0 cargo-zigbuild==0.24.0 ziglang==0.17.1
export PATH="$root/$bin:$PATH"

case $target in
  *-linux-gnu)  zig=(--zig --compatibility manylinux2014); cargo_build=(cargo zigbuild); ctarget=$target.2.17 ;;
  *-linux-musl) zig=(--zig --compatibility musllinux_1_2); cargo_build=(cargo zigbuild); ctarget=$target
                # A cdylib on musl needs the C runtime linked dynamically.
                export RUSTFLAGS="-C target-feature=-crt-static" ;;
  *)            zig=(); cargo_build=(cargo build); ctarget=$target ;;
esac

maturin build --release --locked "${zig[@]}" --target "$target" -m bindings-python/Cargo.toml -o dist/python
"${cargo_build[@]}" --release --locked -p dga-epayment-ffi -p dga-epayment-node --target "$ctarget"
R=target/$target/release

case $target in
  *-windows-*) lib=dga_epayment.dll; addon=dga_epayment_node.dll; static=dga_epayment.lib ;;
  *-apple-*)   lib=libdga_epayment.dylib; addon=libdga_epayment_node.dylib; static=libdga_epayment.a ;;
  *)           lib=libdga_epayment.so; addon=libdga_epayment_node.so; static=libdga_epayment.a ;;
esac

# glibc floor of every Linux gnu binary (the wheel's extension included)
if [[ $target == *-linux-gnu ]]; then
  for f in "$R/$lib" "$R/$addon"; do
    floor=$(objdump -T "$f" | grep -oE 'GLIBC_[0-9]+(\.[0-9]+)+' | sed 's/GLIBC_//' | sort -uV | tail -1)
    echo "$f needs GLIBC_$floor"
    [ "$(printf '%s\n2.17\n' "$floor" | sort -V | tail -1)" = 2.17 ] || { echo "above GLIBC_2.17" >&2; exit 1; }
  done
fi

# npm platform package, in napi-rs's layout
plat=target/release-stage/node/$platform
rm -rf "$plat" && mkdir -p "$plat"
cp "bindings-node/npm/$platform/package.json" "bindings-node/npm/$platform/README.md" "$plat/"
cp "$R/$addon" "$plat/dga-epayment.$platform.node"
(cd "$plat" && npm pack --pack-destination "$root/dist/node")

# C archive
cname=dga-epayment-$version-$target
c=target/release-stage/c/$cname
rm -rf "$c" && mkdir -p "$c/include" "$c/lib"
cp include/dga_epayment.h "$c/include/"
cp "$R/$lib" "$R/$static" "$c/lib/"
[[ $target == *-windows-* ]] && cp "$R/dga_epayment.dll.lib" "$c/lib/" 2>/dev/null || true
cp bindings-c/README.md "$c/"
if [[ $target != *-windows-* ]]; then
  mkdir -p "$c/lib/pkgconfig"
  sed "s/@VERSION@/$version/" bindings-c/dga-epayment.pc.in > "$c/lib/pkgconfig/dga-epayment.pc"
  [[ $target == *-linux-* ]] && ln -sf libdga_epayment.so "$c/lib/libdga_epayment.so.0"
  tar -C target/release-stage/c -czf "dist/c/$cname.tar.gz" "$cname"
else
  (cd target/release-stage/c && 7z a -bd "$root/dist/c/$cname.zip" "$cname" >/dev/null)
fi
cp "$R/$lib" dist/native/
ls -l dist/*/
