// Seed 004's counter API, the GRIP way: GET /counter/value/ answers the value at once, or, with ?last=N naming the
// current value, long-polls (a hold on channel "counter", `{}` on timeout); POST increments and publishes the new
// value to the held clients. The worker keeps no connection open: the router holds the clients. It publishes through
// the router's HTTP publish API (--publish-listen) with fetch.
import type { Worker } from '@switchboard/worker-sdk';
import { announce, createExampleWorker, type ExampleOptions } from './run-worker.js';

export interface CounterOptions extends ExampleOptions {
  /** The router's publish API, e.g. http://127.0.0.1:5561 (its --publish-listen). */
  publishUrl: string;
  /** Long-poll timeout, seconds (GRIP's default 55). */
  timeout?: number;
}

const JSON_TYPE = { 'content-type': 'application/json' };

export function runCounter(options: CounterOptions): Worker {
  const { publishUrl, timeout = 55 } = options;
  let value = 0;
  const worker = createExampleWorker(options);
  worker.fetch(async (request) => {
    const url = new URL(request.url, 'http://localhost');
    if (url.pathname !== '/counter/value/') return new Response('Not Found\n', { status: 404 });
    if (request.method === 'GET') {
      const last = url.searchParams.get('last');
      if (last === null || Number(last) < value) return new Response(`${value}\n`, { headers: JSON_TYPE });
      // The hold: the router answers with the next publish on "counter", or with this response at the timeout.
      const instruct = { hold: { mode: 'response', channels: [{ name: 'counter' }], timeout }, response: { headers: JSON_TYPE, body: '{}\n' } };
      return new Response(JSON.stringify(instruct), { headers: { 'content-type': 'application/grip-instruct' } });
    }
    if (request.method === 'POST') {
      const now = ++value;
      const items = [{ channel: 'counter', id: String(now), 'prev-id': String(now - 1), formats: { 'http-response': { headers: JSON_TYPE, body: `${now}\n` } } }];
      const published = await fetch(`${publishUrl}/publish/`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ items }) });
      if (!published.ok) worker.logger.error({ status: published.status, reason: await published.text() }, 'publish refused');
      return new Response(`${now}\n`, { headers: JSON_TYPE });
    }
    return new Response('Method Not Allowed\n', { status: 405, headers: { allow: 'GET, POST' } });
  });
  return announce(worker, options, { publishUrl, timeout });
}
