#!/usr/bin/env bash
# Release workflow (Windows job): assembles Dga.EPayment.<v>.nupkg from the SDK-built assemblies
# and every platform's native library (downloaded artifacts native-<rid>/).
# Usage: pack-nuget.sh NATIVE_DIR DOTNET_BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
native=$1
build=$2
version=$(cargo metadata --locked --no-deps --format-version 1 |
  python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="dga-epayment"))')
n=target/nuget-stage
rm -rf "$n" && mkdir -p "$n/lib/net462" "$n/lib/netstandard2.0" "$n/build/net462" "$n/buildTransitive/net462" dist/dotnet
cp "$build"/net462/Dga.EPayment.dll "$build"/net462/Dga.EPayment.xml "$n/lib/net462/"
cp "$build"/netstandard2.0/Dga.EPayment.dll "$build"/netstandard2.0/Dga.EPayment.xml "$n/lib/netstandard2.0/"
mkdir -p "$n/runtimes/win-x64/native"
cp target/x86_64-pc-windows-msvc/release/dga_epayment.dll "$n/runtimes/win-x64/native/"
for d in "$native"/native-*; do
  rid=${d##*/native-}
  mkdir -p "$n/runtimes/$rid/native"
  cp "$d"/* "$n/runtimes/$rid/native/"
done
cp bindings-dotnet/pack/Dga.EPayment.targets "$n/build/net462/"
cp bindings-dotnet/pack/Dga.EPayment.targets "$n/buildTransitive/net462/"
cp bindings-dotnet/README.md "$n/"
nuget pack bindings-dotnet/pack/Dga.EPayment.nuspec -BasePath "$n" -OutputDirectory dist/dotnet \
  -Properties "version=$version" -NonInteractive
find "$n" -type f | sort
