#!/usr/bin/env python3
"""bench.py - the kiosk's benchmark against clamscan and clamd (run it through bench/run.sh).

    bench/bench.py --build BUILD [--size MB | --tiny] [--reps N] [--warm] [--only ROWS]
                   [--workers N] [--out DIR]

Makes (cached under BUILD/bench/) the synthetic signature database, the corpus and a FAT32
image of it, then measures, REPS times each, interleaved:
  read         raw read of every corpus file (find | xargs cat > /dev/null): the I/O floor
  clamscan     clamscan -r -d DB (one core, loads the database every time; total time)
  clamscan-load  clamscan -d DB on one empty file: its database load alone
  clamd        clamdscan --multiscan --fdpass against a fresh clamd (MaxThreads = cores),
               timed from clamd answering PING (database loaded) until clamdscan exits
  kiosk        kiosk scan of the corpus folder, timed from the "engine loaded" log line
               until the JSON result starts arriving (copy, hash, type, scan, deliver,
               manifest, audit, publish); engine load reported apart
  kiosk-nocdr  the kiosk row as before content disarm (policy macros=block, pdf=allow):
               kiosk/kiosk-nocdr is what sanitizing Office files and PDFs costs
  kiosk-fat    the same on a FAT32 image of the corpus (the medium reader: the media layer)
  kiosk-exfat  the same on an exFAT image
  kiosk-ntfs   the same on an NTFS image
  clamd-dup    fresh clamd on the corpus plus copies of 10 % of its files (dups/)
  kiosk-dup    kiosk scan of that folder (one engine scan per distinct content)
  clamd-warm   clamd's second clamdscan of the corpus (its clean cache warm)
  kiosk-repeat kiosk scan of the corpus a second time, its verdict cache warm (the first,
               untimed run in the same work dir filled it)
  kiosk-20copies    kiosk scan of 20 copies of one 12 MB text file
  kiosk-20different kiosk scan of 20 different 12 MB text files of the same make
Cold cache by default: caches are dropped (sync; echo 3 > /proc/sys/vm/drop_caches)
before each measurement (for clamd: after it has loaded); --warm, or when dropping is
not permitted, reads the data once before each measurement instead.
Writes BUILD/bench/results.json and prints the table.  Needs root for kiosk-fat and the
cache drop.
"""
import argparse
import fcntl
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CLK = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1
ROWS = ["read", "clamscan", "clamscan-load", "clamd", "kiosk", "kiosk-nocdr", "kiosk-fat", "kiosk-exfat",
        "kiosk-ntfs", "clamd-dup", "kiosk-dup", "clamd-warm", "kiosk-repeat", "kiosk-20copies",
        "kiosk-20different"]
# Rows of issue 20 (identical bytes scanned once) and the inputs they need.
DUP_ROWS = {"clamd-dup", "kiosk-dup"}
COPY_ROWS = {"kiosk-20copies", "kiosk-20different"}
IMAGE_ROWS = {"kiosk-fat": "fat32", "kiosk-exfat": "exfat", "kiosk-ntfs": "ntfs"}

# Limits: the kiosk's policy (data/policy.conf [limits] scan-*), given to clamscan and
# clamd too, with the same alerts the kiosk turns on (exceeds-max, encrypted, macros).
LIMITS = {"max_filesize": "100M", "max_scansize": "400M", "max_recursion": 17,
          "max_files": 10000, "max_scantime": 120000}


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def proc_cpu(pid):
    """user+sys seconds of a live process (all threads) from /proc."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK
    except OSError:
        return None


def proc_status(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for ln in f:
                if ln.startswith(key + ":"):
                    return int(ln.split()[1])  # kB
    except OSError:
        pass
    return None


def proc_tree_max_rss(pid):
    """Largest VmRSS (kB) among PID and its descendants: with the kiosk's sandboxed
    scanner pool the engine lives in a child process (docs/privsep.md), and the workers
    share its pages copy-on-write, so the largest process is the one to compare."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
                parent[int(d)] = int(st[st.rindex(")") + 2:].split()[1])
            except (OSError, ValueError):
                pass
    tree, grew = {pid}, True
    while grew:
        grew = False
        for c, pp in parent.items():
            if pp in tree and c not in tree:
                tree.add(c)
                grew = True
    vals = [v for v in (proc_status(p, "VmRSS") for p in tree) if v]
    return max(vals) if vals else None


class Run:
    """A child process with rusage (os.wait4), stderr/stdout line timestamps."""

    def __init__(self, argv, stdout=subprocess.PIPE, watch=None, env=None, cwd=None):
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE, env=env,
                                  cwd=cwd)
        self.watch = watch          # substring in stderr to timestamp
        self.t_watch = None
        self.cpu_watch = None
        self.rss_watch = None
        self.t_first_out = None
        self.err = []
        self.out = []
        self.threads = [threading.Thread(target=self._err, daemon=True)]
        if stdout == subprocess.PIPE:
            self.threads.append(threading.Thread(target=self._out, daemon=True))
        for t in self.threads:
            t.start()

    def _err(self):
        for ln in iter(self.p.stderr.readline, b""):
            s = ln.decode(errors="replace")
            if self.watch and self.t_watch is None and self.watch in s:
                self.t_watch = time.monotonic()
                self.cpu_watch = proc_cpu(self.p.pid)
                self.rss_watch = proc_tree_max_rss(self.p.pid)
            self.err.append(s)

    def _out(self):
        while True:
            b = self.p.stdout.read1(65536)
            if not b:
                break
            if self.t_first_out is None:
                self.t_first_out = time.monotonic()
            self.out.append(b)

    def wait(self, timeout=3600):
        deadline = time.monotonic() + timeout
        while True:
            pid, status, ru = os.wait4(self.p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                self.p.kill()
                raise RuntimeError("timeout: %s" % " ".join(self.p.args))
            time.sleep(0.002)
        self.t1 = time.monotonic()
        self.p.returncode = os.waitstatus_to_exitcode(status)
        for t in self.threads:
            t.join()
        self.rc = self.p.returncode
        self.cpu = ru.ru_utime + ru.ru_stime
        self.maxrss_kb = ru.ru_maxrss
        self.wall = self.t1 - self.t0
        self.stdout = b"".join(self.out)
        self.stderr = "".join(self.err)
        return self


class Bench:
    def __init__(self, a):
        self.a = a
        self.build = os.path.abspath(a.build)
        self.out = os.path.abspath(a.out) if a.out else os.path.join(self.build, "bench")
        self.kiosk = os.path.join(self.build, "kiosk")
        self.policy = os.path.join(ROOT, "data", "policy.conf")
        self.root = os.geteuid() == 0
        os.makedirs(self.out, exist_ok=True)
        # One benchmark at a time per output folder (and the generators lock too).
        self.lock = open(os.path.join(self.out, "bench.lock"), "w")
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            log("another benchmark uses %s: waiting for it" % self.out)
            fcntl.flock(self.lock, fcntl.LOCK_EX)
        self.tmp = os.path.join(self.out, "tmp")
        shutil.rmtree(self.tmp, ignore_errors=True)
        os.makedirs(self.tmp)
        self.notes = []
        self.cold = not a.warm and self.can_drop()
        if not a.warm and not self.cold:
            self.note("page cache cannot be dropped here (not root?): every run is warm-cache")

    def note(self, s):
        self.notes.append(s)
        log("note: " + s)

    # ---- inputs ----------------------------------------------------------------------
    def prepare(self):
        a = self.a
        t = time.monotonic()
        if a.tiny:
            self.sigs = os.path.join(self.out, "sigs-tiny")
            sig_args = ["--hashes", "20000", "--bodies", "2000"]
        else:
            self.sigs = os.path.join(self.out, "sigs")
            sig_args = ["--hashes", str(a.hashes), "--bodies", str(a.bodies)]
        subprocess.run([sys.executable, os.path.join(HERE, "gen-sigs.py"), self.sigs] + sig_args,
                       check=True)
        counts = sig_counts(self.sigs)
        want = int(sig_args[1]) + int(sig_args[3])
        if counts["total"] < want:
            sys.exit("bench: %s holds %d signatures, expected %d: remove it and rerun"
                     % (self.sigs, counts["total"], want))
        name = "corpus-tiny" if a.tiny else "corpus-%gM" % a.size
        self.corpus = os.path.join(self.out, name)
        cargs = ["--size-mb", "4" if a.tiny else str(a.size)]
        if a.tiny:
            cargs += ["--max-testfiles", "8"]
        r = subprocess.run([sys.executable, os.path.join(HERE, "gen-corpus.py"), self.corpus] + cargs,
                           check=True, stdout=subprocess.PIPE)
        self.summary = json.loads(r.stdout.decode().strip().splitlines()[-1])
        self.bytes = self.summary["bytes"]
        self.files = self.summary["files"]
        self.images = {}
        for row, fs in IMAGE_ROWS.items():
            if row not in self.rows:
                continue
            if self.root:
                self.images[row] = self.fat_image() if fs == "fat32" else self.fuse_image(fs)
            else:
                self.note("not root: %s (disk image) skipped" % row)
                self.rows.remove(row)
        if DUP_ROWS & set(self.rows):
            self.corpus_dup = self.dup_corpus()
        if COPY_ROWS & set(self.rows):
            self.copies20, self.different20 = self.copy_sets(1 if a.tiny else 12)
        self.prep_s = time.monotonic() - t

    def dup_corpus(self):
        """The corpus plus dups/: a copy of every tenth file (sorted by path), so that one
        file in eleven is a duplicate of another."""
        d = self.corpus + "-dup10"
        stamp_path = d + ".STAMP"
        with open(self.corpus + ".STAMP") as f:
            stamp = f.read() + "dup10 v1\n"
        if os.path.isdir(d) and os.path.exists(stamp_path) and open(stamp_path).read() == stamp:
            return d
        log("building %s" % d)
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(self.corpus, d)
        files = sorted(os.path.relpath(os.path.join(r, n), d) for r, _, ns in os.walk(d) for n in ns)
        os.makedirs(os.path.join(d, "dups"))
        for i, rel in enumerate(files[::10]):
            shutil.copyfile(os.path.join(d, rel),
                            os.path.join(d, "dups", "%04d-%s" % (i, os.path.basename(rel))))
        with open(stamp_path, "w") as f:
            f.write(stamp)
        return d

    def copy_sets(self, mb):
        """copies20/: 20 copies of one MB-megabyte EDIFACT-like text file; different20/:
        20 different files of the same make (other seeds)."""
        import random
        base = os.path.join(self.out, "copies-%dM" % mb)
        stamp = "copies v1 %d\n" % mb
        same, diff = os.path.join(base, "copies20"), os.path.join(base, "different20")
        sp = base + ".STAMP"
        if os.path.isdir(base) and os.path.exists(sp) and open(sp).read() == stamp:
            return same, diff
        shutil.rmtree(base, ignore_errors=True)
        os.makedirs(same); os.makedirs(diff)

        def make(path, seed):
            rnd = random.Random(seed)
            n = mb * 2 ** 20
            with open(path, "w") as f:
                while n > 0:
                    ln = "LOC+147+%07d::5'EQD+CN+%s%07d+22G1:102:5+++5'MEA+AAE+VGM+KGM:%d'\n" % (
                        rnd.randrange(10 ** 7), "".join(rnd.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
                                                        for _ in range(4)),
                        rnd.randrange(10 ** 7), rnd.randrange(2000, 32000))
                    f.write(ln[:n]); n -= len(ln)
        make(os.path.join(same, "manual-01.txt"), 1)
        for i in range(2, 21):
            shutil.copyfile(os.path.join(same, "manual-01.txt"), os.path.join(same, "manual-%02d.txt" % i))
        for i in range(1, 21):
            make(os.path.join(diff, "manual-%02d.txt" % i), 100 + i)
        with open(sp, "w") as f:
            f.write(stamp)
        return same, diff

    def fat_image(self):
        img = self.corpus + ".fat32.img"
        stamp_path = img + ".STAMP"
        with open(self.corpus + ".STAMP") as f:
            stamp = f.read() + "fat32 v1\n"
        if os.path.exists(img) and os.path.exists(stamp_path) and open(stamp_path).read() == stamp:
            return img
        log("building FAT32 image %s" % img)
        for p in (img, stamp_path):
            if os.path.exists(p):
                os.unlink(p)
        mb = int(self.bytes * 1.15 / 2 ** 20) + 48
        extra = ["-s", "1"] if mb < 300 else []
        subprocess.run(["truncate", "-s", "%dM" % mb, img + ".tmp"], check=True)
        subprocess.run(["mkfs.vfat", "-F", "32"] + extra + ["-n", "BENCHSTICK", img + ".tmp"],
                       check=True, stdout=subprocess.DEVNULL)
        env = dict(os.environ, MTOOLS_SKIP_CHECK="1", LC_ALL="C.UTF-8")
        for e in sorted(os.listdir(self.corpus)):
            subprocess.run(["mcopy", "-s", "-Q", "-i", img + ".tmp", os.path.join(self.corpus, e),
                            "::/"], check=True, env=env)
        os.rename(img + ".tmp", img)
        with open(stamp_path, "w") as f:
            f.write(stamp)
        return img

    def fuse_image(self, fs):
        """exFAT or NTFS image of the corpus, filled through a read-write FUSE mount
        (exfat-fuse, ntfs-3g): neither has a tool that fills an image without one."""
        img = self.corpus + "." + fs + ".img"
        stamp_path = img + ".STAMP"
        with open(self.corpus + ".STAMP") as f:
            stamp = f.read() + fs + " v1\n"
        if os.path.exists(img) and os.path.exists(stamp_path) and open(stamp_path).read() == stamp:
            return img
        log("building %s image %s" % (fs, img))
        for p in (img, stamp_path):
            if os.path.exists(p):
                os.unlink(p)
        mb = int(self.bytes * 1.25 / 2 ** 20) + 64
        tmp = img + ".tmp"
        subprocess.run(["truncate", "-s", "%dM" % mb, tmp], check=True)
        if fs == "exfat":
            subprocess.run(["mkfs.exfat", "-L", "BENCHSTICK", tmp], check=True,
                           stdout=subprocess.DEVNULL)
        else:
            subprocess.run(["mkntfs", "-q", "-F", "-f", "-L", "BENCHSTICK", tmp], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        mnt = tmp + ".mnt"
        os.makedirs(mnt, exist_ok=True)
        loop = subprocess.run(["losetup", "-f", "--show", tmp], check=True,
                              stdout=subprocess.PIPE).stdout.decode().strip()
        try:
            subprocess.run(["blockdev", "--setrw", loop], check=True)
            subprocess.run(["mount.exfat-fuse" if fs == "exfat" else "ntfs-3g", loop, mnt],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                subprocess.run(["cp", "-r", self.corpus + "/.", mnt + "/"], check=True)
                os.sync()
            finally:
                subprocess.run(["umount", mnt], check=True)
        finally:
            for _ in range(50):
                if subprocess.run(["losetup", "-d", loop], stderr=subprocess.DEVNULL).returncode == 0:
                    break
                time.sleep(0.1)
        os.rmdir(mnt)
        os.rename(tmp, img)
        with open(stamp_path, "w") as f:
            f.write(stamp)
        return img

    # ---- cache -------------------------------------------------------------------------
    def can_drop(self):
        try:
            os.sync()
            with open("/proc/sys/vm/drop_caches", "w") as f:
                f.write("3")
            return True
        except OSError:
            return False

    def settle(self, data=None):
        """Before a measurement: drop caches (cold) or pre-read DATA (warm)."""
        os.sync()
        if self.cold:
            with open("/proc/sys/vm/drop_caches", "w") as f:
                f.write("3")
        elif data:
            subprocess.run("find %s -type f -print0 | xargs -0 cat > /dev/null" % shq(data),
                           shell=True, check=False)

    # ---- measurements ------------------------------------------------------------------
    def m_read(self):
        self.settle(self.corpus)
        r = Run(["bash", "-c", "find %s -type f -print0 | xargs -0 cat > /dev/null" %
                 shq(self.corpus)], stdout=subprocess.DEVNULL).wait()
        if r.rc != 0:
            raise RuntimeError("read failed: " + r.stderr[-500:])
        return {"wall": r.wall, "cpu": r.cpu, "rss_kb": r.maxrss_kb}

    def clamscan_args(self):
        return ["--max-filesize=%s" % LIMITS["max_filesize"],
                "--max-scansize=%s" % LIMITS["max_scansize"],
                "--max-recursion=%d" % LIMITS["max_recursion"],
                "--max-files=%d" % LIMITS["max_files"],
                "--max-scantime=%d" % LIMITS["max_scantime"],
                "--alert-exceeds-max=yes", "--alert-encrypted=yes", "--alert-macros=yes"]

    def m_clamscan(self):
        self.settle(self.corpus)
        r = Run(["clamscan", "-r", "-i", "--no-summary", "-d", self.sigs] + self.clamscan_args()
                + [self.corpus]).wait()
        if r.rc not in (0, 1):
            raise RuntimeError("clamscan exit %d: %s" % (r.rc, r.stderr[-500:]))
        found = r.stdout.decode(errors="replace").count(" FOUND\n")
        return {"wall": r.wall, "cpu": r.cpu, "rss_kb": r.maxrss_kb, "found": found}

    def m_clamscan_load(self):
        empty = os.path.join(self.tmp, "empty")
        open(empty, "w").close()
        self.settle()
        r = Run(["clamscan", "--no-summary", "-d", self.sigs] + self.clamscan_args() + [empty]).wait()
        return {"wall": r.wall, "cpu": r.cpu, "rss_kb": r.maxrss_kb}

    def m_clamd(self, source=None, warm=False):
        source = source or self.corpus
        d = tempfile.mkdtemp(prefix="clamd.", dir=self.tmp)
        sock = os.path.join(d, "clamd.sock")
        conf = os.path.join(d, "clamd.conf")
        with open(conf, "w") as f:
            f.write("\n".join([
                "LocalSocket %s" % sock, "DatabaseDirectory %s" % self.sigs,
                "TemporaryDirectory %s" % d, "PidFile %s" % os.path.join(d, "clamd.pid"),
                "Foreground yes", "LogSyslog no", "LogFile %s" % os.path.join(d, "clamd.log"),
                "LogTime yes", "MaxThreads %d" % NCPU, "MaxQueue 200", "SelfCheck 3600",
                "MaxFileSize %s" % LIMITS["max_filesize"], "MaxScanSize %s" % LIMITS["max_scansize"],
                "MaxRecursion %d" % LIMITS["max_recursion"], "MaxFiles %d" % LIMITS["max_files"],
                "MaxScanTime %d" % LIMITS["max_scantime"], "AlertExceedsMax yes",
                "AlertEncrypted yes", "AlertOLE2Macros yes", "MaxDirectoryRecursion 64", ""]))
        t0 = time.monotonic()
        daemon = subprocess.Popen(["clamd", "-c", conf], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            while True:
                if daemon.poll() is not None:
                    raise RuntimeError("clamd exited %d; see %s" % (daemon.returncode, d))
                if time.monotonic() - t0 > 600:
                    raise RuntimeError("clamd not ready after 600 s")
                if ping(sock):
                    break
                time.sleep(0.02)
            load = time.monotonic() - t0
            rss_ready = proc_status(daemon.pid, "VmRSS")
            if warm:  # a first scan fills clamd's clean cache; the second is measured
                Run(["clamdscan", "-c", conf, "--multiscan", "--fdpass", "--no-summary", "-i",
                     source]).wait()
            self.settle(source)
            cpu0 = proc_cpu(daemon.pid)
            r = Run(["clamdscan", "-c", conf, "--multiscan", "--fdpass", "--no-summary", "-i",
                     source]).wait()
            cpu1 = proc_cpu(daemon.pid)
            hwm = proc_status(daemon.pid, "VmHWM")
            if r.rc not in (0, 1):
                raise RuntimeError("clamdscan exit %d: %s %s" % (r.rc, r.stderr[-500:],
                                                                 r.stdout[-500:]))
            found = r.stdout.decode(errors="replace").count(" FOUND\n")
        finally:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(30)
            except subprocess.TimeoutExpired:
                daemon.kill(); daemon.wait()
        res = {"wall": r.wall, "cpu": (cpu1 - cpu0) + r.cpu, "rss_kb": hwm,
               "rss_loaded_kb": rss_ready, "load": load, "found": found}
        shutil.rmtree(d, ignore_errors=True)
        return res

    def nocdr_policy(self):
        """data/policy.conf as the kiosk was before content disarm: macros=block (the
        scanner's macro heuristic on, as in the kiosk row: allow would turn it off and
        make ClamAV itself cheaper), pdf=allow."""
        p = os.path.join(self.tmp, "policy-nocdr.conf")
        with open(self.policy) as f:
            text = f.read()
        for key, value in (("macros", "block"), ("pdf", "allow")):
            lines = text.split("\n")
            if not any(l.startswith(key + "=") for l in lines):
                sys.exit("bench: %s has no %s= line" % (self.policy, key))
            text = "\n".join(key + "=" + value if l.startswith(key + "=") else l for l in lines)
        with open(p, "w") as f:
            f.write(text)
        return p

    def m_kiosk(self, source, policy=None, warm_cache=False):
        d = tempfile.mkdtemp(prefix="kiosk.", dir=self.tmp)
        staging, rundir = os.path.join(d, "staging"), os.path.join(d, "run")
        os.makedirs(staging); os.makedirs(rundir)
        if warm_cache:  # an untimed first run of the same source fills the verdict cache
            self.m_kiosk_once(d, staging, rundir, source, policy)
        self.settle(source)
        r, j = self.m_kiosk_once(d, staging, rundir, source, policy)
        c = j["counts"]
        end = r.t_first_out or r.t1
        res = {"wall": end - r.t_watch, "total": r.wall, "load": r.t_watch - r.t0,
               "teardown": r.t1 - end, "cpu": r.cpu - (r.cpu_watch or 0), "cpu_total": r.cpu,
               "rss_kb": r.maxrss_kb, "rss_loaded_kb": r.rss_watch, "found": c["infected"],
               "counts": c, "test_signatures": j.get("test_signatures"),
               "scans": j.get("scans")}
        shutil.rmtree(d, ignore_errors=True)
        return res

    def m_kiosk_once(self, d, staging, rundir, source, policy=None):
        argv = [self.kiosk, "scan", "--policy", policy or self.policy, "--staging", staging,
                "--work-dir", os.path.join(d, "work"),
                "--signing-key", os.path.join(d, "keys", "signing.key"),
                "--signatures", self.sigs, "--audit-log", os.path.join(d, "audit.jsonl"),
                "--run-dir", rundir, "--json"]
        if self.a.workers:
            argv += ["--workers", str(self.a.workers)]
        r = Run(argv + [source], watch="engine loaded in").wait()
        if r.rc not in (0, 1) or r.t_watch is None:
            raise RuntimeError("kiosk scan exit %d: %s" % (r.rc, r.stderr[-1500:]))
        return r, json.loads(r.stdout)

    # ---- the run -----------------------------------------------------------------------
    def run(self):
        a = self.a
        self.rows = [r for r in ROWS if not a.only or r in a.only.split(",")]
        self.prepare()
        log("corpus %s: %d files, %.1f MB; database %s; %s cache; %d rep(s)" % (
            self.corpus, self.files, self.bytes / 1e6, self.sigs,
            "cold" if self.cold else "warm", a.reps))
        fns = {"read": self.m_read, "clamscan": self.m_clamscan,
               "clamscan-load": self.m_clamscan_load, "clamd": self.m_clamd,
               "kiosk": lambda: self.m_kiosk(self.corpus),
               "kiosk-nocdr": lambda: self.m_kiosk(self.corpus, self.nocdr_policy()),
               "kiosk-fat": lambda: self.m_kiosk(self.images["kiosk-fat"]),
               "kiosk-exfat": lambda: self.m_kiosk(self.images["kiosk-exfat"]),
               "kiosk-ntfs": lambda: self.m_kiosk(self.images["kiosk-ntfs"]),
               "clamd-dup": lambda: self.m_clamd(self.corpus_dup),
               "kiosk-dup": lambda: self.m_kiosk(self.corpus_dup),
               "clamd-warm": lambda: self.m_clamd(self.corpus, warm=True),
               "kiosk-repeat": lambda: self.m_kiosk(self.corpus, warm_cache=True),
               "kiosk-20copies": lambda: self.m_kiosk(self.copies20),
               "kiosk-20different": lambda: self.m_kiosk(self.different20)}
        samples = {r: [] for r in self.rows}
        load0 = os.getloadavg()
        for rep in range(a.reps):
            for row in self.rows:
                s = fns[row]()
                samples[row].append(s)
                log("rep %d %-13s %7.2f s%s" % (rep + 1, row, s["wall"],
                                                "  (load %.2f s)" % s["load"] if "load" in s else ""))
        self.report(samples, load0)

    def report(self, samples, load0):
        rows = []
        for row in self.rows:
            ss = samples[row]
            wall = statistics.median(s["wall"] for s in ss)
            cpu = statistics.median(s["cpu"] / s["wall"] / NCPU * 100 for s in ss if s["wall"] > 0)
            rss = [s["rss_kb"] for s in ss if s.get("rss_kb")]
            d = {"row": row, "runs": [round(s["wall"], 3) for s in ss], "seconds": round(wall, 3),
                 "mb_per_s": round(self.bytes / 1e6 / wall, 1) if row != "clamscan-load" else None,
                 "files_per_s": round(self.files / wall, 1) if row != "clamscan-load" else None,
                 "peak_rss_mb": round(max(rss) / 1024, 1) if rss else None,
                 "cpu_pct": round(cpu, 1)}
            for k in ("load", "teardown", "total"):
                if k in ss[0]:
                    d[k + "_s"] = round(statistics.median(s[k] for s in ss), 3)
            if ss[0].get("rss_loaded_kb"):
                d["rss_after_load_mb"] = round(max(s["rss_loaded_kb"] for s in ss) / 1024, 1)
                d["rss_growth_mb"] = round(max(s["rss_kb"] - s["rss_loaded_kb"] for s in ss) / 1024, 1)
            if "found" in ss[0]:
                d["found"] = [s["found"] for s in ss]
            if "counts" in ss[0]:
                d["counts"] = ss[-1]["counts"]
            if ss[0].get("scans"):
                d["scans"] = ss[-1]["scans"]
            rows.append(d)
        by = {d["row"]: d for d in rows}

        def ratio(x, y):
            if x in by and y in by and by[y]["seconds"] > 0:
                return round(by[x]["seconds"] / by[y]["seconds"], 3)
            return None
        ratios = {"kiosk/clamd": ratio("kiosk", "clamd"), "kiosk/clamscan": ratio("kiosk", "clamscan"),
                  "kiosk-fat/clamd": ratio("kiosk-fat", "clamd"),
                  "kiosk-fat/kiosk": ratio("kiosk-fat", "kiosk"),
                  "kiosk-exfat/kiosk": ratio("kiosk-exfat", "kiosk"),
                  "kiosk-ntfs/kiosk": ratio("kiosk-ntfs", "kiosk"), "kiosk/read": ratio("kiosk", "read"),
                  # issue 20, targets: <= 0.9, <= 0.2, <= 0.25
                  "kiosk-dup/clamd-dup": ratio("kiosk-dup", "clamd-dup"),
                  "kiosk-repeat/clamd": ratio("kiosk-repeat", "clamd"),
                  "kiosk-repeat/clamd-warm": ratio("kiosk-repeat", "clamd-warm"),
                  "kiosk-20copies/kiosk-20different": ratio("kiosk-20copies", "kiosk-20different"),
                  "kiosk/kiosk-nocdr": ratio("kiosk", "kiosk-nocdr")}
        if "clamscan" in by and "clamscan-load" in by:
            sc = by["clamscan"]["seconds"] - by["clamscan-load"]["seconds"]
            if sc > 0 and "kiosk" in by:
                ratios["kiosk/clamscan-scan-only"] = round(by["kiosk"]["seconds"] / sc, 3)
        res = {
            "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": machine(), "loadavg_at_start": load0, "loadavg_at_end": os.getloadavg(),
            "cache": "cold" if self.cold else "warm", "reps": self.a.reps,
            "tiny": bool(self.a.tiny), "workers": self.a.workers or NCPU,
            "corpus": dict(self.summary, path=self.corpus), "signatures": sig_counts(self.sigs),
            "limits": LIMITS, "prepare_s": round(self.prep_s, 1), "rows": rows,
            "ratios": ratios, "notes": self.notes,
        }
        path = os.path.join(self.out, "results.json")
        with open(path + ".tmp", "w") as f:
            json.dump(res, f, indent=1)
            f.write("\n")
        os.rename(path + ".tmp", path)
        print(table(res))
        print("results: %s" % path)


def table(res):
    m = res["machine"]
    c = res["corpus"]
    lines = ["",
             "Benchmark %s on %s (%d cores, %s), ClamAV %s; %s cache; median of %d" % (
                 res["when"], m["cpu"], m["cores"], m["mem"], m["clamav"], res["cache"], res["reps"]),
             "corpus: %d files, %.1f MB (%d clamav-testfiles); database: %s signatures" % (
                 c["files"], c["bytes"] / 1e6, c["testfiles"],
                 "{:,}".format(res["signatures"]["total"])),
             "",
             "%-14s %8s %8s %8s %9s %6s %8s %s" % ("row", "seconds", "MB/s", "files/s", "peakRSS",
                                                   "CPU%", "load s", "notes"),
             "-" * 86]
    for d in res["rows"]:
        extra = []
        if "rss_growth_mb" in d:
            extra.append("RSS +%.0f MB over loaded engine" % d["rss_growth_mb"])
        if "found" in d:
            extra.append("found %s" % d["found"][-1])
        if d.get("scans"):
            extra.append("engine scans %d, cache hits %d" % (d["scans"]["engine"],
                                                             d["scans"]["cache_hits"]))
        if d.get("counts", {}).get("sanitized"):
            extra.append("sanitized %d" % d["counts"]["sanitized"])
        lines.append("%-14s %8.2f %8s %8s %8s %6.0f %8s %s" % (
            d["row"], d["seconds"], "-" if d["mb_per_s"] is None else "%.1f" % d["mb_per_s"],
            "-" if d["files_per_s"] is None else "%.0f" % d["files_per_s"],
            "-" if d["peak_rss_mb"] is None else "%.0f MB" % d["peak_rss_mb"], d["cpu_pct"],
            "%.2f" % d["load_s"] if "load_s" in d else "", "; ".join(extra)))
    lines.append("")
    lines.append("ratios (time): " + ", ".join("%s %.2f" % (k, v) for k, v in res["ratios"].items()
                                                if v is not None))
    for n in res["notes"]:
        lines.append("note: " + n)
    return "\n".join(lines)


def sig_counts(d):
    out = {}
    for x in sorted(os.listdir(d)):
        if x.endswith((".hdb", ".hsb", ".ndb")):
            with open(os.path.join(d, x), "rb") as f:
                out[x] = sum(1 for ln in f if ln.strip())
    out["total"] = sum(out.values())
    return out


def machine():
    cpu = "?"
    try:
        for ln in open("/proc/cpuinfo"):
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip(); break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    try:
        clam = subprocess.run(["clamscan", "--version"], stdout=subprocess.PIPE).stdout.decode().split()[1].split("/")[0]
    except Exception:
        clam = "?"
    osr = "?"
    try:
        for ln in open("/etc/os-release"):
            if ln.startswith("PRETTY_NAME="):
                osr = ln.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    git = "?"
    try:
        git = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode().strip()
    except Exception:
        pass
    return {"git": git, "cpu": cpu, "cores": NCPU, "mem": "%.0f GiB" % mem, "kernel": platform.release(),
            "os": osr, "clamav": clam, "host": platform.node()}


def ping(sock):
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect(sock)
        s.sendall(b"zPING\0")
        r = s.recv(16)
        s.close()
        return r.startswith(b"PONG")
    except OSError:
        return False


def shq(s):
    return "'" + s.replace("'", "'\\''") + "'"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--size", type=float, default=400, help="corpus size in MB (default 400)")
    ap.add_argument("--tiny", action="store_true", help="~4 MB corpus, small database, 1 rep")
    ap.add_argument("--reps", type=int, default=None, help="repetitions (default 3; tiny 1)")
    ap.add_argument("--warm", action="store_true", help="do not drop caches; pre-read instead")
    ap.add_argument("--only", help="comma-separated rows: " + ",".join(ROWS))
    ap.add_argument("--workers", type=int, default=0, help="kiosk --workers (default: cores)")
    ap.add_argument("--out", help="cache and results folder (default BUILD/bench)")
    ap.add_argument("--hashes", type=int, default=2_000_000)
    ap.add_argument("--bodies", type=int, default=80_000)
    a = ap.parse_args()
    if a.reps is None:
        a.reps = 1 if a.tiny else 3
    for tool in ("clamscan", "clamd", "clamdscan", "mkfs.vfat", "mcopy", "mkfs.exfat",
                 "mount.exfat-fuse", "mkntfs", "ntfs-3g"):
        if not shutil.which(tool):
            sys.exit("bench: %s is missing (make deps installs it)" % tool)
    if not os.access(os.path.join(a.build, "kiosk"), os.X_OK):
        sys.exit("bench: %s/kiosk is not built (make all)" % a.build)
    Bench(a).run()


if __name__ == "__main__":
    main()
