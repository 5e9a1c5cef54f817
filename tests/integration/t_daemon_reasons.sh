#!/usr/bin/env bash
# t_daemon_reasons.sh - the service gives every reason as a code with its parameters
# beside the English text (docs/protocol.md "Reason codes", issue 16): a refused device
# (an ext4 stick where the policy accepts FAT only) in the refused event, kiosk status
# --json and the device-refused audit record; a session with malware (EICAR from the
# test database), a program, a program named .pdf, a text named .pdf and an encrypted zip
# in the done event's held_back, the published MANIFEST.json and the audit file records.
# Compared exactly: code, every parameter, and the English sentence.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"

sed 's/^filesystems=.*/filesystems=vfat/' "$POLICY" > "$T/policy.conf"
grep -q '^filesystems=vfat$' "$T/policy.conf" || fail "the policy copy does not restrict the filesystems"
mkdir -p "$T/src-ext"; make_csv "$T/src-ext/list.csv"
build_ext4 "$IMGDIR/ext.img" 8 "$T/src-ext"
src=$T/src; mkdir -p "$src"
make_csv "$src/list.csv"; make_eicar "$src/eicar.com"; make_encrypted_zip "$src/secret.zip"
python3 - "$src" <<'PY'
import struct, sys, os
b = bytearray(1024); b[0:2] = b"MZ"; struct.pack_into("<HH", b, 2, 0x90, 3); struct.pack_into("<I", b, 0x3c, 0x80)
b[0x80:0x84] = b"PE\0\0"; struct.pack_into("<HH", b, 0x84, 0x14c, 1)
struct.pack_into("<HHH", b, 0x94, 0xe0, 0x102, 0x10b)
for n in ("tool.exe", "invoice.pdf"):
    open(os.path.join(sys.argv[1], n), "wb").write(b)
open(os.path.join(sys.argv[1], "notes.pdf"), "w").write("not a PDF at all\n")
PY
build_fat "$IMGDIR/stick.img" 16 16 "$src" STICK
printf '[paths]\nsocket=%s\n' "$SOCK" > "$T/kiosk.conf"

start_udevd
SCAN_POLICY=$T/policy.conf start_daemon
start_watch

# ---- a refused device ----------------------------------------------------------------
attach "$IMGDIR/ext.img"; ext=$LOOP
wait_event refused 1 30
"$KIOSK" status --config "$T/kiosk.conf" --json > "$T/status.json" 2>"$T/status.err" || true
detach "$ext"
wait_event idle 1 30
python3 - "$EVENTS" "$AUDIT" "$T/status.json" <<'PY' || dfail "reason code of the refused device"
import json, sys
want_code, want_params = "device.filesystem", {"fstype": "ext4"}
want_text = "the filesystem ext4 is not accepted at this kiosk"
ev = [json.loads(l) for l in open(sys.argv[1])]
r = [e for e in ev if e["type"] == "refused"][0]
assert (r["reason"], r["reason_code"], r["reason_params"]) == (want_text, want_code, want_params), r
audit = [json.loads(l) for l in open(sys.argv[2])]
d = [a for a in audit if a["type"] == "device-refused"]
assert len(d) == 1, d
d = d[0].get("data", d[0])
assert (d["reason"], d["reason_code"], d["reason_params"]) == (want_text, want_code, want_params), d
svc = json.load(open(sys.argv[3]))["service"]
assert svc["state"] == "refused", svc
assert (svc["reason"], svc["reason_code"], svc["reason_params"]) == (want_text, want_code, want_params), svc
PY

# ---- a session -----------------------------------------------------------------------
attach "$IMGDIR/stick.img"; stick=$LOOP
wait_event remove-media 1 60
sid=$(event_session detected 1)
[ -n "$sid" ] || dfail "no session id on detected"
wait_published "$sid" 120
detach "$stick"
wait_event idle 2 30
[ -f "$STAGING/$sid/MANIFEST.json" ] || dfail "no published MANIFEST.json"
python3 - "$EVENTS" "$sid" "$STAGING/$sid/MANIFEST.json" "$AUDIT" <<'PY' || dfail "reason codes of the session"
import json, sys
events, sid, manifest, audit = sys.argv[1:5]
prog_en = "programs and installers are not accepted"
prog_ja = "プログラムやインストーラーは持ち込めません"
exe = "application/vnd.microsoft.portable-executable"
want = {
    # path: (verdict, reason, code, params)
    "eicar.com": ("infected", "Kiosk.Test.EICAR.Body.UNOFFICIAL", "scan.infected",
                  {"signature": "Kiosk.Test.EICAR.Body.UNOFFICIAL"}),
    "tool.exe": ("blocked", prog_en, "policy.rule-block",
                 {"rule": "programs", "text": prog_en, "text_ja": prog_ja, "type": exe}),
    "invoice.pdf": ("blocked", "name does not match content: named .pdf but is %s (%s)" % (exe, prog_en),
                    "policy.name-mismatch-rule",
                    {"ext": "pdf", "type": exe, "text": prog_en, "text_ja": prog_ja}),
    "notes.pdf": ("blocked", "name does not match content: named .pdf but is text/plain",
                  "policy.name-mismatch", {"ext": "pdf", "type": "text/plain"}),
    "secret.zip": ("blocked", "encrypted archive or document: its contents cannot be checked "
                   "(Heuristics.Encrypted.Zip)", "scan.encrypted",
                   {"signature": "Heuristics.Encrypted.Zip"}),
}

def same(where, got):
    g = {e["path"]: (e["verdict"], e["reason"], e.get("reason_code"), e.get("reason_params"))
         for e in got if e["verdict"] != "clean"}
    if g != want:
        sys.exit("%s:\n got  %r\n want %r" % (where, g, want))

ev = [json.loads(l) for l in open(events)]
done = [e for e in ev if e["type"] == "done" and e["session"] == sid][0]
same("done.held_back", done["held_back"])
m = json.load(open(manifest))
same("MANIFEST.json", m["files"])
for f in m["files"]:
    if f["verdict"] == "clean":
        assert "reason_code" not in f and "reason_params" not in f, f
recs = [json.loads(l) for l in open(audit)]
files = [r.get("data", r) for r in recs if r["type"] == "file"]
same("audit file records", [f for f in files if f.get("session", sid) == sid])
PY
pass
