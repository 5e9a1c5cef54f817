#!/usr/bin/env bash
# t_cdr_pdf.sh - content disarm of PDFs (policy pdf=sanitize, the default): a PDF with an
# /OpenAction JavaScript, a document-level script, an embedded file, a link that
# /Launches a program and a page /AA opening a web address is delivered as a copy without
# any of them (qpdf --json of the copy), whose text (pdftotext) is the original's; a PDF
# without active content is delivered as it is.  Then pdf=block-active holds it back.
. "$(dirname "$0")/lib.sh"
command -v qpdf >/dev/null && command -v pdftotext >/dev/null || fail "qpdf and pdftotext are needed (make deps)"

src=$T/src
python3 "$ROOT/tests/integration/cdr-samples.py" "$T/all"
mkdir -p "$src"
cp "$T/all/active.pdf" "$T/all/plain.pdf" "$src/"

# The sample really has what the copy must not.
qpdf --json "$src/active.pdf" > "$T/orig.json"
for k in /OpenAction /JavaScript /EmbeddedFiles /Launch /AA; do
    grep -q "\"$k\"" "$T/orig.json" || fail "the sample has no $k (test broken)"
done

run_scan "$src"
expect_rc 0
expect_verdict active.pdf sanitized "JavaScript"
expect_verdict active.pdf sanitized "actions that start programs, embedded files"
expect_verdict plain.pdf clean
expect_json 'j["counts"]["sanitized"] == 1 and j["counts"]["delivered"] == 2'
expect_json '[f["sanitized"]["removed"] for f in j["files"] if f["path"] == "active.pdf"] == [["pdf-javascript", "pdf-open-action", "pdf-additional-actions", "pdf-launch", "pdf-embedded-files", "pdf-uri-on-open"]]'
expect_common

delivery=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["delivery"])' "$SCAN_JSON")
copy=$delivery/active.pdf
qpdf --check "$copy" > "$T/check.out" 2>&1 || { cat "$T/check.out"; fail "the copy is not a sound PDF"; }
qpdf --json "$copy" > "$T/copy.json"
for k in /OpenAction /JavaScript /JS /EmbeddedFiles /EmbeddedFile /EF /Launch /AA /URI; do
    ! grep -q "\"$k\"" "$T/copy.json" || fail "the delivered copy still has $k"
done
# The catalog, shown object by object, too.
qpdf --show-object=trailer "$copy" > "$T/trailer.out"
root=$(grep -o '/Root [0-9]* 0 R' "$T/trailer.out" | awk '{print $2}')
qpdf --show-object="$root" "$copy" > "$T/root.out"
! grep -Eq '/OpenAction|/Names << /(EmbeddedFiles|JavaScript)' "$T/root.out" ||
    fail "the catalog still has its open action or names: $(cat "$T/root.out")"
# Text and pages unchanged.
pdftotext "$src/active.pdf" "$T/orig.txt"
pdftotext "$copy" "$T/copy.txt"
cmp -s "$T/orig.txt" "$T/copy.txt" || fail "pdftotext of the copy differs from the original's"
grep -q "Discharge at Nagoya berth 4" "$T/copy.txt" || fail "the copy's text is missing"
[ "$(qpdf --show-npages "$copy")" = 2 ] || fail "the copy does not have 2 pages"
# The plain PDF is the original, byte for byte.
cmp -s "$src/plain.pdf" "$delivery/plain.pdf" || fail "a PDF without active content was changed"

# pdf=block-active: held back, saying what it holds; the plain one still passes.
STAGING=$T/staging-block WORKDIR=$T/work-block
policy_with pdf block-active
run_scan "$src"
expect_rc 1
expect_verdict active.pdf blocked "PDF with active content"
expect_verdict active.pdf blocked "JavaScript"
expect_verdict plain.pdf clean
expect_common
pass
