#!/usr/bin/python3
"""A Switchboard worker in Python, written from protocol/SPEC.md (minimal protocol, SPEC §1-4).

    python3 hello.py NAME [--connect tcp://127.0.0.1:8000]... [--control tcp://127.0.0.1:8001]...

Serves the conformance paths (SPEC §7): `/` answers "Hello from NAME", `/echo` echoes the request
body and its x-echo-* headers, `/stream?count=N&interval=MS` sends a chunk every MS milliseconds.
With --control (a router's control endpoint), `POST /publish?channel=C` publishes the request body
in-band on channel C to those routers (SPEC §5.10, publish.py). A WebSocket's events (WebSocket-over-HTTP, a request
of Content-Type application/websocket-events) are echoed, statelessly (wsevents.py). With --route (repeatable: a host,
a path prefix, or both, e.g. api.example.com, /v2/, api.example.com/v2/), it says hello on each
router's control endpoint announcing those routes (SPEC §5.2, routed.py) and serves only the
requests routed to it there, instead of speaking the minimal protocol.
Needs pyzmq (Debian: python3-zmq); the wire format is in spdy.py, standard library only.
"""
import argparse, heapq, itertools, sys, time
from urllib.parse import parse_qs, urlsplit
import zmq
from publish import PublishError, Publisher
from routed import HEARTBEAT_S, Link, control_endpoint_for, new_worker_id
from spdy import SYN_REPLY, ProtocolError, data_frame, headers_frame, read_message, rst_stream
import wsevents

# ---- the worker (SPEC §2, §4): a ROUTER socket connected to every router --------------------------

class Worker:
    def __init__(self, name, endpoints, control=(), routes=()):
        self.name, self.requests, self.streams, self.timers, self.seq = name, {}, {}, [], itertools.count()
        self.publisher = Publisher(control) if control else None
        self.sock = zmq.Context.instance().socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.ROUTER_MANDATORY, 1)  # an unroutable reply raises instead of vanishing
        self.sock.setsockopt(zmq.LINGER, 0)
        self.links, self.poller = {}, zmq.Poller()
        if routes:  # routed: streams come on the control endpoints only, never as a minimal worker's
            worker_id = new_worker_id()
            for endpoint in control or [control_endpoint_for(e) for e in endpoints]:
                link = Link(endpoint, worker_id, name, routes)
                self.links[link.sock] = link
                self.poller.register(link.sock, zmq.POLLIN)
        else:
            for endpoint in endpoints:
                self.sock.connect(endpoint)
            self.poller.register(self.sock, zmq.POLLIN)
        self.next_hello = time.monotonic() + HEARTBEAT_S

    def run(self):
        while True:
            dues = ([self.timers[0][0]] if self.timers else []) + ([self.next_hello] if self.links else [])
            wait = max(0, min(dues) - time.monotonic()) * 1000 if dues else None
            for sock, _ in self.poller.poll(wait):
                if sock is self.sock:
                    self.receive(sock.recv_multipart())
                else:
                    self.receive_link(self.links[sock], sock.recv_multipart())
            while self.timers and self.timers[0][0] <= time.monotonic():
                self.next_chunk(*heapq.heappop(self.timers)[2:])
            if self.links and self.next_hello <= time.monotonic():
                self.next_hello = time.monotonic() + HEARTBEAT_S
                for link in self.links.values():
                    link.say_hello()

    def receive_link(self, link, message):
        """A message on a control link: the link's own frames, then stream frames keyed by the link."""
        for f in read_message(message):
            if isinstance(f, ProtocolError):
                self.bad_frame(link, f)
                continue
            handled = link.on_frame(f)
            if handled == 'welcome':  # this router holds none of our streams (SPEC §5.2)
                for key in [k for k in list(self.requests) + list(self.streams) if k[0] is link]:
                    self.requests.pop(key, None)
                    self.streams.pop(key, None)
            elif not handled:
                if f['type'] == 'SYN_STREAM':
                    link.opened(f['stream_id'])
                elif f['type'] == 'DATA':
                    link.request_data(f['stream_id'], len(f['data']), f['fin'])
                elif f['type'] == 'RST_STREAM':
                    link.closed(f['stream_id'])
                self.on_frame(link, f)

    def receive(self, message):
        router = message[0]  # the routing id of the router's socket: replies go back through it
        for f in read_message(message[1:]):  # [router, ""] is the router's probe (SPEC §2): no frames, nothing to do
            if isinstance(f, ProtocolError):
                self.bad_frame(router, f)
            else:
                self.on_frame(router, f)

    def bad_frame(self, router, e):  # SPEC §3.1, §4.6 step 6: it costs its own stream, if it names one
        log('bad frame: %s' % e)
        if e.stream_id:
            self.requests.pop((router, e.stream_id), None)
            self.streams.pop((router, e.stream_id), None)
            self.send(router, rst_stream(e.stream_id, e.status))

    def on_frame(self, router, f):
        key = (router, f.get('stream_id'))
        if f['type'] == 'SYN_STREAM':
            self.requests[key] = (f['headers'], bytearray())
        elif f['type'] == 'DATA' and key in self.requests:
            self.requests[key][1].extend(f['data'])
        elif f['type'] == 'RST_STREAM':  # cancelled: send nothing more for it (SPEC §4.4)
            self.requests.pop(key, None)
            self.streams.pop(key, None)
        if f['type'] in ('SYN_STREAM', 'DATA') and f['fin'] and key in self.requests:
            self.respond(router, f['stream_id'], *self.requests.pop(key))
        # Anything else (SETTINGS, PING, unknown types, frames of unknown streams) is ignored.

    def respond(self, router, sid, headers, body):
        h = dict(headers)
        url, head = urlsplit(h.get(':path', '/')), h.get(':method') == 'HEAD'
        status, extra, ctype = '200', [], 'text/plain'
        if h.get('content-type', '').split(';')[0].strip() == wsevents.CONTENT_TYPE:
            try:  # a batch of a WebSocket's events: the reply's events go to the client, OPEN accepting it
                body, ctype = wsevents.encode_events(wsevents.echo(wsevents.decode_events(bytes(body)))), wsevents.CONTENT_TYPE
            except wsevents.EventsError as e:
                status, body = '400', ('%s\n' % e).encode()
        elif url.path == '/':
            body = ('Hello from %s\n' % self.name).encode()
        elif url.path == '/echo':
            extra = [(n, v) for n, v in headers if n.startswith('x-echo-')]
            ctype = h.get('content-type', 'application/octet-stream')
        elif url.path == '/publish' and self.publisher and h.get(':method') == 'POST':
            status, body = self.publish(parse_qs(url.query).get('channel', [''])[0], bytes(body))
        elif url.path == '/stream':
            q = {k: int(v[0]) for k, v in parse_qs(url.query).items() if k in ('count', 'interval') and v[0].isdigit()}
            self.send(router, headers_frame(SYN_REPLY, sid, [(':status', '200'), ('content-type', 'text/plain')], fin=head))
            if not head:
                stream = self.streams[(router, sid)] = [q.get('count', 5), q.get('interval', 100) / 1000]
                self.next_chunk((router, sid), stream, 0)
            return
        else:
            status, body = '404', b'not found\n'
        reply = [(':status', status), ('content-type', ctype), ('content-length', str(len(body)))] + extra
        frames = [headers_frame(SYN_REPLY, sid, reply, fin=head or not body)]
        if not head:  # HEAD: the headers GET would give, no body
            frames += [data_frame(sid, bytes(body[i:i + 65536]), i + 65536 >= len(body)) for i in range(0, len(body), 65536)]
        self.send(router, *frames)

    def publish(self, channel, body):
        """Publishes `body` to held long-polls and streams on `channel`. It waits for the routers' answers (at most
        the publisher's timeout, 5 s) with other requests waiting: fine for an example, not for a busy worker."""
        try:
            n = self.publisher.publish(channel, {'http-response': {'body': body}, 'http-stream': {'content': body}})
            return '200', b'published to %d router(s)\n' % n
        except PublishError as e:
            log('publish failed: %s' % e)
            return '502', ('%s\n' % e).encode()

    def next_chunk(self, key, stream, i):
        if self.streams.get(key) is not stream:
            return  # reset by the router meanwhile (its id may even be in use again)
        count, interval = stream
        last = i + 1 >= count
        self.send(key[0], data_frame(key[1], b'chunk %d\n' % i, fin=last))
        if last:
            del self.streams[key]
        else:
            heapq.heappush(self.timers, (time.monotonic() + interval, next(self.seq), key, stream, i + 1))

    def send(self, router, *frames):
        if isinstance(router, Link):
            return router.send(frames)
        try:
            self.sock.send_multipart([router, *frames])
        except zmq.ZMQError as e:  # EHOSTUNREACH: that router is gone; its streams with it
            log('reply dropped: %s' % e)
            for key in [k for k in self.streams if k[0] == router]:
                del self.streams[key]


def log(line):
    print('hello.py: %s' % line, file=sys.stderr, flush=True)


if __name__ == '__main__':
    cli = argparse.ArgumentParser(description='A Switchboard hello worker (minimal protocol).')
    cli.add_argument('name')
    cli.add_argument('--connect', action='append', metavar='ENDPOINT', help='a router endpoint (repeatable)')
    cli.add_argument('--control', action='append', metavar='ENDPOINT', default=[],
                     help='a router control endpoint to publish to, for POST /publish, and to say hello on with --route '
                          '(repeatable; default with --route: each --connect port + 1)')
    cli.add_argument('--route', action='append', metavar='ROUTE', default=[],
                     help='serve only requests for this host and/or path prefix, e.g. api.example.com, /v2/, '
                          'api.example.com/v2/ (repeatable; SPEC 5.2)')
    args = cli.parse_args()
    endpoints = args.connect or ['tcp://127.0.0.1:8000']
    worker = Worker(args.name, endpoints, args.control, args.route)
    log('%s connected to %s' % (args.name, ' '.join(endpoints)))
    try:
        worker.run()
    except KeyboardInterrupt:
        pass
