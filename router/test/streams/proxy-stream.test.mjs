// ProxyStream in-process (router/src/streams/proxy-stream.ts): its transitions, the one rule on sending a stream again,
// the response window and its grants (SPEC §5.5), the held head and the 502-versus-cut rule (SPEC §4.3).
import t from 'tap';
import { RstStatus, ReceiveWindow, WindowAllowance, decodeFrame } from '@switchboard/protocol';
import { MAX_SENDS, ProxyStream } from '../../dist/streams/proxy-stream.js';
import { RouterError } from '../../dist/errors.js';
import { data, fakeExchange, fakeHost, synReply } from '../lib/fakes.mjs';

// const enums vanish from the build: their values, as proxy-stream.ts declares them.
const State = { READING: 0, QUEUED: 1, SENT: 2, REPLYING: 3, DONE: 4 };
const Resend = { NO: 0, YES: 1, GIVE_UP: 2 };

function stream({ method = 'GET', id = 1, maxClientBuffer, ...exchange } = {}) {
  const host = fakeHost({ maxClientBuffer });
  const ex = fakeExchange({ method, ...exchange });
  return { s: new ProxyStream(id, ex, host), host, ex };
}

/** A stream sent to worker 'w1' and answered with SYN_REPLY under a `size`-byte window (null: a minimal worker's). */
function replying({ size = 100, allowance, max, ...opts } = {}) {
  const made = stream(opts);
  made.s.endBody();
  made.s.dispatched();
  made.s.sent('w1', 0, 1000);
  const window = size === null ? undefined : new ReceiveWindow(size, { max, allowance });
  made.s.onSynReply(synReply(made.s.id), window);
  return { ...made, window };
}

t.test('transitions: READING, then QUEUED with its deadline, then SENT to a worker', async (t) => {
  const { s } = stream();
  t.equal(s.state, State.READING);
  s.queued(500);
  t.equal(s.state, State.QUEUED);
  t.equal(s.deadline, 500);
  s.sent('w1', 100, 1100);
  t.equal(s.state, State.SENT);
  t.ok(s.awaitingReply);
  t.equal(s.worker, 'w1');
  t.equal(s.sentAt, 100);
  t.equal(s.deadline, 1100);
  t.equal(s.sends, 1);
});

t.test('only the peer a live stream was sent to holds it', async (t) => {
  const { s } = stream();
  s.sent('w1', 0, 1);
  t.ok(s.heldBy('w1'));
  t.notOk(s.heldBy('w2'));
  s.withdrawn();
  t.notOk(s.heldBy('w1'), 'withdrawn: nobody');
  s.sent('w2', 0, 1);
  s.clientGone();
  t.notOk(s.heldBy('w2'), 'over: nobody');
});

t.test('the SYN_STREAM is encoded once at dispatch, FIN when there is no body, and the exchange lets its head go', async (t) => {
  const { s, ex } = stream({ url: '/x' });
  s.endBody();
  s.dispatched();
  const syn = s.synStream;
  const frame = decodeFrame(syn, { headerEncoding: 'latin1' });
  t.equal(frame.type, 'SYN_STREAM');
  t.equal(frame.streamId, 1);
  t.equal(frame.fin, true);
  t.ok(ex.forgotHeaders);
  s.dispatched();
  t.equal(s.synStream, syn, 'the same bytes on every send');
});

t.test('body chunks read before the first send are kept in the replay buffer', async (t) => {
  const { s } = stream({ method: 'POST' });
  s.readBody(Buffer.from('ab'));
  s.readBody(Buffer.from('cde'));
  t.same(s.replay.map(String), ['ab', 'cde']);
  t.equal(s.bodyBytes, 5);
  s.endBody();
  s.dispatched();
  t.equal(decodeFrame(s.synStream).fin, false, 'a body follows the SYN_STREAM');
});

t.test('may send again: an idempotent request whose reply has not started', async (t) => {
  const { s } = stream({ method: 'GET' });
  s.sent('w1', 0, 1);
  t.equal(s.mayResend(), Resend.YES);
});

t.test('may not send again: a non-idempotent request that may have run', async (t) => {
  const { s } = stream({ method: 'POST' });
  s.sent('w1', 0, 1);
  t.equal(s.mayResend(), Resend.NO);
});

t.test('may send again: a non-idempotent request whose message was never delivered, or that the worker refused', async (t) => {
  const a = stream({ method: 'POST' }).s;
  a.sent('w1', 0, 1);
  a.undelivered(true);
  t.equal(a.mayResend(), Resend.YES);
  const b = stream({ method: 'POST' }).s;
  b.sent('w1', 0, 1);
  b.refused();
  t.equal(b.mayResend(), Resend.YES);
  b.sent('w2', 0, 1);
  t.equal(b.mayResend(), Resend.NO, 'a new send starts over: it may run there');
});

t.test('may send again after a SYN_REPLY only while the client has seen none of the reply', async (t) => {
  const get = replying();
  t.equal(get.s.mayResend(), Resend.YES, 'a GET whose head is still held');
  get.s.withdrawn();
  get.s.sent('w2', 0, 1000);
  get.s.onSynReply(synReply(get.s.id), undefined);
  get.s.onData(data(get.s.id, 'hi'));
  t.equal(get.ex.head.status, 200, 'the second worker\'s head went out');
  t.equal(get.s.mayResend(), Resend.NO, 'once the head went out');
  t.equal(replying({ method: 'POST' }).s.mayResend(), Resend.NO, 'a POST that may have run');
});

t.test('a streamed body may be sent again only while none of it went to a worker', async (t) => {
  const { s } = stream({ method: 'PUT' });
  s.streamBody();
  s.sent('w1', 0, 1);
  s.startUpload(10);
  t.equal(s.mayResend(), Resend.YES, 'nothing of the body sent yet');
  s.uploaded(3);
  t.equal(s.mayResend(), Resend.NO);
  const read = stream({ method: 'PUT' }).s;
  read.readBody(Buffer.from('abc'));
  read.streamBody();
  read.sent('w1', 0, 1);
  read.startUpload(10);
  t.equal(read.mayResend(), Resend.NO, 'the first message carried body bytes the router no longer holds');
  t.same(read.replay, [], 'a streamed body gives up its replay buffer');
});

t.test(`after ${MAX_SENDS} sends a stream that may be sent again is given up instead`, async (t) => {
  const { s } = stream();
  for (let i = 0; i < MAX_SENDS - 1; i++) s.sent('w1', 0, 1);
  t.equal(s.mayResend(), Resend.YES);
  s.sent('w1', 0, 1);
  t.equal(s.mayResend(), Resend.GIVE_UP);
  s.undelivered(false);
  t.equal(s.sends, MAX_SENDS - 1, 'a message that never left does not count as a send');
  t.equal(s.mayResend(), Resend.YES);
});

t.test('the SYN_REPLY head is held until the first body byte: an error before it is still a status page', async (t) => {
  const { s, ex, host } = replying();
  t.equal(s.state, State.REPLYING);
  t.equal(ex.head, undefined, 'nothing written yet');
  s.fail(new RouterError('ROUTER_ERR_WORKER_LOST', { streamId: 1 }));
  t.equal(ex.head.status, 502, 'the error page replaces the held head');
  t.match(ex.text, /^502 /);
  t.same(host.released, [{ id: 1, rst: RstStatus.CANCEL }]);
});

t.test('once the head went out, an error cuts the connection', async (t) => {
  const { s, ex, host } = replying();
  s.onData(data(1, 'hi'));
  t.equal(ex.head.status, 200);
  s.fail(new RouterError('ROUTER_ERR_WORKER_LOST', { streamId: 1 }));
  t.ok(ex.destroyed);
  t.equal(ex.text, 'hi', 'no error page after the body began');
  t.equal(host.released.length, 1);
});

t.test('a SYN_REPLY with FIN ends the stream: head written, exchange ended, released with no RST', async (t) => {
  const { s, ex, host } = stream();
  s.sent('w1', 0, 1);
  s.onSynReply(synReply(1, { fin: true }), undefined);
  t.equal(ex.head.status, 200);
  t.ok(ex.ended);
  t.same(host.released, [{ id: 1, rst: 0 }]);
  t.notOk(s.live);
});

t.test('a second SYN_REPLY, or DATA before one, is a malformed reply', async (t) => {
  const a = replying();
  a.s.onSynReply(synReply(1), undefined);
  t.same(a.host.rejected.map((r) => r.detail), ['SYN_REPLY on a stream that already has one']);
  const b = stream();
  b.s.sent('w1', 0, 1);
  b.s.onData(data(1, 'x'));
  t.same(b.host.rejected.map((r) => r.detail), ['DATA before SYN_REPLY']);
});

t.test('DATA after trailers is a malformed reply', async (t) => {
  const { s, host, ex } = replying();
  s.onTrailers({ type: 'HEADERS', streamId: 1, fin: false, headers: ['x-sum', '1'] });
  t.same(ex.trailers, [['x-sum', '1']]);
  s.onData(data(1, 'late'));
  t.same(host.rejected.map((r) => r.detail), ['DATA after trailers']);
});

t.test('DATA past the window is one FLOW_CONTROL_ERROR, and the stream is over', async (t) => {
  const { s, host } = replying({ size: 100 });
  s.onData(data(1, 60));
  s.onData(data(1, 41));
  t.same(host.rejected, [{ detail: 'flow-control window exceeded by 1 bytes', rst: RstStatus.FLOW_CONTROL_ERROR }]);
  t.same(host.released, [{ id: 1, rst: RstStatus.FLOW_CONTROL_ERROR }]);
  t.notOk(s.live);
});

t.test('credit is asked for once per half window the client took, and takeCredit() hands it over once', async (t) => {
  const { s, host, window } = replying({ size: 100 });
  s.onData(data(1, 49));
  t.equal(host.credited, 0, 'under half a window: no grant');
  s.onData(data(1, 1));
  t.equal(host.credited, 1);
  s.onData(data(1, 50));
  t.equal(host.credited, 1, 'one request while a grant waits to be sent');
  t.equal(window.available, 0, 'the worker may not use credit not yet sent');
  t.equal(s.takeCredit(), 100, 'both grants in one WINDOW_UPDATE');
  t.equal(window.available, 100);
  t.equal(s.takeCredit(), 0);
});

t.test('a client that keeps up grows the window from the shared allowance, given back when the stream ends', async (t) => {
  const allowance = new WindowAllowance(1000);
  const { s } = replying({ size: 100, max: 400, allowance });
  s.onData(data(1, 50));
  t.equal(s.takeCredit(), 150, '50 back plus 100 of growth');
  t.equal(allowance.used, 100);
  s.onData(data(1, 150, true));
  t.equal(allowance.used, 0, 'the growth went back when the stream ended');
});

t.test('a client that does not keep up gets credit only once it drained, and no growth', async (t) => {
  const allowance = new WindowAllowance(1000);
  const { s, host, ex } = replying({ size: 100, max: 400, allowance });
  ex.writable = false;
  s.onData(data(1, 60));
  t.equal(host.credited, 0, 'nothing granted for bytes the client has not taken');
  s.drained();
  t.equal(host.credited, 1);
  t.equal(s.takeCredit(), 60);
  t.equal(allowance.used, 0);
});

t.test('a minimal worker\'s stream is not flow-controlled: no window, never credit', async (t) => {
  const { s, host, ex } = replying({ size: null });
  s.onData(data(1, 1 << 20));
  t.equal(host.credited, 0);
  t.equal(host.rejected.length, 0);
  t.equal(ex.text.length, 1 << 20);
});

t.test('a client leaving more than maxClientBuffer unread is cut, logged once, and released with CANCEL', async (t) => {
  const { s, host, ex } = replying({ size: null, maxClientBuffer: 10 });
  ex.writable = false;
  s.onData(data(1, 8));
  t.equal(host.tooSlow, 0);
  s.onData(data(1, 8));
  t.equal(host.tooSlow, 1);
  t.ok(ex.destroyed);
  t.same(host.released, [{ id: 1, rst: RstStatus.CANCEL }]);
});

t.test('the client going away releases the stream with CANCEL, once', async (t) => {
  const { s, host } = stream();
  s.sent('w1', 0, 1);
  s.clientGone();
  s.clientGone();
  s.fail(new RouterError('ROUTER_ERR_BUSY', { streamId: 1 }));
  t.same(host.released, [{ id: 1, rst: RstStatus.CANCEL }]);
  t.equal(s.state, State.DONE);
});

t.test('a failure before any reply is a status page with the error code, Retry-After where it has one', async (t) => {
  const { s, ex, host } = stream({ complete: false });
  s.queued(1);
  s.fail(new RouterError('ROUTER_ERR_BUSY', { streamId: 1 }));
  t.equal(ex.head.status, 503);
  const headers = Object.fromEntries(ex.head.headers.reduce((acc, v, i, a) => (i % 2 === 0 ? [...acc, [v, a[i + 1]]] : acc), []));
  t.equal(headers['x-switchboard-error'], 'ROUTER_ERR_BUSY');
  t.equal(headers['retry-after'], '1');
  t.equal(headers.connection, 'close', 'an unread request body closes the connection');
  t.same(host.released, [{ id: 1, rst: RstStatus.CANCEL }]);
});

t.test('an upload flows while the client still sends or chunks wait for credit', async (t) => {
  const { s } = stream({ method: 'PUT' });
  s.streamBody();
  s.sent('w1', 0, 1);
  s.startUpload(0);
  t.ok(s.uploading, 'the client is still sending');
  s.upload.queue(Buffer.from('abc'));
  s.endBody();
  t.ok(s.uploading, 'bytes wait for credit');
  s.upload.clear();
  t.notOk(s.uploading);
});

/** An exchange that can cork, as the llhttp front's: `uncorked` says what uncork() reports (the socket took it all). */
function corking(ex, uncorked = true) {
  ex.corks = 0;
  ex.cork = function () { this.corks++; };
  ex.uncork = function () { this.corks--; return uncorked; };
  return ex;
}

t.test('writes held for a worker message are judged at its release: one grant, with growth, if the socket took them', async (t) => {
  const allowance = new WindowAllowance(1000);
  const { s, host, ex } = replying({ size: 100, max: 400, allowance });
  corking(ex);
  t.ok(s.holdWrites(), 'corked');
  t.notOk(s.holdWrites(), 'once per message');
  ex.writable = false; // a write made while corked looks unflushed
  s.onData(data(1, 30));
  s.onData(data(1, 30));
  t.equal(host.credited, 0, 'nothing granted before the release');
  t.equal(ex.corks, 1);
  s.releaseWrites();
  t.equal(ex.corks, 0, 'uncorked');
  t.equal(host.credited, 1);
  t.equal(s.takeCredit(), 160, '60 back plus 100 of growth: the socket took them at once');
  s.drained();
  t.equal(s.takeCredit(), 0, 'a drain after the release grants nothing twice');
});

t.test('writes held for a worker message that the socket did not take are granted once it drained, with no growth', async (t) => {
  const allowance = new WindowAllowance(1000);
  const { s, host, ex } = replying({ size: 100, max: 400, allowance });
  corking(ex, false);
  s.holdWrites();
  ex.writable = false;
  s.onData(data(1, 60));
  s.releaseWrites();
  t.equal(host.credited, 0, 'nothing for bytes the client has not taken');
  s.drained();
  t.equal(s.takeCredit(), 60);
  t.equal(allowance.used, 0);
});

t.test('a stream that ends or fails while its writes are held is still uncorked, and grants nothing', async (t) => {
  const { s, host, ex } = replying({ size: 100 });
  corking(ex);
  s.holdWrites();
  s.onData(data(1, 80, true));
  t.ok(ex.ended);
  s.releaseWrites();
  t.equal(ex.corks, 0);
  t.equal(host.credited, 0);
  const other = replying({ size: 100 });
  corking(other.ex);
  t.ok(other.s.holdWrites());
  other.s.onData(data(1, 101)); // past the window: FLOW_CONTROL_ERROR
  other.s.releaseWrites();
  t.equal(other.ex.corks, 0);
  t.equal(other.host.credited, 0);
});

t.test('an exchange that cannot cork (HTTP/2, node:http), or a stream not replying, holds nothing', async (t) => {
  const { s } = replying({ size: 100 });
  t.notOk(s.holdWrites());
  const early = stream();
  corking(early.ex);
  t.notOk(early.s.holdWrites(), 'before its SYN_REPLY');
});

// A split DATA frame's payload is a whole received ZeroMQ part (an ArrayBuffer of its own); once the client's socket
// has every byte, the part is freed at once (protocol's freeReceived), not left for a GC. Tap runs Node with
// --harmony-rab-gsab-transfer, as the CLI does (package.json), so the freeing is real here.
const part = (bytes) => Buffer.from(new ArrayBuffer(bytes)).fill(0x61);

t.test('a received part the client\'s socket took whole is freed at once; one it did not take is left to the GC', async (t) => {
  const { s, ex } = replying({ size: 1 << 20 });
  ex.allSent = () => true;
  const taken = part(20_000);
  s.onData({ type: 'DATA', streamId: 1, fin: false, data: taken });
  t.equal(taken.length, 0, 'freed: its buffer is detached');
  t.equal(ex.body[0].length, 20_000, 'after the exchange had it');
  ex.allSent = () => false;
  const waiting = part(20_000);
  s.onData({ type: 'DATA', streamId: 1, fin: false, data: waiting });
  t.equal(waiting.length, 20_000, 'the socket still holds it: kept');
  ex.allSent = () => true;
  const whole = part(40_000);
  const view = whole.subarray(8, 20_008);
  s.onData({ type: 'DATA', streamId: 1, fin: false, data: view });
  t.equal(view.length, 20_000, 'a view into a larger part (a packed frame) is never freed');
  t.equal(whole.length, 40_000);
  t.equal(s.state, State.REPLYING);
});

t.test('an exchange without allSent (HTTP/2, node:http) frees nothing', async (t) => {
  const { s } = replying({ size: 1 << 20 });
  const kept = part(20_000);
  s.onData({ type: 'DATA', streamId: 1, fin: false, data: kept });
  t.equal(kept.length, 20_000);
});

t.test('parts written while corked are freed at the release if the socket took them all, else kept', async (t) => {
  const { s, ex } = replying({ size: 1 << 20 });
  corking(ex);
  let sent = false;
  ex.allSent = () => sent && ex.corks === 0;
  s.holdWrites();
  const a = part(20_000);
  const b = part(20_000);
  s.onData({ type: 'DATA', streamId: 1, fin: false, data: a });
  s.onData({ type: 'DATA', streamId: 1, fin: false, data: b });
  t.equal(a.length + b.length, 40_000, 'nothing freed while corked');
  sent = true;
  s.releaseWrites();
  t.equal(a.length + b.length, 0, 'both freed once uncorked and taken');
  sent = false;
  s.holdWrites();
  const c = part(20_000);
  s.onData({ type: 'DATA', streamId: 1, fin: false, data: c });
  s.releaseWrites();
  t.equal(c.length, 20_000, 'not taken: kept');
  sent = true;
  s.holdWrites();
  s.releaseWrites();
  t.equal(c.length, 20_000, 'and forgotten: a later release does not free it');
});
