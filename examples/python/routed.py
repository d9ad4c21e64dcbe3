"""The part of the extended protocol (protocol/SPEC.md §5) a worker needs to announce routes (§5.2): one DEALER per
router control endpoint under the worker's id, `hello` with `routes` and its heartbeat, PINGs echoed, response DATA
kept within each stream's window (§5.5), request DATA credited back (§5.7). hello.py serves streams through it when
given --route. Standard library and pyzmq only.
"""
import os, re, struct, sys
import zmq
from control import control_payload, control_message
from spdy import PING, WINDOW_UPDATE, control_frame, u32

HEARTBEAT_S = 5.0
MAX_STREAMS = 64
REQUEST_WINDOW = 1024 * 1024


def control_endpoint_for(endpoint):
    """The control endpoint beside a request endpoint (SPEC §2): tcp port + 1, or the ipc path + '.ctl'."""
    m = re.match(r'^(tcp://.+):(\d+)$', endpoint)
    if m:
        return '%s:%d' % (m.group(1), int(m.group(2)) + 1)
    if endpoint.startswith('ipc://'):
        return endpoint + '.ctl'
    raise ValueError('cannot derive a control endpoint from %s: give --control' % endpoint)


def window_update(stream_id, delta):
    return control_frame(WINDOW_UPDATE, 0, struct.pack('>II', stream_id, delta))


class Link:
    """One router's control connection. `windows` and `backlog` are per stream id: what the stream may still send,
    and frames waiting for more of it, in order."""

    def __init__(self, endpoint, worker_id, name, routes, context=None):
        self.endpoint, self.window, self.windows, self.backlog = endpoint, 65536, {}, {}
        self.hello = {'t': 'hello', 'id': worker_id, 'name': name, 'maxStreams': MAX_STREAMS, 'window': REQUEST_WINDOW,
                      'active': 0, 'heartbeatMs': int(HEARTBEAT_S * 1000), 'routes': list(routes)}
        self.sock = (context or zmq.Context.instance()).socket(zmq.DEALER)
        self.sock.setsockopt(zmq.ROUTING_ID, worker_id.encode())
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        self.say_hello()

    def say_hello(self):
        self.sock.send(control_message(self.hello))

    def opened(self, sid):
        self.windows[sid] = self.window

    def closed(self, sid):
        self.windows.pop(sid, None)
        self.backlog.pop(sid, None)

    def request_data(self, sid, n, fin):
        """Request body bytes read: the router may send as many more (SPEC §5.7)."""
        if n and not fin:
            self.sock.send(window_update(sid, n))

    def send(self, frames):
        out = []
        for f in frames:
            sid = u32(f, 0) & 0x7FFFFFFF if f[0] < 0x80 else u32(f, 8) & 0x7FFFFFFF
            if sid in self.backlog:
                self.backlog[sid].append(f)
            else:
                out += self._within_window(sid, f)
        if out:
            self.sock.send_multipart(out)

    def _within_window(self, sid, f):
        """What of frame `f` may go now; the rest waits in the backlog for WINDOW_UPDATE."""
        if f[0] >= 0x80 or sid not in self.windows:  # control frames, and streams already over, are not counted
            if f[0] >= 0x80 and (f[4] & 1 or f[3] == 3):  # SYN_REPLY with FIN, RST_STREAM: the stream is over
                self.closed(sid)
            return [f]
        n, room = len(f) - 8, self.windows[sid]
        if n <= room:
            self.windows[sid] -= n
            if f[4] & 1:
                self.closed(sid)
            return [f]
        self.windows[sid] = 0
        flags = f[4]
        head = struct.pack('>II', sid, room) + f[8:8 + room]  # the part that fits, without FIN
        self.backlog[sid] = [struct.pack('>II', sid, flags << 24 | (n - room)) + f[8 + room:]]
        return [head] if room else []

    def on_frame(self, f):
        """Frames for the link itself; returns 'welcome' when the router welcomed the worker (its streams are gone),
        True when the frame is handled here, False when it belongs to a stream."""
        if f['type'] == 'PING':
            if f['id'] % 2 == 1:  # the router's: echo at once (SPEC §5.2)
                self.sock.send(control_frame(PING, 0, struct.pack('>I', f['id'])))
            return True
        if f['type'] == 'WINDOW_UPDATE':
            self.credit(f['stream_id'], f['delta'])
            return True
        payload = control_payload(f)
        if payload is None:
            return False
        if payload['t'] == 'welcome':
            self.window = payload.get('window', self.window)
            self.windows.clear()
            self.backlog.clear()
            return 'welcome'
        if payload['t'] == 'refused':
            print('routed.py: %s refused the hello: %s %s' % (self.endpoint, payload.get('code'), payload.get('reason')), file=sys.stderr, flush=True)
        return True

    def credit(self, sid, delta):
        if sid not in self.windows:
            return
        self.windows[sid] += delta
        waiting, out = self.backlog.pop(sid, []), []
        for i, f in enumerate(waiting):
            out += self._within_window(sid, f)
            if sid in self.backlog:  # out of window again: the rest waits behind what did not fit
                self.backlog[sid] += waiting[i + 1:]
                break
        if out:
            self.sock.send_multipart(out)


def new_worker_id():
    return os.urandom(8).hex()
