#!/usr/bin/env bash
# Install the Debian packages of tools/packages-*.txt that are not installed yet, and the
# kiosk's system users and groups (data/kiosk.sysusers, the file the package installs).
#
#     tools/deps.sh                      build + test + runtime lists (make deps)
#     tools/deps.sh LIST...              only these lists
#
# Needs root (apt-get, systemd-sysusers); does nothing when everything is present.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -gt 0 ]; then lists=("$@"); else
    lists=("$here/packages-build.txt" "$here/packages-test.txt" "$here/packages-runtime.txt")
fi
missing=()
while read -r pkg; do
    [ -n "$pkg" ] || continue
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done < <(sed 's/#.*//' "${lists[@]}" | tr -s ' \t' '\n' | grep -v '^$' | sort -u)

# The unprivileged users (docs/privsep.md): kiosk-scan runs the sandboxed scanner workers,
# kiosk-reader the medium reader ([media] reader-user in kiosk.conf; without it the kiosk
# reads no medium), kiosk-publish the publisher (docs/handoff.md); the groups kiosk (the
# event socket) and kiosk-tos (reads a local staging folder, [staging] group: put the TOS
# side's accounts, or the file server's, in it).  All from data/kiosk.sysusers.
ensure_users() {
    [ "$(id -u)" -eq 0 ] || return 0
    command -v systemd-sysusers >/dev/null || { echo "deps: systemd-sysusers is missing" >&2; return 1; }
    systemd-sysusers "$here/../data/kiosk.sysusers"
}
if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all packages present"
    ensure_users
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing packages: ${missing[*]}" >&2
    echo "deps: run 'make deps' as root (it uses apt-get install -y)" >&2
    exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q -o DPkg::Lock::Timeout=600
apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}"
ensure_users
