// zmq-floor.js relay: the floor with the client's hop in it answers every request head it reads, one by one, after a
// round trip to the echo, and both processes go on a signal.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { alive } from './helpers.mjs';

const FLOOR = fileURLToPath(new URL('../dist/zmq-floor.js', import.meta.url));

/** Starts a zmq-floor.js mode and resolves with the process and its `listening` value. */
async function start(args) {
  const child = spawn(process.execPath, [FLOOR, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    if (line.includes('"listening"')) return { child, listening: JSON.parse(line).listening };
  }
  throw new Error(`zmq-floor.js ${args[0]} exited before listening`);
}

t.test('relay: each request head gets the hello response after a round trip, pipelined ones in order', { timeout: 30_000 }, async (t) => {
  const echo = await start(['echo', '--bind', 'tcp://127.0.0.1:0']);
  t.teardown(() => echo.child.kill('SIGKILL'));
  const relay = await start(['relay', '--listen', '0', '--connect', echo.listening]);
  t.teardown(() => relay.child.kill('SIGKILL'));

  const socket = connect(relay.listening, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  socket.setEncoding('latin1');
  const responses = (n) => new Promise((resolve) => {
    const check = () => {
      if (received.split('HTTP/1.1 200 OK').length - 1 >= n) {
        socket.off('data', onData);
        resolve(received);
      }
    };
    const onData = (chunk) => { received += chunk; check(); };
    socket.on('data', onData);
    check();
  });
  const head = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';
  socket.write(head);
  t.match(await responses(1), /^HTTP\/1\.1 200 OK\r\n[^]*content-length: 14\r\n[^]*\r\n\r\nHello from w1\n$/, 'one response');
  // A head and the start of the next in one write, the rest of it in another: three answers in all.
  socket.write(head + head.slice(0, 10));
  socket.write(head.slice(10));
  const all = await responses(3);
  t.equal(all.split('Hello from w1\n').length - 1, 3, 'three bodies');
  socket.destroy();

  relay.child.kill('SIGTERM');
  echo.child.kill('SIGTERM');
  await Promise.all([once(relay.child, 'exit'), once(echo.child, 'exit')]);
  t.notOk(alive(relay.child.pid) || alive(echo.child.pid), 'both processes gone');
});
