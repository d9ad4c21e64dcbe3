// The stream worker: Server-Sent Events, one event per interval until `count` or until the client goes away.
import type { Worker } from '@switchboard/worker-sdk';
import { announce, createExampleWorker, type ExampleOptions } from './run-worker.js';

export interface StreamOptions extends ExampleOptions {
  /** Time between events, ms. Default 1000. */
  interval?: number;
  /** Events before the response ends. Default: forever. */
  count?: number;
}

export function runStream(options: StreamOptions): Worker {
  const { name, interval = 1000, count } = options;
  const encoder = new TextEncoder();
  const worker = createExampleWorker(options);
  worker.fetch((request) => {
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const tick = (): void => {
          sent++;
          const data = JSON.stringify({ worker: name, n: sent, time: new Date().toISOString() });
          controller.enqueue(encoder.encode(`id: ${sent}\ndata: ${data}\n\n`));
          if (count !== undefined && sent >= count) controller.close();
          else timer = setTimeout(tick, interval);
        };
        // The router cancels the stream when the client goes away: stop producing events.
        request.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          worker.logger.info({ events: sent, reason: 'client went away' }, 'stream closed');
        }, { once: true });
        tick();
      },
      cancel() {
        clearTimeout(timer);
      },
    });
    return new Response(body, {
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' },
    });
  });
  return announce(worker, options, { interval, count });
}
