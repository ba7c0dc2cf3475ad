#!/usr/bin/env python3
"""Function lengths in `src/` (non-test code): prints every function longer than a limit and
the longest ones, and the files over 400 lines. A function runs from its `fn` line to the line
of the brace that closes its body at the same indentation (rustfmt'd code). Test files
(`tests*.rs`, `*_tests.rs`) and `#[cfg(test)]` modules are left out.

Usage: python3 benches/fn_lengths.py [--limit 80] [--top 15] [src]   exit 1 if one exceeds 120
"""
import argparse
import os
import re
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--limit", type=int, default=80)
ap.add_argument("--top", type=int, default=15)
ap.add_argument("src", nargs="?", default="src")
args = ap.parse_args()

FN = re.compile(r"^(\s*)(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)")
found, big_files = [], []
for root, _, names in os.walk(args.src):
    for n in sorted(names):
        if not n.endswith(".rs") or n.startswith("tests") or n.endswith("_tests.rs"):
            continue
        path = os.path.join(root, n)
        lines = open(path, encoding="utf-8").read().split("\n")
        # Cut #[cfg(test)] modules (they run to the end of the file by convention, or to the
        # closing brace at column 0).
        for i, l in enumerate(lines):
            if l.strip() == "#[cfg(test)]" and i + 1 < len(lines) and lines[i + 1].lstrip().startswith("mod "):
                lines = lines[:i]
                break
        if len(lines) > 400:
            big_files.append((len(lines), path))
        for i, l in enumerate(lines):
            m = FN.match(l)
            if not m or l.rstrip().endswith(";"):
                continue
            indent = m.group(1)
            for j in range(i, len(lines)):
                if lines[j] == indent + "}" or (j == i and l.rstrip().endswith("}")):
                    found.append((j - i + 1, path, m.group(7), i + 1))
                    break

found.sort(reverse=True)
print(f"{len(found)} functions; over {args.limit} lines: {sum(1 for f in found if f[0] > args.limit)}; over 120: {sum(1 for f in found if f[0] > 120)}")
for n, path, name, line in found[: args.top]:
    print(f"  {n:4} {path}:{line} {name}")
print("files over 400 lines:", ", ".join(f"{p} ({n})" for n, p in sorted(big_files, reverse=True)) or "none")
sys.exit(1 if any(f[0] > 120 for f in found) else 0)
