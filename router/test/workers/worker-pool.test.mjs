// router/src/workers/worker-pool.ts in-process: the extended workers the router knows (SPEC §5.2) and the round-robin
// choice of where a stream goes, over extended workers with free credit and the minimal workers' DEALER.
import t from 'tap';
import { parseRoutes } from '@switchboard/protocol';
import { WorkerPool } from '../../dist/workers/worker-pool.js';
import { MINIMAL } from '../../dist/workers/worker-link.js';

const hello = (name, maxStreams = 2, window = 65536) => ({ t: 'hello', id: name, name, maxStreams, window });

/** A pool with the named extended workers, each greeted with the given credit. */
function poolOf(...names) {
  const pool = new WorkerPool();
  const workers = names.map((name) => pool.greet(name, hello(name), 1000).worker);
  return { pool, workers };
}

/** Where `n` picks in a row go, by worker name ('minimal' for the DEALER, '-' for none). */
const picks = (pool, n, minimalPeers = 0, extendedOnly = false) =>
  Array.from({ length: n }, () => {
    const to = pool.pick(minimalPeers, extendedOnly);
    return to === undefined ? '-' : to === MINIMAL ? 'minimal' : to.name;
  });

t.test('greet: a new worker is recorded with its hello and reported new; quiet and healthy', async (t) => {
  const pool = new WorkerPool();
  const { worker, isNew } = pool.greet('id-a', hello('a', 8, 1 << 20), 1234);
  t.ok(isNew);
  t.match(worker, { id: 'id-a', name: 'a', maxStreams: 8, window: 1 << 20, lastSeen: 1234, pingUnanswered: false, unresponsive: false, draining: false });
  t.equal(worker.streams.size, 0);
  t.equal(pool.size, 1);
  t.equal(pool.get('id-a'), worker);
});

t.test('greet: a repeated hello updates the same worker in place (credit, window, name, last seen), not new', async (t) => {
  const pool = new WorkerPool();
  const first = pool.greet('id-a', hello('a', 1), 1000).worker;
  first.streams.add({ id: 1 });
  const again = pool.greet('id-a', hello('renamed', 4, 131072), 2000);
  t.notOk(again.isNew);
  t.equal(again.worker, first);
  t.match(first, { name: 'renamed', maxStreams: 4, window: 131072, lastSeen: 2000 });
  t.equal(first.streams.size, 1, 'the streams it holds are kept');
  t.equal(pool.size, 1);
});

t.test('greet: a hello without a name is known by its id', async (t) => {
  const pool = new WorkerPool();
  t.equal(pool.greet('id-x', { t: 'hello', id: 'id-x', maxStreams: 1, window: 65536 }, 0).worker.name, 'id-x');
});

t.test('pick: round robin over the extended workers with free credit', async (t) => {
  const { pool } = poolOf('a', 'b', 'c');
  t.same(picks(pool, 6), ['a', 'b', 'c', 'a', 'b', 'c']);
});

t.test('pick: the minimal workers\' DEALER gets one turn per connected minimal worker', async (t) => {
  const { pool } = poolOf('a');
  t.same(picks(pool, 6, 2), ['a', 'minimal', 'minimal', 'a', 'minimal', 'minimal']);
  t.same(picks(new WorkerPool(), 3, 1), ['minimal', 'minimal', 'minimal'], 'minimal workers alone');
});

t.test('pick: extendedOnly (a body that must stream) never goes to the DEALER', async (t) => {
  const { pool } = poolOf('a');
  t.same(picks(pool, 3, 5, true), ['a', 'a', 'a']);
  t.same(picks(new WorkerPool(), 2, 5, true), ['-', '-'], 'no extended worker: nowhere');
});

t.test('pick: a worker holding maxStreams streams is skipped until one ends', async (t) => {
  const { pool, workers: [a] } = poolOf('a', 'b');
  const held = { id: 1 };
  a.streams.add(held);
  a.streams.add({ id: 3 });
  t.same(picks(pool, 3), ['b', 'b', 'b']);
  a.streams.delete(held);
  t.ok(picks(pool, 2).includes('a'), 'free credit again');
});

t.test('pick: a draining worker (GOAWAY) gets no new streams', async (t) => {
  const { pool, workers: [a] } = poolOf('a', 'b');
  a.draining = true;
  t.same(picks(pool, 3), ['b', 'b', 'b']);
});

t.test('pick: an unresponsive worker gets no new streams until it speaks again', async (t) => {
  const { pool, workers: [a] } = poolOf('a', 'b');
  a.unresponsive = true;
  t.same(picks(pool, 3), ['b', 'b', 'b']);
  a.unresponsive = false;
  t.ok(picks(pool, 2).includes('a'));
});

t.test('pick: a worker announcing maxStreams 0 takes nothing', async (t) => {
  const pool = new WorkerPool();
  pool.greet('a', hello('a', 0), 0);
  t.same(picks(pool, 2), ['-', '-']);
  t.same(picks(pool, 2, 1), ['minimal', 'minimal']);
});

t.test('pick: undefined when nothing can take a stream', async (t) => {
  const { pool, workers } = poolOf('a', 'b');
  for (const w of workers) w.draining = true;
  t.equal(pool.pick(0, false), undefined);
  t.equal(new WorkerPool().pick(0, false), undefined, 'an empty pool');
});

t.test('pick: avoid takes a worker, or the DEALER, out of the turn; nothing when it was the only one with room', async (t) => {
  const { pool } = poolOf('a', 'b');
  const names = (n, avoid, minimalPeers = 1) =>
    Array.from({ length: n }, () => {
      const to = pool.pick(minimalPeers, false, undefined, false, avoid);
      return to === undefined ? '-' : to === MINIMAL ? 'minimal' : to.name;
    });
  t.same(names(4, 'a').sort(), ['b', 'b', 'minimal', 'minimal'], 'worker a avoided');
  t.same(names(4, MINIMAL).sort(), ['a', 'a', 'b', 'b'], 'the DEALER avoided');
  const { pool: lone } = poolOf('a');
  t.equal(lone.pick(0, false, undefined, false, 'a'), undefined, 'the avoided worker was the only one');
});

t.test('remove: the worker is forgotten, and returned once', async (t) => {
  const { pool, workers: [a] } = poolOf('a', 'b');
  t.equal(pool.remove('a'), a);
  t.equal(pool.remove('a'), undefined);
  t.equal(pool.get('a'), undefined);
  t.same(pool.all().map((w) => w.name), ['b']);
  t.same(picks(pool, 2), ['b', 'b']);
});

t.test('anyConnected counts minimal workers and extended ones, busy or not; anyExtended only those not draining', async (t) => {
  const { pool, workers: [a] } = poolOf('a');
  t.ok(pool.anyConnected(0));
  t.ok(pool.anyExtended());
  a.draining = true;
  t.notOk(pool.anyExtended(), 'draining');
  t.ok(pool.anyConnected(0), 'still connected');
  a.unresponsive = true;
  a.draining = false;
  t.ok(pool.anyExtended(), 'unresponsive is not gone');
  const empty = new WorkerPool();
  t.notOk(empty.anyConnected(0));
  t.ok(empty.anyConnected(1));
  t.notOk(empty.anyExtended());
});

t.test('routes: a routed pool picks among its own workers only, never the minimal DEALER; the unrouted pool the rest', async (t) => {
  const pool = new WorkerPool();
  const api = pool.greet('api', hello('api'), 0, parseRoutes(['api.test'])).worker;
  pool.greet('plain', hello('plain'), 0);
  const routed = pool.routes.match('api.test', '/');
  t.same(Array.from({ length: 3 }, () => pool.pick(2, false, routed)?.name), ['api', 'api', 'api']);
  t.same(new Set(picks(pool, 6, 1)), new Set(['plain', 'minimal']), 'the unrouted pool: plain and the minimal workers');
  t.ok(pool.anyConnected(0, routed));
  pool.remove('api');
  t.equal(pool.pick(2, false, routed), undefined, 'its worker gone: nothing, not another pool');
  t.notOk(pool.anyConnected(2, routed), 'minimal workers do not count for a route');
  t.same(api.streams.size, 0);
});

t.test('routes: greet refuses, changing nothing, when the route table has no room', async (t) => {
  const pool = new WorkerPool();
  const many = (from) => parseRoutes(Array.from({ length: 64 }, (_, i) => `/r${from + i}`));
  for (let k = 0; k < 64; k++) t.ok(pool.greet(`w${k}`, hello(`w${k}`), 0, many(k * 64)));
  t.equal(pool.greet('late', hello('late'), 0, parseRoutes(['/late'])), undefined);
  t.equal(pool.get('late'), undefined);
  t.equal(pool.size, 64);
});

t.test('holdsSockets: a stream-mode worker not draining, busy or not; asking does not turn the round robin', async (t) => {
  const { pool } = poolOf('a', 'b');
  t.equal(pool.holdsSockets(), false, 'workers that said nothing take WebSockets over HTTP');
  pool.greet('s', { ...hello('s', 1), websocket: 'stream' }, 1000);
  const s = pool.get('s');
  s.streams.add({ id: 1 });
  t.equal(pool.holdsSockets(), true, 'busy, it still holds sockets: a new one waits for it');
  t.same(picks(pool, 1), ['a']);
  for (let i = 0; i < 5; i++) pool.holdsSockets();
  t.same(picks(pool, 1), ['b'], 'the turn after a is b, however often holdsSockets was asked');
  s.draining = true;
  t.equal(pool.holdsSockets(), false, 'a draining one takes no new sockets');
});
