// SPEC §5.2: a hello's `routes`, the host and path prefixes a worker serves.
import t from 'tap';
import { MAX_ROUTE_LENGTH, MAX_ROUTES, parseRoute, parseRoutes } from '@switchboard/protocol';

const invalid = { code: 'PROTO_ERR_INVALID_CONTROL' };

t.test('SPEC §5.2 hello routes', async (t) => {
  t.test('a host, a path, or a host and a path', async (t) => {
    t.same(parseRoute('api.example.com'), { host: 'api.example.com', path: '', key: 'api.example.com' });
    t.same(parseRoute('/v2/'), { host: '', path: '/v2', key: '/v2' });
    t.same(parseRoute('api.example.com/v2/'), { host: 'api.example.com', path: '/v2', key: 'api.example.com/v2' });
  });

  t.test('hosts are compared lowercase, without a trailing dot; a trailing slash on the path changes nothing', async (t) => {
    t.equal(parseRoute('API.Example.COM.').key, 'api.example.com');
    t.equal(parseRoute('/v2').key, parseRoute('/v2/').key);
    t.equal(parseRoute('api.example.com/').key, 'api.example.com');
  });

  t.test('"/" is a route of its own: every path, any host', async (t) => {
    t.same(parseRoute('/'), { host: '', path: '', key: '/' });
  });

  t.test('a host with a port, a query, a space or an empty string is refused, saying why', async (t) => {
    t.throws(() => parseRoute('api.example.com:8080'), { ...invalid, message: /without a port/ });
    t.throws(() => parseRoute('/v2?x=1'), { ...invalid, message: /query/ });
    t.throws(() => parseRoute('/a b'), invalid);
    t.throws(() => parseRoute(''), invalid);
    t.throws(() => parseRoute(7), invalid);
    t.throws(() => parseRoute('x'.repeat(MAX_ROUTE_LENGTH + 1)), { ...invalid, message: /longer than/ });
    t.throws(() => parseRoute('bad..host'), invalid);
  });

  t.test('routes is an optional list of at most MAX_ROUTES strings; duplicates count once', async (t) => {
    t.same(parseRoutes(undefined), []);
    t.same(parseRoutes(['/v2', '/v2/', 'a.b']).map((r) => r.key), ['/v2', 'a.b']);
    t.throws(() => parseRoutes('/v2'), { ...invalid, message: /list of strings/ });
    t.throws(() => parseRoutes(Array.from({ length: MAX_ROUTES + 1 }, (_, i) => `/p${i}`)), { ...invalid, message: /more than/ });
    t.throws(() => parseRoutes(['/ok', null]), invalid);
  });
});
