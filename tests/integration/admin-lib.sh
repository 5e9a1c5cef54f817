# admin-lib.sh - helpers for the administration tests (t_admin_*.sh), on top of lib.sh
# (and daemon-lib.sh for the service).
#
# sock_cmd LINE...: connect to $SOCK, send each JSON line, print every "reply" object (one
# per line) the service answers; the connection stays the same for all lines, so an
# admin-login holds for the commands after it.
sock_cmd() {
    python3 - "$SOCK" "$@" <<'PYEOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(30)
s.connect(sys.argv[1])
f = s.makefile("rw")
for line in sys.argv[2:]:
    f.write(line + "\n"); f.flush()
    while True:
        l = f.readline()
        if not l:
            sys.exit("connection closed")
        o = json.loads(l)
        if o.get("type") == "reply":
            print(json.dumps(o)); sys.stdout.flush()
            break
PYEOF
}
# A kiosk config with the administration paths under $T.
write_admin_config() {
    cat > "$T/kiosk.conf" <<EOC
[paths]
admin-keys=$T/admin-keys
admin-state=$T/state/admin.state
[admin]
lockout-seconds=${LOCKOUT:-3}
[scan]
max-signature-age-days=${MAX_AGE:-7}
EOC
}

# make_admin_keys: $T/admin-keys/admin.pub (trusted; folder 0755 as the kiosk demands) and
# the workstation's keys in $T/ws: admin.key, and stranger.{key,pub} (not trusted).
make_admin_keys() {
    mkdir -m 0755 "$T/admin-keys" "$T/ws"
    minisign -G -W -p "$T/admin-keys/admin.pub" -s "$T/ws/admin.key" >/dev/null || fail "minisign -G"
    minisign -G -W -p "$T/ws/stranger.pub" -s "$T/ws/stranger.key" >/dev/null || fail "minisign -G"
}
# sign_bundle DIR KEY FILE...: SHA256SUMS of FILE... in DIR, signed with $T/ws/KEY.key, as
# an administrator prepares an update stick (docs/admin.md section 7).
sign_bundle() {
    local dir=$1 key=$2; shift 2
    (cd "$dir" && sha256sum "$@" > SHA256SUMS) || fail "sha256sum in $dir"
    minisign -S -s "$T/ws/$key.key" -m "$dir/SHA256SUMS" >/dev/null || fail "minisign $dir/SHA256SUMS"
}
