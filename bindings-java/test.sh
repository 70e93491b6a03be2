#!/usr/bin/env bash
# The Java binding's tests: installs a JDK and Maven with apt when missing, builds the sandbox,
# runs `mvn package` (cargo builds the JNI library into the jar; JUnit 5 through Surefire against
# the sandbox, with a fixed 256 MB heap for the memory test; every test must pass, none skipped),
# runs the client, argument and vector tests again under -Xcheck:jni (any JNI warning fails), then installs
# the jar the way an agency does -- a fresh Maven project, a file repository, offline -- and runs
# the README's quick start there. Maven downloads from Maven Central on the first run only; the
# local repository stays in ~/.m2.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

export CARGO_BUILD_TARGET=x86_64-unknown-linux-gnu
TARGET_DIR="${CARGO_TARGET_DIR:-target}/$CARGO_BUILD_TARGET/debug"
OUT=target/java
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

need=()
command -v javac >/dev/null || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || need+=(maven)
command -v openssl >/dev/null || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

echo "== cargo build -p dga-sandbox"
cargo build --locked -q -p dga-sandbox
SANDBOX="$PWD/$TARGET_DIR/dga-sandbox"
mkdir -p "$OUT"

# Surefire's forked JVM: a fixed heap, touched up front, so RSS growth is native growth.
HEAP="-Xms256m -Xmx256m -XX:+AlwaysPreTouch"
MVN=(mvn -B -ntp -Ddga.native.profile=release)

echo "== mvn package (cargo build --release of the JNI library, then JUnit)"
status=0
(cd bindings-java && DGA_SANDBOX="$SANDBOX" DGA_VECTORS="$PWD/../tests/vectors" \
  "${MVN[@]}" -Ddga.argLine="$HEAP" package) >"$OUT/mvn-output.txt" 2>&1 || status=$?
grep -E 'Tests run:|FAIL|ERROR|memory:|vectors run' "$OUT/mvn-output.txt" | grep -v '^\[INFO\] *$' | tail -25 || true
summary=$(grep -E '^\[(INFO|ERROR|WARNING)\] Tests run: [0-9]+, Failures' "$OUT/mvn-output.txt" | tail -1 || true)
summary=${summary#\[*\] }
if ! grep -qE 'Tests run: [0-9]+, Failures: 0, Errors: 0, Skipped: 0$' <<<"$summary"; then
  echo "JUnit: failures, errors or skipped tests ($summary)"
  status=1
fi

echo "== -Xcheck:jni: client, argument, vector and flood tests again"
jni_status=0
rm -rf bindings-java/target/surefire-reports
(cd bindings-java && DGA_SANDBOX="$SANDBOX" DGA_VECTORS="$PWD/../tests/vectors" \
  "${MVN[@]}" -o -Ddga.skipNative=true -Ddga.argLine="-Xcheck:jni" -Dtest='ClientTest,ArgumentsTest,VectorsTest,LoaderTest,FloodsTest' \
  -Dsurefire.failIfNoSpecifiedTests=false surefire:test) >"$OUT/checkjni-output.txt" 2>&1 || jni_status=$?
cat bindings-java/target/surefire-reports/*-output.txt bindings-java/target/surefire-reports/*.dumpstream \
  >>"$OUT/checkjni-output.txt" 2>/dev/null || true
if grep -E 'WARNING in native method|FATAL ERROR in native method' "$OUT/checkjni-output.txt" | head -5; then
  echo "-Xcheck:jni reported JNI misuse"
  jni_status=1
fi
jni_summary=$(grep -E 'Tests run: [0-9]+, Failures' "$OUT/checkjni-output.txt" | tail -1 || true)
echo "-Xcheck:jni: ${jni_summary:-no summary}"

echo "== a fresh Maven project: the jar from a file repository, offline; the README's quick start"
# The plugin the fresh project uses to lay out its class path, fetched while online.
mvn -B -q -ntp org.apache.maven.plugins:maven-dependency-plugin:3.6.1:help -Ddetail=false >/dev/null
qs_status=0
version=$(sed -n 's|^  <version>\(.*\)</version>|\1|p' bindings-java/pom.xml | head -1)
bindings-java/scripts/quickstart-app.sh "bindings-java/target/dga-epayment-$version.jar" bindings-java/pom.xml \
  "$OUT/app" "$SANDBOX" | tee "$OUT/quickstart-output.txt" || qs_status=$?

echo
echo "bindings-java: ${summary:-no test summary}; -Xcheck:jni $([ $jni_status -eq 0 ] && echo ok || echo FAILED);" \
  "fresh Maven project quick start $([ $qs_status -eq 0 ] && echo ok || echo FAILED); $(( $(date +%s) - started )) s"
[ $status -eq 0 ] && [ $jni_status -eq 0 ] && [ $qs_status -eq 0 ]
