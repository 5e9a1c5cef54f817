#!/usr/bin/env python3
"""check-owned.py - what the build and the tests use belongs to a listed package.

    tools/check-owned.py REPO BUILD_DIR

The fallback of make check-fresh when no fresh root can be made (tools/check-fresh.sh):
every pkg-config module named in Makefile and mk/*.mk, every system header the build
included (BUILD_DIR/obj/**/*.d, written by gcc -MMD: build first), and every program the
tests, the demo and the build scripts run, is owned (dpkg -S) by a package of
tools/packages-*.txt or by a package those depend on (Depends, Pre-Depends, recursively),
or by an essential package.  Prints every one that is not; exit 1 if any.
"""
import glob
import os
import re
import shutil
import subprocess
import sys


def listed_packages(repo):
    names = set()
    for path in glob.glob(os.path.join(repo, "tools", "packages*.txt")):
        for line in open(path):
            line = line.split("#", 1)[0].strip()
            names.update(line.split())
    return names


def installed():
    """{package: (essential, [[alternatives]...], provides)} of installed packages."""
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package}\t${Status}\t${Essential}\t${Pre-Depends}\t"
         "${Depends}\t${Provides}\n"], capture_output=True, text=True, check=True).stdout
    pkgs, provided = {}, {}
    for line in out.splitlines():
        name, status, essential, pre, dep, prov = (line.split("\t") + [""] * 6)[:6]
        if not status.endswith("installed") or "not-installed" in status:
            continue
        groups = []
        for field in (pre, dep):
            for group in filter(None, (g.strip() for g in field.split(","))):
                groups.append([re.split(r"[\s(:]", a.strip())[0] for a in group.split("|")])
        pkgs[name] = (essential == "yes", groups)
        for p in filter(None, (p.strip() for p in prov.split(","))):
            provided.setdefault(re.split(r"[\s(:]", p)[0], set()).add(name)
    return pkgs, provided


def closure(roots, pkgs, provided):
    seen, todo = set(), [p for p in roots]
    todo += [p for p, (ess, _) in pkgs.items() if ess]
    while todo:
        p = todo.pop()
        for real in ([p] if p in pkgs else sorted(provided.get(p, ()))):
            if real in seen:
                continue
            seen.add(real)
            for alts in pkgs[real][1]:
                todo.extend(alts)
    return seen


def twins(path):
    """PATH, its real path, and their /usr-merged twins (/bin/x and /usr/bin/x)."""
    cands = [path, os.path.realpath(path)]
    for c in list(cands):
        for a, b in (("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/"), ("/usr/lib/", "/lib/")):
            if c.startswith(a):
                cands.append(b + c[len(a):])
            elif c.startswith(b):
                cands.append(a + c[len(b):])
    return cands


def owners(paths):
    """{path: [packages]} for PATHS and their twins, from one dpkg -S run."""
    cands = sorted({c for p in paths for c in twins(p)})
    out = subprocess.run(["dpkg", "-S"] + cands, capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        if line.startswith("diversion") or ": " not in line:
            continue
        pk, path = line.rsplit(": ", 1)
        found.setdefault(path, []).extend(p.strip().split(":")[0] for p in pk.split(","))
    return {p: next((found[c] for c in twins(p) if c in found), []) for p in paths}


def pkgconfig_modules(repo):
    text = ""
    for path in [os.path.join(repo, "Makefile")] + glob.glob(os.path.join(repo, "mk", "*.mk")):
        text += open(path).read()
    mods = set()
    for m in re.finditer(r"pkg-config[^)\n]*", text):
        for w in m.group(0).split()[1:]:
            if re.fullmatch(r"[A-Za-z0-9_.+-]+", w) and not w.startswith("-"):
                mods.add(w)
    # names held in variables (PKGS += ...)
    for m in re.finditer(r"^\s*[A-Z_]*PKGS\s*[:+]?=\s*(.*)$", text, re.M):
        for w in m.group(1).split():
            if not w.startswith("$"):
                mods.add(w)
    return mods


def headers(build):
    found = set()
    for dep in glob.glob(os.path.join(build, "obj", "**", "*.d"), recursive=True):
        if not os.path.isfile(dep):
            continue
        for w in open(dep, errors="replace").read().replace("\\\n", " ").split():
            if w.startswith("/usr/include/") or w.startswith("/usr/lib/"):
                if w.endswith(".h"):
                    found.add(w)
    return found


SHELL_WORDS = set("""if then else elif fi for while until do done case esac in function
    return local export set unset shift exit break continue eval exec trap wait read echo
    printf test true false cd pwd source declare readonly let type command builtin time
    kill ulimit umask shopt getopts""".split())


def programs(repo):
    """Commands the shell scripts of the tests and tools/ run (first word of each
    simple command, after |, &&, ||, ;, $( and a few wrappers)."""
    found = set()
    scripts = glob.glob(os.path.join(repo, "tests", "**", "*.sh"), recursive=True)
    scripts += glob.glob(os.path.join(repo, "tools", "*.sh"))
    split = re.compile(r"\$\(|\||&&|;|\(|`|\bthen\b|\bdo\b|\belse\b|!")
    for path in scripts:
        for line in open(path, errors="replace"):
            line = line.split(" #", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            for part in split.split(line):
                words = part.strip().split()
                while words and (re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=\S*", words[0])
                                 or words[0] in ("timeout", "env", "sudo", "nice", "exec",
                                                 "command", "xargs", "time")
                                 or re.fullmatch(r"-\S+|\d+[smh]?", words[0])):
                    words.pop(0)
                if not words:
                    continue
                w = words[0]
                if re.fullmatch(r"[a-z][a-z0-9_.+-]*", w) and w not in SHELL_WORDS:
                    found.add(w)
    return found


def main():
    repo, build = sys.argv[1], sys.argv[2]
    pkgs, provided = installed()
    ok_pkgs = closure(listed_packages(repo), pkgs, provided)
    problems = []

    mods = {}
    for m in sorted(pkgconfig_modules(repo)):
        d = subprocess.run(["pkg-config", "--variable=pcfiledir", m], capture_output=True,
                           text=True).stdout.strip()
        if d:
            mods[m] = os.path.join(d, m + ".pc")
        else:
            problems.append("pkg-config module %s: not installed here" % m)
    hs = sorted(h for h in headers(build) if os.path.exists(h))
    if not hs:
        problems.append("no gcc dependency files in %s/obj: run make first" % build)
    progs = {}
    for p in sorted(programs(repo)):
        path = shutil.which(p, path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        if path and not path.startswith("/usr/local/"):
            progs[p] = path  # (else a function, a variable, a word of text)
    own = owners(list(mods.values()) + hs + list(progs.values()))
    checks = [("pkg-config module %s" % m, f) for m, f in mods.items()]
    checks += [("header %s" % h, h) for h in hs]
    checks += [("program %s (%s)" % (p, f), f) for p, f in progs.items()]
    for what, path in checks:
        if not own[path]:
            problems.append("%s belongs to no package" % what)
        elif not set(own[path]) & ok_pkgs:
            problems.append("%s comes from %s, which no tools/packages-*.txt lists (nor "
                            "what they depend on)" % (what, ",".join(own[path])))
    n = {"modules": len(mods), "headers": len(hs), "programs": len(progs)}
    for p in problems:
        print("check-owned: " + p)
    print("check-owned: %d pkg-config modules, %d headers, %d programs checked: %s"
          % (n["modules"], n["headers"], n["programs"],
             "all from listed packages" if not problems else "%d problems" % len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
