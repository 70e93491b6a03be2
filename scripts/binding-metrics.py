#!/usr/bin/env python3
"""How thin the bindings are: non-blank lines of each binding's hand-written, non-test
sources, and how often those sources spell a wire field name of the core's schema (the records
that cross a binding: CreatePayment, Payment, PaymentStatus, Confirmation) that is the guide's
own (camelCase or with a digit: paidStatus, refId, ref1, customerID; not plain words like
amount, nor reference1/reference2, every binding's call parameters). A spelling is the name as
a quoted string ("paidStatus", 'refId') or as a bare identifier (a typing's `paidStatus: ...`); generated files (napi's loader and typings, the enum tables) and tests are
not counted. The schema's wire names are read from core/src/schema.rs.

    python3 scripts/binding-metrics.py [--max-spellings N] [--max-lines binding=N ...]

exits 1 when a limit given is exceeded, so it can gate CI.
"""
import argparse
import re
import subprocess
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent

# Hand-written, non-test sources per binding (generated files are named in GENERATED).
SOURCES = {
    "python": ["bindings-python/src/**/*.rs", "bindings-python/python/dga_epayment/*.py"],
    "node": ["bindings-node/src/**/*.rs", "bindings-node/express.js", "bindings-node/express.mjs",
             "bindings-node/index.mjs", "bindings-node/dts-header.d.ts", "bindings-node/express.d.ts",
             "bindings-node/scripts/*.js"],
    "c": ["bindings-c/src/**/*.rs", "bindings-c/build.rs"],
    "dotnet": ["bindings-dotnet/src/Dga.EPayment/*.cs"],
    "php": ["bindings-php/src/*.php", "bindings-php/preload.php", "bindings-php/ffi-header.php"],
    "java": ["bindings-java/src/*.rs", "bindings-java/src/main/java/**/*.java"],
}
GENERATED = {"bindings-node/index.js", "bindings-node/index.d.ts", "bindings-node/native.js",
             "bindings-node/enums.d.ts", "bindings-c/src/tests.rs",
             "bindings-php/src/Generated/PaymentFields.php",
             "bindings-php/src/Generated/PaymentStatusFields.php",
             "bindings-php/src/Generated/ConfirmationFields.php"}
# What scripts/gen-tables.py writes and its --check compares (the core's tables in each binding).
GENERATED |= set(subprocess.run([sys.executable, str(root / "scripts/gen-tables.py"), "--list"],
                                capture_output=True, text=True, check=True).stdout.split())
RECORDS = ("CREATE_PAYMENT", "PAYMENT", "PAYMENT_STATUS", "CONFIRMATION")


def wire_names():
    text = (root / "core/src/schema.rs").read_text(encoding="utf-8")
    names = set()
    for record in RECORDS:
        m = re.search(rf"pub const {record}: Record = Record \{{(.*?)\n\}};", text, re.S)
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
            if p.is_file() and rel not in GENERATED and rel not in seen:
                seen.append(rel)
    return seen


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
                   and n not in ("reference1", "reference2"))
    quoted = re.compile(r"""["'](%s)["']""" % "|".join(names))
    bare = re.compile(r"(?<![\w\"'.$])(%s)(?![\w\"'])" % "|".join(names))
    limits = dict(x.split("=") for x in args.max_lines)
    failed = False
    total = 0
    for binding in SOURCES:
        lines = spellings = 0
        where = {}
        for rel in files(binding):
            for line in (root / rel).read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    continue
                lines += 1
                code = line.split("//")[0] if not rel.endswith(".py") else line.split("#")[0]
                found = quoted.findall(code) + bare.findall(code)
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
