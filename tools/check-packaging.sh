#!/usr/bin/env bash
# check-packaging.sh - the Debian package and the package lists say the same thing:
# debian/control's Build-Depends are tools/packages-build.txt (less what every Debian
# build has: build-essential, debhelper, dpkg-dev), and the package's Depends come from
# tools/packages-runtime.txt (debian/rules).  Prints each difference; exit 1 if any.
set -euo pipefail
cd "$(dirname "$0")/.."
lst() { sed 's/#.*//' "$1" | tr -s ' \t' '\n' | grep -v '^$' | sort -u; }
want=$(lst tools/packages-build.txt | grep -vxE 'build-essential|debhelper|dpkg-dev')
have=$(sed -n '/^Build-Depends:/,/^$/p' debian/control | sed 's/^Build-Depends://; s/#.*//' |
       tr ',' '\n' | sed 's/(.*)//; s/^[[:space:]]*//; s/[[:space:]]*$//' | grep -v '^$' |
       grep -v '^debhelper-compat' | sort -u)
rc=0
for p in $(comm -23 <(echo "$want") <(echo "$have")); do
    echo "debian/control: Build-Depends lacks $p (tools/packages-build.txt lists it)"; rc=1
done
for p in $(comm -13 <(echo "$want") <(echo "$have")); do
    echo "debian/control: Build-Depends has $p, which tools/packages-build.txt does not list"; rc=1
done
grep -q '\${kiosk:Runtime}' debian/control || { echo "debian/control: kiosk does not depend on \${kiosk:Runtime}"; rc=1; }
exit $rc
