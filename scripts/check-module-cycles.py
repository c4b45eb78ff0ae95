#!/usr/bin/env python3
"""Fails when modules of a Rust crate depend on each other in a cycle.

Usage: check-module-cycles.py SRC_DIR...   (e.g. crates/breakout-client/src)

Every `crate::`, `super::` and `self::` path in a file (test modules and
comments left out) is resolved to the module it names. A file in module
`a::x` naming something in `a::y` is a dependency `x -> y` between the
siblings `x` and `y`; a parent and its children are one unit and are not
compared. Any cycle among siblings is printed with the files that make it.
"""

import re
import sys
from pathlib import Path

USE = re.compile(r"\buse\s+((?:crate|super|self)\b[^;]*);", re.S)
INLINE = re.compile(r"\b(?:crate|super|self)(?:::\w+)+")
TESTS = re.compile(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", re.S)


def module_of(src: Path, file: Path) -> tuple:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts.pop()
    return tuple(parts)


def strip(text: str) -> str:
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    found = TESTS.search(text)
    return text[: found.start()] if found else text


def expand(tree: str) -> list:
    """`super::{a, b::{c, self}}` -> ["super::a", "super::b::c", "super::b"]."""
    tree = re.sub(r"\s+as\s+\w+", "", tree)
    tree = re.sub(r"\s+", "", tree)
    depth, start = 0, None
    for i, ch in enumerate(tree):
        if ch == "{" and depth == 0:
            start = i
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "}" and depth == 0:
            prefix, inner = tree[:start], tree[start + 1 : i]
            items, depth2, last = [], 0, 0
            for j, c in enumerate(inner + ","):
                depth2 += c == "{"
                depth2 -= c == "}"
                if c == "," and depth2 == 0:
                    if inner[last:j]:
                        items.append(inner[last:j])
                    last = j + 1
            out = []
            for item in items:
                out += expand(prefix + item) if item != "self" else [prefix.rstrip(":")]
            return out
    return [tree]


def resolve(here: tuple, path: str) -> list:
    parts = [p for p in path.split("::") if p]
    absolute = list(here)
    if parts[0] == "crate":
        absolute, parts = [], parts[1:]
    while parts and parts[0] in ("super", "self"):
        if parts.pop(0) == "super":
            absolute = absolute[:-1]
    return absolute + parts


def main(dirs: list) -> int:
    cycles = 0
    for src in map(Path, dirs):
        # src/bin/* are crates of their own.
        files = sorted(f for f in src.rglob("*.rs") if f.relative_to(src).parts[0] != "bin")
        modules = {module_of(src, f) for f in files}
        edges = {}
        for file in files:
            here = module_of(src, file)
            text = strip(file.read_text())
            paths = [p for u in USE.findall(text) for p in expand(u)]
            paths += INLINE.findall(text)
            for path in paths:
                target = resolve(here, path)
                while target and tuple(target) not in modules:
                    target.pop()
                target = tuple(target)
                common = 0
                while common < min(len(here), len(target)) and here[common] == target[common]:
                    common += 1
                if common == len(here) or common == len(target):
                    continue  # the same module, or a parent and its child
                edge = (here[: common + 1], target[: common + 1])
                edges.setdefault(edge, set()).add(str(file.relative_to(src)))
        graph = {}
        for a, b in edges:
            graph.setdefault(a, set()).add(b)
        for cycle in find_cycles(graph):
            cycles += 1
            names = " -> ".join("::".join(m) for m in cycle + [cycle[0]])
            print(f"{src}: module cycle {names}")
            for a, b in zip(cycle, cycle[1:] + [cycle[0]]):
                print(f"    {'::'.join(a)} -> {'::'.join(b)} in {', '.join(sorted(edges[(a, b)]))}")
    if cycles:
        print(f"{cycles} module cycle(s): make the dependencies point one way "
              "(for example, move the shared types into a module both use).")
    return 1 if cycles else 0


def find_cycles(graph: dict) -> list:
    """One cycle per strongly connected component (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(path_through(graph, set(component), min(component)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def path_through(graph: dict, component: set, start: tuple) -> list:
    """A shortest cycle from `start` inside `component`."""
    previous, queue = {start: None}, [start]
    for v in queue:
        for w in sorted(graph.get(v, ())):
            if w == start:
                path = [v]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])
                return path[::-1]
            if w in component and w not in previous:
                previous[w] = v
                queue.append(w)
    return [start]


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
