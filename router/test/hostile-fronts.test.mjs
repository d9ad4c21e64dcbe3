// Issue 9: hostile request bytes through both HTTP fronts. A worker that reports exactly what it received shows what
// each request became; the same byte streams through the llhttp front and the node:http front must give the worker
// the same requests and the client the same statuses (a differential test, over hand-written cases and a seeded
// generated corpus: HOSTILE_SEED=n reruns one).
import t from 'tap';
import { request, spawnLogged, startRouter } from './lib/harness.mjs';
import { play } from './lib/raw-client.mjs';

t.setTimeout(120_000);

const REPORT = new URL('./lib/report-worker.mjs', import.meta.url).pathname;
const FRONTS = ['llhttp', 'node'];
// 32 KiB heads, so that the byte count and the line count can each be passed alone.
const ROUTER_ARGS = ['--max-header-size', '32768', '--log-level', 'debug'];

async function startFront(t, front) {
  const router = await startRouter(t, ['--http-front', front, ...ROUTER_ARGS]);
  const worker = spawnLogged(t, process.execPath, [REPORT, 'minimal', router.bind], { name: `report-${front}` });
  await router.waitFor((e) => e.msg === 'minimal workers connected' && e.count === 1, 60_000, 'report worker connected');
  return { front, router, worker, sentinels: 0 };
}

/**
 * Plays `steps` on one connection, then sends a sentinel request on another and waits for the worker to report it:
 * the worker takes streams in order, so every request of the steps that reached it has been reported by then.
 */
async function run(f, steps) {
  const from = f.worker.lines.length;
  const result = await play(f.router.url, steps);
  const sentinel = `/sentinel-${++f.sentinels}`;
  const answer = await request(f.router.url + sentinel);
  if (answer.status !== 200) throw new Error(`sentinel got ${answer.status}`);
  await f.worker.waitFor((e) => e.msg === 'request' && e.path === sentinel, 30_000, `sentinel ${sentinel}`);
  // By path: the node:http front hands pipelined requests to workers as they are parsed, the llhttp front one at a
  // time, so a bodiless request can overtake a pipelined one ahead of it whose body is still being read.
  const requests = f.worker.lines.slice(from)
    .filter((e) => e.msg === 'request' && !e.path.startsWith('/sentinel-'))
    .map(({ method, path, version, host, headers, body }) => ({ method, path, version, host, headers, body }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { statuses: result.responses.map((r) => r.status), responses: result.responses, requests, timedOut: result.timedOut };
}

const headerNames = (r) => r.headers.filter((_, i) => i % 2 === 0);

// ---- hand-written cases: [name, steps, check(t, result)] ---------------------------------------------------------

const CHUNKED_WITH_TRAILERS = 'POST /public/upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nHost: admin.internal\r\nX-User: admin\r\n\r\n';
const CASES = [
  ['trailers never reach the next request (issue 9, bug 1)', [CHUNKED_WITH_TRAILERS, { wait: 1 }, 'GET /second HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n'], (t, r) => {
    t.same(r.statuses, [200, 200]);
    t.same(r.requests.map((q) => [q.method, q.path, q.host, q.body]), [['POST', '/public/upload', 'a', 'hello'], ['GET', '/second', 'app', '']]);
    t.notOk(r.requests.some((q) => headerNames(q).includes('x-user')), 'the trailer X-User reaches no worker');
  }],
  ['trailers, pipelined with the next request', [CHUNKED_WITH_TRAILERS + 'GET /second HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n'], (t, r) => {
    t.same(r.statuses, [200, 200]);
    t.same(r.requests.map((q) => [q.path, q.host]), [['/public/upload', 'a'], ['/second', 'app']]);
  }],
  // A non-WebSocket upgrade is a plain request (issue 12 takes WebSocket ones only: see test/websocket/).
  ['a request pipelined behind one carrying Upgrade is answered', ['GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'], (t, r) => {
    t.same(r.statuses, [200, 200]);
    t.same(r.requests.map((q) => q.path), ['/next', '/ws']);
    t.notOk(r.requests.some((q) => headerNames(q).includes('upgrade')), 'Upgrade is hop-by-hop: not forwarded');
  }],
  ['an Upgrade request with a body, then another request', ['POST /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: x\r\nContent-Length: 5\r\n\r\nhelloGET /next HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'], (t, r) => {
    t.same(r.statuses, [200, 200]);
    t.same(r.requests.map((q) => [q.path, q.body]), [['/next', ''], ['/ws', 'hello']]);
  }],
  // llhttp stops after a request carrying Upgrade only once its body is in, which may be reads after its head.
  ['an Upgrade request whose body spans reads, then pipelined requests: none is lost (seed 640075222, case 52)', [
    'PUT /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: h2c\r\nContent-Length: 10\r\n\r\nhello',
    'worldGET /next HTTP/1.1\r\nHost: a\r\n\r\nGET /last HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
  ], (t, r) => {
    t.same(r.statuses, [200, 200, 400]);
    t.same(r.requests.map((q) => [q.path, q.body]), [['/next', ''], ['/ws', 'helloworld']]);
  }],
  // After such a stop, Node's binding reports a parse error in the next request as a short count of bytes parsed.
  ['a request carrying Upgrade, then bad bytes in the same read: 200, then 400', ['GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\nGARBAGE\r\n\r\n'], (t, r) => {
    t.same(r.statuses, [200, 400]);
    t.same(r.requests.map((q) => q.path), ['/ws']);
  }],
  ['a request carrying Upgrade, then bad bytes in a later read: 200, then 400', ['GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n', { wait: 1 }, 'GARBAGE\r\n\r\n'], (t, r) => {
    t.same(r.statuses, [200, 400]);
    t.same(r.requests.map((q) => q.path), ['/ws']);
  }],
  ['a bad chunk in the body of a request carrying Upgrade: 400, never a worker', ['POST /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: h2c\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n', 'ZZ\r\n'], (t, r) => {
    t.same(r.statuses, [400]);
    t.same(r.requests, []);
  }],
  ['a head split across reads behind two pipelined requests is kept (the parser is not parked while it holds one)', [
    'GET /p1 HTTP/1.1\r\nHost: a\r\n\r\nOPTIONS /p2 HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\r\nGET http://b.exam',
    'ple/p3 HTTP/1.1\r\nHost: a\r\n\r\nGET /p4 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
  ], (t, r) => {
    t.same(r.statuses, [200, 200, 200, 200]);
    t.same(r.requests.map((q) => q.path), ['/p1', '/p2', '/p3', '/p4']);
  }],
  ['a valid request then bad bytes in the same read: 200, then 400', ['GET /first HTTP/1.1\r\nHost: a\r\n\r\nGARBAGE\r\n\r\n'], (t, r) => {
    t.same(r.statuses, [200, 400]);
    t.same(r.requests.map((q) => q.path), ['/first']);
  }],
  ['two valid requests then a bad head: both answered, then 400, and nothing after it runs', ['GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\nGET /4 HTTP/1.1\r\nHost: a\r\n\r\n'], (t, r) => {
    t.same(r.statuses, [200, 200, 400]);
    t.same(r.requests.map((q) => q.path), ['/1', '/2']);
  }],
  ['Transfer-Encoding gzip, chunked: 501', ['POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'], (t, r) => {
    t.same(r.statuses, [501]);
    t.same(r.requests, []);
  }],
  ['Transfer-Encoding over two lines, gzip then chunked: 501', ['POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'], (t, r) => {
    t.same(r.statuses, [501]);
    t.same(r.requests, []);
  }],
  ['Transfer-Encoding identity: 501', ['POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\nok'], (t, r) => {
    t.same(r.statuses, [501]);
    t.same(r.requests, []);
  }],
  ['absolute-form target: origin-form path, host from the URI', ['GET http://evil.example/x?y=1 HTTP/1.1\r\nHost: a\r\n\r\nGET HTTPS://b.example:8443 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'], (t, r) => {
    t.same(r.statuses, [200, 200]);
    t.same(r.requests.map((q) => [q.path, q.host]), [['/', 'b.example:8443'], ['/x?y=1', 'evil.example']]);
    t.equal(r.requests[1].headers[r.requests[1].headers.indexOf('x-forwarded-host') + 1], 'evil.example');
  }],
  ['other target forms: 400', ['GET * HTTP/1.1\r\nHost: a\r\n\r\n'], (t, r) => t.same([r.statuses, r.requests], [[400], []])],
  ['a scheme other than http(s): 400', ['GET ftp://a.example/x HTTP/1.1\r\nHost: a\r\n\r\n'], (t, r) => t.same([r.statuses, r.requests], [[400], []])],
  ['OPTIONS * is served', ['OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'], (t, r) => t.same([r.statuses, r.requests.map((q) => q.path)], [[200], ['*']])],
  ['HTTP/1.1 without Host: 400', ['GET / HTTP/1.1\r\nX-A: b\r\n\r\n'], (t, r) => t.same([r.statuses, r.requests], [[400], []])],
  ['two Host headers: 400', ['GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'], (t, r) => t.same([r.statuses, r.requests], [[400], []])],
  ['an invalid Host value: 400', ['GET / HTTP/1.1\r\nHost: a/b@c\r\n\r\n'], (t, r) => t.same([r.statuses, r.requests], [[400], []])],
  ['HTTP/1.0 without Host is served, :host empty', ['GET /old HTTP/1.0\r\n\r\n'], (t, r) => {
    t.same(r.statuses, [200]);
    t.same(r.requests.map((q) => [q.path, q.host, q.version]), [['/old', '', 'HTTP/1.0']]);
  }],
  ['a bad chunk in a buffered body: 400, never a worker', ['POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n', 'ZZ\r\n'], (t, r) => {
    t.same(r.statuses, [400]);
    t.equal(r.responses[0]?.headers.connection, 'close');
    t.same(r.requests, []);
  }],
  // Past 16 KiB a body leaves the router as split DATA frames (SPEC §3.1): the bytes after it are still the next request.
  ['a 40 KiB body with a request pipelined behind it', [`PUT /big HTTP/1.1\r\nHost: a\r\nContent-Length: 40960\r\n\r\n${'b'.repeat(40960)}GET /after HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`], (t, r) => {
    t.same(r.statuses, [200, 200]);
    t.same(r.requests.map((q) => [q.path, q.body.length, q.body === 'b'.repeat(q.body.length)]), [['/after', 0, true], ['/big', 40960, true]]);
  }],
  ['a:\\r\\n x 10,000 (40 KB of head): 431', [`GET / HTTP/1.1\r\nHost: a\r\n${'a:\r\n'.repeat(10_000)}\r\n`], (t, r) => t.same([r.statuses, r.requests], [[431], []])],
  ['a head over --max-header-size counted as sent (llhttp alone counts 29 KB here): 431', [`GET / HTTP/1.1\r\nHost: a\r\n${'a:bbbbbbbbbbbbbbbbbbbb\r\n'.repeat(1400)}\r\n`], (t, r) => t.same([r.statuses, r.requests], [[431], []])],
  ['2,100 header lines in 8 KB: 431, not cut to 2,000', [`GET / HTTP/1.1\r\nHost: a\r\n${'a:\r\n'.repeat(2100)}\r\n`], (t, r) => t.same([r.statuses, r.requests], [[431], []])],
  ['1,900 empty header lines are all forwarded', [`GET /many HTTP/1.1\r\nHost: a\r\nConnection: close\r\n${'a:\r\n'.repeat(1900)}\r\n`], (t, r) => {
    t.same(r.statuses, [200]);
    t.equal(r.requests[0]?.headers.filter((h, i) => i % 2 === 0 && h === 'a').length, 1900);
  }],
];

// ---- the generated corpus ------------------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, so that a failing corpus can be replayed from its seed. */
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(seed, count) {
  const rand = prng(seed);
  const int = (n) => Math.floor(rand() * n);
  const pick = (a) => a[int(a.length)];
  const token = () => Math.floor(rand() * 2 ** 32).toString(36);
  const cases = [];
  for (let c = 0; c < count; c++) {
    const n = 1 + int(4);
    const requests = [];
    let ending = 'close';
    for (let j = 0; j < n; j++) {
      const last = j === n - 1;
      const method = pick(['GET', 'GET', 'POST', 'PUT', 'DELETE', 'OPTIONS']);
      const target = rand() < 0.1 ? `http://h${int(3)}.example/c${c}/r${j}` : `/c${c}/r${j}?q=${token()}`;
      let head = `${method} ${target} HTTP/1.1\r\nHost: h${int(3)}.test\r\n`;
      // A long head comes in several kOnHeaders calls (llhttp hands JS 32 lines at a time).
      const lines = rand() < 0.25 ? 30 + int(90) : int(6);
      for (let k = 0; k < lines; k++) head += `${pick(['X-Test', 'x-mixed-Case', 'Accept', 'X-Forwarded-For'])}-${k}: ${token()}${rand() < 0.2 ? ` ${token()}` : ''}\r\n`;
      if (!last && rand() < 0.1) head += 'Connection: upgrade\r\nUpgrade: h2c\r\n';
      const hostile = rand();
      if (hostile < 0.04) head += 'Transfer-Encoding: gzip, chunked\r\n';
      else if (hostile < 0.08) head += `Host: second${int(3)}.test\r\n`;
      let body = '';
      const shape = method === 'GET' || method === 'OPTIONS' ? 'none' : pick(['none', 'length', 'chunked', 'chunked']);
      if (shape === 'length') {
        const data = token().repeat(1 + int(400));
        head += `Content-Length: ${data.length}\r\n`;
        body = data;
      } else if (shape === 'chunked' || (hostile < 0.04)) {
        if (!head.includes('Transfer-Encoding')) head += 'Transfer-Encoding: chunked\r\n';
        for (let k = int(4); k > 0; k--) {
          const data = token().repeat(1 + int(300));
          body += `${data.length.toString(16)}${rand() < 0.2 ? ';ext=1' : ''}\r\n${data}\r\n`;
        }
        body += '0\r\n';
        if (rand() < 0.5) body += `Host: admin${int(3)}.internal\r\nX-User: admin\r\nX-Trailer-${int(9)}: ${token()}\r\n`;
        body += '\r\n';
      }
      if (last) {
        ending = rand() < 0.1 ? 'garbage' : 'close';
        if (ending === 'close') head += 'Connection: close\r\n';
      }
      requests.push(head + '\r\n' + body + (last && ending === 'garbage' ? 'NOT HTTP\r\n\r\n' : ''));
    }
    const bytes = Buffer.from(requests.join(''), 'latin1');
    const split = (buf, parts) => {
      const cuts = Array.from({ length: parts - 1 }, () => int(buf.length)).sort((a, b) => a - b);
      const out = [];
      let at = 0;
      for (const cut of [...cuts, buf.length]) { if (cut > at) out.push(buf.subarray(at, cut)); at = Math.max(at, cut); }
      return out;
    };
    const pipelined = rand() < 0.5;
    const steps = pipelined
      ? split(bytes, 1 + int(5))
      : requests.flatMap((r, j) => [...split(Buffer.from(r, 'latin1'), 1 + int(3)), { wait: j + 1 }]);
    cases.push({ name: `corpus case ${c} (${pipelined ? 'pipelined' : 'one by one'}, ${n} requests)`, steps, bytes });
  }
  return cases;
}

/**
 * A second family, from its own PRNG stream (the first family's cases stay as they were for a seed): a request
 * carrying Upgrade at any place in a pipeline (h2c, another protocol, or a WebSocket handshake that is refused), its
 * body (Content-Length or chunked) cut across reads, then valid requests, garbage, a bad chunk, or nothing. Each case
 * knows what it should become (`expect`), checked on top of the two fronts agreeing.
 */
function generateUpgrades(seed, count) {
  const rand = prng(seed ^ 0x55504752); // 'UPGR'
  const int = (n) => Math.floor(rand() * n);
  const pick = (a) => a[int(a.length)];
  const token = () => Math.floor(rand() * 2 ** 32).toString(36);
  const KINDS = {
    h2c: 'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n',
    other: 'Connection: upgrade\r\nUpgrade: foo/1, bar\r\n',
    // WebSocket-looking, each refused by the handshake's checks (no key; version 8; a short key).
    'ws-no-key': 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n',
    'ws-version': 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n',
    'ws-short-key': 'Connection: Upgrade\r\nUpgrade: WebSocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: c2hvcnQ=\r\n',
  };
  const cases = [];
  for (let c = 0; c < count; c++) {
    const kind = pick(Object.keys(KINDS));
    const websocket = kind.startsWith('ws-');
    const n = 1 + int(4);
    const at = int(n); // the Upgrade request's place
    const after = pick(['valid', 'garbage', 'bad chunk', 'nothing']);
    // 'nothing': the Upgrade request is the last, and asks to close; otherwise what follows it in the pipeline.
    const sent = after === 'nothing' ? at + 1 : n;
    const parts = [];
    const cutsInside = [];
    const expect = { statuses: [], paths: [], bodies: {} };
    let offset = 0;
    let refused = false;
    for (let j = 0; j < sent; j++) {
      const upgrade = j === at;
      const last = j === sent - 1;
      const badChunk = after === 'bad chunk' && last;
      const path = `/u${c}/r${j}${upgrade ? '-upgrade' : ''}`;
      const method = upgrade && websocket ? pick(['GET', 'GET', 'POST']) : pick(['GET', 'POST', 'PUT']);
      let head = `${method} ${path} HTTP/1.1\r\nHost: h${int(3)}.test\r\n`;
      if (upgrade) head += KINDS[kind];
      if (last && (after === 'nothing' || after === 'valid')) head += 'Connection: close\r\n';
      const shape = badChunk ? 'chunked' : method === 'GET' ? pick(['none', 'none', 'length']) : pick(['none', 'length', 'chunked']);
      let body = '';
      let data = '';
      if (shape === 'length') {
        data = token().repeat(1 + int(200));
        head += `Content-Length: ${data.length}\r\n`;
        body = data;
      } else if (shape === 'chunked') {
        head += 'Transfer-Encoding: chunked\r\n';
        for (let k = 1 + int(3); k > 0; k--) {
          const piece = token().repeat(1 + int(100));
          data += piece;
          body += `${piece.length.toString(16)}\r\n${piece}\r\n`;
        }
        if (badChunk) body += `${pick(['ZZ', '-1', '5;', 'fffffffffffffffffffff'])}\r\n${token()}\r\n`;
        else body += `0\r\n${rand() < 0.3 ? `X-User: admin\r\nX-Trailer: ${token()}\r\n` : ''}\r\n`;
      }
      const text = head + '\r\n' + body;
      // A cut at a random point of the body (or of the head, when there is none), so that it spans reads.
      const from = offset + (body.length > 0 ? head.length + 2 : 0);
      cutsInside.push(from + int(offset + text.length - from));
      offset += text.length;
      parts.push(text);
      if (refused) continue;
      if (upgrade && websocket) {
        refused = true; // by the handshake's checks (400 or 426), or for being pipelined behind another request (400)
        expect.statuses.push('4xx');
      } else if (badChunk) {
        refused = true;
        expect.statuses.push(400);
      } else {
        expect.statuses.push(200);
        expect.paths.push(path);
        expect.bodies[path] = data;
      }
    }
    if (after === 'garbage') {
      const garbage = pick(['NOT HTTP\r\n\r\n', 'GARBAGE', '\x00\x01\x02\r\n\r\n', 'GET /x HTTP/9.9\r\n\r\n', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n']);
      parts.push(garbage);
      if (!refused) expect.statuses.push(400); // HTTP/9.9 too: llhttp refuses it as a bad version (HPE_INVALID_VERSION), not 505
      refused = true;
    }
    const bytes = Buffer.from(parts.join(''), 'latin1');
    const cuts = [...new Set([...cutsInside.filter(() => rand() < 0.7), ...Array.from({ length: int(3) }, () => int(bytes.length))])]
      .filter((x) => x > 0 && x < bytes.length).sort((a, b) => a - b);
    const steps = [];
    let from = 0;
    for (const cut of [...cuts, bytes.length]) { steps.push(bytes.subarray(from, cut)); from = cut; }
    cases.push({ name: `upgrade case ${c} (${kind} at ${at + 1} of ${sent}, then ${after}, ${steps.length} reads)`, steps, bytes, expect });
  }
  return cases;
}

/** What an upgrade-family case should become, through either front: its statuses in order, and each request that
 * reaches a worker whole, alone (no trailer or Upgrade header forwarded). */
function checkExpected(r, expect) {
  const statuses = r.statuses.map((s, i) => (expect.statuses[i] === '4xx' && s >= 400 && s < 500 ? '4xx' : s));
  const requests = r.requests.map((q) => [q.path, q.body]);
  const wanted = expect.paths.map((p) => [p, expect.bodies[p]]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const leaked = r.requests.some((q) => headerNames(q).some((h) => h === 'x-user' || h === 'upgrade' || h === 'http2-settings'));
  return JSON.stringify([statuses, requests, leaked]) === JSON.stringify([expect.statuses, wanted, false]);
}

t.test('hostile request bytes through both fronts', async (t) => {
  const fronts = await Promise.all(FRONTS.map((front) => startFront(t, front)));

  for (const f of fronts) {
    t.test(`hand-written cases (${f.front} front)`, async (t) => {
      for (const [name, steps, check] of CASES) {
        const result = await run(f, steps);
        t.test(name, async (t) => {
          t.notOk(result.timedOut, 'the connection ends: every request is answered or refused');
          check(t, result);
        });
      }
    });
  }

  t.test('differential: the same bytes give the worker the same requests and the client the same statuses', async (t) => {
    const seed = Number(process.env.HOSTILE_SEED ?? Math.floor(Math.random() * 2 ** 31));
    t.comment(`corpus seed ${seed} (HOSTILE_SEED=${seed} replays it)`);
    const corpus = [{ name: 'the trailer leak of issue 9', steps: CASES[0][1] }, ...generate(seed, 60), ...generateUpgrades(seed, 30)];
    let requests = 0;
    for (const c of corpus) {
      const [a, b] = await Promise.all(fronts.map((f) => run(f, c.steps)));
      const same = JSON.stringify([a.statuses, a.requests, a.timedOut]) === JSON.stringify([b.statuses, b.requests, b.timedOut]);
      requests += a.requests.length;
      const expected = c.expect === undefined || (checkExpected(a, c.expect) && checkExpected(b, c.expect));
      if (!same || a.timedOut || !expected) {
        t.fail(`${c.name}, seed ${seed}`, { expect: c.expect, llhttp: { statuses: a.statuses, requests: a.requests, timedOut: a.timedOut }, node: { statuses: b.statuses, requests: b.requests, timedOut: b.timedOut }, bytes: JSON.stringify((c.bytes ?? '').toString('latin1')) });
      }
    }
    t.pass(`${corpus.length} byte streams, ${requests} requests reached the worker, alike through both fronts`);
    t.ok(requests > corpus.length, 'the corpus does reach the worker');
  });
});
