// router/src/http/llhttp-exchange.ts in-process, with a fake connection (ExchangeOwner) that records what would go on
// the socket: the response framing (RFC 9112 §6), trailers, keep-alive, and when the head leaves.
import t from 'tap';
import { LlhttpExchange } from '../../dist/http/llhttp-exchange.js';

/** An ExchangeOwner that keeps every send (as latin1 text, and the parts as given) and every call. */
function fakeOwner({ closing = false, buffered = 0 } = {}) {
  return {
    sends: [],
    calls: [],
    finishedWith: undefined,
    closing,
    buffered,
    get wire() { return this.sends.map((parts) => parts.map((p) => (typeof p === 'string' ? p : p.toString('latin1'))).join('')).join(''); },
    send(a, b, c) { this.sends.push([a, b, c].filter((p) => p !== undefined)); return true; },
    finished(exchange, keepAlive) { this.calls.push('finished'); this.finishedWith = keepAlive; },
    abort() { this.calls.push('abort'); },
    streaming() { this.calls.push('streaming'); },
    pauseReading() { this.calls.push('pauseReading'); },
    resumeReading() { this.calls.push('resumeReading'); },
  };
}

/** An exchange for `method` on a connection speaking HTTP/`version`; keepAlive as llhttp decided from the request. */
function exchange({ method = 'GET', version = '1.1', keepAlive = true, ...ownerOptions } = {}) {
  const owner = fakeOwner(ownerOptions);
  return { owner, ex: new LlhttpExchange(owner, method, '/', version, ['Host', 'a'], '127.0.0.1', keepAlive) };
}

/** The response on the wire split into head lines (without the date line) and body. */
function parse(wire) {
  const end = wire.indexOf('\r\n\r\n');
  const lines = wire.slice(0, end).split('\r\n').filter((l) => !l.startsWith('date: '));
  return { lines, body: wire.slice(end + 4) };
}

t.test('Content-Length framing: the body goes as is, and the connection stays open', async (t) => {
  const { owner, ex } = exchange();
  ex.writeHead(200, ['content-type', 'text/plain', 'content-length', '5']);
  ex.write(Buffer.from('hello'));
  ex.end();
  const { lines, body } = parse(owner.wire);
  t.same(lines, ['HTTP/1.1 200 OK', 'content-type: text/plain', 'content-length: 5']);
  t.equal(body, 'hello');
  t.equal(owner.finishedWith, true, 'keep-alive');
});

t.test('without Content-Length, HTTP/1.1 gets chunked framing, ended by the last chunk', async (t) => {
  const { owner, ex } = exchange();
  ex.writeHead(200, ['content-type', 'text/plain']);
  ex.write(Buffer.from('hello'));
  ex.write(Buffer.from('0123456789abcdef0'));
  ex.end();
  const { lines, body } = parse(owner.wire);
  t.same(lines, ['HTTP/1.1 200 OK', 'content-type: text/plain', 'transfer-encoding: chunked']);
  t.equal(body, '5\r\nhello\r\n11\r\n0123456789abcdef0\r\n0\r\n\r\n');
  t.equal(owner.finishedWith, true);
});

t.test('without Content-Length, HTTP/1.0 gets a close-delimited body, and the connection closes after it', async (t) => {
  const { owner, ex } = exchange({ version: '1.0' });
  ex.writeHead(200, []);
  ex.write(Buffer.from('hello'));
  ex.end();
  const { lines, body } = parse(owner.wire);
  t.same(lines, ['HTTP/1.1 200 OK', 'connection: close']);
  t.equal(body, 'hello');
  t.equal(owner.finishedWith, false, 'closing the connection ends the body');
});

t.test('HTTP/1.0 with keep-alive and a Content-Length says keep-alive', async (t) => {
  const { owner, ex } = exchange({ version: '1.0' });
  ex.writeHead(200, ['content-length', '0']);
  ex.end();
  t.same(parse(owner.wire).lines, ['HTTP/1.1 200 OK', 'content-length: 0', 'connection: keep-alive']);
  t.equal(owner.finishedWith, true);
});

for (const [what, method, status] of [['a HEAD request', 'HEAD', 200], ['204', 'GET', 204], ['304', 'GET', 304]]) {
  t.test(`${what}: no body is sent, whatever the worker writes, and no chunked framing`, async (t) => {
    const { owner, ex } = exchange({ method });
    ex.writeHead(status, ['content-length', '11']);
    t.equal(ex.write(Buffer.from('not sent')), true);
    ex.end();
    const { lines, body } = parse(owner.wire);
    t.notOk(lines.includes('transfer-encoding: chunked'));
    t.equal(body, '');
    t.equal(owner.finishedWith, true, 'the connection carries on');
    t.notOk(owner.calls.includes('abort'));
  });
}

t.test('a HEAD response keeps the worker\'s Content-Length: the size a GET would get (RFC 9110 §9.3.2)', async (t) => {
  const { owner, ex } = exchange({ method: 'HEAD' });
  ex.writeHead(200, ['content-length', '11']);
  ex.end();
  t.same(parse(owner.wire).lines, ['HTTP/1.1 200 OK', 'content-length: 11']);
});

t.test('the status line has the standard reason phrase for the code', async (t) => {
  const { owner, ex } = exchange();
  ex.writeHead(404, ['content-length', '0']);
  ex.end();
  t.match(owner.wire, /^HTTP\/1\.1 404 Not Found\r\n/);
  const other = exchange();
  other.ex.writeHead(599, ['content-length', '0']);
  other.ex.end();
  t.match(other.owner.wire, /^HTTP\/1\.1 599 Unknown\r\n/);
});

t.test('a Date header is added unless the worker sent one', async (t) => {
  const { owner, ex } = exchange();
  ex.writeHead(200, ['content-length', '0']);
  ex.end();
  t.match(owner.wire, /\r\ndate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n/);
  const own = exchange();
  own.ex.writeHead(200, ['Date', 'Tue, 01 Dec 2026 00:00:00 GMT', 'content-length', '0']);
  own.ex.end();
  t.equal(own.owner.wire.match(/date: /gi).length, 1, 'one Date');
});

t.test('trailers are sent after the last chunk, only with chunked framing', async (t) => {
  const chunked = exchange();
  chunked.ex.writeHead(200, []);
  chunked.ex.write(Buffer.from('x'));
  chunked.ex.addTrailers([['x-sum', 'abc'], ['x-count', '1']]);
  chunked.ex.end();
  t.match(chunked.owner.wire, /\r\n1\r\nx\r\n0\r\nx-sum: abc\r\nx-count: 1\r\n\r\n$/);
  const sized = exchange();
  sized.ex.writeHead(200, ['content-length', '1']);
  sized.ex.write(Buffer.from('x'));
  sized.ex.addTrailers([['x-sum', 'abc']]);
  sized.ex.end();
  t.equal(parse(sized.owner.wire).body, 'x', 'no place for them with Content-Length: dropped');
  t.notMatch(sized.owner.wire, /x-sum/);
});

t.test('Connection: close in the headers (an error page before the body was read) closes the connection; written once', async (t) => {
  const { owner, ex } = exchange();
  ex.writeHead(200, ['connection', 'keep-alive, Close', 'content-length', '0']);
  ex.end();
  t.same(parse(owner.wire).lines, ['HTTP/1.1 200 OK', 'content-length: 0', 'connection: close']);
  t.equal(owner.finishedWith, false);
});

t.test('a Connection header without close leaves keep-alive alone and is not copied', async (t) => {
  const { owner, ex } = exchange();
  ex.writeHead(200, ['connection', 'x-closer', 'content-length', '0']);
  ex.end();
  t.same(parse(owner.wire).lines, ['HTTP/1.1 200 OK', 'content-length: 0']);
  t.equal(owner.finishedWith, true);
});

t.test('a request that asked to close (keepAlive false from llhttp) gets connection: close', async (t) => {
  const { owner, ex } = exchange({ keepAlive: false });
  ex.writeHead(200, ['content-length', '0']);
  ex.end();
  t.same(parse(owner.wire).lines, ['HTTP/1.1 200 OK', 'content-length: 0', 'connection: close']);
  t.equal(owner.finishedWith, false);
});

t.test('a connection that is closing (shutdown, refusal queued) says connection: close', async (t) => {
  const { owner, ex } = exchange({ closing: true });
  ex.writeHead(200, ['content-length', '0']);
  ex.end();
  t.match(owner.wire, /\r\nconnection: close\r\n/);
  t.equal(owner.finishedWith, false);
});

t.test('the head is held until the first body bytes, then leaves with them in one write', async (t) => {
  const { owner, ex } = exchange();
  ex.writeHead(200, ['content-length', '3']);
  t.equal(owner.sends.length, 0, 'nothing sent at writeHead');
  t.ok(ex.headersSent, 'yet the head counts as sent: an error can no longer be a status page');
  t.same(owner.calls, ['streaming'], 'the connection is told the response has started');
  ex.write(Buffer.alloc(0));
  t.equal(owner.sends.length, 0, 'an empty chunk does not release it');
  ex.write(Buffer.from('abc'));
  t.equal(owner.sends.length, 1);
  t.equal(owner.sends[0].length, 1, 'one buffer');
  t.match(owner.wire, /\r\n\r\nabc$/);
});

t.test('a response with no body leaves head and end in one write', async (t) => {
  const { owner, ex } = exchange();
  ex.writeHead(200, []);
  ex.end();
  t.equal(owner.sends.length, 1);
  t.match(owner.wire, /transfer-encoding: chunked\r\n\r\n0\r\n\r\n$/);
});

t.test('a large chunk goes as its own buffer, not copied', async (t) => {
  const { owner, ex } = exchange();
  ex.writeHead(200, []);
  const big = Buffer.alloc(64 * 1024, 'z');
  ex.write(big);
  t.equal(owner.sends.length, 1);
  const [lead, chunk, tail] = owner.sends[0];
  t.match(lead, /\r\n\r\n10000\r\n$/, 'head and chunk size first');
  t.equal(chunk, big, 'the same buffer');
  t.equal(tail, '\r\n');
});

t.test('end() without writeHead answers 200', async (t) => {
  const { owner, ex } = exchange();
  ex.end();
  t.match(owner.wire, /^HTTP\/1\.1 200 OK\r\n/);
  t.equal(owner.finishedWith, true);
});

t.test('a body longer than its Content-Length cuts the connection: the excess is never sent', async (t) => {
  const { owner, ex } = exchange();
  ex.writeHead(200, ['content-length', '3']);
  ex.write(Buffer.from('ab'));
  ex.write(Buffer.from('cd'));
  t.same(owner.calls, ['streaming', 'abort']);
  t.equal(parse(owner.wire).body, 'ab');
  ex.write(Buffer.from('e'));
  ex.end();
  t.same(owner.calls, ['streaming', 'abort'], 'nothing after the cut: no finish, no second abort');
  t.equal(parse(owner.wire).body, 'ab');
});

t.test('a body shorter than its Content-Length cuts the connection at end(): the client would wait forever', async (t) => {
  const { owner, ex } = exchange();
  ex.writeHead(200, ['content-length', '3']);
  ex.write(Buffer.from('ab'));
  ex.end();
  t.same(owner.calls, ['streaming', 'abort']);
});

t.test('writeHead counts once; nothing is written after end()', async (t) => {
  const { owner, ex } = exchange();
  ex.writeHead(200, ['content-length', '1']);
  ex.writeHead(500, []);
  ex.write(Buffer.from('a'));
  ex.end();
  const sent = owner.wire;
  ex.write(Buffer.from('b'));
  ex.end();
  ex.destroy();
  t.match(sent, /^HTTP\/1\.1 200 OK\r\n/);
  t.equal(owner.wire, sent);
  t.same(owner.calls, ['streaming', 'finished']);
});

t.test('destroy() cuts the connection once', async (t) => {
  const { owner, ex } = exchange();
  ex.destroy();
  ex.destroy();
  t.same(owner.calls, ['abort']);
});

t.test('pauseBody and resumeBody stop and restart reading once each, however often called', async (t) => {
  const { owner, ex } = exchange();
  ex.pauseBody();
  ex.pauseBody();
  t.ok(ex.bodyPaused);
  ex.resumeBody();
  ex.resumeBody();
  t.notOk(ex.bodyPaused);
  t.same(owner.calls, ['pauseReading', 'resumeReading']);
});

t.test('buffered is what the connection holds unsent; forgetHeaders lets the request head go', async (t) => {
  const { ex } = exchange({ buffered: 1234 });
  t.equal(ex.buffered, 1234);
  ex.forgetHeaders();
  t.same([ex.url, ex.rawHeaders], ['', []]);
});
