// router/src/workers/route-table.ts in-process: which pool a request goes to (SPEC §5.2 routes). Host before path,
// the longest path prefix on a segment boundary, the unrouted pool when nothing matches; pools outlive their workers.
import t from 'tap';
import { parseRoutes } from '@switchboard/protocol';
import { RouteTable, hostOf } from '../../dist/workers/route-table.js';

/** A table where each named worker announced the given routes. */
function tableOf(t, announced, limit) {
  const table = new RouteTable(limit);
  for (const [worker, routes] of Object.entries(announced)) t.ok(table.set(worker, parseRoutes(routes)), `${worker} takes its routes`);
  return table;
}
const served = (table, host, path) => table.match(host, path).workers.join(',');

t.test('a request goes to the workers of the route matching it best: host first, then the longest path', async (t) => {
  const table = tableOf(t, { api: ['api.example.com'], apiv2: ['api.example.com/v2/'], v2: ['/v2/'], v2deep: ['/v2/admin'], plain: [] });
  t.equal(served(table, 'api.example.com', '/v2/users'), 'apiv2', 'host and path beat host alone');
  t.equal(served(table, 'api.example.com', '/v1/users'), 'api', 'the host alone');
  t.equal(served(table, 'api.example.com', '/v2'), 'apiv2', 'the prefix itself, without its slash');
  t.equal(served(table, 'www.example.com', '/v2/users'), 'v2', 'another host: the path route');
  t.equal(served(table, 'www.example.com', '/v2/admin/x'), 'v2deep', 'the longest path wins');
  t.equal(served(table, 'www.example.com', '/v1'), 'plain', 'no match: the unrouted pool');
  t.equal(table.match('www.example.com', '/v1'), table.unrouted);
});

t.test('hosts compare case-insensitively, without the port or a trailing dot', async (t) => {
  const table = tableOf(t, { api: ['API.example.com'] });
  for (const host of ['api.example.com', 'Api.Example.COM:8443', 'api.example.com.', 'api.example.com.:80']) {
    t.equal(served(table, host, '/'), 'api', host);
  }
  t.equal(hostOf('[::1]:9000'), '[::1]');
  t.equal(served(table, 'api.example.com.evil', '/'), '', 'a longer host is another host');
});

t.test('path prefixes match on segment boundaries only, and the query is not part of the path', async (t) => {
  const table = tableOf(t, { v2: ['/v2/'] });
  t.equal(served(table, 'h', '/v2?x=1'), 'v2');
  t.equal(served(table, 'h', '/v2/'), 'v2');
  t.equal(table.match('h', '/v2x'), table.unrouted, '/v2x is not under /v2/');
  t.equal(table.match('h', '/V2/'), table.unrouted, 'paths are case-sensitive');
});

t.test('several workers announcing one route share its pool; a worker with several routes is in each', async (t) => {
  const table = tableOf(t, { a: ['/v2', 'x.test'], b: ['/v2/'] });
  t.equal(served(table, 'h', '/v2/z'), 'a,b');
  t.equal(served(table, 'x.test', '/'), 'a');
  t.same(table.poolsOf('a').map((p) => p.route.key), ['/v2', 'x.test']);
});

t.test('a route whose workers are gone keeps its pool, empty: its requests never fall to another pool', async (t) => {
  const table = tableOf(t, { v2: ['/v2/'], plain: [] });
  table.remove('v2');
  const pool = table.match('h', '/v2/a');
  t.not(pool, table.unrouted);
  t.same(pool.workers, []);
  t.equal(served(table, 'h', '/other'), 'plain');
});

t.test('a worker announcing new routes moves to their pools; the same routes again change nothing', async (t) => {
  const table = tableOf(t, { w: ['/a'] });
  const pool = table.match('h', '/a');
  t.ok(table.set('w', parseRoutes(['/a/'])), 'the same route, spelled otherwise');
  t.equal(table.match('h', '/a'), pool);
  t.same(pool.workers, ['w']);
  t.ok(table.set('w', parseRoutes(['/b'])));
  t.same(pool.workers, [], 'out of the old pool');
  t.equal(served(table, 'h', '/b'), 'w');
  t.ok(table.set('w', []));
  t.equal(served(table, 'h', '/'), 'w', 'no routes: the unrouted pool');
});

t.test('the table is bounded: empty pools are forgotten oldest first, and routes past the bound are refused', async (t) => {
  const table = tableOf(t, { a: ['/a'], b: ['/b'] }, 3);
  table.remove('a');
  t.ok(table.set('c', parseRoutes(['/c', '/d'])), 'room made by forgetting /a, which no worker serves');
  t.equal(table.size, 3);
  t.equal(table.match('h', '/a'), table.unrouted, '/a is forgotten');
  t.notOk(table.set('e', parseRoutes(['/e'])), 'every pool has a worker: refused');
  t.same(table.poolsOf('e'), [], 'and nothing changed');
  t.equal(table.size, 3);
});
