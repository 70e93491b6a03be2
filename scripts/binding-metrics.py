#!/usr/bin/env python3
"""How thin the bindings are: non-blank lines of each binding's hand-written, non-test sources
(loaders, typings, stubs, generator scripts and build scripts included), and how often those
sources spell a wire field name of the core's schema (the records that cross a binding:
CreatePayment, Payment, PaymentStatus, Confirmation) that is the guide's own (camelCase or with
a digit: paidStatus, refId, ref1, customerID; not plain words like amount, nor
reference1/reference2, every binding's call parameters, nor ref1/ref2, whose snake_case names
are the same). A spelling is the name as a quoted string ("paidStatus", 'refId') anywhere
outside comments and docstrings, or as a bare identifier in a typing or stub file (a `.d.ts` or
`.pyi` field `paidStatus: ...`); elsewhere a bare identifier is the language's own API (Java's
builder `.customerTitleName(..)`, PHP's `$s->paidStatus`), named as the design asks. A file is generated, and not counted, only when a generator writes it and a check in
`.ci/run` compares it (GENERATED names the check). The schema's wire names are read from
core/src/schema.rs. See docs/development.md#binding-metrics.

    python3 scripts/binding-metrics.py [--max-spellings N] [--max-lines binding=N ...]

exits 1 when a limit given is exceeded, so it can gate CI.
"""
import argparse
import re
import subprocess
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent

# Every non-test source of each binding; tests live under tests/, __test__/ or src/test/.
SOURCES = {
    "python": ["bindings-python/src/**/*.rs", "bindings-python/python/dga_epayment/**/*.py",
               "bindings-python/python/dga_epayment/**/*.pyi", "bindings-python/scripts/*.py",
               "bindings-python/build.rs"],
    "node": ["bindings-node/src/**/*.rs", "bindings-node/*.js", "bindings-node/*.mjs",
             "bindings-node/*.d.ts", "bindings-node/scripts/*.js", "bindings-node/build.rs"],
    "c": ["bindings-c/src/**/*.rs", "bindings-c/build.rs"],
    "dotnet": ["bindings-dotnet/src/**/*.cs"],
    "php": ["bindings-php/src/**/*.php", "bindings-php/*.php", "bindings-php/scripts/*.php"],
    "java": ["bindings-java/src/*.rs", "bindings-java/src/main/java/**/*.java",
             "bindings-java/build.rs"],
}
TESTS = re.compile(r"(^|/)(tests?|__test__)/|(^|/)tests\.rs$")
# Written by a generator and compared by a check that fails on drift: file -> the check.
GENERATED = {
    "bindings-node/index.d.ts": "bindings-node/test.sh (napi build, drift check)",
    "bindings-node/native.js": "bindings-node/test.sh (napi build, drift check)",
    "bindings-node/enums.d.ts": "bindings-node/test.sh (drift check)",
    "bindings-node/records.d.ts": "bindings-node/test.sh (drift check)",
    "bindings-node/index.mjs": "bindings-node/test.sh (drift check)",
    "bindings-php/src/Generated/PaymentFields.php": "scripts/gen-records.php --check",
    "bindings-php/src/Generated/PaymentStatusFields.php": "scripts/gen-records.php --check",
    "bindings-php/src/Generated/ConfirmationFields.php": "scripts/gen-records.php --check",
}
# The core's tables in each binding: written by scripts/gen-tables.py, whose --check runs in
# scripts/test-all.sh.
GENERATED.update(dict.fromkeys(
    subprocess.run([sys.executable, str(root / "scripts/gen-tables.py"), "--list"],
                   capture_output=True, text=True, check=True).stdout.split(),
    "scripts/gen-tables.py --check (scripts/test-all.sh)"))
RECORDS = ("CREATE_PAYMENT", "PAYMENT", "PAYMENT_STATUS", "CONFIRMATION")


def wire_names():
    text = (root / "core/src/schema.rs").read_text(encoding="utf-8")
    names = set()
    for record in RECORDS:
        m = re.search(rf"pub const {record}: Record = Record {{(.*?)\n}};", text, re.S)
        if not m:
            sys.exit(f"core/src/schema.rs has no record {record}")
        names.update(re.findall(r'(?:required|optional)\(\s*"(\w+)",', m.group(1)))
    if len(names) < 30:
        sys.exit(f"read only {len(names)} wire names from core/src/schema.rs")
    return names


def files(binding):
    seen = []
    for pattern in SOURCES[binding]:
        for p in sorted(root.glob(pattern)):
            rel = p.relative_to(root).as_posix()
            if (p.is_file() and rel not in GENERATED and not TESTS.search(rel)
                    and rel not in seen):
                seen.append(rel)
    return seen


def code_of(rel, line):
    """The line without its comment, roughly: enough not to count a name a comment mentions."""
    if rel.endswith((".py", ".pyi")):
        return line.split("#")[0]
    stripped = line.lstrip()
    if stripped.startswith(("*", "/*", "///", "//", "#")):
        return ""
    return line.split("//")[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-spellings", type=int)
    ap.add_argument("--max-lines", nargs="*", default=[])
    args = ap.parse_args()
    # The guide's own names: camelCase or with a digit (paidStatus, refId, ref1, customerID).
    # Plain words (amount, source, status, message, data, lang) name other things too, and
    # reference1/reference2 are the calls' parameter names in every binding
    # (docs/protocol.md#q7--what-reference1-and-reference2-are).
    names = sorted(n for n in wire_names() if re.search(r"[a-z][A-Z0-9]", n)
                   and n not in ("reference1", "reference2", "ref1", "ref2"))
    quoted = re.compile(r"""["'](%s)["']""" % "|".join(names))
    bare = re.compile(r"(?<![\w\"'.$])(%s)(?![\w\"'])" % "|".join(names))
    limits = dict(x.split("=") for x in args.max_lines)
    missing = [f for f in GENERATED if not (root / f).is_file()]
    if missing:
        sys.exit(f"GENERATED names files that do not exist: {missing}")
    failed = False
    total = 0
    for binding in SOURCES:
        lines = spellings = 0
        where = {}
        for rel in files(binding):
            typing = rel.endswith((".d.ts", ".pyi"))
            docstring = False
            for line in (root / rel).read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    continue
                lines += 1
                if rel.endswith(".py") and line.count('"""') % 2 == 1:
                    docstring = not docstring
                    continue
                code = "" if docstring else code_of(rel, line)
                found = quoted.findall(code) + (bare.findall(code) if typing else [])
                if found:
                    spellings += len(found)
                    where[rel] = where.get(rel, 0) + len(found)
        total += spellings
        detail = ", ".join(f"{k} {v}" for k, v in where.items())
        print(f"{binding:7} {lines:5} non-blank lines, {spellings:3} wire-name spellings"
              + (f" ({detail})" if detail else ""))
        if binding in limits and lines > int(limits[binding]):
            print(f"  over the limit of {limits[binding]} lines")
            failed = True
    print(f"total   {total} wire-name spellings")
    if args.max_spellings is not None and total > args.max_spellings:
        print(f"  over the limit of {args.max_spellings}")
        failed = True
    sys.exit(1 if failed else 0)


main()
