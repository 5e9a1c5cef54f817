#!/usr/bin/env bash
# t_long_path.sh - a file whose path is too long to be delivered (its place in the
# staging share would be over PATH_MAX, though it can be read from the medium) fails
# alone: the walk holds it back unread ("path too long (more than 3072 bytes): not
# checked", media/walk.c), every other file is delivered, the session ends "partial"
# (exit 1), not "failed".
. "$(dirname "$0")/lib.sh"

src=$T/src; mkdir -p "$src/plans"
make_edi "$src/plans/baplie.edi"; make_csv "$src/list.csv"
# 20 folders of 200 bytes and a file: about 4 030 bytes from the medium's root (readable:
# the kiosk opens it relative to the volume), over 4 096 once under the staging folder.
python3 - "$src" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
for i in range(20):
    name = ("%02d" % i) + "d" * 198
    os.mkdir(name, dir_fd=fd)
    nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    os.close(fd); fd = nfd
f = os.open("deep-list.csv", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
os.write(f, b"container,status\r\nMSCU1234565,F\r\n"); os.close(f)
PY
deep=$(python3 -c 'print("/".join(("%02d" % i) + "d" * 198 for i in range(20)) + "/deep-list.csv")')
[ ${#deep} -lt 4090 ] && [ $(( ${#deep} + ${#STAGING} + 40 )) -gt 4096 ] || fail "path lengths: ${#deep}"

run_scan "$src"
expect_rc 1
expect_json 'j["status"] == "partial"'
expect_verdict plans/baplie.edi clean
expect_verdict list.csv clean
expect_verdict "$deep" blocked "path too long"
expect_common
pass
