// The SDK's `routes` option (SPEC §5.2): checked when the worker is made, announced in every hello.
import t from 'tap';
import { Worker } from '@switchboard/worker-sdk';
import { memoryLogger, nextHello, startPeer } from './lib/peer.mjs';

t.test('routes are announced in the hello, as given', async (t) => {
  t.setTimeout(30000);
  const { peer, bind, control } = await startPeer();
  const worker = new Worker({ connect: bind, control, name: 'r', logger: memoryLogger(), routes: ['api.example.com', '/v2/'] });
  worker.handle((_req, res) => res.end());
  t.teardown(async () => { await worker.close({ graceMs: 0 }); peer.close(); });
  t.same((await nextHello(peer)).frame.payload.routes, ['api.example.com', '/v2/']);
});

t.test('no routes: the hello has no routes field (unrouted, as before)', async (t) => {
  t.setTimeout(30000);
  const { peer, bind, control } = await startPeer();
  const worker = new Worker({ connect: bind, control, name: 'u', logger: memoryLogger() });
  worker.handle((_req, res) => res.end());
  t.teardown(async () => { await worker.close({ graceMs: 0 }); peer.close(); });
  t.notOk('routes' in (await nextHello(peer)).frame.payload);
});

t.test('malformed routes, and routes on a minimal worker, are WORKER_ERR_INVALID_OPTION', async (t) => {
  const base = { connect: 'tcp://127.0.0.1:1', logger: memoryLogger() };
  t.throws(() => new Worker({ ...base, routes: ['host:80'] }), { code: 'WORKER_ERR_INVALID_OPTION', message: /routes: .*port/ });
  t.throws(() => new Worker({ ...base, routes: '/v2' }), { code: 'WORKER_ERR_INVALID_OPTION' });
  t.throws(() => new Worker({ ...base, minimal: true, routes: ['/v2'] }), { code: 'WORKER_ERR_INVALID_OPTION', message: /minimal/ });
});
