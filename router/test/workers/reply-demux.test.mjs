// Frames from workers in-process (router/src/workers/reply-demux.ts, SPEC §3.2, §5.2, §5.5, §5.6): each frame to the
// stream its sender holds, credit granted during a message sent after it, hellos, PINGs and GOAWAY. Real encoded
// messages; a recording link, liveness and dispatcher.
import t from 'tap';
import {
  RstStatus, encodeControl, encodeData, encodeGoaway, encodePing, encodeRstStream, encodeSynReply, encodeWindowUpdate,
} from '@switchboard/protocol';
import { ProxyStream } from '../../dist/streams/proxy-stream.js';
import { StreamTable } from '../../dist/streams/stream-table.js';
import { ReplyDemux } from '../../dist/workers/reply-demux.js';
import { WorkerPool } from '../../dist/workers/worker-pool.js';
import { fakeExchange, fakeLink, fakeLog } from '../lib/fakes.mjs';

const MINIMAL = '';
const OPTS = { streamWindow: 100, maxStreamWindow: 100, maxWindowGrowth: 0, maxClientBuffer: 1 << 20, heartbeatMs: 5000 };
const OK = [':status', '200', ':version', 'HTTP/1.1'];

function setup() {
  const table = new StreamTable();
  const pool = new WorkerPool();
  const link = fakeLink();
  const log = fakeLog();
  const heard = [];
  const moves = [];
  const liveness = { heard: (w) => heard.push(w.id) };
  const dispatcher = { resend: (s, code) => moves.push(['resend', s.id, code]), drainQueue: () => moves.push(['drain']) };
  const credits = [];
  const upload = { credit: (s, delta) => credits.push([s.id, delta]) };
  const published = [];
  const demux = new ReplyDemux({ table, pool, link, liveness, dispatcher, upload, publish: (items, source) => published.push({ items, source }) }, OPTS, 'sess', log);
  const released = [];
  const host = {
    maxClientBuffer: OPTS.maxClientBuffer,
    release: (s, rst) => { released.push([s.id, rst]); table.delete(s); },
    credit: (s) => demux.credit(s),
    rejectReply: (s, detail, rst) => demux.rejectReply(s, detail, rst),
    clientTooSlow: (s, n) => demux.clientTooSlow(s, n),
    gripPairs: () => [],
  };
  const hello = (id, maxStreams = 2) => encodeControl({ t: 'hello', id, name: id, maxStreams, window: 10, active: 0, heartbeatMs: 5000 });
  /** A stream sent to `to` (a worker greeted first when it is not MINIMAL). */
  const stream = (to = 'w1', method = 'GET') => {
    if (to !== MINIMAL && !pool.get(to)) demux.message(to, [hello(to)], 0);
    const ex = fakeExchange({ method });
    const s = new ProxyStream(table.nextId(), ex, host);
    s.endBody();
    table.add(s);
    s.dispatched();
    s.sent(to, 0, 1);
    link.sent = [];
    moves.length = 0;
    return { s, ex };
  };
  return { table, pool, link, log, heard, moves, credits, demux, released, stream, hello };
}

t.test('reply frames from the worker holding the stream become its response', async (t) => {
  const { demux, stream, released } = setup();
  const { ex } = stream();
  demux.message('w1', [Buffer.concat([encodeSynReply(1, OK), encodeData(1, Buffer.from('hi'), true)])], 0);
  t.equal(ex.head.status, 200);
  t.equal(ex.text, 'hi');
  t.ok(ex.ended);
  t.same(released, [[1, 0]]);
});

t.test('a frame for a stream the sender does not hold gets RST_STREAM: INVALID_STREAM if unknown, CANCEL if another\'s', async (t) => {
  const { demux, stream, link, hello } = setup();
  const { ex } = stream('w1');
  demux.message('w2', [hello('w2')], 0);
  link.sent = [];
  demux.message('w2', [Buffer.concat([encodeSynReply(1, OK), encodeData(9, Buffer.from('x'))])], 0);
  t.same(link.take(), [['w2', 'RST_STREAM', 1], ['w2', 'RST_STREAM', 9]]);
  t.same(link.sent, []);
  t.equal(ex.head, undefined, 'the stream itself is untouched');
});

t.test('a minimal worker\'s frames for a stream it does not hold are dropped: it cannot be addressed', async (t) => {
  const { demux, stream, link } = setup();
  stream('w1');
  demux.message(MINIMAL, [encodeSynReply(1, OK)], 0);
  t.same(link.sent, []);
});

t.test('credit granted while a message is read is sent after its last frame, and that message is checked without it', async (t) => {
  const { demux, stream, link, released } = setup();
  stream();
  // 50 bytes make a grant due (half the window); the next 60 were written before the worker could see it: 110 > 100.
  demux.message('w1', [Buffer.concat([encodeSynReply(1, OK), encodeData(1, Buffer.alloc(50)), encodeData(1, Buffer.alloc(60))])], 0);
  t.same(released, [[1, RstStatus.FLOW_CONTROL_ERROR]], 'released once, with FLOW_CONTROL_ERROR for the worker');
  t.same(link.sent, [], 'no WINDOW_UPDATE for a stream that is over');
});

t.test('credit granted during a message goes out as one WINDOW_UPDATE once the message is read', async (t) => {
  const { demux, stream, link } = setup();
  stream();
  demux.message('w1', [Buffer.concat([encodeSynReply(1, OK), encodeData(1, Buffer.alloc(50)), encodeData(1, Buffer.alloc(50))])], 0);
  const sent = link.sent.map((s) => [s.frame.type, s.frame.delta]);
  t.same(sent, [['WINDOW_UPDATE', 100]], 'both grants in one frame');
  link.sent = [];
  demux.message('w1', [encodeData(1, Buffer.alloc(100))], 0);
  t.same(link.sent.map((s) => s.frame.type), ['WINDOW_UPDATE'], 'the credit was usable by the next message');
});

t.test('credit granted outside a message (the client drained) is sent at once', async (t) => {
  const { demux, stream, link } = setup();
  const { s, ex } = stream();
  ex.writable = false;
  demux.message('w1', [Buffer.concat([encodeSynReply(1, OK), encodeData(1, Buffer.alloc(60))])], 0);
  t.same(link.sent, [], 'the client has not taken the bytes');
  s.drained();
  t.same(link.sent.map((x) => [x.frame.type, x.frame.delta]), [['WINDOW_UPDATE', 60]]);
});

t.test('a minimal worker\'s reply is not flow-controlled: no WINDOW_UPDATE however much it sends', async (t) => {
  const { demux, stream, link } = setup();
  const { ex } = stream(MINIMAL);
  demux.message(MINIMAL, [Buffer.concat([encodeSynReply(1, OK), encodeData(1, Buffer.alloc(1000), true)])], 0);
  t.equal(ex.text.length, 1000);
  t.same(link.sent, []);
});

t.test('REFUSED_STREAM hands the stream to the dispatcher to send again, whatever its method', async (t) => {
  const { demux, stream, moves } = setup();
  stream('w1', 'POST');
  demux.message('w1', [encodeRstStream(1, RstStatus.REFUSED_STREAM)], 0);
  t.same(moves, [['resend', 1, 'ROUTER_ERR_WORKER_RESET']]);
});

t.test('any other RST_STREAM, or REFUSED_STREAM once the reply started, fails the stream: 502 WORKER_RESET', async (t) => {
  const { demux, stream, moves } = setup();
  const { ex } = stream();
  demux.message('w1', [encodeRstStream(1, RstStatus.INTERNAL_ERROR)], 0);
  t.equal(ex.head.status, 502);
  t.match(ex.text, /RST_STREAM status 6/);
  const second = stream();
  demux.message('w1', [Buffer.concat([encodeSynReply(3, OK), encodeRstStream(3, RstStatus.REFUSED_STREAM)])], 0);
  t.equal(second.ex.head.status, 502, 'the held head never went out: still a status page');
  t.same(moves, []);
});

t.test('a reply a client cannot be sent is a 502 BAD_REPLY, logged, and the worker gets RST PROTOCOL_ERROR', async (t) => {
  const { demux, stream, released, log } = setup();
  const { ex } = stream();
  demux.message('w1', [encodeSynReply(1, [':status', '99'])], 0);
  t.equal(ex.head.status, 502);
  t.same(released, [[1, RstStatus.PROTOCOL_ERROR]]);
  t.same(log.messages('warn'), ['malformed reply from worker']);
});

t.test('WINDOW_UPDATE for a stream whose body streams goes to its upload; from a minimal worker it is ignored', async (t) => {
  const { demux, stream, credits } = setup();
  const { s } = stream('w1', 'PUT');
  demux.message('w1', [encodeWindowUpdate(1, 7)], 0);
  t.same(credits, [], 'no upload: nothing to credit');
  s.streamBody();
  s.startUpload(0);
  demux.message('w1', [encodeWindowUpdate(1, 7)], 0);
  demux.message(MINIMAL, [encodeWindowUpdate(1, 7)], 0);
  t.same(credits, [[1, 7]]);
});

t.test('a hello from its own routing id joins the pool and is welcomed with the session and window', async (t) => {
  const { demux, pool, link, moves, hello } = setup();
  demux.message('w1', [hello('w1', 3)], 0);
  t.equal(pool.get('w1').maxStreams, 3);
  const welcome = link.sent.map((s) => s.frame);
  t.equal(welcome.length, 1);
  t.match(welcome[0].payload, { t: 'welcome', session: 'sess', window: 100, heartbeatMs: 5000 });
  t.same(moves, [['drain']], 'new credit takes queued streams now');
  moves.length = 0;
  link.sent = [];
  demux.message('w1', [hello('w1', 3)], 0);
  t.same(link.sent, [], 'a known worker is not welcomed again');
  t.same(moves, [], 'no new credit');
  demux.message('w1', [hello('w1', 4)], 0);
  t.same(moves, [['drain']], 'a raised limit takes queued streams now');
});

t.test('a hello whose id is not the routing id it came from is refused', async (t) => {
  const { demux, pool, log, hello } = setup();
  demux.message('x', [hello('w1')], 0);
  t.equal(pool.size, 0);
  t.same(log.messages('warn'), ['hello refused: its id is not the routing id']);
});

t.test('a worker\'s PING (even id) is echoed; the router\'s own coming back (odd) is not', async (t) => {
  const { demux, link, hello } = setup();
  demux.message('w1', [hello('w1')], 0);
  link.sent = [];
  demux.message('w1', [Buffer.concat([encodePing(2), encodePing(3)])], 0);
  t.same(link.take(), [['w1', 'PING', 2]]);
});

t.test('GOAWAY marks the worker draining, logged once', async (t) => {
  const { demux, pool, log, hello } = setup();
  demux.message('w1', [hello('w1')], 0);
  demux.message('w1', [encodeGoaway(0)], 0);
  demux.message('w1', [encodeGoaway(0)], 0);
  t.ok(pool.get('w1').draining);
  t.same(log.messages('info').filter((m) => m === 'worker draining'), ['worker draining']);
});

t.test('every message from a known worker is a sign of life', async (t) => {
  const { demux, heard, hello } = setup();
  demux.message('w1', [hello('w1')], 0);
  demux.message('w1', [encodePing(3)], 0);
  demux.message(MINIMAL, [encodePing(3)], 0);
  t.same(heard, ['w1']);
});
