#!/usr/bin/env bash
# t_unformatted.sh - images without a filesystem (zeros, random bytes): exit 2 with a message, nothing published.
. "$(dirname "$0")/lib.sh"

truncate -s 16M "$T/zero.img"
head -c 8M /dev/urandom > "$T/random.img"
for img in zero random; do
    rm -rf "$STAGING"
    run_scan "$T/$img.img"
    expect_rc 2
    expect_json 'j["status"] == "failed" and j["delivery"] is None and j["error"]'
    # the cause as a code, the service's text as its parameter (docs/protocol.md)
    expect_json 'j["reason_code"] == "medium.no-filesystem" and j["reason_params"] == {"detail": j["error"]}'
    expect_nothing_published
    [ ! -f "$AUDIT" ] || expect_audit_ok
done
pass
