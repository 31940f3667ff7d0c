#!/usr/bin/env python3
"""Prints the import cycles among the first-level entries of a Rust module directory.

    python3 scripts/module-cycles.py [DIR] [--max N]

DIR defaults to src/common. An *entry* is a file `x.rs` or a directory `x/` directly in DIR;
an edge A -> B is any path to B written in A's code (`super::B`, `crate::common::B`, and inside
a sub-directory `super::super::B`), whether in a `use` or inline. Strongly connected components
of that graph with more than one entry are the cycles; each is printed with its size and edges.
Exit status 1 if a cycle has more than N entries (default: no limit, only print).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path


def entries(root: Path) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for path in sorted(root.iterdir()):
        if path.suffix == ".rs" and path.stem != "mod":
            found[path.stem] = [path]
        elif path.is_dir():
            found[path.name] = sorted(path.rglob("*.rs"))
    return found


def strip_comments(code: str) -> str:
    code = re.sub(r"/\*.*?\*/", "", code, flags=re.S)
    return re.sub(r"//[^\n]*", "", code)


def edges(root: Path, found: dict[str, list[Path]]) -> dict[str, set[str]]:
    # The module path of `root` from the crate's `src/` (src/common -> crate::common).
    parts = root.resolve().parts
    below_src = parts[len(parts) - parts[::-1].index("src") :] if "src" in parts else parts[-1:]
    crate_prefix = "crate::" + "::".join(below_src)
    graph: dict[str, set[str]] = {name: set() for name in found}
    for name, files in found.items():
        for file in files:
            code = strip_comments(file.read_text())
            depth = len(file.relative_to(root).parts) - 1  # 0: a file directly in root
            up = "super::" * (depth + 1) if file.stem != "mod" else "super::" * depth
            prefixes = [re.escape(crate_prefix + "::")]
            if up:
                prefixes.append(re.escape(up))
            for prefix in prefixes:
                for match in re.finditer(rf"(?<![\w:]){prefix}(\w+)", code):
                    target = match.group(1)
                    if target in found and target != name:
                        graph[name].add(target)
                # `use super::{a, b::c}` groups
                for group in re.finditer(rf"(?<![\w:]){prefix}\{{([^}}]*)\}}", code):
                    for part in re.split(r",", group.group(1)):
                        target = part.strip().split("::")[0]
                        if target in found and target != name:
                            graph[name].add(target)
    return graph


def components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            result.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", default="src/common")
    parser.add_argument("--max", type=int, default=None, help="fail above this cycle size")
    args = parser.parse_args()
    root = Path(args.dir)
    found = entries(root)
    graph = edges(root, found)
    cycles = [c for c in components(graph) if len(c) > 1]
    total = sum(len(targets) for targets in graph.values())
    print(f"{root}: {len(found)} entries, {total} edges, {len(cycles)} cycle(s)")
    worst = 0
    for cycle in sorted(cycles, key=len, reverse=True):
        worst = max(worst, len(cycle))
        members = set(cycle)
        inner = sorted((a, b) for a in cycle for b in graph[a] if b in members)
        print(f"  cycle of {len(cycle)}: {', '.join(cycle)}")
        print("    " + "; ".join(f"{a} -> {b}" for a, b in inner))
    if args.max is not None and worst > args.max:
        print(f"a cycle of {worst} entries is larger than the allowed {args.max}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
