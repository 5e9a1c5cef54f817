#!/usr/bin/env bash
# check-installed.sh - run inside a root where the kiosk's .debs were installed
# (tools/check-fresh.sh): the files, users, groups, folders, signing key and unit are in
# place.  One line "check-installed: ..." per finding; exit 1 on any problem.
set -uo pipefail
bad=0
ok() { echo "check-installed: ok   $*"; }
no() { echo "check-installed: FAIL $*"; bad=1; }

for f in /usr/bin/kiosk /usr/bin/kiosk-publish /usr/bin/kiosk-ui \
         /lib/systemd/system/kiosk.service /lib/udev/rules.d/90-kiosk.rules \
         /usr/lib/sysusers.d/kiosk.conf /usr/lib/tmpfiles.d/kiosk.conf \
         /usr/lib/sysusers.d/kiosk-ui.conf /usr/lib/tmpfiles.d/kiosk-ui.conf \
         /etc/kiosk/kiosk.conf /etc/kiosk/policy.conf \
         /usr/share/man/man8/kiosk.8.gz /usr/share/man/man5/kiosk.conf.5.gz \
         /usr/share/man/man5/kiosk-policy.5.gz /usr/share/man/man1/kiosk-ui.1.gz \
         /usr/share/man/man1/kiosk-verify.1.gz \
         /usr/share/doc/kiosk/service.md /usr/share/doc/kiosk/admin.md \
         /usr/share/doc/kiosk/examples/rsyslog-kiosk.conf \
         /usr/share/bash-completion/completions/kiosk \
         /usr/share/locale/ja/LC_MESSAGES/kiosk.mo; do
    [ -e "$f" ] && ok "$f" || no "$f is missing"
done
[ -x /usr/bin/kiosk-verify ] && ok "/usr/bin/kiosk-verify" || no "/usr/bin/kiosk-verify is missing"
# kiosk-verify needs glib, json-glib and libsodium only (a TOS machine installs it alone).
libs=$(ldd /usr/bin/kiosk-verify | awk '{print $1}' | grep -E 'clamav|cups|gtk|smbclient|magic|udev' || true)
[ -z "$libs" ] && ok "kiosk-verify links no kiosk-only library" || no "kiosk-verify links $libs"

for u in kiosk-scan kiosk-reader kiosk-publish kiosk-ui; do
    getent passwd "$u" >/dev/null && ok "user $u" || no "user $u is missing"
done
for g in kiosk kiosk-tos; do
    getent group "$g" >/dev/null && ok "group $g" || no "group $g is missing"
done
id -nG kiosk-ui | tr ' ' '\n' | grep -qx kiosk && ok "kiosk-ui is in group kiosk" || no "kiosk-ui is not in group kiosk"

# folder mode owner group
while read -r d mode owner group; do
    if [ ! -d "$d" ]; then no "$d is missing"; continue; fi
    got=$(stat -c '%a %U %G' "$d")
    [ "$got" = "$mode $owner $group" ] && ok "$d $got" || no "$d is '$got', expected '$mode $owner $group'"
done <<'EOT'
/etc/kiosk 755 root root
/etc/kiosk/admin-keys 700 root root
/var/lib/kiosk 700 root root
/var/lib/kiosk/work 700 root root
/var/log/kiosk 700 root root
/srv/kiosk/staging 2750 kiosk-publish kiosk-tos
/var/lib/kiosk-ui 750 kiosk-ui kiosk-ui
EOT

# The delivery signing key, made by postinst.
if [ -f /etc/kiosk/signing.key ] && [ "$(stat -c '%a %U' /etc/kiosk/signing.key)" = "600 root" ] &&
   [ -f /etc/kiosk/signing.pub ]; then ok "signing key /etc/kiosk/signing.key (0600 root)"
else no "no signing key made at installation"; fi

kiosk --version | grep -qx 'kiosk [0-9.]*' && ok "$(kiosk --version)" || no "kiosk --version"
kiosk-ui --version >/dev/null 2>&1 && ok "$(kiosk-ui --version)" || no "kiosk-ui --version"
kiosk config check /etc/kiosk/kiosk.conf >/dev/null && ok "kiosk config check /etc/kiosk/kiosk.conf" ||
    no "the installed kiosk.conf does not pass kiosk config check"
kiosk policy check /etc/kiosk/policy.conf >/dev/null && ok "kiosk policy check /etc/kiosk/policy.conf" ||
    no "the installed policy does not pass kiosk policy check"

# The unit: systemd-analyze verify (man: links checked with man-db), file: links exist.
if out=$(systemd-analyze verify /lib/systemd/system/kiosk.service 2>&1) && [ -z "$out" ]; then
    ok "systemd-analyze verify kiosk.service"
else
    no "systemd-analyze verify kiosk.service: $out"
fi
for u in $(sed -n 's/^Documentation=//p' /lib/systemd/system/kiosk.service | tr ' ' '\n' | sed -n 's|^file:||p'); do
    [ -f "$u" ] && ok "Documentation=file:$u" || no "Documentation=file:$u does not exist"
done
grep -q '^ExecStart=/usr/bin/kiosk daemon' /lib/systemd/system/kiosk.service && ok "ExecStart=/usr/bin/kiosk" ||
    no "ExecStart does not run /usr/bin/kiosk"
[ -L /etc/systemd/system/multi-user.target.wants/kiosk.service ] && ok "kiosk.service enabled" ||
    no "kiosk.service is not enabled"
exit $bad
