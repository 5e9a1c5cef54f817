#!/usr/bin/env bash
# t_ui_admin_stick.sh - the administrator's stick from the touch screen, against the real
# service in testing mode, under Xvfb (GSK_RENDERER=cairo), with simulated touches:
# log in -> "Update from USB stick" -> the screen asks for the stick -> a stick with a
# bundle whose file was changed after signing: refused, nothing installed -> again with a
# good bundle: installed (the new policy version is shown) -> "Export logs to USB stick" ->
# a writable loop device -> "Erase this stick? <which one>" -> erase -> exported and read
# back.
# The screen stays on the administrator's page throughout (no visitor session).
# Screenshots (LANG=en and ja): BUILD/ui-screenshots/admin-stick/.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
. "$(dirname "$0")/admin-lib.sh"

OUT=$BUILD/ui-screenshots/admin-stick
. "$(dirname "$0")/ui-lib.sh"
ui() { echo "$*" > "$CONTROL"; }

write_admin_config
make_admin_keys
LIVE=$T/policy.conf; cp "$POLICY" "$LIVE"; SCAN_POLICY=$LIVE
OURSIGS=$T/sigs; mkdir -p "$OURSIGS"; cp "$SIGS"/kiosk-test.* "$OURSIGS/"; SIGS=$OURSIGS
bundle() { # DIR: a bundle with policy version 7, signed
    local b=$1/kiosk-update; mkdir -p "$b"
    sed 's/^version=.*/version=7/' "$POLICY" > "$b/policy.conf"
    minisign -S -s "$T/ws/admin.key" -m "$b/policy.conf" >/dev/null
    sign_bundle "$b" admin policy.conf policy.conf.minisig
}
bundle "$T/good"; build_fat "$IMGDIR/good.img" 20 16 "$T/good" ADMIN >/dev/null
bundle "$T/bad"; echo '# changed' >> "$T/bad/kiosk-update/policy.conf"
build_fat "$IMGDIR/bad.img" 20 16 "$T/bad" ADMIN >/dev/null
truncate -s 64M "$IMGDIR/export.img"
printf '%s\n%s\n' 'Harbour#Crane-2024' 'Harbour#Crane-2024' |
    "$KIOSK" admin set-password --stdin --config "$T/kiosk.conf" --audit-log "$AUDIT" >/dev/null || fail "set-password"

start_udevd
start_daemon --config "$T/kiosk.conf"

run_ui() { # LANG
    CONTROL=$T/control-$1; rm -f "$CONTROL"; mkfifo "$CONTROL"
    start_ui "$1" --test-control "$CONTROL" --admin-timeout 120
    exec 7<>"$CONTROL" # keep the FIFO open between the commands
    expect_screen 20 's["screen"] == "waiting" and s["connected"]'
    ui click admin-button
    expect_screen 10 's["screen"] == "admin-login"'
    ui type admin-password Harbour#Crane-2024
    ui click admin-login
    expect_screen 10 's["screen"] == "admin-status"'
}
close_ui() {
    exec 7>&-
    stop_ui
}
# stick ACTION IMAGE: the screen asks for the stick; insert it; wait for the outcome.
stick() {
    local n; n=$(grep -c 'waiting for it' "$DLOG" || true)
    if [ "$1" = export ]; then
        ui click admin-stick-export
    else
        ui click admin-stick-update
    fi
    for _ in $(seq 100); do [ "$(grep -c 'waiting for it' "$DLOG" || true)" -gt "$n" ] && break; sleep 0.1; done
    [ "$(grep -c 'waiting for it' "$DLOG" || true)" -gt "$n" ] || dfail "the service was not asked for the stick ($1)"
    expect_screen 10 's["screen"] == "admin-status"'
    if [ "$1" = export ]; then
        LOOP=$(losetup -f --show "$IMGDIR/$2.img") || dfail "losetup"; _DLOOPS+=("$LOOP")
    else
        attach "$IMGDIR/$2.img"
    fi
}

run_ui en
stick update bad
expect_screen 60 's["screen"] == "admin-status" and "The update was refused" in labels and "differs from the signed list" in labels'
detach "$LOOP"
cmp -s "$LIVE" "$POLICY" || fail "a refused bundle changed the policy"
stick update good
expect_screen 60 's["screen"] == "admin-status" and "The update was installed" in labels and "version 7 installed" in labels'
detach "$LOOP"
cmp -s "$LIVE" "$T/good/kiosk-update/policy.conf" || fail "policy not installed"
expect_screen 30 '"version 7" in labels'  # the status, asked again, shows the new version
stick export export
expect_screen 30 '"Erase this stick" in labels and "export.img" in labels'
ui click admin-stick-confirm
expect_screen 60 's["screen"] == "admin-status" and "Exported" in labels and "read them back" in labels'
detach "$LOOP"
close_ui
for f in en-admin-status-stick-waiting en-admin-status-stick-failed en-admin-status-stick-done en-admin-status-stick-confirm; do
    [ -s "$OUT/$f.png" ] || fail "no screenshot $f"
done
grep -q '"type":"detected"' "$T/events.jsonl" 2>/dev/null && fail "a visitor session started"

# The same in Japanese, for the pictures and the catalogue: a refused bundle.
run_ui ja
stick update bad
# The refusal in Japanese from its reason code (admin.file-changed), not the service's English.
expect_screen 60 's["screen"] == "admin-status" and "署名済みの一覧と一致しません" in labels and "differs from" not in labels'
detach "$LOOP"
close_ui
[ -s "$OUT/ja-admin-status-stick-failed.png" ] || fail "no Japanese screenshot"
stop_daemon
expect_audit_ok
expect_no_leftovers
cat "$OUT/screens.log"
pass
