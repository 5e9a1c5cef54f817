#!/usr/bin/env bash
# t_encrypted_zip.sh - a password-protected zip cannot be scanned: blocked; the rest delivered.
. "$(dirname "$0")/lib.sh"

src=$T/src; mkdir -p "$src"
make_encrypted_zip "$src/secret.zip"
(cd "$src" && make_csv list.csv && zip -q -X plain.zip list.csv)
build_fat "$T/stick.img" 40 32 "$src"

run_scan "$T/stick.img"
expect_no_label_file "KIOSKTEST"
expect_rc 1
expect_verdict secret.zip blocked
expect_verdict plain.zip clean
expect_verdict list.csv clean
expect_json 'any(w in (f["reason"] or "").lower() for f in files if f["path"].lower().endswith("secret.zip") for w in ("encrypt", "password"))'
# the reason as a code: the signature name stays as libclamav gave it
expect_reason secret.zip scan.encrypted '{"signature": "Heuristics.Encrypted.Zip"}'
expect_common
pass
