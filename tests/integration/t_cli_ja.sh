#!/usr/bin/env bash
# t_cli_ja.sh - the CLI speaks the language of the environment (gettext, domain "kiosk"):
# `LANG=ja_JP.UTF-8 kiosk scan` words its summary and the held-back file's reason in
# Japanese (from the reason code) without a generated ja_JP locale, and without LANG it
# stays English; usage errors follow too.  The --json output is the same in both.
. "$(dirname "$0")/lib.sh"
src=$T/src; mkdir -p "$src"
echo "crew list" > "$src/crew.txt"
printf 'MZ\x90\x00\x03\x00\x00\x00not really a program' > "$src/tool.exe"
mkdir -p "$STAGING" "$RUNDIR"
scan() {  # scan LANG OUT
    env -u LC_ALL -u LC_MESSAGES -u LANGUAGE LANG="$1" TZ=Asia/Tokyo "$KIOSK" scan \
        --policy "$POLICY" --staging "$STAGING" --work-dir "$WORKDIR" --signing-key "$SIGNKEY" \
        --signatures "$SIGS" --audit-log "$AUDIT" --run-dir "$RUNDIR" "$src" > "$2" 2> "$2.err"
    local rc=$?
    [ "$rc" = 1 ] || { cat "$2" "$2.err"; fail "kiosk scan ($1) exit $rc, expected 1"; }
}
scan ja_JP.UTF-8 "$T/ja.out" || true
for s in "一部のファイルを保留しました: 2 件中 1 件を受け渡しました" "受け渡していないファイル:" \
         "ポリシーによりブロック" "許可されていない種類のファイルです: application/octet-stream" \
         "監査ログ:"; do
    grep -qF -- "$s" "$T/ja.out" || { cat "$T/ja.out"; fail "the Japanese output lacks '$s'"; }
done
for s in "type not allowed" "Some files held back" "Not delivered"; do
    grep -qF -- "$s" "$T/ja.out" && { cat "$T/ja.out"; fail "the Japanese output shows '$s'"; }
done
scan C.UTF-8 "$T/en.out" || true
for s in "Some files held back: 1 of 2 files delivered" "type not allowed: application/octet-stream"; do
    grep -qF -- "$s" "$T/en.out" || { cat "$T/en.out"; fail "the English output lacks '$s'"; }
done
if grep -qP '[\x{3040}-\x{30ff}\x{4e00}-\x{9fff}]' "$T/en.out"; then cat "$T/en.out"; fail "Japanese in the English output"; fi
# A usage error, in Japanese too.
env -u LC_ALL LANG=ja_JP.UTF-8 "$KIOSK" report x > /dev/null 2> "$T/usage.err" && fail "report without -o succeeded"
grep -qF -- "-o FILE.pdf を指定してください" "$T/usage.err" || { cat "$T/usage.err"; fail "usage error not in Japanese"; }
pass
