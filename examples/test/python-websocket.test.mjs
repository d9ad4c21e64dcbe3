// End to end: the Python example worker (minimal protocol) echoes a WebSocket through `switchboard router`: the router
// holds the socket and sends its events as WebSocket-over-HTTP batches, the worker answers each statelessly.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import WebSocket from 'ws';
import { spawnLogged, startRouter, until, request } from '../../router/test/lib/harness.mjs';

t.setTimeout(180_000);

const NO_PYC = { PYTHONDONTWRITEBYTECODE: '1' };

function next(ws, event) {
  return new Promise((resolve, reject) => {
    ws.once(event, (...args) => resolve(args));
    ws.once('error', reject);
  });
}

t.test('hello.py echoes a WebSocket: text, binary, and the close code', async (t) => {
  const router = await startRouter(t);
  spawnLogged(t, '/usr/bin/python3', ['examples/python/hello.py', 'py-ws', '--connect', router.bind], { name: 'python', env: NO_PYC });
  await until(() => request(`${router.url}/`), (res) => res.status === 200, { what: 'the Python worker answering' });

  const ws = new WebSocket(`ws://${router.listen}/echo-socket`);
  t.teardown(() => ws.terminate());
  await next(ws, 'open');
  ws.send('hello, python');
  const [text, textBinary] = await next(ws, 'message');
  t.equal(text.toString(), 'hello, python');
  t.equal(textBinary, false);
  const bytes = Buffer.from([0, 0xff, 0x0d, 0x0a, 7]);
  ws.send(bytes);
  const [echoed, binary] = await next(ws, 'message');
  t.ok(echoed.equals(bytes), 'binary bytes come back as they went');
  t.equal(binary, true);
  ws.close(4005, 'done');
  const [code, reason] = await next(ws, 'close');
  t.equal(code, 4005, 'the close is answered with its code');
  t.equal(reason.toString(), 'done');
});

t.test('wsevents.py: examples/python/test_wsevents.py passes', async (t) => {
  const { code, output } = await new Promise((resolve) => {
    execFile('/usr/bin/python3', ['-m', 'unittest', '-v', 'test_wsevents'], { cwd: fileURLToPath(new URL('../python/', import.meta.url)), env: { ...process.env, ...NO_PYC }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? err.code : 0, output: stdout + stderr }));
  });
  t.equal(code, 0, output);
});
