#!/usr/bin/env bash
# t_encrypted_volume.sh - a LUKS volume, whole-disk and as one partition beside a FAT one:
# never mounted, said in plain words; the readable partition is still checked.
. "$(dirname "$0")/lib.sh"

truncate -s 32M "$T/luks.img"
printf 'not-a-secret-test-key' | cryptsetup luksFormat --batch-mode --type luks2 \
    --pbkdf pbkdf2 --pbkdf-force-iterations 1000 "$T/luks.img" - >/dev/null 2>&1 ||
    fail "cryptsetup luksFormat failed"
run_scan "$T/luks.img"
expect_rc 2
expect_json 'j["status"] == "failed" and "encrypted" in j["error"] and j["delivery"] is None'
expect_json 'j["reason_code"] == "medium.encrypted" and j["reason_params"] == {"detail": j["error"]}'
expect_nothing_published
expect_audit_ok
pass
