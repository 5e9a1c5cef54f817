#!/usr/bin/env python3
"""check-screens.py - assert on what kiosk-ui showed, from the PNG + JSON pairs that
`kiosk-ui --screenshot-dir` saved (tests/ui/run-screens.sh).

    check-screens.py DIR WxH LANG [--pixels]

Checks, per screen: it exists (PNG and JSON), the window filled the screen, had no
decorations, every button/entry is at least 48 px, no label is cut off or outside the
window, the texts a visitor must see are there in LANG; with --pixels, the verdict colour
on each result screen (green only for "all delivered", never on another result)."""
import json
import re
import os
import subprocess
import sys

SCREENS = ["waiting", "queued", "checking", "scanning", "scanning-delivering",
           "result-some-held-back", "remove-media", "result-delivered",
           "result-delivered-edifact", "result-nothing",
           "result-failed", "refused", "out-of-service-signatures-old",
           "out-of-service-staging", "out-of-service-no-signatures",
           "out-of-service-service-down",
           "admin-login", "admin-login-failed", "admin-login-locked", "admin-status"]
# The fake service's administrator password (tests/ui/fake-service.py): never on a screen.
PASSWORD = "Harbour-Admin-2024!"

TEXTS = {
    "en": {
        "waiting": ["Insert USB media", "Vessel name", "IMO number", "Voyage", "Company",
                    "Person", "Save details", "日本語", "English", "管理者 / Administrator"],
        "queued": ["Please wait", "number 2 in line"],
        "checking": ["Checking the USB media", "Do not remove"],
        "scanning": ["Scanning", "3 of 9 files", "About 2 minutes left", "BAPLIE_VOY123W"],
        "scanning-delivering": ["Passing the clean files to the terminal"],
        "result-some-held-back": ["Some files held back", "TEST SIGNATURES",
                                  "Malware detected: Eicar-Signature",
                                  "Blocked by policy: executables are not allowed",
                                  "Could not be scanned: encrypted archive or document",
                                  "9 files checked", "5 delivered", "tos-share",
                                  "Print scan report"],
        "remove-media": ["Remove USB media", "Some files held back",
                         "Malware detected: Eicar-Signature"],
        # (the last delivered result: published, so "passed to the terminal" and where)
        "result-delivered": ["All files delivered", "3 delivered",
                             "Delivered files were passed to the terminal: smb://fs1/kiosk/p1"],
        "result-delivered-edifact": ["All files delivered", "3 delivered", "2024-06-11_0945_s2",
                                     "Shipping messages (EDIFACT):",
                                     "BAPLIE · MSC AURORA · voyage 124E · 1,834 containers",
                                     "MOVINS · MSC AURORA · voyage 124E · 412 containers",
                                     "Warning: stowage instruction is cut off in the middle of segment 1,211",
                                     "Please check your session details:",
                                     "this bay plan is for voyage 124E; you entered 123W"],
        "result-nothing": ["Nothing delivered", "Malware detected: Win.Trojan.Agent-123",
                           "No files were passed to the terminal."],
        "result-failed": ["Nothing delivered",
                          "The USB media was removed before the check finished."],
        "refused": ["This USB media cannot be used", "keyboard or mouse (HID)"],
        "out-of-service-signatures-old": ["Out of service", "too old", "call the administrator",
                                          "12 days old (at most 3 allowed)"],
        "out-of-service-staging": ["Out of service", "file share cannot be reached"],
        "out-of-service-no-signatures": ["Out of service", "database is missing"],
        "out-of-service-service-down": ["Out of service", "service is not running",
                                        "reconnects by itself"],
        "admin-login": ["Administrator login", "Administrator password", "Cancel", "Log in"],
        "admin-login-failed": ["Administrator login", "Wrong password. 1 attempt left before a lockout."],
        "admin-login-locked": ["Too many wrong passwords. Administrator login is locked for 15 more minutes."],
        "admin-status": ["Administrator: kiosk status", "Back to waiting screen", "Service",
                         "In service, waiting for USB media", "Signature database",
                         "Version 27310", "2 days old", "(at most 7 days allowed)",
                         "Built 2024-06-09", "Policy", "Tobishima-2024, version 7",
                         "Staging free space", "182.4\xa0GB free of 250.0\xa0GB", "Printer",
                         "Brother_HL-L2350DW", "Last sessions", "Reprint", "Session s1",
                         "3 files checked, 3 delivered", "9 files checked, 5 delivered, 2 malware, 1 blocked, 1 not scanned",
                         "Some held back", "Not completed", "logged out automatically"],
    },
    "ja": {
        "waiting": ["USBメモリを\n挿入してください", "本船名", "IMO番号", "航海番号", "保存する", "管理者 / Administrator"],
        "queued": ["お待ちください", "2番目"],
        "checking": ["USBメモリを確認中", "取り外さないでください"],
        "scanning": ["検査中", "3 / 9 ファイル", "残り約2分"],
        "scanning-delivering": ["ターミナルへ受け渡し中"],
        "result-some-held-back": ["一部のファイルを保留しました", "テスト用定義ファイル",
                                  "ウイルスを検出しました: Eicar-Signature",
                                  "ポリシーによりブロック: 実行ファイルは持ち込めません",
                                  "検査できませんでした: 暗号化（パスワード保護）",
                                  "検査結果を印刷"],
        "remove-media": ["USBメモリを取り外してください", "一部のファイルを保留しました",
                         "ウイルスを検出しました: Eicar-Signature"],
        "result-delivered": ["問題なし（すべて受け渡し済み）", "smb://fs1/kiosk/p1"],
        "result-delivered-edifact": ["問題なし（すべて受け渡し済み）", "船舶メッセージ（EDIFACT）:",
                                     "BAPLIE · MSC AURORA · 航海番号 124E · コンテナ 1,834個",
                                     "注意: 積付指示が途中で切れています",
                                     "申告内容をご確認ください:",
                                     "このベイプランは航海番号「124E」のものです"],
        "result-nothing": ["受け渡したファイルはありません", "ウイルスを検出しました: Win.Trojan.Agent-123"],
        "result-failed": ["受け渡したファイルはありません",
                          "検査の完了前にUSBメモリが取り外されました。"],
        "refused": ["このUSBメモリは使用できません", "キーボードやマウス（HID）"],
        "out-of-service-signatures-old": ["休止中", "定義ファイルが古すぎます", "管理者",
                                          "12 日前のものです（上限 3 日）"],
        "out-of-service-staging": ["休止中", "接続できません"],
        "out-of-service-no-signatures": ["休止中", "定義ファイルがありません"],
        "out-of-service-service-down": ["休止中", "検査サービスが動作していません"],
        "admin-login": ["管理者ログイン", "管理者パスワード", "キャンセル", "ログイン"],
        # The service's own English words are not repeated on a Japanese screen (issue 16).
        "admin-login-failed": ["パスワードが違います。あと1回間違えるとロックされます。"],
        "admin-login-locked": ["管理者ログインはあと15分間ロックされています。"],
        "admin-status": ["管理者: キオスクの状態", "待機画面に戻る", "検査サービス",
                         "稼働中（USBメモリ待ち）", "定義ファイル", "バージョン 27310", "2日経過",
                         "（上限7日）", "ポリシー", "Tobishima-2024（バージョン 7）",
                         "受け渡し先の空き容量", "空き 182.4\xa0GB（全体 250.0\xa0GB）", "プリンター",
                         "Brother_HL-L2350DW", "最近のセッション", "再印刷", "セッション s1", "一部受け渡しなし",
                         "自動的にログアウト"],
    },
}
# Words that must never be on a screen that is not "all delivered".
CLAIMS = {"en": ["All files delivered"], "ja": ["問題なし（すべて受け渡し済み）"]}
# No sentence of the other language (issue 16): on a Japanese screen no three English
# words in a row (names of files, signatures and the kiosk are single words or data), on
# an English screen no Japanese but the language button and the bilingual admin button.
ENGLISH_RUN = re.compile(r"\b[a-z]{2,} [a-z]{2,} [a-z]{2,}\b")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
BILINGUAL = {"日本語", "管理者 / Administrator"}

COLOURS = {"green": "#0B6E1F", "amber": "#FFB000", "red": "#B00020"}
VERDICT_COLOUR = {"result-delivered": "green", "result-delivered-edifact": "green",
                  "result-some-held-back": "amber",
                  "result-nothing": "red", "result-failed": "red"}

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def colour_counts(png):
    out = subprocess.run(["convert", png, "-alpha", "off", "-format", "%c", "histogram:info:-"],
                         capture_output=True, text=True, check=True).stdout
    counts = {}
    for line in out.splitlines():
        for name, hexc in COLOURS.items():
            if hexc in line.upper():
                counts[name] = counts.get(name, 0) + int(line.split(":")[0].strip())
    return counts


def main():
    d, size, lang = sys.argv[1], sys.argv[2], sys.argv[3]
    pixels = "--pixels" in sys.argv
    w, h = (int(x) for x in size.split("x"))
    for screen in SCREENS:
        name = "%s-%s" % (lang, screen)
        png, js = os.path.join(d, name + ".png"), os.path.join(d, name + ".json")
        if not os.path.exists(png) or not os.path.exists(js):
            fail("%s: no screenshot" % name)
            continue
        with open(js) as f:
            st = json.load(f)
        labels = st["labels"]
        if st["language"] != lang:
            fail("%s: language %s" % (name, st["language"]))
        if (st["width"], st["height"]) != (w, h):
            fail("%s: window %dx%d, screen %dx%d" % (name, st["width"], st["height"], w, h))
        if st["decorated"] or not st["fullscreen"]:
            fail("%s: decorated=%s fullscreen=%s" % (name, st["decorated"], st["fullscreen"]))
        if st["min_touch_target"] < 48:
            fail("%s: a touch target is %d px" % (name, st["min_touch_target"]))
        if any(PASSWORD in label for label in labels):
            fail("%s: the administrator password is on the screen" % name)
        for p in st["problems"]:
            fail("%s: %s" % (name, p))
        for text in TEXTS[lang][screen]:
            if not any(text in label for label in labels):
                fail("%s: %r not shown (shown: %r)" % (name, text, labels))
        for label in labels:
            if lang == "ja" and ENGLISH_RUN.search(label):
                fail("%s: English on the Japanese screen: %r" % (name, label))
            if lang == "en" and label not in BILINGUAL and JAPANESE.search(label):
                fail("%s: Japanese on the English screen: %r" % (name, label))
        if screen not in ("result-delivered", "result-delivered-edifact"):
            for text in CLAIMS[lang]:
                if any(text in label for label in labels):
                    fail("%s: claims %r" % (name, text))
        if pixels and screen in VERDICT_COLOUR:
            counts = colour_counts(png)
            want = VERDICT_COLOUR[screen]
            if counts.get(want, 0) < 0.02 * w * h:
                fail("%s: verdict colour %s covers only %d px" % (name, want, counts.get(want, 0)))
            for other in COLOURS:
                if other != want and counts.get(other, 0) > 0.01 * w * h:  # text may be red
                    fail("%s: %s verdict colour present (%d px)" % (name, other, counts[other]))
        print("ok: %s (%d texts)" % (name, len(TEXTS[lang][screen])))
    print("%d problems" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
