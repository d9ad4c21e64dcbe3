// A Fastify 5 app, unchanged, as a worker: `await app.ready(); worker.handle(app.routing)`, through a real router.
import t from 'tap';
import { Readable } from 'node:stream';
import Fastify from 'fastify';
import { request } from '../../router/test/lib/harness.mjs';
import { frameworkContract, serve } from './lib/apps.mjs';

const app = Fastify({ trustProxy: '127.0.0.1' });
app.get('/items/:id', async (req) => ({ id: req.params.id, q: req.query.q, ip: req.ip, protocol: req.protocol }));
app.post('/items', async (req, reply) => reply.code(201).send({ created: req.body }));
app.get('/broken', async () => { throw new Error('broken route'); });
app.get('/teapot', async (req, reply) => reply.code(418).send(new Error('short and stout')));
app.get('/stream', (req, reply) => reply.type('text/plain').send(Readable.from(['one ', 'two ', 'three'])));
await app.ready();
const { url } = await serve(t, app.routing);

frameworkContract(t, url);

t.test("Fastify's own answers: a malformed body, an error as JSON", async (t) => {
  const bad = await request(`${url}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
  t.equal(bad.status, 400);
  t.match(JSON.parse((await request(`${url}/broken`)).body), { statusCode: 500, message: 'broken route' });
});
