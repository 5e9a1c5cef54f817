#!/usr/bin/env python3
"""Assertions on `kiosk scan --json` output and on the staging folder (used by lib.sh).

    check.py json     JSON                       stdout is one JSON object of the contract
    check.py verdict  JSON PATH VERDICT [REASON-SUBSTRING] [PARTITION]
    check.py expr     JSON PYTHON-EXPR           expression over j (parsed JSON) is true
    check.py reason   JSON PATH CODE PARAMS-JSON the file's reason_code is CODE and its
                                                 reason_params exactly PARAMS-JSON, in the
                                                 --json output and in the MANIFEST.json
                                                 beside it (when one was written)
    check.py staging  JSON STAGING EXIT-CODE     staging holds exactly the delivered files
    check.py nothing  STAGING                    nothing published at all
    check.py tree     JSON SRC [OPTIONS]         every regular file below SRC is in the JSON
                                                 under its exact name (case-sensitive; bytes
                                                 that are not UTF-8: path_hex) with its size,
                                                 SHA-256 and modification time, and its
                                                 delivered copy keeps that time.  OPTIONS:
                                                 partition=N, created (a creation time is
                                                 given), delivered (every one is clean)

Exit 0 when the assertion holds; otherwise prints why and exits 1.
"""
import hashlib
import json
import os
import stat
import sys

VERDICTS = {"clean", "infected", "blocked", "error", "skipped", "sanitized"}


def die(msg):
    print("check: " + msg)
    sys.exit(1)


def load(path):
    raw = open(path, "rb").read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        die("stdout is not valid UTF-8: %s" % e)
    try:
        dec = json.JSONDecoder()
        obj, end = dec.raw_decode(text.lstrip())
    except ValueError as e:
        die("stdout is not JSON: %s; first bytes: %r" % (e, text[:200]))
    if text.lstrip()[end:].strip():
        die("stdout holds more than one JSON object / trailing text: %r" % text.lstrip()[end:][:200])
    if not isinstance(obj, dict):
        die("top-level JSON value is not an object")
    return obj


def norm(p):
    if p is None:
        return None
    while p.startswith("./"):
        p = p[2:]
    return p.lstrip("/")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cmd_json(args):
    j = load(args[0])
    for k in ("session", "status", "delivery", "files", "counts", "test_signatures"):
        if k not in j:
            die("missing key %r" % k)
    if j["status"] != "failed":
        p = j.get("publication")
        if not isinstance(p, dict) or p.get("state") not in ("published", "queued", "failed"):
            die("a checked session without a publication state: %r" % p)
        if not j.get("outbox") or not j.get("manifest"):
            die("a checked session without its outbox entry and manifest")
    if j["status"] not in ("delivered", "partial", "failed"):
        die("bad status %r" % j["status"])
    if j["test_signatures"] is not True:
        die("test_signatures is %r although the TEST database was used" % j["test_signatures"])
    if j["status"] == "failed" and not j.get("error"):
        die("status failed without an error text")
    for f in j["files"]:
        for k in ("path", "partition", "size", "sha256", "type", "verdict", "reason", "staged_path",
                  "mtime", "created"):
            if k not in f:
                die("file entry without %r: %r" % (k, f))
        for k in ("mtime", "created"):
            if f[k] is not None and not (isinstance(f[k], str) and len(f[k]) == 20 and f[k].endswith("Z")):
                die("%s is not an ISO 8601 UTC time: %r" % (k, f))
        if f["verdict"] not in VERDICTS:
            die("bad verdict %r" % f)
        if f["verdict"] == "sanitized":
            # a copy without active content: size/sha256/type are the copy's, the
            # original's are under "sanitized"
            sz = f.get("sanitized")
            if not isinstance(sz, dict) or not isinstance(sz.get("removed"), list) or not sz["removed"]:
                die("sanitized file without what was removed: %r" % f)
            o = sz.get("original")
            if not isinstance(o, dict) or not (isinstance(o.get("sha256"), str) and len(o["sha256"]) == 64) \
                    or not isinstance(o.get("size"), int):
                die("sanitized file without the original's SHA-256 and size: %r" % f)
            if not f["reason"]:
                die("sanitized file without a reason: %r" % f)
        elif "sanitized" in f:
            die("a %s file with a 'sanitized' member: %r" % (f["verdict"], f))
        if f["verdict"] in ("clean", "sanitized"):
            # (a session that failed after the scan delivered nothing: no staged_path)
            if not f["staged_path"] and j["status"] != "failed":
                die("clean file without staged_path: %r" % f)
            if f["staged_path"] and j["status"] == "failed":
                die("a failed session with a staged_path: %r" % f)
        elif f["staged_path"] is not None:
            die("undelivered file has a staged_path: %r" % f)
        if f["verdict"] in ("infected", "blocked", "error") and not f["reason"]:
            die("%s file without a reason: %r" % (f["verdict"], f))
        # every reason comes with its code and parameters (docs/protocol.md "Reason codes")
        if f["reason"]:
            code, params = f.get("reason_code"), f.get("reason_params")
            if not isinstance(code, str) or "." not in code or not isinstance(params, dict) \
                    or not all(isinstance(v, str) for v in params.values()):
                die("a reason without its reason_code and reason_params: %r" % f)
        elif "reason_code" in f or "reason_params" in f:
            die("a reason code without a reason: %r" % f)
        if f["verdict"] in ("clean", "sanitized", "infected") and not (
                isinstance(f["sha256"], str) and len(f["sha256"]) == 64):
            die("file read but no SHA-256: %r" % f)
    c = j["counts"]
    for v, key in ((("clean", "sanitized"), "delivered"), (("sanitized",), "sanitized"),
                   (("infected",), "infected"), (("blocked",), "blocked"),
                   (("error",), "error"), (("skipped",), "skipped")):
        n = sum(1 for f in j["files"] if f["verdict"] in v)
        # A session that failed after its files were checked delivered nothing: the
        # service may count its clean and sanitized files as 0 delivered
        # (session_audit_end_record), and so 0 safe copies.
        if key in ("delivered", "sanitized") and j["status"] == "failed" and c.get(key) == 0:
            continue
        if c.get(key) != n:
            die("counts.%s = %r but %d files have verdict %s" % (key, c.get(key), n, v))
    # counts.files: regular files; entries without a hash that are not regular files
    # (skipped entries, a too-deep folder) may or may not be counted.
    lo = sum(1 for f in j["files"] if f["sha256"] or f["verdict"] in ("clean", "sanitized", "infected", "error"))
    if not (lo <= (c.get("files") or 0) <= len(j["files"])):
        die("counts.files = %r but the list has %d entries" % (c.get("files"), len(j["files"])))
    return 0


def find(j, path, partition):
    want = norm(path)
    hits = [f for f in j["files"] if norm(f["path"]) == want
            and (not partition or str(f["partition"]) == str(partition))]
    if not hits:
        known = sorted(norm(f["path"]) for f in j["files"])
        die("no file %r (partition %s) in the JSON; files: %r" % (path, partition or "any", known[:60]))
    if len(hits) > 1:
        die("%d entries for %r; set PARTITION" % (len(hits), path))
    return hits[0]


def cmd_verdict(args):
    j = load(args[0])
    path, verdict = args[1], args[2]
    sub = args[3] if len(args) > 3 else ""
    part = args[4] if len(args) > 4 else ""
    f = find(j, path, part)
    if f["verdict"] != verdict:
        die("%s: verdict %r (reason %r), expected %r" % (path, f["verdict"], f["reason"], verdict))
    if sub and sub.lower() not in (f["reason"] or "").lower():
        die("%s: reason %r does not contain %r" % (path, f["reason"], sub))
    return 0


def cmd_reason(args):
    j = load(args[0])
    path, code, params = args[1], args[2], json.loads(args[3])
    f = find(j, path, "")
    if f.get("reason_code") != code or f.get("reason_params") != params:
        die("%s: reason_code %r reason_params %r (reason %r), expected %r %r" % (
            path, f.get("reason_code"), f.get("reason_params"), f.get("reason"), code, params))
    man = j.get("manifest")
    if man and os.path.exists(man):
        m = json.load(open(man, encoding="utf-8"))
        hits = [g for g in m.get("files", []) if norm(g.get("path")) == norm(f["path"])]
        if len(hits) != 1 or hits[0].get("reason_code") != code or hits[0].get("reason_params") != params \
                or hits[0].get("reason") != f.get("reason"):
            die("%s: MANIFEST.json %s has %r" % (path, man, hits))
    return 0


def cmd_expr(args):
    j = load(args[0])
    files = j["files"]
    env = {"j": j, "files": files, "norm": norm,
           "by_verdict": lambda v: [norm(f["path"]) for f in files if f["verdict"] == v],
           "any": any, "all": all, "len": len, "set": set, "sorted": sorted}
    try:
        ok = eval(args[1], env)
    except Exception as e:  # noqa: BLE001 - report any evaluation problem
        die("expression %r raised %r" % (args[1], e))
    if not ok:
        die("expression is false: %s" % args[1])
    return 0


def walk(top):
    """Relative paths of all entries below top: (files, dirs, others)."""
    files, dirs, others = set(), set(), set()
    for dp, dn, fn in os.walk(top):
        for n in dn + fn:
            full = os.path.join(dp, n)
            rel = os.path.relpath(full, top)
            st = os.lstat(full)
            if stat.S_ISREG(st.st_mode):
                files.add(rel)
            elif stat.S_ISDIR(st.st_mode):
                dirs.add(rel)
            else:
                others.add(rel)
    return files, dirs, others


def cmd_nothing(args):
    staging = args[0]
    if not os.path.isdir(staging):
        return 0
    for n in os.listdir(staging):
        if n != ".incoming":
            die("staging holds %r although nothing may be published" % n)
    inc = os.path.join(staging, ".incoming")
    if os.path.isdir(inc) and os.listdir(inc):
        die(".incoming is not empty after the run: %r" % os.listdir(inc))
    return 0


def cmd_staging(args):
    j = load(args[0])
    staging, rc = os.path.realpath(args[1]), int(args[2])
    files = j["files"]
    bad = [f for f in files if f["verdict"] in ("infected", "blocked", "error")]
    # exit code <-> status <-> verdicts
    if rc == 2:
        if j["status"] != "failed" or j["delivery"] is not None:
            die("exit 2 but status %r, delivery %r" % (j["status"], j["delivery"]))
        return cmd_nothing([staging])
    if rc == 0 and (bad or j["status"] != "delivered"):
        die("exit 0 but status %r and %d files not delivered" % (j["status"], len(bad)))
    if rc == 1 and (not bad or j["status"] != "partial"):
        die("exit 1 but status %r and %d files not delivered" % (j["status"], len(bad)))
    clean = {norm(f["staged_path"]): f for f in files if f["verdict"] in ("clean", "sanitized")}
    if len(clean) != sum(1 for f in files if f["verdict"] in ("clean", "sanitized")):
        die("two clean files share one staged_path")
    if j["publication"]["state"] != "published":
        die("the delivery was not published: %r" % j["publication"])
    top = set(os.listdir(staging))
    inc = os.path.join(staging, ".incoming")
    if os.path.isdir(inc) and os.listdir(inc):
        die(".incoming is not empty after the run: %r" % os.listdir(inc))
    top.discard(".incoming")
    if j["delivery"] is None:
        if clean:
            die("clean files but delivery is null")
        if top:
            die("delivery is null but staging holds %r" % sorted(top))
        return 0
    delivery = os.path.realpath(j["delivery"])
    if not os.path.isabs(j["delivery"]):
        die("delivery is not an absolute path: %r" % j["delivery"])
    if os.path.dirname(delivery) != staging or os.path.basename(delivery) != j["session"]:
        die("delivery %r is not STAGING/<session> (%s/%s)" % (delivery, staging, j["session"]))
    if top != {j["session"]}:
        die("staging holds %r, expected only the session folder %r" % (sorted(top), j["session"]))
    got, dirs, others = walk(delivery)
    if others:
        die("non-regular entries in the delivery: %r" % sorted(others))
    for kiosk_file in ("MANIFEST.json", "SHA256SUMS"):
        if kiosk_file not in got:
            die("no %s in the delivery" % kiosk_file)
    for kiosk_file in ("MANIFEST.json", "MANIFEST.json.sig", "SHA256SUMS", "SHA256SUMS.sig"):
        got.discard(kiosk_file)
    if got != set(clean):
        die("delivery holds %r; extra %r, missing %r" % (
            len(got), sorted(got - set(clean))[:20], sorted(set(clean) - got)[:20]))
    for rel, f in clean.items():
        p = os.path.join(delivery, rel)
        if os.path.getsize(p) != f["size"]:
            die("%s: size %d, JSON says %r" % (rel, os.path.getsize(p), f["size"]))
        if sha256_file(p) != f["sha256"]:
            die("%s: SHA-256 differs from the JSON" % rel)
    # The kiosk's own copy (outbox) and the published one are the same bytes.
    published_manifest = open(os.path.join(delivery, "MANIFEST.json"), "rb").read()
    if open(j["manifest"], "rb").read() != published_manifest:
        die("the published MANIFEST.json differs from the outbox copy %r" % j["manifest"])
    if hashlib.sha256(published_manifest).hexdigest() != j.get("manifest_sha256"):
        die("manifest_sha256 is not the SHA-256 of the published MANIFEST.json")
    # SHA256SUMS: every delivered file and the manifest, as sha256sum -c reads it.
    want = {rel: f["sha256"] for rel, f in clean.items()}
    want["MANIFEST.json"] = j["manifest_sha256"]
    have = {}
    for line in open(os.path.join(delivery, "SHA256SUMS"), encoding="utf-8").read().splitlines():
        if len(line) < 67 or line[64:66] != "  ":
            die("SHA256SUMS line %r is not in sha256sum's format" % line)
        have[line[66:]] = line[:64]
    if have != want:
        die("SHA256SUMS differs from the delivery: extra %r, missing %r" % (
            sorted(set(have) - set(want))[:10], sorted(set(want) - set(have))[:10]))
    try:
        m = json.load(open(os.path.join(delivery, "MANIFEST.json"), encoding="utf-8"))
    except ValueError as e:
        die("MANIFEST.json is not valid JSON: %s" % e)
    mfiles = m.get("files")
    if not isinstance(mfiles, list):
        die("MANIFEST.json has no files list")

    def key(f):
        return (norm(f.get("path")), str(f.get("partition")), f.get("verdict"), f.get("sha256"),
                norm(f.get("staged_path")), f.get("reason"), f.get("reason_code"),
                json.dumps(f.get("reason_params"), sort_keys=True))
    if sorted(map(key, mfiles), key=repr) != sorted(map(key, files), key=repr):
        die("MANIFEST.json files differ from the --json files")
    for rel, f in clean.items():
        if f["sha256"] != sha256_file(os.path.join(delivery, rel)):
            die("manifest hash mismatch for %s" % rel)
    return 0


def iso_utc(t):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def cmd_tree(args):
    j = load(args[0])
    src = args[1].encode()
    opts = dict(a.split("=", 1) if "=" in a else (a, "1") for a in args[2:])
    part = opts.get("partition")
    by_path = {}
    for f in j["files"]:
        if part and str(f["partition"]) != part:
            continue
        key = bytes.fromhex(f["path_hex"]) if f.get("path_hex") else f["path"].encode()
        if key in by_path:
            die("two entries for %r" % key)
        by_path[key] = f
    n = 0
    for dp, dn, fn in os.walk(src):
        for name in fn:
            full = os.path.join(dp, name)
            st = os.lstat(full)
            if not stat.S_ISREG(st.st_mode):
                continue
            rel = os.path.relpath(full, src)
            f = by_path.get(rel)
            if f is None:
                near = [k for k in by_path if k.lower() == rel.lower()]
                die("%r is not in the JSON under its exact name%s" % (
                    rel, "; only as %r" % near if near else ""))
            if f["size"] != st.st_size:
                die("%r: size %r, written %d" % (rel, f["size"], st.st_size))
            if f["sha256"] and f["sha256"] != sha256_file(full):
                die("%r: SHA-256 differs from what was written" % rel)
            if f["mtime"] != iso_utc(int(st.st_mtime)):
                die("%r: mtime %r, written %s" % (rel, f["mtime"], iso_utc(int(st.st_mtime))))
            if "created" in opts and not f["created"]:
                die("%r: no creation time" % rel)
            if "delivered" in opts and f["verdict"] != "clean":
                die("%r: %s (%s), expected clean" % (rel, f["verdict"], f["reason"]))
            if f["verdict"] == "clean":
                p = os.path.join(j["delivery"], f["staged_path"])
                dst = os.stat(p)
                if int(dst.st_mtime) != int(st.st_mtime):
                    die("%r: delivered with mtime %s, written %s" % (
                        rel, iso_utc(int(dst.st_mtime)), iso_utc(int(st.st_mtime))))
                if sha256_file(p) != f["sha256"]:
                    die("%r: the delivered copy differs" % rel)
            n += 1
    if n == 0:
        die("no file below %r" % src)
    print("check: %d files match by name, size, SHA-256 and time" % n)
    return 0


def main():
    cmds = {"json": cmd_json, "verdict": cmd_verdict, "expr": cmd_expr, "reason": cmd_reason,
            "staging": cmd_staging, "nothing": cmd_nothing, "tree": cmd_tree}
    if len(sys.argv) < 3 or sys.argv[1] not in cmds:
        print(__doc__)
        return 2
    return cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
