// Seed 004's counter API, the GRIP way: GET /counter/value/ answers the value at once, or, with ?last=N naming the
// current value, long-polls (a hold on channel "counter", `{}` on timeout); POST increments and publishes the new
// value to the held clients. The worker keeps no connection open: the router holds the clients. It publishes in-band
// (worker.publish, over the control socket it already has, to every router it is connected to): no publish API,
// no extra port.
//
// The hold names the value the client has as the channel's prev-id and each publish its id and prev-id, so the race
// Pushpin closes this way is closed here too: a POST published between this GET's answer and the router holding it
// makes the router send the GET again at once (with Grip-Last), and the value is answered then.
import type { Worker } from '@switchboard/worker-sdk';
import { announce, createExampleWorker, type ExampleOptions } from './run-worker.js';

export interface CounterOptions extends ExampleOptions {
  /** Long-poll timeout, seconds (GRIP's default 55). */
  timeout?: number;
}

const JSON_TYPE = { 'content-type': 'application/json' };

export function runCounter(options: CounterOptions): Worker {
  const { timeout = 55 } = options;
  let value = 0;
  const worker = createExampleWorker(options);
  worker.fetch(async (request) => {
    const url = new URL(request.url, 'http://localhost');
    if (url.pathname !== '/counter/value/') return new Response('Not Found\n', { status: 404 });
    if (request.method === 'GET') {
      const last = url.searchParams.get('last');
      if (last !== null && !/^\d{1,15}$/.test(last)) return new Response('last must be a non-negative integer\n', { status: 400 });
      if (last === null || Number(last) < value) return new Response(`${value}\n`, { headers: JSON_TYPE });
      // The hold: the router answers with the next publish on "counter", or with this response at the timeout.
      const instruct = {
        hold: { mode: 'response', channels: [{ name: 'counter', 'prev-id': String(value) }], timeout },
        response: { headers: JSON_TYPE, body: '{}\n' },
      };
      return new Response(JSON.stringify(instruct), { headers: { 'content-type': 'application/grip-instruct' } });
    }
    if (request.method === 'POST') {
      const now = ++value;
      try {
        await worker.publish('counter', { 'http-response': { headers: JSON_TYPE, body: `${now}\n` } }, { id: String(now), prevId: String(now - 1) });
      } catch (err) {
        // The increment stands; the held clients get it at their timeout's next poll.
        worker.logger.error({ err }, 'publish refused');
      }
      return new Response(`${now}\n`, { headers: JSON_TYPE });
    }
    return new Response('Method Not Allowed\n', { status: 405, headers: { allow: 'GET, POST' } });
  });
  return announce(worker, options, { timeout });
}
