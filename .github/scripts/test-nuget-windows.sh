#!/usr/bin/env bash
# Release workflow (Windows job): the C# tests and the README quick start on .NET Framework 4.8,
# built as packages.config applications with MSBuild against the NuGet package from dist/dotnet,
# whose targets copy dga_epayment.dll beside each .exe (nothing else puts it there).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
version=$(cargo metadata --locked --no-deps --format-version 1 |
  python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="dga-epayment"))')
app=target/nuget-app
rm -rf "$app" && mkdir -p "$app"
cp bindings-dotnet/pack/app/PackagesConfigApp.csproj "$app/"
printf '<?xml version="1.0" encoding="utf-8"?>\n<packages>\n  <package id="Dga.EPayment" version="%s" targetFramework="net48" />\n</packages>\n' "$version" > "$app/packages.config"
extract() { awk -v m="<!-- $1 -->" '$0 == m {a=1; next} a && /^```csharp/ {on=1; next} on && /^```/ {exit} on {print}' bindings-dotnet/README.md; }
extract quickstart > "$app/QuickStart.cs"
extract aspnet > "$app/CallbackHandler.cs"
cp bindings-dotnet/tests/*.cs "$app/"
(cd "$app" && nuget install packages.config -Source "$root/dist/dotnet" -OutputDirectory packages -NonInteractive)
tests=$(cd "$app" && ls ./*.cs | grep -v QuickStart.cs | sed 's#^\./##' | paste -sd ';' -)
(cd "$app" && msbuild -nologo -v:minimal PackagesConfigApp.csproj -p:DgaEPaymentVersion="$version" \
  -p:AssemblyName=QuickStart -p:AppSources=QuickStart.cs -p:OutputPath='bin\quickstart\\')
(cd "$app" && msbuild -nologo -v:minimal PackagesConfigApp.csproj -p:DgaEPaymentVersion="$version" \
  -p:AssemblyName=Dga.EPayment.Tests -p:AppSources="$tests" -p:WithSystemWeb=true -p:OutputPath='bin\tests\\')
ls "$app/bin/quickstart" "$app/bin/tests"
test -f "$app/bin/quickstart/dga_epayment.dll"
test -f "$app/bin/tests/dga_epayment.dll"
cargo build --locked -p dga-sandbox
sandbox=$root/target/debug/dga-sandbox.exe
"$app/bin/tests/Dga.EPayment.Tests.exe" "$sandbox" tests/vectors
"$sandbox" --port 0 > "$app/sandbox.out" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 200); do grep -q '^listening on ' "$app/sandbox.out" && break; sleep 0.05; done
DGA_GATEWAY_URL=$(sed -n 's/^listening on //p' "$app/sandbox.out" | head -1 | tr -d '\r')
export DGA_GATEWAY_URL
"$app/bin/quickstart/QuickStart.exe" | tee "$app/quickstart.out"
grep -q '^Pending' "$app/quickstart.out"
