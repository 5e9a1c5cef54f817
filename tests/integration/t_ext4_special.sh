#!/usr/bin/env bash
# t_ext4_special.sh - ext4 with a symlink to /etc/shadow, a FIFO, a device node and a socket: skipped, never followed; /etc/shadow never in staging.
. "$(dirname "$0")/lib.sh"

src=$T/src; mkdir -p "$src/sub"
make_csv "$src/list.csv"
ln -s /etc/shadow "$src/shadow"
ln -s ../../../../../../etc/shadow "$src/sub/shadow-rel"
ln -s /etc "$src/etc-dir"
mkfifo "$src/pipe"
mknod "$src/null-dev" c 1 3
mknod "$src/sda-dev" b 8 0
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$src/sock"
build_ext4 "$T/stick.img" 16 "$src"

run_scan "$T/stick.img"
expect_rc 0   # skipped entries are not candidates: every regular file was delivered
expect_verdict list.csv clean
for p in shadow sub/shadow-rel etc-dir pipe null-dev sda-dev; do expect_verdict "$p" skipped; done
# the socket: recorded as skipped when mkfs.ext4 -d copied it
if debugfs -R 'ls -l /' "$T/stick.img" 2>/dev/null | grep -Eq '^ +[0-9]+ +140[0-7]{3} .* sock$'; then expect_verdict sock skipped; fi
expect_json 'j["counts"]["delivered"] == 1'
expect_common
# nothing in the delivery holds the contents of /etc/shadow or any file of /etc
shadow=$(sha256sum < /etc/shadow | cut -d' ' -f1)
d=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["delivery"])' "$SCAN_JSON")
if find "$d" -type f -exec sha256sum {} + | grep -q "^$shadow"; then fail "/etc/shadow content in staging"; fi
if grep -rqs '^root:' "$STAGING"; then fail "a passwd/shadow-like line in staging"; fi
find "$STAGING" ! -type f ! -type d | grep -q . && fail "non-regular entries in staging"
pass
