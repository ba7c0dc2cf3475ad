#!/usr/bin/env python3
"""The `src/` import graph with files as nodes: prints every circle (strongly connected
component of more than one file) and the folder-level arrows. Tests (`tests*.rs`, `#[cfg(test)]`
modules) are left out. A `mod.rs` and its own children are one node ("the folder's face"), as a
folder's `mod.rs` declares and re-exports its children by nature.

Usage: python3 benches/import_graph.py [src]     exit 1 when a circle exists
"""
import os
import re
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else "src"


def module_of(path):
    rel = os.path.relpath(path, SRC)[:-3]
    parts = rel.split(os.sep)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return parts


files = {}
for root, _, names in os.walk(SRC):
    for n in names:
        if n.endswith(".rs") and not n.startswith("tests") and not n.endswith("_tests.rs"):
            p = os.path.join(root, n)
            files[tuple(module_of(p))] = p


def strip_tests(text):
    # Drops `#[cfg(test)] mod x { ... }` blocks (brace matching) and `#[cfg(test)] mod x;`.
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*(pub\s+)?mod\s+\w+\s*\{", text):
        if m.start() < i:
            continue
        out.append(text[i:m.start()])
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        i = j
    out.append(text[i:])
    return "".join(out)


def resolve(cur, path):
    """Module path (list) of a `crate::`/`super::`/`self::` path, longest existing prefix."""
    segs = path.split("::")
    if segs[0] == "crate":
        base, segs = [], segs[1:]
    elif segs[0] in ("super", "self"):
        base = list(cur)
        while segs and segs[0] in ("super", "self"):
            if segs[0] == "super":
                base = base[:-1]
            segs = segs[1:]
    else:
        return None
    best = None
    for k in range(len(segs) + 1):
        cand = tuple(base + segs[:k])
        if cand in files:
            best = cand
    return best


edges = {}
for mod, p in files.items():
    text = strip_tests(open(p, encoding="utf-8").read())
    text = re.sub(r"//[^\n]*", "", text)
    targets = set()
    for m in re.finditer(r"\b((?:crate|super|self)(?:::\w+)+)(?:::\{([^;]*?)\})?", text, re.S):
        head, group = m.group(1), m.group(2)
        paths = [head]
        if group:
            for g in re.split(r",", group):
                g = g.strip().split(" as ")[0].strip()
                if g and g != "self" and re.match(r"^[\w:]+$", g):
                    paths.append(head + "::" + g)
        for path in paths:
            t = resolve(list(mod), path)
            if t is not None and t != mod:
                targets.add(t)
    edges[mod] = targets


# Tarjan's SCC
index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]


def strong(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in edges.get(v, ()):
        if w not in index:
            strong(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        sccs.append(comp)


sys.setrecursionlimit(10000)
for v in list(edges):
    if v not in index:
        strong(v)


def name(m):
    return "/".join(m) or "lib"


def is_parent_child(a, b):
    return a[:-1] == b or b[:-1] == a


circles = []
for comp in sccs:
    if len(comp) < 2:
        continue
    # A circle made only of a folder's mod.rs and its children through the mod.rs is the
    # folder's face; report the rest.
    sub = {v: {w for w in edges[v] if w in comp and not is_parent_child(v, w)} for v in comp}
    index.clear(); low.clear(); stack.clear(); on.clear()
    inner = []
    def strong2(v):
        index[v] = low[v] = counter[0]; counter[0] += 1; stack.append(v); on.add(v)
        for w in sub[v]:
            if w not in index:
                strong2(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            c = []
            while True:
                w = stack.pop(); on.discard(w); c.append(w)
                if w == v:
                    break
            if len(c) > 1:
                inner.append(c)
    for v in comp:
        if v not in index:
            strong2(v)
    circles.extend(inner)

print(f"{len(files)} files, {sum(len(e) for e in edges.values())} imports")
for c in circles:
    print("circle:", " ↔ ".join(sorted(name(m) for m in c)))
folder_edges = {}
for a, ts in edges.items():
    for b in ts:
        fa, fb = (a[0] if a else "lib"), (b[0] if b else "lib")
        if fa != fb:
            folder_edges.setdefault(fa, set()).add(fb)
print("folder arrows:")
for f in sorted(folder_edges):
    print(f"  {f} → {', '.join(sorted(folder_edges[f]))}")
sys.exit(1 if circles else 0)
