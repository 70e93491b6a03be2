#!/usr/bin/env bash
# Builds the JNI library with cargo and copies it to OUT/<os>-<arch>/, where the jar carries it
# (Native.java reads natives/<os>-<arch>/ on the class path). Maven runs this in
# generate-resources. Usage: build-native.sh PROFILE OUT (PROFILE: release or dev).
set -euo pipefail
profile=${1:-release}
out=${2:?usage: build-native.sh PROFILE OUT}
cd "$(dirname "$0")/.."
export CARGO_BUILD_TARGET=${CARGO_BUILD_TARGET:-x86_64-unknown-linux-gnu}
cargo build --locked -q -p dga-epayment-java --profile "$profile"
dir=$([ "$profile" = dev ] && echo debug || echo "$profile")
lib="${CARGO_TARGET_DIR:-target}/$CARGO_BUILD_TARGET/$dir/libdga_epayment_java.so"
case "$CARGO_BUILD_TARGET" in
  x86_64-unknown-linux-gnu*) platform=linux-x86_64 ;;
  aarch64-unknown-linux-gnu*) platform=linux-aarch64 ;;
  *) echo "build-native.sh: no platform name for $CARGO_BUILD_TARGET" >&2; exit 1 ;;
esac
mkdir -p "$out/$platform"
cp "$lib" "$out/$platform/"
