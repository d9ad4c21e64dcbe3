// The dispatcher in-process (router/src/streams/dispatcher.ts): where a stream goes, the wait queue, sending again
// after a worker is lost (SPEC §5.6), and the bound on a congested socket. A real pool and stream table, a recording
// link in place of the sockets.
import t from 'tap';
import { RstStatus } from '@switchboard/protocol';
import { Dispatcher } from '../../dist/streams/dispatcher.js';
import { MAX_SENDS, ProxyStream } from '../../dist/streams/proxy-stream.js';
import { StreamTable } from '../../dist/streams/stream-table.js';
import { Upload } from '../../dist/streams/upload.js';
import { WorkerPool } from '../../dist/workers/worker-pool.js';
import { fakeExchange, fakeLink, fakeLog } from '../lib/fakes.mjs';

const MINIMAL = '';
const OPTS = { maxQueue: 2, queueTimeout: 60_000, noWorkerTimeout: 60_000, workerTimeout: 60_000 };

function setup(t, { opts = {}, minimalPeers = 0 } = {}) {
  const table = new StreamTable();
  const pool = new WorkerPool();
  const link = fakeLink({ minimalPeers });
  const log = fakeLog();
  const checked = [];
  const liveness = { check: (worker, sentAt) => checked.push([worker.id, sentAt]) };
  const dispatcher = new Dispatcher(table, pool, link, new Upload(link, OPTS.workerTimeout), liveness, { ...OPTS, ...opts }, log);
  t.teardown(() => dispatcher.close());
  const host = {
    maxClientBuffer: 1 << 20,
    release: (stream, rst) => dispatcher.release(stream, rst),
    credit() {}, rejectReply() {}, clientTooSlow() {}, gripPairs: () => [],
  };
  /** A stream whose request is complete (`body`: chunks read before dispatch), dispatched now. */
  const request = ({ method = 'GET', body = [], streaming = false, complete = true } = {}) => {
    const ex = fakeExchange({ method });
    const stream = new ProxyStream(table.nextId(), ex, host);
    for (const chunk of body) stream.readBody(Buffer.from(chunk));
    if (streaming) stream.streamBody();
    if (complete) stream.endBody();
    dispatcher.dispatch(stream);
    return { stream, ex };
  };
  const worker = (id, maxStreams = 1, window = 100) => pool.greet(id, { t: 'hello', id, name: id, maxStreams, window }, Date.now()).worker;
  return { table, pool, link, log, dispatcher, request, worker, checked };
}

/** Resolves once `cond()` holds; fails the test after `ms`. A positive event, never a fixed sleep. */
async function until(t, cond, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return t.fail('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

t.test('a streamed body\'s first message is ended before the upload starts; other first messages share theirs', async (t) => {
  const { link, request, worker } = setup(t);
  worker('w1', 4);
  request({ method: 'GET' });
  t.same(link.seals, [], 'a whole request: its message takes whatever else leaves this turn');
  request({ method: 'PUT', body: ['ab'], streaming: true, complete: false });
  // The body a client sent meanwhile may go at once as counted DATA (the llhttp front replays it on resume); the worker
  // counts what shares the SYN_STREAM's message as outside the window (SPEC §5.7), so it must not share it.
  t.same(link.seals, [{ to: 'w1', after: 3 }], 'sealed after the PUT\'s SYN_STREAM and its first chunk');
});

t.test('a stream goes to a worker with credit as SYN_STREAM plus its body, FIN on the last chunk', async (t) => {
  const { link, request, worker } = setup(t);
  const w1 = worker('w1');
  const { stream } = request({ method: 'POST', body: ['ab', 'cd'] });
  t.same(link.take(), [['w1', 'SYN_STREAM', 1], ['w1', 'DATA', 1], ['w1', 'DATA', 1]]);
  t.equal(link.sent.length, 0);
  t.equal(w1.streams.get(stream.id), stream, 'it takes a unit of the worker\'s credit');
  t.equal(stream.worker, 'w1');
});

t.test('the last body chunk carries the FIN', async (t) => {
  const { link, request, worker } = setup(t);
  worker('w1');
  request({ method: 'POST', body: ['ab', 'cd'] });
  t.same(link.sent.map((s) => s.frame.fin), [false, false, true]);
  t.equal(link.sent[0].request.id, 1, 'every frame is tagged with its stream');
});

t.test('with no worker free the stream waits in the queue, and goes when a stream ends', async (t) => {
  const { link, request, worker } = setup(t);
  worker('w1');
  const first = request().stream;
  const second = request().stream;
  t.equal(second.state, 1, 'QUEUED');
  link.take();
  first.clientGone();
  t.same(link.take(), [['w1', 'RST_STREAM', 1], ['w1', 'SYN_STREAM', 3]], 'CANCEL for the one gone, then the queued one');
  t.equal(second.worker, 'w1');
});

t.test('past maxQueue waiting streams a new one is refused at once with 503 QUEUE_FULL', async (t) => {
  const { request } = setup(t);
  request();
  request();
  const { ex } = request();
  t.equal(ex.head.status, 503);
  t.match(ex.text, /too many requests/);
});

t.test('a queued stream times out with NO_WORKER when nothing is connected', async (t) => {
  const { request } = setup(t, { opts: { noWorkerTimeout: 1 } });
  const { ex } = request();
  await until(t, () => ex.head !== undefined);
  t.equal(ex.head.status, 503);
  t.ok(ex.head.headers.includes('ROUTER_ERR_NO_WORKER'));
});

t.test('a sent stream unanswered past the worker timeout fails with 504', async (t) => {
  const { request, worker, link } = setup(t, { opts: { workerTimeout: 1 } });
  worker('w1');
  const { ex } = request();
  await until(t, () => ex.head !== undefined);
  t.equal(ex.head.status, 504);
  t.same(link.take().at(-1), ['w1', 'RST_STREAM', 1], 'the worker is told to stop');
});

t.test('the tick hands liveness each worker\'s oldest unanswered stream', async (t) => {
  const { request, worker, checked } = setup(t);
  worker('w1', 2);
  const first = request().stream;
  request();
  await until(t, () => checked.length > 0);
  t.same(checked[0], ['w1', first.sentAt]);
});

t.test('a lost worker\'s idempotent streams move to another worker', async (t) => {
  const { link, pool, dispatcher, request, worker } = setup(t);
  const w1 = worker('w1');
  const { stream } = request();
  worker('w2');
  pool.remove('w1');
  link.take();
  dispatcher.workerLost(w1);
  t.same(link.take(), [['w2', 'SYN_STREAM', 1]]);
  t.equal(stream.sends, 2);
});

t.test('a lost worker\'s non-idempotent streams fail with 502 WORKER_LOST', async (t) => {
  const { pool, dispatcher, request, worker } = setup(t);
  const w1 = worker('w1');
  const { ex } = request({ method: 'POST' });
  worker('w2');
  pool.remove('w1');
  dispatcher.workerLost(w1);
  t.equal(ex.head.status, 502);
  t.ok(ex.head.headers.includes('ROUTER_ERR_WORKER_LOST'));
});

t.test('a non-idempotent request whose message never reached the lost worker moves', async (t) => {
  const { link, pool, dispatcher, request, worker } = setup(t);
  const w1 = worker('w1');
  const { stream } = request({ method: 'POST' });
  worker('w2');
  dispatcher.undelivered('w1', [stream]);
  pool.remove('w1');
  link.take();
  dispatcher.workerLost(w1);
  t.same(link.take(), [['w2', 'SYN_STREAM', 1]]);
});

t.test(`a stream sent ${MAX_SENDS} times and answered by none is given up, with the last worker's error`, async (t) => {
  const { pool, log, dispatcher, request, worker } = setup(t);
  let w = worker('w0');
  const { stream, ex } = request();
  for (let i = 1; i <= MAX_SENDS; i++) {
    pool.remove(w.id);
    const next = worker(`w${i}`);
    dispatcher.workerLost(w);
    w = next;
  }
  t.equal(stream.sends, MAX_SENDS);
  t.equal(ex.head.status, 502);
  t.match(ex.text, /sent to a worker 5 times, answered by none/);
  t.same(log.messages('warn'), ['stream given up: no worker answered it']);
});

t.test('streams no minimal worker took are routed again, and that send does not count', async (t) => {
  const { link, dispatcher, request } = setup(t, { minimalPeers: 1 });
  const { stream } = request({ method: 'POST' });
  t.equal(stream.worker, MINIMAL);
  link.take();
  dispatcher.undelivered(MINIMAL, [stream]);
  t.same(link.take(), [[MINIMAL, 'SYN_STREAM', 1]], 'sent again, POST or not: it never ran');
  t.equal(stream.sends, 1);
});

t.test('an unresponsive worker\'s idempotent unanswered streams move to a worker that can take them, with CANCEL', async (t) => {
  const { link, dispatcher, request, worker } = setup(t);
  const w1 = worker('w1', 3);
  request();
  request({ method: 'POST' });
  worker('w2', 1);
  link.take();
  w1.unresponsive = true; // as liveness marks it before asking
  t.equal(dispatcher.moveFrom(w1), 1);
  t.same(link.take(), [['w1', 'RST_STREAM', 1], ['w2', 'SYN_STREAM', 1]]);
  t.equal(w1.streams.size, 1, 'the POST stays with the worker that may be running it');
});

t.test('an unresponsive worker keeps its streams when no other worker can take them', async (t) => {
  const { link, dispatcher, request, worker } = setup(t);
  const w1 = worker('w1');
  request();
  link.take();
  w1.unresponsive = true;
  t.equal(dispatcher.moveFrom(w1), 0);
  t.same(link.take(), []);
});

t.test('a congested socket gets no new stream: it waits in the queue, logged once, until the socket drains', async (t) => {
  const { link, log, dispatcher, request, worker } = setup(t);
  worker('w1', 5);
  link.congestedTo.add('w1');
  const a = request().stream;
  request();
  t.equal(a.state, 1, 'QUEUED');
  t.same(link.take(), []);
  t.same(log.messages('warn'), ['worker socket congested: new streams wait']);
  link.congestedTo.clear();
  dispatcher.onOutboxDrain();
  t.same(link.take(), [['w1', 'SYN_STREAM', 1], ['w1', 'SYN_STREAM', 3]]);
});

t.test('a streamed body starts flowing when its first message goes to an extended worker', async (t) => {
  const { request, worker } = setup(t);
  worker('w1', 1, 10);
  const { stream, ex } = request({ method: 'PUT', streaming: true, complete: false });
  t.equal(ex.resumed, 1, 'the paused client is resumed');
  t.equal(stream.upload.available, 10, 'under the worker\'s request window');
});

t.test('once closing, a new stream is refused with 503 SHUTTING_DOWN, and close() fails those still live', async (t) => {
  const { dispatcher, request, worker } = setup(t);
  worker('w1');
  const live = request().ex;
  dispatcher.refuseNew();
  const late = request().ex;
  t.ok(late.head.headers.includes('ROUTER_ERR_SHUTTING_DOWN'));
  t.equal(live.head, undefined, 'in flight: it may still finish');
  dispatcher.close();
  t.ok(live.head.headers.includes('ROUTER_ERR_SHUTTING_DOWN'));
});

t.test('release frees the worker\'s credit and sends RST_STREAM with the given status', async (t) => {
  const { link, request, worker, table } = setup(t);
  const w1 = worker('w1');
  const { stream } = request();
  link.take();
  stream.fail(Object.assign(new Error('x'), { code: 'ROUTER_ERR_BAD_REPLY', httpStatus: 502, rstStatus: RstStatus.PROTOCOL_ERROR }));
  t.same(link.take(), [['w1', 'RST_STREAM', 1]]);
  t.equal(w1.streams.size, 0);
  t.equal(table.size, 0);
});
