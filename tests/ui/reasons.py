#!/usr/bin/env python3
"""reasons.py - the inputs and checks of t_ui_reasons (every reason code, both languages).

    reasons.py screen-script SAMPLES LANG > script.json
        a fake-service script (tests/ui/fake-service.py): one event per reason code, the
        way the service sends it (refused for device.*, out-of-service for service.*,
        failed for session.*, else a held-back file of a "done"), each followed by an
        "expect": the sentence in LANG is visible, the other language's is not.
    reasons.py manifest SAMPLES SESSION LANG > MANIFEST.json
        a manifest whose files carry every reason code (and "language": LANG).
    reasons.py shot-script SAMPLES LANG CASE > script.json
        one screen for the screenshots of t_ui_reason_shots: CASE is keyboard (a stick
        that is also a keyboard, refused), program (an .exe blocked by the policy's own
        rule, with its reason[ja]), encrypted (a password-protected zip) or malware.
    reasons.py pdf-check SAMPLES TEXT LANG
        TEXT (pdftotext of the report's reason column) holds every sentence in LANG and
        none in the other language.  Whitespace and hyphens are ignored on both sides
        (the column wraps long words).
"""
import json
import re
import sys


def load(path):
    return json.load(open(path, encoding="utf-8"))


def other(lang):
    return "en" if lang == "ja" else "ja"


def verdict_of(code):
    if code.startswith("scan.infected"):
        return "infected"
    if code.startswith(("policy.", "disarm.")):
        return "blocked"
    return "error"


def reason_fields(e):
    return {"reason": e["reason"], "reason_code": e["code"], "reason_params": e["params"]}


def screen_script(samples, lang):
    steps = [{"expect": {"screen": "waiting", "connected": True}}]
    # out-of-service last: it stays until the service says otherwise
    order = sorted(samples, key=lambda e: e["code"].startswith("service."))
    for i, e in enumerate(order):
        code, session = e["code"], "r%d" % i
        if code.startswith("device."):
            ev = {"type": "refused", "session": session,
                  "device": {"vendor": "Generic", "model": "USB Keyboard", "serial": "",
                             "size": -1, "devnode": "/dev/sdz"}}
            screen = "refused"
        elif code.startswith("service."):
            ev = {"type": "out-of-service", "code": "unknown"}
            screen = "out-of-service"
        elif code.startswith("session."):
            ev = {"type": "failed", "session": session}
            screen = "result"
        else:
            ev = {"type": "done", "session": session, "status": "partial",
                  "counts": {"files": 2, "delivered": 1, "infected": 0, "blocked": 0,
                             "error": 0, "skipped": 0},
                  "delivery": "/srv/kiosk/staging/" + session, "manifest_sha256": "9f2c",
                  "held_back": [dict({"path": "docs/file-%d.bin" % i,
                                      "verdict": verdict_of(code)}, **reason_fields(e))],
                  "test_signatures": False}
            screen = "result"
        if ev["type"] != "done":
            ev.update(reason_fields(e))
        want = {"screen": screen, "language": lang, "labels_include": [e[lang]],
                "timeout": 10}
        if e[other(lang)] != e[lang]:
            want["labels_exclude"] = [e[other(lang)]]
        steps += [{"send": ev}, {"expect": want}]
    return steps


def manifest(samples, session, lang):
    files = []
    for i, e in enumerate(samples):
        f = {"path": "docs/%s.bin" % e["code"], "size": 1000 + i, "sha256": "%064x" % i,
             "verdict": verdict_of(e["code"])}
        f.update(reason_fields(e))
        files.append(f)
    return {"session": session, "status": "partial", "language": lang,
            "started": "2026-11-22T02:15:00Z", "finished": "2026-11-22T02:16:00Z",
            "counts": {"files": len(files), "delivered": 0, "infected": 1,
                       "blocked": 0, "error": 0, "skipped": 0},
            "files": files}


SHOT_CASES = {
    # case: (reason code, file on the stick or None for a refused device, verdict)
    "keyboard": ("device.hid-interface", None, None),
    "program": ("policy.rule-block", "tools/setup.exe", "blocked"),
    "encrypted": ("scan.encrypted", "docs/crew-list.zip", "error"),
    "malware": ("scan.infected", "invoice.pdf.exe", "infected"),
}


def shot_script(samples, lang, case):
    code, path, verdict = SHOT_CASES[case]
    e = next(x for x in samples if x["code"] == code)
    if path is None:
        ev = {"type": "refused", "session": "k1",
              "device": {"vendor": "Generic", "model": "USB Keyboard Hub", "serial": "",
                         "size": 8000000000, "devnode": "/dev/sdb"}}
        ev.update(reason_fields(e))
        screen = "refused"
    else:
        ev = {"type": "done", "session": "k1", "status": "partial",
              "counts": {"files": 12, "delivered": 11, "infected": int(verdict == "infected"),
                         "blocked": int(verdict == "blocked"), "error": int(verdict == "error"),
                         "skipped": 0},
              "delivery": "\\\\tos-share\\incoming\\2026-11-22_0215_k1",
              "manifest_sha256": "9f2c",
              "held_back": [dict({"path": path, "verdict": verdict}, **reason_fields(e))],
              "test_signatures": False}
        screen = "result"
    want = {"screen": screen, "language": lang, "labels_include": [e[lang]], "timeout": 15}
    if e[other(lang)] != e[lang]:
        want["labels_exclude"] = [e[other(lang)]]
    return [{"expect": {"screen": "waiting", "connected": True}}, {"send": ev},
            {"expect": want}, {"sleep": 0.5}]


def norm(s):
    return re.sub(r"[\s\-\u2010]", "", s)


def pdf_check(samples, text, lang):
    t = norm(text)
    bad = []
    for e in samples:
        if norm(e[lang]) not in t:
            bad.append("%s: the %s sentence is missing: %s" % (e["code"], lang, e[lang]))
        if e[other(lang)] != e[lang] and norm(e[other(lang)]) in t:
            bad.append("%s: the %s sentence is shown: %s" % (e["code"], other(lang),
                                                            e[other(lang)]))
    for b in bad:
        print(b)
    return 1 if bad else 0


def main():
    what, samples = sys.argv[1], load(sys.argv[2])
    if what == "screen-script":
        json.dump(screen_script(samples, sys.argv[3]), sys.stdout, ensure_ascii=False, indent=1)
    elif what == "manifest":
        json.dump(manifest(samples, sys.argv[3], sys.argv[4]), sys.stdout, ensure_ascii=False,
                  indent=1)
    elif what == "shot-script":
        json.dump(shot_script(samples, sys.argv[3], sys.argv[4]), sys.stdout,
                  ensure_ascii=False, indent=1)
    elif what == "pdf-check":
        sys.exit(pdf_check(samples, open(sys.argv[3], encoding="utf-8").read(), sys.argv[4]))
    else:
        sys.exit("unknown command " + what)


if __name__ == "__main__":
    main()
