// Stream mode in-process (router/src/websocket/stream-mode.ts): a real ProxyStream whose client is a StreamMode over a
// recorded WebSocketControl. What the worker's reply does to the socket (accept by OPEN or 101, refuse with its
// status, events to the client), what the client's events become (request DATA under the window, reading paused when
// it is spent), and the close codes when the stream fails: 1011, or 1012 when its worker had said GOAWAY.
import t from 'tap';
import { RstStatus, WEBSOCKET_EVENTS_TYPE, decodeFrame, ReceiveWindow } from '@switchboard/protocol';
import { StreamMode } from '../../dist/websocket/stream-mode.js';
import { RouterError } from '../../dist/errors.js';
import { data, fakeHost, fakeLog, synReply } from '../lib/fakes.mjs';

function fakeControl() {
  return {
    id: 'sess-1',
    request: {
      method: 'GET', url: '/chat?room=a', httpVersion: '1.1', remoteAddress: '127.0.0.1', key: 'dGhlIHNhbXBsZSBub25jZQ==',
      rawHeaders: ['Host', 'example.test', 'Upgrade', 'websocket', 'Connection', 'Upgrade', 'Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==', 'Content-Type', 'text/forged', 'Connection-Id', 'forged'],
    },
    open: false, accepted: undefined, rejected: undefined, sent: [], pings: [], closed: undefined, paused: 0, resumed: 0, writable: true,
    accept(headers) { this.accepted = headers; this.open = true; },
    reject(status, headers, body) { this.rejected = { status, headers, body: Buffer.from(body).toString() }; },
    send(bytes, binary) { this.sent.push([bytes.toString(), binary]); return this.writable; },
    ping(bytes) { this.pings.push(bytes.toString()); },
    close(code, reason) { this.closed = { code, reason }; this.open = false; },
    destroy() { this.open = false; },
    pauseReading() { this.paused++; },
    resumeReading() { this.resumed++; },
  };
}

/** A stream-mode socket whose stream went to worker 'w1'; `hasWindow`: what uploadChunk reports. */
function setup({ draining = false } = {}) {
  const control = fakeControl();
  const sink = {
    ...fakeHost(), uploads: [], ended: 0, hasWindow: true, syn: undefined,
    nextStreamId: () => 1,
    dispatch(stream) {
      this.stream = stream;
      stream.dispatched();
      this.syn = decodeFrame(stream.synStream, { headerEncoding: 'latin1' });
      this.replay = Buffer.concat(stream.replay).toString();
      stream.sent('w1', 0, 1000);
      stream.startUpload(65536);
    },
    uploadChunk(_stream, chunk) { this.uploads.push(chunk.toString('latin1')); return this.hasWindow; },
    uploadEnd() { this.ended++; },
  };
  const worker = { id: 'w1', name: 'worker-1', draining };
  const mode = new StreamMode(control, { sink, worker: (peer) => (peer === 'w1' ? worker : undefined), maxMessage: 1 << 20, log: fakeLog() });
  mode.open();
  return { control, sink, mode, worker, stream: sink.stream };
}

/** A socket its worker accepted with a reply of events, OPEN first (`headers` in the reply). */
function accepted(options) {
  const s = setup(options);
  s.stream.onSynReply(synReply(1, { headers: ['content-type', WEBSOCKET_EVENTS_TYPE, 'sec-websocket-protocol', 'chat'] }), new ReceiveWindow(65536));
  s.stream.onData(data(1, 'OPEN\r\n'));
  return s;
}

t.test('the request is the handshake: its headers, the events content-type and Connection-Id, OPEN first', async (t) => {
  const { sink } = setup();
  const headers = sink.syn.headers;
  const get = (name) => headers.filter((_, i) => i % 2 === 0 && headers[i] === name).map((_, k, names) => headers[headers.indexOf(names[k]) + 1]);
  t.equal(headers[headers.indexOf(':method') + 1], 'GET');
  t.equal(headers[headers.indexOf(':path') + 1], '/chat?room=a');
  t.same(get('content-type'), [WEBSOCKET_EVENTS_TYPE], "the client's own Content-Type is replaced");
  t.equal(headers[headers.indexOf('connection-id') + 1], 'sess-1', 'Connection-Id is the router\'s, not the client\'s');
  t.equal(headers.filter((h) => h === 'connection-id').length, 1);
  t.equal(headers[headers.indexOf('sec-websocket-key') + 1], 'dGhlIHNhbXBsZSBub25jZQ==');
  t.notOk(headers.includes('upgrade'), 'hop-by-hop headers stay behind');
  t.equal(sink.syn.fin, false, 'the stream stays open for the socket\'s events');
  t.equal(sink.replay, 'OPEN\r\n');
});

t.test('a reply of events accepts at its OPEN: the 101 gets the reply\'s headers but its framing ones', async (t) => {
  const { control, stream } = setup();
  stream.onSynReply(synReply(1, { headers: ['content-type', WEBSOCKET_EVENTS_TYPE, 'sec-websocket-protocol', 'chat', 'set-cookie', 'a=1'] }), new ReceiveWindow(65536));
  t.equal(control.accepted, undefined, 'not before OPEN');
  stream.onData(data(1, 'OPEN\r\nTEXT 2\r\nhi\r\nBINARY 3\r\n\x00\x01\x02\r\nPING 0\r\n\r\n'));
  t.same(control.accepted, ['sec-websocket-protocol', 'chat', 'set-cookie', 'a=1']);
  t.same(control.sent, [['hi', false], ['\x00\x01\x02', true]]);
  t.same(control.pings, ['']);
});

t.test('events split anywhere across DATA frames arrive whole', async (t) => {
  const { control, stream } = accepted();
  const bytes = 'TEXT b\r\nhello world\r\nTEXT 1\r\n!\r\n';
  for (const ch of bytes) stream.onData(data(1, ch));
  t.same(control.sent, [['hello world', false], ['!', false]]);
});

t.test('a 101 SYN_REPLY accepts at once', async (t) => {
  const { control, stream } = setup();
  stream.onSynReply(synReply(1, { status: '101', headers: ['sec-websocket-protocol', 'chat'] }), new ReceiveWindow(65536));
  t.same(control.accepted, ['sec-websocket-protocol', 'chat']);
  stream.onData(data(1, 'TEXT 1\r\nx\r\n'));
  t.same(control.sent, [['x', false]]);
});

t.test('any other reply refuses the handshake with its status and body', async (t) => {
  const { control, stream, sink } = setup();
  stream.onSynReply(synReply(1, { status: '403', headers: ['content-type', 'text/plain'] }), new ReceiveWindow(65536));
  stream.onData(data(1, 'go away\n', true));
  t.same(control.rejected, { status: 403, headers: ['content-type', 'text/plain'], body: 'go away\n' });
  t.equal(control.accepted, undefined);
  t.same(sink.released, [{ id: 1, rst: 0 }]);
});

t.test('events out of order or malformed fail the stream: 502 before the 101, 1011 after', async (t) => {
  const before = setup();
  before.stream.onSynReply(synReply(1, { headers: ['content-type', WEBSOCKET_EVENTS_TYPE] }), new ReceiveWindow(65536));
  before.stream.onData(data(1, 'TEXT 1\r\nx\r\n'));
  t.equal(before.control.rejected.status, 502);
  t.match(before.sink.rejected[0].detail, /TEXT before OPEN/);
  const after = accepted();
  after.stream.onData(data(1, 'TEXT zz\r\n'));
  t.same(after.control.closed, { code: 1011, reason: 'worker failed' });
  t.match(after.sink.rejected[0].detail, /bad event type line/);
});

t.test("the worker's CLOSE closes the socket with its code; its FIN alone closes it with 1011", async (t) => {
  const a = accepted();
  a.stream.onData(data(1, Buffer.from('CLOSE 5\r\n\x0f\xa0bye\r\n', 'latin1')));
  t.same(a.control.closed, { code: 4000, reason: 'bye' });
  const b = accepted();
  b.stream.onData(data(1, '', true));
  t.same(b.control.closed, { code: 1011, reason: 'worker ended the stream' });
});

t.test('a failed stream closes the socket with 1011, or 1012 when its worker had said goodbye', async (t) => {
  const lost = accepted();
  lost.stream.fail(new RouterError('ROUTER_ERR_WORKER_LOST', { streamId: 1 }));
  t.same(lost.control.closed, { code: 1011, reason: 'worker failed' });
  const draining = accepted();
  draining.worker.draining = true; // GOAWAY came after the socket opened
  draining.stream.fail(new RouterError('ROUTER_ERR_WORKER_LOST', { streamId: 1 }));
  t.same(draining.control.closed, { code: 1012, reason: 'worker restarting' });
  const early = setup();
  early.stream.fail(new RouterError('ROUTER_ERR_NO_WORKER', { streamId: 1 }));
  t.equal(early.control.rejected.status, 503, 'before any reply: the error page\'s status refuses the handshake');
});

t.test("the client's events go to the worker as request DATA; a spent window pauses reading until credit", async (t) => {
  const { mode, sink, control } = accepted();
  mode.message(Buffer.from('hi'), false);
  mode.message(Buffer.from([1, 2]), true);
  mode.ping(Buffer.from('p'));
  t.same(sink.uploads, ['TEXT 2\r\nhi\r\n', 'BINARY 2\r\n\x01\x02\r\n', 'PING 1\r\np\r\n']);
  sink.hasWindow = false;
  mode.message(Buffer.from('more'), false);
  t.equal(control.paused, 1, 'the client is not read while the worker has no window for it');
  mode.resumeBody();
  t.equal(control.resumed, 1);
});

t.test('a slow client holds the response window: the worker gets credit back only once the client drained', async (t) => {
  const { stream, control, sink, mode } = accepted();
  const before = sink.credited;
  control.writable = false;
  stream.onData(data(1, `BINARY 8000\r\n${'a'.repeat(0x8000)}\r\n`));
  t.equal(sink.credited, before, 'no credit while the client is behind');
  mode.drained();
  t.ok(sink.credited > before, 'credit once it caught up');
});

t.test("the client's close goes to the worker; the socket's end resets the stream", async (t) => {
  const { mode, sink } = accepted();
  mode.close(4001, 'bye');
  t.same(sink.uploads, ['CLOSE 5\r\n\x0f\xa1bye\r\n']);
  mode.disconnect();
  t.same(sink.released, [{ id: 1, rst: RstStatus.CANCEL }]);
});

t.test("after the worker's own CLOSE, the client's answer reaches it as a CLOSE with the client's code, and the stream ends with FIN", async (t) => {
  const { mode, sink, stream } = accepted();
  stream.onData(data(1, Buffer.from('CLOSE 2\r\n\x0f\xa2\r\n', 'latin1')));
  mode.closeAnswered(4005, 'other');
  mode.disconnect();
  t.same(sink.uploads, ['CLOSE 7\r\n\x0f\xa5other\r\n'], 'what the client sent, not the worker\'s own code');
  t.equal(sink.ended, 1, 'FIN, not a reset: the CLOSE is not dropped');
  t.same(sink.released, [], 'the worker ends its side');
  stream.onData(data(1, '', true));
  t.same(sink.released, [{ id: 1, rst: 0 }]);
});

t.test("after the worker's own CLOSE, a client that never answered: FIN alone, no CLOSE made up for it", async (t) => {
  const { mode, sink, stream } = accepted();
  stream.onData(data(1, Buffer.from('CLOSE 2\r\n\x0f\xa2\r\n', 'latin1')));
  mode.disconnect();
  t.same(sink.uploads, []);
  t.equal(sink.ended, 1);
});

t.test('an empty close frame in answer reaches the worker as a CLOSE without content (1005)', async (t) => {
  const { mode, sink, stream } = accepted();
  stream.onData(data(1, Buffer.from('CLOSE 2\r\n\x0f\xa2\r\n', 'latin1')));
  mode.closeAnswered(1005, '');
  mode.disconnect();
  t.same(sink.uploads, ['CLOSE\r\n']);
});
