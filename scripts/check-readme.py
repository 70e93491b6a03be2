#!/usr/bin/env python3
"""The root README's Python, Node, C, C#, PHP and Java quick starts are copies of the binding READMEs'
quick starts, which each binding's own tests compile and run as written. This check fails when
a copy drifts from its tested original, so the root README never shows untested code."""
import re
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
SECTIONS = {
    "## Python quick start": "bindings-python/README.md",
    "## Node quick start": "bindings-node/README.md",
    "## C quick start": "bindings-c/README.md",
    "## C#/.NET quick start": "bindings-dotnet/README.md",
    "## PHP quick start": "bindings-php/README.md",
    "## Java quick start": "bindings-java/README.md",
}
FENCE = re.compile(r"```(\w+)\n(.*?)\n```", re.S)

readme = (root / "README.md").read_text(encoding="utf-8")
problems, checked = [], 0
for heading, source in SECTIONS.items():
    start = readme.find(heading + "\n")
    if start < 0:
        problems.append(f"README.md has no '{heading}' section")
        continue
    end = readme.find("\n## ", start + len(heading))
    section = readme[start : end if end > 0 else len(readme)]
    original = (root / source).read_text(encoding="utf-8")
    blocks = [m for m in FENCE.finditer(section) if m.group(1) != "sh"]
    if not blocks:
        problems.append(f"'{heading}' has no code")
    for m in blocks:
        checked += 1
        if m.group(0) not in original:
            first = m.group(2).splitlines()[0]
            problems.append(f"'{heading}': the {m.group(1)} block starting {first!r} "
                            f"is not in {source} (copy it from there)")
for p in problems:
    print("README.md:", p, file=sys.stderr)
print(f"README quick starts: {checked} code blocks match their tested originals"
      if not problems else f"{len(problems)} problem(s)")
sys.exit(1 if problems else 0)
