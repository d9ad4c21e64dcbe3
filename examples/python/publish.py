#!/usr/bin/python3
"""In-band publishing (protocol/SPEC.md §5.10) from Python: a `publish` CONTROL message to each router's control
endpoint, then its `published` answer. Standard library plus pyzmq (Debian: python3-zmq).

    python3 publish.py CHANNEL --control tcp://127.0.0.1:8001 [--control ...] (--content TEXT | --formats JSON)
                       [--id ID] [--prev-id ID] [--timeout S]

As a library: Publisher(endpoints).publish(channel, formats, id=..., prev_id=..., meta=...) returns the number of
routers that accepted it, or raises PublishError. Its DEALERs say no hello: they only publish, so no router ever
dispatches requests to them (a router takes a publish from any peer on its control endpoint, SPEC §5.10).
"""
import argparse, base64, json, sys, time
import zmq
from control import control_message, control_payload
from spdy import ProtocolError, read_frames


class PublishError(Exception):
    """`code` as the TypeScript SDK's: WORKER_ERR_PUBLISH_REFUSED (with the router's `router_code`), _PUBLISH_TIMEOUT,
    _NOT_CONNECTED, _INVALID_PUBLISH. `router` is the control endpoint concerned."""
    def __init__(self, code, reason, router=None, router_code=None):
        super().__init__('%s: %s' % (code, reason))
        self.code, self.reason, self.router, self.router_code = code, reason, router, router_code


def wire_item(channel, formats, id=None, prev_id=None, meta=None):
    """Pushpin's publish item; bytes bodies go as `body-bin` / `content-bin` msgpack bin, and so does Pushpin's
    JSON spelling of them (base64 text)."""
    if not isinstance(channel, str) or not channel:
        raise PublishError('WORKER_ERR_INVALID_PUBLISH', 'the channel must be a non-empty string')
    if not isinstance(formats, dict) or not formats:
        raise PublishError('WORKER_ERR_INVALID_PUBLISH', 'no formats specified')
    out = {}
    for name, fmt in formats.items():
        key = 'body' if name == 'http-response' else 'content'
        fmt = dict(fmt)
        if isinstance(fmt.get(key), (bytes, bytearray)):
            fmt[key + '-bin'] = bytes(fmt.pop(key))
        elif isinstance(fmt.get(key + '-bin'), str):
            fmt[key + '-bin'] = base64.b64decode(fmt[key + '-bin'])
        out[name] = fmt
    item = {'channel': channel, 'formats': out}
    for key, value in (('id', id), ('prev-id', prev_id), ('meta', meta)):
        if value is not None:
            item[key] = value
    return item


class Publisher:
    def __init__(self, endpoints, timeout=5.0, context=None):
        self.timeout, self.ref, self.socks = timeout, 0, {}
        for endpoint in endpoints:
            sock = (context or zmq.Context.instance()).socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            sock.setsockopt(zmq.IMMEDIATE, 1)  # writable only once connected: no publish waits in a queue for later
            sock.connect(endpoint)
            self.socks[sock] = endpoint

    def publish(self, channel, formats, id=None, prev_id=None, meta=None):
        return self.publish_items([wire_item(channel, formats, id, prev_id, meta)])

    def publish_items(self, items):
        """Sends the items in one message to every router; returns how many accepted them all."""
        self.ref = (self.ref + 1) & 0xFFFFFFFF
        ref, frame = self.ref, control_message({'t': 'publish', 'ref': self.ref, 'items': items})
        deadline = time.monotonic() + self.timeout
        for sock, endpoint in self.socks.items():
            if not sock.poll(max(0, deadline - time.monotonic()) * 1000, zmq.POLLOUT):
                raise PublishError('WORKER_ERR_NOT_CONNECTED', 'no connection to %s' % endpoint, endpoint)
            sock.send(frame, zmq.NOBLOCK)
        waiting = set(self.socks)
        poller = zmq.Poller()
        for sock in waiting:
            poller.register(sock, zmq.POLLIN)
        while waiting:
            left = deadline - time.monotonic()
            ready = dict(poller.poll(max(0, left) * 1000)) if left > 0 else {}
            if not ready:
                silent = ', '.join(self.socks[s] for s in waiting)
                raise PublishError('WORKER_ERR_PUBLISH_TIMEOUT', 'no answer to publish %d from %s' % (ref, silent), silent)
            for sock in ready:
                answer = self._answer(sock, ref)
                if answer is None:
                    continue
                if answer.get('ok') is not True:
                    raise PublishError('WORKER_ERR_PUBLISH_REFUSED', str(answer.get('reason')), self.socks[sock], answer.get('code'))
                waiting.discard(sock)
                poller.unregister(sock)
        return len(self.socks)

    def _answer(self, sock, ref):
        """The `published` for `ref` in the message waiting on `sock`, if it is one (late answers are skipped)."""
        for part in sock.recv_multipart():
            for frame in read_frames(part):
                if isinstance(frame, ProtocolError):
                    continue
                try:
                    payload = control_payload(frame)
                except ValueError:
                    continue
                if payload is not None and payload.get('t') == 'published' and payload.get('ref') == ref:
                    return payload
        return None

    def close(self):
        for sock in self.socks:
            sock.close()


if __name__ == '__main__':
    cli = argparse.ArgumentParser(description='Publish to Switchboard routers over their control endpoints.')
    cli.add_argument('channel')
    cli.add_argument('--control', action='append', metavar='ENDPOINT', help='a router control endpoint (repeatable)')
    what = cli.add_mutually_exclusive_group(required=True)
    what.add_argument('--content', help='text for held long-polls (http-response body) and streams (http-stream)')
    what.add_argument('--formats', help="Pushpin's formats object as JSON")
    cli.add_argument('--id')
    cli.add_argument('--prev-id')
    cli.add_argument('--timeout', type=float, default=5.0, help='seconds to wait for each answer (default 5)')
    args = cli.parse_args()
    formats = json.loads(args.formats) if args.formats else {'http-response': {'body': args.content}, 'http-stream': {'content': args.content}}
    publisher = Publisher(args.control or ['tcp://127.0.0.1:8001'], args.timeout)
    try:
        n = publisher.publish(args.channel, formats, id=args.id, prev_id=args.prev_id)
        print('published to %d router%s' % (n, '' if n == 1 else 's'))
    except PublishError as e:
        print('publish.py: %s' % e, file=sys.stderr)
        sys.exit(1)
    finally:
        publisher.close()
