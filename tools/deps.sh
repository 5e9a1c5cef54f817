#!/usr/bin/env bash
# Install the Debian packages listed in tools/packages.txt that are not installed yet.
# Needs root (apt-get); does nothing when everything is present.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
list=${1:-$here/packages.txt}
missing=()
while read -r pkg; do
    pkg=${pkg%%#*}
    pkg=$(echo "$pkg" | tr -d '[:space:]')
    [ -n "$pkg" ] || continue
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done < "$list"
# The unprivileged users (docs/privsep.md): kiosk-scan runs the sandboxed scanner workers,
# kiosk-reader the medium reader ([media] reader-user in kiosk.conf; without it the kiosk
# reads no medium), kiosk-publish the publisher (docs/handoff.md).  The group kiosk-tos
# reads what a local staging folder holds ([staging] group): put the TOS side's accounts
# (or the file server's) in it.
ensure_users() {
    local u
    [ "$(id -u)" -eq 0 ] || return 0
    for u in kiosk-scan kiosk-reader kiosk-publish; do
        if ! getent passwd "$u" >/dev/null; then
            echo "deps: creating system user $u"
            useradd --system --user-group --no-create-home --home-dir /nonexistent \
                --shell /usr/sbin/nologin "$u"
        fi
    done
    if ! getent group kiosk-tos >/dev/null; then
        echo "deps: creating system group kiosk-tos"
        groupadd --system kiosk-tos
    fi
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
