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
                "timeout": 15}}           wait until the UI's --state-file matches
    {"sleep": 0.5}
    {"restart": 2, "expect_during": {...}}  drop the client and the socket for 2 s (the
                                          "service not running" case; the UI must match
                                          expect_during meanwhile), then listen again: the
                                          UI reconnects and gets hello + the snapshot
    {"expect_cmd": "details"}             wait until the UI sent this command
Exit 0 when every step passed, 1 with a message on stderr otherwise.
"""
import argparse
import json
import os
import socket
import sys
import threading
import time

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
                self.write(self.event({"type": "reply", "cmd": name,
                                       "ok": name in ("status", "details", "cancel"),
                                       "error": None if name in ("status", "details", "cancel")
                                       else "unknown command"}))

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


def read_state(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def matches(state, want):
    if state is None:
        return False, "no state file yet"
    for k, v in want.items():
        if k in ("timeout", "labels_include", "labels_exclude"):
            continue
        if state.get(k) != v:
            return False, "%s is %r, want %r" % (k, state.get(k), v)
    labels = state.get("labels", [])
    for text in want.get("labels_include", []):
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
    args = ap.parse_args()

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
