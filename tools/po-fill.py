#!/usr/bin/env python3
"""po-fill.py TRANSLATIONS.py PO: write the msgid -> msgstr pairs of TRANSLATIONS.py
(dicts T and PLURAL) into PO's untranslated entries (through msgcat/msgmerge, so the
file stays in gettext's own format).  A helper for translators, not part of the build."""
import subprocess, sys, tempfile, os

def esc(s):
    return s.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n').replace('\t', '\\t')

ns = {}
exec(open(sys.argv[1], encoding='utf-8').read(), ns)
po = sys.argv[2]
header = subprocess.run(['msgattrib', '--no-wrap', po], capture_output=True, text=True, check=True).stdout
head = header.split('\n\n', 1)[0]
out = [head, '']
for k, v in ns.get('T', {}).items():
    ctx = None
    if '\x04' in k:
        ctx, k = k.split('\x04', 1)
    fmt = '#, c-format\n' if '%' in k else ''
    out.append(fmt + (f'msgctxt "{esc(ctx)}"\n' if ctx else '') + f'msgid "{esc(k)}"\nmsgstr "{esc(v)}"\n')
for k, v in ns.get('PLURAL', {}).items():
    out.append('#, c-format\n' + f'msgid "{esc(k)}"\nmsgid_plural "{esc(ns.get("PLURAL_EN", {}).get(k, k))}"\nmsgstr[0] "{esc(v)}"\n')
with tempfile.TemporaryDirectory() as d:
    new = os.path.join(d, 'new.po')
    open(new, 'w', encoding='utf-8').write('\n'.join(out))
    tr = os.path.join(d, 'translated.po')
    subprocess.run(['msgattrib', '--translated', '--no-wrap', '-o', tr, po], check=True)
    both = os.path.join(d, 'both.po')
    subprocess.run(['msgcat', '--use-first', '--no-wrap', '-o', both, tr, new], check=True)
    pot = os.path.join(d, 'all.pot')
    subprocess.run(['msgattrib', '--no-wrap', '-o', pot, po], check=True)
    subprocess.run(['msgmerge', '--quiet', '--no-fuzzy-matching', '--no-wrap', '-o', po, both, 'po/kiosk.pot'], check=True)
