// A Koa 3 app, unchanged, as a worker: `worker.handle(app.callback())`, through a real router.
import t from 'tap';
import { Readable } from 'node:stream';
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { request } from '../../router/test/lib/harness.mjs';
import { serve } from './lib/apps.mjs';

const app = new Koa({ proxy: true });
const router = new Router();
router.get('/items/:id', (ctx) => { ctx.body = { id: ctx.params.id, q: ctx.query.q, ip: ctx.ip, protocol: ctx.protocol }; });
router.post('/items', (ctx) => {
  ctx.status = 201;
  ctx.body = { created: ctx.request.body };
});
router.get('/teapot', (ctx) => ctx.throw(418, 'short and stout'));
router.get('/broken', () => { throw new Error('broken route'); });
router.get('/stream', (ctx) => {
  ctx.type = 'text/plain';
  ctx.body = Readable.from(['one ', 'two ', 'three']);
});
app.silent = true; // Koa would log each 500 to stderr
app.use(bodyParser());
app.use(router.routes()).use(router.allowedMethods());
const { url } = await serve(t, app.callback());

t.test('a route with params, query and the client address', async (t) => {
  const res = await request(`${url}/items/abc?q=1`, { headers: { 'x-forwarded-for': '198.51.100.4' } });
  t.equal(res.status, 200);
  t.same(JSON.parse(res.body), { id: 'abc', q: '1', ip: '198.51.100.4', protocol: 'http' });
});

t.test('a JSON body', async (t) => {
  const res = await request(`${url}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' });
  t.equal(res.status, 201);
  t.same(JSON.parse(res.body), { created: { name: 'x' } });
});

t.test('errors', async (t) => {
  const teapot = await request(`${url}/teapot`);
  t.equal(teapot.status, 418);
  t.equal(teapot.body.toString(), 'short and stout');
  const broken = await request(`${url}/broken`);
  t.equal(broken.status, 500);
  t.equal(broken.body.toString(), 'Internal Server Error');
  t.equal((await request(`${url}/nowhere`)).status, 404);
  t.equal((await request(`${url}/items/1`, { method: 'DELETE' })).status, 405, 'allowedMethods answers the wrong method');
});

t.test('a streamed response', async (t) => {
  const res = await request(`${url}/stream`);
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
  t.equal(res.body.toString(), 'one two three');
});
