#!/usr/bin/env python3
"""A stand-in for tetherd's read-only control socket (docs/control.md), for
the proxy's network tests: it answers status, device.list and watch (a
snapshot, then one event line per change) and refuses everything else as
read_only. The test changes the table through a second socket:

  proxy_fake_control.py serve RO_SOCKET ADMIN_SOCKET DEVICES.json
  proxy_fake_control.py send ADMIN_SOCKET 'offline NAME' | 'online NAME' |
      'remove NAME' | 'add NAME ADDRESS' | 'drop' (close every watcher)

DEVICES.json is a list of [name, address, online]. Bounded: at most 64
clients, lines of at most 4096 bytes, as tetherd."""
import json
import os
import selectors
import socket
import sys
import time

LINE_MAX = 4096
CLIENTS_MAX = 64
DOMAIN = os.environ.get("FAKE_DOMAIN", "remote.test")


def device(name, address, online, since):
    return {
        "name": name, "public_key": None, "state": "active", "address": address,
        "interface": "tt-" + name[:12], "online": online, "since": since,
        "endpoint": None, "last_handshake": None, "rx_bytes": 0, "tx_bytes": 0,
        "url": "https://%s.%s/" % (name, DOMAIN), "created": since,
    }


class Fake:
    def __init__(self, ro_path, admin_path, devices_path):
        with open(devices_path) as f:
            now = int(time.time())
            self.devices = {n: device(n, a, o, now - 3600) for n, a, o in json.load(f)}
        self.sel = selectors.DefaultSelector()
        self.clients = {}  # socket -> [buffer, watching, admin]
        for path, admin in ((ro_path, False), (admin_path, True)):
            if os.path.exists(path):
                os.unlink(path)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(path)
            # the proxy runs as an unprivileged user after its start
            os.chmod(path, 0o666 if not admin else 0o600)
            s.listen(16)
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ, ("listen", admin))

    def send(self, s, obj):
        data = (json.dumps(obj, separators=(",", ":")) + "\n").encode()
        try:
            s.setblocking(True)
            s.settimeout(2)
            s.sendall(data)
            s.setblocking(False)
        except OSError:
            self.close(s)

    def close(self, s):
        if s in self.clients:
            del self.clients[s]
            self.sel.unregister(s)
            s.close()

    def broadcast(self, event, dev):
        for s, st in list(self.clients.items()):
            if st[1]:
                self.send(s, {"event": event, "device": dev})

    def answer(self, s, st, line):
        try:
            req = json.loads(line)
            cmd = req["cmd"]
        except (ValueError, KeyError, TypeError):
            self.send(s, {"ok": False, "error": "bad request", "code": "bad_request"})
            return
        listing = [self.devices[n] for n in sorted(self.devices)]
        if cmd == "watch":
            st[1] = True
            self.send(s, {"ok": True, "devices": listing})
        elif cmd == "device.list":
            self.send(s, {"ok": True, "devices": listing})
        elif cmd == "status":
            self.send(s, {"ok": True, "status": {"domain": DOMAIN, "devices": {
                "total": len(listing)}}})
        else:
            self.send(s, {"ok": False, "error": "%s is refused on the read-only socket" % cmd,
                          "code": "read_only"})

    def admin(self, s, line):
        words = line.split()
        now = int(time.time())
        if words[:1] == ["drop"]:
            for c, st in list(self.clients.items()):
                if st[1]:
                    self.close(c)
        elif len(words) == 2 and words[0] in ("online", "offline") and words[1] in self.devices:
            dev = self.devices[words[1]]
            dev["online"] = words[0] == "online"
            dev["since"] = now
            self.broadcast(words[0], dev)
        elif len(words) == 2 and words[0] == "remove" and words[1] in self.devices:
            self.broadcast("removed", self.devices.pop(words[1]))
        elif len(words) == 3 and words[0] == "add":
            self.devices[words[1]] = device(words[1], words[2], True, now)
            self.broadcast("added", self.devices[words[1]])
        else:
            self.send(s, {"ok": False})
            return
        self.send(s, {"ok": True})

    def run(self):
        while True:
            for key, _ in self.sel.select(timeout=1):
                s = key.fileobj
                if key.data and key.data[0] == "listen":
                    c, _ = s.accept()
                    if len(self.clients) >= CLIENTS_MAX:
                        c.close()
                        continue
                    c.setblocking(False)
                    self.clients[c] = [b"", False, key.data[1]]
                    self.sel.register(c, selectors.EVENT_READ, None)
                    continue
                st = self.clients.get(s)
                if st is None:
                    continue
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    self.close(s)
                    continue
                st[0] += data
                while b"\n" in st[0] and s in self.clients:
                    line, st[0] = st[0].split(b"\n", 1)
                    if st[2]:
                        self.admin(s, line.decode())
                    elif not st[1]:
                        self.answer(s, st, line)
                if len(st[0]) > LINE_MAX:
                    self.close(s)


def send(path, line):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    s.sendall(line.encode() + b"\n")
    answer = s.makefile().readline()
    s.close()
    return 0 if json.loads(answer).get("ok") else 1


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "serve":
        Fake(sys.argv[2], sys.argv[3], sys.argv[4]).run()
    elif len(sys.argv) == 4 and sys.argv[1] == "send":
        sys.exit(send(sys.argv[2], sys.argv[3]))
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)
