#!/usr/bin/env python3
"""List C functions by length, longest first (issue 19: no pipeline function over ~80 lines).

Usage: tools/func-lengths.py [--max N] [--fail] [DIR_OR_FILE ...]
  default paths: kiosk media service admin report handoff scanner reader policy common
  --max N   list only functions longer than N lines (default 0: all)
  --fail    exit 1 when any function is longer than --max

The house style (.clang-format) puts a function's opening brace and its closing brace
alone in column 0; the function's name is on the line(s) just before its '{'.  Length is
counted from the line with the name to the closing brace, both included.
"""
import os
import signal
import re
import sys

NAME = re.compile(r'([A-Za-z_]\w*)\s*\(')


def functions(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        lines = f.read().split('\n')
    start = None
    for i, line in enumerate(lines):
        if line == '{' and start is None:
            # the signature: up over its continuation lines to the one in column 0
            j = i - 1
            while j > 0 and lines[j][:1] in (' ', '\t'):
                j -= 1
            m = NAME.search(lines[j]) if j >= 0 else None
            start = (j, m.group(1)) if m and not lines[j].startswith(('#', '/', '}')) else None
        elif line.startswith('}') and start is not None:
            j, name = start
            yield name, j + 1, i - j + 1
            start = None


def main(argv):
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # | head
    limit, fail, paths = 0, False, []
    it = iter(argv)
    for a in it:
        if a == '--max':
            limit = int(next(it))
        elif a == '--fail':
            fail = True
        else:
            paths.append(a)
    paths = paths or ['kiosk', 'media', 'service', 'admin', 'report', 'handoff', 'scanner',
                      'reader', 'policy', 'common']
    files = []
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                files += [os.path.join(root, n) for n in names if n.endswith('.c')]
        else:
            files.append(p)
    rows = []
    for path in sorted(files):
        for name, line, n in functions(path):
            if n > limit:
                rows.append((n, path, line, name))
    rows.sort(key=lambda r: (-r[0], r[1], r[2]))
    for n, path, line, name in rows:
        print(f'{n:5d}  {path}:{line}  {name}')
    return 1 if fail and rows else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
