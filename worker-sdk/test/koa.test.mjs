// A Koa 3 app, unchanged, as a worker: `worker.handle(app.callback())`, through a real router.
import t from 'tap';
import { Readable } from 'node:stream';
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { request } from '../../router/test/lib/harness.mjs';
import { frameworkContract, serve } from './lib/apps.mjs';

const app = new Koa({ proxy: true });
app.silent = true; // Koa would log each 500 to stderr
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
app.use(bodyParser());
app.use(router.routes()).use(router.allowedMethods());
const { url } = await serve(t, app.callback());

frameworkContract(t, url);

t.test("Koa's own answers: the error's message, allowedMethods", async (t) => {
  t.equal((await request(`${url}/teapot`)).body.toString(), 'short and stout');
  t.equal((await request(`${url}/broken`)).body.toString(), 'Internal Server Error');
  t.equal((await request(`${url}/items/1`, { method: 'DELETE' })).status, 405);
});
