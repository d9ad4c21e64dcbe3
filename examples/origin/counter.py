#!/usr/bin/env python3
"""The counter API of the Pushpin announcement (seed 004), as a plain Python app: the standard library only, and
nothing in it knows about Switchboard. `switchboard http-origin --to http://127.0.0.1:3000` puts it behind a router.

  GET  /counter/value/          the current value
  GET  /counter/value/?last=N   the value once it is past N: answers at once if it already is, else holds the
                                request (a long poll) until a POST moves it, or answers {} after --poll-timeout s
  POST /counter/value/          adds one, answers the new value, and releases every held poll
"""
import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Counter:
    def __init__(self):
        self.value = 0
        self.changed = threading.Condition()

    def inc(self):
        with self.changed:
            self.value += 1
            self.changed.notify_all()
            return self.value

    def past(self, last, timeout):
        """The value once it is past `last`, or None after `timeout` seconds."""
        with self.changed:
            if self.changed.wait_for(lambda: self.value > last, timeout):
                return self.value
            return None


COUNTER = Counter()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the origin worker reuses its connections
    poll_timeout = 20.0

    def answer(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path != "/counter/value/":
            return self.answer(404, '{"error": "not found"}\n')
        last = parse_qs(url.query).get("last")
        if last is None or not last[0].lstrip("-").isdigit():
            return self.answer(200, "%d\n" % COUNTER.value)
        if int(last[0]) >= COUNTER.value:
            print("holding a poll at %s" % last[0], flush=True)
        value = COUNTER.past(int(last[0]), self.poll_timeout)
        self.answer(200, "{}\n" if value is None else "%d\n" % value)

    def do_POST(self):
        if urlsplit(self.path).path != "/counter/value/":
            return self.answer(404, '{"error": "not found"}\n')
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.answer(200, "%d\n" % COUNTER.inc())

    def log_message(self, fmt, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=3000, help="0: any free port (the line printed names it)")
    parser.add_argument("--poll-timeout", type=float, default=20.0, help="seconds a poll is held before {}")
    args = parser.parse_args()
    Handler.poll_timeout = args.poll_timeout
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print("counter listening on http://127.0.0.1:%d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
