#!/usr/bin/env python3
"""Every document the repository cites, it holds (docs/development.md#documentation-checks).

Fails on:
- a Markdown link (inline or reference-style) to a file or heading that does not exist;
- a citation in any file (code, comments, scripts, JSON) of a `*.md` path that does not exist,
  or of `path.md#anchor` whose heading does not exist (anchors computed as GitHub computes them);
- a quirk number outside Q1-Q11 (docs/protocol.md#quirks), or a hand-written source file that
  mentions a quirk number without citing docs/protocol.md, where the numbers are defined;
- any mention of a design document that lives outside the repository.

Usage: scripts/check-docs.py [ROOT]  (default: the repository holding this script)
"""
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent).resolve()
SELF = Path(__file__).resolve()

# Documents that exist only outside the repository; spelled in pieces so this file does not
# match itself.
OUTSIDE = re.compile(r"\b(?:" + "|".join(n + r"\.md" for n in ("DESIGN", "PROTOCOL", "TOOLCHAIN", "STYLE")) + r")\b|(?<![\w.-])" + "shar" + r"ed/")
# A path ending in .md, optionally with an anchor: README.md#install, docs/protocol.md#quirks.
CITATION = re.compile(r"(?<![\w/.@$-])((?:\.{1,2}/)*(?:[\w.-]+/)*[\w.-]*\w\.md)(#[\w%-]+)?", re.UNICODE)
INLINE_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.M | re.S)
QUIRK = re.compile(r"\bQ(\d+)\b")
SKIP_DIRS = ("fuzz/corpus/", "fuzz/artifacts/", "target/", "node_modules/", "dist/")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def files():
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root, capture_output=True, check=True,
    ).stdout.decode()
    for name in sorted(set(filter(None, out.split("\0")))):
        path = root / name
        if any(name.startswith(d) or f"/{d}" in name for d in SKIP_DIRS) or not path.is_file():
            continue
        if path.resolve() == SELF or path.stat().st_size > 2_000_000:
            continue
        try:
            yield name, path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue


def slug(text):
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link's text only
    text = re.sub(r"<[^>]+>", "", text)
    kept = "".join(
        c for c in text.lower()
        if c in " -_" or unicodedata.category(c)[0] in "LMN"
    )
    return kept.replace(" ", "-")


_anchors = {}


def anchors(path):
    """The anchors a Markdown file has: its headings' (numbered when repeated) and explicit ids."""
    if path not in _anchors:
        text = FENCE.sub("", path.read_text(encoding="utf-8"))
        seen, found = {}, set()
        for line in text.splitlines():
            m = HEADING.match(line)
            if m:
                base = slug(m.group(2))
                n = seen.get(base, 0)
                seen[base] = n + 1
                found.add(base if n == 0 else f"{base}-{n}")
        found.update(re.findall(r"<a\s+(?:name|id)=\"([^\"]+)\"", text))
        _anchors[path] = found
    return _anchors[path]


def resolve(source, target):
    """The file a citation in `source` means: relative to the source's folder, else the root."""
    for base in (root / source).parent, root:
        candidate = (base / target).resolve()
        if candidate.exists() and (candidate == root or root in candidate.parents):
            return candidate
    return None


def line_of(text, index):
    return text.count("\n", 0, index) + 1


def generated(text):
    head = " ".join(re.sub(r"^\W*", "", line) for line in text.splitlines()[:5]).lower()
    return "generated" in head and ("do not edit" in head or "drift" in head)


problems = []
checked_links = checked_citations = 0
for name, text in files():
    is_markdown = name.endswith(".md")

    for m in OUTSIDE.finditer(text):
        problems.append(f"{name}:{line_of(text, m.start())}: cites {m.group(0)!r}, a document the "
                        f"repository does not hold: cite a section of docs/ instead")

    targets = []  # (index, path part, anchor or None)
    if is_markdown:
        prose = FENCE.sub(lambda f: "\n" * f.group(0).count("\n"), text)
        for m in list(INLINE_LINK.finditer(prose)) + list(REFERENCE_LINK.finditer(prose)):
            target = m.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # http:, mailto:, ...
                continue
            path, _, anchor = target.partition("#")
            targets.append((m.start(), path, anchor or None, "link"))
    for m in CITATION.finditer(text):
        targets.append((m.start(), m.group(1), (m.group(2) or "#")[1:] or None, "citation"))

    for index, path, anchor, what in targets:
        if OUTSIDE.search(path):
            continue  # reported above
        if what == "link":
            checked_links += 1
        else:
            checked_citations += 1
        where = f"{name}:{line_of(text, index)}"
        target = (root / name).resolve() if not path else resolve(name, path)
        if target is None:
            problems.append(f"{where}: {what} to {path!r}, which the repository does not have")
            continue
        if anchor and target.suffix == ".md" and anchor not in anchors(target):
            shown = target.relative_to(root)
            problems.append(f"{where}: {what} to {shown}#{anchor}, a heading {shown} does not have")

    quirks = [(m.start(), int(m.group(1))) for m in QUIRK.finditer(text)]
    for index, n in quirks:
        if not 1 <= n <= 11:
            problems.append(f"{name}:{line_of(text, index)}: Q{n} is not a quirk of docs/protocol.md (Q1-Q11)")
    if (quirks and not name.endswith(".json") and not generated(text)
            and not name.startswith("docs/") and "docs/protocol.md" not in text
            and not (is_markdown and "protocol.md" in text)):
        problems.append(f"{name}:{line_of(text, quirks[0][0])}: mentions Q{quirks[0][1]} but never "
                        f"cites docs/protocol.md, where the quirks are numbered")

for p in problems:
    print(p, file=sys.stderr)
if problems:
    print(f"check-docs: {len(problems)} problem(s)", file=sys.stderr)
    sys.exit(1)
print(f"check-docs: {checked_links} Markdown links and {checked_citations} citations resolve; "
      f"no document outside the repository is cited")
