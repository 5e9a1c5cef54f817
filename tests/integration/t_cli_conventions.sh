#!/usr/bin/env bash
# t_cli_conventions.sh - what an operator or a script may rely on (kiosk(8), CONVENTIONS):
#  - every command and subcommand answers --help on stdout with exit 0;
#  - kiosk --version says the VERSION file, and so do MANIFEST.json's "generator", the
#    service-start audit record and kiosk status;
#  - usage errors exit 2 (a number that is not one: --workers abc); with --json every
#    failure is one JSON object {"status":"failed","error":...} on stdout;
#  - kiosk status: 2 service unreachable, 0 ready, 1 out of service; null, never -1 or
#    "none", for what is unknown;
#  - kiosk config check finds typos with their lines, and the service and scan refuse
#    such a file;
#  - the man pages document every command and every kiosk.conf key and format without
#    warnings; bash completion offers the commands, subcommands and options;
#  - the installed screen has no --test-control.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"

VERSION=$(cat "$ROOT/VERSION")
expect_exit() {  # expect_exit RC DESCRIPTION COMMAND...: run, keep stdout/stderr in $T/o, $T/e
    local want=$1 what=$2 rc; shift 2
    "$@" > "$T/o" 2> "$T/e" && rc=0 || rc=$?
    [ "$rc" = "$want" ] || { echo "--- stdout"; cat "$T/o"; echo "--- stderr"; cat "$T/e"; fail "$what: exit $rc, expected $want"; }
}
json_failed() {  # json_failed DESCRIPTION: $T/o is exactly one JSON failure object
    python3 - "$T/o" "$1" <<'EOF' || fail "$1: no JSON failure object on stdout: $(cat "$T/o")"
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
o = json.loads("".join(lines))
assert o["status"] == "failed" and isinstance(o["error"], str) and o["error"], o
EOF
}

# ---- --help everywhere, --version ----------------------------------------------------
cmds=$("$KIOSK" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF >= 2 && $1 != "Commands:" {print $1}')
[ "$(echo "$cmds" | wc -l)" -ge 14 ] || fail "kiosk --help lists too few commands: $cmds"
n=0
for c in $cmds; do
    expect_exit 0 "kiosk $c --help" "$KIOSK" $c --help
    [ -s "$T/o" ] || fail "kiosk $c --help printed nothing on stdout"
    n=$((n + 1))
    # A command with subcommands lists them; each answers --help too.
    subs=$(sed -n '/^Commands:/,/^$/p' "$T/o" | awk 'NF >= 2 && $1 != "Commands:" {print $1}')
    for s in $subs; do
        expect_exit 0 "kiosk $c $s --help" "$KIOSK" $c $s --help
        grep -q "^Usage:" "$T/o" || fail "kiosk $c $s --help: no usage"
        n=$((n + 1))
        expect_exit 2 "kiosk $c $s --no-such-option" "$KIOSK" $c $s --no-such-option
    done
    expect_exit 2 "kiosk $c --no-such-option" "$KIOSK" $c --no-such-option
done
# The other programs of the kiosk.
for p in kiosk-verify kiosk-publish; do
    expect_exit 0 "$p --help" "$BUILD/$p" --help
    grep -q "^Usage:" "$T/o" || fail "$p --help: no usage"
done
# The medium reader is not a command for people (not in kiosk --help), but answers --help.
expect_exit 0 "kiosk reader --help" "$KIOSK" reader --help
grep -q "^Usage:" "$T/o" || fail "kiosk reader --help: no usage"
[ "$("$BUILD/kiosk-verify" --version)" = "kiosk-verify $VERSION" ] || fail "kiosk-verify --version"
expect_exit 2 "kiosk-verify --json without --pubkey" "$BUILD/kiosk-verify" --json "$T"
json_failed "kiosk-verify --json without --pubkey"
log "$n commands and subcommands answer --help"
expect_exit 0 "kiosk --version" "$KIOSK" --version
[ "$(cat "$T/o")" = "kiosk $VERSION" ] || fail "kiosk --version says '$(cat "$T/o")'"
expect_exit 2 "kiosk with no command" "$KIOSK"
expect_exit 2 "kiosk no-such-command" "$KIOSK" no-such-command

# ---- usage errors and --json failures --------------------------------------------------
expect_exit 2 "scan --workers abc" "$KIOSK" scan --workers abc "$T"
grep -q "workers" "$T/e" || fail "--workers abc: the message does not name the option"
expect_exit 2 "scan --workers abc --json" "$KIOSK" scan --workers abc --json "$T"
json_failed "scan --workers abc --json"
expect_exit 2 "scan --workers -1" "$KIOSK" scan --workers -1 "$T"
expect_exit 2 "print --timeout soon" "$KIOSK" print --timeout soon last
expect_exit 2 "audit show --since x" "$KIOSK" audit show --since x "$T/none"
expect_exit 2 "scan --json without SOURCE" "$KIOSK" scan --json
json_failed "scan --json without SOURCE"
# A failure before the session: the signatures cannot be loaded.
mkdir -p "$T/src" "$T/nosigs"; make_csv "$T/src/list.csv"
expect_exit 2 "scan with no signatures" "$KIOSK" scan --json --policy "$POLICY" --signatures "$T/nosigs" \
    --staging "$STAGING" --audit-log "$AUDIT" --run-dir "$RUNDIR" --work-dir "$T/work" \
    --signing-key "$T/signing.key" "$T/src"
json_failed "scan --json with no signatures"
expect_exit 1 "staging list --json with a missing config" "$KIOSK" staging list --json --config "$T/none.conf"
json_failed "staging list --json with a missing config"
expect_exit 1 "watch --json with no service" "$KIOSK" watch --json --socket "$T/none.sock"
json_failed "watch --json with no service"

# ---- kiosk config check, and who refuses a bad file -------------------------------------
printf '[paths]\npolcy=/etc/kiosk/policy.conf\n[kiosk]\nlanguage=jp\n' > "$T/bad.conf"
expect_exit 1 "config check of a bad file" "$KIOSK" config check "$T/bad.conf"
diff <(grep -v 'problems;' "$T/e") - <<EOF || fail "config check: not every problem with its line"
$T/bad.conf:2: unknown key [paths] polcy
$T/bad.conf:4: [kiosk] language: 'jp' is not one of: en, ja
EOF
expect_exit 0 "config check of data/kiosk.conf" "$KIOSK" config check "$ROOT/data/kiosk.conf"
# An obsolete key: a warning with its line, and the file is still valid.
printf '[media]\ndriver-user=kiosk-fuse\n' > "$T/old.conf"
expect_exit 0 "config check of a file with an obsolete key" "$KIOSK" config check "$T/old.conf"
grep -qxF "$T/old.conf:2: warning: [media] driver-user is no longer used: filesystems are read by the medium reader, which runs as [media] reader-user; remove this line" "$T/e" ||
    fail "config check: no warning for the obsolete driver-user: $(cat "$T/e")"
grep -qxF "$T/old.conf: OK" "$T/o" || fail "config check: a file with an obsolete key is not OK: $(cat "$T/o")"
expect_exit 2 "scan with a bad config" "$KIOSK" scan --config "$T/bad.conf" "$T/src"
grep -qF "$T/bad.conf:2: unknown key [paths] polcy" "$T/e" || fail "scan: the config's problem is not named"
start_udevd
"$KIOSK" daemon --config "$T/bad.conf" --socket "$T/bad.sock" --run-dir "$T/badrun" > "$T/d.out" 2>&1 && rc=0 || rc=$?
[ "$rc" != 0 ] || fail "the service started with a bad kiosk.conf"
grep -qF "$T/bad.conf:2: unknown key [paths] polcy" "$T/d.out" || fail "the service did not say why: $(cat "$T/d.out")"
[ ! -e "$T/bad.sock" ] || fail "the service opened its socket with a bad kiosk.conf"

# ---- versions: manifest, service-start, status --------------------------------------
expect_exit 0 "kiosk scan of a clean folder" "$KIOSK" scan --json --policy "$POLICY" --signatures "$SIGS" \
    --staging "$STAGING" --audit-log "$AUDIT" --run-dir "$RUNDIR" --work-dir "$T/work" \
    --signing-key "$T/signing.key" "$T/src"
python3 - "$T/o" "$VERSION" <<'EOF' || fail "MANIFEST.json generator"
import json, os, sys
r = json.load(open(sys.argv[1]))
m = json.load(open(os.path.join(r["delivery"], "MANIFEST.json")))
assert m["generator"] == "kiosk " + sys.argv[2], m["generator"]
EOF
status() {  # status RC: kiosk status --json and text against the private service
    local rc=$1
    expect_exit "$rc" "kiosk status --json" "$KIOSK" status --json --policy "$POLICY" --signatures "$SIGS" \
        --staging "$STAGING" --audit-log "$AUDIT" --socket "$SOCK" --work-dir "$T/work" \
        --admin-state "$T/admin.state" --config "$T/kiosk.conf"
    cp "$T/o" "$T/status.json"
    expect_exit "$rc" "kiosk status" "$KIOSK" status --policy "$POLICY" --signatures "$SIGS" \
        --staging "$STAGING" --audit-log "$AUDIT" --socket "$SOCK" --work-dir "$T/work" \
        --admin-state "$T/admin.state" --config "$T/kiosk.conf"
    cp "$T/o" "$T/status.txt"
}
printf '[paths]\nsigning-key=%s\n' "$T/signing.key" > "$T/kiosk.conf"
status 2
python3 - "$T/status.json" "$VERSION" <<'EOF' || { cat "$T/status.json"; fail "status without a service"; }
import json, sys
s = json.load(open(sys.argv[1]))
assert s["state"] == "unreachable" and s["version"] == sys.argv[2], s
assert s["service"]["reachable"] is False and s["service"]["state"] is None, s["service"]
assert s["service"]["version"] is None, s["service"]
def walk(o):
    if isinstance(o, dict):
        for v in o.values(): walk(v)
    elif isinstance(o, list):
        for v in o: walk(v)
    else:
        assert o != -1 and o != "none" and o != "?", "placeholder %r in %s" % (o, sys.argv[1])
walk(s)
EOF
grep -q "SERVICE NOT REACHABLE" "$T/status.txt" || fail "status text: $(cat "$T/status.txt")"
start_daemon --work-dir "$T/work" --signing-key "$T/signing.key"
grep '"type":"service-start"' "$AUDIT" | grep -q "\"version\":\"$VERSION\"" || fail "service-start has no version"
status 0
python3 - "$T/status.json" "$VERSION" <<'EOF' || { cat "$T/status.json"; fail "status of a ready service"; }
import json, sys
s = json.load(open(sys.argv[1]))
assert s["state"] == "ready" and s["problems"] == [], (s["state"], s["problems"])
assert s["service"]["version"] == sys.argv[2] and s["service"]["state"] == "idle", s["service"]
EOF
grep -q "^kiosk        $VERSION: READY" "$T/status.txt" || fail "status text: $(cat "$T/status.txt")"
stop_daemon
SIGS=$T/nosigs start_daemon --work-dir "$T/work" --signing-key "$T/signing.key"
status 1
grep -q '"state" : "out-of-service"' "$T/status.json" || fail "status: not out of service: $(cat "$T/status.json")"
stop_daemon

# ---- man pages and completion ---------------------------------------------------------
for m in "$ROOT"/man/*.[158]; do
    w=$(groff -ww -z -man "$m" 2>&1) || true
    [ -z "$w" ] || fail "$(basename "$m"): groff warns: $w"
done
for c in $cmds; do
    grep -qE "^\.BI? \"?kiosk ${c//-/\\\\-}( |\"|$)" "$ROOT/man/kiosk.8" ||
        fail "kiosk(8) does not describe kiosk $c"
done
python3 - "$ROOT/man/kiosk.conf.5" <<EOF || fail "kiosk.conf(5) does not document every key"
import re, subprocess, sys
man = open(sys.argv[1]).read()
sections = {}
for m in re.finditer(r'^\.SH \[([a-z]+)\]\n(.*?)(?=^\.SH )', man, re.M | re.S):
    sections[m.group(1)] = m.group(2)
keys = subprocess.run(["$KIOSK", "config", "check", "--keys"], capture_output=True, text=True).stdout
missing = []
for line in keys.splitlines():
    g, k = re.match(r'\[([a-z]+)\] (\S+)', line).groups()
    if not re.search(r'^\.B[IR]? %s' % re.escape(k.replace("-", "\\\\-")), sections.get(g, ""), re.M):
        missing.append("[%s] %s" % (g, k))
if missing:
    sys.exit("not in kiosk.conf(5): %s" % missing)
EOF
if [ -f /usr/share/bash-completion/bash_completion ]; then
    comp() {  # comp WORD...: what completing the last word offers
        bash -c '. /usr/share/bash-completion/bash_completion; . "$1"; shift
            COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
            _kiosk; printf "%s\n" "${COMPREPLY[@]}"' _ "$ROOT/data/kiosk.bash-completion" "$@"
    }
    [ "$(comp kiosk sc)" = scan ] || fail "completion: kiosk sc -> $(comp kiosk sc)"
    [ "$(comp kiosk policy '' | sort | tr '\n' ' ')" = "--help check install " ] ||
        fail "completion: kiosk policy -> $(comp kiosk policy '')"
    PATH=$BUILD:$PATH comp kiosk scan --wor | grep -qx -- '--workers=' || fail "completion: kiosk scan --wor"
    listed=$(sed -n '/local commands="/,/"$/p' "$ROOT/data/kiosk.bash-completion" | tr -d '"' |
             sed 's/.*commands=//' | tr -s ' \n' '\n' | grep -v '^$' | sort)
    [ "$listed" = "$(echo "$cmds" | sort)" ] || fail "completion's commands differ from kiosk --help: $listed"
else
    fail "bash-completion is missing (make deps)"
fi

# ---- the screen -------------------------------------------------------------------------
if [ -x "$BUILD/kiosk-ui" ]; then
    "$BUILD/kiosk-ui" --test-control "$T/fifo" > "$T/o" 2>&1 && fail "kiosk-ui accepts --test-control"
    grep -q "Unknown option --test-control" "$T/o" || fail "kiosk-ui --test-control: $(cat "$T/o")"
    [ "$("$BUILD/kiosk-ui" --version)" = "kiosk-ui $VERSION" ] || fail "kiosk-ui --version"
    "$BUILD/kiosk-ui" --help > /dev/null || fail "kiosk-ui --help"
fi
pass
