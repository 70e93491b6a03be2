#!/usr/bin/env bash
# Installs a dga-epayment jar the way an agency's Maven build gets it -- from a repository (here a
# file repository), offline -- into a fresh Maven project whose only code is the README's Java
# quick start, builds it offline and runs it against a sandbox. Prints the quick start's output;
# exits non-zero unless it printed PENDING.
# Usage: quickstart-app.sh JAR POM WORKDIR SANDBOX_BINARY
set -euo pipefail
jar=$(realpath "$1"); pom=$(realpath "$2"); work=$3; sandbox=$(realpath "$4")
here=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's|^  <version>\(.*\)</version>|\1|p' "$pom" | head -1)
rm -rf "$work"
mkdir -p "$work/repo" "$work/app/src/main/java"
work=$(realpath "$work")
# A file repository holding the artifact, as Maven Central would.
mvn -B -q deploy:deploy-file -Dfile="$jar" -DpomFile="$pom" -Durl="file://$work/repo" -DrepositoryId=local
# No earlier copy of this artifact in the local repository: the app must get it from $work/repo.
rm -rf "${HOME}/.m2/repository/io/github/dga-epayment"
cat >"$work/app/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>agency</groupId>
  <artifactId>app</artifactId>
  <version>1</version>
  <properties>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
    <maven.compiler.release>8</maven.compiler.release>
  </properties>
  <repositories>
    <repository><id>local</id><url>file://$work/repo</url></repository>
  </repositories>
  <build>
    <plugins>
      <!-- The version the binding's own build fetched (offline here), not Maven's old default. -->
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-compiler-plugin</artifactId>
        <version>3.13.0</version>
      </plugin>
    </plugins>
  </build>
  <dependencies>
    <dependency>
      <groupId>io.github.dga-epayment</groupId>
      <artifactId>dga-epayment</artifactId>
      <version>$version</version>
    </dependency>
  </dependencies>
</project>
POM
awk '
  $0 == "### Quick start" { armed = 1; next }
  armed && /^```java/ { on = 1; next }
  on && /^```/ { exit }
  on { print }' "$here/README.md" >"$work/app/src/main/java/QuickStart.java"
[ -s "$work/app/src/main/java/QuickStart.java" ] || { echo "no Java quick start in bindings-java/README.md"; exit 1; }
# Maven 3.8's offline mode refuses file repositories too, so "offline" is a settings file that
# mirrors every repository to the file repository: nothing is fetched over the network; the
# plugins come from the local repository, where the binding's own build put them (the mirror
# is called central, the id those were recorded under).
cat >"$work/settings.xml" <<XML
<settings>
  <mirrors>
    <mirror><id>central</id><mirrorOf>*</mirrorOf><url>file://$work/repo</url></mirror>
  </mirrors>
</settings>
XML
(cd "$work/app" && mvn -B -q -s "$work/settings.xml" compile \
  org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies)
fifo="$work/sandbox.out"
mkfifo "$fifo"
"$sandbox" --port 0 >"$fifo" 2>/dev/null &
sandbox_pid=$!
exec 3<"$fifo"
trap 'kill $sandbox_pid 2>/dev/null || true' EXIT
read -r first <&3
url=${first#listening on }
out=$(cd "$work/app" && env -u DGA_EPAYMENT_LIB DGA_CONSUMER_KEY=sandbox-key DGA_CONSUMER_SECRET=sandbox-secret \
  DGA_AGENT_ID=1234567890121 DGA_SOURCE=SANDBOX DGA_GATEWAY_URL="$url" \
  java -cp "target/classes:target/dependency/*" QuickStart)
echo "$out"
grep -qx PENDING <<<"$out"
