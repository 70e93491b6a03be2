#!/usr/bin/env python3
"""The root README's Python, Node, C, C#, PHP and Java quick starts are copies of the binding
READMEs' quick starts, which each binding's own tests compile and run as written; README.th.md
(Thai) carries the same code again. This check fails when a copy drifts from its tested original,
so neither README shows untested code, and when the two READMEs stop linking to each other."""
import re
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
# README.md's section -> the file holding its tested original.
SECTIONS = {
    "## Python quick start": "bindings-python/README.md",
    "## Node quick start": "bindings-node/README.md",
    "## C quick start": "bindings-c/README.md",
    "## C#/.NET quick start": "bindings-dotnet/README.md",
    "## PHP quick start": "bindings-php/README.md",
    "## Java quick start": "bindings-java/README.md",
}
# README.th.md's section -> README.md's section whose code it repeats.
THAI_SECTIONS = {
    "## เริ่มต้นใช้งาน: Rust": "## Rust quick start",
    "## เริ่มต้นใช้งาน: Python": "## Python quick start",
    "## เริ่มต้นใช้งาน: Node": "## Node quick start",
    "## เริ่มต้นใช้งาน: C": "## C quick start",
    "## เริ่มต้นใช้งาน: C#/.NET": "## C#/.NET quick start",
    "## เริ่มต้นใช้งาน: PHP": "## PHP quick start",
    "## เริ่มต้นใช้งาน: Java": "## Java quick start",
    "## การรับ callback": "## Callbacks",
}
FENCE = re.compile(r"```(\w+)\n(.*?)\n```", re.S)


def section(text, heading):
    start = text.find(heading + "\n")
    if start < 0:
        return None
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end > 0 else len(text)]


def code_blocks(text):
    """The blocks a reader runs or compiles (shell set-up lines are the prose's business)."""
    return [m for m in FENCE.finditer(text) if m.group(1) != "sh"]


readme = (root / "README.md").read_text(encoding="utf-8")
thai = (root / "README.th.md").read_text(encoding="utf-8")
problems, checked = [], 0


def compare(name, heading, text, original, source):
    global checked
    blocks = code_blocks(text)
    if not blocks:
        problems.append(f"{name}: '{heading}' has no code")
    for m in blocks:
        checked += 1
        if m.group(0) not in original:
            first = m.group(2).splitlines()[0]
            problems.append(f"{name}: '{heading}': the {m.group(1)} block starting {first!r} "
                            f"is not in {source} (copy it from there)")


for heading, source in SECTIONS.items():
    text = section(readme, heading)
    if text is None:
        problems.append(f"README.md has no '{heading}' section")
        continue
    compare("README.md", heading, text, (root / source).read_text(encoding="utf-8"), source)

for heading, english in THAI_SECTIONS.items():
    text, original = section(thai, heading), section(readme, english)
    if text is None or original is None:
        problems.append(f"README.th.md has no '{heading}' section, or README.md no '{english}'")
        continue
    # The same blocks as README.md's section, each of which (but Rust's) is checked above.
    compare("README.th.md", heading, text, original, f"README.md '{english}'")
    if len(code_blocks(text)) != len(code_blocks(original)):
        problems.append(f"README.th.md: '{heading}' has {len(code_blocks(text))} code blocks, "
                        f"README.md '{english}' {len(code_blocks(original))}")

if "](README.th.md)" not in readme.split("\n## ", 1)[0]:
    problems.append("README.md: no link to README.th.md before its first section")
if "](README.md)" not in thai.split("\n## ", 1)[0]:
    problems.append("README.th.md: no link to README.md before its first section")

for p in problems:
    print(p, file=sys.stderr)
print(f"README quick starts: {checked} code blocks match their tested originals"
      if not problems else f"{len(problems)} problem(s)")
sys.exit(1 if problems else 0)
