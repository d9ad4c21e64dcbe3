// SPEC §6's worked example is what the router really sends: the real router, curl's request as curl 7.88 writes it,
// and a raw minimal worker (this test's own ROUTER socket) that keeps the bytes it receives. §6 and the
// `syn-stream-get` vector hold the same bytes (protocol/test/spec-6-worked-example.test.mjs), so this keeps both true.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { Router } from 'zeromq';
import { connect } from 'node:net';
import { startRouter } from './lib/harness.mjs';

const FRAMES = JSON.parse(readFileSync(new URL('../../protocol/vectors/frames.json', import.meta.url), 'utf8')).cases;
const frame = (name) => FRAMES.find((c) => c.name === name);
// Byte for byte what `curl http://localhost:9000/` (curl 7.88.1) writes.
const CURL = 'GET / HTTP/1.1\r\nHost: localhost:9000\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n';

t.test('SPEC §6: the router turns curl\'s GET / into exactly the SYN_STREAM shown, and sends the reply shown back', async (t) => {
  t.setTimeout(120_000);
  const router = await startRouter(t);
  const worker = new Router({ mandatory: true, linger: 0 });
  t.teardown(() => worker.close());
  worker.connect(router.bind);
  await router.waitFor((e) => e.msg === 'minimal workers connected' && e.count === 1, 60_000, 'the raw worker connected');

  const received = (async () => {
    for await (const [routerId, ...parts] of worker) {
      if (parts.length === 1 && parts[0].length === 0) continue; // the probe (SPEC §2)
      // The reply of SPEC §6, from the vectors it is written from.
      await worker.send([routerId, ...['syn-reply-200', 'data-fin'].map((name) => Buffer.from(frame(name).parts[0], 'hex'))]);
      return parts;
    }
  })();
  const answer = exchange(router.listen, CURL, 'Hello from worker-1\n');
  const parts = await received;
  t.same(parts.map((p) => p.toString('hex')), frame('syn-stream-get').parts, 'one part, the bytes of SPEC §6 and of the syn-stream-get vector');
  const text = await answer;
  t.match(text, /^HTTP\/1\.1 200 OK\r\n/, 'the client gets the 200');
  t.match(text, /\r\ncontent-length: 20\r\n/, 'with the worker\'s content-length');
  t.match(text, /\r\n\r\nHello from worker-1\n$/, 'and the body');
});

/** Writes `bytes` on a keep-alive connection, as curl does, and resolves with what came back once it holds `last`. */
function exchange(hostPort, bytes, last) {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), host, () => sock.write(bytes));
    let text = '';
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`no whole answer within 30 s: ${JSON.stringify(text)}`)); }, 30_000);
    sock.on('data', (c) => {
      text += c.toString('latin1');
      if (text.includes(last)) { clearTimeout(timer); sock.destroy(); resolve(text); }
    });
    sock.on('error', (err) => { clearTimeout(timer); reject(err); });
  });
}
