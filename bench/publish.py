#!/usr/bin/env python3
"""publish.py - the publication row of the benchmark (make bench, make bench-publish).

    bench/publish.py --build BUILD [--size MB | --tiny] [--reps N] [--out DIR]

A delivery of the bench corpus (gen-corpus.py; the clean files of `kiosk scan` of it) is
pushed to a private smbd on 127.0.0.1 (a throwaway configuration, stopped afterwards),
REPS times each, interleaved:
  smbclient-mput   smbclient -m SMB3 -c "recurse; prompt; mput *" of the delivery's files:
                   the upload alone, the floor
  kiosk-publish    `kiosk staging retry` of the outbox entry: the publisher's whole job
                   (start and confine, upload into .incoming/, flush, read every file back
                   and compare its SHA-256, rename)
Target: kiosk-publish at most 1.2x smbclient-mput.  Writes BUILD/bench/publish.json and
prints the table.  Needs root (the kiosk's users, smbd).
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
USER, PASSWORD = "nobody", "Bench-publish-2026!"


def log(msg):
    print("bench-publish: " + msg, file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_smbd(d, port):
    for sub in ("pid", "lock", "state", "cache", "private", "ncalrpc", "share"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    conf = os.path.join(d, "smb.conf")
    with open(conf, "w") as f:
        f.write("""[global]
  netbios name = KIOSKBENCH
  server role = standalone server
  smb ports = %(port)d
  bind interfaces only = yes
  interfaces = lo
  disable netbios = yes
  pid directory = %(d)s/pid
  lock directory = %(d)s/lock
  state directory = %(d)s/state
  cache directory = %(d)s/cache
  private dir = %(d)s/private
  ncalrpc dir = %(d)s/ncalrpc
  log file = %(d)s/log.smbd
  passdb backend = tdbsam:%(d)s/private/passdb.tdb
  map to guest = never
  load printers = no
  printcap name = /dev/null
  disable spoolss = yes
[bench]
  path = %(d)s/share
  read only = no
  force user = root
  valid users = %(user)s
""" % {"d": d, "port": port, "user": USER})
    subprocess.run(["smbpasswd", "-c", conf, "-s", "-a", USER], check=True,
                   input=("%s\n%s\n" % (PASSWORD, PASSWORD)).encode(), capture_output=True)
    p = subprocess.Popen(["smbd", "--foreground", "--debug-stdout", "-s", conf],
                         stdout=open(os.path.join(d, "smbd.out"), "ab"), stderr=subprocess.STDOUT)
    for _ in range(100):
        if smbclient(port, ".", "ls", check=False).returncode == 0:
            return p
        time.sleep(0.1)
    p.kill()
    raise SystemExit("bench-publish: smbd did not start")


def smbclient(port, cwd, cmd, check=True, folder=None):
    args = ["smbclient", "//127.0.0.1/bench", "-p", str(port), "-U", "%s%%%s" % (USER, PASSWORD),
            "-m", "SMB3", "-c", cmd]
    if folder:
        args[2:2] = ["-D", folder]
    return subprocess.run(args, cwd=cwd, check=check, capture_output=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--size", type=float, default=400)
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    kiosk = os.path.join(build, "kiosk")
    size = 4 if a.tiny else a.size
    out = os.path.abspath(a.out or os.path.join(build, "bench"))
    corpus = os.path.join(out, "corpus-%g" % size)
    os.makedirs(out, exist_ok=True)
    subprocess.run([sys.executable, os.path.join(HERE, "gen-corpus.py"), corpus,
                    "--size-mb", "%g" % size], check=True, stdout=subprocess.DEVNULL)
    tmp = tempfile.mkdtemp(prefix="kiosk-bench-publish.")
    smbd = None
    try:
        # The delivery: the clean files of the corpus, committed to an outbox.
        work, keys, audit = (os.path.join(tmp, n) for n in ("work", "keys", "audit.jsonl"))
        staging = os.path.join(tmp, "staging")
        r = subprocess.run([kiosk, "scan", "--policy", os.path.join(ROOT, "data/policy.conf"),
                            "--signatures", os.path.join(ROOT, "tests/data/signatures"),
                            "--staging", staging, "--work-dir", work, "--signing-key",
                            os.path.join(keys, "signing.key"), "--audit-log", audit,
                            "--run-dir", os.path.join(tmp, "run"), "--json", corpus],
                           capture_output=True)
        res = json.loads(r.stdout)
        session = res["session"]
        delivery = os.path.join(staging, session)
        files = sum(len(fs) for _, _, fs in os.walk(delivery))
        nbytes = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(delivery) for f in fs)
        log("delivery %s: %d files, %.1f MB" % (session, files, nbytes / 1e6))
        port = free_port()
        smbd = start_smbd(os.path.join(tmp, "smb"), port)
        share = os.path.join(tmp, "smb", "share")
        creds = os.path.join(tmp, "credentials")
        with open(creds, "w") as f:
            f.write("username=%s\npassword=%s\n" % (USER, PASSWORD))
        os.chmod(creds, 0o600)
        conf = os.path.join(tmp, "kiosk.conf")
        with open(conf, "w") as f:
            f.write("[staging]\ncredentials=%s\n" % creds)
        state = os.path.join(work, "outbox", session + ".json")
        samples = {"smbclient-mput": [], "kiosk-publish": []}
        for rep in range(a.reps):
            for row in samples:
                for e in os.listdir(share):
                    shutil.rmtree(os.path.join(share, e))
                subprocess.run(["sync"])
                if row == "smbclient-mput":
                    os.makedirs(os.path.join(share, "m"))
                    t0 = time.monotonic()
                    smbclient(port, delivery, "recurse ON; prompt OFF; mput *", folder="m")
                else:
                    st = json.load(open(state))
                    st["state"] = "queued"
                    json.dump(st, open(state, "w"))
                    t0 = time.monotonic()
                    subprocess.run([kiosk, "staging", "retry", "--config", conf, "--target",
                                    "smb://127.0.0.1:%d/bench/kiosk1" % port, "--work-dir", work,
                                    "--signing-key", os.path.join(keys, "signing.key"),
                                    "--audit-log", audit, "--socket", os.path.join(tmp, "none")],
                                   check=True, capture_output=True)
                samples[row].append(time.monotonic() - t0)
                log("%s run %d: %.2f s" % (row, rep + 1, samples[row][-1]))
        med = {k: statistics.median(v) for k, v in samples.items()}
        ratio = med["kiosk-publish"] / med["smbclient-mput"]
        result = {"files": files, "bytes": nbytes, "reps": a.reps, "median_s": med,
                  "samples": samples, "ratio": ratio, "target": 1.2}
        with open(os.path.join(out, "publish.json"), "w") as f:
            json.dump(result, f, indent=2)
        print("publication: %d files, %.1f MB to smbd on 127.0.0.1, median of %d" %
              (files, nbytes / 1e6, a.reps))
        print("%-16s %8s %8s" % ("row", "seconds", "MB/s"))
        for k, v in med.items():
            print("%-16s %8.2f %8.1f" % (k, v, nbytes / 1e6 / v))
        print("ratio (time): kiosk-publish/smbclient-mput %.2f (target <= 1.2)" % ratio)
    finally:
        if smbd:
            smbd.terminate()
            smbd.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
