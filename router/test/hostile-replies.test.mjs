// Issue 9: what a worker's reply may and may not make the router send a client. Each case is one path of
// lib/reply-worker.mjs, which answers with exactly the frames the case needs; the client side is raw bytes.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { RstStatus } from '@switchboard/protocol';
import { rawHttp, spawnLogged, startRouter } from './lib/harness.mjs';

t.setTimeout(300_000);
const WORKER = new URL('./lib/reply-worker.mjs', import.meta.url).pathname;

/** A router on `front` with one extended reply-worker. */
async function setup(t, front) {
  const router = await startRouter(t, ['--http-front', front]);
  const worker = spawnLogged(t, process.execPath, [WORKER, 'extended', router.control], { name: 'reply-worker' });
  await worker.waitFor((e) => e.msg === 'worker joined', 60_000, 'welcome');
  return { router, worker };
}

/** One request on its own connection (`Connection: close`); `extra` is raw header lines (a latin1 string). */
async function get(router, path, extra = '') {
  const raw = await rawHttp(router.url, Buffer.from(`GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n${extra}\r\n`, 'latin1'), 20_000);
  return parse(raw);
}

/** Status, header lines (names lower-cased, in order), body, trailers, and whether the framing said it was all there. */
function parse(raw) {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return { raw, status: 0, statusLine: '', headers: [], body: '', trailers: [], complete: false, header: () => [] };
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const fields = (list) => list.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]);
  const headers = fields(lines);
  const header = (name) => headers.filter(([n]) => n === name).map(([, v]) => v);
  let rest = raw.slice(end + 4);
  let body = '';
  let trailers = [];
  let complete = false;
  if (header('transfer-encoding')[0] === 'chunked') {
    for (;;) {
      const nl = rest.indexOf('\r\n');
      const size = nl === -1 ? NaN : parseInt(rest.slice(0, nl), 16);
      if (Number.isNaN(size)) break;
      if (size === 0) {
        const tail = rest.slice(nl + 2);
        const stop = tail.indexOf('\r\n\r\n');
        if (tail.startsWith('\r\n')) complete = true;
        else if (stop !== -1) { trailers = fields(tail.slice(0, stop).split('\r\n')); complete = true; }
        break;
      }
      if (rest.length < nl + 2 + size + 2) { body += rest.slice(nl + 2); break; }
      body += rest.slice(nl + 2, nl + 2 + size);
      rest = rest.slice(nl + 2 + size + 2);
    }
  } else {
    body = rest;
    complete = header('content-length').length === 1 && Number(header('content-length')[0]) === body.length;
  }
  return { raw, status: Number(statusLine.split(' ')[1]), statusLine, headers, header, body, trailers, complete };
}

/** The stream id the worker saw for the request with this path. */
async function streamOf(worker, path) {
  return (await worker.waitFor((e) => e.msg === 'syn' && e.path === path, 30_000, `SYN_STREAM for ${path}`)).stream;
}

/** RST_STREAMs the worker got for `stream`, counted once a later request has reached it (frames arrive in order). */
async function resetsOf(t, router, worker, stream) {
  const later = `/status?v=200&after=${stream}`;
  t.equal((await get(router, later)).status, 200, 'a later request on the same worker is served');
  await streamOf(worker, later);
  return worker.lines.filter((e) => e.msg === 'rst' && e.stream === stream).map((e) => e.status);
}

function badReply(t, res, what) {
  t.equal(res.statusLine, 'HTTP/1.1 502 Bad Gateway', `${what}: 502`);
  t.same(res.header('x-switchboard-error'), ['ROUTER_ERR_BAD_REPLY'], `${what}: ROUTER_ERR_BAD_REPLY`);
  t.equal(res.raw.split('HTTP/1.1 ').length - 1, 1, `${what}: one response, nothing injected`);
}

for (const front of ['llhttp', 'node']) t.test(`hostile replies (${front} front)`, async (t) => {
  const { router, worker } = await setup(t, front);

  t.test('framing: Content-Length must be one decimal number; equal values fold; NUL never reaches the client', async (t) => {
    badReply(t, await get(router, '/content-length?v=2%00%2053&n=53'), 'content-length "2\\0 53" and a 53-byte body');
    badReply(t, await get(router, '/content-length?v=2%0053&n=53'), 'content-length "2\\053"');
    for (const v of ['abc', '-1', '1e3', '%205', '+5', '', '5,5', '0x5', '5%00', '1234567890123456']) {
      badReply(t, await get(router, `/content-length?v=${v}&n=5`), `content-length ${JSON.stringify(decodeURIComponent(v))}`);
    }
    const folded = await get(router, '/content-length?v=5%005&n=5');
    t.equal(folded.status, 200, 'two equal values: served');
    t.same(folded.header('content-length'), ['5'], 'folded into one Content-Length (RFC 9110 §8.6)');
    t.equal(folded.body, 'xxxxx');

    const multi = await get(router, '/multi');
    t.equal(multi.status, 200);
    t.same(multi.header('x-multi'), ['a', 'b'], 'NUL-joined values: one header line each');
    t.same(multi.header('set-cookie'), ['c=1', 'd=2']);
    t.notOk(multi.raw.includes('\0'), 'no NUL on the wire');
  });

  t.test('trailers: sent only with chunked framing, announced or not, without framing, routing or hop-by-hop fields', async (t) => {
    for (const announce of ['0', '1']) {
      const res = await get(router, `/trailers?announce=${announce}`);
      t.equal(res.status, 200);
      t.same(res.header('content-length'), [], 'no Content-Length in the head');
      t.ok(res.complete, 'the chunked body ends properly');
      t.equal(res.body, 'ok');
      t.same(res.trailers, [['x-t', '1'], ['x-multi', 'a'], ['x-multi', 'b']], `Trailer header ${announce === '1' ? 'sent' : 'not sent'} by the worker: only x-t and x-multi arrive`);
      t.notOk(res.raw.includes('\0'), 'no NUL on the wire');
    }
    const sized = await get(router, '/trailers?cl=1');
    t.equal(sized.status, 200);
    t.same(sized.header('content-length'), ['2']);
    t.ok(sized.raw.endsWith('\r\n\r\nok'), 'Content-Length framing: the body and nothing after it');
  });

  t.test('header bytes pass through unchanged both ways', async (t) => {
    const utf8 = Buffer.from('Grüße', 'utf8');
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in Latin-1: not UTF-8
    const extra = `X-G: ${utf8.toString('latin1')}\r\nX-H: ${latin1.toString('latin1')}\r\n`;
    t.same(Buffer.from((await get(router, '/echo-header?name=x-g', extra)).body, 'latin1'), utf8, 'UTF-8 request bytes reach the worker as they were');
    t.same(Buffer.from((await get(router, '/echo-header?name=x-h', extra)).body, 'latin1'), latin1, 'a non-UTF-8 byte (0xE9) too');

    // The value of the empty-values-and-utf8 vector, written by the worker as UTF-8.
    const vectors = JSON.parse(readFileSync(new URL('../../protocol/vectors/header-blocks.json', import.meta.url), 'utf8'));
    const vector = vectors.cases.find((v) => v.name === 'empty-values-and-utf8');
    const value = vector.frames[0][0].headers.find(([name]) => name === 'x-greeting')[1];
    t.ok([...value].some((c) => c.charCodeAt(0) > 0xff), 'the value has a character above U+00FF');
    const res = await get(router, `/reply-header?value=${encodeURIComponent(value)}`);
    t.equal(res.status, 200, 'served, not 502');
    t.same(res.header('x-value').map((v) => Buffer.from(v, 'latin1')), [Buffer.from(value, 'utf8')], 'the client gets the UTF-8 bytes');
  });

  t.test(':status is 200-599, optionally with a reason phrase; the client gets the standard phrase', async (t) => {
    const cases = [
      ['200', 'HTTP/1.1 200 OK'], ['200 OK', 'HTTP/1.1 200 OK'], ['200 ', 'HTTP/1.1 200 OK'], ['404 Not Here', 'HTTP/1.1 404 Not Found'],
      ['599', 599], ['503 Service Unavailable', 'HTTP/1.1 503 Service Unavailable'],
    ];
    for (const [v, expect] of cases) {
      const res = await get(router, `/status?v=${encodeURIComponent(v)}`);
      if (typeof expect === 'number') t.equal(res.status, expect, JSON.stringify(v));
      else t.equal(res.statusLine, expect, JSON.stringify(v));
    }
    for (const v of ['199', '600', '100', '101', '103', '99', '2e2', '1e2', '200x', ' 200', '0200', '', '200\tOK', '200 OK\x01', '20', '2000', '200\x00404']) {
      badReply(t, await get(router, `/status?v=${encodeURIComponent(v)}`), `:status ${JSON.stringify(v)}`);
    }
  });

  t.test('a second SYN_REPLY: 502 while nothing went out, a cut connection once bytes did', async (t) => {
    const early = await get(router, '/two-replies?data=0');
    badReply(t, early, 'second SYN_REPLY before any DATA');
    // (The DATA behind it, already on its way, is answered INVALID_STREAM: the router forgot the stream.)
    t.equal((await resetsOf(t, router, worker, await streamOf(worker, '/two-replies?data=0')))[0], RstStatus.PROTOCOL_ERROR, 'RST_STREAM PROTOCOL_ERROR');
    // The head went out with the first DATA, so the connection is cut (node:http may not have flushed the partial
    // response yet when it is: then the client sees only the close).
    const late = await get(router, '/two-replies?data=1');
    t.ok(late.raw === '' || (late.status === 200 && late.body === 'partial'), `the head and "partial" at most (${JSON.stringify(late.raw.slice(0, 20))})`);
    t.notOk(late.complete, 'then the connection was cut');
    t.notOk(late.raw.includes('second'));
  });

  t.test('DATA after a HEADERS frame (trailers) without FIN: RST PROTOCOL_ERROR, the client is cut', async (t) => {
    const res = await get(router, '/data-after-trailers');
    t.ok(res.raw === '' || (res.status === 200 && res.body === 'ab'), `the head and "ab" at most (${JSON.stringify(res.raw.slice(0, 20))})`);
    t.notOk(res.complete, 'cut: no last chunk');
    t.notOk(res.raw.includes('cd'));
    t.same(await resetsOf(t, router, worker, await streamOf(worker, '/data-after-trailers')), [RstStatus.PROTOCOL_ERROR], 'one RST_STREAM PROTOCOL_ERROR');
  });

  t.test('a reply frame that does not decode gets a 502 and exactly one RST_STREAM PROTOCOL_ERROR', async (t) => {
    badReply(t, await get(router, '/bad-block'), 'a SYN_REPLY whose header block does not decode');
    t.same(await resetsOf(t, router, worker, await streamOf(worker, '/bad-block')), [RstStatus.PROTOCOL_ERROR], 'one RST_STREAM PROTOCOL_ERROR');
  });

  t.test('a window overrun gets exactly one RST_STREAM FLOW_CONTROL_ERROR, also when credit was granted mid-message', async (t) => {
    const one = await get(router, '/overrun?frames=one');
    badReply(t, one, 'one DATA frame past the window');
    t.same(await resetsOf(t, router, worker, await streamOf(worker, '/overrun?frames=one')), [RstStatus.FLOW_CONTROL_ERROR], 'one RST_STREAM FLOW_CONTROL_ERROR');
    // A full window and 10 bytes more in one message: the worker wrote all of it before it could have seen credit.
    const two = await get(router, '/overrun?frames=two');
    t.notOk(two.complete, 'the client does not get the overrun (cut once the first frame went out)');
    t.ok(two.body.length <= 65536, `no byte past the window reached the client (${two.body.length})`);
    t.same(await resetsOf(t, router, worker, await streamOf(worker, '/overrun?frames=two')), [RstStatus.FLOW_CONTROL_ERROR], 'one RST_STREAM FLOW_CONTROL_ERROR');
  });
});
