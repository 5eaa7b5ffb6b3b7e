#!/usr/bin/env python3
"""Clients (and one device) for tether-proxy's network tests, where curl and
meterd cannot say enough:

  proxy_client.py status ADDR PORT 'RAW REQUEST'   print the status code of the answer
                                                   (\\r \\n escapes; {big:N} = N bytes)
  proxy_client.py keepalive ADDR PORT HOST CLIENT  two requests on one connection, the
                                                   second with forged forwarding fields;
                                                   checks what the device saw
  proxy_client.py ws ADDR PORT HOST                a WebSocket echo through the proxy
  proxy_client.py pipeline ADDR PORT HOST1 HOST2   three requests in one write, to HOST1,
                                                   HOST2, HOST1: three answers in order
  proxy_client.py slowloris ADDR PORT HOST N SECONDS READY_FILE
                                                   N connections that send a head a byte
                                                   at a time; READY_FILE once all are open
  proxy_client.py serve ADDR PORT DIR              a device with big bodies: GET /F serves
                                                   DIR's file F (/chunked/F chunked, /close/F
                                                   until it closes), POST answers the SHA-256
                                                   of its body (Content-Length or chunked);
                                                   HTTP/1.1 keep-alive

Exit status 0 when the check holds, 1 (with the reason on stderr) otherwise.
Everything is bounded by timeouts."""
import base64
import hashlib
import http.server
import os
import re
import socket
import sys
import time


def fail(why):
    sys.stderr.write("proxy_client: %s\n" % why)
    sys.exit(1)


def connect(addr, port):
    s = socket.create_connection((addr, int(port)), timeout=5)
    s.settimeout(5)
    return s


def read_response(s, buf=b""):
    """One response: (status, head, body, rest). Content-Length or close."""
    while b"\r\n\r\n" not in buf:
        data = s.recv(65536)
        if not data:
            break
        buf += data
    if b"\r\n\r\n" not in buf:
        fail("no complete response head, got %r" % buf[:200])
    head, rest = buf.split(b"\r\n\r\n", 1)
    m = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    if not m:
        fail("bad status line %r" % head[:100])
    cl = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
    if cl:
        n = int(cl.group(1))
        while len(rest) < n:
            data = s.recv(65536)
            if not data:
                break
            rest += data
        return int(m.group(1)), head.decode("latin-1"), rest[:n], rest[n:]
    while True:
        try:
            data = s.recv(65536)
        except socket.timeout:
            break
        if not data:
            break
        rest += data
    return int(m.group(1)), head.decode("latin-1"), rest, b""


def expand(raw):
    raw = re.sub(r"\{big:(\d+)\}", lambda m: "a" * int(m.group(1)), raw)
    return raw.replace("\\r", "\r").replace("\\n", "\n").encode("latin-1")


def cmd_status(addr, port, raw):
    s = connect(addr, port)
    try:
        s.sendall(expand(raw))
    except OSError:
        pass  # the answer may already be on its way
    status, _, _, _ = read_response(s)
    print(status)


def cmd_keepalive(addr, port, host, client):
    s = connect(addr, port)
    req = "GET /headers HTTP/1.1\r\nHost: %s\r\n%s\r\n"
    s.sendall(req.encode() % (host.encode(), b""))
    status, _, body1, rest = read_response(s)
    if status != 200:
        fail("first request: status %d" % status)
    forged = ("X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\n"
              "Forwarded: for=6.6.6.6\r\nX-Real-IP: 6.6.6.6\r\nX-Forwarded-Host: evil\r\n")
    s.sendall((req % (host, forged)).encode())
    status, _, body2, _ = read_response(s, rest)
    if status != 200:
        fail("second request: status %d" % status)
    for n, body in ((1, body1), (2, body2)):
        text = body.decode("latin-1")
        want = ["X-Forwarded-For: %s\r\n" % client, "X-Forwarded-Proto: http\r\n",
                "X-Forwarded-Host: %s\r\n" % host,
                "Forwarded: for=%s;proto=http;host=%s\r\n" % (client, host)]
        for w in want:
            if text.count(w) != 1:
                fail("request %d: %r not there exactly once in:\n%s" % (n, w, text))
        if "6.6.6.6" in text or "evil" in text:
            fail("request %d: a forged field reached the device:\n%s" % (n, text))
    print("ok")


def cmd_ws(addr, port, host):
    s = connect(addr, port)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (host, key))
              .encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = s.recv(4096)
        if not data:
            fail("closed during the upgrade")
        buf += data
    head, rest = buf.split(b"\r\n\r\n", 1)
    if not head.startswith(b"HTTP/1.1 101"):
        fail("no 101: %r" % head[:100])
    for i in range(3):
        payload = ("echo %d through tether-proxy" % i).encode() * (1 + 100 * i)
        mask = os.urandom(4)
        n = len(payload)
        hdr = bytes([0x81, 0x80 | n]) if n < 126 else bytes([0x81, 0x80 | 126, n >> 8, n & 255])
        s.sendall(hdr + mask + bytes(b ^ mask[j % 4] for j, b in enumerate(payload)))
        need = 2 + (2 if n >= 126 else 0) + n
        while len(rest) < need:
            data = s.recv(65536)
            if not data:
                fail("closed before the echo")
            rest += data
        frame, rest = rest[:need], rest[need:]
        if frame[-n:] != payload or frame[0] != 0x81:
            fail("echo %d differs" % i)
    s.sendall(bytes([0x88, 0x80]) + os.urandom(4))
    print("ok")


def cmd_pipeline(addr, port, host1, host2):
    s = connect(addr, port)
    hosts = [host1, host2, host1]
    s.sendall(b"".join(b"GET /name HTTP/1.1\r\nHost: %s\r\n\r\n" % h.encode() for h in hosts))
    rest = b""
    for h in hosts:
        status, _, body, rest = read_response(s, rest)
        want = h.split(".")[0].encode() + b"\n"
        if status != 200 or body != want:
            fail("pipelined answer for %s: %d %r" % (h, status, body))
    print("ok")


def cmd_slowloris(addr, port, host, n, seconds, ready):
    head = ("GET / HTTP/1.1\r\nHost: %s\r\nX-Slow: " % host).encode()
    socks = []
    for _ in range(int(n)):
        socks.append(connect(addr, port))
    open(ready, "w").close()
    end = time.time() + float(seconds)
    i = 0
    while time.time() < end and socks:
        for s in list(socks):
            try:
                s.send(head[i:i + 1] if i < len(head) else b"a")
            except OSError:
                socks.remove(s)
        i += 1
        time.sleep(0.2)
    for s in socks:
        s.close()
    print("closed by the proxy: %d of %s" % (int(n) - len(socks), n))


class Device(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root = "."

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        name = os.path.basename(self.path)
        try:
            with open(os.path.join(self.root, name), "rb") as f:
                data = f.read()
        except OSError:
            self.reply(404, b"no such file\n")
            return
        if self.path.startswith("/chunked/"):
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            i, size = 0, 1
            while i < len(data):
                part = data[i:i + size]
                self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(part), part))
                i += len(part)
                size = size * 3 % 70001 + 1
            self.wfile.write(b"0\r\nX-Trailer: yes\r\n\r\n")
        elif self.path.startswith("/close/"):
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True
        else:
            self.reply(200, data)

    def do_POST(self):
        h = hashlib.sha256()
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b""):
                        pass
                    break
                h.update(self.rfile.read(size))
                self.rfile.readline()
        else:
            h.update(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        self.reply(200, (h.hexdigest() + "\n").encode())


def cmd_serve(addr, port, root):
    Device.root = root
    http.server.ThreadingHTTPServer((addr, int(port)), Device).serve_forever()


if __name__ == "__main__":
    cmds = {"status": (cmd_status, 3), "keepalive": (cmd_keepalive, 4), "ws": (cmd_ws, 3),
            "pipeline": (cmd_pipeline, 4),
            "slowloris": (cmd_slowloris, 6), "serve": (cmd_serve, 3)}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds or len(sys.argv) - 2 != cmds[sys.argv[1]][1]:
        sys.stderr.write(__doc__)
        sys.exit(2)
    try:
        cmds[sys.argv[1]][0](*sys.argv[2:])
    except (OSError, socket.timeout) as e:
        fail(str(e))
