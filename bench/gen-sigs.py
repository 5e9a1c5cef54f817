#!/usr/bin/env python3
"""gen-sigs.py - seeded synthetic ClamAV signature database for the benchmark.

    bench/gen-sigs.py OUTDIR [--seed N] [--hashes N] [--bodies N] [--testsigs DIR]

Writes into OUTDIR (replacing what a previous run wrote):
  bench-synth.hdb   MD5 whole-file hashes     md5:size:name
  bench-synth.hsb   SHA-256 whole-file hashes sha256:size:name
  bench-synth.ndb   body signatures           name:target:*:hexsig
  kiosk-test.*      the repo's test signatures (tests/data/signatures), so detections in
                    the corpus (clamav-testfiles) are real.  Their names make the kiosk say
                    TEST SIGNATURES, which is expected here.
  STAMP             generator hash + parameters; a rerun with the same stamp does nothing.

Hash signatures: half MD5, half SHA-256.  Sizes are log-uniform from 512 bytes to 32 MiB
(the official database is like that: a size match is what makes libclamav compute and
look up the hash), and 0.2 % have an unknown size ("*"), which needs the minimum
functionality level field ":73" (ClamAV >= 0.98; see the ClamAV manual, "File hash
signatures").

Body signatures: 12-40 byte patterns, offset "*", over target types 0 (any file),
1 (PE), 6 (ELF), 7 (normalised ASCII text), 3 (normalised HTML), 10 (PDF).  Patterns are
drawn from byte distributions that look like their targets (x86-like opcode/zero-heavy
bytes for PE/ELF, lower-case letters, digits and script punctuation for normalised
text/HTML, random bytes for the rest) so libclamav's Aho-Corasick prefixes are hit on
real-looking data, as with real signatures, while a full 12-byte match on clean data stays
practically impossible.  PE/ELF patterns start with 3 random bytes, as signature writers
pick distinctive starts.  (With English letter frequencies and zero-heavy code bytes the
text and binary files scanned 2-3x slower than with the official database's mix: too
pessimistic, so the distributions are flatter.)

Python standard library only; the same seed and parameters give byte-identical files.
"""
import argparse
import fcntl
import hashlib
import os
import random
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Byte weights that look like x86 machine code: many zeros, 0xff, common opcodes.
def code_weights():
    w = [1.0] * 256
    w[0x00] = 12
    w[0xFF] = 5
    for b, x in ((0x8B, 8), (0x89, 6), (0x48, 8), (0xE8, 5), (0x83, 5), (0x0F, 5),
                 (0x45, 4), (0x24, 4), (0xC3, 3), (0x74, 3), (0x75, 3), (0x85, 3),
                 (0x01, 4), (0x44, 3), (0x4C, 3), (0x8D, 4), (0xC7, 3), (0x90, 2)):
        w[b] = x
    return w


CODE_W = code_weights()
LOWER = b"etaoinshrdlucmfwypvbgkjqxz"
TEXT = b"abcdefghijklmnopqrstuvwxyz0123456789 ()=;.<>/'\"_-"
TARGETS = [(0, 0.42), (1, 0.32), (6, 0.10), (7, 0.08), (3, 0.04), (10, 0.04)]


def pattern(rng, target):
    n = rng.randint(12, 40)
    if target in (1, 6):
        # A distinctive start (signature writers avoid common prefixes such as 00 00 00),
        # code-like bytes after it.
        return rng.randbytes(3) + bytes(rng.choices(range(256), CODE_W, k=n - 3))
    if target in (7, 3):
        return bytes(rng.choices(TEXT, k=n))
    return rng.randbytes(n)


def hash_size(rng):
    # log-uniform 512 B .. 32 MiB
    return int(2 ** rng.uniform(9, 25))


def write_hashes(path, rng, n, digest_len, tag):
    with open(path, "w") as f:
        buf = []
        for i in range(n):
            h = rng.randbytes(digest_len).hex()
            if rng.random() < 0.002:
                buf.append("%s:*:Bench.Synth.%s.%07d:73\n" % (h, tag, i))
            else:
                buf.append("%s:%d:Bench.Synth.%s.%07d\n" % (h, hash_size(rng), tag, i))
            if len(buf) >= 65536:
                f.write("".join(buf)); buf = []
        f.write("".join(buf))


def write_bodies(path, rng, n):
    kinds = [t for t, _ in TARGETS]
    weights = [w for _, w in TARGETS]
    with open(path, "w") as f:
        for i in range(n):
            t = rng.choices(kinds, weights)[0]
            f.write("Bench.Synth.Body.T%d.%06d:%d:*:%s\n" % (t, i, t, pattern(rng, t).hex()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--hashes", type=int, default=2_000_000)
    ap.add_argument("--bodies", type=int, default=80_000)
    ap.add_argument("--testsigs", default=os.path.join(ROOT, "tests", "data", "signatures"))
    a = ap.parse_args()

    with open(os.path.abspath(__file__), "rb") as f:
        me = hashlib.sha256(f.read()).hexdigest()
    tests = sorted(x for x in os.listdir(a.testsigs) if x.startswith("kiosk-test.")) \
        if os.path.isdir(a.testsigs) else []
    th = hashlib.sha256()
    for x in tests:
        with open(os.path.join(a.testsigs, x), "rb") as f:
            th.update(x.encode() + b"\0" + f.read())
    stamp = "gen-sigs %s seed=%d hashes=%d bodies=%d tests=%s\n" % (
        me, a.seed, a.hashes, a.bodies, th.hexdigest())
    stamp_path = os.path.join(a.outdir, "STAMP")
    # Several runs at once (make check while make bench runs) take turns.
    os.makedirs(os.path.dirname(os.path.abspath(a.outdir)), exist_ok=True)
    lock = open(os.path.abspath(a.outdir) + ".lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    have = all(os.path.exists(os.path.join(a.outdir, "bench-synth." + x)) for x in ("hdb", "hsb", "ndb"))
    if have and os.path.exists(stamp_path) and open(stamp_path).read() == stamp:
        print("gen-sigs: %s is up to date" % a.outdir, file=sys.stderr)
        return 0

    if os.path.isdir(a.outdir):
        shutil.rmtree(a.outdir)
    tmp = a.outdir + ".tmp"
    if os.path.isdir(tmp):
        shutil.rmtree(tmp)
    os.makedirs(tmp)
    rng = random.Random(a.seed)
    n_md5 = a.hashes // 2
    write_hashes(os.path.join(tmp, "bench-synth.hdb"), rng, n_md5, 16, "MD5")
    write_hashes(os.path.join(tmp, "bench-synth.hsb"), rng, a.hashes - n_md5, 32, "SHA256")
    write_bodies(os.path.join(tmp, "bench-synth.ndb"), rng, a.bodies)
    for x in tests:
        shutil.copyfile(os.path.join(a.testsigs, x), os.path.join(tmp, x))
    with open(os.path.join(tmp, "STAMP"), "w") as f:
        f.write(stamp)
    os.rename(tmp, a.outdir)
    lock.close()
    print("gen-sigs: wrote %d hash and %d body signatures (+%d test files) to %s"
          % (a.hashes, a.bodies, len(tests), a.outdir), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
