#!/usr/bin/env python3
"""A backend for the origin worker's tests, in Python's standard library only: an HTTP/1.1 keep-alive server
(ThreadingHTTPServer) on a port the kernel picks. Prints JSON lines on stdout: {"msg": "listening", "port": N} first,
then one line per event a test waits for. Stops on SIGTERM.

  GET  /hello                "hello from python\n"
  GET  /sleep?ms=N           "slept N ms\n" after N ms
  GET  /headers              the request line and headers as JSON
  POST /echo                 streams the request body back as it reads it (Content-Length or chunked request)
  GET  /bytes/N              N bytes of a repeating pattern, in 64 KiB writes
  GET  /reset                Content-Length 1000000, 65536 bytes, then the connection is reset (RST)
  GET  /hang                 never answers (until the connection closes, at most 60 s)
  GET  /drip                 an event every 50 ms until the client goes away; logs {"msg": "client disconnected"}
  GET  /grip                 a GRIP hold instruction (Grip-Hold: stream), as an app behind Pushpin answers
  GET  /hop                  hop-by-hop fields and one the Connection field names, with a trailer-less chunked body
  GET  /stale                answers the first request of a connection; a later one on the same connection is cut
  GET  /raw-header           X-Raw-Echo: the request's X-Raw bytes; X-Latin: bytes that are not UTF-8 (caf\xe9 \xff)
"""
import json
import signal
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATTERN = bytes(range(256)) * 256  # 64 KiB


def log(msg, **fields):
    print(json.dumps({"msg": msg, **fields}), flush=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    served_here = 0  # requests served on this connection (one handler instance per connection)

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="text/plain", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def body_chunks(self):
        """The request body as it arrives: Content-Length or chunked (http.server decodes neither)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return
                left = size
                while left:
                    data = self.rfile.read(min(left, 65536))
                    left -= len(data)
                    yield data
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length", "0"))
            while left:
                data = self.rfile.read(min(left, 65536))
                if not data:
                    return
                left -= len(data)
                yield data

    def do_GET(self):
        self.served_here += 1
        path = self.path.split("?")[0]
        if path == "/hello":
            self.reply(200, b"hello from python\n")
        elif path == "/sleep":
            ms = int(self.path.split("ms=")[1])
            threading.Event().wait(ms / 1000)
            self.reply(200, b"slept %d ms\n" % ms)
        elif path == "/headers":
            body = json.dumps({"method": self.command, "path": self.path, "headers": [[k, v] for k, v in self.headers.items()]})
            self.reply(200, body.encode(), "application/json")
        elif path.startswith("/bytes/"):
            n = int(path[7:])
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            while n > 0:
                part = PATTERN[: min(n, len(PATTERN))]
                self.wfile.write(part)
                n -= len(part)
        elif path == "/reset":
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            self.wfile.write(PATTERN)
            self.wfile.flush()
            # SO_LINGER 0: close() sends RST, as a crashing backend's kernel would.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            log("reset sent")
        elif path == "/hang":
            log("hanging")
            self.connection.settimeout(60)
            try:
                self.rfile.read(1)  # returns when the origin closes the connection
            except OSError:
                pass
            log("hang ended")
            self.close_connection = True
        elif path == "/drip":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            stop = threading.Event()
            try:
                for i in range(1200):  # 60 s at most
                    self.chunk(b"data: %d\n\n" % i)
                    self.wfile.flush()
                    stop.wait(0.05)
            except OSError:
                log("client disconnected", path=path)
            self.close_connection = True
        elif path == "/grip":
            self.reply(200, b"held\n", "text/plain", [("Grip-Hold", "stream"), ("Grip-Channel", "test"), ("Grip-Keep-Alive", "\\n; format=cstring; timeout=20")])
        elif path == "/hop":
            self.send_response(200)
            self.send_header("Connection", "keep-alive, X-Hop-Secret")
            self.send_header("Keep-Alive", "timeout=30")
            self.send_header("X-Hop-Secret", "for this connection only")
            self.send_header("X-End-To-End", "kept")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.chunk(b"hop ")
            self.chunk(b"by hop\n")
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/raw-header":
            # http.server reads and writes header bytes as latin-1: the bytes come back as they came.
            self.reply(200, b"raw\n", "text/plain", [("X-Raw-Echo", self.headers.get("X-Raw", "")), ("X-Latin", "caf\xe9 \xff")])
        elif path == "/stale":
            if self.served_here == 1:
                self.reply(200, b"fresh connection\n")
            else:
                log("stale connection cut")
                self.connection.close()
                self.close_connection = True
        else:
            self.reply(404, b"not found\n")

    def do_HEAD(self):
        self.reply(200, b"")

    def do_POST(self):
        self.served_here += 1
        if self.path != "/echo":
            self.reply(404, b"not found\n")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        total = 0
        for data in self.body_chunks():
            total += len(data)
            self.chunk(data)
        self.wfile.write(b"0\r\n\r\n")
        log("echoed", bytes=total)


class Server(ThreadingHTTPServer):
    # socketserver's listen backlog is 5: a burst of new connections (an origin worker taking over a killed one's
    # streams opens one per stream) could overflow it on a loaded machine, as no production server's would.
    request_queue_size = 128


def main():
    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    log("listening", port=server.server_address[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
