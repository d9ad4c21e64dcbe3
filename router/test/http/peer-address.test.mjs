// router/src/http/peer-address.ts: a connection's peer address without node's per-socket cache, one string per address.
import t from 'tap';
import { createServer, connect } from 'node:net';
import { once } from 'node:events';
import { PeerAddresses } from '../../dist/http/peer-address.js';

/** Two client connections to a loopback server, as the server sees them. */
async function twoConnections(t) {
  const accepted = [];
  const server = createServer((socket) => accepted.push(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const clients = [connect(server.address().port, '127.0.0.1'), connect(server.address().port, '127.0.0.1')];
  await Promise.all(clients.map((c) => once(c, 'connect')));
  while (accepted.length < 2) await once(server, 'connection');
  t.teardown(() => { for (const s of [...clients, ...accepted]) s.destroy(); server.close(); });
  return accepted;
}

t.test("the peer's address, and node's cache of it ({address, family, port} on each socket) never made", { timeout: 10_000 }, async (t) => {
  const [a, b] = await twoConnections(t);
  const peers = new PeerAddresses();
  t.equal(peers.of(a), '127.0.0.1');
  t.equal(peers.of(b), '127.0.0.1');
  t.equal(a._peername, undefined, 'no per-socket cache');
  t.equal(b._peername, undefined, 'no per-socket cache');
  t.equal(a.remoteAddress, peers.of(a), "the same as node's remoteAddress");
});

t.test('a socket without a handle (closed) has no address: empty, not a throw', { timeout: 10_000 }, async (t) => {
  const [a] = await twoConnections(t);
  a.destroy();
  await once(a, 'close');
  t.equal(new PeerAddresses().of(a), '');
});
