import t from 'tap';
import { createServer } from 'node:net';
import { ephemeralStart, freePort } from '../dist/ports.js';

const listen = (port) => new Promise((resolve, reject) => {
  const server = createServer();
  server.once('error', reject);
  server.listen(port, '127.0.0.1', () => resolve(server));
});

t.test('ports are drawn below the ephemeral range, each once, and can be bound', async (t) => {
  const end = ephemeralStart();
  t.ok(end > 10_000, `ephemeral range starts at ${end}`);
  const ports = [];
  for (let i = 0; i < 40; i++) ports.push(await freePort());
  t.equal(new Set(ports).size, ports.length, 'no port handed out twice');
  t.ok(ports.every((p) => p >= 10_000 && p < end), `all in 10000-${end - 1}`);
  const servers = await Promise.all(ports.map(listen));
  t.equal(servers.length, ports.length, 'every one binds');
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});
