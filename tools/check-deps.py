#!/usr/bin/env python3
"""Fail on a cycle between modules (issue 19: no module cycles).

A module is a .c file and its .h (kiosk/session.c + kiosk/session.h = kiosk/session).
Module A depends on module B when A's .c or .h has  #include "B.h"  (the project's own
headers, quoted, from the top of the tree).  Any cycle in that graph fails: two modules
that need each other are one module in two files, or a piece in the wrong one (move the
shared piece to the module that owns it, or pass it as a parameter).

Usage: tools/check-deps.py [--graph] [DIR ...]     (default: every folder with C sources)
  --graph   print the dependency graph (module: its dependencies) and exit 0
Exit 0 when acyclic, 1 with each cycle printed, in the style of "a -> b -> a".
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)\.h"', re.M)
DEFAULT_DIRS = ['common', 'kiosk', 'media', 'service', 'admin', 'report', 'handoff', 'policy',
                'reader', 'scanner', 'ui']


def modules(dirs):
    graph = {}
    for d in dirs:
        for root, _, names in os.walk(d):
            for n in sorted(names):
                if not n.endswith(('.c', '.h')):
                    continue
                path = os.path.join(root, n)
                mod = os.path.splitext(path)[0]
                with open(path, encoding='utf-8', errors='replace') as f:
                    deps = set(INCLUDE.findall(f.read()))
                graph.setdefault(mod, set()).update(x for x in deps if x != mod)
    # only the project's own modules (a header from the tree, not generated ones)
    for mod in graph:
        graph[mod] = {x for x in graph[mod] if x in graph}
    return graph


def cycles(graph):
    """Each strongly connected component with more than one module (Tarjan)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
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
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def a_cycle(graph, comp):
    """One concrete cycle through the component, for the message."""
    comp = set(comp)
    start = min(comp)
    path, seen = [start], {start}
    prev = {start: None}
    queue = [start]
    while queue:  # BFS back to start inside the component
        v = queue.pop(0)
        for w in sorted(graph[v] & comp):
            if w == start:
                chain = [v]
                while prev[chain[-1]] is not None:
                    chain.append(prev[chain[-1]])
                return list(reversed(chain)) + [start]
            if w not in seen:
                seen.add(w)
                prev[w] = v
                queue.append(w)
    return path


def main(argv):
    graph_only = '--graph' in argv
    dirs = [a for a in argv if not a.startswith('--')] or \
        [d for d in DEFAULT_DIRS if os.path.isdir(d)]
    graph = modules(dirs)
    if graph_only:
        for mod in sorted(graph):
            print(f'{mod}: {" ".join(sorted(graph[mod]))}')
        return 0
    found = cycles(graph)
    for comp in found:
        print('module cycle: ' + ' -> '.join(a_cycle(graph, comp)) +
              (f'  (component: {" ".join(comp)})' if len(comp) > 2 else ''))
    if found:
        print(f'{len(found)} cycle(s) between modules; see tools/check-deps.py')
        return 1
    print(f'no module cycles ({len(graph)} modules)')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
