#!/usr/bin/env python3
"""fake-service.py - a stand-in for `kiosk daemon`'s event socket, for testing kiosk-ui.

Speaks the protocol of docs/protocol.md (newline-delimited JSON over a UNIX socket):
on connect it sends "hello" and a "status" snapshot, then replays a script; it answers
the UI's commands ("status", "details", "cancel") with replies.

    fake-service.py --socket PATH --script FILE [--state-file FILE] [--language en|ja]

The script is a JSON list of steps, run in order:
    {"send": {"type": "scanning", "session": "s1", ...}}   an event ("time" and
                                          "testing_mode" are filled in)
    {"expect": {"screen": "result", "verdict": "some-held-back",
                "labels_include": ["Eicar"], "labels_exclude": ["delivered"],
                "labels_include_ja": ["..."],       (only when --language is ja)
                "timeout": 15}}           wait until the UI's --state-file matches
    {"sleep": 0.5}
    {"restart": 2, "expect_during": {...}}  drop the client and the socket for 2 s (the
                                          "service not running" case; the UI must match
                                          expect_during meanwhile), then listen again: the
                                          UI reconnects and gets hello + the snapshot
    {"expect_cmd": "details"}             wait until the UI sent this command
    {"clear_cmds": true}                  forget the commands received so far
    {"ui": "click admin-button"}          a simulated touch, written to the UI's
                                          --test-control FIFO (--control): "click NAME",
                                          "type NAME TEXT", "activate NAME"

Administration (docs/protocol.md): "admin-login" takes ADMIN_PASSWORD; five wrong ones in a
row lock the login for 900 s (even the right password is refused meanwhile); "admin-status"
answers sample data after a login on the connection; "print" replies and sends a "print"
event (printed, or failed for session "s3").
Exit 0 when every step passed, 1 with a message on stderr otherwise.
"""
import argparse
import json
import os
import socket
import sys
import threading
import time

ADMIN_PASSWORD = "Harbour-Admin-2024!"
ADMIN_MAX_FAILURES = 5
ADMIN_LOCKOUT = 900

STATES = {"idle", "detected", "checking", "scanning", "delivering", "done", "failed",
          "remove-media", "refused", "out-of-service"}


class Service:
    def __init__(self, args, hello):
        self.path = args.socket
        self.hello = hello
        self.testing = hello.get("testing_mode", True)
        self.snapshot = {"state": "idle", "session": None}
        self.queue = 0
        self.client = None
        self.lock = threading.Lock()
        self.commands = []
        self.listener = None
        self.connected = threading.Event()
        self.admin = False          # logged in on the current connection
        self.admin_failures = 0
        self.admin_locked_until = 0.0

    def now(self):
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def event(self, ev):
        ev = dict(ev)
        ev.setdefault("session", None)
        ev.setdefault("time", self.now())
        ev.setdefault("testing_mode", self.testing)
        return ev

    def write(self, obj):
        with self.lock:
            if not self.client:
                return False
            try:
                self.client.sendall((json.dumps(obj, ensure_ascii=False) + "\n").encode())
                return True
            except OSError:
                return False

    def listen(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(self.path)
        s.listen(4)
        self.listener = s
        threading.Thread(target=self.accept_loop, args=(s,), daemon=True).start()

    def accept_loop(self, s):
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return
            with self.lock:
                if self.client:
                    self.client.close()
                self.client = c
            self.admin = False  # a login belongs to its connection
            self.write(self.event(dict(self.hello, type="hello")))
            self.send_status()
            self.connected.set()
            threading.Thread(target=self.read_loop, args=(c,), daemon=True).start()

    def send_status(self):
        snap = dict(self.snapshot)
        ev = self.event(dict(snap, type="status", queue=self.queue))
        self.write(ev)

    def read_loop(self, c):
        buf = b""
        while True:
            try:
                data = c.recv(4096)
            except OSError:
                return
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                try:
                    cmd = json.loads(line)
                except ValueError:
                    continue
                self.commands.append(cmd)
                name = cmd.get("cmd")
                if name == "status":
                    self.send_status()
                if name in ("admin-login", "admin-status", "admin-logout", "print"):
                    for ev in self.admin_command(cmd):
                        self.write(self.event(ev))
                    continue
                self.write(self.event({"type": "reply", "cmd": name,
                                       "ok": name in ("status", "details", "cancel"),
                                       "error": None if name in ("status", "details", "cancel")
                                       else "unknown command"}))

    def admin_command(self, cmd):
        """The reply (and events) for an administration or print command."""
        name = cmd.get("cmd")
        reply = {"type": "reply", "cmd": name, "ok": True, "error": None}
        if name == "admin-login":
            now = time.time()
            pw = cmd.get("password")
            locked = now < self.admin_locked_until
            if locked:
                retry = int(self.admin_locked_until - now + 0.999)
                minutes = (retry + 59) // 60
                msg = ("Too many wrong passwords. Administrator login is locked for %d more "
                       "minute%s." % (minutes, "" if minutes == 1 else "s"))
                reply.update(ok=False, error=msg, message=msg, locked=True, retry_after=retry,
                             remaining=0)
            elif pw == ADMIN_PASSWORD:
                self.admin = True
                self.admin_failures = 0
                reply.update(message="Logged in.", locked=False, retry_after=0,
                             remaining=ADMIN_MAX_FAILURES)
            else:
                self.admin_failures += 1
                left = ADMIN_MAX_FAILURES - self.admin_failures
                if left <= 0:
                    self.admin_locked_until = now + ADMIN_LOCKOUT
                    self.admin_failures = 0
                    msg = ("Too many wrong passwords. Administrator login is locked for %d "
                           "more minutes." % (ADMIN_LOCKOUT // 60))
                    reply.update(ok=False, error=msg, message=msg, locked=True,
                                 retry_after=ADMIN_LOCKOUT, remaining=0)
                else:
                    msg = "Wrong password. %d attempt%s left before a lockout." % (
                        left, "" if left == 1 else "s")
                    reply.update(ok=False, error=msg, message=msg, locked=False,
                                 retry_after=0, remaining=left)
            time.sleep(0.25)  # the service's Argon2id check
            return [reply]
        if name == "admin-logout":
            self.admin = False
            return [reply]
        if name == "admin-status":
            if not self.admin:
                reply.update(ok=False, error="administrator login required")
                return [reply]
            reply["status"] = sample_status(self.snapshot.get("state", "idle"))
            return [reply]
        # print (a reprint from the administrator's page, or the result page's button)
        session = cmd.get("session") or "last"
        reply["printing"] = True
        if session == "s3":
            ev = {"type": "print", "session": session, "status": "failed",
                  "reason": "the printer is out of paper",
                  "saved": "/var/lib/kiosk/reports/%s.pdf" % session}
        else:
            ev = {"type": "print", "session": session, "status": "printed",
                  "saved": "/var/lib/kiosk/reports/%s.pdf" % session}
        return [reply, ev]

    def send(self, ev):
        ev = self.event(ev)
        if ev["type"] in STATES:
            self.snapshot = {k: v for k, v in ev.items() if k not in ("type", "time")}
            self.snapshot["state"] = ev["type"]
        self.write(ev)

    def stop(self):
        # shutdown() before close(): a thread blocked in accept()/recv() keeps the socket
        # open otherwise, and the UI would never see the end of the stream.
        with self.lock:
            for sock in (self.listener, self.client):
                if sock:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    sock.close()
            self.listener = self.client = None
        self.connected.clear()
        if os.path.exists(self.path):
            os.unlink(self.path)


def sample_status(state):
    """An "admin-status" reply's "status" (the fields of docs/protocol.md)."""
    def sess(sid, t, status, files, delivered, infected=0, blocked=0, errors=0):
        return {"session": sid, "time": t, "status": status, "files": files,
                "delivered": delivered, "infected": infected, "blocked": blocked,
                "errors": errors, "delivery": "/srv/kiosk/staging/" + sid}
    return {
        "policy": {"file": "/etc/kiosk/policy.json", "valid": True, "name": "Tobishima-2024",
                   "version": 7, "sha256": "3b1f" * 16},
        "signatures": {"folder": "/var/lib/clamav", "db_version": "27310",
                       "build_time": "2024-06-09T07:42:00Z", "age_days": 2,
                       "max_age_days": 7, "too_old": False, "test_signatures": False},
        "staging": {"folder": "/srv/kiosk/staging", "free_bytes": 182400000000,
                    "total_bytes": 250000000000},
        "printer": {"queue": "Brother_HL-L2350DW"},
        "admin": {"password_set": True, "locked": False, "retry_after": 0},
        "last_sessions": [
            sess("s2", "2024-06-11T00:45:10Z", "delivered", 3, 3),
            sess("s1", "2024-06-11T00:30:02Z", "partial", 9, 5, 2, 1, 1),
            sess("s3", "2024-06-10T23:58:40Z", "partial", 2, 0, 1, 1),
            sess("s4", "2024-06-10T22:15:00Z", "failed", 0, 0),
        ],
        "service": {"state": state, "queue": 0, "db_version": "27310",
                    "db_build_time": "2024-06-09T07:42:00Z", "db_age_days": 2,
                    "signature_count": 8708630, "test_signatures": False,
                    "policy": "Tobishima-2024", "policy_version": 7, "reloading": False,
                    "problem": None},
    }


def read_state(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


LANGUAGE = "en"  # --language: picks "labels_include_ja" / "labels_include_en"


def matches(state, want):
    if state is None:
        return False, "no state file yet"
    for k, v in want.items():
        if k in ("timeout", "labels_include", "labels_exclude", "labels_include_en",
                 "labels_include_ja"):
            continue
        if state.get(k) != v:
            return False, "%s is %r, want %r" % (k, state.get(k), v)
    labels = state.get("labels", [])
    for text in want.get("labels_include", []) + want.get("labels_include_" + LANGUAGE, []):
        if not any(text in label for label in labels):
            return False, "no visible text contains %r (visible: %r)" % (text, labels)
    for text in want.get("labels_exclude", []):
        if any(text in label for label in labels):
            return False, "visible text contains %r (visible: %r)" % (text, labels)
    return True, ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--socket", required=True)
    ap.add_argument("--script", required=True)
    ap.add_argument("--state-file")
    ap.add_argument("--language", default="en")
    ap.add_argument("--connect-timeout", type=float, default=30)
    ap.add_argument("--control", help="the UI's --test-control FIFO (for \"ui\" steps)")
    args = ap.parse_args()
    global LANGUAGE
    LANGUAGE = args.language

    with open(args.script) as f:
        script = json.load(f)
    hello = {"version": 1, "kiosk_name": "Quarantine kiosk 1", "site": "Tobishima Pier",
             "language": args.language, "can_print": True, "testing_mode": True}
    if script and "hello" in script[0]:
        hello.update(script.pop(0)["hello"])
    svc = Service(args, hello)
    svc.listen()
    if not svc.connected.wait(args.connect_timeout):
        print("fake-service: the UI never connected", file=sys.stderr)
        return 1

    for n, step in enumerate(script, 1):
        if "send" in step:
            svc.send(step["send"])
        elif "ui" in step:
            if not args.control:
                print("fake-service: step %d: a \"ui\" step needs --control" % n, file=sys.stderr)
                return 1
            with open(args.control, "w") as f:
                f.write(step["ui"] + "\n")
            print("ok: step %d: ui %s" % (n, step["ui"].split(" ", 2)[0] + " " +
                                          step["ui"].split(" ", 2)[1]), flush=True)
        elif "clear_cmds" in step:
            svc.commands.clear()
        elif "sleep" in step:
            time.sleep(step["sleep"])
        elif "restart" in step:
            svc.stop()
            deadline = time.time() + step["restart"]
            want = step.get("expect_during")
            while want:
                ok, why = matches(read_state(args.state_file), want)
                if ok:
                    print("ok: step %d: while down: %s" % (n, json.dumps(want)), flush=True)
                    break
                if time.time() > deadline:
                    print("fake-service: step %d: while down: %s" % (n, why), file=sys.stderr)
                    return 1
                time.sleep(0.1)
            time.sleep(max(0, deadline - time.time()))
            svc.listen()
            if not svc.connected.wait(args.connect_timeout):
                print("fake-service: step %d: the UI did not reconnect" % n, file=sys.stderr)
                return 1
        elif "expect" in step:
            want = step["expect"]
            deadline = time.time() + want.get("timeout", 15)
            while True:
                ok, why = matches(read_state(args.state_file), want)
                if ok:
                    break
                if time.time() > deadline:
                    print("fake-service: step %d: %s" % (n, why), file=sys.stderr)
                    return 1
                time.sleep(0.1)
            print("ok: step %d: %s" % (n, json.dumps(want, ensure_ascii=False)), flush=True)
        elif "expect_cmd" in step:
            deadline = time.time() + step.get("timeout", 10)
            while not any(c.get("cmd") == step["expect_cmd"] for c in svc.commands):
                if time.time() > deadline:
                    print("fake-service: step %d: no %r command (got %r)"
                          % (n, step["expect_cmd"], svc.commands), file=sys.stderr)
                    return 1
                time.sleep(0.1)
        else:
            print("fake-service: step %d: unknown step %r" % (n, step), file=sys.stderr)
            return 1
    svc.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
