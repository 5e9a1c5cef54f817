#!/usr/bin/env python3
"""po-set.py TRANSLATIONS.py PO: replace the msgstr of the single-line msgids in dict T
(a translator's corrections; po-fill.py fills only untranslated entries).  PO must be
written with --no-wrap (make po does)."""
import re, sys

def esc(s):
    return s.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')

ns = {}
exec(open(sys.argv[1], encoding='utf-8').read(), ns)
po = open(sys.argv[2], encoding='utf-8').read()
for k, v in ns['T'].items():
    pat = re.compile(r'(\nmsgid "' + re.escape(esc(k)) + r'"\nmsgstr )"(?:[^"\\]|\\.)*"\n')
    po, n = pat.subn(lambda m: m.group(1) + '"' + esc(v) + '"\n', po)
    if n != 1:
        sys.exit('po-set: %r found %d times' % (k, n))
open(sys.argv[2], 'w', encoding='utf-8').write(po)
