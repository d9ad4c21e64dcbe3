// A Fastify 5 app, unchanged, as a worker: `await app.ready(); worker.handle(app.routing)`, through a real router.
import t from 'tap';
import { Readable } from 'node:stream';
import Fastify from 'fastify';
import { request } from '../../router/test/lib/harness.mjs';
import { serve } from './lib/apps.mjs';

const app = Fastify({ trustProxy: '127.0.0.1' });
app.get('/items/:id', async (req) => ({ id: req.params.id, q: req.query.q, ip: req.ip, protocol: req.protocol }));
app.post('/items', async (req, reply) => reply.code(201).send({ created: req.body }));
app.get('/broken', async () => { throw new Error('broken route'); });
app.get('/teapot', async (req, reply) => reply.code(418).send(new Error('short and stout')));
app.get('/stream', (req, reply) => {
  reply.type('text/plain').send(Readable.from(['one ', 'two ', 'three'], { objectMode: false }));
});
await app.ready();
const { url } = await serve(t, app.routing);

t.test('a route with params, query and the client address', async (t) => {
  const res = await request(`${url}/items/abc?q=1`, { headers: { 'x-forwarded-for': '198.51.100.4' } });
  t.equal(res.status, 200);
  t.same(JSON.parse(res.body), { id: 'abc', q: '1', ip: '198.51.100.4', protocol: 'http' });
});

t.test('a JSON body', async (t) => {
  const res = await request(`${url}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' });
  t.equal(res.status, 201);
  t.same(JSON.parse(res.body), { created: { name: 'x' } });
  const bad = await request(`${url}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
  t.equal(bad.status, 400, 'a malformed body is the app\'s 400');
});

t.test('errors', async (t) => {
  const res = await request(`${url}/broken`);
  t.equal(res.status, 500);
  t.match(JSON.parse(res.body), { statusCode: 500, message: 'broken route' });
  const teapot = await request(`${url}/teapot`);
  t.equal(teapot.status, 418);
  t.equal((await request(`${url}/nowhere`)).status, 404);
});

t.test('a streamed response', async (t) => {
  const res = await request(`${url}/stream`);
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], 'text/plain');
  t.equal(res.body.toString(), 'one two three');
});
