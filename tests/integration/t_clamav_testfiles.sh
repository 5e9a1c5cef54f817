#!/usr/bin/env bash
# t_clamav_testfiles.sh - Debian clamav-testfiles in nested folders: none delivered (infected, or blocked by policy), a clean file still is.
. "$(dirname "$0")/lib.sh"

[ -d "$TESTFILES" ] || fail "clamav-testfiles not installed ($TESTFILES)"
src=$T/src; mkdir -p "$src/a/b/c" "$src/x/y"
i=0
for f in "$TESTFILES"/*; do
    case $((i % 3)) in 0) cp "$f" "$src/a/";; 1) cp "$f" "$src/a/b/c/";; 2) cp "$f" "$src/x/y/";; esac
    i=$((i + 1))
done
make_csv "$src/x/clean.csv"
build_ext4 "$T/stick.img" 32 "$src"

run_scan "$T/stick.img"
expect_rc 1
expect_verdict x/clean.csv clean
expect_json 'len(files) == '$((i + 1))
# every sample is held back; the allowed-type ones (zip, pdf, doc, ...) must be caught by the scanner
expect_json 'all(f["verdict"] in ("infected", "blocked") for f in files if "clam" in f["path"])'
for n in clam.zip clam.pdf clam.ole.doc clam.exe.html clam.tar.gz clam.7z; do
    expect_json 'any(f["path"].endswith("/'$n'") and f["verdict"] in ("infected", "blocked") for f in files)'
done
expect_json 'any(f["verdict"] == "infected" and f["reason"].startswith("Kiosk.Test.ClamAV-Test-File") for f in files)'
expect_json 'j["counts"]["delivered"] == 1'
expect_common
pass
