// Plain HTTP GETs for readiness and smoke checks (the load itself comes from wrk or autocannon).
import { get, Agent } from 'node:http';
import { BenchError } from './errors.js';
import type { Child } from './proc.js';

export interface Got {
  status: number;
  body: Buffer;
}

/** One GET with a deadline; rejects on a socket error or when the deadline passes. */
export function httpGet(url: string, timeoutMs: number, agent?: Agent): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: agent ?? false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new BenchError('BENCH_ERR_TIMEOUT', `GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** The status of a GET, known as soon as the response head arrives (the body may never end: held streams). */
function status(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: timeoutMs }, (res) => {
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('timeout', () => req.destroy(new BenchError('BENCH_ERR_TIMEOUT', `GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/**
 * Polls until the URL answers 200: nginx and Pushpin print nothing when they are ready, and a router may log that it
 * listens a moment before it serves. Bounded by timeoutMs; gives up at once if the process serving it exits.
 */
export async function waitForHttp(url: string, child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!child.running) throw new BenchError('BENCH_ERR_EXITED', `${child.name} exited before answering ${url}\n${child.tail()}`);
    try {
      const code = await status(url, Math.max(100, deadline - Date.now()));
      if (code === 200) return;
      last = `status ${code}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 50)); // poll interval: the peers signal readiness no other way
  }
  throw new BenchError('BENCH_ERR_START_TIMEOUT', `${child.name}: ${url} not answering 200 within ${timeoutMs} ms (${last})\n${child.tail()}`);
}

/**
 * Checks that the target serves what the scenario expects (status 200, and the body length when known), then warms it
 * up with keep-alive requests (warmRequests of them, or as many as fit in warmMs) so that the first round does not pay
 * for JIT compilation alone.
 */
export async function smokeAndWarm(url: string, expectLength: number | undefined, warmRequests: number, warmMs: number): Promise<void> {
  const first = await httpGet(url, 10_000);
  if (first.status !== 200 || (expectLength !== undefined && first.body.length !== expectLength)) {
    throw new BenchError(
      'BENCH_ERR_BAD_RESPONSE',
      `GET ${url}: status ${first.status}, ${first.body.length} bytes${expectLength === undefined ? '' : ` (expected ${expectLength})`}`,
    );
  }
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const deadline = Date.now() + warmMs;
  try {
    const lanes = Array.from({ length: 8 }, async (_, lane) => {
      for (let i = lane; i < warmRequests && Date.now() < deadline; i += 8) await httpGet(url, 10_000, agent);
    });
    await Promise.all(lanes);
  } finally {
    agent.destroy();
  }
}
