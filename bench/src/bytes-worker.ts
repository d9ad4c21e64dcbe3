// A bench-only Switchboard worker for the streamed-response scenario: GET /N answers N bytes, written in 64 KiB
// DATA frames as the router's flow-control window allows (the hello example would hold the whole body in memory).
//   node bytes-worker.js <name> --connect ENDPOINT --control ENDPOINT
import { parseArgs } from 'node:util';
import { announce, createExampleWorker } from '@switchboard/examples';
import type { WorkerResponse } from '@switchboard/worker-sdk';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { connect: { type: 'string' }, control: { type: 'string' } },
});
const name = positionals[0] ?? 'bytes';
const CHUNK = Buffer.alloc(64 * 1024, 'x');

function streamBytes(res: WorkerResponse, total: number): void {
  let left = total;
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, CHUNK.length);
      left -= n;
      if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  pump();
}

const options = { name, connect: values.connect ?? 'tcp://127.0.0.1:8000', control: values.control };
const worker = createExampleWorker(options);
worker.handle((req, res) => streamBytes(res, Number(req.url.slice(1)) || 0));
announce(worker, options, { app: 'bytes' });
