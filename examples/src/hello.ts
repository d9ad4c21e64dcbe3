// The hello worker: `Hello from <name>\n` (or `size` bytes) after `delay` ms, plus the paths the conformance
// checker and the tests use (SPEC "Conformance"): /echo, /stream, /headers, /sha256.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Worker, WorkerRequest, WorkerResponse } from '@switchboard/worker-sdk';
import { announce, createExampleWorker, type ExampleOptions } from './run-worker.js';

export interface HelloOptions extends ExampleOptions {
  /** Wait this long before answering, ms. */
  delay?: number;
  /** Answer with a body of this many bytes ('x' repeated) instead of the greeting. */
  size?: number;
}

// Large bodies go out in slices, each waiting for the SDK's flow-control 'drain': memory stays at one slice.
const SLICE = 64 * 1024;

export function runHello(options: HelloOptions): Worker {
  const { delay, size } = options;
  const greeting = Buffer.from(`Hello from ${options.name}\n`);
  const slice = size === undefined ? greeting : Buffer.alloc(Math.min(size, SLICE), 'x');
  const worker = createExampleWorker(options);

  const hello = async (res: WorkerResponse): Promise<void> => {
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    if (size === undefined) {
      res.setHeader('content-length', String(greeting.length));
      res.end(greeting);
      return;
    }
    res.setHeader('content-length', String(size));
    let left = size;
    for (; left > SLICE && !res.destroyed; left -= SLICE) {
      if (!res.write(slice)) await once(res, 'drain');
    }
    // The last slice goes with end(): the FIN queues behind it instead of waiting a round trip for 'drain'.
    res.end(slice.subarray(0, left));
  };

  worker.handle(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    switch (path) {
      case '/echo': return echo(req, res);
      case '/stream': return stream(req, res);
      case '/headers': return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.headers));
      case '/sha256': return sha256(req, res);
      default:
        if (delay !== undefined && delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        return hello(res);
    }
  });
  return announce(worker, options, { delay, size });
}

/** Echoes the body, its content type, and every x-echo-* request header. */
async function echo(req: WorkerRequest, res: WorkerResponse): Promise<void> {
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name.startsWith('x-echo-')) {
      const prev = res.getHeader(name);
      res.setHeader(name, prev === undefined ? raw[i + 1] : [...(Array.isArray(prev) ? prev : [String(prev)]), raw[i + 1]]);
    }
  }
  res.setHeader('content-type', (req.headers['content-type'] as string | undefined) ?? 'application/octet-stream');
  for await (const chunk of req) if (!res.write(chunk as Buffer)) await once(res, 'drain');
  res.end();
}

/** `count` chunks `interval` ms apart (defaults 5 and 100), each written as soon as it is made; with `trailer`, an
 * `x-chunks` trailer after them. */
async function stream(req: WorkerRequest, res: WorkerResponse): Promise<void> {
  const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
  const count = Math.min(Number(query.get('count') ?? 5) || 5, 10_000);
  const interval = Math.min(Number(query.get('interval') ?? 100) || 100, 60_000);
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  for (let i = 1; i <= count && !req.signal.aborted; i++) {
    res.write(`chunk ${i}\n`);
    if (i < count) await new Promise((resolve) => setTimeout(resolve, interval));
  }
  if (query.has('trailer')) res.addTrailers({ 'x-chunks': String(count) });
  res.end();
}

/** Reads the whole body as it streams in and answers its length and SHA-256. */
async function sha256(req: WorkerRequest, res: WorkerResponse): Promise<void> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of req) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes, sha256: hash.digest('hex') }));
}
