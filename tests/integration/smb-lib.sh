# smb-lib.sh - a private Samba server for the hand-off tests (source after lib.sh):
#
#     start_smbd         smbd on 127.0.0.1:$SMB_PORT (a free port), a throwaway
#                        configuration, passdb and state under $T/smb; nothing system-wide
#     stop_smbd          stop it (by pid); the shares stay for inspection until the end
#     smb_fetch SESSION DIR    the TOS side: smbclient fetches SESSION/ from the share into DIR
#     smb_ls             what the share's folder holds (smbclient, recursive)
#
# Shares (all for user $SMB_USER = "nobody" in the private passdb, password $SMB_PASS):
#     deliveries   $SMB_SHARE, read-write          (target $SMB_TARGET = .../deliveries/kiosk1)
#     ro           read-only
#     full         a 2 MiB tmpfs: writes fail with "disk full"
# $SMB_CREDS is the kiosk's credentials file for it (mode 0600).
# (beside $T, not in it: the full share is a mount, and run_scan wants no mount under $T)
SMB_DIR=$(mktemp -d /tmp/kiosk-smb.XXXXXX)
SMB_USER=nobody
SMB_PASS='Kiosk-test-2026!'
SMB_SHARE=$SMB_DIR/share
SMB_CREDS=$SMB_DIR/credentials
SMBD_PID=
SMB_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SMB_TARGET=smb://127.0.0.1:$SMB_PORT/deliveries/kiosk1

_smb_cleanup() {
    stop_smbd
    if [ -d "$SMB_DIR/full" ] && mountpoint -q "$SMB_DIR/full"; then umount "$SMB_DIR/full" || true; fi
    if [ "${KIOSK_KEEP:-0}" = 1 ]; then echo "kept $SMB_DIR" >&2; else rm -rf "$SMB_DIR"; fi
}

smb_setup() {  # the folders, configuration, passdb and credentials (start_smbd calls it)
    local d
    for d in pid lock state cache private ncalrpc share ro full; do mkdir -p "$SMB_DIR/$d"; done
    mount -t tmpfs -o size=2m,mode=0755 kiosk-smb-full "$SMB_DIR/full" || fail "cannot mount the full share's tmpfs"
    cat > "$SMB_DIR/smb.conf" <<EOF
[global]
  netbios name = KIOSKTEST
  workgroup = WORKGROUP
  server role = standalone server
  smb ports = $SMB_PORT
  bind interfaces only = yes
  interfaces = lo
  disable netbios = yes
  pid directory = $SMB_DIR/pid
  lock directory = $SMB_DIR/lock
  state directory = $SMB_DIR/state
  cache directory = $SMB_DIR/cache
  private dir = $SMB_DIR/private
  ncalrpc dir = $SMB_DIR/ncalrpc
  log file = $SMB_DIR/log.smbd
  log level = 1
  passdb backend = tdbsam:$SMB_DIR/private/passdb.tdb
  map to guest = never
  load printers = no
  printcap name = /dev/null
  disable spoolss = yes
  server min protocol = SMB2_10
  # the SMB user maps to "nobody"; the files are written as root (the test's folders
  # are 0700)
  force user = root
[deliveries]
  path = $SMB_SHARE
  read only = no
  valid users = $SMB_USER
[ro]
  path = $SMB_DIR/ro
  read only = yes
  valid users = $SMB_USER
[full]
  path = $SMB_DIR/full
  read only = no
  valid users = $SMB_USER
EOF
    printf '%s\n%s\n' "$SMB_PASS" "$SMB_PASS" | smbpasswd -c "$SMB_DIR/smb.conf" -s -a "$SMB_USER" >/dev/null 2>&1 ||
        fail "smbpasswd cannot add $SMB_USER to the private passdb"
    printf 'username = %s\npassword = %s\ndomain = WORKGROUP\n' "$SMB_USER" "$SMB_PASS" > "$SMB_CREDS"
    chmod 600 "$SMB_CREDS"
}

start_smbd() {
    [ -f "$SMB_DIR/smb.conf" ] || smb_setup
    # (its own process group, the default: stopping it must not signal the test)
    smbd --foreground --debug-stdout -s "$SMB_DIR/smb.conf" >> "$SMB_DIR/smbd.out" 2>&1 &
    SMBD_PID=$!
    local i
    for ((i = 0; i < 100; i++)); do
        if smbclient "//127.0.0.1/deliveries" -p "$SMB_PORT" -U "$SMB_USER%$SMB_PASS" -m SMB3 \
            -c 'ls' >/dev/null 2>&1; then
            log "smbd $SMBD_PID listening on 127.0.0.1:$SMB_PORT"
            return 0
        fi
        kill -0 "$SMBD_PID" 2>/dev/null || { tail -20 "$SMB_DIR/smbd.out"; fail "smbd exited at start"; }
        sleep 0.1
    done
    fail "smbd did not answer on port $SMB_PORT"
}

stop_smbd() {
    [ -n "$SMBD_PID" ] || return 0
    kill "$SMBD_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do kill -0 "$SMBD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SMBD_PID" 2>/dev/null || true
    wait "$SMBD_PID" 2>/dev/null || true
    # Its per-connection children: none may be left serving.
    pkill -9 -f -- "smbd --foreground --debug-stdout -s $SMB_DIR/smb.conf" 2>/dev/null || true
    SMBD_PID=
}

# smb_fetch SESSION DIR: what a TOS-side machine would copy.
smb_fetch() {
    mkdir -p "$2"
    smbclient "//127.0.0.1/deliveries" -p "$SMB_PORT" -U "$SMB_USER%$SMB_PASS" -m SMB3 \
        -D "kiosk1" -c "lcd $2; recurse ON; prompt OFF; mget $1" > "$T/smbclient.out" 2>&1 ||
        { cat "$T/smbclient.out"; fail "smbclient cannot fetch $1"; }
    [ -d "$2/$1" ] || { cat "$T/smbclient.out"; fail "smbclient fetched nothing of $1"; }
}

# Stop smbd and unmount the full share before what lib.sh (and daemon-lib.sh) clean up.
_smb_prev_trap=$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")
trap '_src=$?; _smb_cleanup; (exit $_src); '"$_smb_prev_trap" EXIT
