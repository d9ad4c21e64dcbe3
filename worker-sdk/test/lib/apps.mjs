// Existing apps served through the SDK and a real router: `switchboard router` as a process, the app in this process
// behind `new Worker().handle(app)`, real HTTP in front. Everything stops at the test's teardown.
import http from 'node:http';
import { Worker } from '@switchboard/worker-sdk';
import { startRouter } from '../../../router/test/lib/harness.mjs';
import { memoryLogger } from './peer.mjs';

/** Starts a router and a worker serving `app` (anything handle() takes); resolves once the router counts the worker. */
export async function serve(t, app) {
  const router = await startRouter(t);
  const logger = memoryLogger();
  const worker = new Worker({ connect: router.bind, control: router.control, name: 'app', logger }).handle(app);
  t.teardown(() => worker.close({ graceMs: 0 }));
  await router.joined(1);
  return { router, worker, logger, url: router.url };
}

/** Resolves with what `emitter` emits as `event`, or rejects after `ms`: for events a test waits on. */
export function eventually(emitter, event, ms = 15_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${ms} ms`)), ms);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

/** Settles with `promise`, or rejects after `ms` saying what did not happen. */
export function within(promise, what, ms = 15_000) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); }),
  ]);
}

/**
 * GETs `url` and destroys the request once the first body bytes arrive (a client that goes away mid-response);
 * resolves with the status and those bytes.
 */
export function abortAfterFirstChunk(url) {
  return within(new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.once('data', (chunk) => {
        req.destroy();
        resolve({ status: res.statusCode, first: chunk.toString() });
      });
    });
    req.on('error', reject);
  }), 'first chunk of a response');
}
